//! Member import from xlsx or CSV, and the template to fill in. Every row is checked before
//! anything is written; one bad row rejects the file with row-level Chinese messages, so a
//! half-imported sheet never has to be untangled (DESIGN.md, Conventions).

use std::collections::{HashMap, HashSet};

use rust_xlsxwriter::{DataValidation, Format, Formula, Workbook};
use serde::Serialize;

use crate::members::{MemberInput, today, validate_member};
pub use crate::tabular::MAX_ROWS;
use crate::tabular::{Sheet, read_sheet};
use crate::{Actor, App, AppError, Result, RowError};
use domain::record::{Education, PartyPost};
use domain::{ManagementMode, MemberCategory, MemberStatus};

/// The member sheet's columns, in template order. Export uses the same headers so that an
/// exported file can be corrected and imported elsewhere.
pub const HEADERS: [&str; 20] = [
    "姓名",
    "身份证号",
    "手机号",
    "所在党支部",
    "党员类别",
    "管理方式",
    "党员状态",
    "入党日期",
    "转正日期",
    "工作单位",
    "失联党员",
    "口袋党员",
    "报到社区",
    "报到日期",
    "民族",
    "学历",
    "籍贯",
    "党内职务",
    "任职组织",
    "参加工作日期",
];

/// The template's example row starts its 姓名 with this mark, and a row so marked is never
/// imported, so that a sheet filled in below the example can be uploaded as it is.
pub const EXAMPLE_MARK: &str = "【示例】";
const REQUIRED: [&str; 6] = [
    "姓名",
    "身份证号",
    "所在党支部",
    "党员类别",
    "党员状态",
    "入党日期",
];

/// An org a post may be named on in the sheet's 任职组织 column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostOrg {
    pub id: i64,
    pub is_party_group: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub imported: usize,
    /// From reading the file to the refreshed ledgers.
    pub took: std::time::Duration,
    /// The part of `took` spent keeping the roll-up figures current: the members' figures
    /// summed up the tree in the import's transaction, and the touched branches' ledger lights
    /// afterwards. Shown so that the cost of the figures is measured, not guessed.
    pub figures_took: std::time::Duration,
    /// The part of `figures_took` spent on the touched branches' ledger lights.
    pub ledgers_took: std::time::Duration,
}

fn yes(text: &str) -> bool {
    matches!(text.trim(), "是" | "Y" | "y" | "1" | "true" | "TRUE" | "√")
}

