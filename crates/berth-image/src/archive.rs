//! OCI image layout archives: a tar holding `oci-layout`, `index.json` and
//! `blobs/sha256/<hex>`, as `ctr images import`, `skopeo copy oci-archive:…` and
//! `docker load` read them. Writing is deterministic; reading checks every digest and size.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::build::{to_json, Blob, Image};
use crate::oci::{self, Descriptor, Index, Manifest, Platform};
use crate::{tar, Error, Result};

const OCI_LAYOUT: &str = r#"{"imageLayoutVersion":"1.0.0"}"#;

impl Image {
    /// The `index.json` of this image's layout: one manifest, named by its tag
    /// (`org.opencontainers.image.ref.name`) and by its full name for containerd
    /// (`io.containerd.image.name`).
    pub fn index(&self) -> Index {
        let mut manifest = self.manifest.descriptor();
        manifest.annotations = BTreeMap::from([
            (
                oci::ANNOTATION_CONTAINERD_NAME.to_string(),
                self.reference.to_string(),
            ),
            (
                oci::ANNOTATION_REF_NAME.to_string(),
                self.reference.tag.clone(),
            ),
        ]);
        manifest.platform = Some(Platform {
            architecture: "amd64".into(),
            os: "linux".into(),
        });
        Index {
            schema_version: 2,
            media_type: oci::MEDIA_TYPE_INDEX.into(),
            manifests: vec![manifest],
        }
    }

    /// The archive's bytes.
    pub fn archive_bytes(&self) -> Result<Vec<u8>> {
        let index = to_json(&self.index())?;
        let mut blobs: Vec<&Blob> = vec![&self.layer, &self.config, &self.manifest];
        blobs.sort_by(|a, b| a.digest.cmp(&b.digest));
        blobs.dedup_by(|a, b| a.digest == b.digest);
        let io = |e| Error::io("<archive>", e);
        let mut w = tar::Writer::new(Vec::new());
        w.dir("blobs", 0o755).map_err(io)?;
        w.dir("blobs/sha256", 0o755).map_err(io)?;
        for blob in blobs {
            let hex = blob.digest.trim_start_matches("sha256:");
            w.file(&format!("blobs/sha256/{hex}"), 0o644, &blob.data)
                .map_err(io)?;
        }
        w.file("index.json", 0o644, &index).map_err(io)?;
        w.file("oci-layout", 0o644, OCI_LAYOUT.as_bytes())
            .map_err(io)?;
        w.finish().map_err(io)
    }

    /// Writes the archive to `path` (through a temporary file in the same directory, so a
    /// reader never sees half an archive).
    pub fn write_archive(&self, path: &Path) -> Result<()> {
        let bytes = self.archive_bytes()?;
        let tmp = path.with_extension("tar.partial");
        std::fs::write(&tmp, &bytes).map_err(|e| Error::io(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
    }
}

/// An OCI archive read back, its blobs checked against their digests.
#[derive(Debug, Clone)]
pub struct Archive {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its `index.json`.
    pub index: Index,
    /// Every blob, by digest.
    pub blobs: HashMap<String, Vec<u8>>,
}

impl Archive {
    fn bad(&self, reason: impl Into<String>) -> Error {
        Error::Archive {
            path: self.path.clone(),
            reason: reason.into(),
        }
    }

    /// The blob a descriptor points at, checked for size (digests were checked on reading).
    pub fn blob(&self, d: &Descriptor) -> Result<&[u8]> {
        let data = self
            .blobs
            .get(&d.digest)
            .ok_or_else(|| self.bad(format!("blob {} is missing", d.digest)))?;
        if data.len() as u64 != d.size {
            return Err(self.bad(format!(
                "blob {} has {} bytes, its descriptor says {}",
                d.digest,
                data.len(),
                d.size
            )));
        }
        Ok(data)
    }

    /// The single image manifest of the archive: its descriptor, parsed form and raw
    /// bytes. Archives holding several images or a nested index are refused.
    pub fn manifest(&self) -> Result<(&Descriptor, Manifest, &[u8])> {
        let [desc] = self.index.manifests.as_slice() else {
            return Err(self.bad(format!(
                "index.json lists {} manifests; exactly one image per archive is supported",
                self.index.manifests.len()
            )));
        };
        if desc.media_type != oci::MEDIA_TYPE_MANIFEST {
            return Err(self.bad(format!(
                "index.json points at {}, only {} is supported",
                desc.media_type,
                oci::MEDIA_TYPE_MANIFEST
            )));
        }
        let raw = self.blob(desc)?;
        let manifest: Manifest = serde_json::from_slice(raw)
            .map_err(|e| self.bad(format!("manifest {}: {e}", desc.digest)))?;
        self.blob(&manifest.config)?;
        for layer in &manifest.layers {
            self.blob(layer)?;
        }
        Ok((desc, manifest, raw))
    }
}

/// Reads an OCI image layout archive (uncompressed tar), checking that `oci-layout` is
/// there and that every blob's content matches its name.
pub fn read_archive(path: &Path) -> Result<Archive> {
    let bad = |reason: String| Error::Archive {
        path: path.to_path_buf(),
        reason,
    };
    let data = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let entries = tar::read_all(&data).map_err(bad)?;
    let mut index = None;
    let mut layout = false;
    let mut blobs = HashMap::new();
    for e in entries {
        let name = e.path.trim_start_matches("./");
        if name == "oci-layout" {
            layout = true;
        } else if name == "index.json" {
            index = Some(
                serde_json::from_slice::<Index>(&e.data)
                    .map_err(|err| bad(format!("index.json: {err}")))?,
            );
        } else if let Some(hex) = name.strip_prefix("blobs/sha256/") {
            if hex.is_empty() || e.kind != b'0' {
                continue;
            }
            let digest = format!("sha256:{hex}");
            let actual = oci::sha256_digest(&e.data);
            if actual != digest {
                return Err(bad(format!("{name} has digest {actual}")));
            }
            blobs.insert(digest, e.data);
        }
    }
    if !layout {
        return Err(bad("no oci-layout file".into()));
    }
    let index = index.ok_or_else(|| bad("no index.json".into()))?;
    Ok(Archive {
        path: path.to_path_buf(),
        index,
        blobs,
    })
}
