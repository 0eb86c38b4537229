//! Data from files and URLs, in the worker: stream → incremental parser (gzip detected) →
//! dataset → stratified train/test split (20 % test, seeded). A table keeps its column names
//! for the preview; an IDX or NPY file holds features or labels only, so those come in pairs.

use web_sys::Blob;
use webgrad_data::{
    AutoParser, CsvOptions, Dataset, IdxType, LabelColumn, MaybeGzip, MissingPolicy, Parsed, Progress, Table, Targets,
    dataset_from_idx, dataset_from_npy, stratified_train_test_split, train_test_split,
};

use crate::byte_source::{ByteSource, parse_stream};
use crate::protocol::Preview;
use webgrad_nn::Preprocessing;

const TEST_FRACTION: f32 = 0.2;
const PREVIEW_ROWS: usize = 8;

/// A loaded source: the splits, the first rows as text, and what a model trained on them
/// records of the file: a table's feature columns and the fill values of missing cells fitted
/// on the training rows (`Preprocessing::columns`, `fill_missing`), or the 1/255 that 8-bit
/// IDX pixels were scaled by (`scale`); `missing_cells` says what became of a table's missing
/// cells (left out with their rows, or filled), for the data summary, and `gaps` where the
/// filled ones are in the training and the test split (`Table::into_split_with_gaps`).
pub struct FromFile {
    pub train: Dataset,
    pub test: Dataset,
    pub preview: Option<Preview>,
    pub table: Preprocessing,
    pub missing_cells: Option<MissingCells>,
    pub gaps: [Vec<usize>; 2],
}

/// How a table is read: `label` names its label column (None or blank: the last), `missing`
/// says what its missing cells do.
pub fn csv_options(label: &Option<String>, missing: MissingPolicy) -> CsvOptions {
    let label = match label.as_deref().map(str::trim) {
        None | Some("") => LabelColumn::Last,
        Some(l) => LabelColumn::Name(l.to_string()),
    };
    CsvOptions { label, missing, ..CsvOptions::default() }
}

/// Parses one source completely (see `parse_stream` for progress and cancelling).
pub async fn parse_source(
    source: ByteSource,
    options: CsvOptions,
    on_progress: impl FnMut(Progress, Option<u64>),
    cancelled: impl FnMut() -> bool,
) -> Result<Parsed, String> {
    let parser = MaybeGzip::new(AutoParser::new(&source.name.clone(), options));
    parse_stream(source, parser, on_progress, cancelled).await
}

fn split(ds: &Dataset, seed: u64) -> Result<(Dataset, Dataset), String> {
    match ds.targets {
        Targets::Classes { .. } => stratified_train_test_split(ds, TEST_FRACTION, seed),
        Targets::Regression { .. } => train_test_split(ds, TEST_FRACTION, seed),
    }
    .map_err(|e| e.to_string())
}

/// The first rows as text; a feature whose flat index is in `missing` (ascending) shows as
/// "missing" (it holds no value until the split's means fill it).
fn preview_of(ds: &Dataset, columns: Vec<String>, missing: &[usize]) -> Preview {
    let rows = (0..ds.n.min(PREVIEW_ROWS))
        .map(|i| {
            let cell = |(j, v): (usize, &f32)| {
                let gap = missing.binary_search(&(i * ds.d + j)).is_ok();
                if gap { "missing".to_string() } else { format!("{v}") }
            };
            let mut row: Vec<String> = ds.row(i).iter().enumerate().map(cell).collect();
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
                let preview = preview_of(&table.dataset, columns, &table.missing);
                let layout = table.recordable_columns();
                let missing_cells = MissingCells::of(&table);
                let split = table.into_split_with_gaps(TEST_FRACTION, seed).map_err(|e| e.to_string())?;
                let (train, test, imputer, gaps) = split;
                let fill_missing = imputer.map(|i| i.fill);
                let table = Preprocessing { columns: layout, fill_missing, ..Preprocessing::default() };
                Ok(FromFile { train, test, preview: Some(preview), table, missing_cells, gaps })
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
            let preview = preview_of(&ds, columns, &[]);
            let (train, test) = split(&ds, seed)?;
            let gaps = [Vec::new(), Vec::new()];
            Ok(FromFile { train, test, preview: Some(preview), table, missing_cells: None, gaps })
        }
        n => Err(format!("choose one table (CSV/TSV) or a pair of IDX/NPY files, not {n} files")),
    }
}

