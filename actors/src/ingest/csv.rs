//! CSV files (ingest.md §2): decoding (UTF-8 ± BOM, UTF-16 with BOM, else Windows-1252 with a
//! file warning), delimiter detection on the header line, RFC 4180 quoting via the `csv`
//! crate, and physical line numbers (header = line 1; blank lines and line breaks inside
//! quoted fields count). Pure: no I/O, never panics (property test + `fuzz/`).
use serde::Serialize;

/// A problem with the file as a whole (→ 422 with this code).
#[derive(Debug, Clone, PartialEq)]
pub struct FileError {
    pub code: &'static str,
    pub message: String,
}

fn invalid(message: impl Into<String>) -> FileError {
    FileError {
        code: "invalid_file",
        message: message.into(),
    }
}

/// A warning about the whole file (`decoded_as_windows_1252`, `ignored_columns`).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct FileWarning {
    pub code: String,
    pub message: String,
}

/// One record of the file: the physical line it starts on and its cells.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvRecord {
    pub line: u64,
    pub cells: Vec<String>,
}

/// A decoded, split file: header cells, data records (blank ones skipped), delimiter.
#[derive(Debug, Clone)]
pub struct CsvTable {
    pub header: Vec<String>,
    pub records: Vec<CsvRecord>,
    pub delimiter: u8,
    pub warnings: Vec<FileWarning>,
}

/// Bytes → text. NUL or other C0 control bytes mean the file is not a text CSV.
pub fn decode(bytes: &[u8]) -> Result<(String, Vec<FileWarning>), FileError> {
    let mut warnings = Vec::new();
    let text = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        utf8_or_1252(rest, &mut warnings)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        encoding_rs::UTF_16LE
            .decode_without_bom_handling_and_without_replacement(rest)
            .ok_or_else(|| invalid("The file is not valid UTF-16"))?
            .into_owned()
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        encoding_rs::UTF_16BE
            .decode_without_bom_handling_and_without_replacement(rest)
            .ok_or_else(|| invalid("The file is not valid UTF-16"))?
            .into_owned()
    } else {
        utf8_or_1252(bytes, &mut warnings)
    };
    if let Some(pos) = text
        .chars()
        .position(|c| c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(invalid(format!(
            "The file is not a text CSV file (binary data at character {})",
            pos + 1
        )));
    }
    Ok((text, warnings))
}

fn utf8_or_1252(bytes: &[u8], warnings: &mut Vec<FileWarning>) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => {
            warnings.push(FileWarning {
                code: "decoded_as_windows_1252".into(),
                message: "The file is not valid UTF-8; it was read as Windows-1252".into(),
            });
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0
                .into_owned()
        }
    }
}

/// The most frequent of `,` `;` TAB outside quotes on the header line; a tie → comma.
pub fn detect_delimiter(text: &str) -> u8 {
    let mut counts = [0usize; 3]; // , ; \t
    let mut quoted = false;
    for b in text.bytes() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best =
        [b',', b';', b'\t']
            .into_iter()
            .zip(counts)
            .fold(
                (b',', counts[0]),
                |acc, (d, n)| if n > acc.1 { (d, n) } else { acc },
            );
    best.0
}

/// Decodes and splits a file. Records whose cells are all blank are skipped.
pub fn parse(bytes: &[u8]) -> Result<CsvTable, FileError> {
    let (text, warnings) = decode(bytes)?;
    // The csv crate counts lines by LF only; a lone CR (old Mac files) is a line break too,
    // so turn it into LF first (inside quoted fields as well: it is a line break there too).
    let text = if text.contains('\r') {
        normalise_cr(&text)
    } else {
        text
    };
    if text.trim().is_empty() {
        return Err(invalid("The file is empty"));
    }
    let delimiter = detect_delimiter(&text);
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut header: Option<Vec<String>> = None;
    let mut records = Vec::new();
    let mut record = ::csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(invalid(format!("The file could not be read as CSV: {e}"))),
        }
        let line = start_line(text.as_bytes(), record.position());
        let cells: Vec<String> = record.iter().map(str::to_owned).collect();
        if header.is_none() {
            header = Some(cells);
            continue;
        }
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        records.push(CsvRecord { line, cells });
    }
    let header = header.ok_or_else(|| invalid("The file has no header line"))?;
    Ok(CsvTable {
        header,
        records,
        delimiter,
        warnings,
    })
}

/// The csv crate positions a record before the empty lines it skips; the physical line is
/// that of the record's first byte.
fn start_line(text: &[u8], pos: Option<&::csv::Position>) -> u64 {
    let Some(pos) = pos else { return 0 };
    let skipped = text
        .get(pos.byte() as usize..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| matches!(b, b'\n' | b'\r'))
        .filter(|b| **b == b'\n')
        .count();
    pos.line() + skipped as u64
}

fn normalise_cr(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() != Some(&'\n') {
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lines(t: &CsvTable) -> Vec<u64> {
        t.records.iter().map(|r| r.line).collect()
    }

    #[test]
    fn physical_lines_count_blank_lines_and_quoted_line_breaks() {
        let file = "a,b\n1,\"two\nlines\"\n\n3,4\n,\n5,6\n";
        let t = parse(file.as_bytes()).unwrap();
        assert_eq!(t.header, ["a", "b"]);
        assert_eq!(lines(&t), [2, 5, 7]);
        assert_eq!(t.records[0].cells, ["1", "two\nlines"]);
    }

    #[test]
    fn bom_crlf_cr_and_semicolons() {
        let t = parse(b"\xEF\xBB\xBFa;b\r\n1;\"x;y\"\r\n\r\n2;3\r\n").unwrap();
        assert_eq!(
            (t.delimiter, t.header.clone()),
            (b';', vec!["a".into(), "b".into()])
        );
        assert_eq!(lines(&t), [2, 4]);
        assert_eq!(t.records[0].cells, ["1", "x;y"]);
        let t = parse(b"a,b\r1,2\r\r3,4").unwrap();
        assert_eq!(lines(&t), [2, 4]);
        let t = parse(b"a\tb\n1\t2\n").unwrap();
        assert_eq!(t.delimiter, b'\t');
    }

    #[test]
    fn encodings() {
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("a,b\n1,ñ\n".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let t = parse(&utf16).unwrap();
        assert_eq!(t.records[0].cells, ["1", "ñ"]);
        let t = parse(b"a,b\n1,caf\xE9\n").unwrap();
        assert_eq!(t.records[0].cells[1], "café");
        assert_eq!(t.warnings[0].code, "decoded_as_windows_1252");
        assert_eq!(parse(b"a,b\n1,\0\n").unwrap_err().code, "invalid_file");
        assert_eq!(
            parse(b"\x01\x02\x03garbage").unwrap_err().code,
            "invalid_file"
        );
        assert_eq!(parse(b"  \n\n").unwrap_err().code, "invalid_file");
    }

    #[test]
    fn delimiter_tie_is_comma_and_quotes_do_not_count() {
        assert_eq!(detect_delimiter("a;b,c\n"), b',');
        assert_eq!(detect_delimiter("\"a,b,c\";d;e\n"), b';');
    }

    proptest! {
        #[test]
        fn parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn parser_never_panics_on_csv_like_text(s in "[a-c,;\t\"\r\n ]{0,200}") {
            if let Ok(t) = parse(s.as_bytes()) {
                let mut last = 0;
                for r in &t.records {
                    prop_assert!(r.line > last, "lines increase");
                    last = r.line;
                }
            }
        }
    }
}
