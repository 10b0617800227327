//! What a pod's spec means for the container runtime: QoS class, cgroup parent, the CRI
//! Linux resources of a container and of the sandbox, and security contexts — kubelet's
//! `pkg/apis/core/v1/helper/qos`, `pkg/kubelet/qos/policy.go`, `pkg/kubelet/cm`
//! (cgroupfs driver), `kuberuntime_container_linux.go`, `kuberuntime_sandbox_linux.go`
//! and `kuberuntime/security_context.go`.
//!
//! Quantities are parsed exactly ([`parse_quantity`]) so comparisons (QoS) and rounding
//! (`MilliValue`, `Value`) agree with `resource.Quantity`.

use std::collections::HashMap;

use k8s_openapi::api::core::v1::{Container, Pod, ResourceRequirements, SecurityContext};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use crate::cri::api;

/// kubelet's `QOSGuaranteed` class name.
pub const GUARANTEED: &str = "Guaranteed";
/// kubelet's `QOSBurstable` class name.
pub const BURSTABLE: &str = "Burstable";
/// kubelet's `QOSBestEffort` class name.
pub const BEST_EFFORT: &str = "BestEffort";

/// `cm.MinShares`.
pub const MIN_SHARES: i64 = 2;
/// `cm.MaxShares`.
pub const MAX_SHARES: i64 = 262_144;
/// The CFS period kubelet uses (`cpuCFSQuotaPeriod` default, 100 ms in µs).
pub const QUOTA_PERIOD: i64 = 100_000;
/// `cm.MinQuotaPeriod`: the smallest quota the kernel accepts (1 ms in µs).
pub const MIN_QUOTA_PERIOD: i64 = 1_000;
/// `qos.guaranteedOOMScoreAdj`.
pub const GUARANTEED_OOM_SCORE_ADJ: i64 = -997;
/// `qos.besteffortOOMScoreAdj`.
pub const BEST_EFFORT_OOM_SCORE_ADJ: i64 = 1000;
/// kubelet's default `--root-dir` joined with `seccomp`: where `Localhost` seccomp
/// profiles are looked up.
pub const SECCOMP_PROFILE_ROOT: &str = "/var/lib/kubelet/seccomp";

