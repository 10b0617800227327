//! The daemonset controller (not implemented yet).

use std::sync::Arc;

use crate::Context;

/// Runs the controller until the process ends.
pub async fn run(_ctx: Arc<Context>) {
    std::future::pending::<()>().await
}
