//! The status conditions of a terminating namespace, with upstream's types, reasons and
//! messages (pkg/controller/namespace/deletion/status_condition_utils.go).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{NamespaceCondition, NamespaceStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

/// The condition types the controller maintains, with the reason and message each has
/// when nothing is wrong.
const CONDITIONS: &[(&str, &str, &str)] = &[
    (
        "NamespaceDeletionDiscoveryFailure",
        "ResourcesDiscovered",
        "All resources successfully discovered",
    ),
    (
        "NamespaceDeletionGroupVersionParsingFailure",
        "ParsedGroupVersions",
        "All legacy kube types successfully parsed",
    ),
    (
        "NamespaceDeletionContentFailure",
        "ContentDeleted",
        "All content successfully deleted, may be waiting on finalization",
    ),
    (
        "NamespaceContentRemaining",
        "ContentRemoved",
        "All content successfully removed",
    ),
    (
        "NamespaceFinalizersRemaining",
        "ContentHasNoFinalizers",
        "All content-preserving finalizers finished",
    ),
];

/// Collects what went wrong in one deletion pass (namespaceConditionUpdater).
#[derive(Default, Debug)]
pub struct Updater {
    /// condition type -> (reason, message), for conditions that are True.
    failing: BTreeMap<&'static str, (String, String)>,
    content_errors: Vec<String>,
}

impl Updater {
    pub fn discovery_failed(&mut self, err: &str) {
        self.failing.insert(
            "NamespaceDeletionDiscoveryFailure",
            ("DiscoveryFailed".into(), err.to_string()),
        );
    }

    pub fn content_failed(&mut self, err: String) {
        self.content_errors.push(err);
    }

    /// NamespaceContentRemaining and NamespaceFinalizersRemaining from what is left.
    pub fn content_totals(
        &mut self,
        resources: &BTreeMap<String, usize>,
        finalizers: &BTreeMap<String, usize>,
    ) {
        let mut left: Vec<String> = resources
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(r, n)| format!("{r} has {n} resource instances"))
            .collect();
        if !left.is_empty() {
            left.sort();
            self.failing.insert(
                "NamespaceContentRemaining",
                (
                    "SomeResourcesRemain".into(),
                    format!("Some resources are remaining: {}", left.join(", ")),
                ),
            );
        }
        let mut fins: Vec<String> = finalizers
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(f, n)| format!("{f} in {n} resource instances"))
            .collect();
        if !fins.is_empty() {
            fins.sort();
            self.failing.insert(
                "NamespaceFinalizersRemaining",
                (
                    "SomeFinalizersRemain".into(),
                    format!(
                        "Some content in the namespace has finalizers remaining: {}",
                        fins.join(", ")
                    ),
                ),
            );
        }
    }

    /// The NamespaceDeletionContentFailure message, if deleting some content failed.
    pub fn failed_message(&self) -> Option<String> {
        if self.content_errors.is_empty() {
            return None;
        }
        let mut msgs = self.content_errors.clone();
        msgs.sort();
        Some(format!(
            "Failed to delete all resource types, {} remaining: {}",
            msgs.len(),
            msgs.join(", ")
        ))
    }

    /// Puts the conditions into `status`; true when something changed (updateConditions).
    pub fn apply(mut self, status: &mut NamespaceStatus) -> bool {
        if let Some(msg) = self.failed_message() {
            self.failing
                .entry("NamespaceDeletionContentFailure")
                .or_insert(("ContentDeletionFailed".into(), msg));
        }
        let conditions = status.conditions.get_or_insert_with(Vec::new);
        let mut changed = false;
        for (type_, ok_reason, ok_message) in CONDITIONS {
            let (state, reason, message) = match self.failing.get(type_) {
                Some((r, m)) => ("True", r.clone(), m.clone()),
                None => ("False", ok_reason.to_string(), ok_message.to_string()),
            };
            match conditions.iter_mut().find(|c| c.type_ == *type_) {
                None => {
                    conditions.push(NamespaceCondition {
                        type_: type_.to_string(),
                        status: state.into(),
                        reason: Some(reason),
                        message: Some(message),
                        last_transition_time: Some(Time(k8s_openapi::jiff::Timestamp::now())),
                    });
                    changed = true;
                }
                Some(c) => {
                    if c.status != state
                        || c.reason.as_deref() != Some(reason.as_str())
                        || c.message.as_deref() != Some(message.as_str())
                    {
                        if c.status != state {
                            c.last_transition_time =
                                Some(Time(k8s_openapi::jiff::Timestamp::now()));
                        }
                        c.status = state.into();
                        c.reason = Some(reason);
                        c.message = Some(message);
                        changed = true;
                    }
                }
            }
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond<'a>(s: &'a NamespaceStatus, t: &str) -> &'a NamespaceCondition {
        s.conditions
            .iter()
            .flatten()
            .find(|c| c.type_ == t)
            .expect("condition present")
    }

    #[test]
    fn all_five_conditions_false_when_nothing_is_wrong() {
        let mut s = NamespaceStatus::default();
        assert!(Updater::default().apply(&mut s));
        assert_eq!(s.conditions.as_ref().map(Vec::len), Some(5));
        let c = cond(&s, "NamespaceContentRemaining");
        assert_eq!(c.status, "False");
        assert_eq!(c.reason.as_deref(), Some("ContentRemoved"));
        // the same again changes nothing
        assert!(!Updater::default().apply(&mut s));
    }

    #[test]
    fn remaining_content_and_finalizers_are_counted() {
        let mut s = NamespaceStatus::default();
        let mut u = Updater::default();
        u.content_totals(
            &BTreeMap::from([
                ("pods.".to_string(), 3),
                ("widgets.example.com".to_string(), 1),
            ]),
            &BTreeMap::from([("example.com/keep".to_string(), 1)]),
        );
        u.content_failed("b failed".into());
        u.content_failed("a failed".into());
        assert!(u.apply(&mut s));
        let c = cond(&s, "NamespaceContentRemaining");
        assert_eq!(c.status, "True");
        assert_eq!(c.reason.as_deref(), Some("SomeResourcesRemain"));
        assert_eq!(
            c.message.as_deref(),
            Some("Some resources are remaining: pods. has 3 resource instances, widgets.example.com has 1 resource instances")
        );
        let f = cond(&s, "NamespaceFinalizersRemaining");
        assert_eq!(
            f.message.as_deref(),
            Some("Some content in the namespace has finalizers remaining: example.com/keep in 1 resource instances")
        );
        let d = cond(&s, "NamespaceDeletionContentFailure");
        assert_eq!(d.reason.as_deref(), Some("ContentDeletionFailed"));
        assert_eq!(
            d.message.as_deref(),
            Some("Failed to delete all resource types, 2 remaining: a failed, b failed")
        );
    }
}
