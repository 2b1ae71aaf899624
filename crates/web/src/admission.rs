//! 发展党员 pages: the list of files with what falls due (the timer page is the same list held
//! to 30 days), opening a file on an application, and a file with its steps and the form for
//! the next one.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::Session;
use crate::error::PageError;
use crate::pages::{form_field, form_status, optional_number, render};
use crate::view::Layout;
use app::admission::{ApplicantInput, ApplicantLine, ApplicantView, StepInput};
use app::{App, AppError};
use domain::admission::Stage;
use domain::{MemberCategory, record::PartyPost};

type PageResult = Result<Response, PageError>;

/// The list's filters, as text so that a stray value is refused in Chinese.
#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    stage: String,
    /// `30`: only files with something due in 30 days or overdue.
    #[serde(default)]
    due: String,
}

#[derive(Template)]
#[template(path = "admission.html")]
struct ListPage {
    layout: Layout,
    lines: Vec<ApplicantLine>,
    stages: Vec<(&'static str, &'static str)>,
    stage: String,
    due_only: bool,
    may_edit: bool,
}

pub async fn applicants(
    State(app): State<App>,
    session: Session,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let due_only = q.due.trim() == "30";
    let stage = match q.stage.trim() {
        "" if due_only => "open".to_string(),
        other => other.to_string(),
    };
    let lines = app
        .applicants(&session.actor, None, &stage, due_only.then_some(30))
        .await?;
    render(&ListPage {
        layout: Layout::new(&session, "发展党员", "admission"),
        lines,
        stages: Stage::ALL.iter().map(|s| (s.code(), s.label())).collect(),
        stage,
        due_only,
        may_edit: session.actor.role.may_edit(),
    })
}

#[derive(Template)]
#[template(path = "admission_new.html")]
struct NewPage {
    layout: Layout,
    branches: Vec<store::OrgNode>,
    categories: Vec<(&'static str, &'static str)>,
    input: ApplicantInput,
    error: String,
}

async fn new_page(
    app: &App,
    session: &Session,
    input: ApplicantInput,
    error: String,
) -> PageResult {
    let branches = app.applicant_branches(&session.actor).await?;
    let status = form_status(&error);
    let page = NewPage {
        layout: Layout::new(session, "受理入党申请", "admission"),
        branches,
        categories: MemberCategory::ALL
            .iter()
            .map(|c| (c.code(), c.label()))
            .collect(),
        input,
        error,
    };
    Ok((status, render(&page)?).into_response())
}

pub async fn applicant_new(State(app): State<App>, session: Session) -> PageResult {
    if !session.actor.role.may_edit() {
        return Err(AppError::Forbidden.into());
    }
    new_page(&app, &session, ApplicantInput::default(), String::new()).await
}

#[derive(Deserialize)]
pub struct ApplicantForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    branch_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    work_unit: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    applied_on: String,
    #[serde(default)]
    rule_version: String,
}

