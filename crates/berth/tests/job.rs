//! Job, TTL-after-finished and CronJob controllers, driven with real kubectl. Pods are
//! finished by the test itself (`kubectl patch --subresource=status`), as a kubelet would.

mod common;

use common::{eventually, Server};
use serde_json::Value;

/// The pods of a Job, by the label the API server puts on its template.
fn pods_of(s: &Server, job: &str) -> Vec<Value> {
    let sel = format!("batch.kubernetes.io/job-name={job}");
    let list = s.kj(&["get", "pods", "-l", &sel]);
    list["items"].as_array().cloned().unwrap_or_default()
}

fn pod_is_running(p: &Value) -> bool {
    let phase = p["status"]["phase"].as_str().unwrap_or("Pending");
    p["metadata"]["deletionTimestamp"].is_null() && phase != "Succeeded" && phase != "Failed"
}

/// Sets every running pod of `job` to `phase`; returns how many were set.
fn finish_pods(s: &Server, job: &str, phase: &str) -> usize {
    let patch = format!(r#"{{"status":{{"phase":"{phase}"}}}}"#);
    let mut n = 0;
    for p in pods_of(s, job).iter().filter(|p| pod_is_running(p)) {
        let name = p["metadata"]["name"].as_str().unwrap_or_default();
        let o = s.kubectl_with(
            common::KUBECTL_NEW,
            &[
                "patch",
                "pod",
                name,
                "--subresource=status",
                "--type=merge",
                "-p",
                &patch,
            ],
        );
        if o.status.success() {
            n += 1;
        }
    }
    n
}

fn condition<'a>(obj: &'a Value, type_: &str) -> Option<&'a Value> {
    obj["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == type_ && c["status"] == "True")
}

