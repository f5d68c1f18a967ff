//! The tag=value list of RFC 6376 §3.2, shared by signatures (§3.5) and key records (§3.6.1).
//!
//! The parser keeps every value as a slice of the input together with its offsets, because
//! verification must later delete the value of `b=` from the exact header bytes (§3.5, "b=").

/// One `tag-spec`: a tag name and its value, both slices of the parsed input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tag<'a> {
    /// The `tag-name`.
    pub(crate) name: &'a [u8],
    /// The `tag-value`, without the surrounding FWS.
    pub(crate) value: &'a [u8],
    /// Offset of the tag name in the input.
    pub(crate) offset: usize,
    /// Offset just after the `=` (the deletion point for `b=`).
    pub(crate) after_equals: usize,
    /// Offset of the byte after the value's trailing FWS: the `;` or the end of input.
    pub(crate) end: usize,
}

/// Why a tag-list could not be parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TagListError {
    /// The input does not match the `tag-list` grammar at this offset.
    Syntax { offset: usize },
    /// A tag name occurs twice; the offset is the second occurrence (§3.2: "the entire
    /// tag-list is invalid").
    DuplicateTag { offset: usize },
}

/// `VALCHAR = %x21-3A / %x3C-7E` (printable ASCII except `;`), widened to the UTF-8 bytes
/// that RFC 8616 §4 allows in `d=`, `i=` and `s=`.
const fn is_valchar(b: u8) -> bool {
    matches!(b, 0x21..=0x3a | 0x3c..=0x7e | 0x80..=0xff)
}

/// [`VALUE_CLASS`] of a [`is_valchar`] byte.
const VALCHAR: u8 = 1;
/// [`VALUE_CLASS`] of SP, HTAB, CR and LF (FWS inside a value).
const VALUE_FWS: u8 = 2;

/// Per byte: [`VALCHAR`], [`VALUE_FWS`] or 0 (a byte that ends a value). One load per
/// byte instead of range compares.
static VALUE_CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        #[allow(clippy::cast_possible_truncation)]
        let byte = b as u8;
        table[b] = if is_valchar(byte) {
            VALCHAR
        } else if matches!(byte, b' ' | b'\t' | b'\r' | b'\n') {
            VALUE_FWS
        } else {
            0
        };
        b += 1;
    }
    table
};

/// `tag-value = [ tval *( 1*(WSP / FWS) tval ) ]`, `tval = 1*VALCHAR`.
///
/// Returns (rest, value): the value without trailing white space (that belongs to the
/// `[FWS]` closing the `tag-spec`). Never fails: a value may be empty.
fn tag_value(input: &[u8]) -> (&[u8], &[u8]) {
    let is_value_byte = |b: u8| VALUE_CLASS[usize::from(b)] != 0;
    // A value normally runs to the next `;`: find that with memchr, check the stretch in
    // one branch-free pass, and fall back to finding the first other byte only when it
    // fails. (A byte-at-a-time scan of even the short values costs a mispredicted branch
    // per value.)
    let candidate = memchr::memchr(b';', input).unwrap_or(input.len());
    let stretch = &input[..candidate];
    // Branch-free, so it vectorizes: a byte is bad if it is a control byte other than
    // FWS, or DEL (`;` cannot occur before `candidate`).
    let bad = stretch.iter().fold(0u8, |bad, &b| {
        let control = u8::from(b < 0x21)
            & u8::from(b != b' ')
            & u8::from(b != b'\t')
            & u8::from(b != b'\r')
            & u8::from(b != b'\n');
        bad | control | u8::from(b == 0x7f)
    });
    let len = if bad == 0 {
        candidate
    } else {
        stretch
            .iter()
            .position(|&b| !is_value_byte(b))
            .unwrap_or(candidate)
    };
    let raw = &input[..len];
    let trimmed = raw
        .iter()
        .rposition(|&b| VALUE_CLASS[usize::from(b)] == VALCHAR)
        .map_or(0, |last| last + 1);
    (&input[trimmed..], &raw[..trimmed])
}

