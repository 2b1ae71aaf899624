//! Meeting records: the form, amendments, the record's page, votes and attachments.

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::Session;
use crate::error::PageError;
use crate::members::SavedQuery;
use crate::pages::{form_field, form_status, render_status};
use crate::view::Layout;
use app::meeting_extras::VoteInput;
use app::members::today;
use app::{App, AppError};
use store::Org;

type PageResult = Result<Response, PageError>;

#[derive(Template)]
#[template(path = "meeting_form.html")]
pub(crate) struct MeetingFormPage {
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
    /// Members ticked present; `None` on a new record ticks nobody, so that an absence is never
    /// recorded as attendance by leaving the form as it came.
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

pub(crate) async fn meeting_form(
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
        self.present.as_ref().is_some_and(|p| p.contains(member))
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
pub(crate) fn parse_meeting_form(
    pairs: &[(String, String)],
) -> (
    String,
    Option<i64>,
    MeetingFormValues,
    app::orglife::MeetingInput,
) {
    let get = |key: &str| form_field(pairs, key).to_string();
    let (present, reasons) = app::orglife::attendance_from_form(pairs);
    // Reasons of members also ticked present are dropped by the validation.
    let absent = reasons.clone();
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
pub(crate) struct MeetingPage {
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
    /// Who on the list has a vote, for the form's counts and the sign-in list's notes.
    electorate: app::meeting_extras::VoteElectorate,
}

impl MeetingPage {
    /// Why a member on the list has no vote, in words; empty for a voter.
    fn why_not(&self, member_id: &i64) -> &'static str {
        self.electorate.why_not(*member_id)
    }
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
    let electorate = app.vote_electorate(actor, id).await?;
    let status = form_status(&error);
    let present = attendance.iter().filter(|a| a.present).count();
    // 应到会 and 实到会 count only those with a vote (DOMAIN.md §2.1).
    let vote = if vote.decision.is_empty() {
        app::meeting_extras::VoteInput {
            decision: "ordinary".into(),
            expected: electorate.counts.listed.voters.to_string(),
            present: electorate.counts.present.voters.to_string(),
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
            electorate,
        },
    )
}

#[derive(Deserialize)]
pub struct VoteForm {
    csrf: String,
    #[serde(flatten)]
    input: VoteInput,
}

pub async fn vote_create(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<VoteForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    match app.record_vote(&session.actor, id, &form.input).await {
        Ok(_) => Ok(Redirect::to(&format!("/orglife/meetings/{id}?saved=vote")).into_response()),
        Err(AppError::Invalid(m)) => meeting_page_with(&app, &session, id, "", m, form.input).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn attachment_upload(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> PageResult {
    let (csrf, file) =
        crate::pages::read_upload(multipart, "附件", crate::ATTACHMENT_BODY_LIMIT).await?;
    session.check_csrf(&csrf)?;
    let (name, bytes) = file.unwrap_or_default();
    match app
        .attach_to_meeting(&session.actor, id, &name, &bytes)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/orglife/meetings/{id}?saved=file")).into_response()),
        Err(AppError::Invalid(m)) => {
            meeting_page_with(&app, &session, id, "", m, VoteInput::default()).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Serves an attachment inline, so photos show in the page.
pub async fn attachment_download(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
) -> PageResult {
    let (meta, bytes) = app.meeting_attachment(&session.actor, id).await?;
    Ok(crate::pages::stored_file(
        &meta.content_type,
        Some(&meta.file_name),
        bytes,
    ))
}
