//! Slice 4a: the fused softmax cross-entropy (forward + backward) and every optimizer update
//! rule against the CPU oracle.
//!
//! Tolerances (lavapipe's measurements in brackets): probs 2e-6 relative + 1e-7 [≤ 2.4e-7 abs];
//! the loss 2e-6 relative, since row sums and the batch mean run as trees while the CPU sums
//! rows in order and the batch in f64 [≤ 4.8e-7 abs on losses of 2–5]; the backward reads the
//! same probs, 1e-6 relative + 1e-7 [≤ 9e-8 abs]. Optimizers run 5 steps from the same state; a
//! GPU's sqrt, division and fused multiply-adds may each round differently by an ulp, so
//! parameters and state must agree to 1e-6 relative + 1e-7 [bit-identical on lavapipe].

use crate::common::*;
use webgrad_core::backend::{Backend, ParamSlot, StepHyper, UpdateRule};
use webgrad_core::{Buffer, Rng, dual_test};

fn rules() -> Vec<UpdateRule> {
    let sgd =
        |momentum, dampening, nesterov, weight_decay| UpdateRule::Sgd { momentum, dampening, nesterov, weight_decay };
    let adam =
        |weight_decay, decoupled| UpdateRule::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay, decoupled };
    let rms = |momentum, centered, weight_decay| UpdateRule::RmsProp {
        alpha: 0.99,
        eps: 1e-8,
        momentum,
        centered,
        weight_decay,
    };
    vec![
        sgd(0.0, 0.0, false, 0.0),
        sgd(0.0, 0.0, false, 1e-2),
        sgd(0.9, 0.0, false, 0.0),
        sgd(0.9, 0.1, false, 1e-3),
        sgd(0.9, 0.0, true, 1e-2),
        adam(0.0, false),
        adam(1e-2, false),
        adam(1e-2, true),
        rms(0.0, false, 0.0),
        rms(0.9, false, 1e-2),
        rms(0.0, true, 0.0),
        rms(0.5, true, 1e-3),
        UpdateRule::Adagrad { lr_decay: 0.0, eps: 1e-10, weight_decay: 0.0 },
        UpdateRule::Adagrad { lr_decay: 0.01, eps: 1e-10, weight_decay: 1e-2 },
    ]
}

/// Runs `steps` updates of one rule over params of the given lengths; returns every param and
/// state slot read back, in order.
async fn run_rule(b: &dyn Backend, rule: &UpdateRule, init: &[(Vec<f32>, Vec<Vec<f32>>)], steps: u64) -> Vec<Vec<f32>> {
    let slots = rule.state_slots();
    let bufs: Vec<(Buffer, Vec<Buffer>, Vec<Buffer>)> = init
        .iter()
        .map(|(p, grads)| {
            (b.upload(p), grads.iter().map(|g| b.upload(g)).collect(), (0..slots).map(|_| b.zeros(p.len())).collect())
        })
        .collect();
    for step in 1..=steps {
        let batch: Vec<ParamSlot<'_>> = bufs
            .iter()
            .zip(init)
            .map(|((p, g, s), (v, _))| ParamSlot { param: p, grad: &g[(step - 1) as usize], state: s, len: v.len() })
            .collect();
        b.optimizer_step(rule, StepHyper { lr: 0.05 / step as f64, step }, &batch);
    }
    let mut out = Vec::new();
    for ((p, _, state), (v, _)) in bufs.iter().zip(init) {
        out.push(read(b, p, v.len()).await);
        for s in state {
            out.push(read(b, s, v.len()).await);
        }
    }
    out
}

dual_test! {
    async fn softmax_xent_matches_reference() {
        let Some(gpu) = gpu().await else { return };
        let cpu = reference();
        let mut rng = Rng::new(40);
        for (n, c) in [(1, 2), (3, 17), (17, 3), (64, 10), (255, 1023), (1023, 1), (4097, 10)] {
            for eps in [0.0f32, 0.1] {
                let logits = uniform(&mut rng, n * c, -6.0, 6.0);
                // a label ≥ c contributes only the smoothing term, as on the CPU
                let labels: Vec<u32> = (0..n).map(|_| rng.below(c as u32 + 1)).collect();
                let g = [rng.uniform_range(0.5, 2.0)];
                let (cl, gl) = (cpu.upload_u32(&labels), gpu.upload_u32(&labels));
                let (want_loss, want_probs) = cpu.softmax_xent(&cpu.upload(&logits), &cl, n, c, eps);
                let (loss, probs) = gpu.softmax_xent(&gpu.upload(&logits), &gl, n, c, eps);
                let what = format!("xent n={n} c={c} ε={eps}");
                let tol = Tol { atol: 1e-7, rtol: 2e-6 };
                compare(&gpu, &probs, &cpu, &want_probs, n * c, tol, &format!("{what} probs")).await;
                let tol = Tol { atol: 0.0, rtol: 2e-6 };
                compare(&gpu, &loss, &cpu, &want_loss, 1, tol, &format!("{what} loss")).await;
                let want = cpu.softmax_xent_backward(&want_probs, &cl, &cpu.upload(&g), n, c, eps);
                let got = gpu.softmax_xent_backward(&probs, &gl, &gpu.upload(&g), n, c, eps);
                let tol = Tol { atol: 1e-7, rtol: 1e-6 };
                compare(&gpu, &got, &cpu, &want, n * c, tol, &format!("{what} backward")).await;
            }
        }
    }

    async fn every_update_rule_matches_reference() {
        let Some(gpu) = gpu().await else { return };
        let cpu = reference();
        let mut rng = Rng::new(41);
        let steps = 5;
        for rule in rules() {
            let init: Vec<(Vec<f32>, Vec<Vec<f32>>)> = [1usize, 17, 4097]
                .iter()
                .map(|&n| {
                    let grads = (0..steps).map(|_| uniform(&mut rng, n, -1.0, 1.0)).collect();
                    (uniform(&mut rng, n, -1.0, 1.0), grads)
                })
                .collect();
            let want = run_rule(&cpu, &rule, &init, steps as u64).await;
            let got = run_rule(&gpu, &rule, &init, steps as u64).await;
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert_close(g, w, Tol { atol: 1e-7, rtol: 1e-6 }, &format!("{rule:?} buffer {i}"));
            }
        }
    }
}
