//! What the page knows: one `App`, changed only by `update::update`. Plain data (no DOM, no JS
//! objects), so the update logic runs and is tested natively. The bytes the page must keep for
//! a worker restart (local files, the last checkpoint) stay with the shell as browser objects;
//! the state records only that they exist.

use std::rc::Rc;

use super::cost::{DeviceInfo, FlopRate};
use super::race::{Race, RacePreset};
use super::sweep::{Sweep, SweepSpec};
use crate::health_history::HealthHistory;
use crate::loss_history::LossHistory;
use crate::protocol::{Boundary, DataSummary, Experiment, ToWorker, UnitLayer};

/// Per-epoch points kept for the charts (thinned past twice this; see `thin_epochs`).
pub const EPOCH_POINTS: usize = 512;

/// Health alerts shown at once (the newest).
pub const ALERTS_KEPT: usize = 6;

/// A line of the health alerts: the latest onset of one condition (`key`: its kind and layer;
/// `None` for a rollback to the weights from before a non-finite loss) and how many times it
/// began in this run. A condition that comes back replaces its line rather than adding one, so
/// a layer whose update size hovers about its threshold does not fill the list.
#[derive(Clone, Debug, PartialEq)]
pub struct ShownAlert {
    pub key: Option<(webgrad_nn::monitor::AlertKind, usize)>,
    pub message: String,
    pub times: u32,
    /// The condition has cleared: the last step of the last window it held.
    pub over_after: Option<u64>,
}

impl ShownAlert {
    /// The text of its line: the message, then whether it is over and how often it began when
    /// more than once.
    pub fn text(&self) -> String {
        let mut text = self.message.clone();
        let mut add = |sentence: String| {
            if !text.ends_with('.') {
                text.push('.');
            }
            text.push(' ');
            text.push_str(&sentence);
        };
        if let Some(step) = self.over_after {
            add(format!("Over after step {}.", webgrad_nn::monitor::grouped(step)));
        }
        if self.times > 1 {
            add(format!("Seen {} times this run.", self.times));
        }
        text
    }
}

/// After this many worker failures in one visit the page stops replacing it (a crash loop).
pub const MAX_RESTARTS: u32 = 3;

/// The panels a link can hide (TensorFlow Playground's `*_hide` keys: `data_hide=1` …), for
/// pages that embed the playground: the data, the model's architecture, the training settings,
/// the evaluation (with the drawing canvas), the experiments (race, sweep, inspector, gradient
/// check), and keep-and-share.
pub const PANELS: [&str; 6] = ["data", "model", "training", "evaluation", "experiments", "share"];

/// How the charts are drawn (their own controls; not part of the experiment, so changing one
/// never resets the model, but kept in the link with it).
#[derive(Clone, Debug, PartialEq)]
pub struct ChartOptions {
    pub log_scale: bool,
    /// Exponential moving-average weight in [0, 0.999].
    pub smoothing: f64,
    /// The 2-D plane shows the test points (squares) as well as the training points.
    pub show_test: bool,
    /// The 2-D plane shows the predicted class (or which side of the middle value) instead of
    /// the graded output.
    pub discretize: bool,
    /// The race or sweep last started (`race=` / `sweep=` in the link starts it again).
    pub race: Option<RacePreset>,
    pub sweep: Option<SweepSpec>,
    /// `hide[i]`: the link hides panel `PANELS[i]`.
    pub hide: [bool; PANELS.len()],
}

impl Default for ChartOptions {
    fn default() -> Self {
        ChartOptions {
            log_scale: false,
            smoothing: 0.95,
            show_test: true,
            discretize: false,
            race: None,
            sweep: None,
            hide: [false; PANELS.len()],
        }
    }
}

impl ChartOptions {
    /// The link keys of the options that differ from the defaults, each as `&key=value`.
    pub fn to_query(&self) -> String {
        let mut q = String::new();
        if self.log_scale {
            q += "&log=1";
        }
        if !self.show_test {
            q += "&showtest=0";
        }
        if self.discretize {
            q += "&discretize=1";
        }
        if self.smoothing != ChartOptions::default().smoothing {
            q += &format!("&smooth={}", self.smoothing);
        }
        if let Some(r) = self.race {
            q += &format!("&race={}", r.name());
        }
        if let Some(s) = &self.sweep {
            q += &format!("&sweep={}", s.to_link());
        }
        for (name, _) in PANELS.iter().zip(self.hide).filter(|(_, hidden)| *hidden) {
            q += &format!("&{name}_hide=1");
        }
        q
    }

