//! The authenticator handle, verification into a verdict object, and SPF alone.

use std::ffi::c_char;
use std::net::IpAddr;

use mailproof_dns::ZoneResolver;
use mailproof_facade::{Clock, Envelope, Policy};
use mailproof_spf::SpfOutput;

use crate::error::{Error, ErrorCode, Failure, guard, guard_quiet};
use crate::resolver::{AnyResolver, CallbackResolver, ResolverCallbacks};
use crate::text::{
    MailproofStr, Text, bytes_arg, free_handle, handle, handle_mut, optional, slice_arg, str_arg,
};

/// Verifies incoming mail (SPF, DKIM, DMARC) with one DNS source. Create it once with a
/// `mailproof_authenticator_new_*` function, share it between threads (`mailproof_verify`
/// and `mailproof_check_spf` may run concurrently), free it with
/// `mailproof_authenticator_free` once no call is running.
#[derive(Debug)]
pub struct Authenticator {
    /// `None` only if a panic interrupted `mailproof_authenticator_set_now`.
    inner: Option<mailproof_facade::Authenticator<AnyResolver>>,
}

impl Authenticator {
    fn facade(&self) -> Result<&mailproof_facade::Authenticator<AnyResolver>, Failure> {
        self.inner.as_ref().ok_or_else(|| {
            Failure::new(
                ErrorCode::Panic,
                "this authenticator was left unusable by an earlier internal error; free it",
            )
        })
    }
}

/// What DMARC asks the receiver to do with the message (the Domain Owner's policy after
/// testing mode; a receiver's local policy has the last word).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    /// Deliver normally (DMARC passed, no policy, `p=none`, or testing mode).
    None = 0,
    /// Treat as suspicious (spam folder).
    Quarantine = 1,
    /// Reject (SMTP 5xx).
    Reject = 2,
}

impl From<Policy> for Disposition {
    fn from(policy: Policy) -> Disposition {
        match policy {
            Policy::None => Disposition::None,
            Policy::Quarantine => Disposition::Quarantine,
            Policy::Reject => Disposition::Reject,
        }
    }
}

/// One SPF identity's outcome, as text.
#[derive(Debug)]
struct SpfPart {
    result: Text,
    domain: Text,
    reason: Text,
}

impl SpfPart {
    fn new(output: &SpfOutput) -> SpfPart {
        SpfPart {
            result: Text::new(output.result.as_str()),
            domain: Text::new(output.domain.clone()),
            reason: Text::new(output.reason.to_string()),
        }
    }
}

#[derive(Debug)]
struct DkimPart {
    result: Text,
    domain: Option<Text>,
    selector: Option<Text>,
    reason: Text,
}

/// The outcome of `mailproof_verify`: each method's result with its domain and reason, the
/// DMARC disposition and the rendered Authentication-Results header field. Immutable: read
/// it from any thread; free it once with `mailproof_verdict_free`. The strings it returns
/// live as long as it does.
#[derive(Debug)]
pub struct Verdict {
    spf: SpfPart,
    helo: SpfPart,
    dkim: Vec<DkimPart>,
    dmarc_result: Text,
    dmarc_domain: Option<Text>,
    dmarc_reason: Text,
    dmarc_policy: Option<Text>,
    disposition: Disposition,
    message_error: Option<Text>,
    authentication_results: Text,
    authentication_results_folded: Text,
}