/// `securitycontext`'s default masked paths (kept in sync with moby's).
pub const DEFAULT_MASKED_PATHS: &[&str] = &[
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
];
/// `securitycontext`'s default read-only paths.
pub const DEFAULT_READONLY_PATHS: &[&str] = &[
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

// ---------------------------------------------------------------------------------------
// Quantities

/// A `resource.Quantity`'s value in billionths (nano-units), rounded up.
///
/// Accepts the Kubernetes grammar: a signed decimal number (`1`, `1.5`, `.5`) followed by
/// a binary SI suffix (`Ki` … `Ei`), a decimal SI suffix (`n`, `u`, `m`, ``, `k`, `M`,
/// `G`, `T`, `P`, `E`) or a decimal exponent (`e3`, `E-2`). `None` for anything else or
/// for values beyond ±1.7e29.
pub fn parse_quantity(s: &str) -> Option<i128> {
    let s = s.trim();
    let (negative, rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let num_end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (num, suffix) = rest.split_at(num_end);
    let (int_part, frac_part) = match num.split_once('.') {
        Some((i, f)) => (i, f),
        None => (num, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    if frac_part.contains('.') {
        return None;
    }
    // Mantissa as an integer, with `frac_digits` digits after the point.
    let mut mantissa: i128 = 0;
    for c in int_part.bytes().chain(frac_part.bytes()) {
        mantissa = mantissa
            .checked_mul(10)?
            .checked_add(i128::from(c - b'0'))?;
    }
    let frac_digits = i32::try_from(frac_part.len()).ok()?;
    let (exp10, binary_pow): (i32, u32) = match suffix {
        "" => (0, 0),
        "Ki" => (0, 1),
        "Mi" => (0, 2),
        "Gi" => (0, 3),
        "Ti" => (0, 4),
        "Pi" => (0, 5),
        "Ei" => (0, 6),
        "n" => (-9, 0),
        "u" => (-6, 0),
        "m" => (-3, 0),
        "k" => (3, 0),
        "M" => (6, 0),
        "G" => (9, 0),
        "T" => (12, 0),
        "P" => (15, 0),
        "E" => (18, 0),
        exp if exp.starts_with(['e', 'E']) => {
            let digits = &exp[1..];
            let unsigned = digits.strip_prefix(['+', '-']).unwrap_or(digits);
            if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (digits.parse::<i32>().ok()?, 0)
        }
        _ => return None,
    };
    // 1024^k for binary suffixes.
    let value = mantissa.checked_mul(1024i128.checked_pow(binary_pow)?)?;
    let scale = exp10 + 9 - frac_digits;
    let value = if scale >= 0 {
        value.checked_mul(10i128.checked_pow(u32::try_from(scale).ok()?)?)?
    } else {
        let div = 10i128.checked_pow(u32::try_from(-scale).ok()?);
        match div {
            Some(div) => {
                if negative {
                    value / div
                } else {
                    (value + div - 1) / div
                }
            }
            // Smaller than a nano-unit: rounds up to one (or zero).
            None => i128::from(value != 0 && !negative),
        }
    };
    Some(if negative { -value } else { value })
}

/// `Quantity.MilliValue()`: thousandths, rounded up.
pub fn milli_value(q: &Quantity) -> i64 {
    parse_quantity(&q.0)
        .map(|n| saturate(ceil_div(n, 1_000_000)))
        .unwrap_or(0)
}

/// `Quantity.Value()`: units, rounded up.
pub fn value(q: &Quantity) -> i64 {
    parse_quantity(&q.0)
        .map(|n| saturate(ceil_div(n, 1_000_000_000)))
        .unwrap_or(0)
}

fn ceil_div(n: i128, d: i128) -> i128 {
    let q = n / d;
    if n % d > 0 {
        q + 1
    } else {
        q
    }
}

fn saturate(n: i128) -> i64 {
    i64::try_from(n).unwrap_or(if n < 0 { i64::MIN } else { i64::MAX })
}

// ---------------------------------------------------------------------------------------
// QoS

fn requests_of(
    r: Option<&ResourceRequirements>,
) -> Option<&std::collections::BTreeMap<String, Quantity>> {
    r.and_then(|r| r.requests.as_ref())
}

fn limits_of(
    r: Option<&ResourceRequirements>,
) -> Option<&std::collections::BTreeMap<String, Quantity>> {
    r.and_then(|r| r.limits.as_ref())
}

fn all_containers(pod: &Pod) -> impl Iterator<Item = &Container> {
    let spec = pod.spec.as_ref();
    spec.into_iter().flat_map(|s| s.containers.iter()).chain(
        spec.and_then(|s| s.init_containers.as_ref())
            .into_iter()
            .flatten(),
    )
}

/// The pod's QoS class (`v1qos.GetPodQOS`): the one recorded in its status when set,
/// otherwise computed over its containers and init containers from cpu and memory
/// requests and limits.
pub fn qos_class(pod: &Pod) -> &'static str {
    match pod.status.as_ref().and_then(|s| s.qos_class.as_deref()) {
        Some(GUARANTEED) => return GUARANTEED,
        Some(BURSTABLE) => return BURSTABLE,
        Some(BEST_EFFORT) => return BEST_EFFORT,
        _ => {}
    }
    compute_qos_class(pod)
}

/// `v1qos.ComputePodQOS`: the class from the spec alone (ignores `status.qosClass`).
pub fn compute_qos_class(pod: &Pod) -> &'static str {
    const SUPPORTED: [&str; 2] = ["cpu", "memory"];
    let mut requests: HashMap<&str, i128> = HashMap::new();
    let mut limits: HashMap<&str, i128> = HashMap::new();
    let mut guaranteed = true;
    for c in all_containers(pod) {
        for (name, q) in requests_of(c.resources.as_ref()).into_iter().flatten() {
            let Some(name) = SUPPORTED.iter().copied().find(|s| *s == name) else {
                continue;
            };
            let v = parse_quantity(&q.0).unwrap_or(0);
            if v > 0 {
                *requests.entry(name).or_default() += v;
            }
        }
        let mut found = 0;
        for (name, q) in limits_of(c.resources.as_ref()).into_iter().flatten() {
            let Some(name) = SUPPORTED.iter().copied().find(|s| *s == name) else {
                continue;
            };
            let v = parse_quantity(&q.0).unwrap_or(0);
            if v > 0 {
                found += 1;
                *limits.entry(name).or_default() += v;
            }
        }
        if found < 2 {
            guaranteed = false;
        }
    }
    if requests.is_empty() && limits.is_empty() {
        return BEST_EFFORT;
    }
    if guaranteed {
        for (name, req) in &requests {
            if limits.get(name) != Some(req) {
                guaranteed = false;
                break;
            }
        }
    }
    if guaranteed && requests.len() == limits.len() {
        GUARANTEED
    } else {
        BURSTABLE
    }
}

// ---------------------------------------------------------------------------------------
// cgroups and Linux resources

/// The pod's cgroup under kubelet's cgroupfs layout: `/kubepods/pod<uid>` (Guaranteed),
/// `/kubepods/burstable/pod<uid>`, `/kubepods/besteffort/pod<uid>`.
pub fn cgroup_parent(pod: &Pod) -> String {
    let uid = pod.metadata.uid.as_deref().unwrap_or_default();
    match qos_class(pod) {
        GUARANTEED => format!("/kubepods/pod{uid}"),
        BURSTABLE => format!("/kubepods/burstable/pod{uid}"),
        _ => format!("/kubepods/besteffort/pod{uid}"),
    }
}

/// `cm.MilliCPUToShares`.
pub fn milli_cpu_to_shares(milli_cpu: i64) -> i64 {
    if milli_cpu == 0 {
        return MIN_SHARES;
    }
    let shares = milli_cpu.saturating_mul(1024) / 1000;
    shares.clamp(MIN_SHARES, MAX_SHARES)
}

/// `cm.MilliCPUToQuota`: 0 (no quota) without a limit, at least [`MIN_QUOTA_PERIOD`].
pub fn milli_cpu_to_quota(milli_cpu: i64, period: i64) -> i64 {
    if milli_cpu == 0 {
        return 0;
    }
    let quota = milli_cpu.saturating_mul(period) / 1000;
    quota.max(MIN_QUOTA_PERIOD)
}

fn get<'a>(
    map: Option<&'a std::collections::BTreeMap<String, Quantity>>,
    name: &str,
) -> Option<&'a Quantity> {
    map.and_then(|m| m.get(name))
}

