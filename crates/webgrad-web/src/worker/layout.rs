//! A table read in an imported model's layout: where the model records its columns
//! (`Preprocessing::columns`) in another order, or with categories this table lacks or adds, the
//! splits as loaded are laid out as the model's (`Table::conform`, as the CLI's `eval` does):
//! columns found by name, a category the model never saw as all zeros, missing cells moved with
//! their column. The import then checks, fills and scales the data as for any other model.

use webgrad_data::{Dataset, FeatureColumn, Table, Targets, UnseenCategories};

use super::data::Loaded;
use crate::data_loader::FromFile;

impl Loaded {
    /// This data laid out in `want` (a model file's recorded columns), with its normalisation
    /// fitted again on the new training split, and what the page should say of it; `Ok(None)`
    /// where nothing is to be done: the layout is already `want`, or the data records no columns
    /// (not a table, or one with two columns of one name), for which the import's checks say
    /// why the model does not fit. `self` is left as it is: the caller swaps the new data in.
    pub fn conformed(&self, want: &[FeatureColumn]) -> Result<Option<(Loaded, String)>, String> {
        let Some(ours) = self.table.columns.as_ref().filter(|ours| webgrad_data::layout_difference(want, ours).is_some())
        else {
            return Ok(None);
        };
        let (raw_train, raw_test) = match &self.normalised {
            Some((_, train, test)) => (train, test),
            None => (&self.train, &self.test),
        };
        // the training targets as loaded (regression targets may be standardised here)
        let train_targets = self.targets_scaled.as_ref().map_or(&raw_train.targets, |t| &t.1).clone();
        // the filled cells hold this data's own values again, as a fresh load's do
        let own = self.gaps.own().map(|own| own.to_vec());
        let [train_gaps, test_gaps] = self.gaps.at();
        let lay_out = |ds: &Dataset, targets: Targets, gaps: &[usize]| {
            let mut dataset = Dataset { targets, ..ds.clone() };
            if let Some(own) = own.as_ref().filter(|own| own.len() == dataset.d) {
                for &g in gaps {
                    if let Some(cell) = dataset.features.get_mut(g) {
                        *cell = own[g % own.len()];
                    }
                }
            }
            // the error names the data, not its split ("t.csv-train: no column 'a', …")
            let split = format!("{}: ", ds.name);
            let table = table_of(dataset, ours, gaps.to_vec(), own.is_some());
            table.conform(want).map_err(|e| e.to_string().replacen(&split, "", 1))
        };
        let (train, mut unseen) = lay_out(raw_train, train_targets, train_gaps)?;
        let (test, unseen_in_test) = lay_out(raw_test, raw_test.targets.clone(), test_gaps)?;
        unseen.extend(unseen_in_test);
        let fill_missing = match own {
            Some(own) => Some(own_fills_in(own, ours, want)?),
            None => None,
        };
        let table = webgrad_nn::Preprocessing { columns: Some(want.to_vec()), fill_missing, ..self.table.clone() };
        let f = FromFile {
            train: train.dataset,
            test: test.dataset,
            preview: self.preview.clone(),
            table,
            missing_cells: self.missing_cells,
            gaps: [train.missing, test.missing],
        };
        let mut laid_out = Loaded::from_file(self.choice.clone(), f);
        laid_out.normalise(self.normalisation())?;
        Ok(Some((laid_out, note(ours, want, &unseen))))
    }
}

/// This data's own fill values (one per feature of `ours`) in the layout `want`: a feature the
/// data does not have (a category it lacks) gets 0, as its cells do.
fn own_fills_in(own: Vec<f32>, ours: &[FeatureColumn], want: &[FeatureColumn]) -> Result<Vec<f32>, String> {
    let d = own.len();
    let one = Targets::Regression { values: vec![0.0], outputs: 1 };
    let row = Dataset::new("the fill values", own, 1, d, one, None).map_err(|e| e.to_string())?;
    let table = table_of(row, ours, Vec::new(), true);
    Ok(table.conform(want).map_err(|e| e.to_string())?.0.dataset.features)
}

/// `dataset` as a table of the columns `ours` whose cells `missing` are filled (`fills`), to be
/// laid out by `Table::conform` (names and label are not needed for that).
fn table_of(dataset: Dataset, ours: &[FeatureColumn], missing: Vec<usize>, fills: bool) -> Table {
    Table {
        dataset,
        feature_names: Vec::new(),
        columns: ours.to_vec(),
        label_name: String::new(),
        missing,
        dropped_rows: 0,
        fills_missing: fills,
    }
}

