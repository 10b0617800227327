//! NodeAffinity: `spec.nodeSelector` and required node affinity must match (filter);
//! matching preferred terms add their weights (score).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{NodeSelectorRequirement, NodeSelectorTerm};

use crate::framework::{default_normalize, FilterPlugin, NodeInfo, PodInfo, ScorePlugin, Status};

/// Upstream's ErrReasonPod.
pub const ERR_REASON_POD: &str = "node(s) didn't match Pod's node affinity/selector";

/// Whether a label requirement holds for `labels`.
fn match_expression(r: &NodeSelectorRequirement, labels: &BTreeMap<String, String>) -> bool {
    let values = r.values.as_deref().unwrap_or_default();
    let value = labels.get(&r.key);
    match r.operator.as_str() {
        "In" => value.is_some_and(|v| values.contains(v)),
        "NotIn" => value.is_none_or(|v| !values.contains(v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        "Gt" | "Lt" => {
            let (Some(v), [bound]) = (value, values) else {
                return false;
            };
            let (Ok(v), Ok(bound)) = (v.parse::<i64>(), bound.parse::<i64>()) else {
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

/// Whether a field requirement holds; only `metadata.name` with In/NotIn exists.
fn match_field(r: &NodeSelectorRequirement, node_name: &str) -> bool {
    if r.key != "metadata.name" {
        return false;
    }
    let values = r.values.as_deref().unwrap_or_default();
    match r.operator.as_str() {
        "In" => values.iter().any(|v| v == node_name),
        "NotIn" => !values.iter().any(|v| v == node_name),
        _ => false,
    }
}

/// Whether one term (requirements ANDed) matches; an empty term matches nothing.
pub fn term_matches(t: &NodeSelectorTerm, node: &NodeInfo) -> bool {
    let exprs = t.match_expressions.as_deref().unwrap_or_default();
    let fields = t.match_fields.as_deref().unwrap_or_default();
    if exprs.is_empty() && fields.is_empty() {
        return false;
    }
    let empty = BTreeMap::new();
    let labels = node.labels().unwrap_or(&empty);
    exprs.iter().all(|r| match_expression(r, labels))
        && fields.iter().all(|r| match_field(r, &node.name))
}

/// nodeSelector and requiredDuringSchedulingIgnoredDuringExecution (terms ORed).
pub fn required_matches(pod: &PodInfo, node: &NodeInfo) -> bool {
    let Some(spec) = pod.spec() else {
        return true;
    };
    if let Some(sel) = &spec.node_selector {
        let empty = BTreeMap::new();
        let labels = node.labels().unwrap_or(&empty);
        if !sel.iter().all(|(k, v)| labels.get(k) == Some(v)) {
            return false;
        }
    }
    let required = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|na| {
            na.required_during_scheduling_ignored_during_execution
                .as_ref()
        });
    match required {
        None => true,
        Some(sel) => sel
            .node_selector_terms
            .iter()
            .any(|t| term_matches(t, node)),
    }
}

/// The NodeAffinity filter and score.
pub struct NodeAffinity;

impl FilterPlugin for NodeAffinity {
    fn name(&self) -> &'static str {
        "NodeAffinity"
    }

    fn filter(&self, pod: &PodInfo, node: &NodeInfo) -> Result<(), Status> {
        if required_matches(pod, node) {
            Ok(())
        } else {
            Err(Status::unresolvable(ERR_REASON_POD))
        }
    }
}

impl ScorePlugin for NodeAffinity {
    fn name(&self) -> &'static str {
        "NodeAffinity"
    }

    fn weight(&self) -> i64 {
        2
    }

    fn score(&self, pod: &PodInfo, node: &NodeInfo) -> i64 {
        let preferred = pod
            .spec()
            .and_then(|s| s.affinity.as_ref())
            .and_then(|a| a.node_affinity.as_ref())
            .and_then(|na| {
                na.preferred_during_scheduling_ignored_during_execution
                    .as_ref()
            });
        preferred
            .into_iter()
            .flatten()
            .filter(|p| p.weight != 0 && term_matches(&p.preference, node))
            .map(|p| p.weight as i64)
            .sum()
    }

    fn normalize(&self, _pod: &PodInfo, scores: &mut [i64]) {
        default_normalize(scores, false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::Node;
    use std::sync::Arc;

    fn node(name: &str, labels: &[(&str, &str)]) -> NodeInfo {
        let mut n = Node::default();
        n.metadata.name = Some(name.into());
        n.metadata.labels = Some(
            labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        let mut ni = NodeInfo {
            name: name.into(),
            ..Default::default()
        };
        ni.set_node(Arc::new(n));
        ni
    }

    fn req(key: &str, op: &str, values: &[&str]) -> NodeSelectorRequirement {
        NodeSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: Some(values.iter().map(|v| v.to_string()).collect()),
        }
    }

    fn term(exprs: Vec<NodeSelectorRequirement>) -> NodeSelectorTerm {
        NodeSelectorTerm {
            match_expressions: Some(exprs),
            match_fields: None,
        }
    }

    #[test]
    fn operators() {
        let n = node("n1", &[("disk", "ssd"), ("cores", "8")]);
        assert!(term_matches(
            &term(vec![req("disk", "In", &["ssd", "hdd"])]),
            &n
        ));
        assert!(!term_matches(
            &term(vec![req("disk", "NotIn", &["ssd"])]),
            &n
        ));
        assert!(term_matches(&term(vec![req("zone", "NotIn", &["a"])]), &n));
        assert!(term_matches(&term(vec![req("disk", "Exists", &[])]), &n));
        assert!(term_matches(
            &term(vec![req("gpu", "DoesNotExist", &[])]),
            &n
        ));
        assert!(term_matches(&term(vec![req("cores", "Gt", &["4"])]), &n));
        assert!(!term_matches(&term(vec![req("cores", "Lt", &["4"])]), &n));
        assert!(!term_matches(&term(vec![req("disk", "Gt", &["4"])]), &n));
        assert!(!term_matches(&term(vec![]), &n));
        let fields = NodeSelectorTerm {
            match_expressions: None,
            match_fields: Some(vec![req("metadata.name", "In", &["n1"])]),
        };
        assert!(term_matches(&fields, &n));
        assert!(!term_matches(&fields, &node("n2", &[])));
    }
}
