//! The Node object of a real node: capacity and conditions read from the machine, the
//! kubelet's Lease, and status reports on change plus a slow periodic refresh
//! (pkg/kubelet/kubelet_node_status.go, pkg/kubelet/nodelease).

use std::collections::BTreeMap;
use std::ffi::CStr;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::{
    DaemonEndpoint, Node, NodeAddress, NodeCondition, NodeDaemonEndpoints, NodeSpec, NodeStatus,
    NodeSystemInfo,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, OwnerReference, Time};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::json;

/// The kubelet version this agent reports (the API server reports v1.33 too).
pub const KUBELET_VERSION: &str = "v1.33.0";
/// Namespace of node Leases.
pub const LEASE_NAMESPACE: &str = "kube-node-lease";
/// Lease duration kubelet writes (nodeLeaseDurationSeconds).
pub const LEASE_DURATION_SECONDS: i32 = 40;
/// How often the Lease is renewed and the status checked (nodeStatusUpdateFrequency).
pub const RENEW_INTERVAL: Duration = Duration::from_secs(10);
/// An unchanged status is still written this often (nodeStatusReportFrequency).
pub const STATUS_REPORT_FREQUENCY: Duration = Duration::from_secs(300);
/// kubelet's default hard eviction threshold `memory.available<100Mi`, kept out of
/// allocatable.
const EVICTION_MEMORY: u64 = 100 * 1024 * 1024;

/// What the machine is, read once at start.
#[derive(Clone, Debug)]
pub struct Machine {
    pub cpus: u64,
    pub memory_bytes: u64,
    pub kernel_version: String,
    pub os_image: String,
    pub machine_id: String,
    pub boot_id: String,
    pub system_uuid: String,
    pub architecture: String,
}

fn read_trim(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// A `/proc/meminfo` field in bytes.
pub fn meminfo(field: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    text.lines().find_map(|l| {
        let rest = l.strip_prefix(field)?.strip_prefix(':')?;
        let kb: u64 = rest.trim().trim_end_matches("kB").trim().parse().ok()?;
        Some(kb * 1024)
    })
}

/// `PRETTY_NAME` of an os-release text.
fn pretty_name(os_release: &str) -> Option<String> {
    os_release.lines().find_map(|l| {
        l.strip_prefix("PRETTY_NAME=")
            .map(|v| v.trim().trim_matches('"').to_string())
    })
}

impl Machine {
    /// Reads the machine's facts from /proc, /etc and uname.
    pub fn read() -> Machine {
        let cpus = std::thread::available_parallelism()
            .map(|n| n.get() as u64)
            .unwrap_or(1);
        // SAFETY: uname fills a zeroed struct; its fields are NUL-terminated C strings.
        let kernel_version = unsafe {
            let mut u: libc::utsname = std::mem::zeroed();
            if libc::uname(&mut u) == 0 {
                CStr::from_ptr(u.release.as_ptr())
                    .to_string_lossy()
                    .into_owned()
            } else {
                String::new()
            }
        };
        let os_image = std::fs::read_to_string("/etc/os-release")
            .ok()
            .and_then(|t| pretty_name(&t))
            .unwrap_or_else(|| "Linux".into());
        let machine_id = read_trim("/etc/machine-id").unwrap_or_default();
        Machine {
            cpus,
            memory_bytes: meminfo("MemTotal").unwrap_or(0),
            kernel_version,
            os_image,
            boot_id: read_trim("/proc/sys/kernel/random/boot_id").unwrap_or_default(),
            system_uuid: read_trim("/sys/class/dmi/id/product_uuid")
                .unwrap_or_else(|| machine_id.clone()),
            machine_id,
            architecture: match std::env::consts::ARCH {
                "x86_64" => "amd64",
                "aarch64" => "arm64",
                other => other,
            }
            .to_string(),
        }
    }
}

/// The address of the interface that holds the default route (what kubelet picks as
/// the InternalIP when no --node-ip is given), else the first non-loopback IPv4
/// address, else 127.0.0.1. Reads /proc/net/route and the interfaces; sends nothing.
pub fn default_node_ip() -> IpAddr {
    let default_if = std::fs::read_to_string("/proc/net/route")
        .ok()
        .and_then(|t| {
            t.lines().skip(1).find_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                (f.len() > 2 && f[1] == "00000000").then(|| f[0].to_string())
            })
        });
    let addrs = interface_addresses();
    if let Some(name) = default_if {
        if let Some((_, ip)) = addrs.iter().find(|(n, _)| *n == name) {
            return IpAddr::V4(*ip);
        }
    }
    addrs
        .iter()
        .find(|(_, ip)| !ip.is_loopback())
        .map(|(_, ip)| IpAddr::V4(*ip))
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

