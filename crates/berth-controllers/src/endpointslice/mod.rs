//! The EndpointSlice controller: for every Service with a selector, discovery.k8s.io/v1
//! EndpointSlices of at most 100 endpoints each, one set per port mapping, owned by the
//! Service (pkg/controller/endpointslice).

mod reconcile;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::{Api, DeleteParams, PostParams};
use kube::runtime::reflector::{self, reflector, ObjectRef, Store};
use kube::runtime::watcher;
use kube::ResourceExt;

use crate::endpoints::pods::{self, key_of, split_key, Membership, TriggerTimeTracker};
use crate::endpoints::queue::WorkQueue;
use crate::endpoints::{handle, LAST_CHANGE_TRIGGER_TIME};
use crate::Context;

/// Label naming the Service a slice belongs to.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";
/// Label naming the controller that manages a slice.
pub const MANAGED_BY_LABEL: &str = "endpointslice.kubernetes.io/managed-by";
/// This controller's value of [`MANAGED_BY_LABEL`].
pub const CONTROLLER_NAME: &str = "endpointslice-controller.k8s.io";
/// Services synced at once (--concurrent-service-endpoint-syncs).
const WORKERS: usize = 5;
/// How long writes not yet seen in the slice cache hold back a service's next sync.
const STALE_TIMEOUT: Duration = Duration::from_secs(10);

/// Slices written (name → resourceVersion) and deleted for a service, not necessarily
/// seen in the cache yet (upstream's endpointSliceTracker).
#[derive(Default)]
struct Written {
    updated: HashMap<String, u64>,
    deleted: HashSet<String>,
    at: Option<Instant>,
}

struct State {
    ctx: Arc<Context>,
    services: Store<Service>,
    pods: Store<Pod>,
    slices: Store<EndpointSlice>,
    queue: Arc<WorkQueue>,
    members: Membership,
    triggers: TriggerTimeTracker,
    written: Mutex<HashMap<String, Written>>,
}

/// Runs the controller until the process ends.
pub async fn run(ctx: Arc<Context>) {
    let client = ctx.client.clone();
    let (services, svc_writer) = reflector::store();
    let (pods, pod_writer) = reflector::store();
    let (slices, slice_writer) = reflector::store();
    let state = Arc::new(State {
        ctx,
        services,
        pods,
        slices,
        queue: Arc::new(WorkQueue::default()),
        members: Membership::default(),
        triggers: TriggerTimeTracker::default(),
        written: Mutex::new(HashMap::new()),
    });
    let cfg = watcher::Config::default;
    let svc_events = reflector(
        svc_writer,
        watcher(Api::<Service>::all(client.clone()), cfg()),
    );
    let pod_events = reflector(pod_writer, watcher(Api::<Pod>::all(client.clone()), cfg()));
    let slice_events = reflector(
        slice_writer,
        watcher(
            Api::<EndpointSlice>::all(client),
            cfg().labels(&format!("{MANAGED_BY_LABEL}={CONTROLLER_NAME}")),
        ),
    );

    let s = state.clone();
    let on_service = handle(svc_events, move |ev| match ev {
        watcher::Event::Apply(svc)
        | watcher::Event::InitApply(svc)
        | watcher::Event::Delete(svc) => s.queue.add(key_of(&svc)),
        watcher::Event::InitDone => enqueue_all_services(&s),
        watcher::Event::Init => {}
    });
    let s = state.clone();
    let on_pod = handle(pod_events, move |ev| match ev {
        watcher::Event::Apply(pod) | watcher::Event::InitApply(pod) => {
            for k in s.members.services_for_pod(&s.services, &pod, false) {
                s.queue.add(k);
            }
        }
        watcher::Event::Delete(pod) => {
            for k in s.members.services_for_pod(&s.services, &pod, true) {
                s.queue.add(k);
            }
        }
        watcher::Event::InitDone => enqueue_all_services(&s),
        watcher::Event::Init => {}
    });
    let s = state.clone();
    let on_slice = handle(slice_events, move |ev| match ev {
        // A slice changed or deleted by someone else is put right; at start, slices of
        // services that are gone are found.
        watcher::Event::Apply(es) | watcher::Event::InitApply(es) | watcher::Event::Delete(es) => {
            if let Some(svc) = es.labels().get(SERVICE_NAME_LABEL) {
                s.queue
                    .add(format!("{}/{}", es.namespace().unwrap_or_default(), svc));
            }
        }
        _ => {}
    });

    let workers = async {
        let ready = futures_util::future::join3(
            state.services.wait_until_ready(),
            state.pods.wait_until_ready(),
            state.slices.wait_until_ready(),
        )
        .await;
        if ready.0.is_err() || ready.1.is_err() || ready.2.is_err() {
            return;
        }
        let workers = (0..WORKERS).map(|_| worker(state.clone()));
        futures_util::future::join_all(workers).await;
    };
    tokio::join!(on_service, on_pod, on_slice, workers);
}

