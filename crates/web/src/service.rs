//! 志愿服务 pages (一呼百应): a member's page on the phone (报到, open needs to claim, their
//! orders with check-in and check-out, the year's hours and certificate, wishes they took), the
//! staff desk (registrations and hours to confirm, needs and wishes to post), the wish wall, the
//! figures with their Excel export, and the tree's rules.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Datelike;
use serde::Deserialize;

use crate::auth::Session;
use crate::error::{PageError, correctable};
use crate::pages::{CsrfOnly, XLSX, download, form_status, optional_number, render};
use crate::view::Layout;
use app::service::{
    ClaimView, MemberServiceYear, MyService, NeedInput, NeedView, Overdue, RegistrationInput,
    RegistrationView, ServiceDesk, ServiceReport, WishCard, WishInput,
};
use app::{App, AppError};
use domain::MemberCategory;
use domain::service::{ClaimAction, ReportPeriod, ServiceRules};

type PageResult = Result<Response, PageError>;

#[derive(Template)]
#[template(path = "service_me.html")]
struct MyPage {
    layout: Layout,
    v: MyService,
    error: String,
}

#[derive(Template)]
#[template(path = "service_desk.html")]
struct DeskPage {
    layout: Layout,
    v: ServiceDesk,
    form: NeedForm,
    wish: WishForm,
    error: String,
}

#[derive(Template)]
#[template(path = "service_need.html")]
struct NeedPage {
    layout: Layout,
    need: NeedView,
    claims: Vec<ClaimView>,
    poster: bool,
    error: String,
}

#[derive(Template)]
#[template(path = "service_registrations.html")]
struct RegistrationsPage {
    layout: Layout,
    by_community: bool,
    rows: Vec<RegistrationView>,
    period: ReportPeriod,
    overdue: Vec<Overdue>,
    error: String,
}

#[derive(Template)]
#[template(path = "service_wishes.html")]
struct WishesPage {
    layout: Layout,
    cards: Vec<WishCard>,
    member: bool,
    error: String,
}

#[derive(Template)]
#[template(path = "service_figures.html")]
struct FiguresPage {
    layout: Layout,
    v: ServiceReport,
}

#[derive(Template)]
#[template(path = "service_certificate.html")]
struct CertificatePage {
    layout: Layout,
    v: MemberServiceYear,
    issuer: String,
    today: String,
}

#[derive(Template)]
#[template(path = "service_rules.html")]
struct RulesPage {
    layout: Layout,
    v: ServiceRules,
    categories: Vec<(&'static str, &'static str, bool)>,
    /// The yearly hour target as typed, empty when none.
    target: String,
    error: String,
}

fn active(session: &Session) -> &'static str {
    if session.actor.is_staff() {
        "service"
    } else {
        "me"
    }
}

/// Hours as typed in the rules form.
fn hours_text(minutes: u32) -> String {
    domain::service::hours_label(minutes.into())
        .trim_end_matches(" 小时")
        .to_string()
}

#[derive(Deserialize, Default)]
pub struct HomeQuery {
    #[serde(default)]
    year: String,
    #[serde(default)]
    done: String,
}

fn done_message(done: &str) -> &'static str {
    match done {
        "registered" => "已提交报到，等待社区确认",
        "reported" => "已登记本期报到",
        "ended" => "已结束报到",
        "claimed" => "认领成功，请按时到场并签到",
        "checkin" => "已签到",
        "checkout" => "已签退，服务时长等待发布单位确认",
        "withdrawn" => "已退出认领",
        "confirmed" => "已确认服务时长",
        "posted" => "需求已发布",
        "closed" => "需求已截止认领",
        "cancelled" => "需求已撤销",
        "wish" => "心愿已更新",
        "wish_posted" => "微心愿已上墙",
        "feedback" => "反馈已保存",
        "rules" => "规则已保存",
        _ => "",
    }
}

pub async fn home(
    State(app): State<App>,
    session: Session,
    Query(q): Query<HomeQuery>,
) -> PageResult {
    let flash = done_message(&q.done);
    if session.actor.is_staff() {
        desk_page(
            &app,
            &session,
            flash,
            NeedForm::default(),
            WishForm::default(),
            String::new(),
        )
        .await
    } else {
        let year = optional_number(&q.year, "年份")?;
        my_page(&app, &session, year, flash, String::new()).await
    }
}

