//! Pod, PodSpec and pod template validation (pkg/apis/core/validation, v1.33).

use std::collections::HashSet;

use serde_json::Value;

use super::{
    child, get_arr, get_i64, get_obj, get_str, index, is_dns1123_label, is_dns1123_subdomain,
    is_valid_port_name, is_valid_port_num, key, nonnegative, sorted, validate_annotations,
    validate_labels, FieldError,
};

/// The fields `pod updates may not change fields other than ...` lists.
const UPDATABLE_POD_SPEC_FIELDS: &str = "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

/// `ValidatePodCreate` minus metadata: the spec, and no ephemeral containers.
pub(super) fn validate_pod(obj: &Value) -> Vec<FieldError> {
    let spec = obj.get("spec").unwrap_or(&Value::Null);
    let mut errs = validate_pod_spec(spec, "spec");
    if !get_arr(spec, "ephemeralContainers").is_empty() {
        errs.push(FieldError::forbidden(
            "spec.ephemeralContainers",
            "cannot be set on create",
        ));
    }
    errs
}

/// `ValidatePodUpdate`: only images, activeDeadlineSeconds, tolerations and a
/// negative grace period may change.
///
/// Upstream appends a `cmp.Diff` of the two specs to the Forbidden message; that diff
/// is not reproduced here.
pub(super) fn validate_pod_update(obj: &Value, old: &Value) -> Vec<FieldError> {
    let spec = obj.get("spec").cloned().unwrap_or(Value::Null);
    let old_spec = old.get("spec").cloned().unwrap_or(Value::Null);
    let mut errs = validate_pod_spec(&spec, "spec");
    if get_arr(&spec, "containers").len() != get_arr(&old_spec, "containers").len() {
        errs.push(FieldError::forbidden(
            "spec.containers",
            "pod updates may not add or remove containers",
        ));
        return errs;
    }
    if get_arr(&spec, "initContainers").len() != get_arr(&old_spec, "initContainers").len() {
        errs.push(FieldError::forbidden(
            "spec.initContainers",
            "pod updates may not add or remove containers",
        ));
        return errs;
    }
    let mut munged = spec;
    if let Some(m) = munged.as_object_mut() {
        for list in ["containers", "initContainers"] {
            let old_list = get_arr(&old_spec, list);
            if let Some(items) = m.get_mut(list).and_then(Value::as_array_mut) {
                for (c, old_c) in items.iter_mut().zip(old_list) {
                    if let Some(c) = c.as_object_mut() {
                        match old_c.get("image") {
                            Some(image) => c.insert("image".into(), image.clone()),
                            None => c.remove("image"),
                        };
                    }
                }
            }
        }
        for field in ["activeDeadlineSeconds", "tolerations", "schedulingGates"] {
            match old_spec.get(field) {
                Some(v) => m.insert(field.into(), v.clone()),
                None => m.remove(field),
            };
        }
        let old_grace = get_i64(&old_spec, "terminationGracePeriodSeconds");
        let new_grace = m
            .get("terminationGracePeriodSeconds")
            .and_then(Value::as_i64);
        if old_grace.is_some_and(|g| g < 0) && new_grace == Some(1) {
            if let Some(g) = old_spec.get("terminationGracePeriodSeconds") {
                m.insert("terminationGracePeriodSeconds".into(), g.clone());
            }
        }
    }
    if munged != old_spec {
        errs.push(FieldError::forbidden(
            "spec",
            format!("pod updates may not change fields other than {UPDATABLE_POD_SPEC_FIELDS}"),
        ));
    }
    errs
}

/// `ValidatePodTemplateSpec`: template labels, annotations and spec.
pub(super) fn validate_template(t: &Value, path: &str) -> Vec<FieldError> {
    let meta = t.get("metadata").unwrap_or(&Value::Null);
    let meta_path = child(path, "metadata");
    let mut errs = validate_labels(get_obj(meta, "labels"), &child(&meta_path, "labels"));
    errs.extend(validate_annotations(
        get_obj(meta, "annotations"),
        &child(&meta_path, "annotations"),
    ));
    let spec = t.get("spec").unwrap_or(&Value::Null);
    errs.extend(validate_pod_spec(spec, &child(path, "spec")));
    if !get_arr(spec, "ephemeralContainers").is_empty() {
        errs.push(FieldError::forbidden(
            child(&child(path, "spec"), "ephemeralContainers"),
            "ephemeral containers not allowed in pod template",
        ));
    }
    errs
}

