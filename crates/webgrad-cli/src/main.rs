//! `webgrad` — train, evaluate and gradient-check MLPs from a terminal, on the same crates as
//! the web app. Every user error ends as one line on stderr and exit code 1 (2 for bad flags).

mod args;
mod atomic;
mod data;
mod devices_cmd;
mod eval_cmd;
mod export_cmd;
mod gradcheck_cmd;
mod report;
mod train_cmd;
mod watch;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "webgrad",
    version,
    about = "Train, evaluate and check small neural networks (the native side of the webgrad playground)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Memory that a model, its training state and a data set may use, in GB; whatever would
    /// not fit is refused before it is allocated [default: 3/4 of this machine's memory]
    #[arg(long, global = true, value_name = "GB")]
    memory_limit: Option<f64>,
    /// CPU threads for the large matrix products, 0 for one per core (results are the same
    /// bits for any count) [default: one per core]
    #[arg(long, global = true, value_name = "N")]
    threads: Option<usize>,
}

#[derive(Subcommand)]
enum Command {
    /// Train an MLP and evaluate it on the test split.
    // `--lr -1` reaches the flag's own check ("learning rate -1 must be a positive number")
    // instead of clap's "unexpected argument '-1'"
    #[command(allow_negative_numbers = true)]
    Train(Box<args::TrainArgs>),
    /// Evaluate a saved model: metrics table and confusion matrix.
    #[command(allow_negative_numbers = true)]
    Eval(Box<eval_cmd::EvalArgs>),
    /// Write a PyTorch project (train.py, the weights, model.json, the data, a README) that
    /// continues training the model: `python train.py` or `torchrun --nproc-per-node N train.py`.
    ExportTorch(Box<export_cmd::ExportArgs>),
    /// List where this machine can train: the CPU kernel and every GPU adapter wgpu finds,
    /// with its limits.
    Devices,
    /// Finite-difference check of every differentiable op, as a table.
    Gradcheck,
}

/// A user-facing failure: printed as one line.
pub type CliResult<T> = Result<T, String>;

/// A panic is a bug, not a user error: report it in one line. A closed stdout (`webgrad … | head`)
/// ends the program quietly, as SIGPIPE would.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.contains("Broken pipe") {
            std::process::exit(141);
        }
        let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        eprintln!("webgrad: internal error{at}: {msg} (please report this)");
    }));
}

fn main() -> ExitCode {
    install_panic_hook();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help / --version
            print!("{e}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let rendered = e.render().to_string();
            let line = rendered.lines().find(|l| !l.trim().is_empty()).unwrap_or("invalid arguments");
            eprintln!("webgrad: {}", line.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    if let Some(gb) = cli.memory_limit {
        if !(gb > 0.0 && gb.is_finite()) {
            eprintln!("webgrad: error: --memory-limit {gb} must be a positive number of GB");
            return ExitCode::from(2);
        }
        webgrad_core::budget::set_limit((gb * 1e9).max(1.0) as u64);
    }
    if let Err(e) = webgrad_core::cpu::threads::init(cli.threads) {
        eprintln!("webgrad: error: --threads: {e}");
        return ExitCode::from(2);
    }
    // on a thread of the pool, so that the GEMMs split from it never wait for a thread to wake
    let result = webgrad_core::cpu::threads::install(|| match cli.command {
        Command::Train(a) => train_cmd::run(*a),
        Command::Eval(a) => eval_cmd::run(*a),
        Command::ExportTorch(a) => export_cmd::run(*a),
        Command::Devices => devices_cmd::run(),
        Command::Gradcheck => gradcheck_cmd::run(),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("webgrad: error: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// The `--backend` choice (`BackendChoice`'s spelling: cpu, gpu — or wgpu); the CLI trains on
/// the CPU unless told otherwise, and leaves `auto` to the page, which measures its adapter.
pub fn backend_choice(backend: Option<&str>) -> CliResult<webgrad_nn::BackendChoice> {
    match webgrad_nn::BackendChoice::parse(backend.unwrap_or("cpu")).map_err(|e| format!("--backend: {e}"))? {
        webgrad_nn::BackendChoice::Auto => Err("--backend auto is the page's choice; give cpu or gpu".into()),
        choice => Ok(choice),
    }
}

/// The device named by `--backend`: `cpu` (SIMD) or `gpu` (wgpu on Vulkan/Metal/DX12).
pub fn device(backend: Option<&str>) -> CliResult<webgrad_core::Device> {
    match backend_choice(backend)? {
        webgrad_nn::BackendChoice::Gpu => pollster::block_on(webgrad_wgpu::WgpuBackend::device())
            .map_err(|e| format!("--backend gpu: {e} (use --backend cpu to train on the CPU)")),
        _ => Ok(webgrad_core::cpu()),
    }
}
