//! What the Endpoints and EndpointSlice controllers ask of pods and services
//! (upstream's endpointslice util package): which pods count, their address for a
//! service, the container port a service port targets, and which services select a pod.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::net::IpAddr;
use std::sync::Mutex;

use k8s_openapi::api::core::v1::{Pod, Service, ServicePort};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::jiff::Timestamp;
use kube::runtime::reflector::Store;
use kube::ResourceExt;

use crate::util;

/// `namespace/name` of an object.
pub fn key_of<K: ResourceExt>(obj: &K) -> String {
    format!("{}/{}", obj.namespace().unwrap_or_default(), obj.name_any())
}

/// Splits a `namespace/name` key.
pub fn split_key(key: &str) -> (&str, &str) {
    key.split_once('/').unwrap_or(("", key))
}

/// Whether a pod belongs in a service's endpoints at all (ShouldPodBeInEndpoints):
/// not terminal, has an IP, and not being deleted unless `include_terminating`.
pub fn should_pod_be_in_endpoints(pod: &Pod, include_terminating: bool) -> bool {
    let phase = util::phase(pod);
    if phase == "Succeeded" || phase == "Failed" {
        return false;
    }
    let status = pod.status.as_ref();
    let has_ip = status
        .and_then(|s| s.pod_ip.as_deref())
        .is_some_and(|ip| !ip.is_empty())
        || status
            .and_then(|s| s.pod_ips.as_ref())
            .is_some_and(|ips| !ips.is_empty());
    if !has_ip {
        return false;
    }
    include_terminating || pod.metadata.deletion_timestamp.is_none()
}

/// Whether the service's IP family is IPv6 (from its cluster IP, else its first family).
pub fn service_is_ipv6(svc: &Service) -> bool {
    let spec = svc.spec.as_ref();
    if let Some(ip) = spec
        .and_then(|s| s.cluster_ip.as_deref())
        .and_then(|ip| ip.parse::<IpAddr>().ok())
    {
        return ip.is_ipv6();
    }
    spec.and_then(|s| s.ip_families.as_ref())
        .and_then(|f| f.first())
        .is_some_and(|f| f == "IPv6")
}

/// The pod's IP of the given family (podIPs first, then podIP).
pub fn pod_ip(pod: &Pod, ipv6: bool) -> Option<String> {
    let status = pod.status.as_ref()?;
    status
        .pod_ips
        .iter()
        .flatten()
        .map(|p| p.ip.clone())
        .chain(status.pod_ip.clone())
        .find(|ip| ip.parse::<IpAddr>().is_ok_and(|a| a.is_ipv6() == ipv6))
}

/// Whether an endpoint of `pod` carries the pod's hostname for `svc` (ShouldSetHostname).
pub fn should_set_hostname(pod: &Pod, svc: &Service) -> bool {
    let spec = pod.spec.as_ref();
    spec.and_then(|s| s.hostname.as_deref())
        .is_some_and(|h| !h.is_empty())
        && spec.and_then(|s| s.subdomain.as_deref()) == svc.metadata.name.as_deref()
        && pod.metadata.namespace == svc.metadata.namespace
}

/// The container port a service port sends to on `pod` (podutil.FindPort): a number is
/// used as is, a name is looked up among the pod's container ports of the same protocol.
pub fn find_port(pod: &Pod, port: &ServicePort) -> Option<i32> {
    let protocol = port.protocol.as_deref().unwrap_or("TCP");
    match &port.target_port {
        Some(IntOrString::Int(n)) => Some(*n),
        Some(IntOrString::String(name)) => {
            let spec = pod.spec.as_ref()?;
            // Restartable init containers (sidecars) serve ports too.
            let sidecars = spec
                .init_containers
                .iter()
                .flatten()
                .filter(|c| c.restart_policy.as_deref() == Some("Always"));
            spec.containers
                .iter()
                .chain(sidecars)
                .flat_map(|c| c.ports.iter().flatten())
                .find(|p| {
                    p.name.as_deref() == Some(name.as_str())
                        && p.protocol.as_deref().unwrap_or("TCP") == protocol
                })
                .map(|p| p.container_port)
        }
        None => Some(port.port),
    }
}

