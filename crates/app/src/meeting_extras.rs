//! What a meeting record carries besides its minutes: counted votes checked against the quorum
//! and pass rules (DOMAIN.md §2.1), attachments (photos, sign-in sheets), and members signing in
//! on their own phone.

use chrono::NaiveDate;
use serde::Deserialize;

use crate::members::today;
use crate::restrictions::{restriction_of, status_facts};
use crate::{Actor, App, AppError, Result, within};
use domain::Role;
use domain::orglife::{Decision, Institution, Vote, decision_allowed_at, passes, quorum_met};
use domain::rights::{CountError, Electorate, Restriction, Standing, Tally, check_counts};
use domain::text::{self, echo};
use store::{
    AttachmentMeta, AttendeeFacts, MeetingVote, MemberRestriction, NewVote, SignInMeeting,
};

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

/// Who on a meeting's attendance list has a vote, as of the meeting's day. DOMAIN.md §2.1.
#[derive(Debug, Clone, Default)]
pub struct VoteElectorate {
    pub counts: Electorate,
    /// Each listed member without a vote, with why.
    pub non_voters: Vec<(i64, Standing)>,
}

impl VoteElectorate {
    /// Counts the attendance list: each member's standing on `day`, from their status facts and
    /// restrictions.
    pub fn count(
        attendees: &[AttendeeFacts],
        restrictions: &[MemberRestriction],
        day: NaiveDate,
    ) -> VoteElectorate {
        let mut non_voters = Vec::new();
        let standings: Vec<(bool, Standing)> = attendees
            .iter()
            .map(|a| {
                let own: Vec<Restriction> = restrictions
                    .iter()
                    .filter(|r| r.member_id == a.member_id)
                    .filter_map(restriction_of)
                    .collect();
                let facts = status_facts(&a.status, a.admitted_on, a.full_on);
                let standing = domain::rights::standing_on(&facts, &own, day);
                if standing != Standing::Voter {
                    non_voters.push((a.member_id, standing));
                }
                (a.present, standing)
            })
            .collect();
        VoteElectorate {
            counts: domain::rights::electorate(standings),
            non_voters,
        }
    }

    /// Why a listed member has no vote, in words; empty for a voter.
    pub fn why_not(&self, member_id: i64) -> &'static str {
        self.non_voters
            .iter()
            .find(|(id, _)| *id == member_id)
            .map_or("", |(_, s)| standing_words(*s))
    }

    /// The breakdown the vote form shows, e.g. "到会名单 15 人，其中有表决权 12 人，预备党员 3 人
    /// 不参加表决；出席 12 人，其中有表决权 10 人，预备党员 2 人不参加表决".
    pub fn describe(&self) -> String {
        format!(
            "{}；{}",
            tally_words("到会名单", &self.counts.listed),
            tally_words("出席", &self.counts.present)
        )
    }
}

fn standing_words(standing: Standing) -> &'static str {
    match standing {
        Standing::Voter => "",
        Standing::Probationary => "预备党员",
        Standing::PartyProbation => "受留党察看处分",
        Standing::RightsSuspended => "停止党员权利",
        Standing::NotYetMember => "会议时尚未入党",
    }
}

fn tally_words(what: &str, t: &Tally) -> String {
    let mut text = format!("{what} {} 人，其中有表决权 {} 人", t.total, t.voters);
    let non_voters: Vec<String> = t
        .non_voters()
        .into_iter()
        .map(|(s, n)| format!("{} {n} 人", standing_words(s)))
        .collect();
    if !non_voters.is_empty() {
        text.push_str(&format!("，{}不参加表决", non_voters.join("、")));
    }
    text
}

/// Why a decision reserved to the 支部党员大会 cannot be recorded on another meeting, naming the
/// rule and the regulations it comes from.
fn reserved_message(decision: Decision, institution: Institution) -> String {
    let rule = match decision {
        Decision::Election => {
            "选举须由支部党员大会进行（《中国共产党支部工作条例（试行）》第十一条、《中国共产党基层组织选举工作条例》）"
        }
        Decision::Admission | Decision::Ordinary => {
            "接收预备党员、预备党员转正、延长预备期或取消预备党员资格，须由支部党员大会讨论表决（《中国共产党发展党员工作细则》、《中国共产党支部工作条例（试行）》第十一条）"
        }
    };
    format!(
        "{rule}，不能记录在{}上。请在支部党员大会的会议记录中记录这项表决",
        institution.label()
    )
}

