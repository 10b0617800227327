//! The store conformance suite: the same cases run on the SQLite and on the etcd backend.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use berth_store::{Event, KeyValue, Revision, Store, StoreError, TxnOutcome, WatchStream};
use futures_util::StreamExt;

/// How long a test waits for one watch event before failing.
const EVENT_TIMEOUT: Duration = Duration::from_secs(30);

fn applied<T: std::fmt::Debug>(outcome: TxnOutcome<T>) -> T {
    match outcome {
        TxnOutcome::Applied(v) => v,
        other => panic!("expected Applied, got {other:?}"),
    }
}

fn conflict<T: std::fmt::Debug>(outcome: TxnOutcome<T>) -> Option<KeyValue> {
    match outcome {
        TxnOutcome::Conflict(current) => current,
        other => panic!("expected Conflict, got {other:?}"),
    }
}

async fn next_event(stream: &mut WatchStream) -> Event {
    match tokio::time::timeout(EVENT_TIMEOUT, stream.next()).await {
        Ok(Some(Ok(event))) => event,
        Ok(Some(Err(e))) => panic!("watch failed: {e}"),
        Ok(None) => panic!("watch ended"),
        Err(_) => panic!("no watch event within {EVENT_TIMEOUT:?}"),
    }
}

async fn put(store: &dyn Store, key: &str, value: &str) -> KeyValue {
    match store.get(key).await.expect("get").0 {
        None => applied(store.create(key, value.into()).await.expect("create")),
        Some(kv) => applied(
            store
                .update(key, value.into(), kv.mod_revision)
                .await
                .expect("update"),
        ),
    }
}

async fn list_all(store: &dyn Store, prefix: &str, revision: Revision) -> Vec<(String, Vec<u8>)> {
    let resp = store.list(prefix, "", 0, revision).await.expect("list");
    assert!(!resp.more);
    resp.kvs.into_iter().map(|kv| (kv.key, kv.value)).collect()
}

/// The cases. Each takes a fresh, empty store.
pub mod suite {
    use super::*;

    pub async fn create_and_conflict(store: Arc<dyn Store>) {
        let kv = applied(store.create("/t/a", b"1".to_vec()).await.unwrap());
        assert_eq!(kv.key, "/t/a");
        assert_eq!(kv.value, b"1");
        assert_eq!(kv.create_revision, kv.mod_revision);
        let (got, revision) = store.get("/t/a").await.unwrap();
        assert_eq!(got.as_ref(), Some(&kv));
        assert!(revision >= kv.mod_revision);
        let current = conflict(store.create("/t/a", b"2".to_vec()).await.unwrap());
        assert_eq!(current, Some(kv.clone()));
        assert_eq!(store.get("/t/a").await.unwrap().0, Some(kv));
        assert_eq!(store.get("/t/missing").await.unwrap().0, None);
    }

    pub async fn update_with_stale_revision_conflicts(store: Arc<dyn Store>) {
        let v1 = applied(store.create("/t/a", b"1".to_vec()).await.unwrap());
        let v2 = applied(
            store
                .update("/t/a", b"2".to_vec(), v1.mod_revision)
                .await
                .unwrap(),
        );
        assert!(v2.mod_revision > v1.mod_revision);
        assert_eq!(v2.create_revision, v1.create_revision);
        let current = conflict(
            store
                .update("/t/a", b"3".to_vec(), v1.mod_revision)
                .await
                .unwrap(),
        );
        assert_eq!(current, Some(v2.clone()));
        assert_eq!(
            conflict(
                store
                    .update("/t/none", b"x".to_vec(), v1.mod_revision)
                    .await
                    .unwrap()
            ),
            None
        );
        assert_eq!(
            conflict(store.update("/t/none", b"x".to_vec(), 0).await.unwrap()),
            None
        );
        assert_eq!(store.get("/t/none").await.unwrap().0, None);
        assert_eq!(store.get("/t/a").await.unwrap().0, Some(v2));
    }

