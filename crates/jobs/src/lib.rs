//! Fengqiao's scheduled work. Every pass takes no input but the application's clock and is
//! safe to run twice and on several nodes: the sweep holds a lease, each notice and reminder
//! is issued once, each message is claimed by one node.

pub mod sms;
pub mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use app::App;

/// How often the scheduler runs its passes.
pub const PERIOD: Duration = Duration::from_secs(60);

/// The periodic reports' pass waits this long after a start: a server just started (an
/// upgrade, a restart, a test) serves its first people before it typesets a backlog of
/// reports, which takes seconds each.
pub const REPORTS_FIRST_AFTER: Duration = Duration::from_secs(10 * 60);

/// Starts this node's background work: a search catch-up at once (so the first search after
/// a restart is fast), then every [`PERIOD`] one [`run_once`]. The first pass runs at start,
/// which catches up after downtime. Webhook deliveries leave through `webhook_sender`.
pub fn spawn(app: App, sms_command: Option<String>, webhook_sender: Arc<dyn webhooks::WebhookSender>) {
    let warm = app.clone();
    tokio::spawn(async move {
        match warm.figures_catch_up().await {
            Ok(filed) if filed > 0 => tracing::info!(filed, "figures caught up"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "figures catch-up failed"),
        }
        match warm.search_catch_up().await {
            Ok(indexed) if indexed > 0 => tracing::info!(indexed, "search index caught up"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "search index catch-up failed"),
        }
        if let Err(e) = warm.law_catch_up().await {
            tracing::error!(error = %e, "law index build failed");
        }
    });
    tokio::spawn(async move {
        let started = tokio::time::Instant::now();
        let mut tick = tokio::time::interval(PERIOD);
        loop {
            tick.tick().await;
            run_once(&app, sms_command.as_deref()).await;
            if started.elapsed() >= REPORTS_FIRST_AFTER {
                reports(&app).await;
            }
            if let Err(e) = webhooks::deliver(&app, webhook_sender.as_ref()).await {
                tracing::error!(error = %e, "webhook delivery failed");
            }
        }
    });
}

/// 定期报告: each centre's daily, weekly, monthly and quarterly report of its territory once its
/// period is over, and any report claimed but not made yet; from [`REPORTS_FIRST_AFTER`] after
/// a start. Its own pass (not part of
/// [`run_once`]): typesetting a report per centre and kind takes longer than the other passes,
/// and a test of another pass need not wait for it. Safe on several nodes: each report has a
/// unique key (region, kind, period), so a second node finds it issued and does nothing.
pub async fn reports(app: &App) {
    match app.reports_due().await {
        Ok(issued) if issued > 0 => tracing::info!(issued, "periodic reports issued"),
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "issuing the periodic reports failed"),
    }
}

/// One pass of everything scheduled: the supervision ladder, the agreements' reminders, the
/// copies of agreements that could not be fixed when they took effect, the weekly risk lists,
/// the nightly colours of places, the recordings past their retention period, the SMS outbox. A
/// failure is logged and the next pass tries again.
pub async fn run_once(app: &App, sms_command: Option<&str>) {
    match app.supervision_sweep_due().await {
        Ok(report) if report.notices_issued > 0 => {
            tracing::info!(cases = report.cases_checked, notices = report.notices_issued, "supervision sweep")
        }
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "supervision sweep failed"),
    }
    if let Err(e) = app.agreement_reminders_due().await {
        tracing::error!(error = %e, "agreement reminders failed");
    }
    match app.agreements_copies_catch_up().await {
        Ok(fixed) if fixed > 0 => tracing::info!(fixed, "agreement copies fixed"),
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "fixing agreement copies failed"),
    }
    // A checkpoint taken is published (logged with its root) by the store.
    if let Err(e) = app.audit_checkpoint_due().await {
        tracing::error!(error = %e, "audit checkpoint failed");
    }
    // 三色三单: each centre's list of its territory, once a week (the first pass of the week).
    match app.risk_lists_weekly().await {
        Ok(issued) if issued > 0 => tracing::info!(issued, "weekly risk lists issued"),
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "issuing the weekly risk lists failed"),
    }
    // 地点风险: every place re-evaluated once a night.
    match app.place_risk_nightly_due().await {
        Ok(places) if places > 0 => tracing::info!(places, "place risk re-evaluated"),
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "re-evaluating the places' risk failed"),
    }
    // 音视频笔录: files past the retention period the administrator set, deleted.
    match app.recordings_purge_due().await {
        Ok(deleted) if deleted > 0 => tracing::info!(deleted, "recordings purged"),
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "purging recordings failed"),
    }
    if let Err(e) = app.login_attempts_prune().await {
        tracing::error!(error = %e, "pruning login attempts failed");
    }
    if let Err(e) = sms::deliver(app, sms_command).await {
        tracing::error!(error = %e, "SMS delivery failed");
    }
}