    /// The options a link sets (missing keys keep their defaults), and a refusal naming the key
    /// for each value refused: that option keeps its default and the others apply. A race or
    /// sweep is not started from a link that hides the experiments panel, where it could not be
    /// seen or stopped.
    pub fn from_query(query: &str) -> (ChartOptions, Vec<String>) {
        let q = crate::experiment::Query::parse(query);
        let mut refused = Vec::new();
        let d = ChartOptions::default();
        let mut flag = |key: &str, default: bool| match q.get(key) {
            None => default,
            Some("1" | "true") => true,
            Some("0" | "false") => false,
            Some(v) => {
                refused.push(format!("link parameter {key}='{v}' is not 0 or 1"));
                default
            }
        };
        let mut hide = d.hide;
        for (slot, name) in hide.iter_mut().zip(PANELS) {
            *slot = flag(&format!("{name}_hide"), false);
        }
        let (log_scale, show_test, discretize) =
            (flag("log", d.log_scale), flag("showtest", d.show_test), flag("discretize", d.discretize));
        fn kept<T>(r: Option<Result<T, String>>, refused: &mut Vec<String>) -> Option<T> {
            r.and_then(|r| r.map_err(|e| refused.push(e)).ok())
        }
        let smooth = q.get("smooth").map(|v| match v.parse::<f64>() {
            Ok(s) if (0.0..=0.99).contains(&s) => Ok(s),
            _ => Err(format!("link parameter smooth='{v}': give 0 to 0.99")),
        });
        let smoothing = kept(smooth, &mut refused);
        let mut race = kept(q.get("race").map(RacePreset::parse), &mut refused);
        let mut sweep = kept(q.get("sweep").map(SweepSpec::from_link), &mut refused);
        let experiments = PANELS.iter().position(|p| *p == "experiments").expect("a panel of experiments");
        if hide[experiments] && (race.is_some() || sweep.is_some()) {
            let what = if race.is_some() { "race" } else { "sweep" };
            refused.push(format!(
                "link parameter {what}: not started in a hidden experiments panel (experiments_hide=1), where it could not be stopped"
            ));
            (race, sweep) = (None, None);
        }
        let smoothing = smoothing.unwrap_or(d.smoothing);
        (ChartOptions { log_scale, smoothing, show_test, discretize, race, sweep, hide }, refused)
    }
}

/// What the unit pictures show.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pictures {
    /// Each unit's output over the input plane (2-D data): one colour scale per layer.
    Outputs,
    /// Each first-layer unit's incoming weights as an image: each scaled to its own largest weight.
    InputWeights,
}

/// The worker's `Weights`: `sizes` = units per layer (input first), `units[l]` = the units of
/// layer l drawn, `layers[l]` = the weights between them, [units[l+1].len(), units[l].len()].
#[derive(Clone, Debug, PartialEq)]
pub struct Diagram {
    pub sizes: Vec<usize>,
    pub units: Vec<Vec<usize>>,
    pub layers: Vec<Vec<f32>>,
}

/// A request the worker answers with `FromWorker::Answered`.
#[derive(Clone, Debug, PartialEq)]
pub enum Pending {
    Reset(Experiment),
    /// files chosen by hand (the shell holds them aside until they load)
    Files(Experiment),
}

