//! The node lifecycle controller: marks nodes whose kubelet went silent (no Lease renewal,
//! no status) Unknown, taints not-ready and unreachable nodes, and marks their pods not
//! ready (pkg/controller/nodelifecycle); with it run taint-based eviction
//! (pkg/controller/tainteviction) and the pod garbage collection of pods on dead nodes
//! (pkg/controller/podgc).

mod podgc;
mod tainteviction;
mod taints;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, ObjectReference, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::reflector::{self, reflector, ObjectRef, Store};
use kube::runtime::watcher;
use kube::ResourceExt;

use crate::endpoints::handle;
use crate::events::{NORMAL, WARNING};
use crate::Context;
use taints::Decision;

/// Namespace of the kubelets' heartbeat Leases.
const LEASE_NAMESPACE: &str = "kube-node-lease";
/// Zones larger than this still evict (slowly, upstream) in partial disruption; smaller
/// ones stop (upstream's largeClusterThreshold).
const LARGE_CLUSTER_THRESHOLD: usize = 50;
/// Share of not-ready nodes that makes a zone partially disrupted (unhealthyZoneThreshold).
const UNHEALTHY_ZONE_THRESHOLD: f64 = 0.55;

/// Caches shared by the node lifecycle, taint eviction and pod GC loops.
pub(crate) struct Shared {
    ctx: Arc<Context>,
    nodes: Store<Node>,
    leases: Store<Lease>,
    pods: Store<Pod>,
}

/// What this controller last saw of a node's kubelet.
struct Health {
    /// When the kubelet was last heard from (status heartbeat or Lease renewal), by our clock.
    probe: Instant,
    heartbeat: Option<Timestamp>,
    renew: Option<Timestamp>,
    /// Marking the node's pods not ready failed and must be retried.
    retry_mark_pods: bool,
}

/// Runs the controller until the process ends.
pub async fn run(ctx: Arc<Context>) {
    let client = ctx.client.clone();
    let (nodes, node_writer) = reflector::store();
    let (leases, lease_writer) = reflector::store();
    let (pods, pod_writer) = reflector::store();
    let shared = Arc::new(Shared {
        ctx,
        nodes,
        leases,
        pods,
    });
    let cfg = watcher::Config::default;
    let node_events = reflector(
        node_writer,
        watcher(Api::<Node>::all(client.clone()), cfg()),
    );
    let lease_events = reflector(
        lease_writer,
        watcher(
            Api::<Lease>::namespaced(client.clone(), LEASE_NAMESPACE),
            cfg(),
        ),
    );
    let pod_events = reflector(pod_writer, watcher(Api::<Pod>::all(client), cfg()));
    let loops = async {
        let ready = futures_util::future::join3(
            shared.nodes.wait_until_ready(),
            shared.leases.wait_until_ready(),
            shared.pods.wait_until_ready(),
        )
        .await;
        if ready.0.is_err() || ready.1.is_err() || ready.2.is_err() {
            return;
        }
        tokio::join!(
            monitor(shared.clone()),
            tainteviction::run(shared.clone()),
            podgc::run(shared.clone()),
        );
    };
    tokio::join!(
        handle(node_events, |_| {}),
        handle(lease_events, |_| {}),
        handle(pod_events, |_| {}),
        loops
    );
}

/// How often node health is checked: often enough that a short grace period is honoured
/// closely, never more than upstream's 5 s.
fn monitor_period(grace: Duration) -> Duration {
    (grace / 8).clamp(Duration::from_millis(500), Duration::from_secs(5))
}

async fn monitor(shared: Arc<Shared>) {
    let grace = shared.ctx.options.node_monitor_grace_period;
    let mut ticker = tokio::time::interval(monitor_period(grace));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut health: HashMap<String, Health> = HashMap::new();
    let mut master_disruption = false;
    loop {
        ticker.tick().await;
        let nodes = monitor_health(&shared, &mut health, grace).await;
        taint_pass(&shared, &nodes, &mut master_disruption).await;
    }
}

fn node_ref(node: &Node) -> ObjectReference {
    ObjectReference {
        api_version: Some("v1".into()),
        kind: Some("Node".into()),
        name: node.metadata.name.clone(),
        uid: node.metadata.uid.clone(),
        ..Default::default()
    }
}

