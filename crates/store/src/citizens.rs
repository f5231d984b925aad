//! 群众端: citizens who sign in by phone and a one-time code (the codes, their limits, the
//! citizens' own tokens) and what a citizen sees of the cases where they are a party.
//!
//! A citizen is known by the blind index of their phone — the HMAC that `parties.phone_index`
//! holds too — so the cases they are a party to are found without plaintext. Their tokens live
//! apart from staff tokens (`citizen_tokens`): a citizen's token names no staff user and a
//! staff token no citizen. A citizen acts on cases through the portal's own account (`@portal`,
//! role `citizen`, at the deployment's top centre), with `citizen:ID` as the actor in the
//! history; what they may see is narrowed to their own cases before anything is read.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use domain::case::{Channel, NewCase, PartyRole};
use domain::clocks::ClockPolicy;
use domain::contact::Phone;
use domain::i18n::T;
use domain::identity::IdNumber;
use domain::ids::{CaseId, CitizenId};
use domain::msg;
use domain::org::{Role, Scope};
use domain::validation::{FieldError, Message};
use domain::workflow::{Command, Satisfaction};
use sha2::{Digest, Sha256};

use crate::cases::{CaseView, Deadlines, EventView, append_event_locked};
use crate::mediation::{Recipient, Sms, new_code, receives_sms};
use crate::sql::args;
use crate::{Result, Store, StoreError, Viewer, from_ms, to_ms};

/// How often a code may be asked for and tried, and how long it lives.
pub mod limits {
    /// A code works this long after it is sent (and once).
    pub const CODE_LIFETIME_SECS: i64 = 5 * 60;
    /// The window every count below is kept for.
    pub const WINDOW_SECS: i64 = 60 * 60;
    /// Codes sent to one phone.
    pub const CODES_PER_PHONE: i64 = 5;
    /// Codes asked for from one client address, over all phones.
    pub const CODES_PER_ADDRESS: i64 = 20;
    /// Sign-ins tried for one phone (a wrong code counts; a right one gives the count back).
    pub const LOGINS_PER_PHONE: i64 = 5;
    /// Sign-ins tried from one client address, over all phones.
    pub const LOGINS_PER_ADDRESS: i64 = 30;
}

/// A signed-in citizen.
#[derive(Debug, Clone)]
pub struct Citizen {
    pub id: CitizenId,
    pub(crate) phone_index: String,
    /// 实名: the ID number's blind index and the name, once the citizen has given them.
    pub(crate) real_name: Option<(String, String)>,
}

impl Citizen {
    /// The SQL condition that party row `p` is this citizen — by phone, or (once real-named)
    /// by ID number and name — binding `$first` and the two after it to [`Citizen::party_args`].
    pub(crate) fn party_is_me(first: usize) -> String {
        format!("(p.phone_index = ${first} OR (p.id_number_index = ${} AND p.name = ${}))", first + 1, first + 2)
    }

    pub(crate) fn party_args(&self) -> [crate::sql::Arg; 3] {
        let (id_index, name) = self.real_name.clone().unzip();
        [self.phone_index.as_str().into(), id_index.into(), name.into()]
    }

    /// Whether the citizen has given their name and ID number.
    pub fn is_real_named(&self) -> bool {
        self.real_name.is_some()
    }
}

/// What a citizen has told of themselves: the phone they sign in with and, once given, their
/// name and ID number (masked).
#[derive(Debug, Clone)]
pub struct CitizenProfile {
    pub phone_masked: String,
    pub name: Option<String>,
    pub id_number_masked: Option<String>,
    pub verified_at: Option<DateTime<Utc>>,
}

