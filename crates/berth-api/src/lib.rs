//! Kubernetes API machinery that does not need a network: the resource registry,
//! defaulting, validation, label and field selectors, patches, OpenAPI documents,
//! table printers and RBAC evaluation. Objects are `serde_json::Value`s.

pub mod defaults;
pub mod fieldvalidation;
pub mod managedfields;
pub mod openapi;
pub mod protobuf;
pub mod rbac;
pub mod registry;
pub mod selectors;
pub mod smp;
pub mod table;
pub mod validation;
