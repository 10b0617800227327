//! What kube-apiserver and kubeadm create at start: system namespaces, the `kubernetes`
//! service and endpoints, the bootstrap RBAC policy, priority classes and `cluster-info`.

use berth_api::registry;
use serde_json::{json, Value};

use crate::rest::{new_uid, now_rfc3339};
use crate::state::State;
use crate::storage::{self, Written};

/// Creates `obj` (with uid, timestamp and defaults) unless an object of that name exists.
pub async fn create_if_missing(
    state: &State,
    group: &str,
    resource: &str,
    mut obj: Value,
) -> Result<(), String> {
    let r = registry::RESOURCES
        .iter()
        .find(|r| r.group == group && r.resource == resource)
        .ok_or_else(|| format!("no resource {resource}.{group}"))?;
    obj["apiVersion"] = json!(r.api_version());
    obj["kind"] = json!(r.kind);
    let ns = obj
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if state
        .storage
        .get(r, &ns, &name)
        .await
        .map_err(|e| e.message)?
        .is_some()
    {
        return Ok(());
    }
    obj["metadata"]["uid"] = json!(new_uid());
    obj["metadata"]["creationTimestamp"] = json!(now_rfc3339());
    berth_api::defaults::apply_defaults(r.group, r.version, r.kind, &mut obj);
    state
        .storage
        .create(r, &ns, &name, &obj)
        .await
        .map_err(|e| e.message)?;
    Ok(())
}

/// Runs every bootstrap step; safe to repeat on every start.
pub async fn run(state: &State) -> Result<(), String> {
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        create_if_missing(state, "", "namespaces", json!({"metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}}, "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})).await?;
        populate_namespace(state, ns).await;
    }
    for o in berth_api::rbac::bootstrap_cluster_roles() {
        create_if_missing(state, "rbac.authorization.k8s.io", "clusterroles", o).await?;
    }
    for o in berth_api::rbac::bootstrap_cluster_role_bindings() {
        create_if_missing(state, "rbac.authorization.k8s.io", "clusterrolebindings", o).await?;
    }
    for o in berth_api::rbac::bootstrap_roles() {
        create_if_missing(state, "rbac.authorization.k8s.io", "roles", o).await?;
    }
    for o in berth_api::rbac::bootstrap_role_bindings() {
        create_if_missing(state, "rbac.authorization.k8s.io", "rolebindings", o).await?;
    }
    for (name, value, desc) in [
        ("system-node-critical", 2_000_001_000, "Used for system critical pods that must not be moved from their current node."),
        ("system-cluster-critical", 2_000_000_000, "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."),
    ] {
        create_if_missing(state, "scheduling.k8s.io", "priorityclasses", json!({"metadata": {"name": name}, "value": value, "description": desc, "preemptionPolicy": "PreemptLowerPriority"})).await?;
    }
    kubernetes_service(state).await?;
    cluster_info(state).await?;
    Ok(())
}

/// The `default` service account and the `kube-root-ca.crt` config map of a namespace
/// (kube-controller-manager's serviceaccount and root-ca-cert-publisher controllers).
pub async fn populate_namespace(state: &State, ns: &str) {
    let sa = json!({"metadata": {"name": "default", "namespace": ns}});
    if let Err(e) = create_if_missing(state, "", "serviceaccounts", sa).await {
        tracing::warn!(namespace = ns, error = %e, "creating default service account");
    }
    let cm = json!({
        "metadata": {"name": "kube-root-ca.crt", "namespace": ns, "annotations": {"kubernetes.io/description": "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."}},
        "data": {"ca.crt": state.pki.ca_cert_pem},
    });
    if let Err(e) = create_if_missing(state, "", "configmaps", cm).await {
        tracing::warn!(namespace = ns, error = %e, "creating kube-root-ca.crt");
    }
}

async fn kubernetes_service(state: &State) -> Result<(), String> {
    let ip = state.config.kubernetes_service_ip().to_string();
    let _ = state
        .storage
        .store
        .create(
            &format!("/registry/ranges/serviceips/{ip}"),
            b"default/kubernetes".to_vec(),
        )
        .await;
    create_if_missing(state, "", "services", json!({
        "metadata": {"name": "kubernetes", "namespace": "default", "labels": {"component": "apiserver", "provider": "kubernetes"}},
        "spec": {"clusterIP": ip, "clusterIPs": [ip], "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": state.config.port}], "sessionAffinity": "None", "type": "ClusterIP"},
        "status": {"loadBalancer": {}},
    })).await?;
    // The endpoints follow the advertise address of this server.
    let addr = state.config.advertise_address.to_string();
    let ep = json!({
        "metadata": {"name": "kubernetes", "namespace": "default", "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
        "subsets": [{"addresses": [{"ip": addr}], "ports": [{"name": "https", "port": state.config.port, "protocol": "TCP"}]}],
    });
    upsert(state, "", "endpoints", ep).await?;
    let slice = json!({
        "metadata": {"name": "kubernetes", "namespace": "default", "labels": {"kubernetes.io/service-name": "kubernetes", "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}},
        "addressType": "IPv4",
        "endpoints": [{"addresses": [addr], "conditions": {"ready": true, "serving": true, "terminating": false}}],
        "ports": [{"name": "https", "port": state.config.port, "protocol": "TCP"}],
    });
    upsert(state, "discovery.k8s.io", "endpointslices", slice).await
}

/// Creates or replaces the content of an object (keeping uid and creation time).
async fn upsert(state: &State, group: &str, resource: &str, obj: Value) -> Result<(), String> {
    let r = registry::RESOURCES
        .iter()
        .find(|r| r.group == group && r.resource == resource)
        .ok_or("no resource")?;
    let ns = obj
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    for _ in 0..5 {
        match state
            .storage
            .get(r, &ns, &name)
            .await
            .map_err(|e| e.message)?
        {
            None => return create_if_missing(state, group, resource, obj).await,
            Some(cur) => {
                let mut new = obj.clone();
                new["apiVersion"] = json!(r.api_version());
                new["kind"] = json!(r.kind);
                new["metadata"]["uid"] = cur["metadata"]["uid"].clone();
                new["metadata"]["creationTimestamp"] = cur["metadata"]["creationTimestamp"].clone();
                berth_api::defaults::apply_defaults(r.group, r.version, r.kind, &mut new);
                let mut cmp = cur.clone();
                cmp["metadata"]
                    .as_object_mut()
                    .map(|m| m.remove("resourceVersion"));
                if cmp == new {
                    return Ok(());
                }
                match state
                    .storage
                    .update(r, &ns, &name, &new, storage::revision_of(&cur))
                    .await
                    .map_err(|e| e.message)?
                {
                    Written::Ok(_) => return Ok(()),
                    Written::Conflict(_) => continue,
                }
            }
        }
    }
    Err(format!("could not update {resource} {name}"))
}

/// kube-public/cluster-info: the CA and server address, readable anonymously, for joins.
async fn cluster_info(state: &State) -> Result<(), String> {
    use base64::Engine;
    let server = format!(
        "https://{}",
        crate::server::host_port(state.config.advertise_address, state.config.port)
    );
    let kubeconfig = format!(
        "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: {}\n    server: {server}\n  name: \"\"\ncontexts: null\ncurrent-context: \"\"\nkind: Config\npreferences: {{}}\nusers: null\n",
        base64::engine::general_purpose::STANDARD.encode(state.pki.ca_cert_pem.as_bytes())
    );
    upsert(state, "", "configmaps", json!({"metadata": {"name": "cluster-info", "namespace": "kube-public"}, "data": {"kubeconfig": kubeconfig}})).await
}
