//! Rollout progress: the Progressing condition against `progressDeadlineSeconds`, the
//! ReplicaFailure condition, and when to look again (progress.go).

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet};
use kube::ResourceExt;

use super::status::{self, PROGRESSING, REPLICA_FAILURE};
use super::{util, Dc, Error};

/// HasProgressDeadline: set and not "forever" (MaxInt32).
pub fn has_progress_deadline(d: &Deployment) -> bool {
    progress_deadline(d).is_some()
}

fn progress_deadline(d: &Deployment) -> Option<i64> {
    d.spec
        .as_ref()
        .and_then(|s| s.progress_deadline_seconds)
        .filter(|s| *s != i32::MAX)
        .map(i64::from)
}

/// DeploymentComplete: all replicas updated and available, the newest spec observed.
pub fn deployment_complete(d: &Deployment, s: &DeploymentStatus) -> bool {
    let want = util::replicas(d);
    s.updated_replicas.unwrap_or(0) == want
        && s.replicas.unwrap_or(0) == want
        && s.available_replicas.unwrap_or(0) == want
        && s.observed_generation.unwrap_or(0) >= d.metadata.generation.unwrap_or(0)
}

/// DeploymentProgressing: more updated, fewer old, more ready or more available replicas
/// than the Deployment's current status says.
pub fn deployment_progressing(d: &Deployment, new: &DeploymentStatus) -> bool {
    let old = d.status.clone().unwrap_or_default();
    let v = |x: Option<i32>| x.unwrap_or(0);
    let old_old = v(old.replicas) - v(old.updated_replicas);
    let new_old = v(new.replicas) - v(new.updated_replicas);
    v(new.updated_replicas) > v(old.updated_replicas)
        || new_old < old_old
        || v(new.ready_replicas) > v(old.ready_replicas)
        || v(new.available_replicas) > v(old.available_replicas)
}

/// Seconds since the epoch of a condition's last update.
fn last_update(c: &DeploymentCondition) -> i64 {
    c.last_update_time
        .as_ref()
        .map(|t| t.0.as_second())
        .unwrap_or(0)
}

/// DeploymentTimedOut: no progress reported for `progressDeadlineSeconds`.
pub fn deployment_timed_out(d: &Deployment, new: &DeploymentStatus, now: i64) -> bool {
    let Some(deadline) = progress_deadline(d) else {
        return false;
    };
    let Some(c) = status::get_condition(new, PROGRESSING) else {
        return false;
    };
    match c.reason.as_deref() {
        Some(status::NEW_RS_AVAILABLE) => false,
        Some(status::TIMED_OUT) => true,
        _ => last_update(c) + deadline < now,
    }
}

/// getReplicaFailures: the new ReplicaSet's ReplicaFailure conditions, else any other's.
fn replica_failures(
    all: &[Arc<ReplicaSet>],
    new_rs: Option<&Arc<ReplicaSet>>,
) -> Option<DeploymentCondition> {
    let failure = |rs: &ReplicaSet| {
        rs.status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .and_then(|cs| cs.iter().find(|c| c.type_ == REPLICA_FAILURE))
            .map(status::from_replica_set_condition)
    };
    new_rs
        .and_then(|rs| failure(rs))
        .or_else(|| all.iter().find_map(|rs| failure(rs)))
}

