//! Any bytes: the DmfA reader must end without panicking, and whatever it accepts must map to
//! engine history without panicking either.
#![no_main]

use art60_dmfa::{DmfaReader, HistoryOptions, Item, to_history};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(reader) = DmfaReader::new(data) else {
        return;
    };
    let mut persons = Vec::new();
    for item in reader {
        match item {
            Ok(Item::Person(p)) => persons.push(p),
            Ok(Item::Rejected(_)) => {}
            Err(_) => break,
        }
    }
    for p in &persons {
        let start = chrono::NaiveDate::from_ymd_opt(2030, 1, 1);
        let _ = to_history(p.niss, &persons, &HistoryOptions { contract_start: start, today: None });
    }
});
