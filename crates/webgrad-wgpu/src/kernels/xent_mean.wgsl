// xent_mean.wgsl — loss[0] = Σ_r row_loss[r] / n: the batch mean of xent.wgsl's per-row losses
// (0 for n = 0), kept on the device so the training step never reads back.
// Bindings: 0 uniform P (same layout as xent.wgsl), 1 row_loss (read, n), 2 loss (rw, 1 float).
// Entry points (grid: a single workgroup either way):
//   `main`: 64 threads take strided partial sums, then a shared-memory tree combines them.
//   `serial`: one thread sums the rows in order (for small n: no barriers, which a software
//             adapter runs slowly).

struct P {
    n: u32,
    c: u32,
    eps: f32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> row_loss: array<f32>;
@group(0) @binding(2) var<storage, read_write> loss: array<f32>;

var<workgroup> partial: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32) {
    var s = 0.0;
    for (var r = lid; r < p.n; r += 64u) {
        s += row_loss[r];
    }
    partial[lid] = s;
    workgroupBarrier();
    for (var k = 32u; k > 0u; k >>= 1u) {
        if lid < k {
            partial[lid] += partial[lid + k];
        }
        workgroupBarrier();
    }
    if lid == 0u {
        loss[0] = partial[0] / f32(max(p.n, 1u));
    }
}

@compute @workgroup_size(1)
fn serial() {
    var s = 0.0;
    for (var r = 0u; r < p.n; r++) {
        s += row_loss[r];
    }
    loss[0] = s / f32(max(p.n, 1u));
}
