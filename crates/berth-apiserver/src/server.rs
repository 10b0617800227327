//! The HTTPS front: TLS with optional client certificates, HTTP/1.1 and HTTP/2, and routing
//! of each request through authentication, authorization and the handlers.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::request::{parse_query, request_info, RequestInfo};
use crate::response::{into_response, negotiate, Body, Reply};
use crate::rest::{self, Ctx, MAX_BODY};
use crate::state::{State, User};
use crate::status::ApiError;
use crate::{authn, discovery, special, watch};

/// `host:port` with brackets for IPv6.
pub fn host_port(ip: IpAddr, port: u16) -> String {
    SocketAddr::new(ip, port).to_string()
}

/// Builds the TLS acceptor: the serving certificate, and client certificates verified
/// against the cluster CA but not required (tokens and anonymous requests are allowed).
pub fn tls_acceptor(state: &State) -> anyhow::Result<TlsAcceptor> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(state.pki.serving_cert_pem.as_bytes())
            .collect::<Result<_, _>>()?;
    let key = PrivateKeyDer::from_pem_slice(state.pki.serving_key_pem.as_bytes())?;
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(state.pki.ca_cert_pem.as_bytes()) {
        roots.add(c?)?;
    }
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
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(cfg)))
}

/// Accepts connections until `shutdown` resolves.
pub async fn serve(
    state: Arc<State>,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let acceptor = tls_acceptor(&state)?;
    tokio::pin!(shutdown);
    loop {
        let (tcp, _peer) = tokio::select! {
            _ = &mut shutdown => return Ok(()),
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let state = state.clone();
        tokio::spawn(async move {
            let tls =
                match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                    Ok(Ok(t)) => t,
                    _ => return,
                };
            let cert_user = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .and_then(|c| authn::user_from_cert(c));
            let svc = hyper::service::service_fn(move |req| {
                let state = state.clone();
                let cert_user = cert_user.clone();
                async move { Ok::<_, Infallible>(handle(state, cert_user, req).await) }
            });
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection_with_upgrades(TokioIo::new(tls), svc)
                .await;
        });
    }
}

fn header<'r, B>(req: &'r Request<B>, name: &str) -> Option<&'r str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Handles one request.
pub async fn handle<B>(
    state: Arc<State>,
    cert_user: Option<User>,
    req: Request<B>,
) -> Response<Body>
where
    B: hyper::body::Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    let started = std::time::Instant::now();
    let method = req.method().as_str().to_string();
    let path = crate::request::percent_decode(req.uri().path());
    let query = parse_query(req.uri().query());
    let info = request_info(&method, &path, &query);
    let reply = route(&state, cert_user, req, &query, &info).await;
    let resp = into_response(reply);
    if info.resource_request {
        state.metrics.observe(
            &info.verb,
            &info.resource,
            &info.subresource,
            resp.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    tracing::debug!(%method, %path, status = resp.status().as_u16(), micros = started.elapsed().as_micros() as u64, "request");
    resp
}

fn is_public_path(path: &str) -> bool {
    let p = path.trim_end_matches('/');
    ["/healthz", "/livez", "/readyz", "/version"]
        .iter()
        .any(|x| p == *x || p.starts_with(&format!("{x}/")))
}

async fn route<B>(
    state: &Arc<State>,
    cert_user: Option<User>,
    req: Request<B>,
    query: &HashMap<String, String>,
    info: &RequestInfo,
) -> Reply
where
    B: hyper::body::Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    let method = req.method().as_str().to_string();
    let path = info.path.clone();
    let accept = header(&req, "accept").map(String::from);
    let user_agent = header(&req, "user-agent").map(String::from);
    let content_type = header(&req, "content-type")
        .unwrap_or("application/json")
        .to_string();

    // authentication
    let user = match cert_user {
        Some(u) => u,
        None => match header(&req, "authorization").and_then(|h| h.strip_prefix("Bearer ")) {
            Some(tok) => match authn::user_from_token(state, tok.trim()).await {
                Some(u) => u,
                None => return ApiError::unauthorized().into(),
            },
            None => User::anonymous(),
        },
    };
    let user = match impersonate(state, user, &req) {
        Ok(u) => u,
        Err(reply) => return reply,
    };
    if user.is_anonymous() && !is_public_path(&path) && !is_cluster_info(info) {
        return ApiError::unauthorized().into();
    }
    if !is_public_path(&path) {
        if let Err(status) = state.rbac.authorize(&user, info) {
            return Reply::code(403, status);
        }
    }

    // pods/{log,exec,attach,portforward}: proxied to the node agent, before the body is
    // read (upgrades keep the connection)
    if crate::nodeproxy::serves(info) {
        return crate::nodeproxy::handle(state, &user, info, req).await;
    }

    // body, bounded
    let body = match read_body(req.into_body()).await {
        Ok(b) => b,
        Err(reply) => return reply,
    };

    if !info.resource_request {
        return non_resource(state, &method, &path, accept.as_deref());
    }
    // Protobuf bodies (kubectl ≥ 1.32 sends them for typed creates) become JSON here;
    // everything after this point speaks JSON.
    let (body, content_type) = if !body.is_empty() && is_protobuf(&content_type) {
        match berth_api::protobuf::decode(&body) {
            Ok(v) => (
                Bytes::from(serde_json::to_vec(&v).unwrap_or_default()),
                "application/json".to_string(),
            ),
            Err(e) => return ApiError::bad_request(e.to_string()).into(),
        }
    } else if !body.is_empty() && !is_json_like(&content_type) {
        return ApiError::unsupported_media(format!(
            "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got {content_type})"
        ))
        .into();
    } else {
        (body, content_type)
    };
    let Some(r) = berth_api::registry::find(&info.api_group, &info.api_version, &info.resource)
    else {
        return not_found_path();
    };
    let field_manager = match query.get("fieldManager").filter(|m| !m.is_empty()) {
        Some(m) => m.clone(),
        None => {
            berth_api::managedfields::manager_from_user_agent(user_agent.as_deref().unwrap_or(""))
        }
    };
    let ctx = Ctx {
        state,
        info,
        r,
        query,
        user: &user,
        rendering: negotiate(accept.as_deref()),
        field_manager,
    };
    match dispatch(state, &ctx, &content_type, &body).await {
        Ok(r) => r,
        Err(e) => e.into(),
    }
}

