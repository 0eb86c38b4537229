//! Device buffers behind `webgrad_core::Buffer` (`Rc<dyn Any>`), and the async readback.
//!
//! Every buffer is STORAGE | COPY_SRC | COPY_DST and at least 4 bytes (a zero-size binding is
//! invalid), so an empty tensor still has a bindable buffer; `len` is the element count.

use std::rc::Rc;

use webgrad_core::{Buffer, Error, Result};
use wgpu::util::DeviceExt;

use crate::context::Gpu;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Elem {
    F32,
    U32,
}

pub(crate) struct GpuBuffer {
    pub raw: wgpu::Buffer,
    pub len: usize,
    pub elem: Elem,
}

const USAGE: wgpu::BufferUsages =
    wgpu::BufferUsages::STORAGE.union(wgpu::BufferUsages::COPY_SRC).union(wgpu::BufferUsages::COPY_DST);

/// The backend's own buffer of the given element type; anything else is a programmer error.
pub(crate) fn gpu_buf(b: &Buffer, elem: Elem) -> &GpuBuffer {
    let g = b.downcast_ref::<GpuBuffer>().expect("a buffer of another device was passed to the wgpu backend");
    assert_eq!(g.elem, elem, "wgpu backend: expected a {elem:?} buffer, got {:?}", g.elem);
    g
}

/// As [`gpu_buf`], but an error instead of a panic (for reads, which return `Result`).
pub(crate) fn try_gpu_buf(b: &Buffer, elem: Elem) -> Result<&GpuBuffer> {
    match b.downcast_ref::<GpuBuffer>() {
        Some(g) if g.elem == elem => Ok(g),
        Some(g) => Err(Error::Device(format!("expected a {elem:?} buffer, got {:?}", g.elem))),
        None => Err(Error::Device("not a wgpu buffer".into())),
    }
}

/// The raw f32 buffer of `b`, checked to hold at least `len` elements.
pub(crate) fn f32_raw(b: &Buffer, len: usize) -> &wgpu::Buffer {
    let g = gpu_buf(b, Elem::F32);
    assert!(g.len >= len, "wgpu backend: a buffer of {} floats used as {len}", g.len);
    &g.raw
}

pub(crate) fn u32_raw(b: &Buffer, len: usize) -> &wgpu::Buffer {
    let g = gpu_buf(b, Elem::U32);
    assert!(g.len >= len, "wgpu backend: a buffer of {} labels used as {len}", g.len);
    &g.raw
}

impl Gpu {
    /// The bytes of a buffer of `len` elements. Over this adapter's `max_buffer_size` (which
    /// `MlpConfig::check_device` rules out before a model is built) it is an error reported on
    /// the next read, not a panic, and the buffer made is a 4-byte stand-in: WebGPU clamps every
    /// access to it, and nothing computed after the error is trusted.
    fn byte_size(&self, len: usize) -> u64 {
        let bytes = len.max(1).checked_mul(4).and_then(|b| u64::try_from(b).ok());
        match bytes {
            Some(b) if b <= self.limits.max_buffer_size => b,
            _ => {
                self.fail(format!(
                    "a buffer of {len} elements exceeds this adapter's max_buffer_size of {} bytes",
                    self.limits.max_buffer_size
                ));
                4
            }
        }
    }

