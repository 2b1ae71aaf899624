//! Party members. The branch holding the 组织关系 (`branch_id`) decides who may see a member;
//! the residence 报到 (`registered_community_id`) is a separate territory link.

use domain::membership::{self, MembershipReason, Span};

use crate::memberships::{SELECT_SPANS, SpanRow, history_error, spans_text};
use crate::{
    Author, BeginWrite, BranchMove, Db, Member, MemberFields, MemberFilter, MemberRow, Param,
    Result, Scope, StoreError, bind_params, branch_names, now, on_db, save_spans, write_audit,
};

pub(crate) const MEMBER_COLUMNS: &str = "m.id, m.root_org_id, m.branch_id, m.name, m.name_pinyin, m.name_initials, \
     m.gender, m.id_number, m.birth_date, m.phone, m.category, m.management_mode, m.status, \
     m.admitted_on, m.full_on, m.lost_contact, m.pocket, m.work_unit, m.registered_community_id, \
     m.registered_on, m.ethnicity, m.education, m.native_place, m.party_post, m.party_post_org_id, \
     m.work_started_on, m.left_on, m.created_at, m.updated_at";

const ROW_COLUMNS: &str = "m.id, m.branch_id, o.name AS branch_name, m.name, m.gender, m.id_number, \
     m.birth_date, m.phone, m.category, m.management_mode, m.status, m.admitted_on, m.full_on, \
     m.lost_contact, m.pocket, m.work_unit, \
     (SELECT t.name FROM territories t WHERE t.id = m.registered_community_id) AS registered_community, \
     m.registered_on, m.ethnicity, m.education, m.native_place, m.party_post, \
     (SELECT po.name FROM orgs po WHERE po.id = m.party_post_org_id) AS party_post_org, \
     m.work_started_on";

