//! DKIM signing with one or more keys.

use std::ffi::c_char;

use mailproof_facade::{Clock, SigningKey};

use crate::error::{Error, ErrorCode, Failure, guard, guard_quiet};
use crate::text::{MailproofStr, Text, bytes_arg, free_handle, handle, handle_mut, str_arg};

/// Signs outgoing mail with DKIM: every key added signs in one pass over the message (for
/// example an RSA key for compatibility and an Ed25519 key, RFC 8463). `mailproof_sign` may
/// run on several threads at once; adding keys, `mailproof_signer_set_now` and `_free` need
/// exclusive access.
#[derive(Debug, Default)]
pub struct Signer {
    inner: mailproof_facade::Signer,
}

/// A signed message: the DKIM-Signature header fields and the message with them prepended.
/// Immutable; free it with `mailproof_signed_free`.
#[derive(Debug)]
pub struct Signed {
    headers: Text,
    message: Text,
}

/// A signer without keys, using the system clock. Free it with `mailproof_signer_free`.
/// Returns NULL only on an internal error.
///
/// # Safety
/// `error` is NULL or a live error object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_signer_new(error: *mut Error) -> *mut Signer {
    let body = || Ok(Box::into_raw(Box::default()));
    // SAFETY: `error` is NULL or a live error object used by this thread only, and not
    // freed during the call, by the caller's contract.
    unsafe { guard(error, std::ptr::null_mut(), body) }
}

/// Adds a private key (PEM text: PKCS#8 RSA or Ed25519, or PKCS#1 RSA, as `mailproof keygen`
/// writes) signing as `d=domain`, `s=selector`, with relaxed/relaxed canonicalization and
/// the usual header fields signed and oversigned. Returns false on error:
/// `MAILPROOF_CODE_KEY` for a key that cannot be read, `MAILPROOF_CODE_INVALID_ARGUMENT`
/// for an invalid domain or selector.
///
/// # Safety
/// `signer` is NULL or a live signer no other thread uses during the call; the strings are
/// NULL or NUL-terminated; `error` is NULL or a live error object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_signer_add_key_pem(
    signer: *mut Signer,
    pem: *const c_char,
    domain: *const c_char,
    selector: *const c_char,
    error: *mut Error,
) -> bool {
    let body = || {
        // SAFETY: NULL or live and unaliased, by the caller's contract.
        let signer = unsafe { handle_mut(signer, "signer") }?;
        // SAFETY: NULL or NUL-terminated, by the caller's contract.
        let pem = unsafe { str_arg(pem, "pem") }?;
        // SAFETY: as above.
        let domain = unsafe { str_arg(domain, "domain") }?;
        // SAFETY: as above.
        let selector = unsafe { str_arg(selector, "selector") }?;
        let key = SigningKey::from_pem(pem)
            .map_err(|e| Failure::new(ErrorCode::Key, format!("cannot read the key: {e}")))?;
        // Built apart first, so that a refused domain or selector leaves the signer as it was.
        let dkim = mailproof_dkim::Signer::new(key, domain, selector).map_err(|e| {
            Failure::new(
                ErrorCode::InvalidArgument,
                format!("domain {domain:?} / selector {selector:?}: {e}"),
            )
        })?;
        signer.inner = std::mem::take(&mut signer.inner).with_signer(dkim);
        Ok(true)
    };
    // SAFETY: `error` is NULL or a live error object used by this thread only, and not
    // freed during the call, by the caller's contract.
    unsafe { guard(error, false, body) }
}

