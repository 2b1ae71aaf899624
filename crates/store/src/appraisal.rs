//! 民主评议党员 (DOMAIN.md §2) and the points cycle's yearly and quarterly acts (DOMAIN.md §5):
//! a branch's appraisal campaign with its sealed ballots, the grades its 支部党员大会 decided,
//! and the quarterly 公示. The rules (weights, the 优秀 share, sealing) are
//! `domain::appraisal`; this module keeps the facts, and refuses to read a campaign's ballots
//! while it is open whoever asks.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::{Author, BeginWrite, Db, Result, Scope, StoreError, now, on_db, write_audit};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Campaign {
    pub id: i64,
    pub branch_id: i64,
    pub year: i64,
    /// `open`, `closed` or `decided`.
    pub state: String,
    /// `domain::appraisal::Weights` and `GradePoints` as JSON, fixed when the campaign opened.
    pub weights: String,
    pub grade_points: String,
    pub opened_by: String,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// How many have voted in each group, which is all that may be read while a campaign is open.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Turnout {
    pub self_reviews: i64,
    pub peer_raters: i64,
    pub organisation: bool,
    pub masses_members: i64,
}

/// Grades given to one member by one group, from ballots or from the masses' paper count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Tally {
    pub subject_member_id: i64,
    pub grp: String,
    pub grade: String,
    pub count: i64,
}

/// One ballot line to cast: a grade for a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BallotLine {
    pub subject_member_id: i64,
    pub grade: String,
    pub comment: Option<String>,
}

/// A decided grade for the year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Review {
    pub member_id: i64,
    pub branch_id: i64,
    pub year: i64,
    pub total: Option<i64>,
    pub proposed: Option<String>,
    pub decided: String,
    pub decided_on: NaiveDate,
    pub meeting: String,
    pub recorded_by: String,
}

/// A member's line of a review to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewLine {
    pub member_id: i64,
    pub total: Option<i64>,
    pub proposed: Option<String>,
    pub decided: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Publication {
    pub id: i64,
    pub branch_id: i64,
    pub period: String,
    pub from_on: NaiveDate,
    pub until_on: NaiveDate,
    /// The published lines as JSON: names, totals and ranks only.
    pub standings: String,
    pub published_by: String,
    pub published_at: DateTime<Utc>,
}

const CAMPAIGN_COLUMNS: &str =
    "id, branch_id, year, state, weights, grade_points, opened_by, opened_at, closed_at";

impl Db {
    /// A branch the scope reaches: staff's by the org tree, a member's only their own branch,
    /// whose campaign and 公示 concern them.
    async fn branch_in_reach(&self, scope: Scope, branch_id: i64) -> Result<()> {
        match scope {
            Scope::SelfOnly(member) => {
                if self.member_get(scope, member).await?.branch_id != branch_id {
                    return Err(StoreError::NotFound);
                }
            }
            _ => {
                self.org_get(scope, branch_id).await?;
            }
        }
        Ok(())
    }

    /// Opens a branch's campaign for a year, with the weights and grade points it will be
    /// counted by. A branch has one campaign a year.
    pub async fn appraisal_open(
        &self,
        scope: Scope,
        branch_id: i64,
        year: i32,
        weights: &str,
        grade_points: &str,
        author: &Author,
    ) -> Result<i64> {
        let branch = self.org_get(scope, branch_id).await?;
        let id = on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let inserted: std::result::Result<(i64,), sqlx::Error> = sqlx::query_as(
                "INSERT INTO appraisal_campaigns (root_org_id, branch_id, year, state, weights, grade_points, opened_by, opened_at) \
                 VALUES ($1, $2, $3, 'open', $4, $5, $6, $7) RETURNING id",
            )
            .bind(branch.root_org_id)
            .bind(branch_id)
            .bind(i64::from(year))
            .bind(weights)
            .bind(grade_points)
            .bind(&author.name)
            .bind(now())
            .fetch_one(&mut *tx)
            .await;
            let (id,) = match inserted {
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                    return Err(StoreError::Conflict(format!("{year}年的民主评议已经开始")));
                }
                other => other?,
            };
            write_audit!(&mut *tx, branch_id, author, "create", "appraisal", Some(id),
                format!("开始{year}年度民主评议党员"), "{}")?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// A branch's campaign for a year, if it has one.
    pub async fn appraisal_of(
        &self,
        scope: Scope,
        branch_id: i64,
        year: i32,
    ) -> Result<Option<Campaign>> {
        self.org_get(scope, branch_id).await?;
        let row = on_db!(self, pool => {
            sqlx::query_as::<_, Campaign>(sqlx::AssertSqlSafe(format!(
                "SELECT {CAMPAIGN_COLUMNS} FROM appraisal_campaigns WHERE branch_id = $1 AND year = $2"
            )))
            .bind(branch_id)
            .bind(i64::from(year))
            .fetch_optional(pool)
            .await?
        });
        Ok(row)
    }

