//! The garbage collector: watches the metadata of every deletable resource, keeps a graph of
//! owners and dependents, deletes dependents whose owners are all gone, and carries out
//! foreground and orphan deletion (pkg/controller/garbagecollector).

pub mod graph;
mod queue;
pub mod resources;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, Patch, PatchParams, Preconditions,
    PropagationPolicy,
};
use kube::core::PartialObjectMeta;
use kube::runtime::watcher::{self, watcher};
use kube::runtime::WatchStreamExt;
use tokio::sync::mpsc;

use graph::{Graph, ObjectId, Observed, Work, FOREGROUND, ORPHAN};
use queue::Queue;
use resources::{deletable_resources, Deletable};

use crate::Context;

/// Resources the collector does not watch (upstream's DefaultIgnoredResources).
const IGNORED: &[(&str, &str)] = &[("", "events"), ("events.k8s.io", "events")];
/// How often discovery runs again to pick up new resource types (CRDs).
const RESYNC: Duration = Duration::from_secs(30);
/// Parallel attemptToDelete/attemptToOrphan workers (--concurrent-gc-syncs).
const WORKERS: usize = 20;
/// How long workers wait for the first listing of every resource before starting anyway.
const SYNC_TIMEOUT: Duration = Duration::from_secs(30);

/// A change for the graph builder.
enum Change {
    Upsert(Observed),
    Remove(String),
}

/// The collector's shared state.
struct Gc {
    ctx: Arc<Context>,
    graph: Mutex<Graph>,
    queue: Arc<Queue<Work>>,
    /// `(group, kind)` -> resource, from the last discovery.
    kinds: Mutex<HashMap<(String, String), Deletable>>,
    changes: mpsc::UnboundedSender<Change>,
    /// Resource types whose first listing has not arrived yet.
    unsynced: AtomicUsize,
}

