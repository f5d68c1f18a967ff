//! Strings across the boundary: owned text handed out as pointer + length, and the checks
//! on pointers and text coming in.

use std::ffi::{CStr, c_char};

use crate::error::{ErrorCode, Failure};

/// A string owned by a mailproof object: `len` bytes at `data`, followed by a NUL byte (so
/// `data` is also a C string when the text holds no NUL). Valid until the object it came from
/// is freed; never free it yourself.
///
/// `data` is NULL (and `len` 0) when the value is absent, for example a DKIM signature
/// without `s=`, or an index out of range. Text is UTF-8, except the signed message, which is
/// the caller's bytes with signature fields prepended.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct MailproofStr {
    /// The first byte, or NULL when the value is absent.
    pub data: *const c_char,
    /// The number of bytes, not counting the terminating NUL.
    pub len: usize,
}

impl MailproofStr {
    /// The absent value.
    pub(crate) const ABSENT: MailproofStr = MailproofStr {
        data: std::ptr::null(),
        len: 0,
    };
}

/// Owned bytes with a terminating NUL, handed out as [`MailproofStr`].
#[derive(Clone, Debug, Default)]
pub(crate) struct Text(Box<[u8]>);

impl Text {
    pub(crate) fn new(text: impl Into<Vec<u8>>) -> Text {
        let mut bytes = text.into();
        bytes.push(0);
        Text(bytes.into_boxed_slice())
    }

    pub(crate) fn as_ffi(&self) -> MailproofStr {
        MailproofStr {
            data: self.0.as_ptr().cast(),
            len: self.0.len().saturating_sub(1),
        }
    }
}

/// The [`MailproofStr`] of an optional text.
pub(crate) fn optional(text: Option<&Text>) -> MailproofStr {
    text.map_or(MailproofStr::ABSENT, Text::as_ffi)
}

/// A NUL-terminated UTF-8 argument.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that stays valid and unchanged for `'a`.
pub(crate) unsafe fn str_arg<'a>(ptr: *const c_char, what: &str) -> Result<&'a str, Failure> {
    if ptr.is_null() {
        return Err(Failure::new(
            ErrorCode::NullPointer,
            format!("{what} is NULL"),
        ));
    }
    // SAFETY: not NULL, and NUL-terminated and valid for 'a by the caller's contract.
    let text = unsafe { CStr::from_ptr(ptr) };
    text.to_str().map_err(|e| {
        Failure::new(
            ErrorCode::InvalidUtf8,
            format!(
                "{what} is not UTF-8 (invalid byte at offset {})",
                e.valid_up_to()
            ),
        )
    })
}

/// A pointer + count argument: `count` values of `T`.
///
/// # Safety
/// `ptr` is NULL or points to `count` initialized values that stay valid and unchanged for
/// `'a`.
pub(crate) unsafe fn slice_arg<'a, T>(
    ptr: *const T,
    count: usize,
    what: &str,
) -> Result<&'a [T], Failure> {
    if ptr.is_null() {
        return Err(Failure::new(
            ErrorCode::NullPointer,
            format!("{what} is NULL"),
        ));
    }
    let fits = count
        .checked_mul(size_of::<T>())
        .is_some_and(|bytes| isize::try_from(bytes).is_ok());
    if !fits {
        return Err(Failure::new(
            ErrorCode::InvalidLength,
            format!(
                "{what}: length {count} exceeds PTRDIFF_MAX (a negative length cast to size_t?)"
            ),
        ));
    }
    // SAFETY: not NULL, the size fits isize, and `count` values are readable for 'a by the
    // caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(ptr, count) })
}

/// A pointer + length argument; `(NULL, 0)` is the empty buffer, as C callers often pass it.
///
/// # Safety
/// `ptr` is NULL or points to `len` readable bytes that stay valid and unchanged for `'a`.
pub(crate) unsafe fn bytes_arg<'a>(
    ptr: *const u8,
    len: usize,
    what: &str,
) -> Result<&'a [u8], Failure> {
    if len == 0 {
        return Ok(&[]);
    }
    // SAFETY: the caller's contract is slice_arg's.
    unsafe { slice_arg(ptr, len, what) }
}

/// A shared reference to a handle.
///
/// # Safety
/// `ptr` is NULL or a live handle of type `T` made by this library, not being freed or
/// mutated by another thread for `'a`.
pub(crate) unsafe fn handle<'a, T>(ptr: *const T, what: &str) -> Result<&'a T, Failure> {
    // SAFETY: NULL or a live, properly aligned handle by the caller's contract.
    unsafe { ptr.as_ref() }
        .ok_or_else(|| Failure::new(ErrorCode::NullPointer, format!("{what} is NULL")))
}

/// An exclusive reference to a handle.
///
/// # Safety
/// `ptr` is NULL or a live handle of type `T` made by this library that no other thread uses
/// for `'a`.
pub(crate) unsafe fn handle_mut<'a, T>(ptr: *mut T, what: &str) -> Result<&'a mut T, Failure> {
    // SAFETY: NULL or a live, properly aligned, unaliased handle by the caller's contract.
    unsafe { ptr.as_mut() }
        .ok_or_else(|| Failure::new(ErrorCode::NullPointer, format!("{what} is NULL")))
}

/// Frees a handle made with `Box::into_raw`; NULL is ignored.
///
/// # Safety
/// `ptr` is NULL or a handle of type `T` made by this library, not yet freed and not used by
/// any other thread.
pub(crate) unsafe fn free_handle<T>(ptr: *mut T) {
    if !ptr.is_null() {
        // SAFETY: made by Box::into_raw, freed only once, by the caller's contract.
        drop(unsafe { Box::from_raw(ptr) });
    }
}

#[cfg(test)]
#[allow(clippy::multiple_unsafe_ops_per_block)] // test bodies: one SAFETY note per group of calls
mod tests {
    use super::*;

    #[test]
    fn text_is_nul_terminated_and_len_excludes_the_nul() {
        let text = Text::new("pass");
        let ffi = text.as_ffi();
        assert_eq!(ffi.len, 4);
        // SAFETY: `text` is alive and holds 5 bytes.
        let bytes = unsafe { std::slice::from_raw_parts(ffi.data.cast::<u8>(), 5) };
        assert_eq!(bytes, b"pass\0");
        assert!(optional(None).data.is_null());
    }

    #[test]
    fn arguments_are_checked() {
        // SAFETY: NULL is allowed.
        let null = unsafe { str_arg(std::ptr::null(), "helo") }.unwrap_err();
        assert_eq!(null.code, ErrorCode::NullPointer);
        assert_eq!(null.message, "helo is NULL");
        let latin1 = b"caf\xe9\0";
        // SAFETY: a NUL-terminated literal.
        let bad = unsafe { str_arg(latin1.as_ptr().cast(), "helo") }.unwrap_err();
        assert_eq!(bad.code, ErrorCode::InvalidUtf8);
        // SAFETY: the length is refused before any read.
        let long = unsafe { bytes_arg(latin1.as_ptr(), usize::MAX, "message") }.unwrap_err();
        assert_eq!(long.code, ErrorCode::InvalidLength);
    }
}
