//! Fuzzes `mailproof_dkim::KeyRecord::parse` (tag-list, base64 and the DER walk of `p=`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailproof_dkim::{KeyRecord, PublicKey};

fuzz_target!(|data: &[u8]| {
    if let Ok(record) = KeyRecord::parse(data) {
        if let PublicKey::Rsa(rsa) = &record.public_key {
            assert!(rsa.modulus_bits() <= rsa.pkcs1_der().len() * 8);
        }
    }
});
