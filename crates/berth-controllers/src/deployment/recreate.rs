//! The Recreate strategy: scale every old ReplicaSet to 0, wait until no old pod runs,
//! then create and scale up the new ReplicaSet (recreate.go).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use kube::ResourceExt;

use super::progress::{deployment_complete, sync_rollout_status};
use super::sync::{all_of, create_new_replica_set, scale_replica_set_and_record_event};
use super::{history, util, Dc, Error};
use crate::util::{controller_of, selector_matches};

/// How often to look again while old pods are still going away (upstream is woken by
/// pod deletions; this controller does not watch pods).
const OLD_PODS_POLL: Duration = Duration::from_secs(1);

/// rolloutRecreate. Returns when to look again.
pub async fn rollout_recreate(
    dc: &Dc,
    d: &mut Deployment,
    rs_list: &[Arc<ReplicaSet>],
    new_rs: Option<Arc<ReplicaSet>>,
    old: Vec<Arc<ReplicaSet>>,
) -> Result<Option<Duration>, Error> {
    let all = all_of(&old, new_rs.as_ref());
    let mut scaled_down = false;
    for rs in util::active(&old) {
        scaled_down |= scale_replica_set_and_record_event(dc, &rs, 0, d).await?.0;
    }
    if scaled_down {
        sync_rollout_status(dc, d, &all, new_rs.as_ref()).await?;
        return Ok(Some(OLD_PODS_POLL));
    }
    if old_pods_running(dc, d, rs_list, new_rs.as_ref(), &old).await? {
        sync_rollout_status(dc, d, &all, new_rs.as_ref()).await?;
        return Ok(Some(OLD_PODS_POLL));
    }
    let new_rs = match new_rs {
        Some(rs) => rs,
        None => create_new_replica_set(dc, d, &old).await?,
    };
    let all = all_of(&old, Some(&new_rs));
    scale_replica_set_and_record_event(dc, &new_rs, util::replicas(d), d).await?;
    if let Some(s) = d.status.clone() {
        if deployment_complete(d, &s) {
            history::cleanup_deployment(dc, &dc.latest(&old), d).await?;
        }
    }
    sync_rollout_status(dc, d, &all, Some(&new_rs)).await
}

/// oldPodsRunning: an old ReplicaSet still counts pods, or a pod of one (terminating
/// ones included) is not finished.
async fn old_pods_running(
    dc: &Dc,
    d: &Deployment,
    rs_list: &[Arc<ReplicaSet>],
    new_rs: Option<&Arc<ReplicaSet>>,
    old: &[Arc<ReplicaSet>],
) -> Result<bool, Error> {
    if util::actual_count(&dc.latest(old)) > 0 {
        return Ok(true);
    }
    let Some(selector) = d.spec.as_ref().map(|s| &s.selector) else {
        return Ok(false);
    };
    let old_uids: HashSet<String> = rs_list
        .iter()
        .filter(|rs| new_rs.is_none_or(|n| n.uid() != rs.uid()))
        .filter_map(|rs| rs.uid())
        .collect();
    if old_uids.is_empty() {
        return Ok(false);
    }
    let labels = selector
        .match_labels
        .iter()
        .flatten()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    let api: Api<Pod> = Api::namespaced(dc.ctx.client.clone(), &d.namespace().unwrap_or_default());
    let pods = api.list(&ListParams::default().labels(&labels)).await?;
    Ok(pods.items.iter().any(|p| {
        selector_matches(selector, p.labels())
            && controller_of(&p.metadata).is_some_and(|r| old_uids.contains(&r.uid))
            && !matches!(crate::util::phase(p), "Succeeded" | "Failed")
    }))
}