async fn my_page(
    app: &App,
    session: &Session,
    year: Option<i32>,
    flash: &str,
    error: String,
) -> PageResult {
    let v = app.my_service(&session.actor, year).await?;
    let page = MyPage {
        layout: Layout::new(session, "志愿服务", "me").with_flash(flash),
        v,
        error: error.clone(),
    };
    Ok((form_status(&error), render(&page)?).into_response())
}

async fn desk_page(
    app: &App,
    session: &Session,
    flash: &str,
    form: NeedForm,
    wish: WishForm,
    error: String,
) -> PageResult {
    let v = app.service_desk(&session.actor).await?;
    let page = DeskPage {
        layout: Layout::new(session, "志愿服务", "service").with_flash(flash),
        v,
        form,
        wish,
        error: error.clone(),
    };
    Ok((form_status(&error), render(&page)?).into_response())
}

/// After a member's or staff's action: back to where they came from with a message, or the
/// page again with the refusal shown.
async fn after(app: &App, session: &Session, result: Result<String, AppError>) -> PageResult {
    match result {
        Ok(to) => Ok(Redirect::to(&to).into_response()),
        Err(e) => {
            let e = correctable(e)?;
            if session.actor.is_staff() {
                desk_page(
                    app,
                    session,
                    "",
                    NeedForm::default(),
                    WishForm::default(),
                    e,
                )
                .await
            } else {
                my_page(app, session, None, "", e).await
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Registration

#[derive(Deserialize, Default)]
pub struct RegisterForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    community_id: String,
    #[serde(default)]
    skills: String,
    #[serde(default)]
    availability: String,
    #[serde(default)]
    phone: String,
}

pub async fn register(
    State(app): State<App>,
    session: Session,
    Form(form): Form<RegisterForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let result = async {
        let community_id = optional_number(&form.community_id, "社区")?
            .ok_or_else(|| AppError::Invalid("请选择居住地所在的社区".into()))?;
        app.register_for_service(
            &session.actor,
            &RegistrationInput {
                community_id,
                grid_id: None,
                skills: form.skills.clone(),
                availability: form.availability.clone(),
                phone: form.phone.clone(),
            },
        )
        .await?;
        Ok("/service?done=registered".to_string())
    }
    .await;
    after(&app, &session, result).await
}

#[derive(Deserialize, Default)]
pub struct RegistrationStep {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    back: String,
}

fn back_to(back: &str, fallback: &str, done: &str) -> String {
    let base = match back {
        "community" => "/service/registrations?view=community",
        "unit" => "/service/registrations?view=unit",
        _ => fallback,
    };
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}done={done}")
}

pub async fn confirm_registration(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<RegistrationStep>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let result = app
        .confirm_registration(&session.actor, id)
        .await
        .map(|_| back_to(&form.back, "/service", "registered_ok"));
    after(&app, &session, result).await
}

pub async fn report(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<RegistrationStep>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let result = app
        .report_for_service(&session.actor, id)
        .await
        .map(|_| back_to(&form.back, "/service", "reported"));
    after(&app, &session, result).await
}

pub async fn end_registration(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<RegistrationStep>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let result = app
        .end_registration(&session.actor, id)
        .await
        .map(|_| back_to(&form.back, "/service", "ended"));
    after(&app, &session, result).await
}

#[derive(Deserialize, Default)]
pub struct FeedbackForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    rating: String,
    #[serde(default)]
    comment: String,
}

pub async fn feedback(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<FeedbackForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    match app
        .give_feedback(&session.actor, id, form.rating.trim(), &form.comment)
        .await
    {
        Ok(()) => {
            Ok(Redirect::to("/service/registrations?view=community&done=feedback").into_response())
        }
        Err(e) => {
            let e = correctable(e)?;
            registrations_page(&app, &session, true, "", e).await
        }
    }
}

#[derive(Deserialize, Default)]
pub struct RegistrationsQuery {
    #[serde(default)]
    view: String,
    #[serde(default)]
    done: String,
}

pub async fn registrations(
    State(app): State<App>,
    session: Session,
    Query(q): Query<RegistrationsQuery>,
) -> PageResult {
    let flash = match q.done.as_str() {
        "registered_ok" => "已确认报到",
        other => done_message(other),
    };
    registrations_page(&app, &session, q.view != "unit", flash, String::new()).await
}

async fn registrations_page(
    app: &App,
    session: &Session,
    by_community: bool,
    flash: &str,
    error: String,
) -> PageResult {
    let rows = app.registrations(&session.actor, by_community).await?;
    let (period, overdue) = app.overdue_reports(&session.actor, 300).await?;
    let page = RegistrationsPage {
        layout: Layout::new(session, "党员报到", "service").with_flash(flash),
        by_community,
        rows,
        period,
        overdue: if by_community { Vec::new() } else { overdue },
        error: error.clone(),
    };
    Ok((form_status(&error), render(&page)?).into_response())
}

// ---------------------------------------------------------------------------
// Needs and claims

#[derive(Deserialize, Default, Clone)]
pub struct NeedForm {
    #[serde(default)]
    pub(crate) csrf: String,
    #[serde(default)]
    pub(crate) title: String,
    #[serde(default)]
    pub(crate) detail: String,
    #[serde(default)]
    pub(crate) place: String,
    #[serde(default)]
    pub(crate) station: String,
    #[serde(default)]
    pub(crate) starts_at: String,
    #[serde(default)]
    pub(crate) ends_at: String,
    #[serde(default)]
    pub(crate) people_needed: String,
    #[serde(default)]
    pub(crate) skills: String,
    #[serde(default)]
    pub(crate) community_id: String,
    #[serde(default)]
    pub(crate) poster_unit: String,
    #[serde(default)]
    pub(crate) call_id: String,
}

pub async fn post_need(
    State(app): State<App>,
    session: Session,
    Form(form): Form<NeedForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let result = async {
        let input = NeedInput {
            title: form.title.clone(),
            detail: form.detail.clone(),
            place: form.place.clone(),
            station: form.station.clone(),
            starts_at: form.starts_at.clone(),
            ends_at: form.ends_at.clone(),
            people_needed: optional_number(&form.people_needed, "需要人数")?
                .ok_or_else(|| AppError::Invalid("请填写需要人数".into()))?,
            skills: form.skills.clone(),
            community_id: optional_number(&form.community_id, "社区")?,
            poster_unit: form.poster_unit.clone(),
            call_id: optional_number(&form.call_id, "群众呼声")?,
        };
        let need = app.post_need(&session.actor, &input).await?;
        Ok(format!("/service/needs/{}?done=posted", need.id))
    }
    .await;
    match result {
        Ok(to) => Ok(Redirect::to(&to).into_response()),
        Err(e) => {
            let e = correctable(e)?;
            desk_page(&app, &session, "", form, WishForm::default(), e).await
        }
    }
}

pub async fn need(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Query(q): Query<HomeQuery>,
) -> PageResult {
    need_page(&app, &session, id, done_message(&q.done), String::new()).await
}

async fn need_page(
    app: &App,
    session: &Session,
    id: i64,
    flash: &str,
    error: String,
) -> PageResult {
    let (need, claims, poster) = app.need_detail(&session.actor, id).await?;
    let page = NeedPage {
        layout: Layout::new(session, need.title.clone(), active(session)).with_flash(flash),
        need,
        claims,
        poster,
        error: error.clone(),
    };
    Ok((form_status(&error), render(&page)?).into_response())
}

pub async fn claim(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<CsrfOnly>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    match app.claim_need(&session.actor, id).await {
        Ok(_) => Ok(Redirect::to("/service?done=claimed").into_response()),
        Err(e) => {
            let e = correctable(e)?;
            need_page(&app, &session, id, "", e).await
        }
    }
}

#[derive(Deserialize, Default)]
pub struct CloseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    cancel: String,
}

