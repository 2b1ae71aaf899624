//! Registering, editing and finding members. Input arrives as text (a form, a JSON body or a
//! spreadsheet row) and is validated here into [`MemberFields`] before the store sees it.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::{Actor, App, AppError, Result};
use domain::idcard::parse_id_card;
use domain::names::{name_keys, normalise_query};
use domain::personal::{mask_id_number, mask_phone, parse_mobile_phone};
use domain::record::{Education, PartyPost};
use domain::text::{self, echo};
use domain::{ManagementMode, MemberCategory, MemberStatus};
use store::{Member, MemberFields, MemberFilter, MemberRow, StoreError};

/// A member as typed by a person: every field text, as a form or an import row has it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MemberInput {
    #[serde(deserialize_with = "crate::whole::i64")]
    pub branch_id: i64,
    pub name: String,
    pub id_number: String,
    #[serde(default)]
    pub phone: String,
    /// Code (`in_service`) or Chinese label (在职).
    pub category: String,
    /// Empty: the category's usual mode.
    #[serde(default)]
    pub management_mode: String,
    /// Code (`full`) or label (正式党员).
    pub status: String,
    /// 入党日期 (the political birthday), e.g. 2001-07-01.
    pub admitted_on: String,
    /// 转正日期, empty for probationary members.
    #[serde(default)]
    pub full_on: String,
    #[serde(default)]
    pub lost_contact: bool,
    #[serde(default)]
    pub pocket: bool,
    #[serde(default)]
    pub work_unit: String,
    /// The territory (社区) where an in-service member has registered (报到).
    #[serde(default, deserialize_with = "crate::whole::opt_i64")]
    pub registered_community_id: Option<i64>,
    #[serde(default)]
    pub registered_on: String,
    /// 民族: the standard name (汉族) or its short form (汉).
    #[serde(default)]
    pub ethnicity: String,
    /// 学历: code (`bachelor`) or label (大学本科, 本科).
    #[serde(default)]
    pub education: String,
    /// 籍贯, e.g. 重庆市渝中区.
    #[serde(default)]
    pub native_place: String,
    /// 党内职务: code (`secretary`) or label (书记, 组织委员, 党小组组长); empty for none.
    #[serde(default)]
    pub party_post: String,
    /// The org on whose committee the post is held (a 党小组 for its leader). Empty: the
    /// member's own branch.
    #[serde(default, deserialize_with = "crate::whole::opt_i64")]
    pub party_post_org_id: Option<i64>,
    /// 参加工作日期.
    #[serde(default)]
    pub work_started_on: String,
    /// When the branch changes: the day the member moved (default today) …
    #[serde(default)]
    pub moved_on: String,
    /// … and why: `transfer` (组织关系转接, the default), `reorganisation` (党组织调整) or
    /// `correction` (更正记录: the earlier record was wrong from `moved_on` on; it may also
    /// correct a date without a new branch).
    #[serde(default)]
    pub move_reason: String,
}

