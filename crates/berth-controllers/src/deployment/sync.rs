//! Finding or creating the new ReplicaSet, scaling ReplicaSets (also proportionally when
//! a Deployment is resized mid-rollout), paused Deployments and plain status syncs
//! (sync.go).

use std::collections::HashMap;
use std::sync::Arc;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, ReplicaSetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::PostParams;
use kube::ResourceExt;
use serde_json::json;

use super::history;
use super::progress::has_progress_deadline;
use super::status::{self, PROGRESSING};
use super::util::{self, HASH_LABEL, REVISION};
use super::{Dc, Error};
use crate::events::{NORMAL, WARNING};
use crate::util::controller_of;

/// Old ReplicaSets plus the new one, if any.
pub fn all_of(old: &[Arc<ReplicaSet>], new_rs: Option<&Arc<ReplicaSet>>) -> Vec<Arc<ReplicaSet>> {
    let mut all = old.to_vec();
    all.extend(new_rs.cloned());
    all
}

/// getAllReplicaSetsAndSyncRevision without creating: the new ReplicaSet (its
/// annotations and minReadySeconds brought up to date) and the old ones; the Deployment's
/// revision follows the new ReplicaSet's.
pub async fn get_all_replica_sets_and_sync_revision(
    dc: &Dc,
    d: &mut Deployment,
    rs_list: &[Arc<ReplicaSet>],
) -> Result<(Option<Arc<ReplicaSet>>, Vec<Arc<ReplicaSet>>), Error> {
    let found = util::find_new_replica_set(d, rs_list);
    let old: Vec<Arc<ReplicaSet>> = rs_list
        .iter()
        .filter(|rs| found.as_ref().is_none_or(|n| n.uid() != rs.uid()))
        .cloned()
        .collect();
    let Some(existing) = found else {
        return Ok((None, old));
    };
    let new_revision = util::max_revision(&old) + 1;
    let mut copy = (*existing).clone();
    let annotations_updated =
        history::set_new_replica_set_annotations(d, &mut copy, new_revision, true);
    let min_ready = d
        .spec
        .as_ref()
        .and_then(|s| s.min_ready_seconds)
        .unwrap_or(0);
    let rs_min_ready = copy
        .spec
        .as_ref()
        .and_then(|s| s.min_ready_seconds)
        .unwrap_or(0);
    let new_rs = if annotations_updated || rs_min_ready != min_ready {
        let patch = json!({
            "metadata": {"annotations": copy.metadata.annotations},
            "spec": {"minReadySeconds": min_ready},
        });
        dc.patch_rs(&existing, patch).await?
    } else {
        existing
    };
    let rev = new_rs
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(REVISION))
        .cloned()
        .unwrap_or_default();
    if history::set_deployment_revision(d, &rev) {
        dc.update_revision(d).await?;
    }
    if has_progress_deadline(d) && status::deployment_condition(d, PROGRESSING).is_none() {
        let mut s = d.status.clone().unwrap_or_default();
        status::set_condition(
            &mut s,
            status::new_condition(
                PROGRESSING,
                "True",
                status::FOUND_NEW_RS,
                &format!("Found new replica set \"{}\"", new_rs.name_any()),
            ),
        );
        dc.update_status(d, s).await?;
    }
    Ok((Some(new_rs), old))
}

