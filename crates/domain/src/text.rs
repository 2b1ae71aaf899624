//! How long free text typed by people may be: names, units, places, minutes, reasons. The web
//! forms, the JSON API and the command line all validate through the same limits, so they refuse
//! the same input with the same Chinese words.
//!
//! DOMAIN.md sets no lengths; these are local choices, generous for real use (a 会议记录 of
//! 20,000 characters is about ten printed pages) and small enough that no one field can make a
//! page, an audit row or an export unwieldy. Lengths count characters, not bytes: 张三 is two.

use std::borrow::Cow;

/// A field's name as the user knows it, and how many characters it may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextLimit {
    pub field: &'static str,
    pub max_chars: usize,
}

/// Text longer than its field allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}过长：最多 {max_chars} 个字，现在有 {actual} 个字，请删减后再提交")]
pub struct TooLong {
    pub field: &'static str,
    pub max_chars: usize,
    pub actual: usize,
}

impl TextLimit {
    pub const fn new(field: &'static str, max_chars: usize) -> TextLimit {
        TextLimit { field, max_chars }
    }

    /// Checks `text` as it will be stored (trimmed).
    pub fn check(&self, text: &str) -> Result<(), TooLong> {
        let text = text.trim();
        // A byte count at or under the limit cannot hold more characters than that.
        if text.len() <= self.max_chars {
            return Ok(());
        }
        let actual = text.chars().count();
        if actual <= self.max_chars {
            Ok(())
        } else {
            Err(TooLong {
                field: self.field,
                max_chars: self.max_chars,
                actual,
            })
        }
    }
}

// People.
pub const PERSON_NAME: TextLimit = TextLimit::new("姓名", 30);
pub const WORK_UNIT: TextLimit = TextLimit::new("工作单位", 100);
pub const NATIVE_PLACE: TextLimit = TextLimit::new("籍贯", 60);
pub const SECRETARY: TextLimit = TextLimit::new("书记姓名", 30);
pub const DISPLAY_NAME: TextLimit = TextLimit::new("显示名", 30);
pub const USERNAME: TextLimit = TextLimit::new("用户名", 32);
/// Long enough for any pass phrase; argon2 hashes whatever it is given, so an unbounded one
/// is work for nothing.
pub const PASSWORD: TextLimit = TextLimit::new("密码", 128);

// Organisations and places.
pub const ORG_NAME: TextLimit = TextLimit::new("组织名称", 60);
pub const TERRITORY_NAME: TextLimit = TextLimit::new("名称", 60);

// Meetings (组织生活).
pub const MEETING_PLACE: TextLimit = TextLimit::new("地点", 100);
pub const MEETING_CHAIR: TextLimit = TextLimit::new("主持人", 30);
pub const MEETING_RECORDER: TextLimit = TextLimit::new("记录人", 30);
pub const MEETING_AGENDA: TextLimit = TextLimit::new("议程", 2_000);
pub const MEETING_MINUTES: TextLimit = TextLimit::new("会议记录", 20_000);
pub const MEETING_RESOLUTIONS: TextLimit = TextLimit::new("决议", 5_000);
pub const ABSENCE_REASON: TextLimit = TextLimit::new("缺席原因", 200);
pub const VOTE_SUBJECT: TextLimit = TextLimit::new("表决事项", 200);
pub const EXEMPTION_REASON: TextLimit = TextLimit::new("免除原因", 500);
pub const APPROVAL: TextLimit = TextLimit::new("批准文号或批准人", 100);
/// Why a member's rights were restricted (留党察看, 停止党员权利): the decision's grounds.
pub const RESTRICTION_REASON: TextLimit = TextLimit::new("原因", 500);

// 组织关系转接 and the search for 失联 members.
pub const TRANSFER_REASON: TextLimit = TextLimit::new("转接原因", 200);
/// An organisation outside named on a letter (接收或开具介绍信的党组织).
pub const TRANSFER_ORG: TextLimit = TextLimit::new("党组织名称", 100);
pub const TRANSFER_HANDLER: TextLimit = TextLimit::new("经办人", 60);
pub const TRANSFER_DOCUMENT: TextLimit = TextLimit::new("介绍信编号或材料", 100);
pub const CAMPAIGN_TITLE: TextLimit = TextLimit::new("排查名称", 60);
pub const ATTEMPT_NOTE: TextLimit = TextLimit::new("查找情况", 500);

