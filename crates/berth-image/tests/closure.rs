//! The library closure of real dynamic binaries on this machine, and the layer built from it.

mod common;

use std::path::{Path, PathBuf};

use berth_image::{closure, BuildOptions};

#[test]
fn closure_of_ls_has_loader_and_libc() {
    let c = closure::resolve(Path::new("/bin/ls")).expect("closure of /bin/ls");
    let interp = c.interpreter.clone().expect("/bin/ls is dynamic");
    assert!(interp.ends_with("ld-linux-x86-64.so.2"), "{interp:?}");
    let names: Vec<String> = c
        .libraries
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().any(|n| n == "libc.so.6"), "{names:?}");
    // ls needs libselinux, which needs libpcre2: the closure is transitive.
    assert!(
        names.iter().any(|n| n.starts_with("libselinux")),
        "{names:?}"
    );
    assert!(names.iter().any(|n| n.starts_with("libpcre2")), "{names:?}");
    // Each library once, and the loader not repeated as libc's DT_NEEDED.
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), names.len(), "{names:?}");
    assert!(
        !names.iter().any(|n| n.starts_with("ld-linux")),
        "{names:?}"
    );
}

#[test]
fn image_of_ls_holds_links_and_targets_of_its_closure() {
    let image = berth_image::build(&BuildOptions {
        reference: "ls:test".into(),
        from_binaries: vec![(PathBuf::from("/bin/ls"), Some("/bin/ls".into()))],
        entrypoint: Some(vec!["/bin/ls".into()]),
        ..Default::default()
    })
    .unwrap();
    let entries = common::layer_entries(&image);
    let find = |path: &str| {
        entries
            .iter()
            .find(|e| e.path.trim_end_matches('/') == path)
    };
    assert_eq!(
        find("bin").map(|e| e.kind),
        Some(b'5'),
        "the binary's own directory"
    );
    assert_eq!(find("bin/ls").map(|e| e.kind), Some(b'0'));
    // Whatever the host's layout (merged /usr or not), the paths ld.so will open resolve
    // inside the image: walk them through the image's own symlinks.
    for wanted in [
        "lib64/ld-linux-x86-64.so.2",
        "lib/x86_64-linux-gnu/libc.so.6",
    ] {
        let mut path = wanted.to_string();
        for _ in 0..10 {
            let mut resolved = None;
            let parts: Vec<&str> = path.split('/').collect();
            for i in 1..=parts.len() {
                let prefix = parts[..i].join("/");
                if let Some(e) = find(&prefix).filter(|e| e.kind == b'2') {
                    let base = if e.link.starts_with('/') {
                        String::new()
                    } else {
                        parts[..i - 1].join("/")
                    };
                    let target = format!("{base}/{}", e.link);
                    let rest = parts[i..].join("/");
                    resolved = Some(normalize(&format!("{target}/{rest}")));
                    break;
                }
            }
            match resolved {
                Some(p) => path = p,
                None => break,
            }
        }
        let e = find(&path).unwrap_or_else(|| panic!("{wanted} → {path} missing from the layer"));
        assert_eq!(e.kind, b'0', "{wanted} → {path} is not a regular file");
        assert!(e.data.starts_with(b"\x7fELF"));
    }
    for e in &entries {
        assert!(!e.path.starts_with('/'), "absolute tar path {}", e.path);
    }
}

fn normalize(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out.join("/")
}

#[test]
fn static_binary_has_an_empty_closure() {
    let busybox = Path::new("/bin/busybox");
    assert!(
        busybox.exists(),
        "/bin/busybox missing: apt-get install -y busybox-static (scripts/test.sh does)"
    );
    let c = closure::resolve(busybox).unwrap();
    assert_eq!(c, closure::Closure::default());
}

#[test]
fn a_script_is_refused_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("run.sh");
    std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
    let err = closure::resolve(&script).unwrap_err().to_string();
    assert!(err.contains("run.sh") && err.contains("ELF"), "{err}");
}
