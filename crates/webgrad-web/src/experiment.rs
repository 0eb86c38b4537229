//! The experiment: what the model and the run look like (everything a shared link has to
//! reproduce), each dataset's defaults, and the link codec (`to_query` / `from_query`).

use serde::{Deserialize, Serialize};
use webgrad_data::{InputFeature, MissingPolicy, ScalingKind};
use webgrad_nn::{ActivationName, BackendChoice, OptimizerName, SchedulePreset};

pub(crate) mod link;
pub(crate) use link::Query;
use link::{decode, encode, missing_part, missing_policy, num, per_layer, spread};

/// Which data to train on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DataChoice {
    /// The bundled 8,000 / 2,000 MNIST digits.
    Mnist,
    /// The bundled Iris flowers table (150 rows, 4 features, 3 species), split 80 / 20.
    Iris,
    /// A TensorFlow-Playground generator: circle, xor, gauss, spiral (classification), plane;
    /// the model sees `inputs`, functions of the point (x₁, x₂) (the plane shows the points).
    Synthetic {
        name: String,
        samples: usize,
        noise: f32,
        test_fraction: f32,
        seed: u64,
        #[serde(default = "plain_inputs")]
        inputs: Vec<InputFeature>,
    },
    /// A file the person picked or dropped (CSV/TSV, or an IDX/NPY pair); `label` names the
    /// label column of a table (None: the last), `missing` says what a table's missing cells
    /// do (refuse the file, leave their rows out, or take the training rows' mean). Cannot be
    /// reloaded from a link.
    File {
        name: String,
        label: Option<String>,
        #[serde(default)]
        missing: MissingPolicy,
    },
    /// A file fetched from a URL (streamed), as for `File`.
    Url {
        url: String,
        label: Option<String>,
        #[serde(default)]
        missing: MissingPolicy,
    },
}

/// x₁ and x₂: the point itself.
pub fn plain_inputs() -> Vec<InputFeature> {
    InputFeature::PLAIN.to_vec()
}

/// One hidden layer of the MLP the page builds: `Linear(previous width, width)`, then the
/// activation, then dropout with probability `dropout` (in [0, 1)) while training.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HiddenLayer {
    pub width: usize,
    pub activation: ActivationName,
    #[serde(default)]
    pub dropout: f32,
}

impl HiddenLayer {
    pub fn new(width: usize, activation: ActivationName, dropout: f32) -> HiddenLayer {
        HiddenLayer { width, activation, dropout }
    }

    /// The layer as the model crate builds it.
    pub fn config(&self) -> webgrad_nn::LayerConfig {
        webgrad_nn::LayerConfig { width: self.width, activation: self.activation, dropout: self.dropout }
    }
}

/// What the model and the run look like (everything a shared link has to reproduce).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Experiment {
    pub data: DataChoice,
    /// Feature normalisation fitted on the training split: none, standardize (mean 0, std 1) or
    /// minmax (to [0, 1]). MNIST's pixels are divided by 255 before it.
    #[serde(default)]
    pub normalise: ScalingKind,
    /// The hidden layers in order, input side first (the output head follows the task).
    pub layers: Vec<HiddenLayer>,
    pub optimizer: OptimizerName,
    /// The optimizer's settings changed from PyTorch's defaults, by argument name
    /// (`OptimizerConfig::set_hyperparameter`), e.g. [("beta2", 0.98)].
    #[serde(default)]
    pub hyper: Vec<(String, f64)>,
    pub lr: f64,
    pub batch: usize,
    pub epochs: usize,
    pub seed: u64,
    #[serde(default)]
    pub backend: BackendChoice,
    /// The optimizer's weight decay; `None` keeps its PyTorch default (AdamW: 0.01, others 0).
    #[serde(default)]
    pub weight_decay: Option<f64>,
    /// L1 and L2 penalty coefficients on the weights, added to the loss.
    #[serde(default)]
    pub l1: f32,
    #[serde(default)]
    pub l2: f32,
    #[serde(default)]
    pub schedule: SchedulePreset,
}

/// The network diagram draws at most this many units per layer.
pub const DIAGRAM_MAX_UNITS: usize = 16;

