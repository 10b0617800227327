//! An event recorder writing core/v1 Events as kube-controller-manager does, with the
//! same reasons and messages, and counting repeats of the same event.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::Utc;
use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, ObjectMeta, Patch, PatchParams, PostParams};
use kube::{Resource, ResourceExt};

/// What makes two events the same: namespace, object uid, type, reason, message.
type EventKey = (String, String, String, String, String);

/// Writes events for one component.
pub struct Recorder {
    client: kube::Client,
    component: String,
    instance: String,
    /// (namespace, uid, type, reason, message) -> (event name, count)
    seen: Mutex<HashMap<EventKey, (String, i32)>>,
}

/// `Normal` or `Warning`.
pub const NORMAL: &str = "Normal";
pub const WARNING: &str = "Warning";

/// An ObjectReference to `obj`, as events and owner checks use.
pub fn reference<K: Resource<DynamicType = ()>>(obj: &K) -> ObjectReference {
    ObjectReference {
        api_version: Some(K::api_version(&()).to_string()),
        kind: Some(K::kind(&()).to_string()),
        name: obj.meta().name.clone(),
        namespace: obj.meta().namespace.clone(),
        uid: obj.meta().uid.clone(),
        resource_version: obj.meta().resource_version.clone(),
        field_path: None,
    }
}

impl Recorder {
    pub fn new(client: kube::Client, component: &str, instance: &str) -> Recorder {
        Recorder {
            client,
            component: component.to_string(),
            instance: instance.to_string(),
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Records an event about `obj` (failures are logged, never returned: events are best effort).
    pub async fn publish<K: Resource<DynamicType = ()>>(
        &self,
        obj: &K,
        type_: &str,
        reason: &str,
        message: &str,
    ) {
        self.publish_ref(reference(obj), type_, reason, message)
            .await
    }

    /// Records an event about the object `regarding` refers to.
    pub async fn publish_ref(
        &self,
        regarding: ObjectReference,
        type_: &str,
        reason: &str,
        message: &str,
    ) {
        let ns = regarding
            .namespace
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "default".into());
        let key = (
            ns.clone(),
            regarding.uid.clone().unwrap_or_default(),
            type_.to_string(),
            reason.to_string(),
            message.to_string(),
        );
        let api: Api<Event> = Api::namespaced(self.client.clone(), &ns);
        let now = Utc::now();
        let repeat = self.seen.lock().ok().and_then(|m| m.get(&key).cloned());
        if let Some((name, count)) = repeat {
            let patch = serde_json::json!({"count": count + 1, "lastTimestamp": Time(k8s_openapi::jiff::Timestamp::now())});
            if api
                .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .is_ok()
            {
                if let Ok(mut m) = self.seen.lock() {
                    m.insert(key, (name, count + 1));
                }
                return;
            }
        }
        let name = format!(
            "{}.{:x}",
            regarding.name.clone().unwrap_or_default(),
            now.timestamp_nanos_opt().unwrap_or_default()
        );
        let ev = Event {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                namespace: Some(ns),
                ..Default::default()
            },
            involved_object: regarding,
            reason: Some(reason.to_string()),
            message: Some(message.to_string()),
            type_: Some(type_.to_string()),
            source: Some(EventSource {
                component: Some(self.component.clone()),
                host: None,
            }),
            first_timestamp: Some(Time(k8s_openapi::jiff::Timestamp::now())),
            last_timestamp: Some(Time(k8s_openapi::jiff::Timestamp::now())),
            event_time: None,
            count: Some(1),
            reporting_component: Some(self.component.clone()),
            reporting_instance: Some(self.instance.clone()),
            action: None,
            related: None,
            series: None,
        };
        match api.create(&PostParams::default(), &ev).await {
            Ok(e) => {
                if let Ok(mut m) = self.seen.lock() {
                    if m.len() > 4096 {
                        m.clear();
                    }
                    m.insert(key, (e.name_any(), 1));
                }
            }
            Err(e) => tracing::debug!(error = %e, reason, "recording event"),
        }
    }
}
