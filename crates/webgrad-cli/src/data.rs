//! Resolves `--dataset` into (train, test) splits plus the preprocessing to record (the feature
//! scaling, and for regression the target standardisation fitted on the training split).
//!
//! A file is streamed from disk and its format recognised by content or name: CSV/TSV (with
//! `--label`, `--task`, `--missing`), NumPy `.npy` features with `--labels` targets, or IDX
//! images with `--labels` (MNIST style); each may be gzip-compressed.

use std::path::Path;

use webgrad_data::{
    self as data, CsvOptions, Dataset, LabelColumn, MissingPolicy, Parsed, Scaling, ScalingKind, Standardizer, Table,
    TargetScaling, Task,
};
use webgrad_nn::{ModelFile, Preprocessing};

use crate::CliResult;

pub struct DataSpec<'a> {
    pub name: &'a str,
    pub labels: Option<&'a str>,
    /// CSV only: the label column, by name or 1-based number.
    pub label: Option<&'a str>,
    /// CSV only: auto | classification | regression.
    pub task: Option<&'a str>,
    /// CSV only: error | drop | mean.
    pub missing: Option<&'a str>,
    pub samples: usize,
    pub noise: f32,
    pub test_fraction: f32,
    pub seed: u64,
}

/// The data flags a saved model records beside its dataset ([`DataSpec::key`]), in this order;
/// their values travel as [`DataFlags`].
pub const DATA_FLAGS: [&str; 8] =
    ["--labels", "--label", "--task", "--missing", "--samples", "--noise", "--test-fraction", "--seed"];

/// The values of [`DATA_FLAGS`] as given on a command line or recorded in a key (`None`: not
/// given, or the default).
pub type DataFlags = [Option<String>; 8];

/// The defaults of the numeric data flags.
pub const DEFAULT_SAMPLES: usize = 1000;
pub const DEFAULT_TEST_FRACTION: f32 = 0.2;
pub const DEFAULT_SEED: u64 = 1;

impl DataSpec<'_> {
    /// What a saved model records as its dataset: the `--dataset` value, followed by the
    /// data flags that change which rows it holds and how they are split
    /// (`pets.csv --label species --seed 3`), so that `eval`, `--resume` and `export-torch`
    /// read the same rows, split the same way. Numeric flags are recorded where they differ from
    /// their defaults and the dataset uses them (`--samples`/`--noise` for the 2-D sets; `--seed`
    /// and `--test-fraction` for all but MNIST, whose split is fixed). [`split_key`] reads it back.
    pub fn key(&self) -> String {
        let synthetic = data::synthetic::NAMES.contains(&self.name);
        let split = self.name != "mnist";
        let numbers = [
            (synthetic && self.samples != DEFAULT_SAMPLES).then(|| self.samples.to_string()),
            (synthetic && self.noise != 0.0).then(|| self.noise.to_string()),
            (split && self.test_fraction != DEFAULT_TEST_FRACTION).then(|| self.test_fraction.to_string()),
            (split && self.seed != DEFAULT_SEED).then(|| self.seed.to_string()),
        ];
        let texts = [self.labels, self.label, self.task, self.missing].map(|v| v.map(str::to_string));
        let mut key = self.name.to_string();
        for (flag, value) in DATA_FLAGS.iter().zip(texts.into_iter().chain(numbers)) {
            if let Some(v) = value {
                key += &format!(" {flag} {v}");
            }
        }
        key
    }
}

/// The parts of a [`DataSpec::key`]: the dataset and the recorded flags.
pub fn split_key(key: &str) -> (String, DataFlags) {
    let mut rest = key;
    let mut flags = DataFlags::default();
    loop {
        let found = DATA_FLAGS
            .iter()
            .enumerate()
            .filter_map(|(i, f)| rest.rfind(&format!(" {f} ")).map(|at| (at, i)))
            .max_by_key(|&(at, _)| at);
        let Some((at, i)) = found else { break };
        flags[i] = Some(rest[at + DATA_FLAGS[i].len() + 2..].to_string());
        rest = &rest[..at];
    }
    (rest.to_string(), flags)
}

