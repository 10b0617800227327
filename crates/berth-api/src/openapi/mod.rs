//! OpenAPI v2 and v3 documents generated from the k8s-openapi types and the resource registry.

pub mod definitions;
pub mod patch_meta;

use std::sync::OnceLock;

use serde_json::{Map, Value};

static DEFINITIONS: OnceLock<Map<String, Value>> = OnceLock::new();

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
