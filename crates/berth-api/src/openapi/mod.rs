//! OpenAPI v2 and v3 documents generated from the k8s-openapi types and the resource registry.

pub mod definitions;
pub mod patch_meta;
pub mod paths;
pub mod protobuf;
#[cfg(test)]
mod tests;
mod v3;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::{json, Map, Value};

use crate::registry;

static DEFINITIONS: OnceLock<Map<String, Value>> = OnceLock::new();
static V2: OnceLock<Vec<u8>> = OnceLock::new();
static V2_PROTOBUF: OnceLock<Vec<u8>> = OnceLock::new();
static V3: OnceLock<BTreeMap<String, V3Doc>> = OnceLock::new();

/// The Kubernetes version the documents describe.
pub const KUBERNETES_VERSION: &str = "v1.33.0";

struct V3Doc {
    body: Vec<u8>,
    hash: String,
}

/// The whole swagger 2.0 document (`/openapi/v2`), serialized once on first use.
pub fn v2() -> &'static [u8] {
    V2.get_or_init(|| {
        let mut paths: Vec<(&String, &Value)> = group_version_paths()
            .iter()
            .flat_map(|(_, p)| p.iter())
            .collect();
        paths.sort_by(|a, b| a.0.cmp(b.0));
        // Serialized from borrowed parts: cloning the definitions into one Value would
        // double the work.
        #[derive(serde::Serialize)]
        struct Doc<'a> {
            swagger: &'a str,
            info: Value,
            paths: BTreeMap<&'a str, &'a Value>,
            definitions: &'a Map<String, Value>,
            #[serde(rename = "securityDefinitions")]
            security_definitions: Value,
            security: Value,
        }
        let doc = Doc {
            swagger: "2.0",
            info: json!({"title": "Kubernetes", "version": KUBERNETES_VERSION}),
            paths: paths.into_iter().map(|(k, v)| (k.as_str(), v)).collect(),
            definitions: definitions(),
            security_definitions: json!({"BearerToken": {
                "description": "Bearer Token authentication", "in": "header",
                "name": "authorization", "type": "apiKey"
            }}),
            security: json!([{"BearerToken": []}]),
        };
        serde_json::to_vec(&doc).unwrap_or_default()
    })
}

/// A served group-version and its swagger 2.0 paths.
type GroupVersionPaths = ((&'static str, &'static str), Map<String, Value>);

static GV_PATHS: OnceLock<Vec<GroupVersionPaths>> = OnceLock::new();

/// The swagger 2.0 paths of every served group-version, built once for v2 and v3.
fn group_version_paths() -> &'static [GroupVersionPaths] {
    GV_PATHS.get_or_init(|| {
        registry::groups()
            .into_iter()
            .map(|(g, v)| ((g, v), paths::group_version_paths(g, v)))
            .collect()
    })
}

/// The swagger 2.0 document in protobuf (gnostic `openapi.v2.Document`), for requests whose
/// `Accept` is [`protobuf::MEDIA_TYPE`]: kubectl 1.27 and 1.28 `explain`, and client-side
/// patch metadata lookups, ask for this form and fail on JSON. Encoded once on first use.
pub fn v2_protobuf() -> &'static [u8] {
    V2_PROTOBUF.get_or_init(|| {
        let doc: Value = serde_json::from_slice(v2()).unwrap_or(Value::Null);
        protobuf::encode(&doc)
    })
}

/// `api/v1` for the core group, `apis/<group>/<version>` otherwise: the key of a
/// group-version in the v3 index and its URL path under `/openapi/v3/`.
fn v3_key(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

fn v3_docs() -> &'static BTreeMap<String, V3Doc> {
    V3.get_or_init(|| {
        let schemas = v3::schemas(definitions());
        let mut out = BTreeMap::new();
        for ((g, v), paths) in group_version_paths() {
            let body = v3::document(paths, &schemas);
            let digest = ring::digest::digest(&ring::digest::SHA512, &body);
            let hash = digest.as_ref().iter().map(|b| format!("{b:02X}")).collect();
            out.insert(v3_key(g, v), V3Doc { body, hash });
        }
        out
    })
}

/// The OpenAPI v3 discovery document (`/openapi/v3`): every served group-version with
/// its URL, which carries the document's hash so clients can cache it.
pub fn v3_index() -> Value {
    let mut paths = Map::new();
    for (key, doc) in v3_docs() {
        paths.insert(
            key.clone(),
            json!({"serverRelativeURL": format!("/openapi/v3/{key}?hash={}", doc.hash)}),
        );
    }
    json!({ "paths": paths })
}

/// The OpenAPI 3.0 document of one group-version (`""` for core), with the paths of its
/// resources and every schema they reference under `components.schemas`.
pub fn v3(group: &str, version: &str) -> Option<&'static [u8]> {
    v3_docs()
        .get(&v3_key(group, version))
        .map(|d| d.body.as_slice())
}

/// The content hash (upper-case hex SHA-512, as kube-apiserver) of [`v3`]'s document: its
/// ETag and the `hash` query parameter of its URL in the index.
pub fn v3_hash(group: &str, version: &str) -> Option<&'static str> {
    v3_docs()
        .get(&v3_key(group, version))
        .map(|d| d.hash.as_str())
}

/// All swagger 2.0 definitions, generated on first use.
pub fn definitions() -> &'static Map<String, Value> {
    DEFINITIONS.get_or_init(definitions::generate)
}

/// The swagger 2.0 definition named `name` (`io.k8s.api.apps.v1.Deployment`), with upstream's
/// `x-kubernetes-*` extensions.
pub fn definition(name: &str) -> Option<&'static Value> {
    definitions().get(name)
}

/// Follows `$ref` (and a single-element `allOf` holding one) to the schema it points at, so
/// that callers walking a schema see properties, items and extensions directly.
pub fn resolve(schema: &'static Value) -> &'static Value {
    let mut s = schema;
    for _ in 0..16 {
        let r = s.get("$ref").or_else(|| {
            s.get("allOf")
                .and_then(|a| a.get(0))
                .and_then(|a| a.get("$ref"))
        });
        match r
            .and_then(Value::as_str)
            .and_then(ref_name)
            .and_then(definition)
        {
            Some(next) => s = next,
            None => break,
        }
    }
    s
}

/// The definition name of a local reference (`#/definitions/X` or `#/components/schemas/X`).
pub fn ref_name(r: &str) -> Option<&str> {
    r.strip_prefix(definitions::V2_REF_PREFIX)
        .or_else(|| r.strip_prefix("#/components/schemas/"))
}
