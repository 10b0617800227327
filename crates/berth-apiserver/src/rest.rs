//! REST handlers for stored resources: get, list, create, update, patch, delete, deletecollection.
//!
//! The write path is: decode → field validation → defaults → admission → validation →
//! store transaction (compare revision); each step is a function of its own below or in
//! the module it names.

use std::collections::HashMap;

use berth_api::registry::ResourceInfo;
use berth_store::Revision;
use serde_json::{json, Map, Value};

use crate::admission;
use crate::request::RequestInfo;
use crate::response::{Rendering, Reply};
use crate::state::{State, User};
use crate::status::{qualified, ApiError, ApiResult};
use crate::storage::{self, Written};

/// Largest request body accepted (kube-apiserver's limit).
pub const MAX_BODY: usize = 3 * 1024 * 1024;

/// Everything a handler needs to know about one request.
pub struct Ctx<'a> {
    pub state: &'a State,
    pub info: &'a RequestInfo,
    pub r: &'static ResourceInfo,
    pub query: &'a HashMap<String, String>,
    pub user: &'a User,
    pub rendering: Rendering,
    /// Field manager of writes: `fieldManager`, else derived from the User-Agent.
    pub field_manager: String,
}

impl Ctx<'_> {
    fn q(&self, k: &str) -> Option<&str> {
        self.query
            .get(k)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }
    fn dry_run(&self) -> bool {
        self.q("dryRun") == Some("All")
    }
    fn ns(&self) -> &str {
        if self.r.namespaced {
            &self.info.namespace
        } else {
            ""
        }
    }
    fn not_found(&self, name: &str) -> ApiError {
        ApiError::not_found(self.r.resource, self.r.group, name)
    }
}

/// Kinds whose metadata.generation tracks spec changes.
fn tracks_generation(kind: &str) -> bool {
    matches!(
        kind,
        "Deployment"
            | "ReplicaSet"
            | "DaemonSet"
            | "StatefulSet"
            | "Job"
            | "CronJob"
            | "ReplicationController"
            | "PodDisruptionBudget"
            | "NetworkPolicy"
            | "HorizontalPodAutoscaler"
            | "Ingress"
            | "PriorityClass"
    )
}

fn has_status(r: &ResourceInfo) -> bool {
    r.subresource("status").is_some()
}

pub fn now_rfc3339() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A random RFC 4122 v4 UUID.
pub fn new_uid() -> String {
    let mut b = [0u8; 16];
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Five random lower-case alphanumerics, as the apiserver's name generator uses.
pub fn random_suffix(n: usize) -> String {
    const ALPHA: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut b = vec![0u8; n];
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b);
    b.iter()
        .map(|x| ALPHA[(*x as usize) % ALPHA.len()] as char)
        .collect()
}

/// Decodes a JSON request body into an object.
pub fn decode_body(body: &[u8]) -> ApiResult<Value> {
    if body.len() > MAX_BODY {
        return Err(ApiError::too_large());
    }
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ApiError::bad_request("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml"));
    }
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("the object provided is unrecognized ({e})")))?;
    if !v.is_object() {
        return Err(ApiError::bad_request(
            "the object provided is not a JSON object",
        ));
    }
    Ok(v)
}

/// Field validation directive of the request (`fieldValidation`), Strict by default for
/// kubectl ≥ 1.27 which always sends it; the server default is Warn.
fn field_validation(ctx: &Ctx) -> ApiResult<&'static str> {
    match ctx.q("fieldValidation") {
        None | Some("Warn") => Ok("Warn"),
        Some("Strict") => Ok("Strict"),
        Some("Ignore") => Ok("Ignore"),
        Some(other) => Err(ApiError::bad_request(format!(
            "fieldValidation parameter unsupported: {other}. Supported values are: Ignore, Warn, Strict"
        ))),
    }
}

/// Checks apiVersion/kind and unknown fields of a decoded body; returns warnings.
fn check_body(
    ctx: &Ctx,
    obj: &Value,
    kind: &str,
    api_version: &str,
    definition: &str,
) -> ApiResult<Vec<String>> {
    let got_kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    let got_av = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    // a missing kind or apiVersion is defaulted from the URL, as kube-apiserver does
    if !got_av.is_empty() && got_av != api_version {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({got_av}) does not match the expected API version ({api_version})"
        )));
    }
    if !got_kind.is_empty() && got_kind != kind {
        return Err(ApiError::bad_request(format!(
            "the kind in the data ({got_kind}) does not match the expected kind ({kind})"
        )));
    }
    if let Some(e) = berth_api::fieldvalidation::type_error(obj, definition) {
        let version = api_version.rsplit('/').next().unwrap_or(api_version);
        return Err(ApiError::bad_request(format!(
            "{kind} in version \"{version}\" cannot be handled as a {kind}: {e}"
        )));
    }
    let mode = field_validation(ctx)?;
    if mode == "Ignore" {
        return Ok(vec![]);
    }
    let unknown = berth_api::fieldvalidation::unknown_fields(obj, definition);
    if unknown.is_empty() {
        return Ok(vec![]);
    }
    // already worded as upstream: `unknown field "spec.replicas"`
    if mode == "Strict" {
        let version = api_version.rsplit('/').next().unwrap_or(api_version);
        return Err(ApiError::bad_request(format!(
            "{kind} in version \"{version}\" cannot be handled as a {kind}: strict decoding error: {}",
            unknown.join(", ")
        )));
    }
    Ok(unknown)
}

fn meta(obj: &Value) -> Option<&Map<String, Value>> {
    obj.get("metadata").and_then(Value::as_object)
}

fn meta_mut(obj: &mut Value) -> &mut Map<String, Value> {
    if !obj.get("metadata").is_some_and(Value::is_object) {
        obj["metadata"] = json!({});
    }
    obj["metadata"]
        .as_object_mut()
        .expect("metadata is an object")
}

