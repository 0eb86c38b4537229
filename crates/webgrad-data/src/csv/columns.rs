//! The cell level: numbers, missing values, categories and labels; rows gathered into the
//! raw table, then expanded (one-hot) into the final [`Dataset`].

use std::collections::HashMap;

use super::{AUTO_MAX_CLASSES, CsvOptions, FeatureColumn, MAX_CATEGORIES, MAX_CLASSES, MissingPolicy, Table, Task};
use crate::dataset::{Dataset, Targets};
use crate::error::{DataError, Result};
use crate::parser::grow;

pub(super) fn trim(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&c| c != b' ' && c != b'\t').unwrap_or(b.len());
    let end = b.iter().rposition(|&c| c != b' ' && c != b'\t').map_or(start, |e| e + 1);
    &b[start..end]
}

pub(super) fn is_missing(t: &[u8]) -> bool {
    t.is_empty()
        || [&b"na"[..], b"n/a", b"nan", b"null", b"?"].iter().any(|m| t.len() == m.len() && t.eq_ignore_ascii_case(m))
}

/// A finite f32, or `None`. With `decimal_comma`, `3,14` reads as 3.14.
fn parse_number(t: &[u8], decimal_comma: bool) -> Option<f32> {
    let s = std::str::from_utf8(t).ok()?;
    let v = match s.parse::<f32>() {
        Ok(v) => v,
        Err(_) if decimal_comma && s.bytes().filter(|&c| c == b',').count() == 1 => {
            s.replace(',', ".").parse::<f32>().ok()?
        }
        Err(_) => return None,
    };
    // Rust also reads "inf" and "infinity"; those are not data.
    v.is_finite().then_some(v)
}

pub(super) fn is_number(t: &[u8]) -> bool {
    !is_missing(t) && std::str::from_utf8(t).is_ok_and(|s| s.parse::<f64>().is_ok_and(f64::is_finite))
}

/// Distinct strings numbered in order of first appearance.
#[derive(Default)]
struct Interner {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    fn id(&mut self, t: &[u8]) -> u32 {
        let s = String::from_utf8_lossy(t);
        if let Some(&id) = self.ids.get(s.as_ref()) {
            return id;
        }
        let id = self.names.len() as u32;
        self.ids.insert(s.clone().into_owned(), id);
        self.names.push(s.into_owned());
        id
    }

    /// `(sorted names, remap)` with `remap[first-appearance id] = sorted id`. Sorted
    /// numerically when `numeric` and every name is a number, else by bytes.
    fn sorted(self, numeric: bool) -> (Vec<String>, Vec<u32>) {
        let mut order: Vec<u32> = (0..self.names.len() as u32).collect();
        let nums: Option<Vec<f64>> =
            if numeric { self.names.iter().map(|s| s.parse::<f64>().ok()).collect() } else { None };
        match &nums {
            Some(v) => order.sort_by(|&a, &b| {
                v[a as usize]
                    .total_cmp(&v[b as usize])
                    .then_with(|| self.names[a as usize].cmp(&self.names[b as usize]))
            }),
            None => order.sort_by(|&a, &b| self.names[a as usize].cmp(&self.names[b as usize])),
        }
        let mut remap = vec![0u32; order.len()];
        for (new, &old) in order.iter().enumerate() {
            remap[old as usize] = new as u32;
        }
        let mut names = self.names;
        let sorted = order.iter().map(|&o| std::mem::take(&mut names[o as usize])).collect();
        (sorted, remap)
    }
}

enum Kind {
    /// Only missing cells so far.
    Unknown,
    Numeric,
    Categorical(Interner),
}

/// Label values, kept both ways while the task is undecided.
struct Labels {
    task: Task,
    /// First-appearance class ids, while classification is possible.
    class: Option<(Vec<u32>, Interner)>,
    /// Numbers, while regression is possible.
    values: Option<Vec<f32>>,
    integral: bool,
}

/// Turns cells into rows once the columns are known.
pub(super) struct Builder {
    header: bool,
    pub(super) names: Vec<String>,
    label: usize,
    missing_policy: MissingPolicy,
    decimal_comma: bool,
    first_data_line: u64,
    kinds: Vec<Kind>,
    /// Raw features `[rows, ncols - 1]`: numbers, first-appearance category ids, NaN = missing.
    raw: Vec<f32>,
    row: Vec<f32>,
    row_missing: bool,
    cell_error: Option<DataError>,
    label_text: Vec<u8>,
    label_line: u64,
    labels: Labels,
    pub(super) rows: usize,
    pub(super) dropped: usize,
    estimated: bool,
    /// [`CsvOptions::classes`].
    model_classes: Option<Vec<String>>,
}

