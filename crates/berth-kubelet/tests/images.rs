//! Images imported into a containerd run by berth through CRI alone: berth's embedded
//! pause image (then a sandbox runs with it), an OCI archive built by berth-image (then a
//! container runs from it), hosts.toml put back afterwards, images listed. Also what the
//! import relies on: containerd 1.6 reads hosts.toml again at every pull and goes on to
//! the next host on a 404. Needs root and containerd; no network beyond 127.0.0.1, no CNI
//! (host network).

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::time::Duration;

use berth_image::serve;
use berth_kubelet::containerd::{Containerd, ContainerdOptions, RegistryHost};
use berth_kubelet::cri::api;
use berth_kubelet::{images, mounts};

const PAUSE: &str = images::PAUSE_IMAGE;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("picking a free port")
}

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// The test's temp dir. On drop (also when the test failed): kills containerd and shims
/// still running from it, unmounts what is mounted below it, removes it.
struct DataDir(Option<tempfile::TempDir>);

impl Drop for DataDir {
    fn drop(&mut self) {
        if let Some(dir) = self.0.take() {
            berth_kubelet::mounts::clean_up_under(dir.path());
        }
    }
}

fn host_network_sandbox(root: &Path) -> api::PodSandboxConfig {
    api::PodSandboxConfig {
        metadata: Some(api::PodSandboxMetadata {
            name: "images-test".into(),
            uid: "00000000-0000-0000-0000-000000000002".into(),
            namespace: "default".into(),
            attempt: 0,
        }),
        // No hostname: containerd shares the host's UTS namespace with a host-network
        // sandbox and runc refuses to set one there.
        log_directory: root.join("logs").to_string_lossy().into_owned(),
        linux: Some(api::LinuxPodSandboxConfig {
            security_context: Some(api::LinuxSandboxSecurityContext {
                namespace_options: Some(api::NamespaceOption {
                    network: api::NamespaceMode::Node as i32,
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[tokio::test]
async fn images_are_imported_through_cri_pulls_from_a_loopback_registry() {
    assert!(
        Path::new("/usr/bin/containerd").is_file(),
        "/usr/bin/containerd is missing: run `apt-get install -y containerd runc \
         containernetworking-plugins` (scripts/test.sh does)"
    );
    assert!(
        Path::new("/bin/busybox").is_file(),
        "/bin/busybox is missing: apt-get install -y busybox-static"
    );
    let dir = DataDir(Some(
        tempfile::Builder::new()
            .prefix("berth-img-")
            .tempdir_in("/tmp")
            .unwrap(),
    ));
    let root = dir.0.as_ref().unwrap().path().to_path_buf();

    // docker.io's configured mirror: a berth registry serving one image of its own. The
    // import must list its registry before this one and leave the file as it was.
    let mirror_image = berth_image::build(&berth_image::BuildOptions {
        reference: "frommirror:1".into(),
        adds: vec![("/etc/hostname".into(), "/etc/hostname".into())],
        ..Default::default()
    })
    .unwrap();
    let mirror = serve::serve_image(&mirror_image, loopback()).await.unwrap();

    let mut opts = ContainerdOptions::new(root.join("data"), PAUSE);
    opts.registry_hosts = vec![mirror.url().parse::<RegistryHost>().unwrap()];
    // Anything not on loopback would go to this closed port, not out of the machine.
    let proxy = format!("http://127.0.0.1:{}", free_port());
    for var in ["HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"] {
        opts.env.push((var.into(), proxy.clone().into()));
    }
    let runtime = Containerd::start(opts).await.expect("starting containerd");
    let client = runtime.client();
    let certs_d = runtime
        .paths()
        .expect("berth runs containerd")
        .certs_d
        .clone();
    let docker_hosts = certs_d.join("docker.io/hosts.toml");
    let docker_hosts_before = std::fs::read_to_string(&docker_hosts).unwrap();

    // The pause image, from the program embedded in berth; nothing pulled it before.
    assert!(client.image_status(PAUSE).await.unwrap().is_none());
    images::ensure_pause_image(&client, &certs_d, PAUSE)
        .await
        .expect("importing the pause image");
    let pause = client
        .image_status(PAUSE)
        .await
        .unwrap()
        .expect("pause image");
    assert!(pause.repo_tags.iter().any(|t| t == PAUSE), "{pause:?}");
    assert!(
        !certs_d.join("berth.local").exists(),
        "the import's hosts.toml for berth.local was left behind"
    );
    // A second call finds it and imports nothing.
    images::ensure_pause_image(&client, &certs_d, PAUSE)
        .await
        .unwrap();

    // A sandbox runs with it.
    let sandbox_config = host_network_sandbox(&root);
    let sandbox = client
        .run_pod_sandbox(sandbox_config.clone(), "")
        .await
        .expect("RunPodSandbox with the embedded pause image");
    let status = client.pod_sandbox_status(&sandbox, false).await.unwrap();
    assert_eq!(
        status.status.expect("sandbox status").state,
        api::PodSandboxState::SandboxReady as i32
    );

    // An archive built by berth-image, imported under its docker.io name.
    let busybox = berth_image::build(&berth_image::BuildOptions {
        reference: "busybox:latest".into(),
        from_binaries: vec![("/bin/busybox".into(), None)],
        cmd: Some(vec!["/bin/busybox".into(), "sleep".into(), "300".into()]),
        ..Default::default()
    })
    .unwrap();
    let archive = root.join("busybox.tar");
    busybox.write_archive(&archive).unwrap();
    let names = images::import_archive(&client, &certs_d, &archive)
        .await
        .expect("importing busybox.tar");
    assert_eq!(names, ["docker.io/library/busybox:latest"]);
    let status = client
        .image_status("busybox")
        .await
        .unwrap()
        .expect("busybox imported");
    assert!(
        status
            .repo_tags
            .iter()
            .any(|t| t == "docker.io/library/busybox:latest"),
        "{status:?}"
    );
    assert!(status
        .repo_digests
        .contains(&format!("docker.io/library/busybox@{}", busybox.digest())));
    assert_eq!(
        std::fs::read_to_string(&docker_hosts).unwrap(),
        docker_hosts_before,
        "docker.io's hosts.toml was not put back"
    );
    let leftovers: Vec<_> = std::fs::read_dir(certs_d.join("docker.io"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(leftovers, ["hosts.toml"], "files left in certs.d/docker.io");
    // The configured mirror was never asked: the import registry answered first.
    assert!(mirror.requests().is_empty(), "{:?}", mirror.requests());

    // The imported image runs.
    let container = client
        .create_container(
            &sandbox,
            api::ContainerConfig {
                metadata: Some(api::ContainerMetadata {
                    name: "busybox".into(),
                    attempt: 0,
                }),
                image: Some(api::ImageSpec {
                    image: "busybox".into(),
                    ..Default::default()
                }),
                log_path: "busybox.log".into(),
                ..Default::default()
            },
            sandbox_config.clone(),
        )
        .await
        .expect("CreateContainer from the imported image");
    client.start_container(&container).await.unwrap();
    let out = client
        .exec_sync(
            &container,
            vec!["/bin/busybox".into(), "echo".into(), "imported".into()],
            Duration::from_secs(30),
        )
        .await
        .expect("ExecSync");
    assert_eq!(out.exit_code, 0, "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "imported\n");
    client
        .stop_container(&container, Duration::from_secs(1))
        .await
        .unwrap();
    client.remove_container(&container).await.unwrap();

    // What the import relies on, on a containerd that is already running: hosts.toml is
    // read again for this pull, and a 404 from the first host (the import registry, which
    // does not have this image) sends containerd on to the next one.
    let first = serve::serve_image(&busybox, loopback()).await.unwrap();
    std::fs::write(
        &docker_hosts,
        format!(
            "server = \"{m}\"\n\n[host.\"{f}\"]\n  capabilities = [\"pull\", \"resolve\"]\n\n\
             [host.\"{m}\"]\n  capabilities = [\"pull\", \"resolve\"]\n",
            m = mirror.url(),
            f = first.url()
        ),
    )
    .unwrap();
    client
        .pull_image("frommirror:1", None, None)
        .await
        .expect("pulling through the 404 of the first host");
    assert!(
        first
            .requests()
            .contains(&"HEAD /v2/library/frommirror/manifests/1 404".to_string()),
        "{:?}",
        first.requests()
    );
    assert!(
        mirror
            .requests()
            .contains(&"HEAD /v2/library/frommirror/manifests/1 200".to_string()),
        "{:?}",
        mirror.requests()
    );
    std::fs::write(&docker_hosts, &docker_hosts_before).unwrap();
    first.shutdown().await;

    // Listed as crictl lists them.
    let listed = images::list_images(&client).await.unwrap();
    let table = images::format_images(&listed);
    eprintln!("{table}");
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("IMAGE ") && lines[0].ends_with("SIZE"));
    let row = |repo: &str| {
        lines
            .iter()
            .find(|l| l.split_whitespace().next() == Some(repo))
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .unwrap_or_else(|| panic!("{repo} not listed:\n{table}"))
    };
    let id_of = |image: &api::Image| image.id.trim_start_matches("sha256:")[..13].to_string();
    let pause_row = row("berth.local/pause");
    assert_eq!(pause_row[1], "3.10");
    assert_eq!(pause_row[2], id_of(&pause));
    let busybox_row = row("docker.io/library/busybox");
    assert_eq!(busybox_row[1], "latest");
    assert_eq!(busybox_row[2], id_of(&status));
    assert!(busybox_row[3].ends_with("MB"), "{busybox_row:?}");
    row("docker.io/library/frommirror");

    client.stop_pod_sandbox(&sandbox).await.unwrap();
    client.remove_pod_sandbox(&sandbox).await.unwrap();
    runtime.stop().await.expect("stopping containerd");
    mirror.shutdown().await;
    let mut left = mounts::processes_mentioning(&root);
    for _ in 0..100 {
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = mounts::processes_mentioning(&root);
    }
    assert!(left.is_empty(), "processes left: {left:?}");
}
