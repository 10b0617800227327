//! Watch: a chunked stream of `WatchEvent`s from the store's watch, filtered by selectors.

use std::sync::Arc;
use std::time::Duration;

use berth_store::{Event, StoreError};
use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::response::{Rendering, Reply};
use crate::rest::{Ctx, Filter};
use crate::state::State;
use crate::status::{ApiError, ApiResult};
use crate::storage;

/// Interval between BOOKMARK events when the client allows them.
const BOOKMARK_EVERY: Duration = Duration::from_secs(60);

/// GET with `watch=true`.
pub async fn watch(state: Arc<State>, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let filter = Filter::from_query(ctx)?;
    let q = |k: &str| {
        ctx.query
            .get(k)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    };
    let prefix = storage::prefix(
        ctx.r,
        if ctx.r.namespaced {
            &ctx.info.namespace
        } else {
            ""
        },
    );
    let rv = q("resourceVersion").unwrap_or("");
    let send_initial = q("sendInitialEvents") == Some("true");
    let bookmarks = q("allowWatchBookmarks") == Some("true");
    let timeout = match q("timeoutSeconds") {
        Some(t) => Duration::from_secs(
            t.parse()
                .map_err(|_| ApiError::bad_request(format!("invalid timeoutSeconds: {t}")))?,
        ),
        None => {
            let mut b = [0u8; 2];
            let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b);
            Duration::from_secs(1800 + u64::from(u16::from_le_bytes(b)) % 1800)
        }
    };
    // Where the event stream starts, and the synthetic ADDED events that come first.
    let mut initial = Vec::new();
    let start = if rv.is_empty() || rv == "0" || send_initial {
        let resp = state.storage.store.list(&prefix, "", 0, 0).await?;
        for kv in &resp.kvs {
            let obj = storage::decode_as(ctx.r, kv)?;
            if filter.matches(&obj) {
                initial.push(obj);
            }
        }
        resp.revision
    } else {
        storage::parse_rv(rv)?
    };
    let stream = match state.storage.store.watch(&prefix, start).await {
        Ok(s) => s,
        Err(StoreError::Compacted {
            requested,
            compact_revision,
        }) => {
            // kube-apiserver answers 200 and a single ERROR event with 410
            let (tx, rx) = mpsc::channel(2);
            let status = ApiError::gone(format!(
                "too old resource version: {requested} ({compact_revision})"
            ))
            .to_status();
            let _ = tx.try_send(line("ERROR", &status));
            return Ok(Reply::Stream {
                content_type: "application/json",
                rx,
            });
        }
        Err(e) => return Err(e.into()),
    };
    let (tx, rx) = mpsc::channel::<Bytes>(256);
    let kind = ctx.r.kind;
    let r = ctx.r;
    let raw = filter.is_everything()
        && rendering_is_object(ctx.rendering)
        && std::ptr::eq(crate::conversion::storage_resource(r), r);
    let api_version = ctx.r.api_version();
    let rendering = ctx.rendering;
    tokio::spawn(async move {
        let render = |obj: Value| -> Value {
            match rendering {
                Rendering::Table => berth_api::table::table(
                    kind,
                    &[obj],
                    berth_api::table::IncludeObject::Metadata,
                    chrono::Utc::now(),
                    json!({}),
                ),
                Rendering::PartialMetadata => {
                    json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj.get("metadata").cloned().unwrap_or(json!({}))})
                }
                Rendering::Object => obj,
            }
        };
        for obj in initial {
            if tx.send(line("ADDED", &render(obj))).await.is_err() {
                return;
            }
        }
        let bookmark = |rev: i64, end: bool| {
            let mut m = json!({"resourceVersion": rev.to_string()});
            if end {
                m["annotations"] = json!({"k8s.io/initial-events-end": "true"});
            }
            line(
                "BOOKMARK",
                &json!({"kind": kind, "apiVersion": api_version, "metadata": m}),
            )
        };
        let mut last_rev = start;
        if send_initial && bookmarks && tx.send(bookmark(last_rev, true)).await.is_err() {
            return;
        }
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        let mut tick =
            tokio::time::interval_at(tokio::time::Instant::now() + BOOKMARK_EVERY, BOOKMARK_EVERY);
        let mut stream = stream;
        loop {
            tokio::select! {
                _ = &mut deadline => return,
                _ = tx.closed() => return,
                _ = tick.tick(), if bookmarks => {
                    if tx.send(bookmark(last_rev, false)).await.is_err() { return; }
                }
                ev = stream.next() => {
                    let ev = match ev {
                        Some(Ok(ev)) => ev,
                        Some(Err(StoreError::Compacted { requested, compact_revision })) => {
                            let status = ApiError::gone(format!("too old resource version: {requested} ({compact_revision})")).to_status();
                            let _ = tx.send(line("ERROR", &status)).await;
                            return;
                        }
                        Some(Err(e)) => {
                            let status = ApiError::internal(e.to_string()).to_status();
                            let _ = tx.send(line("ERROR", &status)).await;
                            return;
                        }
                        None => return,
                    };
                    last_rev = ev.revision();
                    // Unfiltered watches of objects as stored send the stored bytes with the
                    // resourceVersion spliced in: no parsing or re-encoding per watcher.
                    if raw {
                        if let Some(l) = raw_line(&ev) {
                            if tx.send(l).await.is_err() { return; }
                            continue;
                        }
                    }
                    if let Some((ty, obj)) = classify(r, &filter, &ev) {
                        if tx.send(line(ty, &render(obj))).await.is_err() { return; }
                    }
                }
            }
        }
    });
    Ok(Reply::Stream {
        content_type: "application/json",
        rx,
    })
}

