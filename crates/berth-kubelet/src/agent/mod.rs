//! The node agent (kubelet): registers the node and keeps its Lease and status, watches
//! the pods bound to it and runs one [`worker`] per pod against the container runtime,
//! relists the runtime every second to notice exits (kubelet's PLEG), and cleans up
//! what belongs to no pod.
//!
//! Files under the data dir: `agent/containerd/` (the runtime), `agent/cni/net.d/` (the
//! conflist), `agent/pods/<uid>/` (etc-hosts, termination-message files, volumes) and
//! `agent/pod-logs/<ns>_<pod>_<uid>/<container>/<restart>.log`.

pub mod backend;
pub mod cni;
pub mod events;
pub mod node;
pub mod status;
pub mod worker;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::{Container, Node, Pod};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kube::api::Api;
use kube::runtime::watcher;
use tokio::sync::{watch, Notify};

use crate::containerd::{Containerd, ContainerdError, ContainerdOptions};
use crate::cri::{api, CriClient};
use status::{ContainerInfo, RuntimeContainer};
use worker::{PodUpdate, Worker};

/// How a node agent runs.
#[derive(Clone, Debug)]
pub struct AgentConfig {
    /// The node's name (`--node-name`, default: the hostname).
    pub node_name: String,
    /// The node's InternalIP (`--node-ip`, default: the default route's address).
    pub node_ip: Option<IpAddr>,
    /// berth's data dir.
    pub data_dir: PathBuf,
    /// How to get the container runtime.
    pub containerd: ContainerdOptions,
    /// The agent's HTTPS port (kubelet's 10250).
    pub port: u16,
    /// Pods this node takes (`pods` capacity).
    pub max_pods: u32,
    /// Cluster DNS servers written into pods' resolv.conf (ClusterFirst).
    pub cluster_dns: Vec<String>,
    /// The cluster's DNS domain.
    pub cluster_domain: String,
    /// The cluster's pod CIDR (all nodes).
    pub cluster_cidr: String,
    /// SNAT pod traffic leaving the pod network (the bridge plugin's ipMasq).
    pub masquerade: bool,
    /// Label the node as a control-plane node.
    pub control_plane: bool,
    /// CA (PEM) that signs the API server's client certificate; the agent's HTTPS
    /// server accepts only clients it signed. None: no server (no logs/exec/port-forward).
    pub client_ca_pem: Option<String>,
}

impl AgentConfig {
    /// Defaults like kubeadm's kubelet for a data dir and node name.
    pub fn new(data_dir: impl Into<PathBuf>, node_name: impl Into<String>) -> AgentConfig {
        let data_dir = data_dir.into();
        AgentConfig {
            node_name: node_name.into(),
            node_ip: None,
            containerd: ContainerdOptions::new(data_dir.clone(), crate::images::PAUSE_IMAGE),
            data_dir,
            port: 10250,
            max_pods: 110,
            cluster_dns: vec!["10.96.0.10".into()],
            cluster_domain: "cluster.local".into(),
            cluster_cidr: "10.244.0.0/16".into(),
            masquerade: true,
            control_plane: false,
            client_ca_pem: None,
        }
    }
}

