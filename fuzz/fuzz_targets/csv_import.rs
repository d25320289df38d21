//! Arbitrary bytes as an uploaded CSV file: decoding, delimiter detection, header mapping,
//! cell conversion and row parsing for every resource must never panic.
#![no_main]
use kpi_engine::domain::Caller;
use kpi_engine::ingest::actor::{Input, ParseUpload, parse_upload};
use kpi_engine::resources::defs;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kpi_engine::ingest::csv::parse(data);
    for res in defs::ALL {
        let _ = parse_upload(ParseUpload {
            caller: Caller::system(),
            res,
            input: Input::Csv {
                bytes: data.to_vec(),
                upload_client: Some("AAA-1".into()),
            },
        });
    }
});
