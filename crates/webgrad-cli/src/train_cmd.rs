//! `webgrad train`: build or resume a trainer, run epochs with a progress bar and an epoch table,
//! evaluate, save.

use std::io::Write;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use webgrad_data::Dataset;
use webgrad_nn::io::{self, ModelFile};
use webgrad_nn::metrics::EarlyStopping;
use webgrad_nn::monitor::PendingReading;
use webgrad_nn::{
    ActivationName, Head, Init, LayerConfig, Loss, LossTally, Mlp, MlpConfig, Optimizer, OptimizerConfig, PendingLoss,
    Report, Schedule, TrainConfig, Trainer, checkpoint, evaluate_scaled,
};

use crate::args::TrainArgs;
use crate::watch::{self, Watch, WindowEnd};
use crate::{CliResult, data, report};

fn parse_init(s: &str) -> CliResult<Init> {
    serde_json::from_value(serde_json::Value::String(s.into())).map_err(|_| {
        format!(
            "unknown --init-scheme '{s}' (expected glorot_uniform, glorot_normal, he_uniform, he_normal, torch_default)"
        )
    })
}

/// The model, optimizer and settings for a fresh run.
fn new_trainer(a: &TrainArgs, loaded: &data::Loaded, steps_per_epoch: usize) -> CliResult<Trainer> {
    let device = crate::device(a.backend.as_deref())?;
    let activation = ActivationName::parse(a.activation.as_deref().unwrap_or("relu"))?;
    let dropout = a.dropout.unwrap_or(0.0);
    let hidden = a.hidden.clone().unwrap_or_else(|| vec![128, 64]);
    let config = MlpConfig {
        input: loaded.train.d,
        hidden: hidden.iter().map(|&width| LayerConfig { width, activation, dropout }).collect(),
        init: parse_init(a.init_scheme.as_deref().unwrap_or("glorot_uniform"))?,
        head: Head::for_targets(&loaded.train.targets),
    };
    let mut opt_config = OptimizerConfig::by_name(a.optimizer.as_deref().unwrap_or("adam"))?;
    if let Some(lr) = a.lr {
        opt_config.set_lr(lr);
    }
    if let Some(wd) = a.weight_decay {
        opt_config.set_weight_decay(wd);
    }
    let batch_size = a.batch.unwrap_or(64);
    // before anything is allocated: a model or batch that does not fit is one sentence
    config.check_training(batch_size, opt_config.rule().state_slots(), a.monitor, &loaded.train)?;
    config.check_device(&device, batch_size).map_err(|e| format!("{e} (use --backend cpu to train on the CPU)"))?;
    let seed = a.seed.unwrap_or(1);
    let model = Mlp::new(&device, config, seed).map_err(|e| e.to_string())?;
    if let Some(path) = &a.init {
        let bytes = std::fs::read(path).map_err(|e| format!("{path}: cannot read: {e}"))?;
        io::load_weights(&model, &bytes, path, None).map_err(|e| e.to_string())?;
    }
    let epochs = a.epochs.unwrap_or(5);
    let total = webgrad_nn::run_steps(epochs, steps_per_epoch);
    let schedule = Schedule::parse(a.schedule.as_deref().unwrap_or("constant"), total)?;
    let mut optimizer = Optimizer::new(opt_config, schedule);
    optimizer.clip_grad_norm = a.clip_grad_norm;
    let mut loss = Loss::for_head(&model.config.head);
    if let (Some(eps), Loss::CrossEntropy { label_smoothing }) = (a.label_smoothing, &mut loss) {
        if !(0.0..1.0).contains(&eps) {
            return Err(format!("--label-smoothing {eps} is not in [0, 1)"));
        }
        *label_smoothing = eps;
    }
    let config = TrainConfig {
        batch_size,
        epochs,
        seed,
        shuffle: !a.no_shuffle,
        loss,
        l1: a.l1.unwrap_or(0.0),
        l2: a.l2.unwrap_or(0.0),
        early_stopping_patience: a.early_stopping,
    };
    Trainer::new(model, optimizer, config).map_err(|e| e.to_string())
}

