//! The portal's pages: thin handlers that call the case service's functions with the
//! signed-in actor and render askama templates, one module per page group. The groups
//! depend on `shared` (and the request form on the request page it falls back to), never
//! the other way round.

mod dashboard;
mod directory;
mod queue;
mod request;
mod request_form;
mod session;
mod shared;

pub use dashboard::dashboard;
pub use directory::directory_page;
pub use queue::queue_page;
pub(crate) use request::request_page_with_errors;
pub use request::{
    attachment_upload, request_copy, request_decide, request_derogation, request_get,
    request_print, request_return, request_send,
};
pub use request_form::{
    check_niss, edit_form, edit_post, new_request_form, new_request_post, simulate,
};
pub use session::{login, login_form, logout, oidc_callback, oidc_login, set_lang};
pub use shared::home;
pub(crate) use shared::with_flash;
