//! Objects in the store: keys, encoding, and the resourceVersion <-> revision mapping.
//!
//! Objects are stored as JSON without `metadata.resourceVersion`; on the way out the
//! key's `mod_revision` becomes the object's resourceVersion, as kube-apiserver does.

use std::sync::Arc;

use berth_api::registry::ResourceInfo;
use berth_store::{KeyValue, Revision, Store, TxnOutcome};
use serde_json::Value;

use crate::status::{ApiError, ApiResult};

/// Typed access to objects in a [`Store`].
#[derive(Clone)]
pub struct Storage {
    pub store: Arc<dyn Store>,
}

/// The group segment of a key (`core` for the core group).
fn group_segment(r: &ResourceInfo) -> &'static str {
    if r.group.is_empty() {
        "core"
    } else {
        r.group
    }
}

/// The key of one object: `/registry/<group>/<resource>/[<namespace>/]<name>`.
pub fn key(r: &'static ResourceInfo, namespace: &str, name: &str) -> String {
    let r = crate::conversion::storage_resource(r);
    if r.namespaced {
        format!(
            "/registry/{}/{}/{namespace}/{name}",
            group_segment(r),
            r.resource
        )
    } else {
        format!("/registry/{}/{}/{name}", group_segment(r), r.resource)
    }
}

/// The prefix of a collection, ending in `/`. An empty namespace means all namespaces.
pub fn prefix(r: &'static ResourceInfo, namespace: &str) -> String {
    let r = crate::conversion::storage_resource(r);
    if r.namespaced && !namespace.is_empty() {
        format!("/registry/{}/{}/{namespace}/", group_segment(r), r.resource)
    } else {
        format!("/registry/{}/{}/", group_segment(r), r.resource)
    }
}

/// Serializes an object for the store (without its resourceVersion), with `apiVersion`,
/// `kind` and `metadata` first so that [`with_resource_version`] can serve the bytes
/// without parsing them.
pub fn encode(obj: &Value) -> ApiResult<Vec<u8>> {
    let mut o = obj.clone();
    if let Some(m) = o.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("resourceVersion");
        m.remove("selfLink");
    }
    if let Value::Object(map) = &mut o {
        let mut ordered = serde_json::Map::with_capacity(map.len());
        for k in ["apiVersion", "kind", "metadata"] {
            if let Some(v) = map.remove(k) {
                ordered.insert(k.to_string(), v);
            }
        }
        ordered.extend(std::mem::take(map));
        *map = ordered;
    }
    serde_json::to_vec(&o).map_err(|e| ApiError::internal(format!("encoding object: {e}")))
}

/// [`encode`] of an object served as `r`, converted first when `r` is stored as another
/// resource (copying the object only then).
fn encode_for(r: &'static ResourceInfo, obj: &Value) -> ApiResult<Vec<u8>> {
    if std::ptr::eq(crate::conversion::storage_resource(r), r) {
        encode(obj)
    } else {
        encode(&crate::conversion::to_storage(r, obj.clone()))
    }
}

/// The stored bytes with `metadata.resourceVersion` set to `rev`, spliced in without
/// parsing the object — what watches and lists send for every object. `None` when the
/// bytes do not start with `{"apiVersion":"…","kind":"…","metadata":{` (objects stored in
/// another order are decoded instead).
pub fn with_resource_version(bytes: &[u8], rev: Revision) -> Option<Vec<u8>> {
    fn string_end(b: &[u8], start: usize) -> Option<usize> {
        // `start` is just after the opening quote; returns the index after the closing one
        let mut i = start;
        while i < b.len() {
            match b[i] {
                b'\\' => i += 2,
                b'"' => return Some(i + 1),
                _ => i += 1,
            }
        }
        None
    }
    let mut i = 0;
    for (key, last) in [
        (&b"{\"apiVersion\":\""[..], false),
        (&b",\"kind\":\""[..], false),
        (&b",\"metadata\":{"[..], true),
    ] {
        if !bytes[i..].starts_with(key) {
            return None;
        }
        i += key.len();
        if !last {
            i = string_end(bytes, i)?;
        }
    }
    let rv = format!("\"resourceVersion\":\"{rev}\"");
    let mut out = Vec::with_capacity(bytes.len() + rv.len() + 1);
    out.extend_from_slice(&bytes[..i]);
    out.extend_from_slice(rv.as_bytes());
    if bytes.get(i) != Some(&b'}') {
        out.push(b',');
    }
    out.extend_from_slice(&bytes[i..]);
    Some(out)
}

/// Deserializes a stored object and sets its resourceVersion from the key's revision.
pub fn decode(kv: &KeyValue) -> ApiResult<Value> {
    decode_at(&kv.value, kv.mod_revision)
}

