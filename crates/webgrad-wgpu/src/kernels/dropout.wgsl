// dropout.wgsl — inverted-dropout multiplier: out[i] = 0 if u(seed, i) < p else keep (= 1/(1−p),
// computed in f32 on the host). u is webgrad_core::rng::hash_uniform, reproduced here in u32
// arithmetic only, so the mask is bit-identical to the CPU's.
// Bindings: 0 uniform P, 1 out (rw, n floats).
// Grid: ceil(n / 256) workgroups of 256, one element each (2-D split).

struct P {
    n: u32,
    seed: u32,
    p: f32,
    keep: f32,
}

@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

// PCG hash (Jarzynski & Olano 2020), as rng::hash_u32 (u32 arithmetic wraps in WGSL).
fn hash_u32(v: u32) -> u32 {
    let state = v * 747796405u + 2891336453u;
    let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
    return (word >> 22u) ^ word;
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = linear_group(wid, nwg) * 256u + lid;
    if i < p.n {
        // 24 random bits scaled by 2^-24: exact in f32, as on the CPU
        let u = f32(hash_u32(i ^ hash_u32(p.seed)) >> 8u) * (1.0 / 16777216.0);
        out[i] = select(p.keep, 0.0, u < p.p);
    }
}
