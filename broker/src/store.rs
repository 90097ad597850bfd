//! Storage of leases, used tokens and the audit trail: SQLite (embedded, the default) or
//! Postgres (replicas), through sqlx's `Any` driver with one set of portable SQL. Migrations are
//! compiled in (broker/migrations/) and run at start. Times are Unix seconds.

use std::borrow::Cow;

use anyhow::Context;
use futures_core::future::BoxFuture;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::{AnyPool, Row};

/// States of a lease. `minting` is the intent record, written before the API is asked.
pub mod state {
    pub const MINTING: &str = "minting";
    pub const ACTIVE: &str = "active";
    pub const RELEASING: &str = "releasing";
    pub const REVOKING: &str = "revoking";
    pub const ENDED: &str = "ended";
    pub const FAILED: &str = "failed";
}

/// The migrations, compiled into the binary.
#[derive(Debug)]
struct Embedded;

impl MigrationSource<'static> for Embedded {
    fn resolve(self) -> BoxFuture<'static, Result<Vec<Migration>, BoxDynError>> {
        Box::pin(async {
            Ok(vec![Migration::new(
                1,
                Cow::Borrowed("leases"),
                MigrationType::Simple,
                Cow::Borrowed(include_str!("../migrations/0001_leases.sql")),
                false,
            )])
        })
    }
}

#[derive(Debug, Clone)]
pub struct Lease {
    pub id: String,
    pub state: String,
    pub rule: String,
    pub service_account: String,
    pub subject: String,
    pub key_name: String,
    pub key_id: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub claims: String,
}

impl Lease {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: r.try_get("id")?,
            state: r.try_get("state")?,
            rule: r.try_get("rule")?,
            service_account: r.try_get("service_account")?,
            subject: r.try_get("subject")?,
            key_name: r.try_get("key_name")?,
            key_id: r.try_get("key_id")?,
            created_at: r.try_get("created_at")?,
            expires_at: r.try_get("expires_at")?,
            claims: r.try_get("claims")?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct AuditRow {
    pub at: i64,
    pub event: String,
    pub lease_id: String,
    pub rule: String,
    pub detail: String,
}

const LEASE_COLUMNS: &str =
    "id, state, rule, service_account, subject, key_name, key_id, created_at, expires_at, claims";

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    pub postgres: bool,
}

impl Store {
    /// Opens (SQLite: creates) the database and brings its schema up to date.
    pub async fn open(url: &str) -> anyhow::Result<Store> {
        sqlx::any::install_default_drivers();
        let postgres = url.starts_with("postgres:") || url.starts_with("postgresql:");
        let url = if !postgres && !url.contains('?') { format!("{url}?mode=rwc") } else { url.to_owned() };
        let pool = AnyPoolOptions::new()
            .max_connections(if postgres { 8 } else { 1 })
            .connect(&url)
            .await
            .context("cannot open the database")?;
        if !postgres {
            // One writer, and readers wait for it instead of failing with SQLITE_BUSY.
            sqlx::query("PRAGMA journal_mode = WAL").execute(&pool).await?;
            sqlx::query("PRAGMA busy_timeout = 5000").execute(&pool).await?;
        }
        let migrator = Migrator::new(Embedded).await?;
        migrator.run(&pool).await.context("cannot migrate the database")?;
        Ok(Store { pool, postgres })
    }

    /// Records a token as used; false when it was used before (a replay).
    pub async fn use_token(&self, id: &str, expires_at: i64, now: i64) -> anyhow::Result<bool> {
        sqlx::query("DELETE FROM used_tokens WHERE expires_at < $1").bind(now - 120).execute(&self.pool).await?;
        let done = sqlx::query("INSERT INTO used_tokens (id, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(id)
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Leases of a rule that hold (or may hold) a live key.
    pub async fn live_count(&self, rule: &str) -> anyhow::Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM leases WHERE rule = $1 AND state IN ($2, $3, $4, $5)")
            .bind(rule)
            .bind(state::MINTING)
            .bind(state::ACTIVE)
            .bind(state::RELEASING)
            .bind(state::REVOKING)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>("n")?)
    }