/// The ReplicaSet for the Deployment's current template (getNewReplicaSet creating it):
/// named `<deployment>-<hash>`, sized as far as the strategy allows, revision max+1. A
/// name already taken by this Deployment's ReplicaSet with the same template is that
/// ReplicaSet; taken by anything else it is a hash collision: collisionCount goes up
/// and the next sync tries another name.
pub async fn create_new_replica_set(
    dc: &Dc,
    d: &mut Deployment,
    old: &[Arc<ReplicaSet>],
) -> Result<Arc<ReplicaSet>, Error> {
    let spec = d.spec.clone().unwrap_or_default();
    let ns = d.namespace().unwrap_or_default();
    let collision_count = d.status.as_ref().and_then(|s| s.collision_count);
    let hash = util::compute_hash(&spec.template, collision_count);
    let mut template = spec.template.clone();
    template
        .metadata
        .get_or_insert_with(Default::default)
        .labels
        .get_or_insert_with(Default::default)
        .insert(HASH_LABEL.into(), hash.clone());
    let mut selector = spec.selector.clone();
    selector
        .match_labels
        .get_or_insert_with(Default::default)
        .insert(HASH_LABEL.into(), hash.clone());
    let name = format!("{}-{}", d.name_any(), hash);
    let mut rs = ReplicaSet {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace: Some(ns.clone()),
            labels: template.metadata.as_ref().and_then(|m| m.labels.clone()),
            owner_references: Some(vec![crate::util::controller_ref(d)]),
            ..Default::default()
        },
        spec: Some(ReplicaSetSpec {
            replicas: Some(0),
            min_ready_seconds: spec.min_ready_seconds,
            selector,
            template: Some(template),
        }),
        status: None,
    };
    let with_new = all_of(old, Some(&Arc::new(rs.clone())));
    let replicas = util::new_rs_new_replicas(d, &with_new, &rs);
    if let Some(s) = rs.spec.as_mut() {
        s.replicas = Some(replicas);
    }
    let new_revision = util::max_revision(old) + 1;
    history::set_new_replica_set_annotations(d, &mut rs, new_revision, false);

    let api = dc.rs_api(&ns);
    let (created, already_existed) = match api.create(&PostParams::default(), &rs).await {
        Ok(c) => (dc.rss.put(c), false),
        Err(kube::Error::Api(e)) if e.reason == "AlreadyExists" => {
            // a fresh read, not the cache: it may be ours from a sync the cache missed
            let existing = api.get_opt(&name).await?;
            let ours = existing.filter(|x| {
                controller_of(&x.metadata).is_some_and(|r| Some(&r.uid) == d.uid().as_ref())
                    && x.spec
                        .as_ref()
                        .and_then(|s| s.template.as_ref())
                        .is_some_and(|t| util::equal_ignore_hash(t, &spec.template))
            });
            match ours {
                Some(x) => (dc.rss.put(x), true),
                None => {
                    let mut s = d.status.clone().unwrap_or_default();
                    s.collision_count = Some(s.collision_count.unwrap_or(0).saturating_add(1));
                    tracing::info!(deployment = %d.name_any(), replicaset = %name, "pod template hash collision");
                    dc.update_status(d, s).await?;
                    return Err(Error::Collision(name));
                }
            }
        }
        Err(e) => {
            let reason = match &e {
                kube::Error::Api(s) => s.message.clone(),
                other => other.to_string(),
            };
            let msg = format!("Failed to create new replica set \"{name}\": {reason}");
            if has_progress_deadline(d) {
                let mut s = d.status.clone().unwrap_or_default();
                status::set_condition(
                    &mut s,
                    status::new_condition(PROGRESSING, "False", status::FAILED_RS_CREATE, &msg),
                );
                // the create error is what matters; a failed status write is retried with it
                let _ = dc.update_status(d, s).await;
            }
            dc.ctx
                .recorder
                .publish(d, WARNING, status::FAILED_RS_CREATE, &msg)
                .await;
            return Err(e.into());
        }
    };
    if !already_existed && replicas > 0 {
        dc.ctx
            .recorder
            .publish(
                d,
                NORMAL,
                "ScalingReplicaSet",
                &format!("Scaled up replica set {name} from 0 to {replicas}"),
            )
            .await;
    }
    if history::set_deployment_revision(d, &new_revision.to_string()) {
        dc.update_revision(d).await?;
    }
    if !already_existed && has_progress_deadline(d) {
        let mut s = d.status.clone().unwrap_or_default();
        status::set_condition(
            &mut s,
            status::new_condition(
                PROGRESSING,
                "True",
                status::NEW_REPLICA_SET_CREATED,
                &format!("Created new replica set \"{name}\""),
            ),
        );
        dc.update_status(d, s).await?;
    }
    Ok(created)
}

/// isScalingEvent: an active ReplicaSet was sized for a different replica count than
/// the Deployment now wants.
pub fn is_scaling_event(
    d: &Deployment,
    new_rs: Option<&Arc<ReplicaSet>>,
    old: &[Arc<ReplicaSet>],
) -> bool {
    let want = util::replicas(d);
    util::active(&all_of(old, new_rs))
        .iter()
        .filter_map(|rs| util::int_annotation(rs, util::DESIRED_REPLICAS))
        .any(|desired| desired != want)
}

/// checkPausedConditions: Progressing=Unknown (DeploymentPaused/DeploymentResumed) so a
/// pause never counts against the progress deadline.
pub async fn check_paused_conditions(dc: &Dc, d: &mut Deployment) -> Result<(), Error> {
    if !has_progress_deadline(d) {
        return Ok(());
    }
    let cond = status::deployment_condition(d, PROGRESSING);
    if cond.is_some_and(|c| c.reason.as_deref() == Some(status::TIMED_OUT)) {
        return Ok(());
    }
    let paused_cond = cond.is_some_and(|c| c.reason.as_deref() == Some(status::PAUSED));
    let paused = d.spec.as_ref().and_then(|s| s.paused) == Some(true);
    let c = if paused && !paused_cond {
        status::new_condition(
            PROGRESSING,
            "Unknown",
            status::PAUSED,
            "Deployment is paused",
        )
    } else if !paused && paused_cond {
        status::new_condition(
            PROGRESSING,
            "Unknown",
            status::RESUMED,
            "Deployment is resumed",
        )
    } else {
        return Ok(());
    };
    let mut s = d.status.clone().unwrap_or_default();
    status::set_condition(&mut s, c);
    dc.update_status(d, s).await
}

