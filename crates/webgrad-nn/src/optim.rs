//! Optimizers with torch.optim's defaults and update rules. The update itself is one fused
//! device call over all parameters (`Backend::optimizer_step`); this type keeps the
//! hyperparameters, the state buffers and the step count.

use serde::{Deserialize, Serialize};
use webgrad_core::backend::{ParamSlot, StepHyper, UpdateRule};
use webgrad_core::{Buffer, Tensor};

use crate::schedule::Schedule;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OptimizerConfig {
    Sgd { lr: f64, momentum: f64, dampening: f64, nesterov: bool, weight_decay: f64 },
    Adam { lr: f64, beta1: f64, beta2: f64, eps: f64, weight_decay: f64 },
    AdamW { lr: f64, beta1: f64, beta2: f64, eps: f64, weight_decay: f64 },
    RmsProp { lr: f64, alpha: f64, eps: f64, momentum: f64, centered: bool, weight_decay: f64 },
    Adagrad { lr: f64, lr_decay: f64, eps: f64, weight_decay: f64 },
}

/// The optimizers by the names users write (`--optimizer`, the page, links): one spelling each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerName {
    Sgd,
    /// SGD with momentum 0.9
    Momentum,
    /// SGD with Nesterov momentum 0.9
    Nesterov,
    #[default]
    Adam,
    AdamW,
    RmsProp,
    Adagrad,
}

impl OptimizerName {
    pub const ALL: [OptimizerName; 7] = [
        OptimizerName::Sgd,
        OptimizerName::Momentum,
        OptimizerName::Nesterov,
        OptimizerName::Adam,
        OptimizerName::AdamW,
        OptimizerName::RmsProp,
        OptimizerName::Adagrad,
    ];

    pub fn name(self) -> &'static str {
        match self {
            OptimizerName::Sgd => "sgd",
            OptimizerName::Momentum => "momentum",
            OptimizerName::Nesterov => "nesterov",
            OptimizerName::Adam => "adam",
            OptimizerName::AdamW => "adamw",
            OptimizerName::RmsProp => "rmsprop",
            OptimizerName::Adagrad => "adagrad",
        }
    }

    pub fn parse(s: &str) -> Result<OptimizerName, String> {
        Self::ALL.into_iter().find(|o| o.name() == s).ok_or_else(|| {
            let names: Vec<_> = Self::ALL.iter().map(|o| o.name()).collect();
            format!("unknown optimizer '{s}' (expected one of: {})", names.join(", "))
        })
    }

    /// PyTorch's defaults for this optimizer; `momentum` / `nesterov` are SGD with momentum 0.9.
    pub fn config(self) -> OptimizerConfig {
        let sgd = |momentum, nesterov| OptimizerConfig::Sgd {
            lr: 0.01,
            momentum,
            dampening: 0.0,
            nesterov,
            weight_decay: 0.0,
        };
        match self {
            OptimizerName::Sgd => sgd(0.0, false),
            OptimizerName::Momentum => sgd(0.9, false),
            OptimizerName::Nesterov => sgd(0.9, true),
            OptimizerName::Adam => {
                OptimizerConfig::Adam { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.0 }
            }
            OptimizerName::AdamW => {
                OptimizerConfig::AdamW { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 1e-2 }
            }
            OptimizerName::RmsProp => OptimizerConfig::RmsProp {
                lr: 1e-2,
                alpha: 0.99,
                eps: 1e-8,
                momentum: 0.0,
                centered: false,
                weight_decay: 0.0,
            },
            OptimizerName::Adagrad => {
                OptimizerConfig::Adagrad { lr: 1e-2, lr_decay: 0.0, eps: 1e-10, weight_decay: 0.0 }
            }
        }
    }
}

impl OptimizerConfig {
    /// PyTorch's defaults for the optimizer named `name` (see [`OptimizerName`]).
    pub fn by_name(name: &str) -> Result<OptimizerConfig, String> {
        Ok(OptimizerName::parse(name)?.config())
    }