/// What became of a table's missing cells, counted in rows: left out with their rows, or
/// filled (with the training rows' means, or an imported model's recorded values).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MissingCells {
    LeftOut { rows: usize },
    Filled { rows: usize },
}

impl MissingCells {
    /// What became of a table's missing cells; `None` without any.
    fn of(table: &Table) -> Option<MissingCells> {
        if table.dropped_rows > 0 {
            return Some(MissingCells::LeftOut { rows: table.dropped_rows });
        }
        let d = table.dataset.d.max(1);
        let mut gap_rows: Vec<usize> = table.missing.iter().map(|m| m / d).collect();
        gap_rows.dedup();
        (!gap_rows.is_empty()).then_some(MissingCells::Filled { rows: gap_rows.len() })
    }

    /// The data summary's sentence: "3 rows with a missing value left out.", or "Missing values
    /// in 2 rows filled with the training rows' means." (`models_values`: with the values the
    /// model was trained with, as after an import).
    pub fn sentence(self, models_values: bool) -> String {
        let rows = |n: usize| if n == 1 { "1 row".to_string() } else { format!("{n} rows") };
        match self {
            MissingCells::LeftOut { rows: n } => format!("{} with a missing value left out.", rows(n)),
            MissingCells::Filled { rows: n } if models_values => format!(
                "Missing values in {} filled with the model's values, the means of the rows it was trained on.",
                rows(n)
            ),
            MissingCells::Filled { rows: n } => format!("Missing values in {} filled with the training rows' means.", rows(n)),
        }
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
    use webgrad_data::{CsvOptions, MissingPolicy, Parsed, load_bytes};

    use super::{MissingCells, csv_options, to_splits};

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

    /// A table with missing cells: refused by default with the cell named; its rows left out,
    /// or its cells filled with the training rows' means (recorded for a model), as asked; the
    /// preview and the summary say which.
    #[wasm_bindgen_test]
    fn missing_cells_are_refused_left_out_or_filled_as_asked() {
        let mut csv = String::from("a,b,y\n");
        for i in 0..20 {
            let b = if i % 5 == 0 { "NA".to_string() } else { (i * 2).to_string() };
            csv += &format!("{i},{b},{}\n", i % 2);
        }
        let read = |missing| load_bytes("gaps.csv", csv.as_bytes(), &csv_options(&None, missing));
        let refused = read(MissingPolicy::Error).unwrap_err().to_string();
        assert!(refused.contains("gaps.csv") && refused.contains("missing value \"NA\""), "{refused}");

        let dropped = to_splits("gaps.csv", vec![("gaps.csv".into(), read(MissingPolicy::DropRow).unwrap())], 1).unwrap();
        assert_eq!(dropped.train.n + dropped.test.n, 16);
        assert_eq!(dropped.missing_cells, Some(MissingCells::LeftOut { rows: 4 }));
        assert_eq!(dropped.missing_cells.unwrap().sentence(false), "4 rows with a missing value left out.");
        assert_eq!(dropped.table.fill_missing, None);

        let filled = to_splits("gaps.csv", vec![("gaps.csv".into(), read(MissingPolicy::FillMean).unwrap())], 1).unwrap();
        assert_eq!(filled.train.n + filled.test.n, 20);
        let note = filled.missing_cells.expect("4 rows have a missing cell");
        assert_eq!(note.sentence(false), "Missing values in 4 rows filled with the training rows' means.");
        let theirs = "Missing values in 4 rows filled with the model's values, the means of the rows it was trained on.";
        assert_eq!(note.sentence(true), theirs);
        assert_eq!(MissingCells::Filled { rows: 1 }.sentence(false), "Missing values in 1 row filled with the training rows' means.");
        let fill = filled.table.fill_missing.clone().expect("the fill values are recorded");
        assert!(fill[1] > 0.0 && fill[1].is_finite(), "{fill:?}");
        let all = filled.train.features.iter().chain(&filled.test.features);
        assert!(all.clone().all(|v| v.is_finite()) && all.filter(|&&v| v == fill[1]).count() >= 4);
        // the first row's b was NA: the preview says so rather than show a number
        let preview = filled.preview.expect("a table has a preview");
        assert_eq!(preview.rows[0][..2], ["0".to_string(), "missing".to_string()]);
    }
}
