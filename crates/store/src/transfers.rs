//! 组织关系转接 records (DOMAIN.md §8). A transfer is seen by both ends: the scope of its
//! sending branch and the scope of its receiving branch. The member stays with the sending
//! branch until the letter is received; the step that receives them moves them (or, for an
//! organisation outside, ends their place on the roll) on the same transaction.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::member_effects::MemberEffect;
use crate::{
    Author, BeginWrite, Db, Param, Result, Scope, StoreError, bind_params, now, on_db, write_audit,
};

/// A transfer as stored.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Transfer {
    pub id: i64,
    #[serde(skip)]
    pub root_org_id: i64,
    /// `within` (区内转接), `out` (转出) or `in` (转入).
    pub direction: String,
    /// The member record; for a letter from outside, made when it is received.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_id: Option<i64>,
    pub name: String,
    #[serde(skip)]
    pub id_number: String,
    /// The sending branch, when it is in this database.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_org_id: Option<i64>,
    /// The sending organisation outside, as the letter names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_text: Option<String>,
    /// The receiving branch, when it is in this database.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_org_id: Option<i64>,
    /// The receiving organisation outside.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_text: Option<String>,
    /// `within_district`, `within_city` or `outside_city`.
    pub reach: String,
    /// `requested`, `issued`, `expired`, `received`, `closed` or `withdrawn`.
    pub state: String,
    /// Why the relationship moves (工作单位变动, 居住地变动, …).
    pub reason: String,
    pub requested_on: NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_on: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<NaiveDate>,
    pub reissued: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub received_on: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt_on: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdrawn_on: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub letter_number: Option<String>,
    /// A member from outside as the letter describes them (JSON), to make their record.
    #[serde(skip)]
    pub incoming: Option<String>,
    pub version: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new transfer: a request by the sending branch, or a letter from outside registered by the
/// receiving one (already issued).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewTransfer {
    pub direction: String,
    pub member_id: Option<i64>,
    pub name: String,
    #[serde(skip)]
    pub id_number: String,
    pub from_org_id: Option<i64>,
    pub from_text: Option<String>,
    pub to_org_id: Option<i64>,
    pub to_text: Option<String>,
    pub reach: String,
    pub state: String,
    pub reason: String,
    pub requested_on: NaiveDate,
    pub issued_on: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    pub letter_number: Option<String>,
    #[serde(skip)]
    pub incoming: Option<String>,
}

/// One step as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TransferStep {
    pub id: i64,
    pub transfer_id: i64,
    /// `issue`, `receive`, `receipt`, `reissue`, `withdraw` or `expire`.
    pub action: String,
    pub on_date: NaiveDate,
    pub handled_by: String,
    pub document: String,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// The dated facts of a transfer after a step (the domain's `Transfer`, as columns).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransferFacts {
    pub state: String,
    pub issued_on: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    pub reissued: i64,
    pub received_on: Option<NaiveDate>,
    pub receipt_on: Option<NaiveDate>,
    pub withdrawn_on: Option<NaiveDate>,
}

/// A step to append, with what it does to the transfer and to the member.
#[derive(Debug, Clone, PartialEq)]
pub struct TransferStepRecord {
    pub action: String,
    pub on_date: NaiveDate,
    pub handled_by: String,
    pub document: String,
    pub letter_number: Option<String>,
    /// Audit summary, in words.
    pub summary: String,
    pub facts: TransferFacts,
    pub member_effect: Option<MemberEffect>,
    /// The member record made for a letter from outside, to link.
    pub link_member: Option<i64>,
}

/// Which transfers a list shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TransferFilter {
    /// Transfers with either end under this org (within the scope).
    pub org_id: Option<i64>,
    pub direction: Option<String>,
    pub states: Vec<String>,
    pub member_id: Option<i64>,
}

const TRANSFER_COLUMNS: &str = "t.id, t.root_org_id, t.direction, t.member_id, t.name, t.id_number, \
     t.from_org_id, t.from_text, t.to_org_id, t.to_text, t.reach, t.state, t.reason, t.requested_on, \
     t.issued_on, t.valid_until, t.reissued, t.received_on, t.receipt_on, t.withdrawn_on, \
     t.letter_number, t.incoming, t.version, t.created_by, t.created_at, t.updated_at";

/// A letter past its validity: transfer id, member, name, sending and receiving branch.
type LapsedLetter = (i64, Option<i64>, String, Option<i64>, Option<i64>);

/// The most transfers one list returns; a district moves a few thousand members a year.
pub const TRANSFER_LIST_LIMIT: i64 = 2000;

/// Either end of the transfer in `scope`.
fn either_end(scope: Scope, params: &mut Vec<Param>) -> String {
    format!(
        "({} OR {})",
        scope.org_condition("t.from_org_id", params),
        scope.org_condition("t.to_org_id", params)
    )
}

