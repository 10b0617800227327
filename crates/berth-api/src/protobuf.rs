//! Decoding of Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`)
//! into the JSON object kube-apiserver would have decoded and re-encoded.
//!
//! kubectl 1.32+ sends typed creates as protobuf: the magic `k8s\0`, then a
//! `runtime.Unknown` envelope {1 typeMeta {1 apiVersion, 2 kind}, 2 raw, 3 contentEncoding,
//! 4 contentType} whose `raw` is the object's message. [`decode`] walks the message with
//! the generated field table in `protobuf/schema.rs` (see `scripts/gen-protobuf-schema.py`).
//!
//! JSON rendering follows Go's `encoding/json` on the k8s.io/api types:
//! - a scalar that is zero (`""`, `0`, `false`, empty bytes) is dropped when its Go field
//!   is a non-pointer tagged `omitempty`, and kept when the field is a pointer (gogo
//!   protobuf writes pointers only when set, so an explicit `replicas: 0` survives) or has
//!   no `omitempty` (`containers[].name`);
//! - a nested message present on the wire is always written, `{}` when empty, because Go
//!   never omits structs (`status: {}`, `strategy: {}`, `resources: {}`);
//! - `Time` zero is `null` (`creationTimestamp: null`); a zero `IntOrString` or `Quantity`
//!   follows the scalar rule (dropped unless a pointer or not `omitempty`), so an unset
//!   `targetPort` stays absent for defaulting;
//! - repeated fields and maps absent on the wire are absent (Go would print `null` for a
//!   nil list without `omitempty`; berth treats absent and null alike).

mod decode;
mod schema;
#[cfg(test)]
mod tests;
mod types;
mod wire;

use serde_json::{Map, Value};

use wire::{Reader, WireType};

/// The Content-Type of Kubernetes protobuf bodies.
pub const CONTENT_TYPE: &str = "application/vnd.kubernetes.protobuf";

/// The four bytes every Kubernetes protobuf body starts with.
pub const MAGIC: [u8; 4] = *b"k8s\0";

/// Why a protobuf body could not be decoded. The message is meant for a 400 BadRequest.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProtobufError {
    /// The body does not start with `k8s\0`.
    #[error("unable to decode protobuf: body does not start with the Kubernetes protobuf magic \"k8s\\x00\"")]
    MissingMagic,
    /// The body ends in the middle of a value.
    #[error("unable to decode protobuf: truncated input")]
    Truncated,
    /// The envelope names no kind.
    #[error("unable to decode protobuf: the envelope has no apiVersion and kind")]
    MissingTypeMeta,
    /// The envelope names a kind this server has no schema for.
    #[error("unable to decode protobuf: unknown kind {api_version}, Kind={kind}")]
    UnknownKind { api_version: String, kind: String },
    /// The envelope asks for an encoding this server does not support.
    #[error(
        "unable to decode protobuf: unsupported content encoding {0:?}; send the body uncompressed"
    )]
    ContentEncoding(String),
    /// The bytes do not fit the message schema.
    #[error("unable to decode protobuf: {}{reason}", path_prefix(.path))]
    Malformed { path: String, reason: String },
}

fn path_prefix(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("{path}: ")
    }
}

impl ProtobufError {
    pub(crate) fn malformed(reason: impl Into<String>) -> Self {
        ProtobufError::Malformed {
            path: String::new(),
            reason: reason.into(),
        }
    }

    /// Prefixes the JSON path of the field the error happened in.
    pub(crate) fn within(self, field: &str) -> Self {
        match self {
            ProtobufError::Malformed { path, reason } if !field.is_empty() => {
                let path = if path.is_empty() {
                    field.to_string()
                } else if path.starts_with('[') {
                    format!("{field}{path}")
                } else {
                    format!("{field}.{path}")
                };
                ProtobufError::Malformed { path, reason }
            }
            other => other,
        }
    }
}

/// Decodes a Kubernetes protobuf body (magic + `runtime.Unknown` envelope) into the JSON
/// object kube-apiserver would see, with `apiVersion` and `kind` from the envelope.
pub fn decode(body: &[u8]) -> Result<Value, ProtobufError> {
    decode_at_depth(body, 0)
}

