//! The session's own settings: the part of a server's settings that
//! decides what one connection accepts and holds. A server's other settings
//! (addresses, connection limits, threads, timeouts) are the serving
//! layer's; it hands the session these.

use super::{ServerSession, STREAM_CHUNK};
use crate::frame::READ_CHUNK;
use crate::service::Service;
use crate::work::Work;

/// What one server-side connection accepts and holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionConfig {
    /// The service the connection gets.
    pub service: Service,
    /// Largest frame payload (echo, sink); frames are streamed, so this
    /// does not set memory.
    pub max_frame: usize,
    /// Largest message (`message` service; kept whole).
    pub max_message: usize,
    /// Pending output above which the session stops asking for input.
    pub output_cap: usize,
    /// Work per frame (echo, sink); `None`: answer at once.
    pub work: Option<Work>,
}

impl ServerSession {
    /// A session with these limits: `max_frame` for frames, `max_message`
    /// for a message, `output_cap` for output. A server passes its own
    /// settings (`&ServerConfig` converts).
    pub fn for_config(config: impl Into<SessionConfig>) -> Self {
        let config = config.into();
        let limit = match config.service {
            Service::Message => config.max_message,
            Service::Echo | Service::Sink => config.max_frame,
        };
        ServerSession::new(config.service, limit, config.output_cap).with_work(config.work)
    }

    /// The most buffer memory one connection of `config` can hold, in bytes:
    /// a message and one read (`message`), or one read and the output cap
    /// (echo, sink), whatever `max_frame` says.
    pub fn memory_bound(config: impl Into<SessionConfig>) -> usize {
        let config = config.into();
        match config.service {
            Service::Message => config.max_message.saturating_add(READ_CHUNK),
            Service::Echo | Service::Sink => STREAM_CHUNK + config.output_cap.max(64),
        }
    }
}
