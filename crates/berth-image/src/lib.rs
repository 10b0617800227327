//! OCI images without internet: build an image from local files and binaries (with their
//! shared-library closure), write it as an OCI image layout archive, push it to a registry.
//!
//! Nothing here downloads anything: an image's content comes from the local filesystem,
//! and the only network traffic is the push to the registry the caller names (a local
//! one, such as Debian's `docker-registry`, serving as containerd's mirror of docker.io).
//!
//! The modules, in the order data flows through them:
//! - [`elf`], [`ldcache`], [`closure`]: which files a dynamic binary needs (as ld.so finds them);
//! - [`rootfs`]: the image's filesystem tree, filled from host paths;
//! - [`tar`]: deterministic tar writing (and the small reader the archive needs);
//! - [`oci`]: image-spec types (config, manifest, index) and digests;
//! - [`build`]: options → layer, config, manifest;
//! - [`archive`]: the OCI image layout archive (`oci-layout`, `index.json`, `blobs/sha256/…`);
//! - [`reference`]: image names (`redis` → `docker.io/library/redis:latest`);
//! - [`push`]: the OCI distribution API client (monolithic blob uploads, manifest PUT);
//! - [`serve`]: a read-only registry on loopback serving images and archives (for imports
//!   into containerd through CRI pulls).

pub mod archive;
pub mod build;
pub mod closure;
pub mod elf;
pub mod ldcache;
pub mod oci;
pub mod push;
pub mod reference;
pub mod rootfs;
pub mod serve;
pub mod tar;

mod error;

pub use archive::{read_archive, Archive};
pub use build::{build, build_from_rootfs, BuildOptions, Image};
pub use error::Error;
pub use push::{push_archive, PushOptions, PushReport};
pub use reference::Reference;

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
