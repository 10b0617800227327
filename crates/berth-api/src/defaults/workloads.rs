//! Defaults for workload kinds: apps/v1, batch/v1 and core/v1 ReplicationController.

use serde_json::{json, Value};

use super::{
    child, child_or_insert, default_str, default_value, each, is_empty_collection, is_empty_str,
    is_unset, path_mut, pod, Obj,
};

/// Defaults the pod template at `spec.template`.
fn spec_template(o: &mut Obj) {
    if let Some(t) = path_mut(o, &["spec", "template"]) {
        pod::pod_template(t);
    }
}

/// `SetDefaults_Deployment` (apps/v1).
pub(super) fn deployment(o: &mut Obj) {
    if let Some(spec) = child(o, "spec") {
        default_value(spec, "replicas", json!(1));
        if let Some(strategy) = child_or_insert(spec, "strategy") {
            default_str(strategy, "type", "RollingUpdate");
            if strategy.get("type") == Some(&json!("RollingUpdate")) {
                if let Some(ru) = child_or_insert(strategy, "rollingUpdate") {
                    default_value(ru, "maxUnavailable", json!("25%"));
                    default_value(ru, "maxSurge", json!("25%"));
                }
            }
        }
        default_value(spec, "revisionHistoryLimit", json!(10));
        default_value(spec, "progressDeadlineSeconds", json!(600));
    }
    spec_template(o);
}

/// `SetDefaults_ReplicaSet` (apps/v1).
pub(super) fn replica_set(o: &mut Obj) {
    if let Some(spec) = child(o, "spec") {
        default_value(spec, "replicas", json!(1));
    }
    spec_template(o);
}

/// `SetDefaults_DaemonSet` (apps/v1).
pub(super) fn daemon_set(o: &mut Obj) {
    if let Some(spec) = child(o, "spec") {
        if let Some(us) = child_or_insert(spec, "updateStrategy") {
            default_str(us, "type", "RollingUpdate");
            if us.get("type") == Some(&json!("RollingUpdate")) {
                if let Some(ru) = child_or_insert(us, "rollingUpdate") {
                    default_value(ru, "maxUnavailable", json!(1));
                    default_value(ru, "maxSurge", json!(0));
                }
            }
        }
        default_value(spec, "revisionHistoryLimit", json!(10));
    }
    spec_template(o);
}

/// `SetDefaults_StatefulSet` (apps/v1) with v1.33's feature gates: StatefulSetAutoDeletePVC
/// on (GA), MaxUnavailableStatefulSet off (alpha).
pub(super) fn stateful_set(o: &mut Obj) {
    if let Some(spec) = child(o, "spec") {
        default_str(spec, "podManagementPolicy", "OrderedReady");
        if let Some(us) = child_or_insert(spec, "updateStrategy") {
            if is_empty_str(us.get("type")) {
                us.insert("type".into(), json!("RollingUpdate"));
                default_value(us, "rollingUpdate", json!({}));
            }
            if us.get("type") == Some(&json!("RollingUpdate")) {
                if let Some(ru) = child(us, "rollingUpdate") {
                    default_value(ru, "partition", json!(0));
                }
            }
        }
        if let Some(policy) = child_or_insert(spec, "persistentVolumeClaimRetentionPolicy") {
            default_str(policy, "whenDeleted", "Retain");
            default_str(policy, "whenScaled", "Retain");
        }
        default_value(spec, "replicas", json!(1));
        default_value(spec, "revisionHistoryLimit", json!(10));
        for pvc in each(spec, "volumeClaimTemplates") {
            super::other::persistent_volume_claim(pvc);
        }
    }
    spec_template(o);
}

