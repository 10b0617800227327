//! A short-lived, read-only OCI distribution registry on loopback, serving images built
//! in memory or read from OCI archives: `GET`/`HEAD` of `/v2/`,
//! `/v2/<name>/manifests/<tag|digest>` and `/v2/<name>/blobs/<digest>`, nothing else.
//!
//! The node agent imports an archive into containerd through CRI alone (CRI has no
//! import): it serves the archive here, lists this registry first among the mirrors of
//! the image's registry host and asks containerd to pull the image by name.
//!
//! ```no_run
//! # async fn demo() -> berth_image::Result<()> {
//! let registry = berth_image::serve::serve_archive(
//!     std::path::Path::new("redis.tar"),
//!     "127.0.0.1:0".parse().unwrap(),
//! )
//! .await?;
//! println!("{} serves {:?}", registry.url(), registry.images());
//! registry.shutdown().await;
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::oci::{self, Descriptor};
use crate::{read_archive, Archive, Error, Image, Reference, Result};

/// How many request lines [`ServingRegistry::requests`] keeps.
const MAX_LOGGED_REQUESTS: usize = 256;

/// One image a registry serves: its name and manifest.
#[derive(Debug, Clone)]
pub struct ServedImage {
    /// The full name (`docker.io/library/busybox:latest`); the registry answers for its
    /// repository and tag, whatever host containerd thinks it is talking to.
    pub reference: Reference,
    /// The manifest's media type.
    pub media_type: String,
    /// `sha256:<hex>` of the manifest.
    pub digest: String,
    /// The manifest's bytes.
    pub manifest: Bytes,
}

/// What a registry serves: images and the blobs (configs, layers) their manifests name.
#[derive(Debug, Clone, Default)]
pub struct RegistryContent {
    images: Vec<ServedImage>,
    blobs: HashMap<String, Bytes>,
}

impl RegistryContent {
    /// Nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an image built in memory.
    pub fn add_image(&mut self, image: &Image) {
        for blob in [&image.layer, &image.config] {
            self.blobs
                .insert(blob.digest.clone(), Bytes::from(blob.data.clone()));
        }
        self.images.push(ServedImage {
            reference: image.reference.clone(),
            media_type: image.manifest.media_type.clone(),
            digest: image.manifest.digest.clone(),
            manifest: Bytes::from(image.manifest.data.clone()),
        });
    }

    /// Adds the image of an OCI archive (one image per archive), named as
    /// [`archive_reference`] finds it.
    pub fn add_archive(&mut self, archive: &Archive) -> Result<()> {
        let (desc, manifest, raw) = archive.manifest()?;
        let reference = archive_reference(archive, desc)?;
        for d in manifest
            .layers
            .iter()
            .chain(std::iter::once(&manifest.config))
        {
            self.blobs
                .insert(d.digest.clone(), Bytes::copy_from_slice(archive.blob(d)?));
        }
        self.images.push(ServedImage {
            reference,
            media_type: desc.media_type.clone(),
            digest: desc.digest.clone(),
            manifest: Bytes::copy_from_slice(raw),
        });
        Ok(())
    }

    /// The images, in the order they were added.
    pub fn images(&self) -> &[ServedImage] {
        &self.images
    }
}

/// The name of an archive's image: its `io.containerd.image.name` annotation (what `berth
/// image build`, `ctr images export` and BuildKit write), else an
/// `org.opencontainers.image.ref.name` that is a full name rather than only a tag
/// (`redis:7`, as skopeo writes it).
pub fn archive_reference(archive: &Archive, desc: &Descriptor) -> Result<Reference> {
    if let Some(name) = desc.annotations.get(oci::ANNOTATION_CONTAINERD_NAME) {
        return Reference::parse(name);
    }
    match desc.annotations.get(oci::ANNOTATION_REF_NAME) {
        Some(name) if name.contains(':') || name.contains('/') => Reference::parse(name),
        other => Err(Error::Archive {
            path: archive.path.clone(),
            reason: format!(
                "the image is not named (index.json has no {} annotation{}); \
                 rebuild it with `berth image build -t NAME:TAG -o FILE.tar`",
                oci::ANNOTATION_CONTAINERD_NAME,
                other
                    .map(|tag| format!(", only the tag {tag:?}"))
                    .unwrap_or_default()
            ),
        }),
    }
}