impl Verdict {
    fn new(verdict: &mailproof_facade::Verdict) -> Verdict {
        let header = verdict.authentication_results();
        let dmarc = &verdict.dmarc;
        Verdict {
            spf: SpfPart::new(&verdict.spf.mail_from),
            helo: SpfPart::new(&verdict.spf.helo),
            dkim: verdict
                .dkim
                .iter()
                .map(|d| DkimPart {
                    result: Text::new(d.result.result().as_str()),
                    domain: d.tags.domain.clone().map(Text::new),
                    selector: d.tags.selector.clone().map(Text::new),
                    reason: Text::new(d.reason.clone()),
                })
                .collect(),
            dmarc_result: Text::new(dmarc.result().as_str()),
            dmarc_domain: dmarc.from_domain.as_ref().map(|d| Text::new(d.as_str())),
            dmarc_reason: Text::new(dmarc.reason.clone()),
            dmarc_policy: dmarc.policy.map(|p| Text::new(p.as_str())),
            disposition: verdict.disposition().into(),
            message_error: verdict
                .message_error
                .as_ref()
                .map(|e| Text::new(e.to_string())),
            authentication_results: Text::new(header.to_string()),
            authentication_results_folded: Text::new(header.to_header_field()),
        }
    }
}

/// The outcome of `mailproof_check_spf`: SPF for the MAIL FROM and HELO identities.
/// Immutable; free it with `mailproof_spf_free`.
#[derive(Debug)]
pub struct SpfCheck {
    mail_from: SpfPart,
    helo: SpfPart,
    received_spf: Text,
}

/// The authserv-id argument, checked.
///
/// # Safety
/// `ptr` is NULL or a NUL-terminated string.
unsafe fn authserv_id(ptr: *const c_char) -> Result<String, Failure> {
    // SAFETY: the caller's contract.
    let id = unsafe { str_arg(ptr, "authserv_id") }?;
    if id.trim().is_empty() {
        return Err(Failure::new(
            ErrorCode::InvalidArgument,
            "authserv_id is empty (use the receiving host's name, like mx.example.org)",
        ));
    }
    Ok(id.to_owned())
}

/// Makes an authenticator with the resolver `resolver` builds.
///
/// # Safety
/// `error` is NULL or a live error object used by this thread only; `authserv_id_ptr` is NULL
/// or a NUL-terminated string.
unsafe fn new_authenticator(
    error: *mut Error,
    authserv_id_ptr: *const c_char,
    resolver: impl FnOnce() -> Result<AnyResolver, Failure>,
) -> *mut Authenticator {
    let body = || {
        // SAFETY: the caller's contract.
        let id = unsafe { authserv_id(authserv_id_ptr) }?;
        let facade = mailproof_facade::Authenticator::new(resolver()?, &id);
        Ok(Box::into_raw(Box::new(Authenticator {
            inner: Some(facade),
        })))
    };
    // SAFETY: `error` is NULL or a live error object used by this thread only, and not
    // freed during the call, by the caller's contract.
    unsafe { guard(error, std::ptr::null_mut(), body) }
}

/// `error` and its sources, joined with ": ".
fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// An authenticator using the system's DNS configuration (`/etc/resolv.conf`), reporting
/// results as `authserv_id` (the receiving host's name, like `mx.example.org`). Returns NULL
/// on error: `MAILPROOF_CODE_DNS_SETUP` when the configuration cannot be read,
/// `MAILPROOF_CODE_UNSUPPORTED` when the library was built without the `hickory` feature.
///
/// # Safety
/// `authserv_id` is NULL or a NUL-terminated string; `error` is NULL or a live error object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_authenticator_new_system(
    authserv_id: *const c_char,
    error: *mut Error,
) -> *mut Authenticator {
    let resolver = || {
        #[cfg(feature = "hickory")]
        {
            mailproof_dns_hickory::HickoryResolver::from_system_conf()
                .map(AnyResolver::Hickory)
                .map_err(|e| Failure::new(ErrorCode::DnsSetup, describe(&e)))
        }
        #[cfg(not(feature = "hickory"))]
        {
            Err(unsupported())
        }
    };
    // SAFETY: the caller's contract on `error` and `authserv_id`.
    unsafe { new_authenticator(error, authserv_id, resolver) }
}

