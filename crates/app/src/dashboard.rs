//! The figures of one org for its dashboard, its reports and `/api/v1/stats/overview`, read from
//! the roll-ups (never counted from raw rows on a page view): composition now, the last twelve
//! months of members, dues, organisational life and residents' calls, and the same figures for
//! each of its direct subordinates, which the dashboard draws as a map coloured by compliance.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::{Actor, App, AppError, Result};
use domain::dues_ledger::Month;
use domain::orglife::Institution;
use domain::rollups::{AGE_BANDS, NOW, PARTY_AGE_BANDS, rate_permille};
use domain::{Gender, MemberCategory, MemberStatus};
use store::{Org, RollupRow};

/// One figure with its label and the value of its code, for charts and tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Part {
    /// The stored code (`retired`, `36_45`, …), also what a drill-down filters on.
    pub code: String,
    pub label: String,
    pub value: i64,
}

/// The members of the scope as they are now.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Composition {
    pub total: i64,
    pub by_status: Vec<Part>,
    pub by_category: Vec<Part>,
    pub by_gender: Vec<Part>,
    pub by_age: Vec<Part>,
    pub by_party_age: Vec<Part>,
    pub by_education: Vec<Part>,
    pub lost_contact: i64,
    pub pocket: i64,
    /// 正式党员 without 转正日期 (counted as 正式; their records need completing).
    pub incomplete: i64,
}

/// One month of the member trend, counted at the start of the month.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MemberMonth {
    pub month: String,
    pub members: i64,
    pub formal: i64,
    pub probationary: i64,
    /// Admitted during the month.
    pub admitted: i64,
}

/// One institution's completion for the year.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InstitutionFigures {
    pub code: String,
    pub label: String,
    pub met: i64,
    pub settled: i64,
    pub missing: i64,
    pub rate_permille: Option<u32>,
}

/// Completion of the cells whose period ended in a month.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CompletionMonth {
    pub month: String,
    pub met: i64,
    pub settled: i64,
    pub rate_permille: Option<u32>,
}

/// Organisational life for the year: the branches' lights and the completion rate (DOMAIN.md
/// §2, 台账: met over met-or-missing cells).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Orglife {
    pub year: i32,
    pub branches: i64,
    pub red: i64,
    pub amber: i64,
    pub green: i64,
    pub met: i64,
    pub settled: i64,
    pub rate_permille: Option<u32>,
    pub by_institution: Vec<InstitutionFigures>,
    pub trend: Vec<CompletionMonth>,
}

/// Dues of one month (DOMAIN.md §1.3–1.4).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DuesMonth {
    pub month: String,
    /// Members who owed the month (paid or unpaid; waived and 未核定 months owe nothing).
    pub owed: i64,
    pub paid: i64,
    pub unpaid: i64,
    pub waived: i64,
    pub unassessed: i64,
    pub expected_fen: i64,
    pub collected_fen: i64,
    pub unpaid_fen: i64,
    /// Members who paid among those who owed, ‰.
    pub rate_permille: Option<u32>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Dues {
    pub this_month: DuesMonth,
    /// Unpaid member-months of this year before this month, and their amount: the arrears.
    pub arrears_months: i64,
    pub arrears_fen: i64,
    pub trend: Vec<DuesMonth>,
}

/// Residents' calls received in a period, with what became of them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CallFigures {
    pub period: String,
    pub received: i64,
    pub closed: i64,
    pub on_time: i64,
    pub rated: i64,
    pub satisfied: i64,
    pub closure_rate_permille: Option<u32>,
    pub on_time_rate_permille: Option<u32>,
    pub satisfaction_rate_permille: Option<u32>,
    /// Mean working minutes to 办结.
    pub average_minutes: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Calls {
    pub year: CallFigures,
    pub trend: Vec<CallFigures>,
}

