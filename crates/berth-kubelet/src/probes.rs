//! Liveness, readiness and startup probes, as kubelet's prober runs them.
//!
//! - [`run_probe`] runs one probe (httpGet, tcpSocket, exec through CRI `ExecSync`,
//!   grpc `grpc.health.v1.Health/Check`) and returns a [`ProbeResult`] whose message
//!   is worded as kubelet's (pkg/probe/*, pkg/kubelet/prober/prober.go);
//! - [`ProbeWorker`] is the timing and threshold state machine of one probe of one
//!   container (pkg/kubelet/prober/worker.go), driven with explicit [`Instant`]s;
//! - [`ContainerProbes`] holds a container's three workers and applies the startup
//!   gate: until the startup probe succeeds, liveness and readiness do not run and the
//!   container is neither started nor ready.
//!
//! The caller (the pod worker) loops: sleep until [`ContainerProbes::next_due`], run
//! the due probe with [`run_probe`] (under the probe's timeout, which `run_probe`
//! applies itself), feed the result to [`ContainerProbes::record`], emit
//! [`probe_event`] for the result (kubelet records an event for every failed probe, not
//! only on transitions) and act on the returned [`Transition`] (restart the container,
//! update readiness).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Buf, BufMut, Bytes};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use k8s_openapi::api::core::v1::{Container, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use tokio::net::TcpStream;

use crate::cri::CriClient;

/// The User-Agent of kubelet's HTTP and gRPC probes (`kube-probe/<major>.<minor>`).
pub const USER_AGENT: &str = "kube-probe/1.33";
/// At most this much of an HTTP response body or of an exec's output is kept.
const MAX_OUTPUT: usize = 10 * 1024;
/// Redirects followed (to the same host) before the probe fails, as Go's client.
const MAX_REDIRECTS: usize = 10;
/// kubelet retries a probe that errored (not one that failed) this many times.
const MAX_PROBE_RETRIES: usize = 3;

/// The outcome of one probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProbeResult {
    /// The probe passed.
    Success,
    /// The probe passed with a warning (an HTTP redirect to another host was not
    /// followed): counts as a success; kubelet records a `ProbeWarning` event.
    Warning(String),
    /// The probe failed; the message is kubelet's, e.g. `HTTP probe failed with
    /// statuscode: 500`.
    Failure(String),
    /// The probe could not be run (bad port name, runtime error): kubelet records a
    /// `probe errored` event and discards the result (no threshold counting).
    Unknown(String),
}

impl ProbeResult {
    /// Success or warning.
    pub fn is_success(&self) -> bool {
        matches!(self, ProbeResult::Success | ProbeResult::Warning(_))
    }
}

/// What a probe runs against.
pub struct ProbeTarget<'a> {
    /// The pod's IP (the default host of httpGet and tcpSocket, the host of grpc).
    pub pod_ip: &'a str,
    /// The CRI id of the container (exec probes).
    pub container_id: &'a str,
    /// The runtime (exec probes).
    pub cri: &'a CriClient,
    /// The container's spec: named ports and the environment for `$(VAR)` in exec
    /// commands.
    pub container: &'a Container,
}

/// Which probe of a container.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProbeKind {
    /// `livenessProbe`: failing restarts the container.
    Liveness,
    /// `readinessProbe`: failing takes the pod out of service endpoints.
    Readiness,
    /// `startupProbe`: gates the other two; failing restarts the container.
    Startup,
}

impl ProbeKind {
    /// As kubelet names it in events: `Liveness`, `Readiness`, `Startup`.
    pub fn name(self) -> &'static str {
        match self {
            ProbeKind::Liveness => "Liveness",
            ProbeKind::Readiness => "Readiness",
            ProbeKind::Startup => "Startup",
        }
    }

    /// The probe of this kind in a container's spec.
    pub fn of(self, container: &Container) -> Option<&Probe> {
        match self {
            ProbeKind::Liveness => container.liveness_probe.as_ref(),
            ProbeKind::Readiness => container.readiness_probe.as_ref(),
            ProbeKind::Startup => container.startup_probe.as_ref(),
        }
    }
}

/// The probe's timeout (`timeoutSeconds`, default 1).
pub fn probe_timeout(probe: &Probe) -> Duration {
    Duration::from_secs(positive(probe.timeout_seconds, 1) as u64)
}

fn positive(value: Option<i32>, default: i32) -> i32 {
    match value {
        Some(v) if v > 0 => v,
        _ => default,
    }
}

/// Runs `probe` once against `target`, within the probe's `timeoutSeconds`. Errors
/// (results [`ProbeResult::Unknown`]) are retried up to 3 times, as kubelet does.
pub async fn run_probe(probe: &Probe, target: &ProbeTarget<'_>) -> ProbeResult {
    let mut result = ProbeResult::Unknown("no attempt".into());
    for _ in 0..MAX_PROBE_RETRIES {
        result = run_once(probe, target).await;
        if !matches!(result, ProbeResult::Unknown(_)) {
            break;
        }
    }
    result
}

async fn run_once(probe: &Probe, target: &ProbeTarget<'_>) -> ProbeResult {
    let timeout = probe_timeout(probe);
    if let Some(exec) = &probe.exec {
        let command = expand_command(
            exec.command.as_deref().unwrap_or_default(),
            target.container,
        );
        return exec_probe(target.cri, target.container_id, command, timeout).await;
    }
    if let Some(get) = &probe.http_get {
        let port = match resolve_port(&get.port, target.container) {
            Ok(port) => port,
            Err(e) => return ProbeResult::Unknown(e),
        };
        let scheme = match get.scheme.as_deref().unwrap_or("HTTP") {
            s if s.eq_ignore_ascii_case("http") => Scheme::Http,
            s if s.eq_ignore_ascii_case("https") => Scheme::Https,
            s => return ProbeResult::Unknown(format!("unsupported HTTP probe scheme {s:?}")),
        };
        let host = match get.host.as_deref() {
            Some(h) if !h.is_empty() => h,
            _ => target.pod_ip,
        };
        let headers: Vec<(String, String)> = get
            .http_headers
            .iter()
            .flatten()
            .map(|h| (h.name.clone(), h.value.clone()))
            .collect();
        let path = get.path.as_deref().unwrap_or("");
        return http_probe(scheme, host, port, path, &headers, timeout).await;
    }
    if let Some(tcp) = &probe.tcp_socket {
        let port = match resolve_port(&tcp.port, target.container) {
            Ok(port) => port,
            Err(e) => return ProbeResult::Unknown(e),
        };
        let host = match tcp.host.as_deref() {
            Some(h) if !h.is_empty() => h,
            _ => target.pod_ip,
        };
        return tcp_probe(host, port, timeout).await;
    }
    if let Some(grpc) = &probe.grpc {
        if !(1..=65535).contains(&grpc.port) {
            return ProbeResult::Unknown(format!("invalid port number: {}", grpc.port));
        }
        let service = grpc.service.as_deref().unwrap_or("");
        return grpc_probe(target.pod_ip, grpc.port as u16, service, timeout).await;
    }
    tracing::warn!("probe with no action; treated as success");
    ProbeResult::Success
}

/// A probe's port: a number, or the name of one of the container's ports (or a number
/// written as a string), as kubelet's `extractPort`.
pub fn resolve_port(port: &IntOrString, container: &Container) -> Result<u16, String> {
    let number = match port {
        IntOrString::Int(n) => i64::from(*n),
        IntOrString::String(name) => {
            let named = container
                .ports
                .iter()
                .flatten()
                .find(|p| p.name.as_deref() == Some(name.as_str()))
                .map(|p| i64::from(p.container_port));
            match named {
                Some(n) => n,
                None => name
                    .parse::<i64>()
                    .map_err(|_| format!("couldn't find port: {name} in {}", container.name))?,
            }
        }
    };
    if (1..65536).contains(&number) {
        Ok(number as u16)
    } else {
        Err(format!("invalid port number: {number}"))
    }
}

