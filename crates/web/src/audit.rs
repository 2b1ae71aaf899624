//! The audit log.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use crate::auth::Session;
use crate::error::PageError;
use crate::pages::render;
use crate::view::Layout;
use app::App;
use serde_json::Value;
use store::AuditRow;
use store::audit::Named;

type PageResult = Result<Response, PageError>;

#[derive(Template)]
#[template(path = "audit.html")]
pub(crate) struct AuditPage {
    layout: Layout,
    rows: Vec<AuditRow>,
    names: Names,
    page: i64,
    entity: String,
    has_next: bool,
}

#[derive(Deserialize)]
pub struct AuditQuery {
    page: Option<i64>,
    #[serde(default)]
    entity: String,
}

pub(crate) const AUDIT_PAGE: i64 = 100;

pub async fn audit(
    State(app): State<App>,
    session: Session,
    Query(q): Query<AuditQuery>,
) -> PageResult {
    let page = app::page_number(q.page);
    let entity = Some(q.entity.as_str()).filter(|e| !e.is_empty());
    let rows = app
        .audit_log(&session.actor, entity, AUDIT_PAGE, (page - 1) * AUDIT_PAGE)
        .await?;
    let names = Names::of(&app, &rows).await;
    render(&AuditPage {
        layout: Layout::new(&session, "审计日志", "audit"),
        has_next: rows.len() as i64 == AUDIT_PAGE,
        names,
        rows,
        page,
        entity: q.entity,
    })
}

/// The most rows an export of the audit log writes.
const AUDIT_EXPORT_ROWS: i64 = 5_000;

/// The audit log as the page filters it, to Excel, with changes in words as on the page.
pub async fn audit_export(
    State(app): State<App>,
    session: Session,
    Query(q): Query<AuditQuery>,
) -> PageResult {
    use app::tabular::{Figure, FigureSheet, figures_xlsx};
    let entity = Some(q.entity.as_str()).filter(|e| !e.is_empty());
    let rows = app
        .audit_log(&session.actor, entity, AUDIT_EXPORT_ROWS, 0)
        .await?;
    let names = Names::of(&app, &rows).await;
    let actor = &session.actor;
    app.db
        .audit_event(
            actor.org_id,
            &actor.author(),
            "export",
            "audit",
            &format!("导出审计日志 {} 条", rows.len()),
        )
        .await
        .map_err(app::AppError::from)?;
    let table = rows
        .iter()
        .map(|r| {
            vec![
                Figure::Text(crate::view::time(&r.at)),
                Figure::Text(r.actor_name.clone()),
                Figure::Text(crate::view::action(&r.action).to_string()),
                Figure::Text(r.summary.clone()),
                Figure::Text(changes(&r.changes, &names)),
            ]
        })
        .collect();
    let bytes = figures_xlsx(&[FigureSheet {
        name: "审计日志".into(),
        title: format!("审计日志（最近 {} 条）", rows.len()),
        headers: ["时间", "操作人", "操作", "内容", "变更"]
            .map(String::from)
            .to_vec(),
        rows: table,
    }])?;
    Ok(crate::pages::download(
        bytes,
        crate::pages::XLSX,
        "审计日志.xlsx",
        "audit.xlsx",
    ))
}

/// The names of the orgs, territories and call units that audit rows' changes mention by id,
/// so that a change reads "所在党支部：甲支部 → 乙支部" and never shows a number.
#[derive(Debug, Clone, Default)]
pub(crate) struct Names(HashMap<(Named, i64), String>);

/// What an id-valued field names.
fn named(key: &str) -> Option<Named> {
    match key {
        "branch_id" | "party_post_org_id" | "parent_id" | "org_id" | "from_org_id"
        | "to_org_id" => Some(Named::Org),
        "registered_community_id" | "territory_id" => Some(Named::Territory),
        "holder_unit_id" => Some(Named::CallUnit),
        _ => None,
    }
}

impl Names {
    /// Looks up every id the rows' changes mention. A failed look-up leaves names out (the
    /// change then says "已删除的组织"); it never stops the page.
    pub(crate) async fn of(app: &App, rows: &[AuditRow]) -> Names {
        let mut wanted: HashMap<Named, Vec<i64>> = HashMap::new();
        for row in rows {
            let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(&row.changes) else {
                continue;
            };
            for (key, value) in &fields {
                let Some(kind) = named(key) else { continue };
                let ids = wanted.entry(kind).or_default();
                match value {
                    Value::Array(pair) => ids.extend(pair.iter().filter_map(Value::as_i64)),
                    other => ids.extend(other.as_i64()),
                }
            }
        }
        let mut names = HashMap::new();
        for (kind, mut ids) in wanted {
            ids.sort_unstable();
            ids.dedup();
            for (id, name) in app.db.names_of(kind, &ids).await.unwrap_or_default() {
                names.insert((kind, id), name);
            }
        }
        Names(names)
    }
}

