//! The crate's error type: each variant says what failed and, where it helps, what to do.

use std::path::PathBuf;

/// Everything that can go wrong while building, reading or pushing an image.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a local file failed.
    #[error("{path}: {error}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// What the operating system said (shown in the message, so not chained as a source).
        error: std::io::Error,
    },
    /// A binary could not be read as a 64-bit x86-64 ELF file.
    #[error("{path}: not a usable ELF binary: {reason}")]
    Elf {
        /// The binary.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A shared library named in DT_NEEDED was found nowhere ld.so would look.
    #[error("{library} (needed by {needed_by}) not found in its RPATH/RUNPATH, /etc/ld.so.cache or the standard library directories; install the package that provides it")]
    LibraryNotFound {
        /// The DT_NEEDED name.
        library: String,
        /// The object that needs it.
        needed_by: PathBuf,
    },
    /// Two inputs want different kinds of file at one image path.
    #[error("image path /{path}: {reason}")]
    Conflict {
        /// Path inside the image.
        path: String,
        /// Why the two do not fit.
        reason: String,
    },
    /// A command-line style value was malformed (entrypoint JSON, port, env, reference).
    #[error("{0}")]
    Invalid(String),
    /// An OCI archive lacks something or contradicts itself.
    #[error("{path}: not a valid OCI image layout archive: {reason}")]
    Archive {
        /// The archive.
        path: PathBuf,
        /// What is missing or wrong.
        reason: String,
    },
    /// Talking to the registry failed at the transport level.
    #[error("registry {registry}: {reason}")]
    Transport {
        /// host:port of the registry.
        registry: String,
        /// What failed.
        reason: String,
    },
    /// The registry answered with an unexpected status.
    #[error("registry answered {status} to {method} {url}: {body}")]
    Registry {
        /// HTTP method.
        method: String,
        /// URL requested.
        url: String,
        /// Status code received.
        status: u16,
        /// Start of the response body (the registry's error JSON, usually).
        body: String,
    },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            error,
        }
    }
}
