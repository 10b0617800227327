//! Pod subresources served by the pod's node agent: `pods/log`, `pods/exec`,
//! `pods/attach` and `pods/portforward` (kube-apiserver's `LogREST`, `ExecREST`,
//! `AttachREST`, `PortForwardREST` with the upgrade-aware proxy).
//!
//! The pod and its container are checked here with upstream's wording
//! (`pkg/registry/core/pod/strategy.go`: `LogLocation`, `streamLocation`), log options
//! are validated like `ValidatePodLogOptions`, then the request goes to the agent at the
//! node's address (`status.addresses` InternalIP, else Hostname) and kubelet port
//! (`status.daemonEndpoints.kubeletEndpoint.Port`; a node without one, like a hollow
//! node, is answered 503 instead of contacted) over TLS with the API
//! server's kubelet client certificate. The agent's certificate is not verified, as
//! kube-apiserver without `--kubelet-certificate-authority`.
//!
//! Logs are streamed back. Upgrades (SPDY/3.1, or WebSocket from kubectl ≥ 1.30) are
//! forwarded with their protocol headers; once the agent switched protocols, the
//! client's connection is switched with the agent's answer and bytes are piped. The
//! agent does the WebSocket → SPDY translation (see `berth_kubelet::server`); whatever
//! else it answers (an error, a refused subprotocol) is relayed as is, which client-go
//! takes as an upgrade failure and retries with SPDY.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::{HeaderMap, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use serde_json::{json, Value};

use crate::request::RequestInfo;
use crate::response::{Body, Reply};
use crate::state::{State, User};
use crate::status::ApiError;

/// Whether a request is for a subresource this module serves.
pub fn serves(info: &RequestInfo) -> bool {
    info.resource_request
        && info.api_group.is_empty()
        && info.resource == "pods"
        && !info.name.is_empty()
        && matches!(
            info.subresource.as_str(),
            "log" | "exec" | "attach" | "portforward"
        )
}

/// Serves `pods/{log,exec,attach,portforward}` (already authenticated and authorized for
/// the request's verb). The body of `req` is not read.
pub async fn handle<B>(
    state: &Arc<State>,
    user: &User,
    info: &RequestInfo,
    mut req: Request<B>,
) -> Reply {
    let method = req.method().clone();
    let raw_query = req.uri().query().unwrap_or("").to_string();
    let headers = req.headers().clone();
    let on_upgrade = hyper::upgrade::on(&mut req);
    drop(req);
    match serve(state, user, info, &method, &raw_query, headers, on_upgrade).await {
        Ok(r) => r,
        Err(e) => e.into(),
    }
}

