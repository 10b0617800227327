//! OpenAPI 3.0 documents per group-version, converted from the swagger 2.0 paths and definitions as kube-apiserver publishes them.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use super::definitions::{INT_OR_STRING, QUANTITY};
use super::{paths, ref_name, KUBERNETES_VERSION};

const V3_REF_PREFIX: &str = "#/components/schemas/";

/// The OpenAPI 3.0 document of one group-version.
pub fn document(group: &str, version: &str, defs: &Map<String, Value>) -> Value {
    let mut out_paths = Map::new();
    for (path, item) in paths::group_version_paths(group, version) {
        out_paths.insert(path, path_item(item));
    }
    let mut wanted = BTreeSet::new();
    collect_refs(&Value::Object(out_paths.clone()), &mut wanted);
    let mut schemas = Map::new();
    let mut queue: Vec<String> = wanted.iter().cloned().collect();
    while let Some(name) = queue.pop() {
        if schemas.contains_key(&name) {
            continue;
        }
        let Some(def) = defs.get(&name) else { continue };
        let converted = definition(&name, def);
        let mut refs = BTreeSet::new();
        collect_refs(&converted, &mut refs);
        for r in refs {
            if !schemas.contains_key(&r) {
                queue.push(r);
            }
        }
        schemas.insert(name, converted);
    }
    let mut sorted: Vec<(String, Value)> = schemas.into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": KUBERNETES_VERSION},
        "paths": out_paths,
        "components": {
            "schemas": Value::Object(sorted.into_iter().collect()),
            "securitySchemes": {"BearerToken": {
                "type": "apiKey", "description": "Bearer Token authentication",
                "name": "authorization", "in": "header"
            }}
        },
        "security": [{"BearerToken": []}],
    })
}

fn collect_refs(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            if let Some(name) = m.get("$ref").and_then(Value::as_str).and_then(ref_name) {
                out.insert(name.to_string());
            }
            for child in m.values() {
                collect_refs(child, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|c| collect_refs(c, out)),
        _ => {}
    }
}

/// A v2 definition in v3 form; IntOrString and Quantity as upstream's v3 writes them.
fn definition(name: &str, def: &Value) -> Value {
    let description = def.get("description").cloned().unwrap_or(Value::Null);
    match name {
        INT_OR_STRING => json!({
            "description": description,
            "format": "int-or-string",
            "oneOf": [{"type": "integer"}, {"type": "string"}],
            "x-kubernetes-int-or-string": true,
        }),
        QUANTITY => json!({
            "description": description,
            "oneOf": [{"type": "string"}, {"type": "number"}],
        }),
        _ => schema(def),
    }
}

/// Converts a v2 schema: references move to `#/components/schemas/`, and a reference with
/// siblings (a field's description) becomes `allOf: [{$ref}]` beside them, as upstream does.
pub fn schema(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            let mut reference = None;
            for (k, child) in m {
                match k.as_str() {
                    "$ref" => {
                        let name = child.as_str().and_then(ref_name).unwrap_or_default();
                        reference = Some(json!({"$ref": format!("{V3_REF_PREFIX}{name}")}));
                    }
                    "properties" | "definitions" => {
                        let props = child
                            .as_object()
                            .map(|p| p.iter().map(|(k, s)| (k.clone(), schema(s))).collect())
                            .unwrap_or_default();
                        out.insert(k.clone(), Value::Object(props));
                    }
                    "items" | "additionalProperties" | "not" => {
                        out.insert(k.clone(), schema(child));
                    }
                    "allOf" | "oneOf" | "anyOf" => {
                        let list = child
                            .as_array()
                            .map(|a| a.iter().map(schema).collect())
                            .unwrap_or_default();
                        out.insert(k.clone(), Value::Array(list));
                    }
                    _ => {
                        out.insert(k.clone(), child.clone());
                    }
                }
            }
            match reference {
                Some(r) if out.is_empty() => r,
                Some(r) => {
                    out.insert("allOf".into(), json!([r]));
                    Value::Object(out)
                }
                None => Value::Object(out),
            }
        }
        other => other.clone(),
    }
}

fn parameter(p: &Value) -> Value {
    let mut out = Map::new();
    for k in ["name", "in", "description", "required"] {
        if let Some(v) = p.get(k) {
            out.insert(k.into(), v.clone());
        }
    }
    let mut s = Map::new();
    for k in ["type", "uniqueItems"] {
        if let Some(v) = p.get(k) {
            s.insert(k.into(), v.clone());
        }
    }
    out.insert("schema".into(), Value::Object(s));
    Value::Object(out)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn operation(op: &Value) -> Value {
    let consumes = strings(op.get("consumes"));
    let produces = strings(op.get("produces"));
    let mut out = Map::new();
    let mut params = Vec::new();
    for (k, v) in op.as_object().into_iter().flatten() {
        match k.as_str() {
            "consumes" | "produces" | "schemes" => {}
            "parameters" => {
                for p in v.as_array().into_iter().flatten() {
                    if p.get("in").and_then(Value::as_str) == Some("body") {
                        let s = schema(p.get("schema").unwrap_or(&Value::Null));
                        let content: Map<String, Value> = consumes
                            .iter()
                            .map(|c| (c.clone(), json!({"schema": s})))
                            .collect();
                        out.insert(
                            "requestBody".into(),
                            json!({"content": content, "required": true}),
                        );
                    } else {
                        params.push(parameter(p));
                    }
                }
            }
            "responses" => {
                let mut rs = Map::new();
                for (code, r) in v.as_object().into_iter().flatten() {
                    let mut nr = json!({"description": r.get("description").cloned().unwrap_or(Value::Null)});
                    if let Some(s) = r.get("schema") {
                        let s = schema(s);
                        let content: Map<String, Value> = produces
                            .iter()
                            .map(|c| (c.clone(), json!({"schema": s})))
                            .collect();
                        nr["content"] = Value::Object(content);
                    }
                    rs.insert(code.clone(), nr);
                }
                out.insert("responses".into(), Value::Object(rs));
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    if !params.is_empty() {
        out.insert("parameters".into(), Value::Array(params));
    }
    Value::Object(out)
}

fn path_item(item: Value) -> Value {
    let mut out = Map::new();
    for (k, v) in item.as_object().into_iter().flatten() {
        if k == "parameters" {
            let ps = v
                .as_array()
                .map(|a| a.iter().map(parameter).collect())
                .unwrap_or_default();
            out.insert(k.clone(), Value::Array(ps));
        } else {
            out.insert(k.clone(), operation(v));
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::super::definitions::V2_REF_PREFIX;
    use super::*;

    #[test]
    fn references_with_siblings_become_all_of() {
        let v2 = json!({"properties": {
            "spec": {"$ref": format!("{V2_REF_PREFIX}X"), "description": "d"},
            "plain": {"$ref": format!("{V2_REF_PREFIX}Y")},
            "list": {"type": "array", "items": {"$ref": format!("{V2_REF_PREFIX}Z")}}
        }});
        assert_eq!(
            schema(&v2),
            json!({"properties": {
                "spec": {"description": "d", "allOf": [{"$ref": "#/components/schemas/X"}]},
                "plain": {"$ref": "#/components/schemas/Y"},
                "list": {"type": "array", "items": {"$ref": "#/components/schemas/Z"}}
            }})
        );
    }
}
