//! One pod's worker: makes the runtime match the pod (sandbox, init containers in order,
//! containers, restarts with back-off, termination) and reports its status, as kubelet's
//! pod worker and kuberuntime's SyncPod/KillPod do.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use k8s_openapi::api::core::v1::{Container, Pod};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DeleteParams, Patch, PatchParams, Preconditions};
use serde_json::{json, Value};
use tokio::sync::watch;

use super::status::{self, ContainerInfo, RuntimeContainer};
use super::Shared;
use crate::cri::{api, CriError};

pub const LABEL_POD_NAME: &str = "io.kubernetes.pod.name";
pub const LABEL_POD_NAMESPACE: &str = "io.kubernetes.pod.namespace";
pub const LABEL_POD_UID: &str = "io.kubernetes.pod.uid";
pub const LABEL_CONTAINER_NAME: &str = "io.kubernetes.container.name";
const ANN_RESTART_COUNT: &str = "io.kubernetes.container.restartCount";
const ANN_TERMINATION_MESSAGE_PATH: &str = "io.kubernetes.container.terminationMessagePath";
const ANN_TERMINATION_MESSAGE_POLICY: &str = "io.kubernetes.container.terminationMessagePolicy";
const ANN_GRACE: &str = "io.kubernetes.pod.terminationGracePeriod";
const ANN_HASH: &str = "io.kubernetes.container.hash";

/// A container spec's hash (kubelet's `io.kubernetes.container.hash`): what, changed,
/// makes the container restart. Pod containers are immutable but for the image.
pub fn container_hash(c: &Container) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in c
        .name
        .bytes()
        .chain([0])
        .chain(c.image.as_deref().unwrap_or_default().bytes())
    {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{:x}", h as u32)
}
/// kubelet reads at most this much of a termination message file.
const MAX_TERMINATION_MESSAGE: u64 = 4096;

/// The message of an exited container, as kubelet finds it: the file mounted at its
/// terminationMessagePath, else (FallbackToLogsOnError, failed) the end of its log.
fn termination_message(st: &api::ContainerStatus) -> String {
    use std::io::Read;
    let path = st
        .annotations
        .get(ANN_TERMINATION_MESSAGE_PATH)
        .cloned()
        .unwrap_or_default();
    if !path.is_empty() {
        if let Some(m) = st.mounts.iter().find(|m| m.container_path == path) {
            if let Ok(f) = std::fs::File::open(&m.host_path) {
                let mut buf = Vec::new();
                let _ = f.take(MAX_TERMINATION_MESSAGE).read_to_end(&mut buf);
                if !buf.is_empty() {
                    return String::from_utf8_lossy(&buf).into_owned();
                }
            }
        }
    }
    let fallback = st
        .annotations
        .get(ANN_TERMINATION_MESSAGE_POLICY)
        .map(String::as_str)
        == Some("FallbackToLogsOnError");
    if fallback && st.exit_code != 0 && !st.log_path.is_empty() {
        // The end of the log only: 80 lines of at most 2048 bytes are wanted.
        let tail = std::fs::File::open(&st.log_path).and_then(|mut f| {
            use std::io::{Seek, SeekFrom};
            let len = f.metadata()?.len();
            f.seek(SeekFrom::Start(len.saturating_sub(64 * 1024)))?;
            let mut buf = Vec::new();
            f.read_to_end(&mut buf)?;
            Ok(String::from_utf8_lossy(&buf).into_owned())
        });
        if let Ok(text) = tail {
            let lines: Vec<&str> = text
                .lines()
                .filter_map(|l| {
                    let mut f = l.splitn(4, ' ');
                    let (_, _, _, msg) = (f.next()?, f.next()?, f.next()?, f.next()?);
                    Some(msg)
                })
                .collect();
            let tail = lines[lines.len().saturating_sub(80)..].join("\n");
            let start = tail.len().saturating_sub(2048);
            let start = (start..tail.len())
                .find(|i| tail.is_char_boundary(*i))
                .unwrap_or(tail.len());
            return tail[start..].to_string();
        }
    }
    String::new()
}

/// kubelet's container restart back-off: 10 s doubling to 5 min, forgotten after 10 min
/// (image pulls back off with the same numbers).
const BACKOFF_INITIAL: Duration = Duration::from_secs(10);
const BACKOFF_MAX: Duration = Duration::from_secs(300);
/// How often configMap, secret, projected and downward API volumes are rewritten.
const VOLUME_REFRESH: Duration = Duration::from_secs(60);
/// How often a worker looks at its pod when nothing wakes it.
const RESYNC: Duration = Duration::from_secs(10);

/// A message for users from a CRI error: the runtime's own words.
pub fn cri_message(e: &CriError) -> String {
    match e {
        CriError::Call { status, .. } => format!(
            "rpc error: code = {:?} desc = {}",
            status.code(),
            status.message()
        ),
        other => other.to_string(),
    }
}

#[derive(Clone, Copy, Debug)]
struct Backoff {
    delay: Duration,
    /// finishedAt (ns) of the container exit this back-off was computed for.
    last_update: SystemTime,
}

#[derive(Debug, Default)]
struct PullState {
    failures: u32,
    /// The last attempt failed and ErrImagePull was not reported yet.
    just_failed: bool,
    /// The "Error: ImagePullBackOff" event was recorded for this back-off.
    backoff_reported: bool,
    retry_at: Option<Instant>,
    message: String,
}

/// What the worker is told about its pod.
#[derive(Clone, Debug)]
pub enum PodUpdate {
    /// The pod as the API server has it.
    Pod(Box<Pod>),
    /// The pod is gone from the API server (with the grace period it was deleted with).
    Gone(Option<i64>),
}

