//! The XML tokenizer under the DmfA reader.
//!
//! It gives the events, errors and byte positions of quick-xml 0.38 as the reader configured it
//! before (check_end_names, no text trimming, empty elements not expanded, no `encoding`
//! feature), so the reader's answers, rejections and error locations stay the same. What changes
//! is where the bytes live: quick-xml over a `BufRead` copied every event into a buffer, here the
//! events borrow a sliding window over the input (ranges into [`Scanner::window`]), and the
//! reader's hot zones, a leaf `<Zone>value</Zone>`, are read in one step ([`Scanner::leaf_end`])
//! when they sit whole in the window.
//!
//! Every token is kept whole in the window before it is emitted: the window only drops the bytes
//! before the token being read (and before [`Scanner::keep`]), and grows when a token is longer
//! than the window (as quick-xml's buffer did). Newlines are counted once, in the bytes dropped,
//! so any position still in the window turns into an exact line and column.

use std::cell::Cell;
use std::io::{self, Read};
use std::sync::Arc;

use quick_xml::encoding::EncodingError;
use quick_xml::errors::{Error, IllFormedError, SyntaxError};

/// First size of the window; it grows only for a token longer than that.
const WINDOW: usize = 1 << 18;

/// quick-xml's whitespace (XML `S`): not the form feed that `u8::is_ascii_whitespace` accepts.
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\r' | b'\n' | b'\t')
}

/// An event; ranges index [`Scanner::window`] and hold until the next call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ev {
    /// A start tag (`empty`: `<name/>`), with its name.
    Start {
        name: (usize, usize),
        empty: bool,
    },
    End,
    Text(usize, usize),
    /// `&name;`: the name between `&` and `;`.
    Ref(usize, usize),
    CData(usize, usize),
    /// Comment, processing instruction, XML declaration, DOCTYPE: nothing for the reader.
    Other,
    Eof,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Init,
    Text,
    Markup,
    Ref,
    Done,
}

pub(crate) struct Scanner<R> {
    inner: R,
    buf: Vec<u8>,
    /// Next byte to read, and end of the bytes read, in `buf`.
    pos: usize,
    end: usize,
    eof: bool,
    /// Offset in the input of `buf[0]`.
    base: u64,
    /// Newlines before `buf[0]`, and the offset where the line holding `buf[0]` starts.
    base_lines: u64,
    base_line_start: u64,
    /// Newlines counted in `buf[..upto]` (a cache for reports that go forward in the window).
    counted: Cell<(usize, u64, u64)>,
    /// An offset whose line and column may still be asked for (a zone's text while its element
    /// is read): if the window moves past it, its line and column are worked out first and kept
    /// in `kept`, so a zone holding a huge subtree cannot make the window grow.
    pub(crate) keep: u64,
    kept: Option<(u64, (u64, u64))>,
    /// Where the event being read started (its position may be asked for once it is read).
    event_start: u64,
    state: State,
    /// Names of the open elements, one after another (quick-xml's `opened_buffer`).
    opened: Vec<u8>,
    opened_starts: Vec<usize>,
    /// Open elements whose name has a quote: the fast paths leave the document to the general
    /// one while there is any (a quote in an end tag starts a quoted zone for quick-xml).
    quoted: usize,
}

