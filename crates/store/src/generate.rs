//! The realistic data generator: cases straight into the store, in batches, with everything a
//! case registered and handled through the API would have — parties with valid, encrypted ID
//! numbers, repeat parties and clusters against the same respondent, hash-chained histories,
//! hops, deadlines and statistics rollups — seeded and reproducible. The bench harness measures
//! against it, and its batch writer is the "raw store limit" the API's intake is compared with.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, Utc};
use domain::case::{Category, Channel, Risk};
use domain::history::{EventFields, GENESIS, event_hash};
use domain::identity::IdNumber;
use domain::stats::Counts;
use serde_json::json;

use crate::calendar::ClockContext;
use crate::sql::args;
use crate::stats::{conclusion_counts, day_of};
use crate::supervision::ClockRow;
use crate::synthetic::{self, Dice};
use crate::{Result, Store, StoreError, to_ms};

/// Cases written per transaction.
const BATCH: usize = 500;

/// What a generation run wrote.
#[derive(Debug, Clone, Default)]
pub struct Generated {
    pub cases: u64,
    pub events: u64,
    pub first_id: i64,
}

const CATEGORIES: &[(Category, u64)] = &[
    (Category::Neighbor, 18),
    (Category::MarriageFamily, 14),
    (Category::Labor, 14),
    (Category::PropertyManagement, 8),
    (Category::Contract, 7),
    (Category::Finance, 6),
    (Category::Damages, 6),
    (Category::Traffic, 5),
    (Category::LandHousing, 5),
    (Category::Consumer, 4),
    (Category::RealEstate, 3),
    (Category::Medical, 2),
    (Category::Demolition, 2),
    (Category::Ecommerce, 2),
    (Category::Other, 4),
];

const CHANNELS: &[(Channel, u64)] = &[
    (Channel::Window, 30),
    (Channel::Hotline, 25),
    (Channel::Grid, 20),
    (Channel::Online, 10),
    (Channel::Court, 6),
    (Channel::Petition, 4),
    (Channel::Police, 3),
    (Channel::Screening, 2),
];

/// The state a generated case is taken to, with its weight: mostly history, some open work.
const TARGETS: &[(&str, u64)] = &[
    ("archived", 52),
    ("followed_up", 10),
    ("concluded", 8),
    ("in_progress", 12),
    ("dispatched", 5),
    ("accepted", 3),
    ("registered", 4),
    ("rejected", 4),
    ("reopened", 2),
];

fn story(category: Category, dice: &mut Dice) -> (&'static str, &'static str) {
    let stories: &[(&str, &str)] = match category {
        Category::Labor => &[
            ("工地欠薪", "在某建筑工地务工，被拖欠工资三个月，多次讨要未果，要求支付劳动报酬。"),
            ("未签劳动合同", "在某公司工作两年未签劳动合同，被口头辞退，要求经济补偿。"),
        ],
        Category::Neighbor => &[
            ("楼上漏水", "楼上住户卫生间漏水导致天花板发霉，双方协商赔偿未果。"),
            ("楼道堆物", "邻居长期在楼道堆放杂物占用公共通道，多次沟通无果。"),
            ("噪音扰民", "楼下商铺夜间经营噪音扰民，影响老人休息。"),
        ],
        Category::MarriageFamily => &[
            ("赡养纠纷", "老人年迈多病，子女对赡养费用分担发生分歧。"),
            ("抚养费", "离婚后对方长期未支付子女抚养费。"),
            ("遗产继承", "兄弟姐妹对父亲遗留房屋的继承分配发生争执。"),
        ],
        Category::PropertyManagement => &[
            ("电梯故障", "小区电梯频繁故障，物业维修不及时，业主拒交物业费。"),
            ("停车费", "物业公司上调停车费，业主认为未经业主大会同意。"),
        ],
        Category::Contract => &[
            ("租赁违约", "承租人提前退租并拒付违约金和拖欠的租金。"),
            ("货款拖欠", "供货后对方拖欠货款，多次催要未果。"),
        ],
        Category::Finance => &[("民间借贷", "借款有借条约定期满归还，对方至今未还。")],
        Category::Damages => &[
            ("犬只伤人", "邻居家的狗咬伤孩子，双方对医疗费和赔偿有争议。"),
            ("财物损坏", "装修施工损坏相邻房屋外墙，对赔偿金额有分歧。"),
        ],
        Category::Traffic => &[("电动车碰撞", "电动车与小轿车发生碰撞，一方受伤住院，双方对赔偿金额有争议。")],
        Category::LandHousing => &[("宅基地边界", "邻居翻建院墙占用宅基地边界，发生纠纷。")],
        Category::Consumer => &[("预付卡退费", "办理健身预付卡后门店停业，要求退还剩余费用。")],
        Category::RealEstate => &[("逾期交房", "购房户反映开发商逾期交房一年，要求支付违约金。")],
        Category::Medical => &[("术后感染", "家属认为医院手术存在过错导致术后感染，要求赔偿。")],
        Category::Demolition => &[("征收补偿", "对房屋征收补偿款和安置方案不满。")],
        Category::Ecommerce => &[("骑手受伤", "外卖骑手配送途中受伤，平台与站点互相推诿责任。")],
        _ => &[("其他纠纷", "当事人之间的其他民间纠纷，请求中心协调处理。")],
    };
    *dice.pick(stories)
}

