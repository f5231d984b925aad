//! 案卷: the whole case file on paper — the case and its parties (masked as the viewer sees
//! them), the route and every hop, the history as a timeline of labels, the deadlines, the
//! sessions with their minutes, the agreements with their signatures and confirmation, the
//! evidence with its hashes, and the notices — laid out for A4 by the print stylesheet (page
//! breaks, no navigation), opened from the case page. (The electronic file, a ZIP, is another
//! thing.)

use app::cases::{CaseView, HopView};
use app::mediation::{AgreementView, EvidenceView};
use app::sessions::{CaseMediator, SessionView};
use app::supervision::{Deadline, NoticeFilter, NoticeView};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use domain::ids::CaseId;

use super::cases::{PartyLine, RegionNames, TimelineEntry, UnitNames, party_lines, short_time, timeline_of};
use super::{Page, Session, UiError, render};
use crate::AppState;
use crate::extract::InPath;

/// A hop as the file prints it.
pub struct HopLine {
    pub unit: String,
    pub assist: String,
    pub dispatched_by: String,
    pub dispatched_at: String,
    pub signed_at: String,
    pub returned: String,
    pub extension_days: i64,
    pub ended_at: String,
}

#[derive(Template)]
#[template(path = "casefile.html")]
struct CaseFilePage {
    page: Page,
    case: CaseView,
    /// Where it happened, by the regions' names.
    place: String,
    lead_unit: String,
    suggested_unit: String,
    suggested_assist: Vec<String>,
    parties: Vec<PartyLine>,
    hops: Vec<HopLine>,
    timeline: Vec<TimelineEntry>,
    deadlines: Vec<Deadline>,
    mediator: Option<CaseMediator>,
    sessions: Vec<SessionView>,
    agreements: Vec<AgreementView>,
    evidence: Vec<EvidenceView>,
    notices: Vec<NoticeView>,
    units: UnitNames,
    printed_at: String,
}

impl CaseFilePage {
    fn time(&self, at: &DateTime<Utc>) -> String {
        short_time(at)
    }

    fn party_name(&self, index: &usize) -> &str {
        self.case.parties.get(*index).map_or("", |p| p.name.as_str())
    }

    fn unit(&self, id: &i64) -> String {
        self.units.name(Some(*id))
    }
}

pub async fn print(
    State(state): State<AppState>,
    session: Session,
    InPath(id, _): InPath<CaseId, UiError>,
) -> Result<Response, UiError> {
    let t = session.t;
    let viewer = &session.viewer;
    let app = &state.app;
    let case = app.case_get(viewer, id, None).await?;
    let units = UnitNames::new(&app.units().await?);
    let regions = RegionNames::new(&app.regions().await?);
    let events = app.case_events(viewer, id).await?;
    let timeline = timeline_of(&state, t, &case, &events, &units, &regions).await?;
    let hops = app.case_hops(viewer, id).await?.into_iter().map(|h| hop_line(h, &units)).collect();
    let notices = app.notices(viewer, &NoticeFilter { case_id: Some(id.get()), ..NoticeFilter::default() }).await?;
    let page = Page::new(&state, &session, "案卷", &format!("/cases/{id}/print")).await?;
    let file = CaseFilePage {
        place: regions.place(&case.location.region_code),
        lead_unit: units.name(case.lead_unit_id),
        suggested_unit: units.name(case.routing.unit_id),
        suggested_assist: case.routing.assist_unit_ids.iter().map(|u| units.name(Some(*u))).collect(),
        parties: party_lines(t, &case),
        hops,
        timeline,
        deadlines: app.case_deadlines(viewer, id).await?,
        mediator: app.case_mediator(viewer, id).await?,
        sessions: app.sessions(viewer, id).await?,
        agreements: app.agreements_of_case(viewer, id).await?,
        evidence: app.evidence_list(viewer, id).await?,
        notices,
        units,
        printed_at: short_time(&state.now()),
        case,
        page,
    };
    Ok(render(StatusCode::OK, &file, false))
}

fn hop_line(h: HopView, units: &UnitNames) -> HopLine {
    let time = |at: Option<DateTime<Utc>>| at.as_ref().map(short_time).unwrap_or_default();
    let returned = match (h.returned_at, h.return_reason) {
        (Some(at), reason) => format!("{} {}", short_time(&at), reason.unwrap_or_default()),
        (None, _) => String::new(),
    };
    HopLine {
        unit: units.name(Some(h.unit_id)),
        assist: h.assist_unit_ids.iter().map(|u| units.name(Some(*u))).collect::<Vec<_>>().join("、"),
        dispatched_by: h.dispatched_by,
        dispatched_at: short_time(&h.dispatched_at),
        signed_at: time(h.signed_at),
        returned,
        extension_days: h.extension_days,
        ended_at: time(h.ended_at),
    }
}
