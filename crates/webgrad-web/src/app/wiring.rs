//! DOM events → `Msg`s. Each handler reads what its event says (the controls, a file list, a
//! clicked cell) and dispatches; the state is changed only by the update. The few handlers
//! that only echo a control into the page (slider values, the drop zone's highlight) stay here.

use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlInputElement};

use super::controls::{
    experiment_from_controls, hide_panels, label_choice, missing_choice, parse_num, show_chart_options, show_experiment,
};
use super::dom::*;
use super::shell::Page;
use super::state::{App, ChartOptions};
use super::update::Msg;
use super::{diagram, hyper, images, layers, neurons};
use crate::protocol::Experiment;

/// The history state that marks a reload as a link opened anew ([`open_pasted_links`]).
const OPENED_LINK: &str = "webgrad: a link opened in this tab";

/// Whether this page load is a reload or a back/forward visit (the Navigation Timing entry's
/// `type`), rather than a link opened anew (or pasted into this tab: [`open_pasted_links`]).
fn reloaded() -> bool {
    let Some(window) = web_sys::window() else { return false };
    if let Ok(history) = window.history()
        && history.state().ok().and_then(|s| s.as_string()).as_deref() == Some(OPENED_LINK)
    {
        let _ = history.replace_state(&JsValue::NULL, "");
        return false;
    }
    let Some(performance) = window.performance() else { return false };
    let entries = performance.get_entries_by_type("navigation");
    let kind = js_sys::Reflect::get(&entries.get(0), &"type".into()).ok().and_then(|t| t.as_string());
    matches!(kind.as_deref(), Some("reload" | "back_forward"))
}

pub fn start() -> Result<(), JsValue> {
    // read (and clear) the mark of a pasted link first, whatever the link holds
    let reloaded = reloaded();
    // A shared link carries the experiment in the fragment; apply it before the first Reset.
    let hash = web_sys::window().map(|w| w.location().hash().unwrap_or_default()).unwrap_or_default();
    let (linked, link_error) = match hash.trim_start_matches('#') {
        "" => (None, None),
        // a refused value leaves its parameter at the default and is named; the rest applies
        query => match Experiment::from_query_lenient(query) {
            Ok((e, refused)) if refused.is_empty() => (Some(e), None),
            Ok((e, refused)) => {
                (Some(e), Some(format!("part of the link was not applied: {}; its other settings were", refused.join("; "))))
            }
            Err(e) => (None, Some(format!("the link's settings were not applied: {e}"))),
        },
    };
    let (chart, chart_refused) = ChartOptions::from_query(&hash);
    let chart_error = (!chart_refused.is_empty())
        .then(|| format!("part of the link's chart options was not applied: {}", chart_refused.join("; ")));
    // both, when both parts of the link had a refusal
    let link_error = match (link_error, chart_error) {
        (Some(a), Some(b)) => Some(format!("{a}. {b}")),
        (a, b) => a.or(b),
    };
    if let Some(e) = &link_error {
        set_text("error", e);
    }
    // A link opened (typed, followed, embedded) names the experiment to show, even where this
    // browser kept a checkpoint of another; a reload (or back/forward) resumes the session's
    // checkpoint. A file's rows are not in a link: its checkpoint resumes whatever the hash says.
    let files = hash.contains("data=file");
    let linked_query = linked.as_ref().filter(|_| !files && !reloaded).map(Experiment::to_query);
    let reloaded_with = linked.clone().filter(|_| !files && reloaded);
    let first = linked.unwrap_or_else(|| Experiment::defaults_for("mnist"));
    show_experiment(&first);
    show_chart_options(chart.clone());
    hide_panels(chart.hide);
    let mut app = App::new(first, link_error);
    app.linked = linked_query;
    app.reloaded = reloaded_with;
    app.chart = chart;
    app.cores = web_sys::window().map_or(2.0, |w| w.navigator().hardware_concurrency()) as usize;
    app.one_thread_reason = super::shell::threads_unavailable().map(String::from);
    let page = Page::new(app)?;
    wire_buttons(&page);
    wire_data(&page);
    wire_model_and_training(&page);
    wire_evaluation(&page);
    open_pasted_links();
    register_offline_cache();
    Ok(())
}

