//! Works out which EndpointSlices of a service to create, update and delete so that they
//! hold the desired endpoints with little churn (upstream's reconciler): endpoints stay
//! in the slice they are in, new ones fill slices with room, emptied slices are reused.

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::core::v1::{ObjectReference, Pod, Service};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointPort, EndpointSlice};
use kube::api::ObjectMeta;
use kube::ResourceExt;

use super::{CONTROLLER_NAME, MANAGED_BY_LABEL, SERVICE_NAME_LABEL};
use crate::endpoints::{is_headless, pods, HEADLESS_LABEL};
use crate::util;

/// Endpoints per slice at most (--max-endpoints-per-slice).
pub const MAX_ENDPOINTS_PER_SLICE: usize = 100;

/// A port as a comparable key: (name, port, protocol, appProtocol).
pub type PortKey = (String, i32, String, Option<String>);

/// What to write for one service.
#[derive(Debug, Default)]
pub struct Plan {
    pub create: Vec<EndpointSlice>,
    pub update: Vec<EndpointSlice>,
    pub delete: Vec<String>,
}

fn port_key(p: &EndpointPort) -> PortKey {
    (
        p.name.clone().unwrap_or_default(),
        p.port.unwrap_or(0),
        p.protocol.clone().unwrap_or_else(|| "TCP".into()),
        p.app_protocol.clone(),
    )
}

fn ports_of(key: &[PortKey]) -> Option<Vec<EndpointPort>> {
    if key.is_empty() {
        return None;
    }
    Some(
        key.iter()
            .map(|k| EndpointPort {
                name: Some(k.0.clone()),
                port: Some(k.1),
                protocol: Some(k.2.clone()),
                app_protocol: k.3.clone(),
            })
            .collect(),
    )
}

fn slice_ports_key(es: &EndpointSlice) -> Vec<PortKey> {
    let mut k: Vec<PortKey> = es.ports.iter().flatten().map(port_key).collect();
    k.sort();
    k
}

fn address_type(svc: &Service) -> &'static str {
    if pods::service_is_ipv6(svc) {
        "IPv6"
    } else {
        "IPv4"
    }
}

/// The endpoints of the selected pods, grouped by the ports they serve.
pub fn desired_endpoints(
    svc: &Service,
    selected: &[&Pod],
) -> BTreeMap<Vec<PortKey>, Vec<Endpoint>> {
    let spec = svc.spec.clone().unwrap_or_default();
    let publish_not_ready = spec.publish_not_ready_addresses.unwrap_or(false);
    let ipv6 = pods::service_is_ipv6(svc);
    let mut out: BTreeMap<Vec<PortKey>, Vec<Endpoint>> = BTreeMap::new();
    let mut selected = selected.to_vec();
    selected.sort_by_key(|p| p.name_any());
    for pod in selected {
        if !pods::should_pod_be_in_endpoints(pod, true) {
            continue;
        }
        let Some(ip) = pods::pod_ip(pod, ipv6) else {
            continue;
        };
        let mut ports: Vec<PortKey> = spec
            .ports
            .iter()
            .flatten()
            .filter_map(|sp| {
                let n = pods::find_port(pod, sp)?;
                Some((
                    sp.name.clone().unwrap_or_default(),
                    n,
                    sp.protocol.clone().unwrap_or_else(|| "TCP".into()),
                    sp.app_protocol.clone(),
                ))
            })
            .collect();
        ports.sort();
        let serving = util::is_pod_ready(pod);
        let terminating = pod.metadata.deletion_timestamp.is_some();
        // A terminating pod is never "ready", unless the service publishes everything.
        let ready = publish_not_ready || (serving && !terminating);
        let spec_ = pod.spec.as_ref();
        out.entry(ports).or_default().push(Endpoint {
            addresses: vec![ip],
            conditions: Some(EndpointConditions {
                ready: Some(ready),
                serving: Some(serving),
                terminating: Some(terminating),
            }),
            hostname: pods::should_set_hostname(pod, svc)
                .then(|| spec_.and_then(|s| s.hostname.clone()))
                .flatten(),
            node_name: spec_.and_then(|s| s.node_name.clone()),
            target_ref: Some(ObjectReference {
                kind: Some("Pod".into()),
                namespace: pod.metadata.namespace.clone(),
                name: pod.metadata.name.clone(),
                uid: pod.metadata.uid.clone(),
                ..Default::default()
            }),
            ..Default::default()
        });
    }
    out
}