async fn serve(
    state: &Arc<State>,
    user: &User,
    info: &RequestInfo,
    method: &hyper::Method,
    raw_query: &str,
    headers: HeaderMap,
    on_upgrade: hyper::upgrade::OnUpgrade,
) -> Result<Reply, ApiError> {
    let sub = info.subresource.as_str();
    let allowed = match sub {
        "log" => method == hyper::Method::GET,
        _ => method == hyper::Method::GET || method == hyper::Method::POST,
    };
    if !allowed {
        return Err(ApiError::method_not_allowed(
            "the server does not allow this method on the requested resource",
        ));
    }
    // kube-apiserver 1.30+ (AuthorizePodWebsocketUpgradeCreatePermission): a GET (the
    // WebSocket upgrade) to exec/attach/portforward needs `create` as well.
    if sub != "log" && info.verb == "get" {
        let create = RequestInfo {
            verb: "create".into(),
            ..info.clone()
        };
        if let Err(status) = state.rbac.authorize(user, &create) {
            return Ok(Reply::code(403, status));
        }
    }
    let query = QueryValues::parse(raw_query);
    let pods = berth_api::registry::find("", "v1", "pods")
        .ok_or_else(|| ApiError::internal("no pods resource"))?;
    let Some(pod) = state.storage.get(pods, &info.namespace, &info.name).await? else {
        return Err(ApiError::not_found("pods", "", &info.name));
    };
    let name = info.name.as_str();
    let ns = info.namespace.as_str();
    let node = str_at(&pod, "/spec/nodeName");

    let (agent_path, upgrade) = match sub {
        "log" => {
            let opts = LogOptions::parse(&query)?;
            opts.validate(name)?;
            let container = log_container(&pod, name, query.last("container").unwrap_or(""))?;
            if node.is_empty() {
                // upstream: no location, an empty log
                return Ok(Reply::Raw {
                    code: 200,
                    content_type: "text/plain",
                    body: Bytes::new(),
                    headers: vec![],
                });
            }
            (
                format!(
                    "/containerLogs/{}/{}/{}{}",
                    escape(ns),
                    escape(name),
                    escape(&container),
                    opts.query()
                ),
                false,
            )
        }
        "exec" | "attach" => {
            let container = stream_container(&pod, name, query.last("container").unwrap_or(""))?;
            if node.is_empty() {
                return Err(ApiError::bad_request(format!(
                    "pod {name} does not have a host assigned"
                )));
            }
            let mut params = Vec::new();
            if sub == "exec" {
                for c in query.all("command") {
                    params.push(format!("command={}", escape(c)));
                }
            }
            for (key, param) in [
                ("stdin", "input"),
                ("stdout", "output"),
                ("stderr", "error"),
                ("tty", "tty"),
            ] {
                if query.flag(key) {
                    params.push(format!("{param}=1"));
                }
            }
            (
                format!(
                    "/{sub}/{}/{}/{}?{}",
                    escape(ns),
                    escape(name),
                    escape(&container),
                    params.join("&")
                ),
                true,
            )
        }
        _ => {
            if node.is_empty() {
                return Err(ApiError::bad_request(format!(
                    "pod {name} does not have a host assigned"
                )));
            }
            let mut params = Vec::new();
            for p in query.all("ports") {
                for port in p.split(',').filter(|s| !s.is_empty()) {
                    params.push(format!("port={}", escape(port.trim())));
                }
            }
            let q = if params.is_empty() {
                String::new()
            } else {
                format!("?{}", params.join("&"))
            };
            (
                format!("/portForward/{}/{}{q}", escape(ns), escape(name)),
                true,
            )
        }
    };

    let (host, port) = agent_address(state, node, sub).await?;
    let mut sender = connect(state, &host, port).await?;
    let mut b = Request::builder()
        .method(if upgrade {
            method.clone()
        } else {
            hyper::Method::GET
        })
        .uri(&agent_path)
        .header("host", format!("{host}:{port}"));
    if upgrade {
        for name in [
            "connection",
            "upgrade",
            "x-stream-protocol-version",
            "sec-websocket-key",
            "sec-websocket-version",
            "sec-websocket-protocol",
        ] {
            for v in headers.get_all(name) {
                b = b.header(name, v);
            }
        }
    }
    let agent_req = b
        .body(Empty::<Bytes>::new())
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let mut resp = sender
        .send_request(agent_req)
        .await
        .map_err(|e| agent_error(node, &e.to_string()))?;

    if upgrade {
        if resp.status() != StatusCode::SWITCHING_PROTOCOLS {
            // Relayed as is: kubectl shows the agent's words ("unable to upgrade
            // connection: …") and falls back from WebSocket to SPDY.
            return Ok(Reply::Response(Box::new(relay(resp).await)));
        }
        let mut out = Response::builder().status(StatusCode::SWITCHING_PROTOCOLS);
        for (k, v) in resp.headers() {
            out = out.header(k, v);
        }
        let agent_upgrade = hyper::upgrade::on(&mut resp);
        tokio::spawn(async move {
            let (client, agent) = match tokio::join!(on_upgrade, agent_upgrade) {
                (Ok(c), Ok(a)) => (c, a),
                (c, a) => {
                    tracing::debug!(
                        client = c.is_ok(),
                        agent = a.is_ok(),
                        "pod stream upgrade did not complete"
                    );
                    return;
                }
            };
            let _ =
                tokio::io::copy_bidirectional(&mut TokioIo::new(client), &mut TokioIo::new(agent))
                    .await;
        });
        let body: Body = Empty::new().map_err(|e| match e {}).boxed();
        return out
            .body(body)
            .map(|r| Reply::Response(Box::new(r)))
            .map_err(|e| ApiError::internal(e.to_string()));
    }

    // Logs: as kube-apiserver's response checker words the agent's errors.
    let code = resp.status().as_u16();
    if !(200..=206).contains(&code) {
        let text = body_text(resp).await;
        return Err(match code {
            400 => ApiError::bad_request(text),
            404 => ApiError::new(404, "NotFound", text),
            500 => ApiError::internal(text),
            _ => ApiError::new(code, "Unknown", text),
        });
    }
    // The log, as the agent sends it; an error of the agent's connection ends it.
    let stream = futures_util::stream::unfold(resp.into_body(), |mut body| async move {
        loop {
            match body.frame().await {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        let item =
                            Ok::<_, std::convert::Infallible>(hyper::body::Frame::data(data));
                        return Some((item, body));
                    }
                }
                _ => return None,
            }
        }
    });
    Ok(Reply::Response(Box::new(log_response(BodyExt::boxed(
        http_body_util::StreamBody::new(stream),
    )))))
}

