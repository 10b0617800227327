//! One scheduling attempt: filter nodes, score the feasible ones, pick the best, assume
//! the pod in the cache and bind it asynchronously; on failure report FailedScheduling
//! with upstream's message and park the pod (pkg/scheduler/schedule_one.go).

use std::collections::HashMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Binding, ObjectReference, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, Patch, PatchParams, PostParams};

use crate::cache::Cache;
use crate::framework::{Code, Framework, PodInfo, Status};
use crate::queue::QueuedPod;
use crate::Scheduler;

/// Upstream's minFeasibleNodesToFind and minFeasibleNodesPercentageToFind.
const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND: usize = 5;

/// Upstream's ErrNoNodesAvailable.
pub const ERR_NO_NODES_AVAILABLE: &str = "no nodes available to schedule pods";

/// How many feasible nodes to look for before scoring (percentageOfNodesToScore;
/// 0 means upstream's adaptive default: 50% minus 1% per 125 nodes, at least 5%).
pub fn num_feasible_nodes_to_find(num_all: usize, percentage: usize) -> usize {
    if num_all < MIN_FEASIBLE_NODES_TO_FIND || percentage >= 100 {
        return num_all;
    }
    let pct = if percentage == 0 {
        50usize
            .saturating_sub(num_all / 125)
            .max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND)
    } else {
        percentage
    };
    (num_all * pct / 100).max(MIN_FEASIBLE_NODES_TO_FIND)
}

/// Why a pod fits no node.
#[derive(Debug)]
pub enum ScheduleError {
    /// The cluster has no nodes.
    NoNodes,
    /// Every node was filtered out; one status per node.
    Fit {
        num_all_nodes: usize,
        statuses: Vec<Status>,
        preemption_never: bool,
    },
}

/// "3 Insufficient cpu, 1 node(s) were unschedulable" — counts per reason, sorted as strings.
fn histogram<'a>(reasons: impl Iterator<Item = &'a str>) -> String {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for r in reasons {
        *counts.entry(r).or_default() += 1;
    }
    let mut list: Vec<String> = counts.iter().map(|(r, n)| format!("{n} {r}")).collect();
    list.sort();
    list.join(", ")
}

impl ScheduleError {
    /// The FailedScheduling message, as upstream's FitError plus the preemption
    /// PostFilter message (berth does not preempt, so no victim is ever found).
    pub fn message(&self) -> String {
        match self {
            ScheduleError::NoNodes => ERR_NO_NODES_AVAILABLE.to_string(),
            ScheduleError::Fit {
                num_all_nodes,
                statuses,
                preemption_never,
            } => {
                let filter = histogram(
                    statuses
                        .iter()
                        .flat_map(|s| s.reasons.iter().map(String::as_str)),
                );
                let preemption = if *preemption_never {
                    "not eligible due to preemptionPolicy=Never.".to_string()
                } else {
                    let per_node = statuses.iter().map(|s| match s.code {
                        Code::UnschedulableAndUnresolvable => {
                            "Preemption is not helpful for scheduling"
                        }
                        Code::Unschedulable => "No preemption victims found for incoming pod",
                    });
                    format!(
                        "0/{num_all_nodes} nodes are available: {}.",
                        histogram(per_node)
                    )
                };
                format!("0/{num_all_nodes} nodes are available: {filter}. preemption: {preemption}")
            }
        }
    }
}

/// A small xorshift generator for tie-breaking.
pub struct Rng(u64);

impl Rng {
    /// Seeded from the clock.
    pub fn new() -> Rng {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9E37_79B9_7F4A_7C15);
        Rng(seed | 1)
    }

    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

impl Default for Rng {
    fn default() -> Rng {
        Rng::new()
    }
}

/// State kept across attempts: where the next node search starts, and the tie-breaker.
#[derive(Default)]
pub struct Cursor {
    pub next_start: usize,
    pub rng: Rng,
}

