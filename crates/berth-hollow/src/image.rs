//! Image references as containerd reports them, and the `--fail-image-pull` matcher.

use std::hash::{DefaultHasher, Hash, Hasher};

/// An image reference split into its normalized repository and its tag or digest.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Reference {
    /// `docker.io/library/nginx`, `registry:5000/x/worker`.
    repository: String,
    /// `:v0.3` or `@sha256:…`; empty when the reference names neither.
    suffix: String,
}

impl Reference {
    fn parse(image: &str) -> Reference {
        let (name, digest) = match image.split_once('@') {
            Some((n, d)) => (n, format!("@{d}")),
            None => (image, String::new()),
        };
        let last_slash = name.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name[last_slash..].rfind(':') {
            Some(i) => (&name[..last_slash + i], name[last_slash + i..].to_string()),
            None => (name, String::new()),
        };
        // The first component is a registry when it looks like a host (docker's rule).
        let repository = match name.split_once('/') {
            Some((host, _)) if host.contains('.') || host.contains(':') || host == "localhost" => {
                name.to_string()
            }
            Some(_) => format!("docker.io/{name}"),
            None => format!("docker.io/library/{name}"),
        };
        Reference {
            repository,
            suffix: tag + &digest,
        }
    }

    /// The full reference, with `:latest` when neither tag nor digest is given.
    fn full(&self) -> String {
        if self.suffix.is_empty() {
            format!("{}:latest", self.repository)
        } else {
            format!("{}{}", self.repository, self.suffix)
        }
    }
}

/// The image reference containerd reports in `containerStatuses[].image`
/// (`nginx` → `docker.io/library/nginx:latest`).
pub fn normalize(image: &str) -> String {
    Reference::parse(image).full()
}

/// A stable fake `imageID` (`docker.io/library/nginx@sha256:…`) for an image.
pub fn image_id(image: &str) -> String {
    let r = Reference::parse(image);
    format!("{}@sha256:{}", r.repository, hex_digest(&[image]))
}

/// 64 hex digits derived from `parts`: stable across restarts, distinct per input.
pub fn hex_digest(parts: &[&str]) -> String {
    (0u64..4)
        .map(|round| {
            let mut h = DefaultHasher::new();
            round.hash(&mut h);
            parts.hash(&mut h);
            format!("{:016x}", h.finish())
        })
        .collect()
}

/// The images whose pulls fail (`--fail-image-pull`).
#[derive(Clone, Debug, Default)]
pub struct FailingImages {
    patterns: Vec<(String, Reference)>,
}

impl FailingImages {
    /// Patterns as given on the command line.
    pub fn new(values: &[String]) -> FailingImages {
        FailingImages {
            patterns: values
                .iter()
                .map(|v| (v.clone(), Reference::parse(v)))
                .collect(),
        }
    }

    /// Whether pulling `image` fails: the exact string, the same normalized reference,
    /// or (for a pattern without tag or digest) the same repository.
    pub fn matches(&self, image: &str) -> bool {
        if self.patterns.is_empty() {
            return false;
        }
        let r = Reference::parse(image);
        self.patterns.iter().any(|(raw, p)| {
            raw == image
                || (p.suffix.is_empty() && p.repository == r.repository)
                || (!p.suffix.is_empty() && p.full() == r.full())
        })
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_like_containerd() {
        assert_eq!(normalize("nginx"), "docker.io/library/nginx:latest");
        assert_eq!(normalize("x/worker:v0.3"), "docker.io/x/worker:v0.3");
        assert_eq!(normalize("localhost:5000/rng:v1"), "localhost:5000/rng:v1");
        assert_eq!(normalize("registry.local/a/b"), "registry.local/a/b:latest");
        assert_eq!(
            normalize("alpine@sha256:abc"),
            "docker.io/library/alpine@sha256:abc"
        );
        assert!(image_id("nginx").starts_with("docker.io/library/nginx@sha256:"));
        assert_eq!(
            image_id("nginx").len(),
            "docker.io/library/nginx@sha256:".len() + 64
        );
    }

    #[test]
    fn fail_patterns() {
        let f = FailingImages::new(&["x/worker:v0.3".into(), "bad".into()]);
        assert!(f.matches("x/worker:v0.3"));
        assert!(f.matches("docker.io/x/worker:v0.3"));
        assert!(!f.matches("x/worker:v0.2"));
        assert!(f.matches("bad"));
        assert!(f.matches("bad:1.0"));
        assert!(f.matches("docker.io/library/bad:2"));
        assert!(!f.matches("badger"));
        assert!(!f.matches("other/bad:1"));
        let latest = FailingImages::new(&["redis:latest".into()]);
        assert!(latest.matches("redis"));
        assert!(!FailingImages::default().matches("nginx"));
    }
}
