//! The scheduler of berth (not implemented yet): assigns pending pods to nodes.

/// Scheduler settings.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// This process's identity in leader election.
    pub identity: String,
}

/// Runs the scheduler until the process ends.
pub async fn run(_client: kube::Client, _options: Options) {
    std::future::pending::<()>().await
}
