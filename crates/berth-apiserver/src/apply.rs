//! Server-side apply (`application/apply-patch+yaml`): field ownership by manager,
//! conflicts (409 unless `force=true`) and pruning of fields a manager stopped applying,
//! computed by `berth_api::managedfields`.

use serde_json::Value;

use crate::response::Reply;
use crate::rest::{self, now_rfc3339, Change, Ctx};
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
    if let Some(e) = berth_api::fieldvalidation::type_error(&config, &ctx.r.definition_name()) {
        return Err(ApiError::bad_request(e));
    }
    let force = ctx.query.get("force").is_some_and(|f| f == "true");
    let ns = if ctx.r.namespaced {
        ctx.info.namespace.as_str()
    } else {
        ""
    };
    let exists = ctx
        .state
        .storage
        .get(ctx.r, ns, &ctx.info.name)
        .await?
        .is_some();
    if !exists && ctx.info.subresource.is_empty() {
        let (time, av) = (now_rfc3339(), ctx.r.api_version());
        let w = berth_api::managedfields::Writer {
            manager: &ctx.field_manager,
            api_version: &av,
            subresource: "",
            time: &time,
        };
        let created =
            berth_api::managedfields::apply(None, &config, &ctx.r.definition_name(), &w, force)
                .map_err(|_| ApiError::internal("conflict on a new object"))?;
        let entries = berth_api::managedfields::entries(&created);
        let body = serde_json::to_vec(&created).map_err(|e| ApiError::internal(e.to_string()))?;
        return rest::create_with(ctx, &body, Some(entries)).await;
    }
    rest::modify(ctx, Change::Apply(config, force)).await
}
