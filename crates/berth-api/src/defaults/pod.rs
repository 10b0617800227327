//! Defaults for Pods, pod templates and everything nested in a PodSpec (core/v1).

use serde_json::{json, Value};

use super::{child, child_or_insert, default_nonzero, default_str, default_value, each, Obj};

/// `SetObjectDefaults_Pod`: pod-only defaults, then the PodSpec walk.
pub(super) fn pod(o: &mut Obj) {
    let Some(spec) = child(o, "spec") else {
        return;
    };
    // SetDefaults_Pod: requests default to limits, but only on Pods (not templates).
    for key in ["containers", "initContainers"] {
        for c in each(spec, key) {
            requests_from_limits(c);
        }
    }
    default_value(spec, "enableServiceLinks", Value::Bool(true));
    if spec.get("hostNetwork") == Some(&Value::Bool(true)) {
        for key in ["containers", "initContainers"] {
            for c in each(spec, key) {
                host_network_ports(c);
            }
        }
    }
    pod_spec(spec);
}

/// Defaults a PodTemplateSpec (`{metadata, spec}`) as found in every workload kind.
pub(super) fn pod_template(t: &mut Obj) {
    // Go serialises the zero `metav1.Time` of a template as `creationTimestamp: null`,
    // and kube-apiserver v1.33 returns it that way, so kubectl shows it.
    if let Some(meta) = child_or_insert(t, "metadata") {
        if !meta.contains_key("creationTimestamp") {
            meta.insert("creationTimestamp".into(), Value::Null);
        }
    }
    if let Some(spec) = child(t, "spec") {
        pod_spec(spec);
    }
}

/// `SetDefaults_PodSpec` plus the generated walk over volumes and containers.
pub(super) fn pod_spec(spec: &mut Obj) {
    default_str(spec, "dnsPolicy", "ClusterFirst");
    default_str(spec, "restartPolicy", "Always");
    default_value(spec, "securityContext", json!({}));
    default_value(spec, "terminationGracePeriodSeconds", json!(30));
    default_str(spec, "schedulerName", "default-scheduler");
    for v in each(spec, "volumes") {
        volume(v);
    }
    for key in ["initContainers", "containers", "ephemeralContainers"] {
        for c in each(spec, key) {
            container(c);
        }
    }
}

/// Copies each limit into requests when that request is missing.
fn requests_from_limits(c: &mut Obj) {
    let Some(resources) = child(c, "resources") else {
        return;
    };
    let Some(limits) = resources.get("limits").and_then(Value::as_object).cloned() else {
        return;
    };
    let Some(requests) = child_or_insert(resources, "requests") else {
        return;
    };
    for (k, v) in limits {
        requests.entry(k).or_insert(v);
    }
}

/// With host networking every container port is also a host port.
fn host_network_ports(c: &mut Obj) {
    for p in each(c, "ports") {
        let host = p.get("hostPort").and_then(Value::as_i64).unwrap_or(0);
        if host == 0 {
            if let Some(cp) = p.get("containerPort").cloned() {
                p.insert("hostPort".into(), cp);
            }
        }
    }
}

/// `SetDefaults_Container` and the generated walk into ports, env, probes, lifecycle.
fn container(c: &mut Obj) {
    if super::is_empty_str(c.get("imagePullPolicy")) {
        let image = c.get("image").and_then(Value::as_str).unwrap_or("");
        let policy = if image_tag(image).as_deref() == Some("latest") {
            "Always"
        } else {
            "IfNotPresent"
        };
        c.insert("imagePullPolicy".into(), json!(policy));
    }
    default_str(c, "terminationMessagePath", "/dev/termination-log");
    default_str(c, "terminationMessagePolicy", "File");
    // `resources` is a non-pointer struct upstream, so it is always serialised.
    default_value(c, "resources", json!({}));
    for p in each(c, "ports") {
        default_str(p, "protocol", "TCP");
    }
    for e in each(c, "env") {
        if let Some(field_ref) = child(e, "valueFrom").and_then(|vf| child(vf, "fieldRef")) {
            default_str(field_ref, "apiVersion", "v1");
        }
    }
    for key in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(p) = child(c, key) {
            probe(p);
        }
    }
    if let Some(lifecycle) = child(c, "lifecycle") {
        for key in ["postStart", "preStop"] {
            if let Some(h) = child(lifecycle, key) {
                handler(h);
            }
        }
    }
}