/// Checks a vote recorded on a meeting of `institution` whose attendance list counts as
/// `electorate`, and works out whether it passed. DOMAIN.md §2.1:
/// - admission and election decisions only on a 支部党员大会;
/// - 应到会 and 实到会 no higher than the voters on the list and those marked present;
/// - a meeting without its quorum cannot decide anything, so such a vote is refused rather than
///   recorded as failed.
pub fn validate_vote(
    input: &VoteInput,
    institution: Institution,
    electorate: &VoteElectorate,
) -> Result<NewVote> {
    let decision = Decision::from_code(input.decision.trim())
        .ok_or_else(|| AppError::Invalid("请选择表决事项的类型".into()))?;
    let subject = input.subject.trim();
    if subject.is_empty() {
        return Err(AppError::Invalid("请填写表决事项".into()));
    }
    within(text::VOTE_SUBJECT, subject)?;
    if !decision_allowed_at(decision, institution) {
        return Err(AppError::Invalid(reserved_message(decision, institution)));
    }
    let expected = count(&input.expected, "应到会人数")?;
    let present = count(&input.present, "实到会人数")?;
    let yes = count(&input.yes, "赞成票")?;
    let against = count(&input.against, "反对票")?;
    let abstain = count(&input.abstain, "弃权票")?;
    let written_yes = count(&input.written_yes, "书面赞成意见")?;
    let counts = &electorate.counts;
    if counts.listed.voters == 0 {
        return Err(AppError::Invalid(format!(
            "到会名单上没有有表决权的党员（{}）。请先在会议记录中登记到会情况，再记录表决",
            tally_words("到会名单", &counts.listed)
        )));
    }
    if expected == 0 {
        return Err(AppError::Invalid("应到会人数不能为 0".into()));
    }
    match check_counts(expected, present, counts) {
        Ok(()) => {}
        Err(CountError::ExpectedAboveList { typed, voters }) => {
            return Err(AppError::Invalid(format!(
                "应到会（有表决权）填写了 {typed} 人，但到会名单上有表决权的只有 {voters} 人（{}）。预备党员、受留党察看处分和停止党员权利的党员没有表决权，不计入应到会人数",
                tally_words("到会名单", &counts.listed)
            )));
        }
        Err(CountError::PresentAboveList { typed, voters }) => {
            return Err(AppError::Invalid(format!(
                "实到会填写了 {typed} 人，但签到记录中出席且有表决权的只有 {voters} 人（{}）。如有党员到会未登记，请先修改会议记录的签到情况",
                tally_words("出席", &counts.present)
            )));
        }
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
        let (meeting, _) = self.db.meeting_get(actor.scope(), meeting_id).await?;
        let institution = Institution::from_code(&meeting.institution)
            .ok_or_else(|| AppError::Invalid("会议类型无效".into()))?;
        let electorate = self.vote_electorate(actor, meeting_id).await?;
        let vote = validate_vote(input, institution, &electorate)?;
        Ok(self
            .db
            .meeting_vote_add(actor.scope(), meeting_id, &vote, &actor.author())
            .await?)
    }

    /// Who on a meeting's attendance list had a vote on the meeting's day.
    pub async fn vote_electorate(&self, actor: &Actor, meeting_id: i64) -> Result<VoteElectorate> {
        actor.require_staff()?;
        let (meeting, _) = self.db.meeting_get(actor.scope(), meeting_id).await?;
        let (attendees, restrictions) = self
            .db
            .meeting_voter_facts(actor.scope(), meeting_id)
            .await?;
        Ok(VoteElectorate::count(
            &attendees,
            &restrictions,
            meeting.held_on,
        ))
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

    /// The logged-in member's organisational life this year: the meetings they were expected at
    /// or attended, newest first, with how they attended.
    pub async fn my_meetings(&self, actor: &Actor) -> Result<Vec<SignInMeeting>> {
        match actor.member_id {
            Some(member) if actor.role == Role::Member => {
                let today = today();
                let january = chrono::Datelike::with_ordinal(&today, 1).unwrap_or(today);
                Ok(self.db.member_meetings(member, january, today).await?)
            }
            _ => Err(AppError::Forbidden),
        }
    }

    /// The logged-in member signs in to one of today's meetings.
    pub async fn sign_in(&self, actor: &Actor, meeting_id: i64) -> Result<()> {
        let member = match actor.member_id {
            Some(member) if actor.role == Role::Member => member,
            _ => return Err(AppError::Forbidden),
        };
        self.db
            .meeting_sign_in(member, meeting_id, today(), &actor.author())
            .await?;
        // Signing in is attending: the meeting's points follow, read from the member's tree.
        let root = self.db.member_get(actor.scope(), member).await?.root_org_id;
        self.points_after_meeting(root, meeting_id).await;
        Ok(())
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

    /// A list of `listed` voters, `present` of them there.
    fn voters(listed: u32, present: u32) -> VoteElectorate {
        VoteElectorate {
            counts: domain::rights::electorate((0..listed).map(|i| (i < present, Standing::Voter))),
            non_voters: Vec::new(),
        }
    }

    fn check(input: &VoteInput) -> Result<NewVote> {
        validate_vote(input, Institution::BranchGeneralMeeting, &voters(20, 20))
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn attendee(id: i64, present: bool, status: &str, full_on: Option<NaiveDate>) -> AttendeeFacts {
        AttendeeFacts {
            member_id: id,
            present,
            status: status.into(),
            admitted_on: d(2020, 7, 1),
            full_on,
        }
    }

    #[test]
    fn a_vote_without_quorum_is_refused_and_a_failed_one_is_kept_as_failed() {
        let refused = check(&vote("ordinary", "20", "10", "10")).unwrap_err();
        assert!(
            refused.to_string().contains("超过应到会人数的半数"),
            "{refused}"
        );
        let failed = check(&vote("ordinary", "20", "11", "10")).unwrap();
        assert!(!failed.passed, "10 of 20 expected is not more than half");
        let passed = check(&vote("ordinary", "20", "11", "11")).unwrap();
        assert!(passed.passed);
        let election = check(&vote("election", "20", "16", "16")).unwrap_err();
        assert!(election.to_string().contains("五分之四"));
    }

    #[test]
    fn written_opinions_count_only_for_admission() {
        let mut admission = vote("admission", "20", "11", "9");
        admission.written_yes = "2".into();
        assert!(check(&admission).unwrap().passed);
        admission.decision = "ordinary".into();
        assert!(check(&admission).is_err());
    }

    #[test]
    fn counts_must_add_up() {
        let mut v = vote("ordinary", "20", "12", "8");
        v.against = "3".into();
        v.abstain = "2".into();
        assert!(
            check(&v)
                .unwrap_err()
                .to_string()
                .contains("超过实到会人数")
        );
        v.abstain = "x".into();
        assert!(check(&v).unwrap_err().to_string().contains("整数"));
    }

    #[test]
    fn admission_and_elections_only_on_a_general_meeting() {
        for (decision, regulation) in [
            ("admission", "《中国共产党发展党员工作细则》"),
            ("election", "《中国共产党基层组织选举工作条例》"),
        ] {
            let e = validate_vote(
                &vote(decision, "20", "20", "20"),
                Institution::BranchCommitteeMeeting,
                &voters(20, 20),
            )
            .unwrap_err()
            .to_string();
            assert!(
                e.contains("须由支部党员大会") && e.contains(regulation) && e.contains("支委会"),
                "{e}"
            );
            assert!(!e.contains("DOMAIN"), "{e}");
        }
        let ordinary = validate_vote(
            &vote("ordinary", "20", "20", "20"),
            Institution::BranchCommitteeMeeting,
            &voters(20, 20),
        );
        assert!(ordinary.unwrap().passed);
    }

    #[test]
    fn typed_counts_cannot_exceed_the_voters_on_the_list() {
        // 15 listed: 12 voters, 3 probationary; 12 present: 10 voters, 2 probationary.
        let mut attendees: Vec<AttendeeFacts> = (0..12)
            .map(|i| attendee(i, i < 10, "full", Some(d(2021, 7, 1))))
            .collect();
        attendees.extend((12..15).map(|i| attendee(i, i < 14, "probationary", None)));
        let e = VoteElectorate::count(&attendees, &[], d(2026, 6, 1));
        assert_eq!(
            e.describe(),
            "到会名单 15 人，其中有表决权 12 人，预备党员 3 人不参加表决；出席 12 人，其中有表决权 10 人，预备党员 2 人不参加表决"
        );
        let at = |input: &VoteInput| validate_vote(input, Institution::BranchGeneralMeeting, &e);
        assert!(at(&vote("admission", "12", "10", "7")).unwrap().passed);
        let too_many = at(&vote("admission", "15", "12", "12"))
            .unwrap_err()
            .to_string();
        assert!(
            too_many.contains("填写了 15 人")
                && too_many.contains("只有 12 人")
                && too_many.contains("预备党员 3 人"),
            "{too_many}"
        );
        let present = at(&vote("admission", "12", "12", "12"))
            .unwrap_err()
            .to_string();
        assert!(
            present.contains("实到会填写了 12 人") && present.contains("只有 10 人"),
            "{present}"
        );
        // Fewer expected than listed is allowed (members removed with 上级 consent).
        assert!(at(&vote("ordinary", "11", "10", "6")).unwrap().passed);
        // No voters recorded at all: the attendance has to come first.
        let empty = validate_vote(
            &vote("ordinary", "3", "3", "3"),
            Institution::BranchGeneralMeeting,
            &VoteElectorate::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(empty.contains("请先在会议记录中登记到会情况"), "{empty}");
    }

    #[test]
    fn the_electorate_is_counted_as_of_the_meeting_day() {
        let day = d(2026, 6, 1);
        let restriction = |member_id, kind: &str, ended_on| MemberRestriction {
            id: member_id,
            member_id,
            kind: kind.into(),
            from_date: d(2026, 1, 1),
            term_months: (kind == "party_probation").then_some(12),
            reason: String::new(),
            approval: String::new(),
            ended_on,
            end_approval: None,
            created_by: String::new(),
            created_at: chrono::Utc::now(),
            ended_by: None,
            ended_at: None,
        };
        let attendees = [
            attendee(1, true, "full", Some(d(2021, 7, 1))),
            // Converted after the meeting: still 预备 on its day.
            attendee(2, true, "full", Some(d(2026, 7, 1))),
            // No 转正日期 on record: counts as 正式.
            attendee(3, true, "full", None),
            attendee(4, true, "full", Some(d(2021, 7, 1))),
            attendee(5, false, "full", Some(d(2021, 7, 1))),
            attendee(6, true, "full", Some(d(2021, 7, 1))),
        ];
        let restrictions = [
            restriction(4, "party_probation", None),
            restriction(5, "rights_suspended", None),
            // Rights restored before the meeting.
            restriction(6, "party_probation", Some(d(2026, 5, 1))),
        ];
        let e = VoteElectorate::count(&attendees, &restrictions, day);
        assert_eq!((e.counts.listed.voters, e.counts.present.voters), (3, 3));
        assert_eq!(e.why_not(2), "预备党员");
        assert_eq!(e.why_not(4), "受留党察看处分");
        assert_eq!(e.why_not(5), "停止党员权利");
        assert_eq!(e.why_not(6), "");
        assert_eq!(
            e.describe(),
            "到会名单 6 人，其中有表决权 3 人，预备党员 1 人、受留党察看处分 1 人、停止党员权利 1 人不参加表决；出席 5 人，其中有表决权 3 人，预备党员 1 人、受留党察看处分 1 人不参加表决"
        );
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
