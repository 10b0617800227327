//! DaemonSet acceptance tests on hollow nodes with real kubectl: one pod per eligible
//! node, taints, nodes joining, rolling updates within maxUnavailable/maxSurge, and the
//! workshop's deployment-to-daemonset cast with its selector edit.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{eventually, Hollow, Server, Watch};
use serde_json::Value;

fn ready(pod: &Value) -> bool {
    pod.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
        })
}

fn wait_nodes_ready(s: &Server, n: usize) {
    assert!(
        eventually(60, || {
            s.kj(&["get", "nodes"])["items"].as_array().map(|ns| {
                ns.iter()
                    .filter(|n| {
                        n.pointer("/status/conditions")
                            .and_then(Value::as_array)
                            .is_some_and(|cs| {
                                cs.iter()
                                    .any(|c| c["type"] == "Ready" && c["status"] == "True")
                            })
                    })
                    .count()
            }) == Some(n)
        }),
        "{n} nodes did not become Ready: {}",
        s.k(&["get", "nodes"])
    );
}

/// The DaemonSet's columns in `kubectl get ds`: DESIRED CURRENT READY UP-TO-DATE AVAILABLE.
fn ds_columns(s: &Server, name: &str) -> Vec<String> {
    let out = s.k(&["get", "ds", name, "--no-headers"]);
    out.split_whitespace()
        .skip(1)
        .take(5)
        .map(str::to_string)
        .collect()
}

fn columns_are(s: &Server, name: &str, n: usize) -> bool {
    ds_columns(s, name) == vec![n.to_string(); 5]
}

/// Node name -> live (not terminating) pods of a label selector.
fn pods_by_node(s: &Server, selector: &str) -> BTreeMap<String, Vec<Value>> {
    let mut m: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for p in s.kj(&["get", "pods", "-l", selector])["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        if p.pointer("/metadata/deletionTimestamp").is_some() {
            continue;
        }
        let node = p
            .pointer("/spec/nodeName")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        m.entry(node).or_default().push(p);
    }
    m
}

fn node_set(m: &BTreeMap<String, Vec<Value>>) -> BTreeSet<String> {
    m.keys().cloned().collect()
}

const DS: &str = r#"
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  updateStrategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: 1}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
      - name: agent
        image: busybox
        command: ["sleep", "3600"]
"#;

#[test]
fn one_pod_per_eligible_node() {
    let s = Server::start();
    let _h = Hollow::start(&s, 3, "hollow", &[]);
    wait_nodes_ready(&s, 3);
    s.k(&["taint", "nodes", "hollow-2", "dedicated=infra:NoSchedule"]);
    let o = s.k_stdin(&["apply", "-f", "-"], DS);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    assert!(
        eventually(40, || columns_are(&s, "agent", 2)),
        "ds: {:?}",
        ds_columns(&s, "agent")
    );
    let by_node = pods_by_node(&s, "app=agent");
    assert_eq!(
        node_set(&by_node),
        ["hollow-0", "hollow-1"].map(String::from).into(),
        "one pod on each untainted node, none on the tainted one"
    );
    assert!(by_node.values().all(|p| p.len() == 1));
    let pod = &by_node["hollow-0"][0];
    // bound by the scheduler through node affinity, as upstream since 1.12
    assert_eq!(
        pod.pointer("/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms/0/matchFields/0"),
        Some(&serde_json::json!({"key": "metadata.name", "operator": "In", "values": ["hollow-0"]}))
    );
    assert_eq!(
        pod.pointer("/metadata/labels/pod-template-generation"),
        Some(&Value::from("1"))
    );
    let hash = pod
        .pointer("/metadata/labels/controller-revision-hash")
        .and_then(Value::as_str)
        .expect("controller-revision-hash label")
        .to_string();
    assert!(s
        .k(&["get", "controllerrevisions", "-o", "name"])
        .contains(&format!("controllerrevision.apps/agent-{hash}")));
    let tolerations = pod["spec"]["tolerations"].to_string();
    for key in [
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
        "node.kubernetes.io/disk-pressure",
        "node.kubernetes.io/memory-pressure",
        "node.kubernetes.io/pid-pressure",
        "node.kubernetes.io/unschedulable",
    ] {
        assert!(tolerations.contains(key), "{key} missing in {tolerations}");
    }
    let ds = s.kj(&["get", "ds", "agent"]);
    assert_eq!(
        ds.pointer("/metadata/annotations/deprecated.daemonset.template.generation"),
        Some(&Value::from("1"))
    );
    assert_eq!(
        ds.pointer("/status/numberMisscheduled"),
        Some(&Value::from(0))
    );

    // a node joining gets a pod; untainting a node gets it one
    let _late = Hollow::start(&s, 1, "late", &[]);
    assert!(
        eventually(40, || columns_are(&s, "agent", 3)),
        "after a node joined: {:?}",
        ds_columns(&s, "agent")
    );
    assert!(pods_by_node(&s, "app=agent").contains_key("late-0"));
    s.k(&["taint", "nodes", "hollow-2", "dedicated-"]);
    assert!(
        eventually(40, || columns_are(&s, "agent", 4)),
        "after untaint: {:?}",
        ds_columns(&s, "agent")
    );

    // a node that stops matching loses its pod: NoExecute evicts, a selector excludes
    s.k(&["taint", "nodes", "hollow-0", "dedicated=infra:NoExecute"]);
    assert!(
        eventually(40, || columns_are(&s, "agent", 3)
            && !pods_by_node(&s, "app=agent").contains_key("hollow-0")),
        "after NoExecute taint: {:?} {:?}",
        ds_columns(&s, "agent"),
        node_set(&pods_by_node(&s, "app=agent"))
    );

    let events = s.k(&[
        "get",
        "events",
        "--field-selector",
        "involvedObject.kind=DaemonSet",
    ]);
    assert!(events.contains("SuccessfulCreate"), "{events}");
    assert!(events.contains("Created pod: agent-"), "{events}");
    assert!(events.contains("SuccessfulDelete"), "{events}");
    assert!(events.contains("Deleted pod: agent-"), "{events}");
}

