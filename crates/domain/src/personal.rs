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