fn field_label(key: &str) -> &'static str {
    match key {
        "name" => "姓名",
        "id_number" => "身份证号",
        "phone" => "电话",
        "branch_id" => "所在党支部",
        "category" => "类别",
        "management_mode" => "管理方式",
        "status" => "状态",
        "admitted_on" => "入党日期",
        "full_on" => "转正日期",
        "birth_date" => "出生日期",
        "gender" => "性别",
        "lost_contact" => "失联",
        "pocket" => "口袋党员",
        "work_unit" => "工作单位",
        "registered_community_id" => "报到社区",
        "registered_on" => "报到日期",
        "ethnicity" => "民族",
        "education" => "学历",
        "native_place" => "籍贯",
        "party_post" => "党内职务",
        "party_post_org_id" => "任职组织",
        "work_started_on" => "参加工作日期",
        "secretary" => "书记",
        "founded_on" => "成立日期",
        "dissolved_on" => "撤销日期",
        "membership" => "组织关系记录",
        "territory_id" => "服务区域",
        "parent_id" => "上级组织",
        "org_id" => "组织",
        "branch_kind" => "支部类别",
        "monthly_fen" => "月交党费",
        "base_fen" => "计算基数",
        "amount_fen" => "金额",
        "effective_month" => "起始月份",
        "months" => "月份",
        "method" => "交纳方式",
        "from_month" => "起始月份",
        "to_month" => "截止月份",
        "approved_by" => "批准人",
        "approval_ref" => "批准文号",
        "spent_on" => "支出日期",
        "purpose" => "用途",
        "institution" => "会议类型",
        "held_on" => "会议日期",
        "place" => "地点",
        "chair" => "主持人",
        "recorder" => "记录人",
        "agenda" => "议程",
        "minutes" => "会议记录",
        "resolutions" => "决议",
        "meeting" => "会议",
        "attendance" => "出席情况",
        "holder_unit_id" => "承办单位",
        "items" => "事项目录",
        "holidays" => "节假日",
        "makeup_workdays" => "调休上班日",
        "rules" => "组织生活规则",
        "deleted" => "删除的内容",
        "kind" => "类型",
        "from_date" => "起始日期",
        "term_months" => "期限（月）",
        "reason" => "原因",
        "approval" => "批准",
        "ended_on" => "结束日期",
        "end_approval" => "结束批准",
        "unit" => "单位",
        "post" => "职务",
        "role" => "角色",
        "display_name" => "显示名",
        "username" => "用户名",
        "active" => "启用",
        "stage" => "阶段",
        "action" => "步骤",
        "rule_version" => "所依据的规定",
        "applied_on" => "申请日期",
        "next_due_on" => "下一时限",
        "next_due_what" => "下一事项",
        "direction" => "转接类型",
        "member_id" => "党员编号",
        "from_org_id" => "转出党支部",
        "to_org_id" => "转入党支部",
        "from_text" => "开具介绍信的党组织",
        "to_text" => "接收的党组织",
        "reach" => "去向",
        "state" => "办理状态",
        "requested_on" => "申请日期",
        "issued_on" => "介绍信开具日期",
        "valid_until" => "有效期至",
        "letter_number" => "介绍信编号",
        "title" => "名称",
        "quiet_months" => "未参加组织生活的月数",
        "note" => "情况",
        _ => "其他信息",
    }
}

/// A stored code in words, by the field that holds it; `None` when the field holds no code.
fn code_label(key: &str, code: &str) -> Option<&'static str> {
    use domain::*;
    match key {
        "category" => MemberCategory::from_code(code)
            .map(MemberCategory::label)
            .or_else(|| dues::DuesCategory::from_code(code).map(dues::DuesCategory::label)),
        "management_mode" => ManagementMode::from_code(code).map(ManagementMode::label),
        "status" => MemberStatus::from_code(code)
            .map(MemberStatus::label)
            .or_else(|| calls::Status::from_code(code).map(calls::Status::label)),
        "gender" => Gender::from_code(code).map(Gender::label),
        "education" => record::Education::from_code(code).map(record::Education::label),
        "party_post" => record::PartyPost::from_code(code).map(record::PartyPost::label),
        "branch_kind" => BranchKind::from_code(code).map(BranchKind::label),
        "institution" => orglife::Institution::from_code(code).map(orglife::Institution::label),
        "kind" => rights::RestrictionKind::from_code(code)
            .map(rights::RestrictionKind::label)
            .or_else(|| OrgKind::from_code(code).map(OrgKind::label)),
        "reason" => {
            membership::MembershipReason::from_code(code).map(membership::MembershipReason::label)
        }
        "role" => Role::from_code(code).map(Role::label),
        "method" => Some(app::dues::method_label(code))
            .filter(|l| !l.is_empty())
            .or_else(|| lost_contact::Attempt::from_code(code).map(lost_contact::Attempt::label)),
        "stage" => admission::Stage::from_code(code).map(admission::Stage::label),
        "action" => app::admission::STEPS
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, label)| *label)
            .or_else(|| {
                app::transfers::STEPS
                    .contains(&code)
                    .then(|| app::transfers::step_label(transfer::Direction::Within, code))
            }),
        "direction" => transfer::Direction::from_code(code).map(transfer::Direction::label),
        "reach" => transfer::Reach::from_code(code).map(transfer::Reach::label),
        "state" => transfer::TransferState::from_code(code)
            .map(transfer::TransferState::label)
            .or_else(|| {
                lost_contact::CaseState::from_code(code).map(lost_contact::CaseState::label)
            }),
        "rule_version" => {
            admission::RuleVersion::from_code(code).map(admission::RuleVersion::label)
        }
        _ => None,
    }
}

