//! REST paths and operations of every resource and subresource, in swagger 2.0 form, named as kube-apiserver names them.

use serde_json::{json, Map, Value};

use super::definitions::{gvk, META, V2_REF_PREFIX};
use crate::registry::{self, ResourceInfo, Subresource};

const PRODUCES: &[&str] = &[
    "application/json",
    "application/yaml",
    "application/vnd.kubernetes.protobuf",
];
const PRODUCES_WATCH: &[&str] = &[
    "application/json",
    "application/yaml",
    "application/vnd.kubernetes.protobuf",
    "application/json;stream=watch",
    "application/vnd.kubernetes.protobuf;stream=watch",
];
/// Media types a PATCH accepts.
pub const PATCH_TYPES: &[&str] = &[
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
];

/// `CoreV1`, `AppsV1`, `RbacAuthorizationV1`: the group-version part of operation ids.
pub fn operation_group_version(group: &str, version: &str) -> String {
    let group = if group.is_empty() { "core" } else { group };
    let mut out = String::new();
    for part in group.trim_end_matches(".k8s.io").split('.') {
        let mut chars = part.chars();
        if let Some(c) = chars.next() {
            out.extend(c.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    let mut v = version.chars();
    if let Some(c) = v.next() {
        out.extend(c.to_uppercase());
        out.push_str(v.as_str());
    }
    out
}

/// `core_v1`, `apps_v1`, `rbacAuthorization_v1`: the operation tag.
fn tag(group: &str, version: &str) -> String {
    let gv = operation_group_version(group, version);
    let g = &gv[..gv.len() - version.len()];
    let mut c = g.chars();
    let lower: String = c
        .next()
        .map(|f| f.to_lowercase().chain(c).collect())
        .unwrap_or_default();
    format!("{lower}_{version}")
}

fn reference(def: &str) -> Value {
    json!({ "$ref": format!("{V2_REF_PREFIX}{def}") })
}

fn query(name: &str, ty: &str, description: &str) -> Value {
    json!({"description": description, "in": "query", "name": name, "type": ty, "uniqueItems": true})
}

fn pretty() -> Value {
    query("pretty", "string", "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget).")
}

fn dry_run() -> Value {
    query("dryRun", "string", "When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed")
}

fn field_manager() -> Value {
    query("fieldManager", "string", "fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.")
}

fn field_validation() -> Value {
    query("fieldValidation", "string", "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. This is the default behavior prior to v1.23. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.")
}

fn body(def: &str) -> Value {
    json!({"in": "body", "name": "body", "required": true, "schema": reference(def)})
}

fn list_params() -> Vec<Value> {
    vec![
        query("allowWatchBookmarks", "boolean", "allowWatchBookmarks requests watch events with type \"BOOKMARK\". Servers that do not implement bookmarks may ignore this flag and bookmarks are sent at the server's discretion. Clients should not assume bookmarks are returned at any specific interval, nor may they assume the server will send any BOOKMARK event during a session. If this is not a watch, this field is ignored."),
        query("continue", "string", "The continue option should be set when retrieving more results from the server. Since this value is server defined, clients may only use the continue value from a previous query result with identical query parameters (except for the value of continue) and the server may reject a continue value it does not recognize."),
        query("fieldSelector", "string", "A selector to restrict the list of returned objects by their fields. Defaults to everything."),
        query("labelSelector", "string", "A selector to restrict the list of returned objects by their labels. Defaults to everything."),
        query("limit", "integer", "limit is a maximum number of responses to return for a list call. If more items exist, the server will set the `continue` field on the list metadata to a value that can be used with the same initial query to retrieve the next set of results."),
        query("resourceVersion", "string", "resourceVersion sets a constraint on what resource versions a request may be served from. See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset"),
        query("resourceVersionMatch", "string", "resourceVersionMatch determines how resourceVersion is applied to list calls. It is highly recommended that resourceVersionMatch be set for list calls where resourceVersion is set See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset"),
        query("sendInitialEvents", "boolean", "`sendInitialEvents=true` may be set together with `watch=true`. In that case, the watch stream will begin with synthetic events to produce the current state of objects in the collection. Once all such events have been sent, a synthetic \"Bookmark\" event  will be sent."),
        query("timeoutSeconds", "integer", "Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity."),
        query("watch", "boolean", "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion."),
    ]
}

fn delete_params() -> Vec<Value> {
    vec![
        body(&format!("{META}.DeleteOptions")),
        dry_run(),
        query("gracePeriodSeconds", "integer", "The duration in seconds before the object should be deleted. Value must be non-negative integer. The value zero indicates delete immediately. If this value is nil, the default grace period for the specified type will be used. Defaults to a per object value if not specified. zero means delete immediately."),
        query("ignoreStoreReadErrorWithClusterBreakingPotential", "boolean", "if set to true, it will trigger an unsafe deletion of the resource in case the normal deletion flow fails with a corrupt object error. A resource is considered corrupt if it can not be retrieved from the underlying storage successfully because of a) its data can not be transformed e.g. decryption failure, or b) it fails to decode into an object. NOTE: unsafe deletion ignores finalizer constraints, skips precondition checks, and removes the object from the storage. WARNING: This may potentially break the cluster if the workload associated with the resource being unsafe-deleted relies on normal deletion flow. Use only if you REALLY know what you are doing. The default value is false, and the user must opt in to enable it"),
        query("orphanDependents", "boolean", "Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7. Should the dependent objects be orphaned. If true/false, the \"orphan\" finalizer will be added to/removed from the object's finalizers list. Either this field or PropagationPolicy may be set, but not both."),
        query("propagationPolicy", "string", "Whether and how garbage collection will be performed. Either this field or OrphanDependents may be set, but not both. The default policy is decided by the existing finalizer set in the metadata.finalizers and the resource-specific default policy. Acceptable values are: 'Orphan' - orphan the dependents; 'Background' - allow the garbage collector to delete the dependents in the background; 'Foreground' - a cascading policy that deletes all dependents in the foreground."),
    ]
}

fn responses(codes: &[(&str, &str)], schema: Option<Value>) -> Value {
    let mut m = Map::new();
    for (code, description) in codes {
        let mut r = json!({"description": description});
        if let Some(s) = &schema {
            r["schema"] = s.clone();
        }
        m.insert((*code).into(), r);
    }
    m.insert("401".into(), json!({"description": "Unauthorized"}));
    Value::Object(m)
}

/// What an operation is about: its kind (for the extension and the body) and the words of
/// its description and id.
struct Target<'a> {
    group: &'a str,
    version: &'a str,
    /// `Pod`, `PodStatus`-less kind used for the GVK extension.
    gvk_kind: String,
    gvk_group: String,
    gvk_version: String,
    /// Definition of request/response bodies.
    def: String,
    /// `NamespacedPodStatus`: the part of the operation id after the verb and group-version.
    id_suffix: String,
    /// `Pod`, `status of the specified Pod`: used in descriptions.
    kind: &'a str,
}

#[allow(clippy::too_many_arguments)]
fn operation(
    t: &Target,
    verb: &str,
    action: &str,
    description: String,
    consumes: &[&str],
    produces: &[&str],
    parameters: Vec<Value>,
    responses: Value,
) -> Value {
    let mut op = json!({
        "consumes": consumes,
        "description": description,
        "operationId": format!("{verb}{}{}", operation_group_version(t.group, t.version), t.id_suffix),
        "produces": produces,
        "responses": responses,
        "schemes": ["https"],
        "tags": [tag(t.group, t.version)],
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": gvk(&t.gvk_group, &t.gvk_version, &t.gvk_kind),
    });
    if !parameters.is_empty() {
        op["parameters"] = Value::Array(parameters);
    }
    op
}

fn path_params(namespaced: bool, named: bool, kind: &str) -> Vec<Value> {
    let mut out = Vec::new();
    if named {
        out.push(json!({"description": format!("name of the {kind}"), "in": "path", "name": "name", "required": true, "type": "string", "uniqueItems": true}));
    }
    if namespaced {
        out.push(json!({"description": "object name and auth scope, such as for teams and projects", "in": "path", "name": "namespace", "required": true, "type": "string", "uniqueItems": true}));
    }
    out.push(pretty());
    out
}

/// Operations on an object path (`.../pods/{name}` or a subresource of it) for the verbs.
fn object_ops(t: &Target, verbs: &[&str], what: &str) -> Map<String, Value> {
    let def = reference(&t.def);
    let mut item = Map::new();
    if verbs.contains(&"get") {
        item.insert(
            "get".into(),
            operation(
                t,
                "read",
                "get",
                format!("read {what}"),
                &["*/*"],
                PRODUCES,
                vec![],
                responses(&[("200", "OK")], Some(def.clone())),
            ),
        );
    }
    if verbs.contains(&"update") {
        item.insert(
            "put".into(),
            operation(
                t,
                "replace",
                "put",
                format!("replace {what}"),
                &["*/*"],
                PRODUCES,
                vec![body(&t.def), dry_run(), field_manager(), field_validation()],
                responses(&[("200", "OK"), ("201", "Created")], Some(def.clone())),
            ),
        );
    }
    if verbs.contains(&"patch") {
        item.insert(
            "patch".into(),
            operation(
                t,
                "patch",
                "patch",
                format!("partially update {what}"),
                PATCH_TYPES,
                PRODUCES,
                vec![
                    body(&format!("{META}.Patch")),
                    dry_run(),
                    query("fieldManager", "string", "fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint. This field is required for apply requests (application/apply-patch) but optional for non-apply patch types (JsonPatch, MergePatch, StrategicMergePatch)."),
                    field_validation(),
                    query("force", "boolean", "Force is going to \"force\" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests."),
                ],
                responses(&[("200", "OK"), ("201", "Created")], Some(def.clone())),
            ),
        );
    }
    if verbs.contains(&"delete") {
        item.insert(
            "delete".into(),
            operation(
                t,
                "delete",
                "delete",
                format!("delete {what}"),
                &["*/*"],
                PRODUCES,
                delete_params(),
                responses(&[("200", "OK"), ("202", "Accepted")], Some(def)),
            ),
        );
    }
    item
}

/// All paths of one group-version, swagger 2.0 path items keyed by path.
pub fn group_version_paths(group: &str, version: &str) -> Map<String, Value> {
    let base = if group.is_empty() {
        format!("/api/{version}")
    } else {
        format!("/apis/{group}/{version}")
    };
    let mut paths = Map::new();
    let gv = operation_group_version(group, version);
    paths.insert(
        format!("{base}/"),
        json!({"get": {
            "consumes": PRODUCES,
            "description": "get available resources",
            "operationId": format!("get{gv}APIResources"),
            "produces": PRODUCES,
            "responses": responses(&[("200", "OK")], Some(reference(&format!("{META}.APIResourceList")))),
            "schemes": ["https"],
            "tags": [tag(group, version)],
        }}),
    );
    for r in registry::resources_of(group, version) {
        resource_paths(&base, r, &mut paths);
    }
    paths
}

fn resource_paths(base: &str, r: &ResourceInfo, paths: &mut Map<String, Value>) {
    let ns = r.namespaced;
    let scope = if ns { "Namespaced" } else { "" };
    let coll = if ns {
        format!("{base}/namespaces/{{namespace}}/{}", r.resource)
    } else {
        format!("{base}/{}", r.resource)
    };
    let target = |suffix: String| Target {
        group: r.group,
        version: r.version,
        gvk_kind: r.kind.to_string(),
        gvk_group: r.group.to_string(),
        gvk_version: r.version.to_string(),
        def: r.definition_name(),
        id_suffix: suffix,
        kind: r.kind,
    };
    let has = |v: &str| r.verbs.contains(&v);
    let list_def = reference(&format!("{}List", r.definition_name()));

    // Collection.
    let t = target(format!("{scope}{}", r.kind));
    let mut item = Map::new();
    if has("list") {
        let params = list_params();
        item.insert(
            "get".into(),
            operation(
                &t,
                "list",
                "list",
                format!("list or watch objects of kind {}", r.kind),
                &["*/*"],
                PRODUCES_WATCH,
                params,
                responses(&[("200", "OK")], Some(list_def.clone())),
            ),
        );
    }
    if has("create") {
        item.insert(
            "post".into(),
            operation(
                &t,
                "create",
                "post",
                format!("create {}", indefinite(r.kind)),
                &["*/*"],
                PRODUCES,
                vec![body(&t.def), dry_run(), field_manager(), field_validation()],
                responses(
                    &[("200", "OK"), ("201", "Created"), ("202", "Accepted")],
                    Some(reference(&t.def)),
                ),
            ),
        );
    }
    if has("deletecollection") {
        let mut params = delete_params();
        params.extend(list_params());
        params.retain(|p| p["name"] != "watch" && p["name"] != "allowWatchBookmarks");
        item.insert(
            "delete".into(),
            operation(
                &t,
                "deletecollection",
                "deletecollection",
                format!("delete collection of {}", r.kind),
                &["*/*"],
                PRODUCES,
                params,
                responses(&[("200", "OK")], Some(reference(&format!("{META}.Status")))),
            ),
        );
    }
    if !item.is_empty() {
        item.insert(
            "parameters".into(),
            Value::Array(path_params(ns, false, r.kind)),
        );
        paths.insert(coll.clone(), Value::Object(item));
    }
    if !r.is_stored() {
        return;
    }

    // All namespaces.
    if ns && has("list") {
        let t = target(format!("{}ForAllNamespaces", r.kind));
        let mut item = Map::new();
        item.insert(
            "get".into(),
            operation(
                &t,
                "list",
                "list",
                format!("list or watch objects of kind {}", r.kind),
                &["*/*"],
                PRODUCES_WATCH,
                vec![],
                responses(&[("200", "OK")], Some(list_def.clone())),
            ),
        );
        let mut params = list_params();
        params.insert(5, pretty());
        item.insert("parameters".into(), Value::Array(params));
        paths.insert(format!("{base}/{}", r.resource), Value::Object(item));
    }

    // Object.
    let t = target(format!("{scope}{}", r.kind));
    let mut item = object_ops(&t, r.verbs, &format!("the specified {}", r.kind));
    item.insert(
        "parameters".into(),
        Value::Array(path_params(ns, true, r.kind)),
    );
    paths.insert(format!("{coll}/{{name}}"), Value::Object(item));

    // Watch (deprecated upstream, still published).
    if has("watch") {
        let watch_def = reference(&format!("{META}.WatchEvent"));
        let watch_prefix = if ns {
            format!("{base}/watch/namespaces/{{namespace}}/{}", r.resource)
        } else {
            format!("{base}/watch/{}", r.resource)
        };
        let mut add_watch =
            |path: String, suffix: String, action: &str, named: bool, all_ns: bool| {
                let t = target(suffix);
                let mut item = Map::new();
                item.insert(
                    "get".into(),
                    operation(
                        &t,
                        "watch",
                        action,
                        format!("watch changes to an object of kind {}", r.kind),
                        &["*/*"],
                        PRODUCES_WATCH,
                        vec![],
                        responses(&[("200", "OK")], Some(watch_def.clone())),
                    ),
                );
                let mut params = list_params();
                params.extend(path_params(ns && !all_ns, named, r.kind));
                item.insert("parameters".into(), Value::Array(params));
                paths.insert(path, Value::Object(item));
            };
        add_watch(
            watch_prefix.clone(),
            format!("{scope}{}List", r.kind),
            "watchlist",
            false,
            false,
        );
        add_watch(
            format!("{watch_prefix}/{{name}}"),
            format!("{scope}{}", r.kind),
            "watch",
            true,
            false,
        );
        if ns {
            add_watch(
                format!("{base}/watch/{}", r.resource),
                format!("{}ListForAllNamespaces", r.kind),
                "watchlist",
                false,
                true,
            );
        }
    }

    for s in r.subresources {
        subresource_paths(r, s, &coll, paths);
    }
}

fn indefinite(kind: &str) -> String {
    let vowel = kind.chars().next().is_some_and(|c| "AEIOU".contains(c));
    if vowel {
        format!("an {kind}")
    } else {
        format!("a {kind}")
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn subresource_paths(
    r: &ResourceInfo,
    s: &Subresource,
    coll: &str,
    paths: &mut Map<String, Value>,
) {
    let ns = r.namespaced;
    let scope = if ns { "Namespaced" } else { "" };
    let (gvk_group, gvk_version, gvk_kind) = if s.kind.is_empty() {
        (r.group, r.version, r.kind)
    } else if s.version.is_empty() {
        (r.group, r.version, s.kind)
    } else {
        (s.group, s.version, s.kind)
    };
    let def = if s.kind.is_empty() {
        r.definition_name()
    } else {
        registry::definition_name(gvk_group, gvk_version, gvk_kind)
    };
    let name = match s.name {
        "ephemeralcontainers" => "EphemeralContainers".to_string(),
        "portforward" => "PortForward".to_string(),
        other => capitalize(other),
    };
    let path = format!("{coll}/{{name}}/{}", s.name);
    let mut item = Map::new();
    let connect = matches!(s.name, "exec" | "attach" | "portforward" | "proxy");
    if connect {
        for (verb, method) in [
            ("get", "get"),
            ("create", "post"),
            ("update", "put"),
            ("delete", "delete"),
            ("patch", "patch"),
        ] {
            if !s.verbs.contains(&verb) {
                continue;
            }
            let m = capitalize(method);
            let t = Target {
                group: r.group,
                version: r.version,
                gvk_kind: gvk_kind.to_string(),
                gvk_group: gvk_group.to_string(),
                gvk_version: gvk_version.to_string(),
                def: def.clone(),
                id_suffix: format!("{m}{scope}{}{name}", r.kind),
                kind: r.kind,
            };
            item.insert(
                method.into(),
                operation(
                    &t,
                    "connect",
                    "connect",
                    format!(
                        "connect {} requests to {} of {}",
                        method.to_uppercase(),
                        s.name,
                        r.kind
                    ),
                    &["*/*"],
                    &["*/*"],
                    vec![],
                    responses(&[("200", "OK")], Some(json!({"type": "string"}))),
                ),
            );
        }
    } else if s.name == "log" {
        let t = Target {
            group: r.group,
            version: r.version,
            gvk_kind: r.kind.to_string(),
            gvk_group: r.group.to_string(),
            gvk_version: r.version.to_string(),
            def: def.clone(),
            id_suffix: format!("{scope}{}Log", r.kind),
            kind: r.kind,
        };
        let params = [
            "container",
            "follow",
            "insecureSkipTLSVerifyBackend",
            "limitBytes",
            "previous",
            "sinceSeconds",
            "stream",
            "tailLines",
            "timestamps",
        ]
        .iter()
        .map(|p| {
            let ty = match *p {
                "follow" | "insecureSkipTLSVerifyBackend" | "previous" | "timestamps" => "boolean",
                "limitBytes" | "sinceSeconds" | "tailLines" => "integer",
                _ => "string",
            };
            query(p, ty, &format!("{p} of the log request"))
        })
        .collect();
        item.insert(
            "get".into(),
            operation(
                &t,
                "read",
                "get",
                format!("read log of the specified {}", r.kind),
                &["*/*"],
                &[
                    "text/plain",
                    "application/json",
                    "application/yaml",
                    "application/vnd.kubernetes.protobuf",
                ],
                params,
                responses(&[("200", "OK")], Some(json!({"type": "string"}))),
            ),
        );
    } else if s.verbs == ["create"] {
        let t = Target {
            group: r.group,
            version: r.version,
            gvk_kind: gvk_kind.to_string(),
            gvk_group: gvk_group.to_string(),
            gvk_version: gvk_version.to_string(),
            def: def.clone(),
            id_suffix: format!("{scope}{}{name}", r.kind),
            kind: r.kind,
        };
        item.insert(
            "post".into(),
            operation(
                &t,
                "create",
                "post",
                format!("create {} of {}", s.name, indefinite(r.kind)),
                &["*/*"],
                PRODUCES,
                vec![body(&def), dry_run(), field_manager(), field_validation()],
                responses(
                    &[("200", "OK"), ("201", "Created"), ("202", "Accepted")],
                    Some(reference(&def)),
                ),
            ),
        );
    } else {
        let t = Target {
            group: r.group,
            version: r.version,
            gvk_kind: gvk_kind.to_string(),
            gvk_group: gvk_group.to_string(),
            gvk_version: gvk_version.to_string(),
            def: def.clone(),
            id_suffix: format!("{scope}{}{name}", r.kind),
            kind: r.kind,
        };
        item = object_ops(
            &t,
            s.verbs,
            &format!("{} of the specified {}", s.name, t.kind),
        );
    }
    if item.is_empty() {
        return;
    }
    let mut params = path_params(ns, true, gvk_kind);
    if connect {
        params.retain(|p| p["name"] != "pretty");
    }
    item.insert("parameters".into(), Value::Array(params));
    paths.insert(path, Value::Object(item));
}
