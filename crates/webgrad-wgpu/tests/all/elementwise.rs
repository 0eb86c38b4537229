//! Slice 1: buffers and the elementwise kernels against the scalar CPU oracle, on the awkward
//! sizes 1, 3, 17, 255, 1023, 4097 (and one launch large enough to need a 2-D grid).
//!
//! Tolerances (|got − want| ≤ atol + rtol·|want|), from the WGSL precision rules, with what
//! lavapipe measured in brackets: exact for neg/abs/clamp/relu/leaky relu, comparisons,
//! add/sub/mul, select and copies [0]; affine 1e-7 (a GPU may fuse a·x + b) [0]; div rtol 2e-7 (WGSL allows 2.5 ulp) [0]; exp/log/sqrt
//! rtol 2e-6 [≤ 4.4e-7 relative]; powf rtol 4e-6, it is exp2(p·log2|x|) [≤ 5e-7 relative];
//! sigmoid/tanh/gelu 1e-6 absolute (own formulas; gelu's erf is Abramowitz–Stegun 7.1.26,
//! |error| ≤ 1.5e-7) [≤ 4.8e-7 gelu, ≤ 1.8e-7 the others]. Derivatives get 4× their op's bound.

use crate::common::*;
use webgrad_core::backend::{Activation, Backend, BinaryOp, UnaryOp};
use webgrad_core::shape::{broadcast_shapes, broadcast_strides, contiguous_strides};
use webgrad_core::{Rng, dual_test};

const SIZES: [usize; 6] = [1, 3, 17, 255, 1023, 4097];

const ACTS: [Activation; 6] = [
    Activation::Identity,
    Activation::Relu,
    Activation::LeakyRelu(0.01),
    Activation::Sigmoid,
    Activation::Tanh,
    Activation::Gelu,
];

/// Every unary op with the inputs it is defined on and its tolerance.
fn unary_cases() -> Vec<(UnaryOp, (f32, f32), Tol)> {
    let exact = EXACT;
    let ulps = Tol { atol: 1e-7, rtol: 2e-6 };
    let smooth = Tol { atol: 1e-6, rtol: 1e-6 };
    let mut cases = vec![
        (UnaryOp::Neg, (-3.0, 3.0), exact),
        (UnaryOp::Exp, (-10.0, 10.0), ulps),
        (UnaryOp::Log, (0.01, 100.0), ulps),
        (UnaryOp::Sqrt, (0.0, 100.0), ulps),
        (UnaryOp::Abs, (-3.0, 3.0), exact),
        (UnaryOp::Powf(2.5), (0.0, 4.0), Tol { atol: 1e-7, rtol: 4e-6 }),
        (UnaryOp::Powf(3.0), (-2.0, 2.0), Tol { atol: 1e-7, rtol: 4e-6 }),
        (UnaryOp::Powf(-1.0), (0.5, 2.0), Tol { atol: 1e-7, rtol: 4e-6 }),
        (UnaryOp::Powf(0.0), (-2.0, 2.0), exact),
        (UnaryOp::Clamp(-0.5, 0.25), (-1.0, 1.0), exact),
        (UnaryOp::Affine(3.0, -1.0), (-1.0, 1.0), Tol { atol: 1e-7, rtol: 1e-7 }),
    ];
    for act in ACTS {
        let tol = match act {
            Activation::Identity | Activation::Relu | Activation::LeakyRelu(_) => exact,
            _ => smooth,
        };
        cases.push((UnaryOp::Act(act), (-6.0, 6.0), tol));
    }
    cases
}

/// Derivatives get the op's tolerance loosened for the chain of formulas behind them.
fn grad_tol(tol: Tol) -> Tol {
    Tol { atol: tol.atol.max(1e-7) * 4.0, rtol: tol.rtol.max(1e-6) * 4.0 }
}

