//! Test harnesses: a fresh SQLite store in a temp dir, or a real etcd child process.

#![allow(dead_code)]

use std::sync::Arc;

use berth_store::{SqliteStore, Store};

/// A fresh SQLite store in its own temp dir, removed on drop.
pub struct SqliteHarness {
    store: Arc<SqliteStore>,
    _dir: tempfile::TempDir,
}

impl SqliteHarness {
    pub async fn start() -> SqliteHarness {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path().join("state.db")).expect("open sqlite store");
        SqliteHarness { store, _dir: dir }
    }

    pub fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }
}
