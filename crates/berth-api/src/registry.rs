//! The resource registry: every API resource berth serves, as discovery describes it.

/// A resource (or subresource) served by the API server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResourceInfo {
    /// API group; `""` is the core group.
    pub group: &'static str,
    /// The one version berth serves for the group.
    pub version: &'static str,
    /// Plural lower-case name used in URLs (`deployments`).
    pub resource: &'static str,
    /// Singular name (`deployment`).
    pub singular: &'static str,
    /// Kind of the objects (`Deployment`).
    pub kind: &'static str,
    /// Whether objects live in a namespace.
    pub namespaced: bool,
    /// Short names for kubectl (`deploy`).
    pub short_names: &'static [&'static str],
    /// Categories (`all`).
    pub categories: &'static [&'static str],
    /// Verbs on the collection and on objects.
    pub verbs: &'static [&'static str],
    /// Subresources with their kind and verbs: (name, group, version, kind, verbs).
    pub subresources: &'static [Subresource],
}

/// A subresource such as `pods/status` or `deployments/scale`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subresource {
    pub name: &'static str,
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub verbs: &'static [&'static str],
}

const ALL_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
const CREATE: &[&str] = &["create"];
const GET_PATCH_UPDATE: &[&str] = &["get", "patch", "update"];
const NONE: &[&str] = &[];
const ALL: &[&str] = &["all"];

const fn status() -> Subresource {
    Subresource {
        name: "status",
        group: "",
        version: "",
        kind: "",
        verbs: GET_PATCH_UPDATE,
    }
}
const fn scale() -> Subresource {
    Subresource {
        name: "scale",
        group: "autoscaling",
        version: "v1",
        kind: "Scale",
        verbs: GET_PATCH_UPDATE,
    }
}
const fn sub(
    name: &'static str,
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    verbs: &'static [&'static str],
) -> Subresource {
    Subresource {
        name,
        group,
        version,
        kind,
        verbs,
    }
}

#[allow(clippy::too_many_arguments)]
const fn r(
    group: &'static str,
    version: &'static str,
    resource: &'static str,
    singular: &'static str,
    kind: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
    categories: &'static [&'static str],
    verbs: &'static [&'static str],
    subresources: &'static [Subresource],
) -> ResourceInfo {
    ResourceInfo {
        group,
        version,
        resource,
        singular,
        kind,
        namespaced,
        short_names,
        categories,
        verbs,
        subresources,
    }
}

