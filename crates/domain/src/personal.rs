//! Masking and validation of personal data (ID numbers, mobile phones).
//!
//! Roles without [`crate::Role::may_see_personal_data`] see only masked
//! values, so masking must never leak the identifying middle part. Lengths are
//! kept so that a masked value still looks like what it stands for.

/// Version of the masking and phone rules. Local practice \[L\].
pub const RULE_VERSION: &str = "personal-2024.1";

const MASK: char = '*';

/// Keeps `head` leading and `tail` trailing chars and masks the rest.
fn mask_keep(chars: &[char], head: usize, tail: usize) -> String {
    let n = chars.len();
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| if i < head || i + tail >= n { c } else { MASK })
        .collect()
}

/// Fallback for values of unexpected shape: reveal at most a quarter at each
/// end, so that at least half is always hidden.
fn mask_quarters(chars: &[char]) -> String {
    let q = chars.len() / 4;
    mask_keep(chars, q, q)
}

/// `110105********123X`: region and last four stay visible, which is what
/// staff need to tell members apart; birth date and sequence are hidden.
/// Values of 10 chars or fewer are masked by the quarter rule instead, since
/// keeping 6 + 4 would hide nothing. Local practice \[L\].
pub fn mask_id_number(s: &str) -> String {
    let chars: Vec<char> = s.trim().chars().collect();
    if chars.len() > 10 {
        mask_keep(&chars, 6, 4)
    } else {
        mask_quarters(&chars)
    }
}

/// `138****5678` for an 11-digit mobile; anything else keeps only its first
/// and last quarter. Local practice \[L\].
pub fn mask_phone(s: &str) -> String {
    let chars: Vec<char> = s.trim().chars().collect();
    if chars.len() == 11 && chars.iter().all(char::is_ascii_digit) {
        mask_keep(&chars, 3, 4)
    } else {
        mask_quarters(&chars)
    }
}

/// Separators people type inside a number: `138 1234 5678`, `020-8123 4567`.
fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '\u{3000}' | '-' | '－')
}

/// Positions of the characters of a number that starts at `start`: digits, single separators
/// between digit groups (skipped), and an `X` as an ID number's 18th character. At most 19.
fn number_at(chars: &[char], start: usize) -> Vec<usize> {
    let mut positions = Vec::new();
    let mut j = start;
    while j < chars.len() && positions.len() < 19 {
        let c = chars[j];
        let after_digit = j > start && chars[j - 1].is_ascii_digit();
        if c.is_ascii_digit() {
            positions.push(j);
        } else if matches!(c, 'X' | 'x') && positions.len() == 17 && after_digit {
            positions.push(j);
            break;
        } else if !(is_separator(c)
            && after_digit
            && chars.get(j + 1).is_some_and(char::is_ascii_digit))
        {
            break;
        }
        j += 1;
    }
    positions
}

/// Which of a number's characters to hide, if its first `len` characters form a mobile, a
/// landline or an ID number (or a number as long as one: bank cards are as private).
fn hidden_part(chars: &[char], positions: &[usize], len: usize) -> Option<std::ops::Range<usize>> {
    let taken = &positions[..len];
    // A number ends where no digit follows; `138123456789` is no mobile.
    if chars
        .get(taken[len - 1] + 1)
        .is_some_and(char::is_ascii_digit)
    {
        return None;
    }
    let text: String = taken.iter().map(|&p| chars[p]).collect();
    let contiguous = taken[len - 1] - taken[0] + 1 == len;
    let is_mobile = |d: &str| parse_mobile_phone(d).as_deref() == Ok(d);
    match len {
        11 if is_mobile(&text) => Some(3..7),
        13 if text.starts_with("86") && is_mobile(&text[2..]) => Some(5..9),
        18 if crate::idcard::parse_id_card(&text).is_ok() => Some(6..14),
        // Landlines with their area code: 020-81234567, 0755 1234567.
        10..=12 if text.starts_with('0') && text.bytes().all(|b| b.is_ascii_digit()) => {
            Some(3..len - 4)
        }
        15..=19 if contiguous && text[..len - 1].bytes().all(|b| b.is_ascii_digit()) => {
            Some(6..len - 4)
        }
        _ => None,
    }
}

