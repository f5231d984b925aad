//! The demo data set (CONTRACT.md "Demo data"): Lanzhou with its real GB/T 2260 codes,
//! plausible streets, communities and grids, units of every kind, the demo users, and a few
//! hundred cases in every state — each built through the same registration and workflow code
//! as real cases, so their histories verify.

use chrono::{DateTime, Duration, Utc};
use domain::case::{CaseRegistration, Category, Outcome};
use domain::org::{RegionCode, Role, UnitKind};
use domain::workflow::{Command, Satisfaction};
use serde_json::json;

use crate::org::{NewRegion, NewUnit};
use crate::sql::args;
use crate::synthetic::{self, Dice};
use crate::{Result, Store, StoreError, Viewer};
use triage::routing::{CatalogueEntry, CatalogueRole};

/// Every demo user's password.
pub const DEMO_PASSWORD: &str = "fengqiao-demo";

/// Regions: code, name, short name. The city and its districts carry their real codes.
const REGIONS: &[(&str, &str, Option<&str>)] = &[
    ("620000000000", "甘肃省", Some("甘肃")),
    ("620100000000", "兰州市", Some("兰州")),
    ("620102000000", "城关区", Some("城关")),
    ("620103000000", "七里河区", Some("七里河")),
    ("620104000000", "西固区", Some("西固")),
    ("620105000000", "安宁区", Some("安宁")),
    ("620111000000", "红古区", Some("红古")),
    ("620121000000", "永登县", Some("永登")),
    ("620122000000", "皋兰县", Some("皋兰")),
    ("620123000000", "榆中县", Some("榆中")),
    ("620102002000", "张掖路街道", Some("张掖路")),
    ("620102002001", "中山林社区", None),
    ("620102002002", "金塔巷社区", None),
    ("620102002003", "大众巷社区", None),
    ("620102003000", "酒泉路街道", Some("酒泉路")),
    ("620102003001", "秦安路社区", None),
    ("620102010000", "雁南街道", Some("雁南")),
    ("620102010001", "雁园社区", None),
    ("620103001000", "西园街道", Some("西园")),
    ("620103001001", "西园社区", None),
    ("620103001002", "彭家坪社区", None),
    ("620103002000", "西湖街道", Some("西湖")),
    ("620103002001", "西湖社区", None),
    ("620104001000", "陈坪街道", Some("陈坪")),
    ("620105001000", "培黎街道", Some("培黎")),
];

/// The demo users (CONTRACT.md): username, display name, role, unit key.
const USERS: &[(&str, &str, Role, &str)] = &[
    ("admin", "系统管理员", Role::Admin, "city_centre"),
    ("city", "市中心调度员", Role::Dispatcher, "city_centre"),
    ("district", "城关区调度员", Role::Dispatcher, "district_a_centre"),
    ("leader", "城关区中心主任", Role::Leader, "district_a_centre"),
    ("intake", "城关区窗口受理员", Role::Intake, "district_a_centre"),
    ("street_a", "张掖路街道承办人", Role::Handler, "street_a1_centre"),
    ("street_b", "西园街道承办人", Role::Handler, "street_b1_centre"),
    ("mediator", "张掖路人民调解员", Role::Mediator, "street_a1_committee"),
    ("labor", "城关区劳动争议调解员", Role::Handler, "district_a_labor"),
    ("grid", "中山林社区网格员", Role::GridWorker, "grid_a1_station"),
    ("court", "城关区法院联络员", Role::Court, "district_a_court"),
];

/// Loads the demo data if the database holds no users yet. Returns whether it loaded.
pub async fn load_if_empty(store: &Store, now: DateTime<Utc>) -> Result<bool> {
    let (users,): (i64,) = store.fetch_one("SELECT COUNT(*) FROM users", args![]).await?;
    if users > 0 {
        return Ok(false);
    }
    let units = load_organisation(store, now).await?;
    cases(store, &units, now).await?;
    Ok(true)
}

/// The organisation and the demo users without any case: what tests start from.
pub async fn load_organisation(store: &Store, now: DateTime<Utc>) -> Result<Units> {
    let units = organisation(store).await?;
    catalogue(store).await?;
    for (username, display, role, unit_key) in USERS {
        let unit_id = units.id(unit_key)?;
        let user = store.user_create(username, display, *role, unit_id, DEMO_PASSWORD, now).await?;
        if *role == Role::Mediator {
            // The registry: what the mediator is known for beyond the committee's fields.
            store
                .mediator_profile_put(
                    user,
                    &["neighbor", "marriage_family", "land_housing", "damages"],
                    "普通话 兰州话",
                )
                .await?;
        }
    }
    Ok(units)
}

