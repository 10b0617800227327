//! Server-side defaulting of API objects, following kube-apiserver v1.33 field by field.
//!
//! Upstream applies `SetDefaults_*` functions (pkg/apis/<group>/<version>/defaults.go)
//! and the generated `SetObjectDefaults_*` walkers that recurse into pod specs,
//! containers, volumes and probes. This module does the same on JSON values. A few
//! fields that upstream fills outside the defaulters but that `kubectl get -o yaml`
//! shows right after a create are filled here too; each says so where it is done.

mod other;
mod pod;
mod service;
mod workloads;

pub mod job_selector;
pub use job_selector::generate_job_selector;

use serde_json::{Map, Value};

/// A JSON object, the shape every Kubernetes struct takes on the wire.
type Obj = Map<String, Value>;

/// Applies kube-apiserver's defaults for `group`/`version`/`kind` to `obj` in place.
///
/// `group` is `""` for the core group. Unknown kinds and objects that are not JSON
/// objects are left untouched; fields of the wrong JSON type are skipped, so that
/// validation can report them instead of defaulting panicking on them.
pub fn apply_defaults(group: &str, version: &str, kind: &str, obj: &mut Value) {
    let Some(o) = obj.as_object_mut() else {
        return;
    };
    match (group, version, kind) {
        ("", "v1", "Pod") => pod::pod(o),
        ("", "v1", "PodTemplate") => {
            if let Some(t) = child(o, "template") {
                pod::pod_template(t);
            }
        }
        ("", "v1", "ReplicationController") => workloads::replication_controller(o),
        ("", "v1", "Service") => service::service(o),
        ("", "v1", "Namespace") => other::namespace(o),
        ("", "v1", "Secret") => other::secret(o),
        ("", "v1", "Endpoints") => other::endpoints(o),
        ("", "v1", "PersistentVolume") => other::persistent_volume(o),
        ("", "v1", "PersistentVolumeClaim") => other::persistent_volume_claim(o),
        ("", "v1", "LimitRange") => other::limit_range(o),
        ("", "v1", "Node") => other::node(o),
        ("apps", "v1", "Deployment") => workloads::deployment(o),
        ("apps", "v1", "ReplicaSet") => workloads::replica_set(o),
        ("apps", "v1", "DaemonSet") => workloads::daemon_set(o),
        ("apps", "v1", "StatefulSet") => workloads::stateful_set(o),
        ("batch", "v1", "Job") => workloads::job(o),
        ("batch", "v1", "CronJob") => workloads::cron_job(o),
        ("autoscaling", "v1", "HorizontalPodAutoscaler") => other::horizontal_pod_autoscaler_v1(o),
        ("autoscaling", "v2", "HorizontalPodAutoscaler") => other::horizontal_pod_autoscaler_v2(o),
        ("rbac.authorization.k8s.io", "v1", "RoleBinding" | "ClusterRoleBinding") => {
            other::role_binding(o)
        }
        ("networking.k8s.io", "v1", "NetworkPolicy") => other::network_policy(o),
        ("networking.k8s.io", "v1", "IngressClass") => other::ingress_class(o),
        ("discovery.k8s.io", "v1", "EndpointSlice") => other::endpoint_slice(o),
        ("scheduling.k8s.io", "v1", "PriorityClass") => other::priority_class(o),
        ("storage.k8s.io", "v1", "StorageClass") => other::storage_class(o),
        // policy/v1, coordination.k8s.io/v1 (Lease), certificates.k8s.io/v1 and
        // events have no defaulters upstream in v1.33.
        _ => {}
    }
}

/// True when a field is absent or JSON `null` (Go: nil pointer, nil map or slice).
fn is_unset(v: Option<&Value>) -> bool {
    matches!(v, None | Some(Value::Null))
}

/// True when a string field holds Go's zero value: absent, `null` or `""`.
fn is_empty_str(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        _ => false,
    }
}

