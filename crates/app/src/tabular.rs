//! Reading and writing sheets of text: xlsx through calamine / rust_xlsxwriter, CSV in UTF-8 or
//! GB18030 (what Chinese Excel saves as "CSV") and UTF-8 with a BOM on the way out, which Excel
//! opens without garbling.
//!
//! An uploaded file is untrusted and small files can describe huge sheets, so reading is bounded
//! at every step by [`Limits`]: the zip's parts are inflated once as a stream and checked before
//! calamine sees them ([`guard`]), cells are read one at a time rather than as a dense range,
//! and only non-empty cells are kept. Memory follows what the file really holds, never the extent
//! it declares.

use std::borrow::Cow;
use std::io::Cursor;

use calamine::{DataRef, Reader, Xlsx, XlsxError};

use crate::{AppError, Result};

mod guard;

/// Data rows one import may hold: beyond it a single request would hold the server too long.
pub const MAX_ROWS: usize = 200_000;

/// How much a file may hold before it is refused. [`LIMITS`] are the ones imports use.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Bytes of the file as uploaded.
    pub file_bytes: usize,
    /// Data rows below the header row.
    pub rows: usize,
    pub columns: usize,
    /// Non-empty cells in the sheet.
    pub cells: usize,
    /// Characters in one cell: Excel's own limit, so no genuine workbook has more.
    pub cell_chars: usize,
    /// Bytes of text of all cells together; a shared string counts at every cell using it.
    pub text_bytes: usize,
    /// Parts (files) inside an xlsx.
    pub zip_entries: usize,
    /// Bytes one XML part may inflate to.
    pub part_bytes: u64,
    /// Bytes a part that is not XML (a picture) may inflate to.
    pub binary_part_bytes: u64,
    /// Bytes the shared-strings part may inflate to: calamine holds it in memory whole.
    pub shared_strings_bytes: u64,
    /// Bytes all parts together may inflate to.
    pub total_bytes: u64,
    /// Longest stretch of XML read as one piece (a text, a tag, a comment).
    pub xml_run_bytes: usize,
}

/// 200,000 rows of the member template saved by Excel inflate to about 130 MB (120 MB of sheet,
/// 12 MB of shared strings), or 200 MB when written with inline strings; the limits leave room
/// for longer values without letting a crafted file go much further.
pub const LIMITS: Limits = Limits {
    file_bytes: 64 * 1024 * 1024,
    rows: MAX_ROWS,
    columns: 256,
    cells: 4_000_000,
    cell_chars: 32_767,
    text_bytes: 128 * 1024 * 1024,
    zip_entries: 1_000,
    part_bytes: 384 * 1024 * 1024,
    binary_part_bytes: 16 * 1024 * 1024,
    shared_strings_bytes: 96 * 1024 * 1024,
    total_bytes: 512 * 1024 * 1024,
    xml_run_bytes: 256 * 1024,
};

/// Bytes as a person reads them ("64 MB", "256 KB").
pub fn mb(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{} MB", bytes / (1024 * 1024))
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

/// A cell as read, before validation. `numeric` remembers that Excel stored a number, which
/// matters for 身份证号: 18 digits do not survive as a floating-point number.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cell {
    pub text: String,
    pub numeric: bool,
}

/// The non-empty cells of one row, by column (0 is A), in column order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row {
    cells: Vec<(u16, Cell)>,
}

impl Row {
    /// A row from its cells left to right; empty ones are dropped.
    pub fn from_cells(cells: Vec<Cell>) -> Row {
        Row {
            cells: (0u16..)
                .zip(cells)
                .filter(|(_, c)| !c.text.is_empty())
                .collect(),
        }
    }

    pub fn get(&self, column: usize) -> Option<&Cell> {
        let column = u16::try_from(column).ok()?;
        self.cells
            .binary_search_by_key(&column, |(c, _)| *c)
            .ok()
            .map(|i| &self.cells[i].1)
    }

    /// The non-empty cells with their column.
    pub fn cells(&self) -> impl Iterator<Item = (usize, &Cell)> {
        self.cells.iter().map(|(c, cell)| (usize::from(*c), cell))
    }

    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(|(_, c)| c.text.trim().is_empty())
    }
}

/// A sheet as read: `rows[0]` is the first row (row 1 in Excel, the first record of a CSV).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sheet {
    /// The worksheet read, for xlsx; imports read the first one.
    pub name: Option<String>,
    /// The workbook's other worksheets, to say where data may be when the one read lacks it.
    pub other_sheets: Vec<String>,
    pub rows: Vec<Row>,
}

