//! Legal help's article index: the statutes in force, in a tantivy index in memory segmented
//! by the same jieba as the cases, ranked by BM25 over any of the question's words (a question
//! in plain Chinese — 老板拖欠工资怎么办 — shares only some words with the article it needs).
//!
//! The index is derived from the store's `law_articles` and rebuilt when the library's
//! generation (one per import) differs from the one it was built from, so every node follows
//! an import made by the command line or another node. It lives in memory: 26 k articles take
//! a few seconds to index, and nothing on disk can go stale.

use std::sync::{Arc, RwLock};

use store::Store;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions, Value};
use tantivy::tokenizer::{LowerCaser, RemoveLongFilter, StopWordFilter, TextAnalyzer};
use tantivy::{Index, IndexReader, TantivyDocument, Term, doc};

use crate::{DisputeTokenizer, SearchError, WRITER_MEMORY};

/// Words of a question that say nothing about the law it needs.
const QUESTION_WORDS: &[&str] = &[
    "怎么办",
    "怎么",
    "怎样",
    "如何",
    "什么",
    "哪些",
    "可以",
    "能否",
    "能不能",
    "是否",
    "应该",
    "吗",
    "呢",
    "吧",
    "啊",
    "了",
    "的",
    "我",
    "我们",
    "他",
    "她",
    "他们",
    "你",
    "请问",
    "一下",
    "有",
    "没有",
    "要",
    "想",
    "被",
    "把",
    "给",
];

/// An article found for a question.
#[derive(Debug, Clone, PartialEq)]
pub struct LawHit {
    /// The law's title (中华人民共和国劳动合同法).
    pub law: String,
    /// The article as the source numbers it (第三十条).
    pub article: String,
    pub text: String,
    pub score: f32,
}

struct Built {
    generation: i64,
    reader: IndexReader,
    law: Field,
    article: Field,
    text: Field,
}

/// This node's article index.
#[derive(Default)]
pub struct LawIndex {
    built: RwLock<Option<Arc<Built>>>,
    /// Serialises rebuilds.
    rebuilding: tokio::sync::Mutex<()>,
}

fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(DisputeTokenizer)
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(StopWordFilter::remove(QUESTION_WORDS.iter().map(|w| (*w).to_owned())))
        .build()
}

impl Built {
    fn new(generation: i64, docs: &[store::law::LawArticleDoc]) -> Result<Self, SearchError> {
        let mut builder = Schema::builder();
        let text_options = TextOptions::default()
            .set_indexing_options(
                TextFieldIndexing::default().set_tokenizer("law").set_index_option(IndexRecordOption::WithFreqs),
            )
            .set_stored();
        let law = builder.add_text_field("law", text_options.clone());
        let article = builder.add_text_field("article", STORED);
        let text = builder.add_text_field("text", text_options);
        let index = Index::create_in_ram(builder.build());
        index.tokenizers().register("law", analyzer());
        let mut writer = index.writer_with_num_threads(1, WRITER_MEMORY)?;
        for d in docs {
            writer.add_document(doc!(law => d.law.clone(), article => d.article.clone(), text => d.text.clone()))?;
        }
        writer.commit()?;
        let reader = index.reader()?;
        Ok(Built { generation, reader, law, article, text })
    }

    fn search(&self, question: &str, limit: usize) -> Result<Vec<LawHit>, SearchError> {
        // Any of the question's words, each a term (the query parser would make a phrase of a
        // run of words); a law's name in the question (劳动合同法) counts less than the text's.
        let mut words = Vec::new();
        let mut analyzer = analyzer();
        let mut stream = analyzer.token_stream(question);
        while let Some(token) = stream.next() {
            if !words.contains(&token.text) {
                words.push(token.text.clone());
            }
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for word in &words {
            for (field, boost) in [(self.text, 1.0), (self.law, 0.5)] {
                let term = TermQuery::new(Term::from_field_text(field, word), IndexRecordOption::WithFreqs);
                clauses.push((Occur::Should, Box::new(BoostQuery::new(Box::new(term), boost))));
            }
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(limit.max(1)).order_by_score())?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let document: TantivyDocument = searcher.doc(address)?;
            let field = |f: Field| document.get_first(f).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
            hits.push(LawHit { law: field(self.law), article: field(self.article), text: field(self.text), score });
        }
        Ok(hits)
    }
}

impl LawIndex {
    /// Rebuilds the index when the store's statutes changed since it was built; returns
    /// whether it did. Indexing runs on the blocking pool.
    pub async fn catch_up(&self, store: &Store) -> Result<bool, SearchError> {
        let generation = store.law_generation().await?;
        if self.generation() == Some(generation) {
            return Ok(false);
        }
        let _rebuilding = self.rebuilding.lock().await;
        if self.generation() == Some(generation) {
            return Ok(false);
        }
        let docs = store.law_articles_in_force().await?;
        let started = std::time::Instant::now();
        let built = tokio::task::spawn_blocking(move || Built::new(generation, &docs))
            .await
            .map_err(|e| SearchError::Directory(format!("law index task failed: {e}")))??;
        tracing::info!(
            generation,
            articles = built.reader.searcher().num_docs(),
            ms = started.elapsed().as_millis() as u64,
            "law index built"
        );
        *self.built.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(built));
        Ok(true)
    }

    fn generation(&self) -> Option<i64> {
        self.built.read().unwrap_or_else(|p| p.into_inner()).as_ref().map(|b| b.generation)
    }

    /// The articles that best answer the question, best first (none before the first import).
    pub async fn search(&self, question: &str, limit: usize) -> Result<Vec<LawHit>, SearchError> {
        let Some(built) = self.built.read().unwrap_or_else(|p| p.into_inner()).clone() else { return Ok(Vec::new()) };
        let question = question.to_owned();
        tokio::task::spawn_blocking(move || built.search(&question, limit))
            .await
            .map_err(|e| SearchError::Directory(format!("law search task failed: {e}")))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_question_in_plain_words_finds_the_article() {
        let doc = |id: i64, law: &str, article: &str, text: &str| store::law::LawArticleDoc {
            id,
            law: law.into(),
            article: article.into(),
            text: text.into(),
        };
        let built = Built::new(
            1,
            &[
                doc(
                    1,
                    "中华人民共和国劳动法",
                    "第五十条",
                    "工资应当以货币形式按月支付给劳动者本人。不得克扣或者无故拖欠劳动者的工资。",
                ),
                doc(2, "中华人民共和国人民调解法", "第四条", "人民调解委员会调解民间纠纷，不收取任何费用。"),
                doc(
                    3,
                    "中华人民共和国民法典",
                    "第二百九十条",
                    "不动产权利人应当为相邻权利人用水、排水提供必要的便利。",
                ),
            ],
        )
        .unwrap();
        let hits = built.search("老板拖欠工资怎么办", 10).unwrap();
        assert_eq!(hits[0].article, "第五十条");
        assert_eq!(hits.len(), 1, "question words match nothing: {hits:?}");
        assert_eq!(built.search("调解要收费吗", 10).unwrap()[0].law, "中华人民共和国人民调解法");
        assert!(built.search("((( title:*", 10).unwrap().is_empty(), "syntax is read as words");
        assert!(built.search("怎么办", 10).unwrap().is_empty(), "only question words");
    }
}
