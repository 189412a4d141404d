//! The dashboard: drives service B, shows every answer and both services' logs
//! live, and lets the learner break service A to watch what B, the logs and the
//! numbers do. It talks to the services only over HTTP and through their log
//! files, and depends on the `contract` crate alone.
//!
//! Imports flow one way: [`msg`], [`text`], [`ids`] and [`ring`] are leaves; the pure
//! [`model`] changes only through its update functions; [`view`] draws it;
//! [`io`] talks to the world; [`runtime`] wires them together.

pub mod cli;
pub mod faults;
pub mod ids;
pub mod io;
pub mod keys;
pub mod lab;
pub mod markdown;
pub mod model;
pub mod msg;
pub mod platform;
pub mod ring;
pub mod runtime;
pub mod text;
pub mod view;
