//! DNS for the C API: hickory (system or given servers), zone files, or the embedder's
//! callbacks, behind one `Resolver`.

use std::ffi::{CString, c_char, c_int, c_void};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use mailproof_dns::{
    Answer, FailureKind, LookupError, Mx, Name, RecordType, Resolver, Txt, ZoneResolver,
};

use crate::error::{ErrorCode, Failure, guard_quiet};
use crate::text::{bytes_arg, handle_mut, str_arg};

/// What a lookup callback found; its return value.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DnsStatus {
    /// The records added to the answer (none added counts as NODATA).
    Records = 0,
    /// The name exists but has no records of the type asked for (NOERROR, empty answer).
    Nodata = 1,
    /// The name does not exist (NXDOMAIN).
    Nxdomain = 2,
    /// No answer: timeout, SERVFAIL, REFUSED, network trouble. SPF, DKIM and DMARC report
    /// *temperror*. Any value not in this enum means the same.
    Tempfail = 3,
}

/// A lookup callback: answers the query for `name` (`name_len` bytes, NUL-terminated, lower
/// case, no trailing dot; for PTR the reverse name, like `66.113.0.203.in-addr.arpa`) by
/// adding records to `answer` with the `mailproof_answer_add_*` function of the queried type,
/// and returns a `mailproof_dns_status` value (as an int).
///
/// `name` and `answer` are valid only during the call. The callback runs on the thread that
/// called `mailproof_verify` or `mailproof_check_spf`, synchronously, while that call blocks;
/// when several threads verify with one authenticator, callbacks run concurrently and must be
/// thread-safe. It must not call `mailproof_verify`, `mailproof_check_spf` or
/// `mailproof_authenticator_free` on any authenticator (the calling one or another), must not
/// use or free the error object of the call it runs in, and must not unwind (no C++
/// exceptions, no `longjmp`); the signer and `mailproof_answer_*` functions are fine.
///
/// If an add function returns false (a record it cannot take: bad text, wrong type), the
/// whole answer counts as `MAILPROOF_DNS_STATUS_TEMPFAIL`, whatever the callback returns, so
/// that a half-filled answer is never taken for the whole one.
pub type LookupFn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        name: *const c_char,
        name_len: usize,
        answer: *mut DnsAnswer,
    ) -> c_int,
>;

/// The embedder's resolver: one callback per record type and a pointer passed to each.
///
/// `txt` is required (DKIM keys and SPF and DMARC records are TXT). A NULL `a`, `aaaa`, `mx`
/// or `ptr` makes those lookups temporary failures (SPF mechanisms `a`, `mx`, `ptr` and
/// `exists` then give *temperror*). `user_data` is passed untouched; it must stay valid
/// until the authenticator is freed, and the library never frees it.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ResolverCallbacks {
    /// Passed as the first argument of every callback.
    pub user_data: *mut c_void,
    /// TXT lookups: add each record with `mailproof_answer_add_txt` (a record's
    /// character-strings joined with nothing between them).
    pub txt: LookupFn,
    /// A lookups: `mailproof_answer_add_a`.
    pub a: LookupFn,
    /// AAAA lookups: `mailproof_answer_add_aaaa`.
    pub aaaa: LookupFn,
    /// MX lookups: `mailproof_answer_add_mx`.
    pub mx: LookupFn,
    /// PTR lookups (the name is the reverse name): `mailproof_answer_add_ptr`.
    pub ptr: LookupFn,
}

/// The records a callback is building; valid only during the callback.
#[derive(Debug)]
pub struct DnsAnswer {
    records: Records,
    ttl_seconds: u32,
    /// An add function refused a record: the answer is incomplete.
    refused: bool,
}

#[derive(Debug)]
enum Records {
    Txt(Vec<Txt>),
    A(Vec<Ipv4Addr>),
    Aaaa(Vec<Ipv6Addr>),
    Mx(Vec<Mx>),
    Ptr(Vec<Name>),
}

