//! Learning-rate schedules, indexed by the 0-based optimizer step (the scheduler steps once per
//! optimizer step). Each matches the PyTorch scheduler named in its doc comment.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Schedule {
    #[default]
    Constant,
    /// `StepLR(step_size, gamma)`: lr·γ^⌊t/step_size⌋
    Step { step_size: u64, gamma: f64 },
    /// `ExponentialLR(gamma)`: lr·γ^t
    Exponential { gamma: f64 },
    /// `LinearLR(start_factor, total_iters=warmup_steps)` then
    /// `CosineAnnealingLR(T_max=total_steps−warmup_steps, eta_min=min_lr)` (via `SequentialLR`);
    /// stays at min_lr after total_steps.
    Cosine { warmup_steps: u64, warmup_start_factor: f64, total_steps: u64, min_lr: f64 },
}

impl Schedule {
    /// Errors unless every number is in range: a positive, finite γ (PyTorch allows γ > 1), a
    /// warm-up start factor in (0, 1] (PyTorch's `LinearLR`) and a finite `min_lr` ≥ 0. `parse`
    /// and the presets make only such schedules; a checkpoint's may not. (A step size of 0,
    /// which older CLIs accepted, counts as 1, as `lr_at` reads it.)
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            Schedule::Constant => Ok(()),
            Schedule::Step { gamma, .. } | Schedule::Exponential { gamma } if !(gamma.is_finite() && gamma > 0.0) => {
                Err(format!("schedule gamma {gamma} must be a positive number"))
            }
            Schedule::Step { .. } | Schedule::Exponential { .. } => Ok(()),
            Schedule::Cosine { warmup_start_factor: f, .. } if !(f > 0.0 && f <= 1.0) => {
                Err(format!("schedule warm-up start factor {f} must be in (0, 1]"))
            }
            Schedule::Cosine { min_lr, .. } if !(min_lr.is_finite() && min_lr >= 0.0) => {
                Err(format!("schedule min_lr {min_lr} must be a number ≥ 0"))
            }
            Schedule::Cosine { .. } => Ok(()),
        }
    }

    pub fn lr_at(&self, base: f64, t: u64) -> f64 {
        match *self {
            Schedule::Constant => base,
            Schedule::Step { step_size, gamma } => base * gamma.powi((t / step_size.max(1)) as i32),
            Schedule::Exponential { gamma } => base * gamma.powf(t as f64),
            Schedule::Cosine { warmup_steps, warmup_start_factor, total_steps, min_lr } => {
                if t < warmup_steps {
                    let f = warmup_start_factor + (1.0 - warmup_start_factor) * t as f64 / warmup_steps as f64;
                    return base * f;
                }
                let span = total_steps.saturating_sub(warmup_steps).max(1) as f64;
                let tc = ((t - warmup_steps) as f64).min(span);
                min_lr + (base - min_lr) * (1.0 + (std::f64::consts::PI * tc / span).cos()) / 2.0
            }
        }
    }

    /// Parses the one schedule dialect of the CLI, the page and links: a preset name
    /// (`constant`, `cosine`, `step`, `exp`: [`SchedulePreset`], relative to the run's
    /// `total_steps`), or a preset with its numbers: `step:<size>:<gamma>`, `exp:<gamma>`,
    /// `cosine:<warmup steps>`.
    pub fn parse(s: &str, total_steps: u64) -> Result<Schedule, String> {
        if let Ok(preset) = SchedulePreset::parse(s) {
            return Ok(preset.schedule(total_steps));
        }
        let parts: Vec<&str> = s.split(':').collect();
        let num = |i: usize, what: &str| -> Result<f64, String> {
            parts
                .get(i)
                .ok_or(format!("schedule '{s}': missing {what}"))?
                .parse::<f64>()
                .map_err(|_| format!("schedule '{s}': {what} is not a number"))
        };
        // a factor that multiplies the learning rate: positive (PyTorch allows above 1)
        let gamma = |i: usize| match num(i, "gamma")? {
            g if g.is_finite() && g > 0.0 => Ok(g),
            g => Err(format!("schedule '{s}': gamma {g} must be a positive number")),
        };
        let steps = |i: usize, what: &str, least: f64| match num(i, what)? {
            n if n.is_finite() && n >= least && n.fract() == 0.0 => Ok(n as u64),
            n => Err(format!("schedule '{s}': {what} {n} must be a whole number ≥ {least}")),
        };
        let takes = match parts[0] {
            "constant" => 1,
            "step" => 3,
            "exp" | "cosine" => 2,
            other => {
                return Err(format!(
                    "unknown schedule '{other}' (expected constant, cosine[:<warmup>], step[:<size>:<gamma>] or exp[:<gamma>])"
                ));
            }
        };
        if parts.len() > takes {
            return Err(format!("schedule '{s}': {} takes {} number(s) after its name", parts[0], takes - 1));
        }
        match parts[0] {
            "constant" => Ok(Schedule::Constant),
            "step" => Ok(Schedule::Step { step_size: steps(1, "step size", 1.0)?, gamma: gamma(2)? }),
            "exp" => Ok(Schedule::Exponential { gamma: gamma(1)? }),
            // "cosine", the one name left (checked above)
            _ => Ok(Schedule::Cosine {
                warmup_steps: steps(1, "warm-up steps", 0.0)?,
                warmup_start_factor: 0.1,
                total_steps,
                min_lr: 0.0,
            }),
        }
    }
}

