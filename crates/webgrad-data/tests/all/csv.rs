//! CSV/TSV parsing against hand-computed expectations: quoting, header and delimiter detection,
//! label selection, one-hot features, missing values, any chunking, gzip, NPY equivalence, and a
//! located one-line error for every kind of bad file.

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use webgrad_data::{
    ChunkParser, CsvOptions, CsvParser, LabelColumn, MaybeGzip, MissingPolicy, Parsed, Table, Targets, Task,
    load_bytes, load_npy_pair, parse_csv, stratified_train_test_indices, stratified_train_test_split,
};

/// Header; quoted fields holding the delimiter, a newline and doubled quotes; CRLF and LF; a
/// string label column that is not the last; a categorical feature; spaces around a number.
const FIXTURE: &[u8] = b"height,species,\"color, shade\",weight\r\n\
1.5,\"cat \"\"tabby\"\"\",\"dark\nred\",3.25\r\n\
2,dog,blue,-1e2\n \
0.25 ,\"cat \"\"tabby\"\"\",\"dark\nred\",7\n\
3,bird,\"green, light\",0\n";

fn species() -> CsvOptions {
    CsvOptions { label: LabelColumn::Name("species".into()), ..CsvOptions::default() }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// An .npy file (version 1.0) with this descr and shape and raw little-endian data.
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

fn utf32(strings: &[&str], width: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for s in strings {
        let mut chars: Vec<u32> = s.chars().map(|c| c as u32).collect();
        chars.resize(width, 0);
        chars.iter().for_each(|c| out.extend(c.to_le_bytes()));
    }
    out
}

fn parse_chunked(bytes: &[u8], name: &str, opts: &CsvOptions, sizes: &[usize]) -> webgrad_data::Result<Table> {
    let mut p = MaybeGzip::new(CsvParser::new(name, opts.clone()));
    let (mut at, mut k) = (0, 0);
    while at < bytes.len() {
        let n = sizes[k % sizes.len()].clamp(1, bytes.len() - at);
        p.push(&bytes[at..at + n])?;
        at += n;
        k += 1;
    }
    p.finish()
}

fn err(bytes: &[u8], name: &str, opts: CsvOptions) -> String {
    let e = parse_csv(bytes, name, opts.clone()).unwrap_err().to_string();
    // The same error whatever the chunking.
    for size in [1, 3, 7] {
        assert_eq!(parse_chunked(bytes, name, &opts, &[size]).unwrap_err().to_string(), e, "chunk size {size}");
    }
    assert_eq!(e.lines().count(), 1, "{e}");
    e
}

#[test]
fn fixture_gives_the_exact_table() {
    let t = parse_csv(FIXTURE, "pets.csv", species()).unwrap();
    assert_eq!(
        t.feature_names,
        ["height", "color, shade=blue", "color, shade=dark\nred", "color, shade=green, light", "weight"]
    );
    assert_eq!(t.label_name, "species");
    let ds = &t.dataset;
    assert_eq!((ds.name.as_str(), ds.n, ds.d, ds.image_shape), ("pets.csv", 4, 5, None));
    #[rustfmt::skip]
    let expected = [
        1.5, 0., 1., 0., 3.25,
        2.0, 1., 0., 0., -100.,
        0.25, 0., 1., 0., 7.,
        3.0, 0., 0., 1., 0.,
    ];
    assert_eq!(ds.features, expected);
    let names = vec!["bird".to_string(), "cat \"tabby\"".into(), "dog".into()];
    assert_eq!(ds.targets, Targets::Classes { labels: vec![1, 2, 1, 0], classes: 3, names });
    assert!(t.missing.is_empty());
    assert_eq!(t.dropped_rows, 0);
    // By position, the same.
    let by_pos = CsvOptions { label: LabelColumn::Position(2), ..CsvOptions::default() };
    assert_eq!(parse_csv(FIXTURE, "pets.csv", by_pos).unwrap(), t);
    let by_number = CsvOptions { label: LabelColumn::Name("2".into()), ..CsvOptions::default() };
    assert_eq!(parse_csv(FIXTURE, "pets.csv", by_number).unwrap(), t);
}

#[test]
fn chunked_parsing_equals_one_shot() {
    let one = parse_csv(FIXTURE, "pets.csv", species()).unwrap();
    let gz = gzip(FIXTURE);
    for bytes in [FIXTURE, &gz[..]] {
        for size in 1..=7 {
            assert_eq!(parse_chunked(bytes, "pets.csv", &species(), &[size]).unwrap(), one, "chunk size {size}");
        }
        let mut seed = 0x2545f4914f6cdd1du64;
        for _ in 0..200 {
            let sizes: Vec<usize> = (0..6)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    1 + (seed % 23) as usize
                })
                .collect();
            assert_eq!(parse_chunked(bytes, "pets.csv", &species(), &sizes).unwrap(), one, "sizes {sizes:?}");
        }
    }
    // A larger numeric table in awkward pieces, against a parse in one piece.
    let mut big = String::from("a,b,c,label\n");
    for i in 0..2000 {
        big += &format!("{},{:.3},\"{}\",{}\r\n", i, i as f32 / 7.0, -(i as i64), ["x", "y", "z"][i % 3]);
    }
    let one = parse_csv(big.as_bytes(), "big.csv", CsvOptions::default()).unwrap();
    assert_eq!(one.dataset.n, 2000);
    for sizes in [&[1usize][..], &[4093], &[5, 1, 17, 1000], &[65536]] {
        assert_eq!(parse_chunked(big.as_bytes(), "big.csv", &CsvOptions::default(), sizes).unwrap(), one);
    }
}

