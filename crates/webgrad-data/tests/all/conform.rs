//! A table laid out as a model trained on another file expects (`Table::conform`), against
//! hand-computed rows: categories in the model's order, unseen ones all zero and reported,
//! missing cells moved with their column, and an error naming the column for every mismatch.

use webgrad_data::{CsvOptions, FeatureColumn, Imputer, MissingPolicy, Targets, parse_csv};

/// Read for a model with the classes a and b (a file may hold one of them).
fn table(text: &str) -> webgrad_data::Table {
    parse_csv(text.as_bytes(), "new.csv", for_model(&["a", "b"])).unwrap()
}

fn for_model(classes: &[&str]) -> CsvOptions {
    CsvOptions { classes: Some(classes.iter().map(|c| c.to_string()).collect()), ..CsvOptions::default() }
}

fn err(text: &str, want: &[FeatureColumn]) -> String {
    table(text).conform(want).unwrap_err().to_string()
}

/// The layout of a training file `size,color,y` with colors green and red.
fn trained() -> Vec<FeatureColumn> {
    let t = table("size,color,y\n1,red,a\n2,green,b\n3,red,a\n");
    assert_eq!(t.feature_names, ["size", "color=green", "color=red"]);
    t.columns
}

#[test]
fn categories_take_the_models_places_and_unseen_ones_are_zero() {
    // Here: columns in another order, colors blue and red (blue unseen), one class only.
    let t = table("color,size,y\nblue,4,a\nred,5,a\nblue,6,a\n");
    assert_eq!(t.feature_names, ["color=blue", "color=red", "size"]);
    let (t, unseen) = t.conform(&trained()).unwrap();
    assert_eq!(t.feature_names, ["size", "color=green", "color=red"]);
    assert_eq!(t.dataset.d, 3);
    assert_eq!(t.dataset.features, [4., 0., 0., 5., 0., 1., 6., 0., 0.]);
    assert_eq!(unseen.len(), 1);
    assert_eq!(
        (unseen[0].column.as_str(), unseen[0].categories.clone(), unseen[0].rows),
        ("color", vec!["blue".into()], 2)
    );
    // the same file conforms to its own layout unchanged
    let same = table("size,color,y\n1,red,a\n2,green,b\n");
    let (again, unseen) = same.clone().conform(&same.columns).unwrap();
    assert_eq!((again, unseen.len()), (same, 0));
}

#[test]
fn missing_cells_follow_their_column() {
    let fill = CsvOptions { missing: MissingPolicy::FillMean, ..for_model(&["a", "b"]) };
    let t = parse_csv(b"color,size,y\nNA,4,a\nred,,b\n", "m.csv", fill).unwrap();
    // here: color=red, size: row 0 color (1 feature), row 1 size
    assert_eq!(t.missing, [0, 3]);
    let (mut t, _) = t.conform(&trained()).unwrap();
    // there: size, color=green, color=red: row 0 both color features, row 1 size
    assert_eq!(t.missing, [1, 2, 3]);
    t.fill_missing(&Imputer { fill: vec![2.0, 0.25, 0.75] }).unwrap();
    assert_eq!((t.dataset.features.clone(), t.missing.len()), (vec![4., 0.25, 0.75, 2., 0., 1.], 0));
    assert!(t.fill_missing(&Imputer { fill: vec![1.0] }).is_err(), "a fill of another width");
}

#[test]
fn every_mismatch_names_the_column() {
    let want = trained();
    assert_eq!(err("size,y\n1,a\n", &want), "new.csv: no column 'color', which the model was trained on (size, color)");
    assert_eq!(
        err("size,color,age,y\n1,red,3,a\n", &want),
        "new.csv: column 'age' is not one the model was trained on (size, color)"
    );
    assert_eq!(
        err("size,color,y\n1,2,a\n", &want),
        "new.csv: column 'color' holds numbers here but text (categories) in training"
    );
    assert_eq!(
        err("size,color,y\nbig,red,a\n", &want),
        "new.csv: column 'size' holds text (categories) here but numbers in training"
    );
    assert!(err("size,y\n1,a\n", &[]).contains("no features"));
    assert_eq!(
        err("size,size,y\n1,2,a\n", &want),
        "new.csv: two columns are named 'size': the model's columns are found by name"
    );
}