/// One generated case and its history before it is written.
struct Plan {
    id: i64,
    number: String,
    status: &'static str,
    channel: Channel,
    category: Category,
    risk: Risk,
    risk_reasons: Vec<String>,
    title: &'static str,
    description: String,
    amount_fen: Option<i64>,
    people: i64,
    region: String,
    level: &'static str,
    owner: i64,
    registering_unit: i64,
    registered_by: i64,
    lead: Option<i64>,
    outcome: Option<&'static str>,
    satisfaction: Option<&'static str>,
    created: DateTime<Utc>,
    contacted: Option<DateTime<Utc>>,
    first_dispatched: Option<DateTime<Utc>>,
    dispatched: Option<DateTime<Utc>>,
    concluded: Option<DateTime<Utc>>,
    followed_up: Option<DateTime<Utc>>,
    rejected: Option<DateTime<Utc>>,
    updated: DateTime<Utc>,
    /// (unit, dispatched, signed, returned, return reason, ended)
    hops: Vec<HopPlan>,
    events: Vec<(DateTime<Utc>, &'static str, &'static str, serde_json::Value)>,
    parties: Vec<PartyPlan>,
    rollups: Vec<(i64, Counts)>,
}

struct HopPlan {
    unit: i64,
    dispatched: DateTime<Utc>,
    signed: Option<DateTime<Utc>>,
    returned: Option<DateTime<Utc>>,
    reason: Option<String>,
    ended: Option<DateTime<Utc>>,
}

struct PartyPlan {
    role: &'static str,
    kind: &'static str,
    name: String,
    id_number: Option<IdNumber>,
    phone: Option<String>,
    credit_code: Option<String>,
}

/// The organisation the generator draws on.
struct Org {
    communities: Vec<String>,
    district_centre: i64,
    street_centres: Vec<i64>,
    sector: HashMap<&'static str, i64>,
    users: HashMap<&'static str, i64>,
}

impl Store {
    /// Writes `count` generated cases registered over the year before `now`. The demo
    /// organisation must be loaded. Reproducible for a given `seed`.
    pub async fn generate_cases(&self, count: usize, seed: u64, now: DateTime<Utc>) -> Result<Generated> {
        let org = self.generator_org().await?;
        let context = self.clock_context().await?;
        let (max_id,): (i64,) =
            self.fetch_one("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM cases", args![]).await?;
        let mut dice = Dice(seed ^ 0x9e37_79b9_7f4a_7c15);
        let mut generated = Generated { first_id: max_id + 1, ..Generated::default() };
        let mut serials: HashMap<(String, i32), i64> = HashMap::new();
        let mut next_id = max_id + 1;
        let mut remaining = count;
        while remaining > 0 {
            let n = remaining.min(BATCH);
            let mut plans = Vec::with_capacity(n);
            for _ in 0..n {
                plans.push(self.plan_case(next_id, &org, &context, &mut dice, &mut serials, now).await?);
                next_id += 1;
            }
            generated.events += plans.iter().map(|p| p.events.len() as u64).sum::<u64>();
            generated.cases += n as u64;
            self.write_plans(&plans, &context, now).await?;
            remaining -= n;
        }
        let mut tx = self.begin().await?;
        for ((region, year), last) in serials {
            tx.execute(
                "INSERT INTO case_number_serials (region, year, last_serial) VALUES ($1, $2, $3)
                 ON CONFLICT (region, year) DO UPDATE SET last_serial = CASE WHEN case_number_serials.last_serial > $3 THEN case_number_serials.last_serial ELSE $3 END",
                args![region, i64::from(year), last],
            )
            .await?;
        }
        for table in ["cases", "parties", "hops"] {
            tx.sequence_reset(table).await?;
        }
        tx.commit().await?;
        Ok(generated)
    }

