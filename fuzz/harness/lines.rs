//! A strict, independent parser of logbuf's text console output (the
//! README's "Line format"): every line is split into the console's prefix
//! and a body whose first character says what the line is (`|` a
//! continuation, `!` logbuf's own line, anything else a record's first
//! line), escapes are undone, and consecutive lines are grouped into the
//! records they belong to. Used by the logger fuzz harness and by
//! `tests/one_record_one_line.rs`; anything it cannot parse is an error.

use logbuf::console::LineFormat;
use logbuf::sinks::TextMode;

/// The panic-takeover replay marker (a line of its own, no prefix).
pub const MARKER: &[u8] = b"! logbuf: output cut by panic takeover; record replayed:";

/// What one console line is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The first line of a record; the body is its (escaped) text.
    First,
    /// A continuation of the record above.
    Continuation,
    /// A "N messages dropped" notice.
    Notice(u64),
    /// The replay marker.
    Marker,
}

/// One parsed line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The prefix exactly as printed.
    pub prefix: Vec<u8>,
    /// The level field (`"WARN "`), if the format shows it.
    pub level: Option<String>,
    /// The context name, if the format shows it.
    pub context: Option<String>,
    pub kind: Kind,
    /// The text after the body mark, escapes undone.
    pub text: Vec<u8>,
}

const LEVELS: [&[u8]; 5] = [b"ERROR ", b"WARN  ", b"INFO  ", b"DEBUG ", b"TRACE "];

fn fraction_digits(mut tps: u64) -> usize {
    let mut d = 0;
    while tps > 1 {
        tps /= 10;
        d += 1;
    }
    d
}

fn digits(s: &[u8]) -> usize {
    s.iter().take_while(|b| b.is_ascii_digit()).count()
}

/// `[  secs.frac] `: returns the rest.
fn timestamp<'a>(s: &'a [u8], f: &LineFormat) -> Result<&'a [u8], String> {
    let s = s.strip_prefix(b"[").ok_or("no timestamp")?;
    let spaces = s.iter().take_while(|&&b| b == b' ').count();
    let secs = digits(&s[spaces..]);
    if secs == 0 || (secs < 5 && spaces + secs != 5) || (secs >= 5 && spaces != 0) {
        return Err("timestamp seconds not right-aligned to 5".into());
    }
    let mut s = &s[spaces + secs..];
    let d = fraction_digits(f.ticks_per_second.max(1) as u64);
    if d > 0 {
        s = s.strip_prefix(b".").ok_or("no timestamp fraction")?;
        if digits(s) != d {
            return Err("timestamp fraction width".into());
        }
        s = &s[d..];
    }
    s.strip_prefix(b"] ")
        .ok_or_else(|| "timestamp not closed".into())
}

/// `name[digits]: ` (a context id's name or `logbuf`): returns it and the rest.
fn context(s: &[u8]) -> Result<(String, &[u8]), String> {
    let name = s.iter().take_while(|b| b.is_ascii_lowercase()).count();
    let n = name + digits(&s[name..]);
    if name == 0 || s.get(n..n + 2) != Some(b": ") {
        return Err("no context field".into());
    }
    Ok((String::from_utf8_lossy(&s[..n]).into_owned(), &s[n + 2..]))
}

