//! Authentication-Results header fields (RFC 8601): one model, rendered and parsed.
//!
//! [`AuthResults`] is both what [`Verdict::authentication_results`](crate::Verdict::authentication_results)
//! builds and what [`AuthResults::parse`] returns, so a rendered field parses back to the
//! value it came from.
//!
//! # Rendering is injection-proof
//! Values come from the message (a DKIM `d=`, a selector, a MAIL FROM domain). Each is written
//! as an RFC 2045 token when it is one, as `local-part@domain` when it is that, and otherwise
//! as a quoted-string with `"` and `\` escaped; comments escape `(`, `)` and `\`. Control
//! characters (CR, LF, NUL, …) cannot appear in a header field even escaped, so they are
//! written as the visible text `\u{..}` (its backslash escaped in turn). Whatever the bytes,
//! the field keeps its clauses: no value can close a comment or quoted string early, or add a
//! `;` clause or a property.

use std::fmt;

use mailproof_message::Message;

/// The name of the header field.
pub const AUTHENTICATION_RESULTS: &str = "Authentication-Results";
/// The name of ARC's copy of it (RFC 8617 §4.1.1).
pub const ARC_AUTHENTICATION_RESULTS: &str = "ARC-Authentication-Results";

/// One Authentication-Results header field value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthResults {
    /// The `authserv-id`: who performed the checks (usually the receiving host name).
    pub authserv_id: String,
    /// The optional `authres-version` after the authserv-id (only `1` is defined).
    pub version: Option<u32>,
    /// The results, in order; empty for the `none` form (no checks were done).
    pub results: Vec<MethodResult>,
}

/// One `resinfo`: `method=result reason=... ptype.property=value ...`, with comments.
///
/// `method`, `result`, `ptype` and `property` are RFC 8601 Keywords (letters, digits and
/// hyphens); unknown methods and results are kept as written, lower-cased.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MethodResult {
    /// `spf`, `dkim`, `dmarc`, `arc`, `iprev`, … (lower-cased).
    pub method: String,
    /// The optional `method-version` (`dkim/1`).
    pub method_version: Option<u32>,
    /// `pass`, `fail`, … (lower-cased).
    pub result: String,
    /// `reason=`: a human-readable reason, if any.
    pub reason: Option<String>,
    /// The comments in this clause, in order (rendered right after the result).
    pub comments: Vec<String>,
    /// The properties (`smtp.mailfrom=`, `header.d=`, …), in order.
    pub properties: Vec<Property>,
}

/// One `propspec`: `ptype.property=value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Property {
    /// `smtp`, `header`, `body`, `policy` (lower-cased); empty for a bare `keyword=value`
    /// read from a field that does not follow RFC 8601 (Microsoft's `action=none`).
    pub ptype: String,
    /// `mailfrom`, `helo`, `d`, `i`, `s`, `a`, `b`, `from`, `dmarc`, … (lower-cased).
    pub property: String,
    /// The value, unquoted.
    pub value: String,
}

impl MethodResult {
    /// A clause `method=result` with nothing else.
    pub fn new(method: &str, result: &str) -> MethodResult {
        MethodResult {
            method: method.to_owned(),
            result: result.to_owned(),
            ..MethodResult::default()
        }
    }

    /// Adds a property.
    #[must_use]
    pub fn with_property(mut self, ptype: &str, property: &str, value: &str) -> MethodResult {
        self.properties.push(Property {
            ptype: ptype.to_owned(),
            property: property.to_owned(),
            value: value.to_owned(),
        });
        self
    }

    /// Adds a comment.
    #[must_use]
    pub fn with_comment(mut self, comment: &str) -> MethodResult {
        self.comments.push(comment.to_owned());
        self
    }

    /// The value of the first `ptype.property`, compared ASCII case-insensitively.
    pub fn property(&self, ptype: &str, property: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|p| {
                p.ptype.eq_ignore_ascii_case(ptype) && p.property.eq_ignore_ascii_case(property)
            })
            .map(|p| p.value.as_str())
    }
}

