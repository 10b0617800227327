//! Pod IP addresses from each node's pod CIDR (what the CNI host-local plugin does).

use std::collections::HashMap;
use std::net::Ipv4Addr;

/// An IPv4 network such as `10.244.3.0/24`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    base: u32,
    prefix: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/n`; `None` for anything else (IPv6 pod CIDRs are not simulated).
    pub fn parse(s: &str) -> Option<Cidr> {
        let (ip, prefix) = s.split_once('/')?;
        let ip: Ipv4Addr = ip.parse().ok()?;
        let prefix: u8 = prefix.parse().ok()?;
        if !(8..=30).contains(&prefix) {
            return None;
        }
        let mask = u32::MAX << (32 - prefix);
        Some(Cidr {
            base: u32::from(ip) & mask,
            prefix,
        })
    }

    /// The /24 a node gets when no node-ipam controller set `spec.podCIDR`:
    /// `10.244.<index>.0/24`, carrying into the second octet past 255.
    pub fn fallback(node_index: usize) -> Cidr {
        let base = u32::from(Ipv4Addr::new(10, 244, 0, 0))
            .wrapping_add((node_index as u32).wrapping_mul(256));
        Cidr { base, prefix: 24 }
    }

    /// Usable host offsets: the network address, the gateway (`.1`) and the broadcast
    /// address are skipped.
    fn hosts(&self) -> std::ops::Range<u32> {
        2..(1u32 << (32 - self.prefix)) - 1
    }
}

/// Addresses handed out per node, each owned by one pod uid.
#[derive(Debug, Default)]
pub struct Ipam {
    nodes: HashMap<usize, Pool>,
}

#[derive(Debug, Default)]
struct Pool {
    owner_of: HashMap<Ipv4Addr, String>,
    ip_of: HashMap<String, Ipv4Addr>,
    next: u32,
}

impl Ipam {
    /// Records an address a pod already has (re-adoption after a restart).
    pub fn reserve(&mut self, node: usize, uid: &str, ip: &str) {
        let Ok(ip) = ip.parse::<Ipv4Addr>() else {
            return;
        };
        let pool = self.nodes.entry(node).or_default();
        if pool.ip_of.get(uid) == Some(&ip) {
            return;
        }
        if let Some(old) = pool.owner_of.insert(ip, uid.to_string()) {
            pool.ip_of.remove(&old);
        }
        if let Some(prev) = pool.ip_of.insert(uid.to_string(), ip) {
            if prev != ip {
                pool.owner_of.remove(&prev);
            }
        }
    }

    /// The pod's address: the one it holds already, else the next free one in `cidr`.
    pub fn allocate(&mut self, node: usize, cidr: Cidr, uid: &str) -> Option<Ipv4Addr> {
        let pool = self.nodes.entry(node).or_default();
        if let Some(ip) = pool.ip_of.get(uid) {
            return Some(*ip);
        }
        let hosts = cidr.hosts();
        let size = hosts.end - hosts.start;
        for step in 0..size {
            let offset = hosts.start + (pool.next + step) % size;
            let ip = Ipv4Addr::from(cidr.base + offset);
            if !pool.owner_of.contains_key(&ip) {
                pool.next = (pool.next + step + 1) % size;
                pool.owner_of.insert(ip, uid.to_string());
                pool.ip_of.insert(uid.to_string(), ip);
                return Some(ip);
            }
        }
        None
    }

    /// Returns the pod's address to the pool (pod terminated or deleted).
    pub fn release(&mut self, node: usize, uid: &str) {
        if let Some(pool) = self.nodes.get_mut(&node) {
            if let Some(ip) = pool.ip_of.remove(uid) {
                pool.owner_of.remove(&ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs() {
        let c = Cidr::parse("10.244.3.0/24").expect("cidr");
        assert_eq!(c, Cidr::fallback(3));
        assert_eq!(
            Cidr::fallback(256),
            Cidr::parse("10.245.0.0/24").expect("cidr")
        );
        assert_eq!(Cidr::parse("10.244.3.7/24"), Some(c));
        assert_eq!(Cidr::parse("fd00::/64"), None);
        assert_eq!(Cidr::parse("10.0.0.0/31"), None);
    }

    #[test]
    fn allocates_reuses_and_releases() {
        let c = Cidr::parse("10.244.1.0/29").expect("cidr");
        let mut ipam = Ipam::default();
        ipam.reserve(0, "a", "10.244.1.2");
        let b = ipam.allocate(0, c, "b").expect("ip");
        assert_eq!(b, Ipv4Addr::new(10, 244, 1, 3));
        assert_eq!(ipam.allocate(0, c, "b"), Some(b));
        let got: Vec<_> = ["c", "d", "e"]
            .iter()
            .map(|u| ipam.allocate(0, c, u))
            .collect();
        assert_eq!(
            got,
            vec![
                Some(Ipv4Addr::new(10, 244, 1, 4)),
                Some(Ipv4Addr::new(10, 244, 1, 5)),
                Some(Ipv4Addr::new(10, 244, 1, 6)),
            ]
        );
        assert_eq!(ipam.allocate(0, c, "f"), None, "/29 has 5 pod addresses");
        ipam.release(0, "a");
        assert_eq!(ipam.allocate(0, c, "f"), Some(Ipv4Addr::new(10, 244, 1, 2)));
        // A pool per node.
        assert_eq!(ipam.allocate(1, c, "g"), Some(Ipv4Addr::new(10, 244, 1, 2)));
    }
}
