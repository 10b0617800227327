//! SQLite-only behaviour: reopening, kill -9 durability, bounded file size, slow watchers.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use berth_store::{SqliteOptions, SqliteStore, Store, StoreError, TxnOutcome};
use futures_util::StreamExt;

const CRASH_CHILD_ENV: &str = "BERTH_STORE_CRASH_CHILD_DB";

fn applied<T: std::fmt::Debug>(outcome: TxnOutcome<T>) -> T {
    match outcome {
        TxnOutcome::Applied(v) => v,
        other => panic!("expected Applied, got {other:?}"),
    }
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn wal_size(db: &Path) -> u64 {
    file_size(&db.with_file_name(format!("{}-wal", db.file_name().unwrap().to_string_lossy())))
}

fn db_and_wal_size(db: &Path) -> u64 {
    file_size(db) + wal_size(db)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reopen_after_drop_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let store = SqliteStore::open(&path).unwrap();
    let a = applied(store.create("/t/a", b"1".to_vec()).await.unwrap());
    let a2 = applied(
        store
            .update("/t/a", b"2".to_vec(), a.mod_revision)
            .await
            .unwrap(),
    );
    let b = applied(store.create("/t/b", b"b".to_vec()).await.unwrap());
    let (_, deleted) = applied(store.delete("/t/b", 0).await.unwrap());
    store.compact(a2.mod_revision).await.unwrap();
    drop(store);

    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.revisions().await.unwrap(), (deleted, a2.mod_revision));
    assert_eq!(
        store.get("/t/a").await.unwrap(),
        (Some(a2.clone()), deleted)
    );
    assert_eq!(store.get("/t/b").await.unwrap().0, None);
    let at_b = store.list("/t/", "", 0, b.mod_revision).await.unwrap();
    assert_eq!(
        at_b.kvs
            .iter()
            .map(|kv| kv.key.as_str())
            .collect::<Vec<_>>(),
        ["/t/a", "/t/b"]
    );
    assert!(matches!(
        store.list("/t/", "", 0, a.mod_revision).await,
        Err(StoreError::Compacted { .. })
    ));
    // Revisions continue where they stopped.
    let c = applied(store.create("/t/c", b"c".to_vec()).await.unwrap());
    assert_eq!(c.mod_revision, deleted + 1);
}

/// Not a test on its own: the child process of `kill_9_loses_no_acknowledged_write`.
/// Writes in a loop with concurrent writers and prints each acknowledged write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_child() {
    let Ok(path) = std::env::var(CRASH_CHILD_ENV) else {
        return;
    };
    let store = SqliteStore::open(&path).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0..100_000 {
                    if Instant::now() > deadline {
                        break;
                    }
                    let key = format!("/crash/{w}/{i}");
                    let kv = applied(store.create(&key, vec![b'x'; 512]).await.unwrap());
                    println!("ACK {key} {}", kv.mod_revision);
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash_child",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CRASH_CHILD_ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    struct KillOnDrop(std::process::Child);
    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let stdout = child.stdout.take().unwrap();
    let mut child = KillOnDrop(child);
    let mut acknowledged = Vec::new();
    let mut lines = BufReader::new(stdout).lines();
    // Kill in the middle of the write stream, after enough acknowledgements.
    for line in lines.by_ref() {
        if let Some((key, revision)) = parse_ack(&line.unwrap()) {
            acknowledged.push((key, revision));
            if acknowledged.len() >= 500 {
                break;
            }
        }
    }
    child.0.kill().unwrap(); // SIGKILL
    child.0.wait().unwrap();
    // Lines already printed before the kill are acknowledged writes too.
    for line in lines.map_while(Result::ok) {
        if let Some(ack) = parse_ack(&line) {
            acknowledged.push(ack);
        }
    }
    assert!(
        acknowledged.len() >= 500,
        "the child acknowledged only {} writes",
        acknowledged.len()
    );

    let store = SqliteStore::open(&path).unwrap();
    for (key, revision) in &acknowledged {
        let kv = store
            .get(key)
            .await
            .unwrap()
            .0
            .unwrap_or_else(|| panic!("acknowledged {key} is lost"));
        assert_eq!(kv.mod_revision, *revision, "{key}");
    }
    let count = store.count("/crash/").await.unwrap();
    assert!(count as usize >= acknowledged.len());
    let (current, _) = store.revisions().await.unwrap();
    assert_eq!(
        current, count,
        "one revision per create, none lost in the middle"
    );
}

fn parse_ack(line: &str) -> Option<(String, i64)> {
    let rest = line.strip_prefix("ACK ")?;
    let (key, revision) = rest.split_once(' ')?;
    Some((key.to_string(), revision.parse().ok()?))
}