fn meta_str<'v>(obj: &'v Value, k: &str) -> &'v str {
    meta(obj)
        .and_then(|m| m.get(k))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// The identity of a write, for managedFields.
fn writer<'c>(
    ctx: &'c Ctx,
    time: &'c str,
    api_version: &'c str,
) -> berth_api::managedfields::Writer<'c> {
    berth_api::managedfields::Writer {
        manager: &ctx.field_manager,
        api_version,
        subresource: ctx.info.subresource.as_str(),
        time,
    }
}

fn validate(ctx: &Ctx, obj: &Value, old: Option<&Value>) -> ApiResult<()> {
    let errs = match old {
        None => berth_api::validation::validate(ctx.r.kind, obj),
        Some(o) => berth_api::validation::validate_update(ctx.r.kind, obj, o),
    };
    if errs.is_empty() {
        return Ok(());
    }
    let name = meta_str(obj, "name");
    let msg = berth_api::validation::invalid_message(ctx.r.kind, ctx.r.group, name, &errs);
    let causes = errs
        .iter()
        .map(|e| json!({"reason": e.kind.reason(), "message": e.body(), "field": e.field}))
        .collect();
    Err(ApiError::invalid(
        ctx.r.kind,
        ctx.r.group,
        name,
        msg,
        causes,
    ))
}

// ---------------------------------------------------------------- get / list

/// GET of one object.
pub async fn get(ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let obj = ctx
        .state
        .storage
        .get(ctx.r, ctx.ns(), &ctx.info.name)
        .await?
        .ok_or_else(|| ctx.not_found(&ctx.info.name))?;
    Ok(Reply::ok(render_one(ctx, obj)))
}

fn render_one(ctx: &Ctx, obj: Value) -> Value {
    match ctx.rendering {
        Rendering::Object => obj,
        Rendering::Table => {
            let lm = json!({"resourceVersion": meta_str(&obj, "resourceVersion")});
            berth_api::table::table(
                ctx.r.kind,
                &[obj],
                include_object(ctx),
                chrono::Utc::now(),
                lm,
            )
        }
        Rendering::PartialMetadata => partial(&obj),
    }
}

fn include_object(ctx: &Ctx) -> berth_api::table::IncludeObject {
    match ctx.q("includeObject") {
        Some("None") => berth_api::table::IncludeObject::None,
        Some("Object") => berth_api::table::IncludeObject::Object,
        _ => berth_api::table::IncludeObject::Metadata,
    }
}

fn partial(obj: &Value) -> Value {
    json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj.get("metadata").cloned().unwrap_or(json!({}))})
}

/// Parsed label and field selectors of a list or watch.
pub struct Filter {
    labels: Option<berth_api::selectors::LabelSelector>,
    fields: Option<berth_api::selectors::FieldSelector>,
    kind: &'static str,
}

impl Filter {
    pub fn from_query(ctx: &Ctx) -> ApiResult<Filter> {
        let labels = match ctx.q("labelSelector") {
            Some(s) => Some(
                berth_api::selectors::LabelSelector::parse(s)
                    .map_err(|e| ApiError::bad_request(e.to_string()))?,
            ),
            None => None,
        };
        let fields = match ctx.q("fieldSelector") {
            Some(s) => {
                let f = berth_api::selectors::FieldSelector::parse(s)
                    .and_then(|f| f.convert(ctx.r.group, ctx.r.kind))
                    .map_err(|e| ApiError::bad_request(e.to_string()))?;
                Some(f)
            }
            None => None,
        };
        Ok(Filter {
            labels,
            fields,
            kind: ctx.r.kind,
        })
    }

    pub fn is_everything(&self) -> bool {
        self.labels.as_ref().is_none_or(|l| l.is_empty()) && self.fields.is_none()
    }

    pub fn matches(&self, obj: &Value) -> bool {
        if let Some(l) = &self.labels {
            let empty = Map::new();
            let labels = obj
                .pointer("/metadata/labels")
                .and_then(Value::as_object)
                .unwrap_or(&empty);
            if !l.matches(labels) {
                return false;
            }
        }
        if let Some(f) = &self.fields {
            if !f.matches_object(self.kind, obj) {
                return false;
            }
        }
        true
    }
}

/// Continue tokens, in kube-apiserver's format: base64 of `{"v","rv","start"}`.
fn encode_continue(rv: Revision, start: &str) -> String {
    use base64::Engine;
    let t = json!({"v": "meta.k8s.io/v1", "rv": rv, "start": start});
    base64::engine::general_purpose::STANDARD.encode(t.to_string())
}

fn decode_continue(token: &str) -> ApiResult<(Revision, String)> {
    use base64::Engine;
    let bad = || ApiError::bad_request("continue key is not valid: invalid continue token");
    let raw = base64::engine::general_purpose::STANDARD
        .decode(token)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(token))
        .map_err(|_| bad())?;
    let v: Value = serde_json::from_slice(&raw).map_err(|_| bad())?;
    let rv = v.get("rv").and_then(Value::as_i64).ok_or_else(bad)?;
    let start = v.get("start").and_then(Value::as_str).ok_or_else(bad)?;
    if start.contains("..") || start.starts_with('/') {
        return Err(bad());
    }
    Ok((rv, start.to_string()))
}