#[test]
fn classes_are_renumbered_to_the_models() {
    let names: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
    let here = Targets::Classes { labels: vec![0, 1, 0], classes: 2, names: vec!["b".into(), "c".into()] };
    let conformed = here.conform_classes(&names, "new.csv").unwrap();
    assert_eq!(conformed, Targets::Classes { labels: vec![1, 2, 1], classes: 3, names: names.clone() });
    let stranger = Targets::Classes { labels: vec![0, 1], classes: 2, names: vec!["a".into(), "z".into()] };
    assert_eq!(
        stranger.conform_classes(&names, "new.csv").unwrap_err().to_string(),
        "new.csv: class \"z\" is not one of the model's classes [\"a\", \"b\", \"c\"]"
    );
    // read for a model: one class is enough, numbered as the model numbers them; a stranger is
    // an error; numbers are class names
    let t = parse_csv(b"x,y\n1,c\n2,c\n", "one.csv", for_model(&["a", "b", "c"])).unwrap();
    assert_eq!(t.dataset.targets, Targets::Classes { labels: vec![2, 2], classes: 3, names: names.clone() });
    let e = parse_csv(b"x,y\n1,c\n2,d\n", "two.csv", for_model(&["a", "b", "c"])).unwrap_err();
    assert_eq!(e.to_string(), "two.csv: class \"d\" is not one of the model's classes [\"a\", \"b\", \"c\"]");
    let t = parse_csv(b"x,y\n1,7\n2,3\n", "n.csv", for_model(&["3", "5", "7"])).unwrap();
    assert_eq!(t.dataset.labels().unwrap(), &[2, 0]);
    // a model of numbered classes (the JS package's) reads a table's worded classes by index,
    // at most as many as it has; numbered ones are still matched by name
    let numbered = webgrad_data::numbered_names(2);
    let t = parse_csv(b"x,y\n1,yes\n2,no\n", "w.csv", for_model(&["0", "1"])).unwrap();
    assert_eq!(
        t.dataset.targets,
        Targets::Classes { labels: vec![1, 0], classes: 2, names: vec!["no".into(), "yes".into()] }
    );
    let e = parse_csv(b"x,y\n1,a\n2,b\n3,c\n", "w3.csv", for_model(&["0", "1"])).unwrap_err();
    assert_eq!(e.to_string(), "w3.csv: 3 classes, but the model has 2");
    let t = parse_csv(b"x,y\n1,1\n2,1\n", "n1.csv", for_model(&["0", "1"])).unwrap();
    assert_eq!(t.dataset.targets, Targets::Classes { labels: vec![1, 1], classes: 2, names: numbered });
    // a model file without class names reads any classes as they are numbered
    let three = Targets::Classes { labels: vec![2, 0], classes: 3, names: vec!["p".into(), "q".into(), "r".into()] };
    assert_eq!(three.clone().conform_classes(&[], "x.csv").unwrap(), three);
    let values = Targets::Regression { values: vec![1.0], outputs: 1 };
    assert_eq!(values.clone().conform_classes(&names, "r.csv").unwrap(), values);
}

#[test]
fn a_layout_difference_is_said_in_words() {
    let want = trained();
    assert_eq!(webgrad_data::layout_difference(&want, &want), None);
    let other = table("size,color,y\n1,blue,a\n2,green,b\n").columns;
    assert_eq!(
        webgrad_data::layout_difference(&want, &other).unwrap(),
        "column 'color' holds green, red in the model but blue, green in the data"
    );
    let fewer = table("size,y\n1,a\n").columns;
    assert_eq!(
        webgrad_data::layout_difference(&want, &fewer).unwrap(),
        "the model takes the columns size, color but the data has size"
    );
    // a table of 784 columns is named by its first 12
    let wide = (0..784).map(|i| format!("p{i}")).collect::<Vec<_>>().join(",");
    let wide = table(&format!("{wide},y\n{}a\n", "0,".repeat(784))).columns;
    let said = webgrad_data::layout_difference(&want, &wide).unwrap();
    assert!(said.ends_with("but the data has p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11 and 772 more"), "{said}");
}