/// Many revisions of a few keys, compacted as the automatic compactor would, keep the
/// files small, while 32 MiB of values are written (without compaction the database alone
/// would exceed 32 MiB). The bounds:
/// - database: between two compactions the log holds at most KEYS * ROUNDS_PER_COMPACTION
///   rows of VALUE bytes (the "window", 8 * 100 * 4 KiB = 3.2 MiB); compaction frees them and
///   incremental vacuum gives the pages back, so the file stays under 2 * window (page and
///   index overhead is far below 100%);
/// - WAL: SQLite checkpoints it at 1000 pages (4 MiB) and reuses it from the start; each
///   compaction truncates it; so it stays under 4 MiB plus one batch (< 1 MiB here);
/// - at the end, after a final compaction, both together hold only the live keys: < 1 MiB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compaction_bounds_database_and_wal_size() {
    const KEYS: usize = 8;
    const ROUNDS: usize = 1000;
    const ROUNDS_PER_COMPACTION: usize = 100;
    const VALUE: usize = 4096;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let options = SqliteOptions {
        compact_interval: Duration::ZERO,
        journal_size_limit: 1 << 20,
        ..SqliteOptions::default()
    };
    let store = SqliteStore::open_with(&path, options).unwrap();
    let (mut peak_db, mut peak_wal) = (0, 0);
    for chunk in 0..ROUNDS / ROUNDS_PER_COMPACTION {
        let writers: Vec<_> = (0..KEYS)
            .map(|k| {
                let store: Arc<SqliteStore> = store.clone();
                tokio::spawn(async move {
                    let key = format!("/t/{k}");
                    let mut revision = store.get(&key).await.unwrap().0.map(|kv| kv.mod_revision);
                    for i in 0..ROUNDS_PER_COMPACTION {
                        let value = vec![(chunk * ROUNDS_PER_COMPACTION + i) as u8; VALUE];
                        let kv = match revision {
                            None => applied(store.create(&key, value).await.unwrap()),
                            Some(r) => applied(store.update(&key, value, r).await.unwrap()),
                        };
                        revision = Some(kv.mod_revision);
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.await.unwrap();
        }
        peak_db = peak_db.max(file_size(&path));
        peak_wal = peak_wal.max(wal_size(&path));
        let (current, _) = store.revisions().await.unwrap();
        store.compact(current).await.unwrap();
    }
    store.checkpoint().await.unwrap();
    let written = (KEYS * ROUNDS * VALUE) as u64;
    let window = (KEYS * ROUNDS_PER_COMPACTION * VALUE) as u64;
    let end = db_and_wal_size(&path);
    eprintln!(
        "written {written} bytes; peak database {peak_db}, peak WAL {peak_wal}, final {end} bytes"
    );
    assert!(peak_db < 2 * window, "database peaked at {peak_db} bytes");
    assert!(peak_wal < 5 << 20, "WAL peaked at {peak_wal} bytes");
    assert!(end < 1 << 20, "final size {end} bytes exceeds 1 MiB");
    // The data is intact.
    let listed = store.list("/t/", "", 0, 0).await.unwrap();
    assert_eq!(listed.kvs.len(), KEYS);
    assert!(listed
        .kvs
        .iter()
        .all(|kv| kv.value == vec![(ROUNDS - 1) as u8; VALUE]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_that_falls_behind_is_ended_not_buffered() {
    let dir = tempfile::tempdir().unwrap();
    let options = SqliteOptions {
        watch_buffer: 16,
        ..SqliteOptions::default()
    };
    let store = SqliteStore::open_with(dir.path().join("state.db"), options).unwrap();
    let mut slow = store.watch("/t/", 0).await.unwrap();
    let first = applied(store.create("/t/a", vec![0]).await.unwrap());
    let mut revision = first.mod_revision;
    for i in 1..100u8 {
        revision = applied(store.update("/t/a", vec![i], revision).await.unwrap()).mod_revision;
    }
    // Writers were never blocked; the watcher gets what fit, then an error telling it to re-list.
    let mut delivered = 0;
    let error = loop {
        match tokio::time::timeout(Duration::from_secs(10), slow.next())
            .await
            .unwrap()
        {
            Some(Ok(_)) => delivered += 1,
            Some(Err(e)) => break e,
            None => panic!("the stream ended without an error"),
        }
    };
    assert!(delivered < 100);
    assert!(matches!(error, StoreError::Compacted { .. }), "{error}");
    assert!(slow.next().await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_automatic_compactor_keeps_recent_history() {
    let dir = tempfile::tempdir().unwrap();
    let options = SqliteOptions {
        compact_interval: Duration::from_millis(100),
        compact_retain: Duration::from_millis(100),
        compact_min_retain_revisions: 20,
        ..SqliteOptions::default()
    };
    let store = SqliteStore::open_with(dir.path().join("state.db"), options).unwrap();
    let mut revision = applied(store.create("/t/a", vec![0]).await.unwrap()).mod_revision;
    for i in 1..100u8 {
        revision = applied(store.update("/t/a", vec![i], revision).await.unwrap()).mod_revision;
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let compacted = loop {
        let (_, compacted) = store.revisions().await.unwrap();
        if compacted > 0 {
            break compacted;
        }
        assert!(
            Instant::now() < deadline,
            "the automatic compactor did not run"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // It kept at least compact_min_retain_revisions of history.
    assert!(
        compacted <= revision - 20,
        "compacted to {compacted}, current {revision}"
    );
    assert!(store.list("/t/", "", 0, revision - 20).await.is_ok());
    assert!(matches!(
        store.list("/t/", "", 0, compacted - 1).await,
        Err(StoreError::Compacted { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_process_writing_the_file_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let first = SqliteStore::open(&path).unwrap();
    let second = SqliteStore::open(&path).unwrap();
    applied(first.create("/t/a", vec![1]).await.unwrap());
    match second.create("/t/b", vec![2]).await {
        Err(StoreError::Backend(message)) => {
            assert!(message.contains("only one berth server"), "{message}")
        }
        other => panic!("expected a Backend error, got {other:?}"),
    }
    assert_eq!(first.get("/t/b").await.unwrap().0, None);
}