/// A list of objects as a `<Kind>List` (or rendered).
pub async fn list(ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let filter = Filter::from_query(ctx)?;
    let limit: usize = match ctx.q("limit") {
        Some(l) => l
            .parse()
            .map_err(|_| ApiError::bad_request(format!("invalid limit: {l}")))?,
        None => 0,
    };
    let prefix = storage::prefix(ctx.r, ctx.ns());
    let (mut rev, mut start) = (0, String::new());
    if let Some(c) = ctx.q("continue") {
        let (r, s) = decode_continue(c)?;
        rev = r;
        start = format!("{prefix}{s}");
    } else if let Some(rv) = ctx.q("resourceVersion") {
        let want = storage::parse_rv(rv)?;
        if ctx.q("resourceVersionMatch") == Some("Exact") {
            rev = want;
        } else if want > 0 {
            let (cur, _) = ctx.state.storage.store.revisions().await?;
            if want > cur {
                return Err(ApiError::timeout(format!(
                    "Too large resource version: {want}, current: {cur}"
                )));
            }
        }
    }
    // Unfiltered lists of objects as stored are assembled from the stored bytes.
    let raw = filter.is_everything()
        && ctx.rendering == Rendering::Object
        && std::ptr::eq(crate::conversion::storage_resource(ctx.r), ctx.r);
    let mut items = Vec::new();
    let mut raw_items: Vec<Vec<u8>> = Vec::new();
    let mut count = 0usize;
    let mut next_continue = None;
    let mut read_rev;
    loop {
        let page = if limit == 0 {
            0
        } else {
            (limit - count).max(limit.min(500))
        };
        let resp = match ctx
            .state
            .storage
            .store
            .list(&prefix, &start, page, rev)
            .await
        {
            Err(berth_store::StoreError::Compacted { .. }) if ctx.q("continue").is_some() => {
                return Err(ApiError::gone("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list."));
            }
            other => other?,
        };
        read_rev = resp.revision;
        rev = resp.revision;
        let mut last_key = None;
        for kv in &resp.kvs {
            last_key = Some(kv.key.clone());
            if raw {
                let bytes = match storage::with_resource_version(&kv.value, kv.mod_revision) {
                    Some(b) => b,
                    None => serde_json::to_vec(&storage::decode_as(ctx.r, kv)?)
                        .map_err(|e| ApiError::internal(e.to_string()))?,
                };
                raw_items.push(bytes);
                count += 1;
            } else {
                let obj = storage::decode_as(ctx.r, kv)?;
                if !filter.matches(&obj) {
                    continue;
                }
                items.push(obj);
                count += 1;
            }
            if limit > 0 && count >= limit {
                break;
            }
        }
        let cut_in_page =
            limit > 0 && count >= limit && last_key.as_ref() != resp.kvs.last().map(|k| &k.key);
        if limit > 0 && count >= limit && (resp.more || cut_in_page) {
            let lk = last_key.unwrap_or_default();
            let after = format!("{}\u{0}", &lk[prefix.len()..]);
            next_continue = Some(encode_continue(rev, &after));
            break;
        }
        if !resp.more || resp.kvs.is_empty() {
            break;
        }
        let lk = resp.kvs.last().map(|k| k.key.clone()).unwrap_or_default();
        start = format!("{lk}\u{0}");
    }
    let mut list_meta = json!({"resourceVersion": read_rev.to_string()});
    if let Some(c) = &next_continue {
        list_meta["continue"] = json!(c);
    }
    if raw {
        let head = json!({"kind": format!("{}List", ctx.r.kind), "apiVersion": ctx.r.api_version(), "metadata": list_meta});
        let mut body = serde_json::to_vec(&head).map_err(|e| ApiError::internal(e.to_string()))?;
        body.pop(); // the closing brace
        body.extend_from_slice(b",\"items\":[");
        for (i, item) in raw_items.iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            body.extend_from_slice(item);
        }
        body.extend_from_slice(b"]}");
        return Ok(Reply::Raw {
            code: 200,
            content_type: "application/json",
            body: bytes::Bytes::from(body),
            headers: vec![],
        });
    }
    Ok(Reply::ok(render_list(ctx, items, list_meta)))
}

fn render_list(ctx: &Ctx, items: Vec<Value>, list_meta: Value) -> Value {
    match ctx.rendering {
        Rendering::Table => berth_api::table::table(
            ctx.r.kind,
            &items,
            include_object(ctx),
            chrono::Utc::now(),
            list_meta,
        ),
        Rendering::PartialMetadata => json!({
            "kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta,
            "items": items.iter().map(partial).collect::<Vec<_>>()
        }),
        Rendering::Object => json!({
            "kind": format!("{}List", ctx.r.kind),
            "apiVersion": ctx.r.api_version(),
            "metadata": list_meta,
            "items": items,
        }),
    }
}

// ---------------------------------------------------------------- create

/// POST: creates an object.
pub async fn create(ctx: &Ctx<'_>, body: &[u8]) -> ApiResult<Reply> {
    create_with(ctx, body, None).await
}

