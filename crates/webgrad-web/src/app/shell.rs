//! The shell around the update: holds the state, the worker and the browser objects a worker
//! restart needs (the chosen files, the last checkpoint's bytes), runs each update and then
//! its effects, and draws the charts once per animation frame.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, Worker};

use super::dom::by_id;
use super::state::App;
use super::update::{Effect, Msg, update};
use super::views;
use crate::protocol::*;
use crate::protocol::by_hand;

pub struct Page {
    app: RefCell<App>,
    worker: RefCell<Worker>,
    /// Which worker's messages count: a replaced worker's late messages are ignored.
    generation: Cell<u32>,
    /// The current worker is the threaded one (`worker_threads_loader.js`).
    threaded: Cell<bool>,
    /// Files just picked or dropped, until the update posts them (`Effect::PostNewFiles`).
    chosen_files: RefCell<Option<js_sys::Array>>,
    /// The files of the current data (local data cannot be fetched again after a restart).
    files: RefCell<Option<js_sys::Array>>,
    /// Files posted to the worker and not yet loaded (`Effect::KeepPostedFiles` keeps them).
    posted_files: RefCell<Option<js_sys::Array>>,
    /// The last checkpoint's bytes: the browser's `Uint8Array`, never copied into wasm memory
    /// or decoded through serde, since a checkpoint may be megabytes.
    checkpoint: RefCell<Option<js_sys::Uint8Array>>,
    /// A race's lane workers, in lane order; `race_generation` counts races, so that a stopped
    /// race's late messages are ignored.
    race_workers: RefCell<Vec<Option<Worker>>>,
    race_generation: Cell<u32>,
    /// A render is scheduled for the next animation frame (`request_render`).
    render_pending: Cell<bool>,
    /// The slowest update or render so far, in ms, how many took over 50 ms, and how many
    /// there were in all.
    slowest_update_ms: Cell<f64>,
    slow_updates: Cell<u32>,
    updates: Cell<u32>,
}

impl Page {
    /// The page with its first worker, listened to.
    pub fn new(mut app: App) -> Result<Rc<Page>, JsValue> {
        let mut threaded = app.one_thread_reason.is_none();
        let worker = match new_worker(threaded) {
            Ok(w) => w,
            // a browser that cannot start a module worker says so at once
            Err(e) if threaded => {
                threaded = false;
                app.one_thread_reason = Some(format!("the threaded worker did not start ({})", js_reason(&e)));
                new_worker(false)?
            }
            Err(e) => return Err(e),
        };
        let page = Rc::new(Page {
            app: RefCell::new(app),
            worker: RefCell::new(worker),
            generation: Cell::new(0),
            threaded: Cell::new(threaded),
            chosen_files: RefCell::new(None),
            files: RefCell::new(None),
            posted_files: RefCell::new(None),
            checkpoint: RefCell::new(None),
            race_workers: RefCell::new(Vec::new()),
            race_generation: Cell::new(0),
            render_pending: Cell::new(false),
            slowest_update_ms: Cell::new(0.0),
            slow_updates: Cell::new(0),
            updates: Cell::new(0),
        });
        listen_to_worker(&page, &page.worker.borrow());
        Ok(page)
    }

    /// One event: the update (the state borrowed only inside it), then its effects.
    pub fn dispatch(self: &Rc<Self>, msg: Msg) {
        let started = crate::js::now_ms();
        let effects = update(&mut self.app.borrow_mut(), msg);
        for effect in effects {
            self.run(effect);
        }
        self.record_update_time(started);
    }

    /// Keeps files picked or dropped until the update that follows posts them.
    pub fn hold_chosen_files(&self, files: js_sys::Array) {
        *self.chosen_files.borrow_mut() = Some(files);
    }

