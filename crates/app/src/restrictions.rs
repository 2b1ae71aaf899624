//! Restrictions of a member's rights: 留党察看 and 停止党员权利 (DOMAIN.md §2.1). Staff who may
//! edit record them and record when the member's rights were restored; a member sees their own.
//! Members under either have no vote, which the vote form counts (see `meeting_extras`).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::members::{parse_date_cn, today};
use crate::{Actor, App, AppError, Result};
use domain::MemberStatus;
use domain::rights::{Restriction, RestrictionKind, StatusFacts, check_end, check_new};
use domain::text;
use store::{Member, MemberRestriction, NewRestriction, RestrictionEnd};

/// A restriction as typed into the member page's form or sent to the API.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RestrictionInput {
    /// `party_probation` (留党察看) or `rights_suspended` (停止党员权利), or the Chinese label.
    pub kind: String,
    /// The first day in force, e.g. 2026-03-10.
    pub from: String,
    /// 留党察看: 12 or 24 months. Leave out for 停止党员权利.
    #[serde(default, deserialize_with = "crate::whole::opt_u32")]
    pub term_months: Option<u32>,
    pub reason: String,
    /// The decision it rests on: body and 文号.
    pub approval: String,
}

/// The restoration of the member's rights.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RestrictionEndInput {
    /// The first day the member has their rights again.
    pub ended_on: String,
    /// The decision that restored them.
    pub end_approval: String,
}

/// A restriction as the member page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct RestrictionView {
    pub row: MemberRestriction,
    pub kind_label: &'static str,
    /// "一年" / "二年" for 留党察看, empty otherwise.
    pub term_label: String,
    /// When a 留党察看 term runs out.
    pub term_ends: Option<NaiveDate>,
    /// In force today.
    pub in_force: bool,
    /// A 留党察看 past its term and not yet ended: the branch owes a decision.
    pub decision_due: bool,
}

/// The domain's view of a stored restriction; `None` for a kind this version does not know.
pub fn restriction_of(row: &MemberRestriction) -> Option<Restriction> {
    Some(Restriction {
        kind: RestrictionKind::from_code(&row.kind)?,
        from: row.from_date,
        ended_on: row.ended_on,
        term_months: row.term_months.and_then(|t| u32::try_from(t).ok()),
    })
}

/// The facts a member's standing depends on. An unknown status code counts as 预备, so that a
/// damaged record never gains a vote.
pub fn status_facts(
    status: &str,
    admitted_on: NaiveDate,
    full_on: Option<NaiveDate>,
) -> StatusFacts {
    StatusFacts {
        status: MemberStatus::from_code(status).unwrap_or(MemberStatus::Probationary),
        admitted_on,
        full_on,
    }
}

fn member_facts(m: &Member) -> StatusFacts {
    status_facts(&m.status, m.admitted_on, m.full_on)
}

/// Checks the typed form of a restriction. DOMAIN.md §2.1.
pub fn parse_restriction(input: &RestrictionInput) -> Result<(Restriction, NewRestriction)> {
    let kind = RestrictionKind::from_label(&input.kind)
        .ok_or_else(|| AppError::Invalid("请选择限制类型：留党察看或停止党员权利".into()))?;
    let from = parse_date_cn(&input.from).ok_or_else(|| {
        AppError::Invalid(format!(
            "起始日期「{}」无效，格式如 2026-03-10",
            input.from.trim()
        ))
    })?;
    let reason = input.reason.trim();
    if reason.is_empty() {
        return Err(AppError::Invalid("请填写原因".into()));
    }
    crate::within(text::RESTRICTION_REASON, reason)?;
    let approval = input.approval.trim();
    if approval.is_empty() {
        return Err(AppError::Invalid("请填写作出决定的组织和文号".into()));
    }
    crate::within(text::APPROVAL, approval)?;
    let restriction = Restriction {
        kind,
        from,
        ended_on: None,
        term_months: input.term_months,
    };
    let new = NewRestriction {
        kind: kind.code().into(),
        from_date: from,
        term_months: input.term_months.map(i64::from),
        reason: reason.into(),
        approval: approval.into(),
    };
    Ok((restriction, new))
}

/// How a list of restrictions reads on `today`.
pub fn restriction_views(rows: Vec<MemberRestriction>, today: NaiveDate) -> Vec<RestrictionView> {
    rows.into_iter()
        .map(|row| {
            let domain = restriction_of(&row);
            let term_ends = domain.and_then(|r| r.term_ends());
            RestrictionView {
                kind_label: domain.map(|r| r.kind.label()).unwrap_or("限制"),
                term_label: match row.term_months {
                    Some(12) => "一年".into(),
                    Some(24) => "二年".into(),
                    Some(n) => format!("{n} 个月"),
                    None => String::new(),
                },
                in_force: domain.is_some_and(|r| r.covers(today)),
                decision_due: row.ended_on.is_none() && term_ends.is_some_and(|e| e <= today),
                term_ends,
                row,
            }
        })
        .collect()
}

impl App {
    /// A member's restrictions, for staff in scope and for the member themself.
    pub async fn member_restrictions(
        &self,
        actor: &Actor,
        member_id: i64,
    ) -> Result<Vec<MemberRestriction>> {
        Ok(self
            .db
            .member_restrictions(actor.scope(), member_id)
            .await?)
    }

