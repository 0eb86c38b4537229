//! `webgrad train/eval` on the user's own files: a CSV with a header, quoted fields, a string
//! label column and a categorical feature (plain and gzip), .npy pairs, bundled Iris; eval
//! reports per-class metrics under the original label names; bad files get one-line errors.

use std::io::Write;
use std::path::Path;
use std::process::Output;

use crate::common::{scratch, webgrad};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_str().unwrap().to_string()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn ok(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "failed: {err}");
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// Asserts a failure with exactly one line on stderr that contains every `needle`.
fn assert_one_line_error(out: &Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "expected failure, got success; stderr: {err}");
    assert!(!err.contains("panicked"), "panic: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
    for n in needles {
        assert!(err.contains(n), "{err:?} does not mention {n:?}");
    }
}

const SPECIES: [&str; 3] = ["cat, \"tabby\"", "dog", "eel"];

/// 150 rows, three well separated classes: `size` (numeric) and `habitat` (categorical, quoted,
/// one value spanning two lines) predict `species`, which sits in the middle and holds commas
/// and quotes. Row i has class i % 3.
fn pets_csv() -> String {
    let mut s = String::from("size,\"species\",habitat,weight\r\n");
    for i in 0..150 {
        let c = i % 3;
        let size = [1.0, 5.0, 9.0][c] + (i as f32 * 0.37).sin();
        let habitat = ["\"house, garden\"", "\"yard\nkennel\"", "river"][c];
        let species = SPECIES[c].replace('"', "\"\"");
        s += &format!("{size:.3},\"{species}\",{habitat},{}\n", 3 + (i * 7) % 11);
    }
    s
}

fn train_args<'a>(dataset: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "train",
        "--dataset",
        dataset,
        "--hidden",
        "16",
        "--epochs",
        "15",
        "--lr",
        "0.01",
        "--batch",
        "16",
        "--seed",
        "3",
        "--quiet",
    ];
    v.extend_from_slice(extra);
    v
}

fn accuracy(s: &str) -> f64 {
    let line = s.lines().find(|l| l.starts_with("accuracy")).expect("an accuracy line");
    line.trim_start_matches("accuracy").trim().trim_end_matches('%').parse().unwrap()
}

#[test]
fn csv_with_label_trains_and_eval_shows_label_names() {
    let dir = scratch("csv");
    let csv = write(&dir, "pets.csv", pets_csv().as_bytes());
    let model = dir.join("pets.safetensors").to_str().unwrap().to_string();
    let log_plain = dir.join("plain.jsonl").to_str().unwrap().to_string();
    let out = ok(&webgrad(&train_args(
        &csv,
        &["--label", "species", "--standardize", "--save", &model, "--log-json", &log_plain],
    )));
    assert!(
        out.contains("classes in the training split: cat, \"tabby\" 40 (33.3%), dog 40 (33.3%), eel 40 (33.3%)"),
        "{out}"
    );
    assert!(accuracy(&out) >= 90.0, "{out}");
    // The model description keeps the class names and the data flags.
    let json = std::fs::read_to_string(dir.join("pets.json")).unwrap();
    assert!(json.contains("cat, \\\"tabby\\\"") && json.contains("pets.csv --label species"), "{json}");

    // eval, with nothing but the model: the dataset and its flags come from the model.
    let eval = ok(&webgrad(&["eval", &model]));
    for name in SPECIES {
        let row = eval.lines().find(|l| l.trim_start().starts_with(name)).unwrap_or_else(|| panic!("{name}: {eval}"));
        assert!(row.split_whitespace().count() >= 4, "{row}");
    }
    assert_eq!(accuracy(&eval), accuracy(&out));
    // … and with the flags given explicitly.
    let explicit = ok(&webgrad(&["eval", &model, "--dataset", &csv, "--label", "2"]));
    assert_eq!(accuracy(&explicit), accuracy(&out));
    // The wrong label column is caught, naming both class lists.
    assert_one_line_error(
        &webgrad(&["eval", &model, "--dataset", &csv, "--label", "habitat"]),
        &["class \"house, garden\" is not one of the model's classes [\"cat, \\\"tabby\\\"\", \"dog\", \"eel\"]"],
    );

    // The same file gzipped trains to the same losses.
    let gz = write(&dir, "pets.csv.gz", &gzip(pets_csv().as_bytes()));
    let log_gz = dir.join("gz.jsonl").to_str().unwrap().to_string();
    ok(&webgrad(&train_args(&gz, &["--label", "species", "--standardize", "--log-json", &log_gz])));
    assert_eq!(std::fs::read_to_string(&log_plain).unwrap(), std::fs::read_to_string(&log_gz).unwrap());
}

