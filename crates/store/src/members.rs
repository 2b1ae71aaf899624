//! Party members. The branch holding the 组织关系 (`branch_id`) decides who may see a member;
//! the residence 报到 (`registered_community_id`) is a separate territory link.

use crate::{
    Author, Db, Member, MemberFields, MemberFilter, MemberRow, Param, Result, Scope, StoreError,
    bind_params, now, on_db, write_audit,
};

const MEMBER_COLUMNS: &str = "m.id, m.root_org_id, m.branch_id, m.name, m.name_pinyin, m.name_initials, \
     m.gender, m.id_number, m.birth_date, m.phone, m.category, m.management_mode, m.status, \
     m.admitted_on, m.full_on, m.lost_contact, m.pocket, m.work_unit, m.registered_community_id, \
     m.registered_on, m.created_at, m.updated_at";

const ROW_COLUMNS: &str = "m.id, m.branch_id, o.name AS branch_name, m.name, m.gender, m.id_number, \
     m.birth_date, m.phone, m.category, m.management_mode, m.status, m.admitted_on, m.full_on, \
     m.lost_contact, m.pocket, m.work_unit, \
     (SELECT t.name FROM territories t WHERE t.id = m.registered_community_id) AS registered_community, \
     m.registered_on";

/// Columns written from [`MemberFields`], in bind order.
const FIELD_COLUMNS: [&str; 18] = [
    "branch_id",
    "name",
    "name_pinyin",
    "name_initials",
    "gender",
    "id_number",
    "birth_date",
    "phone",
    "category",
    "management_mode",
    "status",
    "admitted_on",
    "full_on",
    "lost_contact",
    "pocket",
    "work_unit",
    "registered_community_id",
    "registered_on",
];

/// Look-up batch size for `IN (…)` lists.
const LOOKUP_CHUNK: usize = 500;

macro_rules! bind_fields {
    ($query:expr, $f:expr) => {
        $query
            .bind($f.branch_id)
            .bind($f.name.clone())
            .bind($f.name_pinyin.clone())
            .bind($f.name_initials.clone())
            .bind($f.gender.clone())
            .bind($f.id_number.clone())
            .bind($f.birth_date)
            .bind($f.phone.clone())
            .bind($f.category.clone())
            .bind($f.management_mode.clone())
            .bind($f.status.clone())
            .bind($f.admitted_on)
            .bind($f.full_on)
            .bind($f.lost_contact)
            .bind($f.pocket)
            .bind($f.work_unit.clone())
            .bind($f.registered_community_id)
            .bind($f.registered_on)
    };
}

/// Smallest string greater than every string starting with `prefix`, for index-friendly prefix
/// ranges that behave the same on SQLite and on PostgreSQL's "C" collation.
fn prefix_upper_bound(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// Which stored name key a query is matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameKey {
    Name,
    Pinyin,
    Initials,
}

impl NameKey {
    fn column(self) -> &'static str {
        match self {
            NameKey::Name => "m.name",
            NameKey::Pinyin => "m.name_pinyin",
            NameKey::Initials => "m.name_initials",
        }
    }
}

/// Chinese text is matched against names; Latin letters against pinyin and initials. One letter
/// needs only pinyin: a name's pinyin and its initials start with the same letter.
fn keys_for(query: &str) -> Vec<NameKey> {
    if !query.is_ascii() {
        vec![NameKey::Name]
    } else if query.chars().count() == 1 {
        vec![NameKey::Pinyin]
    } else {
        vec![NameKey::Pinyin, NameKey::Initials]
    }
}

/// What finds the rows: the scope's branches (small scopes) or a name index walked in order
/// (large scopes, where sorting every member of the scope would cost more than skipping those
/// outside it). Both engines' planners guess poorly between the two on skewed
/// name data, so the statement is written to leave them one sensible choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Drive {
    Branches,
    NameIndex,
}

/// Scopes with at most this many orgs are searched branch by branch.
const SMALL_SCOPE_ORGS: i64 = 40;

