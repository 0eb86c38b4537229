// xent.wgsl — fused softmax cross-entropy forward with label smoothing ε, target
// t = (1 − ε)·onehot(label) + ε/c. Per row r of logits [n, c]:
//   probs[r] = softmax(logits[r]);  nll(j) = log Σ exp(x − max) − (x_j − max)
//   row_loss[r] = (1 − ε)·nll(label) + ε·mean_j nll(j)     (nll(label) = 0 when label ≥ c)
// (xent_mean.wgsl then averages row_loss into the 1-element loss).
// Bindings: 0 uniform P, 1 logits (read, n·c), 2 labels (read, n u32), 3 probs (rw, n·c),
// 4 row_loss (rw, n).
// Entry points:
//   `main`: one workgroup of 64 per row (2-D split); tree reductions for the max, Σ exp, Σ nll.
//   `serial`: one thread per row walks its c logits in order (for short rows: no barriers, which
//             a software adapter runs slowly). Grid: ceil(n / 64) groups of 64 (2-D split).

struct P {
    n: u32,
    c: u32,
    eps: f32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> probs: array<f32>;
@group(0) @binding(4) var<storage, read_write> row_loss: array<f32>;

var<workgroup> partial: array<f32, 64>;

// Tree-combines `partial` (64 values, max or sum); every thread gets the result.
fn tree(use_max: bool, lid: u32) -> f32 {
    workgroupBarrier();
    for (var s = 32u; s > 0u; s >>= 1u) {
        if lid < s {
            if use_max {
                partial[lid] = max(partial[lid], partial[lid + s]);
            } else {
                partial[lid] += partial[lid + s];
            }
        }
        workgroupBarrier();
    }
    let r = partial[0];
    workgroupBarrier();
    return r;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let r = linear_group(wid, nwg);
    if r >= p.n {
        return;
    }
    let base = r * p.c;
    var m = -f32_inf();
    for (var j = lid; j < p.c; j += 64u) {
        m = max(m, logits[base + j]);
    }
    partial[lid] = m;
    let row_max = tree(true, lid);
    var s = 0.0;
    for (var j = lid; j < p.c; j += 64u) {
        s += exp(logits[base + j] - row_max);
    }
    partial[lid] = s;
    let total = tree(false, lid);
    let log_sum = log(total);
    var nll_sum = 0.0;
    for (var j = lid; j < p.c; j += 64u) {
        let x = logits[base + j];
        probs[base + j] = exp(x - row_max) / total;
        nll_sum += log_sum - (x - row_max);
    }
    partial[lid] = nll_sum;
    let all_nll = tree(false, lid);
    if lid == 0u {
        let label = labels[r];
        var hard = 0.0;
        if label < p.c {
            hard = log_sum - (logits[base + label] - row_max);
        }
        row_loss[r] = (1.0 - p.eps) * hard + p.eps * (all_nll / f32(p.c));
    }
}

@compute @workgroup_size(64)
fn serial(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
    let r = linear_group(wid, nwg) * 64u + lid;
    if r >= p.n {
        return;
    }
    let base = r * p.c;
    var row_max = -f32_inf();
    for (var j = 0u; j < p.c; j++) {
        row_max = max(row_max, logits[base + j]);
    }
    var total = 0.0;
    for (var j = 0u; j < p.c; j++) {
        total += exp(logits[base + j] - row_max);
    }
    let log_sum = log(total);
    var all_nll = 0.0;
    for (var j = 0u; j < p.c; j++) {
        let x = logits[base + j];
        probs[base + j] = exp(x - row_max) / total;
        all_nll += log_sum - (x - row_max);
    }
    let label = labels[r];
    var hard = 0.0;
    if label < p.c {
        hard = log_sum - (logits[base + label] - row_max);
    }
    row_loss[r] = (1.0 - p.eps) * hard + p.eps * (all_nll / f32(p.c));
}
