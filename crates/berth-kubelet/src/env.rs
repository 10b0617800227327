//! A container's environment, as kubelet's `makeEnvironmentVariables` builds it:
//! `envFrom` sources first, then `env` (which overrides them, with `$(VAR)` expansion
//! against the variables defined so far and the service variables), then the service
//! link variables ([`service_env_vars`]) not already defined.
//!
//! The API reads (config maps and secrets) happen in [`container_env`]; the rest is the
//! pure [`make_env`], also used with already fetched objects in tests. Field and
//! resource references ([`field_ref_value`], [`resource_field_value`]) are shared with
//! downward API volumes.

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::core::v1::{
    ConfigMap, Container, Pod, ResourceFieldSelector, Secret, Service,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kube::Api;

use crate::cri::api;
use crate::resources::{milli_value, value};

/// What a container's environment needs besides the pod: addresses, the node, service
/// links and the node's allocatable resources (the default for limits a container
/// does not set, as kubelet's `defaultPodLimitsForDownwardAPI`).
#[derive(Clone, Debug, Default)]
pub struct EnvContext {
    /// The pod's primary IP (`status.podIP`).
    pub pod_ip: String,
    /// All the pod's IPs (`status.podIPs`); when non-empty the first is the primary.
    pub pod_ips: Vec<String>,
    /// The node's primary IP (`status.hostIP`).
    pub host_ip: String,
    /// All the node's IPs (`status.hostIPs`); `host_ip` alone when empty.
    pub host_ips: Vec<String>,
    /// The node's name (`spec.nodeName` when the pod has none).
    pub node_name: String,
    /// Service link variables ([`service_env_vars`]).
    pub service_env: Vec<(String, String)>,
    /// The node's allocatable resources (`cpu`, `memory`, `ephemeral-storage`, ...).
    pub node_allocatable: BTreeMap<String, Quantity>,
}

/// Why a container's environment could not be built; the Display text is the
/// CreateContainerConfigError message, worded as kubelet's.
#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    /// A config map that is not optional does not exist.
    #[error("configmap {name:?} not found")]
    ConfigMapNotFound {
        /// Its name.
        name: String,
    },
    /// A secret that is not optional does not exist.
    #[error("secret {name:?} not found")]
    SecretNotFound {
        /// Its name.
        name: String,
    },
    /// A config map lacks a key a variable needs.
    #[error("couldn't find key {key} in ConfigMap {namespace}/{name}")]
    ConfigMapKeyNotFound {
        /// The key.
        key: String,
        /// The config map's namespace.
        namespace: String,
        /// The config map's name.
        name: String,
    },
    /// A secret lacks a key a variable needs.
    #[error("couldn't find key {key} in Secret {namespace}/{name}")]
    SecretKeyNotFound {
        /// The key.
        key: String,
        /// The secret's namespace.
        namespace: String,
        /// The secret's name.
        name: String,
    },
    /// Reading a config map or secret failed for another reason than its absence.
    #[error("failed to get {kind} {name:?}: {message}")]
    Api {
        /// `configmap` or `secret`.
        kind: &'static str,
        /// Its name.
        name: String,
        /// The client's error.
        message: String,
    },
    /// A field reference the kubelet does not support.
    #[error("unsupported fieldPath: {0}")]
    UnsupportedFieldPath(String),
    /// A resource reference the kubelet does not support.
    #[error("unsupported container resource : {0}")]
    UnsupportedResource(String),
    /// A resource reference names a container the pod does not have.
    #[error("container {0} not found")]
    ContainerNotFound(String),
}

/// The result of reading one object: `Ok(None)` when it does not exist, `Err` with the
/// client's message when reading it failed.
pub type Fetched<T> = Result<Option<T>, String>;

/// Objects a container's environment refers to, by name, as fetched.
#[derive(Clone, Debug, Default)]
pub struct EnvSources {
    /// Config maps of the pod's namespace.
    pub config_maps: HashMap<String, Fetched<ConfigMap>>,
    /// Secrets of the pod's namespace.
    pub secrets: HashMap<String, Fetched<Secret>>,
}