/// Columns written from [`MemberFields`], in bind order.
const FIELD_COLUMNS: [&str; 24] = [
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
    "ethnicity",
    "education",
    "native_place",
    "party_post",
    "party_post_org_id",
    "work_started_on",
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
            .bind($f.ethnicity.clone())
            .bind($f.education.clone())
            .bind($f.native_place.clone())
            .bind($f.party_post.clone())
            .bind($f.party_post_org_id)
            .bind($f.work_started_on)
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
    // A member who left the roll (transferred out of the district, removed) is kept with their
    // history but listed by no branch.
    sql.push_str(" AND m.left_on IS NULL");
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
    for (column, value) in [
        ("category", &filter.category),
        ("status", &filter.status),
        ("gender", &filter.gender),
    ] {
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
    for (condition, date) in [
        ("m.birth_date >=", filter.born_from),
        ("m.birth_date <", filter.born_before),
        ("m.full_on >=", filter.full_from),
        ("m.full_on <", filter.full_before),
    ] {
        if let Some(d) = date {
            params.push(Param::Date(d));
            sql.push_str(&format!(" AND {condition} ${}", params.len()));
        }
    }
    if filter.incomplete == Some(true) {
        sql.push_str(" AND m.status = 'full' AND m.full_on IS NULL");
    }
    match filter.education.as_deref() {
        None => {}
        Some("unknown") => sql.push_str(" AND m.education IS NULL"),
        Some(code) => {
            params.push(Param::Text(code.to_string()));
            sql.push_str(&format!(" AND m.education = ${}", params.len()));
        }
    }
    if let Some(name) = &filter.ethnicity {
        params.push(Param::Text(name.clone()));
        sql.push_str(&format!(" AND m.ethnicity = ${}", params.len()));
    }
    match filter.party_post.as_deref() {
        None => {}
        Some("any") => sql.push_str(" AND m.party_post IS NOT NULL"),
        Some(code) => {
            params.push(Param::Text(code.to_string()));
            sql.push_str(&format!(" AND m.party_post = ${}", params.len()));
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
                    // The initials' matches are sorted by pinyin after their own index found
                    // them: `|| ''` keeps the planner from walking the pinyin index in order
                    // and filtering on initials instead, which reaches "zs" only after most of
                    // a district (PostgreSQL, 1,000,000 members: 1.7 s against 10 ms).
                    let part_order = if *key == NameKey::Initials {
                        "(m.name_pinyin || ''), m.id"
                    } else {
                        order
                    };
                    format!("SELECT id FROM (SELECT m.id FROM members m WHERE {c} ORDER BY {part_order} LIMIT {wanted}) part{i}")
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

    /// Members whose records need attention, for the data-quality list: a 正式党员 without a
    /// 转正日期 (counted as 正式 all along, but the record is incomplete), and a 预备党员 whose
    /// probation began on or before `probation_began_by` (a year ago: DOMAIN.md §3, probation
    /// is 12 months) and who is still recorded as 预备.
    pub async fn member_data_problems(
        &self,
        scope: Scope,
        probation_began_by: chrono::NaiveDate,
        limit: i64,
    ) -> Result<Vec<MemberProblem>> {
        let mut params = vec![Param::Date(probation_began_by), Param::I64(limit)];
        let cond = scope.member_condition("m", &mut params);
        let sql = format!(
            "SELECT {ROW_COLUMNS}, CASE WHEN m.status = 'full' THEN 'missing_full_on' ELSE 'probation_overdue' END AS problem \
             FROM members m JOIN orgs o ON o.id = m.branch_id \
             WHERE {cond} AND ((m.status = 'full' AND m.full_on IS NULL) OR (m.status = 'probationary' AND m.admitted_on <= $1)) \
             ORDER BY o.name, m.name_pinyin, m.id LIMIT $2"
        );
        let rows = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, MemberProblem>(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_all(pool).await?
        });
        Ok(rows)
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

    /// The names of the branch holding a member and of the org their post is on, for a record
    /// the caller has already read within its scope: a member reading their own page sees
    /// where they belong by name.
    pub async fn member_org_names(&self, member: &Member) -> Result<(String, Option<String>)> {
        let row: Option<(String, Option<String>)> = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT o.name, po.name FROM members m JOIN orgs o ON o.id = m.branch_id \
                 LEFT JOIN orgs po ON po.id = m.party_post_org_id WHERE m.id = $1",
            )
            .bind(member.id)
            .fetch_optional(pool)
            .await?
        });
        row.ok_or(StoreError::NotFound)
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
        Ok(self.insert_members(scope, rows, author, None).await?.ids)
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
    ) -> Result<MemberImport> {
        self.insert_members(scope, rows, author, Some((org_id, summary)))
            .await
    }

    async fn insert_members(
        &self,
        scope: Scope,
        rows: &[MemberFields],
        author: &Author,
        import_summary: Option<(i64, &str)>,
    ) -> Result<MemberImport> {
        let mut branches: Vec<i64> = rows.iter().map(|r| r.branch_id).collect();
        branches.sort_unstable();
        branches.dedup();
        let mut ids = Vec::with_capacity(rows.len());
        let at = now();
        let rows_per_statement =
            (self.max_params_per_statement() / (FIELD_COLUMNS.len() + 3)).max(1);
        let figures_time: std::time::Duration;
        let mut summing = self.sum_figures_aside(rows).await?;
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // Each row is written with its root from the start: on a distributed database the
            // root is where the row lives, and a row cannot be moved there afterwards.
            let mut root_of_branch = std::collections::HashMap::with_capacity(branches.len());
            for branch in &branches {
                let mut params = vec![Param::I64(*branch)];
                let sql = format!(
                    "SELECT o.root_org_id FROM orgs o WHERE o.id = $1 AND o.kind = 'branch' AND {}",
                    scope.org_condition("o.id", &mut params)
                );
                let root: Option<(i64,)> = bind_params!(sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_optional(&mut *tx).await?;
                // Out-of-scope targets look exactly like missing ones.
                let (root,) = root.ok_or(StoreError::NotFound)?;
                root_of_branch.insert(*branch, root);
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
                    query = query.bind(root_of_branch[&f.branch_id]).bind(at).bind(at);
                }
                let returned = query.fetch_all(&mut *tx).await.map_err(|e| {
                    let e = StoreError::from(e);
                    if e.is_unique_violation() {
                        StoreError::IdNumberTaken
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
            // Each member's history starts with the admission in the branch they are
            // registered with (DOMAIN.md §8).
            let span_width = 6;
            for chunk in ids.iter().zip(rows).collect::<Vec<_>>().chunks(rows_per_statement.min(self.max_params_per_statement() / span_width).max(1)) {
                let values: Vec<String> = (0..chunk.len())
                    .map(|r| {
                        let cols: Vec<String> = (1..=span_width).map(|c| format!("${}", r * span_width + c)).collect();
                        format!("({}, NULL, 'admission', {})", cols[..4].join(", "), cols[4..].join(", "))
                    })
                    .collect();
                let sql = format!(
                    "INSERT INTO memberships (root_org_id, member_id, branch_id, from_on, until_on, reason, recorded_by, recorded_at) VALUES {}",
                    values.join(", ")
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
                for (id, f) in chunk {
                    query = query.bind(root_of_branch[&f.branch_id]).bind(**id).bind(f.branch_id).bind(f.admitted_on).bind(author.name.clone()).bind(at);
                }
                query.execute(&mut *tx).await?;
            }
            // The new members' figures, added up the tree in one pass per branch.
            let figures_started = std::time::Instant::now();
            if let Some(first) = rows.first() {
                let (root,): (i64,) = sqlx::query_as("SELECT root_org_id FROM orgs WHERE id = $1")
                    .bind(first.branch_id)
                    .fetch_one(&mut *tx)
                    .await?;
                let ctx = crate::rollup_context!(tx, root);
                let leaves = match summing.take() {
                    Some((summed_under, summed)) if summed_under == ctx => summed
                        .await
                        .map_err(|e| StoreError::Invalid(format!("统计汇总失败：{e}")))?,
                    // The sweep took the figures into a new month meanwhile: summed again under it.
                    _ => {
                        let added: Vec<domain::rollups::Contribution> = rows
                            .iter()
                            .flat_map(|f| domain::rollups::member_contributions(&new_member_facts(f), &ctx))
                            .collect();
                        crate::rollups::by_leaf(&added)
                    }
                };
                crate::apply_rollup_leaves!(tx, root, leaves);
            }
            figures_time = figures_started.elapsed();
            if let Some((org_id, summary)) = import_summary {
                write_audit!(&mut *tx, org_id, author, "import", "member", None::<i64>, summary, "{}")?;
            }
            tx.commit().await?;
        });
        Ok(MemberImport { ids, figures_time })
    }

    /// For a large insert, starts summing the new members' figures on a blocking thread, under
    /// the figures' context as it stands now, so that the arithmetic (seconds for 100,000
    /// members) runs while the rows are written instead of after. The write checks the context
    /// again inside its transaction and sums afresh if the sweep moved it meanwhile.
    async fn sum_figures_aside(&self, rows: &[MemberFields]) -> Result<Option<FiguresAside>> {
        let Some(first) = rows.first().filter(|_| rows.len() >= SUM_ASIDE_FROM) else {
            return Ok(None);
        };
        let root: Option<(i64,)> = on_db!(self, pool => {
            sqlx::query_as("SELECT root_org_id FROM orgs WHERE id = $1")
                .bind(first.branch_id)
                .fetch_optional(pool)
                .await?
        });
        let Some((root,)) = root else {
            return Ok(None);
        };
        let ctx = self
            .rollup_meta(root)
            .await?
            .map(|m| m.context())
            .unwrap_or_else(|| domain::rollups::RollupContext {
                today: crate::today(),
                fixing: Default::default(),
            });
        let facts: Vec<domain::rollups::MemberFacts> = rows.iter().map(new_member_facts).collect();
        let summed_under = ctx.clone();
        let summing = tokio::task::spawn_blocking(move || {
            let added: Vec<domain::rollups::Contribution> = facts
                .iter()
                .flat_map(|f| domain::rollups::member_contributions(f, &ctx))
                .collect();
            crate::rollups::by_leaf(&added)
        });
        Ok(Some((summed_under, summing)))
    }

    /// Changes a member in the scope; a move to another branch must also stay in the scope, and
    /// says when and why (`branch_move`): the member's history gets a new span, or, for a
    /// correction, what was recorded from that day is replaced (`domain::membership`). A
    /// correction may also move a date without changing the branch.
    ///
    /// The member is locked and read inside the write transaction, so the audit row's "before"
    /// is the row this save replaced, not one a concurrent save already changed.
    pub async fn member_update(
        &self,
        scope: Scope,
        id: i64,
        fields: &MemberFields,
        branch_move: Option<BranchMove>,
        author: &Author,
    ) -> Result<Member> {
        let lock_sql = format!("SELECT id FROM members WHERE id = $1{}", self.for_update());
        let mut read_params = vec![Param::I64(id)];
        let read_sql = format!(
            "SELECT {MEMBER_COLUMNS} FROM members m WHERE m.id = $1 AND {}",
            scope.member_condition("m", &mut read_params),
        );
        let today = crate::today();
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // Locked by id alone first: a locking read with the scope join would, after waiting,
            // re-check the join against the old partner row and lose a member that was moved.
            sqlx::query(sqlx::AssertSqlSafe(lock_sql.as_str())).bind(id).fetch_optional(&mut *tx).await?;
            let old: Member = bind_params!(sqlx::query_as(sqlx::AssertSqlSafe(read_sql.as_str())), &read_params)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            let figures_before = crate::load_member_facts!(tx, id);
            let old_fields = MemberFields::from(&old);
            let corrects_history = branch_move.is_some_and(|m| m.reason == MembershipReason::Correction);
            if &old_fields == fields && !corrects_history {
                return Ok(old);
            }
            let mut params = vec![Param::I64(fields.branch_id)];
            let sql = format!(
                "SELECT COUNT(*) FROM orgs o WHERE o.id = $1 AND o.kind = 'branch' AND {}",
                scope.org_condition("o.id", &mut params)
            );
            let (n,): (i64,) = bind_params!(sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_one(&mut *tx).await?;
            if n != 1 {
                return Err(StoreError::NotFound);
            }
            let stored: Vec<SpanRow> = sqlx::query_as(SELECT_SPANS).bind(id).fetch_all(&mut *tx).await?;
            let before: Vec<Span> = stored.iter().map(SpanRow::span).collect();
            let mut after = before.clone();
            if fields.admitted_on != old.admitted_on {
                after = membership::admission_moved(&after, fields.admitted_on).ok_or_else(|| {
                    StoreError::Invalid("入党日期不能晚于第一次组织关系变动的日期".into())
                })?;
            }
            if fields.branch_id != old.branch_id || corrects_history {
                let change = branch_move.ok_or_else(|| {
                    StoreError::Invalid("变更党支部须写明变动日期和原因".into())
                })?;
                after = match change.reason {
                    MembershipReason::Correction => match membership::correct(&after, fields.branch_id, change.on, today) {
                        // The history was already right; the rest of the save still stands.
                        Err(membership::HistoryError::NothingToCorrect) if &old_fields != fields => Ok(after),
                        other => other,
                    },
                    reason => membership::move_to(&after, fields.branch_id, change.on, reason, today),
                }
                .map_err(history_error)?;
            }
            let assignments: Vec<String> = FIELD_COLUMNS
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c} = ${}", i + 1))
                .collect();
            let sql = format!(
                "UPDATE members SET {}, updated_at = ${} WHERE id = ${}",
                assignments.join(", "),
                FIELD_COLUMNS.len() + 1,
                FIELD_COLUMNS.len() + 2
            );
            bind_fields!(sqlx::query(sqlx::AssertSqlSafe(sql.as_str())), fields)
                .bind(now())
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    let e = StoreError::from(e);
                    if e.is_unique_violation() { StoreError::IdNumberTaken } else { e }
                })?;
            let mut changes: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&crate::audit::diff(&old_fields, fields)).unwrap_or_default();
            if after != before {
                save_spans!(tx, old.root_org_id, id, &stored, &after, author);
                let names = branch_names!(tx, before.iter().chain(&after));
                changes.insert(
                    "membership".into(),
                    serde_json::json!([spans_text(&before, &names), spans_text(&after, &names)]),
                );
            }
            crate::member_rollups_moved!(tx, id, figures_before);
            write_audit!(
                &mut *tx, fields.branch_id, author, "update", "member", Some(id),
                format!("修改党员 {}", fields.name), serde_json::Value::Object(changes).to_string()
            )?;
            tx.commit().await?;
        });
        self.member_get(scope, id).await
    }
}

