//! The CPU backend's f32 buffer, and the copy of it packed into a GEMM's B strips that a recorded
//! step's optimizer keeps for a Linear weight (see `plan::Slot::strips`).
//!
//! A weight W [n, k] enters the forward GEMM X·Wᵀ transposed, so that GEMM packs it into NR-wide
//! strips every step (`gemm::pack`). Where the step's optimizer updates W anyway, it writes the
//! strips in the same pass (`optim::step_keeping_strips`), and the next forward GEMM reads them
//! instead of packing. The strips are used only while they are known to hold W's current values:
//! every mutable borrow of the data counts a write, and strips are valid only for the write that
//! made them.

use std::cell::{Cell, Ref, RefCell, RefMut};

/// The strips `write_with_strips` hands out to fill.
pub(super) type StripsMut<'a> = RefMut<'a, [f32]>;

pub(super) struct CpuBuf {
    data: RefCell<Vec<f32>>,
    /// Mutable borrows of `data` so far.
    writes: Cell<u64>,
    strips: RefCell<Option<Strips>>,
}

/// W [n, k] packed as `gemm::pack` packs a transposed B over all of k: strip s (columns
/// s·nr..s·nr+nr of B, i.e. rows of W, zero-padded) at `data[s·nr·k..]`, value (p, q) at p·nr + q.
struct Strips {
    /// The value of `writes` when they were made.
    made_at: u64,
    nr: usize,
    k: usize,
    n: usize,
    data: Vec<f32>,
}

impl CpuBuf {
    pub fn new(data: Vec<f32>) -> Self {
        CpuBuf { data: RefCell::new(data), writes: Cell::new(0), strips: RefCell::new(None) }
    }

    pub fn read(&self) -> Ref<'_, Vec<f32>> {
        self.data.borrow()
    }

    /// The data, to change: any strips kept of it are stale from now on.
    pub fn write(&self) -> RefMut<'_, Vec<f32>> {
        let data = self.data.borrow_mut();
        self.writes.set(self.writes.get() + 1);
        data
    }

    /// The data to change and the strips of [n, k] for `nr`-wide kernels to fill from the new
    /// values (`strips_len(n, k, nr)` long). The caller must leave the strips equal to what
    /// `gemm::pack` makes of the data it leaves: they count as current until the next write.
    /// None when the buffer is shorter than n·k, the strips' length overflows or their memory
    /// cannot be allocated (the caller then updates the data alone).
    pub fn write_with_strips(&self, nr: usize, k: usize, n: usize) -> Option<(RefMut<'_, Vec<f32>>, StripsMut<'_>)> {
        let len = strips_len(n, k, nr)?;
        if self.data.borrow().len() < n.checked_mul(k)? {
            return None;
        }
        let mut strips = self.strips.borrow_mut();
        let kept = strips.get_or_insert_with(|| Strips { made_at: 0, nr, k, n, data: Vec::new() });
        // memory no budget counted: where it cannot be had, the update goes without strips
        if kept.data.len() < len && kept.data.try_reserve_exact(len - kept.data.len()).is_err() {
            return None;
        }
        kept.data.resize(len, 0.0);
        let data = self.write();
        (kept.made_at, kept.nr, kept.k, kept.n) = (self.writes.get(), nr, k, n);
        Some((data, RefMut::map(strips, |s| &mut s.as_mut().expect("just kept").data[..])))
    }

    /// The strips of [n, k] for `nr`-wide kernels, when they hold the data's current values.
    pub fn strips(&self, nr: usize, k: usize, n: usize) -> Option<Ref<'_, [f32]>> {
        let strips = self.strips.borrow();
        let current = strips.as_ref().is_some_and(|s| {
            s.made_at == self.writes.get()
                && (s.nr, s.k, s.n) == (nr, k, n)
                && Some(s.data.len()) == strips_len(n, k, nr)
        });
        current.then(|| Ref::map(strips, |s| &s.as_ref().expect("checked above").data[..]))
    }
}

/// Floats in the strips of [n, k] for `nr`-wide kernels: ⌈n / nr⌉ strips of nr·k.
pub(super) fn strips_len(n: usize, k: usize, nr: usize) -> Option<usize> {
    n.div_ceil(nr.max(1)).checked_mul(nr)?.checked_mul(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_are_current_until_the_next_write() {
        let buf = CpuBuf::new(vec![1.0; 12]);
        assert!(buf.strips(4, 3, 4).is_none(), "none were made");
        {
            let (data, mut strips) = buf.write_with_strips(4, 3, 4).unwrap();
            assert_eq!((data.len(), strips.len()), (12, 12));
            strips.fill(1.0);
        }
        assert!(buf.strips(4, 3, 4).is_some());
        assert!(buf.strips(8, 3, 4).is_none() && buf.strips(4, 4, 3).is_none(), "another layout");
        let _ = buf.read();
        assert!(buf.strips(4, 3, 4).is_some(), "a read changes nothing");
        buf.write()[0] = 2.0;
        assert!(buf.strips(4, 3, 4).is_none(), "stale after a write");
        assert!(buf.write_with_strips(4, 4, 4).is_none(), "the data is shorter than 4 × 4");
        assert!(buf.write_with_strips(4, usize::MAX, 2).is_none(), "the length overflows");
    }
}
