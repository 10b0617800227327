//! Rollout arithmetic and ReplicaSet bookkeeping of the deployment controller, pure and
//! unit-tested (pkg/controller/deployment/util/deployment_util.go).

use std::cmp::Ordering;
use std::sync::Arc;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::Value;

/// The label that tells the pods of one ReplicaSet of a Deployment from another's.
pub const HASH_LABEL: &str = "pod-template-hash";
/// Revision of a ReplicaSet and, copied from its newest ReplicaSet, of the Deployment.
pub const REVISION: &str = "deployment.kubernetes.io/revision";
/// Earlier revisions a ReplicaSet had before a rollback made it new again.
pub const REVISION_HISTORY: &str = "deployment.kubernetes.io/revision-history";
/// The Deployment's replicas when the ReplicaSet was last scaled.
pub const DESIRED_REPLICAS: &str = "deployment.kubernetes.io/desired-replicas";
/// The Deployment's replicas + maxSurge when the ReplicaSet was last scaled.
pub const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";
/// The rollback annotation of extensions/v1beta1 (never copied).
pub const DEPRECATED_ROLLBACK_TO: &str = "deprecated.deployment.rollback.to";
/// kubectl apply's annotation (never copied to ReplicaSets).
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
/// Longest `revision-history` annotation kept, in characters.
pub const MAX_REV_HISTORY_LENGTH: usize = 2000;

/// `spec.replicas` of a Deployment (defaulted to 1 by the API server).
pub fn replicas(d: &Deployment) -> i32 {
    d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
}

/// `spec.replicas` of a ReplicaSet.
pub fn rs_replicas(rs: &ReplicaSet) -> i32 {
    rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
}

/// `status.replicas` of a ReplicaSet.
pub fn rs_actual(rs: &ReplicaSet) -> i32 {
    rs.status.as_ref().map(|s| s.replicas).unwrap_or(0)
}

/// `status.availableReplicas` of a ReplicaSet.
pub fn rs_available(rs: &ReplicaSet) -> i32 {
    rs.status
        .as_ref()
        .and_then(|s| s.available_replicas)
        .unwrap_or(0)
}

/// `status.readyReplicas` of a ReplicaSet.
pub fn rs_ready(rs: &ReplicaSet) -> i32 {
    rs.status
        .as_ref()
        .and_then(|s| s.ready_replicas)
        .unwrap_or(0)
}

/// Pods a ReplicaSet may still have: its size, or more while the ReplicaSet controller
/// has not yet seen the deletions of a scale-down.
pub fn rs_pods_upper(rs: &ReplicaSet) -> i32 {
    rs_replicas(rs).max(rs_actual(rs))
}

/// Available pods a ReplicaSet keeps: a scale-down not yet carried out may take
/// available ones, so never more than its size.
pub fn rs_available_capped(rs: &ReplicaSet) -> i32 {
    rs_available(rs).min(rs_replicas(rs))
}

/// Sum of `spec.replicas` (GetReplicaCountForReplicaSets).
pub fn replica_count(rss: &[Arc<ReplicaSet>]) -> i32 {
    rss.iter().map(|rs| rs_replicas(rs)).sum()
}

/// Sum of `status.replicas` (GetActualReplicaCountForReplicaSets).
pub fn actual_count(rss: &[Arc<ReplicaSet>]) -> i32 {
    rss.iter().map(|rs| rs_actual(rs)).sum()
}

/// Sum of `status.availableReplicas`.
pub fn available_count(rss: &[Arc<ReplicaSet>]) -> i32 {
    rss.iter().map(|rs| rs_available(rs)).sum()
}

/// Sum of `status.readyReplicas`.
pub fn ready_count(rss: &[Arc<ReplicaSet>]) -> i32 {
    rss.iter().map(|rs| rs_ready(rs)).sum()
}

/// ReplicaSets with `spec.replicas > 0` (controller.FilterActiveReplicaSets).
pub fn active(rss: &[Arc<ReplicaSet>]) -> Vec<Arc<ReplicaSet>> {
    rss.iter()
        .filter(|rs| rs_replicas(rs) > 0)
        .cloned()
        .collect()
}

/// Whether the Deployment uses the RollingUpdate strategy (the default).
pub fn is_rolling_update(d: &Deployment) -> bool {
    strategy_type(d) == "RollingUpdate"
}

