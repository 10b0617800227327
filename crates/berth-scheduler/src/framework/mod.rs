//! The scheduling framework: filter and score plugin interfaces and the default
//! profile's plugins with upstream's order and weights (pkg/scheduler/framework).

pub mod plugins;
pub mod types;

pub use types::{NodeInfo, PodInfo};

/// Highest score a plugin gives a node (upstream's MaxNodeScore).
pub const MAX_NODE_SCORE: i64 = 100;

/// How a filter rejected a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// Preemption of other pods could help.
    Unschedulable,
    /// Preemption cannot help (node affinity, taints, cordon).
    UnschedulableAndUnresolvable,
}

/// Why a node cannot take the pod; `reasons` are counted in FailedScheduling messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub code: Code,
    pub reasons: Vec<String>,
}

impl Status {
    /// One reason; preemption may help.
    pub fn unschedulable(reason: impl Into<String>) -> Status {
        Status {
            code: Code::Unschedulable,
            reasons: vec![reason.into()],
        }
    }

    /// One reason; preemption cannot help.
    pub fn unresolvable(reason: impl Into<String>) -> Status {
        Status {
            code: Code::UnschedulableAndUnresolvable,
            reasons: vec![reason.into()],
        }
    }
}

/// A Filter extension point plugin: can this node run the pod?
pub trait FilterPlugin: Send + Sync {
    /// Upstream's plugin name.
    fn name(&self) -> &'static str;
    fn filter(&self, pod: &PodInfo, node: &NodeInfo) -> Result<(), Status>;
}

/// A Score extension point plugin: how good is this (feasible) node for the pod?
pub trait ScorePlugin: Send + Sync {
    /// Upstream's plugin name.
    fn name(&self) -> &'static str;
    /// Weight in the default profile.
    fn weight(&self) -> i64;
    /// Raw score of one node.
    fn score(&self, pod: &PodInfo, node: &NodeInfo) -> i64;
    /// Maps raw scores onto 0..=MAX_NODE_SCORE (NormalizeScore); identity by default.
    fn normalize(&self, _pod: &PodInfo, _scores: &mut [i64]) {}
}

/// The default profile (`default-scheduler`).
pub struct Framework {
    pub filters: Vec<Box<dyn FilterPlugin>>,
    pub scores: Vec<Box<dyn ScorePlugin>>,
}

impl Default for Framework {
    fn default() -> Framework {
        use plugins::*;
        Framework {
            // Upstream's default order: cheap and unresolvable checks first.
            filters: vec![
                Box::new(node_unschedulable::NodeUnschedulable),
                Box::new(node_name::NodeName),
                Box::new(taint_toleration::TaintToleration),
                Box::new(node_affinity::NodeAffinity),
                Box::new(node_ports::NodePorts),
                Box::new(node_resources_fit::NodeResourcesFit),
            ],
            scores: vec![
                Box::new(taint_toleration::TaintToleration),
                Box::new(node_affinity::NodeAffinity),
                Box::new(node_resources_fit::NodeResourcesFit),
                Box::new(balanced_allocation::NodeResourcesBalancedAllocation),
                Box::new(pod_topology_spread::PodTopologySpread),
            ],
        }
    }
}

impl Framework {
    /// Runs the filters in order; the first rejection decides (as upstream).
    pub fn run_filters(&self, pod: &PodInfo, node: &NodeInfo) -> Result<(), Status> {
        for f in &self.filters {
            f.filter(pod, node)?;
        }
        Ok(())
    }
}

/// Upstream's DefaultNormalizeScore: scales to 0..=max, optionally reversed.
pub fn default_normalize(scores: &mut [i64], reverse: bool) {
    let max = scores.iter().copied().max().unwrap_or(0);
    if max == 0 {
        if reverse {
            scores.iter_mut().for_each(|s| *s = MAX_NODE_SCORE);
        }
        return;
    }
    for s in scores.iter_mut() {
        *s = MAX_NODE_SCORE * *s / max;
        if reverse {
            *s = MAX_NODE_SCORE - *s;
        }
    }
}
