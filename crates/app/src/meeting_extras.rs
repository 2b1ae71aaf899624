//! What a meeting record carries besides its minutes: counted votes checked against the quorum
//! and pass rules (DOMAIN.md §2.1), attachments (photos, sign-in sheets), and members signing in
//! on their own phone.

use serde::Deserialize;

use crate::members::today;
use crate::{Actor, App, AppError, Result, within};
use domain::Role;
use domain::orglife::{Decision, Vote, passes, quorum_met};
use domain::text::{self, echo};
use store::{AttachmentMeta, MeetingVote, NewVote, SignInMeeting};

/// A photo or scan larger than this is almost certainly not a sign-in sheet; phones' photos are
/// 2–6 MB.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;
/// Keeps one record from swallowing the database.
pub const MAX_ATTACHMENTS_PER_MEETING: usize = 30;

/// A vote as typed into the form (counts as text so that a typo comes back as a message).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct VoteInput {
    pub decision: String,
    pub subject: String,
    pub expected: String,
    pub present: String,
    pub yes: String,
    #[serde(default)]
    pub against: String,
    #[serde(default)]
    pub abstain: String,
    #[serde(default)]
    pub written_yes: String,
}

fn count(text: &str, what: &str) -> Result<u32> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(0);
    }
    text.parse()
        .map_err(|_| AppError::Invalid(format!("{what}「{}」应为不小于 0 的整数", echo(text))))
}

/// Checks a vote and works out whether it passed. A meeting without its quorum cannot decide
/// anything, so such a vote is refused rather than recorded as failed. DOMAIN.md §2.1.
pub fn validate_vote(input: &VoteInput) -> Result<NewVote> {
    let decision = Decision::from_code(input.decision.trim())
        .ok_or_else(|| AppError::Invalid("请选择表决事项的类型".into()))?;
    let subject = input.subject.trim();
    if subject.is_empty() {
        return Err(AppError::Invalid("请填写表决事项".into()));
    }
    within(text::VOTE_SUBJECT, subject)?;
    let expected = count(&input.expected, "应到会人数")?;
    let present = count(&input.present, "实到会人数")?;
    let yes = count(&input.yes, "赞成票")?;
    let against = count(&input.against, "反对票")?;
    let abstain = count(&input.abstain, "弃权票")?;
    let written_yes = count(&input.written_yes, "书面赞成意见")?;
    if expected == 0 {
        return Err(AppError::Invalid("应到会人数不能为 0".into()));
    }
    if u64::from(yes) + u64::from(against) + u64::from(abstain) > u64::from(present) {
        return Err(AppError::Invalid(format!(
            "赞成、反对、弃权票合计 {} 票，超过实到会人数 {present} 人",
            u64::from(yes) + u64::from(against) + u64::from(abstain)
        )));
    }
    if written_yes > 0 && decision != Decision::Admission {
        return Err(AppError::Invalid(
            "只有接收预备党员、转正、延长或取消预备期的表决计入会前书面意见".into(),
        ));
    }
    let vote = Vote {
        expected,
        present,
        yes,
        written_yes,
    };
    let passed = passes(decision, &vote).map_err(|e| AppError::Invalid(e.to_string()))?;
    if !quorum_met(decision, &vote) {
        let needed = match decision {
            Decision::Election => "超过应到会人数的五分之四",
            Decision::Ordinary | Decision::Admission => "超过应到会人数的半数",
        };
        return Err(AppError::Invalid(format!(
            "到会人数未达到规定：应到 {expected} 人，实到 {present} 人，须{needed}。会议不能作出决议，表决不予记录"
        )));
    }
    Ok(NewVote {
        decision: decision.code().into(),
        subject: subject.into(),
        expected: expected.into(),
        present: present.into(),
        yes: yes.into(),
        against: against.into(),
        abstain: abstain.into(),
        written_yes: written_yes.into(),
        passed,
        rule_version: domain::orglife::RULE_VERSION.into(),
    })
}

/// The kinds of file a meeting may carry, recognised by their first bytes rather than by the name
/// a phone gave them.
pub fn sniff_attachment(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

/// A file name as shown and downloaded: no folders, no control characters, not too long.
fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(80)
        .collect();
    if cleaned.trim().is_empty() {
        "附件".into()
    } else {
        cleaned.trim().to_string()
    }
}

impl App {
    /// Records a counted vote on a meeting in the actor's scope.
    pub async fn record_vote(
        &self,
        actor: &Actor,
        meeting_id: i64,
        input: &VoteInput,
    ) -> Result<i64> {
        if !actor.role.may_edit() {
            return Err(AppError::Forbidden);
        }
        self.db.meeting_get(actor.scope(), meeting_id).await?;
        let vote = validate_vote(input)?;
        Ok(self
            .db
            .meeting_vote_add(actor.scope(), meeting_id, &vote, &actor.author())
            .await?)
    }

    pub async fn meeting_votes(&self, actor: &Actor, meeting_id: i64) -> Result<Vec<MeetingVote>> {
        actor.require_staff()?;
        Ok(self.db.meeting_votes(actor.scope(), meeting_id).await?)
    }

