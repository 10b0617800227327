//! Create and update validation of API objects with kube-apiserver v1.33's rules and messages.
//!
//! Errors are [`FieldError`]s whose `Display` is byte-for-byte apimachinery's
//! `field.Error.Error()`, and [`invalid_message`] builds the 422 Status message from
//! them. Values are printed the way Go's `%q`/`%v`/`%#v` print them; Go structs that
//! cannot be inferred from JSON are carried as pre-rendered text (see [`go_repr`]).

mod config;
mod cron;
mod pod;
mod service;
mod workloads;

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

pub use cron::{parse_schedule, CronSchedule};

/// The kind of a field error, mirroring apimachinery's `field.ErrorType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorType {
    /// A required value is missing.
    Required,
    /// A value is malformed or out of range.
    Invalid,
    /// A value is not one of an enumerated set.
    NotSupported,
    /// A value that must be unique is repeated.
    Duplicate,
    /// A value is well-formed but not allowed here.
    Forbidden,
    /// A value is too long; the value itself is not printed.
    TooLong,
    /// A list has too many items.
    TooMany,
    /// A referenced value does not exist (e.g. a volume mount's volume).
    NotFound,
}

impl ErrorType {
    /// The `StatusCause.reason` (`metav1.CauseType`) for this error type.
    pub fn reason(self) -> &'static str {
        match self {
            ErrorType::Required => "FieldValueRequired",
            ErrorType::Invalid => "FieldValueInvalid",
            ErrorType::NotSupported => "FieldValueNotSupported",
            ErrorType::Duplicate => "FieldValueDuplicate",
            ErrorType::Forbidden => "FieldValueForbidden",
            ErrorType::TooLong => "FieldValueTooLong",
            ErrorType::TooMany => "FieldValueTooMany",
            ErrorType::NotFound => "FieldValueNotFound",
        }
    }

    /// The human text apimachinery prints for this type (`ErrorType.String()`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorType::Required => "Required value",
            ErrorType::Invalid => "Invalid value",
            ErrorType::NotSupported => "Unsupported value",
            ErrorType::Duplicate => "Duplicate value",
            ErrorType::Forbidden => "Forbidden",
            ErrorType::TooLong => "Too long",
            ErrorType::TooMany => "Too many",
            ErrorType::NotFound => "Not found",
        }
    }
}

impl fmt::Display for ErrorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One field-level validation error, like apimachinery's `field.Error`.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldError {
    /// What is wrong.
    pub kind: ErrorType,
    /// The JSON path of the field, e.g. `spec.template.spec.containers[0].image`.
    pub field: String,
    /// The offending value; `None` when upstream omits it. See [`go_repr`] for values
    /// Go prints in struct syntax.
    pub value: Option<Value>,
    /// Extra explanation appended after the value.
    pub detail: String,
}

/// Key of the single-key object that carries a value already rendered the way Go's
/// `%#v` prints it (used for Go structs such as `v1.LabelSelector`).
pub const GO_REPR_KEY: &str = "$goRepr";

/// Wraps text that must be printed verbatim as a [`FieldError`] value.
pub fn go_repr(text: impl Into<String>) -> Value {
    let mut m = Map::new();
    m.insert(GO_REPR_KEY.to_string(), Value::String(text.into()));
    Value::Object(m)
}

impl FieldError {
    /// `field.Required`.
    pub fn required(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(ErrorType::Required, field, None, detail)
    }

    /// `field.Invalid`.
    pub fn invalid(field: impl Into<String>, value: Value, detail: impl Into<String>) -> Self {
        Self::new(ErrorType::Invalid, field, Some(value), detail)
    }

    /// `field.NotSupported`: the detail lists the quoted supported values.
    pub fn not_supported(field: impl Into<String>, value: Value, supported: &[&str]) -> Self {
        let detail = if supported.is_empty() {
            String::new()
        } else {
            let quoted: Vec<String> = supported.iter().map(|s| go_quote(s)).collect();
            format!("supported values: {}", quoted.join(", "))
        };
        Self::new(ErrorType::NotSupported, field, Some(value), detail)
    }

    /// `field.Duplicate`.
    pub fn duplicate(field: impl Into<String>, value: Value) -> Self {
        Self::new(ErrorType::Duplicate, field, Some(value), "")
    }

    /// `field.Forbidden`.
    pub fn forbidden(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(ErrorType::Forbidden, field, None, detail)
    }

    /// `field.TooLong` with a byte limit.
    pub fn too_long(field: impl Into<String>, max_bytes: usize) -> Self {
        Self::new(
            ErrorType::TooLong,
            field,
            None,
            format!("may not be more than {max_bytes} bytes"),
        )
    }

    /// `field.TooMany`.
    pub fn too_many(field: impl Into<String>, actual: usize, max: usize) -> Self {
        let items = if max == 1 { "item" } else { "items" };
        Self::new(
            ErrorType::TooMany,
            field,
            Some(Value::from(actual)),
            format!("must have at most {max} {items}"),
        )
    }

    /// `field.NotFound`.
    pub fn not_found(field: impl Into<String>, value: Value) -> Self {
        Self::new(ErrorType::NotFound, field, Some(value), "")
    }

