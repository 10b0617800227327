//! The default RBAC policy: bootstrappolicy's roles and bindings plus the ones kubeadm creates.

use serde_json::{Map, Value};

use super::rule::PolicyRule;

/// API group and version of every RBAC object.
const API_VERSION: &str = "rbac.authorization.k8s.io/v1";
/// `rbacv1.GroupName`, defaulted into User and Group subjects and role references.
const RBAC_GROUP: &str = "rbac.authorization.k8s.io";
/// The label bootstrappolicy puts on everything it creates.
const BOOTSTRAP_LABEL: (&str, &str) = ("kubernetes.io/bootstrapping", "rbac-defaults");
/// The annotation that lets the API server reconcile its defaults at startup.
const AUTOUPDATE_ANNOTATION: (&str, &str) = ("rbac.authorization.kubernetes.io/autoupdate", "true");

/// Label that puts a ClusterRole into `admin`.
pub const AGGREGATE_TO_ADMIN: &str = "rbac.authorization.k8s.io/aggregate-to-admin";
/// Label that puts a ClusterRole into `edit` (and so `admin`).
pub const AGGREGATE_TO_EDIT: &str = "rbac.authorization.k8s.io/aggregate-to-edit";
/// Label that puts a ClusterRole into `view` (and so `edit` and `admin`).
pub const AGGREGATE_TO_VIEW: &str = "rbac.authorization.k8s.io/aggregate-to-view";

/// The group kubeadm's bootstrap tokens authenticate as.
const BOOTSTRAP_TOKEN_GROUP: &str = "system:bootstrappers:kubeadm:default-node-token";

const READ: &[&str] = &["get", "list", "watch"];
const WRITE: &[&str] = &["create", "delete", "deletecollection", "patch", "update"];
const READ_WRITE: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
const CORE: &[&str] = &[""];

/// Whether an object gets bootstrappolicy's label and annotation; kubeadm's objects do not.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    Apiserver,
    Kubeadm,
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn rule(verbs: &[&str], groups: &[&str], resources: &[&str]) -> PolicyRule {
    PolicyRule {
        verbs: strings(verbs),
        api_groups: strings(groups),
        resources: strings(resources),
        ..PolicyRule::default()
    }
}

fn named(verbs: &[&str], groups: &[&str], resources: &[&str], names: &[&str]) -> PolicyRule {
    PolicyRule {
        resource_names: strings(names),
        ..rule(verbs, groups, resources)
    }
}

fn urls(verbs: &[&str], urls: &[&str]) -> PolicyRule {
    PolicyRule {
        verbs: strings(verbs),
        non_resource_urls: strings(urls),
        ..PolicyRule::default()
    }
}

/// bootstrappolicy's `eventsRule()`.
fn events() -> PolicyRule {
    rule(
        &["create", "patch", "update"],
        &["", "events.k8s.io"],
        &["events"],
    )
}

fn metadata(name: &str, namespace: Option<&str>, labels: &[(&str, &str)], origin: Origin) -> Value {
    let mut meta = Map::new();
    meta.insert("name".into(), name.into());
    if let Some(namespace) = namespace {
        meta.insert("namespace".into(), namespace.into());
    }
    let mut all_labels: Vec<(&str, &str)> = labels.to_vec();
    if origin == Origin::Apiserver {
        all_labels.push(BOOTSTRAP_LABEL);
    }
    // Go serializes maps with sorted keys.
    all_labels.sort();
    if !all_labels.is_empty() {
        let labels: Map<String, Value> = all_labels
            .into_iter()
            .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
            .collect();
        meta.insert("labels".into(), Value::Object(labels));
    }
    if origin == Origin::Apiserver {
        let (key, value) = AUTOUPDATE_ANNOTATION;
        let mut annotations = Map::new();
        annotations.insert(key.into(), value.into());
        meta.insert("annotations".into(), Value::Object(annotations));
    }
    Value::Object(meta)
}

fn rules_value(rules: &[PolicyRule]) -> Value {
    Value::Array(rules.iter().map(PolicyRule::to_value).collect())
}

