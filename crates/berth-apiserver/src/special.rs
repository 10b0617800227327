//! Subresources and virtual resources that are not plain storage: pods/binding, pods/eviction,
//! serviceaccounts/token, the review APIs, and streaming subresources of pods.

use serde_json::{json, Value};

use crate::response::Reply;
use crate::rest::{self, decode_body, now_rfc3339, Ctx};
use crate::state::User;
use crate::status::{ApiError, ApiResult};

fn s<'v>(v: &'v Value, p: &str) -> &'v str {
    v.pointer(p).and_then(Value::as_str).unwrap_or("")
}

/// POST pods/{name}/binding or /bindings: assigns a pod to a node.
pub async fn bind(ctx: &Ctx<'_>, body: &[u8]) -> ApiResult<Reply> {
    let b = decode_body(body)?;
    let pod_name = if ctx.info.name.is_empty() {
        s(&b, "/metadata/name").to_string()
    } else {
        ctx.info.name.clone()
    };
    let node = s(&b, "/target/name").to_string();
    if node.is_empty() {
        return Err(ApiError::invalid(
            "Binding",
            "",
            &pod_name,
            format!("Binding \"{pod_name}\" is invalid: target.name: Required value"),
            vec![],
        ));
    }
    let pods =
        berth_api::registry::find("", "v1", "pods").ok_or_else(|| ApiError::internal("no pods"))?;
    let ns = ctx.info.namespace.clone();
    for _ in 0..5 {
        let Some(mut pod) = ctx.state.storage.get(pods, &ns, &pod_name).await? else {
            return Err(ApiError::not_found("pods", "", &pod_name));
        };
        if pod.pointer("/metadata/deletionTimestamp").is_some() {
            return Err(ApiError::conflict(
                "pods",
                "",
                &pod_name,
                "pod is being deleted, cannot be assigned to a host",
            ));
        }
        let cur = s(&pod, "/spec/nodeName");
        if !cur.is_empty() {
            return Err(ApiError::conflict(
                "pods",
                "",
                &pod_name,
                &format!("pod {pod_name} is already assigned to node \"{cur}\""),
            ));
        }
        if let Some(uid) = b.pointer("/metadata/uid").and_then(Value::as_str) {
            if uid != s(&pod, "/metadata/uid") {
                return Err(ApiError::conflict(
                    "pods",
                    "",
                    &pod_name,
                    "Precondition failed: UID mismatch",
                ));
            }
        }
        let rev = crate::storage::revision_of(&pod);
        pod["spec"]["nodeName"] = json!(node);
        let cond = json!({"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": now_rfc3339()});
        let conds = pod["status"]["conditions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let mut conds: Vec<Value> = conds
            .into_iter()
            .filter(|c| c["type"] != "PodScheduled")
            .collect();
        conds.push(cond);
        pod["status"]["conditions"] = json!(conds);
        if let Some(a) = b
            .pointer("/metadata/annotations")
            .and_then(Value::as_object)
        {
            for (k, v) in a {
                pod["metadata"]["annotations"][k] = v.clone();
            }
        }
        match ctx
            .state
            .storage
            .update(pods, &ns, &pod_name, &pod, rev)
            .await?
        {
            crate::storage::Written::Ok(_) => {
                return Ok(Reply::code(
                    201,
                    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
                ))
            }
            crate::storage::Written::Conflict(_) => continue,
        }
    }
    Err(ApiError::modified("pods", "", &pod_name))
}

/// POST pods/{name}/eviction: a delete that PodDisruptionBudgets may refuse (not yet checked).
pub async fn evict(ctx: &Ctx<'_>, body: &[u8]) -> ApiResult<Reply> {
    let e = decode_body(body)?;
    let opts = e.get("deleteOptions").cloned().unwrap_or(json!({}));
    let bytes = serde_json::to_vec(&opts).unwrap_or_default();
    rest::delete(ctx, &bytes).await?;
    Ok(Reply::code(
        201,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
    ))
}

/// POST serviceaccounts/{name}/token: a TokenRequest (`kubectl create token`).
pub async fn token(ctx: &Ctx<'_>, body: &[u8]) -> ApiResult<Reply> {
    let mut req = decode_body(body)?;
    let sar = berth_api::registry::find("", "v1", "serviceaccounts")
        .ok_or_else(|| ApiError::internal("no serviceaccounts"))?;
    let ns = ctx.info.namespace.clone();
    let name = ctx.info.name.clone();
    let Some(sa) = ctx.state.storage.get(sar, &ns, &name).await? else {
        return Err(ApiError::not_found("serviceaccounts", "", &name));
    };
    let mut exp = req
        .pointer("/spec/expirationSeconds")
        .and_then(Value::as_i64)
        .unwrap_or(3600);
    if exp < 600 {
        return Err(ApiError::invalid("TokenRequest", "authentication.k8s.io", &name, format!("TokenRequest.authentication.k8s.io \"{name}\" is invalid: spec.expirationSeconds: Invalid value: {exp}: may not specify a duration less than 10 minutes"), vec![]));
    }
    exp = exp.min(48 * 3600);
    let now = chrono::Utc::now().timestamp();
    let mut auds: Vec<Value> = req
        .pointer("/spec/audiences")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if auds.is_empty() {
        auds = vec![json!(crate::jwt::ISSUER)];
    }
    let mut k8s =
        json!({"namespace": ns, "serviceaccount": {"name": name, "uid": s(&sa, "/metadata/uid")}});
    if let Some(bref) = req.pointer("/spec/boundObjectRef") {
        if bref.get("kind").and_then(Value::as_str) == Some("Pod") {
            k8s["pod"] = json!({"name": bref.get("name").cloned().unwrap_or(json!("")), "uid": bref.get("uid").cloned().unwrap_or(json!(""))});
        }
    }
    let claims = json!({
        "aud": auds, "exp": now + exp, "iat": now, "nbf": now, "iss": crate::jwt::ISSUER,
        "jti": rest::new_uid(), "kubernetes.io": k8s,
        "sub": format!("system:serviceaccount:{ns}:{name}"),
    });
    let token = ctx.state.tokens.sign(&claims).map_err(ApiError::internal)?;
    let ts = chrono::DateTime::from_timestamp(now + exp, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    req["kind"] = json!("TokenRequest");
    req["apiVersion"] = json!("authentication.k8s.io/v1");
    req["metadata"] = json!({"name": name, "namespace": ns, "creationTimestamp": null});
    req["spec"]["audiences"] = json!(auds);
    req["spec"]["expirationSeconds"] = json!(exp);
    req["status"] = json!({"token": token, "expirationTimestamp": ts});
    Ok(Reply::code(201, req))
}

fn user_info(u: &User) -> Value {
    let mut v = json!({"username": u.name, "groups": u.groups});
    if !u.uid.is_empty() {
        v["uid"] = json!(u.uid);
    }
    v
}

/// The authentication and authorization review APIs.
pub async fn review(ctx: &Ctx<'_>, body: &[u8]) -> ApiResult<Reply> {
    let mut req = decode_body(body)?;
    req["kind"] = json!(ctx.r.kind);
    req["apiVersion"] = json!(ctx.r.api_version());
    if req.get("metadata").is_none() {
        req["metadata"] = json!({});
    }
    req["metadata"]["creationTimestamp"] = Value::Null;
    match ctx.r.kind {
        "SelfSubjectReview" => {
            req["status"] = json!({"userInfo": user_info(ctx.user)});
        }
        "TokenReview" => {
            let token = s(&req, "/spec/token").to_string();
            match crate::authn::user_from_token(ctx.state, &token).await {
                Some(u) => {
                    req["status"] = json!({"authenticated": true, "user": user_info(&u), "audiences": [crate::jwt::ISSUER]})
                }
                None => {
                    req["status"] = json!({"authenticated": false, "error": "invalid bearer token"})
                }
            }
        }
        "SelfSubjectAccessReview" | "SubjectAccessReview" | "LocalSubjectAccessReview" => {
            let who = if ctx.r.kind == "SelfSubjectAccessReview" {
                ctx.user.clone()
            } else {
                User {
                    name: s(&req, "/spec/user").to_string(),
                    uid: s(&req, "/spec/uid").to_string(),
                    groups: req
                        .pointer("/spec/groups")
                        .and_then(Value::as_array)
                        .map(|g| {
                            g.iter()
                                .filter_map(|x| x.as_str().map(String::from))
                                .collect()
                        })
                        .unwrap_or_default(),
                }
            };
            let info = if let Some(ra) = req.pointer("/spec/resourceAttributes") {
                let mut ns = s(ra, "/namespace").to_string();
                if ctx.r.kind == "LocalSubjectAccessReview" {
                    ns = ctx.info.namespace.clone();
                }
                crate::request::RequestInfo {
                    resource_request: true,
                    verb: s(ra, "/verb").to_string(),
                    api_group: s(ra, "/group").to_string(),
                    api_version: s(ra, "/version").to_string(),
                    namespace: ns,
                    resource: s(ra, "/resource").to_string(),
                    subresource: s(ra, "/subresource").to_string(),
                    name: s(ra, "/name").to_string(),
                    path: String::new(),
                }
            } else {
                let na = req
                    .pointer("/spec/nonResourceAttributes")
                    .cloned()
                    .unwrap_or(json!({}));
                crate::request::RequestInfo {
                    resource_request: false,
                    verb: s(&na, "/verb").to_string(),
                    path: s(&na, "/path").to_string(),
                    ..Default::default()
                }
            };
            match ctx.state.rbac.authorize(&who, &info) {
                Ok(()) => req["status"] = json!({"allowed": true, "reason": "allowed by RBAC"}),
                Err(_) => req["status"] = json!({"allowed": false}),
            }
        }
        "SelfSubjectRulesReview" => {
            req["status"] = json!({"resourceRules": [], "nonResourceRules": [], "incomplete": true, "evaluationError": "rules review is not supported by berth yet"});
        }
        _ => {
            return Err(ApiError::method_not_allowed(
                "the server does not allow this method on the requested resource",
            ))
        }
    }
    Ok(Reply::code(201, req))
}

/// Streaming pod subresources (log, exec, attach, portforward, proxy) need a node agent.
pub async fn pod_stream(ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let pods =
        berth_api::registry::find("", "v1", "pods").ok_or_else(|| ApiError::internal("no pods"))?;
    let Some(pod) = ctx
        .state
        .storage
        .get(pods, &ctx.info.namespace, &ctx.info.name)
        .await?
    else {
        return Err(ApiError::not_found("pods", "", &ctx.info.name));
    };
    let node = s(&pod, "/spec/nodeName");
    if node.is_empty() {
        return Err(ApiError::bad_request(format!(
            "pod {} does not have a host assigned",
            ctx.info.name
        )));
    }
    Err(ApiError::service_unavailable(format!(
        "pods/{} is not available: no berth node agent serves node \"{node}\" yet",
        ctx.info.subresource
    )))
}

/// PUT/PATCH of subresources that are views of the object (status, scale, approval, finalize).
pub async fn modify_view(ctx: &Ctx<'_>, content_type: &str, body: &[u8]) -> ApiResult<Reply> {
    if ctx.info.verb == "update" {
        rest::update(ctx, body).await
    } else {
        rest::patch(ctx, content_type, body).await
    }
}