/// The names of the config maps and secrets a container's `envFrom` and `env` refer to.
pub fn referenced_objects(container: &Container) -> (Vec<String>, Vec<String>) {
    let mut cms = Vec::new();
    let mut secrets = Vec::new();
    let push = |v: &mut Vec<String>, n: &str| {
        if !v.iter().any(|x| x == n) {
            v.push(n.to_string());
        }
    };
    for ef in container.env_from.iter().flatten() {
        if let Some(r) = &ef.config_map_ref {
            push(&mut cms, &r.name);
        } else if let Some(r) = &ef.secret_ref {
            push(&mut secrets, &r.name);
        }
    }
    for e in container.env.iter().flatten() {
        if e.value.as_deref().is_some_and(|v| !v.is_empty()) {
            continue;
        }
        let Some(from) = &e.value_from else { continue };
        if let Some(r) = &from.config_map_key_ref {
            push(&mut cms, &r.name);
        } else if let Some(r) = &from.secret_key_ref {
            push(&mut secrets, &r.name);
        }
    }
    (cms, secrets)
}

pub(crate) async fn fetch<K>(api: &Api<K>, name: &str) -> Fetched<K>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    match api.get(name).await {
        Ok(o) => Ok(Some(o)),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// The container's environment: reads the config maps and secrets it refers to from
/// the API, then [`make_env`].
pub async fn container_env(
    client: &kube::Client,
    pod: &Pod,
    container: &Container,
    ctx: &EnvContext,
) -> Result<Vec<api::KeyValue>, EnvError> {
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    let (cm_names, secret_names) = referenced_objects(container);
    let mut sources = EnvSources::default();
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
    for name in cm_names {
        let got = fetch(&cms, &name).await;
        sources.config_maps.insert(name, got);
    }
    let secrets: Api<Secret> = Api::namespaced(client.clone(), ns);
    for name in secret_names {
        let got = fetch(&secrets, &name).await;
        sources.secrets.insert(name, got);
    }
    make_env(pod, container, ctx, &sources)
}

/// An ordered map: first definition fixes the position, later ones replace the value.
#[derive(Default)]
struct OrderedEnv {
    order: Vec<String>,
    values: HashMap<String, String>,
}

impl OrderedEnv {
    fn set(&mut self, k: String, v: String) {
        if !self.values.contains_key(&k) {
            self.order.push(k.clone());
        }
        self.values.insert(k, v);
    }
}

/// Keys `envFrom` may bring in: non-empty printable ASCII without `=` (the relaxed
/// environment variable name rule, GA in Kubernetes 1.34). Others are skipped.
fn is_valid_env_name(k: &str) -> bool {
    !k.is_empty() && k.bytes().all(|b| (b' '..=b'~').contains(&b) && b != b'=')
}

fn config_map<'a>(
    sources: &'a EnvSources,
    name: &str,
    optional: bool,
) -> Result<Option<&'a ConfigMap>, EnvError> {
    match sources.config_maps.get(name) {
        Some(Ok(Some(cm))) => Ok(Some(cm)),
        Some(Err(message)) => Err(EnvError::Api {
            kind: "configmap",
            name: name.to_string(),
            message: message.clone(),
        }),
        _ if optional => Ok(None),
        _ => Err(EnvError::ConfigMapNotFound {
            name: name.to_string(),
        }),
    }
}

fn secret<'a>(
    sources: &'a EnvSources,
    name: &str,
    optional: bool,
) -> Result<Option<&'a Secret>, EnvError> {
    match sources.secrets.get(name) {
        Some(Ok(Some(s))) => Ok(Some(s)),
        Some(Err(message)) => Err(EnvError::Api {
            kind: "secret",
            name: name.to_string(),
            message: message.clone(),
        }),
        _ if optional => Ok(None),
        _ => Err(EnvError::SecretNotFound {
            name: name.to_string(),
        }),
    }
}

