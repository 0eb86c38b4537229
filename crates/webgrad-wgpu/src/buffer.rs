//! Device buffers behind `webgrad_core::Buffer` (`Rc<dyn Any>`), and the async readback.
//!
//! Every buffer is STORAGE | COPY_SRC | COPY_DST and at least 4 bytes (a zero-size binding is
//! invalid), so an empty tensor still has a bindable buffer; `len` is the element count.

use std::rc::Rc;

use webgrad_core::{Buffer, Error, Result};
use wgpu::util::DeviceExt;

use crate::context::Gpu;
use crate::dispatch::Stream;

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
    fn byte_size(&self, len: usize) -> u64 {
        let bytes = (len.max(1) * 4) as u64;
        assert!(
            bytes <= self.limits.max_buffer_size,
            "wgpu: a buffer of {len} elements exceeds this adapter's max_buffer_size of {} bytes",
            self.limits.max_buffer_size
        );
        bytes
    }

    /// A zero-filled buffer (wgpu zero-initialises new buffers).
    pub fn alloc(&self, len: usize, elem: Elem) -> GpuBuffer {
        let raw = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size: self.byte_size(len),
            usage: USAGE,
            mapped_at_creation: false,
        });
        GpuBuffer { raw, len, elem }
    }

    pub fn alloc_buf(&self, len: usize) -> Buffer {
        Rc::new(self.alloc(len, Elem::F32))
    }

    pub fn upload_bytes(&self, bytes: &[u8], len: usize, elem: Elem) -> Buffer {
        if bytes.is_empty() {
            return Rc::new(self.alloc(0, elem));
        }
        self.byte_size(len);
        let raw = self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: None,
            contents: bytes,
            usage: USAGE,
        });
        Rc::new(GpuBuffer { raw, len, elem })
    }

    /// The first `len` elements: submits all recorded work plus a copy into a staging
    /// buffer, then awaits `map_async` through a oneshot channel. Natively `poll(wait)` drives
    /// the callback; in the browser the promise resolves on its own, so nothing ever blocks.
    pub async fn read_back<T: bytemuck::Pod>(
        &self,
        stream: &std::cell::RefCell<Stream>,
        b: &GpuBuffer,
        len: usize,
    ) -> Result<Vec<T>> {
        if len > b.len {
            return Err(Error::Device(format!("read of {len} elements from a buffer of {}", b.len)));
        }
        if len == 0 {
            return Ok(Vec::new());
        }
        let size = (len * 4) as u64;
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut copy = self.device.create_command_encoder(&Default::default());
        copy.copy_buffer_to_buffer(&b.raw, 0, &staging, 0, size);
        self.submit(&mut stream.borrow_mut(), Some(copy));
        let (tx, rx) = futures_channel::oneshot::channel();
        staging.map_async(wgpu::MapMode::Read, .., move |r| {
            let _ = tx.send(r);
        });
        #[cfg(not(target_arch = "wasm32"))]
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| Error::Device(format!("device poll: {e}")))?;
        rx.await
            .map_err(|_| Error::Device("the device was lost before the readback finished".into()))?
            .map_err(|e| Error::Device(format!("readback failed: {e}")))?;
        self.check_errors()?;
        let view = staging.get_mapped_range(..).map_err(|e| Error::Device(format!("readback: {e}")))?;
        let values = bytemuck::cast_slice::<u8, T>(&view).to_vec();
        drop(view);
        staging.unmap();
        Ok(values)
    }
}
