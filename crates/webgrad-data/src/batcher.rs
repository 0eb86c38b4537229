//! Seeded mini-batch order. Epoch `e`'s order is a pure function of `(n, shuffle, seed, e)`:
//! the permutation drawn from `Rng::with_stream(seed, e)` when shuffling, else `0..n`. So a
//! [`Cursor`] `(epoch, step)` plus the seed determines the next batch, and a checkpoint that
//! saves them resumes exactly.

use serde::{Deserialize, Serialize};
use webgrad_core::Rng;

use crate::error::{DataError, Result};

/// Where training is: the next batch is step `step` (0-based) of epoch `epoch`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub epoch: u64,
    pub step: usize,
}

/// Hands out batches of row indices into a dataset of `n` rows. Holds one epoch's order in a
/// reused buffer, so producing a batch allocates nothing.
#[derive(Clone, Debug)]
pub struct Batcher {
    n: usize,
    batch_size: usize,
    shuffle: bool,
    drop_last: bool,
    seed: u64,
    /// `[n]`, the order of `order_epoch` (when `Some`).
    order: Vec<u32>,
    order_epoch: Option<u64>,
}

impl Batcher {
    /// Errors if `batch_size` is 0 or `n` does not fit in u32 (indices are u32).
    pub fn new(n: usize, batch_size: usize, shuffle: bool, drop_last: bool, seed: u64) -> Result<Batcher> {
        if batch_size == 0 {
            return Err(DataError::invalid("batcher", "batch size 0 (expected >= 1)"));
        }
        if u32::try_from(n).is_err() {
            return Err(DataError::invalid("batcher", format!("{n} rows do not fit u32 indices")));
        }
        Ok(Batcher { n, batch_size, shuffle, drop_last, seed, order: Vec::new(), order_epoch: None })
    }

    pub fn n(&self) -> usize {
        self.n
    }

    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    pub fn shuffle(&self) -> bool {
        self.shuffle
    }

    pub fn drop_last(&self) -> bool {
        self.drop_last
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// `n / batch_size` with `drop_last` (a short last batch is skipped), else rounded up.
    pub fn steps_per_epoch(&self) -> usize {
        if self.drop_last { self.n / self.batch_size } else { self.n.div_ceil(self.batch_size) }
    }

    /// Epoch `epoch`'s order of all `n` rows, `[n]` (a permutation of `0..n`). Recomputed only
    /// when the epoch changes.
    pub fn order(&mut self, epoch: u64) -> &[u32] {
        if self.order_epoch != Some(epoch) {
            self.order.clear();
            self.order.extend(0..self.n as u32);
            if self.shuffle {
                Rng::with_stream(self.seed, epoch).shuffle(&mut self.order);
            }
            self.order_epoch = Some(epoch);
        }
        &self.order
    }

    /// The epoch's batches in order: `steps_per_epoch()` slices of `batch_size` indices, the last
    /// one shorter when `n % batch_size != 0` and not `drop_last`.
    pub fn batches(&mut self, epoch: u64) -> std::slice::Chunks<'_, u32> {
        let used = if self.drop_last { self.steps_per_epoch() * self.batch_size } else { self.n };
        let batch_size = self.batch_size;
        self.order(epoch)[..used].chunks(batch_size)
    }

    /// The batch at `cursor`, or `None` when `cursor.step >= steps_per_epoch()`.
    pub fn batch(&mut self, cursor: Cursor) -> Option<&[u32]> {
        if cursor.step >= self.steps_per_epoch() {
            return None;
        }
        let start = cursor.step * self.batch_size;
        let end = (start + self.batch_size).min(self.n);
        Some(&self.order(cursor.epoch)[start..end])
    }

    /// The cursor after `cursor`: the next step, or step 0 of the next epoch.
    /// Saturating: a cursor read from a damaged checkpoint may hold any count (its batch is
    /// `None`, which the trainer reports).
    pub fn advance(&self, cursor: Cursor) -> Cursor {
        if cursor.step.saturating_add(1) < self.steps_per_epoch() {
            Cursor { epoch: cursor.epoch, step: cursor.step + 1 }
        } else {
            Cursor { epoch: cursor.epoch.saturating_add(1), step: 0 }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(mut v: Vec<u32>) -> Vec<u32> {
        v.sort();
        v
    }

    #[test]
    fn each_epoch_is_a_permutation_and_epochs_differ() {
        let mut b = Batcher::new(103, 10, true, false, 42).unwrap();
        assert_eq!(b.steps_per_epoch(), 11);
        let e0: Vec<Vec<u32>> = b.batches(0).map(|s| s.to_vec()).collect();
        let e1: Vec<u32> = b.batches(1).flatten().copied().collect();
        assert_eq!(e0.len(), 11);
        assert!(e0[..10].iter().all(|s| s.len() == 10) && e0[10].len() == 3);
        let flat0: Vec<u32> = e0.concat();
        assert_eq!(sorted(flat0.clone()), (0..103).collect::<Vec<_>>());
        assert_eq!(sorted(e1.clone()), (0..103).collect::<Vec<_>>());
        assert_ne!(flat0, e1);
        assert_ne!(flat0, (0..103).collect::<Vec<_>>());
        // The order is the documented one: Rng::with_stream(seed, epoch).
        assert_eq!(e1, Rng::with_stream(42, 1).permutation(103));
        // Another seed, another order.
        let mut c = Batcher::new(103, 10, true, false, 43).unwrap();
        assert_ne!(c.order(0), &flat0[..]);
    }

    #[test]
    fn no_shuffle_is_identity_and_drop_last_drops() {
        let mut b = Batcher::new(10, 4, false, false, 1).unwrap();
        let batches: Vec<Vec<u32>> = b.batches(5).map(|s| s.to_vec()).collect();
        assert_eq!(batches, vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7], vec![8, 9]]);
        let mut d = Batcher::new(10, 4, false, true, 1).unwrap();
        assert_eq!(d.steps_per_epoch(), 2);
        assert_eq!(d.batches(0).count(), 2);
        assert_eq!(d.batch(Cursor { epoch: 0, step: 2 }), None);
        let mut s = Batcher::new(10, 4, true, true, 1).unwrap();
        let used: Vec<u32> = s.batches(0).flatten().copied().collect();
        assert_eq!(used.len(), 8);
        assert!(Batcher::new(10, 0, true, true, 1).is_err());
    }

    #[test]
    fn cursor_alone_determines_the_batch() {
        let mut run = Batcher::new(50, 8, true, false, 9).unwrap();
        let mut seen = Vec::new();
        let mut cur = Cursor::default();
        for _ in 0..3 * run.steps_per_epoch() + 2 {
            seen.push((cur, run.batch(cur).unwrap().to_vec()));
            cur = run.advance(cur);
        }
        assert_eq!(cur, Cursor { epoch: 3, step: 2 });
        // A fresh batcher (as after loading a checkpoint) visiting cursors out of order.
        let mut resumed = Batcher::new(50, 8, true, false, 9).unwrap();
        for (c, expected) in seen.iter().rev().step_by(3).chain(seen.iter().step_by(5)) {
            assert_eq!(resumed.batch(*c).unwrap(), &expected[..], "{c:?}");
        }
        let json = serde_json::to_string(&cur).unwrap();
        assert_eq!(serde_json::from_str::<Cursor>(&json).unwrap(), cur);
    }
}
