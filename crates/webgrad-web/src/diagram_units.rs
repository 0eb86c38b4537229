//! Which units the network diagram shows when a layer is too wide to draw whole (computed by
//! the worker), and where it draws them (the page: nodes, and which link a pointer is on).
//! Plain Rust, so it is tested natively.

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

/// Where the diagram draws its nodes on a `width` × `height` canvas (pixels), with `shown[l]`
/// units drawn in layer l (input first): one column per layer between the margins (the left
/// one holds the inputs' names), nodes centred
/// on the middle line at a fixed spacing.
/// The diagram's margins, in canvas pixels.
pub const LEFT: f64 = 48.0;
pub const RIGHT: f64 = 30.0;

#[derive(Clone, Debug, PartialEq)]
pub struct Geometry {
    pub width: f64,
    pub height: f64,
    pub shown: Vec<usize>,
}

impl Geometry {
    /// The centre of shown unit `i` of layer `l`.
    pub fn node(&self, l: usize, i: usize) -> (f64, f64) {
        let columns = self.shown.len();
        let x = LEFT + (self.width - LEFT - RIGHT) * l as f64 / columns.saturating_sub(1).max(1) as f64;
        let n = self.shown.get(l).copied().unwrap_or(0) as f64;
        let y = self.height / 2.0 + (i as f64 - (n - 1.0) / 2.0) * ((self.height - 40.0) / DIAGRAM_MAX_UNITS as f64);
        (x, y)
    }

    /// The link nearest (x, y) within `reach` pixels of its line, as (l, o, i): from shown unit
    /// i of layer l to shown unit o of layer l + 1 (a link's weight is `layers[l][o·shown[l] + i]`).
    pub fn link_at(&self, x: f64, y: f64, reach: f64) -> Option<(usize, usize, usize)> {
        let mut best: Option<(f64, (usize, usize, usize))> = None;
        for l in 0..self.shown.len().saturating_sub(1) {
            for o in 0..self.shown[l + 1] {
                for i in 0..self.shown[l] {
                    let d = distance_to_segment((x, y), self.node(l, i), self.node(l + 1, o));
                    if d <= reach && best.is_none_or(|(b, _)| d < b) {
                        best = Some((d, (l, o, i)));
                    }
                }
            }
        }
        best.map(|(_, link)| link)
    }
}

/// Distance from p to the segment a–b.
fn distance_to_segment(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 { (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
    let (cx, cy) = (a.0 + t * dx, a.1 + t * dy);
    ((p.0 - cx).powi(2) + (p.1 - cy).powi(2)).sqrt()
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

    #[test]
    fn a_point_on_a_link_finds_that_link_and_a_point_far_from_all_finds_none() {
        let g = Geometry { width: 300.0, height: 220.0, shown: vec![2, 3, 1] };
        assert_eq!(g.node(0, 0).0, LEFT);
        assert_eq!(g.node(2, 0), (270.0, 110.0));
        // the middle of each link, and a point 2 px off it, find it
        for (l, o, i) in [(0, 0, 0), (0, 2, 1), (1, 0, 2), (1, 0, 0)] {
            let (a, b) = (g.node(l, i), g.node(l + 1, o));
            let mid = ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0 + 2.0);
            assert_eq!(g.link_at(mid.0, mid.1, 4.0), Some((l, o, i)), "link {l} {o} {i}");
        }
        assert_eq!(g.link_at(150.0, 5.0, 4.0), None);
        assert_eq!(distance_to_segment((5.0, 0.0), (0.0, 0.0), (0.0, 0.0)), 5.0);
    }
}
