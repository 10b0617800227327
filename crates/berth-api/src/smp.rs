//! Patches on JSON objects: strategic merge patch (schema-driven, as apimachinery's `strategicpatch`), JSON merge patch (RFC 7386) and JSON patch (RFC 6902).

mod json_patch;
#[cfg(test)]
mod tests;

use serde_json::{Map, Value};

use crate::openapi;

pub use json_patch::json_patch;

/// Why a patch could not be applied. Messages follow upstream's wording, so that clients
/// matching on them (and users reading them) see what kube-apiserver would say.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    /// The patch document is malformed for its patch type (a bad directive, a list element
    /// without its merge key, a JSON patch operation with a missing field …). kube-apiserver
    /// answers 400 Bad Request or 422 Unprocessable Entity.
    #[error("{0}")]
    Invalid(String),
    /// A JSON patch operation does not apply to the object (missing path, failed `test`).
    /// kube-apiserver answers 422 Unprocessable Entity.
    #[error("{0}")]
    DoesNotApply(String),
}

const DIRECTIVE: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList";
const SET_ELEMENT_ORDER: &str = "$setElementOrder";

fn invalid(msg: impl Into<String>) -> PatchError {
    PatchError::Invalid(msg.into())
}

/// Applies a JSON merge patch (RFC 7386): objects merge recursively, `null` deletes a key,
/// anything else (including arrays) replaces.
pub fn json_merge_patch(original: &Value, patch: &Value) -> Value {
    let Value::Object(p) = patch else {
        return patch.clone();
    };
    let mut out = match original {
        Value::Object(o) => o.clone(),
        _ => Map::new(),
    };
    for (k, v) in p {
        if v.is_null() {
            out.shift_remove(k);
        } else {
            let merged = json_merge_patch(out.get(k).unwrap_or(&Value::Null), v);
            out.insert(k.clone(), merged);
        }
    }
    Value::Object(out)
}

/// Applies a strategic merge patch to `original`, an object of the kind whose OpenAPI
/// definition is `definition` (`io.k8s.api.apps.v1.Deployment`).
///
/// Maps merge recursively and `null` deletes a key. A list merges when its field has the
/// `merge` patch strategy (by the field's merge key for lists of objects, as a union for
/// lists of scalars) and is replaced otherwise. The directives `$patch` (`replace`, `merge`,
/// `delete`), `$retainKeys`, `$deleteFromPrimitiveList/<field>` and
/// `$setElementOrder/<field>` behave as in apimachinery. Fields the schema does not know
/// carry no patch metadata (maps merge, lists are replaced); reporting them is the job of
/// field validation. An unknown definition name means no schema at all.
pub fn strategic_merge_patch(
    original: &Value,
    patch: &Value,
    definition: &str,
) -> Result<Value, PatchError> {
    let Value::Object(patch) = patch else {
        return Err(invalid("invalid JSON document"));
    };
    let original = match original {
        Value::Object(o) => o.clone(),
        Value::Null => Map::new(),
        _ => return Err(invalid("invalid JSON document")),
    };
    let schema = Schema(openapi::definition(definition).map(openapi::resolve));
    merge_map(original, patch.clone(), schema).map(Value::Object)
}

