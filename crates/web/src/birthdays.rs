//! Political birthdays (政治生日) in the user's scope.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use crate::auth::Session;
use crate::error::PageError;
use crate::pages::render;
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
