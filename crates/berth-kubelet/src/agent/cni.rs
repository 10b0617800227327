//! The node's pod network: a CNI conflist for the standard plugins (bridge `berth0` with
//! host-local IPAM over the node's podCIDR, portmap for hostPort, loopback). containerd's
//! CRI plugin reads it from the CNI conf dir and sets up every sandbox's network with it.

use std::path::{Path, PathBuf};

use serde_json::json;

/// The bridge every pod of the node is attached to.
pub const BRIDGE: &str = "berth0";
/// The conflist's file name (containerd loads the first file in name order).
pub const CONFLIST: &str = "10-berth.conflist";

/// The conflist for a node's pod CIDR (e.g. `10.244.1.0/24`). The bridge is the pods'
/// gateway; `masquerade` adds the bridge plugin's SNAT for traffic leaving the pod CIDR
/// (what a node needs for pods to reach beyond the node).
/// host-local keeps its allocations under `ipam_dir` (the data dir, not the machine's
/// /var/lib/cni, so nodes on one machine do not share allocation state).
pub fn conflist(pod_cidr: &str, ipam_dir: &Path, masquerade: bool) -> serde_json::Value {
    json!({
        "cniVersion": "1.0.0",
        "name": "berth",
        "plugins": [
            {
                "type": "bridge",
                "bridge": BRIDGE,
                "isGateway": true,
                "ipMasq": masquerade,
                "hairpinMode": true,
                "ipam": {
                    "type": "host-local",
                    "ranges": [[{"subnet": pod_cidr}]],
                    "dataDir": ipam_dir,
                    "routes": [{"dst": "0.0.0.0/0"}],
                },
            },
            {"type": "portmap", "capabilities": {"portMappings": true}},
        ],
    })
}

/// Writes the conflist into `conf_dir` (atomically: containerd watches the directory).
/// Returns its path.
pub fn write(
    conf_dir: &Path,
    pod_cidr: &str,
    ipam_dir: &Path,
    masquerade: bool,
) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(conf_dir)?;
    let path = conf_dir.join(CONFLIST);
    let text = serde_json::to_vec_pretty(&conflist(pod_cidr, ipam_dir, masquerade))?;
    if std::fs::read(&path).ok().as_deref() == Some(&text[..]) {
        return Ok(path);
    }
    let tmp = conf_dir.join(format!(".{CONFLIST}.tmp"));
    std::fs::write(&tmp, &text)?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflist_uses_the_pod_cidr() {
        let c = conflist("10.244.3.0/24", Path::new("/d/ipam"), false);
        assert_eq!(
            c["plugins"][0]["ipam"]["ranges"][0][0]["subnet"],
            "10.244.3.0/24"
        );
        assert_eq!(c["plugins"][0]["bridge"], "berth0");
        assert_eq!(c["plugins"][1]["type"], "portmap");
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "10.244.3.0/24", Path::new("/d/ipam"), false).unwrap();
        let back: serde_json::Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
        assert_eq!(back, c);
    }
}