impl Db {
    /// Members in the scope admitted on `month`/`day` of an earlier year: today's political
    /// birthdays (DOMAIN.md §9), at most `limit`, with how many there are in all. The look-up
    /// goes through the month-and-day index, so it reads that day's members only.
    pub async fn member_birthdays_on(
        &self,
        scope: Scope,
        on: chrono::NaiveDate,
        limit: i64,
    ) -> Result<(Vec<MemberRow>, i64)> {
        use chrono::Datelike;
        let (key_sql, key) = match self {
            Db::Sqlite(_) => (
                "strftime('%m-%d', m.admitted_on) = $1",
                Param::Text(format!("{:02}-{:02}", on.month(), on.day())),
            ),
            Db::Postgres(_) => (
                "(EXTRACT(MONTH FROM m.admitted_on) * 100 + EXTRACT(DAY FROM m.admitted_on)) = CAST($1 AS NUMERIC)",
                Param::I64(i64::from(on.month() * 100 + on.day())),
            ),
        };
        let mut params = vec![key, Param::Date(on)];
        let cond = scope.member_condition("m", &mut params);
        let filter = format!("{key_sql} AND m.admitted_on < $2 AND {cond}");
        let count_sql = format!("SELECT COUNT(*) FROM members m WHERE {filter}");
        params.push(Param::I64(limit));
        // By id, the order of the day's index entries, so that the first few are read without
        // sorting the whole day's members (2,700 in a district of a million).
        let list_sql = format!(
            "SELECT {ROW_COLUMNS} FROM members m JOIN orgs o ON o.id = m.branch_id WHERE {filter} \
             ORDER BY m.id LIMIT ${}",
            params.len()
        );
        let (rows, (n,)) = on_db!(self, pool => {
            let rows = bind_params!(sqlx::query_as::<_, MemberRow>(sqlx::AssertSqlSafe(list_sql.as_str())), &params).fetch_all(pool).await?;
            let n: (i64,) = bind_params!(sqlx::query_as(sqlx::AssertSqlSafe(count_sql.as_str())), &params[..params.len() - 1]).fetch_one(pool).await?;
            (rows, n)
        });
        Ok((rows, n))
    }

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
    /// `year`, counted in SQL from the membership history: a member counts for the branch that
    /// held them on the month's first day, so a later transfer does not change a past month
    /// (DOMAIN.md §8, §4). A 正式党员 with no 转正日期 on record counts as 正式 throughout
    /// (the date is missing, not the status; the member page flags the record as incomplete).
    /// Branches without any 正式党员 are absent.
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
        let mut months = Vec::new();
        for (k, start) in starts.iter().enumerate() {
            params.push(Param::Date(*start));
            months.push(format!("({}, ${})", k + 1, params.len()));
        }
        // The scope applies to the branch that held the member then: a branch's past counts
        // are its own even for members who have since moved out of the actor's sight.
        let sql = format!(
            "WITH mo(k, d) AS (VALUES {}) \
             SELECT p.branch_id, mo.k, COUNT(*) FROM memberships p \
             JOIN mo ON p.from_on <= mo.d AND (p.until_on IS NULL OR p.until_on > mo.d) \
             JOIN members m ON m.id = p.member_id \
             WHERE m.status = 'full' AND (m.full_on IS NULL OR m.full_on <= mo.d) \
             AND p.branch_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = $1) AND {} \
             GROUP BY p.branch_id, mo.k",
            months.join(", "),
            scope.org_condition("p.branch_id", &mut params)
        );
        let rows = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, (i64, i32, i64)>(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_all(pool).await?
        });
        let mut counts: std::collections::BTreeMap<i64, [u32; 12]> = Default::default();
        for (branch, month, n) in rows {
            if let Some(slot) = usize::try_from(month - 1)
                .ok()
                .and_then(|i| counts.entry(branch).or_insert([0; 12]).get_mut(i))
            {
                *slot = u32::try_from(n).unwrap_or(u32::MAX);
            }
        }
        Ok(counts.into_iter().collect())
    }
}

