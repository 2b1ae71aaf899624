//! The two trees: party organisations and territory, as the actor may see and change them.

use serde::{Deserialize, Serialize};

use crate::members::parse_date_cn;
use crate::{Actor, App, AppError, Result, within};
use domain::text::{self, echo};
use domain::{BranchKind, OrgKind, Role, TerritoryLevel};
use store::{ConcurrentMember, Counts, NewOrg, Org, OrgNode, Territory};

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrgInput {
    #[serde(default, deserialize_with = "crate::whole::opt_i64")]
    pub parent_id: Option<i64>,
    /// Code (`branch`) or label (党支部).
    pub kind: String,
    /// For branches: code (`grid`) or label (网格支部).
    #[serde(default)]
    pub branch_kind: String,
    pub name: String,
    /// The territory node this org serves (a grid branch serves a grid).
    #[serde(default, deserialize_with = "crate::whole::opt_i64")]
    pub territory_id: Option<i64>,
    #[serde(default)]
    pub founded_on: String,
    /// The org's last day, when it was dissolved (撤销).
    #[serde(default)]
    pub dissolved_on: String,
    #[serde(default)]
    pub secretary: String,
    #[serde(default)]
    pub phone: String,
}

/// Which kinds may sit directly under which (DESIGN.md, Two trees).
pub fn allowed_under(parent: Option<OrgKind>, child: OrgKind) -> bool {
    use OrgKind::*;
    matches!(
        (parent, child),
        (None, ProvincialCommittee | DistrictCommittee)
            | (
                Some(DistrictCommittee),
                StreetCommittee | TownCommittee | GeneralBranch | Branch
            )
            | (
                Some(StreetCommittee | TownCommittee),
                CommunityCommittee | VillageCommittee | GeneralBranch | Branch
            )
            | (
                Some(CommunityCommittee | VillageCommittee),
                GeneralBranch | Branch
            )
            | (Some(GeneralBranch), Branch)
            | (Some(Branch), PartyGroup)
    )
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

fn optional_date(text: &str, what: &str) -> Result<Option<chrono::NaiveDate>> {
    match opt(text) {
        Some(text) => parse_date_cn(&text)
            .map(Some)
            .ok_or_else(|| AppError::Invalid(format!("{what}「{text}」无效"))),
        None => Ok(None),
    }
}

/// Turns a typed org into the store's shape, checking kinds and fields.
pub fn validate_org(input: &OrgInput, parent_kind: Option<OrgKind>) -> Result<NewOrg> {
    let kind = OrgKind::from_label(&input.kind)
        .ok_or_else(|| AppError::Invalid(format!("组织类型「{}」无效", echo(&input.kind))))?;
    if !allowed_under(parent_kind, kind) {
        return Err(AppError::Invalid(format!(
            "「{}」下不能设立「{}」",
            parent_kind.map(|k| k.label()).unwrap_or("顶层"),
            kind.label()
        )));
    }
    let branch_kind = if kind == OrgKind::Branch {
        let bk = BranchKind::from_label(&input.branch_kind)
            .ok_or_else(|| AppError::Invalid("请选择党支部类别".into()))?;
        Some(bk.code().to_string())
    } else {
        None
    };
    let name = input.name.trim().to_string();
    if name.is_empty() {
        return Err(AppError::Invalid("请填写组织名称".into()));
    }
    within(text::ORG_NAME, &name)?;
    within(text::SECRETARY, &input.secretary)?;
    let founded_on = optional_date(&input.founded_on, "成立日期")?;
    let dissolved_on = optional_date(&input.dissolved_on, "撤销日期")?;
    if let (Some(f), Some(d)) = (founded_on, dissolved_on)
        && d < f
    {
        return Err(AppError::Invalid("撤销日期不能早于成立日期".into()));
    }
    let phone = match opt(&input.phone) {
        Some(p) => Some(
            domain::personal::parse_mobile_phone(&p)
                .map_err(|e| AppError::Invalid(e.to_string()))?,
        ),
        None => None,
    };
    Ok(NewOrg {
        parent_id: input.parent_id,
        kind: kind.code().to_string(),
        branch_kind,
        name,
        territory_id: input.territory_id,
        founded_on,
        dissolved_on,
        secretary: opt(&input.secretary),
        phone,
    })
}

/// The branch whose ledger an org's dates bear on: a branch's own, a 党小组's parent's.
fn ledger_branch(org: &Org) -> Option<i64> {
    match OrgKind::from_code(&org.kind)? {
        OrgKind::Branch => Some(org.id),
        OrgKind::PartyGroup => org.parent_id,
        _ => None,
    }
}

/// The home dashboard: totals for the actor's scope and the breakdown by its children.
#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    pub top: Org,
    pub counts: Counts,
    pub by_child: Vec<(i64, String, i64)>,
}

impl App {
    pub async fn org(&self, actor: &Actor, id: i64) -> Result<Org> {
        actor.require_staff()?;
        Ok(self.db.org_get(actor.scope(), id).await?)
    }

