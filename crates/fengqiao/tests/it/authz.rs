//! Authorisation as a table: every role × every permission, on a case in the viewer's scope
//! (handled by their unit or not) and outside it. The expected answer is derived from
//! `domain::authz` — the policy the server uses — and checked through HTTP: the API, and the
//! staff UI's pages and the forms they offer.

use std::collections::HashSet;

use domain::authz::{self, Permission, Resource};
use domain::ids::UnitId;
use domain::org::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{TestApp, id_number, registration, ui_session};

on_both_backends!(every_role_gets_what_the_policy_grants_through_the_api_and_the_ui);

/// A 1×1 PNG, as the signing pad sends it.
const SIGNATURE: &str = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAACklEQVR4nGMAAQAABQABDQottAAAAABJRU5ErkJggg==";

/// The demo users (one or more of each staff role) and a citizen account.
const USERS: &[&str] = &[
    "admin", "city", "district", "leader", "intake", "street_a", "street_b", "mediator", "labor", "grid", "court",
    "citizen", "police",
];

struct User {
    name: &'static str,
    token: String,
    /// The UI's session cookie and the CSRF token of its forms.
    session: String,
    role: Role,
    unit_id: i64,
    /// Whether the case lies in the user's scope (the store's answer, not the policy's).
    sees_case: bool,
    /// Whether the user's unit handles the case (lead or assisting).
    handling: bool,
    /// Whether the user's unit is a centre above the unit leading the case.
    supervising: bool,
    /// Whether the grid worker's hazard lies in the user's territory.
    sees_hazard: bool,
}

/// What the probe of a permission answers when the policy grants it: the request is built so
/// that the next check after authorisation refuses it (an invalid field, a step not allowed
/// now), so that probing changes nothing — except where the grant's effect is the point.
fn granted_status(permission: Permission) -> StatusCode {
    match permission {
        Permission::Mediate | Permission::MediatorChoose => StatusCode::UNPROCESSABLE_ENTITY,
        Permission::AgreementMediatorSign | Permission::ConfirmationRule => StatusCode::CONFLICT,
        Permission::NoticeIssue | Permission::TriageExampleAdd => StatusCode::CREATED,
        Permission::RiskListManage
        | Permission::JointMeetingManage
        | Permission::PoliceRefer
        | Permission::PoliceReferralAnswer
        | Permission::TaskForceManage
        | Permission::ReportIssue
        | Permission::ReferralDecide
        | Permission::PatrolLog
        | Permission::HazardReport
        | Permission::HazardHandle
        | Permission::PeopleWatchManage
        | Permission::PeopleVisit
        | Permission::RecordingHold => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    }
}

async fn ui_get(app: &TestApp, session: &str, path: &str) -> (StatusCode, String) {
    crate::support::ui_get(app, &format!("fq_session={session}"), path).await
}