/// Why the agent could not start.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error(transparent)]
    Runtime(#[from] ContainerdError),
    #[error("providing the pause image: {0}")]
    Pause(#[from] crate::images::ImageError),
    #[error("{0}")]
    Other(String),
}

/// Probe results of one container, kept by the prober and read by the worker.
#[derive(Clone, Debug, Default)]
pub struct ProbeStatus {
    pub container_id: String,
    pub ready: Option<bool>,
    pub started: Option<bool>,
}

/// A running worker: its update channel and its wake-up.
type WorkerHandle = (watch::Sender<PodUpdate>, Arc<Notify>);

/// What workers share.
pub struct Shared {
    pub client: kube::Client,
    pub cri: CriClient,
    pub config: AgentConfig,
    pub node_ip: IpAddr,
    pub machine_memory: i64,
    pub events: events::Recorder,
    pub probes: Mutex<HashMap<(String, String), ProbeStatus>>,
    /// Running workers by pod UID: their update channel and wake-up.
    workers: Mutex<HashMap<String, WorkerHandle>>,
}

impl Shared {
    fn pods_dir(&self) -> PathBuf {
        self.config.data_dir.join("agent").join("pods")
    }

    /// `agent/pods/<uid>`.
    pub fn pod_dir(&self, uid: &str) -> PathBuf {
        self.pods_dir().join(uid)
    }

    /// The pod's log directory (the sandbox's log_directory).
    pub fn pod_log_dir(&self, pod: &Pod) -> PathBuf {
        self.config
            .data_dir
            .join("agent")
            .join("pod-logs")
            .join(format!(
                "{}_{}_{}",
                pod.metadata.namespace.as_deref().unwrap_or_default(),
                pod.metadata.name.as_deref().unwrap_or_default(),
                pod.metadata.uid.as_deref().unwrap_or_default()
            ))
    }

    /// Creates the pod's directories and its /etc/hosts; the error is a FailedMount message.
    async fn prepare_pod_dirs(&self, pod: &Pod) -> Result<(), String> {
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        let dir = self.pod_dir(&uid);
        let log_dir = self.pod_log_dir(pod);
        let hosts = etc_hosts(pod, "", &self.config.cluster_domain);
        let result = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            std::fs::create_dir_all(dir.join("containers"))?;
            std::fs::create_dir_all(&log_dir)?;
            std::fs::write(dir.join("etc-hosts"), hosts)?;
            Ok(())
        })
        .await
        .map_err(|e| e.to_string())?;
        result.map_err(|e| format!("setting up the pod's directories: {e}"))
    }

    /// The node's allocatable cpu and memory (defaults of downward API limits).
    pub fn node_allocatable(&self) -> BTreeMap<String, Quantity> {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        BTreeMap::from([
            ("cpu".to_string(), Quantity(cpus.to_string())),
            (
                "memory".to_string(),
                Quantity(self.machine_memory.to_string()),
            ),
        ])
    }

    /// Sets up the pod's volumes; the error is the FailedMount event message.
    async fn setup_volumes(&self, pod: &Pod) -> Result<crate::volumes::PodVolumes, String> {
        let ctx = crate::volumes::VolumeContext {
            node_allocatable: self.node_allocatable(),
            ..Default::default()
        };
        crate::volumes::setup_pod_volumes(&self.client, pod, &self.pods_dir(), &ctx)
            .await
            .map_err(|e| e.to_string())
    }

    /// Rewrites the pod's /etc/hosts once its IP is known.
    pub fn write_etc_hosts(&self, pod: &Pod, pod_ip: &str) {
        let dir = self.pod_dir(pod.metadata.uid.as_deref().unwrap_or_default());
        if let Err(e) = std::fs::write(
            dir.join("etc-hosts"),
            etc_hosts(pod, pod_ip, &self.config.cluster_domain),
        ) {
            tracing::warn!(error = %e, "writing etc-hosts");
        }
    }

    /// The CRI sandbox config of a pod.
    pub fn sandbox_config(&self, pod: &Pod, attempt: u32) -> api::PodSandboxConfig {
        let spec = pod.spec.clone().unwrap_or_default();
        let ns = pod.metadata.namespace.clone().unwrap_or_default();
        let name = pod.metadata.name.clone().unwrap_or_default();
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        let host_network = spec.host_network == Some(true);
        let hostname = if host_network {
            String::new()
        } else {
            let h = spec.hostname.clone().unwrap_or_else(|| name.clone());
            h.chars()
                .take(63)
                .collect::<String>()
                .trim_end_matches(['-', '.'])
                .to_string()
        };
        let mut labels: HashMap<String, String> = pod
            .metadata
            .labels
            .clone()
            .unwrap_or_default()
            .into_iter()
            .collect();
        labels.insert(worker::LABEL_POD_NAME.into(), name.clone());
        labels.insert(worker::LABEL_POD_NAMESPACE.into(), ns.clone());
        labels.insert(worker::LABEL_POD_UID.into(), uid.clone());
        let annotations: HashMap<String, String> = pod
            .metadata
            .annotations
            .clone()
            .unwrap_or_default()
            .into_iter()
            .collect();
        let mut port_mappings = Vec::new();
        for c in &spec.containers {
            for p in c.ports.iter().flatten() {
                if let Some(host_port) = p.host_port.filter(|p| *p > 0) {
                    port_mappings.push(api::PortMapping {
                        protocol: match p.protocol.as_deref() {
                            Some("UDP") => api::Protocol::Udp as i32,
                            Some("SCTP") => api::Protocol::Sctp as i32,
                            _ => api::Protocol::Tcp as i32,
                        },
                        container_port: p.container_port,
                        host_port,
                        host_ip: p.host_ip.clone().unwrap_or_default(),
                    });
                }
            }
        }
        api::PodSandboxConfig {
            metadata: Some(api::PodSandboxMetadata {
                name,
                uid,
                namespace: ns.clone(),
                attempt,
            }),
            hostname,
            log_directory: self.pod_log_dir(pod).to_string_lossy().into_owned(),
            dns_config: self.dns_config(pod, &ns),
            port_mappings,
            labels,
            annotations,
            linux: Some(crate::resources::sandbox_linux_config(pod)),
            windows: None,
        }
    }

    /// resolv.conf for the pod (pkg/kubelet/network/dns): ClusterFirst uses the cluster
    /// DNS unless on the host network; Default and host-network ClusterFirst use the
    /// node's; None uses only the pod's dnsConfig.
    fn dns_config(&self, pod: &Pod, ns: &str) -> Option<api::DnsConfig> {
        let spec = pod.spec.as_ref()?;
        let policy = spec.dns_policy.as_deref().unwrap_or("ClusterFirst");
        let host_network = spec.host_network == Some(true);
        let mut cfg = match policy {
            "ClusterFirstWithHostNet" | "ClusterFirst"
                if policy == "ClusterFirstWithHostNet" || !host_network =>
            {
                let d = &self.config.cluster_domain;
                api::DnsConfig {
                    servers: self.config.cluster_dns.clone(),
                    searches: vec![format!("{ns}.svc.{d}"), format!("svc.{d}"), d.clone()],
                    options: vec!["ndots:5".into()],
                }
            }
            "None" => api::DnsConfig::default(),
            _ => {
                return spec
                    .dns_config
                    .as_ref()
                    .map(|_| host_dns(spec.dns_config.as_ref()))
            }
        };
        if let Some(extra) = &spec.dns_config {
            cfg.servers
                .extend(extra.nameservers.iter().flatten().cloned());
            cfg.searches
                .extend(extra.searches.iter().flatten().cloned());
            for o in extra.options.iter().flatten() {
                let name = o.name.clone().unwrap_or_default();
                cfg.options
                    .retain(|x| x.split(':').next() != Some(name.as_str()));
                cfg.options.push(match &o.value {
                    Some(v) => format!("{name}:{v}"),
                    None => name,
                });
            }
        }
        Some(cfg)
    }

    /// The CRI config of container `c` as attempt `attempt`; the error is the
    /// CreateContainerConfigError message.
    async fn container_config(
        &self,
        pod: &Pod,
        c: &Container,
        attempt: u32,
        pod_ip: &str,
        volumes: Option<&crate::volumes::PodVolumes>,
    ) -> Result<api::ContainerConfig, String> {
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        let spec = pod.spec.clone().unwrap_or_default();
        if crate::resources::effective_security_context(pod, c).run_as_non_root == Some(true) {
            let image = self
                .cri
                .image_status(c.image.as_deref().unwrap_or_default())
                .await
                .map_err(|e| worker::cri_message(&e))?
                .unwrap_or_default();
            crate::resources::verify_run_as_non_root(
                pod,
                c,
                image.uid.map(|u| u.value),
                &image.username,
            )?;
        }
        let envs = self.container_env(pod, c, pod_ip).await?;
        let lookup: HashMap<&str, &str> = envs
            .iter()
            .map(|kv| (kv.key.as_str(), kv.value.as_str()))
            .collect();
        let expand = |v: &String| expand_vars(v, &lookup);
        let mut mounts = match volumes {
            Some(v) => v
                .container_mounts_with_env(pod, c, &envs)
                .map_err(|e| e.to_string())?,
            None => Vec::new(),
        };
        let dir = self.pod_dir(&uid);
        if spec.host_network != Some(true)
            && !mounts.iter().any(|m| m.container_path == "/etc/hosts")
        {
            mounts.push(api::Mount {
                container_path: "/etc/hosts".into(),
                host_path: dir.join("etc-hosts").to_string_lossy().into_owned(),
                ..Default::default()
            });
        }
        let term_path = c
            .termination_message_path
            .clone()
            .unwrap_or_else(|| "/dev/termination-log".into());
        if !term_path.is_empty() {
            let file = dir
                .join("containers")
                .join(&c.name)
                .join(format!("{attempt}"));
            let f2 = file.clone();
            tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                std::fs::create_dir_all(f2.parent().unwrap_or(Path::new("/")))?;
                std::fs::write(&f2, b"")?;
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&f2, std::fs::Permissions::from_mode(0o666))
            })
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("creating the termination message file: {e}"))?;
            mounts.push(api::Mount {
                container_path: term_path,
                host_path: file.to_string_lossy().into_owned(),
                ..Default::default()
            });
        }
        let (labels, annotations) = worker::container_labels(pod, c, attempt);
        Ok(api::ContainerConfig {
            metadata: Some(api::ContainerMetadata {
                name: c.name.clone(),
                attempt,
            }),
            image: Some(api::ImageSpec {
                image: c.image.clone().unwrap_or_default(),
                ..Default::default()
            }),
            command: c.command.iter().flatten().map(expand).collect(),
            args: c.args.iter().flatten().map(expand).collect(),
            working_dir: c.working_dir.clone().unwrap_or_default(),
            envs,
            mounts,
            labels,
            annotations,
            log_path: worker::log_path(&c.name, attempt)
                .to_string_lossy()
                .into_owned(),
            stdin: c.stdin == Some(true),
            stdin_once: c.stdin_once == Some(true),
            tty: c.tty == Some(true),
            linux: Some(api::LinuxContainerConfig {
                resources: Some(crate::resources::linux_container_resources(
                    pod,
                    c,
                    self.machine_memory,
                )),
                security_context: Some(crate::resources::container_security_context(pod, c)),
            }),
            ..Default::default()
        })
    }

    /// The container's environment (service links, envFrom, env with valueFrom).
    async fn container_env(
        &self,
        pod: &Pod,
        c: &Container,
        pod_ip: &str,
    ) -> Result<Vec<api::KeyValue>, String> {
        // Only what service_env_for_pod uses: default/kubernetes, and the pod's
        // namespace unless enableServiceLinks is false (not every Service of the cluster).
        use k8s_openapi::api::core::v1::Service;
        let err =
            |e: kube::Error| format!("listing services for the service environment variables: {e}");
        let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
        let links = pod.spec.as_ref().and_then(|s| s.enable_service_links) != Some(false);
        let mut services = Vec::new();
        if links {
            let api: Api<Service> = Api::namespaced(self.client.clone(), ns);
            services = api.list(&Default::default()).await.map_err(err)?.items;
        }
        if !(links && ns == "default") {
            let api: Api<Service> = Api::namespaced(self.client.clone(), "default");
            services.extend(api.get_opt("kubernetes").await.map_err(err)?);
        }
        let host_ip = self.node_ip.to_string();
        let ctx = crate::env::EnvContext {
            pod_ip: pod_ip.to_string(),
            pod_ips: if pod_ip.is_empty() {
                vec![]
            } else {
                vec![pod_ip.to_string()]
            },
            host_ip: host_ip.clone(),
            host_ips: vec![host_ip],
            node_name: self.config.node_name.clone(),
            service_env: crate::env::service_env_for_pod(pod, &services),
            node_allocatable: self.node_allocatable(),
        };
        crate::env::container_env(&self.client, pod, c, &ctx)
            .await
            .map_err(|e| e.to_string())
    }

    /// Runs a lifecycle hook (exec, httpGet or sleep) for container `id` within
    /// `timeout`; the error is kubelet's hook failure message.
    pub async fn run_hook(
        &self,
        pod: &Pod,
        handler: &k8s_openapi::api::core::v1::LifecycleHandler,
        c: &Container,
        id: &str,
        pod_ip: &str,
        timeout: Duration,
    ) -> Result<(), String> {
        let who = format!(
            "for Container {:?} in Pod \"{}_{}({})\"",
            c.name,
            pod.metadata.name.as_deref().unwrap_or_default(),
            pod.metadata.namespace.as_deref().unwrap_or_default(),
            pod.metadata.uid.as_deref().unwrap_or_default()
        );
        if let Some(exec) = &handler.exec {
            let cmd = exec.command.clone().unwrap_or_default();
            let shown = format!("[{}]", cmd.join(" "));
            return match self.cri.exec_sync(id, cmd.clone(), timeout).await {
                Ok(r) if r.exit_code == 0 => Ok(()),
                Ok(r) => {
                    let mut out = String::from_utf8_lossy(&r.stdout).into_owned();
                    out.push_str(&String::from_utf8_lossy(&r.stderr));
                    Err(format!(
                        "Exec lifecycle hook ({shown}) {who} failed - error: command '{}' exited with {}: {out}, message: {out:?}",
                        cmd.join(" "),
                        r.exit_code
                    ))
                }
                Err(e) => Err(format!(
                    "Exec lifecycle hook ({shown}) {who} failed - error: {}, message: \"\"",
                    worker::cri_message(&e)
                )),
            };
        }
        if let Some(http) = &handler.http_get {
            let probe = k8s_openapi::api::core::v1::Probe {
                http_get: Some(http.clone()),
                timeout_seconds: Some(timeout.as_secs().clamp(1, i32::MAX as u64) as i32),
                ..Default::default()
            };
            let target = crate::probes::ProbeTarget {
                pod_ip,
                container_id: id,
                cri: &self.cri,
                container: c,
            };
            return match crate::probes::run_probe(&probe, &target).await {
                r if r.is_success() => Ok(()),
                crate::probes::ProbeResult::Failure(m) | crate::probes::ProbeResult::Unknown(m) => {
                    Err(format!(
                        "HTTP lifecycle hook ({}) {who} failed - error: {m}",
                        http.path.as_deref().unwrap_or("/")
                    ))
                }
                _ => Ok(()),
            };
        }
        if let Some(sleep) = &handler.sleep {
            tokio::time::sleep(Duration::from_secs(sleep.seconds.max(0) as u64).min(timeout)).await;
        }
        Ok(())
    }

    /// A container was started: its probes begin (one task per container instance, ended
    /// when the container stops or is replaced).
    fn container_started(self: &Arc<Self>, pod: &Pod, c: &Container, id: &str, pod_ip: &str) {
        if c.liveness_probe.is_none() && c.readiness_probe.is_none() && c.startup_probe.is_none() {
            return;
        }
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        let key = (uid.clone(), c.name.clone());
        let probes = crate::probes::ContainerProbes::new(c, std::time::Instant::now());
        self.probes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                key.clone(),
                ProbeStatus {
                    container_id: id.to_string(),
                    ready: probes.readiness.as_ref().map(|w| w.success()),
                    started: probes.startup.as_ref().map(|w| w.success()),
                },
            );
        let sh = self.clone();
        let (pod, c, id, pod_ip) = (pod.clone(), c.clone(), id.to_string(), pod_ip.to_string());
        tokio::spawn(async move { sh.probe_loop(key, pod, c, id, pod_ip, probes).await });
    }

    async fn probe_loop(
        self: Arc<Self>,
        key: (String, String),
        pod: Pod,
        c: Container,
        id: String,
        pod_ip: String,
        mut probes: crate::probes::ContainerProbes,
    ) {
        use crate::probes::{kill_message, probe_event, run_probe, ProbeTarget};
        loop {
            let Some((_, due)) = probes.next_due() else {
                return;
            };
            tokio::time::sleep_until(due.into()).await;
            let current = self
                .probes
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&key)
                .map(|p| p.container_id.clone());
            if current.as_deref() != Some(id.as_str()) {
                return;
            }
            match self.cri.container_status(&id, false).await {
                Ok(s)
                    if s.status.as_ref().is_some_and(|s| {
                        s.state == api::ContainerState::ContainerRunning as i32
                    }) => {}
                _ => return,
            }
            for kind in probes.due(std::time::Instant::now()) {
                let Some(probe) = probes.worker(kind).map(|w| w.probe().clone()) else {
                    continue;
                };
                let target = ProbeTarget {
                    pod_ip: &pod_ip,
                    container_id: &id,
                    cri: &self.cri,
                    container: &c,
                };
                let result = run_probe(&probe, &target).await;
                if let Some(ev) = probe_event(kind, &result) {
                    self.events
                        .pod(&pod, Some(&c.name), ev.type_, ev.reason, ev.message);
                }
                let grace = probes
                    .worker(kind)
                    .and_then(|w| w.termination_grace_period_seconds());
                let Some(t) = probes.record(kind, &result, std::time::Instant::now()) else {
                    continue;
                };
                if let Some(p) = self
                    .probes
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get_mut(&key)
                {
                    p.ready = probes.readiness.as_ref().map(|w| w.success());
                    p.started = probes.startup.as_ref().map(|w| w.success());
                }
                self.wake(&key.0);
                if t.restart {
                    let policy = pod
                        .spec
                        .as_ref()
                        .and_then(|s| s.restart_policy.as_deref())
                        .unwrap_or("Always");
                    self.events.pod(
                        &pod,
                        Some(&c.name),
                        "Normal",
                        "Killing",
                        kill_message(kind, &c.name, policy != "Never"),
                    );
                    let grace = grace
                        .or_else(|| {
                            pod.spec
                                .as_ref()
                                .and_then(|s| s.termination_grace_period_seconds)
                        })
                        .unwrap_or(30)
                        .max(0) as u64;
                    if let Err(e) = self
                        .cri
                        .stop_container(&id, Duration::from_secs(grace))
                        .await
                    {
                        tracing::warn!(error = %e, "stopping a container that failed its probe");
                    }
                    self.wake(&key.0);
                    return;
                }
            }
        }
    }

    /// Fills readiness and startup from the prober.
    fn probe_info(
        &self,
        uid: &str,
        c: &Container,
        latest: Option<&RuntimeContainer>,
        info: &mut ContainerInfo,
    ) {
        let probes = self.probes.lock().unwrap_or_else(|e| e.into_inner());
        let Some(p) = probes.get(&(uid.to_string(), c.name.clone())) else {
            if c.readiness_probe.is_some() {
                info.ready = Some(false);
            }
            if c.startup_probe.is_some() {
                info.started = Some(false);
            }
            return;
        };
        if latest.is_some_and(|l| l.id == p.container_id) {
            info.ready = p.ready;
            info.started = p.started;
        } else {
            info.ready = c.readiness_probe.as_ref().map(|_| false);
            info.started = c.startup_probe.as_ref().map(|_| false);
        }
    }

    /// A pod's worker is done: forget it and remove its directories.
    async fn pod_gone(&self, uid: &str) {
        self.workers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(uid);
        self.probes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|(u, _), _| u != uid);
        let dir = self.pod_dir(uid);
        let pods_dir = self.pods_dir();
        let logs_dir = self.config.data_dir.join("agent").join("pod-logs");
        let uid2 = uid.to_string();
        let _ = tokio::task::spawn_blocking(move || {
            if let Err(e) = crate::volumes::teardown_pod_volumes(&pods_dir, &uid2) {
                tracing::warn!(error = %e, "tearing down a pod's volumes");
            }
            remove_pod_cgroups(Path::new("/sys/fs/cgroup"), &uid2);
            // The runtime may still be removing the containers' cgroups: once more.
            std::thread::sleep(Duration::from_secs(1));
            remove_pod_cgroups(Path::new("/sys/fs/cgroup"), &uid2);
            // The pod's log directory (`<ns>_<name>_<uid>`) goes with the pod.
            if let Ok(dir) = std::fs::read_dir(&logs_dir) {
                for e in dir.flatten() {
                    if e.file_name()
                        .to_string_lossy()
                        .ends_with(&format!("_{uid2}"))
                    {
                        let _ = std::fs::remove_dir_all(e.path());
                    }
                }
            }
            if let Err(e) = crate::mounts::unmount_all_under(&dir) {
                tracing::warn!(error = %e, "unmounting a pod's volumes");
            }
            let _ = std::fs::remove_dir_all(&dir);
        })
        .await;
    }

    /// Hands a pod update to its worker, starting one for a new pod.
    fn update(self: &Arc<Self>, pod: Pod) {
        let Some(uid) = pod.metadata.uid.clone() else {
            return;
        };
        let mut workers = self.workers.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((tx, _)) = workers.get(&uid) {
            // Like kubelet's pod config: a change of status (often our own write) alone
            // does not wake the worker; the newest object is kept for it either way.
            tx.send_if_modified(|cur| {
                let significant = match cur {
                    PodUpdate::Pod(old) => spec_changed(old, &pod),
                    PodUpdate::Gone(_) => true,
                };
                *cur = PodUpdate::Pod(Box::new(pod));
                significant
            });
            return;
        }
        self.spawn_worker(
            &mut workers,
            uid,
            pod.clone(),
            PodUpdate::Pod(Box::new(pod)),
        );
    }

    /// Starts pod `uid`'s worker with `first` as its first update.
    fn spawn_worker(
        self: &Arc<Self>,
        workers: &mut HashMap<String, WorkerHandle>,
        uid: String,
        pod: Pod,
        first: PodUpdate,
    ) {
        let (tx, rx) = watch::channel(first);
        let wake = Arc::new(Notify::new());
        workers.insert(uid, (tx, wake.clone()));
        tokio::spawn(Worker::new(self.clone(), pod, rx, wake).run());
    }

    /// The pod left the API server (deleted with `grace`, as the watch's last object says).
    fn gone(&self, uid: &str, grace: Option<i64>) {
        if let Some((tx, _)) = self
            .workers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(uid)
        {
            let _ = tx.send(PodUpdate::Gone(grace));
        }
    }

    /// Starts a worker that only tears down what the runtime has of a pod the API
    /// server no longer has.
    fn spawn_teardown(self: &Arc<Self>, pod: Pod, grace: Option<i64>) {
        let Some(uid) = pod.metadata.uid.clone() else {
            return;
        };
        let mut workers = self.workers.lock().unwrap_or_else(|e| e.into_inner());
        if !workers.contains_key(&uid) {
            self.spawn_worker(&mut workers, uid, pod, PodUpdate::Gone(grace));
        }
    }

    /// Whether probes run for container `id` of pod `uid`.
    fn probing(&self, uid: &str, container: &str, id: &str) -> bool {
        self.probes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(uid.to_string(), container.to_string()))
            .is_some_and(|p| p.container_id == id)
    }

    fn wake(&self, uid: &str) {
        if let Some((_, wake)) = self
            .workers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(uid)
        {
            wake.notify_one();
        }
    }

    fn known(&self) -> HashSet<String> {
        self.workers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect()
    }
}

