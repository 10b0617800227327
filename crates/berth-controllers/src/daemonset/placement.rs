//! Which nodes a daemon pod belongs on: node name, node selector, required node
//! affinity, taints against tolerations (daemon.NodeShouldRunDaemonPod and
//! pkg/controller/daemon/util).

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::{
    Affinity, Node, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Pod,
    PodSpec, Taint, Toleration,
};

/// The tolerations every daemon pod gets (`AddOrUpdateDaemonPodTolerations`): daemons
/// survive not-ready and unreachable nodes and run on nodes under pressure or cordoned.
pub fn add_daemon_tolerations(spec: &mut PodSpec) {
    let mut add = |key: &str, effect: &str| {
        let t = Toleration {
            key: Some(key.to_string()),
            operator: Some("Exists".into()),
            effect: Some(effect.to_string()),
            value: None,
            toleration_seconds: None,
        };
        let tols = spec.tolerations.get_or_insert_with(Vec::new);
        // AddOrUpdateTolerationInPodSpec: a toleration with the same key, operator, value
        // and effect is replaced, anything else is kept.
        match tols.iter_mut().find(|o| {
            o.key == t.key
                && o.operator.as_deref().unwrap_or("Equal") == "Exists"
                && o.value.as_deref().unwrap_or("").is_empty()
                && o.effect == t.effect
        }) {
            Some(o) => *o = t,
            None => tols.push(t),
        }
    };
    add("node.kubernetes.io/not-ready", "NoExecute");
    add("node.kubernetes.io/unreachable", "NoExecute");
    add("node.kubernetes.io/disk-pressure", "NoSchedule");
    add("node.kubernetes.io/memory-pressure", "NoSchedule");
    add("node.kubernetes.io/pid-pressure", "NoSchedule");
    add("node.kubernetes.io/unschedulable", "NoSchedule");
    if spec.host_network == Some(true) {
        add("node.kubernetes.io/network-unavailable", "NoSchedule");
    }
}

/// `Toleration.ToleratesTaint`.
pub fn tolerates(t: &Toleration, taint: &Taint) -> bool {
    if t.effect
        .as_deref()
        .is_some_and(|e| !e.is_empty() && e != taint.effect)
    {
        return false;
    }
    if t.key
        .as_deref()
        .is_some_and(|k| !k.is_empty() && k != taint.key)
    {
        return false;
    }
    match t.operator.as_deref().unwrap_or("Equal") {
        "" | "Equal" => t.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or(""),
        "Exists" => true,
        _ => false,
    }
}

/// The first taint with an effect `effect_ok` accepts that no toleration tolerates.
pub fn untolerated_taint<'a>(
    taints: &'a [Taint],
    tolerations: &[Toleration],
    effect_ok: impl Fn(&str) -> bool,
) -> Option<&'a Taint> {
    taints
        .iter()
        .filter(|t| effect_ok(&t.effect))
        .find(|t| !tolerations.iter().any(|tol| tolerates(tol, t)))
}

fn requirement_matches(r: &NodeSelectorRequirement, value: Option<&str>) -> bool {
    let values = r.values.as_deref().unwrap_or_default();
    match r.operator.as_str() {
        "In" => value.is_some_and(|v| values.iter().any(|x| x == v)),
        "NotIn" => value.is_none_or(|v| !values.iter().any(|x| x == v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        "Gt" | "Lt" => {
            let (Some(v), Some(bound)) = (
                value.and_then(|v| v.parse::<i64>().ok()),
                values.first().and_then(|b| b.parse::<i64>().ok()),
            ) else {
                return false;
            };
            if r.operator == "Gt" {
                v > bound
            } else {
                v < bound
            }
        }
        _ => false,
    }
}

/// Whether a node selector term selects the node: all its label expressions and field
/// requirements hold; an empty term selects nothing.
pub fn term_matches(
    term: &NodeSelectorTerm,
    name: &str,
    labels: &BTreeMap<String, String>,
) -> bool {
    let exprs = term.match_expressions.as_deref().unwrap_or_default();
    let fields = term.match_fields.as_deref().unwrap_or_default();
    if exprs.is_empty() && fields.is_empty() {
        return false;
    }
    exprs
        .iter()
        .all(|r| requirement_matches(r, labels.get(&r.key).map(String::as_str)))
        && fields.iter().all(|r| {
            let v = (r.key == "metadata.name").then_some(name);
            requirement_matches(r, v)
        })
}

/// `GetRequiredNodeAffinity(pod).Match(node)`: the node selector and, if any, one of the
/// required node affinity terms.
pub fn node_matches(spec: &PodSpec, node: &Node) -> bool {
    let empty = BTreeMap::new();
    let labels = node.metadata.labels.as_ref().unwrap_or(&empty);
    let name = node.metadata.name.as_deref().unwrap_or_default();
    if let Some(sel) = &spec.node_selector {
        if sel.iter().any(|(k, v)| labels.get(k) != Some(v)) {
            return false;
        }
    }
    match spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|n| {
            n.required_during_scheduling_ignored_during_execution
                .as_ref()
        }) {
        Some(req) => req
            .node_selector_terms
            .iter()
            .any(|t| term_matches(t, name, labels)),
        None => true,
    }
}

/// The pod spec a daemon pod would have: the template with daemon tolerations.
pub fn daemon_pod_spec(ds: &DaemonSet) -> PodSpec {
    let mut spec = ds
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.clone())
        .unwrap_or_default();
    add_daemon_tolerations(&mut spec);
    spec
}

