//! Integers in JSON as clients send them. A JSON number has no integer type, and many clients
//! (spreadsheets, JavaScript, Python's json with floats) write an id as `12.0`. Such a number
//! names the same id and is accepted; one with a fraction, or outside the range, is refused with
//! the field's own message.

use serde::Deserialize;
use serde::de::{Deserializer, Error};

/// What a number field may hold before it is checked.
#[derive(Deserialize)]
#[serde(untagged)]
enum Number {
    Int(i64),
    Float(f64),
}

fn whole(n: Number) -> Option<i64> {
    match n {
        Number::Int(i) => Some(i),
        // Whole and within i64: i64::MAX as f64 rounds up, so the bound is strict.
        Number::Float(f) if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 => {
            Some(f as i64)
        }
        Number::Float(_) => None,
    }
}

fn refused<E: Error>() -> E {
    E::custom("应为整数")
}

/// An `i64` sent as `12` or `12.0`.
pub fn i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    whole(Number::deserialize(d)?).ok_or_else(refused)
}

/// An optional `i64` sent as `12`, `12.0` or `null`.
pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<Number>::deserialize(d)? {
        None => Ok(None),
        Some(n) => whole(n).map(Some).ok_or_else(refused),
    }
}

/// A list of `i64`, each sent as `12` or `12.0`.
pub fn vec_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<i64>, D::Error> {
    Vec::<Number>::deserialize(d)?
        .into_iter()
        .map(|n| whole(n).ok_or_else(refused))
        .collect()
}

/// An optional `u32` sent as `12`, `12.0` or `null`.
pub fn opt_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    match opt_i64(d)? {
        None => Ok(None),
        Some(n) => u32::try_from(n).map(Some).map_err(|_| refused()),
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Ids {
        #[serde(deserialize_with = "super::i64")]
        id: i64,
        #[serde(default, deserialize_with = "super::opt_i64")]
        parent: Option<i64>,
        #[serde(default, deserialize_with = "super::vec_i64")]
        more: Vec<i64>,
        #[serde(default, deserialize_with = "super::opt_u32")]
        months: Option<u32>,
    }

    fn read(json: &str) -> Result<Ids, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn whole_numbers_are_ids_however_written() {
        assert_eq!(
            read(r#"{"id": 1.0, "parent": 7, "more": [2, 3.0], "months": 12.0}"#).unwrap(),
            Ids {
                id: 1,
                parent: Some(7),
                more: vec![2, 3],
                months: Some(12),
            }
        );
        assert_eq!(read(r#"{"id": 5, "parent": null}"#).unwrap().parent, None);
        assert_eq!(read(r#"{"id": 5}"#).unwrap().more, Vec::<i64>::new());
    }

    #[test]
    fn fractions_and_out_of_range_numbers_are_refused() {
        for json in [
            r#"{"id": 1.5}"#,
            r#"{"id": 1e300}"#,
            r#"{"id": "1"}"#,
            r#"{"id": 1, "months": -1}"#,
            r#"{"id": 1, "more": [1, 2.5]}"#,
            r#"{"id": 9223372036854775807.0}"#,
        ] {
            assert!(read(json).is_err(), "{json}");
        }
    }
}
