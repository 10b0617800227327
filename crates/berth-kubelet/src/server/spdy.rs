//! SPDY/3.1 framing, as Kubernetes' streaming protocols use it (moby/spdystream over
//! Go's SPDY framer): control frames (SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING,
//! GOAWAY, HEADERS, WINDOW_UPDATE) and DATA frames.
//!
//! Name/value header blocks are one zlib stream per direction and connection, with the
//! SPDY/3 dictionary. Sending writes stored (uncompressed) deflate blocks in a zlib
//! stream without a preset dictionary, each header block ending like a zlib sync flush
//! (valid zlib that Go's reader accepts); receiving
//! inflates with the dictionary (miniz_oxide, whose output buffer holds the dictionary
//! before the data so back-references reach it). spdystream does no flow control, so
//! neither does this: WINDOW_UPDATE is read and ignored, never sent.

use std::io;
use std::sync::OnceLock;

use miniz_oxide::inflate::core::{decompress, inflate_flags, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;
use tokio::io::{AsyncRead, AsyncReadExt};

pub const TYPE_SYN_STREAM: u16 = 1;
pub const TYPE_SYN_REPLY: u16 = 2;
pub const TYPE_RST_STREAM: u16 = 3;
pub const TYPE_SETTINGS: u16 = 4;
pub const TYPE_PING: u16 = 6;
pub const TYPE_GOAWAY: u16 = 7;
pub const TYPE_HEADERS: u16 = 8;
pub const TYPE_WINDOW_UPDATE: u16 = 9;

pub const FLAG_FIN: u8 = 0x01;
pub const FLAG_UNIDIRECTIONAL: u8 = 0x02;

/// RST_STREAM status CANCEL.
pub const RST_CANCEL: u32 = 5;

/// Largest frame payload accepted (the 24-bit length field allows 16 MiB).
const MAX_FRAME: usize = (1 << 24) - 1;

/// The SPDY/3 header compression dictionary (draft-mbelshe-httpbis-spdy-00, 2.6.10.1):
/// length-prefixed header names and values, then a run of common text.
pub fn dictionary() -> &'static [u8] {
    static DICT: OnceLock<Vec<u8>> = OnceLock::new();
    DICT.get_or_init(|| {
        const WORDS: &[&str] = &[
            "options",
            "head",
            "post",
            "put",
            "delete",
            "trace",
            "accept",
            "accept-charset",
            "accept-encoding",
            "accept-language",
            "accept-ranges",
            "age",
            "allow",
            "authorization",
            "cache-control",
            "connection",
            "content-base",
            "content-encoding",
            "content-language",
            "content-length",
            "content-location",
            "content-md5",
            "content-range",
            "content-type",
            "date",
            "etag",
            "expect",
            "expires",
            "from",
            "host",
            "if-match",
            "if-modified-since",
            "if-none-match",
            "if-range",
            "if-unmodified-since",
            "last-modified",
            "location",
            "max-forwards",
            "pragma",
            "proxy-authenticate",
            "proxy-authorization",
            "range",
            "referer",
            "retry-after",
            "server",
            "te",
            "trailer",
            "transfer-encoding",
            "upgrade",
            "user-agent",
            "vary",
            "via",
            "warning",
            "www-authenticate",
            "method",
            "get",
            "status",
            "200 OK",
            "version",
            "HTTP/1.1",
            "url",
            "public",
            "set-cookie",
            "keep-alive",
            "origin",
        ];
        const TAIL: &str = concat!(
            "100101201202205206300302303304305306307402405406407408409410411412413414415416",
            "417502504505",
            "203 Non-Authoritative Information204 No Content301 Moved Permanently",
            "400 Bad Request401 Unauthorized403 Forbidden404 Not Found",
            "500 Internal Server Error501 Not Implemented503 Service Unavailable",
            "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 ",
            "Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT",
            "chunked,text/html,image/png,image/jpg,image/gif,application/xml,",
            "application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age=",
            "gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.",
        );
        let mut d = Vec::with_capacity(1423);
        for w in WORDS {
            d.extend_from_slice(&(w.len() as u32).to_be_bytes());
            d.extend_from_slice(w.as_bytes());
        }
        d.extend_from_slice(TAIL.as_bytes());
        d
    })
}