impl Sheet {
    /// A CSV-like sheet from rows of text (tests and callers that build sheets by hand).
    pub fn from_rows(rows: Vec<Vec<Cell>>) -> Sheet {
        Sheet {
            rows: rows.into_iter().map(Row::from_cells).collect(),
            ..Sheet::default()
        }
    }

    /// "工作表「Sheet1」", and the others the workbook has, for messages about missing data.
    pub fn which(&self) -> Option<String> {
        let name = self.name.as_deref()?;
        let mut text = format!("导入只读取第一个工作表，本次读取的是「{name}」");
        if !self.other_sheets.is_empty() {
            text.push_str(&format!(
                "；本文件还有工作表：{}。如果党员数据在其他工作表中，请把它移到第一个位置后再导入",
                self.other_sheets
                    .iter()
                    .map(|s| format!("「{s}」"))
                    .collect::<Vec<_>>()
                    .join("、")
            ));
        }
        Some(text)
    }
}

/// Excel's name of a column, 0 → A, 26 → AA.
pub fn column_name(column: usize) -> String {
    let mut n = column + 1;
    let mut name = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        name.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

/// Reads the first sheet of an xlsx file, or a CSV file, chosen by the file name (falling back
/// to sniffing the zip signature), within the import [`LIMITS`].
pub fn read_sheet(file_name: &str, bytes: &[u8]) -> Result<Sheet> {
    read_sheet_with(file_name, bytes, &LIMITS)
}

/// [`read_sheet`] within other limits.
pub fn read_sheet_with(file_name: &str, bytes: &[u8], limits: &Limits) -> Result<Sheet> {
    if bytes.len() > limits.file_bytes {
        return Err(AppError::Invalid(format!(
            "文件超过 {}，请分批导入（每次最多 {} 行）",
            mb(limits.file_bytes as u64),
            limits.rows
        )));
    }
    let lower = file_name.to_lowercase();
    if lower.ends_with(".xlsx") || bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes, limits)
    } else if lower.ends_with(".xls") {
        Err(AppError::Invalid(
            "不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 后再导入".into(),
        ))
    } else {
        read_csv(bytes, limits)
    }
}

/// Collects cells into rows, refusing the first one beyond a limit.
struct Builder<'a> {
    limits: &'a Limits,
    rows: Vec<Row>,
    cells: usize,
    text_bytes: usize,
}

impl<'a> Builder<'a> {
    fn new(limits: &'a Limits) -> Builder<'a> {
        Builder {
            limits,
            rows: Vec::new(),
            cells: 0,
            text_bytes: 0,
        }
    }

    /// Adds a non-empty cell at a 0-based position.
    fn put(&mut self, row: usize, column: usize, cell: Cell) -> Result<()> {
        let limits = self.limits;
        if row > limits.rows {
            return Err(AppError::Invalid(format!(
                "第 {} 行超出导入上限：一次最多导入 {} 行（不含表头），请分批导入",
                row + 1,
                limits.rows
            )));
        }
        let at = || format!("{}{}", column_name(column), row + 1);
        if column >= limits.columns {
            return Err(AppError::Invalid(format!(
                "单元格 {} 超出导入范围：最多读取 {} 列（A 到 {} 列），请删除多余的列后再导入",
                at(),
                limits.columns,
                column_name(limits.columns - 1)
            )));
        }
        if cell.text.len() > limits.cell_chars && cell.text.chars().count() > limits.cell_chars {
            return Err(AppError::Invalid(format!(
                "单元格 {} 的内容超过 {} 个字，超出 Excel 单元格的上限，请检查该单元格",
                at(),
                limits.cell_chars
            )));
        }
        self.cells += 1;
        self.text_bytes += cell.text.len();
        if self.cells > limits.cells || self.text_bytes > limits.text_bytes {
            return Err(AppError::Invalid(format!(
                "文件内容过多（超过 {} 个单元格或 {} 文字），请分批导入",
                limits.cells,
                mb(limits.text_bytes as u64)
            )));
        }
        if self.rows.len() <= row {
            self.rows.resize_with(row + 1, Row::default);
        }
        // `column < limits.columns`, which fits a u16 (checked above against a small limit).
        let column = u16::try_from(column).unwrap_or(u16::MAX);
        self.rows[row].cells.push((column, cell));
        Ok(())
    }

    /// Rows in column order; of two cells claiming one position the first read counts.
    fn finish(mut self) -> Vec<Row> {
        for row in &mut self.rows {
            row.cells.sort_by_key(|(c, _)| *c);
            row.cells.dedup_by_key(|(c, _)| *c);
        }
        self.rows
    }
}

fn read_xlsx(bytes: &[u8], limits: &Limits) -> Result<Sheet> {
    guard::inspect_zip(bytes, limits)?;
    // calamine panics on some malformed files (fuzzing found an arithmetic overflow on a cell
    // reference of many letters); for bytes from outside, that is one more way of being broken.
    // Nothing read is kept after a panic, so unwinding through it is safe.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_workbook(bytes, limits)
    }))
    .unwrap_or_else(|_| Err(guard::not_an_xlsx(&"calamine panicked")))
}