    fn run(self: &Rc<Self>, effect: Effect) {
        match effect {
            Effect::Send(m) => {
                if let Ok(v) = serde_wasm_bindgen::to_value(&m) {
                    self.post(&v);
                }
            }
            Effect::PostNewFiles(experiment) => {
                if let Some(files) = self.chosen_files.borrow_mut().take() {
                    self.post(&by_hand::file_load(&files, &experiment, None, true));
                    *self.posted_files.borrow_mut() = Some(files);
                }
            }
            Effect::KeepPostedFiles => {
                if let Some(files) = self.posted_files.borrow_mut().take() {
                    *self.files.borrow_mut() = Some(files);
                }
            }
            Effect::PostRestore { experiment, with_files, with_checkpoint } => {
                self.post_restore(experiment, with_files, with_checkpoint)
            }
            Effect::ReplaceWorker => self.replace_worker(),
            Effect::StartRace(lanes) => self.start_race(lanes),
            Effect::SendLane(lane, m) => {
                if let (Some(Some(w)), Ok(v)) = (self.race_workers.borrow().get(lane), serde_wasm_bindgen::to_value(&m)) {
                    let _ = w.post_message(&v);
                }
            }
            Effect::StopRace => self.stop_race(),
            Effect::View(v) => views::show(v),
            Effect::Render => self.request_render(),
        }
    }

    fn post(&self, v: &JsValue) {
        let _ = self.worker.borrow().post_message(v);
    }

    /// Sends a replacement worker what it needs to continue: the last checkpoint with its
    /// experiment, and the files for local data (else the worker loads the experiment's data).
    fn post_restore(&self, experiment: Experiment, with_files: bool, with_checkpoint: bool) {
        let files = if with_files { self.files.borrow().clone() } else { None };
        let checkpoint = if with_checkpoint { self.checkpoint.borrow().clone() } else { None };
        let msg: JsValue = match files {
            Some(files) => by_hand::file_load(&files, &experiment, checkpoint.as_ref(), false),
            None => {
                // ToWorker::Restore, its checkpoint set by hand to the page's Uint8Array
                let Ok(m) = serde_wasm_bindgen::to_value(&ToWorker::Restore { experiment, checkpoint: None }) else {
                    return;
                };
                if let Some(c) = &checkpoint {
                    let _ = js_sys::Reflect::set(&m, &"checkpoint".into(), c);
                }
                m
            }
        };
        self.post(&msg);
    }

    /// Stops the failed worker and starts a new one, which says `Ready` when it runs.
    fn replace_worker(self: &Rc<Self>) {
        self.worker.borrow().terminate();
        self.generation.set(self.generation.get() + 1);
        let threaded = self.app.borrow().one_thread_reason.is_none();
        self.threaded.set(threaded);
        match new_worker(threaded) {
            Ok(worker) => {
                listen_to_worker(self, &worker);
                *self.worker.borrow_mut() = worker;
            }
            // the single-thread worker instead (ThreadsFailed replaces this one again)
            Err(e) if threaded => self.dispatch(Msg::ThreadsFailed { reason: js_reason(&e) }),
            Err(e) => {
                let reason = e.as_string().unwrap_or_else(|| "the worker script did not start".into());
                self.dispatch(Msg::WorkerNotStarted { reason });
            }
        }
    }

    /// Stops the race's workers (their late messages are ignored).
    fn stop_race(&self) {
        self.race_generation.set(self.race_generation.get() + 1);
        for w in self.race_workers.borrow_mut().drain(..).flatten() {
            w.terminate();
        }
    }