/// kubelet's `calculateLinuxResources`: shares from the cpu request (the limit when only
/// a limit is given), CFS quota from the cpu limit, the memory limit.
fn linux_resources(
    cpu_request: Option<&Quantity>,
    cpu_limit: Option<&Quantity>,
    memory_limit: Option<&Quantity>,
) -> api::LinuxContainerResources {
    let cpu_shares = match (cpu_request, cpu_limit) {
        (None, Some(limit)) => milli_cpu_to_shares(milli_value(limit)),
        (request, _) => milli_cpu_to_shares(request.map(milli_value).unwrap_or(0)),
    };
    let cpu_limit = cpu_limit.map(milli_value).unwrap_or(0);
    api::LinuxContainerResources {
        cpu_shares,
        cpu_period: QUOTA_PERIOD,
        cpu_quota: milli_cpu_to_quota(cpu_limit, QUOTA_PERIOD),
        memory_limit_in_bytes: memory_limit.map(value).unwrap_or(0),
        ..Default::default()
    }
}

fn is_restartable_init(c: &Container) -> bool {
    c.restart_policy.as_deref() == Some("Always")
}

/// The container's OOM score adjustment (`qos.GetContainerOOMScoreAdjust`), given the
/// node's memory capacity in bytes.
pub fn oom_score_adj(pod: &Pod, container: &Container, machine_memory: i64) -> i64 {
    let spec = pod.spec.as_ref();
    if spec.and_then(|s| s.priority_class_name.as_deref()) == Some("system-node-critical") {
        return GUARANTEED_OOM_SCORE_ADJ;
    }
    match qos_class(pod) {
        GUARANTEED => return GUARANTEED_OOM_SCORE_ADJ,
        BEST_EFFORT => return BEST_EFFORT_OOM_SCORE_ADJ,
        _ => {}
    }
    let capacity = i128::from(machine_memory.max(1));
    let memory_request = |c: &Container| {
        get(requests_of(c.resources.as_ref()), "memory")
            .map(value)
            .unwrap_or(0)
    };
    let mut adj = 1000 - (1000 * i128::from(memory_request(container))) / capacity;
    // A sidecar (restartable init container) never scores above the regular container
    // with the smallest memory request.
    let is_sidecar = is_restartable_init(container)
        && spec
            .and_then(|s| s.init_containers.as_ref())
            .is_some_and(|ics| ics.iter().any(|c| c.name == container.name));
    if is_sidecar {
        let min_regular = spec
            .map(|s| s.containers.iter().map(memory_request).min().unwrap_or(0))
            .unwrap_or(0);
        let min_adj = 1000 - (1000 * i128::from(min_regular)) / capacity;
        adj = adj.min(min_adj);
    }
    let adj = i64::try_from(adj).unwrap_or(i64::MIN);
    if adj < 1000 + GUARANTEED_OOM_SCORE_ADJ {
        return 1000 + GUARANTEED_OOM_SCORE_ADJ;
    }
    if adj == BEST_EFFORT_OOM_SCORE_ADJ {
        return adj - 1;
    }
    adj
}

/// The CRI resources of a container (`generateLinuxContainerResources`): cpu shares and
/// CFS quota, memory limit, OOM score adjustment against `machine_memory` bytes.
pub fn linux_container_resources(
    pod: &Pod,
    container: &Container,
    machine_memory: i64,
) -> api::LinuxContainerResources {
    let res = container.resources.as_ref();
    let mut lcr = linux_resources(
        get(requests_of(res), "cpu"),
        get(limits_of(res), "cpu"),
        get(limits_of(res), "memory"),
    );
    lcr.oom_score_adj = oom_score_adj(pod, container, machine_memory);
    lcr
}

/// Sums of the pod's requests or limits of one resource, as kubelet's resource helpers
/// do: regular containers and sidecars add up; each other init container counts with the
/// sidecars started before it, and the pod needs the largest of all that.
fn pod_total(pod: &Pod, resource: &str, limits: bool) -> Option<i128> {
    let spec = pod.spec.as_ref()?;
    let amount = |c: &Container| -> Option<i128> {
        let map = if limits {
            limits_of(c.resources.as_ref())
        } else {
            requests_of(c.resources.as_ref())
        };
        get(map, resource).and_then(|q| parse_quantity(&q.0))
    };
    let mut any = false;
    let mut sum: i128 = 0;
    for c in &spec.containers {
        if let Some(v) = amount(c) {
            any = true;
            sum += v;
        }
    }
    let mut sidecars: i128 = 0;
    let mut init_max: i128 = 0;
    for c in spec.init_containers.iter().flatten() {
        let v = amount(c);
        any |= v.is_some();
        let v = v.unwrap_or(0);
        if is_restartable_init(c) {
            sidecars += v;
            init_max = init_max.max(sidecars);
        } else {
            init_max = init_max.max(sidecars + v);
        }
    }
    any.then(|| (sum + sidecars).max(init_max))
}