/// A field-level validation problem: which field, and what is wrong in Chinese.
pub type FieldErrors = Vec<(&'static str, String)>;

/// Accepts the date forms Chinese spreadsheets use: 2001-07-01, 2001/7/1, 2001.7.1, 2001年7月1日
/// and 20010701.
pub fn parse_date_cn(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    if t.len() == 8 && t.chars().all(|c| c.is_ascii_digit()) {
        return NaiveDate::parse_from_str(t, "%Y%m%d").ok();
    }
    let cleaned: String = t
        .replace(['年', '月'], "-")
        .replace('日', "")
        .replace(['/', '.'], "-");
    let parts: Vec<&str> = cleaned.split('-').map(str::trim).collect();
    if parts.len() != 3 {
        return None;
    }
    let y = parts[0].parse().ok()?;
    let m = parts[1].parse().ok()?;
    let d = parts[2].parse().ok()?;
    NaiveDate::from_ymd_opt(y, m, d)
}

fn parse_enum<T>(text: &str, from_label: impl Fn(&str) -> Option<T>) -> Option<T> {
    from_label(text.trim())
}

/// Validates a member as entered, today being `today`. All problems are reported at once.
pub fn validate_member(input: &MemberInput, today: NaiveDate) -> Result<MemberFields, FieldErrors> {
    let mut errors: FieldErrors = Vec::new();
    let name = input.name.trim().to_string();
    if name.is_empty() {
        errors.push(("name", "姓名不能为空".into()));
    } else if let Err(e) = text::PERSON_NAME.check(&name) {
        errors.push(("name", e.to_string()));
    }
    let id = match parse_id_card(&input.id_number) {
        Ok(id) => {
            if id.birth_date > today {
                errors.push(("id_number", "身份证号中的出生日期晚于今天".into()));
            }
            Some(id)
        }
        Err(e) => {
            errors.push(("id_number", e.to_string()));
            None
        }
    };
    let phone = if input.phone.trim().is_empty() {
        None
    } else {
        match parse_mobile_phone(&input.phone) {
            Ok(p) => Some(p),
            Err(e) => {
                errors.push(("phone", e.to_string()));
                None
            }
        }
    };
    let category = parse_enum(&input.category, MemberCategory::from_label);
    if category.is_none() {
        errors.push((
            "category",
            format!(
                "党员类别「{}」无效，应为：{}",
                echo(&input.category),
                MemberCategory::ALL
                    .iter()
                    .map(|c| c.label())
                    .collect::<Vec<_>>()
                    .join("、")
            ),
        ));
    }
    let mode = if input.management_mode.trim().is_empty() {
        category.map(|c| c.default_management_mode())
    } else {
        let mode = parse_enum(&input.management_mode, ManagementMode::from_label);
        if mode.is_none() {
            errors.push((
                "management_mode",
                format!(
                    "管理方式「{}」无效，应为：{}",
                    echo(&input.management_mode),
                    ManagementMode::ALL
                        .iter()
                        .map(|c| c.label())
                        .collect::<Vec<_>>()
                        .join("、")
                ),
            ));
        }
        mode
    };
    let status = parse_enum(&input.status, MemberStatus::from_label);
    if status.is_none() {
        errors.push((
            "status",
            format!(
                "党员状态「{}」无效，应为：正式党员、预备党员",
                echo(&input.status)
            ),
        ));
    }
    let admitted_on = parse_date_cn(&input.admitted_on);
    match admitted_on {
        None => errors.push((
            "admitted_on",
            format!(
                "入党日期「{}」无效，格式如 2001-07-01",
                echo(&input.admitted_on)
            ),
        )),
        Some(d) if d > today => errors.push(("admitted_on", "入党日期不能晚于今天".into())),
        Some(d) => {
            // DOMAIN.md §3.2 (Apply): applicants must be at least 18.
            if let Some(id) = &id {
                let eighteen = id
                    .birth_date
                    .with_year(id.birth_date.year() + 18)
                    .unwrap_or_else(|| id.birth_date + chrono::Duration::days(365 * 18 + 4));
                if d < eighteen {
                    errors.push((
                        "admitted_on",
                        "入党日期时未满 18 周岁，请核对入党日期或身份证号".into(),
                    ));
                }
            }
        }
    }
    let full_on = if input.full_on.trim().is_empty() {
        None
    } else {
        let parsed = parse_date_cn(&input.full_on);
        if parsed.is_none() {
            errors.push((
                "full_on",
                format!(
                    "转正日期「{}」无效，格式如 2002-07-01",
                    echo(&input.full_on)
                ),
            ));
        }
        parsed
    };
    match (status, full_on, admitted_on) {
        (Some(MemberStatus::Probationary), Some(_), _) => {
            errors.push(("full_on", "预备党员不应有转正日期".into()))
        }
        (_, Some(f), Some(a)) if f < a => {
            errors.push(("full_on", "转正日期不能早于入党日期".into()))
        }
        (_, Some(f), _) if f > today => errors.push(("full_on", "转正日期不能晚于今天".into())),
        _ => {}
    }
    let registered_on = if input.registered_on.trim().is_empty() {
        None
    } else {
        let parsed = parse_date_cn(&input.registered_on);
        if parsed.is_none() {
            errors.push(("registered_on", "报到日期无效".into()));
        }
        parsed
    };
    if registered_on.is_some() && input.registered_community_id.is_none() {
        errors.push((
            "registered_community_id",
            "填写了报到日期，请选择报到社区".into(),
        ));
    }
    if let Err(e) = text::WORK_UNIT.check(&input.work_unit) {
        errors.push(("work_unit", e.to_string()));
    }
    let work_unit = Some(input.work_unit.trim().to_string()).filter(|s| !s.is_empty());
    let record = validate_record(input, today, id.as_ref().map(|i| i.birth_date), &mut errors);

    if !errors.is_empty() {
        return Err(errors);
    }
    let (Some(id), Some(category), Some(mode), Some(status), Some(admitted_on)) =
        (id, category, mode, status, admitted_on)
    else {
        return Err(vec![("name", "数据不完整".into())]);
    };
    let keys = name_keys(&name);
    Ok(MemberFields {
        branch_id: input.branch_id,
        name,
        name_pinyin: keys.full,
        name_initials: keys.initials,
        gender: id.gender.code().to_string(),
        id_number: id.number,
        birth_date: id.birth_date,
        phone,
        category: category.code().to_string(),
        management_mode: mode.code().to_string(),
        status: status.code().to_string(),
        admitted_on,
        full_on,
        lost_contact: input.lost_contact,
        pocket: input.pocket,
        work_unit,
        registered_community_id: input.registered_community_id,
        registered_on,
        ethnicity: record.ethnicity,
        education: record.education,
        native_place: record.native_place,
        party_post_org_id: record
            .party_post
            .as_ref()
            .and(input.party_post_org_id.or(Some(input.branch_id))),
        party_post: record.party_post,
        work_started_on: record.work_started_on,
    })
}

/// The optional part of the record, checked.
struct RecordFields {
    ethnicity: Option<String>,
    education: Option<String>,
    native_place: Option<String>,
    party_post: Option<String>,
    work_started_on: Option<NaiveDate>,
}

fn validate_record(
    input: &MemberInput,
    today: NaiveDate,
    birth_date: Option<NaiveDate>,
    errors: &mut FieldErrors,
) -> RecordFields {
    use domain::record::{ETHNIC_GROUPS, Education, PartyPost, ethnic_group};
    let ethnicity = match input.ethnicity.trim() {
        "" => None,
        text => {
            let found = ethnic_group(text);
            if found.is_none() {
                errors.push((
                    "ethnicity",
                    format!(
                        "民族「{}」不是标准民族名称，如 汉族、回族、蒙古族（共 {} 项）",
                        echo(text),
                        ETHNIC_GROUPS.len()
                    ),
                ));
            }
            found.map(str::to_string)
        }
    };
    let education = match input.education.trim() {
        "" => None,
        text => {
            let found = Education::from_label(text);
            if found.is_none() {
                errors.push((
                    "education",
                    format!(
                        "学历「{}」无效，应为：{}",
                        echo(text),
                        Education::ALL
                            .iter()
                            .map(|e| e.label())
                            .collect::<Vec<_>>()
                            .join("、")
                    ),
                ));
            }
            found.map(|e| e.code().to_string())
        }
    };
    if let Err(e) = text::NATIVE_PLACE.check(&input.native_place) {
        errors.push(("native_place", e.to_string()));
    }
    let native_place = Some(input.native_place.trim().to_string()).filter(|s| !s.is_empty());
    let party_post = match input.party_post.trim() {
        "" | "无" => None,
        text => {
            let found = PartyPost::from_label(text);
            if found.is_none() {
                errors.push((
                    "party_post",
                    format!(
                        "党内职务「{}」无效，应为：{}，没有职务请留空",
                        echo(text),
                        PartyPost::ALL
                            .iter()
                            .map(|p| p.label())
                            .collect::<Vec<_>>()
                            .join("、")
                    ),
                ));
            }
            found.map(|p| p.code().to_string())
        }
    };
    let work_started_on = match input.work_started_on.trim() {
        "" => None,
        text => match parse_date_cn(text) {
            None => {
                errors.push((
                    "work_started_on",
                    format!("参加工作日期「{}」无效，格式如 1998-08-01", echo(text)),
                ));
                None
            }
            Some(d) if d > today => {
                errors.push(("work_started_on", "参加工作日期不能晚于今天".into()));
                None
            }
            Some(d) if birth_date.is_some_and(|b| d <= b) => {
                errors.push(("work_started_on", "参加工作日期不能早于出生日期".into()));
                None
            }
            Some(d) => Some(d),
        },
    };
    RecordFields {
        ethnicity,
        education,
        native_place,
        party_post,
        work_started_on,
    }
}

pub fn invalid(errors: FieldErrors) -> AppError {
    AppError::Invalid(
        errors
            .into_iter()
            .map(|(_, m)| m)
            .collect::<Vec<_>>()
            .join("；"),
    )
}

/// Hides 身份证号 and phone unless the actor's role may see them (DESIGN.md, Conventions).
pub fn mask_row(actor: &Actor, row: &mut MemberRow) {
    if !actor.may_see_personal_data() {
        row.id_number = mask_id_number(&row.id_number);
        row.phone = row.phone.as_deref().map(mask_phone);
    }
}

/// Lists always mask: a list is for finding people, a member's page is where a full number
/// is shown to those allowed to see it.
pub fn mask_row_always(row: &mut MemberRow) {
    row.id_number = mask_id_number(&row.id_number);
    row.phone = row.phone.as_deref().map(mask_phone);
}

pub fn mask_member(actor: &Actor, member: &mut Member) {
    let own = actor.member_id == Some(member.id);
    if !actor.may_see_personal_data() && !own {
        member.id_number = mask_id_number(&member.id_number);
        member.phone = member.phone.as_deref().map(mask_phone);
    }
}

/// A page of search results and the total.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemberPage {
    /// Matches counted, up to [`COUNT_CAP`].
    pub total: i64,
    /// True when there are more than [`COUNT_CAP`] matches.
    pub more: bool,
    pub rows: Vec<MemberRow>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberQuery {
    /// Name, full pinyin or initials prefix (张三 / zhangsan / zs).
    #[serde(default)]
    pub q: String,
    pub org_id: Option<i64>,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub status: String,
    /// `lost_contact`, `pocket` or `incomplete` (a 正式党员 without 转正日期).
    #[serde(default)]
    pub flag: String,
    /// `male` or `female`.
    #[serde(default)]
    pub gender: String,
    /// An age band of the dashboard (`36_45`), counted as of the first of this month.
    #[serde(default)]
    pub age: String,
    /// A 党龄 band of the dashboard (`10_19`, `probationary`, `unknown`).
    #[serde(default)]
    pub party_age: String,
    /// 学历: code or label, or `unknown` for records without one.
    #[serde(default)]
    pub education: String,
    /// 民族 (汉族 or 汉).
    #[serde(default)]
    pub ethnicity: String,
    /// 党内职务: code or label, or `any` for every member holding a post.
    #[serde(default)]
    pub party_post: String,
    /// 1-based page of 50.
    pub page: Option<i64>,
    /// `1`: count every match exactly, past the usual cap.
    #[serde(default)]
    pub exact: String,
}

impl MemberQuery {
    pub fn to_filter(&self) -> MemberFilter {
        let q = normalise_query(&self.q);
        let as_of = domain::dues_ledger::Month::of(today()).first_day();
        let mut filter = MemberFilter {
            query: Some(q).filter(|q| !q.is_empty()),
            org_id: self.org_id,
            category: MemberCategory::from_label(&self.category).map(|c| c.code().to_string()),
            status: MemberStatus::from_label(&self.status).map(|s| s.code().to_string()),
            lost_contact: (self.flag == "lost_contact").then_some(true),
            pocket: (self.flag == "pocket").then_some(true),
            incomplete: (self.flag == "incomplete").then_some(true),
            gender: domain::Gender::from_label(&self.gender).map(|g| g.code().to_string()),
            education: match self.education.trim() {
                "unknown" | "未填写" => Some("unknown".into()),
                text => Education::from_label(text).map(|e| e.code().to_string()),
            },
            ethnicity: domain::record::ethnic_group(&self.ethnicity).map(str::to_string),
            party_post: match self.party_post.trim() {
                "any" | "有职务" => Some("any".into()),
                text => PartyPost::from_label(text).map(|p| p.code().to_string()),
            },
            ..Default::default()
        };
        if let Some((from, before)) = band_dates(domain::rollups::AGE_BANDS, &self.age, as_of) {
            filter.born_from = from;
            filter.born_before = before;
        }
        match self.party_age.as_str() {
            "probationary" => filter.status = Some(MemberStatus::Probationary.code().into()),
            "unknown" => filter.incomplete = Some(true),
            band => {
                if let Some((from, before)) =
                    band_dates(domain::rollups::PARTY_AGE_BANDS, band, as_of)
                {
                    filter.status = Some(MemberStatus::Full.code().into());
                    filter.full_from = from;
                    filter.full_before = before;
                }
            }
        }
        filter
    }
}

/// The dates whose completed years on `as_of` fall in a band of the dashboard: on or after the
/// first, before the second (either open). The same counting as `domain::dates::years_since`:
/// `n` years are complete on the `n`th anniversary.
fn band_dates(
    bands: &[(&str, &str, u32, u32)],
    code: &str,
    as_of: NaiveDate,
) -> Option<(Option<NaiveDate>, Option<NaiveDate>)> {
    let (_, _, lo, hi) = bands.iter().find(|b| b.0 == code)?;
    let years_back = |n: u32| {
        i32::try_from(n)
            .ok()
            .and_then(|n| as_of.with_year(as_of.year() - n))
    };
    // Completed years ≥ lo: the date is on or before as_of − lo years.
    let before = years_back(*lo).and_then(|d| d.succ_opt());
    // Completed years ≤ hi: the date is after as_of − (hi + 1) years.
    let from = hi
        .checked_add(1)
        .and_then(years_back)
        .and_then(|d| d.succ_opt());
    Some((from, before))
}

impl MemberQuery {
    /// The query string of the filters (not the page), for links that keep them.
    pub fn filter_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        for (key, value) in [
            ("q", &self.q),
            ("category", &self.category),
            ("status", &self.status),
            ("flag", &self.flag),
            ("gender", &self.gender),
            ("age", &self.age),
            ("party_age", &self.party_age),
            ("education", &self.education),
            ("ethnicity", &self.ethnicity),
            ("party_post", &self.party_post),
        ] {
            if !value.is_empty() {
                pairs.push((key, value.clone()));
            }
        }
        if let Some(org) = self.org_id {
            pairs.push(("org_id", org.to_string()));
        }
        pairs
    }
}