impl<R: Read> Scanner<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self::with_window(inner, WINDOW)
    }

    /// A scanner whose window starts at `size` bytes (tests use a tiny one to move it often).
    pub(crate) fn with_window(inner: R, size: usize) -> Self {
        Scanner {
            inner,
            buf: vec![0; size.max(1)],
            pos: 0,
            end: 0,
            eof: false,
            base: 0,
            base_lines: 0,
            base_line_start: 0,
            counted: Cell::new((0, 0, 0)),
            keep: u64::MAX,
            kept: None,
            event_start: 0,
            state: State::Init,
            opened: Vec::with_capacity(256),
            opened_starts: Vec::with_capacity(16),
            quoted: 0,
        }
    }

    /// The bytes the events' ranges index.
    #[inline]
    pub(crate) fn window(&self) -> &[u8] {
        &self.buf[..self.end]
    }

    /// Lends the window's bytes out (ranges stay valid) until [`Self::return_window`]; the
    /// scanner must not be used meanwhile.
    #[inline]
    pub(crate) fn lend_window(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }

    #[inline]
    pub(crate) fn return_window(&mut self, buf: Vec<u8>) {
        self.buf = buf;
    }

    /// Size of the window now (tests: it grows only for a long token).
    #[cfg(test)]
    pub(crate) fn window_capacity(&self) -> usize {
        self.buf.len()
    }

    /// Bytes consumed so far.
    #[inline]
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// 1-based line and byte column of an offset still in the window (the current token, or
    /// [`Self::keep`]); an older one resolves to the start of the window.
    pub(crate) fn line_col(&self, at: u64) -> (u64, u64) {
        if let Some((k, lc)) = self.kept
            && k == at
            && at < self.base
        {
            return lc;
        }
        let Some(i) = at.checked_sub(self.base) else {
            return (self.base_lines + 1, self.base - self.base_line_start + 1);
        };
        let i = (i as usize).min(self.end);
        let counted = self.counted.get();
        let (from, mut lines, mut line_start) = if i >= counted.0 {
            counted
        } else {
            (0, 0, self.base_line_start)
        };
        for nl in memchr::memchr_iter(b'\n', &self.buf[from..i]) {
            lines += 1;
            line_start = self.base + (from + nl) as u64 + 1;
        }
        self.counted.set((i, lines, line_start));
        (self.base_lines + lines + 1, at - line_start + 1)
    }

    /// Reads more input after `end`, first dropping the bytes before the token that starts at
    /// `pos` (and before `keep`). Returns the number of bytes the window moved by, or None at
    /// the end of the input.
    fn more(&mut self) -> io::Result<Option<usize>> {
        if self.eof {
            return Ok(None);
        }
        let mut drop = self.pos;
        if let Some(k) = self.event_start.checked_sub(self.base) {
            drop = drop.min(k as usize);
        }
        if let Some(k) = self.keep.checked_sub(self.base)
            && (k as usize) < drop
            && self.kept.is_none_or(|(o, _)| o != self.keep)
        {
            self.kept = Some((self.keep, self.line_col(self.keep)));
        }
        if drop > 0 {
            let counted = self.counted.get();
            let (from, mut lines, mut line_start) = if drop >= counted.0 {
                counted
            } else {
                (0, 0, self.base_line_start)
            };
            let seg = &self.buf[from..drop];
            let n = memchr::memchr_iter(b'\n', seg).count() as u64;
            if n > 0 {
                lines += n;
                // memrchr finds one since n > 0.
                if let Some(last) = memchr::memrchr(b'\n', seg) {
                    line_start = self.base + (from + last) as u64 + 1;
                }
            }
            self.base_lines += lines;
            self.base_line_start = line_start;
            self.buf.copy_within(drop..self.end, 0);
            self.base += drop as u64;
            self.pos -= drop;
            self.end -= drop;
            self.counted.set((0, 0, self.base_line_start));
        }
        if self.end == self.buf.len() {
            let len = self.buf.len();
            self.buf.resize(len * 2, 0);
        }
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(None);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(Some(drop));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Open elements.
    #[inline]
    pub(crate) fn depth(&self) -> usize {
        self.opened_starts.len()
    }

    /// Finds, from `pos + from`, the first byte `find` accepts in the window, reading more as
    /// needed; `find` gets the bytes from `pos` and where to start, and returns an index in them.
    /// Returns the index relative to `pos`, or None at the end of the input.
    #[inline]
    fn search(
        &mut self,
        mut from: usize,
        mut find: impl FnMut(&[u8], usize) -> Option<usize>,
    ) -> io::Result<Option<usize>> {
        loop {
            let b = &self.buf[self.pos..self.end];
            if let Some(i) = find(b, from.min(b.len())) {
                return Ok(Some(i));
            }
            // The next search goes on from here: a token arriving in many small reads is
            // scanned once, not again from its start on every read (finders keep their state).
            from = b.len();
            if self.more()?.is_none() {
                return Ok(None);
            }
        }
    }

    /// The next event, as quick-xml's `read_event_into` gives it.
    pub(crate) fn next(&mut self) -> Result<Ev, Error> {
        self.event_start = self.offset();
        match self.next_inner() {
            Ok(ev) => Ok(ev),
            Err(e) => {
                self.state = State::Done;
                Err(e)
            }
        }
    }

    fn next_inner(&mut self) -> Result<Ev, Error> {
        loop {
            match self.state {
                State::Init => {
                    while self.end - self.pos < 3 && self.more().map_err(io_err)?.is_some() {}
                    if self.buf[self.pos..self.end].starts_with(b"\xEF\xBB\xBF") {
                        self.pos += 3;
                    }
                    self.state = State::Text;
                }
                State::Text => {
                    let found = self
                        .search(0, |b, from| {
                            memchr::memchr2(b'<', b'&', &b[from..]).map(|i| from + i)
                        })
                        .map_err(io_err)?;
                    let start = self.pos;
                    match found {
                        None => {
                            self.state = State::Done;
                            self.pos = self.end;
                            return Ok(if self.end == start {
                                Ev::Eof
                            } else {
                                Ev::Text(start, self.end)
                            });
                        }
                        Some(0) if self.buf[start] == b'<' => {
                            self.pos += 1;
                            self.state = State::Markup;
                        }
                        Some(0) => self.state = State::Ref,
                        Some(i) if self.buf[start + i] == b'<' => {
                            self.pos = start + i + 1;
                            self.state = State::Markup;
                            return Ok(Ev::Text(start, start + i));
                        }
                        Some(i) => {
                            self.pos = start + i;
                            self.state = State::Ref;
                            return Ok(Ev::Text(start, start + i));
                        }
                    }
                }
                State::Ref => {
                    // At `&`.
                    let found = self
                        .search(1, |b, from| {
                            memchr::memchr3(b';', b'&', b'<', &b[from..]).map(|i| from + i)
                        })
                        .map_err(io_err)?;
                    let start = self.pos;
                    match found {
                        None => {
                            self.pos = self.end;
                            return Err(IllFormedError::UnclosedReference.into());
                        }
                        Some(i) => match self.buf[start + i] {
                            b';' => {
                                self.pos = start + i + 1;
                                self.state = State::Text;
                                return Ok(Ev::Ref(start + 1, start + i));
                            }
                            b'&' => {
                                self.pos = start + i;
                                return Err(IllFormedError::UnclosedReference.into());
                            }
                            _ => {
                                self.pos = start + i + 1;
                                self.state = State::Markup;
                                return Err(IllFormedError::UnclosedReference.into());
                            }
                        },
                    }
                }
                State::Markup => return self.markup(),
                State::Done => return Ok(Ev::Eof),
            }
        }
    }

    /// After `<`: quick-xml's `read_until_close`.
    fn markup(&mut self) -> Result<Ev, Error> {
        self.state = State::Text;
        if self.pos == self.end && self.more().map_err(io_err)?.is_none() {
            return Err(SyntaxError::UnclosedTag.into());
        }
        match self.buf[self.pos] {
            b'!' => self.bang(),
            b'/' => {
                let Some(i) = self.search(0, element_end()).map_err(io_err)? else {
                    self.pos = self.end;
                    return Err(SyntaxError::UnclosedTag.into());
                };
                let start = self.pos;
                self.pos = start + i + 1;
                self.end_tag(start + 1, start + i)
            }
            b'?' => {
                let Some(i) = self.search(1, pi_end).map_err(io_err)? else {
                    self.pos = self.end;
                    return Err(SyntaxError::UnclosedPIOrXmlDecl.into());
                };
                // The content is `?...` up to the `>`; a PI needs a `?` of its own before it.
                self.pos += i + 1;
                if i > 1 {
                    Ok(Ev::Other)
                } else {
                    Err(SyntaxError::UnclosedPIOrXmlDecl.into())
                }
            }
            _ => {
                let Some(i) = self.search(0, element_end()).map_err(io_err)? else {
                    self.pos = self.end;
                    return Err(SyntaxError::UnclosedTag.into());
                };
                let start = self.pos;
                self.pos = start + i + 1;
                let (content_end, empty) = if i > 0 && self.buf[start + i - 1] == b'/' {
                    (start + i - 1, true)
                } else {
                    (start + i, false)
                };
                let name_end = self.buf[start..content_end]
                    .iter()
                    .position(|&b| is_ws(b))
                    .map_or(content_end, |n| start + n);
                if !empty {
                    if has_quote(&self.buf[start..name_end]) {
                        self.quoted += 1;
                    }
                    self.opened_starts.push(self.opened.len());
                    self.opened.extend_from_slice(&self.buf[start..name_end]);
                }
                Ok(Ev::Start {
                    name: (start, name_end),
                    empty,
                })
            }
        }
    }

    /// `</...>` read, its content (after `/`, before `>`) at `from..to`: quick-xml's `emit_end`.
    fn end_tag(&mut self, from: usize, to: usize) -> Result<Ev, Error> {
        let content = &self.buf[from..to];
        let name = match content.iter().rposition(|&b| !is_ws(b)) {
            Some(p) => &content[..p + 1],
            None => content,
        };
        match self.opened_starts.pop() {
            Some(start) => {
                let expected = &self.opened[start..];
                if name != expected {
                    let e = IllFormedError::MismatchedEndTag {
                        expected: decode_or_default(expected),
                        found: decode_or_default(name),
                    };
                    self.opened.truncate(start);
                    return Err(e.into());
                }
                if self.quoted > 0 && has_quote(expected) {
                    self.quoted -= 1;
                }
                self.opened.truncate(start);
                Ok(Ev::End)
            }
            None => Err(IllFormedError::UnmatchedEndTag(decode_or_default(name)).into()),
        }
    }

    /// `<!`: comment, CDATA or DOCTYPE (quick-xml's `read_bang_element` and `emit_bang`).
    fn bang(&mut self) -> Result<Ev, Error> {
        // The `!` is consumed whatever comes next.
        self.pos += 1;
        if self.pos == self.end && self.more().map_err(io_err)?.is_none() {
            return Err(SyntaxError::InvalidBangMarkup.into());
        }
        let kind = self.buf[self.pos];
        let found = match kind {
            b'[' => self.search(0, cdata_end),
            b'-' => self.search(0, comment_end),
            b'D' | b'd' => self.search(0, doctype_end()),
            _ => return Err(SyntaxError::InvalidBangMarkup.into()),
        }
        .map_err(io_err)?;
        let unclosed = match kind {
            b'[' => SyntaxError::UnclosedCData,
            b'-' => SyntaxError::UnclosedComment,
            _ => SyntaxError::UnclosedDoctype,
        };
        let Some(i) = found else {
            self.pos = self.end;
            return Err(unclosed.into());
        };
        // `!` and the bytes up to the `>`.
        let start = self.pos - 1;
        let content = start..self.pos + i;
        self.pos += i + 1;
        let c = &self.buf[content.clone()];
        match kind {
            b'-' if c.starts_with(b"!--") => Ok(Ev::Other),
            b'[' if c.starts_with(b"![CDATA[") => Ok(Ev::CData(content.start + 8, content.end - 2)),
            b'D' | b'd' if c.len() >= 8 && c[..8].eq_ignore_ascii_case(b"!DOCTYPE") => {
                if c[8..].iter().all(|&b| is_ws(b)) {
                    Err(IllFormedError::MissingDoctypeName.into())
                } else {
                    Ok(Ev::Other)
                }
            }
            _ => Err(unclosed.into()),
        }
    }

    /// Fast path between elements: when the window holds, from here, whitespace (or nothing)
    /// then a plain start tag `<Name>` (no attribute, no quote) or the end tag of the innermost
    /// open element `</Name>`, reads them and returns the tag. Exactly what the events `Text`
    /// (whitespace only, which the reader ignores) and `Start` or `End` would have given, the
    /// position included (after the `<` when whitespace came first, as quick-xml); otherwise
    /// reads nothing.
    #[inline]
    pub(crate) fn fast_tag(&mut self) -> Option<FastTag> {
        if self.state != State::Text || self.quoted > 0 {
            return None;
        }
        let b = &self.buf[self.pos..self.end];
        // The indentation before a tag is a newline and a few tabs: the first byte that is not
        // XML whitespace, found in one word when it is among the first eight.
        let mut i = match word(b, 0) {
            Some(w) => {
                let ws =
                    exactly(w, b' ') | exactly(w, b'\t') | exactly(w, b'\n') | exactly(w, b'\r');
                let other = !ws & HI;
                if other != 0 { first(other) } else { 8 }
            }
            None => 0,
        };
        while i < b.len() && is_ws(b[i]) {
            i += 1;
        }
        if *b.get(i)? != b'<' {
            return None;
        }
        let lead = *b.get(i + 1)?;
        if lead == b'/' {
            let top = *self.opened_starts.last()?;
            let name = &self.opened[top..];
            let tag = b.get(i + 2..i + 3 + name.len())?;
            if !same(&tag[..name.len()], name) || tag[name.len()] != b'>' {
                return None;
            }
            self.pos += i + 3 + name.len();
            self.opened.truncate(top);
            self.opened_starts.pop();
            return Some(FastTag::End);
        }
        if matches!(lead, b'!' | b'?') {
            return None;
        }
        let start = i + 1;
        // The name up to `>`, eight bytes at a time: anything else that could end it or make
        // the tag unusual (whitespace and other control bytes, `/`, quotes) leaves the tag to
        // the general path, which gives the same events.
        let mut j = start;
        loop {
            let Some(w) = word(b, j) else {
                match *b.get(j)? {
                    b'>' => break,
                    0..b'0' => return None,
                    _ => {
                        j += 1;
                        continue;
                    }
                }
            };
            // Below '0': whitespace, control bytes, quotes and '/' (and '-', '.', which the
            // DmfA's names do not use: the general path reads such a name just as well).
            let m = eq_bytes(w, b'>') | below(w, b'0');
            if m == 0 {
                j += 8;
                continue;
            }
            j += first(m);
            if b[j] == b'>' {
                break;
            }
            return None;
        }
        let (a, z) = (self.pos + start, self.pos + j);
        // Where quick-xml's `Start` event began: at the `<`, or after it when a text event
        // (the whitespace) came first.
        let at = self.base + (self.pos + i + usize::from(i > 0)) as u64;
        self.pos += j + 1;
        self.opened_starts.push(self.opened.len());
        self.opened.extend_from_slice(&self.buf[a..z]);
        Some(FastTag::Start { name: (a, z), at })
    }

    /// Fast path of a leaf: just after a start tag (no text read yet), when the element's text
    /// has neither `<` nor `&` and is followed by the matching end tag, all in the window,
    /// reads both and returns the text's range. Exactly what the events `Text` (when not empty)
    /// and `End` would have given; otherwise reads nothing.
    #[inline]
    pub(crate) fn leaf_end(&mut self) -> Option<(usize, usize)> {
        if self.state != State::Text || self.quoted > 0 {
            return None;
        }
        let start = self.pos;
        let b = &self.buf[start..self.end];
        // Zone values are a few bytes: eight at a time beats a memchr call here.
        let mut i = 0;
        let i = loop {
            let Some(w) = word(b, i) else {
                break i + memchr::memchr2(b'<', b'&', &b[i..])?;
            };
            let m = eq_bytes(w, b'<') | eq_bytes(w, b'&');
            if m != 0 {
                break i + first(m);
            }
            i += 8;
        };
        let top = *self.opened_starts.last()?;
        let name = &self.opened[top..];
        let tag = b.get(i..i + name.len() + 3)?;
        if tag[0] != b'<'
            || tag[1] != b'/'
            || !same(&tag[2..2 + name.len()], name)
            || tag[2 + name.len()] != b'>'
        {
            return None;
        }
        self.pos = start + i + name.len() + 3;
        self.opened.truncate(top);
        self.opened_starts.pop();
        Some((start, start + i))
    }
}