fn cluster_role(
    name: &str,
    labels: &[(&str, &str)],
    rules: &[PolicyRule],
    origin: Origin,
) -> Value {
    let mut role = Map::new();
    role.insert("kind".into(), "ClusterRole".into());
    role.insert("apiVersion".into(), API_VERSION.into());
    role.insert("metadata".into(), metadata(name, None, labels, origin));
    role.insert("rules".into(), rules_value(rules));
    Value::Object(role)
}

/// A ClusterRole filled by aggregation: `rules` is `null` until the
/// clusterrole-aggregation controller writes it, as kube-apiserver serves it.
fn aggregated_cluster_role(name: &str, labels: &[(&str, &str)], selects: &str) -> Value {
    let mut role = Map::new();
    role.insert("kind".into(), "ClusterRole".into());
    role.insert("apiVersion".into(), API_VERSION.into());
    role.insert(
        "metadata".into(),
        metadata(name, None, labels, Origin::Apiserver),
    );
    role.insert("rules".into(), Value::Null);
    let mut match_labels = Map::new();
    match_labels.insert(selects.into(), "true".into());
    let mut selector = Map::new();
    selector.insert("matchLabels".into(), Value::Object(match_labels));
    let mut aggregation = Map::new();
    aggregation.insert(
        "clusterRoleSelectors".into(),
        Value::Array(vec![Value::Object(selector)]),
    );
    role.insert("aggregationRule".into(), Value::Object(aggregation));
    Value::Object(role)
}

fn role(namespace: &str, name: &str, rules: &[PolicyRule], origin: Origin) -> Value {
    let mut role = Map::new();
    role.insert("kind".into(), "Role".into());
    role.insert("apiVersion".into(), API_VERSION.into());
    role.insert(
        "metadata".into(),
        metadata(name, Some(namespace), &[], origin),
    );
    role.insert("rules".into(), rules_value(rules));
    Value::Object(role)
}

/// A binding subject, with the `apiGroup` kube-apiserver defaults in for users and groups.
enum Subject<'a> {
    User(&'a str),
    Group(&'a str),
    ServiceAccount(&'a str, &'a str),
}

impl Subject<'_> {
    fn to_value(&self) -> Value {
        let mut subject = Map::new();
        match self {
            Subject::User(name) | Subject::Group(name) => {
                let kind = if matches!(self, Subject::User(_)) {
                    "User"
                } else {
                    "Group"
                };
                subject.insert("kind".into(), kind.into());
                subject.insert("apiGroup".into(), RBAC_GROUP.into());
                subject.insert("name".into(), (*name).into());
            }
            Subject::ServiceAccount(namespace, name) => {
                subject.insert("kind".into(), "ServiceAccount".into());
                subject.insert("name".into(), (*name).into());
                subject.insert("namespace".into(), (*namespace).into());
            }
        }
        Value::Object(subject)
    }
}

fn binding(
    kind: &str,
    namespace: Option<&str>,
    name: &str,
    role_kind: &str,
    role_name: &str,
    subjects: &[Subject],
    origin: Origin,
) -> Value {
    let mut binding = Map::new();
    binding.insert("kind".into(), kind.into());
    binding.insert("apiVersion".into(), API_VERSION.into());
    binding.insert("metadata".into(), metadata(name, namespace, &[], origin));
    if !subjects.is_empty() {
        binding.insert(
            "subjects".into(),
            Value::Array(subjects.iter().map(Subject::to_value).collect()),
        );
    }
    let mut role_ref = Map::new();
    role_ref.insert("apiGroup".into(), RBAC_GROUP.into());
    role_ref.insert("kind".into(), role_kind.into());
    role_ref.insert("name".into(), role_name.into());
    binding.insert("roleRef".into(), Value::Object(role_ref));
    Value::Object(binding)
}

fn cluster_binding(name: &str, role_name: &str, subjects: &[Subject], origin: Origin) -> Value {
    binding(
        "ClusterRoleBinding",
        None,
        name,
        "ClusterRole",
        role_name,
        subjects,
        origin,
    )
}

fn role_binding(
    namespace: &str,
    name: &str,
    role_name: &str,
    subjects: &[Subject],
    origin: Origin,
) -> Value {
    binding(
        "RoleBinding",
        Some(namespace),
        name,
        "Role",
        role_name,
        subjects,
        origin,
    )
}

