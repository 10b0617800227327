//! Schema-driven decoding of one protobuf message into a JSON object, including the
//! Kubernetes types whose JSON form is custom (Time, Quantity, IntOrString, ...).

use serde_json::{Map, Number, Value};

use super::schema::MESSAGES;
use super::types::{Field, Kind, Message, INLINE, REPEATED};
use super::wire::{Reader, WireType};
use super::{decode_at_depth, utf8, ProtobufError, MAGIC};

/// Deeper nesting than any Kubernetes object has; bounds recursion on hostile input.
const MAX_DEPTH: usize = 64;

/// Go's zero `time.Time` as Unix seconds (0001-01-01T00:00:00Z).
const GO_ZERO_TIME_SECONDS: i64 = -62_135_596_800;

/// Decodes `buf` as `message`, adding its fields to `out` (inline fields and repeated
/// occurrences of a message merge into the same object, as in Go).
pub(crate) fn message(
    buf: &[u8],
    message: &Message,
    out: &mut Map<String, Value>,
    depth: usize,
) -> Result<(), ProtobufError> {
    if depth > MAX_DEPTH {
        return Err(ProtobufError::malformed(format!(
            "messages nested deeper than {MAX_DEPTH}"
        )));
    }
    let mut r = Reader::new(buf);
    while !r.is_empty() {
        let (tag, wire) = r.key()?;
        let Some(field) = message.field(tag) else {
            r.skip(wire)?;
            continue;
        };
        decode_field(&mut r, wire, field, out, depth).map_err(|e| e.within(field.json))?;
    }
    Ok(())
}

fn nested(index: u16) -> Result<&'static Message, ProtobufError> {
    MESSAGES
        .get(usize::from(index))
        .ok_or_else(|| ProtobufError::malformed("schema refers to a missing message"))
}

fn decode_field(
    r: &mut Reader<'_>,
    wire: WireType,
    field: &Field,
    out: &mut Map<String, Value>,
    depth: usize,
) -> Result<(), ProtobufError> {
    if field.has(REPEATED) {
        let values = repeated(r, wire, field.kind, depth)?;
        match out.get_mut(field.json) {
            Some(Value::Array(list)) => list.extend(values),
            _ => {
                out.insert(field.json.to_string(), Value::Array(values));
            }
        }
        return Ok(());
    }
    match field.kind {
        Kind::Message(index) => {
            let sub = nested(index)?;
            let bytes = expect_len(r, wire, field.kind)?;
            if field.has(INLINE) {
                return message(bytes, sub, out, depth + 1);
            }
            let mut obj = match out.remove(field.json) {
                Some(Value::Object(obj)) => obj,
                _ => Map::new(),
            };
            message(bytes, sub, &mut obj, depth + 1)?;
            out.insert(field.json.to_string(), Value::Object(obj));
        }
        Kind::Map(value_kind) => {
            let bytes = expect_len(r, wire, field.kind)?;
            let (key, value) = map_entry(bytes, value_kind, depth)?;
            let entry = out
                .entry(field.json.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            if let Value::Object(map) = entry {
                // Go writes map entries sorted by key, so wire order is JSON order.
                map.insert(key, value);
            }
        }
        kind => {
            let (value, zero) = single(r, wire, kind, depth)?;
            if zero && !field.keeps_zero() {
                out.remove(field.json);
            } else {
                out.insert(field.json.to_string(), value);
            }
        }
    }
    Ok(())
}

/// Values of one occurrence of a repeated field: packed scalars yield several.
fn repeated(
    r: &mut Reader<'_>,
    wire: WireType,
    kind: Kind,
    depth: usize,
) -> Result<Vec<Value>, ProtobufError> {
    let packable = matches!(kind, Kind::Bool | Kind::Int32 | Kind::Int64 | Kind::Double);
    if packable && wire == WireType::Len {
        let mut packed = Reader::new(r.bytes()?);
        let mut values = Vec::new();
        while !packed.is_empty() {
            let wire = if kind == Kind::Double {
                WireType::Fixed64
            } else {
                WireType::Varint
            };
            values.push(single(&mut packed, wire, kind, depth)?.0);
        }
        return Ok(values);
    }
    let value = match kind {
        Kind::Message(index) => {
            let bytes = expect_len(r, wire, kind)?;
            let mut obj = Map::new();
            message(bytes, nested(index)?, &mut obj, depth + 1)?;
            Value::Object(obj)
        }
        Kind::Map(_) => return Err(ProtobufError::malformed("repeated map in schema")),
        kind => single(r, wire, kind, depth)?.0,
    };
    Ok(vec![value])
}

fn expect_len<'a>(
    r: &mut Reader<'a>,
    wire: WireType,
    kind: Kind,
) -> Result<&'a [u8], ProtobufError> {
    if wire != WireType::Len {
        return Err(wrong_wire(wire, kind));
    }
    r.bytes()
}

