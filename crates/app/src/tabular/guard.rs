//! What an uploaded xlsx must pass before calamine opens it. An xlsx is a zip of XML parts, and
//! both layers can be made to expand: a part of a few hundred kilobytes can inflate to gigabytes,
//! and one XML "event" (a piece of text, a tag, a comment) is held whole in memory by the XML
//! parser however long it is. So every part is inflated once here, as a stream into a small
//! buffer, counting what it really holds (the sizes a zip declares are not trusted), and XML
//! parts are scanned for any stretch the parser would have to hold at once.
//!
//! calamine also reserves room for as many shared strings as the workbook says it has
//! (`<sst uniqueCount=…>`), before reading any; a count no part could hold is refused here.

use std::io::{Cursor, Read};

use zip::ZipArchive;

use super::{Limits, mb};
use crate::{AppError, Result};

/// The message for a file that is not an xlsx as Excel writes one. The library's own (English)
/// reason goes to the log for whoever runs the server.
pub(super) fn not_an_xlsx(detail: &dyn std::fmt::Display) -> AppError {
    tracing::info!(%detail, "uploaded workbook refused");
    AppError::Invalid(
        "文件不是有效的 Excel（.xlsx）文件：可能已损坏，或只是改了扩展名。请用 Excel 打开后“另存为” .xlsx 再导入，或导出为 CSV 导入。"
            .into(),
    )
}

fn odd_structure(what: &str) -> AppError {
    AppError::Invalid(format!(
        "文件的内部结构异常（{what}），不像是 Excel 保存的文件，未导入。请用 Excel 打开后把数据复制到新的工作簿，另存为 .xlsx 再导入。"
    ))
}

fn too_large(limit: u64) -> AppError {
    AppError::Invalid(format!(
        "文件解压后超过 {}，超出导入上限。请分批导入（每次最多 {} 行）。",
        mb(limit),
        super::MAX_ROWS
    ))
}

/// Inflates every part of the zip once, refusing it at the first byte beyond a limit.
pub(super) fn inspect_zip(bytes: &[u8], limits: &Limits) -> Result<()> {
    let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(|e| not_an_xlsx(&e))?;
    if archive.len() > limits.zip_entries {
        return Err(odd_structure(&format!(
            "包含 {} 个部件，正常的表格不超过 {}",
            archive.len(),
            limits.zip_entries
        )));
    }
    let mut total: u64 = 0;
    let mut buffer = vec![0u8; 64 * 1024];
    for index in 0..archive.len() {
        let mut part = archive.by_index(index).map_err(|e| not_an_xlsx(&e))?;
        if part.is_dir() {
            continue;
        }
        if part.size() > limits.part_bytes {
            return Err(too_large(limits.part_bytes));
        }
        let mut kind = PartKind::Unknown;
        let mut guard = XmlGuard::new(limits.xml_run_bytes);
        let mut inflated: u64 = 0;
        loop {
            let n = part.read(&mut buffer).map_err(|e| not_an_xlsx(&e))?;
            if n == 0 {
                break;
            }
            let chunk = &buffer[..n];
            if kind == PartKind::Unknown {
                kind = PartKind::sniff(chunk)?;
            }
            inflated += n as u64;
            total += n as u64;
            let part_limit = match kind {
                PartKind::Xml | PartKind::Unknown if guard.shared_strings => {
                    limits.shared_strings_bytes
                }
                PartKind::Xml | PartKind::Unknown => limits.part_bytes,
                PartKind::Binary => limits.binary_part_bytes,
            };
            if inflated > part_limit {
                return Err(too_large(part_limit));
            }
            if total > limits.total_bytes {
                return Err(too_large(limits.total_bytes));
            }
            if kind != PartKind::Binary {
                guard.feed(chunk)?;
            }
        }
        if kind != PartKind::Binary {
            guard.finish(inflated)?;
        }
    }
    Ok(())
}

/// Whether a part is XML (what calamine parses) or something else (pictures, printer settings).
/// Parts of the second kind get no XML scan, so they are held to a small size instead: if a
/// crafted workbook made calamine parse one as XML, no event in it could be larger than that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PartKind {
    Unknown,
    Xml,
    Binary,
}

