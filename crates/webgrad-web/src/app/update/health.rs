//! The health monitors' messages: a window's reading (the sparklines and the alerts that began
//! with it) and a divergence that took training back to the weights from before it.

use super::*;
use crate::app::state::ALERTS_KEPT;

/// `FromWorker::Health`: the reading joins the sparklines, new alerts go on top of the list and
/// are announced.
pub(super) fn reading(app: &mut App, reading: webgrad_nn::Reading, alerts: Vec<String>, out: &mut Vec<Effect>) {
    if app.health.is_empty() {
        out.push(hidden("health-figure", false));
    }
    Rc::make_mut(&mut app.health).push(reading);
    app.health_version = app.health_version.wrapping_add(1);
    if !alerts.is_empty() {
        out.push(text("announcer", alerts.join(" ")));
        add_alerts(app, alerts, out);
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
    add_alerts(app, vec![said], out);
    out.push(Effect::Render);
}

fn add_alerts(app: &mut App, alerts: Vec<String>, out: &mut Vec<Effect>) {
    for a in alerts {
        app.alerts.insert(0, a);
    }
    app.alerts.truncate(ALERTS_KEPT);
    out.push(Effect::View(View::Alerts(app.alerts.clone())));
}
