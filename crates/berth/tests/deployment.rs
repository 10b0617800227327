//! Deployment controller acceptance tests: the workshop's deployment steps with real
//! kubectl against `berth server` and hollow nodes (which run pods Running+Ready).

mod common;

use std::collections::HashMap;
use std::io::BufReader;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use common::{eventually, Hollow, Server, KUBECTL_NEW, KUBECTL_OLD};
use serde_json::Value;

/// The image hollow nodes cannot pull (the workshop's missing worker:v0.3).
const BAD_IMAGE: &str = "x/worker:v0.3";

/// What runs the pods: hollow nodes, or (while `berth hollow-nodes` does not come up)
/// a stand-in kubelet in the test that marks every pod Running and Ready.
enum Kubelet {
    Hollow(#[allow(dead_code)] Hollow),
    Fake(FakeKubelet),
}

impl Drop for Kubelet {
    fn drop(&mut self) {
        if let Kubelet::Fake(f) = self {
            f.stop.store(true, Ordering::Relaxed);
            if let Some(t) = f.thread.take() {
                let _ = t.join();
            }
        }
    }
}

/// A server and what runs its pods.
fn cluster() -> (Server, Kubelet) {
    let s = Server::start();
    let k = start_kubelet(&s);
    (s, k)
}

fn start_kubelet(s: &Server) -> Kubelet {
    let h = Hollow::start(s, 3, "hollow", &["--fail-image-pull", BAD_IMAGE]);
    let ready = eventually(10, || {
        let nodes = s.kj(&["get", "nodes"]);
        items(&nodes)
            .iter()
            .filter(|n| condition(n, "Ready").is_some_and(|c| c["status"] == "True"))
            .count()
            == 3
    });
    if ready {
        return Kubelet::Hollow(h);
    }
    eprintln!("hollow nodes did not register: a test kubelet marks pods Running+Ready");
    h.kill();
    Kubelet::Fake(FakeKubelet::start(s))
}

/// Marks every pod that is not being deleted Running and Ready (except pods of
/// [`BAD_IMAGE`]), through `kubectl patch --subresource=status`.
struct FakeKubelet {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeKubelet {
    fn start(s: &Server) -> FakeKubelet {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let kubeconfig = s.kubeconfig.clone();
        let home = s.dir.path().to_path_buf();
        let kubectl = move |args: &[&str]| {
            Command::new(KUBECTL_NEW)
                .args(args)
                .env("KUBECONFIG", &kubeconfig)
                .env("HOME", &home)
                .stdin(Stdio::null())
                .stderr(Stdio::null())
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| o.stdout)
        };
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                let list = kubectl(&["get", "pods", "-A", "-o", "json"])
                    .and_then(|o| serde_json::from_slice::<Value>(&o).ok())
                    .unwrap_or_default();
                for p in items(&list) {
                    let ready = condition(&p, "Ready").is_some_and(|c| c["status"] == "True");
                    if ready
                        || !p["metadata"]["deletionTimestamp"].is_null()
                        || p["spec"]["containers"][0]["image"] == BAD_IMAGE
                    {
                        continue;
                    }
                    let now = Command::new("date")
                        .args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])
                        .output()
                        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                        .unwrap_or_default();
                    let status = serde_json::json!({"status": {
                        "phase": "Running",
                        "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": now}],
                    }});
                    let name = p["metadata"]["name"].as_str().unwrap_or_default();
                    let ns = p["metadata"]["namespace"].as_str().unwrap_or_default();
                    kubectl(&[
                        "patch",
                        "pod",
                        name,
                        "-n",
                        ns,
                        "--subresource=status",
                        "--type=merge",
                        "-p",
                        &status.to_string(),
                    ]);
                }
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
        });
        FakeKubelet {
            stop,
            thread: Some(thread),
        }
    }
}

fn items(list: &Value) -> Vec<Value> {
    list["items"].as_array().cloned().unwrap_or_default()
}

