//! CSV / TSV (plain or gzip), with the reading options taken from two option bytes; a table
//! that parses is then (by a flag) laid out as a model with its columns in reverse order and
//! every category but the first of each would expect, and split into train and test sets,
//! filling missing cells.
#![no_main]

use libfuzzer_sys::fuzz_target;
use webgrad_data::{CsvOptions, CsvParser, FeatureColumn, LabelColumn, MaybeGzip, MissingPolicy, Task};
use webgrad_fuzz::{Input, check};

/// Option byte 0: bits 0–1 label column, 2–3 task, 4–5 missing-value policy, 6–7 header;
/// option byte 1: bits 0–1 delimiter, bit 2 read for a model with the classes "0", "1", "a",
/// bit 3 lay the table out again (see above).
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
    let classes = (b & 4 != 0).then(|| vec!["0".to_string(), "1".into(), "a".into()]);
    CsvOptions { label, task, missing, delimiter, has_header, classes }
}

/// The table's columns reversed, each text column without its first category (a category the
/// model never saw) unless it has only one.
fn other_layout(columns: &[FeatureColumn]) -> Vec<FeatureColumn> {
    let mut layout = columns.to_vec();
    layout.reverse();
    for c in &mut layout {
        if let Some(cats) = &mut c.categories
            && cats.len() > 1
        {
            cats.remove(0);
        }
    }
    layout
}

fuzz_target!(|data: &[u8]| {
    let input = Input::new(data, 2);
    let opts = options(input.option(0), input.option(1));
    if let Ok(mut table) = check(&input, || MaybeGzip::new(CsvParser::new("fuzz.csv", opts.clone()))) {
        if input.option(1) & 8 != 0 {
            let layout = other_layout(&table.columns);
            let (n, d) = (table.dataset.n, layout.iter().map(FeatureColumn::width).sum::<usize>());
            match table.conform(&layout) {
                Ok((conformed, _)) => {
                    assert_eq!((conformed.dataset.n, conformed.dataset.d), (n, d));
                    assert!(conformed.missing.iter().all(|&m| m < n * d));
                    table = conformed;
                }
                Err(_) => return,
            }
        }
        let _ = table.into_split(0.25, u64::from(input.flags));
    }
});