/// A direct subordinate's headline figures.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Child {
    pub org_id: i64,
    pub name: String,
    pub kind: String,
    pub members: i64,
    pub branches: i64,
    pub red: i64,
    pub amber: i64,
    pub green: i64,
    pub orglife_rate_permille: Option<u32>,
    pub dues_rate_permille: Option<u32>,
    pub calls_received: i64,
}

/// Everything the dashboard of one org shows.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Overview {
    pub org_id: i64,
    pub org_name: String,
    pub org_kind: String,
    /// The month the figures were taken for (`YYYY-MM`).
    pub month: String,
    pub members: Composition,
    pub member_trend: Vec<MemberMonth>,
    pub orglife: Orglife,
    pub dues: Dues,
    pub calls: Calls,
    /// 一呼百应: registrations now, needs and hours this year.
    pub service: crate::service::ServiceFigures,
    pub children: Vec<Child>,
}

/// The figures of one org by period and metric.
pub(crate) struct Figures(HashMap<(String, String), i64>);

impl Figures {
    pub(crate) fn of(rows: &[RollupRow], org: i64) -> Figures {
        Figures(
            rows.iter()
                .filter(|r| r.org_id == org)
                .map(|r| ((r.period.clone(), r.metric.clone()), r.value))
                .collect(),
        )
    }

