//! The `/api/v1` routes, one module per resource.

mod auth;
mod cases;
mod org;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(auth::login))
        .routes(routes!(auth::me))
        .routes(routes!(auth::logout))
        .routes(routes!(org::units))
        .routes(routes!(org::regions))
        .routes(routes!(org::grids))
        .routes(routes!(cases::register, cases::list))
        .routes(routes!(cases::get_one))
        .routes(routes!(cases::events))
        .routes(routes!(cases::act))
}