/// `SetDefaults_Job` (batch/v1), v1.33 gates: JobPodReplacementPolicy and
/// JobBackoffLimitPerIndex on.
pub(super) fn job(o: &mut Obj) {
    let template_labels = o
        .get("spec")
        .and_then(|s| s.get("template"))
        .and_then(|t| t.get("metadata"))
        .and_then(|m| m.get("labels"))
        .filter(|l| l.is_object())
        .cloned();
    if let Some(spec) = child(o, "spec") {
        job_spec(spec);
    }
    // A Job without labels takes its template's labels.
    if let Some(labels) = template_labels {
        if let Some(meta) = child_or_insert(o, "metadata") {
            if is_empty_collection(meta.get("labels")) {
                meta.insert("labels".into(), labels);
            }
        }
    }
    spec_template(o);
}

fn job_spec(spec: &mut Obj) {
    if is_unset(spec.get("completions")) && is_unset(spec.get("parallelism")) {
        spec.insert("completions".into(), json!(1));
        spec.insert("parallelism".into(), json!(1));
    }
    default_value(spec, "parallelism", json!(1));
    if is_unset(spec.get("backoffLimit")) {
        let limit = if is_unset(spec.get("backoffLimitPerIndex")) {
            6
        } else {
            i64::from(i32::MAX)
        };
        spec.insert("backoffLimit".into(), json!(limit));
    }
    default_value(spec, "completionMode", json!("NonIndexed"));
    default_value(spec, "suspend", json!(false));
    let has_failure_policy = !is_unset(spec.get("podFailurePolicy"));
    if let Some(pfp) = child(spec, "podFailurePolicy") {
        for rule in each(pfp, "rules") {
            for cond in each(rule, "onPodConditions") {
                default_str(cond, "status", "True");
            }
        }
    }
    let replacement = if has_failure_policy {
        "Failed"
    } else {
        "TerminatingOrFailed"
    };
    default_value(spec, "podReplacementPolicy", json!(replacement));
}

/// `SetDefaults_CronJob` (batch/v1). The job template gets pod defaults only; Job
/// defaults apply when the controller creates the Job.
pub(super) fn cron_job(o: &mut Obj) {
    if let Some(spec) = child(o, "spec") {
        default_str(spec, "concurrencyPolicy", "Allow");
        default_value(spec, "suspend", json!(false));
        default_value(spec, "successfulJobsHistoryLimit", json!(3));
        default_value(spec, "failedJobsHistoryLimit", json!(1));
        if let Some(jt) = child(spec, "jobTemplate") {
            // `jobTemplate.metadata` is a struct too and serialises like a template's.
            if let Some(meta) = child_or_insert(jt, "metadata") {
                meta.entry("creationTimestamp").or_insert(Value::Null);
            }
            if let Some(t) = path_mut(jt, &["spec", "template"]) {
                pod::pod_template(t);
            }
        }
    }
}

/// `SetDefaults_ReplicationController` (core/v1): selector and labels from the
/// template's labels, replicas 1.
pub(super) fn replication_controller(o: &mut Obj) {
    let labels = o
        .get("spec")
        .and_then(|s| s.get("template"))
        .and_then(|t| t.get("metadata"))
        .and_then(|m| m.get("labels"))
        .filter(|l| l.is_object())
        .cloned();
    if let Some(labels) = labels {
        if let Some(spec) = child(o, "spec") {
            if is_empty_collection(spec.get("selector")) {
                spec.insert("selector".into(), labels.clone());
            }
        }
        if let Some(meta) = child_or_insert(o, "metadata") {
            if is_empty_collection(meta.get("labels")) {
                meta.insert("labels".into(), labels);
            }
        }
    }
    if let Some(spec) = child(o, "spec") {
        default_value(spec, "replicas", json!(1));
    }
    spec_template(o);
}

#[cfg(test)]
mod tests {
    use super::super::apply_defaults;
    use serde_json::json;