#[derive(Debug)]
pub struct App {
    pub running: bool,
    /// The worker is up and answers (between its `Ready` and a failure).
    pub ready: bool,
    /// Train or Step pressed before the worker was ready (it drops what arrives before its wasm
    /// runs): sent once its `Ready` has set the model up.
    pub start_when_ready: Option<ToWorker>,
    /// Controls changed since the worker last built the model: the next Train/Step resets first.
    pub dirty: bool,
    /// The experiment the controls describe, or what is wrong with them. Kept current by
    /// every control event (`Msg::Edited`) and by every experiment the page puts into them.
    pub form: Result<Experiment, String>,
    pub chart: ChartOptions,
    pub losses: LossHistory,
    /// (step, test loss) after each epoch.
    pub test_losses: Vec<(u64, f64)>,
    /// Shared with the chart snapshot (`views::Charts`), which each animation frame takes.
    pub summary: Option<Rc<DataSummary>>,
    pub boundary: Option<Rc<Boundary>>,
    /// The network diagram as last drawn: what a pointer on it points at.
    pub diagram: Option<Diagram>,
    /// The link chosen for editing: (linear layer, to, from), true unit indices.
    pub weight_link: Option<(usize, usize, usize)>,
    /// The unit pictures last sent: each hidden unit's output over the plane, or the first
    /// layer's incoming weights as images; `pictures_version` counts changes to them and to the
    /// unit in focus (a frame redraws the pictures only when it moved on).
    pub unit_pictures: Option<Rc<(Vec<UnitLayer>, Pictures)>>,
    pub pictures_version: u64,
    /// The hidden unit drawn large (layer, unit), 0-based: the last one hovered or focused.
    pub focused_unit: (usize, usize),
    pub step: u64,
    pub epoch: u64,
    /// The training speed shown: the last [`SpeedMeter`] reading (0 before the first).
    pub samples_per_sec: f64,
    pub speed: SpeedMeter,
    /// The race running or last run (its lanes' workers are the shell's); `race_version`
    /// counts its changes (a frame redraws it only when it moved on).
    pub race: Option<Rc<Race>>,
    pub race_version: u64,
    /// The sweep running or last run (the same lane workers: a race and a sweep never run at
    /// once); `sweep_version` as `race_version`.
    pub sweep: Option<Rc<Sweep>>,
    pub sweep_version: u64,
    /// The browser's `navigator.hardwareConcurrency` (a sweep's pool is one less).
    pub cores: usize,
    /// Why the training worker computes on one thread (the page is not cross-origin isolated,
    /// or the threaded worker failed to start), said beside the device; `None`: the threaded
    /// worker, whose device line names its thread count.
    pub one_thread_reason: Option<String>,
    /// The device the worker trains on, and the FLOP rate the last run measured on one.
    pub device: Option<DeviceInfo>,
    pub flop_rate: Option<FlopRate>,
    /// The health monitors' readings, one per window of steps (shared with the frame's
    /// snapshot); `health_version` counts changes to them (a frame redraws the sparklines only
    /// when it moved on).
    pub health: Rc<HealthHistory>,
    pub health_version: u64,
    /// The health alerts of this run, newest first, one per condition (the page shows the
    /// first `ALERTS_KEPT`).
    pub alerts: Vec<ShownAlert>,
    /// (epoch, train score, test score): accuracy, or R² for regression.
    pub scores: Vec<(u64, Option<f64>, f64)>,
    /// The last training score is the running accuracy over its epoch (`FromWorker::Epoch`).
    pub train_running: bool,
    pub regression: bool,
    /// The Resets and file loads sent that the worker has not answered yet, oldest first (it
    /// answers each with `FromWorker::Answered`, in order): their experiment becomes
    /// `experiment` (and the files' the form) once built.
    pub pending: std::collections::VecDeque<Pending>,
    /// What a replacement worker needs if this one fails: the last experiment the worker built
    /// (or imported a model into), whether the
    /// shell holds the files it came from (local data cannot be fetched again) and the last
    /// checkpoint the worker posted (after every epoch; its bytes are the shell's).
    pub experiment: Option<Experiment>,
    pub has_files: bool,
    pub checkpoint: Option<(Experiment, u64)>,
    /// A Reset was sent and neither its data and model nor an error has come back: the stats
    /// line says it is loading until one does.
    pub resetting: bool,
    /// A replacement worker is starting or restoring; `restarts` counts them in this visit.
    pub restoring: bool,
    pub restarts: u32,
    /// Why the link's settings were not applied: shown once the first experiment is loaded
    /// (the Reset that loads it clears the error line).
    pub link_error: Option<String>,
    /// The experiment the page was opened with in its link (its query form), where the link
    /// can hold all of it (not a file experiment): a checkpoint in this browser's storage of
    /// another experiment does not replace it.
    pub linked: Option<String>,
    /// On a reload (or back/forward), the experiment in the address: the stored checkpoint
    /// resumes only when it is of the same data and layers. There is one checkpoint per site,
    /// so one another tab saved since is of another experiment, which the address then wins over.
    pub reloaded: Option<Experiment>,
}

impl App {
    /// The page as it opens, its controls showing `form`.
    pub fn new(form: Experiment, link_error: Option<String>) -> App {
        App {
            running: false,
            ready: false,
            start_when_ready: None,
            dirty: false,
            form: Ok(form),
            chart: ChartOptions::default(),
            losses: LossHistory::default(),
            test_losses: Vec::new(),
            summary: None,
            boundary: None,
            diagram: None,
            weight_link: None,
            unit_pictures: None,
            pictures_version: 0,
            focused_unit: (0, 0),
            step: 0,
            epoch: 0,
            samples_per_sec: 0.0,
            speed: SpeedMeter::default(),
            device: None,
            flop_rate: None,
            race: None,
            race_version: 0,
            sweep: None,
            sweep_version: 0,
            cores: 2,
            one_thread_reason: None,
            health: Rc::default(),
            health_version: 0,
            alerts: Vec::new(),
            scores: Vec::new(),
            train_running: false,
            regression: false,
            pending: Default::default(),
            experiment: None,
            has_files: false,
            checkpoint: None,
            resetting: false,
            restoring: false,
            restarts: 0,
            link_error,
            linked: None,
            reloaded: None,
        }
    }

