//! The deployment controller: rolls a Deployment's pod template out through ReplicaSets
//! named `<deployment>-<pod-template-hash>` (RollingUpdate or Recreate), scales them,
//! keeps revision history and reports status and conditions (pkg/controller/deployment).

mod history;
mod progress;
mod recreate;
mod rolling;
mod status;
mod sync;
mod util;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::{Deployment, DeploymentStatus, ReplicaSet};
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::{watcher, WatchStreamExt};
use kube::ResourceExt;
use serde_json::json;

use crate::events::WARNING;
use crate::util::{controller_of, selector_is_empty, selector_matches};
use crate::Context;

/// How often a Deployment is looked at again with nothing happening.
const RESYNC: Duration = Duration::from_secs(300);

/// ReplicaSets by namespace and name, kept from a watch and written through by the
/// controller's own updates, so a sync sees its previous writes and only its namespace.
#[derive(Default)]
pub(crate) struct RsIndex {
    by_ns: RwLock<NsMap>,
    relist: Mutex<Option<NsMap>>,
    ready: AtomicBool,
}

type NsMap = HashMap<String, HashMap<String, Arc<ReplicaSet>>>;

fn rv(rs: &ReplicaSet) -> Option<u64> {
    rs.metadata.resource_version.as_ref()?.parse().ok()
}

/// Whether `new` is not older than `old` (resourceVersions are store revisions here).
fn not_older(new: &ReplicaSet, old: &ReplicaSet) -> bool {
    match (rv(new), rv(old)) {
        (Some(n), Some(o)) => n >= o,
        _ => true,
    }
}

impl RsIndex {
    fn apply(&self, ev: &watcher::Event<ReplicaSet>) {
        match ev {
            watcher::Event::Apply(rs) => {
                self.put(rs.clone());
            }
            watcher::Event::Delete(rs) => {
                let ns = rs.namespace().unwrap_or_default();
                if let Ok(mut m) = self.by_ns.write() {
                    if let Some(names) = m.get_mut(&ns) {
                        let name = rs.name_any();
                        if names.get(&name).is_some_and(|cur| not_older(rs, cur)) {
                            names.remove(&name);
                        }
                    }
                }
            }
            watcher::Event::Init => {
                if let Ok(mut r) = self.relist.lock() {
                    *r = Some(NsMap::new());
                }
            }
            watcher::Event::InitApply(rs) => {
                if let Ok(mut r) = self.relist.lock() {
                    if let Some(m) = r.as_mut() {
                        m.entry(rs.namespace().unwrap_or_default())
                            .or_default()
                            .insert(rs.name_any(), Arc::new(rs.clone()));
                    }
                }
            }
            watcher::Event::InitDone => {
                let fresh = self.relist.lock().ok().and_then(|mut r| r.take());
                if let (Some(fresh), Ok(mut m)) = (fresh, self.by_ns.write()) {
                    *m = fresh;
                }
                self.ready.store(true, Ordering::Release);
            }
        }
    }

    /// Stores `rs` unless a newer version is already known; returns what is stored.
    fn put(&self, rs: ReplicaSet) -> Arc<ReplicaSet> {
        let ns = rs.namespace().unwrap_or_default();
        let name = rs.name_any();
        let new = Arc::new(rs);
        let Ok(mut m) = self.by_ns.write() else {
            return new;
        };
        let names = m.entry(ns).or_default();
        match names.get(&name) {
            Some(cur) if cur.uid() == new.uid() && !not_older(&new, cur) => cur.clone(),
            _ => {
                names.insert(name, new.clone());
                new
            }
        }
    }

    fn namespace(&self, ns: &str) -> Vec<Arc<ReplicaSet>> {
        self.by_ns
            .read()
            .ok()
            .and_then(|m| m.get(ns).map(|n| n.values().cloned().collect()))
            .unwrap_or_default()
    }

    fn get(&self, ns: &str, name: &str) -> Option<Arc<ReplicaSet>> {
        self.by_ns.read().ok()?.get(ns)?.get(name).cloned()
    }
}

/// The controller's shared state.
pub(crate) struct Dc {
    ctx: Arc<Context>,
    rss: RsIndex,
}

/// Why a sync failed; it is retried.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error(transparent)]
    Kube(#[from] kube::Error),
    #[error("replica set {0} exists with another template; collisionCount raised")]
    Collision(String),
}

impl Dc {
    /// The newest known version of each ReplicaSet.
    fn latest(&self, rss: &[Arc<ReplicaSet>]) -> Vec<Arc<ReplicaSet>> {
        rss.iter().map(|rs| self.latest_one(rs)).collect()
    }

    fn latest_one(&self, rs: &Arc<ReplicaSet>) -> Arc<ReplicaSet> {
        let ns = rs.namespace().unwrap_or_default();
        match self.rss.get(&ns, &rs.name_any()) {
            Some(cur) if cur.uid() == rs.uid() && not_older(&cur, rs) => cur,
            _ => rs.clone(),
        }
    }

