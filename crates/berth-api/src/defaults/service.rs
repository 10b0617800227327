//! Defaults for core/v1 Service, including the IP-family fields upstream's REST storage fills.

use serde_json::{json, Value};

use super::{child, child_or_insert, default_str, default_value, each, is_unset, Obj};

/// `SetDefaults_Service`, then what `pkg/registry/core/service/storage` does before
/// allocation on a single-stack IPv4 cluster: `clusterIPs` from `clusterIP`,
/// `ipFamilyPolicy` and `ipFamilies`.
pub(super) fn service(o: &mut Obj) {
    let Some(spec) = child(o, "spec") else {
        return;
    };
    default_str(spec, "sessionAffinity", "None");
    match spec.get("sessionAffinity").and_then(Value::as_str) {
        Some("None") => {
            spec.remove("sessionAffinityConfig");
        }
        Some("ClientIP") => {
            let has_timeout = spec
                .get("sessionAffinityConfig")
                .and_then(|c| c.get("clientIP"))
                .and_then(|c| c.get("timeoutSeconds"))
                .is_some_and(|t| !t.is_null());
            if !has_timeout {
                spec.insert(
                    "sessionAffinityConfig".into(),
                    json!({"clientIP": {"timeoutSeconds": 10800}}),
                );
            }
        }
        _ => {}
    }
    default_str(spec, "type", "ClusterIP");
    for p in each(spec, "ports") {
        default_str(p, "protocol", "TCP");
        let unset_target = match p.get("targetPort") {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.is_empty(),
            Some(Value::Number(n)) => n.as_i64() == Some(0),
            _ => false,
        };
        if unset_target {
            if let Some(port) = p.get("port").cloned() {
                p.insert("targetPort".into(), port);
            }
        }
    }
    let ty = spec
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let has_external_ips = spec
        .get("externalIPs")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty());
    let externally_accessible =
        ty == "LoadBalancer" || ty == "NodePort" || (ty == "ClusterIP" && has_external_ips);
    if externally_accessible {
        default_str(spec, "externalTrafficPolicy", "Cluster");
    }
    if matches!(ty.as_str(), "NodePort" | "LoadBalancer" | "ClusterIP") {
        default_value(spec, "internalTrafficPolicy", json!("Cluster"));
    }
    if ty == "LoadBalancer" {
        default_value(spec, "allocateLoadBalancerNodePorts", json!(true));
    }
    if ty != "ExternalName" {
        ip_family_fields(spec);
    }
    // `status.loadBalancer` is a non-pointer struct upstream and always serialised.
    if let Some(status) = child_or_insert(o, "status") {
        default_value(status, "loadBalancer", json!({}));
    }
}

/// `normalizeClusterIPs` and `initIPFamilyFields` for a create on an IPv4 cluster.
fn ip_family_fields(spec: &mut Obj) {
    let cluster_ip = spec
        .get("clusterIP")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let no_cluster_ips = spec
        .get("clusterIPs")
        .and_then(Value::as_array)
        .is_none_or(|a| a.is_empty());
    if !cluster_ip.is_empty() && no_cluster_ips {
        spec.insert("clusterIPs".into(), json!([cluster_ip]));
    }
    let selectorless = spec
        .get("selector")
        .and_then(Value::as_object)
        .is_none_or(|s| s.is_empty());
    let headless_selectorless = cluster_ip == "None" && selectorless;
    if is_unset(spec.get("ipFamilyPolicy")) {
        let policy = if headless_selectorless {
            "RequireDualStack"
        } else {
            "SingleStack"
        };
        spec.insert("ipFamilyPolicy".into(), json!(policy));
    }
    let policy = spec
        .get("ipFamilyPolicy")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let mut families: Vec<Value> = spec
        .get("ipFamilies")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    // Families follow the given cluster IPs, then the cluster's default family.
    if let Some(ips) = spec.get("clusterIPs").and_then(Value::as_array) {
        for (i, ip) in ips.iter().enumerate() {
            let Some(ip) = ip.as_str() else { break };
            if ip == "None" {
                break;
            }
            if i >= families.len() {
                let family = if ip.contains(':') { "IPv6" } else { "IPv4" };
                families.push(json!(family));
            }
        }
    }
    if families.is_empty() {
        families.push(json!("IPv4"));
    }
    // Only headless selectorless services get a second family on a single-stack cluster.
    if headless_selectorless && families.len() < 2 && policy != "SingleStack" {
        let other = if families[0] == json!("IPv4") {
            "IPv6"
        } else {
            "IPv4"
        };
        families.push(json!(other));
    }
    spec.insert("ipFamilies".into(), Value::Array(families));
}

#[cfg(test)]
mod tests {
    use super::super::apply_defaults;
    use serde_json::json;