/// `spec.strategy.type`, defaulted to RollingUpdate.
pub fn strategy_type(d: &Deployment) -> &str {
    d.spec
        .as_ref()
        .and_then(|s| s.strategy.as_ref())
        .and_then(|s| s.type_.as_deref())
        .unwrap_or("RollingUpdate")
}

/// intstr.GetScaledValueFromIntOrPercent: an int as is, or a percentage of `total`
/// rounded up or down. Malformed values (rejected by validation) count as 0.
pub fn scaled_value(v: &IntOrString, total: i32, round_up: bool) -> i32 {
    match v {
        IntOrString::Int(i) => *i,
        IntOrString::String(s) => {
            let Some(p) = s.strip_suffix('%').and_then(|p| p.parse::<i64>().ok()) else {
                return 0;
            };
            let prod = p * total as i64;
            let v = if round_up {
                (prod + 99).div_euclid(100)
            } else {
                prod.div_euclid(100)
            };
            v as i32
        }
    }
}

/// ResolveFenceposts: (maxSurge, maxUnavailable) for `desired` replicas; surge rounds up,
/// unavailable rounds down, and when both come out 0 unavailable becomes 1.
pub fn resolve_fenceposts(
    max_surge: Option<&IntOrString>,
    max_unavailable: Option<&IntOrString>,
    desired: i32,
) -> (i32, i32) {
    let zero = IntOrString::Int(0);
    let surge = scaled_value(max_surge.unwrap_or(&zero), desired, true);
    let mut unavailable = scaled_value(max_unavailable.unwrap_or(&zero), desired, false);
    if surge == 0 && unavailable == 0 {
        unavailable = 1;
    }
    (surge, unavailable)
}

fn fenceposts(d: &Deployment) -> (i32, i32) {
    let ru = d
        .spec
        .as_ref()
        .and_then(|s| s.strategy.as_ref())
        .and_then(|s| s.rolling_update.as_ref());
    resolve_fenceposts(
        ru.and_then(|r| r.max_surge.as_ref()),
        ru.and_then(|r| r.max_unavailable.as_ref()),
        replicas(d),
    )
}

/// MaxSurge: how many pods above the desired count a rolling update may run.
pub fn max_surge(d: &Deployment) -> i32 {
    if !is_rolling_update(d) {
        return 0;
    }
    fenceposts(d).0
}

/// MaxUnavailable: how many pods below the desired count a rolling update may go,
/// at most the desired count.
pub fn max_unavailable(d: &Deployment) -> i32 {
    if !is_rolling_update(d) || replicas(d) == 0 {
        return 0;
    }
    fenceposts(d).1.min(replicas(d))
}

/// NewRSNewReplicas: how many replicas the new ReplicaSet may have now.
pub fn new_rs_new_replicas(d: &Deployment, all: &[Arc<ReplicaSet>], new_rs: &ReplicaSet) -> i32 {
    let want = replicas(d);
    if !is_rolling_update(d) {
        return want;
    }
    // upstream sums spec.replicas only; pods of an old ReplicaSet whose scale-down the
    // ReplicaSet controller has not carried out yet still count against maxSurge
    let current: i32 = all.iter().map(|rs| rs_pods_upper(rs)).sum();
    let max_total = want + max_surge(d);
    let new = rs_replicas(new_rs);
    if current >= max_total {
        return new;
    }
    new + (max_total - current).min(want - new)
}

/// A ReplicaSet's integer annotation, if present and well-formed.
pub fn int_annotation(rs: &ReplicaSet, key: &str) -> Option<i32> {
    rs.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(key))
        .and_then(|v| v.parse().ok())
}

/// IsSaturated: the new ReplicaSet has all desired replicas, all available.
pub fn is_saturated(d: &Deployment, rs: Option<&ReplicaSet>) -> bool {
    let Some(rs) = rs else { return false };
    let Some(desired) = int_annotation(rs, DESIRED_REPLICAS) else {
        return false;
    };
    let want = replicas(d);
    rs_replicas(rs) == want && desired == want && rs_available(rs) == want
}

/// Sets the desired/max replicas annotations; true when they changed.
pub fn set_replicas_annotations(rs: &mut ReplicaSet, desired: i32, max: i32) -> bool {
    let a = rs.metadata.annotations.get_or_insert_with(Default::default);
    let mut changed = false;
    for (k, v) in [(DESIRED_REPLICAS, desired), (MAX_REPLICAS, max)] {
        let v = v.to_string();
        if a.get(k) != Some(&v) {
            a.insert(k.to_string(), v);
            changed = true;
        }
    }
    changed
}

