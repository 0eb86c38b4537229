//! The model's cost lines (`app::cost`) as views, and the FLOP rate a run measures.

use super::*;
use crate::app::cost::{FlopRate, cost, flops_per_sample, model_config};

/// What the form's model costs on the loaded data and the current device (`cost`): its size,
/// its FLOPs and time per epoch, and why it does not fit, if it does not.
pub(super) fn model_size(app: &App, applied: bool, out: &mut Vec<Effect>) {
    if let (Some(summary), Ok(e)) = (&app.summary, &app.form) {
        let c = cost(summary, e, applied, app.device.as_ref(), app.flop_rate.as_ref());
        out.push(text("param-count", c.size));
        out.push(text("step-cost", c.step));
        out.push(hidden("cost-fit", c.fits.is_ok()));
        if let Err(why) = c.fits {
            out.push(text("cost-fit", format!("Does not fit: {why}. Make the layers or the batch smaller.")));
        }
    }
}

/// The FLOP rate of the running model (its step FLOPs × the samples/s measured), kept for the
/// device it ran on.
pub(super) fn measure_flop_rate(app: &mut App, samples_per_sec: f64) {
    if let (Some(summary), Some(e), Some(d)) = (&app.summary, &app.experiment, &app.device) {
        let flops_per_sec = flops_per_sample(&model_config(summary, e)) * samples_per_sec;
        app.flop_rate = Some(FlopRate { backend: d.backend.clone(), flops_per_sec });
    }
}
