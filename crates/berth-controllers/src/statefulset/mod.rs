//! The StatefulSet controller: pods `<set>-0…N-1` with stable names, hostnames and
//! claims, created in order and deleted in reverse (OrderedReady) or all at once
//! (Parallel), rolled from the highest ordinal down to the partition
//! (pkg/controller/statefulset).

pub mod pods;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use k8s_openapi::api::apps::v1::{ControllerRevision, StatefulSet, StatefulSetStatus};
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::{self, reflector, ObjectRef, Store};
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Resource, ResourceExt};

use crate::events::{NORMAL, WARNING};
use crate::history;
use crate::util::{self, controller_of};
use crate::Context;

struct Sts {
    ctx: Arc<Context>,
    pods: Store<Pod>,
}

#[derive(Debug, thiserror::Error)]
enum Error {
    #[error(transparent)]
    Kube(#[from] kube::Error),
    #[error("no free ControllerRevision name for StatefulSet {0}")]
    Collision(String),
}

/// Runs the controller until the process ends.
pub async fn run(ctx: Arc<Context>) {
    let client = ctx.client.clone();
    let (pods, writer) = reflector::store();
    let pod_events = reflector(
        writer,
        watcher(Api::<Pod>::all(client.clone()), watcher::Config::default()),
    )
    .default_backoff()
    .touched_objects();
    let controller = Controller::new(
        Api::<StatefulSet>::all(client.clone()),
        watcher::Config::default(),
    );
    let sets = controller.store();
    let state = Arc::new(Sts { ctx, pods });
    controller
        .watches_stream(pod_events, move |pod: Pod| owners_of(&sets, &pod))
        .run(reconcile, error_policy, state)
        .for_each(|_| async {})
        .await;
}

/// The StatefulSets a pod event concerns: its controller, or for an orphan every set in
/// its namespace whose selector matches and whose name the pod's name carries.
fn owners_of(sets: &Store<StatefulSet>, pod: &Pod) -> Vec<ObjectRef<StatefulSet>> {
    let ns = pod.namespace().unwrap_or_default();
    if let Some(r) = controller_of(&pod.metadata) {
        if r.kind == "StatefulSet" {
            return vec![ObjectRef::new(&r.name).within(&ns)];
        }
        return vec![];
    }
    sets.state()
        .iter()
        .filter(|s| s.namespace().as_deref() == Some(ns.as_str()))
        .filter(|s| {
            pods::is_member_of(s, pod)
                && s.spec.as_ref().is_some_and(|sp| {
                    !util::selector_is_empty(&sp.selector)
                        && util::selector_matches(&sp.selector, pod.labels())
                })
        })
        .map(|s| ObjectRef::from_obj(s.as_ref()))
        .collect()
}

fn error_policy(_s: Arc<StatefulSet>, err: &Error, _state: Arc<Sts>) -> Action {
    tracing::debug!(error = %err, "statefulset sync failed");
    Action::requeue(util::error_backoff())
}

/// What the ordered processing concluded.
enum Flow {
    /// Go on with the next pod.
    Continue,
    /// Stop this sync (monotonic wait, or an action taken); pod events resume it.
    Stop,
}

async fn reconcile(set: Arc<StatefulSet>, state: Arc<Sts>) -> Result<Action, Error> {
    if state.pods.wait_until_ready().await.is_err() {
        return Ok(Action::requeue(Duration::from_secs(1)));
    }
    let Some(spec) = set.spec.clone() else {
        return Ok(Action::await_change());
    };
    let ns = set.namespace().unwrap_or_default();
    let name = set.name_any();
    let client = state.ctx.client.clone();
    let pods_api: Api<Pod> = Api::namespaced(client.clone(), &ns);
    let uid = set.uid().unwrap_or_default();
    let deleting = set.meta().deletion_timestamp.is_some();

    // Claim pods.
    let mut owned: Vec<Arc<Pod>> = Vec::new();
    for pod in state.pods.state() {
        if pod.namespace().as_deref() != Some(ns.as_str()) {
            continue;
        }
        let matches = !util::selector_is_empty(&spec.selector)
            && util::selector_matches(&spec.selector, pod.labels())
            && pods::is_member_of(&set, &pod);
        match controller_of(&pod.metadata) {
            Some(r) if r.uid == uid => {
                if matches {
                    owned.push(pod);
                } else if !deleting {
                    util::set_owner_refs(&pods_api, &pod, None, &uid).await?;
                }
            }
            Some(_) => {}
            None if matches && !deleting && pod.metadata.deletion_timestamp.is_none() => {
                util::set_owner_refs(
                    &pods_api,
                    &pod,
                    Some(util::controller_ref(set.as_ref())),
                    &uid,
                )
                .await?;
                owned.push(pod);
            }
            None => {}
        }
    }

    // Revisions.
    let rev_api: Api<ControllerRevision> = Api::namespaced(client.clone(), &ns);
    let owner = util::controller_ref(set.as_ref());
    let revisions = history::claim(&rev_api, &owner, &spec.selector, deleting).await?;
    let (current_rev, update_rev, collision_count) =
        revisions_of(&set, &rev_api, &revisions).await?;
    let current_name = current_rev.name_any();
    let update_name = update_rev.name_any();
    let current_template =
        history::revision_template(&current_rev).unwrap_or_else(|| spec.template.clone());
    let update_template =
        history::revision_template(&update_rev).unwrap_or_else(|| spec.template.clone());

    // Partition pods into replicas (by ordinal) and condemned.
    let start = pods::start_ordinal(&set);
    let count = spec.replicas.unwrap_or(1).max(0);
    let mut replicas: Vec<Option<Arc<Pod>>> = vec![None; count as usize];
    let mut condemned: Vec<Arc<Pod>> = Vec::new();
    for p in &owned {
        let Some(ord) = pods::ordinal(p) else {
            continue;
        };
        if ord >= start && ord < start + count {
            replicas[(ord - start) as usize] = Some(p.clone());
        } else {
            condemned.push(p.clone());
        }
    }
    condemned.sort_by_key(|p| std::cmp::Reverse(pods::ordinal(p)));
    let first_unhealthy: Option<String> = replicas
        .iter()
        .find(|p| p.as_ref().is_none_or(|p| !pods::is_healthy(p)))
        .map(|p| p.as_ref().map(|p| p.name_any()).unwrap_or_default())
        .or_else(|| {
            condemned
                .iter()
                .rev()
                .find(|p| !pods::is_healthy(p))
                .map(|p| p.name_any())
        });

    let monotonic = spec.pod_management_policy.as_deref() != Some("Parallel");
    let min_ready = spec.min_ready_seconds.unwrap_or(0);
    let partition = spec
        .update_strategy
        .as_ref()
        .and_then(|u| u.rolling_update.as_ref())
        .and_then(|r| r.partition)
        .unwrap_or(0);
    let rolling = spec
        .update_strategy
        .as_ref()
        .and_then(|u| u.type_.as_deref())
        .unwrap_or("RollingUpdate")
        == "RollingUpdate";

    if !deleting {
        let proceed = 'sync: {
            for (i, slot) in replicas.iter().enumerate() {
                let ord = start + i as i32;
                let flow = match slot {
                    None => {
                        // newVersionedStatefulSetPod: ordinals below the partition stay
                        // at the current revision
                        let (template, rev) = if rolling && ord < partition {
                            (&current_template, current_name.as_str())
                        } else {
                            (&update_template, update_name.as_str())
                        };
                        let pod = pods::new_pod(&set, template, ord, rev, owner.clone());
                        create_pod(&state, &set, &pods_api, &pod).await?;
                        if monotonic {
                            Flow::Stop
                        } else {
                            Flow::Continue
                        }
                    }
                    Some(pod) => {
                        process_replica(&state, &set, &pods_api, pod, monotonic, min_ready).await?
                    }
                };
                if let Flow::Stop = flow {
                    break 'sync false;
                }
            }
            for pod in &condemned {
                if pods::is_terminating(pod) {
                    if monotonic {
                        break 'sync false;
                    }
                    continue;
                }
                let first = first_unhealthy.as_deref() == Some(pod.name_any().as_str());
                if monotonic
                    && !first
                    && (!pods::is_running_and_ready(pod)
                        || !pods::is_running_and_available(pod, min_ready))
                {
                    break 'sync false;
                }
                delete_pod(&state, &set, &pods_api, pod).await?;
                if monotonic {
                    break 'sync false;
                }
            }
            true
        };
        if proceed && rolling {
            // delete the highest-ordinal pod not at the update revision, waiting for
            // each replaced pod to be healthy again
            for target in (partition.max(0) as usize..replicas.len()).rev() {
                let Some(pod) = &replicas[target] else {
                    break;
                };
                if pods::revision(pod) != update_name && !pods::is_terminating(pod) {
                    delete_pod(&state, &set, &pods_api, pod).await?;
                    break;
                }
                if !pods::is_healthy(pod) {
                    break;
                }
            }
        }
    }

