//! The image's filesystem tree, built in memory: directories, files (from the host or from
//! bytes) and symlinks, with paths resolved through the image's own symlinks the way the
//! kernel will resolve them in the container. Written out as one deterministic tar layer.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

use crate::{tar, Error, Result};

const MAX_SYMLINK_HOPS: usize = 40;

/// Where a file's content comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file on this host, read when the layer is written.
    Host(PathBuf),
    /// Bytes given by the caller.
    Bytes(Vec<u8>),
}

/// One node of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A directory with its permission bits.
    Dir {
        /// Permission bits (e.g. 0o755, 0o1777).
        mode: u32,
    },
    /// A regular file.
    File {
        /// Permission bits.
        mode: u32,
        /// Its content.
        source: Source,
    },
    /// A symbolic link.
    Symlink {
        /// The target, as it will be stored (relative or absolute within the image).
        target: String,
    },
}

/// The image's root filesystem. Keys are paths relative to `/`, without leading or
/// trailing slashes; the root itself is implicit.
#[derive(Debug, Clone, Default)]
pub struct Rootfs {
    nodes: BTreeMap<String, Node>,
}

/// Splits an absolute or relative image path into normal components, applying `..`.
fn components(path: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            c => out.push(c.to_string()),
        }
    }
    out
}