/// The schedules by name, each relative to the run's length (what the page offers, and what a
/// bare name means to `Schedule::parse`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SchedulePreset {
    #[default]
    Constant,
    /// 5 % linear warm-up from 0.1·lr, then cosine to 0 at the end of the run.
    Cosine,
    /// Halve the learning rate three times over the run.
    Step,
    /// Decay exponentially to 1 % of the learning rate by the end of the run.
    Exp,
}

impl SchedulePreset {
    pub const ALL: [SchedulePreset; 4] =
        [SchedulePreset::Constant, SchedulePreset::Cosine, SchedulePreset::Step, SchedulePreset::Exp];

    pub fn name(self) -> &'static str {
        match self {
            SchedulePreset::Constant => "constant",
            SchedulePreset::Cosine => "cosine",
            SchedulePreset::Step => "step",
            SchedulePreset::Exp => "exp",
        }
    }

    pub fn parse(s: &str) -> Result<SchedulePreset, String> {
        Self::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| format!("unknown schedule '{s}' (expected constant, cosine, step or exp)"))
    }

    /// The schedule for a run of `total_steps` optimizer steps.
    pub fn schedule(self, total_steps: u64) -> Schedule {
        match self {
            SchedulePreset::Constant => Schedule::Constant,
            SchedulePreset::Cosine => {
                Schedule::Cosine { warmup_steps: total_steps / 20, warmup_start_factor: 0.1, total_steps, min_lr: 0.0 }
            }
            SchedulePreset::Step => Schedule::Step { step_size: (total_steps / 3).max(1), gamma: 0.5 },
            // lr · γ^total = 1 % of lr
            SchedulePreset::Exp => Schedule::Exponential { gamma: 0.01f64.powf(1.0 / total_steps.max(1) as f64) },
        }
    }
}

