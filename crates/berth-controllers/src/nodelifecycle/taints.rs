//! Pure node-lifecycle rules: the taints a node's conditions call for, toleration
//! matching and toleration time, and marking a silent node's conditions Unknown.

use k8s_openapi::api::core::v1::{Node, NodeCondition, Taint, Toleration};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

/// Taint of nodes whose Ready condition is False.
pub const NOT_READY: &str = "node.kubernetes.io/not-ready";
/// Taint of nodes whose Ready condition is Unknown.
pub const UNREACHABLE: &str = "node.kubernetes.io/unreachable";
pub const NO_EXECUTE: &str = "NoExecute";
pub const NO_SCHEDULE: &str = "NoSchedule";

/// NoSchedule taints this controller owns: (condition type, status) → taint key, plus
/// `spec.unschedulable` (doNoScheduleTaintingPass).
const CONDITION_TAINTS: &[(&str, &str, &str)] = &[
    ("Ready", "False", NOT_READY),
    ("Ready", "Unknown", UNREACHABLE),
    (
        "MemoryPressure",
        "True",
        "node.kubernetes.io/memory-pressure",
    ),
    ("DiskPressure", "True", "node.kubernetes.io/disk-pressure"),
    (
        "NetworkUnavailable",
        "True",
        "node.kubernetes.io/network-unavailable",
    ),
    ("PIDPressure", "True", "node.kubernetes.io/pid-pressure"),
];
const UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";

/// Conditions the node controller sets to Unknown when the kubelet goes silent.
const CONDITIONS: &[&str] = &["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"];

/// Status of a node condition ("True", "False", "Unknown"), if present.
pub fn condition_status<'a>(node: &'a Node, type_: &str) -> Option<&'a str> {
    node.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == type_)
        .map(|c| c.status.as_str())
}

/// The node's Ready condition.
pub fn ready_condition(node: &Node) -> Option<&NodeCondition> {
    node.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready")
}

/// The conditions of a node whose kubelet stopped posting status: each of Ready and the
/// pressure conditions becomes Unknown (reason NodeStatusUnknown), or is added as Unknown
/// (NodeStatusNeverUpdated) if the kubelet never reported it. None if nothing changes.
pub fn mark_unknown(node: &Node, now: Timestamp) -> Option<Vec<NodeCondition>> {
    let mut conds = node
        .status
        .as_ref()
        .and_then(|s| s.conditions.clone())
        .unwrap_or_default();
    let created = node
        .metadata
        .creation_timestamp
        .clone()
        .unwrap_or(Time(now));
    let mut changed = false;
    for type_ in CONDITIONS {
        match conds.iter_mut().find(|c| c.type_ == *type_) {
            None => {
                conds.push(NodeCondition {
                    type_: type_.to_string(),
                    status: "Unknown".into(),
                    reason: Some("NodeStatusNeverUpdated".into()),
                    message: Some("Kubelet never posted node status.".into()),
                    last_heartbeat_time: Some(created.clone()),
                    last_transition_time: Some(Time(now)),
                });
                changed = true;
            }
            Some(c) if c.status != "Unknown" => {
                c.status = "Unknown".into();
                c.reason = Some("NodeStatusUnknown".into());
                c.message = Some("Kubelet stopped posting node status.".into());
                c.last_transition_time = Some(Time(now));
                changed = true;
            }
            Some(_) => {}
        }
    }
    changed.then_some(conds)
}

/// The NoExecute taint the node's Ready condition calls for (none when Ready, or before
/// the kubelet or this controller ever set it).
pub fn wanted_no_execute(node: &Node) -> Option<&'static str> {
    match condition_status(node, "Ready") {
        Some("False") => Some(NOT_READY),
        Some("Unknown") => Some(UNREACHABLE),
        _ => None,
    }
}

/// The NoSchedule taint keys the node's conditions and `spec.unschedulable` call for.
pub fn wanted_no_schedule(node: &Node) -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = CONDITION_TAINTS
        .iter()
        .filter(|(t, s, _)| condition_status(node, t) == Some(*s))
        .map(|(_, _, k)| *k)
        .collect();
    if node.spec.as_ref().and_then(|s| s.unschedulable) == Some(true) {
        keys.push(UNSCHEDULABLE);
    }
    keys
}