    fn template() -> serde_json::Value {
        json!({"metadata": {"labels": {"app": "web"}},
               "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}})
    }

    fn defaulted_template() -> serde_json::Value {
        json!({
            "metadata": {"labels": {"app": "web"}, "creationTimestamp": null},
            "spec": {
                "containers": [{
                    "name": "nginx", "image": "nginx",
                    "imagePullPolicy": "Always",
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                    "resources": {}
                }],
                "dnsPolicy": "ClusterFirst",
                "restartPolicy": "Always",
                "securityContext": {},
                "terminationGracePeriodSeconds": 30,
                "schedulerName": "default-scheduler"
            }
        })
    }

    /// What `kubectl create deployment web --image=nginx --dry-run=server -o yaml`
    /// shows on v1.33 (spec part).
    #[test]
    fn create_deployment_matches_kube_apiserver() {
        let mut d = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                     "strategy": {}, "template": template()}
        });
        apply_defaults("apps", "v1", "Deployment", &mut d);
        assert_eq!(
            d["spec"],
            json!({
                "replicas": 1,
                "selector": {"matchLabels": {"app": "web"}},
                "strategy": {"type": "RollingUpdate",
                             "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
                "template": defaulted_template(),
                "revisionHistoryLimit": 10,
                "progressDeadlineSeconds": 600
            })
        );
    }

    #[test]
    fn deployment_recreate_gets_no_rolling_update() {
        let mut d = json!({"spec": {"strategy": {"type": "Recreate"}, "replicas": 0}});
        apply_defaults("apps", "v1", "Deployment", &mut d);
        assert_eq!(d["spec"]["strategy"], json!({"type": "Recreate"}));
        assert_eq!(d["spec"]["replicas"], 0);
    }

    #[test]
    fn deployment_keeps_partial_rolling_update() {
        let mut d = json!({"spec": {"strategy": {"rollingUpdate": {"maxSurge": 0}}}});
        apply_defaults("apps", "v1", "Deployment", &mut d);
        assert_eq!(
            d["spec"]["strategy"],
            json!({"rollingUpdate": {"maxSurge": 0, "maxUnavailable": "25%"}, "type": "RollingUpdate"})
        );
    }

    #[test]
    fn replica_set() {
        let mut rs = json!({"spec": {"template": template()}});
        apply_defaults("apps", "v1", "ReplicaSet", &mut rs);
        assert_eq!(rs["spec"]["replicas"], 1);
        assert_eq!(rs["spec"]["template"], defaulted_template());
    }

