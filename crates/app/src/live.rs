//! 实时动态: the live feed of the command screen. A use case that commits a registration or
//! issues a notice publishes it on this node's broadcast channel; `GET /api/v1/live` subscribes
//! and passes on what the viewer's scope covers. The channel is per node: with several nodes,
//! a subscriber hears what was committed through its own node only (README, "Live feed").

use std::sync::Arc;

use domain::authz::Viewer;
use domain::org::RegionCode;
pub use store::live::{LiveCase, LiveNotice};
use tokio::sync::broadcast;

use crate::App;

/// How many events a slow subscriber may fall behind before it misses some.
const CAPACITY: usize = 256;

/// Something that just happened, for the live feed.
#[derive(Debug, Clone)]
pub enum LiveEvent {
    /// A case was registered.
    Case(LiveCase),
    /// The supervision ladder (or someone by hand) issued a notice.
    Notice(LiveNotice),
}

impl LiveEvent {
    /// Whether the viewer's scope covers it: the case's region in the viewer's territory, or
    /// the case or notice belongs to the viewer's unit — the scope of `store` (ARCHITECTURE.md).
    pub fn visible_to(&self, viewer: &Viewer) -> bool {
        let in_territory = |code: &str| RegionCode::parse(code).is_ok_and(|code| viewer.scope.region.contains(&code));
        match self {
            LiveEvent::Case(case) => in_territory(&case.region_code) || case.unit_ids.contains(&viewer.unit_id),
            LiveEvent::Notice(notice) => in_territory(&notice.region_code) || notice.unit_id == viewer.unit_id,
        }
    }
}

/// This node's channel of live events.
#[derive(Clone)]
pub struct LiveFeed(broadcast::Sender<Arc<LiveEvent>>);

impl Default for LiveFeed {
    fn default() -> Self {
        LiveFeed(broadcast::channel(CAPACITY).0)
    }
}

/// A subscription to the live feed, narrowed to what its viewer may see.
pub struct LiveSubscription {
    viewer: Viewer,
    receiver: broadcast::Receiver<Arc<LiveEvent>>,
}

impl LiveSubscription {
    /// The next event the viewer may see; `None` once the node shuts the channel. A subscriber
    /// that fell behind skips what it missed (the screen's figures are read again anyway).
    pub async fn next(&mut self) -> Option<Arc<LiveEvent>> {
        loop {
            match self.receiver.recv().await {
                Ok(event) if event.visible_to(&self.viewer) => return Some(event),
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "live feed subscriber fell behind");
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}

impl App {
    /// Subscribes the viewer to this node's live feed.
    pub fn live_subscribe(&self, viewer: &Viewer) -> LiveSubscription {
        LiveSubscription { viewer: viewer.clone(), receiver: self.live.0.subscribe() }
    }

    /// Publishes a registered case (after its commit). The registration has succeeded whatever
    /// happens here: a failure to read it back is logged, never answered.
    pub(crate) async fn live_case_registered(&self, case_id: i64) {
        match self.store.live_case(case_id).await {
            Ok(Some(case)) => self.live_publish(LiveEvent::Case(case)),
            Ok(None) => {}
            Err(error) => tracing::warn!(case_id, %error, "live feed: registered case not read back"),
        }
    }

    /// Publishes notices just issued (after their commit).
    pub(crate) async fn live_notices_issued(&self, ids: &[i64]) {
        match self.store.live_notices(ids).await {
            Ok(notices) => notices.into_iter().for_each(|notice| self.live_publish(LiveEvent::Notice(notice))),
            Err(error) => tracing::warn!(?ids, %error, "live feed: issued notices not read back"),
        }
    }

    fn live_publish(&self, event: LiveEvent) {
        // No subscriber is not an error: nobody is watching.
        let _ = self.live.0.send(Arc::new(event));
    }
}