impl Records {
    fn record_type(&self) -> RecordType {
        match self {
            Records::Txt(_) => RecordType::Txt,
            Records::A(_) => RecordType::A,
            Records::Aaaa(_) => RecordType::Aaaa,
            Records::Mx(_) => RecordType::Mx,
            Records::Ptr(_) => RecordType::Ptr,
        }
    }
}

/// The callbacks as a [`Resolver`].
#[derive(Debug)]
pub(crate) struct CallbackResolver {
    callbacks: ResolverCallbacks,
}

// SAFETY: the header documents that, for an authenticator used from several threads, the
// callbacks and `user_data` must be safe to call concurrently from those threads; the
// library itself only copies the pointers.
unsafe impl Send for CallbackResolver {}
// SAFETY: as for Send: shared use only calls the callbacks, which the embedder makes
// thread-safe when it shares the authenticator.
unsafe impl Sync for CallbackResolver {}

impl CallbackResolver {
    pub(crate) fn new(callbacks: ResolverCallbacks) -> Result<CallbackResolver, Failure> {
        if callbacks.txt.is_none() {
            return Err(Failure::new(
                ErrorCode::NullPointer,
                "the txt callback is NULL (it is required)",
            ));
        }
        Ok(CallbackResolver { callbacks })
    }

    /// Calls the callback for the type of `empty` and turns what it did into an answer;
    /// `take` gets the records back out.
    fn answer<T>(
        &self,
        name: &Name,
        empty: Records,
        take: impl FnOnce(Records) -> Vec<T>,
    ) -> Result<Answer<T>, LookupError> {
        let record_type = empty.record_type();
        let failure = || LookupError::new(FailureKind::Other, name.clone(), record_type);
        let callback = match record_type {
            RecordType::Txt => self.callbacks.txt,
            RecordType::A => self.callbacks.a,
            RecordType::Aaaa => self.callbacks.aaaa,
            RecordType::Mx => self.callbacks.mx,
            RecordType::Ptr => self.callbacks.ptr,
        }
        .ok_or_else(failure)?;
        let text = CString::new(name.as_str()).map_err(|_| failure())?;
        let mut answer = DnsAnswer {
            records: empty,
            ttl_seconds: 0,
            refused: false,
        };
        // SAFETY: the embedder supplied `callback` and `user_data` for exactly this call
        // (see `mailproof_lookup_fn`); `text` and `answer` outlive the call.
        let status = unsafe {
            callback(
                self.callbacks.user_data,
                text.as_ptr(),
                name.as_str().len(),
                &raw mut answer,
            )
        };
        let ttl_seconds = answer.ttl_seconds;
        if answer.refused {
            // A record was lost: whatever the status says, the answer is not the DNS's.
            return Err(failure());
        }
        match status {
            s if s == DnsStatus::Records as c_int => {
                Ok(Answer::from_records(take(answer.records), ttl_seconds))
            }
            s if s == DnsStatus::Nodata as c_int => Ok(Answer::NoRecords { ttl_seconds }),
            s if s == DnsStatus::Nxdomain as c_int => Ok(Answer::NxDomain { ttl_seconds }),
            _ => Err(failure()),
        }
    }
}

impl Resolver for CallbackResolver {
    async fn txt(&self, name: &Name) -> Result<Answer<Txt>, LookupError> {
        self.answer(name, Records::Txt(Vec::new()), |r| match r {
            Records::Txt(v) => v,
            _ => Vec::new(),
        })
    }

    async fn a(&self, name: &Name) -> Result<Answer<Ipv4Addr>, LookupError> {
        self.answer(name, Records::A(Vec::new()), |r| match r {
            Records::A(v) => v,
            _ => Vec::new(),
        })
    }