/// Removes the pod-level cgroups the runtime created under its cgroup parent
/// (`/kubepods[/burstable|/besteffort]/pod<uid>`, in every v1 hierarchy and in v2), as
/// kubelet's pod container manager does once the pod's containers are gone. Cgroups
/// still in use stay (rmdir refuses them).
pub fn remove_pod_cgroups(root: &Path, uid: &str) {
    let pod = format!("pod{uid}");
    let mut hierarchies = vec![root.to_path_buf()];
    if let Ok(dir) = std::fs::read_dir(root) {
        hierarchies.extend(dir.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
    }
    for h in hierarchies {
        for qos in ["", "burstable", "besteffort"] {
            let dir = h.join("kubepods").join(qos).join(&pod);
            if dir.is_dir() {
                // Children first (containers' cgroups the runtime left behind).
                if let Ok(children) = std::fs::read_dir(&dir) {
                    for c in children.flatten().filter(|c| c.path().is_dir()) {
                        let _ = std::fs::remove_dir(c.path());
                    }
                }
                let _ = std::fs::remove_dir(&dir);
            }
        }
    }
}

/// Removes empty pod cgroups of pods without a worker that are older than two minutes
/// (a teardown whose rmdir raced with the runtime removing the containers' cgroups).
fn sweep_pod_cgroups(known: &HashSet<String>) {
    let root = Path::new("/sys/fs/cgroup");
    let probe = if root.join("memory").is_dir() {
        root.join("memory")
    } else {
        root.to_path_buf()
    };
    for qos in ["", "burstable", "besteffort"] {
        let Ok(dir) = std::fs::read_dir(probe.join("kubepods").join(qos)) else {
            continue;
        };
        for e in dir.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(uid) = name.strip_prefix("pod") else {
                continue;
            };
            let old = e
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().is_ok_and(|d| d > Duration::from_secs(120)));
            if old && !known.contains(uid) {
                remove_pod_cgroups(root, uid);
            }
        }
    }
}

