//! Triage at intake, with what it needs from the database: the rules and catalogue an
//! administrator edits, the organisation, and the parties' history. The rules themselves live
//! in the `triage` crate; this module feeds them and caches what it loaded, reloading when the
//! version counter says another node changed something.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};
use domain::case::{Category, NewCase, PartyKind, PartyRole};
use domain::msg;
use domain::org::RegionCode;
use domain::validation::{Arg, FieldError, Message};
use serde::{Deserialize, Serialize};
use triage::TriageRules;
use triage::address::{self, GridShape, LocalRegion, ParsedAddress};
use triage::classifier::{CONFIDENCE_THRESHOLD, Classifier, Example};
use triage::risk::{self, PartyHistory, RiskAssessment, RiskFacts};
use triage::routing::{self, CatalogueEntry, CatalogueRole, Centre, Route, RouteFacts, UnitName};

use crate::sql::args;
use crate::{Result, Store, StoreError, to_ms};

/// Everything triage reads, loaded once per version.
pub struct TriageContext {
    classifier: Classifier,
    pub rules: TriageRules,
    pub catalogue: Vec<CatalogueEntry>,
    centres: Vec<Centre>,
    names: Vec<(i64, String)>,
    local: Vec<LocalRegion>,
    grids: Vec<GridShape>,
    /// The deployment's home prefix for ambiguous place names (e.g. "6201").
    home: String,
}

impl TriageContext {
    /// The governance centres of the deployment.
    pub fn centres(&self) -> &[Centre] {
        &self.centres
    }

    /// A region's name, as a reason names the place to a person: the deployment's own; its
    /// code only for a region the deployment no longer holds active.
    fn region_name<'a>(&'a self, region: &'a RegionCode) -> &'a str {
        self.local.iter().find(|r| r.code == region.as_str()).map_or(region.as_str(), |r| r.name.as_str())
    }
}

/// The cache of a store: the version it was loaded at and the context.
pub(crate) type TriageCache = Arc<Mutex<Option<(i64, Arc<TriageContext>)>>>;

/// The category suggestion as stored on the case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategorySuggestion {
    pub category: Category,
    pub confidence: f64,
    /// The words that drove it.
    pub words: Vec<String>,
}

/// The whole triage of a registration.
#[derive(Debug, Clone)]
pub struct Triage {
    pub region: RegionCode,
    pub grid_id: Option<i64>,
    /// The address as parsed, when one was given.
    pub address: Option<ParsedAddress>,
    /// How the place was found.
    pub place_reason: Message,
    pub category: Category,
    /// client | suggested | unsure (the classifier was below its threshold and no category
    /// was given: recorded as other, routed by territory alone)
    pub category_source: String,
    pub suggestion: CategorySuggestion,
    pub risk: domain::case::Risk,
    pub risk_reasons: Vec<Message>,
    pub refer_to_police: bool,
    /// Call 110/120 now: the instruction, recorded on the case.
    pub emergency: Option<Message>,
    pub route: Route,
}

impl Triage {
    /// Whether the type was left to triage and the classifier was unsure: a question, not a
    /// suggestion (请选择类型).
    pub fn category_unsure(&self) -> bool {
        self.category_source == "unsure"
    }

    /// The question to the person registering, as an error beside the category field, when the
    /// type was left to triage and the classifier was unsure.
    pub fn category_question(&self) -> Option<FieldError> {
        self.category_unsure().then(|| {
            FieldError::new(
                "category",
                "unsure",
                msg!("category.choose", confidence = percent(self.suggestion.confidence)),
            )
        })
    }
}

/// What registration does when the type was left to triage and the classifier is unsure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenUnsure {
    /// Someone is there to answer (the intake window): the registration is refused with the
    /// question beside the category field ([`Triage::category_question`]).
    Ask,
    /// No one to ask (a system sending cases through the API, which may leave the category
    /// out): the case is recorded as other, source `unsure`, and routed by territory alone.
    RecordOther,
}

