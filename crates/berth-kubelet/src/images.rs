//! Images on the node: importing OCI archives and berth's own pause image into the
//! container runtime, and listing what it has (`berth image import|ls`).
//!
//! berth speaks only CRI to the runtime, and CRI has no import. So an import serves the
//! image from a short-lived read-only registry on 127.0.0.1 ([`berth_image::serve`]),
//! lists that registry first among the hosts of the image's registry
//! (`certs.d/<registry>/hosts.toml`, restored afterwards) and asks the runtime to pull the
//! image by its ordinary name. containerd 1.6 reads `hosts.toml` again for every pull
//! and tries the hosts in file order, going on to the next one on a 404; the import then
//! checks that the image it got is the one served (its manifest digest), so a pull
//! served by any other host is reported, not taken for an import.
//!
//! The pause image needs no archive at all: `build.rs` compiles `crates/berth-pause`
//! into a static binary that is embedded here, and [`ensure_pause_image`] builds
//! `berth.local/pause:3.10` from it in memory when the runtime lacks it.

use std::fs;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

use berth_image::serve::{self, RegistryContent};
use berth_image::{rootfs, BuildOptions, Image, Reference};
use tracing::{debug, info};

use crate::cri::{api, CriClient, CriError};

/// The name of berth's pause image (the sandbox image containerd is configured with).
pub const PAUSE_IMAGE: &str = "berth.local/pause:3.10";

/// The pause program, compiled by `build.rs` from `crates/berth-pause/src/main.rs`
/// (static, stripped; empty on targets other than x86-64 Linux).
pub static PAUSE_PROGRAM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/pause"));

/// How long an import's pull from the loopback registry may take.
const IMPORT_PULL_TIMEOUT: Duration = Duration::from_secs(300);

/// The lock file (in `certs.d`) that serialises imports, also across processes.
const LOCK_FILE: &str = ".berth-import.lock";

/// Next to a `hosts.toml` an import changed: what to put back (first line `absent` or
/// `present`, then the original content), so an import cut short is undone by the next.
const BACKUP_FILE: &str = "hosts.toml.berth-import-backup";

/// Why an image could not be imported, built or listed.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// Building, reading or serving the image failed.
    #[error(transparent)]
    Image(#[from] berth_image::Error),
    /// The runtime refused or could not be reached.
    #[error(transparent)]
    Cri(#[from] CriError),
    /// A file under `certs.d` could not be read or written.
    #[error("{action} {}: {error}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        error: io::Error,
    },
    /// The runtime's registry configuration directory does not exist, so no mirror can
    /// be set for the import.
    #[error(
        "registry config dir {} does not exist: an import lists a loopback registry as a \
         mirror there, so it must be the runtime's registry config_path (containerd's \
         `[plugins.\"io.containerd.grpc.v1.cri\".registry] config_path`)",
        path.display()
    )]
    NoRegistryConfigDir {
        /// The directory.
        path: PathBuf,
    },
    /// The runtime pulled the image from another host than the import registry.
    #[error(
        "the runtime did not pull {image} from the import registry (it has digests {got:?}, \
         the archive's is {want}); is {} the runtime's registry config_path?",
        certs_d.display()
    )]
    NotFromImportRegistry {
        /// The image.
        image: String,
        /// Manifest digest of the imported image.
        want: String,
        /// Repo digests the runtime reports.
        got: Vec<String>,
        /// The registry config dir used.
        certs_d: PathBuf,
    },
    /// The pull from the loopback registry took too long.
    #[error("pulling {image} from the import registry took longer than {timeout:?}")]
    Timeout {
        /// The image.
        image: String,
        /// The limit.
        timeout: Duration,
    },
    /// This build of berth has no pause program (not x86-64 Linux).
    #[error("this berth has no embedded pause program (it is built for x86-64 Linux only)")]
    NoPauseProgram,
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> ImageError {
    let path = path.to_path_buf();
    move |error| ImageError::Io {
        action,
        path,
        error,
    }
}

/// berth's pause image, built in memory: `/pause` (the embedded program), entrypoint
/// `["/pause"]`, named `name`. Equal programs give equal digests.
pub fn pause_image(name: &str) -> Result<Image, ImageError> {
    if PAUSE_PROGRAM.is_empty() {
        return Err(ImageError::NoPauseProgram);
    }
    let mut fs = rootfs::Rootfs::new();
    fs.add_file(
        "/pause",
        0o755,
        rootfs::Source::Bytes(PAUSE_PROGRAM.to_vec()),
    )?;
    let opts = BuildOptions {
        reference: name.to_string(),
        entrypoint: Some(vec!["/pause".into()]),
        // The program itself, named like `--from-binary` names a binary in the history.
        from_binaries: vec![("berth-pause".into(), Some("/pause".into()))],
        ..Default::default()
    };
    Ok(berth_image::build_from_rootfs(&opts, &fs)?)
}

