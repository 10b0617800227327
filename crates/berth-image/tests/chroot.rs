//! The busybox image recipe (as images/build.sh makes it) runs a shell in its extracted
//! root filesystem. Needs root for chroot; skipped with a printed reason otherwise.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use berth_image::BuildOptions;

/// Stages what images/build.sh adds next to /bin/busybox: applet links, passwd, group, /tmp.
fn stage_busybox_files(root: &Path) {
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("tmp")).unwrap();
    std::fs::set_permissions(
        root.join("tmp"),
        std::os::unix::fs::PermissionsExt::from_mode(0o1777),
    )
    .unwrap();
    for applet in [
        "sh", "echo", "cat", "ls", "sleep", "ping", "wget", "nc", "httpd",
    ] {
        std::os::unix::fs::symlink("/bin/busybox", root.join("bin").join(applet)).unwrap();
    }
    std::fs::write(root.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n").unwrap();
    std::fs::write(root.join("etc/group"), "root:x:0:\n").unwrap();
}

#[test]
fn busybox_image_runs_sh_in_a_chroot() {
    if !common::is_root() {
        println!("skipped: chroot needs root (CI runs the tests as root)");
        return;
    }
    assert!(
        Path::new("/bin/busybox").exists(),
        "/bin/busybox missing: apt-get install -y busybox-static (scripts/test.sh does)"
    );
    let dir = tempfile::tempdir().unwrap();
    let stage = dir.path().join("stage");
    stage_busybox_files(&stage);
    let image = berth_image::build(&BuildOptions {
        reference: "busybox:test".into(),
        from_binaries: vec![(PathBuf::from("/bin/busybox"), Some("/bin/busybox".into()))],
        adds: vec![(stage, "/".into())],
        cmd: Some(vec!["sh".into()]),
        ..Default::default()
    })
    .unwrap();
    // Extract with the system's tar, not ours: the layer must suit other readers.
    let layer = dir.path().join("layer.tar.gz");
    std::fs::write(&layer, &image.layer.data).unwrap();
    let rootfs = dir.path().join("rootfs");
    std::fs::create_dir(&rootfs).unwrap();
    let status = Command::new("tar")
        .args(["-xzf"])
        .arg(&layer)
        .arg("-C")
        .arg(&rootfs)
        .status()
        .unwrap();
    assert!(status.success(), "tar -xzf failed");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(rootfs.join("tmp")).unwrap().permissions(),
    );
    assert_eq!(mode & 0o7777, 0o1777, "/tmp keeps its sticky bit");

    let out = Command::new("/usr/sbin/chroot")
        .arg(&rootfs)
        .args(["sh", "-c", "echo ok; ls /bin/wget /etc/passwd"])
        .env("PATH", "/bin")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "chroot sh failed: {} {}",
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("ok\n"), "{stdout}");
    assert!(stdout.contains("/bin/wget"), "{stdout}");
}

#[test]
fn dynamic_binary_runs_alone_in_its_image() {
    if !common::is_root() {
        println!("skipped: chroot needs root (CI runs the tests as root)");
        return;
    }
    // /bin/ls with nothing but its closure: proves the loader and every library are there.
    let image = berth_image::build(&BuildOptions {
        reference: "ls:test".into(),
        from_binaries: vec![(PathBuf::from("/bin/ls"), Some("/ls".into()))],
        ..Default::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let layer = dir.path().join("layer.tar.gz");
    std::fs::write(&layer, &image.layer.data).unwrap();
    let rootfs = dir.path().join("rootfs");
    std::fs::create_dir(&rootfs).unwrap();
    assert!(Command::new("tar")
        .arg("-xzf")
        .arg(&layer)
        .arg("-C")
        .arg(&rootfs)
        .status()
        .unwrap()
        .success());
    let out = Command::new("/usr/sbin/chroot")
        .arg(&rootfs)
        .args(["/ls", "/"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "chroot /ls failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.lines().any(|l| l == "ls"), "{stdout}");
}
