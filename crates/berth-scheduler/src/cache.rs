//! The scheduler cache: NodeInfos built from the node and pod watches, plus "assumed"
//! pods — placed by this scheduler before the watch confirms their binding — so the
//! next decision already counts them (pkg/scheduler/backend/cache).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, Pod};

use crate::framework::{NodeInfo, PodInfo};

struct PodState {
    info: Arc<PodInfo>,
    node: String,
    /// Placed by us; the watch has not shown it bound yet.
    assumed: bool,
}

/// Nodes and the pods on them.
#[derive(Default)]
pub struct Cache {
    nodes: HashMap<String, NodeInfo>,
    pods: HashMap<String, PodState>,
    /// Names of nodes with a Node object, sorted; the order nodes are tried in.
    order: Vec<String>,
    order_dirty: bool,
}

/// The node fields that can make a pending pod schedulable.
fn node_fingerprint(n: &NodeInfo) -> impl PartialEq {
    (
        n.allocatable.clone(),
        n.taints.clone(),
        n.unschedulable,
        n.labels().cloned(),
    )
}

impl Cache {
    /// Adds or updates a node; true when the change may let pending pods fit.
    pub fn add_or_update_node(&mut self, node: Arc<Node>) -> bool {
        let name = node.metadata.name.clone().unwrap_or_default();
        let ni = self.nodes.entry(name.clone()).or_insert_with(|| NodeInfo {
            name: name.clone(),
            ..Default::default()
        });
        let was_present = ni.node.is_some();
        let before = node_fingerprint(ni);
        ni.set_node(node);
        if !was_present {
            self.order_dirty = true;
            return true;
        }
        before != node_fingerprint(ni)
    }

    /// Removes a node (pods still referencing it keep an empty NodeInfo).
    pub fn remove_node(&mut self, name: &str) {
        let Some(ni) = self.nodes.get_mut(name) else {
            return;
        };
        if ni.pod_count == 0 {
            self.nodes.remove(name);
        } else {
            ni.node = None;
        }
        self.order_dirty = true;
    }

    /// Names of all nodes with a Node object.
    pub fn node_names(&self) -> HashSet<String> {
        self.nodes
            .iter()
            .filter(|(_, n)| n.node.is_some())
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Recomputes the node order after nodes were added or removed.
    pub fn ordered_nodes(&mut self) {
        if self.order_dirty {
            let mut names: Vec<String> = self
                .nodes
                .iter()
                .filter(|(_, n)| n.node.is_some())
                .map(|(k, _)| k.clone())
                .collect();
            names.sort();
            self.order = names;
            self.order_dirty = false;
        }
    }

    /// Nodes in a stable order (as of the last [`Cache::ordered_nodes`]), for round-robin search.
    pub fn order(&self) -> &[String] {
        &self.order
    }

    /// The NodeInfo of `name`.
    pub fn node(&self, name: &str) -> Option<&NodeInfo> {
        self.nodes.get(name)
    }

    fn place(&mut self, info: Arc<PodInfo>, node: &str, assumed: bool) {
        let ni = self
            .nodes
            .entry(node.to_string())
            .or_insert_with(|| NodeInfo {
                name: node.to_string(),
                ..Default::default()
            });
        ni.add_pod(&info);
        self.pods.insert(
            info.uid.clone(),
            PodState {
                info,
                node: node.to_string(),
                assumed,
            },
        );
    }

    /// Counts `info` on `node` before the binding is confirmed.
    pub fn assume(&mut self, info: Arc<PodInfo>, node: &str) {
        self.remove_pod(&info.uid);
        self.place(info, node, true);
    }

    /// Whether the pod is assumed (placed by us, binding not yet seen).
    pub fn is_assumed(&self, uid: &str) -> bool {
        self.pods.get(uid).is_some_and(|p| p.assumed)
    }

    /// Drops an assumption whose binding failed.
    pub fn forget(&mut self, uid: &str) {
        if self.is_assumed(uid) {
            self.remove_pod(uid);
        }
    }

    /// A bound pod seen in the watch: confirms an assumption or adds it.
    pub fn add_or_update_pod(&mut self, pod: &Arc<Pod>) {
        let uid = pod.metadata.uid.as_deref().unwrap_or_default();
        let node = pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.as_deref())
            .unwrap_or_default();
        if let Some(p) = self.pods.get_mut(uid) {
            if p.node == node {
                p.assumed = false;
                return;
            }
        }
        let info = Arc::new(PodInfo::new(pod.clone()));
        self.remove_pod(uid);
        self.place(info, node, false);
    }

    /// Removes a pod (deleted, terminal, or a failed assumption); false if unknown.
    pub fn remove_pod(&mut self, uid: &str) -> bool {
        let Some(p) = self.pods.remove(uid) else {
            return false;
        };
        if let Some(ni) = self.nodes.get_mut(&p.node) {
            ni.remove_pod(&p.info);
            if ni.node.is_none() && ni.pod_count == 0 {
                self.nodes.remove(&p.node);
            }
        }
        true
    }

    /// After a re-list: drops confirmed pods the list no longer has.
    pub fn retain_pods(&mut self, listed: &HashSet<String>) {
        let gone: Vec<String> = self
            .pods
            .iter()
            .filter(|(uid, p)| !p.assumed && !listed.contains(*uid))
            .map(|(uid, _)| uid.clone())
            .collect();
        for uid in gone {
            self.remove_pod(&uid);
        }
    }

    /// Pods counted on nodes (bound and assumed).
    pub fn pod_count(&self) -> usize {
        self.pods.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::PodSpec;

    fn pod(uid: &str, node: Option<&str>) -> Arc<Pod> {
        let mut p = Pod {
            spec: Some(PodSpec {
                node_name: node.map(String::from),
                ..Default::default()
            }),
            ..Default::default()
        };
        p.metadata.uid = Some(uid.into());
        Arc::new(p)
    }

    #[test]
    fn assume_confirm_forget() {
        let mut c = Cache::default();
        let info = Arc::new(PodInfo::new(pod("u1", None)));
        c.assume(info.clone(), "n1");
        assert!(c.is_assumed("u1"));
        assert_eq!(c.node("n1").map(|n| n.pod_count), Some(1));
        c.add_or_update_pod(&pod("u1", Some("n1")));
        assert!(!c.is_assumed("u1"));
        assert_eq!(c.node("n1").map(|n| n.pod_count), Some(1));
        c.forget("u1");
        assert_eq!(c.node("n1").map(|n| n.pod_count), Some(1));
        c.assume(Arc::new(PodInfo::new(pod("u2", None))), "n1");
        c.forget("u2");
        assert_eq!(c.node("n1").map(|n| n.pod_count), Some(1));
        c.remove_pod("u1");
        assert!(
            c.node("n1").is_none(),
            "an empty NodeInfo without a Node goes away"
        );
    }
}
