//! `Date:` and other `date-time` values (RFC 5322 §3.3, obsolete §4.3).

use nom::Parser;
use nom::bytes::complete::{tag, take_while_m_n, take_while1};
use nom::combinator::opt;
use nom::error::{Error as NomError, ErrorKind};

use crate::error::Error;
use crate::lexer::{PResult, opt_cfws};

/// A parsed `date-time`. Fields are as written (local time of the sender);
/// [`timestamp`](Self::timestamp) converts to UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct DateTime {
    /// Four-digit year; two- and three-digit obsolete years are expanded as
    /// RFC 5322 §4.3 says (`< 50` → 20xx, otherwise 19xx; three digits + 1900).
    pub year: u32,
    /// Month, 1–12.
    pub month: u8,
    /// Day of month, 1–31.
    pub day: u8,
    /// Hour, 0–23.
    pub hour: u8,
    /// Minute, 0–59.
    pub minute: u8,
    /// Second, 0–60 (0 when omitted).
    pub second: u8,
    /// Offset east of UTC in minutes (`-0330` → -210).
    pub offset_minutes: i16,
    /// `false` when the zone was `-0000`, a military letter, an unknown name
    /// or absent: RFC 5322 §4.3 says to treat those as "no zone
    /// information" (offset 0).
    pub offset_known: bool,
}

impl DateTime {
    /// Seconds since 1970-01-01T00:00:00Z (a leap second counts as the next
    /// second).
    pub fn timestamp(&self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let (y, m) = (i64::from(self.year), i64::from(self.month));
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
            - i64::from(self.offset_minutes) * 60
    }
}

/// Parses a `date-time` value.
///
/// ```text
/// date-time = [ day-of-week "," ] date time [CFWS]    ; RFC 5322 §3.3
/// date      = day month year
/// time      = time-of-day zone
/// ```
///
/// Obsolete forms (comments anywhere, two-digit years, missing seconds,
/// zone names) are accepted; lenient: a numeric month (`20 11 79`) and a
/// missing zone are accepted too.
///
/// # Errors
///
/// [`Error::Syntax`] with `field: "date-time"`.
///
/// ```
/// use mailproof_message::parse_date;
///
/// let d = parse_date(b" Fri, 21 Nov 1997 09:55:06 -0600 (CST)").unwrap();
/// assert_eq!((d.year, d.month, d.day, d.offset_minutes), (1997, 11, 21, -360));
/// assert_eq!(d.timestamp(), 880_127_706);
/// ```
pub fn parse_date(value: &[u8]) -> Result<DateTime, Error> {
    date_time(value).map(|(_, d)| d).map_err(|e| {
        let offset = match e {
            nom::Err::Error(e) | nom::Err::Failure(e) => value.len() - e.input.len(),
            nom::Err::Incomplete(_) => value.len(),
        };
        Error::Syntax {
            field: "date-time",
            offset,
        }
    })
}

fn fail<O>(input: &[u8]) -> PResult<'_, O> {
    Err(nom::Err::Error(NomError::new(input, ErrorKind::Verify)))
}

fn number(input: &[u8], min: usize, max: usize) -> PResult<'_, (u32, usize)> {
    let (rest, digits) = take_while_m_n(min, max, |b: u8| b.is_ascii_digit())(input)?;
    let value = digits
        .iter()
        .fold(0u32, |acc, &d| acc * 10 + u32::from(d - b'0'));
    Ok((rest, (value, digits.len())))
}

/// Narrowing after a range check.
fn small(n: u32) -> u8 {
    u8::try_from(n).unwrap_or(u8::MAX)
}

