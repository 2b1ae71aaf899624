//! Party dues records (DOMAIN.md §1): base history, payments and waivers, each write scoped to
//! the member's branch and audited in the same transaction.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use domain::membership::{self, Span};
use serde::Serialize;

use crate::memberships::{SELECT_SPANS, SpanRow};
use crate::{
    Author, BeginWrite, Db, Param, Result, Scope, StoreError, bind_params, now, on_db, write_audit,
};

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct DuesBase {
    pub id: i64,
    pub member_id: i64,
    pub effective_month: String,
    pub category: String,
    pub base_fen: Option<i64>,
    pub monthly_fen: i64,
    pub working: String,
    pub rule_version: String,
    pub set_by: String,
    pub set_at: DateTime<Utc>,
    /// The first month this amount was on record (YYYY-MM): months before it were 未核定 when
    /// they fell due, however far back the amount is dated.
    pub assessed_from: String,
}

#[derive(Debug, Clone)]
pub struct NewDuesBase {
    pub effective_month: String,
    pub category: String,
    pub base_fen: Option<i64>,
    pub monthly_fen: i64,
    pub working: String,
    pub rule_version: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct DuesPayment {
    pub id: i64,
    pub member_id: i64,
    pub branch_id: i64,
    pub month: String,
    pub amount_fen: i64,
    pub paid_on: NaiveDate,
    pub method: String,
    pub proxy_name: Option<String>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// One payment covering several months, each with its own amount.
#[derive(Debug, Clone)]
pub struct NewPayment {
    pub months: Vec<(String, i64)>,
    pub paid_on: NaiveDate,
    pub method: String,
    pub proxy_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct DuesWaiver {
    pub id: i64,
    pub member_id: i64,
    pub from_month: String,
    pub to_month: String,
    pub reason: String,
    pub approved_by: String,
    pub approval_ref: String,
    pub approved_on: NaiveDate,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewWaiver {
    pub from_month: String,
    pub to_month: String,
    pub reason: String,
    pub approved_by: String,
    pub approval_ref: String,
    pub approved_on: NaiveDate,
}

/// A member's whole dues record.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DuesRecord {
    pub bases: Vec<DuesBase>,
    pub payments: Vec<DuesPayment>,
    pub waivers: Vec<DuesWaiver>,
}

/// Members with their admission dates, and the dues rows of all of them.
type RecordRows = (
    Vec<(i64, NaiveDate)>,
    Vec<DuesBase>,
    Vec<DuesPayment>,
    Vec<DuesWaiver>,
);

/// What a month's notice for an org subtree is computed from.
#[derive(Debug, Clone, Default)]
pub struct DuesMonthFacts {
    /// (member id, name, branch id, branch name, the child of the org that holds them)
    pub members: Vec<(i64, String, i64, String, i64)>,
    /// (member id, effective month, monthly 分, the month it was first on record), every entry
    /// up to the month
    pub bases: Vec<(i64, String, i64, String)>,
    /// (member id, 分 paid for the month)
    pub payments: Vec<(i64, i64)>,
    /// (member id, from month, to month) overlapping the month
    pub waivers: Vec<(i64, String, String)>,
}

impl Db {
    /// The member's branch and root org, if the member is in the scope.
    async fn dues_member_branch(&self, scope: Scope, member_id: i64) -> Result<(i64, i64)> {
        let mut params = vec![Param::I64(member_id)];
        let sql = format!(
            "SELECT m.branch_id, m.root_org_id FROM members m WHERE m.id = $1 AND {}",
            scope.member_condition("m", &mut params)
        );
        let row: Option<(i64, i64)> = on_db!(self, pool => {
            bind_params!(sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_optional(pool).await?
        });
        row.ok_or(StoreError::NotFound)
    }

    /// Sets (or replaces) the base and monthly amount in force from a month on.
    pub async fn dues_base_set(
        &self,
        scope: Scope,
        member_id: i64,
        new: &NewDuesBase,
        author: &Author,
    ) -> Result<()> {
        let org_scope = match scope {
            Scope::Subtree(_) => scope,
            _ => return Err(StoreError::NotFound),
        };
        let (branch, root) = self.dues_member_branch(org_scope, member_id).await?;
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let figures_before = crate::load_member_facts!(tx, member_id);
            // `assessed_from` keeps the month the base was first on record: a correction later
            // does not turn the months it already covered back into 未核定.
            sqlx::query(
                "INSERT INTO dues_bases (member_id, root_org_id, effective_month, category, base_fen, monthly_fen, \
                 working, rule_version, set_by, set_at, assessed_from) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                 ON CONFLICT (member_id, effective_month) DO UPDATE SET category = $4, base_fen = $5, \
                 monthly_fen = $6, working = $7, rule_version = $8, set_by = $9, set_at = $10",
            )
            .bind(member_id)
            .bind(root)
            .bind(&new.effective_month)
            .bind(&new.category)
            .bind(new.base_fen)
            .bind(new.monthly_fen)
            .bind(&new.working)
            .bind(&new.rule_version)
            .bind(&author.name)
            .bind(now())
            .bind(domain::dues_ledger::Month::of(crate::today()).to_string())
            .execute(&mut *tx)
            .await?;
            crate::member_rollups_moved!(tx, member_id, figures_before);
            let changes = serde_json::json!({
                "effective_month": [null, new.effective_month],
                "category": [null, new.category],
                "base_fen": [null, new.base_fen],
                "monthly_fen": [null, new.monthly_fen],
            });
            write_audit!(
                &mut *tx, branch, author, "update", "dues", Some(member_id),
                format!("设定党费：自 {} 起每月 {} 元", new.effective_month, domain::dues::Fen(new.monthly_fen)),
                changes.to_string()
            )?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The member's bases, payments and waivers (also readable by the member themself).
    pub async fn dues_record(&self, scope: Scope, member_id: i64) -> Result<DuesRecord> {
        self.dues_records(scope, &[member_id])
            .await?
            .remove(&member_id)
            .map(|(_, record)| record)
            .ok_or(StoreError::NotFound)
    }

    /// The records of many members at once, with their admission dates, for those of them the
    /// scope holds now (as [`Db::dues_record`] would answer one by one). A branch's notice
    /// reads its members' arrears this way instead of once per member.
    pub async fn dues_records(
        &self,
        scope: Scope,
        member_ids: &[i64],
    ) -> Result<HashMap<i64, (NaiveDate, DuesRecord)>> {
        // Bound lists stay well under both engines' parameter limits.
        const CHUNK: usize = 500;
        let mut out: HashMap<i64, (NaiveDate, DuesRecord)> = HashMap::new();
        for ids in member_ids.chunks(CHUNK) {
            let mut params: Vec<Param> = ids.iter().map(|id| Param::I64(*id)).collect();
            let list = (1..=ids.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let held = format!(
                "SELECT m.id FROM members m WHERE m.id IN ({list}) AND {}",
                scope.member_condition("m", &mut params)
            );
            let members_sql =
                format!("SELECT m.id, m.admitted_on FROM members m WHERE m.id IN ({held})");
            let bases_sql = format!(
                "SELECT id, member_id, effective_month, category, base_fen, monthly_fen, working, rule_version, set_by, set_at, \
                 COALESCE(assessed_from, effective_month) AS assessed_from \
                 FROM dues_bases WHERE member_id IN ({held}) ORDER BY member_id, effective_month"
            );
            let payments_sql = format!(
                "SELECT id, member_id, branch_id, month, amount_fen, paid_on, method, proxy_name, recorded_by, recorded_at \
                 FROM dues_payments WHERE member_id IN ({held}) ORDER BY member_id, month"
            );
            let waivers_sql = format!(
                "SELECT id, member_id, from_month, to_month, reason, approved_by, approval_ref, approved_on, recorded_by, recorded_at \
                 FROM dues_waivers WHERE member_id IN ({held}) ORDER BY member_id, from_month"
            );
            let (members, bases, payments, waivers): RecordRows = on_db!(self, pool => {
                (
                    bind_params!(sqlx::query_as(sqlx::AssertSqlSafe(members_sql.as_str())), &params).fetch_all(pool).await?,
                    bind_params!(sqlx::query_as(sqlx::AssertSqlSafe(bases_sql.as_str())), &params).fetch_all(pool).await?,
                    bind_params!(sqlx::query_as(sqlx::AssertSqlSafe(payments_sql.as_str())), &params).fetch_all(pool).await?,
                    bind_params!(sqlx::query_as(sqlx::AssertSqlSafe(waivers_sql.as_str())), &params).fetch_all(pool).await?,
                )
            });
            for (id, admitted_on) in members {
                out.insert(
                    id,
                    (
                        admitted_on,
                        DuesRecord {
                            bases: Vec::new(),
                            payments: Vec::new(),
                            waivers: Vec::new(),
                        },
                    ),
                );
            }
            for base in bases {
                if let Some((_, record)) = out.get_mut(&base.member_id) {
                    record.bases.push(base);
                }
            }
            for payment in payments {
                if let Some((_, record)) = out.get_mut(&payment.member_id) {
                    record.payments.push(payment);
                }
            }
            for waiver in waivers {
                if let Some((_, record)) = out.get_mut(&waiver.member_id) {
                    record.waivers.push(waiver);
                }
            }
        }
        Ok(out)
    }

    /// Records one payment for one or more months, all or none; a month already paid is refused.
    pub async fn dues_pay(
        &self,
        scope: Scope,
        member_id: i64,
        payment: &NewPayment,
        author: &Author,
    ) -> Result<()> {
        let org_scope = match scope {
            Scope::Subtree(_) => scope,
            _ => return Err(StoreError::NotFound),
        };
        let (branch, root) = self.dues_member_branch(org_scope, member_id).await?;
        let total: i64 = payment.months.iter().map(|(_, fen)| fen).sum();
        let months: Vec<&str> = payment.months.iter().map(|(m, _)| m.as_str()).collect();
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let figures_before = crate::load_member_facts!(tx, member_id);
            // A month's dues go to the branch that held the member that month (DOMAIN.md §1.3,
            // §8), so back pay after a transfer is the old branch's collection.
            let spans: Vec<Span> = sqlx::query_as::<_, SpanRow>(SELECT_SPANS)
                .bind(member_id)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(SpanRow::span)
                .collect();
            for (month, amount) in &payment.months {
                let month_branch = domain::dues_ledger::Month::parse(month)
                    .and_then(|m| membership::branch_of_month(&spans, m))
                    .unwrap_or(branch);
                let inserted = sqlx::query(
                    "INSERT INTO dues_payments (member_id, branch_id, root_org_id, month, amount_fen, paid_on, method, \
                     proxy_name, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(member_id)
                .bind(month_branch)
                .bind(root)
                .bind(month)
                .bind(*amount)
                .bind(payment.paid_on)
                .bind(&payment.method)
                .bind(&payment.proxy_name)
                .bind(&author.name)
                .bind(now())
                .execute(&mut *tx)
                .await;
                if let Err(e) = inserted {
                    let e = StoreError::from(e);
                    return Err(if e.is_unique_violation() { StoreError::Conflict(format!("{month} 的党费已经缴纳")) } else { e });
                }
            }
            crate::member_rollups_moved!(tx, member_id, figures_before);
            let changes = serde_json::json!({"months": [null, months], "amount_fen": [null, total], "method": [null, payment.method]});
            write_audit!(
                &mut *tx, branch, author, "create", "dues_payment", Some(member_id),
                format!("登记党费 {} 个月，共 {} 元", payment.months.len(), domain::dues::Fen(total)),
                changes.to_string()
            )?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Records an approved hardship waiver (DOMAIN.md §1.1: branch study, upper committee approval).
    pub async fn dues_waive(
        &self,
        scope: Scope,
        member_id: i64,
        waiver: &NewWaiver,
        author: &Author,
    ) -> Result<()> {
        let org_scope = match scope {
            Scope::Subtree(_) => scope,
            _ => return Err(StoreError::NotFound),
        };
        let (branch, root) = self.dues_member_branch(org_scope, member_id).await?;
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let figures_before = crate::load_member_facts!(tx, member_id);
            sqlx::query(
                "INSERT INTO dues_waivers (member_id, root_org_id, from_month, to_month, reason, approved_by, approval_ref, \
                 approved_on, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(member_id)
            .bind(root)
            .bind(&waiver.from_month)
            .bind(&waiver.to_month)
            .bind(&waiver.reason)
            .bind(&waiver.approved_by)
            .bind(&waiver.approval_ref)
            .bind(waiver.approved_on)
            .bind(&author.name)
            .bind(now())
            .execute(&mut *tx)
            .await?;
            crate::member_rollups_moved!(tx, member_id, figures_before);
            let changes = serde_json::json!({"from_month": [null, waiver.from_month], "to_month": [null, waiver.to_month],
                "approved_by": [null, waiver.approved_by], "approval_ref": [null, waiver.approval_ref]});
            write_audit!(
                &mut *tx, branch, author, "create", "dues_waiver", Some(member_id),
                format!("困难党员减免 {} 至 {}（{} {}）", waiver.from_month, waiver.to_month, waiver.approved_by, waiver.approval_ref),
                changes.to_string()
            )?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Everything a month's dues notice for `org_id`'s subtree needs, limited to the scope.
    /// Members are those the subtree's branches held that month, as the membership history
    /// has it (`domain::membership::branch_of_month`): a member who moved out since still
    /// appears on the notices of the months they belonged here, and a newcomer does not appear
    /// on earlier ones. The scope applies to that branch, for the same reason.
    pub async fn dues_month_facts(
        &self,
        scope: Scope,
        org_id: i64,
        month: &str,
    ) -> Result<DuesMonthFacts> {
        let this = domain::dues_ledger::Month::parse(month)
            .ok_or_else(|| StoreError::Invalid(format!("月份「{month}」无效")))?;
        let mut params = vec![
            Param::I64(org_id),
            Param::Date(this.first_day()),
            Param::Date(this.plus(1).first_day()),
        ];
        let cond = scope.org_condition("p.branch_id", &mut params);
        // The span that holds the member on the month's first day, or, for a member admitted
        // during the month, their first span (spans follow each other without gaps, so a member
        // with no span on the first day began within the month or later).
        let held = format!(
            "SELECT p.member_id, p.branch_id FROM memberships p \
             JOIN org_closure top ON top.descendant_id = p.branch_id AND top.ancestor_id = $1 \
             WHERE {cond} AND ((p.from_on <= $2 AND (p.until_on IS NULL OR p.until_on > $2)) \
               OR (p.from_on > $2 AND p.from_on < $3 AND NOT EXISTS \
                   (SELECT 1 FROM memberships q WHERE q.member_id = p.member_id AND q.from_on < p.from_on)))"
        );
        // Members of the subtree, each with the child of `org_id` that holds them (a branch
        // directly asked for is its own "child" at depth 0).
        let members_sql = format!(
            "WITH held AS ({held}) SELECT m.id, m.name, h.branch_id, b.name, \
             COALESCE((SELECT ch.id FROM org_closure cc JOIN orgs ch ON ch.id = cc.ancestor_id \
                       WHERE cc.descendant_id = h.branch_id AND ch.parent_id = $1), h.branch_id) \
             FROM held h JOIN members m ON m.id = h.member_id JOIN orgs b ON b.id = h.branch_id \
             ORDER BY b.name, m.name_pinyin"
        );
        params.push(Param::Text(month.to_string()));
        let month_param = params.len();
        let in_held = "member_id IN (SELECT member_id FROM held)";
        let bases_sql = format!(
            "WITH held AS ({held}) SELECT member_id, effective_month, monthly_fen, \
             COALESCE(assessed_from, effective_month) FROM dues_bases \
             WHERE {in_held} AND effective_month <= ${month_param}"
        );
        let payments_sql = format!(
            "WITH held AS ({held}) SELECT member_id, amount_fen FROM dues_payments \
             WHERE {in_held} AND month = ${month_param}"
        );
        let waivers_sql = format!(
            "WITH held AS ({held}) SELECT member_id, from_month, to_month FROM dues_waivers WHERE {in_held} \
             AND from_month <= ${month_param} AND to_month >= ${month_param}"
        );
        let member_params = &params[..month_param - 1];
        let facts = on_db!(self, pool => {
            DuesMonthFacts {
                members: bind_params!(sqlx::query_as(sqlx::AssertSqlSafe(members_sql.as_str())), member_params).fetch_all(pool).await?,
                bases: bind_params!(sqlx::query_as(sqlx::AssertSqlSafe(bases_sql.as_str())), &params).fetch_all(pool).await?,
                payments: bind_params!(sqlx::query_as(sqlx::AssertSqlSafe(payments_sql.as_str())), &params).fetch_all(pool).await?,
                waivers: bind_params!(sqlx::query_as(sqlx::AssertSqlSafe(waivers_sql.as_str())), &params).fetch_all(pool).await?,
            }
        });
        Ok(facts)
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct DuesExpense {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub spent_on: NaiveDate,
    pub amount_fen: i64,
    pub purpose: String,
    pub approved_by: String,
    pub recorded_by: String,
}

#[derive(Debug, Clone)]
pub struct NewExpense {
    pub spent_on: NaiveDate,
    pub amount_fen: i64,
    pub purpose: String,
    pub approved_by: String,
}

impl Db {
    /// Records a use of dues by an org in the scope.
    pub async fn dues_expense_add(
        &self,
        scope: Scope,
        org_id: i64,
        new: &NewExpense,
        author: &Author,
    ) -> Result<i64> {
        let org = self.org_get(scope, org_id).await?;
        let id = on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO dues_expenses (org_id, root_org_id, spent_on, amount_fen, purpose, approved_by, recorded_by, recorded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(org_id)
            .bind(org.root_org_id)
            .bind(new.spent_on)
            .bind(new.amount_fen)
            .bind(&new.purpose)
            .bind(&new.approved_by)
            .bind(&author.name)
            .bind(now())
            .fetch_one(&mut *tx)
            .await?;
            let changes = serde_json::json!({"spent_on": [null, new.spent_on], "amount_fen": [null, new.amount_fen],
                "purpose": [null, new.purpose], "approved_by": [null, new.approved_by]});
            write_audit!(
                &mut *tx, org_id, author, "create", "dues_expense", Some(id),
                format!("登记党费使用 {} 元：{}", domain::dues::Fen(new.amount_fen), new.purpose),
                changes.to_string()
            )?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// Uses of dues by `org_id` and the orgs below it between two dates (inclusive), in the scope.
    pub async fn dues_expenses(
        &self,
        scope: Scope,
        org_id: i64,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DuesExpense>> {
        let mut params = vec![Param::I64(org_id), Param::Date(from), Param::Date(to)];
        let sql = format!(
            "SELECT e.id, e.org_id, o.name AS org_name, e.spent_on, e.amount_fen, e.purpose, e.approved_by, e.recorded_by \
             FROM dues_expenses e JOIN orgs o ON o.id = e.org_id \
             WHERE e.org_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = $1) \
             AND e.spent_on >= $2 AND e.spent_on <= $3 AND {} ORDER BY e.spent_on, e.id",
            scope.org_condition("e.org_id", &mut params)
        );
        let rows = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, DuesExpense>(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_all(pool).await?
        });
        Ok(rows)
    }
}
