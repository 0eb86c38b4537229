//! A table's features laid out as a model trained on another file expects them.
//!
//! A CSV file's one-hot features depend on the categories *that file* holds: a model trained
//! on `color ∈ {green, red}` (features `color=green`, `color=red`) and evaluated on a file with
//! `color ∈ {blue, red}` would read blue as green. A saved model therefore records the layout
//! it was trained on ([`FeatureColumn`]s, `Table::columns`), and [`Table::conform`] rebuilds a
//! table in that layout: the same columns in the same order, the recorded categories in the
//! recorded order, a category the model never saw as all-zero one-hot features (the usual
//! "ignore unknown" encoding; reported), and a class the model never saw an error.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::Table;
use crate::dataset::{Dataset, Targets};
use crate::error::{DataError, Result};

/// One feature column of a table as a model sees it: a number (one feature), or the sorted
/// categories of a text column (one one-hot feature each, named `"column=category"`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureColumn {
    pub name: String,
    /// `None`: numeric. `Some`: the categories, in feature order (at least one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories: Option<Vec<String>>,
}

impl FeatureColumn {
    /// Features this column becomes.
    pub fn width(&self) -> usize {
        self.categories.as_ref().map_or(1, Vec::len)
    }

    /// Its features' names: the column name, or `"column=category"` per category.
    pub fn feature_names(&self) -> Vec<String> {
        match &self.categories {
            None => vec![self.name.clone()],
            Some(cats) => cats.iter().map(|c| format!("{}={c}", self.name)).collect(),
        }
    }

    fn kind(&self) -> &'static str {
        if self.categories.is_some() { "text (categories)" } else { "numbers" }
    }
}

/// The first name two columns share (columns are found by name), in linear time.
pub fn repeated_name(columns: &[FeatureColumn]) -> Option<&str> {
    let mut seen = HashSet::with_capacity(columns.len());
    columns.iter().map(|c| c.name.as_str()).find(|name| !seen.insert(*name))
}

/// Features a layout makes, `Σ width` (checked: a recorded layout comes from a file).
pub fn layout_width(columns: &[FeatureColumn]) -> Option<usize> {
    columns.iter().try_fold(0usize, |w, c| w.checked_add(c.width()))
}

/// How a table's columns `have` differ from a model's `want`, in words (the first
/// difference), or `None` when they are the same: the page, which trains on the table as
/// loaded, refuses a model file whose layout differs.
pub fn layout_difference(want: &[FeatureColumn], have: &[FeatureColumn]) -> Option<String> {
    if want.len() != have.len() || want.iter().zip(have).any(|(w, h)| w.name != h.name) {
        return Some(format!("the model takes the columns {} but the data has {}", names(want), names(have)));
    }
    let (w, h) = want.iter().zip(have).find(|(w, h)| w.categories != h.categories)?;
    let cats = |c: &FeatureColumn| c.categories.as_ref().map_or("numbers".to_string(), |c| c.join(", "));
    Some(format!("column '{}' holds {} in the model but {} in the data", w.name, cats(w), cats(h)))
}

/// Rows of one column whose category the model never saw (their one-hot features are all 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnseenCategories {
    pub column: String,
    /// The categories, sorted.
    pub categories: Vec<String>,
    pub rows: usize,
}

impl Table {
    /// This table in the layout `want` (a model's recorded `columns`): every recorded column
    /// must be here by name with the same kind, and no other; missing cells move with their
    /// column. Errors name the file and the column. Also returns, per categorical column, the
    /// rows holding a category the model never saw.
    pub fn conform(self, want: &[FeatureColumn]) -> Result<(Table, Vec<UnseenCategories>)> {
        let src = self.dataset.name.clone();
        let Some(d) = layout_width(want).filter(|&d| d > 0) else {
            return Err(DataError::invalid(&src, "the recorded feature layout has no features (or too many)"));
        };
        if let Some(name) = repeated_name(&self.columns).or_else(|| repeated_name(want)) {
            let msg = format!("two columns are named '{name}': the model's columns are found by name");
            return Err(DataError::invalid(&src, msg));
        }
        let wanted: HashSet<&str> = want.iter().map(|w| w.name.as_str()).collect();
        if let Some(extra) = self.columns.iter().find(|c| !wanted.contains(c.name.as_str())) {
            let msg = format!("column '{}' is not one the model was trained on ({})", extra.name, names(want));
            return Err(DataError::invalid(&src, msg));
        }
        let here = Here::of(&self);
        let plans = want.iter().map(|w| self.plan(w, want, &here)).collect::<Result<Vec<_>>>()?;
        let n = self.dataset.n;
        let cells = n.checked_mul(d).ok_or_else(|| DataError::invalid(&src, "too many cells"))?;
        let mut features = Vec::new();
        features.try_reserve_exact(cells).map_err(|_| DataError::invalid(&src, "the features do not fit in memory"))?;
        let mut unseen_rows = vec![0usize; want.len()];
        for row in self.dataset.features.chunks_exact(self.dataset.d) {
            for ((plan, w), unseen) in plans.iter().zip(want).zip(&mut unseen_rows) {
                let start = features.len();
                features.resize(start + w.width(), 0.0);
                for (&v, to) in row[plan.at..plan.at + plan.to.len()].iter().zip(&plan.to) {
                    match to {
                        Some(to) => features[start + to] = v,
                        None => *unseen += (v != 0.0) as usize,
                    }
                }
            }
        }
        let mut unseen = Vec::new();
        for ((plan, w), &rows) in plans.iter().zip(want).zip(&unseen_rows) {
            if rows > 0 {
                let categories = plan.to.iter().zip(&plan.here).filter(|(to, _)| to.is_none()).map(|(_, c)| c.clone());
                unseen.push(UnseenCategories { column: w.name.clone(), categories: categories.collect(), rows });
            }
        }
        let missing = self.conform_missing(want, &plans);
        let dataset = Dataset::new(src, features, n, d, self.dataset.targets, None)?;
        let feature_names = want.iter().flat_map(FeatureColumn::feature_names).collect();
        let table = Table { dataset, feature_names, columns: want.to_vec(), missing, ..self };
        Ok((table, unseen))
    }

