//! Health monitors on the GPU: the same hand count as the CPU's (`webgrad-nn/tests/all/monitor_case`),
//! every figure summed by WGSL kernels, and a recovery after a layer's output overflows, bit for
//! bit back to the weights the run started from.
#![cfg(not(target_arch = "wasm32"))]

#[path = "../../../webgrad-nn/tests/all/monitor_case/mod.rs"]
mod monitor_case;

use crate::common::*;

#[test]
fn monitors_match_a_hand_count_on_the_gpu() {
    pollster::block_on(async {
        let Some(device) = gpu_device().await else { return };
        let r = monitor_case::hand_count(&device).await;
        println!("{r:?}");
    });
}

/// A layer's output overflows at the first step: named, and the weights the run started from
/// kept, bit for bit.
#[test]
fn a_layer_whose_output_overflows_is_named_on_the_gpu() {
    pollster::block_on(async {
        let Some(device) = gpu_device().await else { return };
        let (t, data) = monitor_case::diverging(&device);
        monitor_case::overflow_layer_2(&t);
        let mut start = Vec::new();
        for p in t.model.parameters() {
            start.push(p.to_vec().await.unwrap());
        }
        let (_, t) = monitor_case::overflow(t, &data).await;
        for (p, want) in t.model.parameters().iter().zip(&start) {
            let got = p.to_vec().await.unwrap();
            assert!(got.iter().zip(want).all(|(a, b)| a.to_bits() == b.to_bits()), "not the starting weights");
        }
    });
}

/// A run that diverges at step 22, noticed late: recovered to the state from before step 21, bit
/// for bit the state of a run that stopped there (replays on the GPU reproduce the steps).
#[test]
fn a_divergence_is_recovered_on_the_gpu() {
    pollster::block_on(async {
        let Some(device) = gpu_device().await else { return };
        let (_, mut t, mut reference, mut m, data) = monitor_case::divergence(&device).await;
        monitor_case::trains_on_alike(&mut t, &mut reference, &mut m, &data).await;
    });
}
