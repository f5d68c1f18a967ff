//! End-to-end tests of the exported functions, called as C would call them.
#![allow(clippy::multiple_unsafe_ops_per_block)] // one SAFETY note per group of calls

use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::path::PathBuf;
use std::sync::Mutex;

use crate::*;

fn testdata(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(path)
}

fn c_path(path: &str) -> CString {
    CString::new(testdata(path).to_str().unwrap()).unwrap()
}

/// The text of a returned string; `None` when absent.
fn text(value: MailproofStr) -> Option<String> {
    if value.data.is_null() {
        return None;
    }
    // SAFETY: the library returns `len` readable bytes followed by a NUL.
    let bytes = unsafe { std::slice::from_raw_parts(value.data.cast::<u8>(), value.len + 1) };
    assert_eq!(bytes.last(), Some(&0), "NUL-terminated");
    Some(String::from_utf8(bytes[..value.len].to_vec()).unwrap())
}

/// An error object freed on drop.
struct ErrorBox(*mut Error);

impl ErrorBox {
    fn new() -> ErrorBox {
        ErrorBox(mailproof_error_new())
    }
    fn code(&self) -> ErrorCode {
        // SAFETY: live.
        unsafe { mailproof_error_code(self.0) }
    }
    fn message(&self) -> String {
        // SAFETY: live.
        text(unsafe { mailproof_error_message(self.0) }).unwrap()
    }
}

impl Drop for ErrorBox {
    fn drop(&mut self) {
        // SAFETY: made by mailproof_error_new, freed once.
        unsafe { mailproof_error_free(self.0) }
    }
}

fn story_zones(error: &ErrorBox) -> *mut Authenticator {
    let paths = [c_path("zones/a.com.zone"), c_path("zones/fake.com.zone")];
    let pointers: Vec<*const c_char> = paths.iter().map(|p| p.as_ptr()).collect();
    // SAFETY: NUL-terminated strings and a live error object.
    let auth = unsafe {
        mailproof_authenticator_new_zones(c"mx.example.org".as_ptr(), pointers.as_ptr(), 2, error.0)
    };
    assert!(!auth.is_null(), "{}", error.message());
    // SAFETY: live and not shared.
    assert!(unsafe { mailproof_authenticator_set_now(auth, 1_647_931_100, error.0) });
    auth
}

#[test]
fn verifies_the_spoof_story_from_zone_files() {
    let error = ErrorBox::new();
    let auth = story_zones(&error);
    let message = std::fs::read(testdata("stories/a-spoof.eml")).unwrap();
    // SAFETY: live handles, `message.len()` readable bytes, NUL-terminated strings.
    unsafe {
        let verdict = mailproof_verify(
            auth,
            message.as_ptr(),
            message.len(),
            c"203.0.113.66".as_ptr(),
            c"mail.fake.com".as_ptr(),
            c"xxx@fake.com".as_ptr(),
            error.0,
        );
        assert!(!verdict.is_null(), "{}", error.message());
        assert_eq!(error.code(), ErrorCode::Ok);
        assert_eq!(text(mailproof_verdict_spf_result(verdict)).unwrap(), "pass");
        assert_eq!(
            text(mailproof_verdict_spf_domain(verdict)).unwrap(),
            "fake.com"
        );
        assert_eq!(
            text(mailproof_verdict_spf_helo_result(verdict)).unwrap(),
            "pass"
        );
        assert!(text(mailproof_verdict_spf_reason(verdict)).is_some());
        assert_eq!(mailproof_verdict_dkim_count(verdict), 1);
        assert_eq!(
            text(mailproof_verdict_dkim_result(verdict, 0)).unwrap(),
            "pass"
        );
        assert_eq!(
            text(mailproof_verdict_dkim_domain(verdict, 0)).unwrap(),
            "fake.com"
        );
        assert_eq!(
            text(mailproof_verdict_dkim_selector(verdict, 0)).unwrap(),
            "s1"
        );
        assert!(
            text(mailproof_verdict_dkim_reason(verdict, 0))
                .unwrap()
                .contains("2048-bit")
        );
        assert_eq!(
            text(mailproof_verdict_dkim_result(verdict, 1)),
            None,
            "out of range"
        );
        assert_eq!(
            text(mailproof_verdict_dmarc_result(verdict)).unwrap(),
            "fail",
            "{:?}",
            text(mailproof_verdict_dmarc_reason(verdict))
        );
        assert_eq!(
            text(mailproof_verdict_dmarc_domain(verdict)).unwrap(),
            "a.com"
        );
        assert_eq!(
            text(mailproof_verdict_dmarc_policy(verdict)).unwrap(),
            "reject"
        );
        assert_eq!(
            mailproof_verdict_dmarc_disposition(verdict),
            Disposition::Reject
        );
        assert_eq!(text(mailproof_verdict_message_error(verdict)), None);
        let header = text(mailproof_verdict_authentication_results(verdict)).unwrap();
        assert!(
            header.starts_with("Authentication-Results: mx.example.org; spf=pass"),
            "{header}"
        );
        assert!(header.contains("dmarc=fail"), "{header}");
        let folded = text(mailproof_verdict_authentication_results_folded(verdict)).unwrap();
        assert!(
            folded.ends_with("\r\n") && folded.contains(";\r\n\t"),
            "{folded}"
        );
        mailproof_verdict_free(verdict);

        // SPF alone, on the same authenticator.
        let spf = mailproof_check_spf(
            auth,
            c"203.0.113.99".as_ptr(),
            c"mail.fake.com".as_ptr(),
            c"xxx@fake.com".as_ptr(),
            error.0,
        );
        assert!(!spf.is_null(), "{}", error.message());
        assert_eq!(text(mailproof_spf_result(spf)).unwrap(), "fail");
        assert_eq!(text(mailproof_spf_domain(spf)).unwrap(), "fake.com");
        assert_eq!(text(mailproof_spf_helo_result(spf)).unwrap(), "fail");
        assert!(text(mailproof_spf_helo_reason(spf)).is_some());
        assert!(text(mailproof_spf_reason(spf)).is_some());
        let received = text(mailproof_spf_received_spf(spf)).unwrap();
        assert!(received.starts_with("Received-SPF: fail"), "{received}");
        mailproof_spf_free(spf);
        mailproof_authenticator_free(auth);
    }
}