/// Mobile and landline numbers and ID numbers inside free text (a resident's description, a
/// handler's answer), masked the way [`mask_phone`] and [`mask_id_number`] mask them: only the
/// identifying middle is replaced by `*`, separators and everything around stay as typed, so
/// house numbers, dates and amounts are untouched. Digits run together with a separator (a
/// date before a phone) are tried number by number. Local practice \[L\].
pub fn mask_numbers_in_text(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = chars.clone();
    let mut i = 0;
    while i < chars.len() {
        let starts_number = chars[i].is_ascii_digit() && (i == 0 || !chars[i - 1].is_ascii_digit());
        if !starts_number {
            i += 1;
            continue;
        }
        let positions = number_at(&chars, i);
        let found = (1..=positions.len())
            .rev()
            .find_map(|len| hidden_part(&chars, &positions, len).map(|hide| (len, hide)));
        match found {
            Some((len, hide)) => {
                for &p in &positions[hide] {
                    out[p] = MASK;
                }
                i = positions[len - 1] + 1;
            }
            None => {
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
            }
        }
    }
    out.into_iter().collect()
}

/// Why a mobile number was rejected; shown to staff as-is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("手机号不能为空")]
    Empty,
    #[error("手机号含非法字符")]
    IllegalChar,
    #[error("手机号应为11位")]
    WrongLength,
    #[error("手机号应以13至19开头")]
    BadPrefix,
}

