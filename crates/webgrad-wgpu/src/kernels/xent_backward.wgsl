// xent_backward.wgsl — d loss / d logits = g·(probs − t)/n, t = (1 − ε)·onehot + ε/c, for
// probs [n, c]; g is read from its 1-element buffer (the upstream gradient stays on the device).
// Bindings: 0 uniform P, 1 probs (read, n·c), 2 labels (read, n u32), 3 g (read, 1), 4 out (rw).
// Grid: ceil(n·c / 256) workgroups of 256, one element each (2-D split).

struct P {
    n: u32,
    c: u32,
    eps: f32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> probs: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read> g: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = linear_group(wid, nwg) * 256u + lid;
    if i >= p.n * p.c {
        return;
    }
    // the same f32 expressions as the CPU backend's softmax_xent_backward
    let scale = g[0] / f32(p.n);
    let off = p.eps / f32(p.c);
    let target_p = select(off, 1.0 - p.eps + off, labels[i / p.c] == i % p.c);
    out[i] = (probs[i] - target_p) * scale;
}
