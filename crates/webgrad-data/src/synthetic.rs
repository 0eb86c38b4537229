//! TensorFlow Playground's 2-D datasets (tensorflow/playground `src/dataset.ts`), seeded.
//!
//! Each generator returns `n` rows of 2 features `(x, y)`. The classification sets have classes
//! 0 = "negative" (the playground's label −1) and 1 = "positive" (+1); the rows come out in the
//! playground's order (positives first where it generates them by class), so split or shuffle
//! before training. `noise` is the playground's value, i.e. its noise slider / 100 (0..=0.5 in
//! the UI); it must be finite and `>= 0` (the generators panic otherwise, [`by_name`] returns an
//! error). Random draws come from one `Rng::new(seed)` in the playground's order, and all the
//! arithmetic goes through `libm`, so a seed gives the same bits on native and wasm.

use std::f64::consts::PI;

use webgrad_core::Rng;

use crate::dataset::{Dataset, Targets};
use crate::error::{DataError, Result};

/// The names [`by_name`] accepts.
pub const NAMES: [&str; 5] = ["circle", "xor", "gauss", "spiral", "plane"];

fn uniform(rng: &mut Rng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.uniform() as f64
}

fn check_noise(noise: f32) {
    assert!(noise.is_finite() && noise >= 0.0, "synthetic data: noise {noise} must be finite and >= 0");
}

/// Collects `(x, y, label)` points into a classification dataset.
fn classification(name: &str, points: Vec<(f64, f64, bool)>) -> Dataset {
    let n = points.len();
    let features = points.iter().flat_map(|&(x, y, _)| [x as f32, y as f32]).collect();
    let labels = points.iter().map(|&(_, _, pos)| pos as u32).collect();
    let names = vec!["negative".to_string(), "positive".to_string()];
    Dataset::new(name, features, n, 2, Targets::Classes { labels, classes: 2, names }, None)
        .expect("synthetic points are finite and labels are 0 or 1")
}

/// The playground's `numSamples / 2` loops; for odd `n` the first group gets the extra point so
/// that exactly `n` rows come out.
fn halves(n: usize) -> [usize; 2] {
    [n - n / 2, n / 2]
}

/// Positives uniform in the disc of radius 2.5 (r uniform in [0, 2.5), angle uniform), negatives
/// in the ring r ∈ [3.5, 5). The label is `|p + noise| < 2.5` with noise uniform(−5, 5)·`noise`
/// per coordinate, so with noise some labels flip; the stored point is `p` without noise.
pub fn circle(n: usize, noise: f32, seed: u64) -> Dataset {
    check_noise(noise);
    let (radius, noise) = (5.0, noise as f64);
    let mut rng = Rng::new(seed);
    let mut points = Vec::with_capacity(n);
    for (count, (r_lo, r_hi)) in halves(n).into_iter().zip([(0.0, radius * 0.5), (radius * 0.7, radius)]) {
        for _ in 0..count {
            let r = uniform(&mut rng, r_lo, r_hi);
            let angle = uniform(&mut rng, 0.0, 2.0 * PI);
            let (x, y) = (r * libm::sin(angle), r * libm::cos(angle));
            let nx = uniform(&mut rng, -radius, radius) * noise;
            let ny = uniform(&mut rng, -radius, radius) * noise;
            let label = libm::sqrt((x + nx) * (x + nx) + (y + ny) * (y + ny)) < radius * 0.5;
            points.push((x, y, label));
        }
    }
    classification("circle", points)
}

/// x, y uniform in [−5, 5), each pushed 0.3 away from its axis (so |x|, |y| ∈ [0.3, 5.3]);
/// label `(x + nx)·(y + ny) >= 0` with noise uniform(−5, 5)·`noise`.
pub fn xor(n: usize, noise: f32, seed: u64) -> Dataset {
    check_noise(noise);
    let noise = noise as f64;
    let mut rng = Rng::new(seed);
    let pad = |v: f64| if v > 0.0 { v + 0.3 } else { v - 0.3 };
    let points = (0..n)
        .map(|_| {
            let x = pad(uniform(&mut rng, -5.0, 5.0));
            let y = pad(uniform(&mut rng, -5.0, 5.0));
            let nx = uniform(&mut rng, -5.0, 5.0) * noise;
            let ny = uniform(&mut rng, -5.0, 5.0) * noise;
            (x, y, (x + nx) * (y + ny) >= 0.0)
        })
        .collect();
    classification("xor", points)
}

