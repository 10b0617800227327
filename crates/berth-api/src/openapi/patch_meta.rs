//! Patch and list metadata of the upstream API types: the one table that OpenAPI and strategic merge patch read.
//!
//! k8s-openapi does not carry the Go struct tags (`patchStrategy`, `patchMergeKey`) nor the
//! `+listType`/`+listMapKey`/`+mapType`/`+structType` markers, so they are kept here, taken from
//! the `types.go` files of k8s.io/api and k8s.io/apimachinery v0.33 (Kubernetes 1.33). Fields of
//! inlined structs (`Volume` ← `VolumeSource`, `EphemeralContainer` ← `EphemeralContainerCommon`)
//! are listed under the definition that inlines them.

/// Patch and merge metadata of one field of a definition, or of the whole definition when
/// `field` is empty (`+structType=atomic` becomes `x-kubernetes-map-type: atomic`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldMeta {
    /// OpenAPI definition name (`io.k8s.api.core.v1.PodSpec`).
    pub definition: &'static str,
    /// JSON field name (`containers`), or `""` for the definition itself.
    pub field: &'static str,
    /// `x-kubernetes-patch-strategy`: `merge`, `retainKeys`, `merge,retainKeys` or `replace`.
    pub patch_strategy: Option<&'static str>,
    /// `x-kubernetes-patch-merge-key`.
    pub patch_merge_key: Option<&'static str>,
    /// `x-kubernetes-list-type`: `atomic`, `set` or `map`.
    pub list_type: Option<&'static str>,
    /// `x-kubernetes-list-map-keys`.
    pub list_map_keys: &'static [&'static str],
    /// `x-kubernetes-map-type`: `atomic` or `granular`.
    pub map_type: Option<&'static str>,
}

const fn fm(
    definition: &'static str,
    field: &'static str,
    patch_strategy: Option<&'static str>,
    patch_merge_key: Option<&'static str>,
    list_type: Option<&'static str>,
    list_map_keys: &'static [&'static str],
    map_type: Option<&'static str>,
) -> FieldMeta {
    FieldMeta {
        definition,
        field,
        patch_strategy,
        patch_merge_key,
        list_type,
        list_map_keys,
        map_type,
    }
}

