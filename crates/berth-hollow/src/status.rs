//! The pod status a hollow kubelet reports: container states, phase and conditions
//! (pkg/kubelet/kubelet_pods.go generateAPIPodStatus, pkg/kubelet/status).

use std::time::Duration;

use k8s_openapi::api::core::v1::{
    Container, ContainerState, ContainerStateRunning, ContainerStateTerminated,
    ContainerStateWaiting, ContainerStatus, HostIP, Pod, PodCondition, PodIP, PodStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::{SignedDuration, Timestamp};

use crate::image::{self, FailingImages};

/// Waiting reason while an image cannot be pulled (kubelet's ErrImagePull).
pub const ERR_IMAGE_PULL: &str = "ErrImagePull";
/// Waiting reason between pull attempts (kubelet's ImagePullBackOff).
pub const IMAGE_PULL_BACK_OFF: &str = "ImagePullBackOff";
/// The first back-off after a failed pull; it doubles up to [`MAX_PULL_BACK_OFF`].
const PULL_BACK_OFF: Duration = Duration::from_secs(10);
const MAX_PULL_BACK_OFF: Duration = Duration::from_secs(300);
/// How long ErrImagePull shows before the back-off starts.
const PULL_ATTEMPT: Duration = Duration::from_secs(1);

/// What the status depends on besides the pod itself.
pub struct Inputs<'a> {
    pub now: Timestamp,
    /// The node's InternalIP.
    pub host_ip: &'a str,
    /// The address for a pod that has none yet.
    pub pod_ip: Option<&'a str>,
    /// How long containers of restartPolicy Never/OnFailure pods run.
    pub complete_after: Duration,
    pub failing: &'a FailingImages,
    /// When this kubelet first failed to pull one of the pod's images.
    pub pull_since: Timestamp,
}

/// The status to report and when it next changes by itself.
#[derive(Debug)]
pub struct Desired {
    pub status: PodStatus,
    pub wake: Option<Timestamp>,
}

/// Whether any container of the pod uses an image whose pull fails.
pub fn pulls_fail(pod: &Pod, failing: &FailingImages) -> bool {
    !failing.is_empty()
        && pod.spec.as_ref().is_some_and(|s| {
            s.init_containers
                .iter()
                .flatten()
                .chain(&s.containers)
                .any(|c| c.image.as_deref().is_some_and(|i| failing.matches(i)))
        })
}

/// Whether the phase is Succeeded or Failed.
pub fn is_terminal(status: Option<&PodStatus>) -> bool {
    matches!(
        status.and_then(|s| s.phase.as_deref()),
        Some("Succeeded" | "Failed")
    )
}

/// The waiting reason of a failing pull `since` → `now`, and when it next changes:
/// ErrImagePull for a moment, then ImagePullBackOff for 10 s, 20 s, 40 s … 300 s.
pub fn pull_failure(since: Timestamp, now: Timestamp) -> (&'static str, Timestamp) {
    let elapsed = now.duration_since(since).max(SignedDuration::ZERO);
    let elapsed = Duration::try_from(elapsed).unwrap_or_default();
    let mut attempt = Duration::ZERO;
    let mut back_off = PULL_BACK_OFF;
    loop {
        if elapsed < attempt + PULL_ATTEMPT {
            return (ERR_IMAGE_PULL, add(since, attempt + PULL_ATTEMPT));
        }
        if elapsed < attempt + PULL_ATTEMPT + back_off {
            return (
                IMAGE_PULL_BACK_OFF,
                add(since, attempt + PULL_ATTEMPT + back_off),
            );
        }
        attempt += PULL_ATTEMPT + back_off;
        back_off = (back_off * 2).min(MAX_PULL_BACK_OFF);
    }
}

fn add(t: Timestamp, d: Duration) -> Timestamp {
    SignedDuration::try_from(d)
        .ok()
        .and_then(|d| t.checked_add(d).ok())
        .unwrap_or(t)
}