/// bootstrappolicy's `NodeRules()` with the feature gates of a default v1.33 server.
fn node_rules() -> Vec<PolicyRule> {
    vec![
        rule(&["create"], &["authentication.k8s.io"], &["tokenreviews"]),
        rule(
            &["create"],
            &["authorization.k8s.io"],
            &["localsubjectaccessreviews", "subjectaccessreviews"],
        ),
        rule(READ, CORE, &["services"]),
        rule(&["create", "get", "list", "watch"], CORE, &["nodes"]),
        rule(&["patch", "update"], CORE, &["nodes/status"]),
        rule(&["patch", "update"], CORE, &["nodes"]),
        rule(&["create", "patch", "update"], CORE, &["events"]),
        rule(READ, CORE, &["pods"]),
        rule(&["create", "delete"], CORE, &["pods"]),
        rule(&["patch", "update"], CORE, &["pods/status"]),
        rule(&["create"], CORE, &["pods/eviction"]),
        rule(READ, CORE, &["configmaps", "secrets"]),
        rule(
            &["get"],
            CORE,
            &["persistentvolumeclaims", "persistentvolumes"],
        ),
        rule(&["get"], CORE, &["endpoints"]),
        rule(
            &["create", "get", "list", "watch"],
            &["certificates.k8s.io"],
            &["certificatesigningrequests"],
        ),
        rule(
            &["create", "delete", "get", "patch", "update"],
            &["coordination.k8s.io"],
            &["leases"],
        ),
        rule(&["get"], &["storage.k8s.io"], &["volumeattachments"]),
        rule(&["create"], CORE, &["serviceaccounts/token"]),
        rule(
            &["get", "patch", "update"],
            CORE,
            &["persistentvolumeclaims/status"],
        ),
        rule(READ, &["storage.k8s.io"], &["csidrivers"]),
        rule(
            &["create", "delete", "get", "patch", "update"],
            &["storage.k8s.io"],
            &["csinodes"],
        ),
        rule(READ, &["node.k8s.io"], &["runtimeclasses"]),
    ]
}

fn aggregate_to_edit_rules() -> Vec<PolicyRule> {
    vec![
        rule(
            READ,
            CORE,
            &[
                "pods/attach",
                "pods/exec",
                "pods/portforward",
                "pods/proxy",
                "secrets",
                "services/proxy",
            ],
        ),
        rule(&["impersonate"], CORE, &["serviceaccounts"]),
        rule(
            WRITE,
            CORE,
            &[
                "pods",
                "pods/attach",
                "pods/exec",
                "pods/portforward",
                "pods/proxy",
            ],
        ),
        rule(&["create"], CORE, &["pods/eviction"]),
        rule(
            WRITE,
            CORE,
            &[
                "configmaps",
                "events",
                "persistentvolumeclaims",
                "replicationcontrollers",
                "replicationcontrollers/scale",
                "secrets",
                "serviceaccounts",
                "services",
                "services/proxy",
            ],
        ),
        rule(&["create"], CORE, &["serviceaccounts/token"]),
        rule(
            WRITE,
            &["apps"],
            &[
                "daemonsets",
                "deployments",
                "deployments/rollback",
                "deployments/scale",
                "replicasets",
                "replicasets/scale",
                "statefulsets",
                "statefulsets/scale",
            ],
        ),
        rule(WRITE, &["autoscaling"], &["horizontalpodautoscalers"]),
        rule(WRITE, &["batch"], &["cronjobs", "jobs"]),
        rule(
            WRITE,
            &["extensions"],
            &[
                "daemonsets",
                "deployments",
                "deployments/rollback",
                "deployments/scale",
                "ingresses",
                "networkpolicies",
                "replicasets",
                "replicasets/scale",
                "replicationcontrollers/scale",
            ],
        ),
        rule(WRITE, &["policy"], &["poddisruptionbudgets"]),
        rule(
            WRITE,
            &["networking.k8s.io"],
            &["ingresses", "networkpolicies"],
        ),
        rule(READ_WRITE, &["coordination.k8s.io"], &["leases"]),
    ]
}