/// Expands `$(VAR)` in an exec probe's command with the container's literal env values
/// (kubelet's `ExpandContainerCommandOnlyStatic`): `$$` is a literal `$`, unknown
/// references stay as written.
pub fn expand_command(command: &[String], container: &Container) -> Vec<String> {
    let env: HashMap<&str, &str> = container
        .env
        .iter()
        .flatten()
        .filter(|e| e.value_from.is_none())
        .map(|e| (e.name.as_str(), e.value.as_deref().unwrap_or("")))
        .collect();
    command.iter().map(|arg| expand(arg, &env)).collect()
}

fn expand(input: &str, env: &HashMap<&str, &str>) -> String {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(inner) = after.strip_prefix('(') {
            match inner.find(')') {
                Some(end) => {
                    let name = &inner[..end];
                    match env.get(name) {
                        Some(value) => out.push_str(value),
                        None => {
                            out.push_str("$(");
                            out.push_str(name);
                            out.push(')');
                        }
                    }
                    rest = &inner[end + 1..];
                }
                None => {
                    out.push_str("$(");
                    rest = inner;
                }
            }
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

async fn exec_probe(
    cri: &CriClient,
    container_id: &str,
    command: Vec<String>,
    timeout: Duration,
) -> ProbeResult {
    let joined = command.join(" ");
    match cri.exec_sync(container_id, command, timeout).await {
        Ok(response) => {
            let mut output = response.stdout;
            output.extend_from_slice(&response.stderr);
            output.truncate(MAX_OUTPUT);
            let output = String::from_utf8_lossy(&output).into_owned();
            if response.exit_code == 0 {
                ProbeResult::Success
            } else if output.is_empty() {
                ProbeResult::Failure(format!(
                    "command {joined:?} exited with {}",
                    response.exit_code
                ))
            } else {
                ProbeResult::Failure(output)
            }
        }
        Err(e) if e.code() == Some(tonic::Code::DeadlineExceeded) => {
            ProbeResult::Failure(format!("command {joined:?} timed out"))
        }
        Err(e) => ProbeResult::Unknown(e.to_string()),
    }
}

/// `host:port`, with brackets around an IPv6 host.
fn join_host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// An I/O error as Go words a socket error: `connection refused`, `i/o timeout`.
fn go_error(e: &std::io::Error) -> String {
    if let Some(code) = e.raw_os_error() {
        // SAFETY: strerror returns a pointer to a static (or thread-local) C string.
        let text = unsafe { std::ffi::CStr::from_ptr(libc::strerror(code)) };
        let mut text = text.to_string_lossy().into_owned();
        if let Some(first) = text.get(..1) {
            text = first.to_lowercase() + &text[1..];
        }
        return text;
    }
    match e.kind() {
        std::io::ErrorKind::TimedOut => "i/o timeout".into(),
        std::io::ErrorKind::UnexpectedEof => "EOF".into(),
        _ => e.to_string(),
    }
}

/// Connects as Go's `net.Dial("tcp", …)`; the error is worded as Go's, e.g.
/// `dial tcp 10.0.0.1:80: connect: connection refused`.
async fn dial(host: &str, port: u16, deadline: tokio::time::Instant) -> Result<TcpStream, String> {
    let addr = join_host_port(host, port);
    let connect = async {
        let addrs: Vec<SocketAddr> = match tokio::net::lookup_host(&addr).await {
            Ok(a) => a.collect(),
            Err(e) => return Err(format!("dial tcp: lookup {host}: {}", go_error(&e))),
        };
        let mut last = format!("dial tcp: lookup {host}: no such host");
        for a in addrs {
            match TcpStream::connect(a).await {
                Ok(stream) => return Ok(stream),
                Err(e) => last = format!("dial tcp {a}: connect: {}", go_error(&e)),
            }
        }
        Err(last)
    };
    match tokio::time::timeout_at(deadline, connect).await {
        Ok(result) => result,
        Err(_) => Err(format!("dial tcp {addr}: i/o timeout")),
    }
}

async fn tcp_probe(host: &str, port: u16, timeout: Duration) -> ProbeResult {
    match dial(host, port, tokio::time::Instant::now() + timeout).await {
        Ok(_) => ProbeResult::Success,
        Err(e) => ProbeResult::Failure(e),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scheme {
    Http,
    Https,
}

/// A URL as the HTTP probe follows it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Url {
    scheme: Scheme,
    host: String,
    port: u16,
    /// Path and query, starting with `/`.
    path: String,
}

impl Url {
    fn authority(&self) -> String {
        join_host_port(&self.host, self.port)
    }

    /// The `Host` header Go sends: the port is left out when it is the scheme's default.
    fn host_header(&self) -> String {
        let default = match self.scheme {
            Scheme::Http => 80,
            Scheme::Https => 443,
        };
        if self.port == default {
            if self.host.contains(':') {
                format!("[{}]", self.host)
            } else {
                self.host.clone()
            }
        } else {
            self.authority()
        }
    }

    /// Resolves a `Location` header against this URL.
    fn join(&self, location: &str) -> Option<Url> {
        let (scheme, rest) = if let Some(r) = location.strip_prefix("http://") {
            (Scheme::Http, Some(r))
        } else if let Some(r) = location.strip_prefix("https://") {
            (Scheme::Https, Some(r))
        } else if let Some(r) = location.strip_prefix("//") {
            (self.scheme, Some(r))
        } else {
            (self.scheme, None)
        };
        if let Some(rest) = rest {
            let (authority, path) = match rest.find(['/', '?']) {
                Some(i) => (&rest[..i], &rest[i..]),
                None => (rest, "/"),
            };
            let default = if scheme == Scheme::Http { 80 } else { 443 };
            let (host, port) = split_authority(authority, default)?;
            let path = if path.starts_with('?') {
                format!("/{path}")
            } else {
                path.to_string()
            };
            return Some(Url {
                scheme,
                host,
                port,
                path,
            });
        }
        let path = if location.starts_with('/') {
            location.to_string()
        } else {
            // Relative to the current path's directory.
            let current = self.path.split('?').next().unwrap_or("/");
            let dir = &current[..current.rfind('/').map_or(0, |i| i + 1)];
            format!("{}{location}", if dir.is_empty() { "/" } else { dir })
        };
        Some(Url {
            path,
            ..self.clone()
        })
    }

    fn display(&self) -> String {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        format!("{scheme}://{}{}", self.host_header(), self.path)
    }
}

fn split_authority(authority: &str, default: u16) -> Option<(String, u16)> {
    let authority = authority.rsplit('@').next()?;
    if let Some(rest) = authority.strip_prefix('[') {
        let end = rest.find(']')?;
        let host = rest[..end].to_string();
        let port = match rest[end + 1..].strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None => default,
        };
        return Some((host, port));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => Some((host.to_string(), port.parse().ok()?)),
        None => Some((authority.to_string(), default)),
    }
}

/// What one HTTP exchange returned.
struct HttpResponse {
    status: u16,
    location: Option<String>,
    body: Vec<u8>,
}

async fn http_probe(
    scheme: Scheme,
    host: &str,
    port: u16,
    path: &str,
    headers: &[(String, String)],
    timeout: Duration,
) -> ProbeResult {
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    let first = Url {
        scheme,
        host: host.to_string(),
        port,
        path,
    };
    let deadline = tokio::time::Instant::now() + timeout;
    let mut url = first.clone();
    let mut redirects = 0;
    loop {
        let response = match tokio::time::timeout_at(deadline, http_get(&url, headers, deadline)).await
        {
            Ok(Ok(response)) => response,
            Ok(Err(e)) => return ProbeResult::Failure(format!("Get {:?}: {e}", url.display())),
            Err(_) => {
                return ProbeResult::Failure(format!(
                    "Get {:?}: context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
                    url.display()
                ))
            }
        };
        let status = response.status;
        let redirect = matches!(status, 301 | 302 | 303 | 307 | 308);
        if redirect {
            if let Some(next) = response.location.as_deref().and_then(|l| url.join(l)) {
                // Only redirects to the same host are followed (kubelet's
                // followNonLocalRedirects=false); another host ends with this response.
                if next.host == first.host {
                    redirects += 1;
                    if redirects >= MAX_REDIRECTS {
                        return ProbeResult::Failure(format!(
                            "Get {:?}: stopped after {MAX_REDIRECTS} redirects",
                            next.display()
                        ));
                    }
                    url = next;
                    continue;
                }
            }
        }
        let body = String::from_utf8_lossy(&response.body);
        return if (200..400).contains(&status) {
            if status >= 300 {
                ProbeResult::Warning(format!("Probe terminated redirects, Response body: {body}"))
            } else {
                ProbeResult::Success
            }
        } else {
            tracing::debug!(url = %url.display(), status, %body, "HTTP probe failed");
            ProbeResult::Failure(format!("HTTP probe failed with statuscode: {status}"))
        };
    }
}

/// One GET on a new connection (kubelet's probe client disables keep-alives).
async fn http_get(
    url: &Url,
    headers: &[(String, String)],
    deadline: tokio::time::Instant,
) -> Result<HttpResponse, String> {
    let tcp = dial(&url.host, url.port, deadline).await?;
    let mut request = http::Request::builder()
        .method("GET")
        .uri(url.path.as_str());
    let has = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    let has_host = has("host");
    let has_agent = has("user-agent");
    let has_accept = has("accept");
    if !has_host {
        request = request.header(http::header::HOST, url.host_header());
    }
    if !has_agent {
        request = request.header(http::header::USER_AGENT, USER_AGENT);
    }
    if !has_accept {
        request = request.header(http::header::ACCEPT, "*/*");
    }
    for (name, value) in headers {
        // An empty Accept removes the default (kubelet); other headers are sent as given.
        if name.eq_ignore_ascii_case("accept") && value.is_empty() {
            continue;
        }
        request = request.header(name.as_str(), value.as_str());
    }
    request = request.header(http::header::CONNECTION, "close");
    let request = request
        .body(Empty::<Bytes>::new())
        .map_err(|e| format!("invalid request: {e}"))?;
    let response = match url.scheme {
        Scheme::Http => send(TokioIo::new(tcp), request).await?,
        Scheme::Https => {
            let server_name = match url.host.parse::<std::net::IpAddr>() {
                Ok(ip) => rustls::pki_types::ServerName::IpAddress(ip.into()),
                Err(_) => rustls::pki_types::ServerName::try_from(url.host.clone())
                    .map_err(|e| format!("invalid host {:?}: {e}", url.host))?,
            };
            let tls = tokio_rustls::TlsConnector::from(insecure_tls_config())
                .connect(server_name, tcp)
                .await
                .map_err(|e| format!("tls: {e}"))?;
            send(TokioIo::new(tls), request).await?
        }
    };
    Ok(response)
}

async fn send<T>(io: T, request: http::Request<Empty<Bytes>>) -> Result<HttpResponse, String>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| e.to_string())?;
    let driver = tokio::spawn(async move {
        let _ = connection.await;
    });
    let result = async {
        let response = sender.send_request(request).await.map_err(|e| {
            if e.is_incomplete_message() {
                "EOF".to_string()
            } else {
                e.to_string()
            }
        })?;
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get(http::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mut body = Vec::new();
        let mut incoming = response.into_body();
        while body.len() < MAX_OUTPUT {
            match incoming.frame().await {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        body.extend_from_slice(&data);
                    }
                }
                Some(Err(e)) => return Err(e.to_string()),
                None => break,
            }
        }
        body.truncate(MAX_OUTPUT);
        Ok(HttpResponse {
            status,
            location,
            body,
        })
    }
    .await;
    // Dropping the connection (and with it the socket) ends the exchange.
    driver.abort();
    result
}

