//! Container log files in the CRI format, as the kubelet reads and rotates them.
//!
//! The runtime writes each container's output to the path the agent gave in
//! `ContainerConfig.log_path`, one record a line:
//! `2016-10-06T00:17:09.669794202Z stdout F log content` (`F`: the record ends a line;
//! `P`: partial, the line continues in the next record of the same stream).
//!
//! - [`LogOptions::from_query`] parses the query of kubelet's `/containerLogs` endpoint;
//! - [`read_logs`] streams a file as `kubectl logs` expects it (content only, or with
//!   the timestamp prefix), with `tailLines`, `sinceTime`, `limitBytes` and `follow`,
//!   following the file across rotations (pkg/kubelet/kuberuntime/logs);
//! - [`rotate_if_needed`] rotates a file that grew too large and removes the oldest
//!   rotated files (pkg/kubelet/logs, the container log manager).
//!
//! Like the kubelet, the reader reads only the current file (never rotated ones), and
//! skips lines that are not CRI records. Unlike it, partial records are joined into
//! one line (one timestamp prefix per line) and `tailLines` counts lines, not records.

use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use futures_util::Stream;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::cri::{CriClient, CriError};

/// kubelet's `containerLogMaxSize` default (10 MiB).
pub const DEFAULT_MAX_SIZE: u64 = 10 * 1024 * 1024;
/// kubelet's `containerLogMaxFiles` default (the current file and 4 rotated ones).
pub const DEFAULT_MAX_FILES: usize = 5;

/// How often a followed file is checked for new data, rotation and the container's end.
const FOLLOW_POLL: Duration = Duration::from_millis(200);
/// Bytes read from the file at a time (forwards and backwards).
const CHUNK: usize = 64 * 1024;
/// A partial line longer than this is written out before its end arrives.
const MAX_PENDING: usize = 64 * 1024;
/// Scanning backwards, a line longer than this is not a CRI record (containerd splits
/// lines at 16 KiB); its bytes are dropped instead of buffered.
const MAX_SCAN_LINE: usize = 1024 * 1024;

/// Which of the container's streams to return (`stream` query parameter).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogStreamSelect {
    /// Both, interleaved as written.
    #[default]
    All,
    /// Standard output only.
    Stdout,
    /// Standard error only.
    Stderr,
}

impl LogStreamSelect {
    fn wants(self, stream: StreamType) -> bool {
        match self {
            LogStreamSelect::All => true,
            LogStreamSelect::Stdout => stream == StreamType::Stdout,
            LogStreamSelect::Stderr => stream == StreamType::Stderr,
        }
    }
}

/// What to read from a container's log (kubelet's `PodLogOptions` minus `container`
/// and `previous`, which choose the file).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogOptions {
    /// Keep reading as the file grows until the container stops.
    pub follow: bool,
    /// Only the last N lines of the current file (`None`: all).
    pub tail_lines: Option<i64>,
    /// Only lines written at or after this time (`sinceSeconds` is converted by
    /// [`LogOptions::from_query`]).
    pub since_time: Option<DateTime<Utc>>,
    /// Prefix each line with its RFC3339 timestamp (nanoseconds, 9 digits) and a space.
    pub timestamps: bool,
    /// Stop after this many bytes (the last line is cut).
    pub limit_bytes: Option<i64>,
    /// Which streams to return.
    pub stream: LogStreamSelect,
}

