//! `berth image push`: the OCI distribution API over plain HTTP — HEAD each blob, upload
//! the missing ones monolithically (POST an upload, PUT it with `?digest=`), then PUT the
//! manifest under its tag. TLS and registry authentication are not implemented: this is
//! for the local registry that serves the cluster's images.

use std::path::Path;
use std::time::Duration;

use http::{header, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

use crate::{oci, read_archive, Error, Reference, Result};

/// How long one request may take (a blob upload to a local registry is quick).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// How to reach the registry.
#[derive(Debug, Clone, Default)]
pub struct PushOptions {
    /// Speak plain HTTP (required: TLS is not implemented).
    pub plain_http: bool,
}

/// What a push did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushReport {
    /// Where the image went (`REGISTRY/REPOSITORY:TAG`).
    pub reference: String,
    /// The manifest digest the registry now serves.
    pub digest: String,
    /// Blobs uploaded.
    pub uploaded: usize,
    /// Blobs the registry already had.
    pub present: usize,
    /// Bytes uploaded (blobs and manifest).
    pub bytes: u64,
}

struct Response {
    status: u16,
    headers: http::HeaderMap,
    body: Vec<u8>,
}

/// A minimal HTTP/1.1 client for one registry: a fresh connection per request.
struct Registry {
    host: String,
}

impl Registry {
    fn transport(&self, reason: impl Into<String>) -> Error {
        Error::Transport {
            registry: self.host.clone(),
            reason: reason.into(),
        }
    }

    fn url(&self, path_or_url: &str) -> String {
        if path_or_url.starts_with("http://") || path_or_url.starts_with("https://") {
            path_or_url.to_string()
        } else {
            format!("http://{}{}", self.host, path_or_url)
        }
    }

    async fn send(
        &self,
        method: Method,
        url: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Result<Response> {
        tokio::time::timeout(
            REQUEST_TIMEOUT,
            self.send_once(method.clone(), url, content_type, body),
        )
        .await
        .map_err(|_| {
            self.transport(format!(
                "{method} {url}: no answer within {REQUEST_TIMEOUT:?}"
            ))
        })?
    }

    async fn send_once(
        &self,
        method: Method,
        url: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Result<Response> {
        let uri: http::Uri = url
            .parse()
            .map_err(|e| self.transport(format!("bad URL {url:?}: {e}")))?;
        if uri.scheme_str() == Some("https") {
            return Err(self.transport(format!(
                "the registry sent us to {url}, but only plain HTTP is implemented"
            )));
        }
        let host = uri
            .host()
            .ok_or_else(|| self.transport(format!("URL {url:?} has no host")))?;
        let port = uri.port_u16().unwrap_or(80);
        let authority = uri
            .authority()
            .map(|a| a.as_str().to_string())
            .unwrap_or_else(|| host.to_string());
        let stream = tokio::net::TcpStream::connect((host.trim_matches(['[', ']']), port))
            .await
            .map_err(|e| {
                self.transport(format!(
                    "connecting to {authority}: {e}; is the registry running?"
                ))
            })?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| self.transport(format!("HTTP handshake: {e}")))?;
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "registry connection ended with an error");
            }
        });
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let mut req = Request::builder()
            .method(method.clone())
            .uri(path)
            .header(header::HOST, authority)
            .header(
                header::USER_AGENT,
                concat!("berth/", env!("CARGO_PKG_VERSION")),
            );
        if method != Method::GET && method != Method::HEAD {
            req = req.header(header::CONTENT_LENGTH, body.len());
        }
        if let Some(ct) = content_type {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        let req = req
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| self.transport(format!("building request: {e}")))?;
        let resp = sender
            .send_request(req)
            .await
            .map_err(|e| self.transport(format!("{method} {url}: {e}")))?;
        let (parts, body) = resp.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| self.transport(format!("{method} {url}: reading the answer: {e}")))?
            .to_bytes()
            .to_vec();
        Ok(Response {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        })
    }

    fn unexpected(method: &str, url: &str, r: &Response) -> Error {
        let mut body = String::from_utf8_lossy(&r.body).into_owned();
        body.truncate(500);
        if r.status == 401 {
            body.push_str(
                " (registry authentication is not implemented: use a registry without auth)",
            );
        }
        Error::Registry {
            method: method.into(),
            url: url.into(),
            status: r.status,
            body,
        }
    }

    /// Uploads one blob unless the registry has it; returns whether it was uploaded.
    async fn push_blob(&self, repository: &str, digest: &str, data: &[u8]) -> Result<bool> {
        let head_url = self.url(&format!("/v2/{repository}/blobs/{digest}"));
        let r = self.send(Method::HEAD, &head_url, None, Vec::new()).await?;
        if r.status == 200 {
            return Ok(false);
        }
        if r.status != 404 {
            return Err(Self::unexpected("HEAD", &head_url, &r));
        }
        let post_url = self.url(&format!("/v2/{repository}/blobs/uploads/"));
        let r = self.send(Method::POST, &post_url, None, Vec::new()).await?;
        if r.status != 202 {
            return Err(Self::unexpected("POST", &post_url, &r));
        }
        let location = r
            .headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| self.transport("upload started without a Location header"))?;
        let sep = if location.contains('?') { '&' } else { '?' };
        let put_url = self.url(&format!("{location}{sep}digest={digest}"));
        let r = self
            .send(
                Method::PUT,
                &put_url,
                Some("application/octet-stream"),
                data.to_vec(),
            )
            .await?;
        if r.status != 201 {
            return Err(Self::unexpected("PUT", &put_url, &r));
        }
        Ok(true)
    }
}