/// One health pass (monitorNodeHealth): returns the nodes as they are after it.
async fn monitor_health(
    shared: &Shared,
    health: &mut HashMap<String, Health>,
    grace: Duration,
) -> Vec<Node> {
    let nodes = shared.nodes.state();
    let names: HashSet<String> = nodes.iter().map(|n| n.name_any()).collect();
    let gone: Vec<String> = health
        .keys()
        .filter(|n| !names.contains(*n))
        .cloned()
        .collect();
    for name in gone {
        health.remove(&name);
        let r = ObjectReference {
            api_version: Some("v1".into()),
            kind: Some("Node".into()),
            name: Some(name.clone()),
            ..Default::default()
        };
        let msg = format!("Node {name} event: Removing Node {name} from Controller");
        shared
            .ctx
            .recorder
            .publish_ref(r, NORMAL, "RemovingNode", &msg)
            .await;
    }
    let api: Api<Node> = Api::all(shared.ctx.client.clone());
    let mut out = Vec::with_capacity(nodes.len());
    for node in nodes {
        let name = node.name_any();
        let heartbeat = taints::ready_condition(&node)
            .and_then(|c| c.last_heartbeat_time.as_ref())
            .map(|t| t.0);
        let renew = shared
            .leases
            .get(&ObjectRef::new(&name).within(LEASE_NAMESPACE))
            .and_then(|l| l.spec.as_ref()?.renew_time.as_ref().map(|t| t.0));
        let h = match health.get_mut(&name) {
            Some(h) => h,
            None => {
                let msg = format!("Node {name} event: Registered Node {name} in Controller");
                shared
                    .ctx
                    .recorder
                    .publish_ref(node_ref(&node), NORMAL, "RegisteredNode", &msg)
                    .await;
                health.entry(name.clone()).or_insert(Health {
                    probe: Instant::now(),
                    heartbeat,
                    renew,
                    retry_mark_pods: false,
                })
            }
        };
        if heartbeat != h.heartbeat {
            h.probe = Instant::now();
            h.heartbeat = heartbeat;
        }
        if renew.is_some() && renew > h.renew {
            h.probe = Instant::now();
            h.renew = renew;
        }
        let mut node = node.as_ref().clone();
        let was_ready = taints::condition_status(&node, "Ready") == Some("True");
        if h.probe.elapsed() > grace {
            if let Some(conds) = taints::mark_unknown(&node, Timestamp::now()) {
                let patch = serde_json::json!({
                    "metadata": {"resourceVersion": node.metadata.resource_version},
                    "status": {"conditions": conds},
                });
                match api
                    .patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
                    .await
                {
                    Ok(n) => {
                        tracing::info!(node = %name, "node stopped posting status, marked Unknown");
                        node = n;
                    }
                    Err(e) => tracing::debug!(node = %name, error = %e, "updating node health"),
                }
            }
        }
        let ready = taints::condition_status(&node, "Ready") == Some("True");
        if was_ready && !ready {
            let msg = format!("Node {name} status is now: NodeNotReady");
            shared
                .ctx
                .recorder
                .publish_ref(node_ref(&node), NORMAL, "NodeNotReady", &msg)
                .await;
            h.retry_mark_pods = true;
        }
        if ready {
            h.retry_mark_pods = false;
        } else if h.retry_mark_pods {
            h.retry_mark_pods = !mark_pods_not_ready(shared, &name).await;
        }
        out.push(node);
    }
    out
}

/// Sets the Ready condition of every pod on `node` to False (MarkPodsNotReady): the
/// kubelet that would say so is unreachable. Returns whether all updates succeeded.
async fn mark_pods_not_ready(shared: &Shared, node: &str) -> bool {
    let mut ok = true;
    let pods = shared.pods.state();
    let on_node = pods
        .iter()
        .filter(|p| p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(node));
    for pod in on_node {
        if !crate::util::is_pod_ready(pod) {
            continue;
        }
        let api: Api<Pod> = Api::namespaced(
            shared.ctx.client.clone(),
            &pod.namespace().unwrap_or_default(),
        );
        let patch = serde_json::json!({"status": {"conditions": [{
            "type": "Ready",
            "status": "False",
            "lastTransitionTime": Time(Timestamp::now()),
        }]}});
        match api
            .patch_status(
                &pod.name_any(),
                &PatchParams::default(),
                &Patch::Strategic(&patch),
            )
            .await
        {
            Ok(_) => {
                shared
                    .ctx
                    .recorder
                    .publish(pod.as_ref(), WARNING, "NodeNotReady", "Node is not ready")
                    .await;
            }
            Err(kube::Error::Api(e)) if e.code == 404 => {}
            Err(e) => {
                tracing::debug!(pod = %pod.name_any(), error = %e, "marking pod not ready");
                ok = false;
            }
        }
    }
    ok
}

/// Disruption state of a zone (ComputeZoneState).
#[derive(Clone, Copy, Debug, PartialEq)]
enum ZoneState {
    Normal,
    PartialDisruption,
    FullDisruption,
}

fn zone_of(node: &Node) -> String {
    let l = node.labels();
    let get = |k: &str| l.get(k).cloned().unwrap_or_default();
    format!(
        "{}:\u{0}:{}",
        get("topology.kubernetes.io/region"),
        get("topology.kubernetes.io/zone")
    )
}