fn condition<'a>(obj: &'a Value, type_: &str) -> Option<&'a Value> {
    obj["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == type_)
}

fn apply(s: &Server, yaml: &str) {
    let out = s.k_stdin(&["apply", "-f", "-"], yaml);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A Deployment of `replicas` pods labelled app=`name`, with extra `spec` lines.
fn deployment_yaml(name: &str, image: &str, replicas: i32, extra_spec: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
      - name: {name}
        image: {image}
{extra_spec}"
    )
}

fn rollout_status(s: &Server, name: &str) -> String {
    s.k(&[
        "rollout",
        "status",
        &format!("deploy/{name}"),
        "--timeout=60s",
    ])
}

/// ReplicaSets of the Deployment `name` (by its app label), oldest first.
fn replica_sets(s: &Server, name: &str) -> Vec<Value> {
    let mut v = items(&s.kj(&["get", "rs", "-l", &format!("app={name}")]));
    // creation order; timestamps have one-second resolution, so ties go by revision
    v.sort_by_key(|r| {
        (
            r["metadata"]["creationTimestamp"]
                .as_str()
                .map(String::from),
            // the first revision the ReplicaSet had (undo moves it to a new one)
            [
                "deployment.kubernetes.io/revision",
                "deployment.kubernetes.io/revision-history",
            ]
            .iter()
            .filter_map(|k| r["metadata"]["annotations"][*k].as_str())
            .flat_map(|v| v.split(','))
            .filter_map(|x| x.trim().parse::<i64>().ok())
            .min()
            .unwrap_or(0),
        )
    });
    v
}

fn pods(s: &Server, name: &str) -> Vec<Value> {
    items(&s.kj(&["get", "pods", "-l", &format!("app={name}")]))
}