fn read_workbook(bytes: &[u8], limits: &Limits) -> Result<Sheet> {
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| xlsx_failure(&e, ""))?;
    let names = workbook.sheet_names();
    let Some(first) = names.first().cloned() else {
        return Err(AppError::Invalid("Excel 文件中没有工作表".into()));
    };
    let mut reader = workbook
        .worksheet_cells_reader(&first)
        .map_err(|e| xlsx_failure(&e, &first))?;
    // The extent the sheet declares; the cells' own positions are checked again one by one.
    let declared = reader.dimensions();
    let (last_row, last_column) = (declared.end.0 as usize, declared.end.1 as usize);
    if last_row > limits.rows || last_column >= limits.columns {
        return Err(AppError::Invalid(format!(
            "工作表「{first}」的已用区域是 {}{}:{}{}，超出导入上限（{} 行数据、{} 列）。如果数据并没有这么多，可能是表格下方或右侧有设置过格式的空单元格：请把数据复制到新的工作表后再导入",
            column_name(declared.start.1 as usize),
            declared.start.0 as u64 + 1,
            column_name(last_column),
            last_row as u64 + 1,
            limits.rows,
            limits.columns
        )));
    }
    let mut builder = Builder::new(limits);
    while let Some(cell) = reader.next_cell().map_err(|e| xlsx_failure(&e, &first))? {
        let value = cell_from_ref(cell.get_value());
        if value.text.is_empty() {
            continue;
        }
        let (row, column) = cell.get_position();
        builder.put(row as usize, column as usize, value)?;
    }
    Ok(Sheet {
        name: Some(first),
        other_sheets: names[1..].to_vec(),
        rows: builder.finish(),
    })
}

/// calamine's (English) errors as the user is told about them.
fn xlsx_failure(e: &XlsxError, sheet: &str) -> AppError {
    match e {
        XlsxError::Password => AppError::Invalid(
            "文件设有打开密码，无法读取。请在 Excel 中取消密码后另存，再导入".into(),
        ),
        XlsxError::NotAWorksheet(_) => AppError::Invalid(format!(
            "第一个工作表「{sheet}」不是数据表（可能是图表），导入只读取第一个工作表，请把党员数据表移到第一个位置"
        )),
        other => guard::not_an_xlsx(other),
    }
}

fn cell_from_ref(data: &DataRef) -> Cell {
    match data {
        DataRef::Empty => Cell::default(),
        DataRef::String(s) => Cell {
            text: s.trim().to_string(),
            numeric: false,
        },
        DataRef::SharedString(s) => Cell {
            text: s.trim().to_string(),
            numeric: false,
        },
        DataRef::Int(i) => Cell {
            text: i.to_string(),
            numeric: true,
        },
        DataRef::Float(f) => Cell {
            text: if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                f.to_string()
            },
            numeric: true,
        },
        DataRef::Bool(b) => Cell {
            text: if *b { "是" } else { "否" }.into(),
            numeric: false,
        },
        DataRef::DateTime(dt) => Cell {
            text: dt
                .as_datetime()
                .map(|d| d.date().to_string())
                .unwrap_or_default(),
            numeric: false,
        },
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Cell {
            text: s.get(..10).unwrap_or(s).to_string(),
            numeric: false,
        },
        DataRef::Error(e) => Cell {
            text: format!("#{e:?}"),
            numeric: false,
        },
    }
}

/// Decodes CSV bytes: UTF-8 (with or without BOM) when valid, otherwise GB18030. Byte order
/// marks at the start are dropped however many there are and whichever encoding wrote them: they
/// are never content (the csv reader would drop one more, and count rows differently).
pub fn decode_csv_bytes(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    };
    match text.strip_prefix('\u{feff}') {
        Some(_) => text.trim_start_matches('\u{feff}').to_string(),
        None => text,
    }
}

/// What [`scan_csv`] found: the records the csv reader will yield (blank lines are skipped) and
/// the most fields in one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvShape {
    pub records: usize,
    pub widest: usize,
}

