//! A real node for tests: `berth server` with its node agent (containerd, CNI) inside a
//! network namespace the test creates, driven by real kubectl inside that namespace.
//! Needs root, containerd, runc and the CNI plugins. Everything is removed on drop, also
//! when the test failed: pod sandboxes (through CRI), containerd and its shims (by PID),
//! mounts under the data dir, the network namespace.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use serde_json::Value;

use super::{eventually, KUBECTL_NEW};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// Whether this machine can run node tests (root + containerd + CNI plugins).
pub fn node_tests_possible() -> bool {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    root && Path::new("/usr/bin/containerd").exists() && Path::new("/usr/lib/cni/bridge").exists()
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("running a command");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A busybox image archive (sh, sleep, wget, nc, httpd, … as applets) named `name`,
/// built with `berth image build`; cached per test binary.
pub fn busybox_archive(dir: &Path, name: &str) -> PathBuf {
    let stage = dir.join("busybox-stage");
    std::fs::create_dir_all(stage.join("bin")).unwrap();
    std::fs::create_dir_all(stage.join("etc")).unwrap();
    std::fs::create_dir_all(stage.join("tmp")).unwrap();
    for applet in [
        "sh", "echo", "sleep", "cat", "env", "wget", "nc", "httpd", "ls", "true", "false", "head",
        "dd", "id", "hostname", "printenv", "test", "touch", "rm", "mkdir", "seq", "tail", "kill",
        "ps", "grep",
    ] {
        let _ = std::os::unix::fs::symlink("/bin/busybox", stage.join("bin").join(applet));
    }
    std::fs::write(
        stage.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n",
    )
    .unwrap();
    let out = dir.join(format!("{}.tar", name.replace(['/', ':'], "_")));
    let o = Command::new(env!("CARGO_BIN_EXE_berth"))
        .args([
            "image",
            "build",
            "-t",
            name,
            "--from-binary",
            "/bin/busybox:/bin/busybox",
            "--add",
        ])
        .arg(format!("{}:/", stage.display()))
        .args(["--cmd", "[\"sh\"]", "-o"])
        .arg(&out)
        .output()
        .expect("berth image build");
    assert!(
        o.status.success(),
        "berth image build: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

/// A child process killed (by PID) and reaped when dropped.
pub struct Kill(pub Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A node: `berth server` (control plane + agent) in its own network namespace.
pub struct NodeServer {
    pub netns: String,
    pub dir: Option<tempfile::TempDir>,
    pub kubeconfig: PathBuf,
    pub node_ip: String,
    pub name: String,
    extra: Vec<String>,
    child: Option<Child>,
}

impl NodeServer {
    /// Creates the namespace (loopback up, a veth pair holding the node's address) and
    /// starts the server; returns once the node is Ready.
    pub fn start(extra: &[&str]) -> NodeServer {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let netns = format!("bt{}-{n}", std::process::id());
        let octet = 1 + (std::process::id() + n) % 250;
        let node_ip = format!("192.168.{octet}.1");
        // Short paths: containerd's socket path must fit a unix socket address.
        let dir = tempfile::Builder::new()
            .prefix("bn")
            .tempdir_in("/tmp")
            .expect("temp dir");
        run(Command::new("ip").args(["netns", "add", &netns]));
        let mut node = NodeServer {
            netns: netns.clone(),
            dir: Some(dir),
            kubeconfig: PathBuf::new(),
            node_ip: node_ip.clone(),
            name: format!("node-{n}"),
            extra: extra.iter().map(|s| s.to_string()).collect(),
            child: None,
        };
        run(Command::new("ip").args(["-n", &netns, "link", "set", "lo", "up"]));
        run(Command::new("ip").args([
            "-n", &netns, "link", "add", "v0", "type", "veth", "peer", "name", "v1",
        ]));
        run(Command::new("ip").args([
            "-n",
            &netns,
            "addr",
            "add",
            &format!("{node_ip}/24"),
            "dev",
            "v0",
        ]));
        run(Command::new("ip").args(["-n", &netns, "link", "set", "v0", "up"]));
        run(Command::new("ip").args(["-n", &netns, "link", "set", "v1", "up"]));
        node.kubeconfig = node.data_dir().join("admin.kubeconfig");
        node.spawn();
        node
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.as_ref().expect("data dir").path().to_path_buf()
    }

    /// A command run inside the node's network namespace (and only that namespace:
    /// `ip netns exec` would also hide the machine's /sys/fs/cgroup from runc).
    pub fn in_ns(&self, program: &str) -> Command {
        let mut c = Command::new("nsenter");
        c.arg(format!("--net=/var/run/netns/{}", self.netns))
            .arg(program);
        c
    }

    fn spawn(&mut self) {
        let dir = self.data_dir();
        let mut cmd = self.in_ns(env!("CARGO_BIN_EXE_berth"));
        cmd.args(["server", "--data-dir"])
            .arg(&dir)
            .args([
                "--bind-address",
                "0.0.0.0",
                "--advertise-address",
                &self.node_ip,
                "--https-listen-port",
                "6443",
                "--node-name",
                &self.name,
                "--node-ip",
                &self.node_ip,
            ])
            .args(&self.extra)
            // A pull that is not served from loopback fails here instead of leaving.
            .env("HTTPS_PROXY", "http://127.0.0.1:9")
            .env("HTTP_PROXY", "http://127.0.0.1:9")
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env(
                "RUST_LOG",
                std::env::var("BERTH_TEST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd.spawn().expect("spawn berth server");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.starts_with("berth server is ready on ") {
                    let _ = tx.send(());
                }
            }
        });
        self.child = Some(child);
        rx.recv_timeout(Duration::from_secs(60))
            .expect("berth server did not become ready");
        if self.extra.iter().any(|a| a == "--disable-agent") {
            return;
        }
        let name = self.name.clone();
        assert!(
            self.node_ready(&name, 60),
            "node {name} did not become Ready"
        );
    }

    /// Whether node `name` reports Ready=True within `secs`.
    pub fn node_ready(&self, name: &str, secs: u64) -> bool {
        eventually(secs, || {
            let o = self.kubectl(
                KUBECTL_NEW,
                &[
                    "get",
                    "node",
                    name,
                    "-o",
                    "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}",
                ],
            );
            String::from_utf8_lossy(&o.stdout) == "True"
        })
    }

    /// Runs a kubectl binary inside the namespace with the admin kubeconfig.
    pub fn kubectl(&self, bin: &str, args: &[&str]) -> Output {
        self.in_ns(bin)
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", self.data_dir())
            .stdin(Stdio::null())
            .output()
            .expect("run kubectl")
    }

    /// kubectl `bin`; panics with its stderr unless it succeeds; returns stdout.
    pub fn k_with(&self, bin: &str, args: &[&str]) -> String {
        let o = self.kubectl(bin, args);
        assert!(
            o.status.success(),
            "kubectl {args:?} failed: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    pub fn k(&self, args: &[&str]) -> String {
        self.k_with(KUBECTL_NEW, args)
    }

    /// kubectl 1.33 with a manifest on stdin.
    pub fn apply(&self, manifest: &str) -> String {
        use std::io::Write;
        let mut c = self
            .in_ns(KUBECTL_NEW)
            .args(["apply", "-f", "-"])
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", self.data_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kubectl");
        c.stdin
            .take()
            .expect("stdin")
            .write_all(manifest.as_bytes())
            .expect("write");
        let o = c.wait_with_output().expect("kubectl output");
        assert!(
            o.status.success(),
            "kubectl apply failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// JSON of `kubectl get …`.
    pub fn kj(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.extend(["-o", "json"]);
        serde_json::from_str(&self.k(&a)).expect("json output")
    }

    /// Imports an image archive into the node's containerd.
    pub fn import(&self, archive: &Path) {
        let o = self
            .in_ns(env!("CARGO_BIN_EXE_berth"))
            .args(["image", "import", "--data-dir"])
            .arg(self.data_dir())
            .arg(archive)
            .output()
            .expect("berth image import");
        assert!(
            o.status.success(),
            "berth image import: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }

    /// The server's PID.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// SIGKILLs the server (its containerd and the pods keep running).
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Stops the server with SIGTERM (as a service manager would) and starts it again.
    pub fn restart_graceful(&mut self) {
        if let Some(mut c) = self.child.take() {
            // SAFETY: kill(2) on our own child's PID.
            unsafe { libc::kill(c.id() as libc::pid_t, libc::SIGTERM) };
            let _ = c.wait();
        }
        self.spawn();
    }

    /// Starts the server again on the same data dir.
    pub fn restart(&mut self) {
        self.kill9();
        self.spawn();
    }

    /// Stops every pod sandbox through CRI while containerd still runs, for every
    /// containerd whose socket (`*.sock`) is below `dir` (the server's agent, extra
    /// `berth agent`s, runtimes a test started).
    fn stop_sandboxes(&self, dir: &Path) {
        let mut sockets = Vec::new();
        let mut todo = vec![(dir.to_path_buf(), 0)];
        while let Some((d, depth)) = todo.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let Ok(t) = e.file_type() else { continue };
                let name = e.file_name().to_string_lossy().into_owned();
                if t.is_dir() && depth < 4 && name != "root" && name != "state" {
                    todo.push((e.path(), depth + 1));
                } else if !t.is_dir() && name.ends_with(".sock") {
                    sockets.push(e.path());
                }
            }
        }
        for socket in sockets {
            stop_sandboxes_at(&socket);
        }
    }
}

impl Drop for NodeServer {
    fn drop(&mut self) {
        self.kill9();
        let Some(dir) = self.dir.take() else { return };
        self.stop_sandboxes(dir.path());
        berth_kubelet::mounts::clean_up_under(dir.path());
        let _ = Command::new("ip")
            .args(["netns", "del", &self.netns])
            .status();
        drop(dir);
    }
}

/// Stops and removes every pod sandbox of the containerd at `socket` (and the pods'
/// cgroups), while it still runs.
pub fn stop_sandboxes_at(socket: &Path) {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    rt.block_on(async {
        let cri = berth_kubelet::CriClient::with_timeout(socket, Duration::from_secs(20));
        if let Ok(list) = cri.list_pod_sandbox(None).await {
            for s in list {
                let _ = cri.stop_pod_sandbox(&s.id).await;
                let _ = cri.remove_pod_sandbox(&s.id).await;
                if let Some(uid) = s.metadata.as_ref().map(|m| m.uid.clone()) {
                    berth_kubelet::agent::remove_pod_cgroups(Path::new("/sys/fs/cgroup"), &uid);
                }
            }
        }
    });
}
