//! The member page's forms for restrictions of a member's rights (留党察看, 停止党员权利).

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::Session;
use crate::dues::DuesForm;
use crate::error::PageError;
use crate::members::{RestrictionForm, member_page_full};
use app::restrictions::{RestrictionEndInput, RestrictionInput};
use app::{App, AppError};

type PageResult = Result<Response, PageError>;

#[derive(Deserialize)]
pub struct RestrictionFormData {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    from: String,
    /// "12", "24", or empty for a suspension.
    #[serde(default)]
    term_months: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    approval: String,
}

#[derive(Deserialize)]
pub struct RestrictionEndFormData {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    ended_on: String,
    #[serde(default)]
    end_approval: String,
}

/// Goes back to the member page, or shows it again with the reason and what was typed.
async fn saved(
    app: &App,
    session: &Session,
    id: i64,
    flash: &str,
    form: RestrictionForm,
    result: app::Result<()>,
) -> PageResult {
    match result {
        Ok(()) => {
            Ok(Redirect::to(&format!("/members/{id}?saved={flash}#restrictions")).into_response())
        }
        Err(AppError::Invalid(error) | AppError::Conflict(error)) => {
            let form = RestrictionForm { error, ..form };
            member_page_full(
                app,
                session,
                id,
                "",
                String::new(),
                DuesForm::default(),
                form,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn restriction_create(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<RestrictionFormData>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let term = form.term_months.trim();
    let input = RestrictionInput {
        kind: form.kind,
        from: form.from,
        term_months: if term.is_empty() {
            None
        } else {
            // The form offers only valid terms; anything else is refused as a bad term.
            Some(term.parse().unwrap_or(0))
        },
        reason: form.reason,
        approval: form.approval,
    };
    let result = app
        .add_restriction(&session.actor, id, &input)
        .await
        .map(|_| ());
    let form = RestrictionForm {
        input,
        ..Default::default()
    };
    saved(&app, &session, id, "restriction", form, result).await
}

pub async fn restriction_end(
    State(app): State<App>,
    session: Session,
    Path((id, restriction)): Path<(i64, i64)>,
    Form(form): Form<RestrictionEndFormData>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let end = RestrictionEndInput {
        ended_on: form.ended_on,
        end_approval: form.end_approval,
    };
    let result = app
        .end_restriction(&session.actor, id, restriction, &end)
        .await;
    let form = RestrictionForm {
        ending: Some(restriction),
        end,
        ..Default::default()
    };
    saved(&app, &session, id, "restriction_end", form, result).await
}
