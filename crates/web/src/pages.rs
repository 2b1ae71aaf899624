//! Server-rendered pages. Each handler: extract, one `app` call, render.

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::{
    LOGIN_CSRF_COOKIE, SESSION_COOKIE, Session, constant_time_eq, cookie, set_cookie,
};
use crate::error::PageError;
use crate::view::{self, Layout};
use app::export::ExportFormat;
use app::members::{MemberInput, MemberPage, MemberQuery, PAGE_SIZE, input_from_member, today};
use app::orgs::{OrgInput, allowed_under};
use app::users::UserInput;
use app::{App, AppError, RowError};
use domain::{BranchKind, ManagementMode, MemberCategory, MemberStatus, OrgKind, Role};
use store::{AuditRow, ConcurrentMember, Member, Org, OrgNode, Territory, User};

type PageResult = Result<Response, PageError>;

pub(crate) fn render(t: &impl Template) -> PageResult {
    Ok(Html(t.render()?).into_response())
}

/// A file a user uploaded earlier (a meeting attachment, a resident's photo), served to be shown
/// in the page. The type is the one sniffed at upload, and `nosniff` keeps a browser from
/// reading it as anything else; with a name, the browser offers that name when saving it.
pub(crate) fn stored_file(content_type: &str, file_name: Option<&str>, bytes: Vec<u8>) -> Response {
    let mut response = (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_str(content_type)
                    .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream")),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("private")),
        ],
        bytes,
    )
        .into_response();
    if let Some(name) = file_name {
        let inline = attachment(name, "attachment")
            .to_str()
            .map(|v| v.replacen("attachment", "inline", 1))
            .ok()
            .and_then(|v| HeaderValue::from_str(&v).ok())
            .unwrap_or_else(|| HeaderValue::from_static("inline"));
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, inline);
    }
    response
}

/// The first value of a field in a form read as pairs (forms with repeated or per-row fields),
/// or "" when it is missing.
pub(crate) fn form_field<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

/// A form page comes back with 400 when it carries an error, so that scripts and tests see
/// the refusal without reading the page.
pub(crate) fn form_status(error: &str) -> StatusCode {
    if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    }
}

/// Reads a one-file upload form: its CSRF token and its `file` field (name, bytes), if any.
pub(crate) async fn read_upload(
    mut multipart: Multipart,
    default_name: &str,
) -> Result<(String, Option<(String, Vec<u8>)>), PageError> {
    let mut csrf = String::new();
    let mut file = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| AppError::Invalid(format!("上传失败：{e}")))?
    {
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("file") => {
                let name = field.file_name().unwrap_or(default_name).to_string();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| AppError::Invalid(format!("上传失败：{e}")))?;
                file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    Ok((csrf, file))
}

pub(crate) fn render_status(status: StatusCode, t: &impl Template) -> PageResult {
    Ok((status, Html(t.render()?)).into_response())
}

fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

/// `Content-Disposition` for a download with a Chinese file name (RFC 6266 `filename*`).
pub(crate) fn attachment(file_name: &str, fallback: &str) -> HeaderValue {
    let encoded: String = file_name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

pub(crate) fn download(
    bytes: Vec<u8>,
    content_type: &'static str,
    file_name: &str,
    fallback: &str,
) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CONTENT_DISPOSITION, attachment(file_name, fallback)),
        ],
        bytes,
    )
        .into_response()
}

pub(crate) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

// ---------------------------------------------------------------- login

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    error: String,
    username: String,
}

pub async fn login_form() -> PageResult {
    let csrf = app::auth::random_token();
    let page = LoginPage {
        csrf: csrf.clone(),
        error: String::new(),
        username: String::new(),
    };
    let mut response = render(&page)?;
    if let Ok(v) = HeaderValue::from_str(&set_cookie(LOGIN_CSRF_COOKIE, &csrf, 3600)) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(response)
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    csrf: String,
}

