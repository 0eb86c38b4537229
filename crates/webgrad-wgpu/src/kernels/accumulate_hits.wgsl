// accumulate_hits.wgsl — in place: acc[0] += the number of rows r < n of logits [n, c] whose
// label's logit is the row's maximum: logits[r, labels[r]] >= logits[r, j] for every j (an exact
// tie counts; a label >= c never does). The training step's accuracy, summed on the device.
// Bindings: 0 uniform P, 1 logits (read, n·c floats), 2 labels (read, n u32), 3 acc (rw, ≥ 1).
// Grid: one workgroup of one invocation, rows in order: a batch is at most a few thousand rows,
// and one dispatch costs less than a reduction tree's passes (above all on a CPU adapter).

struct P {
    n: u32,
    c: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> acc: array<f32>;

@compute @workgroup_size(1)
fn main() {
    var hits = 0u;
    for (var r = 0u; r < p.n; r = r + 1u) {
        let l = labels[r];
        if l < p.c {
            let row = r * p.c;
            let mine = logits[row + l];
            var best = true;
            for (var j = 0u; j < p.c; j = j + 1u) {
                // `!(mine >= x)` so that a NaN anywhere in the row is a miss
                if !(mine >= logits[row + j]) {
                    best = false;
                }
            }
            hits = hits + select(0u, 1u, best);
        }
    }
    acc[0] = acc[0] + f32(hits);
}
