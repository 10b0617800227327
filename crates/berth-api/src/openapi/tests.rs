//! Tests of the generated OpenAPI documents against what kubectl looks for.

use serde_json::{json, Value};

use super::*;

fn v2_doc() -> Value {
    match serde_json::from_slice(v2()) {
        Ok(v) => v,
        Err(e) => panic!("v2 is not JSON: {e}"),
    }
}

fn v3_doc(group: &str, version: &str) -> Value {
    let Some(raw) = v3(group, version) else {
        panic!("no v3 document for {group}/{version}")
    };
    match serde_json::from_slice(raw) {
        Ok(v) => v,
        Err(e) => panic!("v3 is not JSON: {e}"),
    }
}

fn has_query_param(op: &Value, name: &str) -> bool {
    op["parameters"]
        .as_array()
        .is_some_and(|ps| ps.iter().any(|p| p["name"] == name && p["in"] == "query"))
}

#[test]
fn deployment_definitions_match_upstream() {
    let doc = v2_doc();
    let defs = &doc["definitions"];
    assert_eq!(
        defs["io.k8s.api.apps.v1.Deployment"]["x-kubernetes-group-version-kind"],
        json!([{"group": "apps", "kind": "Deployment", "version": "v1"}])
    );
    assert_eq!(
        defs["io.k8s.api.apps.v1.DeploymentList"]["x-kubernetes-group-version-kind"],
        json!([{"group": "apps", "kind": "DeploymentList", "version": "v1"}])
    );
    assert!(defs["io.k8s.api.apps.v1.Deployment"]
        .get("required")
        .is_none());
    let spec = &defs["io.k8s.api.apps.v1.DeploymentSpec"]["properties"];
    assert_eq!(spec["replicas"]["type"], "integer");
    assert_eq!(
        spec["strategy"]["$ref"],
        "#/definitions/io.k8s.api.apps.v1.DeploymentStrategy"
    );
    assert_eq!(
        spec["strategy"]["x-kubernetes-patch-strategy"],
        "retainKeys"
    );
    let containers = &defs["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
    assert_eq!(containers["x-kubernetes-patch-merge-key"], "name");
    assert_eq!(containers["x-kubernetes-patch-strategy"], "merge");
    assert_eq!(containers["x-kubernetes-list-map-keys"], json!(["name"]));
    assert_eq!(
        defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["format"],
        "int-or-string"
    );
    assert_eq!(
        defs["io.k8s.api.apps.v1.RollingUpdateDeployment"]["properties"]["maxSurge"]["$ref"],
        "#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString"
    );
    assert_eq!(
        defs["io.k8s.api.core.v1.LocalObjectReference"]["x-kubernetes-map-type"],
        "atomic"
    );
    assert!(definition("io.k8s.api.core.v1.Node").is_some());
}

#[test]
fn every_registry_kind_has_a_tagged_definition() {
    for r in registry::RESOURCES {
        let name = r.definition_name();
        let Some(def) = definition(&name) else {
            panic!("no definition {name}")
        };
        let gvks = def["x-kubernetes-group-version-kind"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            gvks.iter()
                .any(|g| g["kind"] == r.kind && g["group"] == r.group && g["version"] == r.version),
            "{name} lacks its group-version-kind"
        );
        if r.verbs.contains(&"list") {
            assert!(definition(&format!("{name}List")).is_some(), "{name}List");
        }
    }
    let delete_options = definition("io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions");
    let gvks = delete_options
        .and_then(|d| d["x-kubernetes-group-version-kind"].as_array())
        .map(Vec::len);
    assert!(gvks.unwrap_or(0) >= registry::groups().len());
}

#[test]
fn patch_metadata_table_entries_land_in_existing_definitions() {
    // Every table entry for a definition we publish must name a real field.
    for m in patch_meta::FIELDS {
        let Some(def) = definition(m.definition) else {
            continue;
        };
        if m.field.is_empty() {
            continue;
        }
        assert!(
            def["properties"].get(m.field).is_some(),
            "{}.{} is in the patch table but not in the schema",
            m.definition,
            m.field
        );
    }
}

#[test]
fn paths_and_operations_are_named_as_upstream() {
    let doc = v2_doc();
    let paths = &doc["paths"];
    let item = &paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"];
    assert_eq!(
        item["patch"]["operationId"],
        "patchAppsV1NamespacedDeployment"
    );
    assert!(has_query_param(&item["patch"], "fieldValidation"));
    assert!(has_query_param(&item["patch"], "force"));
    assert_eq!(item["patch"]["consumes"], json!(paths::PATCH_TYPES));
    assert_eq!(
        item["patch"]["x-kubernetes-group-version-kind"],
        json!({"group": "apps", "kind": "Deployment", "version": "v1"})
    );
    let expect = [
        (
            "/api/v1/namespaces/{namespace}/pods",
            "get",
            "listCoreV1NamespacedPod",
        ),
        (
            "/api/v1/namespaces/{namespace}/pods",
            "post",
            "createCoreV1NamespacedPod",
        ),
        (
            "/api/v1/namespaces/{namespace}/pods/{name}/status",
            "patch",
            "patchCoreV1NamespacedPodStatus",
        ),
        (
            "/api/v1/namespaces/{namespace}/pods/{name}/log",
            "get",
            "readCoreV1NamespacedPodLog",
        ),
        (
            "/api/v1/namespaces/{namespace}/pods/{name}/exec",
            "post",
            "connectCoreV1PostNamespacedPodExec",
        ),
        (
            "/api/v1/namespaces/{namespace}/pods/{name}/eviction",
            "post",
            "createCoreV1NamespacedPodEviction",
        ),
        ("/api/v1/nodes/{name}", "get", "readCoreV1Node"),
        ("/api/v1/pods", "get", "listCoreV1PodForAllNamespaces"),
        (
            "/apis/apps/v1/deployments",
            "get",
            "listAppsV1DeploymentForAllNamespaces",
        ),
        (
            "/apis/apps/v1/namespaces/{namespace}/deployments",
            "post",
            "createAppsV1NamespacedDeployment",
        ),
        (
            "/apis/apps/v1/namespaces/{namespace}/deployments",
            "delete",
            "deletecollectionAppsV1NamespacedDeployment",
        ),
        (
            "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale",
            "patch",
            "patchAppsV1NamespacedDeploymentScale",
        ),
        (
            "/apis/apps/v1/watch/namespaces/{namespace}/deployments",
            "get",
            "watchAppsV1NamespacedDeploymentList",
        ),
        (
            "/apis/rbac.authorization.k8s.io/v1/clusterroles",
            "get",
            "listRbacAuthorizationV1ClusterRole",
        ),
        (
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            "post",
            "createAuthorizationV1SelfSubjectAccessReview",
        ),
        (
            "/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token",
            "post",
            "createCoreV1NamespacedServiceAccountToken",
        ),
    ];
    for (path, method, id) in expect {
        assert_eq!(paths[path][method]["operationId"], id, "{method} {path}");
    }
    let scale = &paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"]["get"];
    assert_eq!(
        scale["x-kubernetes-group-version-kind"],
        json!({"group": "autoscaling", "kind": "Scale", "version": "v1"})
    );
    assert_eq!(
        scale["responses"]["200"]["schema"]["$ref"],
        "#/definitions/io.k8s.api.autoscaling.v1.Scale"
    );
    let list = &paths["/api/v1/namespaces/{namespace}/pods"]["get"];
    for p in [
        "labelSelector",
        "fieldSelector",
        "limit",
        "continue",
        "watch",
        "resourceVersion",
        "timeoutSeconds",
        "sendInitialEvents",
    ] {
        assert!(has_query_param(list, p), "list lacks {p}");
    }
}

#[test]
fn v2_references_resolve() {
    let doc = v2_doc();
    let mut refs = std::collections::BTreeSet::new();
    collect(&doc, &mut refs);
    for r in refs {
        assert!(definition(&r).is_some(), "dangling $ref {r}");
    }
}

fn collect(v: &Value, out: &mut std::collections::BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            if let Some(r) = m.get("$ref").and_then(Value::as_str) {
                out.insert(ref_name(r).unwrap_or(r).to_string());
            }
            m.values().for_each(|c| collect(c, out));
        }
        Value::Array(a) => a.iter().for_each(|c| collect(c, out)),
        _ => {}
    }
}

