//! Draws a race (`app::race` says what): every lane's training loss (a moving average over
//! about ten steps) overlaid in one chart with a legend, the table of lanes, and the sentence on its fairness. The winner is a text view.

use web_sys::{Element, HtmlCanvasElement};

use super::dom::*;
use super::race::Race;
use crate::loss_history::axis_ends;

/// Okabe–Ito colours, one per lane.
const COLOURS: [&str; 4] = ["#0072b2", "#d55e00", "#009e73", "#cc79a7"];
const PAD: f64 = 36.0;

/// Redraws the race when `version` moved on.
pub fn draw(race: &Race, version: u64) {
    let table = by_id::<Element>("race-table");
    if !moved_on(&table, version) {
        return;
    }
    chart(&by_id::<HtmlCanvasElement>("race-chart"), race);
    scores(&by_id::<HtmlCanvasElement>("race-score-chart"), race);
    legend(race);
    rows(&table, race);
    set_text("race-fairness", &race.fairness());
}

fn chart(canvas: &HtmlCanvasElement, race: &Race) {
    let c = ctx2d(canvas);
    let (w, h) = (f64::from(canvas.width()), f64::from(canvas.height()));
    c.clear_rect(0.0, 0.0, w, h);
    c.set_stroke_style_str("#d0d4da");
    c.stroke_rect(PAD, 8.0, w - PAD - 8.0, h - PAD - 8.0);
    let lines: Vec<Vec<(u64, f32)>> = race.lanes.iter().map(|l| l.smoothed(0.9, 600)).collect();
    let all = lines.iter().flatten().filter(|p| p.1.is_finite());
    let (steps, lo, hi) =
        all.fold((1u64, f32::MAX, f32::MIN), |(s, lo, hi), &(step, v)| (s.max(step), lo.min(v), hi.max(v)));
    if lo > hi {
        return;
    }
    let (lo, hi) = axis_ends(f64::from(lo), f64::from(hi), false);
    let x = |s: u64| PAD + (w - PAD - 8.0) * s as f64 / steps as f64;
    let y = |v: f32| 8.0 + (h - PAD - 16.0) * (1.0 - (f64::from(v) - lo) / (hi - lo));
    c.set_fill_style_str("#5f6368");
    c.set_font("11px system-ui");
    let _ = c.fill_text(&format!("{hi:.3}"), 2.0, 16.0);
    let _ = c.fill_text(&format!("{lo:.3}"), 2.0, h - PAD);
    let _ = c.fill_text(&format!("step {steps}"), w - 70.0, h - 10.0);
    for (i, line) in lines.iter().enumerate() {
        c.set_stroke_style_str(COLOURS[i % COLOURS.len()]);
        c.set_line_width(2.0);
        c.begin_path();
        for (j, &(s, v)) in line.iter().enumerate() {
            if j == 0 { c.move_to(x(s), y(v)) } else { c.line_to(x(s), y(v)) }
        }
        c.stroke();
    }
}

/// Each lane's test score after every epoch, in its colour, on a 0–100 % axis (R²: 0 to 1).
fn scores(canvas: &HtmlCanvasElement, race: &Race) {
    let c = ctx2d(canvas);
    let (w, h) = (f64::from(canvas.width()), f64::from(canvas.height()));
    c.clear_rect(0.0, 0.0, w, h);
    c.set_stroke_style_str("#d0d4da");
    c.stroke_rect(PAD, 8.0, w - PAD - 8.0, h - PAD - 8.0);
    let epochs = race.lanes.iter().filter_map(|l| l.epochs.last().map(|e| e.0)).max().unwrap_or(0).max(1);
    let x = |e: u64| PAD + (w - PAD - 8.0) * e as f64 / epochs as f64;
    let y = |s: f64| 8.0 + (h - PAD - 16.0) * (1.0 - s.clamp(0.0, 1.0));
    c.set_fill_style_str("#5f6368");
    c.set_font("11px system-ui");
    let (top, bottom) = super::loss_chart::score_axis(race.regression);
    let _ = c.fill_text(top, 2.0, 16.0);
    let _ = c.fill_text(bottom, 2.0, h - PAD);
    let _ = c.fill_text(&format!("epoch {epochs}"), w - 70.0, h - 10.0);
    for (i, l) in race.lanes.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        c.set_stroke_style_str(colour);
        c.set_fill_style_str(colour);
        c.set_line_width(2.0);
        c.begin_path();
        for (j, &(e, _, s)) in l.epochs.iter().enumerate() {
            if j == 0 { c.move_to(x(e), y(s)) } else { c.line_to(x(e), y(s)) }
        }
        c.stroke();
    }
}

fn legend(race: &Race) {
    let list = by_id::<Element>("race-legend");
    clear(&list);
    let doc = document();
    for (i, l) in race.lanes.iter().enumerate() {
        let (Ok(li), Ok(swatch), Ok(name)) =
            (doc.create_element("li"), doc.create_element("span"), doc.create_element("span"))
        else {
            return;
        };
        swatch.set_class_name(&format!("swatch lane-{}", i % COLOURS.len()));
        let _ = swatch.set_attribute("aria-hidden", "true");
        name.set_text_content(Some(&l.label));
        let _ = li.append_child(&swatch);
        let _ = li.append_child(&name);
        let _ = list.append_child(&li);
    }
}

fn rows(table: &Element, race: &Race) {
    clear(table);
    let doc = document();
    let add = |parent: &Element, tag: &str, text: &str| {
        if let Ok(e) = doc.create_element(tag) {
            e.set_text_content(Some(text));
            if tag == "th" {
                let _ = e.set_attribute("scope", "row");
            }
            let _ = parent.append_child(&e);
        }
    };
    let Ok(head) = doc.create_element("tr") else { return };
    for title in ["lane", "progress", "test loss", "test score", "samples/s, device", "initial weights", "training time"] {
        if let Ok(th) = doc.create_element("th") {
            th.set_text_content(Some(title));
            let _ = th.set_attribute("scope", "col");
            let _ = head.append_child(&th);
        }
    }
    let _ = table.append_child(&head);
    for r in race.rows() {
        let Ok(tr) = doc.create_element("tr") else { return };
        add(&tr, "th", &r[0]);
        for cell in &r[1..] {
            add(&tr, "td", cell);
        }
        let _ = table.append_child(&tr);
    }
}