impl AuthResults {
    /// An empty field for `authserv_id`.
    pub fn new(authserv_id: &str) -> AuthResults {
        AuthResults {
            authserv_id: authserv_id.to_owned(),
            version: None,
            results: Vec::new(),
        }
    }

    /// Whether this field claims `authserv_id` (ASCII case-insensitive, as host names compare).
    pub fn claims(&self, authserv_id: &str) -> bool {
        self.authserv_id.eq_ignore_ascii_case(authserv_id)
    }

    /// The whole header field, folded with one clause per line (`\r\n\t`), ending in CRLF:
    /// ready to prepend to a message. A clause longer than 78 columns is folded further
    /// before a space outside quoted strings (between its parts, or inside a comment), so
    /// that no line exceeds RFC 5322's 998 characters (§2.1.1) and most keep within 78.
    pub fn to_header_field(&self) -> String {
        let mut field = String::new();
        // Writing to a String cannot fail.
        let _ = self.render(&mut field, "\r\n\t");
        let mut out = String::with_capacity(field.len() + 16);
        for line in field.split("\r\n") {
            fold_line(line, &mut out);
            out.push_str("\r\n");
        }
        out
    }

    fn render(&self, out: &mut impl fmt::Write, separator: &str) -> fmt::Result {
        write!(out, "{AUTHENTICATION_RESULTS}: ")?;
        // Read from a field without one (Microsoft's form), which is written back so.
        let without_id =
            self.authserv_id.is_empty() && self.version.is_none() && !self.results.is_empty();
        if !without_id {
            write_value(out, &self.authserv_id)?;
            if let Some(version) = self.version {
                write!(out, " {version}")?;
            }
        }
        if self.results.is_empty() {
            return out.write_str("; none");
        }
        for (n, result) in self.results.iter().enumerate() {
            if n > 0 || !without_id {
                out.write_char(';')?;
                out.write_str(separator)?;
            }
            render_result(out, result)?;
        }
        Ok(())
    }

    /// Parses an Authentication-Results field value (the bytes after the colon).
    ///
    /// Follows RFC 8601 §2.2, with these leniencies seen in real mail: a trailing `;`, keywords
    /// with `_`, unquoted property values holding `/`, `=` or `@` (base64 `header.b`
    /// prefixes, addresses), and Microsoft's form: no authserv-id (the field starts with its
    /// first result; [`authserv_id`](Self::authserv_id) is then empty) and bare
    /// `keyword=value` items (`action=none`, kept as properties with an empty ptype).
    /// Comments are kept with the clause they appear in.
    ///
    /// # Errors
    /// [`ParseError`] with the byte offset where the grammar was not met.
    pub fn parse(value: &[u8]) -> Result<AuthResults, ParseError> {
        let mut cursor = Cursor::new(value);
        let parsed = cursor.payload()?;
        Ok(parsed)
    }

    /// Parses an ARC-Authentication-Results field value (RFC 8617 §4.1.1): `i=<instance>;`
    /// followed by an Authentication-Results payload. Returns the instance and the results.
    ///
    /// # Errors
    /// [`ParseError`] with the byte offset where the grammar was not met.
    pub fn parse_arc(value: &[u8]) -> Result<(u32, AuthResults), ParseError> {
        let mut cursor = Cursor::new(value);
        cursor.cfws()?;
        let tag = cursor.keyword().ok_or(cursor.error("i= instance tag"))?;
        if !tag.eq_ignore_ascii_case("i") {
            return Err(cursor.error("i= instance tag"));
        }
        cursor.cfws()?;
        cursor.expect(b'=')?;
        cursor.cfws()?;
        let instance = cursor.number().ok_or(cursor.error("instance number"))?;
        cursor.cfws()?;
        cursor.expect(b';')?;
        Ok((instance, cursor.payload()?))
    }
}

