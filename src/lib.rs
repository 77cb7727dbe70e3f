//! bitext turns folders of English and Chinese news articles into translations and
//! sentence-aligned parallel corpora.
//!
//! The crate is organised by pipeline stage: [`text`] reads, cleans and segments
//! articles, [`translate`] defines the engine trait and options, [`model`] loads
//! weights and the engines that implement it, [`align`] pairs sentences, [`corpus`]
//! reads and writes corpora, [`eval`] scores translations and alignments,
//! [`pipeline`] drives whole folders and [`report`] shows what a run produced. [`cli`]
//! is a thin layer over all of them.

pub mod align;
pub mod cli;
pub mod corpus;
pub mod eval;
pub mod fsio;
pub mod model;
pub mod pipeline;
pub mod report;
pub mod text;
pub mod translate;
