//! DataStage XML export (`<DSExport>`) reader. See datastage-reference §3.