/// "this table's columns a, b are read as the model's b, a", and each column whose categories the
/// model never saw, with the rows that hold them (both splits).
fn note(ours: &[FeatureColumn], want: &[FeatureColumn], unseen: &[UnseenCategories]) -> String {
    let names = |c: &[FeatureColumn]| webgrad_data::listed(c.iter().map(|c| c.name.as_str()));
    let mut note = format!("this table's columns {} are read as the model's {}", names(ours), names(want));
    let mut columns: Vec<(&str, Vec<&str>, usize)> = Vec::new();
    for u in unseen {
        let at = match columns.iter().position(|c| c.0 == u.column) {
            Some(at) => at,
            None => {
                columns.push((&u.column, Vec::new(), 0));
                columns.len() - 1
            }
        };
        let (_, categories, rows) = &mut columns[at];
        for c in &u.categories {
            if !categories.contains(&c.as_str()) {
                categories.push(c);
            }
        }
        *rows += u.rows;
    }
    for (column, mut categories, rows) in columns {
        categories.sort_unstable();
        let rows = if rows == 1 { "1 row".to_string() } else { format!("{rows} rows") };
        note += &format!(
            "; column '{column}' holds {}, which the model never saw ({rows}: their one-hot inputs are all 0)",
            categories.join(", ")
        );
    }
    note
}

/// In headless Chromium with this crate's browser tests.
#[cfg(test)]
mod tests {
    use wasm_bindgen_test::*;
    use webgrad_data::{FeatureColumn, MissingPolicy, ScalingKind, TargetScaling, load_bytes};

    use super::super::data::{Loaded, Normalisation};
    use crate::data_loader::{csv_options, to_splits};
    use crate::protocol::DataChoice;

    /// 40 rows of a, a colour (red or blue), b and a class; b is missing in every 4th row.
    fn table() -> Loaded {
        let mut csv = String::from("a,colour,b,y\n");
        for i in 0..40 {
            let b = if i % 4 == 0 { String::new() } else { ((i * 7) % 13).to_string() };
            let colour = if i % 3 == 0 { "red" } else { "blue" };
            csv += &format!("{i},{colour},{b},{}\n", i % 2);
        }
        let parsed = load_bytes("t.csv", csv.as_bytes(), &csv_options(&None, MissingPolicy::FillMean)).unwrap();
        let f = to_splits("t.csv", vec![("t.csv".into(), parsed)], 1).unwrap();
        let choice = DataChoice::File { name: "t.csv".into(), label: None, missing: MissingPolicy::FillMean };
        let mut data = Loaded::from_file(choice, f);
        let standardise = Normalisation { features: ScalingKind::Standardize, targets: TargetScaling::None };
        data.normalise(standardise).unwrap();
        data
    }

    fn column(name: &str, categories: Option<&[&str]>) -> FeatureColumn {
        FeatureColumn { name: name.into(), categories: categories.map(|c| c.iter().map(|s| s.to_string()).collect()) }
    }

    /// Every value as loaded goes to its column's place in the model's layout: the colour the
    /// model never saw (red) as zeros, the one this table lacks (green) as zeros; the missing
    /// cells move with b, and the own fill values with them; the normalisation is fitted again.
    #[wasm_bindgen_test]
    fn a_table_is_laid_out_as_a_models_columns() {
        let data = table();
        assert_eq!(data.table.columns.as_ref().map(Vec::len), Some(3));
        assert!(data.conformed(data.table.columns.as_ref().unwrap()).unwrap().is_none(), "the same layout");
        let want = [column("b", None), column("colour", Some(&["blue", "green"])), column("a", None)];
        let (laid, note) = data.conformed(&want).unwrap().expect("another layout");
        assert_eq!(
            note,
            "this table's columns a, colour, b are read as the model's b, colour, a; column 'colour' holds red, \
             which the model never saw (14 rows: their one-hot inputs are all 0)"
        );
        assert_eq!((laid.train.n, laid.test.n, laid.train.d), (data.train.n, data.test.n, 4));
        assert_eq!(laid.normalisation(), data.normalisation());
        // raw rows: [a, blue, red, b] here, [b, blue, green, a] there
        for (old, new) in [(data.raw_test(), laid.raw_test())] {
            for r in 0..old.n {
                let (o, n) = (old.row(r), new.row(r));
                assert_eq!(n, [o[3], o[1], 0.0, o[0]], "test row {r}");
            }
        }
        let (own, theirs) = (data.fills().unwrap(), laid.fills().unwrap());
        assert_eq!(theirs, [own[3], own[1], 0.0, own[0]]);
        let [old_gaps, new_gaps] = [data.gaps.at(), laid.gaps.at()];
        assert_eq!(old_gaps[0].iter().map(|g| g / 4 * 4).collect::<Vec<_>>(), new_gaps[0], "b moves to feature 0");
        assert_eq!(laid.table.columns.as_deref(), Some(&want[..]));

        let unknown = [column("z", None), column("colour", Some(&["blue", "red"])), column("a", None)];
        let err = data.conformed(&unknown).err().expect("no column z");
        assert_eq!(err, "column 'b' is not one the model was trained on (z, colour, a)");
    }
}