/// TLS for HTTPS probes: like kubelet's (`InsecureSkipVerify`), any certificate is
/// accepted.
fn insecure_tls_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: std::sync::OnceLock<Arc<rustls::ClientConfig>> = std::sync::OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .expect("ring supports the default protocol versions")
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
                .with_no_client_auth();
            Arc::new(config)
        })
        .clone()
}

#[derive(Debug)]
struct AcceptAnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &rustls::pki_types::CertificateDer<'_>,
        _dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &rustls::pki_types::CertificateDer<'_>,
        _dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

// --- gRPC health checking (grpc.health.v1), encoded by hand -------------------------

/// `grpc.health.v1.HealthCheckRequest { string service = 1; }`
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HealthCheckRequest {
    /// The service name (empty: the server as a whole).
    pub service: String,
}

/// `grpc.health.v1.HealthCheckResponse { ServingStatus status = 1; }`: 0 UNKNOWN,
/// 1 SERVING, 2 NOT_SERVING, 3 SERVICE_UNKNOWN.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HealthCheckResponse {
    /// The serving status.
    pub status: i32,
}

/// The name of a `ServingStatus` value, as the protobuf enum spells it.
pub fn serving_status_name(status: i32) -> String {
    match status {
        0 => "UNKNOWN".into(),
        1 => "SERVING".into(),
        2 => "NOT_SERVING".into(),
        3 => "SERVICE_UNKNOWN".into(),
        n => n.to_string(),
    }
}

/// A message of the health protocol, encoded and decoded by hand (no prost).
pub trait HealthMessage: Sized + Send + Sync + 'static {
    /// Appends the protobuf encoding.
    fn encode(&self, buf: &mut impl BufMut);
    /// Decodes a whole message.
    fn decode(buf: &mut impl Buf) -> Result<Self, String>;
}

fn put_varint(buf: &mut impl BufMut, mut v: u64) {
    while v >= 0x80 {
        buf.put_u8((v as u8) | 0x80);
        v >>= 7;
    }
    buf.put_u8(v as u8);
}

fn get_varint(buf: &mut impl Buf) -> Result<u64, String> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        if !buf.has_remaining() {
            return Err("truncated varint".into());
        }
        let b = buf.get_u8();
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Ok(v);
        }
    }
    Err("varint too long".into())
}

/// Visits the fields of a message: `(field number, varint value or bytes)`.
fn for_each_field(
    buf: &mut impl Buf,
    mut f: impl FnMut(u64, Result<u64, Vec<u8>>),
) -> Result<(), String> {
    while buf.has_remaining() {
        let key = get_varint(buf)?;
        let (field, wire) = (key >> 3, key & 7);
        match wire {
            0 => f(field, Ok(get_varint(buf)?)),
            1 | 5 => {
                let n = if wire == 1 { 8 } else { 4 };
                if buf.remaining() < n {
                    return Err("truncated fixed field".into());
                }
                buf.advance(n);
            }
            2 => {
                let len = get_varint(buf)? as usize;
                if buf.remaining() < len {
                    return Err("truncated field".into());
                }
                let mut bytes = vec![0; len];
                buf.copy_to_slice(&mut bytes);
                f(field, Err(bytes));
            }
            w => return Err(format!("unsupported wire type {w}")),
        }
    }
    Ok(())
}

impl HealthMessage for HealthCheckRequest {
    fn encode(&self, buf: &mut impl BufMut) {
        if !self.service.is_empty() {
            buf.put_u8(0x0a);
            put_varint(buf, self.service.len() as u64);
            buf.put_slice(self.service.as_bytes());
        }
    }

    fn decode(buf: &mut impl Buf) -> Result<Self, String> {
        let mut message = HealthCheckRequest::default();
        for_each_field(buf, |field, value| {
            if let (1, Err(bytes)) = (field, value) {
                message.service = String::from_utf8_lossy(&bytes).into_owned();
            }
        })?;
        Ok(message)
    }
}