struct State {
    content: RegistryContent,
    requests: Mutex<Vec<String>>,
}

/// A running registry. Stops when dropped or [`shut down`](ServingRegistry::shutdown);
/// connections still open are cut.
pub struct ServingRegistry {
    addr: SocketAddr,
    state: Arc<State>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for ServingRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServingRegistry")
            .field("addr", &self.addr)
            .field("images", &self.images())
            .finish()
    }
}

impl ServingRegistry {
    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`, as a `hosts.toml` names a host.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The images served.
    pub fn images(&self) -> Vec<String> {
        self.state
            .content
            .images
            .iter()
            .map(|i| i.reference.to_string())
            .collect()
    }

    /// The requests answered so far (up to 256), as `METHOD PATH STATUS`.
    pub fn requests(&self) -> Vec<String> {
        self.state
            .requests
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// Stops listening and cuts open connections.
    pub async fn shutdown(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for ServingRegistry {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// Serves `content` on `addr`, which must be a loopback address (port 0 picks a free
/// port): the registry is for this machine's container runtime only.
pub async fn serve(content: RegistryContent, addr: SocketAddr) -> Result<ServingRegistry> {
    let transport = |reason: String| Error::Transport {
        registry: addr.to_string(),
        reason,
    };
    if !addr.ip().is_loopback() {
        return Err(transport(
            "an import registry only listens on loopback (127.0.0.1 or ::1)".into(),
        ));
    }
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| transport(format!("listening: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| transport(format!("listening: {e}")))?;
    let state = Arc::new(State {
        content,
        requests: Mutex::new(Vec::new()),
    });
    let served = state.clone();
    let task = tokio::spawn(async move {
        // Dropping the set (when this task is aborted) aborts every connection.
        let mut connections = JoinSet::new();
        loop {
            let (stream, peer) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(error = %e, "import registry: accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            };
            while connections.try_join_next().is_some() {}
            let state = served.clone();
            connections.spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let state = state.clone();
                    async move { Ok::<_, Infallible>(handle(&state, req)) }
                });
                if let Err(e) = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await
                {
                    tracing::debug!(%peer, error = %e, "import registry: connection ended");
                }
            });
        }
    });
    tracing::debug!(%addr, "import registry listening");
    Ok(ServingRegistry {
        addr,
        state,
        task: Some(task),
    })
}

/// Serves the image built in memory.
pub async fn serve_image(image: &Image, addr: SocketAddr) -> Result<ServingRegistry> {
    let mut content = RegistryContent::new();
    content.add_image(image);
    serve(content, addr).await
}

/// Reads an OCI archive (checking every blob's digest) and serves its image.
pub async fn serve_archive(archive: &Path, addr: SocketAddr) -> Result<ServingRegistry> {
    let path = archive.to_path_buf();
    let content = tokio::task::spawn_blocking(move || {
        let archive = read_archive(&path)?;
        let mut content = RegistryContent::new();
        content.add_archive(&archive)?;
        Ok::<_, Error>(content)
    })
    .await
    .map_err(|e| Error::io(archive, std::io::Error::other(e)))??;
    serve(content, addr).await
}

fn error_response(status: StatusCode, code: &str, message: &str) -> Response<Full<Bytes>> {
    let body = serde_json::json!({"errors": [{"code": code, "message": message}]}).to_string();
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

fn content_response(
    method: &Method,
    media_type: &str,
    digest: &str,
    data: &Bytes,
) -> Response<Full<Bytes>> {
    let body = if method == Method::HEAD {
        Bytes::new()
    } else {
        data.clone()
    };
    let mut resp = Response::new(Full::new(body));
    let headers = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(media_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(digest) {
        headers.insert("docker-content-digest", v.clone());
        if let Ok(etag) = HeaderValue::from_str(&format!("\"{digest}\"")) {
            headers.insert(header::ETAG, etag);
        }
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(data.len()));
    resp
}

fn handle(state: &State, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let resp = route(&state.content, req.method(), req.uri().path());
    if let Ok(mut log) = state.requests.lock() {
        if log.len() < MAX_LOGGED_REQUESTS {
            log.push(format!(
                "{} {} {}",
                req.method(),
                req.uri().path(),
                resp.status().as_u16()
            ));
        }
    }
    tracing::debug!(method = %req.method(), path = req.uri().path(), status = resp.status().as_u16(), "import registry");
    resp
}

fn route(content: &RegistryContent, method: &Method, path: &str) -> Response<Full<Bytes>> {
    let mut resp = route_inner(content, method, path);
    resp.headers_mut().insert(
        "docker-distribution-api-version",
        HeaderValue::from_static("registry/2.0"),
    );
    resp
}

fn route_inner(content: &RegistryContent, method: &Method, path: &str) -> Response<Full<Bytes>> {
    if method != Method::GET && method != Method::HEAD {
        return error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            "UNSUPPORTED",
            "this registry is read-only",
        );
    }
    if path == "/v2" || path == "/v2/" {
        let mut resp = content_response(method, "application/json", "", &Bytes::from_static(b"{}"));
        resp.headers_mut().remove("docker-content-digest");
        resp.headers_mut().remove(header::ETAG);
        return resp;
    }
    let Some(rest) = path.strip_prefix("/v2/") else {
        return error_response(StatusCode::NOT_FOUND, "NOT_FOUND", "not a registry path");
    };
    if let Some((name, reference)) = rest.rsplit_once("/manifests/") {
        let found = content.images.iter().find(|i| {
            i.reference.repository == name
                && (i.reference.tag == reference || i.digest == reference)
        });
        return match found {
            Some(i) => content_response(method, &i.media_type, &i.digest, &i.manifest),
            None => error_response(
                StatusCode::NOT_FOUND,
                "MANIFEST_UNKNOWN",
                &format!("manifest {name}:{reference} is not served here"),
            ),
        };
    }
    if let Some((name, digest)) = rest.rsplit_once("/blobs/") {
        let known_name = content
            .images
            .iter()
            .any(|i| i.reference.repository == name);
        return match content.blobs.get(digest).filter(|_| known_name) {
            Some(data) => content_response(method, "application/octet-stream", digest, data),
            None => error_response(
                StatusCode::NOT_FOUND,
                "BLOB_UNKNOWN",
                &format!("blob {digest} of {name} is not served here"),
            ),
        };
    }
    error_response(StatusCode::NOT_FOUND, "NOT_FOUND", "not a registry path")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BuildOptions;
    use http_body_util::BodyExt;

    fn image() -> Image {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("hello"), b"hi\n").unwrap();
        crate::build(&BuildOptions {
            reference: "hello:1".into(),
            adds: vec![(dir.path().join("hello"), "/etc/hello".into())],
            cmd: Some(vec!["/bin/sh".into()]),
            ..Default::default()
        })
        .unwrap()
    }

    struct Answer {
        status: u16,
        headers: http::HeaderMap,
        body: Vec<u8>,
    }

    async fn request(addr: SocketAddr, method: Method, path: &str) -> Answer {
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(conn);
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, addr.to_string())
            .body(Full::new(Bytes::new()))
            .unwrap();
        let resp = sender.send_request(req).await.unwrap();
        let (parts, body) = resp.into_parts();
        Answer {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: body.collect().await.unwrap().to_bytes().to_vec(),
        }
    }

    fn header<'a>(a: &'a Answer, name: &str) -> &'a str {
        a.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    #[tokio::test]
    async fn serves_manifests_and_blobs_read_only() {
        let image = image();
        let registry = serve_image(&image, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let addr = registry.addr();
        assert_eq!(registry.images(), ["docker.io/library/hello:1"]);

        let base = request(addr, Method::GET, "/v2/").await;
        assert_eq!(base.status, 200);
        assert_eq!(
            header(&base, "docker-distribution-api-version"),
            "registry/2.0"
        );

        for reference in ["1", image.digest()] {
            let path = format!("/v2/library/hello/manifests/{reference}");
            let get = request(addr, Method::GET, &path).await;
            assert_eq!(get.status, 200, "{path}");
            assert_eq!(get.body, image.manifest.data);
            assert_eq!(header(&get, "content-type"), oci::MEDIA_TYPE_MANIFEST);
            assert_eq!(header(&get, "docker-content-digest"), image.digest());
            let head = request(addr, Method::HEAD, &path).await;
            assert_eq!(head.status, 200);
            assert!(head.body.is_empty());
            assert_eq!(
                header(&head, "content-length"),
                image.manifest.data.len().to_string()
            );
            assert_eq!(header(&head, "docker-content-digest"), image.digest());
        }

        for blob in [&image.layer, &image.config] {
            let path = format!("/v2/library/hello/blobs/{}", blob.digest);
            let get = request(addr, Method::GET, &path).await;
            assert_eq!(get.status, 200);
            assert_eq!(oci::sha256_digest(&get.body), blob.digest);
            assert_eq!(header(&get, "docker-content-digest"), blob.digest);
            let head = request(addr, Method::HEAD, &path).await;
            assert_eq!(head.status, 200);
            assert_eq!(header(&head, "content-length"), blob.data.len().to_string());
        }

        for (method, path, status) in [
            (Method::GET, "/v2/library/hello/manifests/2", 404),
            (Method::HEAD, "/v2/library/other/manifests/1", 404),
            (
                Method::GET,
                &*format!("/v2/library/other/blobs/{}", image.layer.digest),
                404,
            ),
            (Method::GET, "/v2/library/hello/blobs/sha256:00", 404),
            (Method::GET, "/v1/", 404),
            (Method::PUT, "/v2/library/hello/manifests/1", 405),
            (Method::POST, "/v2/library/hello/blobs/uploads/", 405),
        ] {
            let a = request(addr, method.clone(), path).await;
            assert_eq!(a.status, status, "{method} {path}");
        }
        assert!(registry
            .requests()
            .contains(&"PUT /v2/library/hello/manifests/1 405".to_string()));

        registry.shutdown().await;
        assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    }

    #[tokio::test]
    async fn serves_an_archive_under_its_name() {
        let image = image();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hello.tar");
        image.write_archive(&path).unwrap();
        let registry = serve_archive(&path, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        assert_eq!(registry.images(), ["docker.io/library/hello:1"]);
        let get = request(
            registry.addr(),
            Method::GET,
            "/v2/library/hello/manifests/1",
        )
        .await;
        assert_eq!(get.body, image.manifest.data);
        let addr = registry.addr();
        drop(registry);
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    }

    #[tokio::test]
    async fn refuses_other_addresses_and_unnamed_archives() {
        let err = serve(RegistryContent::new(), "0.0.0.0:0".parse().unwrap())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("loopback"), "{err}");

        let image = image();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hello.tar");
        image.write_archive(&path).unwrap();
        let mut archive = read_archive(&path).unwrap();
        archive.index.manifests[0]
            .annotations
            .remove(oci::ANNOTATION_CONTAINERD_NAME);
        let err = RegistryContent::new()
            .add_archive(&archive)
            .unwrap_err()
            .to_string();
        assert!(err.contains("only the tag \"1\""), "{err}");
        archive.index.manifests[0]
            .annotations
            .insert(oci::ANNOTATION_REF_NAME.into(), "hello:2".into());
        let mut content = RegistryContent::new();
        content.add_archive(&archive).unwrap();
        assert_eq!(
            content.images()[0].reference.to_string(),
            "docker.io/library/hello:2"
        );
    }
}
