//! The case (案件 / 矛盾纠纷): its codes, and registration — turning what a client sends into a
//! `NewCase` that every later layer can trust.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::contact::{Money, Phone};
use crate::identity::{CreditCode, IdNumber};
use crate::msg;
use crate::org::{RegionCode, coded_enum};
use crate::validation::{Checker, FieldError, Message};

coded_enum! {
    /// 渠道 — how a case arrived (PRODUCT.md "Intake channels").
    Channel {
        /// 窗口 — walk-in window.
        Window = "window",
        /// 12345 热线.
        Hotline = "hotline",
        /// 网上 — online self-service.
        Online = "online",
        /// 网格员上报 — grid worker report.
        Grid = "grid",
        /// 诉调对接 — court pre-litigation referral.
        Court = "court",
        /// 访调对接 — petition office transfer.
        Petition = "petition",
        /// 警调对接 — police transfer.
        Police = "police",
        /// 排查 — proactive screening.
        Screening = "screening",
    }
}

coded_enum! {
    /// 纠纷类型 — dispute category, the people's-mediation statistics types (DOMAIN.md §4).
    Category {
        MarriageFamily = "marriage_family",
        Neighbor = "neighbor",
        LandHousing = "land_housing",
        ForestLand = "forest_land",
        Contract = "contract",
        Business = "business",
        Damages = "damages",
        Labor = "labor",
        Medical = "medical",
        PropertyManagement = "property_management",
        Traffic = "traffic",
        Demolition = "demolition",
        VillageAffairs = "village_affairs",
        Environment = "environment",
        Consumer = "consumer",
        Finance = "finance",
        RealEstate = "real_estate",
        Tourism = "tourism",
        IntellectualProperty = "intellectual_property",
        Ecommerce = "ecommerce",
        Other = "other",
    }
}

coded_enum! {
    /// Where a case stands in the closed loop (全链条闭环).
    Status {
        /// 已登记 — registered, awaiting acceptance.
        Registered = "registered",
        /// 已受理 — accepted by the centre, awaiting dispatch.
        Accepted = "accepted",
        /// 不予受理 — rejected at intake as outside scope.
        Rejected = "rejected",
        /// 已分流 — dispatched to a lead unit, awaiting its signature.
        Dispatched = "dispatched",
        /// 办理中 — signed for and being handled.
        InProgress = "in_progress",
        /// 已办结 — concluded with an outcome.
        Concluded = "concluded",
        /// 已回访 — followed up.
        FollowedUp = "followed_up",
        /// 已归档 — archived, read-only.
        Archived = "archived",
    }
}

impl Status {
    /// 在办: not yet concluded — its clocks run, and it counts in the risk of its places.
    pub fn is_open(self) -> bool {
        matches!(self, Status::Registered | Status::Accepted | Status::Dispatched | Status::InProgress)
    }
}

coded_enum! {
    /// How a concluded case ended.
    Outcome {
        Resolved = "resolved",
        Unresolved = "unresolved",
        Withdrawn = "withdrawn",
        /// A party refused mediation (People's Mediation Law art. 17).
        Refused = "refused",
    }
}

coded_enum! {
    /// 三色预警 — risk colour.
    Risk {
        None = "none",
        Yellow = "yellow",
        Orange = "orange",
        Red = "red",
    }
}

coded_enum! {
    /// 当事人 role.
    PartyRole {
        Applicant = "applicant",
        Respondent = "respondent",
        ThirdParty = "third_party",
    }
}

coded_enum! {
    PartyKind {
        Person = "person",
        Organization = "organization",
    }
}

/// Length limits of registration fields, in characters.
pub mod limits {
    pub const DESCRIPTION: usize = 5000;
    pub const TITLE: usize = 200;
    pub const NAME: usize = 100;
    pub const ADDRESS: usize = 300;
    pub const EXTERNAL_REF: usize = 100;
    pub const PARTIES: usize = 50;
    pub const PEOPLE: i64 = 1_000_000;
}

/// A case registration as the client sends it (CONTRACT.md "Registering a case"). Codes are
/// plain strings here so that a wrong one is answered with the field's name, not a parse error.
#[derive(Debug, Default, Deserialize, ToSchema)]