pub const PAGE_SIZE: i64 = 50;
/// Search results are counted exactly up to this many; beyond it the page says "超过".
pub const COUNT_CAP: i64 = 1_000;

impl App {
    pub async fn search_members(&self, actor: &Actor, query: &MemberQuery) -> Result<MemberPage> {
        actor.require_staff()?;
        self.check_org_filter(actor, query).await?;
        let filter = query.to_filter();
        let page = crate::page_number(query.page);
        let scope = actor.scope();
        let mut rows = self
            .db
            .member_search(scope, &filter, PAGE_SIZE, (page - 1) * PAGE_SIZE)
            .await?;
        // Counting a whole district takes a moment, so the exact figure is counted when asked.
        let (total, more) = if query.exact == "1" {
            (self.db.member_count(scope, &filter).await?, false)
        } else {
            self.db
                .member_count_capped(scope, &filter, COUNT_CAP)
                .await?
        };
        rows.iter_mut().for_each(mask_row_always);
        Ok(MemberPage { total, more, rows })
    }

    /// An org filter naming an org outside the scope is refused, not silently emptied.
    pub async fn check_org_filter(&self, actor: &Actor, query: &MemberQuery) -> Result<()> {
        if let Some(org) = query.org_id {
            self.db.org_get(actor.scope(), org).await?;
        }
        Ok(())
    }

