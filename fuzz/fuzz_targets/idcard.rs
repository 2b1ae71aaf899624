//! The 身份证号 validator (GB 11643) and the phone parser on any text: a number accepted once is
//! accepted again in its normalised form, with the same meaning, and masks to the same length.
#![no_main]

use domain::idcard::parse_id_card;
use domain::personal::{mask_id_number, parse_mobile_phone};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(id) = parse_id_card(text) {
        assert_eq!(id.number.len(), 18);
        assert_eq!(parse_id_card(&id.number).as_ref(), Ok(&id));
        assert_eq!(mask_id_number(&id.number).chars().count(), 18);
    }
    if let Ok(phone) = parse_mobile_phone(text) {
        assert_eq!(parse_mobile_phone(&phone).as_deref(), Ok(phone.as_str()));
    }
});
