//! Packs per-pod, per-port subsets into the fewest Endpoints subsets (upstream's
//! `endpoints.RepackSubsets`): addresses that offer the same ports share one subset.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use k8s_openapi::api::core::v1::{EndpointAddress, EndpointPort, EndpointSubset};

/// A port as a comparable key: (name, port, protocol, appProtocol).
type PortKey = (Option<String>, i32, Option<String>, Option<String>);

fn port_key(p: &EndpointPort) -> PortKey {
    (
        p.name.clone(),
        p.port,
        p.protocol.clone(),
        p.app_protocol.clone(),
    )
}

fn port_from_key(k: &PortKey) -> EndpointPort {
    EndpointPort {
        name: k.0.clone(),
        port: k.1,
        protocol: k.2.clone(),
        app_protocol: k.3.clone(),
    }
}

/// Address identity: its IP and the uid of the object it points at.
fn address_key(a: &EndpointAddress) -> (String, String) {
    (
        a.ip.clone(),
        a.target_ref
            .as_ref()
            .and_then(|r| r.uid.clone())
            .unwrap_or_default(),
    )
}

/// Regroups `subsets` so that each subset holds every address (ready or not) offering
/// exactly its set of ports; subsets without ports are kept. The result is sorted.
pub fn repack_subsets(subsets: Vec<EndpointSubset>) -> Vec<EndpointSubset> {
    let mut addrs: Vec<EndpointAddress> = Vec::new();
    let mut addr_index: HashMap<(String, String), usize> = HashMap::new();
    // Port (None: the "no ports" sentinel) -> address index -> ready.
    let mut by_port: BTreeMap<Option<PortKey>, BTreeMap<usize, bool>> = BTreeMap::new();
    for subset in subsets {
        let ports: Vec<Option<PortKey>> = match &subset.ports {
            Some(p) if !p.is_empty() => p.iter().map(|p| Some(port_key(p))).collect(),
            _ => vec![None],
        };
        let listed = subset
            .addresses
            .into_iter()
            .flatten()
            .map(|a| (a, true))
            .chain(
                subset
                    .not_ready_addresses
                    .into_iter()
                    .flatten()
                    .map(|a| (a, false)),
            );
        for (addr, ready) in listed {
            let key = address_key(&addr);
            let idx = *addr_index.entry(key).or_insert_with(|| {
                addrs.push(addr);
                addrs.len() - 1
            });
            for port in &ports {
                let set = by_port.entry(port.clone()).or_default();
                // Ready wins when one address is listed both ways for a port.
                let seen = set.entry(idx).or_insert(ready);
                *seen = *seen || ready;
            }
        }
    }
    // Address set -> the ports it offers.
    let mut by_set: BTreeMap<Vec<(usize, bool)>, Vec<PortKey>> = BTreeMap::new();
    for (port, set) in by_port {
        let ports = by_set.entry(set.into_iter().collect()).or_default();
        if let Some(p) = port {
            ports.push(p);
        }
    }
    let mut out: Vec<EndpointSubset> = by_set
        .into_iter()
        .map(|(set, ports)| {
            let mut ready = Vec::new();
            let mut not_ready = Vec::new();
            for (idx, r) in set {
                let a = addrs[idx].clone();
                if r {
                    ready.push(a);
                } else {
                    not_ready.push(a);
                }
            }
            ready.sort_by(less_address);
            not_ready.sort_by(less_address);
            let mut ports: Vec<EndpointPort> = ports.iter().map(port_from_key).collect();
            ports.sort_by_key(port_key);
            EndpointSubset {
                addresses: non_empty(ready),
                not_ready_addresses: non_empty(not_ready),
                ports: non_empty(ports),
            }
        })
        .collect();
    out.sort_by_key(subset_sort_key);
    out
}

fn non_empty<T>(v: Vec<T>) -> Option<Vec<T>> {
    if v.is_empty() {
        None
    } else {
        Some(v)
    }
}

/// Orders addresses by IP (numerically), then by target uid.
fn less_address(a: &EndpointAddress, b: &EndpointAddress) -> std::cmp::Ordering {
    let ip = |s: &str| s.parse::<IpAddr>().ok();
    ip(&a.ip)
        .cmp(&ip(&b.ip))
        .then_with(|| a.ip.cmp(&b.ip))
        .then_with(|| address_key(a).1.cmp(&address_key(b).1))
}

/// Upstream sorts subsets by a hash of their contents; any stable order serves the same
/// purpose (equal inputs give equal objects), and this one reads well.
fn subset_sort_key(s: &EndpointSubset) -> (Vec<PortKey>, Option<IpAddr>, Option<IpAddr>) {
    let first = |v: &Option<Vec<EndpointAddress>>| {
        v.as_ref()
            .and_then(|v| v.first())
            .and_then(|a| a.ip.parse().ok())
    };
    (
        s.ports.iter().flatten().map(port_key).collect(),
        first(&s.addresses),
        first(&s.not_ready_addresses),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(ip: &str) -> EndpointAddress {
        EndpointAddress {
            ip: ip.into(),
            ..Default::default()
        }
    }

    fn port(name: &str, p: i32) -> EndpointPort {
        EndpointPort {
            name: Some(name.into()),
            port: p,
            protocol: Some("TCP".into()),
            app_protocol: None,
        }
    }

    fn one(ip: &str, ready: bool, ports: Vec<EndpointPort>) -> EndpointSubset {
        let a = Some(vec![addr(ip)]);
        EndpointSubset {
            addresses: if ready { a.clone() } else { None },
            not_ready_addresses: if ready { None } else { a },
            ports: Some(ports),
        }
    }

    fn ips(v: &Option<Vec<EndpointAddress>>) -> Vec<&str> {
        v.iter().flatten().map(|a| a.ip.as_str()).collect()
    }

    #[test]
    fn same_ports_share_a_subset_sorted_by_ip() {
        let out = repack_subsets(vec![
            one("10.244.1.9", true, vec![port("", 80)]),
            one("10.244.0.10", true, vec![port("", 80)]),
            one("10.244.0.9", false, vec![port("", 80)]),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(ips(&out[0].addresses), ["10.244.0.10", "10.244.1.9"]);
        assert_eq!(ips(&out[0].not_ready_addresses), ["10.244.0.9"]);
    }

    #[test]
    fn different_target_ports_split_subsets() {
        // a named targetPort resolving to different numbers per pod gives two subsets
        let out = repack_subsets(vec![
            one("10.0.0.1", true, vec![port("http", 8080)]),
            one("10.0.0.2", true, vec![port("http", 9090)]),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].ports.as_ref().map(|p| p[0].port), Some(8080));
        assert_eq!(ips(&out[1].addresses), ["10.0.0.2"]);
    }

    #[test]
    fn ports_of_one_address_are_merged_and_ready_wins() {
        let out = repack_subsets(vec![
            one("10.0.0.1", true, vec![port("a", 80)]),
            one("10.0.0.1", true, vec![port("b", 443)]),
            one("10.0.0.1", false, vec![port("a", 80)]),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].ports.as_ref().map(Vec::len), Some(2));
        assert_eq!(ips(&out[0].addresses), ["10.0.0.1"]);
        assert!(out[0].not_ready_addresses.is_none());
    }

    #[test]
    fn portless_addresses_are_kept() {
        let out = repack_subsets(vec![EndpointSubset {
            addresses: Some(vec![addr("10.0.0.3")]),
            not_ready_addresses: None,
            ports: None,
        }]);
        assert_eq!(out.len(), 1);
        assert!(out[0].ports.is_none());
        assert!(repack_subsets(vec![]).is_empty());
    }
}
