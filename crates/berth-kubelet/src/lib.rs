//! The node agent (berth's kubelet), foundation: a CRI v1 client ([`cri`]) and the
//! container runtime it talks to ([`containerd`]), which berth runs as its own child
//! unless pointed at an existing one.
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

pub mod containerd;
pub mod cri;
pub mod mounts;

pub use containerd::{Containerd, ContainerdError, ContainerdOptions};
pub use cri::{CriClient, CriError};