impl LogOptions {
    /// Parses the query string of `/containerLogs/<ns>/<pod>/<container>` (without the
    /// `?`): `follow`, `tailLines`, `sinceSeconds` (made absolute from `now`),
    /// `sinceTime` (RFC3339), `timestamps`, `limitBytes`, `stream`
    /// (`All`|`Stdout`|`Stderr`) and `previous`, returned beside the options because
    /// it chooses the file. Values are validated as the API server validates
    /// `PodLogOptions`; the error is a message for a 400 response.
    pub fn from_query(query: &str, now: DateTime<Utc>) -> Result<(LogOptions, bool), String> {
        let mut opts = LogOptions::default();
        let mut previous = false;
        let mut since_seconds: Option<i64> = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = percent_decode(key)?;
            let value = percent_decode(value)?;
            match key.as_str() {
                "follow" => opts.follow = query_bool(&value),
                "previous" => previous = query_bool(&value),
                "timestamps" => opts.timestamps = query_bool(&value),
                "tailLines" => {
                    let n = query_int(&key, &value)?;
                    if n < 0 {
                        return Err(
                            "tailLines: Invalid value: must be greater than or equal to 0".into(),
                        );
                    }
                    opts.tail_lines = Some(n);
                }
                "limitBytes" => {
                    let n = query_int(&key, &value)?;
                    if n < 1 {
                        return Err("limitBytes: Invalid value: must be greater than 0".into());
                    }
                    opts.limit_bytes = Some(n);
                }
                "sinceSeconds" => {
                    let n = query_int(&key, &value)?;
                    if n < 1 {
                        return Err("sinceSeconds: Invalid value: must be greater than 0".into());
                    }
                    since_seconds = Some(n);
                }
                "sinceTime" => {
                    let t = DateTime::parse_from_rfc3339(&value).map_err(|e| {
                        format!("sinceTime: Invalid value: {value:?}: not an RFC3339 time: {e}")
                    })?;
                    opts.since_time = Some(t.with_timezone(&Utc));
                }
                "stream" => {
                    opts.stream = match value.as_str() {
                        "All" => LogStreamSelect::All,
                        "Stdout" => LogStreamSelect::Stdout,
                        "Stderr" => LogStreamSelect::Stderr,
                        other => {
                            return Err(format!(
                                "stream: Unsupported value: {other:?}: supported values: \"All\", \"Stderr\", \"Stdout\""
                            ))
                        }
                    };
                }
                _ => {}
            }
        }
        if let Some(seconds) = since_seconds {
            if opts.since_time.is_some() {
                return Err("at most one of sinceTime or sinceSeconds may be specified".into());
            }
            opts.since_time = Some(now - chrono::Duration::seconds(seconds));
        }
        if opts.tail_lines.is_some() && opts.stream != LogStreamSelect::All {
            return Err("tailLines and specific stream are mutually exclusive for now".into());
        }
        Ok((opts, previous))
    }
}

/// Query booleans as the API machinery converts them: absent or `false`/`0` is false,
/// anything else (even an empty value) is true.
fn query_bool(value: &str) -> bool {
    !(value == "0" || value.eq_ignore_ascii_case("false"))
}

fn query_int(key: &str, value: &str) -> Result<i64, String> {
    value
        .parse::<i64>()
        .map_err(|_| format!("{key}: Invalid value: {value:?}: not an integer"))
}

/// Decodes `%XX` escapes and `+` (a space, as in forms).
fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| format!("invalid escape in query: {s:?}"))?;
                out.push(hex);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| format!("query is not UTF-8: {s:?}"))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StreamType {
    Stdout,
    Stderr,
}

/// One CRI log record. `content` keeps the newline of a full record and loses it on a
/// partial one, as the kubelet's parser does.
struct Record<'a> {
    timestamp: DateTime<FixedOffset>,
    stream: StreamType,
    partial: bool,
    content: &'a [u8],
}

fn parse_record(line: &[u8]) -> Option<Record<'_>> {
    let sp = line.iter().position(|&b| b == b' ')?;
    let timestamp = DateTime::parse_from_rfc3339(std::str::from_utf8(&line[..sp]).ok()?).ok()?;
    let rest = &line[sp + 1..];
    let sp = rest.iter().position(|&b| b == b' ')?;
    let stream = match &rest[..sp] {
        b"stdout" => StreamType::Stdout,
        b"stderr" => StreamType::Stderr,
        _ => return None,
    };
    let rest = &rest[sp + 1..];
    let sp = rest.iter().position(|&b| b == b' ')?;
    // Tags are `:`-separated; the first says full or partial (forward compatible).
    let partial = rest[..sp].split(|&b| b == b':').next() == Some(b"P");
    let mut content = &rest[sp + 1..];
    if partial {
        content = content.strip_suffix(b"\n").unwrap_or(content);
    }
    Some(Record {
        timestamp,
        stream,
        partial,
        content,
    })
}

/// A line of one stream being assembled from partial records.
struct OpenLine {
    include: bool,
    buf: Vec<u8>,
}

/// Turns records into output: joins partial records, filters by stream and time,
/// prefixes timestamps, counts lines and bytes.
struct Formatter {
    opts: LogOptions,
    since: Option<DateTime<Utc>>,
    /// Bytes still allowed (`limitBytes`).
    remain: Option<u64>,
    /// Lines still to write when reading a tail without following.
    lines_left: Option<u64>,
    open: [Option<OpenLine>; 2],
    done: bool,
}