    pub async fn org_children(&self, actor: &Actor, id: i64) -> Result<Vec<OrgNode>> {
        actor.require_staff()?;
        Ok(self.db.org_children(actor.scope(), id).await?)
    }

    pub async fn org_path(&self, actor: &Actor, id: i64) -> Result<Vec<OrgNode>> {
        actor.require_staff()?;
        Ok(self.db.org_path(actor.scope(), id).await?)
    }

    pub async fn branches(&self, actor: &Actor) -> Result<Vec<OrgNode>> {
        actor.require_staff()?;
        Ok(self
            .db
            .org_list_kind(actor.scope(), OrgKind::Branch.code())
            .await?)
    }

    pub async fn concurrent_members(
        &self,
        actor: &Actor,
        org_id: i64,
    ) -> Result<Vec<ConcurrentMember>> {
        actor.require_staff()?;
        Ok(self.db.concurrent_members(actor.scope(), org_id).await?)
    }

    pub async fn add_concurrent_member(
        &self,
        actor: &Actor,
        org_id: i64,
        name: &str,
        unit: &str,
        post: &str,
    ) -> Result<i64> {
        actor.require_org_admin()?;
        let org = self.db.org_get(actor.scope(), org_id).await?;
        if !matches!(
            OrgKind::from_code(&org.kind),
            Some(
                OrgKind::CommunityCommittee
                    | OrgKind::VillageCommittee
                    | OrgKind::StreetCommittee
                    | OrgKind::TownCommittee
            )
        ) {
            return Err(AppError::Invalid(
                "兼职委员只设在社区（村）大党委或街道（镇）大工委".into(),
            ));
        }
        let (name, unit) = (name.trim(), unit.trim());
        if name.is_empty() || unit.is_empty() {
            return Err(AppError::Invalid("请填写兼职委员姓名和所在单位".into()));
        }
        let post = if post.trim().is_empty() {
            "兼职委员"
        } else {
            post.trim()
        };
        Ok(self
            .db
            .concurrent_member_add(actor.scope(), org_id, name, unit, post, &actor.author())
            .await?)
    }

    pub async fn create_org(&self, actor: &Actor, input: &OrgInput) -> Result<Org> {
        actor.require_org_admin()?;
        let parent_kind = match input.parent_id {
            Some(parent) => Some(
                OrgKind::from_code(&self.db.org_get(actor.scope(), parent).await?.kind)
                    .ok_or_else(|| AppError::Invalid("上级组织类型未知".into()))?,
            ),
            // The top org is made once, when the instance starts on an empty database
            // (`App::bootstrap`); a second one would lie outside every login's scope, its
            // creator's included.
            None => return Err(AppError::Forbidden),
        };
        let new = validate_org(input, parent_kind)?;
        self.check_territory(actor, new.territory_id).await?;
        let org = self
            .db
            .org_create(actor.scope(), &new, &actor.author())
            .await?;
        if let Some(branch) = ledger_branch(&org) {
            self.ledgers_touched(org.id, Some(&[branch])).await;
        }
        Ok(org)
    }

    pub async fn update_org(&self, actor: &Actor, id: i64, input: &OrgInput) -> Result<Org> {
        actor.require_org_admin()?;
        let current = self.db.org_get(actor.scope(), id).await?;
        let parent_kind = match current.parent_id {
            Some(p) => self
                .db
                .org_get(store::Scope::Subtree(current.root_org_id), p)
                .await
                .ok()
                .and_then(|o| OrgKind::from_code(&o.kind)),
            None => None,
        };
        let mut fixed = input.clone();
        // The kind and place in the tree are not edited here; only what describes the org.
        fixed.kind = current.kind.clone();
        fixed.parent_id = current.parent_id;
        let change = validate_org(&fixed, parent_kind)?;
        // An org's territory is its staff's territory scope: only someone above may set it.
        if id == actor.org_id
            && actor.role != Role::Admin
            && change.territory_id != current.territory_id
        {
            return Err(AppError::Forbidden);
        }
        self.check_territory(actor, change.territory_id).await?;
        let org = self
            .db
            .org_update(actor.scope(), id, &change, &actor.author())
            .await?;
        if let Some(branch) = ledger_branch(&org) {
            self.ledgers_touched(org.id, Some(&[branch])).await;
        }
        Ok(org)
    }

    async fn check_territory(&self, actor: &Actor, territory: Option<i64>) -> Result<()> {
        if let Some(t) = territory {
            let within = self.territory_scope(actor).await?;
            self.db.territory_get(within, t).await?;
        }
        Ok(())
    }

    pub async fn dashboard(&self, actor: &Actor) -> Result<Dashboard> {
        actor.require_staff()?;
        let scope = actor.scope();
        let top = self.db.org_get(scope, actor.org_id).await?;
        let counts = self.db.counts(scope).await?;
        let mut by_child = self.db.member_counts_by_child(scope, actor.org_id).await?;
        // Largest first: a district's streets before its many small organ branches.
        by_child.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
        Ok(Dashboard {
            top,
            counts,
            by_child,
        })
    }