fn show(key: &str, value: &Value, names: &Names) -> String {
    match value {
        Value::Null => "—".to_string(),
        Value::Bool(b) => if *b { "是" } else { "否" }.to_string(),
        Value::Number(n) => match (named(key), n.as_i64()) {
            (Some(kind), Some(id)) => names
                .0
                .get(&(kind, id))
                .cloned()
                .unwrap_or_else(|| "已删除的记录".to_string()),
            (None, Some(fen)) if key.ends_with("_fen") => {
                format!("{} 元", domain::dues::Fen(fen))
            }
            _ => n.to_string(),
        },
        // Some records keep a whole list as JSON text (rule sets, the catalogue, the calendar):
        // it reads as what it holds, not as its text.
        Value::String(s) if s.starts_with(['[', '{']) => match serde_json::from_str::<Value>(s) {
            Ok(inner @ (Value::Array(_) | Value::Object(_))) => show(key, &inner, names),
            _ => s.clone(),
        },
        Value::String(s) => code_label(key, s).map_or_else(|| s.clone(), str::to_string),
        Value::Array(items) if items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("、"),
        Value::Array(items) => format!("{} 项", items.len()),
        Value::Object(_) => "已留存".to_string(),
    }
}

/// An audit row's `{field: [old, new]}` in words: "入党日期：— → 1995-07-01；…". The search
/// keys that only mirror the name, and row ids, are left out.
pub(crate) fn changes(json: &str, names: &Names) -> String {
    let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(json) else {
        return String::new();
    };
    fields
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "name_pinyin" | "name_initials" | "id"))
        .map(|(k, v)| match v.as_array().map(Vec::as_slice) {
            Some([old, new]) => format!(
                "{}：{} → {}",
                field_label(k),
                show(k, old, names),
                show(k, new, names)
            ),
            _ => format!("{}：{}", field_label(k), show(k, v, names)),
        })
        .collect::<Vec<_>>()
        .join("；")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names {
        Names(HashMap::from([
            ((Named::Org, 7), "第一党支部".to_string()),
            ((Named::Org, 8), "第二党支部".to_string()),
            ((Named::CallUnit, 3), "解放碑街道".to_string()),
        ]))
    }

    #[test]
    fn audit_changes_read_as_chinese_old_to_new() {
        let text = changes(
            r#"{"admitted_on":[null,"1995-07-01"],"lost_contact":[false,true],"name_pinyin":[null,"x"]}"#,
            &names(),
        );
        assert_eq!(text, "入党日期：— → 1995-07-01；失联：否 → 是");
        assert_eq!(changes("not json", &names()), "");
        assert_eq!(crate::view::action("export"), "导出");
    }

    #[test]
    fn an_admission_step_reads_in_words() {
        let text = changes(
            r#"{"stage":["activist","dev_object"],"action":[null,"name_dev_object"],
                "rule_version":[null,"rules_2014"]}"#,
            &names(),
        );
        assert!(text.contains("阶段：入党积极分子 → 发展对象"), "{text}");
        assert!(text.contains("步骤：— → 确定为发展对象"), "{text}");
        assert!(text.contains("所依据的规定：— → 2014年"), "{text}");
    }

    /// Issue 12: enum keys, field names and ids never reach the page.
    #[test]
    fn codes_and_ids_are_shown_as_words_and_names() {
        let text = changes(
            r#"{"branch_id":[7,8],"category":["in_service","retired"],"gender":[null,"male"],
                "education":[null,"bachelor"],"party_post":[null,"group_leader"],
                "holder_unit_id":[3,99],"status":["submitted","in_progress"],
                "monthly_fen":[null,1250],"months":[null,["2026-01","2026-02"]],
                "some_new_field":[1,2],"id":5,"meeting":{"held_on":"2026-01-01"},
                "rules":[null,"[{\"institution\":\"party_lecture\",\"needs_committee\":true}]"]}"#,
            &names(),
        );
        for part in [
            "所在党支部：第一党支部 → 第二党支部",
            "类别：在职 → 离退休",
            "性别：— → 男",
            "学历：— → 大学本科",
            "党内职务：— → 党小组组长",
            "承办单位：解放碑街道 → 已删除的记录",
            "状态：待受理 → 办理中",
            "月交党费：— → 12.50 元",
            "月份：— → 2026-01、2026-02",
            "其他信息：1 → 2",
            "会议：已留存",
            "组织生活规则：— → 1 项",
        ] {
            assert!(text.contains(part), "{part} in {text}");
        }
        let snake = text
            .split(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .find(|w| w.contains('_') && w.len() > 2);
        assert_eq!(snake, None, "{text}");
    }
}