    fn rs_api(&self, ns: &str) -> Api<ReplicaSet> {
        Api::namespaced(self.ctx.client.clone(), ns)
    }

    /// Merge-patches a ReplicaSet on the condition that it is still the version we saw
    /// (as upstream's Update), and remembers the result.
    async fn patch_rs(
        &self,
        rs: &ReplicaSet,
        mut patch: serde_json::Value,
    ) -> Result<Arc<ReplicaSet>, Error> {
        patch["metadata"]["resourceVersion"] = json!(rs.resource_version());
        let ns = rs.namespace().unwrap_or_default();
        let new = self
            .rs_api(&ns)
            .patch(
                &rs.name_any(),
                &PatchParams::default(),
                &Patch::Merge(&patch),
            )
            .await?;
        Ok(self.rss.put(new))
    }

    /// Writes the Deployment's status (failing on a stale Deployment, as UpdateStatus).
    async fn update_status(
        &self,
        d: &mut Deployment,
        status: DeploymentStatus,
    ) -> Result<(), Error> {
        d.status = Some(status);
        let ns = d.namespace().unwrap_or_default();
        let api: Api<Deployment> = Api::namespaced(self.ctx.client.clone(), &ns);
        *d = api
            .replace_status(&d.name_any(), &PostParams::default(), d)
            .await?;
        Ok(())
    }

    /// Writes the Deployment's revision annotation.
    async fn update_revision(&self, d: &mut Deployment) -> Result<(), Error> {
        let rev = d
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(util::REVISION))
            .cloned();
        let patch = json!({"metadata": {
            "resourceVersion": d.resource_version(),
            "annotations": {util::REVISION: rev},
        }});
        let ns = d.namespace().unwrap_or_default();
        let api: Api<Deployment> = Api::namespaced(self.ctx.client.clone(), &ns);
        *d = api
            .patch(
                &d.name_any(),
                &PatchParams::default(),
                &Patch::Merge(&patch),
            )
            .await?;
        Ok(())
    }
}

/// Runs the controller until the process ends.
pub async fn run(ctx: Arc<Context>) {
    let client = ctx.client.clone();
    let dc = Arc::new(Dc {
        ctx,
        rss: RsIndex::default(),
    });
    let index = dc.clone();
    let rs_events = watcher(
        Api::<ReplicaSet>::all(client.clone()),
        watcher::Config::default(),
    )
    .default_backoff()
    .map_ok(move |ev| {
        index.rss.apply(&ev);
        ev
    })
    .touched_objects();
    let controller = Controller::new(
        Api::<Deployment>::all(client.clone()),
        watcher::Config::default(),
    );
    let deployments = controller.store();
    controller
        .watches_stream(rs_events, move |rs: ReplicaSet| {
            deployments_of(&deployments, &rs)
        })
        .run(reconcile, error_policy, dc)
        .for_each(|_| async {})
        .await;
}

/// getDeploymentsForReplicaSet: its controller, or for an orphan every Deployment in its
/// namespace whose selector matches it.
fn deployments_of(store: &Store<Deployment>, rs: &ReplicaSet) -> Vec<ObjectRef<Deployment>> {
    let ns = rs.namespace().unwrap_or_default();
    if let Some(r) = controller_of(&rs.metadata) {
        if r.kind == "Deployment" {
            return vec![ObjectRef::new(&r.name).within(&ns)];
        }
        return vec![];
    }
    store
        .state()
        .iter()
        .filter(|d| d.namespace().as_deref() == Some(ns.as_str()))
        .filter(|d| {
            d.spec.as_ref().is_some_and(|s| {
                !selector_is_empty(&s.selector) && selector_matches(&s.selector, rs.labels())
            })
        })
        .map(|d| ObjectRef::from_obj(d.as_ref()))
        .collect()
}

fn error_policy(d: Arc<Deployment>, err: &Error, _dc: Arc<Dc>) -> Action {
    tracing::debug!(deployment = %d.name_any(), error = %err, "deployment sync failed");
    match err {
        Error::Kube(kube::Error::Api(e)) if e.code == 409 => {
            Action::requeue(Duration::from_millis(200))
        }
        Error::Collision(_) => Action::requeue(Duration::from_millis(200)),
        _ => Action::requeue(crate::util::error_backoff()),
    }
}

