//! Closed vocabularies shared by every crate: organisation kinds, member
//! categories, roles and the like.
//!
//! Each enum carries a stable snake_case `code` (identical to its serde form,
//! so stored data and URLs agree) and a Chinese `label` for people. Imports
//! from spreadsheets usually carry the label, so `from_label` also accepts the
//! code and a few common aliases.

/// Version of the classification rules in this module (levels, default
/// management modes, role permissions).
pub const RULE_VERSION: &str = "enums-2026.1";

/// Generates the shared code/label plumbing so the five methods cannot drift
/// apart between enums.
macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident => ($code:literal, $label:literal $(, $alias:literal)* $(,)?)
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
        )]
        #[serde(rename_all = "snake_case")]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every variant, in declaration order (which is also display order).
            pub const ALL: &'static [Self] = &[ $( Self::$variant, )+ ];

            /// Stable snake_case code, identical to the serde representation.
            pub fn code(self) -> &'static str {
                match self { $( Self::$variant => $code, )+ }
            }

            /// Chinese label for display.
            pub fn label(self) -> &'static str {
                match self { $( Self::$variant => $label, )+ }
            }

            /// Every word [`Self::from_label`] takes (codes, labels, aliases), for documenting
            /// what an input field accepts.
            pub fn words() -> Vec<&'static str> {
                vec![ $( $code, $label $(, $alias)*, )+ ]
            }

            /// Inverse of [`Self::code`]; exact match only.
            pub fn from_code(code: &str) -> Option<Self> {
                match code {
                    $( $code => Some(Self::$variant), )+
                    _ => None,
                }
            }

            /// Accepts the Chinese label (surrounding whitespace ignored), a
            /// known alias, or the code, because imported sheets mix all three.
            pub fn from_label(label: &str) -> Option<Self> {
                let label = label.trim();
                match label {
                    $( $label $(| $alias)* => Some(Self::$variant), )+
                    _ => Self::from_code(label),
                }
            }
        }
    };
}
pub(crate) use code_enum;

code_enum! {
    /// Kind of party organisation in the district tree.
    /// DOMAIN.md Glossary (党组织 / 党支部 / 党小组, 大党委).
    pub enum OrgKind {
        /// Above the districts, which stay trees (roots) of their own: it sees their sums.
        ProvincialCommittee => ("provincial_committee", "省委", "市委"),
        DistrictCommittee => ("district_committee", "区委"),
        StreetCommittee => ("street_committee", "街道党工委", "街道大工委"),
        TownCommittee => ("town_committee", "镇党委"),
        CommunityCommittee => ("community_committee", "社区大党委", "社区党委"),
        VillageCommittee => ("village_committee", "村党委"),
        GeneralBranch => ("general_branch", "党总支", "党总支部"),
        Branch => ("branch", "党支部"),
        PartyGroup => ("party_group", "党小组"),
    }
}

impl OrgKind {
    /// Depth in the usual district tree. A general branch and a branch share a
    /// level because a community may hang branches directly or via a 党总支.
    /// DOMAIN.md Glossary (区 / 街道 / 社区 levels).
    pub fn level(self) -> u8 {
        match self {
            // A province links whole district trees; within its own tree it is the top as well.
            Self::ProvincialCommittee | Self::DistrictCommittee => 0,
            Self::StreetCommittee | Self::TownCommittee => 1,
            Self::CommunityCommittee | Self::VillageCommittee => 2,
            Self::GeneralBranch | Self::Branch => 3,
            Self::PartyGroup => 4,
        }
    }

    /// Only a 党支部 holds members' 组织关系; a 党总支 does not, so it is not
    /// a branch here. DOMAIN.md Glossary (组织关系 → `membership_branch`).
    pub fn is_branch(self) -> bool {
        matches!(self, Self::Branch)
    }
}

code_enum! {
    /// Kind of branch. DOMAIN.md Glossary (联合 / 临时 / 网格 / 楼宇党支部).
    pub enum BranchKind {
        Community => ("community", "社区支部", "社区党支部"),
        Village => ("village", "村支部", "村党支部"),
        Organ => ("organ", "机关支部", "机关党支部"),
        StateEnterprise => ("state_enterprise", "国企支部", "国企党支部"),
        NonPublic => ("non_public", "非公企业支部", "非公企业党支部"),
        SocialOrg => ("social_org", "社会组织支部", "社会组织党支部"),
        School => ("school", "学校支部", "学校党支部"),
        Retiree => ("retiree", "离退休支部", "离退休党支部"),
        Joint => ("joint", "联合支部", "联合党支部"),
        Temporary => ("temporary", "临时支部", "临时党支部"),
        Grid => ("grid", "网格支部", "网格党支部"),
        Building => ("building", "楼宇支部", "楼宇党支部"),
    }
}

