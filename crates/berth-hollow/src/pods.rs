//! Plays kubelet for every pod bound to a hollow node: one watch for all of them, one
//! task, wake-ups in a timer heap and a bounded number of API calls in flight
//! (pkg/kubelet/pod_workers.go and the status manager, pkg/kubelet/status).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, StreamExt};
use k8s_openapi::api::core::v1::{Container, Event, Node, Pod, PodSpec, Probe};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams, Preconditions};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::{watcher, WatchStreamExt};
use serde_json::json;

use crate::events;
use crate::image::FailingImages;
use crate::ipam::{Cidr, Ipam};
use crate::node::{self, NodeSet};
use crate::status::{self, Inputs};
use crate::Error;

/// API calls in flight at once.
const IN_FLIGHT: usize = 64;
/// Delay before a failed call is tried again.
const RETRY: Duration = Duration::from_secs(1);
/// The same status is not written twice within this time (stale watch events).
const REWRITE_GUARD: Duration = Duration::from_secs(10);

/// The pod side of all hollow kubelets.
pub struct Kubelet {
    pub client: kube::Client,
    pub set: Arc<NodeSet>,
    /// Hollow nodes as the API server holds them (for `spec.podCIDR`).
    pub nodes: Store<Node>,
    pub complete_after: Duration,
    pub failing: FailingImages,
}

/// What this kubelet knows about one of its pods.
struct Entry {
    /// The newest pod seen, slimmed to what the status computation reads and kept as
    /// JSON: a tenth of the typed object's size, which matters at tens of thousands.
    pod: Box<[u8]>,
    uid: String,
    resource_version: Option<u64>,
    node: usize,
    /// When a pull of one of its images first failed here.
    pull_since: Option<Timestamp>,
    /// Hash of the last status written, and when.
    written: Option<(u64, Instant)>,
    /// The next time its status changes by itself.
    wake: Option<Timestamp>,
    /// A call for it is in flight; `dirty` asks for another sync after it.
    busy: bool,
    dirty: bool,
}

/// What an API call for a pod came back with.
enum Done {
    Patched(Box<Pod>),
    Deleted,
    Failed(kube::Error),
}

struct Worker {
    k: Kubelet,
    pods: HashMap<String, Entry>,
    ipam: Ipam,
    queue: VecDeque<String>,
    queued: HashSet<String>,
    timers: BinaryHeap<Reverse<(Instant, String)>>,
    /// Keys seen since the watch (re)started listing.
    relist: Option<HashSet<String>>,
}

fn key_of(pod: &Pod) -> Option<String> {
    Some(format!(
        "{}/{}",
        pod.metadata.namespace.as_deref()?,
        pod.metadata.name.as_deref()?
    ))
}

fn code(e: &kube::Error) -> Option<u16> {
    match e {
        kube::Error::Api(s) => Some(s.code),
        _ => None,
    }
}

/// Drops what the status computation never reads, so thousands of cached pods stay small.
fn slim(pod: &mut Pod) {
    let m = &mut pod.metadata;
    *m = ObjectMeta {
        name: m.name.take(),
        namespace: m.namespace.take(),
        uid: m.uid.take(),
        resource_version: m.resource_version.take(),
        deletion_timestamp: m.deletion_timestamp.take(),
        ..Default::default()
    };
    if let Some(spec) = pod.spec.take() {
        let container = |c: Container| Container {
            name: c.name,
            image: c.image,
            readiness_probe: c.readiness_probe.map(|p| Probe {
                initial_delay_seconds: p.initial_delay_seconds,
                ..Default::default()
            }),
            restart_policy: c.restart_policy,
            ..Default::default()
        };
        pod.spec = Some(PodSpec {
            node_name: spec.node_name,
            restart_policy: spec.restart_policy,
            containers: spec.containers.into_iter().map(container).collect(),
            init_containers: spec
                .init_containers
                .map(|cs| cs.into_iter().map(container).collect()),
            ..Default::default()
        });
    }
}

/// The resourceVersion as a number (berth's are store revisions), to drop stale events.
fn revision(pod: &Pod) -> Option<u64> {
    pod.metadata
        .resource_version
        .as_deref()
        .and_then(|v| v.parse::<u64>().ok())
}