/// syncDeployment.
async fn reconcile(obj: Arc<Deployment>, dc: Arc<Dc>) -> Result<Action, Error> {
    if !dc.rss.ready.load(Ordering::Acquire) {
        // acting on a partial list of ReplicaSets would roll out twice
        return Ok(Action::requeue(Duration::from_millis(500)));
    }
    let mut d = (*obj).clone();
    let Some(spec) = d.spec.clone() else {
        return Ok(Action::await_change());
    };
    if selector_is_empty(&spec.selector) {
        dc.ctx
            .recorder
            .publish(
                &d,
                WARNING,
                "SelectingAll",
                "This deployment is selecting all pods. A non-empty selector is required.",
            )
            .await;
        let observed = d.status.as_ref().and_then(|s| s.observed_generation);
        if observed < d.metadata.generation {
            let mut s = d.status.clone().unwrap_or_default();
            s.observed_generation = d.metadata.generation;
            dc.update_status(&mut d, s).await?;
        }
        return Ok(Action::await_change());
    }

    let rs_list = claim_replica_sets(&dc, &d).await?;
    let (new_rs, old) = sync::get_all_replica_sets_and_sync_revision(&dc, &mut d, &rs_list).await?;

    if d.metadata.deletion_timestamp.is_some() {
        sync::sync_deployment_status(&dc, &mut d, &old, new_rs.as_ref()).await?;
        return Ok(Action::await_change());
    }
    sync::check_paused_conditions(&dc, &mut d).await?;

    let requeue = if spec.paused == Some(true) || sync::is_scaling_event(&d, new_rs.as_ref(), &old)
    {
        sync::sync(&dc, &mut d, new_rs, old).await?;
        None
    } else if util::strategy_type(&d) == "Recreate" {
        recreate::rollout_recreate(&dc, &mut d, &rs_list, new_rs, old).await?
    } else {
        rolling::rollout_rolling(&dc, &mut d, new_rs, old).await?
    };
    Ok(Action::requeue(requeue.unwrap_or(RESYNC)))
}

/// ClaimReplicaSets: the ReplicaSets this Deployment controls, adopting orphans that
/// match its selector and releasing owned ones that no longer do.
async fn claim_replica_sets(dc: &Dc, d: &Deployment) -> Result<Vec<Arc<ReplicaSet>>, Error> {
    let ns = d.namespace().unwrap_or_default();
    let uid = d.uid().unwrap_or_default();
    let Some(selector) = d.spec.as_ref().map(|s| &s.selector) else {
        return Ok(vec![]);
    };
    let api = dc.rs_api(&ns);
    let deleting = d.metadata.deletion_timestamp.is_some();
    let mut can_adopt: Option<bool> = None;
    let mut owned = Vec::new();
    for rs in dc.rss.namespace(&ns) {
        let matches = selector_matches(selector, rs.labels());
        match controller_of(&rs.metadata) {
            Some(r) if r.uid == uid => {
                if matches {
                    owned.push(rs);
                } else if !deleting {
                    release(&api, &rs, &uid).await?;
                }
            }
            Some(_) => {}
            None => {
                if !matches || deleting || rs.metadata.deletion_timestamp.is_some() {
                    continue;
                }
                if can_adopt.is_none() {
                    can_adopt = Some(recheck_deletion(dc, d).await?);
                }
                if can_adopt == Some(true) {
                    if let Some(adopted) = adopt(dc, &api, &rs, d).await? {
                        owned.push(adopted);
                    }
                }
            }
        }
    }
    Ok(owned)
}

/// RecheckDeletionTimestamp: adopt only for a live Deployment, read afresh.
async fn recheck_deletion(dc: &Dc, d: &Deployment) -> Result<bool, Error> {
    let api: Api<Deployment> =
        Api::namespaced(dc.ctx.client.clone(), &d.namespace().unwrap_or_default());
    match api.get_opt(&d.name_any()).await? {
        Some(fresh) => Ok(fresh.uid() == d.uid() && fresh.metadata.deletion_timestamp.is_none()),
        None => Ok(false),
    }
}

async fn adopt(
    dc: &Dc,
    api: &Api<ReplicaSet>,
    rs: &ReplicaSet,
    d: &Deployment,
) -> Result<Option<Arc<ReplicaSet>>, Error> {
    let mut refs = rs.metadata.owner_references.clone().unwrap_or_default();
    refs.push(crate::util::controller_ref(d));
    let patch = json!({"metadata": {"ownerReferences": refs, "uid": rs.uid()}});
    match api
        .patch(
            &rs.name_any(),
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await
    {
        Ok(new) => Ok(Some(dc.rss.put(new))),
        Err(kube::Error::Api(e)) if e.code == 404 || e.code == 409 => Ok(None),
        Err(e) => Err(e.into()),
    }
}

async fn release(api: &Api<ReplicaSet>, rs: &ReplicaSet, uid: &str) -> Result<(), Error> {
    let refs: Vec<_> = rs
        .metadata
        .owner_references
        .clone()
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.uid != uid)
        .collect();
    let refs = if refs.is_empty() {
        serde_json::Value::Null
    } else {
        json!(refs)
    };
    let patch = json!({"metadata": {"ownerReferences": refs, "uid": rs.uid()}});
    match api
        .patch(
            &rs.name_any(),
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 404 || e.code == 409 => Ok(()),
        Err(e) => Err(e.into()),
    }
}