/// Imports berth's pause image as `name` unless the runtime already has an image of
/// that name (CRI `ImageStatus`).
pub async fn ensure_pause_image(
    cri: &CriClient,
    certs_d: &Path,
    name: &str,
) -> Result<(), ImageError> {
    if cri.image_status(name).await?.is_some() {
        debug!(image = name, "pause image present");
        return Ok(());
    }
    let image = pause_image(name)?;
    import_image(cri, certs_d, &image).await?;
    Ok(())
}

/// Imports an image built in memory; returns its full name.
pub async fn import_image(
    cri: &CriClient,
    certs_d: &Path,
    image: &Image,
) -> Result<String, ImageError> {
    let mut content = RegistryContent::new();
    content.add_image(image);
    let mut names = import_content(cri, certs_d, content).await?;
    Ok(names.remove(0))
}

/// Imports the image of an OCI archive (as `berth image build -o`, `ctr images export`
/// or `skopeo copy oci-archive:` write it; the image must be named in `index.json`) into
/// the runtime whose registry config dir is `certs_d`. Returns the full names imported
/// (`docker.io/library/busybox:latest`).
pub async fn import_archive(
    cri: &CriClient,
    certs_d: &Path,
    archive: &Path,
) -> Result<Vec<String>, ImageError> {
    let path = archive.to_path_buf();
    let content = tokio::task::spawn_blocking(move || {
        let archive = berth_image::read_archive(&path)?;
        let mut content = RegistryContent::new();
        content.add_archive(&archive)?;
        Ok::<_, berth_image::Error>(content)
    })
    .await
    .map_err(|e| ImageError::Io {
        action: "reading",
        path: archive.to_path_buf(),
        error: io::Error::other(e),
    })??;
    import_content(cri, certs_d, content).await
}