/// ReplicasAnnotationsNeedUpdate.
pub fn replicas_annotations_need_update(rs: &ReplicaSet, desired: i32, max: i32) -> bool {
    int_annotation(rs, DESIRED_REPLICAS) != Some(desired)
        || int_annotation(rs, MAX_REPLICAS) != Some(max)
}

/// GetReplicaSetProportion: this ReplicaSet's share of `to_add` replicas when a rolling
/// Deployment is resized mid-rollout, bounded by what is left to add (or remove).
pub fn replica_set_proportion(rs: &ReplicaSet, d: &Deployment, to_add: i32, added: i32) -> i32 {
    if rs_replicas(rs) == 0 || to_add == 0 || to_add == added {
        return 0;
    }
    let fraction = replica_set_fraction(rs, d);
    let allowed = to_add - added;
    if to_add > 0 {
        fraction.min(allowed)
    } else {
        fraction.max(allowed)
    }
}

fn replica_set_fraction(rs: &ReplicaSet, d: &Deployment) -> i32 {
    if replicas(d) == 0 {
        return -rs_replicas(rs);
    }
    let max_now = replicas(d) + max_surge(d);
    let before = match int_annotation(rs, MAX_REPLICAS) {
        Some(v) if v != 0 => v,
        _ => {
            let r = d.status.as_ref().and_then(|s| s.replicas).unwrap_or(0);
            if r == 0 {
                return 0;
            }
            r
        }
    };
    let size = (rs_replicas(rs) as f64 * max_now as f64) / before as f64;
    size.round() as i32 - rs_replicas(rs)
}

/// Creation time in seconds, for the orderings below.
fn created(rs: &ReplicaSet) -> i64 {
    rs.metadata
        .creation_timestamp
        .as_ref()
        .map(|t| t.0.as_second())
        .unwrap_or(0)
}

/// ReplicaSetsByCreationTimestamp: oldest first, then by name.
pub fn by_creation(a: &ReplicaSet, b: &ReplicaSet) -> Ordering {
    created(a)
        .cmp(&created(b))
        .then_with(|| a.metadata.name.cmp(&b.metadata.name))
}

/// ReplicaSetsBySizeOlder: larger first, older first among equals (scaling down).
pub fn by_size_older(a: &ReplicaSet, b: &ReplicaSet) -> Ordering {
    rs_replicas(b)
        .cmp(&rs_replicas(a))
        .then_with(|| by_creation(a, b))
}

/// ReplicaSetsBySizeNewer: larger first, newer first among equals (scaling up).
pub fn by_size_newer(a: &ReplicaSet, b: &ReplicaSet) -> Ordering {
    rs_replicas(b)
        .cmp(&rs_replicas(a))
        .then_with(|| by_creation(b, a))
}

/// The revision annotation as a number: 0 when absent, `None` when malformed.
pub fn revision(rs: &ReplicaSet) -> Option<i64> {
    match rs
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(REVISION))
    {
        None => Some(0),
        Some(v) => v.parse().ok(),
    }
}

/// MaxRevision over ReplicaSets, skipping malformed ones.
pub fn max_revision(rss: &[Arc<ReplicaSet>]) -> i64 {
    rss.iter()
        .filter_map(|rs| revision(rs))
        .max()
        .unwrap_or(0)
        .max(0)
}

/// ReplicaSetsByRevision: by revision, then by creation.
pub fn by_revision(a: &ReplicaSet, b: &ReplicaSet) -> Ordering {
    let r = |rs: &ReplicaSet| revision(rs).unwrap_or(0);
    r(a).cmp(&r(b)).then_with(|| by_creation(a, b))
}

/// FindActiveOrLatest: the only ReplicaSet with replicas, or the newest one when none
/// has any; `None` when several are active.
pub fn find_active_or_latest(
    new_rs: Option<&Arc<ReplicaSet>>,
    old: &[Arc<ReplicaSet>],
) -> Option<Arc<ReplicaSet>> {
    if new_rs.is_none() && old.is_empty() {
        return None;
    }
    let mut old_sorted = old.to_vec();
    old_sorted.sort_by(|a, b| by_creation(b, a));
    let mut all = old_sorted.clone();
    all.extend(new_rs.cloned());
    let act = active(&all);
    match act.len() {
        0 => new_rs.cloned().or_else(|| old_sorted.first().cloned()),
        1 => act.into_iter().next(),
        _ => None,
    }
}

