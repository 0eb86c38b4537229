//! Dead and saturated units, counted by the training step itself: the monitor hands the trainer
//! an [`Activity`], and the step adds its hidden outputs' terms into it right after its forward
//! pass. Those calls are recorded with the step, so a replayed step adds again on its own: on the
//! CPU as part of the recorded call list, on a GPU inside the step's single submit, creating
//! nothing. Between steps the monitor only zeroes the sums (at a window's start) and reduces them
//! (at a read).

use webgrad_core::{Device, Tensor};

use crate::config::ActivationName;
use crate::{Error, Result};

/// What is summed per unit of a hidden layer, by its activation: a number ≥ 0 per sample that
/// is 0 exactly when the unit is dead / saturated on it, so that the sum over the window is 0
/// exactly when the unit is dead / saturated on every sample (a sum of non-negative floats is 0
/// only when each term is). No comparison ops, which run element by element on the CPU.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Units {
    /// ReLU: the output itself (≥ 0; 0 where the unit is dead)
    Alive,
    /// tanh / sigmoid: relu(bound − |output − center|), 0 where |output − center| ≥ bound
    Unsaturated { center: f32, bound: f32 },
}

impl Units {
    /// What a layer with this activation counts; `saturation` bounds |pre-activation|.
    pub(super) fn of(act: ActivationName, saturation: f32) -> Option<Units> {
        match act {
            ActivationName::Relu => Some(Units::Alive),
            ActivationName::Tanh => Some(Units::Unsaturated { center: 0.0, bound: saturation.tanh() }),
            ActivationName::Sigmoid => {
                Some(Units::Unsaturated { center: 0.5, bound: 1.0 / (1.0 + (-saturation).exp()) - 0.5 })
            }
            _ => None,
        }
    }

    /// The per-sample terms of hidden outputs h: [rows, width] → [rows, width], ≥ 0.
    fn term(self, h: &Tensor) -> Tensor {
        match self {
            Units::Alive => h.clone(),
            Units::Unsaturated { center: 0.0, bound } => h.abs().affine(-1.0, bound).relu(),
            Units::Unsaturated { center, bound } => h.add_scalar(-center).abs().affine(-1.0, bound).relu(),
        }
    }
}

/// Per hidden layer that counts `Units`, a [rows, width] sum that each training step adds its
/// terms into, row by row (a batch of fewer rows adds into the first ones). Summed over its
/// rows, a unit's column is 0 exactly when it was dead / saturated on every sample added.
pub(crate) struct Activity {
    device: Device,
    /// per hidden layer: what it counts and its sum, `None` for other activations
    layers: Vec<Option<(Units, Tensor)>>,
    rows: usize,
}

impl Activity {
    /// Zero sums of `rows` rows for hidden layers of these `units` and `widths`. Errors when a
    /// sum's size overflows.
    pub(super) fn new(device: &Device, units: &[Option<Units>], widths: &[usize], rows: usize) -> Result<Activity> {
        let layers = units
            .iter()
            .zip(widths)
            .map(|(u, &width)| match u {
                Some(u) => {
                    rows.checked_mul(width).ok_or_else(|| Error::Config(format!("{rows} × {width} unit sums")))?;
                    Ok(Some((*u, Tensor::zeros(device, &[rows, width]))))
                }
                None => Ok(None),
            })
            .collect::<Result<_>>()?;
        Ok(Activity { device: device.clone(), layers, rows })
    }

    /// The most rows a step may add.
    pub(super) fn rows(&self) -> usize {
        self.rows
    }

    /// The same sums in `rows` ≥ `self.rows()` rows (a larger batch came).
    pub(super) fn grown(&self, rows: usize) -> Result<Activity> {
        let units: Vec<_> = self.layers.iter().map(|l| l.as_ref().map(|(u, _)| *u)).collect();
        let widths: Vec<_> = self.layers.iter().map(|l| l.as_ref().map_or(0, |(_, s)| s.shape()[1])).collect();
        let bigger = Activity::new(&self.device, &units, &widths, rows)?;
        for (new, old) in bigger.layers.iter().zip(&self.layers) {
            if let (Some((_, new)), Some((_, old))) = (new, old) {
                self.device.accumulate(new.buffer(), old.buffer(), old.numel(), 1.0);
            }
        }
        Ok(bigger)
    }

    /// Adds one step's hidden outputs (`hidden`: [len, width] per hidden layer, len ≤ `rows`).
    /// Called by the training step after its forward pass, so a recorded step repeats it.
    pub(crate) fn add(&self, hidden: &[Tensor]) {
        for (layer, h) in self.layers.iter().zip(hidden) {
            let Some((units, sum)) = layer else { continue };
            let term = units.term(h);
            // never more than the sum holds (the monitor grows it before a larger batch)
            self.device.accumulate(sum.buffer(), term.buffer(), term.numel().min(sum.numel()), 1.0);
        }
    }

    /// Sets every sum to zero (between steps: a window's start).
    pub(super) fn zero(&self) {
        for (_, sum) in self.layers.iter().flatten() {
            self.device.write(sum.buffer(), &vec![0.0; sum.numel()]);
        }
    }

    /// Per hidden layer, whether it counts units.
    pub(super) fn counted(&self) -> Vec<bool> {
        self.layers.iter().map(Option::is_some).collect()
    }

    /// Per counting layer, [1]: how many of its units were dead / saturated on every sample.
    pub(super) fn zero_units(&self) -> Vec<Tensor> {
        let zero = Tensor::scalar(&self.device, 0.0);
        // [rows, width] → per unit [width] → those exactly 0 → [1]
        self.layers.iter().flatten().map(|(_, s)| s.sum_axis(0, false).eq_mask(&zero).sum().reshape(&[1])).collect()
    }
}
