//! The Node objects hollow kubelets register and the status they report
//! (pkg/kubelet/kubelet_node_status.go, pkg/kubelet/nodestatus).

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use k8s_openapi::api::core::v1::{
    DaemonEndpoint, Node, NodeAddress, NodeCondition, NodeDaemonEndpoints, NodeStatus,
    NodeSystemInfo,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;

use crate::image::hex_digest;
use crate::Options;

/// The kubelet version hollow nodes report.
pub const KUBELET_VERSION: &str = "v1.33.0";
/// The container runtime hollow nodes report.
pub const CONTAINER_RUNTIME_VERSION: &str = "containerd://1.6.0-hollow";
/// The label every hollow node carries.
pub const HOLLOW_LABEL: (&str, &str) = ("type", "hollow");
/// Ephemeral storage each node reports.
const EPHEMERAL_STORAGE: &str = "100Gi";

/// The names of the simulated nodes: `prefix-0 … prefix-(count-1)`.
#[derive(Clone, Debug)]
pub struct NodeSet {
    prefix: String,
    names: Vec<String>,
}

impl NodeSet {
    pub fn new(prefix: &str, count: usize) -> NodeSet {
        NodeSet {
            prefix: format!("{prefix}-"),
            names: (0..count).map(|i| format!("{prefix}-{i}")).collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn name(&self, index: usize) -> &str {
        &self.names[index]
    }

    /// The index of a node this process simulates, `None` for any other node.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        let i: usize = name.strip_prefix(&self.prefix)?.parse().ok()?;
        (self.names.get(i)? == name).then_some(i)
    }
}

/// The node's fake InternalIP, `10.250.x.y` (never contacted).
pub fn internal_ip(index: usize) -> Ipv4Addr {
    let i = index as u32;
    Ipv4Addr::new(10, 250, ((i / 250) % 256) as u8, (i % 250 + 1) as u8)
}

/// The Node object a hollow kubelet registers (metadata and status; `spec.podCIDR`
/// is the node-ipam controller's).
pub fn node(set: &NodeSet, index: usize, options: &Options, now: Timestamp) -> Node {
    Node {
        metadata: ObjectMeta {
            name: Some(set.name(index).to_string()),
            labels: Some(labels(set.name(index))),
            annotations: Some(BTreeMap::from([
                ("node.alpha.kubernetes.io/ttl".into(), "0".into()),
                (
                    "volumes.kubernetes.io/controller-managed-attach-detach".into(),
                    "true".into(),
                ),
            ])),
            ..Default::default()
        },
        spec: None,
        status: Some(status(set, index, options, None, now, true)),
    }
}

/// The labels kubelet sets on its node, plus `type=hollow`.
pub fn labels(name: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("beta.kubernetes.io/arch".into(), "amd64".into()),
        ("beta.kubernetes.io/os".into(), "linux".into()),
        ("kubernetes.io/arch".into(), "amd64".into()),
        ("kubernetes.io/hostname".into(), name.into()),
        ("kubernetes.io/os".into(), "linux".into()),
        (HOLLOW_LABEL.0.into(), HOLLOW_LABEL.1.into()),
    ])
}

