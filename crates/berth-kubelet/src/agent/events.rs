//! Events the kubelet records about pods (source component `kubelet`), with kubelet's
//! aggregation of repeats into one event with a count.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::json;

/// Repeats of the same event within this window bump its count.
const AGGREGATE_WINDOW: Duration = Duration::from_secs(600);

/// An event's identity for aggregation: pod UID, field path, reason, message.
type EventKey = (String, String, String, String);

/// Records events for one node.
pub struct Recorder {
    client: kube::Client,
    node: String,
    seen: Mutex<HashMap<EventKey, (String, i32, Instant)>>,
}

impl Recorder {
    pub fn new(client: kube::Client, node: String) -> Recorder {
        Recorder {
            client,
            node,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Records an event about `pod` (its container `container` when given); does not wait.
    pub fn pod(
        &self,
        pod: &Pod,
        container: Option<&str>,
        type_: &str,
        reason: &str,
        message: String,
    ) {
        let ns = pod.metadata.namespace.clone().unwrap_or_default();
        let name = pod.metadata.name.clone().unwrap_or_default();
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        let field_path = container.map(|c| {
            let init = pod
                .spec
                .as_ref()
                .and_then(|s| s.init_containers.as_ref())
                .is_some_and(|l| l.iter().any(|i| i.name == c));
            if init {
                format!("spec.initContainers{{{c}}}")
            } else {
                format!("spec.containers{{{c}}}")
            }
        });
        let key = (
            uid.clone(),
            field_path.clone().unwrap_or_default(),
            reason.to_string(),
            message.clone(),
        );
        let now = Timestamp::now();
        let repeat = {
            let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            seen.retain(|_, (_, _, t)| t.elapsed() < AGGREGATE_WINDOW);
            match seen.get_mut(&key) {
                Some((event_name, count, t)) => {
                    *count += 1;
                    *t = Instant::now();
                    Some((event_name.clone(), *count))
                }
                None => {
                    let event_name = format!("{name}.{:x}", now.as_nanosecond());
                    seen.insert(key, (event_name, 1, Instant::now()));
                    None
                }
            }
        };
        let api: Api<Event> = Api::namespaced(self.client.clone(), &ns);
        if let Some((event_name, count)) = repeat {
            tokio::spawn(async move {
                let patch = json!({"count": count, "lastTimestamp": Time(now)});
                if let Err(e) = api
                    .patch(&event_name, &PatchParams::default(), &Patch::Merge(&patch))
                    .await
                {
                    tracing::debug!(error = %e, "updating event");
                }
            });
            return;
        }
        let event = Event {
            metadata: ObjectMeta {
                name: Some(format!("{name}.{:x}", now.as_nanosecond())),
                namespace: Some(ns.clone()),
                ..Default::default()
            },
            involved_object: ObjectReference {
                api_version: Some("v1".into()),
                kind: Some("Pod".into()),
                name: Some(name),
                namespace: Some(ns),
                uid: Some(uid),
                field_path,
                resource_version: pod.metadata.resource_version.clone(),
            },
            reason: Some(reason.into()),
            message: Some(message),
            type_: Some(type_.into()),
            source: Some(EventSource {
                component: Some("kubelet".into()),
                host: Some(self.node.clone()),
            }),
            reporting_component: Some("kubelet".into()),
            reporting_instance: Some(self.node.clone()),
            first_timestamp: Some(Time(now)),
            last_timestamp: Some(Time(now)),
            event_time: None::<MicroTime>,
            count: Some(1),
            ..Default::default()
        };
        tokio::spawn(async move {
            if let Err(e) = api.create(&PostParams::default(), &event).await {
                tracing::debug!(error = %e, "recording event");
            }
        });
    }
}