fn aggregate_to_view_rules() -> Vec<PolicyRule> {
    vec![
        rule(
            READ,
            CORE,
            &[
                "configmaps",
                "endpoints",
                "persistentvolumeclaims",
                "persistentvolumeclaims/status",
                "pods",
                "replicationcontrollers",
                "replicationcontrollers/scale",
                "serviceaccounts",
                "services",
                "services/status",
            ],
        ),
        rule(
            READ,
            CORE,
            &[
                "bindings",
                "events",
                "limitranges",
                "namespaces/status",
                "pods/log",
                "pods/status",
                "replicationcontrollers/status",
                "resourcequotas",
                "resourcequotas/status",
            ],
        ),
        rule(READ, CORE, &["namespaces"]),
        rule(READ, &["discovery.k8s.io"], &["endpointslices"]),
        rule(
            READ,
            &["apps"],
            &[
                "controllerrevisions",
                "daemonsets",
                "daemonsets/status",
                "deployments",
                "deployments/scale",
                "deployments/status",
                "replicasets",
                "replicasets/scale",
                "replicasets/status",
                "statefulsets",
                "statefulsets/scale",
                "statefulsets/status",
            ],
        ),
        rule(
            READ,
            &["autoscaling"],
            &[
                "horizontalpodautoscalers",
                "horizontalpodautoscalers/status",
            ],
        ),
        rule(
            READ,
            &["batch"],
            &["cronjobs", "cronjobs/status", "jobs", "jobs/status"],
        ),
        rule(
            READ,
            &["extensions"],
            &[
                "daemonsets",
                "daemonsets/status",
                "deployments",
                "deployments/scale",
                "deployments/status",
                "ingresses",
                "ingresses/status",
                "networkpolicies",
                "replicasets",
                "replicasets/scale",
                "replicasets/status",
                "replicationcontrollers/scale",
            ],
        ),
        rule(
            READ,
            &["policy"],
            &["poddisruptionbudgets", "poddisruptionbudgets/status"],
        ),
        rule(
            READ,
            &["networking.k8s.io"],
            &["ingresses", "ingresses/status", "networkpolicies"],
        ),
    ]
}

fn kube_controller_manager_rules() -> Vec<PolicyRule> {
    vec![
        events(),
        rule(&["create"], &["coordination.k8s.io"], &["leases"]),
        named(
            &["get", "update"],
            &["coordination.k8s.io"],
            &["leases"],
            &["kube-controller-manager"],
        ),
        rule(&["create"], CORE, &["secrets", "serviceaccounts"]),
        rule(&["delete"], CORE, &["secrets"]),
        rule(
            &["get"],
            CORE,
            &["configmaps", "namespaces", "secrets", "serviceaccounts"],
        ),
        rule(&["update"], CORE, &["secrets", "serviceaccounts"]),
        rule(&["create"], &["authentication.k8s.io"], &["tokenreviews"]),
        rule(
            &["create"],
            &["authorization.k8s.io"],
            &["subjectaccessreviews"],
        ),
        rule(&["list", "watch"], &["*"], &["*"]),
        rule(&["create"], CORE, &["serviceaccounts/token"]),
    ]
}

fn kube_scheduler_rules() -> Vec<PolicyRule> {
    vec![
        events(),
        rule(&["create"], &["coordination.k8s.io"], &["leases"]),
        named(
            &["get", "update"],
            &["coordination.k8s.io"],
            &["leases"],
            &["kube-scheduler"],
        ),
        rule(READ, CORE, &["nodes"]),
        rule(&["delete", "get", "list", "watch"], CORE, &["pods"]),
        rule(&["create"], CORE, &["bindings", "pods/binding"]),
        rule(&["patch", "update"], CORE, &["pods/status"]),
        rule(READ, CORE, &["replicationcontrollers", "services"]),
        rule(READ, &["apps", "extensions"], &["replicasets"]),
        rule(READ, &["apps"], &["statefulsets"]),
        rule(READ, &["policy"], &["poddisruptionbudgets"]),
        rule(READ, CORE, &["persistentvolumeclaims", "persistentvolumes"]),
        rule(&["create"], &["authentication.k8s.io"], &["tokenreviews"]),
        rule(
            &["create"],
            &["authorization.k8s.io"],
            &["subjectaccessreviews"],
        ),
        rule(READ, &["storage.k8s.io"], &["csinodes"]),
        rule(READ, CORE, &["namespaces"]),
        rule(READ, &["storage.k8s.io"], &["csidrivers"]),
        rule(READ, &["storage.k8s.io"], &["csistoragecapacities"]),
    ]
}