/// Every field with patch or list metadata, sorted by definition then field.
#[rustfmt::skip]
pub static FIELDS: &[FieldMeta] = &[
    fm("io.k8s.api.apps.v1.DaemonSetStatus", "conditions", Some("merge"), Some("type"), Some("map"), &["type"], None),
    fm("io.k8s.api.apps.v1.DeploymentSpec", "strategy", Some("retainKeys"), None, None, &[], None),
    fm("io.k8s.api.apps.v1.DeploymentStatus", "conditions", Some("merge"), Some("type"), Some("map"), &["type"], None),
    fm("io.k8s.api.apps.v1.ReplicaSetStatus", "conditions", Some("merge"), Some("type"), Some("map"), &["type"], None),
    fm("io.k8s.api.apps.v1.StatefulSetSpec", "volumeClaimTemplates", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.apps.v1.StatefulSetStatus", "conditions", Some("merge"), Some("type"), Some("map"), &["type"], None),
    fm("io.k8s.api.authentication.v1.TokenRequestSpec", "audiences", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.authentication.v1.TokenReviewSpec", "audiences", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.authentication.v1.TokenReviewStatus", "audiences", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.authentication.v1.UserInfo", "groups", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.authorization.v1.FieldSelectorAttributes", "requirements", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.authorization.v1.LabelSelectorAttributes", "requirements", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.authorization.v1.NonResourceRule", "nonResourceURLs", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.authorization.v1.NonResourceRule", "verbs", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.authorization.v1.ResourceRule", "apiGroups", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.authorization.v1.ResourceRule", "resourceNames", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.authorization.v1.ResourceRule", "resources", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.authorization.v1.ResourceRule", "verbs", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.authorization.v1.SubjectAccessReviewSpec", "groups", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.authorization.v1.SubjectRulesReviewStatus", "nonResourceRules", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.authorization.v1.SubjectRulesReviewStatus", "resourceRules", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.autoscaling.v1.CrossVersionObjectReference", "", None, None, None, &[], Some("atomic")),
    fm("io.k8s.api.autoscaling.v2.HPAScalingRules", "policies", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerSpec", "metrics", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus", "conditions", Some("merge"), Some("type"), Some("map"), &["type"], None),
    fm("io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus", "currentMetrics", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.batch.v1.CronJobStatus", "active", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.batch.v1.JobStatus", "conditions", Some("merge"), Some("type"), Some("atomic"), &[], None),
    fm("io.k8s.api.batch.v1.PodFailurePolicy", "rules", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.batch.v1.PodFailurePolicyOnExitCodesRequirement", "values", None, None, Some("set"), &[], None),
    fm("io.k8s.api.batch.v1.PodFailurePolicyRule", "onPodConditions", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.batch.v1.SuccessPolicy", "rules", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.batch.v1.UncountedTerminatedPods", "failed", None, None, Some("set"), &[], None),
    fm("io.k8s.api.batch.v1.UncountedTerminatedPods", "succeeded", None, None, Some("set"), &[], None),
    fm("io.k8s.api.certificates.v1.CertificateSigningRequestSpec", "groups", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.certificates.v1.CertificateSigningRequestSpec", "request", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.certificates.v1.CertificateSigningRequestSpec", "usages", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.certificates.v1.CertificateSigningRequestStatus", "certificate", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.certificates.v1.CertificateSigningRequestStatus", "conditions", None, None, Some("map"), &["type"], None),
    fm("io.k8s.api.core.v1.AvoidPods", "preferAvoidPods", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.Capabilities", "add", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.Capabilities", "drop", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.CephFSPersistentVolumeSource", "monitors", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.CephFSVolumeSource", "monitors", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.ComponentStatus", "conditions", Some("merge"), Some("type"), Some("map"), &["type"], None),
    fm("io.k8s.api.core.v1.ConfigMapKeySelector", "", None, None, None, &[], Some("atomic")),
    fm("io.k8s.api.core.v1.ConfigMapProjection", "items", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.ConfigMapVolumeSource", "items", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.Container", "args", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.Container", "command", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.Container", "env", Some("merge"), Some("name"), Some("map"), &["name"], None),
    fm("io.k8s.api.core.v1.Container", "envFrom", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.Container", "ports", Some("merge"), Some("containerPort"), Some("map"), &["containerPort", "protocol"], None),
    fm("io.k8s.api.core.v1.Container", "resizePolicy", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.Container", "volumeDevices", Some("merge"), Some("devicePath"), Some("map"), &["devicePath"], None),
    fm("io.k8s.api.core.v1.Container", "volumeMounts", Some("merge"), Some("mountPath"), Some("map"), &["mountPath"], None),
    fm("io.k8s.api.core.v1.ContainerImage", "names", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.ContainerStatus", "allocatedResourcesStatus", Some("merge"), Some("name"), Some("map"), &["name"], None),
    fm("io.k8s.api.core.v1.ContainerStatus", "volumeMounts", Some("merge"), Some("mountPath"), Some("map"), &["mountPath"], None),
    fm("io.k8s.api.core.v1.DownwardAPIProjection", "items", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.DownwardAPIVolumeSource", "items", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.EndpointAddress", "", None, None, None, &[], Some("atomic")),
    fm("io.k8s.api.core.v1.EndpointPort", "", None, None, None, &[], Some("atomic")),
    fm("io.k8s.api.core.v1.EndpointSubset", "addresses", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.EndpointSubset", "notReadyAddresses", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.EndpointSubset", "ports", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.Endpoints", "subsets", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.EphemeralContainer", "args", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.EphemeralContainer", "command", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.EphemeralContainer", "env", Some("merge"), Some("name"), Some("map"), &["name"], None),
    fm("io.k8s.api.core.v1.EphemeralContainer", "envFrom", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.EphemeralContainer", "ports", Some("merge"), Some("containerPort"), Some("map"), &["containerPort", "protocol"], None),
    fm("io.k8s.api.core.v1.EphemeralContainer", "resizePolicy", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.EphemeralContainer", "volumeDevices", Some("merge"), Some("devicePath"), Some("map"), &["devicePath"], None),
    fm("io.k8s.api.core.v1.EphemeralContainer", "volumeMounts", Some("merge"), Some("mountPath"), Some("map"), &["mountPath"], None),
    fm("io.k8s.api.core.v1.EphemeralContainerCommon", "args", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.EphemeralContainerCommon", "command", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.EphemeralContainerCommon", "env", Some("merge"), Some("name"), Some("map"), &["name"], None),
    fm("io.k8s.api.core.v1.EphemeralContainerCommon", "envFrom", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.EphemeralContainerCommon", "ports", Some("merge"), Some("containerPort"), Some("map"), &["containerPort", "protocol"], None),
    fm("io.k8s.api.core.v1.EphemeralContainerCommon", "resizePolicy", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.EphemeralContainerCommon", "volumeDevices", Some("merge"), Some("devicePath"), Some("map"), &["devicePath"], None),
    fm("io.k8s.api.core.v1.EphemeralContainerCommon", "volumeMounts", Some("merge"), Some("mountPath"), Some("map"), &["mountPath"], None),
    fm("io.k8s.api.core.v1.ExecAction", "command", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.FCVolumeSource", "targetWWNs", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.FCVolumeSource", "wwids", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.HTTPGetAction", "httpHeaders", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.HostAlias", "hostnames", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.ISCSIPersistentVolumeSource", "portals", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.ISCSIVolumeSource", "portals", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.LimitRangeSpec", "limits", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.LinuxContainerUser", "supplementalGroups", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.LoadBalancerIngress", "ports", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.LoadBalancerStatus", "ingress", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.LocalObjectReference", "", None, None, None, &[], Some("atomic")),
    fm("io.k8s.api.core.v1.NamespaceSpec", "finalizers", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.NamespaceStatus", "conditions", Some("merge"), Some("type"), Some("map"), &["type"], None),
    fm("io.k8s.api.core.v1.NodeAffinity", "preferredDuringSchedulingIgnoredDuringExecution", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.NodeSelector", "", None, None, None, &[], Some("atomic")),
    fm("io.k8s.api.core.v1.NodeSelector", "nodeSelectorTerms", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.NodeSelectorRequirement", "values", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.NodeSelectorTerm", "", None, None, None, &[], Some("atomic")),
    fm("io.k8s.api.core.v1.NodeSelectorTerm", "matchExpressions", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.NodeSelectorTerm", "matchFields", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.NodeSpec", "podCIDRs", Some("merge"), None, Some("set"), &[], None),
    fm("io.k8s.api.core.v1.NodeSpec", "taints", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.NodeStatus", "addresses", Some("merge"), Some("type"), Some("map"), &["type"], None),
    fm("io.k8s.api.core.v1.NodeStatus", "conditions", Some("merge"), Some("type"), Some("map"), &["type"], None),
    fm("io.k8s.api.core.v1.NodeStatus", "images", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.NodeStatus", "runtimeHandlers", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.NodeStatus", "volumesAttached", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.NodeStatus", "volumesInUse", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.ObjectFieldSelector", "", None, None, None, &[], Some("atomic")),
    fm("io.k8s.api.core.v1.ObjectReference", "", None, None, None, &[], Some("atomic")),
    fm("io.k8s.api.core.v1.PersistentVolumeClaimSpec", "accessModes", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.PersistentVolumeClaimStatus", "accessModes", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.PersistentVolumeClaimStatus", "allocatedResourceStatuses", None, None, None, &[], Some("granular")),
    fm("io.k8s.api.core.v1.PersistentVolumeClaimStatus", "conditions", Some("merge"), Some("type"), Some("map"), &["type"], None),
    fm("io.k8s.api.core.v1.PersistentVolumeSpec", "accessModes", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.PersistentVolumeSpec", "claimRef", None, None, None, &[], Some("granular")),
    fm("io.k8s.api.core.v1.PersistentVolumeSpec", "mountOptions", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.PodAffinity", "preferredDuringSchedulingIgnoredDuringExecution", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.PodAffinity", "requiredDuringSchedulingIgnoredDuringExecution", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.PodAffinityTerm", "matchLabelKeys", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.PodAffinityTerm", "mismatchLabelKeys", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.PodAffinityTerm", "namespaces", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.PodAntiAffinity", "preferredDuringSchedulingIgnoredDuringExecution", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.PodAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.PodDNSConfig", "nameservers", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.PodDNSConfig", "options", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.PodDNSConfig", "searches", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.PodExecOptions", "command", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.PodPortForwardOptions", "ports", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.PodSecurityContext", "supplementalGroups", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.PodSecurityContext", "sysctls", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.PodSpec", "containers", Some("merge"), Some("name"), Some("map"), &["name"], None),
    fm("io.k8s.api.core.v1.PodSpec", "ephemeralContainers", Some("merge"), Some("name"), Some("map"), &["name"], None),
    fm("io.k8s.api.core.v1.PodSpec", "hostAliases", Some("merge"), Some("ip"), Some("map"), &["ip"], None),
    fm("io.k8s.api.core.v1.PodSpec", "imagePullSecrets", Some("merge"), Some("name"), Some("map"), &["name"], None),
    fm("io.k8s.api.core.v1.PodSpec", "initContainers", Some("merge"), Some("name"), Some("map"), &["name"], None),
    fm("io.k8s.api.core.v1.PodSpec", "nodeSelector", None, None, None, &[], Some("atomic")),
    fm("io.k8s.api.core.v1.PodSpec", "readinessGates", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.PodSpec", "resourceClaims", Some("merge,retainKeys"), Some("name"), Some("map"), &["name"], None),
    fm("io.k8s.api.core.v1.PodSpec", "schedulingGates", Some("merge"), Some("name"), Some("map"), &["name"], None),
    fm("io.k8s.api.core.v1.PodSpec", "tolerations", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.PodSpec", "topologySpreadConstraints", Some("merge"), Some("topologyKey"), Some("map"), &["topologyKey", "whenUnsatisfiable"], None),
    fm("io.k8s.api.core.v1.PodSpec", "volumes", Some("merge,retainKeys"), Some("name"), Some("map"), &["name"], None),
    fm("io.k8s.api.core.v1.PodStatus", "conditions", Some("merge"), Some("type"), Some("map"), &["type"], None),
    fm("io.k8s.api.core.v1.PodStatus", "containerStatuses", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.PodStatus", "ephemeralContainerStatuses", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.PodStatus", "hostIPs", Some("merge"), Some("ip"), Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.PodStatus", "initContainerStatuses", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.PodStatus", "podIPs", Some("merge"), Some("ip"), Some("map"), &["ip"], None),
    fm("io.k8s.api.core.v1.PodStatus", "resourceClaimStatuses", Some("merge,retainKeys"), Some("name"), Some("map"), &["name"], None),
    fm("io.k8s.api.core.v1.ProjectedVolumeSource", "sources", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.RBDPersistentVolumeSource", "monitors", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.RBDVolumeSource", "monitors", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.ReplicationControllerSpec", "selector", None, None, None, &[], Some("atomic")),
    fm("io.k8s.api.core.v1.ReplicationControllerStatus", "conditions", Some("merge"), Some("type"), Some("map"), &["type"], None),
    fm("io.k8s.api.core.v1.ResourceFieldSelector", "", None, None, None, &[], Some("atomic")),
    fm("io.k8s.api.core.v1.ResourceQuotaSpec", "scopes", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.ResourceRequirements", "claims", None, None, Some("map"), &["name"], None),
    fm("io.k8s.api.core.v1.ResourceStatus", "resources", None, None, Some("map"), &["resourceID"], None),
    fm("io.k8s.api.core.v1.ScopeSelector", "", None, None, None, &[], Some("atomic")),
    fm("io.k8s.api.core.v1.ScopeSelector", "matchExpressions", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.ScopedResourceSelectorRequirement", "values", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.SecretKeySelector", "", None, None, None, &[], Some("atomic")),
    fm("io.k8s.api.core.v1.SecretProjection", "items", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.SecretReference", "", None, None, None, &[], Some("atomic")),
    fm("io.k8s.api.core.v1.SecretVolumeSource", "items", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.ServiceAccount", "imagePullSecrets", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.ServiceAccount", "secrets", Some("merge"), Some("name"), Some("map"), &["name"], None),
    fm("io.k8s.api.core.v1.ServiceSpec", "clusterIPs", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.ServiceSpec", "externalIPs", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.ServiceSpec", "ipFamilies", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.ServiceSpec", "loadBalancerSourceRanges", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.ServiceSpec", "ports", Some("merge"), Some("port"), Some("map"), &["port", "protocol"], None),
    fm("io.k8s.api.core.v1.ServiceSpec", "selector", None, None, None, &[], Some("atomic")),
    fm("io.k8s.api.core.v1.ServiceStatus", "conditions", Some("merge"), Some("type"), Some("map"), &["type"], None),
    fm("io.k8s.api.core.v1.TopologySelectorLabelRequirement", "values", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.TopologySelectorTerm", "", None, None, None, &[], Some("atomic")),
    fm("io.k8s.api.core.v1.TopologySelectorTerm", "matchLabelExpressions", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.TopologySpreadConstraint", "matchLabelKeys", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.core.v1.TypedLocalObjectReference", "", None, None, None, &[], Some("atomic")),
    fm("io.k8s.api.discovery.v1.Endpoint", "addresses", None, None, Some("set"), &[], None),
    fm("io.k8s.api.discovery.v1.EndpointHints", "forNodes", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.discovery.v1.EndpointHints", "forZones", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.discovery.v1.EndpointPort", "", None, None, None, &[], Some("atomic")),
    fm("io.k8s.api.discovery.v1.EndpointSlice", "endpoints", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.discovery.v1.EndpointSlice", "ports", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.networking.v1.HTTPIngressRuleValue", "paths", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.networking.v1.IPBlock", "except", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.networking.v1.IngressLoadBalancerIngress", "ports", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.networking.v1.IngressLoadBalancerStatus", "ingress", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.networking.v1.IngressSpec", "rules", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.networking.v1.IngressSpec", "tls", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.networking.v1.IngressTLS", "hosts", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.networking.v1.NetworkPolicyEgressRule", "ports", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.networking.v1.NetworkPolicyEgressRule", "to", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.networking.v1.NetworkPolicyIngressRule", "from", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.networking.v1.NetworkPolicyIngressRule", "ports", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.networking.v1.NetworkPolicySpec", "egress", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.networking.v1.NetworkPolicySpec", "ingress", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.networking.v1.NetworkPolicySpec", "policyTypes", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.networking.v1.ServiceBackendPort", "", None, None, None, &[], Some("atomic")),
    fm("io.k8s.api.networking.v1.ServiceCIDRSpec", "cidrs", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.networking.v1.ServiceCIDRStatus", "conditions", Some("merge"), Some("type"), Some("map"), &["type"], None),
    fm("io.k8s.api.policy.v1.PodDisruptionBudgetSpec", "selector", Some("replace"), None, None, &[], None),
    fm("io.k8s.api.policy.v1.PodDisruptionBudgetStatus", "conditions", Some("merge"), Some("type"), Some("map"), &["type"], None),
    fm("io.k8s.api.rbac.v1.AggregationRule", "clusterRoleSelectors", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.rbac.v1.ClusterRole", "rules", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.rbac.v1.ClusterRoleBinding", "subjects", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.rbac.v1.PolicyRule", "apiGroups", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.rbac.v1.PolicyRule", "nonResourceURLs", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.rbac.v1.PolicyRule", "resourceNames", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.rbac.v1.PolicyRule", "resources", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.rbac.v1.PolicyRule", "verbs", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.rbac.v1.Role", "rules", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.rbac.v1.RoleBinding", "subjects", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.rbac.v1.RoleRef", "", None, None, None, &[], Some("atomic")),
    fm("io.k8s.api.rbac.v1.Subject", "", None, None, None, &[], Some("atomic")),
    fm("io.k8s.api.storage.v1.CSIDriverSpec", "tokenRequests", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.storage.v1.CSIDriverSpec", "volumeLifecycleModes", None, None, Some("set"), &[], None),
    fm("io.k8s.api.storage.v1.CSINodeDriver", "topologyKeys", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.storage.v1.CSINodeSpec", "drivers", Some("merge"), Some("name"), Some("map"), &["name"], None),
    fm("io.k8s.api.storage.v1.StorageClass", "allowedTopologies", None, None, Some("atomic"), &[], None),
    fm("io.k8s.api.storage.v1.StorageClass", "mountOptions", None, None, Some("atomic"), &[], None),
    fm("io.k8s.apimachinery.pkg.apis.meta.v1.APIGroup", "serverAddressByClientCIDRs", None, None, Some("atomic"), &[], None),
    fm("io.k8s.apimachinery.pkg.apis.meta.v1.APIGroup", "versions", None, None, Some("atomic"), &[], None),
    fm("io.k8s.apimachinery.pkg.apis.meta.v1.APIGroupList", "groups", None, None, Some("atomic"), &[], None),
    fm("io.k8s.apimachinery.pkg.apis.meta.v1.APIResource", "categories", None, None, Some("atomic"), &[], None),
    fm("io.k8s.apimachinery.pkg.apis.meta.v1.APIResource", "shortNames", None, None, Some("atomic"), &[], None),
    fm("io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList", "resources", None, None, Some("atomic"), &[], None),
    fm("io.k8s.apimachinery.pkg.apis.meta.v1.APIVersions", "serverAddressByClientCIDRs", None, None, Some("atomic"), &[], None),
    fm("io.k8s.apimachinery.pkg.apis.meta.v1.APIVersions", "versions", None, None, Some("atomic"), &[], None),
    fm("io.k8s.apimachinery.pkg.apis.meta.v1.ApplyOptions", "dryRun", None, None, Some("atomic"), &[], None),
    fm("io.k8s.apimachinery.pkg.apis.meta.v1.CreateOptions", "dryRun", None, None, Some("atomic"), &[], None),
    fm("io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions", "dryRun", None, None, Some("atomic"), &[], None),
    fm("io.k8s.apimachinery.pkg.apis.meta.v1.FieldSelectorRequirement", "values", None, None, Some("atomic"), &[], None),
    fm("io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector", "", None, None, None, &[], Some("atomic")),
    fm("io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector", "matchExpressions", None, None, Some("atomic"), &[], None),
    fm("io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement", "values", None, None, Some("atomic"), &[], None),
    fm("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "finalizers", Some("merge"), None, Some("set"), &[], None),
    fm("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "managedFields", None, None, Some("atomic"), &[], None),
    fm("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "ownerReferences", Some("merge"), Some("uid"), Some("map"), &["uid"], None),
    fm("io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference", "", None, None, None, &[], Some("atomic")),
    fm("io.k8s.apimachinery.pkg.apis.meta.v1.PatchOptions", "dryRun", None, None, Some("atomic"), &[], None),
    fm("io.k8s.apimachinery.pkg.apis.meta.v1.RootPaths", "paths", None, None, Some("atomic"), &[], None),
    fm("io.k8s.apimachinery.pkg.apis.meta.v1.StatusDetails", "causes", None, None, Some("atomic"), &[], None),
    fm("io.k8s.apimachinery.pkg.apis.meta.v1.Table", "columnDefinitions", None, None, Some("atomic"), &[], None),
    fm("io.k8s.apimachinery.pkg.apis.meta.v1.Table", "rows", None, None, Some("atomic"), &[], None),
    fm("io.k8s.apimachinery.pkg.apis.meta.v1.TableRow", "cells", None, None, Some("atomic"), &[], None),
    fm("io.k8s.apimachinery.pkg.apis.meta.v1.TableRow", "conditions", None, None, Some("atomic"), &[], None),
    fm("io.k8s.apimachinery.pkg.apis.meta.v1.UpdateOptions", "dryRun", None, None, Some("atomic"), &[], None),
];

/// The metadata of `field` in `definition` (`""` for the definition itself), if it has any.
pub fn lookup(definition: &str, field: &str) -> Option<&'static FieldMeta> {
    FIELDS
        .binary_search_by(|m| (m.definition, m.field).cmp(&(definition, field)))
        .ok()
        .map(|i| &FIELDS[i])
}

/// All entries of one definition (field metadata and, first, the definition's own).
pub fn of_definition(definition: &str) -> &'static [FieldMeta] {
    let start = FIELDS.partition_point(|m| m.definition < definition);
    let end = FIELDS.partition_point(|m| m.definition <= definition);
    &FIELDS[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_for_binary_search() {
        for w in FIELDS.windows(2) {
            assert!(
                (w[0].definition, w[0].field) < (w[1].definition, w[1].field),
                "{} {} out of order",
                w[1].definition,
                w[1].field
            );
        }
    }

    #[test]
    fn well_known_entries() {
        let c = lookup("io.k8s.api.core.v1.PodSpec", "containers");
        assert_eq!(c.and_then(|m| m.patch_merge_key), Some("name"));
        let v = lookup("io.k8s.api.core.v1.PodSpec", "volumes");
        assert_eq!(v.and_then(|m| m.patch_strategy), Some("merge,retainKeys"));
        let s = lookup("io.k8s.api.apps.v1.DeploymentSpec", "strategy");
        assert_eq!(s.and_then(|m| m.patch_strategy), Some("retainKeys"));
        let p = lookup("io.k8s.api.core.v1.ServiceSpec", "ports");
        assert_eq!(p.map(|m| m.list_map_keys), Some(&["port", "protocol"][..]));
        let f = lookup(
            "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
            "finalizers",
        );
        assert_eq!(f.and_then(|m| m.patch_strategy), Some("merge"));
        assert!(lookup("io.k8s.api.core.v1.PodSpec", "nope").is_none());
        assert!(!of_definition("io.k8s.api.core.v1.Container").is_empty());
    }
}