/// A link pasted into this open tab's address bar (or a link to this page followed from it)
/// changes only the fragment: the browser loads nothing and fires `hashchange`. The page then
/// opens it as it opens any link: it loads again, marked (in the history state, which a reload
/// keeps) as a link opened anew, so the link's settings win over the stored checkpoint. The
/// page's own link updates (`history.replaceState`) fire no `hashchange`, and a fragment that
/// holds no settings (`#evaluation-heading`, an in-page anchor) is no link.
fn open_pasted_links() {
    let Some(window) = web_sys::window() else { return };
    let w = window.clone();
    let cb = Closure::<dyn FnMut()>::new(move || {
        if !w.location().hash().unwrap_or_default().contains('=') {
            return;
        }
        if let Ok(history) = w.history() {
            let _ = history.replace_state(&JsValue::from_str(OPENED_LINK), "");
        }
        let _ = w.location().reload();
    });
    let _ = window.add_event_listener_with_callback("hashchange", cb.as_ref().unchecked_ref());
    cb.forget();
}

/// The service worker (`sw.js`, written by the build: web/offline.mjs) keeps the page, the
/// workers and the bundled data for offline use. Registered once the page has loaded, so that
/// its downloads do not compete with the first view; where it cannot be (a `file:` page, a
/// browser without service workers, a blocked registration) the page works as before, online.
fn register_offline_cache() {
    let Some(window) = web_sys::window() else { return };
    let navigator = window.navigator();
    if !js_sys::Reflect::has(&navigator, &"serviceWorker".into()).unwrap_or(false) {
        return;
    }
    let register = move || {
        let promise = navigator.service_worker().register("sw.js");
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(e) = wasm_bindgen_futures::JsFuture::from(promise).await {
                web_sys::console::info_1(&format!("webgrad works online only here: {e:?}").into());
            }
        });
    };
    if document().ready_state() == "complete" {
        register();
    } else {
        let mut register = Some(register);
        let cb = Closure::<dyn FnMut()>::new(move || register.take().into_iter().for_each(|r| r()));
        let _ = window.add_event_listener_with_callback("load", cb.as_ref().unchecked_ref());
        cb.forget();
    }
}

/// The page's address without its fragment, and the panels ticked to show in the embed.
fn embed_request() -> Msg {
    let location = web_sys::window().map(|w| w.location());
    let href = location.and_then(|l| l.href().ok()).unwrap_or_default();
    let page_url = href.split('#').next().unwrap_or_default().to_string();
    let show = [0, 1, 2, 3, 4].map(|i| by_id::<web_sys::HtmlInputElement>(&format!("embed-{}", crate::app::state::PANELS[i])).checked());
    Msg::Embed { page_url, show }
}

fn seed() -> u64 {
    input_value("seed").trim().parse().unwrap_or(1)
}

/// `on(id, event)` dispatching the message `make` builds at that moment.
fn send_on(page: &Rc<Page>, id: &str, event: &str, make: impl Fn() -> Msg + 'static) {
    let p = page.clone();
    on(id, event, move || p.dispatch(make()));
}

fn wire_buttons(page: &Rc<Page>) {
    send_on(page, "train", "click", || Msg::Train);
    send_on(page, "pause", "click", || Msg::Pause);
    send_on(page, "step", "click", || Msg::Step);
    send_on(page, "reset", "click", || Msg::Reset(experiment_from_controls()));
    send_on(page, "export", "click", || Msg::Export);
    send_on(page, "export-torch", "click", || Msg::ExportTorch);
    send_on(page, "embed", "click", embed_request);
    for panel in &crate::app::state::PANELS[..5] {
        send_on(page, &format!("embed-{panel}"), "change", embed_request);
    }
    send_on(page, "cancel-load", "click", || Msg::CancelLoad);
}

/// Files picked or dropped go to the shell (File objects travel to the worker by structured
/// clone), their names to the update.
fn choose_files(page: &Rc<Page>, files: web_sys::FileList) {
    let list = js_sys::Array::new();
    let mut names = Vec::new();
    for f in (0..files.length()).filter_map(|i| files.get(i)) {
        names.push(f.name());
        list.push(&f);
    }
    page.hold_chosen_files(list);
    let dataset = select_value("dataset");
    page.dispatch(Msg::FilesChosen { names, label: label_choice(), missing: missing_choice(), dataset });
}

