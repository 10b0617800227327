//! Deployment status from its ReplicaSets and the Deployment conditions
//! (calculateStatus in sync.go, condition helpers of deployment_util.go).

use std::sync::Arc;

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet, ReplicaSetCondition,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

use super::util;

/// Condition types.
pub const AVAILABLE: &str = "Available";
pub const PROGRESSING: &str = "Progressing";
pub const REPLICA_FAILURE: &str = "ReplicaFailure";

/// Condition reasons, as upstream spells them.
pub const REPLICA_SET_UPDATED: &str = "ReplicaSetUpdated";
pub const FAILED_RS_CREATE: &str = "ReplicaSetCreateError";
pub const NEW_REPLICA_SET_CREATED: &str = "NewReplicaSetCreated";
pub const FOUND_NEW_RS: &str = "FoundNewReplicaSet";
pub const NEW_RS_AVAILABLE: &str = "NewReplicaSetAvailable";
pub const TIMED_OUT: &str = "ProgressDeadlineExceeded";
pub const PAUSED: &str = "DeploymentPaused";
pub const RESUMED: &str = "DeploymentResumed";
pub const MINIMUM_REPLICAS_AVAILABLE: &str = "MinimumReplicasAvailable";
pub const MINIMUM_REPLICAS_UNAVAILABLE: &str = "MinimumReplicasUnavailable";

/// Now, to the second (what metav1.Time keeps).
pub fn now() -> Time {
    let t = Timestamp::now();
    Time(Timestamp::from_second(t.as_second()).unwrap_or(t))
}

/// NewDeploymentCondition: both times now.
pub fn new_condition(
    type_: &str,
    status: &str,
    reason: &str,
    message: &str,
) -> DeploymentCondition {
    DeploymentCondition {
        type_: type_.into(),
        status: status.into(),
        reason: Some(reason.into()),
        message: Some(message.into()),
        last_update_time: Some(now()),
        last_transition_time: Some(now()),
    }
}

/// The condition of type `t`.
pub fn get_condition<'a>(s: &'a DeploymentStatus, t: &str) -> Option<&'a DeploymentCondition> {
    s.conditions.iter().flatten().find(|c| c.type_ == t)
}

/// The Deployment's condition of type `t`.
pub fn deployment_condition<'a>(d: &'a Deployment, t: &str) -> Option<&'a DeploymentCondition> {
    d.status.as_ref().and_then(|s| get_condition(s, t))
}

/// SetDeploymentCondition: same status and reason leaves the condition alone; same
/// status keeps the transition time; the condition moves to the end.
pub fn set_condition(s: &mut DeploymentStatus, mut c: DeploymentCondition) {
    if let Some(cur) = get_condition(s, &c.type_) {
        if cur.status == c.status && cur.reason == c.reason {
            return;
        }
        if cur.status == c.status {
            c.last_transition_time = cur.last_transition_time.clone();
        }
    }
    remove_condition(s, &c.type_);
    s.conditions.get_or_insert_with(Vec::new).push(c);
}

/// RemoveDeploymentCondition.
pub fn remove_condition(s: &mut DeploymentStatus, t: &str) {
    if let Some(cs) = s.conditions.as_mut() {
        cs.retain(|c| c.type_ != t);
    }
}

/// ReplicaSetToDeploymentCondition.
pub fn from_replica_set_condition(c: &ReplicaSetCondition) -> DeploymentCondition {
    DeploymentCondition {
        type_: c.type_.clone(),
        status: c.status.clone(),
        reason: c.reason.clone(),
        message: c.message.clone(),
        last_update_time: c.last_transition_time.clone(),
        last_transition_time: c.last_transition_time.clone(),
    }
}

/// calculateStatus: counts summed over the ReplicaSets, and the Available condition.
pub fn calculate_status(
    all: &[Arc<ReplicaSet>],
    new_rs: Option<&Arc<ReplicaSet>>,
    d: &Deployment,
) -> DeploymentStatus {
    let available = util::available_count(all);
    let total = util::replica_count(all);
    let unavailable = (total - available).max(0);
    let cur = d.status.clone().unwrap_or_default();
    let mut status = DeploymentStatus {
        observed_generation: d.metadata.generation,
        replicas: Some(util::actual_count(all)),
        updated_replicas: Some(new_rs.map(|r| util::rs_actual(r)).unwrap_or(0)),
        ready_replicas: Some(util::ready_count(all)),
        available_replicas: Some(available),
        unavailable_replicas: Some(unavailable),
        collision_count: cur.collision_count,
        conditions: cur.conditions.clone(),
        terminating_replicas: cur.terminating_replicas,
    };
    if available >= util::replicas(d) - util::max_unavailable(d) {
        set_condition(
            &mut status,
            new_condition(
                AVAILABLE,
                "True",
                MINIMUM_REPLICAS_AVAILABLE,
                "Deployment has minimum availability.",
            ),
        );
    } else {
        set_condition(
            &mut status,
            new_condition(
                AVAILABLE,
                "False",
                MINIMUM_REPLICAS_UNAVAILABLE,
                "Deployment does not have minimum availability.",
            ),
        );
    }
    status
}

/// A status with absent counters as 0 and absent conditions as none, so that what was
/// written compares equal to what is read back.
pub fn normalized(s: Option<&DeploymentStatus>) -> DeploymentStatus {
    let mut s = s.cloned().unwrap_or_default();
    for f in [
        &mut s.replicas,
        &mut s.updated_replicas,
        &mut s.ready_replicas,
        &mut s.available_replicas,
        &mut s.unavailable_replicas,
    ] {
        f.get_or_insert(0);
    }
    if s.conditions.as_ref().is_some_and(|c| c.is_empty()) {
        s.conditions = None;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_condition_keeps_times_when_nothing_changes() {
        let mut s = DeploymentStatus::default();
        let mut c = new_condition(PROGRESSING, "True", NEW_REPLICA_SET_CREATED, "a");
        c.last_transition_time = Some(Time(Timestamp::UNIX_EPOCH));
        set_condition(&mut s, c);
        set_condition(
            &mut s,
            new_condition(AVAILABLE, "True", MINIMUM_REPLICAS_AVAILABLE, "m"),
        );
        // same status, new reason: replaced, transition time kept, moved last
        set_condition(
            &mut s,
            new_condition(PROGRESSING, "True", NEW_RS_AVAILABLE, "b"),
        );
        let cs = s.conditions.clone().unwrap_or_default();
        assert_eq!(cs.len(), 2);
        assert_eq!(cs[1].reason.as_deref(), Some(NEW_RS_AVAILABLE));
        assert_eq!(
            cs[1].last_transition_time,
            Some(Time(Timestamp::UNIX_EPOCH))
        );
        // same status and reason: untouched (message too)
        set_condition(
            &mut s,
            new_condition(PROGRESSING, "True", NEW_RS_AVAILABLE, "c"),
        );
        assert_eq!(
            get_condition(&s, PROGRESSING).and_then(|c| c.message.as_deref()),
            Some("b")
        );
        // status change: new transition time
        set_condition(&mut s, new_condition(PROGRESSING, "False", TIMED_OUT, "d"));
        assert_ne!(
            get_condition(&s, PROGRESSING).and_then(|c| c.last_transition_time.clone()),
            Some(Time(Timestamp::UNIX_EPOCH))
        );
    }
}