/// Events about `name` as (reason, message).
fn events_of(s: &Server, name: &str) -> Vec<(String, String)> {
    let list = s.kj(&["get", "events"]);
    list["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|e| e["involvedObject"]["name"] == name)
        .map(|e| {
            let r = e["reason"].as_str().unwrap_or_default().to_string();
            let m = e["message"].as_str().unwrap_or_default().to_string();
            (r, m)
        })
        .collect()
}

fn wait_nodes_ready(s: &Server, n: usize) {
    let ready = eventually(60, || {
        let nodes = s.kj(&["get", "nodes"]);
        let items = nodes["items"].as_array().cloned().unwrap_or_default();
        items.len() == n && items.iter().all(|n| condition(n, "Ready").is_some())
    });
    assert!(ready, "{}", s.k(&["get", "nodes"]));
}

fn apply(s: &Server, yaml: &str) {
    let o = s.k_stdin(&["apply", "-f", "-"], yaml);
    assert!(
        o.status.success(),
        "apply: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn job_yaml(name: &str, spec: &str) -> String {
    format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\nspec:\n{spec}\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: c\n        image: busybox\n        command: [\"true\"]\n"
    )
}

#[test]
fn job_with_parallelism_completes() {
    let s = Server::start();
    apply(&s, &job_yaml("work", "  completions: 3\n  parallelism: 2"));
    let job = s.kj(&["get", "job", "work"]);
    let uid = job["metadata"]["uid"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        job["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"],
        uid.as_str()
    );
    assert_eq!(
        job["spec"]["template"]["metadata"]["labels"]["job-name"],
        "work"
    );
    assert_eq!(
        job["metadata"]["labels"]["batch.kubernetes.io/job-name"],
        "work"
    );

    assert!(
        eventually(20, || pods_of(&s, "work").len() == 2),
        "two pods start"
    );
    for p in pods_of(&s, "work") {
        assert!(p["metadata"]["generateName"] == "work-");
        assert_eq!(
            p["metadata"]["finalizers"][0],
            "batch.kubernetes.io/job-tracking"
        );
        assert_eq!(p["metadata"]["ownerReferences"][0]["kind"], "Job");
    }
    let running = s.kj(&["get", "job", "work"]);
    assert_eq!(running["status"]["active"], 2);
    assert!(running["status"]["startTime"].is_string());

    let mut finished = 0;
    let done = eventually(40, || {
        let running = pods_of(&s, "work")
            .iter()
            .filter(|p| pod_is_running(p))
            .count();
        assert!(running <= 2, "parallelism 2 exceeded: {running} running");
        finished += finish_pods(&s, "work", "Succeeded");
        condition(&s.kj(&["get", "job", "work"]), "Complete").is_some()
    });
    assert!(
        done,
        "job completes: {}",
        s.k(&["get", "job", "work", "-o", "yaml"])
    );
    assert_eq!(finished, 3, "exactly three pods were needed");
    s.k(&[
        "wait",
        "--for=condition=complete",
        "job/work",
        "--timeout=10s",
    ]);

    let table = s.k(&["get", "jobs"]);
    let row = table
        .lines()
        .find(|l| l.starts_with("work "))
        .unwrap_or_default();
    assert!(row.contains("Complete") && row.contains("3/3"), "{table}");

    let job = s.kj(&["get", "job", "work"]);
    assert_eq!(job["status"]["succeeded"], 3);
    assert!(job["status"]["completionTime"].is_string());
    assert_eq!(
        job["status"]["uncountedTerminatedPods"],
        serde_json::json!({})
    );
    let met = condition(&job, "SuccessCriteriaMet")
        .cloned()
        .unwrap_or_default();
    assert_eq!(met["reason"], "CompletionsReached");
    assert_eq!(
        condition(&job, "Complete").map(|c| c["message"].clone()),
        Some("Reached expected number of succeeded pods".into())
    );
    // Every pod has been accounted for and released.
    assert!(eventually(10, || pods_of(&s, "work")
        .iter()
        .all(|p| p["metadata"]["finalizers"]
            .as_array()
            .is_none_or(|f| f.is_empty()))));
    let events = events_of(&s, "work");
    assert_eq!(
        events
            .iter()
            .filter(|(r, _)| r == "SuccessfulCreate")
            .count(),
        3,
        "{events:?}"
    );
    assert!(events
        .iter()
        .any(|(r, m)| r == "SuccessfulCreate" && m.starts_with("Created pod: work-")));
    assert!(
        events.contains(&("Completed".into(), "Job completed".into())),
        "{events:?}"
    );
}

#[test]
fn failing_job_hits_backoff_limit() {
    let s = Server::start();
    apply(&s, &job_yaml("flaky", "  backoffLimit: 1"));
    assert!(eventually(20, || pods_of(&s, "flaky").len() == 1));
    assert_eq!(finish_pods(&s, "flaky", "Failed"), 1);
    // The replacement comes after the pod-failure backoff (10 s upstream).
    assert!(
        eventually(30, || pods_of(&s, "flaky").iter().any(pod_is_running)),
        "a replacement pod is created"
    );
    let job = s.kj(&["get", "job", "flaky"]);
    assert_eq!(job["status"]["failed"], 1);
    assert!(condition(&job, "Failed").is_none());
    assert_eq!(finish_pods(&s, "flaky", "Failed"), 1);
    s.k(&[
        "wait",
        "--for=condition=failed",
        "job/flaky",
        "--timeout=20s",
    ]);
    let job = s.kj(&["get", "job", "flaky"]);
    assert_eq!(job["status"]["failed"], 2);
    for type_ in ["FailureTarget", "Failed"] {
        let c = condition(&job, type_).cloned().unwrap_or_default();
        assert_eq!(c["reason"], "BackoffLimitExceeded", "{type_}");
        assert_eq!(c["message"], "Job has reached the specified backoff limit");
    }
    assert!(job["status"]["completionTime"].is_null());
    let table = s.k(&["get", "jobs"]);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("flaky ") && l.contains("Failed") && l.contains("0/1")),
        "{table}"
    );
    let events = events_of(&s, "flaky");
    assert!(
        events.contains(&(
            "BackoffLimitExceeded".into(),
            "Job has reached the specified backoff limit".into()
        )),
        "{events:?}"
    );
    assert!(pods_of(&s, "flaky").iter().all(|p| !pod_is_running(p)));
}