/// `ValidatePodSpec`, in upstream's order.
pub(super) fn validate_pod_spec(spec: &Value, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let volumes = validate_volumes(spec, path, &mut errs);
    let restart_policy = get_str(spec, "restartPolicy");

    let regular_names: HashSet<&str> = get_arr(spec, "containers")
        .iter()
        .map(|c| get_str(c, "name"))
        .collect();
    let init_path = child(path, "initContainers");
    let mut init_names = HashSet::new();
    for (i, c) in get_arr(spec, "initContainers").iter().enumerate() {
        let p = index(&init_path, i);
        validate_container_common(c, &volumes, &p, &mut errs);
        let name = get_str(c, "name");
        if !name.is_empty() && (regular_names.contains(name) || !init_names.insert(name)) {
            errs.push(FieldError::duplicate(
                child(&p, "name"),
                Value::String(name.to_string()),
            ));
        }
        // Only sidecars (restartPolicy Always) may have probes.
        let sidecar = get_str(c, "restartPolicy") == "Always";
        for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
            if c.get(probe).is_some_and(|p| !p.is_null()) {
                if sidecar {
                    validate_probe(c, probe, &p, probe != "readinessProbe", &mut errs);
                } else {
                    errs.push(FieldError::forbidden(
                        child(&p, probe),
                        "may not be set for init containers without restartPolicy=Always",
                    ));
                }
            }
        }
        if c.get("lifecycle").is_some_and(|l| !l.is_null()) && !sidecar {
            errs.push(FieldError::forbidden(
                child(&p, "lifecycle"),
                "may not be set for init containers without restartPolicy=Always",
            ));
        }
    }

    let containers_path = child(path, "containers");
    let containers = get_arr(spec, "containers");
    if containers.is_empty() {
        errs.push(FieldError::required(&containers_path, ""));
    }
    let mut names = HashSet::new();
    for (i, c) in containers.iter().enumerate() {
        let p = index(&containers_path, i);
        validate_container_common(c, &volumes, &p, &mut errs);
        let name = get_str(c, "name");
        if !names.insert(name) {
            errs.push(FieldError::duplicate(
                child(&p, "name"),
                Value::String(name.to_string()),
            ));
        }
        if let Some(lifecycle) = c.get("lifecycle").filter(|l| l.is_object()) {
            for hook in ["postStart", "preStop"] {
                if let Some(h) = lifecycle.get(hook).filter(|h| h.is_object()) {
                    validate_handler(h, &child(&child(&p, "lifecycle"), hook), &mut errs);
                }
            }
        }
        for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
            validate_probe(c, probe, &p, probe != "readinessProbe", &mut errs);
        }
        if !get_str(c, "restartPolicy").is_empty() {
            errs.push(FieldError::forbidden(
                child(&p, "restartPolicy"),
                "may not be set for non-init containers",
            ));
        }
    }

    let rp_path = child(path, "restartPolicy");
    match restart_policy {
        "Always" | "OnFailure" | "Never" => {}
        "" => errs.push(FieldError::required(rp_path, "")),
        other => errs.push(FieldError::not_supported(
            rp_path,
            Value::String(other.to_string()),
            &["Always", "OnFailure", "Never"],
        )),
    }
    let dns_path = child(path, "dnsPolicy");
    match get_str(spec, "dnsPolicy") {
        "ClusterFirstWithHostNet" | "ClusterFirst" | "Default" | "None" => {}
        "" => errs.push(FieldError::required(dns_path, "")),
        other => errs.push(FieldError::not_supported(
            dns_path,
            Value::String(other.to_string()),
            &["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"],
        )),
    }
    errs.extend(validate_labels(
        get_obj(spec, "nodeSelector"),
        &child(path, "nodeSelector"),
    ));
    let sa = get_str(spec, "serviceAccountName");
    if !sa.is_empty() {
        for msg in is_dns1123_subdomain(sa) {
            errs.push(FieldError::invalid(
                child(path, "serviceAccountName"),
                Value::String(sa.to_string()),
                msg,
            ));
        }
    }
    let node = get_str(spec, "nodeName");
    if !node.is_empty() {
        for msg in is_dns1123_subdomain(node) {
            errs.push(FieldError::invalid(
                child(path, "nodeName"),
                Value::String(node.to_string()),
                msg,
            ));
        }
    }
    if let Some(deadline) = get_i64(spec, "activeDeadlineSeconds") {
        if !(1..=i64::from(i32::MAX)).contains(&deadline) {
            errs.push(FieldError::invalid(
                child(path, "activeDeadlineSeconds"),
                Value::from(deadline),
                "must be between 1 and 2147483647, inclusive",
            ));
        }
    }
    for field in ["hostname", "subdomain"] {
        let v = get_str(spec, field);
        if !v.is_empty() {
            for msg in is_dns1123_label(v) {
                errs.push(FieldError::invalid(
                    child(path, field),
                    Value::String(v.to_string()),
                    msg,
                ));
            }
        }
    }
    errs
}