#[test]
fn a_class_difference_is_said_in_words() {
    let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let model = names(&["cat", "dog", "fish"]);
    assert_eq!(webgrad_data::class_difference(&model, &model), None);
    // the data may lack the model's last classes: the labels still mean the same
    assert_eq!(webgrad_data::class_difference(&model, &names(&["cat", "dog"])), None);
    // … but not one in the middle: the data's fish (label 1) would be read as the model's dog
    assert_eq!(
        webgrad_data::class_difference(&model, &names(&["cat", "fish"])).unwrap(),
        r#"the model's class 1 is "dog" but the data's is "fish" (the model's classes ["cat", "dog", "fish"], the data's ["cat", "fish"])"#
    );
    assert_eq!(
        webgrad_data::class_difference(&names(&["0", "1"]), &names(&["0", "1", "2"])).unwrap(),
        r#"the data has 3 classes, the model 2 (the model's classes ["0", "1"], the data's ["0", "1", "2"])"#
    );
    // a model of numbered classes (the JS package's) reads worded classes by index, but not
    // numbered ones at other indices (CSV labels 0 and 2 are classes 0 and 1 of the data)
    assert_eq!(webgrad_data::class_difference(&names(&["0", "1"]), &names(&["negative", "positive"])), None);
    assert!(webgrad_data::class_difference(&names(&["0", "1", "2"]), &names(&["0", "2"])).is_some());
    assert!(webgrad_data::class_difference(&names(&["a", "b"]), &names(&["0", "1"])).is_some());
    assert_eq!(webgrad_data::class_difference(&[], &names(&["0", "1"])), None);
    // … and says so, as nothing checks that order
    assert_eq!(
        webgrad_data::classes_by_index_note(&names(&["0", "1"]), &names(&["negative", "positive"])).unwrap(),
        r#"the model's classes are numbered 0 to 1; this data's classes "negative", "positive" are read as 0, 1, … in that order"#
    );
    assert_eq!(webgrad_data::classes_by_index_note(&model, &model), None);
    assert_eq!(webgrad_data::classes_by_index_note(&[], &names(&["a"])), None);
    // 65,536 classes are named by their first 12
    let many = (0..65_536).map(|i| i.to_string()).collect::<Vec<_>>();
    let said = webgrad_data::class_difference(&many, &names(&["1"])).unwrap();
    assert!(said.contains(r#""10", "11" and 65524 more], the data's ["1"])"#), "{said}");
}

#[test]
fn an_all_missing_column_stands_for_a_text_one_and_repeated_names_are_not_recorded() {
    let fill = CsvOptions { missing: MissingPolicy::FillMean, ..for_model(&["a", "b"]) };
    // every color missing: read as numbers (no cell said otherwise), laid out as the model's
    // two color features, both missing in every row
    let t = parse_csv(b"size,color,y\n4,NA,a\n5,,b\n", "m.csv", fill.clone()).unwrap();
    assert_eq!(t.columns[1].categories, None);
    let (t, unseen) = t.conform(&trained()).unwrap();
    assert_eq!((t.dataset.features.clone(), unseen.len()), (vec![4., 0., 0., 5., 0., 0.], 0));
    assert_eq!(t.missing, [1, 2, 4, 5]);
    // … but a numeric column with a value is still refused
    let e = parse_csv(b"size,color,y\n4,NA,a\n5,3,b\n", "m.csv", fill.clone()).unwrap().conform(&trained());
    assert!(e.unwrap_err().to_string().contains("column 'color' holds numbers here"));
    // a table read to fill gaps records its training means even when it has none
    let full = parse_csv(b"size,y\n1,a\n2,b\n3,a\n4,b\n", "f.csv", fill).unwrap();
    assert!(full.missing.is_empty());
    assert_eq!(full.clone().into_split(0.5, 1).unwrap().2.map(|i| i.fill.len()), Some(1));
    let strict = parse_csv(b"size,y\n1,a\n2,b\n3,a\n4,b\n", "f.csv", for_model(&["a", "b"])).unwrap();
    assert!(strict.into_split(0.5, 1).unwrap().2.is_none());
    // two columns of one name: a model cannot find them by name, so none are recorded
    assert_eq!(table("size,size,y\n1,2,a\n").recordable_columns(), None);
    assert_eq!(full.recordable_columns(), Some(full.columns.clone()));
}
