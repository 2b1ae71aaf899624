//! The territory tree (区 → 街道 → 社区 → 网格 → 楼宇). An actor sees the territory that their
//! own org serves (its `territory_id`), and none when their org serves none.

use crate::{Author, BeginWrite, Db, Result, StoreError, Territory, now, on_db, write_audit};

/// A territory row followed by its number of children.
type TerritoryWithCount = (
    i64,
    Option<i64>,
    i64,
    String,
    String,
    chrono::DateTime<chrono::Utc>,
    i64,
);

const TERRITORY_COLUMNS: &str = "t.id, t.parent_id, t.root_id, t.level, t.name, t.created_at";

impl Db {
    /// The territory an org's staff may see: the one their own org is linked to, and nothing
    /// when it is linked to none. Never an ancestor's: an org admin who could unlink their own
    /// org would otherwise inherit the whole territory of the org above.
    pub async fn territory_scope_for_org(&self, org_id: i64) -> Result<Option<i64>> {
        let row: Option<(Option<i64>,)> = on_db!(self, pool => {
            sqlx::query_as("SELECT territory_id FROM orgs WHERE id = $1")
                .bind(org_id)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.and_then(|(t,)| t))
    }

    /// Creates a territory node under `parent_id` (inside `within`, the actor's territory).
    pub async fn territory_create(
        &self,
        within: Option<i64>,
        parent_id: Option<i64>,
        level: &str,
        name: &str,
        org_for_audit: i64,
        author: &Author,
    ) -> Result<Territory> {
        if let Some(parent) = parent_id {
            self.territory_get(within, parent).await?;
        } else if within.is_some() {
            return Err(StoreError::NotFound);
        }
        let territory = on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO territories (parent_id, root_id, level, name, created_at) \
                 SELECT $1, COALESCE(MAX(p.root_id), 0), $2, $3, $4 FROM territories p WHERE p.id = $1 \
                 RETURNING id",
            )
            .bind(parent_id)
            .bind(level)
            .bind(name)
            .bind(now())
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("UPDATE territories SET root_id = id WHERE id = $1 AND root_id = 0")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO territory_closure (ancestor_id, descendant_id, depth) \
                 SELECT ancestor_id, $1, depth + 1 FROM territory_closure WHERE descendant_id = $2 \
                 UNION ALL SELECT $1, $1, 0",
            )
            .bind(id)
            .bind(parent_id.unwrap_or(-1))
            .execute(&mut *tx)
            .await?;
            let t: Territory = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {TERRITORY_COLUMNS} FROM territories t WHERE t.id = $1")))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            write_audit!(
                &mut *tx, org_for_audit, author, "create", "territory", Some(id),
                format!("新建{}「{}」", level, name), crate::audit::created(&t)
            )?;
            tx.commit().await?;
            t
        });
        Ok(territory)
    }

    /// A territory node, if it lies inside `within` (`None`: the whole instance, for admins).
    pub async fn territory_get(&self, within: Option<i64>, id: i64) -> Result<Territory> {
        let row: Option<Territory> = on_db!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {TERRITORY_COLUMNS} FROM territories t WHERE t.id = $1 AND \
                 ($2 IS NULL OR EXISTS (SELECT 1 FROM territory_closure c WHERE c.ancestor_id = $2 AND c.descendant_id = t.id))"
            )))
            .bind(id)
            .bind(within)
            .fetch_optional(pool)
            .await?
        });
        row.ok_or(StoreError::NotFound)
    }

    /// Children of a territory node (or the roots when `parent_id` is `None`), inside `within`,
    /// with how many children each has.
    pub async fn territory_children(
        &self,
        within: Option<i64>,
        parent_id: Option<i64>,
    ) -> Result<Vec<(Territory, i64)>> {
        let rows: Vec<TerritoryWithCount> = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT t.id, t.parent_id, t.root_id, t.level, t.name, t.created_at, \
                 (SELECT COUNT(*) FROM territories k WHERE k.parent_id = t.id) \
                 FROM territories t WHERE ((t.parent_id = $1) OR ($1 IS NULL AND t.parent_id IS NULL)) AND \
                 ($2 IS NULL OR EXISTS (SELECT 1 FROM territory_closure c WHERE c.ancestor_id = $2 AND c.descendant_id = t.id)) \
                 ORDER BY t.id",
            )
            .bind(parent_id)
            .bind(within)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, parent_id, root_id, level, name, created_at, n)| {
                (
                    Territory {
                        id,
                        parent_id,
                        root_id,
                        level,
                        name,
                        created_at,
                    },
                    n,
                )
            })
            .collect())
    }

    /// Territory nodes of one level inside `within`, by name (pick lists, import look-ups).
    pub async fn territory_list_level(
        &self,
        within: Option<i64>,
        level: &str,
    ) -> Result<Vec<Territory>> {
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, Territory>(sqlx::AssertSqlSafe(format!(
                "SELECT {TERRITORY_COLUMNS} FROM territories t WHERE t.level = $1 AND \
                 ($2 IS NULL OR EXISTS (SELECT 1 FROM territory_closure c WHERE c.ancestor_id = $2 AND c.descendant_id = t.id)) \
                 ORDER BY t.name"
            )))
            .bind(level)
            .bind(within)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// Orgs linked to a territory node (e.g. the grid branch serving a grid).
    pub async fn orgs_serving_territory(
        &self,
        territory_id: i64,
    ) -> Result<Vec<(i64, String, String)>> {
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, (i64, String, String)>(
                "SELECT id, name, kind FROM orgs WHERE territory_id = $1 ORDER BY id",
            )
            .bind(territory_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }
}
