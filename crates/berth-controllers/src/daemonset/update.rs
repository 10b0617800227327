//! The DaemonSet rolling update: which old pods to delete and which nodes get a surge pod,
//! within maxUnavailable and maxSurge (pkg/controller/daemon/update.go).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::history::CONTROLLER_REVISION_HASH;
use crate::util;

/// Label with the DaemonSet's template generation on the pods made from it.
pub const TEMPLATE_GENERATION_LABEL: &str = "pod-template-generation";

/// `intstr.GetScaledValueFromIntOrPercent`.
pub fn scaled_value(v: Option<&IntOrString>, total: i32, round_up: bool) -> i32 {
    match v {
        None => 0,
        Some(IntOrString::Int(i)) => *i,
        Some(IntOrString::String(s)) => {
            let Some(p) = s.strip_suffix('%').and_then(|p| p.parse::<i64>().ok()) else {
                return 0;
            };
            let x = p * i64::from(total);
            let r = if round_up {
                (x + 99).div_euclid(100)
            } else {
                x.div_euclid(100)
            };
            r as i32
        }
    }
}

/// `util.IsPodUpdated`: the pod carries the current hash or the current template generation.
pub fn is_pod_updated(pod: &Pod, hash: &str, generation: Option<i64>) -> bool {
    let labels = pod.metadata.labels.as_ref();
    let get = |k: &str| labels.and_then(|l| l.get(k)).map(String::as_str);
    let template_matches =
        generation.is_some_and(|g| get(TEMPLATE_GENERATION_LABEL) == Some(g.to_string().as_str()));
    let hash_matches = !hash.is_empty() && get(CONTROLLER_REVISION_HASH) == Some(hash);
    hash_matches || template_matches
}

/// A node's up-to-date pod and its old pod, either possibly missing.
pub type NewAndOld = (Option<Arc<Pod>>, Option<Arc<Pod>>);

/// `findUpdatedPodsOnNode`: the node's one new and one old pod (ignoring pods being
/// deleted), or `None` if there are several of either.
pub fn updated_pods_on_node(
    pods: &[Arc<Pod>],
    hash: &str,
    generation: Option<i64>,
) -> Option<NewAndOld> {
    let (mut new, mut old) = (None, None);
    for p in pods
        .iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
    {
        let slot = if is_pod_updated(p, hash, generation) {
            &mut new
        } else {
            &mut old
        };
        if slot.is_some() {
            return None;
        }
        *slot = Some(p.clone());
    }
    Some((new, old))
}

/// What a rolling-update step decided.
#[derive(Debug, Default, PartialEq)]
pub struct Step {
    /// Names of old pods to delete.
    pub delete: Vec<String>,
    /// Nodes that get a new pod next to their old one (surge).
    pub create_on: Vec<String>,
}

/// Inputs of one rolling-update step.
pub struct Rollout<'a> {
    /// Pods per node, with an empty entry for every node that should run a daemon pod.
    pub node_pods: &'a BTreeMap<String, Vec<Arc<Pod>>>,
    pub hash: &'a str,
    pub generation: Option<i64>,
    pub max_surge: i32,
    pub max_unavailable: i32,
    pub desired: i32,
    pub min_ready_seconds: i32,
    pub now: DateTime<Utc>,
    /// `NodeShouldRunDaemonPod(node).shouldRun`.
    pub should_run: &'a dyn Fn(&str) -> bool,
}