impl Builder {
    pub(super) fn new(
        names: Vec<String>,
        label: usize,
        opts: &CsvOptions,
        header: bool,
        first_data_line: u64,
    ) -> Builder {
        let w = names.len() - 1;
        let task = if opts.classes.is_some() { Task::Classification } else { opts.task };
        Builder {
            header,
            label,
            missing_policy: opts.missing,
            decimal_comma: opts.delimiter != Some(b','),
            first_data_line,
            kinds: (0..w).map(|_| Kind::Unknown).collect(),
            raw: Vec::new(),
            row: vec![0.0; w],
            row_missing: false,
            cell_error: None,
            label_text: Vec::new(),
            label_line: 0,
            labels: Labels {
                task,
                class: (task != Task::Regression).then(|| (Vec::new(), Interner::default())),
                values: (task != Task::Classification).then(Vec::new),
                integral: true,
            },
            rows: 0,
            dropped: 0,
            estimated: false,
            model_classes: opts.classes.clone(),
            names,
        }
    }

    fn err(&self, src: &str, line: u64, col: usize, msg: String) -> DataError {
        DataError::Text { src: src.into(), line: Some(line), column: Some((col + 1, self.names[col].clone())), msg }
    }

    /// Takes one cell. A bad cell's error waits for the end of its row, so that a row with the
    /// wrong number of fields is reported as that (its cells are shifted, hence bad too).
    pub(super) fn cell(&mut self, col: usize, t: &[u8], line: u64, src: &str) -> Result<()> {
        if self.cell_error.is_some() {
            return Ok(());
        }
        if let Err(e) = self.cell_inner(col, t, line, src) {
            self.cell_error = Some(e);
        }
        Ok(())
    }

    fn cell_inner(&mut self, col: usize, t: &[u8], line: u64, src: &str) -> Result<()> {
        if col >= self.names.len() {
            return Ok(()); // counted by end_row
        }
        if col == self.label {
            self.label_text.clear();
            self.label_text.extend_from_slice(t);
            self.label_line = line;
            return Ok(());
        }
        let slot = col - (col > self.label) as usize;
        if is_missing(t) {
            if self.missing_policy == MissingPolicy::Error {
                let msg = format!(
                    "missing value {:?} (expected a value; choose a missing-value policy to drop or fill such rows)",
                    String::from_utf8_lossy(t)
                );
                return Err(self.err(src, line, col, msg));
            }
            self.row[slot] = f32::NAN;
            self.row_missing = true;
            return Ok(());
        }
        let decimal_comma = self.decimal_comma;
        let v = match &mut self.kinds[slot] {
            Kind::Numeric => match parse_number(t, decimal_comma) {
                Some(v) => v,
                None => {
                    let msg = not_a_number(t, "the column's first value was a number, so it is numeric");
                    return Err(self.err(src, line, col, msg));
                }
            },
            Kind::Categorical(cats) => {
                let id = cats.id(t);
                if cats.names.len() > MAX_CATEGORIES {
                    return Err(self.too_many_categories(src, line, col));
                }
                id as f32
            }
            kind @ Kind::Unknown => match parse_number(t, decimal_comma) {
                Some(v) => {
                    *kind = Kind::Numeric;
                    v
                }
                None if is_number(t) => return Err(self.err(src, line, col, not_a_number(t, ""))),
                None => {
                    let mut cats = Interner::default();
                    let id = cats.id(t);
                    *kind = Kind::Categorical(cats);
                    id as f32
                }
            },
        };
        self.row[slot] = v;
        Ok(())
    }

    fn too_many_categories(&self, src: &str, line: u64, col: usize) -> DataError {
        let msg = format!(
            "more than {MAX_CATEGORIES} distinct values in a text column (each would become a one-hot feature; \
             is it an identifier or free text? remove the column)"
        );
        self.err(src, line, col, msg)
    }

