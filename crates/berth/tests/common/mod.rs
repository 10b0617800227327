//! Test harness: a `berth server` child on a temp dir and a free loopback port, driven by
//! the real kubectl binaries installed on the machine.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// kubectl binaries to test with; the newest and the oldest supported.
pub const KUBECTL_NEW: &str = "/usr/lib/google-cloud-sdk/bin/kubectl.1.33";
pub const KUBECTL_OLD: &str = "/usr/lib/google-cloud-sdk/bin/kubectl.1.27";

/// A running `berth server`, stopped (by PID) and cleaned up on drop.
pub struct Server {
    child: Child,
    pub dir: tempfile::TempDir,
    pub kubeconfig: PathBuf,
    pub url: String,
}

impl Server {
    pub fn start() -> Server {
        Self::start_with(&[])
    }

    pub fn start_with(extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::start_in(dir, extra)
    }

    /// Starts a server on an existing data dir.
    pub fn start_in(dir: tempfile::TempDir, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_berth"))
            .args(["server", "--data-dir"])
            .arg(dir.path())
            .args([
                "--bind-address",
                "127.0.0.1",
                "--advertise-address",
                "127.0.0.1",
                "--https-listen-port",
                "0",
                "--disable-agent",
            ])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn berth");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("berth server is ready on ") {
                    let _ = tx.send(url.to_string());
                }
            }
        });
        let url = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(u) => u,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("berth server did not become ready");
            }
        };
        let kubeconfig = dir.path().join("admin.kubeconfig");
        Server {
            child,
            dir,
            kubeconfig,
            url,
        }
    }

    /// Runs kubectl (the given binary) with the admin kubeconfig.
    pub fn kubectl_with(&self, bin: &str, args: &[&str]) -> Output {
        Command::new(bin)
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", self.dir.path())
            .stdin(Stdio::null())
            .output()
            .expect("run kubectl")
    }

    /// kubectl 1.33; panics with its stderr unless it succeeds; returns stdout.
    pub fn k(&self, args: &[&str]) -> String {
        self.k_with(KUBECTL_NEW, args)
    }

    pub fn k_with(&self, bin: &str, args: &[&str]) -> String {
        let o = self.kubectl_with(bin, args);
        assert!(
            o.status.success(),
            "kubectl {:?} failed: {}{}",
            args,
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// kubectl 1.33 expected to fail; returns stderr.
    pub fn k_err(&self, args: &[&str]) -> String {
        let o = self.kubectl_with(KUBECTL_NEW, args);
        assert!(
            !o.status.success(),
            "kubectl {:?} unexpectedly succeeded: {}",
            args,
            String::from_utf8_lossy(&o.stdout)
        );
        String::from_utf8_lossy(&o.stderr).into_owned()
    }

    /// kubectl with stdin.
    pub fn k_stdin(&self, args: &[&str], input: &str) -> Output {
        use std::io::Write;
        let mut c = Command::new(KUBECTL_NEW)
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", self.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kubectl");
        c.stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write");
        c.wait_with_output().expect("kubectl output")
    }

    /// Parses JSON output of kubectl.
    pub fn kj(&self, args: &[&str]) -> serde_json::Value {
        let mut a = args.to_vec();
        a.extend(["-o", "json"]);
        serde_json::from_str(&self.k(&a)).expect("json output")
    }

    /// curl against the server (loopback), with extra args.
    pub fn curl(&self, args: &[&str]) -> Output {
        Command::new("curl")
            .args(["-sS", "--cacert"])
            .arg(self.dir.path().join("pki/ca.crt"))
            .args(args)
            .output()
            .expect("curl")
    }

    /// curl as the admin (client certificate).
    pub fn curl_admin(&self, args: &[&str]) -> Output {
        let pki = self.dir.path().join("pki");
        Command::new("curl")
            .args(["-sS", "--cacert"])
            .arg(pki.join("ca.crt"))
            .arg("--cert")
            .arg(pki.join("admin.crt"))
            .arg("--key")
            .arg(pki.join("admin.key"))
            .args(args)
            .output()
            .expect("curl")
    }

    /// Stops the server with SIGTERM and waits; returns the data dir for reuse.
    pub fn stop(mut self) -> tempfile::TempDir {
        self.terminate();
        let dir = tempfile::tempdir().expect("placeholder");
        std::mem::replace(&mut self.dir, dir)
    }

    fn terminate(&mut self) {
        let pid = self.child.id() as i32;
        // SIGTERM by PID, then wait up to 10 s, then SIGKILL.
        unsafe_kill(pid, 15);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Kills the server with SIGKILL (crash test).
    pub fn kill9(mut self) -> tempfile::TempDir {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let dir = tempfile::tempdir().expect("placeholder");
        std::mem::replace(&mut self.dir, dir)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

fn unsafe_kill(pid: i32, sig: i32) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status();
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Polls `f` until it returns true or `secs` pass.
pub fn eventually(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// A running `berth hollow-nodes` process, killed (by PID) on drop.
pub struct Hollow {
    child: Child,
}

impl Hollow {
    /// Starts `count` hollow nodes named `prefix-0…` against `server`, with extra flags.
    pub fn start(server: &Server, count: usize, prefix: &str, extra: &[&str]) -> Hollow {
        let child = Command::new(env!("CARGO_BIN_EXE_berth"))
            .args(["hollow-nodes", "--kubeconfig"])
            .arg(&server.kubeconfig)
            .args(["--count", &count.to_string(), "--prefix", prefix])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn berth hollow-nodes");
        Hollow { child }
    }

    /// Kills the process (its nodes stop renewing their Leases).
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Hollow {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A real etcd (Debian's etcd-server) on free loopback ports and a temp dir, killed by PID on drop.
pub struct Etcd {
    child: Child,
    _dir: tempfile::TempDir,
    pub url: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

impl Etcd {
    pub fn start() -> Etcd {
        assert!(
            std::path::Path::new("/usr/bin/etcd").exists(),
            "etcd is missing: apt-get install -y etcd-server etcd-client (scripts/test.sh does)"
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let (cp, pp) = (free_port(), free_port());
        let url = format!("http://127.0.0.1:{cp}");
        let peer = format!("http://127.0.0.1:{pp}");
        let child = Command::new("/usr/bin/etcd")
            .arg("--data-dir")
            .arg(dir.path())
            .args([
                "--listen-client-urls",
                &url,
                "--advertise-client-urls",
                &url,
            ])
            .args([
                "--listen-peer-urls",
                &peer,
                "--initial-advertise-peer-urls",
                &peer,
            ])
            .args(["--initial-cluster", &format!("default={peer}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn etcd");
        let etcd = Etcd {
            child,
            _dir: dir,
            url,
        };
        let healthy = eventually(30, || {
            Command::new("curl")
                .args(["-sf", &format!("{}/health", etcd.url)])
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false)
        });
        assert!(healthy, "etcd did not become healthy");
        etcd
    }
}

impl Drop for Etcd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `kubectl get … --watch --output-watch-events -o json` in the background, collecting
/// every event; the kubectl process is killed (by PID) on drop.
pub struct Watch {
    child: Child,
    events: Arc<Mutex<Vec<Value>>>,
}

impl Watch {
    pub fn start(s: &Server, args: &[&str]) -> Watch {
        let mut child = Command::new(KUBECTL_NEW)
            .args(args)
            .args(["--watch", "--output-watch-events", "-o", "json"])
            .env("KUBECONFIG", &s.kubeconfig)
            .env("HOME", s.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("kubectl watch");
        let out = child.stdout.take().expect("stdout");
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = events.clone();
        std::thread::spawn(move || {
            let stream = serde_json::Deserializer::from_reader(BufReader::new(out)).into_iter();
            for v in stream.map_while(Result::ok) {
                sink.lock().expect("events").push(v);
            }
        });
        Watch { child, events }
    }

    pub fn events(&self) -> Vec<Value> {
        self.events.lock().expect("events").clone()
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
pub mod node;