pub async fn close_need(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<CloseForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let cancel = !form.cancel.is_empty();
    match app.close_need(&session.actor, id, cancel).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/service/needs/{id}?done={}",
            if cancel { "cancelled" } else { "closed" }
        ))
        .into_response()),
        Err(e) => {
            let e = correctable(e)?;
            need_page(&app, &session, id, "", e).await
        }
    }
}

#[derive(Deserialize, Default)]
pub struct StepForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    travel_minutes: String,
    #[serde(default)]
    hours: String,
}

async fn member_step(
    app: &App,
    session: &Session,
    id: i64,
    form: &StepForm,
    action: ClaimAction,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let result = async {
        let travel = optional_number::<u32>(&form.travel_minutes, "路途时间")?.unwrap_or(0);
        app.claim_step(&session.actor, id, action, travel).await?;
        Ok(format!(
            "/service?done={}",
            match action {
                ClaimAction::CheckIn => "checkin",
                ClaimAction::CheckOut => "checkout",
                _ => "withdrawn",
            }
        ))
    }
    .await;
    after(app, session, result).await
}

pub async fn check_in(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<StepForm>,
) -> PageResult {
    member_step(&app, &session, id, &form, ClaimAction::CheckIn).await
}

pub async fn check_out(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<StepForm>,
) -> PageResult {
    member_step(&app, &session, id, &form, ClaimAction::CheckOut).await
}

