//! The integration suite: the real server on a real database, through HTTP and the command
//! line, every test on SQLite and on PostgreSQL.

// The tests set the server's clock from the real one and read the test database's address.
#![allow(clippy::disallowed_methods)]

mod admin;
mod audit;
mod authz;
mod calendar;
mod case_import;
mod casefile;
mod command;
mod delivery;
mod demo;
mod evaluations;
mod export;
mod faults;
mod figures;
mod grid;
mod integration;
mod joint;
mod law;
mod live;
mod map;
mod mediation;
mod open311;
mod org_import;
mod petitions;
mod places;
mod police_incidents;
mod portal;
mod referrals;
mod reports;
mod response;
mod risk;
mod rooms_bench;
mod scale;
mod signalling;
mod spine;
mod stats;
mod supervision;
mod support;
mod tidy;
mod training;
mod triage;
mod video;
mod warning;
mod watch;
mod webhooks;
mod work_orders;
mod workbench;
