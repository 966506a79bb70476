//! # art60-dmfa
//!
//! The employers' quarterly declarations (DmfA) as the authentic source of a person's work
//! history: a streaming reader of `DmfAOriginal` XML files ([`parser`]), the service-code table
//! ([`codes`], data with legal references), the mapping to the engine's input ([`mapping`]), the
//! comparison with periods typed by the CPAS ([`reconcile`]), a summary for `art60 dmfa inspect`
//! ([`summary`]) and a generator of large valid declarations for benchmarks ([`synth`]).

pub mod calc;
pub mod codes;
pub mod mapping;
pub mod model;
pub mod parser;
pub mod reconcile;
pub mod summary;
pub mod synth;

pub use calc::plan_request;
pub use mapping::{HistoryOptions, Note, NoteKind, PersonHistory, to_history};
pub use model::{Employer, Occupation, PersonDeclaration, Service, WorkerRecord};
pub use parser::{
    DmfaReader, Dropped, Item, Location, ParseError, Parsed, Problem, RecordError, parse_bytes,
    parse_file, parse_reader,
};
pub use reconcile::{Conflict, ConflictKind, reconcile};