/// A template as JSON without the hash label and without empty values, for comparison
/// (apiequality.Semantic treats nil and empty alike).
fn comparable(t: &PodTemplateSpec) -> Value {
    let mut t = t.clone();
    if let Some(l) = t.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
        l.remove(HASH_LABEL);
    }
    let mut v = serde_json::to_value(&t).unwrap_or(Value::Null);
    prune(&mut v);
    v
}

fn prune(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for x in m.values_mut() {
                prune(x);
            }
            m.retain(|_, x| !is_empty(x));
        }
        Value::Array(a) => a.iter_mut().for_each(prune),
        _ => {}
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// EqualIgnoreHash: two templates are the same apart from the pod-template-hash label.
pub fn equal_ignore_hash(a: &PodTemplateSpec, b: &PodTemplateSpec) -> bool {
    comparable(a) == comparable(b)
}

/// FindNewReplicaSet: the oldest ReplicaSet whose template is the Deployment's.
pub fn find_new_replica_set(d: &Deployment, rss: &[Arc<ReplicaSet>]) -> Option<Arc<ReplicaSet>> {
    let template = &d.spec.as_ref()?.template;
    let mut sorted = rss.to_vec();
    sorted.sort_by(|a, b| by_creation(a, b));
    sorted.into_iter().find(|rs| {
        rs.spec
            .as_ref()
            .and_then(|s| s.template.as_ref())
            .is_some_and(|t| equal_ignore_hash(t, template))
    })
}

/// rand.SafeEncodeString: maps each byte onto consonants and digits that cannot spell words.
pub fn safe_encode(s: &str) -> String {
    const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    s.bytes()
        .map(|b| ALPHANUMS[b as usize % ALPHANUMS.len()] as char)
        .collect()
}

