//! The party organisation tree and its closure table (`org_closure` holds every ancestor →
//! descendant pair with its depth, including each node to itself at depth 0).

use crate::{
    Author, BeginWrite, ConcurrentMember, Counts, Db, NewOrg, Org, OrgNode, Param, Result, Scope,
    StoreError, bind_params, now, on_db, write_audit,
};

const ORG_COLUMNS: &str = "o.id, o.parent_id, o.root_org_id, o.kind, o.branch_kind, o.name, o.territory_id, \
     o.founded_on, o.dissolved_on, o.secretary, o.phone, o.created_at, o.updated_at";

impl Db {
    /// The top organisations whose trees hold a scope's rows: the scope org's own, and for a
    /// provincial committee each district linked under it. Rows distributed by top organisation
    /// (the audit log, the outbox, a province's figures) are read one tree at a time, so that on
    /// Citus each read goes to a single shard.
    pub async fn roots_within(&self, scope: Scope) -> Result<Vec<i64>> {
        let Scope::Subtree(org) = scope else {
            return Ok(Vec::new());
        };
        let rows: Vec<(i64,)> = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT root_org_id FROM orgs WHERE id = $1 \
                 UNION SELECT id FROM orgs WHERE parent_id = $1 AND id = root_org_id ORDER BY 1",
            )
            .bind(org)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(|(root,)| root).collect())
    }

    /// Every top organisation in the database, provincial committees included: the trees a
    /// job over all rows of a distributed table (delivering the outbox) visits one at a time.
    pub async fn all_roots(&self) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> = on_db!(self, pool => {
            sqlx::query_as("SELECT id FROM orgs WHERE id = root_org_id ORDER BY id")
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(|(root,)| root).collect())
    }

    /// Creates an org under `parent_id` (which must be inside the scope), or a root org when
    /// `parent_id` is `None` and the caller has checked that the actor may do so.
    pub async fn org_create(&self, scope: Scope, new: &NewOrg, author: &Author) -> Result<Org> {
        let at = now();
        let org = on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let root: Option<i64> = match new.parent_id {
                Some(parent) => {
                    let mut params = vec![Param::I64(parent)];
                    let sql = format!(
                        "SELECT o.root_org_id FROM orgs o WHERE o.id = $1 AND {}",
                        scope.org_condition("o.id", &mut params)
                    );
                    let root: Option<(i64,)> =
                        bind_params!(sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_optional(&mut *tx).await?;
                    Some(root.ok_or(StoreError::NotFound)?.0)
                }
                None => None,
            };
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO orgs (parent_id, root_org_id, kind, branch_kind, name, territory_id, founded_on, \
                 dissolved_on, secretary, phone, created_at, updated_at) \
                 VALUES ($1, COALESCE($2, 0), $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
            )
            .bind(new.parent_id)
            .bind(root)
            .bind(&new.kind)
            .bind(&new.branch_kind)
            .bind(&new.name)
            .bind(new.territory_id)
            .bind(new.founded_on)
            .bind(new.dissolved_on)
            .bind(&new.secretary)
            .bind(&new.phone)
            .bind(at)
            .fetch_one(&mut *tx)
            .await?;
            if root.is_none() {
                sqlx::query("UPDATE orgs SET root_org_id = $1 WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(
                "INSERT INTO org_closure (ancestor_id, descendant_id, depth) \
                 SELECT ancestor_id, $1, depth + 1 FROM org_closure WHERE descendant_id = $2 \
                 UNION ALL SELECT $1, $1, 0",
            )
            .bind(id)
            .bind(new.parent_id.unwrap_or(-1))
            .execute(&mut *tx)
            .await?;
            let org: Org = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {ORG_COLUMNS} FROM orgs o WHERE o.id = $1")))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            write_audit!(
                &mut *tx, id, author, "create", "org", Some(id),
                format!("新建组织「{}」", org.name), crate::audit::created(&org)
            )?;
            tx.commit().await?;
            org
        });
        Ok(org)
    }

    /// Puts the whole tree of `district` (a top organisation of its own) under `province`, a
    /// provincial committee with no tree of its own. The district keeps its own `root_org_id`:
    /// its rows stay where they are (on Citus, in its own shard), and only the closure learns
    /// the new ancestor. From then on every figure the district's writes move is summed into
    /// the province as well, under the district's own root, so the province reads its sums
    /// from each district's roll-ups without a recount (DESIGN.md, "Time, history and
    /// roll-ups"). Linking the same district twice changes nothing.
    pub async fn org_link_root(&self, province: i64, district: i64, author: &Author) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let kinds: Vec<(i64, Option<i64>, i64, String)> = sqlx::query_as(
                "SELECT id, parent_id, root_org_id, kind FROM orgs WHERE id IN ($1, $2)",
            )
            .bind(province)
            .bind(district)
            .fetch_all(&mut *tx)
            .await?;
            let find = |id: i64| kinds.iter().find(|k| k.0 == id);
            let (Some(top), Some(linked)) = (find(province), find(district)) else {
                return Err(StoreError::NotFound);
            };
            if top.3 != "provincial_committee" || top.1.is_some() {
                return Err(StoreError::Invalid("只能接入到省级党委之下".into()));
            }
            if linked.2 != linked.0 || linked.3 == "provincial_committee" {
                return Err(StoreError::Invalid("只能接入区县一级的顶层党组织".into()));
            }
            if linked.1 == Some(province) {
                return Ok(());
            }
            if linked.1.is_some() {
                return Err(StoreError::Invalid("该区县已接入其他省级党委".into()));
            }
            sqlx::query("UPDATE orgs SET parent_id = $1 WHERE id = $2")
                .bind(province)
                .bind(district)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO org_closure (ancestor_id, descendant_id, depth) \
                 SELECT $1, descendant_id, depth + 1 FROM org_closure WHERE ancestor_id = $2",
            )
            .bind(province)
            .bind(district)
            .execute(&mut *tx)
            .await?;
            write_audit!(
                &mut *tx, province, author, "update", "org", Some(district),
                format!("区县党组织（编号 {district}）接入省级党委"), serde_json::json!({"parent_id": province}).to_string()
            )?;
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn org_get(&self, scope: Scope, id: i64) -> Result<Org> {
        let mut params = vec![Param::I64(id)];
        let sql = format!(
            "SELECT {ORG_COLUMNS} FROM orgs o WHERE o.id = $1 AND {}",
            scope.org_condition("o.id", &mut params)
        );
        let org = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, Org>(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_optional(pool).await?
        });
        org.ok_or(StoreError::NotFound)
    }

    /// The direct children of an org in the scope, with how many children each has in turn.
    pub async fn org_children(&self, scope: Scope, parent_id: i64) -> Result<Vec<OrgNode>> {
        let mut params = vec![Param::I64(parent_id)];
        let sql = format!(
            "SELECT o.id, o.parent_id, o.kind, o.branch_kind, o.name, o.territory_id, \
             (SELECT COUNT(*) FROM orgs c WHERE c.parent_id = o.id) AS child_count \
             FROM orgs o WHERE o.parent_id = $1 AND {} ORDER BY o.id",
            scope.org_condition("o.id", &mut params)
        );
        let rows = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, OrgNode>(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_all(pool).await?
        });
        Ok(rows)
    }

    /// The chain from the scope's top down to `id` (for breadcrumbs); ancestors above the scope
    /// are not shown to the actor.
    pub async fn org_path(&self, scope: Scope, id: i64) -> Result<Vec<OrgNode>> {
        let mut params = vec![Param::I64(id)];
        let sql = format!(
            "SELECT o.id, o.parent_id, o.kind, o.branch_kind, o.name, o.territory_id, CAST(0 AS BIGINT) AS child_count \
             FROM org_closure p JOIN orgs o ON o.id = p.ancestor_id \
             WHERE p.descendant_id = $1 AND {} ORDER BY p.depth DESC",
            scope.org_condition("o.id", &mut params)
        );
        let rows = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, OrgNode>(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_all(pool).await?
        });
        Ok(rows)
    }

    /// Every org in the scope of the given kind (e.g. all branches, for a pick list), by name.
    pub async fn org_list_kind(&self, scope: Scope, kind: &str) -> Result<Vec<OrgNode>> {
        let mut params = vec![Param::Text(kind.to_string())];
        let sql = format!(
            "SELECT o.id, o.parent_id, o.kind, o.branch_kind, o.name, o.territory_id, CAST(0 AS BIGINT) AS child_count \
             FROM orgs o WHERE o.kind = $1 AND {} ORDER BY o.name",
            scope.org_condition("o.id", &mut params)
        );
        let rows = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, OrgNode>(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_all(pool).await?
        });
        Ok(rows)
    }

    /// Orgs in the scope whose name starts with `prefix`, for pickers and imports.
    pub async fn org_find_by_name(&self, scope: Scope, name: &str) -> Result<Vec<OrgNode>> {
        let mut params = vec![Param::Text(name.to_string())];
        let sql = format!(
            "SELECT o.id, o.parent_id, o.kind, o.branch_kind, o.name, o.territory_id, CAST(0 AS BIGINT) AS child_count \
             FROM orgs o WHERE o.name = $1 AND {} ORDER BY o.id",
            scope.org_condition("o.id", &mut params)
        );
        let rows = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, OrgNode>(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_all(pool).await?
        });
        Ok(rows)
    }

    /// Renames or re-describes an org in the scope. The tree shape is not changed here.
    pub async fn org_update(
        &self,
        scope: Scope,
        id: i64,
        change: &NewOrg,
        author: &Author,
    ) -> Result<Org> {
        let old = self.org_get(scope, id).await?;
        let org = on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let params = [
                Param::I64(id),
                Param::Text(change.name.clone()),
            ];
            let mut scope_params = params.to_vec();
            let scope_cond = scope.org_condition("orgs.id", &mut scope_params);
            let sql = format!(
                "UPDATE orgs SET name = $2, branch_kind = ${b}, territory_id = ${t}, founded_on = ${f}, \
                 dissolved_on = ${d}, secretary = ${s}, phone = ${p}, updated_at = ${u} WHERE id = $1 AND {scope_cond}",
                b = scope_params.len() + 1,
                t = scope_params.len() + 2,
                f = scope_params.len() + 3,
                d = scope_params.len() + 4,
                s = scope_params.len() + 5,
                p = scope_params.len() + 6,
                u = scope_params.len() + 7,
            );
            let updated = bind_params!(sqlx::query(sqlx::AssertSqlSafe(sql.as_str())), &scope_params)
                .bind(&change.branch_kind)
                .bind(change.territory_id)
                .bind(change.founded_on)
                .bind(change.dissolved_on)
                .bind(&change.secretary)
                .bind(&change.phone)
                .bind(now())
                .execute(&mut *tx)
                .await?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::NotFound);
            }
            let new: Org = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {ORG_COLUMNS} FROM orgs o WHERE o.id = $1")))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            write_audit!(
                &mut *tx, id, author, "update", "org", Some(id),
                format!("修改组织「{}」", new.name),
                crate::audit::diff(&OrgAudit::from(&old), &OrgAudit::from(&new))
            )?;
            tx.commit().await?;
            new
        });
        Ok(org)
    }

    /// Org, branch and member totals for the scope (the home dashboard).
    pub async fn counts(&self, scope: Scope) -> Result<Counts> {
        let mut params = Vec::new();
        let org_cond = scope.org_condition("o.id", &mut params);
        let sql_orgs = format!(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN o.kind = 'branch' THEN 1 ELSE 0 END), 0) FROM orgs o WHERE {org_cond}"
        );
        let mut mparams = Vec::new();
        let member_cond = scope.org_condition("m.branch_id", &mut mparams);
        let sql_members = format!(
            "SELECT COUNT(*), \
             COALESCE(SUM(CASE WHEN m.status = 'probationary' THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN m.lost_contact THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN m.pocket THEN 1 ELSE 0 END), 0) \
             FROM members m WHERE {member_cond}"
        );
        let counts = on_db!(self, pool => {
            let (orgs, branches): (i64, i64) =
                bind_params!(sqlx::query_as(sqlx::AssertSqlSafe(sql_orgs.as_str())), &params).fetch_one(pool).await?;
            let (members, probationary, lost_contact, pocket): (i64, i64, i64, i64) =
                bind_params!(sqlx::query_as(sqlx::AssertSqlSafe(sql_members.as_str())), &mparams).fetch_one(pool).await?;
            Counts { orgs, branches, members, probationary, lost_contact, pocket }
        });
        Ok(counts)
    }

    /// Member totals of each direct child of `parent_id`, for the dashboard's breakdown.
    pub async fn member_counts_by_child(
        &self,
        scope: Scope,
        parent_id: i64,
    ) -> Result<Vec<(i64, String, i64)>> {
        let mut params = vec![Param::I64(parent_id)];
        let sql = format!(
            "SELECT o.id, o.name, \
             (SELECT COUNT(*) FROM members m JOIN org_closure c ON c.descendant_id = m.branch_id \
              WHERE c.ancestor_id = o.id) \
             FROM orgs o WHERE o.parent_id = $1 AND {} ORDER BY o.id",
            scope.org_condition("o.id", &mut params)
        );
        let rows = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, (i64, String, i64)>(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_all(pool).await?
        });
        Ok(rows)
    }

    pub async fn concurrent_members(
        &self,
        scope: Scope,
        org_id: i64,
    ) -> Result<Vec<ConcurrentMember>> {
        let mut params = vec![Param::I64(org_id)];
        let sql = format!(
            "SELECT cm.id, cm.org_id, cm.name, cm.unit, cm.post FROM concurrent_members cm \
             WHERE cm.org_id = $1 AND {} ORDER BY cm.id",
            scope.org_condition("cm.org_id", &mut params)
        );
        let rows = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, ConcurrentMember>(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_all(pool).await?
        });
        Ok(rows)
    }

    /// Seats a resident unit's party leader on a 大党委 (the org must be in the scope).
    pub async fn concurrent_member_add(
        &self,
        scope: Scope,
        org_id: i64,
        name: &str,
        unit: &str,
        post: &str,
        author: &Author,
    ) -> Result<i64> {
        self.org_get(scope, org_id).await?;
        let id = on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO concurrent_members (org_id, root_org_id, name, unit, post, created_at) \
                 SELECT o.id, o.root_org_id, $2, $3, $4, $5 FROM orgs o WHERE o.id = $1 RETURNING id",
            )
            .bind(org_id)
            .bind(name)
            .bind(unit)
            .bind(post)
            .bind(now())
            .fetch_one(&mut *tx)
            .await?;
            write_audit!(
                &mut *tx, org_id, author, "create", "concurrent_member", Some(id),
                format!("增设兼职委员 {name}（{unit}）"),
                serde_json::json!({"name": [null, name], "unit": [null, unit], "post": [null, post]}).to_string()
            )?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }
}

