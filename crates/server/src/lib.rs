//! Starling's server: the `starling` binary's library half.
//!
//! It owns the v1 JSON API ([`api`]) and the cache tier its responses go
//! through ([`responses`], [`cache`], [`purge`], [`metrics`]), the sources
//! behind it (the embedded SQLite store and its seed in [`store`], an
//! origin server in [`upstream`]), the content-hashed bundles
//! ([`bundles`]), the demo storefront ([`demo`]) and the Judge.me CSV
//! import ([`import`]). The
//! binary in `main.rs` only parses the command line and calls into here, so
//! tests drive the same [`app::router`] in-process.

pub mod api;
pub mod app;
pub mod bundles;
pub mod cache;
pub mod cli;
pub mod dates;
pub mod demo;
pub mod error;
pub mod http;
pub mod import;
pub mod metrics;
pub mod purge;
pub mod responses;
pub mod store;
pub mod upstream;
