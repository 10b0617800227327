//! Helpers shared by controllers: selectors, owner references, pod state, pod creation
//! from templates (kube-controller-manager's controller_utils).

use std::collections::BTreeMap;

use chrono::Utc;
use k8s_openapi::api::core::v1::{Pod, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, OwnerReference};
use kube::{Resource, ResourceExt};

/// Whether `labels` satisfy a metav1.LabelSelector. An empty selector matches everything;
/// callers that must not select everything check [`selector_is_empty`] first.
pub fn selector_matches(sel: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    if let Some(ml) = &sel.match_labels {
        if ml.iter().any(|(k, v)| labels.get(k) != Some(v)) {
            return false;
        }
    }
    for e in sel.match_expressions.iter().flatten() {
        let have = labels.get(&e.key);
        let values = e.values.clone().unwrap_or_default();
        let ok = match e.operator.as_str() {
            "In" => have.is_some_and(|v| values.contains(v)),
            "NotIn" => have.is_none_or(|v| !values.contains(v)),
            "Exists" => have.is_some(),
            "DoesNotExist" => have.is_none(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// True for a selector with no requirements (it would select everything).
pub fn selector_is_empty(sel: &LabelSelector) -> bool {
    sel.match_labels.as_ref().is_none_or(|m| m.is_empty())
        && sel.match_expressions.as_ref().is_none_or(|m| m.is_empty())
}

/// The controller owner reference pointing at `owner`.
pub fn controller_ref<K: Resource<DynamicType = ()>>(owner: &K) -> OwnerReference {
    OwnerReference {
        api_version: K::api_version(&()).to_string(),
        kind: K::kind(&()).to_string(),
        name: owner.meta().name.clone().unwrap_or_default(),
        uid: owner.meta().uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// The controller of an object, if any.
pub fn controller_of(meta: &ObjectMeta) -> Option<&OwnerReference> {
    meta.owner_references
        .iter()
        .flatten()
        .find(|r| r.controller == Some(true))
}

/// Pod phase.
pub fn phase(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("Pending")
}

/// Active pods: not terminal and not being deleted (controller.IsPodActive).
pub fn is_pod_active(pod: &Pod) -> bool {
    let p = phase(pod);
    p != "Succeeded" && p != "Failed" && pod.metadata.deletion_timestamp.is_none()
}

/// The pod's Ready condition as (status is True, last transition time).
pub fn pod_ready_condition(pod: &Pod) -> Option<(bool, Option<chrono::DateTime<Utc>>)> {
    pod.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready")
        .map(|c| {
            (
                c.status == "True",
                c.last_transition_time
                    .as_ref()
                    .and_then(|t| chrono::DateTime::from_timestamp(t.0.as_second(), 0)),
            )
        })
}

/// podutil.IsPodReady.
pub fn is_pod_ready(pod: &Pod) -> bool {
    pod_ready_condition(pod).is_some_and(|(r, _)| r)
}

/// podutil.IsPodAvailable: ready for at least `min_ready_seconds`.
pub fn is_pod_available(pod: &Pod, min_ready_seconds: i32, now: chrono::DateTime<Utc>) -> bool {
    match pod_ready_condition(pod) {
        Some((true, since)) => {
            if min_ready_seconds <= 0 {
                return true;
            }
            since.is_some_and(|t| t + chrono::Duration::seconds(min_ready_seconds as i64) <= now)
        }
        _ => false,
    }
}

/// Builds a pod from a template, owned by `owner` (controller.GetPodFromTemplate):
/// `generateName` is `<prefix>` and labels, annotations and finalizers come from the template.
pub fn pod_from_template(
    template: &PodTemplateSpec,
    namespace: &str,
    generate_name: &str,
    owner: OwnerReference,
) -> Pod {
    let tm = template.metadata.clone().unwrap_or_default();
    Pod {
        metadata: ObjectMeta {
            generate_name: Some(generate_name.to_string()),
            namespace: Some(namespace.to_string()),
            labels: tm.labels,
            annotations: tm.annotations,
            finalizers: tm.finalizers,
            owner_references: Some(vec![owner]),
            ..Default::default()
        },
        spec: template.spec.clone(),
        status: None,
    }
}

/// The first `n` characters of a name prefix plus `-`, as names made from owners are.
pub fn name_prefix(owner: &str) -> String {
    // generateName base is capped so the random suffix fits in 63 characters
    let max = 58;
    let base = if owner.len() > max {
        &owner[..max]
    } else {
        owner
    };
    format!("{base}-")
}

/// How long to wait before retrying after an error.
pub fn error_backoff() -> std::time::Duration {
    std::time::Duration::from_secs(5)
}

/// Adopts (`Some(owner)`) or releases (`None`) a pod, guarded by its uid.
pub async fn set_owner_refs(
    api: &kube::Api<Pod>,
    pod: &Pod,
    owner: Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference>,
    uid: &str,
) -> Result<(), kube::Error> {
    let mut refs: Vec<_> = pod
        .owner_references()
        .iter()
        .filter(|r| r.uid != uid)
        .cloned()
        .collect();
    refs.extend(owner);
    let refs = if refs.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::json!(refs)
    };
    let patch = serde_json::json!({"metadata": {"ownerReferences": refs, "uid": pod.uid()}});
    match api
        .patch(
            &pod.name_any(),
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(&patch),
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 404 || e.code == 409 => Ok(()),
        Err(e) => Err(e),
    }
}