/// Creates an object; `managed` are managedFields already computed (server-side apply).
pub async fn create_with(
    ctx: &Ctx<'_>,
    body: &[u8],
    managed: Option<Vec<berth_api::managedfields::Entry>>,
) -> ApiResult<Reply> {
    let mut obj = decode_body(body)?;
    let warnings = check_body(
        ctx,
        &obj,
        ctx.r.kind,
        &ctx.r.api_version(),
        &ctx.r.definition_name(),
    )?;
    berth_api::fieldvalidation::prune_unknown_fields(&mut obj, &ctx.r.definition_name());
    obj["kind"] = json!(ctx.r.kind);
    obj["apiVersion"] = json!(ctx.r.api_version());
    let ns = ctx.ns().to_string();
    {
        let m = meta_mut(&mut obj);
        if ctx.r.namespaced {
            match m.get("namespace").and_then(Value::as_str) {
                Some(n) if !n.is_empty() && n != ns => {
                    return Err(ApiError::bad_request(
                        "the namespace of the provided object does not match the namespace sent on the request",
                    ))
                }
                _ => {
                    m.insert("namespace".into(), json!(ns));
                }
            }
        } else {
            m.remove("namespace");
        }
        let name = m
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if name.is_empty() {
            match m.get("generateName").and_then(Value::as_str) {
                Some(g) if !g.is_empty() => {
                    let base: String = if g.len() > 58 { g[..58].to_string() } else { g.to_string() };
                    m.insert("name".into(), json!(format!("{base}{}", random_suffix(5))));
                }
                _ => {
                    return Err(ApiError::invalid(
                        ctx.r.kind,
                        ctx.r.group,
                        "",
                        format!("{}{} \"\" is invalid: metadata.name: Required value: name or generateName is required", ctx.r.kind, if ctx.r.group.is_empty() { String::new() } else { format!(".{}", ctx.r.group) }),
                        vec![json!({"reason": "FieldValueRequired", "message": "Required value: name or generateName is required", "field": "metadata.name"})],
                    ))
                }
            }
        }
        m.insert("uid".into(), json!(new_uid()));
        m.insert("creationTimestamp".into(), json!(now_rfc3339()));
        m.remove("resourceVersion");
        m.remove("deletionTimestamp");
        m.remove("deletionGracePeriodSeconds");
        m.remove("selfLink");
        if tracks_generation(ctx.r.kind) {
            m.insert("generation".into(), json!(1));
        } else {
            m.remove("generation");
        }
    }
    if ctx.r.kind == "Namespace" {
        obj["status"] = json!({"phase": "Active"});
    } else if has_status(ctx.r) && !matches!(ctx.r.kind, "Node" | "CertificateSigningRequest") {
        // status is reset on create for resources that have a status subresource
        obj["status"] = json!({});
        if ctx.r.kind == "Pod" {
            obj["status"] = json!({"phase": "Pending", "qosClass": qos_class(&obj)});
        }
    }
    berth_api::defaults::apply_defaults(ctx.r.group, ctx.r.version, ctx.r.kind, &mut obj);
    if (ctx.r.group, ctx.r.kind) == ("batch", "Job") {
        berth_api::defaults::generate_job_selector(&mut obj);
    }
    let undo = admission::admit_create(ctx, &mut obj).await?;
    let name = meta_str(&obj, "name").to_string();
    if let Err(e) = validate(ctx, &obj, None) {
        undo.rollback(ctx.state).await;
        return Err(e);
    }
    {
        let (time, av) = (now_rfc3339(), ctx.r.api_version());
        match managed {
            Some(entries) => berth_api::managedfields::set_entries(&mut obj, &entries),
            None => berth_api::managedfields::record_update(
                None,
                &mut obj,
                &ctx.r.definition_name(),
                &writer(ctx, &time, &av),
            ),
        }
    }
    if ctx.dry_run() {
        undo.rollback(ctx.state).await;
        return Ok(Reply::code(201, obj).with_warnings(warnings));
    }
    match ctx.state.storage.create(ctx.r, &ns, &name, &obj).await {
        Ok(Some(created)) => {
            undo.commit();
            admission::after_create(ctx, &created).await;
            Ok(Reply::code(201, created).with_warnings(warnings))
        }
        Ok(None) => {
            undo.rollback(ctx.state).await;
            Err(ApiError::already_exists(ctx.r.resource, ctx.r.group, &name))
        }
        Err(e) => {
            undo.rollback(ctx.state).await;
            Err(e)
        }
    }
}

// ---------------------------------------------------------------- update / patch

/// How a new object is computed from the current one.
pub enum Change<'b> {
    /// PUT with this body.
    Replace(Value),
    /// PATCH of this type with this body.
    Patch(&'b str, Value),
    /// Server-side apply of this configuration (force on conflicts or not).
    Apply(Value, bool),
}

/// PUT on an object or its status.
pub async fn update(ctx: &Ctx<'_>, body: &[u8]) -> ApiResult<Reply> {
    let mut obj = decode_body(body)?;
    let (kind, av, def) = subresource_type(ctx);
    let warnings = check_body(ctx, &obj, &kind, &av, &def)?;
    berth_api::fieldvalidation::prune_unknown_fields(&mut obj, &def);
    let body_name = meta_str(&obj, "name");
    if !body_name.is_empty() && body_name != ctx.info.name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({body_name}) does not match the name on the URL ({})",
            ctx.info.name
        )));
    }
    Ok(modify(ctx, Change::Replace(obj))
        .await?
        .with_warnings(warnings))
}

/// PATCH on an object or its status.
pub async fn patch(ctx: &Ctx<'_>, content_type: &str, body: &[u8]) -> ApiResult<Reply> {
    if body.len() > MAX_BODY {
        return Err(ApiError::too_large());
    }
    let ct = content_type.split(';').next().unwrap_or("").trim();
    let kind = match ct {
        "application/json-patch+json" => "json",
        "application/merge-patch+json" => "merge",
        "application/strategic-merge-patch+json" => "strategic",
        "application/apply-patch+yaml" | "application/apply-patch+cbor" => "apply",
        other => {
            return Err(ApiError::unsupported_media(format!(
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got {other:?})"
            )))
        }
    };
    let p: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
    if kind == "apply" {
        return crate::apply::apply(ctx, p).await;
    }
    modify(ctx, Change::Patch(kind, p)).await
}

/// kind, apiVersion and OpenAPI definition of what this request reads and writes.
fn subresource_type(ctx: &Ctx) -> (String, String, String) {
    if ctx.info.subresource == "scale" {
        return (
            "Scale".into(),
            "autoscaling/v1".into(),
            "io.k8s.api.autoscaling.v1.Scale".into(),
        );
    }
    (
        ctx.r.kind.to_string(),
        ctx.r.api_version(),
        ctx.r.definition_name(),
    )
}

