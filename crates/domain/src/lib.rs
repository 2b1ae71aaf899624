//! Pure domain rules of dangjian: vocabularies, identity and personal-data
//! checks, pinyin search keys, political-birthday dates, party dues,
//! organisational life and who votes at it, the Chinese work calendar, residents' calls
//! (你呼我应: lifecycle, time limits, figures, catalogue, 查询码), 党员积分制 (points schemes,
//! the points ledger, yearly scores and proposed grades), 民主评议党员 (ballots, weighted
//! appraisal scores, sealed results) and 一呼百应 volunteer service (报到, needs and claims,
//! hours, 微心愿).
//!
//! No IO and no clock: callers pass `today` (or `now`) in. Money is integer
//! 分 ([`dues::Fen`]) and points integer hundredths ([`points::Points`]). Each
//! rule cites its section of `docs/DOMAIN.md`, and each rule-bearing module
//! exposes a `RULE_VERSION` so stored results can record which rules produced
//! them.

pub mod admission;
pub mod appraisal;
pub mod calls;
pub mod dates;
pub mod dues;
pub mod dues_ledger;
pub mod enums;
pub mod idcard;
pub mod lost_contact;
pub mod membership;
pub mod names;
pub mod orglife;
pub mod payslip;
pub mod personal;
pub mod points;
pub mod record;
pub mod reports;
pub mod rights;
pub mod rollups;
pub mod service;
pub mod text;
pub mod transfer;
pub mod workcal;

pub use enums::*;
