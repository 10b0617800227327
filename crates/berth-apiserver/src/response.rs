//! Replies: JSON objects, `Status` errors, streams; content negotiation for `as=Table`.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::Frame;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::status::ApiError;

/// The response body type of the server.
pub type Body = BoxBody<Bytes, Infallible>;

/// What a handler answers.
pub enum Reply {
    Json {
        code: u16,
        body: Value,
        warnings: Vec<String>,
    },
    Raw {
        code: u16,
        content_type: &'static str,
        body: Bytes,
        headers: Vec<(&'static str, String)>,
    },
    Stream {
        content_type: &'static str,
        rx: mpsc::Receiver<Bytes>,
    },
    /// A response built by the handler (node proxy: upgrades, streamed logs).
    Response(Box<hyper::Response<Body>>),
}

impl Reply {
    pub fn ok(body: Value) -> Reply {
        Reply::Json {
            code: 200,
            body,
            warnings: vec![],
        }
    }
    pub fn code(code: u16, body: Value) -> Reply {
        Reply::Json {
            code,
            body,
            warnings: vec![],
        }
    }
    pub fn text(code: u16, body: &str) -> Reply {
        Reply::Raw {
            code,
            content_type: "text/plain; charset=utf-8",
            body: Bytes::copy_from_slice(body.as_bytes()),
            headers: vec![],
        }
    }
    pub fn with_warnings(self, w: Vec<String>) -> Reply {
        match self {
            Reply::Json {
                code,
                body,
                mut warnings,
            } => {
                warnings.extend(w);
                Reply::Json {
                    code,
                    body,
                    warnings,
                }
            }
            other => other,
        }
    }
}

impl From<ApiError> for Reply {
    fn from(e: ApiError) -> Reply {
        Reply::code(e.code, e.to_status())
    }
}

/// Turns a reply into an HTTP response.
pub fn into_response(reply: Reply) -> hyper::Response<Body> {
    let mut b = hyper::Response::builder();
    let body: Body = match reply {
        Reply::Response(resp) => return *resp,
        Reply::Json {
            code,
            body,
            warnings,
        } => {
            b = b.status(code).header("content-type", "application/json");
            for w in warnings {
                b = b.header("warning", format!("299 - {}", quote_warning(&w)));
            }
            let bytes = serde_json::to_vec(&body).unwrap_or_default();
            Full::new(Bytes::from(bytes)).boxed()
        }
        Reply::Raw {
            code,
            content_type,
            body,
            headers,
        } => {
            b = b.status(code).header("content-type", content_type);
            for (k, v) in headers {
                b = b.header(k, v);
            }
            Full::new(body).boxed()
        }
        Reply::Stream { content_type, rx } => {
            b = b
                .status(200)
                .header("content-type", content_type)
                .header("cache-control", "no-cache, private");
            let stream = futures_util::stream::unfold(rx, |mut rx| async move {
                rx.recv()
                    .await
                    .map(|bytes| (Ok::<_, Infallible>(Frame::data(bytes)), rx))
            });
            BodyExt::boxed(StreamBody::new(stream))
        }
    };
    b.body(body).unwrap_or_else(|_| {
        let mut r = hyper::Response::new(Full::new(Bytes::from_static(b"internal error")).boxed());
        *r.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}

fn quote_warning(w: &str) -> String {
    let escaped: String = w
        .chars()
        .filter(|c| !c.is_control())
        .flat_map(|c| match c {
            '"' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("\"{escaped}\"")
}

/// How the client wants objects rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rendering {
    Object,
    Table,
    PartialMetadata,
}

/// Picks the rendering from an `Accept` header, first acceptable entry wins.
pub fn negotiate(accept: Option<&str>) -> Rendering {
    let Some(accept) = accept else {
        return Rendering::Object;
    };
    for entry in accept.split(',') {
        let mut parts = entry.split(';').map(str::trim);
        let media = parts.next().unwrap_or("");
        let (mut as_, mut g, mut v) = ("", "", "");
        for p in parts {
            if let Some((k, val)) = p.split_once('=') {
                match k.trim() {
                    "as" => as_ = val.trim(),
                    "g" => g = val.trim(),
                    "v" => v = val.trim(),
                    _ => {}
                }
            }
        }
        let json_like = matches!(
            media,
            "application/json" | "*/*" | "application/*" | "application/yaml"
        );
        if !json_like {
            continue;
        }
        match as_ {
            "" => return Rendering::Object,
            "Table" if g == "meta.k8s.io" && (v == "v1" || v == "v1beta1") => {
                return Rendering::Table
            }
            "PartialObjectMetadata" | "PartialObjectMetadataList" if g == "meta.k8s.io" => {
                return Rendering::PartialMetadata
            }
            _ => continue,
        }
    }
    Rendering::Object
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_get_accept_header_asks_for_table() {
        let a = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
        assert_eq!(negotiate(Some(a)), Rendering::Table);
        assert_eq!(negotiate(Some("application/json")), Rendering::Object);
        assert_eq!(
            negotiate(Some("application/vnd.kubernetes.protobuf, */*")),
            Rendering::Object
        );
        assert_eq!(negotiate(None), Rendering::Object);
    }

    #[test]
    fn warnings_are_quoted() {
        assert_eq!(
            quote_warning(r#"unknown field "spec.x""#),
            r#""unknown field \"spec.x\"""#
        );
    }
}
