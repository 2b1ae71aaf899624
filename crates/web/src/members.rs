//! Members: the searchable list, a member's page, and the register and edit forms.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::Session;
use crate::dues::DuesForm;
use crate::error::PageError;
use crate::pages::{form_status, is_htmx, render, render_status};
use crate::view::{self, Layout};
use app::members::{MemberInput, MemberPage, MemberQuery, PAGE_SIZE, input_from_member, today};
use app::{App, AppError};
use domain::record::{Education, PartyPost};
use domain::{ManagementMode, MemberCategory, MemberStatus, Role};
use store::{AuditRow, Member, Org, OrgNode, Territory};

type PageResult = Result<Response, PageError>;

#[derive(Template)]
#[template(path = "members.html")]
pub(crate) struct MembersPage {
    layout: Layout,
    query: MemberQuery,
    org_filter: Option<Org>,
    categories: Vec<(&'static str, &'static str, bool)>,
    statuses: Vec<(&'static str, &'static str, bool)>,
    educations: Vec<(&'static str, &'static str, bool)>,
    posts: Vec<(&'static str, &'static str, bool)>,
    ethnic_groups: &'static [&'static str],
    /// Filters a dashboard figure brought along: (field, value, words).
    drill: Vec<(&'static str, String, String)>,
    results: MemberResults,
    may_edit: bool,
}

#[derive(Template)]
#[template(path = "member_results.html")]
pub(crate) struct MemberResults {
    page: MemberPage,
    current: i64,
    pages: i64,
    base_query: String,
}

