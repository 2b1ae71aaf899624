//! Passwords (argon2id), server sessions with CSRF tokens, API tokens and login throttling.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::limits::RateLimiter;
use crate::{Actor, App, AppError, Result};
use domain::Role;
use store::{ApiToken, StoreError, User};

/// How long a login lasts without a new login.
pub const SESSION_HOURS: i64 = 12;
/// Failed logins for one user name from one client within [`THROTTLE_WINDOW`] before that
/// client's further tries at that name are refused.
pub const MAX_FAILURES: u32 = 5;
pub const THROTTLE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failed logins from one client, whatever the names, within [`THROTTLE_WINDOW`]: an office
/// behind one address mistypes far less than this, a client trying many names reaches it fast.
pub const MAX_CLIENT_FAILURES: u32 = 30;
/// Failed logins for one user name from all clients within [`GLOBAL_WINDOW`]. Slower than the
/// per-client lock, so that one outsider cannot lock a name for everyone, while guessing spread
/// over many addresses still stops.
pub const MAX_NAME_FAILURES: u32 = 100;
pub const GLOBAL_WINDOW: Duration = Duration::from_secs(60 * 60);
/// The lifetimes a new API token may be given, in days; the form offers them in this order.
pub const TOKEN_DAYS: [i64; 4] = [30, 90, 180, 365];
pub const DEFAULT_TOKEN_DAYS: i64 = 90;
/// Longest user name the login form considers; real ones are at most 32 characters.
pub const MAX_USERNAME_BYTES: usize = 64;
/// Keys each login table holds at most; beyond it the least-hit keys are forgotten first.
const THROTTLE_KEYS: usize = 20_000;

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

/// A hash of a random password with the same parameters as real ones, checked against when
/// there is no usable user, so that an unknown name takes as long as a known one.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password(&random_token()).unwrap_or_default())
}

/// The user whose password this is, if any. Runs `verify` exactly once whether the name is
/// unknown, the user inactive or the password right, so timing tells nothing about the name.
fn authenticate(
    user: Option<User>,
    password: &str,
    verify: impl Fn(&str, &str) -> bool,
) -> Option<User> {
    let hash = match &user {
        Some(u) if u.active => u.password_hash.as_str(),
        _ => decoy_hash(),
    };
    let ok = verify(password, hash);
    user.filter(|u| u.active && ok)
}

/// Rules a new password must meet; office PCs are shared, so a minimum length matters.
pub fn check_password_strength(password: &str) -> Result<()> {
    crate::within(domain::text::PASSWORD, password)?;
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

/// Counts failed logins in memory, in three bounded, expiring tables: per (user name, client),
/// which locks a guesser without locking the user out from their own machine; per client,
/// which stops one address trying many names; and per user name from everywhere, a slower
/// back-off against guessing spread over many addresses. A restart forgets them all, which is
/// acceptable for slowing down guessing on a single-process server.
pub struct LoginThrottle {
    pairs: RateLimiter,
    clients: RateLimiter,
    names: RateLimiter,
    /// Bumped when an admin unlocks a name: the pair keys include it, so every client's count
    /// for that name starts afresh without the table having to list them. Holds only names an
    /// admin unlocked, which are real users.
    generations: Mutex<HashMap<String, u32>>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle::with_capacity(THROTTLE_KEYS)
    }
}

fn minutes(wait: Duration) -> i64 {
    (wait.as_secs().div_ceil(60) as i64).max(1)
}

impl LoginThrottle {
    /// Tables of at most `keys` keys each.
    pub fn with_capacity(keys: usize) -> LoginThrottle {
        LoginThrottle {
            pairs: RateLimiter::new(MAX_FAILURES, THROTTLE_WINDOW, keys),
            clients: RateLimiter::new(MAX_CLIENT_FAILURES, THROTTLE_WINDOW, keys),
            names: RateLimiter::new(MAX_NAME_FAILURES, GLOBAL_WINDOW, keys),
            generations: Mutex::new(HashMap::new()),
        }
    }