/// Where the patch is in the schema: the resolved schema of the current value, if known.
#[derive(Clone, Copy, Debug)]
struct Schema(Option<&'static Value>);

/// The patch metadata of a field (`x-kubernetes-patch-strategy`/`-merge-key`).
#[derive(Clone, Copy, Debug, Default)]
struct PatchMeta {
    strategy: Option<&'static str>,
    merge_key: Option<&'static str>,
}

impl Schema {
    fn name(&self) -> String {
        self.0
            .and_then(|s| s.get("description"))
            .and_then(Value::as_str)
            .and_then(|d| d.split_whitespace().next())
            .unwrap_or("unknown type")
            .to_string()
    }

    /// The schema of field `key` (unresolved) and its patch metadata.
    fn property(self, key: &str) -> (Option<&'static Value>, PatchMeta) {
        let Some(node) = self.0 else {
            return (None, PatchMeta::default());
        };
        if let Some(prop) = node.get("properties").and_then(|p| p.get(key)) {
            let meta = PatchMeta {
                strategy: prop
                    .get("x-kubernetes-patch-strategy")
                    .and_then(Value::as_str),
                merge_key: prop
                    .get("x-kubernetes-patch-merge-key")
                    .and_then(Value::as_str),
            };
            return (Some(prop), meta);
        }
        match node.get("additionalProperties") {
            Some(ap @ Value::Object(_)) => (Some(ap), PatchMeta::default()),
            _ => (None, PatchMeta::default()),
        }
    }

    /// Schema of the map at `key`, and the field's patch metadata.
    fn lookup_map(self, key: &str) -> (Schema, PatchMeta) {
        let (prop, meta) = self.property(key);
        (Schema(prop.map(openapi::resolve)), meta)
    }

    /// Schema of the items of the list at `key`, and the field's patch metadata.
    fn lookup_list(self, key: &str) -> (Schema, PatchMeta) {
        let (prop, meta) = self.property(key);
        let items = prop
            .map(openapi::resolve)
            .and_then(|p| p.get("items"))
            .map(openapi::resolve);
        (Schema(items), meta)
    }
}

/// Splits a patch strategy such as `merge,retainKeys` and returns the one that is not
/// `retainKeys` (retainKeys itself is carried by the `$retainKeys` directive).
fn strategy_without_retain_keys(meta: PatchMeta) -> Result<&'static str, PatchError> {
    let Some(s) = meta.strategy else {
        return Ok("");
    };
    let parts: Vec<&'static str> = s.split(',').collect();
    match parts.as_slice() {
        [one] if *one == "retainKeys" => Ok(""),
        [one] => Ok(one),
        [a, b] if *a == "retainKeys" => Ok(b),
        [a, b] if *b == "retainKeys" => Ok(a),
        _ => Err(invalid(format!("unexpected patch strategy: {parts:?}"))),
    }
}

/// JSON value kinds, the way upstream compares `reflect.TypeOf` of decoded values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

fn kind(v: &Value) -> Kind {
    match v {
        Value::Null => Kind::Null,
        Value::Bool(_) => Kind::Bool,
        Value::Number(_) => Kind::Number,
        Value::String(_) => Kind::String,
        Value::Array(_) => Kind::Array,
        Value::Object(_) => Kind::Object,
    }
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Null => "nil",
        Kind::Bool => "bool",
        Kind::Number => "float64",
        Kind::String => "string",
        Kind::Array => "slice",
        Kind::Object => "map",
    }
}

fn bad_arg_type(expected: Kind, actual: &Value) -> PatchError {
    invalid(format!(
        "expected a {}, but received a {}",
        kind_name(expected),
        kind_name(kind(actual))
    ))
}

fn no_merge_key(m: &Map<String, Value>, key: &str) -> PatchError {
    invalid(format!(
        "map: {} does not contain declared merge key: {key}",
        Value::Object(m.clone())
    ))
}

fn bad_patch_type(t: &Value, m: &Map<String, Value>) -> PatchError {
    let t = t
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| t.to_string());
    invalid(format!(
        "unknown patch type: {t} in map: {}",
        Value::Object(m.clone())
    ))
}

/// The field name after `prefix/` in a directive key such as `$setElementOrder/containers`.
fn extract_key<'a>(key: &'a str, prefix: &str) -> Result<&'a str, PatchError> {
    match key.split_once('/') {
        Some((p, rest)) if p == prefix => Ok(rest),
        _ if prefix == DELETE_FROM_PRIMITIVE_LIST => {
            Err(invalid("invalid patch format of primitive list"))
        }
        _ => Err(invalid("invalid patch format of setElementOrder list")),
    }
}

/// Removes `null`s (they mean "delete", and there is nothing to delete in a new value) and
/// directives from a value that is taken as is. Returns `None` when the value itself is a
/// directive (`{"$patch": ...}`) and must not be kept.
fn clean(v: Value) -> Option<Value> {
    match v {
        Value::Object(m) => {
            if m.contains_key(DIRECTIVE) {
                return None;
            }
            let mut out = Map::new();
            for (k, v) in m {
                if v.is_null()
                    || k == RETAIN_KEYS
                    || k.starts_with(SET_ELEMENT_ORDER)
                    || k.starts_with(DELETE_FROM_PRIMITIVE_LIST)
                {
                    continue;
                }
                if let Some(v) = clean(v) {
                    out.insert(k, v);
                }
            }
            Some(Value::Object(out))
        }
        Value::Array(a) => Some(Value::Array(a.into_iter().filter_map(clean).collect())),
        other => Some(other),
    }
}

