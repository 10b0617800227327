//! Workload validation: apps/v1 Deployment, ReplicaSet, DaemonSet, StatefulSet and
//! batch/v1 Job, CronJob (pkg/apis/apps/validation, pkg/apis/batch/validation, v1.33).

use serde_json::{Map, Value};

use super::{
    child, cron, get_i64, get_obj, get_str, go_repr, immutable, int_or_string_value,
    label_selector_value, nonnegative, pod, regex_error, selector_is_empty, selector_matches,
    semantically_equal, validate_label_selector, FieldError,
};

const SELECTOR_MISMATCH: &str = "`selector` does not match template `labels`";

/// The template's labels as Go prints the map (`map[string]string(nil)` when absent).
fn template_labels_value(labels: Option<&Map<String, Value>>) -> Value {
    match labels {
        Some(m) => Value::Object(m.clone()),
        None => go_repr("map[string]string(nil)"),
    }
}

fn template_labels(spec: &Value) -> Option<&Map<String, Value>> {
    spec.get("template")
        .and_then(|t| t.get("metadata"))
        .and_then(|m| get_obj(m, "labels"))
}

fn present(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| !v.is_null())
}

/// Selector required, valid and non-empty (`what` names the kind in the message).
fn required_selector(spec: &Value, what: &str, errs: &mut Vec<FieldError>) {
    match present(spec.get("selector")) {
        None => errs.push(FieldError::required("spec.selector", "")),
        Some(sel) => {
            errs.extend(validate_label_selector(sel, "spec.selector"));
            if selector_is_empty(sel) {
                errs.push(FieldError::invalid(
                    "spec.selector",
                    label_selector_value(Some(sel)),
                    format!("empty selector is invalid for {what}"),
                ));
            }
        }
    }
}

/// Template labels must satisfy the selector. An empty selector selects everything;
/// a missing one selects nothing, so it never matches (as upstream).
fn template_matches_selector(spec: &Value, errs: &mut Vec<FieldError>) {
    let sel = present(spec.get("selector"));
    if sel.is_some_and(selector_is_empty) {
        return;
    }
    let labels = template_labels(spec);
    if !selector_matches(sel, labels) {
        errs.push(FieldError::invalid(
            "spec.template.metadata.labels",
            template_labels_value(labels),
            SELECTOR_MISMATCH,
        ));
    }
}

/// Pod template plus the "long-running controller" rules: restartPolicy Always and no
/// activeDeadlineSeconds.
fn long_running_template(spec: &Value, owner: &str, errs: &mut Vec<FieldError>) {
    let template = spec.get("template").unwrap_or(&Value::Null);
    errs.extend(pod::validate_template(template, "spec.template"));
    let pod_spec = template.get("spec").unwrap_or(&Value::Null);
    let rp = get_str(pod_spec, "restartPolicy");
    if rp != "Always" {
        errs.push(FieldError::not_supported(
            "spec.template.spec.restartPolicy",
            Value::String(rp.to_string()),
            &["Always"],
        ));
    }
    if present(pod_spec.get("activeDeadlineSeconds")).is_some() {
        errs.push(FieldError::forbidden(
            "spec.template.spec.activeDeadlineSeconds",
            format!("activeDeadlineSeconds in {owner} is not Supported"),
        ));
    }
}

/// `ValidateDeployment` (spec part).
pub(super) fn validate_deployment(obj: &Value) -> Vec<FieldError> {
    let spec = obj.get("spec").unwrap_or(&Value::Null);
    let mut errs = Vec::new();
    nonnegative(spec, "replicas", "spec", &mut errs);
    required_selector(spec, "deployment", &mut errs);
    template_matches_selector(spec, &mut errs);
    long_running_template(spec, "ReplicaSet", &mut errs);
    validate_deployment_strategy(spec, &mut errs);
    nonnegative(spec, "minReadySeconds", "spec", &mut errs);
    nonnegative(spec, "revisionHistoryLimit", "spec", &mut errs);
    if let Some(pds) = get_i64(spec, "progressDeadlineSeconds") {
        nonnegative(spec, "progressDeadlineSeconds", "spec", &mut errs);
        if pds <= get_i64(spec, "minReadySeconds").unwrap_or(0) {
            errs.push(FieldError::invalid(
                "spec.progressDeadlineSeconds",
                Value::from(pds),
                "must be greater than minReadySeconds",
            ));
        }
    }
    errs
}

/// `%#v`-style rendering of a strategy struct; the rollingUpdate pointer is shown as
/// nil or as its JSON, since Go would print a memory address.
fn strategy_value(go_type: &str, rolling_type: &str, strategy: &Value) -> Value {
    let ru = match present(strategy.get("rollingUpdate")) {
        None => format!("(*apps.{rolling_type})(nil)"),
        Some(v) => v.to_string(),
    };
    go_repr(format!(
        "apps.{go_type}{{Type:{}, RollingUpdate:{ru}}}",
        super::go_quote(get_str(strategy, "type"))
    ))
}