/// sync: scaling only (paused Deployments and replica count changes), then status.
pub async fn sync(
    dc: &Dc,
    d: &mut Deployment,
    new_rs: Option<Arc<ReplicaSet>>,
    old: Vec<Arc<ReplicaSet>>,
) -> Result<(), Error> {
    scale(dc, d, new_rs.as_ref(), &old).await?;
    let old = dc.latest(&old);
    let new_rs = new_rs.map(|r| dc.latest_one(&r));
    if d.spec.as_ref().and_then(|s| s.paused) == Some(true) {
        history::cleanup_deployment(dc, &old, d).await?;
    }
    sync_deployment_status(dc, d, &old, new_rs.as_ref()).await
}

/// syncDeploymentStatus: counts and Available, written when changed.
pub async fn sync_deployment_status(
    dc: &Dc,
    d: &mut Deployment,
    old: &[Arc<ReplicaSet>],
    new_rs: Option<&Arc<ReplicaSet>>,
) -> Result<(), Error> {
    let all = dc.latest(&all_of(old, new_rs));
    let new_rs = new_rs.map(|r| dc.latest_one(r));
    let s = status::calculate_status(&all, new_rs.as_ref(), d);
    if status::normalized(d.status.as_ref()) == status::normalized(Some(&s)) {
        return Ok(());
    }
    dc.update_status(d, s).await
}

/// scale: sizes the ReplicaSets for the Deployment's replica count. One active (or
/// none: the newest) gets everything; a saturated new one leaves the old ones nothing;
/// otherwise a rolling Deployment's change is spread over the active ReplicaSets in
/// proportion to their size.
pub async fn scale(
    dc: &Dc,
    d: &Deployment,
    new_rs: Option<&Arc<ReplicaSet>>,
    old: &[Arc<ReplicaSet>],
) -> Result<(), Error> {
    let want = util::replicas(d);
    if let Some(rs) = util::find_active_or_latest(new_rs, old) {
        if util::rs_replicas(&rs) == want {
            return Ok(());
        }
        scale_replica_set_and_record_event(dc, &rs, want, d).await?;
        return Ok(());
    }
    if util::is_saturated(d, new_rs.map(|r| r.as_ref())) {
        for rs in util::active(old) {
            scale_replica_set_and_record_event(dc, &rs, 0, d).await?;
        }
        return Ok(());
    }
    if !util::is_rolling_update(d) {
        return Ok(());
    }
    let mut all = util::active(&all_of(old, new_rs));
    let current = util::replica_count(&all);
    let allowed = if want > 0 {
        want + util::max_surge(d)
    } else {
        0
    };
    let to_add = allowed - current;
    if to_add > 0 {
        all.sort_by(|a, b| util::by_size_newer(a, b));
    } else if to_add < 0 {
        all.sort_by(|a, b| util::by_size_older(a, b));
    }
    let mut added = 0;
    let mut sizes: HashMap<String, i32> = HashMap::new();
    for rs in &all {
        let mut size = util::rs_replicas(rs);
        if to_add != 0 {
            let p = util::replica_set_proportion(rs, d, to_add, added);
            size += p;
            added += p;
        }
        sizes.insert(rs.name_any(), size);
    }
    for (i, rs) in all.iter().enumerate() {
        let mut size = sizes.get(&rs.name_any()).copied().unwrap_or(0);
        if i == 0 && to_add != 0 {
            size = (size + to_add - added).max(0);
        }
        scale_replica_set(dc, rs, size, d).await?;
    }
    Ok(())
}

/// scaleReplicaSetAndRecordEvent: a no-op at the same size.
pub async fn scale_replica_set_and_record_event(
    dc: &Dc,
    rs: &Arc<ReplicaSet>,
    new_scale: i32,
    d: &Deployment,
) -> Result<(bool, Arc<ReplicaSet>), Error> {
    if util::rs_replicas(rs) == new_scale {
        return Ok((false, rs.clone()));
    }
    scale_replica_set(dc, rs, new_scale, d).await
}

/// scaleReplicaSet: sets replicas and the desired/max-replicas annotations, with a
/// ScalingReplicaSet event when the size changed.
pub async fn scale_replica_set(
    dc: &Dc,
    rs: &Arc<ReplicaSet>,
    new_scale: i32,
    d: &Deployment,
) -> Result<(bool, Arc<ReplicaSet>), Error> {
    let old_scale = util::rs_replicas(rs);
    let size_changes = old_scale != new_scale;
    let desired = util::replicas(d);
    let max = desired + util::max_surge(d);
    if !size_changes && !util::replicas_annotations_need_update(rs, desired, max) {
        return Ok((false, rs.clone()));
    }
    let patch = json!({
        "metadata": {"annotations": {
            util::DESIRED_REPLICAS: desired.to_string(),
            util::MAX_REPLICAS: max.to_string(),
        }},
        "spec": {"replicas": new_scale},
    });
    let updated = dc.patch_rs(rs, patch).await?;
    if size_changes {
        let direction = if old_scale < new_scale { "up" } else { "down" };
        dc.ctx
            .recorder
            .publish(
                d,
                NORMAL,
                "ScalingReplicaSet",
                &format!(
                    "Scaled {direction} replica set {} from {old_scale} to {new_scale}",
                    rs.name_any()
                ),
            )
            .await;
    }
    Ok((size_changes, updated))
}
