//! The node agent's HTTPS server (kubelet's port 10250 API) that the API server reaches
//! for `kubectl logs`, `exec`, `attach` and `port-forward`:
//!
//! | path | what |
//! |---|---|
//! | `GET /containerLogs/{ns}/{pod}/{container}?follow=…` | the container's log ([`crate::logs`]) |
//! | `GET,POST /exec/{ns}/{pod}[/{uid}]/{container}?command=…&input=1&output=1&error=1&tty=1` | CRI `Exec` |
//! | `GET,POST /attach/{ns}/{pod}[/{uid}]/{container}?input=1&output=1&error=1&tty=1` | CRI `Attach` |
//! | `GET,POST /portForward/{ns}/{pod}[/{uid}]` | CRI `PortForward` |
//! | `GET /healthz` | `ok` |
//!
//! Exec, attach and port-forward are connection upgrades. The runtime's streaming server
//! (containerd's, on 127.0.0.1) speaks SPDY/3.1; a SPDY client is passed through to it
//! byte for byte once both upgrades succeeded. WebSocket clients are served by
//! translation ([`translate`]): `v5.channel.k8s.io` for exec/attach and
//! `SPDY/3.1+portforward.k8s.io` for port-forward, what kubectl 1.30+ (exec, attach) and
//! 1.31+ (port-forward) ask for first. (Upstream the API server translates and kubelets
//! speak SPDY; in berth the agent does, so the API server only authenticates, authorizes
//! and proxies upgrades.) Any other WebSocket subprotocol is refused with 400, which
//! client-go takes as an upgrade failure and retries with SPDY.
//!
//! Clients authenticate with a certificate signed by the cluster CA. Authorization is a
//! fixed check, not a SubjectAccessReview: the certificate's CN must be the API server's
//! kubelet client (`kube-apiserver-kubelet-client`) or its organizations must include
//! `system:masters` or `kubeadm:cluster-admins` (both bound to cluster-admin).

pub mod spdy;
pub mod translate;
pub mod websocket;

use std::convert::Infallible;
use std::future::Future;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::{combinators::BoxBody, BodyExt, Empty, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::cri::{api, CriClient};
use translate::StreamOptions;

/// The response body of the agent's server.
pub type Body = BoxBody<Bytes, std::io::Error>;

/// kubelet's default `--port`.
pub const DEFAULT_PORT: u16 = 10250;

/// Common name of the API server's client certificate towards kubelets (kubeadm's
/// `apiserver-kubelet-client.crt`).
pub const APISERVER_CLIENT_CN: &str = "kube-apiserver-kubelet-client";

/// Organizations whose members may use this server (cluster-admin by bootstrap policy).
pub const ADMIN_GROUPS: &[&str] = &["system:masters", "kubeadm:cluster-admins"];

/// The SPDY protocol of port-forward; tunneled over WebSocket with the prefix below.
const PORT_FORWARD_PROTOCOL: &str = "portforward.k8s.io";
const TUNNEL_PREFIX: &str = "SPDY/3.1+";
const V5_PROTOCOL: &str = "v5.channel.k8s.io";
const V4_PROTOCOL: &str = "v4.channel.k8s.io";

/// A container the server streams from.
#[derive(Debug, Clone)]
pub struct ContainerRef {
    /// The CRI container ID.
    pub id: String,
    /// Its CRI log file (`<pod log dir>/<container>/<restart>.log`).
    pub log_path: PathBuf,
    /// The previous instance's log file, for `previous=true`, if there is one.
    pub previous_log_path: Option<PathBuf>,
    /// Whether the container runs. Exec and attach need a running container; `logs -f`
    /// of a running container ends when the runtime reports it stopped (the server
    /// re-checks with CRI `ContainerStatus` on `id`).
    pub running: bool,
}

/// An answer for the client instead of a stream: an HTTP status and a plain-text
/// message, as kubelet words them (the API server hands them to kubectl).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamError {
    pub code: u16,
    pub message: String,
}

impl StreamError {
    /// 404, e.g. `pod does not exist`.
    pub fn not_found(message: impl Into<String>) -> Self {
        StreamError {
            code: 404,
            message: message.into(),
        }
    }
    /// 400, e.g. `container "x" in pod "y" is waiting to start: ContainerCreating`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        StreamError {
            code: 400,
            message: message.into(),
        }
    }
    /// 500.
    pub fn internal(message: impl Into<String>) -> Self {
        StreamError {
            code: 500,
            message: message.into(),
        }
    }
}