#[derive(Debug, thiserror::Error)]
enum Error {
    #[error(transparent)]
    Kube(#[from] kube::Error),
    #[error("conflicts again and again {0}")]
    Conflict(&'static str),
    #[error("unable to map {0} to a resource served by the API server")]
    UnknownKind(String),
}

/// Runs the controller until the process ends.
pub async fn run(ctx: Arc<Context>) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let gc = Arc::new(Gc {
        ctx,
        graph: Mutex::new(Graph::default()),
        queue: Queue::new(),
        kinds: Mutex::new(HashMap::new()),
        changes: tx,
        unsynced: AtomicUsize::new(0),
    });

    // graph builder: the one writer of the graph
    let builder = {
        let gc = gc.clone();
        async move {
            while let Some(change) = rx.recv().await {
                let work = match gc.graph.lock() {
                    Ok(mut g) => match change {
                        Change::Upsert(o) => g.upsert(o),
                        Change::Remove(uid) => g.remove(&uid),
                    },
                    Err(_) => return,
                };
                for w in work {
                    gc.queue.add(w);
                }
            }
        }
    };

    let monitors = {
        let gc = gc.clone();
        async move {
            let mut started: HashSet<(String, String)> = HashSet::new();
            let mut first = true;
            loop {
                match deletable_resources(&gc.ctx.client).await {
                    Ok(list) => {
                        let mut kinds = HashMap::new();
                        for d in list {
                            let key = (d.ar.group.clone(), d.ar.plural.clone());
                            kinds.insert((d.ar.group.clone(), d.ar.kind.clone()), d.clone());
                            if IGNORED.iter().any(|(g, r)| *g == key.0 && *r == key.1) {
                                continue;
                            }
                            if started.insert(key) {
                                if first {
                                    gc.unsynced.fetch_add(1, Ordering::SeqCst);
                                }
                                tokio::spawn(monitor(gc.clone(), d, first));
                            }
                        }
                        if let Ok(mut k) = gc.kinds.lock() {
                            *k = kinds;
                        }
                        first = false;
                    }
                    Err(e) => tracing::warn!(error = %e, "garbage collector: discovery failed"),
                }
                tokio::time::sleep(if first {
                    Duration::from_secs(1)
                } else {
                    RESYNC
                })
                .await;
            }
        }
    };

    let workers = {
        let gc = gc.clone();
        async move {
            // start once every resource has been listed, so that owners are not taken
            // for absent just because their type was listed later
            let deadline = tokio::time::Instant::now() + SYNC_TIMEOUT;
            while (gc.unsynced.load(Ordering::SeqCst) > 0
                || gc.kinds.lock().map(|k| k.is_empty()).unwrap_or(true))
                && tokio::time::Instant::now() < deadline
            {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let n = gc.graph.lock().map(|g| g.len()).unwrap_or(0);
            tracing::info!(objects = n, "garbage collector synced");
            let mut set = tokio::task::JoinSet::new();
            for _ in 0..WORKERS {
                let gc = gc.clone();
                set.spawn(async move {
                    loop {
                        let work = gc.queue.get().await;
                        let res = match &work {
                            Work::Delete(id) => gc.attempt_to_delete(id).await,
                            Work::Orphan(id) => gc.attempt_to_orphan(id).await,
                        };
                        match res {
                            Ok(()) => gc.queue.forget(&work),
                            Err(e) => {
                                tracing::debug!(?work, error = %e, "garbage collector: retrying");
                                gc.queue.add_rate_limited(work.clone());
                            }
                        }
                        gc.queue.done(&work);
                    }
                });
            }
            while set.join_next().await.is_some() {}
        }
    };

    tokio::join!(builder, monitors, workers);
}

/// Watches the metadata of one resource type and feeds the graph builder; after every
/// (re)listing, objects that disappeared in between are reported removed.
async fn monitor(gc: Arc<Gc>, d: Deletable, initial: bool) {
    let api: Api<PartialObjectMeta<DynamicObject>> = Api::all_with(gc.ctx.client.clone(), &d.ar);
    let mut stream = watcher(api, watcher::Config::default())
        .default_backoff()
        .boxed();
    let mut known: HashSet<String> = HashSet::new();
    let mut listing: HashSet<String> = HashSet::new();
    let mut pending_sync = initial;
    while let Some(ev) = stream.next().await {
        let ev = match ev {
            Ok(ev) => ev,
            Err(e) => {
                tracing::debug!(resource = %d.group_resource(), error = %e, "garbage collector watch");
                continue;
            }
        };
        match ev {
            watcher::Event::Init => listing.clear(),
            watcher::Event::InitApply(o) => {
                if let Some(obs) = observed(&d.ar, &o.metadata) {
                    listing.insert(obs.id.uid.clone());
                    let _ = gc.changes.send(Change::Upsert(obs));
                }
            }
            watcher::Event::InitDone => {
                for gone in known.difference(&listing) {
                    let _ = gc.changes.send(Change::Remove(gone.clone()));
                }
                known = std::mem::take(&mut listing);
                if pending_sync {
                    pending_sync = false;
                    gc.unsynced.fetch_sub(1, Ordering::SeqCst);
                }
            }
            watcher::Event::Apply(o) => {
                if let Some(obs) = observed(&d.ar, &o.metadata) {
                    known.insert(obs.id.uid.clone());
                    let _ = gc.changes.send(Change::Upsert(obs));
                }
            }
            watcher::Event::Delete(o) => {
                if let Some(uid) = o.metadata.uid {
                    known.remove(&uid);
                    let _ = gc.changes.send(Change::Remove(uid));
                }
            }
        }
    }
}

fn observed(ar: &ApiResource, meta: &ObjectMeta) -> Option<Observed> {
    Some(Observed {
        id: ObjectId {
            api_version: ar.api_version.clone(),
            kind: ar.kind.clone(),
            namespace: meta.namespace.clone(),
            name: meta.name.clone()?,
            uid: meta.uid.clone()?,
        },
        owners: meta.owner_references.clone().unwrap_or_default(),
        being_deleted: meta.deletion_timestamp.is_some(),
        finalizers: meta.finalizers.clone().unwrap_or_default(),
    })
}

fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("")
}

/// How an owner reference of a dependent stands (classifyReferences).
enum OwnerState {
    /// The owner exists and is not waiting for its dependents.
    Solid,
    /// The owner is absent (404, or another object with its name).
    Dangling,
    /// The owner is being deleted in the foreground.
    Waiting,
}

impl Gc {
    /// The API of the object's resource, in its namespace if the resource is namespaced.
    fn api_for(&self, id: &ObjectId) -> Result<Api<DynamicObject>, Error> {
        let group = group_of(&id.api_version).to_string();
        let d = self
            .kinds
            .lock()
            .ok()
            .and_then(|k| k.get(&(group, id.kind.clone())).cloned())
            .ok_or_else(|| Error::UnknownKind(format!("{}, Kind={}", id.api_version, id.kind)))?;
        let client = self.ctx.client.clone();
        Ok(match (&id.namespace, d.namespaced) {
            (Some(ns), true) => Api::namespaced_with(client, ns, &d.ar),
            _ => Api::all_with(client, &d.ar),
        })
    }