impl Experiment {
    /// The starting point for a dataset: an MLP that learns it in seconds.
    pub fn defaults_for(dataset: &str) -> Experiment {
        let (data, hidden, lr, batch, epochs) = if dataset == "mnist" {
            (DataChoice::Mnist, vec![128, 64], 1e-3, 64, 5)
        } else if dataset == "iris" {
            (DataChoice::Iris, vec![16], 1e-2, 16, 60)
        } else if dataset == "url" || dataset == "file" {
            // the CLI's defaults at batch 32 (a small file still fills a batch): a table's own
            // data may be a few hundred rows, which 50 epochs at lr 0.01 overfit (R² 0.6 below
            // least squares on diabetes-like tables; these: 0.02 below, `cli/tests/all/regression.rs`)
            (
                DataChoice::Url { url: String::new(), label: None, missing: MissingPolicy::Error },
                vec![128, 64],
                1e-3,
                32,
                5,
            )
        } else {
            let data = DataChoice::Synthetic {
                name: dataset.into(),
                samples: 500,
                noise: 0.0,
                test_fraction: 0.5,
                seed: 1,
                inputs: plain_inputs(),
            };
            (data, vec![16, 16, 16], 0.03, 10, 100)
        };
        Experiment {
            data,
            // as the CLI: tables and MNIST (after /255) standardised, the 2-D sets as they are
            normalise: ScalingKind::default_for(dataset),
            layers: hidden.into_iter().map(|w| HiddenLayer::new(w, ActivationName::Relu, 0.0)).collect(),
            optimizer: OptimizerName::Adam,
            hyper: Vec::new(),
            lr,
            batch,
            epochs,
            seed: 1,
            backend: BackendChoice::Auto,
            weight_decay: None,
            l1: 0.0,
            l2: 0.0,
            schedule: SchedulePreset::Constant,
        }
    }

    /// `data=spiral&samples=500&noise=0.1&test=0.5&hidden=16,16&act=relu&opt=adam&lr=0.03&batch=10&epochs=100&seed=1`
    /// — the URL fragment that reproduces this experiment. `act` and `dropout` hold one value
    /// when every layer has the same, else one per layer (`act=relu,tanh&dropout=0.2,0`).
    pub fn to_query(&self) -> String {
        let hidden: Vec<String> = self.layers.iter().map(|l| l.width.to_string()).collect();
        let activations = per_layer(self.layers.iter().map(|l| l.activation.name().to_string()));
        let dropouts = per_layer(self.layers.iter().map(|l| l.dropout.to_string()));
        let label_part =
            |label: &Option<String>| label.as_ref().map(|l| format!("&label={}", encode(l))).unwrap_or_default();
        let mut q = match &self.data {
            DataChoice::Mnist => "data=mnist".to_string(),
            DataChoice::Iris => "data=iris".to_string(),
            // a local file cannot travel in a link: the link keeps the model settings only
            DataChoice::File { .. } => "data=file".to_string(),
            DataChoice::Url { url, label, missing } => {
                format!("data=url&url={}{}{}", encode(url), label_part(label), missing_part(*missing))
            }
            DataChoice::Synthetic { name, samples, noise, test_fraction, seed, inputs } => {
                let data_seed = if *seed != self.seed { format!("&dseed={seed}") } else { String::new() };
                let inputs = if *inputs != plain_inputs() {
                    let names: Vec<&str> = inputs.iter().map(|f| f.name()).collect();
                    format!("&inputs={}", names.join(","))
                } else {
                    String::new()
                };
                format!("data={name}&samples={samples}&noise={noise}&test={test_fraction}{data_seed}{inputs}")
            }
        };
        q += &format!(
            "&hidden={}&act={}&opt={}&lr={}&batch={}&epochs={}&seed={}",
            hidden.join(","),
            if activations.is_empty() { "relu" } else { &activations },
            self.optimizer.name(),
            self.lr,
            self.batch,
            self.epochs,
            self.seed
        );
        if self.backend != BackendChoice::Auto {
            q += &format!("&backend={}", self.backend.name());
        }
        if self.layers.iter().any(|l| l.dropout != 0.0) {
            q += &format!("&dropout={dropouts}");
        }
        if let Some(wd) = self.weight_decay {
            q += &format!("&wd={wd}");
        }
        if self.l1 != 0.0 {
            q += &format!("&l1={}", self.l1);
        }
        if self.l2 != 0.0 {
            q += &format!("&l2={}", self.l2);
        }
        if self.schedule != SchedulePreset::Constant {
            q += &format!("&sched={}", self.schedule.name());
        }
        if !self.hyper.is_empty() {
            let settings: Vec<String> = self.hyper.iter().map(|(k, v)| format!("{k}:{v}")).collect();
            q += &format!("&hp={}", settings.join(","));
        }
        if self.normalise != Experiment::defaults_for(self.dataset_key()).normalise {
            q += &format!("&norm={}", self.normalise.name());
        }
        q
    }

