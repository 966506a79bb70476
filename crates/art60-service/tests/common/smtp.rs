//! A real SMTP server on loopback for the notification tests: it speaks enough of RFC 5321
//! for lettre (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), keeps every message received, and
//! can be switched "down" (it then answers 421 and closes, as a server out of service) or
//! "slow" (each message moves the tests' clock on before it is accepted).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One message as the server received it, with its subject and body decoded.
#[derive(Debug, Clone)]
pub struct Received {
    pub to: Vec<String>,
    pub raw: String,
    pub subject: String,
    pub body: String,
}

#[derive(Clone)]
pub struct SmtpSink {
    pub addr: SocketAddr,
    messages: Arc<Mutex<Vec<Received>>>,
    down: Arc<AtomicBool>,
    arrived: Arc<tokio::sync::Notify>,
    slow: Arc<Mutex<Option<Slow>>>,
    gate: Arc<Mutex<Option<Arc<tokio::sync::Notify>>>>,
}

/// How long each message takes: `clock` moves on by `per_message` and the answer comes after
/// `real` (so that other tasks run meanwhile).
#[derive(Clone)]
struct Slow {
    clock: Arc<art60_service::FixedClock>,
    per_message: chrono::Duration,
    real: std::time::Duration,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sink = SmtpSink {
            addr: listener.local_addr().unwrap(),
            messages: Arc::default(),
            down: Arc::default(),
            arrived: Arc::default(),
            slow: Arc::default(),
            gate: Arc::default(),
        };
        let s = sink.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    let _ = s.session(sock).await;
                });
            }
        });
        sink
    }

    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    /// Makes each message take `per_message` on `clock` (and `real` in fact).
    pub fn set_slow(
        &self,
        clock: Arc<art60_service::FixedClock>,
        per_message: chrono::Duration,
        real: std::time::Duration,
    ) {
        *self.slow.lock().unwrap() = Some(Slow {
            clock,
            per_message,
            real,
        });
    }

    /// Holds the answer to each message (after it is stored) until `gate` is notified: the
    /// sender is then "in the middle of a send" for as long as a test needs.
    pub fn set_gate(&self, gate: Arc<tokio::sync::Notify>) {
        *self.gate.lock().unwrap() = Some(gate);
    }

    pub fn messages(&self) -> Vec<Received> {
        self.messages.lock().unwrap().clone()
    }

    /// Waits until at least `n` messages arrived (a test bounds it with a timeout).
    pub async fn wait_for(&self, n: usize) {
        while self.messages.lock().unwrap().len() < n {
            self.arrived.notified().await;
        }
    }

    /// Removes and returns what arrived so far.
    pub fn take(&self) -> Vec<Received> {
        std::mem::take(&mut *self.messages.lock().unwrap())
    }

    async fn session(&self, sock: tokio::net::TcpStream) -> std::io::Result<()> {
        let (r, mut w) = sock.into_split();
        let mut lines = BufReader::new(r);
        if self.down.load(Ordering::SeqCst) {
            w.write_all(b"421 sink out of service\r\n").await?;
            return Ok(());
        }
        w.write_all(b"220 sink ESMTP\r\n").await?;
        let mut to = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            if self.down.load(Ordering::SeqCst) {
                w.write_all(b"421 sink out of service\r\n").await?;
                return Ok(());
            }
            let cmd = line.trim_end().to_ascii_uppercase();
            if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
                w.write_all(b"250-sink\r\n250 8BITMIME\r\n").await?;
            } else if cmd.starts_with("MAIL FROM") {
                to.clear();
                w.write_all(b"250 ok\r\n").await?;
            } else if cmd.starts_with("RCPT TO") {
                let addr = line
                    .trim_end()
                    .split_once(':')
                    .map(|(_, a)| a.trim().trim_matches(['<', '>']).to_owned())
                    .unwrap_or_default();
                to.push(addr);
                w.write_all(b"250 ok\r\n").await?;
            } else if cmd == "DATA" {
                w.write_all(b"354 go ahead\r\n").await?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    let l = line.trim_end_matches(['\r', '\n']);
                    if l == "." {
                        break;
                    }
                    data.push_str(l.strip_prefix('.').unwrap_or(l));
                    data.push('\n');
                }
                let slow = self.slow.lock().unwrap().clone();
                if let Some(slow) = slow {
                    use art60_service::Clock;
                    slow.clock.set(slow.clock.now() + slow.per_message);
                    tokio::time::sleep(slow.real).await;
                }
                let (subject, body) = decode(&data);
                self.messages.lock().unwrap().push(Received {
                    to: std::mem::take(&mut to),
                    raw: data,
                    subject,
                    body,
                });
                // A stored permit wakes a waiter that checks just after this push.
                self.arrived.notify_one();
                let gate = self.gate.lock().unwrap().clone();
                if let Some(gate) = gate {
                    gate.notified().await;
                }
                w.write_all(b"250 queued\r\n").await?;
            } else if cmd == "QUIT" {
                w.write_all(b"221 bye\r\n").await?;
                return Ok(());
            } else {
                // RSET, NOOP and the rest.
                w.write_all(b"250 ok\r\n").await?;
            }
        }
    }
}

