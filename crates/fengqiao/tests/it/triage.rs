//! Triage on the real database: repeat parties and respondent clusters, places from addresses
//! and points, routes with their rules, overrides, emergencies, the rules as data, the
//! reasons in the reader's language (older rows' prose still read), and a type the classifier
//! cannot tell asked for rather than guessed.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{TestApp, id_number, registration, ui_answer, ui_get, ui_session, ui_submit};

on_both_backends!(
    repeat_parties_and_respondent_clusters_raise_the_colour,
    places_come_from_addresses_and_points,
    routes_name_their_rules_and_overrides_are_kept,
    emergencies_are_diverted_and_rules_are_data,
    reasons_are_read_in_the_readers_language,
    a_type_triage_cannot_tell_is_asked_for_not_suggested,
);

fn neighbour_case(id: &str, phone: &str) -> Value {
    let mut body = registration(id, phone);
    body["description"] = json!("楼上住户卫生间漏水导致天花板发霉，双方协商未果。");
    body["amount"] = json!("3000.00");
    body["parties"][1] = json!({"role": "respondent", "kind": "person", "name": "王某"});
    body
}

async fn repeat_parties_and_respondent_clusters_raise_the_colour(app: TestApp) {
    let intake = app.login("intake").await;
    let person = id_number("620102", "19700101", 1);
    let first = app.register(&intake, neighbour_case(&person, "13900000001")).await;
    assert_eq!(first["risk"], "none", "{}", first["risk_reasons"]);
    let second = app.register(&intake, neighbour_case(&person, "13900000002")).await;
    assert_eq!(second["risk"], "yellow");
    assert!(second["risk_reasons"][0].as_str().unwrap().contains("同一当事人"), "{}", second["risk_reasons"]);
    app.register(&intake, neighbour_case(&person, "13900000003")).await;
    let fourth = app.register(&intake, neighbour_case(&person, "13900000004")).await;
    assert_eq!(fourth["risk"], "orange", "{}", fourth["risk_reasons"]);

    // Three different people against one company: the third sees the cluster.
    let company = |i: u32| {
        let mut body = neighbour_case(&id_number("620102", "19800101", 100 + i), &format!("1370000000{i}"));
        body["description"] = json!("某装修公司收取定金后迟迟不施工，要求退还定金。");
        body["parties"][1] = json!({"role": "respondent", "kind": "organization", "name": "兰州某装饰工程有限公司", "credit_code": "91350200776049653A"});
        body
    };
    app.register(&intake, company(1)).await;
    app.register(&intake, company(2)).await;
    let third = app.register(&intake, company(3)).await;
    assert_eq!(third["risk"], "orange");
    assert!(
        third["risk_reasons"].as_array().unwrap().iter().any(|r| r.as_str().unwrap().contains("同一被申请人")),
        "{}",
        third["risk_reasons"]
    );
}