    /// A worker per lane, each routed to `Msg::RaceWorker` with its lane; a lane whose worker
    /// does not start, or fails, reports it as an error of that lane.
    fn start_race(self: &Rc<Self>, lanes: usize) {
        self.stop_race();
        let generation = self.race_generation.get();
        for lane in 0..lanes {
            // a lane's worker has one thread: the lanes themselves use the cores
            let worker = match new_worker(false) {
                Ok(w) => w,
                Err(e) => {
                    let message = e.as_string().unwrap_or_else(|| "the worker script did not start".into());
                    self.race_workers.borrow_mut().push(None);
                    self.dispatch(Msg::RaceWorker { lane, msg: FromWorker::Crashed { message } });
                    continue;
                }
            };
            let p = self.clone();
            let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                if p.race_generation.get() != generation {
                    return;
                }
                if let Ok(msg) = serde_wasm_bindgen::from_value::<FromWorker>(e.data()) {
                    p.dispatch(Msg::RaceWorker { lane, msg });
                }
            });
            worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            on_message.forget();
            let p = self.clone();
            let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
                e.prevent_default();
                if p.race_generation.get() == generation {
                    p.dispatch(Msg::RaceWorker { lane, msg: FromWorker::Crashed { message: error_message(&e) } });
                }
            });
            worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            on_error.forget();
            self.race_workers.borrow_mut().push(Some(worker));
        }
    }

    /// Draws the charts once in the next animation frame, however many messages arrive before
    /// it: a fast small model posts hundreds a second, and the page must not fall behind.
    fn request_render(self: &Rc<Self>) {
        if self.render_pending.replace(true) {
            return;
        }
        let page = self.clone();
        let frame = Closure::once_into_js(move || {
            page.render_pending.set(false);
            let started = crate::js::now_ms();
            let charts = views::Charts::of(&page.app.borrow());
            views::render(&charts);
            page.record_update_time(started);
        });
        if let Some(w) = web_sys::window() {
            let _ = w.request_animation_frame(frame.unchecked_ref());
        }
    }

    /// Keeps the slowest update or render so far on the loss chart, as `data-slowest-update-ms`,
    /// the number over 50 ms as `data-slow-updates` and the number of all as `data-updates` (the
    /// e2e tests read them: the page's own work stays under 50 ms but for a rare pause of the
    /// browser or the machine).
    fn record_update_time(&self, started_ms: f64) {
        let took = crate::js::now_ms() - started_ms;
        let chart = || by_id::<web_sys::Element>("loss-chart");
        self.updates.set(self.updates.get().saturating_add(1));
        let _ = chart().set_attribute("data-updates", &self.updates.get().to_string());
        if took > self.slowest_update_ms.get() {
            self.slowest_update_ms.set(took);
            let _ = chart().set_attribute("data-slowest-update-ms", &format!("{took:.1}"));
        }
        if took > 50.0 {
            self.slow_updates.set(self.slow_updates.get().saturating_add(1));
            let _ = chart().set_attribute("data-slow-updates", &self.slow_updates.get().to_string());
        }
    }
}

/// A module whose one function returns `f32x4.relaxed_madd` of three zero vectors: it
/// validates only where relaxed SIMD is supported. Sections: type `() -> v128`, one function,
/// code: no locals, 3 × `v128.const` (0xfd 0x0c + 16 bytes), relaxed_madd (0xfd 0x85 0x02), end.
#[rustfmt::skip]
const RELAXED_SIMD_PROBE: [u8; 82] = [
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, // magic, version
    1, 5, 1, 0x60, 0, 1, 0x7b, // type section: func () -> v128
    3, 2, 1, 0, // function section: one function of type 0
    10, 61, 1, 59, 0, // code section: one body of 59 bytes, no locals
    0xfd, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0xfd, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0xfd, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0xfd, 0x85, 0x02, 0x0b, // f32x4.relaxed_madd, end
];

/// CPU cores below which the page keeps the single-thread worker: one core draws the page, and a
/// pool on what is left only contends with it. On 2 cores the default MNIST setup reached 95 %
/// test accuracy in 1.7 s threaded against 1.0 s on one thread with relaxed SIMD
/// (`bench/time-to-accuracy.mjs`).
const THREADS_MIN_CORES: u32 = 3;

/// The CPU cores the browser reports (`navigator.hardwareConcurrency`; 1 if it does not).
fn cores() -> u32 {
    let navigator = js_sys::Reflect::get(&js_sys::global(), &"navigator".into()).ok();
    let cores = navigator.and_then(|n| js_sys::Reflect::get(&n, &"hardwareConcurrency".into()).ok());
    cores.and_then(|c| c.as_f64()).map_or(1, |c| c.clamp(1.0, 1024.0) as u32)
}

/// Threads of the threaded worker's pool: one per core but the one that draws the page.
fn pool_threads() -> u32 {
    cores().saturating_sub(1).max(1)
}