/// An authenticator asking the name servers `servers[0..count]`, each written `ip:port`,
/// `[ipv6]:port` or a bare IP (port 53), over UDP with TCP fallback. Returns NULL on error:
/// `MAILPROOF_CODE_INVALID_ARGUMENT` for an empty list or an address that does not parse,
/// `MAILPROOF_CODE_UNSUPPORTED` without the `hickory` feature.
///
/// # Safety
/// `authserv_id` is NULL or a NUL-terminated string; `servers` is NULL or points to `count`
/// pointers, each NULL or a NUL-terminated string; `error` is NULL or a live error object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_authenticator_new_servers(
    authserv_id: *const c_char,
    servers: *const *const c_char,
    count: usize,
    error: *mut Error,
) -> *mut Authenticator {
    let resolver = || {
        // SAFETY: NULL or `count` pointers, by the caller's contract.
        let pointers = unsafe { slice_arg(servers, count, "servers") }?;
        if pointers.is_empty() {
            return Err(Failure::new(
                ErrorCode::InvalidArgument,
                "no name servers given",
            ));
        }
        #[cfg(feature = "hickory")]
        {
            use mailproof_dns_hickory::{HickoryResolver, NameServerAddr};
            let mut addresses = Vec::with_capacity(pointers.len());
            for (index, &pointer) in pointers.iter().enumerate() {
                // SAFETY: NULL or NUL-terminated, by the caller's contract.
                let text = unsafe { str_arg(pointer, &format!("servers[{index}]")) }?;
                let address: NameServerAddr = text
                    .parse()
                    .map_err(|e| Failure::new(ErrorCode::InvalidArgument, describe(&e)))?;
                addresses.push(address);
            }
            HickoryResolver::with_name_servers(&addresses)
                .map(AnyResolver::Hickory)
                .map_err(|e| Failure::new(ErrorCode::DnsSetup, describe(&e)))
        }
        #[cfg(not(feature = "hickory"))]
        {
            Err(unsupported())
        }
    };
    // SAFETY: the caller's contract on `error` and `authserv_id`.
    unsafe { new_authenticator(error, authserv_id, resolver) }
}

#[cfg(not(feature = "hickory"))]
fn unsupported() -> Failure {
    Failure::new(
        ErrorCode::Unsupported,
        "built without the `hickory` feature: no network DNS (use zone files or callbacks)",
    )
}

/// An authenticator answering from the RFC 1035 zone files `paths[0..count]` (offline: names
/// outside the files' zones do not exist). Returns NULL on error: `MAILPROOF_CODE_ZONE_FILE`
/// with the file and line when one cannot be read or parsed, `MAILPROOF_CODE_INVALID_ARGUMENT`
/// for an empty list.
///
/// # Safety
/// `authserv_id` is NULL or a NUL-terminated string; `paths` is NULL or points to `count`
/// pointers, each NULL or a NUL-terminated string; `error` is NULL or a live error object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_authenticator_new_zones(
    authserv_id: *const c_char,
    paths: *const *const c_char,
    count: usize,
    error: *mut Error,
) -> *mut Authenticator {
    let resolver = || {
        // SAFETY: NULL or `count` pointers, by the caller's contract.
        let pointers = unsafe { slice_arg(paths, count, "paths") }?;
        if pointers.is_empty() {
            return Err(Failure::new(
                ErrorCode::InvalidArgument,
                "no zone files given",
            ));
        }
        let mut zone = ZoneResolver::new();
        zone.answer_nxdomain_outside_zones();
        for (index, &pointer) in pointers.iter().enumerate() {
            // SAFETY: NULL or NUL-terminated, by the caller's contract.
            let path = unsafe { str_arg(pointer, &format!("paths[{index}]")) }?;
            zone.load_zone_path(path, None).map_err(|e| {
                Failure::new(ErrorCode::ZoneFile, format!("{path}: {}", describe(&e)))
            })?;
        }
        Ok(AnyResolver::Zone(zone))
    };
    // SAFETY: the caller's contract on `error` and `authserv_id`.
    unsafe { new_authenticator(error, authserv_id, resolver) }
}

