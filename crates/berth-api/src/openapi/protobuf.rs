//! The swagger 2.0 document in gnostic's `openapi.v2.Document` protobuf encoding, which kubectl up to 1.28 asks `/openapi/v2` for.

use serde_json::{Map, Value};

/// Media type kubectl sends in `Accept` for the protobuf form of `/openapi/v2`.
pub const MEDIA_TYPE: &str = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";

fn varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

fn bytes(buf: &mut Vec<u8>, field: u32, b: &[u8]) {
    varint(buf, (u64::from(field) << 3) | 2);
    varint(buf, b.len() as u64);
    buf.extend_from_slice(b);
}

fn string(buf: &mut Vec<u8>, field: u32, s: &str) {
    if !s.is_empty() {
        bytes(buf, field, s.as_bytes());
    }
}

fn boolean(buf: &mut Vec<u8>, field: u32, b: bool) {
    if b {
        varint(buf, u64::from(field) << 3);
        varint(buf, 1);
    }
}

fn message(buf: &mut Vec<u8>, field: u32, f: impl FnOnce(&mut Vec<u8>)) {
    let mut inner = Vec::new();
    f(&mut inner);
    bytes(buf, field, &inner);
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn strings(buf: &mut Vec<u8>, field: u32, v: Option<&Value>) {
    for s in v.and_then(Value::as_array).into_iter().flatten() {
        if let Some(s) = s.as_str() {
            bytes(buf, field, s.as_bytes());
        }
    }
}

/// `x-…` keys as `NamedAny` with the value as YAML (JSON is YAML).
fn vendor_extensions(buf: &mut Vec<u8>, field: u32, m: &Map<String, Value>) {
    for (k, v) in m.iter().filter(|(k, _)| k.starts_with("x-")) {
        message(buf, field, |b| {
            string(b, 1, k);
            message(b, 2, |any| string(any, 2, &v.to_string()));
        });
    }
}

fn schema(buf: &mut Vec<u8>, s: &Value) {
    let Some(m) = s.as_object() else { return };
    string(buf, 1, str_of(s, "$ref"));
    string(buf, 2, str_of(s, "format"));
    string(buf, 3, str_of(s, "title"));
    string(buf, 4, str_of(s, "description"));
    boolean(buf, 16, s.get("uniqueItems") == Some(&Value::Bool(true)));
    strings(buf, 19, s.get("required"));
    match s.get("additionalProperties") {
        Some(Value::Bool(b)) => message(buf, 21, |a| {
            varint(a, 2 << 3);
            varint(a, u64::from(*b));
        }),
        Some(ap @ Value::Object(_)) => message(buf, 21, |a| message(a, 1, |b| schema(b, ap))),
        _ => {}
    }
    if let Some(t) = s.get("type").and_then(Value::as_str) {
        message(buf, 22, |b| string(b, 1, t));
    }
    if let Some(items) = s.get("items") {
        message(buf, 23, |b| message(b, 1, |c| schema(c, items)));
    }
    for a in s
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        message(buf, 24, |b| schema(b, a));
    }
    if let Some(props) = s.get("properties").and_then(Value::as_object) {
        message(buf, 25, |b| {
            for (name, p) in props {
                message(b, 1, |n| {
                    string(n, 1, name);
                    message(n, 2, |c| schema(c, p));
                });
            }
        });
    }
    vendor_extensions(buf, 31, m);
}

fn parameter(buf: &mut Vec<u8>, p: &Value) {
    // ParametersItem.parameter
    message(buf, 1, |param| {
        if str_of(p, "in") == "body" {
            message(param, 1, |b| {
                string(b, 1, str_of(p, "description"));
                string(b, 2, str_of(p, "name"));
                string(b, 3, "body");
                boolean(b, 4, p.get("required") == Some(&Value::Bool(true)));
                if let Some(s) = p.get("schema") {
                    message(b, 5, |c| schema(c, s));
                }
            });
            return;
        }
        message(param, 2, |nb| {
            let path = str_of(p, "in") == "path";
            // NonBodyParameter: query = 3, path = 4; `type` and `uniqueItems` differ in number.
            let (field, ty, unique) = if path { (4, 5, 19) } else { (3, 6, 20) };
            message(nb, field, |q| {
                boolean(q, 1, p.get("required") == Some(&Value::Bool(true)));
                string(q, 2, str_of(p, "in"));
                string(q, 3, str_of(p, "description"));
                string(q, 4, str_of(p, "name"));
                string(q, ty, str_of(p, "type"));
                boolean(q, unique, p.get("uniqueItems") == Some(&Value::Bool(true)));
            });
        });
    });
}

fn operation(buf: &mut Vec<u8>, op: &Value) {
    strings(buf, 1, op.get("tags"));
    string(buf, 3, str_of(op, "description"));
    string(buf, 5, str_of(op, "operationId"));
    strings(buf, 6, op.get("produces"));
    strings(buf, 7, op.get("consumes"));
    for p in op
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        message(buf, 8, |b| parameter(b, p));
    }
    if let Some(rs) = op.get("responses").and_then(Value::as_object) {
        message(buf, 9, |b| {
            for (code, r) in rs {
                message(b, 1, |n| {
                    string(n, 1, code);
                    message(n, 2, |rv| {
                        message(rv, 1, |resp| {
                            string(resp, 1, str_of(r, "description"));
                            if let Some(s) = r.get("schema") {
                                message(resp, 2, |si| message(si, 1, |c| schema(c, s)));
                            }
                        });
                    });
                });
            }
        });
    }
    strings(buf, 10, op.get("schemes"));
    if let Some(m) = op.as_object() {
        vendor_extensions(buf, 13, m);
    }
}

/// Encodes a swagger 2.0 JSON document as gnostic's `openapi.v2.Document`.
pub fn encode(doc: &Value) -> Vec<u8> {
    let mut buf = Vec::new();
    string(&mut buf, 1, str_of(doc, "swagger"));
    if let Some(info) = doc.get("info") {
        message(&mut buf, 2, |b| {
            string(b, 1, str_of(info, "title"));
            string(b, 2, str_of(info, "version"));
        });
    }
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        message(&mut buf, 8, |b| {
            for (path, item) in paths {
                message(b, 2, |n| {
                    string(n, 1, path);
                    message(n, 2, |pi| {
                        for (method, field) in [
                            ("get", 2),
                            ("put", 3),
                            ("post", 4),
                            ("delete", 5),
                            ("patch", 8),
                        ] {
                            if let Some(op) = item.get(method) {
                                message(pi, field, |o| operation(o, op));
                            }
                        }
                        for p in item
                            .get("parameters")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                        {
                            message(pi, 9, |b| parameter(b, p));
                        }
                    });
                });
            }
        });
    }
    if let Some(defs) = doc.get("definitions").and_then(Value::as_object) {
        message(&mut buf, 9, |b| {
            for (name, s) in defs {
                message(b, 1, |n| {
                    string(n, 1, name);
                    message(n, 2, |c| schema(c, s));
                });
            }
        });
    }
    buf
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn encodes_fields_with_their_numbers() {
        let doc = json!({"swagger": "2.0", "info": {"title": "K", "version": "v"}});
        assert_eq!(
            encode(&doc),
            vec![0x0a, 3, b'2', b'.', b'0', 0x12, 6, 0x0a, 1, b'K', 0x12, 1, b'v']
        );
        let mut big = Vec::new();
        varint(&mut big, 300);
        assert_eq!(big, vec![0xac, 0x02]);
    }
}