    fn new(
        kind: ErrorType,
        field: impl Into<String>,
        value: Option<Value>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            field: field.into(),
            value,
            detail: detail.into(),
        }
    }

    /// The message without the field path (`field.Error.ErrorBody()`), which is what
    /// a `StatusCause.message` holds.
    pub fn body(&self) -> String {
        let mut s = match (self.kind, &self.value) {
            (ErrorType::Required | ErrorType::Forbidden | ErrorType::TooLong, _) | (_, None) => {
                self.kind.as_str().to_string()
            }
            (_, Some(v)) => format!("{}: {}", self.kind, go_value(v)),
        };
        if !self.detail.is_empty() {
            s.push_str(": ");
            s.push_str(&self.detail);
        }
        s
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.body())
    }
}

impl std::error::Error for FieldError {}

/// Quotes a string the way Go's `strconv.Quote` (and `%q`) does.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => {
                if (c as u32) < 0x10000 {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Renders a bad value as apimachinery does: strings quoted, numbers and booleans
/// plain, `null` for nil, string maps as `map[string]string{...}`, string slices as
/// `[]string{...}`, [`go_repr`] text verbatim. Other objects and arrays have no Go type
/// to recover and are printed as compact JSON, an approximation of Go's `%#v`.
pub fn go_value(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => go_quote(s),
        Value::Object(m) => {
            if let (1, Some(Value::String(text))) = (m.len(), m.get(GO_REPR_KEY)) {
                return text.clone();
            }
            if m.values().all(Value::is_string) {
                return go_string_map(Some(m));
            }
            v.to_string()
        }
        Value::Array(a) => {
            if a.iter().all(Value::is_string) {
                let items: Vec<String> = a
                    .iter()
                    .map(|s| go_quote(s.as_str().unwrap_or_default()))
                    .collect();
                return format!("[]string{{{}}}", items.join(", "));
            }
            v.to_string()
        }
    }
}

/// `%#v` of a `map[string]string` (keys sorted, as fmt does); `None` is a nil map.
fn go_string_map(m: Option<&Map<String, Value>>) -> String {
    let Some(m) = m else {
        return "map[string]string(nil)".to_string();
    };
    let sorted: BTreeMap<&String, &Value> = m.iter().collect();
    let items: Vec<String> = sorted
        .into_iter()
        .map(|(k, v)| {
            format!(
                "{}:{}",
                go_quote(k),
                go_quote(v.as_str().unwrap_or_default())
            )
        })
        .collect();
    format!("map[string]string{{{}}}", items.join(", "))
}

/// `%#v` of a `[]string`; `None` is a nil slice.
fn go_string_slice(a: Option<&Vec<Value>>) -> String {
    match a {
        None => "[]string(nil)".to_string(),
        Some(a) => {
            let items: Vec<String> = a
                .iter()
                .map(|s| go_quote(s.as_str().unwrap_or_default()))
                .collect();
            format!("[]string{{{}}}", items.join(", "))
        }
    }
}

/// A `metav1.LabelSelector` value as Go's `%#v` prints it in validation messages.
pub fn label_selector_value(selector: Option<&Value>) -> Value {
    let Some(sel) = selector.filter(|s| !s.is_null()) else {
        return Value::Null;
    };
    let labels = go_string_map(sel.get("matchLabels").and_then(Value::as_object));
    let exprs = match sel.get("matchExpressions").and_then(Value::as_array) {
        None => "[]v1.LabelSelectorRequirement(nil)".to_string(),
        Some(list) => {
            let items: Vec<String> = list
                .iter()
                .map(|r| {
                    format!(
                        "v1.LabelSelectorRequirement{{Key:{}, Operator:{}, Values:{}}}",
                        go_quote(r.get("key").and_then(Value::as_str).unwrap_or_default()),
                        go_quote(
                            r.get("operator")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                        ),
                        go_string_slice(r.get("values").and_then(Value::as_array)),
                    )
                })
                .collect();
            format!("[]v1.LabelSelectorRequirement{{{}}}", items.join(", "))
        }
    };
    go_repr(format!(
        "v1.LabelSelector{{MatchLabels:{labels}, MatchExpressions:{exprs}}}"
    ))
}

/// An `intstr.IntOrString` value as Go's `%#v` prints it.
pub fn int_or_string_value(v: Option<&Value>) -> Value {
    match v {
        Some(Value::String(s)) => go_repr(format!(
            "intstr.IntOrString{{Type:1, IntVal:0, StrVal:{}}}",
            go_quote(s)
        )),
        Some(Value::Number(n)) => go_repr(format!(
            "intstr.IntOrString{{Type:0, IntVal:{}, StrVal:\"\"}}",
            n.as_i64().unwrap_or_default()
        )),
        _ => go_repr("intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}"),
    }
}

/// The Status message kube-apiserver returns with a 422 (`errors.NewInvalid`):
/// `Kind.group "name" is invalid: <errors>`, one error bare, several in brackets,
/// duplicates dropped.
pub fn invalid_message(kind: &str, group: &str, name: &str, errs: &[FieldError]) -> String {
    let qualified = if group.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}.{group}")
    };
    let mut seen = std::collections::HashSet::new();
    let msgs: Vec<String> = errs
        .iter()
        .map(ToString::to_string)
        .filter(|m| seen.insert(m.clone()))
        .collect();
    match msgs.len() {
        0 => format!("{qualified} {} is invalid", go_quote(name)),
        1 => format!("{qualified} {} is invalid: {}", go_quote(name), msgs[0]),
        _ => format!(
            "{qualified} {} is invalid: [{}]",
            go_quote(name),
            msgs.join(", ")
        ),
    }
}

// ---------------------------------------------------------------------------
// Name and label checks (k8s.io/apimachinery/pkg/util/validation).