/// An authenticator asking the embedder's callbacks (copied from `*callbacks`; see
/// `mailproof_resolver_callbacks` for when they run). Returns NULL on error:
/// `MAILPROOF_CODE_NULL_POINTER` when `callbacks` or its `txt` callback is NULL.
///
/// # Safety
/// `authserv_id` is NULL or a NUL-terminated string; `callbacks` is NULL or points to a
/// `mailproof_resolver_callbacks` whose functions and `user_data` stay valid until the
/// authenticator is freed; `error` is NULL or a live error object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_authenticator_new_callbacks(
    authserv_id: *const c_char,
    callbacks: *const ResolverCallbacks,
    error: *mut Error,
) -> *mut Authenticator {
    let resolver = || {
        // SAFETY: NULL or a live struct, by the caller's contract.
        let callbacks = unsafe { handle(callbacks, "callbacks") }?;
        CallbackResolver::new(*callbacks).map(AnyResolver::Callbacks)
    };
    // SAFETY: the caller's contract on `error` and `authserv_id`.
    unsafe { new_authenticator(error, authserv_id, resolver) }
}

/// Fixes "now" for DKIM's `t=`/`x=` checks and SPF's `%{t}` macro, in seconds since the Unix
/// epoch, to replay old mail reproducibly; 0 returns to the system clock. Returns false,
/// changing nothing, when `authenticator` is NULL (`MAILPROOF_CODE_NULL_POINTER`) or
/// `unix_seconds` is past 999999999999, the last time DKIM's `t=` can hold
/// (`MAILPROOF_CODE_INVALID_ARGUMENT`: a `(uint64_t)-1` from a failed `mktime`, say).
///
/// Not thread-safe: call it before sharing the authenticator between threads.
///
/// # Safety
/// `authenticator` is NULL or a live authenticator no other thread uses during the call;
/// `error` is NULL or a live error object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_authenticator_set_now(
    authenticator: *mut Authenticator,
    unix_seconds: u64,
    error: *mut Error,
) -> bool {
    let body = || {
        // SAFETY: NULL or live and unaliased, by the caller's contract.
        let authenticator = unsafe { handle_mut(authenticator, "authenticator") }?;
        authenticator.facade()?;
        if unix_seconds > mailproof_dkim::MAX_TIMESTAMP {
            return Err(Failure::new(
                ErrorCode::InvalidArgument,
                format!(
                    "unix_seconds {unix_seconds} is past 999999999999, the last time DKIM can write"
                ),
            ));
        }
        let clock = match unix_seconds {
            0 => Clock::System,
            seconds => Clock::Fixed(seconds),
        };
        authenticator.inner = authenticator.inner.take().map(|a| a.with_clock(clock));
        Ok(true)
    };
    // SAFETY: `error` is NULL or a live error object used by this thread only, and not
    // freed during the call, by the caller's contract.
    unsafe { guard(error, false, body) }
}

/// Frees an authenticator. NULL is ignored.
///
/// # Safety
/// `authenticator` is NULL or from a `mailproof_authenticator_new_*` function, not yet freed,
/// with no call using it running in any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_authenticator_free(authenticator: *mut Authenticator) {
    guard_quiet((), || {
        // SAFETY: the caller's contract.
        unsafe { free_handle(authenticator) };
        Ok(())
    });
}

/// The envelope from C strings.
///
/// # Safety
/// Each pointer is NULL or a NUL-terminated string.
unsafe fn envelope(
    client_ip: *const c_char,
    helo: *const c_char,
    mail_from: *const c_char,
) -> Result<Envelope, Failure> {
    // SAFETY: the caller's contract.
    let ip_text = unsafe { str_arg(client_ip, "client_ip") }?;
    let ip: IpAddr = ip_text.trim().parse().map_err(|_| {
        Failure::new(
            ErrorCode::InvalidArgument,
            format!("client_ip {ip_text:?} is not an IP address"),
        )
    })?;
    // SAFETY: the caller's contract.
    let helo = unsafe { str_arg(helo, "helo") }?;
    // SAFETY: the caller's contract.
    let mail_from = unsafe { str_arg(mail_from, "mail_from") }?;
    Ok(Envelope::new(ip, helo, mail_from))
}

