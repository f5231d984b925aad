//! Open311 GeoReport v2 at `/open311/v2/` (issue 18): the dispute categories as services, and
//! requests — reported with a system account's `api_key`, listed and read — in JSON or XML
//! as the file's extension asks, errors as the specification's `[{code, description}]`. Not
//! under `/api/v1`: its shape is the specification's, not ours.

use app::integration::SystemCaller;
use app::open311::{Report, Request, RequestQuery};
use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, SecondsFormat, Utc};
use domain::i18n::T;
use domain::msg;
use domain::open311::{SERVICES, Service, service_of};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::{ApiError, current_lang};
use crate::extract::api_key;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/open311/v2/{file}", get(list).post(report))
        .route("/open311/v2/services/{file}", get(service_definition))
        .route("/open311/v2/requests/{file}", get(request))
}

/// The answer's format, from the file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

/// `name.json` or `name.xml` → `(name, format)`.
fn split(file: &str) -> Option<(&str, Format)> {
    if let Some(name) = file.strip_suffix(".json") {
        return Some((name, Format::Json));
    }
    file.strip_suffix(".xml").map(|name| (name, Format::Xml))
}

/// A small XML writer: elements with escaped text, nothing else.
#[derive(Default)]
struct Xml(String);

impl Xml {
    fn open(&mut self, name: &str) {
        self.0.push_str(&format!("<{name}>"));
    }

    fn close(&mut self, name: &str) {
        self.0.push_str(&format!("</{name}>"));
    }

    /// `<name>text</name>`; an absent value is an empty element.
    fn text(&mut self, name: &str, value: Option<&str>) {
        self.open(name);
        for c in value.unwrap_or_default().chars() {
            match c {
                '<' => self.0.push_str("&lt;"),
                '>' => self.0.push_str("&gt;"),
                '&' => self.0.push_str("&amp;"),
                '"' => self.0.push_str("&quot;"),
                '\'' => self.0.push_str("&apos;"),
                c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
                c => self.0.push(c),
            }
        }
        self.close(name);
    }

    fn document(body: impl FnOnce(&mut Xml)) -> String {
        let mut xml = Xml("<?xml version=\"1.0\" encoding=\"utf-8\"?>".to_owned());
        body(&mut xml);
        xml.0
    }
}

