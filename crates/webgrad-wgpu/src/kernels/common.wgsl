// common.wgsl — prepended to every kernel (WGSL has no includes). Pure functions only: no
// bindings live here, so each kernel's auto layout holds exactly its own bindings.

// Linear index of this workgroup in a 1-D launch that the host split into a 2-D grid
// (x ≤ 65,535 per dimension). Kernels return early when it is past their last group.
fn linear_group(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return wid.y * nwg.x + wid.x;
}

// inf and NaN come from a `var`, never from a constant: WGSL evaluates `bitcast<f32>(0x7f800000u)`
// at shader-creation time, and a const-expression that is not a finite f32 is a shader-creation
// error. Naga (native) accepts it; Tint (Chrome) rejects the whole module, so every kernel that
// includes this file failed to compile in the browser.
fn f32_inf() -> f32 {
    var bits = 0x7f800000u;
    return bitcast<f32>(bits);
}

fn f32_nan() -> f32 {
    var bits = 0x7fc00000u;
    return bitcast<f32>(bits);
}

// erf by Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7), odd-extended.
fn erf_approx(x: f32) -> f32 {
    let z = abs(x);
    let t = 1.0 / (1.0 + 0.3275911 * z);
    let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    let r = 1.0 - poly * exp(-z * z);
    return select(-r, r, x >= 0.0);
}

// tanh without overflow for large |x|; a Taylor series near 0 keeps small values accurate.
fn tanh_stable(x: f32) -> f32 {
    let z = abs(x);
    if z < 0.125 {
        let z2 = x * x;
        return x * (1.0 + z2 * (-1.0 / 3.0 + z2 * (2.0 / 15.0 + z2 * (-17.0 / 315.0))));
    }
    let e = exp(-2.0 * z);
    let t = (1.0 - e) / (1.0 + e);
    return select(-t, t, x >= 0.0);
}

// Activation codes, as the host's `act_code`: 0 identity, 1 relu, 2 leaky relu (slope `alpha`),
// 3 sigmoid, 4 tanh, 5 gelu (exact erf form, PyTorch's default).
fn activate(code: u32, alpha: f32, x: f32) -> f32 {
    switch code {
        case 1u: { return max(x, 0.0); }
        case 2u: { return select(alpha * x, x, x > 0.0); }
        case 3u: { return 1.0 / (1.0 + exp(-x)); }
        case 4u: { return tanh_stable(x); }
        case 5u: { return 0.5 * x * (1.0 + erf_approx(x * 0.70710678118654752)); }
        default: { return x; }
    }
}

// d act(x)/dx given x and y = act(x) (the same rules as the CPU's `activation_grad`).
fn activate_grad(code: u32, alpha: f32, x: f32, y: f32) -> f32 {
    switch code {
        case 1u: { return select(0.0, 1.0, x > 0.0); }
        case 2u: { return select(alpha, 1.0, x > 0.0); }
        case 3u: { return y * (1.0 - y); }
        case 4u: { return 1.0 - y * y; }
        case 5u: {
            return 0.5 * (1.0 + erf_approx(x * 0.70710678118654752)) + x * 0.3989422804014327 * exp(-0.5 * x * x);
        }
        default: { return 1.0; }
    }
}

// x^p with the C/Rust `powf` rules that matter here: p = 0 → 1; x = 0 → 0 or inf; x < 0 gives a
// real result only for integer p (sign from its parity), NaN otherwise.
fn powf(x: f32, p: f32) -> f32 {
    if p == 0.0 {
        return 1.0;
    }
    if x == 0.0 {
        return select(f32_inf(), 0.0, p > 0.0);
    }
    let m = pow(abs(x), p);
    if x > 0.0 {
        return m;
    }
    if fract(p) != 0.0 {
        return f32_nan();
    }
    let odd = abs(p) % 2.0 == 1.0;
    return select(m, -m, odd);
}
