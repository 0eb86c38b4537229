//! Readings in words: each alert names the layer, the step since which its condition holds and a
//! likely remedy, and is said once when the condition begins (again only after it has cleared:
//! been absent from [`CLEAR_AFTER`] readings in a row, so that a figure that hovers about its
//! threshold is not said every other window).
//!
//! The thresholds, and why:
//! - more than half of a ReLU layer's units dead, or of a tanh/sigmoid layer's units saturated:
//!   such a layer passes (almost) no gradient through most of its units, so most of it has
//!   stopped learning;
//! - a gradient norm above [`EXPLODING_GRAD`] (100): with a mean loss over the batch, inputs
//!   on a unit scale and Glorot/He initialisation, layer gradient norms are about 0.01–10; a
//!   hundred means activations or weights have grown far out of that range;
//! - a hidden layer's gradient norm under [`VANISHING_GRAD`] (1/1,000) of the largest layer's:
//!   the gradient fades on its way back to the first layers, which then barely learn;
//! - an update ratio ‖Δw‖/‖w‖ above [`LARGE_UPDATE`] (0.1) or below [`TINY_UPDATE`] (1e-6): a
//!   healthy step changes a layer by about 0.1 % (1e-3); 10 % a step overshoots, 1e-6 barely
//!   moves.
//!
//! Gradient and update alerts are not given for a layer whose units are mostly dead or
//! saturated: that alert already says why. Nor are vanishing-gradient and tiny-update alerts for
//! the layers before such a layer: the gradient reaches them through its units, which pass
//! (almost) none, and the alert on that layer names the cause.

use serde::{Deserialize, Serialize};

use super::Reading;
use super::diagnose::grouped;

/// Above this fraction of dead ReLU units a layer gets an alert.
pub const DEAD_UNITS: f64 = 0.5;
/// Above this fraction of saturated tanh/sigmoid units a layer gets an alert.
pub const SATURATED_UNITS: f64 = 0.5;
/// A layer gradient norm above this is exploding.
pub const EXPLODING_GRAD: f64 = 100.0;
/// A hidden layer's gradient norm below this fraction of the largest layer's is vanishing.
pub const VANISHING_GRAD: f64 = 1e-3;
/// An update ratio above this is too large a step.
pub const LARGE_UPDATE: f64 = 0.1;
/// An update ratio below this is too small a step.
pub const TINY_UPDATE: f64 = 1e-6;
/// A condition counts as cleared once it was absent from this many readings in a row.
pub const CLEAR_AFTER: u32 = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AlertKind {
    DeadUnits,
    SaturatedUnits,
    ExplodingGradient,
    VanishingGradient,
    LargeUpdates,
    TinyUpdates,
}

impl AlertKind {
    /// The condition in a few words, e.g. "steps over 10 % of the weights' size".
    pub fn condition(self) -> &'static str {
        match self {
            AlertKind::DeadUnits => "over half of its ReLU units output 0 on every sample",
            AlertKind::SaturatedUnits => "over half of its units saturated",
            AlertKind::ExplodingGradient => "a gradient norm over 100",
            AlertKind::VanishingGradient => "a gradient under 1/1,000 of the largest layer's",
            AlertKind::LargeUpdates => "steps over 10 % of the weights' size",
            AlertKind::TinyUpdates => "steps under 1e-6 of the weights' size",
        }
    }
}

/// "layer 2" for hidden layer 1 (from 0) of a model with `layers` linear layers; the last is
/// "output layer".
fn layer_name(l: usize, layers: usize) -> String {
    if l + 1 < layers { format!("layer {}", l + 1) } else { "output layer".into() }
}

/// One alert: its condition began in the window whose first step is `since_step`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub kind: AlertKind,
    /// the linear layer, from 0: hidden layers first, the output layer last
    pub layer: usize,
    pub since_step: u64,
    /// e.g. "layer 2: 85 % of ReLU units output 0 on every sample since step 1,201 — try a
    /// lower learning rate or leaky ReLU"
    pub message: String,
}

/// A condition said before that has cleared: absent from [`CLEAR_AFTER`] readings in a row
/// since the last window it held, which ended at `last_step`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cleared {
    pub kind: AlertKind,
    pub layer: usize,
    pub last_step: u64,
}

impl Cleared {
    /// In words, for a model of `layers` linear layers, e.g. "layer 1: steps over 10 % of the
    /// weights' size until step 800 (over)".
    pub fn message(&self, layers: usize) -> String {
        let (name, step) = (layer_name(self.layer, layers), grouped(self.last_step));
        format!("{name}: {} until step {step} (over)", self.kind.condition())
    }
}

/// A condition said and not yet cleared: how many readings in a row it has been absent from,
/// and the last step of the last window it held.
#[derive(Clone, Copy, Debug)]
struct Active {
    kind: AlertKind,
    layer: usize,
    absent: u32,
    last_step: u64,
}

