//! The DataStage Transformer expression language (datastage-reference §4):
//! parser, name resolution and types, reference evaluator, translators to
//! PySpark and SQL dialects, stage-variable analysis and the generated
//! coverage table.
//!
//! Entry points: [`parse`], [`resolve::Scope`], [`eval::eval`],
//! [`translate::pyspark::to_pyspark`], [`translate::sql::to_sql`],
//! [`stagevars::analyse`], [`coverage::markdown`].

pub mod ast;
pub mod coverage;
pub mod datefmt;
pub mod eval;
pub mod functions;
mod lexer;
pub mod parser;
pub mod resolve;
pub mod stagevars;
pub mod translate;
pub mod types;

pub use ast::Expr;
pub use parser::{ParseError, parse};
