// binary.wgsl — out[idx] = a[idx · sa] op b[idx · sb] over `shape` (NumPy broadcasting: a
// stride is 0 on a broadcast dim). Rank ≤ 8 after the host merged contiguous dims; shape and
// strides are packed 4 per vec4 (uniform arrays need 16-byte elements).
// Bindings: 0 uniform P, 1 a (read), 2 b (read), 3 out (rw, n = Π shape floats).
// Grid: ceil(n / 256) workgroups of 256 threads, one output each (2-D split, see common.wgsl).
// Op codes (host `binary_code`): 0 add, 1 sub, 2 mul, 3 div, 4 gt, 5 ge, 6 lt, 7 eq
// (comparisons give 1.0 / 0.0).

struct P {
    op: u32,
    n: u32,
    rank: u32,
    _pad: u32,
    shape: array<vec4<u32>, 2>,
    sa: array<vec4<u32>, 2>,
    sb: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn apply(op: u32, x: f32, y: f32) -> f32 {
    switch op {
        case 0u: { return x + y; }
        case 1u: { return x - y; }
        case 2u: { return x * y; }
        case 3u: { return x / y; }
        case 4u: { return select(0.0, 1.0, x > y); }
        case 5u: { return select(0.0, 1.0, x >= y); }
        case 6u: { return select(0.0, 1.0, x < y); }
        default: { return select(0.0, 1.0, x == y); }
    }
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = linear_group(wid, nwg) * 256u + lid;
    if i >= p.n {
        return;
    }
    // peel row-major coordinates off the flat index, last dim first
    var rest = i;
    var oa = 0u;
    var ob = 0u;
    for (var d = p.rank; d > 0u; d--) {
        let q = (d - 1u) / 4u;
        let r = (d - 1u) % 4u;
        let extent = p.shape[q][r];
        let coord = rest % extent;
        rest = rest / extent;
        oa += coord * p.sa[q][r];
        ob += coord * p.sb[q][r];
    }
    out[i] = apply(p.op, a[oa], b[ob]);
}
