//! What the node agent does between a WebSocket client and the runtime's SPDY streaming
//! server, which (containerd 1.6's vendored `kubelet/pkg/cri/streaming`) speaks SPDY/3.1
//! only for the protocols kubectl ≥ 1.30 uses by default:
//!
//! - exec/attach: WebSocket `v5.channel.k8s.io` on the client side, SPDY
//!   `v4.channel.k8s.io` towards the runtime (kube-apiserver's `StreamTranslatorProxy`).
//!   v5 messages are binary: one channel byte (0 stdin, 1 stdout, 2 stderr, 3 error,
//!   4 resize) then data; `[255, id]` closes the client's stream `id` (stdin). The error
//!   channel carries the v4 status the runtime wrote (a `Status` with the exit code as
//!   cause), or `Success`; then the WebSocket is closed normally.
//! - port-forward: WebSocket `SPDY/3.1+portforward.k8s.io` (kubectl ≥ 1.31): SPDY frames
//!   in binary messages, unwrapped and sent on as a byte stream (kube-apiserver's
//!   `TunnelingHandler`).

use std::collections::HashSet;
use std::io;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, watch};

use super::spdy::{self, Frame};
use super::websocket::{self as ws, Message};

pub const CHANNEL_STDIN: u8 = 0;
pub const CHANNEL_STDOUT: u8 = 1;
pub const CHANNEL_STDERR: u8 = 2;
pub const CHANNEL_ERROR: u8 = 3;
pub const CHANNEL_RESIZE: u8 = 4;
/// v5: `[255, id]` half-closes stream `id`.
pub const CHANNEL_CLOSE: u8 = 255;

/// The v4/v5 status of a command that ended well.
pub const SUCCESS_STATUS: &str = r#"{"metadata":{},"status":"Success"}"#;

/// The streams of one exec or attach (kubelet's `input`, `output`, `error`, `tty`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamOptions {
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub tty: bool,
}

/// Writes what a channel receives, in order, then shuts the writer down.
fn spawn_writer<W: AsyncWrite + Unpin + Send + 'static>(
    mut w: W,
    mut rx: mpsc::Receiver<Vec<u8>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(buf) = rx.recv().await {
            if w.write_all(&buf).await.is_err() || w.flush().await.is_err() {
                return;
            }
        }
        let _ = w.shutdown().await;
    })
}

fn ws_binary(channel: u8, data: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(data.len() + 1);
    p.push(channel);
    p.extend_from_slice(data);
    ws::encode_frame(ws::OP_BINARY, &p, None)
}

