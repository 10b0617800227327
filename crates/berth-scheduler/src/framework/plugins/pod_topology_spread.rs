//! PodTopologySpread with the system default constraints (ScheduleAnyway across
//! hostnames): fewer pods of the same controller on a node score higher.

use crate::framework::{NodeInfo, PodInfo, ScorePlugin, MAX_NODE_SCORE};

/// maxSkew of the default hostname constraint.
const HOSTNAME_MAX_SKEW: i64 = 3;

/// The PodTopologySpread score for pods with a controlling owner.
pub struct PodTopologySpread;

impl ScorePlugin for PodTopologySpread {
    fn name(&self) -> &'static str {
        "PodTopologySpread"
    }

    fn weight(&self) -> i64 {
        2
    }

    fn score(&self, pod: &PodInfo, node: &NodeInfo) -> i64 {
        let Some(owner) = &pod.owner else {
            return 0;
        };
        let matching = node.owners.get(owner).copied().unwrap_or(0) as i64;
        matching + HOSTNAME_MAX_SKEW - 1
    }

    fn normalize(&self, pod: &PodInfo, scores: &mut [i64]) {
        if pod.owner.is_none() {
            return;
        }
        let max = scores.iter().copied().max().unwrap_or(0);
        let min = scores.iter().copied().min().unwrap_or(0);
        for s in scores.iter_mut() {
            *s = if max == 0 {
                MAX_NODE_SCORE
            } else {
                MAX_NODE_SCORE * (max + min - *s) / max
            };
        }
    }
}