const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_SUBDOMAIN_FMT: &str =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1035_LABEL_FMT: &str = "[a-z]([-a-z0-9]*[a-z0-9])?";
const QUALIFIED_NAME_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const QUALIFIED_NAME_ERR: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/// `validation.RegexError`.
fn regex_error(msg: &str, fmt: &str, examples: &[&str]) -> String {
    if examples.is_empty() {
        return format!("{msg} (regex used for validation is '{fmt}')");
    }
    let mut s = format!("{msg} (e.g. ");
    for (i, e) in examples.iter().enumerate() {
        if i > 0 {
            s.push_str(" or ");
        }
        s.push_str(&format!("'{e}', "));
    }
    s.push_str(&format!("regex used for validation is '{fmt}')"));
    s
}

/// `validation.MaxLenError`.
fn max_len_error(n: usize) -> String {
    format!("must be no more than {n} characters")
}

fn is_lower_alnum(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

fn matches_dns1123_label(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| is_lower_alnum(c) || c == '-')
        && s.starts_with(is_lower_alnum)
        && s.ends_with(is_lower_alnum)
}

fn matches_dns1123_subdomain(s: &str) -> bool {
    s.split('.').all(matches_dns1123_label)
}

fn matches_qualified_name_part(s: &str) -> bool {
    let alnum = |c: char| c.is_ascii_alphanumeric();
    !s.is_empty()
        && s.chars()
            .all(|c| alnum(c) || c == '-' || c == '_' || c == '.')
        && s.starts_with(alnum)
        && s.ends_with(alnum)
}

/// `IsDNS1123Subdomain`: at most 253 characters of lower-case alphanumerics, '-' and
/// '.', each dot-separated part starting and ending alphanumeric.
pub fn is_dns1123_subdomain(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > 253 {
        errs.push(max_len_error(253));
    }
    if !matches_dns1123_subdomain(value) {
        errs.push(regex_error(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
            DNS1123_SUBDOMAIN_FMT,
            &["example.com"],
        ));
    }
    errs
}

/// `IsDNS1123Label`: at most 63 lower-case alphanumerics or '-', starting and ending
/// alphanumeric.
pub fn is_dns1123_label(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > 63 {
        errs.push(max_len_error(63));
    }
    if !matches_dns1123_label(value) {
        if matches_dns1123_subdomain(value) {
            errs.push("must not contain dots".to_string());
        } else {
            errs.push(regex_error(
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
                DNS1123_LABEL_FMT,
                &["my-name", "123-abc"],
            ));
        }
    }
    errs
}

/// `IsDNS1035Label`: like a DNS-1123 label but starting with a letter (Service names).
pub fn is_dns1035_label(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > 63 {
        errs.push(max_len_error(63));
    }
    if !(matches_dns1123_label(value) && value.starts_with(|c: char| c.is_ascii_lowercase())) {
        errs.push(regex_error(
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
            DNS1035_LABEL_FMT,
            &["my-name", "abc-123"],
        ));
    }
    errs
}

/// `IsQualifiedName`: a label or annotation key, `[prefix/]name`.
pub fn is_qualified_name(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let parts: Vec<&str> = value.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errs.push("prefix part must be non-empty".to_string());
            } else {
                errs.extend(
                    is_dns1123_subdomain(prefix)
                        .into_iter()
                        .map(|m| format!("prefix part {m}")),
                );
            }
            *name
        }
        _ => {
            errs.push(format!(
                "a qualified name {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(QUALIFIED_NAME_ERR, QUALIFIED_NAME_FMT, &["MyName", "my.name", "123-abc"])
            ));
            return errs;
        }
    };
    if name.is_empty() {
        errs.push("name part must be non-empty".to_string());
    } else if name.len() > 63 {
        errs.push(format!("name part {}", max_len_error(63)));
    }
    if !matches_qualified_name_part(name) {
        errs.push(format!(
            "name part {}",
            regex_error(
                QUALIFIED_NAME_ERR,
                QUALIFIED_NAME_FMT,
                &["MyName", "my.name", "123-abc"]
            )
        ));
    }
    errs
}

/// `IsValidLabelValue`: empty, or at most 63 characters of a qualified name part.
pub fn is_valid_label_value(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > 63 {
        errs.push(max_len_error(63));
    }
    if !value.is_empty() && !matches_qualified_name_part(value) {
        errs.push(regex_error(
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
            "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?",
            &["MyValue", "my_value", "12345"],
        ));
    }
    errs
}

/// `IsConfigMapKey`: a ConfigMap or Secret data key.
pub fn is_config_map_key(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > 253 {
        errs.push(max_len_error(253));
    }
    if value.is_empty()
        || !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        errs.push(regex_error(
            "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
            "[-._a-zA-Z0-9]+",
            &["key.name", "KEY_NAME", "key-name"],
        ));
    }
    if value == "." {
        errs.push("must not be '.'".to_string());
    } else if value == ".." {
        errs.push("must not be '..'".to_string());
    } else if value.starts_with("..") {
        errs.push("must not start with '..'".to_string());
    }
    errs
}

/// `path.IsValidPathSegmentName`: names of RBAC objects.
pub fn is_valid_path_segment_name(value: &str) -> Vec<String> {
    if value == "." || value == ".." {
        return vec![format!("may not be '{value}'")];
    }
    ["/", "%"]
        .iter()
        .filter(|bad| value.contains(**bad))
        .map(|bad| format!("may not contain '{bad}'"))
        .collect()
}