/// A case as its party sees it: the case (personal data masked), its 解纷码, the unit handling
/// it and how to reach it, and its history in plain words.
#[derive(Debug, Clone)]
pub struct CitizenCase {
    pub case: CaseView,
    pub tracking_code: String,
    pub handler: CaseHandler,
    pub timeline: Vec<TimelineEntry>,
    /// 证据: every file brought to the case, with the parties' comments (质证).
    pub evidence: Vec<CitizenEvidence>,
    /// The mediator's name once one is chosen (by the centre or by a party: 点单).
    pub mediator: Option<String>,
    /// 调解安排: the case's mediation sessions and what this party has done at each.
    pub sessions: Vec<CitizenSession>,
    /// 调解协议: the agreements of the case, as their party reads and signs them.
    pub agreements: Vec<CitizenAgreement>,
    /// 拒绝调解 (人民调解法 art. 17): when this party refused mediation, if they did.
    pub refused_at: Option<DateTime<Utc>>,
    /// Whether they may refuse now: the case is open and no party has refused.
    pub may_refuse: bool,
}

/// An agreement as its party sees it: what it says, where it stands, and whether they may
/// sign it now in the portal (sent for signing, their signature not yet given, in time).
#[derive(Debug, Clone)]
pub struct CitizenAgreement {
    pub id: i64,
    /// draft | signing | effective | …
    pub status: String,
    pub matters: String,
    pub terms: Vec<String>,
    pub effective_at: Option<DateTime<Utc>>,
    pub signed_at: Option<DateTime<Utc>>,
    pub may_sign: bool,
    /// 送达: when this party's copy was served, and when they received it (the receipt).
    pub served_at: Option<DateTime<Utc>>,
    pub received_at: Option<DateTime<Utc>>,
    /// 司法确认: the party's consent to the joint application, given in the portal.
    pub confirmation_consented_at: Option<DateTime<Utc>>,
    /// Whether they may consent now: in effect, not yet applied for, within the 30 days.
    pub may_consent_confirmation: bool,
    /// applied | confirmed | rejected, once the application is made.
    pub confirmation: Option<String>,
}

/// A mediation session as a party sees it: when, where, with whom, and their own steps — the
/// rights notice acknowledged, consent to the mediator, the minutes confirmed.
#[derive(Debug, Clone)]
pub struct CitizenSession {
    pub id: i64,
    /// in_person | video
    pub mode: String,
    pub scheduled_at: DateTime<Utc>,
    pub place: Option<String>,
    pub mediator: String,
    /// The mediator's disclosure (关系披露) the party consents after.
    pub disclosure: Option<String>,
    pub minutes: Option<String>,
    /// scheduled | held | cancelled
    pub status: String,
    pub rights_acknowledged: bool,
    pub consented: bool,
    pub minutes_confirmed: bool,
}

/// An evidence file as a party sees it: whether they brought it, and what was said of it.
#[derive(Debug, Clone)]
pub struct CitizenEvidence {
    pub id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_at: DateTime<Utc>,
    /// A recording's file deleted at the end of its retention period: when.
    pub purged_at: Option<DateTime<Utc>>,
    /// Brought by this citizen (else by the other side or by staff).
    pub mine: bool,
    pub comments: Vec<EvidenceComment>,
}

/// 质证意见: a party's comment on an evidence file, kept in the case's history.
#[derive(Debug, Clone)]
pub struct EvidenceComment {
    pub at: DateTime<Utc>,
    pub text: String,
    /// Written by this citizen.
    pub mine: bool,
}

/// Who handles a case now: the unit it was dispatched to, or until then the centre
/// responsible for it.
#[derive(Debug, Clone)]
pub struct CaseHandler {
    pub unit_name: String,
    pub phone: Option<String>,
}

/// One step of a case told to its party.
#[derive(Debug, Clone)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub text: Message,
}

