//! StatefulSet pod identity and state: ordinals, names, labels, hostname, claims, and
//! the predicates the ordered rollout waits on (pkg/controller/statefulset/stateful_set_utils.go).

use chrono::Utc;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{
    PersistentVolumeClaim, PersistentVolumeClaimVolumeSource, Pod, PodTemplateSpec, Volume,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::ResourceExt;

use crate::history::CONTROLLER_REVISION_HASH;
use crate::util;

/// Label with the pod's name (`statefulset.kubernetes.io/pod-name`).
pub const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";
/// Label with the pod's ordinal (`apps.kubernetes.io/pod-index`).
pub const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";

/// `getParentNameAndOrdinal`: `web-3` is ordinal 3 of `web`.
pub fn parent_and_ordinal(name: &str) -> Option<(&str, i32)> {
    let (parent, ord) = name.rsplit_once('-')?;
    if ord.is_empty() || !ord.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((parent, ord.parse().ok()?))
}

/// The ordinal of a pod, if its name has one.
pub fn ordinal(pod: &Pod) -> Option<i32> {
    parent_and_ordinal(pod.metadata.name.as_deref()?).map(|(_, o)| o)
}

/// `isMemberOf`: the pod's name says it belongs to this set.
pub fn is_member_of(set: &StatefulSet, pod: &Pod) -> bool {
    pod.metadata
        .name
        .as_deref()
        .and_then(parent_and_ordinal)
        .is_some_and(|(p, _)| Some(p) == set.metadata.name.as_deref())
}

/// `.spec.ordinals.start`.
pub fn start_ordinal(set: &StatefulSet) -> i32 {
    set.spec
        .as_ref()
        .and_then(|s| s.ordinals.as_ref())
        .and_then(|o| o.start)
        .unwrap_or(0)
}

/// `getPersistentVolumeClaimName`: `<claim>-<set>-<ordinal>`.
pub fn claim_name(set: &StatefulSet, template: &PersistentVolumeClaim, ordinal: i32) -> String {
    format!(
        "{}-{}-{ordinal}",
        template.metadata.name.as_deref().unwrap_or_default(),
        set.name_any()
    )
}

/// `getPersistentVolumeClaims`: the claims a pod of `ordinal` uses, labelled with the
/// set's matchLabels.
pub fn claims(set: &StatefulSet, ordinal: i32) -> Vec<PersistentVolumeClaim> {
    let Some(spec) = set.spec.as_ref() else {
        return vec![];
    };
    let match_labels = spec.selector.match_labels.clone().unwrap_or_default();
    spec.volume_claim_templates
        .iter()
        .flatten()
        .map(|t| {
            let mut c = t.clone();
            c.metadata.name = Some(claim_name(set, t, ordinal));
            c.metadata.namespace = set.namespace();
            let labels = c.metadata.labels.get_or_insert_with(Default::default);
            labels.extend(match_labels.clone());
            c.status = None;
            c
        })
        .collect()
}

/// `newStatefulSetPod`: a pod of `ordinal` from `template`, with its identity (name,
/// labels, hostname, subdomain), storage and revision label.
pub fn new_pod(
    set: &StatefulSet,
    template: &PodTemplateSpec,
    ordinal: i32,
    revision: &str,
    owner: OwnerReference,
) -> Pod {
    let ns = set.namespace().unwrap_or_default();
    let name = format!("{}-{ordinal}", set.name_any());
    let mut pod = util::pod_from_template(template, &ns, "", owner);
    pod.metadata.generate_name = None;
    pod.metadata.name = Some(name.clone());
    let labels = pod.metadata.labels.get_or_insert_with(Default::default);
    labels.insert(POD_NAME_LABEL.into(), name.clone());
    labels.insert(POD_INDEX_LABEL.into(), ordinal.to_string());
    labels.insert(CONTROLLER_REVISION_HASH.into(), revision.to_string());
    let spec = pod.spec.get_or_insert_with(Default::default);
    spec.hostname = Some(name);
    if let Some(svc) = set
        .spec
        .as_ref()
        .and_then(|s| s.service_name.clone())
        .filter(|s| !s.is_empty())
    {
        spec.subdomain = Some(svc);
    }
    // updateStorage: each claim template becomes (or replaces) a volume of that name
    let claims = set
        .spec
        .as_ref()
        .and_then(|s| s.volume_claim_templates.clone())
        .unwrap_or_default();
    if !claims.is_empty() {
        let mut volumes: Vec<Volume> = spec
            .volumes
            .take()
            .unwrap_or_default()
            .into_iter()
            .filter(|v| {
                !claims
                    .iter()
                    .any(|c| c.metadata.name.as_ref() == Some(&v.name))
            })
            .collect();
        for c in &claims {
            volumes.push(Volume {
                name: c.metadata.name.clone().unwrap_or_default(),
                persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                    claim_name: claim_name(set, c, ordinal),
                    read_only: None,
                }),
                ..Default::default()
            });
        }
        spec.volumes = Some(volumes);
    }
    pod
}