/// Names the callback resolver was asked for, in order.
static ASKED: Mutex<Vec<String>> = Mutex::new(Vec::new());

unsafe extern "C" fn recording_txt(
    user_data: *mut c_void,
    name: *const c_char,
    _len: usize,
    answer: *mut DnsAnswer,
) -> c_int {
    assert!(user_data.is_null());
    // SAFETY: the library passes a NUL-terminated name.
    let name = unsafe { CStr::from_ptr(name) }
        .to_str()
        .unwrap_or("")
        .to_owned();
    let record: &[u8] = match name.as_str() {
        "ffi-spf.example" => b"v=spf1 ip4:192.0.2.0/24 -all",
        _ => return DnsStatus::Nxdomain as c_int,
    };
    ASKED.lock().map(|mut v| v.push(name)).ok();
    // SAFETY: `answer` is live during the callback; `record` is readable.
    unsafe { mailproof_answer_add_txt(answer, record.as_ptr(), record.len()) };
    DnsStatus::Records as c_int
}

/// Checks SPF alone through an authenticator on `txt` and `a` callbacks: the MAIL FROM and
/// HELO results.
fn spf_through_callbacks(
    txt: LookupFn,
    a: LookupFn,
    client_ip: &CStr,
    helo: &CStr,
    mail_from: &CStr,
) -> (String, String) {
    let error = ErrorBox::new();
    let callbacks = ResolverCallbacks {
        user_data: std::ptr::null_mut(),
        txt,
        a,
        aaaa: None,
        mx: None,
        ptr: None,
    };
    // SAFETY: live arguments, NUL-terminated strings.
    unsafe {
        let auth = mailproof_authenticator_new_callbacks(
            c"mx.example.org".as_ptr(),
            &raw const callbacks,
            error.0,
        );
        assert!(!auth.is_null(), "{}", error.message());
        let spf = mailproof_check_spf(
            auth,
            client_ip.as_ptr(),
            helo.as_ptr(),
            mail_from.as_ptr(),
            error.0,
        );
        assert!(!spf.is_null(), "{}", error.message());
        let results = (
            text(mailproof_spf_result(spf)).unwrap(),
            text(mailproof_spf_helo_result(spf)).unwrap(),
        );
        mailproof_spf_free(spf);
        mailproof_authenticator_free(auth);
        results
    }
}