    /// The live object with this uid, or `None` if absent.
    async fn get_live(&self, id: &ObjectId) -> Result<Option<ObjectMeta>, Error> {
        let api = self.api_for(id)?;
        match api.get_metadata_opt(&id.name).await? {
            Some(o) if o.metadata.uid.as_deref() == Some(id.uid.as_str()) => Ok(Some(o.metadata)),
            _ => Ok(None),
        }
    }

    fn virtual_delete(&self, id: &ObjectId) {
        let _ = self.changes.send(Change::Remove(id.uid.clone()));
    }

    /// attemptToDeleteItem.
    async fn attempt_to_delete(&self, id: &ObjectId) -> Result<(), Error> {
        let Some(node) = self.graph.lock().ok().and_then(|g| g.get(&id.uid).cloned()) else {
            return Ok(());
        };
        let Some(latest) = self.get_live(&node.id).await? else {
            // gone (or replaced by another object of that name): drop it from the graph,
            // which makes its dependents look at their owners again
            self.virtual_delete(&node.id);
            return Ok(());
        };
        if node.virtual_ {
            // it exists; its watch will bring it into the graph
            return Ok(());
        }
        let finalizers = latest.finalizers.clone().unwrap_or_default();
        if latest.deletion_timestamp.is_some() {
            if finalizers.iter().any(|f| f == FOREGROUND) {
                return self.process_deleting_dependents(&node.id).await;
            }
            return Ok(());
        }
        let owners = latest.owner_references.clone().unwrap_or_default();
        if owners.is_empty() {
            return Ok(());
        }
        let mut solid = Vec::new();
        let mut dangling = Vec::new();
        let mut waiting = Vec::new();
        for r in &owners {
            match self.owner_state(r, &node.id).await? {
                OwnerState::Solid => solid.push(r),
                OwnerState::Dangling => dangling.push(r),
                OwnerState::Waiting => waiting.push(r),
            }
        }
        if !solid.is_empty() {
            if dangling.is_empty() && waiting.is_empty() {
                return Ok(());
            }
            // other owners keep it: only drop the references to absent or
            // foreground-deleting ones (the latter would wait on this object forever)
            let drop: HashSet<&str> = dangling
                .iter()
                .chain(waiting.iter())
                .map(|r| r.uid.as_str())
                .collect();
            tracing::info!(object = ?node.id, "garbage collector: removing references to absent or terminating owners");
            return self.remove_owner_refs(&node.id, &drop).await;
        }
        let has_dependents = self
            .graph
            .lock()
            .map(|g| g.get(&id.uid).is_some_and(|n| !n.dependents.is_empty()))
            .unwrap_or(false);
        let policy = if !waiting.is_empty() && has_dependents {
            PropagationPolicy::Foreground
        } else if finalizers.iter().any(|f| f == ORPHAN) {
            PropagationPolicy::Orphan
        } else if finalizers.iter().any(|f| f == FOREGROUND) {
            PropagationPolicy::Foreground
        } else {
            PropagationPolicy::Background
        };
        tracing::info!(object = ?node.id, ?policy, "garbage collector: deleting object whose owners are gone");
        self.delete_object(&node.id, &latest, policy).await
    }

    async fn owner_state(
        &self,
        r: &OwnerReference,
        dependent: &ObjectId,
    ) -> Result<OwnerState, Error> {
        let id = ObjectId {
            api_version: r.api_version.clone(),
            kind: r.kind.clone(),
            namespace: dependent.namespace.clone(),
            name: r.name.clone(),
            uid: r.uid.clone(),
        };
        Ok(match self.get_live(&id).await? {
            None => OwnerState::Dangling,
            Some(m)
                if m.deletion_timestamp.is_some()
                    && m.finalizers.iter().flatten().any(|f| f == FOREGROUND) =>
            {
                OwnerState::Waiting
            }
            Some(_) => OwnerState::Solid,
        })
    }