fn image_of(obj: &Value) -> String {
    obj["spec"]["template"]["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn annotation(obj: &Value, key: &str) -> Option<String> {
    obj["metadata"]["annotations"][key]
        .as_str()
        .map(String::from)
}

fn scaling_events(s: &Server) -> Vec<String> {
    items(&s.kj(&[
        "get",
        "events",
        "--field-selector",
        "reason=ScalingReplicaSet",
    ]))
    .iter()
    .filter_map(|e| e["message"].as_str().map(String::from))
    .collect()
}

/// Replays `kubectl get pods -w` and records, after every event, the pods that count
/// (not terminating, not finished) and the available ones (Ready) among them.
struct PodWatch {
    child: Child,
    samples: Arc<Mutex<Vec<(usize, usize)>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl PodWatch {
    fn start(s: &Server, app: &str) -> PodWatch {
        let mut child = Command::new(KUBECTL_NEW)
            .args(["get", "pods", "-l", &format!("app={app}"), "-w"])
            .args(["-o", "json", "--output-watch-events"])
            .env("KUBECONFIG", &s.kubeconfig)
            .env("HOME", s.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("kubectl get pods -w");
        let stdout = child.stdout.take().expect("watch stdout");
        let samples = Arc::new(Mutex::new(Vec::new()));
        let out = samples.clone();
        let reader = std::thread::spawn(move || {
            let mut state: HashMap<String, (bool, bool)> = HashMap::new();
            let stream = serde_json::Deserializer::from_reader(BufReader::new(stdout));
            for ev in stream.into_iter::<Value>().map_while(Result::ok) {
                let pod = &ev["object"];
                let name = pod["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                if ev["type"] == "DELETED" {
                    state.remove(&name);
                } else {
                    let phase = pod["status"]["phase"].as_str().unwrap_or("Pending");
                    let counts = pod["metadata"]["deletionTimestamp"].is_null()
                        && phase != "Succeeded"
                        && phase != "Failed";
                    let ready = condition(pod, "Ready").is_some_and(|c| c["status"] == "True");
                    state.insert(name, (counts, counts && ready));
                }
                let total = state.values().filter(|(c, _)| *c).count();
                let available = state.values().filter(|(_, a)| *a).count();
                if let Ok(mut v) = out.lock() {
                    v.push((total, available));
                }
            }
        });
        PodWatch {
            child,
            samples,
            reader: Some(reader),
        }
    }

    /// Stops watching; returns (total, available) after every event seen.
    fn stop(mut self) -> Vec<(usize, usize)> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        self.samples.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

impl Drop for PodWatch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Checks the seed's promise at every event: at least replicas - maxUnavailable pods
/// available and at most replicas + maxSurge pods in total.
fn assert_rollout_bounds(
    samples: &[(usize, usize)],
    replicas: usize,
    surge: usize,
    unavail: usize,
) {
    // the watch starts with one ADDED event per pod: judge from the complete initial list
    let settled = samples
        .iter()
        .position(|(t, _)| *t >= replicas)
        .expect("watch saw all pods");
    for (i, (total, available)) in samples.iter().enumerate().skip(settled) {
        assert!(
            *total <= replicas + surge,
            "event {i}: {total} pods, more than {replicas}+{surge}: {samples:?}"
        );
        assert!(
            *available + unavail >= replicas,
            "event {i}: {available} available, fewer than {replicas}-{unavail}: {samples:?}"
        );
    }
    let max_total = samples.iter().map(|(t, _)| *t).max().unwrap_or(0);
    assert!(
        max_total > replicas,
        "the rollout never surged above {replicas}: {samples:?}"
    );
}

#[test]
fn pingpong_create_get_all_scale_and_self_heal() {
    let (s, _h) = cluster();
    s.k(&[
        "create",
        "deployment",
        "pingpong",
        "--image=alpine",
        "--",
        "ping",
        "127.0.0.1",
    ]);
    assert!(
        rollout_status(&s, "pingpong").contains("deployment \"pingpong\" successfully rolled out")
    );

    let rss = replica_sets(&s, "pingpong");
    assert_eq!(rss.len(), 1, "{rss:?}");
    let rs = &rss[0];
    let rs_name = rs["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let hash = rs["metadata"]["labels"]["pod-template-hash"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(!hash.is_empty(), "no pod-template-hash label: {rs}");
    assert_eq!(rs_name, format!("pingpong-{hash}"));
    assert_eq!(
        rs["spec"]["selector"]["matchLabels"]["pod-template-hash"],
        hash.as_str()
    );
    assert_eq!(
        rs["spec"]["template"]["metadata"]["labels"]["pod-template-hash"],
        hash.as_str()
    );
    assert_eq!(rs["metadata"]["ownerReferences"][0]["kind"], "Deployment");
    assert_eq!(rs["metadata"]["ownerReferences"][0]["controller"], true);
    assert_eq!(
        annotation(rs, "deployment.kubernetes.io/revision").as_deref(),
        Some("1")
    );
    assert_eq!(
        annotation(rs, "deployment.kubernetes.io/desired-replicas").as_deref(),
        Some("1")
    );
    // default strategy: maxSurge 25% of 1 rounds up to 1
    assert_eq!(
        annotation(rs, "deployment.kubernetes.io/max-replicas").as_deref(),
        Some("2")
    );
    let d = s.kj(&["get", "deploy", "pingpong"]);
    assert_eq!(
        annotation(&d, "deployment.kubernetes.io/revision").as_deref(),
        Some("1")
    );

    let all = s.k(&["get", "all"]);
    assert!(all.contains("deployment.apps/pingpong"), "{all}");
    assert!(all.contains(&format!("replicaset.apps/{rs_name}")), "{all}");
    assert!(all.contains(&format!("pod/{rs_name}-")), "{all}");
    let p = &pods(&s, "pingpong")[0];
    assert_eq!(p["metadata"]["labels"]["pod-template-hash"], hash.as_str());

    s.k(&["scale", "deploy/pingpong", "--replicas", "8"]);
    rollout_status(&s, "pingpong");
    assert!(eventually(30, || pods(&s, "pingpong").len() == 8));
    let d = s.kj(&["get", "deploy", "pingpong"]);
    assert_eq!(d["status"]["availableReplicas"], 8, "{d}");
    assert_eq!(d["status"]["updatedReplicas"], 8);
    assert_eq!(
        replica_sets(&s, "pingpong").len(),
        1,
        "scaling made no new ReplicaSet"
    );
    let events = scaling_events(&s);
    assert!(
        events.contains(&format!("Scaled up replica set {rs_name} from 1 to 8")),
        "{events:?}"
    );

    // self-healing: a deleted pod is replaced
    let victim = pods(&s, "pingpong")[0]["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    s.k(&["delete", "pod", &victim]);
    assert!(eventually(30, || {
        let ps = pods(&s, "pingpong");
        ps.len() == 8
            && ps.iter().all(|p| p["metadata"]["name"] != victim.as_str())
            && ps.iter().all(|p| p["status"]["phase"] == "Running")
    }));
    // the ReplicaSet, not the Deployment, replaced it
    assert_eq!(replica_sets(&s, "pingpong").len(), 1);
}

#[test]
fn rolling_update_stays_within_surge_and_unavailable() {
    let (s, _h) = cluster();
    let strategy = "  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 2, maxUnavailable: 1}
";
    apply(&s, &deployment_yaml("web", "nginx:1", 10, strategy));
    rollout_status(&s, "web");

    let watch = PodWatch::start(&s, "web");
    assert!(eventually(20, || watch
        .samples
        .lock()
        .map(|v| v.iter().any(|(t, _)| *t == 10))
        .unwrap_or(false)));
    s.k(&["set", "image", "deploy/web", "web=nginx:2"]);
    let out = rollout_status(&s, "web");
    assert!(
        out.contains("deployment \"web\" successfully rolled out"),
        "{out}"
    );
    // let the last deletions reach the watch
    std::thread::sleep(std::time::Duration::from_secs(1));
    let samples = watch.stop();
    assert_rollout_bounds(&samples, 10, 2, 1);

    let rss = replica_sets(&s, "web");
    assert_eq!(rss.len(), 2, "{rss:?}");
    assert_eq!(rss[0]["spec"]["replicas"], 0);
    assert_eq!(rss[1]["spec"]["replicas"], 10);
    assert_eq!(image_of(&rss[1]), "nginx:2");
    assert_eq!(
        annotation(&rss[1], "deployment.kubernetes.io/revision").as_deref(),
        Some("2")
    );
    assert!(pods(&s, "web")
        .iter()
        .all(|p| p["spec"]["containers"][0]["image"] == "nginx:2"));
    let d = s.kj(&["get", "deploy", "web"]);
    let progressing = condition(&d, "Progressing").cloned().unwrap_or_default();
    assert_eq!(progressing["reason"], "NewReplicaSetAvailable", "{d}");
    let new_name = rss[1]["metadata"]["name"].as_str().unwrap_or_default();
    assert_eq!(
        progressing["message"],
        format!("ReplicaSet \"{new_name}\" has successfully progressed.").as_str()
    );
    assert_eq!(
        condition(&d, "Available").map(|c| c["reason"].clone()),
        Some("MinimumReplicasAvailable".into())
    );
    let events = scaling_events(&s);
    let old_name = rss[0]["metadata"]["name"].as_str().unwrap_or_default();
    assert!(
        events
            .iter()
            .any(|e| e.starts_with(&format!("Scaled down replica set {old_name} from 10 to "))),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| e == &format!("Scaled up replica set {new_name} from 0 to 2")),
        "{events:?}"
    );
}

#[test]
fn seed_patch_max_unavailable_0_max_surge_3_min_ready_10() {
    let (s, _h) = cluster();
    s.k(&[
        "create",
        "deployment",
        "worker",
        "--image=x/worker:v0.1",
        "--replicas=4",
    ]);
    rollout_status(&s, "worker");
    let watch = PodWatch::start(&s, "worker");
    assert!(eventually(20, || watch
        .samples
        .lock()
        .map(|v| v.iter().any(|(t, _)| *t == 4))
        .unwrap_or(false)));
    s.k(&[
        "patch",
        "deployment",
        "worker",
        "-p",
        "
spec:
  template:
    spec:
      containers:
      - name: worker
        image: x/worker:latest
  strategy:
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 3
  minReadySeconds: 10
",
    ]);
    let out = rollout_status(&s, "worker");
    assert!(
        out.contains("deployment \"worker\" successfully rolled out"),
        "{out}"
    );
    std::thread::sleep(std::time::Duration::from_secs(1));
    let samples = watch.stop();
    // maxUnavailable 0: every Ready pod of the old template stays until a new one
    // has been available (ready 10 s)
    assert_rollout_bounds(&samples, 4, 3, 0);
    let rss = replica_sets(&s, "worker");
    assert_eq!(rss.len(), 2);
    assert_eq!(rss[1]["spec"]["minReadySeconds"], 10);
    assert_eq!(image_of(&rss[1]), "x/worker:latest");
}

#[test]
fn stuck_rollout_times_out_then_undo_and_history() {
    let (s, _h) = cluster();
    s.k(&[
        "create",
        "deployment",
        "worker",
        "--image=x/worker:v0.1",
        "--replicas=10",
    ]);
    s.k(&[
        "patch",
        "deploy",
        "worker",
        "-p",
        r#"{"spec":{"progressDeadlineSeconds":5}}"#,
    ]);
    rollout_status(&s, "worker");
    s.k(&[
        "set",
        "image",
        "deploy",
        "worker",
        &format!("worker={BAD_IMAGE}"),
    ]);
    let out = s.kubectl_with(
        KUBECTL_NEW,
        &["rollout", "status", "deploy/worker", "--timeout=60s"],
    );
    assert!(
        !out.status.success(),
        "a rollout of an unpullable image finished"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("deployment \"worker\" exceeded its progress deadline"),
        "{err}"
    );

    let d = s.kj(&["get", "deploy", "worker"]);
    let rss = replica_sets(&s, "worker");
    let new_name = rss[1]["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let p = condition(&d, "Progressing").cloned().unwrap_or_default();
    assert_eq!(p["status"], "False");
    assert_eq!(p["reason"], "ProgressDeadlineExceeded");
    assert_eq!(
        p["message"],
        format!("ReplicaSet \"{new_name}\" has timed out progressing.").as_str()
    );
    // 25% of 10: surge 3 (rounded up), unavailable 2 (rounded down); the app still runs
    assert_eq!(rss[0]["spec"]["replicas"], 8, "{rss:?}");
    assert_eq!(rss[1]["spec"]["replicas"], 5, "{rss:?}");
    assert_eq!(d["status"]["availableReplicas"], 8);
    assert_eq!(
        condition(&d, "Available").map(|c| c["status"].clone()),
        Some("True".into())
    );

    // resized mid-rollout: spread in proportion (8*25/13 -> 15, 5*25/13 -> 10)
    s.k(&["scale", "deploy/worker", "--replicas=20"]);
    assert!(
        eventually(20, || {
            let r = replica_sets(&s, "worker");
            r[0]["spec"]["replicas"] == 15 && r[1]["spec"]["replicas"] == 10
        }),
        "{:?}",
        replica_sets(&s, "worker")
            .iter()
            .map(|r| r["spec"]["replicas"].clone())
            .collect::<Vec<_>>()
    );
    s.k(&["scale", "deploy/worker", "--replicas=10"]);

    s.k(&["rollout", "undo", "deploy", "worker"]);
    let out = rollout_status(&s, "worker");
    assert!(
        out.contains("deployment \"worker\" successfully rolled out"),
        "{out}"
    );
    let rss = replica_sets(&s, "worker");
    assert_eq!(rss.len(), 2, "undo reuses the old ReplicaSet");
    assert_eq!(rss[0]["spec"]["replicas"], 10);
    assert_eq!(rss[1]["spec"]["replicas"], 0);
    assert_eq!(
        annotation(&rss[0], "deployment.kubernetes.io/revision").as_deref(),
        Some("3")
    );
    assert_eq!(
        annotation(&rss[0], "deployment.kubernetes.io/revision-history").as_deref(),
        Some("1")
    );
    assert!(pods(&s, "worker")
        .iter()
        .all(|p| p["spec"]["containers"][0]["image"] == "x/worker:v0.1"));
    let d = s.kj(&["get", "deploy", "worker"]);
    assert_eq!(
        annotation(&d, "deployment.kubernetes.io/revision").as_deref(),
        Some("3")
    );
    assert_eq!(
        condition(&d, "Progressing").map(|c| c["reason"].clone()),
        Some("NewReplicaSetAvailable".into())
    );

    // revision 1 became 3
    for bin in [KUBECTL_NEW, KUBECTL_OLD] {
        let h = s.k_with(bin, &["rollout", "history", "deploy", "worker"]);
        let revs: Vec<&str> = h
            .lines()
            .skip_while(|l| !l.starts_with("REVISION"))
            .skip(1)
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        assert_eq!(revs, ["2", "3"], "{h}");
    }
}

#[test]
fn history_undo_to_revision_pause_resume_restart_and_cleanup() {
    let (s, _h) = cluster();
    apply(&s, &deployment_yaml("web", "nginx:1", 2, ""));
    rollout_status(&s, "web");
    s.k(&["set", "image", "deploy/web", "web=nginx:2"]);
    s.k(&[
        "annotate",
        "deploy/web",
        "kubernetes.io/change-cause=image nginx:2",
    ]);
    rollout_status(&s, "web");
    s.k(&["set", "image", "deploy/web", "web=nginx:3"]);
    s.k(&[
        "annotate",
        "deploy/web",
        "--overwrite",
        "kubernetes.io/change-cause=image nginx:3",
    ]);
    rollout_status(&s, "web");
    let h = s.k(&["rollout", "history", "deploy/web"]);
    assert!(h.contains("2         image nginx:2"), "{h}");
    assert!(h.contains("3         image nginx:3"), "{h}");
    let h2 = s.k(&["rollout", "history", "deploy/web", "--revision=2"]);
    assert!(h2.contains("nginx:2"), "{h2}");

    // kubectl >= 1.27 undoes client-side: the template of revision 1 comes back and its
    // ReplicaSet becomes revision 4
    s.k_with(
        KUBECTL_OLD,
        &["rollout", "undo", "deploy/web", "--to-revision=1"],
    );
    rollout_status(&s, "web");
    let d = s.kj(&["get", "deploy", "web"]);
    assert_eq!(image_of(&d), "nginx:1");
    assert_eq!(
        annotation(&d, "deployment.kubernetes.io/revision").as_deref(),
        Some("4")
    );
    let h = s.k(&["rollout", "history", "deploy/web"]);
    let revs: Vec<&str> = h
        .lines()
        .skip_while(|l| !l.starts_with("REVISION"))
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(revs, ["2", "3", "4"], "{h}");
    assert_eq!(replica_sets(&s, "web").len(), 3);

    // paused: template changes wait, scaling does not
    s.k(&["rollout", "pause", "deploy/web"]);
    s.k(&["set", "image", "deploy/web", "web=nginx:5"]);
    s.k(&["scale", "deploy/web", "--replicas=3"]);
    assert!(eventually(20, || {
        let d = s.kj(&["get", "deploy", "web"]);
        d["status"]["availableReplicas"] == 3
            && d["status"]["observedGeneration"] == d["metadata"]["generation"]
            && condition(&d, "Progressing")
                .is_some_and(|c| c["reason"] == "DeploymentPaused" && c["status"] == "Unknown")
    }));
    assert_eq!(
        replica_sets(&s, "web").len(),
        3,
        "a paused Deployment rolled out"
    );
    assert!(pods(&s, "web")
        .iter()
        .all(|p| p["spec"]["containers"][0]["image"] == "nginx:1"));
    s.k(&["rollout", "resume", "deploy/web"]);
    rollout_status(&s, "web");
    assert!(eventually(20, || pods(&s, "web")
        .iter()
        .all(|p| p["spec"]["containers"][0]["image"] == "nginx:5")));

    // restart: same image, new pods from a new ReplicaSet
    let before: Vec<String> = pods(&s, "web")
        .iter()
        .filter_map(|p| p["metadata"]["name"].as_str().map(String::from))
        .collect();
    s.k(&["rollout", "restart", "deploy/web"]);
    rollout_status(&s, "web");
    assert!(eventually(20, || {
        let ps = pods(&s, "web");
        ps.len() == 3
            && ps.iter().all(|p| {
                !before.iter().any(|b| p["metadata"]["name"] == b.as_str())
                    && p["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"].is_string()
            })
    }));

    // revisionHistoryLimit 1: only the newest old ReplicaSet stays
    s.k(&[
        "patch",
        "deploy/web",
        "-p",
        r#"{"spec":{"revisionHistoryLimit":1}}"#,
    ]);
    assert!(
        eventually(20, || replica_sets(&s, "web").len() == 2),
        "{:?}",
        replica_sets(&s, "web").len()
    );
}

#[test]
fn recreate_removes_old_pods_before_creating_new_ones() {
    let (s, _h) = cluster();
    apply(
        &s,
        &deployment_yaml("rc", "nginx:1", 3, "  strategy: {type: Recreate}\n"),
    );
    rollout_status(&s, "rc");
    let watch = PodWatch::start(&s, "rc");
    assert!(eventually(20, || watch
        .samples
        .lock()
        .map(|v| v.iter().any(|(t, _)| *t == 3))
        .unwrap_or(false)));
    s.k(&["set", "image", "deploy/rc", "rc=nginx:2"]);
    rollout_status(&s, "rc");
    std::thread::sleep(std::time::Duration::from_secs(1));
    let samples = watch.stop();
    assert!(samples.iter().all(|(t, _)| *t <= 3), "{samples:?}");
    // all old pods went away before the first new one came
    assert!(samples.iter().any(|(t, _)| *t == 0), "{samples:?}");
    assert!(pods(&s, "rc")
        .iter()
        .all(|p| p["spec"]["containers"][0]["image"] == "nginx:2"));
}

#[test]
fn controller_restart_mid_rollout_finishes_it() {
    let (s, h) = cluster();
    let extra = "  minReadySeconds: 2
  strategy:
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
";
    apply(&s, &deployment_yaml("api", "nginx:1", 6, extra));
    rollout_status(&s, "api");
    s.k(&["set", "image", "deploy/api", "api=nginx:2"]);
    assert!(eventually(30, || {
        let d = s.kj(&["get", "deploy", "api"]);
        let updated = d["status"]["updatedReplicas"].as_i64().unwrap_or(0);
        (1..6).contains(&updated)
    }));
    drop(h);
    let dir = s.stop();
    let s = Server::start_in(dir, &[]);
    let _k = start_kubelet(&s);
    let out = rollout_status(&s, "api");
    assert!(
        out.contains("deployment \"api\" successfully rolled out"),
        "{out}"
    );
    let rss = replica_sets(&s, "api");
    assert_eq!(
        rss.len(),
        2,
        "no duplicate ReplicaSet after the restart: {rss:?}"
    );
    assert_eq!(rss[1]["spec"]["replicas"], 6);
    assert_eq!(
        annotation(&rss[1], "deployment.kubernetes.io/revision").as_deref(),
        Some("2")
    );
    assert!(eventually(20, || {
        let ps = pods(&s, "api");
        ps.len() == 6
            && ps
                .iter()
                .all(|p| p["spec"]["containers"][0]["image"] == "nginx:2")
    }));
}
