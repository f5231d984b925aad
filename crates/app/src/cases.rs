//! Cases: registration from every channel, reading within scope, the list, full-text search,
//! the history and the workflow's steps.

use domain::authz::{self, Permission, Resource};
use domain::case::CaseRegistration;
use domain::ids::CaseId;
use domain::validation::Checker;
use domain::workflow::Command;
pub use search::COUNT_LIMIT as SEARCH_COUNT_LIMIT;
use search::SearchScope;
pub use store::cases::{
    CaseFilter, CaseList, CaseListRow, CaseReceipt, CaseView, Deadlines, EventView, HopView, ListCursor, LocationView,
    MAX_PAGE_SIZE, PartyView, RegisteredCase, RelatedCase, RevealRequest, Routing,
};

use crate::triage::WhenUnsure;
use crate::{App, AppError, Result, Viewer};

impl App {
    /// A registered case as its registration answered it (with the related cases found for it),
    /// for the page a registration redirects to.
    pub async fn case_registered(&self, viewer: &Viewer, id: CaseId) -> Result<RegisteredCase> {
        Ok(self.store.case_registered(viewer, id, self.now()).await?)
    }

    /// 受理回执: the receipt the applicant takes home, for any case the viewer sees.
    pub async fn case_receipt(&self, viewer: &Viewer, id: CaseId) -> Result<CaseReceipt> {
        Ok(self.store.case_receipt(viewer, id, self.now()).await?)
    }

    /// 登记: validates the registration, triages it (category, risk, route with reasons) and
    /// registers the case with its parties and first event. `when_unsure` says whether the
    /// person registering is there to be asked for the type when triage cannot tell it (the
    /// window) or not (the API's clients).
    pub async fn case_register(
        &self,
        viewer: &Viewer,
        registration: CaseRegistration,
        when_unsure: WhenUnsure,
    ) -> Result<RegisteredCase> {
        authz::may(viewer.role, Permission::CaseRegister, Resource::ANY)?;
        let now = self.now();
        let new = registration.validate(now)?;
        let registered = self.store.case_register(viewer, new, when_unsure, now).await?;
        self.live_case_registered(registered.case.id).await;
        Ok(registered)
    }

    /// One case in the viewer's scope; with `reveal`, the parties' full ID numbers and phones
    /// (for roles whose work needs them; every view recorded in the history).
    /// The case; with `reveal`, its personal data in full, for a reason that goes into the
    /// history — some words, at most 500 characters, from the API and the page alike.
    pub async fn case_get(&self, viewer: &Viewer, id: CaseId, reveal: Option<RevealRequest>) -> Result<CaseView> {
        let reveal = self.reveal_checked(viewer, reveal)?;
        Ok(self.store.case_get(viewer, id, reveal, self.now()).await?)
    }

    /// A request to see personal data in full, if the role may and the reason is given.
    pub(crate) fn reveal_checked(
        &self,
        viewer: &Viewer,
        reveal: Option<RevealRequest>,
    ) -> Result<Option<RevealRequest>> {
        let Some(request) = reveal else { return Ok(None) };
        authz::may(viewer.role, Permission::PersonalDataReveal, Resource::ANY)?;
        let mut c = Checker::default();
        let reason = c.required_text("reason", Some(&request.reason), 500);
        c.into_result()?;
        Ok(reason.map(|reason| RevealRequest { reason }))
    }

    /// 流转: the units the case was dispatched or transferred to, the first first.
    pub async fn case_hops(&self, viewer: &Viewer, id: CaseId) -> Result<Vec<HopView>> {
        Ok(self.store.case_hops(viewer, id).await?)
    }

    /// The case's hash-chained history, oldest first.
    pub async fn case_events(&self, viewer: &Viewer, id: CaseId) -> Result<Vec<EventView>> {
        Ok(self.store.case_events(viewer, id).await?)
    }

    pub async fn case_list(&self, viewer: &Viewer, filter: &CaseFilter) -> Result<CaseList> {
        Ok(self.store.case_list(viewer, filter, self.now()).await?)
    }

    /// A workflow step; the state machine (`domain::workflow`) decides who and when.
    pub async fn case_act(&self, viewer: &Viewer, id: CaseId, command: Command, version: i64) -> Result<CaseView> {
        Ok(self.store.case_act(viewer, id, command, version, self.now()).await?)
    }

