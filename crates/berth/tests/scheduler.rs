//! Scheduler acceptance tests: real kubectl against `berth server`, with Node objects
//! registered through the API (Ready, with allocatable) standing in for kubelets.

mod common;

use common::{eventually, Server};
use serde_json::{json, Value};

/// A server whose node lifecycle controller leaves our hand-made nodes Ready.
fn server() -> Server {
    Server::start_with(&["--node-monitor-grace-period", "600s"])
}

/// Registers a Ready node with `cpu` cores, 16Gi and 110 pods allocatable.
fn add_node(s: &Server, name: &str, cpu: &str, labels: Value, taints: Value) {
    let node = json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "spec": {"taints": taints},
    });
    let out = s.k_stdin(&["apply", "-f", "-"], &node.to_string());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let resources =
        json!({"cpu": cpu, "memory": "16Gi", "pods": "110", "ephemeral-storage": "100Gi"});
    let now = "2025-01-01T00:00:00Z";
    let status = json!({"status": {
        "capacity": resources, "allocatable": resources,
        "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                        "message": "kubelet is posting ready status",
                        "lastHeartbeatTime": now, "lastTransitionTime": now}],
    }});
    s.k(&[
        "patch",
        "node",
        name,
        "--subresource=status",
        "--type=merge",
        "-p",
        &status.to_string(),
    ]);
}

fn apply(s: &Server, obj: Value) {
    let out = s.k_stdin(&["apply", "-f", "-"], &obj.to_string());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn replicaset(name: &str, replicas: i64, pod_spec: Value) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": pod_spec},
        },
    })
}

fn pod(name: &str, spec: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec})
}

fn container(cpu: &str) -> Value {
    json!([{"name": "c", "image": "nginx", "resources": {"requests": {"cpu": cpu}}}])
}

