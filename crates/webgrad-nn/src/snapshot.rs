//! A trainer's whole state copied on its device (weights, optimizer state, step count, data
//! cursor) and put back later, bit for bit: what the health monitor keeps so that a run whose
//! loss turned non-finite can go back to the weights from before the step that broke it.
//!
//! Taking a snapshot reads nothing back: it is one device copy per buffer, ordered after the
//! steps made so far. Restoring reads the copies back (async, as every read) and writes them into
//! the trainer's own buffers in place, so recorded step plans (which are keyed on those buffers)
//! replay on the restored state unchanged.

use webgrad_core::{Buffer, Device};
use webgrad_data::Cursor;

use crate::train::Trainer;
use crate::{Error, Result};

/// A copy of a [`Trainer`]'s state on its device (see the module doc).
pub struct Snapshot {
    device: Device,
    /// one copy per parameter, in `Mlp::parameters` order, with its length
    params: Vec<(Buffer, usize)>,
    /// per parameter, a copy of each optimizer state slot (same lengths); empty before the
    /// optimizer's first step, when its state is all zeros
    state: Vec<Vec<Buffer>>,
    /// completed optimizer steps when the copy was taken
    pub step: u64,
    /// where the next step's batch starts
    pub cursor: Cursor,
}

/// A new buffer holding the first `len` values of `buf`: a plain copy (a one-part concatenation,
/// `memcpy` on the CPU), every bit kept, -0.0 included.
fn copy(device: &Device, buf: &Buffer, len: usize) -> Buffer {
    device.concat(&[(buf, len)], 1, 1)
}

impl Trainer {
    /// Copies the weights, the optimizer state, the step count and the cursor on the model's
    /// device. Reads nothing back, allocates one buffer per parameter and state slot.
    pub fn snapshot(&self) -> Snapshot {
        let device = self.model.device().clone();
        let params: Vec<_> = self.model.parameters().iter().map(|p| (p.buffer().clone(), p.numel())).collect();
        let state = self
            .optimizer
            .state
            .iter()
            .zip(&params)
            .map(|(slots, (_, len))| slots.iter().map(|s| copy(&device, s, *len)).collect())
            .collect();
        let params = params.iter().map(|(b, len)| (copy(&device, b, *len), *len)).collect();
        Snapshot { device, params, state, step: self.optimizer.step, cursor: self.cursor }
    }

    /// Puts a [`Trainer::snapshot`] back: weights and optimizer state are overwritten in place,
    /// the step count and cursor set, and the loss sum of `take_loss` restarted. Errors when
    /// the snapshot was taken of another model or on another device.
    pub async fn restore(&mut self, s: &Snapshot) -> Result<()> {
        let device = self.model.device().clone();
        let params = self.model.parameters();
        let same_shapes = params.len() == s.params.len() && params.iter().zip(&s.params).all(|(p, c)| p.numel() == c.1);
        if !std::rc::Rc::ptr_eq(&device, &s.device) || !same_shapes {
            return Err(Error::Config("the snapshot was taken of another model or on another device".into()));
        }
        let state_fits = s.state.is_empty()
            || (s.state.len() == self.optimizer.state.len()
                && s.state.iter().zip(&self.optimizer.state).all(|(a, b)| a.len() == b.len()));
        if !state_fits {
            return Err(Error::Config("the snapshot's optimizer state does not fit this optimizer".into()));
        }
        for (p, (c, len)) in params.iter().zip(&s.params) {
            device.write(p.buffer(), &device.read(c, *len).await?);
        }
        for (i, slots) in self.optimizer.state.iter().enumerate() {
            let len = s.params[i].1;
            for (k, slot) in slots.iter().enumerate() {
                // a snapshot from before the first step holds no state: the state was zeros
                match s.state.get(i).and_then(|copies| copies.get(k)) {
                    Some(c) => device.write(slot, &device.read(c, len).await?),
                    None => device.write(slot, &vec![0.0; len]),
                }
            }
        }
        self.optimizer.step = s.step;
        self.cursor = s.cursor;
        self.reset_loss_sum();
        Ok(())
    }
}