    /// A campaign of a branch in the scope; a member's scope reaches their own branch's.
    pub async fn appraisal_get(&self, scope: Scope, id: i64) -> Result<Campaign> {
        let row = on_db!(self, pool => {
            sqlx::query_as::<_, Campaign>(sqlx::AssertSqlSafe(format!(
                "SELECT {CAMPAIGN_COLUMNS} FROM appraisal_campaigns WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(pool)
            .await?
        })
        .ok_or(StoreError::NotFound)?;
        self.branch_in_reach(scope, row.branch_id).await?;
        Ok(row)
    }

    /// Moves a campaign on (`open` → `closed` → `decided`); `from` must be its state now, so
    /// two officers closing at once close it once.
    pub async fn appraisal_set_state(
        &self,
        scope: Scope,
        id: i64,
        from: &str,
        to: &str,
        author: &Author,
    ) -> Result<()> {
        let campaign = self.appraisal_get(scope, id).await?;
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let changed = sqlx::query(
                "UPDATE appraisal_campaigns SET state = $1, closed_at = CASE WHEN $1 = 'closed' THEN $2 ELSE closed_at END \
                 WHERE id = $3 AND state = $4",
            )
            .bind(to)
            .bind(now())
            .bind(id)
            .bind(from)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                return Err(StoreError::Conflict("民主评议的状态刚被他人改变，请刷新后再试".into()));
            }
            let what = match to {
                "closed" => "截止民主评议投票",
                _ => "记录民主评议结果",
            };
            write_audit!(&mut *tx, campaign.branch_id, author, "update", "appraisal", Some(id),
                format!("{}年度：{what}", campaign.year), "{}")?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Casts one appraiser's ballot in an open campaign: all its lines or none. A second ballot
    /// from the same appraiser in the same group is refused.
    pub async fn appraisal_cast(
        &self,
        campaign_id: i64,
        group: &str,
        rater_key: &str,
        lines: &[BallotLine],
    ) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // Read inside the write, so that a ballot never lands after the campaign closed.
            let state: Option<(String,)> = sqlx::query_as("SELECT state FROM appraisal_campaigns WHERE id = $1")
                .bind(campaign_id)
                .fetch_optional(&mut *tx)
                .await?;
            match state {
                None => return Err(StoreError::NotFound),
                Some((s,)) if s != "open" => {
                    return Err(StoreError::Conflict("民主评议已经截止，不能再投票".into()));
                }
                Some(_) => {}
            }
            let at = now();
            for line in lines {
                let inserted = sqlx::query(
                    "INSERT INTO appraisal_ballots (campaign_id, grp, rater_key, subject_member_id, grade, comment, cast_at, root_org_id) \
                     SELECT $1, $2, $3, $4, $5, $6, $7, c.root_org_id FROM appraisal_campaigns c WHERE c.id = $1",
                )
                .bind(campaign_id)
                .bind(group)
                .bind(rater_key)
                .bind(line.subject_member_id)
                .bind(&line.grade)
                .bind(&line.comment)
                .bind(at)
                .execute(&mut *tx)
                .await;
                match inserted {
                    Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                        return Err(StoreError::Conflict("已经投过票，不能重复投票".into()));
                    }
                    other => {
                        other?;
                    }
                }
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Records (or replaces) the masses' paper count for one member of an open campaign.
    pub async fn appraisal_masses_record(
        &self,
        campaign_id: i64,
        member_id: i64,
        counts: [i64; 4],
        author: &Author,
    ) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let state: Option<(String,)> = sqlx::query_as("SELECT state FROM appraisal_campaigns WHERE id = $1")
                .bind(campaign_id)
                .fetch_optional(&mut *tx)
                .await?;
            match state {
                None => return Err(StoreError::NotFound),
                Some((s,)) if s != "open" => {
                    return Err(StoreError::Conflict("民主评议已经截止，不能再登记群众评议".into()));
                }
                Some(_) => {}
            }
            sqlx::query("DELETE FROM appraisal_masses WHERE campaign_id = $1 AND subject_member_id = $2")
                .bind(campaign_id)
                .bind(member_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO appraisal_masses (campaign_id, subject_member_id, excellent, qualified, basic, unqualified, recorded_by, recorded_at, \
                 root_org_id) SELECT $1, $2, $3, $4, $5, $6, $7, $8, c.root_org_id FROM appraisal_campaigns c WHERE c.id = $1",
            )
            .bind(campaign_id)
            .bind(member_id)
            .bind(counts[0])
            .bind(counts[1])
            .bind(counts[2])
            .bind(counts[3])
            .bind(&author.name)
            .bind(now())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Who has voted, without how: what an open campaign shows.
    pub async fn appraisal_turnout(&self, campaign_id: i64) -> Result<Turnout> {
        let (groups, masses) = on_db!(self, pool => {
            let groups: Vec<(String, i64)> = sqlx::query_as(
                "SELECT grp, COUNT(DISTINCT rater_key) FROM appraisal_ballots WHERE campaign_id = $1 GROUP BY grp",
            )
            .bind(campaign_id)
            .fetch_all(pool)
            .await?;
            let (masses,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM appraisal_masses WHERE campaign_id = $1")
                .bind(campaign_id)
                .fetch_one(pool)
                .await?;
            (groups, masses)
        });
        let of = |g: &str| groups.iter().find(|(k, _)| k == g).map_or(0, |(_, n)| *n);
        Ok(Turnout {
            self_reviews: of("self"),
            peer_raters: of("peers"),
            organisation: of("organisation") > 0,
            masses_members: masses,
        })
    }

    /// Whether an appraiser has already voted in a group of a campaign.
    pub async fn appraisal_has_voted(
        &self,
        campaign_id: i64,
        group: &str,
        rater_key: &str,
    ) -> Result<bool> {
        let (n,): (i64,) = on_db!(self, pool => {
            sqlx::query_as("SELECT COUNT(*) FROM appraisal_ballots WHERE campaign_id = $1 AND grp = $2 AND rater_key = $3")
                .bind(campaign_id)
                .bind(group)
                .bind(rater_key)
                .fetch_one(pool)
                .await?
        });
        Ok(n > 0)
    }

    /// Every group's grades per member, counted: only once the campaign has closed. Ballots are
    /// sealed while it is open, for everybody; the check is in the statement itself.
    pub async fn appraisal_tallies(&self, campaign_id: i64) -> Result<Vec<Tally>> {
        let rows = on_db!(self, pool => {
            let open: Option<(String,)> = sqlx::query_as("SELECT state FROM appraisal_campaigns WHERE id = $1")
                .bind(campaign_id)
                .fetch_optional(pool)
                .await?;
            match open {
                None => return Err(StoreError::NotFound),
                Some((s,)) if s == "open" => {
                    return Err(StoreError::Conflict("民主评议尚未截止，结果保密".into()));
                }
                Some(_) => {}
            }
            let mut rows: Vec<Tally> = sqlx::query_as(
                "SELECT b.subject_member_id, b.grp, b.grade, COUNT(*) AS count FROM appraisal_ballots b \
                 JOIN appraisal_campaigns c ON c.id = b.campaign_id AND c.state <> 'open' \
                 WHERE b.campaign_id = $1 GROUP BY b.subject_member_id, b.grp, b.grade",
            )
            .bind(campaign_id)
            .fetch_all(pool)
            .await?;
            let masses: Vec<(i64, i64, i64, i64, i64)> = sqlx::query_as(
                "SELECT m.subject_member_id, m.excellent, m.qualified, m.basic, m.unqualified FROM appraisal_masses m \
                 JOIN appraisal_campaigns c ON c.id = m.campaign_id AND c.state <> 'open' WHERE m.campaign_id = $1",
            )
            .bind(campaign_id)
            .fetch_all(pool)
            .await?;
            for (member, e, q, b, u) in masses {
                for (grade, count) in [("excellent", e), ("qualified", q), ("basic", b), ("unqualified", u)] {
                    if count > 0 {
                        rows.push(Tally { subject_member_id: member, grp: "masses".into(), grade: grade.into(), count });
                    }
                }
            }
            rows
        });
        Ok(rows)
    }

    /// Records the grades a branch's 支部党员大会 decided for a year, replacing an earlier
    /// record of that year. Audited.
    #[allow(clippy::too_many_arguments)]
    pub async fn points_review_record(
        &self,
        scope: Scope,
        branch_id: i64,
        year: i32,
        lines: &[ReviewLine],
        decided_on: NaiveDate,
        meeting: &str,
        author: &Author,
    ) -> Result<()> {
        let branch = self.org_get(scope, branch_id).await?;
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("DELETE FROM points_reviews WHERE branch_id = $1 AND year = $2")
                .bind(branch_id)
                .bind(i64::from(year))
                .execute(&mut *tx)
                .await?;
            let at = now();
            for line in lines {
                sqlx::query(
                    "INSERT INTO points_reviews (root_org_id, branch_id, member_id, year, total, proposed, decided, decided_on, meeting, recorded_by, recorded_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(branch.root_org_id)
                .bind(branch_id)
                .bind(line.member_id)
                .bind(i64::from(year))
                .bind(line.total)
                .bind(&line.proposed)
                .bind(&line.decided)
                .bind(decided_on)
                .bind(meeting)
                .bind(&author.name)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            }
            write_audit!(&mut *tx, branch_id, author, "create", "points_review", Some(branch_id),
                format!("记录{year}年度党员评定结果（{} 人，{meeting}）", lines.len()), "{}")?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The grades decided for a branch of the scope in a year.
    pub async fn points_reviews(
        &self,
        scope: Scope,
        branch_id: i64,
        year: i32,
    ) -> Result<Vec<Review>> {
        self.org_get(scope, branch_id).await?;
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, Review>(
                "SELECT member_id, branch_id, year, total, proposed, decided, decided_on, meeting, recorded_by \
                 FROM points_reviews WHERE branch_id = $1 AND year = $2 ORDER BY member_id",
            )
            .bind(branch_id)
            .bind(i64::from(year))
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// Whether any branch at or below an org has a decided year `year`: a scheme for that
    /// year can then no longer change.
    pub async fn points_year_reviewed_under(&self, org_id: i64, year: i32) -> Result<bool> {
        let (n,): (i64,) = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT COUNT(*) FROM points_reviews r WHERE r.year = $1 \
                 AND r.branch_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = $2)",
            )
            .bind(i64::from(year))
            .bind(org_id)
            .fetch_one(pool)
            .await?
        });
        Ok(n > 0)
    }

    /// Publishes a branch's standings for a period (一季一公开), frozen as they are now.
    #[allow(clippy::too_many_arguments)]
    pub async fn points_publish(
        &self,
        scope: Scope,
        branch_id: i64,
        period: &str,
        from_on: NaiveDate,
        until_on: NaiveDate,
        standings: &str,
        author: &Author,
    ) -> Result<i64> {
        let branch = self.org_get(scope, branch_id).await?;
        let id = on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let inserted: std::result::Result<(i64,), sqlx::Error> = sqlx::query_as(
                "INSERT INTO points_publications (root_org_id, branch_id, period, from_on, until_on, standings, published_by, published_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(branch.root_org_id)
            .bind(branch_id)
            .bind(period)
            .bind(from_on)
            .bind(until_on)
            .bind(standings)
            .bind(&author.name)
            .bind(now())
            .fetch_one(&mut *tx)
            .await;
            let (id,) = match inserted {
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                    return Err(StoreError::Conflict("这一期的积分已经公示".into()));
                }
                other => other?,
            };
            write_audit!(&mut *tx, branch_id, author, "create", "points_publication", Some(id),
                format!("公示 {period} 党员积分（{from_on} 至 {until_on}）"), "{}")?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// A publication a member of the branch, or staff over it, may read.
    pub async fn points_publication(&self, scope: Scope, id: i64) -> Result<Publication> {
        let row = on_db!(self, pool => {
            sqlx::query_as::<_, Publication>(
                "SELECT id, branch_id, period, from_on, until_on, standings, published_by, published_at \
                 FROM points_publications WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
        })
        .ok_or(StoreError::NotFound)?;
        self.branch_in_reach(scope, row.branch_id).await?;
        Ok(row)
    }

    /// A branch's publications, latest first.
    pub async fn points_publications(
        &self,
        scope: Scope,
        branch_id: i64,
    ) -> Result<Vec<Publication>> {
        self.branch_in_reach(scope, branch_id).await?;
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, Publication>(
                "SELECT id, branch_id, period, from_on, until_on, standings, published_by, published_at \
                 FROM points_publications WHERE branch_id = $1 ORDER BY period DESC",
            )
            .bind(branch_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }
}

/// How many members of an org's subtree were given each grade for a year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct GradeCount {
    pub org_id: i64,
    pub decided: String,
    pub count: i64,
}

impl Db {
    /// The decided grades of a year counted for each child of an org of the scope, over the
    /// child's whole subtree: the distribution an office above the branches reports upward.
    pub async fn points_grades_by_child(
        &self,
        scope: Scope,
        org_id: i64,
        year: i32,
    ) -> Result<Vec<GradeCount>> {
        self.org_get(scope, org_id).await?;
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, GradeCount>(
                "SELECT c.ancestor_id AS org_id, r.decided, COUNT(*) AS count FROM points_reviews r \
                 JOIN org_closure c ON c.descendant_id = r.branch_id \
                 JOIN orgs o ON o.id = c.ancestor_id AND o.parent_id = $1 \
                 WHERE r.year = $2 GROUP BY c.ancestor_id, r.decided",
            )
            .bind(org_id)
            .bind(i64::from(year))
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }
}

impl Db {
    /// A closed campaign for each branch named, with the 支委会's grade for each of its members
    /// (`(branch, member, grade)`): a generated demo's last year, written in bulk. Returns the
    /// campaigns written.
    pub async fn appraisal_seed_closed(
        &self,
        year: i32,
        weights: &str,
        grade_points: &str,
        grades: &[(i64, i64, &str)],
        author: &str,
    ) -> Result<usize> {
        let mut branches: Vec<i64> = grades.iter().map(|(b, _, _)| *b).collect();
        branches.sort_unstable();
        branches.dedup();
        let per_row = 6;
        let chunk = (self.max_params_per_statement() / per_row).max(1);
        let at = now();
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut campaign_of = std::collections::HashMap::new();
            for branch in &branches {
                let campaign: (i64, i64) = sqlx::query_as(
                    "INSERT INTO appraisal_campaigns (root_org_id, branch_id, year, state, weights, grade_points, opened_by, opened_at, closed_at) \
                     SELECT o.root_org_id, o.id, $2, 'closed', $3, $4, $5, $6, $6 FROM orgs o WHERE o.id = $1 RETURNING id, root_org_id",
                )
                .bind(branch)
                .bind(i64::from(year))
                .bind(weights)
                .bind(grade_points)
                .bind(author)
                .bind(at)
                .fetch_one(&mut *tx)
                .await?;
                campaign_of.insert(*branch, campaign);
            }
            for rows in grades.chunks(chunk) {
                let values: Vec<String> = (0..rows.len())
                    .map(|r| {
                        let b = r * per_row;
                        format!("(${}, 'organisation', 'committee', ${}, ${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4, b + 5, b + 6)
                    })
                    .collect();
                let sql = format!(
                    "INSERT INTO appraisal_ballots (campaign_id, grp, rater_key, subject_member_id, grade, comment, cast_at, root_org_id) VALUES {}",
                    values.join(", ")
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
                for (branch, member, grade) in rows {
                    let (campaign, root) = campaign_of.get(branch).copied().unwrap_or_default();
                    query = query
                        .bind(campaign)
                        .bind(*member)
                        .bind(*grade)
                        .bind(None::<String>)
                        .bind(at)
                        .bind(root);
                }
                query.execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(branches.len())
    }
}
