//! Pod volumes on the node, laid out as kubelet does:
//! `<pods_dir>/<pod-uid>/volumes/<plugin>/<volume-name>` with the plugins
//! `kubernetes.io~empty-dir`, `kubernetes.io~configmap`, `kubernetes.io~secret`,
//! `kubernetes.io~projected` and `kubernetes.io~downward-api`; `hostPath` volumes are
//! the host path itself, after kubelet's type check.
//!
//! Config map, secret, downward API and projected volumes are written like kubelet's
//! `AtomicWriter` ([`write_atomic`]): the files live in a timestamped directory
//! `..<time>`, `..data` is a symlink to it and each top-level name is a symlink through
//! `..data`, so an update is one `rename` and readers never see half of one. Secret,
//! projected and downward API volumes (and emptyDir with `medium: Memory`) sit on tmpfs
//! when [`VolumeContext::memory_backed`] is set, as kubelet's wrapped emptyDir does.
//!
//! The API reads happen in [`setup_pod_volumes`] and [`PodVolumes::refresh`]; the file
//! contents come from the pure [`volume_payload`], which takes the fetched objects.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use k8s_openapi::api::authentication::v1::{BoundObjectReference, TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::{
    ConfigMap, Container, DownwardAPIVolumeFile, KeyToPath, Pod, Secret, ServiceAccount, Volume,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kube::api::PostParams;
use kube::Api;

use crate::cri::api;
use crate::env::{fetch, field_ref_value, resource_field_value, EnvContext, Fetched};
use crate::resources::value;

/// Plugin directory of emptyDir volumes.
pub const EMPTY_DIR: &str = "kubernetes.io~empty-dir";
/// Plugin directory of configMap volumes.
pub const CONFIG_MAP: &str = "kubernetes.io~configmap";
/// Plugin directory of secret volumes.
pub const SECRET: &str = "kubernetes.io~secret";
/// Plugin directory of projected volumes.
pub const PROJECTED: &str = "kubernetes.io~projected";
/// Plugin directory of downwardAPI volumes.
pub const DOWNWARD_API: &str = "kubernetes.io~downward-api";

/// The API's default `defaultMode` (0644).
const DEFAULT_MODE: u32 = 0o644;
/// The API's default `expirationSeconds` for projected tokens.
const DEFAULT_TOKEN_EXPIRATION: i64 = 3600;
/// kubelet's token manager renews a token older than this whatever its lifetime.
const MAX_TOKEN_AGE: Duration = Duration::from_secs(24 * 3600);

/// What volume setup needs besides the pod.
#[derive(Clone, Debug)]
pub struct VolumeContext {
    /// The node's allocatable resources: the default `limits.*` of downward API files
    /// and the largest memory-backed volume.
    pub node_allocatable: BTreeMap<String, Quantity>,
    /// Back secret, projected and downward API volumes by tmpfs (kubelet does; needs
    /// the right to mount).
    pub memory_backed: bool,
}

impl Default for VolumeContext {
    fn default() -> Self {
        Self {
            node_allocatable: BTreeMap::new(),
            memory_backed: true,
        }
    }
}

/// Why a pod's volumes could not be set up or mounted.
#[derive(Debug, thiserror::Error)]
pub enum VolumeError {
    /// Setting up one volume failed; the Display is kubelet's FailedMount event text.
    #[error("MountVolume.SetUp failed for volume {volume:?} : {cause}")]
    SetUp {
        /// The volume's name.
        volume: String,
        /// What went wrong, worded as kubelet (`configmap "x" not found`, ...).
        cause: String,
    },
    /// A volume mount of a container cannot be made (kubelet's makeMounts errors).
    #[error("{0}")]
    Mount(String),
    /// Removing a pod's volumes failed.
    #[error("tearing down volumes of pod {pod_uid}: {cause}")]
    TearDown {
        /// The pod's uid.
        pod_uid: String,
        /// What went wrong.
        cause: String,
    },
}

fn setup_err(volume: &str, cause: impl std::fmt::Display) -> VolumeError {
    VolumeError::SetUp {
        volume: volume.to_string(),
        cause: cause.to_string(),
    }
}

// ---------------------------------------------------------------------------------------
// Payloads

/// One file of a payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileProjection {
    /// Its content.
    pub data: Vec<u8>,
    /// Its permission bits.
    pub mode: u32,
}

/// Files to write into a volume, by relative path.
pub type Payload = BTreeMap<String, FileProjection>;

/// Objects the volumes of a pod refer to, as fetched, and the tokens issued for its
/// projected token sources (by `(volume, path)`).
#[derive(Clone, Debug, Default)]
pub struct VolumeSources {
    /// Config maps of the pod's namespace.
    pub config_maps: HashMap<String, Fetched<ConfigMap>>,
    /// Secrets of the pod's namespace.
    pub secrets: HashMap<String, Fetched<Secret>>,
    /// Service account tokens, or the error requesting them gave.
    pub tokens: HashMap<(String, String), Result<String, String>>,
}

fn mode_of(m: Option<i32>, default: u32) -> u32 {
    m.map(|m| (m as u32) & 0o7777).unwrap_or(default)
}

/// `volume.MakePayload` for config map and secret keys: every key, or the listed items.
fn key_payload(
    out: &mut Payload,
    data: &BTreeMap<String, Vec<u8>>,
    items: Option<&Vec<KeyToPath>>,
    default_mode: u32,
    optional: bool,
    what: &str,
) -> Result<(), String> {
    match items.filter(|i| !i.is_empty()) {
        None => {
            for (k, v) in data {
                out.insert(
                    k.clone(),
                    FileProjection {
                        data: v.clone(),
                        mode: default_mode,
                    },
                );
            }
        }
        Some(items) => {
            for it in items {
                match data.get(&it.key) {
                    Some(v) => {
                        out.insert(
                            it.path.clone(),
                            FileProjection {
                                data: v.clone(),
                                mode: mode_of(it.mode, default_mode),
                            },
                        );
                    }
                    None if optional => continue,
                    None => {
                        return Err(format!(
                            "{what} references non-existent {} key: {}",
                            if what == "configmap" {
                                "config"
                            } else {
                                "secret"
                            },
                            it.key
                        ))
                    }
                }
            }
        }
    }
    Ok(())
}

fn config_map_data(cm: &ConfigMap) -> BTreeMap<String, Vec<u8>> {
    let mut m: BTreeMap<String, Vec<u8>> = cm
        .data
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.clone().into_bytes()))
        .collect();
    for (k, v) in cm.binary_data.iter().flatten() {
        m.insert(k.clone(), v.0.clone());
    }
    m
}

fn secret_data(s: &Secret) -> BTreeMap<String, Vec<u8>> {
    s.data
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.0.clone()))
        .collect()
}

/// The object, `None` for an optional one that does not exist, or kubelet's error.
fn lookup<'a, T>(
    map: &'a HashMap<String, Fetched<T>>,
    kind: &str,
    name: &str,
    optional: bool,
) -> Result<Option<&'a T>, String> {
    match map.get(name) {
        Some(Ok(Some(o))) => Ok(Some(o)),
        Some(Err(e)) => Err(e.clone()),
        _ if optional => Ok(None),
        _ => Err(format!("{kind} {name:?} not found")),
    }
}