    /// The `defaults_for` key of this experiment's data ("mnist", "spiral", "url", "file").
    fn dataset_key(&self) -> &str {
        match &self.data {
            DataChoice::Mnist => "mnist",
            DataChoice::Iris => "iris",
            DataChoice::Synthetic { name, .. } => name,
            DataChoice::File { .. } => "file",
            DataChoice::Url { .. } => "url",
        }
    }

    /// Parses `to_query`'s form (keys in any order, missing keys take the dataset's defaults).
    /// Errors name the key and the value that is wrong.
    pub fn from_query(query: &str) -> Result<Experiment, String> {
        let q = Query::parse(query);
        let dataset = match q.get("data").unwrap_or("mnist") {
            // the file itself is not in the link
            "file" => "mnist",
            d => d,
        };
        if !["mnist", "iris", "circle", "xor", "gauss", "spiral", "plane", "url"].contains(&dataset) {
            return Err(format!("link parameter data='{dataset}' is not a known dataset"));
        }
        let mut e = Experiment::defaults_for(dataset);
        if dataset == "url" {
            let url = decode("url", q.get("url").ok_or("link parameter url is missing")?)?;
            let missing = q.get("missing").map_or(Ok(MissingPolicy::Error), missing_policy)?;
            let label = q.get("label").map(|l| decode("label", l)).transpose()?;
            e.data = DataChoice::Url { url, label, missing };
        }
        if let Some(v) = q.get("seed") {
            e.seed = num("seed", v)?;
        }
        e.link_data(&q)?;
        e.link_layers(&q)?;
        e.link_training(&q)?;
        e.check_link_ranges()?;
        Ok(e)
    }

    /// A link's experiment with what of it can be applied: a parameter whose value is refused
    /// is left at its default and its refusal returned (in link order), so one mistyped value
    /// does not lose the rest of a shared setup. `Err` when the dataset itself (`data`, `url`)
    /// is refused, more than [`MAX_REFUSED`] parameters are, or the link is too long to try
    /// ([`MAX_LINK_PARAMETERS`], [`MAX_LENIENT_BYTES`]).
    pub fn from_query_lenient(query: &str) -> Result<(Experiment, Vec<String>), String> {
        let mut pairs = Query::parse(query).0;
        let mut refused = Vec::new();
        let join = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
        loop {
            let why = match Experiment::from_query(&join(&pairs)) {
                Ok(e) => return Ok((e, refused)),
                Err(why) => why,
            };
            if refused.len() == MAX_REFUSED || pairs.len() > MAX_LINK_PARAMETERS || query.len() > MAX_LENIENT_BYTES {
                return Err(why);
            }
            // the parameter at fault: the first whose removal changes the refusal, trying those
            // the refusal names first (an activation list that does not fit the layers names
            // `act`, which goes, not `hidden`)
            let named = |k: &str| why.contains(&format!("parameter {k}")) as u8;
            let mut order: Vec<usize> = (0..pairs.len()).collect();
            order.sort_by_key(|&i| std::cmp::Reverse(named(pairs[i].0)));
            let culprit = order.into_iter().filter(|&i| !matches!(pairs[i].0, "data" | "url")).find(|&i| {
                let mut without = pairs.clone();
                without.retain(|(k, _)| *k != pairs[i].0);
                Experiment::from_query(&join(&without)).err().as_ref() != Some(&why)
            });
            let Some(i) = culprit else { return Err(why) };
            let key = pairs[i].0;
            refused.push(format!("{why} ({key} left at its default)"));
            // every copy of it: a repeated bad key (lr=-1&lr=-1) is one refusal
            pairs.retain(|(k, _)| *k != key);
        }
    }

