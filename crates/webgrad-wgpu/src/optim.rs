//! Host side of the fused optimizer updates (sgd/adam/rmsprop/adagrad.wgsl). Scalar
//! coefficients are derived in f64 exactly as `webgrad_core::cpu::optim` does, then passed as
//! f32; each parameter is one dispatch (all recorded into the same submit).

use bytemuck::{Pod, Zeroable};
use webgrad_core::backend::{ParamSlot, StepHyper, UpdateRule};

use crate::buffer::f32_raw;
use crate::context::Gpu;
use crate::dispatch::{WG, groups, u32_of};
use crate::kernels;
use crate::stream::PerStep;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub(crate) struct SgdParams {
    n: u32,
    flags: u32,
    wd: f32,
    mom: f32,
    damp: f32,
    neg_lr: f32,
    pad: [u32; 2],
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub(crate) struct AdamParams {
    n: u32,
    flags: u32,
    neg_step: f32,
    bc2_sqrt: f32,
    w1: f32,
    b2: f32,
    w2: f32,
    eps: f32,
    decay: f32,
    wd: f32,
    pad: [u32; 2],
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub(crate) struct RmsPropParams {
    n: u32,
    flags: u32,
    alpha: f32,
    w: f32,
    eps: f32,
    mom: f32,
    wd: f32,
    neg_lr: f32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub(crate) struct AdagradParams {
    n: u32,
    flags: u32,
    neg_clr: f32,
    eps: f32,
    wd: f32,
    pad: [u32; 3],
}

fn flag(on: bool, bit: u32) -> u32 {
    if on { 1 << bit } else { 0 }
}

/// The uniform of one update of `n` elements: the only part of an optimizer dispatch that
/// changes from step to step (a replay rebuilds it with the step's `StepHyper`).
pub(crate) enum UpdateParams {
    Sgd(SgdParams),
    Adam(AdamParams),
    RmsProp(RmsPropParams),
    Adagrad(AdagradParams),
}

impl UpdateParams {
    pub fn new(rule: &UpdateRule, h: StepHyper, n: u32) -> UpdateParams {
        let lr = h.lr;
        match *rule {
            UpdateRule::Sgd { momentum, dampening, nesterov, weight_decay } => {
                let flags =
                    flag(weight_decay != 0.0, 0) | flag(momentum != 0.0, 1) | flag(nesterov, 2) | flag(h.step == 1, 3);
                UpdateParams::Sgd(SgdParams {
                    n,
                    flags,
                    wd: weight_decay as f32,
                    mom: momentum as f32,
                    damp: (1.0 - dampening) as f32,
                    neg_lr: -lr as f32,
                    pad: [0; 2],
                })
            }
            UpdateRule::Adam { beta1, beta2, eps, weight_decay, decoupled } => {
                let t = h.step as i32;
                let bc1 = 1.0 - beta1.powi(t);
                UpdateParams::Adam(AdamParams {
                    n,
                    flags: flag(!decoupled && weight_decay != 0.0, 0) | flag(decoupled, 1),
                    neg_step: (-lr / bc1) as f32,
                    bc2_sqrt: (1.0 - beta2.powi(t)).sqrt() as f32,
                    w1: (1.0 - beta1) as f32,
                    b2: beta2 as f32,
                    w2: (1.0 - beta2) as f32,
                    eps: eps as f32,
                    decay: (1.0 - lr * weight_decay) as f32,
                    wd: weight_decay as f32,
                    pad: [0; 2],
                })
            }
            UpdateRule::RmsProp { alpha, eps, momentum, centered, weight_decay } => {
                UpdateParams::RmsProp(RmsPropParams {
                    n,
                    flags: flag(weight_decay != 0.0, 0) | flag(momentum != 0.0, 1) | flag(centered, 2),
                    alpha: alpha as f32,
                    w: (1.0 - alpha) as f32,
                    eps: eps as f32,
                    mom: momentum as f32,
                    wd: weight_decay as f32,
                    neg_lr: -lr as f32,
                })
            }
            UpdateRule::Adagrad { lr_decay, eps, weight_decay } => UpdateParams::Adagrad(AdagradParams {
                n,
                flags: flag(weight_decay != 0.0, 0),
                neg_clr: (-lr / (1.0 + (h.step as f64 - 1.0) * lr_decay)) as f32,
                eps: eps as f32,
                wd: weight_decay as f32,
                pad: [0; 3],
            }),
        }
    }

    pub fn bytes(&self) -> &[u8] {
        match self {
            UpdateParams::Sgd(p) => bytemuck::bytes_of(p),
            UpdateParams::Adam(p) => bytemuck::bytes_of(p),
            UpdateParams::RmsProp(p) => bytemuck::bytes_of(p),
            UpdateParams::Adagrad(p) => bytemuck::bytes_of(p),
        }
    }
}

/// One dispatch per parameter, each marked so that a replay rewrites its uniform. `spare`
/// is bound in place of the state slots a rule leaves off (never read or written then).
pub(crate) fn optimizer_step(
    gpu: &Gpu,
    spare: &[wgpu::Buffer; 2],
    rule: &UpdateRule,
    h: StepHyper,
    params: &[ParamSlot<'_>],
) {
    let slots = rule.state_slots();
    for slot in params {
        assert_eq!(slot.state.len(), slots, "wgpu: {rule:?} needs {slots} state slots");
        let (n, len) = (u32_of(slot.len), slot.len);
        let (p, g) = (f32_raw(slot.param, len), f32_raw(slot.grad, len));
        let state: Vec<&wgpu::Buffer> = slot.state.iter().map(|s| f32_raw(s, len)).collect();
        let (kernel, bufs): (_, Vec<&wgpu::Buffer>) = match *rule {
            UpdateRule::Sgd { .. } => (&kernels::SGD, vec![p, g, state.first().copied().unwrap_or(&spare[0])]),
            UpdateRule::Adam { .. } => (&kernels::ADAM, vec![p, g, state[0], state[1]]),
            UpdateRule::RmsProp { momentum, centered, .. } => {
                // slots: [square_avg] (+ [momentum_buffer]) (+ [grad_avg])
                let mut rest = state[1..].iter().copied();
                let buf = if momentum != 0.0 { rest.next().expect("momentum slot") } else { &spare[0] };
                let grad_avg = if centered { rest.next().expect("grad_avg slot") } else { &spare[1] };
                (&kernels::RMSPROP, vec![p, g, state[0], buf, grad_avg])
            }
            UpdateRule::Adagrad { .. } => (&kernels::ADAGRAD, vec![p, g, state[0]]),
        };
        let params = UpdateParams::new(rule, h, n);
        let per_step = PerStep::Update { rule: *rule, n };
        gpu.run_with(kernel, &[], params.bytes(), &bufs, groups(len, WG), per_step);
    }
}
