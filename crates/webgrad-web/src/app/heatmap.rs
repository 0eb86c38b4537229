//! The colours of the page's heatmaps as RGBA bytes (no DOM, so tested natively): the
//! boundary's class-1 probability and each hidden unit's output share one scale,
//! orange → white → blue, as in TensorFlow Playground.

const ORANGE: [f32; 3] = [230.0, 159.0, 0.0];
const BLUE: [f32; 3] = [0.0, 114.0, 178.0];
/// A value that is not a number (a diverged model) is drawn grey, never as a colour of the scale.
const NOT_A_NUMBER: [u8; 3] = [128, 128, 128];

/// Colour of t in [0, 1]: 0 orange, 0.5 white, 1 blue (t outside is clamped).
pub fn shade(t: f32) -> [u8; 3] {
    if !t.is_finite() {
        return NOT_A_NUMBER;
    }
    let t = t.clamp(0.0, 1.0);
    let (end, a) = if t < 0.5 { (ORANGE, 1.0 - 2.0 * t) } else { (BLUE, 2.0 * t - 1.0) };
    let mix = |i: usize| (255.0 + (end[i] - 255.0) * a * 0.75).round() as u8;
    [mix(0), mix(1), mix(2)]
}

/// Values as opaque RGBA pixels through `to_unit` (value → [0, 1]).
pub fn rgba(values: &[f32], to_unit: impl Fn(f32) -> f32) -> Vec<u8> {
    values
        .iter()
        .flat_map(|&v| {
            let [r, g, b] = shade(to_unit(v));
            [r, g, b, 255]
        })
        .collect()
}

/// A unit's output map: −scale orange, 0 white, +scale blue.
pub fn signed_rgba(values: &[f32], scale: f32) -> Vec<u8> {
    rgba(values, |v| 0.5 + 0.5 * v / scale)
}

/// The largest |value| over a layer's maps (one scale per layer, so its units compare), at
/// least 1e-6 so a layer that outputs 0 everywhere stays white.
pub fn layer_scale(maps: &[Vec<f32>]) -> f32 {
    maps.iter().map(|m| scale(m)).fold(1e-6, f32::max)
}

/// The largest finite |value| of one map, at least 1e-6.
pub fn scale(values: &[f32]) -> f32 {
    values.iter().filter(|v| v.is_finite()).fold(1e-6, |m, v| m.max(v.abs()))
}

/// (smallest, largest) finite value of a map, or None when it has none.
pub fn range(values: &[f32]) -> Option<(f32, f32)> {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    finite.fold(None, |r, v| Some(r.map_or((v, v), |(lo, hi): (f32, f32)| (lo.min(v), hi.max(v)))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_runs_orange_white_blue() {
        assert_eq!(shade(0.5), [255, 255, 255]);
        assert_eq!(shade(0.0), [236, 183, 64]);
        assert_eq!(shade(1.0), [64, 149, 197]);
        assert_eq!(shade(f32::NAN), NOT_A_NUMBER);
    }

    #[test]
    fn a_units_map_is_signed_around_white() {
        let px = signed_rgba(&[-2.0, 0.0, 2.0, f32::INFINITY], 2.0);
        assert_eq!(px.len(), 16);
        assert_eq!(&px[0..4], &[236, 183, 64, 255]);
        assert_eq!(&px[4..8], &[255, 255, 255, 255]);
        assert_eq!(&px[8..12], &[64, 149, 197, 255]);
        assert_eq!(&px[12..15], &NOT_A_NUMBER);
    }

    #[test]
    fn a_layer_has_one_scale_and_a_dead_layer_stays_white() {
        assert_eq!(layer_scale(&[vec![0.5, -3.0], vec![1.0, f32::NAN]]), 3.0);
        assert_eq!(layer_scale(&[vec![0.0; 4]]), 1e-6);
        assert_eq!(&signed_rgba(&[0.0], layer_scale(&[vec![0.0]]))[..3], &[255, 255, 255]);
        assert_eq!(range(&[0.5, -1.0, f32::NAN, 2.0]), Some((-1.0, 2.0)));
        assert_eq!(range(&[f32::NAN]), None);
    }
}