    /// The ranges the page's controls allow, each refusal naming its key and value.
    fn check_link_ranges(&self) -> Result<(), String> {
        // written so that NaN fails too (`NaN < 0.0` is false)
        let penalty = |x: f64| x >= 0.0 && x.is_finite();
        let bad = |key: &str, value: String, want: &str| Err(format!("link parameter {key}={value}: {want}"));
        if let Some(l) = self.layers.iter().find(|l| !(0.0..1.0).contains(&l.dropout)) {
            return bad("dropout", l.dropout.to_string(), "give a share in [0, 1)");
        }
        for (key, value) in [("l1", f64::from(self.l1)), ("l2", f64::from(self.l2))] {
            if !penalty(value) {
                return bad(key, value.to_string(), "give a number ≥ 0");
            }
        }
        if let Some(w) = self.weight_decay.filter(|&w| !penalty(w)) {
            return bad("wd", w.to_string(), "give a number ≥ 0");
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return bad("lr", self.lr.to_string(), "give a positive number");
        }
        if self.batch == 0 || self.epochs == 0 {
            let (key, value) = if self.batch == 0 { ("batch", 0) } else { ("epochs", 0) };
            return bad(key, value.to_string(), "give at least 1");
        }
        if let Some(l) = self.layers.iter().find(|l| l.width == 0 || l.width > 4096) {
            return bad("hidden", l.width.to_string(), "give widths from 1 to 4096");
        }
        Ok(())
    }

    /// The generator's settings of a 2-D set (`samples`, `noise`, `test`).
    fn link_data(&mut self, q: &Query) -> Result<(), String> {
        let DataChoice::Synthetic { samples, noise, test_fraction, seed, inputs, .. } = &mut self.data else {
            return Ok(());
        };
        if let Some(v) = q.get("inputs") {
            *inputs = v
                .split(',')
                .map(|f| InputFeature::parse(f).map_err(|e| format!("link parameter inputs: {e}")))
                .collect::<Result<_, _>>()?;
            let unique: std::collections::HashSet<_> = inputs.iter().collect();
            if inputs.is_empty() || unique.len() != inputs.len() {
                return Err("link parameter inputs needs one or more different features".into());
            }
        }
        *seed = match q.get("dseed") {
            Some(v) => num("dseed", v)?,
            None => self.seed,
        };
        if let Some(v) = q.get("samples") {
            *samples = num("samples", v)?;
        }
        if let Some(v) = q.get("noise") {
            *noise = num("noise", v)?;
        }
        if let Some(v) = q.get("test") {
            *test_fraction = num("test", v)?;
        }
        // the values the controls can show: a link with others would show them wrongly and lose
        // them at the next edit of the data (a test share of 0 has no rows to score on)
        let on_steps = |v: f32, step: f32, low: f32, high: f32| {
            let k = (v / step).round();
            (low..=high).contains(&v) && (v - k * step).abs() < 1e-5
        };
        if !(20..=20_000).contains(samples) {
            return Err(format!("link parameter samples={samples}: give 20 to 20000"));
        }
        if !on_steps(*noise, 0.05, 0.0, 0.5) {
            return Err(format!("link parameter noise={noise}: give 0 to 0.5 in steps of 0.05"));
        }
        if !on_steps(*test_fraction, 0.1, 0.1 - 1e-6, 0.9 + 1e-6) {
            return Err(format!("link parameter test={test_fraction}: give 0.1 to 0.9 in steps of 0.1"));
        }
        Ok(())
    }