const VERSION: &str = "triage";

/// Earlier cases are counted up to this many: enough for any threshold, bounded for a party
/// with thousands of cases.
const HISTORY_LIMIT: i64 = 100;

/// category, region prefix, unit, role, note.
type CatalogueRow = (String, Option<String>, i64, String, Option<String>);

fn bad_setting(name: &str, e: serde_json::Error) -> StoreError {
    StoreError::Setup(format!("the stored setting {name} is not valid: {e}"))
}

impl Store {
    /// The triage context, reloaded when an administrator changed rules, catalogue or examples.
    pub async fn triage_context(&self) -> Result<Arc<TriageContext>> {
        let version: Option<(i64,)> =
            self.fetch_optional("SELECT version FROM versions WHERE name = $1", args![VERSION]).await?;
        let version = version.map_or(0, |(v,)| v);
        if let Some((cached, context)) = self.triage_cache.lock().unwrap_or_else(|p| p.into_inner()).as_ref()
            && *cached == version
        {
            return Ok(context.clone());
        }
        let context = Arc::new(self.triage_load().await?);
        *self.triage_cache.lock().unwrap_or_else(|p| p.into_inner()) = Some((version, context.clone()));
        Ok(context)
    }

    async fn triage_load(&self) -> Result<TriageContext> {
        let examples: Vec<(String, String)> =
            self.fetch_all("SELECT category, text FROM triage_examples ORDER BY id", args![]).await?;
        let extra: Vec<Example> = examples
            .into_iter()
            .filter_map(|(c, text)| Some(Example { category: Category::parse(&c)?, text }))
            .collect();
        let classifier = if extra.is_empty() { shipped_classifier().clone() } else { Classifier::shipped(&extra) };
        let units = self.units().await?;
        let centres = units
            .iter()
            .filter(|u| u.kind == "centre" && u.active)
            .filter_map(|u| {
                Some(Centre { unit_id: u.id, name: u.name.clone(), region: RegionCode::parse(&u.region_code).ok()? })
            })
            .collect();
        let regions = self.regions().await?;
        let home =
            regions.iter().filter(|r| r.level == "city").map(|r| r.code[..4].to_owned()).next().unwrap_or_default();
        // A disabled region or grid is placed nothing new.
        let local = regions
            .iter()
            .filter(|r| r.active)
            .map(|r| LocalRegion { code: r.code.clone(), name: r.name.clone(), short_name: r.short_name.clone() })
            .collect();
        let polygons: Vec<(i64, String, String, Option<String>)> = self
            .fetch_all(
                "SELECT id, name, community_code, polygon FROM grids WHERE polygon IS NOT NULL AND active",
                args![],
            )
            .await?;
        let grids = polygons
            .into_iter()
            .filter_map(|(id, name, community_code, polygon)| {
                Some(GridShape { id, name, community_code, ring: serde_json::from_str(&polygon?).ok()? })
            })
            .collect();
        Ok(TriageContext {
            classifier,
            rules: self.triage_rules().await?,
            // A disabled unit is routed nothing new.
            catalogue: self
                .routing_catalogue()
                .await?
                .into_iter()
                .filter(|e| units.iter().any(|u| u.id == e.unit_id && u.active))
                .collect(),
            centres,
            names: units.into_iter().map(|u| (u.id, u.name)).collect(),
            local,
            grids,
            home,
        })
    }

    /// Tells every node to reload the triage context (rules, catalogue, examples, organisation).
    pub(crate) async fn bump_triage_version(&self) -> Result<()> {
        self.execute("INSERT INTO versions (name, version) VALUES ($1, 1) ON CONFLICT (name) DO UPDATE SET version = versions.version + 1", args![VERSION]).await?;
        Ok(())
    }

    pub async fn triage_rules(&self) -> Result<TriageRules> {
        let row: Option<(String,)> =
            self.fetch_optional("SELECT value FROM settings WHERE name = 'triage_rules'", args![]).await?;
        match row {
            Some((value,)) => serde_json::from_str(&value).map_err(|e| bad_setting("triage_rules", e)),
            None => Ok(TriageRules::default()),
        }
    }

