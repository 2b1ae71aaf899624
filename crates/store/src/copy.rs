//! Moving an instance's whole data set into a PostgreSQL database: from the embedded SQLite file
//! when a district outgrows it, or from one PostgreSQL server to another (DESIGN.md, "Time,
//! history and roll-ups": history and audit move with the rest, nothing is recomputed).
//!
//! The copy is made to be interrupted. Every batch is written in one transaction together with
//! the place it reached, so a killed copy resumes from its last whole batch. The target's foreign
//! keys are set aside while rows arrive in table order and put back at the end, which checks
//! every reference of the copied data at once. Nothing is written into the source: it is only
//! read, and the command opens it read-only.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Timelike, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{ColumnIndex, Decode, Row, Type};

use crate::{Db, Param, Result, StoreError, bind_params, on_db};

/// Where a copy keeps its own state on the target, beside the copied tables.
const STATE_TABLE: &str = "dangjian_copy_state";
const PROGRESS_TABLE: &str = "dangjian_copy_tables";
const SET_ASIDE_TABLE: &str = "dangjian_copy_foreign_keys";

/// Rows per batch, and fewer where a row carries a photo or an attachment.
pub const DEFAULT_BATCH_ROWS: usize = 5_000;
const BLOB_BATCH_ROWS: usize = 50;

/// How the copy was asked to run.
#[derive(Debug, Clone)]
pub struct CopyOptions {
    /// Continue the copy that an earlier run left unfinished on this target.
    pub resume: bool,
    pub batch_rows: usize,
    /// What the source is, for the record on the target (a URL without its password).
    pub source_label: String,
    /// Stops after this many batches as if interrupted: how tests make a copy to resume.
    pub stop_after_batches: Option<usize>,
}

impl Default for CopyOptions {
    fn default() -> Self {
        CopyOptions {
            resume: false,
            batch_rows: DEFAULT_BATCH_ROWS,
            source_label: String::new(),
            stop_after_batches: None,
        }
    }
}

/// Where the copy stands, reported after every batch.
#[derive(Debug, Clone)]
pub struct CopyProgress<'a> {
    pub table: &'a str,
    pub table_rows: u64,
    pub table_total: u64,
    pub rows: u64,
    pub total: u64,
}

/// What a finished copy found when it checked itself.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CopyReport {
    /// Rows per table, as counted in the source at the end.
    pub tables: Vec<(String, u64)>,
    pub rows: u64,
    /// Every way the target differs from the source: empty when the copy is whole.
    pub differences: Vec<String>,
    /// True when this run only checked a copy finished earlier.
    pub already_finished: bool,
}

/// A stop on purpose ([`CopyOptions::stop_after_batches`]); the copy resumes from here.
pub const INTERRUPTED: &str = "复制已按要求中途停止，可用 --resume 继续";

/// The column types the schema uses, as PostgreSQL names them; every value moves through the
/// Rust type the application itself reads it as, so a value the program can read is copied
/// exactly and one it cannot is reported rather than guessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    I64,
    Bool,
    Text,
    Date,
    Time,
    Moment,
    Bytes,
}

impl Kind {
    fn of_postgres(data_type: &str) -> Option<Kind> {
        Some(match data_type {
            "bigint" | "integer" | "smallint" => Kind::I64,
            "boolean" => Kind::Bool,
            "text" | "character varying" => Kind::Text,
            "date" => Kind::Date,
            "timestamp with time zone" => Kind::Time,
            "timestamp without time zone" => Kind::Moment,
            "bytea" => Kind::Bytes,
            _ => return None,
        })
    }

    fn array_type(self) -> &'static str {
        match self {
            Kind::I64 => "bigint[]",
            Kind::Bool => "boolean[]",
            Kind::Text => "text[]",
            Kind::Date => "date[]",
            Kind::Time => "timestamptz[]",
            Kind::Moment => "timestamp[]",
            Kind::Bytes => "bytea[]",
        }
    }
}

#[derive(Debug, Clone)]
struct Table {
    name: String,
    columns: Vec<(String, Kind)>,
    /// The primary key's columns, in key order: the copy walks each table in key order.
    key: Vec<usize>,
}

impl Table {
    fn has_blobs(&self) -> bool {
        self.columns.iter().any(|(_, k)| *k == Kind::Bytes)
    }

    fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|(c, _)| quoted(c))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn key_list(&self) -> String {
        self.key
            .iter()
            .map(|&i| quoted(&self.columns[i].0))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A key value where the copy stopped; the schema's keys are integers and texts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
enum KeyValue {
    I64(i64),
    Text(String),
}

/// One batch, column by column, as the target's `UNNEST` takes it.
#[derive(PartialEq)]
enum Values {
    I64(Vec<Option<i64>>),
    Bool(Vec<Option<bool>>),
    Text(Vec<Option<String>>),
    Date(Vec<Option<NaiveDate>>),
    Time(Vec<Option<DateTime<Utc>>>),
    Moment(Vec<Option<NaiveDateTime>>),
    Bytes(Vec<Option<Vec<u8>>>),
}

impl Values {
    fn empty(kind: Kind, capacity: usize) -> Values {
        match kind {
            Kind::I64 => Values::I64(Vec::with_capacity(capacity)),
            Kind::Bool => Values::Bool(Vec::with_capacity(capacity)),
            Kind::Text => Values::Text(Vec::with_capacity(capacity)),
            Kind::Date => Values::Date(Vec::with_capacity(capacity)),
            Kind::Time => Values::Time(Vec::with_capacity(capacity)),
            Kind::Moment => Values::Moment(Vec::with_capacity(capacity)),
            Kind::Bytes => Values::Bytes(Vec::with_capacity(capacity)),
        }
    }
}

#[derive(PartialEq)]
struct Batch {
    columns: Vec<Values>,
    rows: usize,
    last_key: Vec<KeyValue>,
}

/// Reads one column of a row as the type the application reads it as.
fn take<'r, R, T>(row: &'r R, i: usize, table: &Table, into: &mut Vec<Option<T>>) -> Result<()>
where
    R: Row,
    usize: ColumnIndex<R>,
    Option<T>: Decode<'r, R::Database> + Type<R::Database>,
{
    let value = row.try_get::<Option<T>, _>(i).map_err(|e| {
        StoreError::Invalid(format!(
            "源库表 {} 的列 {} 有无法读取的值：{e}",
            table.name, table.columns[i].0
        ))
    })?;
    into.push(value);
    Ok(())
}

/// PostgreSQL keeps times to the microsecond and SQLite's text keeps what it was given; the
/// copy states the microsecond it writes, so that a check of the copy compares like with like.
fn to_microseconds<T: Timelike>(t: T) -> T {
    let nanos = t.nanosecond();
    t.with_nanosecond(nanos - nanos % 1_000).unwrap_or(t)
}

fn decode_batch<'r, R>(rows: &'r [R], table: &Table) -> Result<Batch>
where
    R: Row,
    usize: ColumnIndex<R>,
    Option<i64>: Decode<'r, R::Database> + Type<R::Database>,
    Option<bool>: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    Option<NaiveDate>: Decode<'r, R::Database> + Type<R::Database>,
    Option<DateTime<Utc>>: Decode<'r, R::Database> + Type<R::Database>,
    Option<NaiveDateTime>: Decode<'r, R::Database> + Type<R::Database>,
    Option<Vec<u8>>: Decode<'r, R::Database> + Type<R::Database>,
{
    let mut columns: Vec<Values> = table
        .columns
        .iter()
        .map(|(_, kind)| Values::empty(*kind, rows.len()))
        .collect();
    for row in rows {
        for (i, values) in columns.iter_mut().enumerate() {
            match values {
                Values::I64(v) => take(row, i, table, v)?,
                Values::Bool(v) => take(row, i, table, v)?,
                Values::Text(v) => take(row, i, table, v)?,
                Values::Date(v) => take(row, i, table, v)?,
                Values::Time(v) => {
                    take(row, i, table, v)?;
                    if let Some(Some(t)) = v.last_mut() {
                        *t = to_microseconds(*t);
                    }
                }
                Values::Moment(v) => {
                    take(row, i, table, v)?;
                    if let Some(Some(t)) = v.last_mut() {
                        *t = to_microseconds(*t);
                    }
                }
                Values::Bytes(v) => take(row, i, table, v)?,
            }
        }
    }
    let last_key = match rows.len() {
        0 => Vec::new(),
        n => table
            .key
            .iter()
            .map(|&i| match &columns[i] {
                Values::I64(v) => v[n - 1].map(KeyValue::I64),
                Values::Text(v) => v[n - 1].clone().map(KeyValue::Text),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                StoreError::Invalid(format!(
                    "表 {} 的主键不是整数或文字，无法分批复制",
                    table.name
                ))
            })?,
    };
    Ok(Batch {
        columns,
        rows: rows.len(),
        last_key,
    })
}

