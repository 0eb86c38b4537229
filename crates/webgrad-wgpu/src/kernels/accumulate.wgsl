// accumulate.wgsl — in place: acc[i] += scale · x[i] for i < n (the on-device loss sum: a
// training step adds its mean loss × batch rows, and `take` reads and zeroes the sum every k steps).
// Bindings: 0 uniform P, 1 x (read, ≥ n floats), 2 acc (rw, ≥ n floats); x and acc are distinct.
// Grid: ceil(n / 256) workgroups of 256 threads (2-D split, see common.wgsl).

struct P {
    n: u32,
    scale: f32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> acc: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = linear_group(wid, nwg) * 256u + lid;
    if i < p.n {
        acc[i] = acc[i] + p.scale * x[i];
    }
}