/// The data flags of a saved model's data: the `--dataset` and data flags given now win; the
/// others come from the model's recorded key ([`split_key`]) when the dataset is the recorded
/// one. Returns `(dataset, flags)`.
pub fn saved_flags(saved_key: &str, dataset: Option<&String>, given: &DataFlags) -> (String, DataFlags) {
    let (saved, recorded) = split_key(saved_key);
    let same = dataset.is_none_or(|d| *d == saved);
    let mut flags = DataFlags::default();
    for (i, slot) in flags.iter_mut().enumerate() {
        *slot = given[i].clone().or(if same { recorded[i].clone() } else { None });
    }
    (dataset.cloned().unwrap_or(saved), flags)
}

/// A recorded or given numeric data flag (`DATA_FLAGS[i]`), or `default` when there is none.
pub fn flag_value<T: std::str::FromStr>(flags: &DataFlags, i: usize, default: T) -> CliResult<T> {
    match &flags[i] {
        None => Ok(default),
        Some(text) => text.parse().map_err(|_| format!("{} '{text}' is not a valid value", DATA_FLAGS[i])),
    }
}

/// The splits as a run uses them: the features of both scaled as `preprocessing` records; the
/// training split's regression targets standardised when `preprocessing.target_standardize` is
/// set, the test split's always in their own units.
pub struct Loaded {
    pub train: Dataset,
    pub test: Dataset,
    pub preprocessing: Preprocessing,
}

/// The label file that sits beside an MNIST-style image file, or `y…` beside `x…` / `X…`.
fn default_labels_path(features: &str) -> Option<String> {
    if features.contains("images-idx3") {
        return Some(features.replace("images-idx3", "labels-idx1"));
    }
    let path = Path::new(features);
    let file = path.file_name()?.to_str()?;
    let rest = file.strip_prefix('x').or_else(|| file.strip_prefix('X'))?;
    Some(path.with_file_name(format!("y{rest}")).to_str()?.to_string())
}

fn csv_options(spec: &DataSpec<'_>) -> CliResult<CsvOptions> {
    let task = match spec.task.unwrap_or("auto") {
        "auto" => Task::Auto,
        "classification" => Task::Classification,
        "regression" => Task::Regression,
        other => return Err(format!("--task '{other}' is not one of auto, classification, regression")),
    };
    let missing = match spec.missing.unwrap_or("error") {
        "error" => MissingPolicy::Error,
        "drop" => MissingPolicy::DropRow,
        "mean" => MissingPolicy::FillMean,
        other => return Err(format!("--missing '{other}' is not one of error, drop, mean")),
    };
    let label = spec.label.map_or(LabelColumn::Last, |l| LabelColumn::Name(l.to_string()));
    Ok(CsvOptions { label, task, missing, ..CsvOptions::default() })
}

/// Streams a file (any supported format, gzip or not).
fn parse(path: &str, options: &CsvOptions) -> CliResult<Parsed> {
    data::load_path(Path::new(path), options).map_err(|e| e.to_string())
}

/// Stratified for classes, random for regression targets; the rows move, no second copy.
fn split(all: Dataset, spec: &DataSpec<'_>) -> CliResult<(Dataset, Dataset)> {
    let (train, test) = match all.labels() {
        Some(_) => data::stratified_train_test_indices(&all, spec.test_fraction, spec.seed),
        None => data::train_test_indices(&all, spec.test_fraction, spec.seed),
    }
    .map_err(|e| e.to_string())?;
    data::split_rows(all, &train, &test).map_err(|e| e.to_string())
}

