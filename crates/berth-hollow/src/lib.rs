//! Hollow nodes, berth's kwok: simulated kubelets that register nodes, renew their
//! Leases and play the pods bound to them, many nodes in one process.
//!
//! Two tasks do all the work: [`heartbeat`] visits every node in batches (Lease renewal,
//! node status on change and every minute) and [`pods`] watches all bound pods once and
//! moves the ones on hollow nodes through their lifecycle.

mod events;
mod heartbeat;
mod image;
mod ipam;
mod node;
mod pods;
mod status;

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::Node;
use kube::api::Api;
use kube::runtime::{reflector, watcher, WatchStreamExt};

pub use node::{CONTAINER_RUNTIME_VERSION, KUBELET_VERSION};

/// What `berth hollow-nodes` simulates.
#[derive(Clone, Debug)]
pub struct Options {
    /// Number of nodes.
    pub count: usize,
    /// Node names are `<prefix>-<index>`.
    pub prefix: String,
    /// CPU capacity of each node (a quantity such as `4` or `3500m`).
    pub cpu: String,
    /// Memory capacity of each node (a quantity such as `16Gi`).
    pub memory: String,
    /// Pod capacity of each node.
    pub max_pods: u32,
    /// How long containers of restartPolicy Never/OnFailure pods run before they
    /// succeed.
    pub complete_after: Duration,
    /// Images whose pulls fail: the exact image string, or a repository without tag.
    pub fail_image_pull: Vec<String>,
}

/// Why hollow nodes cannot run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `--count 0`.
    #[error("--count must be at least 1")]
    NoNodes,
    /// The prefix would not make valid node names.
    #[error("invalid --prefix {0:?}: node names must be lowercase DNS names (a-z, 0-9, '-', '.'), starting and ending with a letter or digit")]
    InvalidPrefix(String),
    /// A capacity is not a Kubernetes quantity.
    #[error("invalid --{flag} {value:?}: expected a quantity such as 4, 500m or 16Gi")]
    InvalidQuantity { flag: &'static str, value: String },
    /// The pod watch stream ended, which kube's watcher never does on its own.
    #[error("the pod watch ended unexpectedly; restart berth hollow-nodes")]
    WatchEnded,
}

fn validate(options: &Options) -> Result<(), Error> {
    if options.count == 0 {
        return Err(Error::NoNodes);
    }
    let p = &options.prefix;
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.';
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if p.len() > 230
        || !p.chars().all(ok_char)
        || !alnum(p.chars().next())
        || !alnum(p.chars().last())
    {
        return Err(Error::InvalidPrefix(p.clone()));
    }
    for (flag, value) in [("cpu", &options.cpu), ("memory", &options.memory)] {
        if !is_quantity(value) {
            return Err(Error::InvalidQuantity {
                flag,
                value: value.clone(),
            });
        }
    }
    Ok(())
}

/// Whether `s` is a plain Kubernetes quantity: a decimal number and an optional suffix.
fn is_quantity(s: &str) -> bool {
    const SUFFIXES: [&str; 14] = [
        "", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei",
    ];
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, suffix) = s.split_at(split);
    !number.is_empty()
        && number.matches('.').count() <= 1
        && number.chars().any(|c| c.is_ascii_digit())
        && SUFFIXES.contains(&suffix)
}

/// Runs the hollow nodes until the process ends: registers (or re-adopts) the nodes,
/// then keeps their Leases and status fresh and plays kubelet for their pods.
pub async fn run(client: kube::Client, options: Options) -> Result<(), Error> {
    validate(&options)?;
    tracing::info!(count = options.count, prefix = %options.prefix, "starting hollow nodes");
    let set = Arc::new(node::NodeSet::new(&options.prefix, options.count));
    let options = Arc::new(options);

    let (nodes, writer) = reflector::store();
    let selector = format!("{}={}", node::HOLLOW_LABEL.0, node::HOLLOW_LABEL.1);
    let node_watch = reflector(
        writer,
        watcher(
            Api::<Node>::all(client.clone()),
            watcher::Config::default().labels(&selector),
        ),
    )
    .default_backoff()
    .for_each(|r| async move {
        if let Err(e) = r {
            tracing::warn!(error = %e, "node watch failed, retrying");
        }
    });
    tokio::spawn(node_watch);

    let heartbeat = heartbeat::Heartbeat {
        client: client.clone(),
        set: set.clone(),
        options: options.clone(),
        nodes: nodes.clone(),
    };
    heartbeat.register_all().await;
    // The pod CIDRs come from the node store: let it fill before pods are started.
    let _ = tokio::time::timeout(Duration::from_secs(10), nodes.wait_until_ready()).await;
    tokio::spawn(heartbeat.run());

    pods::Kubelet {
        client,
        set,
        nodes,
        complete_after: options.complete_after,
        failing: image::FailingImages::new(&options.fail_image_pull),
    }
    .run()
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> Options {
        Options {
            count: 2,
            prefix: "hollow".into(),
            cpu: "4".into(),
            memory: "16Gi".into(),
            max_pods: 110,
            complete_after: Duration::from_secs(1),
            fail_image_pull: vec![],
        }
    }

    #[test]
    fn validates_options() {
        assert!(validate(&options()).is_ok());
        let bad = |f: fn(&mut Options)| {
            let mut o = options();
            f(&mut o);
            validate(&o).is_err()
        };
        assert!(bad(|o| o.count = 0));
        assert!(bad(|o| o.prefix = "Hollow".into()));
        assert!(bad(|o| o.prefix = "-h".into()));
        assert!(bad(|o| o.cpu = "four".into()));
        assert!(bad(|o| o.memory = "16GB".into()));
        assert!(!bad(|o| o.cpu = "3500m".into()));
        assert!(!bad(|o| o.memory = "1.5Gi".into()));
    }
}