    /// Records a restriction of a member in the actor's scope, checked against the member's
    /// status and their other restrictions in the same transaction. DOMAIN.md §2.1.
    pub async fn add_restriction(
        &self,
        actor: &Actor,
        member_id: i64,
        input: &RestrictionInput,
    ) -> Result<i64> {
        if !actor.role.may_edit() {
            return Err(AppError::Forbidden);
        }
        // Someone else's member is "not found" before any talk of what is wrong with the input.
        self.db.member_get(actor.scope(), member_id).await?;
        let (restriction, new) = parse_restriction(input)?;
        let today = today();
        let check: store::RestrictionCheck = Box::new(move |member, existing| {
            let existing: Vec<Restriction> = existing.iter().filter_map(restriction_of).collect();
            check_new(&restriction, &member_facts(member), &existing, today)
                .map_err(|e| e.to_string())
        });
        Ok(self
            .db
            .member_restriction_add(actor.scope(), member_id, &new, &actor.author(), check)
            .await?)
    }

    /// Ends a restriction: the member's rights were restored on the day given.
    pub async fn end_restriction(
        &self,
        actor: &Actor,
        member_id: i64,
        id: i64,
        input: &RestrictionEndInput,
    ) -> Result<()> {
        if !actor.role.may_edit() {
            return Err(AppError::Forbidden);
        }
        self.db.member_get(actor.scope(), member_id).await?;
        let ended_on = parse_date_cn(&input.ended_on).ok_or_else(|| {
            AppError::Invalid(format!(
                "恢复日期「{}」无效，格式如 2027-03-10",
                input.ended_on.trim()
            ))
        })?;
        let end_approval = input.end_approval.trim();
        if end_approval.is_empty() {
            return Err(AppError::Invalid(
                "请填写恢复党员权利的决定（组织和文号）".into(),
            ));
        }
        crate::within(text::APPROVAL, end_approval)?;
        let today = today();
        let check: store::EndCheck = Box::new(move |row| {
            let restriction = restriction_of(row).ok_or("无法识别这项限制的类型")?;
            check_end(&restriction, ended_on, today).map_err(|e| e.to_string())
        });
        let end = RestrictionEnd {
            ended_on,
            end_approval: end_approval.into(),
        };
        Ok(self
            .db
            .member_restriction_end(actor.scope(), member_id, id, &end, &actor.author(), check)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> RestrictionInput {
        RestrictionInput {
            kind: "留党察看".into(),
            from: "2026/3/10".into(),
            term_months: Some(12),
            reason: " 违反组织纪律 ".into(),
            approval: "街道党工委〔2026〕5号".into(),
        }
    }

    #[test]
    fn a_typed_restriction_is_parsed_with_labels_or_codes() {
        let (r, new) = parse_restriction(&input()).unwrap();
        assert_eq!(r.kind, RestrictionKind::PartyProbation);
        assert_eq!(new.kind, "party_probation");
        assert_eq!(new.from_date, NaiveDate::from_ymd_opt(2026, 3, 10).unwrap());
        assert_eq!(new.reason, "违反组织纪律");
        let mut suspended = input();
        suspended.kind = "rights_suspended".into();
        assert_eq!(
            parse_restriction(&suspended).unwrap().0.kind,
            RestrictionKind::RightsSuspended
        );
        for (field, message) in [
            ("kind", "限制类型"),
            ("from", "起始日期"),
            ("reason", "原因"),
            ("approval", "文号"),
        ] {
            let mut bad = input();
            match field {
                "kind" => bad.kind = "警告".into(),
                "from" => bad.from = "三月".into(),
                "reason" => bad.reason = " ".into(),
                _ => bad.approval = String::new(),
            }
            let e = parse_restriction(&bad).unwrap_err().to_string();
            assert!(e.contains(message), "{field}: {e}");
        }
    }

    #[test]
    fn views_say_what_is_in_force_and_what_is_due() {
        let row = |from: &str, ended: Option<&str>| MemberRestriction {
            id: 1,
            member_id: 1,
            kind: "party_probation".into(),
            from_date: from.parse().unwrap(),
            term_months: Some(12),
            reason: "r".into(),
            approval: "a".into(),
            ended_on: ended.map(|e| e.parse().unwrap()),
            end_approval: None,
            created_by: "x".into(),
            created_at: chrono::Utc::now(),
            ended_by: None,
            ended_at: None,
        };
        let today = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        let views = restriction_views(
            vec![
                row("2026-03-10", None),
                row("2025-03-10", None),
                row("2024-01-01", Some("2025-01-01")),
            ],
            today,
        );
        assert!(views[0].in_force && !views[0].decision_due);
        assert_eq!(views[0].term_label, "一年");
        assert_eq!(views[0].term_ends, NaiveDate::from_ymd_opt(2027, 3, 10));
        assert!(
            views[1].in_force && views[1].decision_due,
            "term over, not ended"
        );
        assert!(!views[2].in_force && !views[2].decision_due);
        assert_eq!(views[2].kind_label, "留党察看");
    }
}