    async fn generator_org(&self) -> Result<Org> {
        let units = self.units().await?;
        let find = |name: &str| {
            units.iter().find(|u| u.name == name).map(|u| u.id).ok_or_else(|| {
                StoreError::Setup(format!("the generator needs the demo organisation (unit {name} missing)"))
            })
        };
        let regions = self.regions().await?;
        let communities: Vec<String> = regions
            .iter()
            .filter(|r| r.level == "community" && r.code.starts_with("620102"))
            .map(|r| r.code.clone())
            .collect();
        let street_centres = units
            .iter()
            .filter(|u| {
                u.kind == "centre"
                    && u.region_code.starts_with("620102")
                    && u.region_code.ends_with("000")
                    && &u.region_code[6..9] != "000"
            })
            .map(|u| u.id)
            .collect();
        let mut sector = HashMap::new();
        for (category, unit) in [
            ("labor", "城关区劳动人事争议调解中心"),
            ("neighbor", "张掖路街道人民调解委员会"),
            ("marriage_family", "张掖路街道人民调解委员会"),
            ("traffic", "城关区道路交通事故纠纷人民调解委员会"),
            ("property_management", "城关区物业纠纷人民调解委员会"),
            ("medical", "兰州市医疗纠纷人民调解委员会"),
            ("finance", "兰州市金融消费纠纷调解中心"),
        ] {
            sector.insert(category, find(unit)?);
        }
        let users = self.users().await?;
        let mut by_name = HashMap::new();
        for name in ["intake", "district", "street_a", "labor", "mediator", "grid"] {
            let id = users
                .iter()
                .find(|u| u.username == name)
                .map(|u| u.id)
                .ok_or_else(|| StoreError::Setup(format!("the generator needs the demo user {name}")))?;
            by_name.insert(name, id);
        }
        Ok(Org {
            communities,
            district_centre: find("城关区社会治安综合治理中心")?,
            street_centres,
            sector,
            users: by_name,
        })
    }