/// `habitat,size,species` rows where the habitat alone gives the class (size is noise), in
/// the column order and with the habitats asked for.
fn habitats_csv(header: &str, habitats: &[&str], rows: usize) -> String {
    let mut s = format!("{header}\n");
    for i in 0..rows {
        let h = habitats[i % habitats.len()];
        let species = match h {
            "house" => "cat",
            "kennel" => "dog",
            "river" => "eel",
            _ => "dog",
        };
        let size = (i as f32 * 0.91).sin();
        s += &match header {
            "size,habitat,species" => format!("{size:.3},{h},{species}\n"),
            _ => format!("{h},{size:.3},{species}\n"),
        };
    }
    s
}

/// eval on another file: its text column's categories are laid out as the model's (a subset
/// in other places, the columns in another order), a category the model never saw is all
/// zeros and said, a file with only some of the classes is scored under the model's classes,
/// and a column the model does not know is refused by name.
#[test]
fn eval_on_another_file_lays_its_columns_out_as_the_model_was_trained() {
    let dir = scratch("csv-layout");
    let train =
        write(&dir, "train.csv", habitats_csv("size,habitat,species", &["house", "kennel", "river"], 150).as_bytes());
    let model = dir.join("m.safetensors").to_str().unwrap().to_string();
    let out = ok(&webgrad(&train_args(&train, &["--save", &model])));
    assert_eq!(accuracy(&out), 100.0, "{out}");
    let json = std::fs::read_to_string(dir.join("m.json")).unwrap();
    assert!(json.contains("\"columns\"") && json.contains("\"kennel\""), "{json}");
    // kennel and river only (here the first and second of 2 categories, there the second and
    // third of 3), the columns swapped: every dog and eel still right
    let two = write(&dir, "two.csv", habitats_csv("habitat,size,species", &["kennel", "river"], 60).as_bytes());
    let eval = ok(&webgrad(&["eval", &model, "--dataset", &two]));
    assert_eq!(accuracy(&eval), 100.0, "{eval}");
    assert!(eval.contains("cat") && eval.contains("eel"), "scored under the model's classes: {eval}");
    // one class only, and a habitat never seen in training
    let lake = write(&dir, "lake.csv", habitats_csv("habitat,size,species", &["kennel", "lake"], 60).as_bytes());
    let eval = ok(&webgrad(&["eval", &model, "--dataset", &lake]));
    assert!(
        eval.contains("column 'habitat' holds lake, which the model never saw in training (30 rows): their one-hot features are all 0"),
        "{eval}"
    );
    // a file with two columns of one name trains, and its model (which records no columns
    // then) evaluates on it
    let twice =
        habitats_csv("size,habitat,species", &["house", "kennel", "river"], 60).replace("size,habitat", "size,size");
    let twice = write(&dir, "twice.csv", twice.as_bytes());
    let model2 = dir.join("twice.safetensors").to_str().unwrap().to_string();
    ok(&webgrad(&train_args(&twice, &["--save", &model2])));
    ok(&webgrad(&["eval", &model2]));
    let extra = write(&dir, "extra.csv", b"size,habitat,age,species\n1,house,3,cat\n2,river,4,eel\n");
    assert_one_line_error(
        &webgrad(&["eval", &model, "--dataset", &extra]),
        &["extra.csv: column 'age' is not one the model was trained on (size, habitat)"],
    );
}

