//! Domain-name validation and normalization (`mailproof_dns::Name`): never panics, and a
//! normalized name is a fixed point.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailproof_dns::Name;

fuzz_target!(|data: &[u8]| {
    if let Ok(name) = Name::from_bytes(data) {
        let again = Name::new(name.as_str()).expect("a normalized name stays valid");
        assert_eq!(name, again);
        assert!(name.as_str().len() <= 253);
        assert!(name.labels().all(|l| !l.is_empty() && l.len() <= 63));
        let _ = name.parent();
        let _ = name.suffix(2);
    }
});