/// Every resource berth serves, in kube-apiserver's discovery order.
#[rustfmt::skip]
pub static RESOURCES: &[ResourceInfo] = &[
    // core/v1
    r("", "v1", "bindings", "binding", "Binding", true, NONE, NONE, CREATE, &[]),
    r("", "v1", "configmaps", "configmap", "ConfigMap", true, &["cm"], NONE, ALL_VERBS, &[]),
    r("", "v1", "endpoints", "endpoints", "Endpoints", true, &["ep"], NONE, ALL_VERBS, &[]),
    r("", "v1", "events", "event", "Event", true, &["ev"], NONE, ALL_VERBS, &[]),
    r("", "v1", "limitranges", "limitrange", "LimitRange", true, &["limits"], NONE, ALL_VERBS, &[]),
    r("", "v1", "namespaces", "namespace", "Namespace", false, &["ns"], NONE,
      &["create", "delete", "get", "list", "patch", "update", "watch"],
      &[sub("finalize", "", "", "", &["update"]), status()]),
    r("", "v1", "nodes", "node", "Node", false, &["no"], NONE, ALL_VERBS,
      &[sub("proxy", "", "", "NodeProxyOptions", &["create", "delete", "get", "patch", "update"]), status()]),
    r("", "v1", "persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim", true, &["pvc"], NONE, ALL_VERBS, &[status()]),
    r("", "v1", "persistentvolumes", "persistentvolume", "PersistentVolume", false, &["pv"], NONE, ALL_VERBS, &[status()]),
    r("", "v1", "pods", "pod", "Pod", true, &["po"], ALL, ALL_VERBS, &[
        sub("attach", "", "", "PodAttachOptions", &["create", "get"]),
        sub("binding", "", "", "Binding", CREATE),
        sub("ephemeralcontainers", "", "", "", GET_PATCH_UPDATE),
        sub("eviction", "policy", "v1", "Eviction", CREATE),
        sub("exec", "", "", "PodExecOptions", &["create", "get"]),
        sub("log", "", "", "", &["get"]),
        sub("portforward", "", "", "PodPortForwardOptions", &["create", "get"]),
        sub("proxy", "", "", "PodProxyOptions", &["create", "delete", "get", "patch", "update"]),
        status(),
    ]),
    r("", "v1", "podtemplates", "podtemplate", "PodTemplate", true, NONE, NONE, ALL_VERBS, &[]),
    r("", "v1", "replicationcontrollers", "replicationcontroller", "ReplicationController", true, &["rc"], ALL, ALL_VERBS, &[scale(), status()]),
    r("", "v1", "resourcequotas", "resourcequota", "ResourceQuota", true, &["quota"], NONE, ALL_VERBS, &[status()]),
    r("", "v1", "secrets", "secret", "Secret", true, NONE, NONE, ALL_VERBS, &[]),
    r("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", true, &["sa"], NONE, ALL_VERBS,
      &[sub("token", "authentication.k8s.io", "v1", "TokenRequest", CREATE)]),
    r("", "v1", "services", "service", "Service", true, &["svc"], ALL,
      &["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
      &[sub("proxy", "", "", "ServiceProxyOptions", &["create", "delete", "get", "patch", "update"]), status()]),
    // apps/v1
    r("apps", "v1", "controllerrevisions", "controllerrevision", "ControllerRevision", true, NONE, NONE, ALL_VERBS, &[]),
    r("apps", "v1", "daemonsets", "daemonset", "DaemonSet", true, &["ds"], ALL, ALL_VERBS, &[status()]),
    r("apps", "v1", "deployments", "deployment", "Deployment", true, &["deploy"], ALL, ALL_VERBS, &[scale(), status()]),
    r("apps", "v1", "replicasets", "replicaset", "ReplicaSet", true, &["rs"], ALL, ALL_VERBS, &[scale(), status()]),
    r("apps", "v1", "statefulsets", "statefulset", "StatefulSet", true, &["sts"], ALL, ALL_VERBS, &[scale(), status()]),
    // events.k8s.io/v1
    r("events.k8s.io", "v1", "events", "event", "Event", true, &["ev"], NONE, ALL_VERBS, &[]),
    // authentication.k8s.io/v1
    r("authentication.k8s.io", "v1", "selfsubjectreviews", "selfsubjectreview", "SelfSubjectReview", false, NONE, NONE, CREATE, &[]),
    r("authentication.k8s.io", "v1", "tokenreviews", "tokenreview", "TokenReview", false, NONE, NONE, CREATE, &[]),
    // authorization.k8s.io/v1
    r("authorization.k8s.io", "v1", "localsubjectaccessreviews", "localsubjectaccessreview", "LocalSubjectAccessReview", true, NONE, NONE, CREATE, &[]),
    r("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "selfsubjectaccessreview", "SelfSubjectAccessReview", false, NONE, NONE, CREATE, &[]),
    r("authorization.k8s.io", "v1", "selfsubjectrulesreviews", "selfsubjectrulesreview", "SelfSubjectRulesReview", false, NONE, NONE, CREATE, &[]),
    r("authorization.k8s.io", "v1", "subjectaccessreviews", "subjectaccessreview", "SubjectAccessReview", false, NONE, NONE, CREATE, &[]),
    // autoscaling/v2
    r("autoscaling", "v2", "horizontalpodautoscalers", "horizontalpodautoscaler", "HorizontalPodAutoscaler", true, &["hpa"], ALL, ALL_VERBS, &[status()]),
    // batch/v1
    r("batch", "v1", "cronjobs", "cronjob", "CronJob", true, &["cj"], ALL, ALL_VERBS, &[status()]),
    r("batch", "v1", "jobs", "job", "Job", true, NONE, ALL, ALL_VERBS, &[status()]),
    // certificates.k8s.io/v1
    r("certificates.k8s.io", "v1", "certificatesigningrequests", "certificatesigningrequest", "CertificateSigningRequest", false, &["csr"], NONE, ALL_VERBS,
      &[sub("approval", "", "", "", GET_PATCH_UPDATE), status()]),
    // networking.k8s.io/v1
    r("networking.k8s.io", "v1", "ingressclasses", "ingressclass", "IngressClass", false, NONE, NONE, ALL_VERBS, &[]),
    r("networking.k8s.io", "v1", "ingresses", "ingress", "Ingress", true, &["ing"], NONE, ALL_VERBS, &[status()]),
    r("networking.k8s.io", "v1", "networkpolicies", "networkpolicy", "NetworkPolicy", true, &["netpol"], NONE, ALL_VERBS, &[]),
    // policy/v1
    r("policy", "v1", "poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget", true, &["pdb"], NONE, ALL_VERBS, &[status()]),
    // rbac.authorization.k8s.io/v1
    r("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", false, NONE, NONE, ALL_VERBS, &[]),
    r("rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", "ClusterRole", false, NONE, NONE, ALL_VERBS, &[]),
    r("rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding", "RoleBinding", true, NONE, NONE, ALL_VERBS, &[]),
    r("rbac.authorization.k8s.io", "v1", "roles", "role", "Role", true, NONE, NONE, ALL_VERBS, &[]),
    // storage.k8s.io/v1
    r("storage.k8s.io", "v1", "storageclasses", "storageclass", "StorageClass", false, &["sc"], NONE, ALL_VERBS, &[]),
    // scheduling.k8s.io/v1
    r("scheduling.k8s.io", "v1", "priorityclasses", "priorityclass", "PriorityClass", false, &["pc"], NONE, ALL_VERBS, &[]),
    // coordination.k8s.io/v1
    r("coordination.k8s.io", "v1", "leases", "lease", "Lease", true, NONE, NONE, ALL_VERBS, &[]),
    // discovery.k8s.io/v1
    r("discovery.k8s.io", "v1", "endpointslices", "endpointslice", "EndpointSlice", true, NONE, NONE, ALL_VERBS, &[]),
];

impl ResourceInfo {
    /// `group/version`, or `version` for the core group: the objects' `apiVersion`.
    pub fn api_version(&self) -> String {
        api_version(self.group, self.version)
    }

    /// Whether objects of this resource are stored (false for virtual, create-only
    /// resources such as `bindings` or `selfsubjectaccessreviews`).
    pub fn is_stored(&self) -> bool {
        self.verbs.contains(&"get")
    }

    /// The subresource named `name`, if any.
    pub fn subresource(&self, name: &str) -> Option<&'static Subresource> {
        self.subresources.iter().find(|s| s.name == name)
    }

    /// The OpenAPI definition name of the kind, as upstream names it
    /// (`io.k8s.api.apps.v1.Deployment`).
    pub fn definition_name(&self) -> String {
        definition_name(self.group, self.version, self.kind)
    }
}

/// `group/version`, or `version` for the core group.
pub fn api_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

/// The OpenAPI definition name of a kind in `io.k8s.api.<group>.<version>.<Kind>` form.
pub fn definition_name(group: &str, version: &str, kind: &str) -> String {
    let short = if group.is_empty() {
        "core"
    } else {
        group.split('.').next().unwrap_or(group)
    };
    format!("io.k8s.api.{short}.{version}.{kind}")
}

/// The API groups berth serves, in discovery order, with their one version.
pub fn groups() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for r in RESOURCES {
        if !out.iter().any(|(g, _)| *g == r.group) {
            out.push((r.group, r.version));
        }
    }
    out
}