/// A model of numbered classes (labels 0, 1, 2, as the JS package and NumPy labels give) reads
/// a table of worded classes by index, and a table of numbered ones by name (labels 0 and 2
/// are its classes 0 and 2, not 0 and 1).
#[test]
fn a_model_of_numbered_classes_reads_worded_ones_by_index() {
    let dir = scratch("csv-numbered");
    let numbered = |habitats: &[&str], rows| {
        habitats_csv("size,habitat,species", habitats, rows)
            .replace(",cat\n", ",0\n")
            .replace(",dog\n", ",1\n")
            .replace(",eel\n", ",2\n")
    };
    let train = write(&dir, "train.csv", numbered(&["house", "kennel", "river"], 150).as_bytes());
    let model = dir.join("m.safetensors").to_str().unwrap().to_string();
    let out = ok(&webgrad(&train_args(&train, &["--task", "classification", "--save", &model])));
    assert_eq!(accuracy(&out), 100.0, "{out}");
    let words =
        write(&dir, "words.csv", habitats_csv("size,habitat,species", &["house", "kennel", "river"], 60).as_bytes());
    let eval = ok(&webgrad(&["eval", &model, "--dataset", &words]));
    assert_eq!(accuracy(&eval), 100.0);
    let note = "the model's classes are numbered 0 to 2; this data's classes \"cat\", \"dog\", \"eel\" are read as 0, 1, … in that order";
    assert!(eval.contains(note), "{eval}");
    let ends = write(&dir, "ends.csv", numbered(&["house", "river"], 60).as_bytes());
    assert_eq!(accuracy(&ok(&webgrad(&["eval", &model, "--dataset", &ends, "--task", "classification"]))), 100.0);
    let four = write(&dir, "four.csv", b"size,habitat,species\n1,house,a\n2,river,b\n3,house,c\n4,river,d\n");
    assert_one_line_error(
        &webgrad(&["eval", &model, "--dataset", &four]),
        &["four.csv: 4 classes, but the model has 3"],
    );
}

/// A .npy file (version 1.0) with this descr and shape and raw little-endian data.
fn npy(descr: &str, shape: &[usize], data: &[u8]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape = if dims.len() == 1 { format!("({},)", dims[0]) } else { format!("({})", dims.join(", ")) };
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((header.len() as u16).to_le_bytes());
    out.extend(header.as_bytes());
    out.extend_from_slice(data);
    out
}

#[test]
fn npy_pairs_plain_and_gzip_train_alike() {
    let dir = scratch("npy");
    let (n, d) = (90, 2);
    let x: Vec<f32> = (0..n).flat_map(|i| [(i % 3) as f32 * 3.0 + (i as f32 * 0.7).cos(), (i as f32).sin()]).collect();
    let y: Vec<i64> = (0..n).map(|i| (i % 3) as i64).collect();
    let xb: Vec<u8> = x.iter().flat_map(|v| v.to_le_bytes()).collect();
    let yb: Vec<u8> = y.iter().flat_map(|v| v.to_le_bytes()).collect();
    let xp = write(&dir, "x.npy", &npy("<f4", &[n, d], &xb));
    let yp = write(&dir, "y.npy", &npy("<i8", &[n], &yb));
    let xg = write(&dir, "x.npy.gz", &gzip(&npy("<f4", &[n, d], &xb)));
    let yg = write(&dir, "y.npy.gz", &gzip(&npy("<i8", &[n], &yb)));
    let logs: Vec<String> =
        ["a", "b", "c"].iter().map(|s| dir.join(format!("{s}.jsonl")).to_str().unwrap().into()).collect();
    let out = ok(&webgrad(&train_args(&xp, &["--labels", &yp, "--log-json", &logs[0]])));
    assert!(out.contains("classes in the training split: 0 24 (33.3%), 1 24 (33.3%), 2 24 (33.3%)"), "{out}");
    // y.npy beside x.npy is found without --labels.
    ok(&webgrad(&train_args(&xp, &["--log-json", &logs[1]])));
    ok(&webgrad(&train_args(&xg, &["--labels", &yg, "--log-json", &logs[2]])));
    let read = |p: &String| std::fs::read_to_string(p).unwrap();
    assert_eq!(read(&logs[0]), read(&logs[1]));
    assert_eq!(read(&logs[0]), read(&logs[2]));

    let f8 = write(&dir, "bad-y.npy", &npy(">f8", &[n], &[0; 8 * 90]));
    assert_one_line_error(
        &webgrad(&train_args(&xp, &["--labels", &f8])),
        &["bad-y.npy", "byte 10", "big-endian dtype \">f8\""],
    );
}