/// The field on one line, without folding or CRLF:
/// `Authentication-Results: id; spf=pass smtp.mailfrom=example.com; ...`.
impl fmt::Display for AuthResults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.render(f, " ")
    }
}

/// The columns a folded line aims at (RFC 5322 §2.1.1 "SHOULD").
const FOLD_COLUMNS: usize = 78;

/// Appends `line`, with `\r\n` inserted before spaces where it is longer than
/// [`FOLD_COLUMNS`]: only before a space outside quoted strings (comments may be folded, RFC
/// 5322 §3.2.2) with content before it on its line, the last such space within the columns,
/// else the first after them.
fn fold_line(line: &str, out: &mut String) {
    let bytes = line.as_bytes();
    // Spaces where the line may break, in order.
    let mut breaks = Vec::new();
    let (mut quoted, mut escaped) = (false, false);
    let mut comment_depth = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        if escaped {
            escaped = false;
            continue;
        }
        match b {
            b'\\' if quoted || comment_depth > 0 => escaped = true,
            b'"' if comment_depth == 0 => quoted = !quoted,
            b'(' if !quoted => comment_depth += 1,
            b')' if !quoted => comment_depth = comment_depth.saturating_sub(1),
            b' ' if !quoted => breaks.push(i),
            _ => {}
        }
    }
    let mut start = 0;
    let mut candidates = breaks.iter().copied().peekable();
    while bytes.len() - start > FOLD_COLUMNS {
        // Content before the break on the new line: never a line of white space alone.
        let usable = |i: usize| bytes[start..i].iter().any(|&b| b != b' ' && b != b'\t');
        let mut within = None;
        while let Some(&i) = candidates.peek() {
            if i - start > FOLD_COLUMNS {
                break;
            }
            candidates.next();
            if usable(i) {
                within = Some(i);
            }
        }
        let at = within.or_else(|| candidates.by_ref().find(|&i| usable(i)));
        let Some(at) = at else { break };
        out.push_str(&line[start..at]);
        out.push_str("\r\n");
        start = at;
    }
    out.push_str(&line[start..]);
}

fn render_result(out: &mut impl fmt::Write, result: &MethodResult) -> fmt::Result {
    out.write_str(&result.method)?;
    if let Some(version) = result.method_version {
        write!(out, "/{version}")?;
    }
    write!(out, "={}", result.result)?;
    for comment in &result.comments {
        out.write_str(" (")?;
        write_escaped(out, comment, b"()\\")?;
        out.write_char(')')?;
    }
    if let Some(reason) = &result.reason {
        out.write_str(" reason=")?;
        write_value(out, reason)?;
    }
    for property in &result.properties {
        if property.ptype.is_empty() {
            write!(out, " {}=", property.property)?;
        } else {
            write!(out, " {}.{}=", property.ptype, property.property)?;
        }
        write_pvalue(out, &property.value)?;
    }
    Ok(())
}

/// RFC 2045 `token`: printable ASCII without SP and `tspecials`.
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&b))
}

/// RFC 5322 `dot-atom-text`.
fn is_dot_atom(text: &str) -> bool {
    let atext = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b);
    !text.is_empty()
        && text
            .split('.')
            .all(|atom| !atom.is_empty() && atom.bytes().all(atext))
}