impl HealthMessage for HealthCheckResponse {
    fn encode(&self, buf: &mut impl BufMut) {
        if self.status != 0 {
            buf.put_u8(0x08);
            put_varint(buf, self.status as i64 as u64);
        }
    }

    fn decode(buf: &mut impl Buf) -> Result<Self, String> {
        let mut message = HealthCheckResponse::default();
        for_each_field(buf, |field, value| {
            if let (1, Ok(v)) = (field, value) {
                message.status = v as i32;
            }
        })?;
        Ok(message)
    }
}

/// A tonic codec for the hand-written health messages: encodes `E`, decodes `D`.
pub struct HealthCodec<E, D>(std::marker::PhantomData<fn(E) -> D>);

impl<E, D> Default for HealthCodec<E, D> {
    fn default() -> Self {
        HealthCodec(std::marker::PhantomData)
    }
}

/// Encoder half of [`HealthCodec`].
pub struct HealthEncoder<E>(std::marker::PhantomData<fn(E)>);
/// Decoder half of [`HealthCodec`].
pub struct HealthDecoder<D>(std::marker::PhantomData<fn() -> D>);

impl<E: HealthMessage, D: HealthMessage> tonic::codec::Codec for HealthCodec<E, D> {
    type Encode = E;
    type Decode = D;
    type Encoder = HealthEncoder<E>;
    type Decoder = HealthDecoder<D>;

    fn encoder(&mut self) -> Self::Encoder {
        HealthEncoder(std::marker::PhantomData)
    }

    fn decoder(&mut self) -> Self::Decoder {
        HealthDecoder(std::marker::PhantomData)
    }
}

impl<E: HealthMessage> tonic::codec::Encoder for HealthEncoder<E> {
    type Item = E;
    type Error = tonic::Status;

    fn encode(
        &mut self,
        item: E,
        dst: &mut tonic::codec::EncodeBuf<'_>,
    ) -> Result<(), tonic::Status> {
        item.encode(dst);
        Ok(())
    }
}

impl<D: HealthMessage> tonic::codec::Decoder for HealthDecoder<D> {
    type Item = D;
    type Error = tonic::Status;

    fn decode(
        &mut self,
        src: &mut tonic::codec::DecodeBuf<'_>,
    ) -> Result<Option<D>, tonic::Status> {
        D::decode(src).map(Some).map_err(tonic::Status::internal)
    }
}

/// The gRPC path of the health check.
pub const HEALTH_CHECK_PATH: &str = "/grpc.health.v1.Health/Check";

async fn grpc_probe(host: &str, port: u16, service: &str, timeout: Duration) -> ProbeResult {
    let addr = join_host_port(host, port);
    let endpoint = match tonic::transport::Endpoint::from_shared(format!("http://{addr}")) {
        Ok(e) => e,
        Err(e) => return ProbeResult::Unknown(format!("invalid gRPC address {addr:?}: {e}")),
    };
    let endpoint = endpoint
        .connect_timeout(timeout)
        .timeout(timeout)
        .user_agent(USER_AGENT)
        .expect("a valid user agent");
    let deadline = tokio::time::Instant::now() + timeout;
    let channel = match tokio::time::timeout_at(deadline, endpoint.connect()).await {
        Ok(Ok(channel)) => channel,
        Ok(Err(e)) => {
            // The socket error worded as Go's, else the whole chain of causes.
            let mut cause = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                if let Some(io) = s.downcast_ref::<std::io::Error>() {
                    cause = format!("dial tcp {addr}: connect: {}", go_error(io));
                    break;
                }
                cause = format!("{cause}: {s}");
                source = s.source();
            }
            return ProbeResult::Failure(format!(
                "error: failed to connect service at {addr:?}: {cause}"
            ));
        }
        Err(_) => {
            return ProbeResult::Failure(format!(
                "timeout: failed to connect service {addr:?} within {}s: context deadline exceeded",
                timeout.as_secs()
            ))
        }
    };
    let mut client = tonic::client::Grpc::new(channel);
    let call = async {
        client
            .ready()
            .await
            .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
        let request = tonic::Request::new(HealthCheckRequest {
            service: service.to_string(),
        });
        client
            .unary(
                request,
                http::uri::PathAndQuery::from_static(HEALTH_CHECK_PATH),
                HealthCodec::<HealthCheckRequest, HealthCheckResponse>::default(),
            )
            .await
    };
    let response = match tokio::time::timeout_at(deadline, call).await {
        Ok(Ok(response)) => response.into_inner(),
        Ok(Err(status)) => {
            return ProbeResult::Failure(match status.code() {
                tonic::Code::Unimplemented => format!(
                    "this server does not implement the grpc health protocol (grpc.health.v1.Health): {}",
                    status.message()
                ),
                tonic::Code::DeadlineExceeded | tonic::Code::Cancelled => format!(
                    "timeout: health rpc did not complete within {}s",
                    timeout.as_secs()
                ),
                _ => format!(
                    "error: health rpc probe failed: rpc error: code = {:?} desc = {}",
                    status.code(),
                    status.message()
                ),
            })
        }
        Err(_) => {
            return ProbeResult::Failure(format!(
                "timeout: health rpc did not complete within {}s",
                timeout.as_secs()
            ))
        }
    };
    if response.status == 1 {
        ProbeResult::Success
    } else {
        ProbeResult::Failure(format!(
            "service unhealthy (responded with {:?})",
            serving_status_name(response.status)
        ))
    }
}

// --- the timing and threshold state machine ------------------------------------------

/// An event to record for a probe result, as kubelet's prober records them (for every
/// result that is not a plain success; the event recorder aggregates repeats).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeEvent {
    /// `Warning`.
    pub type_: &'static str,
    /// `Unhealthy` or `ProbeWarning`.
    pub reason: &'static str,
    /// e.g. `Liveness probe failed: HTTP probe failed with statuscode: 500`.
    pub message: String,
}

/// The event for one probe result (`None` for a success).
pub fn probe_event(kind: ProbeKind, result: &ProbeResult) -> Option<ProbeEvent> {
    let (reason, message) = match result {
        ProbeResult::Success => return None,
        ProbeResult::Warning(m) => (
            "ProbeWarning",
            format!("{} probe warning: {m}", kind.name()),
        ),
        ProbeResult::Failure(m) => ("Unhealthy", format!("{} probe failed: {m}", kind.name())),
        ProbeResult::Unknown(m) => ("Unhealthy", format!("{} probe errored: {m}", kind.name())),
    };
    Some(ProbeEvent {
        type_: "Warning",
        reason,
        message,
    })
}

/// The message of the `Killing` event when a liveness or startup probe failure makes
/// the container restart (kubelet: `Container app failed liveness probe, will be
/// restarted`).
pub fn kill_message(kind: ProbeKind, container_name: &str, will_restart: bool) -> String {
    let kind = match kind {
        ProbeKind::Liveness => "liveness",
        ProbeKind::Readiness => "readiness",
        ProbeKind::Startup => "startup",
    };
    let mut message = format!("Container {container_name} failed {kind} probe");
    if will_restart {
        message.push_str(", will be restarted");
    }
    message
}

/// The reported result of a probe changed, or the container must be restarted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    /// Which probe.
    pub kind: ProbeKind,
    /// The result now reported (readiness: ready; startup: started; liveness: live).
    pub success: bool,
    /// The message of the result that caused it (empty for a success).
    pub message: String,
    /// A liveness or startup probe reached its failure threshold: kill the container
    /// (with [`ProbeWorker::termination_grace_period_seconds`] if set) and restart it
    /// per the pod's restartPolicy. The worker holds until
    /// [`ProbeWorker::reset_for_new_container`].
    pub restart: bool,
}

