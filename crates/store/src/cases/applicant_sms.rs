//! The SMS a party receives about their own case: at registration its number and what happens
//! next, when it goes to the unit that handles it who that is and by when, when a mediation
//! session is scheduled its time and place, at conclusion the outcome, when a petition is extended
//! the new limit and why. Queued in the outbox in the case's transaction, so
//! a message exists exactly when the step does; only to mobile numbers (a landline receives no
//! SMS); the texts come from the catalogue, in Simplified Chinese like every SMS.

use chrono::{DateTime, Utc};
use domain::i18n::T;
use domain::msg;
use domain::validation::Message;

use crate::mediation::{Recipient, Sms, receives_sms};
use crate::petitions::Extension;
use crate::sql::{Tx, args};
use crate::supervision::DeadlineColumns;
use crate::{Result, Store, from_ms};

/// `2026-11-23 17:05`, China time: how an SMS writes a time.
fn sms_time(ms: Option<i64>) -> String {
    ms.map(|ms| from_ms(ms).with_timezone(&domain::china_time()).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

impl Store {
    /// 受理告知: the case's number, the centre that will contact the applicant and by when, and
    /// by when the case goes to the unit that will handle it.
    pub(crate) async fn sms_registered(
        &self,
        tx: &mut Tx,
        case_id: i64,
        number: &str,
        centre: &str,
        deadlines: &DeadlineColumns,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let (contact_by, dispatch_by) = (sms_time(deadlines.respond_by), sms_time(deadlines.dispatch_by));
        let text = |name: &str| {
            msg!(
                "sms.registered",
                name = name,
                number = number,
                centre = centre,
                contact_by = contact_by.as_str(),
                dispatch_by = dispatch_by.as_str()
            )
        };
        self.sms_to_applicants(tx, case_id, text, now).await
    }

    /// 办结告知: the outcome of the case.
    pub(crate) async fn sms_concluded(
        &self,
        tx: &mut Tx,
        case_id: i64,
        number: &str,
        outcome: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let outcome = T::default().code("outcome", outcome);
        let text = |name: &str| msg!("sms.concluded", name = name, number = number, outcome = outcome.as_str());
        self.sms_to_applicants(tx, case_id, text, now).await
    }

    /// 交办告知: the unit that now handles the case, how to reach it, and by when it concludes.
    pub(crate) async fn sms_dispatched(
        &self,
        tx: &mut Tx,
        case_id: i64,
        number: &str,
        unit_id: i64,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let (unit, phone, conclude_by): (String, Option<String>, Option<i64>) = tx
            .fetch_one(
                "SELECT u.name, u.phone, c.conclude_by FROM units u, cases c WHERE u.id = $1 AND c.id = $2",
                args![unit_id, case_id],
            )
            .await?;
        let (phone, conclude_by) = (phone.unwrap_or_default(), sms_time(conclude_by));
        let text = |name: &str| {
            msg!(
                "sms.dispatched",
                name = name,
                number = number,
                unit = unit.as_str(),
                phone = phone.as_str(),
                conclude_by = conclude_by.as_str()
            )
        };
        self.sms_to_parties(tx, case_id, Some("applicant"), text, now).await
    }

    /// 调解通知: a mediation session's time and place (or that it is by video), to every party.
    pub(crate) async fn sms_session_scheduled(
        &self,
        tx: &mut Tx,
        case_id: i64,
        at_ms: i64,
        place: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let (number,): (String,) = tx.fetch_one("SELECT number FROM cases WHERE id = $1", args![case_id]).await?;
        let at = sms_time(Some(at_ms));
        let text =
            |name: &str| msg!("sms.session", name = name, number = number.as_str(), at = at.as_str(), place = place);
        self.sms_to_parties(tx, case_id, None, text, now).await
    }

    /// 延期告知 (信访工作条例 art. 34): the petition's new limit and the reason for it.
    pub(crate) async fn sms_petition_extended(
        &self,
        tx: &mut Tx,
        case_id: i64,
        reference: &str,
        extension: &Extension,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let (days, reason) = (extension.days, extension.reason.as_str());
        let by = sms_time(Some(crate::to_ms(extension.handle_by)));
        let by = by.get(..10).unwrap_or_default().to_owned();
        let text = |name: &str| {
            msg!(
                "sms.petition_extended",
                name = name,
                reference = reference,
                days = days,
                by = by.as_str(),
                reason = reason
            )
        };
        self.sms_to_applicants(tx, case_id, text, now).await
    }

    async fn sms_to_applicants(
        &self,
        tx: &mut Tx,
        case_id: i64,
        text: impl Fn(&str) -> Message,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.sms_to_parties(tx, case_id, Some("applicant"), text, now).await
    }

    /// To each party of `role` (every party without one) with a mobile phone.
    async fn sms_to_parties(
        &self,
        tx: &mut Tx,
        case_id: i64,
        role: Option<&str>,
        text: impl Fn(&str) -> Message,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let parties: Vec<(String, Option<String>, Option<String>)> = tx
            .fetch_all(
                "SELECT name, phone_cipher, phone_masked FROM parties WHERE case_id = $1 AND ($2 IS NULL OR role = $2) ORDER BY id",
                args![case_id, role],
            )
            .await?;
        for (name, cipher, masked) in parties {
            let (Some(cipher), Some(masked)) = (cipher, masked) else { continue };
            if receives_sms(&masked) {
                let sms = Sms::plain(T::default().msg(&text(&name)));
                self.outbox_queue(tx, Recipient { cipher: &cipher, masked: &masked }, sms, None, now).await?;
            }
        }
        Ok(())
    }
}
