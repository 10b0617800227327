//! Feeds the cache and the queue from watches of pods and nodes: bound pods go to the
//! cache, pending pods of `default-scheduler` to the queue, and cluster changes retry
//! parked pods (pkg/scheduler/eventhandlers.go).

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::Api;
use kube::runtime::watcher::{self, watcher, Event};
use kube::runtime::WatchStreamExt;

use crate::framework::PodInfo;
use crate::Scheduler;

/// The scheduler name this scheduler serves.
pub const DEFAULT_SCHEDULER_NAME: &str = "default-scheduler";

fn is_terminal(pod: &Pod) -> bool {
    matches!(
        pod.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Succeeded") | Some("Failed")
    )
}

fn node_name(pod: &Pod) -> Option<&str> {
    pod.spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .filter(|n| !n.is_empty())
}

/// Whether a pending pod is ours to schedule now.
fn responsible_for(pod: &Pod) -> bool {
    let Some(spec) = &pod.spec else {
        return false;
    };
    spec.scheduler_name
        .as_deref()
        .unwrap_or(DEFAULT_SCHEDULER_NAME)
        == DEFAULT_SCHEDULER_NAME
        && pod.metadata.deletion_timestamp.is_none()
        && spec.scheduling_gates.as_ref().is_none_or(|g| g.is_empty())
        && !is_terminal(pod)
}

impl Scheduler {
    fn on_pod(&self, pod: Pod) {
        let Some(uid) = pod.metadata.uid.clone() else {
            return;
        };
        if node_name(&pod).is_some() {
            self.queue.delete(&uid);
            let freed = {
                let mut cache = self.cache();
                if is_terminal(&pod) {
                    // Terminal pods hold no resources (upstream's informer drops them).
                    cache.remove_pod(&uid)
                } else {
                    cache.add_or_update_pod(&Arc::new(pod));
                    false
                }
            };
            if freed {
                self.queue.move_all_to_active_or_backoff();
            }
            return;
        }
        if !responsible_for(&pod) {
            self.queue.delete(&uid);
            return;
        }
        if self.cache().is_assumed(&uid) {
            return;
        }
        self.queue
            .add_or_update(Arc::new(PodInfo::new(Arc::new(pod))));
    }

    fn on_pod_delete(&self, pod: Pod) {
        let Some(uid) = pod.metadata.uid.as_deref() else {
            return;
        };
        self.queue.delete(uid);
        let freed = self.cache().remove_pod(uid);
        if freed && node_name(&pod).is_some() {
            self.queue.move_all_to_active_or_backoff();
        }
    }

    /// Watches all pods until the watch stream ends.
    pub(crate) async fn watch_pods(self: Arc<Self>) {
        let api: Api<Pod> = Api::all(self.client.clone());
        let mut stream = watcher(api, watcher::Config::default())
            .default_backoff()
            .boxed();
        let mut listed: HashSet<String> = HashSet::new();
        while let Some(ev) = stream.next().await {
            match ev {
                Ok(Event::Apply(p)) => self.on_pod(p),
                Ok(Event::Delete(p)) => self.on_pod_delete(p),
                Ok(Event::Init) => listed.clear(),
                Ok(Event::InitApply(p)) => {
                    if let Some(uid) = &p.metadata.uid {
                        listed.insert(uid.clone());
                    }
                    self.on_pod(p);
                }
                Ok(Event::InitDone) => {
                    self.cache().retain_pods(&listed);
                    for uid in self.queue.uids() {
                        if !listed.contains(&uid) {
                            self.queue.delete(&uid);
                        }
                    }
                    listed.clear();
                    self.pods_synced.store(true, Ordering::Release);
                    self.queue.move_all_to_active_or_backoff();
                }
                Err(e) => tracing::warn!(error = %e, "watching pods"),
            }
        }
    }

    /// Watches all nodes until the watch stream ends.
    pub(crate) async fn watch_nodes(self: Arc<Self>) {
        let api: Api<Node> = Api::all(self.client.clone());
        let mut stream = watcher(api, watcher::Config::default())
            .default_backoff()
            .boxed();
        let mut listed: HashSet<String> = HashSet::new();
        while let Some(ev) = stream.next().await {
            let changed = match ev {
                Ok(Event::Apply(n)) => self.cache().add_or_update_node(Arc::new(n)),
                Ok(Event::InitApply(n)) => {
                    listed.insert(n.metadata.name.clone().unwrap_or_default());
                    self.cache().add_or_update_node(Arc::new(n))
                }
                Ok(Event::Delete(n)) => {
                    self.cache()
                        .remove_node(n.metadata.name.as_deref().unwrap_or_default());
                    false
                }
                Ok(Event::Init) => {
                    listed.clear();
                    false
                }
                Ok(Event::InitDone) => {
                    let mut cache = self.cache();
                    for name in cache.node_names() {
                        if !listed.contains(&name) {
                            cache.remove_node(&name);
                        }
                    }
                    drop(cache);
                    listed.clear();
                    self.nodes_synced.store(true, Ordering::Release);
                    true
                }
                Err(e) => {
                    tracing::warn!(error = %e, "watching nodes");
                    false
                }
            };
            if changed {
                self.queue.move_all_to_active_or_backoff();
            }
        }
    }
}