fn downward_payload(
    out: &mut Payload,
    pod: &Pod,
    items: &[DownwardAPIVolumeFile],
    default_mode: u32,
    ctx: &VolumeContext,
) -> Result<(), String> {
    let env_ctx = EnvContext {
        node_allocatable: ctx.node_allocatable.clone(),
        ..Default::default()
    };
    for f in items {
        let data = if let Some(r) = &f.field_ref {
            field_ref_value(pod, &r.field_path, &env_ctx).map_err(|e| e.to_string())?
        } else if let Some(r) = &f.resource_field_ref {
            resource_field_value(pod, None, r, &ctx.node_allocatable).map_err(|e| e.to_string())?
        } else {
            continue;
        };
        out.insert(
            f.path.clone(),
            FileProjection {
                data: data.into_bytes(),
                mode: mode_of(f.mode, default_mode),
            },
        );
    }
    Ok(())
}

fn has_fs_group(pod: &Pod) -> bool {
    pod.spec
        .as_ref()
        .and_then(|s| s.security_context.as_ref())
        .and_then(|sc| sc.fs_group)
        .is_some()
}

/// The files of a config map, secret, downward API or projected volume from fetched
/// objects (`Ok(None)` for other volume types). Errors are kubelet's causes.
pub fn volume_payload(
    pod: &Pod,
    volume: &Volume,
    sources: &VolumeSources,
    ctx: &VolumeContext,
) -> Result<Option<Payload>, String> {
    let mut out = Payload::new();
    if let Some(s) = &volume.config_map {
        let optional = s.optional.unwrap_or(false);
        if let Some(cm) = lookup(&sources.config_maps, "configmap", &s.name, optional)? {
            let mode = mode_of(s.default_mode, DEFAULT_MODE);
            key_payload(
                &mut out,
                &config_map_data(cm),
                s.items.as_ref(),
                mode,
                optional,
                "configmap",
            )?;
        }
    } else if let Some(s) = &volume.secret {
        let optional = s.optional.unwrap_or(false);
        let name = s.secret_name.as_deref().unwrap_or_default();
        if let Some(sec) = lookup(&sources.secrets, "secret", name, optional)? {
            let mode = mode_of(s.default_mode, DEFAULT_MODE);
            key_payload(
                &mut out,
                &secret_data(sec),
                s.items.as_ref(),
                mode,
                optional,
                "secret",
            )?;
        }
    } else if let Some(s) = &volume.downward_api {
        let mode = mode_of(s.default_mode, DEFAULT_MODE);
        downward_payload(
            &mut out,
            pod,
            s.items.as_deref().unwrap_or_default(),
            mode,
            ctx,
        )?;
    } else if let Some(s) = &volume.projected {
        let default_mode = mode_of(s.default_mode, DEFAULT_MODE);
        for src in s.sources.iter().flatten() {
            if let Some(p) = &src.config_map {
                let optional = p.optional.unwrap_or(false);
                if let Some(cm) = lookup(&sources.config_maps, "configmap", &p.name, optional)? {
                    key_payload(
                        &mut out,
                        &config_map_data(cm),
                        p.items.as_ref(),
                        default_mode,
                        optional,
                        "configmap",
                    )?;
                }
            } else if let Some(p) = &src.secret {
                let optional = p.optional.unwrap_or(false);
                if let Some(sec) = lookup(&sources.secrets, "secret", &p.name, optional)? {
                    key_payload(
                        &mut out,
                        &secret_data(sec),
                        p.items.as_ref(),
                        default_mode,
                        optional,
                        "secret",
                    )?;
                }
            } else if let Some(p) = &src.downward_api {
                downward_payload(
                    &mut out,
                    pod,
                    p.items.as_deref().unwrap_or_default(),
                    default_mode,
                    ctx,
                )?;
            } else if let Some(p) = &src.service_account_token {
                let key = (volume.name.clone(), p.path.clone());
                let token = match sources.tokens.get(&key) {
                    Some(Ok(t)) => t.clone(),
                    Some(Err(e)) => return Err(format!("failed to fetch token: {e}")),
                    None => return Err("failed to fetch token: no token requested".to_string()),
                };
                // kubelet writes the token 0600 when fsGroup will widen it to 0640.
                let mode = if has_fs_group(pod) {
                    0o600
                } else {
                    default_mode
                };
                out.insert(
                    p.path.clone(),
                    FileProjection {
                        data: token.into_bytes(),
                        mode,
                    },
                );
            } else if src.cluster_trust_bundle.is_some() {
                return Err("clusterTrustBundle projections are not supported".to_string());
            }
        }
    } else {
        return Ok(None);
    }
    Ok(Some(out))
}

// ---------------------------------------------------------------------------------------
// Atomic writer

const DATA_DIR: &str = "..data";
const DATA_DIR_TMP: &str = "..data_tmp";

/// `AtomicWriter.validatePath`: relative, no `..` element, not starting with `..`.
fn validate_path(p: &str) -> Result<(), String> {
    if p.is_empty() {
        return Err("invalid path: must not be empty".to_string());
    }
    if p.len() > 4096 {
        return Err("invalid path: must be less than or equal to 4096 characters".to_string());
    }
    if Path::new(p).is_absolute() {
        return Err(format!("invalid path: must be relative path: {p}"));
    }
    if p.split('/').any(|seg| seg == "..") {
        return Err(format!("invalid path: must not contain '..': {p}"));
    }
    if p.starts_with("..") {
        return Err(format!("invalid path: must not start with '..': {p}"));
    }
    Ok(())
}

fn files_under(
    dir: &Path,
    base: &Path,
    out: &mut BTreeMap<String, (Vec<u8>, u32)>,
) -> io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let md = e.metadata()?;
        let path = e.path();
        if md.is_dir() {
            files_under(&path, base, out)?;
        } else {
            let rel = path
                .strip_prefix(base)
                .unwrap_or(&path)
                .to_string_lossy()
                .into_owned();
            out.insert(
                rel,
                (std::fs::read(&path)?, md.permissions().mode() & 0o7777),
            );
        }
    }
    Ok(())
}

fn chmod(p: &Path, mode: u32) -> io::Result<()> {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode))
}

