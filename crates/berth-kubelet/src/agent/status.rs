//! The pod status a kubelet reports: container statuses from the runtime's containers,
//! phase and conditions (pkg/kubelet/kubelet_pods.go generateAPIPodStatus, getPhase,
//! pkg/kubelet/status/generate.go).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Container, ContainerState, ContainerStateRunning, ContainerStateTerminated,
    ContainerStateWaiting, ContainerStatus, HostIP, Pod, PodCondition, PodIP, PodStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

use crate::cri::api;

/// One container the runtime has (or had) for a pod container name.
#[derive(Clone, Debug)]
pub struct RuntimeContainer {
    pub id: String,
    pub attempt: u32,
    pub state: api::ContainerState,
    pub created_at: i64,
    pub started_at: i64,
    pub finished_at: i64,
    pub exit_code: i32,
    pub reason: String,
    pub message: String,
    pub image_ref: String,
    pub image: String,
    /// The spec hash the container was created with.
    pub hash: String,
}

/// What the pod worker knows about one spec container besides the runtime's containers.
#[derive(Clone, Debug, Default)]
pub struct ContainerInfo {
    /// Why it is not running yet / again (e.g. ContainerCreating, ErrImagePull,
    /// ImagePullBackOff, CrashLoopBackOff, CreateContainerConfigError) and the message.
    pub waiting: Option<(String, String)>,
    /// Readiness probe result (None: no readiness probe).
    pub ready: Option<bool>,
    /// Startup probe result (None: no startup probe).
    pub started: Option<bool>,
}

/// Inputs of a status computation.
pub struct Inputs<'a> {
    pub pod: &'a Pod,
    pub host_ip: &'a str,
    pub pod_ip: Option<&'a str>,
    /// Whether the sandbox is ready (PodReadyToStartContainers).
    pub sandbox_ready: bool,
    /// Runtime containers by spec container name, newest first.
    pub containers: &'a BTreeMap<String, Vec<RuntimeContainer>>,
    pub info: &'a BTreeMap<String, ContainerInfo>,
    pub qos_class: &'a str,
    pub now: Timestamp,
    /// The pod is being terminated (deleted): when all containers stopped, the phase is
    /// terminal even for restartPolicy Always (kubelet since 1.27).
    pub terminating: bool,
    /// The pod failed on the node (reason, message), e.g. DeadlineExceeded.
    pub failure: Option<(String, String)>,
}

fn time(nanos: i64) -> Option<Time> {
    (nanos > 0)
        .then(|| Timestamp::from_nanosecond(i128::from(nanos)).ok())
        .flatten()
        .map(Time)
}

/// `docker.io/library/` prefix and `:latest` as containerd reports image names.
pub fn normalize_image(image: &str) -> String {
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    let first = name.split('/').next().unwrap_or("");
    let has_registry =
        name.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    let mut full = if has_registry {
        name.to_string()
    } else if name.contains('/') {
        format!("docker.io/{name}")
    } else {
        format!("docker.io/library/{name}")
    };
    let last = full.rsplit('/').next().unwrap_or("");
    if digest.is_none() && !last.contains(':') {
        full.push_str(":latest");
    }
    match digest {
        Some(d) => format!("{full}@{d}"),
        None => full,
    }
}

fn terminated(c: &RuntimeContainer) -> ContainerStateTerminated {
    let reason = if c.reason.is_empty() {
        if c.exit_code == 0 {
            "Completed"
        } else {
            "Error"
        }
        .to_string()
    } else {
        c.reason.clone()
    };
    ContainerStateTerminated {
        container_id: Some(format!("containerd://{}", c.id)),
        exit_code: c.exit_code,
        finished_at: time(c.finished_at),
        message: (!c.message.is_empty()).then(|| c.message.clone()),
        reason: Some(reason),
        signal: None,
        started_at: time(c.started_at),
    }
}

