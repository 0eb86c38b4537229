//! Tape semantics: accumulation, zeroing, no_grad, reuse of a tensor, detach.

use webgrad_core::dual_test;
use webgrad_core::{Tensor, no_grad};

dual_test! {
    async fn gradients_accumulate_until_zeroed() {
        let d = webgrad_core::cpu();
        let x = Tensor::parameter(&d, &[1.0, 2.0, 3.0], &[3]).unwrap();
        // d/dx Σ x² = 2x; a tensor used twice gets both contributions
        x.mul(&x).sum().backward();
        assert_eq!(x.grad().unwrap().to_vec().await.unwrap(), vec![2.0, 4.0, 6.0]);
        x.mul(&x).sum().backward();
        assert_eq!(x.grad().unwrap().to_vec().await.unwrap(), vec![4.0, 8.0, 12.0]);
        x.zero_grad();
        assert!(x.grad().is_none());
    }

    async fn no_grad_records_nothing_and_detach_cuts_the_graph() {
        let d = webgrad_core::cpu();
        let x = Tensor::parameter(&d, &[1.0, -2.0], &[2]).unwrap();
        let y = no_grad(|| x.mul(&x).sum());
        assert!(!y.requires_grad());
        let z = x.detach().mul(&x).sum();
        z.backward();
        // only the non-detached factor contributes: d/dx (c·x) = c
        assert_eq!(x.grad().unwrap().to_vec().await.unwrap(), vec![1.0, -2.0]);
    }

    async fn deep_chain_does_not_overflow_the_stack() {
        let d = webgrad_core::cpu();
        let x = Tensor::parameter(&d, &[0.5], &[1]).unwrap();
        let mut y = x.clone();
        for _ in 0..20_000 {
            y = y.affine(1.0, 0.0);
        }
        y.sum().backward();
        assert_eq!(x.grad().unwrap().to_vec().await.unwrap(), vec![1.0]);
    }

    async fn bad_shapes_are_errors_not_panics_at_construction() {
        let d = webgrad_core::cpu();
        assert!(Tensor::from_slice(&d, &[1.0, 2.0], &[3]).is_err());
        let t = Tensor::zeros(&d, &[2]);
        assert!(t.assign(&[1.0]).is_err());
    }
}
