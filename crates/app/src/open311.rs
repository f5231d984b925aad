//! Open311 GeoReport v2 (issue 18): a standard client reports a dispute with a system
//! account's key (through the same registration as every channel) and follows requests. A
//! client with a key sees the requests in its account's scope in full; an anonymous one sees
//! only the cases reported through Open311, and of them nothing personal: no description, no
//! address, no point, no notes.

use chrono::{DateTime, Duration, Utc};
use domain::authz::{self, Permission};
use domain::case::{CaseRegistration, Category, LocationInput, PartyInput, Status};
use domain::ids::{CaseId, UnitId};
use domain::msg;
use domain::open311::{self, Service};
use domain::org::UnitKind;
use domain::validation::{Checker, FieldError};
use store::open311::{RequestFilter, RequestRow};

use crate::cases::RegisteredCase;
use crate::integration::SystemCaller;
use crate::triage::WhenUnsure;
use crate::{App, AppError, Result};

/// A report as an Open311 client posts it (GeoReport v2 `POST requests`).
#[derive(Debug, Default)]
pub struct Report {
    pub service_code: Option<String>,
    pub description: Option<String>,
    pub lat: Option<String>,
    pub long: Option<String>,
    pub address_string: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
}

/// What a client asks of the list (GeoReport v2 `GET requests`).
#[derive(Debug, Default)]
pub struct RequestQuery {
    /// Comma separated; when given, every other filter is ignored (as the specification says).
    pub service_request_id: Option<String>,
    /// Comma separated service codes.
    pub service_code: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    /// `open`, `closed`, or both comma separated.
    pub status: Option<String>,
}

/// A request as a client sees it: the fields that may be personal are `None` for an anonymous
/// client.
#[derive(Debug, Clone)]
pub struct Request {
    pub id: i64,
    pub service: &'static Service,
    /// `open` or `closed`.
    pub status: &'static str,
    /// The outcome of a closed case, in words.
    pub status_notes: Option<String>,
    pub description: Option<String>,
    pub address: Option<String>,
    /// `(lat, long)`.
    pub point: Option<(f64, f64)>,
    /// The unit that leads the case.
    pub agency: Option<String>,
    pub requested: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    /// When the case is due to be concluded.
    pub expected: Option<DateTime<Utc>>,
}

/// How far back the list reaches when no dates are given.
const DEFAULT_DAYS: i64 = 90;

/// The registration's field as the Open311 client named it.
fn open311_field(field: &str) -> String {
    match field {
        "category" => "service_code".to_owned(),
        "location.address" => "address_string".to_owned(),
        "location.lat" | "location.lng" => "lat".to_owned(),
        "parties" | "parties[0].name" => "last_name".to_owned(),
        "parties[0].phone" => "phone".to_owned(),
        other => other.to_owned(),
    }
}

/// A coordinate as sent, or the field's error.
fn coordinate(c: &mut Checker, field: &str, value: Option<&str>) -> Option<f64> {
    let text = value.map(str::trim).filter(|s| !s.is_empty())?;
    let parsed = text.parse::<f64>().ok().filter(|v| v.is_finite());
    if parsed.is_none() {
        c.push(FieldError::new(field, "invalid", msg!("open311.coordinate_invalid", value = text.to_owned())));
    }
    parsed
}

/// The applicant's name from GeoReport's first and last name: 姓 then 名 for Chinese, "first
/// last" otherwise.
fn full_name(first: Option<&str>, last: Option<&str>) -> Option<String> {
    let first = first.map(str::trim).filter(|s| !s.is_empty());
    let last = last.map(str::trim).filter(|s| !s.is_empty());
    match (first, last) {
        (Some(first), Some(last)) if first.is_ascii() && last.is_ascii() => Some(format!("{first} {last}")),
        (Some(first), Some(last)) => Some(format!("{last}{first}")),
        (Some(one), None) | (None, Some(one)) => Some(one.to_owned()),
        (None, None) => None,
    }
}

/// A W3C date-time (`2026-11-02T09:00:00+08:00`, `…Z`) or a date, taken as the start of that
/// day in China.
fn instant(c: &mut Checker, field: &str, value: Option<&str>) -> Option<DateTime<Utc>> {
    let text = value.map(str::trim).filter(|s| !s.is_empty())?;
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    if let Ok(date) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Some(domain::china_instant(date, chrono::NaiveTime::MIN));
    }
    c.push(FieldError::new(field, "invalid", msg!("open311.date_invalid", value = text.to_owned())));
    None
}

