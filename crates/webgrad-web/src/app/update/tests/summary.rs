//! The data summary's line, and what an import changes in it.

use super::*;

/// A regression table of 8 + 2 rows and 2 features, `missing` its sentence on missing cells.
fn gaps_table(missing: Option<&str>) -> DataSummary {
    DataSummary {
        name: "gaps.csv".into(),
        train_rows: 8,
        test_rows: 2,
        features: 2,
        class_names: Vec::new(),
        points: Vec::new(),
        plane: false,
        inputs: Vec::new(),
        preview: None,
        image_shape: None,
        head: webgrad_nn::Head::Linear { outputs: 1 },
        missing_cells: missing.map(String::from),
    }
}

#[test]
fn an_import_says_what_the_user_should_know_of_how_it_reads_the_data() {
    let mut app = app();
    ready(&mut app, None);
    let summary = gaps_table(None);
    let imported = |note: Option<&str>| {
        let model = "nn.Sequential(nn.Linear(4, 3))".to_string();
        let (layers, note) = (Vec::new(), note.map(String::from));
        FromWorker::Imported { name: "m.safetensors".into(), model, layers, note, summary: summary.clone() }
    };
    let effects = update(&mut app, Msg::Worker(imported(None)));
    assert_eq!(texts(&effects, "stats"), ["Imported m.safetensors: evaluated on this data. Train to continue."]);
    let effects = update(&mut app, Msg::Worker(imported(Some("its classes are read by index"))));
    assert_eq!(
        texts(&effects, "stats"),
        ["Imported m.safetensors: evaluated on this data. Train to continue. Note: its classes are read by index."]
    );
}

/// A table read with a missing-values policy says what became of its missing cells.
#[test]
fn the_summary_says_what_became_of_missing_cells() {
    let mut app = App::new(Experiment::defaults_for("iris"), None);
    ready(&mut app, None);
    let summary = gaps_table(Some("3 rows with a missing value left out."));
    let loaded = FromWorker::DataLoaded { summary: summary.clone(), model: "nn.Sequential()".into() };
    let effects = update(&mut app, Msg::Worker(loaded));
    assert_eq!(
        texts(&effects, "data-summary"),
        ["gaps.csv: 8 training rows, 2 test rows, 2 features, regression. 3 rows with a missing value left out."]
    );
    // an imported model's values fill the cells: the summary says so
    let filled = |whose: &str| Some(format!("Missing values in 3 rows filled with {whose}."));
    let summary = DataSummary { missing_cells: filled("the training rows' means"), ..summary };
    update(&mut app, Msg::Worker(FromWorker::DataLoaded { summary: summary.clone(), model: "nn.Sequential()".into() }));
    let (model, layers, summary) =
        ("nn.Sequential()".into(), Vec::new(), DataSummary { missing_cells: filled("the model's values"), ..summary });
    let imported =
        FromWorker::Imported { name: "m.safetensors".into(), model, layers, note: None, summary: summary.clone() };
    let shown = texts(&update(&mut app, Msg::Worker(imported)), "data-summary").concat();
    assert_eq!(
        shown,
        "gaps.csv: 8 training rows, 2 test rows, 2 features, regression. Missing values in 3 rows filled with the model's values."
    );
    // a long name (a data: URL) keeps its ends
    let long = format!("https://example.org/{}.csv", "é".repeat(200));
    let summary = DataSummary { name: long, missing_cells: None, ..summary };
    let effects = update(&mut app, Msg::Worker(FromWorker::DataLoaded { summary, model: "nn.Sequential()".into() }));
    let shown = &texts(&effects, "data-summary")[0];
    let want = format!("https://example.org/{}…{}.csv: 8 training rows", "é".repeat(30), "é".repeat(21));
    assert!(shown.starts_with(&want), "{shown}");
}
