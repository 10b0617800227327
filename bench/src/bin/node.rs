//! Node benchmark: the node agent (`berth agent`) on a real containerd, next to the raw
//! CRI calls on the same containerd, measured in the same run:
//! 1. pod start latency with the image present: PODS bare pods created at once, each from
//!    its create request to a watch seeing it Running with its container running (p50,
//!    p99), next to the floor: RunPodSandbox + CreateContainer + StartContainer issued
//!    directly against the agent's containerd for PODS pods at once (same kind of
//!    sandbox and container config as the agent builds, pod network through the node's
//!    CNI conflist). The floor runs first, its sandboxes are removed, then berth's pods.
//! 2. the agent's RSS idle (node Ready, settled, no pods) and with the pods running;
//!    containerd's (the agent's child) separately;
//! 3. CPU of the idle node over IDLE_SECS: the agent's and containerd's utime+stime.
//!
//! Everything runs inside a network namespace this program creates (loopback, a veth
//! pair holding the node's 192.168.x.1 address); the bench's own API client enters it
//! too. Control plane: `berth server --disable-agent`; node: a separate `berth agent`
//! process with the admin kubeconfig. Sandboxes, containerd and its shims, mounts, the
//! namespace and the temp dir are removed on exit, also after an error, a panic or ^C.
//!
//! Needs root, containerd, runc, the CNI plugins and busybox.
//! Run: `bench/node/run.sh`, or `cargo build --release -p berth -p berth-bench &&
//! target/release/node` (env `BERTH` = berth binary, `PODS` = 50, `IDLE_SECS` = 60,
//! `SETTLE_SECS` = 10).

use berth_kubelet::mounts::processes_mentioning;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use berth_kubelet::cri::{api, CriClient};
use berth_kubelet::resources;
use futures_util::StreamExt;
use k8s_openapi::api::core::v1::{Namespace, Node as KNode, Pod, ServiceAccount};
use kube::api::{Api, PostParams};
use kube::runtime::watcher;

const IMAGE: &str = "berth-bench/busybox:1";
const NODE_NAME: &str = "bench-node";