    pub(super) fn end_row(
        &mut self,
        fields: usize,
        line: u64,
        src: &str,
        consumed: u64,
        total: Option<u64>,
    ) -> Result<()> {
        let expected = self.names.len();
        if fields != expected {
            let msg = format!(
                "{fields} field{}, expected {expected} (as in {})",
                if fields == 1 { "" } else { "s" },
                if self.header { "the header" } else { "the first row" }
            );
            return Err(DataError::Text { src: src.into(), line: Some(line), column: None, msg });
        }
        if let Some(e) = self.cell_error.take() {
            return Err(e);
        }
        let label_missing = is_missing(&self.label_text);
        if label_missing && self.missing_policy != MissingPolicy::DropRow {
            let msg = format!(
                "missing label {:?} (a label cannot be filled in; drop such rows instead)",
                String::from_utf8_lossy(&self.label_text)
            );
            return Err(self.err(src, self.label_line, self.label, msg));
        }
        let drop = label_missing || (self.row_missing && self.missing_policy == MissingPolicy::DropRow);
        self.row_missing = false;
        if drop {
            self.dropped += 1;
            return Ok(());
        }
        self.push_label(src)?;
        if self.raw.len().saturating_add(self.row.len()) > self.raw.capacity() {
            self.check_budget(src, line)?;
        }
        self.reserve_rows(consumed, total);
        self.raw.extend_from_slice(&self.row);
        self.rows += 1;
        Ok(())
    }

    /// Once enough rows give the bytes per row, reserves the whole table when the input size is
    /// known (one allocation instead of a growing one); otherwise grows by a quarter.
    fn reserve_rows(&mut self, consumed: u64, total: Option<u64>) {
        let w = self.row.len();
        if let Some(total) = total
            && !self.estimated
            && self.rows >= 256
            && consumed > 0
        {
            self.estimated = true;
            let est_rows = ((total as f64 / consumed as f64 * self.rows as f64 * 1.02) as usize).saturating_add(16);
            // the input size may be a server's claim: the reservation stays within the memory
            // budget and is only a hint (a failed one leaves the table to grow as rows arrive)
            let budget_cells = usize::try_from(webgrad_core::budget::limit() / 4).unwrap_or(usize::MAX);
            if let Some(cells) = est_rows.checked_mul(w).map(|c| c.min(budget_cells)) {
                let _ = self.raw.try_reserve_exact(cells.saturating_sub(self.raw.len()));
            }
        }
        grow(&mut self.raw, w, usize::try_from(webgrad_core::budget::limit() / 4).unwrap_or(usize::MAX));
    }

    /// The parsed cells with this row (f32) against the memory budget.
    fn check_budget(&self, src: &str, line: u64) -> Result<()> {
        let bytes = (self.raw.len() as u64 + self.row.len() as u64).saturating_mul(4);
        webgrad_core::budget::check("the table", bytes, &format!(" as f32 values by this row ({} rows)", self.rows + 1))
            .map_err(|msg| DataError::Text { src: src.to_string(), line: Some(line), column: None, msg })
    }

    fn push_label(&mut self, src: &str) -> Result<()> {
        let t = &self.label_text;
        let l = &mut self.labels;
        let num = parse_number(t, self.decimal_comma);
        if let Some(values) = &mut l.values {
            match num {
                Some(v) => {
                    l.integral &= v.fract() == 0.0;
                    values.push(v);
                }
                None if l.class.is_some() => l.values = None,
                None => {
                    let why = if l.task == Task::Regression {
                        "the target of a regression".to_string()
                    } else {
                        format!(
                            "the labels before it were numbers that do not look like classes (fractions, or more \
                             than {AUTO_MAX_CLASSES} distinct values), so the column is a regression target; ask \
                             for classification to read text classes"
                        )
                    };
                    let msg = not_a_number(t, &why);
                    return Err(self.err(src, self.label_line, self.label, msg));
                }
            }
        }
        let l = &mut self.labels;
        if let Some((ids, classes)) = &mut l.class {
            ids.push(classes.id(t));
            let k = classes.names.len();
            let auto_numeric = l.task == Task::Auto && l.values.is_some();
            if auto_numeric && (k > AUTO_MAX_CLASSES || !l.integral) {
                l.class = None;
            } else if k > MAX_CLASSES {
                let msg = format!("more than {MAX_CLASSES} distinct classes");
                return Err(self.err(src, self.label_line, self.label, msg));
            }
        }
        Ok(())
    }