impl Db {
    /// Opens a database only to read it: the source of a copy. SQLite opens the file read-only
    /// (and refuses a file that is not there); PostgreSQL sessions refuse any write.
    pub async fn connect_read_only(url: &str) -> Result<Db> {
        use std::str::FromStr;
        if url.starts_with("sqlite:") {
            let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)?.read_only(true);
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(2)
                .connect_with(options)
                .await?;
            Ok(Db::Sqlite(pool))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = sqlx::postgres::PgConnectOptions::from_str(url)?
                .options([("default_transaction_read_only", "on")]);
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(2)
                .connect_with(options)
                .await?;
            Ok(Db::Postgres(pool))
        } else {
            Err(StoreError::UnsupportedUrl(url.to_string()))
        }
    }

    /// The latest migration applied, or `None` on a database the program never opened.
    pub async fn schema_version(&self) -> Result<Option<i64>> {
        let has_table = match self {
            Db::Sqlite(pool) => {
                let (n,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
                )
                .fetch_one(pool)
                .await?;
                n > 0
            }
            Db::Postgres(pool) => {
                let (exists,): (bool,) = sqlx::query_as(
                    "SELECT EXISTS (SELECT 1 FROM information_schema.tables \
                     WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations')",
                )
                .fetch_one(pool)
                .await?;
                exists
            }
        };
        if !has_table {
            return Ok(None);
        }
        let (version,): (Option<i64>,) = on_db!(self, pool => {
            sqlx::query_as("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(pool)
                .await?
        });
        Ok(version)
    }

    /// Copies every table of `source` into this database, which must be PostgreSQL and empty
    /// (or hold an unfinished copy of the same source, with `resume`), then checks the result:
    /// rows per table, every foreign key, and the identity sequences moved past the copied ids.
    /// The roll-ups are copied like any table; the caller recounts them against the copied
    /// facts (`rollups verify`).
    pub async fn copy_from(
        &self,
        source: &Db,
        options: &CopyOptions,
        progress: &mut (dyn FnMut(&CopyProgress<'_>) + Send),
    ) -> Result<CopyReport> {
        let Db::Postgres(target) = self else {
            return Err(StoreError::Invalid(
                "复制的目标须为 PostgreSQL 数据库（SQLite 文件请用 dangjian backup 备份）".into(),
            ));
        };
        let foreign = self.base_tables().await?;
        let target_version = self.schema_version().await?;
        if target_version.is_none() && !foreign.is_empty() {
            return Err(StoreError::Invalid(format!(
                "目标库已有不属于本程序的数据表（如 {}），请换一个空的数据库",
                foreign[0]
            )));
        }
        self.migrate().await?;
        let latest = self.schema_version().await?.unwrap_or(0);
        match source.schema_version().await? {
            None => {
                return Err(StoreError::Invalid(
                    "源库不是本程序的数据库（没有迁移记录）".into(),
                ));
            }
            Some(v) if v < latest => {
                return Err(StoreError::Invalid(format!(
                    "源库的结构版本（{v}）比本程序旧（{latest}）：请先用本程序启动一次源库，或运行 dangjian migrate --db 源库，再复制"
                )));
            }
            Some(v) if v > latest => {
                return Err(StoreError::Invalid(format!(
                    "源库由更新版本的程序建立（结构版本 {v}），请用新版本程序复制"
                )));
            }
            Some(_) => {}
        }
        let tables = self.copy_tables().await?;
        let counts = source.row_counts(&tables).await?;
        let state = self.copy_state().await?;
        match (&state, options.resume) {
            (None, _) => {
                if let Some((table, n)) = self.first_non_empty(&tables).await? {
                    return Err(StoreError::Invalid(format!(
                        "目标库不是空库（表 {table} 已有 {n} 行）：只能复制到空库；继续一次中断的复制请加 --resume"
                    )));
                }
                self.begin_copy(&tables, &counts, &options.source_label)
                    .await?;
            }
            (Some(_), false) => {
                return Err(StoreError::Invalid(
                    "目标库上已有一次复制（未完成或已完成）：继续中断的复制请加 --resume；重新复制请换一个空库".into(),
                ));
            }
            (Some(recorded), true) => {
                if recorded.counts != counts {
                    let changed = changed_tables(&recorded.counts, &counts);
                    return Err(StoreError::Invalid(format!(
                        "源库在这次复制开始后有改动（{}），不能接着复制：请停止使用源库，换一个空库重新复制",
                        changed.join("、")
                    )));
                }
            }
        }
        let already_finished = state.as_ref().is_some_and(|s| s.finished);
        let total: u64 = counts.values().sum();
        let mut done: u64 = self.rows_copied_so_far().await?;
        let mut batches = 0usize;
        for table in &tables {
            let (mut last_key, mut table_rows, finished) = self.table_progress(&table.name).await?;
            let table_total = counts.get(&table.name).copied().unwrap_or(0);
            if finished {
                continue;
            }
            let batch_rows = if table.has_blobs() {
                BLOB_BATCH_ROWS.min(options.batch_rows)
            } else {
                options.batch_rows
            }
            .max(1);
            loop {
                if options.stop_after_batches.is_some_and(|n| batches >= n) {
                    return Err(StoreError::Conflict(INTERRUPTED.into()));
                }
                let batch = source.read_batch(table, &last_key, batch_rows).await?;
                let mut tx = target.begin().await?;
                if batch.rows > 0 {
                    insert_batch(&mut tx, table, batch.columns).await?;
                }
                let finished = batch.rows < batch_rows;
                if !batch.last_key.is_empty() {
                    last_key = batch.last_key;
                }
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "UPDATE {PROGRESS_TABLE} SET last_key = $1, rows_copied = rows_copied + $2, \
                     finished = $3 WHERE table_name = $4"
                )))
                .bind(serde_json::to_string(&last_key).unwrap_or_default())
                .bind(batch.rows as i64)
                .bind(finished)
                .bind(&table.name)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                batches += 1;
                table_rows += batch.rows as u64;
                done += batch.rows as u64;
                progress(&CopyProgress {
                    table: &table.name,
                    table_rows,
                    table_total,
                    rows: done,
                    total,
                });
                if finished {
                    break;
                }
            }
        }
        let mut differences = self.restore_foreign_keys().await?;
        self.move_sequences_past_copied_ids().await?;
        let target_counts = self.row_counts(&tables).await?;
        let source_counts = source.row_counts(&tables).await?;
        for table in &tables {
            let (s, t) = (
                source_counts.get(&table.name).copied().unwrap_or(0),
                target_counts.get(&table.name).copied().unwrap_or(0),
            );
            if s != t {
                differences.push(format!("表 {}：源库 {s} 行，目标库 {t} 行", table.name));
            }
        }
        if differences.is_empty() {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE {STATE_TABLE} SET finished_at = $1"
            )))
            .bind(Utc::now())
            .execute(target)
            .await?;
        }
        Ok(CopyReport {
            rows: source_counts.values().sum(),
            tables: tables
                .iter()
                .map(|t| {
                    (
                        t.name.clone(),
                        source_counts.get(&t.name).copied().unwrap_or(0),
                    )
                })
                .collect(),
            differences,
            already_finished,
        })
    }

    /// Reads every table of this database and of `source` side by side in key order and names
    /// the tables whose values differ: the row-by-row check behind `copy --check-values`, which
    /// reads everything twice more than the counts do.
    pub async fn tables_differing_from(&self, source: &Db) -> Result<Vec<String>> {
        let mut differing = Vec::new();
        for table in self.copy_tables().await? {
            let mut after: Vec<KeyValue> = Vec::new();
            loop {
                let ours = self.read_batch(&table, &after, DEFAULT_BATCH_ROWS).await?;
                let theirs = source
                    .read_batch(&table, &after, DEFAULT_BATCH_ROWS)
                    .await?;
                if ours != theirs {
                    differing.push(table.name.clone());
                    break;
                }
                if ours.rows < DEFAULT_BATCH_ROWS {
                    break;
                }
                after = ours.last_key;
            }
        }
        Ok(differing)
    }

    /// The tables of the schema; on a database without the migrations' record, none of them
    /// are the program's.
    pub(crate) async fn base_tables(&self) -> Result<Vec<String>> {
        let Db::Postgres(pool) = self else {
            return Ok(Vec::new());
        };
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
        )
        .fetch_all(pool)
        .await?;
        Ok(rows.into_iter().map(|(t,)| t).collect())
    }

    /// The tables to copy, as the migrated target has them, with their columns and keys.
    async fn copy_tables(&self) -> Result<Vec<Table>> {
        let Db::Postgres(pool) = self else {
            return Ok(Vec::new());
        };
        let columns: Vec<(String, String, String)> = sqlx::query_as(
            // Tables only: an extension may keep views in the schema (Citus keeps citus_tables
            // and others in public).
            "SELECT c.table_name::text, c.column_name::text, c.data_type::text \
             FROM information_schema.columns c JOIN information_schema.tables t \
             ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
             WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' \
             ORDER BY c.table_name, c.ordinal_position",
        )
        .fetch_all(pool)
        .await?;
        let keys: Vec<(String, String)> = sqlx::query_as(
            "SELECT c.relname::text, a.attname::text \
             FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position) ON true \
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum \
             WHERE i.indisprimary AND n.nspname = current_schema() \
             ORDER BY c.relname, k.position",
        )
        .fetch_all(pool)
        .await?;
        let skipped = [
            "_sqlx_migrations",
            STATE_TABLE,
            PROGRESS_TABLE,
            SET_ASIDE_TABLE,
        ];
        let mut tables: BTreeMap<String, Table> = BTreeMap::new();
        for (table, column, data_type) in columns {
            if skipped.contains(&table.as_str()) {
                continue;
            }
            let kind = Kind::of_postgres(&data_type).ok_or_else(|| {
                StoreError::Invalid(format!(
                    "表 {table} 的列 {column} 类型为 {data_type}，复制尚不支持"
                ))
            })?;
            tables
                .entry(table.clone())
                .or_insert_with(|| Table {
                    name: table,
                    columns: Vec::new(),
                    key: Vec::new(),
                })
                .columns
                .push((column, kind));
        }
        for (table, column) in keys {
            if let Some(t) = tables.get_mut(&table)
                && let Some(i) = t.columns.iter().position(|(c, _)| *c == column)
            {
                t.key.push(i);
            }
        }
        for table in tables.values() {
            let key_kinds_ok = table
                .key
                .iter()
                .all(|&i| matches!(table.columns[i].1, Kind::I64 | Kind::Text));
            if table.key.is_empty() || !key_kinds_ok {
                return Err(StoreError::Invalid(format!(
                    "表 {} 没有整数或文字主键，无法分批复制",
                    table.name
                )));
            }
        }
        Ok(tables.into_values().collect())
    }

    async fn row_counts(&self, tables: &[Table]) -> Result<BTreeMap<String, u64>> {
        let mut counts = BTreeMap::new();
        for table in tables {
            let sql = format!("SELECT COUNT(*) FROM {}", quoted(&table.name));
            let (n,): (i64,) = on_db!(self, pool => {
                sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_one(pool).await.map_err(|e| {
                    StoreError::Invalid(format!("无法读取表 {}（两库结构不一致？）：{e}", table.name))
                })?
            });
            counts.insert(table.name.clone(), n.max(0) as u64);
        }
        Ok(counts)
    }

    async fn first_non_empty(&self, tables: &[Table]) -> Result<Option<(String, u64)>> {
        let counts = self.row_counts(tables).await?;
        Ok(counts.into_iter().find(|(_, n)| *n > 0))
    }

    async fn copy_state(&self) -> Result<Option<CopyState>> {
        let Db::Postgres(pool) = self else {
            return Ok(None);
        };
        let (exists,): (bool,) = sqlx::query_as(
            "SELECT EXISTS (SELECT 1 FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = $1)",
        )
        .bind(STATE_TABLE)
        .fetch_one(pool)
        .await?;
        if !exists {
            return Ok(None);
        }
        let row: Option<(String, Option<DateTime<Utc>>)> = sqlx::query_as(sqlx::AssertSqlSafe(
            format!("SELECT source_counts, finished_at FROM {STATE_TABLE}"),
        ))
        .fetch_optional(pool)
        .await?;
        Ok(row.map(|(counts, finished_at)| CopyState {
            counts: serde_json::from_str(&counts).unwrap_or_default(),
            finished: finished_at.is_some(),
        }))
    }

    /// Records the copy and sets the foreign keys aside, in one transaction: a copy either has
    /// not begun or knows everything it must put back.
    async fn begin_copy(
        &self,
        tables: &[Table],
        counts: &BTreeMap<String, u64>,
        source_label: &str,
    ) -> Result<()> {
        let Db::Postgres(pool) = self else {
            return Ok(());
        };
        let mut tx = pool.begin().await?;
        for ddl in [
            format!(
                "CREATE TABLE {STATE_TABLE} (source TEXT NOT NULL, source_counts TEXT NOT NULL, \
                 started_at TIMESTAMPTZ NOT NULL, finished_at TIMESTAMPTZ)"
            ),
            format!(
                "CREATE TABLE {PROGRESS_TABLE} (table_name TEXT PRIMARY KEY, last_key TEXT NOT NULL, \
                 rows_copied BIGINT NOT NULL, finished BOOLEAN NOT NULL)"
            ),
            format!(
                "CREATE TABLE {SET_ASIDE_TABLE} (table_name TEXT NOT NULL, name TEXT NOT NULL, \
                 definition TEXT NOT NULL, PRIMARY KEY (table_name, name))"
            ),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(ddl))
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO {STATE_TABLE} (source, source_counts, started_at) VALUES ($1, $2, $3)"
        )))
        .bind(source_label)
        .bind(serde_json::to_string(counts).unwrap_or_default())
        .bind(Utc::now())
        .execute(&mut *tx)
        .await?;
        for table in tables {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO {PROGRESS_TABLE} (table_name, last_key, rows_copied, finished) \
                 VALUES ($1, '[]', 0, FALSE)"
            )))
            .bind(&table.name)
            .execute(&mut *tx)
            .await?;
        }
        let foreign_keys: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT c.relname::text, k.conname::text, pg_get_constraintdef(k.oid) \
             FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE k.contype = 'f' AND n.nspname = current_schema() ORDER BY 1, 2",
        )
        .fetch_all(&mut *tx)
        .await?;
        for (table, name, definition) in foreign_keys {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO {SET_ASIDE_TABLE} (table_name, name, definition) VALUES ($1, $2, $3)"
            )))
            .bind(&table)
            .bind(&name)
            .bind(&definition)
            .execute(&mut *tx)
            .await?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "ALTER TABLE {} DROP CONSTRAINT {}",
                quoted(&table),
                quoted(&name)
            )))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn rows_copied_so_far(&self) -> Result<u64> {
        let (n,): (Option<i64>,) = on_db!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT CAST(SUM(rows_copied) AS BIGINT) FROM {PROGRESS_TABLE}"
            )))
            .fetch_one(pool)
            .await?
        });
        Ok(n.unwrap_or(0).max(0) as u64)
    }

    async fn table_progress(&self, table: &str) -> Result<(Vec<KeyValue>, u64, bool)> {
        let row: Option<(String, i64, bool)> = on_db!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT last_key, rows_copied, finished FROM {PROGRESS_TABLE} WHERE table_name = $1"
            )))
            .bind(table)
            .fetch_optional(pool)
            .await?
        });
        let Some((key, rows, finished)) = row else {
            return Err(StoreError::Invalid(format!(
                "复制记录里没有表 {table}：目标库的结构在复制中途变了，请换一个空库重新复制"
            )));
        };
        let key = serde_json::from_str(&key).map_err(|e| {
            StoreError::Invalid(format!("复制记录里表 {table} 的位置无法读取：{e}"))
        })?;
        Ok((key, rows.max(0) as u64, finished))
    }

    /// The next batch of `table` after `after`, in key order.
    async fn read_batch(&self, table: &Table, after: &[KeyValue], limit: usize) -> Result<Batch> {
        let mut params: Vec<Param> = after
            .iter()
            .map(|v| match v {
                KeyValue::I64(n) => Param::I64(*n),
                KeyValue::Text(s) => Param::Text(s.clone()),
            })
            .collect();
        let filter = if after.is_empty() {
            String::new()
        } else {
            let placeholders = (1..=after.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            format!(" WHERE ({}) > ({placeholders})", table.key_list())
        };
        params.push(Param::I64(limit as i64));
        let sql = format!(
            "SELECT {} FROM {}{filter} ORDER BY {} LIMIT ${}",
            table.column_list(),
            quoted(&table.name),
            table.key_list(),
            params.len()
        );
        on_db!(self, pool => {
            let rows = bind_params!(sqlx::query(sqlx::AssertSqlSafe(sql)), &params)
                .fetch_all(pool)
                .await?;
            decode_batch(&rows, table)
        })
    }

    /// Puts back the foreign keys set aside at the start; adding one checks every copied row
    /// against it, so a reference the source let through is reported here by name.
    async fn restore_foreign_keys(&self) -> Result<Vec<String>> {
        let Db::Postgres(pool) = self else {
            return Ok(Vec::new());
        };
        let set_aside: Vec<(String, String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(
            format!("SELECT table_name, name, definition FROM {SET_ASIDE_TABLE} ORDER BY 1, 2"),
        ))
        .fetch_all(pool)
        .await?;
        let mut differences = Vec::new();
        for (table, name, definition) in set_aside {
            let mut tx = pool.begin().await?;
            let added = sqlx::query(sqlx::AssertSqlSafe(format!(
                "ALTER TABLE {} ADD CONSTRAINT {} {definition}",
                quoted(&table),
                quoted(&name)
            )))
            .execute(&mut *tx)
            .await;
            match added {
                Ok(_) => {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DELETE FROM {SET_ASIDE_TABLE} WHERE table_name = $1 AND name = $2"
                    )))
                    .bind(&table)
                    .bind(&name)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                }
                Err(e) => {
                    tx.rollback().await?;
                    differences.push(format!("表 {table} 的外键 {name} 不成立：{e}"));
                }
            }
        }
        Ok(differences)
    }

    /// New rows on the target must not take ids the copy brought over.
    async fn move_sequences_past_copied_ids(&self) -> Result<()> {
        let Db::Postgres(pool) = self else {
            return Ok(());
        };
        let columns: Vec<(String, String)> = sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() \
             AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')",
        )
        .fetch_all(pool)
        .await?;
        for (table, column) in columns {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT setval(pg_get_serial_sequence($1, $2), \
                 COALESCE((SELECT MAX({c}) FROM {t}), 0) + 1, false)",
                c = quoted(&column),
                t = quoted(&table)
            )))
            .bind(quoted(&table))
            .bind(&column)
            .execute(pool)
            .await?;
        }
        Ok(())
    }
}