/// Applies a patch of `kind` to `cur` (an object as served).
pub fn apply_patch(kind: &str, cur: &Value, p: &Value, definition: &str) -> ApiResult<Value> {
    let mut out = match kind {
        "json" => berth_api::smp::json_patch(cur, p)
            .map_err(|e| ApiError::new(422, "Invalid", e.to_string()))?,
        "merge" => berth_api::smp::json_merge_patch(cur, p),
        _ => berth_api::smp::strategic_merge_patch(cur, p, definition)
            .map_err(|e| ApiError::new(422, "Invalid", e.to_string()))?,
    };
    if !out.is_object() {
        return Err(ApiError::bad_request("the patch did not produce an object"));
    }
    if let Some(e) = berth_api::fieldvalidation::type_error(&out, definition) {
        return Err(ApiError::bad_request(e));
    }
    berth_api::fieldvalidation::prune_unknown_fields(&mut out, definition);
    Ok(out)
}

/// The generic read-modify-write loop of update and patch.
pub async fn modify(ctx: &Ctx<'_>, change: Change<'_>) -> ApiResult<Reply> {
    let name = ctx.info.name.clone();
    let ns = ctx.ns().to_string();
    let sub = ctx.info.subresource.as_str();
    for _attempt in 0..8 {
        let current = ctx.state.storage.get(ctx.r, &ns, &name).await?;
        let Some(current) = current else {
            return Err(ctx.not_found(&name));
        };
        let cur_rev = storage::revision_of(&current);
        let view = if sub == "scale" {
            to_scale(ctx.r, &current)?
        } else {
            current.clone()
        };
        let (mut new, precondition) = match &change {
            Change::Replace(obj) => {
                let rv = meta_str(obj, "resourceVersion").to_string();
                (obj.clone(), rv)
            }
            Change::Patch(kind, p) => {
                let def = subresource_type(ctx).2;
                let rv = p
                    .pointer("/metadata/resourceVersion")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                (apply_patch(kind, &view, p, &def)?, rv)
            }
            Change::Apply(config, force) => {
                let def = subresource_type(ctx).2;
                let rv = meta_str(config, "resourceVersion").to_string();
                let (time, av) = (now_rfc3339(), ctx.r.api_version());
                match berth_api::managedfields::apply(
                    Some(&view),
                    config,
                    &def,
                    &writer(ctx, &time, &av),
                    *force,
                ) {
                    Ok(v) => (v, rv),
                    Err(conflicts) => return Err(apply_conflict(ctx, &conflicts)),
                }
            }
        };
        if !precondition.is_empty() && precondition != cur_rev.to_string() {
            storage::parse_rv(&precondition)?;
            return Err(ApiError::modified(ctx.r.resource, ctx.r.group, &name));
        }
        if sub == "scale" {
            let replicas = new.pointer("/spec/replicas").cloned().unwrap_or(json!(0));
            if !replicas.is_i64() || replicas.as_i64().unwrap_or(-1) < 0 {
                return Err(ApiError::invalid("Scale", "autoscaling", &name, format!("Scale.autoscaling \"{name}\" is invalid: spec.replicas: Invalid value: {replicas}: must be greater than or equal to 0"), vec![]));
            }
            let mut obj = current.clone();
            obj["spec"]["replicas"] = replicas;
            new = obj;
        }
        let applied = matches!(change, Change::Apply(..));
        let prepared = prepare_update(ctx, &current, new, sub, applied)?;
        let Some(prepared) = prepared else {
            // nothing changed: answer the current object, as kube-apiserver does
            return Ok(Reply::ok(if sub == "scale" {
                to_scale(ctx.r, &current)?
            } else {
                current
            }));
        };
        if ctx.dry_run() {
            return Ok(Reply::ok(prepared));
        }
        // finalizers emptied on an object being deleted: it goes away now
        if meta(&prepared).is_some_and(|m| m.contains_key("deletionTimestamp"))
            && meta(&prepared)
                .and_then(|m| m.get("finalizers"))
                .and_then(Value::as_array)
                .is_none_or(|f| f.is_empty())
            && !(ctx.r.kind == "Pod" && graceful_pending(&prepared))
            && (ctx.r.kind != "Namespace" || namespace_finalized(&prepared))
        {
            match ctx.state.storage.delete(ctx.r, &ns, &name, cur_rev).await? {
                Written::Ok(_) => {
                    admission::after_delete(ctx, &prepared).await;
                    let mut out = prepared;
                    storage::set_resource_version(&mut out, cur_rev);
                    return Ok(Reply::ok(out));
                }
                Written::Conflict(_) => continue,
            }
        }
        match ctx
            .state
            .storage
            .update(ctx.r, &ns, &name, &prepared, cur_rev)
            .await?
        {
            Written::Ok(obj) => {
                let out = if sub == "scale" {
                    to_scale(ctx.r, &obj)?
                } else {
                    obj
                };
                return Ok(Reply::ok(out));
            }
            Written::Conflict(_) => {
                if !precondition.is_empty() {
                    return Err(ApiError::modified(ctx.r.resource, ctx.r.group, &name));
                }
                continue;
            }
        }
    }
    Err(ApiError::modified(ctx.r.resource, ctx.r.group, &name))
}

/// The pod's QoS class (qos.GetPodQOS): BestEffort without requests or limits,
/// Guaranteed when every container limits cpu and memory with requests equal to limits.
pub fn qos_class(pod: &Value) -> &'static str {
    let containers: Vec<&Value> = ["initContainers", "containers"]
        .iter()
        .filter_map(|k| pod.pointer(&format!("/spec/{k}")).and_then(Value::as_array))
        .flatten()
        .collect();
    let mut any = false;
    let mut guaranteed = true;
    for c in &containers {
        let req = c.pointer("/resources/requests").and_then(Value::as_object);
        let lim = c.pointer("/resources/limits").and_then(Value::as_object);
        if req.is_some_and(|r| !r.is_empty()) || lim.is_some_and(|l| !l.is_empty()) {
            any = true;
        }
        for res in ["cpu", "memory"] {
            let l = lim.and_then(|l| l.get(res));
            let r = req.and_then(|r| r.get(res)).or(l);
            if l.is_none() || r != l {
                guaranteed = false;
            }
        }
    }
    if !any {
        "BestEffort"
    } else if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