impl Formatter {
    fn new(opts: LogOptions) -> Self {
        Formatter {
            since: opts.since_time,
            remain: opts.limit_bytes.map(|n| n.max(0) as u64),
            lines_left: match (opts.tail_lines, opts.follow) {
                (Some(n), false) => Some(n.max(0) as u64),
                _ => None,
            },
            opts,
            open: [None, None],
            done: false,
        }
    }

    /// Feeds one line of the file (with its newline, if it has one).
    fn feed(&mut self, line: &[u8], out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        let Some(record) = parse_record(line) else {
            tracing::debug!(line = %String::from_utf8_lossy(line), "skipping a log line not in CRI format");
            return;
        };
        if !self.opts.stream.wants(record.stream) {
            return;
        }
        let slot = record.stream as usize;
        let open = self.open[slot].get_or_insert_with(|| {
            let include = self.since.is_none_or(|since| record.timestamp >= since);
            let mut buf = Vec::new();
            if include && self.opts.timestamps {
                buf.extend_from_slice(
                    record
                        .timestamp
                        .to_rfc3339_opts(SecondsFormat::Nanos, true)
                        .as_bytes(),
                );
                buf.push(b' ');
            }
            OpenLine { include, buf }
        });
        if open.include {
            open.buf.extend_from_slice(record.content);
        }
        if record.partial {
            if open.buf.len() > MAX_PENDING {
                let buf = std::mem::take(&mut open.buf);
                self.write(&buf, out);
            }
            return;
        }
        let line = self.open[slot].take().expect("opened above");
        self.write(&line.buf, out);
        if let Some(left) = &mut self.lines_left {
            *left = left.saturating_sub(1);
            if *left == 0 {
                self.done = true;
            }
        }
    }

    /// Writes out lines still waiting for their end (the file ended).
    fn finish(&mut self, out: &mut Vec<u8>) {
        for slot in 0..2 {
            if let Some(line) = self.open[slot].take() {
                self.write(&line.buf, out);
            }
        }
        self.done = true;
    }

    fn write(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        match &mut self.remain {
            None => out.extend_from_slice(bytes),
            Some(remain) => {
                let n = bytes.len().min(*remain as usize);
                out.extend_from_slice(&bytes[..n]);
                *remain -= n as u64;
                if *remain == 0 {
                    self.done = true;
                }
            }
        }
    }
}

/// Where to start reading so that the last `n` lines (of the selected streams) are
/// read: scans the file backwards in chunks. A line ends at a full record, or at the
/// last partial record of its stream in the file (a line still being written).
/// (When partial records of one stream straddle the start, the line is cut: containerd
/// interleaves streams only across its 16 KiB split, so this is rare.)
fn tail_start(file: &mut std::fs::File, n: u64, select: LogStreamSelect) -> io::Result<u64> {
    let size = file.seek(SeekFrom::End(0))?;
    let mut count = 0u64;
    let mut seen = [false; 2];
    // `buf` holds the bytes [right, seg_end) not yet split into lines.
    let mut buf: Vec<u8> = Vec::new();
    let mut right = size;
    let mut seg_end = size;
    // The current line was longer than MAX_SCAN_LINE and its head was dropped.
    let mut long = false;
    let mut is_line_end = |line: &[u8], long: bool| -> bool {
        if long {
            return false;
        }
        let Some(record) = parse_record(line) else {
            return false;
        };
        if !select.wants(record.stream) {
            return false;
        }
        let seen = &mut seen[record.stream as usize];
        let end = !record.partial || !*seen;
        *seen = true;
        end
    };
    loop {
        let search = if buf.last() == Some(&b'\n') {
            &buf[..buf.len() - 1]
        } else {
            &buf[..]
        };
        if let Some(i) = search.iter().rposition(|&b| b == b'\n') {
            if is_line_end(&buf[i + 1..], long) {
                count += 1;
                if count > n {
                    return Ok(seg_end);
                }
            }
            long = false;
            buf.truncate(i + 1);
            seg_end = right + i as u64 + 1;
            continue;
        }
        if right == 0 {
            if is_line_end(&buf, long) {
                count += 1;
                if count > n {
                    return Ok(seg_end);
                }
            }
            return Ok(0);
        }
        if buf.len() > MAX_SCAN_LINE {
            // Keep the last byte: it tells whether the line ends with a newline.
            let last = buf.last().copied();
            buf.clear();
            buf.extend(last.filter(|&b| b == b'\n'));
            long = true;
        }
        let left = right.saturating_sub(CHUNK as u64);
        let mut chunk = vec![0u8; (right - left) as usize];
        file.seek(SeekFrom::Start(left))?;
        file.read_exact(&mut chunk)?;
        chunk.extend_from_slice(&buf);
        buf = chunk;
        right = left;
    }
}

