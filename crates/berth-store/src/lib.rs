//! The `Store` trait: a revisioned key-value store with etcd v3 semantics, and its backends.
//!
//! Every write bumps one cluster-wide revision; the revision of the write that last
//! changed a key is that key's `mod_revision` and, above the store, the object's
//! `resourceVersion`. Only the API server talks to a `Store`.

use std::pin::Pin;

use async_trait::async_trait;
use futures_util::Stream;

/// A store revision (etcd's `revision`, Kubernetes' `resourceVersion`).
pub type Revision = i64;

/// One key at one revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyValue {
    pub key: String,
    pub value: Vec<u8>,
    /// Revision of the write that created the key (its current incarnation).
    pub create_revision: Revision,
    /// Revision of the write that last changed the key.
    pub mod_revision: Revision,
}

/// The answer to a range read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RangeResponse {
    /// Keys in ascending order.
    pub kvs: Vec<KeyValue>,
    /// True when `limit` cut the answer short: more keys follow the last one.
    pub more: bool,
    /// The store revision the read was served at.
    pub revision: Revision,
}

/// What a watch reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A key was created or changed. `kv.mod_revision` is the event's revision.
    Put {
        kv: KeyValue,
        prev: Option<KeyValue>,
    },
    /// A key was deleted at `revision`; `prev` is its last value.
    Delete { prev: KeyValue, revision: Revision },
}

impl Event {
    /// The revision at which the event happened.
    pub fn revision(&self) -> Revision {
        match self {
            Event::Put { kv, .. } => kv.mod_revision,
            Event::Delete { revision, .. } => *revision,
        }
    }
    /// The key the event is about.
    pub fn key(&self) -> &str {
        match self {
            Event::Put { kv, .. } => &kv.key,
            Event::Delete { prev, .. } => &prev.key,
        }
    }
}

/// The outcome of a conditional write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxnOutcome<T> {
    /// The write was applied.
    Applied(T),
    /// The comparison failed; carries the key's current value, if any.
    Conflict(Option<KeyValue>),
}

/// Errors from a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The requested revision was compacted away (Kubernetes answers 410 Gone).
    #[error("the requested revision {requested} has been compacted (compacted up to {compact_revision})")]
    Compacted {
        requested: Revision,
        compact_revision: Revision,
    },
    /// The requested revision is newer than the store's (Kubernetes: "Too large resource version").
    #[error("the requested revision {requested} is newer than the current revision {current}")]
    FutureRevision {
        requested: Revision,
        current: Revision,
    },
    /// The backend failed (I/O, corruption, lost connection). The message says what.
    #[error("storage backend error: {0}")]
    Backend(String),
    /// The store is shutting down.
    #[error("the store is closed")]
    Closed,
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A stream of watch events in revision order. An `Err` ends the stream.
pub type WatchStream = Pin<Box<dyn Stream<Item = Result<Event>> + Send>>;

/// A revisioned key-value store with etcd v3 semantics.
///
/// All writes are durable when they return `Ok`: a crash or kill -9 right after loses nothing.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Reads one key at the current revision. Also returns the current revision.
    async fn get(&self, key: &str) -> Result<(Option<KeyValue>, Revision)>;

    /// Reads keys starting with `prefix`, beginning at `start` (inclusive; `""` = from the
    /// first key of the prefix), at most `limit` keys (`0` = all), at `revision`
    /// (`0` = current). Errors with `Compacted` if `revision` was compacted away and
    /// `FutureRevision` if it is newer than the store.
    async fn list(
        &self,
        prefix: &str,
        start: &str,
        limit: usize,
        revision: Revision,
    ) -> Result<RangeResponse>;

    /// Counts the keys under `prefix` at the current revision.
    async fn count(&self, prefix: &str) -> Result<i64>;

    /// Creates `key` if it does not exist. Applied: the new key.
    async fn create(&self, key: &str, value: Vec<u8>) -> Result<TxnOutcome<KeyValue>>;

    /// Replaces `key` if its `mod_revision` equals `expected` (etcd txn compare).
    /// Applied: the new key.
    async fn update(
        &self,
        key: &str,
        value: Vec<u8>,
        expected: Revision,
    ) -> Result<TxnOutcome<KeyValue>>;

    /// Deletes `key` if its `mod_revision` equals `expected` (`0` = unconditionally, but
    /// it must exist). Applied: the deleted value and the revision of the delete.
    async fn delete(
        &self,
        key: &str,
        expected: Revision,
    ) -> Result<TxnOutcome<(KeyValue, Revision)>>;

    /// Watches keys under `prefix` for events with revision > `after`. `after = 0` means
    /// from now. Errors with `Compacted` if events after `after` are no longer kept.
    async fn watch(&self, prefix: &str, after: Revision) -> Result<WatchStream>;

    /// Drops history older than `revision` (keeps the latest value of every live key).
    async fn compact(&self, revision: Revision) -> Result<()>;

    /// The current revision and the compacted revision.
    async fn revisions(&self) -> Result<(Revision, Revision)>;
}

pub mod etcd;
mod keys;
pub mod sqlite;

pub use etcd::EtcdStore;
pub use sqlite::{SqliteOptions, SqliteStore};

/// Opens the store named by `endpoint`, as given to `--datastore-endpoint`:
/// `http://host:port[,http://host:port…]` is an etcd cluster (TLS is not supported yet); `sqlite://PATH` or a
/// plain file path is a SQLite database (created if missing, with default options).
pub async fn open(endpoint: &str) -> Result<std::sync::Arc<dyn Store>> {
    let endpoint = endpoint.trim();
    if endpoint.starts_with("https://") {
        return Err(StoreError::Backend(format!(
            "datastore endpoint {endpoint}: TLS to etcd is not supported yet; use http:// on a trusted network"
        )));
    }
    if endpoint.starts_with("http://") {
        let endpoints: Vec<String> = endpoint.split(',').map(|e| e.trim().to_string()).collect();
        return Ok(EtcdStore::connect(&endpoints).await?);
    }
    let path = endpoint.strip_prefix("sqlite://").unwrap_or(endpoint);
    if path.is_empty() {
        return Err(StoreError::Backend(
            "empty datastore endpoint: give a SQLite file path or http://host:port of etcd".into(),
        ));
    }
    let path = path.to_string();
    let store = tokio::task::spawn_blocking(move || SqliteStore::open(path))
        .await
        .map_err(|e| StoreError::Backend(format!("opening the SQLite datastore failed: {e}")))??;
    Ok(store)
}
