//! containerd as berth's child: writes its config under `<data-dir>/agent/containerd/`,
//! starts it, waits for CRI, restarts it when it dies and stops it by PID on shutdown —
//! or uses a runtime that is already running (`--container-runtime-endpoint`).

mod config;
mod pidfd;

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{error, info, warn};

pub use config::{BadRegistryHost, ContainerdPaths, RegistryHost};

use crate::cri::{api, CriClient, CriError};
use pidfd::Pidfd;

/// First wait before restarting a containerd that died; doubled up to
/// [`MAX_RESTART_BACKOFF`], back to the start once it ran for [`BACKOFF_RESET_AFTER`].
const INITIAL_RESTART_BACKOFF: Duration = Duration::from_millis(500);
const MAX_RESTART_BACKOFF: Duration = Duration::from_secs(30);
const BACKOFF_RESET_AFTER: Duration = Duration::from_secs(60);

/// containerd's log is moved aside at a start once it is this big.
const MAX_LOG_BYTES: u64 = 16 * 1024 * 1024;

/// A unix socket path must fit `sun_path` with its NUL.
const MAX_SOCKET_PATH: usize = 107;

/// How to get a container runtime.
#[derive(Clone, Debug)]
pub struct ContainerdOptions {
    /// berth's data dir; containerd's files go under `<data_dir>/agent/containerd/`.
    pub data_dir: PathBuf,
    /// The pause image containerd runs in every sandbox (berth's own, e.g.
    /// `berth.local/pause:3.10`; it must already be in containerd's image store).
    pub sandbox_image: String,
    /// Registry mirrors and plain-HTTP registries (`--registry-mirror`).
    pub registry_hosts: Vec<RegistryHost>,
    /// Use this running runtime (`unix:///...` or a socket path) instead of starting one.
    pub container_runtime_endpoint: Option<String>,
    /// The containerd binary.
    pub containerd_binary: PathBuf,
    /// Where the CNI plugins are.
    pub cni_bin_dir: PathBuf,
    /// How long containerd may take to answer CRI `Version` after it was started.
    pub start_timeout: Duration,
    /// How long containerd may take to exit after SIGTERM before it gets SIGKILL.
    pub stop_timeout: Duration,
    /// Extra environment for containerd, e.g. `HTTPS_PROXY` for registries.
    pub env: Vec<(OsString, OsString)>,
}

impl ContainerdOptions {
    /// Defaults for a data dir: Debian's `/usr/bin/containerd`, CNI plugins in
    /// `/usr/lib/cni`, no mirrors.
    pub fn new(data_dir: impl Into<PathBuf>, sandbox_image: impl Into<String>) -> Self {
        ContainerdOptions {
            data_dir: data_dir.into(),
            sandbox_image: sandbox_image.into(),
            registry_hosts: Vec::new(),
            container_runtime_endpoint: None,
            containerd_binary: PathBuf::from("/usr/bin/containerd"),
            cni_bin_dir: PathBuf::from("/usr/lib/cni"),
            start_timeout: Duration::from_secs(60),
            stop_timeout: Duration::from_secs(10),
            env: Vec::new(),
        }
    }
}

