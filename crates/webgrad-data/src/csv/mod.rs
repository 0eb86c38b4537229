//! CSV / TSV tables, parsed incrementally into a [`Table`] (a [`Dataset`] plus column names).
//!
//! Reading rules, in order:
//! - **Quoting** is RFC 4180 (done by `csv-core`): quoted fields may hold the delimiter, newlines
//!   and doubled quotes `""`; CRLF, LF and CR all end a record; blank lines are skipped; a UTF-8
//!   byte order mark is dropped. A quote left open at the end of the file is an error.
//! - **Delimiter**: `,`, `;` or tab, the most frequent of them (outside quotes) in the first
//!   line, unless [`CsvOptions::delimiter`] says. With `;` or tab, numbers may use a decimal
//!   comma (`3,14`).
//! - **Header**: unless [`CsvOptions::has_header`] says, the first row is a header when some
//!   column holds text there and only numbers in the next rows (up to [`HEADER_SNIFF_ROWS`]), or
//!   when every first-row cell is distinct text that does not occur again in its column in those
//!   rows. Without a header, columns are named "column 1", "column 2", ….
//! - **Label column**: [`LabelColumn`], by default the last one. Every other column is a feature.
//! - **Cells** are trimmed of spaces and tabs. A cell is *missing* when it is empty or one of
//!   `NA`, `N/A`, `NaN`, `null`, `?` (any case); what happens then is [`MissingPolicy`].
//! - **Feature columns** are numeric or categorical, decided by their first non-missing cell
//!   (streaming cannot look ahead): a number makes the column numeric, and a later cell that is
//!   not a number is then an error naming it; text makes it categorical, one-hot encoded into
//!   one feature per category (categories sorted, named `"column=value"`, at most
//!   [`MAX_CATEGORIES`] per column).
//! - **Targets** ([`Task`]): class names are the distinct label strings, sorted (numerically
//!   when all are numbers, else by bytes), class id = position in that order; or one regression
//!   value per row.
//!
//! Every error names the source, the line (1-based, counting the header and every physical
//! line, so quoted newlines count) and, when one cell is at fault, its column (1-based) and name.

mod columns;
mod layout;
mod reader;

pub use layout::{
    FeatureColumn, UnseenCategories, class_difference, classes_by_index, classes_by_index_note, layout_difference,
    layout_width, listed, repeated_name,
};

pub use reader::{CsvParser, parse_csv};

use crate::dataset::{Dataset, Targets};
use crate::error::{DataError, Result};
use crate::split::{split_rows, stratified_train_test_indices, train_test_indices};
use serde::{Deserialize, Serialize};

/// Rows looked at to decide whether the first row is a header.
pub const HEADER_SNIFF_ROWS: usize = 20;
/// Distinct values allowed in one categorical feature column (each becomes a feature).
pub const MAX_CATEGORIES: usize = 1000;
/// Distinct classes allowed in a label column.
pub const MAX_CLASSES: usize = 65_536;
/// With [`Task::Auto`], a numeric label column with at most this many distinct integer values
/// is read as class labels; otherwise as a regression target.
pub const AUTO_MAX_CLASSES: usize = 50;
/// A longer field is an error (it is almost always a quote left open).
pub const MAX_FIELD_BYTES: usize = 1 << 20;
/// The first line is looked at for the delimiter once it is complete or this long.
pub(crate) const SNIFF_LINE_BYTES: usize = 64 * 1024;

/// Which column holds the targets.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LabelColumn {
    /// The last column.
    #[default]
    Last,
    /// By header name; when no header cell has this name and it is a number `k`, column `k`
    /// (1-based), so `"5"` works for a file without a header.
    Name(String),
    /// By 1-based position, as error messages count columns.
    Position(usize),
}

/// What the label column holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Task {
    /// Classes when some label is not a number, or when all are integers with at most
    /// [`AUTO_MAX_CLASSES`] distinct values; otherwise regression.
    #[default]
    Auto,
    Classification,
    Regression,
}

