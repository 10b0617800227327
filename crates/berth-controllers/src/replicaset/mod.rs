//! The ReplicaSet controller: keeps `spec.replicas` pods matching the selector, adopting
//! orphans and releasing pods whose labels no longer match, and reports status
//! (pkg/controller/replicaset).

mod rank;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::StreamExt;
use k8s_openapi::api::apps::v1::{ReplicaSet, ReplicaSetStatus};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::{self, reflector, ObjectRef, Store};
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Resource, ResourceExt};

use crate::events::{NORMAL, WARNING};
use crate::util::{self, controller_of};
use crate::Context;

/// Pods created or deleted per sync at most (upstream's burstReplicas).
const BURST: usize = 500;
/// How long expectations are trusted before the store is believed instead.
const EXPECTATION_TIMEOUT: Duration = Duration::from_secs(300);

/// Pod names created and deleted, and when.
type Pending = (HashSet<String>, HashSet<String>, Instant);

/// Creations and deletions issued but not yet seen in the pod store (ControllerExpectations).
#[derive(Default)]
pub struct Expectations {
    inner: Mutex<HashMap<String, Pending>>,
}

impl Expectations {
    /// Whether everything expected for `key` has been observed in `pods`.
    pub fn satisfied(&self, key: &str, pods: &Store<Pod>, ns: &str) -> bool {
        let Ok(mut m) = self.inner.lock() else {
            return true;
        };
        let Some((adds, dels, since)) = m.get(key) else {
            return true;
        };
        let seen_adds = adds
            .iter()
            .all(|n| pods.get(&ObjectRef::new(n).within(ns)).is_some());
        let seen_dels = dels.iter().all(|n| {
            pods.get(&ObjectRef::new(n).within(ns))
                .is_none_or(|p| p.metadata.deletion_timestamp.is_some())
        });
        if (seen_adds && seen_dels) || since.elapsed() > EXPECTATION_TIMEOUT {
            m.remove(key);
            return true;
        }
        false
    }

    pub fn expect(&self, key: &str, adds: Vec<String>, dels: Vec<String>) {
        if adds.is_empty() && dels.is_empty() {
            return;
        }
        if let Ok(mut m) = self.inner.lock() {
            m.insert(
                key.to_string(),
                (
                    adds.into_iter().collect(),
                    dels.into_iter().collect(),
                    Instant::now(),
                ),
            );
        }
    }

    pub fn forget(&self, key: &str) {
        if let Ok(mut m) = self.inner.lock() {
            m.remove(key);
        }
    }
}

struct Rs {
    ctx: Arc<Context>,
    pods: Store<Pod>,
    expectations: Expectations,
}

#[derive(Debug, thiserror::Error)]
enum Error {
    #[error(transparent)]
    Kube(#[from] kube::Error),
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
        Api::<ReplicaSet>::all(client.clone()),
        watcher::Config::default(),
    );
    let rs_store = controller.store();
    let state = Arc::new(Rs {
        ctx,
        pods,
        expectations: Expectations::default(),
    });
    controller
        .watches_stream(pod_events, move |pod: Pod| owners_of(&rs_store, &pod))
        .run(reconcile, error_policy, state)
        .for_each(|_| async {})
        .await;
}

/// The ReplicaSets a pod event concerns: its controller, or for an orphan every
/// ReplicaSet in its namespace whose selector matches (it may be adopted).
fn owners_of(rs_store: &Store<ReplicaSet>, pod: &Pod) -> Vec<ObjectRef<ReplicaSet>> {
    let ns = pod.namespace().unwrap_or_default();
    if let Some(r) = controller_of(&pod.metadata) {
        if r.kind == "ReplicaSet" {
            return vec![ObjectRef::new(&r.name).within(&ns)];
        }
        return vec![];
    }
    let labels = pod.labels();
    rs_store
        .state()
        .iter()
        .filter(|rs| rs.namespace().as_deref() == Some(ns.as_str()))
        .filter(|rs| {
            rs.spec.as_ref().is_some_and(|s| {
                !util::selector_is_empty(&s.selector) && util::selector_matches(&s.selector, labels)
            })
        })
        .map(|rs| ObjectRef::from_obj(rs.as_ref()))
        .collect()
}

fn error_policy(_rs: Arc<ReplicaSet>, err: &Error, _state: Arc<Rs>) -> Action {
    tracing::debug!(error = %err, "replicaset sync failed");
    Action::requeue(util::error_backoff())
}