fn conditions(
    scope: Scope,
    filter: &MemberFilter,
    drive: Drive,
    keys: &[NameKey],
    params: &mut Vec<Param>,
) -> String {
    let mut sql = match drive {
        Drive::Branches => scope.member_condition("m", params),
        Drive::NameIndex => scope.member_condition_correlated("m", params),
    };
    if let Some(org) = filter.org_id {
        params.push(Param::I64(org));
        let n = params.len();
        sql.push_str(&match drive {
            Drive::Branches => format!(" AND m.branch_id IN (SELECT fc.descendant_id FROM org_closure fc WHERE fc.ancestor_id = ${n})"),
            Drive::NameIndex => format!(" AND EXISTS (SELECT 1 FROM org_closure fc WHERE fc.ancestor_id = ${n} AND fc.descendant_id = m.branch_id)"),
        });
    }
    if let Some(q) = filter
        .query
        .as_deref()
        .filter(|q| !q.is_empty() && !keys.is_empty())
    {
        params.push(Param::Text(q.to_string()));
        let lo = params.len();
        params.push(Param::Text(prefix_upper_bound(q)));
        let hi = params.len();
        let ranges: Vec<String> = keys
            .iter()
            .map(|key| {
                // `|| ''` keeps the planner off the name index when branches should drive.
                let column = match drive {
                    Drive::Branches => format!("({} || '')", key.column()),
                    Drive::NameIndex => key.column().to_string(),
                };
                format!("({column} >= ${lo} AND {column} < ${hi})")
            })
            .collect();
        sql.push_str(&format!(" AND ({})", ranges.join(" OR ")));
    }
    for (column, value) in [("category", &filter.category), ("status", &filter.status)] {
        if let Some(v) = value {
            params.push(Param::Text(v.clone()));
            sql.push_str(&format!(" AND m.{column} = ${}", params.len()));
        }
    }
    for (column, value) in [
        ("lost_contact", filter.lost_contact),
        ("pocket", filter.pocket),
    ] {
        if let Some(v) = value {
            params.push(Param::Bool(v));
            sql.push_str(&format!(" AND m.{column} = ${}", params.len()));
        }
    }
    sql
}

/// The conditions of a full listing of the filter's matches (exports, exact counts).
fn filter_sql(scope: Scope, filter: &MemberFilter, params: &mut Vec<Param>) -> String {
    let keys = filter.query.as_deref().map(keys_for).unwrap_or_default();
    conditions(scope, filter, Drive::Branches, &keys, params)
}

impl Db {
    /// The name keys a filter's query is matched on, and what should find the rows. Listings
    /// without a query are planned the same way: a large scope walks the pinyin index in order
    /// rather than sorting every member it holds.
    async fn search_plan(
        &self,
        scope: Scope,
        filter: &MemberFilter,
    ) -> Result<(Vec<NameKey>, Drive)> {
        let keys = filter
            .query
            .as_deref()
            .filter(|q| !q.is_empty())
            .map(keys_for)
            .unwrap_or_default();
        Ok((keys, self.search_drive(scope, filter).await?))
    }

    /// How a search over `scope` should find its rows.
    async fn search_drive(&self, scope: Scope, filter: &MemberFilter) -> Result<Drive> {
        let top = match (filter.org_id, scope) {
            (Some(org), _) | (None, Scope::Subtree(org)) => org,
            (None, _) => return Ok(Drive::Branches),
        };
        let (orgs,): (i64,) = on_db!(self, pool => {
            sqlx::query_as("SELECT COUNT(*) FROM org_closure WHERE ancestor_id = $1")
                .bind(top)
                .fetch_one(pool)
                .await?
        });
        Ok(if orgs <= SMALL_SCOPE_ORGS {
            Drive::Branches
        } else {
            Drive::NameIndex
        })
    }

