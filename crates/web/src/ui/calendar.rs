//! 调解日程: the week's mediation sessions (Monday to Sunday) that the user may see, with the
//! official calendar's holidays and weekends worked in exchange marked, filterable by unit
//! and mediator; each entry links to its case. On a phone the week is a list of days.

use app::sessions::{CalendarQuery, CalendarSession};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, Duration, NaiveDate};
use domain::authz::{self, Permission, Reach};
use domain::calendar::parse_date;
use domain::org::{RegionCode, Role};
use serde::Deserialize;

use super::cases::short_time;
use super::{Page, Session, UiError, render};
use crate::AppState;

/// The week and filters as the page's links and form send them.
#[derive(Debug, Default, Deserialize)]
pub struct WeekQuery {
    /// Any day of the week to show (YYYY-MM-DD); this week when absent.
    #[serde(default)]
    week: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    mediator: String,
}

impl WeekQuery {
    /// The page for the week starting `monday`, with the same filters.
    fn href(&self, monday: NaiveDate) -> String {
        let mut href = format!("/sessions?week={monday}");
        for (name, value) in [("unit", &self.unit), ("mediator", &self.mediator)] {
            if !value.is_empty() {
                href.push_str(&format!("&{name}={}", super::session::encode_component(value)));
            }
        }
        href
    }
}

/// One day of the week as the page shows it.
pub struct DayColumn {
    pub date: String,
    pub weekday: &'static str,
    pub today: bool,
    pub workday: bool,
    /// The festival on its rest days.
    pub holiday: Option<String>,
    /// A weekend day worked in exchange (调休上班).
    pub adjusted: bool,
    pub entries: Vec<Entry>,
}

/// A session as an entry of its day.
pub struct Entry {
    pub case_id: i64,
    pub case_number: String,
    pub time: String,
    pub mode: String,
    pub place: String,
    pub mediator: String,
    pub unit: String,
    pub status: String,
    pub status_label: String,
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage {
    page: Page,
    range: String,
    days: Vec<DayColumn>,
    total: usize,
    prev: String,
    next: String,
    this_week: String,
    /// Filters are offered to those who see more than their own sessions.
    filters: bool,
    units: Vec<(i64, String)>,
    mediators: Vec<(i64, String)>,
    query: WeekQuery,
    error: Option<String>,
}

const WEEKDAYS: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];

pub async fn week(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<WeekQuery>,
) -> Result<Response, UiError> {
    let t = session.t;
    let viewer = &session.viewer;
    authz::may_at_all(viewer.role, Permission::SessionsRead)?;
    let today = state.now().with_timezone(&domain::china_time()).date_naive();
    let mut errors = Vec::new();
    let day = if query.week.trim().is_empty() {
        today
    } else {
        parse_date("week", Some(&query.week)).unwrap_or_else(|e| {
            errors.push(e);
            today
        })
    };
    let monday = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
    let sunday = monday + Duration::days(6);
    let (from, to) = (monday.to_string(), sunday.to_string());
    let asked = CalendarQuery::parse(Some(&from), Some(&to), Some(&query.unit), Some(&query.mediator));
    let asked = asked.unwrap_or_else(|fields| {
        errors.extend(fields);
        CalendarQuery { from: monday, to: sunday, unit_id: None, mediator_id: None }
    });
    let calendar = state.app.sessions_calendar(viewer, &asked).await?;
    let total = calendar.sessions.len();
    let mut sessions = calendar.sessions.into_iter().peekable();
    let days = calendar
        .days
        .into_iter()
        .zip(WEEKDAYS)
        .map(|(d, weekday)| {
            let mut entries = Vec::new();
            while let Some(s) =
                sessions.next_if(|s| s.scheduled_at.with_timezone(&domain::china_time()).date_naive() == d.date)
            {
                entries.push(entry(t, s));
            }
            DayColumn {
                date: d.date.to_string(),
                weekday,
                today: d.date == today,
                workday: d.workday,
                holiday: d.holiday.map(|h| t.s(&h).into_owned()),
                adjusted: d.adjusted,
                entries,
            }
        })
        .collect();
    // Only a mediator is limited to their own: the others choose among the units and
    // mediators of their scope.
    let filters = authz::grant(viewer.role, Permission::SessionsRead) != Some(Reach::Own);
    let (units, mediators) = if filters {
        let units = state.app.units().await?;
        let in_scope: Vec<_> = units
            .into_iter()
            .filter(|u| RegionCode::parse(&u.region_code).is_ok_and(|r| viewer.scope.covers_region(&r)))
            .collect();
        let mediators: Vec<(i64, String, i64)> = state
            .app
            .users()
            .await?
            .into_iter()
            .filter(|u| u.role == Role::Mediator && in_scope.iter().any(|unit| unit.id == u.unit_id))
            .map(|u| (u.id, u.display_name, u.unit_id))
            .collect();
        let units = in_scope
            .into_iter()
            .filter(|unit| mediators.iter().any(|m| m.2 == unit.id))
            .map(|unit| (unit.id, unit.name))
            .collect();
        (units, mediators.into_iter().map(|(id, name, _)| (id, name)).collect())
    } else {
        (Vec::new(), Vec::new())
    };
    let error = (!errors.is_empty()).then(|| errors.iter().map(|e| t.msg(&e.message())).collect::<Vec<_>>().join("；"));
    let page = Page::new(&state, &session, "调解日程", &query.href(monday)).await?;
    let shown_flash = page.flash.is_some();
    let calendar_page = CalendarPage {
        page,
        range: format!("{monday} – {sunday}"),
        days,
        total,
        prev: query.href(monday - Duration::days(7)),
        next: query.href(monday + Duration::days(7)),
        this_week: query.href(today - Duration::days(i64::from(today.weekday().num_days_from_monday()))),
        filters,
        units,
        mediators,
        query,
        error,
    };
    let status = if calendar_page.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render(status, &calendar_page, shown_flash))
}

fn entry(t: super::i18n::T, s: CalendarSession) -> Entry {
    let time = short_time(&s.scheduled_at);
    Entry {
        case_id: s.case_id,
        case_number: s.case_number,
        time: time.split(' ').nth(1).unwrap_or_default().to_owned(),
        mode: t.code("mode", &s.mode),
        place: s.place.unwrap_or_default(),
        mediator: s.mediator_name.unwrap_or(s.mediator),
        unit: s.unit_name.unwrap_or_default(),
        status_label: t.code("session", &s.status),
        status: s.status,
    }
}
