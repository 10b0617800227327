//! `berth image build`: options → one gzip-compressed tar layer, an image config, a
//! manifest. Equal inputs give equal bytes, so equal digests.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use crate::oci::{self, ContainerConfig, Descriptor, History, ImageConfig, Manifest, RootFs};
use crate::rootfs::{Rootfs, Source};
use crate::{closure, Error, Reference, Result};

/// The epoch in RFC 3339: every timestamp of a built image, for reproducible digests.
pub const EPOCH: &str = "1970-01-01T00:00:00Z";
/// The PATH put into an image's environment unless `--env PATH=…` is given.
pub const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// What goes into an image.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Image name (`NAME[:TAG]`, normalised like Docker does).
    pub reference: String,
    /// Binaries copied with their library closure: host path, and path in the image
    /// (default: the same path).
    pub from_binaries: Vec<(PathBuf, Option<String>)>,
    /// Host files or trees copied to a path in the image (symlinks inside trees are kept).
    pub adds: Vec<(PathBuf, String)>,
    /// Entrypoint argv.
    pub entrypoint: Option<Vec<String>>,
    /// Cmd argv.
    pub cmd: Option<Vec<String>>,
    /// `KEY=value` environment entries.
    pub env: Vec<String>,
    /// Working directory.
    pub workdir: Option<String>,
    /// Exposed ports: `N` (tcp) or `N/tcp`, `N/udp`.
    pub ports: Vec<String>,
    /// User to run as.
    pub user: Option<String>,
}

/// A piece of content with its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    /// Media type.
    pub media_type: String,
    /// `sha256:<hex>` of `data`.
    pub digest: String,
    /// The bytes.
    pub data: Vec<u8>,
}

impl Blob {
    /// Wraps bytes, computing their digest.
    pub fn new(media_type: &str, data: Vec<u8>) -> Self {
        Blob {
            media_type: media_type.to_string(),
            digest: oci::sha256_digest(&data),
            data,
        }
    }

    /// A descriptor pointing at this blob.
    pub fn descriptor(&self) -> Descriptor {
        Descriptor {
            media_type: self.media_type.clone(),
            digest: self.digest.clone(),
            size: self.data.len() as u64,
            annotations: BTreeMap::new(),
            platform: None,
        }
    }
}

/// A built image: its name and its three blobs.
#[derive(Debug, Clone)]
pub struct Image {
    /// The normalised name.
    pub reference: Reference,
    /// The gzip-compressed layer.
    pub layer: Blob,
    /// sha256 of the uncompressed layer (the config's diff_id).
    pub diff_id: String,
    /// The image config JSON.
    pub config: Blob,
    /// The manifest JSON; its digest is the image's digest.
    pub manifest: Blob,
}

impl Image {
    /// The image digest (the manifest's).
    pub fn digest(&self) -> &str {
        &self.manifest.digest
    }
}

/// Parses an argv given as a JSON array of strings (`["redis-server","--port","6379"]`).
pub fn parse_argv_json(flag: &str, s: &str) -> Result<Vec<String>> {
    serde_json::from_str::<Vec<String>>(s).map_err(|e| {
        Error::Invalid(format!(
            "{flag} {s:?}: expected a JSON array of strings such as '[\"/bin/sh\",\"-c\",\"echo hi\"]' ({e})"
        ))
    })
}

fn normalize_port(p: &str) -> Result<String> {
    let (num, proto) = p.split_once('/').unwrap_or((p, "tcp"));
    let ok = num.parse::<u16>().map(|n| n > 0).unwrap_or(false)
        && matches!(proto, "tcp" | "udp" | "sctp");
    if !ok {
        return Err(Error::Invalid(format!(
            "--port {p:?}: expected a port number 1-65535, optionally with /tcp, /udp or /sctp"
        )));
    }
    Ok(format!("{num}/{proto}"))
}

/// Assembles the root filesystem: first every binary's library closure in the host's
/// layout (so `/lib -> usr/lib` style links exist before anything lands under them), then
/// the binaries at their destinations, then the added trees.
pub fn assemble_rootfs(opts: &BuildOptions) -> Result<Rootfs> {
    let mut fs = Rootfs::new();
    for (bin, _) in &opts.from_binaries {
        let closure = closure::resolve(bin)?;
        for path in closure.paths() {
            fs.add_host_path(path)?;
        }
    }
    for (bin, dest) in &opts.from_binaries {
        let meta = std::fs::metadata(bin).map_err(|e| Error::io(bin, e))?;
        let dest = match dest {
            Some(d) => d.clone(),
            None => bin.to_string_lossy().into_owned(),
        };
        fs.add_file(
            &dest,
            meta.permissions().mode() & 0o7777,
            Source::Host(bin.clone()),
        )?;
    }
    for (src, dest) in &opts.adds {
        fs.add_host_tree(src, dest)?;
    }
    Ok(fs)
}

/// Builds the image described by `opts`.
pub fn build(opts: &BuildOptions) -> Result<Image> {
    check(opts)?;
    build_from_rootfs(opts, &assemble_rootfs(opts)?)
}

