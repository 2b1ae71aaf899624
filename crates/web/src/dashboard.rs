//! The home page.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

use crate::auth::Session;
use crate::error::PageError;
use crate::pages::render;
use crate::view::Layout;
use app::App;
use domain::Role;
use store::Org;

type PageResult = Result<Response, PageError>;

#[derive(Template)]
#[template(path = "dashboard.html")]
pub(crate) struct DashboardPage {
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
pub(crate) struct NoticePage {
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