/// Unit ids by the keys the demo uses (`street_a1_centre`, `district_a_labor` …).
pub struct Units(Vec<(&'static str, i64)>);

impl Units {
    pub fn id(&self, key: &str) -> Result<i64> {
        self.0
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, id)| *id)
            .ok_or_else(|| StoreError::Setup(format!("demo unit {key} missing")))
    }
}

async fn organisation(store: &Store) -> Result<Units> {
    for (code, name, short) in REGIONS {
        let code = region(code);
        store.region_create(NewRegion { code: &code, name, short_name: *short }).await?;
    }
    let mut grids = Vec::new();
    for (code, name, _) in REGIONS.iter().filter(|(c, _, _)| region(c).level() == domain::org::RegionLevel::Community) {
        for serial in 1..=2 {
            let grid = store
                .grid_create(&format!("{code}{serial:03}"), &format!("{name}第{serial}网格"), &region(code))
                .await?;
            grids.push((*code, grid));
        }
    }
    let grid_a1 = grids.iter().find(|(c, _)| *c == "620102002001").map(|(_, g)| *g);

    // key, name, kind, region, categories
    let plan: &[(&str, &str, UnitKind, &str, &[&str])] = &[
        ("city_centre", "兰州市社会治安综合治理中心", UnitKind::Centre, "620100000000", &[]),
        ("district_a_centre", "城关区社会治安综合治理中心", UnitKind::Centre, "620102000000", &[]),
        ("district_b_centre", "七里河区社会治安综合治理中心", UnitKind::Centre, "620103000000", &[]),
        ("xigu_centre", "西固区社会治安综合治理中心", UnitKind::Centre, "620104000000", &[]),
        ("anning_centre", "安宁区社会治安综合治理中心", UnitKind::Centre, "620105000000", &[]),
        ("street_a1_centre", "张掖路街道综治中心", UnitKind::Centre, "620102002000", &[]),
        ("street_a2_centre", "酒泉路街道综治中心", UnitKind::Centre, "620102003000", &[]),
        ("street_a3_centre", "雁南街道综治中心", UnitKind::Centre, "620102010000", &[]),
        ("street_b1_centre", "西园街道综治中心", UnitKind::Centre, "620103001000", &[]),
        ("street_b2_centre", "西湖街道综治中心", UnitKind::Centre, "620103002000", &[]),
        ("community_a1_centre", "中山林社区综治中心", UnitKind::Centre, "620102002001", &[]),
        ("grid_a1_station", "中山林社区第1网格工作站", UnitKind::Grid, "620102002001", &[]),
        (
            "street_a1_committee",
            "张掖路街道人民调解委员会",
            UnitKind::MediationCommittee,
            "620102002000",
            &["neighbor", "marriage_family", "land_housing", "damages", "other"],
        ),
        (
            "street_b1_committee",
            "西园街道人民调解委员会",
            UnitKind::MediationCommittee,
            "620103001000",
            &["neighbor", "marriage_family"],
        ),
        ("district_a_labor", "城关区劳动人事争议调解中心", UnitKind::IndustryMediation, "620102000000", &["labor"]),
        ("district_a_hrss", "城关区人力资源和社会保障局", UnitKind::Department, "620102000000", &["labor"]),
        (
            "district_a_housing",
            "城关区住房和城乡建设局",
            UnitKind::Department,
            "620102000000",
            &["real_estate", "property_management", "demolition", "land_housing"],
        ),
        ("district_a_justice", "城关区司法局", UnitKind::Department, "620102000000", &[]),
        ("street_a1_justice", "张掖路司法所", UnitKind::Department, "620102002000", &["marriage_family", "neighbor"]),
        ("district_a_women", "城关区妇女联合会", UnitKind::Department, "620102000000", &["marriage_family"]),
        (
            "district_a_market",
            "城关区市场监督管理局",
            UnitKind::Department,
            "620102000000",
            &["consumer", "ecommerce", "tourism", "intellectual_property"],
        ),
        ("district_a_petition", "城关区信访局", UnitKind::PetitionOffice, "620102000000", &[]),
        ("street_a1_police", "兰州市公安局城关分局张掖路派出所", UnitKind::Police, "620102002000", &[]),
        ("district_a_court", "兰州市城关区人民法院", UnitKind::Court, "620102000000", &[]),
        (
            "district_a_traffic",
            "城关区道路交通事故纠纷人民调解委员会",
            UnitKind::IndustryMediation,
            "620102000000",
            &["traffic"],
        ),
        ("city_medical", "兰州市医疗纠纷人民调解委员会", UnitKind::IndustryMediation, "620100000000", &["medical"]),
        (
            "district_a_property",
            "城关区物业纠纷人民调解委员会",
            UnitKind::IndustryMediation,
            "620102000000",
            &["property_management"],
        ),
        ("city_finance", "兰州市金融消费纠纷调解中心", UnitKind::IndustryMediation, "620100000000", &["finance"]),
        (
            "street_a1_brand_room",
            "老马调解工作室",
            UnitKind::BrandRoom,
            "620102002000",
            &["neighbor", "marriage_family"],
        ),
    ];
    let mut units = Vec::new();
    for (key, name, kind, code, categories) in plan {
        let code = region(code);
        let parent = match code.parent() {
            Some(parent) => store.centre_of(&parent).await?.map(|u| u.id),
            None => None,
        };
        let grid_id = (*kind == UnitKind::Grid).then_some(grid_a1).flatten();
        let id = store
            .unit_create(NewUnit { name, kind: *kind, region_code: &code, parent_id: parent, categories, grid_id })
            .await?;
        units.push((*key, id));
    }
    Ok(Units(units))
}