// Dues (党费).
/// Pay-slip items as typed (`基本工资=6000,…`): a real slip has a few dozen items.
pub const DUES_COMPONENTS: TextLimit = TextLimit::new("工资构成", 2_000);
pub const PROXY_NAME: TextLimit = TextLimit::new("代缴人", 30);
pub const EXPENSE_PURPOSE: TextLimit = TextLimit::new("用途", 200);

// 一呼百应 (volunteer service).
pub const NEED_TITLE: TextLimit = TextLimit::new("需求名称", 60);
pub const NEED_DETAIL: TextLimit = TextLimit::new("需求说明", 1_000);
pub const NEED_PLACE: TextLimit = TextLimit::new("服务地点", 100);
pub const SERVICE_STATION: TextLimit = TextLimit::new("志愿服务站", 60);
pub const NEED_SKILLS: TextLimit = TextLimit::new("所需特长", 100);
pub const POSTER_UNIT: TextLimit = TextLimit::new("驻区单位", 60);
pub const SERVICE_SKILLS: TextLimit = TextLimit::new("特长", 200);
pub const SERVICE_AVAILABILITY: TextLimit = TextLimit::new("可服务时间", 200);
pub const WISH_TITLE: TextLimit = TextLimit::new("心愿内容", 60);
pub const WISH_STORY: TextLimit = TextLimit::new("心愿说明", 300);
pub const WISH_NAME: TextLimit = TextLimit::new("公示称呼", 30);
pub const WISH_CONTACT: TextLimit = TextLimit::new("联系方式", 100);
pub const SERVICE_NOTE: TextLimit = TextLimit::new("说明", 300);
pub const APPROVED_BY: TextLimit = TextLimit::new("批准人", 60);
pub const WAIVER_REASON: TextLimit = TextLimit::new("减免原因", 500);
pub const APPROVAL_REF: TextLimit = TextLimit::new("批准文号", 100);
pub const POINTS_REASON: TextLimit = TextLimit::new("加减分事由", 200);
pub const SELF_REVIEW: TextLimit = TextLimit::new("个人自评", 1_000);

/// Any short coded value (a category, a status, a date, a count) echoed in a message: longer
/// input is certainly wrong, and quoting it whole would make the message as long as the input.
pub const ECHO_CHARS: usize = 20;

/// What someone typed, trimmed and cut to `max_chars` characters (with "…"), for quoting it
/// back in a message.
pub fn excerpt(text: &str, max_chars: usize) -> Cow<'_, str> {
    let text = text.trim();
    match text.char_indices().nth(max_chars) {
        None => Cow::Borrowed(text),
        Some((cut, _)) => Cow::Owned(format!("{}…", &text[..cut])),
    }
}

/// [`excerpt`] at [`ECHO_CHARS`], the usual length of a quoted value.
pub fn echo(text: &str) -> Cow<'_, str> {
    excerpt(text, ECHO_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn characters_are_counted_not_bytes() {
        let name = TextLimit::new("姓名", 3);
        assert!(name.check("张三丰").is_ok(), "9 bytes, 3 characters");
        assert!(name.check("  张三丰  ").is_ok(), "trimmed as stored");
        let err = name.check("欧阳张三").unwrap_err();
        assert_eq!(err.actual, 4);
        assert_eq!(
            err.to_string(),
            "姓名过长：最多 3 个字，现在有 4 个字，请删减后再提交"
        );
    }

    #[test]
    fn excerpts_cut_on_characters() {
        assert_eq!(excerpt("在职党员", 10), "在职党员");
        assert_eq!(excerpt("在职党员", 2), "在职…");
        assert_eq!(echo(&"x".repeat(10_000)).chars().count(), ECHO_CHARS + 1);
    }

    proptest! {
        #[test]
        fn a_check_agrees_with_the_character_count(text in "\\PC{0,40}", max in 0usize..30) {
            let limit = TextLimit::new("字段", max);
            prop_assert_eq!(limit.check(&text).is_ok(), text.trim().chars().count() <= max);
        }

        #[test]
        fn an_excerpt_is_a_prefix_and_never_longer_than_asked(text in "\\PC{0,40}", max in 0usize..30) {
            let short = excerpt(&text, max);
            let kept = short.trim_end_matches('…');
            prop_assert!(text.trim().starts_with(kept));
            prop_assert!(kept.chars().count() <= max);
        }
    }
}