/// Checks a whole sheet and returns either every member ready to insert or every error.
/// `branches` maps names to ids within the actor's scope, `communities` those of the whole instance.
pub fn check_sheet(
    sheet: &Sheet,
    branches: &HashMap<String, Vec<i64>>,
    post_orgs: &HashMap<String, Vec<PostOrg>>,
    communities: &HashMap<String, Vec<i64>>,
    existing_id_numbers: &HashSet<String>,
    today: chrono::NaiveDate,
) -> Result<Vec<store::MemberFields>, Vec<RowError>> {
    let mut errors = Vec::new();
    // The header is the first row with anything in it; rows keep the numbers Excel shows.
    let Some(header_index) = sheet.rows.iter().position(|r| !r.is_blank()) else {
        let message = match sheet.which() {
            Some(which) => format!("工作表是空的。{which}"),
            None => "文件是空的".into(),
        };
        return Err(vec![RowError {
            row: 1,
            column: String::new(),
            message,
        }]);
    };
    let header = &sheet.rows[header_index];
    let position: HashMap<&str, usize> = header.cells().map(|(i, c)| (c.text.trim(), i)).collect();
    for required in REQUIRED {
        if !position.contains_key(required) {
            errors.push(RowError {
                row: header_index + 1,
                column: required.into(),
                message: format!("缺少“{required}”列，请使用导入模板"),
            });
        }
    }
    if !errors.is_empty() {
        if let Some(which) = sheet.which() {
            errors.push(RowError {
                row: header_index + 1,
                column: String::new(),
                message: which,
            });
        }
        return Err(errors);
    }
    let data_rows = sheet.rows.len() - header_index - 1;
    if data_rows > MAX_ROWS {
        return Err(vec![RowError {
            row: 1,
            column: String::new(),
            message: format!("一次最多导入 {MAX_ROWS} 行，本文件有 {data_rows} 行，请分批导入"),
        }]);
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut ready = Vec::with_capacity(data_rows);
    for (index, row) in sheet.rows.iter().enumerate().skip(header_index + 1) {
        let excel_row = index + 1;
        let cell = |name: &str| {
            position
                .get(name)
                .and_then(|&i| row.get(i))
                .map(|c| c.text.trim().to_string())
                .unwrap_or_default()
        };
        if row.is_blank() || cell("姓名").starts_with(EXAMPLE_MARK) {
            continue;
        }
        let mut row_error = |column: &str, message: String| {
            errors.push(RowError {
                row: excel_row,
                column: column.into(),
                message,
            });
        };
        let id_cell = position.get("身份证号").and_then(|&i| row.get(i));
        if id_cell.is_some_and(|c| c.numeric && c.text.len() >= 15) {
            row_error(
                "身份证号",
                "身份证号被 Excel 存成了数字，末几位可能已丢失；请将该列设为“文本”格式后重新填写"
                    .into(),
            );
            continue;
        }
        let branch_name = cell("所在党支部");
        let branch_id = match branches.get(&branch_name).map(Vec::as_slice) {
            Some([id]) => *id,
            Some(_) => {
                row_error(
                    "所在党支部",
                    format!("有多个名为「{branch_name}」的党支部，请先在系统中区分名称"),
                );
                0
            }
            None if branch_name.is_empty() => {
                row_error("所在党支部", "所在党支部不能为空".into());
                0
            }
            None => {
                row_error(
                    "所在党支部",
                    format!("党支部「{branch_name}」不存在或不在您的管理范围内"),
                );
                0
            }
        };
        let community_name = cell("报到社区");
        let registered_community_id = if community_name.is_empty() {
            None
        } else {
            match communities.get(&community_name).map(Vec::as_slice) {
                Some([id]) => Some(*id),
                _ => {
                    row_error(
                        "报到社区",
                        format!("社区「{community_name}」不存在或名称不唯一"),
                    );
                    None
                }
            }
        };
        let post_org_name = cell("任职组织");
        let post_org = if post_org_name.is_empty() {
            None
        } else {
            match post_orgs.get(&post_org_name).map(Vec::as_slice) {
                Some([org]) => Some(*org),
                Some(_) => {
                    row_error(
                        "任职组织",
                        format!("有多个名为「{post_org_name}」的组织，请先在系统中区分名称"),
                    );
                    None
                }
                None => {
                    row_error(
                        "任职组织",
                        format!("组织「{post_org_name}」不存在或不在您的管理范围内"),
                    );
                    None
                }
            }
        };
        let input = MemberInput {
            branch_id,
            name: cell("姓名"),
            id_number: cell("身份证号"),
            phone: cell("手机号"),
            category: cell("党员类别"),
            management_mode: cell("管理方式"),
            status: cell("党员状态"),
            admitted_on: cell("入党日期"),
            full_on: cell("转正日期"),
            lost_contact: yes(&cell("失联党员")),
            pocket: yes(&cell("口袋党员")),
            work_unit: cell("工作单位"),
            registered_community_id,
            registered_on: cell("报到日期"),
            ethnicity: cell("民族"),
            education: cell("学历"),
            native_place: cell("籍贯"),
            party_post: cell("党内职务"),
            party_post_org_id: post_org.map(|o| o.id),
            work_started_on: cell("参加工作日期"),
            ..Default::default()
        };
        match validate_member(&input, today) {
            Ok(fields) => {
                let problem = fields
                    .party_post
                    .as_deref()
                    .and_then(|post| match post_org {
                        Some(org) => crate::members::post_org_problem(
                            post,
                            &post_org_name,
                            org.is_party_group,
                        ),
                        None => crate::members::post_org_problem(post, &branch_name, false),
                    });
                if let Some(message) = problem {
                    row_error("任职组织", message);
                } else if let Some(first) = seen.insert(fields.id_number.clone(), excel_row) {
                    row_error("身份证号", format!("与第 {first} 行的身份证号重复"));
                } else if existing_id_numbers.contains(&fields.id_number) {
                    row_error("身份证号", store::StoreError::IdNumberTaken.to_string());
                } else if branch_id != 0 {
                    ready.push(fields);
                }
            }
            Err(field_errors) => {
                for (field, message) in field_errors {
                    row_error(header_of(field), message);
                }
            }
        }
    }
    if errors.is_empty() {
        if ready.is_empty() {
            let mut message = String::from("文件中没有数据行");
            if let Some(which) = sheet.which() {
                message = format!("{message}。{which}");
            }
            return Err(vec![RowError {
                row: header_index + 2,
                column: String::new(),
                message,
            }]);
        }
        Ok(ready)
    } else {
        Err(errors)
    }
}

fn header_of(field: &str) -> &'static str {
    match field {
        "name" => "姓名",
        "id_number" => "身份证号",
        "phone" => "手机号",
        "category" => "党员类别",
        "management_mode" => "管理方式",
        "status" => "党员状态",
        "admitted_on" => "入党日期",
        "full_on" => "转正日期",
        "registered_community_id" => "报到社区",
        "registered_on" => "报到日期",
        "work_unit" => "工作单位",
        "ethnicity" => "民族",
        "education" => "学历",
        "native_place" => "籍贯",
        "party_post" => "党内职务",
        "work_started_on" => "参加工作日期",
        _ => "",
    }
}

