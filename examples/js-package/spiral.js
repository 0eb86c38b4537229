// TensorFlow Playground's two-arm spiral: `n` points (half per class) with uniform noise, from a
// seeded generator so every run sees the same data. Returns { x: Float32Array [n, 2], y: Uint8Array [n] }.
export function spiral(n, noise, seed) {
  let s = seed >>> 0;
  const random = () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const x = new Float32Array(n * 2);
  const y = new Uint8Array(n);
  const half = Math.floor(n / 2);
  for (let i = 0; i < n; i++) {
    const label = i < half ? 1 : 0;
    const k = i % half;
    const r = (k / half) * 5;
    const t = (1.75 * k / half) * 2 * Math.PI + (label ? 0 : Math.PI);
    x[2 * i] = r * Math.sin(t) + (random() * 2 - 1) * noise * 5;
    x[2 * i + 1] = r * Math.cos(t) + (random() * 2 - 1) * noise * 5;
    y[i] = label;
  }
  return { x, y };
}

/** Rows of (x, y) shuffled with `seed`, then cut: the first `1 - testShare` to train, the rest to test. */
export function split({ x, y }, testShare, seed) {
  const n = y.length;
  const order = Array.from({ length: n }, (_, i) => i);
  let s = seed;
  for (let i = n - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const cut = Math.round(n * (1 - testShare));
  const take = (rows) => ({
    x: Float32Array.from(rows.flatMap((r) => [x[2 * r], x[2 * r + 1]])),
    y: Uint8Array.from(rows.map((r) => y[r])),
  });
  return { train: take(order.slice(0, cut)), test: take(order.slice(cut)) };
}
