//! Text tables for evaluation results.

use webgrad_data::Standardizer;
use webgrad_nn::{Evaluation, Report};

/// What `webgrad train` says before its epoch table when the regression targets are
/// standardised: the statistics, and which numbers are in which units.
pub fn target_scaling_line(s: &Standardizer) -> String {
    let stats = match (s.mean.as_slice(), s.std.as_slice()) {
        ([m], [sd]) => format!("mean {m:.4}, std {sd:.4}"),
        _ => format!("{} outputs, each to mean 0, std 1", s.mean.len()),
    };
    format!(
        "regression targets standardised on the training split ({stats}): the losses are on the standardised \
         targets; MSE, MAE and R² are in the targets' units"
    )
}

/// The evaluation's loss and metrics; `target` is the target standardisation the model was
/// trained with (the loss is then on the standardised targets, and says so).
pub fn print_evaluation(ev: &Evaluation, what: &str, target: Option<&Standardizer>) {
    let units = if target.is_some() { " (on standardised targets)" } else { "" };
    println!("\nevaluation on {}: loss {:.4}{units}", terminal_safe(what), ev.loss);
    match &ev.report {
        Report::Regression(r) => println!("MSE {:.5}  MAE {:.5}  R² {:.4}", r.mse, r.mae, r.r2),
        Report::Classification(r) => {
            println!("accuracy {:.2}%\n", 100.0 * r.accuracy);
            // class names come from data and model files: shown, never obeyed by the terminal
            let names: Vec<String> = r.names.iter().map(|n| terminal_safe(n)).collect();
            let width = names.iter().map(|n| n.len()).max().unwrap_or(5).max(12);
            println!("{:>width$}  {:>9}  {:>9}  {:>9}  {:>7}", "class", "precision", "recall", "f1", "support");
            for (name, s) in names.iter().zip(&r.per_class) {
                println!("{name:>width$}  {:>9.4}  {:>9.4}  {:>9.4}  {:>7}", s.precision, s.recall, s.f1, s.support);
            }
            for (label, s) in [("macro avg", &r.macro_avg), ("weighted avg", &r.weighted_avg)] {
                println!("{label:>width$}  {:>9.4}  {:>9.4}  {:>9.4}  {:>7}", s.precision, s.recall, s.f1, s.support);
            }
            if names.len() <= 20 {
                println!("\nconfusion matrix (rows: true class, columns: predicted)");
                let cell = r
                    .confusion
                    .iter()
                    .flatten()
                    .max()
                    .map_or(1, |m| m.to_string().len())
                    .max(names.iter().map(|n| n.len()).max().unwrap_or(1));
                print!("{:>width$} ", "");
                names.iter().for_each(|n| print!(" {n:>cell$}"));
                println!();
                for (name, row) in names.iter().zip(&r.confusion) {
                    print!("{name:>width$} ");
                    row.iter().for_each(|v| print!(" {v:>cell$}"));
                    println!();
                }
            }
        }
    }
}

/// `text` with its control characters (escape sequences, carriage returns, bells) shown as
/// `\u{..}` escapes: text from a file reaches the terminal as text.
pub fn terminal_safe(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { c.escape_unicode().to_string() } else { c.to_string() }).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_are_shown_not_sent() {
        let hostile = "a\u{1b}]0;x\u{7}\u{1b}[2J\rb";
        let shown = super::terminal_safe(hostile);
        assert!(!shown.chars().any(char::is_control), "{shown}");
        assert_eq!(shown, "a\\u{1b}]0;x\\u{7}\\u{1b}[2J\\u{d}b");
        assert_eq!(super::terminal_safe("Ő café 3"), "Ő café 3");
    }
}