    pub async fn delete_is_conditional(store: Arc<dyn Store>) {
        let v1 = applied(store.create("/t/a", b"1".to_vec()).await.unwrap());
        let v2 = applied(
            store
                .update("/t/a", b"2".to_vec(), v1.mod_revision)
                .await
                .unwrap(),
        );
        assert_eq!(
            conflict(store.delete("/t/a", v1.mod_revision).await.unwrap()),
            Some(v2.clone())
        );
        let (prev, revision) = applied(store.delete("/t/a", v2.mod_revision).await.unwrap());
        assert_eq!(prev, v2);
        assert!(revision > v2.mod_revision);
        assert_eq!(store.get("/t/a").await.unwrap().0, None);
        assert_eq!(conflict(store.delete("/t/a", 0).await.unwrap()), None);
        assert_eq!(
            conflict(store.delete("/t/a", revision).await.unwrap()),
            None
        );
        // Re-created: a new incarnation with its own create_revision; unconditional delete.
        let v3 = applied(store.create("/t/a", b"3".to_vec()).await.unwrap());
        assert!(v3.create_revision > revision);
        assert_eq!(v3.create_revision, v3.mod_revision);
        let (prev, _) = applied(store.delete("/t/a", 0).await.unwrap());
        assert_eq!(prev, v3);
    }

    pub async fn list_is_ordered_and_bounded_by_prefix(store: Arc<dyn Store>) {
        for key in ["/t/c", "/t/a", "/t/b/x", "/t/b", "/tt", "/t", "/s/a"] {
            applied(store.create(key, key.as_bytes().to_vec()).await.unwrap());
        }
        let keys =
            |r: berth_store::RangeResponse| r.kvs.into_iter().map(|kv| kv.key).collect::<Vec<_>>();
        assert_eq!(
            keys(store.list("/t/", "", 0, 0).await.unwrap()),
            ["/t/a", "/t/b", "/t/b/x", "/t/c"]
        );
        assert_eq!(
            keys(store.list("/t/", "/t/b/", 0, 0).await.unwrap()),
            ["/t/b/x", "/t/c"]
        );
        assert_eq!(
            keys(store.list("/t/b", "", 0, 0).await.unwrap()),
            ["/t/b", "/t/b/x"]
        );
        assert_eq!(
            keys(store.list("", "", 0, 0).await.unwrap()),
            ["/s/a", "/t", "/t/a", "/t/b", "/t/b/x", "/t/c", "/tt"]
        );
        assert_eq!(store.count("/t/").await.unwrap(), 4);
        assert_eq!(store.count("/nothing/").await.unwrap(), 0);
        let (current, _) = store.revisions().await.unwrap();
        let resp = store.list("/t/", "", 0, 0).await.unwrap();
        assert_eq!(resp.revision, current);
        assert!(!resp.more);
    }

    pub async fn paginate_at_a_fixed_revision_while_writing(store: Arc<dyn Store>) {
        for i in 0..10 {
            applied(
                store
                    .create(&format!("/t/{i:02}"), vec![b'0', i])
                    .await
                    .unwrap(),
            );
        }
        let expected = list_all(&*store, "/t/", 0).await;
        let first = store.list("/t/", "", 3, 0).await.unwrap();
        assert!(first.more);
        assert_eq!(first.kvs.len(), 3);
        let revision = first.revision;
        let mut seen: Vec<(String, Vec<u8>)> = first
            .kvs
            .iter()
            .map(|kv| (kv.key.clone(), kv.value.clone()))
            .collect();
        let mut start = format!("{}\0", first.kvs[2].key);
        let mut page = 0u8;
        loop {
            // Writes between pages must not show up in the paginated list.
            let victim = format!("/t/{:02}", 9 - page);
            let current = store.get(&victim).await.unwrap().0.unwrap();
            applied(
                store
                    .update(&victim, b"changed".to_vec(), current.mod_revision)
                    .await
                    .unwrap(),
            );
            applied(
                store
                    .create(&format!("/t/{page:02}x"), b"new".to_vec())
                    .await
                    .unwrap(),
            );
            applied(store.delete(&format!("/t/{:02}", page), 0).await.unwrap());
            page += 1;

            let resp = store.list("/t/", &start, 3, revision).await.unwrap();
            assert_eq!(resp.revision, revision);
            seen.extend(resp.kvs.iter().map(|kv| (kv.key.clone(), kv.value.clone())));
            if !resp.more {
                break;
            }
            assert_eq!(resp.kvs.len(), 3);
            start = format!("{}\0", resp.kvs[2].key);
        }
        assert_eq!(seen, expected);
        assert_ne!(list_all(&*store, "/t/", 0).await, expected);
    }