/// Writes `payload` into `target` as kubelet's `AtomicWriter.Write`; a no-op when the
/// current content already matches. `fs_group` is applied to the new files before they
/// become visible. Returns whether anything was written.
pub fn write_atomic(target: &Path, payload: &Payload, fs_group: Option<u32>) -> io::Result<bool> {
    for p in payload.keys() {
        validate_path(p).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    }
    let data_link = target.join(DATA_DIR);
    let old_ts = std::fs::read_link(&data_link).ok();
    let mut old_files = BTreeMap::new();
    if let Some(old) = &old_ts {
        let old_dir = target.join(old);
        if old_dir.is_dir() {
            files_under(&old_dir, &old_dir, &mut old_files)?;
        }
        let mut same = old_files.len() == payload.len();
        if same {
            for (p, f) in payload {
                let mode = match fs_group {
                    Some(_) => f.mode | 0o440,
                    None => f.mode,
                };
                if old_files.get(p) != Some(&(f.data.clone(), mode)) {
                    same = false;
                    break;
                }
            }
        }
        if same {
            return Ok(false);
        }
    }

    // The new timestamped directory.
    let now = chrono::Utc::now();
    let ts_name = format!(
        "..{}.{}",
        now.format("%Y_%m_%d_%H_%M_%S"),
        now.timestamp_subsec_nanos()
    );
    let ts_dir = target.join(&ts_name);
    std::fs::create_dir(&ts_dir)?;
    chmod(&ts_dir, 0o755)?;
    for (p, f) in payload {
        let file = ts_dir.join(p);
        if let Some(parent) = file.parent() {
            if parent != ts_dir {
                std::fs::create_dir_all(parent)?;
                let mut d = parent;
                while d != ts_dir {
                    chmod(d, 0o755)?;
                    d = d.parent().unwrap_or(&ts_dir);
                }
            }
        }
        std::fs::write(&file, &f.data)?;
        chmod(&file, f.mode)?;
    }
    if let Some(gid) = fs_group {
        set_ownership(&ts_dir, gid, true)?;
    }

    // Swap `..data` to the new directory.
    let tmp_link = target.join(DATA_DIR_TMP);
    let _ = std::fs::remove_file(&tmp_link);
    std::os::unix::fs::symlink(&ts_name, &tmp_link)?;
    std::fs::rename(&tmp_link, &data_link)?;

    // User-visible names: one symlink per top-level element of the payload.
    let new_top: BTreeSet<&str> = payload
        .keys()
        .map(|p| p.split('/').next().unwrap_or(p))
        .collect();
    for top in &new_top {
        let link = target.join(top);
        if std::fs::symlink_metadata(&link).is_err() {
            std::os::unix::fs::symlink(Path::new(DATA_DIR).join(top), &link)?;
        }
    }
    for old in old_files.keys() {
        let top = old.split('/').next().unwrap_or(old);
        if !new_top.contains(top) {
            let _ = std::fs::remove_file(target.join(top));
        }
    }
    if let Some(old) = old_ts {
        let old_dir = target.join(old);
        if old_dir != ts_dir {
            let _ = std::fs::remove_dir_all(old_dir);
        }
    }
    Ok(true)
}

