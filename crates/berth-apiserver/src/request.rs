//! Request info: what a URL and method ask for (kube-apiserver's RequestInfoFactory).

use std::collections::HashMap;

/// The parsed target of a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestInfo {
    /// False for non-resource paths (`/healthz`, `/version`, `/api`, `/apis/apps`…).
    pub resource_request: bool,
    pub path: String,
    /// Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection.
    pub verb: String,
    pub api_group: String,
    pub api_version: String,
    pub namespace: String,
    pub resource: String,
    pub subresource: String,
    pub name: String,
}

/// Decodes a query string into a map (last value wins), percent-decoding keys and values.
pub fn parse_query(q: Option<&str>) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for pair in q.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.insert(percent_decode(k), percent_decode(v));
    }
    out
}

/// Percent-decodes a URL component (`+` is a space in query strings).
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses a request path and method into a [`RequestInfo`], as upstream does.
pub fn request_info(method: &str, path: &str, query: &HashMap<String, String>) -> RequestInfo {
    let mut info = RequestInfo {
        path: path.to_string(),
        verb: method.to_lowercase(),
        ..Default::default()
    };
    let trimmed = path.trim_matches('/');
    let mut parts: Vec<&str> = if trimmed.is_empty() {
        vec![]
    } else {
        trimmed.split('/').collect()
    };
    if parts.len() < 3 {
        return info; // /api, /apis, /apis/apps, /api/v1 are discovery: non-resource
    }
    match parts[0] {
        "api" => {
            info.api_version = parts[1].to_string();
            parts.drain(..2);
        }
        "apis" => {
            if parts.len() < 4 {
                // /apis/group/version is discovery
                return info;
            }
            info.api_group = parts[1].to_string();
            info.api_version = parts[2].to_string();
            parts.drain(..3);
        }
        _ => return info,
    }
    info.resource_request = true;
    // /namespaces/{ns}/{resource}... ; /namespaces/{name} is the namespace itself.
    if parts[0] == "namespaces" && parts.len() > 1 {
        info.namespace = parts[1].to_string();
        if parts.len() > 2 && parts[2] != "status" && parts[2] != "finalize" {
            parts.drain(..2);
        }
    }
    info.resource = parts[0].to_string();
    if parts.len() >= 2 {
        info.name = parts[1].to_string();
    }
    if parts.len() >= 3 {
        info.subresource = parts[2..].join("/");
    }
    if info.resource == "namespaces" && !info.name.is_empty() {
        info.namespace = info.name.clone();
    }
    let watch = matches!(
        query.get("watch").map(String::as_str),
        Some("true") | Some("1")
    );
    info.verb = match method {
        "GET" | "HEAD" => {
            if watch {
                "watch"
            } else if info.name.is_empty() {
                "list"
            } else {
                "get"
            }
        }
        "POST" => "create",
        "PUT" => "update",
        "PATCH" => "patch",
        "DELETE" => {
            if info.name.is_empty() {
                "deletecollection"
            } else {
                "delete"
            }
        }
        other => {
            return RequestInfo {
                verb: other.to_lowercase(),
                ..info
            }
        }
    }
    .to_string();
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ri(m: &str, p: &str, q: &str) -> RequestInfo {
        request_info(m, p, &parse_query(Some(q)))
    }

    #[test]
    fn parses_upstream_shapes() {
        let r = ri("GET", "/api/v1/namespaces/default/pods", "");
        assert_eq!(
            (r.verb.as_str(), r.namespace.as_str(), r.resource.as_str()),
            ("list", "default", "pods")
        );
        let r = ri(
            "GET",
            "/apis/apps/v1/namespaces/ns1/deployments/web/scale",
            "",
        );
        assert_eq!(
            (
                r.api_group.as_str(),
                r.name.as_str(),
                r.subresource.as_str(),
                r.verb.as_str()
            ),
            ("apps", "web", "scale", "get")
        );
        let r = ri("GET", "/api/v1/namespaces/kube-system", "");
        assert_eq!(
            (r.resource.as_str(), r.name.as_str(), r.namespace.as_str()),
            ("namespaces", "kube-system", "kube-system")
        );
        let r = ri("GET", "/api/v1/pods", "watch=true");
        assert_eq!((r.verb.as_str(), r.namespace.as_str()), ("watch", ""));
        let r = ri("DELETE", "/api/v1/namespaces/a/pods", "");
        assert_eq!(r.verb, "deletecollection");
        assert!(!ri("GET", "/apis/apps/v1", "").resource_request);
        assert!(!ri("GET", "/healthz", "").resource_request);
        let r = ri("PUT", "/api/v1/namespaces/x/finalize", "");
        assert_eq!(
            (r.resource.as_str(), r.name.as_str(), r.subresource.as_str()),
            ("namespaces", "x", "finalize")
        );
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%3Db%2Cc+d"), "a=b,c d");
        assert_eq!(percent_decode("50%"), "50%");
    }
}