/// Serves one `v5.channel.k8s.io` WebSocket client (already upgraded: `client`) over a
/// SPDY `v4.channel.k8s.io` connection to the runtime (already upgraded: `runtime`).
/// Returns when the command ended (status sent) or either side went away.
pub async fn exec_v5_over_spdy<C, U>(client: C, runtime: U, opts: StreamOptions) -> io::Result<()>
where
    C: AsyncRead + AsyncWrite + Send + 'static,
    U: AsyncRead + AsyncWrite + Send + 'static,
{
    let (client_r, client_w) = tokio::io::split(client);
    let (runtime_r, runtime_w) = tokio::io::split(runtime);
    let (to_client, rx) = mpsc::channel::<Vec<u8>>(64);
    let client_writer = spawn_writer(client_w, rx);
    let (to_runtime, rx) = mpsc::channel::<Vec<u8>>(64);
    let runtime_writer = spawn_writer(runtime_w, rx);

    // The streams, in client-go's order; the error stream always.
    let mut enc = spdy::Encoder::default();
    let mut next_id = 1u32;
    let mut open = |kind: &str, frames: &mut Vec<u8>| {
        let id = next_id;
        next_id += 2;
        frames.extend(enc.syn_stream(id, &[("streamtype", kind)], 0));
        id
    };
    let mut syn = Vec::new();
    let error_id = open("error", &mut syn);
    let stdin_id = opts.stdin.then(|| open("stdin", &mut syn));
    let stdout_id = opts.stdout.then(|| open("stdout", &mut syn));
    let stderr_id = (opts.stderr && !opts.tty).then(|| open("stderr", &mut syn));
    let resize_id = opts.tty.then(|| open("resize", &mut syn));
    let expected: HashSet<u32> = [Some(error_id), stdin_id, stdout_id, stderr_id, resize_id]
        .into_iter()
        .flatten()
        .collect();
    if to_runtime.send(syn).await.is_err() {
        return Err(io::Error::new(
            io::ErrorKind::BrokenPipe,
            "runtime went away",
        ));
    }

    // Runtime → client: replies, output, the status; then the close.
    let (ready_tx, mut ready_rx) = watch::channel(false);
    let runtime_side = {
        let to_client = to_client.clone();
        let to_runtime = to_runtime.clone();
        tokio::spawn(async move {
            let mut r = runtime_r;
            let mut headers = spdy::HeaderDecoder::default();
            let mut replied = HashSet::new();
            let mut status = Vec::new();
            loop {
                let frame = match spdy::read_frame(&mut r, &mut headers).await {
                    Ok(Some(f)) => f,
                    Ok(None) => break,
                    Err(e) => {
                        tracing::debug!(error = %e, "reading the runtime's SPDY stream");
                        break;
                    }
                };
                match frame {
                    Frame::SynReply { stream_id, .. } => {
                        replied.insert(stream_id);
                        if expected.is_subset(&replied) {
                            let _ = ready_tx.send(true);
                        }
                    }
                    Frame::Data {
                        stream_id, data, ..
                    } => {
                        let channel = if Some(stream_id) == stdout_id {
                            CHANNEL_STDOUT
                        } else if Some(stream_id) == stderr_id {
                            CHANNEL_STDERR
                        } else {
                            if stream_id == error_id {
                                status.extend_from_slice(&data);
                            }
                            continue;
                        };
                        if !data.is_empty()
                            && to_client.send(ws_binary(channel, &data)).await.is_err()
                        {
                            return;
                        }
                    }
                    // The runtime's pings (even ids) are echoed, as spdystream does.
                    Frame::Ping(id) => {
                        let _ = to_runtime.send(spdy::Encoder::ping(id)).await;
                    }
                    Frame::GoAway { .. } => break,
                    _ => {}
                }
            }
            let status = if status.is_empty() {
                SUCCESS_STATUS.as_bytes().to_vec()
            } else {
                status
            };
            let _ = to_client.send(ws_binary(CHANNEL_ERROR, &status)).await;
            let _ = to_client
                .send(ws::encode_frame(
                    ws::OP_CLOSE,
                    &ws::close_payload(ws::CLOSE_NORMAL, ""),
                    None,
                ))
                .await;
        })
    };

    // Client → runtime, once the runtime accepted every stream (spdystream drops data
    // on a stream it has not replied to yet).
    let client_side = async {
        let mut reader = ws::Reader::server(client_r);
        loop {
            if *ready_rx.borrow() {
                break;
            }
            if ready_rx.changed().await.is_err() {
                return;
            }
        }
        let mut stdin_open = true;
        loop {
            let msg = match reader.next().await {
                Ok(Some(m)) => m,
                _ => return,
            };
            let out = match msg {
                Message::Binary(data) if !data.is_empty() => match (data[0], stdin_id, resize_id) {
                    (CHANNEL_STDIN, Some(id), _) if stdin_open => {
                        spdy::Encoder::data(id, &data[1..], false)
                    }
                    (CHANNEL_RESIZE, _, Some(id)) => spdy::Encoder::data(id, &data[1..], false),
                    (CHANNEL_CLOSE, Some(id), _) if data.get(1) == Some(&CHANNEL_STDIN) => {
                        if !stdin_open {
                            continue;
                        }
                        stdin_open = false;
                        spdy::Encoder::data(id, &[], true)
                    }
                    _ => continue,
                },
                Message::Ping(p) => {
                    let _ = to_client
                        .send(ws::encode_frame(ws::OP_PONG, &p, None))
                        .await;
                    continue;
                }
                Message::Close(..) => return,
                _ => continue,
            };
            if to_runtime.send(out).await.is_err() {
                return;
            }
        }
    };

    let runtime_side_abort = runtime_side.abort_handle();
    tokio::select! {
        _ = runtime_side => {}
        _ = client_side => {
            // The client left: stop reading the runtime.
            runtime_side_abort.abort();
        }
    }
    drop(to_client);
    drop(to_runtime);
    let _ = client_writer.await;
    runtime_writer.abort();
    Ok(())
}