/// A namespace whose `spec.finalizers` are all removed (the namespace controller is done).
fn namespace_finalized(ns: &Value) -> bool {
    ns.pointer("/spec/finalizers")
        .and_then(Value::as_array)
        .is_none_or(|f| f.is_empty())
}

fn graceful_pending(pod: &Value) -> bool {
    pod.pointer("/metadata/deletionGracePeriodSeconds")
        .and_then(Value::as_i64)
        .unwrap_or(0)
        > 0
}

/// Computes the object to store from the current one and the requested one, or
/// `None` when nothing would change.
fn prepare_update(
    ctx: &Ctx,
    current: &Value,
    mut new: Value,
    sub: &str,
    applied: bool,
) -> ApiResult<Option<Value>> {
    new["kind"] = json!(ctx.r.kind);
    new["apiVersion"] = json!(ctx.r.api_version());
    match sub {
        "status" => {
            let mut out = current.clone();
            out["status"] = new.get("status").cloned().unwrap_or(Value::Null);
            if out["status"].is_null() {
                out.as_object_mut().map(|o| o.remove("status"));
            }
            if ctx.r.kind == "Node" || ctx.r.kind == "Pod" {
                // kubelets may also update labels/annotations through status (upstream allows metadata)
            }
            new = out;
        }
        "approval" => {
            let mut out = current.clone();
            out["status"]["conditions"] = new
                .pointer("/status/conditions")
                .cloned()
                .unwrap_or(json!([]));
            new = out;
        }
        "finalize" => {
            let mut out = current.clone();
            out["spec"]["finalizers"] = new
                .pointer("/spec/finalizers")
                .cloned()
                .unwrap_or(json!([]));
            new = out;
        }
        "" | "scale" => {
            if has_status(ctx.r) {
                match current.get("status") {
                    Some(s) => new["status"] = s.clone(),
                    None => {
                        new.as_object_mut().map(|o| o.remove("status"));
                    }
                }
            }
        }
        other => {
            return Err(ApiError::not_found(
                &format!("{}/{other}", ctx.r.resource),
                ctx.r.group,
                &ctx.info.name,
            ));
        }
    }
    // metadata the client may not change
    let cur_meta = meta(current).cloned().unwrap_or_default();
    {
        let m = meta_mut(&mut new);
        for k in [
            "name",
            "namespace",
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
        ] {
            match cur_meta.get(k) {
                Some(v) => {
                    m.insert(k.into(), v.clone());
                }
                None => {
                    m.remove(k);
                }
            }
        }
        m.remove("resourceVersion");
        m.remove("selfLink");
        if cur_meta.contains_key("deletionTimestamp") {
            // finalizers may only be removed once deletion started
            if let (Some(Value::Array(newf)), Some(Value::Array(oldf))) =
                (m.get("finalizers"), cur_meta.get("finalizers"))
            {
                if newf.iter().any(|f| !oldf.contains(f)) {
                    return Err(ApiError::invalid(ctx.r.kind, ctx.r.group, &ctx.info.name,
                        format!("{} \"{}\" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted", kind_group(ctx), ctx.info.name), vec![]));
                }
            }
        }
    }
    // create-only defaults (the namespace's `kubernetes` finalizer) look for a
    // resourceVersion to tell an update from a create
    meta_mut(&mut new).insert("resourceVersion".into(), json!("0"));
    berth_api::defaults::apply_defaults(ctx.r.group, ctx.r.version, ctx.r.kind, &mut new);
    meta_mut(&mut new).remove("resourceVersion");
    if tracks_generation(ctx.r.kind) && spec_changed(current, &new) {
        let g = cur_meta
            .get("generation")
            .and_then(Value::as_i64)
            .unwrap_or(0)
            + 1;
        meta_mut(&mut new).insert("generation".into(), json!(g));
    }
    admission::admit_update(ctx, current, &mut new)?;
    let mut cur_cmp = current.clone();
    storage::set_resource_version(&mut cur_cmp, 0);
    let mut new_cmp = new.clone();
    meta_mut(&mut new_cmp).insert("resourceVersion".into(), json!("0"));
    if cur_cmp == new_cmp {
        return Ok(None);
    }
    validate(ctx, &new, Some(current))?;
    if !applied {
        let (time, av) = (now_rfc3339(), ctx.r.api_version());
        berth_api::managedfields::record_update(
            Some(current),
            &mut new,
            &ctx.r.definition_name(),
            &writer(ctx, &time, &av),
        );
    }
    Ok(Some(new))
}

/// 409 for an apply that would take fields other managers own.
fn apply_conflict(ctx: &Ctx, conflicts: &[berth_api::managedfields::Conflict]) -> ApiError {
    let mut e = ApiError::conflict(ctx.r.resource, ctx.r.group, &ctx.info.name, "");
    e.message = berth_api::managedfields::conflict_message(conflicts);
    if let Some(Value::Object(d)) = &mut e.details {
        d.insert(
            "causes".into(),
            Value::Array(
                conflicts
                    .iter()
                    .map(|c| json!({"reason": "FieldManagerConflict", "message": format!("conflict with \"{}\" using {}", c.manager, c.api_version), "field": c.path}))
                    .collect(),
            ),
        );
    }
    e
}

fn kind_group(ctx: &Ctx) -> String {
    if ctx.r.group.is_empty() {
        ctx.r.kind.to_string()
    } else {
        format!("{}.{}", ctx.r.kind, ctx.r.group)
    }
}