/// The selector of a service this controller fills, or None for services it leaves
/// alone (ExternalName, no selector, and `default/kubernetes`, which the API server keeps).
pub fn managed_selector(svc: &Service) -> Option<&BTreeMap<String, String>> {
    if svc.metadata.namespace.as_deref() == Some("default")
        && svc.metadata.name.as_deref() == Some("kubernetes")
    {
        return None;
    }
    let spec = svc.spec.as_ref()?;
    if spec.type_.as_deref() == Some("ExternalName") {
        return None;
    }
    spec.selector.as_ref()
}

/// Whether a map selector selects `labels` (an empty map selects every pod, as upstream).
pub fn selects(selector: &BTreeMap<String, String>, labels: &BTreeMap<String, String>) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// Which pods each service was last synced with, so that a pod whose labels changed
/// still wakes the service it left; and a fingerprint of each pod's relevant fields, so
/// that pod updates that change nothing for endpoints wake nobody.
#[derive(Default)]
pub struct Membership {
    members: Mutex<HashMap<String, HashSet<String>>>,
    fingerprints: Mutex<HashMap<String, u64>>,
}

impl Membership {
    /// Records the pods (names) a service's last sync included.
    pub fn set(&self, svc_key: &str, pods: HashSet<String>) {
        if let Ok(mut m) = self.members.lock() {
            if pods.is_empty() {
                m.remove(svc_key);
            } else {
                m.insert(svc_key.to_string(), pods);
            }
        }
    }

    /// Forgets a deleted service.
    pub fn remove(&self, svc_key: &str) {
        if let Ok(mut m) = self.members.lock() {
            m.remove(svc_key);
        }
    }

    /// Services to sync after an event about `pod`: those selecting it now and those
    /// that held it at their last sync. Empty when nothing endpoints show has changed.
    pub fn services_for_pod(
        &self,
        services: &Store<Service>,
        pod: &Pod,
        deleted: bool,
    ) -> Vec<String> {
        let pod_key = key_of(pod);
        if let Ok(mut f) = self.fingerprints.lock() {
            if deleted {
                f.remove(&pod_key);
            } else {
                let fp = fingerprint(pod);
                if f.insert(pod_key.clone(), fp) == Some(fp) {
                    return vec![];
                }
            }
        }
        let ns = pod.namespace().unwrap_or_default();
        let name = pod.name_any();
        let labels = pod.labels();
        let mut keys: HashSet<String> = services
            .state()
            .iter()
            .filter(|s| s.metadata.namespace.as_deref() == Some(ns.as_str()))
            .filter(|s| managed_selector(s).is_some_and(|sel| selects(sel, labels)))
            .map(|s| key_of(s.as_ref()))
            .collect();
        if let Ok(m) = self.members.lock() {
            for (svc, pods) in m.iter() {
                if split_key(svc).0 == ns && pods.contains(&name) {
                    keys.insert(svc.clone());
                }
            }
        }
        keys.into_iter().collect()
    }
}

/// Hash of what endpoints are made of: labels, IPs, readiness, deletion, node, hostname,
/// phase and container ports.
fn fingerprint(pod: &Pod) -> u64 {
    let mut h = DefaultHasher::new();
    pod.metadata.labels.hash(&mut h);
    pod.metadata.deletion_timestamp.is_some().hash(&mut h);
    pod.metadata.uid.hash(&mut h);
    util::phase(pod).hash(&mut h);
    if let Some(s) = &pod.status {
        s.pod_ip.hash(&mut h);
        for ip in s.pod_ips.iter().flatten() {
            ip.ip.hash(&mut h);
        }
    }
    util::is_pod_ready(pod).hash(&mut h);
    ready_transition(pod)
        .map(|t| t.as_nanosecond())
        .hash(&mut h);
    if let Some(spec) = &pod.spec {
        spec.node_name.hash(&mut h);
        spec.hostname.hash(&mut h);
        spec.subdomain.hash(&mut h);
        for c in spec
            .containers
            .iter()
            .chain(spec.init_containers.iter().flatten())
        {
            for p in c.ports.iter().flatten() {
                (&p.name, p.container_port, &p.protocol).hash(&mut h);
            }
        }
    }
    h.finish()
}

/// The last transition time of the pod's Ready condition.
pub fn ready_transition(pod: &Pod) -> Option<Timestamp> {
    pod.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready")?
        .last_transition_time
        .as_ref()
        .map(|t| t.0)
}

