//! What the worker posts after a slice of training: its losses and speed, the boundary and the
//! diagram, the pictures when they are due and, after an epoch, the evaluation.

use super::*;

impl TrainerState {
    /// Posts what a slice did (its losses, its speed, the boundary and, after an epoch, the
    /// evaluation) and stops running when the last epoch ended.
    pub(super) async fn slice_done(
        &mut self,
        started: f64,
        losses: Vec<(u64, f32)>,
        samples: usize,
        finished_epoch: bool,
        post: &Post,
    ) -> (f64, bool) {
        let (Some(t), Some(data)) = (self.trainer.as_ref(), self.data.as_ref()) else { return (0.0, false) };
        let elapsed = (now_ms() - started).max(1e-3) / 1000.0;
        let boundary = boundary(&t.model, data).await;
        let extent = boundary.as_ref().map(|b| b.extent);
        post(FromWorker::Progress {
            step: t.optimizer.step,
            epoch: t.cursor.epoch,
            losses,
            // a slice too short to time (an epoch end after a few steps) tells no rate
            samples_per_sec: if elapsed >= 0.005 { samples as f64 / elapsed } else { 0.0 },
            train_ms: 1000.0 * elapsed,
            samples: samples as u64,
            boundary,
        });
        if let Some(w) = diagram_weights(&t.model, finished_epoch).await {
            post(w);
        }
        // the pictures are many canvases for the page: sent at most every so often while it
        // runs, and whenever it stops (a Step, the last epoch; Pause sends them too)
        let now = now_ms();
        let stopping = !self.running || t.cursor.epoch >= t.config.epochs as u64;
        if now - self.unit_maps_at >= UNIT_MAPS_EVERY_MS || stopping {
            self.unit_maps_at = now;
            unit_maps(&t.model, data, extent).await.into_iter().for_each(|layers| post(FromWorker::UnitMaps { layers }));
        }
        // the epoch's pictures and its gallery of test images, as often as the histograms
        let pictures_due = finished_epoch && (now - self.histograms_at >= HISTOGRAMS_EVERY_MS || stopping);
        if pictures_due {
            self.histograms_at = now;
            epoch_pictures(&t.model, data, post).await;
        }
        if finished_epoch {
            let tally = std::mem::take(&mut self.epoch_loss);
            match evaluate_scaled(&t.model, &data.test, t.config.loss, data.target_standardizer()).await {
                Ok(ev) => {
                    if let Some(items) = gallery(data.raw_test(), &ev, None).filter(|_| pictures_due) {
                        post(FromWorker::Gallery { title: "Test images, mistakes first".into(), items });
                    }
                    if let Some(fit) = fit_points(&data.test, &ev) {
                        post(fit);
                    }
                    // classification: the epoch's running accuracy, free (scoring 2,000 rows
                    // took 15 ms an epoch); regression, or no step since the epoch began: scored
                    let running = tally.accuracy().filter(|_| tally.samples() > 0);
                    let train_score = match running {
                        Some(accuracy) => Some(accuracy),
                        None => train_score(&t.model, &data.train, t.config.loss).await,
                    };
                    post(FromWorker::Epoch {
                        epoch: t.cursor.epoch,
                        train_loss: tally.mean(),
                        test_loss: ev.loss,
                        test_score: score(&ev.report),
                        train_score,
                        train_running: running.is_some(),
                        report: ev.report.clone(),
                    });
                    self.last_eval = Some(ev);
                }
                Err(e) => post(FromWorker::Error { message: e.to_string() }),
            }
            if t.cursor.epoch >= t.config.epochs as u64 {
                self.set_running(false, post);
            }
        }
        (now_ms() - started, finished_epoch)
    }
}