fn env_or(k: &str, d: u64) -> u64 {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let out = cmd.output().with_context(|| format!("running {cmd:?}"))?;
    if !out.status.success() {
        bail!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// The node: a network namespace, a temp dir holding the server's (`s`) and the agent's
/// (`a`) data dirs, and the two processes. Drop removes all of it.
struct Node {
    netns: String,
    node_ip: String,
    dir: Option<tempfile::TempDir>,
    server: Option<Child>,
    agent: Option<Child>,
    /// UIDs of the pods run here: their pod cgroups (which runc leaves) go on drop.
    uids: Arc<Mutex<Vec<String>>>,
}

impl Node {
    fn create() -> anyhow::Result<Node> {
        let pid = std::process::id();
        let netns = format!("bnb{pid}");
        let node_ip = format!("192.168.{}.1", 1 + pid % 250);
        // Short paths: containerd's socket path must fit a unix socket address.
        let dir = tempfile::Builder::new()
            .prefix("bnb")
            .tempdir_in("/tmp")
            .context("temp dir")?;
        run(Command::new("ip").args(["netns", "add", &netns]))?;
        let node = Node {
            netns: netns.clone(),
            node_ip: node_ip.clone(),
            dir: Some(dir),
            server: None,
            agent: None,
            uids: Default::default(),
        };
        run(Command::new("ip").args(["-n", &netns, "link", "set", "lo", "up"]))?;
        run(Command::new("ip").args([
            "-n", &netns, "link", "add", "v0", "type", "veth", "peer", "name", "v1",
        ]))?;
        run(Command::new("ip").args([
            "-n",
            &netns,
            "addr",
            "add",
            &format!("{node_ip}/24"),
            "dev",
            "v0",
        ]))?;
        run(Command::new("ip").args(["-n", &netns, "link", "set", "v0", "up"]))?;
        run(Command::new("ip").args(["-n", &netns, "link", "set", "v1", "up"]))?;
        Ok(node)
    }

    fn root(&self) -> PathBuf {
        self.dir.as_ref().expect("temp dir").path().to_path_buf()
    }
    fn server_dir(&self) -> PathBuf {
        self.root().join("s")
    }
    fn agent_dir(&self) -> PathBuf {
        self.root().join("a")
    }
    fn kubeconfig(&self) -> PathBuf {
        self.server_dir().join("admin.kubeconfig")
    }
    fn socket(&self) -> PathBuf {
        berth_kubelet::containerd::ContainerdPaths::new(&self.agent_dir()).socket
    }

    /// A command run inside the namespace (`nsenter --net` only: `ip netns exec` would
    /// also hide the machine's /sys/fs/cgroup from runc).
    fn in_ns(&self, program: &str) -> Command {
        use std::os::unix::process::CommandExt;
        let mut c = Command::new("nsenter");
        c.arg(format!("--net=/var/run/netns/{}", self.netns))
            .arg(program);
        // Its own process group: a ^C at the terminal reaches only the bench, which
        // then tears the node down in order (sandboxes through CRI first).
        c.process_group(0);
        c.env("HTTPS_PROXY", "http://127.0.0.1:9")
            .env("HTTP_PROXY", "http://127.0.0.1:9")
            // The agent's API client honours NO_PROXY: the server is at the node's address.
            .env("NO_PROXY", format!("127.0.0.1,localhost,{}", self.node_ip))
            .env(
                "RUST_LOG",
                std::env::var("BERTH_LOG").unwrap_or_else(|_| "warn".into()),
            );
        c
    }

    /// Moves this thread (and the threads it starts later) into the namespace.
    fn enter(&self) -> anyhow::Result<()> {
        let path = format!("/var/run/netns/{}", self.netns);
        let f = std::fs::File::open(&path).with_context(|| format!("opening {path}"))?;
        use std::os::fd::AsRawFd;
        // SAFETY: setns on a namespace file we hold open; affects only this thread.
        if unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
            bail!("setns {path}: {}", std::io::Error::last_os_error());
        }
        Ok(())
    }

    /// Spawns `cmd`, waits for a stdout line starting with `ready`, keeps draining.
    fn spawn_until(mut cmd: Command, ready: &'static str, what: &str) -> anyhow::Result<Child> {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {what}"))?;
        let stdout = child.stdout.take().context("stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.starts_with(ready) {
                    let _ = tx.send(());
                }
            }
        });
        if rx.recv_timeout(Duration::from_secs(120)).is_err() {
            let _ = child.kill();
            let _ = child.wait();
            bail!("{what} did not become ready");
        }
        Ok(child)
    }

    fn start_server(&mut self, bin: &str) -> anyhow::Result<()> {
        let mut cmd = self.in_ns(bin);
        cmd.args(["server", "--data-dir"])
            .arg(self.server_dir())
            .args([
                "--bind-address",
                "0.0.0.0",
                "--advertise-address",
                &self.node_ip,
                "--https-listen-port",
                "6443",
                "--disable-agent",
            ]);
        self.server = Some(Self::spawn_until(
            cmd,
            "berth server is ready on ",
            "berth server",
        )?);
        Ok(())
    }

    fn start_agent(&mut self, bin: &str) -> anyhow::Result<()> {
        let mut cmd = self.in_ns(bin);
        cmd.args(["agent", "--kubeconfig"])
            .arg(self.kubeconfig())
            .arg("--data-dir")
            .arg(self.agent_dir())
            .args(["--node-name", NODE_NAME, "--node-ip", &self.node_ip]);
        self.agent = Some(Self::spawn_until(
            cmd,
            "berth agent is running",
            "berth agent",
        )?);
        Ok(())
    }

    /// Sum of the RSS of containerd's shims (one per pod sandbox) and how many run.
    fn shims_rss_mib(&self) -> (f64, usize) {
        let shims: Vec<u32> = processes_mentioning(&self.agent_dir())
            .into_iter()
            .filter(|pid| {
                std::fs::read_to_string(format!("/proc/{pid}/comm"))
                    .is_ok_and(|c| c.starts_with("containerd-shim"))
            })
            .collect();
        let sum = shims.iter().map(|p| rss_mib(*p)).sum();
        (sum, shims.len())
    }

    fn server_pid(&self) -> u32 {
        self.server.as_ref().map_or(0, Child::id)
    }
    fn agent_pid(&self) -> u32 {
        self.agent.as_ref().map_or(0, Child::id)
    }

    /// containerd: the agent's child named containerd.
    fn containerd_pid(&self) -> Option<u32> {
        let agent = self.agent_pid();
        let pidfile = berth_kubelet::containerd::ContainerdPaths::new(&self.agent_dir()).pid_file;
        let from_file = std::fs::read_to_string(pidfile)
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok());
        let candidates = from_file
            .into_iter()
            .chain(processes_mentioning(&self.agent_dir()));
        for pid in candidates {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            if comm.trim() == "containerd" && ppid(pid) == Some(agent) {
                return Some(pid);
            }
        }
        None
    }

    /// Stops and removes every pod sandbox through CRI while containerd still runs.
    fn stop_sandboxes(&self) {
        let socket = self.socket();
        if !socket.exists() {
            return;
        }
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async {
            let cri = CriClient::with_timeout(&socket, Duration::from_secs(20));
            if let Ok(list) = cri.list_pod_sandbox(None).await {
                for s in list {
                    let _ = cri.stop_pod_sandbox(&s.id).await;
                    let _ = cri.remove_pod_sandbox(&s.id).await;
                }
            }
        });
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        for child in [self.agent.take(), self.server.take()]
            .into_iter()
            .flatten()
        {
            let mut child = child;
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(dir) = self.dir.take() {
            self.dir = Some(dir);
            self.stop_sandboxes();
            let dir = self.dir.take().expect("temp dir");
            berth_kubelet::mounts::clean_up_under(dir.path());
            drop(dir);
        }
        remove_pod_cgroups(&self.uids.lock().unwrap_or_else(|e| e.into_inner()));
        let _ = Command::new("ip")
            .args(["netns", "del", &self.netns])
            .status();
    }
}

