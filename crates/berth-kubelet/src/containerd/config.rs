//! containerd's `config.toml` and registry `hosts.toml` files, rendered from options.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Where a managed containerd keeps everything, all under `<data-dir>/agent/`.
#[derive(Clone, Debug)]
pub struct ContainerdPaths {
    /// `<data-dir>/agent/containerd`
    pub dir: PathBuf,
    /// The generated `config.toml`.
    pub config: PathBuf,
    /// The gRPC socket (CRI and containerd's own API).
    pub socket: PathBuf,
    /// containerd's `root` (content, snapshots, metadata).
    pub root: PathBuf,
    /// containerd's `state` (tasks, sandboxes' shm, runc state).
    pub state: PathBuf,
    /// Registry host configuration (`certs.d/<registry>/hosts.toml`).
    pub certs_d: PathBuf,
    /// CNI network configuration the kubelet writes and containerd reads.
    pub cni_conf_dir: PathBuf,
    /// containerd's stdout and stderr.
    pub log: PathBuf,
    /// The PID of the running containerd, to stop one left by a killed agent.
    pub pid_file: PathBuf,
}

impl ContainerdPaths {
    /// The layout under a berth data dir.
    pub fn new(data_dir: &Path) -> Self {
        let agent = data_dir.join("agent");
        let dir = agent.join("containerd");
        ContainerdPaths {
            config: dir.join("config.toml"),
            socket: dir.join("containerd.sock"),
            root: dir.join("root"),
            state: dir.join("state"),
            certs_d: dir.join("certs.d"),
            cni_conf_dir: agent.join("cni").join("net.d"),
            log: dir.join("containerd.log"),
            pid_file: dir.join("containerd.pid"),
            dir,
        }
    }

    /// containerd's ttrpc socket, next to the gRPC one.
    pub fn ttrpc_socket(&self) -> PathBuf {
        let mut s = self.socket.clone().into_os_string();
        s.push(".ttrpc");
        PathBuf::from(s)
    }
}

/// One registry's endpoint: pulls of images named `registry/...` go to `endpoint`
/// only (no fallback to the registry itself, so nothing leaves the machine).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryHost {
    /// The registry as it appears in image names: `docker.io`, `127.0.0.1:5000`.
    pub registry: String,
    /// Where to pull from: `http://127.0.0.1:5000` (plain HTTP) or `https://...`.
    pub endpoint: String,
}

/// A `--registry-mirror` value that could not be understood.
#[derive(Debug, thiserror::Error)]
#[error(
    "registry mirror {0:?} not understood: give http(s)://HOST[:PORT] (a mirror of docker.io) \
     or REGISTRY=http(s)://HOST[:PORT]"
)]
pub struct BadRegistryHost(String);

impl FromStr for RegistryHost {
    type Err = BadRegistryHost;

    /// `http://127.0.0.1:5000` (a mirror of docker.io) or
    /// `REGISTRY=http(s)://HOST[:PORT]`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (registry, endpoint) = match s.split_once('=') {
            Some((registry, endpoint)) => (registry.trim(), endpoint.trim()),
            None => ("docker.io", s.trim()),
        };
        let host = endpoint
            .strip_prefix("http://")
            .or_else(|| endpoint.strip_prefix("https://"));
        let valid_name = |n: &str| {
            !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'))
        };
        match host {
            Some(host) if valid_name(host.trim_end_matches('/')) && valid_name(registry) => {
                Ok(RegistryHost {
                    registry: registry.to_string(),
                    endpoint: endpoint.trim_end_matches('/').to_string(),
                })
            }
            _ => Err(BadRegistryHost(s.to_string())),
        }
    }
}

/// A TOML basic string.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn path(p: &Path) -> String {
    quote(&p.to_string_lossy())
}

