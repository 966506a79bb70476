//! The explanation: the trace of steps a calculation writes ([`trace`]), and its rendering in
//! English, French, Dutch or German: step by step ([`render`]) and in plain language
//! ([`plain`]).

pub mod plain;
mod render;
pub(crate) mod trace;

pub use plain::{Plain, plain};
pub use render::*;
