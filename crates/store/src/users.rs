//! Users, their API tokens. A user is bound to one org node; that node's subtree is their scope.

use chrono::{DateTime, Utc};

use crate::{
    ApiToken, Author, BeginWrite, Db, NewUser, Param, Result, Scope, StoreError, User, bind_params,
    now, on_db, write_audit,
};

const USER_COLUMNS: &str = "u.id, u.username, u.display_name, u.password_hash, u.role, u.org_id, u.member_id, u.call_unit_id, u.active, u.created_at";

impl Db {
    /// Creates a user bound to an org inside the scope.
    pub async fn user_create(&self, scope: Scope, new: &NewUser, author: &Author) -> Result<User> {
        let user = on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut params = vec![Param::I64(new.org_id)];
            let sql = format!("SELECT COUNT(*) FROM orgs o WHERE o.id = $1 AND {}", scope.org_condition("o.id", &mut params));
            let (n,): (i64,) = bind_params!(sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_one(&mut *tx).await?;
            if n != 1 {
                return Err(StoreError::NotFound);
            }
            let inserted: std::result::Result<(i64,), sqlx::Error> = sqlx::query_as(
                "INSERT INTO users (username, display_name, password_hash, role, org_id, member_id, active, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7) RETURNING id",
            )
            .bind(&new.username)
            .bind(&new.display_name)
            .bind(&new.password_hash)
            .bind(&new.role)
            .bind(new.org_id)
            .bind(new.member_id)
            .bind(now())
            .fetch_one(&mut *tx)
            .await;
            let (id,) = inserted.map_err(|e| {
                let e = StoreError::from(e);
                if e.is_unique_violation() { StoreError::Conflict(format!("用户名「{}」已被使用", new.username)) } else { e }
            })?;
            let user: User = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1")))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            write_audit!(
                &mut *tx, new.org_id, author, "create", "user", Some(id),
                format!(
                    "新建用户 {}（{}）",
                    new.username,
                    domain::Role::from_code(&new.role).map_or_else(|| new.role.clone(), |r| r.label().to_string())
                ), crate::audit::created(&user)
            )?;
            tx.commit().await?;
            user
        });
        Ok(user)
    }

    /// For login and session look-ups: not scoped, never shown to an actor as such.
    pub async fn user_by_username(&self, username: &str) -> Result<Option<User>> {
        let user = on_db!(self, pool => {
            sqlx::query_as::<_, User>(sqlx::AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users u WHERE u.username = $1")))
                .bind(username)
                .fetch_optional(pool)
                .await?
        });
        Ok(user)
    }

    pub async fn user_by_id(&self, id: i64) -> Result<Option<User>> {
        let user = on_db!(self, pool => {
            sqlx::query_as::<_, User>(sqlx::AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1")))
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        Ok(user)
    }

    pub async fn user_list(&self, scope: Scope) -> Result<Vec<User>> {
        let mut params = Vec::new();
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE {} ORDER BY u.id",
            scope.org_condition("u.org_id", &mut params)
        );
        let users = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, User>(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_all(pool).await?
        });
        Ok(users)
    }

    /// Sets a new password hash for a user inside the scope. Whoever knew the old password may
    /// have opened sessions or issued tokens with it, so the user's sessions end (all but
    /// `keep_session`, the hash of the session the user reset their own password from) and
    /// their API tokens are revoked, in the same transaction.
    pub async fn user_set_password(
        &self,
        scope: Scope,
        user_id: i64,
        password_hash: &str,
        keep_session: Option<&str>,
        author: &Author,
    ) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut params = vec![Param::I64(user_id), Param::Text(password_hash.to_string())];
            let sql = format!(
                "UPDATE users SET password_hash = $2 WHERE id = $1 AND {}",
                scope.org_condition("users.org_id", &mut params)
            );
            let done = bind_params!(sqlx::query(sqlx::AssertSqlSafe(sql.as_str())), &params).execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::NotFound);
            }
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
                .bind(user_id)
                .bind(keep_session.unwrap_or(""))
                .execute(&mut *tx)
                .await?;
            let revoked = sqlx::query("DELETE FROM api_tokens WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let (org_id,): (i64,) = sqlx::query_as("SELECT org_id FROM users WHERE id = $1").bind(user_id).fetch_one(&mut *tx).await?;
            let summary = if revoked > 0 {
                format!("重置密码，结束其他登录，撤销 {revoked} 个 API 令牌")
            } else {
                "重置密码，结束其他登录".to_string()
            };
            write_audit!(&mut *tx, org_id, author, "update", "user", Some(user_id), summary, r#"{"password_hash":["***","***"]}"#)?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Stores a new API token (only its hash) for a user, valid until `expires_at`.
    pub async fn api_token_create(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<i64> {
        let (id,): (i64,) = on_db!(self, pool => {
            sqlx::query_as("INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
                .bind(user_id)
                .bind(name)
                .bind(token_hash)
                .bind(now())
                .bind(expires_at)
                .fetch_one(pool)
                .await?
        });
        Ok(id)
    }

    /// A user's tokens, newest first, expired ones included (their owner should see why an
    /// integration stopped).
    pub async fn api_token_list(&self, user_id: i64) -> Result<Vec<ApiToken>> {
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, ApiToken>(
                "SELECT id, user_id, name, created_at, last_used_at, expires_at FROM api_tokens \
                 WHERE user_id = $1 ORDER BY created_at DESC, id DESC",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// Revokes one of a user's tokens: it is deleted, and the audit log keeps that it was.
    pub async fn api_token_revoke(
        &self,
        user_id: i64,
        token_id: i64,
        author: &Author,
    ) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let (name,): (String,) = sqlx::query_as("DELETE FROM api_tokens WHERE id = $1 AND user_id = $2 RETURNING name")
                .bind(token_id)
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            let (org_id, username): (i64, String) = sqlx::query_as("SELECT org_id, username FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_one(&mut *tx)
                .await?;
            write_audit!(
                &mut *tx, org_id, author, "revoke", "api_token", Some(token_id),
                format!("撤销用户 {username} 的 API 令牌「{name}」"), "{}"
            )?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The active user owning an unexpired token hash, marking the token used.
    pub async fn user_by_api_token(&self, token_hash: &str) -> Result<Option<User>> {
        let at = now();
        let user = on_db!(self, pool => {
            let user = sqlx::query_as::<_, User>(sqlx::AssertSqlSafe(format!(
                "SELECT {USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
                 WHERE t.token_hash = $1 AND t.expires_at > $2 AND u.active = TRUE"
            )))
            .bind(token_hash)
            .bind(at)
            .fetch_optional(pool)
            .await?;
            if user.is_some() {
                sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE token_hash = $1")
                    .bind(token_hash)
                    .bind(at)
                    .execute(pool)
                    .await?;
            }
            user
        });
        Ok(user)
    }
}

/// The author of changes made by the system itself (seeding, sweeps).
pub fn system_author() -> Author {
    Author {
        user_id: None,
        name: "系统".into(),
    }
}