    pub async fn member(&self, actor: &Actor, id: i64) -> Result<Member> {
        let mut member = self.db.member_get(actor.scope(), id).await?;
        mask_member(actor, &mut member);
        Ok(member)
    }

    /// The data-quality list of the actor's scope: records to complete or act on. A 正式党员
    /// without 转正日期 still counts as 正式 everywhere; the list is where the gap is seen.
    pub async fn member_data_problems(&self, actor: &Actor) -> Result<Vec<store::MemberProblem>> {
        actor.require_staff()?;
        let year_ago = today()
            .checked_sub_months(chrono::Months::new(12))
            .unwrap_or(NaiveDate::MIN);
        let mut rows = self
            .db
            .member_data_problems(actor.scope(), year_ago, 500)
            .await?;
        for row in &mut rows {
            mask_row(actor, &mut row.member);
        }
        Ok(rows)
    }

    /// The branches that have held the member, oldest first (组织关系, DOMAIN.md §8).
    pub async fn member_memberships(
        &self,
        actor: &Actor,
        id: i64,
    ) -> Result<Vec<store::MembershipRow>> {
        Ok(self.db.member_history(actor.scope(), id).await?)
    }

    /// The member record unmasked, for the edit form of those who may edit.
    pub async fn member_for_edit(&self, actor: &Actor, id: i64) -> Result<Member> {
        if !actor.role.may_edit() {
            return Err(AppError::Forbidden);
        }
        Ok(self.db.member_get(actor.scope(), id).await?)
    }