    /// The territory subtree an actor sees: the territory their own org serves, or none at all
    /// when it serves none. A system administrator sees their district's territory, or all
    /// of them (`None`) when their org serves none: the only top organisation of an office
    /// that never drew its territory, or a province over several districts.
    pub async fn territory_scope(&self, actor: &Actor) -> Result<Option<i64>> {
        actor.require_staff()?;
        if actor.role == Role::Admin {
            return Ok(self.db.territory_scope_for_org(actor.org_id).await?);
        }
        match self.db.territory_scope_for_org(actor.org_id).await? {
            Some(t) => Ok(Some(t)),
            // Staff of an org linked to no territory see none rather than all of it.
            None => Ok(Some(-1)),
        }
    }

    pub async fn territory_children(
        &self,
        actor: &Actor,
        parent: Option<i64>,
    ) -> Result<Vec<(Territory, i64)>> {
        let within = self.territory_scope(actor).await?;
        let parent = match (parent, within) {
            (None, Some(top)) => {
                // A scoped actor's tree starts at their own territory node.
                return Ok(match self.db.territory_get(Some(top), top).await {
                    Ok(t) => {
                        let n = self
                            .db
                            .territory_children(Some(top), Some(top))
                            .await?
                            .len() as i64;
                        vec![(t, n)]
                    }
                    Err(_) => vec![],
                });
            }
            (p, _) => p,
        };
        Ok(self.db.territory_children(within, parent).await?)
    }

    pub async fn territory(&self, actor: &Actor, id: i64) -> Result<Territory> {
        let within = self.territory_scope(actor).await?;
        Ok(self.db.territory_get(within, id).await?)
    }

    /// Communities a member may have registered (报到) in: every community of the instance,
    /// since members live anywhere, not only in the territory their branch serves. Their names
    /// are public anyway (the residents' call form lists them).
    pub async fn communities(&self, actor: &Actor) -> Result<Vec<Territory>> {
        actor.require_staff()?;
        let root = self
            .db
            .org_get(actor.scope(), actor.org_id)
            .await?
            .root_org_id;
        let within = self.db.territory_scope_for_org(root).await?;
        Ok(self
            .db
            .territory_list_level(within, TerritoryLevel::Community.code())
            .await?)
    }

    pub async fn create_territory(
        &self,
        actor: &Actor,
        parent_id: Option<i64>,
        name: &str,
    ) -> Result<Territory> {
        actor.require_org_admin()?;
        let within = self.territory_scope(actor).await?;
        let level = match parent_id {
            Some(p) => {
                let parent = self.db.territory_get(within, p).await?;
                TerritoryLevel::from_code(&parent.level)
                    .and_then(|l| l.child())
                    .ok_or_else(|| AppError::Invalid("楼宇下不能再分级".into()))?
            }
            // A new district's territory, only for an administrator not bound to one.
            None if actor.role == Role::Admin && within.is_none() => TerritoryLevel::District,
            None => return Err(AppError::Forbidden),
        };
        let name = name.trim();
        if name.is_empty() {
            return Err(AppError::Invalid("名称不能为空".into()));
        }
        crate::within(text::TERRITORY_NAME, name)?;
        Ok(self
            .db
            .territory_create(
                within,
                parent_id,
                level.code(),
                name,
                actor.org_id,
                &actor.author(),
            )
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_org_tree_only_nests_the_documented_way() {
        use OrgKind::*;
        assert!(allowed_under(None, DistrictCommittee));
        // Districts are linked under a province whole, never created inside it.
        assert!(allowed_under(None, ProvincialCommittee));
        assert!(
            OrgKind::ALL
                .iter()
                .all(|k| !allowed_under(Some(ProvincialCommittee), *k))
        );
        assert!(allowed_under(Some(DistrictCommittee), StreetCommittee));
        assert!(allowed_under(Some(StreetCommittee), CommunityCommittee));
        assert!(allowed_under(Some(CommunityCommittee), Branch));
        assert!(allowed_under(Some(Branch), PartyGroup));
        assert!(!allowed_under(Some(Branch), Branch));
        assert!(!allowed_under(Some(PartyGroup), PartyGroup));
        assert!(!allowed_under(None, Branch));
        assert!(!allowed_under(Some(CommunityCommittee), StreetCommittee));
    }

    #[test]
    fn a_branch_needs_a_branch_kind() {
        let input = OrgInput {
            parent_id: Some(1),
            kind: "党支部".into(),
            name: "第一支部".into(),
            ..Default::default()
        };
        assert!(validate_org(&input, Some(OrgKind::CommunityCommittee)).is_err());
        let input = OrgInput {
            branch_kind: "网格支部".into(),
            ..input
        };
        let org = validate_org(&input, Some(OrgKind::CommunityCommittee)).unwrap();
        assert_eq!(org.kind, "branch");
        assert_eq!(org.branch_kind.as_deref(), Some("grid"));
    }
}