/// `model.safetensors` → also `model.json`.
fn json_path(path: &str) -> String {
    match path.strip_suffix(".safetensors") {
        Some(stem) => format!("{stem}.json"),
        None => format!("{path}.json"),
    }
}

/// A failed loss read: on the GPU the device is gone (lost, reset, out of memory), so say how to
/// go on on the CPU from the last epoch's checkpoint, the last state read back intact.
fn lost(e: webgrad_nn::Error, a: &TrainArgs) -> String {
    let on_gpu = crate::backend_choice(a.backend.as_deref()) == Ok(webgrad_nn::BackendChoice::Gpu);
    match &a.checkpoint {
        Some(path) if on_gpu => {
            format!("{e}; the checkpoint {path} holds the last good state: add --resume {path} --backend cpu to go on")
        }
        None if on_gpu => format!("{e}; --checkpoint FILE keeps a state to resume from on the CPU"),
        _ => e.to_string(),
    }
}

/// What a run trains: the trainer (new, or resumed from a checkpoint), the file that describes
/// its model, the data (scaled as the model expects), the dataset's key and the batch size.
struct Setup {
    trainer: Trainer,
    model_file: ModelFile,
    loaded: data::Loaded,
    dataset: String,
    batch: usize,
}

fn setup(a: &TrainArgs) -> CliResult<Setup> {
    // a resumed run reads its checkpoint first: the data flags it recorded (the dataset, its
    // split's seed and share, a 2-D set's size) are the defaults, so the rows are the same
    let resumed = match &a.resume {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| format!("{path}: cannot read: {e}"))?;
            let device = crate::device(a.backend.as_deref())?;
            let (t, file) = checkpoint::load(&device, &bytes, path).map_err(|e| e.to_string())?;
            Some((path, t, file))
        }
        None => None,
    };
    let (dataset, flags) = match &resumed {
        Some((_, _, file)) => data::saved_flags(&file.dataset, a.dataset.as_ref(), &a.given_flags()),
        None => (a.dataset.clone().unwrap_or_else(|| "mnist".into()), a.given_flags()),
    };
    let spec = a.data_spec_with(&dataset, &flags)?;
    let dataset = spec.key();
    let mut loaded = data::load(&spec, resumed.as_ref().map(|(_, _, file)| file))?;
    let scaling = a.scaling(spec.name)?;
    let target_scaling = a.target_scaling()?;
    let batch = a.batch.unwrap_or(64);
    if batch == 0 {
        return Err("--batch must be at least 1".into());
    }
    let (trainer, model_file) = match resumed {
        Some((path, mut t, file)) => {
            if file.dataset != dataset {
                return Err(format!("{path}: checkpoint was trained on '{}', not '{dataset}'", file.dataset));
            }
            if let Some(e) = a.epochs {
                t.config.epochs = e;
                // a cosine schedule ends with its run: one made longer (or shorter) by --epochs
                // stretches to the new end, instead of sitting at its final learning rate of 0
                let steps = webgrad_nn::run_steps(e, loaded.train.n.div_ceil(t.config.batch_size.max(1)));
                if let Schedule::Cosine { total_steps, .. } = &mut t.optimizer.schedule
                    && *total_steps != steps
                {
                    println!(
                        "note: the cosine schedule ended at step {total_steps}; it now ends at step {steps}, the end of {e} epochs"
                    );
                    *total_steps = steps;
                }
            }
            if let Some(lr) = a.lr {
                // a new learning rate, e.g. a lower one after a divergence
                let mut config = t.optimizer.config.clone();
                config.set_lr(lr);
                config.validate().map_err(|e| format!("--lr: {e}"))?;
                t.optimizer.config = config;
            }
            // the checkpoint's input features and fitted statistics, not a new fit (nor this
            // run's flags)
            data::apply_input_features(&mut loaded, file.preprocessing.input_features.as_deref())?;
            if let Some(s) = &file.preprocessing.standardize {
                s.apply(&mut loaded.train).map_err(|e| e.to_string())?;
                s.apply(&mut loaded.test).map_err(|e| e.to_string())?;
            }
            loaded.preprocessing = file.preprocessing.clone();
            data::apply_target_scaling(&mut loaded, file.preprocessing.target_standardize.clone())?;
            (t, file)
        }
        None => {
            data::apply_input_features(&mut loaded, a.inputs.as_deref())?;
            data::fit_scaling(&mut loaded, scaling)?;
            data::fit_target_scaling(&mut loaded, target_scaling)?;
            let t = new_trainer(a, &loaded, loaded.train.n.div_ceil(batch))?;
            let names = loaded.train.targets.class_names().to_vec();
            let file = ModelFile::new(&t.model.config, names, loaded.preprocessing.clone(), &dataset);
            (t, file)
        }
    };
    Ok(Setup { trainer, model_file, loaded, dataset, batch })
}