/// What the server needs from the agent.
#[async_trait::async_trait]
pub trait NodeBackend: Send + Sync + 'static {
    /// The CRI client of this node's runtime.
    fn cri(&self) -> CriClient;
    /// Container `container` of pod `ns/pod`: for exec and attach the running one, for
    /// logs the latest (running or not). The error is answered as is, e.g.
    /// `StreamError::not_found("pod does not exist")` or
    /// `StreamError::bad_request("container \"x\" in pod \"y\" is waiting to start: ContainerCreating")`.
    async fn container(
        &self,
        ns: &str,
        pod: &str,
        container: &str,
    ) -> Result<ContainerRef, StreamError>;
    /// The pod's sandbox ID (port-forward).
    async fn sandbox(&self, ns: &str, pod: &str) -> Result<String, StreamError>;
}

/// The serving certificate and key (PEM).
#[derive(Clone)]
pub struct ServerTls {
    pub cert_pem: String,
    pub key_pem: String,
}

/// A self-signed serving certificate for `node_name` and its addresses, as kubelet makes
/// one without `--tls-cert-file` (the API server does not verify it, as kube-apiserver
/// without `--kubelet-certificate-authority`). Valid for a year.
pub fn self_signed_cert(node_name: &str, addresses: &[IpAddr]) -> anyhow::Result<ServerTls> {
    let mut names = vec![node_name.to_string()];
    names.extend(addresses.iter().map(|a| a.to_string()));
    let mut params = rcgen::CertificateParams::new(names)?;
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(
        rcgen::DnType::CommonName,
        format!("{node_name}@{}", chrono::Utc::now().timestamp()),
    );
    params.distinguished_name = dn;
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let now = std::time::SystemTime::now();
    params.not_before = (now - Duration::from_secs(3600)).into();
    params.not_after = (now + Duration::from_secs(365 * 86_400)).into();
    let key = rcgen::KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    Ok(ServerTls {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

fn tls_acceptor(tls: &ServerTls, client_ca_pem: &str) -> anyhow::Result<TlsAcceptor> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(tls.cert_pem.as_bytes()).collect::<Result<_, _>>()?;
    let key = PrivateKeyDer::from_pem_slice(tls.key_pem.as_bytes())?;
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(client_ca_pem.as_bytes()) {
        roots.add(c?)?;
    }
    // Unauthenticated connections are let through the handshake and answered 401.
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .allow_unauthenticated()
    .build()?;
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs, key)?;
    // Upgrades need HTTP/1.1.
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(cfg)))
}

/// The client's identity: (common name, organizations) of its verified certificate.
fn identity(cert: &CertificateDer<'_>) -> Option<(String, Vec<String>)> {
    let (_, c) = x509_parser::parse_x509_certificate(cert.as_ref()).ok()?;
    let subject = c.subject();
    let cn = subject
        .iter_common_name()
        .next()
        .and_then(|a| a.as_str().ok())
        .unwrap_or_default()
        .to_string();
    let orgs = subject
        .iter_organization()
        .filter_map(|a| a.as_str().ok().map(String::from))
        .collect();
    Some((cn, orgs))
}

fn authorized(cn: &str, orgs: &[String]) -> bool {
    cn == APISERVER_CLIENT_CN || orgs.iter().any(|o| ADMIN_GROUPS.contains(&o.as_str()))
}