pub struct CaseRegistration {
    /// window | hotline | online | grid | court | petition | police | screening
    pub channel: Option<String>,
    /// 纠纷事实 — required.
    pub description: Option<String>,
    pub title: Option<String>,
    /// A category code; suggested when absent.
    pub category: Option<String>,
    /// A decimal string such as "22800.00" (an integer is accepted; a float is not).
    #[schema(value_type = Option<String>)]
    pub amount: Option<serde_json::Value>,
    pub people_count: Option<i64>,
    /// RFC 3339.
    pub occurred_at: Option<String>,
    pub location: Option<LocationInput>,
    pub parties: Option<Vec<PartyInput>>,
    pub external_ref: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]

pub struct LocationInput {
    pub address: Option<String>,
    pub region_code: Option<String>,
    /// A grid id (number or string of digits).
    #[schema(value_type = Option<String>)]
    pub grid_id: Option<serde_json::Value>,
    /// Latitude (WGS-84 or GCJ-02 as the deployment's grid polygons use), with `lng`: the grid is found by its polygon.
    pub lat: Option<f64>,
    pub lng: Option<f64>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]

pub struct PartyInput {
    /// applicant | respondent | third_party
    pub role: Option<String>,
    /// person (default) | organization
    pub kind: Option<String>,
    pub name: Option<String>,
    /// GB 11643, persons.
    pub id_number: Option<String>,
    /// GB 32100, organisations.
    pub credit_code: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
}

/// A registration that passed every check.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub channel: Channel,
    pub description: String,
    pub title: Option<String>,
    pub category: Option<Category>,
    pub amount: Option<Money>,
    pub people_count: i64,
    pub occurred_at: Option<DateTime<FixedOffset>>,
    pub address: Option<String>,
    pub region_code: Option<RegionCode>,
    pub grid_id: Option<i64>,
    /// A point `(lng, lat)` where the dispute happened.
    pub point: Option<(f64, f64)>,
    pub parties: Vec<NewParty>,
    pub external_ref: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewParty {
    pub role: PartyRole,
    pub kind: PartyKind,
    pub name: String,
    pub id_number: Option<IdNumber>,
    pub credit_code: Option<CreditCode>,
    pub phone: Option<Phone>,
    pub address: Option<String>,
}

/// How far in the future `occurred_at` may lie, for clocks that run a little fast.
const CLOCK_SKEW: Duration = Duration::minutes(10);

impl CaseRegistration {
    /// Checks every field against DOMAIN.md §3 and returns all the faults at once.
    pub fn validate(self, now: DateTime<Utc>) -> Result<NewCase, Vec<FieldError>> {
        let mut c = Checker::default();
        let channel = c.code::<Channel>("channel", self.channel.as_deref(), true);
        let description = c.required_text("description", self.description.as_deref(), limits::DESCRIPTION);
        let title = c.optional_text("title", self.title.as_deref(), limits::TITLE);
        let category = c.code::<Category>("category", self.category.as_deref(), false);
        let amount = self.amount.and_then(|v| c.check(parse_amount(&v)));
        let people_count = self.people_count.unwrap_or(1);
        if !(1..=limits::PEOPLE).contains(&people_count) {
            c.push(FieldError::new(
                "people_count",
                "out_of_range",
                msg!("field.between", min = 1, max = limits::PEOPLE),
            ));
        }
        let occurred_at = self
            .occurred_at
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .and_then(|s| c.check(parse_occurred_at(s, now)));
        let location = self.location.unwrap_or_default();
        let address = c.optional_text("location.address", location.address.as_deref(), limits::ADDRESS);
        let region_code = location.region_code.as_deref().map(str::trim).filter(|s| !s.is_empty()).and_then(|s| {
            c.check(RegionCode::parse(s).map_err(|e| {
                FieldError::new(
                    "location.region_code",
                    "invalid_region_code",
                    msg!("region_code.invalid", reason = e.message()),
                )
            }))
        });
        let grid_id = location.grid_id.and_then(|v| c.check(parse_id("location.grid_id", &v)));
        let point = match (location.lng, location.lat) {
            (Some(lng), Some(lat)) if (-180.0..=180.0).contains(&lng) && (-90.0..=90.0).contains(&lat) => {
                Some((lng, lat))
            }
            (None, None) => None,
            _ => {
                c.push(FieldError::new("location.lat", "invalid_point", msg!("location.point_invalid")));
                None
            }
        };
        let external_ref = c.optional_text("external_ref", self.external_ref.as_deref(), limits::EXTERNAL_REF);

        let inputs = self.parties.unwrap_or_default();
        let channel_needs_parties = !matches!(channel, Some(Channel::Grid | Channel::Screening));
        if inputs.is_empty() && channel.is_some() && channel_needs_parties {
            c.push(FieldError::new("parties", "required", msg!("parties.required")));
        }
        if inputs.len() > limits::PARTIES {
            c.push(FieldError::new("parties", "too_many", msg!("parties.too_many", max = limits::PARTIES)));
        }
        let today = now.with_timezone(&crate::china_time()).date_naive();
        let parties: Vec<Option<NewParty>> =
            inputs.into_iter().enumerate().map(|(i, p)| validate_party(&mut c, i, p, today)).collect();

        c.into_result()?;
        let (Some(channel), Some(description)) = (channel, description) else {
            unreachable!("a missing required field is recorded as an error");
        };
        Ok(NewCase {
            channel,
            description,
            title,
            category,
            amount,
            people_count,
            occurred_at,
            address,
            region_code,
            grid_id,
            point,
            parties: parties.into_iter().flatten().collect(),
            external_ref,
        })
    }
}