pub struct Worker {
    sh: Arc<Shared>,
    uid: String,
    rx: watch::Receiver<PodUpdate>,
    wake: Arc<tokio::sync::Notify>,
    pod: Pod,
    sandbox: Option<(String, api::PodSandboxConfig)>,
    pod_ip: String,
    backoff: HashMap<String, Backoff>,
    pulls: HashMap<String, PullState>,
    config_errors: HashMap<String, (String, String)>,
    volumes: Option<crate::volumes::PodVolumes>,
    /// Set when the pod failed on the node (activeDeadlineSeconds): (reason, message).
    forced_failure: Option<(String, String)>,
    /// Termination messages of exited containers, read once.
    term_messages: std::sync::Mutex<HashMap<String, String>>,
    volumes_refreshed: Option<Instant>,
}

fn ns_name(pod: &Pod) -> (String, String) {
    (
        pod.metadata.namespace.clone().unwrap_or_default(),
        pod.metadata.name.clone().unwrap_or_default(),
    )
}

fn restart_policy(pod: &Pod) -> &str {
    pod.spec
        .as_ref()
        .and_then(|s| s.restart_policy.as_deref())
        .unwrap_or("Always")
}

fn grace_period(pod: &Pod) -> i64 {
    pod.metadata
        .deletion_grace_period_seconds
        .or_else(|| {
            pod.spec
                .as_ref()
                .and_then(|s| s.termination_grace_period_seconds)
        })
        .unwrap_or(30)
        .max(0)
}

fn system_time(nanos: i64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_nanos(nanos.max(0) as u64)
}

/// An RFC 7386 merge patch turning `old` into `new` (nulls for removed keys).
pub fn merge_diff(old: &Value, new: &Value) -> Value {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            let mut out = serde_json::Map::new();
            for (k, nv) in n {
                match o.get(k) {
                    Some(ov) if ov == nv => {}
                    Some(ov) if ov.is_object() && nv.is_object() => {
                        out.insert(k.clone(), merge_diff(ov, nv));
                    }
                    _ => {
                        out.insert(k.clone(), nv.clone());
                    }
                }
            }
            for k in o.keys() {
                if !n.contains_key(k) {
                    out.insert(k.clone(), Value::Null);
                }
            }
            Value::Object(out)
        }
        _ => new.clone(),
    }
}

impl Worker {
    pub fn new(
        sh: Arc<Shared>,
        pod: Pod,
        rx: watch::Receiver<PodUpdate>,
        wake: Arc<tokio::sync::Notify>,
    ) -> Worker {
        Worker {
            sh,
            uid: pod.metadata.uid.clone().unwrap_or_default(),
            rx,
            wake,
            pod,
            sandbox: None,
            pod_ip: String::new(),
            backoff: HashMap::new(),
            pulls: HashMap::new(),
            config_errors: HashMap::new(),
            volumes: None,
            forced_failure: None,
            term_messages: std::sync::Mutex::new(HashMap::new()),
            volumes_refreshed: None,
        }
    }

    /// Takes the newest update from the channel; returns true when the pod is gone.
    fn take_update(&mut self) -> bool {
        match self.rx.borrow_and_update().clone() {
            PodUpdate::Pod(p) => {
                self.pod = *p;
                false
            }
            PodUpdate::Gone(grace) => {
                if grace.is_some() {
                    self.pod.metadata.deletion_grace_period_seconds = grace;
                }
                true
            }
        }
    }

    /// Runs until the pod is gone from the API server and its containers are removed.
    pub async fn run(mut self) {
        let mut gone = self.take_update();
        loop {
            if gone {
                if let Err(e) = self.terminate(false).await {
                    tracing::warn!(pod = %self.key(), error = %e, "cleaning up a deleted pod");
                }
                self.cleanup().await;
                return;
            }
            let next = if self.pod.metadata.deletion_timestamp.is_some() {
                match self.terminate(true).await {
                    Ok(()) => None,
                    Err(e) => {
                        tracing::warn!(pod = %self.key(), error = %e, "terminating pod");
                        Some(Duration::from_secs(2))
                    }
                }
            } else {
                // A deletion does not wait for a sync in progress (a pull, a hook), as
                // kubelet cancels the sync when the pod is to be terminated.
                let mut rx = self.rx.clone();
                let deleted = async move {
                    loop {
                        if rx.changed().await.is_err() {
                            return;
                        }
                        let del = match &*rx.borrow() {
                            PodUpdate::Gone(_) => true,
                            PodUpdate::Pod(p) => p.metadata.deletion_timestamp.is_some(),
                        };
                        if del {
                            return;
                        }
                    }
                };
                tokio::select! {
                    r = self.sync() => match r {
                        Ok(next) => Some(next),
                        Err(e) => {
                            tracing::warn!(pod = %self.key(), error = %e, "syncing pod");
                            Some(Duration::from_secs(2))
                        }
                    },
                    _ = deleted => {
                        gone = self.take_update();
                        continue;
                    }
                }
            };
            tokio::select! {
                changed = self.rx.changed() => {
                    gone = changed.is_err() || self.take_update();
                }
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(next.unwrap_or(Duration::from_secs(3600))) => {}
            }
        }
    }

    /// The pod's IP as the runtime reports it for sandbox `id`; a host-network pod's
    /// is the node's (the runtime reports none).
    async fn sandbox_ip(&self, id: &str) -> Result<String, CriError> {
        let st = self.sh.cri.pod_sandbox_status(id, false).await?;
        let ip = st
            .status
            .and_then(|s| s.network)
            .map(|n| n.ip)
            .unwrap_or_default();
        let host = self.pod.spec.as_ref().and_then(|s| s.host_network) == Some(true);
        Ok(if ip.is_empty() && host {
            self.sh.node_ip.to_string()
        } else {
            ip
        })
    }

    /// Records an event about the pod (its container `container` when given).
    fn event(&self, container: Option<&str>, type_: &str, reason: &str, message: String) {
        self.sh
            .events
            .pod(&self.pod, container, type_, reason, message);
    }

