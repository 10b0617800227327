//! RBAC as kube-apiserver does it: rule evaluation, 403 messages, the bootstrap policy and ClusterRole aggregation.

mod aggregation;
mod authorizer;
mod bootstrap;
mod forbidden;
mod rule;

#[cfg(test)]
mod tests;

pub use aggregation::aggregate;
pub use authorizer::{Attributes, Decision, RbacSnapshot, SYSTEM_MASTERS};
pub use bootstrap::{
    bootstrap_cluster_role_bindings, bootstrap_cluster_roles, bootstrap_role_bindings,
    bootstrap_roles, AGGREGATE_TO_ADMIN, AGGREGATE_TO_EDIT, AGGREGATE_TO_VIEW,
};
pub use forbidden::{forbidden_message, forbidden_status};
pub use rule::PolicyRule;
