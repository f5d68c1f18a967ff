//! A stable C ABI over the `mailproof` facade: verify incoming mail (SPF, DKIM, DMARC and the
//! Authentication-Results header field) and sign outgoing mail from C.
//!
//! The C header is `crates/ffi/include/mailproof.h`, generated from this crate by cbindgen
//! (`cbindgen --config crates/ffi/cbindgen.toml --crate mailproof-ffi --output ...`) and
//! committed; CI regenerates it and fails on any difference. The doc comments here are the
//! header's documentation. The shape follows regex's C API (`rure`):
//!
//! - **Opaque handles** with `_new`/`_free` pairs: `mailproof_authenticator`,
//!   `mailproof_verdict`, `mailproof_spf`, `mailproof_signer`, `mailproof_signed`,
//!   `mailproof_error`. Every `_free` accepts NULL.
//! - **Errors** are a `mailproof_error` object the caller creates once and passes as the
//!   last argument (or NULL to ignore errors). A failing call returns NULL or false and
//!   fills it with a code and a message; a successful call resets it to `MAILPROOF_CODE_OK`. The
//!   message stays valid until the error object is reused or freed.
//! - **Strings out** are a `mailproof_str` (pointer and length) owned by the object they came
//!   from and valid until it is freed. They are also NUL-terminated; `data` is NULL when the
//!   value is absent.
//! - **Strings in** are NUL-terminated UTF-8 (names, addresses, PEM keys, paths); messages
//!   and TXT records are pointer and length. NULL pointers, non-UTF-8 text and lengths
//!   beyond `PTRDIFF_MAX` are errors, never crashes.
//! - **No panic crosses the boundary**: every exported function catches panics and reports
//!   them as `MAILPROOF_CODE_PANIC` (functions without an error argument return their
//!   "nothing" value: NULL, 0, false or an absent string). Rust's default panic hook still
//!   prints the panic's message to standard error; running out of memory aborts the process
//!   (as everywhere in Rust) rather than returning an error.
//! - **Synchronous**: verification blocks the calling thread. DNS comes from the system
//!   configuration or given name servers (hickory, feature `hickory`, on by default), from
//!   zone files, or from callbacks the embedder supplies (`mailproof_resolver_callbacks`).
//!
//! # Thread safety
//! - `mailproof_authenticator`: `mailproof_verify` and `mailproof_check_spf` may be called
//!   from any number of threads at once on one authenticator. `mailproof_authenticator_set_now`
//!   and `_free` need exclusive access.
//! - `mailproof_verdict`, `mailproof_spf`, `mailproof_signed`: immutable; read them from any
//!   thread, free them once.
//! - `mailproof_signer`: `mailproof_sign` may run concurrently; `_add_key_pem`, `_set_now`
//!   and `_free` need exclusive access.
//! - `mailproof_error`: one per thread (or per call site); it is written by every call it
//!   is passed to, when that call returns: it must not be used or freed meanwhile, not even
//!   from a DNS callback running inside the call.
#![allow(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod resolver;
mod sign;
mod text;
mod verify;

#[cfg(test)]
mod tests;

pub use error::*;
pub use resolver::*;
pub use sign::*;
pub use text::*;
pub use verify::*;

use std::ffi::c_char;

/// The library version (`"0.1.0"`), a static NUL-terminated string. It stays valid for the life of
/// the process; do not free it.
#[unsafe(no_mangle)]
pub extern "C" fn mailproof_version() -> *const c_char {
    const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    VERSION.as_ptr().cast()
}
