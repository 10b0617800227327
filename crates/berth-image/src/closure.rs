//! The shared-library closure of a dynamic binary, found the way ld.so finds it:
//! DT_RPATH (when there is no DT_RUNPATH), DT_RUNPATH, `/etc/ld.so.cache`, then the
//! standard directories; `$ORIGIN` is the directory of the object that asks.
//!
//! Not covered (say so when an image misbehaves): libraries opened with dlopen at run
//! time (NSS modules, plugins), LD_LIBRARY_PATH and hardware-capability subdirectories.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};

use crate::{elf, ldcache, Error, Result};

/// Where ld.so looks last, in its order, on Debian's x86-64 multiarch layout.
pub const STANDARD_DIRS: &[&str] = &[
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
];

/// What a binary needs besides itself to run in an empty root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Closure {
    /// The dynamic loader (PT_INTERP), as the binary names it; `None` for static binaries.
    pub interpreter: Option<PathBuf>,
    /// Libraries in the order they were found (breadth first), as paths on this host
    /// (symlinks not yet followed: the image keeps both link and target).
    pub libraries: Vec<PathBuf>,
}

impl Closure {
    /// The loader followed by the libraries: every host path the image must contain.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.interpreter
            .iter()
            .chain(self.libraries.iter())
            .map(PathBuf::as_path)
    }
}

/// Finds the closure of `binary` with the system's ld.so.cache.
pub fn resolve(binary: &Path) -> Result<Closure> {
    resolve_with_cache(binary, &ldcache::load_system())
}

/// Finds the closure of `binary` using the given soname → path cache.
pub fn resolve_with_cache(binary: &Path, cache: &HashMap<String, String>) -> Result<Closure> {
    let data = std::fs::read(binary).map_err(|e| Error::io(binary, e))?;
    let info = elf::parse(&data).map_err(|reason| Error::Elf {
        path: binary.to_path_buf(),
        reason,
    })?;
    let mut closure = Closure {
        interpreter: info.interpreter.as_ref().map(PathBuf::from),
        libraries: Vec::new(),
    };
    let mut seen_names: HashSet<String> = HashSet::new();
    let mut seen_files: HashSet<PathBuf> = HashSet::new();
    if let Some(interp) = &closure.interpreter {
        // The loader is also a DT_NEEDED of libc under its soname; count it once.
        if let Some(name) = interp.file_name() {
            seen_names.insert(name.to_string_lossy().into_owned());
        }
        if let Ok(c) = interp.canonicalize() {
            seen_files.insert(c);
        }
    }
    let mut queue = VecDeque::from([(binary.to_path_buf(), info)]);
    while let Some((object, info)) = queue.pop_front() {
        let origin = object
            .canonicalize()
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| PathBuf::from("/"));
        for name in &info.needed {
            if !seen_names.insert(name.clone()) {
                continue;
            }
            let found = find_library(name, &info, &origin, cache).ok_or_else(|| {
                Error::LibraryNotFound {
                    library: name.clone(),
                    needed_by: object.clone(),
                }
            })?;
            let canonical = found.canonicalize().map_err(|e| Error::io(&found, e))?;
            if !seen_files.insert(canonical) {
                continue;
            }
            let data = std::fs::read(&found).map_err(|e| Error::io(&found, e))?;
            let lib_info = elf::parse(&data).map_err(|reason| Error::Elf {
                path: found.clone(),
                reason,
            })?;
            closure.libraries.push(found.clone());
            queue.push_back((found, lib_info));
        }
    }
    Ok(closure)
}

fn find_library(
    name: &str,
    info: &elf::ElfInfo,
    origin: &Path,
    cache: &HashMap<String, String>,
) -> Option<PathBuf> {
    if name.contains('/') {
        let p = PathBuf::from(expand_origin(name, origin));
        return usable(&p).then_some(p);
    }
    let in_dirs = |dirs: &[String]| {
        dirs.iter()
            .map(|d| Path::new(&expand_origin(d, origin)).join(name))
            .find(|p| usable(p))
    };
    if info.runpath.is_empty() {
        if let Some(p) = in_dirs(&info.rpath) {
            return Some(p);
        }
    } else if let Some(p) = in_dirs(&info.runpath) {
        return Some(p);
    }
    if let Some(p) = cache.get(name).map(PathBuf::from).filter(|p| usable(p)) {
        return Some(p);
    }
    STANDARD_DIRS
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| usable(p))
}

fn expand_origin(s: &str, origin: &Path) -> String {
    let o = origin.to_string_lossy();
    s.replace("${ORIGIN}", &o).replace("$ORIGIN", &o)
}

/// A candidate counts only if it is an x86-64 ELF object, as ld.so skips the others.
fn usable(p: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 0x40];
    std::fs::File::open(p)
        .and_then(|mut f| f.read_exact(&mut head))
        .map(|_| elf::is_x86_64(&head))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_is_substituted() {
        assert_eq!(
            expand_origin("$ORIGIN/../lib:${ORIGIN}", Path::new("/opt/x/bin")),
            "/opt/x/bin/../lib:/opt/x/bin"
        );
    }

    #[test]
    fn static_or_missing_is_reported() {
        let err = resolve(Path::new("/nonexistent/binary")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/binary"), "{err}");
    }
}
