//! The clocks' policies (a row per rule: which cases, which limits), the official calendar (a
//! row per holiday: its rest days and its adjusted working days) and the risk and level rules
//! (word lists a word a line, thresholds as numbers), as forms.

use app::AppError;
use app::calendar::CalendarYearView;
use app::triage::TriageRules;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use domain::authz::Permission;
use domain::calendar::{Holiday, YearCalendar};
use domain::case::{Category, Channel, Risk};
use domain::clocks::{ClockPolicy, PolicyRule};
use domain::msg;
use domain::validation::FieldError;
use serde::Deserialize;

use super::{Typed, by_row, may};
use crate::AppState;
use crate::ui::cases::options;
use crate::ui::session::FormData;
use crate::ui::{Page, Posted, Session, UiError, redirect_with, render};

/// The limits of a policy: the form's field, its label.
const LIMITS: [(&str, &str); 6] = [
    ("respond_minutes", "响应时限（分钟）"),
    ("dispatch_hours", "分流时限（小时）"),
    ("conclude_working_days", "办结时限（工作日）"),
    ("follow_up_working_days", "回访时限（工作日）"),
    ("reminder_percent", "提醒函发出时已用时限（%）"),
    ("order_after_working_days", "超期几个工作日发督办令"),
];

#[derive(Template)]
#[template(path = "admin_policies.html")]
struct PoliciesPage {
    page: Page,
    form: Typed,
    rows: Vec<usize>,
    categories: Vec<(&'static str, String)>,
    channels: Vec<(&'static str, String)>,
    risks: Vec<(&'static str, String)>,
    limits: Vec<(&'static str, &'static str)>,
    defaults: ClockPolicy,
}

impl PoliciesPage {
    fn name(&self, row: &usize, field: &str) -> String {
        format!("rules[{row}].{field}")
    }
}

async fn policies_page(state: &AppState, session: &Session, form: Typed, rows: usize) -> Result<Response, UiError> {
    let t = session.t;
    let status = if form.has_errors() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = Page::new(state, session, "时限规则", "/admin/policies").await?;
    let shown_flash = page.flash.is_some();
    let shown = PoliciesPage {
        page,
        form,
        rows: (0..rows).collect(),
        categories: options(t, "category", Category::ALL, Category::as_str),
        channels: options(t, "channel", Channel::ALL, Channel::as_str),
        risks: options(t, "risk", Risk::ALL, Risk::as_str),
        limits: LIMITS.to_vec(),
        defaults: ClockPolicy::default(),
    };
    Ok(render(status, &shown, shown_flash))
}

fn policy_values(policy: &ClockPolicy) -> [i64; 6] {
    [
        policy.respond_minutes,
        policy.dispatch_hours,
        policy.conclude_working_days,
        policy.follow_up_working_days,
        policy.reminder_percent,
        policy.order_after_working_days,
    ]
}

pub async fn policies_form(State(state): State<AppState>, session: Session) -> Result<Response, UiError> {
    may(&session, Permission::CalendarManage)?;
    let rules = state.app.clock_policies().await?;
    let mut values = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let name = |field: &str| format!("rules[{i}].{field}");
        values.push((name("category"), rule.category.map(|c| c.as_str().to_owned()).unwrap_or_default()));
        values.push((name("channel"), rule.channel.map(|c| c.as_str().to_owned()).unwrap_or_default()));
        values.push((name("risk"), rule.risk.map(|r| r.as_str().to_owned()).unwrap_or_default()));
        for ((field, _), value) in LIMITS.iter().zip(policy_values(&rule.policy)) {
            values.push((name(field), value.to_string()));
        }
    }
    let form = Typed::of(values.iter().map(|(k, v)| (k.as_str(), v.clone())).collect());
    policies_page(&state, &session, form, rules.len() + 1).await
}

/// The rules the form gives, each with its row: a row marked for removal, or with no limit
/// filled in, is no rule.
fn policy_rules(form: &FormData, rows: usize) -> (Vec<PolicyRule>, Vec<usize>, Vec<FieldError>) {
    let (mut rules, mut from_row, mut errors) = (Vec::new(), Vec::new(), Vec::new());
    for row in 0..rows {
        let name = |field: &str| format!("rules[{row}].{field}");
        if form.get(&name("remove")).is_some() || LIMITS.iter().all(|(field, _)| form.get(&name(field)).is_none()) {
            continue;
        }
        let mut limits = [0i64; 6];
        for ((field, _), limit) in LIMITS.iter().zip(limits.iter_mut()) {
            match form.get(&name(field)).map(str::parse::<i64>) {
                Some(Ok(value)) => *limit = value,
                Some(Err(_)) => {
                    errors.push(FieldError::new(name(field), "wrong_type", msg!("field.not_a_whole_number")))
                }
                None => errors.push(FieldError::required(name(field))),
            }
        }
        let [
            respond_minutes,
            dispatch_hours,
            conclude_working_days,
            follow_up_working_days,
            reminder_percent,
            order_after_working_days,
        ] = limits;
        rules.push(PolicyRule {
            category: form.get(&name("category")).and_then(Category::parse),
            channel: form.get(&name("channel")).and_then(Channel::parse),
            risk: form.get(&name("risk")).and_then(Risk::parse),
            policy: ClockPolicy {
                respond_minutes,
                dispatch_hours,
                conclude_working_days,
                follow_up_working_days,
                reminder_percent,
                order_after_working_days,
            },
        });
        from_row.push(row);
    }
    (rules, from_row, errors)
}

/// Replaces the policies; every open case's deadlines are recomputed.
pub async fn policies_put(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    may(&session, Permission::CalendarManage)?;
    let rows = super::posted_rows(&form, 200);
    let (rules, from_row, errors) = policy_rules(&form, rows);
    let saved = if errors.is_empty() {
        state.app.clock_policies_replace(&session.viewer, rules).await
    } else {
        Err(AppError::Invalid(errors))
    };
    match saved {
        Ok(recomputed) => {
            let t = session.t;
            Ok(redirect_with("/admin/policies", "ok", &format!("{}：{recomputed}", t.s("时限规则已保存，重算案件数"))))
        }
        Err(AppError::Invalid(errors)) => {
            let typed = Typed::refused(session.t, form, &by_row(errors, "rules", &from_row));
            policies_page(&state, &session, typed, rows).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Blank holiday rows offered under a year's holidays.
const BLANK_HOLIDAYS: usize = 2;
/// Adjusted working days a holiday row offers.
const WORK_DAYS: usize = 3;

#[derive(Template)]
#[template(path = "admin_calendar.html")]
struct CalendarPage {
    page: Page,
    years: Vec<CalendarYearView>,
    form: Typed,
    rows: Vec<usize>,
    work_days: Vec<usize>,
}

impl CalendarPage {
    fn name(&self, row: &usize, field: &str) -> String {
        format!("holidays[{row}].{field}")
    }
}

/// `?year=2027`: the year to load into the form.
#[derive(Debug, Deserialize)]
pub struct YearQuery {
    year: Option<String>,
}

async fn calendar_page(state: &AppState, session: &Session, form: Typed, rows: usize) -> Result<Response, UiError> {
    let status = if form.has_errors() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = Page::new(state, session, "工作日历", "/admin/calendar").await?;
    let shown_flash = page.flash.is_some();
    let shown = CalendarPage {
        page,
        years: state.app.calendar_years().await?,
        form,
        rows: (0..rows).collect(),
        work_days: (0..WORK_DAYS).collect(),
    };
    Ok(render(status, &shown, shown_flash))
}

pub async fn calendar_form(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<YearQuery>,
) -> Result<Response, UiError> {
    may(&session, Permission::CalendarManage)?;
    let years = state.app.calendar_years().await?;
    let wanted = query.year.as_deref().and_then(|y| y.parse::<i32>().ok());
    let Some(year) = years.iter().find(|y| Some(y.calendar.year) == wanted).map(|y| &y.calendar) else {
        let form = Typed::of(wanted.map(|y| vec![("year", y.to_string())]).unwrap_or_default());
        return calendar_page(&state, &session, form, BLANK_HOLIDAYS).await;
    };
    let mut values = vec![
        ("year".to_owned(), year.year.to_string()),
        ("source".to_owned(), year.source.clone().unwrap_or_default()),
    ];
    for (i, h) in year.holidays.iter().enumerate() {
        values.push((format!("holidays[{i}].name"), h.name.clone()));
        values.push((format!("holidays[{i}].rest_from"), h.rest[0].to_string()));
        values.push((format!("holidays[{i}].rest_to"), h.rest[1].to_string()));
        for (j, w) in h.work.iter().enumerate() {
            values.push((format!("holidays[{i}].work[{j}]"), w.to_string()));
        }
    }
    let form = Typed::of(values.iter().map(|(k, v)| (k.as_str(), v.clone())).collect());
    calendar_page(&state, &session, form, year.holidays.len() + BLANK_HOLIDAYS).await
}

/// The year the form gives; a row without a name or dates is no holiday.
fn year_calendar(form: &FormData, rows: usize) -> (Option<YearCalendar>, Vec<usize>, Vec<FieldError>) {
    let (mut holidays, mut from_row, mut errors) = (Vec::new(), Vec::new(), Vec::new());
    let year = match form.get("year").map(str::parse::<i32>) {
        Some(Ok(year)) => Some(year),
        Some(Err(_)) => {
            errors.push(FieldError::new("year", "wrong_type", msg!("field.not_a_whole_number")));
            None
        }
        None => {
            errors.push(FieldError::required("year"));
            None
        }
    };
    let date = |field: String, errors: &mut Vec<FieldError>, error_field: String| -> Option<NaiveDate> {
        let value = form.get(&field)?;
        NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .map_err(|_| errors.push(FieldError::new(error_field, "not_a_date", msg!("field.not_a_date"))))
            .ok()
    };
    for row in 0..rows {
        let name = |field: &str| format!("holidays[{row}].{field}");
        let title = form.get(&name("name")).unwrap_or_default();
        let from = date(name("rest_from"), &mut errors, name("rest"));
        let to = date(name("rest_to"), &mut errors, name("rest"));
        let work: Vec<NaiveDate> = (0..WORK_DAYS)
            .filter_map(|j| date(name(&format!("work[{j}]")), &mut errors, name(&format!("work[{j}]"))))
            .collect();
        if title.is_empty() && from.is_none() && to.is_none() && work.is_empty() {
            continue;
        }
        let (Some(from), Some(to)) = (from, to) else {
            if !errors.iter().any(|e| e.field == name("rest")) {
                errors.push(FieldError::required(name("rest")));
            }
            continue;
        };
        holidays.push(Holiday { name: title.to_owned(), rest: [from, to], work });
        from_row.push(row);
    }
    let calendar = year.map(|year| YearCalendar { year, source: form.get("source").map(str::to_owned), holidays });
    (calendar, from_row, errors)
}

/// Loads or corrects a year; every open case's deadlines are recomputed.
pub async fn calendar_put(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    may(&session, Permission::CalendarManage)?;
    let rows = super::posted_rows(&form, 60);
    let (calendar, from_row, errors) = year_calendar(&form, rows);
    let loaded = match calendar {
        Some(calendar) if errors.is_empty() => {
            let number = calendar.year;
            match state.app.calendar_put(&session.viewer, calendar).await {
                Ok(recomputed) => Ok((number, recomputed)),
                Err(AppError::Invalid(errors)) => Err(AppError::Invalid(holidays_by_row(errors, &from_row))),
                Err(e) => Err(e),
            }
        }
        _ => Err(AppError::Invalid(errors)),
    };
    match loaded {
        Ok((number, recomputed)) => {
            let t = session.t;
            let text = format!("{number} {}：{recomputed}", t.s("年日历已载入，重算案件数"));
            Ok(redirect_with(&format!("/admin/calendar?year={number}"), "ok", &text))
        }
        Err(AppError::Invalid(errors)) => {
            calendar_page(&state, &session, Typed::refused(session.t, form, &errors), rows).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The domain names a holiday by its place among the holidays (`holidays[1].rest`); the form
/// by its row, blank rows being no holidays.
fn holidays_by_row(errors: Vec<FieldError>, from_row: &[usize]) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|mut e| {
            if let Some(rest) = e.field.strip_prefix("holidays[")
                && let Some((i, tail)) = rest.split_once(']')
                && let Some(row) = i.parse::<usize>().ok().and_then(|i| from_row.get(i))
            {
                e.field = format!("holidays[{row}]{tail}");
            }
            e
        })
        .collect()
}

/// The risk rules' word lists: the form's field (one word a line).
const WORD_LISTS: [&str; 10] = [
    "risk.violence_words",
    "risk.self_harm_words",
    "risk.casualty_words",
    "risk.escalation_words",
    "risk.agitation_words",
    "risk.innocent_phrases",
    "risk.negations",
    "risk.hearsay_markers",
    "risk.emergency_words",
    "risk.wage_words",
];
/// The risk and level rules' numbers: the form's field.
const RULE_NUMBERS: [&str; 14] = [
    "risk.group_orange_people",
    "risk.group_red_people",
    "risk.amount_yellow_fen",
    "risk.amount_orange_fen",
    "risk.festival_days",
    "risk.repeat_window_days",
    "risk.repeat_yellow",
    "risk.repeat_orange",
    "risk.cluster_window_days",
    "risk.cluster_orange",
    "levels.district_amount_fen",
    "levels.district_people",
    "levels.city_amount_fen",
    "levels.city_people",
];

#[derive(Template)]
#[template(path = "admin_rules.html")]
struct RulesPage {
    page: Page,
    form: Typed,
    word_lists: Vec<&'static str>,
    numbers: Vec<&'static str>,
}

impl RulesPage {
    /// A field's name in words (`risk.amount_yellow_fen` → its label).
    fn label(&self, field: &str) -> String {
        self.page.t.field(field.rsplit('.').next().unwrap_or(field))
    }
}

async fn rules_page(state: &AppState, session: &Session, form: Typed) -> Result<Response, UiError> {
    let status = if form.has_errors() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = Page::new(state, session, "风险规则", "/admin/rules").await?;
    let shown_flash = page.flash.is_some();
    let shown = RulesPage { page, form, word_lists: WORD_LISTS.to_vec(), numbers: RULE_NUMBERS.to_vec() };
    Ok(render(status, &shown, shown_flash))
}

/// The rules as the form shows them: their JSON's fields by path.
fn rules_values(rules: &TriageRules) -> Vec<(String, String)> {
    let json = serde_json::to_value(rules).unwrap_or_default();
    let at = |path: &str| path.split('.').fold(&json, |v, key| &v[key]);
    let mut values: Vec<(String, String)> = WORD_LISTS
        .iter()
        .map(|field| {
            let words: Vec<&str> = at(field).as_array().into_iter().flatten().filter_map(|w| w.as_str()).collect();
            ((*field).to_owned(), words.join("\n"))
        })
        .collect();
    values.extend(RULE_NUMBERS.iter().map(|field| ((*field).to_owned(), at(field).to_string())));
    if rules.levels.red_to_district {
        values.push(("levels.red_to_district".to_owned(), "true".to_owned()));
    }
    values
}

pub async fn rules_form(State(state): State<AppState>, session: Session) -> Result<Response, UiError> {
    may(&session, Permission::TriageManage)?;
    let values = rules_values(&state.app.triage_rules().await?);
    let form = Typed::of(values.iter().map(|(k, v)| (k.as_str(), v.clone())).collect());
    rules_page(&state, &session, form).await
}

/// The rules the form gives, or every number that is not one.
fn rules_of(form: &FormData) -> Result<TriageRules, AppError> {
    let mut rules = serde_json::to_value(TriageRules::default()).unwrap_or_default();
    let mut errors = Vec::new();
    let mut set = |path: &str, value: serde_json::Value| {
        if let Some((group, key)) = path.split_once('.') {
            rules[group][key] = value;
        }
    };
    for field in WORD_LISTS {
        let words: Vec<&str> = form.raw(field).lines().map(str::trim).filter(|w| !w.is_empty()).collect();
        set(field, words.into());
    }
    for field in RULE_NUMBERS {
        match form.get(field).map(str::parse::<i64>) {
            Some(Ok(n)) => set(field, n.into()),
            Some(Err(_)) => errors.push(FieldError::new(field, "wrong_type", msg!("field.not_a_whole_number"))),
            None => errors.push(FieldError::required(field)),
        }
    }
    set("levels.red_to_district", form.get("levels.red_to_district").is_some().into());
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    serde_json::from_value(rules).map_err(|e| AppError::Internal(format!("the rules' form made no rules: {e}")))
}

/// Replaces the risk and level rules; triage uses them from the next case on.
pub async fn rules_put(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    may(&session, Permission::TriageManage)?;
    let saved = match rules_of(&form) {
        Ok(rules) => state.app.triage_rules_put(&session.viewer, rules).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match saved {
        Ok(()) => Ok(redirect_with("/admin/rules", "ok", &session.t.s("风险规则已保存"))),
        Err(AppError::Invalid(errors)) => rules_page(&state, &session, Typed::refused(session.t, form, &errors)).await,
        Err(e) => Err(e.into()),
    }
}
