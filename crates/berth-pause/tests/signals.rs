//! berth-pause blocks until SIGTERM or SIGINT, then exits 0.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn stops_on(signal: &str) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_berth-pause"))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        child.try_wait().unwrap().is_none(),
        "pause exited on its own"
    );
    let killed = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert_eq!(status.code(), Some(0), "exit status after SIG{signal}");
            return;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("berth-pause still running 10 s after SIG{signal}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn exits_zero_on_sigterm() {
    stops_on("TERM");
}

#[test]
fn exits_zero_on_sigint() {
    stops_on("INT");
}

#[test]
fn ignores_sigchld() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_berth-pause"))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    Command::new("kill")
        .arg("-CHLD")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let still_running = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    assert!(still_running, "SIGCHLD must not stop pause");
}