fn lchown(p: &Path, gid: u32) -> io::Result<()> {
    let c = CString::new(p.as_os_str().as_bytes())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    // SAFETY: a valid NUL-terminated path; uid -1 leaves the owner.
    let rc = unsafe { libc::lchown(c.as_ptr(), u32::MAX, gid) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// kubelet's `SetVolumeOwnership`: group `gid` on everything under `dir`, group read
/// (and write unless `read_only`) on files, plus setgid and group search on directories.
pub fn set_ownership(dir: &Path, gid: u32, read_only: bool) -> io::Result<()> {
    let mask = if read_only { 0o440 } else { 0o660 };
    let md = std::fs::symlink_metadata(dir)?;
    lchown(dir, gid)?;
    if md.file_type().is_symlink() {
        return Ok(());
    }
    let mode = md.permissions().mode() & 0o7777;
    if md.is_dir() {
        chmod(dir, mode | mask | 0o110 | libc::S_ISGID)?;
        for e in std::fs::read_dir(dir)? {
            set_ownership(&e?.path(), gid, read_only)?;
        }
    } else {
        chmod(dir, mode | mask)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// tmpfs and hostPath

fn is_mount_point(dir: &Path) -> bool {
    let Ok(canon) = dir.canonicalize() else {
        return false;
    };
    crate::mounts::mounts_under(dir)
        .map(|m| m.contains(&canon))
        .unwrap_or(false)
}

fn mount_tmpfs(dir: &Path, size: Option<i64>) -> io::Result<()> {
    if is_mount_point(dir) {
        return Ok(());
    }
    let target = CString::new(dir.as_os_str().as_bytes())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let options = size.map(|s| format!("size={s}")).unwrap_or_default();
    let data = CString::new(options).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let fstype = CString::new("tmpfs").expect("no NUL");
    // SAFETY: valid NUL-terminated strings; data is a NUL-terminated option string.
    let rc = unsafe {
        libc::mount(
            fstype.as_ptr(),
            target.as_ptr(),
            fstype.as_ptr(),
            0,
            data.as_ptr().cast(),
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// The size of a memory-backed volume (kubelet's `calculateEmptyDirMemorySize`): the
/// node's allocatable memory, lowered to the pod's memory limit when every container
/// has one, lowered to the volume's `sizeLimit`.
pub fn memory_volume_size(
    pod: &Pod,
    size_limit: Option<&Quantity>,
    ctx: &VolumeContext,
) -> Option<i64> {
    let mut size = ctx
        .node_allocatable
        .get("memory")
        .map(value)
        .filter(|v| *v > 0);
    if let Some(spec) = pod.spec.as_ref() {
        let limit = |c: &Container| {
            c.resources
                .as_ref()
                .and_then(|r| r.limits.as_ref())
                .and_then(|l| l.get("memory"))
                .map(value)
        };
        let regular: Option<i64> = spec.containers.iter().map(limit).sum();
        let init: Option<i64> = spec
            .init_containers
            .iter()
            .flatten()
            .map(limit)
            .try_fold(0i64, |acc, l| l.map(|l| acc.max(l)));
        if let (Some(r), Some(i)) = (regular, init) {
            let pod_limit = r.max(i);
            if pod_limit > 0 && size.is_none_or(|s| pod_limit <= s) {
                size = Some(pod_limit);
            }
        }
    }
    if let Some(v) = size_limit.map(value).filter(|v| *v > 0) {
        if size.is_none_or(|s| v <= s) {
            size = Some(v);
        }
    }
    size
}

/// kubelet's hostPath type check (`checkTypeInternal`), creating the path for the
/// `*OrCreate` types.
pub fn check_host_path(path: &Path, kind: &str) -> Result<(), String> {
    use std::os::unix::fs::FileTypeExt;
    let display = path.display();
    let md = std::fs::metadata(path).ok();
    match kind {
        "" => return Ok(()),
        "DirectoryOrCreate" if md.is_none() => {
            std::fs::create_dir_all(path).map_err(|e| e.to_string())?;
            return chmod(path, 0o755).map_err(|e| e.to_string());
        }
        "FileOrCreate" if md.is_none() => {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
            }
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| e.to_string())?;
            return chmod(path, 0o644).map_err(|e| e.to_string());
        }
        _ => {}
    }
    let ft = md.as_ref().map(|m| m.file_type());
    let (ok, what) = match kind {
        "DirectoryOrCreate" | "Directory" => (ft.is_some_and(|t| t.is_dir()), "a directory"),
        "FileOrCreate" | "File" => (ft.is_some_and(|t| !t.is_dir()), "a file"),
        "Socket" => (ft.is_some_and(|t| t.is_socket()), "a socket file"),
        "CharDevice" => (ft.is_some_and(|t| t.is_char_device()), "a character device"),
        "BlockDevice" => (ft.is_some_and(|t| t.is_block_device()), "a block device"),
        other => return Err(format!("{other} is an invalid volume type")),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "hostPath type check failed: {display} is not {what}"
        ))
    }
}

// ---------------------------------------------------------------------------------------
// Pod volumes

#[derive(Clone, Debug)]
struct VolumeInfo {
    /// Where the volume is on the host.
    path: PathBuf,
    /// Whether it is an emptyDir or hostPath (a subPath may be created in it).
    may_create_subpath: bool,
    /// Whether its content comes from the atomic writer.
    atomic: bool,
}

#[derive(Clone, Debug)]
struct CachedToken {
    token: String,
    issued: SystemTime,
    expires: SystemTime,
}

/// A pod's volumes as set up on the node.
#[derive(Debug)]
pub struct PodVolumes {
    pod_uid: String,
    ctx: VolumeContext,
    volumes: BTreeMap<String, VolumeInfo>,
    tokens: Mutex<HashMap<(String, String), CachedToken>>,
}

/// `<pods_dir>/<uid>`.
pub fn pod_dir(pods_dir: &Path, pod_uid: &str) -> PathBuf {
    pods_dir.join(pod_uid)
}

/// `<pods_dir>/<uid>/volumes/<plugin>/<name>`.
pub fn volume_dir(pods_dir: &Path, pod_uid: &str, plugin: &str, name: &str) -> PathBuf {
    pod_dir(pods_dir, pod_uid)
        .join("volumes")
        .join(plugin)
        .join(name)
}

fn plugin_of(v: &Volume) -> Option<&'static str> {
    if v.empty_dir.is_some() {
        Some(EMPTY_DIR)
    } else if v.config_map.is_some() {
        Some(CONFIG_MAP)
    } else if v.secret.is_some() {
        Some(SECRET)
    } else if v.projected.is_some() {
        Some(PROJECTED)
    } else if v.downward_api.is_some() {
        Some(DOWNWARD_API)
    } else {
        None
    }
}

fn unsupported_kind(v: &Volume) -> &'static str {
    if v.persistent_volume_claim.is_some() {
        "persistentVolumeClaim"
    } else if v.ephemeral.is_some() {
        "ephemeral"
    } else if v.csi.is_some() {
        "csi"
    } else if v.nfs.is_some() {
        "nfs"
    } else if v.image.is_some() {
        "image"
    } else {
        "this volume type"
    }
}

fn fs_group(pod: &Pod) -> Option<u32> {
    pod.spec
        .as_ref()
        .and_then(|s| s.security_context.as_ref())
        .and_then(|sc| sc.fs_group)
        .and_then(|g| u32::try_from(g).ok())
}

fn pod_volumes(pod: &Pod) -> &[Volume] {
    pod.spec
        .as_ref()
        .and_then(|s| s.volumes.as_deref())
        .unwrap_or_default()
}

impl PodVolumes {
    fn needs_renewal(t: &CachedToken, now: SystemTime) -> bool {
        let ttl = t.expires.duration_since(t.issued).unwrap_or_default();
        let renew_at = t.issued + ttl.mul_f64(0.8);
        now >= renew_at || now.duration_since(t.issued).unwrap_or_default() > MAX_TOKEN_AGE
    }

    /// Reads the config maps and secrets the pod's volumes refer to, and issues (or
    /// reuses) its service account tokens.
    async fn gather(&self, client: &kube::Client, pod: &Pod) -> VolumeSources {
        let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
        let mut cm_names = BTreeSet::new();
        let mut secret_names = BTreeSet::new();
        let mut token_sources = Vec::new();
        for v in pod_volumes(pod) {
            if let Some(s) = &v.config_map {
                cm_names.insert(s.name.clone());
            }
            if let Some(s) = &v.secret {
                secret_names.insert(s.secret_name.clone().unwrap_or_default());
            }
            if let Some(p) = &v.projected {
                for src in p.sources.iter().flatten() {
                    if let Some(c) = &src.config_map {
                        cm_names.insert(c.name.clone());
                    }
                    if let Some(s) = &src.secret {
                        secret_names.insert(s.name.clone());
                    }
                    if let Some(t) = &src.service_account_token {
                        token_sources.push((v.name.clone(), t.clone()));
                    }
                }
            }
        }
        let mut sources = VolumeSources::default();
        let cms: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
        for name in cm_names {
            let got = fetch(&cms, &name).await;
            sources.config_maps.insert(name, got);
        }
        let secrets: Api<Secret> = Api::namespaced(client.clone(), ns);
        for name in secret_names {
            let got = fetch(&secrets, &name).await;
            sources.secrets.insert(name, got);
        }
        let sa = pod
            .spec
            .as_ref()
            .and_then(|s| s.service_account_name.clone())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "default".to_string());
        let sas: Api<ServiceAccount> = Api::namespaced(client.clone(), ns);
        let now = SystemTime::now();
        for (vol, t) in token_sources {
            let key = (vol, t.path.clone());
            let cached = self.tokens.lock().expect("token cache").get(&key).cloned();
            if let Some(c) = cached.filter(|c| !Self::needs_renewal(c, now)) {
                sources.tokens.insert(key, Ok(c.token));
                continue;
            }
            let req = token_request(pod, t.audience.as_deref(), t.expiration_seconds);
            let res: Result<TokenRequest, kube::Error> = sas
                .create_subresource("token", &sa, &PostParams::default(), &req)
                .await;
            match res {
                Ok(TokenRequest {
                    status: Some(status),
                    ..
                }) => {
                    let expires = u64::try_from(status.expiration_timestamp.0.as_second())
                        .map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s))
                        .unwrap_or(now);
                    self.tokens.lock().expect("token cache").insert(
                        key.clone(),
                        CachedToken {
                            token: status.token.clone(),
                            issued: now,
                            expires,
                        },
                    );
                    sources.tokens.insert(key, Ok(status.token));
                }
                other => {
                    let msg = match other {
                        Err(kube::Error::Api(s)) => s.message.clone(),
                        Err(e) => e.to_string(),
                        Ok(_) => "the token request returned no status".to_string(),
                    };
                    // Keep serving the cached token while it is still valid.
                    match self.tokens.lock().expect("token cache").get(&key) {
                        Some(c) if c.expires > now => {
                            sources.tokens.insert(key, Ok(c.token.clone()));
                        }
                        _ => {
                            sources.tokens.insert(key, Err(msg));
                        }
                    }
                }
            }
        }
        sources
    }

    /// Writes the content of every config map, secret, downward API and projected
    /// volume; the first error is returned after trying them all.
    fn write_all(&self, pod: &Pod, sources: &VolumeSources) -> Result<(), VolumeError> {
        let mut first = None;
        for v in pod_volumes(pod) {
            let Some(info) = self.volumes.get(&v.name) else {
                continue;
            };
            if !info.atomic {
                continue;
            }
            let res = volume_payload(pod, v, sources, &self.ctx).and_then(|payload| {
                let payload = payload.unwrap_or_default();
                write_atomic(&info.path, &payload, fs_group(pod))
                    .map(|_| ())
                    .map_err(|e| format!("writing {}: {e}", info.path.display()))
            });
            if let Err(cause) = res {
                first.get_or_insert(setup_err(&v.name, cause));
            }
        }
        first.map_or(Ok(()), Err)
    }

    /// Rewrites config map, secret, downward API and projected volumes whose content
    /// changed, renewing service account tokens past 80% of their lifetime. On error the
    /// previous content stays.
    pub async fn refresh(&self, client: &kube::Client, pod: &Pod) -> Result<(), VolumeError> {
        let sources = self.gather(client, pod).await;
        self.write_all(pod, &sources)
    }

    /// The CRI mounts of a container (kubelet's `makeMounts`, without `/etc/hosts` and
    /// the termination log): mount path, read-only, subPath (created in emptyDir and
    /// hostPath volumes when missing) and propagation.
    pub fn container_mounts(
        &self,
        pod: &Pod,
        container: &Container,
    ) -> Result<Vec<api::Mount>, VolumeError> {
        self.container_mounts_with_env(pod, container, &[])
    }

    /// [`container_mounts`](Self::container_mounts) with the container's environment for
    /// `subPathExpr` expansion.
    pub fn container_mounts_with_env(
        &self,
        _pod: &Pod,
        container: &Container,
        env: &[api::KeyValue],
    ) -> Result<Vec<api::Mount>, VolumeError> {
        let privileged = container
            .security_context
            .as_ref()
            .and_then(|s| s.privileged)
            .unwrap_or(false);
        let env: HashMap<&str, &str> = env
            .iter()
            .map(|kv| (kv.key.as_str(), kv.value.as_str()))
            .collect();
        let mut out = Vec::new();
        for m in container.volume_mounts.iter().flatten() {
            let info = self.volumes.get(&m.name).ok_or_else(|| {
                VolumeError::Mount(format!(
                    "cannot find volume {:?} to mount into container {:?}",
                    m.name, container.name
                ))
            })?;
            let mut host_path = info.path.clone();
            let sub_path = match (&m.sub_path, &m.sub_path_expr) {
                (Some(s), _) if !s.is_empty() => Some(s.clone()),
                (_, Some(e)) if !e.is_empty() => {
                    Some(crate::env::expand(e, |n| env.get(n).map(|v| v.to_string())))
                }
                _ => None,
            };
            if let Some(sub) = sub_path.filter(|s| !s.is_empty()) {
                let p = Path::new(&sub);
                if p.is_absolute() || p.components().any(|c| matches!(c, Component::ParentDir)) {
                    return Err(VolumeError::Mount(format!(
                        "subPath {sub:?} of volumeMount {:?} of container {:?} must be a relative path without '..'",
                        m.name, container.name
                    )));
                }
                let joined = info.path.join(p);
                if std::fs::symlink_metadata(&joined).is_err() && info.may_create_subpath {
                    let perm = std::fs::metadata(&info.path)
                        .map(|md| md.permissions().mode() & 0o7777)
                        .unwrap_or(0o750);
                    std::fs::create_dir_all(&joined)
                        .and_then(|_| chmod(&joined, perm))
                        .map_err(|_| {
                            VolumeError::Mount(format!(
                                "failed to create subPath directory for volumeMount {:?} of container {:?}",
                                m.name, container.name
                            ))
                        })?;
                }
                // Resolve symlinks, refusing any that lead out of the volume.
                let base = info
                    .path
                    .canonicalize()
                    .unwrap_or_else(|_| info.path.clone());
                let resolved = joined.canonicalize().map_err(|e| {
                    VolumeError::Mount(format!(
                        "subPath {sub:?} of volumeMount {:?} of container {:?}: {e}",
                        m.name, container.name
                    ))
                })?;
                if !resolved.starts_with(&base) {
                    return Err(VolumeError::Mount(format!(
                        "subPath {sub:?} of volumeMount {:?} of container {:?} resolves outside the volume",
                        m.name, container.name
                    )));
                }
                host_path = resolved;
            }
            let propagation = match m.mount_propagation.as_deref() {
                None | Some("None") | Some("") => api::MountPropagation::PropagationPrivate,
                Some("HostToContainer") => api::MountPropagation::PropagationHostToContainer,
                Some("Bidirectional") => {
                    if !privileged {
                        return Err(VolumeError::Mount(
                            "Bidirectional mount propagation is available only to privileged containers"
                                .to_string(),
                        ));
                    }
                    api::MountPropagation::PropagationBidirectional
                }
                Some(other) => {
                    return Err(VolumeError::Mount(format!(
                        "invalid MountPropagation mode: {other}"
                    )))
                }
            };
            // Content volumes are always mounted read-only, as kubelet does.
            let readonly = m.read_only.unwrap_or(false) || info.atomic;
            let rro = readonly
                && matches!(
                    m.recursive_read_only.as_deref(),
                    Some("Enabled") | Some("IfPossible")
                );
            out.push(api::Mount {
                container_path: m.mount_path.clone(),
                host_path: host_path.to_string_lossy().into_owned(),
                readonly,
                propagation: propagation as i32,
                recursive_read_only: rro,
                ..Default::default()
            });
        }
        Ok(out)
    }

    /// The host path of a volume, if the pod has it.
    pub fn volume_path(&self, name: &str) -> Option<&Path> {
        self.volumes.get(name).map(|v| v.path.as_path())
    }

    /// The pod's uid.
    pub fn pod_uid(&self) -> &str {
        &self.pod_uid
    }
}

