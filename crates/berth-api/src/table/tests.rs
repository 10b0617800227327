//! Unit tests for table printing with realistic objects.

use super::*;
use chrono::TimeZone;
use serde_json::json;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

/// An RFC 3339 timestamp `secs` seconds before [`now`].
fn ago(secs: i64) -> String {
    (now() - chrono::TimeDelta::seconds(secs))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn cells(kind: &str, obj: &Value) -> Vec<Value> {
    let c = row_cells(kind, obj, now());
    assert_eq!(
        c.len(),
        column_definitions(kind).len(),
        "{kind}: one cell per column"
    );
    c
}

fn strs(v: &[Value]) -> Vec<String> {
    v.iter()
        .map(|c| match c {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

#[test]
fn human_durations() {
    let cases = [
        (-5, "<invalid>"),
        (-1, "0s"),
        (0, "0s"),
        (5, "5s"),
        (119, "119s"),
        (120, "2m"),
        (123, "2m3s"),
        (599, "9m59s"),
        (600, "10m"),
        (179 * 60 + 59, "179m"),
        (3 * 3600, "3h"),
        (3 * 3600 + 4 * 60, "3h4m"),
        (8 * 3600 + 59 * 60, "8h"),
        (47 * 3600, "47h"),
        (48 * 3600, "2d"),
        (51 * 3600, "2d3h"),
        (8 * 86400, "8d"),
        (45 * 86400, "45d"),
        (730 * 86400, "2y"),
        ((3 * 365 + 20) * 86400, "3y20d"),
        (9 * 365 * 86400, "9y"),
    ];
    for (secs, want) in cases {
        assert_eq!(
            human_duration(chrono::TimeDelta::seconds(secs)),
            want,
            "{secs}s"
        );
    }
}

fn pod(status: Value) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web-7d9c", "namespace": "default", "creationTimestamp": ago(3600)},
        "spec": {"nodeName": "node-1", "containers": [{"name": "web", "image": "nginx"}]},
        "status": status
    })
}

fn pod_cells3(p: &Value) -> (String, String, String) {
    let c = strs(&cells("Pod", p));
    (c[1].clone(), c[2].clone(), c[3].clone())
}

#[test]
fn pod_running() {
    let p = pod(json!({
        "phase": "Running", "podIP": "10.244.1.5", "podIPs": [{"ip": "10.244.1.5"}],
        "conditions": [{"type": "Ready", "status": "True"}],
        "containerStatuses": [{"name": "web", "ready": true, "restartCount": 0,
            "state": {"running": {"startedAt": ago(3500)}}}]
    }));
    assert_eq!(
        strs(&cells("Pod", &p)),
        [
            "web-7d9c",
            "1/1",
            "Running",
            "0",
            "60m",
            "10.244.1.5",
            "node-1",
            "<none>",
            "<none>"
        ]
    );
}

#[test]
fn pod_crash_loop_with_restarts() {
    let p = pod(json!({
        "phase": "Running",
        "containerStatuses": [{"name": "web", "ready": false, "restartCount": 5,
            "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 2m40s"}},
            "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(300)}}}]
    }));
    assert_eq!(
        pod_cells3(&p),
        ("0/1".into(), "CrashLoopBackOff".into(), "5 (5m ago)".into())
    );
}

#[test]
fn pod_waiting_and_terminated_reasons() {
    let waiting = |r: &str| {
        pod(
            json!({"phase": "Pending", "containerStatuses": [{"name": "web", "ready": false,
            "restartCount": 0, "state": {"waiting": {"reason": r}}}]}),
        )
    };
    assert_eq!(
        pod_cells3(&waiting("ContainerCreating")).1,
        "ContainerCreating"
    );
    assert_eq!(
        pod_cells3(&waiting("ImagePullBackOff")).1,
        "ImagePullBackOff"
    );
    assert_eq!(pod_cells3(&waiting("ErrImagePull")).1, "ErrImagePull");

    let pending = pod(json!({"phase": "Pending"}));
    assert_eq!(pod_cells3(&pending).1, "Pending");

    let completed = pod(
        json!({"phase": "Succeeded", "containerStatuses": [{"name": "web",
        "ready": false, "restartCount": 0,
        "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}),
    );
    assert_eq!(
        pod_cells3(&completed),
        ("0/1".into(), "Completed".into(), "0".into())
    );
    assert_eq!(
        row_conditions("Pod", &completed),
        Some(
            json!([{"type": "Completed", "status": "True", "reason": "Succeeded",
            "message": "The pod has completed successfully."}])
        )
    );

    let error = pod(
        json!({"phase": "Failed", "containerStatuses": [{"name": "web",
        "ready": false, "restartCount": 0,
        "state": {"terminated": {"exitCode": 2, "reason": "Error"}}}]}),
    );
    assert_eq!(pod_cells3(&error).1, "Error");
    assert!(row_conditions("Pod", &error).is_some());

    let exit = pod(
        json!({"phase": "Failed", "containerStatuses": [{"name": "web",
        "state": {"terminated": {"exitCode": 3}}}]}),
    );
    assert_eq!(pod_cells3(&exit).1, "ExitCode:3");
    let signal = pod(
        json!({"phase": "Failed", "containerStatuses": [{"name": "web",
        "state": {"terminated": {"exitCode": 137, "signal": 9}}}]}),
    );
    assert_eq!(pod_cells3(&signal).1, "Signal:9");

    let evicted = pod(json!({"phase": "Failed", "reason": "Evicted"}));
    assert_eq!(pod_cells3(&evicted).1, "Evicted");
}

#[test]
fn pod_completed_but_sibling_running() {
    let p = pod(json!({"phase": "Running",
    "conditions": [{"type": "Ready", "status": "False"}],
    "containerStatuses": [
        {"name": "a", "ready": true, "restartCount": 0, "state": {"running": {}}},
        {"name": "b", "ready": false, "restartCount": 0,
            "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}
    ]}));
    assert_eq!(pod_cells3(&p).1, "NotReady");
}

#[test]
fn pod_init_containers() {
    let with_init = |init_status: Value| {
        json!({
            "metadata": {"name": "db", "creationTimestamp": ago(30)},
            "spec": {"initContainers": [{"name": "migrate", "image": "busybox"}],
                "containers": [{"name": "db", "image": "postgres"}]},
            "status": {"phase": "Pending", "initContainerStatuses": [init_status],
                "containerStatuses": [{"name": "db", "ready": false, "restartCount": 0,
                    "state": {"waiting": {"reason": "PodInitializing"}}}]}
        })
    };
    let running = with_init(json!({"name": "migrate", "ready": false, "restartCount": 0,
        "state": {"running": {}}}));
    assert_eq!(
        pod_cells3(&running),
        ("0/1".into(), "Init:0/1".into(), "0".into())
    );

    let failed = with_init(json!({"name": "migrate", "ready": false, "restartCount": 2,
        "state": {"terminated": {"exitCode": 1, "reason": "Error"}},
        "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(90)}}}));
    assert_eq!(
        pod_cells3(&failed),
        ("0/1".into(), "Init:Error".into(), "2 (90s ago)".into())
    );

    let crash = with_init(json!({"name": "migrate", "restartCount": 3,
        "state": {"waiting": {"reason": "CrashLoopBackOff"}}}));
    assert_eq!(pod_cells3(&crash).1, "Init:CrashLoopBackOff");

    let exit = with_init(json!({"name": "migrate", "state": {"terminated": {"exitCode": 4}}}));
    assert_eq!(pod_cells3(&exit).1, "Init:ExitCode:4");

    let done = with_init(json!({"name": "migrate", "restartCount": 0,
        "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}));
    assert_eq!(pod_cells3(&done).1, "PodInitializing");
}

#[test]
fn pod_sidecar_counts_as_container() {
    let p = json!({
        "metadata": {"name": "app", "creationTimestamp": ago(30)},
        "spec": {"initContainers": [{"name": "proxy", "image": "envoy", "restartPolicy": "Always"}],
            "containers": [{"name": "app", "image": "app"}]},
        "status": {"phase": "Running",
            "conditions": [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "True"}],
            "initContainerStatuses": [{"name": "proxy", "ready": true, "started": true,
                "restartCount": 1, "state": {"running": {}},
                "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(20)}}}],
            "containerStatuses": [{"name": "app", "ready": true, "restartCount": 0,
                "state": {"running": {}}}]}
    });
    assert_eq!(
        pod_cells3(&p),
        ("2/2".into(), "Running".into(), "1 (20s ago)".into())
    );
}

#[test]
fn pod_terminating_node_lost_and_gated() {
    let mut p = pod(
        json!({"phase": "Running", "containerStatuses": [{"name": "web",
        "ready": true, "restartCount": 0, "state": {"running": {}}}]}),
    );
    p["metadata"]["deletionTimestamp"] = json!(ago(5));
    assert_eq!(pod_cells3(&p).1, "Terminating");

    let lost = pod(json!({"phase": "Running", "reason": "NodeLost"}));
    assert_eq!(pod_cells3(&lost).1, "NodeLost");
    let mut lost_deleted = lost.clone();
    lost_deleted["metadata"]["deletionTimestamp"] = json!(ago(5));
    assert_eq!(pod_cells3(&lost_deleted).1, "Unknown");

    let mut done = pod(json!({"phase": "Succeeded"}));
    done["metadata"]["deletionTimestamp"] = json!(ago(5));
    assert_eq!(pod_cells3(&done).1, "Succeeded");

    let gated = pod(
        json!({"phase": "Pending", "conditions": [{"type": "PodScheduled",
        "status": "False", "reason": "SchedulingGated"}]}),
    );
    assert_eq!(pod_cells3(&gated).1, "SchedulingGated");
}

#[test]
fn pod_wide_readiness_gates() {
    let mut p = pod(json!({"phase": "Running", "nominatedNodeName": "node-2",
        "conditions": [{"type": "example.com/lb", "status": "True"}]}));
    p["spec"]["readinessGates"] =
        json!([{"conditionType": "example.com/lb"}, {"conditionType": "example.com/dns"}]);
    p["spec"]["nodeName"] = Value::Null;
    let c = strs(&cells("Pod", &p));
    assert_eq!(c[5..], ["<none>", "<none>", "node-2", "1/2"]);
}

#[test]
fn pod_columns() {
    let cols = column_definitions("Pod");
    let names: Vec<&str> = cols.iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(
        names,
        [
            "Name",
            "Ready",
            "Status",
            "Restarts",
            "Age",
            "IP",
            "Node",
            "Nominated Node",
            "Readiness Gates"
        ]
    );
    assert_eq!(cols[0]["format"], "name");
    let wide: Vec<i64> = cols.iter().filter_map(|c| c["priority"].as_i64()).collect();
    assert_eq!(wide, [0, 0, 0, 0, 0, 1, 1, 1, 1]);
}

#[test]
fn nodes() {
    let node = json!({
        "metadata": {"name": "cp-1", "creationTimestamp": ago(51 * 3600),
            "labels": {"node-role.kubernetes.io/control-plane": "", "kubernetes.io/role": "master",
                "kubernetes.io/hostname": "cp-1"}},
        "spec": {"unschedulable": true},
        "status": {
            "conditions": [{"type": "MemoryPressure", "status": "False"}, {"type": "Ready", "status": "True"}],
            "addresses": [{"type": "InternalIP", "address": "10.0.0.2"}, {"type": "Hostname", "address": "cp-1"}],
            "nodeInfo": {"kubeletVersion": "v1.33.0", "osImage": "Debian GNU/Linux 12 (bookworm)",
                "kernelVersion": "6.1.0-18-amd64", "containerRuntimeVersion": "containerd://1.7.24"}
        }
    });
    assert_eq!(
        strs(&cells("Node", &node)),
        [
            "cp-1",
            "Ready,SchedulingDisabled",
            "control-plane,master",
            "2d3h",
            "v1.33.0",
            "10.0.0.2",
            "<none>",
            "Debian GNU/Linux 12 (bookworm)",
            "6.1.0-18-amd64",
            "containerd://1.7.24"
        ]
    );
    let not_ready = json!({"metadata": {"name": "w"}, "status": {"conditions": [{"type": "Ready", "status": "Unknown"}]}});
    let c = strs(&cells("Node", &not_ready));
    assert_eq!(c[1..5], ["NotReady", "<none>", "<unknown>", ""]);
    assert_eq!(c[7], "<unknown>");
    let fresh = json!({"metadata": {"name": "w"}});
    assert_eq!(strs(&cells("Node", &fresh))[1], "Unknown");
}

#[test]
fn services() {
    let svc = |spec: Value| json!({"metadata": {"name": "web", "creationTimestamp": ago(600)}, "spec": spec});
    let cluster_ip = svc(json!({"type": "ClusterIP", "clusterIP": "10.96.0.10",
        "clusterIPs": ["10.96.0.10"], "selector": {"app": "web"},
        "ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080}]}));
    assert_eq!(
        strs(&cells("Service", &cluster_ip)),
        [
            "web",
            "ClusterIP",
            "10.96.0.10",
            "<none>",
            "80/TCP",
            "10m",
            "app=web"
        ]
    );
    let node_port = svc(json!({"type": "NodePort", "clusterIPs": ["10.96.3.4"],
        "ports": [{"port": 80, "nodePort": 30001, "protocol": "TCP"},
                  {"port": 53, "nodePort": 30053, "protocol": "UDP"}]}));
    let c = strs(&cells("Service", &node_port));
    assert_eq!(c[4], "80:30001/TCP,53:30053/UDP");
    assert_eq!(c[6], "<none>");
    let lb = svc(json!({"type": "LoadBalancer", "clusterIPs": ["10.96.5.5"],
        "ports": [{"port": 443, "nodePort": 31443, "protocol": "TCP"}]}));
    assert_eq!(strs(&cells("Service", &lb))[3], "<pending>");
    let mut lb_ready = lb.clone();
    lb_ready["status"] = json!({"loadBalancer": {"ingress": [{"ip": "192.0.2.10"}]}});
    lb_ready["spec"]["externalIPs"] = json!(["198.51.100.7"]);
    assert_eq!(
        strs(&cells("Service", &lb_ready))[3],
        "192.0.2.10,198.51.100.7"
    );
    let ext = svc(json!({"type": "ExternalName", "externalName": "db.example.com"}));
    let c = strs(&cells("Service", &ext));
    assert_eq!(
        c[1..5],
        ["ExternalName", "<none>", "db.example.com", "<none>"]
    );
    let headless = svc(json!({"type": "ClusterIP", "clusterIP": "None", "clusterIPs": ["None"]}));
    assert_eq!(strs(&cells("Service", &headless))[2], "None");
}

#[test]
fn endpoints_and_slices() {
    let ep = json!({"metadata": {"name": "web", "creationTimestamp": ago(60)},
        "subsets": [{"addresses": [{"ip": "10.244.1.5"}, {"ip": "10.244.2.6"}, {"ip": "fd00::7"}, {"ip": "10.244.3.8"}],
            "ports": [{"port": 8080, "protocol": "TCP"}]}]});
    assert_eq!(
        strs(&cells("Endpoints", &ep)),
        [
            "web",
            "10.244.1.5:8080,10.244.2.6:8080,[fd00::7]:8080 + 1 more...",
            "60s"
        ]
    );
    let empty = json!({"metadata": {"name": "none"}});
    assert_eq!(strs(&cells("Endpoints", &empty))[1], "<none>");

    let slice = json!({"metadata": {"name": "web-abc12", "creationTimestamp": ago(60)},
        "addressType": "IPv4",
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
        "endpoints": [{"addresses": ["10.244.1.5"]}, {"addresses": ["10.244.2.6"]}]});
    assert_eq!(
        strs(&cells("EndpointSlice", &slice)),
        ["web-abc12", "IPv4", "8080", "10.244.1.5,10.244.2.6", "60s"]
    );
    let bare = json!({"metadata": {"name": "x"}, "addressType": "IPv4"});
    assert_eq!(
        strs(&cells("EndpointSlice", &bare))[2..4],
        ["<unset>", "<unset>"]
    );
}

fn template() -> Value {
    json!({"metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"},
            {"name": "sidecar", "image": "busybox"}]}})
}

#[test]
fn deployments_and_replicasets() {
    let d = json!({"metadata": {"name": "web", "creationTimestamp": ago(600)},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, "template": template()},
        "status": {"replicas": 3, "readyReplicas": 3, "updatedReplicas": 3, "availableReplicas": 3}});
    let c = cells("Deployment", &d);
    assert_eq!(
        c[..5],
        [json!("web"), json!("3/3"), json!(3), json!(3), json!("10m")]
    );
    assert_eq!(
        strs(&c[5..]),
        ["nginx,sidecar", "nginx:1.25,busybox", "app=web"]
    );

    let scaling = json!({"metadata": {"name": "api"}, "spec": {"replicas": 5,
        "selector": {"matchLabels": {"app": "api"}}, "template": template()},
        "status": {"readyReplicas": 2, "updatedReplicas": 5}});
    let c = cells("Deployment", &scaling);
    assert_eq!(c[1..4], [json!("2/5"), json!(5), json!(0)]);
    assert_eq!(c[4], json!("<unknown>"));

    let rs = json!({"metadata": {"name": "web-5d4f8c7b9", "creationTimestamp": ago(600)},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web", "pod-template-hash": "5d4f8c7b9"}},
            "template": template()},
        "status": {"replicas": 3, "readyReplicas": 2}});
    let c = cells("ReplicaSet", &rs);
    assert_eq!(
        c[..5],
        [
            json!("web-5d4f8c7b9"),
            json!(3),
            json!(3),
            json!(2),
            json!("10m")
        ]
    );
    assert_eq!(c[7], json!("app=web,pod-template-hash=5d4f8c7b9"));
}

#[test]
fn daemonsets_and_statefulsets() {
    let mut tpl = template();
    tpl["spec"]["nodeSelector"] = json!({"kubernetes.io/os": "linux"});
    let ds = json!({"metadata": {"name": "kube-proxy", "creationTimestamp": ago(86400 * 3)},
        "spec": {"selector": {"matchLabels": {"k8s-app": "kube-proxy"}}, "template": tpl},
        "status": {"desiredNumberScheduled": 2, "currentNumberScheduled": 2, "numberReady": 1,
            "updatedNumberScheduled": 2, "numberAvailable": 1}});
    let c = cells("DaemonSet", &ds);
    assert_eq!(
        c[..8],
        [
            json!("kube-proxy"),
            json!(2),
            json!(2),
            json!(1),
            json!(2),
            json!(1),
            json!("kubernetes.io/os=linux"),
            json!("3d")
        ]
    );
    assert_eq!(c[10], json!("k8s-app=kube-proxy"));

    let sts = json!({"metadata": {"name": "db", "creationTimestamp": ago(120)},
        "spec": {"replicas": 3, "template": template()}, "status": {"readyReplicas": 1}});
    assert_eq!(
        strs(&cells("StatefulSet", &sts)),
        ["db", "1/3", "2m", "nginx,sidecar", "nginx:1.25,busybox"]
    );
}

#[test]
fn jobs_and_cronjobs() {
    let job = |status: Value, spec_extra: Value| {
        let mut spec = json!({"template": template(),
            "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "abc"}}});
        if let (Some(s), Some(extra)) = (spec.as_object_mut(), spec_extra.as_object()) {
            s.extend(extra.clone());
        }
        json!({"metadata": {"name": "pi", "creationTimestamp": ago(300)}, "spec": spec, "status": status})
    };
    let done = job(
        json!({"succeeded": 1, "startTime": ago(290), "completionTime": ago(250),
            "conditions": [{"type": "SuccessCriteriaMet", "status": "True"}, {"type": "Complete", "status": "True"}]}),
        json!({"completions": 1}),
    );
    let c = strs(&cells("Job", &done));
    assert_eq!(c[..5], ["pi", "Complete", "1/1", "40s", "5m"]);
    assert_eq!(c[7], "batch.kubernetes.io/controller-uid=abc");

    let running = job(
        json!({"active": 2, "startTime": ago(200)}),
        json!({"parallelism": 2}),
    );
    assert_eq!(
        strs(&cells("Job", &running))[1..4],
        ["Running", "0/1 of 2", "3m20s"]
    );

    let failed = job(
        json!({"failed": 6, "startTime": ago(200), "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]}),
        json!({"completions": 3}),
    );
    assert_eq!(strs(&cells("Job", &failed))[1..3], ["Failed", "0/3"]);

    let suspended = job(
        json!({"conditions": [{"type": "Suspended", "status": "True"}]}),
        json!({"suspend": true}),
    );
    assert_eq!(
        strs(&cells("Job", &suspended))[1..4],
        ["Suspended", "0/1", ""]
    );

    let cron = json!({"metadata": {"name": "backup", "creationTimestamp": ago(86400 * 45)},
        "spec": {"schedule": "*/5 * * * *", "suspend": false,
            "jobTemplate": {"spec": {"template": template()}}},
        "status": {"active": [{"name": "backup-29000"}], "lastScheduleTime": ago(65)}});
    let c = cells("CronJob", &cron);
    assert_eq!(
        c[..7],
        [
            json!("backup"),
            json!("*/5 * * * *"),
            json!("<none>"),
            json!("False"),
            json!(1),
            json!("65s"),
            json!("45d")
        ]
    );
    assert_eq!(c[9], json!("<none>"));
}

#[test]
fn config_and_identity_objects() {
    let cm = json!({"metadata": {"name": "kube-root-ca.crt", "creationTimestamp": ago(10)},
        "data": {"ca.crt": "..."}, "binaryData": {"blob": "AA=="}});
    assert_eq!(
        cells("ConfigMap", &cm),
        [json!("kube-root-ca.crt"), json!(2), json!("10s")]
    );
    let secret = json!({"metadata": {"name": "tls", "creationTimestamp": ago(10)},
        "type": "kubernetes.io/tls", "data": {"tls.crt": "", "tls.key": ""}});
    assert_eq!(
        cells("Secret", &secret),
        [
            json!("tls"),
            json!("kubernetes.io/tls"),
            json!(2),
            json!("10s")
        ]
    );
    let sa = json!({"metadata": {"name": "default", "creationTimestamp": ago(10)}});
    assert_eq!(
        cells("ServiceAccount", &sa),
        [json!("default"), json!(0), json!("10s")]
    );
    let ns = json!({"metadata": {"name": "kube-system", "creationTimestamp": ago(7200)},
        "status": {"phase": "Active"}});
    assert_eq!(
        strs(&cells("Namespace", &ns)),
        ["kube-system", "Active", "120m"]
    );
    let lease = json!({"metadata": {"name": "node-1", "creationTimestamp": ago(10)},
        "spec": {"holderIdentity": "node-1", "leaseDurationSeconds": 40}});
    assert_eq!(strs(&cells("Lease", &lease)), ["node-1", "node-1", "10s"]);
}

#[test]
fn events() {
    let ev = json!({"apiVersion": "v1", "kind": "Event",
        "metadata": {"name": "web-7d9c.17a8b", "namespace": "default"},
        "involvedObject": {"kind": "Pod", "name": "web-7d9c", "namespace": "default",
            "fieldPath": "spec.containers{web}"},
        "reason": "BackOff", "type": "Warning",
        "message": "Back-off restarting failed container web in pod web-7d9c\n",
        "source": {"component": "kubelet", "host": "node-1"},
        "firstTimestamp": ago(600), "lastTimestamp": ago(30), "count": 12});
    assert_eq!(
        cells("Event", &ev),
        [
            json!("30s"),
            json!("Warning"),
            json!("BackOff"),
            json!("pod/web-7d9c"),
            json!("spec.containers{web}"),
            json!("kubelet, node-1"),
            json!("Back-off restarting failed container web in pod web-7d9c"),
            json!("10m"),
            json!(12),
            json!("web-7d9c.17a8b")
        ]
    );
    let new_style = json!({"apiVersion": "v1", "metadata": {"name": "n1.1"},
        "involvedObject": {"kind": "Node"}, "reason": "Starting", "type": "Normal",
        "eventTime": "2025-06-01T11:59:00.123456Z", "reportingComponent": "berth",
        "reportingInstance": "node-1", "source": {}});
    let c = cells("Event", &new_style);
    assert_eq!(c[0], json!("59s"));
    assert_eq!(c[3], json!("node"));
    assert_eq!(c[5], json!("berth, node-1"));
    assert_eq!(c[8], json!(1));
    let series = json!({"metadata": {"name": "s"}, "involvedObject": {"kind": "Pod", "name": "p"},
        "eventTime": ago(600), "series": {"count": 4, "lastObservedTime": ago(5)}});
    let c = cells("Event", &series);
    assert_eq!((c[0].clone(), c[8].clone()), (json!("5s"), json!(4)));
}

#[test]
fn quotas_priority_classes_and_csrs() {
    let rq = json!({"metadata": {"name": "compute", "creationTimestamp": ago(60)},
        "status": {"hard": {"requests.cpu": "4", "limits.memory": "8Gi", "pods": "10", "limits.cpu": "8"},
            "used": {"requests.cpu": "500m", "limits.memory": "1Gi", "pods": "3"}}});
    assert_eq!(
        strs(&cells("ResourceQuota", &rq)),
        [
            "compute",
            "pods: 3/10, requests.cpu: 500m/4",
            "limits.cpu: 0/8, limits.memory: 1Gi/8Gi",
            "60s"
        ]
    );
    let pc = json!({"metadata": {"name": "system-node-critical", "creationTimestamp": ago(60)},
        "value": 2000001000, "preemptionPolicy": "PreemptLowerPriority"});
    assert_eq!(
        cells("PriorityClass", &pc),
        [
            json!("system-node-critical"),
            json!(2000001000),
            json!(false),
            json!("60s"),
            json!("PreemptLowerPriority")
        ]
    );
    let csr = json!({"metadata": {"name": "csr-abc", "creationTimestamp": ago(60)},
        "spec": {"signerName": "kubernetes.io/kube-apiserver-client-kubelet",
            "username": "system:node:node-1", "expirationSeconds": 86400},
        "status": {"conditions": [{"type": "Approved", "status": "True"}], "certificate": "LS0t"}});
    assert_eq!(
        strs(&cells("CertificateSigningRequest", &csr)),
        [
            "csr-abc",
            "60s",
            "kubernetes.io/kube-apiserver-client-kubelet",
            "system:node:node-1",
            "24h",
            "Approved,Issued"
        ]
    );
    let pending = json!({"metadata": {"name": "csr-x"}, "spec": {}});
    assert_eq!(
        strs(&cells("CertificateSigningRequest", &pending))[2..],
        ["<none>", "", "<none>", "Pending"]
    );
}

#[test]
fn rbac_objects() {
    let role =
        json!({"metadata": {"name": "pod-reader", "creationTimestamp": "2025-05-30T08:00:00Z"}});
    assert_eq!(
        strs(&cells("Role", &role)),
        ["pod-reader", "2025-05-30T08:00:00Z"]
    );
    assert_eq!(column_definitions("ClusterRole")[1]["name"], "Created At");
    let rb = json!({"metadata": {"name": "read-pods", "creationTimestamp": ago(60)},
    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-reader"},
    "subjects": [
        {"kind": "User", "name": "jane"}, {"kind": "User", "name": "bob"},
        {"kind": "Group", "name": "devs"},
        {"kind": "ServiceAccount", "name": "ci", "namespace": "build"}
    ]});
    assert_eq!(
        strs(&cells("RoleBinding", &rb)),
        [
            "read-pods",
            "Role/pod-reader",
            "60s",
            "jane, bob",
            "devs",
            "build:ci"
        ]
    );
    let crb = json!({"metadata": {"name": "admin"}, "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"}});
    assert_eq!(
        strs(&cells("ClusterRoleBinding", &crb))[1..],
        ["ClusterRole/cluster-admin", "<unknown>", "", "", ""]
    );
}

#[test]
fn default_printer_for_other_kinds() {
    let obj = json!({"apiVersion": "example.com/v1", "kind": "Widget",
        "metadata": {"name": "w1", "creationTimestamp": ago(5)}});
    assert_eq!(strs(&cells("Widget", &obj)), ["w1", "5s"]);
    let cols = column_definitions("Widget");
    assert_eq!(cols[1]["name"], "Age");
    let lr = json!({"metadata": {"name": "limits"}});
    assert_eq!(
        strs(&cells("LimitRange", &lr)),
        ["limits", "0001-01-01T00:00:00Z"]
    );
}

#[test]
fn table_shape_and_include_object() {
    let p = pod(json!({"phase": "Running"}));
    let t = table(
        "Pod",
        std::slice::from_ref(&p),
        IncludeObject::Metadata,
        now(),
        json!({"resourceVersion": "42"}),
    );
    assert_eq!(t["kind"], "Table");
    assert_eq!(t["apiVersion"], "meta.k8s.io/v1");
    assert_eq!(t["metadata"], json!({"resourceVersion": "42"}));
    assert_eq!(t["columnDefinitions"].as_array().map(Vec::len), Some(9));
    assert_eq!(t["rows"][0]["cells"][0], "web-7d9c");
    assert_eq!(
        t["rows"][0]["object"],
        json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
            "metadata": p["metadata"].clone()})
    );
    assert!(t["rows"][0].get("conditions").is_none());

    let full = table(
        "Pod",
        std::slice::from_ref(&p),
        IncludeObject::Object,
        now(),
        Value::Null,
    );
    assert_eq!(full["rows"][0]["object"], p);
    assert_eq!(full["metadata"], json!({}));
    let none = table("Pod", &[p], IncludeObject::None, now(), Value::Null);
    assert_eq!(none["rows"][0]["object"], Value::Null);
    let empty = table("Pod", &[], IncludeObject::Metadata, now(), Value::Null);
    assert_eq!(empty["rows"], json!([]));

    assert_eq!(IncludeObject::from_query(""), Some(IncludeObject::Metadata));
    assert_eq!(
        IncludeObject::from_query("Object"),
        Some(IncludeObject::Object)
    );
    assert_eq!(IncludeObject::from_query("None"), Some(IncludeObject::None));
    assert_eq!(IncludeObject::from_query("All"), None);
}

#[test]
fn every_kind_has_one_cell_per_column_even_for_empty_objects() {
    let kinds = [
        "Pod",
        "Node",
        "Namespace",
        "Service",
        "Endpoints",
        "EndpointSlice",
        "Deployment",
        "ReplicaSet",
        "ReplicationController",
        "DaemonSet",
        "StatefulSet",
        "Job",
        "CronJob",
        "ConfigMap",
        "Secret",
        "ServiceAccount",
        "Event",
        "Lease",
        "ResourceQuota",
        "PriorityClass",
        "CertificateSigningRequest",
        "Role",
        "ClusterRole",
        "RoleBinding",
        "ClusterRoleBinding",
        "LimitRange",
        "PersistentVolumeClaim",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "ValidatingWebhookConfiguration",
        "CustomResourceDefinition",
        "Widget",
    ];
    for kind in kinds {
        let cols = column_definitions(kind);
        for c in &cols {
            for key in ["name", "type", "format", "description", "priority"] {
                assert!(c.get(key).is_some(), "{kind}: column lacks {key}");
            }
        }
        assert_eq!(
            cols.iter().filter(|c| c["format"] == "name").count(),
            1,
            "{kind}"
        );
        cells(kind, &json!({}));
        cells(
            kind,
            &json!({"metadata": {"name": "x"}, "spec": null, "status": "weird"}),
        );
    }
}