/// Normalises a mainland mobile number to its 11 digits. Spaces (including
/// the full-width space), dashes and a `+86` / `0086` / `86` country prefix
/// are tolerated because that is how numbers arrive from forms and sheets.
/// Local practice \[L\].
pub fn parse_mobile_phone(s: &str) -> Result<String, PhoneError> {
    let mut digits = String::with_capacity(11);
    let mut plus = false;
    for (i, c) in s.trim().chars().enumerate() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '\u{3000}' | '\t' | '-' | '－' => {}
            '+' | '＋' if i == 0 => plus = true,
            _ => return Err(PhoneError::IllegalChar),
        }
    }
    if digits.is_empty() {
        return Err(PhoneError::Empty);
    }
    let national = if plus {
        digits.strip_prefix("86").ok_or(PhoneError::BadPrefix)?
    } else if digits.len() == 15 && digits.starts_with("0086") {
        &digits[4..]
    } else if digits.len() == 13 && digits.starts_with("86") {
        &digits[2..]
    } else {
        &digits
    };
    if national.len() != 11 {
        return Err(PhoneError::WrongLength);
    }
    let b = national.as_bytes();
    if b[0] != b'1' || !(b'3'..=b'9').contains(&b[1]) {
        return Err(PhoneError::BadPrefix);
    }
    Ok(national.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn id_masking() {
        assert_eq!(mask_id_number("11010519491231002X"), "110105********002X");
        assert_eq!(mask_id_number(" 11010519491231002X "), "110105********002X");
        // 15-digit first-generation numbers keep the same ends.
        assert_eq!(mask_id_number("110105491231002"), "110105*****1002");
        assert_eq!(mask_id_number("12345678"), "12****78");
        assert_eq!(mask_id_number("123"), "***");
        assert_eq!(mask_id_number(""), "");
    }

    #[test]
    fn phone_masking() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("010-62345678"), "010******678");
        assert_eq!(mask_phone("62345678"), "62****78");
        assert_eq!(mask_phone("12"), "**");
    }

    #[test]
    fn phone_parsing() {
        for ok in [
            "13812345678",
            "138 1234 5678",
            "138-1234-5678",
            "+86 138 1234 5678",
            "+8613812345678",
            "008613812345678",
            "8613812345678",
        ] {
            assert_eq!(parse_mobile_phone(ok).as_deref(), Ok("13812345678"), "{ok}");
        }
        assert_eq!(
            parse_mobile_phone("19912345678").as_deref(),
            Ok("19912345678")
        );
    }

    #[test]
    fn phone_errors() {
        use PhoneError::*;
        assert_eq!(parse_mobile_phone("  "), Err(Empty));
        assert_eq!(parse_mobile_phone("1381234567"), Err(WrongLength));
        assert_eq!(parse_mobile_phone("138123456789"), Err(WrongLength));
        assert_eq!(parse_mobile_phone("12812345678"), Err(BadPrefix));
        assert_eq!(parse_mobile_phone("23812345678"), Err(BadPrefix));
        assert_eq!(parse_mobile_phone("+4413812345678"), Err(BadPrefix));
        assert_eq!(parse_mobile_phone("138a2345678"), Err(IllegalChar));
        assert_eq!(parse_mobile_phone("138+12345678"), Err(IllegalChar));
        assert_eq!(WrongLength.to_string(), "手机号应为11位");
    }

    #[test]
    fn numbers_in_text() {
        let cases = [
            ("请打13812345678联系", "请打138****5678联系"),
            ("电话 138 1234 5678。", "电话 138 **** 5678。"),
            ("手机138-1234-5678", "手机138-****-5678"),
            ("+86 13812345678", "+86 138****5678"),
            ("8613812345678", "86138****5678"),
            ("座机020-81234567转2", "座机020-****4567转2"),
            (
                "身份证11010519491231002X在此",
                "身份证110105********002X在此",
            ),
            ("身份证 110105 19491231 002X", "身份证 110105 ******** 002X"),
            ("旧证110105491231002", "旧证110105*****1002"),
            ("卡号6222021234567890123", "卡号622202*********0123"),
            // A date run into a phone: each is tried on its own.
            ("2026-11-29 13812345678", "2026-11-29 138****5678"),
            ("13812345678 20号", "138****5678 20号"),
            // Not phones or ID numbers: kept.
            (
                "3 号楼 1202 室，2026-11-29，共 350 元",
                "3 号楼 1202 室，2026-11-29，共 350 元",
            ),
            ("138123456789", "138123456789"),
            ("23812345678", "23812345678"),
            ("", ""),
        ];
        for (text, masked) in cases {
            assert_eq!(mask_numbers_in_text(text), masked, "{text}");
        }
    }

    proptest! {
        #[test]
        fn id_mask_hides_middle(id in "[0-9]{17}[0-9X]") {
            let m = mask_id_number(&id);
            prop_assert_eq!(m.chars().count(), id.chars().count());
            prop_assert_eq!(&m[..6], &id[..6]);
            prop_assert_eq!(&m[14..], &id[14..]);
            prop_assert!(m[6..14].chars().all(|c| c == '*'));
        }

        #[test]
        fn phone_mask_hides_middle(p in "1[3-9][0-9]{9}") {
            let m = mask_phone(&p);
            prop_assert_eq!(m.len(), 11);
            prop_assert!(m[3..7].chars().all(|c| c == '*'));
            prop_assert_eq!(parse_mobile_phone(&p), Ok(p.clone()));
        }

        #[test]
        fn a_mobile_or_id_in_text_never_shows(
            before in "[\\p{Han}，。a-z]{0,12}",
            after in "[\\p{Han}，。a-z]{0,12}",
            mobile in "1[3-9][0-9]{9}",
            region in "[1-6][0-9]{5}",
            birth in (1940i32..2008, 1u32..13, 1u32..29),
            sequence in 0u16..1000,
        ) {
            let birth = chrono::NaiveDate::from_ymd_opt(birth.0, birth.1, birth.2).unwrap();
            let id = crate::idcard::make_id_number(&region, birth, sequence, crate::Gender::Female);
            let text = format!("{before}{mobile}{after} {id}{after}");
            let masked = mask_numbers_in_text(&text);
            prop_assert!(!masked.contains(&mobile), "{}", masked);
            prop_assert!(!masked.contains(&id), "{}", masked);
            prop_assert!(masked.contains(&mask_phone(&mobile)), "{}", masked);
            prop_assert!(masked.contains(&mask_id_number(&id)), "{}", masked);
        }

        #[test]
        fn text_masking_only_replaces_digits_and_is_idempotent(s in "[0-9 \\-X\\p{Han}a-z]{0,60}") {
            let masked = mask_numbers_in_text(&s);
            prop_assert_eq!(masked.chars().count(), s.chars().count());
            for (a, b) in masked.chars().zip(s.chars()) {
                prop_assert!(a == b || (a == '*' && (b.is_ascii_digit() || b == 'X')));
            }
            prop_assert_eq!(mask_numbers_in_text(&masked), masked);
        }

        #[test]
        fn any_mask_preserves_length_and_hides_something(s in "\\PC{0,40}") {
            let original: Vec<char> = s.trim().chars().collect();
            for m in [mask_phone(&s), mask_id_number(&s)] {
                let masked: Vec<char> = m.chars().collect();
                prop_assert_eq!(masked.len(), original.len());
                if !original.is_empty() {
                    prop_assert!(masked.contains(&'*'));
                }
                // Masking only ever replaces; it never invents characters.
                for (a, b) in masked.iter().zip(&original) {
                    prop_assert!(a == b || *a == '*');
                }
            }
        }
    }
}
