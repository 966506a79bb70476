//! The explanation: the trace of steps a calculation writes ([`trace`]), and its rendering in
//! English, French, Dutch or German ([`render`]).

mod render;
pub(crate) mod trace;

pub use render::*;