fn merge_map(
    mut original: Map<String, Value>,
    mut patch: Map<String, Value>,
    schema: Schema,
) -> Result<Map<String, Value>, PatchError> {
    if let Some(d) = patch.get(DIRECTIVE) {
        return match d.as_str() {
            Some("replace") => {
                patch.shift_remove(DIRECTIVE);
                match clean(Value::Object(patch)) {
                    Some(Value::Object(m)) => Ok(m),
                    _ => Ok(Map::new()),
                }
            }
            Some("delete") => Ok(Map::new()),
            _ => Err(bad_patch_type(d, &patch)),
        };
    }
    apply_retain_keys(&mut original, &mut patch)?;
    apply_set_element_order(&mut original, &mut patch, schema)?;

    for (key, patch_v) in patch {
        let (key, is_delete_list) = if key.starts_with(DELETE_FROM_PRIMITIVE_LIST) {
            (
                extract_key(&key, DELETE_FROM_PRIMITIVE_LIST)?.to_string(),
                true,
            )
        } else {
            (key, false)
        };
        if patch_v.is_null() {
            original.shift_remove(&key);
            continue;
        }
        let Some(slot) = original.get_mut(&key) else {
            if !is_delete_list {
                if let Some(v) = clean(patch_v) {
                    original.insert(key, v);
                }
            }
            continue;
        };
        if kind(slot) != kind(&patch_v) {
            if !is_delete_list {
                match clean(patch_v) {
                    Some(v) => *slot = v,
                    None => {
                        original.shift_remove(&key);
                    }
                }
            }
            continue;
        }
        let merged = match (std::mem::take(slot), patch_v) {
            (Value::Object(o), Value::Object(p)) => {
                let (sub, meta) = schema.lookup_map(&key);
                if strategy_without_retain_keys(meta)? == "replace" {
                    clean(Value::Object(p))
                } else {
                    Some(Value::Object(merge_map(o, p, sub)?))
                }
            }
            (Value::Array(o), Value::Array(p)) => {
                let (sub, meta) = schema.lookup_list(&key);
                let strategy = strategy_without_retain_keys(meta)?;
                if strategy == "merge" || is_delete_list {
                    let mk = meta.merge_key.unwrap_or("");
                    Some(Value::Array(merge_list(o, p, sub, mk, is_delete_list)?))
                } else {
                    clean(Value::Array(p))
                }
            }
            (_, p) => clean(p),
        };
        match merged {
            Some(v) => {
                if let Some(slot) = original.get_mut(&key) {
                    *slot = v;
                }
            }
            None => {
                original.shift_remove(&key);
            }
        }
    }
    Ok(original)
}

/// `$retainKeys`: keys of `original` not in the list are cleared; every key the patch sets
/// must be in the list.
fn apply_retain_keys(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
) -> Result<(), PatchError> {
    let Some(retain) = patch.shift_remove(RETAIN_KEYS) else {
        return Ok(());
    };
    let Value::Array(retain) = retain else {
        return Err(invalid("invalid patch format of retainKeys"));
    };
    let keep = |k: &str| retain.iter().any(|r| r.as_str() == Some(k));
    for (k, v) in patch.iter() {
        if v.is_null()
            || k.starts_with(DELETE_FROM_PRIMITIVE_LIST)
            || k.starts_with(SET_ELEMENT_ORDER)
        {
            continue;
        }
        if !keep(k) {
            return Err(invalid("invalid patch format of retainKeys"));
        }
    }
    original.retain(|k, _| keep(k));
    Ok(())
}