/// What to do with a missing cell (see the module docs for what counts as missing).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum MissingPolicy {
    /// The first missing cell is an error naming it.
    #[default]
    Error,
    /// Rows with a missing cell (feature or label) are left out.
    DropRow,
    /// Missing feature cells are recorded in [`Table::missing`] and hold 0 until filled with
    /// the mean of the **training** rows ([`Table::into_split`] / [`Imputer`]): a mean taken
    /// over the whole file at parse time would let test rows leak into preprocessing. A missing
    /// categorical cell gives all of its one-hot features missing (filled with the training
    /// frequencies). A missing *label* is still an error.
    FillMean,
}

/// How to read a CSV file. `Default`: last column is the label, task auto, missing cells are
/// errors, delimiter and header detected.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsvOptions {
    pub label: LabelColumn,
    pub task: Task,
    pub missing: MissingPolicy,
    /// `Some(b',')`, `Some(b';')`, `Some(b'\t')`, …; `None` detects.
    pub delimiter: Option<u8>,
    /// `None` detects.
    pub has_header: Option<bool>,
    /// A saved model's classes, when reading data for it: the labels are class names (the task
    /// is classification) numbered in this order, a file may hold only some of them (even
    /// one), and a label not among them is an error. `None`: the file's own classes, sorted.
    #[serde(default)]
    pub classes: Option<Vec<String>>,
}

/// A parsed table.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// Named after the source. Rows in file order (dropped rows left out).
    pub dataset: Dataset,
    /// One name per feature, `[d]`: the column name, or `"column=value"` for a one-hot feature.
    pub feature_names: Vec<String>,
    /// The feature columns in file order (the label column left out); their widths add up to
    /// `d`. A saved model records them ([`Table::conform`]).
    pub columns: Vec<FeatureColumn>,
    /// The label column's name.
    pub label_name: String,
    /// Flat indices into `dataset.features` of missing cells (only with
    /// [`MissingPolicy::FillMean`]), ascending; they hold 0 until an [`Imputer`] fills them.
    pub missing: Vec<usize>,
    /// Rows left out by [`MissingPolicy::DropRow`].
    pub dropped_rows: usize,
    /// Read with [`MissingPolicy::FillMean`]: [`Table::into_split`] fits the training means
    /// even when no cell is missing here, so a model records them for another file's gaps.
    pub fills_missing: bool,
}

impl Table {
    /// Splits into `(train, test)` as [`crate::stratified_train_test_split`] (classes) or
    /// [`crate::train_test_split`] (regression) do with the same seed, after filling missing
    /// cells with the means of the training rows. Returns the [`Imputer`] when it filled any,
    /// or the table was read to fill them ([`Table::fills_missing`]).
    pub fn into_split(self, test_fraction: f32, seed: u64) -> Result<(Dataset, Dataset, Option<Imputer>)> {
        let (train, test, imputer, _) = self.into_split_with_gaps(test_fraction, seed)?;
        Ok((train, test, imputer))
    }

    /// [`Table::into_split`], also returning where the missing cells went: flat indices into
    /// the training and the test split's features (`row * d + feature`), each ascending, so
    /// that other fill values (a model's) can replace the means later.
    pub fn into_split_with_gaps(self, test_fraction: f32, seed: u64) -> Result<SplitWithGaps> {
        let mut ds = self.dataset;
        let (train, test) = match ds.targets {
            Targets::Classes { .. } => stratified_train_test_indices(&ds, test_fraction, seed)?,
            Targets::Regression { .. } => train_test_indices(&ds, test_fraction, seed)?,
        };
        let imputer = if self.missing.is_empty() && !self.fills_missing {
            None
        } else {
            let imp = Imputer::fit(&ds, &self.missing, &train);
            imp.apply(&mut ds, &self.missing)?;
            Some(imp)
        };
        let gaps = gaps_after_split(&self.missing, ds.d, ds.n, [&train, &test]);
        let (tr, te) = split_rows(ds, &train, &test)?;
        Ok((tr, te, imputer, gaps))
    }