fn wire_data(page: &Rc<Page>) {
    send_on(page, "regenerate", "click", || Msg::Regenerate);
    send_on(page, "dataset", "change", || Msg::DatasetChosen { dataset: select_value("dataset"), seed: seed() });
    send_on(page, "load-url", "click", || Msg::LoadUrl {
        url: input_value("data-url"),
        label: label_choice(),
        missing: missing_choice(),
        seed: seed(),
    });
    for id in ["samples", "noise", "train-ratio", "seed", "data-seed", "normalisation", "input-features"] {
        send_on(page, id, "change", || Msg::DataEdited(experiment_from_controls()));
    }
    on("noise", "input", || set_text("noise-value", &input_value("noise")));
    on("train-ratio", "input", || set_text("train-ratio-value", &format!("{} %", input_value("train-ratio"))));
    let p = page.clone();
    on("data-file", "change", move || {
        let input = by_id::<HtmlInputElement>("data-file");
        if let Some(files) = input.files() {
            choose_files(&p, files);
        }
        input.set_value("");
    });
    let p = page.clone();
    on_event("drop-zone", "drop", move |e| {
        e.prevent_default();
        let _ = by_id::<Element>("drop-zone").class_list().remove_1("over");
        if let Some(files) = e.dyn_ref::<web_sys::DragEvent>().and_then(|d| d.data_transfer()).and_then(|t| t.files()) {
            choose_files(&p, files);
        }
    });
    on_event("drop-zone", "dragover", |e| {
        e.prevent_default();
        let _ = by_id::<Element>("drop-zone").class_list().add_1("over");
    });
    on_event("drop-zone", "dragleave", |_| {
        let _ = by_id::<Element>("drop-zone").class_list().remove_1("over");
    });
}

fn wire_model_and_training(page: &Rc<Page>) {
    let p = page.clone();
    on("optimizer", "change", move || {
        // the new optimizer's own settings first: they are part of the controls read next
        if let Ok(optimizer) = webgrad_nn::OptimizerName::parse(&select_value("optimizer")) {
            hyper::show(optimizer, &[]);
        }
        p.dispatch(Msg::Edited(experiment_from_controls()));
    });
    let p = page.clone();
    on_event("hyper-fields", "change", move |_| p.dispatch(Msg::Edited(experiment_from_controls())));
    for id in ["batch", "epochs", "backend", "weight-decay", "l1", "l2", "schedule", "label-column"] {
        send_on(page, id, "change", || Msg::Edited(experiment_from_controls()));
    }
    let p = page.clone();
    layers::wire(move || p.dispatch(Msg::Edited(experiment_from_controls())));
    send_on(page, "lr", "change", || Msg::LrChanged {
        lr: parse_num::<f64>("lr", "learning rate"),
        form: experiment_from_controls(),
    });
    let chart_options = || {
        let smoothing = input_value("smoothing").parse::<f64>().unwrap_or(0.95).clamp(0.0, 0.999);
        Msg::ChartOptions(ChartOptions {
            log_scale: checked("log-scale"),
            smoothing,
            show_test: checked("show-test"),
            discretize: checked("discretize"),
            // the race, sweep and hidden panels are the update's to keep (`Msg::ChartOptions`)
            race: None,
            sweep: None,
            hide: Default::default(),
        })
    };
    for id in ["log-scale", "show-test", "discretize"] {
        send_on(page, id, "change", chart_options);
    }
    on("smoothing", "input", || set_text("smoothing-value", &input_value("smoothing")));
    send_on(page, "smoothing", "input", chart_options);
    for (event, click) in [("pointermove", false), ("click", true)] {
        let p = page.clone();
        on_event("diagram", event, move |e| {
            if let Some((x, y, width, height)) = diagram::canvas_point("diagram", &e) {
                p.dispatch(Msg::DiagramPointer { x, y, width, height, click });
            }
        });
    }
    let p = page.clone();
    on_event("weight-edit", "submit", move |e| {
        e.prevent_default();
        p.dispatch(Msg::SetWeight(parse_num::<f32>("weight-value", "weight")));
    });
    let p = page.clone();
    on_event("boundary", "click", move |e| {
        if let Some((x, y, width, height)) = diagram::canvas_point("boundary", &e) {
            let target = if by_id::<web_sys::HtmlElement>("new-point-value-box").hidden() {
                select_value("new-point-class").parse::<f32>().map_err(|_| "choose the class of new points".to_string())
            } else {
                parse_num::<f32>("new-point-value", "value of new points")
            };
            p.dispatch(Msg::PlaneClick { x, y, width, height, target });
        }
    });
    for event in ["pointerover", "focusin"] {
        let p = page.clone();
        on_event("neuron-grid", event, move |e| {
            if let Some((layer, unit)) = neurons::unit_of(&e) {
                p.dispatch(Msg::FocusUnit { layer, unit });
            }
        });
    }
}