/// Picks a node for `pod`: filters from a rotating start until enough feasible nodes
/// are found, scores them with the weighted plugins and takes the best (ties at random).
pub fn schedule_pod(
    fw: &Framework,
    cache: &mut Cache,
    pod: &PodInfo,
    percentage: usize,
    cursor: &mut Cursor,
) -> Result<String, ScheduleError> {
    cache.ordered_nodes();
    let cache: &Cache = cache;
    let names = cache.order();
    let n = names.len();
    if n == 0 {
        return Err(ScheduleError::NoNodes);
    }
    let want = num_feasible_nodes_to_find(n, percentage);
    let mut feasible = Vec::with_capacity(want.min(n));
    let mut statuses = vec![];
    let start = cursor.next_start % n;
    let mut processed = 0;
    for i in 0..n {
        processed += 1;
        let name = &names[(start + i) % n];
        let Some(ni) = cache.node(name) else {
            continue;
        };
        match fw.run_filters(pod, ni) {
            Ok(()) => {
                feasible.push(ni);
                if feasible.len() >= want {
                    break;
                }
            }
            Err(s) => statuses.push(s),
        }
    }
    cursor.next_start = (start + processed) % n;
    if feasible.is_empty() {
        let preemption_never =
            pod.spec().and_then(|s| s.preemption_policy.as_deref()) == Some("Never");
        return Err(ScheduleError::Fit {
            num_all_nodes: n,
            statuses,
            preemption_never,
        });
    }
    if feasible.len() == 1 {
        return Ok(feasible[0].name.clone());
    }
    let mut total = vec![0i64; feasible.len()];
    let mut scores = vec![0i64; feasible.len()];
    for plugin in &fw.scores {
        for (s, ni) in scores.iter_mut().zip(&feasible) {
            *s = plugin.score(pod, ni);
        }
        plugin.normalize(pod, &mut scores);
        let w = plugin.weight();
        for (t, s) in total.iter_mut().zip(&scores) {
            *t += s * w;
        }
    }
    // Reservoir sampling among the best, so identical nodes share the load.
    let mut best = 0;
    let mut ties = 1u64;
    for i in 1..total.len() {
        if total[i] > total[best] {
            best = i;
            ties = 1;
        } else if total[i] == total[best] {
            ties += 1;
            if cursor.rng.below(ties) == 0 {
                best = i;
            }
        }
    }
    Ok(feasible[best].name.clone())
}

/// The PodScheduled=False condition patch, unless the pod already says so.
fn unschedulable_condition_patch(pod: &Pod, message: &str) -> Option<serde_json::Value> {
    let current = pod
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == "PodScheduled"));
    if let Some(c) = current {
        if c.status == "False"
            && c.reason.as_deref() == Some("Unschedulable")
            && c.message.as_deref() == Some(message)
        {
            return None;
        }
    }
    let now = k8s_openapi::jiff::Timestamp::now().to_string();
    Some(serde_json::json!({
        "status": {"conditions": [{
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "message": message,
            "lastProbeTime": null,
            "lastTransitionTime": now,
        }]}
    }))
}

/// A reference to the pod for events.
pub fn pod_reference(info: &PodInfo) -> ObjectReference {
    ObjectReference {
        api_version: Some("v1".into()),
        kind: Some("Pod".into()),
        name: Some(info.name.clone()),
        namespace: Some(info.namespace.clone()),
        uid: Some(info.uid.clone()),
        resource_version: info.pod.metadata.resource_version.clone(),
        field_path: None,
    }
}