    pub async fn list_at_an_old_revision(store: Arc<dyn Store>) {
        let a1 = applied(store.create("/t/a", b"a1".to_vec()).await.unwrap());
        let b1 = applied(store.create("/t/b", b"b1".to_vec()).await.unwrap());
        let a2 = applied(
            store
                .update("/t/a", b"a2".to_vec(), a1.mod_revision)
                .await
                .unwrap(),
        );
        let (_, deleted_at) = applied(store.delete("/t/b", 0).await.unwrap());
        let c1 = applied(store.create("/t/c", b"c1".to_vec()).await.unwrap());
        let at = |r| list_all(&*store, "/t/", r);
        let kv = |k: &str, v: &str| (k.to_string(), v.as_bytes().to_vec());
        assert_eq!(at(a1.mod_revision).await, [kv("/t/a", "a1")]);
        assert_eq!(
            at(b1.mod_revision).await,
            [kv("/t/a", "a1"), kv("/t/b", "b1")]
        );
        assert_eq!(
            at(a2.mod_revision).await,
            [kv("/t/a", "a2"), kv("/t/b", "b1")]
        );
        assert_eq!(at(deleted_at).await, [kv("/t/a", "a2")]);
        assert_eq!(
            at(c1.mod_revision).await,
            [kv("/t/a", "a2"), kv("/t/c", "c1")]
        );
        // An old list reports the old key's revisions.
        let old = store.list("/t/", "", 0, b1.mod_revision).await.unwrap();
        assert_eq!(old.revision, b1.mod_revision);
        assert_eq!(old.kvs[0], a1);
        match store.list("/t/", "", 0, c1.mod_revision + 1000).await {
            Err(StoreError::FutureRevision { requested, current }) => {
                assert_eq!(requested, c1.mod_revision + 1000);
                assert!(current >= c1.mod_revision);
            }
            other => panic!("expected FutureRevision, got {other:?}"),
        }
    }

