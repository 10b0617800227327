//! `kubectl logs`, `exec` and `port-forward` through berth's API server to the node
//! agent's HTTPS server and containerd's streaming server, with every kubectl from 1.27
//! to 1.33 in its default protocol (SPDY for ≤ 1.29, WebSocket v5 for exec from 1.30,
//! the SPDY-over-WebSocket tunnel for port-forward from 1.31).
//!
//! The agent core is not used: a fake `NodeBackend` names one busybox container that
//! the test runs itself on a containerd of its own (host network, images imported from
//! memory through a loopback registry). Needs root and containerd; nothing leaves
//! 127.0.0.1.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use berth_kubelet::containerd::{Containerd, ContainerdOptions};
use berth_kubelet::cri::{api, CriClient};
use berth_kubelet::images;
use berth_kubelet::server::{self, ContainerRef, NodeBackend, StreamError};
use common::Server;

const PAUSE: &str = "berth.local/pause:3.10";
const KUBECTLS: &[&str] = &["1.27", "1.28", "1.29", "1.30", "1.31", "1.32", "1.33"];

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("picking a free port")
}

/// The runtime's temp dir; on drop (also on failure) kills the shims started from it,
/// unmounts what is mounted below it and removes it.
struct DataDir(Option<tempfile::TempDir>);

impl Drop for DataDir {
    fn drop(&mut self) {
        if let Some(dir) = self.0.take() {
            berth_kubelet::mounts::clean_up_under(dir.path());
        }
    }
}

struct Backend {
    cri: CriClient,
    sandbox: String,
    container: String,
    log_path: PathBuf,
}

#[async_trait::async_trait]
impl NodeBackend for Backend {
    fn cri(&self) -> CriClient {
        self.cri.clone()
    }
    async fn container(
        &self,
        ns: &str,
        pod: &str,
        container: &str,
    ) -> Result<ContainerRef, StreamError> {
        if (ns, pod) != ("default", "web") {
            return Err(StreamError::not_found("pod does not exist"));
        }
        if container == "waiting" {
            return Err(StreamError::bad_request(format!(
                "container \"{container}\" in pod \"{pod}\" is waiting to start: ContainerCreating"
            )));
        }
        if container != "c" {
            return Err(StreamError::not_found(format!(
                "container {container} is not known"
            )));
        }
        Ok(ContainerRef {
            id: self.container.clone(),
            log_path: self.log_path.clone(),
            previous_log_path: None,
            running: true,
        })
    }
    async fn sandbox(&self, ns: &str, pod: &str) -> Result<String, StreamError> {
        if (ns, pod) != ("default", "web") {
            return Err(StreamError::not_found("pod does not exist"));
        }
        Ok(self.sandbox.clone())
    }
}

fn kubectl(s: &Server, version: &str) -> String {
    let bin = format!("/usr/lib/google-cloud-sdk/bin/kubectl.{version}");
    assert!(Path::new(&bin).is_file(), "{bin} is missing");
    let _ = s;
    bin
}