/// The routing catalogue from the units' sectors: professional mediation organisations lead the
/// cases of their field in their area, departments assist.
async fn catalogue(store: &Store) -> Result<()> {
    let mut entries = Vec::new();
    for unit in store.units().await? {
        let Ok(code) = RegionCode::parse(&unit.region_code) else { continue };
        let role = match unit.kind.as_str() {
            "industry_mediation" | "mediation_committee" => CatalogueRole::Lead,
            _ => CatalogueRole::Assist,
        };
        for category in unit.categories.split_whitespace().filter_map(Category::parse) {
            entries.push(CatalogueEntry {
                category,
                region_prefix: Some(code.significant().to_owned()),
                unit_id: unit.id,
                role,
                note: None,
            });
        }
    }
    store.routing_catalogue_put(entries).await
}

fn region(code: &str) -> RegionCode {
    RegionCode::parse(code).expect("demo region codes are valid")
}

/// Dispute stories: category, description with `{a}` (applicant) and `{r}` (respondent),
/// whether the respondent is an organisation, amount in yuan, people involved.
const STORIES: &[(&str, &str, bool, u32, i64)] = &[
    ("labor", "{a}等人在{r}承建的工地务工，工程完工后被拖欠工资三个月，多次讨要未果。", true, 22800, 1),
    ("labor", "{a}在{r}从事保洁工作两年，公司未签劳动合同也未缴纳社保，现被口头辞退，要求经济补偿。", true, 15600, 1),
    ("labor", "十余名农民工反映{r}拖欠劳务费，临近春节情绪激动，聚集在项目部讨薪。", true, 186000, 12),
    ("neighbor", "{a}家楼上{r}装修期间卫生间漏水，导致{a}家天花板发霉，双方多次协商未果。", false, 3500, 2),
    ("neighbor", "{a}与邻居{r}因楼道堆放杂物、占用公共通道发生争吵，影响其他住户通行。", false, 0, 2),
    ("neighbor", "{a}反映楼下{r}经营的烧烤店夜间噪音和油烟扰民，影响老人休息。", false, 0, 3),
    ("marriage_family", "{a}与{r}系母子关系，{a}年迈多病，{r}等子女对赡养费用分担有分歧。", false, 12000, 4),
    ("marriage_family", "{a}与{r}离婚后因子女抚养费支付问题产生纠纷，{r}已半年未支付。", false, 9000, 2),
    ("marriage_family", "{a}与兄弟{r}因父亲遗产房屋继承分配问题发生争执。", false, 450000, 3),
    ("property_management", "{a}所在小区电梯频繁故障，物业公司{r}维修不及时，业主拒交物业费。", true, 2400, 30),
    ("property_management", "{r}物业公司上调停车费，{a}等业主认为未经业主大会同意。", true, 0, 8),
    ("traffic", "{a}驾驶电动车与{r}驾驶的小轿车发生碰撞，{a}腿部受伤住院，双方对赔偿金额有争议。", false, 36000, 2),
    ("traffic", "{a}的车辆在路口被{r}追尾，交警认定{r}全责，保险理赔金额双方未达成一致。", false, 8700, 2),
    ("medical", "{a}家属认为{r}在手术中存在过错，导致{a}术后感染，要求医院赔偿。", true, 120000, 3),
    ("consumer", "{a}在{r}办理健身预付卡后门店停业，要求退还剩余费用。", true, 4800, 1),
    ("consumer", "{a}在{r}购买的冰箱出现质量问题，商家拒绝退换。", true, 3299, 1),
    ("finance", "{a}借给{r}款项并有借条，约定期满归还，{r}至今未还。", false, 50000, 2),
    ("contract", "{a}与{r}签订房屋租赁合同，{r}提前退租并拒付违约金和拖欠的租金。", false, 18000, 2),
    ("real_estate", "{a}等购房户反映{r}开发的商品房逾期交房一年，要求支付违约金。", true, 300000, 25),
    ("land_housing", "{a}与邻居{r}因院墙翻建占用宅基地边界发生纠纷。", false, 0, 2),
    ("demolition", "{a}对{r}给出的房屋征收补偿款和安置方案不满。", true, 680000, 5),
    ("damages", "{r}家的狗咬伤{a}的孩子，双方对医疗费和赔偿有争议。", false, 6500, 2),
    ("ecommerce", "外卖骑手{a}在配送途中受伤，平台{r}与站点互相推诿工伤责任。", true, 28000, 1),
    ("environment", "{a}等居民反映{r}的汽修厂喷漆产生刺鼻异味和粉尘污染。", true, 0, 15),
    ("neighbor", "{a}与{r}因停车位问题多次争吵，{r}扬言要报复。", false, 0, 2),
    ("other", "{a}反映与{r}之间的其他民间纠纷，请求中心协调处理。", false, 0, 2),
];

