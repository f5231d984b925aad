//! Turning agreements into PDF copies: the fonts are found once, on first use; rendering runs
//! on the blocking pool; the copies fixed when an agreement takes effect are stored by their
//! hash and served as stored, so the hash recorded in the history matches what is delivered.
//! A node fixes one agreement's copies at a time: a download that needs copies being fixed
//! waits for them rather than typesetting them a second time.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use domain::i18n::T;
use domain::ids::AgreementId;
use domain::mediation::AgreementStatus;
use domain::msg;
use store::mediation::AgreementView;

use crate::{App, AppError, Result};

/// The fonts, found on first use (a font search reads every file once).
pub struct Documents {
    font_dir: std::path::PathBuf,
    fonts: OnceLock<Result<docs::Fonts, String>>,
    /// Held while copies are fixed on this node.
    fixing: tokio::sync::Mutex<()>,
    /// Held while a periodic report is made on this node (`reports`).
    pub(crate) reports: tokio::sync::Mutex<()>,
}

impl Default for Documents {
    fn default() -> Self {
        Documents::new(docs::DEFAULT_FONT_DIR.into())
    }
}

fn unavailable(why: String) -> AppError {
    tracing::error!(%why, "PDF rendering unavailable");
    AppError::Unavailable { code: "pdf_unavailable", message: msg!("documents.pdf_unavailable", why = why) }
}

impl Documents {
    /// Fonts will be looked for under `font_dir`.
    pub fn new(font_dir: std::path::PathBuf) -> Self {
        Documents {
            font_dir,
            fonts: OnceLock::new(),
            fixing: tokio::sync::Mutex::new(()),
            reports: tokio::sync::Mutex::new(()),
        }
    }

    pub(crate) fn fonts(&self) -> Result<docs::Fonts> {
        let find = || docs::Fonts::from_dir(&self.font_dir).map_err(|e| e.to_string());
        self.fonts.get_or_init(find).clone().map_err(unavailable)
    }
}

/// What a document of a training deployment says first: it is practice, not a document.
const TRAINING_MARK: &str = "【培训】无法律效力 · ";

impl App {
    /// `text` as a document's title or copy label shows it: marked in a training deployment.
    pub(crate) fn training_marked(&self, text: &str) -> String {
        if self.is_training() { format!("{TRAINING_MARK}{text}") } else { text.to_owned() }
    }
}

/// Which copy: `archive` (the committee's), `party-N`, or a draft.
fn copy_label(view: &AgreementView, copy: &str) -> String {
    if view.status != AgreementStatus::Effective {
        return "草稿（未生效，仅供核对）".to_owned();
    }
    match copy.strip_prefix("party-").and_then(|i| i.parse::<usize>().ok()).and_then(|i| view.parties.get(i)) {
        Some(p) => format!("{} {} 收执", role_zh(&p.role), p.name),
        None => format!("{} 存档", view.committee),
    }
}

/// A party role as the (Chinese) agreement prints it: the catalogue's label, as the UI shows it.
fn role_zh(role: &str) -> String {
    T::default().code("party_role", role)
}

fn date_zh(at: DateTime<Utc>) -> String {
    at.with_timezone(&domain::china_time()).format("%Y年%-m月%-d日").to_string()
}