pub async fn withdraw(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<StepForm>,
) -> PageResult {
    member_step(&app, &session, id, &form, ClaimAction::Withdraw).await
}

pub async fn confirm(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<StepForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    match app
        .confirm_claim(&session.actor, id, Some(form.hours.as_str()))
        .await
    {
        Ok(c) => Ok(
            Redirect::to(&format!("/service/needs/{}?done=confirmed", c.need_id)).into_response(),
        ),
        Err(e) => {
            let e = correctable(e)?;
            desk_page(
                &app,
                &session,
                "",
                NeedForm::default(),
                WishForm::default(),
                e,
            )
            .await
        }
    }
}

// ---------------------------------------------------------------------------
// 微心愿

#[derive(Deserialize, Default, Clone)]
pub struct WishForm {
    #[serde(default)]
    pub(crate) csrf: String,
    #[serde(default)]
    pub(crate) community_id: String,
    #[serde(default)]
    pub(crate) title: String,
    #[serde(default)]
    pub(crate) story: String,
    #[serde(default)]
    pub(crate) wisher: String,
    #[serde(default)]
    pub(crate) contact: String,
    #[serde(default)]
    pub(crate) consent: String,
}

pub async fn wishes(
    State(app): State<App>,
    session: Session,
    Query(q): Query<HomeQuery>,
) -> PageResult {
    wishes_page(&app, &session, done_message(&q.done), String::new()).await
}

async fn wishes_page(app: &App, session: &Session, flash: &str, error: String) -> PageResult {
    let cards = app.wish_wall(&session.actor).await?;
    let page = WishesPage {
        layout: Layout::new(session, "微心愿", active(session)).with_flash(flash),
        cards,
        member: session.actor.member_id.is_some(),
        error: error.clone(),
    };
    Ok((form_status(&error), render(&page)?).into_response())
}

pub async fn post_wish(
    State(app): State<App>,
    session: Session,
    Form(form): Form<WishForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let result = async {
        app.post_wish(
            &session.actor,
            &WishInput {
                community_id: optional_number(&form.community_id, "社区")?,
                title: form.title.clone(),
                story: form.story.clone(),
                wisher: form.wisher.clone(),
                contact: form.contact.clone(),
                consent: !form.consent.is_empty(),
            },
        )
        .await?;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => Ok(Redirect::to("/service?done=wish_posted").into_response()),
        Err(e) => {
            let e = correctable(e)?;
            desk_page(&app, &session, "", NeedForm::default(), form, e).await
        }
    }
}

#[derive(Deserialize, Default)]
pub struct WishStepForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
}