#[test]
fn spf_alone_through_callbacks_makes_no_dkim_or_dmarc_lookup() {
    let results = spf_through_callbacks(
        Some(recording_txt),
        None,
        c"192.0.2.7",
        c"ffi-helo.example",
        c"someone@ffi-spf.example",
    );
    assert_eq!(results, ("pass".to_owned(), "none".to_owned()));
    let asked = ASKED.lock().unwrap();
    assert_eq!(
        *asked,
        ["ffi-spf.example"],
        "only the SPF record was answered"
    );
}

#[test]
fn bad_arguments_are_errors() {
    let error = ErrorBox::new();
    let auth = story_zones(&error);
    let message = b"From: a@example.com\r\n\r\nhi\r\n";
    let verify = |auth: *const Authenticator,
                  message: *const u8,
                  len: usize,
                  ip: &CStr,
                  helo: *const c_char| {
        // SAFETY: every pointer is NULL or valid; the length matches when `message` is valid
        // or is refused before any read.
        let verdict = unsafe {
            mailproof_verify(
                auth,
                message,
                len,
                ip.as_ptr(),
                helo,
                c"a@example.com".as_ptr(),
                error.0,
            )
        };
        assert!(verdict.is_null());
        (error.code(), error.message())
    };
    let helo = c"client.example".as_ptr();
    let ip = c"192.0.2.1";
    assert_eq!(
        verify(std::ptr::null(), message.as_ptr(), message.len(), ip, helo),
        (ErrorCode::NullPointer, "authenticator is NULL".to_owned())
    );
    assert_eq!(
        verify(auth, std::ptr::null(), 5, ip, helo).0,
        ErrorCode::NullPointer
    );
    assert_eq!(
        verify(auth, message.as_ptr(), usize::MAX, ip, helo).0,
        ErrorCode::InvalidLength
    );
    assert_eq!(
        verify(auth, message.as_ptr(), message.len(), c"192.0.2.300", helo).0,
        ErrorCode::InvalidArgument
    );
    let latin1 = b"caf\xe9.example\0";
    assert_eq!(
        verify(
            auth,
            message.as_ptr(),
            message.len(),
            ip,
            latin1.as_ptr().cast()
        )
        .0,
        ErrorCode::InvalidUtf8
    );
    assert_eq!(
        verify(auth, message.as_ptr(), message.len(), ip, std::ptr::null()),
        (ErrorCode::NullPointer, "helo is NULL".to_owned())
    );
    // A message that does not parse is a verdict, not an error; so is the empty message,
    // `(NULL, 0)` as C passes it.
    // SAFETY: valid arguments.
    unsafe {
        let empty = mailproof_verify(
            auth,
            std::ptr::null(),
            0,
            ip.as_ptr(),
            helo,
            c"".as_ptr(),
            error.0,
        );
        assert!(!empty.is_null(), "{}", error.message());
        mailproof_verdict_free(empty);
        let verdict = mailproof_verify(
            auth,
            b"no colon\r\n\r\n".as_ptr(),
            12,
            ip.as_ptr(),
            helo,
            c"".as_ptr(),
            error.0,
        );
        assert!(!verdict.is_null(), "{}", error.message());
        assert_eq!(
            text(mailproof_verdict_dmarc_result(verdict)).unwrap(),
            "permerror"
        );
        assert_eq!(mailproof_verdict_dkim_count(verdict), 0);
        mailproof_verdict_free(verdict);
        mailproof_authenticator_free(auth);
    }
}