    async fn aaaa(&self, name: &Name) -> Result<Answer<Ipv6Addr>, LookupError> {
        self.answer(name, Records::Aaaa(Vec::new()), |r| match r {
            Records::Aaaa(v) => v,
            _ => Vec::new(),
        })
    }

    async fn mx(&self, name: &Name) -> Result<Answer<Mx>, LookupError> {
        self.answer(name, Records::Mx(Vec::new()), |r| match r {
            Records::Mx(mut v) => {
                v.sort();
                v
            }
            _ => Vec::new(),
        })
    }

    async fn ptr(&self, ip: IpAddr) -> Result<Answer<Name>, LookupError> {
        self.answer(&Name::reverse(ip), Records::Ptr(Vec::new()), |r| match r {
            Records::Ptr(v) => v,
            _ => Vec::new(),
        })
    }
}

/// Every kind of DNS an authenticator can use.
#[derive(Debug)]
pub(crate) enum AnyResolver {
    #[cfg(feature = "hickory")]
    Hickory(mailproof_dns_hickory::HickoryResolver),
    Zone(ZoneResolver),
    Callbacks(CallbackResolver),
}

macro_rules! dispatch {
    ($self:ident, $method:ident, $arg:expr) => {
        match $self {
            #[cfg(feature = "hickory")]
            AnyResolver::Hickory(r) => r.$method($arg).await,
            AnyResolver::Zone(r) => r.$method($arg).await,
            AnyResolver::Callbacks(r) => r.$method($arg).await,
        }
    };
}

impl Resolver for AnyResolver {
    async fn txt(&self, name: &Name) -> Result<Answer<Txt>, LookupError> {
        dispatch!(self, txt, name)
    }
    async fn a(&self, name: &Name) -> Result<Answer<Ipv4Addr>, LookupError> {
        dispatch!(self, a, name)
    }
    async fn aaaa(&self, name: &Name) -> Result<Answer<Ipv6Addr>, LookupError> {
        dispatch!(self, aaaa, name)
    }
    async fn mx(&self, name: &Name) -> Result<Answer<Mx>, LookupError> {
        dispatch!(self, mx, name)
    }
    async fn ptr(&self, ip: IpAddr) -> Result<Answer<Name>, LookupError> {
        dispatch!(self, ptr, ip)
    }
}

/// Runs an answer-builder body, for a record of type `kind`, on the answer, which must not
/// be NULL. A record of the queried type that the body refuses marks the answer incomplete;
/// a record of another type is refused without that (it was never part of the answer).
fn add(
    answer: Option<&mut DnsAnswer>,
    kind: RecordType,
    body: impl FnOnce(&mut Records) -> Result<(), Failure>,
) -> bool {
    guard_quiet(false, || {
        let answer =
            answer.ok_or_else(|| Failure::new(ErrorCode::NullPointer, "answer is NULL"))?;
        if answer.records.record_type() != kind {
            return Err(wrong_type(kind, &answer.records));
        }
        let added = body(&mut answer.records);
        answer.refused |= added.is_err();
        added.map(|()| true)
    })
}

fn wrong_type(expected: RecordType, records: &Records) -> Failure {
    Failure::new(
        ErrorCode::InvalidArgument,
        format!(
            "a {expected} record added to the answer of a {} query",
            records.record_type()
        ),
    )
}

/// Adds one TXT record (`len` bytes at `data`: the record's character-strings joined with
/// nothing between them; any bytes; `(NULL, 0)` is an empty record) to the answer of a TXT
/// query. Returns false, adding nothing, when `answer` is NULL, `data` is NULL with a
/// non-zero `len`, `len` is impossible or the query is not TXT.
///
/// # Safety
/// `answer` is the pointer the callback received, used during the callback; `data` is NULL or
/// points to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_answer_add_txt(
    answer: *mut DnsAnswer,
    data: *const u8,
    len: usize,
) -> bool {
    // SAFETY: NULL or the live answer of the running callback, by the caller's contract.
    let answer = unsafe { answer.as_mut() };
    add(answer, RecordType::Txt, |records| {
        // SAFETY: NULL or `len` readable bytes, by the caller's contract.
        let bytes = unsafe { bytes_arg(data, len, "data") }?;
        match records {
            Records::Txt(v) => {
                v.push(Txt::new(bytes));
                Ok(())
            }
            other => Err(wrong_type(RecordType::Txt, other)),
        }
    })
}