#[test]
fn gzip_and_npy_pairs_give_identical_datasets() {
    let csv = parse_csv(FIXTURE, "pets", species()).unwrap().dataset;
    let gz = parse_csv(&gzip(FIXTURE), "pets", species()).unwrap().dataset;
    assert_eq!(gz, csv);

    let x: Vec<u8> = csv.features.iter().flat_map(|v| v.to_le_bytes()).collect();
    let x = npy("<f4", &[4, 5], &x);
    let y = npy("<U11", &[4], &utf32(&["cat \"tabby\"", "dog", "cat \"tabby\"", "bird"], 11));
    let from_npy = load_npy_pair(&x, "x.npy", &y, "y.npy", "pets").unwrap();
    assert_eq!(from_npy, csv);
    let from_npy_gz = load_npy_pair(&gzip(&x), "x.npy.gz", &gzip(&y), "y.npy.gz", "pets").unwrap();
    assert_eq!(from_npy_gz, csv);

    // f64 features and the same numbers written as float64 give the same f32 values here.
    let x64: Vec<u8> = csv.features.iter().flat_map(|&v| (v as f64).to_le_bytes()).collect();
    let from_f64 = load_npy_pair(&npy("<f8", &[4, 5], &x64), "x", &y, "y", "pets").unwrap();
    assert_eq!(from_f64, csv);

    // load_bytes picks the format from the content.
    match load_bytes("pets.csv.gz", &gzip(FIXTURE), &species()).unwrap() {
        Parsed::Table(t) => assert_eq!(t.dataset.features, csv.features),
        other => panic!("{other:?}"),
    }
    assert!(matches!(load_bytes("data", &x, &CsvOptions::default()).unwrap(), Parsed::Npy(_)));
}

#[test]
fn header_and_delimiter_detection() {
    // No header: numbers only; integer labels are classes, sorted numerically.
    let t = parse_csv(b"1,2,10\n3,4,9\n5,6,10\n7,8,1\n", "n.csv", CsvOptions::default()).unwrap();
    assert_eq!(t.feature_names, ["column 1", "column 2"]);
    assert_eq!(t.label_name, "column 3");
    assert_eq!(
        t.dataset.targets,
        Targets::Classes { labels: vec![2, 1, 2, 0], classes: 3, names: vec!["1".into(), "9".into(), "10".into()] }
    );
    // Semicolons with decimal commas; tabs.
    let t = parse_csv("x;y;klasse\n1,5;2;a\n-0,25;3,0;b\n".as_bytes(), "de.csv", CsvOptions::default()).unwrap();
    assert_eq!(t.dataset.features, [1.5, 2.0, -0.25, 3.0]);
    let t = parse_csv(b"x\ty\tc\n1\t\"2,5\"\tp\n3\t4\tq\n", "t.tsv", CsvOptions::default()).unwrap();
    assert_eq!(t.dataset.features, [1.0, 2.5, 3.0, 4.0]);
    // All text: a header when its values do not recur below.
    let text = b"color,size,fruit\nred,big,apple\ngreen,small,pear\nred,small,apple\n";
    let t = parse_csv(text, "f.csv", CsvOptions::default()).unwrap();
    assert_eq!((t.dataset.n, t.feature_names.len()), (3, 4));
    assert_eq!(t.feature_names, ["color=green", "color=red", "size=big", "size=small"]);
    // … unless told otherwise.
    let no_header = CsvOptions { has_header: Some(false), ..CsvOptions::default() };
    let t = parse_csv(text, "f.csv", no_header).unwrap();
    assert_eq!(t.dataset.n, 4);
    assert_eq!(t.dataset.targets.clone(), {
        let names = vec!["apple".to_string(), "fruit".into(), "pear".into()];
        Targets::Classes { labels: vec![1, 0, 2, 0], classes: 3, names }
    });
    // A byte order mark, CR-only line ends, blank lines and an explicit delimiter.
    let opts = CsvOptions { delimiter: Some(b'|'), ..CsvOptions::default() };
    let t = parse_csv(b"\xef\xbb\xbfa|b\r\r\n1|x\r\n\n2|y\r", "bom.csv", opts).unwrap();
    assert_eq!((t.feature_names[0].as_str(), t.dataset.features.clone()), ("a", vec![1.0, 2.0]));
}