impl PartKind {
    fn sniff(first: &[u8]) -> Result<PartKind> {
        let first = first.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(first);
        // Excel writes UTF-8 only. UTF-16 XML would slip past a byte-wise scan, so it is refused.
        if first.starts_with(b"\xFF\xFE")
            || first.starts_with(b"\xFE\xFF")
            || first.starts_with(b"<\0")
            || first.starts_with(b"\0<")
        {
            return Err(odd_structure("XML 不是 UTF-8 编码"));
        }
        let start = first.iter().find(|b| !b.is_ascii_whitespace());
        Ok(match start {
            Some(b'<') => PartKind::Xml,
            Some(_) => PartKind::Binary,
            None => PartKind::Unknown,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Text,
    /// Just after `<`, before the kind of markup is known.
    Open,
    Tag {
        quote: Option<u8>,
    },
    /// Inside a comment, CDATA section or processing instruction, until its terminator.
    Until {
        terminator: &'static [u8],
        matched: usize,
    },
}

/// A byte-wise scan of one XML part: no stretch that an XML parser reads as one event may be
/// longer than `max_run` bytes. Tags are followed through quoted attribute values, comments,
/// CDATA and processing instructions to their real end, as the parser would. Document type
/// declarations (never in an xlsx, and the door to entity expansion) are refused.
pub(crate) struct XmlGuard {
    max_run: usize,
    mode: Mode,
    run: usize,
    /// The markup read since `<`: only the name, unless the tag is `sst`.
    head: Vec<u8>,
    keep_head: bool,
    name_done: bool,
    /// The part is a shared-strings table (it has an `sst` element).
    pub(crate) shared_strings: bool,
    unique_count: Option<u64>,
}

impl XmlGuard {
    pub(crate) fn new(max_run: usize) -> XmlGuard {
        XmlGuard {
            max_run,
            mode: Mode::Text,
            run: 0,
            head: Vec::new(),
            keep_head: false,
            name_done: false,
            shared_strings: false,
            unique_count: None,
        }
    }

    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Result<()> {
        let mut at = 0;
        while at < chunk.len() {
            // Most of a sheet is plain text or the inside of a tag past its name: jump to the
            // next byte that can change anything.
            let rest = &chunk[at..];
            let skip = match self.mode {
                Mode::Text => memchr::memchr(b'<', rest),
                Mode::Tag { quote: Some(q) } if !self.keep_head => memchr::memchr(q, rest),
                Mode::Tag { quote: None } if !self.keep_head => {
                    memchr::memchr3(b'"', b'\'', b'>', rest)
                }
                _ => Some(0),
            }
            .unwrap_or(rest.len());
            self.run += skip;
            at += skip;
            if at < chunk.len() {
                self.run += 1;
            }
            if self.run > self.max_run {
                return Err(odd_structure(&format!(
                    "有一段内容超过 {}，远超 Excel 单元格的上限",
                    mb(self.max_run as u64)
                )));
            }
            if at < chunk.len() {
                self.step(chunk[at])?;
                at += 1;
            }
        }
        Ok(())
    }

    fn step(&mut self, b: u8) -> Result<()> {
        match self.mode {
            Mode::Text => {
                if b == b'<' {
                    self.mode = Mode::Open;
                    self.head.clear();
                    self.head.push(b);
                    self.keep_head = true;
                    self.name_done = false;
                    self.run = 1;
                }
            }
            Mode::Open => {
                self.head.push(b);
                let head = self.head.as_slice();
                if head == b"<!--" {
                    self.until(b"-->");
                } else if head == b"<![CDATA[" {
                    self.until(b"]]>");
                } else if head == b"<?" {
                    self.until(b"?>");
                } else if b"<!--".starts_with(head) || b"<![CDATA[".starts_with(head) {
                    // Still deciding.
                } else if head.starts_with(b"<!") {
                    return Err(odd_structure("含有文档类型声明"));
                } else {
                    self.mode = Mode::Tag { quote: None };
                    self.head.pop();
                    self.tag_byte(b);
                }
            }
            Mode::Tag { .. } => self.tag_byte(b),
            Mode::Until {
                terminator,
                matched,
            } => {
                let matched = if b == terminator[matched] {
                    matched + 1
                } else if matched == 2 && terminator[0] == terminator[1] && b == terminator[0] {
                    // `]]]>` and `--->`: the last two still count.
                    2
                } else {
                    usize::from(b == terminator[0])
                };
                if matched == terminator.len() {
                    self.end_markup();
                } else {
                    self.mode = Mode::Until {
                        terminator,
                        matched,
                    };
                }
            }
        }
        Ok(())
    }

    fn until(&mut self, terminator: &'static [u8]) {
        self.mode = Mode::Until {
            terminator,
            matched: 0,
        };
        self.keep_head = false;
    }

    fn tag_byte(&mut self, b: u8) {
        let Mode::Tag { quote } = self.mode else {
            return;
        };
        if self.keep_head {
            if !self.name_done
                && self.head.len() > 1
                && (b.is_ascii_whitespace() || b == b'/' || b == b'>')
            {
                // The name is complete: only an `sst` tag is worth keeping.
                self.name_done = true;
                let name = &self.head[1..];
                let local = name.rsplit(|&c| c == b':').next().unwrap_or(name);
                self.keep_head = local == b"sst";
                if self.keep_head {
                    self.head.push(b' ');
                }
            } else {
                self.head.push(b);
            }
        }
        match quote {
            Some(q) if b == q => self.mode = Mode::Tag { quote: None },
            Some(_) => {}
            None if b == b'"' || b == b'\'' => self.mode = Mode::Tag { quote: Some(b) },
            None if b == b'>' => {
                if self.keep_head {
                    self.read_sst_tag();
                }
                self.end_markup();
            }
            None => {}
        }
    }

    fn end_markup(&mut self) {
        self.mode = Mode::Text;
        self.run = 0;
        self.keep_head = false;
    }

    /// Notes the `uniqueCount` of a shared-strings tag. A value that is not plain digits counts
    /// as too large: calamine would not read it, but nothing honest writes it either.
    fn read_sst_tag(&mut self) {
        self.shared_strings = true;
        let count = attribute(&self.head, b"uniqueCount").map(|value| {
            if !value.is_empty() && value.len() <= 12 && value.iter().all(u8::is_ascii_digit) {
                value.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'))
            } else {
                u64::MAX
            }
        });
        self.unique_count = self.unique_count.max(count);
    }

    /// Checks what can only be judged once the whole part is read.
    pub(crate) fn finish(&self, part_bytes: u64) -> Result<()> {
        // Every shared string takes at least `<si/>`, five bytes.
        if let Some(count) = self.unique_count
            && count > part_bytes / 5 + 16
        {
            return Err(odd_structure("共享字符串的数量与内容不符"));
        }
        Ok(())
    }
}

/// The raw value of `name="…"` (or `'…'`) in a start tag's bytes.
fn attribute<'a>(tag: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let mut rest = tag;
    while let Some(at) = find(rest, name) {
        let before = if at == 0 { b' ' } else { rest[at - 1] };
        let after = &rest[at + name.len()..];
        let trimmed = trim_start(after);
        if before.is_ascii_whitespace()
            && let Some(value) = trimmed.strip_prefix(b"=")
        {
            let value = trim_start(value);
            if let Some((&quote, body)) = value.split_first()
                && (quote == b'"' || quote == b'\'')
            {
                let end = body.iter().position(|&c| c == quote)?;
                return Some(&body[..end]);
            }
        }
        rest = &rest[at + name.len()..];
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let skip = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &bytes[skip..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(xml: &str, max_run: usize) -> Result<XmlGuard> {
        let mut guard = XmlGuard::new(max_run);
        // Fed in awkward pieces, as the inflater hands them over.
        for piece in xml.as_bytes().chunks(3) {
            guard.feed(piece)?;
        }
        guard.finish(xml.len() as u64)?;
        Ok(guard)
    }

    #[test]
    fn ordinary_xml_passes_and_long_stretches_do_not() {
        let xml = r#"<?xml version="1.0"?><!-- a > b --><a x="1>2"><![CDATA[<>]]><b>text</b></a>"#;
        assert!(scan(xml, 40).is_ok());
        let long_text = format!("<a>{}</a>", "x".repeat(100));
        assert!(scan(&long_text, 50).is_err());
        // A `>` inside a quoted value does not end the tag.
        let long_attr = format!(r#"<a v="{}">"#, ">".repeat(100));
        assert!(scan(&long_attr, 50).is_err());
        let long_comment = format!("<!--{}-->", "<>".repeat(100));
        assert!(scan(&long_comment, 50).is_err());
        let long_cdata = format!("<a><![CDATA[{}]]></a>", "<x>".repeat(100));
        assert!(scan(&long_cdata, 50).is_err());
        assert!(scan("<a><![CDATA[x]]]></a>", 50).is_ok());
    }

    #[test]
    fn a_document_type_declaration_is_refused() {
        let err = scan(r#"<!DOCTYPE x [<!ENTITY a "b">]><x/>"#, 1000)
            .err()
            .unwrap();
        assert!(err.to_string().contains("文档类型"));
    }

    #[test]
    fn a_shared_string_count_beyond_the_part_is_refused() {
        let honest =
            r#"<sst xmlns="m" count="2" uniqueCount="2"><si><t>a</t></si><si><t>b</t></si></sst>"#;
        let guard = scan(honest, 1000).unwrap();
        assert!(guard.shared_strings);
        let lying =
            r#"<x:sst xmlns:x="m" uniqueCount = '4000000000'><x:si><x:t>a</x:t></x:si></x:sst>"#;
        assert!(scan(lying, 1000).is_err());
        let odd = r#"<sst uniqueCount="1e9"><si><t>a</t></si></sst>"#;
        assert!(scan(odd, 1000).is_err());
        // Another element's attribute of the same name is no shared-strings count.
        let other = r#"<sheet uniqueCount="4000000000"/>"#;
        assert!(!scan(other, 1000).unwrap().shared_strings);
    }

    #[test]
    fn parts_are_told_apart_by_their_first_bytes() {
        assert_eq!(
            PartKind::sniff(b"\xEF\xBB\xBF <a/>").unwrap(),
            PartKind::Xml
        );
        assert_eq!(PartKind::sniff(b"\x89PNG\r\n").unwrap(), PartKind::Binary);
        assert!(PartKind::sniff(b"\xFF\xFE<\0a\0").is_err());
        assert!(PartKind::sniff(b"<\0a\0").is_err());
    }
}