/// Adds one IPv4 address (dotted text, like `203.0.113.66`) to the answer of an A query.
/// Returns false, adding nothing, for NULL arguments, text that is not an IPv4 address or
/// another query type.
///
/// # Safety
/// `answer` is the pointer the callback received, used during the callback; `address` is
/// NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_answer_add_a(
    answer: *mut DnsAnswer,
    address: *const c_char,
) -> bool {
    // SAFETY: NULL or the live answer of the running callback, by the caller's contract.
    let answer = unsafe { answer.as_mut() };
    add(answer, RecordType::A, |records| {
        // SAFETY: NULL or NUL-terminated, by the caller's contract.
        let text = unsafe { str_arg(address, "address") }?;
        let ip: Ipv4Addr = text.parse().map_err(|_| {
            Failure::new(
                ErrorCode::InvalidArgument,
                format!("{text:?} is not an IPv4 address"),
            )
        })?;
        match records {
            Records::A(v) => {
                v.push(ip);
                Ok(())
            }
            other => Err(wrong_type(RecordType::A, other)),
        }
    })
}

/// Adds one IPv6 address (text, like `2001:db8::1`) to the answer of an AAAA query. Returns
/// false, adding nothing, for NULL arguments, text that is not an IPv6 address or another
/// query type.
///
/// # Safety
/// As `mailproof_answer_add_a`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_answer_add_aaaa(
    answer: *mut DnsAnswer,
    address: *const c_char,
) -> bool {
    // SAFETY: NULL or the live answer of the running callback, by the caller's contract.
    let answer = unsafe { answer.as_mut() };
    add(answer, RecordType::Aaaa, |records| {
        // SAFETY: NULL or NUL-terminated, by the caller's contract.
        let text = unsafe { str_arg(address, "address") }?;
        let ip: Ipv6Addr = text.parse().map_err(|_| {
            Failure::new(
                ErrorCode::InvalidArgument,
                format!("{text:?} is not an IPv6 address"),
            )
        })?;
        match records {
            Records::Aaaa(v) => {
                v.push(ip);
                Ok(())
            }
            other => Err(wrong_type(RecordType::Aaaa, other)),
        }
    })
}

/// Adds one mail exchanger (`preference`, host name `exchange`) to the answer of an MX query.
/// Returns false, adding nothing, for NULL arguments, an invalid host name or another query
/// type.
///
/// # Safety
/// `answer` is the pointer the callback received, used during the callback; `exchange` is
/// NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_answer_add_mx(
    answer: *mut DnsAnswer,
    preference: u16,
    exchange: *const c_char,
) -> bool {
    // SAFETY: NULL or the live answer of the running callback, by the caller's contract.
    let answer = unsafe { answer.as_mut() };
    add(answer, RecordType::Mx, |records| {
        // SAFETY: NULL or NUL-terminated, by the caller's contract.
        let exchange = parse_name(unsafe { str_arg(exchange, "exchange") }?)?;
        match records {
            Records::Mx(v) => {
                v.push(Mx {
                    preference,
                    exchange,
                });
                Ok(())
            }
            other => Err(wrong_type(RecordType::Mx, other)),
        }
    })
}

