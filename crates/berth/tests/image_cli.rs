//! `berth image build` (without -o: build then import), `berth image import` and
//! `berth image ls` against a containerd that berth-kubelet runs under a temp data dir.
//! Needs root and containerd; no network beyond 127.0.0.1.

use std::path::Path;
use std::process::Command;

use berth_kubelet::containerd::{Containerd, ContainerdOptions};

/// The test's temp dir; on drop (also on failure) kills what still runs from it.
struct DataDir(Option<tempfile::TempDir>);

impl Drop for DataDir {
    fn drop(&mut self) {
        if let Some(dir) = self.0.take() {
            berth_kubelet::mounts::clean_up_under(dir.path());
        }
    }
}

fn berth(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("running berth");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn image_build_import_and_ls_talk_to_the_nodes_containerd() {
    assert!(
        Path::new("/usr/bin/containerd").is_file(),
        "/usr/bin/containerd is missing: apt-get install -y containerd runc containernetworking-plugins"
    );
    let dir = DataDir(Some(
        tempfile::Builder::new()
            .prefix("berth-imgcli-")
            .tempdir_in("/tmp")
            .unwrap(),
    ));
    let root = dir.0.as_ref().unwrap().path().to_path_buf();
    let data_dir = root.join("data");
    let mut opts = ContainerdOptions::new(&data_dir, berth_kubelet::images::PAUSE_IMAGE);
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    for var in ["HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"] {
        opts.env
            .push((var.into(), format!("http://127.0.0.1:{closed}").into()));
    }
    let runtime = Containerd::start(opts).await.expect("starting containerd");
    let data = data_dir.to_str().unwrap();

    // build without -o imports.
    std::fs::write(root.join("hello"), "hello\n").unwrap();
    let add = format!("{}:/etc/hello", root.join("hello").display());
    let (ok, stdout, stderr) = berth(&[
        "image",
        "build",
        "-t",
        "hello:1",
        "--add",
        &add,
        "--data-dir",
        data,
    ]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.starts_with("docker.io/library/hello:1 sha256:"),
        "{stdout}"
    );

    // import of an archive written by build -o.
    let archive = root.join("hello2.tar");
    let (ok, _, stderr) = berth(&[
        "image",
        "build",
        "-t",
        "example.test/hello:2",
        "--add",
        &add,
        "-o",
        archive.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    let (ok, stdout, stderr) = berth(&[
        "image",
        "import",
        archive.to_str().unwrap(),
        "--data-dir",
        data,
    ]);
    assert!(ok, "{stderr}");
    assert_eq!(stdout, "imported example.test/hello:2\n");
    assert!(!runtime
        .paths()
        .unwrap()
        .certs_d
        .join("example.test")
        .exists());

    let (ok, stdout, stderr) = berth(&["image", "ls", "--data-dir", data]);
    assert!(ok, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("IMAGE "), "{stdout}");
    for (repo, tag) in [
        ("docker.io/library/hello", "1"),
        ("example.test/hello", "2"),
    ] {
        assert!(
            lines.iter().any(|l| {
                let cols: Vec<&str> = l.split_whitespace().collect();
                cols.len() == 4 && cols[0] == repo && cols[1] == tag && cols[2].len() == 13
            }),
            "{repo}:{tag} not listed:\n{stdout}"
        );
    }

    // A foreign runtime needs its registry config dir for imports.
    let endpoint = format!("unix://{}", runtime.paths().unwrap().socket.display());
    let (ok, _, stderr) = berth(&[
        "image",
        "import",
        archive.to_str().unwrap(),
        "--container-runtime-endpoint",
        &endpoint,
    ]);
    assert!(!ok);
    assert!(stderr.contains("--registry-config-dir"), "{stderr}");
    let (ok, stdout, stderr) = berth(&["image", "ls", "--container-runtime-endpoint", &endpoint]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("example.test/hello"), "{stdout}");

    // No runtime there: said so.
    let (ok, _, stderr) = berth(&["image", "ls", "--data-dir", root.to_str().unwrap()]);
    assert!(!ok);
    assert!(stderr.contains("no container runtime socket"), "{stderr}");

    runtime.stop().await.expect("stopping containerd");
}