/// node name of each pod with label app=`app` (empty string while unbound).
fn placements(s: &Server, app: &str) -> Vec<String> {
    let pods = s.kj(&["get", "pods", "-l", &format!("app={app}")]);
    pods["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|p| p["spec"]["nodeName"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn all_bound(s: &Server, app: &str, n: usize) -> bool {
    let p = placements(s, app);
    p.len() == n && p.iter().all(|n| !n.is_empty())
}

fn node_of(s: &Server, pod: &str) -> String {
    s.k(&["get", "pod", pod, "-o", "jsonpath={.spec.nodeName}"])
}

#[test]
fn binds_pods_and_spreads_them_across_nodes() {
    let s = server();
    for i in 0..3 {
        add_node(&s, &format!("node-{i}"), "4", json!({}), json!([]));
    }
    apply(
        &s,
        replicaset("web", 9, json!({"containers": container("100m")})),
    );
    assert!(
        eventually(40, || all_bound(&s, "web", 9)),
        "pods not bound: {:?}",
        placements(&s, "web")
    );
    let p = placements(&s, "web");
    for i in 0..3 {
        let on = p.iter().filter(|n| **n == format!("node-{i}")).count();
        assert_eq!(on, 3, "uneven spread: {p:?}");
    }
    // kubectl shows the binding: the Scheduled event and PodScheduled=True.
    let pods = s.kj(&["get", "pods", "-l", "app=web"]);
    let first = pods["items"][0]["metadata"]["name"]
        .as_str()
        .expect("pod name")
        .to_string();
    let node = node_of(&s, &first);
    let want = format!("Successfully assigned default/{first} to {node}");
    assert!(
        eventually(20, || s.k(&["describe", "pod", &first]).contains(&want)),
        "no Scheduled event: {}",
        s.k(&["describe", "pod", &first])
    );
    let describe = s.k(&["describe", "pod", &first]);
    assert!(describe.contains("default-scheduler"), "{describe}");
    let cond = s.k(&[
        "get",
        "pod",
        &first,
        "-o",
        "jsonpath={.status.conditions[?(@.type==\"PodScheduled\")].status}",
    ]);
    assert_eq!(cond, "True");
    // The scheduler holds its Lease.
    let holder = s.k(&[
        "get",
        "lease",
        "-n",
        "kube-system",
        "kube-scheduler",
        "-o",
        "jsonpath={.spec.holderIdentity}",
    ]);
    assert!(!holder.is_empty());
}

#[test]
fn too_big_pod_stays_pending_until_a_big_enough_node_joins() {
    let s = server();
    for i in 0..3 {
        add_node(&s, &format!("small-{i}"), "2", json!({}), json!([]));
    }
    apply(&s, pod("big", json!({"containers": container("3")})));
    let want = "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.";
    assert!(
        eventually(30, || s.k(&["describe", "pod", "big"]).contains(want)),
        "no FailedScheduling: {}",
        s.k(&["describe", "pod", "big"])
    );
    let describe = s.k(&["describe", "pod", "big"]);
    assert!(describe.contains("FailedScheduling"), "{describe}");
    assert!(describe.contains("Warning"), "{describe}");
    let reason = s.k(&[
        "get",
        "pod",
        "big",
        "-o",
        "jsonpath={.status.conditions[?(@.type==\"PodScheduled\")].reason}",
    ]);
    assert_eq!(reason, "Unschedulable");
    assert_eq!(node_of(&s, "big"), "");
    assert!(s.k(&["get", "pod", "big"]).contains("Pending"));

    add_node(&s, "large", "8", json!({}), json!([]));
    assert!(
        eventually(30, || node_of(&s, "big") == "large"),
        "not scheduled after the large node joined"
    );
}

#[test]
fn node_selector_affinity_and_taints() {
    let s = server();
    add_node(&s, "ssd", "4", json!({"disk": "ssd"}), json!([]));
    add_node(&s, "plain", "4", json!({"disk": "hdd"}), json!([]));
    add_node(
        &s,
        "gpu",
        "4",
        json!({"gpu": "yes"}),
        json!([{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]),
    );

    apply(
        &s,
        pod(
            "wants-ssd",
            json!({"nodeSelector": {"disk": "ssd"}, "containers": container("100m")}),
        ),
    );
    apply(
        &s,
        pod(
            "affinity-not-ssd",
            json!({"containers": container("100m"), "affinity": {"nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "disk", "operator": "NotIn", "values": ["ssd"]},
                                          {"key": "disk", "operator": "Exists"}]}]}}}}),
        ),
    );
    apply(
        &s,
        pod(
            "tolerates-gpu",
            json!({"nodeSelector": {"gpu": "yes"}, "containers": container("100m"),
                   "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}]}),
        ),
    );
    apply(
        &s,
        pod(
            "intolerant-gpu",
            json!({"nodeSelector": {"gpu": "yes"}, "containers": container("100m")}),
        ),
    );
    apply(
        &s,
        replicaset("spread", 6, json!({"containers": container("100m")})),
    );

    assert!(eventually(30, || node_of(&s, "wants-ssd") == "ssd"));
    assert!(eventually(30, || node_of(&s, "affinity-not-ssd") == "plain"));
    assert!(eventually(30, || node_of(&s, "tolerates-gpu") == "gpu"));
    assert!(eventually(30, || all_bound(&s, "spread", 6)));
    let p = placements(&s, "spread");
    assert!(
        !p.iter().any(|n| n == "gpu"),
        "a pod without toleration landed on the tainted node: {p:?}"
    );

    let want = "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.";
    assert!(
        eventually(30, || s
            .k(&["describe", "pod", "intolerant-gpu"])
            .contains(want)),
        "{}",
        s.k(&["describe", "pod", "intolerant-gpu"])
    );
    assert_eq!(node_of(&s, "intolerant-gpu"), "");
}

#[test]
fn cordoned_node_gets_no_pods() {
    let s = server();
    add_node(&s, "a", "4", json!({}), json!([]));
    add_node(&s, "b", "4", json!({}), json!([]));
    s.k(&["cordon", "a"]);
    assert!(s.k(&["get", "node", "a"]).contains("SchedulingDisabled"));
    apply(
        &s,
        replicaset("cordon", 4, json!({"containers": container("100m")})),
    );
    assert!(eventually(30, || all_bound(&s, "cordon", 4)));
    assert!(
        placements(&s, "cordon").iter().all(|n| n == "b"),
        "{:?}",
        placements(&s, "cordon")
    );

    // With b cordoned too, a new pod says why it cannot run; uncordoning a lets it in.
    s.k(&["cordon", "b"]);
    apply(&s, pod("late", json!({"containers": container("100m")})));
    let want = "0/2 nodes are available: 2 node(s) were unschedulable.";
    assert!(
        eventually(30, || s.k(&["describe", "pod", "late"]).contains(want)),
        "{}",
        s.k(&["describe", "pod", "late"])
    );
    s.k(&["uncordon", "a"]);
    assert!(eventually(30, || node_of(&s, "late") == "a"));
}