fn wire_evaluation(page: &Rc<Page>) {
    // the link to the full evaluation scrolls there and leaves the address bar's experiment link
    on_event("evaluation-link", "click", |e| {
        e.prevent_default();
        by_id::<Element>("evaluation-heading").scroll_into_view();
    });
    let p = page.clone();
    on_event("confusion", "click", move |e| {
        let target = e.target().and_then(|t| t.dyn_into::<Element>().ok());
        let Some(button) = target.and_then(|t| t.closest("button.cell").ok().flatten()) else { return };
        let attr = |name: &str| button.get_attribute(name).and_then(|v| v.parse::<u32>().ok());
        if let (Some(truth), Some(predicted)) = (attr("data-truth"), attr("data-predicted")) {
            p.dispatch(Msg::ShowCell { truth, predicted });
        }
    });
    send_on(page, "race-start", "click", || {
        Msg::RaceStart(super::race::RacePreset::parse(&select_value("race-preset")))
    });
    send_on(page, "race-stop", "click", || Msg::RaceStop);
    send_on(page, "sweep-start", "click", || {
        let spec = super::sweep::SweepSpec::parse(
            &input_value("sweep-lrs"),
            &input_value("sweep-widths"),
            &input_value("sweep-batches"),
            &input_value("sweep-optimizers"),
        );
        let cores = web_sys::window().map_or(2.0, |w| w.navigator().hardware_concurrency()) as usize;
        Msg::SweepStart { spec, cores }
    });
    send_on(page, "sweep-cancel", "click", || Msg::SweepCancel);
    let p = page.clone();
    on_event("sweep-table", "click", move |e| match super::sweep_dom::clicked(&e) {
        Some(Ok(by)) => p.dispatch(Msg::SweepSort(by)),
        Some(Err(run)) => p.dispatch(Msg::SweepLoad(run)),
        None => {}
    });
    // the inspector: layer and unit, 1-based in the inputs; 0 for the layer means the output layer
    send_on(page, "inspect-step", "click", || {
        let read = |id: &str, what: &str| parse_num::<usize>(id, what);
        Msg::InspectStep(match (read("inspect-layer", "layer"), read("inspect-unit", "unit")) {
            (Ok(l), Ok(u)) if l >= 1 && u >= 1 => Ok((l - 1, u - 1)),
            (Ok(_), Ok(_)) => Err("the inspector's layer and unit count from 1".into()),
            (Err(e), _) | (_, Err(e)) => Err(e),
        })
    });
    // the gradient check: the button, and the ε slider (log₁₀ ε), each running a check
    let grad_check = || {
        let log10 = input_value("gradcheck-eps").parse::<f64>().unwrap_or(-2.5);
        Msg::GradCheck { eps: super::grad_view::eps_of_slider(log10) }
    };
    send_on(page, "gradcheck-run", "click", grad_check);
    send_on(page, "gradcheck-eps", "change", grad_check);
    let p = page.clone();
    images::wire_drawing(move |ink, width, height| p.dispatch(Msg::Predict { ink, width, height }));
    let p = page.clone();
    on("import", "change", move || {
        let input = by_id::<HtmlInputElement>("import");
        let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
        let (name, p) = (file.name(), p.clone());
        wasm_bindgen_futures::spawn_local(async move {
            let bytes = match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
                Ok(buf) => Ok(js_sys::Uint8Array::new(&buf).to_vec()),
                Err(_) => Err("the file could not be read".to_string()),
            };
            p.dispatch(Msg::ImportRead { name, bytes });
        });
        input.set_value("");
    });
}