fn runtime_failure(error: &mailproof_facade::Error) -> Failure {
    Failure::new(ErrorCode::Runtime, describe(error))
}

/// Verifies one message: SPF for the MAIL FROM and HELO identities, every DKIM signature,
/// and DMARC for the From domain. Blocks until all DNS lookups are done.
///
/// `message` is the raw message, `len` bytes, header and body as received; bare LF line
/// endings are turned into CRLF first. `client_ip` is the SMTP client's address (IPv4 or
/// IPv6 text), `helo` the name it gave in HELO/EHLO, `mail_from` the MAIL FROM address
/// without angle brackets (empty for bounces). Every outcome, including a message that does
/// not parse, is a verdict; NULL is returned only for bad arguments (NULL, non-UTF-8, a
/// client IP that does not parse, an impossible length), for a call from inside a DNS
/// callback or a runtime that cannot start (`MAILPROOF_CODE_RUNTIME`), or for an internal
/// error (`MAILPROOF_CODE_PANIC`). `(NULL, 0)` is an empty message. Free the verdict with
/// `mailproof_verdict_free`.
///
/// Thread-safe: several threads may verify with one authenticator at once.
///
/// # Safety
/// `authenticator` is NULL or a live authenticator; `message` is NULL or points to `len`
/// readable bytes; the strings are NULL or NUL-terminated; `error` is NULL or a live error
/// object used by this thread only.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_verify(
    authenticator: *const Authenticator,
    message: *const u8,
    len: usize,
    client_ip: *const c_char,
    helo: *const c_char,
    mail_from: *const c_char,
    error: *mut Error,
) -> *mut Verdict {
    let body = || {
        // SAFETY: NULL or live, by the caller's contract.
        let facade = unsafe { handle(authenticator, "authenticator") }?.facade()?;
        // SAFETY: NULL or `len` readable bytes, by the caller's contract.
        let raw = unsafe { bytes_arg(message, len, "message") }?;
        // SAFETY: NULL or NUL-terminated, by the caller's contract.
        let envelope = unsafe { envelope(client_ip, helo, mail_from) }?;
        let raw = mailproof_facade::to_crlf(raw);
        let verdict = facade
            .verify_blocking(&envelope, &raw)
            .map_err(|e| runtime_failure(&e))?;
        Ok(Box::into_raw(Box::new(Verdict::new(&verdict))))
    };
    // SAFETY: `error` is NULL or a live error object used by this thread only, and not
    // freed during the call, by the caller's contract.
    unsafe { guard(error, std::ptr::null_mut(), body) }
}

/// Checks SPF alone (RFC 7208) for the MAIL FROM and HELO identities, without a message.
/// Arguments and errors as for `mailproof_verify`. Free the result with `mailproof_spf_free`.
///
/// Thread-safe like `mailproof_verify`.
///
/// # Safety
/// As `mailproof_verify`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_check_spf(
    authenticator: *const Authenticator,
    client_ip: *const c_char,
    helo: *const c_char,
    mail_from: *const c_char,
    error: *mut Error,
) -> *mut SpfCheck {
    let body = || {
        // SAFETY: NULL or live, by the caller's contract.
        let facade = unsafe { handle(authenticator, "authenticator") }?.facade()?;
        // SAFETY: NULL or NUL-terminated, by the caller's contract.
        let envelope = unsafe { envelope(client_ip, helo, mail_from) }?;
        let spf = facade
            .check_spf_blocking(&envelope)
            .map_err(|e| runtime_failure(&e))?;
        Ok(Box::into_raw(Box::new(SpfCheck {
            mail_from: SpfPart::new(&spf.mail_from),
            helo: SpfPart::new(&spf.helo),
            received_spf: Text::new(spf.received_spf().to_string()),
        })))
    };
    // SAFETY: `error` is NULL or a live error object used by this thread only, and not
    // freed during the call, by the caller's contract.
    unsafe { guard(error, std::ptr::null_mut(), body) }
}