#[test]
fn tasks() {
    let data = b"x,y\n1,0.5\n2,1.5\n3,2\n";
    let t = parse_csv(data, "r.csv", CsvOptions::default()).unwrap();
    assert_eq!(t.dataset.targets, Targets::Regression { values: vec![0.5, 1.5, 2.0], outputs: 1 });
    let ints = b"x,y\n1,1\n2,2\n3,3\n";
    let reg = CsvOptions { task: Task::Regression, ..CsvOptions::default() };
    let t = parse_csv(ints, "r.csv", reg).unwrap();
    assert_eq!(t.dataset.targets, Targets::Regression { values: vec![1.0, 2.0, 3.0], outputs: 1 });
    let t = parse_csv(ints, "r.csv", CsvOptions::default()).unwrap();
    assert_eq!(t.dataset.num_outputs(), 3);
    // Many distinct integers: regression under Auto; classes when asked.
    let many: String = std::iter::once("x,y\n".to_string()).chain((0..60).map(|i| format!("{i},{i}\n"))).collect();
    let t = parse_csv(many.as_bytes(), "m.csv", CsvOptions::default()).unwrap();
    assert!(matches!(t.dataset.targets, Targets::Regression { .. }));
    let cls = CsvOptions { task: Task::Classification, ..CsvOptions::default() };
    let t = parse_csv(many.as_bytes(), "m.csv", cls.clone()).unwrap();
    assert_eq!(t.dataset.num_outputs(), 60);
    // Numbers as class names under Classification: "0.5" and "1.5" are classes too.
    let t = parse_csv(data, "c.csv", cls).unwrap();
    assert_eq!(t.dataset.labels().unwrap(), &[0, 1, 2]);
}

/// `into_split_with_gaps` says where each missing cell went: every one of them, in its split's
/// row order, and only them (each holds its fill value there), with the same splits as `into_split`.
#[test]
fn the_split_says_where_each_missing_cell_went() {
    let data = b"a,b,c,y\n1,10,u,p\nNA,20,v,q\n3,,u,p\n5,40,?,q\n7,50,v,p\n9,60,u,q\n2,NA,v,p\nNA,8,u,q\n";
    let fill = CsvOptions { missing: MissingPolicy::FillMean, ..CsvOptions::default() };
    let t = parse_csv(data, "m.csv", fill).unwrap();
    let (train, test, imputer, [train_gaps, test_gaps]) = t.clone().into_split_with_gaps(0.5, 3).unwrap();
    assert_eq!((train.clone(), test.clone(), imputer.clone()), t.clone().into_split(0.5, 3).unwrap());
    let (train_rows, test_rows) = stratified_train_test_indices(&t.dataset, 0.5, 3).unwrap();
    let moved = |rows: &[u32]| -> Vec<usize> {
        let mut gaps: Vec<usize> =
            (0..rows.len() * 4).filter(|&k| t.missing.contains(&(rows[k / 4] as usize * 4 + k % 4))).collect();
        gaps.sort_unstable();
        gaps
    };
    assert_eq!(train_gaps, moved(&train_rows));
    assert_eq!(test_gaps, moved(&test_rows));
    assert_eq!(train_gaps.len() + test_gaps.len(), t.missing.len());
    let fill = imputer.unwrap().fill;
    for (split, gaps) in [(&train, &train_gaps), (&test, &test_gaps)] {
        assert!(gaps.iter().all(|&g| split.features[g] == fill[g % 4]));
    }
    // no missing cells: nothing to say
    let full = parse_csv(b"a,y\n1,p\n2,q\n3,p\n4,q\n", "f.csv", CsvOptions::default()).unwrap();
    assert_eq!(full.into_split_with_gaps(0.5, 1).unwrap().3, [Vec::<usize>::new(), Vec::new()]);
}

