//! Pinyin search keys for names, so staff can find 张三 by typing `zhangsan`
//! or `zs`.
//!
//! Surnames are often read differently from the character's most common
//! reading (单 is `shan` as a surname, not `dan`), and a search key built from
//! the common reading would make those members unfindable. The surname list is
//! local practice \[L\].

use pinyin::ToPinyin;

/// Version of the key-building rules, bumped when the surname table changes
/// so stored keys can be rebuilt.
pub const RULE_VERSION: &str = "names-2024.1";

/// Compound surnames, checked before single ones. Each syllable is listed so
/// initials come out per character.
const COMPOUND_SURNAMES: &[(&str, &[&str])] = &[
    ("尉迟", &["yu", "chi"]),
    ("万俟", &["mo", "qi"]),
    ("长孙", &["zhang", "sun"]),
    ("澹台", &["tan", "tai"]),
];

const SINGLE_SURNAMES: &[(char, &str)] = &[
    ('单', "shan"),
    ('曾', "zeng"),
    ('解', "xie"),
    ('仇', "qiu"),
    ('朴', "piao"),
    ('查', "zha"),
    ('区', "ou"),
    ('乐', "yue"),
    ('盖', "ge"),
    ('缪', "miao"),
    ('翟', "zhai"),
    ('覃', "qin"),
];

/// Search keys for one name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub struct NameKeys {
    /// Toneless pinyin of every character, concatenated: `zhangsan`.
    pub full: String,
    /// First letter of each syllable (首字母): `zs`.
    pub initials: String,
}

impl NameKeys {
    fn push_syllable(&mut self, syllable: &str) {
        // `ü` is typed as `v` on every pinyin keyboard.
        let ascii = syllable.replace('ü', "v");
        if let Some(first) = ascii.chars().next() {
            self.initials.push(first);
        }
        self.full.push_str(&ascii);
    }
}

/// Builds the pinyin keys of a name. Han characters use their first reading
/// except for the surname table above; ASCII letters and digits pass through
/// lowercased, each run counting as one word for the initials; anything else
/// (spaces, the `·` in transliterated names) is dropped.
pub fn name_keys(name: &str) -> NameKeys {
    let name = name.trim();
    let mut keys = NameKeys::default();
    let mut rest = name;

    if let Some((surname, syllables)) = COMPOUND_SURNAMES
        .iter()
        .find(|(surname, _)| name.starts_with(surname))
    {
        for s in *syllables {
            keys.push_syllable(s);
        }
        rest = &name[surname.len()..];
    } else if let Some(first) = name.chars().next()
        && let Some((_, reading)) = SINGLE_SURNAMES.iter().find(|(c, _)| *c == first)
    {
        keys.push_syllable(reading);
        rest = &name[first.len_utf8()..];
    }

    let mut in_ascii_word = false;
    for c in rest.chars() {
        if c.is_ascii_alphanumeric() {
            let lower = c.to_ascii_lowercase();
            if !in_ascii_word {
                keys.initials.push(lower);
            }
            keys.full.push(lower);
            in_ascii_word = true;
            continue;
        }
        in_ascii_word = false;
        if let Some(p) = c.to_pinyin() {
            keys.push_syllable(p.plain());
        }
    }
    keys
}

/// Normalises what a user typed in a search box so it can be compared with
/// [`NameKeys`] and with names: trimmed, lowercased, all whitespace removed.
pub fn normalise_query(q: &str) -> String {
    q.trim()
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn keys(full: &str, initials: &str) -> NameKeys {
        NameKeys {
            full: full.into(),
            initials: initials.into(),
        }
    }

    #[test]
    fn common_names() {
        assert_eq!(name_keys("张三"), keys("zhangsan", "zs"));
        assert_eq!(name_keys(" 王小明 "), keys("wangxiaoming", "wxm"));
    }

    #[test]
    fn surname_readings() {
        assert_eq!(name_keys("单雄信"), keys("shanxiongxin", "sxx"));
        assert_eq!(name_keys("曾国藩").full, "zengguofan");
        assert_eq!(name_keys("尉迟恭"), keys("yuchigong", "ycg"));
        assert_eq!(name_keys("万俟卨").initials.get(..2), Some("mq"));
        assert_eq!(name_keys("长孙无忌").full, "zhangsunwuji");
        assert_eq!(name_keys("澹台灭明").full, "tantaimieming");
        assert_eq!(name_keys("解缙").full, "xiejin");
        assert_eq!(name_keys("仇英").full, "qiuying");
        assert_eq!(name_keys("朴树").full, "piaoshu");
        assert_eq!(name_keys("查良镛").full, "zhaliangyong");
        assert_eq!(name_keys("区家明").full, "oujiaming");
        assert_eq!(name_keys("乐嘉").full, "yuejia");
        assert_eq!(name_keys("盖聂").full, "genie");
        assert_eq!(name_keys("缪斯").full, "miaosi");
        assert_eq!(name_keys("翟志刚").full, "zhaizhigang");
        assert_eq!(name_keys("覃海").full, "qinhai");
    }

    #[test]
    fn surname_reading_applies_only_at_the_start() {
        // 单 inside a given name keeps its ordinary reading.
        assert_eq!(name_keys("李单").full, "lidan");
    }

    #[test]
    fn mixed_and_other_chars() {
        assert_eq!(name_keys("李Lei").full, "lilei");
        assert_eq!(name_keys("李Lei").initials, "ll");
        assert_eq!(name_keys("张三2").full, "zhangsan2");
        assert_eq!(
            name_keys("阿依古丽·买买提"),
            keys("ayigulimaimaiti", "ayglmmt")
        );
        assert_eq!(name_keys("吕布").full, "lvbu");
        assert_eq!(name_keys(""), NameKeys::default());
    }

    #[test]
    fn query_normalisation() {
        assert_eq!(normalise_query("  Zhang San "), "zhangsan");
        assert_eq!(normalise_query("张\u{3000}三"), "张三");
    }

    proptest! {
        #[test]
        fn keys_are_consistent(name in "[\u{4e00}-\u{9fa5}]{1,4}") {
            let k = name_keys(&name);
            prop_assert!(k.initials.chars().count() <= name.chars().count());
            if let Some(first) = k.initials.chars().next() {
                prop_assert!(k.full.starts_with(first));
            }
            prop_assert!(k.full.chars().all(|c| c.is_ascii_lowercase()));
        }
    }
}
