//! The RBAC authorizer: which bindings apply to a user and whether their rules allow a request.

use std::collections::HashMap;

use serde_json::Value;

use super::rule::PolicyRule;

/// The group kube-apiserver's privileged-group authorizer always allows (`user.SystemPrivilegedGroup`).
pub const SYSTEM_MASTERS: &str = "system:masters";

/// Prefix of service account user names (`serviceaccount.ServiceAccountUsernamePrefix`).
const SERVICE_ACCOUNT_USER_PREFIX: &str = "system:serviceaccount:";

/// What is asked of the authorizer: `authorizer.Attributes` of kube-apiserver.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attributes {
    /// The authenticated user name, e.g. `system:serviceaccount:default:builder`.
    pub user: String,
    /// The user's groups, e.g. `system:authenticated`.
    pub groups: Vec<String>,
    /// The request verb: `get`, `list`, `watch`, `create`, … (lower case, as RequestInfo gives it).
    pub verb: String,
    /// API group of the resource, `""` for the core group.
    pub api_group: String,
    /// The resource, e.g. `pods`; empty for non-resource requests.
    pub resource: String,
    /// The subresource, e.g. `log`; empty when none.
    pub subresource: String,
    /// The namespace of the request; empty for cluster-scoped requests.
    pub namespace: String,
    /// The object name; empty for list, watch and create.
    pub name: String,
    /// The URL path, used by non-resource requests (`/healthz`, `/api`).
    pub path: String,
    /// True for requests on API resources, false for non-resource URLs.
    pub resource_request: bool,
}

/// The answer of [`RbacSnapshot::authorize`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Some rule bound to the user allows the request, or the user is in `system:masters`.
    Allow,
    /// No rule allows it. `reason` is empty unless resolving bindings failed, in
    /// which case it is what kube-apiserver appends to the 403 message, e.g.
    /// `RBAC: clusterrole.rbac.authorization.k8s.io "reader" not found`.
    Deny {
        /// Why, or empty; pass it to [`super::forbidden_message`].
        reason: String,
    },
}

/// A `subjects` entry of a binding.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Subject {
    kind: String,
    name: String,
    namespace: String,
}

/// A `roleRef` of a binding.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RoleRef {
    kind: String,
    name: String,
}

/// A RoleBinding or ClusterRoleBinding reduced to what authorization reads.
#[derive(Debug, Clone)]
struct Binding {
    role_ref: RoleRef,
    subjects: Vec<Subject>,
}

/// A consistent view of every Role, ClusterRole, RoleBinding and ClusterRoleBinding,
/// which answers authorization questions the way kube-apiserver's RBAC authorizer does.
#[derive(Debug, Clone, Default)]
pub struct RbacSnapshot {
    /// Role rules by (namespace, name).
    roles: HashMap<(String, String), Vec<PolicyRule>>,
    /// ClusterRole rules by name.
    cluster_roles: HashMap<String, Vec<PolicyRule>>,
    /// RoleBindings by namespace, in the order given.
    role_bindings: HashMap<String, Vec<Binding>>,
    /// ClusterRoleBindings in the order given.
    cluster_role_bindings: Vec<Binding>,
}

impl RbacSnapshot {
    /// Builds a snapshot from the four lists of objects as the API serves them.
    /// Objects without a name (or, for namespaced kinds, a namespace) or without
    /// a `roleRef` are ignored; the kind of each object is not checked.
    pub fn new(
        roles: Vec<Value>,
        cluster_roles: Vec<Value>,
        role_bindings: Vec<Value>,
        cluster_role_bindings: Vec<Value>,
    ) -> RbacSnapshot {
        let mut snapshot = RbacSnapshot::default();
        for role in &roles {
            snapshot.add_role(role);
        }
        for cluster_role in &cluster_roles {
            snapshot.add_cluster_role(cluster_role);
        }
        for binding in &role_bindings {
            snapshot.add_role_binding(binding);
        }
        for binding in &cluster_role_bindings {
            snapshot.add_cluster_role_binding(binding);
        }
        snapshot
    }

