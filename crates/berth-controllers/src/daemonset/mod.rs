//! The DaemonSet controller: one pod per eligible node, bound there by the scheduler
//! through node affinity, rolled by revision hash, with status for `kubectl get ds` and
//! `kubectl rollout status` (pkg/controller/daemon).

pub mod placement;
pub mod update;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures_util::StreamExt;
use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet, DaemonSetStatus};
use k8s_openapi::api::core::v1::{Node, Pod, PodSpec};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::{self, reflector, ObjectRef, Store};
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Resource, ResourceExt};

use crate::events::{NORMAL, WARNING};
use crate::history::{self, CONTROLLER_REVISION_HASH};
use crate::replicaset::Expectations;
use crate::util::{self, controller_of};
use crate::Context;
use update::TEMPLATE_GENERATION_LABEL;

/// Pods created or deleted per sync at most (upstream's BurstReplicas).
const BURST: usize = 250;
/// Annotation the API server keeps with the template generation.
pub const TEMPLATE_GENERATION_ANNOTATION: &str = "deprecated.daemonset.template.generation";

struct Ds {
    ctx: Arc<Context>,
    pods: Store<Pod>,
    nodes: Store<Node>,
    expectations: Expectations,
}

#[derive(Debug, thiserror::Error)]
enum Error {
    #[error(transparent)]
    Kube(#[from] kube::Error),
    #[error("{0}")]
    Retry(String),
}

/// Runs the controller until the process ends.
pub async fn run(ctx: Arc<Context>) {
    let client = ctx.client.clone();
    let (pods, pod_writer) = reflector::store();
    let pod_events = reflector(
        pod_writer,
        watcher(Api::<Pod>::all(client.clone()), watcher::Config::default()),
    )
    .default_backoff()
    .touched_objects();
    let (nodes, node_writer) = reflector::store();
    let node_events = reflector(
        node_writer,
        watcher(Api::<Node>::all(client.clone()), watcher::Config::default()),
    )
    .default_backoff()
    .touched_objects();
    let controller = Controller::new(
        Api::<DaemonSet>::all(client.clone()),
        watcher::Config::default(),
    );
    let ds_store = controller.store();
    let ds_store2 = ds_store.clone();
    let state = Arc::new(Ds {
        ctx,
        pods,
        nodes,
        expectations: Expectations::default(),
    });
    controller
        .watches_stream(pod_events, move |pod: Pod| owners_of(&ds_store, &pod))
        // a node's labels or taints decide which DaemonSets want it
        .watches_stream(node_events, move |_node: Node| {
            ds_store2
                .state()
                .iter()
                .map(|d| ObjectRef::from_obj(d.as_ref()))
                .collect::<Vec<_>>()
        })
        .run(reconcile, error_policy, state)
        .for_each(|_| async {})
        .await;
}

/// The DaemonSets a pod event concerns: its controller, or for an orphan every
/// DaemonSet in its namespace whose selector matches.
fn owners_of(ds_store: &Store<DaemonSet>, pod: &Pod) -> Vec<ObjectRef<DaemonSet>> {
    let ns = pod.namespace().unwrap_or_default();
    if let Some(r) = controller_of(&pod.metadata) {
        if r.kind == "DaemonSet" {
            return vec![ObjectRef::new(&r.name).within(&ns)];
        }
        return vec![];
    }
    ds_store
        .state()
        .iter()
        .filter(|d| d.namespace().as_deref() == Some(ns.as_str()))
        .filter(|d| {
            d.spec.as_ref().is_some_and(|s| {
                !util::selector_is_empty(&s.selector)
                    && util::selector_matches(&s.selector, pod.labels())
            })
        })
        .map(|d| ObjectRef::from_obj(d.as_ref()))
        .collect()
}

fn error_policy(_ds: Arc<DaemonSet>, err: &Error, _state: Arc<Ds>) -> Action {
    tracing::debug!(error = %err, "daemonset sync failed");
    match err {
        Error::Retry(_) => Action::requeue(Duration::from_secs(1)),
        Error::Kube(_) => Action::requeue(util::error_backoff()),
    }
}

/// `GetTemplateGeneration`: the generation the API server recorded in an annotation.
fn template_generation(ds: &DaemonSet) -> Option<i64> {
    ds.annotations()
        .get(TEMPLATE_GENERATION_ANNOTATION)
        .and_then(|g| g.parse().ok())
}

/// Sort key of `podByCreationTimestampAndPhase`: bound pods first, then oldest, then name.
fn pod_order(p: &Pod) -> (bool, Option<i64>, String) {
    let unbound = p
        .spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .is_none_or(str::is_empty);
    (
        unbound,
        p.metadata
            .creation_timestamp
            .as_ref()
            .map(|t| t.0.as_nanosecond() as i64),
        p.name_any(),
    )
}

async fn reconcile(ds: Arc<DaemonSet>, state: Arc<Ds>) -> Result<Action, Error> {
    if state.pods.wait_until_ready().await.is_err() || state.nodes.wait_until_ready().await.is_err()
    {
        return Ok(Action::requeue(Duration::from_secs(1)));
    }
    let ns = ds.namespace().unwrap_or_default();
    let name = ds.name_any();
    let key = format!("{ns}/{name}");
    let Some(spec) = ds.spec.clone() else {
        return Ok(Action::await_change());
    };
    if ds.meta().deletion_timestamp.is_some() {
        state.expectations.forget(&key);
        return Ok(Action::await_change());
    }
    let client = state.ctx.client.clone();
    let pods_api: Api<Pod> = Api::namespaced(client.clone(), &ns);
    let uid = ds.uid().unwrap_or_default();

    // Claim pods: owned ones that match, adopted orphans; release the rest.
    let mut owned: Vec<Arc<Pod>> = Vec::new();
    for pod in state.pods.state() {
        if pod.namespace().as_deref() != Some(ns.as_str()) {
            continue;
        }
        let matches = !util::selector_is_empty(&spec.selector)
            && util::selector_matches(&spec.selector, pod.labels());
        match controller_of(&pod.metadata) {
            Some(r) if r.uid == uid => {
                if matches {
                    owned.push(pod);
                } else {
                    util::set_owner_refs(&pods_api, &pod, None, &uid).await?;
                }
            }
            Some(_) => {}
            None if matches && pod.metadata.deletion_timestamp.is_none() => {
                util::set_owner_refs(
                    &pods_api,
                    &pod,
                    Some(util::controller_ref(ds.as_ref())),
                    &uid,
                )
                .await?;
                owned.push(pod);
            }
            None => {}
        }
    }
    owned.sort_by_key(|p| pod_order(p));
    let mut node_pods: BTreeMap<String, Vec<Arc<Pod>>> = BTreeMap::new();
    for p in &owned {
        if let Some(n) = placement::target_node_name(p) {
            node_pods.entry(n).or_default().push(p.clone());
        }
    }

    let (hash, old_revisions) = construct_history(&state, &ds).await?;
    let generation = template_generation(&ds);
    let daemon_spec = placement::daemon_pod_spec(&ds);
    let nodes = state.nodes.state();

    if state.expectations.satisfied(&key, &state.pods, &ns) {
        let (create_on, delete) = manage(&state, &ds, &nodes, &node_pods, &daemon_spec, &hash);
        let failed = delete.iter().filter(|(_, failed)| *failed).count();
        let delete: Vec<String> = delete.into_iter().map(|(n, _)| n).collect();
        sync_nodes(&state, &ds, &key, &pods_api, create_on, delete, &hash).await?;
        let strategy = spec
            .update_strategy
            .as_ref()
            .and_then(|s| s.type_.as_deref())
            .unwrap_or("RollingUpdate");
        if strategy == "RollingUpdate" && state.expectations.satisfied(&key, &state.pods, &ns) {
            let step = rolling_update(&ds, &nodes, &node_pods, &daemon_spec, &hash, generation);
            sync_nodes(
                &state,
                &ds,
                &key,
                &pods_api,
                step.create_on,
                step.delete,
                &hash,
            )
            .await?;
        }
        let live: HashSet<String> = owned
            .iter()
            .filter_map(|p| p.labels().get(CONTROLLER_REVISION_HASH).cloned())
            .chain([hash.clone()])
            .collect();
        let limit = spec.revision_history_limit.unwrap_or(10).max(0) as usize;
        let rev_api: Api<ControllerRevision> = Api::namespaced(client.clone(), &ns);
        history::truncate(&rev_api, &old_revisions, &live, limit).await?;
        if failed > 0 {
            return Err(Error::Retry(format!(
                "deleted {failed} failed pods of DaemonSet {key}"
            )));
        }
    }

    // Status, from what the pod store shows now.
    let now = Utc::now();
    let min_ready = spec.min_ready_seconds.unwrap_or(0);
    let (mut desired, mut current, mut ready, mut available, mut updated, mut misscheduled) =
        (0, 0, 0, 0, 0, 0);
    for node in nodes.iter() {
        let (should_run, _) = placement::node_should_run(node, &daemon_spec);
        let pods: Vec<&Arc<Pod>> = node_pods
            .get(&node.name_any())
            .into_iter()
            .flatten()
            .filter(|p| util::is_pod_active(p))
            .collect();
        if !should_run {
            if !pods.is_empty() {
                misscheduled += 1;
            }
            continue;
        }
        desired += 1;
        let Some(pod) = pods.first() else {
            continue;
        };
        current += 1;
        if util::is_pod_ready(pod) {
            ready += 1;
            if util::is_pod_available(pod, min_ready, now) {
                available += 1;
            }
        }
        if update::is_pod_updated(pod, &hash, generation) {
            updated += 1;
        }
    }
    let status = DaemonSetStatus {
        collision_count: ds.status.as_ref().and_then(|s| s.collision_count),
        conditions: ds.status.as_ref().and_then(|s| s.conditions.clone()),
        current_number_scheduled: current,
        desired_number_scheduled: desired,
        number_available: Some(available),
        number_misscheduled: misscheduled,
        number_ready: ready,
        number_unavailable: Some(desired - available),
        observed_generation: ds.meta().generation,
        updated_number_scheduled: Some(updated),
    };
    if ds.status.as_ref() != Some(&status) {
        let api: Api<DaemonSet> = Api::namespaced(client, &ns);
        let patch = serde_json::json!({"status": status});
        match api
            .patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
        {
            Ok(_) => {}
            Err(kube::Error::Api(e)) if e.code == 404 => return Ok(Action::await_change()),
            Err(e) => return Err(e.into()),
        }
    }
    if min_ready > 0 && ready != available {
        return Ok(Action::requeue(Duration::from_secs(min_ready as u64)));
    }
    if !state.expectations.satisfied(&key, &state.pods, &ns) {
        return Ok(Action::requeue(Duration::from_secs(1)));
    }
    Ok(Action::requeue(Duration::from_secs(300)))
}

/// `manage`: nodes that need a daemon pod, and pods to delete (with whether it failed):
/// pods on nodes that must not run one, failed or succeeded pods, duplicates, and pods
/// waiting for a node that no longer exists.
fn manage(
    state: &Ds,
    ds: &DaemonSet,
    nodes: &[Arc<Node>],
    node_pods: &BTreeMap<String, Vec<Arc<Pod>>>,
    daemon_spec: &PodSpec,
    current_hash: &str,
) -> (Vec<String>, Vec<(String, bool)>) {
    let surge = allows_surge(ds);
    let hash_of = |p: &Pod| p.labels().get(CONTROLLER_REVISION_HASH).cloned();
    let min_ready = ds
        .spec
        .as_ref()
        .and_then(|s| s.min_ready_seconds)
        .unwrap_or(0);
    let mut create_on = Vec::new();
    let mut delete: Vec<(String, bool)> = Vec::new();
    for node in nodes {
        let node_name = node.name_any();
        let (should_run, should_continue) = placement::node_should_run(node, daemon_spec);
        let pods = node_pods.get(&node_name).filter(|p| !p.is_empty());
        match pods {
            None if should_run => create_on.push(node_name),
            _ if should_continue => {
                let mut running = Vec::new();
                for p in pods.into_iter().flatten() {
                    if p.metadata.deletion_timestamp.is_some() {
                        continue;
                    }
                    match util::phase(p) {
                        "Failed" => {
                            let msg = format!(
                                "Found failed daemon pod {}/{} on node {node_name}, will try to kill it",
                                p.namespace().unwrap_or_default(),
                                p.name_any()
                            );
                            let ds = ds.clone();
                            let ctx = state.ctx.clone();
                            tokio::spawn(async move {
                                ctx.recorder
                                    .publish(&ds, WARNING, "FailedDaemonPod", &msg)
                                    .await
                            });
                            delete.push((p.name_any(), true));
                        }
                        "Succeeded" => delete.push((p.name_any(), false)),
                        _ => running.push(p.clone()),
                    }
                }
                if running.len() <= 1 {
                    continue;
                }
                if !surge {
                    // keep the oldest
                    for p in &running[1..] {
                        delete.push((p.name_any(), false));
                    }
                    continue;
                }
                // With surge, keep at most the oldest new pod and the oldest old pod, the
                // old one only while it is ready and the new one not yet available.
                let (mut oldest_new, mut oldest_old) = (None, None);
                for p in &running {
                    let slot = if hash_of(p).as_deref() == Some(current_hash) {
                        &mut oldest_new
                    } else {
                        &mut oldest_old
                    };
                    if slot.is_none() {
                        *slot = Some(p.clone());
                    } else {
                        delete.push((p.name_any(), false));
                    }
                }
                if let (Some(n), Some(o)) = (oldest_new, oldest_old) {
                    if !util::is_pod_ready(&o) || util::is_pod_available(&n, min_ready, Utc::now())
                    {
                        delete.push((o.name_any(), false));
                    }
                }
            }
            Some(pods) => {
                for p in pods
                    .iter()
                    .filter(|p| p.metadata.deletion_timestamp.is_none())
                {
                    delete.push((p.name_any(), false));
                }
            }
            None => {}
        }
    }
    // getUnscheduledPodsWithoutNode
    let names: HashSet<String> = nodes.iter().map(|n| n.name_any()).collect();
    for (node, pods) in node_pods {
        if names.contains(node) {
            continue;
        }
        for p in pods {
            let unbound = p
                .spec
                .as_ref()
                .and_then(|s| s.node_name.as_deref())
                .is_none_or(str::is_empty);
            if unbound && p.metadata.deletion_timestamp.is_none() {
                delete.push((p.name_any(), false));
            }
        }
    }
    (create_on, delete)
}

fn allows_surge(ds: &DaemonSet) -> bool {
    ds.spec
        .as_ref()
        .and_then(|s| s.update_strategy.as_ref())
        .filter(|s| s.type_.as_deref().unwrap_or("RollingUpdate") == "RollingUpdate")
        .and_then(|s| s.rolling_update.as_ref())
        .and_then(|r| r.max_surge.as_ref())
        .is_some_and(|m| update::scaled_value(Some(m), 1, true) > 0)
}

/// One step of the rolling update (`rollingUpdate`, `updatedDesiredNodeCounts`).
fn rolling_update(
    ds: &DaemonSet,
    nodes: &[Arc<Node>],
    node_pods: &BTreeMap<String, Vec<Arc<Pod>>>,
    daemon_spec: &PodSpec,
    hash: &str,
    generation: Option<i64>,
) -> update::Step {
    // terminal pods are left to manage(); they neither count nor get replaced here
    let mut per_node: BTreeMap<String, Vec<Arc<Pod>>> = node_pods
        .iter()
        .map(|(n, pods)| {
            let active = pods.iter().filter(|p| util::is_pod_active(p)).cloned();
            (n.clone(), active.collect())
        })
        .collect();
    let mut desired = 0;
    let mut runs = HashSet::new();
    for node in nodes {
        if placement::node_should_run(node, daemon_spec).0 {
            desired += 1;
            runs.insert(node.name_any());
            per_node.entry(node.name_any()).or_default();
        }
    }
    let ru = ds
        .spec
        .as_ref()
        .and_then(|s| s.update_strategy.as_ref())
        .and_then(|s| s.rolling_update.as_ref());
    let mut max_unavailable =
        update::scaled_value(ru.and_then(|r| r.max_unavailable.as_ref()), desired, true);
    let max_surge = update::scaled_value(ru.and_then(|r| r.max_surge.as_ref()), desired, true);
    if desired > 0 && max_unavailable == 0 && max_surge == 0 {
        max_unavailable = 1;
    }
    let should_run = |n: &str| runs.contains(n);
    update::Rollout {
        node_pods: &per_node,
        hash,
        generation,
        max_surge,
        max_unavailable,
        desired,
        min_ready_seconds: ds
            .spec
            .as_ref()
            .and_then(|s| s.min_ready_seconds)
            .unwrap_or(0),
        now: Utc::now(),
        should_run: &should_run,
    }
    .step()
}

/// `syncNodes`: deletes pods and creates one pod per node (in slow-start batches),
/// recording expectations and events.
async fn sync_nodes(
    state: &Ds,
    ds: &DaemonSet,
    key: &str,
    api: &Api<Pod>,
    mut create_on: Vec<String>,
    mut delete: Vec<String>,
    hash: &str,
) -> Result<(), Error> {
    create_on.truncate(BURST);
    delete.truncate(BURST);
    if create_on.is_empty() && delete.is_empty() {
        return Ok(());
    }
    let Some(spec) = ds.spec.as_ref() else {
        return Ok(());
    };
    let ns = ds.namespace().unwrap_or_default();
    // CreatePodTemplate: daemon tolerations, generation and hash labels.
    let mut template = spec.template.clone();
    let pod_spec = template.spec.get_or_insert_with(Default::default);
    placement::add_daemon_tolerations(pod_spec);
    let labels = template
        .metadata
        .get_or_insert_with(Default::default)
        .labels
        .get_or_insert_with(Default::default);
    if let Some(g) = template_generation(ds) {
        labels.insert(TEMPLATE_GENERATION_LABEL.into(), g.to_string());
    }
    labels.insert(CONTROLLER_REVISION_HASH.into(), hash.to_string());
    let owner = util::controller_ref(ds);
    let prefix = util::name_prefix(&ds.name_any());

    let mut created = Vec::new();
    let mut first_error: Option<kube::Error> = None;
    let mut batch = 1usize;
    let mut pending = create_on.as_slice();
    while !pending.is_empty() && first_error.is_none() {
        let (now, rest) = pending.split_at(batch.min(pending.len()));
        pending = rest;
        batch *= 2;
        let futs = now.iter().map(|node| {
            let mut pod = util::pod_from_template(&template, &ns, &prefix, owner.clone());
            if let Some(s) = pod.spec.as_mut() {
                s.affinity = Some(placement::replace_node_name_affinity(
                    s.affinity.take(),
                    node,
                ));
            }
            async move { api.create(&PostParams::default(), &pod).await }
        });
        for r in futures_util::future::join_all(futs).await {
            match r {
                Ok(p) => {
                    let pname = p.name_any();
                    state
                        .ctx
                        .recorder
                        .publish(
                            ds,
                            NORMAL,
                            "SuccessfulCreate",
                            &format!("Created pod: {pname}"),
                        )
                        .await;
                    created.push(pname);
                }
                Err(e) => {
                    let msg = match &e {
                        kube::Error::Api(s) => s.message.clone(),
                        other => other.to_string(),
                    };
                    // a terminating namespace refuses new pods; nothing to report
                    if !msg.contains("because it is being terminated") {
                        state
                            .ctx
                            .recorder
                            .publish(
                                ds,
                                WARNING,
                                "FailedCreate",
                                &format!("Error creating: {msg}"),
                            )
                            .await;
                    }
                    first_error.get_or_insert(e);
                }
            }
        }
    }

    let mut deleted = Vec::new();
    for pname in delete {
        match api.delete(&pname, &DeleteParams::default()).await {
            Ok(_) => {
                state
                    .ctx
                    .recorder
                    .publish(
                        ds,
                        NORMAL,
                        "SuccessfulDelete",
                        &format!("Deleted pod: {pname}"),
                    )
                    .await;
                deleted.push(pname);
            }
            Err(kube::Error::Api(e)) if e.code == 404 => {}
            Err(e) => {
                state
                    .ctx
                    .recorder
                    .publish(ds, WARNING, "FailedDelete", &format!("Error deleting: {e}"))
                    .await;
                first_error.get_or_insert(e);
            }
        }
    }
    state.expectations.expect(key, created, deleted);
    match first_error {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// `constructHistory`: finds or creates the revision of the current template, keeps its
/// revision number the highest; returns its hash and the older revisions.
async fn construct_history(
    state: &Ds,
    ds: &DaemonSet,
) -> Result<(String, Vec<ControllerRevision>), Error> {
    let ns = ds.namespace().unwrap_or_default();
    let Some(spec) = ds.spec.as_ref() else {
        return Ok((String::new(), vec![]));
    };
    let api: Api<ControllerRevision> = Api::namespaced(state.ctx.client.clone(), &ns);
    let owner = util::controller_ref(ds);
    let revisions = history::claim(&api, &owner, &spec.selector, false).await?;
    let data = history::template_patch(&spec.template);
    let (mut current, old): (Vec<_>, Vec<_>) = revisions
        .into_iter()
        .partition(|r| history::data_equal(r, &data));
    let next = old.iter().map(|r| r.revision).max().unwrap_or(0) + 1;
    let cur = match current.pop() {
        None => {
            let collision = ds.status.as_ref().and_then(|s| s.collision_count);
            let hash = history::compute_hash(&spec.template, collision);
            let rev = history::new_revision(
                owner,
                &ns,
                spec.template
                    .metadata
                    .as_ref()
                    .and_then(|m| m.labels.clone())
                    .unwrap_or_default(),
                ds.metadata.annotations.clone(),
                data,
                next,
                hash,
            );
            match history::create(&api, &rev).await? {
                Some(r) => r,
                None => {
                    // a different revision holds the name: bump collisionCount and retry
                    let ds_api: Api<DaemonSet> = Api::namespaced(state.ctx.client.clone(), &ns);
                    let patch = serde_json::json!({"status": {"collisionCount": collision.unwrap_or(0) + 1}});
                    ds_api
                        .patch_status(
                            &ds.name_any(),
                            &PatchParams::default(),
                            &Patch::Merge(&patch),
                        )
                        .await?;
                    return Err(Error::Retry(format!(
                        "hash collision creating revision {}",
                        rev.name_any()
                    )));
                }
            }
        }
        Some(keep) => {
            // dedupCurHistories: revisions with equal data other than the newest go
            for dup in &current {
                let _ = api.delete(&dup.name_any(), &DeleteParams::default()).await;
            }
            if keep.revision < next {
                history::set_revision(&api, &keep, next).await?
            } else {
                keep
            }
        }
    };
    let hash = cur
        .labels()
        .get(CONTROLLER_REVISION_HASH)
        .cloned()
        .unwrap_or_else(|| cur.name_any());
    Ok((hash, old))
}