    /// Replaces the risk and level rules.
    pub async fn triage_rules_put(&self, rules: TriageRules, actor: &str, now: DateTime<Utc>) -> Result<()> {
        rules.risk.validate().map_err(|errors| {
            StoreError::Invalid(
                errors
                    .into_iter()
                    .map(|mut e| {
                        e.field = format!("risk.{}", e.field);
                        e
                    })
                    .collect(),
            )
        })?;
        let value = serde_json::to_string(&rules).map_err(|e| StoreError::Setup(e.to_string()))?;
        self.execute(
            "INSERT INTO settings (name, value, updated_at, updated_by) VALUES ('triage_rules', $1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET value = $1, updated_at = $2, updated_by = $3",
            args![value, to_ms(now), actor],
        )
        .await?;
        self.bump_triage_version().await
    }

    pub async fn routing_catalogue(&self) -> Result<Vec<CatalogueEntry>> {
        let rows: Vec<CatalogueRow> = self
            .fetch_all(
                "SELECT category, region_prefix, unit_id, role, note FROM routing_catalogue ORDER BY id",
                args![],
            )
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(category, region_prefix, unit_id, role, note)| {
                let role = if role == "lead" { CatalogueRole::Lead } else { CatalogueRole::Assist };
                Some(CatalogueEntry { category: Category::parse(&category)?, region_prefix, unit_id, role, note })
            })
            .collect())
    }

    /// Replaces the routing catalogue (派单目录).
    pub async fn routing_catalogue_put(&self, entries: Vec<CatalogueEntry>) -> Result<()> {
        self.catalogue_replace(None, &entries).await
    }

    /// Replaces the catalogue's lines for one category, leaving the others as they are.
    pub async fn routing_catalogue_category_put(&self, category: Category, entries: Vec<CatalogueEntry>) -> Result<()> {
        let mut errors = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            if entry.category != category {
                errors.push(domain::validation::FieldError::not_one_of(format!("[{i}].category"), category.as_str()));
            }
        }
        if !errors.is_empty() {
            return Err(StoreError::Invalid(errors));
        }
        self.catalogue_replace(Some(category), &entries).await
    }

    /// Checks every line (each unit exists and is active, each prefix is digits), then
    /// replaces the lines of `category` (all of them when `None`) in one transaction.
    async fn catalogue_replace(&self, category: Option<Category>, entries: &[CatalogueEntry]) -> Result<()> {
        let mut errors = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            errors.extend(self.unit_choosable(entry.unit_id, format!("[{i}].unit_id")).await?);
            if entry
                .region_prefix
                .as_deref()
                .is_some_and(|p| p.is_empty() || p.len() > 12 || !p.bytes().all(|b| b.is_ascii_digit()))
            {
                errors.push(FieldError::new(
                    format!("[{i}].region_prefix"),
                    "invalid_region_prefix",
                    msg!("triage.region_prefix_format"),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(StoreError::Invalid(errors));
        }
        let mut tx = self.begin().await?;
        match category {
            Some(category) => {
                tx.execute("DELETE FROM routing_catalogue WHERE category = $1", args![category.as_str()]).await?
            }
            None => tx.execute("DELETE FROM routing_catalogue", args![]).await?,
        };
        for e in entries {
            let role = match e.role {
                CatalogueRole::Lead => "lead",
                CatalogueRole::Assist => "assist",
            };
            tx.execute(
                "INSERT INTO routing_catalogue (category, region_prefix, unit_id, role, note) VALUES ($1, $2, $3, $4, $5)",
                args![e.category.as_str(), e.region_prefix.clone(), e.unit_id, role, e.note.clone()],
            )
            .await?;
        }
        tx.commit().await?;
        self.bump_triage_version().await
    }

    /// A labelled example that retrains the classifier (e.g. a dispatcher's correction).
    pub async fn triage_example_add(
        &self,
        category: Category,
        text: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let (count,): (i64,) = self
            .fetch_one(
                "INSERT INTO triage_examples (category, text, added_by, added_at) VALUES ($1, $2, $3, $4) RETURNING id",
                args![category.as_str(), text, actor, to_ms(now)],
            )
            .await?;
        self.bump_triage_version().await?;
        Ok(count)
    }

    /// Parses an address against the national list and this deployment's organisation.
    pub async fn address_parse(&self, text: &str) -> Result<ParsedAddress> {
        let context = self.triage_context().await?;
        Ok(address::parse(text, &context.home, &context.local))
    }

    /// Triage of a registration: place, category, risk with the parties' history, route.
    pub async fn triage(
        &self,
        new: &NewCase,
        registering_region: &RegionCode,
        spring_festival: Option<NaiveDate>,
        now: DateTime<Utc>,
    ) -> Result<Triage> {
        let context = self.triage_context().await?;
        let (region, grid_id, address, place_reason) = self.place(new, registering_region, &context).await?;

        let text = format!("{} {}", new.title.as_deref().unwrap_or(""), new.description);
        let prediction = context.classifier.predict(&text);
        let confident = prediction.is_confident();
        let suggestion = CategorySuggestion {
            category: prediction.category,
            confidence: prediction.confidence,
            words: prediction.words,
        };
        let (category, category_source) = match new.category {
            Some(category) => (category, "client"),
            None if confident => (suggestion.category, "suggested"),
            None => (Category::Other, "unsure"),
        };

        let rules = &context.rules;
        let history = self.party_history(new, rules, now).await?;
        let today = now.with_timezone(&domain::china_time()).date_naive();
        let facts = RiskFacts {
            text: &text,
            category,
            people: new.people_count,
            amount_fen: new.amount.map(|a| a.fen()),
            history,
            spring_festival,
            today,
        };
        let RiskAssessment { risk, reasons: risk_reasons, refer_to_police, emergency } =
            risk::assess(&facts, &rules.risk);

        let districts: BTreeSet<String> = new
            .parties
            .iter()
            .filter_map(|p| p.address.as_deref())
            .filter_map(|a| address::parse(a, &context.home, &context.local).district_code)
            .chain(std::iter::once(region.county().to_owned()))
            .collect();
        let route_facts = RouteFacts {
            category: (category_source != "unsure").then_some(category),
            risk,
            people: new.people_count,
            amount_fen: new.amount.map(|a| a.fen()),
            region: &region,
            region_name: context.region_name(&region),
            cross_jurisdiction: districts.len() > 1,
        };
        let names: Vec<UnitName<'_>> = context.names.iter().map(|(id, name)| UnitName { unit_id: *id, name }).collect();
        let mut route = routing::suggest(&route_facts, &rules.levels, &context.catalogue, &context.centres, &names);
        if category_source == "suggested" && !suggestion.words.is_empty() {
            route.reasons.push(msg!(
                "route.category_suggested",
                category = Arg::code("category", category.as_str()),
                words = suggestion.words.join("、"),
            ));
        }
        if category_source == "unsure" {
            route.reasons.push(msg!(
                "route.category_unsure",
                confidence = percent(suggestion.confidence),
                threshold = percent(CONFIDENCE_THRESHOLD),
            ));
        }
        Ok(Triage {
            region,
            grid_id,
            address,
            place_reason,
            category,
            category_source: category_source.to_owned(),
            suggestion,
            risk,
            risk_reasons,
            refer_to_police,
            emergency,
            route,
        })
    }

    /// Where the case belongs: the region and grid given, else the grid whose polygon holds the
    /// point, else the parsed address, else the registering unit's region.
    async fn place(
        &self,
        new: &NewCase,
        registering_region: &RegionCode,
        context: &TriageContext,
    ) -> Result<(RegionCode, Option<i64>, Option<ParsedAddress>, Message)> {
        let parsed = new.address.as_deref().map(|a| address::parse(a, &context.home, &context.local));
        if new.region_code.is_some() || new.grid_id.is_some() {
            let (region, grid) = self.case_place(new, registering_region).await?;
            return Ok((region, grid, parsed, msg!("place.given")));
        }
        if let Some((lng, lat)) = new.point
            && let Some(grid) = address::grid_at(lng, lat, &context.grids)
            && let Ok(region) = RegionCode::parse(&grid.community_code)
        {
            let (lng, lat) = (format!("{lng:.5}"), format!("{lat:.5}"));
            return Ok((
                region,
                Some(grid.id),
                parsed,
                msg!("place.grid_point", lng = lng, lat = lat, grid = &grid.name),
            ));
        }
        if let Some(p) = &parsed
            && let Some(code) = p.region_code.as_deref().and_then(|c| RegionCode::parse(c).ok())
            && context.local.iter().any(|r| r.code == code.as_str())
        {
            return Ok((code, None, parsed.clone(), msg!("place.address", matched = p.matched.join(" › "))));
        }
        Ok((registering_region.clone(), None, parsed, msg!("place.registering_unit")))
    }

    /// Earlier cases of the same person and against the same respondent within the windows.
    /// The parties are found by one indexed equality per arm (`UNION ALL`), never by an `OR` of
    /// two columns, which made SQLite (3.51) read every party of the database.
    async fn party_history(&self, new: &NewCase, rules: &TriageRules, now: DateTime<Utc>) -> Result<PartyHistory> {
        let day = 24 * 3600 * 1000;
        let person_since = to_ms(now) - rules.risk.repeat_window_days * day;
        let cluster_since = to_ms(now) - rules.risk.cluster_window_days * day;
        let mut history = PartyHistory::default();
        let mut keys: Vec<String> = Vec::new();
        for p in &new.parties {
            keys.extend(p.id_number.as_ref().map(|i| self.crypto.blind_index(i.as_str())));
            keys.extend(p.phone.as_ref().map(|x| self.crypto.blind_index(x.as_str())));
        }
        if !keys.is_empty() {
            let mut values = args![person_since];
            let placeholders: Vec<String> = keys
                .iter()
                .map(|k| {
                    values.push(k.clone().into());
                    format!("${}", values.len())
                })
                .collect();
            let list = placeholders.join(", ");
            let sql = format!(
                "SELECT COUNT(*) FROM (SELECT c.id FROM cases c WHERE c.created_at >= $1 AND c.id IN (
                    SELECT case_id FROM parties WHERE id_number_index IN ({list})
                    UNION ALL SELECT case_id FROM parties WHERE phone_index IN ({list})) LIMIT {HISTORY_LIMIT}) earlier"
            );
            history.same_person = self.fetch_one::<(i64,)>(&sql, values).await?.0;
        }
        for p in new.parties.iter().filter(|p| p.role == PartyRole::Respondent && p.kind == PartyKind::Organization) {
            let mut arms: Vec<(&str, crate::sql::Arg)> =
                vec![("p.role = 'respondent' AND p.name_key = $2", crate::cases::address_key(&p.name).into())];
            if let Some(code) = &p.credit_code {
                arms.push(("p.role = 'respondent' AND p.credit_code = $2", code.as_str().into()));
            }
            let found = self.cases_with_party(&arms, cluster_since, HISTORY_LIMIT).await?;
            let count = i64::try_from(found.len()).unwrap_or(i64::MAX);
            history.same_respondent = history.same_respondent.max(count);
        }
        Ok(history)
    }
}

/// A probability as a whole percentage, as people read it.
fn percent(p: f64) -> i64 {
    (p * 100.0).round() as i64
}

/// The model trained on the shipped corpus, once per process.
fn shipped_classifier() -> &'static Classifier {
    static MODEL: std::sync::OnceLock<Classifier> = std::sync::OnceLock::new();
    MODEL.get_or_init(|| Classifier::shipped(&[]))
}