/// `ValidateVolumes` (names only; volume sources are not checked in depth). Returns
/// the declared volume names.
fn validate_volumes<'a>(
    spec: &'a Value,
    path: &str,
    errs: &mut Vec<FieldError>,
) -> HashSet<&'a str> {
    let mut names = HashSet::new();
    let vol_path = child(path, "volumes");
    for (i, v) in get_arr(spec, "volumes").iter().enumerate() {
        let p = index(&vol_path, i);
        let name = get_str(v, "name");
        if name.is_empty() {
            errs.push(FieldError::required(child(&p, "name"), ""));
        } else {
            for msg in is_dns1123_label(name) {
                errs.push(FieldError::invalid(
                    child(&p, "name"),
                    Value::String(name.to_string()),
                    msg,
                ));
            }
        }
        if !name.is_empty() && !names.insert(name) {
            errs.push(FieldError::duplicate(
                child(&p, "name"),
                Value::String(name.to_string()),
            ));
        }
    }
    names
}

/// `validateContainerCommon`: what holds for every kind of container.
fn validate_container_common(
    c: &Value,
    volumes: &HashSet<&str>,
    path: &str,
    errs: &mut Vec<FieldError>,
) {
    let name = get_str(c, "name");
    let name_path = child(path, "name");
    if name.is_empty() {
        errs.push(FieldError::required(name_path, ""));
    } else {
        for msg in is_dns1123_label(name) {
            errs.push(FieldError::invalid(
                &name_path,
                Value::String(name.to_string()),
                msg,
            ));
        }
    }
    if get_str(c, "image").is_empty() {
        errs.push(FieldError::required(child(path, "image"), ""));
    }
    let tmp_path = child(path, "terminationMessagePolicy");
    match get_str(c, "terminationMessagePolicy") {
        "File" | "FallbackToLogsOnError" => {}
        "" => errs.push(FieldError::required(tmp_path, "")),
        other => errs.push(FieldError::not_supported(
            tmp_path,
            Value::String(other.to_string()),
            &["File", "FallbackToLogsOnError"],
        )),
    }
    validate_container_ports(c, &child(path, "ports"), errs);
    validate_env(c, &child(path, "env"), errs);
    validate_volume_mounts(c, volumes, &child(path, "volumeMounts"), errs);
    let pull_path = child(path, "imagePullPolicy");
    match get_str(c, "imagePullPolicy") {
        "Always" | "IfNotPresent" | "Never" => {}
        "" => errs.push(FieldError::required(pull_path, "")),
        other => errs.push(FieldError::not_supported(
            pull_path,
            Value::String(other.to_string()),
            &["Always", "IfNotPresent", "Never"],
        )),
    }
    validate_resources(
        c.get("resources").unwrap_or(&Value::Null),
        &child(path, "resources"),
        errs,
    );
}

/// `validateContainerPorts`.
fn validate_container_ports(c: &Value, path: &str, errs: &mut Vec<FieldError>) {
    let mut names = HashSet::new();
    for (i, port) in get_arr(c, "ports").iter().enumerate() {
        let p = index(path, i);
        let name = get_str(port, "name");
        if !name.is_empty() {
            let msgs = is_valid_port_name(name);
            if !msgs.is_empty() {
                for msg in msgs {
                    errs.push(FieldError::invalid(
                        child(&p, "name"),
                        Value::String(name.to_string()),
                        msg,
                    ));
                }
            } else if !names.insert(name) {
                errs.push(FieldError::duplicate(
                    child(&p, "name"),
                    Value::String(name.to_string()),
                ));
            }
        }
        match get_i64(port, "containerPort").unwrap_or(0) {
            0 => errs.push(FieldError::required(child(&p, "containerPort"), "")),
            n => {
                for msg in is_valid_port_num(n) {
                    errs.push(FieldError::invalid(
                        child(&p, "containerPort"),
                        Value::from(n),
                        msg,
                    ));
                }
            }
        }
        let host = get_i64(port, "hostPort").unwrap_or(0);
        if host != 0 {
            for msg in is_valid_port_num(host) {
                errs.push(FieldError::invalid(
                    child(&p, "hostPort"),
                    Value::from(host),
                    msg,
                ));
            }
        }
        validate_protocol(get_str(port, "protocol"), &child(&p, "protocol"), errs);
    }
}