/// `NodeShouldRunDaemonPod`: whether a daemon pod should be started on the node, and
/// whether one already there may keep running (only NoExecute taints evict it).
pub fn node_should_run(node: &Node, spec: &PodSpec) -> (bool, bool) {
    let name = node.metadata.name.as_deref().unwrap_or_default();
    if spec
        .node_name
        .as_deref()
        .is_some_and(|n| !n.is_empty() && n != name)
    {
        return (false, false);
    }
    if !node_matches(spec, node) {
        return (false, false);
    }
    let taints = node
        .spec
        .as_ref()
        .and_then(|s| s.taints.as_deref())
        .unwrap_or_default();
    let tols = spec.tolerations.as_deref().unwrap_or_default();
    if untolerated_taint(taints, tols, |e| e == "NoSchedule" || e == "NoExecute").is_some() {
        let evicted = untolerated_taint(taints, tols, |e| e == "NoExecute").is_some();
        return (false, !evicted);
    }
    (true, true)
}

/// `GetTargetNodeName`: the node a daemon pod is bound to, or the one its node affinity
/// names while it waits for the scheduler.
pub fn target_node_name(pod: &Pod) -> Option<String> {
    let spec = pod.spec.as_ref()?;
    if let Some(n) = spec.node_name.as_ref().filter(|n| !n.is_empty()) {
        return Some(n.clone());
    }
    let terms = &spec
        .affinity
        .as_ref()?
        .node_affinity
        .as_ref()?
        .required_during_scheduling_ignored_during_execution
        .as_ref()?
        .node_selector_terms;
    terms
        .iter()
        .flat_map(|t| t.match_fields.iter().flatten())
        .find(|r| {
            r.key == "metadata.name"
                && r.operator == "In"
                && r.values.as_ref().is_some_and(|v| v.len() == 1)
        })
        .and_then(|r| r.values.as_ref()?.first().cloned())
}