/// A table's splits. For a new model, its column layout and (with `--missing mean`) the fill
/// values fitted on the training rows go into the preprocessing; for a saved model (`saved`)
/// the table is laid out as the model's recorded columns and filled with its recorded values.
fn from_table(mut table: Table, spec: &DataSpec<'_>, saved: Option<&ModelFile>) -> CliResult<Loaded> {
    let recorded = saved.map(|f| &f.preprocessing);
    if let Some(columns) = recorded.and_then(|p| p.columns.as_ref()) {
        let (conformed, unseen) = table.conform(columns).map_err(|e| e.to_string())?;
        for u in unseen {
            println!(
                "note: {}: column '{}' holds {}, which the model never saw in training ({} rows): their one-hot features are all 0",
                spec.name,
                u.column,
                u.categories.join(", "),
                u.rows
            );
        }
        table = conformed;
    }
    if let Some(fill) = recorded.and_then(|p| p.fill_missing.clone()) {
        table.fill_missing(&data::Imputer { fill }).map_err(|e| e.to_string())?;
    }
    let columns = table.recordable_columns();
    let (train, test, imputer) = table.into_split(spec.test_fraction, spec.seed).map_err(|e| e.to_string())?;
    let preprocessing = Preprocessing { columns, fill_missing: imputer.map(|i| i.fill), ..Preprocessing::default() };
    Ok(Loaded { train, test, preprocessing })
}

/// The splits `spec` names; for a saved model (`saved`: a model file, or the checkpoint a run
/// resumes), CSV tables laid out and filled as it was trained ([`from_table`]) and class labels
/// numbered as its classes (a file may hold only some of them).
pub fn load(spec: &DataSpec<'_>, saved: Option<&ModelFile>) -> CliResult<Loaded> {
    let mut loaded = load_splits(spec, saved)?;
    if let Some(names) = saved.map(|f| &f.class_names).filter(|n| !n.is_empty()) {
        if let Some(note) = data::classes_by_index_note(names, loaded.train.targets.class_names()) {
            println!("note: {}: {note}", spec.name);
        }
        for split in [&mut loaded.train, &mut loaded.test] {
            let targets =
                std::mem::replace(&mut split.targets, data::Targets::Regression { values: Vec::new(), outputs: 1 });
            split.targets = targets.conform_classes(names, &split.name).map_err(|e| e.to_string())?;
        }
    }
    // a run scores itself on the test split: with no rows there, its metrics would be made up
    if loaded.test.n == 0 {
        let all = loaded.train.n;
        return Err(format!(
            "{}: the test split is empty ({all} rows in all, --test-fraction {}): give a larger --test-fraction or more rows",
            spec.name, spec.test_fraction
        ));
    }
    if loaded.train.n == 0 {
        return Err(format!("{}: the training split is empty ({} test rows)", spec.name, loaded.test.n));
    }
    Ok(loaded)
}