impl Scheduler {
    /// Schedules pods one at a time, forever; bindings run concurrently.
    pub(crate) async fn scheduling_loop(self: Arc<Self>) {
        let mut cursor = Cursor::default();
        loop {
            let Ok(permit) = self.bind_slots.clone().acquire_owned().await else {
                return;
            };
            let qp = self.queue.pop().await;
            let result = {
                let mut cache = self.cache();
                let r = schedule_pod(
                    &self.framework,
                    &mut cache,
                    &qp.info,
                    self.options.percentage_of_nodes_to_score,
                    &mut cursor,
                );
                if let Ok(node) = &r {
                    cache.assume(qp.info.clone(), node);
                }
                r
            };
            match result {
                Ok(node) => {
                    let this = self.clone();
                    tokio::spawn(async move {
                        this.bind(qp, node).await;
                        drop(permit);
                    });
                }
                Err(e) => {
                    drop(permit);
                    let message = e.message();
                    tracing::debug!(pod = %qp.info.name, namespace = %qp.info.namespace, %message, "unschedulable");
                    self.queue.add_unschedulable(&qp.info.uid, qp.cycle);
                    self.report_failure(qp.info.clone(), message, true);
                }
            }
        }
    }

    /// POST pods/<name>/binding; then the Scheduled event, or forget and retry.
    async fn bind(&self, qp: QueuedPod, node: String) {
        let info = &qp.info;
        let api: Api<Pod> = Api::namespaced(self.client.clone(), &info.namespace);
        let binding = Binding {
            metadata: ObjectMeta {
                name: Some(info.name.clone()),
                namespace: Some(info.namespace.clone()),
                uid: Some(info.uid.clone()),
                ..Default::default()
            },
            target: ObjectReference {
                api_version: Some("v1".into()),
                kind: Some("Node".into()),
                name: Some(node.clone()),
                ..Default::default()
            },
        };
        let res = api
            .create_subresource::<_, serde_json::Value>(
                "binding",
                &info.name,
                &PostParams::default(),
                &binding,
            )
            .await;
        match res {
            Ok(_) => {
                self.queue.done(&info.uid);
                self.event(
                    pod_reference(info),
                    berth_controllers::events::NORMAL,
                    "Scheduled",
                    format!(
                        "Successfully assigned {}/{} to {node}",
                        info.namespace, info.name
                    ),
                );
            }
            Err(e) => {
                self.cache().forget(&info.uid);
                let gone = matches!(&e, kube::Error::Api(s) if s.code == 404 || s.code == 409);
                let message = match &e {
                    kube::Error::Api(s) => s.message.clone(),
                    other => other.to_string(),
                };
                if gone {
                    // Deleted, or bound by someone else: the watch has the truth.
                    tracing::debug!(pod = %info.name, %message, "binding not needed");
                    self.queue.done(&info.uid);
                    return;
                }
                tracing::warn!(pod = %info.name, namespace = %info.namespace, %node, %message, "binding failed");
                self.queue.add_backoff(&info.uid);
                self.report_failure(
                    qp.info.clone(),
                    format!("Binding rejected: {message}"),
                    false,
                );
            }
        }
    }

