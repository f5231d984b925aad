//! Full-text search over cases: a tantivy index on local disk with a jieba tokenizer, fed
//! from the store's change feed (cases by `updated_at`). Each node keeps its own index and
//! catches up before it answers, so a search on any node sees every change committed before it.
//!
//! Data scope is applied inside the query — the case's region is indexed under each of its
//! ancestors' code prefixes, so a viewer's subtree is one term, as is a unit the case is
//! assigned to — and checked again by the store when the rows are read.

pub mod law;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use store::Store;
use store::cases::SearchDoc;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, EnableScoring, Occur, Query, QueryParser, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::tokenizer::{LowerCaser, RemoveLongFilter, TextAnalyzer, Token, TokenStream, Tokenizer};
use tantivy::{
    DocSet, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TERMINATED, TantivyDocument, Term, doc,
};

/// Cases read from the feed at a time.
const FEED_BATCH: i64 = 2000;
/// The feed is re-read this far back, so a change committed late by a slow writer (whose
/// `updated_at` is older than one already indexed) is not missed. Changes already indexed
/// are recognised and skipped.
const FEED_OVERLAP_MS: i64 = 2_000;
/// One indexing thread with a small arena: the index serves searches, bulk loads are rare.
pub(crate) const WRITER_MEMORY: usize = 20_000_000;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index directory: {0}")]
    Directory(String),
    /// Writing the index failed — a full disk, most likely (tantivy's indexing thread reports
    /// only that it stopped): the writer is back at its last commit, and the changes are
    /// indexed at the next catch-up. What the index holds can still be searched.
    #[error("the search index in {path} could not be written: {source}")]
    Unwritable { path: String, source: tantivy::TantivyError },
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

struct Fields {
    id: Field,
    number: Field,
    title: Field,
    description: Field,
    category: Field,
    status: Field,
    region: Field,
    units: Field,
}

/// Segments Chinese text with the process's jieba and its dispute dictionary, so that the index
/// and the classifier see the same words (外卖骑手, 逾期交房 …) and share one dictionary in memory.
/// Search mode adds the parts of each compound (外卖, 骑手), so a query for a part finds it.
#[derive(Clone)]
pub(crate) struct DisputeTokenizer;

pub(crate) struct Tokens {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokenizer for DisputeTokenizer {
    type TokenStream<'a> = Tokens;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens {
        let tokens = triage::classifier::jieba()
            .cut_for_search(text, true)
            .into_iter()
            .filter(|t| !t.word.trim().is_empty())
            .enumerate()
            .map(|(position, t)| Token {
                offset_from: t.byte_start,
                offset_to: t.byte_end,
                position,
                text: t.word.to_owned(),
                position_length: 1,
            })
            .collect();
        Tokens { tokens, next: 0 }
    }
}