/// Whether an escaping console must never print `c` as it is.
fn must_be_escaped(c: char) -> bool {
    matches!(c,
        '\0'..='\x08' | '\x0a'..='\x1f' | '\x7f'
        | '\u{80}'..='\u{9f}' | '\u{2028}' | '\u{2029}'
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Undoes `\xNN` escapes (other backslashes are themselves); an unescaped character that must be escaped, a
/// malformed escape or invalid UTF-8 is an error.
pub fn unescape(body: &[u8]) -> Result<Vec<u8>, String> {
    let s = std::str::from_utf8(body).map_err(|e| format!("escaped text not UTF-8: {e}"))?;
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("\\x") {
            // Every `\x` is an escape (a literal one is written `\x5cx`).
            let hex = rest.get(2..4).ok_or("short escape")?;
            let ok = hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            if !ok {
                return Err(format!("malformed escape {rest:?}"));
            }
            out.push(u8::from_str_radix(hex, 16).unwrap());
            rest = &rest[4..];
        } else if must_be_escaped(c) {
            return Err(format!("unescaped {c:?}"));
        } else {
            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            rest = &rest[c.len_utf8()..];
        }
    }
    Ok(out)
}

/// `1 message dropped` / `N messages dropped` (N != 1, N > 0).
fn notice_count(text: &[u8]) -> Result<u64, String> {
    let s = std::str::from_utf8(text).map_err(|_| "notice not UTF-8")?;
    let (n, noun) = s.split_once(' ').ok_or("not a notice")?;
    let n: u64 = n.parse().map_err(|_| format!("not a notice: {s:?}"))?;
    let want = if n == 1 {
        "message dropped"
    } else {
        "messages dropped"
    };
    if n == 0 || noun != want || s.starts_with('0') {
        return Err(format!("malformed notice {s:?}"));
    }
    Ok(n)
}

/// Parses one line (without its `\n`) printed in format `f` by a sink in
/// `mode`.
pub fn parse(line: &[u8], f: &LineFormat, mode: TextMode) -> Result<Line, String> {
    let mut l = Line {
        prefix: Vec::new(),
        level: None,
        context: None,
        kind: Kind::Marker,
        text: Vec::new(),
    };
    if line == MARKER {
        return Ok(l);
    }
    let mut s = line;
    if f.timestamp {
        s = timestamp(s, f)?;
    }
    if f.level {
        let lv = s
            .get(..6)
            .filter(|x| LEVELS.contains(x))
            .ok_or("no level")?;
        l.level = Some(String::from_utf8_lossy(&lv[..5]).into_owned());
        s = &s[6..];
    }
    if f.context {
        let (c, rest) = context(s)?;
        l.context = Some(c);
        s = rest;
    }
    l.prefix = line[..line.len() - s.len()].to_vec();
    let own_ctx = l.context.as_deref().is_none_or(|c| c == "logbuf");
    let own_level = l.level.as_deref().is_none_or(|v| v == "WARN ");
    let (kind, body) = match s.first() {
        Some(b'!') => {
            let body = s.strip_prefix(b"! ").ok_or("own line without '! '")?;
            if !own_ctx || !own_level {
                return Err("own line with a record's level or context".into());
            }
            (Kind::Notice(notice_count(body)?), body)
        }
        Some(b'|') => match &s[1..] {
            [] => (Kind::Continuation, &s[1..]),
            [b' ', rest @ ..] => (Kind::Continuation, rest),
            _ => return Err("continuation mark without a space".into()),
        },
        _ => (Kind::First, s),
    };
    // Only notices are logbuf's; records never have that context.
    if !matches!(kind, Kind::Notice(_)) && l.context.as_deref() == Some("logbuf") {
        return Err("record line in context logbuf".into());
    }
    l.kind = kind;
    l.text = match mode {
        TextMode::Escaped => unescape(body)?,
        TextMode::Raw => raw_text(body, &l.kind),
    };
    Ok(l)
}

/// A raw console's text: as it is, except the escaped body mark a record's
/// first line may start with.
fn raw_text(body: &[u8], kind: &Kind) -> Vec<u8> {
    if *kind == Kind::First {
        if let Some(rest) = body.strip_prefix(b"(previous boot) ") {
            return [b"(previous boot) ", &raw_text(rest, kind)[..]].concat();
        }
        if let Some(rest) = body.strip_prefix(b"\\x21") {
            return [b"!", rest].concat();
        }
        if let Some(rest) = body.strip_prefix(b"\\x7c") {
            return [b"|", rest].concat();
        }
    }
    body.to_vec()
}

/// A unit of console output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// A whole record: its first line's prefix fields and its text (lines
    /// joined by `\n`, escapes undone, flags such as ` [truncated]` at the
    /// end), and how many lines it took.
    Record {
        level: Option<String>,
        context: Option<String>,
        text: Vec<u8>,
        lines: usize,
    },
    /// A notice.
    Notice(u64),
    /// A record cut short (its lines so far, then ` [cut]`, or a fragment
    /// before a replay marker): not a printed record.
    Cut,
    /// The replay marker.
    Marker,
}

/// Splits a console's output (ending in `\n`) into items, in order.
pub fn items(out: &[u8], f: &LineFormat, mode: TextMode) -> Result<Vec<Item>, String> {
    let body = out.strip_suffix(b"\n").unwrap_or(out);
    if body.len() == out.len() && !out.is_empty() {
        return Err("output does not end with a line break".into());
    }
    let lines: Vec<&[u8]> = if out.is_empty() {
        Vec::new()
    } else {
        body.split(|&b| b == b'\n').collect()
    };
    let mut items = Vec::new();
    let mut open: Option<(Vec<u8>, Item)> = None;
    let close = |open: &mut Option<(Vec<u8>, Item)>, items: &mut Vec<Item>| {
        if let Some((_, it)) = open.take() {
            items.push(it);
        }
    };
    for (i, &raw) in lines.iter().enumerate() {
        let err = |e: String| format!("line {}: {e}: {:?}", i + 1, String::from_utf8_lossy(raw));
        if lines.get(i + 1) == Some(&MARKER) || raw.ends_with(b" [cut]") {
            // A fragment: the record it belongs to was not printed whole.
            open = None;
            items.push(Item::Cut);
            continue;
        }
        let l = parse(raw, f, mode).map_err(err)?;
        match l.kind {
            Kind::Continuation => {
                let Some((prefix, Item::Record { text, lines, .. })) = open.as_mut() else {
                    return Err(err("continuation without a record before it".into()));
                };
                if *prefix != l.prefix {
                    return Err(err("continuation with another prefix".into()));
                }
                text.push(b'\n');
                text.extend_from_slice(&l.text);
                *lines += 1;
            }
            Kind::First => {
                close(&mut open, &mut items);
                let it = Item::Record {
                    level: l.level,
                    context: l.context,
                    text: l.text,
                    lines: 1,
                };
                open = Some((l.prefix, it));
            }
            Kind::Notice(n) => {
                close(&mut open, &mut items);
                items.push(Item::Notice(n));
            }
            Kind::Marker => {
                close(&mut open, &mut items);
                items.push(Item::Marker);
            }
        }
    }
    close(&mut open, &mut items);
    Ok(items)
}

/// The text a record's lines show for `payload` (what [`Item::Record`]
/// holds before any flags): one trailing line break dropped.
pub fn shown(payload: &[u8]) -> &[u8] {
    payload.strip_suffix(b"\n").unwrap_or(payload)
}
