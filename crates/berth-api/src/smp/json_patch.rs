//! JSON patch (RFC 6902) with JSON pointers (RFC 6901), worded like evanphx/json-patch as kube-apiserver uses it.

use serde_json::Value;

use super::PatchError;

/// Applies a JSON patch (RFC 6902): `patch` is an array of operations (`add`, `remove`,
/// `replace`, `move`, `copy`, `test`), applied in order; the first failing one fails all.
pub fn json_patch(original: &Value, patch: &Value) -> Result<Value, PatchError> {
    let Value::Array(ops) = patch else {
        return Err(PatchError::Invalid(
            "json: cannot unmarshal object into Go value of type jsonpatch.Patch".into(),
        ));
    };
    let mut doc = original.clone();
    for op in ops {
        apply_op(&mut doc, op)?;
    }
    Ok(doc)
}

fn str_field<'a>(op: &'a Value, name: &str, kind: &str) -> Result<&'a str, PatchError> {
    op.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| PatchError::Invalid(format!("{kind} operation missing '{name}' field")))
}

fn value_field<'a>(op: &'a Value, kind: &str) -> Result<&'a Value, PatchError> {
    op.get("value")
        .ok_or_else(|| PatchError::Invalid(format!("{kind} operation missing 'value' field")))
}

fn apply_op(doc: &mut Value, op: &Value) -> Result<(), PatchError> {
    let Some(kind) = op.get("op").and_then(Value::as_str) else {
        return Err(PatchError::Invalid("Unexpected kind: unknown".into()));
    };
    match kind {
        "add" => {
            let path = str_field(op, "path", kind)?;
            let value = value_field(op, kind)?.clone();
            add(doc, path, value)
        }
        "remove" => {
            let path = str_field(op, "path", kind)?;
            remove(doc, path).map(|_| ())
        }
        "replace" => {
            let path = str_field(op, "path", kind)?;
            let value = value_field(op, kind)?.clone();
            let target = get_mut(doc, path).ok_or_else(|| missing("replace", path))?;
            *target = value;
            Ok(())
        }
        "move" => {
            let from = str_field(op, "from", kind)?;
            let path = str_field(op, "path", kind)?;
            if path != from && path.starts_with(from) && path[from.len()..].starts_with('/') {
                return Err(PatchError::DoesNotApply(format!(
                    "move operation does not apply: cannot move {from:?} into its own child {path:?}"
                )));
            }
            let value = remove(doc, from).map_err(|_| missing("move", from))?;
            add(doc, path, value)
        }
        "copy" => {
            let from = str_field(op, "from", kind)?;
            let path = str_field(op, "path", kind)?;
            let value = get(doc, from).ok_or_else(|| missing("copy", from))?.clone();
            add(doc, path, value)
        }
        "test" => {
            let path = str_field(op, "path", kind)?;
            let expected = op.get("value").unwrap_or(&Value::Null);
            match get(doc, path) {
                Some(actual) if actual == expected => Ok(()),
                None if expected.is_null() => Ok(()),
                _ => Err(PatchError::DoesNotApply(format!(
                    "testing value {path} failed: test failed"
                ))),
            }
        }
        other => Err(PatchError::Invalid(format!("Unexpected kind: {other}"))),
    }
}

fn missing(kind: &str, path: &str) -> PatchError {
    PatchError::DoesNotApply(format!(
        "{kind} operation does not apply: doc is missing path: {path:?}: missing value"
    ))
}

/// Splits a JSON pointer into unescaped reference tokens; `""` is the whole document.
fn tokens(path: &str) -> Option<Vec<String>> {
    if path.is_empty() {
        return Some(Vec::new());
    }
    let rest = path.strip_prefix('/')?;
    Some(
        rest.split('/')
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect(),
    )
}

/// An array index token: decimal digits without a leading zero.
fn array_index(token: &str) -> Option<usize> {
    if token.is_empty()
        || !token.bytes().all(|b| b.is_ascii_digit())
        || (token.len() > 1 && token.starts_with('0'))
    {
        return None;
    }
    token.parse().ok()
}

fn get<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = doc;
    for t in tokens(path)? {
        cur = match cur {
            Value::Object(m) => m.get(&t)?,
            Value::Array(a) => a.get(array_index(&t)?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn get_mut<'a>(doc: &'a mut Value, path: &str) -> Option<&'a mut Value> {
    let mut cur = doc;
    for t in tokens(path)? {
        cur = match cur {
            Value::Object(m) => m.get_mut(&t)?,
            Value::Array(a) => a.get_mut(array_index(&t)?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// The parent container of `path` and the last token.
fn parent<'a>(doc: &'a mut Value, path: &str) -> Option<(&'a mut Value, String)> {
    let mut toks = tokens(path)?;
    let last = toks.pop()?;
    let mut cur = doc;
    for t in toks {
        cur = match cur {
            Value::Object(m) => m.get_mut(&t)?,
            Value::Array(a) => a.get_mut(array_index(&t)?)?,
            _ => return None,
        };
    }
    Some((cur, last))
}

fn add(doc: &mut Value, path: &str, value: Value) -> Result<(), PatchError> {
    if path.is_empty() {
        *doc = value;
        return Ok(());
    }
    let (container, last) = parent(doc, path).ok_or_else(|| missing("add", path))?;
    match container {
        Value::Object(m) => {
            m.insert(last, value);
            Ok(())
        }
        Value::Array(a) => {
            let i = if last == "-" {
                a.len()
            } else {
                array_index(&last).ok_or_else(|| missing("add", path))?
            };
            if i > a.len() {
                return Err(PatchError::DoesNotApply(format!(
                    "add operation does not apply: index out of bounds: {path:?}"
                )));
            }
            a.insert(i, value);
            Ok(())
        }
        _ => Err(missing("add", path)),
    }
}

fn remove(doc: &mut Value, path: &str) -> Result<Value, PatchError> {
    let (container, last) = parent(doc, path).ok_or_else(|| missing("remove", path))?;
    match container {
        Value::Object(m) => m.shift_remove(&last).ok_or_else(|| missing("remove", path)),
        Value::Array(a) => match array_index(&last) {
            Some(i) if i < a.len() => Ok(a.remove(i)),
            _ => Err(missing("remove", path)),
        },
        _ => Err(missing("remove", path)),
    }
}
