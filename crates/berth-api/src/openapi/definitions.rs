//! Schema definitions generated from the k8s-openapi types, post-processed to match upstream's swagger.json.

use k8s_openapi::api::{
    apps::v1 as apps, authentication::v1 as authn, authorization::v1 as authz,
    autoscaling::v1 as autoscaling1, autoscaling::v2 as autoscaling2, batch::v1 as batch,
    certificates::v1 as certificates, coordination::v1 as coordination, core::v1 as core,
    discovery::v1 as discovery, events::v1 as events, networking::v1 as networking,
    policy::v1 as policy, rbac::v1 as rbac, scheduling::v1 as scheduling, storage::v1 as storage,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;
use schemars::generate::SchemaSettings;
use serde_json::{json, Map, Value};

use super::patch_meta;
use crate::registry::{self, RESOURCES};

/// Prefix of local references in the swagger 2.0 document.
pub const V2_REF_PREFIX: &str = "#/definitions/";

pub(crate) const META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1";
pub(crate) const INT_OR_STRING: &str = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
pub(crate) const QUANTITY: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";

/// Adds the schema of every listed type (and everything it references) to the generator.
macro_rules! schemas {
    ($gen:ident; $($t:ty),* $(,)?) => {
        $( let _ = $gen.subschema_for::<$t>(); )*
    };
}

/// A kind that is not a resource of its own in the registry but appears in request or
/// response bodies (subresource kinds), with its group-version-kind.
const EXTRA_KINDS: &[(&str, &str, &str)] = &[
    ("autoscaling", "v1", "Scale"),
    ("policy", "v1", "Eviction"),
    ("authentication.k8s.io", "v1", "TokenRequest"),
];

/// Generates all definitions in swagger 2.0 form (`#/definitions/...` references), keyed by
/// upstream's definition names, in name order.
pub fn generate() -> Map<String, Value> {
    let mut generator = SchemaSettings::draft07()
        .with(|s| {
            s.definitions_path = "/definitions".into();
            s.meta_schema = None;
            // Upstream keeps `description` next to `$ref` in v2; schemars' default transforms
            // would drop it.
            s.transforms.clear();
        })
        .into_generator();
    schemas!(generator;
        core::Binding, core::ConfigMap, core::Endpoints, core::Event, core::LimitRange,
        core::Namespace, core::Node, core::PersistentVolumeClaim, core::PersistentVolume,
        core::Pod, core::PodTemplate, core::ReplicationController, core::ResourceQuota,
        core::Secret, core::ServiceAccount, core::Service,
        apps::ControllerRevision, apps::DaemonSet, apps::Deployment, apps::ReplicaSet,
        apps::StatefulSet,
        events::Event,
        authn::SelfSubjectReview, authn::TokenReview, authn::TokenRequest,
        authz::LocalSubjectAccessReview, authz::SelfSubjectAccessReview,
        authz::SelfSubjectRulesReview, authz::SubjectAccessReview,
        autoscaling2::HorizontalPodAutoscaler, autoscaling1::Scale,
        batch::CronJob, batch::Job,
        certificates::CertificateSigningRequest,
        networking::IngressClass, networking::Ingress, networking::NetworkPolicy,
        policy::PodDisruptionBudget, policy::Eviction,
        rbac::ClusterRoleBinding, rbac::ClusterRole, rbac::RoleBinding, rbac::Role,
        storage::StorageClass,
        scheduling::PriorityClass,
        coordination::Lease,
        discovery::EndpointSlice,
        meta::Status, meta::DeleteOptions, meta::WatchEvent<core::Pod>, meta::APIResourceList,
        meta::APIGroup, meta::APIGroupList, meta::APIVersions, meta::Patch,
        k8s_openapi::apimachinery::pkg::version::Info,
    );
    let mut defs = generator.take_definitions(false);
    add_lists(&mut defs);
    for (name, schema) in defs.iter_mut() {
        post_process(name, schema);
    }
    add_group_version_kinds(&mut defs);
    let mut sorted: Vec<(String, Value)> = defs.into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    sorted.into_iter().collect()
}

/// `XList` definitions for every listable kind of the registry (k8s-openapi's `List<T>` has
/// no schema of its own).
fn add_lists(defs: &mut Map<String, Value>) {
    for r in RESOURCES.iter().filter(|r| r.verbs.contains(&"list")) {
        let item = r.definition_name();
        let name = format!("{item}List");
        if defs.contains_key(&name) || !defs.contains_key(&item) {
            continue;
        }
        let list = json!({
            "description": format!("{}List is a list of {} objects.", r.kind, r.kind),
            "type": "object",
            "properties": {
                "apiVersion": {
                    "description": "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources",
                    "type": "string"
                },
                "items": {
                    "description": format!("items is the list of {} objects.", r.kind),
                    "type": "array",
                    "items": { "$ref": format!("{V2_REF_PREFIX}{item}") }
                },
                "kind": {
                    "description": "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
                    "type": "string"
                },
                "metadata": {
                    "$ref": format!("{V2_REF_PREFIX}{META}.ListMeta"),
                    "description": "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"
                }
            },
            "required": ["items"]
        });
        defs.insert(name, list);
    }
}

/// Upstream shapes that k8s-openapi's schemas differ from, and the patch metadata table.
fn post_process(name: &str, schema: &mut Value) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    match name {
        INT_OR_STRING => {
            obj.remove("x-kubernetes-int-or-string");
            obj.insert("type".into(), "string".into());
            obj.insert("format".into(), "int-or-string".into());
        }
        QUANTITY => {
            obj.remove("x-kubernetes-int-or-string");
            obj.insert("type".into(), "string".into());
        }
        _ => {}
    }
    // k8s-openapi makes `metadata` required because its Rust field is not optional; upstream
    // never requires it.
    if let Some(Value::Array(req)) = obj.get_mut("required") {
        req.retain(|f| f != "metadata");
        if req.is_empty() {
            obj.remove("required");
        }
    }
    for m in patch_meta::of_definition(name) {
        let target = if m.field.is_empty() {
            Some(&mut *obj)
        } else {
            obj.get_mut("properties")
                .and_then(|p| p.get_mut(m.field))
                .and_then(Value::as_object_mut)
        };
        let Some(target) = target else { continue };
        if let Some(lk) = (!m.list_map_keys.is_empty()).then_some(m.list_map_keys) {
            target.insert("x-kubernetes-list-map-keys".into(), json!(lk));
        }
        if let Some(lt) = m.list_type {
            target.insert("x-kubernetes-list-type".into(), lt.into());
        }
        if let Some(mt) = m.map_type {
            target.insert("x-kubernetes-map-type".into(), mt.into());
        }
        if let Some(k) = m.patch_merge_key {
            target.insert("x-kubernetes-patch-merge-key".into(), k.into());
        }
        if let Some(s) = m.patch_strategy {
            target.insert("x-kubernetes-patch-strategy".into(), s.into());
        }
    }
}

