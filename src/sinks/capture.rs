//! A scriptable in-memory sink for tests (feature `std`; always in unit tests).
//!
//! [`Capture`] is the test's handle; [`CaptureSink`] is what gets
//! registered. The script can make the sink take few bytes per call, report
//! would-block or failure, be thread-only, or run a hook inside `write` (to
//! log from inside a sink, or to play a slow device).
//!
//! ```
//! use logbuf::sinks::{Capture, Sink, SinkError};
//! let cap = Capture::new();
//! let mut sink = cap.sink();
//! cap.set_chunk(2);
//! assert_eq!(sink.write(b"abc"), Ok(2));
//! cap.block_next(1);
//! assert_eq!(sink.write(b"c"), Err(SinkError::WouldBlock));
//! assert_eq!(sink.write(b"c"), Ok(1));
//! assert_eq!(cap.text(), "abc");
//! ```

use super::{RecordFormat, Sink, SinkError, TextMode};
use std::boxed::Box;
use std::string::String;
use std::sync::{Arc, Mutex};
use std::vec::Vec;

type Hook = Box<dyn FnMut(&[u8]) + Send>;

struct State {
    bytes: Vec<u8>,
    chunk: usize,
    block_next: u32,
    fail_next: u32,
    fail_always: bool,
    block_always: bool,
    any_context: bool,
    format: RecordFormat,
    text_mode: TextMode,
    writes: u64,
    hook: Option<Hook>,
}

/// The test's handle on a capture sink (cheap to clone).
#[derive(Clone)]
pub struct Capture {
    state: Arc<Mutex<State>>,
}

/// The sink side of a [`Capture`]; register it with a logger.
pub struct CaptureSink {
    state: Arc<Mutex<State>>,
}

impl Default for Capture {
    fn default() -> Self {
        Self::new()
    }
}

impl Capture {
    /// An empty, always-ready, any-context text sink.
    pub fn new() -> Capture {
        Capture {
            state: Arc::new(Mutex::new(State {
                bytes: Vec::new(),
                chunk: usize::MAX,
                block_next: 0,
                fail_next: 0,
                fail_always: false,
                block_always: false,
                any_context: true,
                format: RecordFormat::Lines,
                text_mode: TextMode::Escaped,
                writes: 0,
                hook: None,
            })),
        }
    }
    fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.state.lock().unwrap_or_else(|e| e.into_inner()))
    }
    /// A sink writing into this capture.
    pub fn sink(&self) -> CaptureSink {
        CaptureSink {
            state: self.state.clone(),
        }
    }
    /// A sink leaked to `'static`, ready for `Logger::add_console`.
    pub fn leak_sink(&self) -> &'static mut CaptureSink {
        Box::leak(Box::new(self.sink()))
    }
    /// Everything written so far.
    pub fn bytes(&self) -> Vec<u8> {
        self.with(|s| s.bytes.clone())
    }
    /// Everything written so far, as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes()).into_owned()
    }
    /// Lines written so far (without the newline).
    pub fn lines(&self) -> Vec<String> {
        self.text().lines().map(String::from).collect()
    }
    /// Forgets what was written.
    pub fn clear(&self) {
        self.with(|s| s.bytes.clear())
    }
    /// Calls to `write` so far.
    pub fn writes(&self) -> u64 {
        self.with(|s| s.writes)
    }
    /// Take at most `n` bytes per `write` call.
    pub fn set_chunk(&self, n: usize) {
        self.with(|s| s.chunk = n.max(1))
    }
    /// The next `n` calls return would-block.
    pub fn block_next(&self, n: u32) {
        self.with(|s| s.block_next = n)
    }
    /// Every call returns would-block until set back.
    pub fn set_block_always(&self, on: bool) {
        self.with(|s| s.block_always = on)
    }
    /// The next `n` calls fail.
    pub fn fail_next(&self, n: u32) {
        self.with(|s| s.fail_next = n)
    }
    /// Every call fails until set back.
    pub fn set_fail_always(&self, on: bool) {
        self.with(|s| s.fail_always = on)
    }
    /// Whether the sink claims to be usable from any context.
    pub fn set_any_context(&self, on: bool) {
        self.with(|s| s.any_context = on)
    }
    /// Rendering the sink asks for.
    pub fn set_format(&self, f: RecordFormat) {
        self.with(|s| s.format = f)
    }
    /// Whether text is escaped for this sink (default: escaped).
    pub fn set_text_mode(&self, m: TextMode) {
        self.with(|s| s.text_mode = m)
    }
    /// Runs `hook` inside every `write` call, before the bytes are taken
    /// (the capture's lock is not held while it runs).
    pub fn set_hook(&self, hook: impl FnMut(&[u8]) + Send + 'static) {
        self.with(|s| s.hook = Some(Box::new(hook)))
    }
    /// Removes the hook.
    pub fn clear_hook(&self) {
        self.with(|s| s.hook = None)
    }
}

impl Sink for CaptureSink {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, SinkError> {
        let hook = {
            let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
            s.writes += 1;
            s.hook.take()
        };
        if let Some(mut hook) = hook {
            hook(bytes);
            let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
            if s.hook.is_none() {
                s.hook = Some(hook);
            }
        }
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if s.fail_always {
            return Err(SinkError::Failed);
        }
        if s.fail_next > 0 {
            s.fail_next -= 1;
            return Err(SinkError::Failed);
        }
        if s.block_always {
            return Err(SinkError::WouldBlock);
        }
        if s.block_next > 0 {
            s.block_next -= 1;
            return Err(SinkError::WouldBlock);
        }
        let n = bytes.len().min(s.chunk);
        s.bytes.extend_from_slice(&bytes[..n]);
        Ok(n)
    }
    fn any_context(&self) -> bool {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .any_context
    }
    fn format(&self) -> RecordFormat {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).format
    }
    fn text_mode(&self) -> TextMode {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .text_mode
    }
}
