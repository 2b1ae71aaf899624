//! Member export to xlsx or CSV, in the import template's layout. Personal numbers are masked
//! unless the actor's role may see them, and every export is written to the audit log.

use rust_xlsxwriter::{Format, Workbook};

use crate::import::HEADERS;
use crate::members::{MemberQuery, mask_row};
use crate::tabular::{CsvColumn, write_csv, xlsx_error};
use crate::{Actor, App, Result};
use domain::record::{Education, PartyPost};
use domain::{ManagementMode, MemberCategory, MemberStatus};
use store::MemberRow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Xlsx,
    Csv,
}

impl ExportFormat {
    pub fn from_name(name: &str) -> ExportFormat {
        if name.to_lowercase().ends_with(".csv") || name.eq_ignore_ascii_case("csv") {
            ExportFormat::Csv
        } else {
            ExportFormat::Xlsx
        }
    }
}

const EXPORT_PAGE: i64 = 5_000;

fn label<T: Copy>(
    code: &str,
    from_code: fn(&str) -> Option<T>,
    label: fn(T) -> &'static str,
) -> String {
    from_code(code).map(label).unwrap_or(code).to_string()
}

fn yes_no(b: bool) -> String {
    if b { "是" } else { "否" }.to_string()
}

fn cells(row: &MemberRow) -> Vec<String> {
    vec![
        row.name.clone(),
        row.id_number.clone(),
        row.phone.clone().unwrap_or_default(),
        row.branch_name.clone(),
        label(
            &row.category,
            MemberCategory::from_code,
            MemberCategory::label,
        ),
        label(
            &row.management_mode,
            ManagementMode::from_code,
            ManagementMode::label,
        ),
        label(&row.status, MemberStatus::from_code, MemberStatus::label),
        row.admitted_on.to_string(),
        row.full_on.map(|d| d.to_string()).unwrap_or_default(),
        row.work_unit.clone().unwrap_or_default(),
        yes_no(row.lost_contact),
        yes_no(row.pocket),
        row.registered_community.clone().unwrap_or_default(),
        row.registered_on.map(|d| d.to_string()).unwrap_or_default(),
        row.ethnicity.clone().unwrap_or_default(),
        row.education
            .as_deref()
            .map(|c| label(c, Education::from_code, Education::label))
            .unwrap_or_default(),
        row.native_place.clone().unwrap_or_default(),
        row.party_post
            .as_deref()
            .map(|c| label(c, PartyPost::from_code, PartyPost::label))
            .unwrap_or_default(),
        row.party_post_org.clone().unwrap_or_default(),
        row.work_started_on
            .map(|d| d.to_string())
            .unwrap_or_default(),
    ]
}

impl App {
    /// All members in the actor's scope matching the query, as a file. Returns the bytes and the
    /// number of members written.
    pub async fn export_members(
        &self,
        actor: &Actor,
        query: &MemberQuery,
        format: ExportFormat,
    ) -> Result<(Vec<u8>, usize)> {
        actor.require_staff()?;
        self.check_org_filter(actor, query).await?;
        let filter = query.to_filter();
        let scope = actor.scope();
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut after = 0;
        loop {
            let page = self
                .db
                .member_export_page(scope, &filter, after, EXPORT_PAGE)
                .await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for mut row in page {
                mask_row(actor, &mut row);
                rows.push(cells(&row));
            }
        }
        let count = rows.len();
        let bytes = match format {
            // Every column of the register is text (numbers such as 身份证号 and phones are
            // identifiers, not amounts), so any cell that looks like a formula is protected.
            ExportFormat::Csv => write_csv(
                &HEADERS,
                &[CsvColumn::Text; HEADERS.len()],
                rows.into_iter(),
            )?,
            ExportFormat::Xlsx => {
                let mut workbook = Workbook::new();
                let bold = Format::new().set_bold();
                let sheet = workbook
                    .add_worksheet_with_constant_memory()
                    .map_err(xlsx_error)?;
                sheet.set_name("党员信息").map_err(xlsx_error)?;
                for (col, header) in HEADERS.iter().enumerate() {
                    sheet
                        .write_with_format(0, col as u16, *header, &bold)
                        .map_err(xlsx_error)?;
                }
                for (r, row) in rows.iter().enumerate() {
                    for (c, value) in row.iter().enumerate() {
                        if !value.is_empty() {
                            sheet
                                .write((r + 1) as u32, c as u16, value.as_str())
                                .map_err(xlsx_error)?;
                        }
                    }
                }
                workbook.save_to_buffer().map_err(xlsx_error)?
            }
        };
        let masked = if actor.may_see_personal_data() {
            "含完整身份证号和手机号"
        } else {
            "身份证号和手机号已脱敏"
        };
        self.db
            .audit_event(
                actor.org_id,
                &actor.author(),
                "export",
                "member",
                &format!("导出党员名册 {count} 人（{masked}）"),
            )
            .await?;
        Ok((bytes, count))
    }
}
