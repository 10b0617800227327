//! The Endpoints controller: for every Service with a selector, an Endpoints object of
//! the same name listing the selected pods' addresses, ready or not, and the ports the
//! service targets on them (pkg/controller/endpoint).

pub(crate) mod pods;
pub(crate) mod queue;
pub(crate) mod repack;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use futures_util::{Stream, StreamExt};
use k8s_openapi::api::core::v1::{
    EndpointAddress, EndpointPort, EndpointSubset, Endpoints, ObjectReference, Pod, Service,
};
use kube::api::{Api, DeleteParams, ObjectMeta, PostParams};
use kube::runtime::reflector::{self, reflector, ObjectRef, Store};
use kube::runtime::{watcher, WatchStreamExt};
use kube::ResourceExt;

use crate::events::WARNING;
use crate::Context;
use pods::{key_of, split_key, Membership, TriggerTimeTracker};
use queue::WorkQueue;

/// Annotation with the time of the earliest change the endpoints reflect.
pub const LAST_CHANGE_TRIGGER_TIME: &str = "endpoints.kubernetes.io/last-change-trigger-time";
/// Annotation set when addresses beyond [`MAX_CAPACITY`] were dropped.
const OVER_CAPACITY: &str = "endpoints.kubernetes.io/over-capacity";
/// Label of Endpoints (and EndpointSlices) of headless services.
pub const HEADLESS_LABEL: &str = "service.kubernetes.io/headless";
/// At most this many addresses in one Endpoints object (upstream's maxCapacity).
const MAX_CAPACITY: usize = 1000;
/// Services synced at once (kube-controller-manager's --concurrent-endpoint-syncs).
const WORKERS: usize = 5;

struct State {
    ctx: Arc<Context>,
    services: Store<Service>,
    pods: Store<Pod>,
    endpoints: Store<Endpoints>,
    queue: Arc<WorkQueue>,
    members: Membership,
    triggers: TriggerTimeTracker,
}

#[derive(Debug, thiserror::Error)]
enum Error {
    #[error(transparent)]
    Kube(#[from] kube::Error),
}

/// Runs the controller until the process ends.
pub async fn run(ctx: Arc<Context>) {
    let client = ctx.client.clone();
    let (services, svc_writer) = reflector::store();
    let (pods, pod_writer) = reflector::store();
    let (endpoints, ep_writer) = reflector::store();
    let state = Arc::new(State {
        ctx,
        services,
        pods,
        endpoints,
        queue: Arc::new(WorkQueue::default()),
        members: Membership::default(),
        triggers: TriggerTimeTracker::default(),
    });
    let cfg = watcher::Config::default;
    let svc_events = reflector(
        svc_writer,
        watcher(Api::<Service>::all(client.clone()), cfg()),
    );
    let pod_events = reflector(pod_writer, watcher(Api::<Pod>::all(client.clone()), cfg()));
    let ep_events = reflector(ep_writer, watcher(Api::<Endpoints>::all(client), cfg()));

    let s = state.clone();
    let on_service = handle(svc_events, move |ev| match ev {
        watcher::Event::Apply(svc)
        | watcher::Event::InitApply(svc)
        | watcher::Event::Delete(svc) => s.queue.add(key_of(&svc)),
        // A relist may hide deletions: look at everything again.
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
    let on_endpoints = handle(ep_events, move |ev| match ev {
        // Recreate deleted Endpoints; at start, find Endpoints whose Service is gone.
        watcher::Event::Delete(ep) | watcher::Event::InitApply(ep) => s.queue.add(key_of(&ep)),
        _ => {}
    });

    let workers = async {
        let ready = futures_util::future::join3(
            state.services.wait_until_ready(),
            state.pods.wait_until_ready(),
            state.endpoints.wait_until_ready(),
        )
        .await;
        if ready.0.is_err() || ready.1.is_err() || ready.2.is_err() {
            return;
        }
        let workers = (0..WORKERS).map(|_| worker(state.clone()));
        futures_util::future::join_all(workers).await;
    };
    tokio::join!(on_service, on_pod, on_endpoints, workers);
}

/// Feeds every event of a reflector stream to `f`, retrying the watch with backoff.
pub(crate) async fn handle<K, S, F>(events: S, mut f: F)
where
    S: Stream<Item = Result<watcher::Event<K>, watcher::Error>> + Send,
    F: FnMut(watcher::Event<K>),
{
    let events = events.default_backoff();
    futures_util::pin_mut!(events);
    while let Some(ev) = events.next().await {
        match ev {
            Ok(ev) => f(ev),
            Err(e) => tracing::debug!(error = %e, "watch failed, retrying"),
        }
    }
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
                tracing::debug!(service = %key, error = %e, "syncing endpoints failed, retrying");
                state.queue.add_rate_limited(key);
            }
        }
    }
}