impl App {
    /// 登记 through Open311: the report becomes a registration from the account's channel (by
    /// the kind of its unit), with the reporter as applicant, through the one registration use
    /// case; the case is then listed as an Open311 request.
    pub async fn open311_report(&self, caller: &SystemCaller, report: Report) -> Result<RegisteredCase> {
        authz::system_may(&caller.grants, Permission::CaseRegister)?;
        let mut c = Checker::default();
        let code = report.service_code.as_deref().map(str::trim).filter(|s| !s.is_empty());
        match code {
            None => c.push(FieldError::required("service_code")),
            Some(code) if open311::service_of(code).is_none() => {
                c.push(FieldError::not_one_of("service_code", &Category::codes()))
            }
            Some(_) => {}
        }
        let lat = coordinate(&mut c, "lat", report.lat.as_deref());
        let lng = coordinate(&mut c, "long", report.long.as_deref());
        let address = report.address_string.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let point = lat.zip(lng);
        if point.is_none() && address.is_none() && lat.is_none() && lng.is_none() {
            c.push(FieldError::new("address_string", "required", msg!("open311.location_required")));
        }
        let name = full_name(report.first_name.as_deref(), report.last_name.as_deref());
        if name.is_none() {
            c.push(FieldError::new("last_name", "required", msg!("open311.name_required")));
        }
        c.into_result()?;
        let kind = self.store.unit(UnitId(caller.viewer.unit_id)).await?.and_then(|u| UnitKind::parse(&u.kind));
        let registration = CaseRegistration {
            channel: Some(open311::channel_of(kind).as_str().to_owned()),
            description: report.description,
            category: code.map(str::to_owned),
            location: Some(LocationInput { address: address.map(str::to_owned), lat, lng, ..LocationInput::default() }),
            parties: Some(vec![PartyInput {
                role: Some("applicant".to_owned()),
                name,
                phone: report.phone,
                ..PartyInput::default()
            }]),
            ..CaseRegistration::default()
        };
        let registered = self.case_register(&caller.viewer, registration, WhenUnsure::RecordOther).await.map_err(
            |error| match error {
                AppError::Invalid(fields) => AppError::Invalid(
                    fields
                        .into_iter()
                        .map(|mut f| {
                            f.field = open311_field(&f.field);
                            f
                        })
                        .collect(),
                ),
                other => other,
            },
        )?;
        self.store.open311_record(CaseId(registered.case.id), caller.account_id, point, self.now()).await?;
        Ok(registered)
    }

    /// The requests a client asks for, the newest first (at most 1000): in the key's scope, or
    /// with no key only those reported through Open311, without personal data.
    pub async fn open311_requests(&self, caller: Option<&SystemCaller>, query: RequestQuery) -> Result<Vec<Request>> {
        let mut c = Checker::default();
        let mut filter = RequestFilter::default();
        let listed = |text: &Option<String>| -> Vec<String> {
            text.as_deref()
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let ids = listed(&query.service_request_id);
        for id in &ids {
            match id.parse::<i64>() {
                Ok(id) => filter.case_ids.push(id),
                Err(_) => c.push(FieldError::new(
                    "service_request_id",
                    "invalid",
                    msg!("open311.request_id_invalid", value = id.clone()),
                )),
            }
        }
        if ids.is_empty() {
            for code in listed(&query.service_code) {
                match open311::service_of(&code) {
                    Some(service) => filter.categories.push(service.category.as_str().to_owned()),
                    None => c.push(FieldError::not_one_of("service_code", &Category::codes())),
                }
            }
            let from = instant(&mut c, "start_date", query.start_date.as_deref());
            let to = instant(&mut c, "end_date", query.end_date.as_deref());
            filter.from = Some(from.unwrap_or_else(|| to.unwrap_or_else(|| self.now()) - Duration::days(DEFAULT_DAYS)));
            filter.to = to;
            let statuses = listed(&query.status);
            let (mut open, mut closed) = (false, false);
            for status in &statuses {
                match status.as_str() {
                    "open" => open = true,
                    "closed" => closed = true,
                    _ => c.push(FieldError::not_one_of("status", "open | closed")),
                }
            }
            if open != closed {
                filter.statuses = Status::ALL
                    .iter()
                    .filter(|s| open311::is_closed(**s) == closed)
                    .map(|s| s.as_str().to_owned())
                    .collect();
            }
        }
        c.into_result()?;
        let rows = self.store.open311_requests(caller.map(|c| &c.viewer), &filter).await?;
        Ok(rows.into_iter().filter_map(|row| request_of(row, caller.is_some())).collect())
    }

    /// One request (a case id), as [`App::open311_requests`] shows it.
    pub async fn open311_request(&self, caller: Option<&SystemCaller>, id: &str) -> Result<Request> {
        let id = id.trim().parse::<i64>().map_err(|_| AppError::NotFound { what: "case" })?;
        let row = self.store.open311_request(caller.map(|c| &c.viewer), CaseId(id)).await?;
        request_of(row, caller.is_some()).ok_or(AppError::NotFound { what: "case" })
    }
}

/// The request of a case row: every field for a client with a key, the public ones otherwise.
fn request_of(row: RequestRow, keyed: bool) -> Option<Request> {
    let service = open311::service_of(&row.category)?;
    let status = Status::parse(&row.status)?;
    let status_notes = row.outcome.as_deref().filter(|_| keyed).map(|outcome| domain::i18n::label("outcome", outcome));
    Some(Request {
        id: row.case_id,
        service,
        status: open311::status_of(status),
        status_notes,
        description: keyed.then_some(row.description),
        address: row.address.filter(|_| keyed),
        point: row.point.filter(|_| keyed),
        agency: row.agency,
        requested: row.created_at,
        updated: row.updated_at,
        expected: row.conclude_by.filter(|_| !open311::is_closed(status)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_put_together_in_the_order_of_their_language() {
        assert_eq!(full_name(Some("小明"), Some("王")).as_deref(), Some("王小明"));
        assert_eq!(full_name(Some("Ming"), Some("Wang")).as_deref(), Some("Ming Wang"));
        assert_eq!(full_name(Some(" "), Some("王")).as_deref(), Some("王"));
        assert_eq!(full_name(None, Some(" ")), None);
    }

    #[test]
    fn the_registrations_fields_are_named_as_the_client_sent_them() {
        assert_eq!(open311_field("category"), "service_code");
        assert_eq!(open311_field("parties[0].phone"), "phone");
        assert_eq!(open311_field("description"), "description");
    }
}
