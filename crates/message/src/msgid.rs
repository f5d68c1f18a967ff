//! `Message-ID`, `In-Reply-To`, `References` (RFC 5322 §3.6.4).

use nom::Parser;
use nom::bytes::complete::{tag, take_till1, take_until};

use crate::error::Error;
use crate::lexer::{PResult, is_wsp, opt_cfws};

/// Parses a list of message identifiers and returns each one's text between
/// the angle brackets, as written.
///
/// ```text
/// msg-id   = [CFWS] "<" id-left "@" id-right ">" [CFWS]   ; RFC 5322 §3.6.4
/// id-left  = dot-atom-text / obs-id-left
/// id-right = dot-atom-text / no-fold-literal / obs-id-right
/// ```
///
/// Lenient: the inside of the brackets is not checked against `id-left "@"
/// id-right` (old software writes comments and spaces there), an empty `<>`
/// is skipped, and a bare identifier without brackets is accepted.
///
/// # Errors
///
/// [`Error::Syntax`] with `field: "msg-id"` when the value holds no
/// identifier or an unclosed `<`.
///
/// ```
/// use mailproof_message::parse_msg_ids;
///
/// let ids = parse_msg_ids(b" <1234@local.machine.example>\r\n <3456@example.net>").unwrap();
/// assert_eq!(ids, [&b"1234@local.machine.example"[..], b"3456@example.net"]);
/// ```
pub fn parse_msg_ids(value: &[u8]) -> Result<Vec<&[u8]>, Error> {
    let mut ids = Vec::new();
    let mut rest = value;
    loop {
        let Ok((r, _)) = opt_cfws(rest) else {
            return Err(Error::Syntax {
                field: "msg-id",
                offset: value.len() - rest.len(),
            });
        };
        rest = r;
        if rest.is_empty() {
            break;
        }
        match msg_id(rest) {
            Ok((r, id)) => {
                if !id.is_empty() {
                    ids.push(id);
                }
                rest = r;
            }
            Err(_) => {
                return Err(Error::Syntax {
                    field: "msg-id",
                    offset: value.len() - rest.len(),
                });
            }
        }
    }
    if ids.is_empty() {
        return Err(Error::Syntax {
            field: "msg-id",
            offset: value.len(),
        });
    }
    Ok(ids)
}

/// One `msg-id` without its CFWS, or a lenient bare identifier.
fn msg_id(input: &[u8]) -> PResult<'_, &[u8]> {
    if input.first() == Some(&b'<') {
        let (rest, (_, id, _)) =
            (tag(&b"<"[..]), take_until(&b">"[..]), tag(&b">"[..])).parse(input)?;
        return Ok((rest, id));
    }
    take_till1(|b| is_wsp(b) || b == b'<' || b == b'(').parse(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(
            parse_msg_ids(b"<a@b>(c)<d@e>").unwrap(),
            [&b"a@b"[..], b"d@e"]
        );
        assert_eq!(parse_msg_ids(b"   m \n").unwrap(), [&b"m"[..]]);
        assert!(parse_msg_ids(b"<>").is_err());
        assert!(parse_msg_ids(b"<a@b").is_err());
        assert!(parse_msg_ids(b"").is_err());
    }
}
