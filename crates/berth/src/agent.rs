//! `berth agent` and the node agent inside `berth server`: flags → [`berth_kubelet::agent`].

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use berth_kubelet::agent::{Agent, AgentConfig};
use berth_kubelet::containerd::RegistryHost;

/// Node agent flags, shared by `berth server` and `berth agent`.
#[derive(clap::Args, Clone, Debug)]
pub struct NodeFlags {
    /// The node's name (default: the hostname).
    #[arg(long)]
    pub node_name: Option<String>,
    /// The node's InternalIP (default: the address of the default route's interface).
    #[arg(long)]
    pub node_ip: Option<IpAddr>,
    /// Use this CRI runtime (unix:///path/to.sock) instead of starting containerd.
    #[arg(long)]
    pub container_runtime_endpoint: Option<String>,
    /// Registry mirror: http(s)://HOST[:PORT] (for docker.io) or REGISTRY=http(s)://HOST[:PORT] (repeatable).
    #[arg(long = "registry-mirror")]
    pub registry_mirror: Vec<String>,
    /// The agent's HTTPS port (kubelet's).
    #[arg(long, default_value_t = 10250)]
    pub kubelet_port: u16,
    /// Pods the node takes.
    #[arg(long, default_value_t = 110)]
    pub max_pods: u32,
    /// The cluster DNS server put in pods' resolv.conf.
    #[arg(long, default_value = "10.96.0.10")]
    pub cluster_dns: String,
    /// The cluster's DNS domain.
    #[arg(long, default_value = "cluster.local")]
    pub cluster_domain: String,
    /// Do not masquerade pod traffic that leaves the pod network.
    #[arg(long)]
    pub no_pod_masquerade: bool,
}

/// `berth agent`: a node of an existing cluster.
#[derive(clap::Args)]
pub struct AgentArgs {
    /// kubeconfig the agent talks to the API server with.
    #[arg(long)]
    pub kubeconfig: PathBuf,
    /// Where the agent keeps its runtime, pods and logs.
    #[arg(long, default_value = "/var/lib/berth")]
    pub data_dir: PathBuf,
    /// The cluster's pod range (each node gets a /24 from the control plane).
    #[arg(long, default_value = "10.244.0.0/16")]
    pub cluster_cidr: String,
    #[command(flatten)]
    pub node: NodeFlags,
}

pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_lowercase())
        .unwrap_or_else(|_| "berth".into())
}

/// The agent's configuration from its flags.
pub fn config(
    flags: &NodeFlags,
    data_dir: &Path,
    cluster_cidr: &str,
    control_plane: bool,
) -> anyhow::Result<AgentConfig> {
    let mut c = AgentConfig::new(data_dir, flags.node_name.clone().unwrap_or_else(hostname));
    c.node_ip = flags.node_ip;
    c.port = flags.kubelet_port;
    c.max_pods = flags.max_pods;
    c.cluster_dns = vec![flags.cluster_dns.clone()];
    c.cluster_domain = flags.cluster_domain.clone();
    c.cluster_cidr = cluster_cidr.to_string();
    c.masquerade = !flags.no_pod_masquerade;
    c.control_plane = control_plane;
    c.containerd.container_runtime_endpoint = flags.container_runtime_endpoint.clone();
    for m in &flags.registry_mirror {
        let host: RegistryHost = m
            .parse()
            .with_context(|| format!("--registry-mirror {m:?}"))?;
        c.containerd.registry_hosts.push(host);
    }
    Ok(c)
}

/// Starts an agent with `client` (logging the error when it cannot start).
pub async fn start(client: kube::Client, config: AgentConfig) -> anyhow::Result<Agent> {
    let name = config.node_name.clone();
    Agent::start(client, config)
        .await
        .with_context(|| format!("starting the node agent for node {name:?}"))
}

/// `berth agent`.
pub async fn run(args: AgentArgs) -> anyhow::Result<()> {
    let kubeconfig = kube::config::Kubeconfig::read_from(&args.kubeconfig)
        .with_context(|| format!("reading {}", args.kubeconfig.display()))?;
    let options = kube::config::KubeConfigOptions::default();
    let ca_pem = cluster_ca(&kubeconfig)?;
    let client_config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .context("loading the kubeconfig")?;
    let mut client_config = client_config;
    if client_config.proxy_url.is_some()
        && no_proxy_covers(client_config.cluster_url.host().unwrap_or_default())
    {
        client_config.proxy_url = None;
    }
    let client = kube::Client::try_from(client_config).context("making an API client")?;
    let mut config = config(&args.node, &args.data_dir, &args.cluster_cidr, false)?;
    config.client_ca_pem = Some(ca_pem);
    let agent = start(client, config).await?;
    println!("berth agent is running");
    crate::shutdown_signal().await;
    agent.stop().await;
    Ok(())
}

/// The cluster CA of the kubeconfig's current context: it signs the API server's client
/// certificate, which the agent's HTTPS server accepts.
fn cluster_ca(kubeconfig: &kube::config::Kubeconfig) -> anyhow::Result<String> {
    use base64::Engine as _;
    let context_name = kubeconfig.current_context.clone().unwrap_or_default();
    let cluster_name = kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == context_name)
        .and_then(|c| c.context.as_ref())
        .map(|c| c.cluster.clone())
        .context("the kubeconfig has no current context")?;
    let cluster = kubeconfig
        .clusters
        .iter()
        .find(|c| c.name == cluster_name)
        .and_then(|c| c.cluster.as_ref())
        .with_context(|| format!("the kubeconfig has no cluster {cluster_name:?}"))?;
    if let Some(data) = &cluster.certificate_authority_data {
        let pem = base64::engine::general_purpose::STANDARD
            .decode(data.trim())
            .context("certificate-authority-data is not base64")?;
        return String::from_utf8(pem).context("certificate-authority-data is not PEM");
    }
    if let Some(path) = &cluster.certificate_authority {
        return std::fs::read_to_string(path).with_context(|| format!("reading {path}"));
    }
    anyhow::bail!("the kubeconfig's cluster {cluster_name:?} has no certificate authority")
}

/// Whether NO_PROXY (or no_proxy) names `host`: exactly, as a domain suffix, or `*`.
fn no_proxy_covers(host: &str) -> bool {
    let list = std::env::var("NO_PROXY")
        .or_else(|_| std::env::var("no_proxy"))
        .unwrap_or_default();
    list.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|e| {
            e == "*" || e == host || {
                let suffix = e.trim_start_matches('.');
                host.ends_with(&format!(".{suffix}"))
            }
        })
}
