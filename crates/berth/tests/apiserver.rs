//! The control plane driven by real kubectl: what the workshop does at the API level.

mod common;

use common::{eventually, Server, KUBECTL_NEW, KUBECTL_OLD};
use serde_json::Value;

#[test]
fn fresh_server_has_kubeadm_defaults() {
    let s = Server::start();
    for bin in [KUBECTL_NEW, KUBECTL_OLD] {
        let ns = s.k_with(bin, &["get", "ns"]);
        for want in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            assert!(ns.contains(want), "{bin}: {ns}");
        }
        let svc = s.k_with(bin, &["get", "svc"]);
        assert!(svc.contains("NAME") && svc.contains("CLUSTER-IP"), "{svc}");
        assert!(
            svc.contains("kubernetes") && svc.contains("10.96.0.1") && svc.contains("443/TCP"),
            "{svc}"
        );
    }
    let ep = s.kj(&["get", "endpoints", "kubernetes"]);
    assert_eq!(ep["subsets"][0]["addresses"][0]["ip"], "127.0.0.1");
    let ci = s.kj(&["-n", "kube-public", "get", "cm", "cluster-info"]);
    assert!(ci["data"]["kubeconfig"]
        .as_str()
        .is_some_and(|k| k.contains("certificate-authority-data")));
    let sa = s.kj(&["get", "sa", "default"]);
    assert_eq!(sa["metadata"]["name"], "default");
}

#[test]
fn health_version_and_anonymous_access() {
    let s = Server::start();
    for p in ["/healthz", "/livez", "/readyz"] {
        let o = s.curl(&[&format!("{}{p}", s.url)]);
        assert_eq!(String::from_utf8_lossy(&o.stdout), "ok", "{p}");
    }
    let v: Value = serde_json::from_slice(&s.curl(&[&format!("{}/version", s.url)]).stdout)
        .expect("version json");
    assert_eq!(v["major"], "1");
    assert_eq!(v["minor"], "33");
    // anonymous: 401 with a Status, as the workshop's `curl -k https://10.96.0.1` shows
    let o = s.curl(&["-w", "\n%{http_code}", &format!("{}/", s.url)]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.ends_with("401"), "{out}");
    assert!(out.contains("\"reason\":\"Unauthorized\""), "{out}");
    let o = s.curl(&[
        "-w",
        "\n%{http_code}",
        &format!("{}/api/v1/namespaces/default/pods", s.url),
    ]);
    assert!(String::from_utf8_lossy(&o.stdout).ends_with("401"));
}

#[test]
fn discovery_short_names_and_all_category() {
    let s = Server::start();
    for bin in [KUBECTL_NEW, KUBECTL_OLD] {
        let out = s.k_with(bin, &["api-resources"]);
        for (name, short) in [
            ("nodes", "no"),
            ("pods", "po"),
            ("services", "svc"),
            ("namespaces", "ns"),
            ("deployments", "deploy"),
            ("replicasets", "rs"),
            ("daemonsets", "ds"),
            ("configmaps", "cm"),
            ("endpoints", "ep"),
            ("serviceaccounts", "sa"),
            ("cronjobs", "cj"),
        ] {
            let line = out
                .lines()
                .find(|l| l.starts_with(&format!("{name} ")))
                .unwrap_or_else(|| panic!("{bin}: {name} missing:\n{out}"));
            assert!(line.split_whitespace().any(|w| w == short), "{bin}: {line}");
        }
        s.k_with(bin, &["get", "no"]);
        s.k_with(bin, &["get", "all"]);
    }
}