#[test]
fn bad_constructor_arguments_are_errors() {
    let error = ErrorBox::new();
    // SAFETY: NULL or NUL-terminated strings, arrays of the given length.
    unsafe {
        let missing = c"/nonexistent/zone";
        let auth = mailproof_authenticator_new_zones(
            c"mx.example.org".as_ptr(),
            &missing.as_ptr(),
            1,
            error.0,
        );
        assert!(auth.is_null());
        assert_eq!(error.code(), ErrorCode::ZoneFile);
        assert!(
            error
                .message()
                .starts_with("/nonexistent/zone: cannot read"),
            "{}",
            error.message()
        );
        let none: *const *const c_char = std::ptr::null();
        assert!(mailproof_authenticator_new_zones(c"mx".as_ptr(), none, 0, error.0).is_null());
        assert_eq!(error.code(), ErrorCode::NullPointer);
        let zone = c_path("zones/a.com.zone");
        assert!(
            mailproof_authenticator_new_zones(c" ".as_ptr(), &zone.as_ptr(), 1, error.0).is_null()
        );
        assert_eq!(error.code(), ErrorCode::InvalidArgument);
        assert!(
            mailproof_authenticator_new_callbacks(c"mx".as_ptr(), std::ptr::null(), error.0)
                .is_null()
        );
        assert_eq!(error.code(), ErrorCode::NullPointer);
        let bad = [c"127.0.0.1:5353".as_ptr(), c"not-an-address".as_ptr()];
        assert!(
            mailproof_authenticator_new_servers(c"mx".as_ptr(), bad.as_ptr(), 2, error.0).is_null()
        );
        let expected = if cfg!(feature = "hickory") {
            ErrorCode::InvalidArgument
        } else {
            ErrorCode::Unsupported
        };
        assert_eq!(error.code(), expected, "{}", error.message());
        assert!(
            mailproof_authenticator_new_servers(c"mx".as_ptr(), bad.as_ptr(), 0, error.0).is_null()
        );
        assert_eq!(error.code(), ErrorCode::InvalidArgument);
        #[cfg(feature = "hickory")]
        {
            // Building the resolver sends nothing.
            let auth =
                mailproof_authenticator_new_servers(c"mx".as_ptr(), bad.as_ptr(), 1, error.0);
            assert!(!auth.is_null(), "{}", error.message());
            assert_eq!(error.code(), ErrorCode::Ok);
            mailproof_authenticator_free(auth);
        }
        assert!(!mailproof_authenticator_set_now(
            std::ptr::null_mut(),
            1,
            error.0
        ));
        assert_eq!(error.code(), ErrorCode::NullPointer);
        // NULL handles: absent strings, zero counts, and ignored frees.
        assert_eq!(text(mailproof_verdict_dmarc_result(std::ptr::null())), None);
        assert_eq!(
            text(mailproof_verdict_dkim_domain(std::ptr::null(), 0)),
            None
        );
        assert_eq!(mailproof_verdict_dkim_count(std::ptr::null()), 0);
        assert_eq!(
            mailproof_verdict_dmarc_disposition(std::ptr::null()),
            Disposition::None
        );
        assert_eq!(text(mailproof_spf_result(std::ptr::null())), None);
        mailproof_verdict_free(std::ptr::null_mut());
        mailproof_spf_free(std::ptr::null_mut());
        mailproof_authenticator_free(std::ptr::null_mut());
        // Errors are optional.
        assert!(
            mailproof_authenticator_new_zones(c"mx".as_ptr(), none, 0, std::ptr::null_mut())
                .is_null()
        );
    }
}

#[test]
fn signs_the_forwarded_story_reproducibly() {
    let error = ErrorBox::new();
    let pem = |file: &str| {
        CString::new(std::fs::read(testdata("stories/keys").join(file)).unwrap()).unwrap()
    };
    let message = std::fs::read(testdata("stories/b-forwarded.unsigned.eml")).unwrap();
    let expected = std::fs::read(testdata("stories/b-forwarded.eml")).unwrap();
    // SAFETY: live handles, NUL-terminated strings, `message.len()` readable bytes.
    unsafe {
        let signer = mailproof_signer_new(error.0);
        assert!(!signer.is_null());
        let unsigned = mailproof_sign(signer, message.as_ptr(), message.len(), error.0);
        assert!(unsigned.is_null());
        assert_eq!(error.code(), ErrorCode::Sign);
        let rsa = pem("qq.com.rsa.pem");
        assert!(mailproof_signer_add_key_pem(
            signer,
            rsa.as_ptr(),
            c"qq.com".as_ptr(),
            c"rsa".as_ptr(),
            error.0
        ));
        assert!(!mailproof_signer_add_key_pem(
            signer,
            c"not a key".as_ptr(),
            c"qq.com".as_ptr(),
            c"x".as_ptr(),
            error.0
        ));
        assert_eq!(error.code(), ErrorCode::Key);
        let ed = pem("qq.com.ed.pem");
        assert!(!mailproof_signer_add_key_pem(
            signer,
            ed.as_ptr(),
            c"qq.com".as_ptr(),
            c"bad selector".as_ptr(),
            error.0
        ));
        assert_eq!(
            error.code(),
            ErrorCode::InvalidArgument,
            "{}",
            error.message()
        );
        assert_eq!(
            mailproof_signer_key_count(signer),
            1,
            "a refused key leaves the others"
        );
        assert!(mailproof_signer_add_key_pem(
            signer,
            ed.as_ptr(),
            c"qq.com".as_ptr(),
            c"ed".as_ptr(),
            error.0
        ));
        assert!(mailproof_signer_set_now(signer, 1_648_170_000, error.0));
        let signed = mailproof_sign(signer, message.as_ptr(), message.len(), error.0);
        assert!(!signed.is_null(), "{}", error.message());
        let out = mailproof_signed_message(signed);
        let bytes = std::slice::from_raw_parts(out.data.cast::<u8>(), out.len);
        assert_eq!(
            bytes,
            &expected[..],
            "byte for byte as testdata/stories/README.md says"
        );
        let headers = text(mailproof_signed_headers(signed)).unwrap();
        assert_eq!(headers.matches("DKIM-Signature:").count(), 2);
        assert!(expected.starts_with(headers.as_bytes()));
        mailproof_signed_free(signed);
        mailproof_signer_free(signer);
        assert_eq!(mailproof_signer_key_count(std::ptr::null()), 0);
        assert_eq!(text(mailproof_signed_message(std::ptr::null())), None);
        assert!(mailproof_sign(std::ptr::null(), message.as_ptr(), 1, error.0).is_null());
        assert_eq!(error.code(), ErrorCode::NullPointer);
    }
}

