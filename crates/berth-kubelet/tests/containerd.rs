//! containerd run by berth on a temp data dir: CRI answers, restarts after kill -9,
//! stops leaving no process and no mount. Needs root and Debian's containerd; no network.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use berth_kubelet::containerd::{Containerd, ContainerdOptions, RegistryHost};
use berth_kubelet::mounts;

const PAUSE_IMAGE: &str = "berth.local/pause:3.10";

/// Fails (does not skip) when the machine lacks what these tests need.
fn require_containerd() {
    assert!(
        Path::new("/usr/bin/containerd").is_file(),
        "/usr/bin/containerd is missing: run `apt-get install -y containerd runc \
         containernetworking-plugins` (scripts/test.sh does)"
    );
    // SAFETY: geteuid has no preconditions.
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "these tests run containerd and need root"
    );
}

/// A temp data dir; on drop, whatever is still mounted below it is unmounted before
/// the files are removed (a test that fails may leave sandboxes' mounts).
struct DataDir {
    dir: Option<tempfile::TempDir>,
}

impl DataDir {
    fn new() -> DataDir {
        // Short path: containerd's sockets live below it.
        let dir = tempfile::Builder::new()
            .prefix("berth-ctd-")
            .tempdir_in("/tmp")
            .expect("creating a temp dir");
        DataDir { dir: Some(dir) }
    }

    fn path(&self) -> &Path {
        self.dir
            .as_ref()
            .map(|d| d.path())
            .unwrap_or(Path::new("/nonexistent"))
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            if let Err(e) = mounts::unmount_all_under(dir.path()) {
                eprintln!("unmounting under {}: {e}", dir.path().display());
            }
            drop(dir);
        }
    }
}

fn options(dir: &DataDir) -> ContainerdOptions {
    let mut opts = ContainerdOptions::new(dir.path(), PAUSE_IMAGE);
    // A safety net: were containerd to try a registry on the internet, it would go to
    // this closed loopback port instead (Go never proxies loopback addresses, so the
    // mirror on 127.0.0.1 is reached directly).
    let proxy = format!("http://127.0.0.1:{}", free_port());
    for var in ["HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"] {
        opts.env.push((var.into(), proxy.clone().into()));
    }
    for var in ["NO_PROXY", "no_proxy"] {
        opts.env.push((var.into(), "".into()));
    }
    // Slow shared machines: generous, since these bound waits, not speed.
    opts.start_timeout = Duration::from_secs(120);
    opts
}

/// Processes whose command line mentions `dir` (containerd, shims).
fn processes_under(dir: &Path) -> Vec<(u32, String)> {
    let needle = dir.to_string_lossy().into_owned();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("reading /proc").flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(&needle) {
            found.push((pid, cmdline));
        }
    }
    found
}

fn alive(pid: u32) -> bool {
    // A zombie still has a /proc entry but no cmdline; tokio reaps our children.
    Path::new(&format!("/proc/{pid}")).exists()
}

/// After a stop: no process of ours, no mount, no pid file.
fn assert_clean(dir: &Path, pid: u32) {
    assert!(!alive(pid), "containerd {pid} still exists after stop");
    let left = processes_under(dir);
    assert!(left.is_empty(), "processes left running: {left:?}");
    let mounts = mounts::mounts_under(dir).expect("reading mountinfo");
    assert!(mounts.is_empty(), "mounts left: {mounts:?}");
    assert!(!dir.join("agent/containerd/containerd.pid").exists());
}

