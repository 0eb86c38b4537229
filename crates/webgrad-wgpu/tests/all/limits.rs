//! A GPU's own limits (`max_buffer_size`, the storage-binding size) are checked before a model
//! is built on it: a model or batch whose largest buffer would not fit one buffer is refused
//! with the sizes named (the CLI then says to use the CPU; the page trains on the CPU), never an
//! assert inside the backend.

use std::rc::Rc;

use crate::common::*;
use webgrad_core::{Device, dual_test};
use webgrad_nn::{ActivationName, Head, Init, LayerConfig, MlpConfig};

dual_test! {
    async fn a_model_larger_than_one_gpu_buffer_is_refused_with_the_sizes() {
        let Some(gpu) = gpu().await else { return };
        let gpu: Device = Rc::new(gpu);
        let limit = gpu.max_buffer_bytes().expect("a GPU names its buffer limit");
        let layer = LayerConfig { width: 1024, activation: ActivationName::Relu, dropout: 0.0 };
        let config = MlpConfig { input: 16, hidden: vec![layer], head: Head::Softmax { classes: 10 }, init: Init::GlorotUniform };
        // a batch whose activations through the 1024-wide layer need just more than one buffer
        let batch = usize::try_from(limit / 4 / 1024 + 1).unwrap();
        let err = config.check_device(&gpu, batch).unwrap_err();
        assert!(err.starts_with("the model's largest buffer needs "), "{err}");
        assert!(err.contains(&format!("; the limit is {}", webgrad_core::budget::format_bytes(limit))), "{err}");
        assert!(config.check_device(&gpu, 64).is_ok());
        // the CPU has no per-buffer limit (the memory budget bounds it)
        assert!(config.check_device(&webgrad_core::cpu(), batch).is_ok());
    }
}
