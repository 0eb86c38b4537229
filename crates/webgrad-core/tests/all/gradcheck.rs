//! Finite-difference check of every differentiable op. `OpKind::ALL` lists them and
//! `gradcheck::cases` matches exhaustively, so a new op cannot land without a check.

use webgrad_core::OpKind;
use webgrad_core::dual_test;
use webgrad_core::gradcheck;

dual_test! {
    async fn every_op_has_a_passing_gradcheck() {
        let device = webgrad_core::cpu();
        let mut failures = Vec::new();
        for kind in OpKind::ALL {
            let cases = gradcheck::cases(kind, &device);
            assert!(!cases.is_empty(), "{kind:?} has no gradcheck case");
            for c in cases {
                let r = gradcheck::run(&c, &device, 42).await.unwrap();
                assert!(r.elements > 0, "{}: checked nothing", r.name);
                if !r.ok {
                    failures.push(format!("{}: max abs err {:.2e}, max rel err {:.2e}", r.name, r.max_abs_err, r.max_rel_err));
                }
            }
        }
        assert!(failures.is_empty(), "gradcheck failures:\n{}", failures.join("\n"));
    }
}