#[test]
fn deployment_defaults_scale_and_set_image() {
    let s = Server::start();
    s.k_with(
        KUBECTL_OLD,
        &["create", "deployment", "web", "--image=nginx"],
    );
    let d = s.kj(&["get", "deploy", "web"]);
    assert_eq!(d["spec"]["replicas"], 1);
    assert_eq!(d["spec"]["strategy"]["rollingUpdate"]["maxSurge"], "25%");
    assert_eq!(d["spec"]["revisionHistoryLimit"], 10);
    assert_eq!(d["spec"]["progressDeadlineSeconds"], 600);
    let c = &d["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["imagePullPolicy"], "Always");
    assert_eq!(c["terminationMessagePath"], "/dev/termination-log");
    assert_eq!(d["spec"]["template"]["spec"]["dnsPolicy"], "ClusterFirst");
    assert_eq!(d["metadata"]["generation"], 1);
    s.k(&["scale", "deploy/web", "--replicas", "8"]);
    let d = s.kj(&["get", "deploy", "web"]);
    assert_eq!(d["spec"]["replicas"], 8);
    assert_eq!(d["metadata"]["generation"], 2);
    s.k(&["set", "image", "deploy", "web", "nginx=nginx:1.25"]);
    let d = s.kj(&["get", "deploy", "web"]);
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx:1.25"
    );
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"],
        "Always"
    );
    // the seed's strategic merge patch keeps the rest of the container
    s.k(&["patch", "deployment", "web", "-p", "\nspec:\n  template:\n    spec:\n      containers:\n      - name: nginx\n        image: nginx:latest\n  strategy:\n    rollingUpdate:\n      maxUnavailable: 0\n      maxSurge: 3\n  minReadySeconds: 10\n"]);
    let d = s.kj(&["get", "deploy", "web"]);
    assert_eq!(d["spec"]["minReadySeconds"], 10);
    assert_eq!(d["spec"]["strategy"]["rollingUpdate"]["maxSurge"], 3);
    assert_eq!(d["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"], 0);
    let cs = d["spec"]["template"]["spec"]["containers"]
        .as_array()
        .expect("containers");
    assert_eq!(cs.len(), 1);
    assert_eq!(cs[0]["image"], "nginx:latest");
    assert_eq!(cs[0]["terminationMessagePolicy"], "File");
    let table = s.k(&["get", "deploy"]);
    assert!(
        table.starts_with("NAME") && table.contains("UP-TO-DATE") && table.contains("0/8"),
        "{table}"
    );
}

#[test]
fn kubectl_create_commands_of_every_version() {
    // kubectl 1.32+ sends protobuf bodies for typed creates
    let s = Server::start();
    for (i, bin) in [
        KUBECTL_NEW,
        "/usr/lib/google-cloud-sdk/bin/kubectl.1.32",
        KUBECTL_OLD,
    ]
    .iter()
    .enumerate()
    {
        s.k_with(
            bin,
            &["create", "deployment", &format!("d{i}"), "--image=nginx"],
        );
        s.k_with(
            bin,
            &[
                "create",
                "configmap",
                &format!("c{i}"),
                "--from-literal=a=b",
            ],
        );
        s.k_with(
            bin,
            &[
                "create",
                "secret",
                "generic",
                &format!("s{i}"),
                "--from-literal=a=b",
            ],
        );
        s.k_with(bin, &["create", "namespace", &format!("ns{i}")]);
        s.k_with(
            bin,
            &[
                "create",
                "service",
                "nodeport",
                &format!("np{i}"),
                "--tcp=80",
            ],
        );
        s.k_with(bin, &["create", "token", "default"]);
        assert_eq!(
            s.k_with(bin, &["auth", "can-i", "get", "pods"]).trim(),
            "yes"
        );
    }
    let c = s.kj(&["get", "cm", "c0"]);
    assert_eq!(c["data"]["a"], "b");
    let sec = s.kj(&["get", "secret", "s1"]);
    assert_eq!(sec["data"]["a"], "Yg==");
}