fn validate_party(c: &mut Checker, index: usize, p: PartyInput, today: NaiveDate) -> Option<NewParty> {
    let f = |name: &str| format!("parties[{index}].{name}");
    let role = c.code::<PartyRole>(&f("role"), p.role.as_deref(), true);
    let kind = c.code::<PartyKind>(&f("kind"), p.kind.as_deref(), false).unwrap_or(PartyKind::Person);
    let name = c.required_text(&f("name"), p.name.as_deref(), limits::NAME);
    let present = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let id_number = present(&p.id_number).and_then(|s| {
        if kind == PartyKind::Organization {
            c.push(wrong_kind(&f("id_number"), msg!("party.organization_needs_credit_code")));
            return None;
        }
        c.check(parse_id_number(&f("id_number"), &s, today))
    });
    let credit_code = present(&p.credit_code).and_then(|s| {
        if kind == PartyKind::Person {
            c.push(wrong_kind(&f("credit_code"), msg!("party.person_needs_id_number")));
            return None;
        }
        c.check(CreditCode::parse(&s).map_err(|e| {
            FieldError::new(
                f("credit_code"),
                "invalid_credit_code",
                msg!("party.credit_code_invalid", reason = credit_code_reason(e)),
            )
        }))
    });
    let phone = present(&p.phone).and_then(|s| {
        c.check(Phone::parse(&s).map_err(|_| FieldError::new(f("phone"), "invalid_phone", msg!("party.phone_invalid"))))
    });
    let address = c.optional_text(&f("address"), p.address.as_deref(), limits::ADDRESS);
    Some(NewParty { role: role?, kind, name: name?, id_number, credit_code, phone, address })
}

fn wrong_kind(field: &str, message: Message) -> FieldError {
    FieldError::new(field, "wrong_party_kind", message)
}

/// A 公民身份号码 checked against GB 11643, or the error that names `field` and says why not.
pub fn parse_id_number(field: &str, input: &str, today: NaiveDate) -> Result<IdNumber, FieldError> {
    IdNumber::parse(input, today).map_err(|e| {
        FieldError::new(field, "invalid_id_number", msg!("party.id_number_invalid", reason = id_number_reason(e)))
    })
}

fn id_number_reason(e: crate::identity::IdNumberError) -> Message {
    use crate::identity::IdNumberError::*;
    match e {
        Length => msg!("id_number.length"),
        Characters => msg!("id_number.characters"),
        Province => msg!("id_number.province"),
        BirthDate => msg!("id_number.birth_date"),
        CheckCharacter => msg!("id_number.checksum"),
    }
}

fn credit_code_reason(e: crate::identity::CreditCodeError) -> Message {
    use crate::identity::CreditCodeError::*;
    match e {
        Length => msg!("credit_code.length"),
        Characters => msg!("credit_code.characters"),
        AreaCode => msg!("credit_code.area_code"),
        CheckCharacter => msg!("credit_code.checksum"),
    }
}

fn parse_amount(value: &serde_json::Value) -> Result<Money, FieldError> {
    let fault = |message| FieldError::new("amount", "invalid_amount", message);
    let text = match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) if n.is_u64() || n.is_i64() => n.to_string(),
        _ => {
            return Err(fault(msg!("amount.not_text")));
        }
    };
    Money::parse(&text).map_err(|e| fault(msg!("amount.invalid", reason = e.message())))
}

