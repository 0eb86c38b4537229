//! The train-loss history the page keeps, in bounded memory: at most [`BUCKETS`] buckets, each
//! summarising `span` consecutive steps by their minimum, maximum and mean. When the buckets
//! fill up, neighbours merge pairwise and `span` doubles, so a run of any length costs the same
//! memory and the same drawing time, and no spike (or dip) is ever lost from the chart. No DOM
//! here: `app::loss_chart` draws what this keeps.

/// The most buckets kept (the chart is ~800 px wide: about one bucket per pixel column or better).
pub const BUCKETS: usize = 1024;

/// Consecutive steps summarised: the first and last step, min / max / mean of their losses.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bucket {
    pub first_step: u64,
    pub last_step: u64,
    pub min: f32,
    pub max: f32,
    /// Sum of the losses (f64, so the mean of a long bucket stays exact enough).
    pub sum: f64,
    pub count: u32,
}

impl Bucket {
    fn new(step: u64, loss: f32) -> Bucket {
        Bucket { first_step: step, last_step: step, min: loss, max: loss, sum: loss as f64, count: 1 }
    }

    pub fn mean(&self) -> f64 {
        self.sum / self.count.max(1) as f64
    }

    fn absorb(&mut self, other: &Bucket) {
        self.last_step = other.last_step;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.sum += other.sum;
        self.count += other.count;
    }
}

/// Invariant: `buckets.len() <= BUCKETS`; every bucket but the last holds `span` steps.
#[derive(Clone, Debug)]
pub struct LossHistory {
    buckets: Vec<Bucket>,
    span: u32,
    first: Option<(u64, f32)>,
    last: Option<(u64, f32)>,
    steps: u64,
}

impl Default for LossHistory {
    fn default() -> Self {
        LossHistory { buckets: Vec::with_capacity(BUCKETS), span: 1, first: None, last: None, steps: 0 }
    }
}

impl LossHistory {
    pub fn push(&mut self, step: u64, loss: f32) {
        self.first.get_or_insert((step, loss));
        self.last = Some((step, loss));
        self.steps += 1;
        match self.buckets.last_mut() {
            Some(b) if b.count < self.span => b.absorb(&Bucket::new(step, loss)),
            _ => {
                if self.buckets.len() == BUCKETS {
                    self.halve();
                }
                self.buckets.push(Bucket::new(step, loss));
            }
        }
    }

    /// Merges neighbouring buckets pairwise: half as many, each twice as long.
    fn halve(&mut self) {
        let merged: Vec<Bucket> = self
            .buckets
            .chunks(2)
            .map(|pair| {
                let mut b = pair[0];
                if let Some(next) = pair.get(1) {
                    b.absorb(next);
                }
                b
            })
            .collect();
        self.buckets = merged;
        self.span *= 2;
    }

    pub fn clear(&mut self) {
        *self = LossHistory::default();
    }

    /// Forgets the steps after `step` (training continues from a checkpoint taken there). A
    /// bucket that straddles `step` goes whole, so the history may end a little before it.
    pub fn truncate_after(&mut self, step: u64) {
        self.buckets.retain(|b| b.last_step <= step);
        self.steps = self.buckets.iter().map(|b| b.count as u64).sum();
        self.last = self.buckets.last().map(|b| (b.last_step, b.mean() as f32));
        if self.buckets.is_empty() {
            self.first = None;
        }
    }

    pub fn buckets(&self) -> &[Bucket] {
        &self.buckets
    }

    /// Steps recorded (not buckets).
    pub fn steps(&self) -> u64 {
        self.steps
    }

    pub fn first(&self) -> Option<(u64, f32)> {
        self.first
    }

    pub fn last(&self) -> Option<(u64, f32)> {
        self.last
    }

    /// The exponential moving average (weight of the past `smoothing` per step) at the end of
    /// each bucket, taking the bucket's steps as all equal to its mean: exact while buckets hold
    /// one step, and within the bucket's min–max range after.
    pub fn smoothed(&self, smoothing: f64) -> Vec<(u64, f64)> {
        let mut ema = self.first.map_or(0.0, |f| f.1 as f64);
        self.buckets
            .iter()
            .map(|b| {
                let keep = smoothing.powi(b.count as i32);
                ema = keep * ema + (1.0 - keep) * b.mean();
                (b.last_step, ema)
            })
            .collect()
    }
}

/// Keeps `points` (one per epoch) at most `2 · cap` long: past that, every other point goes,
/// the last always stays.
pub fn thin_epochs<T: Copy>(points: &mut Vec<T>, cap: usize) {
    if points.len() <= 2 * cap.max(1) {
        return;
    }
    let last = *points.last().expect("longer than the cap");
    let mut i = 0;
    points.retain(|_| {
        i += 1;
        i % 2 == 1
    });
    if i % 2 == 0 {
        // the original last point had an odd index and went
        points.push(last);
    }
}