fn nano_quantity(nanos: i128) -> Quantity {
    // Whole units when exact, otherwise nano-units; both parse back the same.
    if nanos % 1_000_000_000 == 0 {
        Quantity((nanos / 1_000_000_000).to_string())
    } else {
        Quantity(format!("{nanos}n"))
    }
}

fn pod_overhead(pod: &Pod) -> Option<api::LinuxContainerResources> {
    let overhead = pod.spec.as_ref()?.overhead.as_ref()?;
    let cpu = overhead.get("cpu");
    Some(linux_resources(cpu, cpu, overhead.get("memory")))
}

/// The sandbox's Linux config (`generatePodSandboxLinuxConfig`): cgroup parent, security
/// context (namespaces, run-as user/group, supplemental groups, privileged when any
/// container is, seccomp `RuntimeDefault` as kubelet forces for the sandbox), sysctls,
/// and the pod's aggregate resources and overhead.
pub fn sandbox_linux_config(pod: &Pod) -> api::LinuxPodSandboxConfig {
    let spec = pod.spec.as_ref();
    let psc = spec.and_then(|s| s.security_context.as_ref());
    let privileged = spec.is_some_and(|s| {
        s.containers
            .iter()
            .chain(s.init_containers.iter().flatten())
            .any(|c| {
                c.security_context
                    .as_ref()
                    .and_then(|sc| sc.privileged)
                    .unwrap_or(false)
            })
    });
    let mut sc = api::LinuxSandboxSecurityContext {
        namespace_options: Some(namespace_options(pod)),
        privileged,
        seccomp: Some(api::SecurityProfile {
            profile_type: api::security_profile::ProfileType::RuntimeDefault as i32,
            localhost_ref: String::new(),
        }),
        ..Default::default()
    };
    let mut sysctls = HashMap::new();
    if let Some(psc) = psc {
        sc.run_as_user = psc.run_as_user.map(|value| api::Int64Value { value });
        sc.run_as_group = psc.run_as_group.map(|value| api::Int64Value { value });
        sc.supplemental_groups = pod_supplemental_groups(pod);
        sc.supplemental_groups_policy = supplemental_groups_policy(pod);
        sc.selinux_options = psc.se_linux_options.as_ref().map(selinux);
        for s in psc.sysctls.iter().flatten() {
            sysctls.insert(s.name.clone(), s.value.clone());
        }
    }
    let cpu_req = pod_total(pod, "cpu", false).map(nano_quantity);
    let cpu_lim = pod_total(pod, "cpu", true).map(nano_quantity);
    let mem_lim = pod_total(pod, "memory", true).map(nano_quantity);
    api::LinuxPodSandboxConfig {
        cgroup_parent: cgroup_parent(pod),
        security_context: Some(sc),
        sysctls,
        overhead: pod_overhead(pod),
        resources: Some(linux_resources(
            cpu_req.as_ref(),
            cpu_lim.as_ref(),
            mem_lim.as_ref(),
        )),
    }
}

// ---------------------------------------------------------------------------------------
// Security contexts

/// The pod's namespaces (`runtimeutil.NamespacesForPod`): network and IPC of the node
/// with hostNetwork/hostIPC, else the pod's; PID of the node with hostPID, the pod's with
/// shareProcessNamespace, else the container's own.
pub fn namespace_options(pod: &Pod) -> api::NamespaceOption {
    use api::NamespaceMode;
    let spec = pod.spec.as_ref();
    let flag = |f: fn(&k8s_openapi::api::core::v1::PodSpec) -> Option<bool>| {
        spec.and_then(f).unwrap_or(false)
    };
    let network = if flag(|s| s.host_network) {
        NamespaceMode::Node
    } else {
        NamespaceMode::Pod
    };
    let ipc = if flag(|s| s.host_ipc) {
        NamespaceMode::Node
    } else {
        NamespaceMode::Pod
    };
    let pid = if flag(|s| s.host_pid) {
        NamespaceMode::Node
    } else if flag(|s| s.share_process_namespace) {
        NamespaceMode::Pod
    } else {
        NamespaceMode::Container
    };
    api::NamespaceOption {
        network: network as i32,
        pid: pid as i32,
        ipc: ipc as i32,
        ..Default::default()
    }
}

fn selinux(o: &k8s_openapi::api::core::v1::SELinuxOptions) -> api::SeLinuxOption {
    api::SeLinuxOption {
        user: o.user.clone().unwrap_or_default(),
        role: o.role.clone().unwrap_or_default(),
        r#type: o.type_.clone().unwrap_or_default(),
        level: o.level.clone().unwrap_or_default(),
    }
}

/// fsGroup first, then supplementalGroups, as kubelet appends them.
fn pod_supplemental_groups(pod: &Pod) -> Vec<i64> {
    let Some(psc) = pod.spec.as_ref().and_then(|s| s.security_context.as_ref()) else {
        return Vec::new();
    };
    psc.fs_group
        .into_iter()
        .chain(psc.supplemental_groups.iter().flatten().copied())
        .collect()
}

fn supplemental_groups_policy(pod: &Pod) -> i32 {
    let policy = pod
        .spec
        .as_ref()
        .and_then(|s| s.security_context.as_ref())
        .and_then(|sc| sc.supplemental_groups_policy.as_deref());
    match policy {
        Some("Strict") => api::SupplementalGroupsPolicy::Strict as i32,
        _ => api::SupplementalGroupsPolicy::Merge as i32,
    }
}