/// Removes the (empty) pod cgroups `/kubepods[/besteffort|/burstable]/pod<uid>` of our
/// pods in every hierarchy: runc removes the containers' cgroups, not their parents.
fn remove_pod_cgroups(uids: &[String]) {
    let Ok(hierarchies) = std::fs::read_dir("/sys/fs/cgroup") else {
        return;
    };
    let roots: Vec<PathBuf> = hierarchies
        .flatten()
        .map(|e| e.path())
        .chain([PathBuf::from("/sys/fs/cgroup")])
        .collect();
    for root in roots {
        for class in ["kubepods/besteffort", "kubepods/burstable", "kubepods"] {
            for uid in uids {
                let dir = root.join(class).join(format!("pod{uid}"));
                if dir.is_dir() {
                    let _ = std::fs::remove_dir(&dir);
                }
            }
        }
    }
}

fn ppid(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

fn rss_mib(pid: u32) -> f64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// utime + stime of a process, in seconds.
fn cpu_secs(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return f64::NAN;
    };
    let Some(close) = stat.rfind(')') else {
        return f64::NAN;
    };
    // Fields after the command: state is field 3, utime 14, stime 15.
    let f: Vec<&str> = stat[close + 2..].split_whitespace().collect();
    let ticks: f64 = f
        .get(11)
        .and_then(|u| u.parse::<f64>().ok())
        .unwrap_or(f64::NAN)
        + f.get(12)
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(f64::NAN);
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    ticks / hz
}

fn pct(v: &mut [Duration], p: f64) -> Duration {
    if v.is_empty() {
        return Duration::ZERO;
    }
    v.sort();
    let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
    v[i]
}

/// A busybox image archive built with `berth image build`.
fn busybox_archive(bin: &str, dir: &Path) -> anyhow::Result<PathBuf> {
    let stage = dir.join("busybox-stage");
    for d in ["bin", "etc", "tmp"] {
        std::fs::create_dir_all(stage.join(d))?;
    }
    for applet in ["sh", "sleep", "cat", "echo", "ls", "true"] {
        std::os::unix::fs::symlink("/bin/busybox", stage.join("bin").join(applet))?;
    }
    std::fs::write(
        stage.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n",
    )?;
    let out = dir.join("busybox.tar");
    run(Command::new(bin)
        .args(["image", "build", "-t", IMAGE])
        .args(["--from-binary", "/bin/busybox:/bin/busybox", "--add"])
        .arg(format!("{}:/", stage.display()))
        .args(["--cmd", "[\"sh\"]", "-o"])
        .arg(&out))?;
    Ok(out)
}

