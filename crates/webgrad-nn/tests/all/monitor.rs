//! Health monitors on the CPU: the figures against a hand count (`monitor_case`), a diverging run
//! whose recovery names the layer and operation and puts back the weights from before the step
//! that broke it, bit for bit, and the alerts in words.
#![cfg(not(target_arch = "wasm32"))]

use crate::monitor_case;
use webgrad_nn::monitor::Cleared;
use webgrad_nn::monitor::{AlertKind, LayerReading, Monitor, MonitorConfig, Reading};
use webgrad_nn::{ActivationName, Alerts, ModelFile, Preprocessing, Trainer, checkpoint};

#[test]
fn monitors_match_a_hand_count() {
    let device = webgrad_core::cpu();
    pollster::block_on(monitor_case::hand_count(&device));
}

/// The sums cover the window: every step's rows are counted (a unit alive on one of them is not
/// dead), and `every` picks the steps whose gradients and updates are averaged.
#[test]
fn a_window_counts_every_monitored_row_and_every_picks_steps() {
    let device = webgrad_core::cpu();
    let data = monitor_case::data();
    for (every, sampled) in [(1, 3), (2, 2), (5, 1)] {
        let mut t = monitor_case::trainer(&device);
        let mut m = Monitor::new(&t.model, MonitorConfig { every, ..MonitorConfig::default() }).unwrap();
        for _ in 0..3 {
            m.step(&mut t, &data).unwrap();
        }
        let r = pollster::block_on(m.read().unwrap().wait()).unwrap();
        assert_eq!((r.first_step, r.last_step, r.sampled_steps, r.samples), (1, 3, sampled, 12));
        // the first step's figures are the hand count's; later steps can only revive units
        assert!(r.layers[0].dead_fraction.unwrap() <= 0.25);
    }
    let t = monitor_case::trainer(&device);
    assert!(Monitor::new(&t.model, MonitorConfig { every: 0, ..MonitorConfig::default() }).is_err());
    assert!(Monitor::new(&t.model, MonitorConfig { saturation: f32::NAN, ..MonitorConfig::default() }).is_err());
}