struct CopyState {
    counts: BTreeMap<String, u64>,
    finished: bool,
}

fn changed_tables(before: &BTreeMap<String, u64>, now: &BTreeMap<String, u64>) -> Vec<String> {
    let mut names: Vec<String> = now
        .iter()
        .filter(|(t, n)| before.get(*t) != Some(n))
        .map(|(t, n)| {
            format!(
                "表 {t} 原 {} 行，现 {n} 行",
                before.get(t).copied().unwrap_or(0)
            )
        })
        .collect();
    names.truncate(3);
    names
}

async fn insert_batch(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    table: &Table,
    columns: Vec<Values>,
) -> Result<()> {
    let unnest = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, (_, kind))| format!("${}::{}", i + 1, kind.array_type()))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO {} ({}) SELECT * FROM UNNEST({unnest})",
        quoted(&table.name),
        table.column_list()
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for values in columns {
        query = match values {
            Values::I64(v) => query.bind(v),
            Values::Bool(v) => query.bind(v),
            Values::Text(v) => query.bind(v),
            Values::Date(v) => query.bind(v),
            Values::Time(v) => query.bind(v),
            Values::Moment(v) => query.bind(v),
            Values::Bytes(v) => query.bind(v),
        };
    }
    query
        .execute(&mut **tx)
        .await
        .map_err(|e| StoreError::Invalid(format!("写入目标库表 {} 失败：{e}", table.name)))?;
    Ok(())
}