/// The IPv4 addresses of this network namespace's interfaces, by interface name.
fn interface_addresses() -> Vec<(String, Ipv4Addr)> {
    let mut out = Vec::new();
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs allocates a list we walk read-only and free with freeifaddrs.
    unsafe {
        if libc::getifaddrs(&mut head) != 0 {
            return out;
        }
        let mut cur = head;
        while !cur.is_null() {
            let ifa = &*cur;
            if !ifa.ifa_addr.is_null() && i32::from((*ifa.ifa_addr).sa_family) == libc::AF_INET {
                let sin = &*(ifa.ifa_addr as *const libc::sockaddr_in);
                let ip = Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
                let name = CStr::from_ptr(ifa.ifa_name).to_string_lossy().into_owned();
                out.push((name, ip));
            }
            cur = ifa.ifa_next;
        }
        libc::freeifaddrs(head);
    }
    out
}

/// Size and free bytes of the filesystem holding `path`.
pub fn filesystem(path: &Path) -> Option<(u64, u64)> {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).ok()?;
    // SAFETY: statvfs fills a zeroed struct for a NUL-terminated path.
    unsafe {
        let mut s: libc::statvfs = std::mem::zeroed();
        if libc::statvfs(c.as_ptr(), &mut s) != 0 {
            return None;
        }
        let frsize = s.f_frsize as u64;
        Some((s.f_blocks as u64 * frsize, s.f_bavail as u64 * frsize))
    }
}

/// What a node's status is made of.
#[derive(Clone, Debug)]
pub struct NodeFacts {
    pub name: String,
    pub ip: IpAddr,
    pub machine: Machine,
    pub max_pods: u32,
    pub kubelet_port: u16,
    pub runtime_version: String,
    /// Filesystem size and free bytes of the data dir.
    pub fs: (u64, u64),
    pub mem_available: u64,
    /// Whether the runtime and the pod network are ready (else Ready=False with why).
    pub runtime_problem: Option<String>,
}

/// The labels kubelet sets on its node.
pub fn labels(name: &str, arch: &str, control_plane: bool) -> BTreeMap<String, String> {
    let mut l = BTreeMap::from([
        ("beta.kubernetes.io/arch".to_string(), arch.to_string()),
        ("beta.kubernetes.io/os".into(), "linux".into()),
        ("kubernetes.io/arch".into(), arch.to_string()),
        ("kubernetes.io/hostname".into(), name.into()),
        ("kubernetes.io/os".into(), "linux".into()),
    ]);
    if control_plane {
        l.insert(
            "node-role.kubernetes.io/control-plane".into(),
            String::new(),
        );
    }
    l
}

