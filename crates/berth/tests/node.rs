//! The node agent on a real containerd: pods run, crash, restart with back-off, get
//! OOM-killed, probe, read their environment, survive an agent kill -9, pull from a
//! local registry. Each test runs a whole `berth server` (control plane + agent) inside
//! a network namespace it creates (see common/node.rs). Needs root, containerd, runc and
//! the CNI plugins (scripts/test.sh installs them).

mod common;

use std::time::Duration;

use common::node::{busybox_archive, node_tests_possible, Kill, NodeServer};
use common::{eventually, KUBECTL_OLD};
use serde_json::Value;

const IMAGE: &str = "berth-test/busybox:1";

fn node() -> Option<(NodeServer, tempfile::TempDir)> {
    if !node_tests_possible() {
        eprintln!("skipping: node tests need root, containerd and the CNI plugins");
        return None;
    }
    let node = NodeServer::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let archive = busybox_archive(tmp.path(), IMAGE);
    node.import(&archive);
    Some((node, tmp))
}

fn pod(name: &str, policy: &str, script: &str) -> String {
    format!(
        r#"apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  restartPolicy: {policy}
  terminationGracePeriodSeconds: 2
  containers:
  - name: main
    image: {IMAGE}
    command: ["sh", "-c", {script:?}]
"#
    )
}

fn get(node: &NodeServer, name: &str) -> Value {
    node.kj(&["get", "pod", name])
}

fn status_column(node: &NodeServer, name: &str) -> String {
    let out = node.k(&["get", "pod", name, "--no-headers"]);
    out.split_whitespace()
        .nth(2)
        .unwrap_or_default()
        .to_string()
}

