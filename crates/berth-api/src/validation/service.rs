//! Service validation (pkg/apis/core/validation `ValidateService`, v1.33).

use std::collections::HashSet;
use std::net::IpAddr;

use serde_json::Value;

use super::{
    child, get_arr, get_i64, get_obj, get_str, go_quote, go_repr, index, is_dns1123_label,
    is_dns1123_subdomain, is_qualified_name, is_valid_port_num, pod, validate_labels, FieldError,
};

/// The cluster IPs a Service has or will have: `clusterIPs`, or `[clusterIP]` when only
/// the singular field is set (the REST layer normalises them the same way).
fn cluster_ips(spec: &Value) -> Vec<String> {
    let ips: Vec<String> = get_arr(spec, "clusterIPs")
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    if ips.is_empty() && !get_str(spec, "clusterIP").is_empty() {
        return vec![get_str(spec, "clusterIP").to_string()];
    }
    ips
}

fn is_headless(spec: &Value) -> bool {
    cluster_ips(spec).first().is_some_and(|ip| ip == "None")
}

/// `[]string{...}` as Go prints it.
fn string_slice_value(ips: &[String]) -> Value {
    let items: Vec<String> = ips.iter().map(|s| go_quote(s)).collect();
    go_repr(format!("[]string{{{}}}", items.join(", ")))
}

/// `ValidateService` (spec part).
pub(super) fn validate_service(obj: &Value) -> Vec<FieldError> {
    let spec = obj.get("spec").unwrap_or(&Value::Null);
    let mut errs = Vec::new();
    let ty = get_str(spec, "type");
    let ips = cluster_ips(spec);
    let headless = is_headless(spec);
    let ports = get_arr(spec, "ports");
    if ports.is_empty() && !headless && ty != "ExternalName" {
        errs.push(FieldError::required("spec.ports", ""));
    }
    match ty {
        "LoadBalancer" | "NodePort" if headless => errs.push(FieldError::invalid(
            "spec.clusterIPs[0]",
            Value::String("None".into()),
            format!("may not be set to 'None' for {ty} services"),
        )),
        "ExternalName" => {
            if !ips.is_empty() {
                errs.push(FieldError::forbidden(
                    "spec.clusterIPs",
                    "may not be set for ExternalName services",
                ));
            }
            if !get_arr(spec, "ipFamilies").is_empty() {
                errs.push(FieldError::forbidden(
                    "spec.ipFamilies",
                    "may not be set for ExternalName services",
                ));
            }
            if spec.get("ipFamilyPolicy").is_some_and(|p| !p.is_null()) {
                errs.push(FieldError::forbidden(
                    "spec.ipFamilyPolicy",
                    "may not be set for ExternalName services",
                ));
            }
            let cname = get_str(spec, "externalName");
            let cname = cname.strip_suffix('.').unwrap_or(cname);
            if cname.is_empty() {
                errs.push(FieldError::required("spec.externalName", ""));
            } else {
                for msg in is_dns1123_subdomain(cname) {
                    errs.push(FieldError::invalid(
                        "spec.externalName",
                        Value::String(cname.to_string()),
                        msg,
                    ));
                }
            }
        }
        _ => {}
    }

    let mut names = HashSet::new();
    for (i, port) in ports.iter().enumerate() {
        let p = index("spec.ports", i);
        let name = get_str(port, "name");
        if ports.len() > 1 && name.is_empty() {
            errs.push(FieldError::required(child(&p, "name"), ""));
        } else if !name.is_empty() {
            for msg in is_dns1123_label(name) {
                errs.push(FieldError::invalid(
                    child(&p, "name"),
                    Value::String(name.to_string()),
                    msg,
                ));
            }
            if !names.insert(name) {
                errs.push(FieldError::duplicate(
                    child(&p, "name"),
                    Value::String(name.to_string()),
                ));
            }
        }
        let number = get_i64(port, "port").unwrap_or(0);
        for msg in is_valid_port_num(number) {
            errs.push(FieldError::invalid(
                child(&p, "port"),
                Value::from(number),
                msg,
            ));
        }
        pod::validate_protocol(get_str(port, "protocol"), &child(&p, "protocol"), &mut errs);
        pod::validate_port_num_or_name(port.get("targetPort"), &child(&p, "targetPort"), &mut errs);
        if let Some(app) = port.get("appProtocol").and_then(Value::as_str) {
            for msg in is_qualified_name(app) {
                errs.push(FieldError::invalid(
                    child(&p, "appProtocol"),
                    Value::String(app.to_string()),
                    msg,
                ));
            }
        }
    }

    errs.extend(validate_labels(get_obj(spec, "selector"), "spec.selector"));

    match get_str(spec, "sessionAffinity") {
        "" => errs.push(FieldError::required("spec.sessionAffinity", "")),
        "ClientIP" | "None" => {}
        other => errs.push(FieldError::not_supported(
            "spec.sessionAffinity",
            Value::String(other.to_string()),
            &["ClientIP", "None"],
        )),
    }

    match ty {
        "" => errs.push(FieldError::required("spec.type", "")),
        "ClusterIP" | "ExternalName" | "LoadBalancer" | "NodePort" => {}
        other => errs.push(FieldError::not_supported(
            "spec.type",
            Value::String(other.to_string()),
            &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"],
        )),
    }

    if ty == "ClusterIP" {
        for (i, port) in ports.iter().enumerate() {
            if get_i64(port, "nodePort").unwrap_or(0) != 0 {
                errs.push(FieldError::forbidden(
                    child(&index("spec.ports", i), "nodePort"),
                    "may not be used when `type` is 'ClusterIP'",
                ));
            }
        }
    }

    let mut node_ports = HashSet::new();
    for (i, port) in ports.iter().enumerate() {
        let node_port = get_i64(port, "nodePort").unwrap_or(0);
        if node_port != 0 && !node_ports.insert((get_str(port, "protocol"), node_port)) {
            errs.push(FieldError::duplicate(
                child(&index("spec.ports", i), "nodePort"),
                Value::from(node_port),
            ));
        }
    }
    let mut seen_ports = HashSet::new();
    for (i, port) in ports.iter().enumerate() {
        let protocol = get_str(port, "protocol");
        let number = get_i64(port, "port").unwrap_or(0);
        if !seen_ports.insert((protocol, number)) {
            errs.push(FieldError::duplicate(
                index("spec.ports", i),
                go_repr(format!(
                    "core.ServicePort{{Name:\"\", Protocol:{}, AppProtocol:(*string)(nil), Port:{number}, TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:\"\"}}, NodePort:0}}",
                    go_quote(protocol)
                )),
            ));
        }
    }

    if ty != "ExternalName" {
        validate_cluster_ip_fields(spec, &ips, &mut errs);
    }
    errs
}

