//! Users and roles (DESIGN.md, Who uses it). Each user is bound to one org node.

use serde::{Deserialize, Serialize};

use crate::auth::{check_password_strength, hash_password, token_hash};
use crate::{Actor, App, AppError, Result, within};
use domain::Role;
use domain::text::{self, echo};
use store::{NewUser, User};

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UserInput {
    pub username: String,
    pub display_name: String,
    pub password: String,
    /// Code (`org_admin`) or label (组织管理员).
    pub role: String,
    #[serde(deserialize_with = "crate::whole::i64")]
    pub org_id: i64,
    /// For the member role: the member this login belongs to.
    #[serde(default, deserialize_with = "crate::whole::opt_i64")]
    pub member_id: Option<i64>,
    /// For the department-handler role: the district department (call unit) they answer for.
    #[serde(default, deserialize_with = "crate::whole::opt_i64")]
    pub call_unit_id: Option<i64>,
}

impl App {
    pub async fn users(&self, actor: &Actor) -> Result<Vec<User>> {
        actor.require_org_admin()?;
        Ok(self.db.user_list(actor.scope()).await?)
    }

    pub async fn create_user(&self, actor: &Actor, input: &UserInput) -> Result<User> {
        actor.require_org_admin()?;
        let role = Role::from_label(&input.role)
            .ok_or_else(|| AppError::Invalid(format!("角色「{}」无效", echo(&input.role))))?;
        // Org admins hand out roles within their subtree. The instance-wide role, and the
        // department handler's reach into every street's calls, are the system admin's to give.
        if matches!(role, Role::Admin | Role::DeptHandler) && actor.role != Role::Admin {
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
        within(text::DISPLAY_NAME, display_name)?;
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
        let (org_id, call_unit) = if role == Role::DeptHandler {
            let unit = input
                .call_unit_id
                .ok_or_else(|| AppError::Invalid("部门办理人须选择所在部门".into()))?;
            let unit = self.db.call_unit_get(unit).await?;
            let root = self.db.org_get(actor.scope(), org_id).await?.root_org_id;
            if unit.root_org_id != root || unit.kind != "department" {
                return Err(AppError::Invalid("所选部门无效".into()));
            }
            // A district department's login belongs to the district's top org, whatever org
            // the form named: bound lower, it would sit in a street admin's subtree, who
            // could then reset its password and act for the department.
            (root, Some(unit.id))
        } else {
            (org_id, None)
        };
        let new = NewUser {
            username: username.to_string(),
            display_name: display_name.to_string(),
            password_hash: hash_password(&input.password)?,
            role: role.code().to_string(),
            org_id,
            member_id,
        };
        let mut user = self
            .db
            .user_create(actor.scope(), &new, &actor.author())
            .await?;
        if call_unit.is_some() {
            self.db
                .user_set_call_unit(user.id, call_unit, &actor.author())
                .await?;
            user.call_unit_id = call_unit;
        }
        Ok(user)
    }

    /// A user the actor administers: inside an org admin's subtree. The system admin's and
    /// department handlers' logins are the system admin's alone (README, Users and roles) when
    /// `privileged` says the action would hand over the login.
    pub(crate) async fn managed_user(
        &self,
        actor: &Actor,
        user_id: i64,
        privileged: bool,
    ) -> Result<User> {
        actor.require_org_admin()?;
        let user = self
            .db
            .user_by_id(user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        self.db.org_get(actor.scope(), user.org_id).await?;
        let role = Role::from_code(&user.role);
        if privileged
            && matches!(role, Some(Role::Admin | Role::DeptHandler))
            && actor.role != Role::Admin
        {
            return Err(AppError::Forbidden);
        }
        // Another admin of the same organisation is a peer, not someone managed: resetting
        // their password would let one admin log in as the other and act in their name. Their
        // login is the next level up's to hand over.
        if privileged
            && role == Some(Role::OrgAdmin)
            && user.org_id == actor.org_id
            && user.id != actor.user_id
            && actor.role != Role::Admin
        {
            return Err(AppError::Forbidden);
        }
        Ok(user)
    }

    /// Lets every client try the user's name again after failed logins (README, Login
    /// protection), and records who did it.
    pub async fn unlock_user(&self, actor: &Actor, user_id: i64) -> Result<User> {
        let user = self.managed_user(actor, user_id, false).await?;
        self.throttle.unlock(&user.username);
        self.db
            .audit_event(
                user.org_id,
                &actor.author(),
                "unlock",
                "user",
                &format!("解除用户 {} 的登录锁定", user.username),
            )
            .await?;
        Ok(user)
    }

    /// Sets a user's password. Their other sessions end and their API tokens are revoked;
    /// `session` (the cookie of the session this is done from) survives, so that an admin
    /// resetting their own password is not logged out by it.
    pub async fn reset_password(
        &self,
        actor: &Actor,
        user_id: i64,
        password: &str,
        session: Option<&str>,
    ) -> Result<()> {
        self.managed_user(actor, user_id, true).await?;
        check_password_strength(password)?;
        let hash = hash_password(password)?;
        let keep = session.map(token_hash);
        Ok(self
            .db
            .user_set_password(
                actor.scope(),
                user_id,
                &hash,
                keep.as_deref(),
                &actor.author(),
            )
            .await?)
    }
}

/// What a fresh installation prints once: the first administrator's login.
#[derive(Debug, Clone)]
pub struct FirstAdmin {
    pub username: String,
    pub password: String,
    pub org_name: String,
}

impl App {
    /// On an empty database, creates the top org and an `admin` login so that the program is
    /// usable without any set-up. Returns `None` when the database already has users.
    pub async fn bootstrap(&self, org_name: &str) -> Result<Option<FirstAdmin>> {
        if !self.db.is_empty().await? {
            return Ok(None);
        }
        let author = store::users::system_author();
        let org = self
            .db
            .org_create(
                store::Scope::Nothing,
                &store::NewOrg {
                    parent_id: None,
                    kind: domain::OrgKind::DistrictCommittee.code().into(),
                    branch_kind: None,
                    name: org_name.to_string(),
                    territory_id: None,
                    founded_on: None,
                    dissolved_on: None,
                    secretary: None,
                    phone: None,
                },
                &author,
            )
            .await?;
        let password = format!("dj{}", &crate::auth::random_token()[..12]);
        let new = NewUser {
            username: "admin".into(),
            display_name: "系统管理员".into(),
            password_hash: hash_password(&password)?,
            role: Role::Admin.code().into(),
            org_id: org.id,
            member_id: None,
        };
        self.db
            .user_create(store::Scope::Subtree(org.id), &new, &author)
            .await?;
        Ok(Some(FirstAdmin {
            username: "admin".into(),
            password,
            org_name: org.name,
        }))
    }

    /// The actor for command-line work done in a named user's name (imports, exports).
    pub async fn actor_by_username(&self, username: &str) -> Result<crate::Actor> {
        let user = self
            .db
            .user_by_username(username)
            .await?
            .ok_or_else(|| AppError::Invalid(format!("用户「{username}」不存在")))?;
        crate::auth::actor_from_user(&user)
    }
}