fn log_response(body: Body) -> Response<Body> {
    let mut r = Response::new(body);
    r.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("text/plain"),
    );
    r.headers_mut().insert(
        "cache-control",
        hyper::header::HeaderValue::from_static("no-cache, private"),
    );
    r
}

fn agent_error(node: &str, e: &str) -> ApiError {
    ApiError::internal(format!("error dialing backend: node {node:?}: {e}"))
}

async fn body_text(resp: Response<hyper::body::Incoming>) -> String {
    let body = tokio::time::timeout(Duration::from_secs(10), resp.into_body().collect())
        .await
        .ok()
        .and_then(|r| r.ok())
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    String::from_utf8_lossy(&body[..body.len().min(64 * 1024)])
        .trim()
        .to_string()
}

/// The agent's non-101 answer to an upgrade, for the client.
async fn relay(resp: Response<hyper::body::Incoming>) -> Response<Body> {
    let status = resp.status();
    let content_type = resp.headers().get("content-type").cloned();
    let text = body_text(resp).await;
    let mut r = Response::new(
        http_body_util::Full::new(Bytes::from(text))
            .map_err(|e| match e {})
            .boxed(),
    );
    *r.status_mut() = status;
    if let Some(ct) = content_type {
        r.headers_mut().insert("content-type", ct);
    }
    r
}

/// The agent's address and port from the Node object.
async fn agent_address(state: &State, node: &str, sub: &str) -> Result<(String, u16), ApiError> {
    let nodes = berth_api::registry::find("", "v1", "nodes")
        .ok_or_else(|| ApiError::internal("no nodes resource"))?;
    let Some(obj) = state.storage.get(nodes, "", node).await? else {
        return Err(ApiError::not_found("nodes", "", node));
    };
    let addresses = obj
        .pointer("/status/addresses")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let find = |kind: &str| {
        addresses
            .iter()
            .find(|a| a.get("type").and_then(Value::as_str) == Some(kind))
            .and_then(|a| a.get("address").and_then(Value::as_str))
            .map(String::from)
    };
    let host = find("InternalIP")
        .or_else(|| find("Hostname"))
        .ok_or_else(|| {
            ApiError::internal(format!(
                "error dialing backend: node {node:?} has no InternalIP or Hostname address"
            ))
        })?;
    // A node without a kubelet endpoint has no agent (hollow nodes: their addresses
    // are fake and never contacted); upstream would try port 10250.
    let port = obj
        .pointer("/status/daemonEndpoints/kubeletEndpoint/Port")
        .and_then(Value::as_u64)
        .filter(|p| *p > 0 && *p <= u16::MAX as u64)
        .map(|p| p as u16)
        .ok_or_else(|| {
            ApiError::service_unavailable(format!(
                "pods/{sub} is not available: no berth node agent serves node \"{node}\" (it has no status.daemonEndpoints.kubeletEndpoint)"
            ))
        })?;
    Ok((host, port))
}