/// One probe of one container: when it is due, and what its results add up to
/// (kubelet's prober worker).
#[derive(Clone, Debug)]
pub struct ProbeWorker {
    kind: ProbeKind,
    probe: Probe,
    initial_delay: Duration,
    period: Duration,
    success_threshold: u32,
    failure_threshold: u32,
    started_at: Instant,
    last_probe: Option<Instant>,
    success: bool,
    last_result: Option<bool>,
    run: u32,
    on_hold: bool,
}

impl ProbeWorker {
    /// A worker for `probe` of a container that started at `started_at`. Defaults as
    /// the API server's: periodSeconds 10, timeoutSeconds 1, successThreshold 1
    /// (always 1 for liveness and startup), failureThreshold 3, initialDelaySeconds 0.
    pub fn new(kind: ProbeKind, probe: &Probe, started_at: Instant) -> Self {
        let success_threshold = match kind {
            ProbeKind::Readiness => positive(probe.success_threshold, 1) as u32,
            ProbeKind::Liveness | ProbeKind::Startup => 1,
        };
        ProbeWorker {
            kind,
            probe: probe.clone(),
            initial_delay: Duration::from_secs(
                probe.initial_delay_seconds.unwrap_or(0).max(0) as u64
            ),
            period: Duration::from_secs(positive(probe.period_seconds, 10) as u64),
            success_threshold,
            failure_threshold: positive(probe.failure_threshold, 3) as u32,
            started_at,
            last_probe: None,
            success: Self::initial_value(kind),
            last_result: None,
            run: 0,
            on_hold: false,
        }
    }

    /// What kubelet reports before the first result: readiness not ready, liveness
    /// live, startup not started.
    pub fn initial_value(kind: ProbeKind) -> bool {
        kind == ProbeKind::Liveness
    }

    /// Which probe this is.
    pub fn kind(&self) -> ProbeKind {
        self.kind
    }

    /// The probe's spec (for [`run_probe`]).
    pub fn probe(&self) -> &Probe {
        &self.probe
    }

    /// `timeoutSeconds` (default 1).
    pub fn timeout(&self) -> Duration {
        probe_timeout(&self.probe)
    }

    /// `periodSeconds` (default 10).
    pub fn period(&self) -> Duration {
        self.period
    }

    /// The probe-level `terminationGracePeriodSeconds`, which overrides the pod's when
    /// a liveness or startup failure kills the container (`None` for readiness).
    pub fn termination_grace_period_seconds(&self) -> Option<i64> {
        match self.kind {
            ProbeKind::Readiness => None,
            _ => self.probe.termination_grace_period_seconds,
        }
    }

    /// The result currently reported.
    pub fn success(&self) -> bool {
        self.success
    }

    /// A liveness or startup failure asked for a restart; no more probes until
    /// [`reset_for_new_container`](Self::reset_for_new_container).
    pub fn on_hold(&self) -> bool {
        self.on_hold
    }

    /// When the probe should run next: `initialDelaySeconds` after the container
    /// started, then every `periodSeconds` after the previous run. `None` while on
    /// hold, and for a startup probe that has succeeded (it stops).
    pub fn next_due(&self) -> Option<Instant> {
        if self.on_hold || (self.kind == ProbeKind::Startup && self.success) {
            return None;
        }
        let first = self.started_at + self.initial_delay;
        Some(match self.last_probe {
            Some(last) => first.max(last + self.period),
            None => first,
        })
    }

    /// Whether the probe should run at `now`.
    pub fn is_due(&self, now: Instant) -> bool {
        self.next_due().is_some_and(|due| due <= now)
    }

    /// Records a result of a probe run at `now`. Failures and successes count
    /// towards their thresholds only when consecutive; an [`ProbeResult::Unknown`] is
    /// discarded (kubelet throws errored results away). Returns a transition when the
    /// reported result changes or the container must restart.
    pub fn record(&mut self, result: &ProbeResult, now: Instant) -> Option<Transition> {
        self.last_probe = Some(now);
        if self.on_hold {
            return None;
        }
        let (ok, message) = match result {
            ProbeResult::Success => (true, String::new()),
            ProbeResult::Warning(_) => (true, String::new()),
            ProbeResult::Failure(m) => (false, m.clone()),
            ProbeResult::Unknown(_) => return None,
        };
        if self.last_result == Some(ok) {
            self.run = self.run.saturating_add(1);
        } else {
            self.last_result = Some(ok);
            self.run = 1;
        }
        let threshold = if ok {
            self.success_threshold
        } else {
            self.failure_threshold
        };
        if self.run < threshold {
            return None;
        }
        let changed = self.success != ok;
        self.success = ok;
        let restart = !ok && matches!(self.kind, ProbeKind::Liveness | ProbeKind::Startup);
        if restart {
            self.on_hold = true;
            self.run = 0;
        }
        (changed || restart).then_some(Transition {
            kind: self.kind,
            success: ok,
            message,
            restart,
        })
    }

    /// A new instance of the container started (after a restart): back to the
    /// initial value, counters cleared, the initial delay counted from `started_at`.
    pub fn reset_for_new_container(&mut self, started_at: Instant) {
        self.started_at = started_at;
        self.last_probe = None;
        self.success = Self::initial_value(self.kind);
        self.last_result = None;
        self.run = 0;
        self.on_hold = false;
    }
}

/// A container's probes with the startup gate: while a startup probe exists and has
/// not succeeded, only it runs, and the container is neither started nor ready.
#[derive(Clone, Debug, Default)]
pub struct ContainerProbes {
    /// The startup probe's worker.
    pub startup: Option<ProbeWorker>,
    /// The liveness probe's worker.
    pub liveness: Option<ProbeWorker>,
    /// The readiness probe's worker.
    pub readiness: Option<ProbeWorker>,
}

impl ContainerProbes {
    /// Workers for the probes in `container`'s spec, for an instance started at
    /// `started_at`.
    pub fn new(container: &Container, started_at: Instant) -> Self {
        let worker = |kind: ProbeKind| {
            kind.of(container)
                .map(|p| ProbeWorker::new(kind, p, started_at))
        };
        ContainerProbes {
            startup: worker(ProbeKind::Startup),
            liveness: worker(ProbeKind::Liveness),
            readiness: worker(ProbeKind::Readiness),
        }
    }

    /// The worker of one probe.
    pub fn worker(&self, kind: ProbeKind) -> Option<&ProbeWorker> {
        match kind {
            ProbeKind::Startup => self.startup.as_ref(),
            ProbeKind::Liveness => self.liveness.as_ref(),
            ProbeKind::Readiness => self.readiness.as_ref(),
        }
    }

    fn worker_mut(&mut self, kind: ProbeKind) -> Option<&mut ProbeWorker> {
        match kind {
            ProbeKind::Startup => self.startup.as_mut(),
            ProbeKind::Liveness => self.liveness.as_mut(),
            ProbeKind::Readiness => self.readiness.as_mut(),
        }
    }

    /// `containerStatuses[].started`: no startup probe, or it succeeded.
    pub fn started(&self) -> bool {
        self.startup.as_ref().is_none_or(|w| w.success())
    }

    /// `containerStatuses[].ready`: started, and no readiness probe or it succeeded.
    pub fn ready(&self) -> bool {
        self.started() && self.readiness.as_ref().is_none_or(|w| w.success())
    }

    /// Whether a probe runs at all now (the startup gate).
    pub fn active(&self, kind: ProbeKind) -> bool {
        match kind {
            ProbeKind::Startup => !self.started(),
            _ => self.started(),
        }
    }

    /// The next probe to run and when (`None`: nothing to run until a result or a
    /// reset changes that).
    pub fn next_due(&self) -> Option<(ProbeKind, Instant)> {
        [
            ProbeKind::Startup,
            ProbeKind::Liveness,
            ProbeKind::Readiness,
        ]
        .into_iter()
        .filter(|&k| self.active(k))
        .filter_map(|k| Some((k, self.worker(k)?.next_due()?)))
        .min_by_key(|&(_, due)| due)
    }

