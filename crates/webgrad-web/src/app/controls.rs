//! The controls: reading the experiment they describe, writing one into them (from a link or
//! a dataset's defaults), the link in the address bar, small tables and download links.

use wasm_bindgen::prelude::*;
use webgrad_data::{InputFeature, ScalingKind};
use webgrad_nn::{BackendChoice, OptimizerName, SchedulePreset};

use super::dom::*;
use super::state::{ChartOptions, PANELS};
use super::{hyper, layers};
use crate::experiment::link::{missing_policy, missing_word};
use crate::protocol::*;

/// Puts an experiment into the controls (from a shared link, or a dataset's defaults).
pub(super) fn show_experiment(e: &Experiment) {
    match &e.data {
        DataChoice::Mnist => set_select_value("dataset", "mnist"),
        DataChoice::Iris => set_select_value("dataset", "iris"),
        DataChoice::File { name, label, missing } => {
            ensure_option("file", &format!("Your file: {name}"));
            set_select_value("dataset", "file");
            set_input_value("label-column", label.as_deref().unwrap_or(""));
            set_select_value("missing-values", missing_word(*missing));
        }
        DataChoice::Url { url, label, missing } => {
            ensure_option("url", "Data from a URL");
            set_select_value("dataset", "url");
            set_input_value("data-url", url);
            set_input_value("label-column", label.as_deref().unwrap_or(""));
            set_select_value("missing-values", missing_word(*missing));
        }
        DataChoice::Synthetic { name, samples, noise, test_fraction, seed, inputs } => {
            for f in InputFeature::ALL {
                by_id::<web_sys::HtmlInputElement>(&format!("input-{}", f.name())).set_checked(inputs.contains(&f));
            }
            set_select_value("dataset", name);
            set_input_value("data-seed", &seed.to_string());
            set_input_value("samples", &samples.to_string());
            let noise = format!("{}", (noise * 100.0).round());
            set_input_value("noise", &noise);
            set_text("noise-value", &noise);
            let ratio = format!("{}", ((1.0 - test_fraction) * 100.0).round());
            set_input_value("train-ratio", &ratio);
            set_text("train-ratio-value", &format!("{ratio} %"));
        }
    }
    set_hidden("synthetic-options", !matches!(e.data, DataChoice::Synthetic { .. }));
    layers::show(&e.layers);
    set_select_value("normalisation", e.normalise.name());
    set_select_value("optimizer", e.optimizer.name());
    hyper::show(e.optimizer, &e.hyper);
    set_input_value("lr", &e.lr.to_string());
    set_input_value("batch", &e.batch.to_string());
    set_input_value("epochs", &e.epochs.to_string());
    set_input_value("seed", &e.seed.to_string());
    set_select_value("backend", e.backend.name());
    set_input_value("weight-decay", &e.weight_decay.map(|w| w.to_string()).unwrap_or_default());
    set_input_value("l1", &if e.l1 == 0.0 { String::new() } else { e.l1.to_string() });
    set_input_value("l2", &if e.l2 == 0.0 { String::new() } else { e.l2.to_string() });
    set_select_value("schedule", e.schedule.name());
}

/// Adds `<option value=…>` to the dataset select if it is missing, and sets its text.
pub(super) fn ensure_option(value: &str, text: &str) {
    let select = by_id::<web_sys::HtmlSelectElement>("dataset");
    let existing = (0..select.length())
        .filter_map(|i| select.item(i))
        .find(|o| o.get_attribute("value").as_deref() == Some(value));
    let option = existing.or_else(|| {
        let o = document().create_element("option").ok()?;
        o.set_attribute("value", value).ok()?;
        select.append_child(&o).ok()?;
        Some(o)
    });
    if let Some(o) = option {
        o.set_text_content(Some(text));
    }
}

pub(super) fn label_choice() -> Option<String> {
    let l = input_value("label-column").trim().to_string();
    (!l.is_empty()).then_some(l)
}

/// What the "Missing values" control asks of a table's missing cells (its values are
/// `missing_word`'s).
pub(super) fn missing_choice() -> MissingPolicy {
    missing_policy(&select_value("missing-values")).unwrap_or_default()
}