/// Why this page does not run the threaded worker (`None`: it does). Its pool shares one
/// `WebAssembly.Memory` between workers, which needs `SharedArrayBuffer`, which browsers give
/// only to a cross-origin isolated page; and it pays only from `THREADS_MIN_CORES` cores.
pub fn threads_unavailable() -> Option<&'static str> {
    let isolated = js_sys::Reflect::get(&js_sys::global(), &"crossOriginIsolated".into());
    if isolated.ok().and_then(|v| v.as_bool()) != Some(true) {
        return Some(
            "this page is not cross-origin isolated (its server sends no COOP/COEP headers), so workers cannot share memory",
        );
    }
    (cores() < THREADS_MIN_CORES)
        .then_some("this computer has 2 CPU cores or fewer: one draws the page, and one thread trains faster on its own")
}

/// The single-thread worker build to load: the relaxed-SIMD one where the browser validates
/// relaxed SIMD.
fn worker_script() -> &'static str {
    let probe = js_sys::Uint8Array::from(&RELAXED_SIMD_PROBE[..]);
    match js_sys::WebAssembly::validate(&probe.into()) {
        Ok(true) => "./worker_relaxed_loader.js",
        _ => "./worker_loader.js",
    }
}

/// The threaded worker (a module worker: xtask/src/threads.rs), else the single-thread one.
fn new_worker(threaded: bool) -> Result<Worker, JsValue> {
    if threaded {
        let options = web_sys::WorkerOptions::new();
        options.set_type(web_sys::WorkerType::Module);
        // the loader reads its pool's size from its name
        options.set_name(&format!("webgrad-threads-{}", pool_threads()));
        return Worker::new_with_options("./worker_threads_loader.js", &options);
    }
    Worker::new_with_options(worker_script(), &web_sys::WorkerOptions::new())
}

/// Routes the worker's messages to the page while it is the current one; an error event (a
/// trap, memory exhausted) replaces it, as a panic it reports does (`FromWorker::Crashed`).
fn listen_to_worker(page: &Rc<Page>, worker: &Worker) {
    let generation = page.generation.get();
    let p = page.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        if p.generation.get() != generation {
            return;
        }
        let data = e.data();
        if let Some((experiment, epoch, bytes)) = by_hand::read_checkpoint(&data) {
            *p.checkpoint.borrow_mut() = Some(bytes);
            return p.dispatch(Msg::CheckpointSaved { experiment, epoch });
        }
        match serde_wasm_bindgen::from_value::<FromWorker>(data) {
            Ok(msg) => p.dispatch(Msg::Worker(msg)),
            Err(err) => super::dom::set_text("error", &format!("unexpected message from the worker: {err}")),
        }
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let p = page.clone();
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
        e.prevent_default();
        if p.generation.get() != generation {
            return;
        }
        let reason = error_message(&e);
        // the threaded worker failed before its Ready: the single-thread one takes over
        let before_ready = !p.app.borrow().ready;
        if p.threaded.get() && before_ready {
            p.dispatch(Msg::ThreadsFailed { reason });
        } else {
            p.dispatch(Msg::WorkerFailed { reason });
        }
    });
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
}

/// What a worker's error event says: an ErrorEvent's message for an exception or a trap; a
/// module worker whose script did not load gets a plain Event (so `message` is read, never
/// called through ErrorEvent's getter, which throws on an Event).
fn error_message(e: &web_sys::Event) -> String {
    message_of(e).unwrap_or_else(|| "its script did not load".to_string())
}

/// What a failed call into the browser said (an exception's message, else its text).
fn js_reason(e: &JsValue) -> String {
    message_of(e).or_else(|| e.as_string()).unwrap_or_else(|| "the browser refused it".into())
}

/// A JS object's non-empty `message` property.
fn message_of(v: &JsValue) -> Option<String> {
    let message = js_sys::Reflect::get(v, &"message".into()).ok().and_then(|m| m.as_string());
    message.filter(|m| !m.is_empty())
}