fn owned_no_schedule(key: &str) -> bool {
    key == UNSCHEDULABLE || CONDITION_TAINTS.iter().any(|(_, _, k)| *k == key)
}

fn owned_no_execute(key: &str) -> bool {
    key == NOT_READY || key == UNREACHABLE
}

/// The node's taints with this controller's taints made to match `no_execute` (None:
/// keep the ones present, when disruption handling holds new taints back, see
/// [`Decision`]) and `no_schedule`. Returns None if nothing changes.
pub fn reconcile_taints(
    current: &[Taint],
    no_execute: Decision,
    no_schedule: &[&str],
    now: Timestamp,
) -> Option<Vec<Taint>> {
    let keep = |t: &Taint| match t.effect.as_str() {
        NO_SCHEDULE if owned_no_schedule(&t.key) => no_schedule.contains(&t.key.as_str()),
        NO_EXECUTE if owned_no_execute(&t.key) => match no_execute {
            Decision::Set(k) => t.key == k,
            Decision::Keep(k) => Some(t.key.as_str()) == k,
            Decision::Clear => false,
        },
        _ => true,
    };
    let mut out: Vec<Taint> = current.iter().filter(|t| keep(t)).cloned().collect();
    let add = |key: &str, effect: &str, out: &mut Vec<Taint>| {
        if !out.iter().any(|t| t.key == key && t.effect == effect) {
            out.push(Taint {
                key: key.into(),
                effect: effect.into(),
                value: None,
                time_added: Some(Time(now)),
            });
        }
    };
    for k in no_schedule {
        add(k, NO_SCHEDULE, &mut out);
    }
    if let Decision::Set(k) = no_execute {
        add(k, NO_EXECUTE, &mut out);
    }
    (out.len() != current.len() || out.iter().zip(current).any(|(a, b)| a != b)).then_some(out)
}

