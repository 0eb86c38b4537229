//! The table of `cargo xtask bench`: one line per workload and place, the frameworks side by
//! side, then the ratios webgrad / peer (for times, unit "s", peer / webgrad: above 1 webgrad is
//! faster either way), the load range and notes.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

const FRAMEWORKS: [(&str, &str); 4] =
    [("webgrad", "webgrad"), ("tfjs", "TF.js"), ("jax-js", "jax-js"), ("pytorch", "PyTorch")];
const WORKLOAD_ORDER: [&str; 8] = [
    "mnist_mlp_b64",
    "mnist_mlp_b256",
    "mnist_mlp_b64, 1st epoch",
    "mnist_time_to_95pct",
    "playground_2-8-8-2_b10",
    "matmul_1024x1024x1024",
    "matmul_64x784x128",
    "wasm_heap_10_epochs_b64",
];
const PLACE_ORDER: [&str; 12] = [
    "native",
    "native-threads",
    "native-wgpu",
    "wasm",
    "wasm-threads",
    "wasm-relaxed",
    "wasm-no-liftoff",
    "wasm-relaxed-no-liftoff",
    "webgpu",
    "webgpu-no-liftoff",
    "page",
    "page-threads",
];

fn rank(list: &[&str], x: &str) -> usize {
    list.iter().position(|y| *y == x).unwrap_or(list.len())
}

fn str_of<'a>(row: &'a Map<String, Value>, key: &str) -> &'a str {
    row.get(key).and_then(Value::as_str).unwrap_or("")
}

/// 1-minute load averages of a row: [before, after] (after only for the native example's rows).
fn loads(row: &Map<String, Value>) -> Vec<f64> {
    let first = |v: &Value| v.as_array().and_then(|a| a.first()).and_then(Value::as_f64);
    match row.get("load") {
        Some(Value::Object(o)) => ["before", "after"].iter().filter_map(|k| o.get(*k).and_then(first)).collect(),
        Some(v) => first(v).into_iter().collect(),
        None => Vec::new(),
    }
}

