// one_hot.wgsl — out[r, j] = (labels[r] == j) as 0/1 for out [n, classes]; a label ≥ classes
// gives an all-zero row.
// Bindings: 0 uniform P, 1 labels (read, n u32), 2 out (rw, n·classes floats).
// Grid: ceil(n·classes / 256) workgroups of 256, one output each (2-D split).

struct P {
    n: u32,
    classes: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> labels: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = linear_group(wid, nwg) * 256u + lid;
    if i < p.n * p.classes {
        out[i] = select(0.0, 1.0, labels[i / p.classes] == i % p.classes);
    }
}
