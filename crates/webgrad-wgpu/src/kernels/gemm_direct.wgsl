// gemm_direct.wgsl — C[m, n] = act(op(A)[m, k] · op(B)[k, n] + bias[n]) with no shared memory,
// for CPU adapters (SwiftShader, lavapipe). Same operands, flags, parameters and bindings as
// gemm.wgsl: op(A) = A [m, k], or stored [k, m] when TRANS_A; op(B) = B [k, n], or stored [n, k]
// when TRANS_B; the epilogue adds bias[n] when HAS_BIAS and applies ACT (slope `alpha`).
// Bindings: 0 uniform P, 1 A, 2 B, 3 bias (read; a spare 1-float buffer without bias), 4 C (rw).
// Grid: one workgroup of LANES = 16 invocations per tile of C, tiles_m·tiles_n tiles flattened
// row-major and split into a 2-D grid. The lanes stand LANES_N along n (8 columns each) by
// LANES / LANES_N along m (8 rows each): a tile is 8·LANES/LANES_N rows × 8·LANES_N columns, and
// the host picks LANES_N for n so that a narrow C (n = 10, 64) leaves few lanes idle. Invocation
// (lane_m, lane_n) keeps the 8 × 8 block at rows row0..row0+8, columns col0..col0+8 in 16 vec4
// registers and walks k reading A and B straight from the buffers, two k per loop trip (then
// the odd last one).
// Why: a CPU adapter runs an invocation's loads one lane at a time (SwiftShader: each storage or
// workgroup access is a per-lane gather), and a barrier switches coroutines, so the cost is the
// count of memory accesses per multiply-add: 8 + 8 per 64 here, against 8 shared reads per 16
// in gemm.wgsl plus its stores and barriers. Everything is written out unrolled: a private
// array indexed in a loop lives in memory on these compilers.
// Invariants: m, n ≥ 1 (the host dispatches nothing otherwise); rows and columns past the
// matrix read a clamped (valid) index and are never stored. Each C element sums k in order
// with one accumulator, as the CPU reference does.

override TRANS_A: bool = false;
override TRANS_B: bool = false;
// lanes of a workgroup along n: 1, 2, 4, 8 or 16 (the host's choice for n); the other
// LANES / LANES_N lanes go along m
override LANES_N: u32 = 16u;
// the epilogue, as overrides rather than the uniforms `act` and `has_bias` (which hold the same
// values, unused here): a software adapter runs every case of a switch on a runtime value under
// a lane mask, so each output paid for every activation (exp, erf); a constant leaves one
override ACT: u32 = 0u;
override HAS_BIAS: bool = false;

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

const LANES: u32 = 16u;

// A offset of row `row0 + i` (clamped into the matrix) at k = 0
fn row_at(row0: u32, i: u32) -> u32 {
    let row = min(row0 + i, p.m - 1u);
    return select(row * p.k, row, TRANS_A);
}

// B offset of column `col0 + j` (clamped into the matrix) at k = 0
fn col_at(col0: u32, j: u32) -> u32 {
    let col = min(col0 + j, p.n - 1u);
    return select(col, col * p.k, TRANS_B);
}

fn store(row: u32, col0: u32, v: vec4<f32>) {
    if row >= p.m {
        return;
    }
    for (var j = 0u; j < 4u; j++) {
        let col = col0 + j;
        if col < p.n {
            var x = v[j];
            if HAS_BIAS {
                x += bias[col];
            }
            c[row * p.n + col] = activate(ACT, p.alpha, x);
        }
    }
}

