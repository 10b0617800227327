//! Deterministic tar: ustar headers with uid/gid 0, empty user/group names and a fixed
//! mtime, PAX records only for names that do not fit; plus a small reader for the
//! archives this crate (and other OCI tools) write.

use std::io::{self, Write};

/// The modification time written into every entry (the Unix epoch), so equal inputs give
/// equal bytes.
pub const MTIME: u64 = 0;
const BLOCK: usize = 512;
/// The largest size a ustar header holds (11 octal digits).
const MAX_SIZE: u64 = 0o77777777777;

/// Writes a tar stream entry by entry; the caller supplies entries in the order wanted
/// (sorted, parents first).
pub struct Writer<W: Write> {
    out: W,
}

impl<W: Write> Writer<W> {
    /// Starts a tar stream on `out`.
    pub fn new(out: W) -> Self {
        Writer { out }
    }

    /// A directory; `path` is relative (no leading `/`), a trailing `/` is added.
    pub fn dir(&mut self, path: &str, mode: u32) -> io::Result<()> {
        let name = format!("{}/", path.trim_end_matches('/'));
        self.entry(&name, mode, b'5', "", &[])
    }

    /// A regular file.
    pub fn file(&mut self, path: &str, mode: u32, data: &[u8]) -> io::Result<()> {
        self.entry(path, mode, b'0', "", data)
    }

    /// A symbolic link to `target`.
    pub fn symlink(&mut self, path: &str, target: &str) -> io::Result<()> {
        self.entry(path, 0o777, b'2', target, &[])
    }

    /// Ends the stream with two zero blocks and gives back the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.write_all(&[0u8; BLOCK * 2])?;
        self.out.flush()?;
        Ok(self.out)
    }

    fn entry(
        &mut self,
        name: &str,
        mode: u32,
        kind: u8,
        link: &str,
        data: &[u8],
    ) -> io::Result<()> {
        if data.len() as u64 > MAX_SIZE {
            return Err(io::Error::other(format!(
                "{name}: files over 8 GiB are not supported"
            )));
        }
        let split = split_name(name);
        let mut pax = String::new();
        if split.is_none() {
            pax.push_str(&pax_record("path", name));
        }
        if link.len() > 100 {
            pax.push_str(&pax_record("linkpath", link));
        }
        if !pax.is_empty() {
            let short: String = name.chars().filter(char::is_ascii).take(80).collect();
            let header = header(
                &format!("PaxHeaders/{short}"),
                "",
                0o644,
                b'x',
                "",
                pax.len() as u64,
            );
            self.out.write_all(&header)?;
            self.write_padded(pax.as_bytes())?;
        }
        let (prefix, base) = split.unwrap_or(("", truncate(name, 100)));
        let link = if link.len() > 100 { "" } else { link };
        self.out
            .write_all(&header(base, prefix, mode, kind, link, data.len() as u64))?;
        self.write_padded(data)
    }

    fn write_padded(&mut self, data: &[u8]) -> io::Result<()> {
        self.out.write_all(data)?;
        let pad = (BLOCK - data.len() % BLOCK) % BLOCK;
        self.out.write_all(&[0u8; BLOCK][..pad])
    }
}

/// Splits a name into ustar's prefix (≤ 155 bytes) and name (≤ 100 bytes) at a `/`.
fn split_name(name: &str) -> Option<(&str, &str)> {
    if name.len() <= 100 {
        return Some(("", name));
    }
    let trimmed = name.trim_end_matches('/');
    for (i, _) in trimmed.match_indices('/') {
        let (prefix, rest) = (&name[..i], &name[i + 1..]);
        if prefix.len() <= 155 && rest.len() <= 100 && !rest.is_empty() {
            return Some((prefix, rest));
        }
    }
    None
}

fn truncate(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn pax_record(key: &str, value: &str) -> String {
    let body = format!(" {key}={value}\n");
    let mut len = body.len() + 1;
    while len.to_string().len() + body.len() != len {
        len += 1;
    }
    format!("{len}{body}")
}

/// Writes `value` as zero-padded octal with a trailing NUL (callers keep values in range:
/// sizes are checked against [`MAX_SIZE`]).
fn octal(field: &mut [u8], value: u64) {
    let width = field.len() - 1;
    let s = format!("{value:0width$o}");
    let s = &s.as_bytes()[s.len().saturating_sub(width)..];
    field[..width].copy_from_slice(s);
    field[width] = 0;
}

fn put(field: &mut [u8], s: &str) {
    let n = s.len().min(field.len());
    field[..n].copy_from_slice(&s.as_bytes()[..n]);
}

fn header(name: &str, prefix: &str, mode: u32, kind: u8, link: &str, size: u64) -> [u8; BLOCK] {
    let mut h = [0u8; BLOCK];
    put(&mut h[0..100], name);
    octal(&mut h[100..108], u64::from(mode & 0o7777));
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], MTIME);
    h[156] = kind;
    put(&mut h[157..257], link);
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    octal(&mut h[329..337], 0);
    octal(&mut h[337..345], 0);
    put(&mut h[345..500], prefix);
    h[148..156].fill(b' ');
    let sum: u64 = h.iter().map(|&b| u64::from(b)).sum();
    let s = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(s.as_bytes());
    h
}