async fn reconcile(rs: Arc<ReplicaSet>, state: Arc<Rs>) -> Result<Action, Error> {
    let ns = rs.namespace().unwrap_or_default();
    let name = rs.name_any();
    let key = format!("{ns}/{name}");
    if state.pods.wait_until_ready().await.is_err() {
        return Ok(Action::requeue(Duration::from_secs(1)));
    }
    let client = state.ctx.client.clone();
    let pods_api: Api<Pod> = Api::namespaced(client.clone(), &ns);
    let Some(spec) = rs.spec.clone() else {
        return Ok(Action::await_change());
    };
    let uid = rs.uid().unwrap_or_default();

    // Claim: owned pods that still match, adopt matching orphans, release the others.
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
                } else if rs.meta().deletion_timestamp.is_none() {
                    util::set_owner_refs(&pods_api, &pod, None, &uid).await?;
                }
            }
            Some(_) => {}
            None => {
                if matches
                    && pod.metadata.deletion_timestamp.is_none()
                    && rs.meta().deletion_timestamp.is_none()
                {
                    util::set_owner_refs(
                        &pods_api,
                        &pod,
                        Some(util::controller_ref(rs.as_ref())),
                        &uid,
                    )
                    .await?;
                    owned.push(pod);
                }
            }
        }
    }
    let active: Vec<Arc<Pod>> = owned
        .iter()
        .filter(|p| util::is_pod_active(p))
        .cloned()
        .collect();

    let satisfied = state.expectations.satisfied(&key, &state.pods, &ns);
    let mut create_error = None;
    if satisfied && rs.meta().deletion_timestamp.is_none() {
        let want = spec.replicas.unwrap_or(1).max(0) as usize;
        if active.len() < want {
            let n = (want - active.len()).min(BURST);
            let (created, err) = create_pods(&state, &rs, &pods_api, n).await;
            state.expectations.expect(&key, created, vec![]);
            create_error = err;
        } else if active.len() > want {
            let n = (active.len() - want).min(BURST);
            let victims = rank::pods_to_delete(&active, n);
            let mut deleted = Vec::new();
            for p in victims {
                let pname = p.name_any();
                match pods_api.delete(&pname, &DeleteParams::default()).await {
                    Ok(_) => {
                        deleted.push(pname.clone());
                        state
                            .ctx
                            .recorder
                            .publish(
                                rs.as_ref(),
                                NORMAL,
                                "SuccessfulDelete",
                                &format!("Deleted pod: {pname}"),
                            )
                            .await;
                    }
                    Err(kube::Error::Api(e)) if e.code == 404 => {}
                    Err(e) => {
                        state
                            .ctx
                            .recorder
                            .publish(
                                rs.as_ref(),
                                WARNING,
                                "FailedDelete",
                                &format!("Error deleting: {e}"),
                            )
                            .await;
                        state.expectations.expect(&key, vec![], deleted);
                        return Err(e.into());
                    }
                }
            }
            state.expectations.expect(&key, vec![], deleted);
        }
    }

    // Status.
    let min_ready = spec.min_ready_seconds.unwrap_or(0);
    let now = Utc::now();
    let template_labels = spec
        .template
        .as_ref()
        .and_then(|t| t.metadata.as_ref())
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    let fully_labeled = active
        .iter()
        .filter(|p| {
            template_labels
                .iter()
                .all(|(k, v)| p.labels().get(k) == Some(v))
        })
        .count() as i32;
    let ready = active.iter().filter(|p| util::is_pod_ready(p)).count() as i32;
    let available = active
        .iter()
        .filter(|p| util::is_pod_available(p, min_ready, now))
        .count() as i32;
    let terminating = owned
        .iter()
        .filter(|p| p.metadata.deletion_timestamp.is_some())
        .count() as i32;
    let mut conditions: Vec<_> = rs
        .status
        .as_ref()
        .and_then(|s| s.conditions.clone())
        .unwrap_or_default()
        .into_iter()
        .filter(|c| c.type_ != "ReplicaFailure")
        .collect();
    if let Some(msg) = &create_error {
        conditions.push(k8s_openapi::api::apps::v1::ReplicaSetCondition {
            type_: "ReplicaFailure".into(),
            status: "True".into(),
            reason: Some("FailedCreate".into()),
            message: Some(msg.clone()),
            last_transition_time: Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                k8s_openapi::jiff::Timestamp::now(),
            )),
        });
    }
    let status = ReplicaSetStatus {
        replicas: active.len() as i32,
        fully_labeled_replicas: Some(fully_labeled),
        ready_replicas: Some(ready),
        available_replicas: Some(available),
        terminating_replicas: None,
        observed_generation: rs.meta().generation,
        conditions: if conditions.is_empty() {
            None
        } else {
            Some(conditions)
        },
    };
    let _ = terminating;
    if rs.status.as_ref() != Some(&status) {
        let api: Api<ReplicaSet> = Api::namespaced(client, &ns);
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
    if min_ready > 0 && ready > available {
        return Ok(Action::requeue(Duration::from_secs(min_ready as u64)));
    }
    if !satisfied {
        return Ok(Action::requeue(Duration::from_secs(1)));
    }
    Ok(Action::requeue(Duration::from_secs(300)))
}

/// Creates `n` pods in slow-start batches (1, 2, 4, …) as upstream, stopping at the
/// first failing batch. Returns the names created and the first error message.
async fn create_pods(
    state: &Rs,
    rs: &ReplicaSet,
    api: &Api<Pod>,
    n: usize,
) -> (Vec<String>, Option<String>) {
    let Some(template) = rs.spec.as_ref().and_then(|s| s.template.clone()) else {
        return (vec![], None);
    };
    let ns = rs.namespace().unwrap_or_default();
    let owner = util::controller_ref(rs);
    let prefix = util::name_prefix(&rs.name_any());
    let mut created = Vec::new();
    let mut batch = 1usize;
    let mut remaining = n;
    while remaining > 0 {
        let size = batch.min(remaining);
        let futs = (0..size).map(|_| {
            let pod = util::pod_from_template(&template, &ns, &prefix, owner.clone());
            async move { api.create(&PostParams::default(), &pod).await }
        });
        let results = futures_util::future::join_all(futs).await;
        let mut failed = None;
        for r in results {
            match r {
                Ok(p) => {
                    let pname = p.name_any();
                    state
                        .ctx
                        .recorder
                        .publish(
                            rs,
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
                    state
                        .ctx
                        .recorder
                        .publish(
                            rs,
                            WARNING,
                            "FailedCreate",
                            &format!("Error creating: {msg}"),
                        )
                        .await;
                    failed = Some(msg);
                }
            }
        }
        if failed.is_some() {
            return (created, failed);
        }
        remaining -= size;
        batch *= 2;
    }
    (created, None)
}
