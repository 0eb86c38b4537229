// unary_backward.wgsl — out = g · d op(x)/dx for the ops of unary.wgsl (same op codes).
// Bindings: 0 uniform P, 1 x, 2 y = op(x), 3 g (read), 4 out (rw); all ≥ n floats.
// Grid: ceil(n / 256) workgroups of 256 threads, one element each (2-D split, see common.wgsl).
// The op code is the override OP (one pipeline per op in use), not a uniform: a software adapter
// (SwiftShader) runs every case of a switch on a runtime value under a lane mask, so with the
// code in the uniform each element paid for all the ops (pow, exp, erf); a constant leaves one.
// `p.op` still holds the code (the parameter layout is shared with unary.wgsl) and is unused.

override OP: u32 = 0u;

struct P {
    op: u32,
    n: u32,
    a: f32,
    b: f32,
}

@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read> g: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

fn unary_grad(op: u32, xv: f32, yv: f32) -> f32 {
    switch op {
        case 0u: { return -1.0; }
        case 1u: { return yv; }
        case 2u: { return 1.0 / xv; }
        case 3u: { return 0.5 / yv; }
        // sign(x) with sign(0) = 0, as PyTorch
        case 4u: { return sign(xv); }
        case 5u: { return select(p.a * powf(xv, p.a - 1.0), 0.0, p.a == 0.0); }
        // gradient passes where lo ≤ x ≤ hi, inclusive (torch.clamp)
        case 6u: { return select(0.0, 1.0, xv >= p.a && xv <= p.b); }
        case 7u: { return p.a; }
        default: { return activate_grad(op - 8u, p.a, xv, yv); }
    }
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = linear_group(wid, nwg) * 256u + lid;
    if i < p.n {
        out[i] = g[i] * unary_grad(OP, x[i], y[i]);
    }
}
