// copy_block.wgsl — moves a [outer, len, inner] block between buffers viewed as
// [outer, src_axis, inner] and [outer, dst_axis, inner]:
//   out[o, dst_start + a, i] = x[o, src_start + a, i]   for a < len.
// `slice` is one launch (dst_start 0); `concat` one launch per part into a shared output
// (parts write disjoint ranges, so the launches need no ordering among themselves).
// Bindings: 0 uniform P, 1 x (read), 2 out (rw).
// Grid: ceil(outer·len·inner / 256) workgroups of 256, one element each (2-D split).

struct P {
    outer: u32,
    len: u32,
    inner: u32,
    src_axis: u32,
    src_start: u32,
    dst_axis: u32,
    dst_start: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let e = linear_group(wid, nwg) * 256u + lid;
    if e >= p.outer * p.len * p.inner {
        return;
    }
    let i = e % p.inner;
    let a = (e / p.inner) % p.len;
    let o = e / (p.inner * p.len);
    out[(o * p.dst_axis + p.dst_start + a) * p.inner + i] = x[(o * p.src_axis + p.src_start + a) * p.inner + i];
}
