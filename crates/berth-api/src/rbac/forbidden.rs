//! kube-apiserver's 403 text and Status for a denied request (`responsewriters.Forbidden`).

use serde_json::{json, Map, Value};

use super::Attributes;

/// The message of a denied request, as `forbiddenMessage` writes it, followed by
/// `: <reason>` when the authorizers gave a reason.
///
/// `User "system:anonymous" cannot get path "/api"`,
/// `User "jane" cannot list resource "pods" in API group "" in the namespace "default"`,
/// `User "jane" cannot get resource "pods/log" in API group "" in the namespace "default"`,
/// `User "jane" cannot list resource "nodes" in API group "" at the cluster scope`.
pub fn forbidden_message(attrs: &Attributes, reason: &str) -> String {
    let user = go_quote(&attrs.user);
    let message = if !attrs.resource_request {
        format!(
            "User {user} cannot {} path {}",
            attrs.verb,
            go_quote(&attrs.path)
        )
    } else {
        let resource = if attrs.subresource.is_empty() {
            attrs.resource.clone()
        } else {
            format!("{}/{}", attrs.resource, attrs.subresource)
        };
        let scope = if attrs.namespace.is_empty() {
            "at the cluster scope".to_owned()
        } else {
            format!("in the namespace {}", go_quote(&attrs.namespace))
        };
        format!(
            "User {user} cannot {} resource {} in API group {} {scope}",
            attrs.verb,
            go_quote(&resource),
            go_quote(&attrs.api_group),
        )
    };
    if reason.is_empty() {
        message
    } else {
        format!("{message}: {reason}")
    }
}

/// The whole `v1` Status body kube-apiserver answers a denied request with
/// (`apierrors.NewForbidden` around [`forbidden_message`]): the message is
/// prefixed by `<resource>[.<group>] ["<name>"] is forbidden: `, or by
/// `forbidden: ` for non-resource requests.
pub fn forbidden_status(attrs: &Attributes, reason: &str) -> Value {
    let detail = forbidden_message(attrs, reason);
    let (resource, group, name) = if attrs.resource_request {
        (
            attrs.resource.as_str(),
            attrs.api_group.as_str(),
            attrs.name.as_str(),
        )
    } else {
        ("", "", "")
    };
    let qualified = if group.is_empty() {
        resource.to_owned()
    } else {
        format!("{resource}.{group}")
    };
    let message = if resource.is_empty() && group.is_empty() {
        format!("forbidden: {detail}")
    } else if name.is_empty() {
        format!("{qualified} is forbidden: {detail}")
    } else {
        format!("{qualified} {} is forbidden: {detail}", go_quote(name))
    };
    let mut details = Map::new();
    for (key, value) in [("name", name), ("group", group), ("kind", resource)] {
        if !value.is_empty() {
            details.insert(key.into(), Value::String(value.into()));
        }
    }
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": "Forbidden",
        "details": details,
        "code": 403,
    })
}

/// Go's `%q` of a string (`strconv.Quote`): double quotes, with backslash
/// escapes for quotes, backslashes and control characters.
pub(crate) fn go_quote(s: &str) -> String {
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
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => {
                let code = c as u32;
                if code <= 0xffff {
                    out.push_str(&format!("\\u{code:04x}"));
                } else {
                    out.push_str(&format!("\\U{code:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