dual_test! {
    async fn buffers_round_trip() {
        let Some(gpu) = gpu().await else { return };
        println!("device: {}", gpu.name());
        assert!(gpu.name().starts_with("wgpu ("), "{}", gpu.name());
        let mut rng = Rng::new(1);
        for n in SIZES {
            let x = uniform(&mut rng, n, -1.0, 1.0);
            let b = gpu.upload(&x);
            assert_eq!(read(&gpu, &b, n).await, x);
            assert_eq!(read(&gpu, &b, n / 2).await, x[..n / 2]);
            let labels: Vec<u32> = (0..n as u32).map(|i| i * 7 + 1).collect();
            assert_eq!(gpu.read_u32(&gpu.upload_u32(&labels), n).await.unwrap(), labels);
            assert_eq!(read(&gpu, &gpu.zeros(n), n).await, vec![0.0; n]);
            // write overwrites a prefix in place, after the ops recorded before it have read the old values
            let doubled = gpu.unary(UnaryOp::Affine(2.0, 0.0), &b, n);
            let head = uniform(&mut rng, n.div_ceil(2), -1.0, 1.0);
            gpu.write(&b, &head);
            let mut want = x.clone();
            want[..head.len()].copy_from_slice(&head);
            assert_eq!(read(&gpu, &b, n).await, want);
            assert_eq!(read(&gpu, &doubled, n).await, x.iter().map(|v| 2.0 * v).collect::<Vec<_>>());
        }
        let empty = gpu.upload(&[]);
        assert!(read(&gpu, &empty, 0).await.is_empty());
        assert!(gpu.read(&empty, 1).await.is_err(), "reading past the end must fail");
        assert!(gpu.read_u32(&gpu.zeros(2), 2).await.is_err(), "an f32 buffer is not a label buffer");
    }

    async fn unary_and_backward_match_reference() {
        let Some(gpu) = gpu().await else { return };
        let cpu = reference();
        let mut rng = Rng::new(2);
        for (op, (lo, hi), tol) in unary_cases() {
            for n in SIZES {
                let x = uniform(&mut rng, n, lo, hi);
                let g = uniform(&mut rng, n, -1.0, 1.0);
                let want_y = cpu.unary(op, &cpu.upload(&x), n);
                let want_dx = cpu.unary_backward(op, &cpu.upload(&x), &want_y, &cpu.upload(&g), n);
                let (gx, gg) = (gpu.upload(&x), gpu.upload(&g));
                let y = gpu.unary(op, &gx, n);
                let dx = gpu.unary_backward(op, &gx, &y, &gg, n);
                compare(&gpu, &y, &cpu, &want_y, n, tol, &format!("{op:?} n={n}")).await;
                let what = format!("{op:?} backward n={n}");
                compare(&gpu, &dx, &cpu, &want_dx, n, grad_tol(tol), &what).await;
            }
        }
    }

    async fn large_launch_uses_a_2d_grid() {
        let Some(gpu) = gpu().await else { return };
        // 65,535 workgroups of 256 is the most one dimension holds; go past it
        let n = 65_535 * 256 + 1000;
        assert!(gpu.limits().max_compute_workgroups_per_dimension as usize * 256 < n);
        let x: Vec<f32> = (0..n).map(|i| (i % 1000) as f32).collect();
        let y = read(&gpu, &gpu.unary(UnaryOp::Neg, &gpu.upload(&x), n), n).await;
        assert!(y.iter().zip(&x).all(|(a, b)| *a == -b), "every element past the first grid row is written");
    }

    async fn binary_broadcasts_like_reference() {
        let Some(gpu) = gpu().await else { return };
        let cpu = reference();
        let mut rng = Rng::new(3);
        let shapes: Vec<(Vec<usize>, Vec<usize>)> = vec![
            (vec![1], vec![1]),
            (vec![3], vec![3]),
            (vec![17, 255], vec![255]),
            (vec![1023, 1], vec![1, 3]),
            (vec![], vec![4097]),
            (vec![4097], vec![]),
            (vec![2, 1, 3, 1, 5], vec![1, 4, 1]),
            // rank 7: mergeable to rank 1, then one that cannot merge (the kernels index rank ≤ 8)
            (vec![2, 3, 1, 2, 2, 3, 2], vec![2, 3, 1, 2, 2, 3, 2]),
            (vec![2, 1, 2, 1, 2, 1, 3], vec![1, 2, 1, 2, 1, 3, 1]),
        ];
        use BinaryOp::*;
        let ops = [Add, Sub, Mul, Div, Gt, Ge, Lt, Eq];
        for (sa, sb) in &shapes {
            let out = broadcast_shapes(sa, sb).unwrap();
            let n: usize = out.iter().product();
            let (na, nb) = (sa.iter().product::<usize>(), sb.iter().product::<usize>());
            // values on a coarse grid so that ties (Eq, Ge) happen; b kept away from 0 for Div
            let a: Vec<f32> = (0..na).map(|_| rng.below(9) as f32 * 0.25 - 1.0).collect();
            let sign = |r: &mut Rng| if r.below(2) == 0 { 1.0 } else { -1.0 };
            let b: Vec<f32> = (0..nb).map(|_| (rng.below(8) as f32 * 0.25 + 0.5) * sign(&mut rng)).collect();
            let (stra, strb) = (broadcast_strides(sa, &out), broadcast_strides(sb, &out));
            for op in ops {
                let want = cpu.binary(op, (&cpu.upload(&a), &stra), (&cpu.upload(&b), &strb), &out);
                let got = gpu.binary(op, (&gpu.upload(&a), &stra), (&gpu.upload(&b), &strb), &out);
                let tol = if op == BinaryOp::Div { Tol { atol: 0.0, rtol: 2e-7 } } else { EXACT };
                compare(&gpu, &got, &cpu, &want, n, tol, &format!("{op:?} {sa:?} {sb:?}")).await;
            }
        }
    }

    async fn select_and_copy_strided_are_exact() {
        let Some(gpu) = gpu().await else { return };
        let cpu = reference();
        let mut rng = Rng::new(4);
        for n in SIZES {
            let cond: Vec<f32> = (0..n).map(|_| rng.below(2) as f32).collect();
            let (a, b) = (uniform(&mut rng, n, -1.0, 1.0), uniform(&mut rng, n, -1.0, 1.0));
            let want = cpu.select(&cpu.upload(&cond), &cpu.upload(&a), &cpu.upload(&b), n);
            let got = gpu.select(&gpu.upload(&cond), &gpu.upload(&a), &gpu.upload(&b), n);
            compare(&gpu, &got, &cpu, &want, n, EXACT, &format!("select n={n}")).await;
        }
        // (input shape, permutation or broadcast target)
        let transposes: Vec<Vec<usize>> = vec![vec![17, 255], vec![1, 3], vec![1023, 5], vec![3, 17, 4, 2, 5]];
        for shape in transposes {
            let x = uniform(&mut rng, shape.iter().product(), -1.0, 1.0);
            // reverse all dims: a full permutation
            let own = contiguous_strides(&shape);
            let strides: Vec<usize> = own.iter().rev().copied().collect();
            let out: Vec<usize> = shape.iter().rev().copied().collect();
            let n = x.len();
            let want = cpu.copy_strided(&cpu.upload(&x), &strides, &out);
            let got = gpu.copy_strided(&gpu.upload(&x), &strides, &out);
            compare(&gpu, &got, &cpu, &want, n, EXACT, &format!("permute {shape:?}")).await;
        }
        for (from, to) in [(vec![255], vec![17, 255]), (vec![17, 1], vec![17, 1023]), (vec![1], vec![4097])] {
            let x = uniform(&mut rng, from.iter().product(), -1.0, 1.0);
            let strides = broadcast_strides(&from, &to);
            let n = to.iter().product();
            let want = cpu.copy_strided(&cpu.upload(&x), &strides, &to);
            let got = gpu.copy_strided(&gpu.upload(&x), &strides, &to);
            compare(&gpu, &got, &cpu, &want, n, EXACT, &format!("broadcast {from:?}→{to:?}")).await;
        }
    }
}