    pub fn lr(&self) -> f64 {
        match *self {
            OptimizerConfig::Sgd { lr, .. }
            | OptimizerConfig::Adam { lr, .. }
            | OptimizerConfig::AdamW { lr, .. }
            | OptimizerConfig::RmsProp { lr, .. }
            | OptimizerConfig::Adagrad { lr, .. } => lr,
        }
    }

    pub fn set_lr(&mut self, new: f64) {
        match self {
            OptimizerConfig::Sgd { lr, .. }
            | OptimizerConfig::Adam { lr, .. }
            | OptimizerConfig::AdamW { lr, .. }
            | OptimizerConfig::RmsProp { lr, .. }
            | OptimizerConfig::Adagrad { lr, .. } => *lr = new,
        }
    }

    pub fn weight_decay(&self) -> f64 {
        match *self {
            OptimizerConfig::Sgd { weight_decay, .. }
            | OptimizerConfig::Adam { weight_decay, .. }
            | OptimizerConfig::AdamW { weight_decay, .. }
            | OptimizerConfig::RmsProp { weight_decay, .. }
            | OptimizerConfig::Adagrad { weight_decay, .. } => weight_decay,
        }
    }

    pub fn set_weight_decay(&mut self, wd: f64) {
        match self {
            OptimizerConfig::Sgd { weight_decay, .. }
            | OptimizerConfig::Adam { weight_decay, .. }
            | OptimizerConfig::AdamW { weight_decay, .. }
            | OptimizerConfig::RmsProp { weight_decay, .. }
            | OptimizerConfig::Adagrad { weight_decay, .. } => *weight_decay = wd,
        }
    }

    /// The hyperparameters besides lr and weight decay, by PyTorch's argument names, with their
    /// current values (`betas` appear as `beta1`, `beta2`).
    pub fn hyperparameters(&self) -> Vec<(&'static str, f64)> {
        match *self {
            OptimizerConfig::Sgd { momentum, dampening, .. } => vec![("momentum", momentum), ("dampening", dampening)],
            OptimizerConfig::Adam { beta1, beta2, eps, .. } | OptimizerConfig::AdamW { beta1, beta2, eps, .. } => {
                vec![("beta1", beta1), ("beta2", beta2), ("eps", eps)]
            }
            OptimizerConfig::RmsProp { alpha, eps, momentum, .. } => {
                vec![("alpha", alpha), ("eps", eps), ("momentum", momentum)]
            }
            OptimizerConfig::Adagrad { lr_decay, eps, .. } => vec![("lr_decay", lr_decay), ("eps", eps)],
        }
    }

    /// Sets one of [`Self::hyperparameters`] by name. Errors name the optimizer and the value
    /// when it has no such setting or the value is out of range (betas and alpha in [0, 1),
    /// momentum and dampening in [0, 1], eps > 0, lr_decay ≥ 0).
    pub fn set_hyperparameter(&mut self, name: &str, value: f64) -> Result<(), String> {
        check_setting(name, value)?;
        let slot = match (self, name) {
            (OptimizerConfig::Sgd { momentum, .. }, "momentum")
            | (OptimizerConfig::RmsProp { momentum, .. }, "momentum") => momentum,
            (OptimizerConfig::Sgd { dampening, .. }, "dampening") => dampening,
            (OptimizerConfig::Adam { beta1, .. } | OptimizerConfig::AdamW { beta1, .. }, "beta1") => beta1,
            (OptimizerConfig::Adam { beta2, .. } | OptimizerConfig::AdamW { beta2, .. }, "beta2") => beta2,
            (
                OptimizerConfig::Adam { eps, .. }
                | OptimizerConfig::AdamW { eps, .. }
                | OptimizerConfig::RmsProp { eps, .. }
                | OptimizerConfig::Adagrad { eps, .. },
                "eps",
            ) => eps,
            (OptimizerConfig::RmsProp { alpha, .. }, "alpha") => alpha,
            (OptimizerConfig::Adagrad { lr_decay, .. }, "lr_decay") => lr_decay,
            (other, _) => return Err(format!("the {} optimizer has no setting '{name}'", other.kind_name())),
        };
        *slot = value;
        Ok(())
    }

