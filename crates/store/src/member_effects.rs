//! What a workflow's step does to the member it concerns: a transfer received moves them, a
//! transfer out or a removal ends their place on the roll, and the 失联/口袋 flags follow the
//! workflows (DOMAIN.md §8, §17) rather than a checkbox. Applied on the step's own transaction,
//! with the member's history, the roll-up figures and the audit log kept in step.

use chrono::NaiveDate;

/// One change to a member made by a workflow step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberEffect {
    /// The receiving branch took the member in on `on` (组织关系转接).
    MoveTo { branch_id: i64, on: NaiveDate },
    /// The member left the roll on `on`: received by an organisation outside, or removed.
    Leave { on: NaiveDate },
    /// The 口袋党员 flag.
    Pocket(bool),
    /// The 失联 flag.
    LostContact(bool),
}

impl MemberEffect {
    /// The audit summary, in words.
    pub fn summary(&self) -> String {
        match self {
            MemberEffect::MoveTo { on, .. } => format!("组织关系转入新的党支部（{on} 起）"),
            MemberEffect::Leave { on } => format!("离开党员名册（{on} 起）"),
            MemberEffect::Pocket(true) => "标记为口袋党员（介绍信过期未接收）".into(),
            MemberEffect::Pocket(false) => "取消口袋党员标记".into(),
            MemberEffect::LostContact(true) => "标记为失联党员".into(),
            MemberEffect::LostContact(false) => "取消失联标记".into(),
        }
    }
}

/// Applies a [`MemberEffect`] to `$member` on an open transaction: history, flags, figures and
/// audit together.
#[macro_export]
macro_rules! apply_member_effect {
    ($tx:expr, $member:expr, $effect:expr, $author:expr) => {{
        use $crate::member_effects::MemberEffect;
        let member: i64 = $member;
        let effect: MemberEffect = $effect;
        let figures_before = $crate::load_member_facts!($tx, member);
        let (root, name, branch): (i64, String, i64) =
            sqlx::query_as("SELECT root_org_id, name, branch_id FROM members WHERE id = $1")
                .bind(member)
                .fetch_optional(&mut *$tx)
                .await?
                .ok_or($crate::StoreError::NotFound)?;
        let mut audit_branch = branch;
        let mut changes = serde_json::Map::new();
        match effect {
            MemberEffect::MoveTo { on, .. } | MemberEffect::Leave { on } => {
                let stored: Vec<$crate::memberships::SpanRow> =
                    sqlx::query_as($crate::memberships::SELECT_SPANS)
                        .bind(member)
                        .fetch_all(&mut *$tx)
                        .await?;
                let before: Vec<domain::membership::Span> =
                    stored.iter().map($crate::memberships::SpanRow::span).collect();
                let today = $crate::today();
                let after = match effect {
                    MemberEffect::MoveTo { branch_id, .. } => domain::membership::move_to(
                        &before,
                        branch_id,
                        on,
                        domain::membership::MembershipReason::Transfer,
                        today,
                    ),
                    _ => domain::membership::leave(&before, on, today),
                }
                .map_err($crate::memberships::history_error)?;
                $crate::save_spans!($tx, root, member, &stored, &after, $author);
                if let MemberEffect::MoveTo { branch_id, .. } = effect {
                    sqlx::query("UPDATE members SET branch_id = $1, pocket = $2, updated_at = $3 WHERE id = $4")
                        .bind(branch_id)
                        .bind(false)
                        .bind($crate::now())
                        .bind(member)
                        .execute(&mut *$tx)
                        .await?;
                    audit_branch = branch_id;
                } else {
                    sqlx::query("UPDATE members SET left_on = $1, pocket = $2, updated_at = $3 WHERE id = $4")
                        .bind(on)
                        .bind(false)
                        .bind($crate::now())
                        .bind(member)
                        .execute(&mut *$tx)
                        .await?;
                }
                match effect {
                    MemberEffect::MoveTo { branch_id, .. } => {
                        $crate::service_registration_follows_member!($tx, root, member, Some(branch_id), None)
                    }
                    _ => $crate::service_registration_follows_member!($tx, root, member, None, Some(on)),
                }
                let names = $crate::branch_names!($tx, before.iter().chain(&after));
                changes.insert(
                    "membership".into(),
                    serde_json::json!([
                        $crate::memberships::spans_text(&before, &names),
                        $crate::memberships::spans_text(&after, &names)
                    ]),
                );
            }
            MemberEffect::Pocket(flag) => {
                sqlx::query("UPDATE members SET pocket = $1, updated_at = $2 WHERE id = $3")
                    .bind(flag)
                    .bind($crate::now())
                    .bind(member)
                    .execute(&mut *$tx)
                    .await?;
                changes.insert("pocket".into(), serde_json::json!([!flag, flag]));
            }
            MemberEffect::LostContact(flag) => {
                sqlx::query("UPDATE members SET lost_contact = $1, updated_at = $2 WHERE id = $3")
                    .bind(flag)
                    .bind($crate::now())
                    .bind(member)
                    .execute(&mut *$tx)
                    .await?;
                changes.insert("lost_contact".into(), serde_json::json!([!flag, flag]));
            }
        }
        $crate::member_rollups_moved!($tx, member, figures_before);
        $crate::write_audit!(
            &mut *$tx, audit_branch, $author, "update", "member", Some(member),
            format!("{name}：{}", effect.summary()),
            serde_json::Value::Object(changes).to_string()
        )?;
    }};
}

impl crate::Db {
    /// Applies one effect to a member of the scope on a transaction of its own: for a workflow
    /// whose record lives elsewhere (a 发展党员 file ending in cancellation).
    pub async fn member_apply_effect(
        &self,
        scope: crate::Scope,
        member: i64,
        effect: MemberEffect,
        author: &crate::Author,
    ) -> crate::Result<()> {
        use crate::BeginWrite;
        self.member_get(scope, member).await?;
        crate::on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            crate::apply_member_effect!(tx, member, effect, author);
            tx.commit().await?;
        });
        Ok(())
    }
}
