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

/// Path of the etcd server binary: `$BERTH_TEST_ETCD` or Debian's `/usr/bin/etcd`.
fn etcd_binary() -> std::path::PathBuf {
    let path = std::env::var_os("BERTH_TEST_ETCD")
        .map(Into::into)
        .unwrap_or_else(|| "/usr/bin/etcd".into());
    assert!(
        std::path::Path::new(&path).exists(),
        "{} not found: the etcd backend tests need a real etcd (apt-get install -y etcd-server)",
        std::path::Path::new(&path).display()
    );
    path
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

/// Kills the etcd child by PID and reaps it, also when a test fails.
struct ChildGuard(std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A real etcd on 127.0.0.1 with free ports and a temp data dir, and a store on it.
pub struct EtcdHarness {
    store: Arc<berth_store::EtcdStore>,
    pub endpoint: String,
    // Field order: the store goes first, then etcd is killed, then its data dir removed.
    _child: ChildGuard,
    _dir: tempfile::TempDir,
}

impl EtcdHarness {
    pub async fn start() -> EtcdHarness {
        let binary = etcd_binary();
        let mut last_error = String::new();
        for _attempt in 0..3 {
            let dir = tempfile::tempdir().expect("temp dir");
            let (client, peer) = (free_port(), free_port());
            let client_url = format!("http://127.0.0.1:{client}");
            let peer_url = format!("http://127.0.0.1:{peer}");
            let log = std::fs::File::create(dir.path().join("etcd.log")).expect("etcd log");
            let child = std::process::Command::new(&binary)
                .arg("--name=berth-test")
                .arg(format!("--data-dir={}", dir.path().join("data").display()))
                .arg(format!("--listen-client-urls={client_url}"))
                .arg(format!("--advertise-client-urls={client_url}"))
                .arg(format!("--listen-peer-urls={peer_url}"))
                .arg(format!("--initial-advertise-peer-urls={peer_url}"))
                .arg(format!("--initial-cluster=berth-test={peer_url}"))
                .stdout(log.try_clone().expect("etcd log"))
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
            let mut child = ChildGuard(child);
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            let ready = loop {
                if let Ok(Some(status)) = child.0.try_wait() {
                    break Err(format!("etcd exited with {status}"));
                }
                if std::time::Instant::now() > deadline {
                    break Err("etcd did not listen within 30s".to_string());
                }
                if std::net::TcpStream::connect(("127.0.0.1", client)).is_ok() {
                    break Ok(());
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            };
            let connected = match ready {
                Ok(()) => berth_store::EtcdStore::connect(std::slice::from_ref(&client_url))
                    .await
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e),
            };
            match connected {
                Ok(store) => {
                    return EtcdHarness {
                        store,
                        endpoint: client_url,
                        _child: child,
                        _dir: dir,
                    }
                }
                Err(e) => {
                    let log =
                        std::fs::read_to_string(dir.path().join("etcd.log")).unwrap_or_default();
                    last_error = format!("{e}\n{log}");
                }
            }
        }
        panic!("cannot start etcd: {last_error}");
    }

    pub fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }
}