impl TokenStream for Tokens {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

/// The index of one node.
pub struct SearchIndex {
    /// The index's directory.
    dir: PathBuf,
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    /// Serialises catch-ups; holds the feed's watermark.
    watermark: tokio::sync::Mutex<Watermark>,
    /// Catch-ups asked for so far. A catch-up covers every ask made before it began reading
    /// the store, so callers waiting behind it need none of their own.
    asked: AtomicU64,
    /// Rankings running at once: one per core, the rest wait (instead of each taking a thread).
    ranking: tokio::sync::Semaphore,
}

/// How far the index has followed the feed.
#[derive(Default)]
struct Watermark {
    /// The latest `updated_at` indexed (milliseconds).
    at: i64,
    /// The versions indexed within the overlap window, to skip them when re-read.
    recent: std::collections::HashMap<i64, i64>,
    /// What the feed looked like after the last catch-up (changes in the window, latest
    /// change): when it looks the same, nothing is read.
    seen: Option<(i64, (i64, i64))>,
    /// The asks (`SearchIndex::asked`) the last finished catch-up covered.
    covered: u64,
}

/// A page of search results and how many cases match.
#[derive(Debug, PartialEq)]
pub struct Hits {
    /// The cases shown, best first.
    pub ids: Vec<i64>,
    /// Matches counted exactly, up to `COUNT_LIMIT`.
    pub counted: usize,
    /// More than `COUNT_LIMIT` match: an estimate of how many (`None`: `counted` is exact).
    pub estimate: Option<u64>,
}

/// Whose cases a search may return.
pub struct SearchScope {
    /// The significant digits of the viewer's region (`620102` for a district): its subtree.
    pub region_prefix: String,
    pub unit_id: i64,
}

/// The index's layout: changes when the tokenizer or the schema does.
const LAYOUT: &str = "v2";

/// Matches are counted up to this many.
pub const COUNT_LIMIT: usize = 1_000;

/// The prefixes a region code is indexed under: province, city, district, street, community.
fn region_prefixes(code: &str) -> Vec<String> {
    [2, 4, 6, 9, 12].iter().filter(|n| code.len() >= **n).map(|n| code[..*n].to_owned()).collect()
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it on first use. An index of an earlier layout
    /// (another tokenizer) is dropped: the index is derived data, rebuilt from the store.
    pub fn open(base: &Path) -> Result<Self, SearchError> {
        let dir = &base.join(LAYOUT);
        if let Ok(entries) = std::fs::read_dir(base) {
            for entry in entries.flatten().filter(|e| e.file_name() != LAYOUT) {
                let path = entry.path();
                let _ = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
            }
        }
        std::fs::create_dir_all(dir).map_err(|e| SearchError::Directory(format!("{}: {e}", dir.display())))?;
        let mut builder = Schema::builder();
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("jieba")
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let id = builder.add_u64_field("id", INDEXED | STORED | FAST);
        let number = builder.add_text_field("number", STRING);
        let title = builder.add_text_field("title", text.clone());
        let description = builder.add_text_field("description", text);
        let category = builder.add_text_field("category", STRING);
        let status = builder.add_text_field("status", STRING);
        let region = builder.add_text_field("regions", STRING);
        let units = builder.add_u64_field("units", INDEXED);
        let schema = builder.build();
        let open = || tantivy::directory::MmapDirectory::open(dir).map_err(|e| SearchError::Directory(e.to_string()));
        let index = match Index::open_or_create(open()?, schema.clone()) {
            Ok(index) => index,
            // The index is derived data: one written by another version is rebuilt from the store.
            Err(e) => {
                tracing::warn!(error = %e, dir = %dir.display(), "search index unusable; rebuilding it from the case store");
                std::fs::remove_dir_all(dir)
                    .and_then(|()| std::fs::create_dir_all(dir))
                    .map_err(|e| SearchError::Directory(format!("{}: {e}", dir.display())))?;
                Index::open_or_create(open()?, schema)?
            }
        };
        let analyzer =
            TextAnalyzer::builder(DisputeTokenizer).filter(RemoveLongFilter::limit(40)).filter(LowerCaser).build();
        index.tokenizers().register("jieba", analyzer);
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let writer = index.writer_with_num_threads(1, WRITER_MEMORY)?;
        let at = index.load_metas()?.payload.and_then(|p| p.parse().ok()).unwrap_or(0);
        let watermark = Watermark { at, ..Default::default() };
        Ok(Self {
            dir: dir.clone(),
            index,
            reader,
            writer: Mutex::new(writer),
            fields: Fields { id, number, title, description, category, status, region, units },
            watermark: tokio::sync::Mutex::new(watermark),
            asked: AtomicU64::new(0),
            ranking: tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())),
        })
    }

    /// Indexes every case changed since the last catch-up; returns how many were (re)indexed.
    /// Runs on a multi-threaded tokio runtime.
    ///
    /// Everything committed before the call is indexed when it returns. Concurrent callers do
    /// not each read the feed: one that waited for the lock while a catch-up begun after its
    /// call ran returns at once, since that catch-up has read what it needs.
    pub async fn catch_up(&self, store: &Store) -> Result<usize, SearchError> {
        let ask = self.asked.fetch_add(1, Ordering::SeqCst) + 1;
        let mut watermark = self.watermark.lock().await;
        if watermark.covered >= ask {
            return Ok(0);
        }
        let covers = self.asked.load(Ordering::SeqCst);
        let window = (watermark.at - FEED_OVERLAP_MS).max(0);
        let state = store.search_feed_state(window).await?;
        if watermark.seen == Some((window, state)) {
            return Ok(0);
        }
        let mut total = 0;
        let mut cursor = (window, 0);
        loop {
            let docs = store.search_feed(cursor.0, cursor.1, FEED_BATCH).await?;
            let Some(last) = docs.last().map(|d| (d.updated_at, d.id)) else { break };
            let full = docs.len() as i64 == FEED_BATCH;
            let fresh: Vec<SearchDoc> =
                docs.into_iter().filter(|d| watermark.recent.get(&d.id) != Some(&d.updated_at)).collect();
            if !fresh.is_empty() {
                let at = last.0.max(watermark.at);
                // Segmenting and committing is CPU and disk work: the runtime moves its other
                // tasks off this thread meanwhile (needs the multi-threaded runtime, as served).
                tokio::task::block_in_place(|| self.write(&fresh, at))?;
                total += fresh.len();
                watermark.at = at;
                for d in &fresh {
                    watermark.recent.insert(d.id, d.updated_at);
                }
                let horizon = watermark.at - FEED_OVERLAP_MS;
                watermark.recent.retain(|_, updated_at| *updated_at >= horizon);
            }
            cursor = last;
            if !full {
                break;
            }
        }
        if total > 0 {
            self.reader.reload()?;
        }
        // Remember the feed as it was before this read, and only if the window did not move:
        // anything committed since then changes the count or the latest change.
        let unchanged_window = (watermark.at - FEED_OVERLAP_MS).max(0) == window;
        watermark.seen = unchanged_window.then_some((window, state));
        watermark.covered = covers;
        Ok(total)
    }

    fn write(&self, docs: &[SearchDoc], watermark: i64) -> Result<(), SearchError> {
        let mut writer = self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        self.write_with(&mut writer, docs, watermark).map_err(|source| {
            // A new writer at the last commit, ready for the next catch-up.
            if let Err(e) = writer.rollback() {
                tracing::warn!(error = %e, "search index: rollback after a failed write failed");
            }
            SearchError::Unwritable { path: self.dir.display().to_string(), source }
        })
    }

    fn write_with(&self, writer: &mut IndexWriter, docs: &[SearchDoc], watermark: i64) -> tantivy::Result<()> {
        let f = &self.fields;
        for d in docs {
            writer.delete_term(Term::from_field_u64(f.id, d.id as u64));
            let mut document = doc!(
                f.id => d.id as u64,
                f.number => d.number.clone(),
                f.title => d.title.clone().unwrap_or_default(),
                f.description => d.description.clone(),
                f.category => d.category.clone(),
                f.status => d.status.clone(),
            );
            for prefix in region_prefixes(&d.region_code) {
                document.add_text(f.region, prefix);
            }
            for unit in &d.unit_ids {
                document.add_u64(f.units, *unit as u64);
            }
            writer.add_document(document)?;
        }
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(&watermark.to_string());
        commit.commit()?;
        Ok(())
    }

    /// `search` on the blocking pool, at most one ranking per core at a time.
    pub async fn search_blocking(
        self: &std::sync::Arc<Self>,
        text: String,
        scope: SearchScope,
        limit: usize,
        offset: usize,
    ) -> Result<Hits, SearchError> {
        let _permit = self.ranking.acquire().await.map_err(|e| SearchError::Directory(e.to_string()))?;
        let index = self.clone();
        tokio::task::spawn_blocking(move || index.search(&text, &scope, limit, offset))
            .await
            .map_err(|e| SearchError::Directory(format!("search task failed: {e}")))?
    }

    /// How many cases the index holds.
    pub fn document_count(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The page `offset .. offset + limit` of the cases matching `text` in the scope, best
    /// first, and how many match.
    pub fn search(&self, text: &str, scope: &SearchScope, limit: usize, offset: usize) -> Result<Hits, SearchError> {
        let f = &self.fields;
        let mut parser = QueryParser::for_index(&self.index, vec![f.title, f.description]);
        parser.set_conjunction_by_default();
        parser.set_field_boost(f.title, 2.0);
        // The words are words: tantivy's query syntax (fields, wildcards, ranges, boosts) is
        // not offered to the public, and some of it fails on our schema (`title:*`).
        let words: String = text.chars().map(|c| if QUERY_SYNTAX.contains(c) { ' ' } else { c }).collect();
        let (text_query, _) = parser.parse_query_lenient(&words);
        let by_number: Box<dyn Query> =
            Box::new(TermQuery::new(Term::from_field_text(f.number, text.trim()), IndexRecordOption::Basic));
        let matches = BooleanQuery::new(vec![(Occur::Should, text_query), (Occur::Should, by_number)]);
        let scope_terms = [
            Term::from_field_text(f.region, &scope.region_prefix),
            Term::from_field_u64(f.units, scope.unit_id as u64),
        ];
        let in_scope = || {
            let terms = scope_terms.iter().map(|term| {
                (Occur::Should, Box::new(TermQuery::new(term.clone(), IndexRecordOption::Basic)) as Box<dyn Query>)
            });
            BooleanQuery::new(terms.collect())
        };
        let query = BooleanQuery::new(vec![
            (Occur::Must, Box::new(matches) as Box<dyn Query>),
            (Occur::Must, Box::new(in_scope())),
        ]);
        let searcher = self.reader.searcher();
        // Only the page shown is ranked: block-max WAND skips whatever cannot reach it.
        let top = searcher.search(&query, &TopDocs::with_limit(offset + limit.max(1)).order_by_score())?;
        let mut ids = Vec::with_capacity(limit);
        for (_, address) in top.into_iter().skip(offset) {
            let document: TantivyDocument = searcher.doc(address)?;
            if let Some(id) = document.get_first(f.id).and_then(|v| v.as_u64()) {
                ids.push(id as i64);
            }
        }
        let mut in_scope_total = 0;
        for term in &scope_terms {
            in_scope_total += searcher.doc_freq(term)?;
        }
        let scope = Sample { query: &in_scope(), documents: in_scope_total };
        let (counted, estimate) = count_matches(&searcher, &query, &scope, COUNT_LIMIT)?;
        Ok(Hits { ids, counted, estimate })
    }
    /// The concluded cases (concluded, followed up, archived) in the scope most like `text`,
    /// best first, never `except`: any of the text's words, ranked by BM25, so the cases that
    /// share the most telling words come first.
    pub fn similar(&self, text: &str, scope: &SearchScope, except: i64, limit: usize) -> Result<Vec<i64>, SearchError> {
        let f = &self.fields;
        let mut analyzer =
            self.index.tokenizers().get("jieba").ok_or_else(|| SearchError::Directory("no tokenizer".into()))?;
        let mut stream = analyzer.token_stream(text);
        let mut words: Vec<String> = Vec::new();
        while let Some(token) = stream.next() {
            if token.text.chars().count() >= 2 && !words.contains(&token.text) {
                words.push(token.text.clone());
            }
        }
        let mut like: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for word in &words {
            for field in [f.title, f.description] {
                let term = TermQuery::new(Term::from_field_text(field, word), IndexRecordOption::WithFreqs);
                like.push((Occur::Should, Box::new(term)));
            }
        }
        if like.is_empty() {
            return Ok(Vec::new());
        }
        let concluded: Vec<(Occur, Box<dyn Query>)> = ["concluded", "followed_up", "archived"]
            .iter()
            .map(|s| {
                let term = TermQuery::new(Term::from_field_text(f.status, s), IndexRecordOption::Basic);
                (Occur::Should, Box::new(term) as Box<dyn Query>)
            })
            .collect();
        let region: Box<dyn Query> =
            Box::new(TermQuery::new(Term::from_field_text(f.region, &scope.region_prefix), IndexRecordOption::Basic));
        let unit: Box<dyn Query> =
            Box::new(TermQuery::new(Term::from_field_u64(f.units, scope.unit_id as u64), IndexRecordOption::Basic));
        let itself: Box<dyn Query> =
            Box::new(TermQuery::new(Term::from_field_u64(f.id, except as u64), IndexRecordOption::Basic));
        let query = BooleanQuery::new(vec![
            (Occur::Must, Box::new(BooleanQuery::new(like)) as Box<dyn Query>),
            (Occur::Must, Box::new(BooleanQuery::new(concluded))),
            (Occur::Must, Box::new(BooleanQuery::new(vec![(Occur::Should, region), (Occur::Should, unit)]))),
            (Occur::MustNot, itself),
        ]);
        let searcher = self.reader.searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(limit.max(1)).order_by_score())?;
        let mut ids = Vec::with_capacity(top.len());
        for (_, address) in top {
            let document: TantivyDocument = searcher.doc(address)?;
            if let Some(id) = document.get_first(f.id).and_then(|v| v.as_u64()) {
                ids.push(id as i64);
            }
        }
        Ok(ids)
    }
}