/// RFC 5321 `Domain` made of LDH labels (underscores allowed, as in DKIM selectors).
fn is_domain_name(text: &str) -> bool {
    !text.is_empty()
        && text.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

fn write_value(out: &mut impl fmt::Write, value: &str) -> fmt::Result {
    if is_token(value) {
        out.write_str(value)
    } else {
        write_quoted(out, value)
    }
}

/// `pvalue = [CFWS] ( value / [ [ local-part ] "@" ] domain-name ) [CFWS]`.
fn write_pvalue(out: &mut impl fmt::Write, value: &str) -> fmt::Result {
    let address = value.rsplit_once('@').is_some_and(|(local, domain)| {
        (local.is_empty() || is_dot_atom(local)) && is_domain_name(domain)
    });
    if address || is_token(value) {
        out.write_str(value)
    } else {
        write_quoted(out, value)
    }
}

fn write_quoted(out: &mut impl fmt::Write, value: &str) -> fmt::Result {
    out.write_char('"')?;
    write_escaped(out, value, b"\"\\")?;
    out.write_char('"')
}

/// Writes `text` with each of `specials` as a quoted-pair and control characters as the
/// visible text `\u{..}` (whose backslash is itself quoted).
fn write_escaped(out: &mut impl fmt::Write, text: &str, specials: &[u8]) -> fmt::Result {
    for c in text.chars() {
        if c.is_ascii() && specials.contains(&(c as u8)) {
            out.write_char('\\')?;
            out.write_char(c)?;
        } else if c.is_control() {
            write!(out, "\\\\u{{{:x}}}", u32::from(c))?;
        } else {
            out.write_char(c)?;
        }
    }
    Ok(())
}

/// An Authentication-Results value that does not follow RFC 8601's grammar.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("Authentication-Results syntax error at byte {offset}: expected {expected}")]
pub struct ParseError {
    offset: usize,
    expected: &'static str,
}

impl ParseError {
    /// Byte offset in the value where parsing stopped.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// What the grammar expected there.
    pub fn expected(&self) -> &'static str {
        self.expected
    }
}

/// Bytes that end an unquoted value (besides white space and controls).
const VALUE_STOP: &[u8] = b"()<>,;:\\\"[]";

struct Cursor<'a> {
    input: &'a [u8],
    pos: usize,
    comments: Vec<String>,
}

impl<'a> Cursor<'a> {
    fn new(input: &'a [u8]) -> Cursor<'a> {
        Cursor {
            input,
            pos: 0,
            comments: Vec::new(),
        }
    }

    fn error(&self, expected: &'static str) -> ParseError {
        ParseError {
            offset: self.pos,
            expected,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn expect(&mut self, byte: u8) -> Result<(), ParseError> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(match byte {
                b'=' => "\"=\"",
                b';' => "\";\"",
                b'.' => "\".\"",
                _ => "a delimiter",
            }))
        }
    }

