//! In-process clients: a `kube::Client` whose requests go straight into this API server's
//! handler (same authentication, authorization and admission as over HTTPS, without the
//! TLS and TCP round trip). Controllers and the scheduler in `berth server` use it.

use std::sync::Arc;

use crate::state::{State, User};

/// A client acting as `user` against the in-process API server.
pub fn local_client(state: Arc<State>, user: User) -> kube::Client {
    let svc = tower::service_fn(move |req: http::Request<kube::client::Body>| {
        let state = state.clone();
        let user = user.clone();
        async move {
            Ok::<_, std::convert::Infallible>(crate::server::handle(state, Some(user), req).await)
        }
    });
    kube::Client::new(svc, "default")
}

/// The identity of an in-process component: `name` in group `system:masters`.
///
/// Upstream's controller manager and scheduler run with narrower roles; berth's
/// in-process components share the process with the API server, so they get the
/// privileged group (see ARCHITECTURE.md).
pub fn component_user(name: &str) -> User {
    User {
        name: name.to_string(),
        uid: String::new(),
        groups: vec!["system:masters".into(), "system:authenticated".into()],
    }
}