/// `SetDefaults_Probe` plus its handler.
fn probe(p: &mut Obj) {
    handler(p);
    default_nonzero(p, "timeoutSeconds", 1);
    default_nonzero(p, "periodSeconds", 10);
    default_nonzero(p, "successThreshold", 1);
    default_nonzero(p, "failureThreshold", 3);
}

/// Defaults inside a ProbeHandler / LifecycleHandler.
fn handler(h: &mut Obj) {
    if let Some(get) = child(h, "httpGet") {
        default_str(get, "path", "/");
        default_str(get, "scheme", "HTTP");
    }
    if let Some(grpc) = child(h, "grpc") {
        default_value(grpc, "service", json!(""));
    }
}

/// `SetDefaults_Volume` and the per-source defaulters.
fn volume(v: &mut Obj) {
    let has_source = v.iter().any(|(k, val)| k != "name" && !val.is_null());
    if !has_source {
        v.insert("emptyDir".into(), json!({}));
    }
    for key in ["secret", "configMap", "downwardAPI", "projected"] {
        if let Some(src) = child(v, key) {
            default_value(src, "defaultMode", json!(420));
        }
    }
    if let Some(projected) = child(v, "projected") {
        for s in each(projected, "sources") {
            if let Some(token) = child(s, "serviceAccountToken") {
                default_value(token, "expirationSeconds", json!(3600));
            }
        }
    }
    if let Some(host_path) = child(v, "hostPath") {
        default_value(host_path, "type", json!(""));
    }
    if let Some(image) = child(v, "image") {
        if super::is_empty_str(image.get("pullPolicy")) {
            let reference = image.get("reference").and_then(Value::as_str).unwrap_or("");
            let policy = if image_tag(reference).as_deref() == Some("latest") {
                "Always"
            } else {
                "IfNotPresent"
            };
            image.insert("pullPolicy".into(), json!(policy));
        }
    }
    if let Some(iscsi) = child(v, "iscsi") {
        default_str(iscsi, "iscsiInterface", "default");
    }
    if let Some(rbd) = child(v, "rbd") {
        default_str(rbd, "pool", "rbd");
        default_str(rbd, "user", "admin");
        default_str(rbd, "keyring", "/etc/ceph/keyring");
    }
    if let Some(azure) = child(v, "azureDisk") {
        default_value(azure, "cachingMode", json!("ReadWrite"));
        default_value(azure, "fsType", json!("ext4"));
        default_value(azure, "readOnly", json!(false));
        default_value(azure, "kind", json!("Shared"));
    }
    if let Some(scale_io) = child(v, "scaleIO") {
        default_str(scale_io, "storageMode", "ThinProvisioned");
        default_str(scale_io, "fsType", "xfs");
    }
    if let Some(ephemeral) = child(v, "ephemeral") {
        if let Some(spec) = child(ephemeral, "volumeClaimTemplate").and_then(|t| child(t, "spec")) {
            default_value(spec, "volumeMode", json!("Filesystem"));
        }
    }
}

