//! Taint-based eviction (pkg/controller/tainteviction): pods on a node with NoExecute
//! taints they do not tolerate are deleted at once; pods tolerating them for
//! `tolerationSeconds` are deleted when that time has passed since the taint was added.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Pod, Taint};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::{Api, DeleteParams, Patch, PatchParams, Preconditions};
use kube::ResourceExt;

use super::taints::{self, NO_EXECUTE};
use super::Shared;
use crate::events::NORMAL;

/// How often pods on tainted nodes are looked at.
const PERIOD: Duration = Duration::from_millis(500);

/// Runs the eviction loop until the process ends.
pub(super) async fn run(shared: Arc<Shared>) {
    let mut ticker = tokio::time::interval(PERIOD);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Pods waiting out their toleration: key → when first seen waiting.
    let mut pending: HashMap<String, Timestamp> = HashMap::new();
    // Uids of pods deleted, until the cache shows them gone or terminating.
    let mut evicted: HashSet<String> = HashSet::new();
    loop {
        ticker.tick().await;
        pass(&shared, &mut pending, &mut evicted).await;
    }
}

async fn pass(
    shared: &Shared,
    pending: &mut HashMap<String, Timestamp>,
    evicted: &mut HashSet<String>,
) {
    let tainted: HashMap<String, Vec<Taint>> = shared
        .nodes
        .state()
        .iter()
        .filter_map(|n| {
            let t: Vec<Taint> = n
                .spec
                .as_ref()?
                .taints
                .iter()
                .flatten()
                .filter(|t| t.effect == NO_EXECUTE)
                .cloned()
                .collect();
            (!t.is_empty()).then(|| (n.name_any(), t))
        })
        .collect();
    if tainted.is_empty() && pending.is_empty() {
        evicted.clear();
        return;
    }
    let now = Timestamp::now();
    let pods = shared.pods.state();
    let live: HashSet<&str> = pods
        .iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .filter_map(|p| p.metadata.uid.as_deref())
        .collect();
    evicted.retain(|uid| live.contains(uid.as_str()));
    let mut waiting: HashMap<String, Timestamp> = HashMap::new();
    for pod in &pods {
        let Some(node) = pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) else {
            continue;
        };
        let Some(node_taints) = tainted.get(node) else {
            continue;
        };
        let uid = pod.uid().unwrap_or_default();
        if pod.metadata.deletion_timestamp.is_some() || evicted.contains(&uid) {
            continue;
        }
        let key = format!("{}/{}", pod.namespace().unwrap_or_default(), pod.name_any());
        let refs: Vec<&Taint> = node_taints.iter().collect();
        let tolerations = pod
            .spec
            .as_ref()
            .and_then(|s| s.tolerations.clone())
            .unwrap_or_default();
        let due = match taints::toleration_time(&refs, &tolerations) {
            None => true,
            Some(None) => false,
            Some(Some(secs)) => {
                let first_seen = *pending.get(&key).unwrap_or(&now);
                // Counted from when the taint was added (so a restart of this controller
                // does not restart the clock), but never from before the pod existed.
                let tainted_at = node_taints
                    .iter()
                    .filter_map(|t| t.time_added.as_ref().map(|t| t.0))
                    .min()
                    .unwrap_or(first_seen);
                let created = pod.metadata.creation_timestamp.as_ref().map(|t| t.0);
                let start = created.map_or(tainted_at, |c| c.max(tainted_at));
                let deadline = start
                    .checked_add(SignedDuration::from_secs(secs))
                    .unwrap_or(start);
                if now < deadline {
                    waiting.insert(key.clone(), first_seen);
                    false
                } else {
                    true
                }
            }
        };
        if due && evict(shared, pod, &key).await {
            evicted.insert(uid);
        }
    }
    // Pods no longer waiting and not evicted: their taint went away in time.
    for key in pending.keys() {
        if waiting.contains_key(key) {
            continue;
        }
        let still_there = pods.iter().find(|p| {
            p.metadata.deletion_timestamp.is_none()
                && format!("{}/{}", p.namespace().unwrap_or_default(), p.name_any()) == *key
                && !evicted.contains(&p.uid().unwrap_or_default())
        });
        if let Some(pod) = still_there {
            shared
                .ctx
                .recorder
                .publish(
                    pod.as_ref(),
                    NORMAL,
                    "TaintManagerEviction",
                    &format!("Cancelling deletion of Pod {key}"),
                )
                .await;
        }
    }
    *pending = waiting;
}

/// Deletes a pod for a NoExecute taint, first recording why (a DisruptionTarget
/// condition, as upstream). Returns whether the pod is gone or going.
async fn evict(shared: &Shared, pod: &Pod, key: &str) -> bool {
    let ns = pod.namespace().unwrap_or_default();
    let name = pod.name_any();
    let api: Api<Pod> = Api::namespaced(shared.ctx.client.clone(), &ns);
    shared
        .ctx
        .recorder
        .publish(
            pod,
            NORMAL,
            "TaintManagerEviction",
            &format!("Marking for deletion Pod {key}"),
        )
        .await;
    let condition = serde_json::json!({"status": {"conditions": [{
        "type": "DisruptionTarget",
        "status": "True",
        "reason": "DeletionByTaintManager",
        "message": "Taint manager: deleting due to NoExecute taint",
        "lastTransitionTime": Time(Timestamp::now()),
    }]}});
    match api
        .patch_status(
            &name,
            &PatchParams::default(),
            &Patch::Strategic(&condition),
        )
        .await
    {
        Ok(_) => {}
        Err(kube::Error::Api(e)) if e.code == 404 => return true,
        Err(e) => tracing::debug!(pod = %key, error = %e, "adding DisruptionTarget condition"),
    }
    let dp = DeleteParams {
        preconditions: Some(Preconditions {
            uid: pod.uid(),
            resource_version: None,
        }),
        ..Default::default()
    };
    match api.delete(&name, &dp).await {
        Ok(_) => {
            tracing::info!(pod = %key, "evicted for a NoExecute taint");
            true
        }
        Err(kube::Error::Api(e)) if e.code == 404 || e.code == 409 => true,
        Err(e) => {
            tracing::debug!(pod = %key, error = %e, "taint eviction failed, retrying");
            false
        }
    }
}