/// Tracks, per service, the trigger times last seen, to compute the
/// `endpoints.kubernetes.io/last-change-trigger-time` annotation (TriggerTimeTracker):
/// the earliest change (a pod's Ready transition, or the service's creation) not yet
/// reflected in the endpoints.
#[derive(Default)]
pub struct TriggerTimeTracker {
    services: Mutex<HashMap<String, TriggerState>>,
}

/// Trigger times of a service's pods (by name) and of the service, as last synced.
type TriggerState = (HashMap<String, Timestamp>, Option<Timestamp>);

impl TriggerTimeTracker {
    /// The trigger time of this sync (None: nothing changed since the last one).
    pub fn compute(&self, svc_key: &str, svc: &Service, pods: &[&Pod]) -> Option<Timestamp> {
        let Ok(mut m) = self.services.lock() else {
            return None;
        };
        let svc_time = svc.metadata.creation_timestamp.as_ref().map(|t| t.0);
        let known = m.contains_key(svc_key);
        let (last_pods, last_svc) = m.entry(svc_key.to_string()).or_default();
        let mut min: Option<Timestamp> = None;
        let mut now_pods = HashMap::new();
        for pod in pods {
            if let Some(t) = ready_transition(pod) {
                let name = pod.name_any();
                if last_pods.get(&name).is_none_or(|last| t > *last) {
                    min = Some(min.map_or(t, |m| m.min(t)));
                }
                now_pods.insert(name, t);
            }
        }
        if let Some(t) = svc_time {
            if last_svc.is_none_or(|last| t > last) {
                min = Some(min.map_or(t, |m| m.min(t)));
            }
        }
        *last_pods = now_pods;
        *last_svc = svc_time;
        if !known {
            return svc_time;
        }
        min
    }

    /// Forgets a deleted service.
    pub fn delete(&self, svc_key: &str) {
        if let Ok(mut m) = self.services.lock() {
            m.remove(svc_key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{Container, ContainerPort, PodSpec, PodStatus};

    fn pod_with_port(name: &str, port: i32, protocol: &str) -> Pod {
        Pod {
            spec: Some(PodSpec {
                containers: vec![Container {
                    name: "c".into(),
                    ports: Some(vec![ContainerPort {
                        name: Some(name.into()),
                        container_port: port,
                        protocol: Some(protocol.into()),
                        ..Default::default()
                    }]),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn svc_port(target: IntOrString) -> ServicePort {
        ServicePort {
            port: 80,
            protocol: Some("TCP".into()),
            target_port: Some(target),
            ..Default::default()
        }
    }

    #[test]
    fn named_target_ports_resolve_per_pod_and_protocol() {
        let pod = pod_with_port("http", 8080, "TCP");
        let by_name = svc_port(IntOrString::String("http".into()));
        assert_eq!(find_port(&pod, &by_name), Some(8080));
        assert_eq!(
            find_port(&pod, &svc_port(IntOrString::String("grpc".into()))),
            None
        );
        assert_eq!(find_port(&pod_with_port("http", 53, "UDP"), &by_name), None);
        assert_eq!(
            find_port(&pod, &svc_port(IntOrString::Int(9376))),
            Some(9376)
        );
    }

    #[test]
    fn pods_without_ip_terminal_or_deleting_are_left_out() {
        let mut pod = pod_with_port("http", 80, "TCP");
        assert!(!should_pod_be_in_endpoints(&pod, true));
        pod.status = Some(PodStatus {
            pod_ip: Some("10.244.0.5".into()),
            phase: Some("Running".into()),
            ..Default::default()
        });
        assert!(should_pod_be_in_endpoints(&pod, false));
        pod.metadata.deletion_timestamp = Some(
            k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(Timestamp::now()),
        );
        assert!(!should_pod_be_in_endpoints(&pod, false));
        assert!(should_pod_be_in_endpoints(&pod, true));
        pod.metadata.deletion_timestamp = None;
        if let Some(s) = pod.status.as_mut() {
            s.phase = Some("Succeeded".into());
        }
        assert!(!should_pod_be_in_endpoints(&pod, true));
        assert_eq!(pod_ip(&pod, false).as_deref(), Some("10.244.0.5"));
        assert_eq!(pod_ip(&pod, true), None);
    }
}