/// `ValidateServiceClusterIPsRelatedFields` (the single-family parts).
fn validate_cluster_ip_fields(spec: &Value, ips: &[String], errs: &mut Vec<FieldError>) {
    let cluster_ip = get_str(spec, "clusterIP");
    let explicit_ips = get_arr(spec, "clusterIPs");
    if !cluster_ip.is_empty() {
        if let Some(first) = explicit_ips.first().and_then(Value::as_str) {
            if first != cluster_ip {
                errs.push(FieldError::invalid(
                    "spec.clusterIPs",
                    string_slice_value(ips),
                    "first value must match `clusterIP`",
                ));
            }
        }
    } else if !explicit_ips.is_empty() {
        errs.push(FieldError::invalid(
            "spec.clusterIPs",
            string_slice_value(ips),
            "must be empty when `clusterIP` is not specified",
        ));
    }
    let mut families = HashSet::new();
    for (i, f) in get_arr(spec, "ipFamilies").iter().enumerate() {
        let f = f.as_str().unwrap_or_default();
        if f != "IPv4" && f != "IPv6" {
            errs.push(FieldError::not_supported(
                index("spec.ipFamilies", i),
                Value::String(f.to_string()),
                &["IPv4", "IPv6"],
            ));
        }
        if !families.insert(f) {
            errs.push(FieldError::duplicate(
                index("spec.ipFamilies", i),
                Value::String(f.to_string()),
            ));
        }
    }
    if let Some(policy) = spec.get("ipFamilyPolicy").and_then(Value::as_str) {
        if !matches!(
            policy,
            "SingleStack" | "PreferDualStack" | "RequireDualStack"
        ) {
            errs.push(FieldError::not_supported(
                "spec.ipFamilyPolicy",
                Value::String(policy.to_string()),
                &["PreferDualStack", "RequireDualStack", "SingleStack"],
            ));
        }
    }
    for (i, ip) in ips.iter().enumerate() {
        if i == 0 && ip == "None" {
            if ips.len() > 1 {
                errs.push(FieldError::invalid(
                    "spec.clusterIPs",
                    string_slice_value(ips),
                    "'None' must be the first and only value",
                ));
            }
            continue;
        }
        if ip.parse::<IpAddr>().is_err() {
            errs.push(FieldError::invalid(
                index("spec.clusterIPs", i),
                Value::String(ip.clone()),
                "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
            ));
        }
    }
}