/// The audited view of an org: what an admin edits, without timestamps that always change.
#[derive(serde::Serialize)]
struct OrgAudit {
    name: String,
    branch_kind: Option<String>,
    territory_id: Option<i64>,
    founded_on: Option<chrono::NaiveDate>,
    dissolved_on: Option<chrono::NaiveDate>,
    secretary: Option<String>,
    phone: Option<String>,
}

impl From<&Org> for OrgAudit {
    fn from(o: &Org) -> Self {
        OrgAudit {
            name: o.name.clone(),
            branch_kind: o.branch_kind.clone(),
            territory_id: o.territory_id,
            founded_on: o.founded_on,
            dissolved_on: o.dissolved_on,
            secretary: o.secretary.clone(),
            phone: o.phone.clone(),
        }
    }
}

impl Db {
    /// Every org of a tree by name (labels for figures the caller already scoped).
    pub async fn org_names(&self, root: i64) -> Result<Vec<(i64, String)>> {
        let rows = on_db!(self, pool => {
            sqlx::query_as("SELECT id, name FROM orgs WHERE root_org_id = $1")
                .bind(root)
                .fetch_all(pool)
                .await?
        });
        Ok(rows)
    }

    /// Founding dates and last days of the orgs below `org_id`, in the scope: the ledger owes
    /// nothing outside a branch's or a 党小组's life.
    pub async fn org_lifespans(&self, scope: Scope, org_id: i64) -> Result<Vec<OrgLifespan>> {
        let mut params = vec![Param::I64(org_id)];
        let sql = format!(
            "SELECT o.id, o.parent_id, o.kind, o.founded_on, o.dissolved_on FROM orgs o \
             WHERE o.id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = $1) AND {}",
            scope.org_condition("o.id", &mut params)
        );
        let rows = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, OrgLifespan>(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_all(pool).await?
        });
        Ok(rows)
    }
}

/// When an org existed, for the ledger.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrgLifespan {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub kind: String,
    pub founded_on: Option<chrono::NaiveDate>,
    pub dissolved_on: Option<chrono::NaiveDate>,
}