    pub(super) fn finish(self, src: &str) -> Result<Table> {
        let n = self.rows;
        let label_name = self.names[self.label].clone();
        let label_col = Some((self.label + 1, label_name.clone()));
        if n == 0 {
            let msg = if self.dropped > 0 {
                format!("no rows left after dropping {} with missing values", self.dropped)
            } else if self.header {
                "a header row but no data rows below it".to_string()
            } else {
                "no data rows".to_string()
            };
            return Err(DataError::Text { src: src.into(), line: Some(self.first_data_line), column: None, msg });
        }
        let targets = match (self.labels.class, self.labels.values) {
            (Some((ids, classes)), _) => {
                let (names, remap) = classes.sorted(true);
                let labels = ids.iter().map(|&i| remap[i as usize]).collect();
                if let Some(model) = &self.model_classes {
                    let found = Targets::Classes { labels, classes: names.len(), names };
                    found.conform_classes(model, src)?
                } else if names.len() < 2 {
                    let msg = format!(
                        "every row has the class {:?}; classification needs at least 2 classes \
                         (for a numeric target ask for regression)",
                        names[0]
                    );
                    return Err(DataError::Text { src: src.into(), line: None, column: label_col, msg });
                } else {
                    Targets::Classes { labels, classes: names.len(), names }
                }
            }
            (None, Some(values)) => Targets::Regression { values, outputs: 1 },
            (None, None) => unreachable!("a label is either a class or a number"),
        };
        // Final layout: one feature per numeric column, one per category of a categorical one.
        let mut feature_names = Vec::new();
        let mut columns = Vec::with_capacity(self.kinds.len());
        let mut plans = Vec::with_capacity(self.kinds.len());
        let feature_cols = (0..self.names.len()).filter(|&j| j != self.label);
        for (kind, j) in self.kinds.into_iter().zip(feature_cols) {
            let offset = feature_names.len();
            let name = self.names[j].clone();
            let column = match kind {
                Kind::Categorical(cats) => {
                    let (names, remap) = cats.sorted(false);
                    plans.push((offset, Some(remap)));
                    FeatureColumn { name, categories: Some(names) }
                }
                Kind::Numeric | Kind::Unknown => {
                    plans.push((offset, None));
                    FeatureColumn { name, categories: None }
                }
            };
            feature_names.extend(column.feature_names());
            columns.push(column);
        }
        let (w, d) = (plans.len(), feature_names.len());
        let mut features = self.raw;
        let mut missing = Vec::new();
        // Expand in place from the last row backwards: row i's new cells start at i·d >= i·w,
        // past every raw row not yet expanded.
        let cells = n.checked_mul(d).filter(|c| features.try_reserve_exact(c.saturating_sub(features.len())).is_ok());
        let Some(cells) = cells else {
            let msg = format!("{n} rows x {d} features (after one-hot encoding) do not fit in memory");
            return Err(DataError::invalid(src, msg));
        };
        features.resize(cells, 0.0);
        let mut raw_row = vec![0f32; w];
        for i in (0..n).rev() {
            raw_row.copy_from_slice(&features[i * w..(i + 1) * w]);
            let out = &mut features[i * d..(i + 1) * d];
            out.fill(0.0);
            for (s, (offset, remap)) in plans.iter().enumerate().rev() {
                let v = raw_row[s];
                match remap {
                    Some(_) if v.is_nan() => {
                        let k = plans.get(s + 1).map_or(d, |p| p.0) - offset;
                        missing.extend((0..k).rev().map(|c| i * d + offset + c));
                    }
                    Some(remap) => out[offset + remap[v as usize] as usize] = 1.0,
                    None if v.is_nan() => missing.push(i * d + offset),
                    None => out[*offset] = v,
                }
            }
        }
        missing.reverse();
        features.shrink_to_fit();
        let dataset = Dataset::new(src, features, n, d, targets, None)?;
        let fills_missing = self.missing_policy == MissingPolicy::FillMean;
        Ok(Table { dataset, feature_names, columns, label_name, missing, dropped_rows: self.dropped, fills_missing })
    }
}

fn not_a_number(t: &[u8], why: &str) -> String {
    if is_number(t) {
        format!("{:?} is out of the f32 range", String::from_utf8_lossy(t))
    } else {
        format!("{:?} is not a number ({why})", String::from_utf8_lossy(t))
    }
}