/// The state of one [`read_logs`] stream.
struct Reader<F> {
    path: PathBuf,
    follow: bool,
    still_running: F,
    formatter: Formatter,
    tail: Option<u64>,
    file: Option<tokio::fs::File>,
    /// Inode and position of the open file (to notice rotation and truncation).
    ino: u64,
    pos: u64,
    /// The bytes after the last newline read.
    carry: Vec<u8>,
    /// The container stopped: read to the end once more, then stop.
    finishing: bool,
    done: bool,
}

impl<F: Fn() -> bool + Send + 'static> Reader<F> {
    async fn open(&mut self) -> io::Result<()> {
        let path = self.path.clone();
        let tail = self.tail;
        let select = self.formatter.opts.stream;
        let (file, ino, pos) = tokio::task::spawn_blocking(move || -> io::Result<_> {
            let mut file = std::fs::File::open(&path).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("failed to open log file {:?}: {e}", path.display()),
                )
            })?;
            let start = match tail {
                Some(n) => tail_start(&mut file, n, select)?,
                None => 0,
            };
            file.seek(SeekFrom::Start(start))?;
            let ino = file.metadata()?.ino();
            Ok((file, ino, start))
        })
        .await
        .map_err(io::Error::other)??;
        self.file = Some(tokio::fs::File::from_std(file));
        self.ino = ino;
        self.pos = pos;
        Ok(())
    }

    /// Splits what was read into lines and formats them.
    fn consume(&mut self, data: &[u8], out: &mut Vec<u8>) {
        let mut rest = data;
        while let Some(i) = rest.iter().position(|&b| b == b'\n') {
            if self.carry.is_empty() {
                self.formatter.feed(&rest[..=i], out);
            } else {
                self.carry.extend_from_slice(&rest[..=i]);
                let line = std::mem::take(&mut self.carry);
                self.formatter.feed(&line, out);
            }
            rest = &rest[i + 1..];
        }
        self.carry.extend_from_slice(rest);
    }

    /// The file ended: an unterminated last line is written as it is.
    fn flush_carry(&mut self, out: &mut Vec<u8>) {
        if !self.carry.is_empty() {
            let line = std::mem::take(&mut self.carry);
            self.formatter.feed(&line, out);
        }
    }

    async fn next_chunk(&mut self) -> Option<io::Result<Bytes>> {
        let mut buf = vec![0u8; CHUNK];
        let mut out = Vec::new();
        while !self.done {
            match self.step(&mut buf, &mut out).await {
                Ok(()) => {}
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
            if self.formatter.done {
                self.done = true;
            }
            if !out.is_empty() {
                return Some(Ok(Bytes::from(out)));
            }
        }
        None
    }

    /// One read (or, at the end of a followed file, one check or wait).
    async fn step(&mut self, buf: &mut [u8], out: &mut Vec<u8>) -> io::Result<()> {
        if self.file.is_none() {
            self.open().await?;
        }
        let n = self.read(buf, out).await?;
        if n > 0 {
            return Ok(());
        }
        if !self.follow || self.finishing {
            self.flush_carry(out);
            self.formatter.finish(out);
            return Ok(());
        }
        if self.check_file(buf, out).await? {
            return Ok(());
        }
        if !(self.still_running)() {
            // Whatever the container wrote before it stopped is in the file now: read
            // to its end once more.
            self.finishing = true;
            return Ok(());
        }
        tokio::time::sleep(FOLLOW_POLL).await;
        Ok(())
    }

    async fn read(&mut self, buf: &mut [u8], out: &mut Vec<u8>) -> io::Result<usize> {
        let file = self.file.as_mut().expect("opened");
        let n = file.read(buf).await?;
        self.pos += n as u64;
        self.consume(&buf[..n], out);
        Ok(n)
    }

    /// At the end of a followed file: switches to a new file at the path (rotation) or
    /// starts over on a truncated one. Returns whether there may be more to read.
    async fn check_file(&mut self, buf: &mut [u8], out: &mut Vec<u8>) -> io::Result<bool> {
        let meta = match tokio::fs::metadata(&self.path).await {
            Ok(meta) => meta,
            // Between the rename and the runtime reopening the file.
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e),
        };
        if meta.ino() != self.ino {
            let file = match tokio::fs::File::open(&self.path).await {
                Ok(file) => file,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
                Err(e) => return Err(e),
            };
            // The runtime wrote to the old file until it created the new one: read
            // the old one to its end first.
            while self.read(buf, out).await? > 0 {}
            self.flush_carry(out);
            self.ino = file.metadata().await?.ino();
            self.file = Some(file);
            self.pos = 0;
            return Ok(true);
        }
        if meta.len() < self.pos {
            // Truncated in place (copytruncate): read it again from the start.
            if let Some(file) = self.file.as_mut() {
                file.seek(SeekFrom::Start(0)).await?;
            }
            self.pos = 0;
            self.carry.clear();
            return Ok(true);
        }
        Ok(false)
    }
}

