//! The RollingUpdate strategy: scale the new ReplicaSet up within maxSurge and the old
//! ones down within maxUnavailable, unhealthy old replicas first (rolling.go).

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};

use super::progress::{deployment_complete, sync_rollout_status};
use super::sync::{all_of, create_new_replica_set, scale_replica_set_and_record_event};
use super::{history, util, Dc, Error};

/// rolloutRolling: one step of a rolling update, then status. Returns when to look again.
pub async fn rollout_rolling(
    dc: &Dc,
    d: &mut Deployment,
    new_rs: Option<Arc<ReplicaSet>>,
    old: Vec<Arc<ReplicaSet>>,
) -> Result<Option<Duration>, Error> {
    let new_rs = match new_rs {
        Some(rs) => rs,
        None => create_new_replica_set(dc, d, &old).await?,
    };
    let all = all_of(&old, Some(&new_rs));

    if reconcile_new_replica_set(dc, &all, &new_rs, d).await? {
        return sync_rollout_status(dc, d, &all, Some(&new_rs)).await;
    }
    let active_old = util::active(&old);
    if reconcile_old_replica_sets(dc, &all, active_old, &new_rs, d).await? {
        return sync_rollout_status(dc, d, &all, Some(&new_rs)).await;
    }
    if let Some(s) = d.status.clone() {
        if deployment_complete(d, &s) {
            history::cleanup_deployment(dc, &dc.latest(&old), d).await?;
        }
    }
    sync_rollout_status(dc, d, &all, Some(&new_rs)).await
}

/// reconcileNewReplicaSet: down to the desired count if above it, else up as far as
/// maxSurge allows. True when it scaled.
async fn reconcile_new_replica_set(
    dc: &Dc,
    all: &[Arc<ReplicaSet>],
    new_rs: &Arc<ReplicaSet>,
    d: &Deployment,
) -> Result<bool, Error> {
    let want = util::replicas(d);
    let have = util::rs_replicas(new_rs);
    if have == want {
        return Ok(false);
    }
    let target = if have > want {
        want
    } else {
        util::new_rs_new_replicas(d, all, new_rs)
    };
    Ok(scale_replica_set_and_record_event(dc, new_rs, target, d)
        .await?
        .0)
}

/// reconcileOldReplicaSets: scale old ReplicaSets down as far as availability allows,
/// their unhealthy replicas first. True when it scaled.
async fn reconcile_old_replica_sets(
    dc: &Dc,
    all: &[Arc<ReplicaSet>],
    old: Vec<Arc<ReplicaSet>>,
    new_rs: &Arc<ReplicaSet>,
    d: &Deployment,
) -> Result<bool, Error> {
    if util::replica_count(&old) == 0 {
        return Ok(false);
    }
    let all_pods = util::replica_count(all);
    let min_available = util::replicas(d) - util::max_unavailable(d);
    let new_unavailable = util::rs_replicas(new_rs) - util::rs_available_capped(new_rs);
    let max_scaled_down = all_pods - min_available - new_unavailable;
    if max_scaled_down <= 0 {
        return Ok(false);
    }
    // unhealthy old replicas first, or they block the rollout (kubernetes#16737)
    let (old, cleaned) = cleanup_unhealthy_replicas(dc, old, d, max_scaled_down).await?;
    let all = all_of(&old, Some(new_rs));
    let scaled = scale_down_old_replica_sets(dc, &all, old, d).await?;
    Ok(cleaned + scaled > 0)
}

/// cleanupUnhealthyReplicas: takes away old replicas that are not available, oldest
/// ReplicaSet first, at most `max_cleanup`.
async fn cleanup_unhealthy_replicas(
    dc: &Dc,
    mut old: Vec<Arc<ReplicaSet>>,
    d: &Deployment,
    max_cleanup: i32,
) -> Result<(Vec<Arc<ReplicaSet>>, i32), Error> {
    old.sort_by(|a, b| util::by_creation(a, b));
    let mut total = 0;
    for rs in old.iter_mut() {
        if total >= max_cleanup {
            break;
        }
        let replicas = util::rs_replicas(rs);
        let available = util::rs_available_capped(rs);
        if replicas == 0 || replicas <= available {
            continue;
        }
        let count = (max_cleanup - total).min(replicas - available);
        let (_, updated) = scale_replica_set_and_record_event(dc, rs, replicas - count, d).await?;
        *rs = updated;
        total += count;
    }
    Ok((old, total))
}

/// scaleDownOldReplicaSetsForRollingUpdate: scales old ReplicaSets down, oldest first,
/// by as many as are available above replicas - maxUnavailable.
async fn scale_down_old_replica_sets(
    dc: &Dc,
    all: &[Arc<ReplicaSet>],
    mut old: Vec<Arc<ReplicaSet>>,
    d: &Deployment,
) -> Result<i32, Error> {
    let min_available = util::replicas(d) - util::max_unavailable(d);
    // a status not yet reflecting an earlier scale-down must not count twice
    let available: i32 = all.iter().map(|rs| util::rs_available_capped(rs)).sum();
    if available <= min_available {
        return Ok(0);
    }
    old.sort_by(|a, b| util::by_creation(a, b));
    let to_scale_down = available - min_available;
    let mut total = 0;
    for rs in &old {
        if total >= to_scale_down {
            break;
        }
        let replicas = util::rs_replicas(rs);
        if replicas == 0 {
            continue;
        }
        let count = replicas.min(to_scale_down - total);
        scale_replica_set_and_record_event(dc, rs, replicas - count, d).await?;
        total += count;
    }
    Ok(total)
}
