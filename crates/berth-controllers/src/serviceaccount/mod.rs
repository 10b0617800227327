//! The serviceaccount controller (a `default` ServiceAccount in every active namespace)
//! and the root-ca-cert-publisher (the `kube-root-ca.crt` ConfigMap in every namespace),
//! as pkg/controller/serviceaccount and pkg/controller/certificates/rootcacertpublisher.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, ServiceAccount};
use kube::api::{Api, ObjectMeta, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use kube::ResourceExt;

use crate::util;
use crate::Context;

/// The ServiceAccounts every namespace gets (upstream's `ServiceAccountsControllerOptions`).
const SERVICE_ACCOUNTS: &[&str] = &["default"];
/// The ConfigMap the root CA is published in.
pub const ROOT_CA_CONFIGMAP: &str = "kube-root-ca.crt";
/// The annotation describing what the ConfigMap is for.
const DESCRIPTION_ANNOTATION: &str = "kubernetes.io/description";
const DESCRIPTION: &str = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";

#[derive(Debug, thiserror::Error)]
enum Error {
    #[error(transparent)]
    Kube(#[from] kube::Error),
    #[error("no root CA found in kube-system/{ROOT_CA_CONFIGMAP} yet")]
    NoRootCa,
}

/// Runs both controllers until the process ends.
pub async fn run(ctx: Arc<Context>) {
    tokio::join!(service_accounts(ctx.clone()), root_ca_publisher(ctx));
}

fn ns_ref<K: kube::Resource>(obj: &K) -> Option<ObjectRef<Namespace>> {
    obj.meta().namespace.as_deref().map(ObjectRef::new)
}

fn is_active(ns: &Namespace) -> bool {
    ns.metadata.deletion_timestamp.is_none()
        && ns.status.as_ref().and_then(|s| s.phase.as_deref()) != Some("Terminating")
}

/// Whether a create failed because the namespace is gone or terminating: not worth a retry.
fn namespace_gone(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404 || (s.code == 403 && s.message.contains("being terminated")))
}

fn error_policy(_ns: Arc<Namespace>, err: &Error, _ctx: Arc<Context>) -> Action {
    tracing::debug!(error = %err, "serviceaccount sync failed");
    Action::requeue(util::error_backoff())
}

async fn service_accounts(ctx: Arc<Context>) {
    let client = ctx.client.clone();
    let names = SERVICE_ACCOUNTS.join(",");
    let sa_config = watcher::Config::default().fields(&format!("metadata.name={names}"));
    Controller::new(
        Api::<Namespace>::all(client.clone()),
        watcher::Config::default(),
    )
    .watches(Api::<ServiceAccount>::all(client), sa_config, |sa| {
        ns_ref(&sa)
    })
    .run(sync_service_accounts, error_policy, ctx)
    .for_each(|_| async {})
    .await;
}

/// syncNamespace: creates the missing ServiceAccounts of an active namespace.
async fn sync_service_accounts(ns: Arc<Namespace>, ctx: Arc<Context>) -> Result<Action, Error> {
    if !is_active(&ns) {
        return Ok(Action::await_change());
    }
    let name = ns.name_any();
    let api: Api<ServiceAccount> = Api::namespaced(ctx.client.clone(), &name);
    for sa in SERVICE_ACCOUNTS {
        if api.get_opt(sa).await?.is_some() {
            continue;
        }
        let obj = ServiceAccount {
            metadata: ObjectMeta {
                name: Some(sa.to_string()),
                ..Default::default()
            },
            ..Default::default()
        };
        match api.create(&PostParams::default(), &obj).await {
            Ok(_) => {
                tracing::info!(namespace = %name, serviceaccount = sa, "created service account")
            }
            Err(kube::Error::Api(e)) if e.code == 409 => {}
            Err(e) if namespace_gone(&e) => return Ok(Action::await_change()),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Action::await_change())
}

async fn root_ca_publisher(ctx: Arc<Context>) {
    let client = ctx.client.clone();
    let cm_config =
        watcher::Config::default().fields(&format!("metadata.name={ROOT_CA_CONFIGMAP}"));
    let publisher = Arc::new(Publisher {
        ctx,
        root_ca: tokio::sync::OnceCell::new(),
    });
    Controller::new(
        Api::<Namespace>::all(client.clone()),
        watcher::Config::default(),
    )
    .watches(Api::<ConfigMap>::all(client), cm_config, |cm| ns_ref(&cm))
    .run(
        sync_root_ca,
        |_ns, err, _p| {
            tracing::debug!(error = %err, "root-ca-cert-publisher sync failed");
            Action::requeue(Duration::from_secs(2))
        },
        publisher,
    )
    .for_each(|_| async {})
    .await;
}

struct Publisher {
    ctx: Arc<Context>,
    /// The CA bundle to publish, read once from kube-system (the API server writes it there
    /// at start from its own PKI; the in-process client has no kubeconfig to read it from).
    root_ca: tokio::sync::OnceCell<String>,
}

impl Publisher {
    async fn root_ca(&self) -> Result<String, Error> {
        self.root_ca
            .get_or_try_init(|| async {
                let api: Api<ConfigMap> = Api::namespaced(self.ctx.client.clone(), "kube-system");
                let cm = api
                    .get_opt(ROOT_CA_CONFIGMAP)
                    .await?
                    .ok_or(Error::NoRootCa)?;
                cm.data
                    .and_then(|d| d.get("ca.crt").cloned())
                    .filter(|c| !c.is_empty())
                    .ok_or(Error::NoRootCa)
            })
            .await
            .cloned()
    }
}

/// rootcacertpublisher's syncNamespace: creates the ConfigMap, or puts back its data and
/// description annotation when they were changed.
async fn sync_root_ca(ns: Arc<Namespace>, p: Arc<Publisher>) -> Result<Action, Error> {
    if ns.metadata.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let root_ca = p.root_ca().await?;
    let name = ns.name_any();
    let api: Api<ConfigMap> = Api::namespaced(p.ctx.client.clone(), &name);
    let data = BTreeMap::from([("ca.crt".to_string(), root_ca)]);
    let Some(mut cm) = api.get_opt(ROOT_CA_CONFIGMAP).await? else {
        let cm = ConfigMap {
            metadata: ObjectMeta {
                name: Some(ROOT_CA_CONFIGMAP.into()),
                annotations: Some(BTreeMap::from([(
                    DESCRIPTION_ANNOTATION.to_string(),
                    DESCRIPTION.to_string(),
                )])),
                ..Default::default()
            },
            data: Some(data),
            ..Default::default()
        };
        return match api.create(&PostParams::default(), &cm).await {
            Ok(_) => Ok(Action::await_change()),
            Err(kube::Error::Api(e)) if e.code == 409 => Ok(Action::await_change()),
            Err(e) if namespace_gone(&e) => Ok(Action::await_change()),
            Err(e) => Err(e.into()),
        };
    };
    let described = cm
        .annotations()
        .get(DESCRIPTION_ANNOTATION)
        .is_some_and(|d| !d.is_empty());
    if cm.data.as_ref() == Some(&data) && described {
        return Ok(Action::await_change());
    }
    cm.data = Some(data);
    cm.annotations_mut()
        .insert(DESCRIPTION_ANNOTATION.into(), DESCRIPTION.into());
    match api
        .replace(ROOT_CA_CONFIGMAP, &PostParams::default(), &cm)
        .await
    {
        Ok(_) => Ok(Action::await_change()),
        Err(kube::Error::Api(e)) if e.code == 404 || e.code == 409 => {
            Ok(Action::requeue(Duration::from_secs(1)))
        }
        Err(e) => Err(e.into()),
    }
}
