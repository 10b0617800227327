//! What the plugins look at: a pod's scheduling facts (PodInfo) and a node's aggregated
//! state (NodeInfo), as in upstream's framework/types.go.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Container, Node, Pod, Taint};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

/// Requests assumed for scoring when a container requests no cpu (upstream's
/// DefaultMilliCPURequest) and no memory (DefaultMemoryRequest, 200 MiB).
pub const DEFAULT_MILLI_CPU_REQUEST: i64 = 100;
pub const DEFAULT_MEMORY_REQUEST: i64 = 200 * 1024 * 1024;

/// Amounts of resources: cpu in millicores, the rest in their base unit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resource {
    pub milli_cpu: i64,
    pub memory: i64,
    pub ephemeral_storage: i64,
    /// Pod count (only meaningful for allocatable).
    pub allowed_pods: i64,
    /// Extended and hugepages resources by name.
    pub scalar: BTreeMap<String, i64>,
}

impl Resource {
    /// Reads a resource list (requests, limits, allocatable, overhead).
    pub fn from_list(list: &BTreeMap<String, Quantity>) -> Resource {
        let mut r = Resource::default();
        for (name, q) in list {
            r.set(name, &q.0);
        }
        r
    }

    fn set(&mut self, name: &str, q: &str) {
        match name {
            "cpu" => self.milli_cpu = parse_milli(q).unwrap_or(0),
            "memory" => self.memory = parse_value(q).unwrap_or(0),
            "ephemeral-storage" => self.ephemeral_storage = parse_value(q).unwrap_or(0),
            "pods" => self.allowed_pods = parse_value(q).unwrap_or(0),
            _ => {
                self.scalar
                    .insert(name.to_string(), parse_value(q).unwrap_or(0));
            }
        }
    }

    /// Adds `o` to `self`.
    pub fn add(&mut self, o: &Resource) {
        self.milli_cpu += o.milli_cpu;
        self.memory += o.memory;
        self.ephemeral_storage += o.ephemeral_storage;
        self.allowed_pods += o.allowed_pods;
        for (k, v) in &o.scalar {
            *self.scalar.entry(k.clone()).or_default() += v;
        }
    }

    /// Subtracts `o` from `self`.
    pub fn sub(&mut self, o: &Resource) {
        self.milli_cpu -= o.milli_cpu;
        self.memory -= o.memory;
        self.ephemeral_storage -= o.ephemeral_storage;
        self.allowed_pods -= o.allowed_pods;
        for (k, v) in &o.scalar {
            *self.scalar.entry(k.clone()).or_default() -= v;
        }
    }

    /// Each resource the larger of `self` and `o`.
    pub fn max_with(&mut self, o: &Resource) {
        self.milli_cpu = self.milli_cpu.max(o.milli_cpu);
        self.memory = self.memory.max(o.memory);
        self.ephemeral_storage = self.ephemeral_storage.max(o.ephemeral_storage);
        for (k, v) in &o.scalar {
            let e = self.scalar.entry(k.clone()).or_default();
            *e = (*e).max(*v);
        }
    }
}

/// Splits a quantity into its number and the factor its suffix stands for.
fn split_quantity(s: &str) -> Option<(f64, f64)> {
    let s = s.trim();
    let suffixes: [(&str, f64); 14] = [
        ("Ki", 1024f64),
        ("Mi", 1024f64.powi(2)),
        ("Gi", 1024f64.powi(3)),
        ("Ti", 1024f64.powi(4)),
        ("Pi", 1024f64.powi(5)),
        ("Ei", 1024f64.powi(6)),
        ("n", 1e-9),
        ("u", 1e-6),
        ("m", 1e-3),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
    ];
    for (suf, factor) in suffixes {
        if let Some(num) = s.strip_suffix(suf) {
            return Some((num.parse().ok()?, factor));
        }
    }
    if let Some(num) = s.strip_suffix('E') {
        return Some((num.parse().ok()?, 1e18));
    }
    // Plain numbers, including decimal exponents such as 129e6.
    Some((s.parse().ok()?, 1.0))
}