    /// Builds a snapshot from a mixed list, sorting objects by their `kind`;
    /// objects of other kinds are ignored.
    pub fn from_objects<'a>(objects: impl IntoIterator<Item = &'a Value>) -> RbacSnapshot {
        let mut snapshot = RbacSnapshot::default();
        for object in objects {
            match object.get("kind").and_then(Value::as_str) {
                Some("Role") => snapshot.add_role(object),
                Some("ClusterRole") => snapshot.add_cluster_role(object),
                Some("RoleBinding") => snapshot.add_role_binding(object),
                Some("ClusterRoleBinding") => snapshot.add_cluster_role_binding(object),
                _ => {}
            }
        }
        snapshot
    }

    fn add_role(&mut self, role: &Value) {
        let (Some(namespace), Some(name)) = (meta(role, "namespace"), meta(role, "name")) else {
            return;
        };
        let rules = PolicyRule::list_from_value(role.get("rules"));
        self.roles
            .insert((namespace.to_owned(), name.to_owned()), rules);
    }

    fn add_cluster_role(&mut self, cluster_role: &Value) {
        let Some(name) = meta(cluster_role, "name") else {
            return;
        };
        let rules = PolicyRule::list_from_value(cluster_role.get("rules"));
        self.cluster_roles.insert(name.to_owned(), rules);
    }

    fn add_role_binding(&mut self, binding: &Value) {
        let Some(namespace) = meta(binding, "namespace") else {
            return;
        };
        if let Some(parsed) = parse_binding(binding) {
            self.role_bindings
                .entry(namespace.to_owned())
                .or_default()
                .push(parsed);
        }
    }

    fn add_cluster_role_binding(&mut self, binding: &Value) {
        if let Some(parsed) = parse_binding(binding) {
            self.cluster_role_bindings.push(parsed);
        }
    }

    /// Decides a request: `system:masters` is always allowed (kube-apiserver's
    /// privileged-group authorizer), otherwise the request is allowed when a rule
    /// of a ClusterRoleBinding, or of a RoleBinding in the request's namespace,
    /// that names the user allows it.
    pub fn authorize(&self, attrs: &Attributes) -> Decision {
        if attrs.groups.iter().any(|g| g == SYSTEM_MASTERS) {
            return Decision::Allow;
        }
        let mut errors = Vec::new();
        let allowed =
            self.visit_rules_for(
                &attrs.user,
                &attrs.groups,
                &attrs.namespace,
                |rule| match rule {
                    Ok(rule) => !rule.allows(attrs),
                    Err(err) => {
                        errors.push(err);
                        true
                    }
                },
            );
        if allowed {
            return Decision::Allow;
        }
        let reason = if errors.is_empty() {
            String::new()
        } else {
            format!("RBAC: {}", aggregate_errors(&errors))
        };
        Decision::Deny { reason }
    }

    /// Every rule bound to the user in `namespace` (cluster-wide bindings first,
    /// then RoleBindings of that namespace when it is not empty), with the errors
    /// met resolving role references: what SelfSubjectRulesReview reports.
    pub fn rules_for(
        &self,
        user: &str,
        groups: &[String],
        namespace: &str,
    ) -> (Vec<PolicyRule>, Vec<String>) {
        let mut rules = Vec::new();
        let mut errors = Vec::new();
        self.visit_rules_for(user, groups, namespace, |rule| {
            match rule {
                Ok(rule) => rules.push(rule.clone()),
                Err(err) => errors.push(err),
            }
            true
        });
        (rules, errors)
    }

    /// `VisitRulesFor`: calls `visit` with each applicable rule or resolution
    /// error until it returns false; returns true when visiting was cut short.
    fn visit_rules_for(
        &self,
        user: &str,
        groups: &[String],
        namespace: &str,
        mut visit: impl FnMut(Result<&PolicyRule, String>) -> bool,
    ) -> bool {
        for binding in &self.cluster_role_bindings {
            if !applies_to(user, groups, &binding.subjects, "") {
                continue;
            }
            match self.role_reference_rules(&binding.role_ref, "") {
                Ok(rules) => {
                    for rule in rules {
                        if !visit(Ok(rule)) {
                            return true;
                        }
                    }
                }
                Err(err) => {
                    if !visit(Err(err)) {
                        return true;
                    }
                }
            }
        }
        if namespace.is_empty() {
            return false;
        }
        for binding in self.role_bindings.get(namespace).into_iter().flatten() {
            if !applies_to(user, groups, &binding.subjects, namespace) {
                continue;
            }
            match self.role_reference_rules(&binding.role_ref, namespace) {
                Ok(rules) => {
                    for rule in rules {
                        if !visit(Ok(rule)) {
                            return true;
                        }
                    }
                }
                Err(err) => {
                    if !visit(Err(err)) {
                        return true;
                    }
                }
            }
        }
        false
    }

    /// `GetRoleReferenceRules`: a Role is looked up in the binding's namespace
    /// (so a ClusterRoleBinding can never reach one), a ClusterRole by name.
    fn role_reference_rules(
        &self,
        role_ref: &RoleRef,
        binding_namespace: &str,
    ) -> Result<&[PolicyRule], String> {
        match role_ref.kind.as_str() {
            "Role" => self
                .roles
                .get(&(binding_namespace.to_owned(), role_ref.name.clone()))
                .map(Vec::as_slice)
                .ok_or_else(|| {
                    format!(
                        "role.rbac.authorization.k8s.io {} not found",
                        super::forbidden::go_quote(&role_ref.name)
                    )
                }),
            "ClusterRole" => self
                .cluster_roles
                .get(&role_ref.name)
                .map(Vec::as_slice)
                .ok_or_else(|| {
                    format!(
                        "clusterrole.rbac.authorization.k8s.io {} not found",
                        super::forbidden::go_quote(&role_ref.name)
                    )
                }),
            other => Err(format!(
                "unsupported role reference kind: {}",
                super::forbidden::go_quote(other)
            )),
        }
    }
}

