//! A sweep: a grid over learning rate × hidden width × batch size × optimizer (at most
//! [`MAX_RUNS`] runs), trained on a pool of workers that each take the next waiting run when
//! theirs is done. Its state, its table (sortable) and the scatter of final test loss against a
//! hyper-parameter. No DOM here; the shell owns the workers (the race's lane workers).

use webgrad_nn::OptimizerName;

use crate::protocol::Experiment;

pub const MAX_RUNS: usize = 64;

/// The grid, each axis a list of values (an empty axis keeps the form's value).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SweepSpec {
    pub lrs: Vec<f64>,
    pub widths: Vec<usize>,
    pub batches: Vec<usize>,
    pub optimizers: Vec<OptimizerName>,
}

/// "0.001, 0.01 0.1" → [0.001, 0.01, 0.1]; an error names the field and the value.
pub fn parse_list<T: std::str::FromStr>(text: &str, what: &str) -> Result<Vec<T>, String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<T>().map_err(|_| format!("{what}: '{s}' is not a valid value")))
        .collect()
}

impl SweepSpec {
    /// Reads the four fields of the sweep's form.
    pub fn parse(lrs: &str, widths: &str, batches: &str, optimizers: &str) -> Result<SweepSpec, String> {
        let spec = SweepSpec {
            lrs: parse_list(lrs, "learning rates")?,
            widths: parse_list(widths, "widths")?,
            batches: parse_list(batches, "batch sizes")?,
            optimizers: optimizers
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .map(OptimizerName::parse)
                .collect::<Result<_, _>>()?,
        };
        if spec.lrs.iter().any(|&lr| !(lr > 0.0 && lr.is_finite())) {
            return Err("learning rates must be positive numbers".into());
        }
        if spec.widths.iter().chain(&spec.batches).any(|&v| v == 0 || v > 4096) {
            return Err("widths and batch sizes must be between 1 and 4096".into());
        }
        Ok(spec)
    }

    /// The four fields as text (what the sweep's inputs show).
    pub fn texts(&self) -> [String; 4] {
        let join = |v: Vec<String>| v.join(" ");
        [
            join(self.lrs.iter().map(|v| v.to_string()).collect()),
            join(self.widths.iter().map(|v| v.to_string()).collect()),
            join(self.batches.iter().map(|v| v.to_string()).collect()),
            join(self.optimizers.iter().map(|o| o.name().to_string()).collect()),
        ]
    }

    /// The link's value: `lr:0.01,0.1;width:4,8;batch:;opt:sgd,adam`.
    pub fn to_link(&self) -> String {
        let [lr, width, batch, opt] = self.texts().map(|t| t.replace(' ', ","));
        format!("lr:{lr};width:{width};batch:{batch};opt:{opt}")
    }

    /// Reads [`SweepSpec::to_link`]'s form back; an error names the part.
    pub fn from_link(value: &str) -> Result<SweepSpec, String> {
        let mut fields = [String::new(), String::new(), String::new(), String::new()];
        for part in value.split(';').filter(|p| !p.is_empty()) {
            let (key, list) =
                part.split_once(':').ok_or_else(|| format!("link parameter sweep: '{part}' has no ':'"))?;
            let slot = ["lr", "width", "batch", "opt"]
                .iter()
                .position(|k| *k == key)
                .ok_or_else(|| format!("link parameter sweep: unknown part '{key}'"))?;
            fields[slot] = list.replace(',', " ");
        }
        SweepSpec::parse(&fields[0], &fields[1], &fields[2], &fields[3])
            .map_err(|e| format!("link parameter sweep: {e}"))
    }