    fn kind_name(&self) -> &'static str {
        match self {
            OptimizerConfig::Sgd { .. } => "SGD",
            OptimizerConfig::Adam { .. } => "Adam",
            OptimizerConfig::AdamW { .. } => "AdamW",
            OptimizerConfig::RmsProp { .. } => "RMSprop",
            OptimizerConfig::Adagrad { .. } => "Adagrad",
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        let lr = self.lr();
        if !(lr.is_finite() && lr > 0.0) {
            return Err(format!("learning rate {lr} must be a positive number"));
        }
        let wd = self.weight_decay();
        if !(wd.is_finite() && wd >= 0.0) {
            return Err(format!("weight decay {wd} must be a number ≥ 0"));
        }
        for (name, value) in self.hyperparameters() {
            check_setting(name, value)?;
        }
        if let OptimizerConfig::Sgd { nesterov: true, momentum, dampening, .. } = *self
            && (momentum <= 0.0 || dampening != 0.0)
        {
            return Err("Nesterov momentum requires a momentum > 0 and zero dampening".into());
        }
        Ok(())
    }

    pub fn rule(&self) -> UpdateRule {
        match *self {
            OptimizerConfig::Sgd { momentum, dampening, nesterov, weight_decay, .. } => {
                UpdateRule::Sgd { momentum, dampening, nesterov, weight_decay }
            }
            OptimizerConfig::Adam { beta1, beta2, eps, weight_decay, .. } => {
                UpdateRule::Adam { beta1, beta2, eps, weight_decay, decoupled: false }
            }
            OptimizerConfig::AdamW { beta1, beta2, eps, weight_decay, .. } => {
                UpdateRule::Adam { beta1, beta2, eps, weight_decay, decoupled: true }
            }
            OptimizerConfig::RmsProp { alpha, eps, momentum, centered, weight_decay, .. } => {
                UpdateRule::RmsProp { alpha, eps, momentum, centered, weight_decay }
            }
            OptimizerConfig::Adagrad { lr_decay, eps, weight_decay, .. } => {
                UpdateRule::Adagrad { lr_decay, eps, weight_decay }
            }
        }
    }
}

/// Errors unless `value` is in the range of the optimizer setting `name`, the ranges the page,
/// links and the CLI have always held settings to (PyTorch's own checks are looser: it allows
/// momentum above 1 and eps = 0): a β of 1 would divide Adam's step by 1 − βᵗ = 0.
fn check_setting(name: &str, value: f64) -> Result<(), String> {
    let (ok, range) = match name {
        "beta1" | "beta2" | "alpha" => ((0.0..1.0).contains(&value), "in [0, 1)"),
        "momentum" | "dampening" => ((0.0..=1.0).contains(&value), "in [0, 1]"),
        "eps" => (value > 0.0 && value.is_finite(), "a positive number"),
        "lr_decay" => (value >= 0.0 && value.is_finite(), "a number ≥ 0"),
        _ => (true, ""),
    };
    if ok { Ok(()) } else { Err(format!("{name} = {value} is out of range: it must be {range}")) }
}

pub struct Optimizer {
    pub config: OptimizerConfig,
    pub schedule: Schedule,
    /// Clip gradients to this global L2 norm before each step (`clip_grad_norm_`).
    pub clip_grad_norm: Option<f32>,
    /// Completed steps (PyTorch's `state['step']`).
    pub step: u64,
    /// Per parameter, `rule().state_slots()` buffers; empty until the first step.
    pub(crate) state: Vec<Vec<Buffer>>,
}

impl Optimizer {
    pub fn new(config: OptimizerConfig, schedule: Schedule) -> Optimizer {
        Optimizer { config, schedule, clip_grad_norm: None, step: 0, state: Vec::new() }
    }

    /// The learning rate the next step will use.
    pub fn current_lr(&self) -> f64 {
        self.schedule.lr_at(self.config.lr(), self.step)
    }