/// Why the container runtime could not be started, reached or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ContainerdError {
    /// There is no containerd binary to start.
    #[error(
        "{} not found: install it with `apt-get install -y containerd runc \
         containernetworking-plugins`, or give --container-runtime-endpoint",
        binary.display()
    )]
    BinaryMissing {
        /// The binary looked for.
        binary: PathBuf,
    },
    /// The data dir is too deep for a unix socket path.
    #[error(
        "socket path {} is longer than the {MAX_SOCKET_PATH} bytes a unix socket allows; \
         use a shorter --data-dir",
        path.display()
    )]
    SocketPathTooLong {
        /// The socket path.
        path: PathBuf,
    },
    /// A file operation failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// On what.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// containerd exited before it answered.
    #[error("containerd exited during start-up ({status}); the end of {}:\n{tail}", log.display())]
    Exited {
        /// How it exited.
        status: String,
        /// Its log file.
        log: PathBuf,
        /// The last lines of its log.
        tail: String,
    },
    /// containerd did not answer CRI `Version` in time.
    #[error(
        "containerd did not answer CRI Version within {timeout:?} (last error: {last_error}); \
         the end of {}:\n{tail}",
        log.display()
    )]
    StartTimeout {
        /// The start timeout.
        timeout: Duration,
        /// The last CRI error.
        last_error: String,
        /// Its log file.
        log: PathBuf,
        /// The last lines of its log.
        tail: String,
    },
    /// The runtime does not speak CRI v1.
    #[error("the runtime at {} speaks CRI {version:?}; berth needs v1", socket.display())]
    UnsupportedApi {
        /// The runtime's socket.
        socket: PathBuf,
        /// The CRI version it reported.
        version: String,
    },
    /// A CRI call failed.
    #[error(transparent)]
    Cri(#[from] CriError),
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> ContainerdError {
    let path = path.to_path_buf();
    move |source| ContainerdError::Io {
        action,
        path,
        source,
    }
}

/// The container runtime of a node: a containerd berth runs, or one it was pointed at.
/// Dropping it kills a containerd berth started (SIGKILL by pidfd); [`Containerd::stop`]
/// stops it gracefully. Containers keep running either way, as with kubelet.
pub struct Containerd {
    client: CriClient,
    version: api::VersionResponse,
    managed: Option<Managed>,
}

impl std::fmt::Debug for Containerd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Containerd")
            .field("socket", &self.client.socket())
            .field("managed", &self.managed.is_some())
            .field("pid", &self.pid())
            .finish()
    }
}

impl Containerd {
    /// Starts containerd (or connects to `container_runtime_endpoint`) and returns once
    /// it answers CRI `Version` with API v1.
    pub async fn start(opts: ContainerdOptions) -> Result<Containerd, ContainerdError> {
        if let Some(endpoint) = &opts.container_runtime_endpoint {
            let client = CriClient::for_endpoint(endpoint)?;
            let version = check_api(&client, client.version().await?)?;
            info!(
                endpoint = %endpoint,
                runtime = %version.runtime_name,
                version = %version.runtime_version,
                "using an existing container runtime"
            );
            return Ok(Containerd {
                client,
                version,
                managed: None,
            });
        }
        Managed::start(opts).await
    }

    /// A CRI client for this runtime (it reconnects by itself after restarts).
    pub fn client(&self) -> CriClient {
        self.client.clone()
    }

    /// What the runtime said to `Version` at start (for the Node's
    /// `containerRuntimeVersion`, `containerd://<runtime_version>`).
    pub fn version(&self) -> &api::VersionResponse {
        &self.version
    }

    /// The runtime's files, when berth runs containerd itself.
    pub fn paths(&self) -> Option<&ContainerdPaths> {
        self.managed.as_ref().map(|m| &m.paths)
    }

    /// The PID of the containerd berth runs, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.managed.as_ref().and_then(|m| *m.pid.borrow())
    }

    /// Waits until containerd runs with a PID other than `old` (after a restart).
    pub async fn wait_for_new_pid(&self, old: u32) -> Option<u32> {
        let mut pid = self.managed.as_ref()?.pid.clone();
        let new = *pid
            .wait_for(|p| matches!(p, Some(p) if *p != old))
            .await
            .ok()?;
        new
    }

    /// Stops a containerd berth started: SIGTERM, SIGKILL after the stop timeout.
    /// A runtime berth did not start is left alone.
    pub async fn stop(mut self) -> Result<(), ContainerdError> {
        match self.managed.take() {
            Some(managed) => managed.stop().await,
            None => Ok(()),
        }
    }
}

fn check_api(
    client: &CriClient,
    version: api::VersionResponse,
) -> Result<api::VersionResponse, ContainerdError> {
    if version.runtime_api_version == "v1" {
        Ok(version)
    } else {
        Err(ContainerdError::UnsupportedApi {
            socket: client.socket().to_path_buf(),
            version: version.runtime_api_version,
        })
    }
}