    pub async fn create_member(&self, actor: &Actor, input: &MemberInput) -> Result<Member> {
        if !actor.role.may_edit() {
            return Err(AppError::Forbidden);
        }
        let mut fields = validate_member(input, today()).map_err(invalid)?;
        // A new record starts unflagged: the flags follow the search and the transfers.
        fields.lost_contact = false;
        fields.pocket = false;
        self.check_post_org(actor, &fields).await?;
        let created = self
            .db
            .member_create(actor.scope(), &fields, &actor.author())
            .await;
        let member = self
            .note_taken_id_number(actor, created, &[&fields.id_number], "登记党员")
            .await?;
        // A new 正式党员 may bring the branch to the 支委会 threshold.
        self.ledgers_touched(member.branch_id, Some(&[member.branch_id]))
            .await;
        Ok(member)
    }

    pub async fn update_member(
        &self,
        actor: &Actor,
        id: i64,
        input: &MemberInput,
    ) -> Result<Member> {
        if !actor.role.may_edit() {
            return Err(AppError::Forbidden);
        }
        // Someone else's member is "not found" before any talk of what is wrong with the input.
        let current = self.db.member_get(actor.scope(), id).await?;
        let mut fields = validate_member(input, today()).map_err(invalid)?;
        // The 失联 and 口袋 flags follow the lost-contact search and the transfers, not the form.
        fields.lost_contact = current.lost_contact;
        fields.pocket = current.pocket;
        self.check_post_org(actor, &fields).await?;
        let branch_move = branch_move(input, current.branch_id, fields.branch_id, today())?;
        let updated = self
            .db
            .member_update(actor.scope(), id, &fields, branch_move, &actor.author())
            .await;
        let what = format!("修改党员（编号 {id}）");
        let member = self
            .note_taken_id_number(actor, updated, &[&fields.id_number], &what)
            .await?;
        // Every branch the member was counted in may have changed: a correction can reach
        // back to the admission.
        let mut branches: Vec<i64> = self
            .db
            .member_history(actor.scope(), id)
            .await?
            .iter()
            .map(|span| span.branch_id)
            .chain([current.branch_id, member.branch_id])
            .collect();
        branches.sort_unstable();
        branches.dedup();
        self.ledgers_touched(member.branch_id, Some(&branches))
            .await;
        Ok(member)
    }