/// Port protocol: required, one of SCTP, TCP, UDP.
pub(super) fn validate_protocol(protocol: &str, path: &str, errs: &mut Vec<FieldError>) {
    match protocol {
        "TCP" | "UDP" | "SCTP" => {}
        "" => errs.push(FieldError::required(path, "")),
        other => errs.push(FieldError::not_supported(
            path,
            Value::String(other.to_string()),
            &["SCTP", "TCP", "UDP"],
        )),
    }
}

/// `ValidateEnv` with v1.33's relaxed variable names (RelaxedEnvironmentVariableValidation).
fn validate_env(c: &Value, path: &str, errs: &mut Vec<FieldError>) {
    for (i, e) in get_arr(c, "env").iter().enumerate() {
        let p = index(path, i);
        let name = get_str(e, "name");
        if name.is_empty() {
            errs.push(FieldError::required(child(&p, "name"), ""));
        } else if !name
            .chars()
            .all(|ch| (' '..='~').contains(&ch) && ch != '=')
        {
            errs.push(FieldError::invalid(
                child(&p, "name"),
                Value::String(name.to_string()),
                "a valid environment variable name must consist only of printable ASCII characters other than '='",
            ));
        }
        if let Some(vf) = e.get("valueFrom").filter(|v| v.is_object()) {
            let has_value = !get_str(e, "value").is_empty();
            let sources = [
                "fieldRef",
                "resourceFieldRef",
                "configMapKeyRef",
                "secretKeyRef",
            ]
            .iter()
            .filter(|s| vf.get(**s).is_some_and(|v| !v.is_null()))
            .count();
            if sources == 0 {
                errs.push(FieldError::invalid(
                    child(&p, "valueFrom"),
                    Value::String(String::new()),
                    "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
                ));
            } else if sources > 1 {
                errs.push(FieldError::invalid(
                    child(&p, "valueFrom"),
                    Value::String(String::new()),
                    "may not have more than one field specified at a time",
                ));
            } else if has_value {
                errs.push(FieldError::invalid(
                    child(&p, "valueFrom"),
                    Value::String(String::new()),
                    "may not be specified when `value` is not empty",
                ));
            }
        }
    }
}

/// `ValidateVolumeMounts`: names must refer to volumes, mount paths unique.
fn validate_volume_mounts(
    c: &Value,
    volumes: &HashSet<&str>,
    path: &str,
    errs: &mut Vec<FieldError>,
) {
    let mut paths = HashSet::new();
    for (i, m) in get_arr(c, "volumeMounts").iter().enumerate() {
        let p = index(path, i);
        let name = get_str(m, "name");
        if name.is_empty() {
            errs.push(FieldError::required(child(&p, "name"), ""));
        }
        if !volumes.contains(name) {
            errs.push(FieldError::not_found(
                child(&p, "name"),
                Value::String(name.to_string()),
            ));
        }
        let mount_path = get_str(m, "mountPath");
        if mount_path.is_empty() {
            errs.push(FieldError::required(child(&p, "mountPath"), ""));
        } else if !paths.insert(mount_path) {
            errs.push(FieldError::invalid(
                child(&p, "mountPath"),
                Value::String(mount_path.to_string()),
                "must be unique",
            ));
        }
    }
}

/// Probes: a handler, non-negative numbers; liveness and startup need successThreshold 1.
fn validate_probe(
    c: &Value,
    which: &str,
    path: &str,
    must_be_one: bool,
    errs: &mut Vec<FieldError>,
) {
    let Some(probe) = c.get(which).filter(|p| p.is_object()) else {
        return;
    };
    let p = child(path, which);
    if must_be_one {
        if let Some(st) = get_i64(probe, "successThreshold") {
            if st != 1 {
                errs.push(FieldError::invalid(
                    child(&p, "successThreshold"),
                    Value::from(st),
                    "must be 1",
                ));
            }
        }
    }
    validate_handler(probe, &p, errs);
    for field in [
        "initialDelaySeconds",
        "timeoutSeconds",
        "periodSeconds",
        "successThreshold",
        "failureThreshold",
    ] {
        nonnegative(probe, field, &p, errs);
    }
}