pub async fn wish_step(
    State(app): State<App>,
    session: Session,
    Path((id, step)): Path<(i64, String)>,
    Form(form): Form<WishStepForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let to = match step.as_str() {
        "claim" => "claimed",
        "contact" => "contacted",
        "fulfil" => "fulfilled",
        "withdraw" => "withdrawn",
        _ => return Err(AppError::NotFound.into()),
    };
    match app.wish_step(&session.actor, id, to, &form.note).await {
        Ok(_) => Ok(Redirect::to(if session.actor.is_staff() {
            "/service?done=wish"
        } else {
            "/service?done=wish#my-wishes"
        })
        .into_response()),
        Err(e) => {
            let e = correctable(e)?;
            if to == "claimed" {
                wishes_page(&app, &session, "", e).await
            } else {
                after(&app, &session, Err(AppError::Invalid(e))).await
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Figures, certificate, rules

#[derive(Deserialize, Default)]
pub struct FiguresQuery {
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    year: String,
}

pub async fn figures(
    State(app): State<App>,
    session: Session,
    Query(q): Query<FiguresQuery>,
) -> PageResult {
    let year = optional_number(&q.year, "年份")?.unwrap_or(app::members::today().year());
    let v = app
        .service_report(&session.actor, optional_number(&q.org_id, "党组织")?, year)
        .await?;
    let page = FiguresPage {
        layout: Layout::new(&session, "志愿服务统计", "service"),
        v,
    };
    render(&page)
}

pub async fn figures_export(
    State(app): State<App>,
    session: Session,
    Query(q): Query<FiguresQuery>,
) -> PageResult {
    let year = optional_number(&q.year, "年份")?.unwrap_or(app::members::today().year());
    let (bytes, name) = app
        .service_report_xlsx(&session.actor, optional_number(&q.org_id, "党组织")?, year)
        .await?;
    Ok(download(bytes, XLSX, &name, "service.xlsx"))
}

#[derive(Deserialize, Default)]
pub struct CertificateQuery {
    #[serde(default)]
    member_id: String,
    #[serde(default)]
    year: String,
}

pub async fn certificate(
    State(app): State<App>,
    session: Session,
    Query(q): Query<CertificateQuery>,
) -> PageResult {
    let today = app::members::today();
    let year = optional_number(&q.year, "年份")?.unwrap_or(today.year());
    let member_id = match optional_number(&q.member_id, "党员")? {
        Some(id) => id,
        None => session.actor.member_id.ok_or(AppError::NotFound)?,
    };
    let (v, issuer) = app
        .service_certificate(&session.actor, member_id, year)
        .await?;
    let page = CertificatePage {
        layout: Layout::new(&session, "志愿服务记录证明", active(&session)),
        v,
        issuer,
        today: format!("{}年{}月{}日", today.year(), today.month(), today.day()),
    };
    render(&page)
}

fn rules_page(session: &Session, v: ServiceRules, flash: &str, error: String) -> PageResult {
    let categories = MemberCategory::ALL
        .iter()
        .filter(|c| **c != MemberCategory::Mobile)
        .map(|c| (c.code(), c.label(), v.obliged_categories.contains(c)))
        .collect();
    let page = RulesPage {
        layout: Layout::new(session, "志愿服务规则", "service").with_flash(flash),
        target: v.hour_target_minutes.map(hours_text).unwrap_or_default(),
        v,
        categories,
        error: error.clone(),
    };
    Ok((form_status(&error), render(&page)?).into_response())
}

pub async fn rules(
    State(app): State<App>,
    session: Session,
    Query(q): Query<HomeQuery>,
) -> PageResult {
    session.actor.require_org_admin()?;
    let root = app.org_root_of(&session.actor).await?;
    let v = app.service_rules(root).await?;
    rules_page(&session, v, done_message(&q.done), String::new())
}

pub async fn rules_save(
    State(app): State<App>,
    session: Session,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    // A list of pairs: the categories come as one checkbox per category.
    let field = |name: &str| -> String {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    session.check_csrf(&field("csrf"))?;
    let parsed = (|| -> Result<ServiceRules, AppError> {
        let number = |text: &str, what: &str| -> Result<u32, AppError> {
            optional_number(text, what)?.ok_or_else(|| AppError::Invalid(format!("请填写{what}")))
        };
        Ok(ServiceRules {
            report_every_months: number(&field("report_every_months"), "报到周期")?,
            obliged_categories: pairs
                .iter()
                .filter(|(k, _)| k == "categories")
                .filter_map(|(_, c)| MemberCategory::from_code(c))
                .collect(),
            open_claim_cap: number(&field("open_claim_cap"), "同时认领上限")?,
            hour_unit_minutes: number(&field("hour_unit_minutes"), "计量单位")?,
            wish_contact_days: number(&field("wish_contact_days"), "微心愿联系期限")?,
            wish_round_months: number(&field("wish_round_months"), "微心愿轮次")?,
            hour_target_minutes: match field("hour_target").trim() {
                "" | "0" => None,
                h => Some(app::service::parse_hours_total(h)?),
            },
        })
    })();
    let result = match parsed {
        Ok(rules) => app
            .save_service_rules(&session.actor, &rules)
            .await
            .map(|()| rules),
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/service/rules?done=rules").into_response()),
        Err(AppError::Invalid(e) | AppError::Refused(e)) => {
            let root = app.org_root_of(&session.actor).await?;
            rules_page(&session, app.service_rules(root).await?, "", e)
        }
        Err(e) => Err(e.into()),
    }
}