    /// One page of members in the scope matching the filter: by pinyin, or by name for a
    /// Chinese query.
    pub async fn member_search(
        &self,
        scope: Scope,
        filter: &MemberFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<MemberRow>> {
        let (keys, drive) = self.search_plan(scope, filter).await?;
        let order = if keys == [NameKey::Name] {
            "m.name, m.id"
        } else {
            "m.name_pinyin, m.id"
        };
        let mut params = Vec::new();
        let cond = if drive == Drive::NameIndex && keys.len() > 1 {
            // Each key's own index yields its first rows in order; their union is small.
            let wanted = offset + limit;
            let parts: Vec<String> = keys
                .iter()
                .enumerate()
                .map(|(i, key)| {
                    let c = conditions(scope, filter, drive, &[*key], &mut params);
                    format!("SELECT id FROM (SELECT m.id FROM members m WHERE {c} ORDER BY {order} LIMIT {wanted}) part{i}")
                })
                .collect();
            format!("m.id IN ({})", parts.join(" UNION "))
        } else {
            conditions(scope, filter, drive, &keys, &mut params)
        };
        params.push(Param::I64(limit));
        params.push(Param::I64(offset));
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM members m JOIN orgs o ON o.id = m.branch_id WHERE {cond} \
             ORDER BY {order} LIMIT ${} OFFSET ${}",
            params.len() - 1,
            params.len()
        );
        let rows = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, MemberRow>(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_all(pool).await?
        });
        Ok(rows)
    }

    /// Counts matches up to `cap` and says whether there were more: a search box must stay fast
    /// on a district of a million members, where an exact total would read every row.
    pub async fn member_count_capped(
        &self,
        scope: Scope,
        filter: &MemberFilter,
        cap: i64,
    ) -> Result<(i64, bool)> {
        let (keys, drive) = self.search_plan(scope, filter).await?;
        let mut params = Vec::new();
        let cond = conditions(scope, filter, drive, &keys, &mut params);
        params.push(Param::I64(cap + 1));
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM members m WHERE {cond} LIMIT ${}) capped",
            params.len()
        );
        let (n,): (i64,) = on_db!(self, pool => {
            bind_params!(sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_one(pool).await?
        });
        Ok((n.min(cap), n > cap))
    }

    pub async fn member_count(&self, scope: Scope, filter: &MemberFilter) -> Result<i64> {
        let mut params = Vec::new();
        let cond = filter_sql(scope, filter, &mut params);
        let sql = format!("SELECT COUNT(*) FROM members m WHERE {cond}");
        let (n,): (i64,) = on_db!(self, pool => {
            bind_params!(sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_one(pool).await?
        });
        Ok(n)
    }

    /// Members in the scope after `after_id`, by id: the export walks the whole scope in pages
    /// without holding it in memory or paying for large offsets.
    pub async fn member_export_page(
        &self,
        scope: Scope,
        filter: &MemberFilter,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<MemberRow>> {
        let mut params = Vec::new();
        let cond = filter_sql(scope, filter, &mut params);
        params.push(Param::I64(after_id));
        params.push(Param::I64(limit));
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM members m JOIN orgs o ON o.id = m.branch_id WHERE {cond} \
             AND m.id > ${} ORDER BY m.id LIMIT ${}",
            params.len() - 1,
            params.len()
        );
        let rows = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, MemberRow>(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_all(pool).await?
        });
        Ok(rows)
    }

    pub async fn member_get(&self, scope: Scope, id: i64) -> Result<Member> {
        let mut params = vec![Param::I64(id)];
        let cond = scope.member_condition("m", &mut params);
        let sql = format!("SELECT {MEMBER_COLUMNS} FROM members m WHERE m.id = $1 AND {cond}");
        let member = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, Member>(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_optional(pool).await?
        });
        member.ok_or(StoreError::NotFound)
    }

    /// Which of these 身份证号 are already registered (anywhere: a person has one membership).
    pub async fn member_existing_id_numbers(&self, numbers: &[String]) -> Result<Vec<String>> {
        let mut found = Vec::new();
        for chunk in numbers.chunks(LOOKUP_CHUNK) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT id_number FROM members WHERE id_number IN ({})",
                placeholders.join(", ")
            );
            let rows: Vec<(String,)> = on_db!(self, pool => {
                let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()));
                for n in chunk {
                    query = query.bind(n.clone());
                }
                query.fetch_all(pool).await?
            });
            found.extend(rows.into_iter().map(|(n,)| n));
        }
        Ok(found)
    }

    /// Registers one member in a branch of the scope.
    pub async fn member_create(
        &self,
        scope: Scope,
        fields: &MemberFields,
        author: &Author,
    ) -> Result<Member> {
        let ids = self
            .member_insert_many(scope, std::slice::from_ref(fields), author)
            .await?;
        self.member_get(scope, ids[0]).await
    }

    /// Inserts many members in one transaction: either all are written, with one audit row
    /// each, or none. Every target branch must lie in the scope.
    pub async fn member_insert_many(
        &self,
        scope: Scope,
        rows: &[MemberFields],
        author: &Author,
    ) -> Result<Vec<i64>> {
        self.insert_members(scope, rows, author, None).await
    }

    /// The import of a file: [`Db::member_insert_many`] plus the import's summary audit row
    /// (`import` on `member`, at `org_id`), all in one transaction.
    pub async fn member_import(
        &self,
        scope: Scope,
        rows: &[MemberFields],
        author: &Author,
        org_id: i64,
        summary: &str,
    ) -> Result<Vec<i64>> {
        self.insert_members(scope, rows, author, Some((org_id, summary)))
            .await
    }

    async fn insert_members(
        &self,
        scope: Scope,
        rows: &[MemberFields],
        author: &Author,
        import_summary: Option<(i64, &str)>,
    ) -> Result<Vec<i64>> {
        let mut branches: Vec<i64> = rows.iter().map(|r| r.branch_id).collect();
        branches.sort_unstable();
        branches.dedup();
        let mut ids = Vec::with_capacity(rows.len());
        let at = now();
        let rows_per_statement =
            (self.max_params_per_statement() / (FIELD_COLUMNS.len() + 3)).max(1);
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            for branch in &branches {
                let mut params = vec![Param::I64(*branch)];
                let sql = format!(
                    "SELECT COUNT(*) FROM orgs o WHERE o.id = $1 AND o.kind = 'branch' AND {}",
                    scope.org_condition("o.id", &mut params)
                );
                let (n,): (i64,) = bind_params!(sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_one(&mut *tx).await?;
                if n != 1 {
                    // Out-of-scope targets look exactly like missing ones.
                    return Err(StoreError::NotFound);
                }
            }
            for chunk in rows.chunks(rows_per_statement) {
                let width = FIELD_COLUMNS.len() + 3;
                let values: Vec<String> = (0..chunk.len())
                    .map(|r| {
                        let base = r * width;
                        let cols: Vec<String> = (1..=width).map(|c| format!("${}", base + c)).collect();
                        format!("({})", cols.join(", "))
                    })
                    .collect();
                let sql = format!(
                    "INSERT INTO members ({}, root_org_id, created_at, updated_at) VALUES {} RETURNING id, id_number",
                    FIELD_COLUMNS.join(", "),
                    values.join(", ")
                );
                let mut query = sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(sql.as_str()));
                for f in chunk {
                    query = bind_fields!(query, f);
                    query = query.bind(0_i64).bind(at).bind(at);
                }
                let returned = query.fetch_all(&mut *tx).await.map_err(|e| {
                    let e = StoreError::from(e);
                    if e.is_unique_violation() {
                        StoreError::Conflict("身份证号已登记".into())
                    } else {
                        e
                    }
                })?;
                let by_number: std::collections::HashMap<&str, i64> =
                    returned.iter().map(|(id, n)| (n.as_str(), *id)).collect();
                for f in chunk {
                    let id = by_number[f.id_number.as_str()];
                    ids.push(id);
                    write_audit!(
                        &mut *tx, f.branch_id, author, "create", "member", Some(id),
                        format!("登记党员 {}", f.name), crate::audit::created(f)
                    )?;
                }
            }
            sqlx::query(
                "UPDATE members SET root_org_id = (SELECT root_org_id FROM orgs WHERE orgs.id = members.branch_id) \
                 WHERE root_org_id = 0",
            )
            .execute(&mut *tx)
            .await?;
            if let Some((org_id, summary)) = import_summary {
                write_audit!(&mut *tx, org_id, author, "import", "member", None::<i64>, summary, "{}")?;
            }
            tx.commit().await?;
        });
        Ok(ids)
    }

    /// Changes a member in the scope; a move to another branch must also stay in the scope.
    pub async fn member_update(
        &self,
        scope: Scope,
        id: i64,
        fields: &MemberFields,
        author: &Author,
    ) -> Result<Member> {
        let old = self.member_get(scope, id).await?;
        let old_fields = MemberFields::from(&old);
        if &old_fields == fields {
            return Ok(old);
        }
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let mut params = vec![Param::I64(fields.branch_id)];
            let sql = format!(
                "SELECT COUNT(*) FROM orgs o WHERE o.id = $1 AND o.kind = 'branch' AND {}",
                scope.org_condition("o.id", &mut params)
            );
            let (n,): (i64,) = bind_params!(sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_one(&mut *tx).await?;
            if n != 1 {
                return Err(StoreError::NotFound);
            }
            let assignments: Vec<String> = FIELD_COLUMNS
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c} = ${}", i + 1))
                .collect();
            let mut scope_params = Vec::new();
            // Placeholders continue after the 18 fields, the timestamp and the id.
            scope_params.resize(FIELD_COLUMNS.len() + 2, Param::I64(0));
            let cond = scope.org_condition("members.branch_id", &mut scope_params);
            let sql = format!(
                "UPDATE members SET {}, updated_at = ${} WHERE id = ${} AND {cond}",
                assignments.join(", "),
                FIELD_COLUMNS.len() + 1,
                FIELD_COLUMNS.len() + 2
            );
            let query = bind_fields!(sqlx::query(sqlx::AssertSqlSafe(sql.as_str())), fields).bind(now()).bind(id);
            let done = bind_params!(query, &scope_params[FIELD_COLUMNS.len() + 2..])
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    let e = StoreError::from(e);
                    if e.is_unique_violation() { StoreError::Conflict("身份证号已登记".into()) } else { e }
                })?;
            if done.rows_affected() != 1 {
                return Err(StoreError::NotFound);
            }
            write_audit!(
                &mut *tx, fields.branch_id, author, "update", "member", Some(id),
                format!("修改党员 {}", fields.name), crate::audit::diff(&old_fields, fields)
            )?;
            tx.commit().await?;
        });
        self.member_get(scope, id).await
    }
}

