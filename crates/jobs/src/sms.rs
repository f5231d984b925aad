//! The SMS gateway: how the outbox's messages leave. Built in, they stay in the outbox, where
//! an administrator reads them (`GET /api/v1/outbox`, the admin page); with `--sms-command`,
//! each is handed to that program (the phone number as its argument, the text on stdin), so
//! a deployment plugs in its operator's gateway without a change here.

use std::process::Stdio;

use app::App;
use tokio::io::AsyncWriteExt;

/// Messages handed over per pass.
const BATCH: i64 = 100;

/// Sends what is pending; returns how many messages were handled. A training deployment
/// hands nothing to the gateway: every message is kept in the outbox.
pub async fn deliver(app: &App, command: Option<&str>) -> anyhow::Result<usize> {
    let command = command.filter(|_| !app.is_training());
    let pending = app.outbox_pending(BATCH).await?;
    for (id, phone, body) in &pending {
        if !app.outbox_claim(*id).await? {
            continue;
        }
        let status = match command {
            None => "kept",
            Some(command) => match send(command, phone, body).await {
                Ok(()) => "sent",
                Err(e) => {
                    tracing::warn!(id = %id, error = %e, "SMS gateway refused a message");
                    "failed"
                }
            },
        };
        app.outbox_mark(*id, status).await?;
    }
    Ok(pending.len())
}

async fn send(command: &str, phone: &str, body: &str) -> anyhow::Result<()> {
    let mut child =
        tokio::process::Command::new(command).arg(phone).stdin(Stdio::piped()).stdout(Stdio::null()).spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(body.as_bytes()).await?;
    }
    let status = child.wait().await?;
    anyhow::ensure!(status.success(), "{command} exited with {status}");
    Ok(())
}
