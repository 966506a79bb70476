//! The directory of ONEM offices.

use art60_service::api::AppState;
use art60_service::directory::{self, OfficeView};
use askama::Template;
use axum::extract::State;

use crate::ctx::{Ctx, render};

use super::shared::*;

#[derive(Template)]
#[template(path = "directory.html")]
struct DirectoryPage {
    ctx: Ctx,
    offices: Vec<OfficeView>,
}

pub async fn directory_page(State(st): State<AppState>, ctx: Ctx) -> PageResult {
    let offices = directory::list_offices(&st.db)
        .await
        .map_err(|e| ctx.fail(e))?;
    let lang = ctx.lang;
    Ok(render(lang, &DirectoryPage { ctx, offices }))
}
