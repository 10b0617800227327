//! The node IPAM controller with the range allocator: gives every node a pod CIDR
//! (`spec.podCIDR`/`spec.podCIDRs`) carved from the cluster CIDR (pkg/controller/nodeipam).

mod cidrset;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::{watcher, WatchStreamExt};
use kube::ResourceExt;

pub use cidrset::CidrSet;

use crate::events::NORMAL;
use crate::Context;

/// How often nodes that could not get a CIDR are tried again.
const RETRY: Duration = Duration::from_secs(5);

/// Runs the controller until the process ends.
pub async fn run(ctx: Arc<Context>) {
    let (base, prefix) = ctx.options.cluster_cidr;
    let mask = ctx.options.node_cidr_mask_size;
    let set = match CidrSet::new(base, prefix, mask) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "node-ipam: invalid cluster CIDR; controller not started");
            return std::future::pending().await;
        }
    };
    let mut alloc = Allocator {
        ctx: ctx.clone(),
        set,
        by_node: HashMap::new(),
        pending: BTreeSet::new(),
        reported_full: BTreeSet::new(),
    };
    let api: Api<Node> = Api::all(ctx.client.clone());
    let mut events = watcher(api, watcher::Config::default())
        .default_backoff()
        .boxed();
    let mut initial: Vec<Node> = Vec::new();
    let mut tick = tokio::time::interval(RETRY);
    loop {
        tokio::select! {
            ev = events.next() => {
                let Some(ev) = ev else { return };
                match ev {
                    Ok(watcher::Event::Init) => initial.clear(),
                    Ok(watcher::Event::InitApply(n)) => initial.push(n),
                    Ok(watcher::Event::InitDone) => {
                        // rebuild allocations from the nodes that exist, then fill the gaps
                        let nodes = std::mem::take(&mut initial);
                        alloc.rebuild(&nodes);
                        for n in &nodes {
                            alloc.sync(n).await;
                        }
                    }
                    Ok(watcher::Event::Apply(n)) => alloc.sync(&n).await,
                    Ok(watcher::Event::Delete(n)) => alloc.release(&n.name_any()),
                    Err(e) => tracing::debug!(error = %e, "node-ipam: node watch"),
                }
            }
            _ = tick.tick() => alloc.retry().await,
        }
    }
}

/// The range allocator's state: the CIDR set and which node holds which CIDR.
struct Allocator {
    ctx: Arc<Context>,
    set: CidrSet,
    by_node: HashMap<String, String>,
    /// Nodes still waiting for a CIDR (the set was full or the patch failed).
    pending: BTreeSet<String>,
    /// Nodes already told the set is full (one event per node, not one per retry).
    reported_full: BTreeSet<String>,
}

impl Allocator {
    /// Marks every CIDR that existing nodes hold as used.
    fn rebuild(&mut self, nodes: &[Node]) {
        let (base, prefix) = self.ctx.options.cluster_cidr;
        if let Ok(s) = CidrSet::new(base, prefix, self.ctx.options.node_cidr_mask_size) {
            self.set = s;
        }
        self.by_node.clear();
        for n in nodes {
            self.occupy(n);
        }
    }

    fn occupy(&mut self, node: &Node) {
        let name = node.name_any();
        for cidr in pod_cidrs(node) {
            if self.set.occupy(&cidr).is_ok() {
                self.by_node.insert(name.clone(), cidr);
            } else {
                tracing::debug!(node = %name, %cidr, "node-ipam: pod CIDR outside the cluster CIDR");
            }
        }
    }

    /// Gives `node` a CIDR unless it has one (AllocateOrOccupyCIDR).
    async fn sync(&mut self, node: &Node) {
        let name = node.name_any();
        if node.metadata.deletion_timestamp.is_some() {
            return;
        }
        if !pod_cidrs(node).is_empty() {
            self.pending.remove(&name);
            if !self.by_node.contains_key(&name) {
                self.occupy(node);
            }
            return;
        }
        if let Some(cidr) = self.by_node.get(&name).cloned() {
            // allocated by us earlier but the patch is not visible yet (or failed)
            self.assign(node, cidr).await;
            return;
        }
        let Some(cidr) = self.set.allocate() else {
            self.pending.insert(name.clone());
            if self.reported_full.insert(name.clone()) {
                tracing::warn!(node = %name, "node-ipam: no pod CIDR available");
                self.record(node, "CIDRNotAvailable").await;
            }
            return;
        };
        self.by_node.insert(name, cidr.clone());
        self.assign(node, cidr).await;
    }

    async fn assign(&mut self, node: &Node, cidr: String) {
        let name = node.name_any();
        let api: Api<Node> = Api::all(self.ctx.client.clone());
        let patch = serde_json::json!({"spec": {"podCIDR": cidr, "podCIDRs": [cidr]}});
        match api
            .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
        {
            Ok(_) => {
                tracing::info!(node = %name, %cidr, "node-ipam: set pod CIDR");
                self.pending.remove(&name);
                self.reported_full.remove(&name);
            }
            Err(kube::Error::Api(e)) if e.code == 404 => self.release(&name),
            Err(e) => {
                tracing::warn!(node = %name, error = %e, "node-ipam: setting pod CIDR failed");
                self.record(node, "CIDRAssignmentFailed").await;
                self.release(&name);
                self.pending.insert(name);
            }
        }
    }

    /// Frees the CIDR of a deleted node.
    fn release(&mut self, name: &str) {
        self.pending.remove(name);
        self.reported_full.remove(name);
        if let Some(cidr) = self.by_node.remove(name) {
            let _ = self.set.release(&cidr);
        }
    }

    async fn retry(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let api: Api<Node> = Api::all(self.ctx.client.clone());
        for name in std::mem::take(&mut self.pending) {
            match api.get_opt(&name).await {
                Ok(Some(n)) => self.sync(&n).await,
                Ok(None) => self.release(&name),
                Err(_) => {
                    self.pending.insert(name);
                }
            }
        }
    }

    /// nodeutil.RecordNodeStatusChange.
    async fn record(&self, node: &Node, status: &str) {
        self.ctx
            .recorder
            .publish(
                node,
                NORMAL,
                status,
                &format!("Node {} status is now: {status}", node.name_any()),
            )
            .await;
    }
}

/// The node's pod CIDRs (`spec.podCIDRs`, else `spec.podCIDR`).
fn pod_cidrs(node: &Node) -> Vec<String> {
    let Some(spec) = &node.spec else {
        return vec![];
    };
    match &spec.pod_cidrs {
        Some(v) if !v.is_empty() => v.clone(),
        _ => spec
            .pod_cidr
            .iter()
            .filter(|c| !c.is_empty())
            .cloned()
            .collect(),
    }
}