/// Exactly one of exec, httpGet, tcpSocket, grpc (sleep for lifecycle hooks).
fn validate_handler(h: &Value, path: &str, errs: &mut Vec<FieldError>) {
    let kinds = ["exec", "httpGet", "tcpSocket", "grpc", "sleep"];
    let set: Vec<&str> = kinds
        .iter()
        .copied()
        .filter(|k| h.get(*k).is_some_and(|v| !v.is_null()))
        .collect();
    match set.len() {
        0 => errs.push(FieldError::required(path, "must specify a handler type")),
        1 => {}
        _ => errs.push(FieldError::forbidden(
            child(path, set[1]),
            "may not specify more than 1 handler type",
        )),
    }
    if let Some(get) = h.get("httpGet").filter(|g| g.is_object()) {
        let gp = child(path, "httpGet");
        validate_port_num_or_name(get.get("port"), &child(&gp, "port"), errs);
        match get_str(get, "scheme") {
            "HTTP" | "HTTPS" => {}
            "" => {}
            other => errs.push(FieldError::not_supported(
                child(&gp, "scheme"),
                Value::String(other.to_string()),
                &["HTTP", "HTTPS"],
            )),
        }
    }
    if let Some(tcp) = h.get("tcpSocket").filter(|t| t.is_object()) {
        let tp = child(path, "tcpSocket");
        validate_port_num_or_name(tcp.get("port"), &child(&tp, "port"), errs);
    }
    if let Some(grpc) = h.get("grpc").filter(|g| g.is_object()) {
        let port = get_i64(grpc, "port").unwrap_or(0);
        for msg in is_valid_port_num(port) {
            errs.push(FieldError::invalid(
                child(&child(path, "grpc"), "port"),
                Value::from(port),
                msg,
            ));
        }
    }
}

/// `ValidatePortNumOrName`.
pub(super) fn validate_port_num_or_name(
    port: Option<&Value>,
    path: &str,
    errs: &mut Vec<FieldError>,
) {
    match port {
        Some(Value::String(name)) => {
            for msg in is_valid_port_name(name) {
                errs.push(FieldError::invalid(path, Value::String(name.clone()), msg));
            }
        }
        other => {
            let n = other.and_then(Value::as_i64).unwrap_or(0);
            for msg in is_valid_port_num(n) {
                errs.push(FieldError::invalid(path, Value::from(n), msg));
            }
        }
    }
}

fn is_standard_container_resource(name: &str) -> bool {
    matches!(name, "cpu" | "memory" | "ephemeral-storage") || name.starts_with("hugepages-")
}

fn is_overcommit_allowed(name: &str) -> bool {
    let native = !name.contains('/') || name.starts_with("kubernetes.io/");
    native && !name.starts_with("hugepages-")
}

/// `ValidateResourceRequirements` for a container.
fn validate_resources(r: &Value, path: &str, errs: &mut Vec<FieldError>) {
    let lim_path = child(path, "limits");
    let req_path = child(path, "requests");
    let limits = get_obj(r, "limits");
    for (name, q) in sorted(limits) {
        let p = key(&lim_path, name);
        validate_resource_name(name, &p, errs);
        validate_quantity_value(q, &p, errs);
    }
    for (name, q) in sorted(get_obj(r, "requests")) {
        let p = key(&req_path, name);
        validate_resource_name(name, &p, errs);
        validate_quantity_value(q, &p, errs);
        let request = quantity_text(q);
        match limits.and_then(|l| l.get(name)) {
            Some(limit) => {
                let limit_text = quantity_text(limit);
                let (Some(rq), Some(lq)) = (parse_quantity(&request), parse_quantity(&limit_text))
                else {
                    continue;
                };
                if rq != lq && !is_overcommit_allowed(name) {
                    errs.push(FieldError::invalid(
                        &req_path,
                        Value::String(request.clone()),
                        format!("must be equal to {name} limit of {limit_text}"),
                    ));
                } else if rq > lq {
                    errs.push(FieldError::invalid(
                        &req_path,
                        Value::String(request.clone()),
                        format!("must be less than or equal to {name} limit of {limit_text}"),
                    ));
                }
            }
            None if !is_overcommit_allowed(name) => errs.push(FieldError::required(
                &lim_path,
                "Limit must be set for non overcommitable resources",
            )),
            None => {}
        }
    }
}