/// Whether a pod changed in more than its status (and bookkeeping metadata).
fn spec_changed(old: &Pod, new: &Pod) -> bool {
    let strip = |p: &Pod| {
        let mut p = p.clone();
        p.status = None;
        p.metadata.resource_version = None;
        p.metadata.managed_fields = None;
        p
    };
    strip(old) != strip(new)
}

/// resolv.conf settings that only carry the pod's dnsConfig on top of the node's.
fn host_dns(extra: Option<&k8s_openapi::api::core::v1::PodDNSConfig>) -> api::DnsConfig {
    let mut cfg = api::DnsConfig::default();
    if let Ok(text) = std::fs::read_to_string("/etc/resolv.conf") {
        for line in text.lines() {
            let mut f = line.split_whitespace();
            match f.next() {
                Some("nameserver") => cfg.servers.extend(f.next().map(String::from)),
                Some("search") => cfg.searches.extend(f.map(String::from)),
                Some("options") => cfg.options.extend(f.map(String::from)),
                _ => {}
            }
        }
    }
    if let Some(extra) = extra {
        cfg.servers
            .extend(extra.nameservers.iter().flatten().cloned());
        cfg.searches
            .extend(extra.searches.iter().flatten().cloned());
    }
    cfg
}

/// Kubernetes' `$(VAR)` expansion: `$$` is a literal `$`, unknown references stay.
pub fn expand_vars(input: &str, vars: &HashMap<&str, &str>) -> String {
    let mut out = String::with_capacity(input.len());
    let b = input.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' && i + 1 < b.len() {
            if b[i + 1] == b'$' {
                out.push('$');
                i += 2;
                continue;
            }
            if b[i + 1] == b'(' {
                if let Some(end) = input[i + 2..].find(')') {
                    let name = &input[i + 2..i + 2 + end];
                    match vars.get(name) {
                        Some(v) => out.push_str(v),
                        None => out.push_str(&input[i..i + 3 + end]),
                    }
                    i += 3 + end;
                    continue;
                }
            }
        }
        let ch = input[i..].chars().next().unwrap_or('?');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// kubelet's managed /etc/hosts.
