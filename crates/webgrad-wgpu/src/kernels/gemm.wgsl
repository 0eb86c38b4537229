// gemm.wgsl — C[m, n] = act(op(A)[m, k] · op(B)[k, n] + bias[n]).
// op(A) = A stored [m, k], or [k, m] when TRANS_A; op(B) = B stored [k, n], or [n, k] when
// TRANS_B (PyTorch's Linear weight). `has_bias` and `act` (common.wgsl `activate` code, leaky
// slope `alpha`) form the fused epilogue. The transpose flags are overrides (they shape the tile
// loads), so each (TRANS_A, TRANS_B) is its own specialised pipeline; the epilogue is chosen by
// uniforms, as in the other kernels: it runs once per output, and specialising it too made 12×
// as many pipelines, each about 0.6 s to compile on a software adapter (SwiftShader).
// Bindings: 0 uniform P, 1 A, 2 B, 3 bias (read; a spare 1-float buffer without bias), 4 C (rw).
// Grid: one workgroup of 256 threads per 64×64 tile of C, tiles_m·tiles_n tiles flattened
// row-major and split into a 2-D grid. k is walked 16 at a time through shared tiles
// As[16][64] and Bs[16][64] (k-major); thread (ty, tx) of the 16×16 layout keeps a 4×4 block of
// C in registers: rows ty + 16r, cols tx + 16c (strided, so shared reads of Bs and the writes
// of C are consecutive across tx). Each C element sums k in order, as the CPU reference does.

override TRANS_A: bool = false;
override TRANS_B: bool = false;

struct P {
    m: u32,
    k: u32,
    n: u32,
    tiles_n: u32,
    tiles: u32,
    alpha: f32,
    act: u32,
    has_bias: u32,
}

@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

const TILE: u32 = 64u;
const TK: u32 = 16u;

var<workgroup> As: array<f32, 1024>; // [TK][TILE]: As[kk * 64 + row]
var<workgroup> Bs: array<f32, 1024>; // [TK][TILE]: Bs[kk * 64 + col]

// op(A)[row, kk], 0 outside the matrix
fn load_a(row: u32, kk: u32) -> f32 {
    if row >= p.m || kk >= p.k {
        return 0.0;
    }
    if TRANS_A {
        return a[kk * p.m + row];
    }
    return a[row * p.k + kk];
}

// op(B)[kk, col], 0 outside the matrix
fn load_b(kk: u32, col: u32) -> f32 {
    if kk >= p.k || col >= p.n {
        return 0.0;
    }
    if TRANS_B {
        return b[col * p.k + kk];
    }
    return b[kk * p.n + col];
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let tile = linear_group(wid, nwg);
    if tile >= p.tiles {
        return;
    }
    let row0 = (tile / p.tiles_n) * TILE;
    let col0 = (tile % p.tiles_n) * TILE;
    let ty = lid / 16u;
    let tx = lid % 16u;
    var acc = array<vec4<f32>, 4>(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
    for (var k0 = 0u; k0 < p.k; k0 += TK) {
        // 1024 elements per tile, 4 per thread; the fast-moving index follows the stored
        // layout so global reads are consecutive across threads
        for (var j = 0u; j < 4u; j++) {
            let e = lid + 256u * j;
            if TRANS_A {
                As[(e / TILE) * TILE + e % TILE] = load_a(row0 + e % TILE, k0 + e / TILE);
            } else {
                As[(e % TK) * TILE + e / TK] = load_a(row0 + e / TK, k0 + e % TK);
            }
            if TRANS_B {
                Bs[(e % TK) * TILE + e / TK] = load_b(k0 + e % TK, col0 + e / TK);
            } else {
                Bs[(e / TILE) * TILE + e % TILE] = load_b(k0 + e / TILE, col0 + e % TILE);
            }
        }
        workgroupBarrier();
        // the last k block may be partial: its padding is all zeros, so stopping at k changes
        // no sum, and saves 15/16 of the work when k = 1 (on a software GPU that matters)
        let kn = min(TK, p.k - k0);
        for (var kk = 0u; kk < kn; kk++) {
            let bv = vec4<f32>(Bs[kk * TILE + tx], Bs[kk * TILE + tx + 16u], Bs[kk * TILE + tx + 32u],
                               Bs[kk * TILE + tx + 48u]);
            for (var r = 0u; r < 4u; r++) {
                acc[r] += As[kk * TILE + ty + 16u * r] * bv;
            }
        }
        workgroupBarrier();
    }
    for (var r = 0u; r < 4u; r++) {
        let row = row0 + ty + 16u * r;
        for (var cc = 0u; cc < 4u; cc++) {
            let col = col0 + tx + 16u * cc;
            if row < p.m && col < p.n {
                var v = acc[r][cc];
                if p.has_bias != 0u {
                    v += bias[col];
                }
                c[row * p.n + col] = activate(p.act, p.alpha, v);
            }
        }
    }
}
