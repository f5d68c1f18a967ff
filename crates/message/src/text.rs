//! Unstructured fields (`Subject`, `Comments`, ...): RFC 5322 §3.2.5
//! `unstructured` with RFC 2047 encoded words.

use std::borrow::Cow;

use crate::encoding;

/// Decodes an unstructured value for display: folding undone, RFC 2047
/// encoded words decoded, surrounding white space trimmed.
///
/// A fold (optional white space, a line break, white space) becomes one
/// space; other white space is kept as it is. Raw 8-bit text is read as
/// UTF-8 (RFC 6532), invalid sequences become U+FFFD. Borrows when nothing
/// needs changing.
///
/// ```
/// use mailproof_message::decode_unstructured;
///
/// assert_eq!(decode_unstructured(b" Fwd: \r\n\tSaying \r\n Hello"), "Fwd: Saying Hello");
/// assert_eq!(decode_unstructured(b" =?ISO-8859-1?Q?Caf=E9?= =?UTF-8?B?IQ==?="), "Café!");
/// ```
pub fn decode_unstructured(value: &[u8]) -> Cow<'_, str> {
    match encoding::decode_words_with(value.trim_ascii(), true) {
        Cow::Borrowed(s) => Cow::Borrowed(s),
        Cow::Owned(s) if s.trim() != s => Cow::Owned(s.trim().to_owned()),
        Cow::Owned(s) => Cow::Owned(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borrows_plain_text() {
        assert!(matches!(
            decode_unstructured(b" plain "),
            Cow::Borrowed("plain")
        ));
        assert_eq!(decode_unstructured("ハロー \n".as_bytes()), "ハロー");
        assert_eq!(
            decode_unstructured(b"=?utf-8?Q?Hello\r\n _there!?="),
            "Hello there!"
        );
    }
}
