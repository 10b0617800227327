//! The namespace controller: empties a namespace being deleted (pods first, then every
//! other namespaced resource), reports progress in its status conditions, then removes
//! the `kubernetes` finalizer so the API server deletes it (pkg/controller/namespace).

mod conditions;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::core::PartialObjectMeta;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher::{self, watcher};
use kube::runtime::WatchStreamExt;
use kube::ResourceExt;

use crate::garbagecollector::resources::{deletable_resources, Deletable};
use crate::util;
use crate::Context;
use conditions::Updater;

/// The finalizer token this controller owns in `spec.finalizers`.
const FINALIZER: &str = "kubernetes";
/// Assumed time for finalizers of remaining items to finish (finalizerEstimateSeconds).
const FINALIZER_ESTIMATE: i64 = 15;

#[derive(Debug, thiserror::Error)]
enum Error {
    #[error(transparent)]
    Kube(#[from] kube::Error),
    #[error("{0}")]
    Content(String),
}

/// Runs the controller until the process ends.
pub async fn run(ctx: Arc<Context>) {
    let client = ctx.client.clone();
    // A pod going away may be what a terminating namespace waits for: look again then
    // instead of only after the estimate.
    let pod_deletes = watcher(
        Api::<PartialObjectMeta<Pod>>::all(client.clone()),
        watcher::Config::default(),
    )
    .default_backoff()
    .filter_map(|ev| async move {
        match ev {
            Ok(watcher::Event::Delete(p)) => Some(Ok(p)),
            Err(e) => Some(Err(e)),
            _ => None,
        }
    });
    Controller::new(Api::<Namespace>::all(client), watcher::Config::default())
        .watches_stream(pod_deletes, |p| {
            p.metadata
                .namespace
                .as_deref()
                .map(ObjectRef::<Namespace>::new)
        })
        .run(reconcile, error_policy, ctx)
        .for_each(|_| async {})
        .await;
}

fn error_policy(ns: Arc<Namespace>, err: &Error, _ctx: Arc<Context>) -> Action {
    tracing::info!(namespace = %ns.name_any(), error = %err, "namespace deletion not finished");
    Action::requeue(util::error_backoff())
}

/// namespacedResourcesDeleter.Delete.
async fn reconcile(ns: Arc<Namespace>, ctx: Arc<Context>) -> Result<Action, Error> {
    if ns.metadata.deletion_timestamp.is_none() {
        return Ok(Action::await_change());
    }
    let name = ns.name_any();
    let api: Api<Namespace> = Api::all(ctx.client.clone());
    // several writers edit a terminating namespace: work on the latest one
    let Some(mut ns) = api.get_opt(&name).await? else {
        return Ok(Action::await_change());
    };
    if ns.metadata.deletion_timestamp.is_none() {
        return Ok(Action::await_change());
    }
    if ns.status.as_ref().and_then(|s| s.phase.as_deref()) != Some("Terminating") {
        let patch = serde_json::json!({"status": {"phase": "Terminating"}});
        ns = match api
            .patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
        {
            Ok(n) => n,
            Err(kube::Error::Api(e)) if e.code == 404 => return Ok(Action::await_change()),
            Err(e) => return Err(e.into()),
        };
    }
    if finalizers(&ns).is_empty() {
        // finalized already: the API server deletes it
        return Ok(Action::await_change());
    }
    let estimate = delete_all_content(&ctx, &ns).await?;
    if estimate > 0 {
        return Ok(Action::requeue(Duration::from_secs(
            (estimate / 2 + 1) as u64,
        )));
    }
    finalize(&api, &ns).await?;
    tracing::info!(namespace = %name, "namespace emptied and finalized");
    Ok(Action::await_change())
}

fn finalizers(ns: &Namespace) -> Vec<String> {
    ns.spec
        .as_ref()
        .and_then(|s| s.finalizers.clone())
        .unwrap_or_default()
}

/// Removes our token from `spec.finalizers` through the `finalize` subresource, reading
/// the namespace again on conflicts (retryOnConflictError).
async fn finalize(api: &Api<Namespace>, ns: &Namespace) -> Result<(), Error> {
    let mut ns = ns.clone();
    loop {
        let mut rest: Vec<String> = finalizers(&ns)
            .into_iter()
            .filter(|f| f != FINALIZER)
            .collect();
        rest.sort();
        rest.dedup();
        let mut body = ns.clone();
        body.spec.get_or_insert_with(Default::default).finalizers = Some(rest);
        match api
            .replace_subresource("finalize", &ns.name_any(), &PostParams::default(), &body)
            .await
        {
            Ok(_) => return Ok(()),
            Err(kube::Error::Api(e)) if e.code == 404 => return Ok(()),
            Err(kube::Error::Api(e)) if e.code == 409 => {
                let Some(latest) = api.get_opt(&ns.name_any()).await? else {
                    return Ok(());
                };
                if latest.metadata.uid != ns.metadata.uid {
                    return Err(Error::Content(
                        "namespace uid has changed across retries".into(),
                    ));
                }
                ns = latest;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// What is left of one resource type after a deletion pass (gvrDeletionMetadata).
#[derive(Default)]
struct Remaining {
    estimate: i64,
    count: usize,
    finalizers: BTreeMap<String, usize>,
}

/// What remains in the whole namespace (allGVRDeletionMetadata).
#[derive(Default)]
struct Totals {
    estimate: i64,
    /// `resource.group` to instances remaining.
    resources: BTreeMap<String, usize>,
    /// finalizer to instances remaining.
    finalizers: BTreeMap<String, usize>,
}

impl Totals {
    fn add(&mut self, d: &Deletable, r: Remaining) {
        self.estimate = self.estimate.max(r.estimate);
        if r.count > 0 {
            self.resources.insert(d.group_resource(), r.count);
        }
        for (f, n) in r.finalizers {
            *self.finalizers.entry(f).or_default() += n;
        }
    }
}

/// Deletes everything in the namespace and reports progress in its conditions; returns
/// the estimated seconds until the remaining content is gone (deleteAllContent).
async fn delete_all_content(ctx: &Context, ns: &Namespace) -> Result<i64, Error> {
    let name = ns.name_any();
    let mut updater = Updater::default();
    let resources = match deletable_resources(&ctx.client).await {
        Ok(r) => r,
        Err(e) => {
            updater.discovery_failed(&e.to_string());
            update_conditions(ctx, ns, updater).await;
            return Err(e.into());
        }
    };
    let resources: Vec<Deletable> = resources.into_iter().filter(|r| r.namespaced).collect();
    let mut totals = Totals::default();
    // pods go first, so their controllers cannot recreate them from objects not yet deleted
    // (OrderedNamespaceDeletion)
    let (pods, others): (Vec<_>, Vec<_>) = resources
        .into_iter()
        .partition(|d| d.ar.group.is_empty() && d.ar.plural == "pods");
    for d in &pods {
        match delete_resource(ctx, d, &name).await {
            Ok(r) => totals.add(d, r),
            Err(e) => updater.content_failed(e.to_string()),
        }
    }
    if totals.estimate > 0 || !totals.resources.is_empty() {
        updater.content_totals(&totals.resources, &totals.finalizers);
        update_conditions(ctx, ns, updater).await;
        return Ok(totals.estimate.max(1));
    }
    for d in &others {
        match delete_resource(ctx, d, &name).await {
            Ok(r) => totals.add(d, r),
            Err(e) => updater.content_failed(e.to_string()),
        }
    }
    let estimate = totals.estimate;
    updater.content_totals(&totals.resources, &totals.finalizers);
    let failed = updater.failed_message();
    update_conditions(ctx, ns, updater).await;
    if let Some(msg) = failed {
        return Err(Error::Content(msg));
    }
    Ok(estimate)
}

/// deleteAllContentForGroupVersionResource: deletes the collection (or each item), then
/// lists what remains.
async fn delete_resource(ctx: &Context, d: &Deletable, ns: &str) -> Result<Remaining, Error> {
    let api: Api<DynamicObject> = Api::namespaced_with(ctx.client.clone(), ns, &d.ar);
    let is_pods = d.ar.group.is_empty() && d.ar.plural == "pods";
    let mut estimate = 0;
    if is_pods {
        estimate = graceful_estimate(ctx, ns).await?;
    }
    let dp = DeleteParams::background();
    if d.delete_collection {
        match api.delete_collection(&dp, &ListParams::default()).await {
            Ok(_) => {}
            Err(kube::Error::Api(e)) if e.code == 404 || e.code == 405 => {}
            Err(e) => return Err(e.into()),
        }
    } else {
        for item in api.list_metadata(&ListParams::default()).await? {
            match api.delete(&item.name_any(), &dp).await {
                Ok(_) => {}
                Err(kube::Error::Api(e)) if e.code == 404 => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    let left = api.list_metadata(&ListParams::default()).await?;
    if left.items.is_empty() {
        return Ok(Remaining::default());
    }
    let mut finalizers = BTreeMap::new();
    for item in &left.items {
        for f in item.finalizers() {
            *finalizers.entry(f.clone()).or_insert(0) += 1;
        }
    }
    let count = left.items.len();
    if estimate == 0 && !finalizers.is_empty() {
        estimate = FINALIZER_ESTIMATE;
    }
    if estimate == 0 {
        return Err(Error::Content(format!(
            "unexpected items still remain in namespace: {ns} for gvr: {}",
            d.gvr()
        )));
    }
    Ok(Remaining {
        estimate,
        count,
        finalizers,
    })
}

/// The longest termination grace period of the namespace's non-terminal pods
/// (estimateGracefulTerminationForPods).
async fn graceful_estimate(ctx: &Context, ns: &str) -> Result<i64, Error> {
    let pods: Api<Pod> = Api::namespaced(ctx.client.clone(), ns);
    let mut estimate = 0;
    for p in pods.list(&ListParams::default()).await? {
        if matches!(util::phase(&p), "Succeeded" | "Failed") {
            continue;
        }
        let grace = p
            .spec
            .as_ref()
            .and_then(|s| s.termination_grace_period_seconds)
            .unwrap_or(0);
        estimate = estimate.max(grace);
    }
    Ok(estimate)
}

/// Writes the deletion conditions when they changed (errors are logged, as upstream).
async fn update_conditions(ctx: &Context, ns: &Namespace, updater: Updater) {
    let mut status = ns.status.clone().unwrap_or_default();
    if !updater.apply(&mut status) {
        return;
    }
    let api: Api<Namespace> = Api::all(ctx.client.clone());
    let patch = serde_json::json!({"status": {"conditions": status.conditions}});
    if let Err(e) = api
        .patch_status(
            &ns.name_any(),
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await
    {
        tracing::debug!(namespace = %ns.name_any(), error = %e, "updating namespace conditions");
    }
}
