//! The layer-by-layer model builder: one row per hidden layer in `<ol id="layers">` (width,
//! activation, dropout; move up, move down, remove) and an "Add layer" button.
//!
//! The rows are the state, like every other control: the buttons move and remove rows in the
//! DOM, `read` parses them into `HiddenLayer`s, `show` rebuilds them from an experiment. Each
//! control's accessible name starts with its layer ("Layer 2 width", "Remove layer 2"), and
//! `renumber` keeps those names right after every change.

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, HtmlInputElement, HtmlSelectElement};

use super::dom::*;
use webgrad_nn::ActivationName;

use crate::protocol::HiddenLayer;

/// The activation choices and their text; an option's value is `ActivationName::name`.
const ACTIVATIONS: [(ActivationName, &str); 6] = [
    (ActivationName::Relu, "ReLU"),
    (ActivationName::Tanh, "tanh"),
    (ActivationName::Sigmoid, "sigmoid"),
    (ActivationName::Gelu, "GELU"),
    (ActivationName::LeakyRelu, "leaky ReLU"),
    (ActivationName::Identity, "linear (none)"),
];

/// More hidden layers than anyone needs in a playground; "Add layer" stops here.
pub const MAX_LAYERS: usize = 32;

fn list() -> Element {
    by_id::<Element>("layers")
}

fn rows() -> Vec<Element> {
    let Ok(items) = list().query_selector_all(":scope > li") else { return Vec::new() };
    (0..items.length()).filter_map(|i| items.item(i)?.dyn_into::<Element>().ok()).collect()
}

fn field<T: JsCast>(row: &Element, name: &str) -> Option<T> {
    row.query_selector(&format!("[data-field={name}]")).ok().flatten()?.dyn_into::<T>().ok()
}

fn el(tag: &str) -> Element {
    document().create_element(tag).expect("create_element")
}

/// `<label><span class="visually-hidden" data-role="layer">Layer n </span>{text} {control}</label>`
fn labelled(text: &str, control: &Element) -> Element {
    let label = el("label");
    let prefix = el("span");
    prefix.set_class_name("visually-hidden");
    let _ = prefix.set_attribute("data-role", "layer");
    let _ = label.append_child(&prefix);
    let name = el("span");
    name.set_text_content(Some(text));
    let _ = label.append_child(&name);
    let _ = label.append_child(control);
    label
}

fn number_input(name: &str, min: &str, max: &str, step: &str, value: &str) -> Element {
    let input = el("input");
    for (k, v) in [("type", "number"), ("data-field", name), ("min", min), ("max", max), ("step", step)] {
        let _ = input.set_attribute(k, v);
    }
    if let Some(i) = input.dyn_ref::<HtmlInputElement>() {
        i.set_value(value);
    }
    input
}

fn button(action: &str, text: &str) -> Element {
    let b = el("button");
    let _ = b.set_attribute("type", "button");
    let _ = b.set_attribute("data-action", action);
    b.set_text_content(Some(text));
    b
}

fn row(layer: &HiddenLayer) -> Element {
    let li = el("li");
    li.set_class_name("layer");
    let title = el("span");
    title.set_class_name("layer-title");
    let _ = li.append_child(&title);
    let width = number_input("width", "1", "4096", "1", &layer.width.to_string());
    let _ = li.append_child(&labelled("width", &width));
    let select = el("select");
    let _ = select.set_attribute("data-field", "activation");
    for (activation, text) in ACTIVATIONS {
        let option = el("option");
        let _ = option.set_attribute("value", activation.name());
        option.set_text_content(Some(text));
        let _ = select.append_child(&option);
    }
    if let Some(s) = select.dyn_ref::<HtmlSelectElement>() {
        s.set_value(layer.activation.name());
    }
    let _ = li.append_child(&labelled("activation", &select));
    let dropout = if layer.dropout == 0.0 { String::new() } else { layer.dropout.to_string() };
    let dropout = number_input("dropout", "0", "0.95", "0.05", &dropout);
    let _ = dropout.set_attribute("placeholder", "0");
    let _ = li.append_child(&labelled("dropout", &dropout));
    let actions = el("span");
    actions.set_class_name("layer-actions");
    for (action, text) in [("up", "↑"), ("down", "↓"), ("remove", "✕")] {
        let _ = actions.append_child(&button(action, text));
    }
    let _ = li.append_child(&actions);
    li
}

/// Rewrites every row's number into its title and accessible names, and disables the moves
/// that would leave the list.
fn renumber() {
    let rows = rows();
    let last = rows.len().saturating_sub(1);
    for (i, row) in rows.iter().enumerate() {
        let n = i + 1;
        if let Ok(Some(title)) = row.query_selector(".layer-title") {
            title.set_text_content(Some(&format!("Layer {n}")));
        }
        if let Ok(prefixes) = row.query_selector_all("[data-role=layer]") {
            for j in 0..prefixes.length() {
                if let Some(p) = prefixes.item(j) {
                    p.set_text_content(Some(&format!("Layer {n} ")));
                }
            }
        }
        for (action, name, disabled) in [
            ("up", format!("Move layer {n} up"), i == 0),
            ("down", format!("Move layer {n} down"), i == last),
            ("remove", format!("Remove layer {n}"), false),
        ] {
            if let Some(b) = field_button(row, action) {
                let _ = b.set_attribute("aria-label", &name);
                b.set_disabled(disabled);
            }
        }
    }
    set_text(
        "layer-count",
        &match rows.len() {
            0 => "No hidden layers: a linear model.".to_string(),
            1 => "1 hidden layer.".to_string(),
            n => format!("{n} hidden layers."),
        },
    );
    set_disabled("add-layer", rows.len() >= MAX_LAYERS);
}

