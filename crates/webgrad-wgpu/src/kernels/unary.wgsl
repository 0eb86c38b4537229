// unary.wgsl — elementwise unary op: out = op(x).
// Bindings: 0 uniform P, 1 x (read), 2 out (rw); both hold ≥ n floats.
// Grid: ceil(n / 256) workgroups of 256 threads, one element each (2-D split, see common.wgsl).
// Op codes (host `unary_code`): 0 neg, 1 exp, 2 log, 3 sqrt, 4 abs, 5 powf(a), 6 clamp(a, b),
// 7 affine a·x + b, 8 + k = activation k (see `activate`, slope a for leaky relu).

struct P {
    op: u32,
    n: u32,
    a: f32,
    b: f32,
}

@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

fn unary(op: u32, v: f32) -> f32 {
    switch op {
        case 0u: { return -v; }
        case 1u: { return exp(v); }
        case 2u: { return log(v); }
        case 3u: { return sqrt(v); }
        case 4u: { return abs(v); }
        case 5u: { return powf(v, p.a); }
        case 6u: { return min(max(v, p.a), p.b); }
        case 7u: { return p.a * v + p.b; }
        default: { return activate(op - 8u, p.a, v); }
    }
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = linear_group(wid, nwg) * 256u + lid;
    if i < p.n {
        out[i] = unary(p.op, x[i]);
    }
}
