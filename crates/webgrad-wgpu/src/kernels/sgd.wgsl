// sgd.wgsl — torch.optim.SGD, single-tensor path, in place over one parameter of n floats:
//   d = g (+ wd·p);  with momentum: buf = (first step ? d : mom·buf + damp·d),
//   d = nesterov ? d + mom·buf : buf;  p += neg_lr·d
// (damp = 1 − dampening; coefficients are f64 on the host, passed as f32.)
// Bindings: 0 uniform P, 1 param (rw), 2 grad (read), 3 momentum buffer (rw; a spare 1-float
// buffer, never touched, when the rule has no momentum).
// Flags: bit 0 weight decay, 1 momentum, 2 nesterov, 3 first step.
// Grid: ceil(n / 256) workgroups of 256, one element each (2-D split).

struct P {
    n: u32,
    flags: u32,
    wd: f32,
    mom: f32,
    damp: f32,
    neg_lr: f32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> buf: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = linear_group(wid, nwg) * 256u + lid;
    if i >= p.n {
        return;
    }
    var d = grad[i];
    if (p.flags & 1u) != 0u {
        d += p.wd * param[i];
    }
    if (p.flags & 2u) != 0u {
        var b = d;
        if (p.flags & 8u) == 0u {
            b = buf[i] * p.mom + p.damp * d;
        }
        buf[i] = b;
        d = select(b, d + p.mom * b, (p.flags & 4u) != 0u);
    }
    param[i] += p.neg_lr * d;
}
