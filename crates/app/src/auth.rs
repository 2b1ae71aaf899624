//! Passwords (argon2id), server sessions with CSRF tokens, API tokens and login throttling.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{Actor, App, AppError, Result};
use domain::Role;
use store::User;

/// How long a login lasts without a new login.
pub const SESSION_HOURS: i64 = 12;
/// Failed logins for one user name within [`THROTTLE_WINDOW`] before further tries are refused.
pub const MAX_FAILURES: usize = 5;
pub const THROTTLE_WINDOW: Duration = Duration::from_secs(15 * 60);

pub fn hash_password(password: &str) -> Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::Invalid(format!("无法处理密码：{e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Rules a new password must meet; office PCs are shared, so a minimum length matters.
pub fn check_password_strength(password: &str) -> Result<()> {
    if password.chars().count() < 8 {
        return Err(AppError::Invalid("密码至少 8 位".into()));
    }
    let has_letter = password.chars().any(|c| c.is_ascii_alphabetic());
    let has_digit = password.chars().any(|c| c.is_ascii_digit());
    if !(has_letter && has_digit) {
        return Err(AppError::Invalid("密码须同时包含字母和数字".into()));
    }
    Ok(())
}

pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Tokens are stored hashed; SHA-256 suffices because the tokens themselves are random.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Counts recent failed logins per user name, in memory: a restart forgets them, which is
/// acceptable for slowing down guessing on a single-process server.
#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl LoginThrottle {
    /// Minutes until the next try is allowed, if the user name is locked now.
    pub fn locked_for(&self, username: &str) -> Option<i64> {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let list = failures.entry(username.to_string()).or_default();
        let now = Instant::now();
        list.retain(|t| now.duration_since(*t) < THROTTLE_WINDOW);
        if list.len() >= MAX_FAILURES {
            let oldest = list[0];
            let wait = THROTTLE_WINDOW.saturating_sub(now.duration_since(oldest));
            Some(((wait.as_secs() as i64 + 59) / 60).max(1))
        } else {
            None
        }
    }

    pub fn record_failure(&self, username: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures
            .entry(username.to_string())
            .or_default()
            .push(Instant::now());
    }

    pub fn clear(&self, username: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures.remove(username);
    }
}

/// A freshly opened session: the cookie value and the form token.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
}

pub fn actor_from_user(user: &User) -> Result<Actor> {
    let role = Role::from_code(&user.role)
        .ok_or_else(|| AppError::Invalid(format!("未知角色 {}", user.role)))?;
    Ok(Actor {
        user_id: user.id,
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        role,
        org_id: user.org_id,
        member_id: user.member_id,
        call_unit_id: user.call_unit_id,
    })
}

impl App {
    /// Checks the password, opens a session and records the login in the audit log.
    pub async fn login(&self, username: &str, password: &str) -> Result<(Actor, NewSession)> {
        let username = username.trim();
        if let Some(minutes) = self.throttle.locked_for(username) {
            return Err(AppError::Throttled(minutes));
        }
        let user = self.db.user_by_username(username).await?;
        let user = match user {
            Some(u) if u.active && verify_password(password, &u.password_hash) => u,
            _ => {
                self.throttle.record_failure(username);
                return Err(AppError::Invalid("用户名或密码错误".into()));
            }
        };
        self.throttle.clear(username);
        let actor = actor_from_user(&user)?;
        let session = NewSession {
            token: random_token(),
            csrf_token: random_token(),
        };
        let expires = chrono::Utc::now() + chrono::Duration::hours(SESSION_HOURS);
        self.db
            .session_create(
                &token_hash(&session.token),
                user.id,
                &session.csrf_token,
                expires,
            )
            .await?;
        self.db
            .audit_event(user.org_id, &actor.author(), "login", "session", "登录")
            .await?;
        Ok((actor, session))
    }

    /// The actor behind a session cookie, with the session's CSRF token.
    pub async fn session_actor(&self, token: &str) -> Result<Option<(Actor, String)>> {
        let Some(session) = self.db.session_get(&token_hash(token)).await? else {
            return Ok(None);
        };
        let Some(user) = self.db.user_by_id(session.user_id).await? else {
            return Ok(None);
        };
        if !user.active {
            return Ok(None);
        }
        Ok(Some((actor_from_user(&user)?, session.csrf_token)))
    }

    pub async fn logout(&self, token: &str) -> Result<()> {
        self.db.session_delete(&token_hash(token)).await?;
        Ok(())
    }

    /// The actor owning an API bearer token.
    pub async fn token_actor(&self, token: &str) -> Result<Option<Actor>> {
        match self.db.user_by_api_token(&token_hash(token)).await? {
            Some(user) => Ok(Some(actor_from_user(&user)?)),
            None => Ok(None),
        }
    }

    /// Issues an API token for the actor; the token is shown once and only its hash is kept.
    pub async fn create_api_token(&self, actor: &Actor, name: &str) -> Result<String> {
        let name = name.trim();
        if name.is_empty() {
            return Err(AppError::Invalid("请填写令牌用途".into()));
        }
        let token = format!("dj_{}", random_token());
        self.db
            .api_token_create(actor.user_id, name, &token_hash(&token))
            .await?;
        self.db
            .audit_event(
                actor.org_id,
                &actor.author(),
                "create",
                "api_token",
                &format!("创建 API 令牌「{name}」"),
            )
            .await?;
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_round_trip_and_rejection() {
        let hash = hash_password("dangjian2026").unwrap();
        assert!(verify_password("dangjian2026", &hash));
        assert!(!verify_password("dangjian2027", &hash));
        assert!(!verify_password("dangjian2026", "not a hash"));
    }

    #[test]
    fn weak_passwords_are_refused() {
        assert!(check_password_strength("short1").is_err());
        assert!(check_password_strength("onlyletters").is_err());
        assert!(check_password_strength("12345678").is_err());
        assert!(check_password_strength("letters123").is_ok());
    }

    #[test]
    fn throttle_locks_after_max_failures_and_clears_on_success() {
        let throttle = LoginThrottle::default();
        for _ in 0..MAX_FAILURES - 1 {
            throttle.record_failure("alice");
        }
        assert_eq!(throttle.locked_for("alice"), None);
        throttle.record_failure("alice");
        assert!(throttle.locked_for("alice").unwrap() >= 1);
        assert_eq!(throttle.locked_for("bob"), None);
        throttle.clear("alice");
        assert_eq!(throttle.locked_for("alice"), None);
    }

    #[test]
    fn token_hash_is_stable_hex() {
        let h = token_hash("abc");
        assert_eq!(h.len(), 64);
        assert_eq!(h, token_hash("abc"));
        assert_ne!(random_token(), random_token());
    }
}
