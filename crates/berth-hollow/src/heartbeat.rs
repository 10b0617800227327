//! Node registration, Lease renewal and node status reports for all hollow nodes, driven
//! by one task in batches (pkg/kubelet/kubelet_node_status.go, pkg/kubelet/nodelease).

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{stream, StreamExt};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::Node;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, OwnerReference};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::runtime::reflector::{ObjectRef, Store};
use serde_json::json;

use crate::node::{self, NodeSet};
use crate::Options;

/// Namespace of node Leases.
pub const LEASE_NAMESPACE: &str = "kube-node-lease";
/// Lease duration kubelet writes (nodeLeaseDurationSeconds).
pub const LEASE_DURATION_SECONDS: i32 = 40;
/// How often each Lease is renewed and each node's status is checked
/// (kubelet renews every quarter of the lease duration; nodeStatusUpdateFrequency).
pub const RENEW_INTERVAL: Duration = Duration::from_secs(10);
/// An unchanged node status is still written this often (nodeStatusReportFrequency).
pub const STATUS_REPORT_FREQUENCY: Duration = Duration::from_secs(60);
/// Batches per renew interval: node `i` is handled in batch `i % BATCHES`.
const BATCHES: usize = 10;
/// API calls in flight at once.
const CONCURRENCY: usize = 32;
/// Consecutive rounds a node may be missing before it is registered again.
const MISSING_ROUNDS: u32 = 3;

/// The node side of all hollow kubelets.
#[derive(Clone)]
pub struct Heartbeat {
    pub client: kube::Client,
    pub set: Arc<NodeSet>,
    pub options: Arc<Options>,
    /// Hollow nodes as the API server holds them (a reflector).
    pub nodes: Store<Node>,
}

#[derive(Clone, Copy, Default)]
struct NodeState {
    last_report: Option<Instant>,
    missing: u32,
}

enum Outcome {
    Synced { reported: bool },
    Missing,
}

fn status_code(e: &kube::Error) -> Option<u16> {
    match e {
        kube::Error::Api(s) => Some(s.code),
        _ => None,
    }
}

