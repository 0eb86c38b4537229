//! Regression from the defaults (issue 13): a table like scikit-learn's diabetes data (400 rows,
//! 10 features on their own scales, a target around 90 ± 11 that a linear model explains only in
//! part) trained by `webgrad train` with its default settings reaches the test R² of least
//! squares on the same split: where the truth is linear (least squares is then the best linear
//! unbiased fit) up to that split's sampling noise (`SPLIT_NOISE`); where it is curved, beyond
//! it on average over eight tables. Without target
//! standardisation the network starts predicting ~0 for targets near 90 and its R² is far below
//! zero (−72 on this table). Also: the statistics are recorded in the model and the checkpoint,
//! `eval` maps predictions back to the targets' units, and `--target-scaling none` turns it off.

use std::process::Output;

use webgrad_core::testing::SplitMix64;
use webgrad_data::{CsvOptions, Dataset, Targets, parse_csv};

use crate::common::{scratch, webgrad};

fn ok(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "failed: {err}");
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// splitmix64 (`webgrad_core::testing`), then uniform (0, 1) and standard normal draws.
struct Rng(SplitMix64);

impl Rng {
    fn uniform(&mut self) -> f64 {
        (self.0.next_53() as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// The diabetes-like table as CSV: a header, then `rows` rows of 10 features (means and spreads
/// of age, sex, BMI, blood pressure and six serum measures) and the target
/// `90 + 11 · (a · z + e) / sd`, where `z` are the standardised features, `e` noise with
/// 1.8× the variance of `a · z` (a linear model explains about 35 %) and `sd` makes the target's
/// spread 11. With `curved` > 0 the truth also has a part no linear model can fit,
/// `curved · (z_bmi · z_s5 + (z_bp² − 1) / √2)` (both terms have unit variance, as BMI × s5 does
/// in the real data), counted in the signal's variance.
fn diabetes_like_csv(rows: usize, seed: u64, curved: f64) -> String {
    const MEAN: [f64; 10] = [48.5, 1.5, 26.4, 94.6, 189.1, 115.4, 49.8, 4.1, 4.6, 91.3];
    const SPREAD: [f64; 10] = [13.1, 0.5, 4.4, 13.8, 34.6, 30.4, 12.9, 1.3, 0.52, 11.5];
    const WEIGHT: [f64; 10] = [0.1, -0.4, 1.0, 0.6, -0.3, 0.2, -0.5, 0.3, 0.9, 0.2];
    let mut rng = Rng(SplitMix64(seed));
    let linear_var: f64 = WEIGHT.iter().map(|w| w * w).sum();
    let noise_sd = (1.8 * linear_var).sqrt();
    let sd = (2.8 * linear_var + 2.0 * curved * curved).sqrt();
    let mut csv = String::from("age,sex,bmi,bp,s1,s2,s3,s4,s5,s6,target\n");
    for _ in 0..rows {
        let z: Vec<f64> = (0..10).map(|_| rng.normal()).collect();
        let linear: f64 = z.iter().zip(WEIGHT).map(|(z, w)| z * w).sum();
        let signal = linear + curved * (z[2] * z[8] + (z[3] * z[3] - 1.0) / std::f64::consts::SQRT_2);
        let target = 90.0 + 11.0 * (signal + noise_sd * rng.normal()) / sd;
        for (j, z) in z.iter().enumerate() {
            csv += &format!("{:.4},", MEAN[j] + SPREAD[j] * z);
        }
        csv += &format!("{target:.3}\n");
    }
    csv
}

/// Solves `a x = b` (`a` is `[k, k]`, row-major) by Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<f64>, mut b: Vec<f64>) -> Vec<f64> {
    let k = b.len();
    for col in 0..k {
        let pivot = (col..k).max_by(|&i, &j| a[i * k + col].abs().total_cmp(&a[j * k + col].abs())).unwrap();
        for c in 0..k {
            a.swap(col * k + c, pivot * k + c);
        }
        b.swap(col, pivot);
        for r in col + 1..k {
            let f = a[r * k + col] / a[col * k + col];
            for c in col..k {
                a[r * k + c] -= f * a[col * k + c];
            }
            b[r] -= f * b[col];
        }
    }
    let mut x = vec![0.0; k];
    for r in (0..k).rev() {
        let s: f64 = (r + 1..k).map(|c| a[r * k + c] * x[c]).sum();
        x[r] = (b[r] - s) / a[r * k + r];
    }
    x
}

fn values(ds: &Dataset) -> &[f32] {
    let Targets::Regression { values, outputs: 1 } = &ds.targets else {
        panic!("{}: not one regression target", ds.name)
    };
    values
}

/// Ordinary least squares with an intercept, fitted on `train` by the normal equations in f64;
/// returns its R² on `test` (`1 − SS_res / SS_tot` around the test mean, as webgrad reports it).
fn least_squares_r2(train: &Dataset, test: &Dataset) -> f64 {
    let k = train.d + 1;
    let row = |ds: &Dataset, i: usize| -> Vec<f64> {
        std::iter::once(1.0).chain(ds.row(i).iter().map(|&v| v as f64)).collect()
    };
    let (mut xtx, mut xty) = (vec![0.0; k * k], vec![0.0; k]);
    for (i, &y) in values(train).iter().enumerate() {
        let x = row(train, i);
        for r in 0..k {
            xty[r] += x[r] * y as f64;
            for c in 0..k {
                xtx[r * k + c] += x[r] * x[c];
            }
        }
    }
    let beta = solve(xtx, xty);
    let truth = values(test);
    let mean = truth.iter().map(|&t| t as f64).sum::<f64>() / truth.len() as f64;
    let (mut res, mut tot) = (0.0, 0.0);
    for (i, &t) in truth.iter().enumerate() {
        let p: f64 = row(test, i).iter().zip(&beta).map(|(x, b)| x * b).sum();
        res += (t as f64 - p).powi(2);
        tot += (t as f64 - mean).powi(2);
    }
    1.0 - res / tot
}

/// The R² of the final evaluation (`MSE …  MAE …  R² …`).
fn final_r2(out: &str) -> f64 {
    let line = out.lines().rev().find(|l| l.starts_with("MSE")).unwrap_or_else(|| panic!("no metrics line: {out}"));
    line.split("R²").nth(1).unwrap().trim().parse().unwrap()
}

/// The f32 values of a little-endian `.npy` file (any shape).
fn npy_f32(bytes: &[u8]) -> Vec<f32> {
    let header = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    assert!(String::from_utf8_lossy(&bytes[10..10 + header]).contains("'<f4'"));
    bytes[10 + header..].chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

/// Least squares is the best linear unbiased fit of a linear truth, so a network can only match
/// it up to what one 80-row test split decides: over the generated tables of seeds 1–13, the
/// CLI's defaults came within 0.020 of it on average and the page's (batch 32) within 0.018; even
/// the best epoch of each run, picked on the test split itself, averaged 0.0003 below it.
const SPLIT_NOISE: f64 = 0.05;

#[test]
fn default_training_reaches_least_squares_on_a_diabetes_like_table() {
    let dir = scratch("diabetes");
    let csv = diabetes_like_csv(400, 13, 0.0);
    let file = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let (path, model, ck) = (file("diabetes.csv"), file("m.safetensors"), file("ck.safetensors"));
    std::fs::write(&path, &csv).unwrap();

    // the split `webgrad train` makes by default: 20 % held out, seed 1
    let table = parse_csv(csv.as_bytes(), "diabetes.csv", CsvOptions::default()).unwrap();
    let (train, test, _) = table.into_split(0.2, 1).unwrap();
    assert_eq!((train.n, test.n, train.d), (320, 80, 10));
    let y = values(&train);
    let mean = y.iter().map(|&v| v as f64).sum::<f64>() / train.n as f64;
    let std = (y.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / train.n as f64).sqrt();
    assert!((mean - 90.0).abs() < 2.0 && (std - 11.0).abs() < 1.5, "{mean} ± {std}");
    let ls = least_squares_r2(&train, &test);
    assert!((0.2..=0.5).contains(&ls), "least squares R² {ls} is not in the range of the diabetes data");

    // Defaults: the targets are standardised on the training split, and the run says so.
    let out = ok(&webgrad(&["train", "--dataset", &path, "--quiet", "--save", &model, "--checkpoint", &ck]));
    let r2 = final_r2(&out);
    // the page's defaults for a table are the CLI's at batch 32 (`Experiment::defaults_for`)
    let page = final_r2(&ok(&webgrad(&["train", "--dataset", &path, "--quiet", "--batch", "32"])));
    eprintln!("test R²: webgrad defaults {r2:.4}, the page's {page:.4}, least squares {ls:.4}");
    assert!(r2 >= ls - SPLIT_NOISE, "webgrad's default R² {r2} is below least squares' {ls}:\n{out}");
    assert!(page >= ls - SPLIT_NOISE, "the page's default R² {page} is below least squares' {ls}");
    let note = format!("regression targets standardised on the training split (mean {mean:.4}, std {std:.4})");
    assert!(out.contains(&note) && out.contains("(on standardised targets)"), "{note}\n{out}");

    // The model records the training split's statistics.
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(file("m.json")).unwrap()).unwrap();
    let saved = &json["preprocessing"]["target_standardize"];
    let (m, s) = (saved["mean"][0].as_f64().unwrap(), saved["std"][0].as_f64().unwrap());
    assert!((m - mean).abs() < 1e-4 && (s - std).abs() < 1e-4, "{saved}");

    // `eval` maps the predictions back: the same R², and outputs in the targets' units.
    let preds = file("preds.npy");
    let eval = ok(&webgrad(&["eval", &model, "--save-outputs", &preds]));
    assert_eq!(final_r2(&eval), r2, "{eval}");
    let p = npy_f32(&std::fs::read(&preds).unwrap());
    let truth = values(&test);
    assert_eq!(p.len(), truth.len());
    let t_mean = truth.iter().map(|&t| t as f64).sum::<f64>() / truth.len() as f64;
    let res: f64 = p.iter().zip(truth).map(|(&p, &t)| (p as f64 - t as f64).powi(2)).sum();
    let tot: f64 = truth.iter().map(|&t| (t as f64 - t_mean).powi(2)).sum();
    assert!((1.0 - res / tot - r2).abs() < 1e-3, "R² of the saved predictions {} vs {r2}", 1.0 - res / tot);

    // A resumed run standardises with the checkpoint's statistics: it continues bit for bit.
    let straight = ok(&webgrad(&["train", "--dataset", &path, "--quiet", "--epochs", "6"]));
    let resumed = ok(&webgrad(&["train", "--dataset", &path, "--quiet", "--resume", &ck, "--epochs", "6"]));
    assert!(resumed.contains(&note), "{resumed}");
    assert_eq!(final_r2(&resumed), final_r2(&straight), "{resumed}\n{straight}");

    // The switch: without target scaling, the network starts near 0 for targets near 90.
    let raw = ok(&webgrad(&["train", "--dataset", &path, "--quiet", "--target-scaling", "none", "--save", &model]));
    assert!(final_r2(&raw) < 0.0 && !raw.contains("standardised"), "{raw}");
    let json = std::fs::read_to_string(file("m.json")).unwrap();
    assert!(json.contains("\"target_standardize\": null"), "{json}");
    let bad = webgrad(&["train", "--dataset", &path, "--target-scaling", "minmax"]);
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(!bad.status.success() && err.trim_end().lines().count() == 1, "{err}");
    assert!(err.contains("--target-scaling: unknown target scaling 'minmax' (expected none or standardize)"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Where the truth is not linear (the curved tables: an interaction and a square, as BMI × s5 in
/// the real data, carrying 2/7.7 of the target's variance), a network can do better than least
/// squares, and the defaults must: averaged over the tables of seeds 1–8 (one 80-row test split
/// is too noisy to decide alone: over seeds 1–40 the page's defaults were ahead by +0.09 on
/// average, behind on 2 splits), both the CLI's and the page's defaults reach at least least
/// squares' test R².
#[test]
fn default_training_beats_least_squares_where_the_truth_is_curved() {
    let dir = scratch("curved");
    let path = dir.join("curved.csv").to_str().unwrap().to_string();
    let (mut ls, mut cli, mut page) = (0.0, 0.0, 0.0);
    let seeds = 1..=8u64;
    for seed in seeds.clone() {
        let csv = diabetes_like_csv(400, seed, 1.0);
        std::fs::write(&path, &csv).unwrap();
        let table = parse_csv(csv.as_bytes(), "curved.csv", CsvOptions::default()).unwrap();
        let (train, test, _) = table.into_split(0.2, 1).unwrap();
        ls += least_squares_r2(&train, &test);
        cli += final_r2(&ok(&webgrad(&["train", "--dataset", &path, "--quiet"])));
        page += final_r2(&ok(&webgrad(&["train", "--dataset", &path, "--quiet", "--batch", "32"])));
    }
    let n = seeds.count() as f64;
    let (ls, cli, page) = (ls / n, cli / n, page / n);
    eprintln!(
        "mean test R² over {n} curved tables: webgrad defaults {cli:.4}, the page's {page:.4}, least squares {ls:.4}"
    );
    assert!(cli >= ls, "webgrad's default mean R² {cli} is below least squares' {ls}");
    assert!(page >= ls, "the page's default mean R² {page} is below least squares' {ls}");
    std::fs::remove_dir_all(&dir).unwrap();
}
