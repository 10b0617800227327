//! Conversion between the served form of a resource and its stored form, for the one
//! resource stored under another's key space: `events.k8s.io/v1` Events are core/v1 Events
//! in the store (as in kube-apiserver), so both APIs show the same events.

use berth_api::registry::{self, ResourceInfo};
use serde_json::Value;

/// Field renames between events.k8s.io/v1 (left) and core/v1 (right).
const EVENT_FIELDS: &[(&str, &str)] = &[
    ("regarding", "involvedObject"),
    ("note", "message"),
    ("deprecatedSource", "source"),
    ("deprecatedFirstTimestamp", "firstTimestamp"),
    ("deprecatedLastTimestamp", "lastTimestamp"),
    ("deprecatedCount", "count"),
    ("reportingController", "reportingComponent"),
];

fn is_new_event(r: &ResourceInfo) -> bool {
    r.group == "events.k8s.io" && r.kind == "Event"
}

/// The resource whose keys hold this resource's objects.
pub fn storage_resource(r: &'static ResourceInfo) -> &'static ResourceInfo {
    if is_new_event(r) {
        if let Some(core) = registry::find("", "v1", "events") {
            return core;
        }
    }
    r
}

/// The stored (core/v1) form of an object served as `r`.
pub fn to_storage(r: &ResourceInfo, mut obj: Value) -> Value {
    if !is_new_event(r) {
        return obj;
    }
    map_keys(&mut obj, |k| {
        EVENT_FIELDS.iter().find(|(n, _)| *n == k).map(|(_, c)| *c)
    });
    obj["apiVersion"] = Value::String("v1".into());
    obj
}

/// The served form (as `r`) of a stored object.
pub fn from_storage(r: &ResourceInfo, mut obj: Value) -> Value {
    if !is_new_event(r) {
        return obj;
    }
    map_keys(&mut obj, |k| {
        EVENT_FIELDS.iter().find(|(_, c)| *c == k).map(|(n, _)| *n)
    });
    obj["apiVersion"] = Value::String("events.k8s.io/v1".into());
    obj
}

fn map_keys(obj: &mut Value, f: impl Fn(&str) -> Option<&'static str>) {
    if let Some(o) = obj.as_object_mut() {
        let old = std::mem::take(o);
        for (k, v) in old {
            let nk = f(&k).map(String::from).unwrap_or(k);
            o.insert(nk, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_round_trip() {
        let r = registry::find("events.k8s.io", "v1", "events").expect("events.k8s.io");
        let new = json!({"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e"},
            "regarding": {"kind": "Pod", "name": "p"}, "note": "hello", "reason": "Started", "reportingController": "c", "deprecatedCount": 2});
        let core = to_storage(r, new.clone());
        assert_eq!(core["apiVersion"], "v1");
        assert_eq!(core["involvedObject"]["name"], "p");
        assert_eq!(core["message"], "hello");
        assert_eq!(core["count"], 2);
        assert_eq!(from_storage(r, core), new);
        assert_eq!(storage_resource(r).group, "");
    }
}
