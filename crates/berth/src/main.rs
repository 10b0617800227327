//! `berth`: a Kubernetes-compatible cluster in one binary. This file parses flags and wires
//! the crates together; the work is done in the library crates.

use std::net::IpAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

mod agent;
mod image;

#[derive(Parser)]
#[command(
    name = "berth",
    version,
    about = "A Kubernetes-compatible cluster in one binary"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs a control plane: API server with its store (kubeadm init's job).
    Server(ServerArgs),
    /// Runs a node agent (kubelet + containerd) for an existing cluster (kubeadm join's node).
    Agent(agent::AgentArgs),
    /// Simulates nodes: registers them, renews their Leases and plays kubelet for their pods.
    HollowNodes(HollowArgs),
    /// Builds OCI images from local binaries and files, pushes them to a registry, imports
    /// them into the node's containerd and lists its images.
    #[command(subcommand)]
    Image(image::ImageCommand),
}

#[derive(Parser)]
struct HollowArgs {
    /// kubeconfig of the cluster to join.
    #[arg(long)]
    kubeconfig: PathBuf,
    /// Number of nodes.
    #[arg(long, default_value_t = 1)]
    count: usize,
    /// Node names are PREFIX-0 … PREFIX-(N-1).
    #[arg(long, default_value = "hollow")]
    prefix: String,
    /// CPU capacity of each node.
    #[arg(long, default_value = "4")]
    cpu: String,
    /// Memory capacity of each node.
    #[arg(long, default_value = "16Gi")]
    memory: String,
    /// Pod capacity of each node.
    #[arg(long, default_value_t = 110)]
    max_pods: u32,
    /// Pods with restartPolicy Never/OnFailure succeed after this long.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    complete_after: std::time::Duration,
    /// Pods using an image matching this stay in ErrImagePull/ImagePullBackOff (repeatable).
    #[arg(long)]
    fail_image_pull: Vec<String>,
}

async fn hollow_nodes(args: HollowArgs) -> anyhow::Result<()> {
    let kubeconfig = kube::config::Kubeconfig::read_from(&args.kubeconfig)
        .with_context(|| format!("reading {}", args.kubeconfig.display()))?;
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await?;
    let client = kube::Client::try_from(config)?;
    let options = berth_hollow::Options {
        count: args.count,
        prefix: args.prefix,
        cpu: args.cpu,
        memory: args.memory,
        max_pods: args.max_pods,
        complete_after: args.complete_after,
        fail_image_pull: args.fail_image_pull,
    };
    berth_hollow::run(client, options)
        .await
        .map_err(|e| anyhow::anyhow!(e))
}

#[derive(Parser)]
struct ServerArgs {
    /// Directory for the database, PKI and kubeconfigs.
    #[arg(long, default_value = "/var/lib/berth")]
    data_dir: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0")]
    bind_address: IpAddr,
    /// Address other nodes and pods reach this server at (default: the host's first
    /// non-loopback IPv4 address, else 127.0.0.1).
    #[arg(long)]
    advertise_address: Option<IpAddr>,
    /// HTTPS port of the API server.
    #[arg(long, default_value_t = 6443)]
    https_listen_port: u16,
    /// Also write the admin kubeconfig here.
    #[arg(long)]
    write_kubeconfig: Option<PathBuf>,
    /// etcd v3 endpoints, comma-separated (default: embedded SQLite under the data dir).
    #[arg(long)]
    datastore_endpoint: Option<String>,
    /// Run without a node agent on this machine.
    #[arg(long)]
    disable_agent: bool,
    #[command(flatten)]
    node: agent::NodeFlags,
    /// Range of service cluster IPs.
    #[arg(long, default_value = "10.96.0.0/12")]
    service_cidr: String,
    /// Range of pod IPs; each node gets a /24 of it.
    #[arg(long, default_value = "10.244.0.0/16")]
    cluster_cidr: String,
    /// How long a node may miss Lease renewals before it is marked NotReady (e.g. 40s).
    #[arg(long, default_value = "40s", value_parser = parse_duration)]
    node_monitor_grace_period: std::time::Duration,
    /// Controllers not to run, comma-separated (e.g. deployment,replicaset).
    #[arg(long, value_delimiter = ',')]
    disable_controllers: Vec<String>,
    /// Do not run the scheduler.
    #[arg(long)]
    disable_scheduler: bool,
    /// How often the store's history is compacted (kube-apiserver's flag; 0 disables).
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    etcd_compaction_interval: std::time::Duration,
    /// Toleration seconds added to pods for node.kubernetes.io/not-ready:NoExecute.
    #[arg(long, default_value_t = 300)]
    default_not_ready_toleration_seconds: i64,
    /// Toleration seconds added to pods for node.kubernetes.io/unreachable:NoExecute.
    #[arg(long, default_value_t = 300)]
    default_unreachable_toleration_seconds: i64,
}