/// What the supervisor and the owner share.
struct Shared {
    opts: ContainerdOptions,
    paths: ContainerdPaths,
    process: Mutex<Process>,
    /// The running containerd's PID, `None` once it was reaped.
    pid: watch::Sender<Option<u32>>,
    /// Set once, when berth stops containerd.
    stopping: watch::Sender<bool>,
}

#[derive(Default)]
struct Process {
    stopping: bool,
    current: Option<Arc<Pidfd>>,
}

impl Shared {
    fn process(&self) -> MutexGuard<'_, Process> {
        self.process.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts containerd unless berth is stopping it. Holding the lock while spawning
    /// means a stop either prevents the start or sees the new process.
    fn spawn(&self) -> Result<Option<Child>, ContainerdError> {
        let mut process = self.process();
        if process.stopping {
            return Ok(None);
        }
        let paths = &self.paths;
        if let Ok(meta) = fs::metadata(&paths.log) {
            if meta.len() > MAX_LOG_BYTES {
                let _ = fs::rename(&paths.log, paths.log.with_extension("log.1"));
            }
        }
        // A socket left by a killed containerd would look like readiness.
        match fs::remove_file(&paths.socket) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error("removing stale socket", &paths.socket)(e)),
        }
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&paths.log)
            .map_err(io_error("opening", &paths.log))?;
        let log2 = log.try_clone().map_err(io_error("opening", &paths.log))?;
        let mut child = Command::new(&self.opts.containerd_binary)
            .arg("--config")
            .arg(&paths.config)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .envs(self.opts.env.iter().map(|(k, v)| (k, v)))
            // A Ctrl-C at berth's terminal is for berth, which then stops containerd.
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(io_error("starting", &self.opts.containerd_binary))?;
        let pid = child.id().unwrap_or_default();
        let pidfd = match Pidfd::open(pid) {
            Ok(pidfd) => pidfd,
            Err(e) => {
                let _ = child.start_kill();
                return Err(io_error("opening a pidfd for containerd", &paths.config)(e));
            }
        };
        process.current = Some(Arc::new(pidfd));
        if let Err(e) = fs::write(&paths.pid_file, format!("{pid}\n")) {
            warn!(path = %paths.pid_file.display(), error = %e, "cannot write containerd's pid file");
        }
        self.pid.send_replace(Some(pid));
        Ok(Some(child))
    }

    /// Records that the child was reaped.
    fn exited(&self) {
        self.process().current = None;
        self.pid.send_replace(None);
    }

    /// Marks berth as stopping containerd; returns the process to signal, if any.
    fn begin_stop(&self) -> Option<Arc<Pidfd>> {
        let current = {
            let mut process = self.process();
            process.stopping = true;
            process.current.clone()
        };
        self.stopping.send_replace(true);
        current
    }
}

/// A containerd berth runs: its supervisor task and what it shares with it.
struct Managed {
    paths: ContainerdPaths,
    shared: Arc<Shared>,
    pid: watch::Receiver<Option<u32>>,
    supervisor: Option<JoinHandle<()>>,
}

