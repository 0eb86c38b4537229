//! The byte level: RFC 4180 fields from `csv-core`, where each field starts (line, quoted or
//! not), delimiter and header detection; complete rows go to [`super::columns::Builder`].

use super::columns::{Builder, is_missing, is_number, trim};
use super::{CsvOptions, HEADER_SNIFF_ROWS, LabelColumn, MAX_FIELD_BYTES, SNIFF_LINE_BYTES, Table};
use crate::error::{DataError, Result};
use crate::parser::{ChunkParser, Guarded, Progress, check_spent, push_guarded};

/// Parses one CSV/TSV file in chunks; see the module docs. Output: [`Table`].
pub struct CsvParser {
    src: String,
    opts: CsvOptions,
    /// Bytes before the delimiter is known (the start of the first line).
    first: Vec<u8>,
    rdr: Option<csv_core::Reader>,
    /// The current field's unescaped bytes are `field[..flen]`.
    field: Vec<u8>,
    flen: usize,
    /// No byte of the current field consumed yet.
    fresh: bool,
    /// The current field is the first of a record (record terminators may still come first).
    record_start: bool,
    quote: Quote,
    field_line: u64,
    record_line: u64,
    /// Index of the current field in its record.
    col: usize,
    /// Rows kept while the header is undecided.
    sniff: Vec<Row>,
    cur: Vec<String>,
    cur_lines: Vec<u64>,
    builder: Option<Builder>,
    consumed: u64,
    total: Option<u64>,
    bom_checked: bool,
    failed: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Quote {
    /// Not a quoted field, or its closing quote was seen.
    Plain,
    Open,
    /// Inside a quoted field just after a quote: `"` again is an escaped quote, anything else
    /// means the field was closed.
    Pending,
}

struct Row {
    line: u64,
    cells: Vec<String>,
    /// The line each cell starts on.
    lines: Vec<u64>,
}

impl CsvParser {
    pub fn new(source: &str, options: CsvOptions) -> Self {
        CsvParser {
            src: source.to_string(),
            opts: options,
            first: Vec::new(),
            rdr: None,
            field: vec![0; 256],
            flen: 0,
            fresh: true,
            record_start: true,
            quote: Quote::Plain,
            field_line: 1,
            record_line: 1,
            col: 0,
            sniff: Vec::new(),
            cur: Vec::new(),
            cur_lines: Vec::new(),
            builder: None,
            consumed: 0,
            total: None,
            bom_checked: false,
            failed: false,
        }
    }
}

impl Guarded for CsvParser {
    fn failed(&mut self) -> &mut bool {
        &mut self.failed
    }

    fn push_inner(&mut self, mut chunk: &[u8]) -> Result<()> {
        self.consumed += chunk.len() as u64;
        if self.rdr.is_none() {
            let mut has_newline = chunk.contains(&b'\n');
            self.first.extend_from_slice(chunk);
            chunk = &[];
            if !self.bom_checked {
                // Hold back up to 3 bytes until a byte order mark can be recognised.
                if self.first.len() < 3 && b"\xef\xbb\xbf".starts_with(&self.first) {
                    return Ok(());
                }
                self.bom_checked = true;
                if self.first.starts_with(b"\xef\xbb\xbf") {
                    self.first.drain(..3);
                }
                has_newline = self.first.contains(&b'\n');
            }
            if !has_newline && self.first.len() < SNIFF_LINE_BYTES {
                return Ok(());
            }
            self.start_reader();
            let first = std::mem::take(&mut self.first);
            self.feed(&first)?;
        }
        self.feed(chunk)
    }
}

impl CsvParser {
    fn start_reader(&mut self) {
        let line_end = self.first.iter().position(|&b| b == b'\n').unwrap_or(self.first.len());
        let delim = self.opts.delimiter.unwrap_or_else(|| detect_delimiter(&self.first[..line_end]));
        self.opts.delimiter = Some(delim);
        self.rdr = Some(csv_core::ReaderBuilder::new().delimiter(delim).build());
    }

    /// Runs `csv-core` over `input`, handling each complete field.
    fn feed(&mut self, mut input: &[u8]) -> Result<()> {
        while !input.is_empty() {
            let rdr = self.rdr.as_mut().expect("reader started");
            let line_before = rdr.line();
            let (res, nin, nout) = rdr.read_field(input, &mut self.field[self.flen..]);
            self.track(&input[..nin], line_before);
            self.flen += nout;
            input = &input[nin..];
            match res {
                csv_core::ReadFieldResult::InputEmpty => {}
                csv_core::ReadFieldResult::OutputFull => self.grow_field()?,
                csv_core::ReadFieldResult::Field { record_end } => self.end_field(record_end)?,
                csv_core::ReadFieldResult::End => break,
            }
        }
        Ok(())
    }

    fn grow_field(&mut self) -> Result<()> {
        if self.field.len() >= MAX_FIELD_BYTES {
            let msg = format!(
                "a field longer than {MAX_FIELD_BYTES} bytes (is a quote left open? the field starts on this line)"
            );
            return Err(self.text_err(self.field_line, None, msg));
        }
        let n = (self.field.len() * 2).min(MAX_FIELD_BYTES);
        self.field.resize(n, 0);
        Ok(())
    }

