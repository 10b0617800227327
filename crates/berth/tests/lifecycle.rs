//! Object lifecycle controllers driven by real kubectl: cascading deletion by the garbage
//! collector, namespace termination, default service accounts and root CA, node pod CIDRs.

mod common;

use common::{eventually, Server};
use serde_json::Value;

const HOLD: &str = "example.com/hold";

fn rs_manifest(name: &str, ns: &str, replicas: u32) -> String {
    format!(
        r#"{{"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{{"name":"{name}","namespace":"{ns}"}},
"spec":{{"replicas":{replicas},"selector":{{"matchLabels":{{"app":"{name}"}}}},
"template":{{"metadata":{{"labels":{{"app":"{name}"}}}},"spec":{{"containers":[{{"name":"c","image":"busybox"}}]}}}}}}}}"#
    )
}

fn apply(s: &Server, manifest: &str) {
    let o = s.k_stdin(&["apply", "-f", "-"], manifest);
    assert!(
        o.status.success(),
        "apply failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The pods of `app` in `ns`, as JSON items.
fn pods(s: &Server, ns: &str, app: &str) -> Vec<Value> {
    s.kj(&["-n", ns, "get", "pods", "-l", &format!("app={app}")])["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn exists(s: &Server, args: &[&str]) -> bool {
    let mut a = vec!["get"];
    a.extend_from_slice(args);
    s.kubectl_with(common::KUBECTL_NEW, &a).status.success()
}

fn finalizers(obj: &Value) -> Vec<String> {
    obj["metadata"]["finalizers"]
        .as_array()
        .map(|f| {
            f.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn cascading_deletion_background_foreground_orphan() {
    let s = Server::start();
    for name in ["bg", "fg", "orph"] {
        apply(&s, &rs_manifest(name, "default", 3));
    }
    for name in ["bg", "fg", "orph"] {
        assert!(
            eventually(30, || pods(&s, "default", name).len() == 3),
            "{name}: pods not created"
        );
    }

    // background: the owner goes at once, its pods after it
    s.k(&["delete", "rs", "bg", "--cascade=background"]);
    assert!(!exists(&s, &["rs", "bg"]));
    assert!(
        eventually(30, || pods(&s, "default", "bg").is_empty()),
        "background: pods left: {:?}",
        pods(&s, "default", "bg").len()
    );

    // foreground: the owner stays (foregroundDeletion) until every blocking pod is gone;
    // one pod holds a finalizer so that the waiting state lasts
    let held = pods(&s, "default", "fg")[0]["metadata"]["name"]
        .as_str()
        .expect("pod name")
        .to_string();
    s.k(&[
        "patch",
        "pod",
        &held,
        "--type=merge",
        "-p",
        &format!(r#"{{"metadata":{{"finalizers":["{HOLD}"]}}}}"#),
    ]);
    s.k(&["delete", "rs", "fg", "--cascade=foreground", "--wait=false"]);
    assert!(
        eventually(30, || pods(&s, "default", "fg").len() == 1),
        "foreground: the pods without finalizer were not deleted"
    );
    let rs = s.kj(&["get", "rs", "fg"]);
    assert!(rs["metadata"]["deletionTimestamp"].is_string(), "{rs}");
    assert_eq!(finalizers(&rs), vec!["foregroundDeletion"]);
    let pod = s.kj(&["get", "pod", &held]);
    assert!(pod["metadata"]["deletionTimestamp"].is_string(), "{pod}");
    s.k(&[
        "patch",
        "pod",
        &held,
        "--type=merge",
        "-p",
        r#"{"metadata":{"finalizers":null}}"#,
    ]);
    assert!(
        eventually(30, || !exists(&s, &["rs", "fg"])),
        "foreground: owner not deleted after its last dependent"
    );
    assert!(pods(&s, "default", "fg").is_empty());

    // orphan: the owner goes, its pods stay without owner references
    let before: Vec<String> = pods(&s, "default", "orph")
        .iter()
        .filter_map(|p| p["metadata"]["uid"].as_str().map(String::from))
        .collect();
    s.k(&["delete", "rs", "orph", "--cascade=orphan", "--timeout=30s"]);
    assert!(!exists(&s, &["rs", "orph"]));
    let after = pods(&s, "default", "orph");
    let uids: Vec<String> = after
        .iter()
        .filter_map(|p| p["metadata"]["uid"].as_str().map(String::from))
        .collect();
    assert_eq!(uids.len(), 3);
    assert!(
        uids.iter().all(|u| before.contains(u)),
        "pods were replaced"
    );
    for p in &after {
        assert!(
            p["metadata"]["ownerReferences"].is_null(),
            "orphaned pod still owned: {}",
            p["metadata"]
        );
        assert!(p["metadata"]["deletionTimestamp"].is_null());
    }
}

/// The ReplicaSets of deployment `app` (by the label `kubectl create deployment` sets).
fn replicasets(s: &Server, app: &str) -> Vec<Value> {
    s.kj(&["get", "rs", "-l", &format!("app={app}")])["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn kubectl_delete_deployment_cascades_three_ways() {
    let s = Server::start();
    for name in ["bg", "fg", "orph"] {
        s.k(&[
            "create",
            "deployment",
            name,
            "--image=busybox",
            "--replicas=2",
        ]);
    }
    for name in ["bg", "fg", "orph"] {
        assert!(
            eventually(30, || pods(&s, "default", name).len() == 2),
            "{name}: pods not created"
        );
    }
    s.k(&["delete", "deploy", "bg", "--cascade=background"]);
    assert!(
        eventually(30, || replicasets(&s, "bg").is_empty()
            && pods(&s, "default", "bg").is_empty()),
        "background: dependents left"
    );
    // kubectl waits until the deployment itself is gone: after its ReplicaSet and pods
    s.k(&[
        "delete",
        "deploy",
        "fg",
        "--cascade=foreground",
        "--timeout=40s",
    ]);
    assert!(replicasets(&s, "fg").is_empty());
    assert!(pods(&s, "default", "fg").is_empty());

    s.k(&[
        "delete",
        "deploy",
        "orph",
        "--cascade=orphan",
        "--timeout=30s",
    ]);
    assert!(!exists(&s, &["deploy", "orph"]));
    let rs = replicasets(&s, "orph");
    assert_eq!(rs.len(), 1, "orphan: the ReplicaSet must stay");
    assert!(
        rs[0]["metadata"]["ownerReferences"].is_null(),
        "{}",
        rs[0]["metadata"]
    );
    let rs_uid = rs[0]["metadata"]["uid"].clone();
    // the pods stay, still owned by their (now orphaned) ReplicaSet
    let p = pods(&s, "default", "orph");
    assert_eq!(p.len(), 2);
    for pod in &p {
        assert_eq!(pod["metadata"]["ownerReferences"][0]["uid"], rs_uid);
    }
}

#[test]
fn dependents_of_an_owner_that_never_existed_are_collected() {
    let s = Server::start();
    // owner reference to a ConfigMap uid that does not exist, next to one that does
    s.k(&["create", "configmap", "owner"]);
    let owner_uid = s.kj(&["get", "cm", "owner"])["metadata"]["uid"]
        .as_str()
        .expect("uid")
        .to_string();
    let cm = |name: &str, uid: &str| {
        format!(
            r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"{name}","ownerReferences":[{{"apiVersion":"v1","kind":"ConfigMap","name":"owner","uid":"{uid}"}}]}}}}"#
        )
    };
    apply(&s, &cm("dangling", "00000000-0000-0000-0000-000000000000"));
    apply(&s, &cm("owned", &owner_uid));
    assert!(
        eventually(30, || !exists(&s, &["cm", "dangling"])),
        "dependent of an absent owner not collected"
    );
    assert!(exists(&s, &["cm", "owned"]));
    // deleting the owner (background by default) takes the dependent along
    s.k(&["delete", "cm", "owner"]);
    assert!(
        eventually(30, || !exists(&s, &["cm", "owned"])),
        "dependent not collected after its owner"
    );
}

#[test]
fn namespace_deletion_shows_terminating_empties_then_disappears() {
    let s = Server::start();
    s.k(&["create", "namespace", "doomed"]);
    apply(&s, &rs_manifest("web", "doomed", 2));
    s.k(&["-n", "doomed", "create", "configmap", "plain"]);
    s.k(&["-n", "doomed", "create", "configmap", "held"]);
    s.k(&[
        "-n",
        "doomed",
        "patch",
        "cm",
        "held",
        "--type=merge",
        "-p",
        &format!(r#"{{"metadata":{{"finalizers":["{HOLD}"]}}}}"#),
    ]);
    assert!(eventually(30, || pods(&s, "doomed", "web").len() == 2));

    s.k(&["delete", "namespace", "doomed", "--wait=false"]);
    let out = s.k(&["get", "ns", "doomed"]);
    assert!(out.contains("Terminating"), "{out}");
    // everything without a finalizer goes; the held ConfigMap keeps the namespace
    assert!(
        eventually(30, || {
            let ns = s.kj(&["get", "ns", "doomed"]);
            let conds = ns["status"]["conditions"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            conds.iter().any(|c| {
                c["type"] == "NamespaceFinalizersRemaining"
                    && c["status"] == "True"
                    && c["reason"] == "SomeFinalizersRemain"
                    && c["message"]
                        == "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances"
            }) && conds.iter().any(|c| {
                c["type"] == "NamespaceContentRemaining"
                    && c["reason"] == "SomeResourcesRemain"
                    && c["message"] == "Some resources are remaining: configmaps. has 1 resource instances"
            })
        }),
        "conditions: {}",
        s.kj(&["get", "ns", "doomed"])["status"]
    );
    assert!(pods(&s, "doomed", "web").is_empty());
    assert!(!exists(&s, &["-n", "doomed", "rs", "web"]));
    assert!(!exists(&s, &["-n", "doomed", "cm", "plain"]));
    assert!(!exists(&s, &["-n", "doomed", "sa", "default"]));
    let ns = s.kj(&["get", "ns", "doomed"]);
    assert_eq!(ns["spec"]["finalizers"][0], "kubernetes", "{ns}");
    let err = s.k_err(&["-n", "doomed", "create", "configmap", "late"]);
    assert!(err.contains("because it is being terminated"), "{err}");

    s.k(&[
        "-n",
        "doomed",
        "patch",
        "cm",
        "held",
        "--type=merge",
        "-p",
        r#"{"metadata":{"finalizers":null}}"#,
    ]);
    assert!(
        eventually(40, || !exists(&s, &["ns", "doomed"])),
        "namespace still there: {}",
        s.k(&["get", "ns", "doomed", "-o", "yaml"])
    );
    // a namespace of that name can be made again, with its default service account
    s.k(&["create", "namespace", "doomed"]);
    assert!(eventually(30, || exists(
        &s,
        &["-n", "doomed", "sa", "default"]
    )));
}

#[test]
fn namespaces_get_default_service_account_and_root_ca() {
    let s = Server::start();
    s.k(&["create", "namespace", "team"]);
    assert!(eventually(30, || exists(
        &s,
        &["-n", "team", "sa", "default"]
    )));
    let ca =
        s.kj(&["-n", "kube-system", "get", "cm", "kube-root-ca.crt"])["data"]["ca.crt"].clone();
    assert!(ca.as_str().is_some_and(|c| c.contains("BEGIN CERTIFICATE")));
    assert!(eventually(30, || exists(
        &s,
        &["-n", "team", "cm", "kube-root-ca.crt"]
    )));

    // deleted: made again
    let uid = s.kj(&["-n", "team", "get", "sa", "default"])["metadata"]["uid"].clone();
    s.k(&["-n", "team", "delete", "sa", "default"]);
    assert!(
        eventually(30, || {
            exists(&s, &["-n", "team", "sa", "default"])
                && s.kj(&["-n", "team", "get", "sa", "default"])["metadata"]["uid"] != uid
        }),
        "default service account not recreated"
    );
    s.k(&["-n", "team", "delete", "cm", "kube-root-ca.crt"]);
    assert!(eventually(30, || exists(
        &s,
        &["-n", "team", "cm", "kube-root-ca.crt"]
    )));

    // changed: put back
    s.k(&[
        "-n",
        "team",
        "patch",
        "cm",
        "kube-root-ca.crt",
        "--type=merge",
        "-p",
        r#"{"data":{"ca.crt":"tampered"}}"#,
    ]);
    assert!(
        eventually(30, || {
            s.kj(&["-n", "team", "get", "cm", "kube-root-ca.crt"])["data"]["ca.crt"] == ca
        }),
        "kube-root-ca.crt not restored"
    );
    let cm = s.kj(&["-n", "team", "get", "cm", "kube-root-ca.crt"]);
    assert!(cm["metadata"]["annotations"]["kubernetes.io/description"]
        .as_str()
        .is_some_and(|d| d.starts_with("Contains a CA bundle")));
}

fn node_manifest(name: &str) -> String {
    format!(r#"{{"apiVersion":"v1","kind":"Node","metadata":{{"name":"{name}"}}}}"#)
}

fn pod_cidr(s: &Server, node: &str) -> Option<String> {
    let o = s.kubectl_with(common::KUBECTL_NEW, &["get", "node", node, "-o", "json"]);
    let n: Value = serde_json::from_slice(&o.stdout).ok()?;
    let cidr = n["spec"]["podCIDR"].as_str()?.to_string();
    assert_eq!(n["spec"]["podCIDRs"], serde_json::json!([cidr]), "{n}");
    Some(cidr)
}

#[test]
fn nodes_get_distinct_pod_cidrs_until_the_range_is_full() {
    // a /23 holds two /24s
    let s = Server::start_with(&["--cluster-cidr", "10.244.0.0/23"]);
    apply(&s, &node_manifest("n-a"));
    apply(&s, &node_manifest("n-b"));
    assert!(eventually(30, || pod_cidr(&s, "n-a").is_some()
        && pod_cidr(&s, "n-b").is_some()));
    let mut got = vec![
        pod_cidr(&s, "n-a").expect("a"),
        pod_cidr(&s, "n-b").expect("b"),
    ];
    got.sort();
    assert_eq!(got, vec!["10.244.0.0/24", "10.244.1.0/24"]);

    // no room for a third
    apply(&s, &node_manifest("n-c"));
    assert!(
        eventually(30, || {
            s.k(&[
                "get",
                "events",
                "-A",
                "--field-selector",
                "involvedObject.name=n-c",
            ])
            .contains("CIDRNotAvailable")
        }),
        "no CIDRNotAvailable event"
    );
    assert_eq!(pod_cidr(&s, "n-c"), None);

    // a deleted node gives its CIDR back, and the waiting node gets it
    let freed = pod_cidr(&s, "n-a").expect("a");
    s.k(&["delete", "node", "n-a"]);
    assert!(
        eventually(30, || pod_cidr(&s, "n-c").as_deref()
            == Some(freed.as_str())),
        "freed CIDR not reassigned"
    );
}

#[test]
fn pod_cidrs_survive_a_restart() {
    let s = Server::start();
    for n in ["r-0", "r-1"] {
        apply(&s, &node_manifest(n));
    }
    assert!(eventually(30, || pod_cidr(&s, "r-0").is_some()
        && pod_cidr(&s, "r-1").is_some()));
    let before = [pod_cidr(&s, "r-0"), pod_cidr(&s, "r-1")];
    let s = Server::start_in(s.stop(), &[]);
    // allocations are rebuilt from the nodes: a new node gets a third, different CIDR
    apply(&s, &node_manifest("r-2"));
    assert!(eventually(30, || pod_cidr(&s, "r-2").is_some()));
    let third = pod_cidr(&s, "r-2");
    assert!(!before.contains(&third), "{third:?} reused: {before:?}");
    assert_eq!([pod_cidr(&s, "r-0"), pod_cidr(&s, "r-1")], before);
}

#[test]
fn namespace_waits_for_pods_terminating_on_a_node() {
    let s = Server::start_with(&["--disable-scheduler"]);
    apply(&s, &node_manifest("n1"));
    s.k(&["create", "namespace", "apps"]);
    for name in ["p0", "p1"] {
        apply(
            &s,
            &format!(
                r#"{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"{name}","namespace":"apps","labels":{{"app":"web"}}}},
"spec":{{"nodeName":"n1","containers":[{{"name":"c","image":"busybox"}}]}}}}"#
            ),
        );
    }
    s.k(&["-n", "apps", "create", "configmap", "settings"]);
    s.k(&["delete", "namespace", "apps", "--wait=false"]);
    // pods bound to a node get a grace period: the kubelet (played here) finishes them,
    // and the namespace reports them meanwhile
    assert!(
        eventually(30, || {
            let ns = s.kj(&["get", "ns", "apps"]);
            ns["status"]["conditions"].as_array().is_some_and(|c| {
                c.iter().any(|c| {
                    c["type"] == "NamespaceContentRemaining"
                        && c["message"]
                            == "Some resources are remaining: pods. has 2 resource instances"
                })
            })
        }),
        "{}",
        s.kj(&["get", "ns", "apps"])["status"]
    );
    let p = pods(&s, "apps", "web");
    assert_eq!(p.len(), 2);
    assert!(p
        .iter()
        .all(|p| p["metadata"]["deletionTimestamp"].is_string()));
    assert!(s.k(&["get", "ns", "apps"]).contains("Terminating"));
    s.k(&[
        "-n",
        "apps",
        "delete",
        "pods",
        "--all",
        "--grace-period=0",
        "--force",
    ]);
    assert!(
        eventually(30, || !exists(&s, &["ns", "apps"])),
        "namespace still there: {}",
        s.k(&["get", "ns", "apps", "-o", "yaml"])
    );
}
