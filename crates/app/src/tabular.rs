//! Reading and writing sheets of text: xlsx through calamine / rust_xlsxwriter, CSV in UTF-8 or
//! GB18030 (what Chinese Excel saves as "CSV") and UTF-8 with a BOM on the way out, which Excel
//! opens without garbling.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use crate::{AppError, Result};

/// A cell as read, before validation. `numeric` remembers that Excel stored a number, which
/// matters for 身份证号: 18 digits do not survive as a floating-point number.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cell {
    pub text: String,
    pub numeric: bool,
}

pub type Sheet = Vec<Vec<Cell>>;

/// Reads the first sheet of an xlsx file, or a CSV file, chosen by the file name (falling back
/// to sniffing the zip signature).
pub fn read_sheet(file_name: &str, bytes: &[u8]) -> Result<Sheet> {
    let lower = file_name.to_lowercase();
    if lower.ends_with(".xlsx") || bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes)
    } else if lower.ends_with(".xls") {
        Err(AppError::Invalid(
            "不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 后再导入".into(),
        ))
    } else {
        read_csv(bytes)
    }
}

fn read_xlsx(bytes: &[u8]) -> Result<Sheet> {
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes))
        .map_err(|e| AppError::Invalid(format!("无法读取 Excel 文件：{e}")))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| AppError::Invalid("Excel 文件中没有工作表".into()))?
        .map_err(|e| AppError::Invalid(format!("无法读取工作表：{e}")))?;
    Ok(range
        .rows()
        .map(|row| row.iter().map(cell_from_data).collect())
        .collect())
}

fn cell_from_data(data: &Data) -> Cell {
    match data {
        Data::Empty => Cell::default(),
        Data::String(s) => Cell {
            text: s.trim().to_string(),
            numeric: false,
        },
        Data::Int(i) => Cell {
            text: i.to_string(),
            numeric: true,
        },
        Data::Float(f) => Cell {
            text: if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                f.to_string()
            },
            numeric: true,
        },
        Data::Bool(b) => Cell {
            text: if *b { "是" } else { "否" }.into(),
            numeric: false,
        },
        Data::DateTime(dt) => Cell {
            text: dt
                .as_datetime()
                .map(|d| d.date().to_string())
                .unwrap_or_default(),
            numeric: false,
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell {
            text: s.get(..10).unwrap_or(s).to_string(),
            numeric: false,
        },
        Data::Error(e) => Cell {
            text: format!("#{e:?}"),
            numeric: false,
        },
    }
}

/// Decodes CSV bytes: UTF-8 (with or without BOM) when valid, otherwise GB18030.
pub fn decode_csv_bytes(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    }
}

fn read_csv(bytes: &[u8]) -> Result<Sheet> {
    let text = decode_csv_bytes(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record =
            record.map_err(|e| AppError::Invalid(format!("CSV 第 {} 行格式错误：{e}", i + 1)))?;
        rows.push(
            record
                .iter()
                .map(|s| Cell {
                    text: s.trim().to_string(),
                    numeric: false,
                })
                .collect(),
        );
    }
    Ok(rows)
}

/// Writes rows as CSV in UTF-8 with a BOM.
pub fn write_csv(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Result<Vec<u8>> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut writer = csv::Writer::from_writer(&mut out);
        let fail = |e: csv::Error| AppError::Invalid(format!("写出 CSV 失败：{e}"));
        writer.write_record(header).map_err(fail)?;
        for row in rows {
            writer.write_record(&row).map_err(fail)?;
        }
        writer
            .flush()
            .map_err(|e| AppError::Invalid(format!("写出 CSV 失败：{e}")))?;
    }
    Ok(out)
}

/// A failed xlsx write, as the user is told about it.
pub fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::Invalid(format!("生成 Excel 失败：{e}"))
}

/// A one-sheet report as offices post it: a bold title line, bold headers on the third line,
/// then the rows; `widths` sets chosen columns' widths.
pub fn report_xlsx(
    sheet_name: &str,
    title: &str,
    headers: &[&str],
    rows: &[Vec<String>],
    widths: &[(u16, f64)],
) -> Result<Vec<u8>> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let sheet = workbook
        .add_worksheet()
        .set_name(sheet_name)
        .map_err(xlsx_error)?;
    sheet
        .write_with_format(0, 0, title, &bold)
        .map_err(xlsx_error)?;
    for (c, h) in headers.iter().enumerate() {
        sheet
            .write_with_format(2, c as u16, *h, &bold)
            .map_err(xlsx_error)?;
    }
    for (r, row) in (3u32..).zip(rows) {
        for (c, v) in row.iter().enumerate() {
            sheet.write(r, c as u16, v.as_str()).map_err(xlsx_error)?;
        }
    }
    for (column, width) in widths {
        sheet
            .set_column_width(*column, *width)
            .map_err(xlsx_error)?;
    }
    workbook.save_to_buffer().map_err(xlsx_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gb18030_and_utf8_csv_read_the_same() {
        let text = "姓名,身份证号\n张三,11010519491231002X\n";
        let gbk = encoding_rs::GB18030.encode(text).0.into_owned();
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        let a = read_sheet("a.csv", &gbk).unwrap();
        let b = read_sheet("b.csv", &bom).unwrap();
        assert_eq!(a, b);
        assert_eq!(a[1][0].text, "张三");
    }

    #[test]
    fn csv_written_round_trips_with_bom() {
        let bytes = write_csv(
            &["姓名", "备注"],
            vec![vec!["李四".to_string(), "含,逗号".to_string()]].into_iter(),
        )
        .unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let sheet = read_sheet("x.csv", &bytes).unwrap();
        assert_eq!(sheet[1][1].text, "含,逗号");
    }

    #[test]
    fn old_xls_files_get_a_clear_message() {
        let err = read_sheet("党员.xls", b"\xD0\xCF\x11\xE0").unwrap_err();
        assert!(err.to_string().contains(".xlsx"));
    }
}
