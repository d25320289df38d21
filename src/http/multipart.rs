//! A small `multipart/form-data` reader (RFC 7578) for the CSV upload: the body is already in
//! memory (bounded by MAX_UPLOAD_SIZE + 64 KiB), so the parts are slices of it. Chosen over
//! `actix-multipart` to keep the build light; the upload has one file and one text field.
use memchr::memmem;
use std::ops::Range;

#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub name: String,
    pub filename: Option<String>,
    /// Byte range of the part's content in the body.
    pub data: Range<usize>,
}

/// The boundary of a `multipart/form-data` content type, or None for any other type.
pub fn boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    let mime = params.next()?.trim();
    if !mime.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        if !k.trim().eq_ignore_ascii_case("boundary") {
            return None;
        }
        let v = v.trim().trim_matches('"');
        (1..=70).contains(&v.len()).then(|| v.to_owned())
    })
}

/// Splits `body` into its parts; `Err` with a reason when the body is not valid multipart.
pub fn parse(body: &[u8], boundary: &str) -> Result<Vec<Part>, String> {
    let delimiter = format!("--{boundary}");
    let finder = memmem::Finder::new(delimiter.as_bytes());
    let next = format!("\r\n--{boundary}");
    let next_delimiter = memmem::Finder::new(next.as_bytes());
    let mut pos = finder
        .find(body)
        .ok_or("the multipart boundary is missing")?
        + delimiter.len();
    let mut parts = Vec::new();
    loop {
        let rest = &body[pos..];
        if rest.starts_with(b"--") {
            return Ok(parts); // closing delimiter; anything after it is epilogue
        }
        pos += line_break(rest).ok_or("a multipart delimiter is not followed by a line break")?;
        let head_end = memmem::find(&body[pos..], b"\r\n\r\n")
            .ok_or("a multipart part has no end of headers")?;
        let headers = std::str::from_utf8(&body[pos..pos + head_end])
            .map_err(|_| "multipart part headers are not UTF-8")?;
        let (name, filename) = disposition(headers)?;
        let start = pos + head_end + 4;
        let len = next_delimiter
            .find(&body[start..])
            .ok_or("a multipart part is not terminated by the boundary")?;
        parts.push(Part {
            name,
            filename,
            data: start..start + len,
        });
        pos = start + len + 2 + delimiter.len();
    }
}

fn line_break(rest: &[u8]) -> Option<usize> {
    // Transport padding (spaces, tabs) may precede the CRLF.
    let pad = rest
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count();
    rest[pad..].starts_with(b"\r\n").then_some(pad + 2)
}

/// `name` and `filename` of the part's Content-Disposition header.
fn disposition(headers: &str) -> Result<(String, Option<String>), String> {
    let line = headers
        .split("\r\n")
        .find(|l| {
            l.split_once(':')
                .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("content-disposition"))
        })
        .ok_or("a multipart part has no Content-Disposition")?;
    let value = line.split_once(':').map_or("", |(_, v)| v);
    let mut name = None;
    let mut filename = None;
    for param in split_params(value).into_iter().skip(1) {
        if let Some((k, v)) = param.split_once('=') {
            let v = unquote(v.trim());
            match k.trim().to_ascii_lowercase().as_str() {
                "name" => name = Some(v),
                "filename" => filename = Some(v),
                _ => {}
            }
        }
    }
    Ok((name.ok_or("a multipart part has no name")?, filename))
}

/// Splits on `;` outside double quotes.
fn split_params(value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                out.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&value[start..]);
    out
}

fn unquote(v: &str) -> String {
    match v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => v.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curl_style_body() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"client_id\"\r\n\r\nAAA-1\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a;b.csv\"\r\nContent-Type: text/csv\r\n\r\na,b\r\n1,2\r\n\r\n--XyZ--\r\n";
        let parts = parse(body, "XyZ").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "client_id");
        assert_eq!(&body[parts[0].data.clone()], b"AAA-1");
        assert_eq!(parts[1].filename.as_deref(), Some("a;b.csv"));
        assert_eq!(&body[parts[1].data.clone()], b"a,b\r\n1,2\r\n");
    }

    #[test]
    fn boundaries_and_bad_bodies() {
        assert_eq!(
            boundary("multipart/form-data; boundary=\"abc\"").as_deref(),
            Some("abc")
        );
        assert_eq!(boundary("application/json"), None);
        assert_eq!(boundary("multipart/form-data"), None);
        assert!(parse(b"nothing here", "XyZ").is_err());
        assert!(
            parse(
                b"--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nunterminated",
                "XyZ"
            )
            .is_err()
        );
        assert!(parse(b"--XyZ\r\nX: y\r\n\r\nz\r\n--XyZ--", "XyZ").is_err());
        assert_eq!(parse(b"--XyZ--\r\n", "XyZ").unwrap(), vec![]);
    }
}