impl Db {
    /// Members in the scope admitted in `month` (1–12) of any year: the month's 政治生日
    /// (DOMAIN.md §9), by day of month.
    pub async fn member_admitted_in_month(
        &self,
        scope: Scope,
        month: u32,
    ) -> Result<Vec<MemberRow>> {
        let mut params = vec![Param::I64(month as i64)];
        let cond = scope.member_condition("m", &mut params);
        // Month and day of a date are spelt differently by the two engines.
        let (month_of, day_of) = match self {
            Db::Sqlite(_) => (
                "CAST(strftime('%m', m.admitted_on) AS INTEGER)",
                "CAST(strftime('%d', m.admitted_on) AS INTEGER)",
            ),
            Db::Postgres(_) => (
                "CAST(EXTRACT(MONTH FROM m.admitted_on) AS BIGINT)",
                "CAST(EXTRACT(DAY FROM m.admitted_on) AS BIGINT)",
            ),
        };
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM members m JOIN orgs o ON o.id = m.branch_id \
             WHERE {month_of} = $1 AND {cond} ORDER BY {day_of}, m.name_pinyin, m.id"
        );
        let rows = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, MemberRow>(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_all(pool).await?
        });
        Ok(rows)
    }
}

impl Db {
    /// How many 正式党员 each branch at or below `org_id` had at the start of each month of
    /// `year`, counted in SQL: the ledger needs twelve numbers per branch, not a million dates
    /// (measured on 1,000,000 members: reading every date took most of the district roll-up's
    /// 2.2 s). Branches without any 正式党员 are absent.
    pub async fn member_formal_counts_by_month(
        &self,
        scope: Scope,
        org_id: i64,
        year: i32,
    ) -> Result<Vec<(i64, [u32; 12])>> {
        let starts: Vec<chrono::NaiveDate> = (1..=12)
            .filter_map(|m| chrono::NaiveDate::from_ymd_opt(year, m, 1))
            .collect();
        if starts.len() != 12 {
            return Ok(Vec::new());
        }
        let mut params = vec![Param::I64(org_id)];
        // Bucket k (1–12): first counted at the start of month k; 13: not yet by December.
        let mut bucket = String::from("CASE");
        for (k, start) in starts.iter().enumerate() {
            params.push(Param::Date(*start));
            bucket.push_str(&format!(
                " WHEN m.full_on <= ${} THEN {}",
                params.len(),
                k + 1
            ));
        }
        bucket.push_str(" ELSE 13 END");
        let sql = format!(
            "SELECT m.branch_id, {bucket} AS bucket, COUNT(*) FROM members m \
             WHERE m.full_on IS NOT NULL AND m.branch_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = $1) AND {} \
             GROUP BY 1, 2",
            scope.member_condition("m", &mut params)
        );
        let rows = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, (i64, i32, i64)>(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_all(pool).await?
        });
        let mut counts: std::collections::BTreeMap<i64, [u32; 12]> = Default::default();
        for (branch, bucket, n) in rows {
            let months = counts.entry(branch).or_insert([0; 12]);
            let n = u32::try_from(n).unwrap_or(u32::MAX);
            for month in months
                .iter_mut()
                .skip(usize::try_from(bucket - 1).unwrap_or(12))
            {
                *month += n;
            }
        }
        Ok(counts.into_iter().collect())
    }
}
