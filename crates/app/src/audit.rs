//! Reading the audit log: org admins see the changes in their subtree.

use crate::{Actor, App, Result};
use store::AuditRow;

impl App {
    pub async fn audit_log(
        &self,
        actor: &Actor,
        entity: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<AuditRow>> {
        actor.require_org_admin()?;
        Ok(self
            .db
            .audit_list(actor.scope(), entity, limit, offset)
            .await?)
    }

    /// A member's change history, for their page (staff only).
    pub async fn member_history(&self, actor: &Actor, member_id: i64) -> Result<Vec<AuditRow>> {
        actor.require_staff()?;
        Ok(self
            .db
            .audit_for_entity(actor.scope(), "member", member_id, 20)
            .await?)
    }
}
