//! Message framing on a TCP socket: splits the byte stream into frames,
//! decodes them with pgwire's message types and buffers outgoing messages.
//!
//! Framing is done here rather than by pgwire's decoder so that a frame is
//! always cut to its declared length before it is parsed: a malformed body
//! can then never desynchronise the stream or read into the next message, and
//! any panic in the third-party body parser is contained to that one frame.

use std::panic::{catch_unwind, AssertUnwindSafe};

use bytes::{Buf, BytesMut};
use pgwire::messages::cancel::CancelRequest;
use pgwire::messages::startup::{GssEncRequest, SslRequest, Startup};
use pgwire::messages::{
    DecodeContext, Message, PgWireBackendMessage, PgWireFrontendMessage, ProtocolVersion,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use rangedb_sqltypes::{SqlError, SqlState};

use crate::error::ConnectionError;

/// Largest startup-phase packet accepted (PostgreSQL's `MAX_STARTUP_PACKET_LENGTH`).
const MAX_STARTUP_PACKET: usize = 10_000;
/// Largest regular message accepted (PostgreSQL's `PQ_LARGE_MESSAGE_LIMIT`).
const MAX_MESSAGE: usize = 0x3fff_ffff;
/// Outgoing bytes buffered before a write is forced even without a flush
/// point, so that large results stream instead of piling up in memory.
const WRITE_HIGH_WATER: usize = 64 * 1024;

/// A packet of the startup phase (no type byte, identified by its code).
#[derive(Debug)]
pub(crate) enum StartupPacket {
    /// SSLRequest: answered with `N` (no TLS yet).
    Ssl,
    /// GSSENCRequest: answered with `N`.
    Gss,
    /// A CancelRequest on a fresh connection.
    Cancel(CancelRequest),
    /// The StartupMessage proper.
    Startup(Startup),
}

/// One client socket with its read and write buffers.
pub(crate) struct Wire {
    stream: TcpStream,
    rbuf: BytesMut,
    wbuf: BytesMut,
}

impl Wire {
    /// Wraps an accepted socket.
    pub(crate) fn new(stream: TcpStream) -> Wire {
        Wire {
            stream,
            rbuf: BytesMut::with_capacity(8 * 1024),
            wbuf: BytesMut::with_capacity(8 * 1024),
        }
    }

    /// Reads the next startup-phase packet; `None` on a clean EOF.
    pub(crate) async fn read_startup(&mut self) -> Result<Option<StartupPacket>, ConnectionError> {
        loop {
            if self.rbuf.len() >= 4 {
                let len = (&self.rbuf[..4]).get_i32();
                if !(8..=MAX_STARTUP_PACKET as i32).contains(&len) {
                    return Err(ConnectionError::Protocol(format!(
                        "invalid startup packet length {len}"
                    )));
                }
                let len = len as usize;
                if self.rbuf.len() >= len {
                    let frame = self.rbuf.split_to(len);
                    return decode_startup(frame).map(Some);
                }
            }
            if !self.fill().await? {
                return self.eof();
            }
        }
    }

    /// Reads the next regular (typed) message; `None` on a clean EOF between
    /// messages.
    pub(crate) async fn read(&mut self) -> Result<Option<PgWireFrontendMessage>, ConnectionError> {
        loop {
            if self.rbuf.len() >= 5 {
                let len = (&self.rbuf[1..5]).get_i32();
                if !(4..=MAX_MESSAGE as i32).contains(&len) {
                    return Err(ConnectionError::Protocol(format!(
                        "invalid length {len} for message type {:?}",
                        self.rbuf[0] as char
                    )));
                }
                let total = 1 + len as usize;
                if self.rbuf.len() >= total {
                    let frame = self.rbuf.split_to(total);
                    return decode_message(frame).map(Some);
                }
                self.rbuf.reserve(total - self.rbuf.len());
            }
            if !self.fill().await? {
                return self.eof();
            }
        }
    }

    /// Whether the messages the client has already sent, after the one just
    /// read, hold another Execute before the next Sync: `Some(true)` if so,
    /// `Some(false)` if a Sync comes first, `None` if neither is buffered
    /// yet. Only complete frames in the read buffer are looked at; nothing
    /// is consumed.
    pub(crate) fn execute_before_sync(&self) -> Option<bool> {
        let mut at = 0;
        while self.rbuf.len() >= at + 5 {
            let len = (&self.rbuf[at + 1..at + 5]).get_i32();
            if len < 4 {
                return None;
            }
            match self.rbuf[at] {
                b'S' => return Some(false),
                b'E' => return Some(true),
                _ => at += 1 + len as usize,
            }
        }
        None
    }

    /// What EOF means here: a clean close between messages, or a client that
    /// vanished in the middle of one.
    fn eof<T>(&self) -> Result<Option<T>, ConnectionError> {
        if self.rbuf.is_empty() {
            Ok(None)
        } else {
            Err(ConnectionError::UnexpectedEof)
        }
    }

    /// Flushes pending output, then reads more bytes; false on EOF. Flushing
    /// before blocking means a client never waits for output we hold.
    async fn fill(&mut self) -> Result<bool, ConnectionError> {
        self.flush().await?;
        let n = self.stream.read_buf(&mut self.rbuf).await?;
        Ok(n > 0)
    }

    /// Queues a message; writes out when the buffer grows large.
    pub(crate) async fn send(
        &mut self,
        message: PgWireBackendMessage,
    ) -> Result<(), ConnectionError> {
        let mark = self.wbuf.len();
        if let Err(e) = message.encode(&mut self.wbuf) {
            // Drop any partial bytes so the stream stays well-formed.
            self.wbuf.truncate(mark);
            return Err(ConnectionError::Encode {
                what: message_name(&message),
                reason: e.to_string(),
            });
        }
        if self.wbuf.len() >= WRITE_HIGH_WATER {
            self.flush().await?;
        }
        Ok(())
    }

    /// Writes out everything queued.
    pub(crate) async fn flush(&mut self) -> Result<(), ConnectionError> {
        // write_buf advances past what was written, so a flush cancelled by
        // shutdown never resends bytes.
        while !self.wbuf.is_empty() {
            if self.stream.write_buf(&mut self.wbuf).await? == 0 {
                return Err(std::io::Error::from(std::io::ErrorKind::WriteZero).into());
            }
        }
        Ok(())
    }

    /// Flushes and shuts the write side down (best effort).
    pub(crate) async fn close(&mut self) {
        let _ = self.flush().await;
        let _ = self.stream.shutdown().await;
    }
}

fn decode_startup(mut frame: BytesMut) -> Result<StartupPacket, ConnectionError> {
    if SslRequest::is_ssl_request_packet(&frame) {
        return Ok(StartupPacket::Ssl);
    }
    if GssEncRequest::is_gss_enc_request_packet(&frame) {
        return Ok(StartupPacket::Gss);
    }
    // Cancel keys are only ever issued in protocol 3.0 form (4 bytes).
    let ctx = DecodeContext::new(ProtocolVersion::PROTOCOL3_0);
    let cancel = CancelRequest::is_cancel_request_packet(&frame);
    let decoded = contained(|| {
        if cancel {
            CancelRequest::decode(&mut frame, &ctx).map(|m| m.map(StartupPacket::Cancel))
        } else {
            Startup::decode(&mut frame, &ctx).map(|m| m.map(StartupPacket::Startup))
        }
    })?;
    decoded.ok_or_else(|| ConnectionError::Protocol("truncated startup packet".into()))
}

/// The 22021 error for a Query or Parse body that is not UTF-8 (pgwire
/// would decode it lossily, silently turning the bad bytes into U+FFFD
/// inside the statement), naming the offending bytes as PostgreSQL does.
fn invalid_text(frame: &[u8]) -> Option<ConnectionError> {
    let kind = *frame.first()?;
    if !matches!(kind, b'Q' | b'P') {
        return None;
    }
    let body = frame.get(5..)?;
    let bad = std::str::from_utf8(body).err()?;
    let start = bad.valid_up_to();
    let len = bad.error_len().unwrap_or(body.len() - start).clamp(1, 4);
    let bytes: Vec<String> = body[start..start + len]
        .iter()
        .map(|b| format!("0x{b:02x}"))
        .collect();
    Some(ConnectionError::InvalidText {
        kind: kind as char,
        error: SqlError::new(
            SqlState("22021"),
            format!(
                "invalid byte sequence for encoding \"UTF8\": {}",
                bytes.join(" ")
            ),
        ),
    })
}

fn decode_message(mut frame: BytesMut) -> Result<PgWireFrontendMessage, ConnectionError> {
    if let Some(err) = invalid_text(&frame) {
        return Err(err);
    }
    let mut ctx = DecodeContext::new(ProtocolVersion::PROTOCOL3_0);
    ctx.awaiting_frontend_ssl = false;
    ctx.awaiting_frontend_startup = false;
    let kind = frame[0] as char;
    let decoded = contained(|| PgWireFrontendMessage::decode(&mut frame, &ctx))?;
    decoded.ok_or_else(|| ConnectionError::Protocol(format!("truncated message of type {kind:?}")))
}

/// Runs a pgwire decoder on one isolated frame. Its body parsers index the
/// buffer without bounds checks on some malformed inputs; a panic there is a
/// protocol violation by the client, not a server bug worth dying for.
fn contained<T>(
    decode: impl FnOnce() -> Result<Option<T>, pgwire::error::PgWireError>,
) -> Result<Option<T>, ConnectionError> {
    match catch_unwind(AssertUnwindSafe(decode)) {
        Ok(Ok(message)) => Ok(message),
        Ok(Err(e)) => Err(ConnectionError::Protocol(e.to_string())),
        Err(_) => Err(ConnectionError::Protocol("malformed message body".into())),
    }
}

fn message_name(message: &PgWireBackendMessage) -> &'static str {
    match message {
        PgWireBackendMessage::RowDescription(_) => "RowDescription",
        PgWireBackendMessage::DataRow(_) => "DataRow",
        PgWireBackendMessage::CommandComplete(_) => "CommandComplete",
        PgWireBackendMessage::ErrorResponse(_) => "ErrorResponse",
        PgWireBackendMessage::ParameterStatus(_) => "ParameterStatus",
        PgWireBackendMessage::CopyData(_) => "CopyData",
        PgWireBackendMessage::CopyInResponse(_) => "CopyInResponse",
        PgWireBackendMessage::CopyOutResponse(_) => "CopyOutResponse",
        PgWireBackendMessage::ParameterDescription(_) => "ParameterDescription",
        _ => "message",
    }
}