/// An id sent as a number or a string of digits.
pub fn parse_id(field: &str, value: &serde_json::Value) -> Result<i64, FieldError> {
    let parsed = match value {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    parsed.filter(|id| *id > 0).ok_or_else(|| FieldError::new(field, "invalid_id", msg!("field.not_an_id")))
}

fn parse_occurred_at(text: &str, now: DateTime<Utc>) -> Result<DateTime<FixedOffset>, FieldError> {
    let at = DateTime::parse_from_rfc3339(text)
        .map_err(|_| FieldError::new("occurred_at", "invalid_time", msg!("field.not_a_time")))?;
    if at.with_timezone(&Utc) > now + CLOCK_SKEW {
        return Err(FieldError::new("occurred_at", "in_future", msg!("field.in_future")));
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_case_is_open_until_it_is_rejected_or_concluded() {
        let open: Vec<Status> = Status::ALL.iter().copied().filter(|s| s.is_open()).collect();
        assert_eq!(open, [Status::Registered, Status::Accepted, Status::Dispatched, Status::InProgress]);
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-23T10:00:00+08:00").unwrap().with_timezone(&Utc)
    }

    fn registration(body: serde_json::Value) -> CaseRegistration {
        serde_json::from_value(body).unwrap()
    }

    fn fields(body: serde_json::Value) -> Vec<String> {
        registration(body).validate(now()).unwrap_err().into_iter().map(|e| e.field).collect()
    }

    fn valid() -> serde_json::Value {
        json!({
            "channel": "window",
            "description": "张某拖欠工资三个月共计22800元",
            "amount": "22800.00",
            "people_count": 1,
            "occurred_at": "2026-10-10T09:00:00+08:00",
            "location": {"address": "兰州市城关区张掖路街道", "region_code": "620102"},
            "parties": [
                {"role": "applicant", "kind": "person", "name": "李四", "id_number": "11010519491231002x", "phone": "139 1234 5678"},
                {"role": "respondent", "kind": "organization", "name": "某建筑公司", "credit_code": "91350200776049653A"}
            ]
        })
    }

    #[test]
    fn a_full_registration_passes() {
        let case = registration(valid()).validate(now()).unwrap();
        assert_eq!(case.channel, Channel::Window);
        assert_eq!(case.amount.unwrap().to_string(), "22800.00");
        assert_eq!(case.region_code.unwrap().as_str(), "620102000000");
        assert_eq!(case.parties[0].id_number.as_ref().unwrap().as_str(), "11010519491231002X");
        assert_eq!(case.parties[0].phone.as_ref().unwrap().as_str(), "13912345678");
        assert_eq!(case.parties[1].kind, PartyKind::Organization);
    }

    #[test]
    fn every_fault_names_its_field() {
        assert_eq!(fields(json!({})), ["channel", "description"]);
        assert_eq!(
            fields(json!({"channel": "fax", "description": "x", "parties": [{"role": "applicant", "name": "a"}]})),
            ["channel"]
        );
        let mut body = valid();
        body["parties"][0]["id_number"] = json!("110105194912310021");
        body["parties"][1]["credit_code"] = json!("91350200776049653B");
        body["parties"][0]["phone"] = json!("12345");
        body["amount"] = json!(12.5);
        body["occurred_at"] = json!("2030-01-01T00:00:00+08:00");
        body["location"]["region_code"] = json!("99");
        body["category"] = json!("nonsense");
        assert_eq!(
            fields(body),
            [
                "category",
                "amount",
                "occurred_at",
                "location.region_code",
                "parties[0].id_number",
                "parties[0].phone",
                "parties[1].credit_code"
            ]
        );
    }

    #[test]
    fn limits_and_party_rules() {
        let mut body = valid();
        body["description"] = json!("字".repeat(limits::DESCRIPTION + 1));
        body["people_count"] = json!(0);
        body["parties"][1]["id_number"] = json!("11010519491231002X");
        body["parties"][0]["name"] = json!(" ");
        assert_eq!(fields(body), ["description", "people_count", "parties[0].name", "parties[1].id_number"]);
        assert_eq!(fields(json!({"channel": "window", "description": "x"})), ["parties"]);
        assert!(registration(json!({"channel": "grid", "description": "x"})).validate(now()).is_ok());
    }
}