pub(crate) fn query_string(q: &MemberQuery) -> String {
    q.filter_pairs()
        .iter()
        .map(|(k, v)| format!("{k}={}", app::query_value(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The dashboard's drill-down filters in words, for the chips above the list (and the hidden
/// fields that keep them while the user types a name).
fn drill_downs(q: &MemberQuery) -> Vec<(&'static str, String, String)> {
    let band = |bands: &[(&str, &str, u32, u32)], code: &str| {
        bands.iter().find(|b| b.0 == code).map(|b| b.1.to_string())
    };
    let mut out = Vec::new();
    if let Some(g) = domain::Gender::from_label(&q.gender) {
        out.push(("gender", q.gender.clone(), format!("性别：{}", g.label())));
    }
    if let Some(label) = band(domain::rollups::AGE_BANDS, &q.age) {
        out.push(("age", q.age.clone(), format!("年龄：{label}")));
    }
    let party_age = match q.party_age.as_str() {
        "probationary" => Some("预备党员".to_string()),
        "unknown" => Some("缺转正日期".to_string()),
        code => band(domain::rollups::PARTY_AGE_BANDS, code),
    };
    if let Some(label) = party_age {
        out.push(("party_age", q.party_age.clone(), format!("党龄：{label}")));
    }
    out
}

pub async fn members(
    State(app): State<App>,
    session: Session,
    headers: HeaderMap,
    Query(query): Query<MemberQuery>,
) -> PageResult {
    let actor = &session.actor;
    if actor.role == Role::Member {
        return Ok(Redirect::to("/me").into_response());
    }
    let page = app.search_members(actor, &query).await?;
    let current = app::page_number(query.page);
    let pages = ((page.total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let results = MemberResults {
        page,
        current,
        pages,
        base_query: query_string(&query),
    };
    if is_htmx(&headers) {
        return render(&results);
    }
    let org_filter = match query.org_id {
        Some(id) => Some(app.org(actor, id).await?),
        None => None,
    };
    render(&MembersPage {
        layout: Layout::new(&session, "党员", "members"),
        categories: view::options(
            MemberCategory::ALL,
            MemberCategory::code,
            MemberCategory::label,
            MemberCategory::from_label(&query.category),
        ),
        statuses: view::options(
            MemberStatus::ALL,
            MemberStatus::code,
            MemberStatus::label,
            MemberStatus::from_label(&query.status),
        ),
        educations: view::options(
            Education::ALL,
            Education::code,
            Education::label,
            Education::from_label(&query.education),
        ),
        posts: view::options(
            PartyPost::ALL,
            PartyPost::code,
            PartyPost::label,
            PartyPost::from_label(&query.party_post),
        ),
        ethnic_groups: &domain::record::ETHNIC_GROUPS,
        org_filter,
        drill: drill_downs(&query),
        query,
        results,
        may_edit: actor.role.may_edit(),
    })
}

#[derive(Template)]
#[template(path = "member.html")]
pub(crate) struct MemberView {
    layout: Layout,
    m: Member,
    path: Vec<OrgNode>,
    branch_name: String,
    post_org: Option<String>,
    community: Option<Territory>,
    years_admitted: u32,
    years_full: Option<u32>,
    birthday_today: bool,
    may_edit: bool,
    history: Vec<AuditRow>,
    history_names: crate::audit::Names,
    memberships: Vec<store::MembershipRow>,
    transfers: Vec<app::transfers::TransferLine>,
    dues: app::dues::MemberDues,
    dues_error: String,
    categories: Vec<(&'static str, &'static str)>,
    methods: Vec<(&'static str, &'static str)>,
    form: DuesForm,
    /// The typed pay slip item by item, once the base form was sent with items.
    slip: Vec<app::dues::ItemView>,
    /// The base form's 试算.
    preview: Option<app::dues::QuoteResult>,
    choices: [&'static str; 3],
    /// The category's usual management mode when the member's differs from it, else empty.
    usual_mode: &'static str,
    restrictions: Vec<app::restrictions::RestrictionView>,
    restriction: RestrictionForm,
    restriction_kinds: Vec<(&'static str, &'static str)>,
}

impl MemberView {
    /// Whether the refused form being shown again is the end form of restriction `id`.
    fn ending(&self, id: &i64) -> bool {
        self.restriction.ending == Some(*id)
    }
}

#[derive(Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    pub(crate) saved: String,
}

pub async fn member_page(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Query(q): Query<SavedQuery>,
) -> PageResult {
    let flash = match q.saved.as_str() {
        "base" => "党费计算基数已保存。",
        "payment" => "党费缴纳已登记。",
        "waiver" => "减免已登记。",
        "restriction" => "已登记。",
        "restriction_end" => "已登记恢复党员权利。",
        "member" => SAVED_MEMBER,
        _ => "",
    };
    member_page_with(
        &app,
        &session,
        id,
        flash,
        String::new(),
        DuesForm::default(),
    )
    .await
}

/// The flash of a saved member record; the page puts the member's name in it.
const SAVED_MEMBER: &str = "已保存";

pub(crate) async fn member_page_with(
    app: &App,
    session: &Session,
    id: i64,
    flash: &str,
    dues_error: String,
    form: DuesForm,
) -> PageResult {
    member_page_full(
        app,
        session,
        id,
        flash,
        dues_error,
        form,
        RestrictionForm::default(),
    )
    .await
}

/// What was typed into a restriction form on the member page, with the reason it was refused.
#[derive(Default)]
pub(crate) struct RestrictionForm {
    pub(crate) error: String,
    /// The restriction an end form was for, to open it again.
    pub(crate) ending: Option<i64>,
    pub(crate) input: app::restrictions::RestrictionInput,
    pub(crate) end: app::restrictions::RestrictionEndInput,
}

/// The member page, with a refused restriction form shown again.
pub(crate) async fn member_page_full(
    app: &App,
    session: &Session,
    id: i64,
    flash: &str,
    dues_error: String,
    form: DuesForm,
    restriction: RestrictionForm,
) -> PageResult {
    let actor = &session.actor;
    let m = app.member(actor, id).await?;
    let (branch_name, post_org) = app.db.member_org_names(&m).await.map_err(AppError::from)?;
    let path = if actor.is_staff() {
        app.org_path(actor, m.branch_id).await?
    } else {
        vec![]
    };
    let community = match m.registered_community_id {
        Some(t) => app.db.territory_get(None, t).await.ok(),
        None => None,
    };
    let today = today();
    let history = if actor.is_staff() {
        app.member_history(actor, id).await?
    } else {
        vec![]
    };
    let memberships = app.member_memberships(actor, id).await?;
    let transfers = if actor.is_staff() {
        app.transfers(actor, "all", "", Some(id)).await?
    } else {
        vec![]
    };
    let this_month = domain::dues_ledger::Month::of(today);
    let dues = app.member_dues(actor, id, this_month).await?;
    let typed = form.quote_input();
    let slip = app::dues::slip_items(&typed);
    let (preview, dues_error) = if form.preview.is_empty() || !dues_error.is_empty() {
        (None, dues_error)
    } else {
        match app::dues::quote_result(&typed, &app.dues_settings().policy) {
            Ok(r) => (Some(r), dues_error),
            Err(e) => (None, e.to_string()),
        }
    };
    // The dues category usually follows the member category.
    let usual_category = match m.category.as_str() {
        "retired" => "retired",
        "farmer" => "farmer",
        "student" => "student",
        _ => "in_service",
    };
    let form = DuesForm {
        category: if form.category.is_empty() {
            usual_category.to_string()
        } else {
            form.category
        },
        effective_month: if form.effective_month.is_empty() {
            format!("{}-01", this_month.year)
        } else {
            form.effective_month
        },
        from_month: if form.from_month.is_empty() {
            this_month.to_string()
        } else {
            form.from_month
        },
        paid_on: if form.paid_on.is_empty() {
            today.to_string()
        } else {
            form.paid_on
        },
        ..form
    };
    let restrictions =
        app::restrictions::restriction_views(app.member_restrictions(actor, id).await?, today);
    let status = if dues_error.is_empty() && restriction.error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let usual_mode = MemberCategory::from_code(&m.category)
        .map(|c| c.default_management_mode())
        .filter(|usual| usual.code() != m.management_mode)
        .map_or("", |usual| usual.label());
    render_status(
        status,
        &MemberView {
            layout: Layout::new(
                session,
                m.name.clone(),
                if actor.is_staff() { "members" } else { "me" },
            )
            .with_flash(if flash == SAVED_MEMBER {
                format!("已保存：{}", m.name)
            } else {
                flash.to_string()
            }),
            years_admitted: domain::dates::years_since(m.admitted_on, today),
            years_full: m.full_on.map(|f| domain::dates::years_since(f, today)),
            birthday_today: domain::dates::is_anniversary(m.admitted_on, today),
            may_edit: actor.role.may_edit(),
            history_names: crate::audit::Names::of(app, &history).await,
            m,
            path,
            branch_name,
            post_org,
            community,
            history,
            memberships,
            transfers,
            dues,
            dues_error,
            categories: domain::dues::DuesCategory::ALL
                .iter()
                .map(|c| (c.code(), c.label()))
                .collect(),
            methods: app::dues::PAYMENT_METHODS.to_vec(),
            form,
            slip,
            preview,
            choices: domain::payslip::CHOICE_WORDS,
            usual_mode,
            restrictions,
            restriction,
            restriction_kinds: domain::rights::RestrictionKind::ALL
                .iter()
                .map(|k| (k.code(), k.label()))
                .collect(),
        },
    )
}

#[derive(Template)]
#[template(path = "member_form.html")]
pub(crate) struct MemberFormPage {
    layout: Layout,
    id: Option<i64>,
    v: MemberInput,
    branches: Vec<OrgNode>,
    communities: Vec<Territory>,
    categories: Vec<(&'static str, &'static str, bool)>,
    modes: Vec<(&'static str, &'static str, bool)>,
    statuses: Vec<(&'static str, &'static str, bool)>,
    educations: Vec<(&'static str, &'static str, bool)>,
    posts: Vec<(&'static str, &'static str, bool)>,
    /// Where a post may be held: the branch, the committees above it and its 党小组.
    post_orgs: Vec<OrgNode>,
    ethnic_groups: &'static [&'static str],
    error: String,
    /// Which mode each category gets by default, e.g. "在职：双重管理；…".
    mode_defaults: String,
}

pub(crate) async fn member_form(
    app: &App,
    session: &Session,
    id: Option<i64>,
    v: MemberInput,
    error: String,
) -> PageResult {
    let actor = &session.actor;
    let branches = app.branches(actor).await?;
    let communities = app.communities(actor).await?;
    let post_orgs = post_orgs(app, session, v.branch_id).await;
    let title = if id.is_some() {
        format!("修改党员信息：{}", v.name)
    } else {
        "登记党员".to_string()
    };
    let page = MemberFormPage {
        layout: Layout::new(session, title, "members"),
        categories: view::options(
            MemberCategory::ALL,
            MemberCategory::code,
            MemberCategory::label,
            MemberCategory::from_label(&v.category),
        ),
        modes: view::options(
            ManagementMode::ALL,
            ManagementMode::code,
            ManagementMode::label,
            ManagementMode::from_label(&v.management_mode),
        ),
        statuses: view::options(
            MemberStatus::ALL,
            MemberStatus::code,
            MemberStatus::label,
            MemberStatus::from_label(&v.status),
        ),
        educations: view::options(
            Education::ALL,
            Education::code,
            Education::label,
            Education::from_label(&v.education),
        ),
        posts: view::options(
            PartyPost::ALL,
            PartyPost::code,
            PartyPost::label,
            PartyPost::from_label(&v.party_post),
        ),
        post_orgs,
        ethnic_groups: &domain::record::ETHNIC_GROUPS,
        id,
        v,
        branches,
        communities,
        error: error.clone(),
        mode_defaults: MemberCategory::ALL
            .iter()
            .map(|c| format!("{}：{}", c.label(), c.default_management_mode().label()))
            .collect::<Vec<_>>()
            .join("；"),
    };
    let status = form_status(&error);
    render_status(status, &page)
}

/// The orgs a member of `branch_id` may hold a post in: the committees from the scope's top
/// down to the branch, then the branch's 党小组. Empty until a branch is chosen.
async fn post_orgs(app: &App, session: &Session, branch_id: i64) -> Vec<OrgNode> {
    if branch_id == 0 {
        return Vec::new();
    }
    let actor = &session.actor;
    let mut orgs = app.org_path(actor, branch_id).await.unwrap_or_default();
    orgs.extend(
        app.org_children(actor, branch_id)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|o| o.kind == domain::OrgKind::PartyGroup.code()),
    );
    orgs
}

pub async fn member_new(State(app): State<App>, session: Session) -> PageResult {
    if !session.actor.role.may_edit() {
        return Err(AppError::Forbidden.into());
    }
    let v = MemberInput {
        status: "正式党员".into(),
        category: "在职".into(),
        ..Default::default()
    };
    member_form(&app, &session, None, v, String::new()).await
}

pub async fn member_edit(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
) -> PageResult {
    let m = app.member_for_edit(&session.actor, id).await?;
    member_form(
        &app,
        &session,
        Some(id),
        input_from_member(&m),
        String::new(),
    )
    .await
}

#[derive(Deserialize)]
pub struct MemberForm {
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
    category: String,
    #[serde(default)]
    management_mode: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    admitted_on: String,
    #[serde(default)]
    full_on: String,
    lost_contact: Option<String>,
    pocket: Option<String>,
    #[serde(default)]
    work_unit: String,
    #[serde(default)]
    registered_community_id: String,
    #[serde(default)]
    registered_on: String,
    #[serde(default)]
    ethnicity: String,
    #[serde(default)]
    education: String,
    #[serde(default)]
    native_place: String,
    #[serde(default)]
    party_post: String,
    #[serde(default)]
    party_post_org_id: String,
    #[serde(default)]
    work_started_on: String,
    #[serde(default)]
    moved_on: String,
    #[serde(default)]
    move_reason: String,
}

impl MemberForm {
    fn input(self) -> MemberInput {
        MemberInput {
            branch_id: self.branch_id.trim().parse().unwrap_or(0),
            name: self.name,
            id_number: self.id_number,
            phone: self.phone,
            category: self.category,
            management_mode: self.management_mode,
            status: self.status,
            admitted_on: self.admitted_on,
            full_on: self.full_on,
            lost_contact: self.lost_contact.is_some(),
            pocket: self.pocket.is_some(),
            work_unit: self.work_unit,
            registered_community_id: self.registered_community_id.trim().parse().ok(),
            registered_on: self.registered_on,
            ethnicity: self.ethnicity,
            education: self.education,
            native_place: self.native_place,
            party_post: self.party_post,
            party_post_org_id: self.party_post_org_id.trim().parse().ok(),
            work_started_on: self.work_started_on,
            moved_on: self.moved_on,
            move_reason: self.move_reason,
        }
    }
}

/// Re-shows the form with what was typed and the reason, so nothing entered is lost.
pub(crate) async fn member_saved(
    app: &App,
    session: &Session,
    id: Option<i64>,
    input: MemberInput,
    result: app::Result<Member>,
) -> PageResult {
    match result {
        Ok(m) => Ok(Redirect::to(&format!("/members/{}?saved=member", m.id)).into_response()),
        Err(AppError::Invalid(msg) | AppError::Conflict(msg)) => {
            member_form(app, session, id, input, msg).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn member_create(
    State(app): State<App>,
    session: Session,
    Form(form): Form<MemberForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let input = form.input();
    let result = app.create_member(&session.actor, &input).await;
    member_saved(&app, &session, None, input, result).await
}

pub async fn member_update(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<MemberForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let input = form.input();
    let result = app.update_member(&session.actor, id, &input).await;
    member_saved(&app, &session, Some(id), input, result).await
}

#[derive(Template)]
#[template(path = "member_quality.html")]
struct QualityPage {
    layout: Layout,
    rows: Vec<store::MemberProblem>,
}

/// The data-quality list of the user's scope.
pub async fn member_quality(State(app): State<App>, session: Session) -> PageResult {
    let rows = app.member_data_problems(&session.actor).await?;
    render(&QualityPage {
        layout: Layout::new(&session, "数据质量", "members"),
        rows,
    })
}