/// `IsValidPortNum`.
fn is_valid_port_num(port: i64) -> Vec<String> {
    if (1..=65535).contains(&port) {
        Vec::new()
    } else {
        vec!["must be between 1 and 65535, inclusive".to_string()]
    }
}

/// `IsValidPortName`: an IANA service name.
fn is_valid_port_name(port: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if port.len() > 15 {
        errs.push(max_len_error(15));
    }
    if port.is_empty()
        || !port
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".into());
    }
    if !port.chars().any(|c| c.is_ascii_lowercase()) {
        errs.push("must contain at least one letter (a-z)".into());
    }
    if port.contains("--") {
        errs.push("must not contain consecutive hyphens".into());
    }
    if port.starts_with('-') || port.ends_with('-') {
        errs.push("must not begin or end with a hyphen".into());
    }
    errs
}

// ---------------------------------------------------------------------------
// Small JSON and path helpers shared by the submodules.

/// Appends a child field to a path (`field.Path.Child`).
fn child(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// Appends a list index to a path (`field.Path.Index`).
fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// Appends a map key to a path (`field.Path.Key`).
fn key(path: &str, k: &str) -> String {
    format!("{path}[{k}]")
}

fn get_str<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or_default()
}

fn get_obj<'a>(v: &'a Value, k: &str) -> Option<&'a Map<String, Value>> {
    v.get(k).and_then(Value::as_object)
}

fn get_arr<'a>(v: &'a Value, k: &str) -> &'a [Value] {
    v.get(k)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn get_i64(v: &Value, k: &str) -> Option<i64> {
    v.get(k).and_then(Value::as_i64)
}

/// `ValidateNonnegativeField`.
fn nonnegative(v: &Value, k: &str, path: &str, errs: &mut Vec<FieldError>) {
    if let Some(n) = get_i64(v, k) {
        if n < 0 {
            errs.push(FieldError::invalid(
                child(path, k),
                Value::from(n),
                "must be greater than or equal to 0",
            ));
        }
    }
}

/// Maps sorted by key, so that errors come out in a stable order (Go's map order is
/// random, so any order matches upstream).
fn sorted(m: Option<&Map<String, Value>>) -> Vec<(&String, &Value)> {
    let mut v: Vec<_> = m.into_iter().flatten().collect();
    v.sort_by(|a, b| a.0.cmp(b.0));
    v
}

/// Two JSON values equal, treating absent, `null`, `{}` and `[]` alike (Go's nil vs
/// empty distinction does not survive a JSON round trip).
fn semantically_equal(a: Option<&Value>, b: Option<&Value>) -> bool {
    fn empty(v: Option<&Value>) -> bool {
        match v {
            None | Some(Value::Null) => true,
            Some(Value::Object(m)) => m.is_empty(),
            Some(Value::Array(a)) => a.is_empty(),
            _ => false,
        }
    }
    if empty(a) && empty(b) {
        return true;
    }
    a == b
}

// ---------------------------------------------------------------------------
// Object metadata.

/// How a kind's `metadata.name` is validated.
#[derive(Clone, Copy)]
enum NameRule {
    Subdomain,
    Label,
    Dns1035,
    PathSegment,
}

fn name_rule(kind: &str) -> NameRule {
    match kind {
        "Namespace" | "StatefulSet" => NameRule::Label,
        "Service" => NameRule::Dns1035,
        "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding" => NameRule::PathSegment,
        _ => NameRule::Subdomain,
    }
}

fn check_name(rule: NameRule, name: &str, prefix: bool) -> Vec<String> {
    match rule {
        NameRule::PathSegment => is_valid_path_segment_name(name),
        _ => {
            // A generateName may end in '-': upstream masks it before checking.
            let masked;
            let name = if prefix && name.len() > 1 && name.ends_with('-') {
                masked = format!("{}a", &name[..name.len() - 1]);
                masked.as_str()
            } else {
                name
            };
            match rule {
                NameRule::Label => is_dns1123_label(name),
                NameRule::Dns1035 => is_dns1035_label(name),
                _ => is_dns1123_subdomain(name),
            }
        }
    }
}

/// Kinds that live outside namespaces.
fn is_cluster_scoped(kind: &str) -> bool {
    matches!(
        kind,
        "Namespace"
            | "Node"
            | "PersistentVolume"
            | "ClusterRole"
            | "ClusterRoleBinding"
            | "PriorityClass"
            | "StorageClass"
            | "CSIDriver"
            | "CSINode"
            | "IngressClass"
            | "CertificateSigningRequest"
            | "CustomResourceDefinition"
            | "APIService"
            | "RuntimeClass"
            | "MutatingWebhookConfiguration"
            | "ValidatingWebhookConfiguration"
            | "ComponentStatus"
            | "VolumeAttachment"
    )
}

/// Total size limit of all annotation keys and values.
pub const TOTAL_ANNOTATION_SIZE_LIMIT: usize = 256 * 1024;

/// `ValidateLabels`: keys are qualified names, values label values; errors are
/// reported on the map's path, as upstream does.
fn validate_labels(labels: Option<&Map<String, Value>>, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (k, v) in sorted(labels) {
        for msg in is_qualified_name(k) {
            errs.push(FieldError::invalid(path, Value::String(k.clone()), msg));
        }
        let v = v.as_str().unwrap_or_default();
        for msg in is_valid_label_value(v) {
            errs.push(FieldError::invalid(path, Value::String(v.to_string()), msg));
        }
    }
    errs
}

