//! The network diagram's links: hovering one says its weight, clicking one opens the weight
//! editor, and a submitted value goes to the worker (it applies from the next step, also while
//! paused). Where the links are is `diagram_units::Geometry`.

use super::*;
use crate::diagram_units::Geometry;

/// How close (canvas pixels) the pointer must be to a link's line to point at it.
const REACH: f64 = 5.0;

pub(super) const HINT: &str = "Hover a link to see its weight; click it to change it.";

/// The pointer at `point` on the diagram canvas of `size` pixels: says the weight under it and,
/// on a click, opens the editor for it.
pub(super) fn pointer(app: &mut App, point: (f64, f64), size: (f64, f64), click: bool, out: &mut Vec<Effect>) {
    let Some(d) = &app.diagram else { return };
    let geometry = Geometry { width: size.0, height: size.1, shown: d.units.iter().map(Vec::len).collect() };
    let Some((l, o, i)) = geometry.link_at(point.0, point.1, REACH) else {
        out.push(text("diagram-tip", HINT));
        return;
    };
    let (from, to) = (d.units[l][i], d.units[l + 1][o]);
    let Some(&weight) = d.layers[l].get(o * d.units[l].len() + i) else { return };
    let name = link_name(d, l, to, from);
    if click {
        app.weight_link = Some((l, to, from));
        out.push(text("weight-label", format!("Weight {name}")));
        out.push(Effect::View(View::Value("weight-value", format!("{weight}"))));
        out.push(hidden("weight-edit", false));
        out.push(text("diagram-tip", format!("{name}: weight {weight:.4}. Type a new value and press Set.")));
    } else {
        out.push(text("diagram-tip", format!("{name}: weight {weight:.4}. Click to change it.")));
    }
}

/// "from input 2 to layer 1 unit 5" (1-based, as the pictures name units).
fn link_name(d: &Diagram, l: usize, to: usize, from: usize) -> String {
    let source = if l == 0 { format!("input {}", from + 1) } else { format!("layer {l} unit {}", from + 1) };
    let target =
        if l + 2 == d.sizes.len() { format!("output {}", to + 1) } else { format!("layer {} unit {}", l + 1, to + 1) };
    format!("from {source} to {target}")
}

/// The editor's value submitted: sent to the worker for the chosen link.
pub(super) fn set(app: &mut App, value: Result<f32, String>, out: &mut Vec<Effect>) {
    let Some((layer, to, from)) = app.weight_link else { return };
    match value {
        Ok(value) if value.is_finite() => {
            out.push(Effect::Send(ToWorker::SetWeight { layer, to, from, value }));
            out.push(text("diagram-tip", format!("Weight set to {value}; it applies from the next step.")));
            out.push(text("error", ""));
        }
        Ok(value) => out.push(text("error", format!("the weight must be a finite number, not {value}"))),
        Err(e) => out.push(text("error", e)),
    }
}