/// A quantity in thousandths, rounded up (as resource.Quantity.MilliValue does).
pub fn parse_milli(s: &str) -> Option<i64> {
    let (n, f) = split_quantity(s)?;
    Some((n * f * 1000.0 - 1e-6).ceil() as i64)
}

/// A quantity in units, rounded up (as resource.Quantity.Value does).
pub fn parse_value(s: &str) -> Option<i64> {
    let (n, f) = split_quantity(s)?;
    Some((n * f - 1e-9).ceil() as i64)
}

/// A host port a pod asks for: (protocol, hostIP, port).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HostPort {
    pub protocol: String,
    pub ip: String,
    pub port: i32,
}

/// A pending pod with what scheduling needs computed once.
#[derive(Debug)]
pub struct PodInfo {
    pub pod: Arc<Pod>,
    pub uid: String,
    pub namespace: String,
    pub name: String,
    pub priority: i32,
    /// Effective requests: containers, init-container max rule, sidecars, overhead.
    pub requests: Resource,
    /// cpu and memory requests with upstream's non-zero defaults, for scoring.
    pub non_zero_cpu: i64,
    pub non_zero_memory: i64,
    pub host_ports: Vec<HostPort>,
    /// uid of the controlling owner (ReplicaSet, StatefulSet, ...), for spreading.
    pub owner: Option<String>,
}