    /// The figure, 0 when none is stored (a figure that never moved has no row).
    pub(crate) fn get(&self, period: &str, metric: &str) -> i64 {
        self.0
            .get(&(period.to_string(), metric.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// Every `{prefix}{code}` figure of a period, labelled, in the order of `codes` (then any
    /// code not listed, as stored).
    fn parts(&self, period: &str, prefix: &str, codes: &[(&str, &str)]) -> Vec<Part> {
        let mut out: Vec<Part> = codes
            .iter()
            .map(|(code, label)| Part {
                code: code.to_string(),
                label: label.to_string(),
                value: self.get(period, &format!("{prefix}{code}")),
            })
            .collect();
        for ((p, metric), value) in &self.0 {
            if p == period
                && let Some(code) = metric.strip_prefix(prefix)
                && !codes.iter().any(|(c, _)| *c == code)
            {
                out.push(Part {
                    code: code.to_string(),
                    label: code.to_string(),
                    value: *value,
                });
            }
        }
        out
    }

    fn dues_month(&self, month: &str) -> DuesMonth {
        let get = |m: &str| self.get(month, m);
        DuesMonth {
            month: month.to_string(),
            owed: get("dues.owed"),
            paid: get("dues.paid"),
            unpaid: get("dues.unpaid"),
            waived: get("dues.waived"),
            unassessed: get("dues.unassessed"),
            expected_fen: get("dues.expected_fen"),
            collected_fen: get("dues.collected_fen"),
            unpaid_fen: get("dues.unpaid_fen"),
            rate_permille: rate_permille(get("dues.paid"), get("dues.owed")),
        }
    }

    fn calls(&self, periods: &[String], label: &str) -> CallFigures {
        let sum = |metric: &str| periods.iter().map(|p| self.get(p, metric)).sum::<i64>();
        let (received, closed, on_time, rated, satisfied, minutes) = (
            sum("calls.received"),
            sum("calls.closed"),
            sum("calls.on_time"),
            sum("calls.rated"),
            sum("calls.satisfied"),
            sum("calls.close_minutes"),
        );
        CallFigures {
            period: label.to_string(),
            received,
            closed,
            on_time,
            rated,
            satisfied,
            closure_rate_permille: rate_permille(closed, received),
            on_time_rate_permille: rate_permille(on_time, closed),
            satisfaction_rate_permille: rate_permille(satisfied, rated),
            average_minutes: (closed > 0).then(|| (minutes * 2 + closed) / (closed * 2)),
        }
    }
}

/// The year's organisational-life figures a subordinate's line shows ([`Child`]).
pub(crate) const CHILD_ORGLIFE_METRICS: &[&str] = &[
    "orglife.branches",
    "orglife.red",
    "orglife.amber",
    "orglife.green",
    "orglife.met",
    "orglife.settled",
];

fn labelled<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<(&'static str, &'static str)> {
    all.iter().map(|v| (code(*v), label(*v))).collect()
}

/// The last twelve months ending with `this`, oldest first.
pub fn last_twelve(this: Month) -> Vec<Month> {
    this.plus(-11).through(this).collect()
}

impl App {
    /// The dashboard figures of `org_id` (the actor's own org when `None`), which must be in
    /// the actor's scope.
    pub async fn overview(&self, actor: &Actor, org_id: Option<i64>) -> Result<Overview> {
        self.overview_until(actor, org_id, None).await
    }

    /// The dashboard figures with the month-by-month ones ending at `until` (the figures'
    /// current month when `None`, and never later): a monthly report for November made on
    /// 1 December shows November's dues and calls, not December's first day. The composition
    /// is always as it stands now.
    pub async fn overview_until(
        &self,
        actor: &Actor,
        org_id: Option<i64>,
        until: Option<Month>,
    ) -> Result<Overview> {
        actor.require_staff()?;
        let scope = actor.scope();
        let org: Org = self
            .db
            .org_get(scope, org_id.unwrap_or(actor.org_id))
            .await?;
        let root = org.root_org_id;
        let roots = self.figure_roots(&org).await?;
        // A province's figures are as fresh as its districts' oldest.
        let mut meta = None;
        for r in &roots {
            let this_root = self.db.rollup_meta(*r).await?.ok_or_else(|| {
                AppError::Invalid("统计数据正在生成，请稍后刷新；如长时间未生成，请联系管理员运行 dangjian rollups rebuild".into())
            })?;
            if meta
                .as_ref()
                .is_none_or(|m: &store::RollupMeta| this_root.month < m.month)
            {
                meta = Some(this_root);
            }
        }
        let meta = meta.ok_or_else(|| AppError::Invalid("该省级党委尚未接入任何区县".into()))?;
        let current =
            Month::parse(&meta.month).unwrap_or_else(|| Month::of(crate::members::today()));
        let this = until.map_or(current, |m| m.min(current));
        let year = this.year;
        let months = last_twelve(this);
        let year_months: Vec<String> = Month { year, month: 1 }
            .through(this)
            .map(|m| m.to_string())
            .collect();
        let mut periods: Vec<String> = vec![NOW.to_string(), year.to_string()];
        periods.extend(months.iter().map(|m| m.to_string()));
        periods.extend(year_months.iter().cloned());
        periods.sort();
        periods.dedup();
        let rows = self.figures_read(&roots, &[org.id], &periods, &[]).await?;
        let f = Figures::of(&rows, org.id);

        let members = Composition {
            total: f.get(NOW, "members"),
            by_status: f.parts(
                NOW,
                "status.",
                &labelled(MemberStatus::ALL, MemberStatus::code, MemberStatus::label),
            ),
            by_category: f.parts(
                NOW,
                "category.",
                &labelled(
                    MemberCategory::ALL,
                    MemberCategory::code,
                    MemberCategory::label,
                ),
            ),
            by_gender: f.parts(
                NOW,
                "gender.",
                &labelled(Gender::ALL, Gender::code, Gender::label),
            ),
            by_age: f.parts(
                NOW,
                "age.",
                &AGE_BANDS
                    .iter()
                    .map(|(c, l, ..)| (*c, *l))
                    .collect::<Vec<_>>(),
            ),
            by_party_age: f.parts(NOW, "party_age.", &{
                let mut bands: Vec<(&str, &str)> =
                    PARTY_AGE_BANDS.iter().map(|(c, l, ..)| (*c, *l)).collect();
                bands.push(("probationary", "预备党员"));
                bands.push(("unknown", "缺转正日期"));
                bands
            }),
            by_education: f.parts(NOW, "education.", &{
                use domain::record::Education;
                let mut levels = labelled(Education::ALL, Education::code, Education::label);
                levels.push(("unknown", "未填写"));
                levels
            }),
            lost_contact: f.get(NOW, "flag.lost_contact"),
            pocket: f.get(NOW, "flag.pocket"),
            incomplete: f.get(NOW, "flag.incomplete"),
        };
        let member_trend = months
            .iter()
            .map(|m| {
                let p = m.to_string();
                MemberMonth {
                    members: f.get(&p, "m.members"),
                    formal: f.get(&p, "m.formal"),
                    probationary: f.get(&p, "m.probationary"),
                    admitted: f.get(&p, "m.admitted"),
                    month: p,
                }
            })
            .collect();
        let y = year.to_string();
        let orglife = Orglife {
            year,
            branches: f.get(&y, "orglife.branches"),
            red: f.get(&y, "orglife.red"),
            amber: f.get(&y, "orglife.amber"),
            green: f.get(&y, "orglife.green"),
            met: f.get(&y, "orglife.met"),
            settled: f.get(&y, "orglife.settled"),
            rate_permille: rate_permille(f.get(&y, "orglife.met"), f.get(&y, "orglife.settled")),
            by_institution: Institution::ALL
                .iter()
                .map(|i| {
                    let (met, settled) = (
                        f.get(&y, &format!("orglife.met.{}", i.code())),
                        f.get(&y, &format!("orglife.settled.{}", i.code())),
                    );
                    InstitutionFigures {
                        code: i.code().into(),
                        label: i.label().into(),
                        met,
                        settled,
                        missing: f.get(&y, &format!("orglife.missing.{}", i.code())),
                        rate_permille: rate_permille(met, settled),
                    }
                })
                .filter(|i| i.settled > 0)
                .collect(),
            trend: months
                .iter()
                .map(|m| {
                    let p = m.to_string();
                    let (met, settled) = (f.get(&p, "orglife.met"), f.get(&p, "orglife.settled"));
                    CompletionMonth {
                        month: p,
                        met,
                        settled,
                        rate_permille: rate_permille(met, settled),
                    }
                })
                .collect(),
        };
        let before_this: Vec<&String> = year_months
            .iter()
            .filter(|m| **m != this.to_string())
            .collect();
        let dues = Dues {
            this_month: f.dues_month(&this.to_string()),
            arrears_months: before_this.iter().map(|m| f.get(m, "dues.unpaid")).sum(),
            arrears_fen: before_this
                .iter()
                .map(|m| f.get(m, "dues.unpaid_fen"))
                .sum(),
            trend: months
                .iter()
                .map(|m| f.dues_month(&m.to_string()))
                .collect(),
        };
        let calls = Calls {
            year: f.calls(&year_months, &y),
            trend: months
                .iter()
                .map(|m| f.calls(&[m.to_string()], &m.to_string()))
                .collect(),
        };

        let subordinates = self.db.org_children(scope, org.id).await?;
        let ids: Vec<i64> = subordinates.iter().map(|c| c.id).collect();
        // One read per period, each naming only the figures a line shows for it: every
        // (org, period, metric) named is an index descent, so asking for the year's figures in
        // this month's period would be wasted work (measured: 6 ms against 2 ms on PostgreSQL).
        let mut child_rows = Vec::new();
        for (periods, metrics) in [
            (vec![NOW.to_string()], &["members"][..]),
            (vec![y.clone()], CHILD_ORGLIFE_METRICS),
            (vec![this.to_string()], &["dues.paid", "dues.owed"][..]),
            (year_months.clone(), &["calls.received"][..]),
        ] {
            child_rows.extend(self.figures_read(&roots, &ids, &periods, metrics).await?);
        }
        let children = subordinates
            .into_iter()
            .map(|c| {
                let cf = Figures::of(&child_rows, c.id);
                Child {
                    org_id: c.id,
                    name: c.name,
                    kind: c.kind,
                    members: cf.get(NOW, "members"),
                    branches: cf.get(&y, "orglife.branches"),
                    red: cf.get(&y, "orglife.red"),
                    amber: cf.get(&y, "orglife.amber"),
                    green: cf.get(&y, "orglife.green"),
                    orglife_rate_permille: rate_permille(
                        cf.get(&y, "orglife.met"),
                        cf.get(&y, "orglife.settled"),
                    ),
                    dues_rate_permille: cf.dues_month(&this.to_string()).rate_permille,
                    calls_received: year_months
                        .iter()
                        .map(|m| cf.get(m, "calls.received"))
                        .sum(),
                }
            })
            .collect();
        let service_rules = self.service_rules(root).await?;
        let service = self
            .service_figures(&org.id, &org.name, &roots, year, &service_rules)
            .await?;
        Ok(Overview {
            service,
            org_id: org.id,
            org_name: org.name,
            org_kind: org.kind,
            month: this.to_string(),
            members,
            member_trend,
            orglife,
            dues,
            calls,
            children,
        })
    }
}

impl Overview {
    /// The dashboard's figures as a workbook, one sheet per section, numbers as numbers.
    pub fn sheets(&self) -> Vec<crate::tabular::FigureSheet> {
        use crate::tabular::{Figure, FigureSheet};
        let text = |s: &str| Figure::Text(s.to_string());
        let parts = |section: &str, parts: &[Part]| -> Vec<Vec<Figure>> {
            parts
                .iter()
                .map(|p| vec![text(section), text(&p.label), Figure::Count(p.value)])
                .collect()
        };
        let m = &self.members;
        let mut composition = vec![
            vec![text("总数"), text("党员"), Figure::Count(m.total)],
            vec![
                text("标记"),
                text("失联党员"),
                Figure::Count(m.lost_contact),
            ],
            vec![text("标记"), text("口袋党员"), Figure::Count(m.pocket)],
            vec![
                text("标记"),
                text("资料不完整"),
                Figure::Count(m.incomplete),
            ],
        ];
        for (section, p) in [
            ("党员状态", &m.by_status),
            ("党员类别", &m.by_category),
            ("性别", &m.by_gender),
            ("年龄", &m.by_age),
            ("党龄", &m.by_party_age),
            ("学历", &m.by_education),
        ] {
            composition.extend(parts(section, p));
        }
        let title = |what: &str| format!("{} {}（统计至 {}）", self.org_name, what, self.month);
        let o = &self.orglife;
        let mut orglife = vec![vec![
            text("全部制度"),
            Figure::Count(o.met),
            Figure::Count(o.settled),
            Figure::Rate(o.rate_permille),
        ]];
        orglife.extend(o.by_institution.iter().map(|i| {
            vec![
                text(&i.label),
                Figure::Count(i.met),
                Figure::Count(i.settled),
                Figure::Rate(i.rate_permille),
            ]
        }));
        let dues_row = |d: &DuesMonth| {
            vec![
                text(&d.month),
                Figure::Count(d.owed),
                Figure::Count(d.paid),
                Figure::Count(d.unpaid),
                Figure::Count(d.waived),
                Figure::Count(d.unassessed),
                Figure::Yuan(d.expected_fen),
                Figure::Yuan(d.collected_fen),
                Figure::Rate(d.rate_permille),
            ]
        };
        let calls_row = |c: &CallFigures| {
            vec![
                text(&c.period),
                Figure::Count(c.received),
                Figure::Count(c.closed),
                Figure::Rate(c.closure_rate_permille),
                Figure::Rate(c.on_time_rate_permille),
                Figure::Rate(c.satisfaction_rate_permille),
                c.average_minutes.map_or(text(""), Figure::Count),
            ]
        };
        let headers = |h: &[&str]| h.iter().map(|s| s.to_string()).collect();
        vec![
            FigureSheet {
                name: "党员构成".into(),
                title: title("党员构成"),
                headers: headers(&["分组", "项目", "人数"]),
                rows: composition,
            },
            FigureSheet {
                name: "党员人数".into(),
                title: title("近12个月党员人数（月初）"),
                headers: headers(&["月份", "党员", "正式党员", "预备党员", "当月入党"]),
                rows: self
                    .member_trend
                    .iter()
                    .map(|t| {
                        vec![
                            text(&t.month),
                            Figure::Count(t.members),
                            Figure::Count(t.formal),
                            Figure::Count(t.probationary),
                            Figure::Count(t.admitted),
                        ]
                    })
                    .collect(),
            },
            FigureSheet {
                name: "组织生活".into(),
                title: title(&format!(
                    "{} 年组织生活（党支部 {} 个：红 {}、黄 {}、绿 {}）",
                    o.year, o.branches, o.red, o.amber, o.green
                )),
                headers: headers(&["制度", "已完成", "应完成（已到期）", "完成率"]),
                rows: orglife,
            },
            FigureSheet {
                name: "党费".into(),
                title: title("近12个月党费收缴"),
                headers: headers(&[
                    "月份",
                    "应交人数",
                    "已交",
                    "未交",
                    "减免",
                    "未核定",
                    "应交金额（元）",
                    "实交金额（元）",
                    "收缴率",
                ]),
                rows: self.dues.trend.iter().map(dues_row).collect(),
            },
            FigureSheet {
                name: "居民呼声".into(),
                title: title("居民呼声（按受理月份）"),
                headers: headers(&[
                    "期间",
                    "受理",
                    "办结",
                    "办结率",
                    "按时办结率",
                    "满意率",
                    "平均用时（工作分钟）",
                ]),
                rows: std::iter::once(&self.calls.year)
                    .chain(&self.calls.trend)
                    .map(calls_row)
                    .collect(),
            },
            FigureSheet {
                name: "志愿服务".into(),
                title: title("志愿服务（报到为当前数，其余为本年）"),
                headers: crate::service::ServiceFigures::HEADERS
                    .iter()
                    .map(|h| h.to_string())
                    .collect(),
                rows: vec![self.service.row()],
            },
            FigureSheet {
                name: "下级党组织".into(),
                title: title("下级党组织"),
                headers: headers(&[
                    "党组织",
                    "党员",
                    "党支部",
                    "红灯",
                    "黄灯",
                    "绿灯",
                    "组织生活完成率",
                    "本月党费收缴率",
                    "本年受理呼声",
                ]),
                rows: self
                    .children
                    .iter()
                    .map(|c| {
                        vec![
                            text(&c.name),
                            Figure::Count(c.members),
                            Figure::Count(c.branches),
                            Figure::Count(c.red),
                            Figure::Count(c.amber),
                            Figure::Count(c.green),
                            Figure::Rate(c.orglife_rate_permille),
                            Figure::Rate(c.dues_rate_permille),
                            Figure::Count(c.calls_received),
                        ]
                    })
                    .collect(),
            },
        ]
    }
}

impl App {
    /// The dashboard of an org as a workbook (audited, as every export is).
    pub async fn overview_xlsx(
        &self,
        actor: &Actor,
        org_id: Option<i64>,
    ) -> Result<(Vec<u8>, String)> {
        let overview = self.overview(actor, org_id).await?;
        let bytes = crate::tabular::figures_xlsx(&overview.sheets())?;
        self.db
            .audit_event(
                overview.org_id,
                &actor.author(),
                "export",
                "dashboard",
                &format!("导出统计概览 {} {}", overview.org_name, overview.month),
            )
            .await?;
        Ok((
            bytes,
            format!("{}统计概览{}.xlsx", overview.org_name, overview.month),
        ))
    }
}