    // Status.
    let mut status = StatefulSetStatus {
        observed_generation: set.meta().generation,
        current_revision: Some(current_name.clone()),
        update_revision: Some(update_name.clone()),
        collision_count: Some(collision_count),
        conditions: set.status.as_ref().and_then(|s| s.conditions.clone()),
        ..Default::default()
    };
    let (mut ready, mut available, mut current, mut updated) = (0, 0, 0, 0);
    for p in owned.iter().filter(|p| pods::ordinal(p).is_some()) {
        status.replicas += 1;
        if pods::is_running_and_ready(p) {
            ready += 1;
            if pods::is_running_and_available(p, min_ready) {
                available += 1;
            }
        }
        if !pods::is_terminating(p) {
            if pods::revision(p) == current_name {
                current += 1;
            }
            if pods::revision(p) == update_name {
                updated += 1;
            }
        }
    }
    // completeRollingUpdate
    if rolling && updated == status.replicas && ready == status.replicas {
        current = updated;
        status.current_revision = Some(update_name.clone());
    }
    status.ready_replicas = Some(ready);
    status.available_replicas = Some(available);
    status.current_replicas = Some(current);
    status.updated_replicas = Some(updated);
    if set.status.as_ref() != Some(&status) {
        let api: Api<StatefulSet> = Api::namespaced(client, &ns);
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

    // truncateHistory: keep revisions pods use, the current and the update revision
    if !deleting {
        let live: HashSet<String> = owned
            .iter()
            .map(|p| pods::revision(p).to_string())
            .chain([current_name, update_name])
            .collect();
        let old: Vec<ControllerRevision> = revisions
            .into_iter()
            .filter(|r| !live.contains(&r.name_any()))
            .collect();
        let limit = spec.revision_history_limit.unwrap_or(10).max(0) as usize;
        history::truncate(&rev_api, &old, &live, limit).await?;
    }
    if min_ready > 0 && ready != available {
        return Ok(Action::requeue(Duration::from_secs(min_ready as u64)));
    }
    Ok(Action::requeue(Duration::from_secs(300)))
}

/// `processReplica` for an existing pod.
async fn process_replica(
    state: &Sts,
    set: &StatefulSet,
    api: &Api<Pod>,
    pod: &Pod,
    monotonic: bool,
    min_ready: i32,
) -> Result<Flow, Error> {
    if pods::is_finished(pod) {
        // recreated at the next sync once it is gone
        if !pods::is_terminating(pod) {
            delete_pod(state, set, api, pod).await?;
        }
        return Ok(if monotonic {
            Flow::Stop
        } else {
            Flow::Continue
        });
    }
    if util::phase(pod) == "Pending" {
        if let Some(ord) = pods::ordinal(pod) {
            create_claims(state, set, &pod.name_any(), ord).await?;
        }
    }
    if monotonic && (pods::is_terminating(pod) || !pods::is_running_and_available(pod, min_ready)) {
        return Ok(Flow::Stop);
    }
    if !pods::identity_matches(pod) {
        let ord = pods::ordinal(pod).unwrap_or_default();
        let patch = serde_json::json!({"metadata": {"labels": {
            pods::POD_NAME_LABEL: pod.name_any(),
            pods::POD_INDEX_LABEL: ord.to_string(),
        }}});
        match api
            .patch(
                &pod.name_any(),
                &PatchParams::default(),
                &Patch::Merge(&patch),
            )
            .await
        {
            Ok(_) | Err(kube::Error::Api(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Flow::Continue)
}

/// `createPersistentVolumeClaims`: the pod's claims that do not exist yet.
async fn create_claims(
    state: &Sts,
    set: &StatefulSet,
    pod: &str,
    ordinal: i32,
) -> Result<(), Error> {
    let ns = set.namespace().unwrap_or_default();
    let api: Api<PersistentVolumeClaim> = Api::namespaced(state.ctx.client.clone(), &ns);
    for claim in pods::claims(set, ordinal) {
        let cname = claim.name_any();
        if api.get_opt(&cname).await?.is_some() {
            continue;
        }
        match api.create(&PostParams::default(), &claim).await {
            Ok(_) => {
                let msg = format!(
                    "create Claim {cname} Pod {pod} in StatefulSet {} success",
                    set.name_any()
                );
                state
                    .ctx
                    .recorder
                    .publish(set, NORMAL, "SuccessfulCreate", &msg)
                    .await;
            }
            Err(kube::Error::Api(e)) if e.code == 409 => {}
            Err(e) => {
                let msg = format!(
                    "create Claim {cname} for Pod {pod} in StatefulSet {} failed error: {e}",
                    set.name_any()
                );
                state
                    .ctx
                    .recorder
                    .publish(set, WARNING, "FailedCreate", &msg)
                    .await;
                return Err(e.into());
            }
        }
    }
    Ok(())
}

/// `CreateStatefulPod`: claims first, then the pod.
async fn create_pod(
    state: &Sts,
    set: &StatefulSet,
    api: &Api<Pod>,
    pod: &Pod,
) -> Result<(), Error> {
    let pname = pod.name_any();
    if let Some(ord) = pods::ordinal(pod) {
        create_claims(state, set, &pname, ord).await?;
    }
    match api.create(&PostParams::default(), pod).await {
        Ok(_) => {
            let msg = format!(
                "create Pod {pname} in StatefulSet {} successful",
                set.name_any()
            );
            state
                .ctx
                .recorder
                .publish(set, NORMAL, "SuccessfulCreate", &msg)
                .await;
            Ok(())
        }
        // the pod store has not caught up with an earlier create
        Err(kube::Error::Api(e)) if e.code == 409 => Ok(()),
        Err(e) => {
            let reason = match &e {
                kube::Error::Api(s) => s.message.clone(),
                other => other.to_string(),
            };
            let msg = format!(
                "create Pod {pname} in StatefulSet {} failed error: {reason}",
                set.name_any()
            );
            state
                .ctx
                .recorder
                .publish(set, WARNING, "FailedCreate", &msg)
                .await;
            Err(e.into())
        }
    }
}

/// `DeleteStatefulPod`.
async fn delete_pod(
    state: &Sts,
    set: &StatefulSet,
    api: &Api<Pod>,
    pod: &Pod,
) -> Result<(), Error> {
    let pname = pod.name_any();
    match api.delete(&pname, &DeleteParams::default()).await {
        Ok(_) => {
            let msg = format!(
                "delete Pod {pname} in StatefulSet {} successful",
                set.name_any()
            );
            state
                .ctx
                .recorder
                .publish(set, NORMAL, "SuccessfulDelete", &msg)
                .await;
            Ok(())
        }
        Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
        Err(e) => {
            let msg = format!(
                "delete Pod {pname} in StatefulSet {} failed error: {e}",
                set.name_any()
            );
            state
                .ctx
                .recorder
                .publish(set, WARNING, "FailedDelete", &msg)
                .await;
            Err(e.into())
        }
    }
}

/// `getStatefulSetRevisions`: the current revision (from status), the update revision
/// (of the template now: the newest equal revision, an older equal one promoted, or a new
/// one), and the collision count used.
async fn revisions_of(
    set: &StatefulSet,
    api: &Api<ControllerRevision>,
    revisions: &[ControllerRevision],
) -> Result<(ControllerRevision, ControllerRevision, i32), Error> {
    let ns = set.namespace().unwrap_or_default();
    let template = set
        .spec
        .as_ref()
        .map(|s| s.template.clone())
        .unwrap_or_default();
    let data = history::template_patch(&template);
    let mut collision_count = set
        .status
        .as_ref()
        .and_then(|s| s.collision_count)
        .unwrap_or(0);
    let next = revisions.last().map(|r| r.revision).unwrap_or(0) + 1;
    let equal: Vec<&ControllerRevision> = revisions
        .iter()
        .filter(|r| history::data_equal(r, &data))
        .collect();
    let update = match (equal.last(), revisions.last()) {
        (Some(e), Some(last)) if e.name_any() == last.name_any() => (*e).clone(),
        (Some(e), _) => history::set_revision(api, e, next).await?,
        (None, _) => loop {
            if collision_count > 100 {
                return Err(Error::Collision(set.name_any()));
            }
            let hash = history::hash_revision(&data, Some(collision_count));
            let rev = history::new_revision(
                util::controller_ref(set),
                &ns,
                template
                    .metadata
                    .as_ref()
                    .and_then(|m| m.labels.clone())
                    .unwrap_or_default(),
                set.metadata.annotations.clone(),
                data.clone(),
                next,
                hash,
            );
            match history::create(api, &rev).await? {
                Some(r) => break r,
                None => collision_count += 1,
            }
        },
    };
    let current_name = set.status.as_ref().and_then(|s| s.current_revision.clone());
    let current = revisions
        .iter()
        .find(|r| Some(r.name_any()) == current_name)
        .cloned()
        .unwrap_or_else(|| update.clone());
    Ok((current, update, collision_count))
}