#[test]
fn services_allocate_cluster_ips_and_node_ports() {
    let s = Server::start();
    s.k_with(
        KUBECTL_OLD,
        &[
            "create",
            "service",
            "nodeport",
            "webui",
            "--tcp=80",
            "--node-port=30001",
        ],
    );
    let svc = s.kj(&["get", "svc", "webui"]);
    assert_eq!(svc["spec"]["ports"][0]["nodePort"], 30001);
    let ip = svc["spec"]["clusterIP"]
        .as_str()
        .expect("clusterIP")
        .to_string();
    assert!(ip.starts_with("10."), "{ip}");
    let err = String::from_utf8_lossy(
        &s.kubectl_with(
            KUBECTL_OLD,
            &[
                "create",
                "service",
                "nodeport",
                "other",
                "--tcp=80",
                "--node-port=30001",
            ],
        )
        .stderr,
    )
    .into_owned();
    assert!(err.contains("provided port is already allocated"), "{err}");
    let out = s.k(&["get", "svc", "webui"]);
    assert!(out.contains("80:30001/TCP"), "{out}");
    // clusterIP is immutable
    let err = s.k_err(&[
        "patch",
        "svc",
        "webui",
        "-p",
        r#"{"spec":{"clusterIP":"10.96.0.99"}}"#,
    ]);
    assert!(err.contains("may not change once set"), "{err}");
    // deleting frees the node port
    s.k(&["delete", "svc", "webui"]);
    s.k_with(
        KUBECTL_OLD,
        &[
            "create",
            "service",
            "nodeport",
            "again",
            "--tcp=80",
            "--node-port=30001",
        ],
    );
}

#[test]
fn daemonset_cast_from_deployment_needs_validate_false() {
    let s = Server::start();
    s.k_with(
        KUBECTL_OLD,
        &[
            "create",
            "deployment",
            "rng",
            "--image=dockercoins/rng:v0.1",
        ],
    );
    let yaml = s
        .k(&["get", "deploy", "rng", "-o", "yaml"])
        .replace("kind: Deployment", "kind: DaemonSet");
    let path = s.dir.path().join("rng.yml");
    std::fs::write(&path, &yaml).expect("write");
    let p = path.to_str().expect("path");
    for bin in [KUBECTL_NEW, KUBECTL_OLD] {
        let o = s.kubectl_with(bin, &["apply", "-f", p]);
        assert!(
            !o.status.success(),
            "{bin} accepted a DaemonSet with replicas"
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("DaemonSet in version \"v1\" cannot be handled as a DaemonSet: strict decoding error: unknown field \"spec.")
                && err.contains("unknown field \"spec.replicas\", unknown field \"spec.strategy\"")
                && !err.contains("unknown field \"unknown"),
            "{bin}: {err}"
        );
    }
    s.k(&["apply", "-f", p, "--validate=false"]);
    let all = s.k(&["get", "all"]);
    assert!(
        all.contains("deployment.apps/rng") && all.contains("daemonset.apps/rng"),
        "{all}"
    );
}