#[test]
fn missing_values_drop_or_fill_with_the_training_mean() {
    let data = b"a,b,c,y\n1,10,u,p\nNA,20,v,q\n3,,u,p\n5,40,?,q\n7,50,v,p\n9,60,u,q\n";
    let e = err(data, "m.csv", CsvOptions::default());
    assert_eq!(
        e,
        "m.csv: line 3, column 1 (\"a\"): missing value \"NA\" (expected a value; choose a missing-value policy to \
         drop or fill such rows)"
    );
    let drop = CsvOptions { missing: MissingPolicy::DropRow, ..CsvOptions::default() };
    let t = parse_csv(data, "m.csv", drop).unwrap();
    assert_eq!((t.dataset.n, t.dropped_rows), (3, 3));
    assert_eq!(t.dataset.features, [1., 10., 1., 0., 7., 50., 0., 1., 9., 60., 1., 0.]);

    let fill = CsvOptions { missing: MissingPolicy::FillMean, ..CsvOptions::default() };
    let t = parse_csv(data, "m.csv", fill).unwrap();
    // d = 4 (a, b, c=u, c=v): row 1 a, row 2 b, row 3 both one-hot features of c.
    assert_eq!(t.missing, vec![4, 9, 14, 15]);
    assert_eq!(t.dataset.row(3), &[5., 40., 0., 0.]);
    let (train, test, imputer) = t.clone().into_split(0.5, 3).unwrap();
    let imputer = imputer.unwrap();
    // The split is the stratified one, and the fill values are the means of the train rows'
    // observed cells.
    let (train_rows, test_rows) = stratified_train_test_indices(&t.dataset, 0.5, 3).unwrap();
    assert_eq!(train.labels(), stratified_train_test_split(&t.dataset, 0.5, 3).unwrap().0.labels());
    for col in 0..4 {
        let observed: Vec<f64> = train_rows
            .iter()
            .map(|&i| i as usize)
            .filter(|i| !t.missing.contains(&(i * 4 + col)))
            .map(|i| t.dataset.row(i)[col] as f64)
            .collect();
        let mean =
            if observed.is_empty() { 0.0 } else { (observed.iter().sum::<f64>() / observed.len() as f64) as f32 };
        assert_eq!(imputer.fill[col], mean, "column {col}");
    }
    // Test rows are filled with the same (training) values.
    for (k, &i) in test_rows.iter().enumerate() {
        for col in 0..4 {
            let expected = if t.missing.contains(&(i as usize * 4 + col)) {
                imputer.fill[col]
            } else {
                t.dataset.row(i as usize)[col]
            };
            assert_eq!(test.row(k)[col], expected);
        }
    }
    assert_eq!(train.n + test.n, 6);
    let json = serde_json::to_string(&imputer).unwrap();
    assert_eq!(serde_json::from_str::<webgrad_data::Imputer>(&json).unwrap(), imputer);
}