    /// `CFWS`: white space, folding line breaks and (nested) comments, kept in `comments`.
    fn cfws(&mut self) -> Result<(), ParseError> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\r' | b'\n') => self.pos += 1,
                Some(b'(') => {
                    let comment = self.comment()?;
                    self.comments.push(comment);
                }
                _ => return Ok(()),
            }
        }
    }

    /// A comment, nesting counted (no recursion); returns its text with quoted-pairs undone.
    fn comment(&mut self) -> Result<String, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let mut depth = 1usize;
        let mut text = Vec::new();
        while let Some(byte) = self.peek() {
            self.pos += 1;
            match byte {
                b'\\' => {
                    let Some(next) = self.peek() else { break };
                    self.pos += 1;
                    text.push(next);
                }
                b'(' => {
                    depth += 1;
                    text.push(byte);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(String::from_utf8_lossy(&text).into_owned());
                    }
                    text.push(byte);
                }
                // Folding inside a comment is not part of its text (RFC 5322 §3.2.2).
                b'\r' | b'\n' => {}
                _ => text.push(byte),
            }
        }
        Err(ParseError {
            offset: start,
            expected: "\")\" closing the comment",
        })
    }

    /// `Keyword = Let-dig [Ldh-str]` (plus `_`), lower-cased.
    fn keyword(&mut self) -> Option<String> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            self.pos += 1;
        }
        (self.pos > start)
            .then(|| String::from_utf8_lossy(&self.input[start..self.pos]).to_ascii_lowercase())
    }

    fn number(&mut self) -> Option<u32> {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        std::str::from_utf8(&self.input[start..self.pos])
            .ok()?
            .parse()
            .ok()
    }

    /// `quoted-string` (the cursor on its opening quote), quoted-pairs undone.
    fn quoted(&mut self) -> Result<String, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let mut text = Vec::new();
        while let Some(byte) = self.peek() {
            self.pos += 1;
            match byte {
                b'"' => return Ok(String::from_utf8_lossy(&text).into_owned()),
                b'\\' => {
                    let Some(next) = self.peek() else { break };
                    self.pos += 1;
                    text.push(next);
                }
                // Folding inside a quoted string is not part of its value.
                b'\r' | b'\n' => {}
                _ => text.push(byte),
            }
        }
        Err(ParseError {
            offset: start,
            expected: "'\"' closing the quoted string",
        })
    }

    /// A value: quoted-string, or a run of bytes that cannot end it (token, `local@domain`,
    /// base64 with `/` and `=`).
    fn value(&mut self, expected: &'static str) -> Result<String, ParseError> {
        if self.peek() == Some(b'"') {
            let mut text = self.quoted()?;
            // RFC 8601 `pvalue`: `[ [ local-part ] "@" ] domain-name`, where the local-part
            // may be a quoted-string (`"john doe"@example.com`).
            if self.peek() == Some(b'@') {
                self.pos += 1;
                text.push('@');
                text.push_str(&self.run());
            }
            return Ok(text);
        }
        let start = self.pos;
        let run = self.run();
        if self.pos == start {
            return Err(self.error(expected));
        }
        Ok(run)
    }

    /// The bytes up to white space, a control byte or one of [`VALUE_STOP`].
    fn run(&mut self) -> String {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|b| b > b' ' && b != 0x7f && !VALUE_STOP.contains(&b))
        {
            self.pos += 1;
        }
        String::from_utf8_lossy(&self.input[start..self.pos]).into_owned()
    }

    /// `authres-payload` after the field name (or after ARC's `i=N;`).
    fn payload(&mut self) -> Result<AuthResults, ParseError> {
        self.cfws()?;
        self.comments.clear();
        let id_start = self.pos;
        let quoted_id = self.peek() == Some(b'"');
        let mut authserv_id = self.value("authserv-id")?;
        // No authserv-id, the field starting with its first result (`spf=pass ...`, as
        // Microsoft writes it): a token cannot hold `=` (RFC 2045), so this is a result.
        let mut at_result = !quoted_id && authserv_id.contains('=');
        if at_result {
            self.pos = id_start;
            authserv_id.clear();
        }
        self.cfws()?;
        let version = if !at_result && self.peek().is_some_and(|b| b.is_ascii_digit()) {
            let version = self.number().ok_or(self.error("authres-version"))?;
            self.cfws()?;
            Some(version)
        } else {
            None
        };
        let mut results = Vec::new();
        self.comments.clear();
        loop {
            self.cfws()?;
            match self.peek() {
                None => break,
                Some(b';') => self.pos += 1,
                Some(_) if at_result => {}
                Some(_) => return Err(self.error("\";\" before the next result")),
            }
            at_result = false;
            self.comments.clear();
            self.cfws()?;
            if self.peek().is_none() {
                // A trailing ";" (lenient).
                break;
            }
            let clause_start = self.pos;
            let method = self.keyword().ok_or(self.error("method"))?;
            self.cfws()?;
            if method == "none" && results.is_empty() && self.peek().is_none_or(|b| b == b';') {
                // `no-result`.
                continue;
            }
            let mut result = MethodResult {
                method,
                ..MethodResult::default()
            };
            if self.peek() == Some(b'/') {
                self.pos += 1;
                self.cfws()?;
                result.method_version = Some(self.number().ok_or(self.error("method-version"))?);
                self.cfws()?;
            }
            self.expect(b'=')?;
            self.cfws()?;
            result.result = self.keyword().ok_or(self.error("result keyword"))?;
            self.clause_rest(&mut result)?;
            result.comments = std::mem::take(&mut self.comments);
            debug_assert!(self.pos > clause_start);
            results.push(result);
        }
        Ok(AuthResults {
            authserv_id,
            version,
            results,
        })
    }

    /// `[ CFWS reasonspec ] [ CFWS 1*propspec ]`, up to the next `;` or the end.
    fn clause_rest(&mut self, result: &mut MethodResult) -> Result<(), ParseError> {
        loop {
            self.cfws()?;
            if self.peek().is_none_or(|b| b == b';') {
                return Ok(());
            }
            let ptype = self.keyword().ok_or(self.error("reason or property"))?;
            self.cfws()?;
            if self.peek() == Some(b'=') {
                self.pos += 1;
                self.cfws()?;
                let value = self.value(if ptype == "reason" {
                    "reason value"
                } else {
                    "property value"
                })?;
                if ptype == "reason" {
                    result.reason = Some(value);
                } else {
                    // A bare `keyword=value` (Microsoft's `action=none`): kept as a property
                    // with an empty ptype.
                    result.properties.push(Property {
                        ptype: String::new(),
                        property: ptype,
                        value,
                    });
                }
                continue;
            }
            self.expect(b'.')?;
            self.cfws()?;
            let property = self.keyword().ok_or(self.error("property name"))?;
            self.cfws()?;
            self.expect(b'=')?;
            self.cfws()?;
            let value = self.value("property value")?;
            result.properties.push(Property {
                ptype,
                property,
                value,
            });
        }
    }
}