/// `$setElementOrder/<field>`: merges the field's patch list (if any) and orders the result
/// as the directive says, server-only items keeping their place relative to the others.
fn apply_set_element_order(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
    schema: Schema,
) -> Result<(), PatchError> {
    let keys: Vec<String> = patch
        .keys()
        .filter(|k| k.starts_with(SET_ELEMENT_ORDER))
        .cloned()
        .collect();
    for key in keys {
        let Some(order_v) = patch.shift_remove(&key) else {
            continue;
        };
        let Value::Array(order) = order_v else {
            return Err(bad_arg_type(Kind::Array, &order_v));
        };
        let field = extract_key(&key, SET_ELEMENT_ORDER)?.to_string();
        let original_list = match original.get(&field) {
            None => None,
            Some(Value::Array(a)) => Some(a.clone()),
            Some(other) => return Err(bad_arg_type(Kind::Array, other)),
        };
        let patch_list = match patch.get(&field) {
            None => None,
            Some(Value::Array(a)) => Some(a.clone()),
            Some(other) => return Err(bad_arg_type(Kind::Array, other)),
        };
        let (sub, meta) = schema.lookup_list(&field);
        let strategy = strategy_without_retain_keys(meta)?;
        let mk = meta.merge_key.unwrap_or("");
        validate_patch_with_order(patch_list.as_deref().unwrap_or(&[]), &order, mk)?;
        let merged = match (&original_list, &patch_list) {
            (Some(o), None) => o.clone(),
            (None, Some(p)) => match clean(Value::Array(p.clone())) {
                Some(Value::Array(a)) => a,
                _ => Vec::new(),
            },
            (Some(o), Some(p)) => {
                if strategy == "merge" {
                    merge_list(o.clone(), p.clone(), sub, mk, false)?
                } else {
                    match clean(Value::Array(p.clone())) {
                        Some(Value::Array(a)) => a,
                        _ => Vec::new(),
                    }
                }
            }
            (None, None) => continue,
        };
        let (patch_items, server_only) = partition(merged, &order, mk)?;
        let orig = original_list.unwrap_or_default();
        let k = element_kind(&[&orig, patch_list.as_deref().unwrap_or(&[])])?;
        let both = normalize_element_order(patch_items, server_only, &order, &orig, mk, k)?;
        original.insert(field.clone(), Value::Array(both));
        patch.shift_remove(&field);
    }
    Ok(())
}

/// Checks that the patch list's items appear in `$setElementOrder` in the same relative order.
fn validate_patch_with_order(
    patch_list: &[Value],
    order: &[Value],
    merge_key: &str,
) -> Result<(), PatchError> {
    if order.is_empty() || patch_list.is_empty() {
        return Ok(());
    }
    let non_delete: Vec<&Value> = if merge_key.is_empty() {
        patch_list.iter().collect()
    } else {
        let mut out = Vec::new();
        for v in patch_list {
            let Value::Object(m) = v else {
                return Err(bad_arg_type(Kind::Object, v));
            };
            if m.get(DIRECTIVE).and_then(Value::as_str) != Some("delete") {
                out.push(v);
            }
        }
        out
    };
    let (mut pi, mut oi) = (0, 0);
    while pi < non_delete.len() && oi < order.len() {
        if non_delete[pi].get(DIRECTIVE).is_some() {
            pi += 1;
            continue;
        }
        if merge_key_value_equal(non_delete[pi], &order[oi], merge_key)? {
            pi += 1;
        }
        oi += 1;
    }
    if pi < non_delete.len() && oi >= order.len() {
        return Err(invalid(format!(
            "The order in patch list:\n{}\n doesn't match {SET_ELEMENT_ORDER} list:\n{}\n",
            Value::Array(patch_list.to_vec()),
            Value::Array(order.to_vec())
        )));
    }
    Ok(())
}

fn merge_key_value_equal(left: &Value, right: &Value, merge_key: &str) -> Result<bool, PatchError> {
    if merge_key.is_empty() {
        return Ok(left == right);
    }
    let Value::Object(l) = left else {
        return Err(bad_arg_type(Kind::Object, left));
    };
    let Value::Object(r) = right else {
        return Err(bad_arg_type(Kind::Object, right));
    };
    let lv = l.get(merge_key).ok_or_else(|| no_merge_key(l, merge_key))?;
    let rv = r.get(merge_key).ok_or_else(|| no_merge_key(r, merge_key))?;
    Ok(lv == rv)
}

/// The common kind of the elements of the lists; lists of lists are not supported.
fn element_kind(lists: &[&[Value]]) -> Result<Kind, PatchError> {
    let mut prev: Option<Kind> = None;
    for list in lists {
        for v in *list {
            let k = kind(v);
            match prev {
                None if k == Kind::Array => {
                    return Err(invalid("lists of lists are not supported"))
                }
                None => prev = Some(k),
                Some(p) if p != k => {
                    let all: Vec<Value> = lists.iter().map(|l| Value::Array(l.to_vec())).collect();
                    return Err(invalid(format!(
                        "list element types are not identical: {}",
                        Value::Array(all)
                    )));
                }
                Some(_) => {}
            }
        }
    }
    prev.ok_or_else(|| invalid("no elements in any of the given slices"))
}

