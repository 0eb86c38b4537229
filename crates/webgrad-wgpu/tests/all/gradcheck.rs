//! Slice 3b: every gradient rule of `webgrad_core::gradcheck` (central differences against
//! autograd) run on the GPU device, so each kernel's backward path is exercised through
//! `Tensor` and autograd. Tolerances are gradcheck's own (`gradcheck::ATOL`, `RTOL`: 3e-4 + 1e-3·|numeric|, justified there).

use crate::common::*;
use webgrad_core::{OpKind, dual_test, gradcheck};

dual_test! {
    async fn every_op_has_a_passing_gradcheck_on_the_gpu() {
        let Some(device) = gpu_device().await else { return };
        let reports = gradcheck::run_all(&device).await.expect("gradcheck ran");
        for kind in OpKind::ALL {
            assert!(reports.iter().any(|(k, _)| *k == kind), "{kind:?} was not checked");
        }
        let mut failures = Vec::new();
        for (_, r) in &reports {
            assert!(r.elements > 0, "{}: checked nothing", r.name);
            let line = format!("{}: max abs err {:.2e}, max rel err {:.2e}", r.name, r.max_abs_err, r.max_rel_err);
            println!("{line}");
            if !r.ok {
                failures.push(line);
            }
        }
        assert!(failures.is_empty(), "gradcheck failures on {}:\n{}", device.name(), failures.join("\n"));
    }
}