#[test]
fn v3_documents_are_self_contained_and_indexed() {
    let index = v3_index();
    for (g, v) in registry::groups() {
        let doc = v3_doc(g, v);
        assert_eq!(doc["openapi"], "3.0.0");
        let schemas = &doc["components"]["schemas"];
        let mut refs = std::collections::BTreeSet::new();
        collect(&doc, &mut refs);
        assert!(!refs.is_empty());
        for r in &refs {
            assert!(schemas.get(r).is_some(), "{g}/{v}: dangling $ref {r}");
        }
        let key = if g.is_empty() {
            format!("api/{v}")
        } else {
            format!("apis/{g}/{v}")
        };
        let hash = v3_hash(g, v).unwrap_or_default();
        assert_eq!(hash.len(), 128);
        assert_eq!(
            index["paths"][&key]["serverRelativeURL"],
            format!("/openapi/v3/{key}?hash={hash}")
        );
    }
    assert!(v3("nope", "v1").is_none());
}

#[test]
fn v3_apps_has_field_validation_on_patch_and_kinds_in_schemas() {
    let doc = v3_doc("apps", "v1");
    let patch = &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
    assert!(has_query_param(patch, "fieldValidation"));
    assert_eq!(
        patch["x-kubernetes-group-version-kind"]["kind"],
        "Deployment"
    );
    assert!(patch["requestBody"]["content"]
        .get("application/strategic-merge-patch+json")
        .is_some());
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["io.k8s.api.apps.v1.Deployment"]["x-kubernetes-group-version-kind"][0]["kind"],
        "Deployment"
    );
    assert_eq!(
        schemas["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["strategy"]["allOf"][0]["$ref"],
        "#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy"
    );
    let ios = &schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"];
    assert_eq!(ios["format"], "int-or-string");
    assert_eq!(ios["x-kubernetes-int-or-string"], true);
    // The maxSurge field kubectl explain walks to.
    let max_surge =
        &schemas["io.k8s.api.apps.v1.RollingUpdateDeployment"]["properties"]["maxSurge"];
    assert!(max_surge["description"]
        .as_str()
        .is_some_and(|d| !d.is_empty()));
}

/// `cargo test --release -p berth-api --lib openapi::tests::generation_time -- --ignored --nocapture`
#[test]
#[ignore]
fn generation_time() {
    let t = std::time::Instant::now();
    let n = definitions().len();
    let d = t.elapsed();
    let v2_len = v2().len();
    let d2 = t.elapsed();
    let _ = v3_index();
    let d3 = t.elapsed();
    let pb = v2_protobuf().len();
    let d4 = t.elapsed();
    eprintln!("definitions: {n} in {d:?}; v2: {v2_len} bytes at {d2:?}; all v3 at {d3:?}; v2 protobuf {pb} bytes at {d4:?}");
}
