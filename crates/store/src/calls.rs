//! Residents' calls (你呼我应, 三级联动): the units that answer them, the catalogue, the work
//! calendar, and the calls with their event log. The lifecycle rules live in `domain::calls`;
//! this module keeps the domain's `Case` as JSON beside the columns that lists filter on, and
//! refuses a transition computed from a state someone else has changed since.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{
    Author, BeginWrite, Db, Param, Result, StoreError, bind_params, now, on_db, write_audit,
};

/// Which calls an actor may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallScope {
    /// Calls located in communities whose committee is at or below this org.
    Orgs(i64),
    /// Calls a unit holds now or supports in a joint case (a department handler).
    Unit(i64),
    Nothing,
}

impl CallScope {
    fn condition(&self, params: &mut Vec<Param>) -> String {
        match *self {
            CallScope::Orgs(org) => {
                params.push(Param::I64(org));
                format!(
                    "c.org_id IN (SELECT sc.descendant_id FROM org_closure sc WHERE sc.ancestor_id = ${})",
                    params.len()
                )
            }
            CallScope::Unit(unit) => {
                params.push(Param::I64(unit));
                let n = params.len();
                format!(
                    "(c.holder_unit_id = ${n} OR EXISTS (SELECT 1 FROM call_supporting_units su WHERE su.call_id = c.id AND su.unit_id = ${n}))"
                )
            }
            CallScope::Nothing => "1 = 0".into(),
        }
    }
}

