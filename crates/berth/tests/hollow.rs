//! Hollow nodes (`berth hollow-nodes`) seen through real kubectl: nodes register and stay
//! Ready through their Leases, bound pods run, complete, fail to pull and get deleted,
//! and a restarted process re-adopts what it had.

mod common;

use common::{eventually, Hollow, Server};
use serde_json::Value;

fn pods_yaml() -> &'static str {
    r#"
apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  nodeName: h-1
  containers: [{name: web, image: nginx}]
---
apiVersion: v1
kind: Pod
metadata: {name: once}
spec:
  nodeName: h-2
  restartPolicy: Never
  containers: [{name: task, image: busybox, command: [sh, -c, "true"]}]
---
apiVersion: v1
kind: Pod
metadata: {name: stuck}
spec:
  nodeName: h-0
  containers: [{name: worker, image: "x/worker:v0.3"}]
"#
}

/// `kubectl get pods` as (name, ready, status, ip, node) rows.
fn pod_rows(s: &Server) -> Vec<Vec<String>> {
    s.k(&["get", "pods", "-o", "wide", "--no-headers"])
        .lines()
        .map(|l| l.split_whitespace().map(String::from).collect())
        .collect()
}

fn row(s: &Server, name: &str) -> Vec<String> {
    pod_rows(s)
        .into_iter()
        .find(|r| r.first().map(String::as_str) == Some(name))
        .unwrap_or_default()
}

fn renew_time(s: &Server, node: &str) -> String {
    s.k(&[
        "get",
        "lease",
        "-n",
        "kube-node-lease",
        node,
        "-o",
        "jsonpath={.spec.renewTime}",
    ])
}

#[test]
fn nodes_register_ready_with_kubelet_columns() {
    let s = Server::start();
    let _h = Hollow::start(&s, 3, "h", &["--cpu", "8", "--memory", "32Gi"]);
    assert!(
        eventually(30, || {
            let out = s.k(&["get", "nodes", "--no-headers"]);
            out.lines().filter(|l| l.contains(" Ready ")).count() == 3
        }),
        "{}",
        s.k(&["get", "nodes", "-o", "wide"])
    );
    let wide = s.k(&["get", "nodes", "-o", "wide"]);
    let header: Vec<&str> = wide
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    assert_eq!(
        header,
        [
            "NAME",
            "STATUS",
            "ROLES",
            "AGE",
            "VERSION",
            "INTERNAL-IP",
            "EXTERNAL-IP",
            "OS-IMAGE",
            "KERNEL-VERSION",
            "CONTAINER-RUNTIME"
        ]
    );
    let h1 = wide
        .lines()
        .find(|l| l.starts_with("h-1 "))
        .unwrap_or_else(|| panic!("no h-1 in {wide}"));
    assert!(h1.contains(" Ready "), "{h1}");
    assert!(h1.contains(" v1.33.0 "), "{h1}");
    assert!(h1.contains(" 10.250.0.2 "), "{h1}");
    assert!(h1.ends_with("containerd://1.6.0-hollow"), "{h1}");

    let node = s.kj(&["get", "node", "h-1"]);
    let labels = &node["metadata"]["labels"];
    assert_eq!(labels["kubernetes.io/hostname"], "h-1");
    assert_eq!(labels["kubernetes.io/os"], "linux");
    assert_eq!(labels["kubernetes.io/arch"], "amd64");
    assert_eq!(labels["type"], "hollow");
    assert_eq!(node["status"]["capacity"]["cpu"], "8");
    assert_eq!(node["status"]["allocatable"]["memory"], "32Gi");
    assert_eq!(node["status"]["capacity"]["pods"], "110");
    let conditions = node["status"]["conditions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let cond = |t: &str| {
        conditions
            .iter()
            .find(|c| c["type"] == t)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(cond("Ready")["status"], "True");
    assert_eq!(cond("Ready")["reason"], "KubeletReady");
    assert_eq!(cond("Ready")["message"], "kubelet is posting ready status");
    for t in ["MemoryPressure", "DiskPressure", "PIDPressure"] {
        assert_eq!(cond(t)["status"], "False", "{t}");
    }
    assert_eq!(
        s.k(&["get", "nodes", "-l", "type=hollow", "-o", "name"])
            .lines()
            .count(),
        3
    );

    let lease = s.kj(&["get", "lease", "-n", "kube-node-lease", "h-2"]);
    assert_eq!(lease["spec"]["holderIdentity"], "h-2");
    assert_eq!(lease["spec"]["leaseDurationSeconds"], 40);
    assert_eq!(lease["metadata"]["ownerReferences"][0]["kind"], "Node");
}

#[test]
fn bound_pods_run_complete_fail_pulls_and_delete() {
    let s = Server::start();
    let _h = Hollow::start(&s, 3, "h", &["--fail-image-pull", "x/worker:v0.3"]);
    assert!(eventually(30, || s
        .k(&["get", "nodes", "--no-headers"])
        .lines()
        .filter(|l| l.contains(" Ready "))
        .count()
        == 3));
    let o = s.k_stdin(&["apply", "-f", "-"], pods_yaml());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // Running 1/1 with an address from the node's pod CIDR (10.244.0.0/16).
    assert!(
        eventually(20, || {
            let r = row(&s, "web");
            r.get(1).map(String::as_str) == Some("1/1")
                && r.get(2).map(String::as_str) == Some("Running")
        }),
        "{:?}",
        pod_rows(&s)
    );
    let web = row(&s, "web");
    assert!(web[5].starts_with("10.244."), "{web:?}");
    assert_eq!(web[6], "h-1");
    let cidr = s.k(&["get", "node", "h-1", "-o", "jsonpath={.spec.podCIDR}"]);
    if let Some(prefix) = cidr.strip_suffix(".0/24") {
        assert!(
            web[5].starts_with(&format!("{prefix}.")),
            "{web:?} not in {cidr}"
        );
    }
    let pod = s.kj(&["get", "pod", "web"]);
    let cs = &pod["status"]["containerStatuses"][0];
    assert_eq!(cs["ready"], true);
    assert_eq!(cs["restartCount"], 0);
    assert!(cs["containerID"]
        .as_str()
        .is_some_and(|i| i.starts_with("containerd://")));
    assert!(cs["state"]["running"]["startedAt"].is_string());
    assert_eq!(pod["status"]["hostIP"], "10.250.0.2");
    for t in [
        "PodReadyToStartContainers",
        "Initialized",
        "ContainersReady",
        "Ready",
        "PodScheduled",
    ] {
        let c = pod["status"]["conditions"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["type"] == t))
            .cloned()
            .unwrap_or(Value::Null);
        assert_eq!(c["status"], "True", "{t}: {pod}");
    }

    // restartPolicy Never ends Completed.
    assert!(
        eventually(20, || row(&s, "once").get(2).map(String::as_str)
            == Some("Completed")),
        "{:?}",
        pod_rows(&s)
    );
    assert_eq!(
        s.k(&[
            "get",
            "pod",
            "once",
            "-o",
            "jsonpath={.status.containerStatuses[0].state.terminated.exitCode}"
        ]),
        "0"
    );

    // The failing image backs off and the pod stays Pending, not ready.
    assert!(
        eventually(20, || row(&s, "stuck").get(2).map(String::as_str)
            == Some("ImagePullBackOff")),
        "{:?}",
        pod_rows(&s)
    );
    assert_eq!(row(&s, "stuck")[1], "0/1");
    let stuck = s.kj(&["get", "pod", "stuck"]);
    assert_eq!(stuck["status"]["phase"], "Pending");
    assert_eq!(
        stuck["status"]["containerStatuses"][0]["state"]["waiting"]["message"],
        "Back-off pulling image \"x/worker:v0.3\""
    );

    let describe = s.k(&["describe", "pod", "stuck"]);
    assert!(
        describe.contains("Failed to pull image \"x/worker:v0.3\""),
        "{describe}"
    );
    assert!(describe.contains("Back-off pulling image"), "{describe}");

    // Graceful deletion: kubectl waits until the kubelet has deleted the pod.
    s.k(&["delete", "pod", "web", "stuck", "--timeout=30s"]);
    let left: Vec<String> = pod_rows(&s).into_iter().map(|r| r[0].clone()).collect();
    assert_eq!(left, ["once"]);
}

