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

    /// Parses the CLI form: `constant`, `step:<size>:<gamma>`, `exp:<gamma>`,
    /// `cosine[:<warmup_steps>]` (cosine needs the run's total steps).
    pub fn parse(s: &str, total_steps: u64) -> Result<Schedule, String> {
        let parts: Vec<&str> = s.split(':').collect();
        let num = |i: usize, what: &str| -> Result<f64, String> {
            parts
                .get(i)
                .ok_or(format!("schedule '{s}': missing {what}"))?
                .parse::<f64>()
                .map_err(|_| format!("schedule '{s}': {what} is not a number"))
        };
        match parts[0] {
            "constant" => Ok(Schedule::Constant),
            "step" => Ok(Schedule::Step { step_size: num(1, "step size")? as u64, gamma: num(2, "gamma")? }),
            "exp" => Ok(Schedule::Exponential { gamma: num(1, "gamma")? }),
            "cosine" => {
                let warmup_steps = if parts.len() > 1 { num(1, "warm-up steps")? as u64 } else { 0 };
                Ok(Schedule::Cosine { warmup_steps, warmup_start_factor: 0.1, total_steps, min_lr: 0.0 })
            }
            other => Err(format!(
                "unknown schedule '{other}' (expected constant, step:<size>:<gamma>, exp:<gamma>, cosine[:<warmup>])"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(Schedule::parse("exp:0.9", 1).unwrap(), Schedule::Exponential { gamma: 0.9 });
    }
}
