//! Defaults for the smaller kinds: Namespace, Secret, volumes and claims, RBAC bindings,
//! networking, discovery, scheduling, storage and autoscaling.

use serde_json::{json, Value};

use super::{
    child, child_or_insert, default_str, default_value, each, is_empty_collection, is_empty_str,
    is_unset, Obj,
};

/// `SetDefaults_Namespace` and `SetDefaults_NamespaceStatus`, plus the `kubernetes`
/// finalizer that the namespace strategy adds on create.
///
/// The finalizer is only added when the object carries no `resourceVersion`, i.e. on a
/// create: after creation upstream lets it be removed and never re-adds it.
pub(super) fn namespace(o: &mut Obj) {
    let name = o
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let is_create = o
        .get("metadata")
        .and_then(|m| m.get("resourceVersion"))
        .and_then(Value::as_str)
        .is_none_or(str::is_empty);
    if !name.is_empty() {
        if let Some(labels) =
            child_or_insert(o, "metadata").and_then(|m| child_or_insert(m, "labels"))
        {
            labels.insert("kubernetes.io/metadata.name".into(), json!(name));
        }
    }
    if is_create {
        if let Some(spec) = child_or_insert(o, "spec") {
            let finalizers = spec
                .entry("finalizers")
                .or_insert_with(|| Value::Array(Vec::new()));
            if finalizers.is_null() {
                *finalizers = Value::Array(Vec::new());
            }
            if let Some(list) = finalizers.as_array_mut() {
                if !list.iter().any(|f| f == "kubernetes") {
                    list.push(json!("kubernetes"));
                }
            }
        }
    }
    if let Some(status) = child_or_insert(o, "status") {
        default_str(status, "phase", "Active");
    }
}

/// `SetDefaults_Secret`, plus the v1→internal conversion that folds `stringData` into
/// `data` (base64) and drops it, which is what a client reads back.
pub(super) fn secret(o: &mut Obj) {
    default_str(o, "type", "Opaque");
    let string_data = o.remove("stringData");
    if let Some(Value::Object(sd)) = string_data {
        if sd.is_empty() {
            return;
        }
        if let Some(data) = child_or_insert(o, "data") {
            for (k, v) in sd {
                let text = v.as_str().unwrap_or_default();
                data.insert(k, Value::String(base64_encode(text.as_bytes())));
            }
        }
    }
}

/// Standard base64 with padding, as Go's `[]byte` JSON encoding produces.
fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `SetDefaults_Endpoints`: port protocol TCP.
pub(super) fn endpoints(o: &mut Obj) {
    for subset in each(o, "subsets") {
        for p in each(subset, "ports") {
            default_str(p, "protocol", "TCP");
        }
    }
}

/// `SetDefaults_PersistentVolume`.
pub(super) fn persistent_volume(o: &mut Obj) {
    if let Some(status) = child_or_insert(o, "status") {
        default_str(status, "phase", "Pending");
    }
    if let Some(spec) = child(o, "spec") {
        default_str(spec, "persistentVolumeReclaimPolicy", "Retain");
        default_value(spec, "volumeMode", json!("Filesystem"));
        if let Some(host_path) = child(spec, "hostPath") {
            default_value(host_path, "type", json!(""));
        }
    }
}

/// `SetDefaults_PersistentVolumeClaim` and `SetDefaults_PersistentVolumeClaimSpec`.
pub(super) fn persistent_volume_claim(o: &mut Obj) {
    if let Some(spec) = child(o, "spec") {
        default_value(spec, "volumeMode", json!("Filesystem"));
    }
    if let Some(status) = child_or_insert(o, "status") {
        default_str(status, "phase", "Pending");
    }
}

/// `SetDefaults_LimitRangeItem`: for Container limits, default ← max, defaultRequest ←
/// default, then defaultRequest ← min.
pub(super) fn limit_range(o: &mut Obj) {
    let Some(spec) = child(o, "spec") else {
        return;
    };
    for item in each(spec, "limits") {
        if item.get("type").and_then(Value::as_str) != Some("Container") {
            continue;
        }
        let max = item.get("max").and_then(Value::as_object).cloned();
        let min = item.get("min").and_then(Value::as_object).cloned();
        if let Some(default) = child_or_insert(item, "default") {
            for (k, v) in max.into_iter().flatten() {
                default.entry(k).or_insert(v);
            }
        }
        let default = item.get("default").and_then(Value::as_object).cloned();
        if let Some(request) = child_or_insert(item, "defaultRequest") {
            for (k, v) in default
                .into_iter()
                .flatten()
                .chain(min.into_iter().flatten())
            {
                request.entry(k).or_insert(v);
            }
        }
    }
}