/// containerd 1.6's `config.toml` (format version 2).
pub(crate) fn render_config(
    paths: &ContainerdPaths,
    sandbox_image: &str,
    cni_bin_dir: &Path,
) -> String {
    let cri = "plugins.\"io.containerd.grpc.v1.cri\"";
    format!(
        r#"# Written by berth at every start; edits are overwritten.
version = 2
root = {root}
state = {state}
# Snapshotters berth does not use; aufs would otherwise run modprobe on the host.
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = {socket}

[ttrpc]
  address = {ttrpc}

[plugins."io.containerd.internal.v1.opt"]
  path = {opt}

[{cri}]
  sandbox_image = {sandbox_image}
  # Without CAP_SYS_RESOURCE containerd may not lower a container's oom_score_adj
  # below its own.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"

  [{cri}.containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"

    [{cri}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"

      [{cri}.containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = {runc_root}

  [{cri}.cni]
    bin_dir = {cni_bin}
    conf_dir = {cni_conf}

  [{cri}.registry]
    config_path = {certs_d}
"#,
        root = path(&paths.root),
        state = path(&paths.state),
        socket = path(&paths.socket),
        ttrpc = path(&paths.ttrpc_socket()),
        opt = path(&paths.dir.join("opt")),
        sandbox_image = quote(sandbox_image),
        runc_root = path(&paths.state.join("runc")),
        cni_bin = path(cni_bin_dir),
        cni_conf = path(&paths.cni_conf_dir),
        certs_d = path(&paths.certs_d),
    )
}

/// `certs.d/<registry>/hosts.toml`: the endpoint is the registry's only server.
///
/// containerd 1.6 rejects a hosts.toml without a `[host]` table ("invalid `host`
/// tree") and then silently uses the registry itself (registry-1.docker.io for
/// docker.io); `server` must be set too, or the registry is added as the last resort.
pub(crate) fn render_hosts_toml(host: &RegistryHost) -> String {
    let endpoint = quote(&host.endpoint);
    format!(
        "# Written by berth: pulls of {registry} go to {plain} only.\n\
         server = {endpoint}\n\
         \n\
         [host.{endpoint}]\n  capabilities = [\"pull\", \"resolve\", \"push\"]\n",
        registry = host.registry,
        plain = host.endpoint,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_hosts() {
        let h: RegistryHost = "http://127.0.0.1:5000".parse().unwrap();
        assert_eq!(h.registry, "docker.io");
        assert_eq!(h.endpoint, "http://127.0.0.1:5000");
        let h: RegistryHost = "127.0.0.1:5000=http://127.0.0.1:5000/".parse().unwrap();
        assert_eq!(h.registry, "127.0.0.1:5000");
        assert_eq!(h.endpoint, "http://127.0.0.1:5000");
        for bad in [
            "127.0.0.1:5000",
            "ftp://x",
            "docker.io=",
            "=http://x",
            "a b=http://x",
        ] {
            assert!(bad.parse::<RegistryHost>().is_err(), "{bad}");
        }
    }

    #[test]
    fn config_mentions_everything_under_the_data_dir() {
        let paths = ContainerdPaths::new(Path::new("/var/lib/ber\"th"));
        let config = render_config(&paths, "berth.local/pause:3.10", Path::new("/usr/lib/cni"));
        assert!(config.contains(r#"root = "/var/lib/ber\"th/agent/containerd/root""#));
        assert!(config.contains(r#"address = "/var/lib/ber\"th/agent/containerd/containerd.sock""#));
        assert!(config.contains(r#"sandbox_image = "berth.local/pause:3.10""#));
        assert!(config.contains("restrict_oom_score_adj = true"));
        assert!(config.contains("SystemdCgroup = false"));
        assert!(config.contains(r#"bin_dir = "/usr/lib/cni""#));
        assert!(config.contains(r#"conf_dir = "/var/lib/ber\"th/agent/cni/net.d""#));
        assert!(config.contains(r#"config_path = "/var/lib/ber\"th/agent/containerd/certs.d""#));
        // Nothing may point at the system containerd's directories.
        assert!(!config.contains("/run/containerd"));
        assert!(!config.contains("/var/lib/containerd"));
    }

    #[test]
    fn hosts_toml() {
        let h: RegistryHost = "http://127.0.0.1:5000".parse().unwrap();
        assert_eq!(
            render_hosts_toml(&h),
            "# Written by berth: pulls of docker.io go to http://127.0.0.1:5000 only.\n\
             server = \"http://127.0.0.1:5000\"\n\
             \n\
             [host.\"http://127.0.0.1:5000\"]\n  capabilities = [\"pull\", \"resolve\", \"push\"]\n"
        );
    }
}
