//! Small glue over js-sys for both wasm programs: timers, a yield to the event loop, the clock.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `setTimeout` of whatever global scope we run in (window or worker).
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &js_sys::Function, ms: i32) -> JsValue;
}

/// Resolves after `ms` milliseconds; `sleep(0)` yields to the event loop (lets messages in).
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

thread_local! {
    /// The channel `yield_to_events` sends itself a message through (made once).
    static CHANNEL: Option<web_sys::MessageChannel> = web_sys::MessageChannel::new().ok();
}

/// Lets the events already queued (the page's messages) run, then resumes: a message to itself
/// through a MessageChannel, which, unlike `sleep(0)`, is not clamped to 4 ms when repeated (a
/// zero timeout set from a timer's callback is, after 5 in a row).
pub async fn yield_to_events() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let sent = CHANNEL.with(|c| {
            let c = c.as_ref()?;
            c.port1().set_onmessage(Some(&resolve));
            c.port2().post_message(&JsValue::NULL).ok()
        });
        if sent.is_none() {
            set_timeout(&resolve, 0);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Milliseconds since the page or worker started, with sub-millisecond resolution
/// (`performance.now()`, present on both window and worker scopes).
pub fn now_ms() -> f64 {
    js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
        .map_or_else(js_sys::Date::now, |p| p.now())
}