/// Where a CSV text would go wrong, found by following quotes the way the csv reader does
/// (RFC 4180: a quote opens a field only at its start, `""` inside is a quote): the record
/// count, each record's field count, and a quote still open at the end. Run before parsing, so
/// that neither a record of millions of fields nor millions of records is ever built.
pub fn scan_csv(text: &str, limits: &Limits) -> Result<CsvShape> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        RecordStart,
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut state = State::RecordStart;
    let mut line = 1usize;
    let mut opened_on = 0usize;
    let mut records = 0usize;
    let mut fields = 0usize;
    let mut record_line = 1usize;
    let mut widest = 0usize;
    for b in text.bytes() {
        let newline = b == b'\n' || b == b'\r';
        match state {
            State::RecordStart | State::FieldStart => {
                if state == State::RecordStart {
                    if newline {
                        if b == b'\n' {
                            line += 1;
                        }
                        continue;
                    }
                    records += 1;
                    fields = 1;
                    widest = widest.max(1);
                    record_line = line;
                    if records > limits.rows + 1 {
                        return Err(AppError::Invalid(format!(
                            "CSV 文件超过 {} 行，超出导入上限：一次最多导入 {} 行（不含表头），请分批导入",
                            limits.rows + 1,
                            limits.rows
                        )));
                    }
                }
                state = match b {
                    b'"' => {
                        opened_on = line;
                        State::Quoted
                    }
                    b',' => State::FieldStart,
                    b'\n' | b'\r' => State::RecordStart,
                    _ => State::Unquoted,
                };
            }
            State::Unquoted | State::QuoteInQuoted => {
                state = match b {
                    b'"' if state == State::QuoteInQuoted => State::Quoted,
                    b',' => State::FieldStart,
                    b'\n' | b'\r' => State::RecordStart,
                    _ => State::Unquoted,
                };
            }
            State::Quoted => {
                if b == b'"' {
                    state = State::QuoteInQuoted;
                }
            }
        }
        if b == b',' && state == State::FieldStart {
            fields += 1;
            widest = widest.max(fields);
            if fields > limits.columns {
                return Err(AppError::Invalid(format!(
                    "CSV 文件第 {record_line} 行超过 {} 列，超出导入范围，请检查分隔符或删除多余的列",
                    limits.columns
                )));
            }
        }
        if b == b'\n' {
            line += 1;
        }
    }
    if state == State::Quoted {
        return Err(AppError::Invalid(format!(
            "CSV 文件第 {opened_on} 行有一个双引号（\"）没有配对：从那里起到文件末尾都被当成了同一个单元格。请检查该行，单元格内的双引号应写成两个（\"\"）"
        )));
    }
    Ok(CsvShape { records, widest })
}

fn read_csv(bytes: &[u8], limits: &Limits) -> Result<Sheet> {
    let text = decode_csv_bytes(bytes);
    scan_csv(&text, limits)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut builder = Builder::new(limits);
    let mut record = csv::StringRecord::new();
    let mut row = 0;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            // The scan above finds what the reader could object to; this is a last resort.
            Err(_) => {
                return Err(AppError::Invalid(format!(
                    "CSV 文件第 {} 行格式错误，请用 Excel 打开后另存为 CSV 再导入",
                    row + 1
                )));
            }
        }
        for (column, field) in record.iter().enumerate() {
            let text = unprotect(field.trim());
            if !text.is_empty() {
                builder.put(
                    row,
                    column,
                    Cell {
                        text: text.to_string(),
                        numeric: false,
                    },
                )?;
            }
        }
        row += 1;
    }
    let mut rows = builder.finish();
    // Blank records still count, so that row numbers match the file.
    rows.resize_with(row, Row::default);
    Ok(Sheet {
        rows,
        ..Sheet::default()
    })
}

/// What makes a spreadsheet read a CSV cell as a formula (OWASP, CSV injection).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// How an exported CSV column is written: text is protected from being run as a formula,
/// numbers are left as numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvColumn {
    Text,
    Number,
}

/// A cell ready for CSV. Text that a spreadsheet would take for a formula (`=`, `+`, `-`, `@`,
/// tab, carriage return) gets a leading `'`, as OWASP recommends; in a number column a value
/// that really is a number (say `-12.50`) stays as it is, so that it is still a number in Excel.
pub fn csv_cell(value: &str, column: CsvColumn) -> Cow<'_, str> {
    let is_number = column == CsvColumn::Number && value.parse::<f64>().is_ok_and(f64::is_finite);
    if !is_number && value.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