/// Reads a request body of at most [`MAX_BODY`] bytes. A larger body is answered 413 after
/// draining (a bounded amount of) the rest, so HTTP/2 clients read the answer instead of
/// seeing their stream reset mid-upload.
async fn read_body<B>(mut body: B) -> Result<Bytes, Reply>
where
    B: hyper::body::Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    let mut buf = bytes::BytesMut::new();
    let mut too_large = false;
    let mut drained = 0usize;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let frame = match tokio::time::timeout_at(
            deadline,
            std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)),
        )
        .await
        {
            Err(_) => {
                return Err(
                    ApiError::new(408, "Timeout", "timed out reading the request body").into(),
                )
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                return Err(ApiError::bad_request(format!("reading the request body: {e}")).into())
            }
            Ok(Some(Ok(f))) => f,
        };
        if let Ok(data) = frame.into_data() {
            if too_large {
                drained += data.len();
                if drained > 8 * MAX_BODY {
                    break;
                }
            } else if buf.len() + data.len() > MAX_BODY {
                too_large = true;
                buf.clear();
            } else {
                buf.extend_from_slice(&data);
            }
        }
    }
    if too_large {
        return Err(ApiError::too_large().into());
    }
    Ok(buf.freeze())
}

fn is_protobuf(content_type: &str) -> bool {
    content_type.split(';').next().unwrap_or("").trim() == "application/vnd.kubernetes.protobuf"
}

fn is_json_like(content_type: &str) -> bool {
    let media = content_type.split(';').next().unwrap_or("").trim();
    matches!(
        media,
        "application/json"
            | "application/yaml"
            | "application/json-patch+json"
            | "application/merge-patch+json"
            | "application/strategic-merge-patch+json"
            | "application/apply-patch+yaml"
            | ""
    )
}

fn is_cluster_info(info: &RequestInfo) -> bool {
    info.resource_request
        && info.verb == "get"
        && info.namespace == "kube-public"
        && info.resource == "configmaps"
        && info.name == "cluster-info"
}

fn not_found_path() -> Reply {
    ApiError::new(
        404,
        "NotFound",
        "the server could not find the requested resource",
    )
    .into()
}

fn not_allowed() -> ApiError {
    ApiError::method_not_allowed("the server does not allow this method on the requested resource")
}

