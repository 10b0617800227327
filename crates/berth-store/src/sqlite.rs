//! SQLite backend: a kine-style revision log in one file, with group commit and watch fan-out.
//!
//! # Layout
//! Table `kv` holds one row per revision (`id` = revision): the key's `name`, flags
//! `created`/`deleted`, its `create_revision`, the revision of the key's previous row
//! (`prev_revision`) and the `value` (for a delete: the last value). The key's state at
//! revision R is its newest row with `id <= R`, absent if that row is a delete.
//! Table `meta` holds the compact revision.
//!
//! # Writes
//! One writer thread owns the only writing connection. It takes every pending write
//! request, applies them in order in one transaction (each with its own compare), commits
//! once (one fsync, `synchronous=FULL` in WAL mode: an acknowledged write survives
//! kill -9), then publishes the events and answers each caller.
//!
//! # Reads
//! A small pool of read connections used from `spawn_blocking`; each read runs in
//! its own read transaction, so it sees one consistent snapshot and its revision.
//!
//! # Watch
//! A watcher subscribes to the writer's broadcast channel first, then replays history
//! from the table up to the revision current at subscription, then forwards live
//! events above it: no gap, no duplicate. The channel holds
//! [`SqliteOptions::watch_buffer`] events; a watcher that falls further behind is ended
//! with [`StoreError::Compacted`] (`requested` = the next revision it would have
//! received), so Kubernetes clients re-list instead of the store buffering without bound.
//!
//! # Size
//! `compact` deletes superseded rows and old delete tombstones, then frees pages
//! (`auto_vacuum=INCREMENTAL`) and truncates the WAL (`wal_checkpoint(TRUNCATE)`) when
//! no reader holds it; `journal_size_limit` caps what a reset WAL keeps on disk. An
//! automatic compactor runs every [`SqliteOptions::compact_interval`].

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use tokio::sync::{broadcast, oneshot, Semaphore};

use crate::keys::{prefix_end, range_start};
use crate::{
    Event, KeyValue, RangeResponse, Result, Revision, Store, StoreError, TxnOutcome, WatchStream,
};

/// Tuning of a [`SqliteStore`]. `Default` gives berth's defaults.
#[derive(Clone, Debug)]
pub struct SqliteOptions {
    /// How often the automatic compactor runs (kube-apiserver: 5 minutes). Zero disables it.
    pub compact_interval: Duration,
    /// History kept by the automatic compactor, in time: it compacts to the revision
    /// that was current this long ago.
    pub compact_retain: Duration,
    /// History kept by the automatic compactor, in revisions (kine keeps 1000).
    pub compact_min_retain_revisions: i64,
    /// How often the writer tries to truncate the WAL when idle.
    pub checkpoint_interval: Duration,
    /// Bytes of WAL file kept after a checkpoint resets it (`PRAGMA journal_size_limit`).
    pub journal_size_limit: i64,
    /// Most write requests committed in one transaction.
    pub max_batch: usize,
    /// Events a watcher may lag behind the writer before its stream is ended.
    pub watch_buffer: usize,
    /// Read connections (and concurrent blocking reads).
    pub readers: usize,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            compact_interval: Duration::from_secs(300),
            compact_retain: Duration::from_secs(300),
            compact_min_retain_revisions: 1000,
            checkpoint_interval: Duration::from_secs(60),
            journal_size_limit: 64 << 20,
            max_batch: 1024,
            watch_buffer: 16 * 1024,
            readers: 4,
        }
    }
}

