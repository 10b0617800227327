//! NodeName: a pod naming a node in `spec.nodeName` fits only that node.

use crate::framework::{FilterPlugin, NodeInfo, PodInfo, Status};

/// Upstream's ErrReason.
pub const ERR_REASON: &str = "node(s) didn't match the requested node name";

/// The NodeName filter.
pub struct NodeName;

impl FilterPlugin for NodeName {
    fn name(&self) -> &'static str {
        "NodeName"
    }

    fn filter(&self, pod: &PodInfo, node: &NodeInfo) -> Result<(), Status> {
        match pod.spec().and_then(|s| s.node_name.as_deref()) {
            Some(n) if !n.is_empty() && n != node.name => Err(Status::unresolvable(ERR_REASON)),
            _ => Ok(()),
        }
    }
}