/// What a list of calls is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct CallFilter {
    /// Leave out closed and merged calls.
    pub open: bool,
    /// A `domain::calls::Status` code.
    pub status: Option<String>,
    /// The catalogue's 大类, the first three characters of an item code (`C05`).
    pub category: Option<String>,
    pub holder_unit_id: Option<i64>,
    pub submitted_from: Option<DateTime<Utc>>,
    pub submitted_before: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct CallUnit {
    pub id: i64,
    pub root_org_id: i64,
    /// `community`, `street` or `district` (`domain::calls::Level`).
    pub level: String,
    /// `committee` or `department`.
    pub kind: String,
    pub name: String,
    pub org_id: Option<i64>,
    pub territory_id: Option<i64>,
    pub parent_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewCallUnit {
    pub level: String,
    pub kind: String,
    pub name: String,
    pub org_id: Option<i64>,
    pub territory_id: Option<i64>,
    pub parent_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct CallItem {
    pub code: String,
    pub category_code: String,
    pub category_name: String,
    pub name: String,
    pub first_level: String,
    pub acknowledge_minutes: i64,
    pub respond_minutes: i64,
    pub resolve_minutes: i64,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct CalendarYear {
    pub year: i64,
    /// JSON list of dates.
    pub holidays: String,
    pub makeup_workdays: String,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CallRow {
    pub id: i64,
    pub root_org_id: i64,
    pub tracking_code: String,
    pub item_code: String,
    pub item_name: String,
    pub territory_id: Option<i64>,
    pub community_unit_id: i64,
    pub org_id: i64,
    pub address: String,
    pub description: String,
    pub resident_name: String,
    pub phone: String,
    pub channel: String,
    pub status: String,
    pub level: String,
    pub holder_unit_id: i64,
    pub holder_name: String,
    /// `domain::calls::Case` as JSON.
    pub state: String,
    /// `domain::calls::SlaPolicy` as JSON.
    pub sla: String,
    pub submitted_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Wrong phone tails typed for this call on the public pages (see `call_tail_attempt`).
    pub tail_failures: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewCall {
    pub root_org_id: i64,
    pub tracking_code: String,
    pub item_code: String,
    pub item_name: String,
    pub territory_id: Option<i64>,
    pub community_unit_id: i64,
    pub org_id: i64,
    pub address: String,
    pub description: String,
    pub resident_name: String,
    pub phone: String,
    pub channel: String,
    pub status: String,
    pub level: String,
    pub holder_unit_id: i64,
    pub state: String,
    pub sla: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CallEventRow {
    pub id: i64,
    pub call_id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub kind: String,
    /// `domain::calls::Event` as JSON.
    pub event: String,
    pub public_note: String,
    pub status_after: String,
    pub holder_unit_id: i64,
}

/// One transition as the store records it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallChange {
    pub kind: String,
    pub event: String,
    pub public_note: String,
    pub status: String,
    pub level: String,
    pub holder_unit_id: i64,
    pub state: String,
    /// Units added as supporting (a 吹哨).
    pub supporting: Vec<i64>,
    /// What the change does to the figures (`domain::rollups::call_contributions` after less
    /// before), applied in the same transaction.
    pub rollup: Vec<domain::rollups::Contribution>,
}

/// Appends one event to a call's log on an open transaction (the first event and every
/// transition write the same row).
macro_rules! insert_call_event {
    ($exec:expr, $call:expr, $at:expr, $author:expr, $change:expr) => {
        sqlx::query(
            "INSERT INTO call_events (call_id, at, actor, actor_user_id, kind, event, public_note, status_after, holder_unit_id, \
             root_org_id) SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, c.root_org_id FROM calls c WHERE c.id = $1",
        )
        .bind($call)
        .bind($at)
        .bind(&$author.name)
        .bind($author.user_id)
        .bind(&$change.kind)
        .bind(&$change.event)
        .bind(&$change.public_note)
        .bind(&$change.status)
        .bind($change.holder_unit_id)
        .execute($exec)
        .await?
    };
}

const CALL_COLUMNS: &str = "c.id, c.root_org_id, c.tracking_code, c.item_code, c.item_name, c.territory_id, \
     c.community_unit_id, c.org_id, c.address, c.description, c.resident_name, c.phone, c.channel, c.status, c.level, \
     c.holder_unit_id, u.name AS holder_name, c.state, c.sla, c.submitted_at, c.updated_at, c.tail_failures";

const UNIT_COLUMNS: &str = "id, root_org_id, level, kind, name, org_id, territory_id, parent_id";

impl Db {
    pub async fn call_units(&self, root_org_id: i64) -> Result<Vec<CallUnit>> {
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, CallUnit>(sqlx::AssertSqlSafe(format!(
                "SELECT {UNIT_COLUMNS} FROM call_units WHERE root_org_id = $1 ORDER BY id"
            )))
            .bind(root_org_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    pub async fn call_unit_get(&self, id: i64) -> Result<CallUnit> {
        let row = on_db!(self, pool => {
            sqlx::query_as::<_, CallUnit>(sqlx::AssertSqlSafe(format!(
                "SELECT {UNIT_COLUMNS} FROM call_units WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        row.ok_or(StoreError::NotFound)
    }

    pub async fn call_unit_insert(
        &self,
        root_org_id: i64,
        new: &NewCallUnit,
        author: &Author,
    ) -> Result<i64> {
        let id = on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO call_units (root_org_id, level, kind, name, org_id, territory_id, parent_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(root_org_id)
            .bind(&new.level)
            .bind(&new.kind)
            .bind(&new.name)
            .bind(new.org_id)
            .bind(new.territory_id)
            .bind(new.parent_id)
            .bind(now())
            .fetch_one(&mut *tx)
            .await?;
            write_audit!(
                &mut *tx, root_org_id, author, "create", "call_unit", Some(id),
                format!("设立呼声办理单位「{}」", new.name),
                crate::audit::created(new)
            )?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// Binds a department handler's login to the unit they act for.
    pub async fn user_set_call_unit(
        &self,
        user_id: i64,
        unit: Option<i64>,
        author: &Author,
    ) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let (org,): (i64,) = sqlx::query_as("SELECT org_id FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            sqlx::query("UPDATE users SET call_unit_id = $2 WHERE id = $1")
                .bind(user_id)
                .bind(unit)
                .execute(&mut *tx)
                .await?;
            write_audit!(
                &mut *tx, org, author, "update", "user", Some(user_id),
                format!("设置呼声办理单位（{}）", unit.map_or("无".to_string(), |u| u.to_string())),
                "{}"
            )?;
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn call_items(&self, root_org_id: i64) -> Result<Vec<CallItem>> {
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, CallItem>(
                "SELECT code, category_code, category_name, name, first_level, acknowledge_minutes, respond_minutes, \
                 resolve_minutes, active FROM call_items WHERE root_org_id = $1 ORDER BY code",
            )
            .bind(root_org_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// Adds or replaces catalogue items by code.
    pub async fn call_items_save(
        &self,
        root_org_id: i64,
        items: &[CallItem],
        author: &Author,
    ) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            for item in items {
                sqlx::query(
                    "INSERT INTO call_items (root_org_id, code, category_code, category_name, name, first_level, acknowledge_minutes, \
                     respond_minutes, resolve_minutes, active) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                     ON CONFLICT (root_org_id, code) DO UPDATE SET category_code = $3, category_name = $4, name = $5, \
                     first_level = $6, acknowledge_minutes = $7, respond_minutes = $8, resolve_minutes = $9, active = $10",
                )
                .bind(root_org_id)
                .bind(&item.code)
                .bind(&item.category_code)
                .bind(&item.category_name)
                .bind(&item.name)
                .bind(&item.first_level)
                .bind(item.acknowledge_minutes)
                .bind(item.respond_minutes)
                .bind(item.resolve_minutes)
                .bind(item.active)
                .execute(&mut *tx)
                .await?;
            }
            write_audit!(
                &mut *tx, root_org_id, author, "update", "call_items", None::<i64>,
                format!("保存呼声事项目录 {} 项", items.len()),
                serde_json::json!({"items": [serde_json::Value::Null, items]}).to_string()
            )?;
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn work_calendar_years(&self, root_org_id: i64) -> Result<Vec<CalendarYear>> {
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, CalendarYear>(
                "SELECT year, holidays, makeup_workdays, updated_by, updated_at FROM work_calendar_years \
                 WHERE root_org_id = $1 ORDER BY year",
            )
            .bind(root_org_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    pub async fn work_calendar_save(
        &self,
        root_org_id: i64,
        year: i32,
        holidays_json: &str,
        makeup_json: &str,
        author: &Author,
    ) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO work_calendar_years (root_org_id, year, holidays, makeup_workdays, updated_by, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (root_org_id, year) DO UPDATE SET holidays = $3, \
                 makeup_workdays = $4, updated_by = $5, updated_at = $6",
            )
            .bind(root_org_id)
            .bind(i64::from(year))
            .bind(holidays_json)
            .bind(makeup_json)
            .bind(&author.name)
            .bind(now())
            .execute(&mut *tx)
            .await?;
            write_audit!(
                &mut *tx, root_org_id, author, "update", "work_calendar", Some(i64::from(year)),
                format!("设置 {year} 年工作日历"),
                serde_json::json!({"holidays": [serde_json::Value::Null, holidays_json], "makeup_workdays": [serde_json::Value::Null, makeup_json]}).to_string()
            )?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Records a new call with its first event and photos, and the audit row.
    pub async fn call_create(
        &self,
        new: &NewCall,
        first: &CallChange,
        photos: &[(String, Vec<u8>)],
        author: &Author,
    ) -> Result<i64> {
        let at = now();
        let id = on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO calls (root_org_id, tracking_code, item_code, item_name, territory_id, community_unit_id, org_id, address, \
                 description, resident_name, phone, channel, status, level, holder_unit_id, state, sla, submitted_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18) RETURNING id",
            )
            .bind(new.root_org_id)
            .bind(&new.tracking_code)
            .bind(&new.item_code)
            .bind(&new.item_name)
            .bind(new.territory_id)
            .bind(new.community_unit_id)
            .bind(new.org_id)
            .bind(&new.address)
            .bind(&new.description)
            .bind(&new.resident_name)
            .bind(&new.phone)
            .bind(&new.channel)
            .bind(&new.status)
            .bind(&new.level)
            .bind(new.holder_unit_id)
            .bind(&new.state)
            .bind(&new.sla)
            .bind(at)
            .fetch_one(&mut *tx)
            .await?;
            insert_call_event!(&mut *tx, id, at, author, first);
            crate::apply_rollups!(tx, new.root_org_id, &first.rollup);
            for (content_type, bytes) in photos {
                sqlx::query(
                    "INSERT INTO call_photos (call_id, content_type, size_bytes, content, uploaded_at, root_org_id) \
                     SELECT $1, $2, $3, $4, $5, c.root_org_id FROM calls c WHERE c.id = $1",
                )
                .bind(id)
                .bind(content_type)
                .bind(i64::try_from(bytes.len()).unwrap_or(i64::MAX))
                .bind(bytes)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            }
            write_audit!(
                &mut *tx, new.org_id, author, "create", "call", Some(id),
                format!("受理群众呼声 {}：{}", new.tracking_code, new.item_name),
                "{}"
            )?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// A tree's calls after `after` by id, up to `limit`, with what the figures read: where the
    /// call is, its state and its time limits (the roll-up rebuild walks them in pages).
    pub async fn call_states_page(
        &self,
        root_org_id: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, i64, String, String)>> {
        let rows = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT id, org_id, state, sla FROM calls WHERE root_org_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            )
            .bind(root_org_id)
            .bind(after)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// A call the scope may see.
    pub async fn call_get(&self, scope: CallScope, id: i64) -> Result<CallRow> {
        let mut params = vec![Param::I64(id)];
        let sql = format!(
            "SELECT {CALL_COLUMNS} FROM calls c JOIN call_units u ON u.id = c.holder_unit_id WHERE c.id = $1 AND {}",
            scope.condition(&mut params)
        );
        let row = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, CallRow>(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_optional(pool).await?
        });
        row.ok_or(StoreError::NotFound)
    }

    /// A call by the tracking code a resident holds (the public pages; no scope).
    pub async fn call_by_tracking_code(&self, code: &str) -> Result<CallRow> {
        let row = on_db!(self, pool => {
            sqlx::query_as::<_, CallRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {CALL_COLUMNS} FROM calls c JOIN call_units u ON u.id = c.holder_unit_id WHERE c.tracking_code = $1"
            )))
            .bind(code)
            .fetch_optional(pool)
            .await?
        });
        row.ok_or(StoreError::NotFound)
    }

    /// Calls in the scope, newest first; `open` keeps only those not yet closed or merged.
    pub async fn calls_list(
        &self,
        scope: CallScope,
        open: bool,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<CallRow>> {
        let filter = CallFilter {
            open,
            ..Default::default()
        };
        self.calls_search(scope, &filter, limit, offset).await
    }

    /// The calls of a scope that match a list's filters, newest first.
    pub async fn calls_search(
        &self,
        scope: CallScope,
        filter: &CallFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<CallRow>> {
        let mut params = Vec::new();
        let mut sql = format!(
            "SELECT {CALL_COLUMNS} FROM calls c JOIN call_units u ON u.id = c.holder_unit_id WHERE {}",
            scope.condition(&mut params)
        );
        if filter.open {
            sql.push_str(" AND c.status NOT IN ('closed', 'merged')");
        }
        if let Some(status) = &filter.status {
            params.push(Param::Text(status.clone()));
            sql.push_str(&format!(" AND c.status = ${}", params.len()));
        }
        if let Some(category) = &filter.category {
            params.push(Param::Text(category.clone()));
            sql.push_str(&format!(
                " AND substr(c.item_code, 1, 3) = ${}",
                params.len()
            ));
        }
        if let Some(unit) = filter.holder_unit_id {
            params.push(Param::I64(unit));
            sql.push_str(&format!(" AND c.holder_unit_id = ${}", params.len()));
        }
        if let Some(from) = filter.submitted_from {
            params.push(Param::Time(from));
            sql.push_str(&format!(" AND c.submitted_at >= ${}", params.len()));
        }
        if let Some(before) = filter.submitted_before {
            params.push(Param::Time(before));
            sql.push_str(&format!(" AND c.submitted_at < ${}", params.len()));
        }
        params.push(Param::I64(limit));
        params.push(Param::I64(offset));
        sql.push_str(&format!(
            " ORDER BY c.id DESC LIMIT ${} OFFSET ${}",
            params.len() - 1,
            params.len()
        ));
        let rows = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, CallRow>(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_all(pool).await?
        });
        Ok(rows)
    }

    /// Every call of an instance not yet closed or merged, for the escalation sweep.
    pub async fn calls_open(&self, root_org_id: i64) -> Result<Vec<CallRow>> {
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, CallRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {CALL_COLUMNS} FROM calls c JOIN call_units u ON u.id = c.holder_unit_id \
                 WHERE c.root_org_id = $1 AND c.status NOT IN ('closed', 'merged') ORDER BY c.id"
            )))
            .bind(root_org_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// Applies a transition computed from `old_state`. If the call changed in the meantime (two
    /// handlers at once), nothing is written and a conflict is returned.
    pub async fn call_transition(
        &self,
        scope: CallScope,
        id: i64,
        old_state: &str,
        change: &CallChange,
        author: &Author,
    ) -> Result<()> {
        let call = self.call_get(scope, id).await?;
        let at = now();
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let updated = sqlx::query(
                "UPDATE calls SET status = $3, level = $4, holder_unit_id = $5, state = $6, updated_at = $7 WHERE id = $1 AND state = $2",
            )
            .bind(id)
            .bind(old_state)
            .bind(&change.status)
            .bind(&change.level)
            .bind(change.holder_unit_id)
            .bind(&change.state)
            .bind(at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated != 1 {
                return Err(StoreError::Conflict("该呼声刚被他人处理过，请刷新后重试".into()));
            }
            for unit in &change.supporting {
                sqlx::query(
                    "INSERT INTO call_supporting_units (call_id, unit_id, root_org_id) \
                     SELECT $1, $2, c.root_org_id FROM calls c WHERE c.id = $1 ON CONFLICT DO NOTHING",
                )
                    .bind(id)
                    .bind(unit)
                    .execute(&mut *tx)
                    .await?;
            }
            insert_call_event!(&mut *tx, id, at, author, change);
            crate::apply_rollups!(tx, call.root_org_id, &change.rollup);
            write_audit!(
                &mut *tx, call.org_id, author, "update", "call", Some(id),
                format!("呼声 {}：{}", call.tracking_code, change.public_note),
                serde_json::json!({"status": [call.status, change.status], "holder_unit_id": [call.holder_unit_id, change.holder_unit_id]}).to_string()
            )?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The event log of a call, oldest first. Callers check the scope with `call_get` or hold
    /// the tracking code.
    pub async fn call_events(&self, call_id: i64) -> Result<Vec<CallEventRow>> {
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, CallEventRow>(
                "SELECT id, call_id, at, actor, kind, event, public_note, status_after, holder_unit_id FROM call_events \
                 WHERE call_id = $1 ORDER BY id",
            )
            .bind(call_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// Takes one of a call's `max` phone-tail attempts before the tail is compared, and returns
    /// how many are taken now; `None` when they were used up. Taking it first, in one
    /// statement, is what keeps a burst of parallel guesses from all passing a check made
    /// before any of them failed.
    pub async fn call_tail_attempt(&self, id: i64, max: i64) -> Result<Option<i64>> {
        let row: Option<(i64,)> = on_db!(self, pool => {
            sqlx::query_as(
                "UPDATE calls SET tail_failures = tail_failures + 1 WHERE id = $1 AND tail_failures < $2 \
                 RETURNING tail_failures",
            )
            .bind(id)
            .bind(max)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|(n,)| n))
    }

    /// Gives back an attempt taken by `call_tail_attempt` when the tail was right.
    pub async fn call_tail_refund(&self, id: i64) -> Result<()> {
        on_db!(self, pool => {
            sqlx::query("UPDATE calls SET tail_failures = tail_failures - 1 WHERE id = $1 AND tail_failures > 0")
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Bytes of photos stored since `since` with calls that came in through `channel`.
    pub async fn call_photo_bytes_since(
        &self,
        root_org_id: i64,
        channel: &str,
        since: DateTime<Utc>,
    ) -> Result<i64> {
        let (bytes,): (i64,) = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT CAST(COALESCE(SUM(p.size_bytes), 0) AS BIGINT) FROM call_photos p JOIN calls c ON c.id = p.call_id \
                 WHERE p.uploaded_at >= $3 AND c.root_org_id = $1 AND c.channel = $2",
            )
            .bind(root_org_id)
            .bind(channel)
            .bind(since)
            .fetch_one(pool)
            .await?
        });
        Ok(bytes)
    }

    /// The community a place (community, grid or building) lies in, if any.
    pub async fn territory_community_of(&self, territory_id: i64) -> Result<Option<i64>> {
        let row: Option<(i64,)> = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT t.id FROM territory_closure tc JOIN territories t ON t.id = tc.ancestor_id \
                 WHERE tc.descendant_id = $1 AND t.level = 'community'",
            )
            .bind(territory_id)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|(id,)| id))
    }

    /// Photo ids of a call.
    pub async fn call_photo_ids(&self, call_id: i64) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> = on_db!(self, pool => {
            sqlx::query_as("SELECT id FROM call_photos WHERE call_id = $1 ORDER BY id").bind(call_id).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// A photo, if its call is in the scope: (content type, bytes).
    pub async fn call_photo_get(&self, scope: CallScope, id: i64) -> Result<(String, Vec<u8>)> {
        let mut params = vec![Param::I64(id)];
        let sql = format!(
            "SELECT p.content_type, p.content FROM call_photos p JOIN calls c ON c.id = p.call_id WHERE p.id = $1 AND {}",
            scope.condition(&mut params)
        );
        let row = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, (String, Vec<u8>)>(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_optional(pool).await?
        });
        row.ok_or(StoreError::NotFound)
    }
}