/// Pushes the single image of an OCI archive (as `berth image build -o` writes it) to
/// `dest` (`REGISTRY/NAME[:TAG]`, the registry written out, e.g. `127.0.0.1:5000/library/redis:latest`).
pub async fn push_archive(archive: &Path, dest: &str, opts: &PushOptions) -> Result<PushReport> {
    let reference = Reference::parse(dest)?;
    if !reference.explicit_registry {
        return Err(Error::Invalid(format!(
            "{dest}: name the registry, e.g. 127.0.0.1:5000/{}:{}",
            reference.repository, reference.tag
        )));
    }
    if !opts.plain_http {
        return Err(Error::Invalid(format!(
            "{}: only plain-HTTP registries are supported (TLS is not implemented); pass --plain-http",
            reference.registry
        )));
    }
    if !archive.is_file() {
        return Err(Error::Invalid(format!(
            "{}: no such archive file; push takes an OCI archive written by `berth image build -o FILE.tar` \
             (pushing an image by name from the node's containerd comes with the node agent)",
            archive.display()
        )));
    }
    let archive = read_archive(archive)?;
    let (_, manifest, raw_manifest) = archive.manifest()?;
    let registry = Registry {
        host: reference.registry.clone(),
    };
    let mut report = PushReport {
        reference: reference.to_string(),
        digest: oci::sha256_digest(raw_manifest),
        uploaded: 0,
        present: 0,
        bytes: 0,
    };
    for desc in manifest
        .layers
        .iter()
        .chain(std::iter::once(&manifest.config))
    {
        let data = archive.blob(desc)?;
        if registry
            .push_blob(&reference.repository, &desc.digest, data)
            .await?
        {
            report.uploaded += 1;
            report.bytes += data.len() as u64;
            tracing::info!(digest = %desc.digest, bytes = data.len(), "blob uploaded");
        } else {
            report.present += 1;
        }
    }
    let url = registry.url(&format!(
        "/v2/{}/manifests/{}",
        reference.repository, reference.tag
    ));
    let r = registry
        .send(
            Method::PUT,
            &url,
            Some(oci::MEDIA_TYPE_MANIFEST),
            raw_manifest.to_vec(),
        )
        .await?;
    if r.status != 201 {
        return Err(Registry::unexpected("PUT", &url, &r));
    }
    report.bytes += raw_manifest.len() as u64;
    if let Some(served) = r
        .headers
        .get("docker-content-digest")
        .and_then(|v| v.to_str().ok())
    {
        if served != report.digest {
            tracing::warn!(ours = %report.digest, registry = %served, "the registry reports another manifest digest");
        }
    }
    Ok(report)
}
