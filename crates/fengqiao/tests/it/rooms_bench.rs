//! The video rooms' bench (`fengqiao bench --rooms`, issue 17), on SQLite and on PostgreSQL:
//! two rooms of two synthetic participants each, through the real signalling and the node's
//! media server in a `serve` process, for two seconds. Media must flow both ways in every room
//! and the report must carry the server's CPU — a forwarding that broke, in one direction or
//! one room, fails here.

use serde_json::Value;

use crate::on_both_backends;
use crate::support::TestApp;

on_both_backends!(the_rooms_bench_sees_media_flow_both_ways_in_every_room);

async fn the_rooms_bench_sees_media_flow_both_ways_in_every_room(app: TestApp) {
    let report = app.data_dir.join("rooms.json");
    let report_arg = report.to_str().unwrap();
    let output = app.cli(&["bench", "--rooms", "2", "--seconds", "2", "--report", report_arg], None);
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{log}");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let step = &report["steps"][0];
    assert_eq!((step["rooms"].as_u64(), step["forwarded_streams"].as_u64()), (Some(2), Some(8)), "{step}");
    assert_eq!(report["cpu_limit_percent"].as_u64(), Some(report["cores"].as_u64().unwrap() * 100));

    // Two seconds are 100 audio and 60 video frames from each side: at least half must arrive,
    // in both directions of both rooms.
    let rooms = step["room_detail"].as_array().unwrap();
    assert_eq!(rooms.len(), 2);
    for room in rooms {
        for side in ["host_received", "party_received"] {
            let (audio, video) = (room[side]["audio"].as_u64().unwrap(), room[side]["video"].as_u64().unwrap());
            assert!(audio >= 50 && video >= 30, "{side}: {audio} audio, {video} video frames in {room}");
        }
    }
    assert!(step["delivered_ratio"].as_f64().unwrap() > 0.5, "{step}");
    assert!(step["server_cpu_percent"].as_f64().unwrap() > 0.0, "the serve process's CPU is measured: {step}");
    assert!(step["server_cpu_percent_per_stream"].as_f64().unwrap() > 0.0, "{step}");
}
