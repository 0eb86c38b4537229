// softmax.wgsl — (log-)softmax along the middle dim of x viewed as [outer, axis, inner].
// Bindings: 0 uniform P, 1 x (read), 2 out (rw); both outer·axis·inner floats.
// Grid: one workgroup of 64 per row (o, i), rows = outer·inner (2-D split). Three passes over
// the row: max (tree), Σ exp(x − max) (tree), then write exp(x − max) / Σ or x − max − log Σ.

struct P {
    outer: u32,
    axis: u32,
    inner: u32,
    log_out: u32,
}

@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

var<workgroup> partial: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let row = linear_group(wid, nwg);
    if row >= p.outer * p.inner {
        return;
    }
    let base = (row / p.inner) * p.axis * p.inner + row % p.inner;
    var m = -f32_inf();
    for (var a = lid; a < p.axis; a += 64u) {
        m = max(m, x[base + a * p.inner]);
    }
    partial[lid] = m;
    workgroupBarrier();
    for (var s = 32u; s > 0u; s >>= 1u) {
        if lid < s {
            partial[lid] = max(partial[lid], partial[lid + s]);
        }
        workgroupBarrier();
    }
    let row_max = partial[0];
    workgroupBarrier();
    var sum = 0.0;
    for (var a = lid; a < p.axis; a += 64u) {
        sum += exp(x[base + a * p.inner] - row_max);
    }
    partial[lid] = sum;
    workgroupBarrier();
    for (var s = 32u; s > 0u; s >>= 1u) {
        if lid < s {
            partial[lid] += partial[lid + s];
        }
        workgroupBarrier();
    }
    let total = partial[0];
    let log_total = log(total);
    for (var a = lid; a < p.axis; a += 64u) {
        let at = base + a * p.inner;
        if p.log_out != 0u {
            out[at] = x[at] - row_max - log_total;
        } else {
            out[at] = exp(x[at] - row_max) / total;
        }
    }
}
