//! The vocabularies of a member's record beyond identity: 学历, 民族 and 党内职务.
//!
//! DOMAIN.md has no section on these fields. The levels follow the national standards that
//! party rolls and personnel files use (GB/T 4658 学历代码, GB/T 3304 民族名称), grouped the way
//! a 党内统计 table reports them; the posts are the committee roles of DOMAIN.md §4.

use crate::enums::code_enum;

/// Version of these vocabularies.
pub const RULE_VERSION: &str = "record-2026.1";

code_enum! {
    /// Highest level of education completed, in the six groups of the 党内统计 tables
    /// (GB/T 4658 folded: 博士/硕士 → 研究生, 技校/职高 → 中专, 小学 → 初中及以下).
    pub enum Education {
        Postgraduate => ("postgraduate", "研究生", "博士研究生", "硕士研究生", "博士", "硕士"),
        Bachelor => ("bachelor", "大学本科", "本科", "大学"),
        College => ("college", "大学专科", "大专", "专科", "高职"),
        SecondaryVocational => ("secondary_vocational", "中专", "中等专科", "中技", "技校", "技工学校", "职高", "中专及中技"),
        HighSchool => ("high_school", "高中", "普通高中"),
        JuniorOrBelow => ("junior_or_below", "初中及以下", "初中", "小学", "小学及以下", "文盲"),
    }
}

code_enum! {
    /// A seat on a party committee (支委会, 总支委员会 or 党委) or the leader of a 党小组.
    /// DOMAIN.md §4: the committee has a 书记, the 组织, 宣传 and 纪检 委员 and optionally a
    /// 副书记; a 党小组 has a leader appointed by the branch.
    pub enum PartyPost {
        Secretary => ("secretary", "书记", "党支部书记", "支部书记", "党委书记", "总支书记"),
        DeputySecretary => ("deputy_secretary", "副书记", "党支部副书记", "支部副书记"),
        OrganisationMember => ("organisation_member", "组织委员"),
        PublicityMember => ("publicity_member", "宣传委员"),
        DisciplineMember => ("discipline_member", "纪检委员", "纪律检查委员"),
        YouthMember => ("youth_member", "青年委员"),
        CommitteeMember => ("committee_member", "委员", "支委", "支部委员"),
        GroupLeader => ("group_leader", "党小组组长", "党小组长", "小组长"),
    }
}

impl PartyPost {
    /// A 党小组 leader sits on a 党小组; every other post on a committee of a branch or above.
    pub fn sits_on_party_group(self) -> bool {
        self == PartyPost::GroupLeader
    }
}

/// The 56 nationalities by their standard names (GB/T 3304), then the two catch-all entries the
/// standard adds.
pub const ETHNIC_GROUPS: [&str; 58] = [
    "汉族",
    "蒙古族",
    "回族",
    "藏族",
    "维吾尔族",
    "苗族",
    "彝族",
    "壮族",
    "布依族",
    "朝鲜族",
    "满族",
    "侗族",
    "瑶族",
    "白族",
    "土家族",
    "哈尼族",
    "哈萨克族",
    "傣族",
    "黎族",
    "傈僳族",
    "佤族",
    "畲族",
    "高山族",
    "拉祜族",
    "水族",
    "东乡族",
    "纳西族",
    "景颇族",
    "柯尔克孜族",
    "土族",
    "达斡尔族",
    "仫佬族",
    "羌族",
    "布朗族",
    "撒拉族",
    "毛南族",
    "仡佬族",
    "锡伯族",
    "阿昌族",
    "普米族",
    "塔吉克族",
    "怒族",
    "乌孜别克族",
    "俄罗斯族",
    "鄂温克族",
    "德昂族",
    "保安族",
    "裕固族",
    "京族",
    "塔塔尔族",
    "独龙族",
    "鄂伦春族",
    "赫哲族",
    "门巴族",
    "珞巴族",
    "基诺族",
    "其他未识别民族",
    "外国血统中国籍人士",
];

/// The standard name of a nationality as people type it: "汉族", "汉" or "蒙古" are all
/// accepted; spaces around it are ignored. `None` when it names none of them.
pub fn ethnic_group(text: &str) -> Option<&'static str> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    ETHNIC_GROUPS
        .iter()
        .copied()
        .find(|name| *name == text || name.strip_suffix('族') == Some(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn education_reads_what_rolls_say() {
        for (text, level) in [
            ("硕士研究生", Education::Postgraduate),
            ("本科", Education::Bachelor),
            ("大专", Education::College),
            ("技工学校", Education::SecondaryVocational),
            ("高中", Education::HighSchool),
            ("小学", Education::JuniorOrBelow),
            ("bachelor", Education::Bachelor),
        ] {
            assert_eq!(Education::from_label(text), Some(level), "{text}");
        }
        assert_eq!(Education::from_label("幼儿园"), None);
    }

    #[test]
    fn posts_read_with_or_without_the_branch_prefix() {
        assert_eq!(
            PartyPost::from_label("党支部书记"),
            Some(PartyPost::Secretary)
        );
        assert_eq!(
            PartyPost::from_label("支委"),
            Some(PartyPost::CommitteeMember)
        );
        assert!(PartyPost::GroupLeader.sits_on_party_group());
        assert!(!PartyPost::Secretary.sits_on_party_group());
    }

    #[test]
    fn nationalities_are_the_fifty_six_and_two_more() {
        let mut names = ETHNIC_GROUPS.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 58);
        assert_eq!(ethnic_group("汉"), Some("汉族"));
        assert_eq!(ethnic_group(" 蒙古 "), Some("蒙古族"));
        assert_eq!(ethnic_group("维吾尔族"), Some("维吾尔族"));
        assert_eq!(ethnic_group("火星族"), None);
        assert_eq!(ethnic_group(""), None);
        // A bare 族 is no nationality.
        assert_eq!(ethnic_group("族"), None);
    }

    proptest! {
        #[test]
        fn a_nationality_reads_back_as_itself(i in 0usize..58) {
            let name = ETHNIC_GROUPS[i];
            prop_assert_eq!(ethnic_group(name), Some(name));
            if let Some(short) = name.strip_suffix('族') {
                prop_assert_eq!(ethnic_group(short), Some(name));
            }
        }

        #[test]
        fn every_label_and_code_reads_back(i in 0usize..6, j in 0usize..8) {
            let level = Education::ALL[i];
            prop_assert_eq!(Education::from_label(level.label()), Some(level));
            prop_assert_eq!(Education::from_label(level.code()), Some(level));
            let post = PartyPost::ALL[j];
            prop_assert_eq!(PartyPost::from_label(post.label()), Some(post));
            prop_assert_eq!(PartyPost::from_label(post.code()), Some(post));
        }
    }
}