    pub async fn compaction_makes_old_revisions_gone(store: Arc<dyn Store>) {
        let a1 = applied(store.create("/t/a", b"a1".to_vec()).await.unwrap());
        let b1 = applied(store.create("/t/b", b"b1".to_vec()).await.unwrap());
        let a2 = applied(
            store
                .update("/t/a", b"a2".to_vec(), a1.mod_revision)
                .await
                .unwrap(),
        );
        let (_, b_deleted) = applied(store.delete("/t/b", 0).await.unwrap());
        let c1 = applied(store.create("/t/c", b"c1".to_vec()).await.unwrap());
        let a3 = applied(
            store
                .update("/t/a", b"a3".to_vec(), a2.mod_revision)
                .await
                .unwrap(),
        );
        let compact_at = b_deleted + 1; // == c1
        assert_eq!(compact_at, c1.mod_revision);
        store.compact(compact_at).await.unwrap();
        let (current, compacted) = store.revisions().await.unwrap();
        assert_eq!(compacted, compact_at);
        assert!(current >= a3.mod_revision);

        for revision in [a1.mod_revision, b1.mod_revision, compact_at - 1] {
            match store.list("/t/", "", 0, revision).await {
                Err(StoreError::Compacted {
                    requested,
                    compact_revision,
                }) => {
                    assert_eq!(requested, revision);
                    assert_eq!(compact_revision, compact_at);
                }
                other => panic!("list at {revision}: expected Compacted, got {other:?}"),
            }
        }
        let kv = |k: &str, v: &str| (k.to_string(), v.as_bytes().to_vec());
        // The state at the compact revision and after is intact.
        assert_eq!(
            list_all(&*store, "/t/", compact_at).await,
            [kv("/t/a", "a2"), kv("/t/c", "c1")]
        );
        assert_eq!(
            list_all(&*store, "/t/", 0).await,
            [kv("/t/a", "a3"), kv("/t/c", "c1")]
        );
        assert_eq!(store.get("/t/a").await.unwrap().0, Some(a3.clone()));

        match store.watch("/t/", compact_at - 2).await {
            Err(StoreError::Compacted { .. }) => {}
            Ok(_) => panic!("watch below the compact revision must fail"),
            Err(e) => panic!("expected Compacted, got {e}"),
        }
        // Like etcd, the events from the compact revision on are kept.
        let mut watch = store.watch("/t/", compact_at - 1).await.unwrap();
        let event = next_event(&mut watch).await;
        assert_eq!(event.revision(), c1.mod_revision);
        assert!(matches!(&event, Event::Put { kv, .. } if *kv == c1));
        let event = next_event(&mut watch).await;
        match event {
            Event::Put { kv, prev } => {
                assert_eq!(kv, a3);
                assert_eq!(prev, Some(a2));
            }
            other => panic!("expected the put of a3, got {other:?}"),
        }
        // Compacting again to the same or an older revision is an error, as in etcd.
        assert!(matches!(
            store.compact(compact_at).await,
            Err(StoreError::Compacted { .. })
        ));
        let (current, _) = store.revisions().await.unwrap();
        assert!(matches!(
            store.compact(current + 10).await,
            Err(StoreError::FutureRevision { .. })
        ));
    }

    pub async fn watch_events_carry_values(store: Arc<dyn Store>) {
        // Revision 1 goes elsewhere: `after = 0` means "from now", not "from the start".
        put(&*store, "/other", "x").await;
        let mut watch = store.watch("/t/", 0).await.unwrap();
        let v1 = applied(store.create("/t/a", b"1".to_vec()).await.unwrap());
        let v2 = applied(
            store
                .update("/t/a", b"2".to_vec(), v1.mod_revision)
                .await
                .unwrap(),
        );
        let (_, deleted) = applied(store.delete("/t/a", 0).await.unwrap());
        let live = [
            next_event(&mut watch).await,
            next_event(&mut watch).await,
            next_event(&mut watch).await,
        ];
        let expected = [
            Event::Put {
                kv: v1.clone(),
                prev: None,
            },
            Event::Put {
                kv: v2.clone(),
                prev: Some(v1.clone()),
            },
            Event::Delete {
                prev: v2.clone(),
                revision: deleted,
            },
        ];
        assert_eq!(live, expected);
        // The same events replayed from history.
        let mut replay = store.watch("/t/", v1.mod_revision - 1).await.unwrap();
        let history = [
            next_event(&mut replay).await,
            next_event(&mut replay).await,
            next_event(&mut replay).await,
        ];
        assert_eq!(history, expected);
    }

