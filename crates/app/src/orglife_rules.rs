//! The 组织生活路线图 as admins keep it: rule sets per branch kind, saved as versions that apply
//! from a year on, and exemptions that a branch's superiors approve (DOMAIN.md §2).

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::members::{parse_date_cn, today};
use crate::{Actor, App, AppError, Result, within};
use domain::orglife::{
    Frequency, Institution, Rule, RuleSet, SavedRuleSet, edited_rule, rules_in_force,
};
use domain::text::{self, echo};
use domain::{BranchKind, OrgKind, Role};
use store::{ExemptionRow, NewExemption, RuleSetVersion};

/// Stored in place of a branch kind for the rules that apply to every kind without its own.
pub const ALL_KINDS: &str = "*";

/// An exemption as typed into the form.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ExemptionInput {
    /// An institution code, or empty (or `all`) for every institution.
    #[serde(default)]
    pub institution: String,
    pub from: String,
    pub to: String,
    pub reason: String,
    /// 批准文号 or the approver's name.
    pub approval: String,
}

/// What an admin asked for one institution: not owed at all, or a frequency and minimum.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleChoice {
    pub institution: Institution,
    pub owed: Option<(Frequency, u32)>,
}

/// The rules one branch kind is held to this year, and the versions saved for it.
#[derive(Debug, Clone, Serialize)]
pub struct KindRules {
    /// `*` or a `BranchKind` code.
    pub kind: String,
    pub label: String,
    pub in_force: RuleSet,
    /// The rules for the year after: versions can only be saved for this year or the next, so
    /// this is the newest the kind has.
    pub next_year: RuleSet,
    /// True when the kind has versions of its own (otherwise it follows `*` or the defaults).
    pub own: bool,
    pub versions: Vec<RuleSetVersion>,
}

fn kind_of(code: &str) -> Option<BranchKind> {
    if code == ALL_KINDS {
        None
    } else {
        BranchKind::from_code(code)
    }
}

impl App {
    /// Every saved version of an instance's rules, for [`rules_in_force`].
    pub async fn saved_rule_sets(&self, root_org_id: i64) -> Result<Vec<SavedRuleSet>> {
        let rows = self.db.rule_set_versions(root_org_id).await?;
        let mut saved = Vec::with_capacity(rows.len());
        for row in rows {
            let rules: Vec<Rule> = serde_json::from_str(&row.rules).map_err(|e| {
                AppError::Invalid(format!("组织生活规则第 {} 版无法读取：{e}", row.version))
            })?;
            saved.push(SavedRuleSet {
                branch_kind: kind_of(&row.branch_kind),
                effective_year: i32::try_from(row.effective_year).unwrap_or(i32::MAX),
                version: u32::try_from(row.version).unwrap_or(u32::MAX),
                rules,
            });
        }
        Ok(saved)
    }

    /// The rules in force in `year` for every kind, with their histories. Admins only: they are
    /// the ones who keep the 路线图 (DESIGN.md, roles).
    pub async fn rule_sets(&self, actor: &Actor, year: i32) -> Result<Vec<KindRules>> {
        if actor.role != Role::Admin {
            return Err(AppError::Forbidden);
        }
        let root = self
            .db
            .org_get(actor.scope(), actor.org_id)
            .await?
            .root_org_id;
        let saved = self.saved_rule_sets(root).await?;
        let versions = self.db.rule_set_versions(root).await?;
        let kinds = std::iter::once((ALL_KINDS.to_string(), "全部党支部（默认）".to_string()))
            .chain(
                BranchKind::ALL
                    .iter()
                    .map(|k| (k.code().to_string(), k.label().to_string())),
            );
        Ok(kinds
            .map(|(kind, label)| {
                let own: Vec<RuleSetVersion> = versions
                    .iter()
                    .filter(|v| v.branch_kind == kind)
                    .cloned()
                    .collect();
                KindRules {
                    in_force: rules_in_force(kind_of(&kind), year, &saved),
                    next_year: rules_in_force(kind_of(&kind), year + 1, &saved),
                    own: !own.is_empty(),
                    versions: own,
                    kind,
                    label,
                }
            })
            .collect())
    }

