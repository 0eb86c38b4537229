//! A table's missing cells after the split: where they are, and the values they hold — this
//! data's own training means, or an imported model's recorded `fill_missing` (the means of the
//! rows it was trained on), so that the model sees its inputs as in training.

use webgrad_data::Dataset;

use super::data::Loaded;

/// Where a table's filled cells are, as flat indices (`row * d + feature`) into the training
/// and the test split as loaded (rows a person adds come after them), and this data's own fill
/// values (`[d]`: its training rows' means); `own` is `None` for data read without filling.
#[derive(Default)]
pub(super) struct Gaps {
    at: [Vec<usize>; 2],
    own: Option<Vec<f32>>,
}

impl Gaps {
    pub fn new(at: [Vec<usize>; 2], own: Option<Vec<f32>>) -> Gaps {
        Gaps { at, own }
    }

    /// Where the filled cells are: in the training and in the test split.
    pub fn at(&self) -> &[Vec<usize>; 2] {
        &self.at
    }

    /// This data's own fill values (`None` for data read without filling).
    pub fn own(&self) -> Option<&[f32]> {
        self.own.as_deref()
    }
}

impl Loaded {
    /// The fill values the missing cells hold now (exports record them as `fill_missing`).
    pub fn fills(&self) -> Option<Vec<f32>> {
        self.table.fill_missing.clone()
    }

    /// The data summary's sentence on the missing cells, as they are filled now: with this
    /// data's own means, or with a model's values (adopted on an import or a resume).
    pub fn missing_cells_sentence(&self) -> Option<String> {
        let models_values = self.gaps.own.is_some() && self.table.fill_missing != self.gaps.own;
        self.missing_cells.map(|m| m.sentence(models_values))
    }

    /// Puts `theirs` (a model file's `fill_missing`) into the missing cells, as loaded and as
    /// normalised; `None` (or a model of complete rows, which records none) puts this data's
    /// own means back. Data read without filling has nothing to fill and records nothing.
    /// Refused, with nothing changed, where `theirs` is not one value per feature.
    pub fn adopt_fills(&mut self, theirs: Option<&[f32]>) -> Result<(), String> {
        let Some(own) = &self.gaps.own else { return Ok(()) };
        let fill = theirs.unwrap_or(own).to_vec();
        let d = self.train.d;
        if fill.len() != d {
            let values = if fill.len() == 1 { "1 value".to_string() } else { format!("{} values", fill.len()) };
            return Err(format!("the model fills missing cells with {values}, one per feature, but this data has {d}"));
        }
        if self.table.fill_missing.as_ref() == Some(&fill) {
            return Ok(());
        }
        // the value a filled cell holds in the model's inputs: normalised as the others
        let mut normalised_fill = fill.clone();
        self.normalise_row(&mut normalised_fill);
        let [train_gaps, test_gaps] = &self.gaps.at;
        put(&mut self.train, train_gaps, &normalised_fill);
        put(&mut self.test, test_gaps, &normalised_fill);
        if let Some((_, raw_train, raw_test)) = &mut self.normalised {
            put(raw_train, train_gaps, &fill);
            put(raw_test, test_gaps, &fill);
        }
        if let Some(plane) = &mut self.plane {
            put(&mut plane.train, train_gaps, &fill);
            put(&mut plane.test, test_gaps, &fill);
        }
        self.table.fill_missing = Some(fill);
        Ok(())
    }
}

/// Writes `fill[feature]` into each cell `gaps` lists, in data of `fill.len()` features (other
/// data, a plane of chosen input features, is left as it is).
fn put(ds: &mut Dataset, gaps: &[usize], fill: &[f32]) {
    if ds.d != fill.len() {
        return;
    }
    for &g in gaps {
        if let Some(cell) = ds.features.get_mut(g) {
            *cell = fill[g % ds.d];
        }
    }
}

/// In headless Chromium with this crate's browser tests.
#[cfg(test)]
mod tests {
    use wasm_bindgen_test::*;
    use webgrad_data::{MissingPolicy, ScalingKind, TargetScaling, load_bytes};

    use super::super::data::{Loaded, Normalisation};
    use crate::data_loader::{csv_options, to_splits};
    use crate::protocol::DataChoice;

    /// 40 rows of a, b and a class; b is missing in every 4th row, a in row 5.
    fn gaps_table() -> Loaded {
        let mut csv = String::from("a,b,y\n");
        for i in 0..40 {
            let a = if i == 5 { "NA".to_string() } else { i.to_string() };
            let b = if i % 4 == 0 { String::new() } else { ((i * 7) % 13).to_string() };
            csv += &format!("{a},{b},{}\n", i % 2);
        }
        let parsed = load_bytes("g.csv", csv.as_bytes(), &csv_options(&None, MissingPolicy::FillMean)).unwrap();
        let f = to_splits("g.csv", vec![("g.csv".into(), parsed)], 1).unwrap();
        let choice = DataChoice::File { name: "g.csv".into(), label: None, missing: MissingPolicy::FillMean };
        Loaded::from_file(choice, f)
    }

    /// A model's fill values go into exactly the missing cells, as loaded and as normalised;
    /// values of another width are refused with nothing changed; `None` gives back the data's
    /// own means, bit for bit as before; the summary's sentence says whose values they are.
    #[wasm_bindgen_test]
    fn a_models_fill_values_go_into_the_missing_cells_and_the_own_ones_come_back() {
        let mut data = gaps_table();
        let standardise = Normalisation { features: ScalingKind::Standardize, targets: TargetScaling::None };
        data.normalise(standardise).unwrap();
        let own = data.fills().expect("filled with the training means");
        let (train0, test0, raw0) = (data.train.clone(), data.test.clone(), data.raw_test().clone());
        let [train_gaps, test_gaps] = data.gaps.at.clone();
        assert_eq!(train_gaps.len() + test_gaps.len(), 11, "10 b cells and one a");

        let own_sentence = "Missing values in 11 rows filled with the training rows' means.";
        assert_eq!(data.missing_cells_sentence().as_deref(), Some(own_sentence));

        let theirs = [100.0, -3.5];
        data.adopt_fills(Some(&theirs)).unwrap();
        assert_eq!(data.fills(), Some(theirs.to_vec()));
        let models = "Missing values in 11 rows filled with the model's values, the means of the rows it was trained on.";
        assert_eq!(data.missing_cells_sentence().as_deref(), Some(models));
        let mut scaled = theirs;
        data.normalise_row(&mut scaled);
        for (now, before, gaps) in [(&data.train, &train0, &train_gaps), (&data.test, &test0, &test_gaps)] {
            for (k, (&v, &was)) in now.features.iter().zip(&before.features).enumerate() {
                let want = if gaps.contains(&k) { scaled[k % 2] } else { was };
                assert_eq!(v.to_bits(), want.to_bits(), "cell {k}");
            }
        }
        assert!(test_gaps.iter().all(|&g| data.raw_test().features[g] == theirs[g % 2]));

        let err = data.adopt_fills(Some(&[1.0])).unwrap_err();
        assert_eq!(err, "the model fills missing cells with 1 value, one per feature, but this data has 2");
        assert_eq!(data.fills(), Some(theirs.to_vec()));

        data.adopt_fills(None).unwrap();
        assert_eq!(data.fills(), Some(own));
        assert_eq!(data.missing_cells_sentence().as_deref(), Some(own_sentence));
        assert_eq!((&data.train, &data.test, data.raw_test()), (&train0, &test0, &raw0));
    }
}
