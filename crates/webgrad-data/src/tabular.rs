//! Small real tabular sets bundled with the crate (compiled in, so they work in the browser too).
//!
//! **Iris** (`assets/iris.csv`): Fisher's 150 flowers, 4 measurements in cm (`sepal_length`,
//! `sepal_width`, `petal_length`, `petal_width`) and the species (`setosa`, `versicolor`,
//! `virginica`, 50 each). The values are scikit-learn 1.9.1's `sklearn/datasets/data/iris.csv`
//! (BSD-3-Clause), which matches R's `iris` and Fisher's paper (the UCI copy has two wrong
//! points), with the class ids written as names. Source: R. A. Fisher (1936), UCI Machine
//! Learning Repository, <https://doi.org/10.24432/C56C76>, CC BY 4.0.

use crate::csv::{CsvOptions, LabelColumn, Table, Task, parse_csv};

/// The bundled `assets/iris.csv`, with its header row.
pub const IRIS_CSV: &[u8] = include_bytes!("../../../assets/iris.csv");

/// Iris as a table named "iris": d = 4, 3 classes named by species. It parses (tested); the one
/// error left is a memory budget set below its few kB (the CLI's `--memory-limit`).
pub fn iris() -> crate::Result<Table> {
    let options =
        CsvOptions { label: LabelColumn::Name("species".into()), task: Task::Classification, ..CsvOptions::default() };
    parse_csv(IRIS_CSV, "iris", options)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::balance::class_balance;

    #[test]
    fn iris_is_complete() {
        let t = iris().unwrap();
        let ds = &t.dataset;
        assert_eq!((ds.n, ds.d, ds.name.as_str()), (150, 4, "iris"));
        assert_eq!(t.feature_names, ["sepal_length", "sepal_width", "petal_length", "petal_width"]);
        let b = class_balance(ds);
        let got: Vec<(&str, usize)> = b.iter().map(|s| (s.name.as_str(), s.count)).collect();
        assert_eq!(got, [("setosa", 50), ("versicolor", 50), ("virginica", 50)]);
        // First and last rows, and the column sums (from R: colSums(iris[1:4])).
        assert_eq!(ds.row(0), &[5.1, 3.5, 1.4, 0.2]);
        assert_eq!(ds.row(149), &[5.9, 3.0, 5.1, 1.8]);
        let sums: Vec<f64> = (0..4)
            .map(|c| (0..150).map(|i| ds.row(i)[c] as f64).sum::<f64>())
            .map(|s| (s * 10.0).round() / 10.0)
            .collect();
        assert_eq!(sums, [876.5, 458.6, 563.7, 179.9]);
    }
}