/// Reads a string of DKIM signature `index`; absent when the verdict is NULL or the index
/// out of range.
///
/// # Safety
/// `verdict` is NULL or live.
unsafe fn dkim_field(
    verdict: *const Verdict,
    index: usize,
    read: impl FnOnce(&DkimPart) -> MailproofStr,
) -> MailproofStr {
    // SAFETY: the caller's contract.
    unsafe {
        field(verdict, |v| {
            v.dkim.get(index).map_or(MailproofStr::ABSENT, read)
        })
    }
}

/// Reads a field of a verdict-like handle; absent when the handle is NULL.
///
/// # Safety
/// `ptr` is NULL or a live handle.
unsafe fn field<T>(ptr: *const T, read: impl FnOnce(&T) -> MailproofStr) -> MailproofStr {
    guard_quiet(MailproofStr::ABSENT, || {
        // SAFETY: the caller's contract.
        let value = unsafe { handle(ptr, "handle") }?;
        Ok(read(value))
    })
}

/// SPF result for the MAIL FROM identity (the one DMARC uses): `none`, `neutral`, `pass`,
/// `fail`, `softfail`, `temperror` or `permerror`.
///
/// # Safety
/// `verdict` is NULL (the result is then absent) or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_verdict_spf_result(verdict: *const Verdict) -> MailproofStr {
    // SAFETY: the caller's contract.
    unsafe { field(verdict, |v: &Verdict| v.spf.result.as_ffi()) }
}
/// The domain SPF checked for MAIL FROM (the HELO name for a null MAIL FROM).
///
/// # Safety
/// `verdict` is NULL (the result is then absent) or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_verdict_spf_domain(verdict: *const Verdict) -> MailproofStr {
    // SAFETY: the caller's contract.
    unsafe { field(verdict, |v: &Verdict| v.spf.domain.as_ffi()) }
}
/// Why the MAIL FROM SPF result is what it is, in words.
///
/// # Safety
/// `verdict` is NULL (the result is then absent) or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_verdict_spf_reason(verdict: *const Verdict) -> MailproofStr {
    // SAFETY: the caller's contract.
    unsafe { field(verdict, |v: &Verdict| v.spf.reason.as_ffi()) }
}
/// SPF result for the HELO identity.
///
/// # Safety
/// `verdict` is NULL (the result is then absent) or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_verdict_spf_helo_result(
    verdict: *const Verdict,
) -> MailproofStr {
    // SAFETY: the caller's contract.
    unsafe { field(verdict, |v: &Verdict| v.helo.result.as_ffi()) }
}
/// Why the HELO SPF result is what it is, in words.
///
/// # Safety
/// `verdict` is NULL (the result is then absent) or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_verdict_spf_helo_reason(
    verdict: *const Verdict,
) -> MailproofStr {
    // SAFETY: the caller's contract.
    unsafe { field(verdict, |v: &Verdict| v.helo.reason.as_ffi()) }
}
/// DKIM result of signature `index` (0 is the topmost DKIM-Signature field): `pass`,
/// `fail`, `neutral`, `policy`, `temperror` or `permerror`.
/// Absent when `index` is not below `mailproof_verdict_dkim_count`.
///
/// # Safety
/// `verdict` is NULL (the result is then absent) or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_verdict_dkim_result(
    verdict: *const Verdict,
    index: usize,
) -> MailproofStr {
    // SAFETY: the caller's contract.
    unsafe { dkim_field(verdict, index, |d: &DkimPart| d.result.as_ffi()) }
}
/// The signing domain (`d=`) of signature `index`, as written; absent when missing.
/// Absent when `index` is not below `mailproof_verdict_dkim_count`.
///
/// # Safety
/// `verdict` is NULL (the result is then absent) or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_verdict_dkim_domain(
    verdict: *const Verdict,
    index: usize,
) -> MailproofStr {
    // SAFETY: the caller's contract.
    unsafe { dkim_field(verdict, index, |d: &DkimPart| optional(d.domain.as_ref())) }
}
/// The selector (`s=`) of signature `index`, as written; absent when missing.
/// Absent when `index` is not below `mailproof_verdict_dkim_count`.
///
/// # Safety
/// `verdict` is NULL (the result is then absent) or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_verdict_dkim_selector(
    verdict: *const Verdict,
    index: usize,
) -> MailproofStr {
    // SAFETY: the caller's contract.
    unsafe { dkim_field(verdict, index, |d: &DkimPart| optional(d.selector.as_ref())) }
}
/// Why signature `index` has its result, in words.
/// Absent when `index` is not below `mailproof_verdict_dkim_count`.
///
/// # Safety
/// `verdict` is NULL (the result is then absent) or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_verdict_dkim_reason(
    verdict: *const Verdict,
    index: usize,
) -> MailproofStr {
    // SAFETY: the caller's contract.
    unsafe { dkim_field(verdict, index, |d: &DkimPart| d.reason.as_ffi()) }
}
/// DMARC result: `none`, `pass`, `fail`, `temperror` or `permerror`.
///
/// # Safety
/// `verdict` is NULL (the result is then absent) or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_verdict_dmarc_result(verdict: *const Verdict) -> MailproofStr {
    // SAFETY: the caller's contract.
    unsafe { field(verdict, |v: &Verdict| v.dmarc_result.as_ffi()) }
}
/// The From domain DMARC evaluated; absent when the message has no single usable From
/// domain (no From, several From fields or mailboxes, unreadable).
///
/// # Safety
/// `verdict` is NULL (the result is then absent) or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_verdict_dmarc_domain(verdict: *const Verdict) -> MailproofStr {
    // SAFETY: the caller's contract.
    unsafe { field(verdict, |v: &Verdict| optional(v.dmarc_domain.as_ref())) }
}
/// Why the DMARC result is what it is, in words.
///
/// # Safety
/// `verdict` is NULL (the result is then absent) or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_verdict_dmarc_reason(verdict: *const Verdict) -> MailproofStr {
    // SAFETY: the caller's contract.
    unsafe { field(verdict, |v: &Verdict| v.dmarc_reason.as_ffi()) }
}
/// The policy the Domain Owner's DMARC record requests (`none`, `quarantine`,
/// `reject`); absent when no record was found.
///
/// # Safety
/// `verdict` is NULL (the result is then absent) or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_verdict_dmarc_policy(verdict: *const Verdict) -> MailproofStr {
    // SAFETY: the caller's contract.
    unsafe { field(verdict, |v: &Verdict| optional(v.dmarc_policy.as_ref())) }
}
/// Why the message could not be parsed; absent when it could. SPF still ran, DKIM found
/// no signature and DMARC is `permerror`.
///
/// # Safety
/// `verdict` is NULL (the result is then absent) or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_verdict_message_error(verdict: *const Verdict) -> MailproofStr {
    // SAFETY: the caller's contract.
    unsafe { field(verdict, |v: &Verdict| optional(v.message_error.as_ref())) }
}
/// The Authentication-Results header field (RFC 8601) on one line, starting with
/// `Authentication-Results: ` and without a line ending.
///
/// # Safety
/// `verdict` is NULL (the result is then absent) or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_verdict_authentication_results(
    verdict: *const Verdict,
) -> MailproofStr {
    // SAFETY: the caller's contract.
    unsafe { field(verdict, |v: &Verdict| v.authentication_results.as_ffi()) }
}
/// The Authentication-Results header field folded one clause per line (`\r\n\t`),
/// ending in CRLF: ready to prepend to the message.
///
/// # Safety
/// `verdict` is NULL (the result is then absent) or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_verdict_authentication_results_folded(
    verdict: *const Verdict,
) -> MailproofStr {
    // SAFETY: the caller's contract.
    unsafe {
        field(verdict, |v: &Verdict| {
            v.authentication_results_folded.as_ffi()
        })
    }
}