fn container_status(
    spec: &Container,
    runtime: &[RuntimeContainer],
    info: Option<&ContainerInfo>,
    old: Option<&ContainerStatus>,
    default_waiting: &str,
) -> ContainerStatus {
    let mut s = ContainerStatus {
        name: spec.name.clone(),
        image: spec.image.clone().unwrap_or_default(),
        image_id: String::new(),
        restart_count: 0,
        started: Some(false),
        ready: false,
        ..Default::default()
    };
    let latest = runtime.first();
    let previous = runtime.get(1);
    if let Some(c) = latest {
        s.restart_count = c.attempt as i32;
        s.container_id = Some(format!("containerd://{}", c.id));
        s.image_id = c.image_ref.clone();
        if !c.image.is_empty() {
            s.image = c.image.clone();
        }
    } else if let Some(o) = old {
        s.restart_count = o.restart_count;
    }
    let waiting = info.and_then(|i| i.waiting.clone());
    match latest {
        Some(c) if c.state == api::ContainerState::ContainerRunning => {
            let started = info.and_then(|i| i.started).unwrap_or(true);
            s.started = Some(started);
            s.ready = started && info.and_then(|i| i.ready).unwrap_or(true);
            s.state = Some(ContainerState {
                running: Some(ContainerStateRunning {
                    started_at: time(c.started_at),
                }),
                ..Default::default()
            });
            s.last_state = previous.map(|p| ContainerState {
                terminated: Some(terminated(p)),
                ..Default::default()
            });
        }
        Some(c) if c.state == api::ContainerState::ContainerExited => match waiting {
            // Exited and to be started again (or being started again).
            Some((reason, message)) => {
                s.state = Some(ContainerState {
                    waiting: Some(ContainerStateWaiting {
                        reason: Some(reason),
                        message: (!message.is_empty()).then_some(message),
                    }),
                    ..Default::default()
                });
                s.last_state = Some(ContainerState {
                    terminated: Some(terminated(c)),
                    ..Default::default()
                });
            }
            None => {
                s.state = Some(ContainerState {
                    terminated: Some(terminated(c)),
                    ..Default::default()
                });
                s.last_state = previous.map(|p| ContainerState {
                    terminated: Some(terminated(p)),
                    ..Default::default()
                });
            }
        },
        _ => {
            let (reason, message) =
                waiting.unwrap_or_else(|| (default_waiting.to_string(), String::new()));
            s.state = Some(ContainerState {
                waiting: Some(ContainerStateWaiting {
                    reason: Some(reason),
                    message: (!message.is_empty()).then_some(message),
                }),
                ..Default::default()
            });
            s.last_state = latest
                .filter(|c| c.state == api::ContainerState::ContainerExited)
                .or(previous)
                .map(|p| ContainerState {
                    terminated: Some(terminated(p)),
                    ..Default::default()
                })
                .or_else(|| old.and_then(|o| o.last_state.clone()));
        }
    }
    s
}

fn is_terminated_ok(s: &ContainerStatus) -> bool {
    s.state
        .as_ref()
        .and_then(|st| st.terminated.as_ref())
        .is_some_and(|t| t.exit_code == 0)
}

/// Whether init container `name` is a sidecar (restartPolicy Always).
fn is_sidecar(pod: &Pod, name: &str) -> bool {
    pod.spec
        .as_ref()
        .and_then(|s| s.init_containers.as_ref())
        .and_then(|l| l.iter().find(|c| c.name == name))
        .is_some_and(|c| c.restart_policy.as_deref() == Some("Always"))
}

/// An init container is done: exited 0, or a sidecar that runs (and has started).
fn init_container_done(pod: &Pod, s: &ContainerStatus) -> bool {
    if is_sidecar(pod, &s.name) {
        s.state
            .as_ref()
            .and_then(|st| st.running.as_ref())
            .is_some()
            && s.started == Some(true)
    } else {
        is_terminated_ok(s)
    }
}