    /// The probes due at `now`.
    pub fn due(&self, now: Instant) -> Vec<ProbeKind> {
        [
            ProbeKind::Startup,
            ProbeKind::Liveness,
            ProbeKind::Readiness,
        ]
        .into_iter()
        .filter(|&k| self.active(k) && self.worker(k).is_some_and(|w| w.is_due(now)))
        .collect()
    }

    /// Records a result of probe `kind` (see [`ProbeWorker::record`]). A result of a
    /// probe the startup gate holds back is ignored.
    pub fn record(
        &mut self,
        kind: ProbeKind,
        result: &ProbeResult,
        now: Instant,
    ) -> Option<Transition> {
        if !self.active(kind) {
            return None;
        }
        self.worker_mut(kind)?.record(result, now)
    }

    /// A new instance of the container started at `started_at`.
    pub fn reset_for_new_container(&mut self, started_at: Instant) {
        for worker in [&mut self.startup, &mut self.liveness, &mut self.readiness]
            .into_iter()
            .flatten()
        {
            worker.reset_for_new_container(started_at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::Full;
    use hyper::body::Incoming;
    use hyper::service::service_fn;
    use k8s_openapi::api::core::v1::{
        ContainerPort, EnvVar, GRPCAction, HTTPGetAction, HTTPHeader, TCPSocketAction,
    };
    use std::convert::Infallible;
    use tokio::net::TcpListener;

    fn container(port: u16) -> Container {
        Container {
            name: "app".into(),
            ports: Some(vec![ContainerPort {
                name: Some("http".into()),
                container_port: i32::from(port),
                ..Default::default()
            }]),
            env: Some(vec![EnvVar {
                name: "FILE".into(),
                value: Some("/tmp/healthy".into()),
                ..Default::default()
            }]),
            ..Default::default()
        }
    }

    async fn route(
        req: http::Request<Incoming>,
    ) -> Result<http::Response<Full<Bytes>>, Infallible> {
        let reply = |status: u16, location: Option<&str>, body: Vec<u8>| {
            let mut r = http::Response::builder().status(status);
            if let Some(l) = location {
                r = r.header("Location", l);
            }
            Ok(r.body(Full::new(Bytes::from(body))).unwrap())
        };
        let header = |name: &str| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        match req.uri().path() {
            "/ok" => reply(200, None, b"fine".to_vec()),
            "/fail" => reply(500, None, b"broken".to_vec()),
            "/created" => reply(201, None, vec![]),
            "/notfound" => reply(404, None, vec![]),
            "/slow" => {
                tokio::time::sleep(Duration::from_secs(5)).await;
                reply(200, None, vec![])
            }
            "/big" => reply(200, None, vec![b'x'; 1024 * 1024]),
            "/local" => reply(302, Some("/ok"), vec![]),
            "/relative" => reply(307, Some("ok"), vec![]),
            "/to-fail" => reply(301, Some("/fail"), vec![]),
            "/other" => reply(302, Some("http://other.invalid/ok"), b"moved".to_vec()),
            "/loop" => reply(302, Some("/loop"), vec![]),
            "/headers" => {
                let ok = header("user-agent") == USER_AGENT
                    && header("accept") == "*/*"
                    && header("x-custom") == "yes"
                    && header("host") == "probe.example";
                reply(if ok { 200 } else { 400 }, None, vec![])
            }
            "/default-headers" => {
                let ok = header("user-agent") == USER_AGENT
                    && header("accept") == "*/*"
                    && header("host").starts_with("127.0.0.1:");
                reply(if ok { 200 } else { 400 }, None, vec![])
            }
            "/query" if req.uri().query() == Some("a=1") => reply(200, None, vec![]),
            _ => reply(418, None, vec![]),
        }
    }

    /// An HTTP (or, with a certificate, HTTPS) server on 127.0.0.1 answering [`route`].
    async fn serve(tls: bool) -> (u16, tokio::task::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let acceptor = tls.then(|| {
            let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
            let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
            let config = rustls::ServerConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.cert.der().clone()], key)
            .unwrap();
            tokio_rustls::TlsAcceptor::from(Arc::new(config))
        });
        let task = tokio::spawn(async move {
            loop {
                let (tcp, _) = listener.accept().await.unwrap();
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let builder = hyper::server::conn::http1::Builder::new();
                    match acceptor {
                        Some(acceptor) => {
                            if let Ok(tls) = acceptor.accept(tcp).await {
                                let _ = builder
                                    .serve_connection(TokioIo::new(tls), service_fn(route))
                                    .await;
                            }
                        }
                        None => {
                            let _ = builder
                                .serve_connection(TokioIo::new(tcp), service_fn(route))
                                .await;
                        }
                    }
                });
            }
        });
        (port, task)
    }

    fn http_probe_spec(port: IntOrString, path: &str) -> Probe {
        Probe {
            http_get: Some(HTTPGetAction {
                port,
                path: Some(path.into()),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    async fn probe_with(probe: &Probe, container: &Container) -> ProbeResult {
        let cri = CriClient::new("/nonexistent/berth-test.sock");
        let target = ProbeTarget {
            pod_ip: "127.0.0.1",
            container_id: "c1",
            cri: &cri,
            container,
        };
        run_probe(probe, &target).await
    }

    #[tokio::test]
    async fn http_probes() {
        let (port, server) = serve(false).await;
        let c = container(port);
        let get = |path: &str| http_probe_spec(IntOrString::Int(i32::from(port)), path);
        assert_eq!(probe_with(&get("/ok"), &c).await, ProbeResult::Success);
        assert_eq!(probe_with(&get("ok"), &c).await, ProbeResult::Success);
        assert_eq!(probe_with(&get("/created"), &c).await, ProbeResult::Success);
        assert_eq!(probe_with(&get("/big"), &c).await, ProbeResult::Success);
        assert_eq!(
            probe_with(&get("/query?a=1"), &c).await,
            ProbeResult::Success
        );
        assert_eq!(
            probe_with(&get("/fail"), &c).await,
            ProbeResult::Failure("HTTP probe failed with statuscode: 500".into())
        );
        assert_eq!(
            probe_with(&get("/notfound"), &c).await,
            ProbeResult::Failure("HTTP probe failed with statuscode: 404".into())
        );
        // Named port, and a number given as a string.
        let named = http_probe_spec(IntOrString::String("http".into()), "/ok");
        assert_eq!(probe_with(&named, &c).await, ProbeResult::Success);
        let numeric = http_probe_spec(IntOrString::String(port.to_string()), "/ok");
        assert_eq!(probe_with(&numeric, &c).await, ProbeResult::Success);
        let unknown = http_probe_spec(IntOrString::String("metrics".into()), "/ok");
        assert_eq!(
            probe_with(&unknown, &c).await,
            ProbeResult::Unknown("couldn't find port: metrics in app".into())
        );
        // Redirects: followed on the same host, not to another.
        assert_eq!(probe_with(&get("/local"), &c).await, ProbeResult::Success);
        assert_eq!(
            probe_with(&get("/relative"), &c).await,
            ProbeResult::Success
        );
        assert_eq!(
            probe_with(&get("/to-fail"), &c).await,
            ProbeResult::Failure("HTTP probe failed with statuscode: 500".into())
        );
        assert_eq!(
            probe_with(&get("/other"), &c).await,
            ProbeResult::Warning("Probe terminated redirects, Response body: moved".into())
        );
        assert_eq!(
            probe_with(&get("/loop"), &c).await,
            ProbeResult::Failure(format!(
                "Get \"http://127.0.0.1:{port}/loop\": stopped after 10 redirects"
            ))
        );
        // Headers: kubelet's defaults, and the probe's own (Host included).
        assert_eq!(
            probe_with(&get("/default-headers"), &c).await,
            ProbeResult::Success
        );
        let mut headers = get("/headers");
        headers.http_get.as_mut().unwrap().http_headers = Some(vec![
            HTTPHeader {
                name: "X-Custom".into(),
                value: "yes".into(),
            },
            HTTPHeader {
                name: "Host".into(),
                value: "probe.example".into(),
            },
        ]);
        assert_eq!(probe_with(&headers, &c).await, ProbeResult::Success);
        // Timeout.
        let mut slow = get("/slow");
        slow.timeout_seconds = Some(1);
        let started = Instant::now();
        assert_eq!(
            probe_with(&slow, &c).await,
            ProbeResult::Failure(format!(
                "Get \"http://127.0.0.1:{port}/slow\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
            ))
        );
        assert!(started.elapsed() < Duration::from_secs(3));
        server.abort();
        // Nothing listening.
        let closed = closed_port().await;
        assert_eq!(
            probe_with(&http_probe_spec(IntOrString::Int(i32::from(closed)), "/healthz"), &c).await,
            ProbeResult::Failure(format!(
                "Get \"http://127.0.0.1:{closed}/healthz\": dial tcp 127.0.0.1:{closed}: connect: connection refused"
            ))
        );
    }

    #[tokio::test]
    async fn https_probe_accepts_any_certificate() {
        let (port, server) = serve(true).await;
        let c = container(port);
        let mut probe = http_probe_spec(IntOrString::Int(i32::from(port)), "/ok");
        probe.http_get.as_mut().unwrap().scheme = Some("HTTPS".into());
        assert_eq!(probe_with(&probe, &c).await, ProbeResult::Success);
        probe.http_get.as_mut().unwrap().path = Some("/fail".into());
        assert_eq!(
            probe_with(&probe, &c).await,
            ProbeResult::Failure("HTTP probe failed with statuscode: 500".into())
        );
        server.abort();
    }

    async fn closed_port() -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap().port()
    }

    #[tokio::test]
    async fn tcp_probes() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let c = container(port);
        let tcp = |port: IntOrString| Probe {
            tcp_socket: Some(TCPSocketAction { port, host: None }),
            ..Default::default()
        };
        assert_eq!(
            probe_with(&tcp(IntOrString::Int(i32::from(port))), &c).await,
            ProbeResult::Success
        );
        assert_eq!(
            probe_with(&tcp(IntOrString::String("http".into())), &c).await,
            ProbeResult::Success
        );
        drop(listener);
        let closed = closed_port().await;
        assert_eq!(
            probe_with(&tcp(IntOrString::Int(i32::from(closed))), &c).await,
            ProbeResult::Failure(format!(
                "dial tcp 127.0.0.1:{closed}: connect: connection refused"
            ))
        );
        assert_eq!(
            probe_with(&tcp(IntOrString::Int(0)), &c).await,
            ProbeResult::Unknown("invalid port number: 0".into())
        );
    }

    #[test]
    fn ports_and_commands() {
        let c = container(8080);
        assert_eq!(resolve_port(&IntOrString::Int(80), &c), Ok(80));
        assert_eq!(
            resolve_port(&IntOrString::String("http".into()), &c),
            Ok(8080)
        );
        assert!(resolve_port(&IntOrString::Int(70000), &c).is_err());
        assert!(resolve_port(&IntOrString::String("nope".into()), &c).is_err());
        let cmd: Vec<String> = ["cat", "$(FILE)", "$$(FILE)", "$(MISSING)", "a$b", "$(open"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            expand_command(&cmd, &c),
            [
                "cat",
                "/tmp/healthy",
                "$(FILE)",
                "$(MISSING)",
                "a$b",
                "$(open"
            ]
        );
    }

    #[test]
    fn urls() {
        let base = Url {
            scheme: Scheme::Http,
            host: "10.0.0.1".into(),
            port: 8080,
            path: "/a/b?x=1".into(),
        };
        assert_eq!(base.display(), "http://10.0.0.1:8080/a/b?x=1");
        assert_eq!(base.join("/c").unwrap().path, "/c");
        assert_eq!(base.join("c").unwrap().path, "/a/c");
        let abs = base.join("https://example.com/z").unwrap();
        assert_eq!(
            (abs.scheme, abs.host.as_str(), abs.port),
            (Scheme::Https, "example.com", 443)
        );
        let v6 = base.join("http://[::1]:81").unwrap();
        assert_eq!(
            (v6.host.as_str(), v6.port, v6.path.as_str()),
            ("::1", 81, "/")
        );
        assert_eq!(v6.display(), "http://[::1]:81/");
    }

    #[test]
    fn health_messages() {
        let mut buf = Vec::new();
        HealthCheckRequest {
            service: "svc".into(),
        }
        .encode(&mut buf);
        assert_eq!(buf, b"\x0a\x03svc");
        assert_eq!(
            HealthCheckRequest::decode(&mut &buf[..]).unwrap().service,
            "svc"
        );
        let mut buf = Vec::new();
        HealthCheckRequest::default().encode(&mut buf);
        assert!(buf.is_empty());
        let mut buf = Vec::new();
        HealthCheckResponse { status: 2 }.encode(&mut buf);
        assert_eq!(buf, b"\x08\x02");
        // Unknown fields are skipped.
        let with_extra = b"\x12\x02hi\x08\x01\x1d\x00\x00\x00\x00";
        assert_eq!(
            HealthCheckResponse::decode(&mut &with_extra[..])
                .unwrap()
                .status,
            1
        );
        assert!(HealthCheckResponse::decode(&mut &b"\x08"[..]).is_err());
    }

    /// A gRPC health server on 127.0.0.1: service "" serves, "down" does not,
    /// "unimplemented" answers Unimplemented.
    async fn serve_grpc() -> (u16, tokio::task::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            loop {
                let (tcp, _) = listener.accept().await.unwrap();
                tokio::spawn(async move {
                    let service = service_fn(|req: http::Request<Incoming>| async move {
                        let mut grpc = tonic::server::Grpc::new(HealthCodec::<
                            HealthCheckResponse,
                            HealthCheckRequest,
                        >::default(
                        ));
                        let check = tower::service_fn(
                            |req: tonic::Request<HealthCheckRequest>| async move {
                                match req.get_ref().service.as_str() {
                                    "" => {
                                        Ok(tonic::Response::new(HealthCheckResponse { status: 1 }))
                                    }
                                    "down" => {
                                        Ok(tonic::Response::new(HealthCheckResponse { status: 2 }))
                                    }
                                    _ => Err(tonic::Status::unimplemented("unknown service")),
                                }
                            },
                        );
                        Ok::<_, Infallible>(grpc.unary(check, req).await)
                    });
                    let _ = hyper::server::conn::http2::Builder::new(
                        hyper_util::rt::TokioExecutor::new(),
                    )
                    .serve_connection(TokioIo::new(tcp), service)
                    .await;
                });
            }
        });
        (port, task)
    }

    #[tokio::test]
    async fn grpc_probes() {
        let (port, server) = serve_grpc().await;
        let c = container(port);
        let grpc = |port: u16, service: Option<&str>| Probe {
            grpc: Some(GRPCAction {
                port: i32::from(port),
                service: service.map(str::to_string),
            }),
            ..Default::default()
        };
        assert_eq!(
            probe_with(&grpc(port, None), &c).await,
            ProbeResult::Success
        );
        assert_eq!(
            probe_with(&grpc(port, Some("down")), &c).await,
            ProbeResult::Failure("service unhealthy (responded with \"NOT_SERVING\")".into())
        );
        assert_eq!(
            probe_with(&grpc(port, Some("other")), &c).await,
            ProbeResult::Failure(
                "this server does not implement the grpc health protocol (grpc.health.v1.Health): unknown service"
                    .into()
            )
        );
        server.abort();
        let closed = closed_port().await;
        assert_eq!(
            probe_with(&grpc(closed, None), &c).await,
            ProbeResult::Failure(format!(
                "error: failed to connect service at \"127.0.0.1:{closed}\": \
                 dial tcp 127.0.0.1:{closed}: connect: connection refused"
            ))
        );
    }

    #[tokio::test]
    async fn exec_probe_without_runtime_is_unknown() {
        let c = container(80);
        let probe = Probe {
            exec: Some(k8s_openapi::api::core::v1::ExecAction {
                command: Some(vec!["true".into()]),
            }),
            ..Default::default()
        };
        assert!(matches!(
            probe_with(&probe, &c).await,
            ProbeResult::Unknown(_)
        ));
    }

    fn spec(delay: i32, period: i32, success: i32, failure: i32) -> Probe {
        Probe {
            initial_delay_seconds: Some(delay),
            period_seconds: Some(period),
            success_threshold: Some(success),
            failure_threshold: Some(failure),
            termination_grace_period_seconds: Some(7),
            ..Default::default()
        }
    }

    fn fail(m: &str) -> ProbeResult {
        ProbeResult::Failure(m.into())
    }

    #[test]
    fn liveness_thresholds_and_hold() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut w = ProbeWorker::new(ProbeKind::Liveness, &spec(5, 10, 1, 3), t0);
        assert!(w.success());
        assert_eq!(w.termination_grace_period_seconds(), Some(7));
        assert_eq!(w.next_due(), Some(t0 + s(5)));
        assert!(!w.is_due(t0 + s(4)));
        assert!(w.is_due(t0 + s(5)));
        assert_eq!(w.record(&fail("a"), t0 + s(5)), None);
        assert_eq!(w.next_due(), Some(t0 + s(15)));
        assert_eq!(w.record(&fail("b"), t0 + s(15)), None);
        // A success in between restarts the count.
        assert_eq!(w.record(&ProbeResult::Success, t0 + s(25)), None);
        assert_eq!(w.record(&fail("c"), t0 + s(35)), None);
        // An error is discarded.
        assert_eq!(
            w.record(&ProbeResult::Unknown("x".into()), t0 + s(40)),
            None
        );
        assert_eq!(w.record(&fail("d"), t0 + s(50)), None);
        assert_eq!(
            w.record(&fail("e"), t0 + s(60)),
            Some(Transition {
                kind: ProbeKind::Liveness,
                success: false,
                message: "e".into(),
                restart: true,
            })
        );
        assert!(w.on_hold() && !w.success());
        assert_eq!(w.next_due(), None);
        assert_eq!(w.record(&fail("f"), t0 + s(70)), None);
        let t1 = t0 + s(80);
        w.reset_for_new_container(t1);
        assert!(w.success() && !w.on_hold());
        assert_eq!(w.next_due(), Some(t1 + s(5)));
        // successThreshold is 1 for liveness whatever the spec says.
        let w = ProbeWorker::new(ProbeKind::Liveness, &spec(0, 10, 5, 3), t0);
        assert_eq!(w.success_threshold, 1);
    }

    #[test]
    fn readiness_thresholds() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut w = ProbeWorker::new(ProbeKind::Readiness, &spec(0, 5, 2, 2), t0);
        assert!(!w.success());
        assert_eq!(w.termination_grace_period_seconds(), None);
        assert_eq!(w.next_due(), Some(t0));
        assert_eq!(w.record(&ProbeResult::Success, t0), None);
        let up = w
            .record(&ProbeResult::Warning("redirect".into()), t0 + s(5))
            .unwrap();
        assert!(up.success && !up.restart);
        assert!(w.success());
        assert_eq!(w.record(&fail("a"), t0 + s(10)), None);
        let down = w.record(&fail("b"), t0 + s(15)).unwrap();
        assert_eq!(
            (down.success, down.restart, down.message.as_str()),
            (false, false, "b")
        );
        // Readiness keeps probing after failing.
        assert_eq!(w.next_due(), Some(t0 + s(20)));
        assert_eq!(w.record(&fail("c"), t0 + s(20)), None);
        // Late probe: the next is a period after the last run.
        assert_eq!(w.record(&ProbeResult::Success, t0 + s(27)), None);
        assert_eq!(w.next_due(), Some(t0 + s(32)));
    }

    #[test]
    fn defaults() {
        let t0 = Instant::now();
        let w = ProbeWorker::new(ProbeKind::Readiness, &Probe::default(), t0);
        assert_eq!(w.period(), Duration::from_secs(10));
        assert_eq!(w.timeout(), Duration::from_secs(1));
        assert_eq!((w.success_threshold, w.failure_threshold), (1, 3));
        assert_eq!(w.next_due(), Some(t0));
    }

    #[test]
    fn startup_gates_liveness_and_readiness() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut c = container(80);
        c.startup_probe = Some(spec(0, 1, 1, 2));
        c.liveness_probe = Some(spec(10, 10, 1, 1));
        c.readiness_probe = Some(spec(0, 3, 1, 1));
        let mut probes = ContainerProbes::new(&c, t0);
        assert!(!probes.started() && !probes.ready());
        assert_eq!(probes.next_due(), Some((ProbeKind::Startup, t0)));
        assert_eq!(probes.due(t0), [ProbeKind::Startup]);
        // Held back: ignored.
        assert_eq!(
            probes.record(ProbeKind::Readiness, &ProbeResult::Success, t0),
            None
        );
        assert_eq!(probes.record(ProbeKind::Startup, &fail("no"), t0), None);
        let started = probes
            .record(ProbeKind::Startup, &ProbeResult::Success, t0 + s(1))
            .unwrap();
        assert!(started.success && started.kind == ProbeKind::Startup);
        assert!(probes.started() && !probes.ready());
        // Startup stops; readiness runs now; liveness after its initial delay.
        assert_eq!(probes.next_due(), Some((ProbeKind::Readiness, t0)));
        assert_eq!(probes.due(t0 + s(1)), [ProbeKind::Readiness]);
        assert!(
            probes
                .record(ProbeKind::Readiness, &ProbeResult::Success, t0 + s(1))
                .unwrap()
                .success
        );
        assert!(probes.ready());
        assert_eq!(probes.next_due(), Some((ProbeKind::Readiness, t0 + s(4))));
        assert_eq!(
            probes.due(t0 + s(10)),
            [ProbeKind::Liveness, ProbeKind::Readiness]
        );
        let kill = probes
            .record(ProbeKind::Liveness, &fail("dead"), t0 + s(10))
            .unwrap();
        assert!(kill.restart);
        assert_eq!(
            probe_event(ProbeKind::Liveness, &fail("dead"))
                .unwrap()
                .message,
            "Liveness probe failed: dead"
        );
        assert_eq!(
            kill_message(ProbeKind::Liveness, "app", true),
            "Container app failed liveness probe, will be restarted"
        );
        // The new instance starts over behind the startup gate.
        probes.reset_for_new_container(t0 + s(20));
        assert!(!probes.started() && !probes.ready());
        assert_eq!(probes.next_due(), Some((ProbeKind::Startup, t0 + s(20))));
        // A startup probe failing up to its threshold restarts the container.
        assert_eq!(
            probes.record(ProbeKind::Startup, &fail("1"), t0 + s(20)),
            None
        );
        let restart = probes
            .record(ProbeKind::Startup, &fail("2"), t0 + s(21))
            .unwrap();
        assert!(restart.restart && !restart.success);
        assert_eq!(probes.next_due(), None);
    }

    #[test]
    fn without_probes() {
        let probes = ContainerProbes::new(&container(80), Instant::now());
        assert!(probes.started() && probes.ready());
        assert_eq!(probes.next_due(), None);
    }
}
