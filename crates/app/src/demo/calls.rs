//! The demo's residents' calls, played through the real lifecycle.
use std::collections::HashSet;

use chrono::Duration;
use rand::Rng;
use rand::rngs::StdRng;

use super::tree::*;
use crate::{App, Result};
use store::Param;
/// One step of a demo call's life: when, what, and what the resident is told.
struct DemoStep {
    at: chrono::NaiveDateTime,
    event: Option<domain::calls::Event>,
    note: String,
}

impl App {
    /// `count` residents' calls over the last six weeks, played through the real lifecycle
    /// (`domain::calls::apply`) at plausible times: most acknowledged within the hour and closed
    /// satisfied within days, some escalated or whistled up to departments, a few rated not
    /// satisfied and reopened, the newest still open. Returns how many were written.
    pub(super) async fn demo_calls(
        &self,
        rng: &mut StdRng,
        root: i64,
        count: usize,
        codes: &mut HashSet<String>,
    ) -> Result<usize> {
        use domain::calls::{Case, Event, Level, Rating, SlaPolicy, apply, tracking_code};
        let units = self.db.call_units(root).await?;
        let items = self.db.call_items(root).await?;
        let communities: Vec<&store::CallUnit> =
            units.iter().filter(|u| u.level == "community").collect();
        let departments: Vec<&store::CallUnit> =
            units.iter().filter(|u| u.kind == "department").collect();
        if communities.is_empty() || items.is_empty() || departments.is_empty() {
            return Ok(0);
        }
        let unit = |id: i64| units.iter().find(|u| u.id == id);
        let now = crate::calls::local_now();
        let to_utc = |t: chrono::NaiveDateTime| {
            t.and_local_timezone(chrono_tz::Asia::Shanghai)
                .earliest()
                .map_or_else(store::now, |t| t.with_timezone(&chrono::Utc))
        };
        let mut calls = Vec::new();
        let mut events = Vec::new();
        let minutes =
            |rng: &mut StdRng, from: i64, to: i64| Duration::minutes(rng.random_range(from..=to));
        let first = self.db.max_id("calls").await? + 1;
        for id in first..first + count as i64 {
            let community = communities[rng.random_range(0..communities.len())];
            let item = &items[rng.random_range(0..items.len())];
            let street = community.parent_id.and_then(unit).unwrap_or(community);
            let first = if item.first_level == "street" {
                street
            } else {
                community
            };
            let submitted = (now - Duration::days(rng.random_range(0..42)))
                .date()
                .and_hms_opt(rng.random_range(7..21), rng.random_range(0..60), 0)
                .unwrap_or(now)
                .min(now - Duration::minutes(30));
            let level = Level::from_code(&first.level).unwrap_or(Level::Community);
            let mut case = Case::new(submitted, level, first.id);
            let mut steps = vec![DemoStep {
                at: submitted,
                event: None,
                note: format!("已受理，派至{}", first.name),
            }];
            let mut at = submitted;
            let mut plan: Vec<(Duration, Event, String)> = Vec::new();
            plan.push((minutes(rng, 5, 90), Event::Acknowledge, "已签收".into()));
            plan.push((
                minutes(rng, 20, 240),
                Event::Respond {
                    note: "已电话联系群众，约定上门查看".into(),
                },
                "已答复群众：约定上门查看".into(),
            ));
            if rng.random_bool(0.15) && first.level == "community" {
                plan.push((
                    minutes(rng, 60, 600),
                    Event::Escalate {
                        to_unit: street.id,
                        reason: domain::calls::Escalation::Manual {
                            reason: "涉及多个产权单位，社区协调不下".into(),
                        },
                    },
                    format!("上报{}：涉及多个产权单位，社区协调不下", street.name),
                ));
                plan.push((minutes(rng, 10, 120), Event::Acknowledge, "已签收".into()));
                if rng.random_bool(0.5) {
                    let lead = departments[rng.random_range(0..departments.len())];
                    plan.push((
                        minutes(rng, 60, 480),
                        Event::Whistle {
                            lead: lead.id,
                            supporting: vec![],
                            reason: "需要职能部门执法".into(),
                        },
                        format!("{}吹哨，{}报到", street.name, lead.name),
                    ));
                    plan.push((minutes(rng, 10, 120), Event::Acknowledge, "已签收".into()));
                }
            }
            plan.push((
                minutes(rng, 240, 4 * 1440),
                Event::Resolve {
                    answer: "已处理完毕，现场已恢复".into(),
                },
                "已办结：已处理完毕，现场已恢复".into(),
            ));
            let rating = match rng.random_range(0..100) {
                0..=81 => Some(Rating::Satisfied),
                82..=93 => Some(Rating::BasicallySatisfied),
                94..=96 => Some(Rating::NotSatisfied),
                _ => None,
            };
            match rating {
                Some(rating) => plan.push((
                    minutes(rng, 30, 1440),
                    Event::Rate { rating },
                    format!("群众评价：{}", rating.label()),
                )),
                None => {
                    plan.push((
                        minutes(rng, 60, 600),
                        Event::RecordContactAttempt,
                        "回访未能联系上群众".into(),
                    ));
                    plan.push((
                        minutes(rng, 600, 2000),
                        Event::CloseUnreachable,
                        "多次回访未果，办结归档".into(),
                    ));
                }
            }
            if rating == Some(Rating::NotSatisfied) {
                plan.push((
                    minutes(rng, 240, 2880),
                    Event::Resolve {
                        answer: "再次上门处理，加装隔离设施".into(),
                    },
                    "已办结：再次上门处理，加装隔离设施".into(),
                ));
                plan.push((
                    minutes(rng, 30, 1440),
                    Event::Rate {
                        rating: Rating::Satisfied,
                    },
                    "群众评价：满意".into(),
                ));
            }
            for (gap, event, note) in plan {
                let next_at = at + gap;
                if next_at >= now {
                    break;
                }
                let Ok(next) = apply(&case, &event, next_at) else {
                    break;
                };
                let holder = unit(next.holder)
                    .map(|u| u.name.clone())
                    .unwrap_or_default();
                let note = if matches!(event, Event::Acknowledge) {
                    format!("{holder}{note}")
                } else {
                    note
                };
                case = next;
                at = next_at;
                steps.push(DemoStep {
                    at,
                    event: Some(event),
                    note,
                });
            }
            let sla = SlaPolicy {
                acknowledge_minutes: u32::try_from(item.acknowledge_minutes).unwrap_or(120),
                respond_minutes: u32::try_from(item.respond_minutes).unwrap_or(420),
                resolve_minutes: u32::try_from(item.resolve_minutes).unwrap_or(2100),
            };
            let code = loop {
                let code = tracking_code(submitted.date(), rng.random());
                if codes.insert(code.clone()) {
                    break code;
                }
            };
            let holder = unit(case.holder).unwrap_or(first);
            let Some(org) = community.org_id else {
                continue;
            };
            let description = format!("{}，请尽快处理。", item.name);
            calls.push(vec![
                Param::I64(id),
                Param::I64(root),
                Param::Text(code),
                Param::Text(item.code.clone()),
                Param::Text(format!("{} · {}", item.category_name, item.name)),
                Param::opt_i64(community.territory_id),
                Param::I64(community.id),
                Param::I64(org),
                Param::Text(String::new()),
                Param::Text(description),
                Param::Text(
                    random_name(rng).chars().take(1).collect::<String>()
                        + ["先生", "女士"][rng.random_range(0..2)],
                ),
                Param::Text(format!("139{:08}", rng.random_range(0..100_000_000u32))),
                Param::Text(["web", "staff"][rng.random_range(0..2)].into()),
                Param::Text(case.status.code().into()),
                Param::Text(case.level.code().into()),
                Param::I64(holder.id),
                Param::Text(serde_json::to_string(&case).unwrap_or_default()),
                Param::Text(serde_json::to_string(&sla).unwrap_or_default()),
                Param::Time(to_utc(submitted)),
                Param::Time(to_utc(at)),
            ]);
            for step in steps {
                let kind = step
                    .event
                    .as_ref()
                    .and_then(|e| serde_json::to_value(e).ok())
                    .and_then(|v| v.get("kind").and_then(|k| k.as_str().map(String::from)))
                    .unwrap_or_else(|| "submit".into());
                events.push(vec![
                    Param::I64(root),
                    Param::I64(id),
                    Param::Time(to_utc(step.at)),
                    Param::Text("演示数据".into()),
                    Param::Text(kind),
                    Param::Text(
                        step.event
                            .map(|e| serde_json::to_string(&e).unwrap_or_default())
                            .unwrap_or_else(|| "{\"kind\":\"submit\"}".into()),
                    ),
                    Param::Text(step.note),
                    Param::Text(case.status.code().into()),
                    Param::I64(holder.id),
                ]);
            }
        }
        self.db
            .bulk_insert(
                "calls",
                &[
                    "id",
                    "root_org_id",
                    "tracking_code",
                    "item_code",
                    "item_name",
                    "territory_id",
                    "community_unit_id",
                    "org_id",
                    "address",
                    "description",
                    "resident_name",
                    "phone",
                    "channel",
                    "status",
                    "level",
                    "holder_unit_id",
                    "state",
                    "sla",
                    "submitted_at",
                    "updated_at",
                ],
                &calls,
            )
            .await?;
        self.db
            .bulk_insert(
                "call_events",
                &[
                    "root_org_id",
                    "call_id",
                    "at",
                    "actor",
                    "kind",
                    "event",
                    "public_note",
                    "status_after",
                    "holder_unit_id",
                ],
                &events,
            )
            .await?;
        Ok(calls.len())
    }
}