/// The y axis's ends for values from `lo` to `hi`: as they are where they differ, else 10 %
/// either side of the one value (a factor 1.5 on a log scale), so that an axis of one point (an
/// imported model's first test loss) is not labelled with the same number at both ends.
/// `lo > hi` (no values) is passed through.
pub fn axis_ends(lo: f64, hi: f64, log_scale: bool) -> (f64, f64) {
    if lo != hi {
        return (lo, hi);
    }
    if log_scale {
        return (lo / 1.5, hi * 1.5);
    }
    let half = (lo.abs() * 0.1).max(1e-3);
    (lo - half, hi + half)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_is_bounded_and_extremes_survive() {
        let mut h = LossHistory::default();
        let n = 1_000_000u64;
        for s in 1..=n {
            // a slow decline with one spike and one dip
            let loss = if s == 123_457 {
                50.0
            } else if s == 777_777 {
                0.0001
            } else {
                1.0 + 1.0 / s as f32
            };
            h.push(s, loss);
            assert!(h.buckets().len() <= BUCKETS);
        }
        assert_eq!(h.steps(), n);
        assert_eq!(h.first(), Some((1, 2.0)));
        assert_eq!(h.last().unwrap().0, n);
        let max = h.buckets().iter().map(|b| b.max).fold(f32::MIN, f32::max);
        let min = h.buckets().iter().map(|b| b.min).fold(f32::MAX, f32::min);
        assert_eq!((max, min), (50.0, 0.0001), "the spike and the dip are kept");
        let counted: u64 = h.buckets().iter().map(|b| b.count as u64).sum();
        assert_eq!(counted, n, "every step is in exactly one bucket");
        assert!(h.buckets().windows(2).all(|w| w[0].last_step < w[1].first_step));
        assert!(h.buckets().len() > BUCKETS / 2);
    }

    #[test]
    fn truncation_forgets_the_steps_after_a_checkpoint() {
        let mut h = LossHistory::default();
        for s in 1..=5000u64 {
            h.push(s, s as f32);
        }
        h.truncate_after(3000);
        let last = h.buckets().last().unwrap();
        assert!(last.last_step <= 3000 && last.last_step > 3000 - 2 * h.span as u64, "{last:?}");
        assert_eq!(h.steps(), h.buckets().iter().map(|b| b.count as u64).sum::<u64>());
        assert_eq!(h.last().unwrap().0, last.last_step);
        // training goes on from step 3001
        h.push(3001, 1.0);
        assert_eq!(h.last(), Some((3001, 1.0)));
        h.truncate_after(0);
        assert_eq!((h.first(), h.last(), h.steps()), (None, None, 0));
    }

    #[test]
    fn smoothing_is_exact_while_buckets_hold_one_step() {
        let mut h = LossHistory::default();
        let losses = [4.0f32, 2.0, 3.0, 1.0];
        for (s, &l) in losses.iter().enumerate() {
            h.push(s as u64 + 1, l);
        }
        let mut ema = 4.0f64;
        let want: Vec<f64> = losses
            .iter()
            .map(|&l| {
                ema = 0.9 * ema + 0.1 * l as f64;
                ema
            })
            .collect();
        let got: Vec<f64> = h.smoothed(0.9).into_iter().map(|p| p.1).collect();
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-12, "{got:?} vs {want:?}");
        }
        assert_eq!(h.smoothed(0.0).last().unwrap().1, 1.0);
    }

    #[test]
    fn epoch_lists_are_thinned_keeping_the_last() {
        let mut v: Vec<u32> = (0..=20).collect();
        thin_epochs(&mut v, 5);
        assert!(v.len() <= 11, "{v:?}");
        assert_eq!(v.first(), Some(&0));
        assert_eq!(v.last(), Some(&20));
        let mut even: Vec<u32> = (0..12).collect();
        thin_epochs(&mut even, 5);
        assert_eq!(even.last(), Some(&11));
        let mut short: Vec<u32> = (0..4).collect();
        thin_epochs(&mut short, 5);
        assert_eq!(short, [0, 1, 2, 3]);
    }

    #[test]
    fn an_axis_of_one_value_spreads_around_it() {
        assert_eq!(axis_ends(0.5, 2.0, false), (0.5, 2.0));
        let (lo, hi) = axis_ends(0.971, 0.971, false);
        assert!((lo - 0.8739).abs() < 1e-9 && (hi - 1.0681).abs() < 1e-9, "{lo} {hi}");
        assert_eq!(axis_ends(0.0, 0.0, false), (-1e-3, 1e-3));
        assert_eq!(axis_ends(3.0, 3.0, true), (2.0, 4.5));
        assert_eq!(axis_ends(f64::MAX, f64::MIN, false), (f64::MAX, f64::MIN), "no values: nothing drawn");
    }
}
