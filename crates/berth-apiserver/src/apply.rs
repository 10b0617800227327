//! Server-side apply (`application/apply-patch+yaml`).
//!
//! Current scope: an apply creates the object when it is missing and otherwise merges the
//! applied configuration into the live object with strategic-merge semantics. Field
//! ownership (managedFields), conflict detection and pruning of fields a manager stopped
//! applying are not implemented yet.

use serde_json::Value;

use crate::response::Reply;
use crate::rest::{self, Change, Ctx};
use crate::status::{ApiError, ApiResult};

/// PATCH with the apply patch type.
pub async fn apply(ctx: &Ctx<'_>, config: Value) -> ApiResult<Reply> {
    if ctx.query.get("fieldManager").is_none_or(|m| m.is_empty()) {
        return Err(ApiError::invalid(
            "PatchOptions",
            "meta.k8s.io",
            "",
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch".into(),
            vec![],
        ));
    }
    if !config.is_object() {
        return Err(ApiError::bad_request(
            "the applied configuration is not an object",
        ));
    }
    let name = config
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    if name != ctx.info.name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({name}) does not match the name on the URL ({})",
            ctx.info.name
        )));
    }
    let exists = ctx
        .state
        .storage
        .get(
            ctx.r,
            if ctx.r.namespaced {
                &ctx.info.namespace
            } else {
                ""
            },
            &ctx.info.name,
        )
        .await?
        .is_some();
    if !exists && ctx.info.subresource.is_empty() {
        let body = serde_json::to_vec(&config).map_err(|e| ApiError::internal(e.to_string()))?;
        return rest::create(ctx, &body).await;
    }
    rest::modify(ctx, Change::Patch("strategic", config)).await
}
