//! Hollow nodes (not implemented yet): berth's kwok.

use std::time::Duration;

/// What `berth hollow-nodes` simulates.
#[derive(Clone, Debug)]
pub struct Options {
    pub count: usize,
    pub prefix: String,
    pub cpu: String,
    pub memory: String,
    pub max_pods: u32,
    pub complete_after: Duration,
    pub fail_image_pull: Vec<String>,
}

/// Runs the hollow nodes until the process ends.
pub async fn run(_client: kube::Client, _options: Options) -> anyhow_free::Result<()> {
    std::future::pending::<()>().await;
    Ok(())
}

/// Minimal result alias so the crate needs no error crate of its own yet.
pub mod anyhow_free {
    pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;
}