/// Parses Go-style durations: `40s`, `5m`, `1h30m`, `500ms`, or plain seconds.
fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(std::time::Duration::from_secs(secs));
    }
    let mut total = std::time::Duration::ZERO;
    let mut num = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let mut unit = c.to_string();
        while let Some(&n) = chars.peek() {
            if n.is_ascii_alphabetic() {
                unit.push(n);
                chars.next();
            } else {
                break;
            }
        }
        let v: f64 = num.parse().map_err(|_| format!("invalid duration {s:?}"))?;
        num.clear();
        let secs = match unit.as_str() {
            "ms" => v / 1000.0,
            "s" => v,
            "m" => v * 60.0,
            "h" => v * 3600.0,
            _ => return Err(format!("invalid duration {s:?}: unknown unit {unit:?}")),
        };
        total += std::time::Duration::from_secs_f64(secs);
    }
    if !num.is_empty() {
        return Err(format!("invalid duration {s:?}: missing unit"));
    }
    Ok(total)
}

fn default_advertise_address() -> IpAddr {
    // The address the kernel would use to leave the host: no packet is sent by a UDP connect.
    let probe = std::net::UdpSocket::bind("0.0.0.0:0").and_then(|s| {
        s.connect("10.255.255.255:9")?;
        s.local_addr()
    });
    match probe {
        Ok(a) if !a.ip().is_unspecified() => a.ip(),
        _ => IpAddr::from([127, 0, 0, 1]),
    }
}

async fn server(args: ServerArgs) -> anyhow::Result<()> {
    let endpoints: Vec<String> = args
        .datastore_endpoint
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    let config = berth_apiserver::Config {
        data_dir: args.data_dir,
        bind_address: args.bind_address,
        advertise_address: args
            .advertise_address
            .unwrap_or_else(default_advertise_address),
        port: args.https_listen_port,
        write_kubeconfig: args.write_kubeconfig,
        datastore_endpoints: endpoints,
        service_cidr: berth_apiserver::parse_cidr(&args.service_cidr)
            .map_err(anyhow::Error::msg)
            .context("--service-cidr")?,
        cluster_cidr: berth_apiserver::parse_cidr(&args.cluster_cidr)
            .map_err(anyhow::Error::msg)
            .context("--cluster-cidr")?,
        node_port_range: (30000, 32767),
        default_not_ready_toleration_seconds: args.default_not_ready_toleration_seconds,
        default_unreachable_toleration_seconds: args.default_unreachable_toleration_seconds,
        compaction_interval: args.etcd_compaction_interval,
    };
    let agent_config = if args.disable_agent {
        None
    } else {
        Some(agent::config(
            &args.node,
            &config.data_dir,
            &args.cluster_cidr,
            true,
        )?)
    };
    let agent_slot: std::sync::Arc<tokio::sync::Mutex<Option<berth_kubelet::agent::Agent>>> =
        Default::default();
    let agent_slot2 = agent_slot.clone();
    let shutdown = shutdown_signal();
    let started_at = std::time::Instant::now();
    let cluster_cidr = config.cluster_cidr;
    let controller_options = berth_controllers::Options {
        node_monitor_grace_period: args.node_monitor_grace_period,
        cluster_cidr,
        node_cidr_mask_size: 24,
        disabled: args.disable_controllers.clone(),
        identity: format!("{}_{}", hostname(), std::process::id()),
    };
    let run_scheduler = !args.disable_scheduler;
    let scheduler_options = berth_scheduler::Options {
        identity: format!("{}_{}", hostname(), std::process::id()),
        ..Default::default()
    };
    berth_apiserver::run(config, shutdown, move |s| {
        let cm = berth_apiserver::client::local_client(
            s.state.clone(),
            berth_apiserver::client::component_user("system:kube-controller-manager"),
        );
        tokio::spawn(berth_controllers::run(cm, controller_options));
        if run_scheduler {
            let sc = berth_apiserver::client::local_client(
                s.state.clone(),
                berth_apiserver::client::component_user("system:kube-scheduler"),
            );
            tokio::spawn(berth_scheduler::run(sc, scheduler_options));
        }
        if let Some(mut agent_config) = agent_config {
            agent_config.client_ca_pem =
                std::fs::read_to_string(agent_config.data_dir.join("pki").join("ca.crt")).ok();
            let client = berth_apiserver::client::local_client(
                s.state.clone(),
                berth_apiserver::client::component_user(&format!(
                    "system:node:{}",
                    agent_config.node_name
                )),
            );
            let slot = agent_slot2.clone();
            tokio::spawn(async move {
                match agent::start(client, agent_config).await {
                    Ok(a) => *slot.lock().await = Some(a),
                    Err(e) => tracing::error!("{e:#}"),
                }
            });
        }
        tracing::info!(address = %s.local_addr, elapsed_ms = started_at.elapsed().as_millis() as u64, "API server ready");
        println!("berth server is ready on https://{}", s.local_addr);
        println!("use it with:  export KUBECONFIG={}", s.admin_kubeconfig.display());
        println!("              kubectl get nodes");
    })
    .await?;
    if let Some(a) = agent_slot.lock().await.take() {
        a.stop().await;
    }
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending::<()>().await } } => {}
    }
    tracing::info!("shutting down");
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "berth".into())
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Command::Server(args) => rt.block_on(server(args)),
        Command::Agent(args) => rt.block_on(agent::run(args)),
        Command::HollowNodes(args) => rt.block_on(hollow_nodes(args)),
        Command::Image(command) => rt.block_on(image::run(command)),
    }
}