@compute @workgroup_size(16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let tile = linear_group(wid, nwg);
    if tile >= p.tiles {
        return;
    }
    // lanes side by side along n in rows of LANES_N; with LANES_N = LANES every lane has the
    // same rows, which a compiler can see (uniform A loads)
    let lane_m = select(lid / LANES_N, 0u, LANES_N == LANES);
    let lane_n = lid % LANES_N;
    let row0 = ((tile / p.tiles_n) * (LANES / LANES_N) + lane_m) * 8u;
    let col0 = ((tile % p.tiles_n) * LANES_N + lane_n) * 8u;
    let a0 = row_at(row0, 0u); let a1 = row_at(row0, 1u); let a2 = row_at(row0, 2u); let a3 = row_at(row0, 3u);
    let a4 = row_at(row0, 4u); let a5 = row_at(row0, 5u); let a6 = row_at(row0, 6u); let a7 = row_at(row0, 7u);
    let b0 = col_at(col0, 0u); let b1 = col_at(col0, 1u); let b2 = col_at(col0, 2u); let b3 = col_at(col0, 3u);
    let b4 = col_at(col0, 4u); let b5 = col_at(col0, 5u); let b6 = col_at(col0, 6u); let b7 = col_at(col0, 7u);
    let sa = select(1u, p.m, TRANS_A); // A stride along k
    let sb = select(p.n, 1u, TRANS_B); // B stride along k
    var c0l = vec4<f32>(0.0); var c0h = vec4<f32>(0.0); var c1l = vec4<f32>(0.0); var c1h = vec4<f32>(0.0);
    var c2l = vec4<f32>(0.0); var c2h = vec4<f32>(0.0); var c3l = vec4<f32>(0.0); var c3h = vec4<f32>(0.0);
    var c4l = vec4<f32>(0.0); var c4h = vec4<f32>(0.0); var c5l = vec4<f32>(0.0); var c5h = vec4<f32>(0.0);
    var c6l = vec4<f32>(0.0); var c6h = vec4<f32>(0.0); var c7l = vec4<f32>(0.0); var c7h = vec4<f32>(0.0);
    var ka = 0u;
    var kb = 0u;
    // two k per trip (the loop's own cost is not small on a software adapter), then the odd one
    var kk = 0u;
    for (; kk + 1u < p.k; kk += 2u) {
        {
            let bl = vec4<f32>(b[b0 + kb], b[b1 + kb], b[b2 + kb], b[b3 + kb]);
            let bh = vec4<f32>(b[b4 + kb], b[b5 + kb], b[b6 + kb], b[b7 + kb]);
            let x0 = a[a0 + ka]; let x1 = a[a1 + ka]; let x2 = a[a2 + ka]; let x3 = a[a3 + ka];
            let x4 = a[a4 + ka]; let x5 = a[a5 + ka]; let x6 = a[a6 + ka]; let x7 = a[a7 + ka];
            c0l += x0 * bl; c0h += x0 * bh;
            c1l += x1 * bl; c1h += x1 * bh;
            c2l += x2 * bl; c2h += x2 * bh;
            c3l += x3 * bl; c3h += x3 * bh;
            c4l += x4 * bl; c4h += x4 * bh;
            c5l += x5 * bl; c5h += x5 * bh;
            c6l += x6 * bl; c6h += x6 * bh;
            c7l += x7 * bl; c7h += x7 * bh;
            ka += sa;
            kb += sb;
        }
        {
            let bl = vec4<f32>(b[b0 + kb], b[b1 + kb], b[b2 + kb], b[b3 + kb]);
            let bh = vec4<f32>(b[b4 + kb], b[b5 + kb], b[b6 + kb], b[b7 + kb]);
            let x0 = a[a0 + ka]; let x1 = a[a1 + ka]; let x2 = a[a2 + ka]; let x3 = a[a3 + ka];
            let x4 = a[a4 + ka]; let x5 = a[a5 + ka]; let x6 = a[a6 + ka]; let x7 = a[a7 + ka];
            c0l += x0 * bl; c0h += x0 * bh;
            c1l += x1 * bl; c1h += x1 * bh;
            c2l += x2 * bl; c2h += x2 * bh;
            c3l += x3 * bl; c3h += x3 * bh;
            c4l += x4 * bl; c4h += x4 * bh;
            c5l += x5 * bl; c5h += x5 * bh;
            c6l += x6 * bl; c6h += x6 * bh;
            c7l += x7 * bl; c7h += x7 * bh;
            ka += sa;
            kb += sb;
        }
    }
    if kk < p.k {
        let bl = vec4<f32>(b[b0 + kb], b[b1 + kb], b[b2 + kb], b[b3 + kb]);
        let bh = vec4<f32>(b[b4 + kb], b[b5 + kb], b[b6 + kb], b[b7 + kb]);
        let x0 = a[a0 + ka]; let x1 = a[a1 + ka]; let x2 = a[a2 + ka]; let x3 = a[a3 + ka];
        let x4 = a[a4 + ka]; let x5 = a[a5 + ka]; let x6 = a[a6 + ka]; let x7 = a[a7 + ka];
        c0l += x0 * bl; c0h += x0 * bh;
        c1l += x1 * bl; c1h += x1 * bh;
        c2l += x2 * bl; c2h += x2 * bh;
        c3l += x3 * bl; c3h += x3 * bh;
        c4l += x4 * bl; c4h += x4 * bh;
        c5l += x5 * bl; c5h += x5 * bh;
        c6l += x6 * bl; c6h += x6 * bh;
        c7l += x7 * bl; c7h += x7 * bh;
        ka += sa;
        kb += sb;
    }
    store(row0, col0, c0l); store(row0, col0 + 4u, c0h);
    store(row0 + 1u, col0, c1l); store(row0 + 1u, col0 + 4u, c1h);
    store(row0 + 2u, col0, c2l); store(row0 + 2u, col0 + 4u, c2h);
    store(row0 + 3u, col0, c3l); store(row0 + 3u, col0 + 4u, c3h);
    store(row0 + 4u, col0, c4l); store(row0 + 4u, col0 + 4u, c4h);
    store(row0 + 5u, col0, c5l); store(row0 + 5u, col0 + 4u, c5h);
    store(row0 + 6u, col0, c6l); store(row0 + 6u, col0 + 4u, c6h);
    store(row0 + 7u, col0, c7l); store(row0 + 7u, col0 + 4u, c7h);
}
