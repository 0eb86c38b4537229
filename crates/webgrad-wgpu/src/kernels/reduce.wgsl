// reduce.wgsl — sum or max along the middle dim of x viewed as [outer, axis, inner].
// The axis is cut into `chunks` runs of `chunk` elements; out[o, c, i] reduces run c, so the
// output is [outer, chunks, inner] (the host reduces again while chunks > 1).
// Bindings: 0 uniform P, 1 x (read, outer·axis·inner), 2 out (rw, outer·chunks·inner).
// Entry points:
//   `tree`: one workgroup of 256 per output; threads stride over the run, then a shared-memory
//           tree combines the 256 partials. Grid: outer·chunks·inner groups (2-D split).
//   `serial`: one thread per output walks the whole axis in order (for short axes; chunks = 1,
//           chunk = axis). Grid: ceil(outer·inner / 256) groups of 256.
// Op codes: 0 sum, 1 max (NaN propagates, as torch.max).

struct P {
    op: u32,
    outer: u32,
    axis: u32,
    inner: u32,
    chunk: u32,
    chunks: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

var<workgroup> partial: array<f32, 256>;

fn identity() -> f32 {
    return select(0.0, -f32_inf(), p.op == 1u);
}

fn combine(acc: f32, v: f32) -> f32 {
    if p.op == 0u {
        return acc + v;
    }
    return select(acc, v, v > acc || v != v);
}

@compute @workgroup_size(256)
fn tree(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let g = linear_group(wid, nwg);
    if g >= p.outer * p.chunks * p.inner {
        return;
    }
    let i = g % p.inner;
    let c = (g / p.inner) % p.chunks;
    let o = g / (p.inner * p.chunks);
    let end = min((c + 1u) * p.chunk, p.axis);
    var acc = identity();
    for (var a = c * p.chunk + lid; a < end; a += 256u) {
        acc = combine(acc, x[(o * p.axis + a) * p.inner + i]);
    }
    partial[lid] = acc;
    workgroupBarrier();
    for (var s = 128u; s > 0u; s >>= 1u) {
        if lid < s {
            partial[lid] = combine(partial[lid], partial[lid + s]);
        }
        workgroupBarrier();
    }
    if lid == 0u {
        out[g] = partial[0];
    }
}

@compute @workgroup_size(256)
fn serial(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
    let t = linear_group(wid, nwg) * 256u + lid;
    if t >= p.outer * p.inner {
        return;
    }
    let i = t % p.inner;
    let o = t / p.inner;
    var acc = identity();
    for (var a = 0u; a < p.axis; a++) {
        acc = combine(acc, x[(o * p.axis + a) * p.inner + i]);
    }
    out[t] = acc;
}