/// The labels a slice of `svc` carries.
pub fn slice_labels(svc: &Service) -> BTreeMap<String, String> {
    let mut labels = svc.metadata.labels.clone().unwrap_or_default();
    labels.remove(HEADLESS_LABEL);
    labels.insert(SERVICE_NAME_LABEL.into(), svc.name_any());
    labels.insert(MANAGED_BY_LABEL.into(), CONTROLLER_NAME.into());
    if is_headless(svc) {
        labels.insert(HEADLESS_LABEL.into(), String::new());
    }
    labels
}

fn target_name(e: &Endpoint) -> Option<&str> {
    e.target_ref.as_ref().and_then(|r| r.name.as_deref())
}

/// A stored endpoint as [`desired_endpoints`] would build it.
fn normalized(mut e: Endpoint) -> Endpoint {
    if let Some(r) = e.target_ref.as_mut() {
        r.resource_version = None;
    }
    e
}

/// Plans the writes that turn `existing` (this controller's slices labelled for `svc`)
/// into slices holding `desired`.
pub fn plan(
    svc: &Service,
    mut existing: Vec<EndpointSlice>,
    desired: BTreeMap<Vec<PortKey>, Vec<Endpoint>>,
) -> Plan {
    let addr_type = address_type(svc);
    let uid = svc.uid().unwrap_or_default();
    let mut remaining: BTreeMap<Vec<PortKey>, HashMap<String, Endpoint>> = desired
        .into_iter()
        .map(|(k, eps)| {
            let by_pod = eps
                .into_iter()
                .map(|e| (target_name(&e).unwrap_or_default().to_string(), e))
                .collect();
            (k, by_pod)
        })
        .collect();
    // Slices kept: (slice, changed, port key). Spare: to reuse or delete.
    let mut keep: Vec<(EndpointSlice, bool, Vec<PortKey>)> = Vec::new();
    let mut spare: Vec<EndpointSlice> = Vec::new();
    existing.sort_by_key(|es| es.name_any());
    let placeholders: Vec<String> = existing
        .iter()
        .filter(|es| {
            es.endpoints.is_empty()
                && es.ports.as_ref().is_none_or(Vec::is_empty)
                && es.address_type == addr_type
        })
        .map(|es| es.name_any())
        .collect();
    for mut es in existing {
        let owned = es
            .metadata
            .owner_references
            .iter()
            .flatten()
            .any(|r| r.uid == uid);
        let key = slice_ports_key(&es);
        let group = remaining.get_mut(&key);
        let (Some(group), true, true) = (group, owned, es.address_type == addr_type) else {
            spare.push(es);
            continue;
        };
        let old: Vec<Endpoint> = es.endpoints.drain(..).map(normalized).collect();
        let new: Vec<Endpoint> = old
            .iter()
            .filter_map(|e| group.remove(target_name(e)?))
            .collect();
        if new.is_empty() {
            spare.push(es);
            continue;
        }
        let changed = new != old;
        es.endpoints = new;
        keep.push((es, changed, key));
    }

    let mut plan = Plan::default();
    for (key, group) in remaining {
        let mut eps: Vec<Endpoint> = group.into_values().collect();
        eps.sort_by(|a, b| target_name(a).cmp(&target_name(b)));
        // Fill the slices with room first, fullest first, as upstream does.
        let mut room: Vec<usize> = (0..keep.len())
            .filter(|&i| keep[i].2 == key && keep[i].0.endpoints.len() < MAX_ENDPOINTS_PER_SLICE)
            .collect();
        room.sort_by_key(|&i| std::cmp::Reverse(keep[i].0.endpoints.len()));
        for i in room {
            if eps.is_empty() {
                break;
            }
            let n = (MAX_ENDPOINTS_PER_SLICE - keep[i].0.endpoints.len()).min(eps.len());
            keep[i].0.endpoints.extend(eps.drain(..n));
            keep[i].1 = true;
        }
        while !eps.is_empty() {
            let n = eps.len().min(MAX_ENDPOINTS_PER_SLICE);
            let chunk: Vec<Endpoint> = eps.drain(..n).collect();
            match spare.pop() {
                Some(mut es) => {
                    es.address_type = addr_type.into();
                    es.ports = ports_of(&key);
                    es.endpoints = chunk;
                    keep.push((es, true, key.clone()));
                }
                None => plan.create.push(new_slice(svc, &key, chunk)),
            }
        }
    }

    if keep.is_empty() && plan.create.is_empty() {
        // No endpoints: one empty placeholder slice says so. Reuse a slice, an existing
        // placeholder (left untouched) if there is one.
        let pos = spare
            .iter()
            .position(|es| placeholders.contains(&es.name_any()))
            .or(if spare.is_empty() { None } else { Some(0) });
        match pos.map(|i| spare.remove(i)) {
            Some(mut es) => {
                let changed = !placeholders.contains(&es.name_any());
                es.address_type = addr_type.into();
                es.ports = None;
                es.endpoints = vec![];
                keep.push((es, changed, vec![]));
            }
            None => plan.create.push(new_slice(svc, &[], vec![])),
        }
    }

    let labels = slice_labels(svc);
    let owner = util::controller_ref(svc);
    for (mut es, mut changed, _) in keep {
        if es.metadata.labels.as_ref() != Some(&labels) {
            es.metadata.labels = Some(labels.clone());
            changed = true;
        }
        let owned = es
            .metadata
            .owner_references
            .iter()
            .flatten()
            .any(|r| r.uid == owner.uid);
        if !owned {
            es.metadata.owner_references = Some(vec![owner.clone()]);
            changed = true;
        }
        if changed {
            plan.update.push(es);
        }
    }
    plan.delete = spare.into_iter().map(|es| es.name_any()).collect();
    plan
}