/// Serves the agent's API on `listener` until `shutdown` resolves. Clients must present
/// a certificate signed by `client_ca_pem` (the cluster CA) with the API server's
/// identity (see the module documentation).
pub async fn serve(
    listener: TcpListener,
    tls: ServerTls,
    client_ca_pem: &str,
    backend: Arc<dyn NodeBackend>,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let acceptor = tls_acceptor(&tls, client_ca_pem)?;
    tokio::pin!(shutdown);
    loop {
        let (tcp, _) = tokio::select! {
            _ = &mut shutdown => return Ok(()),
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(error = %e, "agent server: accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let backend = backend.clone();
        tokio::spawn(async move {
            let tls =
                match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                    Ok(Ok(t)) => t,
                    _ => return,
                };
            let who = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .and_then(|c| identity(c));
            let svc = hyper::service::service_fn(move |req| {
                let backend = backend.clone();
                let who = who.clone();
                async move { Ok::<_, Infallible>(handle(backend, who, req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tls), svc)
                .with_upgrades()
                .await;
        });
    }
}

fn text(code: u16, message: &str) -> Response<Body> {
    let mut r = Response::new(
        Full::new(Bytes::from(format!("{message}\n")))
            .map_err(|e| match e {})
            .boxed(),
    );
    *r.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

fn error(e: StreamError) -> Response<Body> {
    text(e.code, &e.message)
}

async fn handle(
    backend: Arc<dyn NodeBackend>,
    who: Option<(String, Vec<String>)>,
    req: Request<Incoming>,
) -> Response<Body> {
    let path = req.uri().path().to_string();
    if path == "/healthz" {
        return text(200, "ok");
    }
    let Some((cn, orgs)) = who else {
        return text(401, "Unauthorized");
    };
    let segments: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(percent_decode)
        .collect();
    let kind = segments.first().map(String::as_str).unwrap_or("");
    if !authorized(&cn, &orgs) {
        let sub = match kind {
            "containerLogs" => "log",
            _ => "proxy",
        };
        return text(
            403,
            &format!(
                "Forbidden (user={cn}, verb={}, resource=nodes, subresource(s)=[{sub}])",
                if req.method() == hyper::Method::GET {
                    "get"
                } else {
                    "create"
                }
            ),
        );
    }
    let args: Vec<&str> = segments.iter().skip(1).map(String::as_str).collect();
    let method = req.method().clone();
    match (kind, &args[..]) {
        ("containerLogs", [ns, pod, container]) if method == hyper::Method::GET => {
            let query = req.uri().query().unwrap_or("").to_string();
            container_logs(backend, ns, pod, container, &query).await
        }
        ("exec" | "attach", [ns, pod, container] | [ns, pod, _, container])
            if method == hyper::Method::GET || method == hyper::Method::POST =>
        {
            let (ns, pod, container) = (ns.to_string(), pod.to_string(), container.to_string());
            remote_command(backend, kind == "exec", &ns, &pod, &container, req).await
        }
        ("portForward", [ns, pod] | [ns, pod, _])
            if method == hyper::Method::GET || method == hyper::Method::POST =>
        {
            let (ns, pod) = (ns.to_string(), pod.to_string());
            port_forward(backend, &ns, &pod, req).await
        }
        _ => text(404, "404 page not found"),
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        if b[i] == b'+' {
            out.push(b' ');
        } else {
            out.push(b[i]);
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// All values of `key` in a query string, decoded.
fn query_values(query: &str, key: &str) -> Vec<String> {
    query
        .split('&')
        .filter_map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k) == key).then(|| percent_decode(v))
        })
        .collect()
}

/// kubelet reads stream flags as `1` (what kube-apiserver sends); `true` is accepted too.
fn query_flag(query: &str, key: &str) -> bool {
    query_values(query, key)
        .last()
        .is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

async fn container_logs(
    backend: Arc<dyn NodeBackend>,
    ns: &str,
    pod: &str,
    container: &str,
    query: &str,
) -> Response<Body> {
    let (opts, previous) = match crate::logs::LogOptions::from_query(query, chrono::Utc::now()) {
        Ok(x) => x,
        Err(message) => return text(400, &message),
    };
    let c = match backend.container(ns, pod, container).await {
        Ok(c) => c,
        Err(e) => return error(e),
    };
    let path = if previous {
        match c.previous_log_path {
            Some(p) => p,
            None => {
                return text(
                    400,
                    &format!(
                        "previous terminated container \"{container}\" in pod \"{pod}\" not found"
                    ),
                )
            }
        }
    } else {
        c.log_path
    };
    // `logs -f` ends once the container stopped and its log is read to the end.
    let running = Arc::new(AtomicBool::new(c.running && !previous));
    if opts.follow && running.load(Ordering::Relaxed) {
        let flag = running.clone();
        let cri = backend.cri();
        let id = c.id.clone();
        tokio::spawn(async move {
            // Ends when the log stream (the other owner of `flag`) is gone.
            while Arc::strong_count(&flag) > 1 {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let state = cri
                    .container_status(&id, false)
                    .await
                    .ok()
                    .and_then(|r| r.status)
                    .map(|s| s.state);
                if state != Some(api::ContainerState::ContainerRunning as i32) {
                    flag.store(false, Ordering::Relaxed);
                    return;
                }
            }
        });
    }
    let flag = running.clone();
    let mut stream = Box::pin(crate::logs::read_logs(path, opts, move || {
        flag.load(Ordering::Relaxed)
    }));
    drop(running);
    // An error opening the file comes at once as the only item: answer it as an error.
    let first = match tokio::time::timeout(Duration::from_millis(200), stream.next()).await {
        Ok(Some(Err(e))) => {
            return text(
                500,
                &format!(
                    "failed to read the log of container \"{container}\" in pod \"{pod}\": {e}"
                ),
            )
        }
        Ok(Some(Ok(b))) => Some(b),
        Ok(None) => None,
        Err(_) => None,
    };
    let body = futures_util::stream::iter(first.map(|b| Ok(Frame::data(b))))
        .chain(stream.map(|r| r.map(Frame::data)));
    let mut resp = Response::new(BodyExt::boxed(StreamBody::new(body)));
    resp.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("text/plain"),
    );
    resp
}

/// How the client asked to upgrade.
enum Upgrade {
    /// SPDY/3.1 with these `X-Stream-Protocol-Version`s.
    Spdy(Vec<String>),
    /// WebSocket: the key and the offered subprotocols.
    WebSocket { key: String, protocols: Vec<String> },
}

fn upgrade_of<B>(req: &Request<B>) -> Option<Upgrade> {
    let h = req.headers();
    let connection_upgrade = h
        .get_all("connection")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',')
                .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
        });
    let upgrade = h.get("upgrade").and_then(|v| v.to_str().ok())?;
    if !connection_upgrade {
        return None;
    }
    if upgrade.eq_ignore_ascii_case("websocket") {
        let key = h.get("sec-websocket-key")?.to_str().ok()?.to_string();
        let protocols = websocket::offered_protocols(
            h.get_all("sec-websocket-protocol")
                .iter()
                .filter_map(|v| v.to_str().ok()),
        );
        return Some(Upgrade::WebSocket { key, protocols });
    }
    if upgrade.to_ascii_lowercase().starts_with("spdy/3.1") {
        let protocols = h
            .get_all("x-stream-protocol-version")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect();
        return Some(Upgrade::Spdy(protocols));
    }
    None
}

async fn remote_command(
    backend: Arc<dyn NodeBackend>,
    exec: bool,
    ns: &str,
    pod: &str,
    container: &str,
    mut req: Request<Incoming>,
) -> Response<Body> {
    let query = req.uri().query().unwrap_or("").to_string();
    let mut opts = StreamOptions {
        stdin: query_flag(&query, "input"),
        stdout: query_flag(&query, "output"),
        stderr: query_flag(&query, "error"),
        tty: query_flag(&query, "tty"),
    };
    if opts.tty && opts.stderr {
        // kubelet: "Access to exec with tty and stderr is not supported, bypassing stderr"
        opts.stderr = false;
    }
    if !opts.stdin && !opts.stdout && !opts.stderr {
        return text(400, "you must specify at least 1 of stdin, stdout, stderr");
    }
    let command = query_values(&query, "command");
    if exec && command.is_empty() {
        return text(
            400,
            "you must specify at least one command for the container",
        );
    }
    let Some(upgrade) = upgrade_of(&req) else {
        return text(400, "Upgrade request required");
    };
    let upstream_protocols = match &upgrade {
        Upgrade::Spdy(p) => p.clone(),
        Upgrade::WebSocket { protocols, .. } => {
            if !protocols.iter().any(|p| p == V5_PROTOCOL) {
                return text(
                    400,
                    &format!(
                        "unable to upgrade: none of the requested subprotocols {protocols:?} is supported (want {V5_PROTOCOL})"
                    ),
                );
            }
            vec![V4_PROTOCOL.to_string()]
        }
    };
    let c = match backend.container(ns, pod, container).await {
        Ok(c) => c,
        Err(e) => return error(e),
    };
    if !c.running {
        return text(500, &format!("container not found (\"{container}\")"));
    }
    let cri = backend.cri();
    let url = if exec {
        cri.exec(api::ExecRequest {
            container_id: c.id.clone(),
            cmd: command,
            tty: opts.tty,
            stdin: opts.stdin,
            stdout: opts.stdout,
            stderr: opts.stderr,
        })
        .await
    } else {
        cri.attach(api::AttachRequest {
            container_id: c.id.clone(),
            stdin: opts.stdin,
            tty: opts.tty,
            stdout: opts.stdout,
            stderr: opts.stderr,
        })
        .await
    };
    let url = match url {
        Ok(u) => u,
        Err(e) => return text(500, &e.to_string()),
    };
    let on_upgrade = hyper::upgrade::on(&mut req);
    let (runtime, negotiated) = match upstream::spdy_upgrade(&url, &upstream_protocols).await {
        Ok(x) => x,
        Err(resp) => return resp,
    };
    match upgrade {
        Upgrade::Spdy(_) => {
            tokio::spawn(async move {
                if let Ok(client) = on_upgrade.await {
                    pipe(TokioIo::new(client), runtime).await;
                }
            });
            switching_spdy(negotiated.as_deref())
        }
        Upgrade::WebSocket { key, .. } => {
            tokio::spawn(async move {
                if let Ok(client) = on_upgrade.await {
                    if let Err(e) =
                        translate::exec_v5_over_spdy(TokioIo::new(client), runtime, opts).await
                    {
                        tracing::debug!(error = %e, "exec/attach over websocket");
                    }
                }
            });
            switching_websocket(&key, V5_PROTOCOL)
        }
    }
}

async fn port_forward(
    backend: Arc<dyn NodeBackend>,
    ns: &str,
    pod: &str,
    mut req: Request<Incoming>,
) -> Response<Body> {
    let Some(upgrade) = upgrade_of(&req) else {
        return text(400, "Upgrade request required");
    };
    let tunnel_protocol = format!("{TUNNEL_PREFIX}{PORT_FORWARD_PROTOCOL}");
    let upstream_protocols = match &upgrade {
        Upgrade::Spdy(p) => p.clone(),
        Upgrade::WebSocket { protocols, .. } => {
            if !protocols.contains(&tunnel_protocol) {
                return text(
                    400,
                    &format!(
                        "unable to upgrade: none of the requested subprotocols {protocols:?} is supported (want {tunnel_protocol})"
                    ),
                );
            }
            vec![PORT_FORWARD_PROTOCOL.to_string()]
        }
    };
    let sandbox = match backend.sandbox(ns, pod).await {
        Ok(s) => s,
        Err(e) => return error(e),
    };
    // Ports are named by the client per stream (SPDY `port` headers), not in the request.
    let url = match backend.cri().port_forward(&sandbox, vec![]).await {
        Ok(u) => u,
        Err(e) => return text(500, &e.to_string()),
    };
    let on_upgrade = hyper::upgrade::on(&mut req);
    let (runtime, negotiated) = match upstream::spdy_upgrade(&url, &upstream_protocols).await {
        Ok(x) => x,
        Err(resp) => return resp,
    };
    match upgrade {
        Upgrade::Spdy(_) => {
            tokio::spawn(async move {
                if let Ok(client) = on_upgrade.await {
                    pipe(TokioIo::new(client), runtime).await;
                }
            });
            switching_spdy(negotiated.as_deref())
        }
        Upgrade::WebSocket { key, .. } => {
            tokio::spawn(async move {
                if let Ok(client) = on_upgrade.await {
                    let _ = translate::tunnel_spdy(TokioIo::new(client), runtime).await;
                }
            });
            switching_websocket(&key, &tunnel_protocol)
        }
    }
}

async fn pipe<A, B>(mut a: A, mut b: B)
where
    A: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    B: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let _ = tokio::io::copy_bidirectional(&mut a, &mut b).await;
}