/// Positives from a Gaussian at (2, 2), negatives at (−2, −2), each coordinate with variance
/// `0.5 + 7·noise` (the playground's linear scale from noise [0, 0.5] to variance [0.5, 4]).
pub fn gauss(n: usize, noise: f32, seed: u64) -> Dataset {
    check_noise(noise);
    let sd = libm::sqrt(0.5 + 7.0 * noise as f64);
    let mut rng = Rng::new(seed);
    let mut points = Vec::with_capacity(n);
    for (count, (c, label)) in halves(n).into_iter().zip([(2.0, true), (-2.0, false)]) {
        for _ in 0..count {
            let x = c + sd * rng.normal() as f64;
            let y = c + sd * rng.normal() as f64;
            points.push((x, y, label));
        }
    }
    classification("gauss", points)
}

/// Two interleaved arms: point i of an arm has r = i/(n/2)·5 and angle
/// t = 1.75·i/(n/2)·2π + δ (δ = 0 for positives, π for negatives), at (r·sin t, r·cos t) plus
/// uniform(−1, 1)·`noise` on each coordinate. |x|, |y| < 5 + noise.
pub fn spiral(n: usize, noise: f32, seed: u64) -> Dataset {
    check_noise(noise);
    let (noise, half) = (noise as f64, n as f64 / 2.0);
    let mut rng = Rng::new(seed);
    let mut points = Vec::with_capacity(n);
    for (count, (delta, label)) in halves(n).into_iter().zip([(0.0, true), (PI, false)]) {
        for i in 0..count {
            let r = i as f64 / half * 5.0;
            let t = 1.75 * i as f64 / half * 2.0 * PI + delta;
            let x = r * libm::sin(t) + uniform(&mut rng, -1.0, 1.0) * noise;
            let y = r * libm::cos(t) + uniform(&mut rng, -1.0, 1.0) * noise;
            points.push((x, y, label));
        }
    }
    classification("spiral", points)
}

/// Regression, 1 output: x, y uniform in [−6, 6), target `((x + nx) + (y + ny)) / 10` (the
/// playground's scale from [−10, 10] to [−1, 1], unclamped) with nx, ny uniform(−6, 6)·`noise`.
pub fn plane(n: usize, noise: f32, seed: u64) -> Dataset {
    check_noise(noise);
    let (radius, noise) = (6.0, noise as f64);
    let mut rng = Rng::new(seed);
    let (mut features, mut values) = (Vec::with_capacity(2 * n), Vec::with_capacity(n));
    for _ in 0..n {
        let x = uniform(&mut rng, -radius, radius);
        let y = uniform(&mut rng, -radius, radius);
        let nx = uniform(&mut rng, -radius, radius) * noise;
        let ny = uniform(&mut rng, -radius, radius) * noise;
        features.extend([x as f32, y as f32]);
        values.push(((x + nx + y + ny) / 10.0) as f32);
    }
    Dataset::new("plane", features, n, 2, Targets::Regression { values, outputs: 1 }, None)
        .expect("synthetic points are finite")
}

