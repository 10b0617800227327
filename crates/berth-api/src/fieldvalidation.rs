//! Unknown and duplicate field detection for `fieldValidation=Strict|Warn`, worded as kube-apiserver's strict decoding errors.

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::openapi;

/// Fields of `obj` that the schema of `definition` (`io.k8s.api.apps.v1.Deployment`) does
/// not have, each as `unknown field "spec.template.spec.containers[0].foo"`, in document
/// order. Maps (`additionalProperties`) are checked against their value schema; free-form
/// objects (`RawExtension`, `FieldsV1`, `x-kubernetes-preserve-unknown-fields`) are not
/// looked into. An unknown definition yields nothing (there is nothing to check against).
pub fn unknown_fields(obj: &Value, definition: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(schema) = openapi::definition(definition) {
        walk(obj, schema, &mut String::new(), &mut out);
    }
    out
}

fn walk(v: &Value, schema: &'static Value, path: &mut String, out: &mut Vec<String>) {
    let schema = openapi::resolve(schema);
    if schema.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true)) {
        return;
    }
    match v {
        Value::Object(m) => {
            let props = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties");
            for (k, child) in m {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                match (props.and_then(|p| p.get(k)), additional) {
                    (Some(s), _) => walk(child, s, path, out),
                    (None, Some(ap @ Value::Object(_))) => walk(child, ap, path, out),
                    (None, Some(Value::Bool(true))) => {}
                    // A schema with neither properties nor additionalProperties is a
                    // free-form object (RawExtension, FieldsV1) or not an object at all.
                    (None, _) if props.is_none() => {}
                    (None, _) => out.push(format!("unknown field \"{path}\"")),
                }
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    walk(item, item_schema, path, out);
                    path.truncate(len);
                }
            }
        }
        _ => {}
    }
}

/// Drops the fields [`unknown_fields`] would report, as decoding into kube-apiserver's
/// Go types does: with `fieldValidation=Ignore` or `Warn` they are accepted but never stored.
pub fn prune_unknown_fields(obj: &mut Value, definition: &str) {
    if let Some(schema) = openapi::definition(definition) {
        prune(obj, schema);
    }
}

fn prune(v: &mut Value, schema: &'static Value) {
    let schema = openapi::resolve(schema);
    if schema.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true)) {
        return;
    }
    match v {
        Value::Object(m) => {
            let props = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties");
            m.retain(
                |k, child| match (props.and_then(|p| p.get(k)), additional) {
                    (Some(s), _) => {
                        prune(child, s);
                        true
                    }
                    (None, Some(ap @ Value::Object(_))) => {
                        prune(child, ap);
                        true
                    }
                    (None, Some(Value::Bool(true))) => true,
                    (None, _) => props.is_none(),
                },
            );
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for item in items {
                    prune(item, item_schema);
                }
            }
        }
        _ => {}
    }
}

/// Keys that appear twice in one JSON object of the raw request body, each as
/// `duplicate field "spec.replicas"`, in document order. Bodies that are not valid JSON
/// yield nothing (decoding reports them).
pub fn duplicate_fields(raw: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(raw);
    let seed = Dup {
        path: String::new(),
        out: &mut out,
    };
    if seed.deserialize(&mut de).is_err() {
        return Vec::new();
    }
    out
}

/// Walks a JSON document recording duplicate keys without building a value.
struct Dup<'a> {
    path: String,
    out: &'a mut Vec<String>,
}