async fn places_come_from_addresses_and_points(app: TestApp) {
    let intake = app.login("intake").await;
    let mut body = neighbour_case(&id_number("620102", "19700101", 2), "13900000009");
    body["location"] = json!({"address": "兰州市七里河区西园街道彭家坪社区8号楼"});
    let case = app.register(&intake, body).await;
    assert_eq!(case["location"]["region_code"], "620103001002", "parsed down to the community");
    let (_, events) = app.get(&format!("/api/v1/cases/{}/events", case["id"]), &app.login("city").await).await;
    assert_eq!(events[0]["data"]["place"]["key"], "place.address", "{}", events[0]["data"]);

    // A point inside a grid's polygon places the case in that grid.
    let grid = app.store.grids().await.unwrap().into_iter().find(|g| g.community_code == "620102002002").unwrap();
    app.sql(&format!(
        "UPDATE grids SET polygon = '[[103.80,36.05],[103.82,36.05],[103.82,36.07],[103.80,36.07]]' WHERE id = {}",
        grid.id
    ))
    .await;
    let admin = app.login("admin").await;
    let (_, rules) = app.get("/api/v1/triage/rules", &admin).await;
    let (status, _) = app.call(Method::PUT, "/api/v1/triage/rules", Some(&admin), Some(rules)).await;
    assert_eq!(status, StatusCode::OK, "reload the triage context");
    let mut body = neighbour_case(&id_number("620102", "19700101", 3), "13900000010");
    body["location"] = json!({"address": "不详", "lat": 36.06, "lng": 103.81});
    let case = app.register(&intake, body).await;
    assert_eq!(
        (case["location"]["grid_id"].as_i64(), case["location"]["region_code"].as_str()),
        (Some(grid.id), Some("620102002002"))
    );

    // Address lookup for the intake form, here and in another province.
    let (_, parsed) =
        app.get("/api/v1/triage/address?q=%E5%9F%8E%E5%85%B3%E5%8C%BA%E5%BC%A0%E6%8E%96%E8%B7%AF", &intake).await;
    assert_eq!(
        (parsed["district"].as_str(), parsed["street"].as_str(), parsed["region_code"].as_str()),
        (Some("城关区"), Some("张掖路街道"), Some("620102002000"))
    );
    let (_, parsed) = app.get("/api/v1/triage/address?q=%E5%9B%9B%E5%B7%9D%E7%9C%81%E5%B9%BF%E5%AE%89%E5%B8%82%E5%B2%B3%E6%B1%A0%E5%8E%BF", &intake).await;
    assert_eq!(parsed["district_code"], "511621");
    let (status, error) = app.get("/api/v1/triage/address", &intake).await;
    assert_eq!((status, error["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("q")));
}

async fn routes_name_their_rules_and_overrides_are_kept(app: TestApp) {
    let intake = app.login("intake").await;
    let district = app.login("district").await;
    let community = app.unit_id("中山林社区综治中心").await;
    let district_centre = app.unit_id("城关区社会治安综合治理中心").await;
    // Territory: a small contract dispute (no sector unit in the catalogue) stays in the community.
    let mut body = neighbour_case(&id_number("620102", "19700101", 4), "13900000011");
    body["category"] = json!("contract");
    let small = app.register(&intake, body).await;
    assert_eq!(
        (small["routing"]["unit_id"].as_i64(), small["routing"]["level"].as_str()),
        (Some(community), Some("community"))
    );
    // Level: many people move it to the district.
    let mut body = neighbour_case(&id_number("620102", "19700101", 5), "13900000012");
    body["category"] = json!("contract");
    body["people_count"] = json!(40);
    let big = app.register(&intake, body).await;
    assert_eq!(
        (big["routing"]["unit_id"].as_i64(), big["routing"]["level"].as_str()),
        (Some(district_centre), Some("district"))
    );
    assert!(big["routing"]["rules"].as_array().unwrap().contains(&json!("level:people")));
    // Sector: a neighbour dispute in Zhangye Road goes to its people's mediation committee.
    let neighbours = app.register(&intake, neighbour_case(&id_number("620102", "19700101", 14), "13900000018")).await;
    let committee = app.unit_id("张掖路街道人民调解委员会").await;
    assert_eq!(
        (neighbours["routing"]["unit_id"].as_i64(), neighbours["routing"]["joint"].as_bool()),
        (Some(committee), Some(true))
    );
    assert!(neighbours["routing"]["assist_unit_ids"].as_array().unwrap().contains(&json!(community)));
    // Sector with joint handling: marriage and family brings in the women's federation.
    let mut body = neighbour_case(&id_number("620102", "19700101", 6), "13900000013");
    body["description"] = json!("老人年迈多病，三个子女对赡养费用分担发生分歧，老人生活无着。");
    let family = app.register(&intake, body).await;
    let women = app.unit_id("城关区妇女联合会").await;
    assert_eq!(family["category"], "marriage_family");
    assert!(family["routing"]["assist_unit_ids"].as_array().unwrap().contains(&json!(women)), "{}", family["routing"]);
    assert_eq!(family["routing"]["joint"], true);
    assert!(
        family["category_suggestion"]["words"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().contains("赡养")),
        "{}",
        family["category_suggestion"]
    );
    // Cross-jurisdiction: parties living in two districts.
    let mut body = neighbour_case(&id_number("620102", "19700101", 7), "13900000014");
    body["parties"][1]["address"] = json!("兰州市七里河区西湖街道1号");
    let cross = app.register(&intake, body).await;
    assert!(
        cross["routing"]["rules"].as_array().unwrap().contains(&json!("level:cross_jurisdiction")),
        "{}",
        cross["routing"]
    );

    // An override is kept with its reason; following the suggestion is not an override.
    let labour = app.unit_id("城关区劳动人事争议调解中心").await;
    let (status, _) = app
        .act(
            &district,
            &small,
            json!({"action": "dispatch", "unit_id": labour, "reason": "当事人系务工人员，涉及劳动关系"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.act(&district, &big, json!({"action": "dispatch", "unit_id": district_centre})).await;
    assert_eq!(status, StatusCode::OK);
    let city = app.login("city").await;
    let last = |events: &Value| {
        events.as_array().unwrap().iter().rev().find(|e| e["action"] == "dispatch").unwrap()["data"].clone()
    };
    let (_, events) = app.get(&format!("/api/v1/cases/{}/events", small["id"]), &city).await;
    let data = last(&events);
    assert_eq!((data["override"].as_bool(), data["suggested_unit_id"].as_i64()), (Some(true), Some(community)));
    assert_eq!(data["reason"], "当事人系务工人员，涉及劳动关系");
    let (_, events) = app.get(&format!("/api/v1/cases/{}/events", big["id"]), &city).await;
    assert_eq!(last(&events)["override"], false);
}

async fn emergencies_are_diverted_and_rules_are_data(app: TestApp) {
    let intake = app.login("intake").await;
    let mut body = neighbour_case(&id_number("620102", "19700101", 8), "13900000015");
    body["description"] = json!("两家人正在楼道里打架，一方拿着刀，请求马上处理。");
    let case = app.register(&intake, body).await;
    assert_eq!(case["risk"], "red");
    assert!(case["emergency"].as_str().unwrap().contains("110"), "{}", case["emergency"]);
    let (_, events) = app.get(&format!("/api/v1/cases/{}/events", case["id"]), &intake).await;
    // The history keeps the instruction as a message of the catalogue.
    assert_eq!(events[0]["data"]["emergency"]["key"], "emergency.instruction", "{}", events[0]["data"]);
    // Negation does not trip the rule.
    let mut body = neighbour_case(&id_number("620102", "19700101", 9), "13900000016");
    body["description"] = json!("双方因停车位发生口角，但没有动手，要求调解。");
    let calm = app.register(&intake, body).await;
    assert_eq!((calm["risk"].as_str(), calm["emergency"].as_str()), (Some("none"), None));

    // The preview shows the same triage without registering.
    let mut draft = neighbour_case(&id_number("620102", "19700101", 10), "13900000017");
    draft["people_count"] = json!(3);
    let (status, preview) = app.post("/api/v1/triage/preview", &intake, draft.clone()).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["risk"], "none");
    // An administrator lowers the group threshold: the same draft turns orange.
    let admin = app.login("admin").await;
    let (_, mut rules) = app.get("/api/v1/triage/rules", &admin).await;
    rules["risk"]["group_orange_people"] = json!(3);
    let (status, _) = app.call(Method::PUT, "/api/v1/triage/rules", Some(&intake), Some(rules.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.call(Method::PUT, "/api/v1/triage/rules", Some(&admin), Some(rules.clone())).await;
    assert_eq!(status, StatusCode::OK);
    let (_, preview) = app.post("/api/v1/triage/preview", &intake, draft).await;
    assert_eq!(preview["risk"], "orange", "{}", preview["risk_reasons"]);
    rules["risk"]["group_orange_people"] = json!(0);
    let (status, error) = app.call(Method::PUT, "/api/v1/triage/rules", Some(&admin), Some(rules)).await;
    assert_eq!(
        (status, error["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("risk.group_orange_people"))
    );
    let (_, cases) = app.get("/api/v1/cases", &intake).await;
    assert_eq!(cases["total"], 2, "previews register nothing");

    // The catalogue and the classifier's examples are data too.
    let (_, catalogue) = app.get("/api/v1/routing/catalogue", &admin).await;
    assert!(catalogue.as_array().unwrap().len() > 5);
    let (status, error) = app
        .call(
            Method::PUT,
            "/api/v1/routing/catalogue",
            Some(&admin),
            Some(json!([{"category": "labor", "unit_id": 99999, "role": "lead"}])),
        )
        .await;
    assert_eq!((status, error["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("[0].unit_id")));
    let (status, _) = app
        .post(
            "/api/v1/triage/examples",
            &admin,
            json!({"category": "environment", "text": "蜂场附近果园喷洒农药，蜜蜂大量死亡"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, error) = app.post("/api/v1/triage/examples", &admin, json!({"category": "bees", "text": "x"})).await;
    assert_eq!((status, error["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("category")));
}

/// A case as read with `Accept-Language: lang`.
async fn case_in(app: &TestApp, token: &str, id: &Value, lang: &str) -> Value {
    let response = app
        .client
        .get(format!("{}/api/v1/cases/{id}", app.base))
        .bearer_auth(token)
        .header("Accept-Language", lang)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

fn texts(reasons: &Value) -> Vec<&str> {
    reasons.as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect()
}

fn has_cjk(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

async fn reasons_are_read_in_the_readers_language(app: TestApp) {
    let intake = app.login("intake").await;
    // 40 people: a mass incident (red), which the district handles.
    let mut body = neighbour_case(&id_number("620102", "19700101", 20), "13900000020");
    body["category"] = json!("contract");
    body["people_count"] = json!(40);
    let case = app.register(&intake, body).await;
    assert_eq!(texts(&case["risk_reasons"]), ["涉及 40 人，达到群体性事件预警线（≥30 人）"]);
    assert!(
        texts(&case["routing"]["reasons"]).contains(&"分级负责：涉及 40 人 ≥ 30 人，由区县调处"),
        "{}",
        case["routing"]
    );

    let english = case_in(&app, &intake, &case["id"], "en-US,en;q=0.9").await;
    assert_eq!(
        texts(&english["risk_reasons"]),
        ["40 people involved: at the alert line for a mass incident (≥ 30 people)"]
    );
    let route = texts(&english["routing"]["reasons"]);
    assert!(route[0].starts_with("Territorial management: "), "{route:?}");
    let levels: Vec<&str> = route.iter().copied().filter(|r| r.starts_with("Level of handling")).collect();
    assert_eq!(levels.len(), 2, "people and red risk: {route:?}");
    assert!(levels.iter().all(|r| !has_cjk(r)), "{levels:?}");
    assert!(levels.contains(&"Level of handling: 40 people involved ≥ 30, handled by the district"), "{levels:?}");

    let traditional = case_in(&app, &intake, &case["id"], "zh-TW").await;
    assert_eq!(texts(&traditional["risk_reasons"]), ["涉及 40 人，達到群體性事件預警線（≥30 人）"]);
    assert!(texts(&traditional["routing"]["reasons"]).contains(&"分級負責：涉及 40 人 ≥ 30 人，由區縣調處"));

    // The UI shows them in the language chosen, the history's messages included.
    let session = ui_session(&app, "intake").await;
    let (_, page) = ui_get(&app, &format!("fq_session={session}; fq_lang=en"), &format!("/cases/{}", case["id"])).await;
    assert!(page.contains("40 people involved: at the alert line for a mass incident"), "{page}");
    assert!(page.contains("Level of handling: 40 people involved"), "{page}");
    assert!(!page.contains("place.") && !page.contains("risk.reason"), "no key shown as it is: {page}");

    // The preview speaks the same language.
    let mut draft = neighbour_case(&id_number("620102", "19700101", 21), "13900000021");
    draft["people_count"] = json!(6);
    let response = app
        .client
        .post(format!("{}/api/v1/triage/preview", app.base))
        .bearer_auth(&intake)
        .header("Accept-Language", "en")
        .json(&draft)
        .send()
        .await
        .unwrap();
    let preview: Value = response.json().await.unwrap();
    assert_eq!(texts(&preview["risk_reasons"]), ["6 people involved: a group dispute (≥ 5 people)"]);
    assert!(!has_cjk(preview["place_reason"].as_str().unwrap()), "{}", preview["place_reason"]);

    // A row written before reasons were messages holds prose: it reads as it is, in every language.
    let id = case["id"].as_i64().unwrap();
    app.sql(&format!(
        r#"UPDATE cases SET risk_reasons = '["涉及 40 人，达到群体性事件预警线"]',
           routing = '{{"unit_id": null, "level": "district", "reasons": ["属地：由登记单位所在层级（区县）受理"]}}',
           emergency = '事实描述“持刀”为正在发生的紧急情况，请立即拨打 110（报警）' WHERE id = {id}"#
    ))
    .await;
    for lang in ["en", "zh-TW", "zh-CN"] {
        let old = case_in(&app, &intake, &case["id"], lang).await;
        assert_eq!(texts(&old["risk_reasons"]), ["涉及 40 人，达到群体性事件预警线"], "{lang}");
        assert_eq!(texts(&old["routing"]["reasons"]), ["属地：由登记单位所在层级（区县）受理"], "{lang}");
        assert_eq!(old["emergency"], "事实描述“持刀”为正在发生的紧急情况，请立即拨打 110（报警）", "{lang}");
    }
}

async fn a_type_triage_cannot_tell_is_asked_for_not_suggested(app: TestApp) {
    let intake = app.login("intake").await;
    // A demo story the classifier reads as marriage and family at 12 %: no women's federation.
    let quarrel = "王建国与李明因停车位问题多次争吵，李明扬言要报复。";
    let mut body = neighbour_case(&id_number("620102", "19700101", 30), "13900000030");
    body["description"] = json!(quarrel);
    let (status, preview) = app.post("/api/v1/triage/preview", &intake, body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!((preview["category"].as_str(), preview["category_source"].as_str()), (Some("other"), Some("unsure")));
    assert!(preview["suggestion"]["confidence"].as_f64().unwrap() < 0.4, "{}", preview["suggestion"]);
    let women = app.unit_id("城关区妇女联合会").await;
    assert_eq!(preview["route"]["assist_unit_ids"], json!([]), "{}", preview["route"]);
    assert_eq!(preview["route"]["joint"], false);
    assert!(!preview["route"]["rules"].as_array().unwrap().iter().any(|r| r.as_str().unwrap().starts_with("sector:")));
    let reasons = texts(&preview["route"]["reasons"]);
    assert!(reasons.iter().any(|r| r.starts_with("类型待定") && r.contains("低于 40%")), "{reasons:?}");

    // Through the API (no one to ask), the case is recorded as other and routed by territory.
    let case = app.register(&intake, body.clone()).await;
    assert_eq!((case["category"].as_str(), case["category_source"].as_str()), (Some("other"), Some("unsure")));
    assert!(!case["routing"]["assist_unit_ids"].as_array().unwrap().contains(&json!(women)));
    let (_, events) = app.get(&format!("/api/v1/cases/{}/events", case["id"]), &intake).await;
    assert_eq!(events[0]["data"]["category_source"], "unsure");
    // A category the clerk chose is taken as it is.
    body["category"] = json!("neighbor");
    body["parties"][0]["phone"] = json!("13900000031");
    let chosen = app.register(&intake, body).await;
    assert_eq!((chosen["category"].as_str(), chosen["category_source"].as_str()), (Some("neighbor"), Some("client")));

    // At the window, the preview asks, and registering without a type comes back with the
    // question beside the type, the draft kept.
    let session = ui_session(&app, "intake").await;
    let fields = |category: &'static str| {
        vec![
            ("channel", "window"),
            ("category", category),
            ("description", quarrel),
            ("location.address", "兰州市城关区庆阳路25号"),
            ("parties[0].role", "applicant"),
            ("parties[0].kind", "person"),
            ("parties[0].name", "王建国"),
            ("parties[0].phone", "13900000032"),
        ]
    };
    let (status, _, check) = ui_answer(ui_submit(&app, &session, "/intake", "/intake/check", &fields("")).await).await;
    assert_eq!(status, StatusCode::OK);
    let check: Value = serde_json::from_str(&check).unwrap();
    let panel = check["preview"].as_str().unwrap();
    assert!(panel.contains("data-category-question") && panel.contains("请选择类型"), "{panel}");
    assert!(!panel.contains("婚姻家庭") && !panel.contains("城关区妇女联合会"), "no guess asserted: {panel}");
    assert!(!panel.contains("庆阳市"), "庆阳路 is a road of Lanzhou: {panel}");
    let (status, _, page) = ui_answer(ui_submit(&app, &session, "/intake", "/intake", &fields("")).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let beside = page.split("data-for=\"category\">").nth(1).unwrap().split("</p>").next().unwrap();
    assert!(beside.contains("请选择类型"), "{beside}");
    assert!(page.contains(quarrel), "the draft is kept");
    let status = ui_submit(&app, &session, "/intake", "/intake", &fields("neighbor")).await.status();
    assert_eq!(status, StatusCode::SEE_OTHER, "with the type chosen, it registers");
}