fn by_name(items: impl Iterator<Item = (String, i64)>) -> HashMap<String, Vec<i64>> {
    let mut map: HashMap<String, Vec<i64>> = HashMap::new();
    for (name, id) in items {
        map.entry(name).or_default().push(id);
    }
    map
}

impl App {
    /// Imports members from an uploaded file: all rows or none.
    pub async fn import_members(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<ImportReport> {
        actor.require_org_admin()?;
        let started = std::time::Instant::now();
        let sheet = read_sheet(file_name, bytes)?;
        let branches = by_name(
            self.branches(actor)
                .await?
                .into_iter()
                .map(|b| (b.name, b.id)),
        );
        let mut post_orgs: HashMap<String, Vec<PostOrg>> = HashMap::new();
        for kind in domain::OrgKind::ALL {
            for org in self.db.org_list_kind(actor.scope(), kind.code()).await? {
                post_orgs.entry(org.name).or_default().push(PostOrg {
                    id: org.id,
                    is_party_group: *kind == domain::OrgKind::PartyGroup,
                });
            }
        }
        let communities = by_name(
            self.communities(actor)
                .await?
                .into_iter()
                .map(|t| (t.name, t.id)),
        );
        let header = sheet.rows.iter().position(|r| !r.is_blank());
        let id_col = header.and_then(|h| {
            sheet.rows[h]
                .cells()
                .find(|(_, c)| c.text.trim() == "身份证号")
                .map(|(i, _)| i)
        });
        let numbers: Vec<String> = match (header, id_col) {
            (Some(h), Some(i)) => sheet
                .rows
                .iter()
                .skip(h + 1)
                .filter_map(|r| r.get(i))
                .map(|c| c.text.trim().to_uppercase())
                .filter(|t| !t.is_empty())
                .collect(),
            _ => vec![],
        };
        let existing: HashSet<String> = self
            .db
            .member_existing_id_numbers(&numbers)
            .await?
            .into_iter()
            .collect();
        let what = format!("导入「{file_name}」");
        if !existing.is_empty() {
            let mut taken: Vec<&str> = existing.iter().map(String::as_str).collect();
            taken.sort_unstable();
            self.record_taken_id_numbers(actor, &taken, &what).await?;
        }
        let rows = check_sheet(
            &sheet,
            &branches,
            &post_orgs,
            &communities,
            &existing,
            today(),
        )
        .map_err(AppError::ImportRejected)?;
        let mut branches: Vec<i64> = rows.iter().map(|r| r.branch_id).collect();
        branches.sort_unstable();
        branches.dedup();
        // What the touched branches' 支委会 requirement turns on, before the members arrive.
        let root = self
            .db
            .org_get(actor.scope(), actor.org_id)
            .await?
            .root_org_id;
        let before_started = std::time::Instant::now();
        let formal_before = self.formal_figures(root, &branches).await?;
        let before_took = before_started.elapsed();
        // The summary row is written in the members' transaction: an import is never in the
        // register without its line in the audit log, nor the other way round.
        let inserted = self
            .db
            .member_import(
                actor.scope(),
                &rows,
                &actor.author(),
                actor.org_id,
                &format!("从「{file_name}」导入 {} 名党员", rows.len()),
            )
            .await;
        // Taken between the check and the write: which number is not known here.
        let inserted = self
            .note_taken_id_number(actor, inserted, &[], &what)
            .await?;
        let ledgers_started = std::time::Instant::now();
        let formal_after = self.formal_figures(root, &branches).await?;
        let changed = Self::crossed_committee_threshold(&branches, &formal_before, &formal_after);
        if !changed.is_empty() {
            self.ledgers_touched(actor.org_id, Some(&changed)).await;
        }
        let ledgers_took = before_took + ledgers_started.elapsed();
        Ok(ImportReport {
            imported: rows.len(),
            took: started.elapsed(),
            figures_took: inserted.figures_time + ledgers_took,
            ledgers_took,
        })
    }

    /// The import template: headers, an example row, drop-down lists for the coded columns and
    /// a hidden sheet listing the actor's branches for the branch column.
    pub async fn member_template(&self, actor: &Actor) -> Result<Vec<u8>> {
        actor.require_org_admin()?;
        let branches = self.branches(actor).await?;
        let xlsx_error =
            |e: rust_xlsxwriter::XlsxError| AppError::Invalid(format!("生成模板失败：{e}"));
        let mut workbook = Workbook::new();
        let header_format = Format::new().set_bold().set_background_color("#F8E0E0");
        let text = Format::new().set_num_format("@");
        let sheet = workbook
            .add_worksheet()
            .set_name("党员信息")
            .map_err(xlsx_error)?;
        for (col, header) in HEADERS.iter().enumerate() {
            sheet
                .write_with_format(0, col as u16, *header, &header_format)
                .map_err(xlsx_error)?;
            sheet
                .set_column_width(col as u16, if col == 1 || col == 3 { 24 } else { 12 })
                .map_err(xlsx_error)?;
        }
        // 身份证号 and 手机号 as text, or Excel turns them into rounded numbers.
        sheet.set_column_format(1, &text).map_err(xlsx_error)?;
        sheet.set_column_format(2, &text).map_err(xlsx_error)?;
        let example_branch = branches
            .first()
            .map(|b| b.name.as_str())
            .unwrap_or("某某社区第一党支部");
        // A valid row, so that it shows what passes; the mark keeps it out of every import.
        let example_id = domain::idcard::make_id_number(
            "110105",
            chrono::NaiveDate::from_ymd_opt(1980, 1, 1).unwrap_or_default(),
            123,
            domain::Gender::Male,
        );
        let example_name = format!("{EXAMPLE_MARK}张三（本行不会导入）");
        let example = [
            example_name.as_str(),
            example_id.as_str(),
            "13800138000",
            example_branch,
            "在职",
            "双重管理",
            "正式党员",
            "2005-07-01",
            "2006-07-01",
            "某某单位",
            "否",
            "否",
            "",
            "",
            "汉族",
            "大学本科",
            "重庆市渝中区",
            "",
            "",
            "2002-08-01",
        ];
        let example_format = Format::new()
            .set_num_format("@")
            .set_font_color("#808080")
            .set_italic();
        for (col, value) in example.iter().enumerate() {
            sheet
                .write_with_format(1, col as u16, *value, &example_format)
                .map_err(xlsx_error)?;
        }
        let lists: [(u16, Vec<&str>); 7] = [
            (4, MemberCategory::ALL.iter().map(|c| c.label()).collect()),
            (5, ManagementMode::ALL.iter().map(|c| c.label()).collect()),
            (6, MemberStatus::ALL.iter().map(|c| c.label()).collect()),
            (10, vec!["是", "否"]),
            (11, vec!["是", "否"]),
            (15, Education::ALL.iter().map(|c| c.label()).collect()),
            (17, PartyPost::ALL.iter().map(|c| c.label()).collect()),
        ];
        for (col, values) in lists {
            let validation = DataValidation::new()
                .allow_list_strings(&values)
                .map_err(xlsx_error)?;
            sheet
                .add_data_validation(1, col, 100_000, col, &validation)
                .map_err(xlsx_error)?;
        }
        if !branches.is_empty() {
            let validation = DataValidation::new().allow_list_formula(Formula::new(format!(
                "=支部列表!$A$1:$A${}",
                branches.len()
            )));
            sheet
                .add_data_validation(1, 3, 100_000, 3, &validation)
                .map_err(xlsx_error)?;
        }
        let list_sheet = workbook
            .add_worksheet()
            .set_name("支部列表")
            .map_err(xlsx_error)?;
        for (row, branch) in branches.iter().enumerate() {
            list_sheet
                .write(row as u32, 0, branch.name.as_str())
                .map_err(xlsx_error)?;
        }
        list_sheet.set_hidden(true);
        workbook.save_to_buffer().map_err(xlsx_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tabular::{Cell, Sheet};
    use chrono::NaiveDate;
    use domain::Gender;
    use domain::idcard::make_id_number;

    fn rows(rows: Vec<Vec<Cell>>) -> Sheet {
        Sheet::from_rows(rows)
    }

    fn cells(values: &[&str]) -> Vec<Cell> {
        values
            .iter()
            .map(|v| Cell {
                text: v.to_string(),
                numeric: false,
            })
            .collect()
    }

    fn id(seq: u16) -> String {
        make_id_number(
            "440103",
            NaiveDate::from_ymd_opt(1975, 3, 9).unwrap(),
            seq,
            Gender::Female,
        )
    }

    fn row(name: &str, id_number: &str, branch: &str) -> Vec<Cell> {
        cells(&[
            name,
            id_number,
            "",
            branch,
            "离退休",
            "",
            "正式党员",
            "1998-07-01",
            "1999-07-01",
            "",
            "否",
            "否",
            "",
            "",
        ])
    }

    type Maps = (
        HashMap<String, Vec<i64>>,
        HashMap<String, Vec<PostOrg>>,
        HashMap<String, Vec<i64>>,
    );

    fn maps() -> Maps {
        let branches = by_name(
            vec![
                ("第一支部".to_string(), 7),
                ("重名支部".to_string(), 8),
                ("重名支部".to_string(), 9),
            ]
            .into_iter(),
        );
        let org = |id, is_party_group| vec![PostOrg { id, is_party_group }];
        let post_orgs = HashMap::from([
            ("第一支部".to_string(), org(7, false)),
            ("第一党小组".to_string(), org(70, true)),
            ("社区党委".to_string(), org(3, false)),
        ]);
        (branches, post_orgs, HashMap::new())
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    #[test]
    fn a_clean_sheet_yields_every_member() {
        let (branches, post_orgs, communities) = maps();
        let sheet = rows(vec![
            cells(&HEADERS),
            row("王芳", &id(11), "第一支部"),
            row("李娜", &id(21), "第一支部"),
        ]);
        let ready = check_sheet(
            &sheet,
            &branches,
            &post_orgs,
            &communities,
            &HashSet::new(),
            today(),
        )
        .unwrap();
        assert_eq!(ready.len(), 2);
        assert_eq!(ready[0].branch_id, 7);
        assert_eq!(ready[0].category, "retired");
    }

    #[test]
    fn every_bad_row_is_reported_with_its_excel_row_number() {
        let (branches, post_orgs, communities) = maps();
        let mut bad_id = id(31);
        bad_id.replace_range(17..18, if bad_id.ends_with('0') { "1" } else { "0" });
        let sheet = rows(vec![
            cells(&HEADERS),
            row("王芳", &id(11), "第一支部"),
            row("赵敏", &bad_id, "第一支部"),
            row("周杰", &id(41), "不存在支部"),
            row("吴磊", &id(11), "第一支部"),
            row("郑爽", &id(51), "重名支部"),
            row("孙丽", &id(61), "第一支部"),
        ]);
        let existing: HashSet<String> = [id(61)].into_iter().collect();
        let errors = check_sheet(
            &sheet,
            &branches,
            &post_orgs,
            &communities,
            &existing,
            today(),
        )
        .unwrap_err();
        let got: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (3, "身份证号"),
                (4, "所在党支部"),
                (5, "身份证号"),
                (6, "所在党支部"),
                (7, "身份证号")
            ]
        );
        assert!(errors[2].message.contains("第 2 行"));
    }

    #[test]
    fn missing_columns_and_numeric_id_cells_are_explained() {
        let (branches, post_orgs, communities) = maps();
        let sheet = rows(vec![cells(&["姓名", "身份证号"])]);
        let errors = check_sheet(
            &sheet,
            &branches,
            &post_orgs,
            &communities,
            &HashSet::new(),
            today(),
        )
        .unwrap_err();
        assert!(errors.iter().any(|e| e.message.contains("所在党支部")));

        let mut r = row("王芳", "440103197503090000", "第一支部");
        r[1].numeric = true;
        let sheet = rows(vec![cells(&HEADERS), r]);
        let errors = check_sheet(
            &sheet,
            &branches,
            &post_orgs,
            &communities,
            &HashSet::new(),
            today(),
        )
        .unwrap_err();
        assert!(errors[0].message.contains("文本"));
    }

    #[test]
    fn a_workbook_whose_first_sheet_lacks_the_data_says_which_sheet_was_read() {
        let (branches, post_orgs, communities) = maps();
        let mut empty = Sheet {
            name: Some("封面".into()),
            other_sheets: vec!["党员信息".into()],
            rows: vec![],
        };
        let errors = check_sheet(
            &empty,
            &branches,
            &post_orgs,
            &communities,
            &HashSet::new(),
            today(),
        )
        .unwrap_err();
        assert!(errors[0].message.contains("「封面」"), "{errors:?}");
        assert!(errors[0].message.contains("「党员信息」"), "{errors:?}");

        empty.rows = Sheet::from_rows(vec![cells(&["说明", "请见第二页"])]).rows;
        let errors = check_sheet(
            &empty,
            &branches,
            &post_orgs,
            &communities,
            &HashSet::new(),
            today(),
        )
        .unwrap_err();
        assert!(
            errors.iter().any(|e| e.message.contains("「党员信息」")),
            "{errors:?}"
        );
    }

    #[test]
    fn a_header_below_blank_rows_is_found_and_rows_keep_excel_numbers() {
        let (branches, post_orgs, communities) = maps();
        let mut bad = row("王芳", &id(11), "不存在支部");
        bad[0].text = "王芳".into();
        let sheet = rows(vec![vec![], cells(&HEADERS), bad]);
        let errors = check_sheet(
            &sheet,
            &branches,
            &post_orgs,
            &communities,
            &HashSet::new(),
            today(),
        )
        .unwrap_err();
        assert_eq!(errors[0].row, 3);
    }

    /// The record's columns as the template has them, after the first fourteen.
    fn with_record(mut row: Vec<Cell>, record: [&str; 6]) -> Vec<Cell> {
        row.extend(cells(&record));
        row
    }

    #[test]
    fn the_record_columns_are_read_and_checked() {
        let (branches, post_orgs, communities) = maps();
        let sheet = rows(vec![
            cells(&HEADERS),
            with_record(
                row("王芳", &id(11), "第一支部"),
                ["回", "本科", "广东广州", "党支部书记", "", "1995-08-01"],
            ),
            with_record(
                row("李娜", &id(21), "第一支部"),
                ["汉族", "硕士研究生", "", "党小组长", "第一党小组", ""],
            ),
            with_record(
                row("周杰", &id(31), "第一支部"),
                ["", "", "", "宣传委员", "社区党委", ""],
            ),
        ]);
        let ready = check_sheet(
            &sheet,
            &branches,
            &post_orgs,
            &communities,
            &HashSet::new(),
            today(),
        )
        .unwrap();
        assert_eq!(ready[0].ethnicity.as_deref(), Some("回族"));
        assert_eq!(ready[0].education.as_deref(), Some("bachelor"));
        assert_eq!(ready[0].native_place.as_deref(), Some("广东广州"));
        assert_eq!(ready[0].party_post.as_deref(), Some("secretary"));
        assert_eq!(ready[0].party_post_org_id, Some(7), "the branch by default");
        assert_eq!(
            ready[0].work_started_on,
            NaiveDate::from_ymd_opt(1995, 8, 1)
        );
        assert_eq!(ready[1].party_post_org_id, Some(70));
        assert_eq!(ready[1].education.as_deref(), Some("postgraduate"));
        assert_eq!(ready[2].party_post_org_id, Some(3));

        let sheet = rows(vec![
            cells(&HEADERS),
            with_record(
                row("王芳", &id(11), "第一支部"),
                ["火星", "幼儿园", "", "", "", "1960-01-01"],
            ),
            with_record(
                row("李娜", &id(21), "第一支部"),
                ["", "", "", "党小组长", "", ""],
            ),
            with_record(
                row("周杰", &id(31), "第一支部"),
                ["", "", "", "书记", "第一党小组", ""],
            ),
            with_record(
                row("吴磊", &id(41), "第一支部"),
                ["", "", "", "书记", "别处党委", ""],
            ),
        ]);
        let errors = check_sheet(
            &sheet,
            &branches,
            &post_orgs,
            &communities,
            &HashSet::new(),
            today(),
        )
        .unwrap_err();
        let got: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (2, "民族"),
                (2, "学历"),
                (2, "参加工作日期"),
                (3, "任职组织"),
                (4, "任职组织"),
                (5, "任职组织"),
            ],
            "{errors:?}"
        );
    }

    #[test]
    fn the_template_s_example_row_is_never_imported() {
        let (branches, post_orgs, communities) = maps();
        let mut example = row(
            &format!("{EXAMPLE_MARK}张三（本行不会导入）"),
            &id(11),
            "第一支部",
        );
        example[1].text = "not checked".into();
        let sheet = rows(vec![
            cells(&HEADERS),
            example,
            row("王芳", &id(21), "第一支部"),
        ]);
        let ready = check_sheet(
            &sheet,
            &branches,
            &post_orgs,
            &communities,
            &HashSet::new(),
            today(),
        )
        .unwrap();
        assert_eq!(ready.len(), 1);
        assert_eq!(ready[0].name, "王芳");
    }
}