    pub async fn watch_history_then_live_without_gap_or_duplicate(store: Arc<dyn Store>) {
        const WRITERS: usize = 8;
        const WRITES: usize = 40;
        for i in 0..20 {
            put(&*store, &format!("/t/w/{i}"), "before").await;
        }
        let (from, _) = store.revisions().await.unwrap();
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let store = store.clone();
                tokio::spawn(async move {
                    let mut revisions = Vec::new();
                    for i in 0..WRITES {
                        let key = format!("/t/w/{}", (w * WRITES + i) % 20);
                        loop {
                            let current = store.get(&key).await.unwrap().0.unwrap();
                            match store
                                .update(&key, format!("{w}-{i}").into_bytes(), current.mod_revision)
                                .await
                            {
                                Ok(TxnOutcome::Applied(kv)) => {
                                    revisions.push(kv.mod_revision);
                                    break;
                                }
                                Ok(TxnOutcome::Conflict(_)) => continue,
                                Err(e) => panic!("update: {e}"),
                            }
                        }
                        // Unrelated keys must not show up in the watch.
                        put(&*store, &format!("/other/{w}"), "x").await;
                    }
                    revisions
                })
            })
            .collect();
        // Start watching while the writers run: part history, part live.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let mut watch = store.watch("/t/w/", from).await.unwrap();
        let mut acknowledged = BTreeSet::new();
        for writer in writers {
            acknowledged.extend(writer.await.unwrap());
        }
        let mut seen = Vec::new();
        while seen.len() < acknowledged.len() {
            let event = next_event(&mut watch).await;
            assert!(
                event.key().starts_with("/t/w/"),
                "foreign key {}",
                event.key()
            );
            seen.push(event.revision());
        }
        assert!(
            seen.windows(2).all(|w| w[0] < w[1]),
            "events out of order or duplicated"
        );
        assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), acknowledged);
        // Nothing more: the next event is a fresh write.
        let last = put(&*store, "/t/w/0", "after").await;
        assert_eq!(next_event(&mut watch).await.revision(), last.mod_revision);
    }

    pub async fn watch_sees_only_its_prefix(store: Arc<dyn Store>) {
        let mut watch = store.watch("/t/a/", 0).await.unwrap();
        put(&*store, "/t/ab", "no").await;
        put(&*store, "/t/b/x", "no").await;
        put(&*store, "/t/a", "no").await;
        let mine = put(&*store, "/t/a/x", "yes").await;
        put(&*store, "/t/a0", "no").await;
        let last = put(&*store, "/t/a/y", "yes").await;
        assert_eq!(next_event(&mut watch).await.revision(), mine.mod_revision);
        assert_eq!(next_event(&mut watch).await.revision(), last.mod_revision);
    }

    pub async fn concurrent_writers_are_all_acknowledged(store: Arc<dyn Store>) {
        const TASKS: usize = 64;
        const EACH: usize = 10;
        let tasks: Vec<_> = (0..TASKS)
            .map(|t| {
                let store = store.clone();
                tokio::spawn(async move {
                    let mut out = Vec::new();
                    for i in 0..EACH {
                        let key = format!("/t/{t:03}/{i:03}");
                        let kv =
                            applied(store.create(&key, key.clone().into_bytes()).await.unwrap());
                        out.push(kv);
                    }
                    out
                })
            })
            .collect();
        let mut written = BTreeMap::new();
        for task in tasks {
            for kv in task.await.unwrap() {
                written.insert(kv.key.clone(), kv);
            }
        }
        let revisions: BTreeSet<_> = written.values().map(|kv| kv.mod_revision).collect();
        assert_eq!(
            revisions.len(),
            TASKS * EACH,
            "every write has its own revision"
        );
        let listed = store.list("/t/", "", 0, 0).await.unwrap().kvs;
        assert_eq!(listed, written.into_values().collect::<Vec<_>>());
        assert_eq!(store.count("/t/").await.unwrap(), (TASKS * EACH) as i64);
    }
}

/// Declares one `#[tokio::test]` per suite case for a backend.
macro_rules! conformance {
    ($backend:ident, $harness:path) => {
        mod $backend {
            use super::suite;
            conformance!(@cases $harness;
                create_and_conflict,
                update_with_stale_revision_conflicts,
                delete_is_conditional,
                list_is_ordered_and_bounded_by_prefix,
                paginate_at_a_fixed_revision_while_writing,
                list_at_an_old_revision,
                compaction_makes_old_revisions_gone,
                watch_events_carry_values,
                watch_history_then_live_without_gap_or_duplicate,
                watch_sees_only_its_prefix,
                concurrent_writers_are_all_acknowledged,
            );
        }
    };
    (@cases $harness:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let harness = <$harness>::start().await;
                suite::$case(harness.store()).await;
            }
        )*
    };
}

conformance!(sqlite, crate::support::SqliteHarness);
conformance!(etcd, crate::support::EtcdHarness);