/// The authserv-id a field value claims, read leniently (as [`AuthResults::parse`] reads it),
/// even when the rest of the value does not parse.
fn claimed_authserv_id(value: &[u8]) -> Option<String> {
    let mut cursor = Cursor::new(value);
    cursor.cfws().ok()?;
    cursor.value("authserv-id").ok()
}

/// Whether an Authentication-Results field value claims `authserv_id`. A value that does not
/// parse still claims the id it starts with: RFC 8601 §5 asks receivers to remove fields that
/// claim their id, and a broken one is no more trustworthy.
pub fn claims_authserv_id(value: &[u8], authserv_id: &str) -> bool {
    claimed_authserv_id(value).is_some_and(|id| id.eq_ignore_ascii_case(authserv_id))
}

/// The message without the Authentication-Results fields that claim `authserv_id`: results
/// forged upstream in our name (RFC 8601 §5: the MTA "MUST remove or rename" them before
/// adding its own). Returns the input unchanged (borrowed) when there are none or it does not
/// parse.
///
/// ```
/// let raw = b"Authentication-Results: mx.example.org; dmarc=pass header.from=bank.example\r\n\
///             Authentication-Results: relay.example.net; spf=pass smtp.mailfrom=x.example\r\n\
///             From: a@bank.example\r\n\r\nbody\r\n";
/// let cleaned = mailproof::remove_forged_results(raw, "MX.example.org");
/// assert!(cleaned.starts_with(b"Authentication-Results: relay.example.net;"));
/// ```
pub fn remove_forged_results<'a>(raw: &'a [u8], authserv_id: &str) -> std::borrow::Cow<'a, [u8]> {
    let Ok(message) = Message::parse(raw) else {
        return std::borrow::Cow::Borrowed(raw);
    };
    let forged: Vec<(usize, usize)> = message
        .headers()
        .filter(|h| h.is(AUTHENTICATION_RESULTS) && claims_authserv_id(h.value(), authserv_id))
        .map(|h| (h.offset(), h.offset() + h.raw().len()))
        .collect();
    if forged.is_empty() {
        return std::borrow::Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut at = 0;
    for (start, end) in forged {
        out.extend_from_slice(&raw[at..start]);
        at = end;
    }
    out.extend_from_slice(&raw[at..]);
    std::borrow::Cow::Owned(out)
}