/// Whether `b` is FWS as this parser accepts it (see [`fws`]).
#[inline]
fn is_fws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// The first offset at or after `i` that is not FWS.
#[inline]
fn skip_fws(input: &[u8], mut i: usize) -> usize {
    while i < input.len() && is_fws(input[i]) {
        i += 1;
    }
    i
}

/// `tag-list = tag-spec *( ";" tag-spec ) [ ";" ]`,
/// `tag-spec = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]`.
///
/// White space after the final `;` is tolerated. Empty input gives an empty list (the
/// callers then report the missing required tags).
///
/// One forward scan by index (this runs for every DKIM-Signature and key record); the nom
/// grammar it implements is kept in the tests as its reference.
pub(crate) fn parse(input: &[u8]) -> Result<Vec<Tag<'_>>, TagListError> {
    let mut tags: Vec<Tag<'_>> = Vec::with_capacity(16);
    scan(input, |tag| tags.push(tag))?;
    check_duplicates(&tags)?;
    Ok(tags)
}

/// [`parse`] without the list: each `tag-spec` is handed to `each` as it is read, in order.
/// Only syntax errors are reported here; a caller that puts tags straight into place must
/// find duplicate names itself, reporting the earliest second occurrence as [`parse`] does
/// (and only when the whole list is well-formed, so that a syntax error wins).
pub(crate) fn scan<'a>(input: &'a [u8], mut each: impl FnMut(Tag<'a>)) -> Result<(), TagListError> {
    let syntax = |offset: usize| TagListError::Syntax { offset };
    let mut i = 0;
    loop {
        i = skip_fws(input, i);
        if i == input.len() {
            // Empty input, or (white space after) a final ";".
            break;
        }
        let name_offset = i;
        if !input[i].is_ascii_alphabetic() {
            return Err(syntax(i));
        }
        i += 1;
        while i < input.len() && (input[i].is_ascii_alphanumeric() || input[i] == b'_') {
            i += 1;
        }
        let name = &input[name_offset..i];
        i = skip_fws(input, i);
        if input.get(i) != Some(&b'=') {
            return Err(syntax(i));
        }
        i += 1;
        let after_equals = i;
        let value_start = skip_fws(input, i);
        let (after_value, value) = tag_value(&input[value_start..]);
        let end = skip_fws(input, input.len() - after_value.len());
        each(Tag {
            name,
            value,
            offset: name_offset,
            after_equals,
            end,
        });
        match input.get(end) {
            None => break,
            Some(b';') => i = end + 1,
            Some(_) => return Err(syntax(end)),
        }
    }
    Ok(())
}

/// A tag name's identity for the duplicate check: names of up to 7 bytes (all real ones)
/// packed with their length, so equal keys mean equal names; longer names get the key 0
/// and are compared in full.
#[inline]
fn short_name_key(name: &[u8]) -> u64 {
    if name.len() > 7 {
        return 0;
    }
    // Shifted in register by register: copying into a stack array and reading it back as
    // a word stalls on store forwarding.
    let packed = name
        .iter()
        .rev()
        .fold(0u64, |key, &b| (key << 8) | u64::from(b));
    // The length (1..=7) in the top byte: a name never packs to 0.
    packed | (u64::try_from(name.len()).unwrap_or(0) << 56)
}