/// What [`Scanner::fast_tag`] read; the name's range indexes [`Scanner::window`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FastTag {
    /// A start tag: its name, and the position quick-xml's event would start at.
    Start {
        name: (usize, usize),
        at: u64,
    },
    End,
}

// Eight bytes at a time in a u64 (SWAR; no `unsafe`, no SIMD intrinsics). Each mask has the high
// bit of a byte set where the byte matches; only its lowest set bit is exact (a borrow can mark
// a byte above a match), which is all `first` uses.
const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// The eight bytes at `i`, first byte lowest.
#[inline(always)]
fn word(b: &[u8], i: usize) -> Option<u64> {
    let s: [u8; 8] = b.get(i..i.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(s))
}

#[inline(always)]
fn eq_bytes(w: u64, c: u8) -> u64 {
    let x = w ^ (LO * u64::from(c));
    x.wrapping_sub(LO) & !x & HI
}

/// Bytes equal to `c`, every one of them (no borrow between bytes: each byte's low seven bits
/// are added without carrying into the next byte).
#[inline(always)]
fn exactly(w: u64, c: u8) -> u64 {
    let x = w ^ (LO * u64::from(c));
    !(((x & !HI) + !HI) | x) & HI
}

/// Bytes below `n` (`n` <= 128).
#[inline(always)]
fn below(w: u64, n: u8) -> u64 {
    w.wrapping_sub(LO * u64::from(n)) & !w & HI
}