    async fn delete_object(
        &self,
        id: &ObjectId,
        latest: &ObjectMeta,
        policy: PropagationPolicy,
    ) -> Result<(), Error> {
        let api = self.api_for(id)?;
        let dp = DeleteParams {
            propagation_policy: Some(policy),
            preconditions: Some(Preconditions {
                uid: Some(id.uid.clone()),
                resource_version: latest.resource_version.clone(),
            }),
            ..Default::default()
        };
        match api.delete(&id.name, &dp).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// processDeletingDependentsItem: the owner waits in the foreground until no dependent
    /// blocks it any more, then loses its `foregroundDeletion` finalizer.
    async fn process_deleting_dependents(&self, owner: &ObjectId) -> Result<(), Error> {
        let blocking: Vec<_> = self
            .graph
            .lock()
            .map(|g| g.dependents(&owner.uid))
            .unwrap_or_default()
            .into_iter()
            .filter(|d| {
                d.owners
                    .iter()
                    .any(|r| r.uid == owner.uid && r.block_owner_deletion == Some(true))
            })
            .collect();
        if blocking.is_empty() {
            tracing::info!(object = ?owner, "garbage collector: foreground deletion done");
            return self.remove_finalizer(owner, FOREGROUND).await;
        }
        for d in blocking {
            if !d.deleting_dependents {
                self.queue.add(Work::Delete(d.id));
            }
        }
        Ok(())
    }

    /// attemptToOrphan: removes the owner's references from its dependents, then the
    /// `orphan` finalizer from the owner.
    async fn attempt_to_orphan(&self, owner: &ObjectId) -> Result<(), Error> {
        let dependents = self
            .graph
            .lock()
            .map(|g| g.dependents(&owner.uid))
            .unwrap_or_default();
        let drop = HashSet::from([owner.uid.as_str()]);
        for d in dependents {
            self.remove_owner_refs(&d.id, &drop).await?;
        }
        tracing::info!(object = ?owner, "garbage collector: dependents orphaned");
        self.remove_finalizer(owner, ORPHAN).await
    }

    /// Patches `id` to drop its owner references to `owners` (with resourceVersion as
    /// precondition, retried on conflict).
    async fn remove_owner_refs(&self, id: &ObjectId, owners: &HashSet<&str>) -> Result<(), Error> {
        let api = self.api_for(id)?;
        for _ in 0..5 {
            let Some(o) = api.get_metadata_opt(&id.name).await? else {
                return Ok(());
            };
            if o.metadata.uid.as_deref() != Some(id.uid.as_str()) {
                return Ok(());
            }
            let refs = o.metadata.owner_references.unwrap_or_default();
            let keep: Vec<&OwnerReference> = refs
                .iter()
                .filter(|r| !owners.contains(r.uid.as_str()))
                .collect();
            if keep.len() == refs.len() {
                return Ok(());
            }
            let patch = serde_json::json!({"metadata": {
                "ownerReferences": if keep.is_empty() { serde_json::Value::Null } else { serde_json::json!(keep) },
                "resourceVersion": o.metadata.resource_version,
            }});
            match api
                .patch(&id.name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
            {
                Ok(_) => return Ok(()),
                Err(kube::Error::Api(e)) if e.code == 404 => return Ok(()),
                Err(kube::Error::Api(e)) if e.code == 409 => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Conflict("removing owner references"))
    }

    /// Removes one finalizer from the live object (retried on conflict).
    async fn remove_finalizer(&self, id: &ObjectId, finalizer: &str) -> Result<(), Error> {
        let api = self.api_for(id)?;
        for _ in 0..5 {
            let Some(o) = api.get_metadata_opt(&id.name).await? else {
                return Ok(());
            };
            if o.metadata.uid.as_deref() != Some(id.uid.as_str()) {
                return Ok(());
            }
            let fins = o.metadata.finalizers.unwrap_or_default();
            let keep: Vec<&String> = fins.iter().filter(|f| *f != finalizer).collect();
            if keep.len() == fins.len() {
                return Ok(());
            }
            let patch = serde_json::json!({"metadata": {
                "finalizers": if keep.is_empty() { serde_json::Value::Null } else { serde_json::json!(keep) },
                "resourceVersion": o.metadata.resource_version,
            }});
            match api
                .patch(&id.name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
            {
                Ok(_) => return Ok(()),
                Err(kube::Error::Api(e)) if e.code == 404 => return Ok(()),
                Err(kube::Error::Api(e)) if e.code == 409 => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Conflict("removing a finalizer"))
    }
}