/// Header names and values; names lower-case (Go's framer rejects others). Repeated
/// values of one name are joined with NUL in the block and split again when read.
pub type Headers = Vec<(String, String)>;

/// One frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Data {
        stream_id: u32,
        flags: u8,
        data: Vec<u8>,
    },
    SynStream {
        stream_id: u32,
        associated_to: u32,
        priority: u8,
        flags: u8,
        headers: Headers,
    },
    SynReply {
        stream_id: u32,
        flags: u8,
        headers: Headers,
    },
    RstStream {
        stream_id: u32,
        status: u32,
    },
    Settings {
        flags: u8,
        /// (flags, id, value)
        entries: Vec<(u8, u32, u32)>,
    },
    Ping(u32),
    GoAway {
        last_good_stream_id: u32,
        status: u32,
    },
    Headers {
        stream_id: u32,
        flags: u8,
        headers: Headers,
    },
    WindowUpdate {
        stream_id: u32,
        delta: u32,
    },
    /// A control frame of another type (NOOP, CREDENTIAL), skipped.
    Other(u16),
}

/// Compresses header blocks of one direction of a connection: a zlib stream of stored
/// deflate blocks.
#[derive(Default)]
pub struct HeaderEncoder {
    started: bool,
}

impl HeaderEncoder {
    pub fn encode(&mut self, headers: &[(&str, &str)]) -> Vec<u8> {
        let mut raw = Vec::new();
        raw.extend_from_slice(&(headers.len() as u32).to_be_bytes());
        for (name, value) in headers {
            let name = name.to_ascii_lowercase();
            raw.extend_from_slice(&(name.len() as u32).to_be_bytes());
            raw.extend_from_slice(name.as_bytes());
            raw.extend_from_slice(&(value.len() as u32).to_be_bytes());
            raw.extend_from_slice(value.as_bytes());
        }
        let mut out = Vec::with_capacity(raw.len() + 8);
        if !self.started {
            // CMF: deflate, 32 KiB window; FLG: no dictionary, check bits.
            out.extend_from_slice(&[0x78, 0x01]);
            self.started = true;
        }
        for chunk in raw.chunks(u16::MAX as usize) {
            let len = chunk.len() as u16;
            out.push(0); // BFINAL = 0, BTYPE = stored
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(&(!len).to_le_bytes());
            out.extend_from_slice(chunk);
        }
        // An empty stored block, as zlib's sync flush ends: Go's inflater hands out a
        // stored block's data only at the next block header, which must be in this frame.
        out.extend_from_slice(&[0, 0, 0, 0xff, 0xff]);
        out
    }
}

/// Inflates header blocks of one direction of a connection.
pub struct HeaderDecoder {
    state: Box<DecompressorOxide>,
    /// The dictionary followed by everything inflated so far (the window).
    window: Vec<u8>,
    /// Bytes of the zlib header still to skip (2, plus 4 with a dictionary id).
    header: Vec<u8>,
    header_done: bool,
}

impl Default for HeaderDecoder {
    fn default() -> Self {
        HeaderDecoder {
            state: Box::default(),
            window: dictionary().to_vec(),
            header: Vec::new(),
            header_done: false,
        }
    }
}