fn field_button(row: &Element, action: &str) -> Option<web_sys::HtmlButtonElement> {
    row.query_selector(&format!("button[data-action={action}]")).ok().flatten()?.dyn_into().ok()
}

/// Replaces the rows with `layers`.
pub fn show(layers: &[HiddenLayer]) {
    let list = list();
    clear(&list);
    for l in layers {
        let _ = list.append_child(&row(l));
    }
    renumber();
}

/// The layers the rows describe, or the first thing wrong with them ("layer 2 width …").
pub fn read() -> Result<Vec<HiddenLayer>, String> {
    rows()
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let n = i + 1;
            let width_text = field::<HtmlInputElement>(row, "width").map(|w| w.value()).unwrap_or_default();
            let width = match width_text.trim().parse::<usize>() {
                Ok(w) if (1..=4096).contains(&w) => w,
                _ => return Err(format!("layer {n} width '{width_text}' must be a whole number from 1 to 4096")),
            };
            let activation = field::<HtmlSelectElement>(row, "activation").map(|s| s.value()).unwrap_or_default();
            let activation = ActivationName::parse(&activation).map_err(|e| format!("layer {n}: {e}"))?;
            let dropout_text = field::<HtmlInputElement>(row, "dropout").map(|d| d.value()).unwrap_or_default();
            let dropout = match dropout_text.trim() {
                "" => 0.0,
                t => match t.parse::<f32>() {
                    Ok(p) if (0.0..1.0).contains(&p) => p,
                    _ => return Err(format!("layer {n} dropout '{dropout_text}' must be a number in [0, 1)")),
                },
            };
            Ok(HiddenLayer { width, activation, dropout })
        })
        .collect()
}

/// Appends a layer like the last one (or 16 ReLU units), and puts the focus on its width.
fn add() {
    let rows = rows();
    if rows.len() >= MAX_LAYERS {
        return;
    }
    let template = rows.last().map_or(HiddenLayer::new(16, ActivationName::Relu, 0.0), |last| {
        let width = field::<HtmlInputElement>(last, "width").and_then(|w| w.value().trim().parse().ok());
        let activation =
            field::<HtmlSelectElement>(last, "activation").and_then(|s| ActivationName::parse(&s.value()).ok());
        HiddenLayer::new(width.unwrap_or(16), activation.unwrap_or(ActivationName::Relu), 0.0)
    });
    let new = row(&template);
    let _ = list().append_child(&new);
    renumber();
    if let Some(w) = field::<HtmlElement>(&new, "width") {
        let _ = w.focus();
    }
}

/// Runs a row button's action (move up / down, remove) and keeps the keyboard focus nearby.
fn act(button: &Element) {
    let (Some(action), Ok(Some(row))) = (button.get_attribute("data-action"), button.closest("li.layer")) else {
        return;
    };
    let list = list();
    match action.as_str() {
        "up" => {
            if let Some(prev) = row.previous_element_sibling() {
                let _ = list.insert_before(&row, Some(&prev));
            }
        }
        "down" => {
            if let Some(next) = row.next_element_sibling() {
                let _ = list.insert_before(&next, Some(&row));
            }
        }
        "remove" => {
            let neighbour = row.next_element_sibling().or_else(|| row.previous_element_sibling());
            row.remove();
            renumber();
            let target = neighbour.and_then(|n| field_button(&n, "remove")).map(HtmlElement::from);
            let _ = target.unwrap_or_else(|| by_id::<HtmlElement>("add-layer")).focus();
            return;
        }
        _ => return,
    }
    renumber();
    // the moved row keeps the focus; at an end of the list its button is disabled, so use the other
    let other = if action == "up" { "down" } else { "up" };
    let focus = field_button(&row, &action).filter(|b| !b.disabled()).or_else(|| field_button(&row, other));
    if let Some(b) = focus {
        let _ = b.focus();
    }
}

/// Wires the builder; `changed` runs after every edit, move, addition or removal.
pub fn wire(changed: impl Fn() + 'static) {
    let changed = std::rc::Rc::new(changed);
    let c = changed.clone();
    on_event("layers", "click", move |e| {
        let target = e.target().and_then(|t| t.dyn_into::<Element>().ok());
        if let Some(button) = target.and_then(|t| t.closest("button[data-action]").ok().flatten()) {
            act(&button);
            c();
        }
    });
    let c = changed.clone();
    on_event("layers", "change", move |_| c());
    let c = changed.clone();
    on_event("layers", "input", move |_| c());
    on("add-layer", "click", move || {
        add();
        changed();
    });
}