/// Keeps the experiment in the address bar, so the link reproduces it.
pub(super) fn remember_in_url(e: &Experiment, options: ChartOptions) {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let url = format!("#{}{}", e.to_query(), options.to_query());
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&url));
    }
}

/// The chart options into their controls (from a link).
pub(super) fn show_chart_options(options: ChartOptions) {
    for (id, on) in [("log-scale", options.log_scale), ("show-test", options.show_test), ("discretize", options.discretize)] {
        by_id::<web_sys::HtmlInputElement>(id).set_checked(on);
    }
    let smoothing = options.smoothing.to_string();
    by_id::<web_sys::HtmlInputElement>("smoothing").set_value(&smoothing);
    set_text("smoothing-value", &smoothing);
}

/// Hides the panels a link's `*_hide` keys name (`state::PANELS`), by a class of their own so
/// that the page's own showing and hiding (the drawing canvas for images) cannot undo it.
pub(super) fn hide_panels(hide: [bool; PANELS.len()]) {
    let ids = |panel: &str| -> &[&str] {
        match panel {
            "data" => &["data-panel"],
            "model" => &["architecture-box"],
            "training" => &["training-box"],
            "evaluation" => &["evaluation-panel", "draw-panel", "evaluation-link"],
            "experiments" => &["race-panel", "sweep-panel", "inspect-panel", "gradcheck-panel"],
            _ => &["share-panel"],
        }
    };
    for (panel, hidden) in PANELS.iter().zip(hide) {
        for id in ids(panel) {
            let _ = by_id::<web_sys::Element>(id).class_list().toggle_with_force("link-hidden", hidden);
        }
    }
    // nothing of the model panel left: hide it whole
    let _ = by_id::<web_sys::Element>("model-panel").class_list().toggle_with_force("link-hidden", hide[1] && hide[2]);
}

/// Empties `container` of its download links, releasing their Blob URLs (each holds a copy of
/// the bytes until revoked: a model or a project zip per export).
pub(super) fn clear_download_links(container: &web_sys::Element) {
    if let Ok(links) = container.query_selector_all("a[href^='blob:']") {
        for i in 0..links.length() {
            let href = links.item(i).and_then(|n| n.dyn_into::<web_sys::Element>().ok()).and_then(|a| a.get_attribute("href"));
            if let Some(url) = href {
                let _ = web_sys::Url::revoke_object_url(&url);
            }
        }
    }
    clear(container);
}

/// A download link for bytes (a Blob URL, released by `clear_download_links` when the next
/// export replaces it).
pub(super) fn download_link(name: &str, bytes: &[u8], mime: &str) -> Option<web_sys::Element> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).ok()?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).ok()?;
    let a = document().create_element("a").ok()?;
    a.set_attribute("href", &url).ok()?;
    a.set_attribute("download", name).ok()?;
    a.set_text_content(Some(&format!("Download {name}")));
    Some(a)
}

pub(super) fn parse_num<T: std::str::FromStr>(id: &str, what: &str) -> Result<T, String> {
    input_value(id).trim().parse::<T>().map_err(|_| format!("{what} '{}' is not a valid number", input_value(id)))
}