    async fn plan_case(
        &self,
        id: i64,
        org: &Org,
        context: &ClockContext,
        dice: &mut Dice,
        serials: &mut HashMap<(String, i32), i64>,
        now: DateTime<Utc>,
    ) -> Result<Plan> {
        let category = *dice.weighted(CATEGORIES);
        let channel = *dice.weighted(CHANNELS);
        let target = *dice.weighted(TARGETS);
        // Open cases are recent; history spreads over the year.
        let age_minutes = if matches!(target, "registered" | "accepted" | "dispatched" | "in_progress") {
            dice.below(20 * 24 * 60)
        } else {
            20 * 24 * 60 + dice.below(340 * 24 * 60)
        };
        let created = now - Duration::minutes(age_minutes as i64 + 30);
        let (title, text) = story(category, dice);
        let applicant = dice.name();
        let people = if dice.chance(8) { 5 + dice.below(40) as i64 } else { 1 + dice.below(3) as i64 };
        let amount_fen = dice.chance(70).then(|| (200 + dice.below(200_000) as i64) * 100);
        let threat = dice.chance(2);
        let description = format!("{applicant}反映：{text}{}", if threat { "对方扬言要报复。" } else { "" });
        let mut risk = Risk::None;
        let mut risk_reasons = Vec::new();
        if threat {
            risk = Risk::Red;
            risk_reasons.push("事实中出现报复言辞，有民转刑风险".to_owned());
        } else if people >= 30 {
            risk = Risk::Red;
            risk_reasons.push(format!("涉及 {people} 人，达到群体性事件预警线"));
        } else if people >= 5 {
            risk = Risk::Orange;
            risk_reasons.push(format!("涉及 {people} 人，属群体性纠纷"));
        } else if amount_fen.is_some_and(|a| a >= 10_000_000) {
            risk = Risk::Yellow;
            risk_reasons.push("涉及金额较大".to_owned());
        }
        let region = dice.pick(&org.communities).clone();
        let by_grid = channel == Channel::Grid;
        let (registering_unit, registrar) =
            if by_grid { (org.district_centre, "grid") } else { (org.district_centre, "intake") };
        let year = created.with_timezone(&domain::china_time()).year();
        let serial = serials.entry(("620102".to_owned(), year)).or_insert_with(|| 0);
        if *serial == 0 {
            let existing: Option<(i64,)> = self
                .fetch_optional(
                    "SELECT last_serial FROM case_number_serials WHERE region = '620102' AND year = $1",
                    args![i64::from(year)],
                )
                .await?;
            *serial = existing.map_or(0, |(s,)| s);
        }
        *serial += 1;
        let number = self.options.case_number_format.render(year, "620102", *serial);

        // Repeat parties (the same person again) and clusters against the same employer.
        let person_seed = 1_000_000 + if dice.chance(10) { dice.below(id.max(1) as u64) } else { id as u64 };
        let applicant_party = PartyPlan {
            role: "applicant",
            kind: "person",
            name: applicant,
            id_number: Some(synthetic::id_number(person_seed)),
            phone: Some(format!("1{}{:09}", 3 + person_seed % 7, person_seed * 7919 % 1_000_000_000)),
            credit_code: None,
        };
        let respondent = if matches!(
            category,
            Category::Labor
                | Category::PropertyManagement
                | Category::RealEstate
                | Category::Consumer
                | Category::Ecommerce
                | Category::Medical
        ) {
            let companies = if dice.chance(30) { 5 } else { 400 };
            let company = dice.below(companies);
            PartyPlan {
                role: "respondent",
                kind: "organization",
                name: format!("兰州某{}有限公司{company}", category.as_str()),
                id_number: None,
                phone: None,
                credit_code: Some(synthetic::credit_code(company)),
            }
        } else {
            let seed = id as u64 + 5_000_000;
            PartyPlan {
                role: "respondent",
                kind: "person",
                name: dice.name(),
                id_number: Some(synthetic::id_number(seed)),
                phone: None,
                credit_code: None,
            }
        };

        let mut plan = Plan {
            id,
            number: number.clone(),
            status: "registered",
            channel,
            category,
            risk,
            risk_reasons: risk_reasons.clone(),
            title,
            description,
            amount_fen,
            people,
            region: region.clone(),
            level: "district",
            owner: org.district_centre,
            registering_unit,
            registered_by: org.users[registrar],
            lead: None,
            outcome: None,
            satisfaction: None,
            created,
            contacted: None,
            first_dispatched: None,
            dispatched: None,
            concluded: None,
            followed_up: None,
            rejected: None,
            updated: created,
            hops: Vec::new(),
            events: Vec::new(),
            parties: vec![applicant_party, respondent],
            rollups: Vec::new(),
        };
        plan.events.push((created, registrar, "registered", json!({"number": number, "channel": channel, "category": category, "category_source": "client", "risk": risk, "risk_reasons": risk_reasons, "region_code": region})));
        plan.rollups
            .push((day_of(created), Counts { received: 1, amount_fen: amount_fen.unwrap_or(0), ..Counts::default() }));

        let mut at = created;
        let mut step = |dice: &mut Dice, minutes: u64| {
            at += Duration::minutes(5 + dice.below(minutes) as i64);
            at.min(now - Duration::minutes(1))
        };
        let contact = step(dice, 40);
        plan.contacted = Some(contact);
        plan.events.push((contact, registrar, "contact", json!({"note": "已电话联系申请人"})));
        if target == "registered" {
            return Ok(finish(plan));
        }
        let accepted = step(dice, 300);
        plan.events.push((accepted, "district", "accept", json!({})));
        plan.status = "accepted";
        if target == "rejected" {
            plan.status = "rejected";
            plan.rejected = Some(accepted);
            plan.events.pop();
            plan.events.push((accepted, "district", "reject", json!({"reason": "不属于矛盾纠纷调处范围"})));
            if dice.chance(50) {
                let archived = step(dice, 600);
                plan.status = "archived";
                plan.events.push((archived, "district", "archive", json!({})));
            }
            return Ok(finish(plan));
        }
        if target == "accepted" {
            return Ok(finish(plan));
        }
        let (lead, handler) = match org.sector.get(category.as_str()) {
            Some(unit) if dice.chance(60) => (*unit, if category == Category::Labor { "labor" } else { "mediator" }),
            _ => (*dice.pick(&org.street_centres), "street_a"),
        };
        // Some first dispatches go to the wrong unit and come back (first-time-right < 100 %).
        if dice.chance(12) {
            let wrong = *dice.pick(&org.street_centres);
            let sent = step(dice, 600);
            plan.events.push((
                sent,
                "district",
                "dispatch",
                json!({"unit_id": wrong, "assist_unit_ids": [], "first": true}),
            ));
            plan.rollups.push((day_of(sent), Counts { first_dispatched: 1, ..Counts::default() }));
            plan.first_dispatched = Some(sent);
            let back = step(dice, 600);
            plan.events.push((back, "street_a", "return", json!({"reason": "不属于本单位职责范围"})));
            plan.hops.push(HopPlan {
                unit: wrong,
                dispatched: sent,
                signed: None,
                returned: Some(back),
                reason: Some("不属于本单位职责范围".into()),
                ended: Some(back),
            });
        }
        let sent = step(dice, 600);
        let first = plan.first_dispatched.is_none();
        plan.events.push((
            sent,
            "district",
            "dispatch",
            json!({"unit_id": lead, "assist_unit_ids": [], "first": first}),
        ));
        if first {
            plan.rollups.push((day_of(sent), Counts { first_dispatched: 1, ..Counts::default() }));
            plan.first_dispatched = Some(sent);
        }
        plan.dispatched = Some(sent);
        plan.lead = Some(lead);
        plan.status = "dispatched";
        plan.updated = sent;
        plan.hops.push(HopPlan {
            unit: lead,
            dispatched: sent,
            signed: None,
            returned: None,
            reason: None,
            ended: None,
        });
        if target == "dispatched" {
            return Ok(finish(plan));
        }
        let signed = step(dice, 300);
        let first_time_right = plan.hops.len() == 1;
        plan.events.push((signed, handler, "sign", json!({"first_time_right": first_time_right})));
        if first_time_right && let Some(at) = plan.first_dispatched {
            plan.rollups.push((day_of(at), Counts { first_time_right: 1, ..Counts::default() }));
        }
        plan.hops.last_mut().expect("a hop was opened").signed = Some(signed);
        plan.status = "in_progress";
        if target == "in_progress" {
            return Ok(finish(plan));
        }
        let concluded = step(dice, 9 * 24 * 60);
        let outcome = *dice.weighted(&[("resolved", 82), ("unresolved", 10), ("withdrawn", 5), ("refused", 3)]);
        let policy = context.policy(category, channel, risk);
        let china = |t: DateTime<Utc>| t.with_timezone(&domain::china_time()).date_naive();
        let due = context.calendar.add_working_days(china(sent), policy.conclude_working_days as u32).date;
        let data = json!({
            "outcome": outcome, "summary": "经调解，双方达成一致。",
            "on_time": china(concluded) <= due,
            "handling_working_days": context.calendar.working_days_between(china(sent), china(concluded)),
        });
        plan.rollups.push((day_of(concluded), conclusion_counts(&data)));
        plan.events.push((concluded, handler, "conclude", data));
        plan.hops.last_mut().expect("a hop was opened").ended = Some(concluded);
        plan.concluded = Some(concluded);
        plan.outcome = Some(outcome);
        plan.status = "concluded";
        if target == "concluded" {
            return Ok(finish(plan));
        }
        let visited = step(dice, 8 * 24 * 60);
        let satisfaction = if target == "reopened" {
            "dissatisfied"
        } else {
            *dice.weighted(&[("satisfied", 80), ("basically_satisfied", 15), ("dissatisfied", 5)])
        };
        let mut data = json!({"satisfaction": satisfaction, "note": "回访当事人"});
        let satisfied = i64::from(satisfaction != "dissatisfied");
        plan.rollups.push((day_of(visited), Counts { rated: 1, satisfied, ..Counts::default() }));
        plan.satisfaction = Some(satisfaction);
        if satisfaction == "dissatisfied" {
            data["reopened"] = json!(true);
            plan.events.push((visited, "district", "follow_up", data));
            plan.status = "in_progress";
            plan.outcome = None;
            plan.concluded = None;
            return Ok(finish(plan));
        }
        plan.events.push((visited, "district", "follow_up", data));
        plan.followed_up = Some(visited);
        plan.status = "followed_up";
        if target == "archived" {
            let archived = step(dice, 24 * 60);
            plan.events.push((archived, "district", "archive", json!({})));
            plan.status = "archived";
        }
        Ok(finish(plan))
    }