/// How long a container runs once started.
#[derive(Clone, Copy)]
enum Run {
    Forever,
    For(Duration),
}

struct Ctx<'a> {
    inputs: &'a Inputs<'a>,
    uid: &'a str,
    deleting: bool,
    wake: Option<Timestamp>,
}

impl Ctx<'_> {
    fn wake_at(&mut self, t: Timestamp) {
        if self.wake.is_none_or(|w| t < w) {
            self.wake = Some(t);
        }
    }

    /// The status of one container given what was reported before.
    fn container(
        &mut self,
        c: &Container,
        old: Option<&ContainerStatus>,
        run: Run,
        blocked: bool,
    ) -> ContainerStatus {
        let now = self.inputs.now;
        let spec_image = c.image.clone().unwrap_or_default();
        let id = format!(
            "containerd://{}",
            image::hex_digest(&[self.uid, c.name.as_str()])
        );
        let old_state = old.and_then(|o| o.state.as_ref());
        let running_since = old_state
            .and_then(|s| s.running.as_ref())
            .map(|r| r.started_at.as_ref().map_or(now, |t| t.0));
        let mut status = ContainerStatus {
            name: c.name.clone(),
            image: image::normalize(&spec_image),
            image_id: String::new(),
            restart_count: old.map_or(0, |o| o.restart_count),
            started: Some(false),
            ..Default::default()
        };
        if let Some(t) = old_state.and_then(|s| s.terminated.as_ref()) {
            // A finished container stays finished: nothing here restarts.
            status.container_id = t.container_id.clone().or(Some(id));
            status.image_id = image::image_id(&spec_image);
            status.state = Some(terminated(t.clone()));
            return status;
        }
        let started = match running_since {
            Some(s) => Some(s),
            None if blocked || self.deleting => None,
            None if self.inputs.failing.matches(&spec_image) => {
                let (reason, next) = pull_failure(self.inputs.pull_since, now);
                self.wake_at(next);
                let message = if reason == ERR_IMAGE_PULL {
                    let full = image::normalize(&spec_image);
                    format!(
                        "rpc error: code = NotFound desc = failed to pull and unpack image \"{full}\": failed to resolve reference \"{full}\": {full}: not found"
                    )
                } else {
                    format!("Back-off pulling image \"{spec_image}\"")
                };
                status.state = Some(waiting(reason, Some(message)));
                return status;
            }
            None => Some(now),
        };
        let Some(started_at) = started else {
            let keep = old_state
                .and_then(|s| s.waiting.clone())
                .filter(|_| self.deleting);
            status.state = Some(ContainerState {
                waiting: Some(keep.unwrap_or_else(|| {
                    ContainerStateWaiting {
                        reason: Some(
                            if blocked {
                                "PodInitializing"
                            } else {
                                "ContainerCreating"
                            }
                            .into(),
                        ),
                        message: None,
                    }
                })),
                ..Default::default()
            });
            return status;
        };
        status.container_id = Some(id.clone());
        status.image_id = image::image_id(&spec_image);
        let finish = match run {
            Run::For(d) => Some(add(started_at, d)),
            Run::Forever => None,
        };
        let finished_at = match finish {
            _ if self.deleting => Some(now),
            Some(f) if f <= now => Some(f),
            Some(f) => {
                self.wake_at(f);
                None
            }
            None => None,
        };
        if let Some(finished_at) = finished_at {
            status.state = Some(terminated(ContainerStateTerminated {
                container_id: Some(id),
                exit_code: 0,
                reason: Some("Completed".into()),
                started_at: Some(Time(started_at)),
                finished_at: Some(Time(finished_at)),
                ..Default::default()
            }));
            return status;
        }
        let ready_at = c
            .readiness_probe
            .as_ref()
            .map(|p| add(started_at, secs(p.initial_delay_seconds)))
            .unwrap_or(started_at);
        status.ready = ready_at <= now;
        if !status.ready {
            self.wake_at(ready_at);
        }
        status.started = Some(true);
        status.state = Some(ContainerState {
            running: Some(ContainerStateRunning {
                started_at: Some(Time(started_at)),
            }),
            ..Default::default()
        });
        status
    }
}