/// The experiment the controls describe, or the first thing wrong with them.
pub(super) fn experiment_from_controls() -> Result<Experiment, String> {
    let dataset = select_value("dataset");
    let seed: u64 = parse_num("seed", "seed")?;
    let data = if dataset == "mnist" {
        DataChoice::Mnist
    } else if dataset == "iris" {
        DataChoice::Iris
    } else if dataset == "file" {
        let select = by_id::<web_sys::HtmlSelectElement>("dataset");
        let name =
            select.item(select.selected_index().max(0) as u32).and_then(|o| o.text_content()).unwrap_or_default();
        let name = name.trim_start_matches("Your file: ").to_string();
        DataChoice::File { name, label: label_choice(), missing: missing_choice() }
    } else if dataset == "url" {
        let url = input_value("data-url").trim().to_string();
        DataChoice::Url { url, label: label_choice(), missing: missing_choice() }
    } else {
        let samples: usize = parse_num("samples", "samples")?;
        if !(20..=20_000).contains(&samples) {
            return Err(format!("samples must be between 20 and 20,000, got {samples}"));
        }
        let noise = parse_num::<f32>("noise", "noise")? / 100.0;
        // (100 − r) / 100: a share of 60 % writes test=0.4, where 1 − 0.6 in f32 wrote 0.39999998
        let test_fraction = (100.0 - parse_num::<f32>("train-ratio", "training share")?) / 100.0;
        let seed = parse_num::<u64>("data-seed", "data seed")?;
        let inputs: Vec<InputFeature> =
            InputFeature::ALL.into_iter().filter(|f| checked(&format!("input-{}", f.name()))).collect();
        if inputs.is_empty() {
            return Err("choose at least one input feature".into());
        }
        DataChoice::Synthetic { name: dataset, samples, noise, test_fraction, seed, inputs }
    };
    let lr: f64 = parse_num("lr", "learning rate")?;
    if !(lr > 0.0 && lr.is_finite()) {
        return Err(format!("learning rate must be positive, got {lr}"));
    }
    let batch: usize = parse_num("batch", "batch size")?;
    let epochs: usize = parse_num("epochs", "epochs")?;
    if batch == 0 || epochs == 0 {
        return Err("batch size and epochs must be at least 1".into());
    }
    let optimizer = OptimizerName::parse(&select_value("optimizer"))?;
    Ok(Experiment {
        data,
        layers: layers::read()?,
        normalise: ScalingKind::parse(&select_value("normalisation"))?,
        optimizer,
        hyper: hyper::read(optimizer)?,
        lr,
        batch,
        epochs,
        seed,
        backend: BackendChoice::parse(&select_value("backend"))?,
        weight_decay: optional_num("weight-decay", "weight decay")?,
        l1: optional_num::<f32>("l1", "L1 penalty")?.unwrap_or(0.0),
        l2: optional_num::<f32>("l2", "L2 penalty")?.unwrap_or(0.0),
        schedule: SchedulePreset::parse(&select_value("schedule"))?,
    })
}

/// An optional number field: empty is `None`, anything else must parse and be ≥ 0.
pub(super) fn optional_num<T: std::str::FromStr + PartialOrd + Default + std::fmt::Display>(
    id: &str,
    what: &str,
) -> Result<Option<T>, String> {
    let text = input_value(id);
    if text.trim().is_empty() {
        return Ok(None);
    }
    match text.trim().parse::<T>() {
        Ok(v) if v >= T::default() => Ok(Some(v)),
        _ => Err(format!("{what} '{text}' must be a number ≥ 0")),
    }
}

/// The first rows of a table from a file, or nothing for the built-in sets.
pub(super) fn show_preview(preview: Option<&Preview>) {
    match preview {
        Some(p) => show_table("preview", "First rows (features after encoding, then the label)", p),
        None => set_hidden("preview", true),
    }
}

/// Fills the table `id` with a caption, a header row and the rows, and shows it.
pub(super) fn show_table(id: &str, title: &str, p: &Preview) {
    let table = by_id::<web_sys::HtmlElement>(id);
    clear(&table);
    let add_row = |cells: &[String], tag: &str| {
        let tr = document().create_element("tr").expect("tr");
        for c in cells {
            let cell = document().create_element(tag).expect("cell");
            cell.set_text_content(Some(c));
            let _ = tr.append_child(&cell);
        }
        let _ = table.append_child(&tr);
    };
    let caption = document().create_element("caption").expect("caption");
    caption.set_text_content(Some(title));
    let _ = table.append_child(&caption);
    add_row(&p.columns, "th");
    for r in &p.rows {
        add_row(r, "td");
    }
    table.set_hidden(false);
}

/// Replaces the options of select `id` with (value, text) pairs (the text as text).
pub(super) fn set_options(id: &str, options: &[(String, String)]) {
    let select = by_id::<web_sys::HtmlSelectElement>(id);
    clear(&select);
    for (value, text) in options {
        if let Ok(option) = document().create_element("option") {
            let _ = option.set_attribute("value", value);
            option.set_text_content(Some(text));
            let _ = select.append_child(&option);
        }
    }
}
