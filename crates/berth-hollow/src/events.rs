//! The kubelet events `kubectl describe pod` shows for failing image pulls
//! (pkg/kubelet/images/image_manager.go). Successful starts emit none, to keep
//! thousands of pods cheap.

use k8s_openapi::api::core::v1::{
    ContainerStatus, Event, EventSource, ObjectReference, Pod, PodStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;

use crate::status::{ERR_IMAGE_PULL, IMAGE_PULL_BACK_OFF};

fn waiting_reason(s: &ContainerStatus) -> Option<&str> {
    s.state.as_ref()?.waiting.as_ref()?.reason.as_deref()
}

/// Events for containers whose pull state changed between `old` and `new`: a new attempt
/// (Pulling, Failed ×2) or the start of a back-off (BackOff, Failed).
pub fn pull_events(
    pod: &Pod,
    old: Option<&PodStatus>,
    new: &PodStatus,
    node: &str,
    now: Timestamp,
) -> Vec<Event> {
    let mut out = Vec::new();
    let spec = pod.spec.as_ref();
    let lists = [
        (
            "initContainers",
            old.and_then(|o| o.init_container_statuses.as_ref()),
            new.init_container_statuses.as_ref(),
        ),
        (
            "containers",
            old.and_then(|o| o.container_statuses.as_ref()),
            new.container_statuses.as_ref(),
        ),
    ];
    for (field, old_list, new_list) in lists {
        for s in new_list.into_iter().flatten() {
            let Some(reason) = waiting_reason(s) else {
                continue;
            };
            let before = old_list
                .and_then(|l| l.iter().find(|o| o.name == s.name))
                .and_then(waiting_reason);
            if before == Some(reason) {
                continue;
            }
            let image = spec
                .into_iter()
                .flat_map(|sp| sp.init_containers.iter().flatten().chain(&sp.containers))
                .find(|c| c.name == s.name)
                .and_then(|c| c.image.clone())
                .unwrap_or_default();
            let path = format!("spec.{field}{{{}}}", s.name);
            let message = s
                .state
                .as_ref()
                .and_then(|st| st.waiting.as_ref())
                .and_then(|w| w.message.clone())
                .unwrap_or_default();
            let mut ev = |type_: &str, reason: &str, message: String| {
                out.push(event(
                    pod,
                    &path,
                    node,
                    now,
                    type_,
                    reason,
                    message,
                    out.len(),
                ));
            };
            match reason {
                ERR_IMAGE_PULL => {
                    ev("Normal", "Pulling", format!("Pulling image \"{image}\""));
                    ev(
                        "Warning",
                        "Failed",
                        format!("Failed to pull image \"{image}\": {message}"),
                    );
                    ev("Warning", "Failed", format!("Error: {ERR_IMAGE_PULL}"));
                }
                IMAGE_PULL_BACK_OFF => {
                    ev(
                        "Normal",
                        "BackOff",
                        format!("Back-off pulling image \"{image}\""),
                    );
                    ev("Warning", "Failed", format!("Error: {IMAGE_PULL_BACK_OFF}"));
                }
                _ => {}
            }
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn event(
    pod: &Pod,
    path: &str,
    node: &str,
    now: Timestamp,
    type_: &str,
    reason: &str,
    message: String,
    seq: usize,
) -> Event {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let namespace = pod.metadata.namespace.clone();
    Event {
        metadata: ObjectMeta {
            // Upstream names events <object>.<hex nanoseconds>.
            name: Some(format!(
                "{name}.{:x}",
                now.as_nanosecond() as u64 + seq as u64
            )),
            namespace: namespace.clone(),
            ..Default::default()
        },
        involved_object: ObjectReference {
            api_version: Some("v1".into()),
            kind: Some("Pod".into()),
            name: Some(name),
            namespace,
            uid: pod.metadata.uid.clone(),
            field_path: Some(path.into()),
            ..Default::default()
        },
        reason: Some(reason.into()),
        message: Some(message),
        type_: Some(type_.into()),
        count: Some(1),
        first_timestamp: Some(Time(now)),
        last_timestamp: Some(Time(now)),
        event_time: Some(MicroTime(now)),
        reporting_component: Some("kubelet".into()),
        reporting_instance: Some(node.into()),
        action: None,
        source: Some(EventSource {
            component: Some("kubelet".into()),
            host: Some(node.into()),
        }),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{Container, ContainerState, ContainerStateWaiting, PodSpec};

    fn status(reason: &str) -> PodStatus {
        PodStatus {
            container_statuses: Some(vec![ContainerStatus {
                name: "w".into(),
                state: Some(ContainerState {
                    waiting: Some(ContainerStateWaiting {
                        reason: Some(reason.into()),
                        message: Some("not found".into()),
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            }]),
            ..Default::default()
        }
    }

    #[test]
    fn events_on_pull_transitions_only() {
        let pod = Pod {
            metadata: ObjectMeta {
                name: Some("p".into()),
                namespace: Some("default".into()),
                ..Default::default()
            },
            spec: Some(PodSpec {
                containers: vec![Container {
                    name: "w".into(),
                    image: Some("x/worker:v0.3".into()),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            status: None,
        };
        let now = Timestamp::from_second(1_700_000_000).expect("time");
        let first = pull_events(&pod, None, &status(ERR_IMAGE_PULL), "h-0", now);
        let reasons: Vec<_> = first.iter().filter_map(|e| e.reason.clone()).collect();
        assert_eq!(reasons, ["Pulling", "Failed", "Failed"]);
        assert_eq!(
            first[1].message.as_deref(),
            Some("Failed to pull image \"x/worker:v0.3\": not found")
        );
        assert_eq!(
            first[0].involved_object.field_path.as_deref(),
            Some("spec.containers{w}")
        );
        let names: std::collections::HashSet<_> =
            first.iter().map(|e| e.metadata.name.clone()).collect();
        assert_eq!(names.len(), 3);
        let back = pull_events(
            &pod,
            Some(&status(ERR_IMAGE_PULL)),
            &status(IMAGE_PULL_BACK_OFF),
            "h-0",
            now,
        );
        assert_eq!(
            back[0].message.as_deref(),
            Some("Back-off pulling image \"x/worker:v0.3\"")
        );
        assert!(pull_events(
            &pod,
            Some(&status(IMAGE_PULL_BACK_OFF)),
            &status(IMAGE_PULL_BACK_OFF),
            "h-0",
            now
        )
        .is_empty());
    }
}