fn check(opts: &BuildOptions) -> Result<()> {
    Reference::parse(&opts.reference)?;
    if let Some(w) = opts.workdir.as_ref().filter(|w| !w.starts_with('/')) {
        return Err(Error::Invalid(format!(
            "--workdir {w:?}: must be an absolute path"
        )));
    }
    for e in &opts.env {
        if !e.contains('=') || e.starts_with('=') {
            return Err(Error::Invalid(format!("--env {e:?}: expected KEY=VALUE")));
        }
    }
    Ok(())
}

/// Builds an image whose filesystem is `fs` (for files made in memory, such as the pause
/// program berth embeds), with the name and config of `opts`; `opts`' binaries and added
/// trees only appear in the history entry, their content must already be in `fs`.
pub fn build_from_rootfs(opts: &BuildOptions, fs: &Rootfs) -> Result<Image> {
    check(opts)?;
    let reference = Reference::parse(&opts.reference)?;
    let tar = fs.to_tar()?;
    let diff_id = oci::sha256_digest(&tar);
    // flate2's GzEncoder writes mtime 0 and no file name, so the bytes are reproducible.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).map_err(|e| Error::io("<layer>", e))?;
    let layer = Blob::new(
        oci::MEDIA_TYPE_LAYER_GZIP,
        gz.finish().map_err(|e| Error::io("<layer>", e))?,
    );

    let mut env = opts.env.clone();
    if !env.iter().any(|e| e.starts_with("PATH=")) {
        env.insert(0, DEFAULT_PATH.to_string());
    }
    let exposed_ports = opts
        .ports
        .iter()
        .map(|p| Ok((normalize_port(p)?, serde_json::Map::new())))
        .collect::<Result<_>>()?;
    let mut created_by = String::from("berth image build");
    for (bin, dest) in &opts.from_binaries {
        let shown = dest
            .clone()
            .unwrap_or_else(|| bin.to_string_lossy().into_owned());
        created_by.push_str(&format!(" --from-binary {shown}"));
    }
    // Destinations only: sources are often temporary directories and would change the digest.
    for (_, dest) in &opts.adds {
        created_by.push_str(&format!(" --add {dest}"));
    }
    let config = ImageConfig {
        created: EPOCH.into(),
        architecture: "amd64".into(),
        os: "linux".into(),
        config: ContainerConfig {
            user: opts.user.clone(),
            exposed_ports,
            env,
            entrypoint: opts.entrypoint.clone(),
            cmd: opts.cmd.clone(),
            working_dir: opts.workdir.clone(),
        },
        rootfs: RootFs {
            kind: "layers".into(),
            diff_ids: vec![diff_id.clone()],
        },
        history: vec![History {
            created: EPOCH.into(),
            created_by,
        }],
    };
    let config = Blob::new(oci::MEDIA_TYPE_CONFIG, to_json(&config)?);
    let manifest = Manifest {
        schema_version: 2,
        media_type: oci::MEDIA_TYPE_MANIFEST.into(),
        config: config.descriptor(),
        layers: vec![layer.descriptor()],
    };
    let manifest = Blob::new(oci::MEDIA_TYPE_MANIFEST, to_json(&manifest)?);
    tracing::debug!(image = %reference, digest = %manifest.digest, layer_bytes = layer.data.len(), "image built");
    Ok(Image {
        reference,
        layer,
        diff_id,
        config,
        manifest,
    })
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| Error::Invalid(format!("serialising JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argv_must_be_a_json_array() {
        assert_eq!(
            parse_argv_json("--cmd", r#"["a","b c"]"#).unwrap(),
            ["a", "b c"]
        );
        let err = parse_argv_json("--cmd", "redis-server")
            .unwrap_err()
            .to_string();
        assert!(err.contains("JSON array"), "{err}");
    }

    #[test]
    fn ports_default_to_tcp() {
        assert_eq!(normalize_port("6379").unwrap(), "6379/tcp");
        assert_eq!(normalize_port("53/udp").unwrap(), "53/udp");
        assert!(normalize_port("0").is_err());
        assert!(normalize_port("80/http").is_err());
    }

    #[test]
    fn config_and_manifest_fit_together() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("hello"), b"hi\n").unwrap();
        let opts = BuildOptions {
            reference: "hello:1".into(),
            adds: vec![(dir.path().join("hello"), "/etc/hello".into())],
            cmd: Some(vec!["/bin/sh".into()]),
            ports: vec!["80".into()],
            ..Default::default()
        };
        let image = build(&opts).unwrap();
        let config: ImageConfig = serde_json::from_slice(&image.config.data).unwrap();
        assert_eq!(config.rootfs.diff_ids, std::slice::from_ref(&image.diff_id));
        assert_eq!(config.config.env[0], DEFAULT_PATH);
        assert!(config.config.exposed_ports.contains_key("80/tcp"));
        let manifest: Manifest = serde_json::from_slice(&image.manifest.data).unwrap();
        assert_eq!(manifest.config.digest, image.config.digest);
        assert_eq!(manifest.layers[0].size, image.layer.data.len() as u64);
        assert_eq!(image.reference.to_string(), "docker.io/library/hello:1");
        assert!(build(&BuildOptions {
            workdir: Some("rel".into()),
            ..opts.clone()
        })
        .is_err());
        assert!(build(&BuildOptions {
            env: vec!["NOVALUE".into()],
            ..opts
        })
        .is_err());
    }
}
