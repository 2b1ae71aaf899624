//! Residents' calls in the browser: the public form and tracking page (no login, made for a
//! phone), and the staff pages: the list with countdowns, a call with its actions and history,
//! the figures per unit, and the work calendar.

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::Session;
use crate::client::ClientIp;
use crate::error::{PageError, status_of};
use crate::pages::{XLSX, download, form_field, form_status, render, render_status, stored_file};
use crate::view::Layout;
use app::calls::{ActionInput, CallInput, CallListQuery, CallView, FigureRow, PublicCall};
use app::{App, AppError};
use domain::Role;
use domain::calls::{Level, Rating, Status};
use store::{CallEventRow, CallItem, CallUnit};

type PageResult = Result<Response, PageError>;

// ---------------------------------------------------------------- public pages

#[derive(Template)]
#[template(path = "call_public_form.html")]
struct PublicFormPage {
    items: Vec<CallItem>,
    communities: Vec<(CallUnit, String)>,
    v: CallFormValues,
    error: String,
    /// Staff entering a call taken by phone use the same form inside the staff frame.
    action: &'static str,
}

#[derive(Default, Clone)]
struct CallFormValues {
    item_code: String,
    territory_id: Option<i64>,
    address: String,
    description: String,
    resident_name: String,
    phone: String,
}

/// Catalogue items grouped by category, in catalogue order, for the form's `<optgroup>`s.
pub fn categories(items: &[CallItem]) -> Vec<(String, Vec<&CallItem>)> {
    let mut out: Vec<(String, Vec<&CallItem>)> = Vec::new();
    for item in items {
        match out.last_mut() {
            Some((name, group)) if *name == item.category_name => group.push(item),
            _ => out.push((item.category_name.clone(), vec![item])),
        }
    }
    out
}

async fn public_form(
    app: &App,
    v: CallFormValues,
    error: String,
    status: StatusCode,
) -> PageResult {
    let root = app.public_root().await?;
    let page = PublicFormPage {
        items: app.call_catalogue(root).await?,
        communities: app.public_communities().await?,
        v,
        error,
        action: "/public/calls",
    };
    render_status(status, &page)
}

