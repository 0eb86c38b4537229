//! JavaScript arguments into Rust values, each mistake named ("fit: x must be a Float32Array
//! (got undefined)", "spec.hidden[1] is 16.5: give a whole number"). Nothing here throws: a
//! JavaScript exception thrown through a method would leave wasm-bindgen's borrow of the model
//! held, and the object unusable, so every value is checked before it is converted.

use js_sys::{
    Array, ArrayBuffer, BigInt64Array, BigUint64Array, DataView, Float32Array, Float64Array, Object, Reflect,
};
use wasm_bindgen::{JsCast, JsValue};
use webgrad_core::budget;

/// What a key of a plain-object argument must hold.
#[derive(Clone, Copy)]
pub enum Kind {
    /// a whole number from 0 to 2³² − 1 (a width, a count)
    Count,
    /// a whole number from 0 to 2⁵³ − 1 (a seed)
    Seed,
    /// an array of whole numbers ≥ 0
    Counts,
    /// any finite or infinite number (its range is checked later, with the setting's meaning)
    Number,
    Text,
    Bool,
    Function,
    /// an `AbortSignal` (an object whose `aborted` is true or false)
    Signal,
}

/// A value as a message quotes it: JSON where it has one (`16.5`, `"relu"`, `[1,2]`), else its
/// type (`undefined`, `a function`, `a bigint`).
pub fn describe(value: &JsValue) -> String {
    if value.is_undefined() {
        return "undefined".into();
    }
    if value.is_function() {
        return "a function".into();
    }
    if value.is_bigint() {
        return "a bigint".into();
    }
    if let Some(v) = value.as_f64() {
        // JavaScript's own spelling: NaN, Infinity, 1e+30 (JSON would say null)
        return js_sys::Number::from(v).to_string_with_radix(10).map(String::from).unwrap_or_else(|_| v.to_string());
    }
    if let Some(name) = typed_array_name(value) {
        return format!("a {name}");
    }
    if let Some(items) = value.dyn_ref::<Array>().filter(|a| a.length() > 16) {
        // a large array is not stringified (30 million items took 19 s and 360 MB)
        return format!("an Array of {} items", items.length());
    }
    match js_sys::JSON::stringify(value).ok().and_then(|s| s.as_string()) {
        Some(json) if json.chars().count() <= 40 => json,
        Some(json) => format!("{}…", json.chars().take(40).collect::<String>()),
        None => value.js_typeof().as_string().unwrap_or_else(|| "a value".into()),
    }
}

/// The constructor name of a typed array or DataView (`Float64Array`), if `value` is one.
fn typed_array_name(value: &JsValue) -> Option<String> {
    if !ArrayBuffer::is_view(value) {
        return None;
    }
    let ctor = Reflect::get(value, &"constructor".into()).ok()?;
    Reflect::get(&ctor, &"name".into()).ok()?.as_string()
}

fn whole(v: f64) -> bool {
    v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= 9_007_199_254_740_991.0
}

fn check_kind(value: &JsValue, kind: Kind, name: &str) -> Result<(), String> {
    let wrong = |what: &str| Err(format!("{name} is {}: give {what}", describe(value)));
    match kind {
        Kind::Count if value.as_f64().is_some_and(|v| whole(v) && v <= f64::from(u32::MAX)) => Ok(()),
        Kind::Count => wrong("a whole number from 0 to 4294967295"),
        Kind::Seed if value.as_f64().is_some_and(whole) => Ok(()),
        Kind::Seed => wrong("a whole number ≥ 0"),
        Kind::Counts => {
            let Some(items) = value.dyn_ref::<Array>() else { return wrong("an array of whole numbers") };
            // a model has at most 32 hidden layers (checked again when it is built): a long array
            // is refused before its items are read
            let most = webgrad_nn::config::MAX_HIDDEN_LAYERS;
            if items.length() as usize > most {
                return Err(format!("{name} has {} items: a model has at most {most} hidden layers", items.length()));
            }
            (0..items.length()).try_for_each(|i| {
                let item = Reflect::get(items, &i.into()).map_err(|_| format!("{name}[{i}] could not be read"))?;
                check_kind(&item, Kind::Count, &format!("{name}[{i}]"))
            })
        }
        Kind::Number if value.as_f64().is_some() => Ok(()),
        Kind::Number => wrong("a number"),
        Kind::Text if value.is_string() => Ok(()),
        Kind::Text => wrong("a string"),
        Kind::Bool if value.as_bool().is_some() => Ok(()),
        Kind::Bool => wrong("true or false"),
        Kind::Function if value.is_function() => Ok(()),
        Kind::Function => wrong("a function"),
        Kind::Signal
            if value.is_object() && Reflect::get(value, &"aborted".into()).is_ok_and(|a| a.as_bool().is_some()) =>
        {
            Ok(())
        }
        Kind::Signal => wrong("an AbortSignal"),
    }
}