/// One entry read back from a tar stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path as stored (PAX `path` or GNU long name applied).
    pub path: String,
    /// Type flag (`b'0'` file, `b'5'` directory, `b'2'` symlink, …).
    pub kind: u8,
    /// Permission bits.
    pub mode: u32,
    /// Link target for symlinks and hard links.
    pub link: String,
    /// Content of regular files.
    pub data: Vec<u8>,
}

/// Reads every entry of an uncompressed tar stream held in memory (ustar, PAX and GNU
/// long names), leaving PAX/GNU metadata entries out.
pub fn read_all(data: &[u8]) -> Result<Vec<Entry>, String> {
    let mut entries = Vec::new();
    let mut at = 0usize;
    let (mut long_name, mut long_link) = (None::<String>, None::<String>);
    while at + BLOCK <= data.len() {
        let h = &data[at..at + BLOCK];
        if h.iter().all(|&b| b == 0) {
            break;
        }
        let size = parse_octal(&h[124..136])
            .ok_or_else(|| format!("bad size field at offset {at}"))? as usize;
        let body_start = at + BLOCK;
        let body = data
            .get(body_start..body_start + size)
            .ok_or_else(|| format!("entry at offset {at} runs past the end"))?;
        at = body_start + size.div_ceil(BLOCK) * BLOCK;
        let kind = h[156];
        match kind {
            b'x' => {
                for (k, v) in parse_pax(body)? {
                    match k.as_str() {
                        "path" => long_name = Some(v),
                        "linkpath" => long_link = Some(v),
                        _ => {}
                    }
                }
                continue;
            }
            b'g' => continue,
            b'L' => {
                long_name = Some(cstr(body));
                continue;
            }
            b'K' => {
                long_link = Some(cstr(body));
                continue;
            }
            _ => {}
        }
        let name = cstr(&h[0..100]);
        let prefix = if &h[257..262] == b"ustar" {
            cstr(&h[345..500])
        } else {
            String::new()
        };
        let path = long_name.take().unwrap_or_else(|| {
            if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            }
        });
        let link = long_link.take().unwrap_or_else(|| cstr(&h[157..257]));
        let mode = parse_octal(&h[100..108]).unwrap_or(0) as u32;
        let kind = if kind == 0 { b'0' } else { kind };
        let data = if kind == b'0' || kind == b'7' {
            body.to_vec()
        } else {
            Vec::new()
        };
        entries.push(Entry {
            path,
            kind,
            mode,
            link,
            data,
        });
    }
    Ok(entries)
}

fn cstr(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

fn parse_octal(b: &[u8]) -> Option<u64> {
    let s = cstr(b);
    let s = s.trim_matches(|c: char| c == ' ' || c == '\0');
    if s.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(s, 8).ok()
}

fn parse_pax(mut body: &[u8]) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    while !body.is_empty() {
        let sp = body
            .iter()
            .position(|&b| b == b' ')
            .ok_or("bad PAX record")?;
        let len: usize = std::str::from_utf8(&body[..sp])
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or("bad PAX record length")?;
        let rec = body.get(sp + 1..len).ok_or("PAX record past the end")?;
        let rec = rec.strip_suffix(b"\n").unwrap_or(rec);
        let eq = rec
            .iter()
            .position(|&b| b == b'=')
            .ok_or("PAX record without '='")?;
        out.push((
            String::from_utf8_lossy(&rec[..eq]).into_owned(),
            String::from_utf8_lossy(&rec[eq + 1..]).into_owned(),
        ));
        body = &body[len..];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_long_names() {
        let long = format!("{}/{}", "d".repeat(120), "f".repeat(90));
        let longer = "x".repeat(300);
        let target = "t".repeat(150);
        let mut w = Writer::new(Vec::new());
        w.dir("etc", 0o755).unwrap();
        w.file("etc/passwd", 0o644, b"root:x:0:0::/:/bin/sh\n")
            .unwrap();
        w.symlink("bin/sh", "busybox").unwrap();
        w.file(&long, 0o600, b"a").unwrap();
        w.file(&longer, 0o755, b"").unwrap();
        w.symlink("l", &target).unwrap();
        let bytes = w.finish().unwrap();
        assert_eq!(bytes.len() % BLOCK, 0);
        let e = read_all(&bytes).unwrap();
        let paths: Vec<_> = e.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "etc/",
                "etc/passwd",
                "bin/sh",
                long.as_str(),
                longer.as_str(),
                "l"
            ]
        );
        assert_eq!(e[1].data, b"root:x:0:0::/:/bin/sh\n");
        assert_eq!(e[2].link, "busybox");
        assert_eq!(e[3].mode, 0o600);
        assert_eq!(e[5].link, target);
    }

    #[test]
    fn pax_record_length_counts_itself() {
        let r = pax_record("path", "abc");
        assert_eq!(r, "12 path=abc\n");
        assert_eq!(r.len(), 12);
        let r = pax_record("path", &"a".repeat(95));
        assert_eq!(
            r.len(),
            r.split(' ').next().unwrap().parse::<usize>().unwrap()
        );
    }

    #[test]
    fn checksum_matches_what_tar_expects() {
        let h = header("a", "", 0o644, b'0', "", 1);
        let stored = parse_octal(&h[148..155]).unwrap();
        let mut copy = h;
        copy[148..156].fill(b' ');
        assert_eq!(stored, copy.iter().map(|&b| u64::from(b)).sum::<u64>());
    }
}
