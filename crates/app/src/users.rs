//! Users and roles (DESIGN.md, Who uses it). Each user is bound to one org node.

use serde::{Deserialize, Serialize};

use crate::auth::{check_password_strength, hash_password};
use crate::{Actor, App, AppError, Result};
use domain::Role;
use store::{NewUser, User};

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UserInput {
    pub username: String,
    pub display_name: String,
    pub password: String,
    /// Code (`org_admin`) or label (组织管理员).
    pub role: String,
    pub org_id: i64,
    /// For the member role: the member this login belongs to.
    #[serde(default)]
    pub member_id: Option<i64>,
}

impl App {
    pub async fn users(&self, actor: &Actor) -> Result<Vec<User>> {
        actor.require_org_admin()?;
        Ok(self.db.user_list(actor.scope()).await?)
    }

    pub async fn create_user(&self, actor: &Actor, input: &UserInput) -> Result<User> {
        actor.require_org_admin()?;
        let role = Role::from_label(&input.role)
            .ok_or_else(|| AppError::Invalid(format!("角色「{}」无效", input.role)))?;
        // Org admins hand out roles within their subtree, never the instance-wide one.
        if role == Role::Admin && actor.role != Role::Admin {
            return Err(AppError::Forbidden);
        }
        let username = input.username.trim();
        if username.len() < 3
            || username.len() > 32
            || !username
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            return Err(AppError::Invalid(
                "用户名为 3–32 位字母、数字、下划线或点".into(),
            ));
        }
        let display_name = input.display_name.trim();
        if display_name.is_empty() {
            return Err(AppError::Invalid("请填写姓名".into()));
        }
        check_password_strength(&input.password)?;
        let (org_id, member_id) = if role == Role::Member {
            let member_id = input
                .member_id
                .ok_or_else(|| AppError::Invalid("党员账号须关联一名党员".into()))?;
            let member = self.db.member_get(actor.scope(), member_id).await?;
            (member.branch_id, Some(member_id))
        } else {
            (input.org_id, None)
        };
        let new = NewUser {
            username: username.to_string(),
            display_name: display_name.to_string(),
            password_hash: hash_password(&input.password)?,
            role: role.code().to_string(),
            org_id,
            member_id,
        };
        Ok(self
            .db
            .user_create(actor.scope(), &new, &actor.author())
            .await?)
    }

    pub async fn reset_password(&self, actor: &Actor, user_id: i64, password: &str) -> Result<()> {
        actor.require_org_admin()?;
        check_password_strength(password)?;
        let hash = hash_password(password)?;
        Ok(self
            .db
            .user_set_password(actor.scope(), user_id, &hash, &actor.author())
            .await?)
    }
}