    /// Writes one batch of plans in one transaction with multi-row inserts.
    async fn write_plans(&self, plans: &[Plan], context: &ClockContext, now: DateTime<Utc>) -> Result<()> {
        let mut cases = Vec::with_capacity(plans.len());
        let mut parties = Vec::new();
        let mut events = Vec::new();
        let mut hops = Vec::new();
        let mut units = Vec::new();
        let mut rollups: HashMap<(i64, String), Counts> = HashMap::new();
        let mut breakdowns: HashMap<(i64, String, &str, &str), i64> = HashMap::new();
        for p in plans {
            let mut previous = GENESIS.to_owned();
            for (seq, (at, actor, action, data)) in p.events.iter().enumerate() {
                let data = data.to_string();
                let at_ms = to_ms(*at);
                let hash = event_hash(
                    &previous,
                    EventFields { case_id: p.id, seq: seq as i64 + 1, at_ms, actor, action, data: &data },
                );
                events.push(args![p.id, seq as i64 + 1, at_ms, *actor, *action, data, hash.clone()]);
                previous = hash;
            }
            let clock = ClockRow {
                id: p.id,
                number: p.number.clone(),
                status: p.status.to_owned(),
                category: p.category.as_str().to_owned(),
                channel: p.channel.as_str().to_owned(),
                risk: p.risk.as_str().to_owned(),
                description: String::new(),
                created_at: to_ms(p.created),
                contacted_at: p.contacted.map(to_ms),
                first_dispatched_at: p.first_dispatched.map(to_ms),
                dispatched_at: p.dispatched.map(to_ms),
                concluded_at: p.concluded.map(to_ms),
                followed_up_at: p.followed_up.map(to_ms),
                rejected_at: p.rejected.map(to_ms),
                extension_days: Some(0),
                lead_unit_id: p.lead,
                owner_unit_id: Some(p.owner),
                registering_unit_id: p.registering_unit,
            };
            let d = clock.deadline_columns(context, now);
            let updated = p.events.last().map_or(p.created, |e| e.0);
            cases.push(args![
                p.id,
                p.number.clone(),
                p.events.len() as i64,
                p.status,
                p.channel.as_str(),
                p.category.as_str(),
                "client",
                p.risk.as_str(),
                json!(p.risk_reasons).to_string(),
                Some(p.title),
                p.description.clone(),
                p.amount_fen,
                p.people,
                None::<String>,
                p.region.clone(),
                p.level,
                json!({"unit_id": p.owner, "level": p.level, "reasons": ["属地：由登记单位所在层级（区县）受理"]})
                    .to_string(),
                p.lead,
                p.owner,
                p.registering_unit,
                p.registered_by,
                p.outcome,
                p.outcome.map(|_| "经调解，双方达成一致。"),
                p.satisfaction,
                p.contacted.map(to_ms),
                p.first_dispatched.map(to_ms),
                p.dispatched.map(to_ms),
                p.rejected.map(to_ms),
                p.concluded.map(to_ms),
                p.followed_up.map(to_ms),
                d.respond_by,
                d.dispatch_by,
                d.conclude_by,
                d.follow_up_by,
                d.next_due_at,
                d.next_notice_at,
                d.provisional,
                to_ms(p.created),
                to_ms(updated),
                p.events.len() as i64,
                previous,
            ]);
            for (position, party) in p.parties.iter().enumerate() {
                let id = party.id_number.as_ref();
                parties.push(args![
                    p.id,
                    position as i64,
                    party.role,
                    party.kind,
                    party.name.clone(),
                    if party.kind == "organization" { crate::cases::address_key(&party.name) } else { String::new() },
                    id.map(|i| self.crypto.encrypt(i.as_str())),
                    id.map(|i| self.crypto.blind_index(i.as_str())),
                    id.map(|i| i.masked()),
                    party.credit_code.clone(),
                    party.phone.as_deref().map(|x| self.crypto.encrypt(x)),
                    party.phone.as_deref().map(|x| self.crypto.blind_index(x)),
                    party.phone.as_deref().map(domain::contact::mask_phone),
                ]);
            }
            for hop in &p.hops {
                let times = [Some(hop.dispatched), hop.signed, hop.returned].map(|t| t.map(to_ms));
                hops.push(args![
                    p.id,
                    hop.unit,
                    "[]",
                    p.registered_by,
                    times[0],
                    times[1],
                    times[2],
                    hop.reason.clone(),
                    hop.ended.map(to_ms)
                ]);
            }
            if let Some(lead) = p.lead.filter(|_| !matches!(p.status, "accepted" | "registered" | "rejected")) {
                units.push(args![p.id, lead, "lead"]);
            }
            for (day, counts) in &p.rollups {
                rollups.entry((*day, p.region.clone())).or_default().add(counts);
            }
            for (dimension, value) in
                [("category", p.category.as_str()), ("channel", p.channel.as_str()), ("risk", p.risk.as_str())]
            {
                *breakdowns.entry((day_of(p.created), p.region.clone(), dimension, value)).or_default() += 1;
            }
        }
        let mut tx = self.begin().await?;
        tx.insert_rows("cases", CASE_INSERT_COLUMNS, cases, "").await?;
        tx.insert_rows("parties", "case_id, position, role, kind, name, name_key, id_number_cipher, id_number_index, id_number_masked, credit_code, phone_cipher, phone_index, phone_masked", parties, "").await?;
        tx.insert_rows("case_events", "case_id, seq, at, actor, action, data, hash", events, "").await?;
        tx.insert_rows("hops", "case_id, unit_id, assist_unit_ids, dispatched_by, dispatched_at, signed_at, returned_at, return_reason, ended_at", hops, "").await?;
        tx.insert_rows("case_units", "case_id, unit_id, role", units, "").await?;
        let columns = Counts::COLUMNS.join(", ");
        let updates: Vec<String> =
            Counts::COLUMNS.iter().map(|c| format!("{c} = rollup_days.{c} + excluded.{c}")).collect();
        let rows = rollups
            .into_iter()
            .map(|((day, region), counts)| {
                let mut row = args![day, region];
                row.extend(counts.values().into_iter().map(Into::into));
                row
            })
            .collect();
        let upsert = format!("ON CONFLICT (day, region_code) DO UPDATE SET {}", updates.join(", "));
        tx.insert_rows("rollup_days", &format!("day, region_code, {columns}"), rows, &upsert).await?;
        let rows = breakdowns
            .into_iter()
            .map(|((day, region, dimension, value), received)| args![day, region, dimension, value, received])
            .collect();
        let upsert = "ON CONFLICT (day, region_code, dimension, value) DO UPDATE SET received = rollup_breakdowns.received + excluded.received";
        tx.insert_rows("rollup_breakdowns", "day, region_code, dimension, value, received", rows, upsert).await?;
        tx.commit().await
    }
}

const CASE_INSERT_COLUMNS: &str = "id, number, version, status, channel, category, category_source, risk, risk_reasons, title, description, amount_fen,
    people_count, address, region_code, level, routing, lead_unit_id, owner_unit_id, registering_unit_id, registered_by, outcome, summary, satisfaction,
    contacted_at, first_dispatched_at, dispatched_at, rejected_at, concluded_at, followed_up_at, respond_by, dispatch_by, conclude_by, follow_up_by,
    next_due_at, next_notice_at, deadlines_provisional, created_at, updated_at, event_seq, event_hash";

fn finish(mut plan: Plan) -> Plan {
    plan.updated = plan.events.last().map_or(plan.created, |e| e.0);
    if plan.status == "in_progress"
        && let Some(hop) = plan.hops.last_mut()
    {
        // Reopened after a dissatisfied follow-up: the hop goes on.
        hop.ended = None;
    }
    plan
}
