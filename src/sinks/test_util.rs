//! Helpers for the adapters' unit tests: a fixed platform and shared state
//! a fake device and its test both see.

use crate::console::{Caller, Logger, Platform};
use std::boxed::Box;
use std::sync::{Arc, Mutex};

/// Thread 0 on core 0; the clock always reads 42 µs.
pub(crate) struct Board;
impl Platform for Board {
    fn caller() -> Caller {
        Caller::thread(0, 0)
    }
    fn now() -> u64 {
        42
    }
    fn wake_printer() {}
}

/// A logger of its own for one test.
pub(crate) fn logger() -> &'static Logger<Board, 1024, 32, 2> {
    Box::leak(Box::new(Logger::new()))
}

/// State shared between a fake device (moved into a sink) and its test.
#[derive(Default)]
pub(crate) struct Shared<T>(Arc<Mutex<T>>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<T: Clone> Shared<T> {
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        f(&mut self.0.lock().unwrap())
    }
    pub(crate) fn get(&self) -> T {
        self.with(|t| t.clone())
    }
}
