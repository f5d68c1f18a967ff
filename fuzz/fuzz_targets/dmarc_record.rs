//! Fuzzes the DMARC Policy Record parser: any bytes must parse or be refused without a panic,
//! and a parsed record's derived values must be consistent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailproof_dmarc::Record;

fuzz_target!(|data: &[u8]| {
    if let Ok(record) = Record::parse(data) {
        let _ = record.requested_policies();
        for uri in record
            .aggregate_report_uris
            .iter()
            .chain(&record.failure_report_uris)
        {
            let _ = (
                uri.scheme(),
                uri.host(),
                uri.max_size_bytes(),
                uri.is_mailto(),
            );
        }
        for problem in &record.problems {
            assert!(problem.offset <= data.len());
        }
    }
});
