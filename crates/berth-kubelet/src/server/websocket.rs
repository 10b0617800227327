//! RFC 6455 WebSocket framing: the handshake's accept key, reading (masked) client
//! frames with fragments reassembled and control frames surfaced, writing frames.
//!
//! Only what the streaming protocols need: no extensions (kubectl's gorilla/websocket
//! client offers none), binary and close messages, ping answered with pong by the caller.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The GUID of RFC 6455 section 1.3.
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Largest message accepted (stdin chunks and tunneled SPDY frames are far smaller).
pub const MAX_MESSAGE: usize = 16 << 20;

pub const OP_CONTINUATION: u8 = 0x0;
pub const OP_TEXT: u8 = 0x1;
pub const OP_BINARY: u8 = 0x2;
pub const OP_CLOSE: u8 = 0x8;
pub const OP_PING: u8 = 0x9;
pub const OP_PONG: u8 = 0xA;

/// Close code of a normal closure.
pub const CLOSE_NORMAL: u16 = 1000;

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`.
pub fn accept_key(key: &str) -> String {
    use base64::Engine as _;
    let mut input = key.trim().as_bytes().to_vec();
    input.extend_from_slice(GUID.as_bytes());
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &input);
    base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
}

/// The subprotocols a client offers (`Sec-WebSocket-Protocol`, comma-separated, possibly
/// in several header lines).
pub fn offered_protocols<'a>(values: impl Iterator<Item = &'a str>) -> Vec<String> {
    values
        .flat_map(|v| v.split(','))
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// A complete message or a control frame.
#[derive(Debug, PartialEq, Eq)]
pub enum Message {
    Binary(Vec<u8>),
    Text(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    /// A close frame: its status code (1005 when it carried none) and reason.
    Close(u16, String),
}

/// Reads frames from one side of a connection.
pub struct Reader<R> {
    inner: R,
    /// Whether frames must be masked (a server reading a client).
    expect_masked: bool,
    partial: Option<(u8, Vec<u8>)>,
}

impl<R: AsyncRead + Unpin> Reader<R> {
    /// A reader of client frames (masked), as a server reads them.
    pub fn server(inner: R) -> Self {
        Reader {
            inner,
            expect_masked: true,
            partial: None,
        }
    }

    /// A reader of server frames (unmasked), as a client reads them.
    pub fn client(inner: R) -> Self {
        Reader {
            inner,
            expect_masked: false,
            partial: None,
        }
    }

    /// The next message; `None` at a clean end of the connection between frames.
    pub async fn next(&mut self) -> io::Result<Option<Message>> {
        loop {
            let mut head = [0u8; 2];
            match self.inner.read_exact(&mut head[..1]).await {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
                Err(e) => return Err(e),
            }
            self.inner.read_exact(&mut head[1..]).await?;
            let fin = head[0] & 0x80 != 0;
            if head[0] & 0x70 != 0 {
                return Err(invalid("reserved bits set (no extension was negotiated)"));
            }
            let opcode = head[0] & 0x0f;
            let masked = head[1] & 0x80 != 0;
            if masked != self.expect_masked {
                return Err(invalid(if masked {
                    "masked frame from a server"
                } else {
                    "unmasked frame from a client"
                }));
            }
            let len = match head[1] & 0x7f {
                126 => self.inner.read_u16().await? as u64,
                127 => self.inner.read_u64().await?,
                n => n as u64,
            };
            if len > MAX_MESSAGE as u64 {
                return Err(invalid("frame too large"));
            }
            let mut mask = [0u8; 4];
            if masked {
                self.inner.read_exact(&mut mask).await?;
            }
            let mut payload = vec![0u8; len as usize];
            self.inner.read_exact(&mut payload).await?;
            if masked {
                for (i, b) in payload.iter_mut().enumerate() {
                    *b ^= mask[i % 4];
                }
            }
            match opcode {
                OP_PING => return Ok(Some(Message::Ping(payload))),
                OP_PONG => return Ok(Some(Message::Pong(payload))),
                OP_CLOSE => {
                    let code = if payload.len() >= 2 {
                        u16::from_be_bytes([payload[0], payload[1]])
                    } else {
                        1005
                    };
                    let reason = String::from_utf8_lossy(payload.get(2..).unwrap_or(&[])).into();
                    return Ok(Some(Message::Close(code, reason)));
                }
                OP_TEXT | OP_BINARY => {
                    if self.partial.is_some() {
                        return Err(invalid("new message before the previous one ended"));
                    }
                    if fin {
                        return Ok(Some(data_message(opcode, payload)));
                    }
                    self.partial = Some((opcode, payload));
                }
                OP_CONTINUATION => {
                    let Some((op, mut data)) = self.partial.take() else {
                        return Err(invalid("continuation frame without a message"));
                    };
                    if data.len() + payload.len() > MAX_MESSAGE {
                        return Err(invalid("message too large"));
                    }
                    data.extend_from_slice(&payload);
                    if fin {
                        return Ok(Some(data_message(op, data)));
                    }
                    self.partial = Some((op, data));
                }
                other => return Err(invalid(&format!("unknown opcode {other}"))),
            }
        }
    }
}

fn data_message(opcode: u8, data: Vec<u8>) -> Message {
    if opcode == OP_TEXT {
        Message::Text(data)
    } else {
        Message::Binary(data)
    }
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("websocket: {what}"))
}

/// Encodes one final frame; `mask` is given by clients (RFC 6455 5.3), never by servers.
pub fn encode_frame(opcode: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 14);
    out.push(0x80 | opcode);
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    match payload.len() {
        n if n < 126 => out.push(mask_bit | n as u8),
        n if n <= u16::MAX as usize => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    match mask {
        Some(m) => {
            out.extend_from_slice(&m);
            out.extend(payload.iter().enumerate().map(|(i, b)| b ^ m[i % 4]));
        }
        None => out.extend_from_slice(payload),
    }
    out
}

/// The payload of a close frame.
pub fn close_payload(code: u16, reason: &str) -> Vec<u8> {
    let mut p = code.to_be_bytes().to_vec();
    p.extend_from_slice(reason.as_bytes());
    p
}

/// Writes one unmasked (server) frame and flushes.
pub async fn write_frame<W: AsyncWrite + Unpin>(
    w: &mut W,
    opcode: u8,
    payload: &[u8],
) -> io::Result<()> {
    w.write_all(&encode_frame(opcode, payload, None)).await?;
    w.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_key_of_rfc_example() {
        // RFC 6455 section 1.3
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn protocols_split() {
        let v = offered_protocols(["v5.channel.k8s.io, v4.channel.k8s.io", "x"].into_iter());
        assert_eq!(v, ["v5.channel.k8s.io", "v4.channel.k8s.io", "x"]);
    }

    #[tokio::test]
    async fn masked_fragments_and_controls() {
        let mask = Some([1, 2, 3, 4]);
        let mut wire = Vec::new();
        // a binary message in two fragments with a ping between them (allowed)
        let mut first = encode_frame(OP_BINARY, b"\x01hel", mask);
        first[0] &= 0x7f; // not final
        wire.extend(first);
        wire.extend(encode_frame(OP_PING, b"p", mask));
        wire.extend(encode_frame(OP_CONTINUATION, b"lo", mask));
        let long = vec![7u8; 70_000];
        wire.extend(encode_frame(OP_BINARY, &long, mask));
        let medium = vec![9u8; 300];
        wire.extend(encode_frame(OP_BINARY, &medium, mask));
        wire.extend(encode_frame(OP_CLOSE, &close_payload(1000, "bye"), mask));
        let mut r = Reader::server(&wire[..]);
        assert_eq!(r.next().await.unwrap(), Some(Message::Ping(b"p".to_vec())));
        assert_eq!(
            r.next().await.unwrap(),
            Some(Message::Binary(b"\x01hello".to_vec()))
        );
        assert_eq!(r.next().await.unwrap(), Some(Message::Binary(long)));
        assert_eq!(r.next().await.unwrap(), Some(Message::Binary(medium)));
        assert_eq!(
            r.next().await.unwrap(),
            Some(Message::Close(1000, "bye".into()))
        );
        assert_eq!(r.next().await.unwrap(), None);
    }

    #[tokio::test]
    async fn unmasked_client_frame_is_an_error() {
        let wire = encode_frame(OP_BINARY, b"x", None);
        assert!(Reader::server(&wire[..]).next().await.is_err());
        let wire = encode_frame(OP_BINARY, b"x", None);
        assert_eq!(
            Reader::client(&wire[..]).next().await.unwrap(),
            Some(Message::Binary(b"x".to_vec()))
        );
    }
}
