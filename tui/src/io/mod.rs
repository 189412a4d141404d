//! The dashboard's I/O: each piece talks to the world (HTTP, processes, files)
//! and reports back through plain return values or the messages of
//! [`crate::msg`]; none of them touches the model.

pub mod admin;
pub mod burst;
pub mod hosts;
pub mod http;
pub mod link;
pub mod load;

pub mod report;
pub mod supervisor;
pub mod tail;
