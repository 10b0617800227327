//! Revisions: the revision and change-cause annotations of ReplicaSets and the
//! Deployment, and the revisionHistoryLimit clean-up of old ReplicaSets
//! (SetNewReplicaSetAnnotations, SetDeploymentRevision, cleanupDeployment).

use std::sync::Arc;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use kube::api::{Api, DeleteParams};
use kube::ResourceExt;

use super::util::{
    self, DEPRECATED_ROLLBACK_TO, DESIRED_REPLICAS, LAST_APPLIED, MAX_REPLICAS,
    MAX_REV_HISTORY_LENGTH, REVISION, REVISION_HISTORY,
};
use super::{Dc, Error};

/// Deployment annotations that are never copied to its ReplicaSets.
fn skip_copy(key: &str) -> bool {
    matches!(
        key,
        LAST_APPLIED
            | REVISION
            | REVISION_HISTORY
            | DESIRED_REPLICAS
            | MAX_REPLICAS
            | DEPRECATED_ROLLBACK_TO
    )
}

/// copyDeploymentAnnotationsToReplicaSet (e.g. `kubernetes.io/change-cause`); true when
/// something changed.
fn copy_deployment_annotations(d: &Deployment, rs: &mut ReplicaSet) -> bool {
    let a = rs.metadata.annotations.get_or_insert_with(Default::default);
    let mut changed = false;
    for (k, v) in d.metadata.annotations.iter().flatten() {
        if skip_copy(k) || a.get(k) == Some(v) {
            continue;
        }
        a.insert(k.clone(), v.clone());
        changed = true;
    }
    changed
}

/// SetNewReplicaSetAnnotations: copies the Deployment's annotations, raises the revision
/// to `new_revision` (keeping earlier revisions in `revision-history` when a rollback
/// makes an old ReplicaSet new again) and, for a ReplicaSet about to be created, sets the
/// replicas annotations. True when something changed.
pub fn set_new_replica_set_annotations(
    d: &Deployment,
    rs: &mut ReplicaSet,
    new_revision: i64,
    exists: bool,
) -> bool {
    let mut changed = copy_deployment_annotations(d, rs);
    let a = rs.metadata.annotations.get_or_insert_with(Default::default);
    let old = a.get(REVISION).cloned();
    let old_int = match &old {
        None => 0,
        Some(v) if v.is_empty() => 0,
        Some(v) => match v.parse::<i64>() {
            Ok(i) => i,
            Err(_) => return false,
        },
    };
    if old_int < new_revision {
        a.insert(REVISION.into(), new_revision.to_string());
        changed = true;
        if let Some(old) = old {
            let history = a.get(REVISION_HISTORY).cloned().unwrap_or_default();
            if history.is_empty() {
                a.insert(REVISION_HISTORY.into(), old);
            } else {
                let mut revs: Vec<&str> = history.split(',').collect();
                let mut total = history.len() + old.len() + 1;
                let mut start = 0;
                while total > MAX_REV_HISTORY_LENGTH && start < revs.len() {
                    total -= revs[start].len() + 1;
                    start += 1;
                }
                if total <= MAX_REV_HISTORY_LENGTH {
                    revs = revs.split_off(start);
                    revs.push(&old);
                    let joined = revs.join(",");
                    a.insert(REVISION_HISTORY.into(), joined);
                }
            }
        }
    }
    if !exists {
        let desired = util::replicas(d);
        if util::set_replicas_annotations(rs, desired, desired + util::max_surge(d)) {
            changed = true;
        }
    }
    changed
}

/// SetDeploymentRevision: true when the Deployment's revision annotation changes.
pub fn set_deployment_revision(d: &mut Deployment, revision: &str) -> bool {
    let a = d.metadata.annotations.get_or_insert_with(Default::default);
    if a.get(REVISION).map(String::as_str) == Some(revision) {
        return false;
    }
    a.insert(REVISION.into(), revision.to_string());
    true
}

