//! Reproducible builds and the OCI image layout archive, checked by reading it back by hand.

mod common;

use std::path::PathBuf;

use berth_image::oci::{self, ImageConfig, Index, Manifest};
use berth_image::{tar, BuildOptions};

fn options(dir: &std::path::Path) -> BuildOptions {
    std::fs::create_dir_all(dir.join("tree/etc")).unwrap();
    std::fs::write(dir.join("tree/etc/motd"), "hello\n").unwrap();
    std::os::unix::fs::symlink("motd", dir.join("tree/etc/greeting")).unwrap();
    BuildOptions {
        reference: "example/hello:v1".into(),
        from_binaries: vec![(PathBuf::from("/bin/ls"), None)],
        adds: vec![(dir.join("tree"), "/".into())],
        entrypoint: Some(vec!["/bin/ls".into()]),
        cmd: Some(vec!["-l".into(), "/etc".into()]),
        env: vec!["GREETING=hello".into()],
        workdir: Some("/etc".into()),
        ports: vec!["8080".into()],
        user: Some("0:0".into()),
    }
}

#[test]
fn building_twice_gives_the_same_digest() {
    // Two separate source trees with different mtimes and paths: only content counts.
    let a = tempfile::tempdir().unwrap();
    let first = berth_image::build(&options(a.path())).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let b = tempfile::tempdir().unwrap();
    let second = berth_image::build(&options(b.path())).unwrap();
    assert_eq!(first.diff_id, second.diff_id);
    assert_eq!(first.layer.digest, second.layer.digest);
    assert_eq!(first.digest(), second.digest());
    assert_eq!(
        first.archive_bytes().unwrap(),
        second.archive_bytes().unwrap()
    );

    let entries = common::layer_entries(&first);
    let paths: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted, "layer entries are sorted");
    assert!(entries
        .iter()
        .all(|e| e.path != "etc/greeting" || (e.kind == b'2' && e.link == "motd")));

    // A change of content changes the digest.
    let c = tempfile::tempdir().unwrap();
    let changed = options(c.path());
    std::fs::write(c.path().join("tree/etc/motd"), "bye\n").unwrap();
    let third = berth_image::build(&changed).unwrap();
    assert_ne!(third.digest(), first.digest());
}

#[test]
fn archive_is_a_valid_oci_layout() {
    let dir = tempfile::tempdir().unwrap();
    let image = berth_image::build(&options(dir.path())).unwrap();
    let path = dir.path().join("hello.tar");
    image.write_archive(&path).unwrap();

    let bytes = std::fs::read(&path).unwrap();
    let entries = tar::read_all(&bytes).unwrap();
    let file = |name: &str| {
        entries
            .iter()
            .find(|e| e.path == name)
            .unwrap_or_else(|| panic!("{name} missing from the archive"))
            .data
            .clone()
    };
    let blob = |d: &oci::Descriptor| {
        let data = file(&format!(
            "blobs/sha256/{}",
            d.digest.strip_prefix("sha256:").unwrap()
        ));
        assert_eq!(oci::sha256_digest(&data), d.digest);
        assert_eq!(data.len() as u64, d.size);
        data
    };

    let layout: serde_json::Value = serde_json::from_slice(&file("oci-layout")).unwrap();
    assert_eq!(layout["imageLayoutVersion"], "1.0.0");
    let index: Index = serde_json::from_slice(&file("index.json")).unwrap();
    assert_eq!(index.schema_version, 2);
    assert_eq!(index.manifests.len(), 1);
    let desc = &index.manifests[0];
    assert_eq!(desc.media_type, oci::MEDIA_TYPE_MANIFEST);
    assert_eq!(desc.annotations[oci::ANNOTATION_REF_NAME], "v1");
    assert_eq!(
        desc.annotations[oci::ANNOTATION_CONTAINERD_NAME],
        "docker.io/example/hello:v1"
    );

    let manifest: Manifest = serde_json::from_slice(&blob(desc)).unwrap();
    assert_eq!(manifest.schema_version, 2);
    assert_eq!(manifest.config.media_type, oci::MEDIA_TYPE_CONFIG);
    assert_eq!(manifest.layers.len(), 1);
    assert_eq!(manifest.layers[0].media_type, oci::MEDIA_TYPE_LAYER_GZIP);
    let layer = blob(&manifest.layers[0]);
    assert!(layer.starts_with(&[0x1f, 0x8b]), "layer is gzip");

    let config: ImageConfig = serde_json::from_slice(&blob(&manifest.config)).unwrap();
    assert_eq!(
        (config.architecture.as_str(), config.os.as_str()),
        ("amd64", "linux")
    );
    assert_eq!(config.rootfs.kind, "layers");
    assert_eq!(config.rootfs.diff_ids, std::slice::from_ref(&image.diff_id));
    assert_eq!(config.history.len(), 1);
    assert_eq!(
        config.config.entrypoint.as_deref(),
        Some(&["/bin/ls".to_string()][..])
    );
    assert_eq!(
        config.config.cmd.as_deref(),
        Some(&["-l".to_string(), "/etc".to_string()][..])
    );
    assert!(config.config.env.contains(&"GREETING=hello".to_string()));
    assert!(config.config.env.iter().any(|e| e.starts_with("PATH=")));
    assert_eq!(config.config.working_dir.as_deref(), Some("/etc"));
    assert_eq!(config.config.user.as_deref(), Some("0:0"));
    assert!(config.config.exposed_ports.contains_key("8080/tcp"));

    // The crate's own reader agrees.
    let archive = berth_image::read_archive(&path).unwrap();
    let (_, read_manifest, raw) = archive.manifest().unwrap();
    assert_eq!(read_manifest, manifest);
    assert_eq!(oci::sha256_digest(raw), image.digest());
}

#[test]
fn a_corrupted_blob_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let image = berth_image::build(&options(dir.path())).unwrap();
    let mut bytes = image.archive_bytes().unwrap();
    // Flip a byte inside the config blob's content.
    let config = image.config.data.clone();
    let at = bytes
        .windows(config.len())
        .position(|w| w == config.as_slice())
        .unwrap();
    bytes[at + 2] ^= 0x20;
    let path = dir.path().join("bad.tar");
    std::fs::write(&path, bytes).unwrap();
    let err = berth_image::read_archive(&path).unwrap_err().to_string();
    assert!(err.contains("digest"), "{err}");
}