/// The documents a search draws from (the viewer's scope) and how many there are, counted
/// from the index's document frequencies.
struct Sample<'q> {
    query: &'q dyn Query,
    documents: u64,
}

/// Counts the documents `query` matches, unscored, up to `limit`. Past it, the share of
/// matches among the scope's documents walked so far is applied to all the scope's documents:
/// a document's place follows the order cases were indexed in, which has nothing to do with the
/// words searched for, so the documents walked are a fair sample of the rest.
fn count_matches(
    searcher: &Searcher,
    query: &dyn Query,
    scope: &Sample,
    limit: usize,
) -> tantivy::Result<(usize, Option<u64>)> {
    let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
    let mut counted = 0_u64;
    for (segment, reader) in searcher.segment_readers().iter().enumerate() {
        let alive = reader.alive_bitset();
        let mut matches = weight.scorer(reader, 1.0)?;
        let mut doc = matches.doc();
        while doc != TERMINATED {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                counted += 1;
                if counted > limit as u64 {
                    let walked = scope_walked(searcher, scope.query, segment, doc)?.max(1);
                    return Ok((limit, Some((counted * scope.documents / walked).max(counted))));
                }
            }
            doc = matches.advance();
        }
    }
    Ok((counted as usize, None))
}

/// How many of the scope's documents lie before segment `segment`'s document `doc`, that one
/// included (deleted ones too, as document frequencies count them).
fn scope_walked(searcher: &Searcher, scope: &dyn Query, segment: usize, doc: tantivy::DocId) -> tantivy::Result<u64> {
    let weight = scope.weight(EnableScoring::disabled_from_searcher(searcher))?;
    let mut walked = 0;
    for reader in &searcher.segment_readers()[..segment] {
        walked += u64::from(weight.count(reader)?);
    }
    let mut docs = weight.scorer(&searcher.segment_readers()[segment], 1.0)?;
    while docs.doc() <= doc {
        walked += 1;
        docs.advance();
    }
    Ok(walked)
}

