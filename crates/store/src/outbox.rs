//! The outbox: messages to users (reminders) and members (greetings), written by the sweeps and
//! handed to a delivery channel afterwards. The `dedupe_key`, unique within a top organisation,
//! is what makes "each sent once" hold even when a sweep runs twice or two servers sweep the
//! same database.
//!
//! Every statement names the message's top organisation: on Citus the outbox is distributed by
//! it, so each is routed to one shard. Readers that span trees (a province's inbox, the
//! delivery round) visit one tree at a time.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{Db, Result, Scope, StoreError, now, on_db};

/// A message to queue. Exactly one of the recipients is set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewMessage {
    pub org_id: i64,
    pub recipient_user_id: Option<i64>,
    pub recipient_member_id: Option<i64>,
    pub channel: String,
    pub kind: String,
    pub dedupe_key: String,
    pub title: String,
    pub body: String,
    pub link: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Message {
    pub id: i64,
    pub root_org_id: i64,
    pub org_id: i64,
    pub recipient_user_id: Option<i64>,
    pub recipient_member_id: Option<i64>,
    pub channel: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub link: String,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub read_at: Option<DateTime<Utc>>,
}

const MESSAGE_COLUMNS: &str = "id, root_org_id, org_id, recipient_user_id, recipient_member_id, channel, kind, title, body, link, \
     created_at, delivered_at, attempts, last_error, read_at";

/// Whose inbox: a login, and the member record it belongs to if any (greetings are addressed to
/// members, so that they reach the member whichever login they use).
#[derive(Debug, Clone, Copy)]
pub struct Recipient {
    pub user_id: i64,
    pub member_id: Option<i64>,
    /// The login's org: its trees are where the recipient's messages are kept.
    pub org_id: i64,
}

/// The recipient as `$1` (login) and `$2` (member), in the tree `$3`.
const RECIPIENT_IN_TREE: &str = "root_org_id = $3 \
    AND (recipient_user_id = $1 OR (recipient_member_id IS NOT NULL AND recipient_member_id = $2))";

impl Db {
    /// Queues a message unless one with the same key was queued before. True if queued now.
    pub async fn outbox_enqueue(&self, message: &NewMessage) -> Result<bool> {
        if message.recipient_user_id.is_some() == message.recipient_member_id.is_some() {
            return Err(StoreError::Invalid("消息须有且只有一个收件人".into()));
        }
        // What was written is read from RETURNING, not the row count: Citus counts the rows an
        // `INSERT … SELECT` read, including one the conflict then skipped.
        let inserted: Option<(i64,)> = on_db!(self, pool => {
            sqlx::query_as(
                "INSERT INTO outbox (root_org_id, org_id, recipient_user_id, recipient_member_id, channel, kind, dedupe_key, \
                 title, body, link, created_at) \
                 SELECT o.root_org_id, o.id, $2, $3, $4, $5, $6, $7, $8, $9, $10 FROM orgs o WHERE o.id = $1 \
                 ON CONFLICT (root_org_id, dedupe_key) DO NOTHING RETURNING id",
            )
            .bind(message.org_id)
            .bind(message.recipient_user_id)
            .bind(message.recipient_member_id)
            .bind(&message.channel)
            .bind(&message.kind)
            .bind(&message.dedupe_key)
            .bind(&message.title)
            .bind(&message.body)
            .bind(&message.link)
            .bind(now())
            .fetch_optional(pool)
            .await?
        });
        Ok(inserted.is_some())
    }

    /// Messages of a channel not yet delivered, oldest first.
    pub async fn outbox_undelivered(&self, channel: &str, limit: i64) -> Result<Vec<Message>> {
        let mut rows = Vec::new();
        for root in self.all_roots().await? {
            rows.extend(on_db!(self, pool => {
                sqlx::query_as::<_, Message>(sqlx::AssertSqlSafe(format!(
                    "SELECT {MESSAGE_COLUMNS} FROM outbox \
                     WHERE root_org_id = $1 AND channel = $2 AND delivered_at IS NULL ORDER BY id LIMIT $3"
                )))
                .bind(root)
                .bind(channel)
                .bind(limit)
                .fetch_all(pool)
                .await?
            }));
        }
        rows.sort_by_key(|m| m.id);
        rows.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(rows)
    }

    pub async fn outbox_mark_delivered(&self, message: &Message) -> Result<()> {
        on_db!(self, pool => {
            sqlx::query(
                "UPDATE outbox SET delivered_at = $3, attempts = attempts + 1, last_error = NULL \
                 WHERE root_org_id = $1 AND id = $2",
            )
            .bind(message.root_org_id)
            .bind(message.id)
            .bind(now())
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Keeps the message queued with the channel's error, to be tried again by the next round.
    pub async fn outbox_mark_failed(&self, message: &Message, error: &str) -> Result<()> {
        on_db!(self, pool => {
            sqlx::query(
                "UPDATE outbox SET attempts = attempts + 1, last_error = $3 WHERE root_org_id = $1 AND id = $2",
            )
            .bind(message.root_org_id)
            .bind(message.id)
            .bind(error)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Delivered messages for a recipient, newest first.
    pub async fn inbox(&self, recipient: Recipient, limit: i64) -> Result<Vec<Message>> {
        let roots = self.roots_within(Scope::Subtree(recipient.org_id)).await?;
        let mut rows = Vec::new();
        for root in roots {
            rows.extend(on_db!(self, pool => {
                sqlx::query_as::<_, Message>(sqlx::AssertSqlSafe(format!(
                    "SELECT {MESSAGE_COLUMNS} FROM outbox WHERE {RECIPIENT_IN_TREE} \
                     AND delivered_at IS NOT NULL ORDER BY id DESC LIMIT $4"
                )))
                .bind(recipient.user_id)
                .bind(recipient.member_id.unwrap_or(0))
                .bind(root)
                .bind(limit)
                .fetch_all(pool)
                .await?
            }));
        }
        rows.sort_by_key(|m| std::cmp::Reverse(m.id));
        rows.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(rows)
    }

    pub async fn inbox_unread_count(&self, recipient: Recipient) -> Result<i64> {
        let mut unread = 0;
        for root in self.roots_within(Scope::Subtree(recipient.org_id)).await? {
            let (n,): (i64,) = on_db!(self, pool => {
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT COUNT(*) FROM outbox WHERE {RECIPIENT_IN_TREE} \
                     AND delivered_at IS NOT NULL AND read_at IS NULL"
                )))
                .bind(recipient.user_id)
                .bind(recipient.member_id.unwrap_or(0))
                .bind(root)
                .fetch_one(pool)
                .await?
            });
            unread += n;
        }
        Ok(unread)
    }

    /// Marks one of the recipient's own messages read; anyone else's is not found.
    pub async fn inbox_mark_read(&self, recipient: Recipient, id: i64) -> Result<()> {
        let mut affected = 0;
        for root in self.roots_within(Scope::Subtree(recipient.org_id)).await? {
            affected += on_db!(self, pool => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "UPDATE outbox SET read_at = COALESCE(read_at, $4) WHERE {RECIPIENT_IN_TREE} \
                     AND id = $5 AND delivered_at IS NOT NULL"
                )))
                .bind(recipient.user_id)
                .bind(recipient.member_id.unwrap_or(0))
                .bind(root)
                .bind(now())
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
            });
        }
        if affected == 1 {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }
}