async fn sync_service(state: &State, key: &str) -> Result<(), Error> {
    let (ns, name) = split_key(key);
    let api: Api<Endpoints> = Api::namespaced(state.ctx.client.clone(), ns);
    let Some(svc) = state.services.get(&ObjectRef::new(name).within(ns)) else {
        // The Service is gone: so are its Endpoints.
        state.triggers.delete(key);
        state.members.remove(key);
        if state
            .endpoints
            .get(&ObjectRef::new(name).within(ns))
            .is_some()
        {
            match api.delete(name, &DeleteParams::default()).await {
                Ok(_) => {}
                Err(kube::Error::Api(e)) if e.code == 404 => {}
                Err(e) => return Err(e.into()),
            }
        }
        return Ok(());
    };
    let Some(selector) = pods::managed_selector(&svc) else {
        // Users keep the Endpoints of services without a selector.
        return Ok(());
    };
    let selected: Vec<Arc<Pod>> = state
        .pods
        .state()
        .into_iter()
        .filter(|p| p.metadata.namespace.as_deref() == Some(ns))
        .filter(|p| pods::selects(selector, p.labels()))
        .collect();
    let selected_refs: Vec<&Pod> = selected.iter().map(|p| p.as_ref()).collect();
    let trigger = state.triggers.compute(key, &svc, &selected_refs);
    let (subsets, members) = desired_subsets(&svc, &selected_refs);
    state.members.set(key, members);

    let mut subsets = subsets;
    let over = truncate(&mut subsets);
    let current = state.endpoints.get(&ObjectRef::new(name).within(ns));
    let mut labels = svc.metadata.labels.clone().unwrap_or_default();
    if is_headless(&svc) {
        labels.insert(HEADLESS_LABEL.into(), String::new());
    }
    if let Some(cur) = &current {
        if normalize(cur.subsets.clone().unwrap_or_default()) == subsets
            && cur.metadata.labels.clone().unwrap_or_default() == labels
            && cur.annotations().contains_key(OVER_CAPACITY) == over
        {
            return Ok(());
        }
    }
    let mut new = Endpoints {
        metadata: current
            .as_ref()
            .map(|c| c.metadata.clone())
            .unwrap_or_else(|| ObjectMeta {
                name: Some(name.to_string()),
                namespace: Some(ns.to_string()),
                ..Default::default()
            }),
        subsets: None,
    };
    new.metadata.labels = if labels.is_empty() {
        None
    } else {
        Some(labels)
    };
    let annotations = new.metadata.annotations.get_or_insert_with(BTreeMap::new);
    match trigger {
        Some(t) => {
            annotations.insert(LAST_CHANGE_TRIGGER_TIME.into(), t.to_string());
        }
        None => {
            annotations.remove(LAST_CHANGE_TRIGGER_TIME);
        }
    }
    if over {
        annotations.insert(OVER_CAPACITY.into(), "truncated".into());
    } else {
        annotations.remove(OVER_CAPACITY);
    }
    if annotations.is_empty() {
        new.metadata.annotations = None;
    }
    new.subsets = if subsets.is_empty() {
        None
    } else {
        Some(subsets)
    };

    let result = match &current {
        None => api.create(&PostParams::default(), &new).await,
        Some(_) => api.replace(name, &PostParams::default(), &new).await,
    };
    match result {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e))
            if current.is_none() && e.code == 403 && e.message.contains("being terminated") =>
        {
            // The namespace is going away; creates keep failing, so drop the key.
            Ok(())
        }
        Err(e) => {
            let (reason, message) = if current.is_none() {
                (
                    "FailedToCreateEndpoint",
                    format!("Failed to create endpoint for service {ns}/{name}: {e}"),
                )
            } else {
                (
                    "FailedToUpdateEndpoint",
                    format!("Failed to update endpoint {ns}/{name}: {e}"),
                )
            };
            // A conflict only means our cache was behind: retry quietly.
            if !matches!(&e, kube::Error::Api(s) if s.code == 409) {
                state
                    .ctx
                    .recorder
                    .publish(&new, WARNING, reason, &message)
                    .await;
            }
            Err(e.into())
        }
    }
}

