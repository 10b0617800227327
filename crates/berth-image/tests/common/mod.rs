//! Helpers shared by the integration tests: reading a layer back, staging files.

#![allow(dead_code)]

use std::io::Read;

use berth_image::tar;

/// The entries of an image's (gzip) layer.
pub fn layer_entries(image: &berth_image::Image) -> Vec<tar::Entry> {
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(image.layer.data.as_slice())
        .read_to_end(&mut raw)
        .expect("layer is gzip");
    assert_eq!(berth_image::oci::sha256_digest(&raw), image.diff_id);
    tar::read_all(&raw).expect("layer is a tar")
}

/// Whether this process runs as root (chroot needs it).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}