fn validate_resource_name(name: &str, path: &str, errs: &mut Vec<FieldError>) {
    if !name.contains('/') && !is_standard_container_resource(name) {
        errs.push(FieldError::invalid(
            path,
            Value::String(name.to_string()),
            "must be a standard resource for containers",
        ));
    }
}

fn validate_quantity_value(q: &Value, path: &str, errs: &mut Vec<FieldError>) {
    let text = quantity_text(q);
    if parse_quantity(&text).is_some_and(|v| v < 0.0) {
        errs.push(FieldError::invalid(
            path,
            Value::String(text),
            "must be greater than or equal to 0",
        ));
    }
}

/// A quantity as written; JSON numbers are accepted like the Go decoder does.
fn quantity_text(q: &Value) -> String {
    match q {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// Parses a `resource.Quantity` string to its numeric value (close enough to compare
/// requests with limits).
pub(super) fn parse_quantity(s: &str) -> Option<f64> {
    let s = s.trim();
    let num_end = s
        .char_indices()
        .find(|(i, c)| !(c.is_ascii_digit() || *c == '.' || (*i == 0 && (*c == '+' || *c == '-'))))
        .map_or(s.len(), |(i, _)| i);
    let (num, suffix) = s.split_at(num_end);
    let base: f64 = num.parse().ok()?;
    let mult = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        exp if exp.starts_with(['e', 'E']) => 10f64.powi(exp[1..].parse::<i32>().ok()?),
        _ => return None,
    };
    Some(base * mult)
}

#[cfg(test)]
mod tests {
    use super::super::{validate, validate_update};
    use super::*;
    use crate::defaults::apply_defaults;
    use serde_json::json;

    fn defaulted_pod(spec: Value) -> Value {
        let mut pod = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "namespace": "default"}, "spec": spec});
        apply_defaults("", "v1", "Pod", &mut pod);
        pod
    }

    fn msgs(errs: &[FieldError]) -> Vec<String> {
        errs.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn valid_pod_passes() {
        let pod = defaulted_pod(json!({"containers": [{"name": "web", "image": "nginx",
            "ports": [{"containerPort": 80, "name": "http"}],
            "env": [{"name": "A", "value": "1"}],
            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
            "livenessProbe": {"httpGet": {"port": "http"}},
            "resources": {"requests": {"cpu": "100m"}, "limits": {"cpu": "1", "memory": "1Gi"}}}],
            "volumes": [{"name": "data"}]}));
        assert!(
            validate("Pod", &pod).is_empty(),
            "{:?}",
            validate("Pod", &pod)
        );
    }

    #[test]
    fn containers_required() {
        let pod = defaulted_pod(json!({}));
        assert_eq!(
            msgs(&validate("Pod", &pod)),
            vec!["spec.containers: Required value"]
        );
    }

    #[test]
    fn container_name_and_image() {
        let pod = defaulted_pod(json!({"containers": [
            {"name": "Web", "image": "nginx"}, {"image": "nginx"}, {"name": "a", "image": "x"},
            {"name": "a"}]}));
        assert_eq!(
            msgs(&validate("Pod", &pod)),
            vec![
                "spec.containers[0].name: Invalid value: \"Web\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
                "spec.containers[1].name: Required value",
                "spec.containers[3].image: Required value",
                "spec.containers[3].name: Duplicate value: \"a\"",
            ]
        );
    }

    #[test]
    fn ports() {
        let pod = defaulted_pod(json!({"containers": [{"name": "a", "image": "x", "ports": [
            {"containerPort": 70000}, {"containerPort": 0}, {"containerPort": 80, "protocol": "HTTP"},
            {"containerPort": 81, "name": "Web"}, {"containerPort": 82, "name": "web"},
            {"containerPort": 83, "name": "web"}]}]}));
        assert_eq!(
            msgs(&validate("Pod", &pod)),
            vec![
                "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
                "spec.containers[0].ports[1].containerPort: Required value",
                "spec.containers[0].ports[2].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
                "spec.containers[0].ports[3].name: Invalid value: \"Web\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                "spec.containers[0].ports[5].name: Duplicate value: \"web\"",
            ]
        );
    }

    #[test]
    fn restart_and_dns_policy() {
        let pod = defaulted_pod(json!({"restartPolicy": "Sometimes", "dnsPolicy": "Google",
            "containers": [{"name": "a", "image": "x"}]}));
        assert_eq!(
            msgs(&validate("Pod", &pod)),
            vec![
                "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"",
                "spec.dnsPolicy: Unsupported value: \"Google\": supported values: \"ClusterFirst\", \"ClusterFirstWithHostNet\", \"Default\", \"None\"",
            ]
        );
    }

    #[test]
    fn requests_must_not_exceed_limits() {
        let pod = defaulted_pod(json!({"containers": [{"name": "a", "image": "x",
            "resources": {"requests": {"cpu": "2", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}}}]}));
        assert_eq!(
            msgs(&validate("Pod", &pod)),
            vec!["spec.containers[0].resources.requests: Invalid value: \"2\": must be less than or equal to cpu limit of 1"]
        );
        let pod = defaulted_pod(json!({"containers": [{"name": "a", "image": "x",
            "resources": {"requests": {"cpu": "-1", "gpu": "1"}}}]}));
        assert_eq!(
            msgs(&validate("Pod", &pod)),
            vec![
                "spec.containers[0].resources.requests[cpu]: Invalid value: \"-1\": must be greater than or equal to 0",
                "spec.containers[0].resources.requests[gpu]: Invalid value: \"gpu\": must be a standard resource for containers",
            ]
        );
    }

    #[test]
    fn probes_volumes_env() {
        let pod = defaulted_pod(json!({"containers": [{"name": "a", "image": "x",
            "livenessProbe": {"successThreshold": 2, "exec": {"command": ["true"]}},
            "readinessProbe": {"periodSeconds": 5},
            "env": [{"name": "A=B"}],
            "volumeMounts": [{"name": "missing", "mountPath": "/m"}]}]}));
        assert_eq!(
            msgs(&validate("Pod", &pod)),
            vec![
                "spec.containers[0].env[0].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='",
                "spec.containers[0].volumeMounts[0].name: Not found: \"missing\"",
                "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1",
                "spec.containers[0].readinessProbe: Required value: must specify a handler type",
            ]
        );
    }

    #[test]
    fn init_containers() {
        let pod = defaulted_pod(json!({"initContainers": [{"name": "a", "image": "x",
            "readinessProbe": {"exec": {"command": ["true"]}}}],
            "containers": [{"name": "a", "image": "x"}]}));
        assert_eq!(
            msgs(&validate("Pod", &pod)),
            vec![
                "spec.initContainers[0].name: Duplicate value: \"a\"",
                "spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always",
            ]
        );
    }

    #[test]
    fn pod_update_only_images() {
        let old = defaulted_pod(json!({"containers": [{"name": "a", "image": "x:1"}]}));
        let mut new = old.clone();
        new["spec"]["containers"][0]["image"] = json!("x:2");
        new["spec"]["activeDeadlineSeconds"] = json!(30);
        assert!(validate_update("Pod", &new, &old).is_empty());
        new["spec"]["containers"][0]["ports"] = json!([{"containerPort": 80, "protocol": "TCP"}]);
        assert_eq!(
            msgs(&validate_update("Pod", &new, &old)),
            vec![format!("spec: Forbidden: pod updates may not change fields other than {UPDATABLE_POD_SPEC_FIELDS}")]
        );
        let mut more = old.clone();
        more["spec"]["containers"] = json!([{"name": "a", "image": "x:1", "imagePullPolicy": "Always",
            "terminationMessagePolicy": "File"}, {"name": "b", "image": "y", "imagePullPolicy": "Always",
            "terminationMessagePolicy": "File"}]);
        assert_eq!(
            msgs(&validate_update("Pod", &more, &old)),
            vec!["spec.containers: Forbidden: pod updates may not add or remove containers"]
        );
    }

    #[test]
    fn quantities() {
        assert_eq!(parse_quantity("100m"), Some(0.1));
        assert_eq!(parse_quantity("1Gi"), Some(1073741824.0));
        assert_eq!(parse_quantity("1e3"), Some(1000.0));
        assert_eq!(parse_quantity("-2"), Some(-2.0));
        assert_eq!(parse_quantity("abc"), None);
        assert!(parse_quantity("512Mi") < parse_quantity("1G"));
    }
}