/// `ValidateAnnotations`: keys are case-insensitive qualified names; total size ≤ 256 KiB.
fn validate_annotations(annotations: Option<&Map<String, Value>>, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut total = 0usize;
    for (k, v) in sorted(annotations) {
        for msg in is_qualified_name(&k.to_lowercase()) {
            errs.push(FieldError::invalid(path, Value::String(k.clone()), msg));
        }
        total += k.len() + v.as_str().map_or(0, str::len);
    }
    if total > TOTAL_ANNOTATION_SIZE_LIMIT {
        errs.push(FieldError::too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT));
    }
    errs
}

/// `ValidateObjectMeta` for a create. The namespace is checked only when present: the
/// server fills it from the request path before validating.
fn validate_object_meta(kind: &str, obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let meta = obj.get("metadata").unwrap_or(&Value::Null);
    let rule = name_rule(kind);
    let generate_name = get_str(meta, "generateName");
    if !generate_name.is_empty() {
        for msg in check_name(rule, generate_name, true) {
            errs.push(FieldError::invalid(
                "metadata.generateName",
                Value::String(generate_name.to_string()),
                msg,
            ));
        }
    }
    let name = get_str(meta, "name");
    if name.is_empty() {
        errs.push(FieldError::required(
            "metadata.name",
            "name or generateName is required",
        ));
    } else {
        for msg in check_name(rule, name, false) {
            errs.push(FieldError::invalid(
                "metadata.name",
                Value::String(name.to_string()),
                msg,
            ));
        }
    }
    let namespace = get_str(meta, "namespace");
    if !namespace.is_empty() {
        if is_cluster_scoped(kind) {
            errs.push(FieldError::forbidden(
                "metadata.namespace",
                "not allowed on this type",
            ));
        } else {
            for msg in is_dns1123_label(namespace) {
                errs.push(FieldError::invalid(
                    "metadata.namespace",
                    Value::String(namespace.to_string()),
                    msg,
                ));
            }
        }
    }
    nonnegative(meta, "generation", "metadata", &mut errs);
    errs.extend(validate_meta_maps(meta));
    errs
}

/// Labels, annotations and finalizers, checked on both create and update.
fn validate_meta_maps(meta: &Value) -> Vec<FieldError> {
    let mut errs = validate_labels(get_obj(meta, "labels"), "metadata.labels");
    errs.extend(validate_annotations(
        get_obj(meta, "annotations"),
        "metadata.annotations",
    ));
    for (i, f) in get_arr(meta, "finalizers").iter().enumerate() {
        let f = f.as_str().unwrap_or_default();
        for msg in is_qualified_name(f) {
            errs.push(FieldError::invalid(
                index("metadata.finalizers", i),
                Value::String(f.to_string()),
                msg,
            ));
        }
    }
    errs
}

/// `ValidateObjectMetaUpdate`: identity fields may not change. `uid` and
/// `creationTimestamp` missing from the new object count as unchanged, because the
/// server copies them from the stored object.
fn validate_object_meta_update(obj: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let meta = obj.get("metadata").unwrap_or(&Value::Null);
    let old_meta = old.get("metadata").unwrap_or(&Value::Null);
    for (field, may_be_omitted) in [
        ("name", false),
        ("namespace", false),
        ("uid", true),
        ("creationTimestamp", true),
    ] {
        let new_v = get_str(meta, field);
        let old_v = get_str(old_meta, field);
        if may_be_omitted && new_v.is_empty() {
            continue;
        }
        if new_v != old_v {
            errs.push(immutable(
                child("metadata", field),
                Value::String(new_v.to_string()),
            ));
        }
    }
    errs.extend(validate_meta_maps(meta));
    errs
}

/// The message of `ValidateImmutableField`.
pub const FIELD_IMMUTABLE: &str = "field is immutable";

fn immutable(field: impl Into<String>, value: Value) -> FieldError {
    FieldError::invalid(field, value, FIELD_IMMUTABLE)
}

// ---------------------------------------------------------------------------
// Label selectors.

/// `ValidateLabelSelector` (strict label values).
fn validate_label_selector(sel: &Value, path: &str) -> Vec<FieldError> {
    let mut errs = validate_labels(get_obj(sel, "matchLabels"), &child(path, "matchLabels"));
    let exprs_path = child(path, "matchExpressions");
    for (i, req) in get_arr(sel, "matchExpressions").iter().enumerate() {
        let p = index(&exprs_path, i);
        let values = get_arr(req, "values");
        let op = get_str(req, "operator");
        match op {
            "In" | "NotIn" => {
                if values.is_empty() {
                    errs.push(FieldError::required(
                        child(&p, "values"),
                        "must be specified when `operator` is 'In' or 'NotIn'",
                    ));
                }
            }
            "Exists" | "DoesNotExist" => {
                if !values.is_empty() {
                    errs.push(FieldError::forbidden(
                        child(&p, "values"),
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    ));
                }
            }
            _ => errs.push(FieldError::invalid(
                child(&p, "operator"),
                Value::String(op.to_string()),
                "not a valid selector operator",
            )),
        }
        let k = get_str(req, "key");
        for msg in is_qualified_name(k) {
            errs.push(FieldError::invalid(
                child(&p, "key"),
                Value::String(k.to_string()),
                msg,
            ));
        }
        for (j, v) in values.iter().enumerate() {
            let v = v.as_str().unwrap_or_default();
            for msg in is_valid_label_value(v) {
                errs.push(FieldError::invalid(
                    index(&child(&p, "values"), j),
                    Value::String(v.to_string()),
                    msg,
                ));
            }
        }
    }
    errs
}

