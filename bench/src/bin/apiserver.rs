//! API server benchmark: start-up time, and create/get throughput and latency through
//! the Kubernetes API, next to raw etcd (start-up, put/get) measured in the same run.
//!
//! Run: `cargo build --release -p berth -p berth-bench && target/release/apiserver`
//! (env `BERTH` = path of the berth binary, `N` = requests, `C` = concurrency).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ObjectMeta, PostParams};

struct Proc(Child);
impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Starts berth on `dir`; returns the process, its URL and the time until it was ready.
fn start_berth(bin: &str, dir: &std::path::Path) -> anyhow::Result<(Proc, Duration)> {
    let t = Instant::now();
    let mut child = Command::new(bin)
        .args(["server", "--data-dir"])
        .arg(dir)
        .args([
            "--bind-address",
            "127.0.0.1",
            "--advertise-address",
            "127.0.0.1",
            "--https-listen-port",
            "0",
            "--disable-agent",
        ])
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {bin}"))?;
    let out = child.stdout.take().context("stdout")?;
    let mut lines = BufReader::new(out).lines();
    loop {
        match lines.next() {
            Some(Ok(l)) if l.starts_with("berth server is ready on ") => break,
            Some(_) => continue,
            None => bail!("berth exited before it was ready"),
        }
    }
    let took = t.elapsed();
    std::thread::spawn(move || for _ in lines {});
    Ok((Proc(child), took))
}

fn start_etcd(dir: &std::path::Path) -> anyhow::Result<(Proc, String, Duration)> {
    let (cp, pp) = (free_port()?, free_port()?);
    let client = format!("http://127.0.0.1:{cp}");
    let t = Instant::now();
    let child = Command::new("etcd")
        .args(["--data-dir"])
        .arg(dir)
        .args([
            "--listen-client-urls",
            &client,
            "--advertise-client-urls",
            &client,
        ])
        .args(["--listen-peer-urls", &format!("http://127.0.0.1:{pp}")])
        .args([
            "--initial-advertise-peer-urls",
            &format!("http://127.0.0.1:{pp}"),
        ])
        .args([
            "--initial-cluster",
            &format!("default=http://127.0.0.1:{pp}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting etcd (apt-get install etcd-server)")?;
    let p = Proc(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let ok = Command::new("curl")
            .args(["-sf", &format!("{client}/health")])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if ok {
            return Ok((p, client, t.elapsed()));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    bail!("etcd did not become healthy")
}

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    if v.is_empty() {
        return Duration::ZERO;
    }
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

struct Run {
    per_sec: f64,
    p50: Duration,
    p99: Duration,
}

async fn run_concurrent<F, Fut>(n: usize, c: usize, f: F) -> anyhow::Result<Run>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let f = Arc::new(f);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let t = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..c {
        let (f, next) = (f.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let s = Instant::now();
                f(i).await?;
                lat.push(s.elapsed());
            }
            anyhow::Ok(lat)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let secs = t.elapsed().as_secs_f64();
    Ok(Run {
        per_sec: n as f64 / secs,
        p50: pct(&mut all, 0.5),
        p99: pct(&mut all, 0.99),
    })
}

fn row(name: &str, r: &Run, base: &Run) {
    println!(
        "{name:<28} {:>10.0}/s  p50 {:>8.2?}  p99 {:>8.2?}   vs raw etcd: {:.2}x throughput, {:.2}x p99",
        r.per_sec,
        r.p50,
        r.p99,
        r.per_sec / base.per_sec,
        r.p99.as_secs_f64() / base.p99.as_secs_f64().max(1e-9)
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let bin = std::env::var("BERTH").unwrap_or_else(|_| "target/release/berth".into());
    let n: usize = std::env::var("N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let c: usize = std::env::var("C")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16);

    // start-up: fresh and existing data dir, next to etcd's
    let dir = tempfile::tempdir()?;
    let (p, fresh) = start_berth(&bin, dir.path())?;
    drop(p);
    let mut warm = Vec::new();
    for _ in 0..3 {
        let (p, t) = start_berth(&bin, dir.path())?;
        warm.push(t);
        drop(p);
    }
    let edir = tempfile::tempdir()?;
    let (etcd, endpoint, etcd_start) = start_etcd(edir.path())?;
    let warm_med = pct(&mut warm, 0.5);
    println!("start-up to ready: berth fresh {fresh:.2?}, berth existing data dir {warm_med:.2?} (median of 3); etcd alone {etcd_start:.2?}; ratio berth/etcd {:.2}", warm_med.as_secs_f64() / etcd_start.as_secs_f64());

    // raw etcd baseline
    let ec = etcd_client::Client::connect([endpoint.as_str()], None).await?;
    let value = vec![b'x'; 300];
    let (ec2, v2) = (ec.clone(), value.clone());
    let put = run_concurrent(n, c, move |i| {
        let (mut ec, v) = (ec2.clone(), v2.clone());
        async move {
            ec.put(format!("/bench/{i}"), v, None).await?;
            Ok(())
        }
    })
    .await?;
    let ec3 = ec.clone();
    let get = run_concurrent(n, c, move |i| {
        let mut ec = ec3.clone();
        async move {
            ec.get(format!("/bench/{i}"), None).await?;
            Ok(())
        }
    })
    .await?;
    drop(etcd);

    // berth through the API, over HTTPS like any client
    let (_berth, _) = start_berth(&bin, dir.path())?;
    let kubeconfig = kube::config::Kubeconfig::read_from(dir.path().join("admin.kubeconfig"))?;
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await?;
    let client = kube::Client::try_from(config)?;
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    let a2 = api.clone();
    let create = run_concurrent(n, c, move |i| {
        let api = a2.clone();
        async move {
            let cm = ConfigMap {
                metadata: ObjectMeta {
                    name: Some(format!("bench-{i}")),
                    ..Default::default()
                },
                data: Some([("k".to_string(), "x".repeat(200))].into()),
                ..Default::default()
            };
            api.create(&PostParams::default(), &cm).await?;
            Ok(())
        }
    })
    .await?;
    let a3 = api.clone();
    let read = run_concurrent(n, c, move |i| {
        let api = a3.clone();
        async move {
            api.get(&format!("bench-{i}")).await?;
            Ok(())
        }
    })
    .await?;
    println!("{n} requests, concurrency {c}");
    row("raw etcd put", &put, &put);
    row("berth create (SQLite)", &create, &put);
    row("raw etcd get", &get, &get);
    row("berth get (SQLite)", &read, &get);
    Ok(())
}
