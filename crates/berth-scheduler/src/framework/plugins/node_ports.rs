//! NodePorts: a pod's hostPorts must be free on the node (same protocol and port
//! conflict when the IPs are equal or either is 0.0.0.0).

use crate::framework::{FilterPlugin, NodeInfo, PodInfo, Status};

/// Upstream's ErrReason.
pub const ERR_REASON: &str = "node(s) didn't have free ports for the requested pod ports";

/// The NodePorts filter.
pub struct NodePorts;

impl FilterPlugin for NodePorts {
    fn name(&self) -> &'static str {
        "NodePorts"
    }

    fn filter(&self, pod: &PodInfo, node: &NodeInfo) -> Result<(), Status> {
        for want in &pod.host_ports {
            let Some(ips) = node.used_ports.get(&(want.protocol.clone(), want.port)) else {
                continue;
            };
            let conflict = ips
                .iter()
                .any(|ip| ip == &want.ip || ip == "0.0.0.0" || want.ip == "0.0.0.0");
            if conflict {
                return Err(Status::unschedulable(ERR_REASON));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::types::HostPort;

    fn pod_with(ip: &str, port: i32) -> PodInfo {
        let mut p = PodInfo::new(std::sync::Arc::new(Default::default()));
        p.host_ports = vec![HostPort {
            protocol: "TCP".into(),
            ip: ip.into(),
            port,
        }];
        p
    }

    #[test]
    fn conflicts() {
        let mut node = NodeInfo::default();
        node.add_pod(&pod_with("10.0.0.1", 80));
        assert!(NodePorts.filter(&pod_with("10.0.0.2", 80), &node).is_ok());
        assert!(NodePorts.filter(&pod_with("10.0.0.1", 80), &node).is_err());
        assert!(NodePorts.filter(&pod_with("0.0.0.0", 80), &node).is_err());
        assert!(NodePorts.filter(&pod_with("0.0.0.0", 81), &node).is_ok());
        node.remove_pod(&pod_with("10.0.0.1", 80));
        assert!(NodePorts.filter(&pod_with("0.0.0.0", 80), &node).is_ok());
    }
}