async fn every_role_gets_what_the_policy_grants_through_the_api_and_the_ui(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let committee = app.unit_id("张掖路街道人民调解委员会").await;
    let street_centre = app.unit_id("张掖路街道综治中心").await;
    app.store
        .user_create("citizen", "群众甲", Role::Citizen, UnitId(committee), "fengqiao-demo", chrono::Utc::now())
        .await
        .unwrap();
    let police_station = app.unit_id("兰州市公安局城关分局张掖路派出所").await;
    app.store
        .user_create(
            "police",
            "张掖路派出所民警",
            Role::Handler,
            UnitId(police_station),
            "fengqiao-demo",
            chrono::Utc::now(),
        )
        .await
        .unwrap();

    // A case dispatched to the committee (lead) with street A1's centre assisting, signed
    // for by the committee's mediator, with a draft agreement.
    let intake = app.login("intake").await;
    let case = app.register(&intake, registration(&id_number("620102", "19800101", 11), "13912345678")).await;
    let district = app.login("district").await;
    let step = json!({"action": "dispatch", "unit_id": committee, "assist_unit_ids": [street_centre]});
    let (status, case) = app.act(&district, &case, step).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    let mediator = app.login("mediator").await;
    let (status, case) = app.act(&mediator, &case, json!({"action": "sign"})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    let case_path = format!("/api/v1/cases/{}", case["id"]);
    let draft = json!({"matters": "工资数额", "terms": [{"text": "支付工资22800元"}]});
    let (status, agreement) = app.post(&format!("{case_path}/agreements"), &mediator, draft).await;
    assert_eq!(status, StatusCode::CREATED, "{agreement}");
    let agreement_path = format!("/api/v1/agreements/{}", agreement["id"]);
    let (_, me) = app.get("/api/v1/auth/me", &mediator).await;
    let mediator_id = me["id"].clone();
    let handling_units: Vec<i64> = [&case["lead_unit_id"]]
        .into_iter()
        .chain(case["assist_unit_ids"].as_array().unwrap())
        .filter_map(Value::as_i64)
        .collect();
    assert_eq!(handling_units, [committee, street_centre]);
    // A red case referred to the police station of its street: what the police answer.
    let mut red = registration(&id_number("620102", "19800101", 12), "13912345679");
    red["description"] = json!("讨薪无门，他说再不给钱就从工地楼顶跳下去。");
    let red = app.register(&intake, red).await;
    let body = json!({"reason": "扬言跳楼"});
    let (status, referral) = app.post(&format!("/api/v1/cases/{}/police-referrals", red["id"]), &district, body).await;
    assert_eq!((status, referral["unit_id"].as_i64()), (StatusCode::CREATED, Some(police_station)), "{referral}");
    let referral_path = format!("/api/v1/police-referrals/{}", referral["id"]);

    // A hazard the grid worker reported in their grid: the centres above it see and handle it.
    let grid = app.login("grid").await;
    let body = json!({"kind": "dispute_clue", "description": "邻里因停车位争吵"});
    let (status, hazard) = app.post("/api/v1/hazards", &grid, body).await;
    assert_eq!(status, StatusCode::CREATED, "{hazard}");
    let hazard_path = format!("/api/v1/hazards/{}", hazard["id"]);

    let (_, units) = app.get("/api/v1/units", &intake).await;
    let centres: HashSet<i64> =
        units.as_array().unwrap().iter().filter(|u| u["kind"] == "centre").filter_map(|u| u["id"].as_i64()).collect();
    let mut users = Vec::new();
    for &name in USERS {
        let token = app.login(name).await;
        let (_, me) = app.get("/api/v1/auth/me", &token).await;
        let (seen, _) = app.get(&case_path, &token).await;
        let (hazard_seen, _) = app.get(&hazard_path, &token).await;
        let unit_id = me["unit_id"].as_i64().unwrap();
        users.push(User {
            name,
            session: ui_session(&app, name).await,
            role: Role::parse(me["role"].as_str().unwrap()).unwrap(),
            unit_id,
            sees_case: seen == StatusCode::OK,
            handling: handling_units.contains(&unit_id),
            supervising: seen == StatusCode::OK && centres.contains(&unit_id) && unit_id != handling_units[0],
            sees_hazard: hazard_seen == StatusCode::OK,
            token,
        });
    }
    let roles: HashSet<Role> = users.iter().map(|u| u.role).collect();
    assert_eq!(roles.len(), Role::ALL.len(), "every role is tried");
    assert!(users.iter().any(|u| !u.sees_case), "a case outside someone's scope is tried");

    let mut tried = HashSet::new();
    let mut wrong = Vec::new();
    let mut notice_path = None;
    // The notice a leader issues (NoticeIssue) is the one the others acknowledge (NoticeReply).
    let order = Permission::ALL.iter().filter(|p| **p != Permission::NoticeReply).chain([&Permission::NoticeReply]);
    for &permission in order {
        tried.insert(permission);
        for user in &users {
            // What the probe asks the policy about, and whether it is about the case.
            let (resource, about_case) = match permission {
                Permission::Mediate | Permission::MediatorChoose | Permission::AgreementMediatorSign => {
                    (Resource { handling: user.handling, ..Resource::ANY }, true)
                }
                Permission::PersonalDataReveal => (Resource::ANY, true),
                // A centre issues its own list (the probe's region is blank: 422 once allowed).
                Permission::RiskListManage => (Resource::OWN, false),
                // A centre convenes its own meeting (the probe's region is blank: 422 once allowed).
                Permission::JointMeetingManage => (Resource::OWN, false),
                Permission::NoticeIssue => (Resource { supervising: user.supervising, ..Resource::ANY }, true),
                // A list: every grant sees some of it (its reach narrows what it holds).
                Permission::SessionsRead | Permission::ReportRead => {
                    (Resource { handling: true, addressed: true, supervising: true, own: true }, false)
                }
                // No application has been made yet: a court that may rule is told so (409).
                Permission::ConfirmationRule => (Resource::ADDRESSED, true),
                Permission::NoticeReply => {
                    (Resource { addressed: user.unit_id == handling_units[0], ..Resource::ANY }, true)
                }
                Permission::PoliceRefer => (Resource { handling: user.handling, ..Resource::ANY }, true),
                Permission::TaskForceManage | Permission::RecordingHold => (Resource::ANY, true),
                Permission::PoliceReferralAnswer => {
                    (Resource { addressed: user.unit_id == police_station, ..Resource::ANY }, false)
                }
                // The grid worker's own grid (no grid named: their own); the hazard lies in it.
                Permission::PatrolLog | Permission::HazardReport | Permission::HazardHandle => (Resource::OWN, false),
                // A list: every grant sees some of it.
                Permission::GridRead => (Resource::OWN, false),
                // The grid worker visits the people of their own grid (the probe's body is empty:
                // 422 once allowed).
                Permission::PeopleVisit => (Resource::OWN, false),
                _ => (Resource::ANY, false),
            };
            // The portal's permissions are a citizen token's: a staff token — a user given the
            // citizen role by hand included — is no citizen's (401). Otherwise: role first
            // (403), then scope (404), then the grant's reach (403).
            let portal = [
                Permission::CitizenCaseBring,
                Permission::CitizenCaseFollow,
                Permission::CitizenCaseRate,
                Permission::CitizenMediatorChoose,
            ];
            let expected = if portal.contains(&permission) {
                StatusCode::UNAUTHORIZED
            } else if !authz::has(user.role, permission) {
                StatusCode::FORBIDDEN
            } else if (about_case && !user.sees_case) || (permission == Permission::HazardHandle && !user.sees_hazard) {
                StatusCode::NOT_FOUND
            } else if authz::may(user.role, permission, resource).is_ok() {
                granted_status(permission)
            } else {
                StatusCode::FORBIDDEN
            };
            let token = &user.token;
            let (status, body) = match permission {
                Permission::CaseRegister => {
                    let body = registration(&id_number("620102", "19900101", 33), "13900001111");
                    app.post("/api/v1/triage/preview", token, body).await
                }
                Permission::PersonalDataReveal => {
                    app.get(&format!("{case_path}?reveal=true&reason=%E6%A0%B8%E5%AE%9E"), token).await
                }
                Permission::Mediate => app.post(&format!("{case_path}/sessions"), token, json!({})).await,
                Permission::AgreementMediatorSign => {
                    let body = json!({"signature": SIGNATURE});
                    app.post(&format!("{agreement_path}/mediator-signature"), token, body).await
                }
                Permission::ConfirmationRule => {
                    app.post(&format!("{agreement_path}/ruling"), token, json!({"decision": "confirmed"})).await
                }
                Permission::MediatorChoose => {
                    let body = json!({"user_id": mediator_id, "chosen_by": "nobody"});
                    app.call(Method::PUT, &format!("{case_path}/mediator"), Some(token), Some(body)).await
                }
                Permission::NoticeIssue => {
                    let body = json!({"kind": "reminder", "text": "请加快办理"});
                    let (status, notice) = app.post(&format!("{case_path}/notices"), token, body).await;
                    if status == StatusCode::CREATED {
                        notice_path = Some(format!("/api/v1/notices/{}", notice["id"]));
                    }
                    (status, notice)
                }
                Permission::NoticeReply => {
                    let path = notice_path.as_ref().expect("a leader issued a notice");
                    app.post(&format!("{path}/acknowledge"), token, json!({})).await
                }
                Permission::SweepRun => app.post("/api/v1/supervision/sweep", token, json!({})).await,
                Permission::SessionsRead => app.get("/api/v1/sessions?from=2026-11-02&to=2026-11-08", token).await,
                Permission::OutboxRead => app.get("/api/v1/outbox", token).await,
                Permission::AlertsRead => app.get("/api/v1/alerts?status=open", token).await,
                Permission::CalendarManage => {
                    let (_, policies) = app.get("/api/v1/clock-policies", token).await;
                    app.call(Method::PUT, "/api/v1/clock-policies", Some(token), Some(policies)).await
                }
                Permission::TriageManage => {
                    let (_, rules) = app.get("/api/v1/triage/rules", token).await;
                    app.call(Method::PUT, "/api/v1/triage/rules", Some(token), Some(rules)).await
                }
                Permission::TriageExampleAdd => {
                    let body = json!({"category": "labor", "text": "工地老板拖欠三个月工资不给"});
                    app.post("/api/v1/triage/examples", token, body).await
                }
                Permission::OrganisationManage => {
                    let (status, _) = ui_get(&app, &user.session, "/admin").await;
                    (status, Value::Null)
                }
                Permission::CitizenCaseBring => {
                    let body = registration(&id_number("620102", "19900101", 34), "13900001112");
                    app.post("/api/v1/citizen/cases", token, body).await
                }
                Permission::CitizenCaseFollow => app.get("/api/v1/citizen/cases", token).await,
                Permission::SystemAccountManage => app.get("/api/v1/system-accounts", token).await,
                Permission::WebhooksManage => app.get("/api/v1/webhook-subscriptions", token).await,
                Permission::EvaluationRead => app.get("/api/v1/evaluations?period=2026-11", token).await,
                Permission::RiskListManage => app.post("/api/v1/risk-lists", token, json!({"region": ""})).await,
                Permission::JointMeetingManage => {
                    app.post("/api/v1/joint-meetings", token, json!({"region": ""})).await
                }
                Permission::PeopleRiskRead => app.get("/api/v1/people/risk", token).await,
                // Each with nothing said: refused for its missing fields once allowed.
                Permission::PeopleWatchManage => app.post("/api/v1/people/watch", token, json!({})).await,
                Permission::PeopleVisit => app.post("/api/v1/people/watch/1/visits", token, json!({})).await,
                Permission::CommandScreenView => app.get("/api/v1/command", token).await,
                // Each with its text blank: refused for the field once the viewer may.
                Permission::PoliceRefer => {
                    app.post(&format!("{case_path}/police-referrals"), token, json!({"reason": ""})).await
                }
                Permission::PoliceReferralAnswer => {
                    app.post(&format!("{referral_path}/feedback"), token, json!({"text": ""})).await
                }
                Permission::TaskForceManage => app.post(&format!("{case_path}/task-force"), token, json!({})).await,
                Permission::ReportRead => app.get("/api/v1/reports", token).await,
                // An unknown kind: 422 once the role may issue reports.
                Permission::ReportIssue => {
                    let body = json!({"kind": "yearly", "region": "620102000000", "period_start": "2026-10-01"});
                    app.post("/api/v1/reports", token, body).await
                }
                Permission::ReferralsRead => app.get("/api/v1/referrals", token).await,
                // Each with a field at fault: refused for it once allowed.
                Permission::PatrolLog => app.post("/api/v1/patrols", token, json!({"visited": -1})).await,
                Permission::GridRead => app.get("/api/v1/hazards?status=open", token).await,
                Permission::HazardReport => app.post("/api/v1/hazards", token, json!({"kind": "flood"})).await,
                Permission::HazardHandle => app.post(&format!("{hazard_path}/resolve"), token, json!({})).await,
                // An empty answer: refused for its missing decision once allowed.
                Permission::ReferralDecide => app.post("/api/v1/referrals/1/decision", token, json!({})).await,
                Permission::WorkOrders => app.get("/api/v1/work-orders", token).await,
                Permission::Petitions => app.get("/api/v1/petitions", token).await,
                Permission::PoliceIncidents => app.get("/api/v1/police-incidents", token).await,
                Permission::EvaluationRulesManage => {
                    let rules = json!({"overdue_points": 1.0, "return_points": 2.0, "satisfaction_target": 90.0,
                        "satisfaction_points": 1.0, "order_points": 5.0, "unanswered_points": 3.0,
                        "red_below": 60.0, "yellow_below": 80.0});
                    app.call(Method::PUT, "/api/v1/evaluation-rules", Some(token), Some(rules)).await
                }
                Permission::CitizenCaseRate => {
                    let body = json!({"satisfaction": "satisfied"});
                    app.post(&format!("/api/v1/citizen/cases/{}/rating", case["id"]), token, body).await
                }
                Permission::CitizenMediatorChoose => {
                    app.get(&format!("/api/v1/citizen/cases/{}/mediators", case["id"]), token).await
                }
                // No reason given: refused for the field once the viewer may.
                Permission::RecordingHold => {
                    app.post(&format!("{case_path}/recordings/hold"), token, json!({"reason": ""})).await
                }
            };
            if status != expected {
                wrong.push(format!(
                    "{} ({}) {permission:?}: expected {expected}, got {status} {body}",
                    user.name, user.role
                ));
            }
            // The places' colours are read under the same grant as the alerts.
            if permission == Permission::AlertsRead {
                let (status, body) = app.get("/api/v1/places/risk?colour=red", token).await;
                if status != expected {
                    wrong.push(format!("{} /api/v1/places/risk: expected {expected}, got {status} {body}", user.name));
                }
            }
        }
    }
    assert_eq!(tried.len(), Permission::ALL.len(), "every permission is probed");

    // The UI offers what the policy grants and nothing else.
    let case_page = format!("/cases/{}", case["id"]);
    for user in &users {
        let (status, _) = ui_get(&app, &user.session, "/intake").await;
        let expected =
            if authz::has(user.role, Permission::CaseRegister) { StatusCode::OK } else { StatusCode::FORBIDDEN };
        if status != expected {
            wrong.push(format!("{} UI /intake: expected {expected}, got {status}", user.name));
        }
        let (status, html) = ui_get(&app, &user.session, &case_page).await;
        if !user.sees_case {
            if status != StatusCode::NOT_FOUND {
                wrong.push(format!("{} UI case page outside the scope: {status}", user.name));
            }
            continue;
        }
        let handled = Resource { handling: user.handling, ..Resource::ANY };
        let offers = [
            (Permission::Mediate, handled, r#"data-action="session""#),
            (Permission::Mediate, handled, r#"data-action="draft""#),
            (Permission::MediatorChoose, handled, r#"data-action="mediator""#),
            (Permission::PersonalDataReveal, Resource::ANY, "/reveal\""),
            (
                Permission::NoticeIssue,
                Resource { supervising: user.supervising, ..Resource::ANY },
                r#"data-action="order""#,
            ),
        ];
        for (permission, resource, marker) in offers {
            let expected = authz::may(user.role, permission, resource).is_ok();
            if html.contains(marker) != expected {
                wrong.push(format!("{} UI case page: {marker} shown {} (policy: {expected})", user.name, !expected));
            }
        }
    }
    assert!(wrong.is_empty(), "{} disagreements with the policy:\n{}", wrong.len(), wrong.join("\n"));
}
