//! The controller manager of berth, in-process in `berth server`: one module per
//! controller (named as in kube-controller-manager), each a watch-driven reconcile loop
//! over a `kube::Client`, all run while this server holds the leader-election Lease.

pub mod events;
pub mod history;
pub mod leaderelection;
pub mod util;

pub mod cronjob;
pub mod daemonset;
pub mod deployment;
pub mod endpoints;
pub mod endpointslice;
pub mod garbagecollector;
pub mod job;
pub mod namespace;
pub mod nodeipam;
pub mod nodelifecycle;
pub mod replicaset;
pub mod serviceaccount;
pub mod statefulset;

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;

/// Settings of the controller manager (kube-controller-manager's flags).
#[derive(Clone, Debug)]
pub struct Options {
    /// Time a node may go without renewing its Lease before it is marked NotReady.
    pub node_monitor_grace_period: Duration,
    /// Pod CIDR of the cluster; each node gets a /`node_cidr_mask_size` of it.
    pub cluster_cidr: (Ipv4Addr, u8),
    pub node_cidr_mask_size: u8,
    /// Controllers not to run (by name, as in `--controllers=-name`).
    pub disabled: Vec<String>,
    /// This process's identity in leader election.
    pub identity: String,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            node_monitor_grace_period: Duration::from_secs(40),
            cluster_cidr: (Ipv4Addr::new(10, 244, 0, 0), 16),
            node_cidr_mask_size: 24,
            disabled: vec![],
            identity: "berth".into(),
        }
    }
}

/// What every controller gets.
pub struct Context {
    pub client: kube::Client,
    pub options: Options,
    pub recorder: events::Recorder,
}

type Runner = fn(Arc<Context>) -> BoxFuture<'static, ()>;

/// Every controller, by the name kube-controller-manager gives it.
pub const CONTROLLERS: &[(&str, Runner)] = &[
    ("replicaset-controller", |c| Box::pin(replicaset::run(c))),
    ("deployment-controller", |c| Box::pin(deployment::run(c))),
    ("daemonset-controller", |c| Box::pin(daemonset::run(c))),
    ("statefulset-controller", |c| Box::pin(statefulset::run(c))),
    ("job-controller", |c| Box::pin(job::run(c))),
    ("cronjob-controller", |c| Box::pin(cronjob::run(c))),
    ("ttl-after-finished-controller", |c| {
        Box::pin(job::ttl::run(c))
    }),
    ("garbage-collector-controller", |c| {
        Box::pin(garbagecollector::run(c))
    }),
    ("namespace-controller", |c| Box::pin(namespace::run(c))),
    ("endpoints-controller", |c| Box::pin(endpoints::run(c))),
    ("endpointslice-controller", |c| {
        Box::pin(endpointslice::run(c))
    }),
    ("serviceaccount-controller", |c| {
        Box::pin(serviceaccount::run(c))
    }),
    ("node-lifecycle-controller", |c| {
        Box::pin(nodelifecycle::run(c))
    }),
    ("node-ipam-controller", |c| Box::pin(nodeipam::run(c))),
];

/// Runs the controller manager until the process ends: waits for leadership, then runs
/// every enabled controller; stops them if leadership is lost and competes again.
pub async fn run(client: kube::Client, options: Options) {
    let ctx = Arc::new(Context {
        recorder: events::Recorder::new(
            client.clone(),
            "kube-controller-manager",
            &options.identity,
        ),
        client: client.clone(),
        options,
    });
    leaderelection::run_while_leader(
        client,
        "kube-controller-manager",
        ctx.options.identity.clone(),
        move || {
            let ctx = ctx.clone();
            async move {
                let mut tasks = tokio::task::JoinSet::new();
                for (name, runner) in CONTROLLERS {
                    if is_disabled(&ctx.options.disabled, name) {
                        tracing::info!(controller = name, "disabled");
                        continue;
                    }
                    let fut = runner(ctx.clone());
                    tasks.spawn(async move {
                        fut.await;
                        tracing::warn!(controller = name, "controller stopped");
                    });
                }
                while tasks.join_next().await.is_some() {}
            }
        },
    )
    .await
}

/// `--disable-controllers` accepts `name` or `name-controller`.
fn is_disabled(disabled: &[String], name: &str) -> bool {
    let short = name.trim_end_matches("-controller");
    disabled.iter().any(|d| d == name || d == short)
}