/// Subject (RFC 2047 words decoded) and body (base64 / quoted-printable decoded).
fn decode(data: &str) -> (String, String) {
    let (head, body) = data.split_once("\n\n").unwrap_or((data, ""));
    // Unfold continuation lines.
    let mut headers: Vec<String> = Vec::new();
    for l in head.lines() {
        if l.starts_with([' ', '\t']) {
            if let Some(last) = headers.last_mut() {
                last.push(' ');
                last.push_str(l.trim());
            }
        } else {
            headers.push(l.to_owned());
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find_map(|h| {
                h.split_once(':')
                    .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_default()
    };
    let subject = decode_words(&header("Subject"));
    let cte = header("Content-Transfer-Encoding").to_ascii_lowercase();
    let body = match cte.as_str() {
        "base64" => String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(body.split_whitespace().collect::<String>())
                .unwrap(),
        )
        .unwrap(),
        "quoted-printable" => quoted_printable(body),
        _ => body.to_owned(),
    };
    (subject, body.replace("\r\n", "\n"))
}

fn decode_words(v: &str) -> String {
    let mut out = String::new();
    let mut last_was_word = false;
    for token in v.split(' ') {
        if let Some(inner) = token.strip_prefix("=?").and_then(|t| t.strip_suffix("?=")) {
            let mut parts = inner.splitn(3, '?');
            let (_charset, enc, text) = (
                parts.next().unwrap(),
                parts.next().unwrap(),
                parts.next().unwrap(),
            );
            let bytes = if enc.eq_ignore_ascii_case("b") {
                base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .unwrap()
            } else {
                quoted_printable(&text.replace('_', " ")).into_bytes()
            };
            if !out.is_empty() && !last_was_word {
                out.push(' ');
            }
            out.push_str(&String::from_utf8(bytes).unwrap());
            last_was_word = true;
        } else {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(token);
            last_was_word = false;
        }
    }
    out
}

fn quoted_printable(s: &str) -> String {
    let mut bytes = Vec::new();
    let mut lines = s.split('\n').peekable();
    while let Some(line) = lines.next() {
        let line = line.trim_end_matches('\r');
        let (line, soft) = match line.strip_suffix('=') {
            Some(l) => (l, true),
            None => (line, false),
        };
        let b = line.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'=' && i + 3 <= b.len() {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
                bytes.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            } else {
                bytes.push(b[i]);
                i += 1;
            }
        }
        if !soft && lines.peek().is_some() {
            bytes.push(b'\n');
        }
    }
    String::from_utf8(bytes).unwrap()
}
