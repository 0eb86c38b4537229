//! "Share → Embed": the `<iframe>` snippet that shows the current experiment inside another
//! page, with the panels the reader chose hidden by the link's `*_hide` keys.

use super::state::{ChartOptions, PANELS};

/// The index of the experiments panel (race and sweep) in [`PANELS`].
const EXPERIMENTS: usize = 4;

/// The iframe's size: the toolbar, the loss and accuracy curves and one column of settings fit.
pub const WIDTH: u32 = 800;
pub const HEIGHT: u32 = 600;

/// The snippet for the playground at `page_url` (its address without the fragment) showing the
/// experiment whose link keys are `experiment_query`, with `chart`'s options; `show[i]` keeps
/// panel `PANELS[i]` (the share panel is never shown in an embed).
pub fn snippet(page_url: &str, experiment_query: &str, chart: &ChartOptions, show: [bool; PANELS.len() - 1]) -> String {
    let mut options = chart.clone();
    for (hide, shown) in options.hide.iter_mut().zip(show.iter().chain([&false])) {
        *hide = !shown;
    }
    // a race or sweep runs its workers in every reader's frame: only where its panel shows
    if options.hide[EXPERIMENTS] {
        (options.race, options.sweep) = (None, None);
    }
    let src = format!("{page_url}#{experiment_query}{}", options.to_query());
    format!(
        "<iframe src=\"{}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" style=\"border: 0\" title=\"webgrad playground\" loading=\"lazy\"></iframe>",
        attribute(&src)
    )
}

/// Text made safe inside a double-quoted HTML attribute.
fn attribute(s: &str) -> String {
    s.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snippet_links_the_experiment_with_the_chosen_panels_hidden() {
        let chart = ChartOptions { log_scale: true, ..ChartOptions::default() };
        let s =
            snippet("https://example.org/webgrad/", "data=spiral&hidden=8", &chart, [true, true, false, true, false]);
        assert_eq!(
            s,
            "<iframe src=\"https://example.org/webgrad/#data=spiral&amp;hidden=8&amp;log=1&amp;training_hide=1\
             &amp;experiments_hide=1&amp;share_hide=1\" width=\"800\" height=\"600\" style=\"border: 0\" \
             title=\"webgrad playground\" loading=\"lazy\"></iframe>"
        );
        // a race in the link goes into the frame only with its panel
        let racing =
            ChartOptions { race: Some(crate::app::race::RacePreset::LearningRates), ..ChartOptions::default() };
        let shown = snippet("https://x/", "data=xor", &racing, [true; 5]);
        assert!(shown.contains("race=lr"), "{shown}");
        let hidden = snippet("https://x/", "data=xor", &racing, [true, true, true, true, false]);
        assert!(!hidden.contains("race="), "{hidden}");
        assert_eq!(PANELS[EXPERIMENTS], "experiments");
        // a quote or angle bracket from a file name cannot leave the attribute
        let hostile = snippet("https://x/", "data=file&name=\"><script>", &ChartOptions::default(), [true; 5]);
        assert!(hostile.contains("name=&quot;&gt;&lt;script&gt;"), "{hostile}");
        assert!(!hostile.contains("<script"));
    }
}