#[test]
fn npy_float_labels_train_as_classes_with_task_classification() {
    let dir = scratch("npy-task");
    let n = 60;
    let xb: Vec<u8> = (0..n)
        .flat_map(|i| [(i % 2) as f32 * 4.0 + (i as f32).sin(), (i as f32).cos()])
        .flat_map(f32::to_le_bytes)
        .collect();
    let xp = write(&dir, "x.npy", &npy("<f4", &[n, 2], &xb));
    // NumPy's float 0.0 / 1.0 labels: regression by default, classes with --task classification
    let yb: Vec<u8> = (0..n).flat_map(|i| ((i % 2) as f32).to_le_bytes()).collect();
    let yp = write(&dir, "y.npy", &npy("<f4", &[n], &yb));
    assert!(ok(&webgrad(&train_args(&xp, &["--labels", &yp]))).contains("R²"));
    let out = ok(&webgrad(&train_args(&xp, &["--labels", &yp, "--task", "classification"])));
    assert!(out.contains("classes in the training split: 0 24 (50.0%), 1 24 (50.0%)"), "{out}");
    // integer labels as regression values
    let out = ok(&webgrad(&train_args(&xp, &["--labels", &yp, "--task", "regression"])));
    assert!(out.contains("R²"), "{out}");
    // a value that is no class id is named
    let halves: Vec<u8> = (0..n).flat_map(|i| (i as f32 / 2.0).to_le_bytes()).collect();
    let hp = write(&dir, "half.npy", &npy("<f4", &[n], &halves));
    assert_one_line_error(
        &webgrad(&train_args(&xp, &["--labels", &hp, "--task", "classification"])),
        &["half.npy", "label 0.5 (item 1) is not a class id"],
    );
}

#[test]
fn bundled_iris_trains() {
    let out = ok(&webgrad(&[
        "train",
        "--dataset",
        "iris",
        "--standardize",
        "--hidden",
        "16",
        "--epochs",
        "30",
        "--lr",
        "0.01",
        "--batch",
        "16",
        "--quiet",
    ]));
    assert!(
        out.contains("classes in the training split: setosa 40 (33.3%), versicolor 40 (33.3%), virginica 40 (33.3%)"),
        "{out}"
    );
    assert!(out.contains("(30 rows)"), "{out}");
    assert!(accuracy(&out) >= 85.0, "{out}");
    for name in ["setosa", "versicolor", "virginica"] {
        assert!(out.lines().any(|l| l.trim_start().starts_with(name)), "{out}");
    }
}

