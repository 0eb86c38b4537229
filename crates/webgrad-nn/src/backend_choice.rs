//! Which device trains, as people choose it: spelled `auto`, `gpu` and `cpu` everywhere (the
//! CLI's `--backend`, the page, links, saved experiments). `wgpu` and `webgpu`, the names of the
//! API in each place, are accepted as well.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendChoice {
    /// The page decides (software adapters and small models stay on the CPU).
    #[default]
    Auto,
    /// wgpu: WebGPU in the browser, Vulkan / Metal / DX12 natively.
    #[serde(alias = "webgpu", alias = "wgpu")]
    Gpu,
    /// The SIMD CPU backend.
    Cpu,
}

impl BackendChoice {
    pub const ALL: [BackendChoice; 3] = [BackendChoice::Auto, BackendChoice::Gpu, BackendChoice::Cpu];

    pub fn name(self) -> &'static str {
        match self {
            BackendChoice::Auto => "auto",
            BackendChoice::Gpu => "gpu",
            BackendChoice::Cpu => "cpu",
        }
    }

    pub fn parse(s: &str) -> Result<BackendChoice, String> {
        match s {
            "webgpu" | "wgpu" => Ok(BackendChoice::Gpu),
            _ => Self::ALL
                .into_iter()
                .find(|b| b.name() == s)
                .ok_or_else(|| format!("unknown backend '{s}' (expected auto, gpu or cpu)")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_spelling_with_the_api_names_accepted() {
        for b in BackendChoice::ALL {
            assert_eq!(BackendChoice::parse(b.name()), Ok(b));
            assert_eq!(serde_json::to_string(&b).unwrap(), format!("\"{}\"", b.name()));
        }
        for alias in ["webgpu", "wgpu"] {
            assert_eq!(BackendChoice::parse(alias), Ok(BackendChoice::Gpu));
            assert_eq!(serde_json::from_str::<BackendChoice>(&format!("\"{alias}\"")).unwrap(), BackendChoice::Gpu);
        }
        assert!(BackendChoice::parse("tpu").unwrap_err().contains("'tpu'"));
    }
}
