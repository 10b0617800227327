//! ClusterRole aggregation: the rules the clusterrole-aggregation controller writes into roles with an `aggregationRule`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::rule::PolicyRule;

/// A ClusterRole as aggregation sees it.
struct Role {
    name: String,
    labels: BTreeMap<String, String>,
    /// `None` without an `aggregationRule`; `Some(Err(()))` when a selector is invalid.
    selectors: Option<Result<Vec<Selector>, ()>>,
    rules: Vec<PolicyRule>,
}

/// One `metav1.LabelSelector`, already checked.
struct Selector {
    match_labels: Vec<(String, String)>,
    expressions: Vec<Requirement>,
}

enum Requirement {
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
}

/// For each ClusterRole with an `aggregationRule`, the rules it should hold:
/// for every selector in order, the rules of the other ClusterRoles it selects
/// (taken in name order), each rule kept once. Aggregated roles feed each other
/// (`admin` takes `edit`'s rules, which come from `view`), so this repeats until
/// nothing changes, as the controller's repeated syncs do. Only roles whose rules
/// would change are returned, in input order, with rules in their JSON form.
/// A role whose selectors are invalid is left alone, as the controller does.
pub fn aggregate(cluster_roles: &[Value]) -> Vec<(String, Vec<Value>)> {
    let mut roles: Vec<Role> = cluster_roles.iter().filter_map(parse_role).collect();
    let original: Vec<Vec<PolicyRule>> = roles.iter().map(|r| r.rules.clone()).collect();

    let mut by_name: Vec<usize> = (0..roles.len()).collect();
    by_name.sort_by(|&a, &b| roles[a].name.cmp(&roles[b].name));

    // Each pass can only propagate rules one aggregation level further, so
    // roles.len() + 1 passes reach the fixed point of any acyclic graph; the
    // bound also stops selector cycles that never settle.
    for _ in 0..=roles.len() {
        let mut changed = false;
        for i in 0..roles.len() {
            let Some(Ok(selectors)) = &roles[i].selectors else {
                continue;
            };
            let mut rules: Vec<PolicyRule> = Vec::new();
            for selector in selectors {
                for &j in &by_name {
                    if roles[j].name == roles[i].name || !selector.matches(&roles[j].labels) {
                        continue;
                    }
                    for rule in &roles[j].rules {
                        if !rules.contains(rule) {
                            rules.push(rule.clone());
                        }
                    }
                }
            }
            if rules != roles[i].rules {
                roles[i].rules = rules;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }

    roles
        .into_iter()
        .zip(original)
        .filter(|(role, before)| role.selectors.is_some() && role.rules != *before)
        .map(|(role, _)| {
            let rules = role.rules.iter().map(PolicyRule::to_value).collect();
            (role.name, rules)
        })
        .collect()
}

fn parse_role(value: &Value) -> Option<Role> {
    let metadata = value.get("metadata")?;
    let name = metadata
        .get("name")?
        .as_str()
        .filter(|n| !n.is_empty())?
        .to_owned();
    let labels = string_map(metadata.get("labels"));
    let selectors = value
        .get("aggregationRule")
        .filter(|rule| rule.is_object())
        .map(|rule| {
            rule.get("clusterRoleSelectors")
                .and_then(Value::as_array)
                .map(|list| list.iter().map(Selector::parse).collect())
                .unwrap_or(Ok(Vec::new()))
        });
    Some(Role {
        name,
        labels,
        selectors,
        rules: PolicyRule::list_from_value(value.get("rules")),
    })
}

impl Selector {
    /// `metav1.LabelSelectorAsSelector`: an unknown operator, In/NotIn without
    /// values, or Exists/DoesNotExist with values make the selector invalid.
    fn parse(value: &Value) -> Result<Selector, ()> {
        let obj = value.as_object().ok_or(())?;
        let match_labels = string_map(obj.get("matchLabels")).into_iter().collect();
        let mut expressions = Vec::new();
        for expr in obj
            .get("matchExpressions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = expr
                .get("key")
                .and_then(Value::as_str)
                .ok_or(())?
                .to_owned();
            let values: Vec<String> = expr
                .get("values")
                .and_then(Value::as_array)
                .map(|v| {
                    v.iter()
                        .filter_map(|s| s.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let requirement = match expr.get("operator").and_then(Value::as_str) {
                Some("In") if !values.is_empty() => Requirement::In(key, values),
                Some("NotIn") if !values.is_empty() => Requirement::NotIn(key, values),
                Some("Exists") if values.is_empty() => Requirement::Exists(key),
                Some("DoesNotExist") if values.is_empty() => Requirement::DoesNotExist(key),
                _ => return Err(()),
            };
            expressions.push(requirement);
        }
        Ok(Selector {
            match_labels,
            expressions,
        })
    }

    /// An empty selector matches every role.
    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.expressions.iter().all(|req| match req {
                Requirement::In(k, values) => labels.get(k).is_some_and(|v| values.contains(v)),
                Requirement::NotIn(k, values) => labels.get(k).is_none_or(|v| !values.contains(v)),
                Requirement::Exists(k) => labels.contains_key(k),
                Requirement::DoesNotExist(k) => !labels.contains_key(k),
            })
    }
}

fn string_map(value: Option<&Value>) -> BTreeMap<String, String> {
    value
        .and_then(Value::as_object)
        .map(|map| {
            map.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}