    /// Stores a photo or scan with a meeting in the actor's scope.
    pub async fn attach_to_meeting(
        &self,
        actor: &Actor,
        meeting_id: i64,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<i64> {
        if !actor.role.may_edit() {
            return Err(AppError::Forbidden);
        }
        let existing = self
            .db
            .meeting_attachments(actor.scope(), meeting_id)
            .await?;
        if bytes.is_empty() {
            return Err(AppError::Invalid("请选择要上传的文件".into()));
        }
        if bytes.len() > MAX_ATTACHMENT_BYTES {
            return Err(AppError::Invalid(format!(
                "文件 {} MB，超过 {} MB 的上限；请压缩照片后再上传",
                bytes.len().div_ceil(1024 * 1024),
                MAX_ATTACHMENT_BYTES / 1024 / 1024
            )));
        }
        if existing.len() >= MAX_ATTACHMENTS_PER_MEETING {
            return Err(AppError::Invalid(format!(
                "每次会议最多 {MAX_ATTACHMENTS_PER_MEETING} 个附件"
            )));
        }
        let content_type = sniff_attachment(bytes).ok_or_else(|| {
            AppError::Invalid("只能上传照片（JPG、PNG、WebP）或 PDF 扫描件".into())
        })?;
        Ok(self
            .db
            .meeting_attachment_add(
                actor.scope(),
                meeting_id,
                &clean_file_name(file_name),
                content_type,
                bytes,
                &actor.author(),
            )
            .await?)
    }

    pub async fn meeting_attachments(
        &self,
        actor: &Actor,
        meeting_id: i64,
    ) -> Result<Vec<AttachmentMeta>> {
        actor.require_staff()?;
        Ok(self
            .db
            .meeting_attachments(actor.scope(), meeting_id)
            .await?)
    }

    pub async fn meeting_attachment(
        &self,
        actor: &Actor,
        id: i64,
    ) -> Result<(AttachmentMeta, Vec<u8>)> {
        actor.require_staff()?;
        Ok(self.db.meeting_attachment_get(actor.scope(), id).await?)
    }

    /// Today's meetings the logged-in member may sign in to (empty for anyone without a member
    /// record).
    pub async fn meetings_to_sign_in(&self, actor: &Actor) -> Result<Vec<SignInMeeting>> {
        match actor.member_id {
            Some(member) if actor.role == Role::Member => {
                Ok(self.db.meetings_to_sign_in(member, today()).await?)
            }
            _ => Ok(Vec::new()),
        }
    }

    /// The logged-in member signs in to one of today's meetings.
    pub async fn sign_in(&self, actor: &Actor, meeting_id: i64) -> Result<()> {
        let member = match actor.member_id {
            Some(member) if actor.role == Role::Member => member,
            _ => return Err(AppError::Forbidden),
        };
        Ok(self
            .db
            .meeting_sign_in(member, meeting_id, today(), &actor.author())
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vote(decision: &str, expected: &str, present: &str, yes: &str) -> VoteInput {
        VoteInput {
            decision: decision.into(),
            subject: "接收张三为预备党员".into(),
            expected: expected.into(),
            present: present.into(),
            yes: yes.into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_vote_without_quorum_is_refused_and_a_failed_one_is_kept_as_failed() {
        let refused = validate_vote(&vote("ordinary", "20", "10", "10")).unwrap_err();
        assert!(
            refused.to_string().contains("超过应到会人数的半数"),
            "{refused}"
        );
        let failed = validate_vote(&vote("ordinary", "20", "11", "10")).unwrap();
        assert!(!failed.passed, "10 of 20 expected is not more than half");
        let passed = validate_vote(&vote("ordinary", "20", "11", "11")).unwrap();
        assert!(passed.passed);
        let election = validate_vote(&vote("election", "20", "16", "16")).unwrap_err();
        assert!(election.to_string().contains("五分之四"));
    }

    #[test]
    fn written_opinions_count_only_for_admission() {
        let mut admission = vote("admission", "20", "11", "9");
        admission.written_yes = "2".into();
        assert!(validate_vote(&admission).unwrap().passed);
        admission.decision = "ordinary".into();
        assert!(validate_vote(&admission).is_err());
    }

    #[test]
    fn counts_must_add_up() {
        let mut v = vote("ordinary", "20", "12", "8");
        v.against = "3".into();
        v.abstain = "2".into();
        assert!(
            validate_vote(&v)
                .unwrap_err()
                .to_string()
                .contains("超过实到会人数")
        );
        v.abstain = "x".into();
        assert!(validate_vote(&v).unwrap_err().to_string().contains("整数"));
    }

    #[test]
    fn files_are_recognised_by_content() {
        assert_eq!(
            sniff_attachment(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some("image/jpeg")
        );
        assert_eq!(sniff_attachment(b"%PDF-1.7"), Some("application/pdf"));
        assert_eq!(sniff_attachment(b"MZ\x90\x00"), None);
        assert_eq!(clean_file_name("C:\\照片\\签到表.jpg"), "签到表.jpg");
        assert_eq!(clean_file_name("../../"), "附件");
    }
}