/// The reverse of [`csv_cell`] for a file we exported and someone imports again.
fn unprotect(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => text,
    }
}

/// Writes rows as CSV in UTF-8 with a BOM; `columns` says how each column is protected
/// ([`csv_cell`]), and a column beyond it is text.
pub fn write_csv(
    header: &[&str],
    columns: &[CsvColumn],
    rows: impl Iterator<Item = Vec<String>>,
) -> Result<Vec<u8>> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut writer = csv::Writer::from_writer(&mut out);
        let fail = |e: csv::Error| AppError::Invalid(format!("写出 CSV 失败：{e}"));
        writer.write_record(header).map_err(fail)?;
        for row in rows {
            let cells = row.iter().enumerate().map(|(i, value)| {
                let column = columns.get(i).copied().unwrap_or(CsvColumn::Text);
                csv_cell(value, column).into_owned()
            });
            writer.write_record(cells).map_err(fail)?;
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

/// One cell of a figures workbook: numbers stay numbers, so Excel can sum and chart them.
#[derive(Debug, Clone, PartialEq)]
pub enum Figure {
    Text(String),
    Count(i64),
    /// An amount in 分, written in 元 with two decimals.
    Yuan(i64),
    /// A rate in ‰, written as a percentage with one decimal (or empty when there is none).
    Rate(Option<u32>),
    /// A duration in minutes, written in hours.
    Hours(i64),
}

/// One sheet of a figures workbook.
pub struct FigureSheet {
    pub name: String,
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Figure>>,
}

/// A workbook of figures (a dashboard's, a report's), one sheet per section, with numeric cells
/// formatted as numbers, 元 and percentages.
pub fn figures_xlsx(sheets: &[FigureSheet]) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let yuan = Format::new().set_num_format("#,##0.00");
    let percent = Format::new().set_num_format("0.0%");
    let hours = Format::new().set_num_format("0.0#");
    for s in sheets {
        let sheet = workbook
            .add_worksheet()
            .set_name(&s.name)
            .map_err(xlsx_error)?;
        sheet
            .write_with_format(0, 0, &s.title, &bold)
            .map_err(xlsx_error)?;
        for (c, h) in s.headers.iter().enumerate() {
            sheet
                .write_with_format(2, c as u16, h, &bold)
                .map_err(xlsx_error)?;
        }
        for (r, row) in (3u32..).zip(&s.rows) {
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Figure::Text(t) => sheet.write(r, c, t.as_str()).map(|_| ()),
                    Figure::Count(n) => sheet.write(r, c, *n as f64).map(|_| ()),
                    Figure::Yuan(fen) => sheet
                        .write_with_format(r, c, *fen as f64 / 100.0, &yuan)
                        .map(|_| ()),
                    Figure::Rate(Some(p)) => sheet
                        .write_with_format(r, c, f64::from(*p) / 1000.0, &percent)
                        .map(|_| ()),
                    Figure::Rate(None) => Ok(()),
                    Figure::Hours(minutes) => sheet
                        .write_with_format(r, c, *minutes as f64 / 60.0, &hours)
                        .map(|_| ()),
                }
                .map_err(xlsx_error)?;
            }
        }
        sheet.set_column_width(0, 28.0).map_err(xlsx_error)?;
    }
    workbook.save_to_buffer().map_err(xlsx_error)
}

/// Workbooks built by hand, for tests and fuzz targets that need a sheet's XML exactly as given
/// (rust_xlsxwriter only writes well-formed sheets).
pub mod testing {
    use std::io::Write;

    use zip::ZipWriter;
    use zip::write::SimpleFileOptions;

    const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>"#;
    const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;

