//! OpenAPI 3.0 documents per group-version, converted from the swagger 2.0 paths and definitions as kube-apiserver publishes them.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use super::definitions::{INT_OR_STRING, QUANTITY};
use super::{ref_name, KUBERNETES_VERSION};

const V3_REF_PREFIX: &str = "#/components/schemas/";

/// Every definition converted to v3 form, keyed by name.
pub fn schemas(defs: &Map<String, Value>) -> BTreeMap<String, Value> {
    defs.iter()
        .map(|(name, def)| (name.clone(), definition(name, def)))
        .collect()
}

/// The serialized OpenAPI 3.0 document of one group-version, from its swagger 2.0 paths and
/// the converted schemas (only those its paths reach are included).
pub fn document(v2_paths: &Map<String, Value>, schemas: &BTreeMap<String, Value>) -> Vec<u8> {
    let mut out_paths = Map::new();
    for (path, item) in v2_paths {
        out_paths.insert(path.clone(), path_item(item));
    }
    let mut refs = BTreeSet::new();
    for item in out_paths.values() {
        collect_refs(item, &mut refs);
    }
    let mut included: BTreeMap<&str, &Value> = BTreeMap::new();
    let mut queue: Vec<String> = refs.into_iter().collect();
    while let Some(name) = queue.pop() {
        if included.contains_key(name.as_str()) {
            continue;
        }
        let Some((key, schema)) = schemas.get_key_value(&name) else {
            continue;
        };
        let mut more = BTreeSet::new();
        collect_refs(schema, &mut more);
        queue.extend(
            more.into_iter()
                .filter(|r| !included.contains_key(r.as_str())),
        );
        included.insert(key.as_str(), schema);
    }
    #[derive(serde::Serialize)]
    struct Components<'a> {
        schemas: BTreeMap<&'a str, &'a Value>,
        #[serde(rename = "securitySchemes")]
        security_schemes: Value,
    }
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        openapi: &'a str,
        info: Value,
        paths: Map<String, Value>,
        components: Components<'a>,
        security: Value,
    }
    let doc = Doc {
        openapi: "3.0.0",
        info: json!({"title": "Kubernetes", "version": KUBERNETES_VERSION}),
        paths: out_paths,
        components: Components {
            schemas: included,
            security_schemes: json!({"BearerToken": {
                "type": "apiKey", "description": "Bearer Token authentication",
                "name": "authorization", "in": "header"
            }}),
        },
        security: json!([{"BearerToken": []}]),
    };
    serde_json::to_vec(&doc).unwrap_or_default()
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

fn path_item(item: &Value) -> Value {
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
