//! Requests of the page's tools on the current model: inspect the next step, check the
//! gradients; and the embed snippet of the current experiment.

use super::*;

/// "Inspect step": the unit (layer, unit), 0-based, or what was wrong with the inputs.
pub(super) fn inspect(request: Result<(usize, usize), String>, out: &mut Vec<Effect>) {
    match request {
        Ok((layer, unit)) => {
            out.push(text("inspect-summary", "Inspecting the next step…"));
            out.push(Effect::Send(ToWorker::InspectStep { layer, unit }));
        }
        Err(e) => out.push(text("error", e)),
    }
}

/// "Check gradients" or the ε slider.
pub(super) fn grad_check(eps: f32, out: &mut Vec<Effect>) {
    out.push(text("gradcheck-eps-value", format!("{eps:.1e}")));
    out.push(text("gradcheck-summary", format!("Checking the gradients with ε = {eps:.1e}…")));
    out.push(Effect::Send(ToWorker::GradCheck { eps }));
}

/// "Embed": the snippet for the experiment the controls describe (or what is wrong with them).
pub(super) fn embed(app: &App, page_url: &str, show: [bool; 5], out: &mut Vec<Effect>) {
    match &app.form {
        Ok(e) if matches!(e.data, DataChoice::File { .. }) => {
            out.push(text("error", "an embed cannot carry your own file: choose a built-in dataset or a URL for it"))
        }
        Ok(e) => {
            let code = crate::app::embed::snippet(page_url, &e.to_query(), &app.chart, show);
            out.push(Effect::View(View::EmbedCode(code)));
        }
        Err(why) => out.push(text(
            "error",
            format!("fix the settings first ({why}): the embed shows the experiment they describe"),
        )),
    }
}
