//! Push to a real registry (Debian's docker-registry) on a free loopback port, then read
//! the manifest back with curl.

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use berth_image::{BuildOptions, PushOptions};

const REGISTRY_BIN: &str = "/usr/bin/docker-registry";

/// A docker-registry child on 127.0.0.1, killed by PID when dropped.
struct Registry {
    child: Child,
    addr: String,
    _dir: tempfile::TempDir,
}

impl Registry {
    fn start() -> Registry {
        assert!(
            Path::new(REGISTRY_BIN).exists(),
            "{REGISTRY_BIN} missing: apt-get install -y docker-registry (scripts/test.sh does)"
        );
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = format!("127.0.0.1:{port}");
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {addr}\n",
                dir.path().join("data").display()
            ),
        )
        .unwrap();
        let child = Command::new(REGISTRY_BIN)
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let registry = Registry {
            child,
            addr,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let out = Command::new("curl")
                .args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
                .arg(format!("http://{}/v2/", registry.addr))
                .output()
                .unwrap();
            if out.stdout == b"200" {
                return registry;
            }
            assert!(
                Instant::now() < deadline,
                "docker-registry did not answer on {} within 30 s",
                registry.addr
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn curl(&self, args: &[&str], path: &str) -> Vec<u8> {
        let out = Command::new("curl")
            .arg("-sf")
            .args(args)
            .arg(format!("http://{}{}", self.addr, path))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "curl {path} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn push_then_read_the_manifest_back() {
    let registry = Registry::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("motd"), "pushed\n").unwrap();
    let image = berth_image::build(&BuildOptions {
        reference: "hello:v1".into(),
        from_binaries: vec![(PathBuf::from("/bin/ls"), None)],
        adds: vec![(dir.path().join("motd"), "/etc/motd".into())],
        cmd: Some(vec!["/bin/ls".into()]),
        ..Default::default()
    })
    .unwrap();
    let archive = dir.path().join("hello.tar");
    image.write_archive(&archive).unwrap();

    let dest = format!("{}/library/hello:v1", registry.addr);
    let plain = PushOptions { plain_http: true };
    let report = berth_image::push_archive(&archive, &dest, &plain)
        .await
        .unwrap();
    assert_eq!(report.digest, image.digest());
    assert_eq!((report.uploaded, report.present), (2, 0));

    let accept = "Accept: application/vnd.oci.image.manifest.v1+json";
    let manifest = registry.curl(&["-H", accept], "/v2/library/hello/manifests/v1");
    assert_eq!(
        manifest, image.manifest.data,
        "the registry serves our manifest bytes"
    );
    let headers =
        String::from_utf8(registry.curl(&["-I", "-H", accept], "/v2/library/hello/manifests/v1"))
            .unwrap();
    let served = headers
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("docker-content-digest:")
                .map(|v| v.trim().to_string())
        })
        .expect("Docker-Content-Digest header");
    assert_eq!(served, image.digest());
    let layer = registry.curl(
        &[],
        &format!("/v2/library/hello/blobs/{}", image.layer.digest),
    );
    assert_eq!(berth_image::oci::sha256_digest(&layer), image.layer.digest);
    let tags = registry.curl(&[], "/v2/library/hello/tags/list");
    assert!(String::from_utf8_lossy(&tags).contains("\"v1\""));

    // Pushing again under another tag uploads nothing new.
    let again = berth_image::push_archive(
        &archive,
        &format!("{}/library/hello:v2", registry.addr),
        &plain,
    )
    .await
    .unwrap();
    assert_eq!((again.uploaded, again.present), (0, 2));
    assert_eq!(again.digest, image.digest());
}

#[tokio::test]
async fn push_refuses_what_it_cannot_do() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.tar");
    let plain = PushOptions { plain_http: true };
    let err = berth_image::push_archive(&missing, "127.0.0.1:1/x:y", &plain)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("berth image build -o"), "{err}");
    let err = berth_image::push_archive(&missing, "redis", &plain)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("name the registry"), "{err}");
    let err = berth_image::push_archive(&missing, "127.0.0.1:1/x:y", &PushOptions::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("--plain-http"), "{err}");
    // A registry that is not there: a clear transport error, no hang.
    let image = berth_image::build(&BuildOptions {
        reference: "x:y".into(),
        ..Default::default()
    })
    .unwrap();
    let archive = dir.path().join("x.tar");
    image.write_archive(&archive).unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = berth_image::push_archive(&archive, &format!("127.0.0.1:{port}/x:y"), &plain)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("is the registry running"), "{err}");
}