#[test]
fn pods_run_complete_fail_and_crash_loop() {
    let Some((node, _tmp)) = node() else { return };
    node.apply(&pod(
        "web",
        "Always",
        "echo hello > /tmp/index.html; exec httpd -f -p 8080 -h /tmp",
    ));
    node.apply(&pod(
        "done",
        "Never",
        "echo finished > /dev/termination-log",
    ));
    node.apply(&pod("fails", "Never", "exit 3"));
    node.apply(&pod("crash", "Always", "echo crashing; exit 2"));

    assert!(
        eventually(60, || status_column(&node, "web") == "Running"),
        "{}",
        node.k(&["describe", "pod", "web"])
    );
    let web = get(&node, "web");
    let ip = web["status"]["podIP"].as_str().unwrap().to_string();
    assert!(ip.starts_with("10.244."), "pod IP {ip}");
    assert_eq!(web["status"]["hostIP"], node.node_ip.as_str());
    assert_eq!(web["status"]["qosClass"], "BestEffort");
    let cs = &web["status"]["containerStatuses"][0];
    assert_eq!(cs["ready"], true);
    assert_eq!(cs["image"], "docker.io/berth-test/busybox:1");
    assert!(cs["containerID"]
        .as_str()
        .unwrap()
        .starts_with("containerd://"));
    assert!(cs["imageID"].as_str().unwrap().contains("sha256:"));
    // The pod answers on its IP from the node.
    let o = node
        .in_ns("/bin/busybox")
        .args(["wget", "-qO-", &format!("http://{ip}:8080/index.html")])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "hello",
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // logs, exec (exit codes, stdin) and port-forward through the API server to the
    // agent, with the newest and the oldest kubectl.
    for (i, bin) in [common::KUBECTL_NEW, KUBECTL_OLD].into_iter().enumerate() {
        assert_eq!(
            node.k_with(bin, &["exec", "web", "--", "cat", "/tmp/index.html"]),
            "hello\n"
        );
        let o = node.kubectl(
            bin,
            &[
                "exec",
                "web",
                "--",
                "sh",
                "-c",
                "echo out; echo err >&2; exit 3",
            ],
        );
        assert_eq!(
            o.status.code(),
            Some(3),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&o.stdout), "out\n");
        assert!(String::from_utf8_lossy(&o.stderr).contains("err"));
        let port = 18080 + i as u16;
        let mut pf = node
            .in_ns(bin)
            .args(["port-forward", "pod/web", &format!("{port}:8080")])
            .env("KUBECONFIG", &node.kubeconfig)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Keep reading its stdout: kubectl writes a line per connection.
        let mut out = std::io::BufReader::new(pf.stdout.take().unwrap());
        let mut line = String::new();
        std::io::BufRead::read_line(&mut out, &mut line).unwrap();
        assert!(line.contains("Forwarding from"), "{line}");
        let o = node
            .in_ns("/bin/busybox")
            .args([
                "wget",
                "-qO-",
                &format!("http://127.0.0.1:{port}/index.html"),
            ])
            .output()
            .unwrap();
        let _ = pf.kill();
        let _ = pf.wait();
        assert_eq!(
            String::from_utf8_lossy(&o.stdout),
            "hello\n",
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    // kubectl 1.27 sees the same.
    let old = node.k_with(KUBECTL_OLD, &["get", "pods", "-o", "wide"]);
    assert!(old.contains(&ip), "{old}");

    assert!(eventually(60, || status_column(&node, "done") == "Completed"));
    let done = get(&node, "done");
    assert_eq!(done["status"]["phase"], "Succeeded");
    let t = &done["status"]["containerStatuses"][0]["state"]["terminated"];
    assert_eq!(t["exitCode"], 0);
    assert_eq!(t["reason"], "Completed");
    assert_eq!(t["message"], "finished\n");

    assert!(eventually(60, || status_column(&node, "fails") == "Error"));
    let fails = get(&node, "fails");
    assert_eq!(fails["status"]["phase"], "Failed");
    assert_eq!(
        fails["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"],
        3
    );

    // Crash loop: CrashLoopBackOff with a growing back-off, restarts counted, the last
    // exit in lastState.
    assert!(
        eventually(60, || status_column(&node, "crash") == "CrashLoopBackOff"),
        "{}",
        node.k(&["describe", "pod", "crash"])
    );
    let crash = get(&node, "crash");
    let cs = &crash["status"]["containerStatuses"][0];
    assert_eq!(cs["lastState"]["terminated"]["exitCode"], 2);
    assert_eq!(cs["lastState"]["terminated"]["reason"], "Error");
    let msg = cs["state"]["waiting"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.starts_with("back-off 10s restarting failed container=main pod=crash_default("),
        "{msg}"
    );
    assert_eq!(crash["status"]["phase"], "Running");
    assert!(
        eventually(90, || {
            let c = get(&node, "crash");
            c["status"]["containerStatuses"][0]["state"]["waiting"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("back-off 20s"))
        }),
        "the back-off did not grow: {}",
        node.k(&["describe", "pod", "crash"])
    );
    let restarts = get(&node, "crash")["status"]["containerStatuses"][0]["restartCount"]
        .as_i64()
        .unwrap();
    assert!(restarts >= 2, "restartCount {restarts}");
    for bin in [common::KUBECTL_NEW, KUBECTL_OLD] {
        assert!(node.k_with(bin, &["logs", "crash"]).contains("crashing"));
        assert!(node
            .k_with(bin, &["logs", "crash", "--previous", "--timestamps"])
            .contains("Z crashing"));
    }
    let events = node.k(&[
        "get",
        "events",
        "--field-selector",
        "involvedObject.name=crash",
    ]);
    assert!(
        events.contains("BackOff") || events.contains("Started"),
        "{events}"
    );

    // Deleting a pod stops its containers and removes it.
    node.k(&["delete", "pod", "web", "--wait=true"]);
    let o = node.kubectl(common::KUBECTL_NEW, &["get", "pod", "web"]);
    assert!(!o.status.success());
}

#[test]
fn memory_limit_ends_a_hog_as_oom_killed() {
    let Some((node, _tmp)) = node() else { return };
    node.apply(&format!(
        r#"apiVersion: v1
kind: Pod
metadata:
  name: hog
spec:
  restartPolicy: Never
  containers:
  - name: hog
    image: {IMAGE}
    command: ["dd", "if=/dev/zero", "of=/dev/null", "bs=256M", "count=1"]
    resources:
      limits:
        memory: 32Mi
"#
    ));
    assert!(
        eventually(60, || status_column(&node, "hog") == "OOMKilled"),
        "{}",
        node.k(&["describe", "pod", "hog"])
    );
    let hog = get(&node, "hog");
    assert_eq!(hog["status"]["qosClass"], "Burstable");
    let t = &hog["status"]["containerStatuses"][0]["state"]["terminated"];
    assert_eq!(t["reason"], "OOMKilled");
    assert_eq!(t["exitCode"], 137);
}

#[test]
fn environment_from_values_fields_configmaps_and_secrets() {
    let Some((node, _tmp)) = node() else { return };
    node.k(&[
        "create",
        "configmap",
        "settings",
        "--from-literal=color=blue",
        "--from-literal=size=L",
    ]);
    node.k(&[
        "create",
        "secret",
        "generic",
        "creds",
        "--from-literal=password=s3cr3t",
    ]);
    node.apply(&format!(
        r#"apiVersion: v1
kind: Pod
metadata:
  name: envpod
  labels:
    app: envtest
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: {IMAGE}
    command: ["sh", "-c", "echo $GREETING $COLOR $PASSWORD $MY_POD $MY_NS $MY_IP $size $EXPANDED > /dev/termination-log"]
    env:
    - name: GREETING
      value: hi
    - name: COLOR
      valueFrom:
        configMapKeyRef: {{name: settings, key: color}}
    - name: PASSWORD
      valueFrom:
        secretKeyRef: {{name: creds, key: password}}
    - name: MY_POD
      valueFrom:
        fieldRef: {{fieldPath: metadata.name}}
    - name: MY_NS
      valueFrom:
        fieldRef: {{fieldPath: metadata.namespace}}
    - name: MY_IP
      valueFrom:
        fieldRef: {{fieldPath: status.podIP}}
    - name: EXPANDED
      value: "$(GREETING)-there"
    envFrom:
    - configMapRef: {{name: settings}}
"#
    ));
    assert!(
        eventually(60, || status_column(&node, "envpod") == "Completed"),
        "{}",
        node.k(&["describe", "pod", "envpod"])
    );
    let p = get(&node, "envpod");
    let ip = p["status"]["podIP"].as_str().unwrap();
    let msg = p["status"]["containerStatuses"][0]["state"]["terminated"]["message"]
        .as_str()
        .unwrap();
    assert_eq!(
        msg.trim(),
        format!("hi blue s3cr3t envpod default {ip} L hi-there")
    );

    // Volumes: a config map and a secret as files, the service account's token, CA and
    // namespace where in-cluster clients look for them.
    node.apply(&format!(
        r#"apiVersion: v1
kind: Pod
metadata:
  name: volpod
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: {IMAGE}
    command: ["sh", "-c", "{{ cat /etc/config/color /etc/secret/password /var/run/secrets/kubernetes.io/serviceaccount/namespace; echo; test -s /var/run/secrets/kubernetes.io/serviceaccount/token && echo token; grep -q CERTIFICATE /var/run/secrets/kubernetes.io/serviceaccount/ca.crt && echo ca; echo scratch > /scratch/f && cat /scratch/f; }} > /dev/termination-log"]
    volumeMounts:
    - {{name: config, mountPath: /etc/config}}
    - {{name: secret, mountPath: /etc/secret}}
    - {{name: scratch, mountPath: /scratch}}
  volumes:
  - name: config
    configMap: {{name: settings}}
  - name: secret
    secret: {{secretName: creds}}
  - name: scratch
    emptyDir: {{medium: Memory}}
"#
    ));
    assert!(
        eventually(60, || status_column(&node, "volpod") == "Completed"),
        "{}",
        node.k(&["describe", "pod", "volpod"])
    );
    let p = get(&node, "volpod");
    let msg = p["status"]["containerStatuses"][0]["state"]["terminated"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(msg, "blues3cr3tdefault\ntoken\nca\nscratch\n");

    // The service-account token authenticates a client inside the pod (kubectl in-cluster).
    let kubectl_image = "berth-test/kubectl:1";
    let tar = _tmp.path().join("kubectl.tar");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_berth"))
        .args([
            "image",
            "build",
            "-t",
            kubectl_image,
            "--from-binary",
            &format!("{}:/kubectl", common::KUBECTL_NEW),
            "-o",
        ])
        .arg(&tar)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    node.import(&tar);
    node.apply(&format!(
        r#"apiVersion: v1
kind: Pod
metadata:
  name: incluster
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: {kubectl_image}
    command: ["/kubectl", "get", "pods"]
    terminationMessagePolicy: FallbackToLogsOnError
    env:
    - {{name: KUBERNETES_SERVICE_HOST, value: "{ip}"}}
    - {{name: KUBERNETES_SERVICE_PORT, value: "6443"}}
"#,
        ip = node.node_ip
    ));
    assert!(
        eventually(90, || status_column(&node, "incluster") == "Error"),
        "{}",
        node.k(&["describe", "pod", "incluster"])
    );
    let p = get(&node, "incluster");
    let msg = p["status"]["containerStatuses"][0]["state"]["terminated"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        msg.contains(
            "User \"system:serviceaccount:default:default\" cannot list resource \"pods\""
        ),
        "the in-cluster client was not authenticated as the service account: {msg}"
    );

    // securityContext: user and group, read-only root filesystem, capabilities.
    node.apply(&format!(
        r#"apiVersion: v1
kind: Pod
metadata:
  name: secpod
spec:
  restartPolicy: Never
  securityContext:
    runAsUser: 1000
    runAsGroup: 3000
  containers:
  - name: main
    image: {IMAGE}
    command: ["sh", "-c", "{{ id -u; id -g; touch /rootfs-file 2>/dev/null && echo writable || echo read-only; grep CapEff /proc/self/status; }} > /dev/termination-log"]
    securityContext:
      readOnlyRootFilesystem: true
      allowPrivilegeEscalation: false
      capabilities:
        drop: ["ALL"]
"#
    ));
    assert!(
        eventually(60, || status_column(&node, "secpod") == "Completed"),
        "{}",
        node.k(&["describe", "pod", "secpod"])
    );
    let p = get(&node, "secpod");
    let msg = p["status"]["containerStatuses"][0]["state"]["terminated"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let lines: Vec<&str> = msg.lines().collect();
    assert_eq!(lines[..3], ["1000", "3000", "read-only"], "{msg}");
    assert!(
        lines[3].ends_with("0000000000000000"),
        "capabilities not dropped: {msg}"
    );

    // Logs: --tail, --limit-bytes, --since and -f (which ends when the container does).
    node.apply(&pod(
        "counter",
        "Never",
        "for i in 1 2 3 4; do echo line $i; sleep 1; done",
    ));
    assert!(eventually(60, || status_column(&node, "counter")
        != "ContainerCreating"
        && status_column(&node, "counter") != "Pending"));
    let followed = node.k(&["logs", "-f", "counter"]);
    assert_eq!(followed, "line 1\nline 2\nline 3\nline 4\n");
    assert_eq!(node.k(&["logs", "counter", "--tail=2"]), "line 3\nline 4\n");
    assert_eq!(
        node.k(&["logs", "counter", "--limit-bytes=9"]),
        "line 1\nli"
    );
    assert_eq!(
        node.k(&["logs", "counter", "--since=1h"]).lines().count(),
        4
    );
    assert_eq!(
        node.k_with(KUBECTL_OLD, &["logs", "counter", "--tail=1"]),
        "line 4\n"
    );

    // A missing config map: CreateContainerConfigError, worded as kubelet.
    node.apply(&format!(
        r#"apiVersion: v1
kind: Pod
metadata:
  name: missing
spec:
  containers:
  - name: main
    image: {IMAGE}
    command: ["sleep", "3600"]
    env:
    - name: X
      valueFrom:
        configMapKeyRef: {{name: nope, key: k}}
"#
    ));
    assert!(eventually(60, || status_column(&node, "missing")
        == "CreateContainerConfigError"));
    let m = get(&node, "missing");
    assert_eq!(
        m["status"]["containerStatuses"][0]["state"]["waiting"]["message"],
        "configmap \"nope\" not found"
    );
}

#[test]
fn probes_restart_and_gate_readiness() {
    let Some((node, _tmp)) = node() else { return };
    node.apply(&format!(
        r#"apiVersion: v1
kind: Pod
metadata:
  name: probed
spec:
  containers:
  - name: live
    image: {IMAGE}
    command: ["sh", "-c", "touch /tmp/healthy; sleep 4; rm /tmp/healthy; sleep 3600"]
    livenessProbe:
      exec: {{command: ["cat", "/tmp/healthy"]}}
      periodSeconds: 1
      failureThreshold: 2
    terminationMessagePath: /dev/termination-log
  - name: ready
    image: {IMAGE}
    command: ["sh", "-c", "sleep 6; touch /tmp/ready; exec httpd -f -p 8081 -h /tmp"]
    readinessProbe:
      httpGet: {{path: /ready, port: 8081}}
      periodSeconds: 1
"#
    ));
    assert!(eventually(60, || get(&node, "probed")["status"]["phase"] == "Running"));
    // Not ready while the readiness probe fails, then ready.
    let p = get(&node, "probed");
    let ready_cond = |p: &Value| {
        p["status"]["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["type"] == "Ready")
            .unwrap()["status"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(ready_cond(&p), "False");
    assert!(eventually(60, || {
        let p = get(&node, "probed");
        p["status"]["containerStatuses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "ready" && c["ready"] == true)
    }));
    // The liveness probe fails after 4 s: the container is restarted.
    assert!(
        eventually(90, || {
            let p = get(&node, "probed");
            p["status"]["containerStatuses"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["name"] == "live" && c["restartCount"].as_i64() >= Some(1))
        }),
        "{}",
        node.k(&["describe", "pod", "probed"])
    );
    let events = node.k(&[
        "get",
        "events",
        "--field-selector",
        "involvedObject.name=probed",
    ]);
    assert!(events.contains("Liveness probe failed"), "{events}");
    assert!(
        events.contains("failed liveness probe, will be restarted"),
        "{events}"
    );
}

#[test]
fn agent_kill9_and_restart_keeps_containers() {
    let Some((mut node, _tmp)) = node() else {
        return;
    };
    node.apply(&pod("keeper", "Always", "sleep 3600"));
    assert!(eventually(60, || status_column(&node, "keeper") == "Running"));
    let before = get(&node, "keeper")["status"]["containerStatuses"][0].clone();
    // A graceful stop leaves pods running, as kubelet's does; the next start adopts them.
    node.restart_graceful();
    assert!(eventually(30, || status_column(&node, "keeper") == "Running"));
    let after = get(&node, "keeper")["status"]["containerStatuses"][0].clone();
    assert_eq!(after["containerID"], before["containerID"]);
    assert_eq!(after["restartCount"], 0);
    node.restart();
    // After the restart the agent adopts the running container: same ID, no restart.
    std::thread::sleep(Duration::from_secs(3));
    assert!(eventually(30, || status_column(&node, "keeper") == "Running"));
    let after = get(&node, "keeper")["status"]["containerStatuses"][0].clone();
    assert_eq!(after["containerID"], before["containerID"]);
    assert_eq!(after["restartCount"], 0);
    assert_eq!(
        after["state"]["running"]["startedAt"],
        before["state"]["running"]["startedAt"]
    );

    // An adopted pod keeps being probed and keeps its volumes when a container restarts.
    node.k(&["create", "configmap", "cfg", "--from-literal=ok=yes"]);
    node.apply(&format!(
        r#"apiVersion: v1
kind: Pod
metadata:
  name: probed
spec:
  containers:
  - name: main
    image: {IMAGE}
    command: ["sh", "-c", "while [ ! -f /tmp/die ]; do sleep 0.2; done; rm /tmp/die"]
    readinessProbe:
      exec: {{command: ["cat", "/etc/cfg/ok"]}}
      periodSeconds: 1
    volumeMounts:
    - {{name: cfg, mountPath: /etc/cfg}}
  volumes:
  - name: cfg
    configMap: {{name: cfg}}
"#
    ));
    let ready =
        |node: &NodeServer| get(node, "probed")["status"]["containerStatuses"][0]["ready"] == true;
    assert!(
        eventually(60, || ready(&node)),
        "{}",
        node.k(&["describe", "pod", "probed"])
    );
    node.restart();
    // Readiness starts over (false) and the restarted prober makes it true again.
    assert!(
        eventually(60, || ready(&node)),
        "{}",
        node.k(&["describe", "pod", "probed"])
    );
    // The container dies; the new one has its config map again (the probe reads it).
    node.k(&["exec", "probed", "--", "touch", "/tmp/die"]);
    assert!(
        eventually(60, || {
            let p = get(&node, "probed");
            p["status"]["containerStatuses"][0]["restartCount"].as_i64() >= Some(1)
                && p["status"]["containerStatuses"][0]["ready"] == true
        }),
        "{}",
        node.k(&["describe", "pod", "probed"])
    );
}

#[test]
fn sidecars_image_changes_and_active_deadline() {
    let Some((node, tmp)) = node() else { return };
    // A second image to change to (different content, so a different image ID).
    let other = tmp.path().join("busybox2.tar");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_berth"))
        .args([
            "image",
            "build",
            "-t",
            "berth-test/busybox:2",
            "--from-binary",
            "/bin/busybox:/bin/busybox",
            "--env",
            "VERSION=2",
            "-o",
        ])
        .arg(&other)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    node.import(&other);
    node.apply(&format!(
        r#"apiVersion: v1
kind: Pod
metadata:
  name: withsidecar
spec:
  terminationGracePeriodSeconds: 2
  initContainers:
  - name: setup
    image: {IMAGE}
    command: ["sh", "-c", "echo setup done"]
  - name: sidecar
    image: {IMAGE}
    restartPolicy: Always
    command: ["sleep", "3600"]
  containers:
  - name: main
    image: {IMAGE}
    command: ["/bin/busybox", "sleep", "3600"]
"#
    ));
    assert!(
        eventually(60, || status_column(&node, "withsidecar") == "Running"),
        "{}",
        node.k(&["describe", "pod", "withsidecar"])
    );
    let p = get(&node, "withsidecar");
    assert_eq!(
        node.k(&["get", "pod", "withsidecar", "--no-headers"])
            .split_whitespace()
            .nth(1),
        Some("2/2")
    );
    let inits = p["status"]["initContainerStatuses"].as_array().unwrap();
    assert_eq!(inits[0]["state"]["terminated"]["reason"], "Completed");
    assert!(inits[1]["state"]["running"].is_object());

    // Changing a pod's image restarts that container with the new image.
    node.k(&[
        "set",
        "image",
        "pod/withsidecar",
        "main=berth-test/busybox:2",
    ]);
    assert!(
        eventually(60, || {
            let p = get(&node, "withsidecar");
            let c = &p["status"]["containerStatuses"][0];
            c["image"] == "docker.io/berth-test/busybox:2"
                && c["restartCount"] == 1
                && c["state"]["running"].is_object()
        }),
        "{}",
        node.k(&["describe", "pod", "withsidecar"])
    );
    let events = node.k(&[
        "get",
        "events",
        "--field-selector",
        "involvedObject.name=withsidecar",
    ]);
    assert!(
        events.contains("Container main definition changed, will be restarted"),
        "{events}"
    );

    // activeDeadlineSeconds: the pod fails with DeadlineExceeded.
    node.apply(&format!(
        r#"apiVersion: v1
kind: Pod
metadata:
  name: deadline
spec:
  activeDeadlineSeconds: 5
  containers:
  - name: main
    image: {IMAGE}
    command: ["sleep", "3600"]
"#
    ));
    assert!(
        eventually(60, || get(&node, "deadline")["status"]["reason"]
            == "DeadlineExceeded"),
        "{}",
        node.k(&["describe", "pod", "deadline"])
    );
    let p = get(&node, "deadline");
    assert_eq!(p["status"]["phase"], "Failed");
    assert_eq!(
        p["status"]["message"],
        "Pod was active on the node longer than the specified deadline"
    );
}

#[test]
fn bad_image_gives_err_image_pull_then_back_off() {
    let Some((node, _tmp)) = node() else { return };
    node.apply(
        r#"apiVersion: v1
kind: Pod
metadata:
  name: badimage
spec:
  containers:
  - name: main
    image: berth-test/does-not-exist:1
"#,
    );
    let mut seen = std::collections::BTreeSet::new();
    assert!(
        eventually(60, || {
            seen.insert(status_column(&node, "badimage"));
            seen.contains("ErrImagePull") && seen.contains("ImagePullBackOff")
        }),
        "statuses seen: {seen:?}"
    );
    let events = node.k(&[
        "get",
        "events",
        "--field-selector",
        "involvedObject.name=badimage",
    ]);
    assert!(
        events.contains("Failed to pull image \"berth-test/does-not-exist:1\""),
        "{events}"
    );
}

#[test]
fn image_pulled_from_a_local_registry_mirror() {
    if !node_tests_possible() || !std::path::Path::new("/usr/bin/docker-registry").exists() {
        eprintln!("skipping: needs root, containerd, the CNI plugins and docker-registry");
        return;
    }
    // The registry listens on the node's own loopback (inside its network namespace).
    let node = NodeServer::start(&["--registry-mirror", "http://127.0.0.1:5000"]);
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("registry.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:5000\n",
            tmp.path().join("registry").display()
        ),
    )
    .unwrap();
    let _registry = Kill(
        node.in_ns("/usr/bin/docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let archive = busybox_archive(tmp.path(), "mirrored/busybox:2");
    assert!(eventually(30, || {
        node.in_ns(env!("CARGO_BIN_EXE_berth"))
            .args(["image", "push"])
            .arg(&archive)
            .args(["127.0.0.1:5000/mirrored/busybox:2", "--plain-http"])
            .output()
            .is_ok_and(|o| o.status.success())
    }));
    // `image: mirrored/busybox:2` means docker.io/mirrored/busybox:2; the mirror serves it.
    node.apply(
        r#"apiVersion: v1
kind: Pod
metadata:
  name: mirrored
spec:
  containers:
  - name: main
    image: mirrored/busybox:2
    command: ["sleep", "3600"]
"#,
    );
    assert!(
        eventually(60, || status_column(&node, "mirrored") == "Running"),
        "{}",
        node.k(&["describe", "pod", "mirrored"])
    );
    let events = node.k(&[
        "get",
        "events",
        "--field-selector",
        "involvedObject.name=mirrored",
    ]);
    assert!(
        events.contains("Successfully pulled image \"mirrored/busybox:2\""),
        "{events}"
    );
}

#[test]
fn containerd_dying_is_survived() {
    let Some((node, _tmp)) = node() else { return };
    node.apply(&pod("survivor", "Always", "sleep 3600"));
    assert!(eventually(60, || status_column(&node, "survivor") == "Running"));
    let before = get(&node, "survivor")["status"]["containerStatuses"][0]["containerID"].clone();
    let pid_file = node.data_dir().join("agent/containerd/containerd.pid");
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap()
        .success());
    // The agent starts containerd again; the pod's container was never touched.
    assert!(eventually(60, || {
        std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|s| s.trim().parse::<i32>().ok())
            .is_some_and(|p| p != pid)
    }));
    node.apply(&pod("after", "Always", "sleep 3600"));
    assert!(
        eventually(60, || status_column(&node, "after") == "Running"),
        "{}",
        node.k(&["describe", "pod", "after"])
    );
    let now = get(&node, "survivor");
    assert_eq!(now["status"]["containerStatuses"][0]["containerID"], before);
    assert_eq!(now["status"]["containerStatuses"][0]["restartCount"], 0);
}

#[test]
fn berth_agent_joins_with_a_kubeconfig() {
    if !node_tests_possible() {
        eprintln!("skipping: node tests need root, containerd and the CNI plugins");
        return;
    }
    let node = NodeServer::start(&["--disable-agent"]);
    let agent_dir = node.data_dir().join("a");
    let _agent = Kill(
        node.in_ns(env!("CARGO_BIN_EXE_berth"))
            .args(["agent", "--kubeconfig"])
            .arg(&node.kubeconfig)
            .arg("--data-dir")
            .arg(&agent_dir)
            .args([
                "--node-name",
                "worker-1",
                "--node-ip",
                &node.node_ip,
                "--kubelet-port",
                "10251",
            ])
            .env("HTTPS_PROXY", "http://127.0.0.1:9")
            .env("HTTP_PROXY", "http://127.0.0.1:9")
            .env("NO_PROXY", format!("127.0.0.1,localhost,{}", node.node_ip))
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    assert!(
        node.node_ready("worker-1", 60),
        "worker-1 did not become Ready"
    );
    let n = node.kj(&["get", "node", "worker-1"]);
    assert_eq!(
        n["status"]["daemonEndpoints"]["kubeletEndpoint"]["Port"],
        10251
    );
    assert!(n["metadata"]["labels"]
        .get("node-role.kubernetes.io/control-plane")
        .is_none());
    let tmp = tempfile::tempdir().unwrap();
    let archive = busybox_archive(tmp.path(), IMAGE);
    let o = node
        .in_ns(env!("CARGO_BIN_EXE_berth"))
        .args(["image", "import", "--data-dir"])
        .arg(&agent_dir)
        .arg(&archive)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    node.k(&[
        "create",
        "deployment",
        "pingpong",
        &format!("--image={IMAGE}"),
        "--",
        "sh",
        "-c",
        "while true; do echo pong; sleep 1; done",
    ]);
    assert!(
        eventually(60, || node
            .k(&["get", "pods", "-l", "app=pingpong", "--no-headers"])
            .contains("Running")),
        "{}",
        node.k(&["describe", "pods", "-l", "app=pingpong"])
    );
    assert!(eventually(20, || node
        .k(&["logs", "deploy/pingpong", "--tail=1"])
        .contains("pong")));
    node.k(&["scale", "deploy/pingpong", "--replicas=3"]);
    assert!(eventually(60, || {
        let out = node.k(&["get", "pods", "-l", "app=pingpong", "--no-headers"]);
        out.lines().filter(|l| l.contains("Running")).count() == 3
    }));
}

#[test]
fn lifecycle_hooks_host_path_attach_and_run_as_non_root() {
    let Some((node, tmp)) = node() else { return };
    let host_dir = tmp.path().join("hostdir");
    node.apply(&format!(
        r#"apiVersion: v1
kind: Pod
metadata:
  name: hooks
spec:
  terminationGracePeriodSeconds: 5
  containers:
  - name: main
    image: {IMAGE}
    command: ["sh", "-c", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.3; done"]
    lifecycle:
      postStart:
        exec: {{command: ["sh", "-c", "echo started > /host/post-start"]}}
      preStop:
        exec: {{command: ["sh", "-c", "echo stopping > /host/pre-stop"]}}
    volumeMounts:
    - {{name: host, mountPath: /host}}
  volumes:
  - name: host
    hostPath: {{path: {dir}, type: DirectoryOrCreate}}
"#,
        dir = host_dir.display()
    ));
    assert!(
        eventually(60, || status_column(&node, "hooks") == "Running"),
        "{}",
        node.k(&["describe", "pod", "hooks"])
    );
    assert!(eventually(10, || std::fs::read_to_string(
        host_dir.join("post-start")
    )
    .is_ok_and(|s| s == "started\n")));
    // attach shows what the container writes now.
    let o = node
        .in_ns("timeout")
        .args(["3", common::KUBECTL_NEW, "attach", "hooks"])
        .env("KUBECONFIG", &node.kubeconfig)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("tick "),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    node.k(&["delete", "pod", "hooks", "--wait=true"]);
    assert_eq!(
        std::fs::read_to_string(host_dir.join("pre-stop")).unwrap(),
        "stopping\n"
    );

    node.apply(&format!(
        r#"apiVersion: v1
kind: Pod
metadata:
  name: nonroot
spec:
  securityContext:
    runAsNonRoot: true
  containers:
  - name: main
    image: {IMAGE}
    command: ["sleep", "3600"]
"#
    ));
    assert!(eventually(60, || status_column(&node, "nonroot")
        == "CreateContainerConfigError"));
    let p = get(&node, "nonroot");
    let msg = p["status"]["containerStatuses"][0]["state"]["waiting"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.starts_with("container has runAsNonRoot and image will run as root"),
        "{msg}"
    );
}

#[test]
fn agent_on_an_existing_runtime_via_container_runtime_endpoint() {
    if !node_tests_possible() {
        eprintln!("skipping: node tests need root, containerd and the CNI plugins");
        return;
    }
    let node = NodeServer::start(&["--disable-agent"]);
    // A containerd of "the machine", configured by its owner (here: the test), with its
    // own CNI configuration and sandbox image; berth only speaks CRI to it.
    let rt = node.data_dir().join("rt");
    let (socket, certs_d, cni) = (rt.join("c.sock"), rt.join("certs.d"), rt.join("net.d"));
    std::fs::create_dir_all(&certs_d).unwrap();
    std::fs::create_dir_all(&cni).unwrap();
    std::fs::write(
        cni.join("10-test.conflist"),
        format!(
            r#"{{"cniVersion":"1.0.0","name":"test","plugins":[{{"type":"bridge","bridge":"test0","isGateway":true,"ipMasq":false,"ipam":{{"type":"host-local","ranges":[[{{"subnet":"10.244.99.0/24"}}]],"dataDir":"{}"}}}}]}}"#,
            rt.join("ipam").display()
        ),
    )
    .unwrap();
    let q = |p: &std::path::Path| format!("{:?}", p.display().to_string());
    std::fs::write(
        rt.join("config.toml"),
        format!(
            "version = 2\nroot = {root}\nstate = {state}\ndisabled_plugins = [\"io.containerd.snapshotter.v1.aufs\", \"io.containerd.snapshotter.v1.btrfs\", \"io.containerd.snapshotter.v1.zfs\", \"io.containerd.snapshotter.v1.devmapper\"]\n\
             [grpc]\n  address = {sock}\n[ttrpc]\n  address = {ttrpc}\n\
             [plugins.\"io.containerd.grpc.v1.cri\"]\n  sandbox_image = \"docker.io/berth-test/pause:1\"\n  restrict_oom_score_adj = true\n  stream_server_address = \"127.0.0.1\"\n  stream_server_port = \"0\"\n\
             [plugins.\"io.containerd.grpc.v1.cri\".cni]\n  bin_dir = \"/usr/lib/cni\"\n  conf_dir = {cni}\n\
             [plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = {certs}\n",
            root = q(&rt.join("root")),
            state = q(&rt.join("state")),
            sock = q(&socket),
            ttrpc = q(&rt.join("c.sock.ttrpc")),
            cni = q(&cni),
            certs = q(&certs_d),
        ),
    )
    .unwrap();
    // On drop: its sandboxes are stopped through CRI first, then it is killed.
    struct Runtime(std::process::Child, std::path::PathBuf);
    impl Drop for Runtime {
        fn drop(&mut self) {
            common::node::stop_sandboxes_at(&self.1);
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let containerd = node
        .in_ns("/usr/bin/containerd")
        .arg("--config")
        .arg(rt.join("config.toml"))
        .env("HTTPS_PROXY", "http://127.0.0.1:9")
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(rt.join("containerd.log")).unwrap())
        .spawn()
        .unwrap();
    let _containerd = Runtime(containerd, socket.clone());
    assert!(eventually(30, || socket.exists()));
    let endpoint = format!("unix://{}", socket.display());
    // Its images: the sandbox image and busybox, imported through CRI.
    let tmp = tempfile::tempdir().unwrap();
    let pause = tmp.path().join("pause.tar");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_berth"))
        .args([
            "image",
            "build",
            "-t",
            "berth-test/pause:1",
            "--from-binary",
            "/bin/busybox:/bin/busybox",
        ])
        .args([
            "--entrypoint",
            "[\"/bin/busybox\",\"sleep\",\"2147483647\"]",
            "-o",
        ])
        .arg(&pause)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for archive in [pause, busybox_archive(tmp.path(), IMAGE)] {
        let o = node
            .in_ns(env!("CARGO_BIN_EXE_berth"))
            .args([
                "image",
                "import",
                "--container-runtime-endpoint",
                &endpoint,
                "--registry-config-dir",
            ])
            .arg(&certs_d)
            .arg(&archive)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let _agent = Kill(
        node.in_ns(env!("CARGO_BIN_EXE_berth"))
            .args(["agent", "--kubeconfig"])
            .arg(&node.kubeconfig)
            .arg("--data-dir")
            .arg(node.data_dir().join("a"))
            .args([
                "--node-name",
                "ext-1",
                "--node-ip",
                &node.node_ip,
                "--container-runtime-endpoint",
                &endpoint,
            ])
            .env("NO_PROXY", format!("127.0.0.1,localhost,{}", node.node_ip))
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    assert!(node.node_ready("ext-1", 60));
    // berth started no containerd of its own for this node.
    assert!(!node
        .data_dir()
        .join("a/agent/containerd/containerd.sock")
        .exists());
    node.apply(&pod(
        "onext",
        "Always",
        "echo on the external runtime; sleep 3600",
    ));
    assert!(
        eventually(60, || status_column(&node, "onext") == "Running"),
        "{}",
        node.k(&["describe", "pod", "onext"])
    );
    let p = get(&node, "onext");
    assert!(p["status"]["podIP"]
        .as_str()
        .unwrap()
        .starts_with("10.244.99."));
    assert!(eventually(20, || node
        .k(&["logs", "onext"])
        .contains("on the external runtime")));
    // The harness stops sandboxes through every containerd socket it finds; this one
    // is not under agent/containerd, so stop them here.
    node.k(&["delete", "pod", "onext", "--grace-period=1", "--wait=true"]);
}