fn empty() -> Body {
    Empty::new().map_err(|e| match e {}).boxed()
}

fn switching_spdy(protocol: Option<&str>) -> Response<Body> {
    let mut b = Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header("connection", "Upgrade")
        .header("upgrade", "SPDY/3.1");
    if let Some(p) = protocol {
        b = b.header("x-stream-protocol-version", p);
    }
    b.body(empty())
        .unwrap_or_else(|_| text(500, "building the response"))
}

fn switching_websocket(key: &str, protocol: &str) -> Response<Body> {
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header("connection", "Upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-accept", websocket::accept_key(key))
        .header("sec-websocket-protocol", protocol)
        .body(empty())
        .unwrap_or_else(|_| text(500, "building the response"))
}

/// The connection to the runtime's streaming server.
mod upstream {
    use super::*;

    pub type Io = TokioIo<hyper::upgrade::Upgraded>;

    /// Upgrades to SPDY/3.1 at the runtime's streaming `url` (`http://127.0.0.1:port/…`),
    /// offering `protocols`. Returns the connection and the protocol the runtime chose,
    /// or the response to give the client when the runtime refused.
    pub async fn spdy_upgrade(
        url: &str,
        protocols: &[String],
    ) -> Result<(Io, Option<String>), Response<Body>> {
        let uri: hyper::Uri = url
            .parse()
            .map_err(|e| text(500, &format!("runtime streaming URL {url:?}: {e}")))?;
        if uri.scheme_str() != Some("http") {
            return Err(text(
                500,
                &format!("runtime streaming URL {url:?}: only http is supported"),
            ));
        }
        let authority = uri
            .authority()
            .map(|a| a.to_string())
            .ok_or_else(|| text(500, &format!("runtime streaming URL {url:?} has no host")))?;
        let tcp = tokio::net::TcpStream::connect(&authority)
            .await
            .map_err(|e| {
                text(
                    500,
                    &format!("connecting to the runtime at {authority}: {e}"),
                )
            })?;
        let _ = tcp.set_nodelay(true);
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
            .await
            .map_err(|e| {
                text(
                    500,
                    &format!("connecting to the runtime at {authority}: {e}"),
                )
            })?;
        tokio::spawn(async move {
            let _ = conn.with_upgrades().await;
        });
        let path = uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
            .to_string();
        let mut b = Request::builder()
            .method(hyper::Method::POST)
            .uri(path)
            .header("host", &authority)
            .header("connection", "Upgrade")
            .header("upgrade", "SPDY/3.1");
        for p in protocols {
            b = b.header("x-stream-protocol-version", p);
        }
        let req = b
            .body(Empty::<Bytes>::new())
            .map_err(|e| text(500, &e.to_string()))?;
        let mut resp = sender
            .send_request(req)
            .await
            .map_err(|e| text(500, &format!("upgrading the runtime's stream: {e}")))?;
        if resp.status() != StatusCode::SWITCHING_PROTOCOLS {
            let code = resp.status().as_u16();
            let body = resp
                .into_body()
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            return Err(text(
                if code == 200 { 500 } else { code },
                String::from_utf8_lossy(&body).trim(),
            ));
        }
        let negotiated = resp
            .headers()
            .get("x-stream-protocol-version")
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let upgraded = hyper::upgrade::on(&mut resp)
            .await
            .map_err(|e| text(500, &format!("upgrading the runtime's stream: {e}")))?;
        Ok((TokioIo::new(upgraded), negotiated))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_helpers() {
        let q = "command=sh&command=-c&command=echo%20hi+there&input=1&tty=true&output=0";
        assert_eq!(query_values(q, "command"), ["sh", "-c", "echo hi there"]);
        assert!(query_flag(q, "input"));
        assert!(query_flag(q, "tty"));
        assert!(!query_flag(q, "output"));
        assert!(!query_flag(q, "error"));
        assert_eq!(percent_decode("a%2Fb%"), "a/b%");
    }

    #[test]
    fn authorization_is_the_apiserver_or_admins() {
        assert!(authorized(APISERVER_CLIENT_CN, &[]));
        assert!(authorized("kubernetes-admin", &["system:masters".into()]));
        assert!(!authorized("system:node:n1", &["system:nodes".into()]));
    }

    #[test]
    fn self_signed_cert_has_names() {
        let tls = self_signed_cert("node-1", &["127.0.0.1".parse().unwrap()]).unwrap();
        let der = CertificateDer::from_pem_slice(tls.cert_pem.as_bytes()).unwrap();
        let (_, c) = x509_parser::parse_x509_certificate(der.as_ref()).unwrap();
        let san = c.subject_alternative_name().unwrap().unwrap();
        let names = format!("{:?}", san.value.general_names);
        assert!(
            names.contains("node-1") && names.contains("127, 0, 0, 1"),
            "{names}"
        );
    }
}
