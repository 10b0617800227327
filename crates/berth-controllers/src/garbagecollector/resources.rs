//! The deletable resource types the API server serves, from discovery
//! (garbagecollector.GetDeletableResources; shared with the namespace controller).

use kube::discovery::{verbs, ApiCapabilities, ApiResource, Discovery, Scope};

/// One resource type that can be listed, watched and deleted.
#[derive(Clone, Debug)]
pub struct Deletable {
    pub ar: ApiResource,
    pub namespaced: bool,
    /// Whether `deletecollection` is served.
    pub delete_collection: bool,
}

impl Deletable {
    /// `resource.group`, as upstream names a resource in messages.
    pub fn group_resource(&self) -> String {
        format!("{}.{}", self.ar.plural, self.ar.group)
    }

    /// `group/version, Resource=plural`, as Go prints a GroupVersionResource (the core
    /// group as `/v1`).
    pub fn gvr(&self) -> String {
        format!(
            "{}/{}, Resource={}",
            self.ar.group, self.ar.version, self.ar.plural
        )
    }
}

/// Every resource (preferred version of each group) that supports list, watch and delete.
pub async fn deletable_resources(client: &kube::Client) -> Result<Vec<Deletable>, kube::Error> {
    let discovery = Discovery::new(client.clone()).run().await?;
    let mut out = Vec::new();
    for group in discovery.groups() {
        for (ar, caps) in group.recommended_resources() {
            if let Some(d) = deletable(ar, &caps) {
                out.push(d);
            }
        }
    }
    Ok(out)
}

fn deletable(ar: ApiResource, caps: &ApiCapabilities) -> Option<Deletable> {
    let all = [verbs::LIST, verbs::WATCH, verbs::DELETE];
    if !all.iter().all(|v| caps.supports_operation(v)) {
        return None;
    }
    Some(Deletable {
        namespaced: caps.scope == Scope::Namespaced,
        delete_collection: caps.supports_operation(verbs::DELETE_COLLECTION),
        ar,
    })
}