/// What to do with a node's NoExecute taint.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Decision {
    /// Have exactly this taint (swapping not-ready and unreachable as needed).
    Set(&'static str),
    /// Add nothing new, remove nothing the conditions still call for: the node's zone is
    /// disrupted, so evictions are held back.
    Keep(Option<&'static str>),
    /// No NoExecute taint of ours (node Ready, or every zone fully disrupted).
    Clear,
}

/// v1helper.ToleratesTaint.
pub fn tolerates(tol: &Toleration, taint: &Taint) -> bool {
    if tol
        .effect
        .as_deref()
        .is_some_and(|e| !e.is_empty() && e != taint.effect)
    {
        return false;
    }
    if tol
        .key
        .as_deref()
        .is_some_and(|k| !k.is_empty() && k != taint.key)
    {
        return false;
    }
    match tol.operator.as_deref().unwrap_or("Equal") {
        "Exists" => true,
        "Equal" | "" => tol.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or(""),
        _ => false,
    }
}

/// How long a pod may stay on a node with these NoExecute taints: None if some taint is
/// not tolerated (evict now), Some(None) if tolerated forever, Some(Some(seconds))
/// otherwise, the smallest tolerationSeconds among the tolerations used (≤ 0 means 0).
pub fn toleration_time(taints: &[&Taint], tolerations: &[Toleration]) -> Option<Option<i64>> {
    let mut min: Option<i64> = None;
    for taint in taints {
        let used = tolerations.iter().find(|t| tolerates(t, taint))?;
        if let Some(s) = used.toleration_seconds {
            let s = s.max(0);
            min = Some(min.map_or(s, |m| m.min(s)));
        }
    }
    Some(min)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{NodeSpec, NodeStatus};

    fn node(conds: &[(&str, &str)]) -> Node {
        Node {
            status: Some(NodeStatus {
                conditions: Some(
                    conds
                        .iter()
                        .map(|(t, s)| NodeCondition {
                            type_: t.to_string(),
                            status: s.to_string(),
                            ..Default::default()
                        })
                        .collect(),
                ),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn taint(key: &str, effect: &str) -> Taint {
        Taint {
            key: key.into(),
            effect: effect.into(),
            ..Default::default()
        }
    }

    fn tol(key: Option<&str>, op: &str, effect: Option<&str>, secs: Option<i64>) -> Toleration {
        Toleration {
            key: key.map(Into::into),
            operator: Some(op.into()),
            effect: effect.map(Into::into),
            toleration_seconds: secs,
            value: None,
        }
    }

    #[test]
    fn silent_node_conditions_become_unknown() {
        let n = node(&[("Ready", "True"), ("MemoryPressure", "False")]);
        let now = Timestamp::now();
        let conds = mark_unknown(&n, now).unwrap_or_default();
        let ready = conds.iter().find(|c| c.type_ == "Ready");
        assert_eq!(ready.map(|c| c.status.as_str()), Some("Unknown"));
        assert_eq!(
            ready.and_then(|c| c.message.as_deref()),
            Some("Kubelet stopped posting node status.")
        );
        assert_eq!(
            ready.and_then(|c| c.reason.as_deref()),
            Some("NodeStatusUnknown")
        );
        let disk = conds.iter().find(|c| c.type_ == "DiskPressure");
        assert_eq!(
            disk.and_then(|c| c.reason.as_deref()),
            Some("NodeStatusNeverUpdated")
        );
        let mut n2 = n.clone();
        if let Some(s) = n2.status.as_mut() {
            s.conditions = Some(conds);
        }
        assert!(mark_unknown(&n2, now).is_none(), "already Unknown");
    }

    #[test]
    fn taints_follow_conditions() {
        let now = Timestamp::now();
        let mut n = node(&[("Ready", "Unknown")]);
        n.spec = Some(NodeSpec {
            unschedulable: Some(true),
            ..Default::default()
        });
        assert_eq!(wanted_no_execute(&n), Some(UNREACHABLE));
        let ns = wanted_no_schedule(&n);
        assert_eq!(ns, [UNREACHABLE, UNSCHEDULABLE]);
        let other = taint("dedicated", NO_SCHEDULE);
        let t = reconcile_taints(
            std::slice::from_ref(&other),
            Decision::Set(UNREACHABLE),
            &ns,
            now,
        )
        .unwrap_or_default();
        assert_eq!(t.len(), 4);
        assert!(t
            .iter()
            .all(|t| t.key == "dedicated" || t.time_added.is_some()));
        assert!(reconcile_taints(&t, Decision::Set(UNREACHABLE), &ns, now).is_none());
        // Ready False swaps unreachable for not-ready.
        let t2 =
            reconcile_taints(&t, Decision::Set(NOT_READY), &[NOT_READY], now).unwrap_or_default();
        let keys: Vec<(&str, &str)> = t2
            .iter()
            .map(|t| (t.key.as_str(), t.effect.as_str()))
            .collect();
        assert_eq!(
            keys,
            [
                ("dedicated", NO_SCHEDULE),
                (NOT_READY, NO_SCHEDULE),
                (NOT_READY, NO_EXECUTE)
            ]
        );
        // Back to Ready: only the user's taint remains.
        let t3 = reconcile_taints(&t2, Decision::Clear, &[], now).unwrap_or_default();
        assert_eq!(t3, vec![other]);
        // Held back: nothing added, existing kept.
        assert!(reconcile_taints(&[], Decision::Keep(Some(UNREACHABLE)), &[], now).is_none());
    }

    #[test]
    fn toleration_time_is_the_smallest_used() {
        let unreachable = taint(UNREACHABLE, NO_EXECUTE);
        let not_ready = taint(NOT_READY, NO_EXECUTE);
        let defaults = vec![
            tol(Some(NOT_READY), "Exists", Some(NO_EXECUTE), Some(300)),
            tol(Some(UNREACHABLE), "Exists", Some(NO_EXECUTE), Some(5)),
        ];
        assert_eq!(toleration_time(&[&unreachable], &defaults), Some(Some(5)));
        assert_eq!(
            toleration_time(&[&unreachable, &not_ready], &defaults),
            Some(Some(5))
        );
        assert_eq!(toleration_time(&[&unreachable], &[]), None);
        let forever = vec![tol(None, "Exists", None, None)];
        assert_eq!(toleration_time(&[&unreachable], &forever), Some(None));
        let wrong_effect = vec![tol(Some(UNREACHABLE), "Exists", Some(NO_SCHEDULE), None)];
        assert_eq!(toleration_time(&[&unreachable], &wrong_effect), None);
        let negative = vec![tol(Some(UNREACHABLE), "Exists", None, Some(-3))];
        assert_eq!(toleration_time(&[&unreachable], &negative), Some(Some(0)));
    }
}
