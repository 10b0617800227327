//! Node loss as kubectl shows it: a node whose Lease is no longer renewed turns NotReady,
//! gets the unreachable taints, its pods are evicted after their short toleration and
//! replaced on the surviving node, and the stuck terminating pods are collected; a node
//! reporting Ready=False gets the not-ready taints; taints go when the node is back.
//!
//! The nodes here are Node and Lease objects this test keeps fresh itself (a thread
//! renewing Leases), so that a node "dies" exactly when the test says.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{eventually, Server};
use serde_json::{json, Value};

fn now_micro() -> String {
    let o = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%S.%6NZ"])
        .output()
        .expect("date");
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

fn now() -> String {
    now_micro()
        .split('.')
        .next()
        .unwrap_or_default()
        .to_string()
        + "Z"
}

fn apply(s: &Server, v: &Value) {
    let o = s.k_stdin(&["apply", "-f", "-"], &v.to_string());
    assert!(
        o.status.success(),
        "apply failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Posts a kubelet-style node status with the given Ready status.
fn post_status(s: &Server, node: &str, ready: &str) {
    let t = now();
    let cond = |type_: &str, status: &str, reason: &str| {
        json!({"type": type_, "status": status, "reason": reason, "message": reason,
               "lastHeartbeatTime": t, "lastTransitionTime": t})
    };
    let patch = json!({"status": {
        "capacity": {"cpu": "4", "memory": "16Gi", "pods": "110"},
        "allocatable": {"cpu": "4", "memory": "16Gi", "pods": "110"},
        "conditions": [
            cond("MemoryPressure", "False", "KubeletHasSufficientMemory"),
            cond("DiskPressure", "False", "KubeletHasNoDiskPressure"),
            cond("PIDPressure", "False", "KubeletHasSufficientPID"),
            cond("Ready", ready, if ready == "True" { "KubeletReady" } else { "KubeletNotReady" }),
        ],
    }});
    s.k(&[
        "patch",
        "node",
        node,
        "--subresource=status",
        "--type=merge",
        "-p",
        &patch.to_string(),
    ]);
}

fn register(s: &Server, node: &str) {
    apply(
        s,
        &json!({"apiVersion": "v1", "kind": "Node",
                "metadata": {"name": node, "labels": {"kubernetes.io/hostname": node}}}),
    );
    post_status(s, node, "True");
    apply(
        s,
        &json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": node, "namespace": "kube-node-lease"},
                "spec": {"holderIdentity": node, "leaseDurationSeconds": 40, "renewTime": now_micro()}}),
    );
}

/// Renews the Leases of the nodes in `alive` every half second until dropped.
struct Renewer {
    alive: Arc<Mutex<HashSet<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Renewer {
    fn start(s: &Server, nodes: &[&str]) -> Renewer {
        let alive: Arc<Mutex<HashSet<String>>> =
            Arc::new(Mutex::new(nodes.iter().map(|n| n.to_string()).collect()));
        let stop = Arc::new(AtomicBool::new(false));
        let kubeconfig = s.kubeconfig.clone();
        let home = s.dir.path().to_path_buf();
        let (a, st) = (alive.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !st.load(Ordering::Relaxed) {
                let names: Vec<String> = a
                    .lock()
                    .map(|a| a.iter().cloned().collect())
                    .unwrap_or_default();
                for n in names {
                    let patch = json!({"spec": {"renewTime": now_micro()}}).to_string();
                    let _ = std::process::Command::new(common::KUBECTL_NEW)
                        .args([
                            "patch",
                            "lease",
                            &n,
                            "-n",
                            "kube-node-lease",
                            "--type=merge",
                            "-p",
                            &patch,
                        ])
                        .env("KUBECONFIG", &kubeconfig)
                        .env("HOME", &home)
                        .output();
                }
                std::thread::sleep(Duration::from_millis(500));
            }
        });
        Renewer {
            alive,
            stop,
            thread: Some(thread),
        }
    }

    fn set_alive(&self, node: &str, alive: bool) {
        if let Ok(mut a) = self.alive.lock() {
            if alive {
                a.insert(node.to_string());
            } else {
                a.remove(node);
            }
        }
    }
}

impl Drop for Renewer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// `kubectl get node` STATUS column.
fn node_status(s: &Server, node: &str) -> String {
    s.k(&["get", "node", node, "--no-headers"])
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string()
}

fn taints(s: &Server, node: &str) -> Vec<(String, String, bool)> {
    let n = s.kj(&["get", "node", node]);
    let mut t: Vec<(String, String, bool)> = n["spec"]["taints"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            (
                t["key"].as_str().unwrap_or("").to_string(),
                t["effect"].as_str().unwrap_or("").to_string(),
                t["timeAdded"].is_string(),
            )
        })
        .collect();
    t.sort();
    t
}