code_enum! {
    /// Territory level. DOMAIN.md Glossary (区 / 街道 / 社区 / 网格 / 楼宇).
    pub enum TerritoryLevel {
        District => ("district", "区"),
        Street => ("street", "街道"),
        Community => ("community", "社区"),
        Grid => ("grid", "网格"),
        Building => ("building", "楼宇"),
    }
}

impl TerritoryLevel {
    /// 0 for the district down to 4 for a building. DOMAIN.md Glossary.
    pub fn depth(self) -> u8 {
        match self {
            Self::District => 0,
            Self::Street => 1,
            Self::Community => 2,
            Self::Grid => 3,
            Self::Building => 4,
        }
    }

    /// The level directly below, if any. DOMAIN.md Glossary.
    pub fn child(self) -> Option<Self> {
        match self {
            Self::District => Some(Self::Street),
            Self::Street => Some(Self::Community),
            Self::Community => Some(Self::Grid),
            Self::Grid => Some(Self::Building),
            Self::Building => None,
        }
    }
}

code_enum! {
    /// Member category. DOMAIN.md Glossary (在职 / 无职 / ... / 学生).
    pub enum MemberCategory {
        InService => ("in_service", "在职", "在职党员"),
        NoPost => ("no_post", "无职", "无职党员"),
        NonPublic => ("non_public", "非公", "非公党员"),
        Mobile => ("mobile", "流动", "流动党员"),
        ElderlyInfirm => ("elderly_infirm", "老弱病残"),
        Retired => ("retired", "离退休", "离退休党员"),
        Farmer => ("farmer", "农民", "农民党员"),
        Student => ("student", "学生", "学生党员"),
    }
}

impl MemberCategory {
    /// Default management mode for a new member of this category, as the seeds describe the
    /// grid practice of 门头沟 (seed 001): 在职党员 双重管理 (their unit and where they live),
    /// 农民党员 直接管理, 离退休党员 延续管理, 流动党员 参照管理. Local practice \[L\]; the
    /// seed names no mode for the other categories, which their branch manages directly. The
    /// branch may choose another mode per member. DOMAIN.md Glossary (双重 / 直接 / 延续 / 参照管理).
    pub fn default_management_mode(self) -> ManagementMode {
        match self {
            Self::InService => ManagementMode::Dual,
            Self::Farmer => ManagementMode::Direct,
            Self::Retired => ManagementMode::Continued,
            Self::Mobile => ManagementMode::Referenced,
            Self::NoPost | Self::NonPublic | Self::ElderlyInfirm | Self::Student => {
                ManagementMode::Direct
            }
        }
    }
}

code_enum! {
    /// How a member is managed. DOMAIN.md Glossary (双重 / 直接 / 延续 / 参照管理).
    pub enum ManagementMode {
        Dual => ("dual", "双重管理"),
        Direct => ("direct", "直接管理"),
        Continued => ("continued", "延续管理"),
        Referenced => ("referenced", "参照管理"),
    }
}

code_enum! {
    /// Full or probationary member; only full members vote.
    /// DOMAIN.md §2.1 and Glossary (正式党员 / 预备党员).
    pub enum MemberStatus {
        Full => ("full", "正式党员", "正式"),
        Probationary => ("probationary", "预备党员", "预备"),
    }
}

code_enum! {
    /// Application role of a user account (local practice \[L\]).
    pub enum Role {
        Admin => ("admin", "系统管理员"),
        OrgAdmin => ("org_admin", "组织管理员"),
        BranchOfficer => ("branch_officer", "支部书记", "组织委员", "支部书记/组织委员"),
        Member => ("member", "党员"),
        DeptHandler => ("dept_handler", "部门办理人"),
    }
}

impl Role {
    /// Personal data (ID numbers, phones) is shown only to those who keep the
    /// member records; ordinary members and department handlers working a
    /// case see masked values. Local practice \[L\].
    pub fn may_see_personal_data(self) -> bool {
        matches!(self, Self::Admin | Self::OrgAdmin | Self::BranchOfficer)
    }

    /// Same record keepers may change records. Local practice \[L\].
    pub fn may_edit(self) -> bool {
        matches!(self, Self::Admin | Self::OrgAdmin | Self::BranchOfficer)
    }
}