    /// Counts leases by state (for /metrics).
    pub async fn counts(&self) -> anyhow::Result<Vec<(String, i64)>> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM leases GROUP BY state ORDER BY state")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.try_get("state")?, r.try_get("n")?))).collect()
    }

    /// The intent record: written before the key is asked for.
    pub async fn insert(&self, l: &Lease) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO leases (id, state, rule, service_account, subject, key_name, key_id, created_at, \
             expires_at, claims) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&l.id)
        .bind(&l.state)
        .bind(&l.rule)
        .bind(&l.service_account)
        .bind(&l.subject)
        .bind(&l.key_name)
        .bind(&l.key_id)
        .bind(l.created_at)
        .bind(l.expires_at)
        .bind(&l.claims)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn activate(&self, id: &str, key_id: &str) -> anyhow::Result<bool> {
        let done = sqlx::query("UPDATE leases SET state = $1, key_id = $2 WHERE id = $3 AND state = $4")
            .bind(state::ACTIVE)
            .bind(key_id)
            .bind(id)
            .bind(state::MINTING)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Moves a lease from one state to another, only if it is still in `from`: the one way a
    /// lease changes hands, so two workers never both act on it.
    pub async fn transition(&self, id: &str, from: &str, to: &str) -> anyhow::Result<bool> {
        let done = sqlx::query("UPDATE leases SET state = $1 WHERE id = $2 AND state = $3")
            .bind(to)
            .bind(id)
            .bind(from)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn end(&self, id: &str, from: &str, to: &str, reason: &str, now: i64) -> anyhow::Result<bool> {
        let done =
            sqlx::query("UPDATE leases SET state = $1, ended_at = $2, end_reason = $3 WHERE id = $4 AND state = $5")
                .bind(to)
                .bind(now)
                .bind(reason)
                .bind(id)
                .bind(from)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn get(&self, id: &str) -> anyhow::Result<Option<Lease>> {
        let row = sqlx::query(&format!("SELECT {LEASE_COLUMNS} FROM leases WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(Lease::from_row).transpose()?)
    }

    /// Leases the reaper must act on: released, past their end, or minting for longer than
    /// `stale_mint_before` allows (a broker that died mid-mint).
    pub async fn due(&self, now: i64, stale_mint_before: i64) -> anyhow::Result<Vec<Lease>> {
        let rows = sqlx::query(&format!(
            "SELECT {LEASE_COLUMNS} FROM leases WHERE state = $1 OR state = $2 \
             OR (state = $3 AND expires_at <= $4) OR (state = $5 AND created_at <= $6) ORDER BY created_at"
        ))
        .bind(state::RELEASING)
        .bind(state::REVOKING)
        .bind(state::ACTIVE)
        .bind(now)
        .bind(state::MINTING)
        .bind(stale_mint_before)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(Lease::from_row).collect::<Result<_, _>>()?)
    }

    pub async fn audit(&self, at: i64, event: &str, lease_id: &str, rule: &str, detail: &str) -> anyhow::Result<()> {
        sqlx::query("INSERT INTO audit (id, at, event, lease_id, rule, detail) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(uuid::Uuid::new_v4().simple().to_string())
            .bind(at)
            .bind(event)
            .bind(lease_id)
            .bind(rule)
            .bind(detail)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn audit_since(&self, since: i64) -> anyhow::Result<Vec<AuditRow>> {
        let rows = sqlx::query(
            "SELECT at, event, lease_id, rule, detail FROM audit WHERE at >= $1 ORDER BY at, event DESC, lease_id",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditRow {
                    at: r.try_get("at")?,
                    event: r.try_get("event")?,
                    lease_id: r.try_get("lease_id")?,
                    rule: r.try_get("rule")?,
                    detail: r.try_get("detail")?,
                })
            })
            .collect()
    }

    /// Taken before the reaper's and the pool's rounds: only one replica runs them at a time.
    /// Postgres: an advisory lock held for a transaction (`pg_try_advisory_xact_lock`), released
    /// when the guard drops. SQLite serves one process, so the guard is always granted.
    pub async fn exclusive(&self, key: i64) -> anyhow::Result<Option<Guard>> {
        if !self.postgres {
            return Ok(Some(Guard(None)));
        }
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query("SELECT pg_try_advisory_xact_lock($1) AS got").bind(key).fetch_one(&mut *tx).await?;
        if row.try_get::<bool, _>("got")? { Ok(Some(Guard(Some(tx)))) } else { Ok(None) }
    }
}

/// Holds the advisory lock (Postgres) until dropped.
pub struct Guard(#[allow(dead_code)] Option<sqlx::Transaction<'static, sqlx::Any>>);