/// 12,345 / 123.4 / 1.23: three significant digits at least, thousands separated.
fn number(x: f64) -> String {
    if x >= 1000.0 {
        let s = format!("{x:.0}");
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// Three significant digits: 0.00612, 0.352, 12.3, 308.
fn significant(x: f64) -> String {
    let digits = if x > 0.0 { (2 - x.log10().floor() as i32).clamp(0, 6) } else { 2 };
    format!("{x:.*}", digits as usize)
}

#[derive(Default)]
struct Line {
    unit: String,
    cells: BTreeMap<String, Cell>,
    /// each framework's 1-minute loads while its cell was measured
    loads: BTreeMap<String, Vec<f64>>,
}

#[derive(Clone)]
enum Cell {
    /// `loss`: the run's last training loss (MNIST rows); `off`: it differs from webgrad's
    Value {
        value: f64,
        ms: Option<f64>,
        loss: Option<f64>,
        off: bool,
    },
    Note(String),
}

impl Cell {
    fn show(&self) -> String {
        let (text, off) = match self {
            Cell::Value { value, ms: Some(ms), off, .. } => {
                (format!("{} ({} ms)", number(*value), significant(*ms)), *off)
            }
            Cell::Value { value, ms: None, off, .. } => (number(*value), *off),
            Cell::Note(s) => (s.clone(), false),
        };
        if off { format!("{text} †") } else { text }
    }

    fn loss(&self) -> Option<f64> {
        match self {
            Cell::Value { loss, .. } => *loss,
            Cell::Note(_) => None,
        }
    }
}

/// A row's last training loss: NaN where the row has one but it is null (a diverged run: JSON
/// has no NaN, so the benches write null), `None` where it has none.
fn last_loss(row: &Map<String, Value>) -> Option<f64> {
    row.get("last_loss").map(|v| v.as_f64().unwrap_or(f64::NAN))
}

/// How far a peer's last loss may be from webgrad's (relative) before the table flags it: every
/// framework trains the same model from the same initial weights on the same batches.
const LOSS_AGREEMENT: f64 = 1e-3;

/// Whether the frameworks on a line train the same steps, so their last losses must agree: the
/// MNIST throughput rows, but not on WebGPU, where the peers' epochs are shortened (and the
/// playground rows run for a time, not a number of steps).
fn same_steps(workload: &str, place: &str) -> bool {
    workload.starts_with("mnist_mlp_b") && !place.starts_with("webgpu")
}

/// Marks (†) every cell whose last loss differs from webgrad's on the same line by more than
/// `LOSS_AGREEMENT` relative, or is not finite (webgrad's own too), and returns a note for each
/// with both losses; cells copied onto the relaxed line are marked but not noted again. Only
/// lines whose frameworks train the same steps (`same_steps`) compare the peers'.
fn flag_losses(lines: &mut BTreeMap<Key, Line>) -> Vec<String> {
    let mut notes = Vec::new();
    for ((_, workload, _, place), line) in lines.iter_mut() {
        let Some(ours) = line.cells.get("webgrad").and_then(Cell::loss) else { continue };
        let compare = same_steps(workload, place);
        for (framework, cell) in line.cells.iter_mut() {
            let Cell::Value { loss: Some(theirs), off, .. } = cell else { continue };
            let agree = if framework == "webgrad" {
                theirs.is_finite()
            } else {
                !compare || (*theirs - ours).abs() <= LOSS_AGREEMENT * theirs.abs().max(ours.abs())
            };
            if agree {
                continue;
            }
            *off = true;
            let copied = framework != "webgrad" && place.contains("-relaxed");
            if !copied {
                let name = FRAMEWORKS.iter().find(|(f, _)| f == framework).map_or(framework.as_str(), |(_, n)| n);
                notes.push(if framework == "webgrad" {
                    format!("† webgrad {place} {workload}: last loss {theirs}, the run diverged")
                } else {
                    let apart = 100.0 * (*theirs - ours).abs() / ours.abs();
                    format!(
                        "† {name} {place} {workload}: last loss {theirs:.6}, webgrad's {ours:.6} ({apart:.2} % apart)"
                    )
                });
            }
        }
    }
    notes
}

/// A table line's sort key: (workload rank, workload, place rank, place).
type Key = (usize, String, usize, String);

/// One line per workload and place, the frameworks side by side, then webgrad / peer.
pub fn table(rows: &[Map<String, Value>]) -> String {
    let (mut lines, mut notes) = lines_of(rows);
    add_relaxed_peers(&mut lines);
    notes.extend(flag_losses(&mut lines));
    render(&lines, &notes)
}

/// The rows sorted into lines, and a note for each row without a value.
fn lines_of(rows: &[Map<String, Value>]) -> (BTreeMap<Key, Line>, Vec<String>) {
    let mut lines: BTreeMap<Key, Line> = BTreeMap::new();
    let mut notes = Vec::new();
    for row in rows {
        let framework = str_of(row, "framework").to_string();
        let place = str_of(row, "place").to_string();
        let mut workload = str_of(row, "workload").to_string();
        let mut cell = match (row.get("value").and_then(Value::as_f64), row.get("ms_per_step").and_then(Value::as_f64))
        {
            (Some(value), ms) => Cell::Value { value, ms, loss: last_loss(row), off: false },
            (None, _) => {
                let why = row.get("error").or(row.get("skipped")).and_then(Value::as_str).unwrap_or("no value");
                notes.push(format!("{framework} {place} {workload}: {why}"));
                Cell::Note(if row.contains_key("skipped") { "skipped" } else { "error" }.into())
            }
        };
        // the heap row: memory after epoch 1 → after epoch 10
        if let (Some(a), Some(b)) = (
            row.get("heap_after_epoch_1").and_then(Value::as_f64),
            row.get("heap_after_epoch_10").and_then(Value::as_f64),
        ) {
            cell = Cell::Note(format!("{} → {} B", number(a), number(b)));
        }
        // the warm-up run's first epoch is what a user sees first (cold code); its later epochs
        // are not a result of their own
        if workload == "warmup_mnist_mlp_b64" {
            match row.get("first_epoch_samples_per_s").and_then(Value::as_f64) {
                Some(v) => {
                    workload = "mnist_mlp_b64, 1st epoch".into();
                    cell = Cell::Value { value: v, ms: None, loss: None, off: false };
                }
                None => continue,
            }
        }
        let key = |place: &str| {
            (rank(&WORKLOAD_ORDER, &workload), workload.clone(), rank(&PLACE_ORDER, place), place.to_string())
        };
        let mut k = key(&place);
        if lines.get(&k).is_some_and(|l| l.cells.contains_key(&framework)) {
            // a second row of the same framework, workload and place (another device): its own line
            k = key(&format!("{place} ({})", str_of(row, "device")));
        }
        let line = lines.entry(k).or_default();
        if let Some(u) = row.get("unit").and_then(Value::as_str) {
            line.unit = u.to_string();
        }
        line.loads.entry(framework.clone()).or_default().extend(loads(row));
        line.cells.insert(framework, cell);
    }
    (lines, notes)
}

/// webgrad's relaxed-SIMD build runs at both flags: its peers are the plain wasm rows of the
/// same flags (the same measurements, shown again beside it, with the load they ran at).
fn add_relaxed_peers(lines: &mut BTreeMap<Key, Line>) {
    let peers_of: Vec<_> = lines
        .keys()
        .filter(|k| k.3.contains("-relaxed"))
        .map(|k| {
            (
                k.clone(),
                (k.0, k.1.clone(), rank(&PLACE_ORDER, &k.3.replace("-relaxed", "")), k.3.replace("-relaxed", "")),
            )
        })
        .collect();
    for (relaxed, plain) in peers_of {
        let cells: Vec<(String, Cell, Vec<f64>)> = lines.get(&plain).map_or(Vec::new(), |l| {
            let peers = l.cells.iter().filter(|(f, _)| *f != "webgrad");
            peers.map(|(f, c)| (f.clone(), c.clone(), l.loads.get(f).cloned().unwrap_or_default())).collect()
        });
        if let Some(line) = lines.get_mut(&relaxed) {
            for (f, c, loads) in cells {
                if !line.cells.contains_key(&f) {
                    line.loads.insert(f.clone(), loads);
                    line.cells.insert(f, c);
                }
            }
        }
    }
}

/// The lines as a Markdown table (text columns left-aligned, numbers right), then the notes.
fn render(lines: &BTreeMap<Key, Line>, notes: &[String]) -> String {
    let mut header: Vec<String> = vec!["workload".into(), "place".into(), "unit".into()];
    header.extend(FRAMEWORKS.iter().map(|(_, name)| name.to_string()));
    header.extend(FRAMEWORKS[1..].iter().map(|(_, name)| format!("webgrad/{name}")));
    header.push("load 1-min".into());
    let mut body = Vec::new();
    for ((_, workload, _, place), line) in lines {
        let mut cols = vec![workload.clone(), place.clone(), line.unit.clone()];
        cols.extend(FRAMEWORKS.iter().map(|(f, _)| line.cells.get(*f).map_or("-".into(), Cell::show)));
        let ours = match line.cells.get("webgrad") {
            Some(Cell::Value { value, .. }) => Some(*value),
            _ => None,
        };
        for (f, _) in &FRAMEWORKS[1..] {
            cols.push(match (ours, line.cells.get(*f)) {
                // times (unit "s": lower is better) as the peer's time over webgrad's
                (Some(a), Some(Cell::Value { value: b, .. })) if *b > 0.0 && a > 0.0 => {
                    format!("{:.2}×", if line.unit == "s" { b / a } else { a / b })
                }
                _ => "-".into(),
            });
        }
        let (lo, hi) = line
            .loads
            .values()
            .flatten()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| (lo.min(x), hi.max(x)));
        cols.push(if lo.is_finite() { format!("{lo:.2}–{hi:.2}") } else { "-".into() });
        body.push(cols);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|i| body.iter().chain([&header]).map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let render = |cols: &[String]| {
        let padded: Vec<String> = cols
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| {
                let pad = " ".repeat(w - c.chars().count());
                if i < 3 { format!("{c}{pad}") } else { format!("{pad}{c}") }
            })
            .collect();
        format!("| {} |\n", padded.join(" | "))
    };
    let mut out = render(&header);
    let rule: Vec<String> = widths
        .iter()
        .enumerate()
        .map(|(i, w)| if i < 3 { "-".repeat(*w) } else { format!("{}:", "-".repeat(w - 1)) })
        .collect();
    out += &format!("|{}\n", rule.iter().map(|r| format!(" {r} |")).collect::<String>());
    for cols in &body {
        out += &render(cols);
    }
    for n in notes {
        out += &format!("\nnote: {n}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(framework: &str, place: &str, value: f64, loss: f64, load: f64) -> Map<String, Value> {
        let v = serde_json::json!({"framework": framework, "place": place, "workload": "mnist_mlp_b64",
            "unit": "samples/s", "value": value, "ms_per_step": 64e3 / value, "last_loss": loss, "load": [load]});
        v.as_object().expect("an object").clone()
    }

    /// Lines whose runs take different steps (the playground runs for a time; the peers' WebGPU
    /// epochs are shortened) compare no losses.
    #[test]
    fn only_runs_of_the_same_steps_compare_losses() {
        let row = |framework: &str, workload: &str, place: &str, loss: f64| {
            let v = serde_json::json!({"framework": framework, "place": place, "workload": workload,
                "unit": "steps/s", "value": 100.0, "last_loss": loss, "load": [0.5]});
            v.as_object().unwrap().clone()
        };
        let rows = [
            row("webgrad", "playground_2-8-8-2_b10", "wasm", 0.0016),
            row("tfjs", "playground_2-8-8-2_b10", "wasm", 0.64),
            row("webgrad", "mnist_mlp_b64", "webgpu", 0.0768),
            row("jax-js", "mnist_mlp_b64", "webgpu", 0.5655),
        ];
        let t = table(&rows);
        assert!(!t.contains('†'), "{t}");
    }

    /// A time (lower is better) is compared as the peer's over webgrad's.
    #[test]
    fn a_time_ratio_is_the_peer_over_webgrad() {
        let time = |framework: &str, value: f64| {
            let v = serde_json::json!({"framework": framework, "workload": "mnist_time_to_95pct", "place": "page",
                "unit": "s", "value": value, "load": [0.5]});
            v.as_object().unwrap().clone()
        };
        let t = table(&[time("webgrad", 0.8), time("tfjs", 4.0)]);
        let line = t.lines().find(|l| l.contains("mnist_time_to_95pct")).unwrap();
        assert!(line.contains("5.00×"), "{t}");
    }

    #[test]
    fn a_peer_whose_last_loss_differs_is_flagged_with_both_losses() {
        let rows = [
            row("webgrad", "wasm-no-liftoff", 73_746.0, 0.076783, 0.97),
            row("tfjs", "wasm-no-liftoff", 7_800.0, 0.0738, 2.14),
            row("jax-js", "wasm-no-liftoff", 32_258.0, 0.07679, 1.5),
            row("webgrad", "wasm-relaxed-no-liftoff", 93_262.0, 0.076783, 0.98),
        ];
        let t = table(&rows);
        let line = |place: &str| t.lines().find(|l| l.contains(&format!(" {place} "))).expect(place).to_string();
        // TF.js is 3.9 % off: flagged, on its own line and on the relaxed line it is copied to
        assert!(line("wasm-no-liftoff").contains("7,800 (8.21 ms) †"), "{t}");
        assert!(line("wasm-relaxed-no-liftoff").contains("7,800 (8.21 ms) †"), "{t}");
        // jax-js agrees within 1e-3 relative (9e-5): not flagged
        assert!(line("wasm-no-liftoff").contains("32,258 (1.98 ms) |"), "{t}");
        assert!(
            t.contains("† TF.js wasm-no-liftoff mnist_mlp_b64: last loss 0.073800, webgrad's 0.076783 (3.88 % apart)"),
            "{t}"
        );
        assert_eq!(t.matches("note: †").count(), 1, "{t}");
        // the copied cells bring the load they were measured at
        assert!(line("wasm-relaxed-no-liftoff").ends_with("0.98–2.14 |"), "{t}");
    }

    #[test]
    fn a_diverged_run_is_flagged_and_losses_near_zero_compare_relative_to_the_larger() {
        let mut nan = row("tfjs", "wasm", 7_800.0, 0.0, 2.0);
        nan.insert("last_loss".into(), Value::Null);
        let t = table(&[row("webgrad", "wasm", 73_746.0, 0.0, 1.0), nan, row("jax-js", "wasm", 32_258.0, 1e-9, 1.0)]);
        assert!(t.contains("7,800 (8.21 ms) †") && t.contains("last loss NaN, webgrad's 0.000000"), "{t}");
        assert!(t.contains("32,258 (1.98 ms) †"), "{t}");
        let mut ours = row("webgrad", "wasm", 73_746.0, 0.0, 1.0);
        ours.insert("last_loss".into(), Value::Null);
        let t = table(&[ours, row("jax-js", "wasm", 32_258.0, 0.07, 1.0)]);
        assert!(
            t.contains("73,746 (0.868 ms) †")
                && t.contains("webgrad wasm mnist_mlp_b64: last loss NaN, the run diverged"),
            "{t}"
        );
    }
}