fn taint(key: &str, effect: &str) -> (String, String, bool) {
    (key.to_string(), effect.to_string(), true)
}

/// Pods of the deployment: (name, node, terminating).
fn pods(s: &Server) -> Vec<(String, String, bool)> {
    let list = s.kj(&["get", "pods", "-l", "app=web"]);
    list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p["metadata"]["name"].as_str().unwrap_or("").to_string(),
                p["spec"]["nodeName"].as_str().unwrap_or("").to_string(),
                !p["metadata"]["deletionTimestamp"].is_null(),
            )
        })
        .collect()
}

fn events(s: &Server, reason: &str) -> Vec<String> {
    let list = s.kj(&[
        "get",
        "events",
        "--field-selector",
        &format!("reason={reason}"),
    ]);
    list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["message"].as_str().map(String::from))
        .collect()
}

#[test]
fn lost_node_is_tainted_its_pods_evicted_and_replaced() {
    let s = Server::start_with(&[
        "--node-monitor-grace-period",
        "4s",
        "--default-unreachable-toleration-seconds",
        "3",
    ]);
    register(&s, "n1");
    register(&s, "n2");
    let renewer = Renewer::start(&s, &["n1", "n2"]);
    assert!(eventually(20, || node_status(&s, "n1") == "Ready"));

    // All four pods on n1: n2 is cordoned while they are scheduled.
    s.k(&["cordon", "n2"]);
    apply(
        &s,
        &json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": 4, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"terminationGracePeriodSeconds": 1,
                        "containers": [{"name": "web", "image": "nginx"}]}}}}),
    );
    assert!(
        eventually(30, || {
            let p = pods(&s);
            p.len() == 4 && p.iter().all(|p| p.1 == "n1")
        }),
        "pods: {:?}",
        pods(&s)
    );
    let victims: Vec<String> = pods(&s).into_iter().map(|p| p.0).collect();
    // One of them reported Ready by its (simulated) kubelet.
    let ready = json!({"status": {"phase": "Running", "podIP": "10.244.1.9",
        "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": now()}]}});
    s.k(&[
        "patch",
        "pod",
        &victims[0],
        "--subresource=status",
        "--type=merge",
        "-p",
        &ready.to_string(),
    ]);
    s.k(&["uncordon", "n2"]);
    // While n1 renews its Lease it stays Ready and untainted.
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(node_status(&s, "n1"), "Ready");
    assert!(taints(&s, "n1").is_empty(), "{:?}", taints(&s, "n1"));

    // n1's kubelet goes silent.
    renewer.set_alive("n1", false);
    assert!(
        eventually(30, || node_status(&s, "n1") == "NotReady"),
        "{}",
        s.k(&["get", "nodes"])
    );
    let node = s.kj(&["get", "node", "n1"]);
    let ready_cond = node["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["type"] == "Ready")
        .cloned()
        .unwrap_or_default();
    assert_eq!(ready_cond["status"], "Unknown");
    assert_eq!(ready_cond["reason"], "NodeStatusUnknown");
    assert_eq!(
        ready_cond["message"],
        "Kubelet stopped posting node status."
    );
    let want = vec![
        taint("node.kubernetes.io/unreachable", "NoExecute"),
        taint("node.kubernetes.io/unreachable", "NoSchedule"),
    ];
    assert!(
        eventually(20, || taints(&s, "n1") == want),
        "{:?}",
        taints(&s, "n1")
    );
    assert_eq!(node_status(&s, "n2"), "Ready");
    assert!(taints(&s, "n2").is_empty());
    // The ready pod was marked not ready.
    assert!(
        eventually(20, || events(&s, "NodeNotReady")
            .iter()
            .any(|m| m == "Node is not ready")),
        "{:?}",
        events(&s, "NodeNotReady")
    );

    // After the 3 s toleration the pods are evicted and replaced on n2.
    assert!(
        eventually(30, || {
            let marked = events(&s, "TaintManagerEviction");
            victims
                .iter()
                .all(|v| marked.contains(&format!("Marking for deletion Pod default/{v}")))
        }),
        "{:?}",
        events(&s, "TaintManagerEviction")
    );
    assert!(
        eventually(30, || pods(&s)
            .iter()
            .filter(|p| !p.2 && p.1 == "n2")
            .count()
            == 4),
        "pods: {:?}",
        pods(&s)
    );
    // No kubelet finishes the graceful deletion on n1: pod GC force-deletes the pods.
    assert!(
        eventually(30, || !pods(&s).iter().any(|p| victims.contains(&p.0))),
        "pods: {:?}",
        pods(&s)
    );
    let table = s.k(&["get", "deploy", "web"]);
    assert!(table.contains("web"), "{table}");

    // n1 comes back: Ready, taints removed.
    renewer.set_alive("n1", true);
    post_status(&s, "n1", "True");
    assert!(eventually(20, || node_status(&s, "n1") == "Ready"));
    assert!(
        eventually(20, || taints(&s, "n1").is_empty()),
        "{:?}",
        taints(&s, "n1")
    );
}

