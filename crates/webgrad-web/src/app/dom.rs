//! Thin DOM helpers: look elements up by id, read controls, set text, listen.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, HtmlElement, HtmlInputElement, HtmlSelectElement};

pub fn document() -> Document {
    web_sys::window().and_then(|w| w.document()).expect("a page has a document")
}

/// The element with `id`, cast to `T`. The ids are fixed in index.html, so a miss is a bug.
pub fn by_id<T: JsCast>(id: &str) -> T {
    document()
        .get_element_by_id(id)
        .unwrap_or_else(|| panic!("index.html has no #{id}"))
        .dyn_into::<T>()
        .unwrap_or_else(|_| panic!("#{id} has an unexpected element type"))
}

/// The 2-D drawing context of a canvas (every canvas on the page draws in 2-D only).
pub fn ctx2d(canvas: &web_sys::HtmlCanvasElement) -> web_sys::CanvasRenderingContext2d {
    canvas.get_context("2d").ok().flatten().expect("a 2d canvas context").unchecked_into()
}

pub fn set_text(id: &str, text: &str) {
    by_id::<Element>(id).set_text_content(Some(text));
}

/// Removes every child of `el` (no HTML is parsed anywhere on the page: text goes in as text).
pub fn clear(el: &Element) {
    el.set_text_content(None);
}

pub fn set_hidden(id: &str, hidden: bool) {
    by_id::<HtmlElement>(id).set_hidden(hidden);
}

pub fn input_value(id: &str) -> String {
    by_id::<HtmlInputElement>(id).value()
}

pub fn set_input_value(id: &str, v: &str) {
    by_id::<HtmlInputElement>(id).set_value(v);
}

pub fn select_value(id: &str) -> String {
    by_id::<HtmlSelectElement>(id).value()
}

pub fn set_select_value(id: &str, v: &str) {
    by_id::<HtmlSelectElement>(id).set_value(v);
}

pub fn checked(id: &str) -> bool {
    by_id::<HtmlInputElement>(id).checked()
}

pub fn set_disabled(id: &str, disabled: bool) {
    by_id::<web_sys::HtmlButtonElement>(id).set_disabled(disabled);
}

/// Calls `f` on every `event` of the element; the closure lives as long as the page.
pub fn on(id: &str, event: &str, f: impl FnMut() + 'static) {
    let mut f = f;
    let cb = Closure::<dyn FnMut(web_sys::Event)>::new(move |_e: web_sys::Event| f());
    by_id::<Element>(id).add_event_listener_with_callback(event, cb.as_ref().unchecked_ref()).expect("listener");
    cb.forget();
}

/// Like `on`, with the event (for `preventDefault` and drag data).
pub fn on_event(id: &str, event: &str, f: impl FnMut(web_sys::Event) + 'static) {
    let cb = Closure::<dyn FnMut(web_sys::Event)>::new(f);
    by_id::<Element>(id).add_event_listener_with_callback(event, cb.as_ref().unchecked_ref()).expect("listener");
    cb.forget();
}

/// Whether `el` does not show `version` yet; it is marked as showing it from now on (a view
/// redraws only when its state moved on: `data-version`).
pub fn moved_on(el: &Element, version: u64) -> bool {
    let version = version.to_string();
    if el.get_attribute("data-version").as_deref() == Some(version.as_str()) {
        return false;
    }
    let _ = el.set_attribute("data-version", &version);
    true
}