/// What every epoch of a run uses: the flags, the loss-read interval, the JSON log, and with
/// `--monitor` the monitors (and the model's description, for the checkpoint a divergence writes).
struct Epochs<'a> {
    args: &'a TrainArgs,
    batch: usize,
    steps_per_epoch: usize,
    loss_every: usize,
    log: Option<std::io::BufWriter<std::fs::File>>,
    watch: Option<Watch>,
    model_file: &'a ModelFile,
}

/// A line beside the progress bar (printed plainly when the bar is hidden: --quiet, or no
/// terminal).
fn say(bar: &ProgressBar, line: String) {
    if bar.is_hidden() {
        println!("{line}");
    } else {
        bar.println(line);
    }
}

/// Trains the rest of epoch `epoch` with a progress bar, reading the loss every `loss_every`
/// steps; returns the reads' tally and the seconds it took.
fn train_epoch(
    ep: &mut Epochs<'_>,
    trainer: &mut Trainer,
    train: &Dataset,
    epoch: usize,
) -> CliResult<(LossTally, f64)> {
    let bar = if ep.args.quiet { ProgressBar::hidden() } else { ProgressBar::new(ep.steps_per_epoch as u64) };
    bar.set_style(
        ProgressStyle::with_template("epoch {prefix} [{bar:30}] {pos}/{len} {msg}")
            .expect("static template")
            .progress_chars("=> "),
    );
    bar.set_prefix(format!("{}", epoch + 1));
    bar.set_position(trainer.cursor.step as u64);
    let first_step = bar.position();
    let started = Instant::now();
    // the reads so far this epoch; `pending` is the last read started, awaited only when the
    // next one starts, so the device never waits for it
    let (mut tally, mut since_read) = (LossTally::default(), 0usize);
    // with the loss, the monitor's figures of the window so far when they go to the log
    let mut pending: Option<(PendingLoss, Option<PendingReading>)> = None;
    let hidden = trainer.model.config.hidden.len();
    loop {
        let out = match ep.watch.as_mut() {
            Some(w) => w.monitor.step(trainer, train),
            None => trainer.step(train),
        }
        .map_err(|e| e.to_string())?;
        since_read += 1;
        if since_read >= ep.loss_every || out.epoch_finished {
            since_read = 0;
            let started = (trainer.take_loss(), watch::peek(ep.watch.as_ref(), ep.log.is_some()));
            let reads = [pending.replace(started), out.epoch_finished.then(|| pending.take()).flatten()];
            for (read, figures) in reads.into_iter().flatten() {
                let Some(s) = pollster::block_on(read.wait()).map_err(|err| lost(err, ep.args))? else { continue };
                if !s.mean.is_finite() {
                    let plain = format!(
                        "training diverged by step {} (mean loss {} over the last {} steps); try a lower --lr",
                        s.last_step, s.mean, s.steps
                    );
                    return Err(match ep.watch.as_mut() {
                        Some(w) => w.diverged(trainer, train, ep.args.checkpoint.as_deref(), ep.model_file, plain),
                        None => plain,
                    });
                }
                tally.add(&s);
                if let Some(w) = ep.log.as_mut() {
                    let (step, steps, loss) = (s.last_step, s.steps, s.mean as f32);
                    let acc = s.accuracy.map_or(String::new(), |a| format!("\"accuracy\":{},", a as f32));
                    let monitor = match (&ep.watch, figures) {
                        (Some(_), Some(f)) => {
                            watch::json_fields(Some(&pollster::block_on(f.wait()).map_err(|e| e.to_string())?), hidden)
                        }
                        (Some(_), None) => watch::json_fields(None, hidden),
                        (None, _) => String::new(),
                    };
                    let epoch = epoch + 1;
                    writeln!(
                        w,
                        "{{\"step\":{step},\"epoch\":{epoch},\"steps\":{steps},{acc}\"loss\":{loss}{monitor}}}"
                    )
                    .map_err(|e| format!("--log-json: {e}"))?;
                }
            }
        }
        if let Some(w) = ep.watch.as_mut().filter(|w| w.window_full(out.epoch_finished)) {
            match w.end_window(trainer)? {
                WindowEnd::Alerts(said) => said.into_iter().for_each(|line| say(&bar, format!("alert: {line}"))),
                WindowEnd::NonFinite => {
                    let plain = format!(
                        "training diverged by step {}: a gradient norm or update ratio is not finite; try a lower --lr",
                        trainer.optimizer.step
                    );
                    return Err(w.diverged(trainer, train, ep.args.checkpoint.as_deref(), ep.model_file, plain));
                }
            }
        }
        bar.inc(1);
        if bar.position() % 20 == 0 && tally.samples() > 0 {
            bar.set_message(format!(
                "loss {:.4}  {:.0} samples/s",
                tally.mean(),
                (bar.position() - first_step) as f64 * ep.batch as f64 / started.elapsed().as_secs_f64()
            ));
        }
        if out.epoch_finished {
            break;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    Ok((tally, elapsed))
}

/// Checks, before a run, that `path` (given to `flag`) can be written: its folder exists. A run
/// that would fail to save only after training is refused at once.
fn check_output(flag: &str, path: &Option<String>) -> CliResult<()> {
    let Some(path) = path else { return Ok(()) };
    let folder = std::path::Path::new(path).parent().filter(|p| !p.as_os_str().is_empty());
    match folder {
        Some(dir) if !dir.is_dir() => Err(format!("{flag} {path}: the folder {} does not exist", dir.display())),
        _ if std::path::Path::new(path).is_dir() => Err(format!("{flag} {path}: is a folder, not a file")),
        _ => Ok(()),
    }
}

pub fn run(args: TrainArgs) -> CliResult<()> {
    let a = args.merged_with_config()?;
    // the flags' own mistakes first: nothing is loaded, created or overwritten before them
    if a.loss_every == Some(0) {
        return Err("--loss-every must be at least 1".into());
    }
    if a.monitor_every.is_some() && !a.monitor {
        return Err("--monitor-every needs --monitor".into());
    }
    check_output("--save", &a.save)?;
    check_output("--checkpoint", &a.checkpoint)?;
    check_output("--log-json", &a.log_json)?;
    let Setup { mut trainer, model_file, loaded, dataset, batch } = setup(&a)?;
    webgrad_nn::train::check_fit(&trainer.model, &loaded.train).map_err(|e| e.to_string())?;
    let (train, test) = (&loaded.train, &loaded.test);
    if let Some(line) = data::balance_line(train) {
        println!("{line}");
    }
    println!(
        "webgrad: {} on {} ({} train / {} test rows), {} parameters, {:?}, device {}",
        trainer.model.config.torch_expression(),
        dataset,
        train.n,
        test.n,
        trainer.model.config.parameter_count(),
        trainer.optimizer.config,
        trainer.model.device().name()
    );
    let steps_per_epoch = trainer.steps_per_epoch(train.n);
    let on_cpu = crate::backend_choice(a.backend.as_deref()) == Ok(webgrad_nn::BackendChoice::Cpu);
    let loss_every = match a.loss_every {
        Some(k) => k,
        None if on_cpu => 1,
        None => 20,
    };
    let watch = if a.monitor { Some(Watch::new(&trainer, a.monitor_every)?) } else { None };
    let log = match &a.log_json {
        Some(p) => {
            Some(std::io::BufWriter::new(std::fs::File::create(p).map_err(|e| format!("{p}: cannot create: {e}"))?))
        }
        None => None,
    };
    let mut epochs = Epochs { args: &a, batch, steps_per_epoch, loss_every, log, watch, model_file: &model_file };
    let mut early = trainer.config.early_stopping_patience.map(|p| EarlyStopping::new(p, 0.0));
    let target = model_file.preprocessing.target_standardize.as_ref();
    if let Loss::CrossEntropy { label_smoothing } = trainer.config.loss
        && label_smoothing > 0.0
    {
        println!(
            "losses are label-smoothed cross-entropy (smoothing {label_smoothing}), train and test alike; `webgrad eval` reports the plain cross-entropy"
        );
    }
    if let Some(s) = target {
        println!("{}", report::target_scaling_line(s));
    }
    let monitor_header = if a.monitor { "  monitor (per hidden layer, the epoch's last window)" } else { "" };
    println!(
        "{:>5}  {:>10}  {:>9}  {:>10}  {:>9}  {:>10}  {:>7}{monitor_header}",
        "epoch", "train loss", "train acc", "test loss", "test acc", "samples/s", "time"
    );
    while (trainer.cursor.epoch as usize) < trainer.config.epochs {
        let epoch = trainer.cursor.epoch as usize;
        let (tally, elapsed) = train_epoch(&mut epochs, &mut trainer, train, epoch)?;
        let ev = pollster::block_on(evaluate_scaled(&trainer.model, test, trainer.config.loss, target))
            .map_err(|e| e.to_string())?;
        let acc = match &ev.report {
            Report::Classification(r) => format!("{:.2}%", 100.0 * r.accuracy),
            Report::Regression(r) => format!("R² {:.3}", r.r2),
        };
        let train_acc = tally.accuracy().map_or("-".into(), |acc| format!("{:.2}%", 100.0 * acc));
        let monitor =
            epochs.watch.as_ref().map_or(String::new(), |w| format!("  {}", watch::table_cell(w.last.as_ref())));
        println!(
            "{:>5}  {:>10.4}  {:>9}  {:>10.4}  {:>9}  {:>10.0}  {:>6.2}s{monitor}",
            epoch + 1,
            tally.mean(),
            train_acc,
            ev.loss,
            acc,
            tally.samples() as f64 / elapsed,
            elapsed
        );
        if let Some(path) = &a.checkpoint {
            let bytes = pollster::block_on(checkpoint::save(&trainer, &model_file)).map_err(|e| e.to_string())?;
            crate::atomic::write(path, &bytes)?;
        }
        if early.as_mut().is_some_and(|es| es.update(ev.loss)) {
            println!(
                "early stopping: the test loss has not improved for {} epochs",
                trainer.config.early_stopping_patience.unwrap_or(0)
            );
            break;
        }
    }
    if let Some(w) = epochs.log.as_mut() {
        w.flush().map_err(|e| format!("--log-json: {e}"))?;
    }
    let ev = pollster::block_on(evaluate_scaled(&trainer.model, test, trainer.config.loss, target))
        .map_err(|e| e.to_string())?;
    report::print_evaluation(&ev, &format!("{} ({} rows)", test.name, test.n), target);
    if let Some(path) = &a.save {
        let bytes = pollster::block_on(io::save_weights(&trainer.model, &model_file)).map_err(|e| e.to_string())?;
        crate::atomic::write(path, &bytes)?;
        crate::atomic::write(&json_path(path), model_file.to_json().as_bytes())?;
        println!(
            "saved {path} and {} — in PyTorch: {}.load_state_dict(safetensors.torch.load_file(\"{path}\"))",
            json_path(path),
            trainer.model.config.torch_expression()
        );
    }
    Ok(())
}
