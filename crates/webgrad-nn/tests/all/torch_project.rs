//! The PyTorch project's text, golden: `train.py` for two experiments is compared with
//! `tests/golden/torch/*.py` (reviewed by hand; `WEBGRAD_BLESS=1` rewrites them after a
//! deliberate change). `webgrad-cli/tests/all/export_torch.rs` compiles the scripts with Python and,
//! with PyTorch at hand, runs them against webgrad's losses.

use std::io::Read;
use std::path::Path;

use webgrad_data::{Cursor, Dataset, Standardizer, Targets};
use webgrad_nn::torch_project::{self, ProjectData, TrainingSettings};
use webgrad_nn::{
    ActivationName, Head, Init, LayerConfig, Loss, MlpConfig, ModelFile, OptimizerConfig, Preprocessing, Schedule,
    TrainConfig,
};

fn golden(name: &str, text: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/golden/torch").join(name);
    if std::env::var("WEBGRAD_BLESS").is_ok() {
        std::fs::write(&path, text).unwrap();
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (WEBGRAD_BLESS=1 writes it)", path.display()));
    assert!(
        want == text,
        "{name} differs from {} (WEBGRAD_BLESS=1 rewrites it after a deliberate change)",
        path.display()
    );
}

fn layer(width: usize, activation: ActivationName, dropout: f32) -> LayerConfig {
    LayerConfig { width, activation, dropout }
}

#[test]
fn mnist_adam_checkpoint() {
    let model = MlpConfig {
        input: 784,
        hidden: vec![layer(128, ActivationName::Relu, 0.2), layer(64, ActivationName::Relu, 0.0)],
        head: Head::Softmax { classes: 10 },
        init: Init::GlorotUniform,
    };
    let pre = Preprocessing { scale: Some(1.0 / 255.0), ..Preprocessing::default() };
    let file = ModelFile::new(&model, (0..10).map(|d| d.to_string()).collect(), pre, "mnist");
    let settings = TrainingSettings {
        optimizer: OptimizerConfig::Adam { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.0 },
        schedule: Schedule::Constant,
        clip_grad_norm: None,
        optimizer_step: 250,
        train: TrainConfig::new(64, 5, 1, Loss::CrossEntropy { label_smoothing: 0.0 }),
        cursor: Cursor { epoch: 2, step: 0 },
        recorded: true,
    };
    let files = webgrad_data::MNIST_FILES.map(|n| (n.to_string(), vec![1u8, 2, 3]));
    let data = ProjectData::Idx { files };
    golden("mnist_adam.py", &torch_project::train_py(&file, &settings, &data));

    // the whole project, zipped: every file under one folder, bytes intact
    let listed = torch_project::files(&file, b"weights".to_vec(), &settings, &data).unwrap();
    let names: Vec<&str> = listed.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names[..4], ["train.py", "model.json", "weights.safetensors", "README.md"]);
    assert_eq!(names.len(), 8);
    let zipped = torch_project::zip(&listed, "webgrad-mnist").unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zipped)).unwrap();
    assert_eq!(archive.len(), 8);
    for (name, bytes) in &listed {
        let mut entry = archive.by_name(&format!("webgrad-mnist/{name}")).unwrap();
        let mut back = Vec::new();
        entry.read_to_end(&mut back).unwrap();
        assert_eq!(&back, bytes, "{name}");
    }
    let readme = String::from_utf8(listed[3].1.clone()).unwrap();
    assert!(readme.contains("after 250 optimizer steps"), "{readme}");
    // the README's PyTorch line comes from the architecture, not the file's own `torch` text
    let forged = ModelFile { torch: "\u{1b}]8;;https://x\u{7}`\n# forged".into(), ..file.clone() };
    let listed = torch_project::files(&forged, b"weights".to_vec(), &settings, &data).unwrap();
    let readme = String::from_utf8(listed[3].1.clone()).unwrap();
    assert!(!readme.contains("forged") && !readme.contains('\u{1b}'), "{readme}");
    assert!(readme.contains(&format!("`{}`", model.torch_expression())), "{readme}");
    // nor does model.json carry it (its README recipe used to `eval` that text), and a file read
    // back has the architecture's expression whatever text it brought
    let json = String::from_utf8(listed[1].1.clone()).unwrap();
    assert!(!json.contains("forged"), "{json}");
    let mut hostile: serde_json::Value = serde_json::from_str(&json).unwrap();
    hostile["torch"] = "__import__('os').system('echo owned') or nn.Sequential()".into();
    let read = ModelFile::from_json(&hostile.to_string(), "hostile.json").unwrap();
    assert_eq!(read.torch, model.torch_expression());
}

#[test]
fn regression_points_with_every_setting() {
    let model = MlpConfig {
        input: 3,
        hidden: vec![layer(8, ActivationName::Tanh, 0.0), layer(4, ActivationName::Gelu, 0.0)],
        head: Head::Linear { outputs: 2 },
        init: Init::HeUniform,
    };
    let pre = Preprocessing {
        input_features: Some(vec!["x1".into(), "x1sq".into(), "sinx2".into()]),
        standardize: Some(Standardizer { mean: vec![0.0, 1.0, 0.5], std: vec![1.0, 2.0, 0.25] }),
        target_standardize: Some(Standardizer { mean: vec![3.0, -1.0], std: vec![2.0, 0.5] }),
        ..Preprocessing::default()
    };
    let file = ModelFile::new(&model, Vec::new(), pre, "waves.csv --label a,b");
    let mut train = TrainConfig::new(16, 30, 7, Loss::Huber { delta: 0.5 });
    (train.l1, train.l2, train.shuffle) = (1e-4, 0.01, true);
    let settings = TrainingSettings {
        optimizer: OptimizerConfig::RmsProp {
            lr: 0.004,
            alpha: 0.95,
            eps: 1e-7,
            momentum: 0.5,
            centered: true,
            weight_decay: 0.001,
        },
        schedule: Schedule::Cosine { warmup_steps: 20, warmup_start_factor: 0.1, total_steps: 600, min_lr: 1e-5 },
        clip_grad_norm: Some(2.5),
        optimizer_step: 0,
        train,
        cursor: Cursor::default(),
        recorded: true,
    };
    let rows = |n: usize| Dataset {
        name: "waves".into(),
        features: (0..n * 3).map(|i| i as f32 * 0.1).collect(),
        n,
        d: 3,
        targets: Targets::Regression { values: (0..n * 2).map(|i| i as f32).collect(), outputs: 2 },
        image_shape: None,
    };
    let (tr, te) = (rows(5), rows(2));
    let data =
        ProjectData::Splits { train: &tr, test: &te, train_targets_standardized: true, label: Some("a,b".into()) };
    golden("regression_rmsprop.py", &torch_project::train_py(&file, &settings, &data));
    let listed = torch_project::files(&file, Vec::new(), &settings, &data).unwrap();
    let names: Vec<&str> = listed.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names[4..], ["data/train_x.npy", "data/train_y.npy", "data/test_x.npy", "data/test_y.npy"]);

    // a dataset name from a link or someone's checkpoint stays inside a string literal: Python
    // ends a line at \r as well as at \n
    let hostile = ModelFile { dataset: "x.csv\rimport os; os.system('rm -rf ~')\n#".into(), ..file };
    let script = torch_project::train_py(&hostile, &settings, &data);
    assert!(script.contains(r#"DATASET = "x.csv\rimport os; os.system('rm -rf ~')\n#""#), "{script}");
    assert!(!script.lines().any(|l| l.trim_start().starts_with("import os; os.system")));
    assert!(!script.contains('\r'));
}