/// True when a selector selects nothing in particular (no labels, no expressions).
fn selector_is_empty(sel: &Value) -> bool {
    get_obj(sel, "matchLabels").is_none_or(Map::is_empty)
        && get_arr(sel, "matchExpressions").is_empty()
}

/// Whether `labels` satisfy a `metav1.LabelSelector`. A missing selector matches
/// nothing, as `LabelSelectorAsSelector(nil)` does.
fn selector_matches(sel: Option<&Value>, labels: Option<&Map<String, Value>>) -> bool {
    let Some(sel) = sel.filter(|s| s.is_object()) else {
        return false;
    };
    let label = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
    let labels_ok = get_obj(sel, "matchLabels")
        .into_iter()
        .flatten()
        .all(|(k, v)| label(k) == v.as_str());
    let exprs_ok = get_arr(sel, "matchExpressions").iter().all(|req| {
        let k = get_str(req, "key");
        let values: Vec<&str> = get_arr(req, "values")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        match get_str(req, "operator") {
            "In" => label(k).is_some_and(|v| values.contains(&v)),
            "NotIn" => label(k).is_none_or(|v| !values.contains(&v)),
            "Exists" => label(k).is_some(),
            "DoesNotExist" => label(k).is_none(),
            _ => false,
        }
    });
    labels_ok && exprs_ok
}

// ---------------------------------------------------------------------------
// Entry points.

/// Validates an object for a create, returning every error kube-apiserver would
/// report (an empty list means valid). Run it after [`crate::defaults::apply_defaults`]:
/// like upstream, several rules rely on defaulted fields.
///
/// Kinds without specific rules get object-metadata validation only.
pub fn validate(kind: &str, obj: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta(kind, obj);
    match kind {
        "Pod" => errs.extend(pod::validate_pod(obj)),
        "PodTemplate" => errs.extend(pod::validate_template(
            obj.get("template").unwrap_or(&Value::Null),
            "template",
        )),
        "Deployment" => errs.extend(workloads::validate_deployment(obj)),
        "ReplicaSet" => errs.extend(workloads::validate_replica_set(obj)),
        "DaemonSet" => errs.extend(workloads::validate_daemon_set(obj)),
        "StatefulSet" => errs.extend(workloads::validate_stateful_set(obj)),
        "Job" => errs.extend(workloads::validate_job(obj)),
        "CronJob" => errs.extend(workloads::validate_cron_job(obj)),
        "Service" => errs.extend(service::validate_service(obj)),
        "ConfigMap" => errs.extend(config::validate_config_map(obj)),
        "Secret" => errs.extend(config::validate_secret(obj)),
        "Namespace" => errs.extend(config::validate_namespace(obj)),
        _ => {}
    }
    errs
}

