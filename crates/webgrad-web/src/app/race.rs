//! A race: 2–4 configurations trained side by side, each in its own worker, from the same seed
//! (so the same initial weights, which each worker reports as a hash, and the same batch order),
//! differing only in what the preset changes. The state of each lane (its losses, test scores,
//! speed) and what the page says about them: the table, the winner and its margin, and for the
//! "same twice" preset whether the runs agreed step for step. No DOM here.

use webgrad_nn::{BackendChoice, OptimizerName};

use super::state::score_text;
use crate::protocol::Experiment;

/// Lanes keep at most this many per-step losses (for the step-for-step comparison and the chart).
pub const LANE_STEPS: usize = 20_000;

/// Epochs of weights a lane keeps while waiting for the other lane to reach them.
pub const UNMATCHED_EPOCHS: usize = 16;

/// What a race compares; kept in the link as `race=<name>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RacePreset {
    /// SGD, SGD with momentum 0.9 and Adam, at the form's learning rate
    Optimizers,
    /// the form's learning rate × 0.1, × 1 and × 10
    LearningRates,
    /// the form's experiment twice: bit-reproducible training gives identical losses
    Repeat,
    /// the form's experiment on WebGPU and on the CPU, their weights compared after each epoch
    Backends,
}

impl RacePreset {
    pub const ALL: [RacePreset; 4] =
        [RacePreset::Optimizers, RacePreset::LearningRates, RacePreset::Repeat, RacePreset::Backends];

    pub fn name(self) -> &'static str {
        match self {
            RacePreset::Optimizers => "optimizers",
            RacePreset::LearningRates => "lr",
            RacePreset::Repeat => "repeat",
            RacePreset::Backends => "backends",
        }
    }

    pub fn parse(s: &str) -> Result<RacePreset, String> {
        Self::ALL.into_iter().find(|p| p.name() == s).ok_or_else(|| {
            let names: Vec<_> = Self::ALL.iter().map(|p| p.name()).collect();
            format!("link parameter race='{s}' is not one of {}", names.join(", "))
        })
    }

    /// The lanes: a label and the experiment of each, all from `base` (same data, model and seed).
    pub fn lanes(self, base: &Experiment) -> Vec<(String, Experiment)> {
        let with = |f: &dyn Fn(&mut Experiment)| {
            let mut e = base.clone();
            f(&mut e);
            e
        };
        match self {
            RacePreset::Optimizers => [OptimizerName::Sgd, OptimizerName::Momentum, OptimizerName::Adam]
                .into_iter()
                .map(|o| {
                    let e = with(&|e| {
                        e.optimizer = o;
                        e.hyper = Vec::new();
                    });
                    (format!("{} (lr {})", o.name(), base.lr), e)
                })
                .collect(),
            RacePreset::LearningRates => [0.1, 1.0, 10.0]
                .into_iter()
                .map(|k| {
                    let lr = base.lr * k;
                    (format!("lr {lr:.3e} (× {k})"), with(&|e| e.lr = lr))
                })
                .collect(),
            RacePreset::Repeat => (1..=2).map(|i| (format!("run {i}"), base.clone())).collect(),
            RacePreset::Backends => [("WebGPU", BackendChoice::Gpu), ("CPU", BackendChoice::Cpu)]
                .into_iter()
                .map(|(label, b)| (label.to_string(), with(&|e| e.backend = b)))
                .collect(),
        }
    }
}

/// One lane's run so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lane {
    pub label: String,
    pub experiment: Option<Experiment>,
    /// (step, loss) of every step read (the first `LANE_STEPS`)
    pub losses: Vec<(u64, f32)>,
    /// (epoch, test loss, test score) after each epoch
    pub epochs: Vec<(u64, f64, f64)>,
    /// the rows its slices trained on, and the seconds they trained (the worker's timing: not
    /// evaluation or pauses); their ratio is its speed
    pub samples: u64,
    pub train_seconds: f64,
    pub weights_hash: Option<String>,
    pub backend: String,
    pub running: bool,
    pub error: Option<String>,
    /// its weights after epochs the other lane has not reached yet (`FromWorker::LaneWeights`;
    /// the backends race), at most [`UNMATCHED_EPOCHS`]
    pub weights: Vec<(u64, Vec<f32>)>,
}

impl Lane {
    /// A slice's progress: the rows it trained on and how long it trained.
    pub fn progressed(&mut self, samples: u64, train_ms: f64) {
        self.samples = self.samples.saturating_add(samples);
        self.train_seconds += train_ms.max(0.0) / 1000.0;
    }