impl App {
    /// Lays out one copy of the agreement.
    async fn agreement_render(&self, view: &AgreementView, copy: &str) -> Result<Vec<u8>> {
        let fonts = self.documents.fonts()?;
        let (party_signatures, mediator_signature) =
            self.store.agreement_signature_digests(AgreementId(view.id)).await?;
        let image = |digest: Option<&String>| digest.and_then(|d| self.blobs.get(d).ok());
        let mut signatures: Vec<docs::Signature> = view
            .parties
            .iter()
            .map(|p| docs::Signature {
                label: format!("{}：{}", role_zh(&p.role), p.name),
                signed_at: p.signed_at.map(date_zh),
                image: image(party_signatures.get(p.index).and_then(Option::as_ref)),
            })
            .collect();
        signatures.push(docs::Signature {
            label: format!("人民调解员：{}", view.mediator_name),
            signed_at: view.mediator_signed_at.map(date_zh),
            image: image(mediator_signature.as_ref()),
        });
        let agreement = docs::Agreement {
            title: "人民调解协议书".to_owned(),
            number: format!("{}-{}", view.case_number, view.id),
            committee: view.committee.clone(),
            parties: view
                .parties
                .iter()
                .map(|p| docs::Party {
                    role: role_zh(&p.role),
                    name: p.name.clone(),
                    id_number: p.id_number.clone(),
                    address: self.store.agreement_party_address(p),
                    phone: p.phone_masked.clone(),
                })
                .collect(),
            facts: view.content.facts.clone(),
            matters: view.content.matters.clone(),
            responsibilities: view.content.responsibilities.clone(),
            terms: view
                .content
                .terms
                .iter()
                .map(|t| docs::Term {
                    text: t.text.clone(),
                    due: t.due.map(|d| format!("{}前", d.format("%Y年%-m月%-d日"))),
                })
                .collect(),
            performance: view.content.performance.clone(),
            mediator: view.mediator_name.clone(),
            copy_label: self.training_marked(&copy_label(view, copy)),
            signatures,
            seal: view.sealed_at.as_ref().map(|_| view.committee.clone()),
            effective_at: view.effective_at.map(date_zh),
            footer: format!("案件 {} · 协议 {} · 第 {} 稿", view.case_number, view.id, view.revision),
        };
        tokio::task::spawn_blocking(move || docs::agreement_pdf(&fonts, &agreement))
            .await
            .map_err(|e| unavailable(e.to_string()))?
            .map_err(|e| unavailable(e.to_string()))
    }

    /// Fixes the copies of an effective agreement (archive + one per party): rendered once,
    /// stored by hash, their hashes recorded in the case history. Returns whether it fixed them
    /// now (false: not effective, or fixed already — by this node while the caller waited, or by
    /// another node, whose commit the store's conditional update keeps).
    pub(crate) async fn agreement_copies_fix(&self, view: &AgreementView) -> Result<bool> {
        if view.status != AgreementStatus::Effective || !view.documents.is_empty() {
            return Ok(false);
        }
        let _fixing = self.documents.fixing.lock().await;
        if !self.store.agreement_documents(AgreementId(view.id)).await?.is_empty() {
            return Ok(false);
        }
        let mut documents = serde_json::Map::new();
        let copies =
            std::iter::once("archive".to_owned()).chain(view.parties.iter().map(|p| format!("party-{}", p.index)));
        for copy in copies {
            let pdf = self.agreement_render(view, &copy).await?;
            let sha = self.blobs.put(&pdf)?;
            documents.insert(copy, serde_json::Value::String(sha));
        }
        Ok(self.store.agreement_documents_fix(AgreementId(view.id), &documents, self.now()).await?)
    }

    /// The PDF of a copy: the stored one once fixed; for an effective agreement whose copies
    /// could not be fixed when it took effect, they are fixed now; a draft is rendered as such.
    pub(crate) async fn agreement_copy(&self, view: &AgreementView, copy: &str) -> Result<Vec<u8>> {
        let documents = if view.status == AgreementStatus::Effective && view.documents.is_empty() {
            self.agreement_copies_fix(view).await?;
            self.store.agreement_documents(AgreementId(view.id)).await?
        } else {
            view.documents.clone()
        };
        match documents.get(copy).and_then(|d| d.as_str()) {
            Some(sha) => Ok(self.blobs.get(sha)?),
            None if view.status == AgreementStatus::Effective => Err(AppError::NotFound { what: "file" }),
            None => self.agreement_render(view, copy).await,
        }
    }
}
