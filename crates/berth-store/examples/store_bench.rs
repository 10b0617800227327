//! Measures the stores side by side: writes/s at 1, 16 and 64 writers, and list latency,
//! for SQLite, the etcd backend, and raw etcd-client puts/gets (the baseline).
//!
//! `cargo run --release -p berth-store --example store_bench`; starts its own etcd on
//! 127.0.0.1 (`$BERTH_BENCH_ETCD` or /usr/bin/etcd) unless `$BERTH_BENCH_ETCD_ENDPOINT` is set.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use berth_store::{EtcdStore, SqliteStore, Store, TxnOutcome};
use etcd_client::{Client, GetOptions};

/// How long each write measurement runs.
const WRITE_TIME: Duration = Duration::from_secs(3);
const LIST_KEYS: usize = 1000;
const LIST_ROUNDS: usize = 50;
const VALUE: usize = 1024;

/// Kills the etcd child by PID on drop.
struct Etcd(Child);

impl Drop for Etcd {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn start_etcd(dir: &std::path::Path) -> Result<(Etcd, String), Box<dyn std::error::Error>> {
    let binary = std::env::var("BERTH_BENCH_ETCD").unwrap_or_else(|_| "/usr/bin/etcd".into());
    let (client, peer) = (free_port()?, free_port()?);
    let client_url = format!("http://127.0.0.1:{client}");
    let peer_url = format!("http://127.0.0.1:{peer}");
    let child = Command::new(binary)
        .arg("--name=bench")
        .arg(format!("--data-dir={}", dir.join("etcd").display()))
        .arg(format!("--listen-client-urls={client_url}"))
        .arg(format!("--advertise-client-urls={client_url}"))
        .arg(format!("--listen-peer-urls={peer_url}"))
        .arg(format!("--initial-advertise-peer-urls={peer_url}"))
        .arg(format!("--initial-cluster=bench={peer_url}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let etcd = Etcd(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", client)).is_err() {
        if Instant::now() > deadline {
            return Err("etcd did not start within 30s".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok((etcd, client_url))
}

/// Runs `writers` tasks that each call `write(writer, i)` until the time is up; returns writes/s.
async fn writes_per_second<F, Fut>(writers: usize, write: F) -> f64
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let write = Arc::new(write);
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let (write, done) = (write.clone(), done.clone());
            tokio::spawn(async move {
                let mut i = 0;
                while start.elapsed() < WRITE_TIME {
                    write(w, i).await;
                    i += 1;
                }
                done.fetch_add(i, Ordering::Relaxed);
            })
        })
        .collect();
    for task in tasks {
        let _ = task.await;
    }
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

async fn store_writes(store: Arc<dyn Store>, writers: usize, tag: &'static str) -> f64 {
    writes_per_second(writers, move |w, i| {
        let store = store.clone();
        async move {
            let key = format!("/bench/{tag}/{writers}/{w}/{i}");
            match store.create(&key, vec![b'v'; VALUE]).await {
                Ok(TxnOutcome::Applied(_)) => {}
                other => panic!("write failed: {other:?}"),
            }
        }
    })
    .await
}

async fn raw_etcd_writes(client: Client, writers: usize) -> f64 {
    writes_per_second(writers, move |w, i| {
        let mut kv = client.kv_client();
        async move {
            let key = format!("/bench/raw/{writers}/{w}/{i}");
            if let Err(e) = kv.put(key, vec![b'v'; VALUE], None).await {
                panic!("etcd put failed: {e}");
            }
        }
    })
    .await
}

/// Times one call of `list`, checking that it returned every key.
async fn timed(list: impl std::future::Future<Output = usize>) -> Duration {
    let start = Instant::now();
    assert_eq!(list.await, LIST_KEYS);
    start.elapsed()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let (_etcd, endpoint) = match std::env::var("BERTH_BENCH_ETCD_ENDPOINT") {
        Ok(endpoint) => (None, endpoint),
        Err(_) => {
            let (etcd, endpoint) = start_etcd(dir.path())?;
            (Some(etcd), endpoint)
        }
    };
    let sqlite: Arc<dyn Store> = SqliteStore::open(dir.path().join("bench.db"))?;
    let etcd: Arc<dyn Store> = EtcdStore::connect(std::slice::from_ref(&endpoint)).await?;
    let raw = Client::connect([endpoint.as_str()], None).await?;

    println!("writes/s (1 KiB values, {WRITE_TIME:?} each)");
    println!(
        "{:>8} {:>10} {:>10} {:>10} {:>12} {:>12}",
        "writers", "sqlite", "etcd-store", "raw-etcd", "sqlite/raw", "store/raw"
    );
    for writers in [1, 16, 64] {
        let s = store_writes(sqlite.clone(), writers, "sqlite").await;
        let e = store_writes(etcd.clone(), writers, "etcd").await;
        let r = raw_etcd_writes(raw.clone(), writers).await;
        println!(
            "{writers:>8} {s:>10.0} {e:>10.0} {r:>10.0} {:>12.2} {:>12.2}",
            s / r,
            e / r
        );
    }

    for i in 0..LIST_KEYS {
        let key = format!("/list/{i:05}");
        sqlite.create(&key, vec![b'v'; VALUE]).await?;
        etcd.create(&key, vec![b'v'; VALUE]).await?;
    }
    let store_list = |store: &Arc<dyn Store>| {
        let store = store.clone();
        async move {
            store
                .list("/list/", "", 0, 0)
                .await
                .map(|r| r.kvs.len())
                .unwrap_or(0)
        }
    };
    let raw_list = || {
        let mut kv = raw.kv_client().max_decoding_message_size(64 << 20);
        async move {
            let options = GetOptions::new().with_prefix();
            kv.get("/list/", Some(options))
                .await
                .map(|r| r.kvs().len())
                .unwrap_or(0)
        }
    };
    // Round-robin after a warm-up, so load from elsewhere on the machine hits all three alike.
    let (mut s, mut e, mut r) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    for round in 0..LIST_ROUNDS + 10 {
        let times = (
            timed(store_list(&sqlite)).await,
            timed(store_list(&etcd)).await,
            timed(raw_list()).await,
        );
        if round >= 10 {
            s += times.0;
            e += times.1;
            r += times.2;
        }
    }
    let (s, e, r) = (
        s / LIST_ROUNDS as u32,
        e / LIST_ROUNDS as u32,
        r / LIST_ROUNDS as u32,
    );
    println!("\nlist of {LIST_KEYS} keys x 1 KiB, mean of {LIST_ROUNDS}");
    println!(
        "{:>10} {:>10} {:>10} {:>12} {:>12}",
        "sqlite", "etcd-store", "raw-etcd", "sqlite/raw", "store/raw"
    );
    println!(
        "{:>10.2?} {:>10.2?} {:>10.2?} {:>12.2} {:>12.2}",
        s,
        e,
        r,
        s.as_secs_f64() / r.as_secs_f64(),
        e.as_secs_f64() / r.as_secs_f64()
    );
    Ok(())
}