/// Revisions a single compaction transaction covers, so writes interleave with a long compaction.
const COMPACT_CHUNK: Revision = 10_000;
/// Events read from the table per history page of a watch.
const HISTORY_PAGE: i64 = 512;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS kv (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name BLOB NOT NULL,
    created INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    create_revision INTEGER NOT NULL,
    prev_revision INTEGER NOT NULL,
    value BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS kv_name_id ON kv (name, id);
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT OR IGNORE INTO meta (name, value) VALUES ('compact_revision', 0);
";

fn db_err(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(format!("sqlite: {e}"))
}

trait DbResult<T> {
    fn db(self) -> Result<T>;
}

impl<T> DbResult<T> for rusqlite::Result<T> {
    fn db(self) -> Result<T> {
        self.map_err(db_err)
    }
}

/// State shared by the store handle, its readers and its watch streams.
struct Shared {
    path: PathBuf,
    /// Revision of the last committed write; updated before its events are published.
    current: AtomicI64,
    compacted: AtomicI64,
    pool: Mutex<Vec<Connection>>,
    read_slots: Semaphore,
    events: broadcast::Sender<Arc<Event>>,
}

/// The SQLite store: berth's default datastore, one file plus its WAL.
pub struct SqliteStore {
    shared: Arc<Shared>,
    requests: Option<mpsc::Sender<Request>>,
    writer: Option<JoinHandle<()>>,
}

enum Op {
    Create {
        key: String,
        value: Vec<u8>,
    },
    Update {
        key: String,
        value: Vec<u8>,
        expected: Revision,
    },
    Delete {
        key: String,
        expected: Revision,
    },
}

/// Applied: (the new key, or for a delete the deleted value; the write's revision).
type WriteResult = Result<TxnOutcome<(KeyValue, Revision)>>;

enum Request {
    Write {
        op: Op,
        reply: oneshot::Sender<WriteResult>,
    },
    Compact {
        revision: Revision,
        reply: oneshot::Sender<Result<()>>,
    },
    Checkpoint {
        reply: oneshot::Sender<Result<()>>,
    },
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path` with default options.
    pub fn open(path: impl AsRef<Path>) -> Result<Arc<SqliteStore>> {
        Self::open_with(path, SqliteOptions::default())
    }

    /// Opens (creating if needed) the store at `path`.
    pub fn open_with(path: impl AsRef<Path>, options: SqliteOptions) -> Result<Arc<SqliteStore>> {
        let path = path.as_ref().to_path_buf();
        let conn = open_connection(&path).map_err(|e| {
            StoreError::Backend(format!(
                "cannot open the SQLite datastore {}: {e} (check that the directory exists and is writable)",
                path.display()
            ))
        })?;
        // auto_vacuum only takes effect before the first table exists: set it first.
        conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")
            .db()?;
        conn.pragma_update(None, "journal_mode", "WAL").db()?;
        conn.pragma_update(None, "synchronous", "FULL").db()?;
        conn.pragma_update(None, "journal_size_limit", options.journal_size_limit)
            .db()?;
        conn.execute_batch(SCHEMA).db()?;
        let current = current_revision(&conn)?;
        let compacted = compact_revision(&conn)?;

        let (events, _) = broadcast::channel(options.watch_buffer.max(16));
        let shared = Arc::new(Shared {
            path,
            current: AtomicI64::new(current),
            compacted: AtomicI64::new(compacted),
            pool: Mutex::new(Vec::new()),
            read_slots: Semaphore::new(options.readers.max(1)),
            events,
        });
        let (tx, rx) = mpsc::channel();
        let writer = Writer {
            conn,
            shared: shared.clone(),
            revision: current,
            compacted,
            options,
            deferred: VecDeque::new(),
            samples: VecDeque::new(),
        };
        let handle = std::thread::Builder::new()
            .name("berth-store-writer".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| {
                StoreError::Backend(format!("cannot start the store writer thread: {e}"))
            })?;
        tracing::info!(path = %shared.path.display(), revision = current, compacted, "opened SQLite datastore");
        Ok(Arc::new(SqliteStore {
            shared,
            requests: Some(tx),
            writer: Some(handle),
        }))
    }

    /// Moves the WAL into the database file and truncates it if no reader holds it;
    /// frees unused pages. The writer also does this after each compaction and when idle.
    pub async fn checkpoint(&self) -> Result<()> {
        let (reply, rx) = oneshot::channel();
        self.send(Request::Checkpoint { reply })?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// The path of the database file (the WAL is this path with `-wal` appended).
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    fn send(&self, request: Request) -> Result<()> {
        self.requests
            .as_ref()
            .ok_or(StoreError::Closed)?
            .send(request)
            .map_err(|_| StoreError::Closed)
    }

    async fn write(&self, op: Op) -> WriteResult {
        let (reply, rx) = oneshot::channel();
        self.send(Request::Write { op, reply })?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T> + Send + 'static,
    {
        read(&self.shared, f).await
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        // Closing the channel stops the writer after the requests already queued.
        self.requests = None;
        if let Some(handle) = self.writer.take() {
            if handle.join().is_err() {
                tracing::error!("the store writer thread panicked");
            }
        }
    }
}

fn open_connection(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(10))?;
    Ok(conn)
}

/// Runs `f` in a read transaction on a pooled connection, off the async runtime.
async fn read<T, F>(shared: &Arc<Shared>, f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T> + Send + 'static,
{
    let _slot = shared
        .read_slots
        .acquire()
        .await
        .map_err(|_| StoreError::Closed)?;
    let shared = shared.clone();
    tokio::task::spawn_blocking(move || {
        let pooled = shared
            .pool
            .lock()
            .map_err(|_| StoreError::Backend("reader pool poisoned".into()))?
            .pop();
        let mut conn = match pooled {
            Some(conn) => conn,
            None => {
                let conn = open_connection(&shared.path).db()?;
                conn.pragma_update(None, "query_only", true).db()?;
                conn
            }
        };
        let result = conn.transaction().db().and_then(|tx| {
            let out = f(&tx)?;
            tx.commit().db()?;
            Ok(out)
        });
        if let Ok(mut pool) = shared.pool.lock() {
            pool.push(conn);
        }
        result
    })
    .await
    .map_err(|e| StoreError::Backend(format!("store read task failed: {e}")))?
}

fn current_revision(conn: &Connection) -> Result<Revision> {
    conn.query_row(
        "SELECT seq FROM sqlite_sequence WHERE name = 'kv'",
        [],
        |r| r.get(0),
    )
    .optional()
    .db()
    .map(|seq| seq.unwrap_or(0))
}

fn compact_revision(conn: &Connection) -> Result<Revision> {
    conn.query_row(
        "SELECT value FROM meta WHERE name = 'compact_revision'",
        [],
        |r| r.get(0),
    )
    .db()
}

fn key_string(name: Vec<u8>) -> Result<String> {
    String::from_utf8(name)
        .map_err(|e| StoreError::Backend(format!("sqlite: key is not UTF-8: {e}")))
}

/// The newest row of one key: its live value, or `None` if absent or deleted. Also the row id.
fn latest(conn: &Connection, key: &str) -> Result<(Option<KeyValue>, Revision)> {
    let mut stmt = conn
        .prepare_cached("SELECT id, deleted, create_revision, value FROM kv WHERE name = ?1 ORDER BY id DESC LIMIT 1")
        .db()?;
    let row = stmt
        .query_row([key.as_bytes()], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, bool>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, Vec<u8>>(3)?,
            ))
        })
        .optional()
        .db()?;
    Ok(match row {
        None => (None, 0),
        Some((id, true, ..)) => (None, id),
        Some((id, false, create_revision, value)) => (
            Some(KeyValue {
                key: key.to_string(),
                value,
                create_revision,
                mod_revision: id,
            }),
            id,
        ),
    })
}

/// Reads the keys of `[lo, hi)` at `revision`, at most `limit` (0 = all), in key order.
fn range_at(
    conn: &Connection,
    lo: &[u8],
    hi: Option<&[u8]>,
    revision: Revision,
    limit: usize,
) -> Result<Vec<KeyValue>> {
    // Scans (name, id) in name order and keeps each name's newest row at `revision`,
    // so a LIMIT stops the scan early (pagination does not read the whole prefix).
    let bound = if hi.is_some() {
        "AND a.name < ?2"
    } else {
        "AND ?2 IS NULL"
    };
    let sql = format!(
        "SELECT a.id, a.name, a.create_revision, a.value FROM kv AS a
         WHERE a.name >= ?1 {bound} AND a.deleted = 0
           AND a.id = (SELECT MAX(b.id) FROM kv AS b WHERE b.name = a.name AND b.id <= ?3)
         ORDER BY a.name LIMIT ?4"
    );
    let limit = if limit == 0 { -1 } else { limit as i64 };
    let mut stmt = conn.prepare_cached(&sql).db()?;
    let rows = stmt
        .query_map(params![lo, hi, revision, limit], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, Vec<u8>>(3)?,
            ))
        })
        .db()?;
    let mut kvs = Vec::new();
    for row in rows {
        let (id, name, create_revision, value) = row.db()?;
        kvs.push(KeyValue {
            key: key_string(name)?,
            value,
            create_revision,
            mod_revision: id,
        });
    }
    Ok(kvs)
}

/// Reads the events of keys in `[lo, hi)` with `after < revision <= high`, at most `limit`.
fn history(
    conn: &Connection,
    lo: &[u8],
    hi: Option<&[u8]>,
    after: Revision,
    high: Revision,
    limit: i64,
) -> Result<Vec<Event>> {
    let bound = if hi.is_some() {
        "AND e.name < ?2"
    } else {
        "AND ?2 IS NULL"
    };
    let sql = format!(
        "SELECT e.id, e.name, e.created, e.deleted, e.create_revision, e.prev_revision, e.value,
                p.create_revision, p.value
         FROM kv AS e LEFT JOIN kv AS p ON p.id = e.prev_revision AND e.created = 0 AND p.deleted = 0
         WHERE e.id > ?3 AND e.id <= ?4 AND e.name >= ?1 {bound}
         ORDER BY e.id LIMIT ?5"
    );
    let mut stmt = conn.prepare_cached(&sql).db()?;
    let rows = stmt
        .query_map(params![lo, hi, after, high, limit], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, bool>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, Vec<u8>>(6)?,
                r.get::<_, Option<i64>>(7)?,
                r.get::<_, Option<Vec<u8>>>(8)?,
            ))
        })
        .db()?;
    let mut events = Vec::new();
    for row in rows {
        let (id, name, deleted, create_revision, prev_revision, value, prev_create, prev_value) =
            row.db()?;
        let key = key_string(name)?;
        events.push(if deleted {
            Event::Delete {
                prev: KeyValue {
                    key,
                    value,
                    create_revision,
                    mod_revision: prev_revision,
                },
                revision: id,
            }
        } else {
            let prev = match (prev_create, prev_value) {
                (Some(create_revision), Some(value)) => Some(KeyValue {
                    key: key.clone(),
                    value,
                    create_revision,
                    mod_revision: prev_revision,
                }),
                _ => None,
            };
            Event::Put {
                kv: KeyValue {
                    key,
                    value,
                    create_revision,
                    mod_revision: id,
                },
                prev,
            }
        });
    }
    Ok(events)
}

fn check_revision(revision: Revision, current: Revision, compacted: Revision) -> Result<()> {
    if revision > current {
        return Err(StoreError::FutureRevision {
            requested: revision,
            current,
        });
    }
    if revision < compacted {
        return Err(StoreError::Compacted {
            requested: revision,
            compact_revision: compacted,
        });
    }
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    async fn get(&self, key: &str) -> Result<(Option<KeyValue>, Revision)> {
        let key = key.to_string();
        self.read(move |tx| {
            let revision = current_revision(tx)?;
            Ok((latest(tx, &key)?.0, revision))
        })
        .await
    }

    async fn list(
        &self,
        prefix: &str,
        start: &str,
        limit: usize,
        revision: Revision,
    ) -> Result<RangeResponse> {
        let lo = range_start(prefix, start).as_bytes().to_vec();
        let hi = prefix_end(prefix.as_bytes());
        self.read(move |tx| {
            let current = current_revision(tx)?;
            let at = if revision == 0 { current } else { revision };
            check_revision(at, current, compact_revision(tx)?)?;
            let fetch = if limit == 0 { 0 } else { limit + 1 };
            let mut kvs = range_at(tx, &lo, hi.as_deref(), at, fetch)?;
            let more = limit != 0 && kvs.len() > limit;
            kvs.truncate(if more { limit } else { kvs.len() });
            Ok(RangeResponse {
                kvs,
                more,
                revision: at,
            })
        })
        .await
    }

    async fn count(&self, prefix: &str) -> Result<i64> {
        let lo = prefix.as_bytes().to_vec();
        let hi = prefix_end(prefix.as_bytes());
        self.read(move |tx| {
            let bound = if hi.is_some() {
                "AND a.name < ?2"
            } else {
                "AND ?2 IS NULL"
            };
            let sql = format!(
                "SELECT COUNT(*) FROM kv AS a WHERE a.name >= ?1 {bound} AND a.deleted = 0
                   AND a.id = (SELECT MAX(b.id) FROM kv AS b WHERE b.name = a.name)"
            );
            tx.query_row(&sql, params![lo, hi], |r| r.get(0)).db()
        })
        .await
    }

    async fn create(&self, key: &str, value: Vec<u8>) -> Result<TxnOutcome<KeyValue>> {
        Ok(
            match self
                .write(Op::Create {
                    key: key.to_string(),
                    value,
                })
                .await?
            {
                TxnOutcome::Applied((kv, _)) => TxnOutcome::Applied(kv),
                TxnOutcome::Conflict(current) => TxnOutcome::Conflict(current),
            },
        )
    }

    async fn update(
        &self,
        key: &str,
        value: Vec<u8>,
        expected: Revision,
    ) -> Result<TxnOutcome<KeyValue>> {
        Ok(
            match self
                .write(Op::Update {
                    key: key.to_string(),
                    value,
                    expected,
                })
                .await?
            {
                TxnOutcome::Applied((kv, _)) => TxnOutcome::Applied(kv),
                TxnOutcome::Conflict(current) => TxnOutcome::Conflict(current),
            },
        )
    }

    async fn delete(
        &self,
        key: &str,
        expected: Revision,
    ) -> Result<TxnOutcome<(KeyValue, Revision)>> {
        self.write(Op::Delete {
            key: key.to_string(),
            expected,
        })
        .await
    }

    async fn watch(&self, prefix: &str, after: Revision) -> Result<WatchStream> {
        // Subscribe before choosing `high`: every event above `high` is published after
        // this point, so it reaches the receiver; every event up to `high` is in the table.
        let rx = self.shared.events.subscribe();
        let high = self.shared.current.load(Ordering::SeqCst);
        let compacted = self.shared.compacted.load(Ordering::SeqCst);
        let after = if after == 0 { high } else { after };
        // Like etcd: events from `compacted` on are kept, so `after = compacted - 1` is fine.
        if after + 1 < compacted {
            return Err(StoreError::Compacted {
                requested: after + 1,
                compact_revision: compacted,
            });
        }
        let state = WatchState {
            shared: self.shared.clone(),
            lo: prefix.as_bytes().to_vec(),
            hi: prefix_end(prefix.as_bytes()),
            prefix: prefix.to_string(),
            cursor: after,
            history_next: after,
            high,
            buffer: VecDeque::new(),
            rx,
            done: false,
        };
        Ok(Box::pin(futures_util::stream::unfold(
            state,
            |mut state| async move {
                let item = state.next().await?;
                Some((item, state))
            },
        )))
    }

    async fn compact(&self, revision: Revision) -> Result<()> {
        let (reply, rx) = oneshot::channel();
        self.send(Request::Compact { revision, reply })?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    async fn revisions(&self) -> Result<(Revision, Revision)> {
        Ok((
            self.shared.current.load(Ordering::SeqCst),
            self.shared.compacted.load(Ordering::SeqCst),
        ))
    }
}

/// One watcher: replays history pages, then forwards live events.
struct WatchState {
    shared: Arc<Shared>,
    prefix: String,
    lo: Vec<u8>,
    hi: Option<Vec<u8>>,
    /// Revision of the last event delivered (or skipped as already covered).
    cursor: Revision,
    /// History is read from here (exclusive) up to `high` (inclusive).
    history_next: Revision,
    high: Revision,
    buffer: VecDeque<Event>,
    rx: broadcast::Receiver<Arc<Event>>,
    done: bool,
}

impl WatchState {
    async fn next(&mut self) -> Option<Result<Event>> {
        loop {
            if self.done {
                return None;
            }
            if let Some(event) = self.buffer.pop_front() {
                self.cursor = event.revision();
                return Some(Ok(event));
            }
            if self.history_next < self.high {
                match self.history_page().await {
                    Ok(()) => continue,
                    Err(e) => return self.fail(e),
                }
            }
            self.cursor = self.cursor.max(self.high);
            match self.rx.recv().await {
                Ok(event) => {
                    if event.revision() > self.cursor && event.key().starts_with(&self.prefix) {
                        self.cursor = event.revision();
                        return Some(Ok((*event).clone()));
                    }
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    let current = self.shared.current.load(Ordering::SeqCst);
                    tracing::warn!(prefix = %self.prefix, missed, "ending a watch that fell too far behind");
                    return self.fail(StoreError::Compacted {
                        requested: self.cursor + 1,
                        compact_revision: current,
                    });
                }
                Err(broadcast::error::RecvError::Closed) => return self.fail(StoreError::Closed),
            }
        }
    }

    fn fail(&mut self, error: StoreError) -> Option<Result<Event>> {
        self.done = true;
        Some(Err(error))
    }

    async fn history_page(&mut self) -> Result<()> {
        let (lo, hi) = (self.lo.clone(), self.hi.clone());
        let (after, high) = (self.history_next, self.high);
        let events = read(&self.shared, move |tx| {
            let compacted = compact_revision(tx)?;
            if after + 1 < compacted {
                return Err(StoreError::Compacted {
                    requested: after + 1,
                    compact_revision: compacted,
                });
            }
            history(tx, &lo, hi.as_deref(), after, high, HISTORY_PAGE)
        })
        .await?;
        self.history_next = match events.last() {
            Some(last) if events.len() as i64 == HISTORY_PAGE => last.revision(),
            _ => high,
        };
        self.buffer.extend(events);
        Ok(())
    }
}

/// The writer thread's state: the only connection that writes.
struct Writer {
    conn: Connection,
    shared: Arc<Shared>,
    revision: Revision,
    compacted: Revision,
    options: SqliteOptions,
    /// Requests taken from the channel while a batch or a compaction chunk was being built.
    deferred: VecDeque<Request>,
    /// (time, revision) samples for the automatic compactor.
    samples: VecDeque<(Instant, Revision)>,
}

impl Writer {
    fn run(mut self, requests: mpsc::Receiver<Request>) {
        let start = Instant::now();
        let mut next_compact = start + self.options.compact_interval;
        let mut next_checkpoint = start + self.options.checkpoint_interval;
        self.samples.push_back((start, self.revision));
        loop {
            let request = match self.deferred.pop_front() {
                Some(request) => request,
                None => {
                    let mut deadline = next_checkpoint;
                    if !self.options.compact_interval.is_zero() {
                        deadline = deadline.min(next_compact);
                    }
                    match requests.recv_timeout(deadline.saturating_duration_since(Instant::now()))
                    {
                        Ok(request) => request,
                        Err(mpsc::RecvTimeoutError::Timeout) => {
                            let now = Instant::now();
                            if !self.options.compact_interval.is_zero() && now >= next_compact {
                                next_compact = now + self.options.compact_interval;
                                self.auto_compact(&requests, now);
                            }
                            if now >= next_checkpoint {
                                next_checkpoint = now + self.options.checkpoint_interval;
                                if let Err(e) = self.checkpoint() {
                                    tracing::warn!(error = %e, "WAL checkpoint failed");
                                }
                            }
                            continue;
                        }
                        Err(mpsc::RecvTimeoutError::Disconnected) => break,
                    }
                }
            };
            match request {
                Request::Write { op, reply } => {
                    let mut batch = vec![(op, reply)];
                    while batch.len() < self.options.max_batch.max(1) {
                        match requests.try_recv() {
                            Ok(Request::Write { op, reply }) => batch.push((op, reply)),
                            Ok(other) => {
                                self.deferred.push_back(other);
                                break;
                            }
                            Err(_) => break,
                        }
                    }
                    self.commit_batch(batch);
                }
                Request::Compact { revision, reply } => {
                    let result = self.compact(revision, &requests);
                    let _ = reply.send(result);
                }
                Request::Checkpoint { reply } => {
                    let _ = reply.send(self.checkpoint());
                }
            }
        }
        if let Err(e) = self.checkpoint() {
            tracing::warn!(error = %e, "final WAL checkpoint failed");
        }
    }

    /// Applies a batch in one transaction, commits once, publishes, then answers each caller.
    fn commit_batch(&mut self, batch: Vec<(Op, oneshot::Sender<WriteResult>)>) {
        let (ops, replies): (Vec<Op>, Vec<_>) = batch.into_iter().unzip();
        match self.apply(ops) {
            Ok((outcomes, events)) => {
                self.shared.current.store(self.revision, Ordering::SeqCst);
                for event in events {
                    // No receiver is not an error: nobody watches.
                    let _ = self.shared.events.send(Arc::new(event));
                }
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "store write transaction failed");
                for reply in replies {
                    let _ = reply.send(Err(StoreError::Backend(e.to_string())));
                }
            }
        }
    }

    #[allow(clippy::type_complexity)]
    fn apply(
        &mut self,
        ops: Vec<Op>,
    ) -> Result<(Vec<TxnOutcome<(KeyValue, Revision)>>, Vec<Event>)> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .db()?;
        // The revision counter lives in this thread: a second process writing the same
        // file would break it (and its watchers would miss our events). Refuse loudly.
        let on_disk = current_revision(&tx)?;
        if on_disk != self.revision {
            return Err(StoreError::Backend(format!(
                "another process wrote to the datastore {} (revision {on_disk}, expected {}): \
                 only one berth server may use a SQLite datastore; use etcd for several",
                self.shared.path.display(),
                self.revision
            )));
        }
        let mut revision = self.revision;
        let mut outcomes = Vec::with_capacity(ops.len());
        let mut events = Vec::new();
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO kv (id, name, created, deleted, create_revision, prev_revision, value)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .db()?;
            for op in ops {
                let key = match &op {
                    Op::Create { key, .. } | Op::Update { key, .. } | Op::Delete { key, .. } => {
                        key.clone()
                    }
                };
                let (current, last_row) = latest(&tx, &key)?;
                let next = revision + 1;
                let outcome = match (op, current) {
                    (Op::Create { value, .. }, None) => {
                        insert
                            .execute(params![
                                next,
                                key.as_bytes(),
                                true,
                                false,
                                next,
                                last_row,
                                value
                            ])
                            .db()?;
                        let kv = KeyValue {
                            key,
                            value,
                            create_revision: next,
                            mod_revision: next,
                        };
                        events.push(Event::Put {
                            kv: kv.clone(),
                            prev: None,
                        });
                        TxnOutcome::Applied((kv, next))
                    }
                    (Op::Create { .. }, current) => TxnOutcome::Conflict(current),
                    (
                        Op::Update {
                            value, expected, ..
                        },
                        Some(prev),
                    ) if prev.mod_revision == expected => {
                        insert
                            .execute(params![
                                next,
                                key.as_bytes(),
                                false,
                                false,
                                prev.create_revision,
                                last_row,
                                value
                            ])
                            .db()?;
                        let kv = KeyValue {
                            key,
                            value,
                            create_revision: prev.create_revision,
                            mod_revision: next,
                        };
                        events.push(Event::Put {
                            kv: kv.clone(),
                            prev: Some(prev),
                        });
                        TxnOutcome::Applied((kv, next))
                    }
                    (Op::Update { .. }, current) => TxnOutcome::Conflict(current),
                    (Op::Delete { expected, .. }, Some(prev))
                        if expected == 0 || prev.mod_revision == expected =>
                    {
                        insert
                            .execute(params![
                                next,
                                key.as_bytes(),
                                false,
                                true,
                                prev.create_revision,
                                last_row,
                                prev.value
                            ])
                            .db()?;
                        events.push(Event::Delete {
                            prev: prev.clone(),
                            revision: next,
                        });
                        TxnOutcome::Applied((prev, next))
                    }
                    (Op::Delete { .. }, current) => TxnOutcome::Conflict(current),
                };
                if matches!(outcome, TxnOutcome::Applied(_)) {
                    revision = next;
                }
                outcomes.push(outcome);
            }
        }
        tx.commit().db()?;
        self.revision = revision;
        Ok((outcomes, events))
    }

    /// Compacts up to `target` in chunks, serving queued writes between chunks.
    fn compact(&mut self, target: Revision, requests: &mpsc::Receiver<Request>) -> Result<()> {
        if target > self.revision {
            return Err(StoreError::FutureRevision {
                requested: target,
                current: self.revision,
            });
        }
        if target <= self.compacted {
            return Err(StoreError::Compacted {
                requested: target,
                compact_revision: self.compacted,
            });
        }
        let started = Instant::now();
        let mut removed = 0;
        while self.compacted < target {
            let to = target.min(self.compacted + COMPACT_CHUNK);
            removed += self.compact_chunk(self.compacted, to)?;
            self.compacted = to;
            self.shared.compacted.store(to, Ordering::SeqCst);
            if self.compacted < target {
                self.serve_pending_writes(requests);
            }
        }
        // Freed pages go back to the file system, then the WAL is emptied if readers allow.
        if let Err(e) = self.checkpoint() {
            tracing::warn!(error = %e, "WAL checkpoint after compaction failed");
        }
        tracing::info!(
            revision = target,
            removed,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "compacted the datastore"
        );
        Ok(())
    }

    /// Deletes rows superseded by a row in `(from, to]` and tombstones in `[from, to)`;
    /// records `to` as the compact revision in the same transaction.
    fn compact_chunk(&mut self, from: Revision, to: Revision) -> Result<usize> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .db()?;
        let superseded = tx
            .execute(
                "DELETE FROM kv WHERE id IN
                   (SELECT prev_revision FROM kv WHERE id > ?1 AND id <= ?2 AND prev_revision > 0)",
                params![from, to],
            )
            .db()?;
        // A tombstone at exactly `to` stays: events from the compact revision on are kept.
        let tombstones = tx
            .execute(
                "DELETE FROM kv WHERE id >= ?1 AND id < ?2 AND deleted = 1",
                params![from, to],
            )
            .db()?;
        tx.execute(
            "UPDATE meta SET value = ?1 WHERE name = 'compact_revision'",
            [to],
        )
        .db()?;
        tx.commit().db()?;
        Ok(superseded + tombstones)
    }

    fn serve_pending_writes(&mut self, requests: &mpsc::Receiver<Request>) {
        let mut batch = Vec::new();
        while batch.len() < self.options.max_batch.max(1) {
            match requests.try_recv() {
                Ok(Request::Write { op, reply }) => batch.push((op, reply)),
                Ok(other) => self.deferred.push_back(other),
                Err(_) => break,
            }
        }
        if !batch.is_empty() {
            self.commit_batch(batch);
        }
    }

    /// Picks the revision that was current `compact_retain` ago, keeping at least
    /// `compact_min_retain_revisions`, and compacts to it.
    fn auto_compact(&mut self, requests: &mpsc::Receiver<Request>, now: Instant) {
        self.samples.push_back((now, self.revision));
        let mut target = 0;
        while let Some(&(at, revision)) = self.samples.front() {
            if now.duration_since(at) < self.options.compact_retain {
                break;
            }
            target = revision;
            self.samples.pop_front();
        }
        let target = target.min(self.revision - self.options.compact_min_retain_revisions);
        if target > self.compacted {
            if let Err(e) = self.compact(target, requests) {
                tracing::warn!(error = %e, revision = target, "automatic compaction failed");
            }
        }
    }

    /// Truncates the WAL if no reader holds an old snapshot; otherwise leaves it for later.
    fn checkpoint(&mut self) -> Result<()> {
        // Each step of this pragma frees one page: run it to the end.
        let mut vacuum = self.conn.prepare_cached("PRAGMA incremental_vacuum").db()?;
        let mut rows = vacuum.query([]).db()?;
        while rows.next().db()?.is_some() {}
        drop(rows);
        drop(vacuum);
        // Do not wait long for readers: writers are blocked meanwhile. A busy result is fine.
        self.conn.busy_timeout(Duration::from_millis(100)).db()?;
        let result = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                r.get::<_, i64>(0)
            });
        self.conn.busy_timeout(Duration::from_secs(10)).db()?;
        match result {
            Ok(0) => Ok(()),
            Ok(_) => {
                tracing::debug!("WAL checkpoint postponed: readers hold the log");
                Ok(())
            }
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy =>
            {
                Ok(())
            }
            Err(e) => Err(db_err(e)),
        }
    }
}
