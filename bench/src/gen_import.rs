//! Writes a member import workbook of N valid rows for the branches of an existing database, to
//! time `dangjian import members` at scale.
//!
//! `gen-import --db sqlite://bench.db --rows 100000 --out import.xlsx`

use chrono::{Duration, NaiveDate};
use dangjian_bench::arg;
use rust_xlsxwriter::{Format, Workbook};

use app::import::HEADERS;
use domain::idcard::make_id_number;
use domain::{Gender, OrgKind};
use store::{Db, Scope};

/// A region code the demo generator never uses, so generated numbers cannot clash with it.
const REGION: &str = "320106";
const SURNAMES: [&str; 12] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙",
];
const GIVEN: [&str; 12] = [
    "明", "华", "军", "芳", "静", "磊", "洋", "艳", "勇", "杰", "娟", "涛",
];

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let db = Db::open(&arg("--db", "sqlite://dangjian-demo.db")).await?;
    let rows: usize = arg("--rows", "100000").parse()?;
    let out = arg("--out", "import.xlsx");
    // The first district: the demo's only one, or the first under its province (whose
    // `admin` the import then runs as).
    let district = *db
        .org_root_ids()
        .await?
        .first()
        .ok_or("数据库中没有区县党委，请先运行 dangjian demo")?;
    let branches = db
        .org_list_kind(Scope::Subtree(district), OrgKind::Branch.code())
        .await?;
    if branches.is_empty() {
        return Err("数据库中没有党支部，请先运行 dangjian demo".into());
    }
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet_with_constant_memory()?;
    let text = Format::new().set_num_format("@");
    for (col, header) in HEADERS.iter().enumerate() {
        sheet.write(0, col as u16, *header)?;
    }
    let first_birth = NaiveDate::from_ymd_opt(1950, 1, 1).ok_or("date")?;
    for i in 0..rows {
        // Distinct (birth date, sequence) pairs give distinct, valid numbers.
        let birth = first_birth + Duration::days((i / 500) as i64);
        let gender = if i % 2 == 0 {
            Gender::Male
        } else {
            Gender::Female
        };
        let id = make_id_number(REGION, birth, (i % 500) as u16 * 2, gender);
        let name = format!(
            "{}{}{}",
            SURNAMES[i % 12],
            GIVEN[(i / 12) % 12],
            GIVEN[(i / 144) % 12]
        );
        let admitted = birth + Duration::days(365 * 25);
        let row = (i + 1) as u32;
        let branch = &branches[i % branches.len()].name;
        let values = [
            name.as_str(),
            id.as_str(),
            "",
            branch.as_str(),
            "离退休",
            "",
            "正式党员",
            &admitted.to_string(),
            &(admitted + Duration::days(365)).to_string(),
            "",
            "否",
            "否",
            "",
            "",
        ];
        for (col, value) in values.iter().enumerate() {
            if !value.is_empty() {
                sheet.write_with_format(row, col as u16, *value, &text)?;
            }
        }
    }
    workbook.save(&out)?;
    eprintln!("已写出 {rows} 行到 {out}");
    Ok(())
}
