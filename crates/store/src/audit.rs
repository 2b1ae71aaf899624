//! The audit log: who changed what, when, old → new. Rows are written by the same transaction as
//! the change they describe (see [`write_audit!`]), so a change without its audit row cannot exist.

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::{AuditRow, Db, Param, Result, Scope, bind_params, on_db};

/// The org's top organisation is read in the same statement as `INSERT … SELECT`, not as a
/// subquery inside `VALUES`, which Citus refuses for a distributed table.
pub const INSERT_AUDIT: &str = "INSERT INTO audit_log \
    (root_org_id, org_id, actor_user_id, actor_name, action, entity, entity_id, summary, changes, at) \
    SELECT o.root_org_id, o.id, $2, $3, $4, $5, $6, $7, $8, $9 FROM orgs o WHERE o.id = $1";

/// Writes one audit row on an open transaction or connection.
/// `(executor, org_id, author, action, entity, entity_id, summary, changes_json)`.
#[macro_export]
macro_rules! write_audit {
    ($exec:expr, $org:expr, $author:expr, $action:expr, $entity:expr, $entity_id:expr, $summary:expr, $changes:expr) => {
        sqlx::query($crate::audit::INSERT_AUDIT)
            .bind($org)
            .bind($author.user_id)
            .bind($author.name.clone())
            .bind($action)
            .bind($entity)
            .bind($entity_id)
            .bind($summary)
            .bind($changes)
            .bind($crate::now())
            .execute($exec)
            .await
            // A change must not go unrecorded because its org is gone: no row is an error, as
            // the NULL root of the former `VALUES` form was.
            .and_then(|done| {
                if done.rows_affected() == 1 {
                    Ok(done)
                } else {
                    Err(sqlx::Error::RowNotFound)
                }
            })
    };
}

/// The fields that differ between two versions of a record, as `{field: [old, new]}`.
/// Personal numbers are recorded masked: the audit log is readable by org admins, who should not
/// learn a full 身份证号 from it.
pub fn diff<T: Serialize>(old: &T, new: &T) -> String {
    let old = serde_json::to_value(old).unwrap_or(Value::Null);
    let new = serde_json::to_value(new).unwrap_or(Value::Null);
    let mut changes = Map::new();
    if let (Value::Object(old), Value::Object(new)) = (&old, &new) {
        for (key, new_value) in new {
            let old_value = old.get(key).unwrap_or(&Value::Null);
            if old_value != new_value {
                changes.insert(
                    key.clone(),
                    json!([mask_field(key, old_value), mask_field(key, new_value)]),
                );
            }
        }
    }
    Value::Object(changes).to_string()
}

/// All fields of a new record, as `{field: [null, value]}`.
pub fn created<T: Serialize>(new: &T) -> String {
    let value = serde_json::to_value(new).unwrap_or(Value::Null);
    let mut changes = Map::new();
    if let Value::Object(fields) = value {
        for (key, v) in fields {
            if !v.is_null() {
                changes.insert(key.clone(), json!([Value::Null, mask_field(&key, &v)]));
            }
        }
    }
    Value::Object(changes).to_string()
}

fn mask_field(key: &str, value: &Value) -> Value {
    match (key, value) {
        ("id_number", Value::String(s)) => Value::String(domain::personal::mask_id_number(s)),
        ("phone", Value::String(s)) => Value::String(domain::personal::mask_phone(s)),
        ("password_hash", _) => Value::String("***".into()),
        _ => value.clone(),
    }
}

/// What an id in an audit row's changes names, for showing the name instead of the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Named {
    Org,
    Territory,
    CallUnit,
}

impl Named {
    fn table(self) -> &'static str {
        match self {
            Named::Org => "orgs",
            Named::Territory => "territories",
            Named::CallUnit => "call_units",
        }
    }
}

