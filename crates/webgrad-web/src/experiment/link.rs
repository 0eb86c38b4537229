//! The link codec's pieces: a fragment's `key=value&…` pairs, percent-encoding, numbers and
//! per-layer lists, and the missing-values policy's words.

use webgrad_data::MissingPolicy;

/// A link's fragment as `key=value&…` pairs (the first of a repeated key counts; keys the
/// experiment does not know are ignored: the page's display options travel in the same fragment).
pub(crate) struct Query<'a>(pub(super) Vec<(&'a str, &'a str)>);

impl<'a> Query<'a> {
    pub(crate) fn parse(query: &'a str) -> Query<'a> {
        Query(
            query
                .trim_start_matches('#')
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|p| p.split_once('=').unwrap_or((p, "")))
                .collect(),
        )
    }

    pub(crate) fn get(&self, key: &str) -> Option<&'a str> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}

/// A number parameter, or an error naming the key and the value.
pub(super) fn num<T: std::str::FromStr>(key: &str, v: &str) -> Result<T, String> {
    v.parse().map_err(|_| format!("link parameter {key}='{v}' is not a valid number"))
}

/// One value when all are equal, else all of them, comma-separated ("" for none).
pub(super) fn per_layer(values: impl Iterator<Item = String>) -> String {
    let values: Vec<String> = values.collect();
    match values.first() {
        Some(first) if values.iter().all(|v| v == first) => first.clone(),
        _ => values.join(","),
    }
}

/// Undoes `per_layer`: `layers` values from one (shared by every layer) or one per layer.
pub(super) fn spread<'a>(key: &str, v: &'a str, layers: usize) -> Result<Vec<&'a str>, String> {
    let values: Vec<&str> = v.split(',').collect();
    match values.len() {
        1 => Ok(vec![values[0]; layers]),
        n if n == layers => Ok(values),
        n => Err(format!("link parameter {key}='{v}' has {n} values for {layers} hidden layers")),
    }
}

/// Percent-encodes what would break a URL fragment's `key=value&…` form.
pub(super) fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' | b':' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Undoes `encode` for link parameter `key`: a `%` with two hex digits is that byte, any other
/// `%` stays as it is; bytes that are not UTF-8 once decoded are an error (replacing them would
/// fetch another URL than the link names).
pub(super) fn decode(key: &str, s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        // two hex digits (from_str_radix alone also takes a sign: "%+A" was a newline)
        let hex = match bytes.get(i + 1..i + 3) {
            Some(&[h, l]) if bytes[i] == b'%' && h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                u8::from_str_radix(std::str::from_utf8(&[h, l]).unwrap_or("zz"), 16).ok()
            }
            _ => None,
        };
        match hex {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| format!("link parameter {key} is not UTF-8 text once its %-escapes are decoded"))
}

/// A missing-values policy's word, in links and as the "Missing values" control's value.
pub(crate) fn missing_word(missing: MissingPolicy) -> &'static str {
    match missing {
        MissingPolicy::Error => "refuse",
        MissingPolicy::DropRow => "drop",
        MissingPolicy::FillMean => "mean",
    }
}

/// A link's `&missing=` part: nothing for the default (refuse a table with missing cells).
pub(super) fn missing_part(missing: MissingPolicy) -> String {
    match missing {
        MissingPolicy::Error => String::new(),
        other => format!("&missing={}", missing_word(other)),
    }
}

/// The policy of a word `missing_word` gives (the CLI's `error` too).
pub(crate) fn missing_policy(v: &str) -> Result<MissingPolicy, String> {
    match v {
        "refuse" | "error" => Ok(MissingPolicy::Error),
        "drop" => Ok(MissingPolicy::DropRow),
        "mean" => Ok(MissingPolicy::FillMean),
        _ => Err(format!("link parameter missing='{v}' is not refuse, drop or mean")),
    }
}
