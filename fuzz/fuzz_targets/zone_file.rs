//! RFC 1035 master-file loading into the in-memory resolver: malformed files give typed
//! errors, never panics.
//!
//! The loader contains panics of the `domain` parser with `catch_unwind`; libfuzzer-sys's
//! panic hook would abort on those contained panics too, so the target restores a silent hook.
//! A panic that escapes the loader still unwinds into libFuzzer and is reported as a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailproof_dns::{Name, ZoneResolver};

fuzz_target!(
    init: {
        std::panic::set_hook(Box::new(|_| {}));
    },
    |data: &[u8]| {
        let origin: Name = "example.test".parse().expect("valid origin");
        let mut zone = ZoneResolver::new();
        let _ = zone.load_zone_file(data, Some(&origin));
    }
);
