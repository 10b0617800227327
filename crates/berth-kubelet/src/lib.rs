//! The node agent (berth's kubelet): a CRI v1 client ([`cri`]), the container runtime it
//! talks to ([`containerd`]), which berth runs as its own child unless pointed at an
//! existing one, and the agent itself ([`agent`]): node registration and status, pod
//! workers, and the HTTPS server ([`server`]) the API server reaches for logs, exec,
//! attach and port-forward.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use berth_kubelet::containerd::{Containerd, ContainerdOptions};
//!
//! let runtime = Containerd::start(ContainerdOptions::new("/var/lib/berth", "berth.local/pause:3.10")).await?;
//! let sandboxes = runtime.client().list_pod_sandbox(None).await?;
//! println!("{} sandboxes", sandboxes.len());
//! runtime.stop().await?;
//! # Ok(()) }
//! ```

pub mod agent;
pub mod containerd;
pub mod cri;
pub mod env;
pub mod images;
pub mod logs;
pub mod mounts;
pub mod probes;
pub mod resources;
pub mod server;
pub mod volumes;

pub use containerd::{Containerd, ContainerdError, ContainerdOptions};
pub use cri::{CriClient, CriError};