impl<'de> DeserializeSeed<'de> for Dup<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Dup<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        loop {
            let seed = Dup {
                path: format!("{}[{i}]", self.path),
                out: &mut *self.out,
            };
            if seq.next_element_seed(seed)?.is_none() {
                return Ok(());
            }
            i += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen: Vec<String> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = if self.path.is_empty() {
                key.clone()
            } else {
                format!("{}.{key}", self.path)
            };
            if seen.contains(&key) {
                let msg = format!("duplicate field \"{path}\"");
                if !self.out.contains(&msg) {
                    self.out.push(msg);
                }
            } else {
                seen.push(key);
            }
            map.next_value_seed(Dup {
                path,
                out: &mut *self.out,
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment() -> Value {
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "worker", "labels": {"app": "worker"}, "annotations": {"a": "b"}},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "worker"}},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
                "template": {
                    "metadata": {"labels": {"app": "worker"}},
                    "spec": {"containers": [{
                        "name": "worker", "image": "dockercoins/worker:v0.1",
                        "resources": {"limits": {"cpu": "100m"}},
                        "ports": [{"containerPort": 80}]
                    }]}
                }
            }
        })
    }

    #[test]
    fn pruning_drops_exactly_the_unknown_fields() {
        let mut d = deployment();
        d["kind"] = "DaemonSet".into();
        d["spec"]["replicas"] = 1.into();
        d["spec"]["template"]["spec"]["containers"][0]["bogus"] = true.into();
        let before = d.clone();
        prune_unknown_fields(&mut d, "io.k8s.api.apps.v1.DaemonSet");
        assert!(unknown_fields(&d, "io.k8s.api.apps.v1.DaemonSet").is_empty());
        assert!(d["spec"].get("replicas").is_none());
        assert!(d["spec"]["template"]["spec"]["containers"][0]
            .get("bogus")
            .is_none());
        assert_eq!(d["spec"]["selector"], before["spec"]["selector"]);
        assert_eq!(d["metadata"], before["metadata"]);
    }

    #[test]
    fn a_valid_deployment_has_no_unknown_fields() {
        assert_eq!(
            unknown_fields(&deployment(), "io.k8s.api.apps.v1.Deployment"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn deployment_sent_as_daemonset_reports_replicas_and_strategy() {
        let mut d = deployment();
        d["kind"] = json!("DaemonSet");
        assert_eq!(
            unknown_fields(&d, "io.k8s.api.apps.v1.DaemonSet"),
            vec![
                "unknown field \"spec.replicas\"".to_string(),
                "unknown field \"spec.strategy\"".to_string()
            ]
        );
    }

    #[test]
    fn nested_list_items_and_metadata_are_checked() {
        let mut d = deployment();
        d["spec"]["template"]["spec"]["containers"][0]["foo"] = json!(1);
        d["spec"]["template"]["spec"]["containers"][0]["ports"][0]["bar"] = json!(1);
        d["metadata"]["nme"] = json!("x");
        assert_eq!(
            unknown_fields(&d, "io.k8s.api.apps.v1.Deployment"),
            vec![
                "unknown field \"metadata.nme\"".to_string(),
                "unknown field \"spec.template.spec.containers[0].ports[0].bar\"".to_string(),
                "unknown field \"spec.template.spec.containers[0].foo\"".to_string(),
            ]
        );
    }

    #[test]
    fn free_form_objects_are_not_looked_into() {
        let d = json!({
            "apiVersion": "apps/v1", "kind": "ControllerRevision",
            "metadata": {"name": "r", "managedFields": [{"fieldsV1": {"f:spec": {".": {}}}}]},
            "revision": 1, "data": {"anything": {"goes": true}}
        });
        assert!(unknown_fields(&d, "io.k8s.api.apps.v1.ControllerRevision").is_empty());
        assert!(unknown_fields(&d, "no.such.Definition").is_empty());
    }

    #[test]
    fn duplicates_are_reported_with_their_path() {
        let raw = br#"{"spec": {"replicas": 1, "replicas": 2, "template": {"spec": {"containers": [{"name": "a", "name": "b"}]}}}, "kind": "x", "kind": "y"}"#;
        assert_eq!(
            duplicate_fields(raw),
            vec![
                "duplicate field \"spec.replicas\"".to_string(),
                "duplicate field \"spec.template.spec.containers[0].name\"".to_string(),
                "duplicate field \"kind\"".to_string(),
            ]
        );
        assert!(duplicate_fields(b"{\"a\": 1}").is_empty());
        assert!(duplicate_fields(b"not json").is_empty());
    }
}

/// The first value whose JSON type does not fit the schema of `definition`, worded as
/// Go's decoder (which kube-apiserver uses) words it:
/// `json: cannot unmarshal string into Go struct field Service.spec of type v1.ServiceSpec`.
/// `null` fits anything; int-or-string fields take strings and integers; quantities take
/// strings and numbers. Free-form objects are not looked into.
pub fn type_error(obj: &Value, definition: &str) -> Option<String> {
    let schema = openapi::definition(definition)?;
    let root = definition
        .rsplit('.')
        .next()
        .unwrap_or(definition)
        .to_string();
    check(obj, schema, &mut root.clone(), true)
}

fn go_type(schema: &'static Value) -> String {
    if let Some(r) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(openapi::ref_name)
    {
        let mut parts = r.rsplitn(3, '.');
        let (name, version) = (parts.next().unwrap_or(r), parts.next().unwrap_or(""));
        return match name {
            "IntOrString" => "intstr.IntOrString".into(),
            "Quantity" => "resource.Quantity".into(),
            "Time" | "MicroTime" | "Duration" => format!("v1.{name}"),
            _ => format!("{version}.{name}"),
        };
    }
    let s = openapi::resolve(schema);
    match s.get("type").and_then(Value::as_str) {
        Some("string") => "string".into(),
        Some("boolean") => "bool".into(),
        Some("integer") => s
            .get("format")
            .and_then(Value::as_str)
            .unwrap_or("int64")
            .into(),
        Some("number") => "float64".into(),
        Some("array") => format!(
            "[]{}",
            s.get("items")
                .map(go_type)
                .unwrap_or_else(|| "interface {}".into())
        ),
        Some("object") => match s.get("additionalProperties") {
            Some(ap @ Value::Object(_)) => format!("map[string]{}", go_type(ap)),
            _ => "map[string]interface {}".into(),
        },
        _ => "interface {}".into(),
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "bool",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
        Value::Null => "null",
    }
}

fn check(v: &Value, schema: &'static Value, path: &mut String, top: bool) -> Option<String> {
    if v.is_null() {
        return None;
    }
    let name = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(openapi::ref_name)
        .unwrap_or("");
    let s = openapi::resolve(schema);
    if s.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true)) {
        return None;
    }
    let fail = |path: &str| {
        let field = if top {
            String::new()
        } else {
            format!(" into Go struct field {path}")
        };
        let of = if top {
            format!(" into Go value of type {}", go_type(schema))
        } else {
            format!(" of type {}", go_type(schema))
        };
        Some(format!(
            "json: cannot unmarshal {}{field}{of}",
            json_type(v)
        ))
    };
    if name.ends_with(".IntOrString")
        || s.get("format").and_then(Value::as_str) == Some("int-or-string")
    {
        return if v.is_string() || v.is_i64() || v.is_u64() {
            None
        } else {
            fail(path)
        };
    }
    if name.ends_with(".Quantity") {
        return if v.is_string() || v.is_number() {
            None
        } else {
            fail(path)
        };
    }
    match s.get("type").and_then(Value::as_str) {
        Some("string") if !v.is_string() => fail(path),
        Some("boolean") if !v.is_boolean() => fail(path),
        Some("integer") if !(v.is_i64() || v.is_u64()) => fail(path),
        Some("number") if !v.is_number() => fail(path),
        Some("array") => {
            let Value::Array(items) = v else {
                return fail(path);
            };
            let item = s.get("items")?;
            items.iter().find_map(|it| check(it, item, path, false))
        }
        Some("object") | None
            if s.get("properties").is_some() || s.get("additionalProperties").is_some() =>
        {
            let Value::Object(m) = v else {
                return fail(path);
            };
            let props = s.get("properties").and_then(Value::as_object);
            let additional = s.get("additionalProperties").filter(|a| a.is_object());
            for (k, child) in m {
                let named = props.and_then(|p| p.get(k));
                let Some(cs) = named.or(additional) else {
                    continue;
                };
                let len = path.len();
                // Go names struct fields in the path, not map keys
                if named.is_some() {
                    path.push('.');
                    path.push_str(k);
                }
                let r = check(child, cs, path, false);
                path.truncate(len);
                if r.is_some() {
                    return r;
                }
            }
            None
        }
        _ => None,
    }
}

#[cfg(test)]
mod type_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wrong_types_are_reported_like_go() {
        let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": "oops"});
        assert_eq!(
            type_error(&svc, "io.k8s.api.core.v1.Service").as_deref(),
            Some("json: cannot unmarshal string into Go struct field Service.spec of type v1.ServiceSpec")
        );
        let labels = json!({"metadata": {"name": "x", "labels": {"a": 1}}});
        assert_eq!(
            type_error(&labels, "io.k8s.api.core.v1.ConfigMap").as_deref(),
            Some("json: cannot unmarshal number into Go struct field ConfigMap.metadata.labels of type string")
        );
        let ok = json!({"spec": {"replicas": 2, "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
            "template": {"spec": {"containers": [{"name": "c", "image": "i", "resources": {"limits": {"cpu": 1, "memory": "1Gi"}}}]}}}});
        assert_eq!(type_error(&ok, "io.k8s.api.apps.v1.Deployment"), None);
        let ports = json!({"spec": {"ports": ["80"]}});
        assert!(type_error(&ports, "io.k8s.api.core.v1.Service")
            .is_some_and(|e| e.contains("of type v1.ServicePort")));
    }
}