    fn key(&self) -> String {
        let (ns, name) = ns_name(&self.pod);
        format!("{ns}/{name}")
    }

    fn pods_api(&self) -> Api<Pod> {
        Api::namespaced(
            self.sh.client.clone(),
            self.pod.metadata.namespace.as_deref().unwrap_or_default(),
        )
    }

    /// The runtime's containers of this pod, by container name, newest first.
    async fn runtime_containers(
        &self,
    ) -> Result<BTreeMap<String, Vec<RuntimeContainer>>, CriError> {
        let filter = api::ContainerFilter {
            label_selector: HashMap::from([(LABEL_POD_UID.to_string(), self.uid.clone())]),
            ..Default::default()
        };
        let mut by_name: BTreeMap<String, Vec<RuntimeContainer>> = BTreeMap::new();
        for c in self.sh.cri.list_containers(Some(filter)).await? {
            let Some(name) = c.labels.get(LABEL_CONTAINER_NAME).cloned() else {
                continue;
            };
            let st = match self.sh.cri.container_status(&c.id, false).await {
                Ok(s) => s.status.unwrap_or_default(),
                Err(e) if e.is_not_found() => continue,
                Err(e) => return Err(e),
            };
            let mut message = st.message.clone();
            if st.state == api::ContainerState::ContainerExited as i32 && message.is_empty() {
                // Read once per container: the files do not change after the exit.
                let mut cache = self.term_messages.lock().unwrap_or_else(|e| e.into_inner());
                message = cache
                    .entry(c.id.clone())
                    .or_insert_with(|| termination_message(&st))
                    .clone();
            }
            let attempt = c
                .annotations
                .get(ANN_RESTART_COUNT)
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| c.metadata.as_ref().map_or(0, |m| m.attempt));
            by_name.entry(name).or_default().push(RuntimeContainer {
                id: c.id.clone(),
                attempt,
                state: api::ContainerState::try_from(st.state)
                    .unwrap_or(api::ContainerState::ContainerUnknown),
                created_at: st.created_at,
                started_at: st.started_at,
                finished_at: st.finished_at,
                exit_code: st.exit_code,
                reason: st.reason,
                message,
                image_ref: st.image_ref,
                image: st.image.map(|i| i.image).unwrap_or_default(),
                hash: st.annotations.get(ANN_HASH).cloned().unwrap_or_default(),
            });
        }
        for list in by_name.values_mut() {
            list.sort_by(|a, b| {
                b.attempt
                    .cmp(&a.attempt)
                    .then(b.created_at.cmp(&a.created_at))
            });
        }
        Ok(by_name)
    }

    /// The pod's sandboxes in the runtime, newest first.
    async fn sandboxes(&self) -> Result<Vec<api::PodSandbox>, CriError> {
        let filter = api::PodSandboxFilter {
            label_selector: HashMap::from([(LABEL_POD_UID.to_string(), self.uid.clone())]),
            ..Default::default()
        };
        let mut list = self.sh.cri.list_pod_sandbox(Some(filter)).await?;
        list.sort_by_key(|s| std::cmp::Reverse(s.created_at));
        Ok(list)
    }

    /// Sets up the pod's volumes unless done; false (with a FailedMount event) when they
    /// cannot be.
    async fn ensure_volumes(&mut self) -> bool {
        if self.volumes.is_some() {
            return true;
        }
        match self.sh.setup_volumes(&self.pod).await {
            Ok(v) => {
                self.volumes = Some(v);
                self.volumes_refreshed = Some(Instant::now());
                self.config_errors.remove("");
                true
            }
            Err(e) => {
                self.event(None, "Warning", "FailedMount", e);
                self.config_errors
                    .insert(String::new(), ("ContainerCreating".into(), String::new()));
                false
            }
        }
    }

    /// Makes sure a ready sandbox exists; returns false while it cannot be made.
    async fn ensure_sandbox(&mut self) -> Result<bool, CriError> {
        let sandboxes = self.sandboxes().await?;
        let ready = sandboxes
            .iter()
            .find(|s| s.state == api::PodSandboxState::SandboxReady as i32);
        if let Some(s) = ready {
            if self.sandbox.as_ref().map(|(id, _)| id) != Some(&s.id) {
                let config = self
                    .sh
                    .sandbox_config(&self.pod, s.metadata.as_ref().map_or(0, |m| m.attempt));
                self.sandbox = Some((s.id.clone(), config));
            }
            // Adopted after an agent restart: the volume state is rebuilt (idempotently).
            if !self.ensure_volumes().await {
                return Ok(false);
            }
            if self.pod_ip.is_empty() {
                self.pod_ip = self.sandbox_ip(&s.id).await?;
            }
            return Ok(true);
        }
        // The sandbox died (or never was): kill what is left and make a new one.
        let attempt = sandboxes
            .first()
            .and_then(|s| s.metadata.as_ref())
            .map_or(0, |m| m.attempt + 1);
        if !sandboxes.is_empty() {
            let _ = self.kill_containers(0).await;
            for s in &sandboxes {
                let _ = self.sh.cri.stop_pod_sandbox(&s.id).await;
            }
            // Init containers run again, from the first, in the new sandbox.
            let inits: Vec<String> = self
                .pod
                .spec
                .iter()
                .flat_map(|s| s.init_containers.iter().flatten())
                .map(|c| c.name.clone())
                .collect();
            if let Ok(containers) = self.runtime_containers().await {
                for (name, list) in containers {
                    if inits.contains(&name) {
                        for c in list {
                            let _ = self.sh.cri.remove_container(&c.id).await;
                        }
                    }
                }
            }
            if self.sandbox.is_some() {
                self.event(
                    None,
                    "Normal",
                    "SandboxChanged",
                    "Pod sandbox changed, it will be killed and re-created.".into(),
                );
            }
        }
        self.sandbox = None;
        self.pod_ip.clear();
        if let Err(e) = self.sh.prepare_pod_dirs(&self.pod).await {
            self.event(None, "Warning", "FailedMount", e.clone());
            self.config_errors
                .insert(String::new(), ("ContainerCreating".into(), e));
            return Ok(false);
        }
        if !self.ensure_volumes().await {
            return Ok(false);
        }
        let config = self.sh.sandbox_config(&self.pod, attempt);
        match self.sh.cri.run_pod_sandbox(config.clone(), "").await {
            Ok(id) => {
                self.pod_ip = self.sandbox_ip(&id).await?;
                self.sh.write_etc_hosts(&self.pod, &self.pod_ip);
                self.sandbox = Some((id, config));
                self.config_errors.remove("");
                Ok(true)
            }
            Err(e) => {
                let msg = format!("Failed to create pod sandbox: {}", cri_message(&e));
                tracing::warn!(pod = %self.key(), error = %msg);
                self.event(None, "Warning", "FailedCreatePodSandBox", msg);
                Ok(false)
            }
        }
    }

    /// One pass: sandbox, init containers, containers, status. Returns when to look again.
    async fn sync(&mut self) -> Result<Duration, CriError> {
        let mut next = RESYNC;
        let phase = self
            .pod
            .status
            .as_ref()
            .and_then(|s| s.phase.as_deref())
            .unwrap_or("");
        if matches!(phase, "Succeeded" | "Failed") {
            // Terminal: nothing runs again; the sandbox goes, containers stay for logs.
            for s in self.sandboxes().await? {
                if s.state == api::PodSandboxState::SandboxReady as i32 {
                    let _ = self.kill_containers(grace_period(&self.pod)).await;
                    let _ = self.sh.cri.stop_pod_sandbox(&s.id).await;
                }
            }
            return Ok(Duration::from_secs(3600));
        }
        if let Some(left) = self.deadline_left() {
            if left.is_zero() {
                // activeDeadlineSeconds passed: the pod fails, its containers stop.
                let _ = self.kill_containers(grace_period(&self.pod)).await;
                let containers = self.runtime_containers().await?;
                self.forced_failure = Some((
                    "DeadlineExceeded".into(),
                    "Pod was active on the node longer than the specified deadline".into(),
                ));
                self.event(
                    None,
                    "Normal",
                    "DeadlineExceeded",
                    "Pod was active on the node longer than the specified deadline".into(),
                );
                self.report(false, &containers, &BTreeMap::new()).await;
                return Ok(Duration::from_secs(1));
            }
            next = next.min(left);
        }
        let sandbox_ready = self.ensure_sandbox().await?;
        if let Some(v) = &self.volumes {
            if self
                .volumes_refreshed
                .is_none_or(|t| t.elapsed() >= VOLUME_REFRESH)
            {
                if let Err(e) = v.refresh(&self.sh.client, &self.pod).await {
                    tracing::debug!(pod = %self.key(), error = %e, "refreshing volumes");
                }
                self.volumes_refreshed = Some(Instant::now());
            }
        }
        let mut containers = self.runtime_containers().await?;
        let spec = self.pod.spec.clone().unwrap_or_default();
        let policy = restart_policy(&self.pod).to_string();
        let mut info: BTreeMap<String, ContainerInfo> = BTreeMap::new();
        let now = SystemTime::now();
        if sandbox_ready {
            // Whether the main containers ever started (sidecars then no longer gate them).
            let mains_started = spec
                .containers
                .iter()
                .any(|c| containers.contains_key(&c.name));
            // Init containers, one at a time, in order; sidecars (restartPolicy Always)
            // start in order too and then keep running beside the others.
            let mut init_done = true;
            for c in spec.init_containers.iter().flatten() {
                let latest = containers.get(&c.name).and_then(|l| l.first()).cloned();
                let sidecar = c.restart_policy.as_deref() == Some("Always");
                match latest {
                    Some(r) if r.state == api::ContainerState::ContainerCreated => {
                        self.start_created(c, &r).await;
                        init_done = false;
                        break;
                    }
                    Some(r) if r.state == api::ContainerState::ContainerRunning => {
                        if sidecar {
                            self.restart_if_changed(c, &r, &mut info).await;
                            continue;
                        }
                        init_done = false;
                        break;
                    }
                    Some(r) if !sidecar && r.exit_code == 0 => continue,
                    Some(r) => {
                        if policy == "Never" && !sidecar {
                            init_done = false;
                            break;
                        }
                        match self.restart_wait(&c.name, &r, now) {
                            Some(w) => {
                                info.entry(c.name.clone()).or_default().waiting =
                                    Some(self.crash_loop(c));
                                next = next.min(w);
                            }
                            None => self.start_container(c, r.attempt + 1, &mut info).await,
                        }
                        if sidecar && mains_started {
                            continue;
                        }
                        init_done = false;
                        break;
                    }
                    None => {
                        init_done = false;
                        self.start_container(c, 0, &mut info).await;
                        break;
                    }
                }
            }
            if init_done {
                for c in &spec.containers {
                    let latest = containers.get(&c.name).and_then(|l| l.first()).cloned();
                    match latest {
                        None => self.start_container(c, 0, &mut info).await,
                        Some(r) if r.state == api::ContainerState::ContainerExited => {
                            let restart = match policy.as_str() {
                                "Always" => true,
                                "OnFailure" => r.exit_code != 0,
                                _ => false,
                            };
                            if !restart {
                                continue;
                            }
                            match self.restart_wait(&c.name, &r, now) {
                                Some(w) => {
                                    info.entry(c.name.clone()).or_default().waiting =
                                        Some(self.crash_loop(c));
                                    next = next.min(w);
                                }
                                None => self.start_container(c, r.attempt + 1, &mut info).await,
                            }
                        }
                        Some(r) if r.state == api::ContainerState::ContainerCreated => {
                            self.start_created(c, &r).await;
                        }
                        Some(r) => self.restart_if_changed(c, &r, &mut info).await,
                    }
                }
            }
            containers = self.runtime_containers().await?;
            self.gc_dead_containers(&containers).await;
            // Probes for running containers that have none (adopted after an agent
            // restart, or started before a crash of the agent).
            for c in spec
                .init_containers
                .iter()
                .flatten()
                .chain(&spec.containers)
            {
                if c.liveness_probe.is_none()
                    && c.readiness_probe.is_none()
                    && c.startup_probe.is_none()
                {
                    continue;
                }
                let Some(r) = containers.get(&c.name).and_then(|l| l.first()) else {
                    continue;
                };
                if r.state == api::ContainerState::ContainerRunning
                    && !self.sh.probing(&self.uid, &c.name, &r.id)
                {
                    self.sh.container_started(&self.pod, c, &r.id, &self.pod_ip);
                }
            }
        } else {
            for c in spec
                .init_containers
                .iter()
                .flatten()
                .chain(&spec.containers)
            {
                if let Some(w) = self.config_errors.get("") {
                    info.entry(c.name.clone()).or_default().waiting = Some(w.clone());
                }
            }
            next = Duration::from_secs(2);
        }
        for (name, waiting) in &self.config_errors {
            if !name.is_empty() {
                info.entry(name.clone())
                    .or_default()
                    .waiting
                    .get_or_insert(waiting.clone());
            }
        }
        for (name, pull) in self.pulls.iter_mut() {
            let just_failed = std::mem::take(&mut pull.just_failed);
            if let Some(at) = pull.retry_at {
                if pull.failures > 0 {
                    let wait = at.saturating_duration_since(Instant::now());
                    next = next.min(wait.max(Duration::from_millis(100)));
                    let entry = info.entry(name.clone()).or_default();
                    let image = spec
                        .init_containers
                        .iter()
                        .flatten()
                        .chain(&spec.containers)
                        .find(|c| &c.name == name)
                        .and_then(|c| c.image.clone())
                        .unwrap_or_default();
                    let waiting = if just_failed || wait.is_zero() {
                        ("ErrImagePull".to_string(), pull.message.clone())
                    } else {
                        if !pull.backoff_reported {
                            pull.backoff_reported = true;
                            // (a field, not self.event: self.pulls is borrowed)
                            self.sh.events.pod(
                                &self.pod,
                                Some(name),
                                "Warning",
                                "Failed",
                                "Error: ImagePullBackOff".into(),
                            );
                        }
                        (
                            "ImagePullBackOff".to_string(),
                            format!(
                                "Back-off pulling image \"{image}\": ErrImagePull: {}",
                                pull.message
                            ),
                        )
                    };
                    entry.waiting.get_or_insert(waiting);
                }
            }
        }
        for c in spec
            .init_containers
            .iter()
            .flatten()
            .chain(&spec.containers)
        {
            self.sh.probe_info(
                &self.uid,
                c,
                containers.get(&c.name).and_then(|l| l.first()),
                info.entry(c.name.clone()).or_default(),
            );
        }
        self.report(sandbox_ready, &containers, &info).await;
        Ok(next)
    }

    /// Time left before activeDeadlineSeconds (counted from status.startTime) runs out.
    fn deadline_left(&self) -> Option<Duration> {
        let deadline = self.pod.spec.as_ref()?.active_deadline_seconds?;
        let start = self.pod.status.as_ref()?.start_time.as_ref()?.0;
        let end = start
            .checked_add(k8s_openapi::jiff::SignedDuration::from_secs(deadline))
            .ok()?;
        let left = end.duration_since(Timestamp::now());
        Some(Duration::try_from(left).unwrap_or(Duration::ZERO))
    }

    /// Starts a container left Created (the agent stopped between create and start).
    async fn start_created(&mut self, c: &Container, r: &RuntimeContainer) {
        match self.sh.cri.start_container(&r.id).await {
            Ok(()) => {
                self.event(
                    Some(&c.name),
                    "Normal",
                    "Started",
                    format!("Started container {}", c.name),
                );
                self.sh.container_started(&self.pod, c, &r.id, &self.pod_ip);
            }
            Err(e) => {
                tracing::warn!(pod = %self.key(), error = %cri_message(&e), "starting a created container")
            }
        }
    }

    /// A running container whose spec changed (e.g. `kubectl set image` on the pod) is
    /// killed and started again at once, as kubelet does.
    async fn restart_if_changed(
        &mut self,
        c: &Container,
        r: &RuntimeContainer,
        info: &mut BTreeMap<String, ContainerInfo>,
    ) {
        let want = container_hash(c);
        tracing::debug!(pod = %self.key(), container = %c.name, running = %r.hash, spec = %want, "container hash");
        if r.hash.is_empty() || r.hash == want {
            return;
        }
        self.event(
            Some(&c.name),
            "Normal",
            "Killing",
            format!("Container {} definition changed, will be restarted", c.name),
        );
        let grace = grace_period(&self.pod).max(0) as u64;
        if let Err(e) = self
            .sh
            .cri
            .stop_container(&r.id, Duration::from_secs(grace))
            .await
        {
            tracing::warn!(pod = %self.key(), error = %cri_message(&e), "stopping a changed container");
            return;
        }
        self.start_container(c, r.attempt + 1, info).await;
    }

    /// How long `r` (an exited container to be restarted) must still wait, or None to
    /// restart now, as kubelet's back-off: in back-off while the exit is younger than the
    /// current delay; each restart doubles the delay (10 s … 5 min), and an exit more than
    /// 10 min after the last restart step starts over at 10 s.
    fn restart_wait(
        &mut self,
        name: &str,
        r: &RuntimeContainer,
        now: SystemTime,
    ) -> Option<Duration> {
        let finished = system_time(r.finished_at);
        let since_exit = now.duration_since(finished).unwrap_or_default();
        let entry = self.backoff.get(name).copied();
        if let Some(b) = entry {
            if since_exit < b.delay {
                return Some(b.delay - since_exit);
            }
        }
        let delay = match entry {
            Some(b)
                if finished.duration_since(b.last_update).unwrap_or_default()
                    <= BACKOFF_MAX * 2 =>
            {
                (b.delay * 2).min(BACKOFF_MAX)
            }
            _ => BACKOFF_INITIAL,
        };
        self.backoff.insert(
            name.to_string(),
            Backoff {
                delay,
                last_update: finished,
            },
        );
        None
    }

    fn crash_loop(&self, c: &Container) -> (String, String) {
        let (ns, name) = ns_name(&self.pod);
        let delay = self
            .backoff
            .get(&c.name)
            .map_or(BACKOFF_INITIAL, |b| b.delay);
        self.event(
            Some(&c.name),
            "Warning",
            "BackOff",
            format!(
                "Back-off restarting failed container {} in pod {name}_{ns}({})",
                c.name, self.uid
            ),
        );
        (
            "CrashLoopBackOff".into(),
            format!(
                "back-off {} restarting failed container={} pod={name}_{ns}({})",
                human(delay),
                c.name,
                self.uid
            ),
        )
    }

    /// Pulls (when the policy says so), creates and starts container `c` as attempt
    /// `attempt`; problems end up in `info` (waiting reason) and events.
    async fn start_container(
        &mut self,
        c: &Container,
        attempt: u32,
        info: &mut BTreeMap<String, ContainerInfo>,
    ) {
        let Some((sandbox_id, sandbox_config)) = self.sandbox.clone() else {
            return;
        };
        let image = c.image.clone().unwrap_or_default();
        if !self.ensure_image(c, &image, &sandbox_config).await {
            return;
        }
        // A failure: kubelet's "Error: …" event and the waiting reason.
        let failed = |this: &Self,
                      info: &mut BTreeMap<String, ContainerInfo>,
                      reason: &str,
                      message: String| {
            this.event(
                Some(&c.name),
                "Warning",
                "Failed",
                format!("Error: {message}"),
            );
            info.entry(c.name.clone()).or_default().waiting = Some((reason.into(), message));
        };
        let config = match self
            .sh
            .container_config(&self.pod, c, attempt, &self.pod_ip, self.volumes.as_ref())
            .await
        {
            Ok(config) => config,
            Err(message) => {
                self.config_errors.insert(
                    c.name.clone(),
                    ("CreateContainerConfigError".into(), message.clone()),
                );
                failed(self, info, "CreateContainerConfigError", message);
                return;
            }
        };
        self.config_errors.remove(&c.name);
        let id = match self
            .sh
            .cri
            .create_container(&sandbox_id, config, sandbox_config)
            .await
        {
            Ok(id) => id,
            Err(e) => return failed(self, info, "CreateContainerError", cri_message(&e)),
        };
        self.event(
            Some(&c.name),
            "Normal",
            "Created",
            format!("Created container: {}", c.name),
        );
        if let Err(e) = self.sh.cri.start_container(&id).await {
            return failed(self, info, "RunContainerError", cri_message(&e));
        }
        self.event(
            Some(&c.name),
            "Normal",
            "Started",
            format!("Started container {}", c.name),
        );
        self.sh.container_started(&self.pod, c, &id, &self.pod_ip);
        if let Some(hook) = c.lifecycle.as_ref().and_then(|l| l.post_start.clone()) {
            if let Err(why) = self
                .sh
                .run_hook(
                    &self.pod,
                    &hook,
                    c,
                    &id,
                    &self.pod_ip,
                    Duration::from_secs(30),
                )
                .await
            {
                self.event(Some(&c.name), "Warning", "FailedPostStartHook", why);
                let _ = self
                    .sh
                    .cri
                    .stop_container(&id, Duration::from_secs(grace_period(&self.pod) as u64))
                    .await;
            }
        }
    }

    /// Whether the image is there, pulling it per imagePullPolicy (with back-off).
    async fn ensure_image(
        &mut self,
        c: &Container,
        image: &str,
        sandbox_config: &api::PodSandboxConfig,
    ) -> bool {
        let policy = c.image_pull_policy.clone().unwrap_or_else(|| {
            let tag_latest = !image.contains('@')
                && image
                    .rsplit('/')
                    .next()
                    .is_none_or(|l| !l.contains(':') || l.ends_with(":latest"));
            if tag_latest { "Always" } else { "IfNotPresent" }.into()
        });
        let present = match self.sh.cri.image_status(image).await {
            Ok(s) => s.is_some(),
            Err(_) => false,
        };
        let need_pull = match policy.as_str() {
            "Never" => {
                if !present {
                    let msg = format!(
                        "Container image \"{image}\" is not present with pull policy of Never"
                    );
                    self.event(Some(&c.name), "Warning", "ErrImageNeverPull", msg.clone());
                    self.config_errors
                        .insert(c.name.clone(), ("ErrImageNeverPull".into(), msg));
                    return false;
                }
                false
            }
            "Always" => true,
            _ => !present,
        };
        if !need_pull {
            self.event(
                Some(&c.name),
                "Normal",
                "Pulled",
                format!("Container image \"{image}\" already present on machine"),
            );
            self.pulls.remove(&c.name);
            return true;
        }
        if let Some(p) = self.pulls.get(&c.name) {
            if p.retry_at.is_some_and(|t| Instant::now() < t) {
                self.event(
                    Some(&c.name),
                    "Normal",
                    "BackOff",
                    format!("Back-off pulling image \"{image}\""),
                );
                return false;
            }
        }
        self.event(
            Some(&c.name),
            "Normal",
            "Pulling",
            format!("Pulling image \"{image}\""),
        );
        let started = Instant::now();
        match self
            .sh
            .cri
            .pull_image(image, None, Some(sandbox_config.clone()))
            .await
        {
            Ok(_) => {
                let took = started.elapsed();
                let size = match self.sh.cri.image_status(image).await {
                    Ok(Some(i)) => format!(" Image size: {} bytes.", i.size),
                    _ => String::new(),
                };
                self.event(Some(&c.name),
                    "Normal",
                    "Pulled",
                    format!("Successfully pulled image \"{image}\" in {took:.3?} ({took:.3?} including waiting).{size}"),
                );
                self.pulls.remove(&c.name);
                true
            }
            Err(e) => {
                let raw = cri_message(&e);
                let msg = format!("Failed to pull image \"{image}\": {raw}");
                self.event(Some(&c.name), "Warning", "Failed", msg);
                self.event(
                    Some(&c.name),
                    "Warning",
                    "Failed",
                    "Error: ErrImagePull".into(),
                );
                let p = self.pulls.entry(c.name.clone()).or_default();
                p.failures += 1;
                p.just_failed = true;
                p.backoff_reported = false;
                let delay = (BACKOFF_INITIAL
                    * 2u32.saturating_pow(p.failures.saturating_sub(1).min(5)))
                .min(BACKOFF_MAX);
                p.retry_at = Some(Instant::now() + delay);
                p.message = raw;
                self.wake_later(Duration::from_secs(1));
                false
            }
        }
    }

    /// Asks for another sync after `d` (so ErrImagePull turns into ImagePullBackOff).
    fn wake_later(&self, d: Duration) {
        let wake = self.wake.clone();
        tokio::spawn(async move {
            tokio::time::sleep(d).await;
            wake.notify_one();
        });
    }

    /// Removes dead containers but the newest two of each name (the current one and the
    /// previous, kept for `logs --previous` and lastState), with their log files, as
    /// kubelet's container GC.
    async fn gc_dead_containers(&self, containers: &BTreeMap<String, Vec<RuntimeContainer>>) {
        for list in containers.values() {
            for c in list
                .iter()
                .skip(2)
                .filter(|c| c.state == api::ContainerState::ContainerExited)
            {
                let log = self
                    .sh
                    .cri
                    .container_status(&c.id, false)
                    .await
                    .ok()
                    .and_then(|s| s.status)
                    .map(|s| s.log_path)
                    .filter(|p| !p.is_empty());
                match self.sh.cri.remove_container(&c.id).await {
                    Ok(()) => {
                        if let Some(log) = log {
                            let _ = std::fs::remove_file(log);
                        }
                        self.term_messages
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .remove(&c.id);
                    }
                    Err(e) => {
                        tracing::debug!(error = %cri_message(&e), "removing a dead container")
                    }
                }
            }
        }
    }

    /// Writes the pod's status when it changed.
    async fn report(
        &mut self,
        sandbox_ready: bool,
        containers: &BTreeMap<String, Vec<RuntimeContainer>>,
        info: &BTreeMap<String, ContainerInfo>,
    ) {
        // The newest status the API server has (updates of status alone do not wake us):
        // conditions others own (readiness gates, DisruptionTarget) are kept from it.
        if let PodUpdate::Pod(p) = &*self.rx.borrow() {
            if p.metadata.uid == self.pod.metadata.uid {
                self.pod.status = p.status.clone();
            }
        }
        let host_ip = self.sh.node_ip.to_string();
        let qos = super::qos_class(&self.pod);
        let new = status::generate(&status::Inputs {
            pod: &self.pod,
            host_ip: &host_ip,
            pod_ip: Some(&self.pod_ip),
            sandbox_ready,
            containers,
            info,
            qos_class: qos,
            now: Timestamp::now(),
            terminating: self.pod.metadata.deletion_timestamp.is_some(),
            failure: self.forced_failure.clone(),
        });
        let current = self.pod.status.clone().unwrap_or_default();
        if !status::differs(&current, &new) {
            return;
        }
        // A strategic merge patch: conditions merge by type, so a condition another
        // writer added meanwhile stays.
        let old = serde_json::to_value(&current).unwrap_or_default();
        let newv = serde_json::to_value(&new).unwrap_or_default();
        let patch = json!({"metadata": {"uid": self.uid}, "status": merge_diff(&old, &newv)});
        let (_, name) = ns_name(&self.pod);
        match self
            .pods_api()
            .patch_status(&name, &PatchParams::default(), &Patch::Strategic(&patch))
            .await
        {
            Ok(p) => self.pod.status = p.status,
            Err(e) => tracing::debug!(pod = %self.key(), error = %e, "updating pod status"),
        }
    }

    /// Stops every running container of the pod with `grace` seconds (preStop first);
    /// Err when the runtime could not be asked or a container still runs.
    async fn kill_containers(&self, grace: i64) -> Result<(), String> {
        let containers = self
            .runtime_containers()
            .await
            .map_err(|e| cri_message(&e))?;
        let spec = self.pod.spec.clone().unwrap_or_default();
        let mut tasks = Vec::new();
        for (name, list) in containers {
            for r in list.into_iter().filter(|r| {
                r.state == api::ContainerState::ContainerRunning
                    || r.state == api::ContainerState::ContainerCreated
            }) {
                let sh = self.sh.clone();
                let pod = self.pod.clone();
                let pod_ip = self.pod_ip.clone();
                let c = spec
                    .init_containers
                    .iter()
                    .flatten()
                    .chain(&spec.containers)
                    .find(|c| c.name == name)
                    .cloned();
                tasks.push(tokio::spawn(async move {
                    let start = Instant::now();
                    if let Some(c) = &c {
                        sh.events.pod(
                            &pod,
                            Some(&c.name),
                            "Normal",
                            "Killing",
                            format!("Stopping container {}", c.name),
                        );
                        if let Some(hook) = c.lifecycle.as_ref().and_then(|l| l.pre_stop.clone()) {
                            let t = Duration::from_secs(grace.max(1) as u64);
                            if let Err(why) = sh.run_hook(&pod, &hook, c, &r.id, &pod_ip, t).await {
                                sh.events.pod(
                                    &pod,
                                    Some(&c.name),
                                    "Warning",
                                    "FailedPreStopHook",
                                    why,
                                );
                            }
                        }
                    }
                    let left =
                        Duration::from_secs(grace.max(0) as u64).saturating_sub(start.elapsed());
                    // kubelet gives at least 2 s after the preStop hook.
                    let left = if grace > 0 {
                        left.max(Duration::from_secs(2))
                    } else {
                        left
                    };
                    if let Err(e) = sh.cri.stop_container(&r.id, left).await {
                        if !e.is_not_found() {
                            tracing::warn!(error = %cri_message(&e), "stopping container");
                        }
                    }
                }));
            }
        }
        for t in tasks {
            let _ = t.await;
        }
        let left = self
            .runtime_containers()
            .await
            .map_err(|e| cri_message(&e))?;
        let running: Vec<&str> = left
            .iter()
            .filter(|(_, l)| {
                l.iter()
                    .any(|r| r.state == api::ContainerState::ContainerRunning)
            })
            .map(|(n, _)| n.as_str())
            .collect();
        if running.is_empty() {
            Ok(())
        } else {
            Err(format!("containers still running: {}", running.join(", ")))
        }
    }

    /// Kills the pod's containers and sandbox; with `delete`, then removes the pod from
    /// the API server (grace 0, as kubelet's status manager does once all stopped).
    async fn terminate(&mut self, delete: bool) -> Result<(), String> {
        self.kill_containers(grace_period(&self.pod)).await?;
        let sandboxes = self.sandboxes().await.map_err(|e| cri_message(&e))?;
        for s in &sandboxes {
            self.sh
                .cri
                .stop_pod_sandbox(&s.id)
                .await
                .map_err(|e| cri_message(&e))?;
        }
        if delete {
            // Report the final container states first (as kubelet does).
            if let Ok(containers) = self.runtime_containers().await {
                let info = BTreeMap::new();
                self.report(false, &containers, &info).await;
            }
            let (_, name) = ns_name(&self.pod);
            let dp = DeleteParams {
                grace_period_seconds: Some(0),
                preconditions: Some(Preconditions {
                    uid: Some(self.uid.clone()),
                    resource_version: None,
                }),
                ..Default::default()
            };
            match self.pods_api().delete(&name, &dp).await {
                Ok(_) => {}
                Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => {}
                Err(e) => return Err(e.to_string()),
            }
        }
        Ok(())
    }

    /// Removes the runtime's containers and sandboxes of a pod gone from the API server,
    /// and the pod's directories.
    async fn cleanup(&mut self) {
        if let Ok(containers) = self.runtime_containers().await {
            for r in containers.values().flatten() {
                let _ = self.sh.cri.remove_container(&r.id).await;
            }
        }
        if let Ok(sandboxes) = self.sandboxes().await {
            for s in sandboxes {
                let _ = self.sh.cri.stop_pod_sandbox(&s.id).await;
                let _ = self.sh.cri.remove_pod_sandbox(&s.id).await;
            }
        }
        self.sh.pod_gone(&self.uid).await;
    }
}