impl Heartbeat {
    /// Registers every node (creating it, or adopting an existing one), retrying until
    /// the API server accepts.
    pub async fn register_all(&self) {
        stream::iter(0..self.set.len())
            .for_each_concurrent(CONCURRENCY, |i| async move {
                let mut delay = Duration::from_millis(500);
                while let Err(e) = self.register(i).await {
                    tracing::warn!(node = self.set.name(i), error = %e, "unable to register node with API server, retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(30));
                }
            })
            .await;
        tracing::info!(count = self.set.len(), "hollow nodes registered");
    }

    /// Creates node `i`; when it exists already (a restart) adopts it by putting back
    /// the labels kubelet owns, as kubelet's reconcileExtendedResource/labels do.
    async fn register(&self, i: usize) -> Result<(), kube::Error> {
        let api: Api<Node> = Api::all(self.client.clone());
        let obj = node::node(&self.set, i, &self.options, Timestamp::now());
        match api.create(&PostParams::default(), &obj).await {
            Ok(_) => Ok(()),
            Err(e) if status_code(&e) == Some(409) => {
                let patch = json!({"metadata": {"labels": node::labels(self.set.name(i))}});
                api.patch(
                    self.set.name(i),
                    &PatchParams::default(),
                    &Patch::Merge(&patch),
                )
                .await
                .map(|_| ())
            }
            Err(e) => Err(e),
        }
    }

    /// Renews Leases and reports node status forever: every second one batch of nodes,
    /// so each node is visited every [`RENEW_INTERVAL`]. The first round visits all.
    pub async fn run(self) {
        let n = self.set.len();
        let mut states = vec![NodeState::default(); n];
        let mut tick = tokio::time::interval(RENEW_INTERVAL / BATCHES as u32);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut round: usize = 0;
        loop {
            tick.tick().await;
            let batch: Vec<usize> = if round == 0 {
                (0..n).collect()
            } else {
                (0..n).filter(|i| i % BATCHES == round % BATCHES).collect()
            };
            round += 1;
            let now = Timestamp::now();
            let results: Vec<(usize, Result<Outcome, kube::Error>)> = stream::iter(batch)
                .map(|i| {
                    let last = states[i].last_report;
                    let this = &self;
                    async move { (i, this.sync(i, last, now).await) }
                })
                .buffer_unordered(CONCURRENCY)
                .collect()
                .await;
            let mut failures = 0usize;
            let mut first_error = None;
            for (i, r) in results {
                match r {
                    Ok(Outcome::Synced { reported }) => {
                        states[i].missing = 0;
                        if reported {
                            states[i].last_report = Some(Instant::now());
                        }
                    }
                    Ok(Outcome::Missing) => {
                        states[i].missing += 1;
                        if states[i].missing >= MISSING_ROUNDS {
                            tracing::info!(
                                node = self.set.name(i),
                                "node is gone, registering it again"
                            );
                            states[i] = NodeState::default();
                            if let Err(e) = self.register(i).await {
                                tracing::warn!(node = self.set.name(i), error = %e, "unable to register node");
                            }
                        }
                    }
                    Err(e) => {
                        failures += 1;
                        first_error.get_or_insert((i, e));
                    }
                }
            }
            if let Some((i, e)) = first_error {
                tracing::warn!(failures, node = self.set.name(i), error = %e, "error updating node status or lease, will retry");
            }
        }
    }

    /// Renews node `i`'s Lease, then writes its status if it changed or a report is due.
    async fn sync(
        &self,
        i: usize,
        last_report: Option<Instant>,
        now: Timestamp,
    ) -> Result<Outcome, kube::Error> {
        let name = self.set.name(i);
        let current = self.nodes.get(&ObjectRef::new(name));
        self.renew_lease(i, current.as_deref(), now).await?;
        let Some(current) = current else {
            return Ok(Outcome::Missing);
        };
        let quiet = node::status(
            &self.set,
            i,
            &self.options,
            current.status.as_ref(),
            now,
            false,
        );
        let changed = current
            .status
            .as_ref()
            .is_none_or(|s| node::status_changed(s, &quiet));
        let due = last_report.is_none_or(|t| t.elapsed() >= STATUS_REPORT_FREQUENCY);
        if !changed && !due {
            return Ok(Outcome::Synced { reported: false });
        }
        let status = node::status(
            &self.set,
            i,
            &self.options,
            current.status.as_ref(),
            now,
            true,
        );
        let api: Api<Node> = Api::all(self.client.clone());
        let patch = json!({ "status": status });
        match api
            .patch_status(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
        {
            Ok(_) => Ok(Outcome::Synced { reported: true }),
            Err(e) if status_code(&e) == Some(404) => Ok(Outcome::Missing),
            Err(e) => Err(e),
        }
    }

    /// Moves the Lease's renewTime forward, creating the Lease (owned by the Node, so
    /// it goes with it) when there is none.
    async fn renew_lease(
        &self,
        i: usize,
        node: Option<&Node>,
        now: Timestamp,
    ) -> Result<(), kube::Error> {
        let name = self.set.name(i);
        // Not in the reflector yet (the first round right after registering): ask the
        // API server, so the Lease gets its owner reference from the start.
        let fetched;
        let node = match node {
            Some(n) => Some(n),
            None => {
                fetched = Api::<Node>::all(self.client.clone()).get_opt(name).await?;
                fetched.as_ref()
            }
        };
        let api: Api<Lease> = Api::namespaced(self.client.clone(), LEASE_NAMESPACE);
        let spec = LeaseSpec {
            holder_identity: Some(name.to_string()),
            lease_duration_seconds: Some(LEASE_DURATION_SECONDS),
            renew_time: Some(MicroTime(now)),
            ..Default::default()
        };
        // The owner reference goes on as soon as the Node is known (a Lease created in
        // the first round, before the node reached the reflector, has none).
        let owner = node
            .and_then(|n| n.metadata.uid.clone())
            .map(|uid| json!([{"apiVersion": "v1", "kind": "Node", "name": name, "uid": uid}]));
        let patch = match &owner {
            Some(refs) => json!({ "metadata": {"ownerReferences": refs}, "spec": spec }),
            None => json!({ "spec": spec }),
        };
        match api
            .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if status_code(&e) == Some(404) => {
                let lease = Lease {
                    metadata: ObjectMeta {
                        name: Some(name.to_string()),
                        namespace: Some(LEASE_NAMESPACE.to_string()),
                        owner_references: node.and_then(|n| n.metadata.uid.clone()).map(|uid| {
                            vec![OwnerReference {
                                api_version: "v1".into(),
                                kind: "Node".into(),
                                name: name.to_string(),
                                uid,
                                ..Default::default()
                            }]
                        }),
                        ..Default::default()
                    },
                    spec: Some(spec),
                };
                match api.create(&PostParams::default(), &lease).await {
                    Ok(_) => Ok(()),
                    Err(e) if status_code(&e) == Some(409) => Ok(()),
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }
}
