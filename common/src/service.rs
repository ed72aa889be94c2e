//! The services a connection can get: what a server does with it, and so
//! what its client expects back. Both sessions take one.

use std::fmt;
use std::str::FromStr;

/// What a server does with a connection. Same meaning in every model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Service {
    /// The classroom exchange: raw bytes until end of stream make one message.
    #[default]
    Message,
    /// Every frame is sent back unchanged, in order.
    Echo,
    /// Frames are consumed; at end of stream the server answers with a summary.
    Sink,
}

impl Service {
    /// All services, for help texts and test matrices.
    pub const ALL: [Service; 3] = [Service::Message, Service::Echo, Service::Sink];

    /// The lower-case name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Service::Message => "message",
            Service::Echo => "echo",
            Service::Sink => "sink",
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown service name.
#[derive(Debug, thiserror::Error)]
#[error("unknown service {0:?} (expected message, echo or sink)")]
pub struct UnknownService(pub String);

impl FromStr for Service {
    type Err = UnknownService;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Service::ALL
            .into_iter()
            .find(|svc| svc.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownService(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_parse_by_name() {
        for s in Service::ALL {
            assert_eq!(s.name().parse::<Service>().unwrap(), s);
        }
        assert!("ECHO".parse::<Service>().is_ok());
        assert!("chat"
            .parse::<Service>()
            .unwrap_err()
            .to_string()
            .contains("message, echo or sink"));
    }
}
