//! Data from files and URLs, in the worker: stream → incremental parser (gzip detected) →
//! dataset → stratified train/test split (20 % test, seeded). A table keeps its column names
//! for the preview; an IDX or NPY file holds features or labels only, so those come in pairs.

use web_sys::Blob;
use webgrad_data::{
    AutoParser, CsvOptions, Dataset, IdxType, LabelColumn, MaybeGzip, Parsed, Progress, Targets, dataset_from_idx,
    dataset_from_npy, stratified_train_test_split, train_test_split,
};

use crate::byte_source::{ByteSource, parse_stream};
use crate::protocol::Preview;
use webgrad_nn::Preprocessing;

const TEST_FRACTION: f32 = 0.2;
const PREVIEW_ROWS: usize = 8;

/// A loaded source: the splits, the first rows as text, and what a model trained on them
/// records of the file: a table's feature columns and the fill values of missing cells fitted
/// on the training rows (`Preprocessing::columns`, `fill_missing`), or the 1/255 that 8-bit
/// IDX pixels were scaled by (`scale`).
pub struct FromFile {
    pub train: Dataset,
    pub test: Dataset,
    pub preview: Option<Preview>,
    pub table: Preprocessing,
}

pub fn csv_options(label: &Option<String>) -> CsvOptions {
    let label = match label.as_deref().map(str::trim) {
        None | Some("") => LabelColumn::Last,
        Some(l) => LabelColumn::Name(l.to_string()),
    };
    CsvOptions { label, ..CsvOptions::default() }
}

/// Parses one source completely (see `parse_stream` for progress and cancelling).
pub async fn parse_source(
    source: ByteSource,
    label: &Option<String>,
    on_progress: impl FnMut(Progress, Option<u64>),
    cancelled: impl FnMut() -> bool,
) -> Result<Parsed, String> {
    let parser = MaybeGzip::new(AutoParser::new(&source.name.clone(), csv_options(label)));
    parse_stream(source, parser, on_progress, cancelled).await
}

fn split(ds: &Dataset, seed: u64) -> Result<(Dataset, Dataset), String> {
    match ds.targets {
        Targets::Classes { .. } => stratified_train_test_split(ds, TEST_FRACTION, seed),
        Targets::Regression { .. } => train_test_split(ds, TEST_FRACTION, seed),
    }
    .map_err(|e| e.to_string())
}

fn preview_of(ds: &Dataset, columns: Vec<String>) -> Preview {
    let rows = (0..ds.n.min(PREVIEW_ROWS))
        .map(|i| {
            let mut row: Vec<String> = ds.row(i).iter().map(|v| format!("{v}")).collect();
            row.push(match &ds.targets {
                Targets::Classes { labels, names, .. } => names[labels[i] as usize].clone(),
                Targets::Regression { values, outputs } => format!("{}", values[i * outputs]),
            });
            row
        })
        .collect();
    Preview { columns, rows }
}