fn wrong_wire(wire: WireType, kind: Kind) -> ProtobufError {
    ProtobufError::malformed(format!(
        "wrong wire type {} for a {kind:?} field",
        wire.name()
    ))
}

/// One non-message value and whether it is a zero that `omitempty` drops. Go never
/// omits a struct, so Time, Duration and RawExtension are never such a zero; IntOrString
/// and Quantity are treated like scalars so an unset `targetPort` stays unset.
fn single(
    r: &mut Reader<'_>,
    wire: WireType,
    kind: Kind,
    depth: usize,
) -> Result<(Value, bool), ProtobufError> {
    let expected = match kind {
        Kind::Bool | Kind::Int32 | Kind::Int64 => WireType::Varint,
        Kind::Double => WireType::Fixed64,
        _ => WireType::Len,
    };
    if wire != expected {
        return Err(wrong_wire(wire, kind));
    }
    Ok(match kind {
        Kind::Bool => {
            let b = r.varint()? != 0;
            (Value::Bool(b), !b)
        }
        // int32 is sign-extended to 64 bits on the wire; truncation is the protobuf rule.
        Kind::Int32 => {
            let n = r.varint()? as i64 as i32;
            (Value::from(n), n == 0)
        }
        Kind::Int64 => {
            let n = r.varint()? as i64;
            (Value::from(n), n == 0)
        }
        Kind::Double => {
            let x = f64::from_bits(r.fixed64()?);
            let n = Number::from_f64(x)
                .ok_or_else(|| ProtobufError::malformed(format!("unsupported number {x}")))?;
            (Value::Number(n), x == 0.0)
        }
        Kind::String => {
            let s = utf8(r.bytes()?);
            let zero = s.is_empty();
            (Value::String(s), zero)
        }
        Kind::Bytes => {
            let b = r.bytes()?;
            (Value::String(base64(b)), b.is_empty())
        }
        special => special_message(r.bytes()?, special, depth)?,
    })
}

/// A map entry {1 key, 2 value}; a missing value is the value type's zero, as in Go.
fn map_entry(
    buf: &[u8],
    value_kind: &Kind,
    depth: usize,
) -> Result<(String, Value), ProtobufError> {
    let mut r = Reader::new(buf);
    let mut key = String::new();
    let mut value = None;
    while !r.is_empty() {
        let (tag, wire) = r.key()?;
        match tag {
            1 => key = utf8(expect_len(&mut r, wire, Kind::String)?),
            2 => {
                value = Some(match *value_kind {
                    Kind::Message(index) => {
                        let mut obj = Map::new();
                        let bytes = expect_len(&mut r, wire, *value_kind)?;
                        message(bytes, nested(index)?, &mut obj, depth + 1)?;
                        Value::Object(obj)
                    }
                    kind => single(&mut r, wire, kind, depth)?.0,
                })
            }
            _ => r.skip(wire)?,
        }
    }
    let value = match value {
        Some(v) => v,
        None => match *value_kind {
            Kind::Message(_) => Value::Object(Map::new()),
            kind => special_or_scalar_zero(kind, depth)?,
        },
    };
    Ok((key, value))
}

fn special_or_scalar_zero(kind: Kind, depth: usize) -> Result<Value, ProtobufError> {
    Ok(match kind {
        Kind::String | Kind::Bytes => Value::String(String::new()),
        Kind::Bool => Value::Bool(false),
        Kind::Int32 | Kind::Int64 | Kind::Double => Value::from(0),
        special => special_message(&[], special, depth)?.0,
    })
}

/// Types with a custom Go JSON marshaler, from their message bytes.
fn special_message(buf: &[u8], kind: Kind, depth: usize) -> Result<(Value, bool), ProtobufError> {
    match kind {
        Kind::Time | Kind::MicroTime => time(buf, kind == Kind::MicroTime),
        Kind::Duration => {
            let ns = scalar_fields(buf)?.int(1);
            Ok((Value::String(go_duration(ns)), false))
        }
        Kind::Quantity => {
            let s = scalar_fields(buf)?.string(1);
            if s.is_empty() {
                // Go's zero Quantity marshals as "0".
                Ok((Value::String("0".into()), true))
            } else {
                Ok((Value::String(s), false))
            }
        }
        Kind::IntOrString => {
            let f = scalar_fields(buf)?;
            match f.int(1) {
                0 => {
                    let n = f.int(2) as i32;
                    Ok((Value::from(n), n == 0))
                }
                1 => {
                    let s = f.string(3);
                    Ok((Value::String(s), false))
                }
                t => Err(ProtobufError::malformed(format!(
                    "invalid IntOrString type {t}"
                ))),
            }
        }
        Kind::RawExtension | Kind::FieldsV1 => {
            let f = scalar_fields(buf)?;
            match f.bytes(1) {
                None | Some([]) => Ok((Value::Null, false)),
                Some(raw) if raw.starts_with(&MAGIC) => {
                    if depth > MAX_DEPTH {
                        return Err(ProtobufError::malformed("objects nested too deep"));
                    }
                    Ok((decode_at_depth(raw, depth + 1)?, false))
                }
                Some(raw) => serde_json::from_slice(raw)
                    .map(|v| (v, false))
                    .map_err(|e| ProtobufError::malformed(format!("embedded JSON: {e}"))),
            }
        }
        Kind::StringList => {
            let mut r = Reader::new(buf);
            let mut items = Vec::new();
            while !r.is_empty() {
                let (tag, wire) = r.key()?;
                if tag == 1 {
                    items.push(Value::String(utf8(expect_len(&mut r, wire, Kind::String)?)));
                } else {
                    r.skip(wire)?;
                }
            }
            let zero = items.is_empty();
            Ok((Value::Array(items), zero))
        }
        other => Err(ProtobufError::malformed(format!(
            "{other:?} is not a message type"
        ))),
    }
}