async fn dispatch(
    state: &Arc<State>,
    ctx: &Ctx<'_>,
    content_type: &str,
    body: &Bytes,
) -> Result<Reply, ApiError> {
    let info = ctx.info;
    let r = ctx.r;
    if r.namespaced && info.namespace.is_empty() && !matches!(info.verb.as_str(), "list" | "watch")
    {
        return Err(ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        ));
    }
    if !info.subresource.is_empty() {
        let Some(sub) = r.subresource(&info.subresource) else {
            return Err(ApiError::new(
                404,
                "NotFound",
                "the server could not find the requested resource",
            ));
        };
        let verb = match info.verb.as_str() {
            "list" | "watch" => "get",
            v => v,
        };
        if !sub.verbs.contains(&verb) {
            return Err(not_allowed());
        }
        return match (sub.name, verb) {
            ("binding", "create") => special::bind(ctx, body).await,
            ("eviction", "create") => special::evict(ctx, body).await,
            ("token", "create") => special::token(ctx, body).await,
            ("log" | "exec" | "attach" | "portforward" | "proxy", _) => {
                special::pod_stream(ctx).await
            }
            ("status" | "scale" | "approval" | "finalize" | "ephemeralcontainers", "get") => {
                rest::get_subresource(ctx).await
            }
            (
                "status" | "scale" | "approval" | "finalize" | "ephemeralcontainers",
                "update" | "patch",
            ) => special::modify_view(ctx, content_type, body).await,
            _ => Err(not_allowed()),
        };
    }
    if !r.verbs.contains(&info.verb.as_str()) {
        return Err(not_allowed());
    }
    if !r.is_stored() {
        return match r.resource {
            "bindings" => special::bind(ctx, body).await,
            _ => special::review(ctx, body).await,
        };
    }
    if info.name.is_empty() && matches!(info.verb.as_str(), "update" | "patch") {
        return Err(not_allowed());
    }
    match info.verb.as_str() {
        "get" => rest::get(ctx).await,
        "list" => rest::list(ctx).await,
        "watch" => watch::watch(state.clone(), ctx).await,
        "create" => {
            if !info.name.is_empty() {
                return Err(not_allowed());
            }
            rest::create(ctx, body).await
        }
        "update" => rest::update(ctx, body).await,
        "patch" => rest::patch(ctx, content_type, body).await,
        "delete" => rest::delete(ctx, body).await,
        "deletecollection" => rest::delete_collection(ctx, body).await,
        _ => Err(not_allowed()),
    }
}

fn non_resource(state: &State, method: &str, path: &str, accept: Option<&str>) -> Reply {
    if method != "GET" && method != "HEAD" {
        return ApiError::method_not_allowed(
            "the server does not allow this method on the requested resource",
        )
        .into();
    }
    let p = path.trim_end_matches('/');
    let server_address = host_port(state.config.advertise_address, state.config.port);
    match p {
        "/healthz" | "/livez" => Reply::text(200, "ok"),
        "/readyz" => {
            if state.ready.load(std::sync::atomic::Ordering::Acquire) {
                Reply::text(200, "ok")
            } else {
                Reply::text(503, "[-]bootstrap not finished\nreadyz check failed")
            }
        }
        "/version" => Reply::ok(discovery::version()),
        "/metrics" => Reply::Raw {
            code: 200,
            content_type: "text/plain; version=0.0.4; charset=utf-8",
            body: Bytes::from(state.metrics.render()),
            headers: vec![],
        },
        "/api" => match discovery::wants_aggregated(accept) {
            Some(v) => aggregated_reply(discovery::aggregated(true, v), v),
            None => Reply::ok(discovery::api_versions(&server_address)),
        },
        "/apis" => match discovery::wants_aggregated(accept) {
            Some(v) => aggregated_reply(discovery::aggregated(false, v), v),
            None => Reply::ok(discovery::api_group_list()),
        },
        "/api/v1" => discovery::resource_list("", "v1")
            .map(Reply::ok)
            .unwrap_or_else(not_found_path),
        "/openapi/v2" => {
            // kubectl ≤ 1.28 asks for the protobuf form first
            let proto = accept.is_some_and(|a| {
                a.split(',')
                    .next()
                    .is_some_and(|first| first.contains("com.github.proto-openapi.spec.v2"))
            });
            if proto {
                Reply::Raw {
                    code: 200,
                    content_type: "application/com.github.proto-openapi.spec.v2.v1.0+protobuf",
                    body: Bytes::from_static(berth_api::openapi::v2_protobuf()),
                    headers: vec![],
                }
            } else {
                Reply::Raw {
                    code: 200,
                    content_type: "application/json",
                    body: Bytes::from_static(berth_api::openapi::v2()),
                    headers: vec![],
                }
            }
        }
        "/openapi/v3" => Reply::ok(berth_api::openapi::v3_index()),
        _ => {
            if let Some(rest) = p.strip_prefix("/openapi/v3/") {
                let (group, version) = match rest.split('/').collect::<Vec<_>>()[..] {
                    ["api", v] => ("", v),
                    ["apis", g, v] => (g, v),
                    _ => return not_found_path(),
                };
                return match (
                    berth_api::openapi::v3(group, version),
                    berth_api::openapi::v3_hash(group, version),
                ) {
                    (Some(doc), Some(hash)) => Reply::Raw {
                        code: 200,
                        content_type: "application/json",
                        body: Bytes::from_static(doc),
                        headers: vec![
                            ("etag", format!("\"{hash}\"")),
                            ("cache-control", "public, immutable".into()),
                        ],
                    },
                    _ => not_found_path(),
                };
            }
            if p.starts_with("/healthz/") || p.starts_with("/livez/") || p.starts_with("/readyz/") {
                return Reply::text(200, "ok");
            }
            let parts: Vec<&str> = p.trim_start_matches('/').split('/').collect();
            match parts[..] {
                ["apis", g] => discovery::api_group(g)
                    .map(Reply::ok)
                    .unwrap_or_else(not_found_path),
                ["apis", g, v] => discovery::resource_list(g, v)
                    .map(Reply::ok)
                    .unwrap_or_else(not_found_path),
                _ => not_found_path(),
            }
        }
    }
}

