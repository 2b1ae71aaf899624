//! What each text field of the API accepts, written into the OpenAPI document. The inputs are
//! text because forms and spreadsheets send text, so without this the document would promise
//! that any string will do: a client (or Schemathesis) reading it would send 「abc」 for a date
//! and be refused. Each entry here is read from the rule the server applies (the enums' words,
//! the text limits of `domain::text`, the date and month parsers), so the two cannot drift
//! apart; [`missing`] reports an entry whose field has been renamed.
//!
//! What a schema cannot say stays in the validation and answers 400 with a Chinese message: an
//! id number's check digit, dates in order, a kind that must fit the org above it, a password's
//! strength, and anything that depends on what is already stored.

use domain::dues::DuesCategory;
use domain::membership::MembershipReason;
use domain::orglife::Institution;
use domain::record::{ETHNIC_GROUPS, Education, PartyPost};
use domain::rights::RestrictionKind;
use domain::text::{self, TextLimit};
use domain::{BranchKind, ManagementMode, MemberCategory, MemberStatus, OrgKind, Role};
use utoipa::openapi::schema::{AnyOfBuilder, Object, ObjectBuilder, Schema, Type};
use utoipa::openapi::{KnownFormat, OpenApi, RefOr, SchemaFormat};

/// What one field accepts.
#[derive(Clone)]
enum Accepts {
    /// One of these words (codes, labels and aliases).
    Words(Vec<&'static str>),
    /// One of these words, or empty for none.
    WordsOrEmpty(Vec<&'static str>),
    /// A day, `2026-03-01`.
    Date,
    /// A day, or empty.
    DateOrEmpty,
    /// A month, `2026-03`.
    Month,
    /// A year the calendars cover.
    Year,
    /// Whole numbers within a range.
    Within(i64, i64),
    /// Text that must not be blank, within its limit.
    Text(TextLimit),
    /// Text within its limit, possibly empty.
    TextOrEmpty(TextLimit),
    /// A resident identity number's shape: 17 digits and a digit or X.
    IdNumber,
    /// One of these whole numbers.
    Numbers(&'static [i64]),
    /// Text of this shape (a regular expression, anchored).
    Shaped(&'static str),
}

fn with_empty(mut words: Vec<&'static str>) -> Vec<&'static str> {
    words.push("");
    words
}

/// A stage filter also takes `open`: every file not yet ended.
fn with_open(mut words: Vec<&'static str>) -> Vec<&'static str> {
    words.push("open");
    words
}

fn ethnic_words() -> Vec<&'static str> {
    let mut words: Vec<&'static str> = ETHNIC_GROUPS.to_vec();
    words.extend(ETHNIC_GROUPS.iter().filter_map(|n| n.strip_suffix('族')));
    words
}

/// The request bodies' fields: (component, property, what it accepts).
fn body_fields() -> Vec<(&'static str, &'static str, Accepts)> {
    use Accepts::*;
    vec![
        ("MemberInput", "name", Text(text::PERSON_NAME)),
        ("MemberInput", "id_number", IdNumber),
        ("MemberInput", "category", Words(MemberCategory::words())),
        (
            "MemberInput",
            "management_mode",
            WordsOrEmpty(ManagementMode::words()),
        ),
        ("MemberInput", "status", Words(MemberStatus::words())),
        ("MemberInput", "admitted_on", Date),
        ("MemberInput", "full_on", DateOrEmpty),
        ("MemberInput", "work_unit", TextOrEmpty(text::WORK_UNIT)),
        ("MemberInput", "registered_on", DateOrEmpty),
        ("MemberInput", "ethnicity", WordsOrEmpty(ethnic_words())),
        ("MemberInput", "education", WordsOrEmpty(Education::words())),
        (
            "MemberInput",
            "native_place",
            TextOrEmpty(text::NATIVE_PLACE),
        ),
        (
            "MemberInput",
            "party_post",
            WordsOrEmpty(PartyPost::words()),
        ),
        ("MemberInput", "work_started_on", DateOrEmpty),
        ("MemberInput", "moved_on", DateOrEmpty),
        (
            "MemberInput",
            "move_reason",
            WordsOrEmpty(MembershipReason::words()),
        ),
        ("OrgInput", "kind", Words(OrgKind::words())),
        ("OrgInput", "branch_kind", WordsOrEmpty(BranchKind::words())),
        ("OrgInput", "name", Text(text::ORG_NAME)),
        ("OrgInput", "founded_on", DateOrEmpty),
        ("OrgInput", "dissolved_on", DateOrEmpty),
        ("OrgInput", "secretary", TextOrEmpty(text::SECRETARY)),
        ("UserInput", "username", Text(text::USERNAME)),
        ("UserInput", "display_name", Text(text::DISPLAY_NAME)),
        ("UserInput", "password", Text(text::PASSWORD)),
        ("UserInput", "role", Words(Role::words())),
        ("RestrictionInput", "kind", Words(RestrictionKind::words())),
        ("RestrictionInput", "from", Date),
        ("RestrictionInput", "term_months", Numbers(&[12, 24])),
        ("RestrictionInput", "reason", Text(text::RESTRICTION_REASON)),
        ("RestrictionInput", "approval", Text(text::APPROVAL)),
        ("RestrictionEndInput", "ended_on", Date),
        ("RestrictionEndInput", "end_approval", Text(text::APPROVAL)),
        (
            "ApiMeetingInput",
            "institution",
            Words(Institution::words()),
        ),
        ("ApiMeetingInput", "held_on", Date),
        ("ApiMeetingInput", "place", Text(text::MEETING_PLACE)),
        ("ApiMeetingInput", "chair", Text(text::MEETING_CHAIR)),
        ("ApiMeetingInput", "recorder", Text(text::MEETING_RECORDER)),
        (
            "ApiMeetingInput",
            "agenda",
            TextOrEmpty(text::MEETING_AGENDA),
        ),
        (
            "ApiMeetingInput",
            "minutes",
            TextOrEmpty(text::MEETING_MINUTES),
        ),
        (
            "ApiMeetingInput",
            "resolutions",
            TextOrEmpty(text::MEETING_RESOLUTIONS),
        ),
        (
            "ApiAttendance",
            "absence_reason",
            TextOrEmpty(text::ABSENCE_REASON),
        ),
        ("ActionInput", "action", Words(app::calls::ACTIONS.to_vec())),
        (
            "ActionInput",
            "rating",
            WordsOrEmpty(
                domain::calls::Rating::ALL
                    .iter()
                    .map(|r| r.code())
                    .collect(),
            ),
        ),
        ("ApplicantInput", "name", Text(text::PERSON_NAME)),
        ("ApplicantInput", "id_number", IdNumber),
        ("ApplicantInput", "category", Words(MemberCategory::words())),
        ("ApplicantInput", "applied_on", Date),
        ("ApplicantInput", "work_unit", TextOrEmpty(text::WORK_UNIT)),
        (
            "ApplicantInput",
            "rule_version",
            WordsOrEmpty(domain::admission::RuleVersion::words()),
        ),
        (
            "StepInput",
            "step",
            Words(
                app::admission::STEPS
                    .iter()
                    .map(|(code, _)| *code)
                    .collect(),
            ),
        ),
        ("StepInput", "on", Date),
        ("StepInput", "until", DateOrEmpty),
        ("StepInput", "handled_by", TextOrEmpty(text::APPROVAL)),
        ("StepInput", "document", TextOrEmpty(text::APPROVAL)),
        ("StepInput", "number", TextOrEmpty(text::APPROVAL)),
        (
            "ApiPointsEntryInput",
            "item_code",
            Text(text::POINTS_REASON),
        ),
        // What `domain::points::Points` parses: at most two decimals, a sign for a deduction.
        (
            "ApiPointsEntryInput",
            "points",
            Shaped(r"^[+-]?[0-9]{1,6}(\.[0-9]{1,2})?$"),
        ),
        ("ApiPointsEntryInput", "reason", Text(text::POINTS_REASON)),
        ("ApiPointsEntryInput", "approver", Text(text::APPROVED_BY)),
        ("ApiPointsEntryInput", "on_date", DateOrEmpty),
        ("NeedInput", "title", Text(text::NEED_TITLE)),
        ("NeedInput", "detail", TextOrEmpty(text::NEED_DETAIL)),
        ("NeedInput", "place", Text(text::NEED_PLACE)),
        ("NeedInput", "station", TextOrEmpty(text::SERVICE_STATION)),
        ("NeedInput", "skills", TextOrEmpty(text::NEED_SKILLS)),
        ("NeedInput", "poster_unit", TextOrEmpty(text::POSTER_UNIT)),
        // What `app::service::parse_moment` reads: a day and a time of day.
        (
            "NeedInput",
            "starts_at",
            Shaped(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?$"),
        ),
        (
            "NeedInput",
            "ends_at",
            Shaped(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?$"),
        ),
        ("NeedInput", "people_needed", Within(1, 500)),
        ("QuoteInput", "category", Words(DuesCategory::words())),
        (
            "QuoteInput",
            "components",
            TextOrEmpty(text::DUES_COMPONENTS),
        ),
    ]
}

/// The query parameters: (path, parameter, what it accepts).
fn query_params() -> Vec<(&'static str, &'static str, Accepts)> {
    use Accepts::*;
    let report_kinds = domain::reports::ReportKind::ALL
        .iter()
        .map(|k| k.code())
        .collect();
    vec![
        (
            "/api/v1/calls",
            "status",
            WordsOrEmpty(domain::calls::Status::words()),
        ),
        ("/api/v1/calls", "from", DateOrEmpty),
        ("/api/v1/calls", "to", DateOrEmpty),
        ("/api/v1/calls/figures", "year", Year),
        ("/api/v1/dues/notice", "month", Month),
        ("/api/v1/orglife/ledger", "year", Year),
        ("/api/v1/members/{id}/points", "year", Year),
        ("/api/v1/members/{id}/service", "year", Year),
        // What `domain::points::parse_period` reads: a year, a month or a quarter, or empty.
        (
            "/api/v1/orgs/{id}/points",
            "period",
            Shaped(r"^([0-9]{4}(-(0[1-9]|1[0-2]|Q[1-4]))?)?$"),
        ),
        ("/api/v1/reports", "kind", WordsOrEmpty(report_kinds)),
        (
            "/api/v1/applicants",
            "due_within",
            Within(
                *app::admission::DUE_WITHIN_DAYS.start(),
                *app::admission::DUE_WITHIN_DAYS.end(),
            ),
        ),
        (
            "/api/v1/applicants",
            "stage",
            WordsOrEmpty(with_open(domain::admission::Stage::words())),
        ),
    ]
}

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn date() -> Object {
    string()
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
        .build()
}

fn empty() -> Object {
    string().max_length(Some(0)).build()
}

/// The schema for `accepts`, keeping the description (and whether null is allowed) of the
/// schema it replaces.
fn schema(accepts: &Accepts, description: Option<String>, nullable: bool) -> Schema {
    let either = |a: Object, b: Object| {
        let mut any = AnyOfBuilder::new().item(a).item(b);
        if nullable {
            any = any.item(ObjectBuilder::new().schema_type(Type::Null));
        }
        Schema::AnyOf(any.description(description.clone()).build())
    };
    let one = |builder: ObjectBuilder| {
        if nullable {
            either(
                builder.build(),
                ObjectBuilder::new().schema_type(Type::Null).build(),
            )
        } else {
            Schema::Object(builder.description(description.clone()).build())
        }
    };
    match accepts {
        Accepts::Words(words) => one(string().enum_values(Some(words.clone()))),
        Accepts::WordsOrEmpty(words) => one(string().enum_values(Some(with_empty(words.clone())))),
        Accepts::Date => one(string().format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))),
        Accepts::DateOrEmpty => either(date(), empty()),
        Accepts::Month => one(string().pattern(Some("^[0-9]{4}-(0[1-9]|1[0-2])$"))),
        Accepts::Within(min, max) => one(ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(*min))
            .maximum(Some(*max))),
        Accepts::Year => one(ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(*app::orglife::YEARS.start()))
            .maximum(Some(*app::orglife::YEARS.end()))),
        // Blank means missing: the server trims before it checks.
        Accepts::Text(limit) => one(string()
            .pattern(Some(r"\S"))
            .max_length(Some(limit.max_chars))),
        Accepts::TextOrEmpty(limit) => one(string().max_length(Some(limit.max_chars))),
        Accepts::Shaped(pattern) => one(string().pattern(Some(*pattern))),
        Accepts::IdNumber => one(string().pattern(Some("^[0-9]{17}[0-9Xx]$"))),
        Accepts::Numbers(numbers) => one(ObjectBuilder::new()
            .schema_type(Type::Integer)
            .enum_values(Some(numbers.to_vec()))),
    }
}

fn description_of(schema: &RefOr<Schema>) -> (Option<String>, bool) {
    match schema {
        RefOr::T(Schema::Object(o)) => {
            let nullable = matches!(&o.schema_type,
                utoipa::openapi::schema::SchemaType::Array(types) if types.contains(&Type::Null));
            (o.description.clone(), nullable)
        }
        _ => (None, false),
    }
}

/// Writes what every listed field accepts into `doc`; returns the entries whose field it did
/// not find.
fn apply(doc: &mut OpenApi) -> Vec<String> {
    let mut missing = Vec::new();
    let mut schemas = doc.components.as_mut().map(|c| &mut c.schemas);
    for (component, property, accepts) in body_fields() {
        let field = schemas
            .as_mut()
            .and_then(|s| s.get_mut(component))
            .and_then(|s| match s {
                RefOr::T(Schema::Object(o)) => o.properties.get_mut(property),
                _ => None,
            });
        match field {
            Some(field) => {
                let (description, nullable) = description_of(field);
                *field = RefOr::T(schema(&accepts, description, nullable));
            }
            None => missing.push(format!("{component}.{property}")),
        }
    }
    for (path, name, accepts) in query_params() {
        let parameter = doc
            .paths
            .paths
            .get_mut(path)
            .and_then(|item| item.get.as_mut())
            .and_then(|op| op.parameters.as_mut())
            .and_then(|ps| {
                ps.iter_mut().find_map(|p| match p {
                    RefOr::T(p) if p.name == name => Some(p),
                    _ => None,
                })
            });
        match parameter {
            Some(parameter) => {
                parameter.schema = Some(RefOr::T(schema(&accepts, None, false)));
            }
            None => missing.push(format!("{path}?{name}")),
        }
    }
    missing
}

/// The OpenAPI modifier: the document says what the server accepts.
pub(super) struct AcceptedValues;

impl utoipa::Modify for AcceptedValues {
    fn modify(&self, doc: &mut OpenApi) {
        let missing = apply(doc);
        debug_assert!(missing.is_empty(), "no such field: {missing:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::OpenApi as _;

    /// A renamed field would leave its entry behind unnoticed in a release build.
    #[test]
    fn every_entry_names_a_field_of_the_document() {
        let mut doc = super::super::ApiDoc::openapi();
        assert_eq!(apply(&mut doc), Vec::<String>::new());
    }

    #[test]
    fn every_word_offered_is_taken_by_its_parser() {
        for word in ethnic_words() {
            assert!(domain::record::ethnic_group(word).is_some(), "{word}");
        }
        for word in Institution::words() {
            assert!(Institution::from_label(word).is_some(), "{word}");
        }
    }

    #[test]
    fn an_optional_date_may_be_empty_and_keeps_its_description() {
        let s = schema(&Accepts::DateOrEmpty, Some("转正日期".into()), false);
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["description"], "转正日期");
        assert_eq!(json["anyOf"][0]["format"], "date");
        assert_eq!(json["anyOf"][1]["maxLength"], 0);
    }
}