    fn pair_key(&self, username: &str, client: IpAddr) -> String {
        let generations = self.generations.lock().unwrap_or_else(|e| e.into_inner());
        let generation = generations.get(username).copied().unwrap_or(0);
        format!("{generation}\u{0}{client}\u{0}{username}")
    }

    /// Minutes until `client` may try `username` again, if it may not now.
    pub fn locked_for(&self, username: &str, client: IpAddr, now: Instant) -> Option<i64> {
        [
            self.clients.blocked_for(&client.to_string(), now),
            self.pairs
                .blocked_for(&self.pair_key(username, client), now),
            self.names.blocked_for(username, now),
        ]
        .into_iter()
        .flatten()
        .max()
        .map(minutes)
    }

    /// Counts an attempt before its password is checked, unless the client is locked out (the
    /// minutes to wait). Counting first means a burst of parallel guesses cannot all pass the
    /// lock test while the slow hashes of the first ones are still running; a right password
    /// takes its attempt back through [`LoginThrottle::succeeded`].
    pub fn attempt(&self, username: &str, client: IpAddr, now: Instant) -> Option<i64> {
        if let Some(minutes) = self.locked_for(username, client, now) {
            return Some(minutes);
        }
        self.record_failure(username, client, now);
        None
    }

    pub fn record_failure(&self, username: &str, client: IpAddr, now: Instant) {
        // A refused hit is not counted, which is what we want: the window is already full.
        let _ = self.clients.hit(&client.to_string(), now);
        let _ = self.pairs.hit(&self.pair_key(username, client), now);
        let _ = self.names.hit(username, now);
    }

    /// A failure that names no plausible user (an oversized name) counts against the client only.
    pub fn record_client_failure(&self, client: IpAddr, now: Instant) {
        let _ = self.clients.hit(&client.to_string(), now);
    }

    /// A successful login forgets this client's failures at this name and takes back the
    /// attempt [`LoginThrottle::attempt`] counted. The name's other failures stay: the real
    /// user logging in says nothing about who else is guessing.
    pub fn succeeded(&self, username: &str, client: IpAddr) {
        self.pairs.reset(&self.pair_key(username, client));
        self.clients.refund(&client.to_string());
        self.names.refund(username);
    }

    /// An admin's unlock: every client may try `username` again.
    pub fn unlock(&self, username: &str) {
        {
            let mut generations = self.generations.lock().unwrap_or_else(|e| e.into_inner());
            let generation = generations.entry(username.to_string()).or_default();
            *generation = generation.wrapping_add(1);
        }
        self.names.reset(username);
    }

    /// Whether `username` is locked for every client (the global back-off), for the users page.
    pub fn locked_everywhere(&self, username: &str) -> bool {
        self.names.blocked_for(username, Instant::now()).is_some()
    }

    /// Keys held across the three tables.
    pub fn len(&self) -> usize {
        self.pairs.len() + self.clients.len() + self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
    /// Checks the password of a login from `client`, opens a session and records the login in
    /// the audit log.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        client: IpAddr,
    ) -> Result<(Actor, NewSession)> {
        let wrong = || AppError::Invalid("用户名或密码错误".into());
        let now = Instant::now();
        let username = username.trim();
        if username.len() > MAX_USERNAME_BYTES {
            self.throttle.record_client_failure(client, now);
            return Err(wrong());
        }
        if password.len() > 4 * domain::text::PASSWORD.max_chars {
            self.throttle.record_client_failure(client, now);
            return Err(wrong());
        }
        if let Some(minutes) = self.throttle.attempt(username, client, now) {
            return Err(AppError::Throttled(minutes));
        }
        let found = self.db.user_by_username(username).await?;
        // The hash takes tens of milliseconds of a core: off the threads that serve requests.
        let password = password.to_string();
        let user =
            tokio::task::spawn_blocking(move || authenticate(found, &password, verify_password))
                .await
                .map_err(|e| AppError::Store(StoreError::Invalid(format!("密码校验中断：{e}"))))?;
        let Some(user) = user else {
            return Err(wrong());
        };
        self.throttle.succeeded(username, client);
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
        let generation = self.changes.generation().await;
        self.session_actor_in(token, generation).await
    }