fn run(s: &Server, bin: &str, args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut child = Command::new(bin)
        .args(args)
        .env("KUBECONFIG", &s.kubeconfig)
        .env("HOME", s.dir.path())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running kubectl");
    if let Some(input) = stdin {
        let mut w = child.stdin.take().unwrap();
        w.write_all(input.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `kubectl port-forward` to the container's HTTP server; one GET through it.
fn port_forward_get(s: &Server, bin: &str, remote: u16, verbose: bool) -> (String, String) {
    let local = free_port();
    let mapping = format!("{local}:{remote}");
    let mut args = vec!["port-forward", "pod/web", mapping.as_str()];
    if verbose {
        args.push("-v=4");
    }
    let mut child = Command::new(bin)
        .args(&args)
        .env("KUBECONFIG", &s.kubeconfig)
        .env("HOME", s.dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubectl port-forward");
    let mut stdout = child.stdout.take().unwrap();
    let mut response = String::new();
    for _ in 0..100 {
        if let Ok(mut c) = TcpStream::connect(("127.0.0.1", local)) {
            c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            c.write_all(b"GET /index.html HTTP/1.0\r\nHost: x\r\n\r\n")
                .unwrap();
            let _ = c.read_to_string(&mut response);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let mut out = String::new();
    let _ = stdout.read_to_string(&mut out);
    let mut err = String::new();
    let _ = child.stderr.take().unwrap().read_to_string(&mut err);
    let _ = child.wait();
    (response, format!("{out}{err}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn logs_exec_port_forward_with_every_kubectl() {
    assert!(
        Path::new("/usr/bin/containerd").is_file(),
        "containerd is missing: apt-get install -y containerd runc"
    );
    assert!(
        Path::new("/bin/busybox").is_file(),
        "/bin/busybox is missing: apt-get install -y busybox-static"
    );
    let s = tokio::task::block_in_place(Server::start);
    let dir = DataDir(Some(
        tempfile::Builder::new()
            .prefix("berth-stream-")
            .tempdir_in("/tmp")
            .unwrap(),
    ));
    let root = dir.0.as_ref().unwrap().path().to_path_buf();

    // containerd with the pause image and busybox.
    let mut opts = ContainerdOptions::new(root.join("data"), PAUSE);
    let proxy = format!("http://127.0.0.1:{}", free_port());
    for var in ["HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"] {
        opts.env.push((var.into(), proxy.clone().into()));
    }
    let runtime = Containerd::start(opts).await.expect("starting containerd");
    let cri = runtime.client();
    let certs_d = runtime.paths().expect("paths").certs_d.clone();
    images::ensure_pause_image(&cri, &certs_d, PAUSE)
        .await
        .expect("pause image");
    let busybox = berth_image::build(&berth_image::BuildOptions {
        reference: "busybox:latest".into(),
        from_binaries: vec![("/bin/busybox".into(), None)],
        ..Default::default()
    })
    .unwrap();
    images::import_image(&cri, &certs_d, &busybox)
        .await
        .expect("importing busybox");

    // The pod: host network, an HTTP server on loopback, two log lines, then sleep.
    let http_port = free_port();
    let log_dir = root.join("logs");
    std::fs::create_dir_all(&log_dir).unwrap();
    let sandbox_config = api::PodSandboxConfig {
        metadata: Some(api::PodSandboxMetadata {
            name: "web".into(),
            uid: "00000000-0000-0000-0000-00000000beef".into(),
            namespace: "default".into(),
            attempt: 0,
        }),
        log_directory: log_dir.to_string_lossy().into_owned(),
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
    };
    let sandbox = cri
        .run_pod_sandbox(sandbox_config.clone(), "")
        .await
        .expect("RunPodSandbox");
    let script = format!(
        "B=/bin/busybox; $B mkdir -p /www && echo pf-ok > /www/index.html && \
         $B httpd -p 127.0.0.1:{http_port} -h /www && echo line1 && echo line2 >&2 && \
         exec $B sleep 3600"
    );
    let container = cri
        .create_container(
            &sandbox,
            api::ContainerConfig {
                metadata: Some(api::ContainerMetadata {
                    name: "c".into(),
                    attempt: 0,
                }),
                image: Some(api::ImageSpec {
                    image: "busybox".into(),
                    ..Default::default()
                }),
                command: vec!["/bin/busybox".into(), "sh".into(), "-c".into(), script],
                log_path: "c.log".into(),
                ..Default::default()
            },
            sandbox_config,
        )
        .await
        .expect("CreateContainer");
    cri.start_container(&container)
        .await
        .expect("StartContainer");

    // The agent's server, trusting the cluster CA.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let agent_port = listener.local_addr().unwrap().port();
    let ca = std::fs::read_to_string(s.dir.path().join("pki/ca.crt")).unwrap();
    let tls = server::self_signed_cert("node-1", &["127.0.0.1".parse().unwrap()]).unwrap();
    let backend = Arc::new(Backend {
        cri: cri.clone(),
        sandbox: sandbox.clone(),
        container: container.clone(),
        log_path: log_dir.join("c.log"),
    });
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let agent = tokio::spawn(async move {
        server::serve(listener, tls, &ca, backend, async {
            let _ = stop_rx.await;
        })
        .await
    });

    // Node and pod objects pointing at it.
    let run_checks = || {
        let node = r#"{"apiVersion":"v1","kind":"Node","metadata":{"name":"node-1"}}"#;
        let o = s.k_stdin(&["apply", "-f", "-"], node);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let status = format!(
            r#"{{"status":{{"addresses":[{{"type":"InternalIP","address":"127.0.0.1"}},{{"type":"Hostname","address":"node-1"}}],"daemonEndpoints":{{"kubeletEndpoint":{{"Port":{agent_port}}}}}}}}}"#
        );
        s.k(&[
            "patch",
            "node",
            "node-1",
            "--subresource=status",
            "--type=merge",
            "-p",
            &status,
        ]);
        let pod = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"default"},
            "spec":{"nodeName":"node-1","containers":[{"name":"c","image":"busybox"},{"name":"waiting","image":"busybox"}]}}"#;
        let o = s.k_stdin(&["apply", "-f", "-"], pod);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        // kubectl port-forward wants a running pod (no agent core sets the status here).
        s.k(&[
            "patch",
            "pod",
            "web",
            "--subresource=status",
            "--type=merge",
            "-p",
            r#"{"status":{"phase":"Running"}}"#,
        ]);
        let pending = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"pending","namespace":"default"},
            "spec":{"containers":[{"name":"c","image":"busybox"}]}}"#;
        let o = s.k_stdin(&["apply", "-f", "-"], pending);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

        // The log has both lines once the container wrote them.
        assert!(common::eventually(20, || {
            let (_, out, _) = run(&s, &kubectl(&s, "1.33"), &["logs", "web", "-c", "c"], None);
            out.contains("line1") && out.contains("line2")
        }));

        // Errors as upstream words them.
        let new = kubectl(&s, "1.33");
        let (code, _, err) = run(&s, &new, &["exec", "web", "-c", "nope", "--", "true"], None);
        assert_ne!(code, 0);
        assert!(
            err.contains("container nope is not valid for pod web"),
            "{err}"
        );
        let (_, _, err) = run(&s, &new, &["logs", "web", "-c", "waiting"], None);
        assert!(
            err.contains(
                "container \"waiting\" in pod \"web\" is waiting to start: ContainerCreating"
            ),
            "{err}"
        );
        let (_, _, err) = run(&s, &new, &["exec", "pending", "--", "true"], None);
        assert!(
            err.contains("pod pending does not have a host assigned"),
            "{err}"
        );
        let (_, _, err) = run(&s, &new, &["logs", "web", "-c", "c", "--tail=-2"], None);
        let _ = err; // kubectl itself treats negative --tail as "all lines"
        let (code, _, err) = run(
            &s,
            &new,
            &[
                "get",
                "--raw",
                "/api/v1/namespaces/default/pods/web/log?container=c&tailLines=-1",
            ],
            None,
        );
        assert_ne!(code, 0);
        assert!(err.contains("must be greater than or equal to 0"), "{err}");

        // BERTH_TEST_KUBECTLS=1.30,1.33 picks versions.
        let only = std::env::var("BERTH_TEST_KUBECTLS").unwrap_or_default();
        for version in KUBECTLS
            .iter()
            .filter(|v| only.is_empty() || only.split(',').any(|o| o == **v))
        {
            let bin = kubectl(&s, version);
            let (code, out, err) = run(&s, &bin, &["logs", "web", "-c", "c", "--tail=1"], None);
            assert_eq!(code, 0, "kubectl {version} logs: {err}");
            assert_eq!(
                out.lines().count(),
                1,
                "kubectl {version} logs --tail=1: {out:?}"
            );

            let (code, out, err) = run(
                &s,
                &bin,
                &[
                    "exec",
                    "web",
                    "-c",
                    "c",
                    "-v=4",
                    "--",
                    "/bin/busybox",
                    "sh",
                    "-c",
                    "echo out; echo err >&2; exit 3",
                ],
                None,
            );
            assert_eq!(code, 3, "kubectl {version} exec exit code: {out} {err}");
            assert_eq!(out, "out\n", "kubectl {version} exec stdout");
            assert!(
                err.contains("err\n"),
                "kubectl {version} exec stderr: {err}"
            );
            let websocket = err.contains("The subprotocol is v5.channel.k8s.io");
            let wants_websocket = !matches!(*version, "1.27" | "1.28" | "1.29");
            assert_eq!(
                websocket, wants_websocket,
                "kubectl {version} exec over websocket v5: {err}"
            );
            assert!(
                !err.contains("fallback") && !err.contains("Fallback"),
                "kubectl {version} fell back: {err}"
            );

            let (code, out, err) = run(
                &s,
                &bin,
                &["exec", "-i", "web", "-c", "c", "--", "/bin/busybox", "cat"],
                Some("hello\nworld\n"),
            );
            assert_eq!(code, 0, "kubectl {version} exec -i: {err}");
            assert_eq!(out, "hello\nworld\n", "kubectl {version} exec -i stdout");

            let (response, log) = port_forward_get(&s, &bin, http_port, true);
            assert!(
                response.contains("pf-ok"),
                "kubectl {version} port-forward: {response:?}\n{log}"
            );
            if matches!(*version, "1.31" | "1.32" | "1.33") {
                assert!(
                    log.contains("tunneling_dialer.go")
                        && !log.to_ascii_lowercase().contains("fallback"),
                    "kubectl {version} port-forward did not tunnel over websocket:\n{log}"
                );
            }
        }
    };
    tokio::task::block_in_place(run_checks);

    let _ = stop_tx.send(());
    let _ = agent.await;
    let _ = cri.stop_pod_sandbox(&sandbox).await;
    let _ = cri.remove_pod_sandbox(&sandbox).await;
    runtime.stop().await.expect("stopping containerd");
    drop(dir);
}
