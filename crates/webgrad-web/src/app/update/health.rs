//! The health monitors' messages: a window's reading (the sparklines and the alerts that began
//! with it) and a divergence that took training back to the weights from before it.

use super::*;
use crate::app::state::{ALERTS_KEPT, ShownAlert};
use webgrad_nn::monitor::{AlertKind, Cleared};

/// `FromWorker::Health`: the reading joins the sparklines, new alerts go on top of the list and
/// are announced, and the lines of conditions that cleared say so.
pub(super) fn reading(
    app: &mut App,
    reading: webgrad_nn::Reading,
    alerts: Vec<webgrad_nn::Alert>,
    cleared: &[Cleared],
    out: &mut Vec<Effect>,
) {
    if app.health.is_empty() {
        out.push(hidden("health-figure", false));
    }
    Rc::make_mut(&mut app.health).push(reading);
    app.health_version = app.health_version.wrapping_add(1);
    let mut over = false;
    for c in cleared {
        if let Some(line) = app.alerts.iter_mut().find(|a| a.key == Some((c.kind, c.layer))) {
            line.over_after = Some(c.last_step);
            over = true;
        }
    }
    if !alerts.is_empty() {
        let said: Vec<&str> = alerts.iter().map(|a| a.message.as_str()).collect();
        out.push(text("announcer", said.join(" ")));
        add_alerts(app, alerts.into_iter().map(|a| (Some((a.kind, a.layer)), a.message)).collect(), out);
    } else if over {
        show_alerts(app, out);
    }
    out.push(Effect::Render);
}

/// `FromWorker::RolledBack`: the curves go back to `step` with the model, and the message says
/// where the loss broke and what to do.
pub(super) fn rolled_back(app: &mut App, step: u64, epoch: u64, message: String, out: &mut Vec<Effect>) {
    (app.step, app.epoch) = (step, epoch);
    app.losses.truncate_after(step);
    app.test_losses.retain(|p| p.0 <= step);
    app.scores.retain(|s| s.0 <= epoch);
    Rc::make_mut(&mut app.health).truncate_after(step);
    app.health_version = app.health_version.wrapping_add(1);
    let said = format!("Training stopped: the loss became NaN or infinite. At {message}.");
    out.push(text("error", said.clone()));
    out.push(text("announcer", said.clone()));
    add_alerts(app, vec![(None, said)], out);
    out.push(Effect::Render);
}

/// Puts each alert on top of the list; one whose condition (kind and layer, or a rollback) is
/// listed already takes that line's place and counts one more onset. The list holds a line per
/// condition (so it stays short: six kinds per layer), and the page shows the newest
/// `ALERTS_KEPT`.
fn add_alerts(app: &mut App, alerts: Vec<(Option<(AlertKind, usize)>, String)>, out: &mut Vec<Effect>) {
    for (key, message) in alerts {
        let before = app.alerts.iter().position(|a| a.key == key);
        let times = before.map_or(0, |i| app.alerts.remove(i).times).saturating_add(1);
        app.alerts.insert(0, ShownAlert { key, message, times, over_after: None });
    }
    show_alerts(app, out);
}

/// The newest `ALERTS_KEPT` lines, each with whether its condition is over (drawn muted).
fn show_alerts(app: &App, out: &mut Vec<Effect>) {
    let shown = app.alerts.iter().take(ALERTS_KEPT).map(|a| (a.text(), a.over_after.is_some())).collect();
    out.push(Effect::View(View::Alerts(shown)));
}