    /// Saves a new version of one kind's rules, effective from `effective_year` (this year or
    /// next). Past years are refused: their ledgers must stay explainable by the rules of the time.
    pub async fn save_rule_set(
        &self,
        actor: &Actor,
        kind: &str,
        effective_year: i32,
        choices: &[RuleChoice],
    ) -> Result<i64> {
        if actor.role != Role::Admin {
            return Err(AppError::Forbidden);
        }
        if kind != ALL_KINDS && BranchKind::from_code(kind).is_none() {
            return Err(AppError::Invalid(format!("党支部类型「{kind}」无效")));
        }
        let this_year = today().year();
        if effective_year < this_year || effective_year > this_year + 1 {
            return Err(AppError::Invalid(format!(
                "规则只能自 {this_year} 年或 {} 年起执行：往年的台账须按当年的规则解释",
                this_year + 1
            )));
        }
        let mut rules = Vec::new();
        for choice in choices {
            if let Some((frequency, min)) = choice.owed {
                rules.push(
                    edited_rule(choice.institution, frequency, min).map_err(AppError::Invalid)?,
                );
            }
        }
        if rules.is_empty() {
            return Err(AppError::Invalid("至少要保留一项组织生活制度".into()));
        }
        let root = self
            .db
            .org_get(actor.scope(), actor.org_id)
            .await?
            .root_org_id;
        let json = serde_json::to_string(&rules)
            .map_err(|e| AppError::Invalid(format!("规则无法保存：{e}")))?;
        let id = self
            .db
            .rule_set_save(root, kind, effective_year, &json, &actor.author())
            .await?;
        self.ledgers_touched(root, None).await;
        Ok(id)
    }

    /// Approves an exemption for a branch. Only org admins above the branch may: a branch cannot
    /// excuse itself.
    pub async fn grant_exemption(
        &self,
        actor: &Actor,
        org_id: i64,
        input: &ExemptionInput,
    ) -> Result<i64> {
        let ExemptionInput {
            institution,
            from,
            to,
            reason,
            approval,
        } = input;
        actor.require_org_admin()?;
        let org = self.db.org_get(actor.scope(), org_id).await?;
        if OrgKind::from_code(&org.kind) != Some(OrgKind::Branch) {
            return Err(AppError::Invalid("只能为党支部批准免于要求".into()));
        }
        if org.id == actor.org_id {
            return Err(AppError::Forbidden);
        }
        let institution = match institution.trim() {
            "" | "all" => None,
            code => Some(
                Institution::from_code(code)
                    .ok_or_else(|| AppError::Invalid(format!("制度「{}」无效", echo(code))))?
                    .code()
                    .to_string(),
            ),
        };
        let date = |text: &str, what: &str| {
            parse_date_cn(text)
                .ok_or_else(|| AppError::Invalid(format!("{what}「{}」无效", echo(text))))
        };
        let (from_date, to_date): (NaiveDate, NaiveDate) =
            (date(from, "开始日期")?, date(to, "结束日期")?);
        if to_date < from_date {
            return Err(AppError::Invalid("结束日期不能早于开始日期".into()));
        }
        if (to_date - from_date).num_days() > 366 {
            return Err(AppError::Invalid(
                "一次批准最长一年；期满仍需免于要求的，请重新批准".into(),
            ));
        }
        if reason.trim().is_empty() || approval.trim().is_empty() {
            return Err(AppError::Invalid(
                "请填写免于要求的原因和批准文号（或批准人）".into(),
            ));
        }
        within(text::EXEMPTION_REASON, reason)?;
        within(text::APPROVAL, approval)?;
        let new = NewExemption {
            institution,
            from_date,
            to_date,
            reason: reason.trim().into(),
            approval: approval.trim().into(),
        };
        let id = self
            .db
            .exemption_create(actor.scope(), org_id, &new, &actor.author())
            .await?;
        self.ledgers_touched(org_id, Some(&[org_id])).await;
        Ok(id)
    }

    pub async fn withdraw_exemption(&self, actor: &Actor, id: i64) -> Result<()> {
        actor.require_org_admin()?;
        let branch = self
            .db
            .exemptions_under(actor.scope(), actor.org_id)
            .await?
            .into_iter()
            .find(|e| e.id == id)
            .map(|e| e.org_id);
        self.db
            .exemption_delete(actor.scope(), id, &actor.author())
            .await?;
        if let Some(branch) = branch {
            self.ledgers_touched(branch, Some(&[branch])).await;
        }
        Ok(())
    }

    /// Exemptions at or below an org, for staff in scope.
    pub async fn exemptions(&self, actor: &Actor, org_id: i64) -> Result<Vec<ExemptionRow>> {
        actor.require_staff()?;
        Ok(self.db.exemptions_under(actor.scope(), org_id).await?)
    }
}