    /// Samples per second over all its training so far; `None` before any (a race of small
    /// models trains each epoch in one slice of a few ms, too short to time alone, so the
    /// rate is the sum of them all rather than the last slice's).
    pub fn samples_per_sec(&self) -> Option<f64> {
        (self.samples > 0 && self.train_seconds > 0.0).then(|| self.samples as f64 / self.train_seconds)
    }

    /// The losses as the chart draws them: an exponential moving average (weight `weight` on
    /// the past, bias-corrected as TensorBoard's), at most `points` of them (every k-th step).
    pub fn smoothed(&self, weight: f64, points: usize) -> Vec<(u64, f32)> {
        let k = (self.losses.len() / points.max(1)).max(1);
        let (mut avg, mut norm) = (0.0f64, 0.0f64);
        let mut out = Vec::with_capacity(points + 1);
        for (i, &(step, v)) in self.losses.iter().enumerate().filter(|p| p.1.1.is_finite()) {
            avg = weight * avg + (1.0 - weight) * f64::from(v);
            norm = weight * norm + (1.0 - weight);
            if i % k == 0 || i + 1 == self.losses.len() {
                out.push((step, (avg / norm) as f32));
            }
        }
        out
    }

    pub fn done(&self) -> bool {
        self.error.is_some() || self.experiment.as_ref().is_some_and(|e| self.epochs.len() as u64 >= e.epochs as u64)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Race {
    pub preset: RacePreset,
    pub lanes: Vec<Lane>,
    /// accuracy (classification) or R² (regression): higher is better either way
    pub regression: bool,
    /// (epoch, largest |w₁ − w₂|) between the first two lanes' weights after each epoch both
    /// finished (the backends race: WebGPU against the CPU)
    pub weight_gaps: Vec<(u64, f64)>,
}

impl Race {
    pub fn new(preset: RacePreset, base: &Experiment) -> Race {
        let lanes = preset
            .lanes(base)
            .into_iter()
            .map(|(label, e)| Lane { label, experiment: Some(e), ..Lane::default() })
            .collect();
        Race { preset, lanes, regression: false, weight_gaps: Vec::new() }
    }

    /// Lane `lane`'s weights after `epoch`; once the first two lanes have both reached an epoch,
    /// their largest weight difference is kept.
    pub fn lane_weights(&mut self, lane: usize, epoch: u64, weights: Vec<f32>) {
        if lane >= 2 || self.lanes.len() < 2 {
            return;
        }
        let other = 1 - lane;
        match self.lanes[other].weights.iter().position(|w| w.0 == epoch) {
            Some(i) => {
                let (_, theirs) = self.lanes[other].weights.remove(i);
                self.lanes[other].weights.retain(|w| w.0 > epoch);
                if theirs.len() == weights.len() {
                    let gap = weights
                        .iter()
                        .zip(&theirs)
                        .map(|(x, y)| (f64::from(*x) - f64::from(*y)).abs())
                        .fold(0.0, f64::max);
                    self.weight_gaps.push((epoch, gap));
                }
            }
            None => {
                let kept = &mut self.lanes[lane].weights;
                kept.push((epoch, weights));
                if kept.len() > UNMATCHED_EPOCHS {
                    kept.remove(0);
                }
            }
        }
    }

    pub fn finished(&self) -> bool {
        self.lanes.iter().all(Lane::done)
    }

    /// The table: lane, epochs done, test loss, test score, samples/s, initial weights' hash,
    /// training time.
    pub fn rows(&self) -> Vec<[String; 7]> {
        self.lanes
            .iter()
            .map(|l| {
                let last = l.epochs.last();
                let status = match (&l.error, l.done()) {
                    (Some(e), _) => format!("stopped: {e}"),
                    (None, true) => format!("{} epochs, done", l.epochs.len()),
                    (None, false) => format!("{} epochs", l.epochs.len()),
                };
                [
                    l.label.clone(),
                    status,
                    last.map_or("–".into(), |e| format!("{:.4}", e.1)),
                    last.map_or("–".into(), |e| score_text(self.regression, e.2)),
                    match (l.samples_per_sec(), l.backend.is_empty()) {
                        (Some(rate), false) => format!("{rate:.0} on {}", l.backend),
                        (Some(rate), true) => format!("{rate:.0}"),
                        (None, false) => format!("– on {}", l.backend),
                        (None, true) => "–".into(),
                    },
                    l.weights_hash.clone().unwrap_or_else(|| "–".into()),
                    if l.train_seconds < 1.0 {
                        format!("{:.1} ms", 1000.0 * l.train_seconds)
                    } else {
                        format!("{:.2} s", l.train_seconds)
                    },
                ]
            })
            .collect()
    }

    /// Once every lane is done: the winner by final test score, and its margin over the next.
    pub fn winner(&self) -> Option<String> {
        if !self.finished() {
            return None;
        }
        // a lane whose loss broke does not win on the score it had before
        let diverged = |l: &Lane| l.error.as_deref().is_some_and(|e| e.starts_with("diverged"));
        let mut ranked: Vec<(&Lane, f64)> = (self.lanes.iter().filter(|l| !diverged(l)))
            .filter_map(|l| l.epochs.last().map(|e| (l, e.2)))
            .filter(|x| x.1.is_finite())
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        let score = |s: f64| match self.regression {
            true => score_text(true, s),
            false => format!("test {}", score_text(false, s)),
        };
        match ranked.as_slice() {
            [] => Some("No lane finished an epoch.".into()),
            [(only, s)] => Some(format!("Only {} finished: {}.", only.label, score(*s))),
            [(first, a), (second, b), ..] if a == b => {
                Some(format!("A tie: {} and {} both reach {}.", first.label, second.label, score(*a)))
            }
            [(first, a), (second, b), ..] => {
                let (margin, unit) = match self.regression {
                    true => (format!("{:.4}", a - b), ""),
                    false => (format!("{:.2}", 100.0 * (a - b)), " points"),
                };
                let against = if self.regression { format!("{b:.4}") } else { format!("{:.2} %", 100.0 * b) };
                Some(format!(
                    "{} wins: {} against {against} for {}, by {margin}{unit}.",
                    first.label,
                    score(*a),
                    second.label
                ))
            }
        }
    }

    /// For two lanes: whether they logged the same loss at every step both read, and how many.
    pub fn identical_steps(&self) -> Option<(bool, usize)> {
        let [a, b] = self.lanes.as_slice() else { return None };
        let n = a.losses.len().min(b.losses.len());
        let same = a.losses[..n] == b.losses[..n];
        Some((same, n))
    }

    /// Whether every lane that reported its initial weights reported the same ones.
    pub fn same_start(&self) -> Option<bool> {
        let hashes: Vec<&String> = self.lanes.iter().filter_map(|l| l.weights_hash.as_ref()).collect();
        (hashes.len() == self.lanes.len()).then(|| hashes.windows(2).all(|w| w[0] == w[1]))
    }

    /// A sentence on the lanes' start, and for a repeated run, on their agreement.
    pub fn fairness(&self) -> String {
        let start = match self.same_start() {
            Some(true) => "Every lane started from the same initial weights (same hash) and batch order (same seed).",
            Some(false) => "The lanes started from different initial weights: this race is not fair.",
            None => "Starting…",
        };
        match (self.preset, self.identical_steps()) {
            (RacePreset::Repeat, Some((true, n))) if n > 0 => {
                format!(
                    "{start} The two runs logged identical losses at all {n} steps so far: training is reproducible."
                )
            }
            (RacePreset::Repeat, Some((false, n))) => {
                format!("{start} The two runs' losses differ within their first {n} steps.")
            }
            (RacePreset::Backends, _) => match self.weight_gaps.last() {
                Some((epoch, gap)) => format!(
                    "{start} After epoch {epoch} the largest difference between a WebGPU weight and its CPU twin is \
                     {gap:.2e} (float32 sums in another order)."
                ),
                None => start.to_string(),
            },
            _ => start.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_differ_only_in_what_they_race() {
        let base = Experiment::defaults_for("spiral");
        let lanes = RacePreset::Optimizers.lanes(&base);
        assert_eq!(lanes.len(), 3);
        assert!(lanes.iter().all(|(_, e)| e.seed == base.seed && e.layers == base.layers && e.lr == base.lr));
        let names: Vec<_> = lanes.iter().map(|l| l.1.optimizer).collect();
        assert_eq!(names, [OptimizerName::Sgd, OptimizerName::Momentum, OptimizerName::Adam]);
        let lrs: Vec<f64> = RacePreset::LearningRates.lanes(&base).iter().map(|l| l.1.lr).collect();
        assert_eq!(lrs, [base.lr * 0.1, base.lr, base.lr * 10.0]);
        assert!(RacePreset::Repeat.lanes(&base).iter().all(|l| l.1 == base));
        assert_eq!(RacePreset::parse("lr"), Ok(RacePreset::LearningRates));
        assert!(RacePreset::parse("gpu").unwrap_err().contains("not one of optimizers, lr, repeat, backends"));
        let backends: Vec<_> = RacePreset::Backends.lanes(&base).iter().map(|l| l.1.backend).collect();
        assert_eq!(backends, [BackendChoice::Gpu, BackendChoice::Cpu]);
    }

    #[test]
    fn a_regression_race_says_r2_as_a_coefficient() {
        let mut base = Experiment::defaults_for("plane");
        base.epochs = 1;
        let mut race = Race::new(RacePreset::Optimizers, &base);
        race.regression = true;
        for (l, score) in race.lanes.iter_mut().zip([-0.5, 0.9, 0.9987]) {
            l.epochs = vec![(1, 0.5, score)];
        }
        assert_eq!(race.rows()[0][3], "R² -0.5000");
        assert_eq!(race.rows()[2][3], "R² 0.9987");
        assert_eq!(
            race.winner().unwrap(),
            "adam (lr 0.03) wins: R² 0.9987 against 0.9000 for momentum (lr 0.03), by 0.0987."
        );
    }

    #[test]
    fn the_winner_and_its_margin_once_all_are_done() {
        let mut base = Experiment::defaults_for("spiral");
        base.epochs = 2;
        let mut race = Race::new(RacePreset::Optimizers, &base);
        assert_eq!(race.winner(), None);
        for (l, score) in race.lanes.iter_mut().zip([0.8, 0.9, 0.95]) {
            l.epochs = vec![(1, 0.5, score - 0.1), (2, 0.4, score)];
        }
        assert_eq!(
            race.winner().unwrap(),
            "adam (lr 0.03) wins: test accuracy 95.00 % against 90.00 % for momentum (lr 0.03), by 5.00 points."
        );
        assert_eq!(race.rows()[2][3], "accuracy 95.00 %");
        assert!(race.rows()[0][4].starts_with('–'), "no rate before any training");
        race.lanes[0].progressed(500, 500.0);
        race.lanes[0].progressed(1000, 1000.0);
        assert_eq!(race.rows()[0][6], "1.50 s");
        assert!(race.rows()[0][4].starts_with("1000"), "{}", race.rows()[0][4]);
        // slices of a few ms each (a small model's epochs) still give a rate, over their sum
        for _ in 0..4 {
            race.lanes[1].progressed(5, 2.5);
        }
        assert_eq!(race.rows()[1][6], "10.0 ms");
        assert!(race.rows()[1][4].starts_with("2000"), "{}", race.rows()[1][4]);
    }

    #[test]
    fn the_backends_race_compares_weights_epoch_by_epoch() {
        let mut race = Race::new(RacePreset::Backends, &Experiment::defaults_for("spiral"));
        race.lane_weights(0, 1, vec![1.0, 2.0, 3.0]);
        race.lane_weights(0, 2, vec![0.0; 3]);
        assert!(race.weight_gaps.is_empty(), "the CPU lane has not reached epoch 1");
        race.lane_weights(1, 1, vec![1.0, 2.5, 2.75]);
        assert_eq!(race.weight_gaps, [(1, 0.5)]);
        race.lane_weights(1, 2, vec![0.0, 0.0, 0.125]);
        assert_eq!(race.weight_gaps, [(1, 0.5), (2, 0.125)]);
        assert!(race.lanes.iter().all(|l| l.weights.is_empty()), "matched epochs are let go");
        for l in &mut race.lanes {
            l.weights_hash = Some("ab".into());
        }
        assert!(
            race.fairness()
                .contains("After epoch 2 the largest difference between a WebGPU weight and its CPU twin is 1.25e-1")
        );
    }

    #[test]
    fn smoothing_averages_and_thins() {
        let lane =
            Lane { losses: (1..=1000).map(|s| (s, if s % 2 == 0 { 1.0 } else { 0.0 })).collect(), ..Lane::default() };
        let s = lane.smoothed(0.9, 100);
        assert!(s.len() <= 101 && s.len() >= 100, "{}", s.len());
        assert_eq!(s.last().unwrap().0, 1000);
        assert!((s.last().unwrap().1 - 0.5).abs() < 0.05, "{:?}", s.last());
        assert_eq!(lane.smoothed(0.0, 2000).len(), 1000, "no smoothing, every step");
    }

    #[test]
    fn a_repeated_run_is_checked_step_for_step() {
        let mut race = Race::new(RacePreset::Repeat, &Experiment::defaults_for("spiral"));
        for l in &mut race.lanes {
            l.losses = vec![(1, 0.7), (2, 0.6), (3, 0.5)];
            l.weights_hash = Some("ab12".into());
        }
        race.lanes[1].losses.pop();
        assert_eq!(race.identical_steps(), Some((true, 2)));
        assert!(race.fairness().ends_with("identical losses at all 2 steps so far: training is reproducible."));
        race.lanes[1].losses[1].1 = 0.61;
        assert_eq!(race.identical_steps(), Some((false, 2)));
        race.lanes[1].weights_hash = Some("cd34".into());
        assert_eq!(race.same_start(), Some(false));
    }
}