/// The same data as JSON or as XML: JSON is an array of objects, XML a root of elements, each
/// field a child with its text (`null` an empty element).
fn answer(status: StatusCode, format: Format, root: (&str, &str), items: Vec<Vec<(&str, Value)>>) -> Response {
    match format {
        Format::Json => {
            let items: Vec<Value> = items
                .into_iter()
                .map(|fields| Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))
                .collect();
            (status, Json(Value::Array(items))).into_response()
        }
        Format::Xml => {
            let body = Xml::document(|xml| {
                xml.open(root.0);
                for fields in items {
                    xml.open(root.1);
                    for (name, value) in fields {
                        let text = match value {
                            Value::Null => None,
                            Value::String(s) => Some(s),
                            other => Some(other.to_string()),
                        };
                        xml.text(name, text.as_deref());
                    }
                    xml.close(root.1);
                }
                xml.close(root.0);
            });
            (status, [(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
        }
    }
}

/// An error as Open311 has it, `[{code, description}]` (one per field at fault), with the
/// status the specification uses: 400 for bad input, 403 for a missing or refused key, 404.
fn failure(format: Format, error: ApiError) -> Response {
    let status = match error.status {
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT | StatusCode::PAYLOAD_TOO_LARGE => {
            StatusCode::BAD_REQUEST
        }
        StatusCode::UNAUTHORIZED => StatusCode::FORBIDDEN,
        other => other,
    };
    let t = T { lang: current_lang() };
    let descriptions: Vec<String> = if error.fields.is_empty() {
        vec![t.msg(&error.message)]
    } else {
        error.fields.iter().map(|f| t.field_error(f).message).collect()
    };
    let items = descriptions
        .into_iter()
        .map(|description| vec![("code", json!(status.as_u16())), ("description", json!(description))])
        .collect();
    answer(status, format, ("errors", "error"), items)
}

fn not_found(format: Format) -> Response {
    failure(format, ApiError::new(StatusCode::NOT_FOUND, "not_found", msg!("error.no_such_route")))
}

fn bad_input(format: Format, detail: String) -> Response {
    failure(format, ApiError::new(StatusCode::BAD_REQUEST, "invalid", msg!("open311.bad_input", detail = detail)))
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.with_timezone(&domain::china_time()).to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// The calling system of a request with a key (the `api_key` parameter or `X-Api-Key`), none
/// without one; a key that is not a live account's is refused.
async fn caller(
    state: &AppState,
    key: Option<&str>,
    headers: &HeaderMap,
    method: &Method,
    uri: &Uri,
) -> Result<Option<SystemCaller>, ApiError> {
    let key = key.map(str::trim).filter(|k| !k.is_empty()).or_else(|| api_key(headers));
    let Some(key) = key else { return Ok(None) };
    match state.app.system_caller(key, method.as_str(), uri.path()).await? {
        Some(caller) => Ok(Some(caller)),
        None => Err(ApiError::new(StatusCode::FORBIDDEN, "bad_api_key", msg!("open311.api_key_invalid"))),
    }
}

fn service_fields(service: &Service) -> Vec<(&'static str, Value)> {
    vec![
        ("service_code", json!(service.category.as_str())),
        ("service_name", json!(domain::i18n::label("category", service.category.as_str()))),
        ("description", json!(service.description)),
        ("metadata", json!(false)),
        ("type", json!("realtime")),
        ("keywords", json!(service.keywords)),
        ("group", json!(service.group)),
    ]
}

fn request_fields(request: Request) -> Vec<(&'static str, Value)> {
    vec![
        ("service_request_id", json!(request.id.to_string())),
        ("status", json!(request.status)),
        ("status_notes", json!(request.status_notes)),
        ("service_name", json!(domain::i18n::label("category", request.service.category.as_str()))),
        ("service_code", json!(request.service.category.as_str())),
        ("description", json!(request.description)),
        ("agency_responsible", json!(request.agency)),
        ("service_notice", Value::Null),
        ("requested_datetime", json!(rfc3339(request.requested))),
        ("updated_datetime", json!(rfc3339(request.updated))),
        ("expected_datetime", json!(request.expected.map(rfc3339))),
        ("address", json!(request.address)),
        ("address_id", Value::Null),
        ("zipcode", Value::Null),
        ("lat", json!(request.point.map(|p| p.0))),
        ("long", json!(request.point.map(|p| p.1))),
        ("media_url", Value::Null),
    ]
}

/// The query of `GET requests` (GeoReport v2).
#[derive(Debug, Deserialize)]
struct ListQuery {
    api_key: Option<String>,
    service_request_id: Option<String>,
    service_code: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
    status: Option<String>,
}

/// `GET services.json|xml` (every category as a service) and `GET requests.json|xml`.
async fn list(
    State(state): State<AppState>,
    Path(file): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let Some((name, format)) = split(&file) else { return not_found(Format::Json) };
    match name {
        "services" => {
            answer(StatusCode::OK, format, ("services", "service"), SERVICES.iter().map(service_fields).collect())
        }
        "requests" => {
            let Query(query) = match query {
                Ok(query) => query,
                Err(rejection) => return bad_input(format, rejection.body_text()),
            };
            let result = async {
                let caller = caller(&state, query.api_key.as_deref(), &headers, &method, &uri).await?;
                let query = RequestQuery {
                    service_request_id: query.service_request_id,
                    service_code: query.service_code,
                    start_date: query.start_date,
                    end_date: query.end_date,
                    status: query.status,
                };
                Ok::<_, ApiError>(state.app.open311_requests(caller.as_ref(), query).await?)
            }
            .await;
            match result {
                Ok(requests) => answer(
                    StatusCode::OK,
                    format,
                    ("service_requests", "request"),
                    requests.into_iter().map(request_fields).collect(),
                ),
                Err(error) => failure(format, error),
            }
        }
        _ => not_found(format),
    }
}

/// `GET services/{code}.json|xml`: a service's definition — none of ours has attributes.
async fn service_definition(Path(file): Path<String>) -> Response {
    let Some((code, format)) = split(&file) else { return not_found(Format::Json) };
    let Some(service) = service_of(code) else { return not_found(format) };
    let code = service.category.as_str();
    match format {
        Format::Json => Json(json!({"service_code": code, "attributes": []})).into_response(),
        Format::Xml => {
            let body = Xml::document(|xml| {
                xml.open("service_definition");
                xml.text("service_code", Some(code));
                xml.text("attributes", None);
                xml.close("service_definition");
            });
            ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
        }
    }
}

/// `GET requests/{id}.json|xml`: one request, as a list of one (as the specification has it).
async fn request(
    State(state): State<AppState>,
    Path(file): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    query: Result<Query<KeyQuery>, QueryRejection>,
) -> Response {
    let Some((id, format)) = split(&file) else { return not_found(Format::Json) };
    let key = query.ok().and_then(|Query(q)| q.api_key);
    let result = async {
        let caller = caller(&state, key.as_deref(), &headers, &method, &uri).await?;
        Ok::<_, ApiError>(state.app.open311_request(caller.as_ref(), id).await?)
    }
    .await;
    match result {
        Ok(request) => answer(StatusCode::OK, format, ("service_requests", "request"), vec![request_fields(request)]),
        Err(error) => failure(format, error),
    }
}

#[derive(Debug, Deserialize)]
struct KeyQuery {
    api_key: Option<String>,
}

/// The form of `POST requests` (GeoReport v2); `email`, `device_id`, `account_id` and
/// `media_url` are accepted and not kept (the centre contacts by phone).
#[derive(Debug, Deserialize)]
struct ReportForm {
    api_key: Option<String>,
    service_code: Option<String>,
    description: Option<String>,
    lat: Option<String>,
    long: Option<String>,
    address_string: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    phone: Option<String>,
    account_id: Option<String>,
}

/// `POST requests.json|xml`: a report with a system account's `api_key`; 201 with
/// `[{service_request_id, service_notice, account_id}]`.
async fn report(
    State(state): State<AppState>,
    Path(file): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    form: Result<Form<ReportForm>, FormRejection>,
) -> Response {
    let format = match split(&file) {
        Some(("requests", format)) => format,
        Some((_, format)) => {
            return failure(
                format,
                ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method", msg!("error.no_such_route")),
            );
        }
        None => return not_found(Format::Json),
    };
    let Form(form) = match form {
        Ok(form) => form,
        Err(rejection) => return bad_input(format, rejection.body_text()),
    };
    let result = async {
        let caller = caller(&state, form.api_key.as_deref(), &headers, &method, &uri).await?.ok_or_else(|| {
            ApiError::new(StatusCode::FORBIDDEN, "api_key_required", msg!("open311.api_key_required"))
        })?;
        let report = Report {
            service_code: form.service_code,
            description: form.description,
            lat: form.lat,
            long: form.long,
            address_string: form.address_string,
            first_name: form.first_name,
            last_name: form.last_name,
            phone: form.phone,
        };
        Ok::<_, ApiError>(state.app.open311_report(&caller, report).await?)
    }
    .await;
    match result {
        Ok(registered) => {
            let case = registered.case;
            let t = T { lang: current_lang() };
            let notice = match case.deadlines.respond_by {
                Some(by) => t.msg(&msg!("open311.notice_by", number = case.number.clone(), by = rfc3339(by))),
                None => t.msg(&msg!("open311.notice", number = case.number.clone())),
            };
            let item = vec![
                ("service_request_id", json!(case.id.to_string())),
                ("service_notice", json!(notice)),
                ("account_id", json!(form.account_id)),
            ];
            answer(StatusCode::CREATED, format, ("service_requests", "request"), vec![item])
        }
        Err(error) => failure(format, error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extension_names_the_format() {
        assert_eq!(split("services.json"), Some(("services", Format::Json)));
        assert_eq!(split("labor.xml"), Some(("labor", Format::Xml)));
        assert_eq!(split("services.csv"), None);
    }

    #[test]
    fn xml_text_is_escaped() {
        let xml = Xml::document(|xml| xml.text("description", Some("a<b & \"c\"\u{1}")));
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><description>a&lt;b &amp; &quot;c&quot;</description>"
        );
    }
}