/// A group-version-kind as upstream writes it in `x-kubernetes-group-version-kind`.
pub(crate) fn gvk(group: &str, version: &str, kind: &str) -> Value {
    json!({"group": group, "kind": kind, "version": version})
}

/// Every group-version berth serves plus those of subresource kinds, in discovery order.
pub(crate) fn all_group_versions() -> Vec<(&'static str, &'static str)> {
    let mut gvs = registry::groups();
    for (g, v, _) in EXTRA_KINDS {
        if !gvs.contains(&(*g, *v)) {
            gvs.push((g, v));
        }
    }
    gvs
}

fn add_group_version_kinds(defs: &mut Map<String, Value>) {
    let mut tag = |name: String, value: Value| {
        if let Some(obj) = defs.get_mut(&name).and_then(Value::as_object_mut) {
            obj.insert("x-kubernetes-group-version-kind".into(), value);
        }
    };
    for r in RESOURCES {
        tag(
            r.definition_name(),
            json!([gvk(r.group, r.version, r.kind)]),
        );
        if r.verbs.contains(&"list") {
            let list_kind = format!("{}List", r.kind);
            tag(
                format!("{}List", r.definition_name()),
                json!([gvk(r.group, r.version, &list_kind)]),
            );
        }
    }
    for (g, v, k) in EXTRA_KINDS {
        tag(registry::definition_name(g, v, k), json!([gvk(g, v, k)]));
    }
    tag(format!("{META}.Status"), json!([gvk("", "v1", "Status")]));
    // Upstream registers DeleteOptions and WatchEvent in every group-version (and as the
    // internal version of each group).
    for kind in ["DeleteOptions", "WatchEvent"] {
        let mut all = Vec::new();
        for (g, v) in all_group_versions() {
            all.push(gvk(g, v, kind));
        }
        tag(format!("{META}.{kind}"), Value::Array(all));
    }
}
