//! The Kubernetes API server of berth: HTTPS, authentication, RBAC, REST handlers and
//! watch over a [`berth_store::Store`]. See ARCHITECTURE.md for the request path.

pub mod admission;
pub mod apply;
pub mod authn;
pub mod authz;
pub mod bootstrap;
pub mod client;
pub mod conversion;
pub mod discovery;
pub mod jwt;
pub mod metrics;
pub mod nodeproxy;
pub mod pki;
pub mod request;
pub mod response;
pub mod rest;
pub mod server;
pub mod special;
pub mod state;
pub mod status;
pub mod storage;
pub mod watch;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use berth_store::Store;
pub use state::{parse_cidr, Config, State};

/// A started API server: its state and the address it listens on.
pub struct Started {
    pub state: Arc<State>,
    pub local_addr: std::net::SocketAddr,
    pub admin_kubeconfig: std::path::PathBuf,
}

/// Opens the store, loads the PKI, bootstraps the cluster objects, and serves until
/// `shutdown` resolves.
pub async fn run(
    config: Config,
    shutdown: impl std::future::Future<Output = ()>,
    on_ready: impl FnOnce(&Started),
) -> anyhow::Result<()> {
    let store = open_store(&config).await?;
    run_with_store(config, store, shutdown, on_ready).await
}

/// Opens the configured store: etcd if endpoints are given, else SQLite under the data dir.
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    if config.datastore_endpoints.is_empty() {
        std::fs::create_dir_all(config.data_dir.join("db"))?;
        let options = berth_store::SqliteOptions {
            compact_interval: config.compaction_interval,
            compact_retain: config.compaction_interval,
            ..Default::default()
        };
        let s = berth_store::SqliteStore::open_with(
            config.data_dir.join("db").join("state.db"),
            options,
        )?;
        Ok(s)
    } else {
        let s = berth_store::EtcdStore::connect(&config.datastore_endpoints).await?;
        Ok(s)
    }
}

/// Like [`run`] with a store already opened.
pub async fn run_with_store(
    config: Config,
    store: Arc<dyn Store>,
    shutdown: impl std::future::Future<Output = ()>,
    on_ready: impl FnOnce(&Started),
) -> anyhow::Result<()> {
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap_or_default()
        .trim()
        .to_string();
    let names = pki::ServingNames {
        advertise_address: config.advertise_address,
        service_ip: std::net::IpAddr::V4(config.kubernetes_service_ip()),
        hostname,
    };
    let pki = pki::Pki::load_or_create(&config.data_dir, &names)?;
    let tokens = jwt::TokenSigner::new(&pki.sa_key_der).map_err(anyhow::Error::msg)?;
    let listener = tokio::net::TcpListener::bind((config.bind_address, config.port)).await?;
    let local_addr = listener.local_addr()?;
    let state = Arc::new(State {
        config: Config {
            port: local_addr.port(),
            ..config
        },
        storage: storage::Storage { store },
        pki,
        tokens,
        rbac: authz::RbacCache::default(),
        ready: Default::default(),
        metrics: Default::default(),
    });

    // admin kubeconfig
    let (cert, key) = state.pki.admin_credentials()?;
    let server_url = format!(
        "https://{}",
        server::host_port(kubeconfig_host(&state.config), local_addr.port())
    );
    let kc = pki::kubeconfig(
        &server_url,
        &state.pki.ca_cert_pem,
        &cert,
        &key,
        "kubernetes-admin",
    );
    let admin_kubeconfig = state.config.data_dir.join("admin.kubeconfig");
    pki::write_secret_file(&admin_kubeconfig, &kc)?;
    if let Some(p) = &state.config.write_kubeconfig {
        pki::write_secret_file(p, &kc)?;
    }

    bootstrap::run(&state).await.map_err(anyhow::Error::msg)?;
    state.rbac.reload(&state.storage).await?;
    tokio::spawn(authz::run(state.clone()));
    if !state.config.datastore_endpoints.is_empty() && !state.config.compaction_interval.is_zero() {
        tokio::spawn(compact_etcd(state.clone()));
    }
    state.ready.store(true, Ordering::Release);
    on_ready(&Started {
        state: state.clone(),
        local_addr,
        admin_kubeconfig,
    });
    server::serve(state, listener, shutdown).await
}

/// Compacts etcd's history as kube-apiserver does: at every interval, to the revision that
/// was current one interval earlier (SQLite compacts itself). Several servers on one etcd
/// may all do it; compacting to an already compacted revision is harmless.
async fn compact_etcd(state: Arc<State>) {
    let interval = state.config.compaction_interval;
    let mut previous = 0;
    loop {
        tokio::time::sleep(interval).await;
        let current = match state.storage.store.revisions().await {
            Ok((cur, _)) => cur,
            Err(e) => {
                tracing::warn!(error = %e, "reading the etcd revision for compaction");
                continue;
            }
        };
        if previous > 0 {
            match state.storage.store.compact(previous).await {
                Ok(()) | Err(berth_store::StoreError::Compacted { .. }) => {}
                Err(e) => tracing::warn!(error = %e, revision = previous, "compacting etcd"),
            }
        }
        previous = current;
    }
}

/// The host the admin kubeconfig points at: loopback when bound to all addresses.
fn kubeconfig_host(c: &Config) -> std::net::IpAddr {
    if c.bind_address.is_unspecified() {
        c.advertise_address
    } else {
        c.bind_address
    }
}