/// Fixes the signing time (`t=`) in seconds since the Unix epoch, for reproducible
/// signatures; 0 returns to the system clock. Returns false, changing nothing, when `signer`
/// is NULL (`MAILPROOF_CODE_NULL_POINTER`) or `unix_seconds` is past 999999999999, the last
/// time `t=` can hold (`MAILPROOF_CODE_INVALID_ARGUMENT`).
///
/// # Safety
/// `signer` is NULL or a live signer no other thread uses during the call; `error` is NULL
/// or a live error object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_signer_set_now(
    signer: *mut Signer,
    unix_seconds: u64,
    error: *mut Error,
) -> bool {
    let body = || {
        // SAFETY: NULL or live and unaliased, by the caller's contract.
        let signer = unsafe { handle_mut(signer, "signer") }?;
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
        signer.inner = std::mem::take(&mut signer.inner).with_clock(clock);
        Ok(true)
    };
    // SAFETY: `error` is NULL or a live error object used by this thread only, and not
    // freed during the call, by the caller's contract.
    unsafe { guard(error, false, body) }
}

/// How many keys the signer has; 0 for NULL.
///
/// # Safety
/// `signer` is NULL or a live signer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_signer_key_count(signer: *const Signer) -> usize {
    guard_quiet(0, || {
        // SAFETY: the caller's contract.
        Ok(unsafe { handle(signer, "signer") }?.inner.key_count())
    })
}

/// Signs `message` (`len` bytes; bare LF line endings are turned into CRLF first). Returns
/// NULL on error: `MAILPROOF_CODE_SIGN` when the signer has no keys, the message has no
/// From field or its header block is too large. Free the result with `mailproof_signed_free`.
///
/// # Safety
/// `signer` is NULL or a live signer; `message` is NULL or points to `len` readable bytes;
/// `error` is NULL or a live error object used by this thread only.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_sign(
    signer: *const Signer,
    message: *const u8,
    len: usize,
    error: *mut Error,
) -> *mut Signed {
    let body = || {
        // SAFETY: NULL or live, by the caller's contract.
        let signer = unsafe { handle(signer, "signer") }?;
        // SAFETY: NULL or `len` readable bytes, by the caller's contract.
        let raw = unsafe { bytes_arg(message, len, "message") }?;
        let raw = mailproof_facade::to_crlf(raw);
        let headers = signer
            .inner
            .signature_fields(&raw)
            .map_err(|e| Failure::new(ErrorCode::Sign, e.to_string()))?;
        let mut signed = Vec::with_capacity(headers.len() + raw.len());
        signed.extend_from_slice(headers.as_bytes());
        signed.extend_from_slice(&raw);
        Ok(Box::into_raw(Box::new(Signed {
            headers: Text::new(headers),
            message: Text::new(signed),
        })))
    };
    // SAFETY: `error` is NULL or a live error object used by this thread only, and not
    // freed during the call, by the caller's contract.
    unsafe { guard(error, std::ptr::null_mut(), body) }
}

/// The signed message: the DKIM-Signature fields followed by the message (with CRLF line
/// endings). Bytes, not necessarily UTF-8; absent for NULL.
///
/// # Safety
/// `result` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_signed_message(result: *const Signed) -> MailproofStr {
    guard_quiet(MailproofStr::ABSENT, || {
        // SAFETY: the caller's contract.
        Ok(unsafe { handle(result, "result") }?.message.as_ffi())
    })
}

/// The DKIM-Signature header fields alone, one per key, each ending in CRLF; absent for
/// NULL.
///
/// # Safety
/// `result` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_signed_headers(result: *const Signed) -> MailproofStr {
    guard_quiet(MailproofStr::ABSENT, || {
        // SAFETY: the caller's contract.
        Ok(unsafe { handle(result, "result") }?.headers.as_ffi())
    })
}

/// Frees a signed message. NULL is ignored.
///
/// # Safety
/// `result` is NULL or from `mailproof_sign`, not yet freed, not in use by another thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_signed_free(result: *mut Signed) {
    guard_quiet((), || {
        // SAFETY: the caller's contract.
        unsafe { free_handle(result) };
        Ok(())
    });
}

/// Frees a signer. NULL is ignored.
///
/// # Safety
/// `signer` is NULL or from `mailproof_signer_new`, not yet freed, not in use by another
/// thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_signer_free(signer: *mut Signer) {
    guard_quiet((), || {
        // SAFETY: the caller's contract.
        unsafe { free_handle(signer) };
        Ok(())
    });
}