/// One of [`NAMES`] by name. Errors for an unknown name (listing the valid ones) or a noise that
/// is negative or not finite.
pub fn by_name(name: &str, n: usize, noise: f32, seed: u64) -> Result<Dataset> {
    if !(noise.is_finite() && noise >= 0.0) {
        return Err(DataError::invalid(name, format!("noise {noise} must be finite and >= 0")));
    }
    // each sample: 2 features and a target (4 bytes each), held twice while the split is made
    let bytes = (n as u64).saturating_mul(24);
    webgrad_core::budget::check(&format!("the 2-D set of {n} samples"), bytes, "")
        .map_err(|msg| DataError::invalid(name, msg))?;
    Ok(match name {
        "circle" => circle(n, noise, seed),
        "xor" => xor(n, noise, seed),
        "gauss" => gauss(n, noise, seed),
        "spiral" => spiral(n, noise, seed),
        "plane" => plane(n, noise, seed),
        _ => {
            return Err(DataError::UnknownDataset { name: name.to_string(), valid: NAMES.join(", ") });
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xy(ds: &Dataset) -> impl Iterator<Item = (f32, f32, u32)> + '_ {
        let labels = ds.labels().unwrap();
        (0..ds.n).map(move |i| (ds.row(i)[0], ds.row(i)[1], labels[i]))
    }

    #[test]
    fn deterministic_per_seed_and_seed_matters() {
        for name in NAMES {
            let a = by_name(name, 200, 0.2, 7).unwrap();
            let b = by_name(name, 200, 0.2, 7).unwrap();
            let c = by_name(name, 200, 0.2, 8).unwrap();
            assert_eq!(a, b, "{name}");
            assert_ne!(a.features, c.features, "{name}");
            assert_eq!((a.name.as_str(), a.n, a.d), (name, 200, 2));
            assert_eq!(a.num_outputs(), if name == "plane" { 1 } else { 2 });
        }
        assert_eq!(by_name("spiral", 7, 0.0, 1).unwrap().n, 7);
    }

    #[test]
    fn by_name_rejects_unknown_and_bad_noise() {
        let e = by_name("moons", 10, 0.0, 0).unwrap_err().to_string();
        assert_eq!(e, "unknown dataset \"moons\" (expected one of: circle, xor, gauss, spiral, plane)");
        let e = by_name("xor", 10, -0.1, 0).unwrap_err().to_string();
        assert_eq!(e, "xor: noise -0.1 must be finite and >= 0");
    }

    #[test]
    fn circle_without_noise_is_separable_and_balanced() {
        let ds = circle(400, 0.0, 3);
        assert_eq!(ds.class_counts(), vec![200, 200]);
        for (x, y, l) in xy(&ds) {
            let r = (x * x + y * y).sqrt();
            if l == 1 {
                assert!(r < 2.5 + 1e-5, "positive at r {r}");
            } else {
                assert!((3.5 - 1e-5..=5.0 + 1e-5).contains(&r), "negative at r {r}");
            }
        }
        // With noise, labels come from the noisy point: some inner points turn negative.
        let noisy = circle(400, 0.5, 3);
        let inner_negatives = xy(&noisy).filter(|&(x, y, l)| l == 0 && (x * x + y * y).sqrt() < 2.5).count();
        assert!(inner_negatives > 10, "{inner_negatives}");
    }

    #[test]
    fn xor_ranges_and_labels() {
        let ds = xor(1000, 0.0, 4);
        for (x, y, l) in xy(&ds) {
            assert!((0.3..=5.3).contains(&x.abs()) && (0.3..=5.3).contains(&y.abs()), "({x}, {y})");
            assert_eq!(l, (x * y >= 0.0) as u32);
        }
        let counts = ds.class_counts();
        assert!(counts[0].abs_diff(counts[1]) < 120, "{counts:?}");
        let noisy = xor(1000, 0.5, 4);
        assert!(xy(&noisy).filter(|&(x, y, l)| l != (x * y >= 0.0) as u32).count() > 50);
    }

    #[test]
    fn gauss_means_and_variance() {
        for (noise, var) in [(0.0, 0.5), (0.5, 4.0)] {
            let ds = gauss(4000, noise, 5);
            assert_eq!(ds.class_counts(), vec![2000, 2000]);
            for (label, centre) in [(1, 2.0), (0, -2.0)] {
                let xs: Vec<f64> = xy(&ds).filter(|p| p.2 == label).map(|p| p.0 as f64).collect();
                let m = xs.iter().sum::<f64>() / xs.len() as f64;
                let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / xs.len() as f64;
                assert!((m - centre).abs() < 0.12, "mean {m}");
                assert!((v / var - 1.0).abs() < 0.1, "variance {v} vs {var}");
            }
        }
    }

    #[test]
    fn spiral_arms_and_range() {
        let ds = spiral(200, 0.0, 6);
        assert_eq!(ds.class_counts(), vec![100, 100]);
        // Point i of the negative arm is point i of the positive arm rotated by π.
        for i in 0..100 {
            let (p, q) = (ds.row(i), ds.row(100 + i));
            assert!((p[0] + q[0]).abs() < 1e-5 && (p[1] + q[1]).abs() < 1e-5, "row {i}");
            let r = (p[0] * p[0] + p[1] * p[1]).sqrt();
            assert!((r - i as f32 / 100.0 * 5.0).abs() < 1e-5);
        }
        let noisy = spiral(200, 0.5, 6);
        assert!(noisy.features.iter().all(|v| v.abs() <= 5.5));
        assert_ne!(noisy.features, ds.features);
    }

    #[test]
    fn plane_targets_follow_the_formula() {
        let ds = plane(500, 0.0, 7);
        let Targets::Regression { values, outputs: 1 } = &ds.targets else { panic!("not regression") };
        assert_eq!(values.len(), 500);
        for (i, &v) in values.iter().enumerate() {
            let (x, y) = (ds.row(i)[0], ds.row(i)[1]);
            assert!(x.abs() <= 6.0 && y.abs() <= 6.0);
            assert!((v - (x + y) / 10.0).abs() < 1e-6);
        }
        let noisy = plane(500, 0.5, 7);
        let Targets::Regression { values: nv, .. } = &noisy.targets else { panic!() };
        let off = (0..500).filter(|&i| (nv[i] - (noisy.row(i)[0] + noisy.row(i)[1]) / 10.0).abs() > 0.05).count();
        assert!(off > 250, "{off}");
    }
}
