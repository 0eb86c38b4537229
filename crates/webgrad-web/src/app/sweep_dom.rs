//! Draws a sweep (`app::sweep` says what): the table of runs in its sort order, with a button per
//! sortable column and a "Load" button per run, and the scatter of final test loss against the
//! learning rate (both axes log-scaled).

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
    let sortable = [(Some(SortBy::Run), "run"), (Some(SortBy::Lr), "optimizer, lr"), (None, "widths"), (None, "batch"), (None, "status"), (Some(SortBy::TestLoss), "test loss"), (Some(SortBy::Score), "test score"), (None, "")];
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

fn scatter(canvas: &HtmlCanvasElement, s: &Sweep) {
    let c = ctx2d(canvas);
    let (w, h) = (f64::from(canvas.width()), f64::from(canvas.height()));
    c.clear_rect(0.0, 0.0, w, h);
    c.set_stroke_style_str("#d0d4da");
    c.stroke_rect(PAD, 8.0, w - PAD - 8.0, h - PAD - 8.0);
    let points: Vec<(f64, f64)> =
        s.scatter().into_iter().filter(|p| p.0 > 0.0 && p.1 > 0.0).map(|(x, y)| (x.log10(), y.log10())).collect();
    let Some(first) = points.first() else { return };
    let (x0, x1, y0, y1) = points.iter().fold((first.0, first.0, first.1, first.1), |(a, b, c, d), p| {
        (a.min(p.0), b.max(p.0), c.min(p.1), d.max(p.1))
    });
    let (xs, ys) = ((x1 - x0).max(1e-9), (y1 - y0).max(1e-9));
    let px = |x: f64| PAD + 6.0 + (w - PAD - 20.0) * (x - x0) / xs;
    let py = |y: f64| 14.0 + (h - PAD - 26.0) * (1.0 - (y - y0) / ys);
    c.set_fill_style_str("#5f6368");
    c.set_font("11px system-ui");
    let _ = c.fill_text(&format!("{:.3}", 10f64.powf(y1)), 2.0, 16.0);
    let _ = c.fill_text(&format!("{:.3}", 10f64.powf(y0)), 2.0, h - PAD);
    let _ = c.fill_text(&format!("lr {:.0e}", 10f64.powf(x0)), PAD, h - 12.0);
    let _ = c.fill_text(&format!("lr {:.0e}", 10f64.powf(x1)), w - 70.0, h - 12.0);
    c.set_fill_style_str("#0072b2");
    for &(x, y) in &points {
        c.begin_path();
        let _ = c.arc(px(x), py(y), 4.0, 0.0, std::f64::consts::TAU);
        c.fill();
    }
}