/// The node status kubelet would report now; condition transition times (and, unless
/// `beat`, heartbeat times) are kept from `current` while a condition does not change.
pub fn status(
    facts: &NodeFacts,
    current: Option<&NodeStatus>,
    now: Timestamp,
    beat: bool,
) -> NodeStatus {
    let mut s = current.cloned().unwrap_or_default();
    let m = &facts.machine;
    let (fs_size, fs_free) = facts.fs;
    let q = |s: String| Quantity(s);
    let capacity = BTreeMap::from([
        ("cpu".to_string(), q(m.cpus.to_string())),
        (
            "ephemeral-storage".into(),
            q(format!("{}Ki", fs_size / 1024)),
        ),
        ("hugepages-1Gi".into(), q("0".into())),
        ("hugepages-2Mi".into(), q("0".into())),
        ("memory".into(), q(format!("{}Ki", m.memory_bytes / 1024))),
        ("pods".into(), q(facts.max_pods.to_string())),
    ]);
    let mut allocatable = capacity.clone();
    allocatable.insert(
        "memory".into(),
        q(format!(
            "{}Ki",
            m.memory_bytes.saturating_sub(EVICTION_MEMORY) / 1024
        )),
    );
    // nodefs.available<10% is the default eviction threshold.
    allocatable.insert(
        "ephemeral-storage".into(),
        q((fs_size - fs_size / 10).to_string()),
    );
    s.capacity = Some(capacity);
    s.allocatable = Some(allocatable);
    let old = current.and_then(|c| c.conditions.as_deref()).unwrap_or(&[]);
    let cond = |type_: &str, status: &str, reason: &str, message: &str| {
        let prev = old.iter().find(|c| c.type_ == type_);
        let unchanged =
            prev.is_some_and(|p| p.status == status && p.reason.as_deref() == Some(reason));
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
    let memory_pressure = facts.mem_available < EVICTION_MEMORY;
    let disk_pressure = fs_size > 0 && fs_free < fs_size / 10;
    let mut conditions = vec![
        if memory_pressure {
            cond(
                "MemoryPressure",
                "True",
                "KubeletHasInsufficientMemory",
                "kubelet has insufficient memory available",
            )
        } else {
            cond(
                "MemoryPressure",
                "False",
                "KubeletHasSufficientMemory",
                "kubelet has sufficient memory available",
            )
        },
        if disk_pressure {
            cond(
                "DiskPressure",
                "True",
                "KubeletHasDiskPressure",
                "kubelet has disk pressure",
            )
        } else {
            cond(
                "DiskPressure",
                "False",
                "KubeletHasNoDiskPressure",
                "kubelet has no disk pressure",
            )
        },
        cond(
            "PIDPressure",
            "False",
            "KubeletHasSufficientPID",
            "kubelet has sufficient PID available",
        ),
    ];
    conditions.push(match &facts.runtime_problem {
        None => cond(
            "Ready",
            "True",
            "KubeletReady",
            "kubelet is posting ready status",
        ),
        Some(why) => cond("Ready", "False", "KubeletNotReady", why),
    });
    s.conditions = Some(conditions);
    s.addresses = Some(vec![
        NodeAddress {
            type_: "InternalIP".into(),
            address: facts.ip.to_string(),
        },
        NodeAddress {
            type_: "Hostname".into(),
            address: facts.name.clone(),
        },
    ]);
    s.daemon_endpoints = Some(NodeDaemonEndpoints {
        kubelet_endpoint: Some(DaemonEndpoint {
            port: i32::from(facts.kubelet_port),
        }),
    });
    s.node_info = Some(NodeSystemInfo {
        architecture: m.architecture.clone(),
        boot_id: m.boot_id.clone(),
        container_runtime_version: facts.runtime_version.clone(),
        kernel_version: m.kernel_version.clone(),
        kube_proxy_version: String::new(),
        kubelet_version: KUBELET_VERSION.into(),
        machine_id: m.machine_id.clone(),
        operating_system: "linux".into(),
        os_image: m.os_image.clone(),
        swap: None,
        system_uuid: m.system_uuid.clone(),
    });
    s
}

/// Whether `a` and `b` differ in anything but heartbeat times.
pub fn status_changed(a: &NodeStatus, b: &NodeStatus) -> bool {
    let strip = |s: &NodeStatus| {
        let mut s = s.clone();
        for c in s.conditions.iter_mut().flatten() {
            c.last_heartbeat_time = None;
        }
        // Free bytes move all the time; only the pressure condition matters.
        s.allocatable = None;
        serde_json::to_value(s).unwrap_or_default()
    };
    strip(a) != strip(b)
}

fn code(e: &kube::Error) -> Option<u16> {
    match e {
        kube::Error::Api(s) => Some(s.code),
        _ => None,
    }
}

/// Registers the node (creating it, or taking over an existing one of the same name).
pub async fn register(
    client: &kube::Client,
    facts: &NodeFacts,
    control_plane: bool,
) -> Result<Node, kube::Error> {
    let api: Api<Node> = Api::all(client.clone());
    let now = Timestamp::now();
    let node = Node {
        metadata: ObjectMeta {
            name: Some(facts.name.clone()),
            labels: Some(labels(
                &facts.name,
                &facts.machine.architecture,
                control_plane,
            )),
            annotations: Some(BTreeMap::from([(
                "volumes.kubernetes.io/controller-managed-attach-detach".to_string(),
                "true".to_string(),
            )])),
            ..Default::default()
        },
        spec: Some(NodeSpec::default()),
        status: Some(status(facts, None, now, true)),
    };
    match api.create(&PostParams::default(), &node).await {
        Ok(n) => Ok(n),
        Err(e) if code(&e) == Some(409) => {
            let existing = api.get(&facts.name).await?;
            let patch = json!({
                "metadata": {"labels": labels(&facts.name, &facts.machine.architecture, control_plane)},
                "status": status(facts, existing.status.as_ref(), now, true),
            });
            api.patch(&facts.name, &PatchParams::default(), &Patch::Merge(&patch))
                .await?;
            api.patch_status(&facts.name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
        }
        Err(e) => Err(e),
    }
}

/// Moves the node Lease's renewTime forward, creating it (owned by the Node) if missing.
pub async fn renew_lease(client: &kube::Client, node: &Node) -> Result<(), kube::Error> {
    let name = node.metadata.name.clone().unwrap_or_default();
    let api: Api<Lease> = Api::namespaced(client.clone(), LEASE_NAMESPACE);
    let spec = LeaseSpec {
        holder_identity: Some(name.clone()),
        lease_duration_seconds: Some(LEASE_DURATION_SECONDS),
        renew_time: Some(MicroTime(Timestamp::now())),
        ..Default::default()
    };
    match api
        .patch(
            &name,
            &PatchParams::default(),
            &Patch::Merge(&json!({ "spec": spec })),
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if code(&e) == Some(404) => {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(name.clone()),
                    namespace: Some(LEASE_NAMESPACE.into()),
                    owner_references: node.metadata.uid.clone().map(|uid| {
                        vec![OwnerReference {
                            api_version: "v1".into(),
                            kind: "Node".into(),
                            name: name.clone(),
                            uid,
                            ..Default::default()
                        }]
                    }),
                    ..Default::default()
                },
                spec: Some(spec),
            };
            match api.create(&PostParams::default(), &lease).await {
                Ok(_) => Ok(()),
                Err(e) if code(&e) == Some(409) => Ok(()),
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

/// Keeps the node alive: renews the Lease every [`RENEW_INTERVAL`] and writes the status
/// when it changed or [`STATUS_REPORT_FREQUENCY`] passed. `facts` is re-read each round.
pub async fn heartbeat(
    client: kube::Client,
    control_plane: bool,
    mut facts: impl FnMut() -> NodeFacts,
) {
    let api: Api<Node> = Api::all(client.clone());
    let mut last_report: Option<Instant> = None;
    let mut tick = tokio::time::interval(RENEW_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let f = facts();
        let current = match api.get_opt(&f.name).await {
            Ok(Some(n)) => n,
            Ok(None) => {
                tracing::info!(node = %f.name, "node object is gone, registering again");
                if let Err(e) = register(&client, &f, control_plane).await {
                    tracing::warn!(error = %e, "unable to register node");
                }
                continue;
            }
            Err(e) => {
                tracing::warn!(error = %e, "error getting node");
                continue;
            }
        };
        if let Err(e) = renew_lease(&client, &current).await {
            tracing::warn!(error = %e, "unable to renew the node lease");
        }
        let now = Timestamp::now();
        let quiet = status(&f, current.status.as_ref(), now, false);
        let changed = current
            .status
            .as_ref()
            .is_none_or(|s| status_changed(s, &quiet));
        let due = last_report.is_none_or(|t| t.elapsed() >= STATUS_REPORT_FREQUENCY);
        if !changed && !due {
            continue;
        }
        let s = status(&f, current.status.as_ref(), now, true);
        match api
            .patch_status(
                &f.name,
                &PatchParams::default(),
                &Patch::Merge(&json!({ "status": s })),
            )
            .await
        {
            Ok(_) => last_report = Some(Instant::now()),
            Err(e) => tracing::warn!(error = %e, "error updating node status, will retry"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> NodeFacts {
        NodeFacts {
            name: "n1".into(),
            ip: "10.0.0.2".parse().unwrap(),
            machine: Machine {
                cpus: 2,
                memory_bytes: 4 << 30,
                kernel_version: "6.1".into(),
                os_image: "Debian".into(),
                machine_id: "m".into(),
                boot_id: "b".into(),
                system_uuid: "u".into(),
                architecture: "amd64".into(),
            },
            max_pods: 110,
            kubelet_port: 10250,
            runtime_version: "containerd://1.6.20".into(),
            fs: (100 << 30, 50 << 30),
            mem_available: 2 << 30,
            runtime_problem: None,
        }
    }

    #[test]
    fn capacity_allocatable_and_conditions() {
        let t0 = Timestamp::from_second(1_000_000).unwrap();
        let s = status(&facts(), None, t0, true);
        let cap = s.capacity.as_ref().unwrap();
        assert_eq!(cap["cpu"].0, "2");
        assert_eq!(cap["memory"].0, "4194304Ki");
        assert_eq!(s.allocatable.as_ref().unwrap()["memory"].0, "4091904Ki");
        let ready = s
            .conditions
            .as_ref()
            .unwrap()
            .iter()
            .find(|c| c.type_ == "Ready")
            .unwrap();
        assert_eq!(ready.status, "True");
        assert_eq!(
            s.node_info.as_ref().unwrap().container_runtime_version,
            "containerd://1.6.20"
        );
        let t1 = Timestamp::from_second(1_000_060).unwrap();
        let mut f = facts();
        f.fs.1 = 1 << 30;
        let s2 = status(&f, Some(&s), t1, false);
        assert!(status_changed(&s, &s2));
        let disk = s2
            .conditions
            .as_ref()
            .unwrap()
            .iter()
            .find(|c| c.type_ == "DiskPressure")
            .unwrap();
        assert_eq!(disk.status, "True");
        let s3 = status(&facts(), Some(&s), t1, false);
        assert!(!status_changed(&s, &s3));
    }

    #[test]
    fn reads_the_machine() {
        let m = Machine::read();
        assert!(m.cpus >= 1);
        assert!(m.memory_bytes > 0);
        assert!(!m.kernel_version.is_empty());
        assert_eq!(
            pretty_name("A=1\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n").as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
    }
}
