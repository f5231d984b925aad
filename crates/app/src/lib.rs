//! Fengqiao's application layer: every operation the API and the staff UI offer, as one use
//! case named `resource_verb` (`case_register`, `agreement_seal`, `evidence_add` …), in one
//! module per resource.
//!
//! A use case reads the clock, decides authorisation through [`domain::authz`], validates
//! what the domain validates, orchestrates the store, triage, search and the documents, and
//! answers with an [`AppError`] that says what the client needs to know. The HTTP crate calls
//! only this crate; the store below only persists.

pub mod alerts;
pub mod auth;
pub mod calendar;
pub mod case_import;
pub mod casefile;
pub mod cases;
pub mod citizens;
pub mod command;
pub mod documents;
mod error;
pub mod evaluations;
pub mod export;
pub mod grid;
pub mod import;
pub mod integration;
pub mod joint_meetings;
pub mod law;
pub mod live;
pub mod mediation;
pub mod open311;
pub mod org;
pub mod petitions;
pub mod place_risk;
pub mod police;
pub mod police_incidents;
pub mod queue;
pub mod referrals;
pub mod reports;
pub mod risk_lists;
pub mod sessions;
pub mod stats;
pub mod supervision;
pub mod system;
pub mod task_forces;
pub mod triage;
pub mod video;
pub mod watch;
pub mod webhooks;
pub mod work_orders;

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
pub use domain::authz::Viewer;
pub use error::{AppError, Result};
use store::Store;
use store::audit::RootLog;
use store::blobs::Blobs;

use crate::documents::Documents;
use crate::live::LiveFeed;

/// Where the current time comes from: the system clock in production, a settable one in tests.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The application: the store, this node's search index, the files, the documents, the clock.
#[derive(Clone)]
pub struct App {
    store: Store,
    clock: Clock,
    /// This server process, as it holds job leases.
    node_id: Arc<str>,
    search: Arc<search::SearchIndex>,
    /// Evidence, signatures and agreement copies, by content, in the data directory.
    blobs: Arc<Blobs>,
    /// Uploads held between their preview and their confirmation (the historical cases'
    /// workbooks), in the data directory.
    staged: Arc<Blobs>,
    /// Where this node publishes the daily checkpoint roots, in the data directory.
    root_log: Arc<RootLog>,
    documents: Arc<Documents>,
    /// This node's live feed (registrations, notices), for the command screen.
    live: LiveFeed,
    /// This node's index of the statutes in force (legal help).
    law: Arc<search::law::LawIndex>,
    /// 培训部署: a training deployment — every page says so and nothing leaves it (no SMS
    /// handed to the gateway, no webhook posted).
    training: bool,
}

impl App {
    pub fn new(store: Store, clock: Clock, node_id: &str, search: Arc<search::SearchIndex>, data_dir: &Path) -> Self {
        App {
            store,
            clock,
            node_id: node_id.into(),
            search,
            blobs: Arc::new(Blobs::new(data_dir)),
            staged: Arc::new(Blobs::staging(data_dir)),
            root_log: Arc::new(RootLog::in_dir(data_dir)),
            documents: Arc::new(Documents::default()),
            live: LiveFeed::default(),
            law: Arc::default(),
            training: false,
        }
    }

    /// Makes this a training deployment (`--training`): see [`App::is_training`].
    pub fn with_training(mut self) -> Self {
        self.training = true;
        self
    }

    /// A training deployment (培训): pages carry a banner, answers the header
    /// `X-Fengqiao-Training`, and messages stay inside — the SMS outbox keeps every message for
    /// the administrator to read, webhook deliveries stay queued in their log.
    pub fn is_training(&self) -> bool {
        self.training
    }

    /// Fonts for the agreements' PDFs are looked for under `font_dir`.
    pub fn with_font_dir(mut self, font_dir: std::path::PathBuf) -> Self {
        self.documents = Arc::new(Documents::new(font_dir));
        self
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    pub fn node_id(&self) -> &str {
        &self.node_id
    }

    /// Whether the database answers; for `/healthz`.
    pub async fn healthy(&self) -> bool {
        self.store.ping().await
    }
}
