//! Political birthdays (政治生日) in the user's scope: today's, and a month's or a day's list to
//! print or take to Excel.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::Datelike;
use serde::Deserialize;

use crate::auth::Session;
use crate::error::PageError;
use crate::pages::{XLSX, download, render};
use crate::view::Layout;
use app::App;
use app::members::today;

type PageResult = Result<Response, PageError>;

#[derive(Template)]
#[template(path = "birthdays.html")]
pub(crate) struct BirthdaysPage {
    layout: Layout,
    /// Today as the page prints it, e.g. 11月23日.
    today: String,
    b: app::birthdays::Birthdays,
    /// The query of the list shown, for the export link.
    query: String,
}

/// Which list: a month (this month when empty) and perhaps one day of it. Text, so that a
/// stray value is refused in Chinese by the app rather than by the framework.
#[derive(Deserialize, Default)]
pub struct BirthdayQuery {
    #[serde(default)]
    month: String,
    #[serde(default)]
    day: String,
}

impl BirthdayQuery {
    fn parse(&self, today: chrono::NaiveDate) -> Result<(u32, Option<u32>), PageError> {
        let number = |text: &str| {
            text.trim().parse::<u32>().map_err(|_| {
                PageError(app::AppError::Invalid(
                    "请选择 1 至 12 月、1 至 31 日".into(),
                ))
            })
        };
        let month = match self.month.trim() {
            "" => today.month(),
            text => number(text)?,
        };
        let day = match self.day.trim() {
            "" => None,
            text => Some(number(text)?),
        };
        Ok((month, day))
    }
}

pub async fn birthdays(
    State(app): State<App>,
    session: Session,
    Query(q): Query<BirthdayQuery>,
) -> PageResult {
    let today = today();
    let (month, day) = q.parse(today)?;
    let b = app
        .political_birthdays_in(&session.actor, today, month, day)
        .await?;
    render(&BirthdaysPage {
        layout: Layout::new(&session, "政治生日", "birthdays"),
        today: format!("{}月{}日", today.month(), today.day()),
        query: match day {
            Some(d) => format!("month={month}&day={d}"),
            None => format!("month={month}"),
        },
        b,
    })
}

pub async fn birthdays_export(
    State(app): State<App>,
    session: Session,
    Query(q): Query<BirthdayQuery>,
) -> PageResult {
    let today = today();
    let (month, day) = q.parse(today)?;
    let (bytes, name) = app
        .political_birthdays_xlsx(&session.actor, today, month, day)
        .await?;
    Ok(download(bytes, XLSX, &name, "birthdays.xlsx"))
}