    /// [`App::session_actor`] with the database's generation already read for this request.
    pub async fn session_actor_in(
        &self,
        token: &str,
        generation: u64,
    ) -> Result<Option<(Actor, String)>> {
        let hash = token_hash(token);
        // A session, its user and their role change only by a committed write, which moves the
        // generation; its end is checked here.
        if let Some(kept) = self.sessions_seen.get(&hash, generation)
            && kept.2 > chrono::Utc::now()
        {
            return Ok(Some((kept.0.clone(), kept.1.clone())));
        }
        let Some(session) = self.db.session_get(&hash).await? else {
            return Ok(None);
        };
        let Some(user) = self.db.user_by_id(session.user_id).await? else {
            return Ok(None);
        };
        if !user.active {
            return Ok(None);
        }
        let actor = actor_from_user(&user)?;
        self.sessions_seen.put(
            hash,
            generation,
            (
                actor.clone(),
                session.csrf_token.clone(),
                session.expires_at,
            ),
        );
        Ok(Some((actor, session.csrf_token)))
    }

    pub async fn logout(&self, token: &str) -> Result<()> {
        let hash = token_hash(token);
        self.db.session_delete(&hash).await?;
        self.sessions_seen.forget(&hash);
        Ok(())
    }

    /// The actor owning an API bearer token.
    pub async fn token_actor(&self, token: &str) -> Result<Option<Actor>> {
        match self.db.user_by_api_token(&token_hash(token)).await? {
            Some(user) => Ok(Some(actor_from_user(&user)?)),
            None => Ok(None),
        }
    }

    /// Issues an API token for the actor, valid for `days` (one of [`TOKEN_DAYS`]); the token
    /// is shown once and only its hash is kept.
    pub async fn create_api_token(&self, actor: &Actor, name: &str, days: i64) -> Result<String> {
        let name = name.trim();
        if name.is_empty() {
            return Err(AppError::Invalid("请填写令牌用途".into()));
        }
        if name.chars().count() > 100 {
            return Err(AppError::Invalid("令牌用途请写在 100 字以内".into()));
        }
        if !TOKEN_DAYS.contains(&days) {
            return Err(AppError::Invalid("请选择令牌有效期".into()));
        }
        let token = format!("dj_{}", random_token());
        let expires = chrono::Utc::now() + chrono::Duration::days(days);
        self.db
            .api_token_create(actor.user_id, name, &token_hash(&token), expires)
            .await?;
        self.db
            .audit_event(
                actor.org_id,
                &actor.author(),
                "create",
                "api_token",
                &format!("创建 API 令牌「{name}」，有效期 {days} 天"),
            )
            .await?;
        Ok(token)
    }

    /// Whose tokens the actor may see and revoke: their own, or, for an org admin, those of a
    /// user in their subtree.
    async fn token_owner(&self, actor: &Actor, user_id: i64) -> Result<User> {
        if user_id == actor.user_id {
            return self.db.user_by_id(user_id).await?.ok_or(AppError::NotFound);
        }
        self.managed_user(actor, user_id, false).await
    }

    /// A user's API tokens with their last use and expiry, and the user.
    pub async fn api_tokens(&self, actor: &Actor, user_id: i64) -> Result<(User, Vec<ApiToken>)> {
        let user = self.token_owner(actor, user_id).await?;
        let tokens = self.db.api_token_list(user.id).await?;
        Ok((user, tokens))
    }