/// `identityMatches` for the labels a running pod may have lost.
pub fn identity_matches(pod: &Pod) -> bool {
    let (Some(name), Some(ord)) = (pod.metadata.name.as_deref(), ordinal(pod)) else {
        return false;
    };
    let labels = pod.labels();
    labels.get(POD_NAME_LABEL).map(String::as_str) == Some(name)
        && labels.get(POD_INDEX_LABEL) == Some(&ord.to_string())
}

/// The revision a pod was made from (its `controller-revision-hash` label).
pub fn revision(pod: &Pod) -> &str {
    pod.labels()
        .get(CONTROLLER_REVISION_HASH)
        .map(String::as_str)
        .unwrap_or_default()
}

pub fn is_terminating(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_some()
}

pub fn is_running_and_ready(pod: &Pod) -> bool {
    util::phase(pod) == "Running" && util::is_pod_ready(pod)
}

pub fn is_running_and_available(pod: &Pod, min_ready: i32) -> bool {
    util::phase(pod) == "Running" && util::is_pod_available(pod, min_ready, Utc::now())
}

/// `isHealthy`: running, ready and not being deleted.
pub fn is_healthy(pod: &Pod) -> bool {
    is_running_and_ready(pod) && !is_terminating(pod)
}

/// `isFailed` or `isSucceeded`: the pod ended and must be recreated.
pub fn is_finished(pod: &Pod) -> bool {
    matches!(util::phase(pod), "Failed" | "Succeeded")
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::StatefulSetSpec;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn set() -> StatefulSet {
        StatefulSet {
            metadata: ObjectMeta {
                name: Some("web".into()),
                namespace: Some("default".into()),
                ..Default::default()
            },
            spec: Some(StatefulSetSpec {
                service_name: Some("nginx".into()),
                volume_claim_templates: Some(vec![PersistentVolumeClaim {
                    metadata: ObjectMeta {
                        name: Some("www".into()),
                        ..Default::default()
                    },
                    ..Default::default()
                }]),
                selector: k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector {
                    match_labels: Some([("app".to_string(), "web".to_string())].into()),
                    match_expressions: None,
                },
                ..Default::default()
            }),
            status: None,
        }
    }

    #[test]
    fn ordinals_from_names() {
        assert_eq!(parent_and_ordinal("web-12"), Some(("web", 12)));
        assert_eq!(parent_and_ordinal("my-web-0"), Some(("my-web", 0)));
        assert_eq!(parent_and_ordinal("web-x"), None);
        assert_eq!(parent_and_ordinal("web"), None);
    }

    #[test]
    fn pod_identity_and_storage() {
        let s = set();
        let p = new_pod(
            &s,
            &PodTemplateSpec::default(),
            2,
            "web-abc",
            OwnerReference::default(),
        );
        assert_eq!(p.metadata.name.as_deref(), Some("web-2"));
        assert!(identity_matches(&p));
        assert!(is_member_of(&s, &p));
        assert_eq!(revision(&p), "web-abc");
        let spec = p.spec.unwrap_or_default();
        assert_eq!(spec.hostname.as_deref(), Some("web-2"));
        assert_eq!(spec.subdomain.as_deref(), Some("nginx"));
        let vols = spec.volumes.unwrap_or_default();
        assert_eq!(
            vols[0]
                .persistent_volume_claim
                .as_ref()
                .map(|c| c.claim_name.as_str()),
            Some("www-web-2")
        );
        let c = claims(&s, 2);
        assert_eq!(c[0].metadata.name.as_deref(), Some("www-web-2"));
        assert_eq!(c[0].labels().get("app").map(String::as_str), Some("web"));
    }
}