/// Index of the first marked byte of a non-zero mask.
#[inline(always)]
fn first(m: u64) -> usize {
    (m.trailing_zeros() / 8) as usize
}

/// Equal names, compared eight bytes at a time (no memcmp call for a dozen bytes).
#[inline(always)]
fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n < 8 {
        return a == b;
    }
    let mut i = 0;
    while i + 8 < n {
        if word(a, i) != word(b, i) {
            return false;
        }
        i += 8;
    }
    // The last eight bytes (overlapping the ones before when n is not a multiple of 8).
    word(a, n - 8) == word(b, n - 8)
}

fn has_quote(name: &[u8]) -> bool {
    name.iter().any(|&c| c == b'\'' || c == b'"')
}

/// A `>` outside quotes (quick-xml's `ElementParser`); the bytes start after `<`. The quote
/// state carries over from one call to the next.
fn element_end() -> impl FnMut(&[u8], usize) -> Option<usize> {
    let mut quote = 0u8;
    move |b, from| {
        for i in memchr::memchr3_iter(b'>', b'\'', b'"', &b[from..]) {
            let i = from + i;
            let c = b[i];
            if quote == 0 {
                match c {
                    b'>' => return Some(i),
                    _ => quote = c,
                }
            } else if c == quote {
                quote = 0;
            }
        }
        None
    }
}

