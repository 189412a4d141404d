//! The dashboard: drives service B, shows every answer and both services' logs
//! live, and lets the learner break service A to watch what B, the logs and the
//! numbers do.
//!
//! State lives in [`app`] and changes only through events and key actions, so it
//! is tested without a terminal; [`ui`] draws it; the runtime in [`dashboard`]
//! wires the terminal, the background tasks and the children of [`supervisor`].

pub mod app;
pub mod burst;
pub mod cli;
pub mod dashboard;
pub mod event;
pub mod http;
pub mod keys;
pub mod logtail;
pub mod report;
pub mod stats;
pub mod supervisor;
pub mod ui;
