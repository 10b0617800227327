//! NodeResourcesFit: the pod's requests must fit the node's allocatable minus what is
//! requested already, and the pod count must stay under allocatable `pods` (filter);
//! LeastAllocated prefers emptier nodes (score).

use crate::framework::{FilterPlugin, NodeInfo, PodInfo, ScorePlugin, Status, MAX_NODE_SCORE};

/// The NodeResourcesFit filter and its LeastAllocated score (cpu and memory, weight 1 each).
pub struct NodeResourcesFit;

/// Why the pod does not fit, in upstream's words and order.
pub fn insufficient_resources(pod: &PodInfo, node: &NodeInfo) -> Vec<String> {
    let mut reasons = vec![];
    if node.pod_count + 1 > node.allocatable.allowed_pods {
        reasons.push("Too many pods".to_string());
    }
    let want = &pod.requests;
    let have = &node.allocatable;
    let used = &node.requested;
    if want.milli_cpu > 0 && want.milli_cpu > have.milli_cpu - used.milli_cpu {
        reasons.push("Insufficient cpu".into());
    }
    if want.memory > 0 && want.memory > have.memory - used.memory {
        reasons.push("Insufficient memory".into());
    }
    if want.ephemeral_storage > 0
        && want.ephemeral_storage > have.ephemeral_storage - used.ephemeral_storage
    {
        reasons.push("Insufficient ephemeral-storage".into());
    }
    for (name, &q) in &want.scalar {
        if q == 0 {
            continue;
        }
        let free = have.scalar.get(name).copied().unwrap_or(0)
            - used.scalar.get(name).copied().unwrap_or(0);
        if q > free {
            reasons.push(format!("Insufficient {name}"));
        }
    }
    reasons
}

impl FilterPlugin for NodeResourcesFit {
    fn name(&self) -> &'static str {
        "NodeResourcesFit"
    }

    fn filter(&self, pod: &PodInfo, node: &NodeInfo) -> Result<(), Status> {
        let reasons = insufficient_resources(pod, node);
        if reasons.is_empty() {
            Ok(())
        } else {
            Err(Status {
                code: crate::framework::Code::Unschedulable,
                reasons,
            })
        }
    }
}

/// ((capacity - requested) * MaxNodeScore) / capacity, 0 when over capacity.
fn least_requested(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    (capacity - requested) * MAX_NODE_SCORE / capacity
}

impl ScorePlugin for NodeResourcesFit {
    fn name(&self) -> &'static str {
        "NodeResourcesFit"
    }

    fn weight(&self) -> i64 {
        1
    }

    fn score(&self, pod: &PodInfo, node: &NodeInfo) -> i64 {
        let cpu = least_requested(
            node.non_zero_cpu + pod.non_zero_cpu,
            node.allocatable.milli_cpu,
        );
        let mem = least_requested(
            node.non_zero_memory + pod.non_zero_memory,
            node.allocatable.memory,
        );
        (cpu + mem) / 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::types::Resource;

    #[test]
    fn reasons_in_upstream_order() {
        let mut pod = PodInfo::new(std::sync::Arc::new(Default::default()));
        pod.requests = Resource {
            milli_cpu: 3000,
            memory: 10,
            ..Default::default()
        };
        let node = NodeInfo {
            allocatable: Resource {
                milli_cpu: 2000,
                memory: 5,
                allowed_pods: 1,
                ..Default::default()
            },
            pod_count: 1,
            ..Default::default()
        };
        assert_eq!(
            insufficient_resources(&pod, &node),
            vec!["Too many pods", "Insufficient cpu", "Insufficient memory"]
        );
    }

    #[test]
    fn least_allocated() {
        assert_eq!(least_requested(0, 4000), 100);
        assert_eq!(least_requested(1000, 4000), 75);
        assert_eq!(least_requested(5000, 4000), 0);
    }
}
