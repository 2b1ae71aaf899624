//! Server-side login sessions. The cookie carries a random token; only its hash is stored, so a
//! leaked database does not hand out live sessions.

use chrono::{DateTime, Utc};

use crate::{Db, Result, SessionRow, now, on_db};

impl Db {
    pub async fn session_create(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf_token: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        on_db!(self, pool => {
            sqlx::query(
                "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(token_hash)
            .bind(user_id)
            .bind(csrf_token)
            .bind(now())
            .bind(expires_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// A session that has not expired.
    pub async fn session_get(&self, token_hash: &str) -> Result<Option<SessionRow>> {
        let row = on_db!(self, pool => {
            sqlx::query_as::<_, SessionRow>(
                "SELECT token_hash, user_id, csrf_token, expires_at FROM sessions WHERE token_hash = $1 AND expires_at > $2",
            )
            .bind(token_hash)
            .bind(now())
            .fetch_optional(pool)
            .await?
        });
        Ok(row)
    }

    pub async fn session_delete(&self, token_hash: &str) -> Result<()> {
        on_db!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(pool).await?;
        });
        Ok(())
    }

    /// Drops expired sessions; returns how many.
    pub async fn session_purge_expired(&self) -> Result<u64> {
        let done = on_db!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now()).execute(pool).await?.rows_affected()
        });
        Ok(done)
    }
}
