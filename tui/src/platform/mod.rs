//! What differs between Linux, macOS and Windows, one module per concern, each
//! with the same interface on every platform: the rest of the dashboard never
//! needs a `cfg`.

pub mod files;
pub mod limits;
pub mod process;
pub mod signals;
