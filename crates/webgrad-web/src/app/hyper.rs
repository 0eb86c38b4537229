//! The optimizer's own settings (momentum, betas, ε, …): one number field per setting of the
//! chosen optimizer, built from `OptimizerConfig::hyperparameters`, with PyTorch's default as
//! the placeholder. An empty field keeps the default; only changed settings enter the
//! experiment (and the link).

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlInputElement};
use webgrad_nn::OptimizerName;

use super::dom::*;

/// What a person reads for each PyTorch argument name.
fn label(name: &str) -> &'static str {
    match name {
        "momentum" => "Momentum",
        "dampening" => "Dampening",
        "beta1" => "β1 (gradient average decay)",
        "beta2" => "β2 (squared-gradient average decay)",
        "eps" => "ε (added to the denominator)",
        "alpha" => "α (squared-gradient average decay)",
        "lr_decay" => "Learning-rate decay",
        _ => "Setting",
    }
}

fn field_id(name: &str) -> String {
    format!("hp-{name}")
}

/// Rebuilds the fields for `optimizer`, filled with `overrides` (name, value).
pub fn show(optimizer: OptimizerName, overrides: &[(String, f64)]) {
    let box_ = by_id::<Element>("hyper-fields");
    clear(&box_);
    let config = optimizer.config();
    let doc = document();
    for (name, default) in config.hyperparameters() {
        let (Ok(l), Ok(input)) = (doc.create_element("label"), doc.create_element("input")) else { return };
        let id = field_id(name);
        let _ = l.set_attribute("for", &id);
        l.set_text_content(Some(label(name)));
        for (k, v) in [("id", id.as_str()), ("type", "number"), ("step", "any"), ("min", "0"), ("data-name", name)] {
            let _ = input.set_attribute(k, v);
        }
        let _ = input.set_attribute("placeholder", &format!("{default} (default)"));
        if let (Some(i), Some((_, v))) =
            (input.dyn_ref::<HtmlInputElement>(), overrides.iter().find(|(n, _)| n == name))
        {
            i.set_value(&v.to_string());
        }
        let _ = box_.append_child(&l);
        let _ = box_.append_child(&input);
    }
}

/// The settings changed from their defaults, checked against the optimizer (the error names
/// the field and what is wrong).
pub fn read(optimizer: OptimizerName) -> Result<Vec<(String, f64)>, String> {
    let mut config = optimizer.config();
    let mut out = Vec::new();
    for (name, _) in config.hyperparameters() {
        let text = input_value(&field_id(name));
        if text.trim().is_empty() {
            continue;
        }
        let value: f64 = text.trim().parse().map_err(|_| format!("{} '{text}' is not a number", label(name)))?;
        config.set_hyperparameter(name, value).map_err(|e| format!("{}: {e}", label(name)))?;
        out.push((name.to_string(), value));
    }
    config.validate()?;
    Ok(out)
}