#[test]
fn every_bad_file_gets_a_located_one_line_error() {
    let iris_head = "sepal_length,sepal_width,petal_length,petal_width,species\n";
    let row = "5.1,3.5,1.4,0.2,setosa\n";
    let mut iris = iris_head.to_string() + &row.repeat(15) + "4.9,3.0,abc,0.2,versicolor\n";
    assert_eq!(
        err(iris.as_bytes(), "iris.csv", CsvOptions::default()),
        "iris.csv: line 17, column 3 (\"petal_length\"): \"abc\" is not a number (the column's first value was a \
         number, so it is numeric)"
    );
    iris = iris_head.to_string() + &row.repeat(7) + "5.1,3.5,1.4,setosa\n";
    assert_eq!(
        err(iris.as_bytes(), "iris.csv", CsvOptions::default()),
        "iris.csv: line 9: 4 fields, expected 5 (as in the header)"
    );
    iris = iris_head.to_string() + &row.repeat(2) + "5.1,3.5,1.4,0.2,setosa,extra\n";
    assert_eq!(
        err(iris.as_bytes(), "iris.csv", CsvOptions::default()),
        "iris.csv: line 4: 6 fields, expected 5 (as in the header)"
    );
    assert_eq!(
        err(b"a,b\n1,x\n2,\"y\n3,z\n", "q.csv", CsvOptions::default()),
        "q.csv: line 3, column 2 (\"b\"): a quoted field is never closed (a quote left open runs to the end of \
         the file)"
    );
    assert_eq!(
        err(b"", "e.csv", CsvOptions::default()),
        "e.csv: byte 0: empty file (expected CSV rows: an optional header, then data)"
    );
    assert_eq!(err(b"\r\n\n", "e.csv", CsvOptions::default()), err(b"", "e.csv", CsvOptions::default()));
    assert_eq!(
        err(iris_head.as_bytes(), "h.csv", CsvOptions::default()),
        "h.csv: line 2: a header row but no data rows below it"
    );
    let specie = CsvOptions { label: LabelColumn::Name("specie".into()), ..CsvOptions::default() };
    assert_eq!(
        err((iris_head.to_string() + row).as_bytes(), "iris.csv", specie),
        "iris.csv: line 1: no label column \"specie\" (columns: \"sepal_length\", \"sepal_width\", \
         \"petal_length\", \"petal_width\", \"species\"; or a number 1..=5)"
    );
    let seventh = CsvOptions { label: LabelColumn::Position(7), ..CsvOptions::default() };
    assert!(err(b"a,b\n1,2\n", "p.csv", seventh).starts_with("p.csv: line 1: no column 7 (expected 1..=2;"));
    let by_name = CsvOptions { label: LabelColumn::Name("y".into()), ..CsvOptions::default() };
    assert_eq!(
        err(b"1,2\n3,4\n", "n.csv", by_name),
        "n.csv: line 1: no header row, so the label column must be given by number 1..=2, not \"y\""
    );
    assert_eq!(
        err((iris_head.to_string() + &row.repeat(4)).as_bytes(), "iris.csv", CsvOptions::default()),
        "iris.csv: column 5 (\"species\"): every row has the class \"setosa\"; classification needs at least 2 \
         classes (for a numeric target ask for regression)"
    );
    let reg = CsvOptions { task: Task::Regression, ..CsvOptions::default() };
    assert_eq!(
        err(b"x,y\n1,2\n2,oops\n", "r.csv", reg),
        "r.csv: line 3, column 2 (\"y\"): \"oops\" is not a number (the target of a regression)"
    );
    let fill = CsvOptions { missing: MissingPolicy::FillMean, ..CsvOptions::default() };
    assert_eq!(
        err(b"x,y\n1,a\n2,\n", "m.csv", fill),
        "m.csv: line 3, column 2 (\"y\"): missing label \"\" (a label cannot be filled in; drop such rows instead)"
    );
    let gz = gzip(&(iris_head.to_string() + &row.repeat(50)).into_bytes());
    let e = err(&gz[..gz.len() - 20], "iris.csv.gz", CsvOptions::default());
    assert!(e.starts_with(&format!("iris.csv.gz: byte {}: truncated gzip", gz.len() - 20)), "{e}");
}

#[test]
fn progress_counts_bytes_and_data_rows() {
    let mut p = CsvParser::new("p.csv", CsvOptions::default());
    let data = b"a,b\n1,x\n2,y\n3,x\n";
    p.expect_len(data.len() as u64);
    p.push(&data[..10]).unwrap();
    assert_eq!(p.progress().bytes, 10);
    p.push(&data[10..]).unwrap();
    assert_eq!(p.progress().rows, 3);
    let mut gz = MaybeGzip::new(CsvParser::new("p.csv.gz", CsvOptions::default()));
    let z = gzip(data);
    gz.push(&z).unwrap();
    assert_eq!(gz.progress(), webgrad_data::Progress { bytes: z.len() as u64, rows: 3 });
    let (a, b) = (gz.finish().unwrap().dataset, p.finish().unwrap().dataset);
    assert_eq!((a.features, a.targets), (b.features, b.targets));
}