async fn client(kubeconfig: &Path) -> anyhow::Result<kube::Client> {
    let kc = kube::config::Kubeconfig::read_from(kubeconfig)?;
    let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default()).await?;
    Ok(kube::Client::try_from(cfg)?)
}

async fn until<F, Fut>(what: &str, secs: u64, mut f: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if f().await {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bail!("{what} within {secs}s")
}

async fn node_ready(c: &kube::Client) -> bool {
    let api: Api<KNode> = Api::all(c.clone());
    let Ok(n) = api.get(NODE_NAME).await else {
        return false;
    };
    n.status
        .and_then(|s| s.conditions)
        .unwrap_or_default()
        .iter()
        .any(|c| c.type_ == "Ready" && c.status == "True")
}

fn bench_pod(name: &str, uid: Option<&str>) -> anyhow::Result<Pod> {
    let mut v = serde_json::json!({
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "restartPolicy": "Always",
            "dnsPolicy": "ClusterFirst",
            "terminationGracePeriodSeconds": 1,
            "containers": [{
                "name": "main",
                "image": IMAGE,
                "imagePullPolicy": "IfNotPresent",
                "command": ["sleep", "3600"],
                "terminationMessagePath": "/dev/termination-log",
            }],
        },
    });
    if let Some(uid) = uid {
        v["metadata"]["uid"] = uid.into();
    }
    Ok(serde_json::from_value(v)?)
}

/// What the floor's pod i needs: its sandbox and container config (like the agent's
/// `sandbox_config` and `container_config`: labels, log dir, DNS, cgroup parent,
/// seccomp, namespaces, /etc/hosts, termination-log and service-account mounts,
/// service environment).
fn floor_configs(
    agent_dir: &Path,
    i: usize,
    uids: &Mutex<Vec<String>>,
) -> anyhow::Result<(api::PodSandboxConfig, api::ContainerConfig)> {
    let name = format!("floor-{i}");
    let uid = format!(
        "f1003e00-0000-4000-8000-{:012x}",
        (std::process::id() as u64) << 16 | i as u64
    );
    uids.lock().unwrap().push(uid.clone());
    let pod = bench_pod(&name, Some(&uid))?;
    let c = &pod.spec.as_ref().expect("spec").containers[0];
    let pod_dir = agent_dir.join("agent/bench-floor").join(&uid);
    let log_dir = agent_dir
        .join("agent/pod-logs")
        .join(format!("default_{name}_{uid}"));
    std::fs::create_dir_all(pod_dir.join("containers/main"))?;
    std::fs::create_dir_all(pod_dir.join("sa"))?;
    std::fs::create_dir_all(&log_dir)?;
    std::fs::write(
        pod_dir.join("etc-hosts"),
        format!("127.0.0.1\tlocalhost\n::1\tlocalhost\n\n\t{name}\n"),
    )?;
    std::fs::write(pod_dir.join("containers/main/0"), b"")?;
    for f in ["token", "ca.crt", "namespace"] {
        std::fs::write(pod_dir.join("sa").join(f), b"x")?;
    }
    let labels = HashMap::from([
        ("io.kubernetes.pod.name".to_string(), name.clone()),
        ("io.kubernetes.pod.namespace".to_string(), "default".into()),
        ("io.kubernetes.pod.uid".to_string(), uid.clone()),
    ]);
    let sandbox = api::PodSandboxConfig {
        metadata: Some(api::PodSandboxMetadata {
            name: name.clone(),
            uid: uid.clone(),
            namespace: "default".into(),
            attempt: 0,
        }),
        hostname: name.clone(),
        log_directory: log_dir.to_string_lossy().into_owned(),
        dns_config: Some(api::DnsConfig {
            servers: vec!["10.96.0.10".into()],
            searches: vec![
                "default.svc.cluster.local".into(),
                "svc.cluster.local".into(),
                "cluster.local".into(),
            ],
            options: vec!["ndots:5".into()],
        }),
        port_mappings: Vec::new(),
        labels: labels.clone(),
        annotations: HashMap::new(),
        linux: Some(resources::sandbox_linux_config(&pod)),
        windows: None,
    };
    let mut clabels = labels;
    clabels.insert("io.kubernetes.container.name".into(), "main".into());
    let envs = [
        ("KUBERNETES_SERVICE_HOST", "10.96.0.1"),
        ("KUBERNETES_SERVICE_PORT", "443"),
        ("KUBERNETES_SERVICE_PORT_HTTPS", "443"),
        ("KUBERNETES_PORT", "tcp://10.96.0.1:443"),
        ("KUBERNETES_PORT_443_TCP", "tcp://10.96.0.1:443"),
        ("KUBERNETES_PORT_443_TCP_PROTO", "tcp"),
        ("KUBERNETES_PORT_443_TCP_PORT", "443"),
        ("KUBERNETES_PORT_443_TCP_ADDR", "10.96.0.1"),
    ]
    .into_iter()
    .map(|(k, v)| api::KeyValue {
        key: k.into(),
        value: v.into(),
    })
    .collect();
    let mount = |container: &str, host: PathBuf, readonly: bool| api::Mount {
        container_path: container.into(),
        host_path: host.to_string_lossy().into_owned(),
        readonly,
        ..Default::default()
    };
    let container = api::ContainerConfig {
        metadata: Some(api::ContainerMetadata {
            name: "main".into(),
            attempt: 0,
        }),
        image: Some(api::ImageSpec {
            image: IMAGE.into(),
            ..Default::default()
        }),
        command: vec!["sleep".into(), "3600".into()],
        envs,
        mounts: vec![
            mount(
                "/var/run/secrets/kubernetes.io/serviceaccount",
                pod_dir.join("sa"),
                true,
            ),
            mount("/etc/hosts", pod_dir.join("etc-hosts"), false),
            mount(
                "/dev/termination-log",
                pod_dir.join("containers/main/0"),
                false,
            ),
        ],
        labels: clabels,
        log_path: "main/0.log".into(),
        linux: Some(api::LinuxContainerConfig {
            resources: Some(resources::linux_container_resources(&pod, c, 0)),
            security_context: Some(resources::container_security_context(&pod, c)),
        }),
        ..Default::default()
    };
    Ok((sandbox, container))
}