/// Availability per node at each watch event: nodes with a ready pod that is not
/// being deleted, and the number of live pods.
fn replay(events: &[Value]) -> Vec<(usize, usize)> {
    let mut pods: BTreeMap<String, Value> = BTreeMap::new();
    let mut out = Vec::new();
    for e in events {
        let name = e
            .pointer("/object/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if e["type"] == "DELETED" {
            pods.remove(&name);
        } else {
            pods.insert(name, e["object"].clone());
        }
        let live: Vec<&Value> = pods
            .values()
            .filter(|p| p.pointer("/metadata/deletionTimestamp").is_none())
            .collect();
        let available: BTreeSet<&str> = live
            .iter()
            .filter(|p| ready(p))
            .filter_map(|p| p.pointer("/spec/nodeName").and_then(Value::as_str))
            .collect();
        out.push((available.len(), live.len()));
    }
    out
}

#[test]
fn rolling_update_within_max_unavailable_and_surge() {
    let s = Server::start();
    let _h = Hollow::start(&s, 4, "hollow", &[]);
    wait_nodes_ready(&s, 4);
    let o = s.k_stdin(&["apply", "-f", "-"], DS);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        eventually(40, || columns_are(&s, "agent", 4)),
        "{:?}",
        ds_columns(&s, "agent")
    );
    let first_hash = s.kj(&["get", "pods", "-l", "app=agent"])["items"][0]["metadata"]["labels"]
        ["controller-revision-hash"]
        .clone();

    // maxUnavailable 1: never fewer than 3 of 4 nodes with an available pod
    let w = Watch::start(&s, &["get", "pods", "-l", "app=agent"]);
    assert!(eventually(20, || w.events().len() >= 4));
    s.k(&["set", "image", "ds/agent", "agent=busybox:1.36"]);
    let out = s.k(&["rollout", "status", "ds/agent", "--timeout=60s"]);
    assert!(
        out.contains("daemon set \"agent\" successfully rolled out"),
        "{out}"
    );
    let steps = replay(&w.events());
    drop(w);
    assert!(
        steps.iter().skip(4).all(|(available, _)| *available >= 3),
        "availability dipped below desired - maxUnavailable: {steps:?}"
    );
    assert!(
        steps.iter().any(|(available, _)| *available == 3),
        "no pod was ever replaced: {steps:?}"
    );
    let by_node = pods_by_node(&s, "app=agent");
    assert_eq!(by_node.len(), 4);
    for pods in by_node.values() {
        assert_eq!(pods.len(), 1);
        assert_eq!(pods[0]["spec"]["containers"][0]["image"], "busybox:1.36");
        assert_ne!(
            pods[0]["metadata"]["labels"]["controller-revision-hash"],
            first_hash
        );
        assert_eq!(
            pods[0]["metadata"]["labels"]["pod-template-generation"],
            "2"
        );
    }
    let history = s.k(&["rollout", "history", "ds/agent"]);
    assert!(
        history.contains("1 ") && history.contains("2 "),
        "{history}"
    );

    // maxSurge 1, maxUnavailable 0: all 4 nodes stay available, at most 5 pods live
    s.k(&[
        "patch",
        "ds/agent",
        "-p",
        r#"{"spec":{"updateStrategy":{"rollingUpdate":{"maxUnavailable":0,"maxSurge":1}}}}"#,
    ]);
    let w = Watch::start(&s, &["get", "pods", "-l", "app=agent"]);
    assert!(eventually(20, || w.events().len() >= 4));
    s.k(&["set", "image", "ds/agent", "agent=busybox:1.37"]);
    let out = s.k(&["rollout", "status", "ds/agent", "--timeout=60s"]);
    assert!(out.contains("successfully rolled out"), "{out}");
    let steps = replay(&w.events());
    drop(w);
    assert!(
        steps
            .iter()
            .skip(4)
            .all(|&(available, live)| available == 4 && live <= 5),
        "surge rollout broke its bounds: {steps:?}"
    );
    assert!(
        steps.iter().any(|&(_, live)| live == 5),
        "never surged: {steps:?}"
    );
    assert!(eventually(30, || {
        let m = pods_by_node(&s, "app=agent");
        m.len() == 4
            && m.values()
                .all(|p| p.len() == 1 && p[0]["spec"]["containers"][0]["image"] == "busybox:1.37")
    }));
}