/// The container's security context merged with the pod's
/// (`securitycontext.DetermineEffectiveSecurityContext`): the container's settings win
/// for run-as user/group/non-root and SELinux; the rest are container-only.
pub fn effective_security_context(pod: &Pod, container: &Container) -> SecurityContext {
    let mut sc = container.security_context.clone().unwrap_or_default();
    if let Some(psc) = pod.spec.as_ref().and_then(|s| s.security_context.as_ref()) {
        if sc.run_as_user.is_none() {
            sc.run_as_user = psc.run_as_user;
        }
        if sc.run_as_group.is_none() {
            sc.run_as_group = psc.run_as_group;
        }
        if sc.run_as_non_root.is_none() {
            sc.run_as_non_root = psc.run_as_non_root;
        }
        if sc.se_linux_options.is_none() {
            sc.se_linux_options = psc.se_linux_options.clone();
        }
        if sc.seccomp_profile.is_none() {
            sc.seccomp_profile = psc.seccomp_profile.clone();
        }
        if sc.app_armor_profile.is_none() {
            sc.app_armor_profile = psc.app_armor_profile.clone();
        }
    }
    sc
}

fn seccomp_profile(
    profile: Option<&k8s_openapi::api::core::v1::SeccompProfile>,
) -> api::SecurityProfile {
    use api::security_profile::ProfileType;
    let unconfined = api::SecurityProfile {
        profile_type: ProfileType::Unconfined as i32,
        localhost_ref: String::new(),
    };
    let Some(p) = profile else {
        // kubelet's default without --seccomp-default.
        return unconfined;
    };
    match p.type_.as_str() {
        "RuntimeDefault" => api::SecurityProfile {
            profile_type: ProfileType::RuntimeDefault as i32,
            localhost_ref: String::new(),
        },
        "Localhost" => match p.localhost_profile.as_deref() {
            Some(name) if !name.is_empty() => api::SecurityProfile {
                profile_type: ProfileType::Localhost as i32,
                localhost_ref: format!("{SECCOMP_PROFILE_ROOT}/{name}"),
            },
            _ => unconfined,
        },
        _ => unconfined,
    }
}

/// The AppArmor profile: the field (container's over pod's), else the deprecated
/// `container.apparmor.security.beta.kubernetes.io/<name>` annotation; `None` leaves the
/// runtime's default.
fn app_armor_profile(
    pod: &Pod,
    container: &Container,
    sc: &SecurityContext,
) -> (Option<api::SecurityProfile>, String) {
    use api::security_profile::ProfileType;
    let (kind, localhost) = match &sc.app_armor_profile {
        Some(p) => (p.type_.clone(), p.localhost_profile.clone()),
        None => {
            let key = format!(
                "container.apparmor.security.beta.kubernetes.io/{}",
                container.name
            );
            match pod.metadata.annotations.as_ref().and_then(|a| a.get(&key)) {
                Some(v) if v == "runtime/default" => ("RuntimeDefault".to_string(), None),
                Some(v) if v == "unconfined" => ("Unconfined".to_string(), None),
                Some(v) if v.starts_with("localhost/") => (
                    "Localhost".to_string(),
                    Some(v["localhost/".len()..].to_string()),
                ),
                _ => return (None, String::new()),
            }
        }
    };
    match kind.as_str() {
        "RuntimeDefault" => (
            Some(api::SecurityProfile {
                profile_type: ProfileType::RuntimeDefault as i32,
                localhost_ref: String::new(),
            }),
            "runtime/default".to_string(),
        ),
        "Unconfined" => (
            Some(api::SecurityProfile {
                profile_type: ProfileType::Unconfined as i32,
                localhost_ref: String::new(),
            }),
            "unconfined".to_string(),
        ),
        "Localhost" => match localhost {
            Some(name) if !name.is_empty() => (
                Some(api::SecurityProfile {
                    profile_type: ProfileType::Localhost as i32,
                    localhost_ref: name.clone(),
                }),
                format!("localhost/{name}"),
            ),
            _ => (None, String::new()),
        },
        _ => (None, String::new()),
    }
}

/// `securitycontext.AddNoNewPrivileges`: set only when allowPrivilegeEscalation is
/// explicitly false.
pub fn no_new_privs(sc: &SecurityContext) -> bool {
    sc.allow_privilege_escalation == Some(false)
}