    /// A post is held on a committee in the actor's scope: a 党小组 for its leader, a branch or
    /// a committee above it for every other post.
    async fn check_post_org(&self, actor: &Actor, fields: &MemberFields) -> Result<()> {
        let (Some(post), Some(org_id)) = (&fields.party_post, fields.party_post_org_id) else {
            return Ok(());
        };
        let org = self.db.org_get(actor.scope(), org_id).await?;
        let is_group = org.kind == domain::OrgKind::PartyGroup.code();
        match post_org_problem(post, &org.name, is_group) {
            Some(message) => Err(AppError::Invalid(message)),
            None => Ok(()),
        }
    }

    /// Passes a store result through; when it was refused for a 身份证号 another member holds,
    /// records the attempt before refusing with a message that says nothing of where.
    pub(crate) async fn note_taken_id_number<T>(
        &self,
        actor: &Actor,
        result: std::result::Result<T, StoreError>,
        numbers: &[&str],
        what: &str,
    ) -> Result<T> {
        match result {
            Err(StoreError::IdNumberTaken) => {
                self.record_taken_id_numbers(actor, numbers, what).await?;
                Err(StoreError::IdNumberTaken.into())
            }
            other => Ok(other?),
        }
    }

    /// Records an attempt to register 身份证号 that other members hold, where only the system
    /// admin reads it (an audit row of the top org), with the numbers masked.
    pub(crate) async fn record_taken_id_numbers(
        &self,
        actor: &Actor,
        numbers: &[&str],
        what: &str,
    ) -> Result<()> {
        const LISTED: usize = 20;
        let root = self
            .db
            .org_get(actor.scope(), actor.org_id)
            .await?
            .root_org_id;
        let masked: Vec<String> = numbers
            .iter()
            .take(LISTED)
            .map(|n| mask_id_number(n))
            .collect();
        let listed = match numbers.len() {
            0 => String::new(),
            n if n > LISTED => format!(" {} 等 {n} 个", masked.join("、")),
            _ => format!(" {} ", masked.join("、")),
        };
        self.db
            .audit_event(
                root,
                &actor.author(),
                "refuse",
                "member",
                &format!(
                    "{what}时使用的身份证号{listed}已有党员登记，已拒绝并提示其联系上级组织核实"
                ),
            )
            .await?;
        Ok(())
    }
}

