//! Cluster benchmark for the controllers, scheduler and hollow nodes:
//! 1. a 1,000-replica Deployment on 100 hollow nodes: time to fully available and the
//!    number of API requests it took (from the server's `/metrics`);
//! 2. 1,000 hollow nodes holding 30,000 pods: the server's RSS and the API's p99 latency
//!    for mutating calls, next to the Kubernetes SLO (p99 ≤ 1 s).
//!
//! Run: `cargo build --release -p berth -p berth-bench && target/release/cluster`
//! (env `BERTH` = berth binary, `REPLICAS`, `NODES1`, `NODES2`, `PODS2` to resize).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, ListParams, PostParams};

struct Proc(Child);
impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn env_or(k: &str, d: usize) -> usize {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

fn start_server(bin: &str, dir: &std::path::Path) -> anyhow::Result<(Proc, String)> {
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
            "--node-monitor-grace-period",
            "10m",
        ])
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("starting berth server")?;
    let out = child.stdout.take().context("stdout")?;
    let mut lines = BufReader::new(out).lines();
    let url = loop {
        match lines.next() {
            Some(Ok(l)) => {
                if let Some(u) = l.strip_prefix("berth server is ready on ") {
                    break u.to_string();
                }
            }
            _ => bail!("berth server exited before it was ready"),
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Ok((Proc(child), url))
}

fn start_hollow(
    bin: &str,
    kubeconfig: &std::path::Path,
    n: usize,
    prefix: &str,
) -> anyhow::Result<Proc> {
    let child = Command::new(bin)
        .args(["hollow-nodes", "--kubeconfig"])
        .arg(kubeconfig)
        .args([
            "--count",
            &n.to_string(),
            "--prefix",
            prefix,
            "--max-pods",
            "110",
        ])
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting berth hollow-nodes")?;
    Ok(Proc(child))
}

fn rss_mib(pid: u32) -> f64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// (total requests, mutating p99 seconds estimated from the histogram buckets)
fn metrics(dir: &std::path::Path, url: &str) -> anyhow::Result<(f64, f64)> {
    let pki = dir.join("pki");
    let out = Command::new("curl")
        .args(["-sS", "--cacert"])
        .arg(pki.join("ca.crt"))
        .arg("--cert")
        .arg(pki.join("admin.crt"))
        .arg("--key")
        .arg(pki.join("admin.key"))
        .arg(format!("{url}/metrics"))
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut total = 0.0;
    let mut buckets: std::collections::BTreeMap<u64, f64> = Default::default();
    for line in text.lines() {
        let Some((name, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let v: f64 = value.parse().unwrap_or(0.0);
        if name.starts_with("apiserver_request_total{") {
            total += v;
        }
        if name.starts_with("apiserver_request_duration_seconds_bucket{") {
            let mutating = ["POST", "PUT", "PATCH", "DELETE", "CREATE", "UPDATE"]
                .iter()
                .any(|m| name.contains(&format!("verb=\"{m}")));
            if !mutating {
                continue;
            }
            let le = name
                .split("le=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .unwrap_or("+Inf");
            let key = if le == "+Inf" {
                u64::MAX
            } else {
                (le.parse::<f64>().unwrap_or(0.0) * 1e6) as u64
            };
            *buckets.entry(key).or_default() += v;
        }
    }
    let count = buckets.get(&u64::MAX).copied().unwrap_or(0.0);
    let target = count * 0.99;
    let p99 = buckets
        .iter()
        .find(|(_, c)| **c >= target)
        .map(|(le, _)| {
            if *le == u64::MAX {
                f64::INFINITY
            } else {
                *le as f64 / 1e6
            }
        })
        .unwrap_or(0.0);
    Ok((total, p99))
}

async fn client(dir: &std::path::Path) -> anyhow::Result<kube::Client> {
    let kc = kube::config::Kubeconfig::read_from(dir.join("admin.kubeconfig"))?;
    let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default()).await?;
    Ok(kube::Client::try_from(cfg)?)
}

async fn wait_nodes(c: &kube::Client, n: usize) -> anyhow::Result<()> {
    let api: Api<Node> = Api::all(c.clone());
    let deadline = Instant::now() + Duration::from_secs(600);
    while Instant::now() < deadline {
        let ready = api.list(&ListParams::default()).await?.items.len();
        if ready >= n {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    bail!("nodes did not register")
}

fn deployment(name: &str, replicas: i32) -> anyhow::Result<Deployment> {
    Ok(serde_json::from_value(serde_json::json!({
        "metadata": {"name": name},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "c", "image": "pause", "resources": {"requests": {"cpu": "1m", "memory": "1Mi"}}}]}}}
    }))?)
}