fn validate_deployment_strategy(spec: &Value, errs: &mut Vec<FieldError>) {
    let strategy = spec.get("strategy").unwrap_or(&Value::Null);
    match get_str(strategy, "type") {
        "Recreate" => {
            if present(strategy.get("rollingUpdate")).is_some() {
                errs.push(FieldError::forbidden(
                    "spec.strategy.rollingUpdate",
                    "may not be specified when strategy `type` is 'Recreate'",
                ));
            }
        }
        "RollingUpdate" => match present(strategy.get("rollingUpdate")) {
            None => errs.push(FieldError::required(
                "spec.strategy.rollingUpdate",
                "this should be defaulted and never be nil",
            )),
            Some(ru) => {
                let path = "spec.strategy.rollingUpdate";
                let max_unavailable = ru.get("maxUnavailable");
                let max_surge = ru.get("maxSurge");
                positive_int_or_percent(max_unavailable, &child(path, "maxUnavailable"), errs);
                positive_int_or_percent(max_surge, &child(path, "maxSurge"), errs);
                if int_or_percent(max_unavailable) == 0 && int_or_percent(max_surge) == 0 {
                    errs.push(FieldError::invalid(
                        child(path, "maxUnavailable"),
                        int_or_string_value(max_unavailable),
                        "may not be 0 when `maxSurge` is 0",
                    ));
                }
                not_more_than_100_percent(max_unavailable, &child(path, "maxUnavailable"), errs);
            }
        },
        _ => errs.push(FieldError::not_supported(
            "spec.strategy",
            strategy_value("DeploymentStrategy", "RollingUpdateDeployment", strategy),
            &["Recreate", "RollingUpdate"],
        )),
    }
}