    /// Follows where fields start (their line, whether quoted) and whether a quoted field has
    /// been closed, over the bytes `csv-core` just consumed.
    fn track(&mut self, consumed: &[u8], line_before: u64) {
        let mut rest = consumed;
        if self.fresh {
            let skip =
                if self.record_start { rest.iter().take_while(|&&b| b == b'\r' || b == b'\n').count() } else { 0 };
            if skip == rest.len() {
                return;
            }
            let line = line_before + rest[..skip].iter().filter(|&&b| b == b'\n').count() as u64;
            self.field_line = line;
            if self.record_start {
                self.record_line = line;
                self.record_start = false;
            }
            self.fresh = false;
            rest = &rest[skip..];
            if rest[0] == b'"' {
                self.quote = Quote::Open;
                rest = &rest[1..];
            } else {
                self.quote = Quote::Plain;
            }
        }
        while self.quote != Quote::Plain && !rest.is_empty() {
            match self.quote {
                Quote::Open => match rest.iter().position(|&b| b == b'"') {
                    Some(i) => {
                        self.quote = Quote::Pending;
                        rest = &rest[i + 1..];
                    }
                    None => rest = &[],
                },
                Quote::Pending => {
                    self.quote = if rest[0] == b'"' { Quote::Open } else { Quote::Plain };
                    rest = &rest[1..];
                }
                Quote::Plain => {}
            }
        }
    }