#[test]
fn rbac_denies_with_kube_apiserver_message() {
    let s = Server::start();
    s.k(&["create", "sa", "nobody"]);
    let token = s.k(&["create", "token", "nobody"]).trim().to_string();
    let o = s.curl(&[
        "-H",
        &format!("Authorization: Bearer {token}"),
        &format!("{}/api/v1/namespaces/default/secrets", s.url),
    ]);
    let st: Value = serde_json::from_slice(&o.stdout).expect("status");
    assert_eq!(st["code"], 403);
    assert_eq!(st["reason"], "Forbidden");
    let msg = st["message"].as_str().unwrap_or_default();
    assert!(msg.contains(r#"User "system:serviceaccount:default:nobody" cannot list resource "secrets" in API group "" in the namespace "default""#), "{msg}");
    let can_i = |what: &str| {
        let o = s.kubectl_with(
            KUBECTL_NEW,
            &[
                "auth",
                "can-i",
                "list",
                what,
                "--as=system:serviceaccount:default:nobody",
            ],
        );
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    assert_eq!(can_i("secrets"), "no");
    // a RoleBinding to the aggregated `view` role grants reading pods in that namespace only
    s.k(&[
        "create",
        "rolebinding",
        "nobody-view",
        "--clusterrole=view",
        "--serviceaccount=default:nobody",
    ]);
    assert!(eventually(10, || can_i("pods") == "yes"));
    let o = s.kubectl_with(
        KUBECTL_NEW,
        &[
            "auth",
            "can-i",
            "list",
            "pods",
            "-n",
            "kube-system",
            "--as=system:serviceaccount:default:nobody",
        ],
    );
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "no");
    let o = s.curl(&[
        "-H",
        &format!("Authorization: Bearer {token}"),
        &format!("{}/api/v1/namespaces/default/pods", s.url),
    ]);
    let list: Value = serde_json::from_slice(&o.stdout).expect("list");
    assert_eq!(list["kind"], "PodList");
    // a bad token is 401
    let o = s.curl(&[
        "-w",
        "\n%{http_code}",
        "-H",
        "Authorization: Bearer abc.def",
        &format!("{}/api", s.url),
    ]);
    assert!(String::from_utf8_lossy(&o.stdout).ends_with("401"));
}

#[test]
fn conflicts_pagination_and_watch() {
    let s = Server::start();
    s.k(&["create", "cm", "c", "--from-literal=a=1"]);
    let cm = s.kj(&["get", "cm", "c"]);
    let mut stale = cm.clone();
    stale["data"]["a"] = "2".into();
    s.k(&["patch", "cm", "c", "-p", r#"{"data":{"a":"3"}}"#]);
    let o = s.k_stdin(&["replace", "-f", "-"], &stale.to_string());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("the object has been modified; please apply your changes to the latest version and try again"), "{err}");
    for i in 0..25 {
        s.k(&["create", "cm", &format!("p{i:02}")]);
    }
    let all = s.kj(&["get", "cm", "--chunk-size=7"]);
    assert_eq!(all["items"].as_array().map(Vec::len), Some(27));
    let o = s.curl_admin(&[&format!(
        "{}/api/v1/namespaces/default/configmaps?limit=10",
        s.url
    )]);
    let page: Value = serde_json::from_slice(&o.stdout).expect("page");
    assert_eq!(page["items"].as_array().map(Vec::len), Some(10));
    assert!(page["metadata"]["continue"].is_string());
    // label selectors
    s.k(&["label", "cm", "p01", "p02", "tier=x"]);
    let sel = s.kj(&["get", "cm", "-l", "tier in (x)"]);
    assert_eq!(sel["items"].as_array().map(Vec::len), Some(2));
    let bad = s.k_err(&["get", "cm", "-l", "tier in x"]);
    assert!(
        bad.contains("Error from server (BadRequest)") || bad.contains("unable to parse"),
        "{bad}"
    );
    // watch from a resourceVersion sees a change
    let rv = s.kj(&["get", "cm", "c"])["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or("0")
        .to_string();
    s.k(&["patch", "cm", "c", "-p", r#"{"data":{"a":"4"}}"#]);
    let o = s.curl_admin(&["-m", "3", &format!("{}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={rv}&timeoutSeconds=1&fieldSelector=metadata.name%3Dc", s.url)]);
    let text = String::from_utf8_lossy(&o.stdout);
    let first: Value = serde_json::from_str(text.lines().next().unwrap_or("{}")).expect("event");
    assert_eq!(first["type"], "MODIFIED");
    assert_eq!(first["object"]["data"]["a"], "4");
}

#[test]
fn bad_input_gets_status_errors() {
    let s = Server::start();
    let url = format!("{}/api/v1/namespaces/default/configmaps", s.url);
    let o = s.curl_admin(&[
        "-w",
        "\n%{http_code}",
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "-d",
        "{not json",
        &url,
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.ends_with("400") && out.contains("\"kind\":\"Status\""),
        "{out}"
    );
    let big = s.dir.path().join("big.json");
    std::fs::write(
        &big,
        format!("{{\"data\":\"{}\"}}", "x".repeat(4 * 1024 * 1024)),
    )
    .expect("write");
    let o = s.curl_admin(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "--data-binary",
        &format!("@{}", big.display()),
        &url,
    ]);
    assert_eq!(String::from_utf8_lossy(&o.stdout), "413");
    let o = s.curl_admin(&[
        "-w",
        "\n%{http_code}",
        &format!("{}/apis/nope.example.com/v1/things", s.url),
    ]);
    assert!(String::from_utf8_lossy(&o.stdout).ends_with("404"));
    let o = s.curl_admin(&["-w", "\n%{http_code}", "-X", "PUT", &url]);
    assert!(String::from_utf8_lossy(&o.stdout).ends_with("405"));
    let o = s.curl_admin(&[
        "-w",
        "\n%{http_code}",
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "-d",
        r#"{"metadata":{"name":"Bad_Name"}}"#,
        &url,
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.ends_with("422") && out.contains("RFC 1123"), "{out}");
}

#[test]
fn restart_keeps_state_and_is_fast() {
    let s = Server::start();
    s.k(&["create", "cm", "keep", "--from-literal=a=b"]);
    let dir = s.stop();
    let s = Server::start_in(dir, &[]);
    assert_eq!(s.kj(&["get", "cm", "keep"])["data"]["a"], "b");
    let dir = s.kill9();
    let s = Server::start_in(dir, &[]);
    assert_eq!(s.kj(&["get", "cm", "keep"])["data"]["a"], "b");
}

#[test]
fn server_side_apply_owns_prunes_and_conflicts() {
    let s = Server::start();
    let path = s.dir.path().join("cm.yaml");
    let write = |data: &str| {
        std::fs::write(&path, format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  labels: {{app: demo}}\ndata:\n{data}")).expect("write");
    };
    let p = path.to_str().expect("path").to_string();
    write("  one: \"1\"\n  two: \"2\"\n");
    s.k(&["apply", "--server-side", "-f", &p]);
    let cm = s.kj(&["get", "cm", "ssa", "--show-managed-fields"]);
    assert_eq!(cm["metadata"]["managedFields"][0]["manager"], "kubectl");
    assert_eq!(cm["metadata"]["managedFields"][0]["operation"], "Apply");
    // dropping a field from the configuration removes it
    write("  one: \"1\"\n");
    s.k(&["apply", "--server-side", "-f", &p]);
    let cm = s.kj(&["get", "cm", "ssa"]);
    assert!(cm["data"].get("two").is_none(), "{cm}");
    // another manager changes a field: applying a different value conflicts
    s.k(&["patch", "cm", "ssa", "-p", r#"{"data":{"one":"9"}}"#]);
    let err = s.k_err(&["apply", "--server-side", "-f", &p]);
    assert!(
        err.contains(r#"conflict with "kubectl-patch""#) && err.contains(".data.one"),
        "{err}"
    );
    s.k(&["apply", "--server-side", "--force-conflicts", "-f", &p]);
    assert_eq!(s.kj(&["get", "cm", "ssa"])["data"]["one"], "1");
}

#[test]
fn core_and_events_api_share_events() {
    let s = Server::start();
    let ev = r#"{"apiVersion":"v1","kind":"Event","metadata":{"name":"e1","namespace":"default"},
        "involvedObject":{"kind":"Pod","name":"p","namespace":"default"},"reason":"Tested","message":"hello","type":"Normal",
        "source":{"component":"test"},"count":1}"#;
    let o = s.k_stdin(&["create", "-f", "-"], ev);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let new = s.kj(&["get", "events.v1.events.k8s.io", "e1"]);
    assert_eq!(new["apiVersion"], "events.k8s.io/v1");
    assert_eq!(new["regarding"]["name"], "p");
    assert_eq!(new["note"], "hello");
    assert_eq!(new["deprecatedSource"]["component"], "test");
    let out = s.k(&["get", "events"]);
    assert!(out.contains("Tested") && out.contains("hello"), "{out}");
}

#[test]
fn wrong_json_types_are_400_not_crashes() {
    let s = Server::start();
    let url = format!("{}/api/v1/namespaces/default/services", s.url);
    for body in [
        r#"{"metadata":{"name":"x"},"spec":"oops"}"#,
        r#"{"metadata":{"name":"x"},"spec":{"ports":["80"]}}"#,
        r#"{"metadata":{"name":"x","labels":{"a":1}},"spec":{"ports":[{"port":80}]}}"#,
    ] {
        let o = s.curl_admin(&[
            "-w",
            "\n%{http_code}",
            "-X",
            "POST",
            "-H",
            "Content-Type: application/json",
            "-d",
            body,
            &url,
        ]);
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            out.ends_with("400") && out.contains("cannot unmarshal"),
            "{body}: {out}"
        );
    }
    s.k(&["create", "service", "clusterip", "ok", "--tcp=80"]);
    let err = s.k_err(&[
        "patch",
        "svc",
        "ok",
        "--type=merge",
        "-p",
        r#"{"spec":{"ports":7}}"#,
    ]);
    assert!(err.contains("cannot unmarshal"), "{err}");
    // the server is still healthy
    assert_eq!(
        String::from_utf8_lossy(&s.curl(&[&format!("{}/healthz", s.url)]).stdout),
        "ok"
    );
}

#[test]
fn bootstrap_tokens_authenticate_and_dry_run_writes_nothing() {
    let s = Server::start();
    // a kubeadm-style bootstrap token
    let secret = r#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"bootstrap-token-abcdef","namespace":"kube-system"},
        "type":"bootstrap.kubernetes.io/token",
        "stringData":{"token-id":"abcdef","token-secret":"0123456789abcdef","usage-bootstrap-authentication":"true","auth-extra-groups":"system:bootstrappers:kubeadm:default-node-token"}}"#;
    let o = s.k_stdin(&["create", "-f", "-"], secret);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let review = r#"{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}"#;
    let o = s.curl(&[
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "-H",
        "Authorization: Bearer abcdef.0123456789abcdef",
        "-d",
        review,
        &format!("{}/apis/authentication.k8s.io/v1/selfsubjectreviews", s.url),
    ]);
    let r: Value = serde_json::from_slice(&o.stdout).expect("review");
    assert_eq!(
        r["status"]["userInfo"]["username"], "system:bootstrap:abcdef",
        "{r}"
    );
    let groups = r["status"]["userInfo"]["groups"].to_string();
    assert!(
        groups.contains("system:bootstrappers:kubeadm:default-node-token")
            && groups.contains("system:bootstrappers"),
        "{groups}"
    );
    // a wrong secret is 401
    let o = s.curl(&[
        "-w",
        "\n%{http_code}",
        "-H",
        "Authorization: Bearer abcdef.0123456789abcdee",
        &format!("{}/api", s.url),
    ]);
    assert!(String::from_utf8_lossy(&o.stdout).ends_with("401"));
    // dry-run create and delete change nothing
    let out = s.k(&[
        "create",
        "cm",
        "dry",
        "--from-literal=a=b",
        "--dry-run=server",
        "-o",
        "json",
    ]);
    let dry: Value = serde_json::from_str(&out).expect("dry-run object");
    assert_eq!(dry["data"]["a"], "b");
    assert!(!s
        .kubectl_with(common::KUBECTL_NEW, &["get", "cm", "dry"])
        .status
        .success());
    s.k(&["create", "cm", "keep"]);
    s.k(&["delete", "cm", "keep", "--dry-run=server"]);
    s.k(&["get", "cm", "keep"]);
}