fn container_requests(c: &Container) -> Resource {
    let Some(res) = &c.resources else {
        return Resource::default();
    };
    let mut list = res.requests.clone().unwrap_or_default();
    // Limits stand in for missing requests (API defaulting does the same).
    if let Some(limits) = &res.limits {
        for (k, v) in limits {
            list.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    Resource::from_list(&list)
}

/// Upstream's resource.PodRequests: sum of containers, at least the largest init
/// container (with restartable sidecars running alongside), plus overhead.
pub fn pod_requests(pod: &Pod) -> Resource {
    let mut reqs = Resource::default();
    let Some(spec) = &pod.spec else {
        return reqs;
    };
    for c in &spec.containers {
        reqs.add(&container_requests(c));
    }
    let mut sidecars = Resource::default();
    let mut init_max = Resource::default();
    for ic in spec.init_containers.iter().flatten() {
        let r = container_requests(ic);
        let effective = if ic.restart_policy.as_deref() == Some("Always") {
            reqs.add(&r);
            sidecars.add(&r);
            sidecars.clone()
        } else {
            let mut t = r;
            t.add(&sidecars);
            t
        };
        init_max.max_with(&effective);
    }
    reqs.max_with(&init_max);
    if let Some(o) = &spec.overhead {
        reqs.add(&Resource::from_list(o));
    }
    reqs
}

/// cpu and memory with upstream's per-container non-zero defaults (scoring only).
fn non_zero_requests(pod: &Pod) -> (i64, i64) {
    let Some(spec) = &pod.spec else {
        return (0, 0);
    };
    let nz = |c: &Container| {
        let r = container_requests(c);
        let cpu = if r.milli_cpu == 0 {
            DEFAULT_MILLI_CPU_REQUEST
        } else {
            r.milli_cpu
        };
        let mem = if r.memory == 0 {
            DEFAULT_MEMORY_REQUEST
        } else {
            r.memory
        };
        (cpu, mem)
    };
    let (mut cpu, mut mem) = (0, 0);
    for c in &spec.containers {
        let (a, b) = nz(c);
        cpu += a;
        mem += b;
    }
    for ic in spec.init_containers.iter().flatten() {
        let (a, b) = nz(ic);
        cpu = cpu.max(a);
        mem = mem.max(b);
    }
    if let Some(o) = &spec.overhead {
        let r = Resource::from_list(o);
        cpu += r.milli_cpu;
        mem += r.memory;
    }
    (cpu, mem)
}

fn host_ports(pod: &Pod) -> Vec<HostPort> {
    let Some(spec) = &pod.spec else {
        return vec![];
    };
    let mut out = vec![];
    for c in spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
    {
        for p in c.ports.iter().flatten() {
            let Some(port) = p.host_port.filter(|p| *p > 0) else {
                continue;
            };
            out.push(HostPort {
                protocol: p.protocol.clone().unwrap_or_else(|| "TCP".into()),
                ip: p
                    .host_ip
                    .clone()
                    .filter(|i| !i.is_empty())
                    .unwrap_or_else(|| "0.0.0.0".into()),
                port,
            });
        }
    }
    out
}

impl PodInfo {
    /// Computes the scheduling facts of `pod`.
    pub fn new(pod: Arc<Pod>) -> PodInfo {
        let (non_zero_cpu, non_zero_memory) = non_zero_requests(&pod);
        PodInfo {
            uid: pod.metadata.uid.clone().unwrap_or_default(),
            namespace: pod.metadata.namespace.clone().unwrap_or_default(),
            name: pod.metadata.name.clone().unwrap_or_default(),
            priority: pod.spec.as_ref().and_then(|s| s.priority).unwrap_or(0),
            requests: pod_requests(&pod),
            non_zero_cpu,
            non_zero_memory,
            host_ports: host_ports(&pod),
            owner: pod
                .metadata
                .owner_references
                .iter()
                .flatten()
                .find(|o| o.controller == Some(true))
                .map(|o| o.uid.clone()),
            pod,
        }
    }

    /// The pod's spec (always present on pods from the API server).
    pub fn spec(&self) -> Option<&k8s_openapi::api::core::v1::PodSpec> {
        self.pod.spec.as_ref()
    }
}

/// A node and what the pods on it (bound or assumed) use.
#[derive(Debug, Default)]
pub struct NodeInfo {
    pub name: String,
    /// None while pods reference a node the node watch has not delivered.
    pub node: Option<Arc<Node>>,
    pub allocatable: Resource,
    pub requested: Resource,
    pub non_zero_cpu: i64,
    pub non_zero_memory: i64,
    pub pod_count: i64,
    /// (protocol, port) → host IPs in use (one entry per pod using it).
    pub used_ports: HashMap<(String, i32), Vec<String>>,
    /// Controlling owner uid → pods of it on this node.
    pub owners: HashMap<String, u32>,
    /// Node taints plus the not-ready/unreachable NoSchedule taint the Ready condition implies.
    pub taints: Vec<Taint>,
    pub unschedulable: bool,
}

/// Taint keys of node conditions (upstream's v1.TaintNode*).
pub const TAINT_NOT_READY: &str = "node.kubernetes.io/not-ready";
pub const TAINT_UNREACHABLE: &str = "node.kubernetes.io/unreachable";
pub const TAINT_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";

impl NodeInfo {
    /// Sets the node object and what is derived from it.
    pub fn set_node(&mut self, node: Arc<Node>) {
        self.allocatable = node
            .status
            .as_ref()
            .and_then(|s| s.allocatable.as_ref())
            .map(Resource::from_list)
            .unwrap_or_default();
        let spec = node.spec.clone().unwrap_or_default();
        self.unschedulable = spec.unschedulable.unwrap_or(false);
        let mut taints = spec.taints.unwrap_or_default();
        // The node lifecycle controller taints nodes whose Ready condition is not True;
        // until it has, the condition itself keeps pods off (as the taint would).
        let ready = node
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .and_then(|cs| cs.iter().find(|c| c.type_ == "Ready"))
            .map(|c| c.status.clone());
        let implied = match ready.as_deref() {
            Some("True") => None,
            Some("Unknown") => Some(TAINT_UNREACHABLE),
            _ => Some(TAINT_NOT_READY),
        };
        if let Some(key) = implied {
            let has = taints.iter().any(|t| {
                (t.key == TAINT_NOT_READY || t.key == TAINT_UNREACHABLE)
                    && (t.effect == "NoSchedule" || t.effect == "NoExecute")
            });
            if !has {
                taints.push(Taint {
                    key: key.to_string(),
                    effect: "NoSchedule".into(),
                    ..Default::default()
                });
            }
        }
        self.taints = taints;
        self.node = Some(node);
    }

    /// Node labels.
    pub fn labels(&self) -> Option<&BTreeMap<String, String>> {
        self.node.as_ref().and_then(|n| n.metadata.labels.as_ref())
    }

    /// Accounts for a pod placed on this node.
    pub fn add_pod(&mut self, p: &PodInfo) {
        self.requested.add(&p.requests);
        self.non_zero_cpu += p.non_zero_cpu;
        self.non_zero_memory += p.non_zero_memory;
        self.pod_count += 1;
        for hp in &p.host_ports {
            self.used_ports
                .entry((hp.protocol.clone(), hp.port))
                .or_default()
                .push(hp.ip.clone());
        }
        if let Some(o) = &p.owner {
            *self.owners.entry(o.clone()).or_default() += 1;
        }
    }

    /// Undoes [`NodeInfo::add_pod`].
    pub fn remove_pod(&mut self, p: &PodInfo) {
        self.requested.sub(&p.requests);
        self.non_zero_cpu -= p.non_zero_cpu;
        self.non_zero_memory -= p.non_zero_memory;
        self.pod_count -= 1;
        for hp in &p.host_ports {
            let key = (hp.protocol.clone(), hp.port);
            if let Some(ips) = self.used_ports.get_mut(&key) {
                if let Some(i) = ips.iter().position(|ip| *ip == hp.ip) {
                    ips.swap_remove(i);
                }
                if ips.is_empty() {
                    self.used_ports.remove(&key);
                }
            }
        }
        if let Some(o) = &p.owner {
            if let Some(c) = self.owners.get_mut(o) {
                *c -= 1;
                if *c == 0 {
                    self.owners.remove(o);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{PodSpec, ResourceRequirements};

    fn container(cpu: &str, mem: &str) -> Container {
        Container {
            name: "c".into(),
            resources: Some(ResourceRequirements {
                requests: Some(
                    [
                        ("cpu".to_string(), Quantity(cpu.into())),
                        ("memory".to_string(), Quantity(mem.into())),
                    ]
                    .into(),
                ),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn quantities() {
        assert_eq!(parse_milli("100m"), Some(100));
        assert_eq!(parse_milli("1.5"), Some(1500));
        assert_eq!(parse_milli("2"), Some(2000));
        assert_eq!(parse_value("1Gi"), Some(1 << 30));
        assert_eq!(parse_value("129e6"), Some(129_000_000));
        assert_eq!(parse_value("1k"), Some(1000));
        assert_eq!(parse_value("110"), Some(110));
        assert_eq!(parse_value("x"), None);
    }

    #[test]
    fn init_containers_max_rule_and_overhead() {
        let pod = Pod {
            spec: Some(PodSpec {
                containers: vec![container("100m", "100Mi"), container("200m", "100Mi")],
                init_containers: Some(vec![container("500m", "50Mi")]),
                overhead: Some([("cpu".to_string(), Quantity("10m".into()))].into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let r = pod_requests(&pod);
        assert_eq!(r.milli_cpu, 510);
        assert_eq!(r.memory, 200 << 20);
    }

    #[test]
    fn sidecars_add_to_the_sum() {
        let mut sidecar = container("100m", "10Mi");
        sidecar.restart_policy = Some("Always".into());
        let pod = Pod {
            spec: Some(PodSpec {
                containers: vec![container("100m", "10Mi")],
                init_containers: Some(vec![sidecar, container("300m", "10Mi")]),
                ..Default::default()
            }),
            ..Default::default()
        };
        // max(100 + 100, 300 + 100)
        assert_eq!(pod_requests(&pod).milli_cpu, 400);
    }
}
