//! # art60-dmfa
//!
//! The employers' quarterly declarations (DmfA) as the authentic source of a person's work
//! history: a streaming reader of `DmfAOriginal` XML files ([`parser`]), the service-code table
//! ([`codes`], data with legal references), the mapping to the engine's input ([`mapping`]), the
//! comparison with periods typed by the CPAS ([`mod@reconcile`]), a summary for `art60 dmfa inspect`
//! ([`summary`]) and a generator of large valid declarations for benchmarks ([`synth`]).
//!
//! ## Use from the case service
//!
//! 1. Upload: [`parse_bytes`] (or [`parse_reader`]) returns the person declarations and the
//!    rejected records (each with line, column, element path and what was left out). A
//!    [`ParseError`] means the file is not usable at all: store nothing (one transaction).
//! 2. Store the [`PersonDeclaration`]s (they serialise to JSON) keyed by NISS, employer and
//!    quarter. A declaration with `refused_parts > 0` is incomplete (its refused records and
//!    lines are in `rejected`): it must not replace a stored one; of two complete ones the
//!    later `form_created` wins.
//! 3. History: [`to_history`] over all stored declarations of the person, in upload order, gives
//!    the DmfA `HistoryItem`s (source `Dmfa`) and the [`Note`]s to show (excluded, manual review,
//!    provisional with the reason).
//! 4. Typed periods stay as typed: [`reconcile()`] lists every [`Conflict`] between them and the
//!    DmfA periods; nothing is merged.
//! 5. Calculation: [`plan_request`] builds the engine request from the chosen history.

pub mod calc;
pub mod codes;
#[cfg(test)]
mod diff_tests;
pub mod mapping;
pub mod model;
pub mod parser;
#[cfg(test)]
mod parser_ref;
pub mod reconcile;
pub mod summary;
pub mod synth;
mod xml;

pub use calc::plan_request;
pub use mapping::{HistoryOptions, Note, NoteKind, PersonHistory, to_history};
pub use model::{Employer, Occupation, PersonDeclaration, Service, WorkerRecord};
pub use parser::{
    DmfaReader, Dropped, Item, Location, ParseError, Parsed, Problem, RecordError, parse_bytes,
    parse_file, parse_reader,
};
pub use reconcile::{Conflict, ConflictKind, reconcile};