fn load_splits(spec: &DataSpec<'_>, saved: Option<&ModelFile>) -> CliResult<Loaded> {
    if !(0.0..1.0).contains(&spec.test_fraction) {
        return Err(format!("--test-fraction {} is not in [0, 1)", spec.test_fraction));
    }
    let mut options = csv_options(spec)?;
    options.classes = saved.map(|f| f.class_names.clone()).filter(|n| !n.is_empty());
    let builtin = spec.name == "mnist" || spec.name == "iris" || data::synthetic::NAMES.contains(&spec.name);
    if builtin && (spec.label.is_some() || spec.task.is_some() || spec.missing.is_some()) {
        return Err(format!("--label, --task and --missing apply to CSV files, not the built-in '{}'", spec.name));
    }
    let pixels = Preprocessing { scale: Some(1.0 / 255.0), ..Preprocessing::default() };
    match spec.name {
        "mnist" => {
            let dir = data::find_mnist_dir()
                .ok_or("the bundled MNIST files were not found (looked in $WEBGRAD_ASSETS/mnist and assets/mnist)")?;
            let (train, test) = data::load_mnist_dir(&dir).map_err(|e| e.to_string())?;
            Ok(Loaded { train, test, preprocessing: pixels })
        }
        "iris" => from_table(data::tabular::iris().map_err(|e| e.to_string())?, spec, saved),
        name if data::synthetic::NAMES.contains(&name) => {
            if !(0.0..=1.0).contains(&spec.noise) {
                return Err(format!("--noise {} is not in [0, 1]", spec.noise));
            }
            let all = data::synthetic::by_name(name, spec.samples, spec.noise, spec.seed).map_err(|e| e.to_string())?;
            let (train, test) =
                data::train_test_split(&all, spec.test_fraction, spec.seed).map_err(|e| e.to_string())?;
            Ok(Loaded { train, test, preprocessing: Preprocessing::default() })
        }
        path if Path::new(path).is_file() => {
            let parsed = parse(path, &options)?;
            if !matches!(parsed, Parsed::Table(_)) && spec.label.is_some() {
                return Err(format!("{path}: --label applies to CSV files; give the targets file with --labels"));
            }
            if matches!(parsed, Parsed::Idx(_)) && spec.task.is_some() {
                return Err(format!("{path}: --task applies to CSV and NumPy files; IDX labels are classes"));
            }
            let labels = || match spec.labels {
                Some(l) => Ok(l.to_string()),
                None => default_labels_path(path).ok_or_else(|| format!("{path}: give the label file with --labels")),
            };
            match parsed {
                Parsed::Table(table) => {
                    if let Some(l) = spec.labels {
                        return Err(format!(
                            "--labels {l}: a CSV file holds its labels; choose the column with --label"
                        ));
                    }
                    from_table(table, spec, saved)
                }
                Parsed::Idx(images) => {
                    let labels = labels()?;
                    let Parsed::Idx(lab) = parse(&labels, &options)? else {
                        return Err(format!("{labels}: expected an IDX label file to go with the IDX images {path}"));
                    };
                    let all = data::dataset_from_idx(images, path, lab, &labels, path, 1.0 / 255.0)
                        .map_err(|e| e.to_string())?;
                    let (train, test) = split(all, spec)?;
                    Ok(Loaded { train, test, preprocessing: pixels })
                }
                Parsed::Npy(x) => {
                    let labels = labels()?;
                    let Parsed::Npy(y) = parse(&labels, &options)? else {
                        return Err(format!("{labels}: expected a .npy targets file to go with {path}"));
                    };
                    let mut all = data::dataset_from_npy(x, path, y, &labels, path).map_err(|e| e.to_string())?;
                    // float 0.0/1.0 labels are regression targets unless --task says otherwise
                    let targets = std::mem::replace(
                        &mut all.targets,
                        data::Targets::Regression { values: Vec::new(), outputs: 1 },
                    );
                    all.targets = match spec.task {
                        Some("classification") => targets.into_classes(&labels),
                        Some("regression") => targets.into_values(&labels),
                        _ => Ok(targets),
                    }
                    .map_err(|e| e.to_string())?;
                    let (train, test) = split(all, spec)?;
                    Ok(Loaded { train, test, preprocessing: Preprocessing::default() })
                }
            }
        }
        other => Err(format!(
            "--dataset '{other}' is neither a built-in set (mnist, iris, {}) nor a readable file",
            data::synthetic::NAMES.join(", ")
        )),
    }
}

/// 2-D points → the chosen input features of each (`--inputs`, or a model's
/// `preprocessing.input_features`), in both splits, recorded in the preprocessing. Run before the
/// scaling, which is fitted on the features the model sees. `None` keeps the data's features.
pub fn apply_input_features(loaded: &mut Loaded, names: Option<&[String]>) -> CliResult<()> {
    let Some(names) = names else { return Ok(()) };
    let features = names
        .iter()
        .map(|n| data::features::InputFeature::parse(n))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("--inputs: {e}"))?;
    let expand =
        |ds: &Dataset| data::features::expand(ds, &features).map_err(|e| format!("--inputs {}: {e}", names.join(",")));
    (loaded.train, loaded.test) = (expand(&loaded.train)?, expand(&loaded.test)?);
    loaded.preprocessing.input_features = Some(features.iter().map(|f| f.name().to_string()).collect());
    Ok(())
}

