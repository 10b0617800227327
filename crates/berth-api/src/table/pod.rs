//! The pod row: READY, STATUS and RESTARTS computed exactly as upstream's `printPod`.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{age, since, text, timestamp};

fn list<'a>(obj: &'a Value, pointer: &str) -> &'a [Value] {
    obj.pointer(pointer)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn has_condition(obj: &Value, ty: &str) -> Option<bool> {
    list(obj, "/status/conditions")
        .iter()
        .find(|c| text(c, "/type") == ty)
        .map(|c| text(c, "/status") == "True")
}

/// A restartable init container is a sidecar: `restartPolicy: Always`.
fn is_sidecar(container: Option<&Value>) -> bool {
    container.is_some_and(|c| text(c, "/restartPolicy") == "Always")
}

fn later(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// What kubectl shows for a pod: `(ready, total, status, restarts, last restart)`.
pub struct PodStatus {
    /// Ready containers (sidecars included).
    pub ready: usize,
    /// Containers counted in READY's denominator (sidecars included).
    pub total: usize,
    /// The STATUS column.
    pub reason: String,
    /// The RESTARTS count.
    pub restarts: i64,
    /// When the most recently restarted counted container last terminated.
    pub last_restart: Option<DateTime<Utc>>,
}

/// Computes READY, STATUS and RESTARTS of a pod as upstream's `printPod` does.
pub fn pod_status(pod: &Value) -> PodStatus {
    let mut restarts: i64 = 0;
    let mut sidecar_restarts: i64 = 0;
    let mut total = list(pod, "/spec/containers").len();
    let mut ready = 0;
    let mut last_restart: Option<DateTime<Utc>> = None;
    let mut last_sidecar_restart: Option<DateTime<Utc>> = None;

    let phase = text(pod, "/status/phase");
    let mut reason = phase.clone();
    let status_reason = text(pod, "/status/reason");
    if !status_reason.is_empty() {
        reason = status_reason.clone();
    }
    for c in list(pod, "/status/conditions") {
        if text(c, "/type") == "PodScheduled" && text(c, "/reason") == "SchedulingGated" {
            reason = "SchedulingGated".to_string();
        }
    }

    let init_specs = list(pod, "/spec/initContainers");
    total += init_specs.iter().filter(|c| is_sidecar(Some(c))).count();
    let spec_of = |name: &str| init_specs.iter().find(|c| text(c, "/name") == name);

    let mut initializing = false;
    for (i, cs) in list(pod, "/status/initContainerStatuses")
        .iter()
        .enumerate()
    {
        let count = cs.get("restartCount").and_then(Value::as_i64).unwrap_or(0);
        restarts += count;
        let finished = timestamp(cs, "/lastState/terminated/finishedAt");
        last_restart = later(last_restart, finished);
        let sidecar = is_sidecar(spec_of(&text(cs, "/name")));
        if sidecar {
            sidecar_restarts += count;
            last_sidecar_restart = later(last_sidecar_restart, finished);
        }
        let terminated = cs.pointer("/state/terminated").filter(|t| t.is_object());
        let waiting_reason = text(cs, "/state/waiting/reason");
        let started = cs.get("started").and_then(Value::as_bool).unwrap_or(false);
        match terminated {
            Some(t) if t.get("exitCode").and_then(Value::as_i64).unwrap_or(0) == 0 => continue,
            _ if sidecar && started => {
                if cs.get("ready").and_then(Value::as_bool).unwrap_or(false) {
                    ready += 1;
                }
                continue;
            }
            Some(t) => {
                let r = text(t, "/reason");
                reason = if !r.is_empty() {
                    format!("Init:{r}")
                } else {
                    let signal = t.get("signal").and_then(Value::as_i64).unwrap_or(0);
                    if signal != 0 {
                        format!("Init:Signal:{signal}")
                    } else {
                        let code = t.get("exitCode").and_then(Value::as_i64).unwrap_or(0);
                        format!("Init:ExitCode:{code}")
                    }
                };
            }
            None if !waiting_reason.is_empty() && waiting_reason != "PodInitializing" => {
                reason = format!("Init:{waiting_reason}");
            }
            None => reason = format!("Init:{i}/{}", init_specs.len()),
        }
        initializing = true;
        break;
    }

    if !initializing || has_condition(pod, "Initialized") == Some(true) {
        restarts = sidecar_restarts;
        last_restart = last_sidecar_restart;
        let mut has_running = false;
        for cs in list(pod, "/status/containerStatuses").iter().rev() {
            restarts += cs.get("restartCount").and_then(Value::as_i64).unwrap_or(0);
            last_restart = later(
                last_restart,
                timestamp(cs, "/lastState/terminated/finishedAt"),
            );
            let waiting_reason = text(cs, "/state/waiting/reason");
            let terminated = cs.pointer("/state/terminated").filter(|t| t.is_object());
            let running = cs.pointer("/state/running").is_some_and(Value::is_object);
            if !waiting_reason.is_empty() {
                reason = waiting_reason;
            } else if let Some(t) = terminated {
                let r = text(t, "/reason");
                reason = if !r.is_empty() {
                    r
                } else {
                    let signal = t.get("signal").and_then(Value::as_i64).unwrap_or(0);
                    if signal != 0 {
                        format!("Signal:{signal}")
                    } else {
                        let code = t.get("exitCode").and_then(Value::as_i64).unwrap_or(0);
                        format!("ExitCode:{code}")
                    }
                };
            } else if cs.get("ready").and_then(Value::as_bool).unwrap_or(false) && running {
                has_running = true;
                ready += 1;
            }
        }
        // Back to "Running" while at least one container still runs.
        if reason == "Completed" && has_running {
            reason = if has_condition(pod, "Ready") == Some(true) {
                "Running".to_string()
            } else {
                "NotReady".to_string()
            };
        }
    }

    let deleting = pod
        .pointer("/metadata/deletionTimestamp")
        .is_some_and(|v| !v.is_null());
    if deleting && status_reason == "NodeLost" {
        reason = "Unknown".to_string();
    } else if deleting && phase != "Succeeded" && phase != "Failed" {
        reason = "Terminating".to_string();
    }

    PodStatus {
        ready,
        total,
        reason,
        restarts,
        last_restart,
    }
}

/// All nine cells of a pod row.
pub(super) fn cells(pod: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let st = pod_status(pod);
    let restarts = match st.last_restart {
        Some(t) if st.restarts != 0 => format!("{} ({} ago)", st.restarts, since(Some(t), now)),
        _ => st.restarts.to_string(),
    };
    let or_none = |s: String| {
        if s.is_empty() {
            "<none>".to_string()
        } else {
            s
        }
    };
    let mut ip = text(pod, "/status/podIPs/0/ip");
    if ip.is_empty() {
        ip = text(pod, "/status/podIP");
    }
    let gates = list(pod, "/spec/readinessGates");
    let readiness = if gates.is_empty() {
        "<none>".to_string()
    } else {
        let true_count = gates
            .iter()
            .filter(|g| has_condition(pod, &text(g, "/conditionType")) == Some(true))
            .count();
        format!("{true_count}/{}", gates.len())
    };
    vec![
        text(pod, "/metadata/name").into(),
        format!("{}/{}", st.ready, st.total).into(),
        st.reason.into(),
        restarts.into(),
        age(pod, now).into(),
        or_none(ip).into(),
        or_none(text(pod, "/spec/nodeName")).into(),
        or_none(text(pod, "/status/nominatedNodeName")).into(),
        readiness.into(),
    ]
}