/// Like [`decode`], converted to the form `r` serves.
pub fn decode_as(r: &ResourceInfo, kv: &KeyValue) -> ApiResult<Value> {
    Ok(crate::conversion::from_storage(r, decode(kv)?))
}

/// Deserializes stored bytes and sets resourceVersion to `rev`.
pub fn decode_at(bytes: &[u8], rev: Revision) -> ApiResult<Value> {
    let mut v: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::internal(format!("decoding stored object: {e}")))?;
    set_resource_version(&mut v, rev);
    Ok(v)
}

/// Sets `metadata.resourceVersion`.
pub fn set_resource_version(obj: &mut Value, rev: Revision) {
    if let Some(m) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        m.insert("resourceVersion".into(), Value::String(rev.to_string()));
    }
}

/// Parses a resourceVersion string into a revision.
pub fn parse_rv(rv: &str) -> ApiResult<Revision> {
    rv.parse::<Revision>()
        .ok()
        .filter(|r| *r >= 0)
        .ok_or_else(|| ApiError::bad_request(format!("invalid resource version: \"{rv}\"")))
}

/// Outcome of a conditional write.
pub enum Written {
    Ok(Value),
    Conflict(Option<Value>),
}

impl Storage {
    /// Reads one object.
    pub async fn get(
        &self,
        r: &'static ResourceInfo,
        ns: &str,
        name: &str,
    ) -> ApiResult<Option<Value>> {
        let (kv, _) = self.store.get(&key(r, ns, name)).await?;
        kv.as_ref().map(|kv| decode_as(r, kv)).transpose()
    }

    /// Creates an object; `None` if the key exists.
    pub async fn create(
        &self,
        r: &'static ResourceInfo,
        ns: &str,
        name: &str,
        obj: &Value,
    ) -> ApiResult<Option<Value>> {
        let bytes = encode_for(r, obj)?;
        match self.store.create(&key(r, ns, name), bytes.clone()).await? {
            TxnOutcome::Applied(kv) => Ok(Some(crate::conversion::from_storage(
                r,
                decode_at(&bytes, kv.mod_revision)?,
            ))),
            TxnOutcome::Conflict(_) => Ok(None),
        }
    }

    /// Replaces an object if it is still at revision `expected`.
    pub async fn update(
        &self,
        r: &'static ResourceInfo,
        ns: &str,
        name: &str,
        obj: &Value,
        expected: Revision,
    ) -> ApiResult<Written> {
        let bytes = encode_for(r, obj)?;
        match self
            .store
            .update(&key(r, ns, name), bytes.clone(), expected)
            .await?
        {
            TxnOutcome::Applied(kv) => Ok(Written::Ok(crate::conversion::from_storage(
                r,
                decode_at(&bytes, kv.mod_revision)?,
            ))),
            TxnOutcome::Conflict(cur) => Ok(Written::Conflict(
                cur.as_ref().map(|kv| decode_as(r, kv)).transpose()?,
            )),
        }
    }

    /// Deletes an object if it is still at revision `expected`; returns its last state.
    pub async fn delete(
        &self,
        r: &'static ResourceInfo,
        ns: &str,
        name: &str,
        expected: Revision,
    ) -> ApiResult<Written> {
        match self.store.delete(&key(r, ns, name), expected).await? {
            TxnOutcome::Applied((kv, _rev)) => Ok(Written::Ok(decode_as(r, &kv)?)),
            TxnOutcome::Conflict(cur) => Ok(Written::Conflict(
                cur.as_ref().map(|kv| decode_as(r, kv)).transpose()?,
            )),
        }
    }
}

/// The revision an object was read at.
pub fn revision_of(obj: &Value) -> Revision {
    obj.pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn splicing_the_resource_version_equals_decoding() {
        for obj in [
            json!({"spec": {"template": {"metadata": {"labels": {"a": "b"}}}}, "kind": "Pod", "apiVersion": "v1", "metadata": {"name": "p\"x", "resourceVersion": "9"}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}),
        ] {
            let bytes = encode(&obj).expect("encode");
            let spliced = with_resource_version(&bytes, 42).expect("splice");
            let parsed: Value = serde_json::from_slice(&spliced).expect("valid JSON");
            assert_eq!(parsed, decode_at(&bytes, 42).expect("decode"));
            assert_eq!(parsed["metadata"]["resourceVersion"], "42");
        }
        assert!(
            with_resource_version(br#"{"kind":"Pod","apiVersion":"v1","metadata":{}}"#, 1)
                .is_none()
        );
    }
}