async fn eventually<T, E: std::fmt::Display, F: std::future::Future<Output = Result<T, E>>>(
    what: &str,
    mut f: impl FnMut() -> F,
) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        match f().await {
            Ok(v) => return v,
            Err(e) if tokio::time::Instant::now() >= deadline => panic!("{what}: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("picking a free port")
}

#[tokio::test]
async fn containerd_answers_cri_and_stops_clean() {
    require_containerd();
    let dir = DataDir::new();
    // A mirror on a loopback port where nothing listens: a pull must fail there and
    // go nowhere else.
    let mirror_port = free_port();
    let mut opts = options(&dir);
    opts.registry_hosts = vec![format!("http://127.0.0.1:{mirror_port}")
        .parse::<RegistryHost>()
        .unwrap()];
    let runtime = Containerd::start(opts).await.expect("starting containerd");
    let paths = runtime.paths().expect("berth runs this containerd").clone();
    let pid = runtime.pid().expect("containerd runs");
    assert!(paths.socket.starts_with(dir.path()));

    let client = runtime.client();
    let version = client.version().await.expect("CRI Version");
    assert_eq!(version.runtime_name, "containerd");
    assert!(version.runtime_version.starts_with("1.6."), "{version:?}");
    assert_eq!(version.runtime_api_version, "v1");
    assert_eq!(runtime.version().runtime_version, version.runtime_version);

    let status = client.status(false).await.expect("CRI Status");
    let conditions = status.status.expect("runtime status").conditions;
    let runtime_ready = conditions.iter().find(|c| c.r#type == "RuntimeReady");
    assert!(runtime_ready.is_some_and(|c| c.status), "{conditions:?}");
    // No CNI config written yet: the network is not ready, as on a fresh kubelet node.
    let network_ready = conditions.iter().find(|c| c.r#type == "NetworkReady");
    assert!(network_ready.is_some_and(|c| !c.status), "{conditions:?}");

    let fs_info = client.image_fs_info().await.expect("CRI ImageFsInfo");
    let image_fs = fs_info
        .image_filesystems
        .first()
        .expect("an image filesystem");
    let mountpoint = &image_fs.fs_id.as_ref().expect("fs id").mountpoint;
    assert!(
        Path::new(mountpoint).starts_with(&paths.root),
        "image filesystem {mountpoint} is not under {}",
        paths.root.display()
    );

    assert!(client
        .list_pod_sandbox(None)
        .await
        .expect("ListPodSandbox")
        .is_empty());
    assert!(client
        .list_containers(None)
        .await
        .expect("ListContainers")
        .is_empty());
    assert!(client
        .list_images(None)
        .await
        .expect("ListImages")
        .is_empty());
    assert!(client
        .image_status(PAUSE_IMAGE)
        .await
        .expect("ImageStatus")
        .is_none());
    let err = client
        .container_status("no-such-container", false)
        .await
        .expect_err("status of a missing container");
    assert!(err.is_not_found(), "{err}");

    // docker.io goes to the mirror only.
    let hosts = std::fs::read_to_string(paths.certs_d.join("docker.io/hosts.toml")).unwrap();
    assert!(
        hosts.contains(&format!("server = \"http://127.0.0.1:{mirror_port}\"")),
        "{hosts}"
    );
    let err = client
        .pull_image("busybox:latest", None, None)
        .await
        .expect_err("pull from a mirror that is not there");
    let message = err.to_string();
    assert!(
        message.contains(&format!("127.0.0.1:{mirror_port}")),
        "{message}"
    );
    assert!(!message.contains("registry-1.docker.io"), "{message}");
    assert!(!message.contains("proxyconnect"), "{message}");

    // An existing runtime given by endpoint is used, and left alone by stop.
    let mut external = ContainerdOptions::new(dir.path(), PAUSE_IMAGE);
    external.container_runtime_endpoint = Some(format!("unix://{}", paths.socket.display()));
    let external = Containerd::start(external)
        .await
        .expect("using the running containerd");
    assert!(external.pid().is_none() && external.paths().is_none());
    assert_eq!(external.version().runtime_api_version, "v1");
    external.stop().await.expect("stop of an external runtime");
    assert_eq!(runtime.pid(), Some(pid));
    client.version().await.expect("containerd still answers");

    runtime.stop().await.expect("stopping containerd");
    assert_clean(dir.path(), pid);
    let err = client.version().await.expect_err("containerd is gone");
    assert!(err.is_unavailable(), "{err}");
}

#[tokio::test]
async fn containerd_is_restarted_after_kill_9() {
    require_containerd();
    let dir = DataDir::new();
    let runtime = Containerd::start(options(&dir))
        .await
        .expect("starting containerd");
    let client = runtime.client();
    client.version().await.expect("CRI Version");
    let first = runtime.pid().expect("containerd runs");

    // SAFETY: kill(2) on our own unreaped child.
    assert_eq!(
        unsafe { libc::kill(first as libc::pid_t, libc::SIGKILL) },
        0
    );
    let second = tokio::time::timeout(Duration::from_secs(120), runtime.wait_for_new_pid(first))
        .await
        .expect("containerd restarted in time")
        .expect("containerd restarted");
    assert_ne!(first, second);
    // The same client reconnects to the new containerd.
    let version = eventually("CRI Version after the restart", || client.version()).await;
    assert_eq!(version.runtime_api_version, "v1");
    assert!(client
        .list_pod_sandbox(None)
        .await
        .expect("ListPodSandbox")
        .is_empty());
    assert!(!alive(first));

    runtime.stop().await.expect("stopping containerd");
    assert_clean(dir.path(), second);
}

/// Kills the process it holds when dropped (for a test that fails half-way).
struct ChildGuard(std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn containerd_left_by_a_killed_agent_is_replaced() {
    require_containerd();
    let dir = DataDir::new();
    let runtime = Containerd::start(options(&dir))
        .await
        .expect("starting containerd");
    let paths = runtime.paths().expect("managed").clone();
    runtime.stop().await.expect("stopping containerd");

    // What a berth killed with -9 leaves: a containerd on our config and its pid file.
    let stale = Command::new("/usr/bin/containerd")
        .arg("--config")
        .arg(&paths.config)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("starting a containerd by hand");
    let mut stale = ChildGuard(stale);
    let stale_pid = stale.0.id();
    std::fs::write(&paths.pid_file, format!("{stale_pid}\n")).unwrap();
    let stale_client = berth_kubelet::CriClient::new(&paths.socket);
    eventually("the hand-started containerd answers", || {
        stale_client.version()
    })
    .await;

    let runtime = Containerd::start(options(&dir))
        .await
        .expect("starting over the stale one");
    let exited = stale
        .0
        .try_wait()
        .expect("waiting for the stale containerd");
    assert!(
        exited.is_some(),
        "the stale containerd {stale_pid} still runs"
    );
    let pid = runtime.pid().expect("containerd runs");
    assert_ne!(pid, stale_pid);
    runtime.client().version().await.expect("CRI Version");

    runtime.stop().await.expect("stopping containerd");
    assert_clean(dir.path(), pid);
}

#[tokio::test]
async fn missing_binary_says_what_to_install() {
    let dir = DataDir::new();
    let mut opts = options(&dir);
    opts.containerd_binary = PathBuf::from("/nonexistent/containerd");
    let err = Containerd::start(opts).await.expect_err("no binary");
    assert!(
        err.to_string().contains("apt-get install -y containerd"),
        "{err}"
    );
}
