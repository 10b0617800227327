//! ControllerRevisions for DaemonSets and StatefulSets: template snapshots, their hashes
//! and names, claiming, and history truncation (pkg/controller/history, controller_utils).

use std::collections::{BTreeMap, HashSet};

use k8s_openapi::api::apps::v1::ControllerRevision;
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, OwnerReference};
use k8s_openapi::apimachinery::pkg::runtime::RawExtension;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::ResourceExt;
use serde_json::{json, Value};

use crate::util;

/// Label carrying a revision's hash on revisions and on the pods made from them.
pub const CONTROLLER_REVISION_HASH: &str = "controller-revision-hash";

/// 32-bit FNV-1 (Go's `fnv.New32`).
pub fn fnv32(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in bytes {
        h = h.wrapping_mul(0x0100_0193);
        h ^= u32::from(*b);
    }
    h
}

/// 32-bit FNV-1a (Go's `fnv.New32a`).
pub fn fnv32a(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in bytes {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// `rand.SafeEncodeString`: maps bytes onto consonants and digits so that hashes never
/// spell words and never look like numbers.
pub fn safe_encode(s: &str) -> String {
    const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    s.bytes()
        .map(|b| ALPHANUMS[usize::from(b) % ALPHANUMS.len()] as char)
        .collect()
}

/// `controller.ComputeHash`: the hash of a pod template and the collision count, as the
/// DaemonSet controller names its revisions and labels its pods.
pub fn compute_hash(template: &PodTemplateSpec, collision_count: Option<i32>) -> String {
    let mut bytes = serde_json::to_vec(template).unwrap_or_default();
    if let Some(c) = collision_count {
        let mut cc = [0u8; 8];
        cc[..4].copy_from_slice(&(c as u32).to_le_bytes());
        bytes.extend_from_slice(&cc);
    }
    safe_encode(&fnv32a(&bytes).to_string())
}

/// `history.HashControllerRevision`: the hash of a revision's data and a probe.
pub fn hash_revision(data: &Value, probe: Option<i32>) -> String {
    let mut bytes = serde_json::to_vec(data).unwrap_or_default();
    if let Some(p) = probe {
        bytes.extend_from_slice(p.to_string().as_bytes());
    }
    safe_encode(&fnv32(&bytes).to_string())
}

/// `history.ControllerRevisionName`: `<prefix>-<hash>` with the prefix cut to fit.
pub fn revision_name(prefix: &str, hash: &str) -> String {
    let prefix = if prefix.len() > 223 {
        &prefix[..223]
    } else {
        prefix
    };
    format!("{prefix}-{hash}")
}

/// The data a revision stores (`getPatch`): a patch replacing `spec.template`.
pub fn template_patch(template: &PodTemplateSpec) -> Value {
    let mut t = serde_json::to_value(template).unwrap_or_else(|_| json!({}));
    if let Value::Object(m) = &mut t {
        m.insert("$patch".into(), json!("replace"));
    }
    json!({"spec": {"template": t}})
}

/// The pod template a revision recorded (what `ApplyRevision` yields for the template).
pub fn revision_template(rev: &ControllerRevision) -> Option<PodTemplateSpec> {
    let mut t = rev.data.as_ref()?.0.get("spec")?.get("template")?.clone();
    if let Value::Object(m) = &mut t {
        m.remove("$patch");
    }
    serde_json::from_value(t).ok()
}

/// Whether a revision holds exactly `data`.
pub fn data_equal(rev: &ControllerRevision, data: &Value) -> bool {
    rev.data.as_ref().is_some_and(|d| &d.0 == data)
}

/// A new revision of `owner` holding `data`, named and labelled by its hash
/// (`history.NewControllerRevision`). `hash` overrides the data hash (DaemonSets hash
/// the template instead).
pub fn new_revision(
    owner: OwnerReference,
    namespace: &str,
    template_labels: BTreeMap<String, String>,
    annotations: Option<BTreeMap<String, String>>,
    data: Value,
    revision: i64,
    hash: String,
) -> ControllerRevision {
    let mut labels = template_labels;
    labels.insert(CONTROLLER_REVISION_HASH.into(), hash.clone());
    ControllerRevision {
        metadata: ObjectMeta {
            name: Some(revision_name(&owner.name, &hash)),
            namespace: Some(namespace.to_string()),
            labels: Some(labels),
            annotations,
            owner_references: Some(vec![owner]),
            ..Default::default()
        },
        data: Some(RawExtension(data)),
        revision,
    }
}

/// The revisions of one owner: those it controls whose labels match its selector, after
/// adopting matching orphans and releasing owned ones that no longer match
/// (`ControllerRevisionControllerRefManager.ClaimControllerRevisions`). Sorted by revision.
pub async fn claim(
    api: &Api<ControllerRevision>,
    owner: &OwnerReference,
    selector: &LabelSelector,
    deleting: bool,
) -> Result<Vec<ControllerRevision>, kube::Error> {
    let list = api.list(&ListParams::default()).await?;
    let mut out = Vec::new();
    for rev in list.items {
        let matches =
            !util::selector_is_empty(selector) && util::selector_matches(selector, rev.labels());
        match util::controller_of(&rev.metadata) {
            Some(r) if r.uid == owner.uid => {
                if matches {
                    out.push(rev);
                } else if !deleting {
                    let refs: Vec<_> = rev
                        .owner_references()
                        .iter()
                        .filter(|r| r.uid != owner.uid)
                        .cloned()
                        .collect();
                    let patch = json!({"metadata": {"ownerReferences": refs, "uid": rev.uid()}});
                    ignore_gone(
                        api.patch(
                            &rev.name_any(),
                            &PatchParams::default(),
                            &Patch::Merge(&patch),
                        )
                        .await,
                    )?;
                }
            }
            Some(_) => {}
            None if matches && !deleting && rev.metadata.deletion_timestamp.is_none() => {
                let mut refs = rev.owner_references().to_vec();
                refs.push(owner.clone());
                let patch = json!({"metadata": {"ownerReferences": refs, "uid": rev.uid()}});
                if let Some(r) = ignore_gone(
                    api.patch(
                        &rev.name_any(),
                        &PatchParams::default(),
                        &Patch::Merge(&patch),
                    )
                    .await,
                )? {
                    out.push(r);
                }
            }
            None => {}
        }
    }
    out.sort_by(|a, b| {
        a.revision
            .cmp(&b.revision)
            .then_with(|| {
                a.metadata
                    .creation_timestamp
                    .cmp(&b.metadata.creation_timestamp)
            })
            .then_with(|| a.name_any().cmp(&b.name_any()))
    });
    Ok(out)
}

/// Sets a revision's number (a rollback to an older template makes it the newest).
pub async fn set_revision(
    api: &Api<ControllerRevision>,
    rev: &ControllerRevision,
    revision: i64,
) -> Result<ControllerRevision, kube::Error> {
    let patch = json!({"revision": revision});
    api.patch(
        &rev.name_any(),
        &PatchParams::default(),
        &Patch::Merge(&patch),
    )
    .await
}

/// Creates a revision; `Ok(None)` when one with that name but other data exists (a hash
/// collision: the caller bumps `collisionCount`), the existing one when it is equal.
pub async fn create(
    api: &Api<ControllerRevision>,
    rev: &ControllerRevision,
) -> Result<Option<ControllerRevision>, kube::Error> {
    match api.create(&PostParams::default(), rev).await {
        Ok(r) => Ok(Some(r)),
        Err(kube::Error::Api(e)) if e.code == 409 => {
            let existing = api.get(&rev.name_any()).await?;
            let same_owner = util::controller_of(&existing.metadata).map(|r| &r.uid)
                == rev.owner_references().first().map(|r| &r.uid);
            let data = rev.data.as_ref().map(|d| &d.0).unwrap_or(&Value::Null);
            if same_owner && data_equal(&existing, data) {
                Ok(Some(existing))
            } else {
                Ok(None)
            }
        }
        Err(e) => Err(e),
    }
}

/// Deletes the oldest of `old` beyond `limit`, never one whose hash is in `live`
/// (a revision still used by pods).
pub async fn truncate(
    api: &Api<ControllerRevision>,
    old: &[ControllerRevision],
    live: &HashSet<String>,
    limit: usize,
) -> Result<(), kube::Error> {
    let unused: Vec<&ControllerRevision> = old
        .iter()
        .filter(|r| {
            let hash = r.labels().get(CONTROLLER_REVISION_HASH);
            !hash.is_some_and(|h| live.contains(h)) && !live.contains(&r.name_any())
        })
        .collect();
    if unused.len() <= limit {
        return Ok(());
    }
    for r in &unused[..unused.len() - limit] {
        ignore_gone(api.delete(&r.name_any(), &DeleteParams::default()).await)?;
    }
    Ok(())
}

/// Treats "not found" and "conflict" as nothing to do.
fn ignore_gone<T>(r: Result<T, kube::Error>) -> Result<Option<T>, kube::Error> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(kube::Error::Api(e)) if e.code == 404 || e.code == 409 => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_go() {
        // Go: fnv.New32a().Write([]byte("hello")) -> 0x4f9f2cab; fnv.New32 -> 0xb6fa7167
        assert_eq!(fnv32a(b"hello"), 0x4f9f_2cab);
        assert_eq!(fnv32(b"hello"), 0xb6fa_7167);
    }

    #[test]
    fn safe_encoding_uses_no_vowels() {
        let s = safe_encode("1234567890");
        assert_eq!(s.len(), 10);
        assert!(s.chars().all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c)));
    }

    #[test]
    fn hash_changes_with_template_and_collisions() {
        let mut t = PodTemplateSpec::default();
        let a = compute_hash(&t, None);
        assert_eq!(a, compute_hash(&t, None));
        assert_ne!(a, compute_hash(&t, Some(1)));
        t.metadata = Some(ObjectMeta {
            labels: Some([("app".to_string(), "x".to_string())].into()),
            ..Default::default()
        });
        assert_ne!(a, compute_hash(&t, None));
    }

    #[test]
    fn patch_round_trips_the_template() {
        let t = PodTemplateSpec {
            metadata: Some(ObjectMeta {
                labels: Some([("app".to_string(), "x".to_string())].into()),
                ..Default::default()
            }),
            spec: None,
        };
        let data = template_patch(&t);
        assert_eq!(data["spec"]["template"]["$patch"], "replace");
        let rev = ControllerRevision {
            data: Some(RawExtension(data)),
            ..Default::default()
        };
        assert_eq!(revision_template(&rev), Some(t));
    }
}
