//! Which units the network diagram shows when a layer is too wide to draw whole (computed by
//! the worker; plain Rust, so it is tested natively).

use crate::protocol::DIAGRAM_MAX_UNITS;

/// The units the diagram shows per layer: all when the layer has at most DIAGRAM_MAX_UNITS,
/// else the DIAGRAM_MAX_UNITS whose outgoing weights have the largest L2 norm, in index order
/// (the output layer has no outgoing weights: its first units). `weights[l]` is [sizes[l+1], sizes[l]].
pub fn choose(sizes: &[usize], weights: &[Vec<f32>]) -> Vec<Vec<usize>> {
    sizes
        .iter()
        .enumerate()
        .map(|(l, &n)| {
            if n <= DIAGRAM_MAX_UNITS || l + 1 == sizes.len() {
                return (0..n.min(DIAGRAM_MAX_UNITS)).collect();
            }
            let w = &weights[l];
            let norm = |i: usize| (0..sizes[l + 1]).map(|o| w[o * n + i].powi(2)).sum::<f32>();
            let mut by_norm: Vec<(f32, usize)> = (0..n).map(|i| (norm(i), i)).collect();
            by_norm.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let mut top: Vec<usize> = by_norm[..DIAGRAM_MAX_UNITS].iter().map(|&(_, i)| i).collect();
            top.sort_unstable();
            top
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_layers_show_their_most_connected_units_in_order() {
        // 20 inputs → 3 hidden → 2 outputs; input i's outgoing weights are all i (so 4..20 win)
        let sizes = [20, 3, 2];
        let w0: Vec<f32> = (0..3).flat_map(|_| (0..20).map(|i| i as f32)).collect();
        let w1 = vec![1.0; 6];
        let units = choose(&sizes, &[w0, w1]);
        assert_eq!(units[0], (4..20).collect::<Vec<_>>());
        assert_eq!(units[1], vec![0, 1, 2]);
        assert_eq!(units[2], vec![0, 1]);
        // a wide output layer shows its first units
        let units = choose(&[2, 40], &[vec![0.5; 80]]);
        assert_eq!(units[1], (0..DIAGRAM_MAX_UNITS).collect::<Vec<_>>());
    }
}