fn merge_list(
    original: Vec<Value>,
    patch: Vec<Value>,
    schema: Schema,
    merge_key: &str,
    is_delete_list: bool,
) -> Result<Vec<Value>, PatchError> {
    if original.is_empty() && patch.is_empty() {
        return Ok(original);
    }
    let k = element_kind(&[&original, &patch])?;
    let (original, patch, merged) = if k != Kind::Object {
        if is_delete_list {
            return Ok(original
                .into_iter()
                .filter(|v| !patch.contains(v))
                .collect());
        }
        let mut merged: Vec<Value> = Vec::with_capacity(original.len() + patch.len());
        for v in original.iter().chain(patch.iter()) {
            if !merged.contains(v) {
                merged.push(v.clone());
            }
        }
        (original, patch, merged)
    } else {
        if merge_key.is_empty() {
            return Err(invalid(format!(
                "cannot merge lists without merge key for {}",
                schema.name()
            )));
        }
        let (original, patch) = merge_list_special_elements(original, patch, merge_key)?;
        let merged = merge_list_plain_elements(original.clone(), &patch, merge_key, schema)?;
        (original, patch, merged)
    };
    let (patch_items, server_only) = partition(merged, &patch, merge_key)?;
    normalize_element_order(patch_items, server_only, &patch, &original, merge_key, k)
}

/// Applies the `$patch` elements of a list of maps (`delete` removes the matching entries,
/// `replace` replaces the whole list) and returns the original and the remaining patch.
fn merge_list_special_elements(
    mut original: Vec<Value>,
    patch: Vec<Value>,
    merge_key: &str,
) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    let mut plain = Vec::new();
    let mut replace = false;
    for v in patch {
        let Value::Object(m) = &v else {
            return Err(bad_arg_type(Kind::Object, &v));
        };
        let Some(d) = m.get(DIRECTIVE) else {
            plain.push(v);
            continue;
        };
        match d.as_str() {
            Some("delete") => {
                let key = m.get(merge_key).ok_or_else(|| no_merge_key(m, merge_key))?;
                original.retain(|o| o.get(merge_key) != Some(key));
            }
            Some("replace") => replace = true,
            Some("merge") => {
                return Err(invalid(
                    "merging lists cannot yet be specified in the patch",
                ))
            }
            _ => return Err(bad_patch_type(d, m)),
        }
    }
    if replace {
        let cleaned = plain.into_iter().filter_map(clean).collect();
        return Ok((cleaned, Vec::new()));
    }
    Ok((original, plain))
}

fn merge_list_plain_elements(
    mut original: Vec<Value>,
    patch: &[Value],
    merge_key: &str,
    schema: Schema,
) -> Result<Vec<Value>, PatchError> {
    for v in patch {
        let Value::Object(m) = v else {
            return Err(bad_arg_type(Kind::Object, v));
        };
        let key = m.get(merge_key).ok_or_else(|| no_merge_key(m, merge_key))?;
        let mut found = None;
        for (i, o) in original.iter().enumerate() {
            let Value::Object(om) = o else {
                return Err(invalid(format!("value for key {i} is not a map")));
            };
            if om.get(merge_key) == Some(key) {
                found = Some(i);
                break;
            }
        }
        match found {
            Some(i) => {
                let Value::Object(om) = std::mem::take(&mut original[i]) else {
                    return Err(invalid(format!("value for key {i} is not a map")));
                };
                original[i] = Value::Object(merge_map(om, m.clone(), schema)?);
            }
            None => {
                if let Some(c) = clean(v.clone()) {
                    original.push(c);
                }
            }
        }
    }
    Ok(original)
}

