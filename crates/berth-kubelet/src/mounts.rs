//! Finding and removing what a runtime left under a directory: the processes started
//! from it (containerd, shims) and the mounts below it.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Undoes mountinfo's octal escapes (`\040` for a space, ...).
fn unescape(field: &str) -> PathBuf {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 3 < bytes.len() {
            let digits = &bytes[i + 1..i + 4];
            if digits.iter().all(|d| (b'0'..=b'7').contains(d)) {
                let v = digits
                    .iter()
                    .fold(0u32, |acc, d| acc * 8 + u32::from(d - b'0'));
                if let Ok(b) = u8::try_from(v) {
                    out.push(b);
                    i += 4;
                    continue;
                }
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    PathBuf::from(std::ffi::OsStr::from_bytes(&out))
}

/// Mount points at or below `dir` in a `/proc/self/mountinfo` text, in mount order.
fn mounts_under_in(mountinfo: &str, dir: &Path) -> Vec<PathBuf> {
    mountinfo
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .map(unescape)
        .filter(|m| m.starts_with(dir))
        .collect()
}

/// Mount points at or below `dir` (as seen by this process), in mount order.
pub fn mounts_under(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let dir = dir.canonicalize()?;
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo")?;
    Ok(mounts_under_in(&mountinfo, &dir))
}

/// Unmounts (lazily, like `umount -l`) everything mounted at or below `dir`, newest
/// first; returns how many mounts were removed. For tests and for tearing a node down;
/// a kubelet shutting down leaves its pods' mounts in place.
pub fn unmount_all_under(dir: &Path) -> io::Result<usize> {
    let mut removed = 0;
    // Stacked mounts show up again once the top one is gone.
    for _ in 0..16 {
        let mounts = mounts_under(dir)?;
        if mounts.is_empty() {
            break;
        }
        for mount in mounts.iter().rev() {
            let c = CString::new(mount.as_os_str().as_bytes())
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
            // SAFETY: a valid NUL-terminated path.
            let rc = unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) };
            if rc == 0 {
                removed += 1;
            } else {
                let err = io::Error::last_os_error();
                // Already gone with its parent.
                if err.raw_os_error() != Some(libc::EINVAL)
                    && err.raw_os_error() != Some(libc::ENOENT)
                {
                    return Err(io::Error::new(
                        err.kind(),
                        format!("unmounting {}: {err}", mount.display()),
                    ));
                }
            }
        }
    }
    Ok(removed)
}

/// PIDs of the processes (but this one) whose command line mentions `dir`: the
/// containerd and shims of a data dir.
pub fn processes_mentioning(dir: &Path) -> Vec<u32> {
    let needle = dir.as_os_str().as_bytes();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .parse::<u32>()
                .ok()
                .map(|pid| (pid, e.path()))
        })
        .filter(|(pid, _)| *pid != std::process::id())
        .filter(|(_, path)| {
            std::fs::read(path.join("cmdline"))
                .is_ok_and(|c| !needle.is_empty() && c.windows(needle.len()).any(|w| w == needle))
        })
        .map(|(pid, _)| pid)
        .collect()
}

/// Kills (SIGKILL, by PID) the processes started from `dir` and unmounts what is
/// mounted below it: what a test or a benchmark does with a runtime's data dir when it
/// is done, also after a failure.
pub fn clean_up_under(dir: &Path) {
    for pid in processes_mentioning(dir) {
        // SAFETY: kill(2) of a PID just found running with `dir` in its command line.
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    if let Err(e) = unmount_all_under(dir) {
        eprintln!("unmounting under {}: {e}", dir.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_mountinfo() {
        let text = "\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
90 22 0:50 / /tmp/x/state/sandboxes/abc/shm rw - tmpfs shm rw,size=65536k
91 22 0:51 / /tmp/x\\040y/m rw - tmpfs tmpfs rw
92 22 0:52 / /tmp/xy rw - tmpfs tmpfs rw
";
        assert_eq!(
            mounts_under_in(text, Path::new("/tmp/x")),
            vec![PathBuf::from("/tmp/x/state/sandboxes/abc/shm")]
        );
        assert_eq!(
            mounts_under_in(text, Path::new("/tmp/x y")),
            vec![PathBuf::from("/tmp/x y/m")]
        );
    }
}