code_enum! {
    /// Gender as recorded on the resident ID card.
    pub enum Gender {
        Male => ("male", "男"),
        Female => ("female", "女"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// serde's `rename_all = "snake_case"` turns `InService` into
    /// `in_service`; the codes must be exactly that.
    fn snake(debug_name: &str) -> String {
        let mut out = String::new();
        for (i, c) in debug_name.chars().enumerate() {
            if c.is_ascii_uppercase() {
                if i > 0 {
                    out.push('_');
                }
                out.push(c.to_ascii_lowercase());
            } else {
                out.push(c);
            }
        }
        out
    }

    macro_rules! check_enum {
        ($t:ty) => {{
            let all = <$t>::ALL;
            assert!(!all.is_empty());
            for &v in all {
                assert_eq!(v.code(), snake(&format!("{v:?}")), "{v:?}");
                assert_eq!(<$t>::from_code(v.code()), Some(v));
                assert_eq!(<$t>::from_label(v.label()), Some(v));
                assert_eq!(<$t>::from_label(&format!("  {} ", v.label())), Some(v));
                assert_eq!(<$t>::from_label(v.code()), Some(v));
            }
            let mut codes: Vec<_> = all.iter().map(|v| v.code()).collect();
            codes.sort_unstable();
            codes.dedup();
            assert_eq!(codes.len(), all.len());
            let mut labels: Vec<_> = all.iter().map(|v| v.label()).collect();
            labels.sort_unstable();
            labels.dedup();
            assert_eq!(labels.len(), all.len());
            for word in <$t>::words() {
                assert!(<$t>::from_label(word).is_some(), "{word}");
            }
            assert_eq!(<$t>::from_code("no_such_code"), None);
            assert_eq!(<$t>::from_label("不存在"), None);
        }};
    }

    #[test]
    fn codes_labels_round_trip() {
        check_enum!(OrgKind);
        check_enum!(BranchKind);
        check_enum!(TerritoryLevel);
        check_enum!(MemberCategory);
        check_enum!(ManagementMode);
        check_enum!(MemberStatus);
        check_enum!(Role);
        check_enum!(Gender);
    }

    #[test]
    fn variant_counts() {
        assert_eq!(OrgKind::ALL.len(), 9);
        assert_eq!(BranchKind::ALL.len(), 12);
        assert_eq!(TerritoryLevel::ALL.len(), 5);
        assert_eq!(MemberCategory::ALL.len(), 8);
        assert_eq!(ManagementMode::ALL.len(), 4);
        assert_eq!(MemberStatus::ALL.len(), 2);
        assert_eq!(Role::ALL.len(), 5);
        assert_eq!(Gender::ALL.len(), 2);
    }

    #[test]
    fn aliases() {
        assert_eq!(Role::from_label("组织委员"), Some(Role::BranchOfficer));
        assert_eq!(Role::from_label("支部书记"), Some(Role::BranchOfficer));
        assert_eq!(
            MemberStatus::from_label("预备"),
            Some(MemberStatus::Probationary)
        );
        assert_eq!(
            BranchKind::from_label("联合党支部"),
            Some(BranchKind::Joint)
        );
        assert_eq!(Role::BranchOfficer.label(), "支部书记");
    }

    #[test]
    fn org_levels() {
        assert_eq!(OrgKind::ProvincialCommittee.level(), 0);
        assert_eq!(
            OrgKind::from_label("市委"),
            Some(OrgKind::ProvincialCommittee)
        );
        assert_eq!(OrgKind::DistrictCommittee.level(), 0);
        assert_eq!(OrgKind::StreetCommittee.level(), 1);
        assert_eq!(OrgKind::TownCommittee.level(), 1);
        assert_eq!(OrgKind::CommunityCommittee.level(), 2);
        assert_eq!(OrgKind::VillageCommittee.level(), 2);
        assert_eq!(OrgKind::GeneralBranch.level(), 3);
        assert_eq!(OrgKind::Branch.level(), 3);
        assert_eq!(OrgKind::PartyGroup.level(), 4);
        let branches: Vec<_> = OrgKind::ALL.iter().filter(|k| k.is_branch()).collect();
        assert_eq!(branches, vec![&OrgKind::Branch]);
    }

    #[test]
    fn territory_chain() {
        let mut level = Some(TerritoryLevel::District);
        let mut seen = Vec::new();
        while let Some(l) = level {
            assert_eq!(usize::from(l.depth()), seen.len());
            seen.push(l);
            level = l.child();
        }
        assert_eq!(seen, TerritoryLevel::ALL);
    }

    #[test]
    fn management_defaults_follow_the_seed() {
        use ManagementMode::*;
        // Seed 001 (门头沟, 东杨坨村): 在职党员"双重管理", 农民党员"直接管理",
        // 离退休党员"延续管理", 流动党员"参照管理".
        assert_eq!(MemberCategory::InService.default_management_mode(), Dual);
        assert_eq!(MemberCategory::Farmer.default_management_mode(), Direct);
        assert_eq!(MemberCategory::Retired.default_management_mode(), Continued);
        assert_eq!(MemberCategory::Mobile.default_management_mode(), Referenced);
        for c in [
            MemberCategory::NoPost,
            MemberCategory::NonPublic,
            MemberCategory::ElderlyInfirm,
            MemberCategory::Student,
        ] {
            assert_eq!(c.default_management_mode(), Direct);
        }
    }

    #[test]
    fn role_permissions() {
        for r in [Role::Admin, Role::OrgAdmin, Role::BranchOfficer] {
            assert!(r.may_see_personal_data() && r.may_edit());
        }
        for r in [Role::Member, Role::DeptHandler] {
            assert!(!r.may_see_personal_data() && !r.may_edit());
        }
    }
}