    /// Updates every parameter that has a gradient, in place, in one fused device call.
    pub fn step(&mut self, params: &[Tensor]) {
        let Some(first) = params.first() else { return };
        let device = first.device().clone();
        let slots = self.config.rule().state_slots();
        if self.state.len() != params.len() {
            self.state = params.iter().map(|p| (0..slots).map(|_| device.zeros(p.numel())).collect()).collect();
        }
        let mut grads: Vec<Option<Tensor>> = params.iter().map(Tensor::grad).collect();
        if let Some(max_norm) = self.clip_grad_norm {
            clip_by_global_norm(&mut grads, max_norm);
        }
        let hyper = StepHyper { lr: self.current_lr(), step: self.step + 1 };
        let batch: Vec<ParamSlot<'_>> = params
            .iter()
            .zip(&grads)
            .zip(&self.state)
            .filter_map(|((p, g), s)| {
                g.as_ref().map(|g| ParamSlot { param: p.buffer(), grad: g.buffer(), state: s, len: p.numel() })
            })
            .collect();
        device.optimizer_step(&self.config.rule(), hyper, &batch);
        self.step += 1;
    }
}

/// g ← g · min(1, max_norm / (‖g‖₂ + 1e-6)) with ‖g‖ over all gradients (torch's
/// `clip_grad_norm_`), computed on the device: no readback.
pub fn clip_by_global_norm(grads: &mut [Option<Tensor>], max_norm: f32) {
    webgrad_core::no_grad(|| {
        let Some(sq) = grads.iter().flatten().map(|g| g.mul(g).sum()).reduce(|a, b| a.add(&b)) else { return };
        let coef = sq.sqrt().add_scalar(1e-6).powf(-1.0).mul_scalar(max_norm).clamp(f32::NEG_INFINITY, 1.0);
        for g in grads.iter_mut().flatten() {
            *g = g.mul(&coef);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hyperparameters_are_set_by_pytorch_name_and_checked() {
        let mut adam = OptimizerConfig::by_name("adam").unwrap();
        assert_eq!(adam.hyperparameters(), vec![("beta1", 0.9), ("beta2", 0.999), ("eps", 1e-8)]);
        adam.set_hyperparameter("beta2", 0.98).unwrap();
        adam.set_hyperparameter("eps", 1e-6).unwrap();
        assert_eq!(
            adam.rule(),
            UpdateRule::Adam { beta1: 0.9, beta2: 0.98, eps: 1e-6, weight_decay: 0.0, decoupled: false }
        );
        assert!(adam.set_hyperparameter("beta1", 1.0).unwrap_err().contains("beta1 = 1 is out of range"));
        // a config made otherwise (a checkpoint's JSON) is checked by the same ranges
        let beta_one = OptimizerConfig::Adam { lr: 1e-3, beta1: 0.9, beta2: 1.0, eps: 1e-8, weight_decay: 0.0 };
        assert_eq!(beta_one.validate().unwrap_err(), "beta2 = 1 is out of range: it must be in [0, 1)");
        let no_eps = OptimizerConfig::Adagrad { lr: 1e-2, lr_decay: 0.0, eps: 0.0, weight_decay: 0.0 };
        assert_eq!(no_eps.validate().unwrap_err(), "eps = 0 is out of range: it must be a positive number");
        for name in ["sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop", "adagrad"] {
            assert_eq!(OptimizerConfig::by_name(name).unwrap().validate(), Ok(()), "{name}");
        }
        assert!(
            adam.set_hyperparameter("momentum", 0.5).unwrap_err().contains("Adam optimizer has no setting 'momentum'")
        );
        let mut sgd = OptimizerConfig::by_name("sgd").unwrap();
        sgd.set_hyperparameter("momentum", 0.5).unwrap();
        assert_eq!(sgd.hyperparameters()[0], ("momentum", 0.5));
        let mut rms = OptimizerConfig::by_name("rmsprop").unwrap();
        rms.set_hyperparameter("alpha", 0.9).unwrap();
        rms.set_hyperparameter("momentum", 0.1).unwrap();
        assert_eq!(rms.hyperparameters(), vec![("alpha", 0.9), ("eps", 1e-8), ("momentum", 0.1)]);
        let mut adagrad = OptimizerConfig::by_name("adagrad").unwrap();
        assert!(adagrad.set_hyperparameter("eps", 0.0).is_err());
        adagrad.set_hyperparameter("lr_decay", 0.01).unwrap();
        assert_eq!(adagrad.hyperparameters()[0], ("lr_decay", 0.01));
    }
}