/// Whether all init containers have succeeded (sidecars: are running).
pub fn init_done(pod: &Pod, statuses: &[ContainerStatus]) -> bool {
    let n = pod
        .spec
        .as_ref()
        .and_then(|s| s.init_containers.as_ref())
        .map_or(0, Vec::len);
    n == 0 || (statuses.len() == n && statuses.iter().all(|s| init_container_done(pod, s)))
}

/// kubelet's getPhase.
pub fn phase(
    pod: &Pod,
    init: &[ContainerStatus],
    containers: &[ContainerStatus],
    terminating: bool,
) -> &'static str {
    let policy = pod
        .spec
        .as_ref()
        .and_then(|s| s.restart_policy.as_deref())
        .unwrap_or("Always");
    let mut pending_init = false;
    let mut failed_init = false;
    for s in init {
        if is_sidecar(pod, &s.name) {
            if !init_container_done(pod, s)
                && !containers
                    .iter()
                    .any(|c| c.state.as_ref().is_some_and(|st| st.waiting.is_none()))
            {
                pending_init = true;
                break;
            }
            continue;
        }
        let st = s.state.as_ref();
        if let Some(t) = st.and_then(|st| st.terminated.as_ref()) {
            if t.exit_code != 0 {
                failed_init = true;
            }
        } else if st.and_then(|st| st.waiting.as_ref()).is_some() {
            let last_failed = s
                .last_state
                .as_ref()
                .and_then(|l| l.terminated.as_ref())
                .is_some_and(|t| t.exit_code != 0);
            if last_failed {
                failed_init = true;
            }
            pending_init = true;
        } else {
            pending_init = true;
        }
        if pending_init {
            break;
        }
    }
    if failed_init && policy == "Never" {
        return "Failed";
    }
    let (mut running, mut waiting, mut stopped, mut succeeded) = (0, 0, 0, 0);
    for s in containers {
        let st = s.state.as_ref();
        if st.and_then(|st| st.running.as_ref()).is_some() {
            running += 1;
        } else if let Some(t) = st.and_then(|st| st.terminated.as_ref()) {
            stopped += 1;
            if t.exit_code == 0 {
                succeeded += 1;
            }
        } else if s
            .last_state
            .as_ref()
            .and_then(|l| l.terminated.as_ref())
            .is_some()
        {
            stopped += 1;
        } else {
            waiting += 1;
        }
    }
    if pending_init || failed_init {
        return "Pending";
    }
    if waiting > 0 {
        "Pending"
    } else if running > 0 {
        "Running"
    } else if stopped > 0 {
        if policy == "Always" && !terminating {
            "Running"
        } else if stopped == succeeded {
            "Succeeded"
        } else if policy == "Never" || terminating {
            "Failed"
        } else {
            "Running"
        }
    } else {
        "Pending"
    }
}

fn condition(
    old: &[PodCondition],
    type_: &str,
    status: bool,
    reason: Option<&str>,
    message: Option<String>,
    now: Timestamp,
) -> PodCondition {
    let status = if status { "True" } else { "False" };
    let prev = old.iter().find(|c| c.type_ == type_);
    let transition = prev
        .filter(|p| p.status == status)
        .and_then(|p| p.last_transition_time.clone())
        .unwrap_or(Time(now));
    PodCondition {
        type_: type_.into(),
        status: status.into(),
        reason: reason.map(String::from),
        message,
        last_transition_time: Some(transition),
        last_probe_time: None,
        observed_generation: None,
    }
}

