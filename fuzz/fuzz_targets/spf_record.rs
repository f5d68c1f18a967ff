//! SPF record parser: any bytes; what parses must render to text that parses to the same
//! record.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailproof_spf::Record;

fuzz_target!(|data: &[u8]| {
    if let Ok(record) = Record::parse(data) {
        let rendered = record.to_string();
        let again = Record::parse(rendered.as_bytes());
        assert_eq!(again.as_ref(), Ok(&record), "{rendered}");
    }
});