    /// Fills the missing cells with `imputer`'s values (a model's, fitted on its training rows)
    /// and forgets them, so [`Table::into_split`] fits nothing new. Errors, changing nothing,
    /// when the widths differ.
    pub fn fill_missing(&mut self, imputer: &Imputer) -> Result<()> {
        imputer.apply(&mut self.dataset, &self.missing)?;
        self.missing.clear();
        Ok(())
    }
}

/// A table's training and test splits, the [`Imputer`] that filled its missing cells, and
/// where those cells are in each split ([`Table::into_split_with_gaps`]).
pub type SplitWithGaps = (Dataset, Dataset, Option<Imputer>, [Vec<usize>; 2]);

/// Where the missing cells `missing` (flat indices into `n` rows of `d`, ascending) are after
/// rows are split into `splits` (each a list of the old rows, in their new order): one list
/// per split, ascending.
fn gaps_after_split(missing: &[usize], d: usize, n: usize, splits: [&[u32]; 2]) -> [Vec<usize>; 2] {
    let mut gaps = [Vec::new(), Vec::new()];
    if missing.is_empty() || d == 0 {
        return gaps;
    }
    // old row → (split, new row)
    let mut to = vec![(0usize, 0usize); n];
    for (s, rows) in splits.iter().enumerate() {
        for (new, &old) in rows.iter().enumerate() {
            if let Some(t) = to.get_mut(old as usize) {
                *t = (s, new);
            }
        }
    }
    for &m in missing {
        if let Some(&(s, row)) = to.get(m / d) {
            gaps[s].push(row * d + m % d);
        }
    }
    gaps.iter_mut().for_each(|g| g.sort_unstable());
    gaps
}

/// Per-feature fill values for missing cells, `[d]`, fitted on the training rows only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Imputer {
    pub fill: Vec<f32>,
}

impl Imputer {
    /// Means (in f64) of the non-missing cells of `rows`, per feature; 0 for a feature with no
    /// such cell. `missing` lists flat indices as in [`Table::missing`] (whatever those cells
    /// hold is left out).
    /// Panics if a row index is `>= ds.n`.
    pub fn fit(ds: &Dataset, missing: &[usize], rows: &[u32]) -> Imputer {
        let d = ds.d;
        let mut in_rows = vec![false; ds.n];
        let mut sum = vec![0f64; d];
        let mut count = vec![rows.len() as u64; d];
        for &r in rows {
            in_rows[r as usize] = true;
            for (s, &x) in sum.iter_mut().zip(ds.row(r as usize)) {
                *s += x as f64;
            }
        }
        for &m in missing {
            if in_rows[m / d] {
                sum[m % d] -= ds.features[m] as f64;
                count[m % d] -= 1;
            }
        }
        let fill = sum.iter().zip(&count).map(|(&s, &c)| if c == 0 { 0.0 } else { (s / c as f64) as f32 }).collect();
        Imputer { fill }
    }

    /// Writes the fill value into every listed cell. Errors (changing nothing) when the widths
    /// differ or an index is out of range.
    pub fn apply(&self, ds: &mut Dataset, missing: &[usize]) -> Result<()> {
        if ds.d != self.fill.len() {
            let msg = format!("imputer was fitted on {} features, dataset has {}", self.fill.len(), ds.d);
            return Err(DataError::invalid(&ds.name, msg));
        }
        if missing.iter().any(|&m| m >= ds.features.len()) {
            return Err(DataError::invalid(&ds.name, "missing-cell index out of range"));
        }
        for &m in missing {
            ds.features[m] = self.fill[m % ds.d];
        }
        Ok(())
    }
}
