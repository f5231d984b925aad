//! 指挥大屏 `/command`: the command screen of a region of the viewer's territory for a
//! 1920×1080 wall (dark, large type), usable on a desktop too. Every chart is first SVG drawn
//! here, on the server, so the screen reads without script; `assets/command.js` then draws the
//! territory on its real map with Apache ECharts (served from the binary) where an
//! administrator imported the boundaries (`GET /api/v1/command/map`), and the trend with
//! tooltips, from the same figures, which the page carries as JSON. The live feed is an
//! `EventSource` on `/api/v1/live`.

use app::command::{CommandScreen, PeriodCounts, TREND_DAYS};
use app::evaluations::StoredEvaluation;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::msg;
use domain::org::RegionCode;
use domain::validation::FieldError;
use serde::Deserialize;

use super::i18n::T;
use super::{Session, UiError, render};
use crate::AppState;

#[derive(Debug, Deserialize)]
pub struct CommandQuery {
    region: Option<String>,
    /// `volume` (default) or `risk`: how the territory's tiles are coloured.
    by: Option<String>,
}

/// The width and height of the charts' drawing (scaled by CSS).
const CHART_W: f64 = 600.0;
const CHART_H: f64 = 200.0;

/// A line of the trend, as SVG points.
struct Trend {
    registered: String,
    concluded: String,
    max: i64,
    first: String,
    last: String,
}

/// A bar of a bar chart: label, count, length in the drawing.
struct Bar {
    label: String,
    count: i64,
    width: f64,
    y: f64,
}

/// A region's tile on the schematic map.
struct Tile {
    code: String,
    name: String,
    count: i64,
    red: i64,
    x: f64,
    y: f64,
    w: f64,
    h: f64,
    /// `level-0` … `level-4` by volume, or `risk-red|orange|calm`.
    class: String,
    link: bool,
}

#[derive(Template)]
#[template(path = "command.html")]
struct CommandPage {
    t: T,
    screen: CommandScreen,
    by_risk: bool,
    periods: Vec<(String, PeriodCounts)>,
    trend: Trend,
    categories: Vec<Bar>,
    tiles: Vec<Tile>,
    map_h: f64,
    /// The tiles as the map script reads them: code, name, count, red, class, link.
    areas_json: String,
    /// The trend as the chart script reads them: days, registered, concluded.
    trend_json: String,
    /// How many units hold a red, a yellow and a green card.
    tally: [usize; 3],
    /// The units with the lowest scores, at most [`CARDS_SHOWN`] (the wall has no room for all).
    worst: Vec<StoredEvaluation>,
}

/// How many units' cards the screen lists.
const CARDS_SHOWN: usize = 8;

impl CommandPage {
    fn card_label(&self, card: &str) -> String {
        let phrase = match card {
            "red" => "红牌",
            "yellow" => "黄牌",
            _ => "绿牌",
        };
        self.t.s(phrase).into_owned()
    }
}