fn date_time(input: &[u8]) -> PResult<'_, DateTime> {
    let (rest, _) = opt(day_of_week).parse(input)?;
    let (rest, day) = day(rest)?;
    let (rest, month) = month(rest)?;
    let (rest, year) = year(rest)?;
    let (rest, (hour, minute, second)) = time_of_day(rest)?;
    let (rest, zone) = opt(zone).parse(rest)?;
    let (rest, _) = opt_cfws(rest)?;
    if !rest.is_empty() {
        return fail(rest);
    }
    let (offset_minutes, offset_known) = zone.unwrap_or((0, false));
    Ok((
        rest,
        DateTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
            offset_minutes,
            offset_known,
        },
    ))
}

/// ```text
/// day-of-week = ([FWS] day-name) / obs-day-of-week    ; followed by ","
/// day-name    = "Mon" / "Tue" / "Wed" / "Thu" / "Fri" / "Sat" / "Sun"
/// ```
///
/// Lenient: full or misspelt names are skipped; the value is not checked
/// against the date.
fn day_of_week(input: &[u8]) -> PResult<'_, ()> {
    let (rest, _) = (
        opt_cfws,
        take_while1(|b: u8| b.is_ascii_alphabetic()),
        opt_cfws,
        tag(&b","[..]),
    )
        .parse(input)?;
    Ok((rest, ()))
}

/// ```text
/// day     = ([FWS] 1*2DIGIT FWS) / obs-day
/// obs-day = [CFWS] 1*2DIGIT [CFWS]
/// ```
fn day(input: &[u8]) -> PResult<'_, u8> {
    let (rest, (_, (day, _))) = (opt_cfws, |i| number(i, 1, 2)).parse(input)?;
    if !(1..=31).contains(&day) {
        return fail(input);
    }
    Ok((rest, small(day)))
}

/// ```text
/// month = "Jan" / "Feb" / "Mar" / "Apr" / "May" / "Jun" /
///         "Jul" / "Aug" / "Sep" / "Oct" / "Nov" / "Dec"
/// ```
///
/// Case-insensitive; lenient: a number 1–12.
fn month(input: &[u8]) -> PResult<'_, u8> {
    const NAMES: [&[u8]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    let (rest, _) = opt_cfws(input)?;
    if let Ok((after, (n, _))) = number(rest, 1, 2) {
        return if (1..=12).contains(&n) {
            Ok((after, small(n)))
        } else {
            fail(rest)
        };
    }
    let (after, name) = take_while1(|b: u8| b.is_ascii_alphabetic())(rest)?;
    match NAMES
        .iter()
        .position(|m| name.len() >= 3 && name[..3].eq_ignore_ascii_case(m))
    {
        Some(i) => Ok((after, small(u32::try_from(i).unwrap_or(0) + 1))),
        None => fail(rest),
    }
}

/// ```text
/// year     = (FWS 4*DIGIT FWS) / obs-year
/// obs-year = [CFWS] 2*DIGIT [CFWS]
/// ```
fn year(input: &[u8]) -> PResult<'_, u32> {
    let (rest, (_, (year, digits))) = (opt_cfws, |i| number(i, 2, 9)).parse(input)?;
    let year = match digits {
        2 if year < 50 => year + 2000,
        2 | 3 => year + 1900,
        _ => year,
    };
    Ok((rest, year))
}

/// ```text
/// time-of-day = hour ":" minute [ ":" second ]
/// obs-hour    = [CFWS] 2DIGIT [CFWS]   (likewise minute and second)
/// ```
fn time_of_day(input: &[u8]) -> PResult<'_, (u8, u8, u8)> {
    let colon = |i| (opt_cfws, tag(&b":"[..]), opt_cfws).parse(i);
    let (rest, (_, (hour, _), _, (minute, _))) =
        (opt_cfws, |i| number(i, 1, 2), colon, |i| number(i, 1, 2)).parse(input)?;
    let (rest, second) = opt((colon, |i| number(i, 1, 2))).parse(rest)?;
    let second = second.map_or(0, |(_, (s, _))| s);
    if hour > 23 || minute > 59 || second > 60 {
        return fail(input);
    }
    Ok((rest, (small(hour), small(minute), small(second))))
}

