// adam.wgsl — torch.optim.Adam / AdamW, single-tensor path, in place over n floats:
//   g' = g (+ wd·p if L2);  p *= decay (if decoupled, decay = 1 − lr·wd)
//   m = lerp(m, g', 1 − β1);  v = β2·v + (1 − β2)·g'²
//   p += neg_step · m / (sqrt(v) / bc2_sqrt + eps)
// with neg_step = −lr / (1 − β1^t) and bc2_sqrt = sqrt(1 − β2^t) computed in f64 on the host.
// Bindings: 0 uniform P, 1 param (rw), 2 grad (read), 3 exp_avg m (rw), 4 exp_avg_sq v (rw).
// Flags: bit 0 L2 weight decay (Adam), bit 1 decoupled decay (AdamW).
// Grid: ceil(n / 256) workgroups of 256, one element each (2-D split).

struct P {
    n: u32,
    flags: u32,
    neg_step: f32,
    bc2_sqrt: f32,
    w1: f32,
    b2: f32,
    w2: f32,
    eps: f32,
    decay: f32,
    wd: f32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

// torch.lerp: start + w·(end − start) for w < 0.5, else end − (end − start)·(1 − w)
fn torch_lerp(start: f32, end: f32, w: f32) -> f32 {
    return select(end - (end - start) * (1.0 - w), start + w * (end - start), w < 0.5);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = linear_group(wid, nwg) * 256u + lid;
    if i >= p.n {
        return;
    }
    var x = param[i];
    var g = grad[i];
    if (p.flags & 1u) != 0u {
        g += p.wd * x;
    }
    if (p.flags & 2u) != 0u {
        x *= p.decay;
    }
    let mi = torch_lerp(m[i], g, p.w1);
    let vi = v[i] * p.b2 + p.w2 * g * g;
    m[i] = mi;
    v[i] = vi;
    let denom = sqrt(vi) / p.bc2_sqrt + p.eps;
    param[i] = x + p.neg_step * (mi / denom);
}