pub async fn applicant_create(
    State(app): State<App>,
    session: Session,
    Form(form): Form<ApplicantForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let input = ApplicantInput {
        branch_id: form.branch_id.trim().parse().unwrap_or(0),
        name: form.name,
        id_number: form.id_number,
        phone: form.phone,
        work_unit: form.work_unit,
        category: form.category,
        applied_on: form.applied_on,
        rule_version: form.rule_version,
    };
    match app.open_applicant(&session.actor, &input).await {
        Ok(id) => Ok(Redirect::to(&format!("/admission/{id}?saved=opened")).into_response()),
        Err(AppError::Invalid(e) | AppError::Conflict(e) | AppError::Refused(e)) => {
            new_page(&app, &session, input, e).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "admission_file.html")]
struct FilePage {
    layout: Layout,
    v: ApplicantView,
    sponsors: Vec<(i64, String)>,
    posts: Vec<(&'static str, &'static str)>,
    may_edit: bool,
    /// What was typed when the step was refused.
    input: StepInput,
    error: String,
}

impl FilePage {
    fn step_label(&self, code: &str) -> String {
        app::admission::step_label(code).to_string()
    }

    fn is_selected(&self, code: &str) -> bool {
        self.input.step == code
    }
}

async fn file_page(
    app: &App,
    session: &Session,
    id: i64,
    flash: &str,
    input: StepInput,
    error: String,
    status: StatusCode,
) -> PageResult {
    let v = app.applicant(&session.actor, id).await?;
    let sponsors = app
        .applicant_sponsor_choices(&session.actor, &v.applicant)
        .await?;
    let page = FilePage {
        layout: Layout::new(
            session,
            format!("发展党员 · {}", v.applicant.name),
            "admission",
        )
        .with_flash(flash),
        v,
        sponsors,
        posts: [
            PartyPost::Secretary,
            PartyPost::DeputySecretary,
            PartyPost::OrganisationMember,
        ]
        .iter()
        .map(|p| (p.code(), p.label()))
        .collect(),
        may_edit: session.actor.role.may_edit(),
        input,
        error,
    };
    Ok((status, render(&page)?).into_response())
}

#[derive(Deserialize, Default)]
pub struct FileQuery {
    #[serde(default)]
    saved: String,
}

pub async fn applicant_page(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Query(q): Query<FileQuery>,
) -> PageResult {
    let flash = match q.saved.as_str() {
        "opened" => "已受理入党申请，请在一个月内派人谈话",
        "step" => "已记录",
        _ => "",
    };
    file_page(
        &app,
        &session,
        id,
        flash,
        StepInput::default(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// A whole number typed in the form, or none when the field is empty.
fn count(pairs: &[(String, String)], key: &str) -> Result<Option<u32>, AppError> {
    match form_field(pairs, key).trim() {
        "" => Ok(None),
        text => text
            .parse()
            .map(Some)
            .map_err(|_| AppError::Invalid(format!("「{}」应为整数", domain::text::echo(text)))),
    }
}

fn step_input(pairs: &[(String, String)]) -> Result<StepInput, AppError> {
    let text = |key| form_field(pairs, key).to_string();
    Ok(StepInput {
        step: text("step"),
        on: text("on"),
        until: text("until"),
        handled_by: text("handled_by"),
        document: text("document"),
        post: text("post"),
        recommended: text("recommended"),
        member_ids: pairs
            .iter()
            .filter(|(k, v)| k == "member_ids" && !v.trim().is_empty())
            .map(|(_, v)| {
                v.trim()
                    .parse()
                    .map_err(|_| AppError::Invalid("请从列表中选择党员".into()))
            })
            .collect::<Result<_, _>>()?,
        passed: form_field(pairs, "passed") == "1",
        days: count(pairs, "days")?,
        hours: count(pairs, "hours")?,
        approver_org_id: None,
        leaving_within_three_months: form_field(pairs, "leaving") == "1",
        number: text("number"),
        expected: count(pairs, "expected")?,
        present: count(pairs, "present")?,
        yes: count(pairs, "yes")?,
        written_yes: count(pairs, "written_yes")?,
        special: form_field(pairs, "special") == "1",
        interviewer: text("interviewer"),
        decision: text("decision"),
        months: count(pairs, "months")?,
    })
}

pub async fn applicant_step(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    session.check_csrf(form_field(&pairs, "csrf"))?;
    let input = match step_input(&pairs) {
        Ok(input) => input,
        Err(AppError::Invalid(e)) => {
            return file_page(
                &app,
                &session,
                id,
                "",
                StepInput::default(),
                e,
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    };
    match app.record_applicant_step(&session.actor, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/admission/{id}?saved=step#steps")).into_response()),
        Err(AppError::Invalid(e) | AppError::Conflict(e)) => {
            file_page(&app, &session, id, "", input, e, StatusCode::BAD_REQUEST).await
        }
        Err(AppError::Refused(e)) => {
            file_page(
                &app,
                &session,
                id,
                "",
                input,
                e,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        // A committee's own step (备案, 预审, 审批) tried by the branch: say whose it is.
        Err(AppError::Forbidden) if session.actor.role.may_edit() => {
            let error = "这一步由上级党委记录，请联系上级党委的组织员".to_string();
            file_page(&app, &session, id, "", input, error, StatusCode::FORBIDDEN).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct PlanQuery {
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    saved: String,
}

#[derive(Template)]
#[template(path = "admission_plan.html")]
struct PlanPage {
    layout: Layout,
    v: app::admission_plans::PlanView,
    error: String,
}

async fn plan_page_with(
    app: &App,
    session: &Session,
    org_id: Option<i64>,
    year: Option<i32>,
    flash: &str,
    error: String,
) -> PageResult {
    let v = app.admission_plan(&session.actor, org_id, year).await?;
    let status = form_status(&error);
    let page = PlanPage {
        layout: Layout::new(session, "发展党员年度计划", "admission").with_flash(flash),
        v,
        error,
    };
    Ok((status, render(&page)?).into_response())
}

pub async fn plan(
    State(app): State<App>,
    session: Session,
    Query(q): Query<PlanQuery>,
) -> PageResult {
    let org_id = optional_number(&q.org_id, "党组织")?;
    let year = optional_number(&q.year, "年份")?;
    let flash = if q.saved.is_empty() { "" } else { "已保存" };
    plan_page_with(&app, &session, org_id, year, flash, String::new()).await
}

#[derive(Deserialize)]
pub struct PlanForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    activists: String,
    #[serde(default)]
    dev_objects: String,
    #[serde(default)]
    probationary: String,
}

pub async fn plan_save(
    State(app): State<App>,
    session: Session,
    Form(form): Form<PlanForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let org_id: i64 = optional_number(&form.org_id, "党组织")?.ok_or(AppError::NotFound)?;
    let year: i32 = optional_number(&form.year, "年份")?
        .ok_or_else(|| AppError::Invalid("请选择年份".into()))?;
    let input = app::admission_plans::PlanInput {
        activists: form.activists,
        dev_objects: form.dev_objects,
        probationary: form.probationary,
    };
    match app
        .save_admission_plan(&session.actor, org_id, year, &input)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!(
            "/admission/plan?org_id={org_id}&year={year}&saved=1"
        ))
        .into_response()),
        Err(AppError::Invalid(e)) => {
            plan_page_with(&app, &session, Some(org_id), Some(year), "", e).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct GrantForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    document: String,
}

pub async fn grant_save(
    State(app): State<App>,
    session: Session,
    Form(form): Form<GrantForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let org_id: i64 = optional_number(&form.org_id, "党组织")?.ok_or(AppError::NotFound)?;
    match app
        .set_admission_grant(&session.actor, org_id, &form.document)
        .await
    {
        Ok(()) => Ok(Redirect::to("/admission/plan?saved=1#grants").into_response()),
        Err(AppError::Invalid(e)) => plan_page_with(&app, &session, None, None, "", e).await,
        Err(e) => Err(e.into()),
    }
}
