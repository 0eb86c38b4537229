//! Finite-difference gradient checks for every `OpKind`.
//!
//! For each case, L = Σ out ⊙ R with a fixed random R; the analytic dL/dx from `backward` is
//! compared with central differences (L(x+h) − L(x−h)) / 2h, L summed in f64 on the host.
//! Inputs are drawn from grids that keep every value ≥ 4h away from kinks (0, clamp bounds) and
//! from ties (max), so the difference quotient is valid.

use crate::Result;
use crate::autograd::OpKind;
use crate::backend::{Activation, Device};
use crate::rng::Rng;
use crate::shape::numel;
use crate::tensor::{Tensor, no_grad};

const H: f32 = 1e-2;
/// The bar, |analytic − numeric| ≤ ATOL + RTOL·|numeric|, from what limits the difference
/// quotient here: its truncation error h²/6·|L‴| (h = 1e-2, inputs kept ≥ 4h from kinks) is the
/// larger part, at most ≈ 1e-4 on these domains (the worst measured over every case: div 9.9e-5,
/// log 4.7e-5, exp 2.9e-5, every other below 2.2e-5, on the CPU); the f32 round-off of L's terms,
/// divided by 2h, adds ≈ 3e-6·√(outputs). ATOL is 3× the worst measured; RTOL covers a large
/// gradient's truncation (|L‴| grows with it). A backward pass wrong by 1 % of a gradient of
/// order 1 fails by far.
pub const ATOL: f64 = 3e-4;
pub const RTOL: f64 = 1e-3;

#[derive(Clone, Copy)]
enum Domain {
    /// ±{0.25, 0.35, …, 0.95} (never near 0 or ±0.5) plus a jitter < 0.01
    Signed,
    /// [0.5, 2]
    Positive,
    /// a shuffled evenly spaced grid in (-1, 1): all values distinct by ≥ 2/n
    Distinct,
}

type CaseFn = Box<dyn Fn(&[Tensor]) -> Tensor>;

pub struct Case {
    pub name: String,
    inputs: Vec<(Vec<usize>, Domain)>,
    f: CaseFn,
}

fn case(name: &str, inputs: &[(&[usize], Domain)], f: impl Fn(&[Tensor]) -> Tensor + 'static) -> Case {
    Case { name: name.to_string(), inputs: inputs.iter().map(|(s, d)| (s.to_vec(), *d)).collect(), f: Box::new(f) }
}