fn new_slice(svc: &Service, ports: &[PortKey], endpoints: Vec<Endpoint>) -> EndpointSlice {
    EndpointSlice {
        metadata: ObjectMeta {
            generate_name: Some(util::name_prefix(&svc.name_any())),
            namespace: svc.namespace(),
            labels: Some(slice_labels(svc)),
            owner_references: Some(vec![util::controller_ref(svc)]),
            ..Default::default()
        },
        address_type: address_type(svc).into(),
        endpoints,
        ports: ports_of(ports),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{PodCondition, PodStatus, ServicePort, ServiceSpec};
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

    fn svc() -> Service {
        Service {
            metadata: ObjectMeta {
                name: Some("web".into()),
                namespace: Some("default".into()),
                uid: Some("svc-uid".into()),
                ..Default::default()
            },
            spec: Some(ServiceSpec {
                cluster_ip: Some("10.96.0.20".into()),
                selector: Some([("app".to_string(), "web".to_string())].into()),
                ports: Some(vec![ServicePort {
                    port: 80,
                    protocol: Some("TCP".into()),
                    target_port: Some(IntOrString::Int(8080)),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            status: None,
        }
    }

    fn pod(i: usize, ready: bool) -> Pod {
        Pod {
            metadata: ObjectMeta {
                name: Some(format!("web-{i:04}")),
                namespace: Some("default".into()),
                uid: Some(format!("uid-{i}")),
                ..Default::default()
            },
            spec: None,
            status: Some(PodStatus {
                phase: Some("Running".into()),
                pod_ip: Some(format!("10.244.{}.{}", i / 200, i % 200 + 2)),
                conditions: Some(vec![PodCondition {
                    type_: "Ready".into(),
                    status: if ready { "True" } else { "False" }.into(),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
        }
    }

    /// Applies a plan as the API server would, naming created slices `web-gN`.
    fn apply(existing: Vec<EndpointSlice>, plan: Plan) -> Vec<EndpointSlice> {
        let mut out: Vec<EndpointSlice> = existing
            .into_iter()
            .filter(|es| !plan.delete.contains(&es.name_any()))
            .filter(|es| !plan.update.iter().any(|u| u.name_any() == es.name_any()))
            .collect();
        out.extend(plan.update);
        for (i, mut es) in plan.create.into_iter().enumerate() {
            es.metadata.name = Some(format!("web-g{}-{}", out.len(), i));
            out.push(es);
        }
        out
    }

    fn run(existing: Vec<EndpointSlice>, pods: &[Pod]) -> (Vec<EndpointSlice>, usize) {
        let s = svc();
        let refs: Vec<&Pod> = pods.iter().collect();
        let plan = plan(&s, existing.clone(), desired_endpoints(&s, &refs));
        let writes = plan.create.len() + plan.update.len() + plan.delete.len();
        (apply(existing, plan), writes)
    }

    fn count(slices: &[EndpointSlice]) -> usize {
        slices.iter().map(|s| s.endpoints.len()).sum()
    }

    #[test]
    fn packs_at_most_100_per_slice_and_settles() {
        let pods: Vec<Pod> = (0..250).map(|i| pod(i, true)).collect();
        let (slices, _) = run(vec![], &pods);
        assert_eq!(slices.len(), 3);
        assert!(slices.iter().all(|s| s.endpoints.len() <= 100));
        assert_eq!(count(&slices), 250);
        let labels = slices[0].metadata.labels.clone().unwrap_or_default();
        assert_eq!(
            labels.get(SERVICE_NAME_LABEL).map(String::as_str),
            Some("web")
        );
        assert_eq!(
            labels.get(MANAGED_BY_LABEL).map(String::as_str),
            Some(CONTROLLER_NAME)
        );
        let port = slices[0].ports.as_ref().map(|p| p[0].port);
        assert_eq!(port, Some(Some(8080)));
        // Nothing changed: nothing to write.
        let (_, writes) = run(slices, &pods);
        assert_eq!(writes, 0);
    }

    #[test]
    fn a_change_touches_only_the_slice_holding_it() {
        let mut pods: Vec<Pod> = (0..150).map(|i| pod(i, true)).collect();
        let (slices, _) = run(vec![], &pods);
        pods[3] = pod(3, false);
        let (slices, writes) = run(slices, &pods);
        assert_eq!(writes, 1);
        let ep = slices
            .iter()
            .flat_map(|s| &s.endpoints)
            .find(|e| target_name(e) == Some("web-0003"));
        let cond = ep.and_then(|e| e.conditions.clone()).unwrap_or_default();
        assert_eq!((cond.ready, cond.serving), (Some(false), Some(false)));
        // Removing pods leaves the other slice alone; a new pod fills the room.
        pods.truncate(120);
        let (slices, writes) = run(slices, &pods);
        assert_eq!((count(&slices), writes), (120, 1));
        pods.push(pod(500, true));
        let (slices, writes) = run(slices, &pods);
        assert_eq!((count(&slices), slices.len(), writes), (121, 2, 1));
    }

    #[test]
    fn no_endpoints_leave_one_placeholder() {
        let pods: Vec<Pod> = (0..120).map(|i| pod(i, true)).collect();
        let (slices, _) = run(vec![], &pods);
        let (slices, _) = run(slices, &[]);
        assert_eq!(slices.len(), 1);
        assert!(slices[0].endpoints.is_empty() && slices[0].ports.is_none());
        let (slices, writes) = run(slices, &[]);
        assert_eq!((slices.len(), writes), (1, 0));
        // The placeholder is reused for the first endpoints.
        let (slices, _) = run(slices, &pods[..1]);
        assert_eq!(slices.len(), 1);
        assert_eq!(count(&slices), 1);
    }
}