async fn import_content(
    cri: &CriClient,
    certs_d: &Path,
    content: RegistryContent,
) -> Result<Vec<String>, ImageError> {
    if !certs_d.is_dir() {
        return Err(ImageError::NoRegistryConfigDir {
            path: certs_d.to_path_buf(),
        });
    }
    let images = content.images().to_vec();
    let registry = serve::serve(content, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
    let _lock = ImportLock::acquire(certs_d).await?;
    let mut names = Vec::new();
    for image in &images {
        let name = image.reference.to_string();
        let mirror = MirrorOverride::install(certs_d, &image.reference, &registry.url())?;
        let pulled =
            tokio::time::timeout(IMPORT_PULL_TIMEOUT, cri.pull_image(&name, None, None)).await;
        mirror.restore()?;
        let image_ref = pulled.map_err(|_| ImageError::Timeout {
            image: name.clone(),
            timeout: IMPORT_PULL_TIMEOUT,
        })??;
        let status = cri.image_status(&name).await?;
        let got = status.map(|s| s.repo_digests).unwrap_or_default();
        let want = format!(
            "{}/{}@{}",
            image.reference.registry, image.reference.repository, image.digest
        );
        if !got.contains(&want) {
            return Err(ImageError::NotFromImportRegistry {
                image: name,
                want: image.digest.clone(),
                got,
                certs_d: certs_d.to_path_buf(),
            });
        }
        info!(image = %name, id = %image_ref, "image imported");
        names.push(name);
    }
    debug!(requests = ?registry.requests(), "import registry done");
    registry.shutdown().await;
    Ok(names)
}

/// An exclusive `flock` on `certs.d/.berth-import.lock`: one import at a time changes
/// the mirrors, also across processes (the agent and `berth image import`).
struct ImportLock {
    // Closing the file releases the lock.
    _file: fs::File,
}

impl ImportLock {
    async fn acquire(certs_d: &Path) -> Result<Self, ImageError> {
        let path = certs_d.join(LOCK_FILE);
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_error("opening", &path))?;
        loop {
            // SAFETY: flock(2) on a descriptor this function owns.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
                return Ok(ImportLock { _file: file });
            }
            let error = io::Error::last_os_error();
            if error.kind() != io::ErrorKind::WouldBlock {
                return Err(io_error("locking", &path)(error));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A `hosts.toml` with the import registry listed first, and what to put back.
struct MirrorOverride {
    dir: PathBuf,
    file: PathBuf,
    backup: PathBuf,
    original: Option<Vec<u8>>,
    created_dir: bool,
    restored: bool,
}

/// The lines before the first table header (`[host."…"]`) of a hosts.toml: the
/// top-level keys (`server`, `capabilities`, …) that must stay outside any table.
fn split_top_level(text: &str) -> (&str, &str) {
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with('[') {
            break;
        }
        at += line.len();
    }
    text.split_at(at)
}

/// `hosts.toml` content listing `url` first: `original` with the import host's table
/// before its first table, or (no file) a file naming only the import registry.
fn hosts_toml_with(original: Option<&str>, registry: &str, url: &str) -> String {
    let table = format!("[host.\"{url}\"]\n  capabilities = [\"pull\", \"resolve\"]\n\n");
    match original {
        None => format!(
            "# Written by berth for an image import (removed when it ends): pulls of \
             {registry} go to {url} only.\nserver = \"{url}\"\n\n{table}"
        ),
        Some(original) => {
            let (top, rest) = split_top_level(original);
            let mut out = String::with_capacity(original.len() + table.len() + 80);
            out.push_str(top);
            if !top.is_empty() && !top.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&format!(
                "\n# Added by berth for an image import (removed when it ends).\n{table}"
            ));
            out.push_str(rest);
            out
        }
    }
}

/// Writes through a temporary file and a rename, so containerd never reads half a file.
fn write_atomic(path: &Path, data: &[u8]) -> Result<(), ImageError> {
    let tmp = path.with_extension("toml.tmp");
    fs::write(&tmp, data).map_err(io_error("writing", &tmp))?;
    fs::rename(&tmp, path).map_err(io_error("renaming", path))
}

impl MirrorOverride {
    fn install(certs_d: &Path, reference: &Reference, url: &str) -> Result<Self, ImageError> {
        let dir = certs_d.join(&reference.registry);
        let file = dir.join("hosts.toml");
        let backup = dir.join(BACKUP_FILE);
        // An import that was cut short left its backup: put the original back first.
        if backup.exists() {
            restore_backup(&dir, &file, &backup)?;
        }
        let created_dir = !dir.is_dir();
        if created_dir {
            fs::create_dir_all(&dir).map_err(io_error("creating", &dir))?;
        }
        let original = match fs::read(&file) {
            Ok(data) => Some(data),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(io_error("reading", &file)(e)),
        };
        let mut saved = Vec::new();
        match &original {
            Some(data) => {
                saved.extend_from_slice(b"present\n");
                saved.extend_from_slice(data);
            }
            None => saved.extend_from_slice(b"absent\n"),
        }
        fs::write(&backup, &saved).map_err(io_error("writing", &backup))?;
        let text = original.as_deref().map(String::from_utf8_lossy);
        let new = hosts_toml_with(text.as_deref(), &reference.registry, url);
        let guard = MirrorOverride {
            dir,
            file,
            backup,
            original,
            created_dir,
            restored: false,
        };
        write_atomic(&guard.file, new.as_bytes())?;
        debug!(file = %guard.file.display(), %url, "import registry listed first");
        Ok(guard)
    }

    fn restore(mut self) -> Result<(), ImageError> {
        self.restored = true;
        self.put_back()
    }

    fn put_back(&self) -> Result<(), ImageError> {
        match &self.original {
            Some(data) => write_atomic(&self.file, data)?,
            None => match fs::remove_file(&self.file) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_error("removing", &self.file)(e)),
            },
        }
        let _ = fs::remove_file(&self.backup);
        if self.created_dir {
            let _ = fs::remove_dir(&self.dir);
        }
        Ok(())
    }
}

impl Drop for MirrorOverride {
    fn drop(&mut self) {
        if !self.restored {
            if let Err(e) = self.put_back() {
                tracing::warn!(error = %e, "restoring hosts.toml after an import");
            }
        }
    }
}

fn restore_backup(dir: &Path, file: &Path, backup: &Path) -> Result<(), ImageError> {
    let saved = fs::read(backup).map_err(io_error("reading", backup))?;
    if let Some(original) = saved.strip_prefix(b"present\n") {
        write_atomic(file, original)?;
    } else {
        match fs::remove_file(file) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error("removing", file)(e)),
        }
    }
    fs::remove_file(backup).map_err(io_error("removing", backup))?;
    let _ = fs::remove_dir(dir);
    info!(file = %file.display(), "put back the hosts.toml an interrupted import left");
    Ok(())
}