pub async fn login_submit(
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> PageResult {
    let mut parts = axum::http::Request::new(()).into_parts().0;
    parts.headers = headers;
    let expected = cookie(&parts, LOGIN_CSRF_COOKIE).unwrap_or("");
    let retry = |status: StatusCode, error: String| -> PageResult {
        let page = LoginPage {
            csrf: expected.to_string(),
            error,
            username: form.username.clone(),
        };
        render_status(status, &page)
    };
    if expected.is_empty() || !constant_time_eq(expected.as_bytes(), form.csrf.as_bytes()) {
        return retry(
            StatusCode::BAD_REQUEST,
            "登录页面已过期，请刷新后重新登录".into(),
        );
    }
    match app.login(&form.username, &form.password).await {
        Ok((_, session)) => {
            let mut response = Redirect::to("/").into_response();
            let max_age = app::auth::SESSION_HOURS * 3600;
            if let Ok(v) =
                HeaderValue::from_str(&set_cookie(SESSION_COOKIE, &session.token, max_age))
            {
                response.headers_mut().insert(header::SET_COOKIE, v);
            }
            Ok(response)
        }
        Err(e @ (AppError::Invalid(_) | AppError::Throttled(_))) => {
            let status = crate::error::status_of(&e);
            retry(status, e.to_string())
        }
        Err(e) => Err(PageError(e)),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(app): State<App>,
    session: Session,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    app.logout(&session.token).await?;
    let mut response = Redirect::to("/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&set_cookie(SESSION_COOKIE, "", 0)) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(response)
}

// ---------------------------------------------------------------- dashboard

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    layout: Layout,
    top: Org,
    counts: store::Counts,
    by_child: Vec<(i64, String, i64)>,
    max_child: i64,
    /// Reminders from the sweep that the user has not read yet.
    unread: i64,
}

#[derive(Template)]
#[template(path = "notice.html")]
struct NoticePage {
    layout: Layout,
    heading: String,
    text: String,
}

pub async fn dashboard(State(app): State<App>, session: Session) -> PageResult {
    match session.actor.role {
        Role::Member => return Ok(Redirect::to("/me").into_response()),
        Role::DeptHandler => {
            let page = NoticePage {
                layout: Layout::new(&session, "首页", "home"),
                heading: format!("您好，{}", session.actor.display_name),
                text: "部门办理人的居民呼声办理功能即将上线；届时派给本部门的呼声将显示在这里。"
                    .into(),
            };
            return render(&page);
        }
        _ => {}
    }
    let d = app.dashboard(&session.actor).await?;
    let max_child = d.by_child.iter().map(|c| c.2).max().unwrap_or(0).max(1);
    render(&DashboardPage {
        layout: Layout::new(&session, "首页", "home"),
        top: d.top,
        counts: d.counts,
        by_child: d.by_child,
        max_child,
        unread: app.inbox_unread(&session.actor).await?,
    })
}

// ---------------------------------------------------------------- orgs

#[derive(Template)]
#[template(path = "org.html")]
struct OrgPage {
    layout: Layout,
    org: Org,
    path: Vec<OrgNode>,
    children: Vec<OrgNode>,
    concurrent: Vec<ConcurrentMember>,
    counts: store::Counts,
    territory: Option<Territory>,
    child_kinds: Vec<(&'static str, &'static str, bool)>,
    branch_kinds: Vec<(&'static str, &'static str, bool)>,
    is_committee: bool,
    error: String,
}

pub async fn orgs_root(session: Session) -> PageResult {
    session.actor.require_staff()?;
    Ok(Redirect::to(&format!("/orgs/{}", session.actor.org_id)).into_response())
}

async fn org_page_with(app: &App, session: &Session, id: i64, error: String) -> PageResult {
    let actor = &session.actor;
    let org = app.org(actor, id).await?;
    let path = app.org_path(actor, id).await?;
    let children = app.org_children(actor, id).await?;
    let concurrent = app.concurrent_members(actor, id).await?;
    let counts = app
        .db
        .counts(store::Scope::Subtree(org.id))
        .await
        .map_err(AppError::from)?;
    let territory = match org.territory_id {
        Some(t) => app.territory(actor, t).await.ok(),
        None => None,
    };
    let kind = OrgKind::from_code(&org.kind);
    let child_kinds = OrgKind::ALL
        .iter()
        .filter(|k| allowed_under(kind, **k))
        .map(|k| (k.code(), k.label(), *k == OrgKind::Branch))
        .collect();
    let branch_kinds = view::options(BranchKind::ALL, BranchKind::code, BranchKind::label, None);
    let is_committee = matches!(
        kind,
        Some(
            OrgKind::CommunityCommittee
                | OrgKind::VillageCommittee
                | OrgKind::StreetCommittee
                | OrgKind::TownCommittee
        )
    );
    let status = form_status(&error);
    render_status(
        status,
        &OrgPage {
            layout: Layout::new(session, org.name.clone(), "orgs"),
            org,
            path,
            children,
            concurrent,
            counts,
            territory,
            child_kinds,
            branch_kinds,
            is_committee,
            error,
        },
    )
}

pub async fn org_page(State(app): State<App>, session: Session, Path(id): Path<i64>) -> PageResult {
    org_page_with(&app, &session, id, String::new()).await
}

#[derive(Deserialize)]
pub struct OrgForm {
    #[serde(default)]
    csrf: String,
    parent_id: Option<i64>,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    branch_kind: String,
    name: String,
    #[serde(default)]
    territory_id: String,
    #[serde(default)]
    founded_on: String,
    #[serde(default)]
    secretary: String,
    #[serde(default)]
    phone: String,
}

impl OrgForm {
    fn input(&self) -> OrgInput {
        OrgInput {
            parent_id: self.parent_id,
            kind: self.kind.clone(),
            branch_kind: self.branch_kind.clone(),
            name: self.name.clone(),
            territory_id: self.territory_id.trim().parse().ok(),
            founded_on: self.founded_on.clone(),
            secretary: self.secretary.clone(),
            phone: self.phone.clone(),
        }
    }
}

pub async fn org_create(
    State(app): State<App>,
    session: Session,
    Form(form): Form<OrgForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    match app.create_org(&session.actor, &form.input()).await {
        Ok(org) => Ok(Redirect::to(&format!("/orgs/{}", org.id)).into_response()),
        Err(AppError::Invalid(m)) if form.parent_id.is_some() => {
            org_page_with(&app, &session, form.parent_id.unwrap_or_default(), m).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn org_update(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<OrgForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    match app.update_org(&session.actor, id, &form.input()).await {
        Ok(_) => Ok(Redirect::to(&format!("/orgs/{id}")).into_response()),
        Err(AppError::Invalid(m)) => org_page_with(&app, &session, id, m).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct ConcurrentForm {
    #[serde(default)]
    csrf: String,
    name: String,
    unit: String,
    #[serde(default)]
    post: String,
}

pub async fn concurrent_add(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<ConcurrentForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    match app
        .add_concurrent_member(&session.actor, id, &form.name, &form.unit, &form.post)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/orgs/{id}")).into_response()),
        Err(AppError::Invalid(m)) => org_page_with(&app, &session, id, m).await,
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------- territory

#[derive(Template)]
#[template(path = "territory.html")]
struct TerritoryPage {
    layout: Layout,
    node: Option<Territory>,
    children: Vec<(Territory, i64)>,
    serving: Vec<(i64, String, String)>,
    child_level: &'static str,
}

pub async fn territory_root(State(app): State<App>, session: Session) -> PageResult {
    let children = app.territory_children(&session.actor, None).await?;
    render(&TerritoryPage {
        layout: Layout::new(&session, "区域网格", "territory"),
        node: None,
        children,
        serving: vec![],
        child_level: if session.actor.role == Role::Admin {
            "区"
        } else {
            ""
        },
    })
}

pub async fn territory_page(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
) -> PageResult {
    let node = app.territory(&session.actor, id).await?;
    let children = app.territory_children(&session.actor, Some(id)).await?;
    let serving = app
        .db
        .orgs_serving_territory(id)
        .await
        .map_err(AppError::from)?;
    let child_level = domain::TerritoryLevel::from_code(&node.level)
        .and_then(|l| l.child())
        .map(|l| l.label())
        .unwrap_or("");
    render(&TerritoryPage {
        layout: Layout::new(&session, node.name.clone(), "territory"),
        node: Some(node),
        children,
        serving,
        child_level,
    })
}

#[derive(Deserialize)]
pub struct TerritoryForm {
    #[serde(default)]
    csrf: String,
    parent_id: Option<i64>,
    name: String,
}

pub async fn territory_create(
    State(app): State<App>,
    session: Session,
    Form(form): Form<TerritoryForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let t = app
        .create_territory(&session.actor, form.parent_id, &form.name)
        .await?;
    Ok(Redirect::to(&format!("/territory/{}", t.parent_id.unwrap_or(t.id))).into_response())
}

// ---------------------------------------------------------------- members

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage {
    layout: Layout,
    query: MemberQuery,
    org_filter: Option<Org>,
    categories: Vec<(&'static str, &'static str, bool)>,
    statuses: Vec<(&'static str, &'static str, bool)>,
    results: MemberResults,
    may_edit: bool,
}

#[derive(Template)]
#[template(path = "member_results.html")]
struct MemberResults {
    page: MemberPage,
    current: i64,
    pages: i64,
    base_query: String,
}

fn query_string(q: &MemberQuery) -> String {
    let mut parts = Vec::new();
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    if !q.q.is_empty() {
        parts.push(format!("q={}", enc(&q.q)));
    }
    if let Some(o) = q.org_id {
        parts.push(format!("org_id={o}"));
    }
    for (k, v) in [
        ("category", &q.category),
        ("status", &q.status),
        ("flag", &q.flag),
    ] {
        if !v.is_empty() {
            parts.push(format!("{k}={}", enc(v)));
        }
    }
    parts.join("&")
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
    let current = query.page.unwrap_or(1).max(1);
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
        org_filter,
        query,
        results,
        may_edit: actor.role.may_edit(),
    })
}

#[derive(Template)]
#[template(path = "member.html")]
struct MemberView {
    layout: Layout,
    m: Member,
    path: Vec<OrgNode>,
    community: Option<Territory>,
    years_admitted: u32,
    years_full: Option<u32>,
    birthday_today: bool,
    may_edit: bool,
    history: Vec<AuditRow>,
    dues: app::dues::MemberDues,
    dues_error: String,
    categories: Vec<(&'static str, &'static str)>,
    methods: Vec<(&'static str, &'static str)>,
    form: DuesForm,
}

/// What was typed into the dues forms, shown again with the error when a save fails.
#[derive(Default, Deserialize)]
pub struct DuesForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    base: String,
    #[serde(default)]
    components: String,
    #[serde(default)]
    effective_month: String,
    #[serde(default)]
    from_month: String,
    #[serde(default)]
    to_month: String,
    #[serde(default)]
    paid_on: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    proxy_name: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    approved_by: String,
    #[serde(default)]
    approval_ref: String,
    #[serde(default)]
    approved_on: String,
}

#[derive(Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    saved: String,
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

async fn member_page_with(
    app: &App,
    session: &Session,
    id: i64,
    flash: &str,
    dues_error: String,
    form: DuesForm,
) -> PageResult {
    let actor = &session.actor;
    let m = app.member(actor, id).await?;
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
    let this_month = domain::dues_ledger::Month::of(today);
    let dues = app.member_dues(actor, id, this_month).await?;
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
    let status = if dues_error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    render_status(
        status,
        &MemberView {
            layout: Layout::new(
                session,
                m.name.clone(),
                if actor.is_staff() { "members" } else { "me" },
            )
            .with_flash(flash),
            years_admitted: domain::dates::years_since(m.admitted_on, today),
            years_full: m.full_on.map(|f| domain::dates::years_since(f, today)),
            birthday_today: domain::dates::is_anniversary(m.admitted_on, today),
            may_edit: actor.role.may_edit(),
            m,
            path,
            community,
            history,
            dues,
            dues_error,
            categories: domain::dues::DuesCategory::ALL
                .iter()
                .map(|c| (c.code(), c.label()))
                .collect(),
            methods: app::dues::PAYMENT_METHODS.to_vec(),
            form,
        },
    )
}

/// Saves one of the three dues forms, or shows the member page again with the reason.
async fn dues_saved(
    app: &App,
    session: &Session,
    id: i64,
    form: DuesForm,
    kind: &str,
    result: app::Result<()>,
) -> PageResult {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/members/{id}?saved={kind}#dues")).into_response()),
        Err(AppError::Invalid(m) | AppError::Conflict(m)) => {
            member_page_with(app, session, id, "", m, form).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn dues_base(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<DuesForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let input = app::dues::SetBaseInput {
        quote: app::dues::QuoteInput {
            category: form.category.clone(),
            base: form.base.clone(),
            components: form.components.clone(),
            hardship_approved: false,
        },
        effective_month: form.effective_month.clone(),
    };
    let result = app
        .set_dues_base(&session.actor, id, &input)
        .await
        .map(|_| ());
    dues_saved(&app, &session, id, form, "base", result).await
}

pub async fn dues_payment(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<DuesForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let input = app::dues::PaymentInput {
        from_month: form.from_month.clone(),
        to_month: form.to_month.clone(),
        paid_on: form.paid_on.clone(),
        method: form.method.clone(),
        proxy_name: form.proxy_name.clone(),
    };
    let result = app
        .record_dues_payment(&session.actor, id, &input)
        .await
        .map(|_| ());
    dues_saved(&app, &session, id, form, "payment", result).await
}

pub async fn dues_waiver(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<DuesForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let input = app::dues::WaiverInput {
        from_month: form.from_month.clone(),
        to_month: form.to_month.clone(),
        reason: form.reason.clone(),
        approved_by: form.approved_by.clone(),
        approval_ref: form.approval_ref.clone(),
        approved_on: form.approved_on.clone(),
    };
    let result = app.add_dues_waiver(&session.actor, id, &input).await;
    dues_saved(&app, &session, id, form, "waiver", result).await
}

#[derive(Template)]
#[template(path = "dues.html")]
struct DuesPage {
    layout: Layout,
    notice: app::dues::Notice,
    path: Vec<OrgNode>,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    org_id: Option<i64>,
    #[serde(default)]
    month: String,
}

impl NoticeQuery {
    fn month(&self) -> String {
        if self.month.trim().is_empty() {
            domain::dues_ledger::Month::of(today()).to_string()
        } else {
            self.month.clone()
        }
    }
}

pub async fn dues_notice(
    State(app): State<App>,
    session: Session,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    if session.actor.role == Role::Member {
        return Ok(Redirect::to("/me").into_response());
    }
    let org_id = q.org_id.unwrap_or(session.actor.org_id);
    let notice = app.dues_notice(&session.actor, org_id, &q.month()).await?;
    let path = app.org_path(&session.actor, org_id).await?;
    render(&DuesPage {
        layout: Layout::new(&session, "党费收缴通报", "dues"),
        notice,
        path,
    })
}

pub async fn dues_notice_export(
    State(app): State<App>,
    session: Session,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let org_id = q.org_id.unwrap_or(session.actor.org_id);
    let (bytes, name) = app
        .dues_notice_xlsx(&session.actor, org_id, &q.month())
        .await?;
    Ok(download(bytes, XLSX, &name, "dues-notice.xlsx"))
}

#[derive(Template)]
#[template(path = "member_form.html")]
struct MemberFormPage {
    layout: Layout,
    id: Option<i64>,
    v: MemberInput,
    branches: Vec<OrgNode>,
    communities: Vec<Territory>,
    categories: Vec<(&'static str, &'static str, bool)>,
    modes: Vec<(&'static str, &'static str, bool)>,
    statuses: Vec<(&'static str, &'static str, bool)>,
    error: String,
}

async fn member_form(
    app: &App,
    session: &Session,
    id: Option<i64>,
    v: MemberInput,
    error: String,
) -> PageResult {
    let actor = &session.actor;
    let branches = app.branches(actor).await?;
    let communities = app.communities(actor).await?;
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
        id,
        v,
        branches,
        communities,
        error: error.clone(),
    };
    let status = form_status(&error);
    render_status(status, &page)
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
        }
    }
}

/// Re-shows the form with what was typed and the reason, so nothing entered is lost.
async fn member_saved(
    app: &App,
    session: &Session,
    id: Option<i64>,
    input: MemberInput,
    result: app::Result<Member>,
) -> PageResult {
    match result {
        Ok(m) => Ok(Redirect::to(&format!("/members/{}", m.id)).into_response()),
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

// ---------------------------------------------------------------- import / export

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    layout: Layout,
    imported: Option<usize>,
    error: String,
    rows: Vec<RowError>,
}

pub async fn import_page(session: Session) -> PageResult {
    session.actor.require_org_admin()?;
    render(&ImportPage {
        layout: Layout::new(&session, "导入导出", "import"),
        imported: None,
        error: String::new(),
        rows: vec![],
    })
}

pub async fn import_submit(
    State(app): State<App>,
    session: Session,
    multipart: Multipart,
) -> PageResult {
    session.actor.require_org_admin()?;
    let (csrf, file) = read_upload(multipart, "upload.xlsx").await?;
    session.check_csrf(&csrf)?;
    let layout = Layout::new(&session, "导入导出", "import");
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return render_status(
            StatusCode::BAD_REQUEST,
            &ImportPage {
                layout,
                imported: None,
                error: "请选择要导入的文件".into(),
                rows: vec![],
            },
        );
    };
    match app.import_members(&session.actor, &name, &bytes).await {
        Ok(report) => render(&ImportPage {
            layout,
            imported: Some(report.imported),
            error: String::new(),
            rows: vec![],
        }),
        Err(AppError::ImportRejected(rows)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ImportPage {
                layout,
                imported: None,
                error: format!(
                    "文件有 {} 处错误，未导入任何数据。请修改后重新上传。",
                    rows.len()
                ),
                rows,
            },
        ),
        Err(AppError::Invalid(m)) => render_status(
            StatusCode::BAD_REQUEST,
            &ImportPage {
                layout,
                imported: None,
                error: m,
                rows: vec![],
            },
        ),
        Err(e) => Err(e.into()),
    }
}

pub async fn template_download(State(app): State<App>, session: Session) -> PageResult {
    let bytes = app.member_template(&session.actor).await?;
    Ok(download(
        bytes,
        XLSX,
        "党员信息导入模板.xlsx",
        "member-template.xlsx",
    ))
}

/// The file format of an export; read beside [`MemberQuery`] from the same query string
/// (serde's `flatten` would lose the numeric `org_id` there).
#[derive(Deserialize)]
pub struct ExportFormatQuery {
    #[serde(default)]
    format: String,
}

pub async fn export_download(
    State(app): State<App>,
    session: Session,
    Query(f): Query<ExportFormatQuery>,
    Query(query): Query<MemberQuery>,
) -> PageResult {
    let format = ExportFormat::from_name(&f.format);
    let (bytes, _) = app.export_members(&session.actor, &query, format).await?;
    let stamp = today().format("%Y%m%d");
    Ok(match format {
        ExportFormat::Csv => download(
            bytes,
            "text/csv; charset=utf-8",
            &format!("党员名册{stamp}.csv"),
            "members.csv",
        ),
        ExportFormat::Xlsx => download(
            bytes,
            XLSX,
            &format!("党员名册{stamp}.xlsx"),
            "members.xlsx",
        ),
    })
}

// ---------------------------------------------------------------- users and tokens

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    layout: Layout,
    users: Vec<User>,
    roles: Vec<(&'static str, &'static str, bool)>,
    orgs: Vec<OrgNode>,
    /// District departments a department handler can be bound to.
    departments: Vec<store::CallUnit>,
    error: String,
    v: UserInput,
}

async fn users_page(app: &App, session: &Session, error: String, v: UserInput) -> PageResult {
    let actor = &session.actor;
    let users = app.users(actor).await?;
    let mut orgs = Vec::new();
    for kind in OrgKind::ALL.iter().filter(|k| **k != OrgKind::PartyGroup) {
        orgs.extend(
            app.db
                .org_list_kind(actor.scope(), kind.code())
                .await
                .map_err(AppError::from)?,
        );
    }
    let departments = match app.public_root().await {
        Ok(root) => app
            .call_units_of(root)
            .await?
            .into_iter()
            .filter(|u| u.kind == "department")
            .collect(),
        Err(_) => Vec::new(),
    };
    let roles = Role::ALL
        .iter()
        .filter(|r| actor.role == Role::Admin || **r != Role::Admin)
        .map(|r| (r.code(), r.label(), Role::from_label(&v.role) == Some(*r)))
        .collect();
    let status = form_status(&error);
    render_status(
        status,
        &UsersPage {
            layout: Layout::new(session, "用户与角色", "users"),
            users,
            roles,
            orgs,
            departments,
            error,
            v,
        },
    )
}

pub async fn users(State(app): State<App>, session: Session) -> PageResult {
    users_page(&app, &session, String::new(), UserInput::default()).await
}

#[derive(Deserialize)]
pub struct UserForm {
    #[serde(default)]
    csrf: String,
    username: String,
    display_name: String,
    password: String,
    role: String,
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    member_id: String,
    #[serde(default)]
    call_unit_id: String,
}

pub async fn user_create(
    State(app): State<App>,
    session: Session,
    Form(form): Form<UserForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let input = UserInput {
        username: form.username,
        display_name: form.display_name,
        password: form.password,
        role: form.role,
        org_id: form.org_id.trim().parse().unwrap_or(0),
        member_id: form.member_id.trim().parse().ok(),
        call_unit_id: form.call_unit_id.trim().parse().ok(),
    };
    match app.create_user(&session.actor, &input).await {
        Ok(_) => Ok(Redirect::to("/users").into_response()),
        Err(AppError::Invalid(m) | AppError::Conflict(m)) => {
            let v = UserInput {
                password: String::new(),
                ..input
            };
            users_page(&app, &session, m, v).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    password: String,
}

pub async fn user_password(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<PasswordForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    match app.reset_password(&session.actor, id, &form.password).await {
        Ok(()) => Ok(Redirect::to("/users").into_response()),
        Err(AppError::Invalid(m)) => users_page(&app, &session, m, UserInput::default()).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    layout: Layout,
    token: String,
    error: String,
}

pub async fn tokens(session: Session) -> PageResult {
    render(&TokensPage {
        layout: Layout::new(&session, "API 令牌", "tokens"),
        token: String::new(),
        error: String::new(),
    })
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
    name: String,
}

pub async fn token_create(
    State(app): State<App>,
    session: Session,
    Form(form): Form<TokenForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let layout = Layout::new(&session, "API 令牌", "tokens");
    match app.create_api_token(&session.actor, &form.name).await {
        Ok(token) => render(&TokensPage {
            layout,
            token,
            error: String::new(),
        }),
        Err(AppError::Invalid(m)) => render_status(
            StatusCode::BAD_REQUEST,
            &TokensPage {
                layout,
                token: String::new(),
                error: m,
            },
        ),
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------- audit

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    rows: Vec<AuditRow>,
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

const AUDIT_PAGE: i64 = 100;

pub async fn audit(
    State(app): State<App>,
    session: Session,
    Query(q): Query<AuditQuery>,
) -> PageResult {
    let page = q.page.unwrap_or(1).max(1);
    let entity = Some(q.entity.as_str()).filter(|e| !e.is_empty());
    let rows = app
        .audit_log(&session.actor, entity, AUDIT_PAGE, (page - 1) * AUDIT_PAGE)
        .await?;
    render(&AuditPage {
        layout: Layout::new(&session, "审计日志", "audit"),
        has_next: rows.len() as i64 == AUDIT_PAGE,
        rows,
        page,
        entity: q.entity,
    })
}

#[derive(Template)]
#[template(path = "dues_year.html")]
struct DuesYearPage {
    layout: Layout,
    org: Org,
    year: i32,
    rows: Vec<app::dues::NoticeRow>,
    sum: app::dues::NoticeRow,
    expenses: Vec<store::DuesExpense>,
    spent_fen: i64,
    may_edit: bool,
    error: String,
}

#[derive(Deserialize)]
pub struct YearQuery {
    org_id: Option<i64>,
    year: Option<i32>,
}

pub async fn dues_year(
    State(app): State<App>,
    session: Session,
    Query(q): Query<YearQuery>,
) -> PageResult {
    let org_id = q.org_id.unwrap_or(session.actor.org_id);
    let year = q.year.unwrap_or_else(|| chrono::Datelike::year(&today()));
    dues_year_page(&app, &session, org_id, year, String::new()).await
}

async fn dues_year_page(
    app: &App,
    session: &Session,
    org_id: i64,
    year: i32,
    error: String,
) -> PageResult {
    let (org, rows, sum) = app.dues_year(&session.actor, org_id, year).await?;
    let expenses = app.dues_expenses(&session.actor, org_id, year).await?;
    let status = form_status(&error);
    render_status(
        status,
        &DuesYearPage {
            layout: Layout::new(session, "党费年度公示", "dues"),
            spent_fen: expenses.iter().map(|e| e.amount_fen).sum(),
            may_edit: session.actor.role.may_edit(),
            org,
            year,
            rows,
            sum,
            expenses,
            error,
        },
    )
}

#[derive(Deserialize)]
pub struct ExpenseForm {
    #[serde(default)]
    csrf: String,
    org_id: i64,
    #[serde(default)]
    spent_on: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    approved_by: String,
}

pub async fn dues_expense(
    State(app): State<App>,
    session: Session,
    Form(form): Form<ExpenseForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let input = app::dues::ExpenseInput {
        spent_on: form.spent_on.clone(),
        amount: form.amount.clone(),
        purpose: form.purpose.clone(),
        approved_by: form.approved_by.clone(),
    };
    match app
        .add_dues_expense(&session.actor, form.org_id, &input)
        .await
    {
        Ok(_) => {
            let year = app::members::parse_date_cn(&form.spent_on)
                .map(|d| chrono::Datelike::year(&d))
                .unwrap_or(0);
            Ok(
                Redirect::to(&format!("/dues/year?org_id={}&year={year}", form.org_id))
                    .into_response(),
            )
        }
        Err(AppError::Invalid(m)) => {
            let year = chrono::Datelike::year(&today());
            dues_year_page(&app, &session, form.org_id, year, m).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "birthdays.html")]
struct BirthdaysPage {
    layout: Layout,
    /// Today as the page prints it, e.g. 11月23日.
    today: String,
    b: app::birthdays::Birthdays,
}

pub async fn birthdays(State(app): State<App>, session: Session) -> PageResult {
    let today = today();
    let b = app.political_birthdays(&session.actor, today).await?;
    render(&BirthdaysPage {
        layout: Layout::new(&session, "政治生日", "birthdays"),
        today: format!(
            "{}月{}日",
            chrono::Datelike::month(&today),
            chrono::Datelike::day(&today)
        ),
        b,
    })
}

// ---------------------------------------------------------------- organisational life

/// A ledger cell as the grid shows it.
pub struct LedgerCellView {
    pub period: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub title: String,
    pub missing: bool,
}

#[derive(Template)]
#[template(path = "orglife.html")]
struct OrgLifePage {
    layout: Layout,
    org: Org,
    year: i32,
    path: Vec<OrgNode>,
    /// For a branch: (institution code, label, cells).
    grid: Vec<(&'static str, &'static str, Vec<LedgerCellView>)>,
    rag: &'static str,
    rate: String,
    rows: Vec<app::orglife::LedgerRow>,
    total: Option<app::orglife::LedgerRow>,
    meetings: Vec<store::Meeting>,
    may_edit: bool,
    /// Which rules a branch's cells follow.
    rule_version: String,
    exemptions: Vec<store::ExemptionRow>,
    /// Org admins above a branch may approve its exemptions.
    may_grant: bool,
    institutions: Vec<(&'static str, &'static str)>,
    error: String,
}

#[derive(Deserialize)]
pub struct LedgerQuery {
    pub(crate) org_id: Option<i64>,
    pub(crate) year: Option<i32>,
}

pub async fn orglife(
    State(app): State<App>,
    session: Session,
    Query(q): Query<LedgerQuery>,
) -> PageResult {
    orglife_with(&app, &session, q, String::new()).await
}

/// The ledger page, with `error` shown above it when a form on it was refused.
pub(crate) async fn orglife_with(
    app: &App,
    session: &Session,
    q: LedgerQuery,
    error: String,
) -> PageResult {
    use app::orglife::Ledger;
    use app::permille_text;
    let actor = &session.actor;
    if actor.role == Role::Member {
        return Ok(Redirect::to("/me").into_response());
    }
    let org_id = q.org_id.unwrap_or(actor.org_id);
    let year = q.year.unwrap_or_else(app::orglife::this_year);
    let ledger = app.ledger(actor, org_id, year).await?;
    let path = app.org_path(actor, org_id).await?;
    let exemptions = app.exemptions(actor, org_id).await?;
    let institutions: Vec<(&'static str, &'static str)> = domain::orglife::Institution::ALL
        .iter()
        .map(|i| (i.code(), i.label()))
        .collect();
    let status = form_status(&error);
    let (from, to) = (
        chrono::NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default(),
        chrono::NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default(),
    );
    let page = match ledger {
        Ledger::Branch(b) => {
            let mut grid: Vec<(&'static str, &'static str, Vec<LedgerCellView>)> = Vec::new();
            for cell in &b.cells {
                let code = cell.institution.code();
                if grid.last().map(|g| g.0) != Some(code) {
                    grid.push((code, cell.institution.label(), Vec::new()));
                }
                if let Some(last) = grid.last_mut() {
                    last.2.push(LedgerCellView {
                        period: cell.period.label(),
                        status: cell.status.code(),
                        status_label: cell.status.label(),
                        title: format!(
                            "{} {}：应 {} 次，已开 {} 次。{}",
                            cell.period.label(),
                            cell.institution.label(),
                            cell.expected,
                            cell.held,
                            cell.note
                        ),
                        missing: cell.status == domain::orglife::Status::Missing,
                    });
                }
            }
            OrgLifePage {
                layout: Layout::new(session, "组织生活", "orglife"),
                may_grant: matches!(actor.role, Role::Admin | Role::OrgAdmin)
                    && b.org.id != actor.org_id,
                rule_version: b.rule_version.clone(),
                exemptions,
                institutions,
                error,
                meetings: app
                    .db
                    .meetings_between(actor.scope(), b.org.id, from, to)
                    .await
                    .map_err(AppError::from)?,
                rag: b.rag.code(),
                rate: permille_text(b.rate_permille),
                org: b.org,
                year,
                path,
                grid,
                rows: vec![],
                total: None,
                may_edit: actor.role.may_edit(),
            }
        }
        Ledger::Rollup {
            org,
            year,
            rows,
            total,
        } => OrgLifePage {
            layout: Layout::new(session, "组织生活", "orglife"),
            may_grant: false,
            rule_version: String::new(),
            exemptions,
            institutions,
            error,
            meetings: vec![],
            rag: "",
            rate: permille_text(total.rate_permille),
            org,
            year,
            path,
            grid: vec![],
            rows,
            total: Some(total),
            may_edit: actor.role.may_edit(),
        },
    };
    render_status(status, &page)
}

#[derive(Template)]
#[template(path = "meeting_form.html")]
struct MeetingFormPage {
    layout: Layout,
    org: Org,
    roster: Vec<store::MemberRow>,
    institutions: Vec<(&'static str, &'static str)>,
    v: MeetingFormValues,
    error: String,
    backfill_days: i64,
}

#[derive(Default, Clone)]
pub struct MeetingFormValues {
    /// Set when amending an existing record.
    meeting_id: Option<i64>,
    /// Members ticked present; `None` ticks everyone (a new record).
    present: Option<Vec<i64>>,
    reasons: Vec<(i64, String)>,
    institution: String,
    held_on: String,
    place: String,
    chair: String,
    recorder: String,
    agenda: String,
    minutes: String,
    resolutions: String,
    open_sign_in: bool,
}

#[derive(Deserialize)]
pub struct NewMeetingQuery {
    org_id: i64,
    #[serde(default)]
    institution: String,
}

async fn meeting_form(
    app: &App,
    session: &Session,
    org_id: i64,
    v: MeetingFormValues,
    error: String,
) -> PageResult {
    if !session.actor.role.may_edit() {
        return Err(AppError::Forbidden.into());
    }
    let org = app.org(&session.actor, org_id).await?;
    let roster = app.meeting_roster(&session.actor, org_id).await?;
    let status = form_status(&error);
    render_status(
        status,
        &MeetingFormPage {
            layout: Layout::new(
                session,
                if v.meeting_id.is_some() {
                    "修改会议记录"
                } else {
                    "记录组织生活"
                },
                "orglife",
            ),
            org,
            roster,
            institutions: domain::orglife::Institution::ALL
                .iter()
                .map(|i| (i.code(), i.label()))
                .collect(),
            v,
            error,
            backfill_days: app.backfill_days,
        },
    )
}

pub async fn meeting_new(
    State(app): State<App>,
    session: Session,
    Query(q): Query<NewMeetingQuery>,
) -> PageResult {
    let v = MeetingFormValues {
        institution: q.institution,
        held_on: today().to_string(),
        ..Default::default()
    };
    meeting_form(&app, &session, q.org_id, v, String::new()).await
}

impl MeetingFormValues {
    fn ticked(&self, member: &i64) -> bool {
        self.present.as_ref().is_none_or(|p| p.contains(member))
    }

    fn reason(&self, member: &i64) -> &str {
        self.reasons
            .iter()
            .find(|(id, _)| id == member)
            .map(|(_, r)| r.as_str())
            .unwrap_or("")
    }
}

/// The meeting form arrives as pairs because each member has a checkbox and a reason box.
fn parse_meeting_form(
    pairs: &[(String, String)],
) -> (
    String,
    Option<i64>,
    MeetingFormValues,
    app::orglife::MeetingInput,
) {
    let get = |key: &str| form_field(pairs, key).to_string();
    let present: Vec<i64> = pairs
        .iter()
        .filter(|(k, _)| k == "present")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let reasons: Vec<(i64, String)> = pairs
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("reason_")
                .and_then(|id| id.parse().ok())
                .map(|id: i64| (id, v.clone()))
        })
        .collect();
    let absent = reasons
        .iter()
        .filter(|(id, _)| !present.contains(id))
        .cloned()
        .collect();
    let v = MeetingFormValues {
        meeting_id: None,
        present: Some(present.clone()),
        reasons,
        institution: get("institution"),
        held_on: get("held_on"),
        place: get("place"),
        chair: get("chair"),
        recorder: get("recorder"),
        agenda: get("agenda"),
        minutes: get("minutes"),
        resolutions: get("resolutions"),
        open_sign_in: !get("open_sign_in").is_empty(),
    };
    let input = app::orglife::MeetingInput {
        open_sign_in: v.open_sign_in,
        institution: v.institution.clone(),
        held_on: v.held_on.clone(),
        place: v.place.clone(),
        chair: v.chair.clone(),
        recorder: v.recorder.clone(),
        agenda: v.agenda.clone(),
        minutes: v.minutes.clone(),
        resolutions: v.resolutions.clone(),
        present,
        absent,
    };
    (get("csrf"), get("org_id").parse().ok(), v, input)
}

pub async fn meeting_create(
    State(app): State<App>,
    session: Session,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let (csrf, org_id, v, input) = parse_meeting_form(&pairs);
    session.check_csrf(&csrf)?;
    let org_id = org_id.ok_or_else(|| AppError::Invalid("缺少组织".into()))?;
    match app.record_meeting(&session.actor, org_id, &input).await {
        Ok(id) => Ok(Redirect::to(&format!("/orglife/meetings/{id}?saved=1")).into_response()),
        Err(AppError::Invalid(m)) => meeting_form(&app, &session, org_id, v, m).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn meeting_edit(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
) -> PageResult {
    session.actor.require_staff()?;
    let (m, attendance) = app
        .db
        .meeting_get(session.actor.scope(), id)
        .await
        .map_err(AppError::from)?;
    let v = MeetingFormValues {
        meeting_id: Some(id),
        present: Some(
            attendance
                .iter()
                .filter(|a| a.present)
                .map(|a| a.member_id)
                .collect(),
        ),
        reasons: attendance
            .iter()
            .filter_map(|a| a.absence_reason.clone().map(|r| (a.member_id, r)))
            .collect(),
        institution: m.institution,
        held_on: m.held_on.to_string(),
        place: m.place,
        chair: m.chair,
        recorder: m.recorder,
        agenda: m.agenda,
        minutes: m.minutes,
        resolutions: m.resolutions,
        open_sign_in: attendance
            .iter()
            .any(|a| !a.present && a.absence_reason.is_none()),
    };
    meeting_form(&app, &session, m.org_id, v, String::new()).await
}

pub async fn meeting_amend(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let (csrf, _, v, input) = parse_meeting_form(&pairs);
    session.check_csrf(&csrf)?;
    match app.amend_meeting(&session.actor, id, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/orglife/meetings/{id}?saved=1")).into_response()),
        Err(AppError::Invalid(m)) => {
            let (meeting, _) = app
                .db
                .meeting_get(session.actor.scope(), id)
                .await
                .map_err(AppError::from)?;
            meeting_form(
                &app,
                &session,
                meeting.org_id,
                MeetingFormValues {
                    meeting_id: Some(id),
                    ..v
                },
                m,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "meeting.html")]
struct MeetingPage {
    layout: Layout,
    m: store::Meeting,
    institution: &'static str,
    attendance: Vec<store::Attendance>,
    present: usize,
    /// Expected but neither present nor excused: still free to sign in on their phone.
    awaiting: usize,
    revisions: Vec<store::MeetingRevision>,
    votes: Vec<store::MeetingVote>,
    attachments: Vec<store::AttachmentMeta>,
    decisions: Vec<(&'static str, &'static str)>,
    may_edit: bool,
    error: String,
    /// What was typed into a refused vote form.
    vote: app::meeting_extras::VoteInput,
}

pub async fn meeting_page(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Query(q): Query<SavedQuery>,
) -> PageResult {
    let flash = match q.saved.as_str() {
        "" => "",
        "vote" => "表决结果已记录。",
        "file" => "附件已上传。",
        _ => "会议记录已保存。",
    };
    meeting_page_with(&app, &session, id, flash, String::new(), Default::default()).await
}

/// The meeting page, with `error` (and the refused vote form's values) when a form failed.
pub(crate) async fn meeting_page_with(
    app: &App,
    session: &Session,
    id: i64,
    flash: &str,
    error: String,
    vote: app::meeting_extras::VoteInput,
) -> PageResult {
    let actor = &session.actor;
    actor.require_staff()?;
    let (m, attendance) = app
        .db
        .meeting_get(actor.scope(), id)
        .await
        .map_err(AppError::from)?;
    let revisions = app
        .db
        .meeting_revisions(actor.scope(), id)
        .await
        .map_err(AppError::from)?;
    let votes = app.meeting_votes(actor, id).await?;
    let attachments = app.meeting_attachments(actor, id).await?;
    let status = form_status(&error);
    let present = attendance.iter().filter(|a| a.present).count();
    let vote = if vote.decision.is_empty() {
        app::meeting_extras::VoteInput {
            decision: "ordinary".into(),
            expected: attendance.len().to_string(),
            present: present.to_string(),
            ..vote
        }
    } else {
        vote
    };
    render_status(
        status,
        &MeetingPage {
            layout: Layout::new(session, "会议记录", "orglife").with_flash(flash),
            institution: domain::orglife::Institution::from_code(&m.institution)
                .map(|i| i.label())
                .unwrap_or(""),
            present,
            awaiting: attendance
                .iter()
                .filter(|a| !a.present && a.absence_reason.is_none())
                .count(),
            m,
            attendance,
            revisions,
            votes,
            attachments,
            decisions: domain::orglife::Decision::ALL
                .iter()
                .map(|d| (d.code(), d.label()))
                .collect(),
            may_edit: actor.role.may_edit(),
            error,
            vote,
        },
    )
}

pub async fn orglife_export(
    State(app): State<App>,
    session: Session,
    Query(q): Query<LedgerQuery>,
) -> PageResult {
    let org_id = q.org_id.unwrap_or(session.actor.org_id);
    let year = q.year.unwrap_or_else(app::orglife::this_year);
    let (bytes, name) = app.ledger_xlsx(&session.actor, org_id, year).await?;
    Ok(download(bytes, XLSX, &name, "ledger.xlsx"))
}