fn meta<'a>(object: &'a Value, field: &str) -> Option<&'a str> {
    object
        .get("metadata")?
        .get(field)?
        .as_str()
        .filter(|s| !s.is_empty())
}

fn parse_binding(binding: &Value) -> Option<Binding> {
    let role_ref = binding.get("roleRef")?;
    let role_ref = RoleRef {
        kind: role_ref.get("kind")?.as_str()?.to_owned(),
        name: role_ref.get("name")?.as_str()?.to_owned(),
    };
    let subjects = binding
        .get("subjects")
        .and_then(Value::as_array)
        .map(|subjects| {
            subjects
                .iter()
                .filter_map(|s| {
                    let field = |key: &str| s.get(key).and_then(Value::as_str).unwrap_or("");
                    s.is_object().then(|| Subject {
                        kind: field("kind").to_owned(),
                        name: field("name").to_owned(),
                        namespace: field("namespace").to_owned(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Some(Binding { role_ref, subjects })
}

/// `appliesTo`: some subject names the user, one of its groups, or its service
/// account (a ServiceAccount subject without a namespace takes the binding's).
fn applies_to(user: &str, groups: &[String], subjects: &[Subject], namespace: &str) -> bool {
    subjects.iter().any(|subject| match subject.kind.as_str() {
        "User" => subject.name == user,
        "Group" => groups.contains(&subject.name),
        "ServiceAccount" => {
            let sa_namespace = if subject.namespace.is_empty() {
                namespace
            } else {
                &subject.namespace
            };
            !sa_namespace.is_empty() && service_account_matches(sa_namespace, &subject.name, user)
        }
        _ => false,
    })
}

/// `serviceaccount.MatchesUsername`: `user` is `system:serviceaccount:<namespace>:<name>`.
fn service_account_matches(namespace: &str, name: &str, user: &str) -> bool {
    user.strip_prefix(SERVICE_ACCOUNT_USER_PREFIX)
        .and_then(|rest| rest.strip_prefix(namespace))
        .and_then(|rest| rest.strip_prefix(':'))
        .is_some_and(|rest| rest == name)
}

/// The text of `utilerrors.NewAggregate(errs).Error()`: one message alone,
/// several de-duplicated, comma-separated and bracketed.
fn aggregate_errors(errors: &[String]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for err in errors {
        if !seen.contains(&err.as_str()) {
            seen.push(err);
        }
    }
    match seen.as_slice() {
        [one] => (*one).to_owned(),
        many => format!("[{}]", many.join(", ")),
    }
}