fn zone_states(nodes: &[Node]) -> BTreeMap<String, (ZoneState, usize)> {
    let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for n in nodes {
        let c = counts.entry(zone_of(n)).or_default();
        if taints::condition_status(n, "Ready") == Some("True") {
            c.0 += 1;
        } else {
            c.1 += 1;
        }
    }
    counts
        .into_iter()
        .map(|(z, (ready, not_ready))| {
            let total = ready + not_ready;
            let state = if ready == 0 && not_ready > 0 {
                ZoneState::FullDisruption
            } else if not_ready > 2 && not_ready as f64 / total as f64 >= UNHEALTHY_ZONE_THRESHOLD {
                ZoneState::PartialDisruption
            } else {
                ZoneState::Normal
            };
            (z, (state, total))
        })
        .collect()
}

/// Puts the NoExecute and NoSchedule taints of every node in line with its conditions
/// (doNoExecuteTaintingPass, doNoScheduleTaintingPass). In a fully disrupted zone no new
/// NoExecute taints are added; when every zone is, the control plane is the likelier
/// culprit and all of them are removed (master disruption mode).
async fn taint_pass(shared: &Shared, nodes: &[Node], master_disruption: &mut bool) {
    let zones = zone_states(nodes);
    let all_down =
        !zones.is_empty() && zones.values().all(|(s, _)| *s == ZoneState::FullDisruption);
    if all_down != *master_disruption {
        if all_down {
            tracing::warn!(
                "all nodes are not ready: entering master disruption mode, no evictions"
            );
        } else {
            tracing::info!("nodes are ready again: exiting master disruption mode");
        }
        *master_disruption = all_down;
    }
    let api: Api<Node> = Api::all(shared.ctx.client.clone());
    let now = Timestamp::now();
    for node in nodes {
        let decision = match taints::wanted_no_execute(node) {
            None => Decision::Clear,
            Some(_) if all_down => Decision::Clear,
            Some(k) => match zones.get(&zone_of(node)) {
                Some((ZoneState::FullDisruption, _)) => Decision::Keep(Some(k)),
                Some((ZoneState::PartialDisruption, size)) if *size <= LARGE_CLUSTER_THRESHOLD => {
                    Decision::Keep(Some(k))
                }
                _ => Decision::Set(k),
            },
        };
        let current = node
            .spec
            .as_ref()
            .and_then(|s| s.taints.clone())
            .unwrap_or_default();
        let no_schedule = taints::wanted_no_schedule(node);
        let Some(new) = taints::reconcile_taints(&current, decision, &no_schedule, now) else {
            continue;
        };
        let patch = serde_json::json!({
            "metadata": {"resourceVersion": node.metadata.resource_version},
            "spec": {"taints": if new.is_empty() { serde_json::Value::Null } else { serde_json::json!(new) }},
        });
        let name = node.name_any();
        match api
            .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
        {
            Ok(_) => {
                tracing::info!(node = %name, taints = ?new.iter().map(|t| format!("{}:{}", t.key, t.effect)).collect::<Vec<_>>(), "node taints updated")
            }
            Err(e) => tracing::debug!(node = %name, error = %e, "updating node taints"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{NodeCondition, NodeStatus};

    fn node(ready: &str) -> Node {
        Node {
            status: Some(NodeStatus {
                conditions: Some(vec![NodeCondition {
                    type_: "Ready".into(),
                    status: ready.into(),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn zone_states_follow_upstream_thresholds() {
        let z = |v: &[&str]| {
            let nodes: Vec<Node> = v.iter().map(|s| node(s)).collect();
            zone_states(&nodes).into_values().next().map(|(s, _)| s)
        };
        assert_eq!(z(&["True", "Unknown"]), Some(ZoneState::Normal));
        assert_eq!(z(&["Unknown", "Unknown"]), Some(ZoneState::FullDisruption));
        assert_eq!(
            z(&["True", "Unknown", "Unknown", "False"]),
            Some(ZoneState::PartialDisruption)
        );
        assert_eq!(
            z(&["True", "True", "Unknown", "Unknown", "False"]),
            Some(ZoneState::PartialDisruption)
        );
        assert_eq!(
            z(&["True", "True", "True", "Unknown", "Unknown", "False"]),
            Some(ZoneState::Normal)
        );
    }

    #[test]
    fn monitor_period_is_bounded() {
        assert_eq!(
            monitor_period(Duration::from_secs(40)),
            Duration::from_secs(5)
        );
        assert_eq!(
            monitor_period(Duration::from_secs(5)),
            Duration::from_millis(625)
        );
        assert_eq!(
            monitor_period(Duration::from_secs(1)),
            Duration::from_millis(500)
        );
    }
}