/// The cases that check one op kind (several shapes / variants where the op has them).
pub fn cases(kind: OpKind, device: &Device) -> Vec<Case> {
    use Domain::*;
    use OpKind as K;
    let d = device.clone();
    let labels = move || Tensor::labels(&d, &[1, 3, 0]);
    let m34: &[usize] = &[3, 4];
    match kind {
        K::Matmul => [(false, false), (true, false), (false, true), (true, true)]
            .into_iter()
            .map(|(ta, tb)| {
                let a: &[usize] = if ta { &[4, 3] } else { &[3, 4] };
                let b: &[usize] = if tb { &[5, 4] } else { &[4, 5] };
                case(&format!("matmul ta={ta} tb={tb}"), &[(a, Signed), (b, Signed)], move |t| {
                    t[0].matmul_t(&t[1], ta, tb)
                })
            })
            .collect(),
        K::Linear => [
            Activation::Identity,
            Activation::Relu,
            Activation::Sigmoid,
            Activation::Tanh,
            Activation::Gelu,
            Activation::LeakyRelu(0.1),
        ]
        .into_iter()
        .map(|act| {
            case(&format!("linear {act:?}"), &[(m34, Signed), (&[5, 4], Signed), (&[5], Signed)], move |t| {
                t[0].linear(&t[1], Some(&t[2]), act)
            })
        })
        .collect(),
        K::Add => vec![
            case("add [3,4]+[4]", &[(m34, Signed), (&[4], Signed)], |t| t[0].add(&t[1])),
            case("add [3,1]+[1,4]", &[(&[3, 1], Signed), (&[1, 4], Signed)], |t| t[0].add(&t[1])),
        ],
        K::Sub => vec![case("sub [3,4]-[3,1]", &[(m34, Signed), (&[3, 1], Signed)], |t| t[0].sub(&t[1]))],
        K::Mul => vec![case("mul [3,4]*[4]", &[(m34, Signed), (&[4], Signed)], |t| t[0].mul(&t[1]))],
        K::Div => vec![case("div [3,4]/[3,1]", &[(m34, Signed), (&[3, 1], Positive)], |t| t[0].div(&t[1]))],
        K::Neg => vec![case("neg", &[(m34, Signed)], |t| t[0].neg())],
        K::Exp => vec![case("exp", &[(m34, Signed)], |t| t[0].exp())],
        K::Log => vec![case("log", &[(m34, Positive)], |t| t[0].log())],
        K::Sqrt => vec![case("sqrt", &[(m34, Positive)], |t| t[0].sqrt())],
        K::Powf => vec![case("powf 2.5", &[(m34, Positive)], |t| t[0].powf(2.5))],
        K::Abs => vec![case("abs", &[(m34, Signed)], |t| t[0].abs())],
        K::Clamp => vec![case("clamp [-0.5,0.5]", &[(m34, Signed)], |t| t[0].clamp(-0.5, 0.5))],
        K::Affine => vec![case("affine 3x-1", &[(m34, Signed)], |t| t[0].affine(3.0, -1.0))],
        K::Relu => vec![case("relu", &[(m34, Signed)], |t| t[0].relu())],
        K::LeakyRelu => vec![case("leaky_relu 0.1", &[(m34, Signed)], |t| t[0].leaky_relu(0.1))],
        K::Sigmoid => vec![case("sigmoid", &[(m34, Signed)], |t| t[0].sigmoid())],
        K::Tanh => vec![case("tanh", &[(m34, Signed)], |t| t[0].tanh())],
        K::Gelu => vec![case("gelu", &[(m34, Signed)], |t| t[0].gelu())],
        K::Softmax => vec![
            case("softmax axis 1", &[(m34, Signed)], |t| t[0].softmax(1)),
            case("softmax axis 0", &[(m34, Signed)], |t| t[0].softmax(0)),
        ],
        K::LogSoftmax => vec![case("log_softmax axis 1", &[(m34, Signed)], |t| t[0].log_softmax(1))],
        K::Sum => vec![
            case("sum axis 1", &[(&[2, 3, 4], Signed)], |t| t[0].sum_axis(1, false)),
            case("sum axis 0 keepdim", &[(m34, Signed)], |t| t[0].sum_axis(0, true)),
        ],
        K::Mean => vec![case("mean axis 1", &[(m34, Signed)], |t| t[0].mean_axis(1, false))],
        K::Max => vec![case("max axis 1", &[(m34, Distinct)], |t| t[0].max_axis(1, false))],
        K::SumAll => vec![case("sum all", &[(m34, Signed)], |t| t[0].sum())],
        K::MeanAll => vec![case("mean all", &[(m34, Signed)], |t| t[0].mean())],
        K::MaxAll => vec![case("max all", &[(m34, Distinct)], |t| t[0].max())],
        K::Reshape => vec![case("reshape [3,4]→[2,6]", &[(m34, Signed)], |t| t[0].reshape(&[2, 6]).exp())],
        K::Transpose => vec![case("transpose", &[(&[2, 3, 4], Signed)], |t| t[0].transpose())],
        K::BroadcastTo => vec![
            case("broadcast [4]→[3,4]", &[(&[4], Signed)], |t| t[0].broadcast_to(&[3, 4])),
            case("broadcast [3,1]→[3,4]", &[(&[3, 1], Signed)], |t| t[0].broadcast_to(&[3, 4])),
        ],
        K::GatherRows => vec![case("gather_rows", &[(m34, Signed)], move |t| t[0].gather_rows(&labels()))],
        K::Where => {
            let d = device.clone();
            vec![case("where cond ? [3,4] : [4]", &[(m34, Signed), (&[4], Signed)], move |t| {
                let cond = Tensor::from_slice(&d, &[1., 0., 0., 1., 0., 1., 1., 0., 1., 1., 0., 0.], &[3, 4]).unwrap();
                Tensor::where_(&cond, &t[0], &t[1])
            })]
        }
        K::Dropout => vec![case("dropout p=0.5", &[(&[4, 8], Signed)], |t| t[0].dropout(0.5, 7, true))],
        K::Concat => vec![
            case("concat axis 1", &[(&[2, 3], Signed), (&[2, 2], Signed)], |t| Tensor::concat(&[&t[0], &t[1]], 1)),
            case("concat axis 0", &[(&[1, 3], Signed), (&[2, 3], Signed)], |t| Tensor::concat(&[&t[0], &t[1]], 0)),
        ],
        K::Slice => vec![case("slice axis 1 [1..3]", &[(m34, Signed)], |t| t[0].slice(1, 1, 2))],
        K::SoftmaxCrossEntropy => [0.0f32, 0.1]
            .into_iter()
            .map(|eps| {
                let labels = labels.clone();
                case(&format!("softmax_xent ε={eps}"), &[(m34, Signed)], move |t| {
                    t[0].softmax_cross_entropy(&labels(), eps)
                })
            })
            .collect(),
    }
}