/// Splits `merged` into the items present in `by` (by merge key for maps) and the others.
fn partition(
    merged: Vec<Value>,
    by: &[Value],
    merge_key: &str,
) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    let mut inside = Vec::new();
    let mut outside = Vec::new();
    for v in merged {
        let present = if merge_key.is_empty() {
            by.contains(&v)
        } else {
            let Value::Object(m) = &v else {
                return Err(bad_arg_type(Kind::Object, &v));
            };
            let key = m.get(merge_key).ok_or_else(|| no_merge_key(m, merge_key))?;
            let mut found = false;
            for (i, b) in by.iter().enumerate() {
                let Value::Object(bm) = b else {
                    return Err(invalid(format!("value for key {i} is not a map")));
                };
                if bm.get(merge_key) == Some(key) {
                    found = true;
                    break;
                }
            }
            found
        };
        if present {
            inside.push(v);
        } else {
            outside.push(v);
        }
    }
    Ok((inside, outside))
}

/// Position of `v` in `list`, by merge key for maps and by value otherwise.
fn index_of(list: &[Value], v: &Value, merge_key: &str, k: Kind) -> Option<usize> {
    if k == Kind::Object {
        let key = v.get(merge_key);
        list.iter().position(|item| item.get(merge_key) == key)
    } else {
        list.iter().position(|item| item == v)
    }
}

/// Sorts `patch` by `patch_order` and `server_only` by `server_order`, then interleaves
/// them keeping both relative orders, placing server-only items by the live order.
fn normalize_element_order(
    patch: Vec<Value>,
    server_only: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    merge_key: &str,
    k: Kind,
) -> Result<Vec<Value>, PatchError> {
    let patch = normalize_slice_order(patch, patch_order, merge_key, k)?;
    let server_only = normalize_slice_order(server_only, server_order, merge_key, k)?;
    Ok(merge_sorted(server_only, patch, server_order, merge_key, k))
}

fn normalize_slice_order(
    to_sort: Vec<Value>,
    order: &[Value],
    merge_key: &str,
    k: Kind,
) -> Result<Vec<Value>, PatchError> {
    let mut to_delete = Vec::new();
    let mut items = Vec::with_capacity(to_sort.len());
    if k == Kind::Object {
        for v in to_sort.iter().chain(order.iter()) {
            let Value::Object(m) = v else {
                return Err(bad_arg_type(Kind::Object, v));
            };
            if !m.contains_key(merge_key) {
                return Err(no_merge_key(m, merge_key));
            }
        }
        for v in to_sort {
            if v.get(DIRECTIVE).and_then(Value::as_str) == Some("delete") {
                to_delete.push(v);
            } else {
                items.push(v);
            }
        }
    } else {
        items = to_sort;
    }
    let idx: Vec<Option<usize>> = items
        .iter()
        .map(|v| index_of(order, v, merge_key, k))
        .collect();
    let mut keyed: Vec<(Option<usize>, Value)> = idx.into_iter().zip(items).collect();
    if keyed.iter().all(|(i, _)| i.is_some()) {
        keyed.sort_by_key(|(i, _)| *i);
    } else {
        // Upstream's comparison treats an item missing from `order` as smaller than
        // anything; Go's stable sort is an insertion sort on such short lists.
        for i in 1..keyed.len() {
            let mut j = i;
            while j > 0 {
                let less = match (keyed[j].0, keyed[j - 1].0) {
                    (Some(a), Some(b)) => a < b,
                    _ => true,
                };
                if !less {
                    break;
                }
                keyed.swap(j, j - 1);
                j -= 1;
            }
        }
    }
    let mut out: Vec<Value> = keyed.into_iter().map(|(_, v)| v).collect();
    out.extend(to_delete);
    Ok(out)
}

/// Inserts the items of `left` (server-only) into `right` (patch items): a left item goes
/// before the first right item that comes after it in `server_order`.
fn merge_sorted(
    left: Vec<Value>,
    right: Vec<Value>,
    server_order: &[Value],
    merge_key: &str,
    k: Kind,
) -> Vec<Value> {
    let mut out = Vec::with_capacity(left.len() + right.len());
    let mut left = left.into_iter().peekable();
    let mut right = right.into_iter().peekable();
    loop {
        match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => out.extend(left.next()),
            (None, Some(_)) => out.extend(right.next()),
            (Some(l), Some(r)) => {
                let li = index_of(server_order, l, merge_key, k);
                let ri = index_of(server_order, r, merge_key, k);
                let take_left = matches!((li, ri), (Some(a), Some(b)) if a < b);
                if take_left {
                    out.extend(left.next());
                } else {
                    out.extend(right.next());
                }
            }
        }
    }
    out
}
