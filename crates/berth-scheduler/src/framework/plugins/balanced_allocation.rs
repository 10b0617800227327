//! NodeResourcesBalancedAllocation: prefers nodes whose cpu and memory use stay balanced.

use crate::framework::{NodeInfo, PodInfo, ScorePlugin, MAX_NODE_SCORE};

/// The NodeResourcesBalancedAllocation score.
pub struct NodeResourcesBalancedAllocation;

impl ScorePlugin for NodeResourcesBalancedAllocation {
    fn name(&self) -> &'static str {
        "NodeResourcesBalancedAllocation"
    }

    fn weight(&self) -> i64 {
        1
    }

    fn score(&self, pod: &PodInfo, node: &NodeInfo) -> i64 {
        let fraction = |req: i64, cap: i64| {
            if cap == 0 {
                1.0
            } else {
                (req as f64 / cap as f64).min(1.0)
            }
        };
        let cpu = fraction(
            node.non_zero_cpu + pod.non_zero_cpu,
            node.allocatable.milli_cpu,
        );
        let mem = fraction(
            node.non_zero_memory + pod.non_zero_memory,
            node.allocatable.memory,
        );
        // Standard deviation of the two fractions.
        let std = (cpu - mem).abs() / 2.0;
        ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
    }
}
