//! Image references as Docker and containerd normalise them: `redis` is
//! `docker.io/library/redis:latest`, `dockercoins/rng:v0.1` is `docker.io/dockercoins/rng:v0.1`,
//! `127.0.0.1:5000/redis:7` names a registry explicitly.

use std::fmt;

use crate::{Error, Result};

/// The registry `docker.io` names.
pub const DOCKER_HUB: &str = "docker.io";

/// A parsed `[REGISTRY/]NAME[:TAG]` reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Registry host (and port), e.g. `docker.io` or `127.0.0.1:5000`.
    pub registry: String,
    /// Repository path, e.g. `library/redis`.
    pub repository: String,
    /// Tag, `latest` when not given.
    pub tag: String,
    /// Whether the registry was written out (a push needs it).
    pub explicit_registry: bool,
}

impl Reference {
    /// Parses and normalises a reference. Digests (`@sha256:…`) are not accepted: images are
    /// named by tag here.
    pub fn parse(s: &str) -> Result<Self> {
        let bad = |why: &str| Error::Invalid(format!("invalid image reference {s:?}: {why}"));
        if s.contains('@') {
            return Err(bad("digest references are not supported; use NAME:TAG"));
        }
        let (first, rest) = match s.split_once('/') {
            Some((f, r)) if f.contains('.') || f.contains(':') || f == "localhost" => (Some(f), r),
            _ => (None, s),
        };
        // A ':' after the last '/' separates the tag.
        let (name, tag) = match rest.rfind(':') {
            Some(i) if !rest[i..].contains('/') => (&rest[..i], &rest[i + 1..]),
            _ => (rest, "latest"),
        };
        if name.is_empty() {
            return Err(bad("empty name"));
        }
        let name_ok = name.split('/').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
        });
        if !name_ok {
            return Err(bad(
                "names are lowercase letters, digits, '.', '_', '-' and '/'",
            ));
        }
        let tag_ok = !tag.is_empty()
            && tag.len() <= 128
            && tag
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if !tag_ok {
            return Err(bad("tags are up to 128 letters, digits, '.', '_' or '-'"));
        }
        let registry = first.unwrap_or(DOCKER_HUB).to_string();
        let repository = if registry == DOCKER_HUB && !name.contains('/') {
            format!("library/{name}")
        } else {
            name.to_string()
        };
        Ok(Reference {
            registry,
            repository,
            tag: tag.to_string(),
            explicit_registry: first.is_some(),
        })
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}:{}", self.registry, self.repository, self.tag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_like_docker() {
        let r = Reference::parse("redis").unwrap();
        assert_eq!(r.to_string(), "docker.io/library/redis:latest");
        assert!(!r.explicit_registry);
        assert_eq!(
            Reference::parse("dockercoins/rng:v0.1")
                .unwrap()
                .to_string(),
            "docker.io/dockercoins/rng:v0.1"
        );
        let r = Reference::parse("127.0.0.1:5000/library/redis:7.0").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_str()),
            ("127.0.0.1:5000", "library/redis", "7.0")
        );
        assert!(r.explicit_registry);
        assert_eq!(
            Reference::parse("localhost/x").unwrap().registry,
            "localhost"
        );
    }

    #[test]
    fn rejects_bad_references() {
        for bad in [
            "",
            "Redis",
            "redis:",
            "a//b",
            "redis@sha256:00",
            "x:bad tag",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