/// `ReplaceDaemonSetPodNodeNameNodeAffinity`: required node affinity becomes exactly
/// "metadata.name In [node]", so the scheduler binds the pod to that node.
pub fn replace_node_name_affinity(affinity: Option<Affinity>, node: &str) -> Affinity {
    let term = NodeSelectorTerm {
        match_expressions: None,
        match_fields: Some(vec![NodeSelectorRequirement {
            key: "metadata.name".into(),
            operator: "In".into(),
            values: Some(vec![node.to_string()]),
        }]),
    };
    let mut affinity = affinity.unwrap_or_default();
    let na = affinity
        .node_affinity
        .get_or_insert_with(NodeAffinity::default);
    match &mut na.required_during_scheduling_ignored_during_execution {
        Some(req) => req.node_selector_terms = vec![term],
        None => {
            na.required_during_scheduling_ignored_during_execution = Some(NodeSelector {
                node_selector_terms: vec![term],
            })
        }
    }
    affinity
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::NodeSpec;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn node(name: &str, labels: &[(&str, &str)], taints: Vec<Taint>) -> Node {
        Node {
            metadata: ObjectMeta {
                name: Some(name.into()),
                labels: Some(
                    labels
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                ),
                ..Default::default()
            },
            spec: Some(NodeSpec {
                taints: Some(taints),
                ..Default::default()
            }),
            status: None,
        }
    }

    fn taint(key: &str, effect: &str) -> Taint {
        Taint {
            key: key.into(),
            effect: effect.into(),
            value: None,
            time_added: None,
        }
    }

    fn daemon_spec() -> PodSpec {
        let mut s = PodSpec::default();
        add_daemon_tolerations(&mut s);
        s
    }

    #[test]
    fn daemon_tolerations_as_upstream() {
        let s = daemon_spec();
        let tols = s.tolerations.unwrap_or_default();
        assert_eq!(tols.len(), 6);
        assert!(tols.iter().all(|t| t.toleration_seconds.is_none()));
        let mut hn = PodSpec {
            host_network: Some(true),
            tolerations: Some(vec![Toleration {
                key: Some("node.kubernetes.io/not-ready".into()),
                operator: Some("Exists".into()),
                effect: Some("NoExecute".into()),
                toleration_seconds: Some(300),
                value: None,
            }]),
            ..Default::default()
        };
        add_daemon_tolerations(&mut hn);
        let tols = hn.tolerations.unwrap_or_default();
        assert_eq!(tols.len(), 7);
        assert_eq!(tols[0].toleration_seconds, None);
    }

    #[test]
    fn taints_decide_run_and_continue() {
        let s = daemon_spec();
        assert_eq!(node_should_run(&node("a", &[], vec![]), &s), (true, true));
        // cordoned and not-ready nodes still run daemons
        let n = node(
            "a",
            &[],
            vec![
                taint("node.kubernetes.io/unschedulable", "NoSchedule"),
                taint("node.kubernetes.io/not-ready", "NoExecute"),
            ],
        );
        assert_eq!(node_should_run(&n, &s), (true, true));
        // NoSchedule: no new pod, the old one stays; NoExecute: neither
        let n = node("a", &[], vec![taint("dedicated", "NoSchedule")]);
        assert_eq!(node_should_run(&n, &s), (false, true));
        let n = node("a", &[], vec![taint("dedicated", "NoExecute")]);
        assert_eq!(node_should_run(&n, &s), (false, false));
        let mut tolerant = s.clone();
        tolerant
            .tolerations
            .get_or_insert_with(Vec::new)
            .push(Toleration {
                key: Some("dedicated".into()),
                operator: Some("Exists".into()),
                ..Default::default()
            });
        assert_eq!(node_should_run(&n, &tolerant), (true, true));
    }

    #[test]
    fn selector_and_affinity() {
        let mut s = daemon_spec();
        s.node_selector = Some([("disk".to_string(), "ssd".to_string())].into());
        assert_eq!(node_should_run(&node("a", &[], vec![]), &s), (false, false));
        assert!(node_should_run(&node("a", &[("disk", "ssd")], vec![]), &s).0);
        let s = PodSpec {
            affinity: Some(replace_node_name_affinity(None, "b")),
            ..Default::default()
        };
        assert!(!node_matches(&s, &node("a", &[], vec![])));
        assert!(node_matches(&s, &node("b", &[], vec![])));
        let pod = Pod {
            spec: Some(s),
            ..Default::default()
        };
        assert_eq!(target_node_name(&pod).as_deref(), Some("b"));
    }

    #[test]
    fn gt_and_not_in() {
        let term = NodeSelectorTerm {
            match_expressions: Some(vec![
                NodeSelectorRequirement {
                    key: "cores".into(),
                    operator: "Gt".into(),
                    values: Some(vec!["4".into()]),
                },
                NodeSelectorRequirement {
                    key: "zone".into(),
                    operator: "NotIn".into(),
                    values: Some(vec!["z1".into()]),
                },
            ]),
            match_fields: None,
        };
        let l = |c: &str, z: &str| -> BTreeMap<String, String> {
            [("cores".into(), c.into()), ("zone".into(), z.into())].into()
        };
        assert!(term_matches(&term, "n", &l("8", "z2")));
        assert!(!term_matches(&term, "n", &l("2", "z2")));
        assert!(!term_matches(&term, "n", &l("8", "z1")));
        assert!(!term_matches(
            &NodeSelectorTerm::default(),
            "n",
            &l("8", "z2")
        ));
    }
}
