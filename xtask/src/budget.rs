//! The line budget `cargo xtask test` checks first (and `cargo xtask budget` alone): no Rust
//! source file under `crates/`, `xtask/` or `tests/` over `MAX_FILE_LINES` lines, and no
//! function over `MAX_FN_LINES`.
//!
//! Functions are found by a line scanner, not a parser; it relies on rustfmt's layout:
//! - a function starts on a line that, after its indentation, reads `fn ` behind any of the
//!   qualifiers `pub`, `pub(…)`, `const`, `async`, `unsafe`, `extern "…"`;
//! - it ends at the first later line with the same indentation that starts with `}` (rustfmt
//!   puts a body's closing brace under its `fn`), or on its own line when that line also closes
//!   the body (`fn id(x: u32) -> u32 { x }`);
//! - a signature that reaches a `;` at its own indentation before any `{` is a declaration
//!   without a body (a trait method) and is skipped.
//!
//! A function's length counts every line from its `fn` line to its closing brace, both
//! included, comments and blank lines too. Nested functions count for themselves and, as lines,
//! for the function around them. Lines inside string literals are read like code; in this tree
//! that only happens in the scanner's own tests.

use std::path::{Path, PathBuf};

/// Lines one source file may have.
pub const MAX_FILE_LINES: usize = 700;
/// Lines one function may have, from its `fn` line to its closing brace.
pub const MAX_FN_LINES: usize = 120;
/// The folders whose `*.rs` files the budget covers, relative to the workspace root.
const ROOTS: [&str; 3] = ["crates", "xtask", "tests"];

/// One function the scanner found: its name, 1-based first line and length in lines.
#[derive(Debug, PartialEq, Eq)]
pub struct Function {
    pub name: String,
    pub line: usize,
    pub lines: usize,
}

/// Checks every source file under `ROOTS`; the error names each file and function over budget
/// as `path:line` with its length.
pub fn check(root: &Path) -> Result<(), String> {
    let mut files = Vec::new();
    for dir in ROOTS {
        rust_files(&root.join(dir), &mut files)?;
    }
    files.sort();
    let mut over = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).map_err(|e| format!("line budget: {}: {e}", path.display()))?;
        let shown = path.strip_prefix(root).unwrap_or(path).display();
        let lines = text.lines().count();
        if lines > MAX_FILE_LINES {
            over.push(format!("{shown}:1: the file has {lines} lines (at most {MAX_FILE_LINES})"));
        }
        for f in functions(&text).into_iter().filter(|f| f.lines > MAX_FN_LINES) {
            over.push(format!("{shown}:{}: fn {} has {} lines (at most {MAX_FN_LINES})", f.line, f.name, f.lines));
        }
    }
    let roots: Vec<String> = ROOTS.iter().map(|r| format!("{r}/")).collect();
    println!("line budget: {} Rust files under {}", files.len(), roots.join(", "));
    if over.is_empty() {
        return Ok(());
    }
    for o in &over {
        eprintln!("{o}");
    }
    Err(format!("line budget: {} over (split the file or extract helpers)", over.len()))
}

/// Every `*.rs` file below `dir`, skipping build output (`target`), `node_modules` and hidden
/// folders.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("line budget: {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| format!("line budget: {}: {e}", dir.display()))?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if path.is_dir() {
            if !(name.starts_with('.') || name == "target" || name == "node_modules") {
                rust_files(&path, out)?;
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// The functions of one file, in order (see the module header for the heuristic).
pub fn functions(text: &str) -> Vec<Function> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(name) = fn_name(line) else { continue };
        let indent = indentation(line);
        if let Some(end) = body_end(&lines, i, indent) {
            found.push(Function { name: name.to_string(), line: i + 1, lines: end - i + 1 });
        }
    }
    found
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The name of the function that `line` starts, if it starts one.
fn fn_name(line: &str) -> Option<&str> {
    let mut rest = line.trim_start();
    loop {
        if let Some(r) = rest.strip_prefix("fn ") {
            let end = r.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(r.len());
            return (end > 0).then(|| &r[..end]);
        }
        rest = if let Some(r) = rest.strip_prefix("pub(") {
            r.split_once(')')?.1.trim_start()
        } else if let Some(r) = rest.strip_prefix("extern \"") {
            r.split_once('"')?.1.trim_start()
        } else {
            let word = ["pub ", "const ", "async ", "unsafe "].into_iter().find(|w| rest.starts_with(w))?;
            rest[word.len()..].trim_start()
        };
    }
}

/// The index of the line that closes the function starting at `start`; `None` for a
/// declaration without a body.
fn body_end(lines: &[&str], start: usize, indent: usize) -> Option<usize> {
    let first = lines[start].trim_end();
    if first.contains('{') {
        if first.ends_with('}') {
            return Some(start);
        }
    } else if first.ends_with(';') {
        return None;
    }
    let mut opened = first.contains('{');
    for (j, line) in lines.iter().enumerate().skip(start + 1) {
        let text = line.trim();
        if text.is_empty() || indentation(line) != indent {
            opened |= text.ends_with('{');
            continue;
        }
        if text.starts_with('}') {
            return Some(j);
        }
        // the end of a signature laid out over several lines (`) -> T {`, `where` … `{`, or `);`)
        if text.ends_with('{') {
            opened = true;
        } else if text.ends_with(';') && !opened {
            return None;
        }
    }
    Some(lines.len() - 1)
}

#[cfg(test)]
mod tests {
    use super::{Function, functions};

    fn f(name: &str, line: usize, lines: usize) -> Function {
        Function { name: name.into(), line, lines }
    }

    #[test]
    fn finds_bodies_by_their_closing_brace() {
        let src = "\
pub(crate) async fn a(x: u32) -> u32 {
    let s = format!(\"{{\");
    x
}

impl T {
    fn one(&self) -> u32 { 1 }

    pub unsafe fn long(
        &self,
        a: u32,
    ) -> u32 {
        a
    }
}
";
        assert_eq!(functions(src), vec![f("a", 1, 4), f("one", 7, 1), f("long", 9, 6)]);
    }

    #[test]
    fn skips_declarations_and_counts_nested_functions() {
        let src = "\
trait T {
    fn short(&self);
    fn wide(
        &self,
        a: u32,
    ) -> u32;
    fn provided(&self) {
        fn inner() {
            body();
        }
        inner();
    }
}
extern \"C\" fn c() {
}
";
        assert_eq!(functions(src), vec![f("provided", 7, 6), f("inner", 8, 3), f("c", 14, 2)]);
    }

    #[test]
    fn where_clauses_and_non_functions() {
        let src = "\
fn g<T>(t: T) -> T
where
    T: Copy,
{
    t
}
// fn not_code() {
let fnord = 1;
";
        assert_eq!(functions(src), vec![f("g", 1, 6)]);
    }
}