/// The container's environment from already fetched objects (kubelet's
/// `makeEnvironmentVariables`): envFrom, then env with `$(VAR)` expansion, then the
/// service variables not defined by either.
pub fn make_env(
    pod: &Pod,
    container: &Container,
    ctx: &EnvContext,
    sources: &EnvSources,
) -> Result<Vec<api::KeyValue>, EnvError> {
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    let mut env = OrderedEnv::default();
    for ef in container.env_from.iter().flatten() {
        let prefix = ef.prefix.as_deref().unwrap_or_default();
        if let Some(r) = &ef.config_map_ref {
            let Some(cm) = config_map(sources, &r.name, r.optional.unwrap_or(false))? else {
                continue;
            };
            for (k, v) in cm.data.iter().flatten() {
                let k = format!("{prefix}{k}");
                if is_valid_env_name(&k) {
                    env.set(k, v.clone());
                }
            }
        } else if let Some(r) = &ef.secret_ref {
            let Some(s) = secret(sources, &r.name, r.optional.unwrap_or(false))? else {
                continue;
            };
            for (k, v) in s.data.iter().flatten() {
                let k = format!("{prefix}{k}");
                if is_valid_env_name(&k) {
                    env.set(k, String::from_utf8_lossy(&v.0).into_owned());
                }
            }
        }
    }

    let service_env: HashMap<&str, &str> = ctx
        .service_env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    for e in container.env.iter().flatten() {
        let mut runtime_val = e.value.clone().unwrap_or_default();
        if !runtime_val.is_empty() {
            runtime_val = expand(&runtime_val, |name| {
                env.values
                    .get(name)
                    .map(String::as_str)
                    .or_else(|| service_env.get(name).copied())
                    .map(str::to_string)
            });
        } else if let Some(from) = &e.value_from {
            if let Some(f) = &from.field_ref {
                runtime_val = field_ref_value(pod, &f.field_path, ctx)?;
            } else if let Some(r) = &from.resource_field_ref {
                runtime_val = resource_field_value(pod, Some(container), r, &ctx.node_allocatable)?;
            } else if let Some(r) = &from.config_map_key_ref {
                let optional = r.optional.unwrap_or(false);
                let Some(cm) = config_map(sources, &r.name, optional)? else {
                    continue;
                };
                match cm.data.as_ref().and_then(|d| d.get(&r.key)) {
                    Some(v) => runtime_val = v.clone(),
                    None if optional => continue,
                    None => {
                        return Err(EnvError::ConfigMapKeyNotFound {
                            key: r.key.clone(),
                            namespace: ns.to_string(),
                            name: r.name.clone(),
                        })
                    }
                }
            } else if let Some(r) = &from.secret_key_ref {
                let optional = r.optional.unwrap_or(false);
                let Some(s) = secret(sources, &r.name, optional)? else {
                    continue;
                };
                match s.data.as_ref().and_then(|d| d.get(&r.key)) {
                    Some(v) => runtime_val = String::from_utf8_lossy(&v.0).into_owned(),
                    None if optional => continue,
                    None => {
                        return Err(EnvError::SecretKeyNotFound {
                            key: r.key.clone(),
                            namespace: ns.to_string(),
                            name: r.name.clone(),
                        })
                    }
                }
            }
        }
        env.set(e.name.clone(), runtime_val);
    }

    let mut out: Vec<api::KeyValue> = env
        .order
        .iter()
        .map(|k| api::KeyValue {
            key: k.clone(),
            value: env.values[k].clone(),
        })
        .collect();
    for (k, v) in &ctx.service_env {
        if !env.values.contains_key(k) && !out.iter().any(|kv| &kv.key == k) {
            out.push(api::KeyValue {
                key: k.clone(),
                value: v.clone(),
            });
        }
    }
    Ok(out)
}

/// kubelet's `$(VAR)` expansion (`third_party/forked/golang/expansion`): `$$` is a
/// literal `$`, `$(NAME)` is replaced by `mapping(NAME)` or kept verbatim when unknown,
/// an unterminated `$(` and any other `$x` stay as written.
pub fn expand(input: &str, mapping: impl Fn(&str) -> Option<String>) -> String {
    let bytes = input.as_bytes();
    let mut out = String::with_capacity(input.len());
    let mut checkpoint = 0;
    let mut cursor = 0;
    while cursor < bytes.len() {
        if bytes[cursor] == b'$' && cursor + 1 < bytes.len() {
            out.push_str(&input[checkpoint..cursor]);
            let rest = &input[cursor + 1..];
            let advance = match rest.as_bytes()[0] {
                b'$' => {
                    out.push('$');
                    1
                }
                b'(' => match rest[1..].find(')') {
                    Some(end) => {
                        let name = &rest[1..1 + end];
                        match mapping(name) {
                            Some(v) => out.push_str(&v),
                            None => {
                                out.push_str("$(");
                                out.push_str(name);
                                out.push(')');
                            }
                        }
                        end + 2
                    }
                    None => {
                        out.push_str("$(");
                        1
                    }
                },
                _ => {
                    // `$` and the next character, copied as they are.
                    let ch = rest.chars().next().unwrap_or_default();
                    out.push('$');
                    out.push(ch);
                    ch.len_utf8()
                }
            };
            cursor += advance;
            checkpoint = cursor + 1;
        }
        cursor += 1;
    }
    if checkpoint < input.len() {
        out.push_str(&input[checkpoint..]);
    }
    out
}