    /// Forgets the curves of the previous model.
    pub fn clear_history(&mut self) {
        self.losses.clear();
        self.test_losses.clear();
        self.scores.clear();
        self.health = Rc::default();
        self.health_version = self.health_version.wrapping_add(1);
        self.alerts.clear();
        self.step = 0;
        self.epoch = 0;
        self.samples_per_sec = 0.0;
        self.speed = SpeedMeter::default();
    }
}

/// The training speed from the worker's slices: their rows over their training time, summed
/// until they make [`SpeedMeter::WINDOW_SECONDS`]. A small model (Iris: 8 steps an epoch)
/// trains each epoch in one slice of a millisecond, too short to time alone, so a rate from
/// single slices would never appear; a large one reads a new rate every slice or two.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpeedMeter {
    samples: u64,
    seconds: f64,
    /// whether a whole window has been read
    windowed: bool,
}

impl SpeedMeter {
    pub const WINDOW_SECONDS: f64 = 0.1;

    /// Adds a slice (`samples` rows in `train_ms` ms); returns the rate to show: samples/s of
    /// the slices since the last window once they add up to one (the next window starts), and
    /// before the first whole window the rate so far (a run too short for one window: Iris
    /// trains 40 epochs in 30 ms). `None`: keep showing the last one.
    pub fn add(&mut self, samples: u64, train_ms: f64) -> Option<f64> {
        self.samples = self.samples.saturating_add(samples);
        self.seconds += if train_ms.is_finite() { train_ms.max(0.0) / 1000.0 } else { 0.0 };
        if self.samples == 0 || self.seconds <= 0.0 {
            return None;
        }
        let rate = self.samples as f64 / self.seconds;
        if self.seconds >= Self::WINDOW_SECONDS {
            *self = SpeedMeter { windowed: true, ..Self::default() };
            return Some(rate);
        }
        (!self.windowed).then_some(rate)
    }
}

/// A test score as the page says it: accuracy in percent ("accuracy 95.00 %"), R² as the
/// coefficient it is ("R² 0.9987"; it goes below 0, where a percentage reads wrong).
pub fn score_text(regression: bool, score: f64) -> String {
    if regression { format!("R² {score:.4}") } else { format!("accuracy {:.2} %", 100.0 * score) }
}

/// 109386 → "109,386" (the monitor's alerts group digits the same way)
pub fn thousands(n: usize) -> String {
    webgrad_nn::monitor::grouped(n as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panels_hide_by_link_keys() {
        let (o, refused) = ChartOptions::from_query("data=xor&data_hide=1&share_hide=true&model_hide=0");
        assert!(refused.is_empty());
        assert_eq!(o.hide, [true, false, false, false, false, true]);
        assert_eq!(o.to_query(), "&data_hide=1&share_hide=1");
        assert_eq!(ChartOptions::from_query(&o.to_query()), (o, vec![]));
        assert!(ChartOptions::from_query("evaluation_hide=yes").1[0].contains("evaluation_hide='yes'"));
    }

    #[test]
    fn chart_options_travel_in_the_link_and_only_when_changed() {
        assert_eq!(ChartOptions::default().to_query(), "");
        let o = ChartOptions {
            log_scale: true,
            smoothing: 0.5,
            show_test: false,
            discretize: true,
            race: Some(RacePreset::Optimizers),
            ..ChartOptions::default()
        };
        assert_eq!(o.to_query(), "&log=1&showtest=0&discretize=1&smooth=0.5&race=optimizers");
        let back = ChartOptions::from_query(&format!("data=spiral&hidden=8{}", o.to_query()));
        assert_eq!(back, (o, vec![]));
        assert_eq!(ChartOptions::from_query("data=xor"), (ChartOptions::default(), vec![]));
        assert_eq!(ChartOptions::from_query("discretize=yes").1, ["link parameter discretize='yes' is not 0 or 1"]);
    }

    /// One refused value keeps its default and the others apply (before, a mistyped race name
    /// dropped the hidden panels and the log scale too); a link that hides the experiments panel
    /// starts no race or sweep there.
    #[test]
    fn a_refused_chart_option_keeps_the_others() {
        let (o, refused) = ChartOptions::from_query("data=xor&log=1&data_hide=1&race=optimisers&smooth=2");
        assert!(o.log_scale && o.hide[0] && o.race.is_none() && o.smoothing == 0.95, "{o:?}");
        assert_eq!(refused.len(), 2, "{refused:?}");
        assert!(refused[0].contains("smooth='2'") && refused[1].contains("optimisers"), "{refused:?}");
        let (o, refused) = ChartOptions::from_query("race=lr&experiments_hide=1");
        assert!(o.race.is_none() && o.hide[4], "{o:?}");
        assert!(
            refused[0].starts_with("link parameter race: not started in a hidden experiments panel"),
            "{refused:?}"
        );
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(109_386), "109,386");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
