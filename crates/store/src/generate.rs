//! The realistic data generator: cases straight into the store, in batches, with everything a
//! case registered and handled through the API would have — parties with valid, encrypted ID
//! numbers, repeat parties and clusters against the same respondent, hash-chained histories,
//! hops, deadlines and statistics rollups — seeded and reproducible. The bench harness measures
//! against it, and its batch writer is the "raw store limit" the API's intake is compared with.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, Utc};
use domain::case::{Category, Channel, NewParty, Outcome, PartyKind, PartyRole, Risk, Status};
use domain::contact::Phone;
use domain::identity::CreditCode;
use domain::org::RegionLevel;
use domain::workflow::Satisfaction;
use serde_json::json;

use crate::calendar::ClockContext;
use crate::cases::{CaseHistory, CaseRecord, EventRecord, HopRecord};
use crate::synthetic::{self, Dice};
use crate::{Result, Store, StoreError};

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
        let max_id = self.case_id_max().await?;
        let mut dice = Dice(seed ^ 0x9e37_79b9_7f4a_7c15);
        let mut generated = Generated { first_id: max_id + 1, ..Generated::default() };
        let mut serials: HashMap<(String, i32), i64> = HashMap::new();
        let mut next_id = max_id + 1;
        let mut remaining = count;
        while remaining > 0 {
            let n = remaining.min(BATCH);
            let mut cases = Vec::with_capacity(n);
            for _ in 0..n {
                cases.push(self.plan_case(next_id, &org, &context, &mut dice, &mut serials, now).await?);
                next_id += 1;
            }
            generated.events += cases.iter().map(|c| c.events.len() as u64).sum::<u64>();
            generated.cases += n as u64;
            self.cases_write(&cases, now).await?;
            remaining -= n;
        }
        let serials: Vec<(String, i32, i64)> =
            serials.into_iter().map(|((county, year), last)| (county, year, last)).collect();
        self.cases_write_finish(&serials).await?;
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
    ) -> Result<CaseHistory> {
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
        let registrar = if channel == Channel::Grid { "grid" } else { "intake" };
        let year = created.with_timezone(&domain::china_time()).year();
        let serial = serials.entry(("620102".to_owned(), year)).or_insert(0);
        if *serial == 0 {
            *serial = self.case_number_serial("620102", year).await?;
        }
        *serial += 1;
        let number = self.case_number_format().render(year, "620102", *serial);

        // Repeat parties (the same person again) and clusters against the same employer.
        let person_seed = 1_000_000 + if dice.chance(10) { dice.below(id.max(1) as u64) } else { id as u64 };
        let phone = format!("1{}{:09}", 3 + person_seed % 7, person_seed * 7919 % 1_000_000_000);
        let applicant_party = NewParty {
            role: PartyRole::Applicant,
            kind: PartyKind::Person,
            name: applicant,
            id_number: Some(synthetic::id_number(person_seed)),
            credit_code: None,
            phone: Some(Phone::parse(&phone).expect("synthetic phone numbers are valid")),
            address: None,
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
            NewParty {
                role: PartyRole::Respondent,
                kind: PartyKind::Organization,
                name: format!("兰州某{}有限公司{company}", category.as_str()),
                id_number: None,
                credit_code: Some(
                    CreditCode::parse(&synthetic::credit_code(company)).expect("synthetic credit codes are valid"),
                ),
                phone: None,
                address: None,
            }
        } else {
            let seed = id as u64 + 5_000_000;
            NewParty {
                role: PartyRole::Respondent,
                kind: PartyKind::Person,
                name: dice.name(),
                id_number: Some(synthetic::id_number(seed)),
                credit_code: None,
                phone: None,
                address: None,
            }
        };

        let registered = event(
            created,
            registrar,
            "registered",
            json!({"number": number, "channel": channel, "category": category, "category_source": "client", "risk": risk, "risk_reasons": risk_reasons, "region_code": region}),
        );
        let mut plan = CaseHistory {
            id,
            case: CaseRecord {
                number,
                version: 1,
                status: Status::Registered,
                channel,
                category,
                category_source: "client".to_owned(),
                category_suggestion: None,
                risk,
                risk_reasons,
                emergency: None,
                title: Some(title.to_owned()),
                description,
                amount_fen,
                people_count: people,
                occurred_at: None,
                address: None,
                region_code: region,
                grid_id: None,
                level: RegionLevel::District,
                routing: json!({"unit_id": org.district_centre, "level": "district", "reasons": ["属地：由登记单位所在层级（区县）受理"]}),
                registering_unit_id: org.district_centre,
                registered_by: org.users[registrar],
                owner_unit_id: org.district_centre,
                external_ref: None,
                lead_unit_id: None,
                outcome: None,
                summary: None,
                satisfaction: None,
                created_at: created,
                contacted_at: None,
                first_dispatched_at: None,
                dispatched_at: None,
                rejected_at: None,
                concluded_at: None,
                followed_up_at: None,
            },
            parties: vec![applicant_party, respondent],
            events: vec![registered],
            hops: Vec::new(),
            assigned: Vec::new(),
        };
        let case = &mut plan.case;
        let events = &mut plan.events;
        let hops = &mut plan.hops;

        let mut at = created;
        let mut step = |dice: &mut Dice, minutes: u64| {
            at += Duration::minutes(5 + dice.below(minutes) as i64);
            at.min(now - Duration::minutes(1))
        };
        let contact = step(dice, 40);
        case.contacted_at = Some(contact);
        events.push(event(contact, registrar, "contact", json!({"note": "已电话联系申请人"})));
        if target == "registered" {
            return Ok(finish(plan));
        }
        let accepted = step(dice, 300);
        if target == "rejected" {
            case.status = Status::Rejected;
            case.rejected_at = Some(accepted);
            events.push(event(accepted, "district", "reject", json!({"reason": "不属于矛盾纠纷调处范围"})));
            if dice.chance(50) {
                let archived = step(dice, 600);
                case.status = Status::Archived;
                events.push(event(archived, "district", "archive", json!({})));
            }
            return Ok(finish(plan));
        }
        events.push(event(accepted, "district", "accept", json!({})));
        case.status = Status::Accepted;
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
            events.push(event(
                sent,
                "district",
                "dispatch",
                json!({"unit_id": wrong, "assist_unit_ids": [], "first": true}),
            ));
            case.first_dispatched_at = Some(sent);
            let back = step(dice, 600);
            events.push(event(back, "street_a", "return", json!({"reason": "不属于本单位职责范围"})));
            hops.push(HopRecord {
                unit_id: wrong,
                assist_unit_ids: Vec::new(),
                dispatched_by: case.registered_by,
                dispatched_at: sent,
                signed_at: None,
                returned_at: Some(back),
                return_reason: Some("不属于本单位职责范围".into()),
                ended_at: Some(back),
            });
        }
        let sent = step(dice, 600);
        let first = case.first_dispatched_at.is_none();
        events.push(event(
            sent,
            "district",
            "dispatch",
            json!({"unit_id": lead, "assist_unit_ids": [], "first": first}),
        ));
        case.first_dispatched_at.get_or_insert(sent);
        case.dispatched_at = Some(sent);
        case.lead_unit_id = Some(lead);
        case.status = Status::Dispatched;
        hops.push(HopRecord {
            unit_id: lead,
            assist_unit_ids: Vec::new(),
            dispatched_by: case.registered_by,
            dispatched_at: sent,
            signed_at: None,
            returned_at: None,
            return_reason: None,
            ended_at: None,
        });
        if target == "dispatched" {
            return Ok(finish(plan));
        }
        let signed = step(dice, 300);
        let first_time_right = hops.len() == 1;
        events.push(event(signed, handler, "sign", json!({"first_time_right": first_time_right})));
        hops.last_mut().expect("a hop was opened").signed_at = Some(signed);
        case.status = Status::InProgress;
        if target == "in_progress" {
            return Ok(finish(plan));
        }
        let concluded = step(dice, 9 * 24 * 60);
        let outcome = *dice.weighted(&[
            (Outcome::Resolved, 82),
            (Outcome::Unresolved, 10),
            (Outcome::Withdrawn, 5),
            (Outcome::Refused, 3),
        ]);
        let policy = context.policy(category, channel, risk);
        let china = |t: DateTime<Utc>| t.with_timezone(&domain::china_time()).date_naive();
        let due = context.calendar.add_working_days(china(sent), policy.conclude_working_days as u32).date;
        let summary = "经调解，双方达成一致。";
        events.push(event(
            concluded,
            handler,
            "conclude",
            json!({
                "outcome": outcome, "summary": summary,
                "on_time": china(concluded) <= due,
                "handling_working_days": context.calendar.working_days_between(china(sent), china(concluded)),
            }),
        ));
        hops.last_mut().expect("a hop was opened").ended_at = Some(concluded);
        case.concluded_at = Some(concluded);
        case.outcome = Some(outcome);
        case.summary = Some(summary.to_owned());
        case.status = Status::Concluded;
        if target == "concluded" {
            return Ok(finish(plan));
        }
        let visited = step(dice, 8 * 24 * 60);
        let satisfaction = if target == "reopened" {
            Satisfaction::Dissatisfied
        } else {
            *dice.weighted(&[
                (Satisfaction::Satisfied, 80),
                (Satisfaction::BasicallySatisfied, 15),
                (Satisfaction::Dissatisfied, 5),
            ])
        };
        let mut data = json!({"satisfaction": satisfaction, "note": "回访当事人"});
        case.satisfaction = Some(satisfaction);
        if satisfaction == Satisfaction::Dissatisfied {
            // Reopened after a dissatisfied follow-up: the hop goes on.
            data["reopened"] = json!(true);
            events.push(event(visited, "district", "follow_up", data));
            case.status = Status::InProgress;
            case.outcome = None;
            case.summary = None;
            case.concluded_at = None;
            hops.last_mut().expect("a hop was opened").ended_at = None;
            return Ok(finish(plan));
        }
        events.push(event(visited, "district", "follow_up", data));
        case.followed_up_at = Some(visited);
        case.status = Status::FollowedUp;
        if target == "archived" {
            let archived = step(dice, 24 * 60);
            events.push(event(archived, "district", "archive", json!({})));
            case.status = Status::Archived;
        }
        Ok(finish(plan))
    }
}

fn event(at: DateTime<Utc>, actor: &str, action: &str, data: serde_json::Value) -> EventRecord {
    EventRecord { at, actor: actor.to_owned(), action: action.to_owned(), data }
}

/// Every event is a state change of a generated case; the lead unit, once dispatched, is assigned.
fn finish(mut plan: CaseHistory) -> CaseHistory {
    plan.case.version = plan.events.len() as i64;
    plan.assigned = plan.case.lead_unit_id.map(|lead| (lead, "lead")).into_iter().collect();
    plan
}
