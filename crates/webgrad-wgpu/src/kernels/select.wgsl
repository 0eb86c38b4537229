// select.wgsl — out[i] = cond[i] != 0 ? a[i] : b[i] for i < n.
// Bindings: 0 uniform P, 1 cond, 2 a, 3 b (read), 4 out (rw); all ≥ n floats.
// Grid: ceil(n / 256) workgroups of 256 threads (2-D split, see common.wgsl).

struct P {
    n: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> cond: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = linear_group(wid, nwg) * 256u + lid;
    if i < p.n {
        out[i] = select(b[i], a[i], cond[i] != 0.0);
    }
}