    /// An xlsx whose worksheets have the given names and `<sheetData>` contents (and declared
    /// `<dimension>`, if any), with `shared_strings` as its shared-strings part.
    pub fn workbook(
        sheets: &[(&str, Option<&str>, &str)],
        shared_strings: Option<&str>,
    ) -> Vec<u8> {
        let mut book = String::from(
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>"#,
        );
        let mut rels = String::from(
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
        );
        for (i, (name, _, _)) in sheets.iter().enumerate() {
            let n = i + 1;
            book.push_str(&format!(
                r#"<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>"#
            ));
            rels.push_str(&format!(
                r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>"#
            ));
        }
        book.push_str("</sheets></workbook>");
        rels.push_str(r#"<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#);
        let mut parts: Vec<(String, String)> = vec![
            ("[Content_Types].xml".into(), CONTENT_TYPES.into()),
            ("_rels/.rels".into(), ROOT_RELS.into()),
            ("xl/workbook.xml".into(), book),
            ("xl/_rels/workbook.xml.rels".into(), rels),
        ];
        for (i, (_, dimension, data)) in sheets.iter().enumerate() {
            let dimension = dimension
                .map(|d| format!(r#"<dimension ref="{d}"/>"#))
                .unwrap_or_default();
            parts.push((
                format!("xl/worksheets/sheet{}.xml", i + 1),
                format!(
                    r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{dimension}<sheetData>{data}</sheetData></worksheet>"#
                ),
            ));
        }
        if let Some(sst) = shared_strings {
            parts.push(("xl/sharedStrings.xml".into(), sst.into()));
        }
        let mut zip = ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, body) in parts {
            // Writing to memory cannot fail.
            let _ = zip.start_file(name, SimpleFileOptions::default());
            let _ = zip.write_all(body.as_bytes());
        }
        zip.finish().map(|c| c.into_inner()).unwrap_or_default()
    }

    /// An inline-string cell.
    pub fn text_cell(reference: &str, text: &str) -> String {
        format!(r#"<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>"#)
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{text_cell, workbook};
    use super::*;

    fn text(sheet: &Sheet, row: usize, column: usize) -> &str {
        sheet.rows[row]
            .get(column)
            .map(|c| c.text.as_str())
            .unwrap_or("")
    }

    fn refusal(result: Result<Sheet>) -> String {
        match result {
            Ok(sheet) => panic!("accepted: {} rows", sheet.rows.len()),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn gb18030_and_utf8_csv_read_the_same() {
        let csv = "姓名,身份证号\n张三,11010519491231002X\n";
        let gbk = encoding_rs::GB18030.encode(csv).0.into_owned();
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(csv.as_bytes());
        let a = read_sheet("a.csv", &gbk).unwrap();
        let b = read_sheet("b.csv", &bom).unwrap();
        assert_eq!(a, b);
        assert_eq!(text(&a, 1, 0), "张三");
    }

    #[test]
    fn csv_written_round_trips_with_bom() {
        let bytes = write_csv(
            &["姓名", "备注"],
            &[CsvColumn::Text, CsvColumn::Text],
            vec![vec!["李四".to_string(), "含,逗号".to_string()]].into_iter(),
        )
        .unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let sheet = read_sheet("x.csv", &bytes).unwrap();
        assert_eq!(text(&sheet, 1, 1), "含,逗号");
    }

    #[test]
    fn old_xls_files_get_a_clear_message() {
        let err = read_sheet("党员.xls", b"\xD0\xCF\x11\xE0").unwrap_err();
        assert!(err.to_string().contains(".xlsx"));
    }

    #[test]
    fn a_workbook_reads_cell_by_cell_with_its_sheet_names() {
        let data = format!(
            r#"<row r="1">{}{}</row><row r="3">{}<c r="C3"><v>42</v></c></row>"#,
            text_cell("A1", "姓名"),
            text_cell("C1", "  年龄 "),
            text_cell("A3", "张三")
        );
        let bytes = workbook(&[("党员", Some("A1:C3"), &data), ("说明", None, "")], None);
        let sheet = read_sheet("a.xlsx", &bytes).unwrap();
        assert_eq!(sheet.name.as_deref(), Some("党员"));
        assert_eq!(sheet.other_sheets, vec!["说明".to_string()]);
        assert_eq!(sheet.rows.len(), 3);
        assert_eq!(text(&sheet, 0, 2), "年龄");
        assert!(sheet.rows[1].is_blank(), "row 2 is kept, empty");
        assert_eq!(text(&sheet, 2, 0), "张三");
        assert!(sheet.rows[2].get(2).unwrap().numeric);
        assert!(sheet.which().unwrap().contains("「说明」"));
    }

    /// Issue 9, finding 1: two cells, at A1 and at Excel's last cell, made calamine allocate
    /// rows × columns (549 GB) and the process abort.
    #[test]
    fn a_sheet_reaching_the_last_cell_of_excel_is_refused_without_building_it() {
        let data = format!(
            r#"<row r="1">{}</row><row r="1048576">{}</row>"#,
            text_cell("A1", "x"),
            text_cell("XFD1048576", "y")
        );
        let declared = workbook(&[("Sheet1", Some("A1:XFD1048576"), &data)], None);
        let message = refusal(read_sheet("bomb.xlsx", &declared));
        assert!(message.contains("A1:XFD1048576"), "{message}");

        // A declared extent that lies does not hide the far cell.
        let lying = workbook(&[("Sheet1", Some("A1:B2"), &data)], None);
        let message = refusal(read_sheet("bomb.xlsx", &lying));
        assert!(message.contains("1048576"), "{message}");

        let wide = workbook(
            &[(
                "Sheet1",
                None,
                &format!(r#"<row r="1">{}</row>"#, text_cell("XFD1", "y")),
            )],
            None,
        );
        let message = refusal(read_sheet("wide.xlsx", &wide));
        assert!(message.contains("XFD1"), "{message}");
    }

    /// `<sst uniqueCount="4000000000">` made calamine reserve 96 GB before reading a string.
    #[test]
    fn a_shared_string_count_no_file_could_hold_is_refused() {
        let sst = r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="4000000000"><si><t>x</t></si></sst>"#;
        let data = r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#;
        let bytes = workbook(&[("Sheet1", None, data)], Some(sst));
        let message = refusal(read_sheet("sst.xlsx", &bytes));
        assert!(message.contains("共享字符串"), "{message}");

        let honest = sst.replace("4000000000", "1");
        let bytes = workbook(&[("Sheet1", None, data)], Some(&honest));
        assert_eq!(text(&read_sheet("sst.xlsx", &bytes).unwrap(), 0, 0), "x");
    }

    /// Issue 9, finding 1: one cell of 400 MB in a 409 KB file took 1.24 GB to read. A cell is
    /// now refused once it passes what one Excel cell can hold, before it is parsed.
    #[test]
    fn a_cell_larger_than_excel_allows_is_refused_before_it_is_parsed() {
        let huge = "a".repeat(2 * 1024 * 1024);
        let data = format!(r#"<row r="1">{}</row>"#, text_cell("A1", &huge));
        let bytes = workbook(&[("Sheet1", None, &data)], None);
        assert!(bytes.len() < 64 * 1024, "the file itself is small");
        let message = refusal(read_sheet("big.xlsx", &bytes));
        assert!(message.contains("内部结构异常"), "{message}");

        // Within the XML limit but beyond Excel's 32,767 characters.
        let limits = Limits {
            cell_chars: 10,
            ..LIMITS
        };
        let data = format!(r#"<row r="2">{}</row>"#, text_cell("B2", &"字".repeat(11)));
        let bytes = workbook(&[("Sheet1", None, &data)], None);
        let message = refusal(read_sheet_with("big.xlsx", &bytes, &limits));
        assert!(
            message.contains("B2") && message.contains("10 个字"),
            "{message}"
        );
    }

    #[test]
    fn what_a_part_inflates_to_is_counted_not_what_it_declares() {
        let cells: String = (1..=2000)
            .map(|r| {
                format!(
                    r#"<row r="{r}">{}</row>"#,
                    text_cell(&format!("A{r}"), "党员")
                )
            })
            .collect();
        let bytes = workbook(&[("Sheet1", None, &cells)], None);
        let limits = Limits {
            part_bytes: 32 * 1024,
            ..LIMITS
        };
        let message = refusal(read_sheet_with("a.xlsx", &bytes, &limits));
        assert!(message.contains("解压后超过 32 KB"), "{message}");
        let limits = Limits {
            total_bytes: 32 * 1024,
            ..LIMITS
        };
        assert!(read_sheet_with("a.xlsx", &bytes, &limits).is_err());
        assert_eq!(read_sheet("a.xlsx", &bytes).unwrap().rows.len(), 2000);
    }

    #[test]
    fn one_shared_string_used_everywhere_counts_at_every_use() {
        let sst = format!(
            r#"<sst uniqueCount="1"><si><t>{}</t></si></sst>"#,
            "长".repeat(1000)
        );
        let cells: String = (1..=100)
            .map(|r| format!(r#"<row r="{r}"><c r="A{r}" t="s"><v>0</v></c></row>"#))
            .collect();
        let bytes = workbook(&[("Sheet1", None, &cells)], Some(&sst));
        let limits = Limits {
            text_bytes: 50 * 3000,
            ..LIMITS
        };
        let message = refusal(read_sheet_with("a.xlsx", &bytes, &limits));
        assert!(message.contains("分批导入"), "{message}");
        let limits = Limits {
            cells: 50,
            ..LIMITS
        };
        assert!(read_sheet_with("a.xlsx", &bytes, &limits).is_err());
        assert_eq!(read_sheet("a.xlsx", &bytes).unwrap().rows.len(), 100);
    }

    #[test]
    fn rows_beyond_the_import_limit_are_refused_as_they_are_met() {
        let limits = Limits { rows: 3, ..LIMITS };
        let cells: String = (1..=5)
            .map(|r| format!(r#"<row r="{r}">{}</row>"#, text_cell(&format!("A{r}"), "x")))
            .collect();
        let bytes = workbook(&[("Sheet1", None, &cells)], None);
        let message = refusal(read_sheet_with("a.xlsx", &bytes, &limits));
        assert!(message.contains("第 5 行"), "{message}");
        let csv = "a\nb\nc\nd\ne\n";
        let message = refusal(read_sheet_with("a.csv", csv.as_bytes(), &limits));
        assert!(message.contains("最多导入 3 行"), "{message}");
        let wide = ",".repeat(300);
        let message = refusal(read_sheet("a.csv", wide.as_bytes()));
        assert!(message.contains("256 列"), "{message}");
    }

    #[test]
    fn zip_library_errors_reach_the_user_in_chinese() {
        for bytes in [&b"PK\x03\x04 not really a zip"[..], &b"PK\x05\x06"[..]] {
            let message = refusal(read_sheet("a.xlsx", bytes));
            assert!(message.contains("不是有效的 Excel"), "{message}");
            let lower = message.to_lowercase();
            for english in ["zip", "archive", "invalid", "error", "central"] {
                assert!(!lower.contains(english), "{message}");
            }
        }
    }

    #[test]
    fn an_unbalanced_csv_quote_is_reported_as_such() {
        let csv = "姓名,备注\n张三,\"好\n李四,正常\n王五,x\n";
        let message = refusal(read_sheet("a.csv", csv.as_bytes()));
        assert!(
            message.contains("第 2 行") && message.contains("双引号"),
            "{message}"
        );
        // Quotes that do close, over several lines and with doubled quotes inside, are fine.
        let csv = "姓名,备注\n张三,\"第一行\n第二行，\"\"引用\"\"\"\n李四,a\"b\n";
        let sheet = read_sheet("a.csv", csv.as_bytes()).unwrap();
        assert_eq!(text(&sheet, 1, 1), "第一行\n第二行，\"引用\"");
        assert_eq!(text(&sheet, 2, 1), "a\"b");
    }

    /// Issue 9, finding 9: exported CSV cells starting with `=`, `+`, `-`, `@`, tab or CR were
    /// written raw, so Excel ran them as formulas.
    #[test]
    fn csv_cells_that_look_like_formulas_are_written_as_text() {
        for risky in [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\r=1",
        ] {
            assert_eq!(csv_cell(risky, CsvColumn::Text), format!("'{risky}"));
        }
        assert_eq!(csv_cell("张三", CsvColumn::Text), "张三");
        assert_eq!(csv_cell("-12.50", CsvColumn::Number), "-12.50");
        assert_eq!(csv_cell("-1+cmd", CsvColumn::Number), "'-1+cmd");
        let bytes = write_csv(
            &["姓名", "金额"],
            &[CsvColumn::Text, CsvColumn::Number],
            vec![vec!["=1+1".to_string(), "-3.00".to_string()]].into_iter(),
        )
        .unwrap();
        let written = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert_eq!(written, "姓名,金额\n'=1+1,-3.00\n");
        // Imported again, the name is what was exported.
        let sheet = read_sheet("a.csv", written.as_bytes()).unwrap();
        assert_eq!(text(&sheet, 1, 0), "=1+1");
    }

    /// Found by the `xlsx_sheet` fuzz target: calamine overflows (a panic in debug builds) on a
    /// reference with many column letters.
    #[test]
    fn a_panic_inside_calamine_is_a_refusal() {
        let reference = format!("{}A1", "U".repeat(60));
        let bytes = workbook(&[("Sheet1", Some(&format!("{reference}:C3")), "")], None);
        let message = refusal(read_sheet("a.xlsx", &bytes));
        assert!(message.contains("不是有效的 Excel"), "{message}");
    }

    /// Found by the `csv` fuzz target: a second byte order mark was read as content by the
    /// scan but skipped by the csv reader.
    #[test]
    fn every_leading_byte_order_mark_is_dropped() {
        let bytes = "\u{feff}\u{feff}姓名\n张三\n".as_bytes();
        let sheet = read_sheet("a.csv", bytes).unwrap();
        assert_eq!(text(&sheet, 0, 0), "姓名");
        assert_eq!(
            scan_csv(&decode_csv_bytes(b"\xEF\xBB\xBF\xEF\xBB\xBF"), &LIMITS).unwrap(),
            CsvShape {
                records: 0,
                widest: 0
            }
        );
    }

    #[test]
    fn column_names_are_excel_s() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(16383), "XFD");
    }
}
