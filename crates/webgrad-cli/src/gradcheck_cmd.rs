//! `webgrad gradcheck`: the finite-difference check of every op, as a table.

use webgrad_core::gradcheck::{self, ATOL, RTOL};

use crate::CliResult;

pub fn run() -> CliResult<()> {
    let device = webgrad_core::cpu();
    let reports = pollster::block_on(gradcheck::run_all(&device)).map_err(|e| e.to_string())?;
    println!(
        "central differences (h = 1e-2, loss summed in f64) vs autograd; pass: |err| ≤ {ATOL} + {RTOL}·|numeric|\n"
    );
    println!("{:<16} {:<32} {:>8} {:>12} {:>12}  result", "op", "case", "elements", "max abs err", "max rel err");
    let mut failed = 0;
    for (kind, r) in &reports {
        println!(
            "{:<16} {:<32} {:>8} {:>12.2e} {:>12.2e}  {}",
            format!("{kind:?}"),
            r.name,
            r.elements,
            r.max_abs_err,
            r.max_rel_err,
            if r.ok { "ok" } else { "FAIL" }
        );
        failed += usize::from(!r.ok);
    }
    println!("\n{} cases, {} failed", reports.len(), failed);
    if failed > 0 {
        return Err(format!("{failed} gradient checks failed"));
    }
    Ok(())
}