/// Fits a scaling on the training split and applies it to both splits; it is recorded in the
/// model as the equivalent `(x - mean) / std` (min-max: mean = min, std = max - min).
pub fn fit_scaling(loaded: &mut Loaded, kind: ScalingKind) -> CliResult<()> {
    let s = Scaling::fit(kind, &loaded.train);
    s.apply(&mut loaded.train).map_err(|e| e.to_string())?;
    s.apply(&mut loaded.test).map_err(|e| e.to_string())?;
    loaded.preprocessing.standardize = s.as_standardizer();
    Ok(())
}

/// Regression targets: fits `kind` on the training split's targets and standardises them
/// there (the trainer's split); the test split keeps its targets in their own units, since
/// `evaluate_scaled` standardises them for the loss and maps the predictions back. Recorded in
/// the model. Class labels are left alone.
pub fn fit_target_scaling(loaded: &mut Loaded, kind: TargetScaling) -> CliResult<()> {
    let fitted = kind.fit(&loaded.train.targets);
    apply_target_scaling(loaded, fitted)
}

/// Standardises the training split's targets with `fitted` (a new fit, or a checkpoint's) and
/// records it in the preprocessing; `None` records none.
pub fn apply_target_scaling(loaded: &mut Loaded, fitted: Option<Standardizer>) -> CliResult<()> {
    if let Some(s) = &fitted {
        s.apply_targets(&mut loaded.train).map_err(|e| e.to_string())?;
    }
    loaded.preprocessing.target_standardize = fitted;
    Ok(())
}

/// Classes the balance line lists by name; more are counted.
const BALANCE_SHOWN: usize = 20;

