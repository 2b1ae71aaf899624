//! The rule sets (路线图) admins keep by version, and exemptions approved from above.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::Session;
use crate::error::PageError;
use crate::orglife::{LedgerQuery, orglife_with};
use crate::pages::{form_field, form_status};
use crate::view::Layout;
use app::orglife_rules::{ExemptionInput, KindRules, RuleChoice};
use app::{App, AppError};
use domain::orglife::{Frequency, Institution};

type PageResult = Result<Response, PageError>;

#[derive(Template)]
#[template(path = "orglife_rules.html")]
pub(crate) struct RulesPage {
    layout: Layout,
    year: i32,
    kinds: Vec<KindRules>,
    /// The kind whose form is open.
    selected: String,
    institutions: Vec<(&'static str, &'static str)>,
    frequencies: Vec<(&'static str, &'static str)>,
    error: String,
}

impl RulesPage {
    /// The rule for an institution in the selected kind's newest rules, if it is owed: the form
    /// starts from the last version saved.
    fn current(&self, institution: &str) -> Option<domain::orglife::Rule> {
        self.kinds
            .iter()
            .find(|k| k.kind == self.selected)
            .and_then(|k| {
                k.next_year
                    .rules
                    .iter()
                    .find(|r| r.institution.code() == institution)
                    .copied()
            })
    }
}

#[derive(Deserialize)]
pub struct RulesQuery {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    saved: String,
}

pub(crate) async fn rules_page(
    app: &App,
    session: &Session,
    selected: String,
    flash: &str,
    error: String,
) -> PageResult {
    let year = app::orglife::this_year();
    let kinds = app.rule_sets(&session.actor, year).await?;
    let selected = if kinds.iter().any(|k| k.kind == selected) {
        selected
    } else {
        app::orglife_rules::ALL_KINDS.to_string()
    };
    let page = RulesPage {
        layout: Layout::new(session, "组织生活规则", "orglife").with_flash(flash),
        year,
        kinds,
        selected,
        institutions: Institution::ALL
            .iter()
            .map(|i| (i.code(), i.label()))
            .collect(),
        frequencies: Frequency::ALL
            .iter()
            .map(|f| (f.code(), f.label()))
            .collect(),
        error,
    };
    crate::pages::render_status(form_status(&page.error), &page)
}

pub async fn rules(
    State(app): State<App>,
    session: Session,
    Query(q): Query<RulesQuery>,
) -> PageResult {
    let flash = if q.saved.is_empty() {
        ""
    } else {
        "规则已保存为新版本。"
    };
    rules_page(&app, &session, q.kind, flash, String::new()).await
}

pub async fn rules_save(
    State(app): State<App>,
    session: Session,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let get = |key: &str| form_field(&pairs, key).trim().to_string();
    session.check_csrf(&get("csrf"))?;
    let kind = get("kind");
    let mut choices = Vec::new();
    let mut problem = None;
    for institution in Institution::ALL {
        let code = institution.code();
        let owed = if get(&format!("owed_{code}")).is_empty() {
            None
        } else {
            let frequency = Frequency::from_code(&get(&format!("frequency_{code}")));
            let min = get(&format!("min_{code}")).parse::<u32>().ok();
            match (frequency, min) {
                (Some(f), Some(m)) => Some((f, m)),
                _ => {
                    problem = Some(format!("请为「{}」选择频次并填写次数", institution.label()));
                    None
                }
            }
        };
        choices.push(RuleChoice {
            institution: *institution,
            owed,
        });
    }
    let result = match problem {
        Some(p) => Err(AppError::Invalid(p)),
        None => {
            let year = get("effective_year").parse::<i32>().unwrap_or(0);
            app.save_rule_set(&session.actor, &kind, year, &choices)
                .await
        }
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/orglife/rules?kind={kind}&saved=1")).into_response()),
        Err(AppError::Invalid(m)) => rules_page(&app, &session, kind, "", m).await,
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------- exemptions

#[derive(Deserialize)]
pub struct ExemptionForm {
    csrf: String,
    org_id: i64,
    #[serde(flatten)]
    input: ExemptionInput,
}

pub async fn exemption_create(
    State(app): State<App>,
    session: Session,
    Form(form): Form<ExemptionForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let query = |org_id| LedgerQuery {
        org_id: Some(org_id),
        year: None,
    };
    match app
        .grant_exemption(&session.actor, form.org_id, &form.input)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/orglife?org_id={}", form.org_id)).into_response()),
        Err(AppError::Invalid(m)) => orglife_with(&app, &session, query(form.org_id), m).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct ExemptionDeleteForm {
    csrf: String,
    /// The ledger to return to.
    org_id: Option<i64>,
}

pub async fn exemption_delete(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<ExemptionDeleteForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    app.withdraw_exemption(&session.actor, id).await?;
    let back = form.org_id.unwrap_or(session.actor.org_id);
    Ok(Redirect::to(&format!("/orglife?org_id={back}")).into_response())
}
