// copy_strided.wgsl — out[idx] = x[idx · strides] over `shape` (broadcast_to, permute). Rank ≤ 8
// after the host merged contiguous dims; shape and strides packed 4 per vec4.
// Bindings: 0 uniform P, 1 x (read), 2 out (rw, n = Π shape floats).
// Grid: ceil(n / 256) workgroups of 256 threads, one output each (2-D split, see common.wgsl).

struct P {
    n: u32,
    rank: u32,
    _pad0: u32,
    _pad1: u32,
    shape: array<vec4<u32>, 2>,
    strides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = linear_group(wid, nwg) * 256u + lid;
    if i >= p.n {
        return;
    }
    var rest = i;
    var off = 0u;
    for (var d = p.rank; d > 0u; d--) {
        let q = (d - 1u) / 4u;
        let r = (d - 1u) % 4u;
        let extent = p.shape[q][r];
        off += (rest % extent) * p.strides[q][r];
        rest = rest / extent;
    }
    out[i] = x[off];
}
