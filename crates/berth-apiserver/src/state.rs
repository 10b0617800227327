//! The API server's shared state and configuration.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use crate::authz::RbacCache;
use crate::jwt::TokenSigner;
use crate::pki::Pki;
use crate::storage::Storage;

/// Configuration of `berth server`'s API server.
#[derive(Clone, Debug)]
pub struct Config {
    pub data_dir: PathBuf,
    pub bind_address: IpAddr,
    pub advertise_address: IpAddr,
    pub port: u16,
    pub write_kubeconfig: Option<PathBuf>,
    /// etcd endpoints; empty = embedded SQLite under the data dir.
    pub datastore_endpoints: Vec<String>,
    pub service_cidr: (Ipv4Addr, u8),
    pub cluster_cidr: (Ipv4Addr, u8),
    pub node_port_range: (u16, u16),
    pub default_not_ready_toleration_seconds: i64,
    pub default_unreachable_toleration_seconds: i64,
    /// How often store history is compacted (kube-apiserver's `--etcd-compaction-interval`).
    pub compaction_interval: std::time::Duration,
}

impl Config {
    /// The first address of the service CIDR: the `kubernetes` service's cluster IP.
    pub fn kubernetes_service_ip(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.service_cidr.0) + 1)
    }
    /// The tenth address of the service CIDR: cluster DNS.
    pub fn dns_service_ip(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.service_cidr.0) + 10)
    }
}

/// Parses `a.b.c.d/n` (IPv4), normalizing the address to the network.
pub fn parse_cidr(s: &str) -> Result<(Ipv4Addr, u8), String> {
    let (ip, bits) = s
        .split_once('/')
        .ok_or_else(|| format!("invalid CIDR {s:?}: expected a.b.c.d/n"))?;
    let ip: Ipv4Addr = ip
        .parse()
        .map_err(|_| format!("invalid CIDR {s:?}: bad IPv4 address"))?;
    let bits: u8 = bits
        .parse()
        .ok()
        .filter(|b| (8..=30).contains(b))
        .ok_or_else(|| format!("invalid CIDR {s:?}: prefix length must be 8..30"))?;
    let mask = u32::MAX << (32 - bits);
    Ok((Ipv4Addr::from(u32::from(ip) & mask), bits))
}

/// Who made a request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub uid: String,
    pub groups: Vec<String>,
}

impl User {
    pub fn anonymous() -> User {
        User {
            name: "system:anonymous".into(),
            uid: String::new(),
            groups: vec!["system:unauthenticated".into()],
        }
    }
    pub fn is_anonymous(&self) -> bool {
        self.name == "system:anonymous"
    }
}

/// Everything the request handlers share.
pub struct State {
    pub config: Config,
    pub storage: Storage,
    pub pki: Pki,
    pub tokens: TokenSigner,
    pub rbac: RbacCache,
    pub ready: AtomicBool,
    pub metrics: crate::metrics::Metrics,
}
