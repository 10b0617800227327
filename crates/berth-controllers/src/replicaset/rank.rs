//! Which pods a scale-down removes first (controller.ActivePodsWithRanks): unscheduled
//! before scheduled, pending before unknown before running, not ready before ready,
//! more co-located pods first, shorter ready time, more restarts, newer pods.

use std::cmp::Ordering;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;

use crate::util;

fn phase_rank(pod: &Pod) -> u8 {
    match util::phase(pod) {
        "Pending" => 0,
        "Unknown" => 1,
        "Running" => 2,
        _ => 3,
    }
}

fn restarts(pod: &Pod) -> i32 {
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .map(|cs| cs.iter().map(|c| c.restart_count).max().unwrap_or(0))
        .unwrap_or(0)
}

fn created(pod: &Pod) -> i64 {
    pod.metadata
        .creation_timestamp
        .as_ref()
        .map(|t| t.0.as_second())
        .unwrap_or(0)
}

/// Orders pods so that the ones to delete first come first.
pub fn compare(a: &Pod, b: &Pod, colocated: &dyn Fn(&Pod) -> usize) -> Ordering {
    let node = |p: &Pod| {
        p.spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .unwrap_or_default()
    };
    // 1. unassigned < assigned
    let (na, nb) = (node(a).is_empty(), node(b).is_empty());
    if na != nb {
        return if na {
            Ordering::Less
        } else {
            Ordering::Greater
        };
    }
    // 2. pending < unknown < running
    let o = phase_rank(a).cmp(&phase_rank(b));
    if o != Ordering::Equal {
        return o;
    }
    // 3. not ready < ready
    let (ra, rb) = (util::is_pod_ready(a), util::is_pod_ready(b));
    if ra != rb {
        return if !ra {
            Ordering::Less
        } else {
            Ordering::Greater
        };
    }
    // 4. more pods on the same node first
    let o = colocated(b).cmp(&colocated(a));
    if o != Ordering::Equal {
        return o;
    }
    // 5. ready for less time first
    let since = |p: &Pod| {
        util::pod_ready_condition(p)
            .and_then(|(_, t)| t)
            .map(|t| t.timestamp())
            .unwrap_or(0)
    };
    if ra && rb {
        let o = since(b).cmp(&since(a));
        if o != Ordering::Equal {
            return o;
        }
    }
    // 6. more restarts first
    let o = restarts(b).cmp(&restarts(a));
    if o != Ordering::Equal {
        return o;
    }
    // 7. newer first
    created(b).cmp(&created(a))
}

/// The `n` pods to delete first.
pub fn pods_to_delete(pods: &[Arc<Pod>], n: usize) -> Vec<Arc<Pod>> {
    let mut per_node = std::collections::HashMap::<String, usize>::new();
    for p in pods {
        if let Some(nn) = p.spec.as_ref().and_then(|s| s.node_name.clone()) {
            *per_node.entry(nn).or_default() += 1;
        }
    }
    let colocated = |p: &Pod| {
        p.spec
            .as_ref()
            .and_then(|s| s.node_name.as_ref())
            .and_then(|n| per_node.get(n).copied())
            .unwrap_or(0)
    };
    let mut v: Vec<Arc<Pod>> = pods.to_vec();
    v.sort_by(|a, b| compare(a, b, &colocated));
    v.truncate(n);
    v
}