/// The workshop's cast of a Deployment into a DaemonSet, and its selector edit.
#[test]
fn deployment_cast_to_daemonset() {
    let s = Server::start();
    let _h = Hollow::start(&s, 3, "hollow", &[]);
    wait_nodes_ready(&s, 3);
    s.k(&[
        "create",
        "deployment",
        "rng",
        "--image=dockercoins/rng:v0.1",
    ]);
    assert!(eventually(40, || s
        .k(&["get", "deploy", "rng", "--no-headers"])
        .contains("1/1")));

    // `kubectl get deploy/rng -o yaml --export`, then kind: DaemonSet
    let mut obj = s.kj(&["get", "deploy", "rng"]);
    obj["kind"] = "DaemonSet".into();
    obj.as_object_mut().expect("object").remove("status");
    if let Some(m) = obj["metadata"].as_object_mut() {
        for k in [
            "namespace",
            "creationTimestamp",
            "resourceVersion",
            "uid",
            "generation",
            "managedFields",
            "annotations",
        ] {
            m.remove(k);
        }
    }
    let yaml = obj.to_string();
    let o = s.k_stdin(&["apply", "-f", "-"], &yaml);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains(r#"unknown field "spec.replicas""#), "{err}");
    assert!(err.contains(r#"unknown field "spec.strategy""#), "{err}");
    let o = s.k_stdin(&["apply", "-f", "-", "--validate=false"], &yaml);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        eventually(40, || columns_are(&s, "rng", 3)),
        "{:?}",
        ds_columns(&s, "rng")
    );

    // deploy/rng and ds/rng both exist; one pod for the deployment, one per node for the ds
    let all = s.k(&["get", "all"]);
    assert!(
        all.contains("deployment.apps/rng") && all.contains("daemonset.apps/rng"),
        "{all}"
    );
    let pods = s.kj(&["get", "pods", "-l", "app=rng"])["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(pods.len(), 4, "{}", s.k(&["get", "pods", "-o", "wide"]));
    let owned_by = |kind: &str| {
        pods.iter()
            .filter(|p| p["metadata"]["ownerReferences"][0]["kind"] == kind)
            .collect::<Vec<_>>()
    };
    assert_eq!(owned_by("ReplicaSet").len(), 1);
    let ds_pods = owned_by("DaemonSet");
    assert_eq!(ds_pods.len(), 3);
    // the ReplicaSet's selector has pod-template-hash, the daemon set's pods do not
    let rs = s.k(&["describe", "rs", "-l", "app=rng"]);
    assert!(
        rs.contains("Selector:") && rs.contains("pod-template-hash="),
        "{rs}"
    );
    for p in &ds_pods {
        assert!(p.pointer("/metadata/labels/pod-template-hash").is_none());
        assert!(p
            .pointer("/metadata/labels/controller-revision-hash")
            .is_some());
    }

    // adding isactive: "yes" to selector and template: apps/v1 selectors are immutable
    let mut edited = s.kj(&["get", "ds", "rng"]);
    edited["spec"]["selector"]["matchLabels"]["isactive"] = "yes".into();
    edited["spec"]["template"]["metadata"]["labels"]["isactive"] = "yes".into();
    if let Some(m) = edited["metadata"].as_object_mut() {
        m.remove("resourceVersion");
    }
    edited.as_object_mut().expect("object").remove("status");
    let o = s.k_stdin(&["apply", "-f", "-"], &edited.to_string());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains(r#"The DaemonSet "rng" is invalid: spec.selector: Invalid value"#)
            && err.contains("field is immutable"),
        "{err}"
    );

    // `kubectl apply --force` deletes and recreates it: the new one runs its own pods
    let old_uid = s.kj(&["get", "ds", "rng"])["metadata"]["uid"].clone();
    let o = s.k_stdin(&["apply", "--force", "-f", "-"], &edited.to_string());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let ds = s.kj(&["get", "ds", "rng"]);
    assert_ne!(ds["metadata"]["uid"], old_uid);
    assert!(
        eventually(40, || {
            let m = pods_by_node(&s, "app=rng,isactive=yes");
            columns_are(&s, "rng", 3)
                && m.len() == 3
                && m.values()
                    .flatten()
                    .all(|p| p["metadata"]["ownerReferences"][0]["uid"] == ds["metadata"]["uid"])
        }),
        "{:?} {}",
        ds_columns(&s, "rng"),
        s.k(&["get", "pods", "--show-labels"])
    );
    // the old daemon set's pods are garbage-collected; the deployment's pod stays
    assert!(
        eventually(40, || s.kj(&["get", "pods", "-l", "app=rng,!isactive"])
            ["items"]
            .as_array()
            .is_some_and(|p| p.len() == 1
                && p[0]["metadata"]["ownerReferences"][0]["kind"]
                    == "ReplicaSet")),
        "{}",
        s.k(&["get", "pods", "--show-labels"])
    );
}