/// Adds one host name to the answer of a PTR query. Returns false, adding nothing, for NULL
/// arguments, an invalid host name or another query type.
///
/// # Safety
/// `answer` is the pointer the callback received, used during the callback; `target` is NULL
/// or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_answer_add_ptr(
    answer: *mut DnsAnswer,
    target: *const c_char,
) -> bool {
    // SAFETY: NULL or the live answer of the running callback, by the caller's contract.
    let answer = unsafe { answer.as_mut() };
    add(answer, RecordType::Ptr, |records| {
        // SAFETY: NULL or NUL-terminated, by the caller's contract.
        let target = parse_name(unsafe { str_arg(target, "target") }?)?;
        match records {
            Records::Ptr(v) => {
                v.push(target);
                Ok(())
            }
            other => Err(wrong_type(RecordType::Ptr, other)),
        }
    })
}

/// Sets how long the answer may be cached, in seconds (default 0). mailproof itself does not
/// cache callback answers; the TTL appears in verification details only. Returns false when
/// `answer` is NULL.
///
/// # Safety
/// `answer` is the pointer the callback received, used during the callback.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_answer_set_ttl(
    answer: *mut DnsAnswer,
    ttl_seconds: u32,
) -> bool {
    guard_quiet(false, || {
        // SAFETY: the caller's contract.
        let answer = unsafe { handle_mut(answer, "answer") }?;
        answer.ttl_seconds = ttl_seconds;
        Ok(true)
    })
}

pub(crate) fn parse_name(text: &str) -> Result<Name, Failure> {
    Name::new(text).map_err(|e| {
        Failure::new(
            ErrorCode::InvalidArgument,
            format!("{text:?} is not a valid domain name: {e}"),
        )
    })
}

#[cfg(test)]
#[allow(clippy::multiple_unsafe_ops_per_block)] // test bodies: one SAFETY note per group of calls
mod tests {
    use super::*;

    /// Answers TXT for `example.com`, A and MX for `mx.example.com`, NODATA for other types
    /// at those names, NXDOMAIN elsewhere, and fails `fail.example.com`.
    unsafe extern "C" fn lookup(
        user_data: *mut c_void,
        name: *const c_char,
        name_len: usize,
        answer: *mut DnsAnswer,
    ) -> c_int {
        // SAFETY: the test passes a live AtomicUsize.
        let calls = unsafe { &*user_data.cast::<std::sync::atomic::AtomicUsize>() };
        calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // SAFETY: the library passes `name_len` bytes, NUL-terminated.
        let name = unsafe { std::slice::from_raw_parts(name.cast::<u8>(), name_len + 1) };
        // SAFETY: `answer` is live during the callback; the arguments are literals.
        unsafe {
            match name {
                b"example.com\0" => {
                    // Refused (nothing added) for other query types: RECORDS with no
                    // records, which must become NODATA.
                    mailproof_answer_add_txt(answer, b"v=spf1 ".as_ptr(), 7);
                    mailproof_answer_set_ttl(answer, 300);
                    DnsStatus::Records as c_int
                }
                b"mx.example.com\0" => {
                    let ok = mailproof_answer_add_a(answer, c"192.0.2.1".as_ptr())
                        || mailproof_answer_add_mx(answer, 20, c"b.example.com".as_ptr())
                            && mailproof_answer_add_mx(answer, 10, c"a.example.com".as_ptr());
                    (if ok {
                        DnsStatus::Records
                    } else {
                        DnsStatus::Nodata
                    }) as c_int
                }
                b"fail.example.com\0" => 42,
                _ => DnsStatus::Nxdomain as c_int,
            }
        }
    }

