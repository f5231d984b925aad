//! The integration suite: the real server on a real database, through HTTP and the command
//! line, every test on SQLite and on PostgreSQL.

mod authz;
mod mediation;
mod scale;
mod spine;
mod stats;
mod supervision;
mod support;
mod tidy;
mod triage;