fn sample(domain: Domain, n: usize, rng: &mut Rng) -> Vec<f32> {
    match domain {
        Domain::Signed => (0..n)
            .map(|_| {
                let magnitude =
                    [0.25, 0.35, 0.45, 0.65, 0.75, 0.85, 0.95][rng.below(7) as usize] + 0.01 * rng.uniform();
                if rng.below(2) == 0 { magnitude } else { -magnitude }
            })
            .collect(),
        Domain::Positive => (0..n).map(|_| rng.uniform_range(0.5, 2.0)).collect(),
        Domain::Distinct => rng.permutation(n).iter().map(|&i| -1.0 + 2.0 * (i as f32 + 0.5) / n as f32).collect(),
    }
}

/// Result of one case: the worst element and whether all are within ATOL + RTOL·|numeric|.
#[derive(Debug, Clone)]
pub struct Report {
    pub name: String,
    pub elements: usize,
    pub max_abs_err: f64,
    pub max_rel_err: f64,
    pub ok: bool,
}

fn weighted_sum(out: &[f32], r: &[f32]) -> f64 {
    out.iter().zip(r).map(|(&o, &w)| o as f64 * w as f64).sum()
}

pub async fn run(c: &Case, device: &Device, seed: u64) -> Result<Report> {
    let mut rng = Rng::new(seed);
    let mut values: Vec<Vec<f32>> = c.inputs.iter().map(|(s, d)| sample(*d, numel(s), &mut rng)).collect();
    let params: Vec<Tensor> =
        c.inputs.iter().zip(&values).map(|((s, _), v)| Tensor::parameter(device, v, s)).collect::<Result<_>>()?;
    let out = (c.f)(&params);
    let r: Vec<f32> = (0..out.numel()).map(|_| rng.uniform_range(-1.0, 1.0)).collect();
    let weights = Tensor::from_slice(device, &r, out.shape())?;
    out.mul(&weights).sum().backward();

    let eval = |vals: &[Vec<f32>]| {
        no_grad(|| -> Result<Tensor> {
            let ts: Vec<Tensor> =
                c.inputs.iter().zip(vals).map(|((s, _), v)| Tensor::from_slice(device, v, s)).collect::<Result<_>>()?;
            Ok((c.f)(&ts))
        })
    };
    let (mut max_abs, mut max_rel, mut ok, mut elements) = (0.0f64, 0.0f64, true, 0);
    for (i, p) in params.iter().enumerate() {
        let analytic = match p.grad() {
            Some(g) => g.to_vec().await?,
            None => vec![0.0; p.numel()],
        };
        for j in 0..p.numel() {
            let x = values[i][j];
            values[i][j] = x + H;
            let plus = weighted_sum(&eval(&values)?.to_vec().await?, &r);
            values[i][j] = x - H;
            let minus = weighted_sum(&eval(&values)?.to_vec().await?, &r);
            values[i][j] = x;
            let numeric = (plus - minus) / (2.0 * H as f64);
            let err = (analytic[j] as f64 - numeric).abs();
            max_abs = max_abs.max(err);
            max_rel = max_rel.max(err / numeric.abs().max(1e-6));
            ok &= err <= ATOL + RTOL * numeric.abs();
            elements += 1;
        }
    }
    Ok(Report { name: c.name.clone(), elements, max_abs_err: max_abs, max_rel_err: max_rel, ok })
}

/// Runs every case of every op kind.
pub async fn run_all(device: &Device) -> Result<Vec<(OpKind, Report)>> {
    let mut reports = Vec::new();
    for kind in OpKind::ALL {
        for c in cases(kind, device) {
            reports.push((kind, run(&c, device, 0x5eed).await?));
        }
    }
    Ok(reports)
}