/// `SetDefaults_NodeStatus`: allocatable defaults to capacity.
pub(super) fn node(o: &mut Obj) {
    if let Some(status) = child(o, "status") {
        if is_unset(status.get("allocatable")) {
            if let Some(capacity) = status.get("capacity").filter(|c| c.is_object()).cloned() {
                status.insert("allocatable".into(), capacity);
            }
        }
    }
}

/// autoscaling/v1 `SetDefaults_HorizontalPodAutoscaler`: minReplicas 1.
pub(super) fn horizontal_pod_autoscaler_v1(o: &mut Obj) {
    if let Some(spec) = child(o, "spec") {
        default_value(spec, "minReplicas", json!(1));
    }
}

/// autoscaling/v2 `SetDefaults_HorizontalPodAutoscaler`: minReplicas 1, a CPU 80%
/// metric when none is given, and the scale-up/down rules when `behavior` is set.
pub(super) fn horizontal_pod_autoscaler_v2(o: &mut Obj) {
    let Some(spec) = child(o, "spec") else {
        return;
    };
    default_value(spec, "minReplicas", json!(1));
    if is_empty_collection(spec.get("metrics")) {
        spec.insert(
            "metrics".into(),
            json!([{"type": "Resource", "resource": {"name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": 80}}}]),
        );
    }
    if let Some(behavior) = child(spec, "behavior") {
        scaling_rules(
            behavior,
            "scaleUp",
            0,
            json!([{"type": "Pods", "value": 4, "periodSeconds": 15},
                   {"type": "Percent", "value": 100, "periodSeconds": 15}]),
        );
        scaling_rules(
            behavior,
            "scaleDown",
            300,
            json!([{"type": "Percent", "value": 100, "periodSeconds": 15}]),
        );
    }
}

fn scaling_rules(behavior: &mut Obj, key: &str, window: i64, policies: Value) {
    if let Some(rules) = child_or_insert(behavior, key) {
        default_value(rules, "stabilizationWindowSeconds", json!(window));
        default_value(rules, "selectPolicy", json!("Max"));
        if is_empty_collection(rules.get("policies")) {
            rules.insert("policies".into(), policies);
        }
    }
}

/// `SetDefaults_RoleBinding` / `SetDefaults_ClusterRoleBinding` and `SetDefaults_Subject`.
pub(super) fn role_binding(o: &mut Obj) {
    if let Some(role_ref) = child(o, "roleRef") {
        default_str(role_ref, "apiGroup", "rbac.authorization.k8s.io");
    }
    for subject in each(o, "subjects") {
        if is_empty_str(subject.get("apiGroup")) {
            match subject.get("kind").and_then(Value::as_str) {
                Some("ServiceAccount") => {
                    subject.insert("apiGroup".into(), json!(""));
                }
                Some("User" | "Group") => {
                    subject.insert("apiGroup".into(), json!("rbac.authorization.k8s.io"));
                }
                _ => {}
            }
        }
    }
}

/// `SetDefaults_NetworkPolicy` and `SetDefaults_NetworkPolicyPort`.
pub(super) fn network_policy(o: &mut Obj) {
    let Some(spec) = child(o, "spec") else {
        return;
    };
    for direction in ["ingress", "egress"] {
        for rule in each(spec, direction) {
            for p in each(rule, "ports") {
                default_value(p, "protocol", json!("TCP"));
            }
        }
    }
    if is_empty_collection(spec.get("policyTypes")) {
        let mut types = vec![json!("Ingress")];
        if !is_empty_collection(spec.get("egress")) {
            types.push(json!("Egress"));
        }
        spec.insert("policyTypes".into(), Value::Array(types));
    }
}

/// `SetDefaults_IngressClass`: parameters scope Cluster.
pub(super) fn ingress_class(o: &mut Obj) {
    if let Some(params) = child(o, "spec").and_then(|s| child(s, "parameters")) {
        default_value(params, "scope", json!("Cluster"));
    }
}

/// `SetDefaults_EndpointPort` (discovery/v1): name "" and protocol TCP.
pub(super) fn endpoint_slice(o: &mut Obj) {
    for p in each(o, "ports") {
        default_value(p, "name", json!(""));
        default_value(p, "protocol", json!("TCP"));
    }
}

/// `SetDefaults_PriorityClass`: preemptionPolicy PreemptLowerPriority.
pub(super) fn priority_class(o: &mut Obj) {
    default_value(o, "preemptionPolicy", json!("PreemptLowerPriority"));
}