    /// Every combination, from `base` (its other settings, data and seed kept); a width sets
    /// every hidden layer's. Errors over [`MAX_RUNS`].
    pub fn runs(&self, base: &Experiment) -> Result<Vec<Experiment>, String> {
        let or_base = |v: &[f64], b: f64| if v.is_empty() { vec![b] } else { v.to_vec() };
        let lrs = or_base(&self.lrs, base.lr);
        let widths: Vec<Option<usize>> =
            if self.widths.is_empty() { vec![None] } else { self.widths.iter().map(|&w| Some(w)).collect() };
        let batches = if self.batches.is_empty() { vec![base.batch] } else { self.batches.clone() };
        let optimizers = if self.optimizers.is_empty() { vec![base.optimizer] } else { self.optimizers.clone() };
        // in u64, saturating: on wasm32 a usize product of four long lists wraps (256⁴ is 0)
        let count = [lrs.len(), widths.len(), batches.len(), optimizers.len()]
            .into_iter()
            .fold(1u64, |n, len| n.saturating_mul(len as u64));
        if count > MAX_RUNS as u64 {
            let count = webgrad_nn::monitor::grouped(count);
            return Err(format!("the grid has {count} runs; a sweep runs at most {MAX_RUNS}"));
        }
        let mut out = Vec::with_capacity(MAX_RUNS);
        for &optimizer in &optimizers {
            for &lr in &lrs {
                for &width in &widths {
                    for &batch in &batches {
                        let mut e = base.clone();
                        if optimizer != base.optimizer {
                            e.hyper = Vec::new();
                        }
                        (e.optimizer, e.lr, e.batch) = (optimizer, lr, batch);
                        if let Some(w) = width {
                            e.layers.iter_mut().for_each(|l| l.width = w);
                        }
                        out.push(e);
                    }
                }
            }
        }
        Ok(out)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum RunStatus {
    Waiting,
    /// on this worker, with the epochs done so far
    Running {
        worker: usize,
        epochs: u64,
    },
    /// final test loss and score (accuracy or R²)
    Done {
        test_loss: f64,
        score: f64,
    },
    Failed(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct SweepRun {
    pub experiment: Experiment,
    pub status: RunStatus,
}

/// The table's sort key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortBy {
    Run,
    TestLoss,
    Score,
    Lr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Sweep {
    pub runs: Vec<SweepRun>,
    pub workers: usize,
    pub sort: SortBy,
    pub cancelled: bool,
    /// the runs' task, as their workers' loaded data says: R² scores, not accuracy
    pub regression: bool,
    /// the workers that crashed or never started (`retire`)
    pub retired: Vec<usize>,
}

/// How many workers a sweep uses: one per core less the page's, at least one, at most 8 and
/// never more than the runs.
pub fn pool_size(hardware_concurrency: usize, runs: usize) -> usize {
    hardware_concurrency.saturating_sub(1).clamp(1, 8).min(runs.max(1))
}

impl Sweep {
    pub fn new(runs: Vec<Experiment>, workers: usize) -> Sweep {
        let runs = runs.into_iter().map(|experiment| SweepRun { experiment, status: RunStatus::Waiting }).collect();
        Sweep { runs, workers, sort: SortBy::Run, cancelled: false, regression: false, retired: Vec::new() }
    }

    /// The next waiting run for `worker`, marked as running there.
    pub fn take_next(&mut self, worker: usize) -> Option<(usize, Experiment)> {
        if self.cancelled || self.retired.contains(&worker) {
            return None;
        }
        let (i, run) = self.runs.iter_mut().enumerate().find(|(_, r)| r.status == RunStatus::Waiting)?;
        run.status = RunStatus::Running { worker, epochs: 0 };
        Some((i, run.experiment.clone()))
    }

    /// The run `worker` is training, if any.
    pub fn running_on(&self, worker: usize) -> Option<usize> {
        self.runs.iter().position(|r| matches!(r.status, RunStatus::Running { worker: w, .. } if w == worker))
    }

    /// `worker`'s run finished an epoch; true when it was its last.
    pub fn epoch_done(&mut self, worker: usize, epoch: u64, test_loss: f64, score: f64) -> bool {
        let Some(i) = self.running_on(worker) else { return false };
        let run = &mut self.runs[i];
        if epoch >= run.experiment.epochs as u64 {
            run.status = RunStatus::Done { test_loss, score };
            true
        } else {
            run.status = RunStatus::Running { worker, epochs: epoch };
            false
        }
    }

    pub fn failed(&mut self, worker: usize, why: String) {
        if let Some(i) = self.running_on(worker) {
            self.runs[i].status = RunStatus::Failed(why);
        }
    }

    /// `worker` is gone: it takes no more runs, and once every worker is gone the runs still
    /// waiting fail (so the sweep finishes).
    pub fn retire(&mut self, worker: usize) {
        if !self.retired.contains(&worker) {
            self.retired.push(worker);
        }
        if self.retired.len() >= self.workers {
            for run in self.runs.iter_mut().filter(|r| r.status == RunStatus::Waiting) {
                run.status = RunStatus::Failed("no worker left to train it: every worker stopped".into());
            }
        }
    }

    pub fn done_count(&self) -> usize {
        self.runs.iter().filter(|r| matches!(r.status, RunStatus::Done { .. } | RunStatus::Failed(_))).count()
    }

    pub fn finished(&self) -> bool {
        self.cancelled || self.done_count() == self.runs.len()
    }

    /// The run indices in table order (finished runs by the sort key, best first; the rest after).
    pub fn order(&self) -> Vec<usize> {
        let key = |i: &usize| -> f64 {
            let r = &self.runs[*i];
            match (self.sort, &r.status) {
                (SortBy::Run, _) => *i as f64,
                (SortBy::Lr, _) => r.experiment.lr,
                (SortBy::TestLoss, RunStatus::Done { test_loss, .. }) => *test_loss,
                (SortBy::Score, RunStatus::Done { score, .. }) => -score,
                _ => f64::INFINITY,
            }
        };
        let mut order: Vec<usize> = (0..self.runs.len()).collect();
        order.sort_by(|a, b| key(a).total_cmp(&key(b)).then(a.cmp(b)));
        order
    }

    /// The table's cells of run `i`: run, optimizer, lr, width(s), batch, status or results.
    pub fn row(&self, i: usize) -> [String; 7] {
        let r = &self.runs[i];
        let e = &r.experiment;
        let widths: Vec<String> = e.layers.iter().map(|l| l.width.to_string()).collect();
        let (status, loss, score) = match &r.status {
            RunStatus::Waiting => ("waiting".to_string(), "–".to_string(), "–".to_string()),
            RunStatus::Running { epochs, .. } => (format!("epoch {epochs} of {}", e.epochs), "–".into(), "–".into()),
            RunStatus::Done { test_loss, score } => {
                let score = match self.regression {
                    true => format!("{score:.4}"),
                    false => format!("{:.2} %", 100.0 * score),
                };
                ("done".into(), format!("{test_loss:.4}"), score)
            }
            RunStatus::Failed(why) => (format!("failed: {why}"), "–".into(), "–".into()),
        };
        [
            (i + 1).to_string(),
            format!("{} lr {}", e.optimizer.name(), e.lr),
            widths.join(","),
            e.batch.to_string(),
            status,
            loss,
            score,
        ]
    }

    /// One scatter panel per hyper-parameter the grid varies (two or more values among its runs;
    /// the learning rate when none does): the values in order, and each finished run's final
    /// test loss at its value's index.
    pub fn scatter_panels(&self) -> Vec<ScatterPanel> {
        let panels: Vec<ScatterPanel> =
            Axis::ALL.iter().map(|&axis| self.panel(axis)).filter(|p| p.values.len() > 1).collect();
        if panels.is_empty() { vec![self.panel(Axis::Lr)] } else { panels }
    }

    fn panel(&self, axis: Axis) -> ScatterPanel {
        // (sort key, label) of each run's value: numbers in numeric order, optimizers in grid order
        let value = |(i, r): (usize, &SweepRun)| -> (f64, String) {
            let e = &r.experiment;
            match axis {
                Axis::Lr => (e.lr, e.lr.to_string()),
                Axis::Width => e.layers.first().map_or((0.0, "none".into()), |l| (l.width as f64, l.width.to_string())),
                Axis::Batch => (e.batch as f64, e.batch.to_string()),
                Axis::Optimizer => {
                    let first = self.runs.iter().position(|o| o.experiment.optimizer == e.optimizer).unwrap_or(i);
                    (first as f64, e.optimizer.name().to_string())
                }
            }
        };
        let mut values: Vec<(f64, String)> = self.runs.iter().enumerate().map(value).collect();
        values.sort_by(|a, b| a.0.total_cmp(&b.0));
        values.dedup_by(|a, b| a.1 == b.1);
        let points = self
            .runs
            .iter()
            .enumerate()
            .filter_map(|(i, r)| match r.status {
                RunStatus::Done { test_loss, .. } if test_loss.is_finite() => {
                    let label = value((i, r)).1;
                    values.iter().position(|v| v.1 == label).map(|at| (at, test_loss))
                }
                _ => None,
            })
            .collect();
        ScatterPanel { axis, values: values.into_iter().map(|v| v.1).collect(), points }
    }
}

/// A hyper-parameter the sweep's scatter plots the final test loss against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axis {
    Lr,
    Width,
    Batch,
    Optimizer,
}

impl Axis {
    pub const ALL: [Axis; 4] = [Axis::Lr, Axis::Width, Axis::Batch, Axis::Optimizer];

    pub fn title(self) -> &'static str {
        match self {
            Axis::Lr => "learning rate",
            Axis::Width => "hidden width",
            Axis::Batch => "batch size",
            Axis::Optimizer => "optimizer",
        }
    }
}

/// One panel of the sweep's scatter: the axis's values in order (the columns) and
/// (column, final test loss) per finished run.
#[derive(Clone, Debug, PartialEq)]
pub struct ScatterPanel {
    pub axis: Axis,
    pub values: Vec<String>,
    pub points: Vec<(usize, f64)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_spans_every_combination_and_is_bounded() {
        let base = Experiment::defaults_for("spiral");
        let spec = SweepSpec::parse("0.01, 0.1", "8 16", "10", "sgd,adam").unwrap();
        let runs = spec.runs(&base).unwrap();
        assert_eq!(runs.len(), 8);
        assert!(runs.iter().all(|e| e.seed == base.seed && e.data == base.data && e.batch == 10));
        assert_eq!(runs[0].optimizer, OptimizerName::Sgd);
        assert!(runs[3].layers.iter().all(|l| l.width == 16));
        assert_eq!(SweepSpec::parse("", "", "", "").unwrap().runs(&base).unwrap(), vec![base.clone()]);
        let big = SweepSpec::parse("1 2 3 4 5", "1 2 3 4", "1 2 3 4", "").unwrap();
        assert_eq!(big.runs(&base).unwrap_err(), "the grid has 80 runs; a sweep runs at most 64");
        // 256 values in each list from a link: 256⁴ = 2³² runs, which a wasm32 usize product
        // wraps to 0; counted in u64 it is refused before anything is built
        let many = |v: &str| vec![v; 256].join(",");
        let link = format!("lr:{};width:{};batch:{};opt:{}", many("1"), many("1"), many("1"), many("sgd"));
        let huge = SweepSpec::from_link(&link).unwrap();
        assert_eq!(huge.runs(&base).unwrap_err(), "the grid has 4,294,967,296 runs; a sweep runs at most 64");
        assert_eq!(SweepSpec::parse("0.1 x", "", "", "").unwrap_err(), "learning rates: 'x' is not a valid value");
        assert!(SweepSpec::parse("-1", "", "", "").is_err());
        assert!(SweepSpec::parse("", "", "", "lion").unwrap_err().contains("unknown optimizer 'lion'"));
    }

    #[test]
    fn the_scatter_has_a_panel_per_varied_hyper_parameter() {
        let base = Experiment { epochs: 1, ..Experiment::defaults_for("spiral") };
        let runs = SweepSpec::parse("0.1 0.01", "8 4", "", "adam sgd").unwrap().runs(&base).unwrap();
        let mut s = Sweep::new(runs, 1);
        // finish runs 0 (adam lr 0.1 width 8), 3 (adam 0.01 width 4) and 5 (sgd 0.1 width 4)
        for (run, loss) in [(0, 0.5), (3, 0.25), (5, f64::NAN)] {
            s.runs[run].status = RunStatus::Done { test_loss: loss, score: 0.5 };
        }
        let panels = s.scatter_panels();
        let axes: Vec<Axis> = panels.iter().map(|p| p.axis).collect();
        assert_eq!(axes, [Axis::Lr, Axis::Width, Axis::Optimizer]);
        assert_eq!(panels[0].values, ["0.01", "0.1"]);
        assert_eq!(panels[0].points, [(1, 0.5), (0, 0.25)]);
        assert_eq!(panels[1].values, ["4", "8"]);
        assert_eq!(panels[1].points, [(1, 0.5), (0, 0.25)]);
        // optimizers keep the grid's order; a run whose loss is not finite has no dot
        assert_eq!(panels[2].values, ["adam", "sgd"]);
        assert_eq!(panels[2].points, [(0, 0.5), (0, 0.25)]);
        assert_eq!(Sweep::new(vec![base], 1).scatter_panels()[0].axis, Axis::Lr);
    }

    #[test]
    fn a_sweep_travels_in_the_link() {
        let spec = SweepSpec::parse("0.01 0.1", "4 8", "", "sgd adam").unwrap();
        assert_eq!(spec.to_link(), "lr:0.01,0.1;width:4,8;batch:;opt:sgd,adam");
        assert_eq!(SweepSpec::from_link(&spec.to_link()).unwrap(), spec);
        assert_eq!(spec.texts()[3], "sgd adam");
        assert!(SweepSpec::from_link("lr:x").unwrap_err().contains("learning rates: 'x'"));
        assert!(SweepSpec::from_link("depth:3").unwrap_err().contains("unknown part 'depth'"));
    }

    #[test]
    fn workers_take_runs_until_none_wait() {
        let base = Experiment { epochs: 2, ..Experiment::defaults_for("spiral") };
        let runs = SweepSpec::parse("0.01 0.1 1", "", "", "").unwrap().runs(&base).unwrap();
        let mut s = Sweep::new(runs, pool_size(3, 3));
        assert_eq!(s.workers, 2);
        assert_eq!(s.take_next(0).unwrap().0, 0);
        assert_eq!(s.take_next(1).unwrap().0, 1);
        assert!(!s.epoch_done(1, 1, 0.5, 0.7));
        assert!(s.epoch_done(1, 2, 0.4, 0.8));
        assert_eq!(s.take_next(1).unwrap().0, 2);
        assert!(s.epoch_done(0, 2, 0.3, 0.9) && s.epoch_done(1, 2, 0.6, 0.6));
        assert!(s.take_next(0).is_none() && s.finished());
        s.sort = SortBy::TestLoss;
        assert_eq!(s.order(), [0, 1, 2]);
        s.sort = SortBy::Score;
        assert_eq!(s.order(), [0, 1, 2]);
        s.sort = SortBy::Lr;
        assert_eq!(s.order(), [0, 1, 2]);
        assert_eq!(s.row(1)[5], "0.4000");
        assert_eq!(s.row(1)[6], "80.00 %");
        // a regression's score is R², a coefficient that may go below 0
        s.regression = true;
        s.runs[2].status = RunStatus::Done { test_loss: 0.6, score: -0.25 };
        assert_eq!([s.row(1)[6].as_str(), &s.row(2)[6]], ["0.8000", "-0.2500"]);
        let panels = s.scatter_panels();
        assert_eq!(panels.len(), 1);
        assert_eq!(panels[0].values, ["0.01", "0.1", "1"]);
        assert_eq!(panels[0].points, [(0, 0.3), (1, 0.4), (2, 0.6)]);
        assert_eq!(pool_size(1, 8), 1);
        assert_eq!(pool_size(16, 64), 8);
    }
}