/// Streams the container log at `path` as `kubectl logs` shows it, per `opts`.
///
/// The file is opened when the stream is first polled; an error opening it (e.g. not
/// found) is the stream's first and only item, so a server can answer with an error
/// status before it sends anything. With `follow`, the stream keeps reading as the
/// file grows, continues with the new file when the file is rotated (renamed and a new
/// one created at `path`), and ends once `still_running()` returns false and the file
/// is read to its end. `still_running` is called at each poll of a followed file at its
/// end (every 200 ms), so it should be cheap (an atomic or a `watch` receiver, not a
/// CRI call). Dropping the stream stops everything (no task is left behind).
pub fn read_logs(
    path: PathBuf,
    opts: LogOptions,
    still_running: impl Fn() -> bool + Send + 'static,
) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    let reader = Reader {
        path,
        follow: opts.follow,
        still_running,
        tail: opts.tail_lines.map(|n| n.max(0) as u64),
        formatter: Formatter::new(opts),
        file: None,
        ino: 0,
        pos: 0,
        carry: Vec::new(),
        finishing: false,
        done: false,
    };
    futures_util::stream::unfold(reader, |mut reader| async move {
        let item = reader.next_chunk().await?;
        Some((item, reader))
    })
}

/// An error rotating a container's log.
#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    /// A file operation failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done, e.g. `failed to rename`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The runtime could not reopen the log (the rotated file was renamed back).
    #[error("failed to reopen the log of container {container_id}: {source}")]
    Reopen {
        /// The container.
        container_id: String,
        /// The runtime's error.
        source: CriError,
    },
}

/// Rotates a running container's log as kubelet's container log manager does: when the
/// file at `path` is at least `max_size` bytes, removes leftover temporary files and
/// the oldest rotated files so that at most `max_files - 2` remain, renames the file to
/// `<path>.<YYYYMMDD-HHMMSS>` (UTC) and asks the runtime to reopen it (on failure the
/// file is renamed back). A missing file is reopened. Returns whether it rotated.
/// Rotated files are not compressed.
pub async fn rotate_if_needed(
    cri: &CriClient,
    container_id: &str,
    path: &Path,
    max_size: u64,
    max_files: usize,
) -> Result<bool, RotateError> {
    rotate_with(path, max_size, max_files, Utc::now(), || async {
        cri.reopen_container_log(container_id)
            .await
            .map_err(|source| RotateError::Reopen {
                container_id: container_id.to_string(),
                source,
            })
    })
    .await
}

async fn rotate_with<Fut>(
    path: &Path,
    max_size: u64,
    max_files: usize,
    now: DateTime<Utc>,
    reopen: impl Fn() -> Fut,
) -> Result<bool, RotateError>
where
    Fut: std::future::Future<Output = Result<(), RotateError>>,
{
    let io_err = |action, path: &Path| {
        let path = path.to_path_buf();
        move |source| RotateError::Io {
            action,
            path,
            source,
        }
    };
    let size = match tokio::fs::metadata(path).await {
        Ok(meta) => meta.len(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            reopen().await?;
            tokio::fs::metadata(path)
                .await
                .map_err(io_err("failed to stat after reopening", path))?
                .len()
        }
        Err(e) => return Err(io_err("failed to stat", path)(e)),
    };
    if size < max_size {
        return Ok(false);
    }
    let mut rotated = rotated_files(path)
        .await
        .map_err(io_err("failed to list rotated files of", path))?;
    // Leftovers of an interrupted compression (kubelet's `.tmp` files).
    rotated.retain(|f| {
        if f.extension().is_some_and(|e| e == "tmp") {
            let _ = std::fs::remove_file(f);
            false
        } else {
            true
        }
    });
    rotated.sort();
    let keep = max_files.saturating_sub(2);
    let excess = rotated.len().saturating_sub(keep);
    for old in &rotated[..excess] {
        match tokio::fs::remove_file(old).await {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err("failed to remove old log", old)(e)),
        }
    }
    let mut target = path.as_os_str().to_owned();
    target.push(format!(".{}", now.format("%Y%m%d-%H%M%S")));
    let target = PathBuf::from(target);
    if tokio::fs::try_exists(&target).await.unwrap_or(true) {
        // Rotated twice within a second: wait for the next round.
        return Ok(false);
    }
    tokio::fs::rename(path, &target)
        .await
        .map_err(io_err("failed to rotate", path))?;
    if let Err(e) = reopen().await {
        if let Err(back) = tokio::fs::rename(&target, path).await {
            tracing::error!(rotated = %target.display(), path = %path.display(), error = %back,
                "failed to rename a rotated log back; its lines are in the rotated file");
        }
        return Err(e);
    }
    Ok(true)
}