/// Characters of tantivy's query language, read as spaces in a search.
const QUERY_SYNTAX: &str = "+-&|!(){}[]^\"~*?:\\/'";

#[cfg(test)]
mod tests {
    use super::*;

    fn case(id: i64, region: &str, description: &str, units: Vec<i64>) -> SearchDoc {
        SearchDoc {
            id,
            number: format!("2026-620102-{id:06}"),
            title: None,
            description: description.into(),
            category: "labor".into(),
            status: "registered".into(),
            region_code: region.into(),
            owner_unit_id: None,
            unit_ids: units,
            updated_at: id,
        }
    }

    #[test]
    fn only_the_page_is_ranked_and_a_large_count_is_estimated() {
        let dir = std::env::temp_dir().join(format!("fq-search-count-{}", std::process::id()));
        let index = SearchIndex::open(&dir).unwrap();
        // 3 000 cases in district A, every other one about a leak; 600 leaks elsewhere.
        let mut docs: Vec<SearchDoc> = (1..=3000)
            .map(|id| case(id, "620102002001", if id % 2 == 0 { "楼上卫生间漏水" } else { "拖欠工资" }, vec![]))
            .collect();
        docs.extend((3001..=3600).map(|id| case(id, "620103001001", "楼上卫生间漏水", vec![])));
        index.write(&docs, 3600).unwrap();
        index.reader.reload().unwrap();
        let district_a = SearchScope { region_prefix: "620102".into(), unit_id: 99 };

        let page = index.search("漏水", &district_a, 20, 40).unwrap();
        assert_eq!(page.ids.len(), 20, "the third page of twenty");
        assert!(page.ids.iter().all(|id| id % 2 == 0 && *id <= 3000), "only matches in scope: {:?}", page.ids);
        assert_eq!(page.counted, COUNT_LIMIT, "counted exactly up to the limit");
        let estimate = page.estimate.expect("more than the limit match: estimated") as f64;
        assert!((1350.0..=1650.0).contains(&estimate), "1 500 match, estimated {estimate}");

        let few = index.search("漏水", &SearchScope { region_prefix: "620103".into(), unit_id: 0 }, 20, 0).unwrap();
        assert_eq!((few.counted, few.estimate), (600, None), "under the limit the count is exact");
        let past_the_end = index.search("漏水", &district_a, 20, 1500).unwrap();
        assert!(past_the_end.ids.is_empty(), "nothing past the last match");
        drop(index);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn chinese_words_are_found_and_scope_applies() {
        let dir = std::env::temp_dir().join(format!("fq-search-{}", std::process::id()));
        let index = SearchIndex::open(&dir).unwrap();
        let doc = case;
        index
            .write(
                &[
                    doc(1, "620102002001", "某建筑公司拖欠农民工工资三个月", vec![]),
                    doc(2, "620103001001", "物业公司拖欠维修费用", vec![7]),
                    doc(3, "620102002001", "邻居装修漏水", vec![]),
                ],
                3,
            )
            .unwrap();
        index.reader.reload().unwrap();
        let district_a = SearchScope { region_prefix: "620102".into(), unit_id: 99 };
        assert_eq!(
            index.search("拖欠", &district_a, 10, 0).unwrap(),
            Hits { ids: vec![1], counted: 1, estimate: None }
        );
        assert_eq!(index.search("漏水", &district_a, 10, 0).unwrap().ids, vec![3]);
        let unit_7 = SearchScope { region_prefix: "620105".into(), unit_id: 7 };
        assert_eq!(index.search("拖欠", &unit_7, 10, 0).unwrap().ids, vec![2], "assigned to the unit");
        assert_eq!(index.search("2026-620102-000003", &district_a, 10, 0).unwrap().ids, vec![3], "by case number");
        assert_eq!(index.search("(((", &district_a, 10, 0).unwrap().counted, 0, "syntax never fails");
        for syntax in ["title:*", "x:*", "*", "description:[a TO z]", "漏水^3", "\"漏水"] {
            assert!(index.search(syntax, &district_a, 10, 0).is_ok(), "{syntax} is read as words");
        }
        assert_eq!(index.search("漏水*", &district_a, 10, 0).unwrap().ids, vec![3], "a wildcard is a space");
        assert_eq!(
            index.search("拖欠", &SearchScope { region_prefix: "62".into(), unit_id: 0 }, 10, 0).unwrap().counted,
            2,
            "the province sees both"
        );
        drop(index);
        let reopened = SearchIndex::open(&dir).unwrap();
        assert_eq!(reopened.watermark.try_lock().map(|w| w.at).unwrap(), 3, "the watermark survives a restart");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
