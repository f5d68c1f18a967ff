//! The error object, and the guard every exported function runs its body in.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::text::{MailproofStr, Text, free_handle};

/// What kind of error a call reported (`mailproof_error_code`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// No error: the last call this error object was passed to succeeded.
    Ok = 0,
    /// A required pointer argument was NULL.
    NullPointer = 1,
    /// A text argument was not UTF-8.
    InvalidUtf8 = 2,
    /// A length argument was impossible (larger than `PTRDIFF_MAX`).
    InvalidLength = 3,
    /// An argument was refused: an IP address, name server address, domain name or selector
    /// that does not parse, an empty authserv-id, a record of the wrong type for the query.
    InvalidArgument = 4,
    /// The DNS resolver could not be set up (system configuration unreadable, no servers).
    DnsSetup = 5,
    /// A zone file could not be read or parsed.
    ZoneFile = 6,
    /// A signing key could not be read (PEM, PKCS#8 or PKCS#1; RSA or Ed25519).
    Key = 7,
    /// The message could not be signed (no keys, no From field, header block too large).
    Sign = 8,
    /// The runtime that runs a verification could not be created, or the call came from
    /// inside a DNS callback (where no verification may start; see `mailproof_lookup_fn`).
    Runtime = 9,
    /// The library was built without the feature this call needs (`hickory`).
    Unsupported = 10,
    /// mailproof panicked (a bug): the call was abandoned and the panic did not cross into C.
    /// The handles passed in remain valid to free.
    Panic = 11,
}

/// An error: a code and a message. Create one with `mailproof_error_new`, pass it to any
/// number of calls (one thread at a time), read it after a call fails, free it with
/// `mailproof_error_free`.
#[derive(Debug)]
pub struct Error {
    code: ErrorCode,
    message: Text,
}

/// A failure inside a call, before it is written into the caller's [`Error`].
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: ErrorCode,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }

    fn panic(payload: &(dyn Any + Send)) -> Failure {
        let what = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("(no message)");
        Failure::new(
            ErrorCode::Panic,
            format!("internal error (panic) in mailproof: {what}"),
        )
    }
}

/// Runs an exported function's body: catches panics, and writes the outcome into `error`
/// (the failure, or `MAILPROOF_CODE_OK`). Returns `fallback` when the body fails or panics.
///
/// `error` is read only after the body has run: the body may call back into C (a DNS
/// callback), and nothing of the error object is borrowed meanwhile.
///
/// # Safety
/// `error` is NULL or a live error object that nothing else uses once the body has returned
/// (the exports' contract: used by this thread only, and not freed during the call).
pub(crate) unsafe fn guard<T>(
    error: *mut Error,
    fallback: T,
    body: impl FnOnce() -> Result<T, Failure>,
) -> T {
    let outcome = catch_unwind(AssertUnwindSafe(body))
        .unwrap_or_else(|payload| Err(Failure::panic(&*payload)));
    // SAFETY: NULL or live and not in use, by this function's contract.
    let error = unsafe { error.as_mut() };
    match outcome {
        Ok(value) => {
            if let Some(error) = error {
                error.code = ErrorCode::Ok;
                error.message = Text::new("");
            }
            value
        }
        Err(failure) => {
            if let Some(error) = error {
                error.code = failure.code;
                error.message = Text::new(failure.message);
            }
            fallback
        }
    }
}

/// [`guard`] for functions without an error argument: a failure or panic returns `fallback`.
pub(crate) fn guard_quiet<T>(fallback: T, body: impl FnOnce() -> Result<T, Failure>) -> T {
    // SAFETY: no error object.
    unsafe { guard(std::ptr::null_mut(), fallback, body) }
}

/// A new error object, with code `MAILPROOF_CODE_OK` and an empty message. Free it with
/// `mailproof_error_free`. Never NULL: like every function here, it aborts the process if
/// memory runs out (Rust's allocation failure), rather than returning an error.
#[unsafe(no_mangle)]
pub extern "C" fn mailproof_error_new() -> *mut Error {
    guard_quiet(std::ptr::null_mut(), || {
        Ok(Box::into_raw(Box::new(Error {
            code: ErrorCode::Ok,
            message: Text::new(""),
        })))
    })
}

/// Frees an error object (and its message). NULL is ignored.
///
/// # Safety
/// `error` is NULL or from `mailproof_error_new`, not yet freed, and not in use by another
/// thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_error_free(error: *mut Error) {
    guard_quiet((), || {
        // SAFETY: the caller's contract.
        unsafe { free_handle(error) };
        Ok(())
    });
}

/// The code of the last call `error` was passed to: `MAILPROOF_CODE_OK` after a success.
/// `MAILPROOF_CODE_NULL_POINTER` when `error` is NULL.
///
/// # Safety
/// `error` is NULL or a live error object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_error_code(error: *const Error) -> ErrorCode {
    // SAFETY: NULL or live, by the caller's contract.
    unsafe { error.as_ref() }.map_or(ErrorCode::NullPointer, |error| error.code)
}

/// The message of the last call `error` was passed to (empty after a success), UTF-8 and
/// NUL-terminated. Valid until `error` is passed to another call or freed. Absent (`data`
/// NULL) when `error` is NULL.
///
/// # Safety
/// `error` is NULL or a live error object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailproof_error_message(error: *const Error) -> MailproofStr {
    // SAFETY: NULL or live, by the caller's contract.
    unsafe { error.as_ref() }.map_or(MailproofStr::ABSENT, |error| error.message.as_ffi())
}

#[cfg(test)]
#[allow(clippy::multiple_unsafe_ops_per_block)] // test bodies: one SAFETY note per group of calls
mod tests {
    use super::*;

    fn message(error: *const Error) -> String {
        // SAFETY: a live error object.
        let text = unsafe { mailproof_error_message(error) };
        // SAFETY: `text` points into the live error object.
        let bytes = unsafe { std::slice::from_raw_parts(text.data.cast::<u8>(), text.len) };
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[test]
    fn a_panic_becomes_an_error_and_success_resets_it() {
        let error = mailproof_error_new();
        // SAFETY: `error` is live and used by this thread only.
        let value = unsafe {
            guard(error, 7, || -> Result<i32, Failure> {
                panic!("forced for the test")
            })
        };
        assert_eq!(value, 7);
        // SAFETY: live.
        assert_eq!(unsafe { mailproof_error_code(error) }, ErrorCode::Panic);
        assert_eq!(
            message(error),
            "internal error (panic) in mailproof: forced for the test"
        );
        // SAFETY: as above.
        let value = unsafe { guard(error, 0, || Ok(3)) };
        assert_eq!(value, 3);
        // SAFETY: live.
        assert_eq!(unsafe { mailproof_error_code(error) }, ErrorCode::Ok);
        assert_eq!(message(error), "");
        // SAFETY: made above, freed once.
        unsafe { mailproof_error_free(error) };
    }

    #[test]
    fn formatted_panics_and_null_errors() {
        let n = 3;
        let value = guard_quiet(false, || -> Result<bool, Failure> { panic!("{n} apples") });
        assert!(!value);
        // SAFETY: NULL is allowed everywhere.
        unsafe {
            assert_eq!(
                mailproof_error_code(std::ptr::null()),
                ErrorCode::NullPointer
            );
            assert!(mailproof_error_message(std::ptr::null()).data.is_null());
            mailproof_error_free(std::ptr::null_mut());
        }
    }
}
