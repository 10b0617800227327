//! Admission: what kube-apiserver's default admission plugins do to objects on the way in
//! (NamespaceLifecycle, ServiceAccount, DefaultTolerationSeconds, Priority, service IP and
//! node-port allocation), and what follows a create or delete.

use std::net::Ipv4Addr;

use berth_store::TxnOutcome;
use serde_json::{json, Value};

use crate::rest::{random_suffix, Ctx};
use crate::state::State;
use crate::status::{ApiError, ApiResult};

/// Reservations made during admission, released if the write does not happen.
#[derive(Default)]
pub struct Undo {
    keys: Vec<String>,
}

impl Undo {
    /// The write happened: keep the reservations.
    pub fn commit(mut self) {
        self.keys.clear();
    }
    /// The write did not happen: release the reservations.
    pub async fn rollback(mut self, state: &State) {
        for k in std::mem::take(&mut self.keys) {
            let _ = state.storage.store.delete(&k, 0).await;
        }
    }
}

fn ns_of(obj: &Value) -> &str {
    obj.pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn name_of(obj: &Value) -> &str {
    obj.pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// Admission for creates.
pub async fn admit_create(ctx: &Ctx<'_>, obj: &mut Value) -> ApiResult<Undo> {
    let mut undo = Undo::default();
    if ctx.r.namespaced {
        namespace_lifecycle(ctx, obj).await?;
    }
    match ctx.r.kind {
        "Pod" => {
            service_account(ctx, obj).await?;
            default_tolerations(
                obj,
                ctx.state.config.default_not_ready_toleration_seconds,
                ctx.state.config.default_unreachable_toleration_seconds,
            );
            priority(obj);
        }
        "Service" => allocate_service(ctx.state, obj, None, &mut undo).await?,
        "DaemonSet" => daemonset_template_generation(None, obj),
        _ => {}
    }
    Ok(undo)
}

/// The DaemonSet strategy's template generation (PrepareForCreate/PrepareForUpdate),
/// kept in apps/v1 as the `deprecated.daemonset.template.generation` annotation: at least
/// 1 on create, never set by clients on update, one more whenever the template changes.
fn daemonset_template_generation(old: Option<&Value>, new: &mut Value) {
    const KEY: &str = "deprecated.daemonset.template.generation";
    let read = |v: &Value| {
        v.pointer("/metadata/annotations")
            .and_then(|a| a.get(KEY))
            .and_then(Value::as_str)
            .and_then(|g| g.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let generation = match old {
        None => read(new).max(1),
        Some(old) if old.pointer("/spec/template") != new.pointer("/spec/template") => {
            read(old) + 1
        }
        Some(old) => read(old),
    };
    if let Some(m) = new.get_mut("metadata").and_then(Value::as_object_mut) {
        let annotations = m
            .entry("annotations")
            .or_insert_with(|| Value::Object(Default::default()));
        if !annotations.is_object() {
            *annotations = Value::Object(Default::default());
        }
        if let Some(a) = annotations.as_object_mut() {
            a.insert(KEY.into(), Value::String(generation.to_string()));
        }
    }
}

/// Admission for updates (synchronous checks only).
pub fn admit_update(ctx: &Ctx<'_>, old: &Value, new: &mut Value) -> ApiResult<()> {
    if ctx.r.kind == "DaemonSet" && ctx.info.subresource.is_empty() {
        daemonset_template_generation(Some(old), new);
    }
    if ctx.r.kind == "Service" && ctx.info.subresource.is_empty() {
        // keep allocated values the client did not send (kubectl apply/edit may omit them)
        let old_ip = old.pointer("/spec/clusterIP").cloned();
        if new
            .pointer("/spec/clusterIP")
            .is_none_or(|v| v.as_str() == Some(""))
        {
            if let Some(ip) = old_ip {
                let ty = new
                    .pointer("/spec/type")
                    .and_then(Value::as_str)
                    .unwrap_or("ClusterIP");
                if ty != "ExternalName" {
                    new["spec"]["clusterIP"] = ip;
                    if let Some(ips) = old.pointer("/spec/clusterIPs") {
                        new["spec"]["clusterIPs"] = ips.clone();
                    }
                }
            }
        }
        // normalizeClusterIPs: a changed clusterIP with unchanged clusterIPs moves clusterIPs[0]
        let (old_ip, new_ip) = (
            old.pointer("/spec/clusterIP").cloned(),
            new.pointer("/spec/clusterIP").cloned(),
        );
        if old_ip != new_ip && old.pointer("/spec/clusterIPs") == new.pointer("/spec/clusterIPs") {
            match new_ip.as_ref().and_then(Value::as_str) {
                Some(ip) if !ip.is_empty() => {
                    if let Some(ips) = new
                        .pointer_mut("/spec/clusterIPs")
                        .and_then(Value::as_array_mut)
                    {
                        if let Some(first) = ips.first_mut() {
                            *first = json!(ip);
                        }
                    }
                }
                _ => {
                    if let Some(spec) = new.get_mut("spec").and_then(Value::as_object_mut) {
                        spec.remove("clusterIPs");
                    }
                }
            }
        }
        let ty = new
            .pointer("/spec/type")
            .and_then(Value::as_str)
            .unwrap_or("ClusterIP")
            .to_string();
        if matches!(ty.as_str(), "NodePort" | "LoadBalancer") {
            // carry node ports over by port number
            let old_ports = old
                .pointer("/spec/ports")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if let Some(ports) = new.pointer_mut("/spec/ports").and_then(Value::as_array_mut) {
                for p in ports.iter_mut() {
                    if p.get("nodePort").and_then(Value::as_i64).unwrap_or(0) == 0 {
                        if let Some(op) = old_ports
                            .iter()
                            .find(|o| o.get("port") == p.get("port") && o.get("nodePort").is_some())
                        {
                            p["nodePort"] = op["nodePort"].clone();
                        }
                    }
                }
            }
        } else if let Some(ports) = new.pointer_mut("/spec/ports").and_then(Value::as_array_mut) {
            for p in ports.iter_mut() {
                if let Some(o) = p.as_object_mut() {
                    o.remove("nodePort");
                }
            }
        }
    }
    Ok(())
}

/// After a create: objects that other components would make at once.
pub async fn after_create(ctx: &Ctx<'_>, obj: &Value) {
    if ctx.r.kind == "Namespace" {
        crate::bootstrap::populate_namespace(ctx.state, name_of(obj)).await;
    }
}

/// After an object is gone: release what it held.
pub async fn after_delete(ctx: &Ctx<'_>, obj: &Value) {
    if ctx.r.kind == "Service" {
        release_service(ctx.state, obj).await;
    }
}

/// Service updates that need the store (node-port allocation for new ports).
pub async fn allocate_on_update(state: &State, new: &mut Value) -> ApiResult<()> {
    let mut undo = Undo::default();
    allocate_node_ports(state, new, &mut undo).await?;
    undo.commit();
    Ok(())
}

async fn namespace_lifecycle(ctx: &Ctx<'_>, obj: &Value) -> ApiResult<()> {
    let ns = ns_of(obj);
    let nsr = berth_api::registry::find("", "v1", "namespaces")
        .ok_or_else(|| ApiError::internal("no namespaces resource"))?;
    let Some(n) = ctx.state.storage.get(nsr, "", ns).await? else {
        return Err(ApiError::not_found("namespaces", "", ns));
    };
    if n.pointer("/status/phase").and_then(Value::as_str) == Some("Terminating")
        && !matches!(ctx.r.kind, "Event" | "Lease")
    {
        return Err(ApiError::forbidden(format!(
            "{} \"{}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated",
            crate::rest::qualified_resource(ctx.r),
            name_of(obj)
        )));
    }
    Ok(())
}

async fn service_account(ctx: &Ctx<'_>, pod: &mut Value) -> ApiResult<()> {
    let ns = ns_of(pod).to_string();
    let sa = pod
        .pointer("/spec/serviceAccountName")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .or_else(|| {
            pod.pointer("/spec/serviceAccount")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        })
        .unwrap_or("default")
        .to_string();
    pod["spec"]["serviceAccountName"] = json!(sa);
    pod["spec"]["serviceAccount"] = json!(sa);
    // mirror pods (created by kubelets) skip the rest, as upstream
    if pod
        .pointer("/metadata/annotations/kubernetes.io~1config.mirror")
        .is_some()
    {
        return Ok(());
    }
    let sar = berth_api::registry::find("", "v1", "serviceaccounts")
        .ok_or_else(|| ApiError::internal("no serviceaccounts resource"))?;
    let Some(account) = ctx.state.storage.get(sar, &ns, &sa).await? else {
        return Err(ApiError::forbidden(format!(
            "pods \"{}\" is forbidden: error looking up service account {ns}/{sa}: serviceaccount \"{sa}\" not found",
            name_of(pod)
        )));
    };
    let automount = pod
        .pointer("/spec/automountServiceAccountToken")
        .and_then(Value::as_bool)
        .or_else(|| {
            account
                .get("automountServiceAccountToken")
                .and_then(Value::as_bool)
        })
        .unwrap_or(true);
    if !automount {
        return Ok(());
    }
    const MOUNT: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
    let mounted = |c: &Value| {
        c.get("volumeMounts")
            .and_then(Value::as_array)
            .is_some_and(|m| {
                m.iter()
                    .any(|v| v.get("mountPath").and_then(Value::as_str) == Some(MOUNT))
            })
    };
    let vol = format!("kube-api-access-{}", random_suffix(5));
    let mut used = false;
    for list in ["initContainers", "containers"] {
        if let Some(cs) = pod
            .pointer_mut(&format!("/spec/{list}"))
            .and_then(Value::as_array_mut)
        {
            for c in cs.iter_mut() {
                if mounted(c) {
                    continue;
                }
                used = true;
                let m = json!({"mountPath": MOUNT, "name": vol, "readOnly": true});
                match c.get_mut("volumeMounts").and_then(Value::as_array_mut) {
                    Some(a) => a.push(m),
                    None => c["volumeMounts"] = json!([m]),
                }
            }
        }
    }
    if used {
        let v = json!({"name": vol, "projected": {"defaultMode": 420, "sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}, "path": "namespace"}]}}
        ]}});
        match pod
            .pointer_mut("/spec/volumes")
            .and_then(Value::as_array_mut)
        {
            Some(a) => a.push(v),
            None => pod["spec"]["volumes"] = json!([v]),
        }
    }
    Ok(())
}

/// DefaultTolerationSeconds: NoExecute tolerations for not-ready and unreachable nodes.
fn default_tolerations(pod: &mut Value, not_ready: i64, unreachable: i64) {
    let mut tol = pod
        .pointer("/spec/tolerations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let has = |tol: &[Value], key: &str| {
        tol.iter().any(|t| {
            let k = t.get("key").and_then(Value::as_str);
            let e = t.get("effect").and_then(Value::as_str).unwrap_or("");
            let op = t.get("operator").and_then(Value::as_str).unwrap_or("Equal");
            (k == Some(key) || (k.is_none() && op == "Exists"))
                && (e.is_empty() || e == "NoExecute")
        })
    };
    let mut changed = false;
    for (key, secs) in [
        ("node.kubernetes.io/not-ready", not_ready),
        ("node.kubernetes.io/unreachable", unreachable),
    ] {
        if !has(&tol, key) {
            tol.push(json!({"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": secs}));
            changed = true;
        }
    }
    if changed {
        pod["spec"]["tolerations"] = json!(tol);
    }
}

/// Priority admission without PriorityClasses named: priority 0.
fn priority(pod: &mut Value) {
    if pod.pointer("/spec/priority").is_none() {
        let p = match pod
            .pointer("/spec/priorityClassName")
            .and_then(Value::as_str)
        {
            Some("system-node-critical") => 2_000_001_000,
            Some("system-cluster-critical") => 2_000_000_000,
            _ => 0,
        };
        pod["spec"]["priority"] = json!(p);
    }
    if pod.pointer("/spec/preemptionPolicy").is_none() {
        pod["spec"]["preemptionPolicy"] = json!("PreemptLowerPriority");
    }
}

const IP_PREFIX: &str = "/registry/ranges/serviceips/";
const PORT_PREFIX: &str = "/registry/ranges/servicenodeports/";

fn owner_ref(obj: &Value) -> Vec<u8> {
    format!("{}/{}", ns_of(obj), name_of(obj)).into_bytes()
}

async fn reserve(state: &State, key: String, owner: Vec<u8>, undo: &mut Undo) -> ApiResult<bool> {
    match state.storage.store.create(&key, owner.clone()).await? {
        TxnOutcome::Applied(_) => {
            undo.keys.push(key);
            Ok(true)
        }
        TxnOutcome::Conflict(Some(kv)) if kv.value == owner => Ok(true),
        TxnOutcome::Conflict(_) => Ok(false),
    }
}

fn invalid_service(obj: &Value, field: &str, value: &str, detail: &str) -> ApiError {
    let name = name_of(obj);
    ApiError::invalid(
        "Service",
        "",
        name,
        format!("Service \"{name}\" is invalid: {field}: Invalid value: {value}: {detail}"),
        vec![
            json!({"reason": "FieldValueInvalid", "message": format!("Invalid value: {value}: {detail}"), "field": field}),
        ],
    )
}

/// Allocates the cluster IP and node ports of a new service.
pub async fn allocate_service(
    state: &State,
    svc: &mut Value,
    _old: Option<&Value>,
    undo: &mut Undo,
) -> ApiResult<()> {
    let ty = svc
        .pointer("/spec/type")
        .and_then(Value::as_str)
        .unwrap_or("ClusterIP")
        .to_string();
    if ty == "ExternalName" {
        return Ok(());
    }
    let (base, bits) = state.config.service_cidr;
    let size: u32 = 1u32 << (32 - bits);
    let base_u = u32::from(base);
    let requested = svc
        .pointer("/spec/clusterIP")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let owner = owner_ref(svc);
    let ip = if requested == "None" {
        None
    } else if !requested.is_empty() {
        let Ok(ip) = requested.parse::<Ipv4Addr>() else {
            return Err(invalid_service(
                svc,
                "spec.clusterIPs",
                &format!("[]string{{\"{requested}\"}}"),
                "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
            ));
        };
        let off = u32::from(ip).wrapping_sub(base_u);
        if off == 0 || off >= size - 1 {
            return Err(invalid_service(svc, "spec.clusterIPs", &format!("[]string{{\"{requested}\"}}"), &format!("failed to allocate IP {requested}: the provided IP ({requested}) is not in the valid range. The range of valid IPs is {base}/{bits}")));
        }
        if !reserve(state, format!("{IP_PREFIX}{ip}"), owner.clone(), undo).await? {
            return Err(invalid_service(
                svc,
                "spec.clusterIPs",
                &format!("[]string{{\"{requested}\"}}"),
                &format!("failed to allocate IP {requested}: provided IP is already allocated"),
            ));
        }
        Some(ip)
    } else {
        // random in the upper part of the range; the lower band is for static IPs, as upstream
        let static_band = (size / 16).clamp(16, 256);
        let span = size.saturating_sub(static_band + 1).max(1);
        let mut seed = [0u8; 4];
        let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut seed);
        let start = u32::from_le_bytes(seed) % span;
        let mut found = None;
        for i in 0..span.min(65_536) {
            let off = static_band + (start + i) % span;
            if off == 0 || off >= size - 1 {
                continue;
            }
            let ip = Ipv4Addr::from(base_u + off);
            if reserve(state, format!("{IP_PREFIX}{ip}"), owner.clone(), undo).await? {
                found = Some(ip);
                break;
            }
        }
        match found {
            Some(ip) => Some(ip),
            None => {
                return Err(ApiError::internal(
                    "failed to allocate a serviceIP: range is full",
                ))
            }
        }
    };
    match ip {
        Some(ip) => {
            svc["spec"]["clusterIP"] = json!(ip.to_string());
            svc["spec"]["clusterIPs"] = json!([ip.to_string()]);
        }
        None => {
            svc["spec"]["clusterIP"] = json!("None");
            svc["spec"]["clusterIPs"] = json!(["None"]);
        }
    }
    allocate_node_ports(state, svc, undo).await
}

async fn allocate_node_ports(state: &State, svc: &mut Value, undo: &mut Undo) -> ApiResult<()> {
    let ty = svc
        .pointer("/spec/type")
        .and_then(Value::as_str)
        .unwrap_or("ClusterIP")
        .to_string();
    if !matches!(ty.as_str(), "NodePort" | "LoadBalancer") {
        return Ok(());
    }
    let owner = owner_ref(svc);
    let (lo, hi) = state.config.node_port_range;
    let n = svc
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    for i in 0..n {
        let want = svc
            .pointer(&format!("/spec/ports/{i}/nodePort"))
            .and_then(Value::as_i64)
            .unwrap_or(0);
        if want != 0 {
            if want < lo as i64 || want > hi as i64 {
                return Err(invalid_service(svc, &format!("spec.ports[{i}].nodePort"), &want.to_string(), &format!("provided port is not in the valid range. The range of valid ports is {lo}-{hi}")));
            }
            if !reserve(state, format!("{PORT_PREFIX}{want}"), owner.clone(), undo).await? {
                return Err(invalid_service(
                    svc,
                    &format!("spec.ports[{i}].nodePort"),
                    &want.to_string(),
                    "provided port is already allocated",
                ));
            }
            continue;
        }
        let span = (hi - lo + 1) as u32;
        let mut seed = [0u8; 4];
        let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut seed);
        let start = u32::from_le_bytes(seed) % span;
        let mut got = None;
        for j in 0..span {
            let port = lo as u32 + (start + j) % span;
            if reserve(state, format!("{PORT_PREFIX}{port}"), owner.clone(), undo).await? {
                got = Some(port);
                break;
            }
        }
        let Some(port) = got else {
            return Err(ApiError::internal(
                "failed to allocate a nodePort: range is full",
            ));
        };
        svc["spec"]["ports"][i]["nodePort"] = json!(port);
    }
    Ok(())
}

/// Releases the cluster IP and node ports a deleted service held.
pub async fn release_service(state: &State, svc: &Value) {
    let owner = owner_ref(svc);
    let mut keys = Vec::new();
    if let Some(ip) = svc.pointer("/spec/clusterIP").and_then(Value::as_str) {
        if ip != "None" && !ip.is_empty() {
            keys.push(format!("{IP_PREFIX}{ip}"));
        }
    }
    for p in svc
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        if let Some(np) = p.get("nodePort").and_then(Value::as_i64) {
            keys.push(format!("{PORT_PREFIX}{np}"));
        }
    }
    for k in keys {
        if let Ok((Some(kv), _)) = state.storage.store.get(&k).await {
            if kv.value == owner {
                let _ = state.storage.store.delete(&k, kv.mod_revision).await;
            }
        }
    }
}
