//! CSV / TSV (plain or gzip), with the reading options taken from two option bytes; a table
//! that parses is then split into train and test sets, filling missing cells.
#![no_main]

use libfuzzer_sys::fuzz_target;
use webgrad_data::{CsvOptions, CsvParser, LabelColumn, MaybeGzip, MissingPolicy, Task};
use webgrad_fuzz::{Input, check};

/// Option byte 0: bits 0–1 label column, 2–3 task, 4–5 missing-value policy, 6–7 header;
/// option byte 1: bits 0–1 delimiter.
fn options(a: u8, b: u8) -> CsvOptions {
    let label = match a & 3 {
        0 => LabelColumn::Last,
        1 => LabelColumn::Position(1),
        2 => LabelColumn::Name("label".into()),
        _ => LabelColumn::Name("3".into()),
    };
    let task = [Task::Auto, Task::Classification, Task::Regression, Task::Auto][(a >> 2 & 3) as usize];
    let missing = [MissingPolicy::Error, MissingPolicy::DropRow, MissingPolicy::FillMean, MissingPolicy::FillMean]
        [(a >> 4 & 3) as usize];
    let has_header = [None, Some(true), Some(false), None][(a >> 6) as usize];
    let delimiter = [None, Some(b','), Some(b';'), Some(b'\t')][(b & 3) as usize];
    CsvOptions { label, task, missing, delimiter, has_header }
}

fuzz_target!(|data: &[u8]| {
    let input = Input::new(data, 2);
    let opts = options(input.option(0), input.option(1));
    if let Ok(table) = check(&input, || MaybeGzip::new(CsvParser::new("fuzz.csv", opts.clone()))) {
        let _ = table.into_split(0.25, u64::from(input.flags));
    }
});