/// The node status kubelet would report now. `current` is what the API server holds:
/// fields kubelet does not own are kept, and condition transition times (and, unless
/// `beat`, heartbeat times) are kept while a condition does not change.
pub fn status(
    set: &NodeSet,
    index: usize,
    options: &Options,
    current: Option<&NodeStatus>,
    now: Timestamp,
    beat: bool,
) -> NodeStatus {
    let mut s = current.cloned().unwrap_or_default();
    let resources = BTreeMap::from([
        ("cpu".to_string(), Quantity(options.cpu.clone())),
        (
            "ephemeral-storage".to_string(),
            Quantity(EPHEMERAL_STORAGE.to_string()),
        ),
        ("memory".to_string(), Quantity(options.memory.clone())),
        ("pods".to_string(), Quantity(options.max_pods.to_string())),
    ]);
    s.capacity = Some(resources.clone());
    s.allocatable = Some(resources);
    let old = current.and_then(|c| c.conditions.as_deref()).unwrap_or(&[]);
    let cond = |type_: &str, status: &str, reason: &str, message: &str| {
        let prev = old.iter().find(|c| c.type_ == type_);
        let unchanged = prev.is_some_and(|p| {
            p.status == status
                && p.reason.as_deref() == Some(reason)
                && p.message.as_deref() == Some(message)
        });
        let keep = |f: fn(&NodeCondition) -> Option<Time>| {
            prev.and_then(f).filter(|_| unchanged).unwrap_or(Time(now))
        };
        NodeCondition {
            type_: type_.into(),
            status: status.into(),
            reason: Some(reason.into()),
            message: Some(message.into()),
            last_heartbeat_time: Some(if beat {
                Time(now)
            } else {
                keep(|c| c.last_heartbeat_time.clone())
            }),
            last_transition_time: Some(keep(|c| c.last_transition_time.clone())),
        }
    };
    s.conditions = Some(vec![
        cond(
            "MemoryPressure",
            "False",
            "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available",
        ),
        cond(
            "DiskPressure",
            "False",
            "KubeletHasNoDiskPressure",
            "kubelet has no disk pressure",
        ),
        cond(
            "PIDPressure",
            "False",
            "KubeletHasSufficientPID",
            "kubelet has sufficient PID available",
        ),
        cond(
            "Ready",
            "True",
            "KubeletReady",
            "kubelet is posting ready status",
        ),
    ]);
    s.addresses = Some(vec![
        NodeAddress {
            type_: "InternalIP".into(),
            address: internal_ip(index).to_string(),
        },
        NodeAddress {
            type_: "Hostname".into(),
            address: set.name(index).into(),
        },
    ]);
    s.daemon_endpoints = Some(NodeDaemonEndpoints {
        kubelet_endpoint: Some(DaemonEndpoint { port: 10250 }),
    });
    let id = &hex_digest(&[set.name(index)])[..32];
    s.node_info = Some(NodeSystemInfo {
        architecture: "amd64".into(),
        boot_id: format!(
            "{}-{}-{}-{}-{}",
            &id[..8],
            &id[8..12],
            &id[12..16],
            &id[16..20],
            &id[20..32]
        ),
        container_runtime_version: CONTAINER_RUNTIME_VERSION.into(),
        kernel_version: "6.1.0-hollow".into(),
        kube_proxy_version: String::new(),
        kubelet_version: KUBELET_VERSION.into(),
        machine_id: id.into(),
        operating_system: "linux".into(),
        os_image: "berth hollow node".into(),
        swap: None,
        system_uuid: id.into(),
    });
    s
}

/// Whether `a` and `b` differ in anything but heartbeat times: the reason to write
/// a node status before the report period is over.
pub fn status_changed(a: &NodeStatus, b: &NodeStatus) -> bool {
    let strip = |s: &NodeStatus| {
        let mut s = s.clone();
        for c in s.conditions.iter_mut().flatten() {
            c.last_heartbeat_time = None;
        }
        serde_json::to_value(s).unwrap_or_default()
    };
    strip(a) != strip(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn options() -> Options {
        Options {
            count: 3,
            prefix: "hollow".into(),
            cpu: "4".into(),
            memory: "16Gi".into(),
            max_pods: 110,
            complete_after: Duration::from_secs(1),
            fail_image_pull: vec![],
        }
    }

    #[test]
    fn names() {
        let s = NodeSet::new("h", 12);
        assert_eq!(s.index_of("h-0"), Some(0));
        assert_eq!(s.index_of("h-11"), Some(11));
        assert_eq!(s.index_of("h-12"), None);
        assert_eq!(s.index_of("h-01"), None);
        assert_eq!(s.index_of("hh-1"), None);
        assert_eq!(s.index_of("h-x"), None);
        assert_eq!(internal_ip(0), Ipv4Addr::new(10, 250, 0, 1));
        assert_eq!(internal_ip(999), Ipv4Addr::new(10, 250, 3, 250));
    }

    #[test]
    fn status_keeps_times_until_something_changes() {
        let set = NodeSet::new("hollow", 3);
        let t0 = Timestamp::from_second(1_000_000).expect("time");
        let t1 = Timestamp::from_second(1_000_060).expect("time");
        let first = status(&set, 1, &options(), None, t0, true);
        let ready = |s: &NodeStatus| {
            s.conditions
                .iter()
                .flatten()
                .find(|c| c.type_ == "Ready")
                .cloned()
                .expect("Ready")
        };
        assert_eq!(ready(&first).status, "True");
        assert_eq!(ready(&first).reason.as_deref(), Some("KubeletReady"));
        let quiet = status(&set, 1, &options(), Some(&first), t1, false);
        assert!(!status_changed(&first, &quiet));
        assert_eq!(ready(&quiet).last_heartbeat_time, Some(Time(t0)));
        let beat = status(&set, 1, &options(), Some(&first), t1, true);
        assert_eq!(ready(&beat).last_heartbeat_time, Some(Time(t1)));
        assert_eq!(ready(&beat).last_transition_time, Some(Time(t0)));
        // The node lifecycle controller marked it Unknown: the next status differs.
        let mut lost = first.clone();
        for c in lost.conditions.iter_mut().flatten() {
            c.status = "Unknown".into();
            c.reason = Some("NodeStatusUnknown".into());
        }
        let back = status(&set, 1, &options(), Some(&lost), t1, false);
        assert!(status_changed(&lost, &back));
        assert_eq!(ready(&back).last_transition_time, Some(Time(t1)));
    }
}
