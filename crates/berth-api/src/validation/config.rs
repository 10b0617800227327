//! ConfigMap, Secret and Namespace validation (pkg/apis/core/validation, v1.33).

use serde_json::Value;

use super::{
    child, get_arr, get_obj, get_str, immutable, index, is_config_map_key, is_qualified_name, key,
    semantically_equal, sorted, FieldError,
};

/// Maximum total size of a ConfigMap's or Secret's data (`core.MaxSecretSize`).
pub const MAX_DATA_SIZE: usize = 1024 * 1024;

/// Decoded length of a base64 string without decoding it.
fn base64_decoded_len(s: &str) -> usize {
    let s = s.trim_end_matches('=');
    s.len() * 3 / 4
}

/// `ValidateConfigMap` (beyond metadata).
pub(super) fn validate_config_map(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut total = 0usize;
    let binary = get_obj(obj, "binaryData");
    for (k, v) in sorted(get_obj(obj, "data")) {
        for msg in is_config_map_key(k) {
            errs.push(FieldError::invalid(
                key("data", k),
                Value::String(k.clone()),
                msg,
            ));
        }
        if binary.is_some_and(|b| b.contains_key(k)) {
            errs.push(FieldError::invalid(
                key("data", k),
                Value::String(k.clone()),
                "duplicate of key present in binaryData",
            ));
        }
        total += v.as_str().map_or(0, str::len);
    }
    for (k, v) in sorted(binary) {
        for msg in is_config_map_key(k) {
            errs.push(FieldError::invalid(
                key("binaryData", k),
                Value::String(k.clone()),
                msg,
            ));
        }
        total += v.as_str().map_or(0, base64_decoded_len);
    }
    if total > MAX_DATA_SIZE {
        errs.push(FieldError::too_long("", MAX_DATA_SIZE));
    }
    errs
}

