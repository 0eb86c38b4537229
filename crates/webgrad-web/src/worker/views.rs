//! What the page draws, computed here: the decision boundary, scores, the network diagram's
//! weights, the gallery of test images and the predicted-vs-true points of a regression.

use super::*;

/// The progress of a model that has not trained since it was made, loaded or imported: where it
/// stands, its boundary and its unit pictures.
/// FNV-1a over the bits of every weight and bias, as 16 hex digits (`None` if a read fails).
pub(super) async fn weights_hash(model: &Mlp) -> Option<String> {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in model.parameters() {
        for v in p.to_vec().await.ok()? {
            for b in v.to_bits().to_le_bytes() {
                h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
        }
    }
    Some(format!("{h:016x}"))
}

pub(super) async fn at_rest(model: &Mlp, step: u64, epoch: u64, data: &Loaded, post: &Post) {
    let boundary = boundary(model, data).await;
    let extent = boundary.as_ref().map(|b| b.extent);
    post(FromWorker::Progress { step, epoch, losses: Vec::new(), samples_per_sec: 0.0, train_ms: 0.0, samples: 0, boundary });
    if let Some(layers) = unit_maps(model, data, extent).await {
        post(FromWorker::UnitMaps { layers });
    }
}

/// Model output over a grid spanning a plane's points (probability of class 1, or the value).
pub(super) async fn boundary(model: &Mlp, data: &Loaded) -> Option<Boundary> {
    let points = &data.plane.as_ref()?.train;
    if points.n == 0 {
        return None;
    }
    let (mut x0, mut x1, mut y0, mut y1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
    for i in 0..points.n {
        let r = points.row(i);
        (x0, x1, y0, y1) = (x0.min(r[0]), x1.max(r[0]), y0.min(r[1]), y1.max(r[1]));
    }
    let pad = 0.05 * (x1 - x0).max(y1 - y0);
    let extent = [x0 - pad, x1 + pad, y0 - pad, y1 + pad];
    let n = BOUNDARY_SIZE;
    let y = no_grad(|| {
        let x = grid_inputs(model, data, extent, n)?;
        let y = model.forward(&x, false, 0);
        Some(match model.config.head {
            Head::Softmax { .. } => y.softmax(1).slice(1, 1, 1),
            _ => y.slice(1, 0, 1),
        })
    })?;
    let values = y.to_vec().await.ok()?;
    Some(Boundary { size: n, extent, values })
}

/// The model's inputs at the centres of an n × n grid over `extent` (see `grid`): [n², inputs].
fn grid_inputs(model: &Mlp, data: &Loaded, extent: [f32; 4], n: usize) -> Option<Tensor> {
    let mut rows = Vec::new();
    for point in grid(extent, n).chunks_exact(2) {
        rows.extend(data.plane_input(point[0], point[1])?);
    }
    Tensor::from_slice(model.device(), &rows, &[n * n, rows.len() / (n * n)]).ok()
}

/// Each hidden unit's output over a `UNIT_MAP_SIZE`² grid of a boundary's `extent` (None
/// without a plane, a boundary or hidden layers).
pub(super) async fn unit_maps(model: &Mlp, data: &Loaded, extent: Option<[f32; 4]>) -> Option<Vec<UnitLayer>> {
    let extent = extent?;
    if model.config.hidden.is_empty() {
        return None;
    }
    let n = UNIT_MAP_SIZE;
    let outputs = no_grad(|| Some(model.hidden_outputs(&grid_inputs(model, data, extent, n)?)))?;
    let mut layers = Vec::with_capacity(outputs.len());
    for (out, cfg) in outputs.iter().zip(&model.config.hidden) {
        let values = out.to_vec().await.ok()?;
        layers.push(UnitLayer::from_outputs(cfg.activation.name(), &values, n, cfg.width));
    }
    Some(layers)
}

/// The centres of an n × n grid over `extent` ([x_min, x_max, y_min, y_max]) as (x, y) rows,
/// the top row (largest y) first: [n², 2].
fn grid(extent: [f32; 4], n: usize) -> Vec<f32> {
    let mut grid = Vec::with_capacity(n * n * 2);
    for r in 0..n {
        for c in 0..n {
            let x = extent[0] + (c as f32 + 0.5) / n as f32 * (extent[1] - extent[0]);
            let y = extent[3] - (r as f32 + 0.5) / n as f32 * (extent[3] - extent[2]);
            grid.extend([x, y]);
        }
    }
    grid
}

/// Accuracy for classification, R² for regression.
pub(super) fn score(report: &webgrad_nn::Report) -> f64 {
    match report {
        webgrad_nn::Report::Classification(r) => r.accuracy,
        webgrad_nn::Report::Regression(r) => r.r2,
    }
}

/// Rows of the training split scored for the accuracy curve (bounded so an epoch's end stays
/// short): as many as MNIST's test split, whose score has the same precision. Scoring all 8,000
/// MNIST training rows took 53 ms an epoch, more than half the epoch's training on 2 cores.
pub(super) const TRAIN_SCORE_ROWS: usize = 2_000;

pub(super) async fn train_score(model: &Mlp, train: &Dataset, loss: Loss) -> Option<f64> {
    let ev = if train.n > TRAIN_SCORE_ROWS {
        let first: Vec<u32> = (0..TRAIN_SCORE_ROWS as u32).collect();
        evaluate(model, &train.subset(&first), loss).await
    } else {
        evaluate(model, train, loss).await
    };
    ev.ok().map(|e| score(&e.report))
}

/// Models up to this size have their diagram redrawn after every slice of training; larger
/// ones after every epoch (reading all their weights back each slice would cost more than it shows).
pub(super) const DIAGRAM_LIVE_PARAMETERS: usize = 20_000;

/// The diagram's weights (see `FromWorker::Weights`), or None when a large model is between
/// epochs. Layers wider than `DIAGRAM_MAX_UNITS` show the units with the largest outgoing
/// weights (the output layer: its first units).
pub(super) async fn diagram_weights(model: &Mlp, epoch_end: bool) -> Option<FromWorker> {
    if model.config.parameter_count() > DIAGRAM_LIVE_PARAMETERS && !epoch_end {
        return None;
    }
    let mut sizes = vec![model.config.input];
    let mut full = Vec::new();
    for layer in &model.layers {
        sizes.push(layer.weight.shape()[0]);
        full.push(layer.weight.to_vec().await.ok()?);
    }
    let units = crate::diagram_units::choose(&sizes, &full);
    let layers = full
        .iter()
        .enumerate()
        .map(|(l, w)| {
            let fan_in = sizes[l];
            units[l + 1].iter().flat_map(|&o| units[l].iter().map(move |&i| w[o * fan_in + i])).collect()
        })
        .collect();
    Some(FromWorker::Weights { sizes, units, layers })
}

/// Square image data: the first hidden layer's incoming weights as one image per unit, what
/// each unit "looks for" (see `FromWorker::InputWeights`).
pub(super) async fn input_weights(model: &Mlp, data: &Dataset) -> Option<FromWorker> {
    let (rows, cols) = data.image_shape?;
    let first = model.config.hidden.first()?;
    if rows != cols || rows.checked_mul(cols) != Some(model.config.input) {
        return None;
    }
    let weights = model.layers.first()?.weight.to_vec().await.ok()?;
    let maps = weights.chunks_exact(model.config.input).take(INPUT_WEIGHT_UNITS).map(<[f32]>::to_vec).collect();
    Some(FromWorker::InputWeights(UnitLayer {
        activation: first.activation.name().to_string(),
        width: first.width,
        size: rows,
        maps,
    }))
}

/// What the page shows of a model after an epoch: the first layer's weights as images (square
/// image data) and each hidden layer's outputs as a histogram.
pub(super) async fn epoch_pictures(model: &Mlp, data: &Loaded, post: &Post) {
    input_weights(model, &data.train).await.into_iter().for_each(post);
    activations(model, &data.test).await.into_iter().for_each(post);
}

/// Test rows whose hidden outputs make the activation histograms.
pub(super) const HISTOGRAM_ROWS: usize = 256;

/// Each hidden layer's outputs over the first `HISTOGRAM_ROWS` test rows, as histograms.
pub(super) async fn activations(model: &Mlp, test: &Dataset) -> Option<FromWorker> {
    if model.config.hidden.is_empty() || test.n == 0 {
        return None;
    }
    let n = test.n.min(HISTOGRAM_ROWS);
    let rows = test.features.get(..n.checked_mul(test.d)?)?;
    let outputs = no_grad(|| {
        let x = Tensor::from_slice(model.device(), rows, &[n, test.d]).ok()?;
        Some(model.hidden_outputs(&x))
    })?;
    let mut layers = Vec::with_capacity(outputs.len());
    for (out, cfg) in outputs.iter().zip(&model.config.hidden) {
        layers.push(LayerHistogram::of(cfg.activation.name(), &out.to_vec().await.ok()?, HISTOGRAM_BINS));
    }
    Some(FromWorker::Activations { layers })
}

/// Softmax of one row of logits.
pub(super) fn probabilities(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e: Vec<f32> = logits.iter().map(|&z| (z - max).exp()).collect();
    let sum: f32 = e.iter().sum();
    e.into_iter().map(|v| v / sum).collect()
}

pub(super) const GALLERY_SIZE: usize = 36;

/// Test rows of one confusion cell (true class, predicted class).
pub(super) fn cell_rows(test: &Dataset, ev: &webgrad_nn::Evaluation, (t, p): (u32, u32)) -> Vec<usize> {
    let Some(labels) = test.labels() else { return Vec::new() };
    (0..test.n).filter(|&i| labels[i] == t && ev.predicted.get(i) == Some(&p)).collect()
}

/// Up to GALLERY_SIZE test images (image datasets only): the rows of one confusion cell, or
/// all rows with the mistakes first.
pub(super) fn gallery(
    test: &Dataset,
    ev: &webgrad_nn::Evaluation,
    cell: Option<(u32, u32)>,
) -> Option<Vec<GalleryItem>> {
    let (rows, cols) = test.image_shape?;
    let Targets::Classes { labels, names, .. } = &test.targets else { return None };
    let k = ev.outputs.len() / test.n.max(1);
    let (wrong, right): (Vec<usize>, Vec<usize>) = match cell {
        Some(c) => (cell_rows(test, ev, c), Vec::new()),
        None => (0..test.n).partition(|&i| ev.predicted.get(i) != Some(&labels[i])),
    };
    let name = |c: u32| names.get(c as usize).cloned().unwrap_or_else(|| c.to_string());
    let items = wrong
        .into_iter()
        .chain(right)
        .take(GALLERY_SIZE)
        .map(|i| {
            let predicted = ev.predicted[i];
            let p = probabilities(&ev.outputs[i * k..(i + 1) * k]);
            GalleryItem {
                pixels: Bytes::from(
                    test.row(i).iter().map(|&v| (v.clamp(0.0, 1.0) * 255.0).round() as u8).collect::<Vec<u8>>(),
                ),
                rows,
                cols,
                truth: name(labels[i]),
                predicted: name(predicted),
                confidence: p.get(predicted as usize).copied().unwrap_or(0.0),
            }
        })
        .collect();
    Some(items)
}

/// At most this many points in the predicted-vs-true plot (enough to see the fit; cheap to draw).
pub(super) const FIT_POINTS: usize = 1_000;

/// The predicted-vs-true points of a regression's test split (`None` for classification).
pub(super) fn fit_points(test: &Dataset, ev: &webgrad_nn::Evaluation) -> Option<FromWorker> {
    let Targets::Regression { values, outputs } = &test.targets else { return None };
    let points = webgrad_nn::metrics::predicted_vs_true(&ev.outputs, values, *outputs, FIT_POINTS);
    Some(FromWorker::Fit { points, outputs: *outputs })
}
