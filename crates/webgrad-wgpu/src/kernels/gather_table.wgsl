// gather_table.wgsl — out[i, j] = table[rows[start[0] + i], j] for i < n, j < width, the
// table viewed as [table_rows, width]; 0 where start[0] + i is past the rows list or the row
// number past the table. Elements move as bits, so one kernel serves f32 and u32 tables.
// Bindings: 0 uniform P, 1 table (read, table_rows·width words), 2 rows (read, rows_len u32),
// 3 start (read, 1 u32: the offset, rewritten between replays), 4 out (rw, n·width words).
// Grid: ceil(n·width / 256) workgroups of 256, one element each (2-D split).

struct P {
    n: u32,
    width: u32,
    table_rows: u32,
    rows_len: u32,
}

@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> table: array<u32>;
@group(0) @binding(2) var<storage, read> rows: array<u32>;
@group(0) @binding(3) var<storage, read> start: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let e = linear_group(wid, nwg) * 256u + lid;
    if e >= p.n * p.width {
        return;
    }
    let i = e / p.width;
    let k = start[0] + i;
    var v = 0u;
    // k < start[0] catches a wrapped sum
    if k >= start[0] && k < p.rows_len {
        let r = rows[k];
        if r < p.table_rows {
            v = table[r * p.width + e % p.width];
        }
    }
    out[e] = v;
}
