//! `berth-pause`: the first process of every pod sandbox. It holds the pod's namespaces,
//! reaps orphaned children (it is PID 1 when the pod shares its PID namespace) and exits 0
//! on SIGTERM or SIGINT. Built by cargo and packed with `berth image build --from-binary`.

use std::io::Write;
use std::mem::MaybeUninit;

fn main() {
    if std::env::args().nth(1).as_deref() == Some("-v") {
        println!("berth-pause {}", env!("CARGO_PKG_VERSION"));
        return;
    }
    // SAFETY: plain libc calls on a locally owned signal set. The signals are blocked, not
    // handled, and taken synchronously with sigwait: PID 1 gets no default action for
    // signals it does not handle, but blocked signals stay pending and sigwait sees them.
    unsafe {
        let mut set = MaybeUninit::<libc::sigset_t>::uninit();
        libc::sigemptyset(set.as_mut_ptr());
        let mut set = set.assume_init();
        for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGCHLD] {
            libc::sigaddset(&mut set, sig);
        }
        if libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) != 0 {
            let _ = writeln!(std::io::stderr(), "berth-pause: sigprocmask failed");
            std::process::exit(1);
        }
        loop {
            let mut sig: libc::c_int = 0;
            if libc::sigwait(&set, &mut sig) != 0 {
                continue;
            }
            match sig {
                libc::SIGCHLD => {
                    while libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) > 0 {}
                }
                _ => {
                    let _ = writeln!(
                        std::io::stderr(),
                        "berth-pause: shutting down, got signal {sig}"
                    );
                    std::process::exit(0);
                }
            }
        }
    }
}