/// `ValidateSecret` (beyond metadata), including the per-type required keys.
pub(super) fn validate_secret(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let data = get_obj(obj, "data");
    let mut total = 0usize;
    for (k, v) in sorted(data) {
        for msg in is_config_map_key(k) {
            errs.push(FieldError::invalid(
                key("data", k),
                Value::String(k.clone()),
                msg,
            ));
        }
        total += v.as_str().map_or(0, base64_decoded_len);
    }
    if total > MAX_DATA_SIZE {
        errs.push(FieldError::too_long("data", MAX_DATA_SIZE));
    }
    let has = |k: &str| data.is_some_and(|d| d.contains_key(k));
    let required = |k: &str| FieldError::required(key("data", k), "");
    match get_str(obj, "type") {
        "kubernetes.io/service-account-token" => {
            let annotations = obj.get("metadata").and_then(|m| get_obj(m, "annotations"));
            let sa = annotations
                .and_then(|a| a.get("kubernetes.io/service-account.name"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            if sa.is_empty() {
                errs.push(FieldError::required(
                    "metadata.annotations[kubernetes.io/service-account.name]",
                    "",
                ));
            }
        }
        "kubernetes.io/dockercfg" if !has(".dockercfg") => errs.push(required(".dockercfg")),
        "kubernetes.io/dockerconfigjson" if !has(".dockerconfigjson") => {
            errs.push(required(".dockerconfigjson"))
        }
        "kubernetes.io/basic-auth" if !has("username") && !has("password") => {
            errs.push(required("username"));
            errs.push(required("password"));
        }
        "kubernetes.io/ssh-auth" => {
            let empty = data
                .and_then(|d| d.get("ssh-privatekey"))
                .and_then(Value::as_str)
                .is_none_or(str::is_empty);
            if empty {
                errs.push(required("ssh-privatekey"));
            }
        }
        "kubernetes.io/tls" => {
            if !has("tls.crt") {
                errs.push(required("tls.crt"));
            }
            if !has("tls.key") {
                errs.push(required("tls.key"));
            }
        }
        _ => {}
    }
    errs
}

/// The `immutable: true` rules shared by ConfigMap and Secret updates.
fn immutable_data(obj: &Value, old: &Value, fields: &[&str], errs: &mut Vec<FieldError>) {
    if old.get("immutable") != Some(&Value::Bool(true)) {
        return;
    }
    const MSG: &str = "field is immutable when `immutable` is set";
    if obj.get("immutable") != Some(&Value::Bool(true)) {
        errs.push(FieldError::forbidden("immutable", MSG));
    }
    for f in fields {
        if !semantically_equal(obj.get(*f), old.get(*f)) {
            errs.push(FieldError::forbidden(*f, MSG));
        }
    }
}

/// `ValidateConfigMapUpdate`.
pub(super) fn validate_config_map_update(obj: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    immutable_data(obj, old, &["data", "binaryData"], &mut errs);
    errs.extend(validate_config_map(obj));
    errs
}

/// `ValidateSecretUpdate`: the type never changes; data is frozen when immutable.
pub(super) fn validate_secret_update(obj: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let ty = get_str(obj, "type");
    if ty != get_str(old, "type") {
        errs.push(immutable("type", Value::String(ty.to_string())));
    }
    immutable_data(obj, old, &["data"], &mut errs);
    errs.extend(validate_secret(obj));
    errs
}

/// `ValidateNamespace`: spec finalizers are qualified names; unqualified ones must be
/// the standard `kubernetes`.
pub(super) fn validate_namespace(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let spec = obj.get("spec").unwrap_or(&Value::Null);
    let path = child("spec", "finalizers");
    for (i, f) in get_arr(spec, "finalizers").iter().enumerate() {
        let f = f.as_str().unwrap_or_default();
        let p = index(&path, i);
        for msg in is_qualified_name(f) {
            errs.push(FieldError::invalid(&p, Value::String(f.to_string()), msg));
        }
        if !f.contains('/') && f != "kubernetes" {
            errs.push(FieldError::invalid(
                &p,
                Value::String(f.to_string()),
                "name is neither a standard finalizer name nor is it fully qualified",
            ));
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::super::{validate, validate_update, FieldError};
    use crate::defaults::apply_defaults;
    use serde_json::json;

    fn msgs(errs: &[FieldError]) -> Vec<String> {
        errs.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn config_map_keys_and_size() {
        let cm = json!({"metadata": {"name": "c"}, "data": {"good.key": "1", "bad key": "2"},
            "binaryData": {"good.key": "AA=="}});
        assert_eq!(
            msgs(&validate("ConfigMap", &cm)),
            vec![
                "data[bad key]: Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
                "data[good.key]: Invalid value: \"good.key\": duplicate of key present in binaryData",
            ]
        );
        let big =
            json!({"metadata": {"name": "c"}, "data": {"a": "x".repeat(super::MAX_DATA_SIZE + 1)}});
        assert_eq!(
            msgs(&validate("ConfigMap", &big)),
            vec![": Too long: may not be more than 1048576 bytes"]
        );
    }

    #[test]
    fn secret_types() {
        let mut tls = json!({"metadata": {"name": "s"}, "type": "kubernetes.io/tls", "data": {"tls.crt": "AA=="}});
        apply_defaults("", "v1", "Secret", &mut tls);
        assert_eq!(
            msgs(&validate("Secret", &tls)),
            vec!["data[tls.key]: Required value"]
        );
        let mut opaque = json!({"metadata": {"name": "s"}, "stringData": {"password": "hunter2"}});
        apply_defaults("", "v1", "Secret", &mut opaque);
        assert!(validate("Secret", &opaque).is_empty());
        let sa = json!({"metadata": {"name": "s"}, "type": "kubernetes.io/service-account-token"});
        assert_eq!(
            msgs(&validate("Secret", &sa)),
            vec!["metadata.annotations[kubernetes.io/service-account.name]: Required value"]
        );
    }

    #[test]
    fn immutable_config_maps_and_secrets() {
        let old = json!({"metadata": {"name": "c"}, "immutable": true, "data": {"a": "1"}});
        let new = json!({"metadata": {"name": "c"}, "data": {"a": "2"}});
        assert_eq!(
            msgs(&validate_update("ConfigMap", &new, &old)),
            vec![
                "immutable: Forbidden: field is immutable when `immutable` is set",
                "data: Forbidden: field is immutable when `immutable` is set",
            ]
        );
        let same = json!({"metadata": {"name": "c", "labels": {"x": "y"}}, "immutable": true, "data": {"a": "1"}});
        assert!(validate_update("ConfigMap", &same, &old).is_empty());
        let old_secret = json!({"metadata": {"name": "s"}, "type": "Opaque", "immutable": true, "data": {"a": "MQ=="}});
        let new_secret = json!({"metadata": {"name": "s"}, "type": "kubernetes.io/basic-auth", "immutable": true,
            "data": {"username": "dQ=="}});
        assert_eq!(
            msgs(&validate_update("Secret", &new_secret, &old_secret)),
            vec![
                "type: Invalid value: \"kubernetes.io/basic-auth\": field is immutable",
                "data: Forbidden: field is immutable when `immutable` is set",
            ]
        );
        let mutable_old = json!({"metadata": {"name": "c"}, "data": {"a": "1"}});
        assert!(validate_update("ConfigMap", &new, &mutable_old).is_empty());
    }

    #[test]
    fn namespaces() {
        let mut ns = json!({"metadata": {"name": "dev"}});
        apply_defaults("", "v1", "Namespace", &mut ns);
        assert!(
            validate("Namespace", &ns).is_empty(),
            "{:?}",
            validate("Namespace", &ns)
        );
        let bad = json!({"metadata": {"name": "Dev"}, "spec": {"finalizers": ["foo"]}});
        assert_eq!(
            msgs(&validate("Namespace", &bad)),
            vec![
                "metadata.name: Invalid value: \"Dev\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
                "spec.finalizers[0]: Invalid value: \"foo\": name is neither a standard finalizer name nor is it fully qualified",
            ]
        );
    }
}
