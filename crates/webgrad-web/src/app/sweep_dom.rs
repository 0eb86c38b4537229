//! Draws a sweep (`app::sweep` says what): the table of runs in its sort order, with a button per
//! sortable column and a "Load" button per run, and the scatter of final test loss against each
//! hyper-parameter the sweep varies.

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlCanvasElement};

use super::dom::*;
use super::sweep::{SortBy, Sweep};

const PAD: f64 = 40.0;

pub fn draw(s: &Sweep, version: u64) {
    let table = by_id::<Element>("sweep-table");
    if !moved_on(&table, version) {
        return;
    }
    rows(&table, s);
    scatter(&by_id::<HtmlCanvasElement>("sweep-scatter"), s);
}

fn rows(table: &Element, s: &Sweep) {
    clear(table);
    let doc = document();
    let Ok(head) = doc.create_element("tr") else { return };
    let sortable = [(Some(SortBy::Run), "run"), (Some(SortBy::Lr), "optimizer, lr"), (None, "widths"), (None, "batch"), (None, "status"), (Some(SortBy::TestLoss), "test loss"), (Some(SortBy::Score), if s.regression { "test R²" } else { "test accuracy" }), (None, "")];
    for (key, title) in sortable {
        let Ok(th) = doc.create_element("th") else { return };
        let _ = th.set_attribute("scope", "col");
        match key {
            Some(k) => {
                if let Ok(b) = doc.create_element("button") {
                    let _ = b.set_attribute("type", "button");
                    b.set_class_name("sort");
                    let _ = b.set_attribute("data-sort", sort_name(k));
                    let _ = b.set_attribute("aria-pressed", if s.sort == k { "true" } else { "false" });
                    b.set_text_content(Some(title));
                    let _ = th.append_child(&b);
                }
            }
            None => th.set_text_content(Some(title)),
        }
        let _ = head.append_child(&th);
    }
    let _ = table.append_child(&head);
    for i in s.order() {
        let Ok(tr) = doc.create_element("tr") else { return };
        for (c, cell) in s.row(i).iter().enumerate() {
            if let Ok(td) = doc.create_element(if c == 0 { "th" } else { "td" }) {
                if c == 0 {
                    let _ = td.set_attribute("scope", "row");
                }
                td.set_text_content(Some(cell));
                let _ = tr.append_child(&td);
            }
        }
        if let (Ok(td), Ok(b)) = (doc.create_element("td"), doc.create_element("button")) {
            let _ = b.set_attribute("type", "button");
            b.set_class_name("load-run");
            let _ = b.set_attribute("data-run", &i.to_string());
            let _ = b.set_attribute("aria-label", &format!("Load run {} into the playground", i + 1));
            b.set_text_content(Some("Load"));
            let _ = td.append_child(&b);
            let _ = tr.append_child(&td);
        }
        let _ = table.append_child(&tr);
    }
}

pub fn sort_name(k: SortBy) -> &'static str {
    match k {
        SortBy::Run => "run",
        SortBy::Lr => "lr",
        SortBy::TestLoss => "loss",
        SortBy::Score => "score",
    }
}

/// The sort a table header button asks for, or the run a "Load" button loads.
pub fn clicked(event: &web_sys::Event) -> Option<Result<SortBy, usize>> {
    let target = event.target()?.dyn_into::<Element>().ok()?;
    let button = target.closest("button").ok()??;
    if let Some(run) = button.get_attribute("data-run") {
        return run.parse().ok().map(Err);
    }
    Some(Ok(match button.get_attribute("data-sort")?.as_str() {
        "lr" => SortBy::Lr,
        "loss" => SortBy::TestLoss,
        "score" => SortBy::Score,
        _ => SortBy::Run,
    }))
}

/// The panels side by side (two rows of two when there are four), one log-scaled loss axis
/// shared by all so that heights compare across panels; a column per value of the panel's
/// hyper-parameter, its runs' dots spread across the column.
fn scatter(canvas: &HtmlCanvasElement, s: &Sweep) {
    let panels = s.scatter_panels();
    let names: Vec<&str> = panels.iter().map(|p| p.axis.title()).collect();
    let _ = canvas.set_attribute(
        "aria-label",
        &format!("Final test loss against {}, each dot a finished run", names.join(", ")),
    );
    let (cols, rows) = if panels.len() > 3 { (2, panels.len().div_ceil(2)) } else { (panels.len(), 1) };
    let height = 200 * rows as u32 + 20;
    if canvas.height() != height {
        canvas.set_height(height);
    }
    let c = ctx2d(canvas);
    let (w, h) = (f64::from(canvas.width()), f64::from(canvas.height()));
    c.clear_rect(0.0, 0.0, w, h);
    let losses = panels[0].points.iter().map(|p| p.1).filter(|&l| l > 0.0).map(f64::log10);
    let (y0, y1) = losses.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| (a.min(y), b.max(y)));
    let (cell_w, cell_h) = ((w - PAD) / cols as f64, h / rows as f64);
    c.set_font("11px system-ui");
    if y0.is_finite() {
        c.set_fill_style_str("#5f6368");
        for r in 0..rows {
            let top = r as f64 * cell_h;
            let _ = c.fill_text(&format!("{:.3}", 10f64.powf(y1)), 2.0, top + 16.0);
            let _ = c.fill_text(&format!("{:.3}", 10f64.powf(y0)), 2.0, top + cell_h - 30.0);
        }
    }
    let ys = (y1 - y0).max(1e-9);
    for (k, panel) in panels.iter().enumerate() {
        let (left, top) = (PAD + (k % cols) as f64 * cell_w, (k / cols) as f64 * cell_h);
        let (pw, ph) = (cell_w - 10.0, cell_h - 36.0);
        c.set_stroke_style_str("#d0d4da");
        c.stroke_rect(left, top + 8.0, pw, ph);
        let column = pw / panel.values.len() as f64;
        c.set_fill_style_str("#5f6368");
        // every value's label where the columns are wide enough (6 px a character), else every
        // k-th, so that labels never overlap
        let widest = panel.values.iter().map(|v| v.chars().count().min(9)).max().unwrap_or(1) as f64 * 6.0 + 4.0;
        let every = (widest / column).ceil().max(1.0) as usize;
        for (i, v) in panel.values.iter().enumerate().filter(|(i, _)| i % every == 0) {
            let label: String = v.chars().take(9).collect();
            let x = left + column * (i as f64 + 0.5) - 3.0 * label.chars().count() as f64;
            let _ = c.fill_text(&label, x, top + ph + 20.0);
        }
        let _ = c.fill_text(panel.axis.title(), left + pw / 2.0 - 30.0, top + ph + 32.0);
        if !y0.is_finite() {
            continue;
        }
        c.set_fill_style_str("#0072b2");
        let mut seen = vec![0usize; panel.values.len()];
        let per_column = |i: usize| panel.points.iter().filter(|p| p.0 == i && p.1 > 0.0).count();
        for &(i, loss) in &panel.points {
            if loss <= 0.0 {
                continue;
            }
            // the column's dots spread over its middle half, in run order
            let spread = column * 0.5 / per_column(i).max(1) as f64;
            let x = left + column * (i as f64 + 0.25) + spread * (seen[i] as f64 + 0.5);
            seen[i] += 1;
            let y = top + 14.0 + (ph - 12.0) * (1.0 - (loss.log10() - y0) / ys);
            c.begin_path();
            let _ = c.arc(x, y, 4.0, 0.0, std::f64::consts::TAU);
            c.fill();
        }
    }
}