#[test]
fn scheduled_pod_runs() {
    let s = Server::start();
    let _h = Hollow::start(&s, 2, "sched", &[]);
    assert!(eventually(30, || s
        .k(&["get", "nodes", "--no-headers"])
        .lines()
        .filter(|l| l.contains(" Ready "))
        .count()
        == 2));
    s.k(&[
        "run",
        "pingpong",
        "--image=alpine",
        "--",
        "ping",
        "127.0.0.1",
    ]);
    assert!(
        eventually(30, || {
            let r = row(&s, "pingpong");
            r.get(1).map(String::as_str) == Some("1/1")
                && r.get(2).map(String::as_str) == Some("Running")
                && r.get(6).is_some_and(|n| n.starts_with("sched-"))
        }),
        "{:?}",
        pod_rows(&s)
    );
}

#[test]
fn leases_stop_when_killed_and_restart_readopts() {
    let s = Server::start();
    let h = Hollow::start(&s, 2, "h", &[]);
    assert!(eventually(30, || s
        .k(&["get", "pod", "-A", "--no-headers"])
        .is_empty()
        && s.k(&["get", "nodes", "--no-headers"])
            .lines()
            .filter(|l| l.contains(" Ready "))
            .count()
            == 2));
    let o = s.k_stdin(
        &["apply", "-f", "-"],
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  nodeName: h-0\n  containers: [{name: web, image: nginx}]\n",
    );
    assert!(o.status.success());
    assert!(eventually(20, || row(&s, "web").get(1).map(String::as_str)
        == Some("1/1")));

    // Renewing: renewTime moves forward (every 10 s).
    let first = renew_time(&s, "h-0");
    assert!(!first.is_empty());
    assert!(
        eventually(25, || renew_time(&s, "h-0") != first),
        "lease h-0 not renewed"
    );
    let running = s.kj(&["get", "pod", "web"]);

    h.kill();
    let frozen = renew_time(&s, "h-0");
    std::thread::sleep(std::time::Duration::from_secs(12));
    assert_eq!(
        renew_time(&s, "h-0"),
        frozen,
        "a killed process renewed its lease"
    );

    // A new process adopts the nodes and leaves the running pod as it was.
    let _h2 = Hollow::start(&s, 2, "h", &[]);
    assert!(
        eventually(20, || renew_time(&s, "h-0") != frozen),
        "restarted process did not renew"
    );
    assert!(eventually(20, || s
        .k(&["get", "nodes", "--no-headers"])
        .lines()
        .filter(|l| l.contains(" Ready "))
        .count()
        == 2));
    let after = s.kj(&["get", "pod", "web"]);
    assert_eq!(after["status"]["podIP"], running["status"]["podIP"]);
    assert_eq!(after["status"]["startTime"], running["status"]["startTime"]);
    assert_eq!(
        after["status"]["containerStatuses"][0]["containerID"],
        running["status"]["containerStatuses"][0]["containerID"]
    );
    assert_eq!(s.k(&["get", "nodes", "-o", "name"]).lines().count(), 2);
}