/// `ValidateServiceUpdate`: cluster IPs may not change once set, except to or from
/// ExternalName or between headless forms.
///
/// When the new object carries no cluster IP at all (as `kubectl apply` of a manifest
/// without one sends), it is taken as keeping the old ones, which is what upstream's
/// REST layer does before validating (`patchAllocatedValues`); the caller should copy
/// them into the stored object likewise.
pub(super) fn validate_service_update(obj: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let spec = obj.get("spec").unwrap_or(&Value::Null);
    let old_spec = old.get("spec").unwrap_or(&Value::Null);
    let ty = get_str(spec, "type");
    let old_ty = get_str(old_spec, "type");
    let mut new_ips = cluster_ips(spec);
    let old_ips = cluster_ips(old_spec);
    let mut patched = obj.clone();
    if new_ips.is_empty() && ty != "ExternalName" && old_ty != "ExternalName" {
        new_ips = old_ips.clone();
        if let Some(s) = patched.get_mut("spec").and_then(Value::as_object_mut) {
            if let Some(ip) = old_spec.get("clusterIP") {
                s.insert("clusterIP".into(), ip.clone());
            }
            if let Some(ips) = old_spec.get("clusterIPs") {
                s.insert("clusterIPs".into(), ips.clone());
            }
        }
    }
    let both_headless = old_ips.first().is_some_and(|i| i == "None")
        && new_ips.first().is_some_and(|i| i == "None");
    if ty != "ExternalName" && old_ty != "ExternalName" && !both_headless {
        if new_ips.len() == old_ips.len() {
            for (i, (o, n)) in old_ips.iter().zip(&new_ips).enumerate() {
                if o != n {
                    errs.push(FieldError::invalid(
                        index("spec.clusterIPs", i),
                        string_slice_value(&new_ips),
                        "may not change once set",
                    ));
                }
            }
        } else if new_ips.is_empty() {
            errs.push(FieldError::invalid(
                "spec.clusterIPs[0]",
                string_slice_value(&new_ips),
                "primary clusterIP can not be unset",
            ));
        } else if old_ips.first() != new_ips.first() && !old_ips.is_empty() {
            errs.push(FieldError::invalid(
                "spec.clusterIPs[0]",
                string_slice_value(&new_ips),
                "may not change once set",
            ));
        }
    }
    errs.extend(validate_service(&patched));
    errs
}

#[cfg(test)]
mod tests {
    use super::super::{validate, validate_update, FieldError};
    use crate::defaults::apply_defaults;
    use serde_json::{json, Value};

    fn msgs(errs: &[FieldError]) -> Vec<String> {
        errs.iter().map(ToString::to_string).collect()
    }

    fn service(spec: Value) -> Value {
        let mut s = json!({"metadata": {"name": "web", "namespace": "default"}, "spec": spec});
        apply_defaults("", "v1", "Service", &mut s);
        s
    }