/// The status to report, given what the API server has (`pod.status`).
pub fn generate(inputs: &Inputs<'_>) -> PodStatus {
    let pod = inputs.pod;
    let spec = pod.spec.clone().unwrap_or_default();
    let old = pod.status.clone().unwrap_or_default();
    let empty = Vec::new();
    let find_old = |list: &Option<Vec<ContainerStatus>>, name: &str| {
        list.as_ref()
            .and_then(|l| l.iter().find(|s| s.name == name).cloned())
    };
    let inits: Vec<ContainerStatus> = spec
        .init_containers
        .iter()
        .flatten()
        .map(|c| {
            container_status(
                c,
                inputs.containers.get(&c.name).unwrap_or(&empty),
                inputs.info.get(&c.name),
                find_old(&old.init_container_statuses, &c.name).as_ref(),
                "PodInitializing",
            )
        })
        .collect();
    let initialized = init_done(pod, &inits);
    let containers: Vec<ContainerStatus> = spec
        .containers
        .iter()
        .map(|c| {
            container_status(
                c,
                inputs.containers.get(&c.name).unwrap_or(&empty),
                inputs.info.get(&c.name),
                find_old(&old.container_statuses, &c.name).as_ref(),
                if initialized {
                    "ContainerCreating"
                } else {
                    "PodInitializing"
                },
            )
        })
        .collect();
    let api_phase = old.phase.as_deref().unwrap_or_default();
    let phase = if inputs.failure.is_some() {
        "Failed"
    } else if matches!(api_phase, "Succeeded" | "Failed") {
        // A terminal phase never goes back (kubelet refuses the transition).
        if api_phase == "Succeeded" {
            "Succeeded"
        } else {
            "Failed"
        }
    } else {
        phase(pod, &inits, &containers, inputs.terminating)
    };
    let old_conditions = old.conditions.clone().unwrap_or_default();
    let now = inputs.now;
    let unready: Vec<&str> = containers
        .iter()
        .filter(|c| !c.ready)
        .map(|c| c.name.as_str())
        .collect();
    let not_init: Vec<&str> = inits
        .iter()
        .filter(|c| !init_container_done(pod, c))
        .map(|c| c.name.as_str())
        .collect();
    let terminal = matches!(phase, "Succeeded" | "Failed");
    let mut conditions: Vec<PodCondition> = Vec::new();
    conditions.push(condition(
        &old_conditions,
        "PodReadyToStartContainers",
        inputs.sandbox_ready && !terminal,
        None,
        None,
        now,
    ));
    conditions.push(if initialized || terminal && not_init.is_empty() {
        let reason = (phase == "Succeeded" && !inits.is_empty()).then_some("PodCompleted");
        condition(&old_conditions, "Initialized", true, reason, None, now)
    } else {
        condition(
            &old_conditions,
            "Initialized",
            false,
            Some("ContainersNotInitialized"),
            Some(format!(
                "containers with incomplete status: [{}]",
                not_init.join(" ")
            )),
            now,
        )
    });
    let (ready, reason, message) = if terminal {
        (
            false,
            Some(if phase == "Failed" {
                "PodFailed"
            } else {
                "PodCompleted"
            }),
            None,
        )
    } else if !initialized {
        (
            false,
            Some("ContainersNotInitialized"),
            Some(format!(
                "containers with incomplete status: [{}]",
                not_init.join(" ")
            )),
        )
    } else if !unready.is_empty() {
        (
            false,
            Some("ContainersNotReady"),
            Some(format!(
                "containers with unready status: [{}]",
                unready.join(" ")
            )),
        )
    } else {
        (true, None, None)
    };
    conditions.push(condition(
        &old_conditions,
        "ContainersReady",
        ready,
        reason,
        message.clone(),
        now,
    ));
    // Readiness gates: conditions others set decide Ready (not ContainersReady).
    let mut gate_problems = Vec::new();
    for gate in spec.readiness_gates.iter().flatten() {
        match old_conditions
            .iter()
            .find(|c| c.type_ == gate.condition_type)
        {
            None => gate_problems.push(format!(
                "corresponding condition of pod readiness gate {:?} does not exist.",
                gate.condition_type
            )),
            Some(c) if c.status != "True" => gate_problems.push(format!(
                "the status of pod readiness gate {:?} is not \"True\", but {}",
                gate.condition_type, c.status
            )),
            Some(_) => {}
        }
    }
    if ready && !gate_problems.is_empty() {
        conditions.push(condition(
            &old_conditions,
            "Ready",
            false,
            Some("ReadinessGatesNotReady"),
            Some(gate_problems.join(", ")),
            now,
        ));
    } else {
        conditions.push(condition(
            &old_conditions,
            "Ready",
            ready,
            reason,
            message,
            now,
        ));
    }
    // Conditions owned by others (PodScheduled, DisruptionTarget, readiness gates) stay.
    for c in &old_conditions {
        if !conditions.iter().any(|n| n.type_ == c.type_) {
            conditions.push(c.clone());
        }
    }
    conditions.sort_by_key(|c| match c.type_.as_str() {
        "PodReadyToStartContainers" => 0,
        "Initialized" => 1,
        "Ready" => 2,
        "ContainersReady" => 3,
        "PodScheduled" => 4,
        _ => 5,
    });
    let pod_ip = inputs
        .pod_ip
        .filter(|ip| !ip.is_empty())
        .map(String::from)
        .or_else(|| old.pod_ip.clone());
    PodStatus {
        phase: Some(phase.into()),
        conditions: Some(conditions),
        host_ip: Some(inputs.host_ip.into()),
        host_ips: Some(vec![HostIP {
            ip: inputs.host_ip.into(),
        }]),
        pod_ip: pod_ip.clone(),
        pod_ips: pod_ip.map(|ip| vec![PodIP { ip }]),
        start_time: old.start_time.clone().or(Some(Time(now))),
        init_container_statuses: (!inits.is_empty()).then_some(inits),
        container_statuses: Some(containers),
        qos_class: Some(inputs.qos_class.into()),
        message: inputs
            .failure
            .as_ref()
            .map(|f| f.1.clone())
            .or_else(|| old.message.clone()),
        reason: inputs
            .failure
            .as_ref()
            .map(|f| f.0.clone())
            .or_else(|| old.reason.clone()),
        nominated_node_name: old.nominated_node_name.clone(),
        ..Default::default()
    }
}