pub fn etc_hosts(pod: &Pod, pod_ip: &str, domain: &str) -> String {
    let spec = pod.spec.clone().unwrap_or_default();
    let mut s = String::from(
        "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n\
         fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n",
    );
    let hostname = spec
        .hostname
        .clone()
        .unwrap_or_else(|| pod.metadata.name.clone().unwrap_or_default());
    if !pod_ip.is_empty() {
        match &spec.subdomain {
            Some(sub) => s.push_str(&format!(
                "{pod_ip}\t{hostname}.{sub}.{}.svc.{domain}\t{hostname}\n",
                pod.metadata.namespace.as_deref().unwrap_or_default()
            )),
            None => s.push_str(&format!("{pod_ip}\t{hostname}\n")),
        }
    }
    if spec.host_aliases.as_ref().is_some_and(|a| !a.is_empty()) {
        s.push_str("\n# Entries added by HostAliases.\n");
    }
    for h in spec.host_aliases.iter().flatten() {
        s.push_str(&format!(
            "{}\t{}\n",
            h.ip,
            h.hostnames.clone().unwrap_or_default().join("\t")
        ));
    }
    s
}

/// The QoS class of a pod.
pub fn qos_class(pod: &Pod) -> &'static str {
    crate::resources::qos_class(pod)
}