/// Rejects a tag-list in which a name occurs twice (names compare case-sensitively, §3.2).
pub(crate) fn check_duplicates(tags: &[Tag<'_>]) -> Result<(), TagListError> {
    if tags.len() <= 16 {
        let mut keys = [0u64; 16];
        for (i, tag) in tags.iter().enumerate() {
            let key = short_name_key(tag.name);
            let duplicate = if key == 0 {
                tags[..i].iter().any(|earlier| earlier.name == tag.name)
            } else {
                keys[..i].contains(&key)
            };
            if duplicate {
                return Err(TagListError::DuplicateTag { offset: tag.offset });
            }
            keys[i] = key;
        }
        return Ok(());
    }
    // Long lists (hostile input): sort by name instead of comparing every pair.
    let mut order: Vec<usize> = (0..tags.len()).collect();
    order.sort_by(|&a, &b| tags[a].name.cmp(tags[b].name).then(a.cmp(&b)));
    for pair in order.windows(2) {
        if tags[pair[0]].name == tags[pair[1]].name {
            return Err(TagListError::DuplicateTag {
                offset: tags[pair[1]].offset,
            });
        }
    }
    Ok(())
}

/// `value` without leading and trailing FWS.
pub(crate) fn trim_fws(value: &[u8]) -> &[u8] {
    let is_ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let start = value.iter().position(|b| !is_ws(b)).unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| !is_ws(b))
        .map_or(start, |e| e + 1);
    &value[start..end]
}

/// Splits a colon-separated list (`h=`, `s=`, `t=`, `q=` …), trimming FWS around each item.
pub(crate) fn colon_list(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value.split(|&b| b == b':').map(trim_fws)
}

/// The nom grammar of the tag-list, the reference [`parse`] is held to.
#[cfg(test)]
pub(crate) mod reference {
    use nom::IResult;
    use nom::Parser;
    use nom::bytes::complete::take_while;
    use nom::character::complete::satisfy;
    use nom::combinator::recognize;
    use nom::sequence::pair;

    use super::{Tag, TagListError, check_duplicates, tag_value};

    /// `FWS = ([*WSP CRLF] 1*WSP)` (RFC 5322 §3.2.2).
    ///
    /// Accepted loosely as any run of SP, HTAB, CR and LF: header fields reach this parser
    /// already unfolded into fields by the message splitter (every continuation line starts with
    /// WSP), and key records come from DNS where line breaks have no meaning.
    fn fws(input: &[u8]) -> IResult<&[u8], &[u8]> {
        take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n')).parse(input)
    }

    /// `tag-name = ALPHA *ALNUMPUNC`, `ALNUMPUNC = ALPHA / DIGIT / "_"`.
    fn tag_name(input: &[u8]) -> IResult<&[u8], &[u8]> {
        recognize(pair(
            satisfy(|c| c.is_ascii_alphabetic()),
            take_while(|b: u8| b.is_ascii_alphanumeric() || b == b'_'),
        ))
        .parse(input)
    }