/// The tag `parsers.ParseImageName` would report: `latest` when neither tag nor
/// digest is given, `None` when the reference does not parse (upstream ignores the
/// error and so picks `IfNotPresent`).
pub(super) fn image_tag(image: &str) -> Option<String> {
    if image.is_empty() || image.chars().any(|c| c.is_whitespace()) {
        return None;
    }
    let (name_and_tag, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    if digest.is_some_and(|d| !d.contains(':')) {
        return None;
    }
    let last_slash = name_and_tag.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match name_and_tag[last_slash..].rfind(':') {
        Some(i) => (
            &name_and_tag[..last_slash + i],
            Some(&name_and_tag[last_slash + i + 1..]),
        ),
        None => (name_and_tag, None),
    };
    // Repository path components must be lower case; only a registry host (a first
    // component with '.', ':' or "localhost") may carry upper case.
    let mut parts = name.split('/');
    let first = parts.next().unwrap_or("");
    let first_is_host =
        name.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    let path_ok = parts
        .chain((!first_is_host).then_some(first))
        .all(|p| !p.is_empty() && !p.chars().any(|c| c.is_ascii_uppercase()));
    if !path_ok {
        return None;
    }
    match (tag, digest) {
        (Some(t), _) => Some(t.to_string()),
        (None, Some(_)) => Some(String::new()),
        (None, None) => Some("latest".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::apply_defaults;
    use super::*;

    #[test]
    fn image_tags() {
        assert_eq!(image_tag("nginx").as_deref(), Some("latest"));
        assert_eq!(image_tag("nginx:latest").as_deref(), Some("latest"));
        assert_eq!(image_tag("nginx:1.27").as_deref(), Some("1.27"));
        assert_eq!(image_tag("localhost:5000/app").as_deref(), Some("latest"));
        assert_eq!(image_tag("localhost:5000/app:v2").as_deref(), Some("v2"));
        assert_eq!(image_tag("nginx@sha256:abcd").as_deref(), Some(""));
        assert_eq!(
            image_tag("nginx:latest@sha256:abcd").as_deref(),
            Some("latest")
        );
        assert_eq!(image_tag("Nginx"), None);
        assert_eq!(image_tag(""), None);
    }

    #[test]
    fn pod_gets_kube_apiserver_defaults() {
        let mut pod = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web"},
            "spec": {"containers": [{"name": "web", "image": "nginx"}]}
        });
        apply_defaults("", "v1", "Pod", &mut pod);
        assert_eq!(
            pod["spec"],
            json!({
                "containers": [{
                    "name": "web", "image": "nginx",
                    "imagePullPolicy": "Always",
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                    "resources": {}
                }],
                "enableServiceLinks": true,
                "dnsPolicy": "ClusterFirst",
                "restartPolicy": "Always",
                "securityContext": {},
                "terminationGracePeriodSeconds": 30,
                "schedulerName": "default-scheduler"
            })
        );
    }

    #[test]
    fn pull_policy_follows_tag_and_is_kept_when_set() {
        let mut pod = json!({"spec": {"containers": [
            {"name": "a", "image": "nginx:1.27"},
            {"name": "b", "image": "nginx:latest"},
            {"name": "c", "image": "nginx@sha256:0123"},
            {"name": "d", "image": "nginx", "imagePullPolicy": "Never"}
        ]}});
        apply_defaults("", "v1", "Pod", &mut pod);
        let got: Vec<_> = (0..4)
            .map(|i| pod["spec"]["containers"][i]["imagePullPolicy"].clone())
            .collect();
        assert_eq!(
            got,
            vec![
                json!("IfNotPresent"),
                json!("Always"),
                json!("IfNotPresent"),
                json!("Never")
            ]
        );
    }

    #[test]
    fn pod_does_not_override_user_values() {
        let mut pod = json!({"spec": {
            "restartPolicy": "Never", "dnsPolicy": "Default",
            "terminationGracePeriodSeconds": 0, "enableServiceLinks": false,
            "securityContext": {"runAsUser": 1000},
            "containers": [{"name": "a", "image": "x:1"}]
        }});
        apply_defaults("", "v1", "Pod", &mut pod);
        let s = &pod["spec"];
        assert_eq!(s["restartPolicy"], "Never");
        assert_eq!(s["dnsPolicy"], "Default");
        assert_eq!(s["terminationGracePeriodSeconds"], 0);
        assert_eq!(s["enableServiceLinks"], false);
        assert_eq!(s["securityContext"], json!({"runAsUser": 1000}));
    }

    #[test]
    fn ports_env_probes_and_lifecycle() {
        let mut pod = json!({"spec": {"initContainers": [{"name": "i", "image": "busybox"}],
            "containers": [{
            "name": "a", "image": "x:1",
            "ports": [{"containerPort": 80}, {"containerPort": 53, "protocol": "UDP"}],
            "env": [{"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
            "livenessProbe": {"httpGet": {"port": 80}},
            "readinessProbe": {"tcpSocket": {"port": 80}, "periodSeconds": 5},
            "startupProbe": {"grpc": {"port": 9000}},
            "lifecycle": {"preStop": {"httpGet": {"port": 80, "path": "/stop"}}}
        }]}});
        apply_defaults("", "v1", "Pod", &mut pod);
        let c = &pod["spec"]["containers"][0];
        assert_eq!(c["ports"][0]["protocol"], "TCP");
        assert_eq!(c["ports"][1]["protocol"], "UDP");
        assert_eq!(c["env"][0]["valueFrom"]["fieldRef"]["apiVersion"], "v1");
        assert_eq!(
            c["livenessProbe"],
            json!({"httpGet": {"port": 80, "path": "/", "scheme": "HTTP"},
                "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3})
        );
        assert_eq!(c["readinessProbe"]["periodSeconds"], 5);
        assert_eq!(c["startupProbe"]["grpc"]["service"], "");
        assert_eq!(
            c["lifecycle"]["preStop"]["httpGet"],
            json!({"port": 80, "path": "/stop", "scheme": "HTTP"})
        );
        let i = &pod["spec"]["initContainers"][0];
        assert_eq!(i["imagePullPolicy"], "Always");
        assert_eq!(i["terminationMessagePolicy"], "File");
    }

    #[test]
    fn requests_default_to_limits_on_pods_only() {
        let spec = json!({"containers": [{"name": "a", "image": "x:1",
            "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}, "requests": {"cpu": "100m"}}}]});
        let mut pod = json!({"spec": spec.clone()});
        apply_defaults("", "v1", "Pod", &mut pod);
        assert_eq!(
            pod["spec"]["containers"][0]["resources"]["requests"],
            json!({"cpu": "100m", "memory": "128Mi"})
        );
        let mut rs = json!({"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "x:1",
            "resources": {"limits": {"cpu": "1"}}}]}}}});
        apply_defaults("apps", "v1", "ReplicaSet", &mut rs);
        let r = &rs["spec"]["template"]["spec"]["containers"][0]["resources"];
        assert_eq!(r, &json!({"limits": {"cpu": "1"}}));
    }

    #[test]
    fn host_network_copies_container_ports_to_host_ports() {
        let mut pod = json!({"spec": {"hostNetwork": true, "containers": [{"name": "a", "image": "x:1",
            "ports": [{"containerPort": 8080}]}]}});
        apply_defaults("", "v1", "Pod", &mut pod);
        assert_eq!(
            pod["spec"]["containers"][0]["ports"][0],
            json!({"containerPort": 8080, "hostPort": 8080, "protocol": "TCP"})
        );
    }

    #[test]
    fn volumes() {
        let mut pod = json!({"spec": {"containers": [], "volumes": [
            {"name": "scratch"},
            {"name": "cm", "configMap": {"name": "c"}},
            {"name": "s", "secret": {"secretName": "s", "defaultMode": 256}},
            {"name": "d", "downwardAPI": {"items": []}},
            {"name": "p", "projected": {"sources": [{"serviceAccountToken": {"path": "t"}}]}},
            {"name": "h", "hostPath": {"path": "/data"}}
        ]}});
        apply_defaults("", "v1", "Pod", &mut pod);
        let v = &pod["spec"]["volumes"];
        assert_eq!(v[0], json!({"name": "scratch", "emptyDir": {}}));
        assert_eq!(v[1]["configMap"]["defaultMode"], 420);
        assert_eq!(v[2]["secret"]["defaultMode"], 256);
        assert_eq!(v[3]["downwardAPI"]["defaultMode"], 420);
        assert_eq!(v[4]["projected"]["defaultMode"], 420);
        assert_eq!(
            v[4]["projected"]["sources"][0]["serviceAccountToken"]["expirationSeconds"],
            3600
        );
        assert_eq!(v[5]["hostPath"], json!({"path": "/data", "type": ""}));
    }

    #[test]
    fn pod_template_kind_and_template_metadata() {
        let mut pt = json!({"template": {"spec": {"containers": [{"name": "a", "image": "x:1"}]}}});
        apply_defaults("", "v1", "PodTemplate", &mut pt);
        assert_eq!(
            pt["template"]["metadata"],
            json!({"creationTimestamp": null})
        );
        assert_eq!(pt["template"]["spec"]["restartPolicy"], "Always");
        // enableServiceLinks is a Pod-only default.
        assert!(pt["template"]["spec"].get("enableServiceLinks").is_none());
    }

    #[test]
    fn wrong_types_are_skipped_without_panicking() {
        let mut pod = json!({"spec": {"containers": "nope", "volumes": [1, null]}});
        apply_defaults("", "v1", "Pod", &mut pod);
        assert_eq!(pod["spec"]["containers"], "nope");
    }
}
