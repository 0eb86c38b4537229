// adagrad.wgsl — torch.optim.Adagrad, single-tensor path, in place over n floats:
//   g' = g (+ wd·p);  sum += g'²;  p += neg_clr · g' / (sqrt(sum) + eps)
// with neg_clr = −lr / (1 + (t − 1)·lr_decay) computed in f64 on the host.
// Bindings: 0 uniform P, 1 param (rw), 2 grad (read), 3 sum (rw).
// Flags: bit 0 weight decay.
// Grid: ceil(n / 256) workgroups of 256, one element each (2-D split).

struct P {
    n: u32,
    flags: u32,
    neg_clr: f32,
    eps: f32,
    wd: f32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> sum: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = linear_group(wid, nwg) * 256u + lid;
    if i >= p.n {
        return;
    }
    var g = grad[i];
    if (p.flags & 1u) != 0u {
        g += p.wd * param[i];
    }
    let s = sum[i] + g * g;
    sum[i] = s;
    param[i] += p.neg_clr * (g / (sqrt(s) + p.eps));
}