fn spec_changed(old: &Value, new: &Value) -> bool {
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(o) = v.as_object_mut() {
            o.remove("metadata");
            o.remove("status");
        }
        v
    };
    strip(old) != strip(new)
}

/// The `autoscaling/v1` Scale view of a scalable object.
pub fn to_scale(r: &ResourceInfo, obj: &Value) -> ApiResult<Value> {
    let m = meta(obj).cloned().unwrap_or_default();
    let selector = obj
        .pointer("/spec/selector")
        .map(|s| {
            if s.get("matchLabels").is_some() || s.get("matchExpressions").is_some() {
                berth_api::selectors::LabelSelector::from_label_selector_json(s)
                    .map(|l| l.to_string())
                    .unwrap_or_default()
            } else {
                // ReplicationController: a plain map
                s.as_object()
                    .map(|o| {
                        o.iter()
                            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                    .unwrap_or_default()
            }
        })
        .unwrap_or_default();
    let mut status =
        json!({"replicas": obj.pointer("/status/replicas").and_then(Value::as_i64).unwrap_or(0)});
    if !selector.is_empty() {
        status["selector"] = json!(selector);
    }
    let _ = r;
    Ok(json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": m.get("name").cloned().unwrap_or(json!("")),
            "namespace": m.get("namespace").cloned().unwrap_or(json!("")),
            "uid": m.get("uid").cloned().unwrap_or(json!("")),
            "resourceVersion": m.get("resourceVersion").cloned().unwrap_or(json!("")),
            "creationTimestamp": m.get("creationTimestamp").cloned().unwrap_or(Value::Null),
        },
        "spec": {"replicas": obj.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(0)},
        "status": status,
    }))
}

/// GET of a subresource view (status, scale).
pub async fn get_subresource(ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let obj = ctx
        .state
        .storage
        .get(ctx.r, ctx.ns(), &ctx.info.name)
        .await?
        .ok_or_else(|| ctx.not_found(&ctx.info.name))?;
    match ctx.info.subresource.as_str() {
        "scale" => Ok(Reply::ok(to_scale(ctx.r, &obj)?)),
        _ => Ok(Reply::ok(obj)),
    }
}

// ---------------------------------------------------------------- delete

/// Delete options from the body and the query.
struct DeleteOptions {
    grace: Option<i64>,
    propagation: Option<String>,
    uid: Option<String>,
    rv: Option<String>,
    /// `dryRun: ["All"]` in the body or `?dryRun=All`.
    dry_run: bool,
}

fn delete_options(ctx: &Ctx, body: &[u8]) -> ApiResult<DeleteOptions> {
    let mut o = DeleteOptions {
        grace: None,
        propagation: None,
        uid: None,
        rv: None,
        dry_run: ctx.dry_run(),
    };
    if !body.iter().all(u8::is_ascii_whitespace) {
        let v = decode_body(body)?;
        o.grace = v.get("gracePeriodSeconds").and_then(Value::as_i64);
        if v.get("dryRun")
            .and_then(Value::as_array)
            .is_some_and(|d| d.iter().any(|x| x == "All"))
        {
            o.dry_run = true;
        }
        o.propagation = v
            .get("propagationPolicy")
            .and_then(Value::as_str)
            .map(String::from);
        if v.get("orphanDependents").and_then(Value::as_bool) == Some(true)
            && o.propagation.is_none()
        {
            o.propagation = Some("Orphan".into());
        }
        o.uid = v
            .pointer("/preconditions/uid")
            .and_then(Value::as_str)
            .map(String::from);
        o.rv = v
            .pointer("/preconditions/resourceVersion")
            .and_then(Value::as_str)
            .map(String::from);
    }
    if let Some(g) = ctx.q("gracePeriodSeconds") {
        o.grace = Some(
            g.parse()
                .map_err(|_| ApiError::bad_request(format!("invalid gracePeriodSeconds: {g}")))?,
        );
    }
    if let Some(p) = ctx.q("propagationPolicy") {
        o.propagation = Some(p.to_string());
    }
    if let Some(p) = &o.propagation {
        if !matches!(p.as_str(), "Orphan" | "Background" | "Foreground") {
            return Err(ApiError::invalid("DeleteOptions", "", "", format!("DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"{p}\": supported values: \"Foreground\", \"Background\", \"Orphan\""), vec![]));
        }
    }
    Ok(o)
}

/// DELETE of one object: graceful for pods on nodes, held by finalizers, else immediate.
pub async fn delete(ctx: &Ctx<'_>, body: &[u8]) -> ApiResult<Reply> {
    let opts = delete_options(ctx, body)?;
    let name = ctx.info.name.clone();
    delete_one(ctx, &name, &opts).await.map(Reply::ok)
}

