//! PolicyRule parsing and matching, as `k8s.io/kubernetes/pkg/apis/rbac/v1` evaluation helpers do it.

use serde_json::{Map, Value};

/// Matches every verb, API group or resource in a rule (`rbacv1.VerbAll` and friends).
const ALL: &str = "*";

/// One `rbac.authorization.k8s.io/v1` PolicyRule.
///
/// Fields that are absent or `null` in JSON are empty here, which is what
/// apimachinery's semantic equality does too (nil and empty slices are equal).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyRule {
    /// `verbs`: `get`, `list`, … or `*`.
    pub verbs: Vec<String>,
    /// `apiGroups`: `""` is the core group, `*` all groups.
    pub api_groups: Vec<String>,
    /// `resources`: `pods`, `pods/log`, `*/scale` or `*`.
    pub resources: Vec<String>,
    /// `resourceNames`: empty means every name.
    pub resource_names: Vec<String>,
    /// `nonResourceURLs`: exact paths, `prefix*` or `*`.
    pub non_resource_urls: Vec<String>,
}

impl PolicyRule {
    /// Reads a rule from its JSON form; `None` when `value` is not an object.
    /// Entries that are not strings are skipped rather than failing the rule.
    pub fn from_value(value: &Value) -> Option<PolicyRule> {
        let obj = value.as_object()?;
        Some(PolicyRule {
            verbs: strings(obj.get("verbs")),
            api_groups: strings(obj.get("apiGroups")),
            resources: strings(obj.get("resources")),
            resource_names: strings(obj.get("resourceNames")),
            non_resource_urls: strings(obj.get("nonResourceURLs")),
        })
    }

    /// Reads the `rules` array of a Role or ClusterRole, skipping entries that are not objects.
    pub fn list_from_value(rules: Option<&Value>) -> Vec<PolicyRule> {
        rules
            .and_then(Value::as_array)
            .map(|rules| rules.iter().filter_map(PolicyRule::from_value).collect())
            .unwrap_or_default()
    }

    /// The JSON form kube-apiserver serves: field order of the Go struct, empty
    /// optional lists left out (`verbs` is always present).
    pub fn to_value(&self) -> Value {
        let mut obj = Map::new();
        obj.insert("verbs".into(), string_array(&self.verbs));
        let optional = [
            ("apiGroups", &self.api_groups),
            ("resources", &self.resources),
            ("resourceNames", &self.resource_names),
            ("nonResourceURLs", &self.non_resource_urls),
        ];
        for (key, list) in optional {
            if !list.is_empty() {
                obj.insert(key.into(), string_array(list));
            }
        }
        Value::Object(obj)
    }

    /// `VerbMatches`: the rule names the verb or `*`.
    pub fn verb_matches(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == ALL || v == verb)
    }

    /// `APIGroupMatches`: the rule names the group or `*`.
    pub fn api_group_matches(&self, group: &str) -> bool {
        self.api_groups.iter().any(|g| g == ALL || g == group)
    }

    /// `ResourceMatches`: `*`, the exact `resource[/subresource]`, or `*/subresource`.
    pub fn resource_matches(&self, combined: &str, subresource: &str) -> bool {
        self.resources.iter().any(|r| {
            r == ALL
                || r == combined
                || (!subresource.is_empty()
                    && r.strip_prefix("*/").is_some_and(|sub| sub == subresource))
        })
    }

    /// `ResourceNameMatches`: no names means every name.
    pub fn resource_name_matches(&self, name: &str) -> bool {
        self.resource_names.is_empty() || self.resource_names.iter().any(|n| n == name)
    }

    /// `NonResourceURLMatches`: `*`, the exact path, or a prefix ending in `*`.
    pub fn non_resource_url_matches(&self, path: &str) -> bool {
        self.non_resource_urls.iter().any(|u| {
            u == ALL || u == path || (u.ends_with('*') && path.starts_with(u.trim_end_matches('*')))
        })
    }

    /// `RuleAllows` of the RBAC authorizer for one request.
    pub fn allows(&self, attrs: &super::Attributes) -> bool {
        if !attrs.resource_request {
            return self.verb_matches(&attrs.verb) && self.non_resource_url_matches(&attrs.path);
        }
        let combined = if attrs.subresource.is_empty() {
            attrs.resource.clone()
        } else {
            format!("{}/{}", attrs.resource, attrs.subresource)
        };
        self.verb_matches(&attrs.verb)
            && self.api_group_matches(&attrs.api_group)
            && self.resource_matches(&combined, &attrs.subresource)
            && self.resource_name_matches(&attrs.name)
    }
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn string_array(items: &[String]) -> Value {
    Value::Array(items.iter().cloned().map(Value::String).collect())
}