pub(crate) fn decode_at_depth(body: &[u8], depth: usize) -> Result<Value, ProtobufError> {
    let rest = body
        .strip_prefix(&MAGIC[..])
        .ok_or(ProtobufError::MissingMagic)?;
    let unknown = Envelope::parse(rest)?;
    if !unknown.content_encoding.is_empty() {
        return Err(ProtobufError::ContentEncoding(unknown.content_encoding));
    }
    if unknown.kind.is_empty() {
        return Err(ProtobufError::MissingTypeMeta);
    }
    let mut out = Map::new();
    out.insert(
        "apiVersion".into(),
        Value::String(unknown.api_version.clone()),
    );
    out.insert("kind".into(), Value::String(unknown.kind.clone()));
    if unknown.content_type.starts_with("application/json") {
        // An envelope may carry JSON; take it as is, the envelope's type wins.
        let obj: Value = serde_json::from_slice(unknown.raw)
            .map_err(|e| ProtobufError::malformed(format!("embedded JSON: {e}")))?;
        if let Value::Object(obj) = obj {
            for (k, v) in obj {
                out.entry(k).or_insert(v);
            }
        }
        return Ok(Value::Object(out));
    }
    let message = message_for(&unknown.api_version, &unknown.kind).ok_or_else(|| {
        ProtobufError::UnknownKind {
            api_version: unknown.api_version.clone(),
            kind: unknown.kind.clone(),
        }
    })?;
    decode::message(unknown.raw, message, &mut out, depth + 1)?;
    Ok(Value::Object(out))
}

/// The OpenAPI definition name of the message decoded for `apiVersion`/`kind`, if any.
pub fn message_name(api_version: &str, kind: &str) -> Option<&'static str> {
    message_for(api_version, kind).map(|m| m.name)
}

fn message_for(api_version: &str, kind: &str) -> Option<&'static types::Message> {
    let found = schema::KINDS
        .binary_search_by(|(av, k, _)| (*av, *k).cmp(&(api_version, kind)))
        .ok()
        .map(|i| schema::KINDS[i].2);
    // DeleteOptions is registered in every group version.
    let index = found.or_else(|| {
        (kind == "DeleteOptions")
            .then(|| message_for("meta.k8s.io/v1", kind))
            .flatten()
            .and_then(|m| message_index(m.name))
    })?;
    schema::MESSAGES.get(usize::from(index))
}

fn message_index(name: &str) -> Option<u16> {
    schema::MESSAGES
        .binary_search_by(|m| m.name.cmp(name))
        .ok()
        .and_then(|i| u16::try_from(i).ok())
}

/// The `runtime.Unknown` envelope.
struct Envelope<'a> {
    api_version: String,
    kind: String,
    raw: &'a [u8],
    content_encoding: String,
    content_type: String,
}

impl<'a> Envelope<'a> {
    fn parse(buf: &'a [u8]) -> Result<Self, ProtobufError> {
        let mut env = Envelope {
            api_version: String::new(),
            kind: String::new(),
            raw: &[],
            content_encoding: String::new(),
            content_type: String::new(),
        };
        let mut r = Reader::new(buf);
        while !r.is_empty() {
            let (tag, wire) = r.key()?;
            if wire != WireType::Len || !(1..=4).contains(&tag) {
                r.skip(wire)?;
                continue;
            }
            let bytes = r.bytes()?;
            match tag {
                1 => {
                    let mut t = Reader::new(bytes);
                    while !t.is_empty() {
                        let (tag, wire) = t.key()?;
                        match (tag, wire) {
                            (1, WireType::Len) => env.api_version = utf8(t.bytes()?),
                            (2, WireType::Len) => env.kind = utf8(t.bytes()?),
                            _ => t.skip(wire)?,
                        }
                    }
                }
                2 => env.raw = bytes,
                3 => env.content_encoding = utf8(bytes),
                _ => env.content_type = utf8(bytes),
            }
        }
        Ok(env)
    }
}

/// Go strings may hold any bytes; `encoding/json` writes invalid UTF-8 as U+FFFD.
pub(crate) fn utf8(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
