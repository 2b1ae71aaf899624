//! Resident identity card numbers (GB 11643-1999, 18 characters).
//!
//! The birth date and gender are derived from the number so that member
//! records cannot disagree with it. Whether the birth date lies in the future
//! is not checked here because this crate has no clock.

use chrono::{Datelike, NaiveDate};

use crate::Gender;

/// Version of the ID-number rules (GB 11643-1999 with ISO 7064 MOD 11-2).
pub const RULE_VERSION: &str = "gb11643-1999.1";

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Numbers for people born before this year do not occur in practice, and
/// chrono would otherwise accept a year such as 0000.
const EARLIEST_BIRTH_YEAR: i32 = 1800;

/// A validated ID number and what it encodes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct IdCard {
    /// Normalised: trimmed, check character upper-case.
    pub number: String,
    /// Administrative division code at the time of issue (first six digits).
    pub region: String,
    pub birth_date: NaiveDate,
    pub gender: Gender,
}

/// Why an ID number was rejected; messages are shown to staff as-is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdCardError {
    #[error("身份证号不能为空")]
    Empty,
    #[error("身份证号应为18位")]
    WrongLength,
    #[error("身份证号含非法字符")]
    IllegalChar,
    #[error("身份证号中的地区码无效")]
    InvalidRegion,
    #[error("身份证号中的出生日期无效")]
    InvalidBirthDate,
    #[error("身份证号校验位错误，应为 {expected}")]
    WrongCheck { expected: char },
}

/// The ISO 7064 MOD 11-2 check character for the first 17 digits, or `None`
/// unless the input is exactly 17 ASCII digits. GB 11643-1999 §6.
pub fn check_char(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    if bytes.len() != 17 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = bytes
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    Some(CHECK_CHARS[(sum % 11) as usize])
}

/// Validates an 18-character ID number. GB 11643-1999.
pub fn parse_id_card(s: &str) -> Result<IdCard, IdCardError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(IdCardError::Empty);
    }
    if s.chars().count() != 18 {
        return Err(IdCardError::WrongLength);
    }
    // Length in chars is 18; a non-ASCII char would make the byte length
    // differ, and is illegal anyway.
    let bytes = s.as_bytes();
    if bytes.len() != 18
        || !bytes[..17].iter().all(u8::is_ascii_digit)
        || !(bytes[17].is_ascii_digit() || bytes[17] == b'X' || bytes[17] == b'x')
    {
        return Err(IdCardError::IllegalChar);
    }
    let number = s.to_ascii_uppercase();
    let region = &number[..6];
    if region == "000000" {
        return Err(IdCardError::InvalidRegion);
    }
    let birth_date = parse_birth(&number[6..14]).ok_or(IdCardError::InvalidBirthDate)?;
    let expected = check_char(&number[..17]).ok_or(IdCardError::IllegalChar)?;
    if char::from(number.as_bytes()[17]) != expected {
        return Err(IdCardError::WrongCheck { expected });
    }
    let gender = if (number.as_bytes()[16] - b'0') % 2 == 1 {
        Gender::Male
    } else {
        Gender::Female
    };
    Ok(IdCard {
        region: region.to_owned(),
        number,
        birth_date,
        gender,
    })
}