    fn block_on<F: Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn callbacks_answer_as_the_resolver_trait_says() {
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let resolver = CallbackResolver::new(ResolverCallbacks {
            user_data: (&raw const calls).cast_mut().cast(),
            txt: Some(lookup),
            a: Some(lookup),
            aaaa: None,
            mx: Some(lookup),
            ptr: Some(lookup),
        })
        .unwrap();
        let name = |s: &str| Name::new(s).unwrap();
        let txt = block_on(resolver.txt(&name("example.com"))).unwrap();
        assert_eq!(txt.records()[0].as_bytes(), b"v=spf1 ");
        assert_eq!(txt.ttl_seconds(), 300);
        let a = block_on(resolver.a(&name("mx.example.com"))).unwrap();
        assert_eq!(a.records(), &[Ipv4Addr::new(192, 0, 2, 1)]);
        let mx = block_on(resolver.mx(&name("mx.example.com"))).unwrap();
        let exchanges: Vec<&str> = mx.records().iter().map(|m| m.exchange.as_str()).collect();
        assert_eq!(
            exchanges,
            ["a.example.com", "b.example.com"],
            "sorted by preference"
        );
        // Records with nothing added is NODATA, as the trait requires.
        let none = block_on(resolver.a(&name("example.com"))).unwrap();
        assert!(matches!(none, Answer::NoRecords { .. }));
        assert!(
            block_on(resolver.txt(&name("nope.example.com")))
                .unwrap()
                .is_nx_domain()
        );
        let error = block_on(resolver.txt(&name("fail.example.com"))).unwrap_err();
        assert_eq!(error.kind(), FailureKind::Other);
        let error = block_on(resolver.aaaa(&name("example.com"))).unwrap_err();
        assert_eq!(
            error.record_type(),
            RecordType::Aaaa,
            "NULL callback: temporary failure"
        );
        let ptr = block_on(resolver.ptr("192.0.2.1".parse().unwrap())).unwrap();
        assert!(ptr.is_nx_domain());
        assert_eq!(calls.load(std::sync::atomic::Ordering::Relaxed), 7);
    }

    #[test]
    fn txt_callback_is_required_and_builders_refuse_null() {
        let callbacks = ResolverCallbacks {
            user_data: std::ptr::null_mut(),
            txt: None,
            a: None,
            aaaa: None,
            mx: None,
            ptr: None,
        };
        assert_eq!(
            CallbackResolver::new(callbacks).unwrap_err().code,
            ErrorCode::NullPointer
        );
        // SAFETY: NULL answers are refused before use.
        unsafe {
            assert!(!mailproof_answer_add_txt(
                std::ptr::null_mut(),
                b"x".as_ptr(),
                1
            ));
            assert!(!mailproof_answer_add_a(
                std::ptr::null_mut(),
                c"192.0.2.1".as_ptr()
            ));
            assert!(!mailproof_answer_set_ttl(std::ptr::null_mut(), 1));
        }
        let mut answer = DnsAnswer {
            records: Records::A(Vec::new()),
            ttl_seconds: 0,
            refused: false,
        };
        // SAFETY: a live answer and NUL-terminated literals (or NULL).
        unsafe {
            assert!(!mailproof_answer_add_a(&raw mut answer, std::ptr::null()));
            assert!(!mailproof_answer_add_a(
                &raw mut answer,
                c"2001:db8::1".as_ptr()
            ));
            assert!(!mailproof_answer_add_aaaa(
                &raw mut answer,
                c"2001:db8::1".as_ptr()
            ));
            assert!(!mailproof_answer_add_ptr(&raw mut answer, c"a..b".as_ptr()));
            assert!(mailproof_answer_add_a(
                &raw mut answer,
                c"192.0.2.7".as_ptr()
            ));
        }
        assert!(matches!(&answer.records, Records::A(v) if v.len() == 1));
        assert!(answer.refused, "the refused adds are remembered");
        let mut txt = DnsAnswer {
            records: Records::Txt(Vec::new()),
            ttl_seconds: 0,
            refused: false,
        };
        // SAFETY: a live answer; `(NULL, 0)` is the empty record.
        unsafe {
            assert!(mailproof_answer_add_txt(&raw mut txt, std::ptr::null(), 0));
            assert!(!mailproof_answer_add_txt(&raw mut txt, std::ptr::null(), 3));
        }
        assert!(
            matches!(&txt.records, Records::Txt(v) if v.len() == 1 && v[0].as_bytes().is_empty())
        );
    }
}