/// FNV-1a, 32 bits.
fn fnv32a(data: &[u8], mut h: u32) -> u32 {
    for b in data {
        h ^= *b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// ComputeHash: FNV-32a of the template (its canonical JSON; upstream hashes the Go
/// struct dump) and the collision count, encoded with [`safe_encode`].
pub fn compute_hash(template: &PodTemplateSpec, collision_count: Option<i32>) -> String {
    let bytes = serde_json::to_vec(template).unwrap_or_default();
    let mut h = fnv32a(&bytes, 0x811c_9dc5);
    if let Some(c) = collision_count {
        let mut buf = [0u8; 8];
        buf[..4].copy_from_slice(&(c as u32).to_le_bytes());
        h = fnv32a(&buf, h);
    }
    safe_encode(&h.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::{
        DeploymentSpec, DeploymentStrategy, ReplicaSetSpec, ReplicaSetStatus,
        RollingUpdateDeployment,
    };
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn ios(s: &str) -> IntOrString {
        match s.parse() {
            Ok(i) => IntOrString::Int(i),
            Err(_) => IntOrString::String(s.into()),
        }
    }

    fn deploy(replicas: i32, surge: &str, unavailable: &str) -> Deployment {
        Deployment {
            spec: Some(DeploymentSpec {
                replicas: Some(replicas),
                strategy: Some(DeploymentStrategy {
                    type_: Some("RollingUpdate".into()),
                    rolling_update: Some(RollingUpdateDeployment {
                        max_surge: Some(ios(surge)),
                        max_unavailable: Some(ios(unavailable)),
                    }),
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn rs(name: &str, replicas: i32, available: i32, created: i64) -> Arc<ReplicaSet> {
        Arc::new(ReplicaSet {
            metadata: ObjectMeta {
                name: Some(name.into()),
                creation_timestamp: Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                    k8s_openapi::jiff::Timestamp::from_second(created).unwrap_or_default(),
                )),
                ..Default::default()
            },
            spec: Some(ReplicaSetSpec {
                replicas: Some(replicas),
                ..Default::default()
            }),
            status: Some(ReplicaSetStatus {
                replicas,
                available_replicas: Some(available),
                ..Default::default()
            }),
        })
    }

    #[test]
    fn fenceposts_round_like_upstream() {
        // 25% of 10: surge rounds up to 3, unavailable rounds down to 2
        let d = deploy(10, "25%", "25%");
        assert_eq!((max_surge(&d), max_unavailable(&d)), (3, 2));
        // both resolve to 0: unavailable becomes 1
        let d = deploy(1, "0", "10%");
        assert_eq!((max_surge(&d), max_unavailable(&d)), (0, 1));
        // unavailable capped at replicas
        let d = deploy(2, "1", "5");
        assert_eq!(max_unavailable(&d), 2);
        // seed's patch
        let d = deploy(10, "3", "0");
        assert_eq!((max_surge(&d), max_unavailable(&d)), (3, 0));
        let mut d = deploy(10, "3", "0");
        if let Some(s) = d.spec.as_mut() {
            s.strategy = Some(DeploymentStrategy {
                type_: Some("Recreate".into()),
                rolling_update: None,
            });
        }
        assert_eq!((max_surge(&d), max_unavailable(&d)), (0, 0));
    }

    #[test]
    fn new_replicas_respect_surge() {
        let d = deploy(10, "3", "0");
        let old = rs("old", 10, 10, 1);
        let new = rs("new", 0, 0, 2);
        assert_eq!(
            new_rs_new_replicas(&d, &[old.clone(), new.clone()], &new),
            3
        );
        let new = rs("new", 3, 0, 2);
        assert_eq!(
            new_rs_new_replicas(&d, &[old.clone(), new.clone()], &new),
            3
        );
        let old = rs("old", 8, 8, 1);
        let new = rs("new", 3, 3, 2);
        assert_eq!(new_rs_new_replicas(&d, &[old, new.clone()], &new), 5);
        // never above the desired count
        let old = rs("old", 0, 0, 1);
        let new = rs("new", 9, 9, 2);
        assert_eq!(new_rs_new_replicas(&d, &[old, new.clone()], &new), 10);
    }

    #[test]
    fn proportions_follow_max_replicas_annotation() {
        // 10 -> 20 replicas with maxSurge 3: before 13, now 23
        let d = deploy(20, "3", "2");
        let mut a = (*rs("a", 8, 8, 1)).clone();
        set_replicas_annotations(&mut a, 10, 13);
        let mut b = (*rs("b", 5, 0, 2)).clone();
        set_replicas_annotations(&mut b, 10, 13);
        // 8 * 23 / 13 = 14.15 -> 14, +6 ; 5 * 23 / 13 = 8.8 -> 9, +4
        assert_eq!(replica_set_proportion(&a, &d, 10, 0), 6);
        assert_eq!(replica_set_proportion(&b, &d, 10, 6), 4);
        // bounded by what is left
        assert_eq!(replica_set_proportion(&b, &d, 10, 8), 2);
    }

    #[test]
    fn active_or_latest() {
        let old = rs("old", 0, 0, 1);
        let new = rs("new", 3, 3, 2);
        let got = find_active_or_latest(Some(&new), std::slice::from_ref(&old));
        assert_eq!(
            got.and_then(|r| r.metadata.name.clone()).as_deref(),
            Some("new")
        );
        let old2 = rs("old2", 2, 2, 1);
        assert!(find_active_or_latest(Some(&new), &[old2]).is_none());
        let empty = rs("new", 0, 0, 2);
        let got = find_active_or_latest(Some(&empty), &[old]);
        assert_eq!(
            got.and_then(|r| r.metadata.name.clone()).as_deref(),
            Some("new")
        );
    }

    #[test]
    fn hash_is_stable_and_ignores_its_own_label() {
        let mut t = PodTemplateSpec {
            metadata: Some(ObjectMeta {
                labels: Some([("app".to_string(), "web".to_string())].into()),
                ..Default::default()
            }),
            spec: None,
        };
        let h = compute_hash(&t, None);
        assert_eq!(h, compute_hash(&t.clone(), None));
        assert_ne!(h, compute_hash(&t, Some(1)));
        assert!(h
            .bytes()
            .all(|b| b"bcdfghjklmnpqrstvwxz2456789".contains(&b)));
        let mut with_hash = t.clone();
        if let Some(l) = with_hash.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
            l.insert(HASH_LABEL.into(), h.clone());
        }
        assert!(equal_ignore_hash(&t, &with_hash));
        if let Some(m) = t.metadata.as_mut() {
            m.annotations = Some(Default::default());
        }
        assert!(equal_ignore_hash(&t, &with_hash), "empty map equals none");
        if let Some(m) = t.metadata.as_mut() {
            m.annotations = Some([("a".to_string(), "b".to_string())].into());
        }
        assert!(!equal_ignore_hash(&t, &with_hash));
    }

    #[test]
    fn safe_encode_matches_upstream_alphabet() {
        // rand.SafeEncodeString("0123456789"): bytes 48..57 modulo 27
        assert_eq!(safe_encode("0123456789"), "456789bcdf");
    }
}