/// Accepts any agent certificate (kube-apiserver without
/// `--kubelet-certificate-authority`); handshake signatures are still checked.
#[derive(Debug)]
struct AnyAgentCert(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyAgentCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

type Sender = hyper::client::conn::http1::SendRequest<Empty<Bytes>>;

/// An HTTP/1.1 connection to the agent over TLS with the kubelet client certificate.
async fn connect(state: &State, host: &str, port: u16) -> Result<Sender, ApiError> {
    let node_err = |e: &dyn std::fmt::Display| {
        ApiError::internal(format!(
            "error dialing backend: dial tcp {host}:{port}: {e}"
        ))
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(state.pki.kubelet_client_cert_pem.as_bytes())
            .collect::<Result<_, _>>()
            .map_err(|e| ApiError::internal(format!("kubelet client certificate: {e}")))?;
    let key = PrivateKeyDer::from_pem_slice(state.pki.kubelet_client_key_pem.as_bytes())
        .map_err(|e| ApiError::internal(format!("kubelet client key: {e}")))?;
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| ApiError::internal(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyAgentCert(provider)))
        .with_client_auth_cert(certs, key)
        .map_err(|e| ApiError::internal(format!("kubelet client certificate: {e}")))?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    let server_name = match host.parse::<IpAddr>() {
        Ok(ip) => ServerName::IpAddress(ip.into()),
        Err(_) => ServerName::try_from(host.to_string()).map_err(|e| node_err(&e))?,
    };
    let addr = match host.parse::<IpAddr>() {
        Ok(ip) => crate::server::host_port(ip, port),
        Err(_) => format!("{host}:{port}"),
    };
    let tcp = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::net::TcpStream::connect(&addr),
    )
    .await
    .map_err(|_| node_err(&"i/o timeout"))?
    .map_err(|e| node_err(&e))?;
    let _ = tcp.set_nodelay(true);
    let tls = tokio_rustls::TlsConnector::from(Arc::new(cfg))
        .connect(server_name, tcp)
        .await
        .map_err(|e| node_err(&e))?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .map_err(|e| node_err(&e))?;
    tokio::spawn(async move {
        let _ = conn.with_upgrades().await;
    });
    Ok(sender)
}

fn str_at<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