#[test]
fn indexed_job_suspend_and_deadline() {
    let s = Server::start();
    apply(
        &s,
        &job_yaml(
            "ix",
            "  completions: 3\n  parallelism: 3\n  completionMode: Indexed\n  suspend: true",
        ),
    );
    assert!(eventually(20, || {
        condition(&s.kj(&["get", "job", "ix"]), "Suspended")
            .is_some_and(|c| c["reason"] == "JobSuspended")
    }));
    assert!(pods_of(&s, "ix").is_empty(), "a suspended job runs no pods");
    let table = s.k(&["get", "jobs"]);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("ix ") && l.contains("Suspended")),
        "{table}"
    );

    s.k(&[
        "patch",
        "job",
        "ix",
        "--type=merge",
        "-p",
        r#"{"spec":{"suspend":false}}"#,
    ]);
    assert!(
        eventually(20, || pods_of(&s, "ix").len() == 3),
        "resumed job starts its pods"
    );
    let mut seen: Vec<String> = pods_of(&s, "ix")
        .iter()
        .map(|p| {
            let ix = p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            assert_eq!(
                p["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"],
                ix.as_str()
            );
            assert_eq!(p["spec"]["hostname"], format!("ix-{ix}").as_str());
            assert!(p["metadata"]["generateName"]
                .as_str()
                .is_some_and(|g| g == format!("ix-{ix}-")));
            ix
        })
        .collect();
    seen.sort();
    assert_eq!(seen, ["0", "1", "2"]);
    let job = s.kj(&["get", "job", "ix"]);
    let suspended = job["status"]["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == "Suspended"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(suspended["status"], "False");
    assert_eq!(suspended["reason"], "JobResumed");
    assert!(events_of(&s, "ix")
        .iter()
        .any(|(r, m)| r == "Resumed" && m == "Job resumed"));

    finish_pods(&s, "ix", "Succeeded");
    s.k(&[
        "wait",
        "--for=condition=complete",
        "job/ix",
        "--timeout=20s",
    ]);
    assert_eq!(
        s.kj(&["get", "job", "ix"])["status"]["completedIndexes"],
        "0-2"
    );

    // activeDeadlineSeconds fails a job whose pods never finish.
    apply(&s, &job_yaml("slow", "  activeDeadlineSeconds: 2"));
    s.k(&[
        "wait",
        "--for=condition=failed",
        "job/slow",
        "--timeout=30s",
    ]);
    let job = s.kj(&["get", "job", "slow"]);
    let failed = condition(&job, "Failed").cloned().unwrap_or_default();
    assert_eq!(failed["reason"], "DeadlineExceeded");
    assert_eq!(
        failed["message"],
        "Job was active longer than specified deadline"
    );
    assert!(
        pods_of(&s, "slow").iter().all(|p| !pod_is_running(p)),
        "its pod is stopped"
    );
}

#[test]
fn ttl_after_finished_deletes_the_job_and_its_pods() {
    let s = Server::start();
    apply(&s, &job_yaml("short", "  ttlSecondsAfterFinished: 2"));
    assert!(eventually(20, || finish_pods(&s, "short", "Succeeded") == 1));
    s.k(&[
        "wait",
        "--for=condition=complete",
        "job/short",
        "--timeout=20s",
    ]);
    assert!(
        eventually(30, || s
            .kubectl_with(common::KUBECTL_NEW, &["get", "job", "short"])
            .status
            .code()
            == Some(1)),
        "the finished job is deleted after its TTL"
    );
    let err = s.k_err(&["get", "job", "short"]);
    assert!(
        err.contains("NotFound") || err.contains("not found"),
        "{err}"
    );
}