/// A running agent.
pub struct Agent {
    shared: Arc<Shared>,
    runtime: Option<Containerd>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Agent {
    /// Starts the runtime, registers the node and starts syncing pods. Returns once the
    /// node is registered; the work goes on in background tasks until [`Agent::stop`].
    pub async fn start(client: kube::Client, config: AgentConfig) -> Result<Agent, AgentError> {
        let runtime = Containerd::start(config.containerd.clone()).await?;
        let cri = runtime.client();
        if let Some(paths) = runtime.paths() {
            crate::images::ensure_pause_image(
                &cri,
                &paths.certs_d,
                &config.containerd.sandbox_image,
            )
            .await?;
        }
        let node_ip = config.node_ip.unwrap_or_else(node::default_node_ip);
        let machine = node::Machine::read();
        let runtime_version = format!("containerd://{}", runtime.version().runtime_version);
        let shared = Arc::new(Shared {
            events: events::Recorder::new(client.clone(), config.node_name.clone()),
            client: client.clone(),
            cri: cri.clone(),
            node_ip,
            machine_memory: machine.memory_bytes as i64,
            probes: Mutex::new(HashMap::new()),
            workers: Mutex::new(HashMap::new()),
            config: config.clone(),
        });
        let runtime_problem: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(Some("container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized".into())));
        let facts = {
            let config = config.clone();
            let machine = machine.clone();
            let problem = runtime_problem.clone();
            move || node::NodeFacts {
                name: config.node_name.clone(),
                ip: node_ip,
                machine: machine.clone(),
                max_pods: config.max_pods,
                kubelet_port: config.port,
                runtime_version: runtime_version.clone(),
                fs: node::filesystem(&config.data_dir).unwrap_or((0, 0)),
                mem_available: node::meminfo("MemAvailable").unwrap_or(u64::MAX),
                runtime_problem: problem.lock().unwrap_or_else(|e| e.into_inner()).clone(),
            }
        };
        let mut delay = Duration::from_millis(200);
        let registered = loop {
            match node::register(&client, &facts(), config.control_plane).await {
                Ok(n) => break n,
                Err(e) => {
                    tracing::warn!(node = %config.node_name, error = %e, "unable to register node with API server, retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(10));
                }
            }
        };
        tracing::info!(node = %config.node_name, ip = %node_ip, "node registered");
        let mut tasks = Vec::new();
        let facts_hb = facts.clone();
        tasks.push(tokio::spawn(node::heartbeat(
            client.clone(),
            config.control_plane,
            facts_hb,
        )));
        let _ = registered;
        tasks.push(tokio::spawn(network_setup(
            shared.clone(),
            runtime.paths().map(|p| p.cni_conf_dir.clone()),
            runtime_problem,
        )));
        tasks.push(tokio::spawn(watch_pods(shared.clone())));
        tasks.push(tokio::spawn(relist(shared.clone())));
        tasks.push(tokio::spawn(rotate_logs(shared.clone())));
        if let Some(ca) = config.client_ca_pem.clone() {
            let listener =
                tokio::net::TcpListener::bind((std::net::Ipv4Addr::UNSPECIFIED, config.port))
                    .await
                    .map_err(|e| {
                        AgentError::Other(format!("listening on port {}: {e}", config.port))
                    })?;
            let tls =
                crate::server::self_signed_cert(&config.node_name, &[node_ip]).map_err(|e| {
                    AgentError::Other(format!("making the agent's serving certificate: {e}"))
                })?;
            let backend = Arc::new(backend::AgentBackend(shared.clone()));
            tasks.push(tokio::spawn(async move {
                if let Err(e) =
                    crate::server::serve(listener, tls, &ca, backend, std::future::pending()).await
                {
                    tracing::error!(error = %e, "the agent's HTTPS server stopped");
                }
            }));
        }
        Ok(Agent {
            shared,
            runtime: Some(runtime),
            tasks,
        })
    }

    /// The shared state (for the streaming server).
    pub fn shared(&self) -> Arc<Shared> {
        self.shared.clone()
    }

    /// Stops syncing and stops the runtime berth started; containers keep running.
    pub async fn stop(mut self) {
        for t in &self.tasks {
            t.abort();
        }
        if let Some(rt) = self.runtime.take() {
            if let Err(e) = rt.stop().await {
                tracing::warn!(error = %e, "stopping containerd");
            }
        }
    }
}

/// Waits for the node's podCIDR, writes the CNI conflist, and tracks the runtime's
/// readiness for the node's Ready condition.
async fn network_setup(
    sh: Arc<Shared>,
    conf_dir: Option<PathBuf>,
    problem: Arc<Mutex<Option<String>>>,
) {
    let nodes: Api<Node> = Api::all(sh.client.clone());
    let mut written: Option<String> = None;
    loop {
        if written.is_none() {
            match nodes.get_opt(&sh.config.node_name).await {
                Ok(Some(n)) => {
                    if let Some(cidr) = n.spec.and_then(|s| s.pod_cidr) {
                        match &conf_dir {
                            Some(dir) => match cni::write(
                                dir,
                                &cidr,
                                &sh.config
                                    .data_dir
                                    .join("agent")
                                    .join("cni")
                                    .join("networks"),
                                sh.config.masquerade,
                            ) {
                                Ok(path) => {
                                    tracing::info!(pod_cidr = %cidr, conflist = %path.display(), "pod network configured");
                                    written = Some(cidr);
                                }
                                Err(e) => tracing::warn!(error = %e, "writing the CNI conflist"),
                            },
                            None => {
                                if let Err(e) = sh.cri.update_pod_cidr(&cidr).await {
                                    tracing::warn!(error = %e, "UpdateRuntimeConfig");
                                }
                                written = Some(cidr);
                            }
                        }
                    }
                }
                Ok(None) => {}
                Err(e) => tracing::debug!(error = %e, "getting the node"),
            }
        }
        let now_problem = match sh.cri.status(false).await {
            Ok(s) => {
                let conds = s.status.map(|s| s.conditions).unwrap_or_default();
                conds.iter().find(|c| !c.status).map(|c| {
                    format!(
                        "container runtime {} not ready: {}=false reason:{} message:{}",
                        if c.r#type == "NetworkReady" {
                            "network"
                        } else {
                            "status"
                        },
                        c.r#type,
                        c.reason,
                        c.message
                    )
                })
            }
            Err(e) => Some(format!("container runtime is down: {e}")),
        };
        *problem.lock().unwrap_or_else(|e| e.into_inner()) = now_problem;
        tokio::time::sleep(if written.is_some() {
            Duration::from_secs(5)
        } else {
            Duration::from_millis(500)
        })
        .await;
    }
}