/// The conditions said and not yet cleared, so that each alert is said once per onset, and
/// those the last reading cleared.
#[derive(Clone, Debug, Default)]
pub struct Alerts {
    active: Vec<Active>,
    cleared: Vec<Cleared>,
}

fn percent(f: f64) -> String {
    format!("{:.0} %", 100.0 * f)
}

/// 0 → "0", 0.00042 → "4.2e-4".
fn sci(v: f64) -> String {
    if v == 0.0 { "0".into() } else { format!("{v:.1e}") }
}

/// Whether layer `l`'s units are mostly dead or saturated.
fn units_off(r: &Reading, l: usize) -> bool {
    let x = &r.layers[l];
    x.dead_fraction.is_some_and(|f| f > DEAD_UNITS) || x.saturated_fraction.is_some_and(|f| f > SATURATED_UNITS)
}

/// Each condition that holds for layer `l` of `r`: its kind, what it is, and the remedy.
fn conditions(r: &Reading, l: usize, lr: f64) -> Vec<(AlertKind, String, String)> {
    let x = &r.layers[l];
    let hidden = l + 1 < r.layers.len();
    let mut out = Vec::new();
    let act = x.activation.map_or("", |a| a.name());
    if let Some(f) = x.dead_fraction.filter(|&f| f > DEAD_UNITS) {
        let what = format!("{} of ReLU units output 0 on every sample", percent(f));
        out.push((AlertKind::DeadUnits, what, "try a lower learning rate or leaky ReLU".into()));
    }
    if let Some(f) = x.saturated_fraction.filter(|&f| f > SATURATED_UNITS) {
        let what = format!("{} of {act} units are saturated (|pre-activation| ≥ 3 on every sample)", percent(f));
        let remedy = "try a lower learning rate, normalised inputs or a smaller initialisation";
        out.push((AlertKind::SaturatedUnits, what, remedy.into()));
    }
    if !out.is_empty() {
        return out;
    }
    // a later layer whose units pass no gradient explains a small one here
    let blocked = (l + 1..r.layers.len()).any(|k| units_off(r, k));
    let largest = r.layers.iter().map(|l| l.grad_norm).filter(|g| g.is_finite()).fold(0.0, f64::max);
    let g = x.grad_norm;
    if g > EXPLODING_GRAD {
        let what = format!("the gradient norm is {g:.1e} (above {EXPLODING_GRAD})");
        let remedy = format!("the steps are blowing up: try a lower learning rate (now {lr}) or gradient clipping");
        out.push((AlertKind::ExplodingGradient, what, remedy));
    } else if hidden && !blocked && largest > 0.0 && g < VANISHING_GRAD * largest {
        let what = format!("the gradient norm {} is under 1/1,000 of the largest layer's ({largest:.1e})", sci(g));
        let remedy = "the gradient vanishes on its way back: try ReLU, He initialisation or fewer layers";
        out.push((AlertKind::VanishingGradient, what, remedy.into()));
    }
    let u = x.update_ratio;
    if u > LARGE_UPDATE {
        let what = format!("each step changes the weights by {} of their size (about 0.1 % is typical)", percent(u));
        out.push((AlertKind::LargeUpdates, what, format!("try a lower learning rate (now {lr})")));
    } else if u < TINY_UPDATE && !blocked {
        let what = format!("each step changes the weights by only {} of their size", sci(u));
        out.push((
            AlertKind::TinyUpdates,
            what,
            format!("training has nearly stopped: try a higher learning rate (now {lr})"),
        ));
    }
    out
}

impl Alerts {
    /// The alerts whose condition holds in `r` (a window's reading) but did not in the last
    /// reading given; `lr` is the learning rate now, for the remedies.
    pub fn update(&mut self, r: &Reading, lr: f64) -> Vec<Alert> {
        let mut new = Vec::new();
        // every condition said before is one reading more absent, until it shows up below
        for a in &mut self.active {
            a.absent += 1;
        }
        for l in 0..r.layers.len() {
            let name = layer_name(l, r.layers.len());
            for (kind, what, remedy) in conditions(r, l, lr) {
                match self.active.iter_mut().find(|a| (a.kind, a.layer) == (kind, l)) {
                    Some(a) => (a.absent, a.last_step) = (0, r.last_step),
                    None => {
                        self.active.push(Active { kind, layer: l, absent: 0, last_step: r.last_step });
                        let since = grouped(r.first_step);
                        let message = format!("{name}: {what} since step {since} — {remedy}");
                        new.push(Alert { kind, layer: l, since_step: r.first_step, message });
                    }
                }
            }
        }
        let gone = self.active.iter().filter(|a| a.absent >= CLEAR_AFTER);
        self.cleared = gone.map(|a| Cleared { kind: a.kind, layer: a.layer, last_step: a.last_step }).collect();
        self.active.retain(|a| a.absent < CLEAR_AFTER);
        new
    }

    /// The conditions the last [`Alerts::update`] found cleared (each once: it is said again
    /// only after a new onset).
    pub fn cleared(&self) -> &[Cleared] {
        &self.cleared
    }
}
