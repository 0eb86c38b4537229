//! The training set kept on the model's device (docs/ARCHITECTURE.md §4, "plan once, replay
//! many"): the features and targets are uploaded once, the epoch's shuffle once per epoch, and
//! each step picks its batch on the device (`Tensor::gather_table`) at an offset the trainer
//! rewrites. So a replayed step sends the device 4 bytes instead of its batch, and the batch
//! order is exactly the host's (`Batcher`): the same rows in the same order give the same bits.

use std::rc::Rc;

use webgrad_core::{Device, Recorder, Tensor};
use webgrad_data::{Batcher, Cursor, Dataset, Targets};

use crate::loss::Loss;
use crate::{Error, Result};

/// What an upload was made from: the feature and target storage (address, length), the shape
/// and the loss (which decides the target table's type). Two datasets with the same key are
/// the same data unless one was changed in place (see `Trainer::set_resident_data`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Key {
    features: (usize, usize),
    targets: (usize, usize),
    n: usize,
    d: usize,
    loss: LossKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LossKind {
    Labels,
    Binary,
    Values,
}

fn loss_kind(loss: Loss) -> LossKind {
    match loss {
        Loss::CrossEntropy { .. } => LossKind::Labels,
        Loss::BceWithLogits => LossKind::Binary,
        Loss::Mse | Loss::Huber { .. } => LossKind::Values,
    }
}

/// Where the targets are stored: (address, length).
fn target_storage(data: &Dataset) -> (usize, usize) {
    match &data.targets {
        Targets::Classes { labels, .. } => (labels.as_ptr() as usize, labels.len()),
        Targets::Regression { values, .. } => (values.as_ptr() as usize, values.len()),
    }
}

fn key(data: &Dataset, loss: Loss) -> Key {
    let features = (data.features.as_ptr() as usize, data.features.len());
    Key { features, targets: target_storage(data), n: data.n, d: data.d, loss: loss_kind(loss) }
}

/// The uploaded training set and the two small inputs a step reads it through.
pub(crate) struct Resident {
    device: Device,
    key: Key,
    /// [n, d] f32
    features: Tensor,
    /// [n] u32 labels (cross-entropy), [n, 1] f32 0/1 (binary cross-entropy) or [n, k] f32
    /// values (regression): shaped like a batch's targets
    targets: Tensor,
    /// [n] u32: the order of epoch `order_epoch`
    order: Tensor,
    order_epoch: Option<u64>,
    /// [1] u32: where the next batch starts in `order`
    start: Tensor,
}

impl Resident {
    /// Whether `data` fits on `device` as one table (`Backend::resident_table_limit`);
    /// `None` where the device keeps data in host memory anyway.
    pub fn fits_device(device: &Device, data: &Dataset) -> Option<bool> {
        let limit = device.resident_table_limit()?;
        Some(data.features.len().max(target_storage(data).1) <= limit)
    }

    /// Uploads `data`'s features and the targets `loss` trains on.
    pub fn upload(device: &Device, data: &Dataset, loss: Loss) -> Result<Resident> {
        let features = Tensor::from_slice(device, &data.features, &[data.n, data.d])?;
        let targets = match (loss_kind(loss), &data.targets) {
            (LossKind::Labels, Targets::Classes { labels, .. }) => Tensor::labels(device, labels),
            (LossKind::Binary, Targets::Classes { labels, .. }) => {
                let values: Vec<f32> = labels.iter().map(|&l| l as f32).collect();
                Tensor::from_slice(device, &values, &[data.n, 1])?
            }
            (LossKind::Values, Targets::Regression { values, outputs }) => {
                Tensor::from_slice(device, values, &[data.n, *outputs])?
            }
            (_, Targets::Classes { .. }) => {
                return Err(Error::Config(format!("{}: {loss:?} needs regression targets, not classes", data.name)));
            }
            (_, Targets::Regression { .. }) => {
                return Err(Error::Config(format!("{}: {loss:?} needs class labels, not values", data.name)));
            }
        };
        Ok(Resident {
            device: device.clone(),
            key: key(data, loss),
            features,
            targets,
            order: Tensor::labels(device, &vec![0; data.n]),
            order_epoch: None,
            start: Tensor::labels(device, &[0]),
        })
    }

    /// Whether this upload is of `data` for `loss`, on `device`.
    pub fn holds(&self, device: &Device, data: &Dataset, loss: Loss) -> bool {
        Rc::ptr_eq(&self.device, device) && self.key == key(data, loss)
    }

    /// Points the next gather at the batch of `cursor` (uploading the epoch's order when the
    /// epoch changed) and returns the batch's row count.
    pub fn seek(&mut self, batcher: &mut Batcher, cursor: Cursor, writer: &dyn Recorder) -> Option<usize> {
        let len = batcher.batch(cursor)?.len();
        if self.order_epoch != Some(cursor.epoch) {
            writer.write_u32(self.order.buffer(), batcher.order(cursor.epoch));
            self.order_epoch = Some(cursor.epoch);
        }
        let start = u32::try_from(cursor.step * batcher.batch_size()).ok()?;
        writer.write_u32(self.start.buffer(), &[start]);
        Some(len)
    }

    /// The batch `seek` pointed at, gathered on the device: features [len, d] and targets.
    pub fn batch(&self, len: usize) -> (Tensor, Tensor) {
        let x = Tensor::gather_table(&self.features, &self.order, &self.start, len);
        (x, Tensor::gather_table(&self.targets, &self.order, &self.start, len))
    }
}
