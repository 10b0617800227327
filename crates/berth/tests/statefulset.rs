//! StatefulSet acceptance tests on hollow nodes with real kubectl: stable names and
//! identities, ordered creation, reverse-order scale-down, claims from templates, and a
//! partitioned rolling update.

mod common;

use std::collections::BTreeMap;

use common::{eventually, Hollow, Server, Watch};
use serde_json::Value;

fn running_and_ready(pod: &Value) -> bool {
    pod.pointer("/status/phase") == Some(&Value::from("Running"))
        && pod
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .is_some_and(|cs| {
                cs.iter()
                    .any(|c| c["type"] == "Ready" && c["status"] == "True")
            })
}

fn name_of(e: &Value) -> String {
    e.pointer("/object/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

fn wait_nodes_ready(s: &Server, n: usize) {
    assert!(
        eventually(60, || s
            .k(&["get", "nodes", "--no-headers"])
            .lines()
            .filter(|l| l.split_whitespace().nth(1) == Some("Ready"))
            .count()
            == n),
        "{n} nodes did not become Ready"
    );
}

const STS: &str = r#"
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: nginx
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        volumeMounts:
        - {name: www, mountPath: /usr/share/nginx/html}
  volumeClaimTemplates:
  - metadata:
      name: www
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests: {storage: 1Gi}
"#;

fn ready_column(s: &Server) -> String {
    s.k(&["get", "sts", "web", "--no-headers"])
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .to_string()
}

#[test]
fn ordered_creation_reverse_scale_down_and_partitioned_update() {
    let s = Server::start();
    let _h = Hollow::start(&s, 2, "hollow", &[]);
    wait_nodes_ready(&s, 2);

    let w = Watch::start(&s, &["get", "pods", "-l", "app=web"]);
    let o = s.k_stdin(&["apply", "-f", "-"], STS);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        eventually(60, || ready_column(&s) == "3/3"),
        "{}",
        s.k(&["get", "sts,pods"])
    );

    // web-N never exists before web-(N-1) was seen Running and Ready
    let events = w.events();
    drop(w);
    let mut ready_seen: BTreeMap<String, bool> = BTreeMap::new();
    for e in &events {
        let name = name_of(e);
        if let Some(ord) = name
            .strip_prefix("web-")
            .and_then(|o| o.parse::<u32>().ok())
        {
            if ord > 0 {
                let prev = format!("web-{}", ord - 1);
                assert!(
                    ready_seen.get(&prev).copied().unwrap_or(false),
                    "{name} appeared before {prev} was ready: {:?}",
                    events
                        .iter()
                        .map(|e| (
                            e["type"].clone(),
                            name_of(e),
                            running_and_ready(&e["object"])
                        ))
                        .collect::<Vec<_>>()
                );
            }
        }
        if running_and_ready(&e["object"]) {
            ready_seen.insert(name, true);
        }
    }

    // stable identity: labels, hostname, subdomain, claims
    let pod = s.kj(&["get", "pod", "web-1"]);
    assert_eq!(
        pod["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"],
        "web-1"
    );
    assert_eq!(
        pod["metadata"]["labels"]["apps.kubernetes.io/pod-index"],
        "1"
    );
    assert_eq!(pod["spec"]["hostname"], "web-1");
    assert_eq!(pod["spec"]["subdomain"], "nginx");
    let revision = pod["metadata"]["labels"]["controller-revision-hash"].clone();
    assert!(
        revision.as_str().is_some_and(|r| r.starts_with("web-")),
        "{revision}"
    );
    let claim = pod["spec"]["volumes"]
        .as_array()
        .and_then(|v| v.iter().find(|v| v["name"] == "www"))
        .map(|v| v["persistentVolumeClaim"]["claimName"].clone());
    assert_eq!(claim, Some(Value::from("www-web-1")));
    let pvcs = s.k(&["get", "pvc", "-o", "name"]);
    for n in 0..3 {
        assert!(
            pvcs.contains(&format!("persistentvolumeclaim/www-web-{n}")),
            "{pvcs}"
        );
    }
    let sts = s.kj(&["get", "sts", "web"]);
    for f in [
        "replicas",
        "readyReplicas",
        "currentReplicas",
        "updatedReplicas",
        "availableReplicas",
    ] {
        assert_eq!(sts["status"][f], 3, "{f}: {}", sts["status"]);
    }
    assert_eq!(sts["status"]["currentRevision"], revision);
    assert_eq!(sts["status"]["updateRevision"], revision);

    // scale down: web-2 is deleted first, web-1 only once web-2 is gone
    let w = Watch::start(&s, &["get", "pods", "-l", "app=web"]);
    assert!(eventually(20, || w.events().len() >= 3));
    s.k(&["scale", "sts", "web", "--replicas=1"]);
    assert!(
        eventually(60, || ready_column(&s) == "1/1"
            && s.k(&["get", "pods", "-l", "app=web", "--no-headers"])
                .lines()
                .count()
                == 1),
        "{}",
        s.k(&["get", "sts,pods"])
    );
    let events = w.events();
    drop(w);
    let pos = |name: &str, deleted: bool| {
        events.iter().position(|e| {
            name_of(e) == name
                && if deleted {
                    e["type"] == "DELETED"
                } else {
                    e.pointer("/object/metadata/deletionTimestamp").is_some()
                }
        })
    };
    let (Some(gone2), Some(term1)) = (pos("web-2", true), pos("web-1", false)) else {
        panic!("web-2 deleted and web-1 terminating expected: {events:?}");
    };
    assert!(gone2 < term1, "web-1 was deleted before web-2 was gone");
    assert!(s
        .k(&["get", "pod", "web-0", "--no-headers"])
        .contains("Running"));
    // claims stay (retention policy Retain)
    assert!(s.k(&["get", "pvc", "-o", "name"]).contains("www-web-2"));

    // partitioned rolling update: ordinals >= partition move, from the highest down
    s.k(&["scale", "sts", "web", "--replicas=3"]);
    assert!(eventually(60, || ready_column(&s) == "3/3"));
    s.k(&[
        "patch",
        "sts",
        "web",
        "-p",
        r#"{"spec":{"updateStrategy":{"rollingUpdate":{"partition":1}}}}"#,
    ]);
    s.k(&["set", "image", "sts/web", "nginx=nginx:1.28"]);
    let image = |n: u32| {
        s.kj(&["get", "pod", &format!("web-{n}")])["spec"]["containers"][0]["image"].clone()
    };
    assert!(
        eventually(60, || {
            let st = s.kj(&["get", "sts", "web"])["status"].clone();
            st["updatedReplicas"] == 2 && st["readyReplicas"] == 3
        }),
        "{}",
        s.kj(&["get", "sts", "web"])["status"]
    );
    assert_eq!(image(0), "nginx:1.27");
    assert_eq!(image(1), "nginx:1.28");
    assert_eq!(image(2), "nginx:1.28");
    let st = s.kj(&["get", "sts", "web"])["status"].clone();
    assert_ne!(st["currentRevision"], st["updateRevision"]);
    s.k(&[
        "patch",
        "sts",
        "web",
        "-p",
        r#"{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}"#,
    ]);
    let out = s.k(&["rollout", "status", "sts/web", "--timeout=60s"]);
    assert!(
        out.contains("partitioned roll out complete") || out.contains("rolling update complete"),
        "{out}"
    );
    assert_eq!(image(0), "nginx:1.28");
    let st = s.kj(&["get", "sts", "web"])["status"].clone();
    assert_eq!(st["currentRevision"], st["updateRevision"]);
    let events = s.k(&[
        "get",
        "events",
        "--field-selector",
        "involvedObject.kind=StatefulSet",
    ]);
    assert!(
        events.contains("create Pod web-0 in StatefulSet web successful"),
        "{events}"
    );
    assert!(
        events.contains("create Claim www-web-0 Pod web-0 in StatefulSet web success"),
        "{events}"
    );
    assert!(
        events.contains("delete Pod web-2 in StatefulSet web successful"),
        "{events}"
    );
}

#[test]
fn parallel_policy_creates_all_at_once() {
    let s = Server::start();
    let _h = Hollow::start(&s, 1, "hollow", &["--fail-image-pull", "broken/never"]);
    wait_nodes_ready(&s, 1);
    // a pod that never becomes ready would block OrderedReady; Parallel does not wait
    let yaml = STS
        .replace(
            "replicas: 3",
            "replicas: 3\n  podManagementPolicy: Parallel",
        )
        .replace("image: nginx:1.27", "image: broken/never:1");
    let o = s.k_stdin(&["apply", "-f", "-"], &yaml);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        eventually(40, || s
            .k(&["get", "pods", "-l", "app=web", "--no-headers"])
            .lines()
            .count()
            == 3),
        "{}",
        s.k(&["get", "pods"])
    );
    assert!(
        eventually(20, || s.kj(&["get", "sts", "web"])["status"]["replicas"]
            == 3),
        "{}",
        s.kj(&["get", "sts", "web"])["status"]
    );
    let st = s.kj(&["get", "sts", "web"])["status"].clone();
    assert_eq!(st["readyReplicas"], 0);
    // none of them ever ran, and all three exist anyway
    let pods = s.k(&["get", "pods", "-l", "app=web", "--no-headers"]);
    assert!(!pods.contains("Running"), "{pods}");
}
