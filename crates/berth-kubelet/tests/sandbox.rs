//! A pod sandbox on containerd run by berth, with a sandbox image built by berth-image
//! from a local binary and served by a local docker-registry on loopback. Needs root,
//! containerd and docker-registry; no network beyond 127.0.0.1 and no CNI (host network).

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use berth_kubelet::containerd::{Containerd, ContainerdOptions, RegistryHost};
use berth_kubelet::cri::api;
use berth_kubelet::mounts;

const SANDBOX_IMAGE: &str = "berth.local/pause:3.10";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("picking a free port")
}

/// The test's temp dir. On drop (also when the test failed): kills shims still serving
/// sandboxes from it, unmounts what is mounted below it, removes it.
struct DataDir(Option<tempfile::TempDir>);

impl Drop for DataDir {
    fn drop(&mut self) {
        if let Some(dir) = self.0.take() {
            berth_kubelet::mounts::clean_up_under(dir.path());
        }
    }
}

/// A docker-registry child, killed when dropped.
struct Registry(Child);

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_registry(dir: &Path, port: u16) -> Registry {
    let config = dir.join("registry.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n\
             http:\n  addr: 127.0.0.1:{port}\n",
            dir.join("registry").display()
        ),
    )
    .unwrap();
    let child = Command::new("/usr/bin/docker-registry")
        .arg("serve")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("registry.log")).unwrap())
        .spawn()
        .expect("starting docker-registry");
    let registry = Registry(child);
    for _ in 0..600 {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return registry;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("docker-registry did not listen on 127.0.0.1:{port}");
}

#[tokio::test]
async fn pod_sandbox_runs_with_a_locally_built_sandbox_image() {
    for (binary, package) in [
        (
            "/usr/bin/containerd",
            "containerd runc containernetworking-plugins",
        ),
        ("/usr/bin/docker-registry", "docker-registry"),
    ] {
        assert!(
            Path::new(binary).is_file(),
            "{binary} is missing: run `apt-get install -y {package}` (scripts/test.sh does)"
        );
    }
    let dir = DataDir(Some(
        tempfile::Builder::new()
            .prefix("berth-sbx-")
            .tempdir_in("/tmp")
            .unwrap(),
    ));
    let root = dir.0.as_ref().unwrap().path().to_path_buf();

    // The sandbox image: sleep with its libraries; the sandbox's PID 1 only has to live.
    let port = free_port();
    let registry = start_registry(&root, port);
    let image = berth_image::build(&berth_image::BuildOptions {
        reference: SANDBOX_IMAGE.to_string(),
        from_binaries: vec![("/bin/sleep".into(), None)],
        entrypoint: Some(vec!["/bin/sleep".into(), "infinity".into()]),
        ..Default::default()
    })
    .expect("building the sandbox image");
    let archive = root.join("pause.tar");
    image.write_archive(&archive).expect("writing the archive");
    berth_image::push_archive(
        &archive,
        &format!("127.0.0.1:{port}/pause:3.10"),
        &berth_image::PushOptions { plain_http: true },
    )
    .await
    .expect("pushing to the local registry");

    let mut opts = ContainerdOptions::new(root.join("data"), SANDBOX_IMAGE);
    opts.registry_hosts = vec![format!("berth.local=http://127.0.0.1:{port}")
        .parse::<RegistryHost>()
        .unwrap()];
    // Anything not on loopback would go to this closed port, not out of the machine.
    let proxy = format!("http://127.0.0.1:{}", free_port());
    for var in ["HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"] {
        opts.env.push((var.into(), proxy.clone().into()));
    }
    let runtime = Containerd::start(opts).await.expect("starting containerd");
    let client = runtime.client();

    let image_ref = client
        .pull_image(SANDBOX_IMAGE, None, None)
        .await
        .expect("pulling the sandbox image from the local registry");
    assert!(image_ref.starts_with("sha256:"), "{image_ref}");
    let listed = client
        .image_status(SANDBOX_IMAGE)
        .await
        .expect("ImageStatus");
    assert!(listed.is_some_and(|i| i.repo_tags.iter().any(|t| t == SANDBOX_IMAGE)));
    drop(registry);

    let config = api::PodSandboxConfig {
        metadata: Some(api::PodSandboxMetadata {
            name: "sandbox-test".into(),
            uid: "00000000-0000-0000-0000-000000000001".into(),
            namespace: "default".into(),
            attempt: 0,
        }),
        // containerd shares the host's UTS namespace with a host-network sandbox, and
        // runc refuses to set a hostname there: it must stay empty.
        log_directory: root.join("logs").to_string_lossy().into_owned(),
        linux: Some(api::LinuxPodSandboxConfig {
            security_context: Some(api::LinuxSandboxSecurityContext {
                // Host network: no CNI, nothing changes in the machine's network.
                namespace_options: Some(api::NamespaceOption {
                    network: api::NamespaceMode::Node as i32,
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let id = client
        .run_pod_sandbox(config, "")
        .await
        .expect("RunPodSandbox");
    let status = client
        .pod_sandbox_status(&id, false)
        .await
        .expect("PodSandboxStatus");
    let state = status.status.expect("sandbox status").state;
    assert_eq!(state, api::PodSandboxState::SandboxReady as i32);
    let sandboxes = client.list_pod_sandbox(None).await.expect("ListPodSandbox");
    assert_eq!(
        sandboxes.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        [id.as_str()]
    );

    client.stop_pod_sandbox(&id).await.expect("StopPodSandbox");
    let status = client
        .pod_sandbox_status(&id, false)
        .await
        .expect("PodSandboxStatus");
    assert_eq!(
        status.status.expect("sandbox status").state,
        api::PodSandboxState::SandboxNotready as i32
    );
    client
        .remove_pod_sandbox(&id)
        .await
        .expect("RemovePodSandbox");
    assert!(client
        .list_pod_sandbox(None)
        .await
        .expect("ListPodSandbox")
        .is_empty());

    let pid = runtime.pid().expect("containerd runs");
    runtime.stop().await.expect("stopping containerd");
    assert!(!Path::new(&format!("/proc/{pid}")).exists());
    // The shim exits on its own once its last task is deleted.
    let mut left = mounts::processes_mentioning(&root);
    for _ in 0..100 {
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = mounts::processes_mentioning(&root);
    }
    assert!(left.is_empty(), "processes left: {left:?}");
    let mounts = mounts::mounts_under(&root).expect("reading mountinfo");
    assert!(mounts.is_empty(), "mounts left: {mounts:?}");
}