/// Turns what the parser(s) produced into splits. `parts` are (source name, parsed) in the
/// order given; a pair's labels are the 1-D array.
pub fn to_splits(name: &str, parts: Vec<(String, Parsed)>, seed: u64) -> Result<FromFile, String> {
    let mut parts = parts;
    match parts.len() {
        1 => match parts.pop().map(|p| p.1) {
            Some(Parsed::Table(table)) => {
                let mut columns = table.feature_names.clone();
                columns.push(format!("{} (label)", table.label_name));
                let preview = preview_of(&table.dataset, columns);
                let layout = table.recordable_columns();
                let (train, test, imputer) = table.into_split(TEST_FRACTION, seed).map_err(|e| e.to_string())?;
                let fill_missing = imputer.map(|i| i.fill);
                let table = Preprocessing { columns: layout, fill_missing, ..Preprocessing::default() };
                Ok(FromFile { train, test, preview: Some(preview), table })
            }
            _ => Err(format!(
                "{name}: an IDX or NPY file holds only features or only labels — choose both files together"
            )),
        },
        2 => {
            let (b, a) = (parts.pop().expect("two"), parts.pop().expect("two"));
            // 8-bit pixels are divided by 255, which a model of them records (as MNIST's)
            let mut table = Preprocessing::default();
            let ds = match (a, b) {
                ((an, Parsed::Idx(x)), (bn, Parsed::Idx(y))) => {
                    let ((xn, x), (yn, y)) = if x.dims.len() == 1 { ((bn, y), (an, x)) } else { ((an, x), (bn, y)) };
                    table.scale = (x.ty == IdxType::U8).then_some(1.0 / 255.0);
                    dataset_from_idx(x, &xn, y, &yn, name, table.scale.unwrap_or(1.0))
                }
                ((an, Parsed::Npy(x)), (bn, Parsed::Npy(y))) => {
                    let ((xn, x), (yn, y)) = if x.shape.len() == 1 { ((bn, y), (an, x)) } else { ((an, x), (bn, y)) };
                    dataset_from_npy(x, &xn, y, &yn, name)
                }
                _ => {
                    return Err(format!("{name}: a pair must be two IDX files or two NPY files (features and labels)"));
                }
            }
            .map_err(|e| e.to_string())?;
            let columns = (1..=ds.d).map(|c| format!("x{c}")).chain(["label".to_string()]).collect();
            let preview = preview_of(&ds, columns);
            let (train, test) = split(&ds, seed)?;
            Ok(FromFile { train, test, preview: Some(preview), table })
        }
        n => Err(format!("choose one table (CSV/TSV) or a pair of IDX/NPY files, not {n} files")),
    }
}

/// The sources for a set of picked or dropped files.
pub fn sources(files: &[(String, Blob)]) -> Result<Vec<ByteSource>, String> {
    files.iter().map(|(name, blob)| ByteSource::from_blob(name, blob)).collect()
}

/// In headless Chromium with this crate's browser tests.
#[cfg(test)]
mod tests {
    use wasm_bindgen_test::*;
    use webgrad_data::{CsvOptions, Parsed, load_bytes};

    use super::to_splits;

    /// An IDX file: magic (two zero bytes, the type code, the rank), big-endian dims, then data.
    fn idx(type_code: u8, dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0, 0, type_code, dims.len() as u8];
        dims.iter().for_each(|d| bytes.extend(d.to_be_bytes()));
        bytes.extend(data);
        bytes
    }

    fn parsed(name: &str, bytes: &[u8]) -> (String, Parsed) {
        (name.to_string(), load_bytes(name, bytes, &CsvOptions::default()).unwrap())
    }

    #[wasm_bindgen_test]
    fn eight_bit_idx_pixels_are_divided_by_255_and_a_model_records_it() {
        const N: u32 = 10;
        let labels = idx(0x08, &[N], &(0..N).map(|i| (i % 2) as u8).collect::<Vec<_>>());
        let pixels: Vec<u8> = (0..N * 4).map(|i| (i * 6) as u8).collect();
        let images = idx(0x08, &[N, 2, 2], &pixels);
        let f = to_splits("pair", vec![parsed("x-idx3-ubyte", &images), parsed("y-idx1-ubyte", &labels)], 1).unwrap();
        assert_eq!(f.table.scale, Some(1.0 / 255.0));
        let all = f.train.features.iter().chain(&f.test.features);
        assert!(all.clone().all(|&v| (0.0..=1.0).contains(&v)) && all.clone().any(|&v| v > 0.5));
        // float pixels are taken as they are: nothing to record
        let floats: Vec<u8> = pixels.iter().flat_map(|&p| (p as f32).to_be_bytes()).collect();
        let images = idx(0x0D, &[N, 2, 2], &floats);
        let f = to_splits("pair", vec![parsed("x-idx3-ubyte", &images), parsed("y-idx1-ubyte", &labels)], 1).unwrap();
        assert_eq!(f.table.scale, None);
        assert!(f.train.features.iter().any(|&v| v > 1.0));
    }
}