fn parse_birth(yyyymmdd: &str) -> Option<NaiveDate> {
    let year: i32 = yyyymmdd[..4].parse().ok()?;
    let month: u32 = yyyymmdd[4..6].parse().ok()?;
    let day: u32 = yyyymmdd[6..8].parse().ok()?;
    if year < EARLIEST_BIRTH_YEAR {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Builds a valid ID number for demo data. The last digit of `sequence` is
/// nudged by one where needed so its parity encodes `gender` (odd = male);
/// `sequence` is taken modulo 1000. GB 11643-1999.
///
/// # Panics
/// If `region` is not six ASCII digits or `birth` does not have a four-digit
/// year, since the result could not be a valid number.
pub fn make_id_number(region: &str, birth: NaiveDate, sequence: u16, gender: Gender) -> String {
    assert!(
        region.len() == 6 && region.bytes().all(|b| b.is_ascii_digit()),
        "region must be six digits"
    );
    assert!(
        (0..=9999).contains(&birth.year()),
        "birth year must have four digits"
    );
    let mut seq = sequence % 1000;
    let odd = seq % 2 == 1;
    match (gender, odd) {
        (Gender::Male, false) => seq += 1,
        (Gender::Female, true) => seq -= 1,
        _ => {}
    }
    let first17 = format!("{region}{}{seq:03}", birth.format("%Y%m%d"));
    let check = check_char(&first17).expect("17 digits by construction");
    format!("{first17}{check}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn standard_examples() {
        // The worked examples printed in GB 11643-1999.
        let a = parse_id_card("11010519491231002X").unwrap();
        assert_eq!(a.region, "110105");
        assert_eq!(a.birth_date, d(1949, 12, 31));
        assert_eq!(a.gender, Gender::Female);
        let b = parse_id_card("440524188001010014").unwrap();
        assert_eq!(b.birth_date, d(1880, 1, 1));
        assert_eq!(b.gender, Gender::Male);
    }

    #[test]
    fn lowercase_x_and_whitespace_are_normalised() {
        let a = parse_id_card("  11010519491231002x\n").unwrap();
        assert_eq!(a.number, "11010519491231002X");
    }

    #[test]
    fn computed_numbers() {
        assert_eq!(check_char("32010619850315123"), Some('6'));
        let n = make_id_number("320106", d(1985, 3, 15), 123, Gender::Male);
        assert_eq!(n, "320106198503151236");
        let p = parse_id_card(&n).unwrap();
        assert_eq!(p.gender, Gender::Male);
        // 123 is odd, so a female number steps down to 122.
        let f = make_id_number("320106", d(1985, 3, 15), 123, Gender::Female);
        assert_eq!(f, "320106198503151228");
        assert_eq!(parse_id_card(&f).unwrap().gender, Gender::Female);
    }

    #[test]
    fn check_char_rejects_bad_input() {
        assert_eq!(check_char("1234"), None);
        assert_eq!(check_char("1101051949123100A"), None);
        assert_eq!(check_char("110105194912310021"), None);
    }

    #[test]
    fn errors() {
        assert_eq!(parse_id_card(""), Err(IdCardError::Empty));
        assert_eq!(
            parse_id_card("11010519491231002"),
            Err(IdCardError::WrongLength)
        );
        assert_eq!(
            parse_id_card("1101051949123100200"),
            Err(IdCardError::WrongLength)
        );
        assert_eq!(
            parse_id_card("1101051949123100AX"),
            Err(IdCardError::IllegalChar)
        );
        assert_eq!(
            parse_id_card("11010519491231002Y"),
            Err(IdCardError::IllegalChar)
        );
        assert_eq!(
            parse_id_card("11010519491231002一"),
            Err(IdCardError::IllegalChar)
        );
        assert_eq!(
            parse_id_card("000000194912310021"),
            Err(IdCardError::InvalidRegion)
        );
        // 1949-02-30 does not exist.
        assert_eq!(
            parse_id_card("110105194902300021"),
            Err(IdCardError::InvalidBirthDate)
        );
        assert_eq!(
            parse_id_card("110105000001010021"),
            Err(IdCardError::InvalidBirthDate)
        );
        assert_eq!(
            parse_id_card("110105194912310021"),
            Err(IdCardError::WrongCheck { expected: 'X' })
        );
        assert_eq!(
            IdCardError::WrongCheck { expected: 'X' }.to_string(),
            "身份证号校验位错误，应为 X"
        );
        assert_eq!(IdCardError::WrongLength.to_string(), "身份证号应为18位");
    }

    #[test]
    fn leap_day_birth() {
        let n = make_id_number("110105", d(2000, 2, 29), 7, Gender::Male);
        assert_eq!(parse_id_card(&n).unwrap().birth_date, d(2000, 2, 29));
    }

    fn arb_birth() -> impl Strategy<Value = NaiveDate> {
        (1900i32..=2030, 1u32..=366).prop_map(|(y, doy)| {
            NaiveDate::from_yo_opt(y, doy)
                .unwrap_or_else(|| NaiveDate::from_yo_opt(y, 365).unwrap())
        })
    }

    fn arb_gender() -> impl Strategy<Value = Gender> {
        prop_oneof![Just(Gender::Male), Just(Gender::Female)]
    }

    proptest! {
        #[test]
        fn made_numbers_parse_back(
            region in "[1-9][0-9]{5}",
            birth in arb_birth(),
            seq in 0u16..=999,
            gender in arb_gender(),
        ) {
            let n = make_id_number(&region, birth, seq, gender);
            let p = parse_id_card(&n).unwrap();
            prop_assert_eq!(p.birth_date, birth);
            prop_assert_eq!(p.gender, gender);
            prop_assert_eq!(p.region, region);
            prop_assert_eq!(p.number, n);
        }

        #[test]
        fn single_digit_change_breaks_check(
            birth in arb_birth(),
            seq in 0u16..=999,
            gender in arb_gender(),
            pos in 0usize..17,
            delta in 1u8..=9,
        ) {
            let n = make_id_number("110105", birth, seq, gender);
            let mut bytes = n.into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).unwrap();
            // MOD 11-2 detects every single substitution: the weights are all
            // non-zero mod 11 and 11 is prime.
            prop_assert_ne!(
                check_char(&changed[..17]),
                Some(char::from(changed.as_bytes()[17]))
            );
        }
    }
}
