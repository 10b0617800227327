//! Authorization: RBAC over a cached snapshot of the RBAC objects, kept fresh by a watch.
//!
//! The watch task also plays kube-controller-manager's clusterrole-aggregation controller,
//! keeping `admin`, `edit` and `view` filled from the roles labelled to aggregate into them.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use berth_api::rbac::{Attributes, Decision, RbacSnapshot};
use futures_util::StreamExt;
use serde_json::Value;

use crate::request::RequestInfo;
use crate::state::{State, User};
use crate::storage::{self, Storage};

const RBAC_PREFIX: &str = "/registry/rbac.authorization.k8s.io/";

/// The current RBAC snapshot.
#[derive(Default)]
pub struct RbacCache {
    snapshot: RwLock<Arc<RbacSnapshot>>,
}

impl RbacCache {
    /// Authorizes a request; `Err(status)` carries kube-apiserver's 403 `Status`.
    pub fn authorize(&self, user: &User, info: &RequestInfo) -> Result<(), Value> {
        let attrs = Attributes {
            user: user.name.clone(),
            groups: user.groups.clone(),
            verb: info.verb.clone(),
            api_group: info.api_group.clone(),
            resource: info.resource.clone(),
            subresource: info.subresource.clone(),
            namespace: info.namespace.clone(),
            name: info.name.clone(),
            path: info.path.clone(),
            resource_request: info.resource_request,
        };
        let snap = self.snapshot.read().map(|s| s.clone()).unwrap_or_default();
        match snap.authorize(&attrs) {
            Decision::Allow => Ok(()),
            Decision::Deny { reason } => Err(berth_api::rbac::forbidden_status(&attrs, &reason)),
        }
    }

    /// Reloads the snapshot from the store; returns the revision it was read at.
    pub async fn reload(
        &self,
        storage: &Storage,
    ) -> Result<(Vec<Value>, i64), berth_store::StoreError> {
        let resp = storage.store.list(RBAC_PREFIX, "", 0, 0).await?;
        let objs: Vec<Value> = resp
            .kvs
            .iter()
            .filter_map(|kv| storage::decode(kv).ok())
            .collect();
        let snap = RbacSnapshot::from_objects(objs.iter());
        if let Ok(mut s) = self.snapshot.write() {
            *s = Arc::new(snap);
        }
        Ok((objs, resp.revision))
    }
}

/// Keeps the RBAC cache fresh and aggregated cluster roles filled, until the process ends.
pub async fn run(state: Arc<State>) {
    loop {
        let (objs, rev) = match state.rbac.reload(&state.storage).await {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!(error = %e, "reloading RBAC policy");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        aggregate(&state, &objs).await;
        let mut w = match state.storage.store.watch(RBAC_PREFIX, rev).await {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!(error = %e, "watching RBAC policy");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        // wait for a change, then let a burst of changes settle before reloading
        match w.next().await {
            Some(Ok(_)) => {
                let deadline = tokio::time::sleep(Duration::from_millis(20));
                tokio::pin!(deadline);
                loop {
                    tokio::select! {
                        _ = &mut deadline => break,
                        ev = w.next() => if !matches!(ev, Some(Ok(_))) { break },
                    }
                }
            }
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

async fn aggregate(state: &State, objs: &[Value]) {
    let cluster_roles: Vec<Value> = objs
        .iter()
        .filter(|o| o.get("kind").and_then(Value::as_str) == Some("ClusterRole"))
        .cloned()
        .collect();
    let Some(r) = berth_api::registry::find("rbac.authorization.k8s.io", "v1", "clusterroles")
    else {
        return;
    };
    for (name, rules) in berth_api::rbac::aggregate(&cluster_roles) {
        let Some(cur) = cluster_roles
            .iter()
            .find(|o| o.pointer("/metadata/name").and_then(Value::as_str) == Some(name.as_str()))
        else {
            continue;
        };
        let mut new = cur.clone();
        new["rules"] = Value::Array(rules);
        let rev = storage::revision_of(cur);
        if let Err(e) = state.storage.update(r, "", &name, &new, rev).await {
            tracing::warn!(role = %name, error = ?e.message, "aggregating cluster role");
        }
    }
}
