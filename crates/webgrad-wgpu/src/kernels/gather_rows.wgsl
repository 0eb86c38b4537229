// gather_rows.wgsl — out[r] = x[r, labels[r]] for x [n, classes]; 0 where labels[r] ≥ classes.
// Bindings: 0 uniform P, 1 x (read, n·classes floats), 2 labels (read, n u32), 3 out (rw, n).
// Grid: ceil(n / 256) workgroups of 256, one row each (2-D split).

struct P {
    n: u32,
    classes: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let r = linear_group(wid, nwg) * 256u + lid;
    if r < p.n {
        let l = labels[r];
        out[r] = select(0.0, x[r * p.classes + min(l, p.classes - 1u)], l < p.classes);
    }
}