/// The floor: PODS × (RunPodSandbox, CreateContainer, StartContainer) at once.
async fn floor(
    cri: &CriClient,
    agent_dir: &Path,
    pods: usize,
    uids: &Mutex<Vec<String>>,
) -> anyhow::Result<Vec<Duration>> {
    let mut configs = Vec::new();
    for i in 0..pods {
        configs.push(floor_configs(agent_dir, i, uids)?);
    }
    let start = Arc::new(tokio::sync::Barrier::new(pods));
    let mut tasks = Vec::new();
    for (sandbox, container) in configs {
        let cri = cri.clone();
        let start = start.clone();
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            let t = Instant::now();
            let id = cri.run_pod_sandbox(sandbox.clone(), "").await?;
            let cid = cri.create_container(&id, container, sandbox).await?;
            cri.start_container(&cid).await?;
            anyhow::Ok((t.elapsed(), id))
        }));
    }
    let mut out = Vec::new();
    let mut ids = Vec::new();
    for t in tasks {
        let (d, id) = t.await??;
        out.push(d);
        ids.push(id);
    }
    // The floor's sandboxes are on the pod network (the node's CNI conflist), as the
    // agent's are.
    for id in ids {
        let st = cri.pod_sandbox_status(&id, false).await?;
        let ip = st.status.and_then(|s| s.network).map(|n| n.ip);
        if ip.as_deref().is_none_or(str::is_empty) {
            bail!("floor sandbox {id} has no pod IP: not on the CNI network");
        }
    }
    Ok(out)
}