/// syncRolloutStatus: the status with progress estimated, written when it changed.
/// Returns when to check progress again, if a deadline may pass meanwhile.
pub async fn sync_rollout_status(
    dc: &Dc,
    d: &mut Deployment,
    all: &[Arc<ReplicaSet>],
    new_rs: Option<&Arc<ReplicaSet>>,
) -> Result<Option<Duration>, Error> {
    let all = dc.latest(all);
    let new_rs = new_rs.map(|r| dc.latest_one(r));
    let mut new_status = status::calculate_status(&all, new_rs.as_ref(), d);
    if !has_progress_deadline(d) {
        status::remove_condition(&mut new_status, PROGRESSING);
    }
    let current = status::deployment_condition(d, PROGRESSING).cloned();
    let is_complete = new_status.replicas == new_status.updated_replicas
        && current
            .as_ref()
            .is_some_and(|c| c.reason.as_deref() == Some(status::NEW_RS_AVAILABLE));
    let name = d.name_any();
    let subject = match &new_rs {
        Some(rs) => format!("ReplicaSet \"{}\"", rs.name_any()),
        None => format!("Deployment \"{name}\""),
    };
    if has_progress_deadline(d) && !is_complete {
        let now = status::now().0.as_second();
        if deployment_complete(d, &new_status) {
            status::set_condition(
                &mut new_status,
                status::new_condition(
                    PROGRESSING,
                    "True",
                    status::NEW_RS_AVAILABLE,
                    &format!("{subject} has successfully progressed."),
                ),
            );
        } else if deployment_progressing(d, &new_status) {
            let mut c = status::new_condition(
                PROGRESSING,
                "True",
                status::REPLICA_SET_UPDATED,
                &format!("{subject} is progressing."),
            );
            // progress refreshes lastUpdateTime even when the reason stays the same
            if let Some(cur) = &current {
                if cur.status == "True" {
                    c.last_transition_time = cur.last_transition_time.clone();
                }
                status::remove_condition(&mut new_status, PROGRESSING);
            }
            status::set_condition(&mut new_status, c);
        } else if deployment_timed_out(d, &new_status, now) {
            status::set_condition(
                &mut new_status,
                status::new_condition(
                    PROGRESSING,
                    "False",
                    status::TIMED_OUT,
                    &format!("{subject} has timed out progressing."),
                ),
            );
        }
    }
    match replica_failures(&all, new_rs.as_ref()) {
        Some(c) => status::set_condition(&mut new_status, c),
        None => status::remove_condition(&mut new_status, REPLICA_FAILURE),
    }
    if status::normalized(d.status.as_ref()) == status::normalized(Some(&new_status)) {
        return Ok(requeue_stuck_deployment(d, &new_status));
    }
    dc.update_status(d, new_status).await?;
    Ok(None)
}

/// requeueStuckDeployment: when the progress deadline of a rollout that is not moving
/// would pass, so that it is marked as timed out then.
pub fn requeue_stuck_deployment(d: &Deployment, new: &DeploymentStatus) -> Option<Duration> {
    let deadline = progress_deadline(d)?;
    let c = status::deployment_condition(d, PROGRESSING)?;
    if deployment_complete(d, new) || c.reason.as_deref() == Some(status::TIMED_OUT) {
        return None;
    }
    let now = status::now().0.as_second();
    let after = last_update(c) + deadline - now;
    if after < 1 {
        return Some(Duration::from_secs(1));
    }
    Some(Duration::from_secs(after as u64 + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::DeploymentSpec;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    fn d(deadline: i32) -> Deployment {
        Deployment {
            spec: Some(DeploymentSpec {
                replicas: Some(3),
                progress_deadline_seconds: Some(deadline),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn times_out_after_the_deadline_only() {
        let d = d(10);
        let mut s = DeploymentStatus::default();
        let mut c = status::new_condition(PROGRESSING, "True", status::REPLICA_SET_UPDATED, "x");
        c.last_update_time = Some(Time(
            k8s_openapi::jiff::Timestamp::from_second(1000).unwrap_or_default(),
        ));
        status::set_condition(&mut s, c);
        assert!(!deployment_timed_out(&d, &s, 1005));
        assert!(deployment_timed_out(&d, &s, 1011));
        let mut done = s.clone();
        status::set_condition(
            &mut done,
            status::new_condition(PROGRESSING, "True", status::NEW_RS_AVAILABLE, "y"),
        );
        assert!(!deployment_timed_out(&d, &done, 5000));
    }

    #[test]
    fn progress_is_any_improvement() {
        let mut dep = d(600);
        dep.status = Some(DeploymentStatus {
            replicas: Some(4),
            updated_replicas: Some(1),
            ready_replicas: Some(3),
            available_replicas: Some(3),
            ..Default::default()
        });
        let same = dep.status.clone().unwrap_or_default();
        assert!(!deployment_progressing(&dep, &same));
        let fewer_old = DeploymentStatus {
            replicas: Some(3),
            ..same.clone()
        };
        assert!(deployment_progressing(&dep, &fewer_old));
        let more_available = DeploymentStatus {
            available_replicas: Some(4),
            ..same
        };
        assert!(deployment_progressing(&dep, &more_available));
    }
}