impl Rollout<'_> {
    fn available(&self, p: &Pod) -> bool {
        util::is_pod_available(p, self.min_ready_seconds, self.now)
    }

    /// One step of `rollingUpdate`.
    pub fn step(&self) -> Step {
        if self.max_surge == 0 {
            self.step_without_surge()
        } else {
            self.step_with_surge()
        }
    }

    /// Deletes just enough old pods to stay within maxUnavailable; the manage loop then
    /// creates their replacements.
    fn step_without_surge(&self) -> Step {
        let mut unavailable = 0;
        let mut replacements = Vec::new();
        let mut candidates = Vec::new();
        for pods in self.node_pods.values() {
            let Some((new, old)) = updated_pods_on_node(pods, self.hash, self.generation) else {
                unavailable += 1;
                continue;
            };
            match (new, old) {
                (None, None) | (Some(_), Some(_)) => unavailable += 1,
                (Some(new), None) => {
                    if !self.available(&new) {
                        unavailable += 1;
                    }
                }
                (None, Some(old)) => {
                    if !self.available(&old) {
                        replacements.push(old.metadata.name.clone().unwrap_or_default());
                        unavailable += 1;
                    } else if unavailable < self.max_unavailable {
                        candidates.push(old.metadata.name.clone().unwrap_or_default());
                    }
                }
            }
        }
        let remaining = (self.max_unavailable - unavailable).clamp(0, candidates.len() as i32);
        replacements.extend(candidates.into_iter().take(remaining as usize));
        Step {
            delete: replacements,
            create_on: vec![],
        }
    }

    /// Starts new pods next to old ones (at most maxSurge at a time) and deletes an old
    /// pod once its replacement is available.
    fn step_with_surge(&self) -> Step {
        let mut step = Step::default();
        let mut should_not_run = Vec::new();
        let mut candidates = Vec::new();
        let mut allowed = Vec::new();
        let mut surge = 0;
        let mut available = 0;
        for (node, pods) in self.node_pods {
            let Some((new, old)) = updated_pods_on_node(pods, self.hash, self.generation) else {
                surge += 1;
                continue;
            };
            match (&old, &new) {
                (Some(o), _) if self.available(o) => available += 1,
                (None, Some(n)) if self.available(n) => available += 1,
                _ => {}
            }
            match (old, new) {
                (None, _) => {}
                (Some(old), None) => {
                    let run = (self.should_run)(node);
                    if !self.available(&old) {
                        if !run {
                            step.delete
                                .push(old.metadata.name.clone().unwrap_or_default());
                        } else {
                            allowed.push(node.clone());
                        }
                    } else if !run {
                        should_not_run.push(old.metadata.name.clone().unwrap_or_default());
                    } else if surge < self.max_surge {
                        candidates.push(node.clone());
                    }
                }
                (Some(old), Some(new)) => {
                    if !self.available(&new) {
                        surge += 1;
                    } else {
                        step.delete
                            .push(old.metadata.name.clone().unwrap_or_default());
                    }
                }
            }
        }
        let deletable = (available - self.desired).clamp(0, should_not_run.len() as i32);
        step.delete
            .extend(should_not_run.into_iter().take(deletable as usize));
        let remaining = (self.max_surge - surge).clamp(0, candidates.len() as i32);
        allowed.extend(candidates.into_iter().take(remaining as usize));
        step.create_on = allowed;
        step
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{PodCondition, PodStatus};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn pod(name: &str, hash: &str, ready: bool) -> Arc<Pod> {
        Arc::new(Pod {
            metadata: ObjectMeta {
                name: Some(name.into()),
                labels: Some([(CONTROLLER_REVISION_HASH.to_string(), hash.to_string())].into()),
                ..Default::default()
            },
            spec: None,
            status: Some(PodStatus {
                phase: Some("Running".into()),
                conditions: Some(vec![PodCondition {
                    type_: "Ready".into(),
                    status: if ready { "True" } else { "False" }.into(),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
        })
    }

    fn nodes(pods: Vec<Vec<Arc<Pod>>>) -> BTreeMap<String, Vec<Arc<Pod>>> {
        pods.into_iter()
            .enumerate()
            .map(|(i, p)| (format!("n{i}"), p))
            .collect()
    }

    fn rollout<'a>(
        np: &'a BTreeMap<String, Vec<Arc<Pod>>>,
        surge: i32,
        unavailable: i32,
        run: &'a dyn Fn(&str) -> bool,
    ) -> Rollout<'a> {
        Rollout {
            node_pods: np,
            hash: "new",
            generation: None,
            max_surge: surge,
            max_unavailable: unavailable,
            desired: np.len() as i32,
            min_ready_seconds: 0,
            now: Utc::now(),
            should_run: run,
        }
    }

    #[test]
    fn percentages_round_up() {
        let p = IntOrString::String("10%".into());
        assert_eq!(scaled_value(Some(&p), 3, true), 1);
        assert_eq!(scaled_value(Some(&p), 3, false), 0);
        assert_eq!(scaled_value(Some(&IntOrString::Int(2)), 3, true), 2);
        assert_eq!(scaled_value(None, 3, true), 0);
    }

    #[test]
    fn max_unavailable_bounds_deletions() {
        let np = nodes(vec![
            vec![pod("a", "old", true)],
            vec![pod("b", "old", true)],
            vec![pod("c", "old", true)],
        ]);
        let yes = |_: &str| true;
        assert_eq!(rollout(&np, 0, 1, &yes).step().delete, vec!["a"]);
        assert_eq!(rollout(&np, 0, 2, &yes).step().delete, vec!["a", "b"]);
        // one node without a pod (being replaced) uses up the budget
        let np = nodes(vec![
            vec![],
            vec![pod("b", "old", true)],
            vec![pod("c", "new", true)],
        ]);
        assert!(rollout(&np, 0, 1, &yes).step().delete.is_empty());
        // unavailable old pods are always replaced
        let np = nodes(vec![vec![], vec![pod("b", "old", false)]]);
        assert_eq!(rollout(&np, 0, 1, &yes).step().delete, vec!["b"]);
    }

    #[test]
    fn surge_creates_then_deletes_old() {
        let yes = |_: &str| true;
        let np = nodes(vec![
            vec![pod("a", "old", true)],
            vec![pod("b", "old", true)],
        ]);
        let s = rollout(&np, 1, 0, &yes).step();
        assert_eq!(s.create_on, vec!["n0"]);
        assert!(s.delete.is_empty());
        let np = nodes(vec![
            vec![pod("a", "old", true), pod("a2", "new", false)],
            vec![pod("b", "old", true)],
        ]);
        assert_eq!(rollout(&np, 1, 0, &yes).step(), Step::default());
        let np = nodes(vec![
            vec![pod("a", "old", true), pod("a2", "new", true)],
            vec![pod("b", "old", true)],
        ]);
        let s = rollout(&np, 1, 0, &yes).step();
        assert_eq!(s.delete, vec!["a"]);
        assert_eq!(s.create_on, vec!["n1"]);
    }

    #[test]
    fn generation_label_counts_as_updated() {
        let mut p = (*pod("a", "old", true)).clone();
        p.metadata
            .labels
            .get_or_insert_with(Default::default)
            .insert(TEMPLATE_GENERATION_LABEL.into(), "3".into());
        assert!(is_pod_updated(&p, "new", Some(3)));
        assert!(!is_pod_updated(&p, "new", Some(4)));
        assert!(is_pod_updated(&p, "old", None));
    }
}
