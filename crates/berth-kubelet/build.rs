//! Compiles the pause program (`crates/berth-pause/src/main.rs`, which needs no crates)
//! with the same `rustc` as a static, stripped, size-optimised binary into `OUT_DIR/pause`,
//! which `src/images.rs` embeds: berth builds `berth.local/pause:3.10` from it in memory,
//! so the sandbox image is there offline without any image archive.

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let source = manifest_dir.join("../berth-pause/src/main.rs");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR")).join("pause");
    println!("cargo:rerun-if-changed={}", source.display());
    println!("cargo:rerun-if-changed=build.rs");

    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if arch != "x86_64" || os != "linux" {
        // The program declares x86-64 Linux's sigset_t; elsewhere berth has no pause image.
        println!("cargo:warning=no embedded pause program for {arch}-{os} (x86_64-linux only)");
        std::fs::write(&out, b"").expect("writing an empty pause placeholder");
        return;
    }
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let target = env::var("TARGET").expect("TARGET");
    let output = Command::new(rustc)
        .args([
            "--edition",
            "2021",
            "--crate-type",
            "bin",
            "--crate-name",
            "pause",
        ])
        .args(["--target", &target])
        .args([
            "-C",
            "opt-level=s",
            "-C",
            "panic=abort",
            "-C",
            "codegen-units=1",
        ])
        .args(["-C", "lto=fat", "-C", "strip=symbols", "-C", "debuginfo=0"])
        .args(["-C", "target-feature=+crt-static"])
        .arg("-o")
        .arg(&out)
        .arg(&source)
        // The program prints its version with env!("CARGO_PKG_VERSION") (cargo sets it
        // when it builds the berth-pause crate).
        .env(
            "CARGO_PKG_VERSION",
            env::var("CARGO_PKG_VERSION").unwrap_or_default(),
        )
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .output()
        .expect("running rustc for the pause program");
    if !output.status.success() {
        panic!(
            "compiling {} failed:\n{}",
            source.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