    /// A zero-filled buffer (wgpu zero-initialises new buffers).
    pub fn alloc(&self, len: usize, elem: Elem) -> GpuBuffer {
        let raw = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size: self.byte_size(len),
            usage: USAGE,
            mapped_at_creation: false,
        });
        self.count(|c| c.buffers += 1);
        GpuBuffer { raw, len, elem }
    }

    pub fn alloc_buf(&self, len: usize) -> Buffer {
        Rc::new(self.alloc(len, Elem::F32))
    }

    pub fn upload_bytes(&self, bytes: &[u8], len: usize, elem: Elem) -> Buffer {
        if bytes.is_empty() || self.byte_size(len) < bytes.len() as u64 {
            return Rc::new(self.alloc(len, elem));
        }
        let raw = self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: None,
            contents: bytes,
            usage: USAGE,
        });
        self.count(|c| c.buffers += 1);
        Rc::new(GpuBuffer { raw, len, elem })
    }

    /// Overwrites the start of `b` in place. Submits the recorded work first: `write_buffer`
    /// runs before the commands of the next submit, so ops recorded earlier must not see the
    /// new values.
    pub fn write_bytes(&self, b: &GpuBuffer, bytes: &[u8]) {
        if bytes.len() as u64 > b.raw.size() {
            // a buffer that could not be made (see `byte_size`), or a caller's mistake
            self.fail(format!("a write of {} bytes into a buffer of {} bytes", bytes.len(), b.raw.size()));
            return;
        }
        if bytes.is_empty() {
            return;
        }
        self.submit(None);
        self.queue.write_buffer(&b.raw, 0, bytes);
        self.count(|c| c.bytes_written += bytes.len() as u64);
    }

    /// A MAP_READ | COPY_DST buffer of `size` bytes: a pooled one when a finished readback
    /// left one of that size, else a new one.
    fn staging(&self, size: u64) -> wgpu::Buffer {
        let mut pool = self.staging.borrow_mut();
        if let Some(i) = pool.iter().position(|b| b.size() == size) {
            return pool.swap_remove(i);
        }
        self.count(|c| c.buffers += 1);
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    }

    /// Starts reading the first `len` elements of `b` and returns at once: submits all
    /// recorded work plus a copy into a staging buffer (then, when `zero`, clears those
    /// elements of `b`) and requests the mapping. The future owns what it needs: natively it
    /// waits for that submission only (`poll`), so work submitted after it keeps running; in the
    /// browser the promise resolves on its own, so nothing ever blocks.
    pub fn start_read<T: bytemuck::Pod>(
        self: &Rc<Self>,
        b: &GpuBuffer,
        len: usize,
        zero: bool,
    ) -> impl std::future::Future<Output = Result<Vec<T>>> + 'static {
        let started = self.submit_read(b, len, zero);
        let gpu = self.clone();
        async move {
            let Some((staging, rx, index)) = started? else { return Ok(Vec::new()) };
            // A failed wait or mapping means the device is gone (a destroyed device rejects
            // submits, so the copy never ran); the device-lost callback may not have run yet.
            #[cfg(not(target_arch = "wasm32"))]
            if let Err(e) = gpu.device.poll(wgpu::PollType::Wait { submission_index: index, timeout: None }) {
                gpu.fail(format!("the GPU device was lost or stopped responding (device poll: {e})"));
            }
            #[cfg(target_arch = "wasm32")]
            let _ = index;
            match rx.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => gpu.fail(format!("the GPU device was lost or failed (readback: {e})")),
                Err(_) => gpu.fail("the GPU device was lost before the readback finished".into()),
            }
            gpu.check_errors()?;
            let view = staging.get_mapped_range(..).map_err(|e| Error::Device(format!("readback: {e}")))?;
            let values = bytemuck::cast_slice::<u8, T>(&view).to_vec();
            drop(view);
            staging.unmap();
            let mut pool = gpu.staging.borrow_mut();
            if pool.len() < STAGING_KEPT {
                pool.push(staging);
            }
            Ok(values)
        }
    }

    /// The eager part of [`Gpu::start_read`]; `None` for an empty read.
    #[allow(clippy::type_complexity)]
    fn submit_read(
        &self,
        b: &GpuBuffer,
        len: usize,
        zero: bool,
    ) -> Result<Option<(wgpu::Buffer, MapReceiver, Option<wgpu::SubmissionIndex>)>> {
        if len > b.len {
            return Err(Error::Device(format!("read of {len} elements from a buffer of {}", b.len)));
        }
        if len == 0 {
            return Ok(None);
        }
        self.check_errors()?;
        let size = (len * 4) as u64;
        let staging = self.staging(size);
        let mut copy = self.device.create_command_encoder(&Default::default());
        copy.copy_buffer_to_buffer(&b.raw, 0, &staging, 0, size);
        if zero {
            copy.clear_buffer(&b.raw, 0, Some(size));
        }
        let index = self.submit(Some(copy));
        let (tx, rx) = futures_channel::oneshot::channel();
        staging.map_async(wgpu::MapMode::Read, .., move |r| {
            let _ = tx.send(r);
        });
        Ok(Some((staging, rx, index)))
    }
}

type MapReceiver = futures_channel::oneshot::Receiver<std::result::Result<(), wgpu::BufferAsyncError>>;

/// Staging buffers kept for reuse (a training loop reads a handful of sizes).
const STAGING_KEPT: usize = 8;

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use super::Elem;

    #[cfg(target_arch = "wasm32")]
    wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

    webgrad_core::dual_test! {
        async fn a_validation_error_fails_the_next_read() {
            let Ok(gpu) = crate::context::open().await else { return };
            let gpu = &Rc::new(gpu);
            let b = gpu.alloc(4, Elem::F32);
            assert_eq!(gpu.start_read::<f32>(&b, 4, false).await.unwrap(), [0.0; 4]);
            let _broken = gpu.device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some("broken"),
                source: wgpu::ShaderSource::Wgsl("fn main( {".into()),
            });
            let err = gpu.start_read::<f32>(&b, 4, false).await;
            let err = err.expect_err("an invalid shader must fail the read");
            let msg = err.to_string();
            assert!(msg.contains("the GPU reported an error"), "{msg}");
            // it stays reported: whatever was recorded after it cannot be trusted
            assert!(gpu.start_read::<f32>(&b, 4, false).await.is_err());
        }

        async fn a_buffer_over_the_adapters_limit_fails_the_next_read_without_a_panic() {
            let Ok(gpu) = crate::context::open().await else { return };
            let gpu = &Rc::new(gpu);
            let b = gpu.alloc(4, Elem::F32);
            assert!(gpu.start_read::<f32>(&b, 4, false).await.is_ok());
            let too_many = usize::try_from(gpu.limits.max_buffer_size / 4 + 1).unwrap_or(usize::MAX);
            let huge = gpu.alloc(too_many, Elem::F32);
            gpu.write_bytes(&huge, &[0; 64]);
            let err = gpu.start_read::<f32>(&b, 4, false).await.expect_err("the oversized buffer must fail the read");
            let msg = err.to_string();
            assert!(msg.contains("exceeds this adapter's max_buffer_size"), "{msg}");
        }
    }
}