async fn delete_one(ctx: &Ctx<'_>, name: &str, opts: &DeleteOptions) -> ApiResult<Value> {
    let ns = ctx.ns().to_string();
    for _ in 0..8 {
        let Some(cur) = ctx.state.storage.get(ctx.r, &ns, name).await? else {
            return Err(ctx.not_found(name));
        };
        let rev = storage::revision_of(&cur);
        if let Some(uid) = &opts.uid {
            let have = meta_str(&cur, "uid");
            if have != uid {
                return Err(ApiError::conflict(ctx.r.resource, ctx.r.group, name, &format!("Precondition failed: UID in precondition: {uid}, UID in object meta: {have}")));
            }
        }
        if let Some(want) = &opts.rv {
            if *want != rev.to_string() {
                return Err(ApiError::conflict(ctx.r.resource, ctx.r.group, name, &format!("Precondition failed: ResourceVersion in precondition: {want}, ResourceVersion in object meta: {rev}")));
            }
        }
        let mut obj = cur.clone();
        let mut finalizers: Vec<Value> = meta(&obj)
            .and_then(|m| m.get("finalizers"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        match opts.propagation.as_deref() {
            Some("Foreground") if !finalizers.contains(&json!("foregroundDeletion")) => {
                finalizers.retain(|f| f != "orphan");
                finalizers.push(json!("foregroundDeletion"));
            }
            Some("Orphan") if !finalizers.contains(&json!("orphan")) => {
                finalizers.retain(|f| f != "foregroundDeletion");
                finalizers.push(json!("orphan"));
            }
            Some("Background") => finalizers.retain(|f| f != "orphan" && f != "foregroundDeletion"),
            _ => {}
        }
        let grace = deletion_grace(ctx, &cur, opts.grace);
        let already = meta(&cur).is_some_and(|m| m.contains_key("deletionTimestamp"));
        if ctx.r.kind == "Namespace" && !(finalizers.is_empty() && namespace_finalized(&cur)) {
            // the namespace controller empties it, then removes the `kubernetes` finalizer
            if already {
                return Ok(cur);
            }
            let m = meta_mut(&mut obj);
            m.insert("deletionTimestamp".into(), json!(now_rfc3339()));
            m.insert("deletionGracePeriodSeconds".into(), json!(0));
            if !finalizers.is_empty() {
                m.insert("finalizers".into(), json!(finalizers));
            }
            obj["status"]["phase"] = json!("Terminating");
            if opts.dry_run {
                return Ok(obj);
            }
            match ctx
                .state
                .storage
                .update(ctx.r, &ns, name, &obj, rev)
                .await?
            {
                Written::Ok(o) => return Ok(o),
                Written::Conflict(_) => continue,
            }
        }
        if !finalizers.is_empty() || grace > 0 {
            if already {
                // shortening the grace period of a terminating pod is allowed
                let cur_grace = cur
                    .pointer("/metadata/deletionGracePeriodSeconds")
                    .and_then(Value::as_i64)
                    .unwrap_or(0);
                if grace >= cur_grace
                    && finalizers
                        == meta(&cur)
                            .and_then(|m| m.get("finalizers"))
                            .and_then(Value::as_array)
                            .cloned()
                            .unwrap_or_default()
                {
                    return Ok(cur);
                }
            }
            if grace > 0 || !finalizers.is_empty() {
                let ts = chrono::Utc::now() + chrono::Duration::seconds(grace);
                let m = meta_mut(&mut obj);
                m.insert(
                    "deletionTimestamp".into(),
                    json!(ts.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
                );
                m.insert("deletionGracePeriodSeconds".into(), json!(grace));
                if finalizers.is_empty() {
                    m.remove("finalizers");
                } else {
                    m.insert("finalizers".into(), json!(finalizers));
                }
                if ctx.r.kind == "Pod" {
                    obj["spec"]["terminationGracePeriodSeconds"] = json!(grace);
                }
                if grace > 0 || !finalizers.is_empty() {
                    if opts.dry_run {
                        return Ok(obj);
                    }
                    match ctx
                        .state
                        .storage
                        .update(ctx.r, &ns, name, &obj, rev)
                        .await?
                    {
                        Written::Ok(o) => return Ok(o),
                        Written::Conflict(_) => continue,
                    }
                }
            }
        }
        if opts.dry_run {
            return Ok(cur);
        }
        match ctx.state.storage.delete(ctx.r, &ns, name, rev).await? {
            Written::Ok(o) => {
                admission::after_delete(ctx, &o).await;
                return Ok(o);
            }
            Written::Conflict(_) => continue,
        }
    }
    Err(ApiError::modified(ctx.r.resource, ctx.r.group, name))
}

/// The grace period of a deletion: only pods bound to a node and still running get one.
fn deletion_grace(ctx: &Ctx, obj: &Value, requested: Option<i64>) -> i64 {
    if ctx.r.kind != "Pod" {
        return 0;
    }
    let node = obj
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .unwrap_or("");
    let phase = obj
        .pointer("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or("");
    if node.is_empty() || phase == "Succeeded" || phase == "Failed" {
        return 0;
    }
    let g = requested.unwrap_or_else(|| {
        obj.pointer("/spec/terminationGracePeriodSeconds")
            .and_then(Value::as_i64)
            .unwrap_or(30)
    });
    g.max(0)
}

/// DELETE of a collection: deletes every matching object, answers the list of them.
pub async fn delete_collection(ctx: &Ctx<'_>, body: &[u8]) -> ApiResult<Reply> {
    let opts = delete_options(ctx, body)?;
    let filter = Filter::from_query(ctx)?;
    let prefix = storage::prefix(ctx.r, ctx.ns());
    let resp = ctx.state.storage.store.list(&prefix, "", 0, 0).await?;
    let mut deleted = Vec::new();
    for kv in &resp.kvs {
        let obj = storage::decode_as(ctx.r, kv)?;
        if !filter.matches(&obj) {
            continue;
        }
        let name = meta_str(&obj, "name").to_string();
        let ns_ctx = Ctx {
            state: ctx.state,
            info: &RequestInfo {
                namespace: meta_str(&obj, "namespace").to_string(),
                ..ctx.info.clone()
            },
            r: ctx.r,
            query: ctx.query,
            user: ctx.user,
            rendering: ctx.rendering,
            field_manager: ctx.field_manager.clone(),
        };
        match delete_one(&ns_ctx, &name, &opts).await {
            Ok(o) => deleted.push(o),
            Err(e) if e.code == 404 => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Reply::ok(json!({
        "kind": format!("{}List", ctx.r.kind),
        "apiVersion": ctx.r.api_version(),
        "metadata": {"resourceVersion": resp.revision.to_string()},
        "items": deleted,
    })))
}

/// Qualified resource name for messages.
pub fn qualified_resource(r: &ResourceInfo) -> String {
    qualified(r.resource, r.group)
}