    /// The cases in the viewer's scope matching `q`, best first. The index first catches up
    /// with the store; ranking runs on the blocking pool, not on the threads serving requests.
    /// When the index cannot be written (a full disk) the search still answers, from the index
    /// as it stands.
    pub async fn cases_search(&self, viewer: &Viewer, q: &str, limit: usize, offset: usize) -> Result<CaseList> {
        match self.search.catch_up(&self.store).await {
            Err(search::SearchError::Unwritable { path, source }) => {
                tracing::error!(%path, error = %source, "search index not written: searching without the latest changes");
            }
            caught_up => {
                caught_up.map_err(search_failed)?;
            }
        }
        let scope =
            SearchScope { region_prefix: viewer.scope.region.significant().to_owned(), unit_id: viewer.unit_id };
        let hits = self.search.search_blocking(q.to_owned(), scope, limit, offset).await.map_err(search_failed)?;
        let items = self.store.case_rows_by_ids(viewer, &hits.ids).await?;
        Ok(CaseList {
            items,
            total: hits.counted as i64,
            total_capped: hits.estimate.is_some(),
            total_estimate: hits.estimate.map(|e| e as i64),
            next: None,
        })
    }

    /// 类似案例: the concluded cases in the viewer's scope most like this one by their words,
    /// never the case itself; 404 when the viewer does not see the case.
    pub async fn cases_similar(&self, viewer: &Viewer, id: CaseId) -> Result<Vec<SimilarCase>> {
        let case = self.store.case_get(viewer, id, None, self.now()).await?;
        let text = format!("{} {}", case.title.as_deref().unwrap_or_default(), case.description);
        self.cases_similar_to_text(viewer, &text, Some(case.id)).await
    }

    /// The concluded cases in the viewer's scope most like `text` (a question on /law), best
    /// first, at most [`SIMILAR_MAX`], their summaries masked.
    pub async fn cases_similar_to_text(
        &self,
        viewer: &Viewer,
        text: &str,
        except: Option<i64>,
    ) -> Result<Vec<SimilarCase>> {
        self.search.catch_up(&self.store).await.map_err(search_failed)?;
        let scope =
            SearchScope { region_prefix: viewer.scope.region.significant().to_owned(), unit_id: viewer.unit_id };
        let (index, text) = (self.search.clone(), text.to_owned());
        let ids = tokio::task::spawn_blocking(move || index.similar(&text, &scope, except.unwrap_or(0), SIMILAR_MAX))
            .await
            .map_err(|e| AppError::Internal(format!("similar cases: {e}")))?
            .map_err(search_failed)?;
        let mut similar = Vec::with_capacity(ids.len());
        for id in ids {
            // Read through the scope again: the index may be behind a transfer.
            let Ok(case) = self.store.case_get(viewer, CaseId(id), None, self.now()).await else { continue };
            let people: Vec<&str> =
                case.parties.iter().filter(|p| p.kind == "person").map(|p| p.name.as_str()).collect();
            let organisations: Vec<&str> =
                case.parties.iter().filter(|p| p.kind != "person").map(|p| p.name.as_str()).collect();
            let summary = case.summary.as_deref().filter(|s| !s.trim().is_empty()).unwrap_or(&case.description);
            similar.push(SimilarCase {
                id: case.id,
                number: case.number.clone(),
                category: case.category,
                outcome: case.outcome,
                summary: domain::identity::mask_text(summary, &people, &organisations),
            });
        }
        Ok(similar)
    }

    /// Brings this node's search index up to date with the store; returns how many cases it indexed.
    pub async fn search_catch_up(&self) -> Result<usize> {
        self.search.catch_up(&self.store).await.map_err(search_failed)
    }
}

/// The most similar cases shown.
pub const SIMILAR_MAX: usize = 5;

/// A concluded case like another, as shown beside it: its summary without personal data.
#[derive(Debug, Clone)]
pub struct SimilarCase {
    pub id: i64,
    pub number: String,
    pub category: domain::case::Category,
    pub outcome: Option<domain::case::Outcome>,
    /// The conclusion's summary (the description when there is none), masked.
    pub summary: String,
}

fn search_failed(error: search::SearchError) -> AppError {
    match error {
        search::SearchError::Store(e) => e.into(),
        other => AppError::Internal(other.to_string()),
    }
}