/// From how many rows an insert sums its figures on another thread while it writes.
const SUM_ASIDE_FROM: usize = 1_000;

/// The context figures are being summed under, and the summing.
type FiguresAside = (
    domain::rollups::RollupContext,
    tokio::task::JoinHandle<Vec<(i64, crate::rollups::OrgFigures)>>,
);

/// What an import wrote, and how long keeping the roll-up figures took inside its
/// transaction, so that an operator can see what the figures cost (issue 11's bound).
#[derive(Debug, Clone)]
pub struct MemberImport {
    pub ids: Vec<i64>,
    pub figures_time: std::time::Duration,
}

/// A member on the data-quality list, with what is wrong (`missing_full_on`,
/// `probation_overdue`).
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct MemberProblem {
    #[sqlx(flatten)]
    pub member: MemberRow,
    pub problem: String,
}

/// What the figures know of a member just registered: one span from admission, no dues yet.
fn new_member_facts(f: &MemberFields) -> domain::rollups::MemberFacts {
    domain::rollups::MemberFacts {
        branch_id: f.branch_id,
        gender: f.gender.clone(),
        category: f.category.clone(),
        status: f.status.clone(),
        birth_date: f.birth_date,
        admitted_on: f.admitted_on,
        full_on: f.full_on,
        lost_contact: f.lost_contact,
        pocket: f.pocket,
        left: false,
        education: f.education.clone(),
        spans: membership::first_span(f.branch_id, f.admitted_on),
        bases: Vec::new(),
        paid: Vec::new(),
        waivers: Vec::new(),
    }
}