/// The Authentication-Results fields of `message` that parse, leaving out every field that
/// claims `authserv_id` (those can only be forgeries: our own results are not in the message
/// yet). The order is the message's, top first.
pub fn upstream_results(message: &Message<'_>, authserv_id: &str) -> Vec<AuthResults> {
    message
        .headers()
        .filter(|h| h.is(AUTHENTICATION_RESULTS))
        .filter_map(|h| AuthResults::parse(h.value()).ok())
        .filter(|results| !results.claims(authserv_id))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc8601_appendix_b_examples_parse() {
        let b2 = AuthResults::parse(b" example.org 1; none").unwrap();
        assert_eq!(b2.authserv_id, "example.org");
        assert_eq!(b2.version, Some(1));
        assert!(b2.results.is_empty());

        let b4 = AuthResults::parse(
            b" example.com;\r\n   auth=pass (cram-md5) smtp.auth=sender@example.net;\r\n  spf=pass smtp.mailfrom=example.net",
        )
        .unwrap();
        assert_eq!(b4.results[0].comments, ["cram-md5"]);
        assert_eq!(
            b4.results[1].property("smtp", "mailfrom"),
            Some("example.net")
        );

        let b6 = AuthResults::parse(
            b" example.com;\r\n dkim=pass reason=\"good signature\"\r\n header.i=@mail-router.example.net;\r\n dkim=fail reason=\"bad signature\"\r\n header.i=@newyork.example.com",
        )
        .unwrap();
        assert_eq!(b6.results.len(), 2);
        assert_eq!(b6.results[1].reason.as_deref(), Some("bad signature"));
        assert_eq!(
            b6.results[1].property("header", "i"),
            Some("@newyork.example.com")
        );

        let b7 = AuthResults::parse(
            b" foo.example.net (foobar) 1 (baz);\r\n dkim (Because I like it) / 1 (One yay) = (wait for it) fail\r\n policy (A dot can go here) . (like that) expired\r\n (this surprised me) = (as I wasn't expecting it) 1362471462",
        )
        .unwrap();
        assert_eq!(b7.version, Some(1));
        let dkim = &b7.results[0];
        assert_eq!(
            (
                dkim.method.as_str(),
                dkim.method_version,
                dkim.result.as_str()
            ),
            ("dkim", Some(1), "fail")
        );
        assert_eq!(dkim.property("policy", "expired"), Some("1362471462"));
        assert_eq!(dkim.comments.len(), 7);
    }

    #[test]
    fn arc_form() {
        let (i, results) =
            AuthResults::parse_arc(b" i=2; lists.example.org; spf=pass smtp.mailfrom=jqd@d1.example; dkim=pass header.i=@d1.example; dmarc=pass").unwrap();
        assert_eq!(i, 2);
        assert_eq!(results.results.len(), 3);
        assert_eq!(
            results.results[0].property("smtp", "mailfrom"),
            Some("jqd@d1.example")
        );
    }

    /// `written` (a whole field) parses back to `expected`.
    fn assert_reads_back(written: &str, expected: &AuthResults) {
        let value = written.strip_prefix("Authentication-Results:").unwrap();
        assert_eq!(
            &AuthResults::parse(value.as_bytes()).unwrap(),
            expected,
            "{written}"
        );
    }

    #[test]
    fn quoted_local_part_before_the_domain() {
        // RFC 8601 §2.2 `pvalue`: the local-part may be a quoted-string (review finding: the
        // whole field failed to parse).
        let results = AuthResults::parse(
            b" mx.example.org; spf=pass smtp.mailfrom=\"john doe\"@example.com; dkim=none",
        )
        .unwrap();
        assert_eq!(
            results.results[0].property("smtp", "mailfrom"),
            Some("john doe@example.com")
        );
        assert_eq!(results.results[1].result, "none");
        // Rendered back quoted whole, which reads back the same.
        let one_line = results.to_string();
        assert_reads_back(&one_line, &results);
    }

    #[test]
    fn microsoft_form_without_authserv_id() {
        // As Exchange Online writes it (review finding: the whole field failed to parse).
        let value = b" spf=pass (sender IP is 209.85.128.41)\r\n smtp.mailfrom=gmail.com; dkim=pass (signature was verified)\r\n header.d=gmail.com;dmarc=pass action=none header.from=gmail.com;compauth=pass\r\n reason=100";
        let results = AuthResults::parse(value).unwrap();
        assert_eq!(results.authserv_id, "");
        let methods: Vec<_> = results.results.iter().map(|r| r.method.as_str()).collect();
        assert_eq!(methods, ["spf", "dkim", "dmarc", "compauth"]);
        assert_eq!(
            results.results[0].property("smtp", "mailfrom"),
            Some("gmail.com")
        );
        assert_eq!(results.results[2].property("", "action"), Some("none"));
        assert_eq!(
            results.results[2].property("header", "from"),
            Some("gmail.com")
        );
        assert_eq!(results.results[3].reason.as_deref(), Some("100"));
        // Written back without an authserv-id, and read back the same.
        let line = results.to_string();
        assert!(
            line.starts_with("Authentication-Results: spf=pass (sender IP"),
            "{line}"
        );
        assert_reads_back(&line, &results);
        // With an authserv-id, the bare item alone.
        let results = AuthResults::parse(
            b" mx.microsoft.com; dmarc=pass action=none header.from=example.com",
        )
        .unwrap();
        assert_eq!(results.authserv_id, "mx.microsoft.com");
        assert_eq!(results.results[0].property("", "action"), Some("none"));
        let line = results.to_string();
        assert!(
            line.ends_with("dmarc=pass action=none header.from=example.com"),
            "{line}"
        );
        assert_reads_back(&line, &results);
    }

    #[test]
    fn fuzz_empty_quoted_authserv_id_with_a_version_round_trips() {
        // Found by the auth_results fuzz target: `""` with a version was written back
        // without either, losing the version.
        let value = b"\"\"9;999X=0\nXX=0`;()HL0X=0";
        let parsed = AuthResults::parse(value).unwrap();
        assert_eq!((parsed.authserv_id.as_str(), parsed.version), ("", Some(9)));
        for written in [parsed.to_string(), parsed.to_header_field()] {
            assert_reads_back(&written, &parsed);
        }
    }

    #[test]
    fn errors_have_offsets() {
        let error = AuthResults::parse(b" example.com; spf").unwrap_err();
        assert_eq!(error.expected(), "\"=\"");
        assert!(AuthResults::parse(b" example.com; spf=pass (unclosed").is_err());
        assert!(AuthResults::parse(b"").is_err());
    }

    #[test]
    fn render_round_trips() {
        let mut results = AuthResults::new("mx.example.org");
        results.results.push(
            MethodResult::new("dkim", "pass")
                .with_comment("a (nested) comment \\ here")
                .with_property("header", "d", "example.com")
                .with_property("header", "i", "@example.com")
                .with_property("header", "s", "sel; evil=1")
                .with_property("header", "b", "ab/cd+ef"),
        );
        results
            .results
            .push(MethodResult::new("dmarc", "fail").with_property("header", "from", "a\"b"));
        let one_line = results.to_string();
        assert!(one_line.contains("header.s=\"sel; evil=1\""), "{one_line}");
        let value = one_line.strip_prefix("Authentication-Results:").unwrap();
        assert_eq!(AuthResults::parse(value.as_bytes()).unwrap(), results);
        let folded = results.to_header_field();
        let value = folded.strip_prefix("Authentication-Results:").unwrap();
        assert_eq!(
            AuthResults::parse(value.trim_end().as_bytes()).unwrap(),
            results
        );
    }

    #[test]
    fn claims() {
        assert!(claims_authserv_id(
            b" MX.Example.org; spf=pass",
            "mx.example.org"
        ));
        assert!(claims_authserv_id(
            b" mx.example.org; garbage(",
            "mx.example.org"
        ));
        assert!(!claims_authserv_id(
            b" other.example; spf=pass",
            "mx.example.org"
        ));
    }
}
