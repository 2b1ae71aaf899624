//! A 党委's yearly 发展党员 plan with quotas and how far it has got, and the power to approve
//! admissions granted to a 社区党委 or 村党委 (DOMAIN.md §3.2 (f)).

use chrono::Datelike;
use serde::{Deserialize, Serialize};

use crate::members::today;
use crate::{Actor, App, AppError, Result, within};
use domain::OrgKind;
use domain::admission::plan_progress;
use domain::text::{self, echo};
use store::admission_plans::Quotas;

/// The years a plan may be kept for.
pub const PLAN_YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// A plan as typed: each quota a whole number, empty for nil.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PlanInput {
    pub activists: String,
    pub dev_objects: String,
    pub probationary: String,
}

/// One line of a plan: what, the quota, what was done, and how far.
#[derive(Debug, Clone, Serialize)]
pub struct PlanLine {
    /// The form field that sets the quota.
    pub field: &'static str,
    pub what: &'static str,
    pub quota: i64,
    pub done: i64,
    pub percent: Option<i64>,
}

/// A committee that may be granted the power to approve, and whether it has it.
#[derive(Debug, Clone, Serialize)]
pub struct GrantLine {
    pub org: store::OrgNode,
    pub document: Option<String>,
}

/// A committee's plan for a year.
#[derive(Debug, Clone, Serialize)]
pub struct PlanView {
    pub org: store::Org,
    pub year: i32,
    pub planned: bool,
    pub lines: Vec<PlanLine>,
    /// The committees of the actor's scope, to choose among.
    pub committees: Vec<store::OrgNode>,
    /// 社区党委 and 村党委 under the actor's own org, with their grants.
    pub grants: Vec<GrantLine>,
    pub may_edit: bool,
}

fn is_committee(kind: &str) -> bool {
    !matches!(
        OrgKind::from_code(kind),
        Some(OrgKind::Branch | OrgKind::PartyGroup | OrgKind::GeneralBranch) | None
    )
}

fn quota(text: &str, what: &str) -> Result<i64> {
    match text.trim() {
        "" => Ok(0),
        t => t
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=100_000).contains(n))
            .ok_or_else(|| {
                AppError::Invalid(format!("{what}「{}」应为 0 至 100000 的整数", echo(t)))
            }),
    }
}

impl App {
    /// The plan of a committee of the actor's scope (their own org by default) for a year (this
    /// year by default), with what the files show done.
    pub async fn admission_plan(
        &self,
        actor: &Actor,
        org_id: Option<i64>,
        year: Option<i32>,
    ) -> Result<PlanView> {
        actor.require_staff()?;
        let year = year.unwrap_or_else(|| today().year());
        if !PLAN_YEARS.contains(&year) {
            return Err(AppError::Invalid(format!(
                "年份应在 {} 至 {} 之间",
                PLAN_YEARS.start(),
                PLAN_YEARS.end()
            )));
        }
        let mut committees = Vec::new();
        for kind in OrgKind::ALL {
            if is_committee(kind.code()) {
                committees.extend(self.db.org_list_kind(actor.scope(), kind.code()).await?);
            }
        }
        let org_id = match org_id {
            Some(id) => id,
            None => committees
                .first()
                .map(|o| o.id)
                .ok_or_else(|| AppError::Invalid("您管理的范围内没有党委".into()))?,
        };
        let org = self.db.org_get(actor.scope(), org_id).await?;
        if !is_committee(&org.kind) {
            return Err(AppError::Invalid(
                "发展党员计划由党委制定，请选择党委".into(),
            ));
        }
        let plan = self.db.admission_plan(actor.scope(), org_id, year).await?;
        let done = self.db.admission_done(actor.scope(), org_id, year).await?;
        let quotas = plan.as_ref().map(|p| p.quotas).unwrap_or_default();
        let line = |field, what, quota: i64, done: i64| PlanLine {
            field,
            what,
            quota,
            done,
            percent: plan_progress(quota, done),
        };
        let below: Vec<store::OrgNode> = committees
            .iter()
            .filter(|o| {
                o.id != actor.org_id
                    && matches!(
                        OrgKind::from_code(&o.kind),
                        Some(OrgKind::CommunityCommittee | OrgKind::VillageCommittee)
                    )
            })
            .cloned()
            .collect();
        let ids: Vec<i64> = below.iter().map(|o| o.id).collect();
        let granted: std::collections::HashMap<i64, String> =
            self.db.admission_grants(&ids).await?.into_iter().collect();
        Ok(PlanView {
            lines: vec![
                line(
                    "activists",
                    "确定入党积极分子",
                    quotas.activists,
                    done.activists,
                ),
                line(
                    "dev_objects",
                    "确定发展对象",
                    quotas.dev_objects,
                    done.dev_objects,
                ),
                line(
                    "probationary",
                    "接收预备党员",
                    quotas.probationary,
                    done.probationary,
                ),
            ],
            planned: plan.is_some(),
            year,
            org,
            grants: below
                .into_iter()
                .map(|o| GrantLine {
                    document: granted.get(&o.id).cloned(),
                    org: o,
                })
                .collect(),
            committees,
            may_edit: actor.require_org_admin().is_ok(),
        })
    }

    /// Sets a committee's quotas for a year.
    pub async fn save_admission_plan(
        &self,
        actor: &Actor,
        org_id: i64,
        year: i32,
        input: &PlanInput,
    ) -> Result<()> {
        actor.require_org_admin()?;
        if !PLAN_YEARS.contains(&year) {
            return Err(AppError::Invalid("年份无效".into()));
        }
        let org = self.db.org_get(actor.scope(), org_id).await?;
        if !is_committee(&org.kind) {
            return Err(AppError::Invalid(
                "发展党员计划由党委制定，请选择党委".into(),
            ));
        }
        let quotas = Quotas {
            activists: quota(&input.activists, "入党积极分子")?,
            dev_objects: quota(&input.dev_objects, "发展对象")?,
            probationary: quota(&input.probationary, "预备党员")?,
        };
        Ok(self
            .db
            .admission_plan_save(actor.scope(), org_id, year, quotas, &actor.author())
            .await?)
    }

    /// Grants a 社区党委 or 村党委 below the actor's own org the power to approve admissions, on
    /// the document that gave it, or withdraws it (`document` empty).
    pub async fn set_admission_grant(
        &self,
        actor: &Actor,
        org_id: i64,
        document: &str,
    ) -> Result<()> {
        actor.require_org_admin()?;
        let org = self.db.org_get(actor.scope(), org_id).await?;
        if org_id == actor.org_id {
            return Err(AppError::Forbidden);
        }
        if !matches!(
            OrgKind::from_code(&org.kind),
            Some(OrgKind::CommunityCommittee | OrgKind::VillageCommittee)
        ) {
            return Err(AppError::Invalid(
                "只有社区党委、村党委可经授权审批发展党员".into(),
            ));
        }
        let document = document.trim();
        within(text::APPROVAL, document)?;
        Ok(self
            .db
            .admission_grant_set(
                actor.scope(),
                org_id,
                (!document.is_empty()).then_some(document),
                &actor.author(),
            )
            .await?)
    }
}