    /// Where the wanted column `w` is here and where each of its features here goes. A column
    /// here whose every cell is missing (read as numbers: no cell said otherwise) stands for a
    /// text column too: all of its one-hot features are then missing.
    fn plan(&self, w: &FeatureColumn, want: &[FeatureColumn], here: &Here<'_>) -> Result<Plan> {
        let src = &self.dataset.name;
        let Some(&(at, have)) = here.columns.get(w.name.as_str()) else {
            let msg = format!("no column '{}', which the model was trained on ({})", w.name, names(want));
            return Err(DataError::invalid(src, msg));
        };
        match (&w.categories, &have.categories) {
            (None, None) => Ok(Plan { at, to: vec![Some(0)], here: Vec::new() }),
            (Some(wc), Some(hc)) => {
                let index: HashMap<&str, usize> = wc.iter().enumerate().map(|(i, c)| (c.as_str(), i)).collect();
                let to = hc.iter().map(|c| index.get(c.as_str()).copied()).collect();
                Ok(Plan { at, to, here: hc.clone() })
            }
            (Some(_), None) if self.dataset.n > 0 && here.missing[at] == self.dataset.n => {
                Ok(Plan { at, to: vec![None], here: vec![String::new()] })
            }
            _ => {
                let msg = format!("column '{}' holds {} here but {} in training", w.name, have.kind(), w.kind());
                Err(DataError::invalid(src, msg))
            }
        }
    }

    /// The columns a model trained on this table records (see [`Table::conform`]), or `None`
    /// when two share a name: another file could not be laid out by name.
    pub fn recordable_columns(&self) -> Option<Vec<FeatureColumn>> {
        repeated_name(&self.columns).is_none().then(|| self.columns.clone())
    }

    /// The missing cells in the new layout: a missing cell of a column here (one index per
    /// feature of it, the first standing for the cell) is every feature of that column there.
    fn conform_missing(&self, want: &[FeatureColumn], plans: &[Plan]) -> Vec<usize> {
        let d_here = self.dataset.d;
        // per feature here: the range of features there a missing cell starting at it becomes
        let mut there = vec![None; d_here];
        let mut to = 0;
        for (plan, w) in plans.iter().zip(want) {
            there[plan.at] = Some(to..to + w.width());
            to += w.width();
        }
        let d = to;
        let mut out = Vec::new();
        for &m in &self.missing {
            if let Some(range) = &there[m % d_here] {
                let row = (m / d_here) * d;
                out.extend(row + range.start..row + range.end);
            }
        }
        out.sort_unstable();
        out
    }
}

/// A table's columns by name (each with its first feature's index) and its missing cells per
/// feature, looked up once per [`Table::conform`].
struct Here<'a> {
    columns: HashMap<&'a str, (usize, &'a FeatureColumn)>,
    missing: Vec<usize>,
}