    /// The hidden layers: `hidden` widths, then `act` and `dropout` (one value or one per layer).
    fn link_layers(&mut self, q: &Query) -> Result<(), String> {
        if let Some(v) = q.get("hidden") {
            let widths: Vec<usize> = if v.is_empty() {
                Vec::new()
            } else {
                v.split(',').map(|w| num("hidden", w)).collect::<Result<_, _>>()?
            };
            if widths.len() > webgrad_nn::config::MAX_HIDDEN_LAYERS {
                return Err(format!(
                    "link parameter hidden has {} layers (the most is {})",
                    widths.len(),
                    webgrad_nn::config::MAX_HIDDEN_LAYERS
                ));
            }
            let activation = self.layers.first().map_or(ActivationName::Relu, |l| l.activation);
            self.layers = widths.into_iter().map(|w| HiddenLayer::new(w, activation, 0.0)).collect();
        }
        let n = self.layers.len();
        if let Some(v) = q.get("act") {
            for (layer, act) in self.layers.iter_mut().zip(spread("act", v, n)?) {
                layer.activation = ActivationName::parse(act).map_err(|e| format!("link parameter act: {e}"))?;
            }
        }
        if let Some(v) = q.get("dropout") {
            for (layer, p) in self.layers.iter_mut().zip(spread("dropout", v, n)?) {
                layer.dropout = num("dropout", p)?;
            }
        }
        Ok(())
    }

    /// The optimizer and its settings, the run's numbers, the normalisation, the schedule and
    /// the backend.
    fn link_training(&mut self, q: &Query) -> Result<(), String> {
        if let Some(v) = q.get("opt") {
            self.optimizer = OptimizerName::parse(v).map_err(|e| format!("link parameter opt: {e}"))?;
        }
        for (key, slot) in [("batch", &mut self.batch), ("epochs", &mut self.epochs)] {
            if let Some(v) = q.get(key) {
                *slot = num(key, v)?;
            }
        }
        if let Some(v) = q.get("lr") {
            self.lr = num("lr", v)?;
        }
        if let Some(v) = q.get("wd") {
            self.weight_decay = Some(num("wd", v)?);
        }
        for (key, slot) in [("l1", &mut self.l1), ("l2", &mut self.l2)] {
            if let Some(v) = q.get(key) {
                *slot = num(key, v)?;
            }
        }
        if let Some(v) = q.get("hp") {
            let mut config = self.optimizer.config();
            for setting in v.split(',').filter(|s| !s.is_empty()) {
                let (k, value) =
                    setting.split_once(':').ok_or(format!("link parameter hp='{v}' needs name:value pairs"))?;
                let value: f64 = num("hp", value)?;
                // the page shows one value a setting: a second would train unseen
                if self.hyper.iter().any(|(name, _)| name == k) {
                    return Err(format!("link parameter hp: {k} is given twice"));
                }
                config.set_hyperparameter(k, value).map_err(|err| format!("link parameter hp: {err}"))?;
                self.hyper.push((k.to_string(), value));
            }
            config.validate().map_err(|e| format!("link parameter hp: {e}"))?;
        }
        if let Some(v) = q.get("norm") {
            self.normalise = ScalingKind::parse(v).map_err(|e| format!("link parameter norm='{v}': {e}"))?;
        }
        if let Some(v) = q.get("sched") {
            self.schedule = SchedulePreset::parse(v).map_err(|e| format!("link parameter sched='{v}': {e}"))?;
        }
        if let Some(v) = q.get("backend") {
            self.backend = BackendChoice::parse(v).map_err(|e| format!("link parameter backend='{v}': {e}"))?;
        }
        Ok(())
    }
}