/// Resources of one group/version, in discovery order.
pub fn resources_of<'a>(
    group: &'a str,
    version: &'a str,
) -> impl Iterator<Item = &'static ResourceInfo> + 'a {
    RESOURCES
        .iter()
        .filter(move |r| r.group == group && r.version == version)
}

/// Looks a resource up by group, version and plural name.
pub fn find(group: &str, version: &str, resource: &str) -> Option<&'static ResourceInfo> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.version == version && r.resource == resource)
}

/// Looks a resource up by group and kind (any version).
pub fn find_kind(group: &str, kind: &str) -> Option<&'static ResourceInfo> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.kind == kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definition_names_follow_upstream() {
        let d = find("apps", "v1", "deployments").map(|r| r.definition_name());
        assert_eq!(d.as_deref(), Some("io.k8s.api.apps.v1.Deployment"));
        let p = find("", "v1", "pods").map(|r| r.definition_name());
        assert_eq!(p.as_deref(), Some("io.k8s.api.core.v1.Pod"));
        let c =
            find("rbac.authorization.k8s.io", "v1", "clusterroles").map(|r| r.definition_name());
        assert_eq!(c.as_deref(), Some("io.k8s.api.rbac.v1.ClusterRole"));
    }

    #[test]
    fn one_version_per_group_and_unique_resources() {
        for (i, a) in RESOURCES.iter().enumerate() {
            for b in &RESOURCES[i + 1..] {
                assert!(
                    !(a.group == b.group && a.resource == b.resource),
                    "{} twice",
                    a.resource
                );
                if a.group == b.group {
                    assert_eq!(a.version, b.version);
                }
            }
        }
    }
}