impl Rootfs {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// The node at an exact (already resolved) key.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.nodes.get(key)
    }

    /// All nodes in tar order (sorted, parents before children).
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Node)> {
        self.nodes.iter()
    }

    /// Resolves `path` through the image's symlinks. The last component is followed too
    /// when `follow_last` is set. Returns the key of the resolved path.
    pub fn resolve(&self, path: &str, follow_last: bool) -> Result<String> {
        let mut pending: Vec<String> = components(path);
        pending.reverse();
        let mut resolved: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(c) = pending.pop() {
            if c == ".." {
                resolved.pop();
                continue;
            }
            let candidate = if resolved.is_empty() {
                c.clone()
            } else {
                format!("{}/{}", resolved.join("/"), c)
            };
            let is_last = pending.is_empty();
            match self.nodes.get(&candidate) {
                Some(Node::Symlink { target }) if !is_last || follow_last => {
                    hops += 1;
                    if hops > MAX_SYMLINK_HOPS {
                        return Err(Error::Conflict {
                            path: path.trim_start_matches('/').to_string(),
                            reason: "too many levels of symbolic links".into(),
                        });
                    }
                    if target.starts_with('/') {
                        resolved.clear();
                    }
                    // Keep `..` in the pending list so it pops from `resolved` in order.
                    let mut parts: Vec<String> = target
                        .split('/')
                        .filter(|p| !p.is_empty() && *p != ".")
                        .map(String::from)
                        .collect();
                    parts.reverse();
                    pending.extend(parts);
                }
                _ => resolved.push(c),
            }
        }
        Ok(resolved.join("/"))
    }

    /// Creates the directories leading to `key` (already resolved), with mode 0755.
    fn ensure_parents(&mut self, key: &str) -> Result<()> {
        let mut at = 0;
        while let Some(i) = key[at..].find('/') {
            let parent = &key[..at + i];
            match self.nodes.get(parent) {
                None => {
                    self.nodes
                        .insert(parent.to_string(), Node::Dir { mode: 0o755 });
                }
                Some(Node::Dir { .. }) => {}
                Some(_) => {
                    return Err(Error::Conflict {
                        path: parent.to_string(),
                        reason: format!("is not a directory but /{key} needs it as one"),
                    })
                }
            }
            at += i + 1;
        }
        Ok(())
    }

    /// Adds a directory (a symlink to a directory at `path` is followed, so trees merge as
    /// a copy into the filesystem would). An existing directory takes the new mode.
    pub fn add_dir(&mut self, path: &str, mode: u32) -> Result<()> {
        let key = self.resolve(path, true)?;
        if key.is_empty() {
            return Ok(());
        }
        self.ensure_parents(&key)?;
        match self.nodes.get(&key) {
            None | Some(Node::Dir { .. }) => {
                self.nodes.insert(key, Node::Dir { mode });
                Ok(())
            }
            Some(_) => Err(Error::Conflict {
                path: key,
                reason: "a file is already there, a directory was added".into(),
            }),
        }
    }

    /// Adds (or replaces) a regular file.
    pub fn add_file(&mut self, path: &str, mode: u32, source: Source) -> Result<()> {
        self.add_leaf(path, Node::File { mode, source })
    }

    /// Adds (or replaces) a symlink.
    pub fn add_symlink(&mut self, path: &str, target: &str) -> Result<()> {
        self.add_leaf(
            path,
            Node::Symlink {
                target: target.to_string(),
            },
        )
    }

    fn add_leaf(&mut self, path: &str, node: Node) -> Result<()> {
        let key = self.resolve(path, false)?;
        if key.is_empty() {
            return Err(Error::Conflict {
                path: String::new(),
                reason: "the root cannot be a file or symlink".into(),
            });
        }
        self.ensure_parents(&key)?;
        if let Some(Node::Dir { .. }) = self.nodes.get(&key) {
            return Err(Error::Conflict {
                path: key,
                reason: "a directory is already there, a file or symlink was added".into(),
            });
        }
        self.nodes.insert(key, node);
        Ok(())
    }

    /// Copies a host path into the image at the same path, keeping the host's layout:
    /// every symlink met on the way (`/lib -> usr/lib`, `/lib64/ld-linux-x86-64.so.2 -> …`)
    /// is added as a symlink and its target is added too.
    pub fn add_host_path(&mut self, host: &Path) -> Result<()> {
        self.add_host_path_hops(host, 0)
    }

    fn add_host_path_hops(&mut self, host: &Path, hops: usize) -> Result<()> {
        if hops > MAX_SYMLINK_HOPS {
            return Err(Error::io(
                host,
                std::io::Error::other("too many levels of symbolic links"),
            ));
        }
        if !host.is_absolute() {
            return Err(Error::Invalid(format!(
                "{}: host paths must be absolute",
                host.display()
            )));
        }
        let parts: Vec<_> = host
            .components()
            .filter_map(|c| match c {
                Component::Normal(n) => Some(n.to_os_string()),
                _ => None,
            })
            .collect();
        let mut cur = PathBuf::from("/");
        for (i, part) in parts.iter().enumerate() {
            let next = cur.join(part);
            let meta = std::fs::symlink_metadata(&next).map_err(|e| Error::io(&next, e))?;
            let image_path = next.to_string_lossy().into_owned();
            let last = i + 1 == parts.len();
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&next).map_err(|e| Error::io(&next, e))?;
                self.add_symlink(&image_path, &target.to_string_lossy())?;
                let base = if target.is_absolute() {
                    PathBuf::from("/")
                } else {
                    cur.clone()
                };
                let mut resolved = normalize(&base.join(&target));
                for rest in &parts[i + 1..] {
                    resolved.push(rest);
                }
                return self.add_host_path_hops(&normalize(&resolved), hops + 1);
            }
            let mode = meta.permissions().mode() & 0o7777;
            if meta.is_dir() {
                self.add_dir(&image_path, mode)?;
            } else if meta.is_file() && last {
                self.add_file(&image_path, mode, Source::Host(next.clone()))?;
            } else {
                return Err(Error::Invalid(format!(
                    "{}: only directories, regular files and symlinks can go into an image",
                    next.display()
                )));
            }
            cur = next;
        }
        Ok(())
    }

    /// Copies a host file or directory tree to `dest` in the image, like `COPY`: the
    /// source itself is followed if it is a symlink, symlinks inside a tree are kept as
    /// symlinks; modes are kept, owners become root.
    pub fn add_host_tree(&mut self, src: &Path, dest: &str) -> Result<()> {
        let meta = std::fs::metadata(src).map_err(|e| Error::io(src, e))?;
        if meta.is_dir() {
            self.add_dir(dest, meta.permissions().mode() & 0o7777)?;
            self.copy_dir_contents(src, dest)
        } else if meta.is_file() {
            let dest = if dest.ends_with('/') {
                let name = src
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .ok_or_else(|| {
                        Error::Invalid(format!("{}: has no file name", src.display()))
                    })?;
                format!("{dest}{name}")
            } else {
                dest.to_string()
            };
            self.add_file(
                &dest,
                meta.permissions().mode() & 0o7777,
                Source::Host(src.to_path_buf()),
            )
        } else {
            Err(Error::Invalid(format!(
                "{}: only directories, regular files and symlinks can go into an image",
                src.display()
            )))
        }
    }

    fn copy_dir_contents(&mut self, src: &Path, dest: &str) -> Result<()> {
        let mut children: Vec<_> = std::fs::read_dir(src)
            .map_err(|e| Error::io(src, e))?
            .collect::<std::io::Result<_>>()
            .map_err(|e| Error::io(src, e))?;
        children.sort_by_key(|e| e.file_name());
        for child in children {
            let path = child.path();
            let name = child.file_name().to_string_lossy().into_owned();
            let to = format!("{}/{}", dest.trim_end_matches('/'), name);
            let meta = std::fs::symlink_metadata(&path).map_err(|e| Error::io(&path, e))?;
            let mode = meta.permissions().mode() & 0o7777;
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).map_err(|e| Error::io(&path, e))?;
                self.add_symlink(&to, &target.to_string_lossy())?;
            } else if meta.is_dir() {
                self.add_dir(&to, mode)?;
                self.copy_dir_contents(&path, &to)?;
            } else if meta.is_file() {
                self.add_file(&to, mode, Source::Host(path))?;
            } else {
                tracing::warn!(path = %path.display(), "skipping a special file (device, socket or fifo)");
            }
        }
        Ok(())
    }

    /// Writes the tree as an uncompressed tar layer: entries sorted by path, parents
    /// first, uid/gid 0, fixed mtime.
    pub fn to_tar(&self) -> Result<Vec<u8>> {
        let mut w = tar::Writer::new(Vec::new());
        let io = |e| Error::io("<layer>", e);
        for (key, node) in &self.nodes {
            match node {
                Node::Dir { mode } => w.dir(key, *mode).map_err(io)?,
                Node::Symlink { target } => w.symlink(key, target).map_err(io)?,
                Node::File { mode, source } => match source {
                    Source::Bytes(b) => w.file(key, *mode, b).map_err(io)?,
                    Source::Host(p) => {
                        let data = std::fs::read(p).map_err(|e| Error::io(p, e))?;
                        w.file(key, *mode, &data).map_err(io)?
                    }
                },
            }
        }
        w.finish().map_err(io)
    }
}