impl Managed {
    async fn start(opts: ContainerdOptions) -> Result<Containerd, ContainerdError> {
        if !opts.containerd_binary.is_file() {
            return Err(ContainerdError::BinaryMissing {
                binary: opts.containerd_binary.clone(),
            });
        }
        let paths = ContainerdPaths::new(&opts.data_dir);
        for socket in [paths.socket.clone(), paths.ttrpc_socket()] {
            if socket.as_os_str().len() > MAX_SOCKET_PATH {
                return Err(ContainerdError::SocketPathTooLong { path: socket });
            }
        }
        for dir in [&paths.dir, &paths.root, &paths.state, &paths.cni_conf_dir] {
            fs::create_dir_all(dir).map_err(io_error("creating", dir))?;
        }
        {
            let stale = paths.clone();
            let timeout = opts.stop_timeout;
            tokio::task::spawn_blocking(move || stop_stale(&stale, timeout))
                .await
                .map_err(|e| {
                    io_error("stopping a stale containerd", &paths.pid_file)(io::Error::other(e))
                })??;
        }
        write_files(&paths, &opts)?;

        let client = CriClient::new(&paths.socket);
        let (pid_tx, pid_rx) = watch::channel(None);
        let shared = Arc::new(Shared {
            paths: paths.clone(),
            process: Mutex::new(Process::default()),
            pid: pid_tx,
            stopping: watch::channel(false).0,
            opts,
        });
        let Some(mut child) = shared.spawn()? else {
            unreachable!("nothing can stop a containerd that is not started yet");
        };
        let pid = child.id().unwrap_or_default();
        let version = match wait_ready(&mut child, &client, &shared).await {
            Ok(version) => version,
            Err(e) => {
                let _ = child.start_kill();
                let _ = child.wait().await;
                shared.exited();
                let _ = fs::remove_file(&paths.pid_file);
                return Err(e);
            }
        };
        info!(
            pid,
            socket = %paths.socket.display(),
            version = %version.runtime_version,
            "containerd started"
        );
        let supervisor = tokio::spawn(supervise(child, shared.clone()));
        Ok(Containerd {
            client,
            version,
            managed: Some(Managed {
                paths,
                shared,
                pid: pid_rx,
                supervisor: Some(supervisor),
            }),
        })
    }

    async fn stop(mut self) -> Result<(), ContainerdError> {
        let timeout = self.shared.opts.stop_timeout;
        if let Some(process) = self.shared.begin_stop() {
            info!(pid = process.pid(), "stopping containerd");
            process
                .signal(libc::SIGTERM)
                .map_err(io_error("signalling containerd", &self.paths.pid_file))?;
            let mut pid = self.pid.clone();
            if tokio::time::timeout(timeout, pid.wait_for(Option::is_none))
                .await
                .is_err()
            {
                warn!(
                    pid = process.pid(),
                    ?timeout,
                    "containerd ignored SIGTERM; killing it"
                );
                process
                    .signal(libc::SIGKILL)
                    .map_err(io_error("killing containerd", &self.paths.pid_file))?;
                let _ = tokio::time::timeout(timeout, pid.wait_for(Option::is_none)).await;
            }
        }
        if let Some(supervisor) = self.supervisor.take() {
            let _ = tokio::time::timeout(timeout, supervisor).await;
        }
        match fs::remove_file(&self.paths.pid_file) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error("removing", &self.paths.pid_file)(e)),
        }
    }
}

impl Drop for Managed {
    /// Without a graceful stop: SIGKILL through the pidfd and wait for the exit, so
    /// whoever drops this may clean up containerd's directories at once.
    fn drop(&mut self) {
        if let Some(process) = self.shared.begin_stop() {
            if !process.exited() {
                warn!(
                    pid = process.pid(),
                    "containerd dropped without stop; killing it"
                );
                let _ = process.signal(libc::SIGKILL);
                process.wait_exited(Duration::from_secs(10));
            }
        }
        let _ = fs::remove_file(&self.paths.pid_file);
    }
}

/// Restarts containerd whenever it exits until berth stops it.
async fn supervise(mut child: Child, shared: Arc<Shared>) {
    let mut backoff = INITIAL_RESTART_BACKOFF;
    let mut started = Instant::now();
    loop {
        let status = child.wait().await;
        shared.exited();
        if *shared.stopping.borrow() {
            match status {
                Ok(status) => info!(%status, "containerd stopped"),
                Err(e) => warn!(error = %e, "waiting for containerd"),
            }
            return;
        }
        if started.elapsed() >= BACKOFF_RESET_AFTER {
            backoff = INITIAL_RESTART_BACKOFF;
        }
        match &status {
            Ok(status) => warn!(%status, restart_in = ?backoff, "containerd exited; restarting it"),
            Err(e) => warn!(error = %e, restart_in = ?backoff, "lost containerd; restarting it"),
        }
        loop {
            let mut stopping = shared.stopping.subscribe();
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = stopping.wait_for(|s| *s) => return,
            }
            backoff = (backoff * 2).min(MAX_RESTART_BACKOFF);
            match shared.spawn() {
                Ok(Some(new)) => {
                    child = new;
                    started = Instant::now();
                    info!(pid = child.id(), "containerd restarted");
                    break;
                }
                Ok(None) => return,
                Err(e) => error!(error = %e, retry_in = ?backoff, "cannot restart containerd"),
            }
        }
    }
}