/// A copy of the plain object `value` (named `what` in messages) holding its keys whose value
/// is not `undefined` (TypeScript's optional properties may be `undefined`): each must be one
/// of `known` and of its kind. `None` and `null` read as an empty object.
pub fn plain(value: &JsValue, what: &str, known: &[(&str, Kind)]) -> Result<Object, String> {
    let out = Object::new();
    if value.is_undefined() || value.is_null() {
        return Ok(out);
    }
    if !value.is_object() || value.is_function() || Array::is_array(value) || ArrayBuffer::is_view(value) {
        return Err(format!("{what} is {}: give an object", describe(value)));
    }
    let keys = Object::keys(value.unchecked_ref::<Object>());
    for key in keys.iter() {
        let name = key.as_string().unwrap_or_default();
        let Some(&(_, kind)) = known.iter().find(|(k, _)| *k == name) else {
            let names: Vec<&str> = known.iter().map(|(k, _)| *k).collect();
            return Err(format!("{what}.{name} is not a setting (the settings are {})", names.join(", ")));
        };
        let v = Reflect::get(value, &key).map_err(|_| format!("{what}.{name} could not be read"))?;
        if v.is_undefined() {
            continue;
        }
        check_kind(&v, kind, &format!("{what}.{name}"))?;
        Reflect::set(&out, &key, &v).map_err(|_| format!("{what}: could not copy {name}"))?;
    }
    Ok(out)
}

/// The rows of `x`: a `Float32Array` (rows × inputs, row-major) whose copy fits the memory
/// budget.
pub fn float_rows(x: &JsValue, what: &str) -> Result<Vec<f32>, String> {
    // is_view is false for a Proxy, whose length getter would throw through the module
    let Some(array) = x.dyn_ref::<Float32Array>().filter(|_| ArrayBuffer::is_view(x)) else {
        return Err(format!("{what}: x must be a Float32Array of rows × inputs (got {})", describe(x)));
    };
    // a detached array reads as empty (copying from it would throw through the module)
    if array.length() == 0 {
        return Ok(Vec::new());
    }
    copy_fits(&format!("{what}: x"), budget::product(&[4, u64::from(array.length())]))?;
    Ok(array.to_vec())
}

/// Ok when a copy of `bytes` into wasm memory fits the budget, one allocation, and what the
/// models and data alive leave free.
pub fn copy_fits(subject: &str, bytes: u64) -> Result<(), String> {
    budget::check(subject, bytes, " as a copy in wasm memory")?;
    budget::check_allocation(subject, bytes)?;
    crate::memory::check_free(subject, bytes)
}

/// The numbers of `y`: an array of numbers or a typed array of numbers (not BigInt), as f64.
pub fn numbers(y: &JsValue, what: &str) -> Result<Vec<f64>, String> {
    let fits = |n: u32| copy_fits(&format!("{what}: y"), budget::product(&[8, u64::from(n)]));
    if let Some(items) = y.dyn_ref::<Array>() {
        // read through Reflect: a Proxy's length trap may throw
        let length = Reflect::get(items, &"length".into()).ok().and_then(|l| l.as_f64());
        let length = length.filter(|&n| n >= 0.0 && n <= f64::from(u32::MAX)).map(|n| n as u32);
        let length = length.ok_or_else(|| format!("{what}: y's length could not be read"))?;
        fits(length)?;
        return (0..length)
            .map(|i| {
                // Reflect.get catches what a getter throws (Array.get would throw through the module)
                let v = Reflect::get(items, &i.into()).map_err(|_| format!("{what}: y[{i}] could not be read"))?;
                v.as_f64().ok_or_else(|| format!("{what}: y[{i}] is {}, not a number", describe(&v)))
            })
            .collect();
    }
    if y.is_instance_of::<BigInt64Array>() || y.is_instance_of::<BigUint64Array>() {
        return Err(format!("{what}: y is {}: give numbers, not BigInts", describe(y)));
    }
    if !ArrayBuffer::is_view(y) || y.is_instance_of::<DataView>() {
        return Err(format!("{what}: y must be an array or a typed array of numbers (got {})", describe(y)));
    }
    let length = Reflect::get(y, &"length".into()).ok().and_then(|l| l.as_f64()).unwrap_or(0.0);
    // a detached array reads as empty (copying from it would throw through the module)
    if length == 0.0 {
        return Ok(Vec::new());
    }
    // the copy's own length, not what a `length` property says
    let copy = Float64Array::new(y);
    fits(copy.length())?;
    Ok(copy.to_vec())
}

/// The bytes of a file: a `Uint8Array` or an `ArrayBuffer`.
pub fn file_bytes(value: &JsValue, what: &str) -> Result<Vec<u8>, String> {
    let bytes = if let Some(bytes) = value.dyn_ref::<js_sys::Uint8Array>() {
        Some(bytes.clone())
    } else {
        value.dyn_ref::<ArrayBuffer>().map(|b| js_sys::Uint8Array::new(b))
    };
    if let Some(bytes) = bytes {
        // a detached buffer reads as empty, which the safetensors parser refuses
        if bytes.length() == 0 {
            return Ok(Vec::new());
        }
        copy_fits(&format!("{what}: the file"), u64::from(bytes.length()))?;
        return Ok(bytes.to_vec());
    }
    Err(format!("{what}: give the file's bytes as a Uint8Array or an ArrayBuffer (got {})", describe(value)))
}
