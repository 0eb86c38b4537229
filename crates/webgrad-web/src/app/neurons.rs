//! The hidden units as pictures (2-D data): each unit's output over the input plane, as
//! TensorFlow Playground draws it. One small canvas per unit, named "layer L unit U" (1-based)
//! and focusable, so it is found by keyboard and screen reader; the unit in focus (hovered or
//! focused) is drawn large with its range in words. The worker computes the maps
//! (`UnitLayer`); this module only blits them.

use wasm_bindgen::{Clamped, JsCast};
use web_sys::{Element, HtmlCanvasElement, ImageData};

use super::dom::*;
use super::heatmap::{layer_scale, range, scale, signed_rgba};
pub use super::state::Pictures;
use crate::protocol::UnitLayer;

/// Draws every unit's map, and unit `focused` = (layer, unit), 0-based, large.
/// `version` names what is drawn: nothing happens when the grid already shows it.
pub fn draw(layers: &[UnitLayer], focused: (usize, usize), pictures: Pictures, version: u64) {
    let grid = by_id::<Element>("neuron-grid");
    if !moved_on(&grid, version) {
        return;
    }
    let shape: Vec<String> = layers.iter().map(|l| format!("{}:{}:{}", l.activation, l.width, l.maps.len())).collect();
    let shape = shape.join(",");
    if grid.get_attribute("data-shape").as_deref() != Some(shape.as_str()) {
        build(&grid, layers, pictures);
        let _ = grid.set_attribute("data-shape", &shape);
    }
    let Ok(canvases) = grid.query_selector_all("canvas.neuron") else { return };
    let mut index = 0;
    for (l, layer) in layers.iter().enumerate() {
        let shared = layer_scale(&layer.maps);
        for (u, map) in layer.maps.iter().enumerate() {
            if let Some(canvas) = canvases.item(index).and_then(|c| c.dyn_into::<HtmlCanvasElement>().ok()) {
                blit(&canvas, &rgba(shared, map, pictures), layer.size);
                let _ = canvas.class_list().toggle_with_force("flat", is_flat(map));
                let _ = canvas.class_list().toggle_with_force("focused", (l, u) == focused);
            }
            index += 1;
        }
    }
    let (l, u) = focused;
    let Some(layer) = layers.get(l) else { return };
    let Some(map) = layer.maps.get(u) else { return };
    let large = by_id::<HtmlCanvasElement>("neuron-large");
    let _ = large.class_list().toggle_with_force("weights", pictures == Pictures::InputWeights);
    blit(&large, &rgba(layer_scale(&layer.maps), map, pictures), layer.size);
    let what = match range(map) {
        _ if pictures == Pictures::InputWeights => match range(map) {
            Some((lo, hi)) => format!("has incoming weights from {lo:.3} to {hi:.3}"),
            None => "has incoming weights that are not numbers (the model diverged)".to_string(),
        },
        Some((lo, hi)) if hi.abs() < 1e-6 && lo.abs() < 1e-6 && layer.activation == "relu" => {
            "outputs 0 everywhere on the plane: a dead ReLU unit (no gradient reaches its weights, so it has stopped learning)".to_string()
        }
        Some((lo, hi)) if hi - lo < 1e-6 => format!("outputs {lo:.3} everywhere on the plane"),
        Some((lo, hi)) => format!("outputs from {lo:.3} to {hi:.3} across the plane"),
        None => "outputs no number anywhere (the model diverged)".to_string(),
    };
    set_text("neuron-caption", &format!("Layer {}, unit {} ({}) {what}.", l + 1, u + 1, layer.activation));
}

/// A unit's picture: outputs on their layer's scale (`layer_scale`, computed once per layer),
/// weight images each on its own.
fn rgba(layer_scale: f32, map: &[f32], pictures: Pictures) -> Vec<u8> {
    let scale = match pictures {
        Pictures::Outputs => layer_scale,
        Pictures::InputWeights => scale(map),
    };
    signed_rgba(map, scale)
}

/// A map that is one value everywhere (a dead or saturated unit): drawn with a dashed border.
fn is_flat(map: &[f32]) -> bool {
    range(map).is_none_or(|(lo, hi)| hi - lo < 1e-6)
}

/// One row per layer: its name, then a canvas per drawn unit.
fn build(grid: &Element, layers: &[UnitLayer], pictures: Pictures) {
    clear(grid);
    let doc = document();
    for (l, layer) in layers.iter().enumerate() {
        let Ok(row) = doc.create_element("div") else { return };
        row.set_class_name("neuron-layer");
        if let Ok(name) = doc.create_element("p") {
            let shown = layer.maps.len();
            let more = if layer.width > shown { format!(", the first {shown} drawn") } else { String::new() };
            let units = if layer.width == 1 { "unit" } else { "units" };
            name.set_text_content(Some(&format!("Layer {} · {} · {} {units}{more}", l + 1, layer.activation, layer.width)));
            let _ = row.append_child(&name);
        }
        let Ok(units) = doc.create_element("div") else { return };
        units.set_class_name("neuron-units");
        for u in 0..layer.maps.len() {
            let Some(canvas) = doc.create_element("canvas").ok().and_then(|c| c.dyn_into::<HtmlCanvasElement>().ok())
            else {
                return;
            };
            canvas.set_width(layer.size as u32);
            canvas.set_height(layer.size as u32);
            canvas.set_class_name(if pictures == Pictures::InputWeights { "neuron weights" } else { "neuron" });
            for (k, v) in [
                ("role", "img".to_string()),
                ("tabindex", "0".to_string()),
                ("aria-label", format!("layer {} unit {}", l + 1, u + 1)),
                ("data-layer", l.to_string()),
                ("data-unit", u.to_string()),
            ] {
                let _ = canvas.set_attribute(k, &v);
            }
            let _ = units.append_child(&canvas);
        }
        let _ = row.append_child(&units);
        let _ = grid.append_child(&row);
    }
}

/// `rgba` (size × size pixels) into the canvas, whose CSS size scales it up smoothly.
fn blit(canvas: &HtmlCanvasElement, rgba: &[u8], size: usize) {
    let side = size as u32;
    if canvas.width() != side {
        canvas.set_width(side);
        canvas.set_height(side);
    }
    if let Ok(img) = ImageData::new_with_u8_clamped_array_and_sh(Clamped(rgba), side, side) {
        let _ = ctx2d(canvas).put_image_data(&img, 0.0, 0.0);
    }
}

/// The unit (layer, unit) an event's target names, if it is a unit's canvas.
pub fn unit_of(event: &web_sys::Event) -> Option<(usize, usize)> {
    let target = event.target()?.dyn_into::<Element>().ok()?;
    let canvas = target.closest("canvas.neuron").ok()??;
    let attr = |name: &str| canvas.get_attribute(name)?.parse::<usize>().ok();
    Some((attr("data-layer")?, attr("data-unit")?))
}