    #[test]
    fn daemon_set() {
        let mut ds = json!({"spec": {"template": template()}});
        apply_defaults("apps", "v1", "DaemonSet", &mut ds);
        assert_eq!(
            ds["spec"]["updateStrategy"],
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}})
        );
        assert_eq!(ds["spec"]["revisionHistoryLimit"], 10);
        assert!(ds["spec"].get("replicas").is_none());
        let mut ondelete = json!({"spec": {"updateStrategy": {"type": "OnDelete"}}});
        apply_defaults("apps", "v1", "DaemonSet", &mut ondelete);
        assert_eq!(
            ondelete["spec"]["updateStrategy"],
            json!({"type": "OnDelete"})
        );
    }

    #[test]
    fn stateful_set() {
        let mut ss = json!({"spec": {"serviceName": "db", "template": template(),
            "volumeClaimTemplates": [{"metadata": {"name": "data"},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}});
        apply_defaults("apps", "v1", "StatefulSet", &mut ss);
        let s = &ss["spec"];
        assert_eq!(s["podManagementPolicy"], "OrderedReady");
        assert_eq!(
            s["updateStrategy"],
            json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}})
        );
        assert_eq!(
            s["persistentVolumeClaimRetentionPolicy"],
            json!({"whenDeleted": "Retain", "whenScaled": "Retain"})
        );
        assert_eq!(s["replicas"], 1);
        assert_eq!(s["revisionHistoryLimit"], 10);
        assert_eq!(
            s["volumeClaimTemplates"][0]["spec"]["volumeMode"],
            "Filesystem"
        );
        assert_eq!(
            s["volumeClaimTemplates"][0]["status"],
            json!({"phase": "Pending"})
        );
        assert_eq!(s["template"], defaulted_template());
        // OnDelete gets no rollingUpdate.
        let mut od = json!({"spec": {"updateStrategy": {"type": "OnDelete"}}});
        apply_defaults("apps", "v1", "StatefulSet", &mut od);
        assert_eq!(od["spec"]["updateStrategy"], json!({"type": "OnDelete"}));
    }

    #[test]
    fn job() {
        let mut j = json!({"metadata": {"name": "pi"}, "spec": {"template": {
            "metadata": {"labels": {"app": "pi"}},
            "spec": {"restartPolicy": "Never", "containers": [{"name": "pi", "image": "perl:5.34"}]}}}});
        apply_defaults("batch", "v1", "Job", &mut j);
        let s = &j["spec"];
        assert_eq!(s["completions"], 1);
        assert_eq!(s["parallelism"], 1);
        assert_eq!(s["backoffLimit"], 6);
        assert_eq!(s["completionMode"], "NonIndexed");
        assert_eq!(s["suspend"], false);
        assert_eq!(s["podReplacementPolicy"], "TerminatingOrFailed");
        assert!(s.get("manualSelector").is_none());
        assert_eq!(s["template"]["spec"]["restartPolicy"], "Never");
        assert_eq!(
            s["template"]["spec"]["containers"][0]["imagePullPolicy"],
            "IfNotPresent"
        );
        assert_eq!(j["metadata"]["labels"], json!({"app": "pi"}));
    }

    #[test]
    fn job_parallel_and_failure_policy() {
        let mut j = json!({"spec": {"parallelism": 3, "backoffLimitPerIndex": 1,
            "podFailurePolicy": {"rules": [{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]}]},
            "template": {"spec": {}}}});
        apply_defaults("batch", "v1", "Job", &mut j);
        let s = &j["spec"];
        assert!(s.get("completions").is_none());
        assert_eq!(s["parallelism"], 3);
        assert_eq!(s["backoffLimit"], 2147483647);
        assert_eq!(s["podReplacementPolicy"], "Failed");
        assert_eq!(
            s["podFailurePolicy"]["rules"][0]["onPodConditions"][0]["status"],
            "True"
        );
        // PodSpec defaulting gives templates restartPolicy Always, as upstream does;
        // Job validation then rejects it.
        assert_eq!(s["template"]["spec"]["restartPolicy"], "Always");
    }

    #[test]
    fn cron_job() {
        let mut cj = json!({"spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {
            "template": {"spec": {"restartPolicy": "OnFailure", "containers": [{"name": "c", "image": "busybox"}]}}}}}});
        apply_defaults("batch", "v1", "CronJob", &mut cj);
        let s = &cj["spec"];
        assert_eq!(s["concurrencyPolicy"], "Allow");
        assert_eq!(s["suspend"], false);
        assert_eq!(s["successfulJobsHistoryLimit"], 3);
        assert_eq!(s["failedJobsHistoryLimit"], 1);
        assert_eq!(
            s["jobTemplate"]["metadata"],
            json!({"creationTimestamp": null})
        );
        // Job defaults are not applied inside the template.
        assert!(s["jobTemplate"]["spec"].get("backoffLimit").is_none());
        let pod = &s["jobTemplate"]["spec"]["template"]["spec"];
        assert_eq!(pod["schedulerName"], "default-scheduler");
        assert_eq!(pod["containers"][0]["imagePullPolicy"], "Always");
    }

    #[test]
    fn replication_controller() {
        let mut rc = json!({"metadata": {"name": "rc"}, "spec": {"template": template()}});
        apply_defaults("", "v1", "ReplicationController", &mut rc);
        assert_eq!(rc["spec"]["selector"], json!({"app": "web"}));
        assert_eq!(rc["metadata"]["labels"], json!({"app": "web"}));
        assert_eq!(rc["spec"]["replicas"], 1);
        assert_eq!(rc["spec"]["template"], defaulted_template());
    }
}