fn enqueue_all_services(s: &State) {
    for svc in s.services.state() {
        s.queue.add(key_of(svc.as_ref()));
    }
}

async fn worker(state: Arc<State>) {
    loop {
        let key = state.queue.get().await;
        let result = sync_service(&state, &key).await;
        state.queue.done(&key);
        match result {
            Ok(()) => state.queue.forget(&key),
            Err(e) => {
                tracing::debug!(service = %key, error = %e, "syncing endpoint slices failed, retrying");
                state.queue.add_rate_limited(key);
            }
        }
    }
}

fn rv(es: &EndpointSlice) -> u64 {
    es.metadata
        .resource_version
        .as_deref()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Whether the cache still lacks writes this controller made for `key`.
fn cache_is_stale(state: &State, key: &str, ns: &str) -> bool {
    let Ok(mut w) = state.written.lock() else {
        return false;
    };
    let Some(written) = w.get(key) else {
        return false;
    };
    let behind = written.updated.iter().any(|(name, want)| {
        state
            .slices
            .get(&ObjectRef::new(name).within(ns))
            .is_none_or(|es| rv(&es) < *want)
    }) || written
        .deleted
        .iter()
        .any(|name| state.slices.get(&ObjectRef::new(name).within(ns)).is_some());
    if !behind || written.at.is_some_and(|t| t.elapsed() > STALE_TIMEOUT) {
        w.remove(key);
        return false;
    }
    true
}

async fn sync_service(state: &State, key: &str) -> Result<(), kube::Error> {
    let (ns, name) = split_key(key);
    if cache_is_stale(state, key, ns) {
        state
            .queue
            .add_after(key.to_string(), Duration::from_millis(100));
        return Ok(());
    }
    let api: Api<EndpointSlice> = Api::namespaced(state.ctx.client.clone(), ns);
    let existing: Vec<Arc<EndpointSlice>> = state
        .slices
        .state()
        .into_iter()
        .filter(|es| es.metadata.namespace.as_deref() == Some(ns))
        .filter(|es| es.labels().get(SERVICE_NAME_LABEL).map(String::as_str) == Some(name))
        .collect();
    let Some(svc) = state.services.get(&ObjectRef::new(name).within(ns)) else {
        // The garbage collector would remove them through their owner reference; doing it
        // here does not depend on it running.
        state.triggers.delete(key);
        state.members.remove(key);
        let mut written = Written::default();
        for es in existing {
            delete(&api, &es.name_any()).await?;
            written.deleted.insert(es.name_any());
        }
        remember(state, key, written);
        return Ok(());
    };
    let Some(selector) = pods::managed_selector(&svc) else {
        return Ok(());
    };
    let selected: Vec<Arc<Pod>> = state
        .pods
        .state()
        .into_iter()
        .filter(|p| p.metadata.namespace.as_deref() == Some(ns))
        .filter(|p| pods::selects(selector, p.labels()))
        .collect();
    let selected: Vec<&Pod> = selected.iter().map(|p| p.as_ref()).collect();
    let trigger = state.triggers.compute(key, &svc, &selected);
    let desired = reconcile::desired_endpoints(&svc, &selected);
    state.members.set(
        key,
        desired
            .values()
            .flatten()
            .filter_map(|e| e.target_ref.as_ref().and_then(|r| r.name.clone()))
            .collect(),
    );
    let existing: Vec<EndpointSlice> = existing.iter().map(|es| es.as_ref().clone()).collect();
    let mut plan = reconcile::plan(&svc, existing, desired);

    let mut written = Written {
        at: Some(Instant::now()),
        ..Default::default()
    };
    let stamp = |es: &mut EndpointSlice| {
        if let Some(t) = trigger {
            es.metadata
                .annotations
                .get_or_insert_with(Default::default)
                .insert(LAST_CHANGE_TRIGGER_TIME.into(), t.to_string());
        }
    };
    let mut result = Ok(());
    for es in plan.create.iter_mut() {
        stamp(es);
        match api.create(&PostParams::default(), es).await {
            Ok(made) => {
                written.updated.insert(made.name_any(), rv(&made));
            }
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    if result.is_ok() {
        for es in plan.update.iter_mut() {
            stamp(es);
            match api
                .replace(&es.name_any(), &PostParams::default(), es)
                .await
            {
                Ok(made) => {
                    written.updated.insert(made.name_any(), rv(&made));
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
    }
    if result.is_ok() {
        for name in &plan.delete {
            if let Err(e) = delete(&api, name).await {
                result = Err(e);
                break;
            }
            written.deleted.insert(name.clone());
        }
    }
    remember(state, key, written);
    result
}

fn remember(state: &State, key: &str, written: Written) {
    if written.updated.is_empty() && written.deleted.is_empty() {
        return;
    }
    if let Ok(mut w) = state.written.lock() {
        w.insert(key.to_string(), written);
    }
}

async fn delete(api: &Api<EndpointSlice>, name: &str) -> Result<(), kube::Error> {
    match api.delete(name, &DeleteParams::default()).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
        Err(e) => Err(e),
    }
}