/// What is wrong with holding `post` (a code) on the org named `org_name`, if anything: a
/// 党小组 has only its leader, and a leader sits on a 党小组 (DOMAIN.md §4).
pub fn post_org_problem(post: &str, org_name: &str, is_party_group: bool) -> Option<String> {
    let group_leader = PartyPost::from_code(post).is_some_and(PartyPost::sits_on_party_group);
    match (group_leader, is_party_group) {
        (true, false) => Some(format!(
            "「{}」不是党小组；党小组组长的任职组织请填所在的党小组",
            echo(org_name)
        )),
        (false, true) => Some(format!(
            "「{}」是党小组，党小组只设组长；书记、委员等职务的任职组织请填党支部或党委",
            echo(org_name)
        )),
        _ => None,
    }
}

/// The move a member edit asks for, if any: a new branch, or a correction of the history.
/// DOMAIN.md §8. The reason defaults to a transfer and the day to today.
pub fn branch_move(
    input: &MemberInput,
    current_branch: i64,
    new_branch: i64,
    today: NaiveDate,
) -> Result<Option<store::BranchMove>> {
    use domain::membership::MembershipReason;
    let reason = match input.move_reason.trim() {
        "" => MembershipReason::Transfer,
        text => MembershipReason::from_label(text)
            .filter(|r| *r != MembershipReason::Admission)
            .ok_or_else(|| AppError::Invalid(format!("变动原因「{text}」无效")))?,
    };
    if new_branch == current_branch && reason != MembershipReason::Correction {
        return Ok(None);
    }
    let on = match input.moved_on.trim() {
        "" => today,
        text => parse_date_cn(text)
            .ok_or_else(|| AppError::Invalid(format!("变动日期「{text}」无效")))?,
    };
    Ok(Some(store::BranchMove { on, reason }))
}

/// A day typed for something already done: empty is today, a later day is refused. `what`
/// names the field in the message.
pub(crate) fn done_on(text: &str, what: &str) -> Result<NaiveDate> {
    let day = match text.trim() {
        "" => today(),
        t => parse_date_cn(t).ok_or_else(|| {
            AppError::Invalid(format!("{what}「{}」不是有效日期", domain::text::echo(t)))
        })?,
    };
    if day > today() {
        return Err(AppError::Invalid(format!("{what}不能晚于今天")));
    }
    Ok(day)
}

/// Today in China, where membership dates are reckoned.
pub fn today() -> NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}

