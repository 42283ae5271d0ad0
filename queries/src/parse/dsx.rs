//! DSX text export reader.
