//! A byte-level PostgreSQL client for checks drivers do not expose
//! (ReadyForQuery status, pipelines with errors, malformed messages).

#![allow(dead_code)]

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub struct Raw {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

/// A frame: type byte and body.
pub type Msg = (u8, Vec<u8>);

pub fn frame(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    out.extend_from_slice(&((body.len() + 4) as i32).to_be_bytes());
    out.extend_from_slice(body);
    out
}

pub fn cstr(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

pub fn query(sql: &str) -> Vec<u8> {
    frame(b'Q', &cstr(sql))
}

pub fn parse(name: &str, sql: &str) -> Vec<u8> {
    let mut body = cstr(name);
    body.extend(cstr(sql));
    body.extend(0u16.to_be_bytes());
    frame(b'P', &body)
}

pub fn bind(portal: &str, stmt: &str) -> Vec<u8> {
    let mut body = cstr(portal);
    body.extend(cstr(stmt));
    body.extend(0u16.to_be_bytes()); // param formats
    body.extend(0u16.to_be_bytes()); // params
    body.extend(0u16.to_be_bytes()); // result formats
    frame(b'B', &body)
}

pub fn execute(portal: &str, max_rows: i32) -> Vec<u8> {
    let mut body = cstr(portal);
    body.extend(max_rows.to_be_bytes());
    frame(b'E', &body)
}

pub fn sync() -> Vec<u8> {
    frame(b'S', &[])
}

impl Raw {
    /// Connects and completes startup as `user` on `database`.
    pub async fn connect(addr: SocketAddr, database: &str) -> (Raw, Vec<Msg>) {
        let stream = TcpStream::connect(addr).await.unwrap();
        let mut raw = Raw {
            stream,
            buf: Vec::new(),
        };
        let mut body = 196_608i32.to_be_bytes().to_vec();
        for (k, v) in [("user", "root"), ("database", database)] {
            body.extend(cstr(k));
            body.extend(cstr(v));
        }
        body.push(0);
        let mut packet = ((body.len() + 4) as i32).to_be_bytes().to_vec();
        packet.extend(body);
        raw.send(&packet).await;
        let msgs = raw.until_ready().await;
        (raw, msgs)
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    /// The next message, or `None` when the server closed the socket.
    pub async fn recv(&mut self) -> Option<Msg> {
        loop {
            if self.buf.len() >= 5 {
                let len = i32::from_be_bytes(self.buf[1..5].try_into().unwrap()) as usize;
                if self.buf.len() > len {
                    let tag = self.buf[0];
                    let body = self.buf[5..1 + len].to_vec();
                    self.buf.drain(..1 + len);
                    return Some((tag, body));
                }
            }
            let mut chunk = [0u8; 4096];
            let n = match self.stream.read(&mut chunk).await {
                Ok(n) => n,
                Err(_) => return None,
            };
            if n == 0 {
                return None;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Messages up to and including ReadyForQuery (or until EOF).
    pub async fn until_ready(&mut self) -> Vec<Msg> {
        let mut out = Vec::new();
        while let Some(msg) = self.recv().await {
            let done = msg.0 == b'Z';
            out.push(msg);
            if done {
                break;
            }
        }
        out
    }
}

/// The ReadyForQuery status byte of a reply.
pub fn ready_status(msgs: &[Msg]) -> Option<u8> {
    msgs.iter().rev().find(|m| m.0 == b'Z').map(|m| m.1[0])
}

/// The SQLSTATE of the first ErrorResponse of a reply.
pub fn error_code(msgs: &[Msg]) -> Option<String> {
    let (_, body) = msgs.iter().find(|m| m.0 == b'E')?;
    let mut i = 0;
    while i < body.len() && body[i] != 0 {
        let field = body[i];
        let end = body[i + 1..].iter().position(|b| *b == 0)? + i + 1;
        if field == b'C' {
            return Some(String::from_utf8_lossy(&body[i + 1..end]).into_owned());
        }
        i = end + 1;
    }
    None
}

pub fn tags(msgs: &[Msg]) -> Vec<u8> {
    msgs.iter().map(|m| m.0).collect()
}