    fn end_field(&mut self, record_end: bool) -> Result<()> {
        let text = trim(&self.field[..self.flen]);
        let (col, line) = (self.col, self.field_line);
        match &mut self.builder {
            Some(b) => b.cell(col, text, line, &self.src)?,
            None => {
                self.cur.push(String::from_utf8_lossy(text).into_owned());
                self.cur_lines.push(line);
            }
        }
        self.flen = 0;
        self.fresh = true;
        self.col += 1;
        if record_end {
            let (n, line) = (self.col, self.record_line);
            self.col = 0;
            self.record_start = true;
            match &mut self.builder {
                Some(b) => b.end_row(n, line, &self.src, self.consumed, self.total)?,
                None => {
                    let (cells, lines) = (std::mem::take(&mut self.cur), std::mem::take(&mut self.cur_lines));
                    self.sniff.push(Row { line, cells, lines });
                    let enough = if self.opts.has_header.is_some() { 1 } else { HEADER_SNIFF_ROWS };
                    if self.sniff.len() >= enough {
                        self.decide_header()?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Decides the header, builds the column plan and replays the kept rows.
    fn decide_header(&mut self) -> Result<()> {
        let rows = std::mem::take(&mut self.sniff);
        let Some(first) = rows.first() else {
            return Ok(());
        };
        let header = self.opts.has_header.unwrap_or_else(|| looks_like_header(&rows));
        let ncols = first.cells.len();
        let names: Vec<String> =
            if header { first.cells.clone() } else { (1..=ncols).map(|i| format!("column {i}")).collect() };
        let label = self.resolve_label(&names, header, first.line)?;
        let first_data_line = rows.get(header as usize).map_or(first.line + 1, |r| r.line);
        let mut b = Builder::new(names, label, &self.opts, header, first_data_line);
        for row in &rows[header as usize..] {
            for (j, (cell, &line)) in row.cells.iter().zip(&row.lines).enumerate() {
                b.cell(j, cell.as_bytes(), line, &self.src)?;
            }
            b.end_row(row.cells.len(), row.line, &self.src, self.consumed, self.total)?;
        }
        self.builder = Some(b);
        Ok(())
    }

    fn resolve_label(&self, names: &[String], header: bool, line: u64) -> Result<usize> {
        let n = names.len();
        if n < 2 {
            let msg = format!(
                "{n} column (expected at least 2: features and a label; is the delimiter {:?}?)",
                self.opts.delimiter.map(|d| d as char).unwrap_or(',')
            );
            return Err(self.text_err(line, None, msg));
        }
        let list = || names.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ");
        match &self.opts.label {
            LabelColumn::Last => Ok(n - 1),
            LabelColumn::Position(p) if (1..=n).contains(p) => Ok(p - 1),
            LabelColumn::Position(p) => {
                Err(self.text_err(line, None, format!("no column {p} (expected 1..={n}; columns: {})", list())))
            }
            LabelColumn::Name(name) => {
                if header && let Some(j) = names.iter().position(|c| c == name) {
                    return Ok(j);
                }
                match name.trim().parse::<usize>() {
                    Ok(p) if (1..=n).contains(&p) => Ok(p - 1),
                    _ if header => {
                        let msg = format!("no label column {name:?} (columns: {}; or a number 1..={n})", list());
                        Err(self.text_err(line, None, msg))
                    }
                    _ => {
                        let msg =
                            format!("no header row, so the label column must be given by number 1..={n}, not {name:?}");
                        Err(self.text_err(line, None, msg))
                    }
                }
            }
        }
    }

    fn text_err(&self, line: u64, column: Option<(usize, String)>, msg: impl Into<String>) -> DataError {
        DataError::Text { src: self.src.clone(), line: Some(line), column, msg: msg.into() }
    }

    fn finish_inner(mut self) -> Result<Table> {
        if self.rdr.is_none() {
            if !self.bom_checked && self.first.starts_with(b"\xef\xbb\xbf") {
                self.first.drain(..3);
            }
            self.start_reader();
            let first = std::mem::take(&mut self.first);
            self.feed(&first)?;
        }
        if !self.fresh && self.quote == Quote::Open {
            let msg = "a quoted field is never closed (a quote left open runs to the end of the file)";
            let column = match &self.builder {
                Some(b) => b.names.get(self.col).map(|name| (self.col + 1, name.clone())),
                None => {
                    let header = !self.sniff.is_empty()
                        && self.opts.has_header.unwrap_or_else(|| looks_like_header(&self.sniff));
                    let name = header.then(|| self.sniff[0].cells.get(self.col).cloned()).flatten();
                    Some((self.col + 1, name.unwrap_or_else(|| format!("column {}", self.col + 1))))
                }
            };
            return Err(self.text_err(self.field_line, column, msg));
        }
        // An empty input tells csv-core that the data has ended: it returns the last field.
        loop {
            let rdr = self.rdr.as_mut().expect("reader started");
            let (res, _, nout) = rdr.read_field(&[], &mut self.field[self.flen..]);
            self.flen += nout;
            match res {
                csv_core::ReadFieldResult::Field { record_end } => self.end_field(record_end)?,
                csv_core::ReadFieldResult::OutputFull => self.grow_field()?,
                csv_core::ReadFieldResult::End | csv_core::ReadFieldResult::InputEmpty => break,
            }
        }
        if self.builder.is_none() {
            if self.sniff.is_empty() {
                let msg = "empty file (expected CSV rows: an optional header, then data)";
                return Err(DataError::format(&self.src, 0u64, msg));
            }
            self.decide_header()?;
        }
        let b = self.builder.take().expect("decided");
        b.finish(&self.src)
    }
}

impl ChunkParser for CsvParser {
    type Output = Table;

    fn push(&mut self, chunk: &[u8]) -> Result<()> {
        push_guarded(self, chunk)
    }

    fn finish(self) -> Result<Table> {
        check_spent(self.failed, &self.src)?;
        self.finish_inner()
    }

    fn progress(&self) -> Progress {
        // While the header is undecided the first row is not counted.
        let rows = match &self.builder {
            Some(b) => b.rows + b.dropped,
            None => self.sniff.len().saturating_sub(1),
        };
        Progress { bytes: self.consumed, rows: rows as u64 }
    }

    fn source(&self) -> &str {
        &self.src
    }

    fn expect_len(&mut self, total: u64) {
        self.total = Some(total);
    }
}

/// Reads a CSV file that is all in memory (plain or gzip).
pub fn parse_csv(bytes: &[u8], source: &str, options: CsvOptions) -> Result<Table> {
    crate::parser::parse_all(crate::gzip::MaybeGzip::new(CsvParser::new(source, options)), bytes)
}

/// The most frequent of `,` `;` tab outside quotes in `line` (`,` when none occurs); `;` wins
/// over `,` when every `;`-separated field has at most one comma (decimal commas).
fn detect_delimiter(line: &[u8]) -> u8 {
    let (mut counts, mut quoted) = ([0usize; 3], false);
    for &b in line {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let semicolon_decimal =
        counts[1] > 0 && line.split(|&b| b == b';').all(|f| f.iter().filter(|&&b| b == b',').count() <= 1);
    if semicolon_decimal && counts[1] >= counts[2] {
        return b';';
    }
    let best = (0..3).max_by_key(|&i| (counts[i], [2, 0, 1][i])).expect("three candidates");
    if counts[best] == 0 { b',' } else { [b',', b';', b'\t'][best] }
}

/// The header rule of the module docs, over the first rows.
fn looks_like_header(rows: &[Row]) -> bool {
    let first = &rows[0].cells;
    let text = |c: &String| !is_missing(c.as_bytes()) && !is_number(c.as_bytes());
    let rest = &rows[1..];
    let typed = (0..first.len()).any(|j| {
        text(&first[j]) && {
            let below: Vec<&String> =
                rest.iter().filter_map(|r| r.cells.get(j)).filter(|c| !is_missing(c.as_bytes())).collect();
            !below.is_empty() && below.iter().all(|c| is_number(c.as_bytes()))
        }
    });
    if typed {
        return true;
    }
    let all_text = first.iter().all(text);
    let distinct = first.iter().enumerate().all(|(j, c)| !first[..j].contains(c));
    let unrepeated = (0..first.len()).all(|j| rest.iter().all(|r| r.cells.get(j) != Some(&first[j])));
    all_text && distinct && unrepeated && (!rest.is_empty() || first.len() > 1)
}