/// The last varint and length-delimited value of each small field number.
#[derive(Default)]
struct ScalarFields<'a> {
    ints: [Option<u64>; 4],
    bytes: [Option<&'a [u8]>; 4],
}

impl<'a> ScalarFields<'a> {
    fn int(&self, tag: usize) -> i64 {
        self.ints[tag].unwrap_or(0) as i64
    }
    fn bytes(&self, tag: usize) -> Option<&'a [u8]> {
        self.bytes[tag]
    }
    fn string(&self, tag: usize) -> String {
        self.bytes[tag].map(utf8).unwrap_or_default()
    }
}

fn scalar_fields(buf: &[u8]) -> Result<ScalarFields<'_>, ProtobufError> {
    let mut f = ScalarFields::default();
    let mut r = Reader::new(buf);
    while !r.is_empty() {
        let (tag, wire) = r.key()?;
        let slot = usize::try_from(tag).ok().filter(|t| *t < 4);
        match (slot, wire) {
            (Some(t), WireType::Varint) => f.ints[t] = Some(r.varint()?),
            (Some(t), WireType::Len) => f.bytes[t] = Some(r.bytes()?),
            _ => r.skip(wire)?,
        }
    }
    Ok(f)
}

/// `meta.v1.Time`/`MicroTime` {1 seconds, 2 nanos}. Time keeps whole seconds (its Go
/// Unmarshal drops nanos); MicroTime prints microseconds. Go's zero time is `null`.
fn time(buf: &[u8], micro: bool) -> Result<(Value, bool), ProtobufError> {
    let f = scalar_fields(buf)?;
    let seconds = f.int(1);
    let nanos = if micro { i64::from(f.int(2) as i32) } else { 0 };
    if buf.is_empty() || (seconds == GO_ZERO_TIME_SECONDS && nanos == 0) {
        return Ok((Value::Null, false));
    }
    let secs = seconds.checked_add(nanos.div_euclid(1_000_000_000));
    let nsec = nanos.rem_euclid(1_000_000_000) as u32;
    let t = secs
        .and_then(|s| chrono::DateTime::from_timestamp(s, nsec))
        .filter(|t| (0..=9999).contains(&chrono::Datelike::year(t)))
        .ok_or_else(|| ProtobufError::malformed(format!("time {seconds}s out of range")))?;
    let text = if micro {
        t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    };
    Ok((Value::String(text), false))
}

/// Go's `time.Duration.String()`: `1h0m0s`, `1.5s`, `300ms`, `0s`.
pub(crate) fn go_duration(ns: i64) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let sign = if ns < 0 { "-" } else { "" };
    let u = ns.unsigned_abs();
    if u < 1_000_000_000 {
        let (unit, prec) = if u < 1_000 {
            ("ns", 0)
        } else if u < 1_000_000 {
            ("µs", 3)
        } else {
            ("ms", 6)
        };
        let (int, frac) = split_fraction(u, prec);
        return format!("{sign}{int}{frac}{unit}");
    }
    let (secs, frac) = split_fraction(u, 9);
    let mut text = format!("{}{frac}s", secs % 60);
    let minutes = secs / 60;
    if minutes > 0 {
        text = format!("{}m{text}", minutes % 60);
        let hours = minutes / 60;
        if hours > 0 {
            text = format!("{hours}h{text}");
        }
    }
    format!("{sign}{text}")
}

/// `v / 10^prec` as an integer and a `.fraction` without trailing zeros (empty if none).
fn split_fraction(v: u64, prec: u32) -> (u64, String) {
    let scale = 10u64.pow(prec);
    let frac = v % scale;
    if frac == 0 {
        return (v / scale, String::new());
    }
    let digits = format!("{frac:0width$}", width = prec as usize);
    (v / scale, format!(".{}", digits.trim_end_matches('0')))
}

/// Standard base64 with padding, as Go's `encoding/json` writes `[]byte`.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
