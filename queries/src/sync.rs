//! Locking shared by the engine, the store and the LLM client.

use std::sync::{Mutex, MutexGuard};

/// Lock a mutex whose data stays consistent even if a holder panicked
/// (every critical section here is a single insert, take or read).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