/// Refused parameters a link may have and still be applied in part.
const MAX_REFUSED: usize = 8;
/// Parameters a link may have to be applied in part (its own are about 20), and its length:
/// finding the refused parameters parses the link up to ~600 times.
const MAX_LINK_PARAMETERS: usize = 64;
const MAX_LENIENT_BYTES: usize = 16 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_with_refused_values_applies_the_rest_and_names_each_refusal() {
        let lenient = |q: &str| Experiment::from_query_lenient(q);
        // all good: nothing refused
        let (e, refused) = lenient("data=xor&hidden=4&lr=0.1").unwrap();
        assert_eq!((e, refused.len()), (Experiment::from_query("data=xor&hidden=4&lr=0.1").unwrap(), 0));
        // two bad values: each left at its default and named; the others applied
        let (e, refused) = lenient("data=xor&lr=-1&hidden=4&act=swish&seed=7").unwrap();
        assert_eq!(e, Experiment::from_query("data=xor&hidden=4&seed=7").unwrap());
        assert_eq!(refused.len(), 2, "{refused:?}");
        assert!(refused.iter().any(|r| r.contains("lr=-1") && r.ends_with("(lr left at its default)")), "{refused:?}");
        assert!(refused.iter().any(|r| r.contains("swish") && r.ends_with("(act left at its default)")), "{refused:?}");
        // activations that do not fit the layers: act goes (the refusal names it), hidden stays
        let (e, refused) = lenient("data=spiral&hidden=8,4&act=tanh,relu,gelu").unwrap();
        assert_eq!(e.layers.iter().map(|l| l.width).collect::<Vec<_>>(), [8, 4]);
        assert!(refused[0].ends_with("(act left at its default)"), "{refused:?}");
        // the dataset itself refused: nothing applies
        assert!(lenient("data=evil&lr=0.1").unwrap_err().contains("data='evil'"));
        assert!(lenient("data=url&lr=0.1").unwrap_err().contains("url is missing"));
        // a repeated bad key is one refusal
        let (_, refused) = lenient("data=xor&lr=-1&hidden=4&lr=-1").unwrap();
        assert_eq!(refused.len(), 1, "{refused:?}");
        // a flood of bad parameters is refused whole, after a bounded number of tries
        let flood: String = (0..200).map(|i| format!("&lr{i}=x&lr=-{i}")).collect();
        assert!(lenient(&format!("data=xor{flood}")).is_err());
        let nine = "lr=-1&act=swish&opt=evil&norm=evil&sched=evil&backend=evil&wd=-1&seed=x&dropout=2";
        assert!(lenient(&format!("data=xor&{nine}")).unwrap_err().starts_with("link parameter "));
        let eight = &nine[..nine.rfind('&').unwrap()];
        assert_eq!(lenient(&format!("data=xor&{eight}")).unwrap().1.len(), MAX_REFUSED);
    }

    /// A refusal names its key, so the lenient reading drops that key and keeps the rest (before,
    /// an unknown activation dropped `hidden`, and a Nesterov check on `hp` dropped `opt`); a
    /// setting given twice in `hp` is refused (the page showed the first, training used the last).
    #[test]
    fn a_refusal_names_its_key_and_the_rest_of_the_link_applies() {
        let (e, refused) = Experiment::from_query_lenient("data=spiral&hidden=8,4&act=relu,swish").unwrap();
        assert_eq!(e.layers.iter().map(|l| l.width).collect::<Vec<_>>(), [8, 4]);
        assert!(refused.len() == 1 && refused[0].contains("(act left at its default)"), "{refused:?}");
        let (e, refused) = Experiment::from_query_lenient("data=spiral&opt=nesterov&hp=dampening:0.1").unwrap();
        assert_eq!(e.optimizer, OptimizerName::Nesterov);
        assert!(refused.len() == 1 && refused[0].contains("(hp left at its default)"), "{refused:?}");
        let twice = Experiment::from_query("opt=adam&hp=beta1:0.5,beta1:0.99").unwrap_err();
        assert_eq!(twice, "link parameter hp: beta1 is given twice");
    }

    /// `%` with two hex digits is a byte, any other `%` stays; bytes that are not UTF-8 refuse the
    /// link (before, "%+A" decoded to a newline and "%C3" to U+FFFD: another URL was fetched).
    #[test]
    fn percent_escapes_decode_exactly_or_are_refused() {
        let url = |q: &str| match Experiment::from_query(q).map(|e| e.data) {
            Ok(DataChoice::Url { url, .. }) => Ok(url),
            Ok(other) => panic!("{other:?}"),
            Err(e) => Err(e),
        };
        assert_eq!(url("data=url&url=https://x/a%20b.csv").unwrap(), "https://x/a b.csv");
        assert_eq!(url("data=url&url=https://x/a%+Ab.csv").unwrap(), "https://x/a%+Ab.csv");
        assert_eq!(url("data=url&url=https://x/caf%C3%A9.csv").unwrap(), "https://x/café.csv");
        let bad = url("data=url&url=https://x/%C3.csv").unwrap_err();
        assert_eq!(bad, "link parameter url is not UTF-8 text once its %-escapes are decoded");
    }

    #[test]
    fn links_round_trip_and_reject_bad_values() {
        let mnist = Experiment::defaults_for("mnist");
        assert_eq!(Experiment::from_query(&mnist.to_query()).unwrap(), mnist);
        assert_eq!(Experiment::from_query("").unwrap(), mnist);
        let e = Experiment::from_query("#data=xor&noise=0.25&hidden=4&lr=0.1&seed=7").unwrap();
        assert_eq!(e.layers, vec![HiddenLayer::new(4, ActivationName::Relu, 0.0)]);
        assert_eq!(
            e.data,
            DataChoice::Synthetic {
                name: "xor".into(),
                samples: 500,
                noise: 0.25,
                test_fraction: 0.5,
                seed: 7,
                inputs: plain_inputs()
            }
        );
        // a regenerated sample: its data seed travels as dseed, apart from the model's seed
        let mut regenerated = e.clone();
        regenerated.data = DataChoice::Synthetic {
            name: "xor".into(),
            samples: 500,
            noise: 0.25,
            test_fraction: 0.5,
            seed: 9,
            inputs: vec![InputFeature::X1Squared, InputFeature::SinX2],
        };
        assert!(regenerated.to_query().contains("&inputs=x1sq,sinx2"));
        assert!(
            Experiment::from_query("data=xor&inputs=x1,cos").unwrap_err().contains("'cos' is not an input feature")
        );
        assert!(Experiment::from_query("data=xor&inputs=x1,x1").is_err());
        assert!(regenerated.to_query().contains("&dseed=9"));
        assert!(!e.to_query().contains("dseed"));
        assert_eq!(Experiment::from_query(&regenerated.to_query()).unwrap(), regenerated);
        assert!(Experiment::from_query("data=xor&dseed=x").unwrap_err().contains("dseed='x'"));
        assert!(Experiment::from_query("data=moons").unwrap_err().contains("moons"));
        assert!(Experiment::from_query("lr=fast").unwrap_err().contains("lr='fast'"));
        assert!(Experiment::from_query("act=swish").unwrap_err().contains("swish"));
        assert!(Experiment::from_query("hidden=0").is_err());
        // per-layer activations and dropout
        let mut mixed = Experiment::defaults_for("spiral");
        mixed.layers =
            vec![HiddenLayer::new(8, ActivationName::Tanh, 0.1), HiddenLayer::new(4, ActivationName::Relu, 0.0)];
        let q = mixed.to_query();
        assert!(q.contains("hidden=8,4&act=tanh,relu") && q.contains("dropout=0.1,0"), "{q}");
        assert_eq!(Experiment::from_query(&q).unwrap(), mixed);
        let shared = Experiment::from_query("data=xor&hidden=3,5&act=gelu&dropout=0.2").unwrap();
        assert_eq!(
            shared.layers,
            vec![HiddenLayer::new(3, ActivationName::Gelu, 0.2), HiddenLayer::new(5, ActivationName::Gelu, 0.2)]
        );
        assert!(Experiment::from_query("hidden=3,5&act=relu,tanh,gelu").unwrap_err().contains("3 values for 2"));
        assert!(Experiment::from_query("hidden=3&dropout=1").is_err());
        // normalisation: in the link only when it differs from the dataset's default
        assert_eq!(Experiment::defaults_for("url").normalise, ScalingKind::Standardize);
        assert!(!mnist.to_query().contains("norm="));
        let e = Experiment::from_query("data=circle&norm=standardize").unwrap();
        assert_eq!(e.normalise, ScalingKind::Standardize);
        assert_eq!(Experiment::from_query(&e.to_query()).unwrap(), e);
        assert!(Experiment::from_query("norm=log").unwrap_err().contains("norm='log'"));
        // the backend has one spelling; the API's names (old links said webgpu) still read
        assert_eq!(Experiment::from_query("backend=webgpu").unwrap().backend, BackendChoice::Gpu);
        let gpu = Experiment { backend: BackendChoice::Gpu, ..Experiment::defaults_for("xor") };
        assert!(gpu.to_query().contains("&backend=gpu"));
        assert_eq!(Experiment::from_query(&gpu.to_query()).unwrap(), gpu);
        assert!(Experiment::from_query("sched=linear").unwrap_err().contains("sched='linear'"));
        // optimizer settings travel by name and are checked against the optimizer
        let e = Experiment::from_query("opt=rmsprop&hp=alpha:0.9,momentum:0.5").unwrap();
        assert_eq!(e.hyper, vec![("alpha".to_string(), 0.9), ("momentum".to_string(), 0.5)]);
        assert_eq!(Experiment::from_query(&e.to_query()).unwrap(), e);
        assert!(Experiment::from_query("opt=sgd&hp=beta1:0.5").unwrap_err().contains("no setting 'beta1'"));
        assert!(Experiment::from_query("opt=adam&hp=beta1:2").unwrap_err().contains("out of range"));
        // penalties: NaN and infinity are refused as a negative is (NaN < 0 is false)
        for (bad, said) in [
            ("l1=NaN", "link parameter l1=NaN: give a number ≥ 0"),
            ("l2=inf", "link parameter l2=inf: give a number ≥ 0"),
            ("wd=NaN", "link parameter wd=NaN: give a number ≥ 0"),
            ("l1=-1", "link parameter l1=-1: give a number ≥ 0"),
            ("hidden=8&dropout=1", "link parameter dropout=1: give a share in [0, 1)"),
            ("epochs=0", "link parameter epochs=0: give at least 1"),
            // the values the sliders show: noise 0 to 50 % by 5, a training share of 10 to 90 % by 10
            ("data=spiral&noise=0.8", "link parameter noise=0.8: give 0 to 0.5 in steps of 0.05"),
            ("data=spiral&test=0", "link parameter test=0: give 0.1 to 0.9 in steps of 0.1"),
            ("data=spiral&test=0.25", "link parameter test=0.25: give 0.1 to 0.9 in steps of 0.1"),
        ] {
            assert_eq!(Experiment::from_query(bad).unwrap_err(), said, "{bad}");
        }
        // what the page writes for a training share of 60 %, in f32
        assert!(Experiment::from_query("data=spiral&test=0.39999998&noise=0.25").is_ok());
        assert_eq!(Experiment::from_query("l2=0.001").unwrap().l2, 0.001);
        let iris = Experiment::defaults_for("iris");
        assert_eq!((iris.data.clone(), iris.normalise), (DataChoice::Iris, ScalingKind::Standardize));
        assert_eq!(Experiment::from_query(&iris.to_query()).unwrap(), iris);
        let mut u = Experiment::defaults_for("url");
        u.data = DataChoice::Url {
            url: "https://example.org/a b&c.csv".into(),
            label: Some("spé cies".into()),
            missing: MissingPolicy::FillMean,
        };
        assert!(u.to_query().contains("&missing=mean"));
        assert_eq!(Experiment::from_query(&u.to_query()).unwrap(), u);
        // the default writes nothing; each policy travels, an unknown one is refused by name
        assert!(!Experiment::defaults_for("url").to_query().contains("missing"));
        for (word, policy) in [("drop", MissingPolicy::DropRow), ("refuse", MissingPolicy::Error)] {
            let e = Experiment::from_query(&format!("data=url&url=x.csv&missing={word}")).unwrap();
            assert!(matches!(e.data, DataChoice::Url { missing, .. } if missing == policy), "{word}");
        }
        assert_eq!(
            Experiment::from_query("data=url&url=x.csv&missing=zero").unwrap_err(),
            "link parameter missing='zero' is not refuse, drop or mean"
        );
    }
}
