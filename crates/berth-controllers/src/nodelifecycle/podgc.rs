//! Pod garbage collection for dead nodes (pkg/controller/podgc): pods bound to nodes that
//! no longer exist, and pods whose graceful deletion no kubelet will finish because their
//! node is not ready, are marked Failed and deleted with no grace period.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::{Api, DeleteParams, Patch, PatchParams, Preconditions};
use kube::ResourceExt;

use super::taints;
use super::Shared;

/// How long a node must be missing before its pods count as orphaned (quarantineTime).
const QUARANTINE: Duration = Duration::from_secs(40);

/// Runs the collector until the process ends.
pub(super) async fn run(shared: Arc<Shared>) {
    let grace = shared.ctx.options.node_monitor_grace_period;
    let period = grace.clamp(Duration::from_secs(2), Duration::from_secs(20));
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut missing_since: HashMap<String, Instant> = HashMap::new();
    loop {
        ticker.tick().await;
        pass(&shared, grace, &mut missing_since).await;
    }
}

/// Whether a terminating pod on `node` has waited long enough for a kubelet that is not
/// coming: the node has been not ready for the grace period, and the pod's own deletion
/// grace plus the node grace period has passed.
pub(super) fn abandoned(pod: &Pod, node: &Node, grace: Duration, now: Timestamp) -> bool {
    let Some(deleting) = pod.metadata.deletion_timestamp.as_ref() else {
        return false;
    };
    let Some(ready) = taints::ready_condition(node) else {
        return false;
    };
    if ready.status == "True" {
        return false;
    }
    let grace = SignedDuration::try_from(grace).unwrap_or(SignedDuration::ZERO);
    let since = ready.last_transition_time.as_ref().map(|t| t.0);
    let node_dead_long = since.is_some_and(|t| t.checked_add(grace).is_ok_and(|d| d <= now));
    let pod_waited = deleting.0.checked_add(grace).is_ok_and(|d| d <= now);
    node_dead_long && pod_waited
}

async fn pass(shared: &Shared, grace: Duration, missing_since: &mut HashMap<String, Instant>) {
    let nodes: HashMap<String, Arc<Node>> = shared
        .nodes
        .state()
        .into_iter()
        .map(|n| (n.name_any(), n))
        .collect();
    let now = Timestamp::now();
    let node_api: Api<Node> = Api::all(shared.ctx.client.clone());
    let mut referenced: HashSet<String> = HashSet::new();
    // Per pass: whether a node missing from the cache is confirmed gone by the API server.
    let mut confirmed: HashMap<String, bool> = HashMap::new();
    for pod in shared.pods.state() {
        let Some(node_name) = pod.spec.as_ref().and_then(|s| s.node_name.clone()) else {
            continue;
        };
        match nodes.get(&node_name) {
            Some(node) => {
                if abandoned(&pod, node, grace, now) {
                    force_delete(shared, &pod, None).await;
                }
            }
            None => {
                referenced.insert(node_name.clone());
                let since = *missing_since
                    .entry(node_name.clone())
                    .or_insert_with(Instant::now);
                if since.elapsed() < QUARANTINE {
                    continue;
                }
                let gone = match confirmed.get(&node_name) {
                    Some(g) => *g,
                    None => {
                        let g = matches!(node_api.get(&node_name).await, Err(kube::Error::Api(e)) if e.code == 404);
                        confirmed.insert(node_name.clone(), g);
                        g
                    }
                };
                if gone {
                    let cond = ("DeletionByPodGC", "PodGC: node no longer exists");
                    force_delete(shared, &pod, Some(cond)).await;
                }
            }
        }
    }
    missing_since.retain(|n, _| referenced.contains(n));
}

/// markFailedAndDeletePodWithCondition: phase Failed (unless terminal) with an optional
/// DisruptionTarget condition, then delete with gracePeriodSeconds=0.
async fn force_delete(shared: &Shared, pod: &Pod, condition: Option<(&str, &str)>) {
    let ns = pod.namespace().unwrap_or_default();
    let name = pod.name_any();
    let api: Api<Pod> = Api::namespaced(shared.ctx.client.clone(), &ns);
    let phase = crate::util::phase(pod);
    if phase != "Succeeded" && phase != "Failed" {
        let mut status = serde_json::json!({"phase": "Failed"});
        if let Some((reason, message)) = condition {
            status["conditions"] = serde_json::json!([{
                "type": "DisruptionTarget",
                "status": "True",
                "reason": reason,
                "message": message,
                "lastTransitionTime": Time(Timestamp::now()),
            }]);
        }
        let patch = serde_json::json!({ "status": status });
        match api
            .patch_status(&name, &PatchParams::default(), &Patch::Strategic(&patch))
            .await
        {
            Ok(_) => {}
            Err(kube::Error::Api(e)) if e.code == 404 => return,
            Err(e) => {
                tracing::debug!(pod = %name, error = %e, "marking pod Failed before force deletion");
                return;
            }
        }
    }
    let dp = DeleteParams {
        grace_period_seconds: Some(0),
        preconditions: Some(Preconditions {
            uid: pod.uid(),
            resource_version: None,
        }),
        ..Default::default()
    };
    match api.delete(&name, &dp).await {
        Ok(_) => {
            tracing::info!(pod = %format!("{ns}/{name}"), "forced deletion of a pod on a dead node")
        }
        Err(kube::Error::Api(e)) if e.code == 404 || e.code == 409 => {}
        Err(e) => tracing::debug!(pod = %name, error = %e, "force deleting pod"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{NodeCondition, NodeStatus};

    fn node(status: &str, since: Timestamp) -> Node {
        Node {
            status: Some(NodeStatus {
                conditions: Some(vec![NodeCondition {
                    type_: "Ready".into(),
                    status: status.into(),
                    last_transition_time: Some(Time(since)),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn only_terminating_pods_on_long_dead_nodes_are_abandoned() {
        let now = Timestamp::now();
        let ago = |s: i64| now - SignedDuration::from_secs(s);
        let grace = Duration::from_secs(5);
        let mut pod = Pod::default();
        let dead = node("Unknown", ago(60));
        assert!(!abandoned(&pod, &dead, grace, now), "not terminating");
        pod.metadata.deletion_timestamp = Some(Time(ago(10)));
        assert!(abandoned(&pod, &dead, grace, now));
        assert!(!abandoned(&pod, &node("True", ago(60)), grace, now));
        assert!(!abandoned(&pod, &node("Unknown", ago(2)), grace, now));
        pod.metadata.deletion_timestamp = Some(Time(ago(2)));
        assert!(
            !abandoned(&pod, &dead, grace, now),
            "deletion grace not over"
        );
    }
}