/// "classes in the training split: setosa 40 (33.3%), …" (the first [`BALANCE_SHOWN`] classes
/// with rows), then a note naming classes without training rows (integer labels {0, 5, 9} make
/// 10 classes, and the model an output for each), or `None` for regression.
pub fn balance_line(ds: &Dataset) -> Option<String> {
    let shares = data::class_balance(ds);
    if shares.is_empty() {
        return None;
    }
    let (seen, empty): (Vec<_>, Vec<_>) = shares.iter().partition(|s| s.count > 0);
    let mut parts: Vec<String> = seen
        .iter()
        .take(BALANCE_SHOWN)
        .map(|s| format!("{} {} ({:.1}%)", crate::report::terminal_safe(&s.name), s.count, 100.0 * s.fraction))
        .collect();
    if seen.len() > BALANCE_SHOWN {
        parts.push(format!("and {} more", seen.len() - BALANCE_SHOWN));
    }
    let mut line = format!("classes in the training split: {}", parts.join(", "));
    if !empty.is_empty() {
        let mut names: Vec<String> = empty.iter().take(10).map(|s| crate::report::terminal_safe(&s.name)).collect();
        if empty.len() > names.len() {
            names.push("…".into());
        }
        line += &format!(
            "\nnote: {} of the {} classes have no training rows ({}): the model still has an output for each",
            empty.len(),
            shares.len(),
            names.join(", ")
        );
    }
    Some(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_balance_line_lists_classes_with_rows_and_names_the_empty_ones() {
        let ds = |labels: Vec<u32>, classes: usize| {
            let names = (0..classes).map(|c| c.to_string()).collect();
            let n = labels.len();
            Dataset::new("d", vec![0.0; n], n, 1, data::Targets::Classes { labels, classes, names }, None).unwrap()
        };
        assert_eq!(
            balance_line(&ds(vec![0, 1, 1, 1], 2)).unwrap(),
            "classes in the training split: 0 1 (25.0%), 1 3 (75.0%)"
        );
        assert_eq!(
            balance_line(&ds(vec![0, 5, 9, 9], 10)).unwrap(),
            "classes in the training split: 0 1 (25.0%), 5 1 (25.0%), 9 2 (50.0%)\n\
             note: 7 of the 10 classes have no training rows (1, 2, 3, 4, 6, 7, 8): the model still has an output for each"
        );
        // 65,536 class ids, two used; 30 classes with rows: the first 20 listed
        let line = balance_line(&ds(vec![0, 65_535], 65_536)).unwrap();
        assert!(line.ends_with("note: 65534 of the 65536 classes have no training rows (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, …): the model still has an output for each"), "{line}");
        let line = balance_line(&ds((0..30).collect(), 30)).unwrap();
        assert!(line.ends_with("19 1 (3.3%), and 10 more"), "{line}");
    }

    #[test]
    fn keys_round_trip() {
        let spec = DataSpec {
            name: "my data/pets.csv",
            labels: None,
            label: Some("species name"),
            task: Some("classification"),
            missing: Some("mean"),
            samples: 0,
            noise: 0.0,
            test_fraction: 0.2,
            seed: 1,
        };
        let key = spec.key();
        assert_eq!(key, "my data/pets.csv --label species name --task classification --missing mean");
        let (name, flags) = split_key(&key);
        assert_eq!(name, "my data/pets.csv");
        let some = |v: &str| Some(v.to_string());
        assert_eq!(flags, [None, some("species name"), some("classification"), some("mean"), None, None, None, None]);
        assert_eq!(split_key("circle"), ("circle".into(), DataFlags::default()));
        let (name, flags) = split_key("x.npy --labels y.npy");
        assert_eq!((name.as_str(), flags[0].as_deref()), ("x.npy", Some("y.npy")));
        // the split's seed and share, and a 2-D set's size and noise, where they are not the defaults
        let spiral = DataSpec {
            name: "spiral",
            label: None,
            task: None,
            missing: None,
            samples: 300,
            noise: 0.1,
            seed: 3,
            ..spec
        };
        assert_eq!(spiral.key(), "spiral --samples 300 --noise 0.1 --seed 3");
        let (name, flags) = split_key(&spiral.key());
        assert_eq!((name.as_str(), &flags[4..]), ("spiral", &[some("300"), some("0.1"), None, some("3")][..]));
        assert_eq!((flag_value(&flags, 4, 1000usize), flag_value(&flags, 6, 0.2f32)), (Ok(300), Ok(0.2)));
        let csv = DataSpec { name: "reg.csv", samples: 5, test_fraction: 0.3, ..spiral };
        assert_eq!(csv.key(), "reg.csv --test-fraction 0.3 --seed 3");
        assert_eq!(DataSpec { name: "mnist", ..csv }.key(), "mnist");
        // flags given now win; the others are the recorded ones, for the recorded dataset only
        let given: DataFlags = [None, None, None, None, None, None, None, some("9")];
        let (name, flags) = saved_flags(&spiral.key(), None, &given);
        assert_eq!((name.as_str(), flags[4].as_deref(), flags[7].as_deref()), ("spiral", Some("300"), Some("9")));
        let other = "circle".to_string();
        assert_eq!(saved_flags(&spiral.key(), Some(&other), &given).1[4], None);
        assert_eq!(
            flag_value::<usize>(&[None, None, None, None, some("x"), None, None, None], 4, 1),
            Err("--samples 'x' is not a valid value".into())
        );
        assert_eq!(default_labels_path("d/X_train.npy").as_deref(), Some("d/y_train.npy"));
        assert_eq!(
            default_labels_path("a/train-images-idx3-ubyte.gz").as_deref(),
            Some("a/train-labels-idx1-ubyte.gz")
        );
        assert_eq!(default_labels_path("features.npy"), None);
    }
}