    /// The tag-list by the grammar, combinator by combinator.
    pub(crate) fn parse(input: &[u8]) -> Result<Vec<Tag<'_>>, TagListError> {
        let offset_of = |rest: &[u8]| input.len() - rest.len();
        let syntax = |rest: &[u8]| TagListError::Syntax {
            offset: offset_of(rest),
        };
        let mut tags: Vec<Tag<'_>> = Vec::new();
        let mut rest = input;
        loop {
            let (after_fws, _) = fws(rest).map_err(|_| syntax(rest))?;
            if after_fws.is_empty() {
                break;
            }
            rest = after_fws;
            let name_offset = offset_of(rest);
            let (after_name, name) = tag_name(rest).map_err(|_| syntax(rest))?;
            let (after_fws, _) = fws(after_name).map_err(|_| syntax(after_name))?;
            let Some(after_equals) = after_fws.strip_prefix(b"=") else {
                return Err(syntax(after_fws));
            };
            let (value_start, _) = fws(after_equals).map_err(|_| syntax(after_equals))?;
            let (after_value, value) = tag_value(value_start);
            let (after_spec, _) = fws(after_value).map_err(|_| syntax(after_value))?;
            tags.push(Tag {
                name,
                value,
                offset: name_offset,
                after_equals: offset_of(after_equals),
                end: offset_of(after_spec),
            });
            match after_spec.split_first() {
                None => break,
                Some((b';', more)) => rest = more,
                Some(_) => return Err(syntax(after_spec)),
            }
        }
        check_duplicates(&tags)?;
        Ok(tags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_values(input: &[u8]) -> Vec<(&[u8], &[u8])> {
        parse(input)
            .unwrap()
            .into_iter()
            .map(|t| (t.name, t.value))
            .collect()
    }

    #[test]
    fn simple_list_with_fws_everywhere() {
        let got = names_values(b" v = 1 ;\r\n a=rsa-sha256;  b = ab\r\n cd ; ");
        assert_eq!(
            got,
            [
                (&b"v"[..], &b"1"[..]),
                (b"a", b"rsa-sha256"),
                (b"b", b"ab\r\n cd")
            ]
        );
    }

    #[test]
    fn empty_values_and_trailing_semicolon() {
        assert_eq!(names_values(b"p=;"), [(&b"p"[..], &b""[..])]);
        assert_eq!(names_values(b"p="), [(&b"p"[..], &b""[..])]);
        assert!(names_values(b"").is_empty());
        assert!(names_values(b"  ").is_empty());
    }

    #[test]
    fn offsets_point_into_input() {
        let input = b"a=1; b= xy ;c=2";
        let tags = parse(input).unwrap();
        let b = tags[1];
        assert_eq!(&input[b.after_equals..b.end], b" xy ");
        assert_eq!(b.offset, 5);
    }

    #[test]
    fn duplicates_are_errors() {
        assert_eq!(
            parse(b"a=1; b=2; a=3"),
            Err(TagListError::DuplicateTag { offset: 10 })
        );
        let many: Vec<u8> = (0..40)
            .flat_map(|i| format!("t{i}=x;").into_bytes())
            .chain(b"t7=y".iter().copied())
            .collect();
        assert!(matches!(
            parse(&many),
            Err(TagListError::DuplicateTag { .. })
        ));
    }

    #[test]
    fn syntax_errors() {
        assert!(matches!(
            parse(b"v=DKIM1: k=rsa"),
            Ok(tags) if tags.len() == 1
        ));
        assert_eq!(parse(b"=1"), Err(TagListError::Syntax { offset: 0 }));
        assert_eq!(parse(b"a 1"), Err(TagListError::Syntax { offset: 2 }));
        assert_eq!(parse(b"a=1;;b=2"), Err(TagListError::Syntax { offset: 4 }));
        assert_eq!(parse(b"a=\x01"), Err(TagListError::Syntax { offset: 2 }));
        assert_eq!(parse(b"1a=2"), Err(TagListError::Syntax { offset: 0 }));
    }

    #[test]
    fn value_class_table_matches_the_grammar() {
        for b in 0..=255u8 {
            let expected = if is_valchar(b) {
                VALCHAR
            } else if is_fws(b) {
                VALUE_FWS
            } else {
                0
            };
            assert_eq!(VALUE_CLASS[usize::from(b)], expected, "byte {b:#04x}");
        }
    }

    #[test]
    fn colon_lists_trim_fws() {
        let items: Vec<&[u8]> = colon_list(b"from : to :\r\n subject").collect();
        assert_eq!(items, [&b"from"[..], b"to", b"subject"]);
    }

    proptest::proptest! {
        /// The index scanner and the nom grammar agree on every input: same tags, same
        /// offsets, same errors.
        #[test]
        fn scanner_equals_nom_grammar(input in proptest::collection::vec(
            proptest::sample::select(b"abvhx_1=;:; \t\r\n=AZ/+\x01\x80".to_vec()), 0..60)) {
            proptest::prop_assert_eq!(parse(&input), reference::parse(&input));
        }

        #[test]
        fn scanner_equals_nom_grammar_on_realistic_lists(
            tags in proptest::collection::vec(("[a-z][a-z0-9_]{0,8}", "[ -~]{0,12}", "[ \t]{0,2}(\r\n[ \t])?"), 0..14)
        ) {
            let mut input = String::new();
            for (name, value, fws) in &tags {
                for piece in [fws, name, fws, "=", fws, value, fws, ";"] {
                    input.push_str(piece);
                }
            }
            proptest::prop_assert_eq!(parse(input.as_bytes()), reference::parse(input.as_bytes()));
        }
    }
}