/// The TokenRequest kubelet sends for a projected token: the audience when given (else
/// the API server's default), the expiration (default 3600 s), bound to the pod.
pub fn token_request(
    pod: &Pod,
    audience: Option<&str>,
    expiration_seconds: Option<i64>,
) -> TokenRequest {
    TokenRequest {
        metadata: Default::default(),
        spec: TokenRequestSpec {
            audiences: audience
                .filter(|a| !a.is_empty())
                .map(|a| vec![a.to_string()])
                .unwrap_or_default(),
            expiration_seconds: Some(expiration_seconds.unwrap_or(DEFAULT_TOKEN_EXPIRATION)),
            bound_object_ref: Some(BoundObjectReference {
                api_version: Some("v1".to_string()),
                kind: Some("Pod".to_string()),
                name: pod.metadata.name.clone(),
                uid: pod.metadata.uid.clone(),
            }),
        },
        status: None,
    }
}

/// Creates the directories (and tmpfs mounts) of a pod's volumes and checks its
/// hostPath volumes, without writing any content.
pub fn prepare_pod_volumes(
    pod: &Pod,
    pods_dir: &Path,
    ctx: &VolumeContext,
) -> Result<PodVolumes, VolumeError> {
    let uid = pod.metadata.uid.clone().unwrap_or_default();
    if uid.is_empty() {
        return Err(setup_err("", "pod has no uid"));
    }
    let fs_group = fs_group(pod);
    let mut volumes = BTreeMap::new();
    for v in pod_volumes(pod) {
        if let Some(hp) = &v.host_path {
            let path = PathBuf::from(&hp.path);
            check_host_path(&path, hp.type_.as_deref().unwrap_or_default())
                .map_err(|e| setup_err(&v.name, e))?;
            volumes.insert(
                v.name.clone(),
                VolumeInfo {
                    path,
                    may_create_subpath: true,
                    atomic: false,
                },
            );
            continue;
        }
        let Some(plugin) = plugin_of(v) else {
            return Err(setup_err(
                &v.name,
                format!(
                    "{} volumes are not supported by berth's kubelet",
                    unsupported_kind(v)
                ),
            ));
        };
        let dir = volume_dir(pods_dir, &uid, plugin, &v.name);
        let existed = dir.is_dir();
        std::fs::create_dir_all(&dir)
            .map_err(|e| setup_err(&v.name, format!("creating {}: {e}", dir.display())))?;
        let memory = match plugin {
            EMPTY_DIR => {
                let medium = v
                    .empty_dir
                    .as_ref()
                    .and_then(|e| e.medium.as_deref())
                    .unwrap_or_default();
                match medium {
                    "" => false,
                    "Memory" => true,
                    other => {
                        return Err(setup_err(
                            &v.name,
                            format!("emptyDir medium {other:?} is not supported"),
                        ))
                    }
                }
            }
            SECRET | PROJECTED | DOWNWARD_API => ctx.memory_backed,
            _ => false,
        };
        if memory {
            let limit = v.empty_dir.as_ref().and_then(|e| e.size_limit.as_ref());
            let size = memory_volume_size(pod, limit, ctx);
            match mount_tmpfs(&dir, size) {
                Ok(()) => {}
                // Without the right to mount, content volumes stay on disk.
                Err(e) if plugin != EMPTY_DIR && e.raw_os_error() == Some(libc::EPERM) => {
                    tracing::warn!(volume = %v.name, "cannot mount tmpfs ({e}); volume stays on disk");
                }
                Err(e) => {
                    return Err(setup_err(
                        &v.name,
                        format!("mounting tmpfs on {}: {e}", dir.display()),
                    ))
                }
            }
        }
        if plugin == EMPTY_DIR {
            if !existed || memory {
                chmod(&dir, 0o777).map_err(|e| setup_err(&v.name, e))?;
            }
            if let Some(gid) = fs_group {
                set_ownership(&dir, gid, false)
                    .map_err(|e| setup_err(&v.name, format!("applying fsGroup: {e}")))?;
            }
        } else if let Some(gid) = fs_group {
            lchown(&dir, gid).map_err(|e| setup_err(&v.name, format!("applying fsGroup: {e}")))?;
        }
        volumes.insert(
            v.name.clone(),
            VolumeInfo {
                path: dir,
                may_create_subpath: plugin == EMPTY_DIR,
                atomic: plugin != EMPTY_DIR,
            },
        );
    }
    Ok(PodVolumes {
        pod_uid: uid,
        ctx: ctx.clone(),
        volumes,
        tokens: Mutex::new(HashMap::new()),
    })
}

