//! Whether anything was committed to the database since the last look, by anyone: this server's
//! own requests, its background jobs, or another process on the same database (a command-line
//! import, a second server). Caches of what was read from the database are valid only while
//! this marker stays the same.

use sqlx::{Connection, SqliteConnection};
use tokio::sync::Mutex;

use crate::{Db, Result};

/// A cheap reading that changes whenever a transaction that wrote something commits.
///
/// - SQLite: `PRAGMA data_version` on a connection of its own. It changes when any *other*
///   connection commits, so this connection must never write; it is detached from the pool for
///   that reason.
/// - PostgreSQL: the current snapshot (`xmin:xmax:in-progress`). Every transaction that writes
///   takes a transaction id, which moves `xmax` when it starts and leaves the in-progress list
///   when it ends; read-only transactions take none. Ids are shared by every database of the
///   server, so a write elsewhere reads as a change here too: that costs a cache miss, never a
///   stale page.
pub struct CommitWatch {
    db: Db,
    /// The watching connection, and how many have been opened: a reading carries the count,
    /// since the counter starts again on every connection.
    sqlite: Mutex<(Option<SqliteConnection>, u64)>,
}

impl CommitWatch {
    pub fn new(db: Db) -> CommitWatch {
        CommitWatch {
            db,
            sqlite: Mutex::new((None, 0)),
        }
    }

    /// The marker now. Two equal readings mean nothing was committed in between; a reading
    /// taken on a fresh connection (the first, or after an error) is never equal to the last.
    pub async fn marker(&self) -> Result<String> {
        match &self.db {
            Db::Sqlite(pool) => {
                let mut held = self.sqlite.lock().await;
                let (slot, opened) = &mut *held;
                let conn = match slot {
                    Some(conn) => conn,
                    None => {
                        *opened += 1;
                        slot.insert(pool.acquire().await?.detach())
                    }
                };
                match sqlx::query_scalar::<_, i64>("PRAGMA data_version")
                    .fetch_one(&mut *conn)
                    .await
                {
                    Ok(version) => Ok(format!("{opened}:{version}")),
                    Err(e) => {
                        if let Some(conn) = slot.take() {
                            let _ = conn.close().await;
                        }
                        Err(e.into())
                    }
                }
            }
            Db::Postgres(pool) => Ok(sqlx::query_scalar::<_, String>(
                "SELECT pg_current_snapshot()::text",
            )
            .fetch_one(pool)
            .await?),
        }
    }
}