/// Removes `.` and `..` lexically (host symlinks are handled by the caller, one hop at a time).
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(n) => out.push(n),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_through_image_symlinks() {
        let mut fs = Rootfs::new();
        fs.add_symlink("/lib", "usr/lib").unwrap();
        fs.add_symlink("/lib64", "/usr/lib64").unwrap();
        fs.add_file("/lib/x/libc.so.6", 0o755, Source::Bytes(b"c".to_vec()))
            .unwrap();
        fs.add_symlink("/lib64/ld.so", "../lib/x/libc.so.6")
            .unwrap();
        assert!(matches!(
            fs.get("usr/lib/x/libc.so.6"),
            Some(Node::File { .. })
        ));
        assert!(matches!(
            fs.get("usr/lib64/ld.so"),
            Some(Node::Symlink { .. })
        ));
        assert_eq!(
            fs.resolve("/lib64/ld.so", true).unwrap(),
            "usr/lib/x/libc.so.6"
        );
        assert_eq!(fs.resolve("/lib/../etc", true).unwrap(), "etc");
        let keys: Vec<_> = fs.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "lib",
                "lib64",
                "usr",
                "usr/lib",
                "usr/lib/x",
                "usr/lib/x/libc.so.6",
                "usr/lib64",
                "usr/lib64/ld.so"
            ]
        );
    }

    #[test]
    fn dir_over_symlink_merges_and_file_over_dir_conflicts() {
        let mut fs = Rootfs::new();
        fs.add_symlink("bin", "usr/bin").unwrap();
        fs.add_dir("usr/bin", 0o755).unwrap();
        fs.add_dir("/bin", 0o755).unwrap();
        fs.add_symlink("/bin/sh", "busybox").unwrap();
        assert!(matches!(fs.get("usr/bin/sh"), Some(Node::Symlink { .. })));
        assert!(fs.add_file("/usr", 0o644, Source::Bytes(vec![])).is_err());
    }

    #[test]
    fn symlink_loops_are_errors() {
        let mut fs = Rootfs::new();
        fs.add_symlink("a", "b").unwrap();
        fs.add_symlink("b", "a").unwrap();
        assert!(fs.resolve("a/x", false).is_err());
    }

    #[test]
    fn host_layout_keeps_links_and_targets() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("usr/lib")).unwrap();
        std::fs::write(root.join("usr/lib/libz.so.1.2"), b"z").unwrap();
        std::os::unix::fs::symlink("libz.so.1.2", root.join("usr/lib/libz.so.1")).unwrap();
        std::os::unix::fs::symlink("usr/lib", root.join("lib")).unwrap();
        let mut fs = Rootfs::new();
        fs.add_host_path(&root.join("lib/libz.so.1")).unwrap();
        let r = root
            .strip_prefix("/")
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert_eq!(
            fs.get(&format!("{r}/lib")),
            Some(&Node::Symlink {
                target: "usr/lib".into()
            })
        );
        assert_eq!(
            fs.get(&format!("{r}/usr/lib/libz.so.1")),
            Some(&Node::Symlink {
                target: "libz.so.1.2".into()
            })
        );
        assert!(matches!(
            fs.get(&format!("{r}/usr/lib/libz.so.1.2")),
            Some(Node::File { .. })
        ));
    }
}