/// True when an array or map field is absent, `null` or empty (Go's `len(x) == 0`).
fn is_empty_collection(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(m)) => m.is_empty(),
        _ => false,
    }
}

/// Sets `key` to `val` when it is unset (pointer-typed fields upstream).
fn default_value(m: &mut Obj, key: &str, val: Value) {
    if is_unset(m.get(key)) {
        m.insert(key.to_string(), val);
    }
}

/// Sets a string field to `val` when it holds the empty string or is unset.
fn default_str(m: &mut Obj, key: &str, val: &str) {
    if is_empty_str(m.get(key)) {
        m.insert(key.to_string(), Value::String(val.to_string()));
    }
}

/// Sets an integer field to `val` when it is unset or 0 (non-pointer ints upstream).
fn default_nonzero(m: &mut Obj, key: &str, val: i64) {
    let zero = match m.get(key) {
        None | Some(Value::Null) => true,
        Some(Value::Number(n)) => n.as_f64() == Some(0.0),
        _ => false,
    };
    if zero {
        m.insert(key.to_string(), Value::from(val));
    }
}

/// The object under `key`, if it is one.
fn child<'a>(m: &'a mut Obj, key: &str) -> Option<&'a mut Obj> {
    m.get_mut(key).and_then(Value::as_object_mut)
}

/// The object under `key`, created empty when unset; `None` when it has another type.
fn child_or_insert<'a>(m: &'a mut Obj, key: &str) -> Option<&'a mut Obj> {
    if is_unset(m.get(key)) {
        m.insert(key.to_string(), Value::Object(Obj::new()));
    }
    child(m, key)
}

/// Every object element of the array under `key`.
fn each<'a>(m: &'a mut Obj, key: &str) -> impl Iterator<Item = &'a mut Obj> {
    m.get_mut(key)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object_mut)
}

/// Follows a path of object keys.
fn path_mut<'a>(m: &'a mut Obj, path: &[&str]) -> Option<&'a mut Obj> {
    let mut cur = m;
    for key in path {
        cur = child(cur, key)?;
    }
    Some(cur)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_kinds_and_non_objects_are_untouched() {
        let mut v = json!({"kind": "Widget", "spec": {}});
        let before = v.clone();
        apply_defaults("example.com", "v1", "Widget", &mut v);
        assert_eq!(v, before);
        let mut s = json!("not an object");
        apply_defaults("", "v1", "Pod", &mut s);
        assert_eq!(s, json!("not an object"));
    }

    #[test]
    fn wrong_version_is_not_defaulted() {
        let mut v = json!({"spec": {}});
        apply_defaults("apps", "v1beta1", "Deployment", &mut v);
        assert_eq!(v, json!({"spec": {}}));
    }

    #[test]
    fn lease_and_pdb_have_no_defaults() {
        let mut lease = json!({"metadata": {"name": "l"}, "spec": {"holderIdentity": "a"}});
        let before = lease.clone();
        apply_defaults("coordination.k8s.io", "v1", "Lease", &mut lease);
        assert_eq!(lease, before);
        let mut pdb = json!({"spec": {"minAvailable": 1}});
        apply_defaults("policy", "v1", "PodDisruptionBudget", &mut pdb);
        assert_eq!(pdb, json!({"spec": {"minAvailable": 1}}));
    }

    #[test]
    fn helpers_treat_go_zero_values_as_unset() {
        let mut m = Obj::new();
        m.insert("a".into(), Value::Null);
        m.insert("b".into(), json!(""));
        m.insert("c".into(), json!(0));
        m.insert("d".into(), json!(5));
        default_value(&mut m, "a", json!(1));
        default_str(&mut m, "b", "x");
        default_nonzero(&mut m, "c", 3);
        default_nonzero(&mut m, "d", 3);
        assert_eq!(Value::Object(m), json!({"a": 1, "b": "x", "c": 3, "d": 5}));
    }
}