/// The number of DKIM signatures verified (one per DKIM-Signature field); 0 for an unsigned
/// message or a NULL verdict.
///
/// # Safety
/// `verdict` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_verdict_dkim_count(verdict: *const Verdict) -> usize {
    guard_quiet(0, || {
        // SAFETY: the caller's contract.
        Ok(unsafe { handle(verdict, "verdict") }?.dkim.len())
    })
}

/// What DMARC asks the receiver to do with the message. `MAILPROOF_DISPOSITION_NONE` for a
/// NULL verdict.
///
/// # Safety
/// `verdict` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_verdict_dmarc_disposition(
    verdict: *const Verdict,
) -> Disposition {
    guard_quiet(Disposition::None, || {
        // SAFETY: the caller's contract.
        Ok(unsafe { handle(verdict, "verdict") }?.disposition)
    })
}

/// Frees a verdict and every string it returned. NULL is ignored.
///
/// # Safety
/// `verdict` is NULL or from `mailproof_verify`, not yet freed, not in use by another thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_verdict_free(verdict: *mut Verdict) {
    guard_quiet((), || {
        // SAFETY: the caller's contract.
        unsafe { free_handle(verdict) };
        Ok(())
    });
}

/// SPF result for the MAIL FROM identity (`pass`, `fail`, ...).
///
/// # Safety
/// `spf` is NULL (the result is then absent) or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_spf_result(spf: *const SpfCheck) -> MailproofStr {
    // SAFETY: the caller's contract.
    unsafe { field(spf, |s: &SpfCheck| s.mail_from.result.as_ffi()) }
}
/// The domain SPF checked for MAIL FROM.
///
/// # Safety
/// `spf` is NULL (the result is then absent) or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_spf_domain(spf: *const SpfCheck) -> MailproofStr {
    // SAFETY: the caller's contract.
    unsafe { field(spf, |s: &SpfCheck| s.mail_from.domain.as_ffi()) }
}
/// Why the MAIL FROM result is what it is, in words.
///
/// # Safety
/// `spf` is NULL (the result is then absent) or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_spf_reason(spf: *const SpfCheck) -> MailproofStr {
    // SAFETY: the caller's contract.
    unsafe { field(spf, |s: &SpfCheck| s.mail_from.reason.as_ffi()) }
}
/// SPF result for the HELO identity.
///
/// # Safety
/// `spf` is NULL (the result is then absent) or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_spf_helo_result(spf: *const SpfCheck) -> MailproofStr {
    // SAFETY: the caller's contract.
    unsafe { field(spf, |s: &SpfCheck| s.helo.result.as_ffi()) }
}
/// Why the HELO result is what it is, in words.
///
/// # Safety
/// `spf` is NULL (the result is then absent) or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_spf_helo_reason(spf: *const SpfCheck) -> MailproofStr {
    // SAFETY: the caller's contract.
    unsafe { field(spf, |s: &SpfCheck| s.helo.reason.as_ffi()) }
}
/// The `Received-SPF` header field (RFC 7208 §9.1) for the MAIL FROM identity, on one
/// line without a line ending.
///
/// # Safety
/// `spf` is NULL (the result is then absent) or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_spf_received_spf(spf: *const SpfCheck) -> MailproofStr {
    // SAFETY: the caller's contract.
    unsafe { field(spf, |s: &SpfCheck| s.received_spf.as_ffi()) }
}

/// Frees an SPF result and its strings. NULL is ignored.
///
/// # Safety
/// `spf` is NULL or from `mailproof_check_spf`, not yet freed, not in use by another thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_spf_free(spf: *mut SpfCheck) {
    guard_quiet((), || {
        // SAFETY: the caller's contract.
        unsafe { free_handle(spf) };
        Ok(())
    });
}