/// Waits until the new containerd answers CRI `Version`, or exits, or times out.
async fn wait_ready(
    child: &mut Child,
    client: &CriClient,
    shared: &Shared,
) -> Result<api::VersionResponse, ContainerdError> {
    let paths = &shared.paths;
    let timeout = shared.opts.start_timeout;
    let deadline = Instant::now() + timeout;
    let probe = client.timeout(Duration::from_secs(5));
    let mut last_error = "the socket was not created".to_string();
    loop {
        if let Some(status) = child
            .try_wait()
            .map_err(io_error("waiting for", &paths.config))?
        {
            return Err(ContainerdError::Exited {
                status: status.to_string(),
                log: paths.log.clone(),
                tail: log_tail(&paths.log),
            });
        }
        if paths.socket.exists() {
            match probe.version().await {
                Ok(version) => return check_api(client, version),
                Err(e) => last_error = e.to_string(),
            }
        }
        if Instant::now() >= deadline {
            return Err(ContainerdError::StartTimeout {
                timeout,
                last_error,
                log: paths.log.clone(),
                tail: log_tail(&paths.log),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The last lines of containerd's log, for errors.
fn log_tail(log: &Path) -> String {
    let text = fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

/// Writes `config.toml` and a fresh `certs.d` (mirrors no longer given disappear).
fn write_files(paths: &ContainerdPaths, opts: &ContainerdOptions) -> Result<(), ContainerdError> {
    let config = config::render_config(paths, &opts.sandbox_image, &opts.cni_bin_dir);
    fs::write(&paths.config, config).map_err(io_error("writing", &paths.config))?;
    match fs::remove_dir_all(&paths.certs_d) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_error("clearing", &paths.certs_d)(e)),
    }
    fs::create_dir_all(&paths.certs_d).map_err(io_error("creating", &paths.certs_d))?;
    for host in &opts.registry_hosts {
        let dir = paths.certs_d.join(&host.registry);
        fs::create_dir_all(&dir).map_err(io_error("creating", &dir))?;
        let file = dir.join("hosts.toml");
        fs::write(&file, config::render_hosts_toml(host)).map_err(io_error("writing", &file))?;
    }
    Ok(())
}

/// Stops a containerd that a killed berth left running on these files: its PID from
/// the pid file, but only if that process still runs our config.
fn stop_stale(paths: &ContainerdPaths, timeout: Duration) -> Result<(), ContainerdError> {
    let Ok(text) = fs::read_to_string(&paths.pid_file) else {
        return Ok(());
    };
    let pidfd = text
        .trim()
        .parse::<u32>()
        .ok()
        .and_then(|pid| Pidfd::open(pid).ok());
    // Checked after opening the pidfd: the PID cannot be reused from then on.
    if let Some(pidfd) = pidfd.filter(|p| runs_config(p.pid(), &paths.config)) {
        warn!(
            pid = pidfd.pid(),
            "stopping the containerd a previous berth left running"
        );
        let _ = pidfd.signal(libc::SIGTERM);
        if !pidfd.wait_exited(timeout) {
            let _ = pidfd.signal(libc::SIGKILL);
            pidfd.wait_exited(timeout);
        }
    }
    match fs::remove_file(&paths.pid_file) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error("removing", &paths.pid_file)(e)),
    }
}

/// Whether process `pid` is a containerd started with `--config <config>`.
fn runs_config(pid: u32, config: &Path) -> bool {
    let Ok(cmdline) = fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
    let config = config.as_os_str().as_encoded_bytes();
    args.windows(2)
        .any(|w| w[0] == b"--config" && w[1] == config)
}
