//! The API server on etcd: several servers sharing one etcd cluster, compaction and 410s.

mod common;

use common::{eventually, Etcd, Server};
use serde_json::Value;

#[test]
fn two_servers_share_one_etcd() {
    let etcd = Etcd::start();
    let a = Server::start_with(&[
        "--datastore-endpoint",
        &etcd.url,
        "--etcd-compaction-interval",
        "1s",
    ]);
    let b = Server::start_with(&["--datastore-endpoint", &etcd.url]);
    // a write through one server is read through the other
    a.k(&["create", "cm", "shared", "--from-literal=k=v"]);
    assert_eq!(b.kj(&["get", "cm", "shared"])["data"]["k"], "v");
    // one leader: a ReplicaSet of 3 gets 3 pods, not 6
    let rs = r#"{"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"r"},"spec":{"replicas":3,"selector":{"matchLabels":{"a":"r"}},"template":{"metadata":{"labels":{"a":"r"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}}"#;
    let o = b.k_stdin(&["create", "-f", "-"], rs);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(eventually(30, || b.kj(&["get", "pods", "-l", "a=r"])
        ["items"]
        .as_array()
        .map(Vec::len)
        == Some(3)));
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert_eq!(
        a.kj(&["get", "pods", "-l", "a=r"])["items"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    let leases = a.kj(&[
        "-n",
        "kube-system",
        "get",
        "lease",
        "kube-controller-manager",
    ]);
    assert!(leases["spec"]["holderIdentity"].is_string());
    // service IPs handed out by both servers never collide
    for i in 0..5 {
        a.k(&[
            "create",
            "service",
            "clusterip",
            &format!("a{i}"),
            "--tcp=80",
        ]);
        b.k(&[
            "create",
            "service",
            "clusterip",
            &format!("b{i}"),
            "--tcp=80",
        ]);
    }
    let svcs = a.kj(&["get", "svc"]);
    let mut ips: Vec<String> = svcs["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|s| s["spec"]["clusterIP"].as_str().map(String::from))
        .collect();
    let n = ips.len();
    ips.sort();
    ips.dedup();
    assert_eq!(ips.len(), n, "duplicate cluster IPs");
    // history is compacted: watching from the first revision answers 410 Gone
    let rv = a.kj(&["get", "cm", "shared"])["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or("0")
        .to_string();
    for i in 0..5 {
        a.k(&[
            "patch",
            "cm",
            "shared",
            "-p",
            &format!(r#"{{"data":{{"k":"{i}"}}}}"#),
        ]);
    }
    let gone = eventually(20, || {
        let o = a.curl_admin(&["-m", "5", &format!("{}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={rv}&timeoutSeconds=1", a.url)]);
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        let first: Value =
            serde_json::from_str(text.lines().next().unwrap_or("{}")).unwrap_or_default();
        first["type"] == "ERROR" && first["object"]["code"] == 410
    });
    assert!(gone, "watch from a compacted revision did not answer 410");
}