    #[test]
    fn valid_services() {
        for spec in [
            json!({"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}),
            json!({"type": "NodePort", "ports": [{"name": "http", "port": 80, "nodePort": 30080},
                {"name": "https", "port": 443}]}),
            json!({"clusterIP": "None", "selector": {"app": "db"}}),
            json!({"type": "ExternalName", "externalName": "example.com."}),
            json!({"clusterIP": "10.96.0.10", "ports": [{"port": 53, "protocol": "UDP"}]}),
        ] {
            let s = service(spec);
            assert!(
                validate("Service", &s).is_empty(),
                "{:?}",
                validate("Service", &s)
            );
        }
    }

    #[test]
    fn service_name_is_dns1035() {
        let mut s = service(json!({"ports": [{"port": 80}]}));
        s["metadata"]["name"] = json!("1web");
        assert!(msgs(&validate("Service", &s))[0].starts_with(
            "metadata.name: Invalid value: \"1web\": a DNS-1035 label must consist of"
        ));
    }

    #[test]
    fn ports() {
        let s = service(
            json!({"ports": [{"port": 80}, {"port": 0, "name": "b", "protocol": "HTTP"},
            {"port": 81, "name": "b", "targetPort": 70000}, {"port": 82, "name": "c", "nodePort": 30001}]}),
        );
        assert_eq!(
            msgs(&validate("Service", &s)),
            vec![
                "spec.ports[0].name: Required value",
                "spec.ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive",
                "spec.ports[1].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
                "spec.ports[1].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive",
                "spec.ports[2].name: Duplicate value: \"b\"",
                "spec.ports[2].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
                "spec.ports[3].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
            ]
        );
        let dup = service(json!({"ports": [{"name": "a", "port": 80}, {"name": "b", "port": 80}]}));
        assert_eq!(
            msgs(&validate("Service", &dup)),
            vec!["spec.ports[1]: Duplicate value: core.ServicePort{Name:\"\", Protocol:\"TCP\", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}"]
        );
        let none = service(json!({"selector": {"app": "x"}}));
        assert_eq!(
            msgs(&validate("Service", &none)),
            vec!["spec.ports: Required value"]
        );
    }

    #[test]
    fn types_external_name_and_cluster_ip() {
        let s = service(json!({"type": "Magic", "ports": [{"port": 80}]}));
        assert_eq!(
            msgs(&validate("Service", &s)),
            vec!["spec.type: Unsupported value: \"Magic\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\""]
        );
        let s = service(json!({"type": "ExternalName"}));
        assert_eq!(
            msgs(&validate("Service", &s)),
            vec!["spec.externalName: Required value"]
        );
        let s = service(json!({"clusterIP": "10.96.0.300", "ports": [{"port": 80}]}));
        assert_eq!(
            msgs(&validate("Service", &s)),
            vec!["spec.clusterIPs[0]: Invalid value: \"10.96.0.300\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"]
        );
        let s = service(json!({"type": "NodePort", "clusterIP": "None", "ports": [{"port": 80}]}));
        assert_eq!(
            msgs(&validate("Service", &s)),
            vec!["spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services"]
        );
    }

    #[test]
    fn cluster_ip_may_not_change() {
        let old = service(json!({"clusterIP": "10.96.0.5", "ports": [{"port": 80}]}));
        let mut new = old.clone();
        new["spec"]["clusterIP"] = json!("10.96.0.6");
        new["spec"]["clusterIPs"] = json!(["10.96.0.6"]);
        assert_eq!(
            msgs(&validate_update("Service", &new, &old)),
            vec!["spec.clusterIPs[0]: Invalid value: []string{\"10.96.0.6\"}: may not change once set"]
        );
        // Omitting the IP keeps it (kubectl apply of a manifest without clusterIP).
        let mut omitted = old.clone();
        if let Some(s) = omitted["spec"].as_object_mut() {
            s.remove("clusterIP");
            s.remove("clusterIPs");
        }
        assert!(validate_update("Service", &omitted, &old).is_empty());
        // Switching to ExternalName drops the IPs.
        let to_external =
            service(json!({"type": "ExternalName", "externalName": "db.example.com"}));
        let mut to_external = to_external;
        to_external["metadata"] = old["metadata"].clone();
        assert!(validate_update("Service", &to_external, &old).is_empty());
    }
}