/// Stops and removes the floor's sandboxes (and their files).
async fn remove_floor(cri: &CriClient, agent_dir: &Path) -> anyhow::Result<()> {
    let list = cri.list_pod_sandbox(None).await?;
    let mut tasks = Vec::new();
    for s in list {
        if !s
            .metadata
            .as_ref()
            .is_some_and(|m| m.name.starts_with("floor-"))
        {
            continue;
        }
        let cri = cri.clone();
        tasks.push(tokio::spawn(async move {
            cri.stop_pod_sandbox(&s.id).await?;
            cri.remove_pod_sandbox(&s.id).await?;
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let _ = std::fs::remove_dir_all(agent_dir.join("agent/bench-floor"));
    Ok(())
}

fn running(p: &Pod) -> bool {
    let Some(st) = &p.status else { return false };
    st.phase.as_deref() == Some("Running")
        && st.container_statuses.as_ref().is_some_and(|cs| {
            !cs.is_empty()
                && cs
                    .iter()
                    .all(|c| c.state.as_ref().is_some_and(|s| s.running.is_some()))
        })
}

/// berth: PODS pods created at once; each from its create request to a watch seeing it
/// Running with its container running.
/// Per pod: (create request → watch sees it bound, create request → watch sees it Running).
async fn berth_pods(
    c: &kube::Client,
    pods: usize,
    uids: &Arc<Mutex<Vec<String>>>,
) -> anyhow::Result<(Vec<Duration>, Vec<Duration>)> {
    let api: Api<Pod> = Api::namespaced(c.clone(), "default");
    let seen: Arc<Mutex<HashMap<String, Instant>>> = Default::default();
    let bound: Arc<Mutex<HashMap<String, Instant>>> = Default::default();
    let (synced_tx, synced_rx) = tokio::sync::oneshot::channel();
    let (seen2, bound2, uids2) = (seen.clone(), bound.clone(), uids.clone());
    let api2 = api.clone();
    let watch = tokio::spawn(async move {
        let mut stream = watcher::watcher(api2, watcher::Config::default()).boxed();
        let mut synced = Some(synced_tx);
        while let Some(ev) = stream.next().await {
            let now = Instant::now();
            match ev {
                Ok(watcher::Event::InitDone) => {
                    if let Some(tx) = synced.take() {
                        let _ = tx.send(());
                    }
                }
                Ok(watcher::Event::Apply(p)) | Ok(watcher::Event::InitApply(p)) => {
                    let name = p.metadata.name.clone().unwrap_or_default();
                    if p.spec.as_ref().is_some_and(|s| s.node_name.is_some()) {
                        let mut b = bound2.lock().unwrap();
                        if !b.contains_key(&name) {
                            b.insert(name.clone(), now);
                            uids2
                                .lock()
                                .unwrap()
                                .push(p.metadata.uid.clone().unwrap_or_default());
                        }
                    }
                    if running(&p) {
                        seen2.lock().unwrap().entry(name).or_insert(now);
                    }
                }
                Ok(_) => {}
                Err(e) => eprintln!("watching pods: {e}"),
            }
        }
    });
    synced_rx.await.context("pod watch did not sync")?;
    // Warm the client's connection pool so no create pays for a TLS handshake.
    let ns: Api<Namespace> = Api::all(c.clone());
    let warm: Vec<_> = (0..pods)
        .map(|_| {
            let ns = ns.clone();
            tokio::spawn(async move { ns.get("default").await })
        })
        .collect();
    for w in warm {
        w.await??;
    }
    let start = Arc::new(tokio::sync::Barrier::new(pods));
    let mut tasks = Vec::new();
    for i in 0..pods {
        let api = api.clone();
        let start = start.clone();
        let pod = bench_pod(&format!("bench-{i}"), None)?;
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            let t = Instant::now();
            api.create(&PostParams::default(), &pod).await?;
            anyhow::Ok((format!("bench-{i}"), t))
        }));
    }
    let mut sent = Vec::new();
    for t in tasks {
        sent.push(t.await??);
    }
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let n = seen.lock().unwrap().len();
        if n >= pods {
            break;
        }
        if Instant::now() > deadline {
            watch.abort();
            let stuck = api
                .list(&Default::default())
                .await?
                .items
                .into_iter()
                .find(|p| !running(p))
                .map(|p| serde_json::to_string(&p.status).unwrap_or_default());
            bail!("only {n} of {pods} pods Running after 300s; e.g. {stuck:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    watch.abort();
    let (seen, bound) = (seen.lock().unwrap(), bound.lock().unwrap());
    let since = |m: &HashMap<String, Instant>| -> Vec<Duration> {
        sent.iter()
            .map(|(name, t)| m[name].saturating_duration_since(*t))
            .collect()
    };
    Ok((since(&bound), since(&seen)))
}

fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .unwrap_or("?")
        .trim()
        .to_string();
    let mem = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0 / 1024.0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{cores} cores ({model}), {mem:.1} GiB RAM, Linux {}",
        kernel.trim()
    )
}

struct Figures {
    containerd_version: String,
    agent_idle_rss: f64,
    containerd_idle_rss: f64,
    server_idle_rss: f64,
    agent_cpu: f64,
    containerd_cpu: f64,
    server_cpu: f64,
    idle_window: f64,
    floor: Vec<Duration>,
    berth: Vec<Duration>,
    bound: Vec<Duration>,
    agent_busy_rss: f64,
    shims_busy_rss: (f64, usize),
    containerd_busy_rss: f64,
    server_busy_rss: f64,
}

async fn measure(
    node: &mut Node,
    bin: &str,
    pods: usize,
    idle: u64,
    settle: u64,
) -> anyhow::Result<Figures> {
    node.start_server(bin)?;
    let c = client(&node.kubeconfig()).await?;
    node.start_agent(bin)?;
    until("node Ready", 120, || node_ready(&c)).await?;
    let cri = CriClient::with_timeout(node.socket(), Duration::from_secs(120));
    let version = cri.version().await?;
    let containerd_version = format!("{} {}", version.runtime_name, version.runtime_version);
    let archive = busybox_archive(bin, &node.root())?;
    run(node
        .in_ns(bin)
        .args(["image", "import", "--data-dir"])
        .arg(node.agent_dir())
        .arg(&archive))?;
    let sa: Api<ServiceAccount> = Api::namespaced(c.clone(), "default");
    until("the default service account", 60, || async {
        sa.get("default").await.is_ok()
    })
    .await?;
    let containerd = node.containerd_pid().context("finding containerd")?;
    let (agent, server) = (node.agent_pid(), node.server_pid());

    // 2. idle RSS, 3. idle CPU
    eprintln!("node Ready; settling {settle}s, then {idle}s of idle CPU");
    tokio::time::sleep(Duration::from_secs(settle)).await;
    let agent_idle_rss = rss_mib(agent);
    let containerd_idle_rss = rss_mib(containerd);
    let server_idle_rss = rss_mib(server);
    let before = (cpu_secs(agent), cpu_secs(containerd), cpu_secs(server));
    let t = Instant::now();
    tokio::time::sleep(Duration::from_secs(idle)).await;
    let window = t.elapsed().as_secs_f64();
    let after = (cpu_secs(agent), cpu_secs(containerd), cpu_secs(server));

    // 1a. the floor: raw CRI calls on the same containerd
    eprintln!("floor: {pods} pods through raw CRI calls");
    let floor_lat = floor(&cri, &node.agent_dir(), pods, &node.uids).await?;
    remove_floor(&cri, &node.agent_dir()).await?;
    tokio::time::sleep(Duration::from_secs(settle)).await;

    // 1b. berth: pods through the API
    eprintln!("berth: {pods} pods through the API");
    let (bound_lat, berth_lat) = berth_pods(&c, pods, &node.uids).await?;
    tokio::time::sleep(Duration::from_secs(settle)).await;
    Ok(Figures {
        containerd_version,
        agent_idle_rss,
        containerd_idle_rss,
        server_idle_rss,
        agent_cpu: (after.0 - before.0) / window * 100.0,
        containerd_cpu: (after.1 - before.1) / window * 100.0,
        server_cpu: (after.2 - before.2) / window * 100.0,
        idle_window: window,
        floor: floor_lat,
        berth: berth_lat,
        bound: bound_lat,
        agent_busy_rss: rss_mib(agent),
        shims_busy_rss: node.shims_rss_mib(),
        containerd_busy_rss: rss_mib(containerd),
        server_busy_rss: rss_mib(server),
    })
}

fn print(f: &mut Figures, bin: &str, pods: usize, settle: u64) {
    let (bp50, bp99) = (pct(&mut f.berth, 0.5), pct(&mut f.berth, 0.99));
    let (fp50, fp99) = (pct(&mut f.floor, 0.5), pct(&mut f.floor, 0.99));
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64().max(1e-9);
    let mark = |ok: bool| if ok { "ok" } else { "MISSED" };
    println!("machine: {}", machine());
    println!(
        "run: berth {bin}; {}; PODS={pods} IDLE_SECS={:.0} SETTLE_SECS={settle}; busybox `sleep 3600`, image present, imagePullPolicy IfNotPresent",
        f.containerd_version, f.idle_window
    );
    println!("node: `berth server --disable-agent` + `berth agent` (separate processes, release builds) in a network namespace; order: idle, floor, berth");
    println!();
    println!(
        "{:<44} {:>10} {:>10}",
        format!("pod start, {pods} pods at once"),
        "p50",
        "p99"
    );
    println!(
        "{:<44} {:>10.2?} {:>10.2?}",
        "floor: raw CRI run+create+start (first)", fp50, fp99
    );
    println!(
        "{:<44} {:>10.2?} {:>10.2?}",
        "berth: create -> watch sees Running (second)", bp50, bp99
    );
    println!(
        "{:<44} {:>10.2?} {:>10.2?}",
        "  of which create -> watch sees it bound",
        pct(&mut f.bound, 0.5),
        pct(&mut f.bound, 0.99)
    );
    println!(
        "{:<44} {:>9.2}x {:>9.2}x   target p99 <= 1.5x: {}",
        "berth / floor",
        ratio(bp50, fp50),
        ratio(bp99, fp99),
        mark(ratio(bp99, fp99) <= 1.5)
    );
    println!();
    println!(
        "{:<44} {:>10} {:>10}",
        "RSS (VmRSS)",
        "idle",
        format!("{pods} pods")
    );
    println!(
        "{:<44} {:>7.1}MiB {:>7.1}MiB   target idle <= 30 MB: {}",
        "berth agent",
        f.agent_idle_rss,
        f.agent_busy_rss,
        mark(f.agent_idle_rss * 1.048_576 <= 30.0)
    );
    println!(
        "{:<44} {:>7.1}MiB {:>7.1}MiB",
        "containerd (the agent's child)", f.containerd_idle_rss, f.containerd_busy_rss
    );
    println!(
        "{:<44} {:>10} {:>7.1}MiB",
        format!(
            "{} shims (VmRSS summed, shared counted)",
            f.shims_busy_rss.1
        ),
        "-",
        f.shims_busy_rss.0
    );
    println!(
        "{:<44} {:>7.1}MiB {:>7.1}MiB",
        "control plane (berth server --disable-agent)", f.server_idle_rss, f.server_busy_rss
    );
    println!();
    println!(
        "{:<44} {:>10}",
        format!("CPU idle, no pods, {:.0}s", f.idle_window),
        "% of a core"
    );
    println!(
        "{:<44} {:>9.2}%   target < 1%: {}",
        "berth agent",
        f.agent_cpu,
        mark(f.agent_cpu < 1.0)
    );
    println!("{:<44} {:>9.2}%", "containerd", f.containerd_cpu);
    println!("{:<44} {:>9.2}%", "control plane", f.server_cpu);
}

fn main() -> anyhow::Result<()> {
    let bin = std::env::var("BERTH").unwrap_or_else(|_| "target/release/berth".into());
    let bin = std::fs::canonicalize(&bin)
        .with_context(|| format!("berth binary {bin} (set BERTH)"))?
        .to_string_lossy()
        .into_owned();
    let pods = env_or("PODS", 50).max(1) as usize;
    let idle = env_or("IDLE_SECS", 60);
    let settle = env_or("SETTLE_SECS", 10);
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        bail!("the node benchmark needs root (network namespace, containerd)");
    }
    for tool in ["/usr/bin/containerd", "/bin/busybox", "/usr/bin/nsenter"] {
        if !Path::new(tool).exists() {
            bail!("the node benchmark needs {tool}");
        }
    }
    let mut node = Node::create()?;
    // This thread and the runtime's threads live in the namespace: the API client
    // reaches the server at the node's address there, and nothing else.
    node.enter()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = rt.block_on(async {
        tokio::select! {
            r = measure(&mut node, &bin, pods, idle, settle) => r,
            _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
        }
    });
    drop(rt);
    let mut figures = result?;
    drop(node);
    print(&mut figures, &bin, pods, settle);
    Ok(())
}