/// Headless: no cluster IP (`None`).
pub(crate) fn is_headless(svc: &Service) -> bool {
    svc.spec
        .as_ref()
        .and_then(|s| s.cluster_ip.as_deref())
        .is_none_or(|ip| ip.is_empty() || ip == "None")
}

/// The packed subsets for a service and the names of the pods they include.
fn desired_subsets(svc: &Service, pods: &[&Pod]) -> (Vec<EndpointSubset>, HashSet<String>) {
    let spec = svc.spec.clone().unwrap_or_default();
    let publish_not_ready = spec.publish_not_ready_addresses.unwrap_or(false);
    let ipv6 = pods::service_is_ipv6(svc);
    let mut subsets = Vec::new();
    let mut members = HashSet::new();
    for pod in pods {
        if !pods::should_pod_be_in_endpoints(pod, publish_not_ready) {
            continue;
        }
        let Some(ip) = pods::pod_ip(pod, ipv6) else {
            continue;
        };
        let address = EndpointAddress {
            ip,
            hostname: pods::should_set_hostname(pod, svc)
                .then(|| pod.spec.as_ref().and_then(|s| s.hostname.clone()))
                .flatten(),
            node_name: pod.spec.as_ref().and_then(|s| s.node_name.clone()),
            target_ref: Some(ObjectReference {
                kind: Some("Pod".into()),
                namespace: pod.metadata.namespace.clone(),
                name: pod.metadata.name.clone(),
                uid: pod.metadata.uid.clone(),
                ..Default::default()
            }),
        };
        let ready = publish_not_ready || crate::util::is_pod_ready(pod);
        let subset = |ports: Option<Vec<EndpointPort>>| EndpointSubset {
            addresses: ready.then(|| vec![address.clone()]),
            not_ready_addresses: (!ready).then(|| vec![address.clone()]),
            ports,
        };
        members.insert(pod.name_any());
        let ports = spec.ports.clone().unwrap_or_default();
        if ports.is_empty() {
            // Headless services may have no ports; their addresses are still listed.
            if spec.cluster_ip.as_deref() == Some("None") {
                subsets.push(subset(None));
            }
            continue;
        }
        for port in &ports {
            let Some(number) = pods::find_port(pod, port) else {
                continue;
            };
            subsets.push(subset(Some(vec![EndpointPort {
                name: port.name.clone().filter(|n| !n.is_empty()),
                port: number,
                protocol: port.protocol.clone(),
                app_protocol: port.app_protocol.clone(),
            }])));
        }
    }
    (repack::repack_subsets(subsets), members)
}

/// Stored subsets in the form [`desired_subsets`] builds them: empty lists absent,
/// target resourceVersions (which change with every pod update) dropped.
fn normalize(subsets: Vec<EndpointSubset>) -> Vec<EndpointSubset> {
    let fix = |v: Option<Vec<EndpointAddress>>| {
        v.filter(|v| !v.is_empty()).map(|v| {
            v.into_iter()
                .map(|mut a| {
                    if let Some(r) = a.target_ref.as_mut() {
                        r.resource_version = None;
                    }
                    a
                })
                .collect()
        })
    };
    subsets
        .into_iter()
        .map(|s| EndpointSubset {
            addresses: fix(s.addresses),
            not_ready_addresses: fix(s.not_ready_addresses),
            ports: s.ports.filter(|p| !p.is_empty()).map(|p| {
                p.into_iter()
                    .map(|mut p| {
                        p.name = p.name.filter(|n| !n.is_empty());
                        p
                    })
                    .collect()
            }),
        })
        .collect()
}