/// The CRI security context of a container (`determineEffectiveSecurityContext`).
///
/// Capabilities are passed as written in the spec (`NET_ADMIN`); containerd adds the
/// `CAP_` prefix. The run-as user is only set when the pod or container names one: when
/// it does not, the caller may fill `run_as_user`/`run_as_username` from the image
/// config, as kubelet does. Masked and read-only paths are kubelet's defaults unless
/// `procMount: Unmasked`.
pub fn container_security_context(
    pod: &Pod,
    container: &Container,
) -> api::LinuxContainerSecurityContext {
    let sc = effective_security_context(pod, container);
    let capabilities = sc.capabilities.as_ref().map(|c| api::Capability {
        add_capabilities: c.add.clone().unwrap_or_default(),
        drop_capabilities: c.drop.clone().unwrap_or_default(),
        add_ambient_capabilities: Vec::new(),
    });
    let unmasked = sc.proc_mount.as_deref() == Some("Unmasked");
    let (apparmor, apparmor_profile) = app_armor_profile(pod, container, &sc);
    #[allow(deprecated)]
    let out = api::LinuxContainerSecurityContext {
        capabilities,
        privileged: sc.privileged.unwrap_or(false),
        namespace_options: Some(namespace_options(pod)),
        selinux_options: sc.se_linux_options.as_ref().map(selinux),
        run_as_user: sc.run_as_user.map(|value| api::Int64Value { value }),
        run_as_group: sc.run_as_group.map(|value| api::Int64Value { value }),
        run_as_username: String::new(),
        readonly_rootfs: sc.read_only_root_filesystem.unwrap_or(false),
        supplemental_groups: pod_supplemental_groups(pod),
        supplemental_groups_policy: supplemental_groups_policy(pod),
        no_new_privs: no_new_privs(&sc),
        masked_paths: if unmasked {
            Vec::new()
        } else {
            DEFAULT_MASKED_PATHS.iter().map(|s| s.to_string()).collect()
        },
        readonly_paths: if unmasked {
            Vec::new()
        } else {
            DEFAULT_READONLY_PATHS
                .iter()
                .map(|s| s.to_string())
                .collect()
        },
        seccomp: Some(seccomp_profile(sc.seccomp_profile.as_ref())),
        apparmor,
        apparmor_profile,
        seccomp_profile_path: String::new(),
    };
    out
}