/// Sets up every volume of the pod under `pods_dir` (see the module docs) and writes
/// the content of config map, secret, downward API and projected volumes, requesting
/// service account tokens. Calling it again for the same pod is harmless.
pub async fn setup_pod_volumes(
    client: &kube::Client,
    pod: &Pod,
    pods_dir: &Path,
    ctx: &VolumeContext,
) -> Result<PodVolumes, VolumeError> {
    let volumes = prepare_pod_volumes(pod, pods_dir, ctx)?;
    let sources = volumes.gather(client, pod).await;
    volumes.write_all(pod, &sources)?;
    Ok(volumes)
}

/// [`setup_pod_volumes`] from already fetched objects and tokens (no API access).
pub fn setup_pod_volumes_with(
    pod: &Pod,
    pods_dir: &Path,
    ctx: &VolumeContext,
    sources: &VolumeSources,
) -> Result<PodVolumes, VolumeError> {
    let volumes = prepare_pod_volumes(pod, pods_dir, ctx)?;
    volumes.write_all(pod, sources)?;
    Ok(volumes)
}

/// Unmounts everything under the pod's directory and removes it.
pub fn teardown_pod_volumes(pods_dir: &Path, pod_uid: &str) -> Result<(), VolumeError> {
    let err = |cause: String| VolumeError::TearDown {
        pod_uid: pod_uid.to_string(),
        cause,
    };
    if pod_uid.is_empty() || pod_uid.contains('/') || pod_uid == "." || pod_uid == ".." {
        return Err(err(format!("invalid pod uid {pod_uid:?}")));
    }
    let dir = pod_dir(pods_dir, pod_uid);
    if !dir.exists() {
        return Ok(());
    }
    crate::mounts::unmount_all_under(&dir).map_err(|e| err(e.to_string()))?;
    let left = crate::mounts::mounts_under(&dir).map_err(|e| err(e.to_string()))?;
    if !left.is_empty() {
        return Err(err(format!("{} still mounted", left[0].display())));
    }
    std::fs::remove_dir_all(&dir).map_err(|e| err(format!("removing {}: {e}", dir.display())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::os::unix::fs::MetadataExt;

    fn is_root() -> bool {
        // SAFETY: no arguments, cannot fail.
        unsafe { libc::geteuid() == 0 }
    }

    fn pod(v: serde_json::Value) -> Pod {
        serde_json::from_value(v).unwrap()
    }

    fn read(p: &Path) -> String {
        std::fs::read_to_string(p).unwrap()
    }

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    fn no_tmpfs() -> VolumeContext {
        VolumeContext {
            memory_backed: false,
            ..Default::default()
        }
    }

    #[test]
    fn atomic_writer() {
        let tmp = tempfile::tempdir().unwrap();
        let t = tmp.path();
        let f = |d: &str, m: u32| FileProjection {
            data: d.as_bytes().to_vec(),
            mode: m,
        };
        let mut p = Payload::new();
        p.insert("a".into(), f("1", 0o644));
        p.insert("dir/b".into(), f("2", 0o600));
        assert!(write_atomic(t, &p, None).unwrap());
        assert_eq!(read(&t.join("a")), "1");
        assert_eq!(read(&t.join("dir/b")), "2");
        assert_eq!(
            std::fs::read_link(t.join("a")).unwrap(),
            Path::new("..data/a")
        );
        assert_eq!(mode(&t.join("dir/b")), 0o600);
        let first = std::fs::read_link(t.join("..data")).unwrap();
        // Same content: nothing written.
        assert!(!write_atomic(t, &p, None).unwrap());
        assert_eq!(std::fs::read_link(t.join("..data")).unwrap(), first);
        // Changed: new directory, old one and removed names gone.
        p.remove("dir/b");
        p.insert("a".into(), f("3", 0o644));
        assert!(write_atomic(t, &p, None).unwrap());
        assert_eq!(read(&t.join("a")), "3");
        assert!(std::fs::symlink_metadata(t.join("dir")).is_err());
        assert!(!t.join(&first).exists());
        let entries: Vec<_> = std::fs::read_dir(t)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(entries.len(), 3, "{entries:?}");
        // Bad paths.
        for bad in ["/abs", "../x", "..x", "a/../b"] {
            let mut p = Payload::new();
            p.insert(bad.into(), f("", 0o644));
            assert!(write_atomic(t, &p, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn host_path_checks() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().join("d");
        assert_eq!(
            check_host_path(&d, "Directory").unwrap_err(),
            format!(
                "hostPath type check failed: {} is not a directory",
                d.display()
            )
        );
        check_host_path(&d, "DirectoryOrCreate").unwrap();
        assert!(d.is_dir());
        let f = tmp.path().join("x/f");
        check_host_path(&f, "FileOrCreate").unwrap();
        check_host_path(&f, "File").unwrap();
        assert!(check_host_path(&f, "Directory").is_err());
        assert!(check_host_path(&d, "File")
            .unwrap_err()
            .ends_with("is not a file"));
        assert!(check_host_path(&d, "Socket")
            .unwrap_err()
            .ends_with("is not a socket file"));
        assert!(check_host_path(Path::new("/dev/null"), "CharDevice").is_ok());
        assert!(check_host_path(&d, "BlockDevice")
            .unwrap_err()
            .ends_with("is not a block device"));
        check_host_path(&tmp.path().join("nope"), "").unwrap();
        assert_eq!(
            check_host_path(&d, "Weird").unwrap_err(),
            "Weird is an invalid volume type"
        );
    }

    fn sa_pod() -> Pod {
        pod(json!({
            "metadata": {"name": "p", "namespace": "team", "uid": "uid-1"},
            "spec": {
                "serviceAccountName": "default",
                "containers": [{"name": "c", "volumeMounts": [
                    {"name": "kube-api-access-abcde", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true},
                    {"name": "cache", "mountPath": "/cache", "subPath": "sub/dir"},
                    {"name": "cfg", "mountPath": "/etc/app.conf", "subPath": "app.conf"}
                ]}],
                "volumes": [
                    {"name": "kube-api-access-abcde", "projected": {"defaultMode": 420, "sources": [
                        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}
                    ]}},
                    {"name": "cache", "emptyDir": {}},
                    {"name": "cfg", "configMap": {"name": "app", "defaultMode": 256}}
                ]
            }
        }))
    }

    fn sa_sources() -> VolumeSources {
        let mut s = VolumeSources::default();
        s.config_maps.insert(
            "kube-root-ca.crt".into(),
            Ok(Some(
                serde_json::from_value(json!({"data": {"ca.crt": "CA PEM"}})).unwrap(),
            )),
        );
        s.config_maps.insert(
            "app".into(),
            Ok(Some(
                serde_json::from_value(json!({"data": {"app.conf": "x=1"}})).unwrap(),
            )),
        );
        s.tokens.insert(
            ("kube-api-access-abcde".into(), "token".into()),
            Ok("jwt".into()),
        );
        s
    }

    #[test]
    fn service_account_volume_and_mounts() {
        let tmp = tempfile::tempdir().unwrap();
        let p = sa_pod();
        let vols = setup_pod_volumes_with(&p, tmp.path(), &no_tmpfs(), &sa_sources()).unwrap();
        let dir = volume_dir(tmp.path(), "uid-1", PROJECTED, "kube-api-access-abcde");
        assert_eq!(read(&dir.join("token")), "jwt");
        assert_eq!(read(&dir.join("ca.crt")), "CA PEM");
        assert_eq!(read(&dir.join("namespace")), "team");
        assert_eq!(mode(&dir.join("token")), 0o644);
        let cfg = volume_dir(tmp.path(), "uid-1", CONFIG_MAP, "cfg");
        assert_eq!(mode(&cfg.join("app.conf")), 0o400);

        let c = &p.spec.as_ref().unwrap().containers[0];
        let mounts = vols.container_mounts(&p, c).unwrap();
        assert_eq!(
            mounts[0].container_path,
            "/var/run/secrets/kubernetes.io/serviceaccount"
        );
        assert_eq!(mounts[0].host_path, dir.to_string_lossy());
        assert!(mounts[0].readonly);
        let cache = volume_dir(tmp.path(), "uid-1", EMPTY_DIR, "cache");
        assert!(cache.join("sub/dir").is_dir());
        assert_eq!(mode(&cache), 0o777);
        assert!(mounts[1].host_path.ends_with("sub/dir"));
        assert!(!mounts[1].readonly);
        assert!(
            mounts[2].host_path.contains("..20"),
            "{}",
            mounts[2].host_path
        );
        assert!(mounts[2].host_path.ends_with("app.conf"));

        // Missing volume, missing config map.
        let mut bad = p.clone();
        bad.spec.as_mut().unwrap().containers[0]
            .volume_mounts
            .as_mut()
            .unwrap()[0]
            .name = "nope".into();
        let err = vols
            .container_mounts(&bad, &bad.spec.as_ref().unwrap().containers[0])
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot find volume \"nope\" to mount into container \"c\""
        );
        let mut s = sa_sources();
        s.config_maps.insert("app".into(), Ok(None));
        let err = setup_pod_volumes_with(&p, tmp.path(), &no_tmpfs(), &s).unwrap_err();
        assert_eq!(
            err.to_string(),
            "MountVolume.SetUp failed for volume \"cfg\" : configmap \"app\" not found"
        );

        // Update: content changes in place.
        let mut s = sa_sources();
        s.tokens.insert(
            ("kube-api-access-abcde".into(), "token".into()),
            Ok("jwt2".into()),
        );
        vols.write_all(&p, &s).unwrap();
        assert_eq!(read(&dir.join("token")), "jwt2");

        teardown_pod_volumes(tmp.path(), "uid-1").unwrap();
        assert!(!tmp.path().join("uid-1").exists());
    }

    #[test]
    fn payloads() {
        let p = pod(
            json!({"metadata": {"name": "p", "namespace": "ns", "labels": {"a": "b"}},
            "spec": {"containers": [{"name": "c", "resources": {"limits": {"memory": "64Mi"}}}]}}),
        );
        let ctx = no_tmpfs();
        let mut s = VolumeSources::default();
        s.secrets.insert(
            "s".into(),
            Ok(Some(
                serde_json::from_value(json!({"data": {"k": "dg==", "other": "dw=="}})).unwrap(),
            )),
        );
        let vol = |v: serde_json::Value| -> Volume { serde_json::from_value(v).unwrap() };
        let got = volume_payload(
            &p,
            &vol(json!({"name": "v", "secret": {"secretName": "s",
            "items": [{"key": "k", "path": "sub/key", "mode": 256}]}})),
            &s,
            &ctx,
        )
        .unwrap()
        .unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(
            got["sub/key"],
            FileProjection {
                data: b"v".to_vec(),
                mode: 0o400
            }
        );
        let err = volume_payload(
            &p,
            &vol(json!({"name": "v", "secret": {"secretName": "s",
            "items": [{"key": "zz", "path": "z"}]}})),
            &s,
            &ctx,
        )
        .unwrap_err();
        assert_eq!(err, "secret references non-existent secret key: zz");
        let err = volume_payload(
            &p,
            &vol(json!({"name": "v", "secret": {"secretName": "gone"}})),
            &s,
            &ctx,
        )
        .unwrap_err();
        assert_eq!(err, "secret \"gone\" not found");
        let got = volume_payload(
            &p,
            &vol(json!({"name": "v", "secret": {"secretName": "gone", "optional": true}})),
            &s,
            &ctx,
        )
        .unwrap()
        .unwrap();
        assert!(got.is_empty());
        let got = volume_payload(&p, &vol(json!({"name": "v", "downwardAPI": {"items": [
            {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
            {"path": "mem", "resourceFieldRef": {"containerName": "c", "resource": "limits.memory", "divisor": "1Mi"}}]}})), &s, &ctx).unwrap().unwrap();
        assert_eq!(got["labels"].data, b"a=\"b\"");
        assert_eq!(got["mem"].data, b"64");
        assert!(
            volume_payload(&p, &vol(json!({"name": "v", "emptyDir": {}})), &s, &ctx)
                .unwrap()
                .is_none()
        );
        // fsGroup: token written 0600 (then widened to 0640 by the ownership pass).
        let mut pg = p.clone();
        pg.spec.as_mut().unwrap().security_context =
            Some(serde_json::from_value(json!({"fsGroup": 1234})).unwrap());
        s.tokens
            .insert(("t".into(), "token".into()), Ok("jwt".into()));
        let got = volume_payload(
            &pg,
            &vol(json!({"name": "t", "projected": {"sources": [
            {"serviceAccountToken": {"path": "token"}}]}})),
            &s,
            &ctx,
        )
        .unwrap()
        .unwrap();
        assert_eq!(got["token"].mode, 0o600);
    }

    #[test]
    fn memory_sizes() {
        let ctx = VolumeContext {
            node_allocatable: [("memory".to_string(), Quantity("8Gi".into()))]
                .into_iter()
                .collect(),
            memory_backed: true,
        };
        let p = pod(json!({"spec": {"containers": [{"name": "a"}]}}));
        assert_eq!(memory_volume_size(&p, None, &ctx), Some(8 << 30));
        assert_eq!(
            memory_volume_size(&p, Some(&Quantity("64Mi".into())), &ctx),
            Some(64 << 20)
        );
        let p = pod(json!({"spec": {"containers": [
            {"name": "a", "resources": {"limits": {"memory": "1Gi"}}},
            {"name": "b", "resources": {"limits": {"memory": "1Gi"}}}]}}));
        assert_eq!(memory_volume_size(&p, None, &ctx), Some(2 << 30));
        assert_eq!(
            memory_volume_size(&p, Some(&Quantity("16Gi".into())), &ctx),
            Some(2 << 30)
        );
    }

    #[test]
    fn tmpfs_and_fs_group() {
        if !is_root() {
            eprintln!("skipping: needs root to mount tmpfs and chown");
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        // Unmounts whatever the test mounted even when an assertion fails.
        struct Cleanup(PathBuf);
        impl Drop for Cleanup {
            fn drop(&mut self) {
                let _ = crate::mounts::unmount_all_under(&self.0);
            }
        }
        let _cleanup = Cleanup(tmp.path().to_path_buf());
        let mut p = sa_pod();
        let spec = p.spec.as_mut().unwrap();
        spec.security_context = Some(serde_json::from_value(json!({"fsGroup": 4321})).unwrap());
        spec.volumes.as_mut().unwrap().push(
            serde_json::from_value(
                json!({"name": "mem", "emptyDir": {"medium": "Memory", "sizeLimit": "16Mi"}}),
            )
            .unwrap(),
        );
        let vols = setup_pod_volumes_with(&p, tmp.path(), &VolumeContext::default(), &sa_sources())
            .unwrap();
        let mem = volume_dir(tmp.path(), "uid-1", EMPTY_DIR, "mem");
        let proj = volume_dir(tmp.path(), "uid-1", PROJECTED, "kube-api-access-abcde");
        assert!(is_mount_point(&mem));
        assert!(is_mount_point(&proj));
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
        let line = mountinfo
            .lines()
            .find(|l| l.contains(mem.to_str().unwrap()))
            .unwrap();
        assert!(line.contains("size=16384k"), "{line}");
        let md = std::fs::metadata(proj.join("token")).unwrap();
        assert_eq!(md.gid(), 4321);
        assert_eq!(md.permissions().mode() & 0o777, 0o640);
        assert_eq!(std::fs::metadata(&mem).unwrap().gid(), 4321);
        assert_ne!(mode(&mem) & libc::S_ISGID, 0);
        // Setting up again does not stack mounts.
        drop(vols);
        let _vols =
            setup_pod_volumes_with(&p, tmp.path(), &VolumeContext::default(), &sa_sources())
                .unwrap();
        let count = crate::mounts::mounts_under(&tmp.path().join("uid-1"))
            .unwrap()
            .len();
        // The memory emptyDir and the projected volume (config maps stay on disk).
        assert_eq!(count, 2);
        teardown_pod_volumes(tmp.path(), "uid-1").unwrap();
        assert!(!tmp.path().join("uid-1").exists());
    }

    #[test]
    fn token_renewal_and_request() {
        let issued = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let t = CachedToken {
            token: "t".into(),
            issued,
            expires: issued + Duration::from_secs(3600),
        };
        assert!(!PodVolumes::needs_renewal(
            &t,
            issued + Duration::from_secs(2879)
        ));
        assert!(PodVolumes::needs_renewal(
            &t,
            issued + Duration::from_secs(2880)
        ));
        let long = CachedToken {
            expires: issued + Duration::from_secs(7 * 24 * 3600),
            ..t
        };
        assert!(PodVolumes::needs_renewal(
            &long,
            issued + Duration::from_secs(24 * 3600 + 1)
        ));
        let req = token_request(&sa_pod(), Some("vault"), Some(3607));
        assert_eq!(req.spec.audiences, vec!["vault"]);
        assert_eq!(req.spec.expiration_seconds, Some(3607));
        let bound = req.spec.bound_object_ref.unwrap();
        assert_eq!(
            (
                bound.kind.as_deref(),
                bound.name.as_deref(),
                bound.uid.as_deref()
            ),
            (Some("Pod"), Some("p"), Some("uid-1"))
        );
        assert!(token_request(&sa_pod(), Some(""), None)
            .spec
            .audiences
            .is_empty());
    }

    #[test]
    fn mount_propagation() {
        let tmp = tempfile::tempdir().unwrap();
        let p = pod(json!({"metadata": {"uid": "u2"}, "spec": {
            "containers": [{"name": "c", "volumeMounts": [
                {"name": "h", "mountPath": "/h", "mountPropagation": "HostToContainer"},
                {"name": "h", "mountPath": "/b", "mountPropagation": "Bidirectional"},
                {"name": "h", "mountPath": "/s", "subPath": "../etc"}]}],
            "volumes": [{"name": "h", "hostPath": {"path": tmp.path().join("host").to_str().unwrap(), "type": "DirectoryOrCreate"}}]}}));
        let vols = prepare_pod_volumes(&p, &tmp.path().join("pods"), &no_tmpfs()).unwrap();
        let mut c = p.spec.as_ref().unwrap().containers[0].clone();
        let mounts = c.volume_mounts.clone().unwrap();
        c.volume_mounts = Some(vec![mounts[0].clone()]);
        let m = vols.container_mounts(&p, &c).unwrap();
        assert_eq!(
            m[0].propagation,
            api::MountPropagation::PropagationHostToContainer as i32
        );
        assert_eq!(m[0].host_path, tmp.path().join("host").to_string_lossy());
        c.volume_mounts = Some(vec![mounts[1].clone()]);
        let err = vols.container_mounts(&p, &c).unwrap_err().to_string();
        assert!(err.contains("only to privileged containers"), "{err}");
        c.security_context = Some(serde_json::from_value(json!({"privileged": true})).unwrap());
        let m = vols.container_mounts(&p, &c).unwrap();
        assert_eq!(
            m[0].propagation,
            api::MountPropagation::PropagationBidirectional as i32
        );
        c.volume_mounts = Some(vec![mounts[2].clone()]);
        assert!(vols.container_mounts(&p, &c).is_err());
        teardown_pod_volumes(&tmp.path().join("pods"), "u2").unwrap();
    }
}
