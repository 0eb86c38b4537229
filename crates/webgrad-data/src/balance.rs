//! How the rows of a classification dataset spread over its classes.

use serde::{Deserialize, Serialize};

use crate::dataset::{Dataset, Targets};

/// One class's share of the rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassShare {
    pub name: String,
    pub count: usize,
    /// `count / n` (0 for an empty dataset).
    pub fraction: f64,
}

/// One entry per class, in class-id order (empty for a regression dataset).
pub fn class_balance(ds: &Dataset) -> Vec<ClassShare> {
    let Targets::Classes { names, .. } = &ds.targets else { return Vec::new() };
    ds.class_counts()
        .into_iter()
        .zip(names)
        .map(|(count, name)| ClassShare {
            name: name.clone(),
            count,
            fraction: if ds.n == 0 { 0.0 } else { count as f64 / ds.n as f64 },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_fractions_per_class_name() {
        let names = vec!["cat".to_string(), "dog".into(), "eel".into()];
        let targets = Targets::Classes { labels: vec![1, 0, 1, 1], classes: 3, names };
        let ds = Dataset::new("b", vec![0.0; 4], 4, 1, targets, None).unwrap();
        let b = class_balance(&ds);
        let got: Vec<(&str, usize, f64)> = b.iter().map(|s| (s.name.as_str(), s.count, s.fraction)).collect();
        assert_eq!(got, [("cat", 1, 0.25), ("dog", 3, 0.75), ("eel", 0, 0.0)]);
        let reg = Dataset::new("r", vec![0.0], 1, 1, Targets::Regression { values: vec![1.0], outputs: 1 }, None);
        assert!(class_balance(&reg.unwrap()).is_empty());
    }
}