/// The optimizer steps of `epochs` epochs of `steps_per_epoch` each, the length a schedule is
/// fitted to. In u64 and saturating: on wasm32 the `usize` product of a large epoch count wraps
/// (2³¹ epochs × 2 steps is 0 there, which would end a cosine schedule at once), whereas a run
/// too long to count is `u64::MAX` steps, one the schedule never reaches the end of.
pub fn run_steps(epochs: usize, steps_per_epoch: usize) -> u64 {
    (epochs as u64).saturating_mul(steps_per_epoch as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `parse` and the presets make passes; numbers only a crafted checkpoint holds do not.
    #[test]
    fn schedules_out_of_range_are_refused() {
        for s in ["constant", "cosine", "step", "exp", "step:10:0.5", "exp:1.5", "cosine:0"] {
            assert_eq!(Schedule::parse(s, 1000).unwrap().validate(), Ok(()), "{s}");
        }
        assert_eq!(Schedule::Step { step_size: 0, gamma: 0.5 }.validate(), Ok(()));
        let cosine = |warmup_start_factor, min_lr| Schedule::Cosine {
            warmup_steps: 5,
            warmup_start_factor,
            total_steps: 50,
            min_lr,
        };
        let cases = [
            (Schedule::Step { step_size: 3, gamma: f64::NAN }, "schedule gamma NaN must be a positive number"),
            (Schedule::Exponential { gamma: 0.0 }, "schedule gamma 0 must be a positive number"),
            (cosine(0.0, 0.0), "schedule warm-up start factor 0 must be in (0, 1]"),
            (cosine(0.1, -1.0), "schedule min_lr -1 must be a number ≥ 0"),
            (cosine(0.1, f64::INFINITY), "schedule min_lr inf must be a number ≥ 0"),
        ];
        for (schedule, want) in cases {
            assert_eq!(schedule.validate().unwrap_err(), want);
        }
    }

    /// A run too long to count keeps a cosine schedule at its start rather than ending it: the
    /// product saturates instead of wrapping (on wasm32, 2³¹ epochs × 2 steps is 2³², i.e. 0).
    #[test]
    fn a_run_too_long_to_count_never_reaches_the_end_of_its_schedule() {
        assert_eq!(run_steps(10, 125), 1250);
        assert_eq!(run_steps(usize::MAX, usize::MAX), u64::MAX);
        let cosine = SchedulePreset::Cosine.schedule(run_steps(1 << 31, 2));
        assert!(cosine.lr_at(1.0, 1_000_000) > 0.09, "{}", cosine.lr_at(1.0, 1_000_000));
    }

    #[test]
    fn schedules_follow_their_formulas() {
        assert_eq!(Schedule::Step { step_size: 30, gamma: 0.5 }.lr_at(0.1, 59), 0.05);
        assert_eq!(Schedule::Step { step_size: 30, gamma: 0.5 }.lr_at(0.1, 60), 0.025);
        let c = Schedule::Cosine { warmup_steps: 10, warmup_start_factor: 0.1, total_steps: 100, min_lr: 0.0 };
        assert!((c.lr_at(1.0, 0) - 0.1).abs() < 1e-12);
        assert!((c.lr_at(1.0, 10) - 1.0).abs() < 1e-12);
        assert!((c.lr_at(1.0, 55) - 0.5).abs() < 1e-12);
        assert!(c.lr_at(1.0, 1000).abs() < 1e-12);
        assert!(Schedule::parse("bogus", 1).is_err());
        assert!(Schedule::parse("bogus:1:2:3", 1).unwrap_err().starts_with("unknown schedule 'bogus'"));
        // numbers that would give a negative or stalled learning rate, and extra parts, are refused
        let err = |s: &str| Schedule::parse(s, 100).unwrap_err();
        assert_eq!(err("exp:-1"), "schedule 'exp:-1': gamma -1 must be a positive number");
        assert_eq!(err("exp:nan"), "schedule 'exp:nan': gamma NaN must be a positive number");
        assert_eq!(err("step:10:-1"), "schedule 'step:10:-1': gamma -1 must be a positive number");
        assert_eq!(err("step:0:0.5"), "schedule 'step:0:0.5': step size 0 must be a whole number ≥ 1");
        assert_eq!(err("cosine:-1"), "schedule 'cosine:-1': warm-up steps -1 must be a whole number ≥ 0");
        assert_eq!(err("cosine:2.5"), "schedule 'cosine:2.5': warm-up steps 2.5 must be a whole number ≥ 0");
        assert_eq!(err("constant:3"), "schedule 'constant:3': constant takes 0 number(s) after its name");
        assert_eq!(err("cosine:5:3"), "schedule 'cosine:5:3': cosine takes 1 number(s) after its name");
        assert_eq!(Schedule::parse("step:10:1.5", 1).unwrap(), Schedule::Step { step_size: 10, gamma: 1.5 });
        assert_eq!(Schedule::parse("exp:0.9", 1).unwrap(), Schedule::Exponential { gamma: 0.9 });
        // a bare name is the preset, relative to the run
        assert_eq!(Schedule::parse("step", 300).unwrap(), Schedule::Step { step_size: 100, gamma: 0.5 });
        let Schedule::Exponential { gamma } = Schedule::parse("exp", 100).unwrap() else { panic!() };
        assert!((gamma.powi(100) - 0.01).abs() < 1e-12);
        assert_eq!(
            Schedule::parse("cosine", 200).unwrap(),
            Schedule::Cosine { warmup_steps: 10, warmup_start_factor: 0.1, total_steps: 200, min_lr: 0.0 }
        );
        assert_eq!(
            Schedule::parse("cosine:0", 200).unwrap(),
            Schedule::Cosine { warmup_steps: 0, warmup_start_factor: 0.1, total_steps: 200, min_lr: 0.0 }
        );
        for p in SchedulePreset::ALL {
            assert_eq!(SchedulePreset::parse(p.name()), Ok(p));
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{}\"", p.name()));
        }
    }
}