impl<'a> Here<'a> {
    fn of(table: &'a Table) -> Here<'a> {
        let mut at = 0;
        let mut columns = HashMap::with_capacity(table.columns.len());
        for c in &table.columns {
            columns.entry(c.name.as_str()).or_insert((at, c));
            at += c.width();
        }
        let d = table.dataset.d;
        let mut missing = vec![0; d];
        for &m in &table.missing {
            missing[m % d] += 1;
        }
        Here { columns, missing }
    }
}

/// One wanted column in a table: its first feature's index there, where each of its features
/// there goes among the wanted column's (`None`: a category the model never saw), and its
/// categories there (empty for a numeric column).
struct Plan {
    at: usize,
    to: Vec<Option<usize>>,
    here: Vec<String>,
}

fn names(columns: &[FeatureColumn]) -> String {
    listed(columns.iter().map(|c| c.name.as_str()))
}

/// The first 12 of `names` joined with ", ", then how many more (an error message may name a
/// table of 784 columns or a model of 65,536 classes).
pub fn listed<S: AsRef<str>>(names: impl ExactSizeIterator<Item = S>) -> String {
    const SHOWN: usize = 12;
    let more = names.len().saturating_sub(SHOWN);
    let mut text = names.take(SHOWN).map(|n| n.as_ref().to_string()).collect::<Vec<_>>().join(", ");
    if more > 0 {
        text.push_str(&format!(" and {more} more"));
    }
    text
}

/// Whether a data's classes `have` are read by index under a model's classes `want`: the
/// model names none — no names (an older file), or its indices 0, 1, … (made by the JS package,
/// or on NumPy labels) — and the data's classes are words, not numbers (CSV labels 0 and 2 are
/// the data's classes 0 and 1, and are still matched by name).
pub fn classes_by_index(want: &[String], have: &[String]) -> bool {
    let numbered = want.iter().enumerate().all(|(i, w)| *w == i.to_string());
    want.is_empty() || numbered && !have.iter().all(|h| h.parse::<u64>().is_ok())
}

/// A note for a user when a model of numbered classes `want` reads the data's worded classes
/// `have` by their sorted order ([`classes_by_index`]), as nothing checks that the order is the
/// model's; `None` otherwise.
pub fn classes_by_index_note(want: &[String], have: &[String]) -> Option<String> {
    (!want.is_empty() && !have.is_empty() && classes_by_index(want, have)).then(|| {
        let last = want.len() - 1;
        format!(
            "the model's classes are numbered 0 to {last}; this data's classes {} are read as 0, 1, … in that order",
            quoted(have)
        )
    })
}

/// How a table's classes `have` differ from a model's `want`, in words (the first
/// difference), or `None` when each of the data's classes is the model's class of the same
/// index (the data may lack the model's last classes) or they are read by index
/// ([`classes_by_index`]): the page, which trains on the labels as loaded, refuses a model
/// that would read them as other classes.
pub fn class_difference(want: &[String], have: &[String]) -> Option<String> {
    if classes_by_index(want, have) {
        return None;
    }
    let both = || format!("the model's classes {}, the data's {}", class_list(want), class_list(have));
    match want.iter().zip(have).enumerate().find(|(_, (w, h))| w != h) {
        Some((i, (w, h))) => Some(format!("the model's class {i} is {w:?} but the data's is {h:?} ({})", both())),
        None if have.len() > want.len() => {
            Some(format!("the data has {} classes, the model {} ({})", have.len(), want.len(), both()))
        }
        None => None,
    }
}

/// Class names quoted (a name may hold a comma), in brackets.
fn class_list(names: &[String]) -> String {
    format!("[{}]", quoted(names))
}

/// Names quoted (a name may hold a comma), as `listed` shows them.
fn quoted(names: &[String]) -> String {
    listed(names.iter().map(|n| format!("{n:?}")))
}

impl Targets {
    /// These class labels renumbered to a model's classes `names` (a file whose classes are a
    /// subset of them, e.g. a small test file without one class). Errors name a class the model
    /// does not know (`src`: the data's name). Classes read by index ([`classes_by_index`]: a
    /// model of classes 0, 1 on a table of words) keep their numbers, at most the model's
    /// count. Regression targets are returned as they are.
    pub fn conform_classes(self, names: &[String], src: &str) -> Result<Targets> {
        let Targets::Classes { labels, names: here, classes } = self else { return Ok(self) };
        if classes_by_index(names, &here) {
            if !names.is_empty() && classes > names.len() {
                let msg = format!("{classes} classes, but the model has {}", names.len());
                return Err(DataError::invalid(src, msg));
            }
            return Ok(Targets::Classes { labels, classes, names: here });
        }
        let index: HashMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();
        let mut map = Vec::with_capacity(here.len());
        for h in &here {
            let Some(&i) = index.get(h.as_str()) else {
                let msg = format!("class {h:?} is not one of the model's classes {}", class_list(names));
                return Err(DataError::invalid(src, msg));
            };
            map.push(i as u32);
        }
        let labels = labels.iter().map(|&l| map[l as usize]).collect();
        Ok(Targets::Classes { labels, classes: names.len(), names: names.to_vec() })
    }
}