fn signer_approver(name: &str, signer: &str) -> Value {
    cluster_role(
        name,
        &[],
        &[named(
            &["approve"],
            &["certificates.k8s.io"],
            &["signers"],
            &[signer],
        )],
        Origin::Apiserver,
    )
}

/// Every ClusterRole a kubeadm-built v1.33 cluster starts with, sorted by name:
/// bootstrappolicy's `ClusterRoles()` (without the `system:controller:*` roles)
/// and kubeadm's `kubeadm:get-nodes`. `admin`, `edit` and `view` have
/// `aggregationRule`s and `rules: null`; run [`super::aggregate`] to fill them.
pub fn bootstrap_cluster_roles() -> Vec<Value> {
    let a = Origin::Apiserver;
    let mut roles = vec![
        aggregated_cluster_role("admin", &[], AGGREGATE_TO_ADMIN),
        cluster_role(
            "cluster-admin",
            &[],
            &[rule(&["*"], &["*"], &["*"]), urls(&["*"], &["*"])],
            a,
        ),
        aggregated_cluster_role("edit", &[(AGGREGATE_TO_ADMIN, "true")], AGGREGATE_TO_EDIT),
        cluster_role(
            "system:aggregate-to-admin",
            &[(AGGREGATE_TO_ADMIN, "true")],
            &[
                rule(
                    &["create"],
                    &["authorization.k8s.io"],
                    &["localsubjectaccessreviews"],
                ),
                rule(
                    READ_WRITE,
                    &["rbac.authorization.k8s.io"],
                    &["rolebindings", "roles"],
                ),
            ],
            a,
        ),
        cluster_role(
            "system:aggregate-to-edit",
            &[(AGGREGATE_TO_EDIT, "true")],
            &aggregate_to_edit_rules(),
            a,
        ),
        cluster_role(
            "system:aggregate-to-view",
            &[(AGGREGATE_TO_VIEW, "true")],
            &aggregate_to_view_rules(),
            a,
        ),
        cluster_role(
            "system:auth-delegator",
            &[],
            &[
                rule(&["create"], &["authentication.k8s.io"], &["tokenreviews"]),
                rule(
                    &["create"],
                    &["authorization.k8s.io"],
                    &["subjectaccessreviews"],
                ),
            ],
            a,
        ),
        cluster_role(
            "system:basic-user",
            &[],
            &[
                rule(
                    &["create"],
                    &["authorization.k8s.io"],
                    &["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
                ),
                rule(
                    &["create"],
                    &["authentication.k8s.io"],
                    &["selfsubjectreviews"],
                ),
            ],
            a,
        ),
        cluster_role(
            "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
            &[],
            &[rule(
                &["create"],
                &["certificates.k8s.io"],
                &["certificatesigningrequests/nodeclient"],
            )],
            a,
        ),
        cluster_role(
            "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
            &[],
            &[rule(
                &["create"],
                &["certificates.k8s.io"],
                &["certificatesigningrequests/selfnodeclient"],
            )],
            a,
        ),
        signer_approver(
            "system:certificates.k8s.io:kube-apiserver-client-approver",
            "kubernetes.io/kube-apiserver-client",
        ),
        signer_approver(
            "system:certificates.k8s.io:kube-apiserver-client-kubelet-approver",
            "kubernetes.io/kube-apiserver-client-kubelet",
        ),
        signer_approver(
            "system:certificates.k8s.io:kubelet-serving-approver",
            "kubernetes.io/kubelet-serving",
        ),
        signer_approver(
            "system:certificates.k8s.io:legacy-unknown-approver",
            "kubernetes.io/legacy-unknown",
        ),
        cluster_role(
            "system:discovery",
            &[],
            &[urls(
                &["get"],
                &[
                    "/api",
                    "/api/*",
                    "/apis",
                    "/apis/*",
                    "/healthz",
                    "/livez",
                    "/openapi",
                    "/openapi/*",
                    "/readyz",
                    "/version",
                    "/version/",
                ],
            )],
            a,
        ),
        cluster_role(
            "system:heapster",
            &[],
            &[
                rule(READ, CORE, &["events", "namespaces", "nodes", "pods"]),
                rule(READ, &["extensions"], &["deployments"]),
            ],
            a,
        ),
        cluster_role(
            "system:kube-aggregator",
            &[],
            &[rule(READ, CORE, &["endpoints", "services"])],
            a,
        ),
        cluster_role(
            "system:kube-controller-manager",
            &[],
            &kube_controller_manager_rules(),
            a,
        ),
        cluster_role(
            "system:kube-dns",
            &[],
            &[rule(&["list", "watch"], CORE, &["endpoints", "services"])],
            a,
        ),
        cluster_role("system:kube-scheduler", &[], &kube_scheduler_rules(), a),
        cluster_role(
            "system:kubelet-api-admin",
            &[],
            &[
                rule(READ, CORE, &["nodes"]),
                rule(&["proxy"], CORE, &["nodes"]),
                rule(
                    &["*"],
                    CORE,
                    &["nodes/log", "nodes/metrics", "nodes/proxy", "nodes/stats"],
                ),
            ],
            a,
        ),
        cluster_role(
            "system:monitoring",
            &[],
            &[urls(
                &["get"],
                &[
                    "/healthz",
                    "/healthz/*",
                    "/livez",
                    "/livez/*",
                    "/metrics",
                    "/metrics/slis",
                    "/readyz",
                    "/readyz/*",
                ],
            )],
            a,
        ),
        cluster_role("system:node", &[], &node_rules(), a),
        cluster_role(
            "system:node-bootstrapper",
            &[],
            &[rule(
                &["create", "get", "list", "watch"],
                &["certificates.k8s.io"],
                &["certificatesigningrequests"],
            )],
            a,
        ),
        cluster_role(
            "system:node-problem-detector",
            &[],
            &[
                rule(&["get"], CORE, &["nodes"]),
                rule(&["patch"], CORE, &["nodes/status"]),
                events(),
            ],
            a,
        ),
        cluster_role(
            "system:node-proxier",
            &[],
            &[
                rule(&["list", "watch"], CORE, &["endpoints", "services"]),
                rule(READ, CORE, &["nodes"]),
                events(),
                rule(
                    &["list", "watch"],
                    &["discovery.k8s.io"],
                    &["endpointslices"],
                ),
            ],
            a,
        ),
        cluster_role(
            "system:persistent-volume-provisioner",
            &[],
            &[
                rule(
                    &["create", "delete", "get", "list", "watch"],
                    CORE,
                    &["persistentvolumes"],
                ),
                rule(
                    &["get", "list", "update", "watch"],
                    CORE,
                    &["persistentvolumeclaims"],
                ),
                rule(READ, &["storage.k8s.io"], &["storageclasses"]),
                rule(&["watch"], CORE, &["events"]),
                events(),
            ],
            a,
        ),
        cluster_role(
            "system:public-info-viewer",
            &[],
            &[urls(
                &["get"],
                &["/healthz", "/livez", "/readyz", "/version", "/version/"],
            )],
            a,
        ),
        cluster_role(
            "system:service-account-issuer-discovery",
            &[],
            &[urls(
                &["get"],
                &["/.well-known/openid-configuration", "/openid/v1/jwks"],
            )],
            a,
        ),
        cluster_role(
            "system:volume-scheduler",
            &[],
            &[
                rule(
                    &["get", "list", "patch", "update", "watch"],
                    CORE,
                    &["persistentvolumes"],
                ),
                rule(READ, &["storage.k8s.io"], &["storageclasses"]),
                rule(
                    &["get", "list", "patch", "update", "watch"],
                    CORE,
                    &["persistentvolumeclaims"],
                ),
            ],
            a,
        ),
        aggregated_cluster_role("view", &[(AGGREGATE_TO_EDIT, "true")], AGGREGATE_TO_VIEW),
        cluster_role(
            "kubeadm:get-nodes",
            &[],
            &[rule(&["get"], CORE, &["nodes"])],
            Origin::Kubeadm,
        ),
    ];
    roles.sort_by(|x, y| name_of(x).cmp(name_of(y)));
    roles
}

fn name_of(object: &Value) -> &str {
    object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// Every ClusterRoleBinding of a kubeadm-built cluster: bootstrappolicy's
/// `ClusterRoleBindings()` in its order, then kubeadm's. Unlike upstream, where
/// the Node authorizer serves kubelets and the binding is left without subjects,
/// `system:node` is bound to the `system:nodes` group.
pub fn bootstrap_cluster_role_bindings() -> Vec<Value> {
    use Subject::{Group, ServiceAccount, User};
    let a = Origin::Apiserver;
    let k = Origin::Kubeadm;
    vec![
        cluster_binding(
            "cluster-admin",
            "cluster-admin",
            &[Group("system:masters")],
            a,
        ),
        cluster_binding(
            "system:monitoring",
            "system:monitoring",
            &[Group("system:monitoring")],
            a,
        ),
        cluster_binding(
            "system:discovery",
            "system:discovery",
            &[Group("system:authenticated")],
            a,
        ),
        cluster_binding(
            "system:basic-user",
            "system:basic-user",
            &[Group("system:authenticated")],
            a,
        ),
        cluster_binding(
            "system:public-info-viewer",
            "system:public-info-viewer",
            &[
                Group("system:authenticated"),
                Group("system:unauthenticated"),
            ],
            a,
        ),
        cluster_binding(
            "system:node-proxier",
            "system:node-proxier",
            &[User("system:kube-proxy")],
            a,
        ),
        cluster_binding(
            "system:kube-controller-manager",
            "system:kube-controller-manager",
            &[User("system:kube-controller-manager")],
            a,
        ),
        cluster_binding(
            "system:kube-dns",
            "system:kube-dns",
            &[ServiceAccount("kube-system", "kube-dns")],
            a,
        ),
        cluster_binding(
            "system:kube-scheduler",
            "system:kube-scheduler",
            &[User("system:kube-scheduler")],
            a,
        ),
        cluster_binding(
            "system:volume-scheduler",
            "system:volume-scheduler",
            &[User("system:kube-scheduler")],
            a,
        ),
        cluster_binding("system:node", "system:node", &[Group("system:nodes")], a),
        cluster_binding(
            "system:service-account-issuer-discovery",
            "system:service-account-issuer-discovery",
            &[Group("system:serviceaccounts")],
            a,
        ),
        cluster_binding(
            "kubeadm:cluster-admins",
            "cluster-admin",
            &[Group("kubeadm:cluster-admins")],
            k,
        ),
        cluster_binding(
            "kubeadm:get-nodes",
            "kubeadm:get-nodes",
            &[Group(BOOTSTRAP_TOKEN_GROUP)],
            k,
        ),
        cluster_binding(
            "kubeadm:kubelet-bootstrap",
            "system:node-bootstrapper",
            &[Group(BOOTSTRAP_TOKEN_GROUP)],
            k,
        ),
        cluster_binding(
            "kubeadm:node-autoapprove-bootstrap",
            "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
            &[Group(BOOTSTRAP_TOKEN_GROUP)],
            k,
        ),
        cluster_binding(
            "kubeadm:node-autoapprove-certificate-rotation",
            "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
            &[Group("system:nodes")],
            k,
        ),
    ]
}

fn leader_locking_rules() -> Vec<PolicyRule> {
    let verbs = &["create", "get", "list", "update", "watch"];
    vec![
        rule(verbs, &["coordination.k8s.io"], &["leases"]),
        rule(verbs, &["coordination.k8s.io"], &["leasecandidates"]),
    ]
}

/// The namespaced Roles of a kubeadm-built cluster: bootstrappolicy's
/// `NamespaceRoles()` in kube-public and kube-system, and kubeadm's
/// `kubeadm:bootstrap-signer-clusterinfo` that lets anyone read the
/// `cluster-info` ConfigMap in kube-public.
pub fn bootstrap_roles() -> Vec<Value> {
    let a = Origin::Apiserver;
    vec![
        role(
            "kube-public",
            "system:controller:bootstrap-signer",
            &[
                rule(READ, CORE, &["configmaps"]),
                named(&["update"], CORE, &["configmaps"], &["cluster-info"]),
                events(),
            ],
            a,
        ),
        role(
            "kube-public",
            "kubeadm:bootstrap-signer-clusterinfo",
            &[named(&["get"], CORE, &["configmaps"], &["cluster-info"])],
            Origin::Kubeadm,
        ),
        role(
            "kube-system",
            "extension-apiserver-authentication-reader",
            &[named(
                READ,
                CORE,
                &["configmaps"],
                &["extension-apiserver-authentication"],
            )],
            a,
        ),
        role(
            "kube-system",
            "system::leader-locking-kube-controller-manager",
            &leader_locking_rules(),
            a,
        ),
        role(
            "kube-system",
            "system::leader-locking-kube-scheduler",
            &leader_locking_rules(),
            a,
        ),
        role(
            "kube-system",
            "system:controller:bootstrap-signer",
            &[rule(READ, CORE, &["secrets"])],
            a,
        ),
        role(
            "kube-system",
            "system:controller:cloud-provider",
            &[rule(
                &["create", "get", "list", "watch"],
                CORE,
                &["configmaps"],
            )],
            a,
        ),
        role(
            "kube-system",
            "system:controller:token-cleaner",
            &[
                rule(&["delete", "get", "list", "watch"], CORE, &["secrets"]),
                events(),
            ],
            a,
        ),
    ]
}

/// The RoleBindings that go with [`bootstrap_roles`], including kubeadm's
/// binding of `kubeadm:bootstrap-signer-clusterinfo` to `system:anonymous`.
pub fn bootstrap_role_bindings() -> Vec<Value> {
    use Subject::{ServiceAccount, User};
    let a = Origin::Apiserver;
    vec![
        role_binding(
            "kube-public",
            "system:controller:bootstrap-signer",
            "system:controller:bootstrap-signer",
            &[ServiceAccount("kube-system", "bootstrap-signer")],
            a,
        ),
        role_binding(
            "kube-public",
            "kubeadm:bootstrap-signer-clusterinfo",
            "kubeadm:bootstrap-signer-clusterinfo",
            &[User("system:anonymous")],
            Origin::Kubeadm,
        ),
        role_binding(
            "kube-system",
            "system::extension-apiserver-authentication-reader",
            "extension-apiserver-authentication-reader",
            &[
                User("system:kube-controller-manager"),
                User("system:kube-scheduler"),
            ],
            a,
        ),
        role_binding(
            "kube-system",
            "system::leader-locking-kube-controller-manager",
            "system::leader-locking-kube-controller-manager",
            &[
                User("system:kube-controller-manager"),
                ServiceAccount("kube-system", "kube-controller-manager"),
                ServiceAccount("kube-system", "leader-election-controller"),
            ],
            a,
        ),
        role_binding(
            "kube-system",
            "system::leader-locking-kube-scheduler",
            "system::leader-locking-kube-scheduler",
            &[
                User("system:kube-scheduler"),
                ServiceAccount("kube-system", "kube-scheduler"),
            ],
            a,
        ),
        role_binding(
            "kube-system",
            "system:controller:bootstrap-signer",
            "system:controller:bootstrap-signer",
            &[ServiceAccount("kube-system", "bootstrap-signer")],
            a,
        ),
        role_binding(
            "kube-system",
            "system:controller:cloud-provider",
            "system:controller:cloud-provider",
            &[ServiceAccount("kube-system", "cloud-provider")],
            a,
        ),
        role_binding(
            "kube-system",
            "system:controller:token-cleaner",
            "system:controller:token-cleaner",
            &[ServiceAccount("kube-system", "token-cleaner")],
            a,
        ),
    ]
}