/// Go's `%q` of a string (as `fieldpath.FormatMap` writes label and annotation values).
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => {
                if (c as u32) < 0x10000 {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `fieldpath.FormatMap`: `key="value"` lines, sorted by key, no final newline.
pub fn format_map(m: Option<&BTreeMap<String, String>>) -> String {
    m.into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", go_quote(v)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `metadata.labels['key']` / `metadata.annotations['key']` → (map, key).
fn split_subscript(path: &str) -> Option<(&str, &str)> {
    let open = path.find("['")?;
    let key = path[open + 2..].strip_suffix("']")?;
    Some((&path[..open], key))
}

/// The value of a pod field reference (kubelet's `podFieldSelectorRuntimeValue` and
/// `fieldpath.ExtractFieldPathAsString`).
pub fn field_ref_value(pod: &Pod, path: &str, ctx: &EnvContext) -> Result<String, EnvError> {
    let meta = &pod.metadata;
    let spec = pod.spec.as_ref();
    let pod_ip = ctx
        .pod_ips
        .first()
        .cloned()
        .unwrap_or_else(|| ctx.pod_ip.clone());
    Ok(match path {
        "metadata.name" => meta.name.clone().unwrap_or_default(),
        "metadata.namespace" => meta.namespace.clone().unwrap_or_default(),
        "metadata.uid" => meta.uid.clone().unwrap_or_default(),
        "metadata.labels" => format_map(meta.labels.as_ref()),
        "metadata.annotations" => format_map(meta.annotations.as_ref()),
        "spec.nodeName" => spec
            .and_then(|s| s.node_name.clone())
            .unwrap_or_else(|| ctx.node_name.clone()),
        "spec.serviceAccountName" => spec
            .and_then(|s| s.service_account_name.clone())
            .unwrap_or_default(),
        "spec.terminationGracePeriodSeconds" => spec
            .and_then(|s| s.termination_grace_period_seconds)
            .unwrap_or(30)
            .to_string(),
        "status.hostIP" => ctx
            .host_ips
            .first()
            .cloned()
            .unwrap_or_else(|| ctx.host_ip.clone()),
        "status.hostIPs" => {
            if ctx.host_ips.is_empty() {
                ctx.host_ip.clone()
            } else {
                ctx.host_ips.join(",")
            }
        }
        "status.podIP" => pod_ip,
        "status.podIPs" => {
            if ctx.pod_ips.is_empty() {
                ctx.pod_ip.clone()
            } else {
                ctx.pod_ips.join(",")
            }
        }
        _ => match split_subscript(path) {
            Some(("metadata.labels", key)) => meta
                .labels
                .as_ref()
                .and_then(|m| m.get(key))
                .cloned()
                .unwrap_or_default(),
            Some(("metadata.annotations", key)) => meta
                .annotations
                .as_ref()
                .and_then(|m| m.get(key))
                .cloned()
                .unwrap_or_default(),
            _ => return Err(EnvError::UnsupportedFieldPath(path.to_string())),
        },
    })
}

fn ceil_div(n: i64, d: i64) -> i64 {
    if d == 0 {
        return 0;
    }
    let q = n / d;
    if (n % d != 0) && ((n < 0) == (d < 0)) {
        q + 1
    } else {
        q
    }
}

/// The value of a resource reference (`resource.ExtractContainerResourceValue`), limits
/// the container does not set defaulting to the node's allocatable; the container is
/// `selector.containerName` when set (required for volumes), else `container`.
pub fn resource_field_value(
    pod: &Pod,
    container: Option<&Container>,
    selector: &ResourceFieldSelector,
    node_allocatable: &BTreeMap<String, Quantity>,
) -> Result<String, EnvError> {
    let named = selector.container_name.as_deref().filter(|n| !n.is_empty());
    let container = match named {
        Some(name) => pod
            .spec
            .as_ref()
            .and_then(|s| {
                s.containers
                    .iter()
                    .chain(s.init_containers.iter().flatten())
                    .find(|c| c.name == name)
            })
            .ok_or_else(|| EnvError::ContainerNotFound(name.to_string()))?,
        None => container.ok_or_else(|| EnvError::ContainerNotFound(String::new()))?,
    };
    let divisor = selector
        .divisor
        .clone()
        .filter(|d| crate::resources::parse_quantity(&d.0).unwrap_or(0) != 0)
        .unwrap_or_else(|| Quantity("1".to_string()));
    let (kind, resource) = selector
        .resource
        .split_once('.')
        .ok_or_else(|| EnvError::UnsupportedResource(selector.resource.clone()))?;
    let res = container.resources.as_ref();
    let supported = matches!(resource, "cpu" | "memory" | "ephemeral-storage")
        || resource.starts_with("hugepages-");
    if !supported {
        return Err(EnvError::UnsupportedResource(selector.resource.clone()));
    }
    let quantity = match kind {
        "limits" => res
            .and_then(|r| r.limits.as_ref())
            .and_then(|m| m.get(resource))
            .or_else(|| {
                if resource.starts_with("hugepages-") {
                    None
                } else {
                    node_allocatable.get(resource)
                }
            }),
        "requests" => res
            .and_then(|r| r.requests.as_ref())
            .and_then(|m| m.get(resource)),
        _ => return Err(EnvError::UnsupportedResource(selector.resource.clone())),
    };
    let zero = Quantity("0".to_string());
    let quantity = quantity.unwrap_or(&zero);
    let v = if resource == "cpu" {
        ceil_div(milli_value(quantity), milli_value(&divisor))
    } else {
        ceil_div(value(quantity), value(&divisor))
    };
    Ok(v.to_string())
}

fn env_name(s: &str) -> String {
    s.replace('-', "_").to_uppercase()
}

fn join_host_port(host: &str, port: i32) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Docker-link style variables for services (kubelet's `envvars.FromServices`), in the
/// order given; services without a cluster IP (headless, ExternalName) are skipped.
pub fn service_env_vars(services: &[Service]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for svc in services {
        let Some(spec) = svc.spec.as_ref() else {
            continue;
        };
        let ip = spec.cluster_ip.as_deref().unwrap_or_default();
        if ip.is_empty() || ip == "None" {
            continue;
        }
        let ports = spec.ports.as_deref().unwrap_or_default();
        let Some(first) = ports.first() else { continue };
        let prefix = env_name(svc.metadata.name.as_deref().unwrap_or_default());
        out.push((format!("{prefix}_SERVICE_HOST"), ip.to_string()));
        let port_var = format!("{prefix}_SERVICE_PORT");
        out.push((port_var.clone(), first.port.to_string()));
        for p in ports {
            if let Some(name) = p.name.as_deref().filter(|n| !n.is_empty()) {
                out.push((format!("{port_var}_{}", env_name(name)), p.port.to_string()));
            }
        }
        for (i, p) in ports.iter().enumerate() {
            let protocol = p
                .protocol
                .as_deref()
                .filter(|s| !s.is_empty())
                .unwrap_or("TCP");
            let lower = protocol.to_lowercase();
            let url = format!("{lower}://{}", join_host_port(ip, p.port));
            if i == 0 {
                out.push((format!("{prefix}_PORT"), url.clone()));
            }
            let pp = format!("{prefix}_PORT_{}_{}", p.port, protocol.to_uppercase());
            out.push((pp.clone(), url));
            out.push((format!("{pp}_PROTO"), lower));
            out.push((format!("{pp}_PORT"), p.port.to_string()));
            out.push((format!("{pp}_ADDR"), ip.to_string()));
        }
    }
    out
}

/// The service variables a pod sees (kubelet's `getServiceEnvVarMap`): from `services`
/// (any namespaces), the `kubernetes` service of `default` always, and the services of
/// the pod's namespace when `enableServiceLinks` is not false. Later duplicates of a
/// variable are dropped.
pub fn service_env_for_pod(pod: &Pod, services: &[Service]) -> Vec<(String, String)> {
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    let links = pod
        .spec
        .as_ref()
        .and_then(|s| s.enable_service_links)
        .unwrap_or(true);
    let mut chosen: BTreeMap<String, Service> = BTreeMap::new();
    for svc in services {
        let name = svc.metadata.name.clone().unwrap_or_default();
        let svc_ns = svc.metadata.namespace.as_deref().unwrap_or_default();
        if svc_ns == "default" && name == "kubernetes" {
            chosen.entry(name).or_insert_with(|| svc.clone());
        } else if svc_ns == ns && links {
            chosen.insert(name, svc.clone());
        }
    }
    let list: Vec<Service> = chosen.into_values().collect();
    let mut seen = std::collections::HashSet::new();
    service_env_vars(&list)
        .into_iter()
        .filter(|(k, _)| seen.insert(k.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod() -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": "p", "namespace": "ns", "uid": "u-1",
                "labels": {"app": "web", "tier": "a\"b"}, "annotations": {"x": "1"}},
            "spec": {"nodeName": "n1", "serviceAccountName": "sa",
                "containers": [{"name": "c", "resources": {
                    "requests": {"cpu": "250m", "memory": "64Mi"},
                    "limits": {"memory": "128Mi"}}}]}
        }))
        .unwrap()
    }

    fn container(v: serde_json::Value) -> Container {
        let mut v = v;
        v["name"] = json!("c");
        serde_json::from_value(v).unwrap()
    }

    fn ctx() -> EnvContext {
        EnvContext {
            pod_ip: "10.0.0.5".into(),
            pod_ips: vec!["10.0.0.5".into(), "fd00::5".into()],
            host_ip: "192.168.1.2".into(),
            host_ips: vec![],
            node_name: "n1".into(),
            service_env: vec![
                ("KUBERNETES_SERVICE_HOST".into(), "10.96.0.1".into()),
                ("KUBERNETES_SERVICE_PORT".into(), "443".into()),
            ],
            node_allocatable: [
                ("cpu".to_string(), Quantity("4".into())),
                ("memory".to_string(), Quantity("8Gi".into())),
            ]
            .into_iter()
            .collect(),
        }
    }

    fn cm(data: serde_json::Value) -> Fetched<ConfigMap> {
        Ok(Some(
            serde_json::from_value(json!({"metadata": {"name": "x"}, "data": data})).unwrap(),
        ))
    }

    fn kv(v: &[api::KeyValue]) -> Vec<(String, String)> {
        v.iter()
            .map(|kv| (kv.key.clone(), kv.value.clone()))
            .collect()
    }

    #[test]
    fn expansion() {
        let m = |n: &str| match n {
            "A" => Some("a".to_string()),
            "B" => Some("$(A)".to_string()),
            _ => None,
        };
        assert_eq!(expand("$(A)-$(B)", m), "a-$(A)");
        assert_eq!(expand("$$(A)", m), "$(A)");
        assert_eq!(expand("$(UNKNOWN)x", m), "$(UNKNOWN)x");
        assert_eq!(expand("$(A", m), "$(A");
        assert_eq!(expand("a$b$", m), "a$b$");
        assert_eq!(expand("$$$(A)", m), "$a");
        assert_eq!(expand("é$(A)é", m), "éaé");
        assert_eq!(expand("$é", m), "$é");
        assert_eq!(expand("", m), "");
    }

    #[test]
    fn env_order_and_precedence() {
        let p = pod();
        let c = container(json!({
        "envFrom": [{"configMapRef": {"name": "x"}, "prefix": "P_"},
                    {"secretRef": {"name": "s"}}],
        "env": [
            {"name": "P_one", "value": "override"},
            {"name": "REF", "value": "$(P_one)/$(KUBERNETES_SERVICE_HOST)/$(NOPE)/$$(P_one)"},
            {"name": "KUBERNETES_SERVICE_PORT", "value": "8443"},
            {"name": "NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "KEY", "valueFrom": {"configMapKeyRef": {"name": "x", "key": "two"}}},
            {"name": "SKEY", "valueFrom": {"secretKeyRef": {"name": "s", "key": "pw"}}},
            {"name": "OPT", "valueFrom": {"configMapKeyRef": {"name": "missing", "key": "k", "optional": true}}},
            {"name": "EMPTY"}
        ]}));
        let mut sources = EnvSources::default();
        sources.config_maps.insert(
            "x".into(),
            cm(json!({"one": "1", "two": "2", "bad=key": "z"})),
        );
        sources.config_maps.insert("missing".into(), Ok(None));
        sources.secrets.insert(
            "s".into(),
            Ok(Some(
                serde_json::from_value(json!({"data": {"pw": "aHVudGVyMg=="}})).unwrap(),
            )),
        );
        let env = kv(&make_env(&p, &c, &ctx(), &sources).unwrap());
        let expect: Vec<(String, String)> = [
            ("P_one", "override"),
            ("P_two", "2"),
            ("pw", "hunter2"),
            ("REF", "override/10.96.0.1/$(NOPE)/$(P_one)"),
            ("KUBERNETES_SERVICE_PORT", "8443"),
            ("NAME", "p"),
            ("KEY", "2"),
            ("SKEY", "hunter2"),
            ("EMPTY", ""),
            ("KUBERNETES_SERVICE_HOST", "10.96.0.1"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        assert_eq!(env, expect);
    }

    #[test]
    fn env_errors() {
        let p = pod();
        let mut sources = EnvSources::default();
        sources
            .config_maps
            .insert("x".into(), cm(json!({"one": "1"})));
        sources.config_maps.insert("gone".into(), Ok(None));
        sources.secrets.insert("gone".into(), Ok(None));
        sources
            .secrets
            .insert("s".into(), Ok(Some(Secret::default())));
        let cases = [
            (
                json!({"envFrom": [{"configMapRef": {"name": "gone"}}]}),
                "configmap \"gone\" not found",
            ),
            (
                json!({"envFrom": [{"secretRef": {"name": "gone"}}]}),
                "secret \"gone\" not found",
            ),
            (
                json!({"env": [{"name": "A", "valueFrom": {"configMapKeyRef": {"name": "x", "key": "foo"}}}]}),
                "couldn't find key foo in ConfigMap ns/x",
            ),
            (
                json!({"env": [{"name": "A", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]}),
                "couldn't find key k in Secret ns/s",
            ),
            (
                json!({"env": [{"name": "A", "valueFrom": {"configMapKeyRef": {"name": "gone", "key": "k"}}}]}),
                "configmap \"gone\" not found",
            ),
            (
                json!({"env": [{"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "spec.bogus"}}}]}),
                "unsupported fieldPath: spec.bogus",
            ),
        ];
        for (c, msg) in cases {
            let err = make_env(&p, &container(c), &ctx(), &sources).unwrap_err();
            assert_eq!(err.to_string(), msg);
        }
        // Optional sources that are missing, or keys missing from optional refs, are skipped.
        let c = container(
            json!({"envFrom": [{"configMapRef": {"name": "gone", "optional": true}}],
            "env": [{"name": "A", "valueFrom": {"configMapKeyRef": {"name": "x", "key": "foo", "optional": true}}}]}),
        );
        assert_eq!(kv(&make_env(&p, &c, &ctx(), &sources).unwrap()).len(), 2);
    }

    #[test]
    fn field_and_resource_refs() {
        let p = pod();
        let cx = ctx();
        let f = |path: &str| field_ref_value(&p, path, &cx).unwrap();
        assert_eq!(f("metadata.namespace"), "ns");
        assert_eq!(f("metadata.uid"), "u-1");
        assert_eq!(f("metadata.labels['app']"), "web");
        assert_eq!(f("metadata.labels['none']"), "");
        assert_eq!(f("metadata.annotations['x']"), "1");
        assert_eq!(f("metadata.labels"), "app=\"web\"\ntier=\"a\\\"b\"");
        assert_eq!(f("spec.nodeName"), "n1");
        assert_eq!(f("spec.serviceAccountName"), "sa");
        assert_eq!(f("status.hostIP"), "192.168.1.2");
        assert_eq!(f("status.hostIPs"), "192.168.1.2");
        assert_eq!(f("status.podIP"), "10.0.0.5");
        assert_eq!(f("status.podIPs"), "10.0.0.5,fd00::5");

        let c = &p.spec.as_ref().unwrap().containers[0];
        let r = |res: &str, div: Option<&str>| {
            let sel = ResourceFieldSelector {
                resource: res.into(),
                divisor: div.map(|d| Quantity(d.into())),
                container_name: None,
            };
            resource_field_value(&p, Some(c), &sel, &cx.node_allocatable).unwrap()
        };
        assert_eq!(r("requests.cpu", None), "1");
        assert_eq!(r("requests.cpu", Some("1m")), "250");
        assert_eq!(r("limits.cpu", None), "4");
        assert_eq!(r("limits.memory", None), "134217728");
        assert_eq!(r("limits.memory", Some("1Mi")), "128");
        assert_eq!(r("requests.memory", Some("1Gi")), "1");
        assert_eq!(r("requests.ephemeral-storage", None), "0");
        assert_eq!(r("limits.cpu", Some("0")), "4");
        let sel = ResourceFieldSelector {
            resource: "limits.gpu".into(),
            ..Default::default()
        };
        assert!(resource_field_value(&p, Some(c), &sel, &cx.node_allocatable).is_err());
    }

    #[test]
    fn service_links() {
        let svc = |ns: &str, name: &str, ip: &str, ports: serde_json::Value| -> Service {
            serde_json::from_value(json!({"metadata": {"name": name, "namespace": ns},
                "spec": {"clusterIP": ip, "ports": ports}}))
            .unwrap()
        };
        let services = vec![
            svc(
                "default",
                "kubernetes",
                "10.96.0.1",
                json!([{"name": "https", "port": 443}]),
            ),
            svc(
                "ns",
                "my-db",
                "10.96.0.9",
                json!([{"port": 5432}, {"name": "metrics", "port": 9187, "protocol": "UDP"}]),
            ),
            svc("ns", "headless", "None", json!([{"port": 80}])),
            svc("other", "x", "10.96.0.7", json!([{"port": 80}])),
        ];
        let env: BTreeMap<String, String> =
            service_env_for_pod(&pod(), &services).into_iter().collect();
        let get = |k: &str| env.get(k).map(String::as_str);
        assert_eq!(get("KUBERNETES_SERVICE_HOST"), Some("10.96.0.1"));
        assert_eq!(get("KUBERNETES_SERVICE_PORT"), Some("443"));
        assert_eq!(get("KUBERNETES_SERVICE_PORT_HTTPS"), Some("443"));
        assert_eq!(get("KUBERNETES_PORT"), Some("tcp://10.96.0.1:443"));
        assert_eq!(get("KUBERNETES_PORT_443_TCP"), Some("tcp://10.96.0.1:443"));
        assert_eq!(get("KUBERNETES_PORT_443_TCP_PROTO"), Some("tcp"));
        assert_eq!(get("KUBERNETES_PORT_443_TCP_PORT"), Some("443"));
        assert_eq!(get("KUBERNETES_PORT_443_TCP_ADDR"), Some("10.96.0.1"));
        assert_eq!(get("MY_DB_SERVICE_PORT"), Some("5432"));
        assert_eq!(get("MY_DB_SERVICE_PORT_METRICS"), Some("9187"));
        assert_eq!(get("MY_DB_PORT"), Some("tcp://10.96.0.9:5432"));
        assert_eq!(get("MY_DB_PORT_9187_UDP"), Some("udp://10.96.0.9:9187"));
        assert!(!env
            .keys()
            .any(|k| k.starts_with("HEADLESS") || k.starts_with("X_")));
        assert_eq!(env.len(), 8 + 2 + 1 + 1 + 8);

        let mut p = pod();
        p.spec.as_mut().unwrap().enable_service_links = Some(false);
        let env = service_env_for_pod(&p, &services);
        assert!(env.iter().all(|(k, _)| k.starts_with("KUBERNETES_")));
        let v6 = svc("ns", "v6", "fd00::1", json!([{"port": 80}]));
        let env = service_env_vars(&[v6]);
        assert!(env.contains(&("V6_PORT".into(), "tcp://[fd00::1]:80".into())));
    }
}