/// Whether two statuses differ in anything a kubelet would write for.
pub fn differs(a: &PodStatus, b: &PodStatus) -> bool {
    serde_json::to_value(a).ok() != serde_json::to_value(b).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::PodSpec;

    fn pod(policy: &str) -> Pod {
        Pod {
            spec: Some(PodSpec {
                restart_policy: Some(policy.into()),
                containers: vec![Container {
                    name: "a".into(),
                    image: Some("busybox".into()),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn rc(attempt: u32, state: api::ContainerState, exit: i32) -> RuntimeContainer {
        RuntimeContainer {
            id: format!("id{attempt}"),
            attempt,
            state,
            created_at: 1,
            started_at: 1_000_000_000,
            finished_at: if state == api::ContainerState::ContainerExited {
                2_000_000_000
            } else {
                0
            },
            exit_code: exit,
            reason: String::new(),
            message: String::new(),
            image_ref: "sha256:abc".into(),
            image: "docker.io/library/busybox:latest".into(),
            hash: String::new(),
        }
    }

    fn gen(p: &Pod, cs: Vec<RuntimeContainer>, info: ContainerInfo) -> PodStatus {
        let containers = BTreeMap::from([("a".to_string(), cs)]);
        let info = BTreeMap::from([("a".to_string(), info)]);
        generate(&Inputs {
            pod: p,
            host_ip: "10.0.0.1",
            pod_ip: Some("10.244.0.5"),
            sandbox_ready: true,
            containers: &containers,
            info: &info,
            qos_class: "BestEffort",
            now: Timestamp::from_second(5).unwrap(),
            terminating: false,
            failure: None,
        })
    }

    #[test]
    fn phases() {
        let p = pod("Always");
        let s = gen(&p, vec![], ContainerInfo::default());
        assert_eq!(s.phase.as_deref(), Some("Pending"));
        assert_eq!(
            s.container_statuses.as_ref().unwrap()[0]
                .state
                .as_ref()
                .unwrap()
                .waiting
                .as_ref()
                .unwrap()
                .reason
                .as_deref(),
            Some("ContainerCreating")
        );
        let s = gen(
            &p,
            vec![rc(0, api::ContainerState::ContainerRunning, 0)],
            ContainerInfo::default(),
        );
        assert_eq!(s.phase.as_deref(), Some("Running"));
        assert!(s.container_statuses.as_ref().unwrap()[0].ready);
        let ready = s
            .conditions
            .as_ref()
            .unwrap()
            .iter()
            .find(|c| c.type_ == "Ready")
            .unwrap();
        assert_eq!(ready.status, "True");
        // Crash looping: waiting with lastState terminated, still Running.
        let s = gen(
            &p,
            vec![
                rc(2, api::ContainerState::ContainerExited, 1),
                rc(1, api::ContainerState::ContainerExited, 1),
            ],
            ContainerInfo {
                waiting: Some(("CrashLoopBackOff".into(), "back-off 20s".into())),
                ..Default::default()
            },
        );
        assert_eq!(s.phase.as_deref(), Some("Running"));
        let c = &s.container_statuses.as_ref().unwrap()[0];
        assert_eq!(c.restart_count, 2);
        assert_eq!(
            c.last_state
                .as_ref()
                .unwrap()
                .terminated
                .as_ref()
                .unwrap()
                .reason
                .as_deref(),
            Some("Error")
        );
        let p = pod("Never");
        let s = gen(
            &p,
            vec![rc(0, api::ContainerState::ContainerExited, 0)],
            ContainerInfo::default(),
        );
        assert_eq!(s.phase.as_deref(), Some("Succeeded"));
        let s = gen(
            &p,
            vec![rc(0, api::ContainerState::ContainerExited, 3)],
            ContainerInfo::default(),
        );
        assert_eq!(s.phase.as_deref(), Some("Failed"));
        let p = pod("OnFailure");
        let s = gen(
            &p,
            vec![rc(0, api::ContainerState::ContainerExited, 0)],
            ContainerInfo::default(),
        );
        assert_eq!(s.phase.as_deref(), Some("Succeeded"));
    }

    #[test]
    fn terminating_pods_end_terminal_and_terminal_phases_stick() {
        let p = pod("Always");
        let cs = vec![rc(0, api::ContainerState::ContainerExited, 143)];
        let containers = BTreeMap::from([("a".to_string(), cs)]);
        let info = BTreeMap::new();
        let mut inputs = Inputs {
            pod: &p,
            host_ip: "10.0.0.1",
            pod_ip: Some("10.244.0.5"),
            sandbox_ready: false,
            containers: &containers,
            info: &info,
            qos_class: "BestEffort",
            now: Timestamp::from_second(5).unwrap(),
            terminating: false,
            failure: None,
        };
        assert_eq!(generate(&inputs).phase.as_deref(), Some("Running"));
        inputs.terminating = true;
        let s = generate(&inputs);
        assert_eq!(s.phase.as_deref(), Some("Failed"));
        let ready = s
            .conditions
            .as_ref()
            .unwrap()
            .iter()
            .find(|c| c.type_ == "Ready")
            .unwrap();
        assert_eq!(ready.reason.as_deref(), Some("PodFailed"));
        // Once the API server says Failed, nothing makes it Running again.
        let mut failed = p.clone();
        failed.status = Some(PodStatus {
            phase: Some("Failed".into()),
            ..Default::default()
        });
        let running = BTreeMap::from([(
            "a".to_string(),
            vec![rc(1, api::ContainerState::ContainerRunning, 0)],
        )]);
        inputs.pod = &failed;
        inputs.containers = &running;
        inputs.terminating = false;
        assert_eq!(generate(&inputs).phase.as_deref(), Some("Failed"));
        inputs.pod = &p;
        inputs.failure = Some((
            "DeadlineExceeded".into(),
            "Pod was active on the node longer than the specified deadline".into(),
        ));
        let s = generate(&inputs);
        assert_eq!(s.phase.as_deref(), Some("Failed"));
        assert_eq!(s.reason.as_deref(), Some("DeadlineExceeded"));
    }

    #[test]
    fn readiness_gates_hold_ready_but_not_containers_ready() {
        let mut p = pod("Always");
        p.spec.as_mut().unwrap().readiness_gates =
            Some(vec![k8s_openapi::api::core::v1::PodReadinessGate {
                condition_type: "example.com/lb".into(),
            }]);
        let s = gen(
            &p,
            vec![rc(0, api::ContainerState::ContainerRunning, 0)],
            ContainerInfo::default(),
        );
        let cond = |s: &PodStatus, t: &str| {
            s.conditions
                .as_ref()
                .unwrap()
                .iter()
                .find(|c| c.type_ == t)
                .unwrap()
                .clone()
        };
        assert_eq!(cond(&s, "ContainersReady").status, "True");
        let ready = cond(&s, "Ready");
        assert_eq!(ready.status, "False");
        assert_eq!(ready.reason.as_deref(), Some("ReadinessGatesNotReady"));
        assert_eq!(
            ready.message.as_deref(),
            Some(
                "corresponding condition of pod readiness gate \"example.com/lb\" does not exist."
            )
        );
        p.status = Some(PodStatus {
            conditions: Some(vec![PodCondition {
                type_: "example.com/lb".into(),
                status: "True".into(),
                ..Default::default()
            }]),
            ..Default::default()
        });
        let s = gen(
            &p,
            vec![rc(0, api::ContainerState::ContainerRunning, 0)],
            ContainerInfo::default(),
        );
        assert_eq!(cond(&s, "Ready").status, "True");
        assert_eq!(cond(&s, "example.com/lb").status, "True");
    }

    #[test]
    fn running_sidecars_count_as_initialized() {
        let mut p = pod("Always");
        p.spec.as_mut().unwrap().init_containers = Some(vec![Container {
            name: "side".into(),
            image: Some("busybox".into()),
            restart_policy: Some("Always".into()),
            ..Default::default()
        }]);
        let containers = BTreeMap::from([
            (
                "side".to_string(),
                vec![rc(0, api::ContainerState::ContainerRunning, 0)],
            ),
            (
                "a".to_string(),
                vec![rc(0, api::ContainerState::ContainerRunning, 0)],
            ),
        ]);
        let info = BTreeMap::new();
        let s = generate(&Inputs {
            pod: &p,
            host_ip: "10.0.0.1",
            pod_ip: Some("10.244.0.5"),
            sandbox_ready: true,
            containers: &containers,
            info: &info,
            qos_class: "BestEffort",
            now: Timestamp::from_second(5).unwrap(),
            terminating: false,
            failure: None,
        });
        assert_eq!(s.phase.as_deref(), Some("Running"));
        let init = s
            .conditions
            .as_ref()
            .unwrap()
            .iter()
            .find(|c| c.type_ == "Initialized")
            .unwrap();
        assert_eq!(init.status, "True");
    }

    #[test]
    fn images_are_normalized() {
        assert_eq!(normalize_image("redis"), "docker.io/library/redis:latest");
        assert_eq!(
            normalize_image("dockercoins/rng:v0.1"),
            "docker.io/dockercoins/rng:v0.1"
        );
        assert_eq!(
            normalize_image("127.0.0.1:5000/x"),
            "127.0.0.1:5000/x:latest"
        );
        assert_eq!(
            normalize_image("berth.local/pause:3.10"),
            "berth.local/pause:3.10"
        );
    }
}