/// `SetDefaults_StorageClass`: reclaimPolicy Delete, volumeBindingMode Immediate.
pub(super) fn storage_class(o: &mut Obj) {
    default_value(o, "reclaimPolicy", json!("Delete"));
    default_value(o, "volumeBindingMode", json!("Immediate"));
}

#[cfg(test)]
mod tests {
    use super::super::apply_defaults;
    use super::base64_encode;
    use serde_json::json;

    #[test]
    fn namespace_on_create() {
        let mut ns = json!({"metadata": {"name": "dev"}});
        apply_defaults("", "v1", "Namespace", &mut ns);
        assert_eq!(
            ns,
            json!({"metadata": {"name": "dev", "labels": {"kubernetes.io/metadata.name": "dev"}},
                   "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
        );
    }

    #[test]
    fn namespace_on_update_keeps_finalizers_and_phase() {
        let mut ns = json!({"metadata": {"name": "dev", "resourceVersion": "5",
            "labels": {"kubernetes.io/metadata.name": "other", "team": "a"}},
            "spec": {}, "status": {"phase": "Terminating"}});
        apply_defaults("", "v1", "Namespace", &mut ns);
        assert_eq!(
            ns["metadata"]["labels"]["kubernetes.io/metadata.name"],
            "dev"
        );
        assert_eq!(ns["metadata"]["labels"]["team"], "a");
        assert_eq!(ns["spec"], json!({}));
        assert_eq!(ns["status"]["phase"], "Terminating");
    }

    #[test]
    fn secret_type_and_string_data() {
        let mut s = json!({"metadata": {"name": "s"}, "data": {"a": "eA=="},
            "stringData": {"b": "hello", "a": "yz"}});
        apply_defaults("", "v1", "Secret", &mut s);
        assert_eq!(s["type"], "Opaque");
        assert!(s.get("stringData").is_none());
        assert_eq!(s["data"], json!({"a": "eXo=", "b": "aGVsbG8="}));
        let mut tls = json!({"type": "kubernetes.io/tls"});
        apply_defaults("", "v1", "Secret", &mut tls);
        assert_eq!(tls["type"], "kubernetes.io/tls");
    }

    #[test]
    fn base64() {
        assert_eq!(base64_encode(b""), "");
        assert_eq!(base64_encode(b"f"), "Zg==");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert_eq!(base64_encode(b"foo"), "Zm9v");
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn endpoints_and_slices() {
        let mut ep =
            json!({"subsets": [{"ports": [{"port": 80}, {"port": 53, "protocol": "UDP"}]}]});
        apply_defaults("", "v1", "Endpoints", &mut ep);
        assert_eq!(ep["subsets"][0]["ports"][0]["protocol"], "TCP");
        assert_eq!(ep["subsets"][0]["ports"][1]["protocol"], "UDP");
        let mut es = json!({"addressType": "IPv4", "ports": [{"port": 80}]});
        apply_defaults("discovery.k8s.io", "v1", "EndpointSlice", &mut es);
        assert_eq!(
            es["ports"][0],
            json!({"port": 80, "name": "", "protocol": "TCP"})
        );
    }

    #[test]
    fn volumes_and_claims() {
        let mut pv = json!({"spec": {"hostPath": {"path": "/d"}, "capacity": {"storage": "1Gi"}}});
        apply_defaults("", "v1", "PersistentVolume", &mut pv);
        assert_eq!(pv["spec"]["persistentVolumeReclaimPolicy"], "Retain");
        assert_eq!(pv["spec"]["volumeMode"], "Filesystem");
        assert_eq!(pv["spec"]["hostPath"]["type"], "");
        assert_eq!(pv["status"]["phase"], "Pending");
        let mut pvc = json!({"spec": {"accessModes": ["ReadWriteOnce"]}});
        apply_defaults("", "v1", "PersistentVolumeClaim", &mut pvc);
        assert_eq!(pvc["spec"]["volumeMode"], "Filesystem");
        assert_eq!(pvc["status"]["phase"], "Pending");
    }

    #[test]
    fn limit_range() {
        let mut lr = json!({"spec": {"limits": [{"type": "Container",
            "max": {"cpu": "2"}, "min": {"memory": "64Mi"}, "default": {"memory": "256Mi"}},
            {"type": "Pod", "max": {"cpu": "4"}}]}});
        apply_defaults("", "v1", "LimitRange", &mut lr);
        let c = &lr["spec"]["limits"][0];
        assert_eq!(c["default"], json!({"memory": "256Mi", "cpu": "2"}));
        assert_eq!(c["defaultRequest"], json!({"memory": "256Mi", "cpu": "2"}));
        assert!(lr["spec"]["limits"][1].get("default").is_none());
    }

    #[test]
    fn node_allocatable() {
        let mut n = json!({"status": {"capacity": {"cpu": "2", "pods": "110"}}});
        apply_defaults("", "v1", "Node", &mut n);
        assert_eq!(
            n["status"]["allocatable"],
            json!({"cpu": "2", "pods": "110"})
        );
        let mut bare = json!({"metadata": {"name": "n"}});
        apply_defaults("", "v1", "Node", &mut bare);
        assert_eq!(bare, json!({"metadata": {"name": "n"}}));
    }

    #[test]
    fn hpa() {
        let mut v1 = json!({"spec": {"maxReplicas": 5}});
        apply_defaults("autoscaling", "v1", "HorizontalPodAutoscaler", &mut v1);
        assert_eq!(v1["spec"], json!({"maxReplicas": 5, "minReplicas": 1}));
        let mut v2 =
            json!({"spec": {"maxReplicas": 5, "behavior": {"scaleDown": {"selectPolicy": "Min"}}}});
        apply_defaults("autoscaling", "v2", "HorizontalPodAutoscaler", &mut v2);
        let s = &v2["spec"];
        assert_eq!(s["minReplicas"], 1);
        assert_eq!(
            s["metrics"][0]["resource"]["target"]["averageUtilization"],
            80
        );
        assert_eq!(s["behavior"]["scaleDown"]["selectPolicy"], "Min");
        assert_eq!(
            s["behavior"]["scaleDown"]["stabilizationWindowSeconds"],
            300
        );
        assert_eq!(s["behavior"]["scaleUp"]["stabilizationWindowSeconds"], 0);
        assert_eq!(s["behavior"]["scaleUp"]["policies"][0]["type"], "Pods");
    }

    #[test]
    fn rbac_bindings() {
        let mut rb = json!({"roleRef": {"kind": "Role", "name": "r"}, "subjects": [
            {"kind": "ServiceAccount", "name": "default", "namespace": "x"},
            {"kind": "User", "name": "jane"}, {"kind": "Group", "name": "devs"}]});
        apply_defaults("rbac.authorization.k8s.io", "v1", "RoleBinding", &mut rb);
        assert_eq!(rb["roleRef"]["apiGroup"], "rbac.authorization.k8s.io");
        assert_eq!(rb["subjects"][0]["apiGroup"], "");
        assert_eq!(rb["subjects"][1]["apiGroup"], "rbac.authorization.k8s.io");
        assert_eq!(rb["subjects"][2]["apiGroup"], "rbac.authorization.k8s.io");
        let mut crb = json!({"roleRef": {"kind": "ClusterRole", "name": "view"}});
        apply_defaults(
            "rbac.authorization.k8s.io",
            "v1",
            "ClusterRoleBinding",
            &mut crb,
        );
        assert_eq!(crb["roleRef"]["apiGroup"], "rbac.authorization.k8s.io");
    }

    #[test]
    fn network_policy_and_ingress_class() {
        let mut np = json!({"spec": {"podSelector": {}, "ingress": [{"ports": [{"port": 80}]}],
            "egress": [{}]}});
        apply_defaults("networking.k8s.io", "v1", "NetworkPolicy", &mut np);
        assert_eq!(np["spec"]["policyTypes"], json!(["Ingress", "Egress"]));
        assert_eq!(np["spec"]["ingress"][0]["ports"][0]["protocol"], "TCP");
        let mut only_ingress = json!({"spec": {"podSelector": {}}});
        apply_defaults(
            "networking.k8s.io",
            "v1",
            "NetworkPolicy",
            &mut only_ingress,
        );
        assert_eq!(only_ingress["spec"]["policyTypes"], json!(["Ingress"]));
        let mut ic = json!({"spec": {"parameters": {"kind": "K", "name": "n"}}});
        apply_defaults("networking.k8s.io", "v1", "IngressClass", &mut ic);
        assert_eq!(ic["spec"]["parameters"]["scope"], "Cluster");
    }

    #[test]
    fn priority_and_storage_classes() {
        let mut pc = json!({"value": 1000});
        apply_defaults("scheduling.k8s.io", "v1", "PriorityClass", &mut pc);
        assert_eq!(pc["preemptionPolicy"], "PreemptLowerPriority");
        let mut sc = json!({"provisioner": "x"});
        apply_defaults("storage.k8s.io", "v1", "StorageClass", &mut sc);
        assert_eq!(sc["reclaimPolicy"], "Delete");
        assert_eq!(sc["volumeBindingMode"], "Immediate");
    }
}