fn secs(s: Option<i32>) -> Duration {
    Duration::from_secs(s.unwrap_or(0).max(0) as u64)
}

fn terminated(t: ContainerStateTerminated) -> ContainerState {
    ContainerState {
        terminated: Some(t),
        ..Default::default()
    }
}

fn waiting(reason: &str, message: Option<String>) -> ContainerState {
    ContainerState {
        waiting: Some(ContainerStateWaiting {
            reason: Some(reason.into()),
            message,
        }),
        ..Default::default()
    }
}

fn state_of(s: &ContainerStatus) -> (bool, bool, Option<i32>) {
    let st = s.state.as_ref();
    (
        st.is_some_and(|s| s.waiting.is_some()),
        st.is_some_and(|s| s.running.is_some()),
        st.and_then(|s| s.terminated.as_ref()).map(|t| t.exit_code),
    )
}

/// The status kubelet would report for `pod` now. Fields it does not own (qosClass,
/// nominatedNodeName, foreign conditions) are kept; times of things that did not
/// change are kept, so the result equals the current status when nothing happened.
pub fn desired(pod: &Pod, inputs: &Inputs) -> Desired {
    let mut status = pod.status.clone().unwrap_or_default();
    let Some(spec) = pod.spec.as_ref() else {
        return Desired { status, wake: None };
    };
    let now = inputs.now;
    let mut ctx = Ctx {
        inputs,
        uid: pod.metadata.uid.as_deref().unwrap_or_default(),
        deleting: pod.metadata.deletion_timestamp.is_some(),
        wake: None,
    };
    let find = |list: &Option<Vec<ContainerStatus>>, name: &str| {
        list.iter().flatten().find(|s| s.name == name).cloned()
    };

    let mut init_done = true;
    let mut incomplete = Vec::new();
    let mut init_statuses = Vec::new();
    for c in spec.init_containers.iter().flatten() {
        let sidecar = c.restart_policy.as_deref() == Some("Always");
        let run = if sidecar {
            Run::Forever
        } else {
            Run::For(Duration::ZERO)
        };
        let old = find(&status.init_container_statuses, &c.name);
        let s = ctx.container(c, old.as_ref(), run, !init_done);
        let (_, running, exit) = state_of(&s);
        let done = if sidecar {
            running || exit.is_some()
        } else {
            exit == Some(0)
        };
        if !done {
            init_done = false;
            incomplete.push(c.name.clone());
        }
        init_statuses.push(s);
    }

    let run = match spec.restart_policy.as_deref() {
        Some("Never" | "OnFailure") => Run::For(inputs.complete_after),
        _ => Run::Forever,
    };
    let statuses: Vec<ContainerStatus> = spec
        .containers
        .iter()
        .map(|c| {
            let old = find(&status.container_statuses, &c.name);
            ctx.container(c, old.as_ref(), run, !init_done)
        })
        .collect();

    let all_exited = statuses.iter().all(|s| state_of(s).2.is_some());
    let all_zero = statuses.iter().all(|s| state_of(s).2 == Some(0));
    let any_waiting = statuses.iter().any(|s| state_of(s).0);
    let phase = if ctx.deleting || all_exited {
        if all_zero {
            "Succeeded"
        } else {
            "Failed"
        }
    } else if !init_done || any_waiting {
        "Pending"
    } else {
        "Running"
    };
    let terminal = matches!(phase, "Succeeded" | "Failed");
    let unready: Vec<String> = statuses
        .iter()
        .filter(|s| !s.ready)
        .map(|s| s.name.clone())
        .collect();

    let old_conditions = status.conditions.take().unwrap_or_default();
    let cond = |type_: &str, ok: bool, reason: Option<&str>, message: Option<String>| {
        let st = if ok { "True" } else { "False" };
        let prev = old_conditions.iter().find(|c| c.type_ == type_);
        let since = prev
            .filter(|p| p.status == st)
            .and_then(|p| p.last_transition_time.clone())
            .unwrap_or(Time(now));
        PodCondition {
            type_: type_.into(),
            status: st.into(),
            reason: reason.map(Into::into),
            message,
            last_transition_time: Some(since),
            ..Default::default()
        }
    };
    let list = |names: &[String]| format!("[{}]", names.join(" "));
    let (ready, ready_reason, ready_message) = if terminal && phase == "Succeeded" {
        (false, Some("PodCompleted"), None)
    } else if unready.is_empty() {
        (true, None, None)
    } else {
        (
            false,
            Some("ContainersNotReady"),
            Some(format!(
                "containers with unready status: {}",
                list(&unready)
            )),
        )
    };
    let mut conditions = vec![
        cond("PodReadyToStartContainers", !terminal, None, None),
        if init_done {
            cond(
                "Initialized",
                true,
                (terminal && phase == "Succeeded").then_some("PodCompleted"),
                None,
            )
        } else {
            cond(
                "Initialized",
                false,
                Some("ContainersNotInitialized"),
                Some(format!(
                    "containers with incomplete status: {}",
                    list(&incomplete)
                )),
            )
        },
        cond("Ready", ready, ready_reason, ready_message.clone()),
        cond("ContainersReady", ready, ready_reason, ready_message),
    ];
    conditions.push(
        old_conditions
            .iter()
            .find(|c| c.type_ == "PodScheduled")
            .cloned()
            .unwrap_or_else(|| cond("PodScheduled", true, None, None)),
    );
    const OURS: [&str; 5] = [
        "PodReadyToStartContainers",
        "Initialized",
        "Ready",
        "ContainersReady",
        "PodScheduled",
    ];
    conditions.extend(
        old_conditions
            .into_iter()
            .filter(|c| !OURS.contains(&c.type_.as_str())),
    );

    status.phase = Some(phase.into());
    status.conditions = Some(conditions);
    status.host_ip = Some(inputs.host_ip.into());
    status.host_ips = Some(vec![HostIP {
        ip: inputs.host_ip.into(),
    }]);
    if status.pod_ip.is_none() {
        if let Some(ip) = inputs.pod_ip {
            status.pod_ip = Some(ip.into());
            status.pod_ips = Some(vec![PodIP { ip: ip.into() }]);
        }
    }
    status.start_time = Some(status.start_time.take().unwrap_or(Time(now)));
    status.init_container_statuses = if init_statuses.is_empty() {
        None
    } else {
        Some(init_statuses)
    };
    status.container_statuses = Some(statuses);
    Desired {
        status,
        wake: ctx.wake,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{PodSpec, Probe};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + s).expect("time")
    }

    fn pod(restart: &str, images: &[&str]) -> Pod {
        Pod {
            metadata: ObjectMeta {
                name: Some("p".into()),
                uid: Some("u1".into()),
                ..Default::default()
            },
            spec: Some(PodSpec {
                restart_policy: Some(restart.into()),
                containers: images
                    .iter()
                    .enumerate()
                    .map(|(i, image)| Container {
                        name: format!("c{i}"),
                        image: Some(image.to_string()),
                        ..Default::default()
                    })
                    .collect(),
                node_name: Some("hollow-0".into()),
                ..Default::default()
            }),
            status: Some(PodStatus {
                phase: Some("Pending".into()),
                qos_class: Some("BestEffort".into()),
                ..Default::default()
            }),
        }
    }

    fn run(pod: &mut Pod, now: Timestamp, failing: &FailingImages) -> Desired {
        let d = desired(
            pod,
            &Inputs {
                now,
                host_ip: "10.250.0.1",
                pod_ip: Some("10.244.0.2"),
                complete_after: Duration::from_secs(1),
                failing,
                pull_since: t(0),
            },
        );
        pod.status = Some(d.status.clone());
        d
    }

    fn cond(s: &PodStatus, type_: &str) -> String {
        s.conditions
            .iter()
            .flatten()
            .find(|c| c.type_ == type_)
            .map(|c| c.status.clone())
            .unwrap_or_default()
    }

    fn same(a: &PodStatus, b: &PodStatus) -> bool {
        serde_json::to_value(a).ok() == serde_json::to_value(b).ok()
    }

    #[test]
    fn starts_running_and_ready_and_then_holds_still() {
        let none = FailingImages::default();
        let mut p = pod("Always", &["nginx"]);
        let d = run(&mut p, t(0), &none);
        let s = &d.status;
        assert_eq!(s.phase.as_deref(), Some("Running"));
        assert_eq!(s.pod_ip.as_deref(), Some("10.244.0.2"));
        assert_eq!(s.host_ip.as_deref(), Some("10.250.0.1"));
        assert_eq!(s.qos_class.as_deref(), Some("BestEffort"));
        for c in OURS_FOR_TEST {
            assert_eq!(cond(s, c), "True", "{c}");
        }
        let cs = &s.container_statuses.as_ref().expect("statuses")[0];
        assert!(cs.ready && cs.started == Some(true) && cs.restart_count == 0);
        assert_eq!(cs.image, "docker.io/library/nginx:latest");
        assert!(cs
            .container_id
            .as_deref()
            .is_some_and(|i| i.starts_with("containerd://")));
        assert!(d.wake.is_none());
        // Later, nothing changes (what makes re-adoption leave running pods alone).
        let before = p.status.clone().expect("status");
        let again = run(&mut p, t(500), &none);
        assert!(same(&before, &again.status));
    }

    const OURS_FOR_TEST: [&str; 5] = [
        "PodReadyToStartContainers",
        "Initialized",
        "ContainersReady",
        "Ready",
        "PodScheduled",
    ];

    #[test]
    fn never_pods_complete() {
        let none = FailingImages::default();
        let mut p = pod("Never", &["busybox"]);
        let d = run(&mut p, t(0), &none);
        assert_eq!(d.status.phase.as_deref(), Some("Running"));
        assert_eq!(d.wake, Some(t(1)));
        let d = run(&mut p, t(1), &none);
        assert_eq!(d.status.phase.as_deref(), Some("Succeeded"));
        assert_eq!(cond(&d.status, "Ready"), "False");
        assert_eq!(cond(&d.status, "PodReadyToStartContainers"), "False");
        let term = d.status.container_statuses.as_ref().expect("cs")[0]
            .state
            .as_ref()
            .and_then(|s| s.terminated.clone())
            .expect("terminated");
        assert_eq!(
            (term.exit_code, term.reason.as_deref()),
            (0, Some("Completed"))
        );
        assert!(d.wake.is_none());
    }

    #[test]
    fn failing_pulls_back_off() {
        let failing = FailingImages::new(&["x/worker:v0.3".into()]);
        let mut p = pod("Always", &["x/worker:v0.3", "redis"]);
        let d = run(&mut p, t(0), &failing);
        let s = &d.status;
        assert_eq!(s.phase.as_deref(), Some("Pending"));
        assert_eq!(cond(s, "Ready"), "False");
        let cs = s.container_statuses.as_ref().expect("cs");
        let w = cs[0]
            .state
            .as_ref()
            .and_then(|s| s.waiting.clone())
            .expect("waiting");
        assert_eq!(w.reason.as_deref(), Some(ERR_IMAGE_PULL));
        assert!(cs[1].ready, "the other container runs");
        assert_eq!(d.wake, Some(t(1)));
        let d = run(&mut p, t(1), &failing);
        let w = d.status.container_statuses.as_ref().expect("cs")[0]
            .state
            .as_ref()
            .and_then(|s| s.waiting.clone())
            .expect("waiting");
        assert_eq!(w.reason.as_deref(), Some(IMAGE_PULL_BACK_OFF));
        assert_eq!(
            w.message.as_deref(),
            Some("Back-off pulling image \"x/worker:v0.3\"")
        );
        let ready = d
            .status
            .conditions
            .iter()
            .flatten()
            .find(|c| c.type_ == "Ready")
            .cloned()
            .expect("ready");
        assert_eq!(
            ready.message.as_deref(),
            Some("containers with unready status: [c0]")
        );
    }

    #[test]
    fn pull_schedule() {
        assert_eq!(pull_failure(t(0), t(0)), (ERR_IMAGE_PULL, t(1)));
        assert_eq!(pull_failure(t(0), t(5)), (IMAGE_PULL_BACK_OFF, t(11)));
        assert_eq!(pull_failure(t(0), t(11)), (ERR_IMAGE_PULL, t(12)));
        assert_eq!(pull_failure(t(0), t(12)), (IMAGE_PULL_BACK_OFF, t(32)));
        assert_eq!(pull_failure(t(0), t(32)), (ERR_IMAGE_PULL, t(33)));
        assert_eq!(pull_failure(t(0), t(33)), (IMAGE_PULL_BACK_OFF, t(73)));
    }

    #[test]
    fn deletion_stops_containers() {
        let none = FailingImages::default();
        let mut p = pod("Always", &["nginx"]);
        run(&mut p, t(0), &none);
        p.metadata.deletion_timestamp = Some(Time(t(5)));
        let d = run(&mut p, t(5), &none);
        assert_eq!(d.status.phase.as_deref(), Some("Succeeded"));
        assert!(is_terminal(Some(&d.status)));
        let st = d.status.container_statuses.as_ref().expect("cs")[0].clone();
        assert!(!st.ready);
        assert!(st.state.and_then(|s| s.terminated).is_some());
    }

    #[test]
    fn init_containers_then_readiness_probe() {
        let none = FailingImages::default();
        let mut p = pod("Always", &["web"]);
        if let Some(spec) = p.spec.as_mut() {
            spec.init_containers = Some(vec![Container {
                name: "setup".into(),
                image: Some("busybox".into()),
                ..Default::default()
            }]);
            spec.containers[0].readiness_probe = Some(Probe {
                initial_delay_seconds: Some(3),
                ..Default::default()
            });
        }
        let d = run(&mut p, t(0), &none);
        assert_eq!(d.status.phase.as_deref(), Some("Running"));
        assert_eq!(cond(&d.status, "Initialized"), "True");
        assert_eq!(cond(&d.status, "Ready"), "False");
        assert_eq!(d.wake, Some(t(3)));
        let d = run(&mut p, t(3), &none);
        assert_eq!(cond(&d.status, "Ready"), "True");
        // A failing init container holds everything back.
        let failing = FailingImages::new(&["busybox".into()]);
        let mut p2 = pod("Always", &["web"]);
        if let Some(spec) = p2.spec.as_mut() {
            spec.init_containers = Some(vec![Container {
                name: "setup".into(),
                image: Some("busybox".into()),
                ..Default::default()
            }]);
        }
        let d = run(&mut p2, t(0), &failing);
        assert_eq!(d.status.phase.as_deref(), Some("Pending"));
        assert_eq!(cond(&d.status, "Initialized"), "False");
        let w = d.status.container_statuses.as_ref().expect("cs")[0]
            .state
            .as_ref()
            .and_then(|s| s.waiting.clone())
            .expect("waiting");
        assert_eq!(w.reason.as_deref(), Some("PodInitializing"));
    }
}