const COMPANIES: &[&str] = &[
    "甘肃某建筑工程有限公司",
    "兰州某物业管理有限公司",
    "某房地产开发有限公司",
    "某家政服务有限公司",
    "某健身管理有限公司",
    "某电器销售有限公司",
    "某网络科技有限公司",
    "某汽车修理厂",
    "兰州某医院",
];

/// The state each demo case is taken to, cycling: every state has many cases.
const TARGETS: &[&str] = &[
    "registered",
    "accepted",
    "dispatched",
    "in_progress",
    "in_progress",
    "concluded",
    "followed_up",
    "archived",
    "archived",
    "rejected",
    "returned",
    "escalated",
];

/// How many demo cases.
const CASES: usize = 300;

async fn cases(store: &Store, units: &Units, now: DateTime<Utc>) -> Result<()> {
    let viewer = |name: &'static str| async move {
        let (id,): (i64,) = store.fetch_one("SELECT id FROM users WHERE username = $1", args![name]).await?;
        store.viewer(id).await
    };
    let intake = viewer("intake").await?;
    let grid = viewer("grid").await?;
    let district = viewer("district").await?;
    let city = viewer("city").await?;
    let street_a = viewer("street_a").await?;
    let street_b = viewer("street_b").await?;
    let labor = viewer("labor").await?;
    let mediator = viewer("mediator").await?;

    let mut dice = Dice(0x5eed_f00d_cafe_1234);
    let start = now - Duration::days(60);
    for i in 0..CASES {
        let mut at = start
            + Duration::minutes((i as i64) * 60 * 24 * 59 / CASES as i64)
            + Duration::minutes(dice.below(300) as i64);
        let in_b = i % 5 == 4;
        let (category, story, organisation, amount, people) = *dice.pick(STORIES);
        let applicant = dice.name();
        let respondent = if organisation { dice.pick(COMPANIES).to_string() } else { dice.name() };
        let description = story.replace("{a}", &applicant).replace("{r}", &respondent);
        // Every seventh case comes back: the same applicant as an earlier one (repeat visits).
        let person_seed = if i % 7 == 6 { i as u64 - 6 } else { i as u64 };
        let (community, address) = if in_b {
            (*dice.pick(&["620103001001", "620103001002"]), format!("兰州市七里河区西园街道{}号", 10 + dice.below(90)))
        } else {
            (
                *dice.pick(&["620102002001", "620102002002", "620102002003", "620102003001"]),
                format!("兰州市城关区张掖路街道{}号", 10 + dice.below(90)),
            )
        };
        let registrar = if in_b {
            &street_b
        } else if i % 3 == 0 {
            &grid
        } else {
            &intake
        };
        let region_code = if std::ptr::eq(registrar, &grid) { "620102002001" } else { community };
        let mut parties = vec![json!({
            "role": "applicant", "kind": "person", "name": applicant,
            "id_number": synthetic::id_number(person_seed).as_str(), "phone": format!("139{:08}", 10_000_000 + person_seed * 7919 % 89_999_999),
            "address": address,
        })];
        parties.push(if organisation {
            json!({"role": "respondent", "kind": "organization", "name": respondent})
        } else {
            json!({"role": "respondent", "kind": "person", "name": respondent, "phone": format!("138{:08}", 20_000_000 + i * 104_729 % 79_999_999)})
        });
        let channel = if std::ptr::eq(registrar, &grid) {
            "grid"
        } else {
            *dice.pick(&["window", "window", "hotline", "online", "petition", "court", "police", "screening"])
        };
        let body = json!({
            "channel": channel,
            "description": description,
            "category": if i % 4 == 0 { None } else { Some(category) },
            "amount": (amount > 0).then(|| format!("{amount}.00")),
            "people_count": people,
            "occurred_at": (at - Duration::days(dice.below(20) as i64 + 1)).to_rfc3339(),
            "location": {"address": address, "region_code": region_code},
            "parties": parties,
        });
        let registration: CaseRegistration =
            serde_json::from_value(body).map_err(|e| StoreError::Setup(e.to_string()))?;
        let new = registration.validate(at).map_err(StoreError::Invalid)?;
        let case = store.case_register(registrar, new, at).await?.case;

        let target = TARGETS[i % TARGETS.len()];
        let dispatcher = if in_b { &city } else { &district };
        let (unit, handler): (i64, &Viewer) = if in_b {
            (units.id("street_b1_centre")?, &street_b)
        } else {
            match category {
                "labor" => (units.id("district_a_labor")?, &labor),
                "neighbor" | "marriage_family" | "land_housing" => (units.id("street_a1_committee")?, &mediator),
                _ => (units.id("street_a1_centre")?, &street_a),
            }
        };
        let mut steps: Vec<(&Viewer, Command)> = Vec::new();
        if target != "registered" || i % 2 == 0 {
            steps.push((
                registrar_or(dispatcher, registrar),
                Command::Contact { note: Some("已电话联系申请人，告知受理流程".into()) },
            ));
        }
        if target == "rejected" {
            steps.push((
                dispatcher,
                Command::Reject {
                    reason: "不属于矛盾纠纷调处范围，已告知通过诉讼途径解决".into()
                },
            ));
        } else if target != "registered" {
            steps.push((dispatcher, Command::Accept));
        }
        if target == "escalated" {
            steps.push((dispatcher, Command::Escalate { reason: "涉及人数较多，超出本级调处能力".into() }));
        }
        let goes_on =
            ["dispatched", "in_progress", "concluded", "followed_up", "archived", "returned"].contains(&target);
        if goes_on {
            steps.push((dispatcher, Command::Dispatch { unit_id: unit, assist_unit_ids: Vec::new(), reason: None }));
        }
        if target == "returned" {
            steps.push((handler, Command::Return { reason: "不属于本单位职责范围，建议交由属地街道办理".into() }));
        }
        if ["in_progress", "concluded", "followed_up", "archived"].contains(&target) {
            steps.push((handler, Command::Sign));
            steps.push((handler, Command::Note { text: "已约双方当事人到调解室面谈".into() }));
        }
        if ["concluded", "followed_up", "archived"].contains(&target) {
            let outcome = if i % 11 == 0 { Outcome::Unresolved } else { Outcome::Resolved };
            steps.push((
                handler,
                Command::Conclude {
                    outcome, summary: "经调解，双方达成一致意见并签订调解协议。".into()
                },
            ));
        }
        if ["followed_up", "archived"].contains(&target) {
            let satisfaction = if i % 3 == 0 { Satisfaction::BasicallySatisfied } else { Satisfaction::Satisfied };
            steps.push((dispatcher, Command::FollowUp { satisfaction, note: Some("回访当事人，协议已履行".into()) }));
        }
        if target == "archived" {
            steps.push((dispatcher, Command::Archive));
        }
        let mut version = case.version;
        for (actor, command) in steps {
            at += Duration::minutes(20 + dice.below(600) as i64);
            let at = at.min(now);
            version = store.case_act(actor, case.id, command, version, at).await?.version;
        }
    }
    Ok(())
}

fn registrar_or<'a>(dispatcher: &'a Viewer, registrar: &'a Viewer) -> &'a Viewer {
    if registrar.role == Role::Handler { dispatcher } else { registrar }
}
