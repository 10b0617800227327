//! Scheduler throughput benchmark: binds N pending pods onto M Ready nodes and prints
//! pods/s next to clusterloader2's scheduler-throughput threshold (400 pods/s).
//!
//! Run through `bench/scheduler/run.sh`, which starts `berth server` (and hollow nodes
//! when asked). Two phases:
//! 1. batch: the benchmark holds the `kube-system/kube-scheduler` Lease while it creates
//!    the pods, then releases it; the scheduler takes over, lists, and binds them all.
//!    Figure: pods / (last binding − first binding).
//! 2. stream: with the scheduler running, more pods are created as fast as the API
//!    server takes them. Figure: pods / (last binding − first create).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::{stream, StreamExt};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::watcher::{self, watcher, Event};
use serde_json::json;

const THRESHOLD: f64 = 400.0;
const CONCURRENCY: usize = 64;

struct Args {
    kubeconfig: String,
    nodes: usize,
    pods: usize,
    stream_pods: usize,
    hollow: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        kubeconfig: String::new(),
        nodes: 1000,
        pods: 10_000,
        stream_pods: 5_000,
        hollow: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--kubeconfig" => a.kubeconfig = value()?,
            "--nodes" => a.nodes = value()?.parse().map_err(|e| format!("--nodes: {e}"))?,
            "--pods" => a.pods = value()?.parse().map_err(|e| format!("--pods: {e}"))?,
            "--stream-pods" => {
                a.stream_pods = value()?
                    .parse()
                    .map_err(|e| format!("--stream-pods: {e}"))?
            }
            "--hollow" => a.hollow = true,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if a.kubeconfig.is_empty() {
        return Err("usage: scheduler_bench --kubeconfig FILE [--nodes N] [--pods N] [--stream-pods N] [--hollow]".into());
    }
    Ok(a)
}