/// How often the runtime is checked for sandboxes no worker owns.
const HOUSEKEEPING: Duration = Duration::from_secs(30);

/// Watches the pods bound to this node and feeds their workers.
async fn watch_pods(sh: Arc<Shared>) {
    let api: Api<Pod> = Api::all(sh.client.clone());
    let config =
        watcher::Config::default().fields(&format!("spec.nodeName={}", sh.config.node_name));
    let mut stream = watcher::watcher(api, config).boxed();
    let mut listing: Option<HashSet<String>> = None;
    let mut first_sync = true;
    while let Some(ev) = stream.next().await {
        match ev {
            Ok(watcher::Event::Apply(pod)) => sh.update(pod),
            Ok(watcher::Event::Delete(pod)) => {
                if let Some(uid) = pod.metadata.uid.as_deref() {
                    sh.gone(uid, pod.metadata.deletion_grace_period_seconds);
                }
            }
            Ok(watcher::Event::Init) => listing = Some(HashSet::new()),
            Ok(watcher::Event::InitApply(pod)) => {
                if let (Some(set), Some(uid)) = (listing.as_mut(), pod.metadata.uid.clone()) {
                    set.insert(uid);
                }
                sh.update(pod);
            }
            Ok(watcher::Event::InitDone) => {
                let seen = listing.take().unwrap_or_default();
                for uid in sh.known() {
                    if !seen.contains(&uid) {
                        sh.gone(&uid, None);
                    }
                }
                if first_sync {
                    first_sync = false;
                    remove_orphans(&sh, &seen).await;
                    // From now on, housekeeping: what the runtime has of pods without a
                    // worker (a teardown that failed, a force delete during an outage).
                    let sh = sh.clone();
                    tokio::spawn(async move {
                        loop {
                            tokio::time::sleep(HOUSEKEEPING).await;
                            let known = sh.known();
                            remove_orphans(&sh, &known).await;
                            let _ = tokio::task::spawn_blocking(move || sweep_pod_cgroups(&known))
                                .await;
                        }
                    });
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "watching pods");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Sandboxes of pods the API server does not have (deleted while the agent was down):
/// a worker tears each down.
async fn remove_orphans(sh: &Arc<Shared>, pods: &HashSet<String>) {
    let Ok(sandboxes) = sh.cri.list_pod_sandbox(None).await else {
        return;
    };
    let mut done = HashSet::new();
    for s in sandboxes {
        let Some(uid) = s.labels.get(worker::LABEL_POD_UID).cloned() else {
            continue;
        };
        if pods.contains(&uid) || !done.insert(uid.clone()) {
            continue;
        }
        let m = s.metadata.clone().unwrap_or_default();
        let pod = Pod {
            metadata: kube::api::ObjectMeta {
                name: Some(m.name),
                namespace: Some(m.namespace),
                uid: Some(uid.clone()),
                ..Default::default()
            },
            ..Default::default()
        };
        tracing::info!(pod_uid = %uid, "removing the sandbox of a pod that no longer exists");
        sh.spawn_teardown(pod, None);
    }
}

/// kubelet's container log manager: every 10 s, rotates the logs of running containers
/// that passed 10 MiB, keeping 5 files.
async fn rotate_logs(sh: Arc<Shared>) {
    let mut tick = tokio::time::interval(Duration::from_secs(10));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let filter = api::ContainerFilter {
            state: Some(api::ContainerStateValue {
                state: api::ContainerState::ContainerRunning as i32,
            }),
            ..Default::default()
        };
        let Ok(containers) = sh.cri.list_containers(Some(filter)).await else {
            continue;
        };
        for c in containers
            .iter()
            .filter(|c| c.labels.contains_key(worker::LABEL_POD_UID))
        {
            let Ok(st) = sh.cri.container_status(&c.id, false).await else {
                continue;
            };
            let Some(path) = st.status.map(|s| s.log_path).filter(|p| !p.is_empty()) else {
                continue;
            };
            if let Err(e) = crate::logs::rotate_if_needed(
                &sh.cri,
                &c.id,
                Path::new(&path),
                crate::logs::DEFAULT_MAX_SIZE,
                crate::logs::DEFAULT_MAX_FILES,
            )
            .await
            {
                tracing::warn!(container = %c.id, error = %e, "rotating a container log");
            }
        }
    }
}

/// kubelet's PLEG: relists the runtime's containers every second and wakes the workers
/// of pods whose containers changed state.
async fn relist(sh: Arc<Shared>) {
    let mut last: BTreeMap<String, i32> = BTreeMap::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Ok(containers) = sh.cri.list_containers(None).await else {
            continue;
        };
        let mut now: BTreeMap<String, i32> = BTreeMap::new();
        let mut owner: HashMap<String, String> = HashMap::new();
        for c in &containers {
            now.insert(c.id.clone(), c.state);
            if let Some(uid) = c.labels.get(worker::LABEL_POD_UID) {
                owner.insert(c.id.clone(), uid.clone());
            }
        }
        let mut changed: HashSet<&String> = HashSet::new();
        for (id, state) in &now {
            if last.get(id) != Some(state) {
                changed.extend(owner.get(id));
            }
        }
        for uid in changed {
            sh.wake(uid);
        }
        last = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_like_kubernetes() {
        let vars = HashMap::from([("A", "1"), ("B", "two")]);
        assert_eq!(expand_vars("x$(A)y$(B)", &vars), "x1ytwo");
        assert_eq!(expand_vars("$(C) $$(A) $", &vars), "$(C) $(A) $");
    }
}