#[test]
fn version_is_the_crate_version() {
    // SAFETY: a static NUL-terminated string.
    let version = unsafe { CStr::from_ptr(mailproof_version()) };
    assert_eq!(version.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
}

/// A TXT callback for the refused-record test: `v=spf1 a:mail.refused.example -all`.
unsafe extern "C" fn refused_txt(
    _user_data: *mut c_void,
    name: *const c_char,
    _len: usize,
    answer: *mut DnsAnswer,
) -> c_int {
    // SAFETY: the library passes a NUL-terminated name.
    let name = unsafe { CStr::from_ptr(name) };
    if name.to_bytes() != b"refused.example" {
        return DnsStatus::Nxdomain as c_int;
    }
    let record = b"v=spf1 a:mail.refused.example -all";
    // SAFETY: `answer` is live during the callback; `record` is readable.
    unsafe { mailproof_answer_add_txt(answer, record.as_ptr(), record.len()) };
    DnsStatus::Records as c_int
}

/// An A callback that hands over its address with a trailing newline, as some resolvers
/// print it: the add refuses it.
unsafe extern "C" fn refused_a(
    _user_data: *mut c_void,
    _name: *const c_char,
    _len: usize,
    answer: *mut DnsAnswer,
) -> c_int {
    // SAFETY: `answer` is live during the callback; the text is NUL-terminated.
    let added = unsafe { mailproof_answer_add_a(answer, c"203.0.113.66\n".as_ptr()) };
    assert!(!added);
    DnsStatus::Records as c_int
}

/// Review finding: a record the add function refused vanished, and the answer read as
/// NODATA: SPF's `a` then did not match and the result was a definite fail. An answer with a
/// refused record is now a temporary failure (temperror).
#[test]
fn a_refused_record_makes_the_answer_a_temporary_failure() {
    let (mail_from, _) = spf_through_callbacks(
        Some(refused_txt),
        Some(refused_a),
        c"203.0.113.66",
        c"helo.refused.example",
        c"bounce@refused.example",
    );
    assert_eq!(mail_from, "temperror");
}

/// Review finding: a clock of `(uint64_t)-1` broke the authenticator for good (a caught
/// panic after it had been taken apart) and made the signer write an invalid `t=`.
#[test]
fn a_clock_past_twelve_digits_is_refused_and_changes_nothing() {
    let error = ErrorBox::new();
    let auth = story_zones(&error);
    // SAFETY: live arguments.
    unsafe {
        assert!(!mailproof_authenticator_set_now(auth, u64::MAX, error.0));
        assert_eq!(error.code(), ErrorCode::InvalidArgument);
        assert!(mailproof_authenticator_set_now(
            auth,
            1_647_931_100,
            error.0
        ));
        assert_eq!(error.code(), ErrorCode::Ok);
        let spf = mailproof_check_spf(
            auth,
            c"203.0.113.66".as_ptr(),
            c"mail.fake.com".as_ptr(),
            c"xxx@fake.com".as_ptr(),
            error.0,
        );
        assert!(!spf.is_null(), "{}", error.message());
        mailproof_spf_free(spf);
        mailproof_authenticator_free(auth);

        let signer = mailproof_signer_new(error.0);
        assert!(!mailproof_signer_set_now(signer, u64::MAX, error.0));
        assert_eq!(error.code(), ErrorCode::InvalidArgument);
        assert!(mailproof_signer_set_now(signer, 999_999_999_999, error.0));
        mailproof_signer_free(signer);
    }
}