pub async fn public_new(State(app): State<App>) -> PageResult {
    public_form(
        &app,
        CallFormValues::default(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// Why a form with photos could not be read, in words a resident can act on (the multipart
/// parser's own message is English and technical).
fn upload_failed(e: axum::extract::multipart::MultipartError) -> AppError {
    AppError::Invalid(if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        format!(
            "照片上传失败：提交的内容太大。最多 {} 张照片，每张不超过 5 MB",
            app::calls::MAX_PHOTOS
        )
    } else {
        "提交失败：内容没有完整收到，请检查网络后重新提交".into()
    })
}

/// Reads the call form (multipart, for the photos).
async fn read_call_form(
    mut multipart: Multipart,
) -> Result<(CallFormValues, Vec<(String, Vec<u8>)>, String), PageError> {
    let mut v = CallFormValues::default();
    let mut photos = Vec::new();
    let mut csrf = String::new();
    while let Some(field) = multipart.next_field().await.map_err(upload_failed)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "photos" {
            let file = field.file_name().unwrap_or("照片").to_string();
            let bytes = field.bytes().await.map_err(upload_failed)?;
            if !bytes.is_empty() {
                photos.push((file, bytes.to_vec()));
            }
            continue;
        }
        let text = field.text().await.unwrap_or_default();
        match name.as_str() {
            "item_code" => v.item_code = text,
            "territory_id" => v.territory_id = text.trim().parse().ok(),
            "place_id" => {
                if let Ok(id) = text.trim().parse() {
                    v.territory_id = Some(id);
                }
            }
            "address" => v.address = text,
            "description" => v.description = text,
            "resident_name" => v.resident_name = text,
            "phone" => v.phone = text,
            "csrf" => csrf = text,
            _ => {}
        }
    }
    Ok((v, photos, csrf))
}

fn input_of(v: &CallFormValues) -> CallInput {
    CallInput {
        item_code: v.item_code.clone(),
        territory_id: v.territory_id,
        address: v.address.clone(),
        description: v.description.clone(),
        resident_name: v.resident_name.clone(),
        phone: v.phone.clone(),
    }
}

pub async fn public_submit(
    State(app): State<App>,
    client: ClientIp,
    multipart: Multipart,
) -> PageResult {
    let client = client.to_string();
    // A client over its limit is answered before its upload is read.
    if let Err(e) = app.public_submission_allowed(&client) {
        let status = status_of(&e);
        return public_form(&app, CallFormValues::default(), e.to_string(), status).await;
    }
    let (v, photos, _) = read_call_form(multipart).await?;
    let input = input_of(&v);
    let root = app.public_root_of(input.territory_id).await?;
    match app.submit_public_call(root, &input, &photos, &client).await {
        Ok((_, code)) => {
            Ok(Redirect::to(&format!("/public/calls/track?code={code}&new=1")).into_response())
        }
        Err(e @ (AppError::Invalid(_) | AppError::TooMany(_))) => {
            let status = status_of(&e);
            public_form(&app, v, e.to_string(), status).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct PlacesQuery {
    /// The community select's own value, which htmx sends under its name.
    territory_id: Option<i64>,
}

/// Grids and buildings of a community, as `<option>`s for the form's second select (htmx).
pub async fn public_places(State(app): State<App>, Query(q): Query<PlacesQuery>) -> PageResult {
    let mut html = String::from("<option value=\"\">（不选，只选社区）</option>");
    let Some(community) = q.territory_id else {
        return Ok(Html(html).into_response());
    };
    for level in ["grid", "building"] {
        let places = app
            .db
            .territory_list_level(Some(community), level)
            .await
            .map_err(AppError::from)?;
        for p in places.iter().take(300) {
            html.push_str(&format!(
                "<option value=\"{}\">{}{}</option>",
                p.id,
                if level == "grid" {
                    "网格："
                } else {
                    "楼宇："
                },
                askama::filters::escape(&p.name, askama::filters::Html)
                    .map(|e| e.to_string())
                    .unwrap_or_default()
            ));
        }
    }
    Ok(Html(html).into_response())
}

#[derive(Template)]
#[template(path = "call_track.html")]
struct TrackPage {
    code: String,
    call: Option<PublicCall>,
    just_made: bool,
    error: String,
    flash: String,
    ratings: Vec<(&'static str, &'static str)>,
    /// The digits the resident proved the call with, carried into the rating form.
    phone_tail: String,
}

#[derive(Deserialize)]
pub struct TrackQuery {
    #[serde(default)]
    code: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    rated: String,
}

/// The tracking page as anyone with the code sees it, with `failure` (a wrong phone tail, too
/// many attempts) shown and answered with its status.
async fn track_page(
    app: &App,
    client: ClientIp,
    code: &str,
    just_made: bool,
    flash: &str,
    failure: Option<AppError>,
) -> PageResult {
    let mut status = failure.as_ref().map_or(StatusCode::OK, status_of);
    let mut error = failure.map(|e| e.to_string()).unwrap_or_default();
    let call = if code.trim().is_empty() {
        None
    } else {
        match app.track_call(code, &client.to_string()).await {
            Ok(call) => Some(call),
            Err(e @ AppError::TooMany(_)) => {
                if error.is_empty() {
                    (status, error) = (status_of(&e), e.to_string());
                }
                None
            }
            Err(AppError::Invalid(m)) => {
                if error.is_empty() {
                    (status, error) = (StatusCode::BAD_REQUEST, m);
                }
                None
            }
            Err(e) => return Err(e.into()),
        }
    };
    render_status(
        status,
        &TrackPage {
            code: code.trim().to_string(),
            call,
            just_made,
            error,
            flash: flash.into(),
            ratings: ratings(),
            phone_tail: String::new(),
        },
    )
}

fn ratings() -> Vec<(&'static str, &'static str)> {
    Rating::ALL.iter().map(|r| (r.code(), r.label())).collect()
}

pub async fn public_track(
    State(app): State<App>,
    client: ClientIp,
    Query(q): Query<TrackQuery>,
) -> PageResult {
    let flash = if q.rated.is_empty() {
        ""
    } else {
        "感谢您的评价。"
    };
    track_page(&app, client, &q.code, !q.new.is_empty(), flash, None).await
}

#[derive(Deserialize)]
pub struct TrackCheckForm {
    code: String,
    #[serde(default)]
    phone_tail: String,
}

/// The resident's phone check: the page again, with what they wrote and the rating form.
pub async fn public_track_check(
    State(app): State<App>,
    client: ClientIp,
    Form(form): Form<TrackCheckForm>,
) -> PageResult {
    match app
        .track_call_as_resident(&form.code, &form.phone_tail, &client.to_string())
        .await
    {
        Ok(call) => {
            let mut response = render_status(
                StatusCode::OK,
                &TrackPage {
                    code: call.tracking_code.clone(),
                    call: Some(call),
                    just_made: false,
                    error: String::new(),
                    flash: String::new(),
                    ratings: ratings(),
                    phone_tail: form.phone_tail.trim().to_string(),
                },
            )?;
            // What the resident wrote stays out of shared and browser caches.
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(response)
        }
        Err(e @ (AppError::Invalid(_) | AppError::TooMany(_))) => {
            track_page(&app, client, &form.code, false, "", Some(e)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct RateForm {
    code: String,
    phone_tail: String,
    #[serde(default)]
    rating: String,
}

pub async fn public_rate(
    State(app): State<App>,
    client: ClientIp,
    Form(form): Form<RateForm>,
) -> PageResult {
    match app
        .rate_call(
            &form.code,
            &form.phone_tail,
            &form.rating,
            &client.to_string(),
        )
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!(
            "/public/calls/track?code={}&rated=1",
            form.code.trim()
        ))
        .into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::TooMany(_))) => {
            track_page(&app, client, &form.code, false, "", Some(e)).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------- staff pages

fn require_calls(session: &Session) -> Result<(), PageError> {
    if App::call_scope(&session.actor) == store::CallScope::Nothing {
        Err(AppError::Forbidden.into())
    } else {
        Ok(())
    }
}

#[derive(Template)]
#[template(path = "calls.html")]
struct CallsPage {
    layout: Layout,
    list: app::calls::CallList,
    q: CallListQuery,
    /// The filters as a query string, for the pages and the export.
    query: String,
    statuses: Vec<(&'static str, &'static str)>,
    /// The catalogue's 大类: (code, name).
    categories: Vec<(String, String)>,
    units: Vec<CallUnit>,
}

pub async fn calls(
    State(app): State<App>,
    session: Session,
    Query(q): Query<CallListQuery>,
) -> PageResult {
    require_calls(&session)?;
    let list = app.calls_filtered(&session.actor, &q).await?;
    let root = app.root_of(&session.actor).await?;
    let mut categories: Vec<(String, String)> = app
        .call_catalogue(root)
        .await?
        .into_iter()
        .map(|i| (i.category_code, i.category_name))
        .collect();
    categories.dedup();
    render(&CallsPage {
        layout: Layout::new(&session, "居民呼声", "calls"),
        list,
        query: q.query_string(),
        statuses: Status::ALL.iter().map(|s| (s.code(), s.label())).collect(),
        categories,
        units: app.call_units_of(root).await?,
        q,
    })
}

pub async fn calls_export(
    State(app): State<App>,
    session: Session,
    Query(q): Query<CallListQuery>,
) -> PageResult {
    require_calls(&session)?;
    let bytes = app.calls_xlsx(&session.actor, &q).await?;
    Ok(download(bytes, XLSX, "居民呼声.xlsx", "calls.xlsx"))
}

#[derive(Template)]
#[template(path = "call_staff_form.html")]
struct StaffFormPage {
    layout: Layout,
    items: Vec<CallItem>,
    communities: Vec<(CallUnit, String)>,
    v: CallFormValues,
    error: String,
    action: &'static str,
}

async fn staff_form(app: &App, session: &Session, v: CallFormValues, error: String) -> PageResult {
    require_calls(session)?;
    let root = app.root_of(&session.actor).await?;
    let page = StaffFormPage {
        layout: Layout::new(session, "登记群众呼声", "calls"),
        items: app.call_catalogue(root).await?,
        communities: app.call_communities_for(&session.actor).await?,
        v,
        error,
        action: "/calls",
    };
    let status = form_status(&page.error);
    render_status(status, &page)
}

pub async fn staff_new(State(app): State<App>, session: Session) -> PageResult {
    staff_form(&app, &session, CallFormValues::default(), String::new()).await
}

pub async fn staff_submit(
    State(app): State<App>,
    session: Session,
    multipart: Multipart,
) -> PageResult {
    let (v, photos, csrf) = read_call_form(multipart).await?;
    session.check_csrf(&csrf)?;
    require_calls(&session)?;
    let root = app.root_of(&session.actor).await?;
    match app
        .submit_call(root, &input_of(&v), &photos, "staff", Some(&session.actor))
        .await
    {
        Ok((id, _)) => Ok(Redirect::to(&format!("/calls/{id}")).into_response()),
        Err(AppError::Invalid(m)) => staff_form(&app, &session, v, m).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "call.html")]
struct CallPage {
    layout: Layout,
    c: CallView,
    events: Vec<CallEventRow>,
    photos: Vec<i64>,
    /// The phone in full for whoever holds the call, masked for everyone else.
    phone: String,
    holder: CallUnit,
    may_act: bool,
    may_arbitrate: bool,
    /// Units one level up (escalation), departments (吹哨), and units an arbiter can assign to.
    upward: Vec<CallUnit>,
    departments: Vec<CallUnit>,
    assignable: Vec<CallUnit>,
    ratings: Vec<(&'static str, &'static str)>,
    /// Too many wrong phone tails: the resident can no longer rate online.
    tail_locked: bool,
    error: String,
}

impl CallPage {
    fn is(&self, status: &str) -> bool {
        self.c.status().code() == status
    }
}

async fn call_page(
    app: &App,
    session: &Session,
    id: i64,
    flash: &str,
    error: String,
) -> PageResult {
    require_calls(session)?;
    let actor = &session.actor;
    let (c, events, photos) = app.call(actor, id).await?;
    let units = app.call_units_of(c.row.root_org_id).await?;
    let find = |id: Option<i64>| units.iter().find(|u| Some(u.id) == id).cloned();
    let holder = find(Some(c.row.holder_unit_id)).ok_or(AppError::NotFound)?;
    let parent = find(holder.parent_id);
    let may_act = App::acts_for(actor, &holder);
    let may_arbitrate = parent.as_ref().is_some_and(|p| App::acts_for(actor, p));
    let holder_rank = Level::from_code(&holder.level).map_or(0, |l| l.rank());
    let upward = units
        .iter()
        .filter(|u| {
            Level::from_code(&u.level).map_or(0, |l| l.rank()) == holder_rank + 1
                && (Some(u.id) == holder.parent_id || u.kind == "department")
        })
        .cloned()
        .collect();
    let departments = units
        .iter()
        .filter(|u| u.kind == "department")
        .cloned()
        .collect();
    let assignable = match &parent {
        Some(p) => units
            .iter()
            .filter(|u| u.parent_id == Some(p.id) || u.id == p.id)
            .cloned()
            .collect(),
        None => Vec::new(),
    };
    let phone = if may_act {
        c.row.phone.clone()
    } else {
        domain::personal::mask_phone(&c.row.phone)
    };
    let tail_locked = c.row.tail_failures >= domain::calls::MAX_TAIL_FAILURES;
    let status = form_status(&error);
    render_status(
        status,
        &CallPage {
            layout: Layout::new(session, "呼声详情", "calls").with_flash(flash),
            phone,
            c,
            events,
            photos,
            holder,
            may_act,
            may_arbitrate,
            upward,
            departments,
            assignable,
            ratings: ratings(),
            tail_locked,
            error,
        },
    )
}

#[derive(Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    done: String,
}

pub async fn call(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let flash = if q.done.is_empty() {
        ""
    } else {
        "已处理。"
    };
    call_page(&app, &session, id, flash, String::new()).await
}

pub async fn call_act(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let get = |key: &str| form_field(&pairs, key).to_string();
    session.check_csrf(&get("csrf"))?;
    let input = ActionInput {
        action: get("action"),
        text: get("text"),
        unit_id: get("unit_id").trim().parse().ok(),
        supporting: pairs
            .iter()
            .filter(|(k, _)| k == "supporting")
            .filter_map(|(_, v)| v.parse().ok())
            .collect(),
        rating: get("rating"),
        into: get("into"),
    };
    match app.act_on_call(&session.actor, id, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/calls/{id}?done=1")).into_response()),
        Err(AppError::Invalid(m)) | Err(AppError::Conflict(m)) => {
            call_page(&app, &session, id, "", m).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn call_photo(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
) -> PageResult {
    require_calls(&session)?;
    let (content_type, bytes) = app.call_photo(&session.actor, id).await?;
    Ok(stored_file(&content_type, None, bytes))
}

#[derive(Template)]
#[template(path = "call_figures.html")]
struct FiguresPage {
    layout: Layout,
    year: i32,
    rows: Vec<FigureRow>,
}

#[derive(Deserialize)]
pub struct YearQuery {
    year: Option<i32>,
}

pub async fn figures(
    State(app): State<App>,
    session: Session,
    Query(q): Query<YearQuery>,
) -> PageResult {
    require_calls(&session)?;
    let year = q.year.unwrap_or_else(app::orglife::this_year);
    render(&FiguresPage {
        layout: Layout::new(&session, "呼声办理统计", "calls"),
        rows: app.call_figures(&session.actor, year).await?,
        year,
    })
}

pub async fn figures_export(
    State(app): State<App>,
    session: Session,
    Query(q): Query<YearQuery>,
) -> PageResult {
    require_calls(&session)?;
    let year = q.year.unwrap_or_else(app::orglife::this_year);
    let (bytes, name) = app.call_figures_xlsx(&session.actor, year).await?;
    Ok(download(bytes, XLSX, &name, "calls.xlsx"))
}

#[derive(Template)]
#[template(path = "call_calendar.html")]
struct CalendarPage {
    layout: Layout,
    years: Vec<(i32, Vec<String>, Vec<String>)>,
    next_year: i32,
    next_configured: bool,
    error: String,
}

async fn calendar_page(app: &App, session: &Session, flash: &str, error: String) -> PageResult {
    if session.actor.role != Role::Admin {
        return Err(AppError::Forbidden.into());
    }
    let root = app.root_of(&session.actor).await?;
    let calendar = app.work_calendar(root).await?;
    let years = calendar
        .configured_years()
        .into_iter()
        .filter_map(|y| {
            calendar.arrangement(y).map(|a| {
                let show = |d: &[chrono::NaiveDate]| d.iter().map(|d| d.to_string()).collect();
                (y, show(&a.holidays), show(&a.makeup_workdays))
            })
        })
        .collect();
    let next_year = app::orglife::this_year() + 1;
    let status = form_status(&error);
    render_status(
        status,
        &CalendarPage {
            layout: Layout::new(session, "工作日历", "calls").with_flash(flash),
            years,
            next_configured: calendar.is_configured(next_year),
            next_year,
            error,
        },
    )
}

pub async fn calendar(
    State(app): State<App>,
    session: Session,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let flash = if q.done.is_empty() {
        ""
    } else {
        "工作日历已保存。"
    };
    calendar_page(&app, &session, flash, String::new()).await
}

#[derive(Deserialize)]
pub struct CalendarForm {
    csrf: String,
    year: i32,
    #[serde(default)]
    holidays: String,
    #[serde(default)]
    makeup: String,
}

pub async fn calendar_save(
    State(app): State<App>,
    session: Session,
    Form(form): Form<CalendarForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    match app
        .save_work_calendar(&session.actor, form.year, &form.holidays, &form.makeup)
        .await
    {
        Ok(()) => Ok(Redirect::to("/calls/calendar?done=1").into_response()),
        Err(AppError::Invalid(m)) => calendar_page(&app, &session, "", m).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "call_catalogue.html")]
struct CataloguePage {
    layout: Layout,
    items: Vec<CallItem>,
    levels: Vec<(&'static str, &'static str)>,
    error: String,
}

async fn catalogue_page(app: &App, session: &Session, flash: &str, error: String) -> PageResult {
    let items = app.call_catalogue_all(&session.actor).await?;
    let status = form_status(&error);
    render_status(
        status,
        &CataloguePage {
            layout: Layout::new(session, "呼声事项目录", "calls").with_flash(flash),
            items,
            levels: Level::ALL.iter().map(|l| (l.code(), l.label())).collect(),
            error,
        },
    )
}

pub async fn catalogue(
    State(app): State<App>,
    session: Session,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let flash = if q.done.is_empty() {
        ""
    } else {
        "事项目录已保存。"
    };
    catalogue_page(&app, &session, flash, String::new()).await
}

/// The catalogue form sends one group of fields per item, keyed by its code (`name_C01-01`),
/// and one blank group (`new`) for an item to add.
pub async fn catalogue_save(
    State(app): State<App>,
    session: Session,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let get = |key: &str| form_field(&pairs, key).trim().to_string();
    session.check_csrf(&get("csrf"))?;
    // Unreadable text is refused by the catalogue's own check, with the form shown again.
    let minutes = |key: &str| app::calls::parse_work_time(&get(key)).unwrap_or(0);
    let mut items = Vec::new();
    for (_, code) in pairs.iter().filter(|(k, _)| k == "code") {
        let field = |name: &str| format!("{name}_{code}");
        items.push(CallItem {
            code: code.clone(),
            category_code: code.get(..3).unwrap_or("").to_string(),
            category_name: get(&field("category_name")),
            name: get(&field("name")),
            first_level: get(&field("first_level")),
            acknowledge_minutes: minutes(&field("ack")),
            respond_minutes: minutes(&field("respond")),
            resolve_minutes: minutes(&field("resolve")),
            active: !get(&field("active")).is_empty(),
        });
    }
    let new_code = get("new_code");
    if !new_code.is_empty() {
        items.push(CallItem {
            category_code: new_code.get(..3).unwrap_or("").to_string(),
            code: new_code,
            category_name: get("new_category_name"),
            name: get("new_name"),
            first_level: get("new_first_level"),
            acknowledge_minutes: minutes("new_ack"),
            respond_minutes: minutes("new_respond"),
            resolve_minutes: minutes("new_resolve"),
            active: true,
        });
    }
    match app.save_call_catalogue(&session.actor, &items).await {
        Ok(()) => Ok(Redirect::to("/calls/catalogue?done=1").into_response()),
        Err(AppError::Invalid(m)) => catalogue_page(&app, &session, "", m).await,
        Err(e) => Err(e.into()),
    }
}

/// The label of a status code, for templates.
pub fn status_label(code: &str) -> &'static str {
    Status::from_code(code).map_or("", |s| s.label())
}