impl Db {
    /// The names of the orgs, territories or call units with these ids. Only names: the audit
    /// rows that mention them were already read within the reader's scope, and a member moved
    /// from elsewhere is shown with the branch they came from.
    pub async fn names_of(&self, kind: Named, ids: &[i64]) -> Result<Vec<(i64, String)>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let params: Vec<Param> = chunk.iter().map(|id| Param::I64(*id)).collect();
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT id, name FROM {} WHERE id IN ({})",
                kind.table(),
                marks.join(", ")
            );
            let rows: Vec<(i64, String)> = on_db!(self, pool => {
                bind_params!(sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())), &params)
                    .fetch_all(pool)
                    .await?
            });
            out.extend(rows);
        }
        Ok(out)
    }

    /// Audit rows about orgs in the scope, newest first.
    pub async fn audit_list(
        &self,
        scope: Scope,
        entity: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<AuditRow>> {
        let roots = self.roots_within(scope).await?;
        // Over several trees each is read up to the page's end and the pages merged; one tree
        // is paged by the database itself.
        let (each_limit, each_offset) = match roots.len() {
            1 => (limit, offset),
            _ => (limit.saturating_add(offset), 0),
        };
        let mut rows = Vec::new();
        for root in &roots {
            let mut params = vec![Param::I64(*root)];
            let mut sql = format!(
                "SELECT id, org_id, actor_user_id, actor_name, action, entity, entity_id, summary, changes, at \
                 FROM audit_log a WHERE a.root_org_id = $1 AND {}",
                scope.org_condition("a.org_id", &mut params)
            );
            if let Some(entity) = entity {
                params.push(Param::Text(entity.to_string()));
                sql.push_str(&format!(" AND a.entity = ${}", params.len()));
            }
            params.push(Param::I64(each_limit));
            params.push(Param::I64(each_offset));
            sql.push_str(&format!(
                " ORDER BY a.at DESC, a.id DESC LIMIT ${} OFFSET ${}",
                params.len() - 1,
                params.len()
            ));
            rows.extend(on_db!(self, pool => {
                bind_params!(sqlx::query_as::<_, AuditRow>(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_all(pool).await?
            }));
        }
        Ok(newest_first(rows, roots.len(), limit, offset))
    }

    /// The changes to one record, newest first, if the record's org is in the scope.
    pub async fn audit_for_entity(
        &self,
        scope: Scope,
        entity: &str,
        entity_id: i64,
        limit: i64,
    ) -> Result<Vec<AuditRow>> {
        let roots = self.roots_within(scope).await?;
        let mut rows = Vec::new();
        for root in &roots {
            let mut params = vec![
                Param::I64(*root),
                Param::Text(entity.to_string()),
                Param::I64(entity_id),
                Param::I64(limit),
            ];
            let sql = format!(
                "SELECT id, org_id, actor_user_id, actor_name, action, entity, entity_id, summary, changes, at \
                 FROM audit_log a WHERE a.root_org_id = $1 AND a.entity = $2 AND a.entity_id = $3 AND {} \
                 ORDER BY a.at DESC, a.id DESC LIMIT $4",
                scope.org_condition("a.org_id", &mut params)
            );
            rows.extend(on_db!(self, pool => {
                bind_params!(sqlx::query_as::<_, AuditRow>(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_all(pool).await?
            }));
        }
        Ok(newest_first(rows, roots.len(), limit, 0))
    }

    /// Records an event that changes nothing in the database (an export, a login) in its own
    /// statement.
    pub async fn audit_event(
        &self,
        org_id: i64,
        author: &crate::Author,
        action: &str,
        entity: &str,
        summary: &str,
    ) -> Result<()> {
        on_db!(self, pool => {
            write_audit!(pool, org_id, author, action, entity, None::<i64>, summary, "{}")?;
        });
        Ok(())
    }
}

/// One page of audit rows read from `trees` top organisations, each already newest first and
/// paged (one tree) or read to the page's end (several).
fn newest_first(mut rows: Vec<AuditRow>, trees: usize, limit: i64, offset: i64) -> Vec<AuditRow> {
    if trees <= 1 {
        return rows;
    }
    rows.sort_by(|a, b| (&b.at, b.id).cmp(&(&a.at, a.id)));
    rows.into_iter()
        .skip(usize::try_from(offset).unwrap_or(0))
        .take(usize::try_from(limit).unwrap_or(0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Rec {
        name: &'static str,
        id_number: &'static str,
        n: i32,
    }

    #[test]
    fn diff_lists_changed_fields_only_and_masks_id_numbers() {
        let old = Rec {
            name: "张三",
            id_number: "11010519491231002X",
            n: 1,
        };
        let new = Rec {
            name: "张三",
            id_number: "110105194912310037",
            n: 2,
        };
        let d: Value = serde_json::from_str(&diff(&old, &new)).unwrap();
        assert!(d.get("name").is_none());
        assert_eq!(d["n"], json!([1, 2]));
        let shown = d["id_number"].to_string();
        assert!(!shown.contains("19491231"), "{shown}");
    }
}
