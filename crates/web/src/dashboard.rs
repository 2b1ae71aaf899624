//! The home page: the to-do list of the user's own scope (工作台), and the dashboard of an org
//! (the user's own, or a subordinate they drilled into) drawn from the roll-ups, with charts
//! that open the rows behind each figure, and its export.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use crate::auth::Session;
use crate::error::PageError;
use crate::kept::kept_page;
use crate::pages::{XLSX, download};
use crate::view::Layout;
use app::App;
use app::dashboard::{Overview, Part};
use app::workbench::Workbench;
use domain::Role;
use store::OrgNode;

type PageResult = Result<Response, PageError>;

#[derive(Template)]
#[template(path = "dashboard.html")]
pub(crate) struct DashboardPage {
    layout: Layout,
    o: Overview,
    /// The org's place in the tree, when the user drilled below their own org.
    path: Vec<OrgNode>,
    /// The to-do list, on the user's own dashboard only.
    todo: Option<Workbench>,
    charts: Charts,
}

#[derive(Deserialize)]
pub struct DashboardQuery {
    org_id: Option<i64>,
}

/// What dashboard.js draws: categories with one or more series, a pie, or a map of tiles.
#[derive(Serialize, Default)]
struct ChartSpec {
    #[serde(rename = "type")]
    kind: &'static str,
    names: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    values: Vec<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    series: Vec<Series>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    nodes: Vec<Tile>,
    links: Vec<String>,
    horizontal: bool,
}

#[derive(Serialize)]
struct Series {
    name: String,
    kind: &'static str,
    values: Vec<Option<f64>>,
    percent: bool,
}

#[derive(Serialize)]
struct Tile {
    name: String,
    value: i64,
    rate: Option<u32>,
    link: String,
}

/// The dashboard's charts, each as the JSON its `data-chart` attribute carries.
pub(crate) struct Charts {
    category: String,
    gender: String,
    age: String,
    party_age: String,
    education: String,
    member_trend: String,
    institutions: String,
    completion_trend: String,
    children_map: String,
    dues_trend: String,
    calls_trend: String,
}

fn json(spec: &ChartSpec) -> String {
    serde_json::to_string(spec).unwrap_or_default()
}

fn count(values: impl IntoIterator<Item = i64>) -> Vec<Option<f64>> {
    values.into_iter().map(|v| Some(v as f64)).collect()
}

fn percent(values: impl IntoIterator<Item = Option<u32>>) -> Vec<Option<f64>> {
    values
        .into_iter()
        .map(|v| v.map(|p| f64::from(p) / 10.0))
        .collect()
}

/// A chart of the parts of a whole, each opening the member list filtered to it.
fn parts_chart(kind: &'static str, parts: &[Part], link: impl Fn(&Part) -> String) -> String {
    let shown: Vec<&Part> = parts.iter().filter(|p| p.value > 0).collect();
    let names = shown.iter().map(|p| p.label.clone()).collect();
    let links = shown.iter().map(|p| link(p)).collect();
    let values: Vec<i64> = shown.iter().map(|p| p.value).collect();
    if kind == "pie" {
        json(&ChartSpec {
            kind,
            names,
            values,
            links,
            ..Default::default()
        })
    } else {
        json(&ChartSpec {
            kind,
            names,
            series: vec![Series {
                name: "人数".into(),
                kind: "bar",
                values: count(values),
                percent: false,
            }],
            links,
            ..Default::default()
        })
    }
}

