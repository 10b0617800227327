//! Endpoints and EndpointSlices of services, as kubectl shows them: addresses follow pod
//! readiness and deletion, named target ports resolve per pod, selectorless services are
//! left to their users, and everything goes with the service.

mod common;

use common::{eventually, Server, KUBECTL_OLD};
use serde_json::Value;

const SERVICE: &str = r#"
apiVersion: v1
kind: Service
metadata: {name: web, labels: {tier: front}}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: manual}
spec:
  ports: [{port: 80}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: manual}
subsets: [{addresses: [{ip: 192.0.2.10}], ports: [{port: 80}]}]
"#;

fn pod(name: &str, port: u16) -> String {
    format!(
        r#"
apiVersion: v1
kind: Pod
metadata: {{name: {name}, labels: {{app: web}}}}
spec:
  containers: [{{name: c, image: nginx, ports: [{{name: http, containerPort: {port}}}]}}]
"#
    )
}

/// The current time as the API writes it.
fn now() -> String {
    let o = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .expect("date");
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// Plays kubelet for a pod: gives it an IP and a Ready condition.
fn set_status(s: &Server, name: &str, ip: &str, ready: bool) {
    let patch = serde_json::json!({"status": {
        "phase": "Running",
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"}, "lastTransitionTime": now()}],
    }});
    s.k(&[
        "patch",
        "pod",
        name,
        "--subresource=status",
        "--type=merge",
        "-p",
        &patch.to_string(),
    ]);
}

fn apply(s: &Server, yaml: &str) {
    let o = s.k_stdin(&["apply", "-f", "-"], yaml);
    assert!(
        o.status.success(),
        "apply failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// (ip:port) pairs of the ready and the not-ready addresses of an Endpoints object.
fn endpoint_pairs(ep: &Value) -> (Vec<String>, Vec<String>) {
    let mut ready = Vec::new();
    let mut not_ready = Vec::new();
    for subset in ep["subsets"].as_array().into_iter().flatten() {
        for port in subset["ports"].as_array().into_iter().flatten() {
            let p = &port["port"];
            for a in subset["addresses"].as_array().into_iter().flatten() {
                ready.push(format!("{}:{}", a["ip"].as_str().unwrap_or(""), p));
            }
            for a in subset["notReadyAddresses"].as_array().into_iter().flatten() {
                not_ready.push(format!("{}:{}", a["ip"].as_str().unwrap_or(""), p));
            }
        }
    }
    ready.sort();
    not_ready.sort();
    (ready, not_ready)
}

fn get_endpoints(s: &Server, name: &str) -> Option<Value> {
    let o = s.kubectl_with(
        common::KUBECTL_NEW,
        &["get", "endpoints", name, "-o", "json"],
    );
    if !o.status.success() {
        return None;
    }
    serde_json::from_slice(&o.stdout).ok()
}

/// Every endpoint of the service's slices as (ip:port, ready, serving, terminating).
fn slice_endpoints(s: &Server, svc: &str) -> Vec<(String, bool, bool, bool)> {
    let list = s.kj(&[
        "get",
        "endpointslices",
        "-l",
        &format!("kubernetes.io/service-name={svc}"),
    ]);
    let mut out = Vec::new();
    for es in list["items"].as_array().into_iter().flatten() {
        for port in es["ports"].as_array().into_iter().flatten() {
            for e in es["endpoints"].as_array().into_iter().flatten() {
                let c = &e["conditions"];
                out.push((
                    format!(
                        "{}:{}",
                        e["addresses"][0].as_str().unwrap_or(""),
                        port["port"]
                    ),
                    c["ready"] == true,
                    c["serving"] == true,
                    c["terminating"] == true,
                ));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn endpoints_follow_pod_readiness_and_deletion() {
    let s = Server::start();
    apply(&s, SERVICE);
    apply(&s, &pod("web-a", 8080));
    apply(&s, &pod("web-b", 8080));
    apply(&s, &pod("web-c", 9090));
    set_status(&s, "web-a", "10.244.0.5", true);
    set_status(&s, "web-b", "10.244.1.7", true);
    set_status(&s, "web-c", "10.244.0.9", false);

    // Named target port resolved per pod; not-ready pods listed apart.
    let want_ready = vec!["10.244.0.5:8080".to_string(), "10.244.1.7:8080".into()];
    let want_not_ready = vec!["10.244.0.9:9090".to_string()];
    assert!(
        eventually(20, || get_endpoints(&s, "web").is_some_and(
            |ep| endpoint_pairs(&ep) == (want_ready.clone(), want_not_ready.clone())
        )),
        "endpoints: {:?}",
        get_endpoints(&s, "web").map(|e| endpoint_pairs(&e))
    );
    let ep = get_endpoints(&s, "web").unwrap_or_default();
    assert_eq!(
        ep["metadata"]["labels"]["tier"], "front",
        "service labels copied"
    );
    assert!(
        ep["metadata"]["annotations"]["endpoints.kubernetes.io/last-change-trigger-time"]
            .is_string(),
        "trigger time annotation: {ep}"
    );
    let target = ep["subsets"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["addresses"].as_array().into_iter().flatten())
        .find(|a| a["ip"] == "10.244.0.5")
        .map(|a| a["targetRef"].clone())
        .unwrap_or_default();
    assert_eq!(
        (target["kind"].as_str(), target["name"].as_str()),
        (Some("Pod"), Some("web-a"))
    );

    // kubectl's ENDPOINTS column shows the ready addresses, old and new kubectl alike.
    for bin in [common::KUBECTL_NEW, KUBECTL_OLD] {
        let table = s.k_with(bin, &["get", "endpoints", "web"]);
        assert!(
            table.contains("10.244.0.5:8080") && table.contains("10.244.1.7:8080"),
            "{table}"
        );
        assert!(!table.contains("10.244.0.9"), "not-ready shown: {table}");
    }

    // EndpointSlices: one per port mapping, with conditions, labels and owner.
    let want_slices = vec![
        ("10.244.0.5:8080".to_string(), true, true, false),
        ("10.244.0.9:9090".to_string(), false, false, false),
        ("10.244.1.7:8080".to_string(), true, true, false),
    ];
    assert!(
        eventually(20, || slice_endpoints(&s, "web") == want_slices),
        "slices: {:?}",
        slice_endpoints(&s, "web")
    );
    let slices = s.kj(&[
        "get",
        "endpointslices",
        "-l",
        "kubernetes.io/service-name=web",
    ]);
    for es in slices["items"].as_array().into_iter().flatten() {
        let name = es["metadata"]["name"].as_str().unwrap_or("");
        assert!(name.starts_with("web-"), "{name}");
        assert_eq!(
            es["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"],
            "endpointslice-controller.k8s.io"
        );
        assert_eq!(es["metadata"]["ownerReferences"][0]["kind"], "Service");
        assert_eq!(es["metadata"]["ownerReferences"][0]["name"], "web");
        assert_eq!(es["addressType"], "IPv4");
    }
    let table = s.k(&["get", "endpointslices"]);
    assert!(
        table.contains("8080") && table.contains("10.244.0.5"),
        "{table}"
    );

    // Readiness flips move addresses between the lists.
    set_status(&s, "web-a", "10.244.0.5", false);
    set_status(&s, "web-c", "10.244.0.9", true);
    let want = (
        vec!["10.244.0.9:9090".to_string(), "10.244.1.7:8080".into()],
        vec!["10.244.0.5:8080".to_string()],
    );
    assert!(
        eventually(20, || get_endpoints(&s, "web")
            .is_some_and(|ep| endpoint_pairs(&ep) == want)),
        "after readiness flip: {:?}",
        get_endpoints(&s, "web").map(|e| endpoint_pairs(&e))
    );

    // A deleted pod (no node: deleted at once) leaves both.
    s.k(&["delete", "pod", "web-b", "--wait=false"]);
    assert!(eventually(20, || get_endpoints(&s, "web")
        .is_some_and(|ep| !ep.to_string().contains("10.244.1.7"))));
    assert!(eventually(20, || slice_endpoints(&s, "web").len() == 2));

    // A pod whose labels no longer match leaves too.
    s.k(&["label", "pod", "web-c", "app=other", "--overwrite"]);
    assert!(eventually(20, || get_endpoints(&s, "web")
        .is_some_and(|ep| !ep.to_string().contains("10.244.0.9"))));

    // The selectorless service keeps the Endpoints its user wrote, and gets no slices.
    let manual = get_endpoints(&s, "manual").unwrap_or_default();
    assert_eq!(
        endpoint_pairs(&manual),
        (vec!["192.0.2.10:80".to_string()], vec![])
    );
    assert!(slice_endpoints(&s, "manual").is_empty());
    // The API server's own `kubernetes` Endpoints are untouched.
    let k = get_endpoints(&s, "kubernetes").unwrap_or_default();
    assert!(!endpoint_pairs(&k).0.is_empty(), "{k}");

    // Deleting the service deletes its Endpoints and slices.
    s.k(&["delete", "service", "web"]);
    assert!(eventually(20, || get_endpoints(&s, "web").is_none()));
    assert!(eventually(20, || s.kj(&[
        "get",
        "endpointslices",
        "-l",
        "kubernetes.io/service-name=web"
    ])["items"]
        .as_array()
        .is_some_and(|a| a.is_empty())));
    // Deleting someone's Endpoints of a selector service brings them back.
    apply(&s, SERVICE);
    assert!(eventually(20, || get_endpoints(&s, "web")
        .is_some_and(|ep| !endpoint_pairs(&ep).1.is_empty())));
    s.k(&["delete", "endpoints", "web"]);
    assert!(eventually(20, || get_endpoints(&s, "web")
        .is_some_and(|ep| !endpoint_pairs(&ep).1.is_empty())));
}

#[test]
fn exposed_deployment_gets_endpoints() {
    // The scheduler has no nodes here: this test plays kubelet for the pods itself.
    let s = Server::start();
    s.k(&[
        "create",
        "deployment",
        "web",
        "--image=nginx",
        "--replicas=3",
        "--port=80",
    ]);
    s.k(&["expose", "deploy/web", "--port", "80"]);
    let names = || -> Vec<String> {
        let pods = s.kj(&["get", "pods", "-l", "app=web"]);
        pods["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
            .filter_map(|p| p["metadata"]["name"].as_str().map(String::from))
            .collect()
    };
    assert!(eventually(30, || names().len() == 3));
    for (i, name) in names().iter().enumerate() {
        set_status(&s, name, &format!("10.244.{i}.4"), true);
    }
    let ready_ips = |s: &Server| {
        get_endpoints(s, "web")
            .map(|ep| endpoint_pairs(&ep).0)
            .unwrap_or_default()
    };
    let want = vec![
        "10.244.0.4:80".to_string(),
        "10.244.1.4:80".into(),
        "10.244.2.4:80".into(),
    ];
    assert!(
        eventually(30, || ready_ips(&s) == want),
        "endpoints: {:?}",
        ready_ips(&s)
    );
    let table = s.k(&["get", "endpoints", "web"]);
    assert!(
        table.contains("10.244.0.4:80,10.244.1.4:80,10.244.2.4:80"),
        "{table}"
    );
    assert!(eventually(20, || {
        let e = slice_endpoints(&s, "web");
        e.len() == 3 && e.iter().all(|e| e.1)
    }));

    // Scaling down removes addresses (unbound pods are deleted at once).
    s.k(&["scale", "deploy/web", "--replicas=1"]);
    assert!(
        eventually(30, || ready_ips(&s).len() == 1),
        "after scale: {:?}",
        ready_ips(&s)
    );
    assert!(eventually(30, || slice_endpoints(&s, "web").len() == 1));
}