/// The runtime's images (CRI `ListImages`), sorted by name.
pub async fn list_images(cri: &CriClient) -> Result<Vec<api::Image>, ImageError> {
    let mut images = cri.list_images(None).await?;
    images.sort_by(|a, b| (a.repo_tags.first(), &a.id).cmp(&(b.repo_tags.first(), &b.id)));
    Ok(images)
}

/// `repo:tag` → (`repo`, `tag`); the tag is after the last `:` that follows the last `/`.
fn split_repo_tag(s: &str) -> (&str, &str) {
    match s.rfind(':') {
        Some(i) if !s[i..].contains('/') => (&s[..i], &s[i + 1..]),
        _ => (s, "<none>"),
    }
}

/// A size as crictl prints it (docker's `HumanSizeWithPrecision(size, 3)`: decimal
/// units, three significant digits): `742B`, `315kB`, `1.05MB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1000.0 && unit < UNITS.len() - 1 {
        size /= 1000.0;
        unit += 1;
    }
    format!("{}{}", format_g3(size), UNITS[unit])
}

/// Go's `%.3g`.
fn format_g3(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let exp = v.abs().log10().floor() as i32;
    // Rounding to three digits can carry into the next power of ten.
    let rounded = {
        let scale = 10f64.powi(2 - exp);
        (v * scale).round() / scale
    };
    let exp = rounded.abs().log10().floor() as i32;
    if !(-4..3).contains(&exp) {
        let mantissa = rounded / 10f64.powi(exp);
        let m = format!("{mantissa:.2}");
        let m = m.trim_end_matches('0').trim_end_matches('.');
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{m}e{sign}{:02}", exp.abs());
    }
    let decimals = (2 - exp).max(0) as usize;
    let s = format!("{rounded:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Images as `crictl images` prints them: IMAGE, TAG, IMAGE ID (13 hex digits), SIZE, a
/// line per tag (`<none>` for untagged images).
pub fn format_images(images: &[api::Image]) -> String {
    let mut rows: Vec<[String; 4]> = vec![["IMAGE", "TAG", "IMAGE ID", "SIZE"].map(String::from)];
    for image in images {
        let id: String = image
            .id
            .strip_prefix("sha256:")
            .unwrap_or(&image.id)
            .chars()
            .take(13)
            .collect();
        let size = human_size(image.size);
        let mut pairs: Vec<(String, String)> = image
            .repo_tags
            .iter()
            .map(|t| {
                let (repo, tag) = split_repo_tag(t);
                (repo.to_string(), tag.to_string())
            })
            .collect();
        if pairs.is_empty() {
            pairs = image
                .repo_digests
                .iter()
                .map(|d| {
                    let repo = d.split_once('@').map_or(d.as_str(), |(r, _)| r);
                    (repo.to_string(), "<none>".to_string())
                })
                .collect();
        }
        if pairs.is_empty() {
            pairs.push(("<none>".into(), "<none>".into()));
        }
        for (repo, tag) in pairs {
            rows.push([repo, tag, id.clone(), size.clone()]);
        }
    }
    // Go's tabwriter as crictl sets it up: minimum cell width 20, padding 3.
    let mut widths = [0usize; 3];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count() + 3).max(20);
        }
    }
    let mut out = String::new();
    for row in &rows {
        for (cell, w) in row.iter().zip(widths) {
            out.push_str(&format!("{cell:<w$}"));
        }
        out.push_str(&row[3]);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_like_crictl() {
        for (bytes, shown) in [
            (0, "0B"),
            (742, "742B"),
            (999, "999B"),
            (1000, "1kB"),
            (315_392, "315kB"),
            (1_049_000, "1.05MB"),
            (7_234_567, "7.23MB"),
            (12_345_678, "12.3MB"),
            (999_700, "1e+03kB"),
            (1_500_000_000, "1.5GB"),
        ] {
            assert_eq!(human_size(bytes), shown, "{bytes}");
        }
    }

    #[test]
    fn table_like_crictl() {
        let images = vec![
            api::Image {
                id: "sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741"
                    .into(),
                repo_tags: vec!["docker.io/library/busybox:latest".into()],
                size: 1_049_000,
                ..Default::default()
            },
            api::Image {
                id: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                    .into(),
                repo_digests: vec!["localhost:5000/x@sha256:00".into()],
                size: 742,
                ..Default::default()
            },
        ];
        assert_eq!(
            format_images(&images),
            "IMAGE                       TAG                 IMAGE ID            SIZE\n\
             docker.io/library/busybox   latest              3f57d9401f8d4       1.05MB\n\
             localhost:5000/x            <none>              0123456789abc       742B\n"
        );
    }

    #[test]
    fn mirror_is_listed_first_and_put_back() {
        let dir = tempfile::tempdir().unwrap();
        let certs_d = dir.path();
        let docker = Reference::parse("busybox").unwrap();
        let url = "http://127.0.0.1:4000";

        // No hosts.toml: one is written naming only the import registry, then removed.
        let guard = MirrorOverride::install(certs_d, &docker, url).unwrap();
        let written = fs::read_to_string(certs_d.join("docker.io/hosts.toml")).unwrap();
        assert!(
            written.contains("server = \"http://127.0.0.1:4000\""),
            "{written}"
        );
        assert!(
            written.contains("[host.\"http://127.0.0.1:4000\"]"),
            "{written}"
        );
        guard.restore().unwrap();
        assert!(!certs_d.join("docker.io").exists());

        // An existing mirror stays, after the import registry, and comes back unchanged.
        let original = "# mirror\nserver = \"http://127.0.0.1:5000\"\n\n\
                        [host.\"http://127.0.0.1:5000\"]\n  capabilities = [\"pull\", \"resolve\", \"push\"]\n";
        fs::create_dir_all(certs_d.join("docker.io")).unwrap();
        fs::write(certs_d.join("docker.io/hosts.toml"), original).unwrap();
        let guard = MirrorOverride::install(certs_d, &docker, url).unwrap();
        let written = fs::read_to_string(certs_d.join("docker.io/hosts.toml")).unwrap();
        let ours = written.find("[host.\"http://127.0.0.1:4000\"]").unwrap();
        let theirs = written.find("[host.\"http://127.0.0.1:5000\"]").unwrap();
        let server = written.find("server = \"http://127.0.0.1:5000\"").unwrap();
        assert!(server < ours && ours < theirs, "{written}");
        drop(guard); // Dropping without restore() also puts it back.
        assert_eq!(
            fs::read_to_string(certs_d.join("docker.io/hosts.toml")).unwrap(),
            original
        );
        assert!(!certs_d.join("docker.io").join(BACKUP_FILE).exists());

        // A backup left by an interrupted import is applied before the next one.
        let guard = MirrorOverride::install(certs_d, &docker, url).unwrap();
        std::mem::forget(guard);
        assert_ne!(
            fs::read_to_string(certs_d.join("docker.io/hosts.toml")).unwrap(),
            original
        );
        MirrorOverride::install(certs_d, &docker, "http://127.0.0.1:4001")
            .unwrap()
            .restore()
            .unwrap();
        assert_eq!(
            fs::read_to_string(certs_d.join("docker.io/hosts.toml")).unwrap(),
            original
        );
    }

    #[test]
    fn top_level_keys_stay_outside_tables() {
        assert_eq!(
            split_top_level("server = \"x\"\n[host.\"y\"]\n  a = 1\n"),
            ("server = \"x\"\n", "[host.\"y\"]\n  a = 1\n")
        );
        assert_eq!(split_top_level("[host.\"y\"]\n"), ("", "[host.\"y\"]\n"));
        assert_eq!(split_top_level("server = \"x\""), ("server = \"x\"", ""));
    }

    #[test]
    fn pause_image_holds_only_the_static_program() {
        let image = pause_image(PAUSE_IMAGE).unwrap();
        assert_eq!(image.reference.to_string(), PAUSE_IMAGE);
        let config: berth_image::oci::ImageConfig =
            serde_json::from_slice(&image.config.data).unwrap();
        assert_eq!(config.config.entrypoint, Some(vec!["/pause".to_string()]));
        // Reproducible: the same program gives the same digest.
        assert_eq!(pause_image(PAUSE_IMAGE).unwrap().digest(), image.digest());
    }

    #[test]
    fn embedded_pause_is_static_and_stops_on_sigterm() {
        use std::os::unix::fs::PermissionsExt;
        use std::process::{Command, Stdio};

        assert!(!PAUSE_PROGRAM.is_empty());
        // No program interpreter and no libraries: it runs in an otherwise empty image.
        let elf = berth_image::elf::parse(PAUSE_PROGRAM).unwrap();
        assert_eq!(elf.interpreter, None);
        assert!(elf.needed.is_empty(), "{:?}", elf.needed);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pause");
        fs::write(&path, PAUSE_PROGRAM).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        let mut child = Command::new(&path).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(200));
        assert!(
            child.try_wait().unwrap().is_none(),
            "pause exited on its own"
        );
        // SAFETY: kill(2) on the child this test started and has not reaped.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                assert_eq!(status.code(), Some(0));
                break;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("pause still running 10 s after SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