impl Kubelet {
    /// Watches all bound pods and plays kubelet for the ones on hollow nodes, forever.
    pub async fn run(self) -> Result<(), Error> {
        let api: Api<Pod> = Api::all(self.client.clone());
        let config = watcher::Config::default().fields("spec.nodeName!=");
        let mut events = watcher(api, config).default_backoff().boxed();
        let mut w = Worker {
            k: self,
            pods: HashMap::new(),
            ipam: Ipam::default(),
            queue: VecDeque::new(),
            queued: HashSet::new(),
            timers: BinaryHeap::new(),
            relist: None,
        };
        let mut ops: FuturesUnordered<BoxFuture<'static, (String, Done)>> = FuturesUnordered::new();
        loop {
            while ops.len() < IN_FLIGHT {
                let Some(key) = w.queue.pop_front() else {
                    break;
                };
                w.queued.remove(&key);
                if let Some(op) = w.sync(&key) {
                    ops.push(op);
                }
            }
            let next_timer = w.timers.peek().map(|Reverse((t, _))| *t);
            tokio::select! {
                ev = events.next() => match ev {
                    Some(Ok(ev)) => w.event(ev),
                    Some(Err(e)) => tracing::warn!(error = %e, "pod watch failed, retrying"),
                    None => return Err(Error::WatchEnded),
                },
                Some((key, done)) = ops.next(), if !ops.is_empty() => w.done(key, done),
                _ = tokio::time::sleep_until(next_timer.unwrap_or_else(Instant::now).into()), if next_timer.is_some() => {
                    let now = Instant::now();
                    while let Some(Reverse((t, _))) = w.timers.peek() {
                        if *t > now {
                            break;
                        }
                        if let Some(Reverse((_, key))) = w.timers.pop() {
                            w.enqueue(key);
                        }
                    }
                }
            }
        }
    }
}

impl Worker {
    fn event(&mut self, ev: watcher::Event<Pod>) {
        match ev {
            watcher::Event::Apply(p) => self.observe(p),
            watcher::Event::Delete(p) => {
                if let Some(key) = key_of(&p) {
                    self.forget(&key);
                }
            }
            watcher::Event::Init => self.relist = Some(HashSet::new()),
            watcher::Event::InitApply(p) => {
                if let (Some(seen), Some(key)) = (self.relist.as_mut(), key_of(&p)) {
                    seen.insert(key);
                }
                self.observe(p);
            }
            watcher::Event::InitDone => {
                if let Some(seen) = self.relist.take() {
                    let gone: Vec<String> = self
                        .pods
                        .keys()
                        .filter(|k| !seen.contains(*k))
                        .cloned()
                        .collect();
                    for key in gone {
                        self.forget(&key);
                    }
                }
                tracing::info!(pods = self.pods.len(), "pods on hollow nodes listed");
            }
        }
    }

