//! A digit drawn on a canvas → a 28×28 MNIST-style image, the way the MNIST digits were made:
//! crop to the ink, scale the longer side to 20 pixels (keeping the aspect ratio), and place it
//! in a 28×28 field so that its centre of mass sits at the centre (LeCun et al.).

/// `ink` is one byte per canvas pixel (0 = background, 255 = full ink), `[height, width]`
/// row-major. Returns 784 values in [0, 1], or `None` when nothing is drawn.
pub fn mnist_from_drawing(ink: &[u8], width: usize, height: usize) -> Option<Vec<f32>> {
    assert_eq!(ink.len(), width * height, "ink buffer does not match {width}×{height}");
    let (mut x0, mut x1, mut y0, mut y1) = (usize::MAX, 0, usize::MAX, 0);
    for y in 0..height {
        for x in 0..width {
            if ink[y * width + x] > 0 {
                (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
            }
        }
    }
    if x0 > x1 {
        return None;
    }
    let (bw, bh) = (x1 - x0 + 1, y1 - y0 + 1);
    let scale = 20.0 / bw.max(bh) as f32;
    let (sw, sh) = (((bw as f32 * scale).round() as usize).max(1), ((bh as f32 * scale).round() as usize).max(1));
    // area-average the box into sw×sh
    let mut small = vec![0.0f32; sw * sh];
    for sy in 0..sh {
        for sx in 0..sw {
            let (ya, yb) = (y0 + sy * bh / sh, y0 + ((sy + 1) * bh / sh).max(sy * bh / sh + 1));
            let (xa, xb) = (x0 + sx * bw / sw, x0 + ((sx + 1) * bw / sw).max(sx * bw / sw + 1));
            let (mut sum, mut count) = (0.0f32, 0.0f32);
            for y in ya..yb.min(y1 + 1) {
                for x in xa..xb.min(x1 + 1) {
                    sum += ink[y * width + x] as f32 / 255.0;
                    count += 1.0;
                }
            }
            small[sy * sw + sx] = if count > 0.0 { sum / count } else { 0.0 };
        }
    }
    // centre of mass of the scaled digit → shift so it lands at (14, 14)
    let total: f32 = small.iter().sum();
    let (mut cx, mut cy) = (0.0f32, 0.0f32);
    for sy in 0..sh {
        for sx in 0..sw {
            cx += sx as f32 * small[sy * sw + sx];
            cy += sy as f32 * small[sy * sw + sx];
        }
    }
    let (cx, cy) = (cx / total.max(1e-6), cy / total.max(1e-6));
    let (ox, oy) = ((14.0 - cx).round() as isize, (14.0 - cy).round() as isize);
    let mut out = vec![0.0f32; 28 * 28];
    for sy in 0..sh {
        for sx in 0..sw {
            let (tx, ty) = (sx as isize + ox, sy as isize + oy);
            if (0..28).contains(&tx) && (0..28).contains(&ty) {
                out[ty as usize * 28 + tx as usize] = small[sy * sw + sx].min(1.0);
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drawn_bar_is_scaled_and_centred() {
        // a vertical bar, 40 px tall and 8 px wide, near the top-left of a 100×100 canvas
        let (w, h) = (100, 100);
        let mut ink = vec![0u8; w * h];
        for y in 5..45 {
            for x in 10..18 {
                ink[y * w + x] = 255;
            }
        }
        let img = mnist_from_drawing(&ink, w, h).unwrap();
        let rows: Vec<usize> = (0..28).filter(|&y| (0..28).any(|x| img[y * 28 + x] > 0.5)).collect();
        let cols: Vec<usize> = (0..28).filter(|&x| (0..28).any(|y| img[y * 28 + x] > 0.5)).collect();
        assert_eq!(rows.len(), 20, "the long side becomes 20 px");
        assert_eq!(cols.len(), 4, "the aspect ratio is kept");
        let mid = |v: &[usize]| (v[0] + v[v.len() - 1]) as f32 / 2.0;
        assert!((mid(&rows) - 13.5).abs() <= 1.0 && (mid(&cols) - 13.5).abs() <= 1.0, "centred: {rows:?} {cols:?}");
        assert!(mnist_from_drawing(&vec![0; w * h], w, h).is_none());
    }
}
