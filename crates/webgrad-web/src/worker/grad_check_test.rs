//! The page's gradient check of a deliberately wrong backward pass, in headless Chromium (this
//! crate's browser tests): the worker's own check (`grad_check_tampered`, what `grad_check`
//! runs with the gradients untouched) on the spiral playground's model, read through the page's
//! table (`app::grad_view::rows`). A layer whose weight gradient is 10 % too large is called
//! wrong, in words, and the others agree; untouched, every layer agrees.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen_test::*;

use super::*;
use crate::app::grad_view;

wasm_bindgen_test_configure!(run_in_browser);

/// A worker's state on the CPU with the spiral playground built (Reset) and what it posted.
async fn spiral_worker() -> (TrainerState, Rc<RefCell<Vec<FromWorker>>>, Box<Post>) {
    let posted = Rc::new(RefCell::new(Vec::new()));
    let sink = posted.clone();
    let post: Box<Post> = Box::new(move |m| sink.borrow_mut().push(m));
    let mut state = TrainerState { ephemeral: true, ..TrainerState::new(Devices::new()) };
    let e = Experiment::defaults_for("spiral");
    let loaded = load(&e.data, e.seed, &post, &Cancel::default()).await.map(Some);
    assert!(state.handle_reset(e, loaded, &post).await, "Reset failed: {:?}", posted.borrow());
    posted.borrow_mut().clear();
    (state, posted, post)
}

/// The page's table rows of the check the worker posted last.
fn table(posted: &RefCell<Vec<FromWorker>>) -> Vec<[String; 5]> {
    match posted.borrow().last() {
        Some(FromWorker::GradCheck(c)) => grad_view::rows(c),
        other => panic!("the worker posted {other:?}, not a gradient check"),
    }
}

#[wasm_bindgen_test]
async fn a_wrong_backward_pass_shows_as_a_large_error_in_the_page() {
    let (mut state, posted, post) = spiral_worker().await;
    let eps = grad_view::eps_of_slider(-2.5); // the slider's default, ≈ 3e-3
    state.grad_check(eps, &post).await;
    let right = table(&posted);
    assert!(right.len() >= 2, "{right:?}");
    for row in &right {
        assert_eq!(row[4], "agrees", "{row:?}");
        assert!(row[2].parse::<f64>().unwrap() < grad_view::AGREES, "{row:?}");
    }
    // layer 1's weight gradient (parameter 0) 10 % too large, as a wrong backward pass makes it
    state.grad_check_tampered(eps, &post, |i, g| if i == 0 { g.iter_mut().for_each(|v| *v *= 1.1) }).await;
    let wrong = table(&posted);
    assert_eq!(wrong[0][0], "layer 1");
    assert_eq!(wrong[0][4], "disagrees: this layer's backward pass looks wrong", "{wrong:?}");
    let median: f64 = wrong[0][2].parse().unwrap();
    assert!((median - 0.1 / 1.1).abs() < 0.01, "median relative error {median}");
    assert!(wrong[1..].iter().all(|row| row[4] == "agrees"), "{wrong:?}");
}