    /// Takes in the newest version of a pod.
    fn observe(&mut self, mut pod: Pod) {
        let Some(key) = key_of(&pod) else {
            return;
        };
        let node = pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.as_deref())
            .and_then(|n| self.k.set.index_of(n));
        let Some(node) = node else {
            self.forget(&key);
            return;
        };
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        slim(&mut pod);
        let resource_version = revision(&pod);
        if let Some(ip) = pod.status.as_ref().and_then(|s| s.pod_ip.as_deref()) {
            if !status::is_terminal(pod.status.as_ref()) {
                self.ipam.reserve(node, &uid, ip);
            }
        }
        let Ok(json) = serde_json::to_vec(&pod) else {
            return;
        };
        let json = json.into_boxed_slice();
        match self.pods.get_mut(&key) {
            Some(e) if e.uid == uid => {
                if matches!((resource_version, e.resource_version), (Some(n), Some(o)) if n < o) {
                    return;
                }
                e.pod = json;
                e.resource_version = resource_version;
            }
            _ => {
                self.forget(&key);
                self.pods.insert(
                    key.clone(),
                    Entry {
                        pod: json,
                        uid,
                        resource_version,
                        node,
                        pull_since: None,
                        written: None,
                        wake: None,
                        busy: false,
                        dirty: false,
                    },
                );
            }
        }
        self.enqueue(key);
    }

    fn forget(&mut self, key: &str) {
        if let Some(e) = self.pods.remove(key) {
            self.ipam.release(e.node, &e.uid);
        }
    }

    fn enqueue(&mut self, key: String) {
        if self.queued.insert(key.clone()) {
            self.queue.push_back(key);
        }
    }

    fn done(&mut self, key: String, done: Done) {
        let Some(e) = self.pods.get_mut(&key) else {
            return;
        };
        e.busy = false;
        let dirty = std::mem::take(&mut e.dirty);
        match done {
            Done::Patched(p) => self.observe(*p),
            Done::Deleted => {}
            Done::Failed(err) => {
                e.written = None;
                tracing::warn!(pod = %key, error = %err, "updating pod failed, will retry");
                self.timers
                    .push(Reverse((Instant::now() + RETRY, key.clone())));
            }
        }
        if dirty {
            self.enqueue(key);
        }
    }

    /// Compares the pod with what kubelet would report and returns the API call that
    /// closes the gap, if any.
    fn sync(&mut self, key: &str) -> Option<BoxFuture<'static, (String, Done)>> {
        let e = self.pods.get_mut(key)?;
        if e.busy {
            e.dirty = true;
            return None;
        }
        let pod: Pod = serde_json::from_slice(&e.pod).ok()?;
        let pod = &pod;
        let uid = e.uid.clone();
        let name = pod.metadata.name.clone().unwrap_or_default();
        let ns = pod.metadata.namespace.clone().unwrap_or_default();
        let deleting = pod.metadata.deletion_timestamp.is_some();
        let api: Api<Pod> = Api::namespaced(self.k.client.clone(), &ns);
        if status::is_terminal(pod.status.as_ref()) {
            self.ipam.release(e.node, &uid);
            if !deleting {
                return None;
            }
            e.busy = true;
            return Some(delete(api, key.to_string(), name, uid).boxed());
        }
        let now = Timestamp::now();
        let node_name = self.k.set.name(e.node);
        let has_ip = pod.status.as_ref().is_some_and(|s| s.pod_ip.is_some());
        let pod_ip = if has_ip || deleting {
            None
        } else {
            let cidr = self
                .k
                .nodes
                .get(&ObjectRef::new(node_name))
                .and_then(|n| n.spec.as_ref()?.pod_cidr.as_deref().and_then(Cidr::parse))
                .unwrap_or_else(|| Cidr::fallback(e.node));
            let ip = self.ipam.allocate(e.node, cidr, &uid);
            if ip.is_none() {
                tracing::warn!(pod = %key, node = node_name, "no free pod address in the node's pod CIDR");
            }
            ip.map(|ip| ip.to_string())
        };
        if e.pull_since.is_none() && status::pulls_fail(pod, &self.k.failing) {
            e.pull_since = Some(now);
        }
        let host_ip = node::internal_ip(e.node).to_string();
        let desired = status::desired(
            pod,
            &Inputs {
                now,
                host_ip: &host_ip,
                pod_ip: pod_ip.as_deref(),
                complete_after: self.k.complete_after,
                failing: &self.k.failing,
                pull_since: e.pull_since.unwrap_or(now),
            },
        );
        if let Some(wake) = desired.wake {
            if e.wake != Some(wake) {
                e.wake = Some(wake);
                let wait = Duration::try_from(wake.duration_since(now)).unwrap_or_default();
                self.timers
                    .push(Reverse((Instant::now() + wait, key.to_string())));
            }
        }
        let terminal = status::is_terminal(Some(&desired.status));
        if terminal {
            self.ipam.release(e.node, &uid);
        }
        let new = serde_json::to_value(&desired.status).ok()?;
        let current = serde_json::to_value(pod.status.clone().unwrap_or_default()).ok()?;
        let hash = {
            let mut h = DefaultHasher::new();
            new.to_string().hash(&mut h);
            h.finish()
        };
        let recently_written = e
            .written
            .is_some_and(|(h, at)| h == hash && at.elapsed() < REWRITE_GUARD);
        let write = new != current && !recently_written;
        let delete_after = deleting && terminal;
        if !write && !delete_after {
            return None;
        }
        let events = if write && !self.k.failing.is_empty() {
            events::pull_events(pod, pod.status.as_ref(), &desired.status, node_name, now)
        } else {
            Vec::new()
        };
        e.busy = true;
        if write {
            e.written = Some((hash, Instant::now()));
        }
        let key = key.to_string();
        let event_api: Api<Event> = Api::namespaced(self.k.client.clone(), &ns);
        Some(
            async move {
                if write {
                    let patch = json!({"metadata": {"uid": uid}, "status": new});
                    let result = api
                        .patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
                        .await;
                    if result.is_ok() {
                        for ev in &events {
                            if let Err(err) = event_api.create(&PostParams::default(), ev).await {
                                tracing::debug!(pod = %key, error = %err, "unable to record event");
                            }
                        }
                    }
                    match result {
                        Ok(p) if !delete_after => return (key, Done::Patched(Box::new(p))),
                        Ok(_) => {}
                        Err(e) if code(&e) == Some(404) => return (key, Done::Deleted),
                        Err(e) => return (key, Done::Failed(e)),
                    }
                }
                delete(api, key, name, uid).await
            }
            .boxed(),
        )
    }
}

/// Deletes a stopped pod for good (gracePeriodSeconds=0, as kubelet's status manager).
async fn delete(api: Api<Pod>, key: String, name: String, uid: String) -> (String, Done) {
    let params = DeleteParams {
        grace_period_seconds: Some(0),
        preconditions: Some(Preconditions {
            uid: Some(uid),
            resource_version: None,
        }),
        ..Default::default()
    };
    match api.delete(&name, &params).await {
        Ok(_) => (key, Done::Deleted),
        Err(e) if matches!(code(&e), Some(404 | 409)) => (key, Done::Deleted),
        Err(e) => (key, Done::Failed(e)),
    }
}