impl HeaderDecoder {
    /// Inflates one compressed block and parses the name/value pairs.
    pub fn decode(&mut self, mut block: &[u8]) -> io::Result<Headers> {
        if !self.header_done {
            while !block.is_empty() && !self.header_done {
                self.header.push(block[0]);
                block = &block[1..];
                if self.header.len() == 2 {
                    if (u16::from(self.header[0]) << 8 | u16::from(self.header[1])) % 31 != 0
                        || self.header[0] & 0x0f != 8
                    {
                        return Err(bad("header block is not a zlib stream"));
                    }
                    self.header_done = self.header[1] & 0x20 == 0;
                } else if self.header.len() == 6 {
                    self.header_done = true;
                }
            }
        }
        let start = self.window.len();
        let flags = inflate_flags::TINFL_FLAG_HAS_MORE_INPUT
            | inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
        let mut used = start;
        loop {
            if self.window.len() - used < 4096 {
                self.window.resize(used + 16384, 0);
            }
            let (status, consumed, written) =
                decompress(&mut self.state, block, &mut self.window, used, flags);
            block = &block[consumed..];
            used += written;
            match status {
                TINFLStatus::HasMoreOutput => continue,
                TINFLStatus::NeedsMoreInput if block.is_empty() => break,
                TINFLStatus::NeedsMoreInput => continue,
                TINFLStatus::Done => break,
                other => return Err(bad(&format!("inflating a header block: {other:?}"))),
            }
        }
        self.window.truncate(used);
        let raw = self.window[start..used].to_vec();
        // Keep the window bounded: the dictionary's place is taken by recent output.
        if self.window.len() > 1 << 20 {
            // Back-references reach 32 KiB back; keep 64 KiB.
            let keep = self.window.split_off(self.window.len() - 65536);
            self.window = keep;
        }
        parse_header_block(&raw)
    }
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("spdy: {what}"))
}

fn parse_header_block(raw: &[u8]) -> io::Result<Headers> {
    let mut p = raw;
    let mut take = |n: usize| -> io::Result<&[u8]> {
        if p.len() < n {
            return Err(bad("truncated header block"));
        }
        let (a, b) = p.split_at(n);
        p = b;
        Ok(a)
    };
    let count = u32::from_be_bytes(take(4)?.try_into().unwrap_or_default());
    let mut out = Vec::new();
    for _ in 0..count {
        let n = u32::from_be_bytes(take(4)?.try_into().unwrap_or_default()) as usize;
        let name = String::from_utf8_lossy(take(n)?).into_owned();
        let n = u32::from_be_bytes(take(4)?.try_into().unwrap_or_default()) as usize;
        let value = take(n)?;
        for v in value.split(|b| *b == 0) {
            out.push((name.clone(), String::from_utf8_lossy(v).into_owned()));
        }
    }
    Ok(out)
}

fn control(kind: u16, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + payload.len());
    out.extend_from_slice(&(0x8003u16).to_be_bytes());
    out.extend_from_slice(&kind.to_be_bytes());
    out.push(flags);
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes()[1..]);
    out.extend_from_slice(payload);
    out
}

/// Encodes frames of one direction of a connection.
#[derive(Default)]
pub struct Encoder {
    headers: HeaderEncoder,
}

impl Encoder {
    pub fn syn_stream(&mut self, stream_id: u32, headers: &[(&str, &str)], flags: u8) -> Vec<u8> {
        let mut p = Vec::new();
        p.extend_from_slice(&(stream_id & 0x7fff_ffff).to_be_bytes());
        p.extend_from_slice(&0u32.to_be_bytes()); // associated-to
        p.extend_from_slice(&[0, 0]); // priority 0, slot 0
        p.extend_from_slice(&self.headers.encode(headers));
        control(TYPE_SYN_STREAM, flags, &p)
    }

    pub fn syn_reply(&mut self, stream_id: u32, headers: &[(&str, &str)], flags: u8) -> Vec<u8> {
        let mut p = (stream_id & 0x7fff_ffff).to_be_bytes().to_vec();
        p.extend_from_slice(&self.headers.encode(headers));
        control(TYPE_SYN_REPLY, flags, &p)
    }

    pub fn rst_stream(stream_id: u32, status: u32) -> Vec<u8> {
        let mut p = (stream_id & 0x7fff_ffff).to_be_bytes().to_vec();
        p.extend_from_slice(&status.to_be_bytes());
        control(TYPE_RST_STREAM, 0, &p)
    }

    pub fn ping(id: u32) -> Vec<u8> {
        control(TYPE_PING, 0, &id.to_be_bytes())
    }

    pub fn goaway(last_good_stream_id: u32, status: u32) -> Vec<u8> {
        let mut p = (last_good_stream_id & 0x7fff_ffff).to_be_bytes().to_vec();
        p.extend_from_slice(&status.to_be_bytes());
        control(TYPE_GOAWAY, 0, &p)
    }

