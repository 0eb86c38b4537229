// rmsprop.wgsl — torch.optim.RMSprop, single-tensor path, in place over n floats:
//   g' = g (+ wd·p);  sq = α·sq + (1 − α)·g'²
//   centered: ga = lerp(ga, g', 1 − α), avg = sqrt(sq − ga²) + eps;  else avg = sqrt(sq) + eps
//   momentum: buf = mom·buf + g'/avg, p += neg_lr·buf;  else p += neg_lr·(g'/avg)
// Bindings: 0 uniform P, 1 param (rw), 2 grad (read), 3 square_avg (rw), 4 momentum buffer
// (rw), 5 grad_avg (rw). Slots the rule lacks are bound to spare 1-float buffers, never touched.
// Flags: bit 0 weight decay, 1 momentum, 2 centered.
// Grid: ceil(n / 256) workgroups of 256, one element each (2-D split).

struct P {
    n: u32,
    flags: u32,
    alpha: f32,
    w: f32,
    eps: f32,
    mom: f32,
    wd: f32,
    neg_lr: f32,
}

@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> sq: array<f32>;
@group(0) @binding(4) var<storage, read_write> buf: array<f32>;
@group(0) @binding(5) var<storage, read_write> grad_avg: array<f32>;

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
    var g = grad[i];
    if (p.flags & 1u) != 0u {
        g += p.wd * param[i];
    }
    let s = sq[i] * p.alpha + p.w * g * g;
    sq[i] = s;
    var avg: f32;
    if (p.flags & 4u) != 0u {
        let ga = torch_lerp(grad_avg[i], g, p.w);
        grad_avg[i] = ga;
        avg = sqrt(s - ga * ga) + p.eps;
    } else {
        avg = sqrt(s) + p.eps;
    }
    if (p.flags & 2u) != 0u {
        let b = buf[i] * p.mom + g / avg;
        buf[i] = b;
        param[i] += p.neg_lr * b;
    } else {
        param[i] += p.neg_lr * (g / avg);
    }
}