fn rendering_is_object(r: Rendering) -> bool {
    r == Rendering::Object
}

/// The watch event line for an unfiltered watch, built from the stored bytes.
fn raw_line(ev: &Event) -> Option<Bytes> {
    let (ty, obj) = match ev {
        Event::Put { kv, prev } => (
            if prev.is_some() { "MODIFIED" } else { "ADDED" },
            storage::with_resource_version(&kv.value, kv.mod_revision)?,
        ),
        Event::Delete { prev, revision } => (
            "DELETED",
            storage::with_resource_version(&prev.value, *revision)?,
        ),
    };
    let mut v = Vec::with_capacity(obj.len() + 32);
    v.extend_from_slice(b"{\"type\":\"");
    v.extend_from_slice(ty.as_bytes());
    v.extend_from_slice(b"\",\"object\":");
    v.extend_from_slice(&obj);
    v.extend_from_slice(b"}\n");
    Some(Bytes::from(v))
}

/// Turns a store event into a watch event type and object, applying the filter with
/// transitions: an object leaving the selection is DELETED, one entering it ADDED.
fn classify(
    r: &'static berth_api::registry::ResourceInfo,
    filter: &Filter,
    ev: &Event,
) -> Option<(&'static str, Value)> {
    match ev {
        Event::Put { kv, prev } => {
            let obj = storage::decode_as(r, kv).ok()?;
            let now = filter.matches(&obj);
            let before = match prev {
                Some(p) => storage::decode_as(r, p)
                    .ok()
                    .is_some_and(|o| filter.matches(&o)),
                None => false,
            };
            match (before, now) {
                (false, true) => Some(("ADDED", obj)),
                (true, true) => Some(("MODIFIED", obj)),
                (true, false) => Some(("DELETED", obj)),
                (false, false) => None,
            }
        }
        Event::Delete { prev, revision } => {
            let obj = crate::conversion::from_storage(
                r,
                storage::decode_at(&prev.value, *revision).ok()?,
            );
            filter.matches(&obj).then_some(("DELETED", obj))
        }
    }
}

fn line(ty: &str, obj: &Value) -> Bytes {
    let mut v = serde_json::to_vec(&json!({"type": ty, "object": obj})).unwrap_or_default();
    v.push(b'\n');
    Bytes::from(v)
}
