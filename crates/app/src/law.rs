//! Legal help (法律帮助): the statute articles that answer a question in plain Chinese, for
//! anyone — a citizen in the hall or on the portal needs no account — and, for staff, the
//! concluded cases like it in their scope.

use domain::msg;
use domain::validation::{Checker, FieldError};
pub use search::law::LawHit;
pub use store::law::{LawImportReport, LawInput};

use crate::{App, AppError, Result};

/// The most articles one search answers.
pub const LAW_LIMIT_MAX: usize = 20;
/// The articles a search answers when not told.
pub const LAW_LIMIT_DEFAULT: usize = 10;
/// The longest question, in characters.
pub const LAW_QUESTION_MAX: usize = 200;

impl App {
    /// The articles in force that best answer `q`, best first. `q` is required; `limit` is a
    /// whole number from 1 to [`LAW_LIMIT_MAX`].
    pub async fn law_search(&self, q: Option<&str>, limit: Option<&str>) -> Result<Vec<LawHit>> {
        let mut c = Checker::default();
        let q = c.required_text("q", q, LAW_QUESTION_MAX);
        let limit = c.check(match limit.map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(LAW_LIMIT_DEFAULT),
            Some(v) => v.parse::<usize>().ok().filter(|n| (1..=LAW_LIMIT_MAX).contains(n)).ok_or_else(|| {
                FieldError::new(
                    "limit",
                    "out_of_range",
                    msg!("field.whole_number_between", min = 1, max = LAW_LIMIT_MAX),
                )
            }),
        });
        c.into_result().map_err(AppError::Invalid)?;
        let (Some(q), Some(limit)) = (q, limit) else { return Err(AppError::Invalid(Vec::new())) };
        self.law_catch_up().await?;
        self.law.search(&q, limit).await.map_err(law_failed)
    }

    /// Rebuilds this node's article index if the statutes changed; returns whether it did.
    pub async fn law_catch_up(&self) -> Result<bool> {
        self.law.catch_up(&self.store).await.map_err(law_failed)
    }

    /// Imports statutes (the command line's `law import`, the demo's few).
    pub async fn law_import(&self, laws: &[LawInput]) -> Result<LawImportReport> {
        Ok(self.store.law_import(laws, self.now()).await?)
    }
}

fn law_failed(error: search::SearchError) -> AppError {
    match error {
        search::SearchError::Store(e) => e.into(),
        other => AppError::Internal(other.to_string()),
    }
}