fn names(pod: &Value, list: &str) -> Vec<String> {
    pod.pointer(&format!("/spec/{list}"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|c| c.get("name").and_then(Value::as_str).map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn has_container(pod: &Value, name: &str) -> bool {
    ["initContainers", "containers", "ephemeralContainers"]
        .iter()
        .any(|l| names(pod, l).iter().any(|n| n == name))
}

/// `validateContainer` of `LogLocation`.
fn log_container(pod: &Value, pod_name: &str, container: &str) -> Result<String, ApiError> {
    if !container.is_empty() {
        if !has_container(pod, container) {
            return Err(ApiError::bad_request(format!(
                "container {container} is not valid for pod {pod_name}"
            )));
        }
        return Ok(container.to_string());
    }
    let containers = names(pod, "containers");
    match containers.len() {
        1 => Ok(containers[0].clone()),
        0 => Err(ApiError::bad_request(format!(
            "a container name must be specified for pod {pod_name}"
        ))),
        _ => {
            let all: Vec<String> = ["initContainers", "containers", "ephemeralContainers"]
                .iter()
                .flat_map(|l| names(pod, l))
                .collect();
            Err(ApiError::bad_request(format!(
                "a container name must be specified for pod {pod_name}, choose one of: [{}]",
                all.join(" ")
            )))
        }
    }
}

/// The container choice of `streamLocation` (exec, attach).
fn stream_container(pod: &Value, pod_name: &str, container: &str) -> Result<String, ApiError> {
    if !container.is_empty() {
        if !has_container(pod, container) {
            return Err(ApiError::bad_request(format!(
                "container {container} is not valid for pod {pod_name}"
            )));
        }
        return Ok(container.to_string());
    }
    let containers = names(pod, "containers");
    match containers.len() {
        1 => Ok(containers[0].clone()),
        0 => Err(ApiError::bad_request(format!(
            "a container name must be specified for pod {pod_name}"
        ))),
        _ => {
            let mut msg = format!(
                "a container name must be specified for pod {pod_name}, choose one of: [{}]",
                containers.join(" ")
            );
            let init = names(pod, "initContainers");
            if !init.is_empty() {
                msg.push_str(&format!(
                    " or one of the init containers: [{}]",
                    init.join(" ")
                ));
            }
            Err(ApiError::bad_request(msg))
        }
    }
}

/// Percent-encodes a path segment or query value.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A query string's values, repeated keys kept (exec's `command`).
struct QueryValues(Vec<(String, String)>);

impl QueryValues {
    fn parse(raw: &str) -> QueryValues {
        QueryValues(
            raw.split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (
                        crate::request::percent_decode(&k.replace('+', " ")),
                        crate::request::percent_decode(&v.replace('+', " ")),
                    )
                })
                .collect(),
        )
    }
    fn all<'a>(&'a self, key: &str) -> impl Iterator<Item = &'a str> + 'a {
        let key = key.to_string();
        self.0
            .iter()
            .filter(move |(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }
    fn last(&self, key: &str) -> Option<&str> {
        self.all(key).last()
    }
    /// A boolean as the API machinery converts query parameters: absent, `false` or
    /// `0` is false, anything else true.
    fn flag(&self, key: &str) -> bool {
        self.last(key)
            .is_some_and(|v| !matches!(v.to_ascii_lowercase().as_str(), "false" | "0"))
    }
    fn int(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.last(key) {
            None => Ok(None),
            Some(v) => v.parse::<i64>().map(Some).map_err(|_| {
                ApiError::bad_request(format!("strconv.ParseInt: parsing {v:?}: invalid syntax"))
            }),
        }
    }
}

/// `PodLogOptions` from the query.
#[derive(Debug, Default, PartialEq)]
struct LogOptions {
    follow: bool,
    previous: bool,
    timestamps: bool,
    since_seconds: Option<i64>,
    since_time: Option<String>,
    tail_lines: Option<i64>,
    limit_bytes: Option<i64>,
    stream: Option<String>,
}

impl LogOptions {
    fn parse(q: &QueryValues) -> Result<LogOptions, ApiError> {
        let since_time = match q.last("sinceTime").filter(|s| !s.is_empty()) {
            None => None,
            Some(t) => {
                let parsed = chrono::DateTime::parse_from_rfc3339(t).map_err(|e| {
                    ApiError::bad_request(format!("parsing time {t:?} as RFC3339: {e}"))
                })?;
                Some(
                    parsed
                        .with_timezone(&chrono::Utc)
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                )
            }
        };
        Ok(LogOptions {
            follow: q.flag("follow"),
            previous: q.flag("previous"),
            timestamps: q.flag("timestamps"),
            since_seconds: q.int("sinceSeconds")?,
            since_time,
            tail_lines: q.int("tailLines")?,
            limit_bytes: q.int("limitBytes")?,
            stream: q.last("stream").filter(|s| !s.is_empty()).map(String::from),
        })
    }

    /// `ValidatePodLogOptions`: 422 with upstream's field errors.
    fn validate(&self, pod_name: &str) -> Result<(), ApiError> {
        let mut errs: Vec<(&str, &str, String)> = Vec::new();
        if let Some(n) = self.tail_lines.filter(|n| *n < 0) {
            errs.push((
                "tailLines",
                "FieldValueInvalid",
                format!("Invalid value: {n}: must be greater than or equal to 0"),
            ));
        }
        if let Some(n) = self.limit_bytes.filter(|n| *n < 1) {
            errs.push((
                "limitBytes",
                "FieldValueInvalid",
                format!("Invalid value: {n}: must be greater than 0"),
            ));
        }
        match (self.since_seconds, &self.since_time) {
            (Some(_), Some(_)) => errs.push((
                "",
                "FieldValueForbidden",
                "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified".into(),
            )),
            (Some(n), None) if n < 1 => errs.push((
                "sinceSeconds",
                "FieldValueInvalid",
                format!("Invalid value: {n}: must be greater than 0"),
            )),
            _ => {}
        }
        if let Some(s) = &self.stream {
            if !matches!(s.as_str(), "All" | "Stdout" | "Stderr") {
                errs.push((
                    "stream",
                    "FieldValueNotSupported",
                    format!(
                        "Unsupported value: {s:?}: supported values: \"All\", \"Stderr\", \"Stdout\""
                    ),
                ));
            }
        }
        if errs.is_empty() {
            return Ok(());
        }
        let texts: Vec<String> = errs.iter().map(|(f, _, m)| format!("{f}: {m}")).collect();
        let joined = if texts.len() == 1 {
            texts[0].clone()
        } else {
            format!("[{}]", texts.join(", "))
        };
        let causes = errs
            .iter()
            .map(|(f, reason, m)| json!({"reason": reason, "message": m, "field": f}))
            .collect();
        Err(ApiError::invalid(
            "PodLogOptions",
            "",
            pod_name,
            format!("PodLogOptions {pod_name:?} is invalid: {joined}"),
            causes,
        ))
    }

    /// The kubelet's query (`LogLocation`'s parameters).
    fn query(&self) -> String {
        let mut p = Vec::new();
        if self.follow {
            p.push("follow=true".to_string());
        }
        if self.previous {
            p.push("previous=true".to_string());
        }
        if self.timestamps {
            p.push("timestamps=true".to_string());
        }
        if let Some(n) = self.since_seconds {
            p.push(format!("sinceSeconds={n}"));
        }
        if let Some(t) = &self.since_time {
            p.push(format!("sinceTime={}", escape(t)));
        }
        if let Some(n) = self.tail_lines {
            p.push(format!("tailLines={n}"));
        }
        if let Some(n) = self.limit_bytes {
            p.push(format!("limitBytes={n}"));
        }
        if let Some(s) = &self.stream {
            p.push(format!("stream={}", escape(s)));
        }
        if p.is_empty() {
            String::new()
        } else {
            format!("?{}", p.join("&"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod() -> Value {
        json!({"spec": {
            "initContainers": [{"name": "init"}],
            "containers": [{"name": "a"}, {"name": "b"}],
        }})
    }

    #[test]
    fn container_choice_as_upstream() {
        let p = pod();
        assert_eq!(stream_container(&p, "web", "b").unwrap(), "b");
        assert_eq!(stream_container(&p, "web", "init").unwrap(), "init");
        assert_eq!(
            stream_container(&p, "web", "x").unwrap_err().message,
            "container x is not valid for pod web"
        );
        assert_eq!(
            stream_container(&p, "web", "").unwrap_err().message,
            "a container name must be specified for pod web, choose one of: [a b] or one of the init containers: [init]"
        );
        assert_eq!(
            log_container(&p, "web", "").unwrap_err().message,
            "a container name must be specified for pod web, choose one of: [init a b]"
        );
        let one = json!({"spec": {"containers": [{"name": "only"}]}});
        assert_eq!(log_container(&one, "p", "").unwrap(), "only");
    }

    #[test]
    fn log_options_validated_and_forwarded() {
        let q = QueryValues::parse("tailLines=-1&container=a");
        let e = LogOptions::parse(&q).unwrap().validate("web").unwrap_err();
        assert_eq!(e.code, 422);
        assert_eq!(
            e.message,
            "PodLogOptions \"web\" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0"
        );
        let q = QueryValues::parse("sinceSeconds=5&sinceTime=2024-01-02T03:04:05Z");
        let e = LogOptions::parse(&q).unwrap().validate("web").unwrap_err();
        assert!(e
            .message
            .contains("at most one of `sinceTime` or `sinceSeconds`"));
        assert_eq!(
            QueryValues::parse("tailLines=x")
                .int("tailLines")
                .unwrap_err()
                .code,
            400
        );
        let q = QueryValues::parse(
            "follow=true&timestamps=true&tailLines=10&limitBytes=5&sinceTime=2024-01-02T03%3A04%3A05%2B01%3A00&insecureSkipTLSVerifyBackend=true",
        );
        let o = LogOptions::parse(&q).unwrap();
        o.validate("web").unwrap();
        assert_eq!(
            o.query(),
            "?follow=true&timestamps=true&sinceTime=2024-01-02T02%3A04%3A05Z&tailLines=10&limitBytes=5"
        );
    }

    #[test]
    fn exec_query_values_repeat() {
        let q = QueryValues::parse("command=sh&command=-c&command=echo+a%26b&stdin=true&tty=false");
        assert_eq!(
            q.all("command").collect::<Vec<_>>(),
            ["sh", "-c", "echo a&b"]
        );
        assert!(q.flag("stdin"));
        assert!(!q.flag("tty"));
        assert!(!q.flag("stdout"));
        assert_eq!(escape("echo a&b"), "echo%20a%26b");
    }
}