/// Validates an update of `old` to `obj`: the create rules on the new object (except
/// name format, which cannot change) plus each kind's immutable fields.
pub fn validate_update(kind: &str, obj: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update(obj, old);
    match kind {
        "Pod" => errs.extend(pod::validate_pod_update(obj, old)),
        "PodTemplate" => errs.extend(pod::validate_template(
            obj.get("template").unwrap_or(&Value::Null),
            "template",
        )),
        "Deployment" => {
            errs.extend(workloads::validate_deployment(obj));
            errs.extend(workloads::selector_immutable(obj, old));
        }
        "ReplicaSet" => {
            errs.extend(workloads::validate_replica_set(obj));
            errs.extend(workloads::selector_immutable(obj, old));
        }
        "DaemonSet" => {
            errs.extend(workloads::validate_daemon_set(obj));
            errs.extend(workloads::selector_immutable(obj, old));
        }
        "StatefulSet" => errs.extend(workloads::validate_stateful_set_update(obj, old)),
        "Job" => errs.extend(workloads::validate_job_update(obj, old)),
        "CronJob" => errs.extend(workloads::validate_cron_job(obj)),
        "Service" => errs.extend(service::validate_service_update(obj, old)),
        "ConfigMap" => errs.extend(config::validate_config_map_update(obj, old)),
        "Secret" => errs.extend(config::validate_secret_update(obj, old)),
        "Namespace" => errs.extend(config::validate_namespace(obj)),
        _ => {}
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn display_matches_apimachinery() {
        assert_eq!(
            FieldError::required("spec.selector", "").to_string(),
            "spec.selector: Required value"
        );
        assert_eq!(
            FieldError::required("metadata.name", "name or generateName is required").to_string(),
            "metadata.name: Required value: name or generateName is required"
        );
        assert_eq!(
            FieldError::invalid("spec.clusterIP", json!("10.96.0.5"), FIELD_IMMUTABLE).to_string(),
            "spec.clusterIP: Invalid value: \"10.96.0.5\": field is immutable"
        );
        assert_eq!(
            FieldError::invalid(
                "spec.replicas",
                json!(-1),
                "must be greater than or equal to 0"
            )
            .to_string(),
            "spec.replicas: Invalid value: -1: must be greater than or equal to 0"
        );
        assert_eq!(
            FieldError::not_supported("spec.restartPolicy", json!("Sometimes"), &["Always", "OnFailure", "Never"])
                .to_string(),
            "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\""
        );
        assert_eq!(
            FieldError::duplicate("spec.containers[1].name", json!("web")).to_string(),
            "spec.containers[1].name: Duplicate value: \"web\""
        );
        assert_eq!(
            FieldError::forbidden("metadata.namespace", "not allowed on this type").to_string(),
            "metadata.namespace: Forbidden: not allowed on this type"
        );
        assert_eq!(
            FieldError::too_long("metadata.annotations", TOTAL_ANNOTATION_SIZE_LIMIT).to_string(),
            "metadata.annotations: Too long: may not be more than 262144 bytes"
        );
        assert_eq!(
            FieldError::too_many("spec.x", 5, 4).to_string(),
            "spec.x: Too many: 5: must have at most 4 items"
        );
        assert_eq!(
            FieldError::invalid("a", Value::Null, "d").to_string(),
            "a: Invalid value: null: d"
        );
        assert_eq!(
            FieldError::not_found("spec.containers[0].volumeMounts[0].name", json!("data"))
                .to_string(),
            "spec.containers[0].volumeMounts[0].name: Not found: \"data\""
        );
    }

    #[test]
    fn reasons() {
        assert_eq!(ErrorType::Required.reason(), "FieldValueRequired");
        assert_eq!(ErrorType::Invalid.reason(), "FieldValueInvalid");
        assert_eq!(ErrorType::NotSupported.reason(), "FieldValueNotSupported");
        assert_eq!(ErrorType::Duplicate.reason(), "FieldValueDuplicate");
        assert_eq!(ErrorType::Forbidden.reason(), "FieldValueForbidden");
        assert_eq!(ErrorType::TooLong.reason(), "FieldValueTooLong");
        assert_eq!(ErrorType::TooMany.reason(), "FieldValueTooMany");
        assert_eq!(ErrorType::NotFound.reason(), "FieldValueNotFound");
    }

    #[test]
    fn go_values() {
        assert_eq!(
            go_value(&json!({"b": "2", "app": "x"})),
            "map[string]string{\"app\":\"x\", \"b\":\"2\"}"
        );
        assert_eq!(go_value(&json!({})), "map[string]string{}");
        assert_eq!(go_value(&json!(["a", "b"])), "[]string{\"a\", \"b\"}");
        assert_eq!(
            go_value(&json!("tab\there \"q\"")),
            "\"tab\\there \\\"q\\\"\""
        );
        assert_eq!(go_value(&json!("é")), "\"é\"");
        assert_eq!(go_value(&json!(true)), "true");
        assert_eq!(go_value(&json!(2.5)), "2.5");
        assert_eq!(
            go_value(&label_selector_value(Some(&json!({"matchLabels": {"app": "web2"}})))),
            "v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web2\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}"
        );
        assert_eq!(
            go_value(&label_selector_value(Some(&json!({"matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["a", "b"]},
                {"key": "x", "operator": "Exists"}]})))),
            "v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:\"tier\", Operator:\"In\", Values:[]string{\"a\", \"b\"}}, v1.LabelSelectorRequirement{Key:\"x\", Operator:\"Exists\", Values:[]string(nil)}}}"
        );
        assert_eq!(
            go_value(&int_or_string_value(Some(&json!(0)))),
            "intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}"
        );
        assert_eq!(
            go_value(&int_or_string_value(Some(&json!("0%")))),
            "intstr.IntOrString{Type:1, IntVal:0, StrVal:\"0%\"}"
        );
    }

    #[test]
    fn invalid_messages() {
        let one = [FieldError::required("spec.selector", "")];
        assert_eq!(
            invalid_message("Deployment", "apps", "web", &one),
            "Deployment.apps \"web\" is invalid: spec.selector: Required value"
        );
        let two = [
            FieldError::required("spec.selector", ""),
            FieldError::invalid(
                "spec.template.metadata.labels",
                json!({"app": "x"}),
                "`selector` does not match template `labels`",
            ),
            FieldError::required("spec.selector", ""),
        ];
        assert_eq!(
            invalid_message("Deployment", "apps", "web", &two),
            "Deployment.apps \"web\" is invalid: [spec.selector: Required value, spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"x\"}: `selector` does not match template `labels`]"
        );
        assert_eq!(
            invalid_message("Pod", "", "x", &one),
            "Pod \"x\" is invalid: spec.selector: Required value"
        );
        assert_eq!(invalid_message("Pod", "", "x", &[]), "Pod \"x\" is invalid");
    }

    #[test]
    fn dns_names() {
        assert!(is_dns1123_subdomain("example.com").is_empty());
        assert_eq!(
            is_dns1123_subdomain("Foo_Bar"),
            vec!["a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"]
        );
        assert_eq!(
            is_dns1123_subdomain(&"a".repeat(254))[0],
            "must be no more than 253 characters"
        );
        assert!(is_dns1123_label("my-name").is_empty());
        assert_eq!(
            is_dns1123_label("My_Name"),
            vec!["a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"]
        );
        assert_eq!(is_dns1123_label("a.b"), vec!["must not contain dots"]);
        assert_eq!(
            is_dns1123_label(&"a".repeat(64)),
            vec!["must be no more than 63 characters"]
        );
        assert!(is_dns1035_label("web").is_empty());
        assert_eq!(
            is_dns1035_label("1web"),
            vec!["a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"]
        );
        assert_eq!(is_valid_path_segment_name(".."), vec!["may not be '..'"]);
        assert_eq!(
            is_valid_path_segment_name("a/b%c"),
            vec!["may not contain '/'", "may not contain '%'"]
        );
        assert!(is_valid_path_segment_name("system:controller:x").is_empty());
    }

    #[test]
    fn qualified_names_and_label_values() {
        assert!(is_qualified_name("app.kubernetes.io/name").is_empty());
        assert!(is_qualified_name("MyName").is_empty());
        assert_eq!(
            is_qualified_name("-bad"),
            vec!["name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"]
        );
        assert_eq!(
            is_qualified_name("/x"),
            vec!["prefix part must be non-empty"]
        );
        assert_eq!(
            is_qualified_name("Example.com/x")[0],
            "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
        );
        assert!(is_qualified_name("a/b/c")[0].starts_with("a qualified name must consist of"));
        assert!(is_qualified_name("a/b/c")[0].ends_with(
            "with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ));
        assert_eq!(is_qualified_name("x/"), vec!["name part must be non-empty", "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"]);
        assert!(is_valid_label_value("").is_empty());
        assert!(is_valid_label_value("v1.2_x").is_empty());
        assert_eq!(
            is_valid_label_value("bad value"),
            vec!["a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"]
        );
        assert!(is_config_map_key("key.name").is_empty());
        assert_eq!(is_config_map_key(".."), vec!["must not be '..'"]);
        assert_eq!(
            is_config_map_key("a b"),
            vec!["a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"]
        );
    }

    #[test]
    fn metadata_name_rules_per_kind() {
        let errs = validate("ConfigMap", &json!({"metadata": {"name": "Foo_Bar"}}));
        assert_eq!(
            errs[0].to_string(),
            "metadata.name: Invalid value: \"Foo_Bar\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
        );
        let errs = validate("Namespace", &json!({"metadata": {"name": "a.b"}}));
        assert_eq!(
            errs[0].to_string(),
            "metadata.name: Invalid value: \"a.b\": must not contain dots"
        );
        let errs = validate(
            "Role",
            &json!({"metadata": {"name": "system:a", "namespace": "x"}}),
        );
        assert!(errs.is_empty(), "{errs:?}");
        let errs = validate("Secret", &json!({"metadata": {}}));
        assert_eq!(
            errs[0].to_string(),
            "metadata.name: Required value: name or generateName is required"
        );
        let errs = validate(
            "Node",
            &json!({"metadata": {"name": "n", "namespace": "default"}}),
        );
        assert_eq!(
            errs[0].to_string(),
            "metadata.namespace: Forbidden: not allowed on this type"
        );
        let errs = validate(
            "ConfigMap",
            &json!({"metadata": {"name": "c", "generateName": "web-"}}),
        );
        assert!(errs.is_empty(), "{errs:?}");
    }

    #[test]
    fn metadata_labels_and_annotations() {
        let obj = json!({"metadata": {"name": "c", "labels": {"ok": "fine", "bad key": "v", "k": "bad value"},
            "annotations": {"Example.COM/Thing": "x"}}});
        let errs: Vec<String> = validate("ConfigMap", &obj)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(errs[0]
            .starts_with("metadata.labels: Invalid value: \"bad key\": name part must consist of"));
        assert!(errs[1]
            .starts_with("metadata.labels: Invalid value: \"bad value\": a valid label must be"));
        let big = "x".repeat(TOTAL_ANNOTATION_SIZE_LIMIT);
        let obj = json!({"metadata": {"name": "c", "annotations": {"a": big}}});
        let errs = validate("ConfigMap", &obj);
        assert_eq!(
            errs[0].to_string(),
            "metadata.annotations: Too long: may not be more than 262144 bytes"
        );
    }

    #[test]
    fn metadata_update_identity_is_immutable() {
        let old = json!({"metadata": {"name": "a", "namespace": "ns", "uid": "u1", "creationTimestamp": "t"}});
        let new = json!({"metadata": {"name": "b", "namespace": "ns"}});
        let errs = validate_update("ConfigMap", &new, &old);
        assert_eq!(errs.len(), 1);
        assert_eq!(
            errs[0].to_string(),
            "metadata.name: Invalid value: \"b\": field is immutable"
        );
        let new = json!({"metadata": {"name": "a", "namespace": "ns", "uid": "u2"}});
        assert_eq!(
            validate_update("ConfigMap", &new, &old)[0].to_string(),
            "metadata.uid: Invalid value: \"u2\": field is immutable"
        );
    }

    #[test]
    fn selectors() {
        let labels = json!({"app": "web", "tier": "fe"});
        let l = labels.as_object();
        assert!(selector_matches(
            Some(&json!({"matchLabels": {"app": "web"}})),
            l
        ));
        assert!(!selector_matches(
            Some(&json!({"matchLabels": {"app": "db"}})),
            l
        ));
        assert!(selector_matches(
            Some(&json!({"matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["fe", "be"]},
            {"key": "env", "operator": "DoesNotExist"},
            {"key": "app", "operator": "NotIn", "values": ["db"]},
            {"key": "app", "operator": "Exists"}]})),
            l
        ));
        assert!(!selector_matches(None, l));
        let errs = validate_label_selector(
            &json!({"matchExpressions": [
            {"key": "a", "operator": "In"}, {"key": "b", "operator": "Exists", "values": ["x"]},
            {"key": "c", "operator": "Near", "values": ["x"]}]}),
            "spec.selector",
        );
        let msgs: Vec<String> = errs.iter().map(ToString::to_string).collect();
        assert_eq!(msgs, vec![
            "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
            "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            "spec.selector.matchExpressions[2].operator: Invalid value: \"Near\": not a valid selector operator",
        ]);
    }

    #[test]
    fn unknown_kinds_get_metadata_checks_only() {
        assert!(validate("Widget", &json!({"metadata": {"name": "w"}, "spec": 5})).is_empty());
        assert!(validate("Widget", &json!("garbage")).len() == 1);
    }
}