    /// Revokes one of a user's tokens: the owner may, and so may an org admin over the user.
    pub async fn revoke_api_token(&self, actor: &Actor, user_id: i64, token_id: i64) -> Result<()> {
        let user = self.token_owner(actor, user_id).await?;
        Ok(self
            .db
            .api_token_revoke(user.id, token_id, &actor.author())
            .await?)
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

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_name_is_locked_for_the_guessing_client_only_until_an_unlock() {
        let throttle = LoginThrottle::default();
        let now = Instant::now();
        let (guesser, owner) = (ip("203.0.113.1"), ip("198.51.100.1"));
        for _ in 0..MAX_FAILURES - 1 {
            throttle.record_failure("alice", guesser, now);
        }
        assert_eq!(throttle.locked_for("alice", guesser, now), None);
        throttle.record_failure("alice", guesser, now);
        assert_eq!(throttle.locked_for("alice", guesser, now), Some(15));
        assert_eq!(throttle.locked_for("alice", owner, now), None);
        assert_eq!(throttle.locked_for("bob", guesser, now), None);
        throttle.unlock("alice");
        assert_eq!(throttle.locked_for("alice", guesser, now), None);
        throttle.record_failure("alice", guesser, now);
        assert_eq!(
            throttle.locked_for("alice", guesser, now),
            None,
            "counting starts afresh"
        );
    }

    #[test]
    fn one_client_trying_many_names_and_many_clients_trying_one_name_are_stopped() {
        let throttle = LoginThrottle::default();
        let now = Instant::now();
        let sprayer = ip("203.0.113.2");
        for i in 0..MAX_CLIENT_FAILURES {
            throttle.record_failure(&format!("user{i}"), sprayer, now);
        }
        assert!(throttle.locked_for("someone", sprayer, now).is_some());
        assert!(
            throttle
                .locked_for("someone", ip("198.51.100.2"), now)
                .is_none()
        );

        let throttle = LoginThrottle::default();
        for i in 0..MAX_NAME_FAILURES {
            let client = IpAddr::from([10, 0, (i / 250) as u8, (i % 250) as u8]);
            throttle.record_failure("admin", client, now);
        }
        assert!(
            throttle
                .locked_for("admin", ip("198.51.100.3"), now)
                .is_some()
        );
        assert!(throttle.locked_everywhere("admin"));
        throttle.unlock("admin");
        assert!(
            throttle
                .locked_for("admin", ip("198.51.100.3"), now)
                .is_none()
        );
    }

    #[test]
    fn the_tables_stay_bounded_whatever_names_arrive() {
        let throttle = LoginThrottle::with_capacity(100);
        let now = Instant::now();
        let name = "x".repeat(MAX_USERNAME_BYTES);
        for i in 0..2_000u32 {
            let client = IpAddr::from(i.to_be_bytes());
            throttle.record_failure(&format!("{i}{name}"), client, now);
        }
        assert!(throttle.len() <= 3 * 100, "{}", throttle.len());
    }

    fn user(active: bool) -> User {
        User {
            id: 1,
            username: "alice".into(),
            display_name: "Alice".into(),
            password_hash: "stored".into(),
            role: "member".into(),
            org_id: 1,
            member_id: None,
            call_unit_id: None,
            active,
            created_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn the_password_hash_runs_once_for_unknown_inactive_and_known_users() {
        for (found, password, expect) in [
            (None, "secret", false),
            (Some(user(false)), "secret", false),
            (Some(user(true)), "wrong", false),
            (Some(user(true)), "secret", true),
        ] {
            let calls = std::cell::Cell::new(0);
            let verify = |password: &str, hash: &str| {
                calls.set(calls.get() + 1);
                password == "secret" && hash == "stored"
            };
            assert_eq!(authenticate(found, password, verify).is_some(), expect);
            assert_eq!(calls.get(), 1);
        }
    }

    #[test]
    fn token_hash_is_stable_hex() {
        let h = token_hash("abc");
        assert_eq!(h.len(), 64);
        assert_eq!(h, token_hash("abc"));
        assert_ne!(random_token(), random_token());
    }
}