    /// `kubectl create service clusterip web --tcp=80:8080 --dry-run=server -o yaml`
    /// on v1.33, minus the allocated clusterIP.
    #[test]
    fn cluster_ip_service() {
        let mut s = json!({"metadata": {"name": "web"}, "spec": {
            "selector": {"app": "web"}, "ports": [{"name": "80-8080", "port": 80, "targetPort": 8080}]}});
        apply_defaults("", "v1", "Service", &mut s);
        assert_eq!(
            s["spec"],
            json!({
                "selector": {"app": "web"},
                "ports": [{"name": "80-8080", "port": 80, "targetPort": 8080, "protocol": "TCP"}],
                "sessionAffinity": "None",
                "type": "ClusterIP",
                "internalTrafficPolicy": "Cluster",
                "ipFamilyPolicy": "SingleStack",
                "ipFamilies": ["IPv4"]
            })
        );
        assert_eq!(s["status"], json!({"loadBalancer": {}}));
    }

    #[test]
    fn target_port_defaults_to_port_and_named_target_is_kept() {
        let mut s = json!({"spec": {"ports": [{"port": 80}, {"port": 81, "targetPort": 0},
            {"port": 82, "targetPort": ""}, {"port": 83, "targetPort": "http"}]}});
        apply_defaults("", "v1", "Service", &mut s);
        let p = &s["spec"]["ports"];
        assert_eq!(p[0]["targetPort"], 80);
        assert_eq!(p[1]["targetPort"], 81);
        assert_eq!(p[2]["targetPort"], 82);
        assert_eq!(p[3]["targetPort"], "http");
    }

    #[test]
    fn node_port_and_load_balancer() {
        let mut np = json!({"spec": {"type": "NodePort", "ports": [{"port": 80}]}});
        apply_defaults("", "v1", "Service", &mut np);
        assert_eq!(np["spec"]["externalTrafficPolicy"], "Cluster");
        assert_eq!(np["spec"]["internalTrafficPolicy"], "Cluster");
        assert!(np["spec"].get("allocateLoadBalancerNodePorts").is_none());
        let mut lb = json!({"spec": {"type": "LoadBalancer", "ports": [{"port": 80}]}});
        apply_defaults("", "v1", "Service", &mut lb);
        assert_eq!(lb["spec"]["externalTrafficPolicy"], "Cluster");
        assert_eq!(lb["spec"]["allocateLoadBalancerNodePorts"], true);
        let mut ext = json!({"spec": {"externalIPs": ["1.2.3.4"], "ports": [{"port": 80}]}});
        apply_defaults("", "v1", "Service", &mut ext);
        assert_eq!(ext["spec"]["externalTrafficPolicy"], "Cluster");
    }

    #[test]
    fn external_name_gets_no_ip_fields() {
        let mut s = json!({"spec": {"type": "ExternalName", "externalName": "example.com"}});
        apply_defaults("", "v1", "Service", &mut s);
        let spec = &s["spec"];
        assert!(spec.get("ipFamilyPolicy").is_none());
        assert!(spec.get("ipFamilies").is_none());
        assert!(spec.get("internalTrafficPolicy").is_none());
        assert_eq!(spec["sessionAffinity"], "None");
    }

    #[test]
    fn headless_services() {
        let mut with_selector = json!({"spec": {"clusterIP": "None", "selector": {"app": "db"}}});
        apply_defaults("", "v1", "Service", &mut with_selector);
        assert_eq!(with_selector["spec"]["clusterIPs"], json!(["None"]));
        assert_eq!(with_selector["spec"]["ipFamilyPolicy"], "SingleStack");
        assert_eq!(with_selector["spec"]["ipFamilies"], json!(["IPv4"]));
        let mut selectorless = json!({"spec": {"clusterIP": "None"}});
        apply_defaults("", "v1", "Service", &mut selectorless);
        assert_eq!(selectorless["spec"]["ipFamilyPolicy"], "RequireDualStack");
        assert_eq!(selectorless["spec"]["ipFamilies"], json!(["IPv4", "IPv6"]));
    }

    #[test]
    fn explicit_cluster_ip_and_session_affinity() {
        let mut s = json!({"spec": {"clusterIP": "10.96.0.10", "sessionAffinity": "ClientIP",
            "ports": [{"port": 53, "protocol": "UDP"}]}});
        apply_defaults("", "v1", "Service", &mut s);
        assert_eq!(s["spec"]["clusterIPs"], json!(["10.96.0.10"]));
        assert_eq!(
            s["spec"]["sessionAffinityConfig"],
            json!({"clientIP": {"timeoutSeconds": 10800}})
        );
        assert_eq!(s["spec"]["ports"][0]["protocol"], "UDP");
        let mut none =
            json!({"spec": {"sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 5}}}});
        apply_defaults("", "v1", "Service", &mut none);
        assert!(none["spec"].get("sessionAffinityConfig").is_none());
    }
}