#[test]
fn not_ready_node_evicts_only_pods_not_tolerating_it() {
    let s = Server::start_with(&[
        "--node-monitor-grace-period",
        "60s",
        "--default-not-ready-toleration-seconds",
        "2",
        "--disable-scheduler",
    ]);
    register(&s, "n1");
    register(&s, "n2");
    let pod = |name: &str, tolerations: Value| {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"nodeName": "n1", "tolerations": tolerations,
                "containers": [{"name": "c", "image": "nginx"}]}})
    };
    apply(&s, &pod("short", json!([])));
    apply(
        &s,
        &pod(
            "forever",
            json!([{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"}]),
        ),
    );
    // The kubelet reports NotReady: not-ready taints at once, no grace period to wait.
    post_status(&s, "n1", "False");
    let want = vec![
        taint("node.kubernetes.io/not-ready", "NoExecute"),
        taint("node.kubernetes.io/not-ready", "NoSchedule"),
    ];
    assert!(
        eventually(20, || taints(&s, "n1") == want),
        "{:?}",
        taints(&s, "n1")
    );
    assert_eq!(node_status(&s, "n1"), "NotReady");
    let terminating =
        |name: &str| !s.kj(&["get", "pod", name])["metadata"]["deletionTimestamp"].is_null();
    assert!(eventually(20, || terminating("short")));
    let short = s.kj(&["get", "pod", "short"]);
    let disruption = short["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["type"] == "DisruptionTarget")
        .cloned()
        .unwrap_or_default();
    assert_eq!(disruption["reason"], "DeletionByTaintManager", "{short}");
    assert!(!terminating("forever"));

    // Back to Ready: the taints go.
    post_status(&s, "n1", "True");
    assert!(
        eventually(20, || taints(&s, "n1").is_empty()),
        "{:?}",
        taints(&s, "n1")
    );
    assert!(!terminating("forever"));
    assert_eq!(node_status(&s, "n1"), "Ready");
}

/// Running pods of the deployment: (name, node).
fn running(s: &Server) -> Vec<(String, String)> {
    let list = s.kj(&["get", "pods", "-l", "app=web"]);
    list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
        .filter(|p| p["status"]["phase"] == "Running")
        .map(|p| {
            (
                p["metadata"]["name"].as_str().unwrap_or("").to_string(),
                p["spec"]["nodeName"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn killed_hollow_node_loses_its_pods_to_the_survivor() {
    // hollow-nodes renew their Leases every 10 s, so the grace period must exceed that.
    let s = Server::start_with(&[
        "--node-monitor-grace-period",
        "15s",
        "--default-unreachable-toleration-seconds",
        "3",
    ]);
    let a = common::Hollow::start(&s, 1, "a", &[]);
    let _b = common::Hollow::start(&s, 1, "b", &[]);
    assert!(eventually(30, || {
        let t = s.k(&["get", "nodes", "--no-headers"]);
        t.lines().filter(|l| l.contains(" Ready ")).count() == 2
    }));
    apply(
        &s,
        &json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": 4, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"terminationGracePeriodSeconds": 1,
                        "containers": [{"name": "web", "image": "nginx"}]}}}}),
    );
    assert!(
        eventually(30, || running(&s).len() == 4),
        "{}",
        s.k(&["get", "pods", "-o", "wide"])
    );
    let on_a: Vec<String> = running(&s)
        .into_iter()
        .filter(|p| p.1 == "a-0")
        .map(|p| p.0)
        .collect();
    assert!(
        !on_a.is_empty(),
        "spreading put no pod on a-0: {:?}",
        running(&s)
    );

    a.kill();
    assert!(
        eventually(40, || node_status(&s, "a-0") == "NotReady"),
        "{}",
        s.k(&["get", "nodes"])
    );
    assert_eq!(node_status(&s, "b-0"), "Ready");
    assert!(eventually(20, || taints(&s, "a-0").contains(&taint(
        "node.kubernetes.io/unreachable",
        "NoExecute"
    ))));
    // Evicted after the toleration, recreated on b-0, and the stuck pods collected.
    assert!(
        eventually(30, || {
            let r = running(&s);
            r.len() == 4 && r.iter().all(|p| p.1 == "b-0")
        }),
        "{}",
        s.k(&["get", "pods", "-o", "wide"])
    );
    assert!(
        eventually(40, || !pods(&s).iter().any(|p| on_a.contains(&p.0))),
        "{}",
        s.k(&["get", "pods", "-o", "wide"])
    );
    let table = s.k(&["get", "deploy", "web"]);
    assert!(table.contains("4/4"), "{table}");
}