/// The whole training state as a checkpoint: weights, optimizer state, step count and cursor,
/// each tensor as its bits.
async fn state(t: &Trainer) -> Vec<(String, Vec<u32>)> {
    let file = ModelFile::new(&t.model.config, Vec::new(), Preprocessing::default(), "diverge");
    let bytes = checkpoint::save(t, &file).await.unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut out: Vec<_> = st
        .tensors()
        .into_iter()
        .map(|(name, view)| {
            let bits = view.data().chunks_exact(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
            (name, bits)
        })
        .collect();
    out.sort();
    out.push(("step, epoch, batch".into(), vec![t.optimizer.step as u32, t.cursor.epoch as u32, t.cursor.step as u32]));
    out
}

fn assert_same_state(a: &[(String, Vec<u32>)], b: &[(String, Vec<u32>)], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: tensor count");
    for ((na, va), (nb, vb)) in a.iter().zip(b) {
        assert_eq!(na, nb, "{what}");
        let first = va.iter().zip(vb).position(|(x, y)| x != y);
        assert!(
            first.is_none() && va.len() == vb.len(),
            "{what}: {na} differs at {first:?}: {:?} vs {:?}",
            first.map(|i| f32::from_bits(va[i])),
            first.map(|i| f32::from_bits(vb[i]))
        );
    }
}

#[test]
fn a_divergence_names_the_layer_and_keeps_the_weights_from_before_it() {
    pollster::block_on(async {
        let device = webgrad_core::cpu();
        let (d, mut t, mut reference, mut m, data) = monitor_case::divergence(&device).await;
        // bit for bit the state of a run stopped before step s − 1 (weights, momentum, cursor)
        assert_same_state(&state(&t).await, &state(&reference).await, "the kept state");
        monitor_case::trains_on_alike(&mut t, &mut reference, &mut m, &data).await;
        assert!(d.message().contains("lower the learning rate (now 0.01)"));
    });
}

/// Layer 2's linear map overflows at once: hidden layer 1's units are about 1e30 and layer 2's
/// weights 1e10. The message names the layer and the operation; with no earlier step, the weights
/// kept are the ones the run started from.
#[test]
fn a_layer_whose_output_overflows_is_named() {
    pollster::block_on(async {
        let device = webgrad_core::cpu();
        let (t, data) = monitor_case::diverging(&device);
        monitor_case::overflow_layer_2(&t);
        let start = state(&t).await;
        let (_, t) = monitor_case::overflow(t, &data).await;
        // the starting weights; the optimizer's momentum, made by the step, back to zeros
        let (momentum, rest): (Vec<_>, Vec<_>) = state(&t).await.into_iter().partition(|(n, _)| n.starts_with("optim"));
        assert!(momentum.iter().all(|(_, bits)| bits.iter().all(|&b| b == 0)));
        assert_same_state(&rest, &start, "the kept state");
    });
}

/// A window whose batches grow (a first data set of 2 rows, then one of 4 at batch size 4) keeps
/// what the smaller batch counted when its sums grow: unit u1 of the hand-count network is alive
/// only on the first set's rows (x0 = 1), so it is not dead over the window (1 dead unit of 4,
/// not 2). The learning rate is too small to move the weights.
#[test]
fn a_window_keeps_its_counts_when_its_batches_grow() {
    let device = webgrad_core::cpu();
    let rows = |x: Vec<f32>| {
        let n = x.len() / 2;
        let targets = webgrad_data::Targets::Regression { values: vec![-1.0; n], outputs: 1 };
        webgrad_data::Dataset::new("rows", x, n, 2, targets, None).unwrap()
    };
    let (small, large) = (rows(vec![1.0, 0.0, 1.0, 1.0]), rows(vec![0.0, 0.5, 0.25, 1.0, 0.5, 0.0, 0.1, 0.25]));
    let mut t = monitor_case::trainer(&device);
    t.optimizer.config.set_lr(1e-30);
    let mut m = Monitor::new(&t.model, MonitorConfig::default()).unwrap();
    m.step(&mut t, &small).unwrap();
    m.step(&mut t, &large).unwrap();
    let r = pollster::block_on(m.read().unwrap().wait()).unwrap();
    assert_eq!((r.first_step, r.last_step, r.samples), (1, 2, 6));
    assert_eq!(r.layers[0].dead_fraction, Some(0.25));
    // the large set alone: u1 dead too
    m.end_window();
    m.step(&mut t, &large).unwrap();
    let r = pollster::block_on(m.read().unwrap().wait()).unwrap();
    assert_eq!(r.layers[0].dead_fraction, Some(0.5));
}

#[test]
fn recovering_a_healthy_run_changes_nothing() {
    pollster::block_on(async {
        let device = webgrad_core::cpu();
        let (mut t, data) = monitor_case::diverging(&device);
        let mut m = Monitor::new(&t.model, MonitorConfig::default()).unwrap();
        for _ in 0..4 {
            m.step(&mut t, &data).unwrap();
        }
        let before = state(&t).await;
        assert_eq!(m.recover(&mut t, &data).await.unwrap(), None);
        assert_same_state(&state(&t).await, &before, "after recovering");
        assert_eq!(t.optimizer.step, 4);
    });
}

/// After an edit outside `Monitor::step` (here a learning rate of 0, which no replay from the
/// states kept before it would use) `forget` drops those states: a recovery first has nothing to
/// go back to, and after one more step goes back only to the state after the edit.
#[test]
fn forget_drops_the_states_kept_before_an_edit() {
    pollster::block_on(async {
        let device = webgrad_core::cpu();
        let (mut t, data) = monitor_case::diverging(&device);
        let mut m = Monitor::new(&t.model, MonitorConfig::default()).unwrap();
        for _ in 0..3 {
            m.step(&mut t, &data).unwrap();
        }
        t.optimizer.config.set_lr(0.0);
        m.forget();
        assert!(m.recover(&mut t, &data).await.is_err(), "no state kept since the edit");
        let edited = state(&t).await;
        m.step(&mut t, &data).unwrap();
        assert_eq!(m.recover(&mut t, &data).await.unwrap(), None);
        assert_eq!(t.optimizer.step, 4, "replayed from the state after the edit");
        // a step at learning rate 0 leaves the weights as the edit left them (a replay from a
        // state kept before the edit would have put back earlier weights)
        let weights = |s: Vec<(String, Vec<u32>)>| -> Vec<_> {
            s.into_iter().filter(|(n, _)| !n.starts_with("optim") && !n.starts_with("step")).collect()
        };
        assert_same_state(&weights(state(&t).await), &weights(edited), "the weights after the edit");
    });
}

fn reading(first_step: u64, layers: Vec<LayerReading>) -> Reading {
    Reading { first_step, last_step: first_step + 99, sampled_steps: 100, samples: 6400, layers }
}

fn layer(activation: Option<ActivationName>, dead: Option<f64>, grad_norm: f64, update_ratio: f64) -> LayerReading {
    LayerReading { activation, dead_fraction: dead, saturated_fraction: None, grad_norm, update_ratio }
}

#[test]
fn alerts_name_the_layer_the_step_and_a_remedy_once_per_onset() {
    let relu = Some(ActivationName::Relu);
    let healthy = |first| reading(first, vec![layer(relu, Some(0.1), 0.5, 1e-3), layer(None, None, 0.8, 2e-3)]);
    let dead = |first| reading(first, vec![layer(relu, Some(0.85), 0.5, 1e-3), layer(None, None, 0.8, 2e-3)]);
    let mut alerts = Alerts::default();
    assert!(alerts.update(&healthy(1), 5.0).is_empty());
    let said = alerts.update(&dead(1201), 5.0);
    assert_eq!(said.len(), 1, "{said:?}");
    assert_eq!(
        said[0].message,
        "layer 1: 85 % of ReLU units output 0 on every sample since step 1,201 — try a lower learning rate or leaky ReLU"
    );
    assert_eq!((said[0].kind, said[0].layer, said[0].since_step), (AlertKind::DeadUnits, 0, 1201));
    assert!(alerts.update(&dead(1301), 5.0).is_empty(), "said again while it holds");
    assert!(alerts.update(&healthy(1401), 5.0).is_empty());
    assert!(alerts.update(&dead(1501), 5.0).is_empty(), "one healthy window between does not clear it");
    assert!(alerts.cleared().is_empty());
    for first in [1601, 1701, 1801] {
        assert!(alerts.update(&healthy(first), 5.0).is_empty());
    }
    // cleared after three healthy windows in a row, said once, with the last step it held at
    let cleared = Cleared { kind: AlertKind::DeadUnits, layer: 0, last_step: 1600 };
    assert_eq!(alerts.cleared(), [cleared]);
    assert_eq!(
        cleared.message(2),
        "layer 1: over half of its ReLU units output 0 on every sample until step 1,600 (over)"
    );
    assert_eq!(alerts.update(&dead(1901), 5.0)[0].since_step, 1901, "a new onset is said again");

    let mut alerts = Alerts::default();
    let wild = reading(1, vec![layer(relu, Some(0.0), 250.0, 0.3), layer(None, None, 1e-6, 1e-8)]);
    let said: Vec<_> = alerts.update(&wild, 5.0).into_iter().map(|a| (a.kind, a.layer)).collect();
    assert_eq!(
        said,
        [(AlertKind::ExplodingGradient, 0), (AlertKind::LargeUpdates, 0), (AlertKind::TinyUpdates, 1)],
        "the output layer is not a hidden layer: no vanishing-gradient alert"
    );
    // layer 2 dead: layer 1 gets no gradient through it, which its alert explains
    let blocked = reading(
        1,
        vec![layer(relu, Some(0.0), 0.0, 0.0), layer(relu, Some(0.95), 0.0, 0.0), layer(None, None, 0.3, 1e-3)],
    );
    let said: Vec<_> = Alerts::default().update(&blocked, 5.0).into_iter().map(|a| (a.kind, a.layer)).collect();
    assert_eq!(said, [(AlertKind::DeadUnits, 1)]);
    let vanishing = reading(1, vec![layer(relu, Some(0.0), 1e-5, 1e-3), layer(None, None, 1.0, 1e-3)]);
    let said = Alerts::default().update(&vanishing, 0.01);
    assert_eq!(said.len(), 1);
    assert!(said[0].message.starts_with("layer 1: the gradient norm 1.0e-5 is under 1/1,000"), "{}", said[0].message);
}
