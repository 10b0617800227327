//! The selector and pod-template labels kube-apiserver generates for a new Job
//! (`generateSelectorIfNeeded` in pkg/registry/batch/job/strategy.go).
//!
//! Upstream runs this in the Job strategy's `PrepareForCreate`, after the name and uid
//! are set and the defaulters have run; berth calls it from the create path right
//! after [`crate::defaults::apply_defaults`].

use serde_json::{Map, Value};

/// `batch.kubernetes.io/controller-uid`: selects the pods of exactly one Job.
pub const CONTROLLER_UID_LABEL: &str = "batch.kubernetes.io/controller-uid";
/// `batch.kubernetes.io/job-name`.
pub const JOB_NAME_LABEL: &str = "batch.kubernetes.io/job-name";
/// The pre-1.27 spellings, still set by kube-apiserver v1.33.
pub const LEGACY_CONTROLLER_UID_LABEL: &str = "controller-uid";
/// The pre-1.27 spelling of [`JOB_NAME_LABEL`].
pub const LEGACY_JOB_NAME_LABEL: &str = "job-name";

/// Gives a new Job (`obj` already has `metadata.name` and `metadata.uid`) the selector
/// `batch.kubernetes.io/controller-uid=<uid>` and labels its pod template with the job's
/// name and uid, unless `spec.manualSelector` is true. Labels the user already set are
/// kept (validation then rejects a selector that does not match them).
///
/// kube-apiserver also re-runs the defaulters when it reads the stored Job, which copies
/// the template's labels to a Job created without labels; that is done here too so
/// that the created Job reads back as it does upstream.
pub fn generate_job_selector(obj: &mut Value) {
    let Some(o) = obj.as_object_mut() else {
        return;
    };
    let meta = o.get("metadata").and_then(Value::as_object);
    let name = meta
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let uid = meta
        .and_then(|m| m.get("uid"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let Some(spec) = o.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    if spec.get("manualSelector").and_then(Value::as_bool) == Some(true) {
        return;
    }
    let Some(labels) = object_at(spec, &["template", "metadata", "labels"]) else {
        return;
    };
    for key in [LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL] {
        labels
            .entry(key)
            .or_insert_with(|| Value::String(name.clone()));
    }
    for key in [LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL] {
        labels
            .entry(key)
            .or_insert_with(|| Value::String(uid.clone()));
    }
    let template_labels = Value::Object(labels.clone());
    if let Some(match_labels) = object_at(spec, &["selector", "matchLabels"]) {
        match_labels
            .entry(CONTROLLER_UID_LABEL)
            .or_insert_with(|| Value::String(uid.clone()));
    }
    if let Some(meta) = o.get_mut("metadata").and_then(Value::as_object_mut) {
        let empty = match meta.get("labels") {
            None | Some(Value::Null) => true,
            Some(Value::Object(m)) => m.is_empty(),
            _ => false,
        };
        if empty {
            meta.insert("labels".into(), template_labels);
        }
    }
}

/// The object at `path`, creating empty objects for unset (absent or null) steps;
/// `None` when a step holds something else.
fn object_at<'a>(
    m: &'a mut Map<String, Value>,
    path: &[&str],
) -> Option<&'a mut Map<String, Value>> {
    let mut cur = m;
    for key in path {
        if matches!(cur.get(*key), None | Some(Value::Null)) {
            cur.insert((*key).to_string(), Value::Object(Map::new()));
        }
        cur = cur.get_mut(*key)?.as_object_mut()?;
    }
    Some(cur)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn job(spec: Value) -> Value {
        json!({"metadata": {"name": "pi", "uid": "u-1"}, "spec": spec})
    }

    #[test]
    fn generates_selector_and_template_labels() {
        let mut j = job(json!({"template": {"spec": {}}}));
        generate_job_selector(&mut j);
        let labels = json!({
            "batch.kubernetes.io/controller-uid": "u-1",
            "batch.kubernetes.io/job-name": "pi",
            "controller-uid": "u-1",
            "job-name": "pi",
        });
        assert_eq!(j["spec"]["template"]["metadata"]["labels"], labels);
        assert_eq!(
            j["spec"]["selector"],
            json!({"matchLabels": {"batch.kubernetes.io/controller-uid": "u-1"}})
        );
        assert_eq!(j["metadata"]["labels"], labels);
    }

    #[test]
    fn keeps_user_labels_and_job_labels() {
        let mut j =
            job(json!({"template": {"metadata": {"labels": {"app": "x", "job-name": "other"}}}}));
        j["metadata"]["labels"] = json!({"team": "a"});
        generate_job_selector(&mut j);
        assert_eq!(
            j["spec"]["template"]["metadata"]["labels"]["job-name"],
            "other"
        );
        assert_eq!(j["spec"]["template"]["metadata"]["labels"]["app"], "x");
        assert_eq!(j["metadata"]["labels"], json!({"team": "a"}));
    }

    #[test]
    fn manual_selector_is_left_alone() {
        let spec = json!({"manualSelector": true, "selector": {"matchLabels": {"a": "b"}},
            "template": {"metadata": {"labels": {"a": "b"}}}});
        let mut j = job(spec.clone());
        generate_job_selector(&mut j);
        assert_eq!(j["spec"], spec);
    }
}