/// The form view of a stored member, for editing.
pub fn input_from_member(m: &Member) -> MemberInput {
    let label = |code: &str, f: fn(&str) -> Option<&'static str>| f(code).unwrap_or("").to_string();
    MemberInput {
        branch_id: m.branch_id,
        name: m.name.clone(),
        id_number: m.id_number.clone(),
        phone: m.phone.clone().unwrap_or_default(),
        category: label(&m.category, |c| {
            MemberCategory::from_code(c).map(|v| v.label())
        }),
        management_mode: label(&m.management_mode, |c| {
            ManagementMode::from_code(c).map(|v| v.label())
        }),
        status: label(&m.status, |c| MemberStatus::from_code(c).map(|v| v.label())),
        admitted_on: m.admitted_on.to_string(),
        full_on: m.full_on.map(|d| d.to_string()).unwrap_or_default(),
        lost_contact: m.lost_contact,
        pocket: m.pocket,
        work_unit: m.work_unit.clone().unwrap_or_default(),
        registered_community_id: m.registered_community_id,
        registered_on: m.registered_on.map(|d| d.to_string()).unwrap_or_default(),
        ethnicity: m.ethnicity.clone().unwrap_or_default(),
        education: label(&m.education.clone().unwrap_or_default(), |c| {
            domain::record::Education::from_code(c).map(|v| v.label())
        }),
        native_place: m.native_place.clone().unwrap_or_default(),
        party_post: label(&m.party_post.clone().unwrap_or_default(), |c| {
            domain::record::PartyPost::from_code(c).map(|v| v.label())
        }),
        party_post_org_id: m.party_post_org_id,
        work_started_on: m.work_started_on.map(|d| d.to_string()).unwrap_or_default(),
        moved_on: String::new(),
        move_reason: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> MemberInput {
        MemberInput {
            branch_id: 1,
            name: "张三".into(),
            id_number: domain::idcard::make_id_number(
                "110107",
                NaiveDate::from_ymd_opt(1980, 5, 4).unwrap(),
                123,
                domain::Gender::Male,
            ),
            phone: "138 0013 8000".into(),
            category: "在职".into(),
            status: "正式党员".into(),
            admitted_on: "2005/7/1".into(),
            full_on: "2006-07-01".into(),
            ..Default::default()
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    #[test]
    fn a_valid_member_gets_derived_fields() {
        let f = validate_member(&valid(), today()).unwrap();
        assert_eq!(f.name_pinyin, "zhangsan");
        assert_eq!(f.name_initials, "zs");
        assert_eq!(f.gender, "male");
        assert_eq!(f.birth_date, NaiveDate::from_ymd_opt(1980, 5, 4).unwrap());
        assert_eq!(f.category, "in_service");
        assert_eq!(f.management_mode, "dual");
        assert_eq!(f.phone.as_deref(), Some("13800138000"));
        assert_eq!(f.admitted_on, NaiveDate::from_ymd_opt(2005, 7, 1).unwrap());
    }

    #[test]
    fn an_empty_management_mode_takes_the_categorys_default() {
        for (category, mode) in [
            ("在职", "dual"),
            ("农民", "direct"),
            ("离退休", "continued"),
            ("流动", "referenced"),
        ] {
            let mut input = valid();
            input.category = category.into();
            assert_eq!(
                validate_member(&input, today()).unwrap().management_mode,
                mode,
                "{category}"
            );
        }
        let mut chosen = valid();
        chosen.category = "离退休".into();
        chosen.management_mode = "直接管理".into();
        assert_eq!(
            validate_member(&chosen, today()).unwrap().management_mode,
            "direct"
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut input = valid();
        input.name = " ".into();
        input.id_number = "110107198005041230".into();
        input.category = "干部".into();
        input.admitted_on = "2005-13-01".into();
        let errors = validate_member(&input, today()).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, vec!["name", "id_number", "category", "admitted_on"]);
    }

    #[test]
    fn admission_before_eighteen_and_probationary_with_full_date_are_refused() {
        let mut input = valid();
        input.admitted_on = "1997-01-01".into();
        let errors = validate_member(&input, today()).unwrap_err();
        assert!(
            errors
                .iter()
                .any(|(f, m)| *f == "admitted_on" && m.contains("18"))
        );

        let mut input = valid();
        input.status = "预备党员".into();
        let errors = validate_member(&input, today()).unwrap_err();
        assert!(errors.iter().any(|(f, _)| *f == "full_on"));
    }

    /// Issue 9, finding 13: text fields had no length limit and were echoed back whole.
    #[test]
    fn long_text_is_refused_and_echoes_are_cut() {
        let mut input = valid();
        input.work_unit = "单位".repeat(51);
        input.category = "x".repeat(100_000);
        let errors = validate_member(&input, today()).unwrap_err();
        let work_unit = errors.iter().find(|(f, _)| *f == "work_unit").unwrap();
        assert!(work_unit.1.contains("最多 100 个字"), "{}", work_unit.1);
        let category = errors.iter().find(|(f, _)| *f == "category").unwrap();
        assert!(category.1.chars().count() < 100, "{}", category.1);
    }

    #[test]
    fn chinese_date_forms_parse() {
        let d = NaiveDate::from_ymd_opt(2001, 7, 1).unwrap();
        for text in [
            "2001-07-01",
            "2001/7/1",
            "2001.7.1",
            "2001年7月1日",
            "20010701",
            " 2001-7-1 ",
        ] {
            assert_eq!(parse_date_cn(text), Some(d), "{text}");
        }
        assert_eq!(parse_date_cn("2001-02-30"), None);
        assert_eq!(parse_date_cn("七月一日"), None);
    }
}