    /// FailedScheduling event and PodScheduled=False condition, off the hot path.
    fn report_failure(&self, info: Arc<PodInfo>, message: String, condition: bool) {
        self.event(
            pod_reference(&info),
            berth_controllers::events::WARNING,
            "FailedScheduling",
            message.clone(),
        );
        if !condition {
            return;
        }
        let Some(patch) = unschedulable_condition_patch(&info.pod, &message) else {
            return;
        };
        let client = self.client.clone();
        let slots = self.status_slots.clone();
        tokio::spawn(async move {
            let Ok(_permit) = slots.acquire_owned().await else {
                return;
            };
            let api: Api<Pod> = Api::namespaced(client, &info.namespace);
            if let Err(e) = api
                .patch_status(
                    &info.name,
                    &PatchParams::default(),
                    &Patch::Strategic(&patch),
                )
                .await
            {
                tracing::debug!(pod = %info.name, error = %e, "updating PodScheduled condition");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::types::Resource;
    use k8s_openapi::api::core::v1::{Node, NodeCondition, NodeSpec, NodeStatus};
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

    fn node(name: &str, cpu: &str) -> Arc<Node> {
        Arc::new(Node {
            metadata: ObjectMeta {
                name: Some(name.into()),
                ..Default::default()
            },
            spec: Some(NodeSpec::default()),
            status: Some(NodeStatus {
                allocatable: Some(
                    [
                        ("cpu".to_string(), Quantity(cpu.into())),
                        ("memory".to_string(), Quantity("8Gi".into())),
                        ("pods".to_string(), Quantity("110".into())),
                    ]
                    .into(),
                ),
                conditions: Some(vec![NodeCondition {
                    type_: "Ready".into(),
                    status: "True".into(),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
        })
    }

    fn pod(uid: &str, cpu: i64, owner: Option<&str>) -> Arc<PodInfo> {
        let mut p = Pod::default();
        p.metadata.uid = Some(uid.into());
        p.metadata.owner_references = owner.map(|o| {
            vec![OwnerReference {
                uid: o.into(),
                controller: Some(true),
                ..Default::default()
            }]
        });
        p.spec = Some(Default::default());
        let mut info = PodInfo::new(Arc::new(p));
        info.requests = Resource {
            milli_cpu: cpu,
            ..Default::default()
        };
        Arc::new(info)
    }

    #[test]
    fn message_matches_upstream() {
        let e = ScheduleError::Fit {
            num_all_nodes: 3,
            statuses: vec![Status::unschedulable("Insufficient cpu"); 3],
            preemption_never: false,
        };
        assert_eq!(
            e.message(),
            "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
        );
        let e = ScheduleError::Fit {
            num_all_nodes: 3,
            statuses: vec![
                Status::unresolvable("node(s) were unschedulable"),
                Status::unschedulable("Insufficient cpu"),
                Status::unschedulable("Insufficient cpu"),
            ],
            preemption_never: false,
        };
        assert_eq!(
            e.message(),
            "0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod."
        );
        assert_eq!(ScheduleError::NoNodes.message(), ERR_NO_NODES_AVAILABLE);
    }

    #[test]
    fn adaptive_percentage() {
        assert_eq!(num_feasible_nodes_to_find(50, 0), 50);
        assert_eq!(num_feasible_nodes_to_find(1000, 0), 420);
        assert_eq!(num_feasible_nodes_to_find(5000, 0), 500);
        assert_eq!(num_feasible_nodes_to_find(150, 0), 100);
    }

    #[test]
    fn spreads_one_owner_evenly_and_respects_capacity() {
        let fw = Framework::default();
        let mut cache = Cache::default();
        for i in 0..3 {
            cache.add_or_update_node(node(&format!("n{i}"), "4"));
        }
        let mut cursor = Cursor::default();
        for i in 0..9 {
            let p = pod(&format!("p{i}"), 100, Some("rs1"));
            let n = schedule_pod(&fw, &mut cache, &p, 0, &mut cursor).expect("fits");
            cache.assume(p, &n);
        }
        for i in 0..3 {
            assert_eq!(cache.node(&format!("n{i}")).map(|n| n.pod_count), Some(3));
        }
        let big = pod("big", 5000, None);
        let err = schedule_pod(&fw, &mut cache, &big, 0, &mut cursor).unwrap_err();
        assert!(err
            .message()
            .starts_with("0/3 nodes are available: 3 Insufficient cpu."));
    }

    #[test]
    fn not_ready_nodes_are_filtered_by_taint() {
        let fw = Framework::default();
        let mut cache = Cache::default();
        let mut n = (*node("n0", "4")).clone();
        if let Some(c) = n.status.as_mut().and_then(|s| s.conditions.as_mut()) {
            c[0].status = "False".into();
        }
        cache.add_or_update_node(Arc::new(n));
        let err = schedule_pod(
            &fw,
            &mut cache,
            &pod("p", 0, None),
            0,
            &mut Cursor::default(),
        )
        .unwrap_err();
        assert!(err
            .message()
            .starts_with("0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }."));
    }
}