fn address_count(subsets: &[EndpointSubset]) -> usize {
    subsets
        .iter()
        .map(|s| {
            s.addresses.as_ref().map_or(0, Vec::len)
                + s.not_ready_addresses.as_ref().map_or(0, Vec::len)
        })
        .sum()
}

/// Keeps at most [`MAX_CAPACITY`] addresses, ready ones first, spread over the subsets in
/// proportion (upstream's truncateEndpoints). Returns whether anything was dropped.
fn truncate(subsets: &mut [EndpointSubset]) -> bool {
    let ready: usize = subsets
        .iter()
        .map(|s| s.addresses.as_ref().map_or(0, Vec::len))
        .sum();
    let not_ready = address_count(subsets) - ready;
    if ready + not_ready <= MAX_CAPACITY {
        return false;
    }
    let truncate_ready = ready > MAX_CAPACITY;
    let (max, total) = if truncate_ready {
        (MAX_CAPACITY, ready)
    } else {
        (MAX_CAPACITY - ready, not_ready)
    };
    let mut left = max;
    for s in subsets.iter_mut() {
        let list = if truncate_ready {
            s.not_ready_addresses = None;
            &mut s.addresses
        } else {
            &mut s.not_ready_addresses
        };
        let n = list.as_ref().map_or(0, Vec::len);
        let share = (n * max).div_ceil(total).min(left);
        if let Some(v) = list.as_mut() {
            v.truncate(share);
        }
        left -= list.as_ref().map_or(0, Vec::len);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subset(ready: usize, not_ready: usize) -> EndpointSubset {
        let addrs = |n: usize, base: usize| {
            Some(
                (0..n)
                    .map(|i| EndpointAddress {
                        ip: format!("10.{}.{}.{}", base, i / 256, i % 256),
                        ..Default::default()
                    })
                    .collect::<Vec<_>>(),
            )
        };
        EndpointSubset {
            addresses: addrs(ready, 1),
            not_ready_addresses: addrs(not_ready, 2),
            ports: None,
        }
    }

    #[test]
    fn truncation_keeps_ready_addresses_first() {
        let mut s = vec![subset(600, 300), subset(300, 300)];
        assert!(truncate(&mut s));
        assert_eq!(address_count(&s), MAX_CAPACITY);
        // all 900 ready kept, 100 not-ready shared half and half
        assert_eq!(s[0].addresses.as_ref().map(Vec::len), Some(600));
        assert_eq!(s[0].not_ready_addresses.as_ref().map(Vec::len), Some(50));
        let mut small = vec![subset(3, 2)];
        assert!(!truncate(&mut small));
        let mut many = vec![subset(1500, 10)];
        assert!(truncate(&mut many));
        assert_eq!(many[0].addresses.as_ref().map(Vec::len), Some(1000));
        assert!(many[0].not_ready_addresses.is_none());
    }

    #[test]
    fn normalize_drops_resource_versions_and_empty_lists() {
        let stored = vec![EndpointSubset {
            addresses: Some(vec![EndpointAddress {
                ip: "10.0.0.1".into(),
                target_ref: Some(ObjectReference {
                    resource_version: Some("42".into()),
                    ..Default::default()
                }),
                ..Default::default()
            }]),
            not_ready_addresses: Some(vec![]),
            ports: Some(vec![]),
        }];
        let n = normalize(stored);
        assert!(n[0].not_ready_addresses.is_none() && n[0].ports.is_none());
        let r = n[0]
            .addresses
            .as_ref()
            .and_then(|a| a[0].target_ref.as_ref());
        assert_eq!(r.and_then(|r| r.resource_version.as_ref()), None);
    }
}