/// Takes the scheduler's Lease for a long time so the in-process scheduler stands by.
async fn hold_scheduler_lease(client: &kube::Client) -> anyhow::Result<()> {
    let api: Api<Lease> = Api::namespaced(client.clone(), "kube-system");
    for _ in 0..100 {
        let now = k8s_openapi::jiff::Timestamp::now().to_string();
        let patch = json!({"spec": {"holderIdentity": "scheduler-bench", "leaseDurationSeconds": 3600,
                                    "renewTime": now, "acquireTime": now}});
        match api
            .patch(
                "kube-scheduler",
                &PatchParams::default(),
                &Patch::Merge(&patch),
            )
            .await
        {
            Ok(_) => {
                // The scheduler notices at its next renewal (every 2 s) and stops.
                tokio::time::sleep(Duration::from_secs(5)).await;
                return Ok(());
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    anyhow::bail!("the kube-system/kube-scheduler Lease never appeared: is the scheduler running?")
}

async fn create_nodes(client: &kube::Client, n: usize) -> anyhow::Result<()> {
    let api: Api<Node> = Api::all(client.clone());
    let resources =
        json!({"cpu": "4", "memory": "16Gi", "pods": "110", "ephemeral-storage": "100Gi"});
    let errors = AtomicUsize::new(0);
    stream::iter(0..n)
        .for_each_concurrent(CONCURRENCY, |i| {
            let api = api.clone();
            let resources = resources.clone();
            let errors = &errors;
            async move {
                let name = format!("bench-node-{i}");
                let node: Node = match serde_json::from_value(json!({
                    "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
                })) {
                    Ok(n) => n,
                    Err(_) => return,
                };
                let now = k8s_openapi::jiff::Timestamp::now().to_string();
                let status = json!({"status": {"capacity": resources, "allocatable": resources,
                    "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                    "lastHeartbeatTime": now, "lastTransitionTime": now}]}});
                let ok = api.create(&PostParams::default(), &node).await.is_ok()
                    && api
                        .patch_status(&name, &PatchParams::default(), &Patch::Merge(&status))
                        .await
                        .is_ok();
                if !ok {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        })
        .await;
    let e = errors.load(Ordering::Relaxed);
    if e > 0 {
        anyhow::bail!("{e} nodes could not be registered");
    }
    Ok(())
}

async fn wait_ready_nodes(client: &kube::Client, n: usize) -> anyhow::Result<()> {
    let api: Api<Node> = Api::all(client.clone());
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let nodes = api.list(&ListParams::default()).await?;
        let ready = nodes
            .items
            .iter()
            .filter(|n| {
                n.status
                    .as_ref()
                    .and_then(|s| s.conditions.as_ref())
                    .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
            })
            .count();
        if ready >= n {
            return Ok(());
        }
        if Instant::now() > deadline {
            anyhow::bail!("only {ready} of {n} hollow nodes became Ready");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Creates pods `prefix-0..n`; returns the time the first create was sent and the rate.
async fn create_pods(
    client: &kube::Client,
    prefix: &str,
    n: usize,
) -> anyhow::Result<(Instant, f64)> {
    let api: Api<Pod> = Api::namespaced(client.clone(), "default");
    let errors = AtomicUsize::new(0);
    let start = Instant::now();
    stream::iter(0..n)
        .for_each_concurrent(CONCURRENCY, |i| {
            let api = api.clone();
            let errors = &errors;
            async move {
                let pod: Result<Pod, _> = serde_json::from_value(json!({
                    "metadata": {"name": format!("{prefix}-{i}"), "labels": {"bench": prefix}},
                    "spec": {"containers": [{"name": "c", "image": "pause",
                        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]},
                }));
                let ok = match pod {
                    Ok(p) => api.create(&PostParams::default(), &p).await.is_ok(),
                    Err(_) => false,
                };
                if !ok {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        })
        .await;
    let e = errors.load(Ordering::Relaxed);
    if e > 0 {
        anyhow::bail!("{e} pods could not be created");
    }
    Ok((start, n as f64 / start.elapsed().as_secs_f64()))
}

/// Watches pods labelled bench=`prefix` and records when each was first seen bound.
fn watch_bindings(
    client: &kube::Client,
    prefix: &str,
    n: usize,
) -> tokio::task::JoinHandle<Vec<Instant>> {
    let api: Api<Pod> = Api::namespaced(client.clone(), "default");
    let cfg = watcher::Config::default().labels(&format!("bench={prefix}"));
    tokio::spawn(async move {
        let mut bound: HashMap<String, Instant> = HashMap::new();
        let mut s = watcher(api, cfg).boxed();
        while let Some(ev) = s.next().await {
            let pod = match ev {
                Ok(Event::Apply(p)) | Ok(Event::InitApply(p)) => p,
                _ => continue,
            };
            let has_node = pod
                .spec
                .as_ref()
                .and_then(|s| s.node_name.as_ref())
                .is_some();
            if has_node {
                let name = pod.metadata.name.clone().unwrap_or_default();
                bound.entry(name).or_insert_with(Instant::now);
                if bound.len() >= n {
                    break;
                }
            }
        }
        let mut times: Vec<Instant> = bound.into_values().collect();
        times.sort();
        times
    })
}

/// Highest number of bindings observed within any one second.
fn peak_per_second(times: &[Instant]) -> usize {
    let mut best = 0;
    let mut lo = 0;
    for hi in 0..times.len() {
        while times[hi].duration_since(times[lo]) >= Duration::from_secs(1) {
            lo += 1;
        }
        best = best.max(hi - lo + 1);
    }
    best
}

fn report(phase: &str, n: usize, from: Instant, times: &[Instant]) {
    let (Some(first), Some(last)) = (times.first(), times.last()) else {
        println!("{phase}: no pod was bound");
        return;
    };
    let span = last.duration_since(*first).as_secs_f64().max(1e-3);
    let rate = n as f64 / span;
    let total = last.duration_since(from).as_secs_f64();
    println!(
        "{phase}: {n} pods bound in {span:.2}s (first→last binding) = {rate:.0} pods/s, ratio vs clusterloader2's {THRESHOLD:.0} pods/s: {:.2}x; peak {} pods in one second; {total:.2}s from start of phase",
        rate / THRESHOLD,
        peak_per_second(times),
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args().map_err(anyhow::Error::msg)?;
    let kc = Kubeconfig::read_from(&args.kubeconfig)?;
    let config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default()).await?;
    let client = kube::Client::try_from(config)?;

    println!("holding the scheduler's Lease while preparing");
    hold_scheduler_lease(&client).await?;
    let t = Instant::now();
    if args.hollow {
        wait_ready_nodes(&client, args.nodes).await?;
        println!("{} hollow nodes Ready", args.nodes);
    } else {
        create_nodes(&client, args.nodes).await?;
        println!(
            "{} Ready nodes registered in {:.1}s",
            args.nodes,
            t.elapsed().as_secs_f64()
        );
    }
    let (_, create_rate) = create_pods(&client, "batch", args.pods).await?;
    println!(
        "{} pending pods created ({create_rate:.0} creates/s)",
        args.pods
    );

    let watch = watch_bindings(&client, "batch", args.pods);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let released = Instant::now();
    Api::<Lease>::namespaced(client.clone(), "kube-system")
        .delete("kube-scheduler", &DeleteParams::default())
        .await?;
    let times = tokio::time::timeout(Duration::from_secs(600), watch).await??;
    report("batch", args.pods, released, &times);

    if args.stream_pods > 0 {
        let watch = watch_bindings(&client, "stream", args.stream_pods);
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (start, create_rate) = create_pods(&client, "stream", args.stream_pods).await?;
        let times = tokio::time::timeout(Duration::from_secs(600), watch).await??;
        println!("stream: pods created at {create_rate:.0} creates/s while the scheduler ran");
        let span = times
            .last()
            .map(|l| l.duration_since(start).as_secs_f64())
            .unwrap_or(f64::NAN);
        let rate = args.stream_pods as f64 / span;
        println!(
            "stream: {} pods created and bound in {span:.2}s (first create→last binding) = {rate:.0} pods/s, ratio vs {THRESHOLD:.0} pods/s: {:.2}x",
            args.stream_pods,
            rate / THRESHOLD
        );
    }
    Ok(())
}
