//! `berth-pause`: the first process of every pod sandbox. It holds the pod's namespaces,
//! reaps orphaned children (it is PID 1 when the pod shares its PID namespace) and exits 0
//! on SIGTERM or SIGINT.
//!
//! The file needs no crates: berth-kubelet's build script compiles it alone with `rustc`
//! (static, stripped, size-optimised) and embeds the binary in berth, which builds the
//! `berth.local/pause:3.10` image from it in memory. The few C library functions it
//! calls are declared here (x86-64 Linux, glibc or musl).

use std::ffi::c_int;

/// `sigset_t`: 1024 bits in glibc and musl on x86-64 (the kernel only looks at the first 64).
#[repr(C)]
struct SigSet([u64; 16]);

const SIG_BLOCK: c_int = 0;
const SIGINT: c_int = 2;
const SIGTERM: c_int = 15;
const SIGCHLD: c_int = 17;
const WNOHANG: c_int = 1;

extern "C" {
    fn sigemptyset(set: *mut SigSet) -> c_int;
    fn sigaddset(set: *mut SigSet, signum: c_int) -> c_int;
    fn sigprocmask(how: c_int, set: *const SigSet, old: *mut SigSet) -> c_int;
    fn sigwait(set: *const SigSet, sig: *mut c_int) -> c_int;
    fn waitpid(pid: c_int, status: *mut c_int, options: c_int) -> c_int;
    fn write(fd: c_int, buf: *const u8, count: usize) -> isize;
    fn _exit(status: c_int) -> !;
}

/// Writes a message to stderr (best effort: nobody may be reading).
fn say(message: &str) {
    // SAFETY: write(2) reads `message.len()` bytes from a live slice.
    unsafe { write(2, message.as_ptr(), message.len()) };
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("-v") {
        say(concat!("berth-pause ", env!("CARGO_PKG_VERSION"), "\n"));
        return;
    }
    let mut set = SigSet([0; 16]);
    // SAFETY: libc calls on a locally owned signal set. The signals are blocked, not
    // handled, and taken synchronously with sigwait: PID 1 gets no default action for
    // signals it does not handle, but blocked signals stay pending and sigwait sees them.
    unsafe {
        sigemptyset(&mut set);
        for sig in [SIGTERM, SIGINT, SIGCHLD] {
            sigaddset(&mut set, sig);
        }
        if sigprocmask(SIG_BLOCK, &set, std::ptr::null_mut()) != 0 {
            say("berth-pause: sigprocmask failed\n");
            _exit(1);
        }
        loop {
            let mut sig: c_int = 0;
            if sigwait(&set, &mut sig) != 0 {
                continue;
            }
            if sig == SIGCHLD {
                while waitpid(-1, std::ptr::null_mut(), WNOHANG) > 0 {}
            } else {
                say(if sig == SIGTERM {
                    "berth-pause: shutting down, got SIGTERM\n"
                } else {
                    "berth-pause: shutting down, got SIGINT\n"
                });
                _exit(0);
            }
        }
    }
}