/// kubelet prints back-off durations like Go: 10s, 20s, 40s, 1m20s, 2m40s, 5m0s.
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 60 {
        format!("{}m{}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

/// Where a container's log goes, relative to the sandbox log directory.
pub fn log_path(container: &str, attempt: u32) -> PathBuf {
    PathBuf::from(container).join(format!("{attempt}.log"))
}

/// Labels and annotations of a container the way kubelet sets them.
pub fn container_labels(
    pod: &Pod,
    c: &Container,
    attempt: u32,
) -> (HashMap<String, String>, HashMap<String, String>) {
    let (ns, name) = ns_name(pod);
    let labels = HashMap::from([
        (LABEL_POD_NAME.to_string(), name),
        (LABEL_POD_NAMESPACE.to_string(), ns),
        (
            LABEL_POD_UID.to_string(),
            pod.metadata.uid.clone().unwrap_or_default(),
        ),
        (LABEL_CONTAINER_NAME.to_string(), c.name.clone()),
    ]);
    let annotations = HashMap::from([
        (ANN_RESTART_COUNT.to_string(), attempt.to_string()),
        (
            ANN_TERMINATION_MESSAGE_PATH.to_string(),
            c.termination_message_path
                .clone()
                .unwrap_or_else(|| "/dev/termination-log".into()),
        ),
        (
            ANN_TERMINATION_MESSAGE_POLICY.to_string(),
            c.termination_message_policy
                .clone()
                .unwrap_or_else(|| "File".into()),
        ),
        (ANN_GRACE.to_string(), grace_period(pod).to_string()),
        (ANN_HASH.to_string(), container_hash(c)),
    ]);
    (labels, annotations)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_diff_nulls_removed_keys() {
        let old = json!({"a": 1, "s": {"waiting": {"reason": "X"}}, "l": [1, 2]});
        let new = json!({"a": 1, "s": {"running": {"startedAt": "t"}}, "l": [1]});
        let d = merge_diff(&old, &new);
        assert_eq!(
            d,
            json!({"s": {"running": {"startedAt": "t"}, "waiting": null}, "l": [1]})
        );
    }

    #[test]
    fn human_durations() {
        assert_eq!(human(Duration::from_secs(10)), "10s");
        assert_eq!(human(Duration::from_secs(80)), "1m20s");
        assert_eq!(human(Duration::from_secs(300)), "5m0s");
    }
}