/// kubelet's `verifyRunAsNonRoot`, given the user the image runs as (`image_uid` when
/// numeric, `image_user` the raw `User` of its config). The error is the
/// CreateContainerConfigError message.
pub fn verify_run_as_non_root(
    pod: &Pod,
    container: &Container,
    image_uid: Option<i64>,
    image_user: &str,
) -> Result<(), String> {
    let sc = effective_security_context(pod, container);
    if sc.run_as_non_root != Some(true) {
        return Ok(());
    }
    let pod_name = format!(
        "{}_{}({})",
        pod.metadata.name.as_deref().unwrap_or_default(),
        pod.metadata.namespace.as_deref().unwrap_or_default(),
        pod.metadata.uid.as_deref().unwrap_or_default()
    );
    if let Some(uid) = sc.run_as_user {
        if uid == 0 {
            return Err(format!(
                "container's runAsUser breaks non-root policy (pod: {pod_name:?}, container: {})",
                container.name
            ));
        }
        return Ok(());
    }
    match image_uid {
        Some(0) => Err(format!(
            "container has runAsNonRoot and image will run as root (pod: {pod_name:?}, container: {})",
            container.name
        )),
        Some(_) => Ok(()),
        None if image_user.is_empty() => Err(format!(
            "container has runAsNonRoot and image will run as root (pod: {pod_name:?}, container: {})",
            container.name
        )),
        None => Err(format!(
            "container has runAsNonRoot and image has non-numeric user ({image_user}), cannot verify user is non-root (pod: {pod_name:?}, container: {})",
            container.name
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(v: serde_json::Value) -> Pod {
        serde_json::from_value(v).unwrap()
    }

    fn q(s: &str) -> Quantity {
        Quantity(s.to_string())
    }

    #[test]
    fn quantities() {
        assert_eq!(parse_quantity("100m"), Some(100_000_000));
        assert_eq!(parse_quantity("1"), Some(1_000_000_000));
        assert_eq!(parse_quantity("1.5"), Some(1_500_000_000));
        assert_eq!(parse_quantity(".5"), Some(500_000_000));
        assert_eq!(
            parse_quantity("128Mi"),
            Some(128 * 1024 * 1024 * 1_000_000_000)
        );
        assert_eq!(parse_quantity("1G"), Some(1_000_000_000 * 1_000_000_000));
        assert_eq!(parse_quantity("1e3"), Some(1000 * 1_000_000_000));
        assert_eq!(parse_quantity("1E-3"), Some(1_000_000));
        assert_eq!(parse_quantity("+2k"), Some(2000 * 1_000_000_000));
        assert_eq!(parse_quantity("-1"), Some(-1_000_000_000));
        assert_eq!(
            parse_quantity("0.5Gi"),
            Some(512 * 1024 * 1024 * 1_000_000_000)
        );
        assert_eq!(parse_quantity("1n"), Some(1));
        assert_eq!(parse_quantity("0.1n"), Some(1));
        for bad in [
            "", "m", "1K", "1.2.3", "1x", "e3", "1e", "1e+", "abc", "1 Mi",
        ] {
            assert_eq!(parse_quantity(bad), None, "{bad}");
        }
        assert_eq!(milli_value(&q("0.1m")), 1);
        assert_eq!(milli_value(&q("1.5")), 1500);
        assert_eq!(value(&q("1.5")), 2);
        assert_eq!(value(&q("128Mi")), 134_217_728);
        assert_eq!(value(&q("1Ei")), 1 << 60);
    }

    #[test]
    fn qos_classes() {
        let best = pod(json!({"spec": {"containers": [{"name": "a"}]}}));
        assert_eq!(qos_class(&best), BEST_EFFORT);
        let guaranteed = pod(json!({"spec": {"containers": [{"name": "a", "resources": {
            "requests": {"cpu": "1", "memory": "1Gi"},
            "limits": {"cpu": "1000m", "memory": "1024Mi"}}}]}}));
        assert_eq!(qos_class(&guaranteed), GUARANTEED);
        let burstable = pod(json!({"spec": {"containers": [{"name": "a", "resources": {
            "requests": {"cpu": "500m"}, "limits": {"cpu": "1", "memory": "1Gi"}}}]}}));
        assert_eq!(qos_class(&burstable), BURSTABLE);
        // An init container without limits makes the pod Burstable.
        let init = pod(json!({"spec": {
            "containers": [{"name": "a", "resources": {"limits": {"cpu": "1", "memory": "1Gi"},
                "requests": {"cpu": "1", "memory": "1Gi"}}}],
            "initContainers": [{"name": "i", "resources": {"requests": {"cpu": "1"}}}]}}));
        assert_eq!(qos_class(&init), BURSTABLE);
        // Other resources do not count.
        let other = pod(json!({"spec": {"containers": [{"name": "a", "resources": {
            "requests": {"nvidia.com/gpu": "1"}, "limits": {"nvidia.com/gpu": "1"}}}]}}));
        assert_eq!(qos_class(&other), BEST_EFFORT);
        // Status wins.
        let mut s = best.clone();
        s.status = Some(serde_json::from_value(json!({"qosClass": "Burstable"})).unwrap());
        assert_eq!(qos_class(&s), BURSTABLE);
    }

    #[test]
    fn cgroup_parents() {
        let p = pod(json!({"metadata": {"uid": "u1"}, "spec": {"containers": [{"name": "a"}]}}));
        assert_eq!(cgroup_parent(&p), "/kubepods/besteffort/podu1");
        let p = pod(
            json!({"metadata": {"uid": "u1"}, "spec": {"containers": [{"name": "a",
            "resources": {"requests": {"memory": "1Mi"}}}]}}),
        );
        assert_eq!(cgroup_parent(&p), "/kubepods/burstable/podu1");
        let p = pod(
            json!({"metadata": {"uid": "u1"}, "spec": {"containers": [{"name": "a",
            "resources": {"limits": {"memory": "1Mi", "cpu": "1"}, "requests": {"memory": "1Mi", "cpu": "1"}}}]}}),
        );
        assert_eq!(cgroup_parent(&p), "/kubepods/podu1");
    }

    const GI: i64 = 1 << 30;

    #[test]
    fn container_resources() {
        let p = pod(json!({"spec": {"containers": [{"name": "a", "resources": {
            "requests": {"cpu": "250m", "memory": "1Gi"}, "limits": {"cpu": "500m", "memory": "2Gi"}}}]}}));
        let c = &p.spec.as_ref().unwrap().containers[0];
        let r = linux_container_resources(&p, c, 10 * GI);
        assert_eq!(r.cpu_shares, 256);
        assert_eq!(r.cpu_period, 100_000);
        assert_eq!(r.cpu_quota, 50_000);
        assert_eq!(r.memory_limit_in_bytes, 2 * GI);
        assert_eq!(r.oom_score_adj, 900);

        let p = pod(json!({"spec": {"containers": [{"name": "a"}]}}));
        let c = &p.spec.as_ref().unwrap().containers[0];
        let r = linux_container_resources(&p, c, 10 * GI);
        assert_eq!(
            (r.cpu_shares, r.cpu_quota, r.memory_limit_in_bytes),
            (2, 0, 0)
        );
        assert_eq!(r.oom_score_adj, 1000);

        // Tiny limits: minimum quota; only a limit: shares from the limit.
        let p = pod(json!({"spec": {"containers": [{"name": "a", "resources": {
            "limits": {"cpu": "1m"}}}]}}));
        let c = &p.spec.as_ref().unwrap().containers[0];
        let r = linux_container_resources(&p, c, 10 * GI);
        assert_eq!((r.cpu_shares, r.cpu_quota), (2, 1000));
        assert_eq!(r.oom_score_adj, 999);

        let p = pod(json!({"spec": {"containers": [{"name": "a", "resources": {
            "limits": {"cpu": "2", "memory": "1Gi"}, "requests": {"cpu": "2", "memory": "1Gi"}}}]}}));
        let c = &p.spec.as_ref().unwrap().containers[0];
        let r = linux_container_resources(&p, c, 10 * GI);
        assert_eq!(
            (r.cpu_shares, r.cpu_quota, r.oom_score_adj),
            (2048, 200_000, -997)
        );

        // Burstable requesting all memory: floor of 3.
        let p = pod(json!({"spec": {"containers": [{"name": "a", "resources": {
            "requests": {"memory": "20Gi"}}}]}}));
        let c = &p.spec.as_ref().unwrap().containers[0];
        assert_eq!(oom_score_adj(&p, c, 10 * GI), 3);

        // Node-critical pods.
        let p = pod(json!({"spec": {"priorityClassName": "system-node-critical",
            "containers": [{"name": "a"}]}}));
        let c = &p.spec.as_ref().unwrap().containers[0];
        assert_eq!(oom_score_adj(&p, c, 10 * GI), -997);

        // A sidecar scores no higher than the smallest regular container.
        let p = pod(json!({"spec": {
            "initContainers": [{"name": "s", "restartPolicy": "Always"}],
            "containers": [{"name": "a", "resources": {"requests": {"memory": "5Gi"}}}]}}));
        let s = &p.spec.as_ref().unwrap().init_containers.as_ref().unwrap()[0];
        assert_eq!(oom_score_adj(&p, s, 10 * GI), 500);
    }

    #[test]
    fn sandbox_config() {
        let p = pod(json!({"metadata": {"uid": "u"}, "spec": {
            "hostNetwork": true, "shareProcessNamespace": true,
            "securityContext": {"runAsUser": 1000, "runAsGroup": 2000, "fsGroup": 3000,
                "supplementalGroups": [4000], "sysctls": [{"name": "kernel.shm_rmid_forced", "value": "1"}]},
            "containers": [
                {"name": "a", "resources": {"requests": {"cpu": "100m"}, "limits": {"memory": "64Mi"}}},
                {"name": "b", "securityContext": {"privileged": true},
                 "resources": {"requests": {"cpu": "200m"}, "limits": {"memory": "64Mi"}}}]}}));
        let c = sandbox_linux_config(&p);
        assert_eq!(c.cgroup_parent, "/kubepods/burstable/podu");
        let sc = c.security_context.unwrap();
        assert!(sc.privileged);
        assert_eq!(sc.run_as_user.unwrap().value, 1000);
        assert_eq!(sc.run_as_group.unwrap().value, 2000);
        assert_eq!(sc.supplemental_groups, vec![3000, 4000]);
        let ns = sc.namespace_options.unwrap();
        assert_eq!(ns.network, api::NamespaceMode::Node as i32);
        assert_eq!(ns.pid, api::NamespaceMode::Pod as i32);
        assert_eq!(ns.ipc, api::NamespaceMode::Pod as i32);
        assert_eq!(
            sc.seccomp.unwrap().profile_type,
            api::security_profile::ProfileType::RuntimeDefault as i32
        );
        assert_eq!(
            c.sysctls.get("kernel.shm_rmid_forced").map(String::as_str),
            Some("1")
        );
        let r = c.resources.unwrap();
        assert_eq!(r.cpu_shares, 307);
        assert_eq!(r.memory_limit_in_bytes, 128 << 20);
    }

    #[test]
    fn security_context() {
        let p = pod(json!({"spec": {
            "hostPID": true, "hostIPC": true,
            "securityContext": {"runAsUser": 1000, "runAsNonRoot": true,
                "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{"name": "a", "securityContext": {"runAsUser": 0,
                "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
                "capabilities": {"add": ["NET_ADMIN"], "drop": ["ALL"]}}}]}}));
        let c = &p.spec.as_ref().unwrap().containers[0];
        let sc = container_security_context(&p, c);
        assert_eq!(sc.run_as_user.unwrap().value, 0);
        assert!(sc.no_new_privs);
        assert!(sc.readonly_rootfs);
        assert!(!sc.privileged);
        let caps = sc.capabilities.unwrap();
        assert_eq!(caps.add_capabilities, vec!["NET_ADMIN"]);
        assert_eq!(caps.drop_capabilities, vec!["ALL"]);
        let ns = sc.namespace_options.unwrap();
        assert_eq!(ns.pid, api::NamespaceMode::Node as i32);
        assert_eq!(ns.ipc, api::NamespaceMode::Node as i32);
        assert_eq!(ns.network, api::NamespaceMode::Pod as i32);
        assert_eq!(
            sc.seccomp.unwrap().profile_type,
            api::security_profile::ProfileType::RuntimeDefault as i32
        );
        assert_eq!(sc.masked_paths.len(), DEFAULT_MASKED_PATHS.len());
        assert!(verify_run_as_non_root(&p, c, None, "").is_err());

        let p = pod(json!({"spec": {"containers": [{"name": "a"}]}}));
        let c = &p.spec.as_ref().unwrap().containers[0];
        let sc = container_security_context(&p, c);
        assert!(sc.run_as_user.is_none());
        assert!(!sc.no_new_privs);
        assert_eq!(
            sc.seccomp.unwrap().profile_type,
            api::security_profile::ProfileType::Unconfined as i32
        );
        assert_eq!(
            sc.namespace_options.unwrap().pid,
            api::NamespaceMode::Container as i32
        );
        assert!(sc.apparmor.is_none());
        assert!(verify_run_as_non_root(&p, c, Some(0), "0").is_ok());

        let p = pod(json!({"spec": {"securityContext": {"runAsNonRoot": true},
            "containers": [{"name": "a", "securityContext": {"seccompProfile":
                {"type": "Localhost", "localhostProfile": "p.json"}}}]}}));
        let c = &p.spec.as_ref().unwrap().containers[0];
        let sc = container_security_context(&p, c);
        assert_eq!(
            sc.seccomp.unwrap().localhost_ref,
            "/var/lib/kubelet/seccomp/p.json"
        );
        assert!(verify_run_as_non_root(&p, c, Some(1000), "1000").is_ok());
        let err = verify_run_as_non_root(&p, c, None, "nobody").unwrap_err();
        assert!(err.contains("non-numeric user (nobody)"), "{err}");
    }
}
