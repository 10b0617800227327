//! Discovery documents: /api, /apis, group and group-version resource lists, aggregated discovery.

use berth_api::registry::{self, ResourceInfo};
use serde_json::{json, Value};

/// The version berth reports; kubectl compares it with its own for skew warnings.
pub fn version() -> Value {
    json!({
        "major": "1",
        "minor": "33",
        "gitVersion": concat!("v1.33.0-berth.", env!("CARGO_PKG_VERSION")),
        "gitCommit": "berth",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.24.0",
        "compiler": "gc",
        "platform": "linux/amd64",
        "emulationMajor": "1",
        "emulationMinor": "33",
        "minCompatibilityMajor": "1",
        "minCompatibilityMinor": "32"
    })
}

/// `/api`: the core group's versions.
pub fn api_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]
    })
}

fn group_entry(group: &str, version: &str) -> Value {
    let gv = format!("{group}/{version}");
    json!({
        "name": group,
        "versions": [{"groupVersion": gv, "version": version}],
        "preferredVersion": {"groupVersion": gv, "version": version}
    })
}

/// `/apis`: every named group.
pub fn api_group_list() -> Value {
    let groups: Vec<Value> = registry::groups()
        .into_iter()
        .filter(|(g, _)| !g.is_empty())
        .map(|(g, v)| group_entry(g, v))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `/apis/<group>`.
pub fn api_group(group: &str) -> Option<Value> {
    let (_, v) = registry::groups()
        .into_iter()
        .find(|(g, _)| *g == group && !g.is_empty())?;
    let mut e = group_entry(group, v);
    e["kind"] = json!("APIGroup");
    e["apiVersion"] = json!("v1");
    Some(e)
}

/// `/api/v1` or `/apis/<group>/<version>`: the APIResourceList.
pub fn resource_list(group: &str, version: &str) -> Option<Value> {
    let mut resources = Vec::new();
    for r in registry::resources_of(group, version) {
        resources.push(resource_entry(r));
        for s in r.subresources {
            let mut e = json!({
                "name": format!("{}/{}", r.resource, s.name),
                "singularName": "",
                "namespaced": r.namespaced,
                "kind": if s.kind.is_empty() { r.kind } else { s.kind },
                "verbs": s.verbs,
            });
            if !s.group.is_empty() {
                e["group"] = json!(s.group);
                e["version"] = json!(s.version);
            }
            resources.push(e);
        }
    }
    if resources.is_empty() {
        return None;
    }
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": registry::api_version(group, version),
        "resources": resources,
    }))
}

fn resource_entry(r: &ResourceInfo) -> Value {
    let mut e = json!({
        "name": r.resource,
        "singularName": r.singular,
        "namespaced": r.namespaced,
        "kind": r.kind,
        "verbs": r.verbs,
    });
    if !r.short_names.is_empty() {
        e["shortNames"] = json!(r.short_names);
    }
    if !r.categories.is_empty() {
        e["categories"] = json!(r.categories);
    }
    if r.is_stored() {
        e["storageVersionHash"] = json!(storage_version_hash(r));
    }
    e
}

/// A stable hash of group/version/kind, as upstream's storageVersionHash (8 bytes, base64).
fn storage_version_hash(r: &ResourceInfo) -> String {
    use base64::Engine;
    let d = ring::digest::digest(
        &ring::digest::SHA256,
        format!("{}/{}/{}", r.group, r.version, r.kind).as_bytes(),
    );
    base64::engine::general_purpose::STANDARD.encode(&d.as_ref()[..8])
}

/// Content type of aggregated discovery responses.
pub const AGGREGATED_CT: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// Whether the Accept header asks for aggregated discovery (v2 or v2beta1).
pub fn wants_aggregated(accept: Option<&str>) -> Option<&'static str> {
    let accept = accept?;
    for entry in accept.split(',') {
        let e = entry.replace(' ', "");
        if e.contains("as=APIGroupDiscoveryList") && e.contains("g=apidiscovery.k8s.io") {
            if e.contains("v=v2beta1") {
                return Some("v2beta1");
            }
            if e.contains("v=v2") {
                return Some("v2");
            }
        }
        if e.starts_with("application/json") && !e.contains("as=") {
            return None;
        }
    }
    None
}

/// Aggregated discovery for `/api` (core = true) or `/apis`.
pub fn aggregated(core: bool, version: &str) -> Value {
    let mut items = Vec::new();
    for (group, v) in registry::groups() {
        if group.is_empty() != core {
            continue;
        }
        let resources: Vec<Value> = registry::resources_of(group, v)
            .map(|r| {
                let mut e = json!({
                    "resource": r.resource,
                    "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
                    "scope": if r.namespaced { "Namespaced" } else { "Cluster" },
                    "singularResource": r.singular,
                    "verbs": r.verbs,
                });
                if !r.short_names.is_empty() {
                    e["shortNames"] = json!(r.short_names);
                }
                if !r.categories.is_empty() {
                    e["categories"] = json!(r.categories);
                }
                if !r.subresources.is_empty() {
                    e["subresources"] = json!(r
                        .subresources
                        .iter()
                        .map(|s| json!({
                            "subresource": s.name,
                            "responseKind": {
                                "group": if s.kind.is_empty() { r.group } else { s.group },
                                "version": if s.kind.is_empty() || s.version.is_empty() { r.version } else { s.version },
                                "kind": if s.kind.is_empty() { r.kind } else { s.kind },
                            },
                            "verbs": s.verbs,
                        }))
                        .collect::<Vec<_>>());
                }
                e
            })
            .collect();
        items.push(json!({
            "metadata": {"name": group, "creationTimestamp": null},
            "versions": [{"version": v, "resources": resources, "freshness": "Current"}],
        }));
    }
    json!({
        "kind": "APIGroupDiscoveryList",
        "apiVersion": format!("apidiscovery.k8s.io/{version}"),
        "metadata": {},
        "items": items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_list_has_pods_with_short_names_and_subresources() {
        let l = resource_list("", "v1").expect("core");
        let res = l["resources"].as_array().expect("array");
        let pods = res.iter().find(|r| r["name"] == "pods").expect("pods");
        assert_eq!(pods["shortNames"], json!(["po"]));
        assert_eq!(pods["categories"], json!(["all"]));
        assert!(res.iter().any(|r| r["name"] == "pods/status"));
        let ev = res
            .iter()
            .find(|r| r["name"] == "pods/eviction")
            .expect("eviction");
        assert_eq!(ev["group"], "policy");
    }

    #[test]
    fn aggregated_accept_detection() {
        let a = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
        assert_eq!(wants_aggregated(Some(a)), Some("v2"));
        assert_eq!(wants_aggregated(Some("application/json")), None);
        let agg = aggregated(false, "v2");
        assert!(agg["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|i| i["metadata"]["name"] == "apps"));
    }
}