/// Offset in minutes and whether it carries information.
///
/// ```text
/// zone     = (FWS ( "+" / "-" ) 4DIGIT) / obs-zone
/// obs-zone = "UT" / "GMT" / "EST" / "EDT" / "CST" / "CDT" /
///            "MST" / "MDT" / "PST" / "PDT" / %d65-73 / %d75-90 / %d97-105 / %d107-122
/// ```
///
/// Lenient: an unknown alphabetic zone (`ZZZZ`, and the name part of
/// `EST5EDT`) is read as RFC 5322 §4.3 says of unknown zones: `-0000`.
fn zone(input: &[u8]) -> PResult<'_, (i16, bool)> {
    let (rest, _) = opt_cfws(input)?;
    if let Ok((after, (sign, (hhmm, _)))) =
        (nom::branch::alt((tag(&b"+"[..]), tag(&b"-"[..]))), |i| {
            number(i, 4, 4)
        })
            .parse(rest)
    {
        let (hours, minutes) = (hhmm / 100, hhmm % 100);
        if minutes > 59 {
            return fail(rest);
        }
        let offset = i16::try_from(hours * 60 + minutes).unwrap_or(0);
        let negative = sign == b"-";
        return Ok((
            after,
            (
                if negative { -offset } else { offset },
                !(negative && offset == 0),
            ),
        ));
    }
    let (after, name) = take_while1(|b: u8| b.is_ascii_alphanumeric())(rest)?;
    let alpha: Vec<u8> = name
        .iter()
        .take_while(|b| b.is_ascii_alphabetic())
        .map(u8::to_ascii_uppercase)
        .collect();
    let hours: Option<i16> = match alpha.as_slice() {
        b"UT" | b"UTC" | b"GMT" | b"Z" => Some(0),
        b"EDT" => Some(-4),
        b"EST" | b"CDT" => Some(-5),
        b"CST" | b"MDT" => Some(-6),
        b"MST" | b"PDT" => Some(-7),
        b"PST" => Some(-8),
        _ => None,
    };
    Ok((after, hours.map_or((0, false), |h| (h * 60, true))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Option<(u32, u8, u8, u8, u8, u8, i16)> {
        parse_date(s.as_bytes()).ok().map(|d| {
            (
                d.year,
                d.month,
                d.day,
                d.hour,
                d.minute,
                d.second,
                d.offset_minutes,
            )
        })
    }

    #[test]
    fn modern_and_obsolete() {
        assert_eq!(
            d("Tue, 1 Jul 2003 10:52:37 +0200"),
            Some((2003, 7, 1, 10, 52, 37, 120))
        );
        assert_eq!(
            d("Thu,\n 13\n Feb\n 1969\n 23:32\n -0330 (Newfoundland Time)"),
            Some((1969, 2, 13, 23, 32, 0, -210))
        );
        assert_eq!(
            d("21 Nov 97 09:55:06 GMT"),
            Some((1997, 11, 21, 9, 55, 6, 0))
        );
        assert_eq!(
            d("Sun, 27 Oct 2002 23:57:07 EST"),
            Some((2002, 10, 27, 23, 57, 7, -300))
        );
        assert_eq!(
            d("Thu, 10 Jul 1997 14:53:31 EST5EDT"),
            Some((1997, 7, 10, 14, 53, 31, -300))
        );
        assert_eq!(
            d("1 jan 2021 09:55:06 +0200"),
            Some((2021, 1, 1, 9, 55, 6, 120))
        );
    }

    #[test]
    fn invalid() {
        assert_eq!(d("13 zzz 2021 09:55:06 +0200"), None);
        assert_eq!(d("Tue, 7 00 2026 19:14:51 +0000"), None);
        assert_eq!(d(" some numbers 0 1 2 but invalid "), None);
        assert_eq!(d("1 Jan 2021 24:00:00 +0000"), None);
        assert!(
            !parse_date(b"1 Jan 2021 00:00:00 -0000")
                .unwrap()
                .offset_known
        );
    }
}