/// `getPercentValue`: `Some(n)` for a valid `"n%"` string.
fn percent(v: Option<&Value>) -> Option<i64> {
    let s = v?.as_str()?;
    let digits = s.strip_suffix('%')?;
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// `getIntOrPercentValue`.
fn int_or_percent(v: Option<&Value>) -> i64 {
    match v {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
        Some(Value::String(s)) => percent(v).unwrap_or_else(|| s.parse().unwrap_or(0)),
        _ => 0,
    }
}

/// `ValidatePositiveIntOrPercent`.
fn positive_int_or_percent(v: Option<&Value>, path: &str, errs: &mut Vec<FieldError>) {
    match v {
        Some(Value::String(_)) if percent(v).is_none() => {
            errs.push(FieldError::invalid(
                path,
                int_or_string_value(v),
                regex_error(
                    "a valid percent string must be a numeric string followed by an ending '%'",
                    "[0-9]+%",
                    &["1%", "93%"],
                ),
            ));
        }
        Some(Value::Number(n)) => {
            let n = n.as_i64().unwrap_or(0);
            if n < 0 {
                errs.push(FieldError::invalid(
                    path,
                    Value::from(n),
                    "must be greater than or equal to 0",
                ));
            }
        }
        _ => {}
    }
}

/// `IsNotMoreThan100Percent`.
fn not_more_than_100_percent(v: Option<&Value>, path: &str, errs: &mut Vec<FieldError>) {
    if percent(v).is_some_and(|p| p > 100) {
        errs.push(FieldError::invalid(
            path,
            int_or_string_value(v),
            "must not be greater than 100%",
        ));
    }
}

/// `ValidateReplicaSet` (spec part).
pub(super) fn validate_replica_set(obj: &Value) -> Vec<FieldError> {
    let spec = obj.get("spec").unwrap_or(&Value::Null);
    let mut errs = Vec::new();
    nonnegative(spec, "replicas", "spec", &mut errs);
    nonnegative(spec, "minReadySeconds", "spec", &mut errs);
    // Upstream's ReplicaSet message says "deployment" too.
    required_selector(spec, "deployment", &mut errs);
    template_matches_selector(spec, &mut errs);
    long_running_template(spec, "ReplicaSet", &mut errs);
    errs
}

/// `ValidateDaemonSet` (spec part). A DaemonSet selector is not reported as required:
/// upstream only reports that the template labels do not match it.
pub(super) fn validate_daemon_set(obj: &Value) -> Vec<FieldError> {
    let spec = obj.get("spec").unwrap_or(&Value::Null);
    let mut errs = Vec::new();
    let sel = present(spec.get("selector"));
    if let Some(sel) = sel {
        errs.extend(validate_label_selector(sel, "spec.selector"));
    }
    template_matches_selector(spec, &mut errs);
    if let Some(sel) = sel.filter(|s| selector_is_empty(s)) {
        errs.push(FieldError::invalid(
            "spec.selector",
            label_selector_value(Some(sel)),
            "empty selector is invalid for daemonset",
        ));
    }
    long_running_template(spec, "DaemonSet", &mut errs);
    nonnegative(spec, "minReadySeconds", "spec", &mut errs);
    nonnegative(spec, "templateGeneration", "spec", &mut errs);
    let strategy = spec.get("updateStrategy").unwrap_or(&Value::Null);
    let path = "spec.updateStrategy";
    match get_str(strategy, "type") {
        "OnDelete" => {}
        "RollingUpdate" => match present(strategy.get("rollingUpdate")) {
            None => errs.push(FieldError::required(child(path, "rollingUpdate"), "")),
            Some(ru) => {
                let ru_path = child(path, "rollingUpdate");
                let unavailable = ru.get("maxUnavailable");
                let surge = ru.get("maxSurge");
                positive_int_or_percent(unavailable, &child(&ru_path, "maxUnavailable"), &mut errs);
                positive_int_or_percent(surge, &child(&ru_path, "maxSurge"), &mut errs);
                not_more_than_100_percent(
                    unavailable,
                    &child(&ru_path, "maxUnavailable"),
                    &mut errs,
                );
                not_more_than_100_percent(surge, &child(&ru_path, "maxSurge"), &mut errs);
                let has_unavailable = int_or_percent(unavailable) != 0;
                let has_surge = int_or_percent(surge) != 0;
                if has_unavailable && has_surge {
                    errs.push(FieldError::invalid(
                        child(&ru_path, "maxSurge"),
                        int_or_string_value(surge),
                        "may not be set when maxUnavailable is non-zero",
                    ));
                } else if !has_unavailable && !has_surge {
                    errs.push(FieldError::required(
                        child(&ru_path, "maxUnavailable"),
                        "cannot be 0 when maxSurge is 0",
                    ));
                }
            }
        },
        _ => errs.push(FieldError::not_supported(
            path,
            strategy_value(
                "DaemonSetUpdateStrategy",
                "RollingUpdateDaemonSet",
                strategy,
            ),
            &["RollingUpdate", "OnDelete"],
        )),
    }
    nonnegative(spec, "revisionHistoryLimit", "spec", &mut errs);
    errs
}

/// `ValidateStatefulSetSpec`.
pub(super) fn validate_stateful_set(obj: &Value) -> Vec<FieldError> {
    let spec = obj.get("spec").unwrap_or(&Value::Null);
    let mut errs = Vec::new();
    match get_str(spec, "podManagementPolicy") {
        "" => errs.push(FieldError::required("spec.podManagementPolicy", "")),
        "OrderedReady" | "Parallel" => {}
        other => errs.push(FieldError::invalid(
            "spec.podManagementPolicy",
            Value::String(other.to_string()),
            "must be 'OrderedReady' or 'Parallel'",
        )),
    }
    let strategy = spec.get("updateStrategy").unwrap_or(&Value::Null);
    match get_str(strategy, "type") {
        "" => errs.push(FieldError::required("spec.updateStrategy", "")),
        "OnDelete" => {
            if let Some(ru) = present(strategy.get("rollingUpdate")) {
                errs.push(FieldError::invalid(
                    "spec.updateStrategy.rollingUpdate",
                    ru.clone(),
                    "only allowed for updateStrategy 'RollingUpdate'",
                ));
            }
        }
        "RollingUpdate" => {
            if let Some(ru) = present(strategy.get("rollingUpdate")) {
                nonnegative(
                    ru,
                    "partition",
                    "spec.updateStrategy.rollingUpdate",
                    &mut errs,
                );
            }
        }
        _ => errs.push(FieldError::invalid(
            "spec.updateStrategy",
            strategy_value(
                "StatefulSetUpdateStrategy",
                "RollingUpdateStatefulSetStrategy",
                strategy,
            ),
            "must be 'RollingUpdate' or 'OnDelete'",
        )),
    }
    if let Some(policy) = present(spec.get("persistentVolumeClaimRetentionPolicy")) {
        for field in ["whenDeleted", "whenScaled"] {
            let v = get_str(policy, field);
            if v != "Retain" && v != "Delete" {
                errs.push(FieldError::not_supported(
                    format!("spec.persistentVolumeClaimRetentionPolicy.{field}"),
                    Value::String(v.to_string()),
                    &["Retain", "Delete"],
                ));
            }
        }
    }
    nonnegative(spec, "replicas", "spec", &mut errs);
    nonnegative(spec, "minReadySeconds", "spec", &mut errs);
    required_selector(spec, "statefulset", &mut errs);
    template_matches_selector(spec, &mut errs);
    long_running_template(&with_claim_volumes(spec), "StatefulSet", &mut errs);
    errs
}

/// The spec with a volume for each volumeClaimTemplate the template lacks: containers
/// mount claims by template name, and kube-apiserver accepts those mounts (it never checks
/// a StatefulSet's mounts against its pod volumes alone).
fn with_claim_volumes(spec: &Value) -> Value {
    let mut spec = spec.clone();
    let claims: Vec<String> = spec
        .get("volumeClaimTemplates")
        .and_then(Value::as_array)
        .map(|c| {
            c.iter()
                .filter_map(|t| t.pointer("/metadata/name").and_then(Value::as_str))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if claims.is_empty() {
        return spec;
    }
    let Some(pod_spec) = spec
        .pointer_mut("/template/spec")
        .and_then(Value::as_object_mut)
    else {
        return spec;
    };
    let volumes = pod_spec
        .entry("volumes")
        .or_insert_with(|| Value::Array(vec![]));
    if let Value::Array(vs) = volumes {
        for name in claims {
            if !vs
                .iter()
                .any(|v| v.get("name").and_then(Value::as_str) == Some(&name))
            {
                vs.push(
                    serde_json::json!({"name": name, "persistentVolumeClaim": {"claimName": name}}),
                );
            }
        }
    }
    spec
}

/// `ValidateStatefulSetUpdate`: only some spec fields may change.
pub(super) fn validate_stateful_set_update(obj: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = validate_stateful_set(obj);
    let mut spec = obj.get("spec").cloned().unwrap_or(Value::Null);
    let old_spec = old.get("spec").cloned().unwrap_or(Value::Null);
    if let Some(m) = spec.as_object_mut() {
        for field in [
            "replicas",
            "template",
            "updateStrategy",
            "minReadySeconds",
            "ordinals",
            "revisionHistoryLimit",
            "persistentVolumeClaimRetentionPolicy",
        ] {
            match old_spec.get(field) {
                Some(v) => m.insert(field.into(), v.clone()),
                None => m.remove(field),
            };
        }
    }
    if spec != old_spec {
        errs.push(FieldError::forbidden(
            "spec",
            "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        ));
    }
    errs
}

/// apps/v1 strategies reject any change of `spec.selector`.
pub(super) fn selector_immutable(obj: &Value, old: &Value) -> Vec<FieldError> {
    let new_sel = obj.get("spec").and_then(|s| present(s.get("selector")));
    let old_sel = old.get("spec").and_then(|s| present(s.get("selector")));
    if selectors_equal(new_sel, old_sel) {
        Vec::new()
    } else {
        vec![immutable("spec.selector", label_selector_value(new_sel))]
    }
}

fn selectors_equal(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => {
            semantically_equal(a.get("matchLabels"), b.get("matchLabels"))
                && semantically_equal(a.get("matchExpressions"), b.get("matchExpressions"))
        }
        _ => false,
    }
}

/// `validateJobSpec`: the rules shared by Jobs and CronJob job templates. `path` is the
/// path of the JobSpec.
fn validate_job_spec(spec: &Value, path: &str, errs: &mut Vec<FieldError>) {
    for field in [
        "parallelism",
        "completions",
        "activeDeadlineSeconds",
        "backoffLimit",
        "ttlSecondsAfterFinished",
        "backoffLimitPerIndex",
        "maxFailedIndexes",
    ] {
        nonnegative(spec, field, path, errs);
    }
    if let Some(mode) = present(spec.get("completionMode")) {
        let mode = mode.as_str().unwrap_or_default();
        if mode != "NonIndexed" && mode != "Indexed" {
            errs.push(FieldError::not_supported(
                child(path, "completionMode"),
                Value::String(mode.to_string()),
                &["NonIndexed", "Indexed"],
            ));
        }
        if mode == "Indexed" && present(spec.get("completions")).is_none() {
            errs.push(FieldError::required(
                child(path, "completions"),
                "when completion mode is Indexed",
            ));
        }
    }
    if let Some(policy) = present(spec.get("podReplacementPolicy")) {
        let policy = policy.as_str().unwrap_or_default();
        let with_failure_policy = present(spec.get("podFailurePolicy")).is_some();
        if with_failure_policy && policy != "Failed" {
            errs.push(FieldError::not_supported(
                child(path, "podReplacementPolicy"),
                Value::String(policy.to_string()),
                &["Failed"],
            ));
        } else if policy != "TerminatingOrFailed" && policy != "Failed" {
            errs.push(FieldError::not_supported(
                child(path, "podReplacementPolicy"),
                Value::String(policy.to_string()),
                &["Failed", "TerminatingOrFailed"],
            ));
        }
    }
    let template = spec.get("template").unwrap_or(&Value::Null);
    let template_path = child(path, "template");
    errs.extend(pod::validate_template(template, &template_path));
    // PodSpec defaulting sets Always when the user gave nothing, hence "Required".
    let rp_path = child(&child(&template_path, "spec"), "restartPolicy");
    match get_str(
        template.get("spec").unwrap_or(&Value::Null),
        "restartPolicy",
    ) {
        "Always" | "" => errs.push(FieldError::required(
            rp_path,
            "valid values: \"OnFailure\", \"Never\"",
        )),
        "OnFailure" | "Never" => {}
        other => errs.push(FieldError::not_supported(
            rp_path,
            Value::String(other.to_string()),
            &["OnFailure", "Never"],
        )),
    }
}

/// `ValidateJob` (spec part).
///
/// Upstream's Job strategy generates `spec.selector` from the uid before validation
/// unless `manualSelector` is true; so a missing selector is only an error when
/// `manualSelector` is true, and the template-label match is checked only when a
/// selector is present.
pub(super) fn validate_job(obj: &Value) -> Vec<FieldError> {
    let spec = obj.get("spec").unwrap_or(&Value::Null);
    let mut errs = Vec::new();
    validate_job_spec(spec, "spec", &mut errs);
    let manual = spec.get("manualSelector") == Some(&Value::Bool(true));
    match present(spec.get("selector")) {
        None if manual => errs.push(FieldError::required("spec.selector", "")),
        None => {}
        Some(sel) => {
            errs.extend(validate_label_selector(sel, "spec.selector"));
            let labels = template_labels(spec);
            if !selector_is_empty(sel) && !selector_matches(Some(sel), labels) {
                errs.push(FieldError::invalid(
                    "spec.template.metadata.labels",
                    template_labels_value(labels),
                    SELECTOR_MISMATCH,
                ));
            }
        }
    }
    errs
}

/// `ValidateJobUpdate`: selector, completion mode, failure policy and (unless the Job
/// is suspended and never started) the template are immutable.
pub(super) fn validate_job_update(obj: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = validate_job(obj);
    let spec = obj.get("spec").unwrap_or(&Value::Null);
    let old_spec = old.get("spec").unwrap_or(&Value::Null);
    let indexed = get_str(spec, "completionMode") == "Indexed";
    let elastic = indexed
        && get_i64(spec, "completions").is_some()
        && get_i64(spec, "completions") == get_i64(spec, "parallelism");
    if !elastic && !semantically_equal(spec.get("completions"), old_spec.get("completions")) {
        errs.push(immutable(
            "spec.completions",
            spec.get("completions").cloned().unwrap_or(Value::Null),
        ));
    }
    let new_sel = present(spec.get("selector"));
    let old_sel = present(old_spec.get("selector"));
    if !selectors_equal(new_sel, old_sel) {
        errs.push(immutable("spec.selector", label_selector_value(new_sel)));
    }
    let mut template = spec.get("template").cloned().unwrap_or(Value::Null);
    let mut old_template = old_spec.get("template").cloned().unwrap_or(Value::Null);
    let never_started = old
        .get("status")
        .and_then(|s| s.get("startTime"))
        .is_none_or(Value::is_null);
    if old_spec.get("suspend") == Some(&Value::Bool(true)) && never_started {
        // Scheduling directives of a suspended Job may change before it starts.
        for t in [&mut template, &mut old_template] {
            if let Some(meta) = t.get_mut("metadata").and_then(Value::as_object_mut) {
                meta.remove("labels");
                meta.remove("annotations");
            }
            if let Some(s) = t.get_mut("spec").and_then(Value::as_object_mut) {
                for field in ["nodeSelector", "tolerations", "schedulingGates", "affinity"] {
                    s.remove(field);
                }
            }
        }
    }
    if template != old_template {
        let value = spec.get("template").cloned().unwrap_or(Value::Null);
        errs.push(immutable("spec.template", value));
    }
    for field in [
        "completionMode",
        "podFailurePolicy",
        "backoffLimitPerIndex",
        "managedBy",
        "successPolicy",
    ] {
        if !semantically_equal(spec.get(field), old_spec.get(field)) {
            errs.push(immutable(
                child("spec", field),
                spec.get(field).cloned().unwrap_or(Value::Null),
            ));
        }
    }
    errs
}

/// `ValidateCronJobCreate` (spec part and the 52-character name limit).
pub(super) fn validate_cron_job(obj: &Value) -> Vec<FieldError> {
    let spec = obj.get("spec").unwrap_or(&Value::Null);
    let mut errs = Vec::new();
    let schedule = get_str(spec, "schedule");
    if schedule.is_empty() {
        errs.push(FieldError::required("spec.schedule", ""));
    } else {
        if let Err(e) = cron::parse_schedule(schedule) {
            errs.push(FieldError::invalid(
                "spec.schedule",
                Value::String(schedule.to_string()),
                e,
            ));
        }
        if schedule.contains("TZ") {
            errs.push(FieldError::invalid(
                "spec.schedule",
                Value::String(schedule.to_string()),
                "cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
            ));
        }
    }
    nonnegative(spec, "startingDeadlineSeconds", "spec", &mut errs);
    if let Some(tz) = present(spec.get("timeZone")) {
        validate_time_zone(tz.as_str().unwrap_or_default(), &mut errs);
    }
    match get_str(spec, "concurrencyPolicy") {
        "Allow" | "Forbid" | "Replace" => {}
        "" => errs.push(FieldError::required("spec.concurrencyPolicy", "")),
        other => errs.push(FieldError::not_supported(
            "spec.concurrencyPolicy",
            Value::String(other.to_string()),
            &["Allow", "Forbid", "Replace"],
        )),
    }
    let job_spec = spec
        .get("jobTemplate")
        .and_then(|t| t.get("spec"))
        .unwrap_or(&Value::Null);
    validate_job_spec(job_spec, "spec.jobTemplate.spec", &mut errs);
    if let Some(sel) = present(job_spec.get("selector")) {
        errs.push(FieldError::invalid(
            "spec.jobTemplate.spec.selector",
            label_selector_value(Some(sel)),
            "`selector` will be auto-generated",
        ));
    }
    if job_spec.get("manualSelector") == Some(&Value::Bool(true)) {
        errs.push(FieldError::not_supported(
            "spec.jobTemplate.spec.manualSelector",
            Value::Bool(true),
            &["nil", "false"],
        ));
    }
    nonnegative(spec, "successfulJobsHistoryLimit", "spec", &mut errs);
    nonnegative(spec, "failedJobsHistoryLimit", "spec", &mut errs);
    let name = obj
        .get("metadata")
        .map(|m| get_str(m, "name"))
        .unwrap_or_default();
    if name.len() > 52 {
        errs.push(FieldError::invalid(
            "metadata.name",
            Value::String(name.to_string()),
            "must be no more than 52 characters",
        ));
    }
    errs
}

/// `validateTimeZone`. Zones are looked up in the host's tz database when it has one.
fn validate_time_zone(tz: &str, errs: &mut Vec<FieldError>) {
    let value = || Value::String(tz.to_string());
    if tz.is_empty() {
        errs.push(FieldError::invalid(
            "spec.timeZone",
            value(),
            "timeZone must be nil or non-empty string",
        ));
        return;
    }
    let part_ok = |p: &str| {
        p != "."
            && p != ".."
            && !p.starts_with('-')
            && (1..=14).contains(&p.len())
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+'))
    };
    if !tz.split('/').all(part_ok) {
        errs.push(FieldError::invalid(
            "spec.timeZone",
            value(),
            format!("unknown time zone {tz}"),
        ));
        return;
    }
    if tz.eq_ignore_ascii_case("local") {
        errs.push(FieldError::invalid(
            "spec.timeZone",
            value(),
            "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones",
        ));
    }
    let zoneinfo = std::path::Path::new("/usr/share/zoneinfo");
    if tz != "UTC" && zoneinfo.is_dir() && !zoneinfo.join(tz).is_file() {
        errs.push(FieldError::invalid(
            "spec.timeZone",
            value(),
            format!("unknown time zone {tz}"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::{invalid_message, validate, validate_update, FieldError};
    use crate::defaults::apply_defaults;
    use serde_json::{json, Value};

    fn msgs(errs: &[FieldError]) -> Vec<String> {
        errs.iter().map(ToString::to_string).collect()
    }

    fn deployment(spec: Value) -> Value {
        let mut d = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default"}, "spec": spec});
        apply_defaults("apps", "v1", "Deployment", &mut d);
        d
    }

    fn template(labels: Value) -> Value {
        json!({"metadata": {"labels": labels}, "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}})
    }

    #[test]
    fn valid_deployment() {
        let d = deployment(json!({"selector": {"matchLabels": {"app": "web"}},
            "template": template(json!({"app": "web"}))}));
        assert!(
            validate("Deployment", &d).is_empty(),
            "{:?}",
            validate("Deployment", &d)
        );
    }

    #[test]
    fn deployment_without_selector() {
        let d = deployment(json!({"template": template(json!({"app": "x"}))}));
        let errs = validate("Deployment", &d);
        assert_eq!(
            invalid_message("Deployment", "apps", "web", &errs),
            "Deployment.apps \"web\" is invalid: [spec.selector: Required value, spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"x\"}: `selector` does not match template `labels`]"
        );
    }

    #[test]
    fn deployment_selector_mismatch_and_empty() {
        let d = deployment(json!({"selector": {"matchLabels": {"app": "web"}},
            "template": template(json!({"app": "x"}))}));
        assert_eq!(
            msgs(&validate("Deployment", &d)),
            vec!["spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"x\"}: `selector` does not match template `labels`"]
        );
        let d = deployment(json!({"selector": {}, "template": template(json!({"app": "x"}))}));
        assert_eq!(
            msgs(&validate("Deployment", &d)),
            vec!["spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment"]
        );
        let no_labels = deployment(json!({"selector": {"matchLabels": {"app": "web"}},
            "template": {"spec": {"containers": [{"name": "a", "image": "b"}]}}}));
        assert_eq!(
            msgs(&validate("Deployment", &no_labels)),
            vec!["spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`"]
        );
    }

    #[test]
    fn deployment_replicas_strategy_restart_policy() {
        let mut d = deployment(
            json!({"replicas": -1, "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}},
            "template": template(json!({"app": "web"}))}),
        );
        d["spec"]["template"]["spec"]["restartPolicy"] = json!("Never");
        assert_eq!(
            msgs(&validate("Deployment", &d)),
            vec![
                "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
                "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"",
                "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}: may not be 0 when `maxSurge` is 0",
            ]
        );
        let d = deployment(json!({"selector": {"matchLabels": {"app": "web"}},
            "strategy": {"rollingUpdate": {"maxSurge": "abc", "maxUnavailable": "120%"}},
            "template": template(json!({"app": "web"}))}));
        assert_eq!(
            msgs(&validate("Deployment", &d)),
            vec![
                "spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"abc\"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
                "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"120%\"}: must not be greater than 100%",
            ]
        );
        let d = deployment(json!({"selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "Recreate", "rollingUpdate": {}},
            "template": template(json!({"app": "web"}))}));
        assert_eq!(
            msgs(&validate("Deployment", &d)),
            vec!["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"]
        );
        let d = deployment(json!({"selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "BlueGreen"}, "template": template(json!({"app": "web"}))}));
        assert_eq!(
            msgs(&validate("Deployment", &d)),
            vec!["spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:\"BlueGreen\", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: \"Recreate\", \"RollingUpdate\""]
        );
    }

    #[test]
    fn deployment_selector_is_immutable() {
        let old = deployment(json!({"selector": {"matchLabels": {"app": "web"}},
            "template": template(json!({"app": "web", "v": "2"}))}));
        let mut new = old.clone();
        new["spec"]["selector"] = json!({"matchLabels": {"app": "web", "v": "2"}});
        assert_eq!(
            msgs(&validate_update("Deployment", &new, &old)),
            vec!["spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web\", \"v\":\"2\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"]
        );
        let mut scaled = old.clone();
        scaled["spec"]["replicas"] = json!(5);
        assert!(validate_update("Deployment", &scaled, &old).is_empty());
    }

    #[test]
    fn replica_set_and_daemon_set() {
        let mut rs =
            json!({"metadata": {"name": "r"}, "spec": {"template": template(json!({"a": "b"}))}});
        apply_defaults("apps", "v1", "ReplicaSet", &mut rs);
        assert_eq!(
            msgs(&validate("ReplicaSet", &rs)),
            vec![
                "spec.selector: Required value",
                "spec.template.metadata.labels: Invalid value: map[string]string{\"a\":\"b\"}: `selector` does not match template `labels`",
            ]
        );
        let mut ds = json!({"metadata": {"name": "d"}, "spec": {"selector": {"matchLabels": {"a": "b"}},
            "template": template(json!({"a": "b"})),
            "updateStrategy": {"rollingUpdate": {"maxUnavailable": 0}}}});
        apply_defaults("apps", "v1", "DaemonSet", &mut ds);
        ds["spec"]["template"]["spec"]["restartPolicy"] = json!("OnFailure");
        assert_eq!(
            msgs(&validate("DaemonSet", &ds)),
            vec![
                "spec.template.spec.restartPolicy: Unsupported value: \"OnFailure\": supported values: \"Always\"",
                "spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0",
            ]
        );
        let mut no_sel =
            json!({"metadata": {"name": "d"}, "spec": {"template": template(json!({"a": "b"}))}});
        apply_defaults("apps", "v1", "DaemonSet", &mut no_sel);
        assert_eq!(
            msgs(&validate("DaemonSet", &no_sel)),
            vec!["spec.template.metadata.labels: Invalid value: map[string]string{\"a\":\"b\"}: `selector` does not match template `labels`"]
        );
    }

    #[test]
    fn stateful_set() {
        let mut ss = json!({"metadata": {"name": "db"}, "spec": {"serviceName": "db",
            "selector": {"matchLabels": {"app": "db"}}, "template": template(json!({"app": "db"}))}});
        apply_defaults("apps", "v1", "StatefulSet", &mut ss);
        assert!(
            validate("StatefulSet", &ss).is_empty(),
            "{:?}",
            validate("StatefulSet", &ss)
        );
        // containers mount volumeClaimTemplates by name
        let mut claims = ss.clone();
        claims["spec"]["template"]["spec"]["containers"][0]["volumeMounts"] =
            json!([{"name": "data", "mountPath": "/data"}]);
        assert_eq!(
            msgs(&validate("StatefulSet", &claims)),
            vec!["spec.template.spec.containers[0].volumeMounts[0].name: Not found: \"data\""]
        );
        claims["spec"]["volumeClaimTemplates"] = json!([{"metadata": {"name": "data"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]);
        assert!(
            validate("StatefulSet", &claims).is_empty(),
            "{:?}",
            validate("StatefulSet", &claims)
        );
        let mut bad = ss.clone();
        bad["spec"]["podManagementPolicy"] = json!("Random");
        bad["metadata"]["name"] = json!("db.v1");
        assert_eq!(
            msgs(&validate("StatefulSet", &bad)),
            vec![
                "metadata.name: Invalid value: \"db.v1\": must not contain dots",
                "spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'",
            ]
        );
        let mut scaled = ss.clone();
        scaled["spec"]["replicas"] = json!(3);
        assert!(validate_update("StatefulSet", &scaled, &ss).is_empty());
        let mut renamed = ss.clone();
        renamed["spec"]["serviceName"] = json!("other");
        assert_eq!(
            msgs(&validate_update("StatefulSet", &renamed, &ss)),
            vec!["spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"]
        );
    }

    fn job(pod_spec: Value) -> Value {
        let mut j = json!({"metadata": {"name": "pi"}, "spec": {"template": {"spec": pod_spec}}});
        apply_defaults("batch", "v1", "Job", &mut j);
        j
    }

    #[test]
    fn job_restart_policy() {
        let j = job(json!({"containers": [{"name": "pi", "image": "perl"}]}));
        assert_eq!(
            msgs(&validate("Job", &j)),
            vec!["spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\""]
        );
        let ok =
            job(json!({"restartPolicy": "Never", "containers": [{"name": "pi", "image": "perl"}]}));
        assert!(
            validate("Job", &ok).is_empty(),
            "{:?}",
            validate("Job", &ok)
        );
    }

    #[test]
    fn job_updates() {
        let mut old =
            job(json!({"restartPolicy": "Never", "containers": [{"name": "pi", "image": "perl"}]}));
        old["spec"]["selector"] =
            json!({"matchLabels": {"batch.kubernetes.io/controller-uid": "u"}});
        old["spec"]["template"]["metadata"] =
            json!({"labels": {"batch.kubernetes.io/controller-uid": "u"}});
        let mut new = old.clone();
        new["spec"]["template"]["spec"]["containers"][0]["image"] = json!("perl:2");
        new["spec"]["completions"] = json!(3);
        let m = msgs(&validate_update("Job", &new, &old));
        assert_eq!(m.len(), 2, "{m:?}");
        assert_eq!(
            m[0],
            "spec.completions: Invalid value: 3: field is immutable"
        );
        assert!(m[1].starts_with("spec.template: Invalid value: "), "{m:?}");
        assert!(m[1].ends_with(": field is immutable"));
        let mut suspended = old.clone();
        suspended["spec"]["suspend"] = json!(true);
        let mut moved = suspended.clone();
        moved["spec"]["template"]["spec"]["nodeSelector"] = json!({"disk": "ssd"});
        assert!(validate_update("Job", &moved, &suspended).is_empty());
    }

    fn cron_job(schedule: &str) -> Value {
        let mut cj = json!({"metadata": {"name": "tick"}, "spec": {"schedule": schedule,
            "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "OnFailure",
                "containers": [{"name": "c", "image": "busybox"}]}}}}}});
        apply_defaults("batch", "v1", "CronJob", &mut cj);
        cj
    }

    #[test]
    fn cron_job_schedule_and_time_zone() {
        assert!(validate("CronJob", &cron_job("*/1 * * * *")).is_empty());
        assert_eq!(
            msgs(&validate("CronJob", &cron_job("every minute"))),
            vec!["spec.schedule: Invalid value: \"every minute\": expected exactly 5 fields, found 2: [every minute]"]
        );
        assert_eq!(
            msgs(&validate("CronJob", &cron_job("CRON_TZ=UTC 0 * * * *"))),
            vec!["spec.schedule: Invalid value: \"CRON_TZ=UTC 0 * * * *\": cannot use TZ or CRON_TZ in schedule, use timeZone field instead"]
        );
        let mut tz = cron_job("@daily");
        tz["spec"]["timeZone"] = json!("Mars/Olympus_Mons_Base");
        assert_eq!(
            msgs(&validate("CronJob", &tz)),
            vec!["spec.timeZone: Invalid value: \"Mars/Olympus_Mons_Base\": unknown time zone Mars/Olympus_Mons_Base"]
        );
        tz["spec"]["timeZone"] = json!("UTC");
        assert!(validate("CronJob", &tz).is_empty());
        let mut long = cron_job("@hourly");
        long["metadata"]["name"] = json!("a".repeat(53));
        assert_eq!(
            msgs(&validate("CronJob", &long)),
            vec![format!(
                "metadata.name: Invalid value: \"{}\": must be no more than 52 characters",
                "a".repeat(53)
            )]
        );
        let mut policy = cron_job("@hourly");
        policy["spec"]["concurrencyPolicy"] = json!("Sometimes");
        policy["spec"]["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"] =
            json!("Always");
        assert_eq!(
            msgs(&validate("CronJob", &policy)),
            vec![
                "spec.concurrencyPolicy: Unsupported value: \"Sometimes\": supported values: \"Allow\", \"Forbid\", \"Replace\"",
                "spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\"",
            ]
        );
    }
}