/// Serves one `SPDY/3.1+portforward.k8s.io` WebSocket client: binary messages carry the
/// SPDY byte stream of `runtime` (upgraded with `portforward.k8s.io`), in both directions.
pub async fn tunnel_spdy<C, U>(client: C, runtime: U) -> io::Result<()>
where
    C: AsyncRead + AsyncWrite + Send + 'static,
    U: AsyncRead + AsyncWrite + Send + 'static,
{
    let (client_r, client_w) = tokio::io::split(client);
    let (mut runtime_r, mut runtime_w) = tokio::io::split(runtime);
    let (to_client, rx) = mpsc::channel::<Vec<u8>>(64);
    let client_writer = spawn_writer(client_w, rx);

    let downstream = {
        let to_client = to_client.clone();
        async move {
            let mut buf = vec![0u8; 32 * 1024];
            loop {
                match runtime_r.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        let frame = ws::encode_frame(ws::OP_BINARY, &buf[..n], None);
                        if to_client.send(frame).await.is_err() {
                            return;
                        }
                    }
                }
            }
            let _ = to_client
                .send(ws::encode_frame(
                    ws::OP_CLOSE,
                    &ws::close_payload(ws::CLOSE_NORMAL, ""),
                    None,
                ))
                .await;
        }
    };
    let upstream = {
        let to_client = to_client.clone();
        async move {
            let mut reader = ws::Reader::server(client_r);
            loop {
                match reader.next().await {
                    Ok(Some(Message::Binary(data))) => {
                        if runtime_w.write_all(&data).await.is_err() {
                            break;
                        }
                        let _ = runtime_w.flush().await;
                    }
                    Ok(Some(Message::Ping(p))) => {
                        let _ = to_client
                            .send(ws::encode_frame(ws::OP_PONG, &p, None))
                            .await;
                    }
                    Ok(Some(Message::Close(..))) | Ok(None) | Err(_) => break,
                    Ok(Some(_)) => {}
                }
            }
            let _ = runtime_w.shutdown().await;
        }
    };
    tokio::select! {
        _ = downstream => {}
        _ = upstream => {}
    }
    drop(to_client);
    let _ = client_writer.await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::duplex;

    /// A fake runtime: a SPDY v4 exec server that answers each stream, echoes stdin to
    /// stdout until stdin ends, records resize messages, then writes the exit status.
    async fn fake_runtime<S: AsyncRead + AsyncWrite + Unpin>(io: S, status: &str) -> Vec<String> {
        let (mut r, mut w) = tokio::io::split(io);
        let mut dec = spdy::HeaderDecoder::default();
        let mut enc = spdy::Encoder::default();
        let mut ids = std::collections::HashMap::new();
        let mut log = Vec::new();
        while let Some(f) = spdy::read_frame(&mut r, &mut dec).await.unwrap() {
            match f {
                Frame::SynStream {
                    stream_id, headers, ..
                } => {
                    let kind = headers
                        .iter()
                        .find(|(k, _)| k == "streamtype")
                        .map(|(_, v)| v.clone())
                        .unwrap();
                    ids.insert(kind, stream_id);
                    w.write_all(&enc.syn_reply(stream_id, &[], 0))
                        .await
                        .unwrap();
                }
                Frame::Data {
                    stream_id,
                    flags,
                    data,
                } => {
                    if Some(&stream_id) == ids.get("resize") {
                        log.push(format!("resize {}", String::from_utf8_lossy(&data)));
                    } else if Some(&stream_id) == ids.get("stdin") {
                        if !data.is_empty() {
                            let out = spdy::Encoder::data(ids["stdout"], &data, false);
                            w.write_all(&out).await.unwrap();
                        }
                        if flags & spdy::FLAG_FIN != 0 {
                            log.push("stdin closed".into());
                            if let Some(e) = ids.get("stderr") {
                                w.write_all(&spdy::Encoder::data(*e, b"bye\n", false))
                                    .await
                                    .unwrap();
                            }
                            w.write_all(&spdy::Encoder::data(
                                ids["error"],
                                status.as_bytes(),
                                true,
                            ))
                            .await
                            .unwrap();
                            for id in ids.values() {
                                w.write_all(&spdy::Encoder::rst_stream(*id, spdy::RST_CANCEL))
                                    .await
                                    .unwrap();
                            }
                            w.write_all(&spdy::Encoder::goaway(0, 0)).await.unwrap();
                            w.shutdown().await.unwrap();
                            break;
                        }
                    }
                }
                _ => {}
            }
        }
        let mut kinds: Vec<_> = ids.keys().cloned().collect();
        kinds.sort();
        log.push(format!("streams {}", kinds.join(",")));
        log
    }

    fn client_msg(channel: u8, data: &[u8]) -> Vec<u8> {
        let mut p = vec![channel];
        p.extend_from_slice(data);
        ws::encode_frame(ws::OP_BINARY, &p, Some([9, 8, 7, 6]))
    }

    async fn run(opts: StreamOptions, status: &str) -> (Vec<(u8, Vec<u8>)>, Vec<String>) {
        let (client, agent_client_side) = duplex(1 << 16);
        let (agent_runtime_side, runtime) = duplex(1 << 16);
        let status = status.to_string();
        let runtime = tokio::spawn(async move { fake_runtime(runtime, &status).await });
        let agent = tokio::spawn(exec_v5_over_spdy(
            agent_client_side,
            agent_runtime_side,
            opts,
        ));
        let (cr, mut cw) = tokio::io::split(client);
        if opts.tty {
            cw.write_all(&client_msg(CHANNEL_RESIZE, br#"{"Width":80,"Height":24}"#))
                .await
                .unwrap();
        }
        cw.write_all(&client_msg(CHANNEL_STDIN, b"hello\n"))
            .await
            .unwrap();
        cw.write_all(&ws::encode_frame(ws::OP_PING, b"hb", Some([1, 1, 1, 1])))
            .await
            .unwrap();
        cw.write_all(&client_msg(CHANNEL_CLOSE, &[CHANNEL_STDIN]))
            .await
            .unwrap();
        let mut reader = ws::Reader::client(cr);
        let mut got = Vec::new();
        loop {
            match reader.next().await.unwrap() {
                Some(Message::Binary(d)) => got.push((d[0], d[1..].to_vec())),
                Some(Message::Pong(p)) => got.push((0xfe, p)),
                Some(Message::Close(code, _)) => {
                    got.push((0xff, code.to_be_bytes().to_vec()));
                    break;
                }
                Some(_) => {}
                None => break,
            }
        }
        agent.await.unwrap().unwrap();
        (got, runtime.await.unwrap())
    }

    #[tokio::test]
    async fn v5_exec_with_exit_code() {
        let status = r#"{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [sh -c exit 2], exit code 2","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"2"}]}}"#;
        let opts = StreamOptions {
            stdin: true,
            stdout: true,
            stderr: true,
            tty: false,
        };
        let (mut got, log) = run(opts, status).await;
        // the pong to the client's ping comes in any order
        let pong = got.iter().position(|m| m.0 == 0xfe).expect("a pong");
        assert_eq!(got.remove(pong), (0xfe, b"hb".to_vec()));
        assert_eq!(
            got,
            vec![
                (CHANNEL_STDOUT, b"hello\n".to_vec()),
                (CHANNEL_STDERR, b"bye\n".to_vec()),
                (CHANNEL_ERROR, status.as_bytes().to_vec()),
                (0xff, 1000u16.to_be_bytes().to_vec()),
            ]
        );
        assert_eq!(
            log,
            vec!["stdin closed", "streams error,stderr,stdin,stdout"]
        );
    }

    #[tokio::test]
    async fn v5_tty_resizes_and_no_stderr() {
        let opts = StreamOptions {
            stdin: true,
            stdout: true,
            stderr: true,
            tty: true,
        };
        let (got, log) = run(opts, SUCCESS_STATUS).await;
        assert_eq!(got.last().unwrap().0, 0xff);
        assert!(got.contains(&(CHANNEL_ERROR, SUCCESS_STATUS.as_bytes().to_vec())));
        assert!(!got.iter().any(|(c, _)| *c == CHANNEL_STDERR));
        assert_eq!(
            log,
            vec![
                r#"resize {"Width":80,"Height":24}"#,
                "stdin closed",
                "streams error,resize,stdin,stdout"
            ]
        );
    }

    #[tokio::test]
    async fn tunnel_carries_bytes_both_ways() {
        let (client, agent_client_side) = duplex(1 << 16);
        let (agent_runtime_side, runtime) = duplex(1 << 16);
        let agent = tokio::spawn(tunnel_spdy(agent_client_side, agent_runtime_side));
        let (cr, mut cw) = tokio::io::split(client);
        let (mut rr, mut rw) = tokio::io::split(runtime);
        cw.write_all(&ws::encode_frame(
            ws::OP_BINARY,
            b"\x80\x03\x00\x01",
            Some([5, 5, 5, 5]),
        ))
        .await
        .unwrap();
        let mut buf = [0u8; 4];
        rr.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"\x80\x03\x00\x01");
        rw.write_all(b"reply").await.unwrap();
        let mut reader = ws::Reader::client(cr);
        assert_eq!(
            reader.next().await.unwrap(),
            Some(Message::Binary(b"reply".to_vec()))
        );
        rw.shutdown().await.unwrap();
        drop(rw);
        assert!(matches!(
            reader.next().await.unwrap(),
            Some(Message::Close(1000, _))
        ));
        agent.await.unwrap().unwrap();
    }
}