fn aggregated_reply(doc: serde_json::Value, version: &str) -> Reply {
    let ct = if version == "v2beta1" {
        "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"
    } else {
        discovery::AGGREGATED_CT
    };
    Reply::Raw {
        code: 200,
        content_type: ct,
        body: Bytes::from(serde_json::to_vec(&doc).unwrap_or_default()),
        headers: vec![],
    }
}

/// User impersonation (`kubectl --as`, `--as-group`): each impersonated identity must be
/// allowed by the `impersonate` verb, as kube-apiserver's impersonation filter checks.
fn impersonate<B>(state: &State, user: User, req: &Request<B>) -> Result<User, Reply> {
    let h = req.headers();
    let as_user = h
        .get("impersonate-user")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let as_groups: Vec<String> = h
        .get_all("impersonate-group")
        .iter()
        .filter_map(|v| v.to_str().ok().map(String::from))
        .collect();
    let as_uid = h
        .get("impersonate-uid")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let Some(name) = as_user else {
        if as_groups.is_empty() && as_uid.is_none() {
            return Ok(user);
        }
        return Err(ApiError::bad_request(
            "requested impersonation of groups or uid without impersonating a user",
        )
        .into());
    };
    let check = |resource: &str, ns: &str, obj: &str| -> Result<(), Reply> {
        let info = RequestInfo {
            resource_request: true,
            verb: "impersonate".into(),
            resource: resource.into(),
            namespace: ns.into(),
            name: obj.into(),
            ..Default::default()
        };
        state
            .rbac
            .authorize(&user, &info)
            .map_err(|s| Reply::code(403, s))
    };
    let mut groups = as_groups.clone();
    if let Some(rest) = name.strip_prefix("system:serviceaccount:") {
        let (ns, sa) = rest.split_once(':').unwrap_or(("", rest));
        check("serviceaccounts", ns, sa)?;
        if as_groups.is_empty() {
            groups = vec![
                "system:serviceaccounts".into(),
                format!("system:serviceaccounts:{ns}"),
            ];
        }
    } else {
        check("users", "", &name)?;
    }
    for g in &as_groups {
        check("groups", "", g)?;
    }
    if let Some(uid) = &as_uid {
        check("uids", "", uid)?;
    }
    if name != "system:anonymous" && !groups.iter().any(|g| g == "system:authenticated") {
        groups.push("system:authenticated".into());
    }
    Ok(User {
        name,
        uid: as_uid.unwrap_or_default(),
        groups,
    })
}