async fn wait_available(
    api: &Api<Deployment>,
    name: &str,
    n: i32,
    limit: Duration,
) -> anyhow::Result<Duration> {
    let t = Instant::now();
    while t.elapsed() < limit {
        let d = api.get(name).await?;
        if d.status.and_then(|s| s.available_replicas).unwrap_or(0) >= n {
            return Ok(t.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bail!("deployment {name} not available after {limit:?}")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let bin = std::env::var("BERTH").unwrap_or_else(|_| "target/release/berth".into());
    let replicas = env_or("REPLICAS", 1000) as i32;
    let nodes1 = env_or("NODES1", 100);
    let nodes2 = env_or("NODES2", 1000);
    let pods2 = env_or("PODS2", 30000);

    // 1. a 1,000-replica deployment on 100 hollow nodes
    let dir = tempfile::tempdir()?;
    let (server, url) = start_server(&bin, dir.path())?;
    let _hollow = start_hollow(&bin, &dir.path().join("admin.kubeconfig"), nodes1, "h")?;
    let c = client(dir.path()).await?;
    wait_nodes(&c, nodes1).await?;
    let (before, _) = metrics(dir.path(), &url)?;
    let api: Api<Deployment> = Api::namespaced(c.clone(), "default");
    api.create(&PostParams::default(), &deployment("big", replicas)?)
        .await?;
    let took = wait_available(&api, "big", replicas, Duration::from_secs(900)).await?;
    let (after, _) = metrics(dir.path(), &url)?;
    println!(
        "deployment of {replicas} replicas on {nodes1} hollow nodes: fully available in {:.1}s, {:.0} API requests ({:.1} per pod)",
        took.as_secs_f64(),
        after - before,
        (after - before) / replicas as f64
    );
    drop(server);

    // 2. 1,000 nodes and 30,000 pods
    let dir = tempfile::tempdir()?;
    let (server, url) = start_server(&bin, dir.path())?;
    let hollow = start_hollow(&bin, &dir.path().join("admin.kubeconfig"), nodes2, "n")?;
    let c = client(dir.path()).await?;
    wait_nodes(&c, nodes2).await?;
    let api: Api<Deployment> = Api::namespaced(c.clone(), "default");
    let per = 1000.min(pods2);
    let deployments = pods2.div_ceil(per);
    let t = Instant::now();
    for i in 0..deployments {
        api.create(
            &PostParams::default(),
            &deployment(&format!("d{i}"), per as i32)?,
        )
        .await?;
    }
    for i in 0..deployments {
        wait_available(
            &api,
            &format!("d{i}"),
            per as i32,
            Duration::from_secs(1800),
        )
        .await?;
    }
    let (total, p99) = metrics(dir.path(), &url)?;
    println!(
        "{nodes2} hollow nodes, {} pods running after {:.0}s: server RSS {:.0} MiB, hollow-nodes RSS {:.0} MiB, {total:.0} API requests, mutating p99 ≤ {p99:.3}s (SLO 1 s: ratio {:.2})",
        deployments * per,
        t.elapsed().as_secs_f64(),
        rss_mib(server.0.id()),
        rss_mib(hollow.0.id()),
        p99
    );
    Ok(())
}