impl Db {
    /// Records a new transfer. The end that records it (`side_org`) must be a branch in the
    /// scope, and the other end, when it is in this database, a branch of the same tree.
    /// Audited.
    pub async fn transfer_create(
        &self,
        scope: Scope,
        side_org: i64,
        new: &NewTransfer,
        author: &Author,
    ) -> Result<i64> {
        let mut params = vec![Param::I64(side_org)];
        let side_sql = format!(
            "SELECT o.root_org_id FROM orgs o WHERE o.id = $1 AND o.kind = 'branch' AND {}",
            scope.org_condition("o.id", &mut params)
        );
        let at = now();
        let id = on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let (root,): (i64,) = bind_params!(sqlx::query_as(sqlx::AssertSqlSafe(side_sql.as_str())), &params)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            for end in [new.from_org_id, new.to_org_id].into_iter().flatten() {
                let found: Option<(i64,)> = sqlx::query_as(
                    "SELECT id FROM orgs WHERE id = $1 AND kind = 'branch' AND root_org_id = $2",
                )
                .bind(end)
                .bind(root)
                .fetch_optional(&mut *tx)
                .await?;
                if found.is_none() {
                    return Err(StoreError::Invalid("请选择本区的党支部".into()));
                }
            }
            if let Some(member) = new.member_id {
                let open: (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM transfers WHERE member_id = $1 AND state IN ('requested', 'issued', 'expired', 'received')",
                )
                .bind(member)
                .fetch_one(&mut *tx)
                .await?;
                if open.0 > 0 {
                    return Err(StoreError::Conflict("该党员已有未办结的组织关系转接".into()));
                }
            }
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO transfers (root_org_id, direction, member_id, name, id_number, from_org_id, from_text, \
                 to_org_id, to_text, reach, state, reason, requested_on, issued_on, valid_until, letter_number, incoming, \
                 created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) RETURNING id",
            )
            .bind(root)
            .bind(&new.direction)
            .bind(new.member_id)
            .bind(&new.name)
            .bind(&new.id_number)
            .bind(new.from_org_id)
            .bind(&new.from_text)
            .bind(new.to_org_id)
            .bind(&new.to_text)
            .bind(&new.reach)
            .bind(&new.state)
            .bind(&new.reason)
            .bind(new.requested_on)
            .bind(new.issued_on)
            .bind(new.valid_until)
            .bind(&new.letter_number)
            .bind(&new.incoming)
            .bind(&author.name)
            .bind(at)
            .bind(at)
            .fetch_one(&mut *tx)
            .await?;
            let mut changes = serde_json::to_value(new).unwrap_or_default();
            if let Some(map) = changes.as_object_mut() {
                map.insert("id".into(), serde_json::json!(id));
            }
            write_audit!(
                &mut *tx, side_org, author, "create", "transfer", Some(id),
                format!("组织关系转接：{}（{}）", new.name, new.requested_on),
                crate::audit::created(&changes)
            )?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// One transfer seen from either end in the scope.
    pub async fn transfer_get(&self, scope: Scope, id: i64) -> Result<Transfer> {
        let mut params = vec![Param::I64(id)];
        let sql = format!(
            "SELECT {TRANSFER_COLUMNS} FROM transfers t WHERE t.id = $1 AND {}",
            either_end(scope, &mut params)
        );
        let row = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, Transfer>(sqlx::AssertSqlSafe(sql.as_str())), &params)
                .fetch_optional(pool)
                .await?
        });
        row.ok_or(StoreError::NotFound)
    }

    /// The transfers of the scope that `filter` selects, open ones first, newest first.
    pub async fn transfers(&self, scope: Scope, filter: &TransferFilter) -> Result<Vec<Transfer>> {
        let mut params = Vec::new();
        let mut conditions = vec![either_end(scope, &mut params)];
        if let Some(org) = filter.org_id {
            conditions.push(either_end(Scope::Subtree(org), &mut params));
        }
        if let Some(direction) = &filter.direction {
            params.push(Param::Text(direction.clone()));
            conditions.push(format!("t.direction = ${}", params.len()));
        }
        if let Some(member) = filter.member_id {
            params.push(Param::I64(member));
            conditions.push(format!("t.member_id = ${}", params.len()));
        }
        if !filter.states.is_empty() {
            let marks: Vec<String> = filter
                .states
                .iter()
                .map(|s| {
                    params.push(Param::Text(s.clone()));
                    format!("${}", params.len())
                })
                .collect();
            conditions.push(format!("t.state IN ({})", marks.join(", ")));
        }
        let sql = format!(
            "SELECT {TRANSFER_COLUMNS} FROM transfers t WHERE {} \
             ORDER BY CASE WHEN t.state IN ('closed', 'withdrawn') THEN 1 ELSE 0 END, t.requested_on DESC, t.id DESC \
             LIMIT {TRANSFER_LIST_LIMIT}",
            conditions.join(" AND ")
        );
        let rows = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, Transfer>(sqlx::AssertSqlSafe(sql.as_str())), &params)
                .fetch_all(pool)
                .await?
        });
        Ok(rows)
    }

    /// The steps recorded on a transfer of the scope, in the order they were done.
    pub async fn transfer_steps(&self, scope: Scope, id: i64) -> Result<Vec<TransferStep>> {
        self.transfer_get(scope, id).await?;
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, TransferStep>(
                "SELECT id, transfer_id, action, on_date, handled_by, document, recorded_by, recorded_at \
                 FROM transfer_steps WHERE transfer_id = $1 ORDER BY on_date, id",
            )
            .bind(id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// Appends a step to a transfer of the scope that is still at `version`, stores the facts
    /// after it, and applies what it does to the member, all on one transaction. Audited.
    pub async fn transfer_record_step(
        &self,
        scope: Scope,
        id: i64,
        version: i64,
        step: &TransferStepRecord,
        author: &Author,
    ) -> Result<()> {
        let current = self.transfer_get(scope, id).await?;
        let at = now();
        let audit_org = current
            .from_org_id
            .or(current.to_org_id)
            .unwrap_or_default();
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let f = &step.facts;
            let updated = sqlx::query(
                "UPDATE transfers SET state = $1, issued_on = $2, valid_until = $3, reissued = $4, received_on = $5, \
                 receipt_on = $6, withdrawn_on = $7, letter_number = COALESCE($8, letter_number), \
                 member_id = COALESCE($9, member_id), version = version + 1, updated_at = $10 \
                 WHERE id = $11 AND version = $12",
            )
            .bind(&f.state)
            .bind(f.issued_on)
            .bind(f.valid_until)
            .bind(f.reissued)
            .bind(f.received_on)
            .bind(f.receipt_on)
            .bind(f.withdrawn_on)
            .bind(&step.letter_number)
            .bind(step.link_member)
            .bind(at)
            .bind(id)
            .bind(version)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated != 1 {
                return Err(StoreError::Conflict("该转接刚被他人更新，请刷新后重新记录".into()));
            }
            sqlx::query(
                "INSERT INTO transfer_steps (transfer_id, action, on_date, handled_by, document, recorded_by, recorded_at, \
                 root_org_id) SELECT $1, $2, $3, $4, $5, $6, $7, t.root_org_id FROM transfers t WHERE t.id = $1",
            )
            .bind(id)
            .bind(&step.action)
            .bind(step.on_date)
            .bind(&step.handled_by)
            .bind(&step.document)
            .bind(&author.name)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            if let (Some(effect), Some(member)) = (step.member_effect, current.member_id.or(step.link_member)) {
                crate::apply_member_effect!(tx, member, effect, author);
            }
            let changes = serde_json::json!({
                "state": [current.state, f.state],
                "action": [null, step.action],
            });
            write_audit!(
                &mut *tx, audit_org, author, "update", "transfer", Some(id),
                format!("{}：{}", current.name, step.summary),
                changes.to_string()
            )?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The letters issued here whose validity ended before `today` and that nobody received:
    /// marked expired, and their members flagged 口袋党员 (DOMAIN.md §8). Returns how many.
    pub async fn transfers_expire(&self, today: NaiveDate, author: &Author) -> Result<u64> {
        let due: Vec<LapsedLetter> = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT id, member_id, name, from_org_id, to_org_id FROM transfers \
                 WHERE state = 'issued' AND valid_until < $1 ORDER BY id",
            )
            .bind(today)
            .fetch_all(pool)
            .await?
        });
        let mut expired = 0;
        for (id, member, name, from, to) in due {
            on_db!(self, pool => {
                let mut tx = pool.begin_write().await?;
                let updated = sqlx::query(
                    "UPDATE transfers SET state = 'expired', version = version + 1, updated_at = $1 \
                     WHERE id = $2 AND state = 'issued'",
                )
                .bind(now())
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if updated == 1 {
                    if let Some(member) = member {
                        crate::apply_member_effect!(tx, member, MemberEffect::Pocket(true), author);
                    }
                    write_audit!(
                        &mut *tx, from.or(to).unwrap_or_default(), author, "update", "transfer", Some(id),
                        format!("{name}：介绍信过期未接收"),
                        serde_json::json!({"state": ["issued", "expired"]}).to_string()
                    )?;
                    expired += 1;
                }
                tx.commit().await?;
            });
        }
        Ok(expired)
    }
}
