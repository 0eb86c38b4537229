//! Every CPU kernel against the scalar reference backend, on awkward sizes; and a check that the
//! SIMD path is the one running (simd128 in the browser, AVX2+FMA natively when the CPU has it).

use crate::common::assert_close;
use std::rc::Rc;
use webgrad_core::backend::{
    Activation, Backend, BinaryOp, GemmSpec, ParamSlot, ReduceOp, StepHyper, UnaryOp, UpdateRule,
};
use webgrad_core::cpu::microkernel;
use webgrad_core::dual_test;
use webgrad_core::{CpuBackend, Rng};

fn randn(rng: &mut Rng, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.uniform_range(-1.0, 1.0)).collect()
}

/// Every micro-kernel this machine can run, as a backend.
fn fast_backends() -> Vec<CpuBackend> {
    microkernel::available().into_iter().map(CpuBackend::with_kernel).collect()
}

async fn read(b: &dyn Backend, buf: &webgrad_core::Buffer, n: usize) -> Vec<f32> {
    b.read(buf, n).await.unwrap()
}

dual_test! {
    async fn simd_path_is_the_one_running() {
        let name = CpuBackend::new().kernel_name();
        #[cfg(target_arch = "wasm32")]
        {
            // the simd128 micro-kernel is compiled in only with target-feature=+simd128
            assert!(name.starts_with("simd128"), "{name}");
            // built with the relaxed-SIMD kernel, that one is the fastest (the browser has it)
            #[cfg(feature = "relaxed-simd")]
            assert_eq!(name, "simd128+relaxed");
        }
        #[cfg(target_arch = "x86_64")]
        if is_x86_feature_detected!("avx512f") {
            assert_eq!(name, "avx512f");
        } else if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            assert_eq!(name, "avx2+fma");
        }
        let _ = name;
    }

    // A batch's rows go straight from the data set into the buffer, in the batch's order (a
    // row may repeat), and the values past them are left alone.
    async fn write_rows_copies_the_chosen_rows_in_order() {
        let table: Vec<f32> = (0..15).map(|v| v as f32).collect(); // 5 rows of 3
        for b in fast_backends() {
            let buf = b.zeros(14);
            b.write_rows(&buf, &table, 3, &[4, 0, 4, 2], &mut Vec::new());
            let want = [12.0, 13.0, 14.0, 0.0, 1.0, 2.0, 12.0, 13.0, 14.0, 6.0, 7.0, 8.0, 0.0, 0.0];
            assert_eq!(read(&b, &buf, 14).await, want, "{}", b.kernel_name());
        }
    }

    async fn gemm_matches_reference_on_awkward_sizes() {
        let reference = CpuBackend::reference();
        let mut rng = Rng::new(1);
        let sizes = [(1, 1, 1), (3, 17, 5), (17, 3, 255), (64, 784, 128), (255, 1023, 17), (6, 300, 16), (100, 257, 33), (1023, 5, 3), (2, 0, 3), (128, 64, 784), (64, 128, 64), (48, 96, 256), (200, 20, 300)];
        let acts = [Activation::Identity, Activation::Relu, Activation::Tanh, Activation::Gelu];
        for (case, &(m, k, n)) in sizes.iter().enumerate() {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let act = acts[case % acts.len()];
                let spec = GemmSpec { m, k, n, trans_a: ta, trans_b: tb, act };
                let (a, b, bias) = (randn(&mut rng, m * k), randn(&mut rng, k * n), randn(&mut rng, n));
                let use_bias = (case + ta as usize).is_multiple_of(2);
                let want = {
                    let (ab, bb, cb) = (reference.upload(&a), reference.upload(&b), reference.upload(&bias));
                    let out = reference.gemm(&ab, &bb, use_bias.then_some(&cb), &spec);
                    read(&reference, &out, m * n).await
                };
                for fast in fast_backends() {
                    let (ab, bb, cb) = (fast.upload(&a), fast.upload(&b), fast.upload(&bias));
                    let out = fast.gemm(&ab, &bb, use_bias.then_some(&cb), &spec);
                    let got = read(&fast, &out, m * n).await;
                    let what = format!("gemm {} m={m} k={k} n={n} ta={ta} tb={tb} bias={use_bias} {act:?}", fast.kernel_name());
                    assert_close(&got, &want, 1e-5 + 2e-6 * k as f32, 1e-5, &what);
                }
            }
        }
    }

    async fn elementwise_reduce_and_softmax_match_reference() {
        let (reference, fast) = (CpuBackend::reference(), CpuBackend::new());
        let mut rng = Rng::new(2);
        for &len in &[1usize, 3, 17, 255, 1023, 4097] {
            let x = randn(&mut rng, len);
            let y = randn(&mut rng, len);
            for op in [UnaryOp::Exp, UnaryOp::Abs, UnaryOp::Act(Activation::Relu), UnaryOp::Act(Activation::Gelu), UnaryOp::Affine(2.0, 1.0)] {
                let want = read(&reference, &reference.unary(op, &reference.upload(&x), len), len).await;
                let got = read(&fast, &fast.unary(op, &fast.upload(&x), len), len).await;
                assert_close(&got, &want, 1e-6, 1e-6, &format!("{op:?} len {len}"));
            }
            let s = [1usize];
            for op in [BinaryOp::Add, BinaryOp::Mul, BinaryOp::Div] {
                let want = read(&reference, &reference.binary(op, (&reference.upload(&x), &s), (&reference.upload(&y), &s), &[len]), len).await;
                let got = read(&fast, &fast.binary(op, (&fast.upload(&x), &s), (&fast.upload(&y), &s), &[len]), len).await;
                assert_close(&got, &want, 1e-6, 1e-6, &format!("{op:?} len {len}"));
            }
            for (outer, inner) in [(1, 1), (len, 1), (1, len)] {
                let axis = len / (outer * inner).min(len).max(1);
                let dims = (outer, axis.max(1), inner);
                let n = dims.0 * dims.1 * dims.2;
                for op in [ReduceOp::Sum, ReduceOp::Max] {
                    let want = read(&reference, &reference.reduce(op, &reference.upload(&x[..n]), dims.0, dims.1, dims.2), outer * inner).await;
                    let got = read(&fast, &fast.reduce(op, &fast.upload(&x[..n]), dims.0, dims.1, dims.2), outer * inner).await;
                    assert_close(&got, &want, 1e-4, 1e-5, &format!("{op:?} {dims:?}"));
                    // and against a plain f64 sum / max
                    if dims == (1, n, 1) {
                        let exact = match op {
                            ReduceOp::Sum => x[..n].iter().map(|&v| v as f64).sum::<f64>() as f32,
                            ReduceOp::Max => x[..n].iter().copied().fold(f32::NEG_INFINITY, f32::max),
                        };
                        assert_close(&got, &[exact], 1e-4, 1e-5, &format!("{op:?} exact {n}"));
                    }
                }
                let want = read(&reference, &reference.softmax(&reference.upload(&x[..n]), dims, false), n).await;
                let got = read(&fast, &fast.softmax(&fast.upload(&x[..n]), dims, false), n).await;
                assert_close(&got, &want, 1e-6, 1e-5, &format!("softmax {dims:?}"));
            }
        }
    }

    async fn softmax_xent_matches_definition() {
        let b: Rc<dyn Backend> = Rc::new(CpuBackend::new());
        let mut rng = Rng::new(3);
        for &(n, c) in &[(1usize, 1usize), (3, 17), (17, 10), (255, 3)] {
            let logits = randn(&mut rng, n * c).iter().map(|v| v * 5.0).collect::<Vec<_>>();
            let labels: Vec<u32> = (0..n).map(|_| rng.below(c as u32)).collect();
            for eps in [0.0f32, 0.1] {
                let (loss, probs) = b.softmax_xent(&b.upload(&logits), &b.upload_u32(&labels), n, c, eps);
                let loss = read(&*b, &loss, 1).await[0];
                let probs = read(&*b, &probs, n * c).await;
                // definition in f64: −Σ target·log softmax
                let mut want = 0.0f64;
                for i in 0..n {
                    let row: Vec<f64> = logits[i * c..(i + 1) * c].iter().map(|&v| v as f64).collect();
                    let max = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                    let lse = row.iter().map(|v| (v - max).exp()).sum::<f64>().ln() + max;
                    for j in 0..c {
                        let t = if j == labels[i] as usize { 1.0 - eps as f64 } else { 0.0 } + eps as f64 / c as f64;
                        want -= t * (row[j] - lse);
                        assert!((probs[i * c + j] as f64 - (row[j] - lse).exp()).abs() < 1e-6);
                    }
                }
                want /= n as f64;
                assert!((loss as f64 - want).abs() < 1e-5 * (1.0 + want.abs()), "xent n={n} c={c}: {loss} vs {want}");
            }
        }
    }

    async fn adam_update_matches_closed_form_first_step() {
        // After one Adam step from m = v = 0: p ← p − lr · g / (|g| + eps) (bias corrections cancel).
        let b = CpuBackend::new();
        let g = [0.5f32, -2.0, 1e-3];
        let p = b.upload(&[1.0, 1.0, 1.0]);
        let grad = b.upload(&g);
        let state = [b.zeros(3), b.zeros(3)];
        let rule = UpdateRule::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.0, decoupled: false };
        b.optimizer_step(&rule, StepHyper { lr: 0.1, step: 1 }, &[ParamSlot { param: &p, grad: &grad, state: &state, len: 3 }]);
        let got = read(&b, &p, 3).await;
        let want: Vec<f32> = g.iter().map(|g| 1.0 - 0.1 * g / (g.abs() + 1e-8)).collect();
        assert_close(&got, &want, 1e-6, 1e-6, "adam step 1");
    }

    async fn vectorised_relu_matches_its_definition_bit_for_bit() {
        let b = CpuBackend::new();
        let mut rng = Rng::new(9);
        for n in [1usize, 3, 4, 17, 1023] {
            let mut x = randn(&mut rng, n);
            let specials = [f32::NAN, -0.0, 0.0, -1.0, 1.0, f32::INFINITY, f32::NEG_INFINITY];
            for (v, s) in x.iter_mut().zip(specials) {
                *v = s;
            }
            let g = randn(&mut rng, n);
            let act = UnaryOp::Act(Activation::Relu);
            let (xb, gb) = (b.upload(&x), b.upload(&g));
            let y = b.unary(act, &xb, n);
            let dx = b.unary_backward(act, &xb, &y, &gb, n);
            let bits = |v: Vec<f32>| v.into_iter().map(f32::to_bits).collect::<Vec<_>>();
            let want_y: Vec<f32> = x.iter().map(|&v| if v > 0.0 { v } else { 0.0 }).collect();
            let want_dx: Vec<f32> = x.iter().zip(&g).map(|(&v, &g)| g * f32::from(v > 0.0)).collect();
            assert_eq!(bits(read(&b, &y, n).await), bits(want_y), "relu, n = {n}");
            assert_eq!(bits(read(&b, &dx, n).await), bits(want_dx), "relu backward, n = {n}");
            // the fused GEMM epilogue applies the same ReLU
            let spec = GemmSpec { m: 1, k: 1, n, trans_a: false, trans_b: false, act: Activation::Relu };
            let out = b.gemm(&b.upload(&[1.0]), &xb, None, &spec);
            let want_y: Vec<f32> = x.iter().map(|&v| if v > 0.0 { v } else { 0.0 }).collect();
            assert_eq!(bits(read(&b, &out, n).await), bits(want_y), "gemm relu epilogue, n = {n}");
        }
    }

    async fn vectorised_adam_matches_the_scalar_formula_bit_for_bit() {
        // 1027 values: whole SIMD vectors of every width plus a ragged tail
        let n = 1027;
        let mut rng = Rng::new(8);
        let b = CpuBackend::new();
        let cases = [(0.9, 0.0, false), (0.9, 0.01, false), (0.9, 0.01, true), (0.3, 0.0, false)];
        for (beta1, wd, decoupled) in cases {
            let (beta2, eps, lr) = (0.999, 1e-8, 0.01);
            let rule = UpdateRule::Adam { beta1, beta2, eps, weight_decay: wd, decoupled };
            let mut want_p = randn(&mut rng, n);
            let (mut m, mut v) = (vec![0.0f32; n], vec![0.0f32; n]);
            let (p, state) = (b.upload(&want_p), [b.zeros(n), b.zeros(n)]);
            for step in 1..=4u64 {
                let g = randn(&mut rng, n);
                let grad = b.upload(&g);
                b.optimizer_step(&rule, StepHyper { lr, step }, &[ParamSlot { param: &p, grad: &grad, state: &state, len: n }]);
                // torch.optim.Adam, single-tensor path, in f32 with f64 scalars
                let t = step as i32;
                let bc2_sqrt = (1.0 - f64::powi(beta2, t)).sqrt() as f32;
                let neg_step = (-lr / (1.0 - f64::powi(beta1, t))) as f32;
                let (w1, w2, b2) = ((1.0 - beta1) as f32, (1.0 - beta2) as f32, beta2 as f32);
                for i in 0..n {
                    let mut gi = g[i];
                    if !decoupled {
                        gi += wd as f32 * want_p[i];
                    }
                    if decoupled {
                        want_p[i] *= (1.0 - lr * wd) as f32;
                    }
                    m[i] = if w1 < 0.5 { m[i] + w1 * (gi - m[i]) } else { gi - (gi - m[i]) * (1.0 - w1) };
                    v[i] = v[i] * b2 + w2 * gi * gi;
                    want_p[i] += neg_step * (m[i] / (v[i].sqrt() / bc2_sqrt + eps as f32));
                }
            }
            let got: Vec<u32> = read(&b, &p, n).await.into_iter().map(f32::to_bits).collect();
            let want: Vec<u32> = want_p.into_iter().map(f32::to_bits).collect();
            assert!(got == want, "Adam beta1={beta1} wd={wd} decoupled={decoupled}: not bit-identical");
        }
    }
}