#[test]
fn cronjob_fires_and_keeps_history() {
    let s = Server::start();
    s.k(&[
        "create",
        "cronjob",
        "tick",
        "--image=busybox",
        "--schedule=*/1 * * * *",
    ]);
    s.k(&[
        "patch",
        "cronjob",
        "tick",
        "--type=merge",
        "-p",
        r#"{"spec":{"successfulJobsHistoryLimit":1}}"#,
    ]);

    // Two manual runs, owned by the CronJob, finish before the schedule fires.
    for name in ["manual-1", "manual-2"] {
        s.k(&["create", "job", name, "--from=cronjob/tick"]);
        assert!(
            eventually(20, || finish_pods(&s, name, "Succeeded") == 1),
            "{name} runs"
        );
        s.k(&[
            "wait",
            "--for=condition=complete",
            &format!("job/{name}"),
            "--timeout=20s",
        ]);
    }
    assert!(
        eventually(20, || s
            .kubectl_with(common::KUBECTL_NEW, &["get", "job", "manual-1"])
            .status
            .code()
            == Some(1)),
        "history limit 1 deletes the older finished job"
    );
    assert!(events_of(&s, "tick")
        .iter()
        .any(|(r, m)| r == "SuccessfulDelete" && m == "Deleted job manual-1"));

    // The schedule fires at the next minute boundary.
    let mut scheduled = String::new();
    let fired = eventually(75, || {
        let jobs = s.kj(&["get", "jobs"]);
        let names: Vec<String> = jobs["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|j| j["metadata"]["name"].as_str().map(String::from))
            .filter(|n| n.starts_with("tick-"))
            .collect();
        names.first().map(|n| scheduled = n.clone()).is_some()
    });
    assert!(
        fired,
        "the cronjob created a job: {}",
        s.k(&["get", "cronjob", "tick", "-o", "yaml"])
    );
    let minutes: i64 = scheduled.trim_start_matches("tick-").parse().unwrap_or(-1);
    let job = s.kj(&["get", "job", &scheduled]);
    let stamp = job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let cj = s.kj(&["get", "cronjob", "tick"]);
    assert_eq!(
        cj["status"]["lastScheduleTime"].as_str(),
        Some(stamp.as_str())
    );
    let at = std::process::Command::new("date")
        .args(["-u", "-d", &stamp, "+%s"])
        .output()
        .expect("date");
    let at: i64 = String::from_utf8_lossy(&at.stdout)
        .trim()
        .parse()
        .unwrap_or(-1);
    assert_eq!(at, minutes * 60, "job name is the scheduled minute");
    assert_eq!(cj["status"]["active"][0]["name"], scheduled.as_str());
    assert!(events_of(&s, "tick")
        .iter()
        .any(|(r, m)| r == "SuccessfulCreate" && *m == format!("Created job {scheduled}")));

    assert!(eventually(20, || finish_pods(&s, &scheduled, "Succeeded") == 1));
    assert!(
        eventually(20, || {
            let cj = s.kj(&["get", "cronjob", "tick"]);
            let done = s.kj(&["get", "job", &scheduled])["status"]["completionTime"].clone();
            cj["status"]["active"].is_null()
                && done.is_string()
                && cj["status"]["lastSuccessfulTime"] == done
        }),
        "{}",
        s.k(&["get", "cronjob", "tick", "-o", "yaml"])
    );
    assert!(events_of(&s, "tick")
        .iter()
        .any(|(r, m)| r == "SawCompletedJob"
            && *m == format!("Saw completed job: {scheduled}, condition: Complete")));
    // Only the newest successful job is kept.
    assert!(eventually(20, || s
        .kubectl_with(common::KUBECTL_NEW, &["get", "job", "manual-2"])
        .status
        .code()
        == Some(1)));
    s.k(&["get", "job", &scheduled]);
}

#[test]
fn job_completes_on_hollow_nodes() {
    let s = Server::start();
    let _nodes = common::Hollow::start(&s, 2, "hollow", &["--complete-after", "1s"]);
    wait_nodes_ready(&s, 2);
    s.k(&[
        "create",
        "job",
        "pi",
        "--image=perl",
        "--",
        "perl",
        "-e",
        "print 1",
    ]);
    apply(&s, &job_yaml("batch", "  completions: 3\n  parallelism: 2"));
    s.k(&[
        "wait",
        "--for=condition=complete",
        "job/pi",
        "job/batch",
        "--timeout=40s",
    ]);
    let table = s.k(&["get", "jobs"]);
    for (name, count) in [("pi", "1/1"), ("batch", "3/3")] {
        let row = table
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_default();
        assert!(row.contains("Complete") && row.contains(count), "{table}");
    }
    let pods = pods_of(&s, "batch");
    assert_eq!(pods.len(), 3, "no pod beyond the three completions");
    assert!(pods
        .iter()
        .all(|p| p["status"]["phase"] == "Succeeded" && p["spec"]["nodeName"].is_string()));
    assert!(pods.iter().all(|p| p["metadata"]["finalizers"]
        .as_array()
        .is_none_or(|f| f.is_empty())));
}

#[test]
fn deadline_stops_running_pods_on_hollow_nodes() {
    let s = Server::start();
    let _nodes = common::Hollow::start(&s, 2, "slow", &["--complete-after", "600s"]);
    wait_nodes_ready(&s, 2);
    apply(
        &s,
        &job_yaml(
            "long",
            "  parallelism: 2\n  completions: 2\n  activeDeadlineSeconds: 8",
        ),
    );
    assert!(
        eventually(30, || {
            let job = s.kj(&["get", "job", "long"]);
            job["status"]["ready"] == 2
        }),
        "two pods run: {}",
        s.k(&["get", "pods", "-o", "wide"])
    );
    s.k(&[
        "wait",
        "--for=condition=failed",
        "job/long",
        "--timeout=40s",
    ]);
    let job = s.kj(&["get", "job", "long"]);
    assert_eq!(
        condition(&job, "Failed").map(|c| c["reason"].clone()),
        Some("DeadlineExceeded".into())
    );
    assert_eq!(
        job["status"]["failed"], 2,
        "both stopped pods count as failed"
    );
    assert_eq!(job["status"]["terminating"], 0);
    assert!(job["status"]["active"].is_null());
    assert!(
        eventually(20, || pods_of(&s, "long").is_empty()),
        "the stopped pods are gone"
    );
}