/// cleanupDeployment: deletes the oldest ReplicaSets beyond `revisionHistoryLimit`, only
/// those scaled to 0 with no pods left and their spec observed.
pub async fn cleanup_deployment(
    dc: &Dc,
    old: &[Arc<ReplicaSet>],
    d: &Deployment,
) -> Result<(), Error> {
    let Some(limit) = d
        .spec
        .as_ref()
        .and_then(|s| s.revision_history_limit)
        .filter(|l| *l != i32::MAX)
    else {
        return Ok(());
    };
    let mut cleanable: Vec<Arc<ReplicaSet>> = old
        .iter()
        .filter(|rs| rs.metadata.deletion_timestamp.is_none())
        .cloned()
        .collect();
    let diff = cleanable.len() as i64 - limit as i64;
    if diff <= 0 {
        return Ok(());
    }
    cleanable.sort_by(|a, b| util::by_revision(a, b));
    let ns = d.namespace().unwrap_or_default();
    let api: Api<ReplicaSet> = Api::namespaced(dc.ctx.client.clone(), &ns);
    for rs in cleanable.iter().take(diff as usize) {
        let observed = rs
            .status
            .as_ref()
            .and_then(|s| s.observed_generation)
            .unwrap_or(0);
        if util::rs_actual(rs) != 0
            || util::rs_replicas(rs) != 0
            || rs.metadata.generation.unwrap_or(0) > observed
        {
            continue;
        }
        tracing::debug!(replicaset = %rs.name_any(), deployment = %d.name_any(), "cleaning up old replica set");
        match api.delete(&rs.name_any(), &DeleteParams::default()).await {
            Ok(_) => {}
            Err(kube::Error::Api(e)) if e.code == 404 => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::DeploymentSpec;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn deployment(annotations: &[(&str, &str)]) -> Deployment {
        Deployment {
            metadata: ObjectMeta {
                annotations: Some(
                    annotations
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                ),
                ..Default::default()
            },
            spec: Some(DeploymentSpec {
                replicas: Some(4),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn ann<'a>(rs: &'a ReplicaSet, k: &str) -> Option<&'a str> {
        rs.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(k))
            .map(String::as_str)
    }

    #[test]
    fn new_replica_set_gets_revision_change_cause_and_replicas() {
        let d = deployment(&[
            ("kubernetes.io/change-cause", "kubectl set image"),
            (REVISION, "7"),
            (LAST_APPLIED, "{}"),
        ]);
        let mut rs = ReplicaSet::default();
        assert!(set_new_replica_set_annotations(&d, &mut rs, 3, false));
        assert_eq!(ann(&rs, REVISION), Some("3"));
        assert_eq!(
            ann(&rs, "kubernetes.io/change-cause"),
            Some("kubectl set image")
        );
        assert_eq!(ann(&rs, LAST_APPLIED), None);
        // default strategy: RollingUpdate with no values -> surge 0
        assert_eq!(ann(&rs, DESIRED_REPLICAS), Some("4"));
        assert_eq!(ann(&rs, MAX_REPLICAS), Some("4"));
        // nothing new the second time
        assert!(!set_new_replica_set_annotations(&d, &mut rs, 3, true));
    }

    #[test]
    fn rollback_keeps_revision_history() {
        let d = deployment(&[]);
        let mut rs = ReplicaSet::default();
        set_new_replica_set_annotations(&d, &mut rs, 1, false);
        set_new_replica_set_annotations(&d, &mut rs, 3, true);
        set_new_replica_set_annotations(&d, &mut rs, 5, true);
        assert_eq!(ann(&rs, REVISION), Some("5"));
        assert_eq!(ann(&rs, REVISION_HISTORY), Some("1,3"));
        // a lower revision never lowers it
        assert!(!set_new_replica_set_annotations(&d, &mut rs, 4, true));
        assert_eq!(ann(&rs, REVISION), Some("5"));
    }
}