fn charts(o: &Overview) -> Charts {
    let members = |filter: &str| format!("/members?org_id={}&{filter}", o.org_id);
    let m = &o.members;
    let months: Vec<String> = o.member_trend.iter().map(|t| t.month.clone()).collect();
    Charts {
        category: parts_chart("pie", &m.by_category, |p| {
            members(&format!("category={}", p.code))
        }),
        gender: parts_chart("pie", &m.by_gender, |p| {
            members(&format!("gender={}", p.code))
        }),
        age: parts_chart("bar", &m.by_age, |p| members(&format!("age={}", p.code))),
        party_age: parts_chart("bar", &m.by_party_age, |p| {
            members(&format!("party_age={}", p.code))
        }),
        education: parts_chart("bar", &m.by_education, |p| {
            members(&format!("education={}", p.code))
        }),
        member_trend: json(&ChartSpec {
            kind: "line",
            names: months.clone(),
            series: vec![
                Series {
                    name: "党员".into(),
                    kind: "line",
                    values: count(o.member_trend.iter().map(|t| t.members)),
                    percent: false,
                },
                Series {
                    name: "正式党员".into(),
                    kind: "line",
                    values: count(o.member_trend.iter().map(|t| t.formal)),
                    percent: false,
                },
                Series {
                    name: "当月入党".into(),
                    kind: "bar",
                    values: count(o.member_trend.iter().map(|t| t.admitted)),
                    percent: false,
                },
            ],
            links: months.iter().map(|_| members("")).collect(),
            ..Default::default()
        }),
        institutions: json(&ChartSpec {
            kind: "bar",
            names: o
                .orglife
                .by_institution
                .iter()
                .map(|i| i.label.clone())
                .collect(),
            series: vec![Series {
                name: "完成率".into(),
                kind: "bar",
                values: percent(o.orglife.by_institution.iter().map(|i| i.rate_permille)),
                percent: true,
            }],
            links: o
                .orglife
                .by_institution
                .iter()
                .map(|_| format!("/orglife?org_id={}", o.org_id))
                .collect(),
            horizontal: true,
            ..Default::default()
        }),
        completion_trend: json(&ChartSpec {
            kind: "line",
            names: months.clone(),
            series: vec![Series {
                name: "当月到期的组织生活完成率".into(),
                kind: "line",
                values: percent(o.orglife.trend.iter().map(|t| t.rate_permille)),
                percent: true,
            }],
            links: months
                .iter()
                .map(|_| format!("/orglife?org_id={}", o.org_id))
                .collect(),
            ..Default::default()
        }),
        children_map: json(&ChartSpec {
            kind: "treemap",
            nodes: o
                .children
                .iter()
                .filter(|c| c.members > 0 || c.branches > 0)
                .map(|c| Tile {
                    name: c.name.clone(),
                    value: c.members,
                    rate: c.orglife_rate_permille,
                    link: format!("/?org_id={}", c.org_id),
                })
                .collect(),
            ..Default::default()
        }),
        dues_trend: json(&ChartSpec {
            kind: "line",
            names: months.clone(),
            series: vec![
                Series {
                    name: "实交金额（元）".into(),
                    kind: "bar",
                    values: o
                        .dues
                        .trend
                        .iter()
                        .map(|d| Some(d.collected_fen as f64 / 100.0))
                        .collect(),
                    percent: false,
                },
                Series {
                    name: "收缴率".into(),
                    kind: "line",
                    values: percent(o.dues.trend.iter().map(|d| d.rate_permille)),
                    percent: true,
                },
            ],
            links: months
                .iter()
                .map(|m| format!("/dues?org_id={}&month={m}", o.org_id))
                .collect(),
            ..Default::default()
        }),
        calls_trend: json(&ChartSpec {
            kind: "line",
            names: months.clone(),
            series: vec![
                Series {
                    name: "受理".into(),
                    kind: "bar",
                    values: count(o.calls.trend.iter().map(|c| c.received)),
                    percent: false,
                },
                Series {
                    name: "办结".into(),
                    kind: "bar",
                    values: count(o.calls.trend.iter().map(|c| c.closed)),
                    percent: false,
                },
                Series {
                    name: "满意率".into(),
                    kind: "line",
                    values: percent(o.calls.trend.iter().map(|c| c.satisfaction_rate_permille)),
                    percent: true,
                },
            ],
            links: months
                .iter()
                .map(|_| "/calls/figures".to_string())
                .collect(),
            ..Default::default()
        }),
    }
}

pub async fn dashboard(
    State(app): State<App>,
    session: Session,
    Query(q): Query<DashboardQuery>,
) -> PageResult {
    match session.actor.role {
        Role::Member => return Ok(Redirect::to("/me").into_response()),
        Role::DeptHandler => return Ok(Redirect::to("/calls").into_response()),
        _ => {}
    }
    let address = format!("/?org_id={:?}", q.org_id);
    kept_page(&app, &session, &address, || async {
        let actor = &session.actor;
        let o = app.overview(actor, q.org_id).await?;
        let own = o.org_id == actor.org_id;
        let todo = if own {
            Some(app.workbench(actor).await?)
        } else {
            None
        };
        let path = if own {
            Vec::new()
        } else {
            app.org_path(actor, o.org_id).await?
        };
        Ok(DashboardPage {
            layout: Layout::new(&session, if own { "首页" } else { "统计概览" }, "home"),
            charts: charts(&o),
            o,
            path,
            todo,
        }
        .render()?)
    })
    .await
}

pub async fn dashboard_export(
    State(app): State<App>,
    session: Session,
    Query(q): Query<DashboardQuery>,
) -> PageResult {
    let (bytes, name) = app.overview_xlsx(&session.actor, q.org_id).await?;
    Ok(download(bytes, XLSX, &name, "overview.xlsx"))
}