pub async fn page(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<CommandQuery>,
) -> Result<Response, UiError> {
    let region = match query.region.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(code) => Some(RegionCode::parse(code).map_err(|e| {
            app::AppError::field(FieldError::new(
                "region",
                "invalid_region_code",
                msg!("region_code.invalid", reason = e.message()),
            ))
        })?),
        None => None,
    };
    let screen = state.app.command_screen(&session.viewer, region).await?;
    let t = session.t;
    let by_risk = query.by.as_deref() == Some("risk");
    let periods = vec![
        (t.s("今日").into_owned(), screen.today),
        (t.s("近7日").into_owned(), screen.week),
        (t.s("本月").into_owned(), screen.month),
    ];
    let trend = trend(&screen);
    let max = screen.top_categories.first().map_or(1, |(_, n)| (*n).max(1));
    let categories = screen
        .top_categories
        .iter()
        .enumerate()
        .map(|(i, (code, count))| Bar {
            label: t.code("category", code),
            count: *count,
            width: (*count as f64 / max as f64 * (CHART_W - 260.0)).max(2.0),
            y: i as f64 * 32.0,
        })
        .collect();
    let (tiles, map_h) = tiles(&screen, by_risk);
    let areas_json = serde_json::Value::from_iter(tiles.iter().map(|tile| {
        serde_json::json!({"code": tile.code, "name": tile.name, "count": tile.count, "red": tile.red, "class": tile.class, "link": tile.link})
    }))
    .to_string();
    let trend_json = serde_json::json!({
        "days": screen.trend.iter().map(|(day, _, _)| day.format("%m-%d").to_string()).collect::<Vec<_>>(),
        "registered": screen.trend.iter().map(|(_, registered, _)| registered).collect::<Vec<_>>(),
        "concluded": screen.trend.iter().map(|(_, _, concluded)| concluded).collect::<Vec<_>>(),
    })
    .to_string();
    let count = |card: &str| screen.cards.iter().filter(|c| c.card.as_str() == card).count();
    let tally = [count("red"), count("yellow"), count("green")];
    let mut worst = screen.cards.clone();
    worst.sort_by(|a, b| a.score.total_cmp(&b.score).then_with(|| a.unit_id.cmp(&b.unit_id)));
    worst.truncate(CARDS_SHOWN);
    let page = CommandPage {
        t,
        screen,
        by_risk,
        periods,
        trend,
        categories,
        tiles,
        map_h,
        areas_json,
        trend_json,
        tally,
        worst,
    };
    Ok(render(StatusCode::OK, &page, false))
}

fn trend(screen: &CommandScreen) -> Trend {
    let max = screen.trend.iter().map(|(_, r, c)| (*r).max(*c)).max().unwrap_or(0).max(1);
    let step = CHART_W / (TREND_DAYS - 1).max(1) as f64;
    let points = |pick: fn(&(chrono::NaiveDate, i64, i64)) -> i64| {
        screen
            .trend
            .iter()
            .enumerate()
            .map(|(i, day)| {
                format!("{:.1},{:.1}", i as f64 * step, CHART_H - pick(day) as f64 / max as f64 * (CHART_H - 10.0))
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let date =
        |day: Option<&(chrono::NaiveDate, i64, i64)>| day.map(|d| d.0.format("%m-%d").to_string()).unwrap_or_default();
    Trend {
        registered: points(|d| d.1),
        concluded: points(|d| d.2),
        max,
        first: date(screen.trend.first()),
        last: date(screen.trend.last()),
    }
}

/// The child regions as a grid of tiles (a schematic: no boundaries are drawn), coloured by
/// this month's volume in five steps of the largest, or by risk: the colour the place carries
/// (地点风险), else the worst risk registered this month.
fn tiles(screen: &CommandScreen, by_risk: bool) -> (Vec<Tile>, f64) {
    let n = screen.territory.len();
    if n == 0 {
        return (Vec::new(), 0.0);
    }
    let columns = (n as f64).sqrt().ceil().max(1.0) as usize;
    let rows = n.div_ceil(columns);
    let (w, h) = (CHART_W / columns as f64, 110.0);
    let max = screen.territory.iter().map(|r| r.volume.received).max().unwrap_or(0).max(1);
    let tiles = screen
        .territory
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let class = if by_risk {
                match (r.place_colour, r.volume.red, r.volume.orange) {
                    (Some(colour), _, _) => format!("risk-{}", colour.as_str()),
                    (None, red, _) if red > 0 => "risk-red".to_owned(),
                    (None, _, orange) if orange > 0 => "risk-orange".to_owned(),
                    _ => "risk-calm".to_owned(),
                }
            } else {
                let step = if r.volume.received == 0 { 0 } else { 1 + (r.volume.received * 4 - 1) / max };
                format!("level-{}", step.min(4))
            };
            Tile {
                code: r.code.clone(),
                name: r.name.clone(),
                count: r.volume.received,
                red: r.volume.red,
                x: (i % columns) as f64 * w,
                y: (i / columns) as f64 * h,
                w: w - 6.0,
                h: h - 6.0,
                class,
                link: r.has_children,
            }
        })
        .collect();
    (tiles, rows as f64 * h)
}