/// One of a citizen's cases in their list.
#[derive(Debug, Clone)]
pub struct CitizenCaseRow {
    pub id: i64,
    pub number: String,
    pub status: String,
    pub category: String,
    pub outcome: Option<String>,
    pub title: Option<String>,
    pub tracking_code: String,
    pub deadlines: Deadlines,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The refusal of mediation (art. 17) that holds for a case: the last `mediation_refused`
/// with no reopening after it.
pub fn refusal_in_force(events: &[EventView]) -> Option<&EventView> {
    let reopened = events.iter().rposition(|e| e.action == "reopen");
    let refused = events.iter().rposition(|e| e.action == "mediation_refused")?;
    (reopened.is_none_or(|r| r < refused)).then(|| &events[refused])
}

/// The most cases a citizen's list shows (the newest).
const LIST_LIMIT: i64 = 200;

fn code_hash(phone_index: &str, code: &str) -> String {
    domain::history::hex(&Sha256::digest(format!("{phone_index}:{code}").as_bytes()))
}

/// The history's steps a party is told of, each in plain words. Internal steps (notes, views
/// of personal data, notices between units) are not.
fn timeline_message(action: &str) -> Option<Message> {
    let key = match action {
        "registered" => "timeline.registered",
        "contact" => "timeline.contact",
        "accept" => "timeline.accept",
        "reject" => "timeline.reject",
        "dispatch" => "timeline.dispatch",
        "sign" => "timeline.sign",
        "return" => "timeline.return",
        "escalate" => "timeline.escalate",
        "transfer" => "timeline.transfer",
        "extend" => "timeline.extend",
        "conclude" => "timeline.conclude",
        "follow_up" => "timeline.follow_up",
        "reopen" => "timeline.reopen",
        "archive" => "timeline.archive",
        "session_scheduled" => "timeline.session_scheduled",
        "agreement_effective" => "timeline.agreement_effective",
        "agreement_served" => "timeline.agreement_served",
        "mediation_refused" => "timeline.mediation_refused",
        "confirmation_applied" => "timeline.confirmation_applied",
        "confirmation_ruled" => "timeline.confirmation_ruled",
        _ => return None,
    };
    Some(Message::new(key))
}

impl Store {
    /// Sends a one-time code to `phone` by SMS (through the outbox), within the limits per
    /// phone and per client address. Whether anyone with that phone is known changes nothing.
    pub async fn citizen_code_send(&self, phone: &Phone, client: &str, now: DateTime<Utc>) -> Result<()> {
        if !receives_sms(&phone.masked()) {
            return Err(StoreError::invalid(FieldError::new("phone", "not_mobile", msg!("portal.not_mobile"))));
        }
        let now_ms = to_ms(now);
        let index = self.crypto.blind_index(phone.as_str());
        self.limit_take(&format!("citizen-code:phone:{index}"), limits::CODES_PER_PHONE, limits::WINDOW_SECS, now_ms)
            .await?;
        self.limit_take(
            &format!("citizen-code:address:{client}"),
            limits::CODES_PER_ADDRESS,
            limits::WINDOW_SECS,
            now_ms,
        )
        .await?;
        let code = new_code();
        let minutes = limits::CODE_LIFETIME_SECS / 60;
        let text = T::default().msg(&msg!("sms.citizen_code", code = code.as_str(), minutes = minutes));
        let mut tx = self.begin().await?;
        tx.execute(
            "INSERT INTO citizen_codes (phone_index, code_hash, expires_at, used_at) VALUES ($1, $2, $3, NULL)
             ON CONFLICT (phone_index) DO UPDATE SET code_hash = excluded.code_hash, expires_at = excluded.expires_at, used_at = NULL",
            args![index.as_str(), code_hash(&index, &code), now_ms + limits::CODE_LIFETIME_SECS * 1000],
        )
        .await?;
        let (cipher, masked) = (self.crypto.encrypt(phone.as_str()), phone.masked());
        self.outbox_queue(
            &mut tx,
            Recipient { cipher: &cipher, masked: &masked },
            Sms::sealed(text, &[&code]),
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Signs a citizen in with the code sent to their phone: every try counted first (per
    /// phone and per address); a wrong, used or expired code is refused and changes nothing
    /// else. The first sign-in of a phone makes its citizen. Returns a citizen token.
    pub async fn citizen_login(
        &self,
        phone: &Phone,
        code: &str,
        client: &str,
        now: DateTime<Utc>,
    ) -> Result<(String, CitizenId)> {
        let now_ms = to_ms(now);
        let index = self.crypto.blind_index(phone.as_str());
        let phone_key = format!("citizen-login:phone:{index}");
        self.limit_take(&phone_key, limits::LOGINS_PER_PHONE, limits::WINDOW_SECS, now_ms).await?;
        self.limit_take(
            &format!("citizen-login:address:{client}"),
            limits::LOGINS_PER_ADDRESS,
            limits::WINDOW_SECS,
            now_ms,
        )
        .await?;
        let mut tx = self.begin().await?;
        let used = tx
            .execute(
                "UPDATE citizen_codes SET used_at = $1 WHERE phone_index = $2 AND code_hash = $3 AND used_at IS NULL AND expires_at > $1",
                args![now_ms, index.as_str(), code_hash(&index, code.trim())],
            )
            .await?;
        if used != 1 {
            tracing::warn!(%client, "citizen sign-in refused: wrong or expired code");
            return Err(StoreError::BadCode);
        }
        let (id,): (i64,) = tx
            .fetch_one(
                "INSERT INTO citizens (phone_index, phone_cipher, phone_masked, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (phone_index) DO UPDATE SET phone_masked = excluded.phone_masked RETURNING id",
                args![index.as_str(), self.crypto.encrypt(phone.as_str()), phone.masked(), now_ms],
            )
            .await?;
        let token = URL_SAFE_NO_PAD.encode(crate::crypto::random_bytes::<32>());
        let expires = now_ms + self.options.token_lifetime.as_millis() as i64;
        tx.execute(
            "INSERT INTO citizen_tokens (token_hash, citizen_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            args![crate::auth::token_hash(&token), id, now_ms, expires],
        )
        .await?;
        tx.execute("DELETE FROM login_attempts WHERE key = $1", args![phone_key]).await?;
        tx.commit().await?;
        Ok((token, CitizenId(id)))
    }

    /// The citizen a live citizen token belongs to.
    pub async fn citizen_of_token(&self, token: &str, now: DateTime<Utc>) -> Result<Option<Citizen>> {
        let row: Option<(i64, String, Option<String>, Option<String>)> = self
            .fetch_optional(
                "SELECT c.id, c.phone_index, c.id_number_index, c.name_cipher FROM citizen_tokens t JOIN citizens c ON c.id = t.citizen_id
                 WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2",
                args![crate::auth::token_hash(token), to_ms(now)],
            )
            .await?;
        let Some((id, phone_index, id_index, name_cipher)) = row else { return Ok(None) };
        let real_name = match (id_index, name_cipher) {
            (Some(index), Some(cipher)) => Some((index, self.crypto.decrypt(&cipher)?)),
            _ => None,
        };
        Ok(Some(Citizen { id: CitizenId(id), phone_index, real_name }))
    }

    /// Ends a citizen token.
    pub async fn citizen_logout(&self, token: &str, now: DateTime<Utc>) -> Result<()> {
        self.execute(
            "UPDATE citizen_tokens SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL",
            args![to_ms(now), crate::auth::token_hash(token)],
        )
        .await?;
        Ok(())
    }

    /// 网上登记: a citizen brings a dispute (channel `online`); their phone must be an
    /// applicant's. The case is triaged, routed and registered as every other.
    pub async fn citizen_case_register(
        &self,
        citizen: &Citizen,
        new: NewCase,
        now: DateTime<Utc>,
    ) -> Result<CitizenCase> {
        let theirs = new.parties.iter().any(|p| {
            let by_phone =
                p.phone.as_ref().is_some_and(|phone| self.crypto.blind_index(phone.as_str()) == citizen.phone_index);
            let by_id = citizen.real_name.as_ref().is_some_and(|(index, name)| {
                *name == p.name && p.id_number.as_ref().is_some_and(|id| self.crypto.blind_index(id.as_str()) == *index)
            });
            p.role == PartyRole::Applicant && (by_phone || by_id)
        });
        if !theirs {
            return Err(StoreError::invalid(FieldError::new(
                "parties",
                "not_an_applicant",
                msg!("portal.not_an_applicant"),
            )));
        }
        let viewer = self.portal_viewer(citizen, now).await?;
        let registered = self.case_register(&viewer, new, crate::triage::WhenUnsure::RecordOther, now).await?;
        self.citizen_case(citizen, CaseId(registered.case.id), now).await
    }

    /// What registering `new` would give, before it is sent: the triage (emergency advice,
    /// type, route) and the deadlines' policy of its type, for the portal's live preview.
    pub async fn citizen_triage_preview(
        &self,
        citizen: &Citizen,
        new: &NewCase,
        now: DateTime<Utc>,
    ) -> Result<(crate::triage::Triage, ClockPolicy)> {
        let viewer = self.portal_viewer(citizen, now).await?;
        let triage = self.triage_preview(new, &viewer.scope.region, now).await?;
        let policy = self.clock_context().await?.policy(triage.category, Channel::Online, triage.risk);
        Ok((triage, policy))
    }

    /// The cases where the citizen is a party, the newest first.
    pub async fn citizen_cases(&self, citizen: &Citizen) -> Result<Vec<CitizenCaseRow>> {
        type Row = (
            i64,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            i64,
            i64,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<i64>,
        );
        let sql = format!(
            "SELECT c.id, c.number, c.status, c.category, c.outcome, c.title, c.created_at, c.updated_at,
                        c.respond_by, c.dispatch_by, c.conclude_by, c.follow_up_by
                 FROM cases c WHERE EXISTS (SELECT 1 FROM parties p WHERE p.case_id = c.id AND {})
                 ORDER BY c.id DESC LIMIT $4",
            Citizen::party_is_me(1)
        );
        let rows: Vec<Row> =
            self.fetch_all(&sql, citizen.party_args().into_iter().chain(args![LIST_LIMIT]).collect()).await?;
        Ok(rows
            .into_iter()
            .map(
                |(
                    id,
                    number,
                    status,
                    category,
                    outcome,
                    title,
                    created,
                    updated,
                    respond,
                    dispatch,
                    conclude,
                    follow,
                )| {
                    CitizenCaseRow {
                        id,
                        number,
                        status,
                        category,
                        outcome,
                        title,
                        tracking_code: self.tracking_code(CaseId(id)),
                        deadlines: Deadlines {
                            respond_by: respond.map(from_ms),
                            dispatch_by: dispatch.map(from_ms),
                            conclude_by: conclude.map(from_ms),
                            follow_up_by: follow.map(from_ms),
                        },
                        created_at: from_ms(created),
                        updated_at: from_ms(updated),
                    }
                },
            )
            .collect())
    }

    /// One of the citizen's cases; any other is not found.
    pub async fn citizen_case(&self, citizen: &Citizen, id: CaseId, now: DateTime<Utc>) -> Result<CitizenCase> {
        let viewer = self.viewer_of_party(citizen, id, now).await?;
        let case = self.case_get(&viewer, id, None, now).await?;
        let (unit_name, phone): (String, Option<String>) = self
            .fetch_one(
                "SELECT COALESCE(l.name, o.name), COALESCE(l.phone, o.phone) FROM cases c JOIN units o ON o.id = c.owner_unit_id
                 LEFT JOIN units l ON l.id = c.lead_unit_id WHERE c.id = $1",
                args![id.get()],
            )
            .await?;
        let events = self.case_events(&viewer, id).await?;
        let party_index = self.citizen_party_index(citizen, id).await?;
        let refusal = refusal_in_force(&events);
        let refused_at = refusal.filter(|e| e.data["party_index"].as_u64() == Some(party_index as u64)).map(|e| e.at);
        let open = matches!(case.status.as_str(), "registered" | "accepted" | "dispatched" | "in_progress");
        let may_refuse = open && refusal.is_none();
        let timeline = events
            .iter()
            .filter_map(|event| timeline_message(&event.action).map(|text| TimelineEntry { at: event.at, text }))
            .collect();
        let evidence = self
            .evidence_list(&viewer, id)
            .await?
            .into_iter()
            .map(|file| CitizenEvidence {
                comments: events
                    .iter()
                    .filter(|e| e.action == "evidence_commented" && e.data["evidence_id"].as_i64() == Some(file.id))
                    .map(|e| EvidenceComment {
                        at: e.at,
                        text: e.data["text"].as_str().unwrap_or_default().to_owned(),
                        mine: e.actor == viewer.username,
                    })
                    .collect(),
                mine: file.uploaded_by == viewer.username,
                id: file.id,
                name: file.name,
                content_type: file.content_type,
                size: file.size,
                sha256: file.sha256,
                uploaded_at: file.uploaded_at,
                purged_at: file.purged_at,
            })
            .collect();
        Ok(CitizenCase {
            case,
            tracking_code: self.tracking_code(id),
            handler: CaseHandler { unit_name, phone },
            timeline,
            evidence,
            mediator: self.case_mediator(&viewer, id).await?.map(|m| m.name),
            sessions: self.citizen_sessions(party_index, &viewer, id).await?,
            agreements: self.citizen_agreements(party_index, &viewer, id, &events, now).await?,
            refused_at,
            may_refuse,
        })
    }

    async fn citizen_agreements(
        &self,
        index: usize,
        viewer: &Viewer,
        id: CaseId,
        events: &[EventView],
        now: DateTime<Utc>,
    ) -> Result<Vec<CitizenAgreement>> {
        let mut agreements = Vec::new();
        for a in self.agreements_of_case(viewer, id).await? {
            let signer: Option<(Option<i64>, i64)> = self
                .fetch_optional(
                    "SELECT signed_at, expires_at FROM agreement_signers WHERE agreement_id = $1 AND party_index = $2",
                    args![a.id, index as i64],
                )
                .await?;
            let status = a.status.as_str().to_owned();
            let may_sign = status == "signing"
                && a.paper_required.is_none()
                && signer.is_some_and(|(signed, expires)| signed.is_none() && expires > to_ms(now));
            let delivery = a.deliveries.iter().find(|d| d.party_index == index);
            let consented_at = events
                .iter()
                .find(|e| {
                    e.action == "confirmation_consented"
                        && e.data["agreement_id"].as_i64() == Some(a.id)
                        && e.data["party_index"].as_u64() == Some(index as u64)
                })
                .map(|e| e.at);
            let third_party = a.parties.iter().any(|p| p.index == index && p.role == "third_party");
            let may_consent_confirmation = status == "effective"
                && a.confirmation.is_none()
                && consented_at.is_none()
                && !third_party
                && a.confirm_by.is_none_or(|by| now <= by);
            let confirmation = a.confirmation.as_ref().map(|c| c.decision.clone().unwrap_or_else(|| "applied".into()));
            agreements.push(CitizenAgreement {
                served_at: delivery.map(|d| d.sent_at),
                received_at: delivery.and_then(|d| d.opened_at),
                confirmation_consented_at: consented_at,
                may_consent_confirmation,
                confirmation,
                id: a.id,
                status,
                matters: a.content.matters.clone(),
                terms: a.content.terms.iter().map(|t| t.text.clone()).collect(),
                effective_at: a.effective_at,
                signed_at: signer.and_then(|(signed, _)| signed).map(from_ms),
                may_sign,
            });
        }
        Ok(agreements)
    }

    async fn citizen_sessions(&self, index: usize, viewer: &Viewer, id: CaseId) -> Result<Vec<CitizenSession>> {
        Ok(self
            .sessions(viewer, id)
            .await?
            .into_iter()
            .map(|s| {
                let mine = s.acknowledgements.iter().find(|a| a.party_index == index);
                CitizenSession {
                    rights_acknowledged: mine.is_some_and(|a| a.rights_acknowledged_at.is_some()),
                    consented: mine.is_some_and(|a| a.consented_at.is_some()),
                    minutes_confirmed: mine.is_some_and(|a| a.minutes_confirmed_at.is_some()),
                    id: s.id,
                    mode: s.mode,
                    scheduled_at: s.scheduled_at,
                    place: s.place,
                    mediator: s.mediator,
                    disclosure: s.disclosure,
                    minutes: s.minutes,
                    status: s.status,
                }
            })
            .collect())
    }

    /// The citizen's case that a 解纷码 names; not found when it names none of theirs.
    pub async fn citizen_case_by_tracking_code(&self, citizen: &Citizen, code: &str) -> Result<CaseId> {
        let code = code.trim().to_uppercase();
        self.citizen_cases(citizen)
            .await?
            .into_iter()
            .find(|row| row.tracking_code == code)
            .map(|row| CaseId(row.id))
            .ok_or(StoreError::NotFound { what: "case" })
    }

    /// 评价: the party rates a concluded case — the follow-up of the workflow; "dissatisfied"
    /// reopens it as a follow-up does.
    pub async fn citizen_case_rate(
        &self,
        citizen: &Citizen,
        id: CaseId,
        satisfaction: Satisfaction,
        note: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<CitizenCase> {
        let viewer = self.viewer_of_party(citizen, id, now).await?;
        let version = self.case_get(&viewer, id, None, now).await?.version;
        self.case_act(&viewer, id, Command::FollowUp { satisfaction, note }, version, now).await?;
        self.citizen_case(citizen, id, now).await
    }

    /// What the citizen has told of themselves: their phone (masked) and, once given, their
    /// name and ID number (masked).
    pub async fn citizen_profile(&self, citizen: &Citizen) -> Result<CitizenProfile> {
        let (phone_masked, name, id_number_masked, verified_at): (String, Option<String>, Option<String>, Option<i64>) =
            self.fetch_one(
                "SELECT phone_masked, name_cipher, id_number_masked, verified_at FROM citizens WHERE id = $1",
                args![citizen.id.get()],
            )
            .await?;
        Ok(CitizenProfile {
            phone_masked,
            name: name.map(|cipher| self.crypto.decrypt(&cipher)).transpose()?,
            id_number_masked,
            verified_at: verified_at.map(from_ms),
        })
    }

    /// 实名认证: the citizen gives their name and ID number (already checked against GB 11643),
    /// kept encrypted with the number's blind index and mask. From then on every case where a
    /// party has that number and that name is theirs too. Once per citizen; one ID number
    /// belongs to one citizen.
    pub async fn citizen_real_name(
        &self,
        citizen: &Citizen,
        name: &str,
        id_number: &IdNumber,
        now: DateTime<Utc>,
    ) -> Result<CitizenProfile> {
        let taken = || StoreError::conflict("id_number_taken", msg!("portal.id_number_taken"));
        let written = self
            .execute(
                "UPDATE citizens SET name_cipher = $1, id_number_cipher = $2, id_number_index = $3, id_number_masked = $4, verified_at = $5
                 WHERE id = $6 AND id_number_index IS NULL",
                args![
                    self.crypto.encrypt(name),
                    self.crypto.encrypt(id_number.as_str()),
                    self.crypto.blind_index(id_number.as_str()),
                    id_number.masked(),
                    to_ms(now),
                    citizen.id.get()
                ],
            )
            .await;
        match written {
            Ok(1) => {}
            Ok(_) => return Err(StoreError::conflict("already_real_named", msg!("portal.already_real_named"))),
            Err(StoreError::Database(sqlx::Error::Database(e))) if e.is_unique_violation() => return Err(taken()),
            Err(e) => return Err(e),
        }
        let real_named = Citizen {
            real_name: Some((self.crypto.blind_index(id_number.as_str()), name.to_owned())),
            ..citizen.clone()
        };
        self.citizen_profile(&real_named).await
    }

    /// 拒绝调解 from the portal (人民调解法 art. 17: if one party expressly refuses, there is
    /// no mediation): recorded in the history with the reason, every scheduled session is
    /// cancelled and no other can be scheduled; the handling unit then concludes the case
    /// `refused` (its case page says so), since only it may conclude.
    pub async fn citizen_mediation_refuse(
        &self,
        citizen: &Citizen,
        id: CaseId,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<CitizenCase> {
        let viewer = self.viewer_of_party(citizen, id, now).await?;
        let party_index = self.citizen_party_index(citizen, id).await?;
        let case = self.citizen_case(citizen, id, now).await?;
        if !case.may_refuse {
            return Err(StoreError::conflict("not_open_to_refusal", msg!("portal.refusal_closed")));
        }
        let now_ms = to_ms(now);
        let mut tx = self.begin().await?;
        // The case's row is locked first, so that two refusals at once record one.
        tx.execute("UPDATE cases SET updated_at = updated_at WHERE id = $1", args![id.get()]).await?;
        if Store::mediation_refused_in(&mut tx, id.get()).await? {
            return Err(StoreError::conflict("not_open_to_refusal", msg!("portal.refusal_closed")));
        }
        tx.execute(
            "UPDATE mediation_sessions SET status = 'cancelled' WHERE case_id = $1 AND status = 'scheduled'",
            args![id.get()],
        )
        .await?;
        let data = serde_json::json!({ "party_index": party_index, "reason": reason, "channel": "portal" });
        append_event_locked(&mut tx, id.get(), now_ms, &viewer.username, "mediation_refused", &data).await?;
        tx.commit().await?;
        self.citizen_case(citizen, id, now).await
    }

    /// The 解纷码 of a case: derived from its id under the blind-index key, so it is stable,
    /// needs no table, and cannot be guessed from the case number.
    pub fn tracking_code(&self, id: CaseId) -> String {
        let digest = self.crypto.blind_index(&format!("tracking:{}", id.get()));
        format!("JF{}", digest[..10].to_uppercase())
    }

    /// The viewer the citizen acts through on case `id`; not found unless they are a party to
    /// it (by the phone's blind index).
    pub async fn viewer_of_party(&self, citizen: &Citizen, id: CaseId, now: DateTime<Utc>) -> Result<Viewer> {
        let sql = format!("SELECT p.case_id FROM parties p WHERE p.case_id = $1 AND {}", Citizen::party_is_me(2));
        let party: Option<(i64,)> =
            self.fetch_optional(&sql, args![id.get()].into_iter().chain(citizen.party_args()).collect()).await?;
        party.ok_or(StoreError::NotFound { what: "case" })?;
        self.portal_viewer(citizen, now).await
    }

    /// The viewer a citizen acts through: the portal's account at the deployment's top centre
    /// (made the first time it is needed), with the citizen as the actor.
    async fn portal_viewer(&self, citizen: &Citizen, now: DateTime<Utc>) -> Result<Viewer> {
        let context = self.triage_context().await?;
        let centre = context
            .centres()
            .iter()
            .min_by_key(|centre| centre.region.level())
            .cloned()
            .ok_or_else(|| StoreError::Setup("no centre: the portal has no unit to register cases with".into()))?;
        const PORTAL_USER: &str = "SELECT id FROM users WHERE username = '@portal'";
        let user_id = match self.fetch_optional::<(i64,)>(PORTAL_USER, args![]).await? {
            Some((id,)) => id,
            None => {
                // The first time only (a read takes no write lock after that).
                self.execute(
                    "INSERT INTO users (username, display_name, role, unit_id, password_hash, active, created_at)
                     VALUES ('@portal', '群众（网上）', 'citizen', $1, '!', TRUE, $2) ON CONFLICT (username) DO NOTHING",
                    args![centre.unit_id, to_ms(now)],
                )
                .await?;
                self.fetch_one::<(i64,)>(PORTAL_USER, args![]).await?.0
            }
        };
        Ok(Viewer {
            user_id,
            username: format!("citizen:{}", citizen.id),
            role: Role::Citizen,
            unit_id: centre.unit_id,
            scope: Scope { region: centre.region, unit_id: centre.unit_id },
        })
    }
}