/// The files named `<path>.*` beside `path`.
async fn rotated_files(path: &Path) -> io::Result<Vec<PathBuf>> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let Some(name) = path.file_name() else {
        return Ok(Vec::new());
    };
    let mut prefix = name.to_owned();
    prefix.push(".");
    let prefix = prefix.as_encoded_bytes().to_vec();
    let mut found = Vec::new();
    let mut entries = tokio::fs::read_dir(dir).await?;
    while let Some(entry) = entries.next_entry().await? {
        let entry_name = entry.file_name();
        let bytes = entry_name.as_encoded_bytes();
        if bytes.len() > prefix.len() && bytes.starts_with(&prefix) {
            found.push(entry.path());
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;
    use std::io::Write;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2024-05-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    async fn collect(path: &Path, opts: LogOptions) -> String {
        let stream = read_logs(path.to_path_buf(), opts, || false);
        let chunks: Vec<_> = stream.collect().await;
        let mut out = Vec::new();
        for c in chunks {
            out.extend_from_slice(&c.unwrap());
        }
        String::from_utf8(out).unwrap()
    }

    fn write_file(dir: &Path, content: &str) -> PathBuf {
        let path = dir.join("0.log");
        std::fs::write(&path, content).unwrap();
        path
    }

    const SAMPLE: &str = "\
2016-10-06T00:17:09.669794202Z stdout F first\n\
2016-10-06T00:17:10.000000000Z stderr F second\n\
not a cri line\n\
2016-10-06T00:17:11.1Z stdout P thi\n\
2016-10-06T00:17:11.2Z stdout P rd li\n\
2016-10-06T00:17:11.3Z stdout F ne\n\
2016-10-06T00:17:12+02:00 stdout F fourth\n";

    #[test]
    fn query() {
        let (o, prev) = LogOptions::from_query(
            "follow=true&tailLines=10&timestamps=1&limitBytes=100&previous=true",
            now(),
        )
        .unwrap();
        assert!(o.follow && o.timestamps && prev);
        assert_eq!(o.tail_lines, Some(10));
        assert_eq!(o.limit_bytes, Some(100));
        let (o, prev) = LogOptions::from_query("sinceSeconds=60&follow=false", now()).unwrap();
        assert!(!o.follow && !prev);
        assert_eq!(o.since_time.unwrap(), now() - chrono::Duration::seconds(60));
        let (o, _) =
            LogOptions::from_query("sinceTime=2024-05-01T11%3A00%3A00Z&stream=Stderr", now())
                .unwrap();
        assert_eq!(o.since_time.unwrap(), now() - chrono::Duration::hours(1));
        assert_eq!(o.stream, LogStreamSelect::Stderr);
        assert_eq!(
            LogOptions::from_query("", now()).unwrap().0,
            LogOptions::default()
        );
        assert!(LogOptions::from_query("follow", now()).unwrap().0.follow);
        for bad in [
            "tailLines=-1",
            "tailLines=x",
            "limitBytes=0",
            "sinceSeconds=0",
            "sinceTime=yesterday",
            "sinceSeconds=5&sinceTime=2024-05-01T11:00:00Z",
            "stream=both",
            "stream=Stdout&tailLines=1",
            "x=%zz",
        ] {
            assert!(LogOptions::from_query(bad, now()).is_err(), "{bad}");
        }
    }

    #[test]
    fn records() {
        let r = parse_record(b"2016-10-06T00:17:09.669794202Z stdout F log content\n").unwrap();
        assert_eq!(r.stream, StreamType::Stdout);
        assert!(!r.partial);
        assert_eq!(r.content, b"log content\n");
        let r = parse_record(b"2016-10-06T00:17:09Z stderr P:x part\n").unwrap();
        assert!(r.partial);
        assert_eq!(r.content, b"part");
        assert!(parse_record(b"2016-10-06T00:17:09Z stdin F x\n").is_none());
        assert!(parse_record(b"garbage\n").is_none());
        assert!(parse_record(b"2016-10-06 stdout F x\n").is_none());
    }

    #[tokio::test]
    async fn read_all_and_timestamps() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_file(dir.path(), SAMPLE);
        assert_eq!(
            collect(&path, LogOptions::default()).await,
            "first\nsecond\nthird line\nfourth\n"
        );
        let opts = LogOptions {
            timestamps: true,
            ..Default::default()
        };
        assert_eq!(
            collect(&path, opts).await,
            "2016-10-06T00:17:09.669794202Z first\n\
             2016-10-06T00:17:10.000000000Z second\n\
             2016-10-06T00:17:11.100000000Z third line\n\
             2016-10-06T00:17:12.000000000+02:00 fourth\n"
        );
        let opts = LogOptions {
            stream: LogStreamSelect::Stdout,
            ..Default::default()
        };
        assert_eq!(collect(&path, opts).await, "first\nthird line\nfourth\n");
    }

    #[tokio::test]
    async fn tail_since_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_file(dir.path(), SAMPLE);
        let tail = |n| LogOptions {
            tail_lines: Some(n),
            ..Default::default()
        };
        assert_eq!(collect(&path, tail(0)).await, "");
        assert_eq!(collect(&path, tail(1)).await, "fourth\n");
        assert_eq!(collect(&path, tail(2)).await, "third line\nfourth\n");
        assert_eq!(
            collect(&path, tail(3)).await,
            "second\nthird line\nfourth\n"
        );
        assert_eq!(
            collect(&path, tail(100)).await,
            "first\nsecond\nthird line\nfourth\n"
        );
        let since = LogOptions {
            since_time: Some(
                DateTime::parse_from_rfc3339("2016-10-06T00:17:10Z")
                    .unwrap()
                    .with_timezone(&Utc),
            ),
            ..Default::default()
        };
        // 00:17:12+02:00 is before 00:17:10Z.
        assert_eq!(collect(&path, since).await, "second\nthird line\n");
        let limit = LogOptions {
            limit_bytes: Some(9),
            ..Default::default()
        };
        assert_eq!(collect(&path, limit).await, "first\nsec");
    }

    #[tokio::test]
    async fn tail_of_a_large_file_reads_backwards() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.log");
        let mut f = std::fs::File::create(&path).unwrap();
        let mut expected = String::new();
        for i in 0..20_000 {
            let line = format!("2024-05-01T00:00:00.{i:09}Z stdout F line {i}\n");
            f.write_all(line.as_bytes()).unwrap();
            if i >= 20_000 - 1500 {
                expected.push_str(&format!("line {i}\n"));
            }
        }
        // An unterminated last record (the container is writing it) counts as a line.
        f.write_all(b"2024-05-01T00:00:01Z stdout F unterminated")
            .unwrap();
        drop(f);
        let opts = LogOptions {
            tail_lines: Some(1501),
            ..Default::default()
        };
        expected.push_str("unterminated");
        assert_eq!(collect(&path, opts).await, expected);
        let mut file = std::fs::File::open(&path).unwrap();
        let size = file.metadata().unwrap().len();
        let start = tail_start(&mut file, 1, LogStreamSelect::All).unwrap();
        assert_eq!(
            size - start,
            "2024-05-01T00:00:01Z stdout F unterminated".len() as u64
        );
    }

    #[test]
    fn tail_joins_partials_and_skips_long_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let mut content = String::from("2024-05-01T00:00:00Z stdout F a\n");
        content.push_str(&"x".repeat(3 * MAX_SCAN_LINE));
        content.push('\n');
        content.push_str("2024-05-01T00:00:01Z stderr F c\n");
        content.push_str("2024-05-01T00:00:02Z stdout P b1\n");
        content.push_str("2024-05-01T00:00:03Z stdout F b2\n");
        let path = write_file(dir.path(), &content);
        let mut file = std::fs::File::open(&path).unwrap();
        let start =
            |file: &mut std::fs::File, n| tail_start(file, n, LogStreamSelect::All).unwrap();
        // b1 + b2 is one line; the garbage line is no line.
        assert_eq!(
            start(&mut file, 1),
            content.find("2024-05-01T00:00:02Z").unwrap() as u64
        );
        assert_eq!(start(&mut file, 2), content.find('x').unwrap() as u64);
        assert_eq!(start(&mut file, 3), 0);
        assert_eq!(
            tail_start(&mut file, 0, LogStreamSelect::All).unwrap(),
            content.len() as u64
        );
    }

    #[tokio::test]
    async fn follow_growth_rotation_and_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_file(dir.path(), "2024-05-01T00:00:00Z stdout F one\n");
        let running = Arc::new(AtomicBool::new(true));
        let r = running.clone();
        let opts = LogOptions {
            follow: true,
            tail_lines: Some(5),
            ..Default::default()
        };
        let mut stream = Box::pin(read_logs(path.clone(), opts, move || {
            r.load(Ordering::SeqCst)
        }));
        let mut got = String::new();
        let mut next = async || {
            let chunk = tokio::time::timeout(Duration::from_secs(5), stream.next())
                .await
                .expect("a chunk in time");
            chunk.map(|c| String::from_utf8(c.unwrap().to_vec()).unwrap())
        };
        got.push_str(&next().await.unwrap());
        assert_eq!(got, "one\n");

        // Growth, with a record written in two pieces.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"2024-05-01T00:00:01Z stdout F tw").unwrap();
        f.flush().unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        f.write_all(b"o\n").unwrap();
        assert_eq!(next().await.unwrap(), "two\n");

        // Rotation: the old file gets a last line, then a new file appears.
        f.write_all(b"2024-05-01T00:00:02Z stdout F three\n")
            .unwrap();
        std::fs::rename(&path, dir.path().join("0.log.20240501-000002")).unwrap();
        f.write_all(b"2024-05-01T00:00:03Z stdout F four\n")
            .unwrap();
        drop(f);
        let mut got = String::new();
        while got != "three\nfour\n" {
            got.push_str(&next().await.unwrap());
        }
        std::fs::write(&path, "2024-05-01T00:00:04Z stderr F five\n").unwrap();
        assert_eq!(next().await.unwrap(), "five\n");

        // The container stops after a last line: it is read, then the stream ends.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"2024-05-01T00:00:05Z stdout F six\n").unwrap();
        running.store(false, Ordering::SeqCst);
        let mut got = String::new();
        while let Some(chunk) = next().await {
            got.push_str(&chunk);
        }
        assert_eq!(got, "six\n");
    }

    #[tokio::test]
    async fn missing_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut stream = Box::pin(read_logs(
            dir.path().join("nope.log"),
            LogOptions::default(),
            || false,
        ));
        let err = stream.next().await.unwrap().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(stream.next().await.is_none());
    }

    #[tokio::test]
    async fn rotation() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_file(dir.path(), &"2024-05-01T00:00:00Z stdout F x\n".repeat(10));
        for old in [
            "0.log.20240101-000000",
            "0.log.20240102-000000",
            "0.log.20240103-000000",
            "0.log.x.tmp",
        ] {
            std::fs::write(dir.path().join(old), "old").unwrap();
        }
        let reopened = std::sync::Mutex::new(0);
        let reopen = || {
            *reopened.lock().unwrap() += 1;
            let path = path.clone();
            async move {
                std::fs::write(&path, "").unwrap();
                Ok(())
            }
        };
        // Small enough: nothing happens.
        assert!(!rotate_with(&path, 1000, 3, now(), reopen).await.unwrap());
        assert_eq!(*reopened.lock().unwrap(), 0);
        assert!(rotate_with(&path, 100, 3, now(), reopen).await.unwrap());
        assert_eq!(*reopened.lock().unwrap(), 1);
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        // max_files 3: the current file, the one just rotated and one older.
        assert_eq!(
            names,
            ["0.log", "0.log.20240103-000000", "0.log.20240501-120000"]
        );
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);

        // A failed reopen renames the file back.
        std::fs::write(&path, "x".repeat(200)).unwrap();
        let later = now() + chrono::Duration::seconds(1);
        let failing = || async {
            Err(RotateError::Io {
                action: "test",
                path: PathBuf::new(),
                source: io::Error::other("no runtime"),
            })
        };
        assert!(rotate_with(&path, 100, 3, later, failing).await.is_err());
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 200);
        assert!(!dir.path().join("0.log.20240501-120001").exists());

        // A missing file is reopened.
        std::fs::remove_file(&path).unwrap();
        assert!(!rotate_with(&path, 100, 3, later, reopen).await.unwrap());
        assert!(path.exists());
    }
}