    /// DATA frames for `data` (split at the 24-bit length limit); FIN on the last.
    pub fn data(stream_id: u32, data: &[u8], fin: bool) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len() + 8);
        let mut chunks: Vec<&[u8]> = data.chunks(MAX_FRAME).collect();
        if chunks.is_empty() {
            chunks.push(&[]);
        }
        let last = chunks.len() - 1;
        for (i, chunk) in chunks.into_iter().enumerate() {
            out.extend_from_slice(&(stream_id & 0x7fff_ffff).to_be_bytes());
            out.push(if fin && i == last { FLAG_FIN } else { 0 });
            out.extend_from_slice(&(chunk.len() as u32).to_be_bytes()[1..]);
            out.extend_from_slice(chunk);
        }
        out
    }
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Reads the next frame; `None` at a clean end of the connection between frames.
pub async fn read_frame<R: AsyncRead + Unpin>(
    r: &mut R,
    headers: &mut HeaderDecoder,
) -> io::Result<Option<Frame>> {
    let mut head = [0u8; 8];
    match r.read_exact(&mut head[..1]).await {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    r.read_exact(&mut head[1..]).await?;
    let flags = head[4];
    let len = (be32(&head[4..8]) & 0x00ff_ffff) as usize;
    let mut p = vec![0u8; len];
    r.read_exact(&mut p).await?;
    if head[0] & 0x80 == 0 {
        return Ok(Some(Frame::Data {
            stream_id: be32(&head[0..4]) & 0x7fff_ffff,
            flags,
            data: p,
        }));
    }
    let version = u16::from_be_bytes([head[0], head[1]]) & 0x7fff;
    if version != 3 {
        return Err(bad(&format!("unsupported version {version}")));
    }
    let kind = u16::from_be_bytes([head[2], head[3]]);
    let need = |n: usize| {
        if p.len() < n {
            Err(bad("control frame too short"))
        } else {
            Ok(())
        }
    };
    let frame = match kind {
        TYPE_SYN_STREAM => {
            need(10)?;
            Frame::SynStream {
                stream_id: be32(&p[0..4]) & 0x7fff_ffff,
                associated_to: be32(&p[4..8]) & 0x7fff_ffff,
                priority: p[8] >> 5,
                flags,
                headers: headers.decode(&p[10..])?,
            }
        }
        TYPE_SYN_REPLY => {
            need(4)?;
            Frame::SynReply {
                stream_id: be32(&p[0..4]) & 0x7fff_ffff,
                flags,
                headers: headers.decode(&p[4..])?,
            }
        }
        TYPE_HEADERS => {
            need(4)?;
            Frame::Headers {
                stream_id: be32(&p[0..4]) & 0x7fff_ffff,
                flags,
                headers: headers.decode(&p[4..])?,
            }
        }
        TYPE_RST_STREAM => {
            need(8)?;
            Frame::RstStream {
                stream_id: be32(&p[0..4]) & 0x7fff_ffff,
                status: be32(&p[4..8]),
            }
        }
        TYPE_SETTINGS => {
            need(4)?;
            let n = be32(&p[0..4]) as usize;
            need(4 + n * 8)?;
            let entries = (0..n)
                .map(|i| {
                    let e = &p[4 + i * 8..12 + i * 8];
                    (e[0], be32(e) & 0x00ff_ffff, be32(&e[4..8]))
                })
                .collect();
            Frame::Settings { flags, entries }
        }
        TYPE_PING => {
            need(4)?;
            Frame::Ping(be32(&p[0..4]))
        }
        TYPE_GOAWAY => {
            need(4)?;
            Frame::GoAway {
                last_good_stream_id: be32(&p[0..4]) & 0x7fff_ffff,
                status: if p.len() >= 8 { be32(&p[4..8]) } else { 0 },
            }
        }
        TYPE_WINDOW_UPDATE => {
            need(8)?;
            Frame::WindowUpdate {
                stream_id: be32(&p[0..4]) & 0x7fff_ffff,
                delta: be32(&p[4..8]) & 0x7fff_ffff,
            }
        }
        other => Frame::Other(other),
    };
    Ok(Some(frame))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn h(pairs: &[(&str, &str)]) -> Headers {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn dictionary_is_spdy3s() {
        let d = dictionary();
        assert_eq!(d.len(), 1423);
        assert_eq!(&d[..11], b"\0\0\0\x07options");
        assert!(d.ends_with(b",enq=0."));
    }

    /// Blocks compressed by zlib (Python's, level 9, the SPDY/3 dictionary, sync flush):
    /// the second refers back into the dictionary (`content-type`, `text/plain`).
    #[test]
    fn inflates_zlib_blocks_with_the_dictionary() {
        let mut dec = HeaderDecoder::default();
        let a = unhex("78f9e3c6a7c202a62346703a2b294a4dcc851625aca9a08006000000ffff");
        let b = unhex("02651c0c2960624ec90797d1e8e50f17c2e100000000ffff");
        assert_eq!(dec.decode(&a).unwrap(), h(&[("streamtype", "error")]));
        assert_eq!(
            dec.decode(&b).unwrap(),
            h(&[("streamtype", "stdout"), ("content-type", "text/plain")])
        );
    }

    #[test]
    fn stored_blocks_round_trip_and_multi_values() {
        let mut enc = HeaderEncoder::default();
        let mut dec = HeaderDecoder::default();
        let first = enc.encode(&[("streamType", "stdin")]);
        assert_eq!(&first[..2], &[0x78, 0x01]);
        assert!(first.ends_with(&[0, 0, 0, 0xff, 0xff]), "sync-flush ending");
        assert_eq!(dec.decode(&first).unwrap(), h(&[("streamtype", "stdin")]));
        let second = enc.encode(&[("port", "80"), ("requestid", "0"), ("x", "a\0b")]);
        assert_eq!(
            dec.decode(&second).unwrap(),
            h(&[("port", "80"), ("requestid", "0"), ("x", "a"), ("x", "b")])
        );
    }

    #[tokio::test]
    async fn frames_round_trip() {
        let mut enc = Encoder::default();
        let mut wire = Vec::new();
        wire.extend(enc.syn_stream(1, &[("streamtype", "error")], 0));
        wire.extend(enc.syn_reply(2, &[], FLAG_FIN));
        wire.extend(Encoder::data(3, b"hello", true));
        wire.extend(Encoder::data(3, b"", false));
        wire.extend(Encoder::rst_stream(5, RST_CANCEL));
        wire.extend(Encoder::ping(7));
        wire.extend(Encoder::goaway(9, 0));
        // SETTINGS and WINDOW_UPDATE as a peer sends them
        wire.extend(control(
            TYPE_SETTINGS,
            0,
            &[0, 0, 0, 1, 0, 0, 0, 7, 0, 1, 0, 0],
        ));
        wire.extend(control(TYPE_WINDOW_UPDATE, 0, &[0, 0, 0, 3, 0, 0, 1, 0]));
        let mut r = &wire[..];
        let mut dec = HeaderDecoder::default();
        let mut frames = Vec::new();
        while let Some(f) = read_frame(&mut r, &mut dec).await.unwrap() {
            frames.push(f);
        }
        assert_eq!(
            frames,
            vec![
                Frame::SynStream {
                    stream_id: 1,
                    associated_to: 0,
                    priority: 0,
                    flags: 0,
                    headers: h(&[("streamtype", "error")])
                },
                Frame::SynReply {
                    stream_id: 2,
                    flags: FLAG_FIN,
                    headers: vec![]
                },
                Frame::Data {
                    stream_id: 3,
                    flags: FLAG_FIN,
                    data: b"hello".to_vec()
                },
                Frame::Data {
                    stream_id: 3,
                    flags: 0,
                    data: vec![]
                },
                Frame::RstStream {
                    stream_id: 5,
                    status: RST_CANCEL
                },
                Frame::Ping(7),
                Frame::GoAway {
                    last_good_stream_id: 9,
                    status: 0
                },
                Frame::Settings {
                    flags: 0,
                    entries: vec![(0, 7, 65536)]
                },
                Frame::WindowUpdate {
                    stream_id: 3,
                    delta: 256
                },
            ]
        );
    }
}
