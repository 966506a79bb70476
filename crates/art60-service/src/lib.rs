//! Case service: requests from CPAS to ONEM (`art60 serve`).
//!
//! Layers, each depending only on the ones above it:
//! - [`db`]: entities, migrations, connection (SQLite or PostgreSQL from one code path);
//! - [`clock`], [`error`], [`audit`]: injectable time, service errors, the hash-chained trail;
//! - [`auth`]: accounts, sessions, API tokens, the actor and what it may see;
//! - [`directory`], [`persons`], [`requests`], [`queue`], [`attachments`]: the workflow, as
//!   plain async functions taking an actor and an input (reused by the HTML portal later);
//! - [`api`]: the thin JSON/HTTP layer; [`demo`]: demonstration data.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod access_export;
pub mod api;
pub mod attachments;
pub mod audit;
pub mod audit_checkpoint;
pub mod auth;
pub mod clock;
pub mod db;
pub mod demo;
mod demo_contact;
pub mod demo_dmfa;
pub mod demo_impact;
pub mod directory;
pub mod dmfa;
pub mod dmfa_review;
pub mod dmfa_scope;
pub mod email;
pub mod engine;
pub mod error;
pub mod escalations;
pub mod impact;
pub mod impact_runs;
pub mod letters;
pub mod login_throttle;
pub mod messages;
pub mod notify;
pub mod oidc;
pub mod org_access;
pub mod organisations;
pub mod persons;
pub mod pii;
pub mod queue;
pub mod requests;
pub mod retention;
pub mod server;
pub mod support;

pub use clock::{Clock, FixedClock, SystemClock};
pub use db::Db;
pub use error::ServiceError;