/// `?>` where the `?` may be the opening one; the bytes start at that `?`.
fn pi_end(b: &[u8], from: usize) -> Option<usize> {
    let from = from.max(1);
    memchr::memchr_iter(b'>', &b[from..])
        .map(|i| i + from)
        .find(|&i| b[i - 1] == b'?')
}

/// The bytes start after `<!` (at `[`); the first `>` after `]]` (quick-xml's `BangType::CData`).
fn cdata_end(b: &[u8], from: usize) -> Option<usize> {
    memchr::memchr_iter(b'>', &b[from..])
        .map(|i| i + from)
        .find(|&i| i >= 2 && &b[i - 2..i] == b"]]")
}

/// The bytes start after `<!` (at `-`): the first `>` after `--` with at least `!---` before
/// it, counting the `!` (quick-xml's `BangType::Comment`).
fn comment_end(b: &[u8], from: usize) -> Option<usize> {
    memchr::memchr_iter(b'>', &b[from..])
        .map(|i| i + from)
        .find(|&i| 1 + i > 4 && &b[i - 2..i] == b"--")
}

/// The bytes start after `<!` (at `D`): the `>` that balances the `<` seen so far (the balance
/// carries over from one call to the next).
fn doctype_end() -> impl FnMut(&[u8], usize) -> Option<usize> {
    let mut balance = 0i32;
    move |b, from| {
        for i in memchr::memchr2_iter(b'<', b'>', &b[from..]) {
            let i = from + i;
            if b[i] == b'<' {
                balance += 1;
            } else if balance == 0 {
                return Some(i);
            } else {
                balance -= 1;
            }
        }
        None
    }
}

fn io_err(e: io::Error) -> Error {
    Error::Io(Arc::new(e))
}

/// quick-xml decodes names for its messages and puts an empty string for bytes that are not
/// UTF-8.
fn decode_or_default(b: &[u8]) -> String {
    std::str::from_utf8(b)
        .map(str::to_owned)
        .unwrap_or_default()
}

/// quick-xml's error for a skipped element whose end tag never came.
pub(crate) fn missed_end(name: &[u8]) -> Error {
    match std::str::from_utf8(name) {
        Ok(n) => IllFormedError::MissingEndTag(n.to_owned()).into(),
        Err(e) => Error::Encoding(EncodingError::Utf8(e)),
    }
}