#[test]
fn missing_values_and_min_max() {
    let dir = scratch("missing");
    // One record per line; every tenth record's weight is "NA" (the first on line 11).
    let mut with_na = String::from("size,species,habitat,weight\n");
    for i in 0..150 {
        let c = i % 3;
        let size = [1.0, 5.0, 9.0][c] + (i as f32 * 0.37).sin();
        let weight = if i % 10 == 9 { "NA".to_string() } else { (3 + (i * 7) % 11).to_string() };
        with_na += &format!("{size:.3},{},{},{weight}\n", ["cat", "dog", "eel"][c], ["house", "yard", "river"][c]);
    }
    let path = write(&dir, "na.csv", with_na.as_bytes());
    assert_one_line_error(
        &webgrad(&train_args(&path, &["--label", "species"])),
        &["na.csv", "line 11", "column 4 (\"weight\")", "missing value \"NA\""],
    );
    let model = dir.join("m.safetensors").to_str().unwrap().to_string();
    let out =
        ok(&webgrad(&train_args(&path, &["--label", "species", "--missing", "mean", "--minmax", "--save", &model])));
    assert!(accuracy(&out) >= 90.0, "{out}");
    let eval = ok(&webgrad(&["eval", &model]));
    assert_eq!(accuracy(&eval), accuracy(&out));
    // Min-max is saved as (x - min) / (max - min): the recorded means are column minima.
    let json = std::fs::read_to_string(dir.join("m.json")).unwrap();
    assert!(json.contains("\"standardize\"") && json.contains("--missing mean"), "{json}");
    let dropped = ok(&webgrad(&train_args(&path, &["--label", "species", "--missing", "drop"])));
    assert!(dropped.contains("train /") && !dropped.contains("(30 rows)"), "{dropped}");
}

#[test]
fn bad_tabular_input_gets_a_one_line_error() {
    let dir = scratch("bad");
    let ragged = write(&dir, "ragged.csv", b"a,b,c,y\n1,2,3,p\n4,5,q\n");
    assert_one_line_error(
        &webgrad(&["train", "--dataset", &ragged]),
        &["ragged.csv", "line 3", "3 fields, expected 4"],
    );
    let text = write(&dir, "text.csv", b"a,b,y\n1,2,p\n3,x,q\n");
    assert_one_line_error(
        &webgrad(&["train", "--dataset", &text]),
        &["text.csv", "line 3, column 2 (\"b\")", "\"x\" is not a number"],
    );
    let quote = write(&dir, "quote.csv", b"a,y\n1,\"p\n2,q\n");
    assert_one_line_error(&webgrad(&["train", "--dataset", &quote]), &["quote.csv", "line 2", "never closed"]);
    let empty = write(&dir, "empty.csv", b"");
    assert_one_line_error(&webgrad(&["train", "--dataset", &empty]), &["empty.csv", "byte 0", "empty file"]);
    let header = write(&dir, "header.csv", b"a,b,y\n");
    assert_one_line_error(&webgrad(&["train", "--dataset", &header]), &["header.csv", "line 2", "no data rows"]);
    let good = write(&dir, "good.csv", b"a,b,y\n1,2,p\n3,4,q\n");
    assert_one_line_error(
        &webgrad(&["train", "--dataset", &good, "--label", "species"]),
        &["good.csv", "line 1", "no label column \"species\"", "\"a\", \"b\", \"y\""],
    );
    let single = write(&dir, "single.csv", b"a,y\n1,p\n2,p\n");
    assert_one_line_error(
        &webgrad(&["train", "--dataset", &single]),
        &["single.csv", "column 2 (\"y\")", "at least 2 classes"],
    );
    let gz = gzip(&pets_csv().into_bytes());
    let cut = write(&dir, "cut.csv.gz", &gz[..gz.len() / 2]);
    assert_one_line_error(&webgrad(&["train", "--dataset", &cut]), &["cut.csv.gz", "byte", "truncated gzip"]);
    assert_one_line_error(
        &webgrad(&["train", "--dataset", &good, "--task", "guess"]),
        &["--task 'guess'", "regression"],
    );
    assert_one_line_error(&webgrad(&["train", "--dataset", &good, "--missing", "zero"]), &["--missing 'zero'", "mean"]);
    assert_one_line_error(&webgrad(&["train", "--dataset", "circle", "--label", "y"]), &["--label", "circle"]);
    assert_one_line_error(
        &webgrad(&["train", "--dataset", &good, "--standardize", "--minmax"]),
        &["--standardize", "--minmax"],
    );
}
