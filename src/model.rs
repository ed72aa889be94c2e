//! The registry of I/O models: the one list the command, the demo, the
//! benches, the report and the tests iterate over.
//!
//! Three ways a program can wait for the network:
//!
//! | model | who waits | who performs the read | here |
//! |---|---|---|---|
//! | blocking | each thread, inside `recv` | the thread | `blocking/` (std, a thread per connection) |
//! | readiness | one thread, in `epoll_wait` ("which sockets could be read?") | the thread, after the event | `nonblocking/` (mio) |
//! | completion | one thread, in `io_uring_enter` ("which reads finished?") | the kernel, before the event | `completion/` (io_uring, Linux) |
//! | tokio | a runtime's workers, in `epoll_wait` (readiness) | a task per connection, when woken | `tokio/` (tokio, the runtime most readers know) |
//!
//! Adding a model means: its crate, one variant here (the compiler lists
//! every question below it must answer: its name and words in each
//! language, its colour in the charts, its role in a sentence, whether it
//! has event loops, its memory per connection), one arm in
//! [`start_server`](crate::start_server), one in the load generator, and
//! optionally a client and a load engine (then it joins
//! [`IoMode::CLIENTS`]). Everything else asks this registry.
//!
//! Why one file over 400 lines: it is the registry, and its point is to be
//! one list: every question the rest of the code asks of a model is a method
//! here, so that adding a model is one variant and the compiler's list of
//! arms.

use std::fmt;
use std::str::FromStr;

use sockmodes_common::config::MemoryBound;
use sockmodes_common::{ServerConfig, ServerSession};

use crate::ceiling::Concurrency;
use crate::demo::Lang;

/// An I/O model. The doc comments are `--mode`'s help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, clap::ValueEnum)]
pub enum IoMode {
    /// std::net: calls wait; one thread per connection.
    #[default]
    Blocking,
    /// mio (readiness): calls never wait; one event loop is told which
    /// sockets are ready, then reads them.
    #[value(name = "nonblocking", alias = "non-blocking")]
    NonBlocking,
    /// io_uring (completion, Linux): the kernel performs the reads and
    /// writes and reports them finished.
    Completion,
    /// tokio (readiness, a runtime): a task per connection on a
    /// multi-thread runtime whose workers wait for the sockets.
    Tokio,
}

impl IoMode {
    /// Every model, in table order.
    pub const ALL: [IoMode; 4] = [
        IoMode::Blocking,
        IoMode::NonBlocking,
        IoMode::Completion,
        IoMode::Tokio,
    ];

    /// The models with a client and a load engine of their own (any client
    /// talks to any server): all three on Linux, where io_uring is.
    #[cfg(target_os = "linux")]
    pub const CLIENTS: [IoMode; 3] = [IoMode::Blocking, IoMode::NonBlocking, IoMode::Completion];

    /// The models with a client and a load engine of their own (any client
    /// talks to any server); completion is Linux's.
    #[cfg(not(target_os = "linux"))]
    pub const CLIENTS: [IoMode; 2] = [IoMode::Blocking, IoMode::NonBlocking];

    /// The client engines the study's cross-check drives every server with
    /// (`study/src/crosscheck.rs`): one per way a client waits, a thread
    /// per connection and an event loop, the two that were seen to rank
    /// the servers differently.
    ///
    /// Why not every engine of [`CLIENTS`](Self::CLIENTS): each engine adds
    /// two cells (both placements) per server and count, about 180 s of a
    /// full run and 37 s of a quick one, which would take both over their
    /// limits (20 and 4 minutes). The completion engine is measured beside
    /// the others in `benches/generator_cost.rs` and the client x server
    /// matrix instead.
    pub const CROSS_CHECK_CLIENTS: [IoMode; 2] = [IoMode::Blocking, IoMode::NonBlocking];

    /// The server models built for this system (completion is Linux's).
    pub fn servers() -> Vec<IoMode> {
        IoMode::ALL
            .into_iter()
            .filter(|m| m.unavailable_os().is_none())
            .collect()
    }

    /// True when the study measures the model as one of its models
    /// (`study/src/target.rs`). Not tokio: the study measures tokio as its
    /// reference (a tokio server of its own, `Target::Tokio`, under the
    /// same name), and one name must name one server in its tables.
    pub fn in_study(self) -> bool {
        !matches!(self, IoMode::Tokio)
    }

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            IoMode::Blocking => "blocking",
            IoMode::NonBlocking => "nonblocking",
            IoMode::Completion => "completion",
            IoMode::Tokio => "tokio",
        }
    }

    /// The name its code goes by in the demo and the guides: the API that
    /// does its I/O.
    pub fn code_label(self) -> &'static str {
        match self {
            IoMode::Blocking => "std",
            IoMode::NonBlocking => "mio",
            IoMode::Completion => "io_uring",
            IoMode::Tokio => "tokio",
        }
    }

    /// The name in running English text ("the non-blocking server").
    pub fn prose(self) -> &'static str {
        match self {
            IoMode::Blocking => "blocking",
            IoMode::NonBlocking => "non-blocking",
            IoMode::Completion => "completion",
            IoMode::Tokio => "tokio",
        }
    }

    /// The name in a ratio's column head ("nb/b").
    pub fn short(self) -> &'static str {
        match self {
            IoMode::Blocking => "b",
            IoMode::NonBlocking => "nb",
            IoMode::Completion => "c",
            IoMode::Tokio => "t",
        }
    }

    /// The name in `lang`: the command-line name in English, the
    /// glossary's word in Spanish (docs/glosario.md).
    pub fn label(self, lang: Lang) -> &'static str {
        match (lang, self) {
            (Lang::En, m) => m.name(),
            (Lang::Es, IoMode::Blocking) => "bloqueante",
            (Lang::Es, IoMode::NonBlocking) => "no bloqueante",
            (Lang::Es, IoMode::Completion) => "finalización",
            (Lang::Es, IoMode::Tokio) => "tokio",
        }
    }

    /// The model in brief, as the report's first table introduces it:
    /// its API and what kind of server it is.
    pub fn in_brief(self) -> &'static str {
        match self {
            IoMode::Blocking => "std, thread per connection",
            IoMode::NonBlocking => "mio, readiness",
            IoMode::Completion => "io_uring, Linux",
            IoMode::Tokio => "tokio, a task per connection",
        }
    }

    /// Its colour in every chart (red, blue, orange), as RGB.
    pub fn colour(self) -> (u8, u8, u8) {
        match self {
            IoMode::Blocking => (214, 39, 40),
            IoMode::NonBlocking => (31, 119, 180),
            IoMode::Completion => (255, 127, 14),
            // Purple: the study's tokio reference is green.
            IoMode::Tokio => (148, 103, 189),
        }
    }

    /// Who does the I/O, as a sentence says it ("the blocking one uses a
    /// thread per connection"; "the event loop ran 3 threads").
    pub fn role(self) -> &'static str {
        match self {
            IoMode::Blocking => "a thread per connection",
            IoMode::NonBlocking => "the event loop",
            IoMode::Completion => "a single ring",
            IoMode::Tokio => "a task per connection on tokio's workers",
        }
    }

    /// True when `--threads N` runs N event loops that share the
    /// connections; the other models take no thread count.
    pub fn has_event_loops(self) -> bool {
        matches!(self, IoMode::NonBlocking | IoMode::Tokio)
    }

    /// What kind of waiting it teaches, in a few words.
    pub fn kind(self) -> &'static str {
        match self {
            IoMode::Blocking => "blocking calls",
            IoMode::NonBlocking => "readiness",
            IoMode::Completion => "completion",
            IoMode::Tokio => "readiness, on a runtime",
        }
    }

    /// `--mode`'s help in `client` and `load`: every model of
    /// [`CLIENTS`](Self::CLIENTS) in brief ("blocking = std, thread per
    /// connection; ..."), so a new engine is listed where it runs.
    pub fn clients_help() -> String {
        let each: Vec<String> = IoMode::CLIENTS
            .iter()
            .map(|m| format!("{} = {}", m.name(), m.in_brief()))
            .collect();
        format!("Client I/O model: {}.", each.join("; "))
    }

    /// True when the model has a client and a load engine (see [`CLIENTS`](Self::CLIENTS)).
    pub fn has_client(self) -> bool {
        IoMode::CLIENTS.contains(&self)
    }

    /// `Some(system)` when the model exists on one system only.
    pub fn only_on(self) -> Option<&'static str> {
        match self {
            IoMode::Completion => Some("Linux"),
            IoMode::Blocking | IoMode::NonBlocking | IoMode::Tokio => None,
        }
    }

    /// `Some(os)` when this system cannot build the model at all.
    pub fn unavailable_os(self) -> Option<&'static str> {
        match self {
            IoMode::Completion if !cfg!(target_os = "linux") => Some(std::env::consts::OS),
            _ => None,
        }
    }

    /// Checks that this system and kernel can run the model's server.
    ///
    /// # Errors
    /// One line: the OS that lacks it, or the kernel's refusal with its
    /// errno, and what to use instead.
    pub fn check_available(self) -> Result<(), String> {
        match self {
            IoMode::Completion => sockmodes_completion::probe().map_err(|e| e.to_string()),
            IoMode::Blocking | IoMode::NonBlocking | IoMode::Tokio => Ok(()),
        }
    }

    /// The most memory a server of this mode with `config` can hold: the
    /// session's buffers plus, per connection, what the model adds (a
    /// thread's stack, the event loop's bookkeeping, or the completion
    /// server's own receive and send buffers), times `max_conns`. The
    /// kernel's socket buffers are not counted (they are the kernel's,
    /// bounded by `net.ipv4.tcp_rmem`/`tcp_wmem`).
    pub fn memory_bound(self, config: &ServerConfig) -> MemoryBound {
        MemoryBound {
            buffers: ServerSession::memory_bound(config) as u64,
            overhead: self.connection_overhead(config) as u64,
            connections: config.max_conns as u64,
            fixed: self.receive_pool() + self.offload_memory(config),
        }
    }

    /// The completion server's pool of receive buffers (0 for the others).
    pub fn receive_pool(self) -> u64 {
        match self {
            IoMode::Completion => sockmodes_completion::fixed_memory() as u64,
            IoMode::Blocking | IoMode::NonBlocking | IoMode::Tokio => 0,
        }
    }

    /// What `--offload` holds in all: each I/O thread's pool (its workers'
    /// stacks, its queue and done list); 0 when there is none.
    pub fn offload_memory(self, config: &ServerConfig) -> u64 {
        self.offload_workers(config)
            .map_or(0, |(threads, workers)| match self {
                IoMode::Tokio => sockmodes_tokio::pool_memory(workers),
                _ => threads as u64 * sockmodes_common::offload::memory_bound(workers),
            })
    }

    /// `Some((I/O threads, workers each))` when this configuration runs an
    /// offload pool: `--offload` on a model with I/O threads shared by
    /// many connections, and work that holds a thread (cpu, block).
    pub fn offload_workers(self, config: &ServerConfig) -> Option<(usize, usize)> {
        if self == IoMode::Tokio {
            // One blocking pool for the runtime, which `block` work always
            // uses (`spawn_blocking`), and `cpu` with `--offload`.
            return sockmodes_tokio::work_pool(config).map(|threads| (1, threads));
        }
        let holds = config.work.is_some_and(|w| w.kind.holds_thread());
        let threads = self.io_threads(config)?;
        (holds && config.offload > 0).then_some((threads, config.offload))
    }

    /// The slots of each offload pool's queue: `None` where work beyond
    /// the workers waits in the runtime's own queue instead (tokio's
    /// `spawn_blocking`), one frame per connection at most, counted in
    /// each connection's overhead.
    pub fn offload_queue(self, workers: usize) -> Option<usize> {
        match self {
            IoMode::Tokio => None,
            _ => Some(sockmodes_common::offload::queue_capacity(workers)),
        }
    }

    /// The threads that do every connection's I/O: the event loops, the
    /// ring's thread; `None` for a thread per connection.
    pub fn io_threads(self, config: &ServerConfig) -> Option<usize> {
        match self {
            IoMode::Blocking => None,
            IoMode::NonBlocking if config.once => Some(1),
            IoMode::NonBlocking => Some(config.event_loops.max(1)),
            IoMode::Completion => Some(1),
            IoMode::Tokio => Some(sockmodes_tokio::workers(config)),
        }
    }

    /// How many messages can be in work at once (see `ceiling.rs`):
    /// one per connection on a thread per connection or for a `wait`
    /// (a timer holds no thread); else the pool's workers, or one per I/O
    /// thread when the work runs inline. `None` without work.
    pub fn work_concurrency(self, config: &ServerConfig) -> Option<Concurrency> {
        let work = config.work?;
        Some(
            match (self.io_threads(config), self.offload_workers(config)) {
                _ if !work.kind.holds_thread() => Concurrency::PerConnection,
                (None, _) => Concurrency::PerConnection,
                (Some(_), Some((threads, workers))) => {
                    Concurrency::Pool((threads * workers) as u64)
                }
                (Some(threads), None) => Concurrency::Inline(threads as u64),
            },
        )
    }

    fn connection_overhead(self, config: &ServerConfig) -> usize {
        // With work, an event loop or a ring also keeps one entry per
        // connection: a pending wait, or a job the full pool refused.
        let work = match (config.work, self.io_threads(config)) {
            (Some(_), Some(_)) => sockmodes_common::offload::PER_CONNECTION,
            _ => 0,
        };
        work + match self {
            IoMode::Blocking => config.stack_size,
            IoMode::NonBlocking => sockmodes_nonblocking::CONNECTION_OVERHEAD,
            IoMode::Completion => sockmodes_completion::connection_overhead(config),
            IoMode::Tokio => sockmodes_tokio::CONNECTION_OVERHEAD,
        }
    }

    /// What the per-connection overhead of [`memory_bound`](Self::memory_bound) is.
    pub fn overhead_label(self) -> &'static str {
        match self {
            IoMode::Blocking => "thread stack",
            IoMode::NonBlocking => "bookkeeping",
            IoMode::Completion => "send buffer",
            IoMode::Tokio => "task",
        }
    }
}

impl fmt::Display for IoMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// In JSON a model is its command-line name (`"nonblocking"`).
impl serde::Serialize for IoMode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for IoMode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

impl FromStr for IoMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.to_ascii_lowercase();
        IoMode::ALL
            .into_iter()
            .find(|m| m.name() == s || (s == "non-blocking" && *m == IoMode::NonBlocking))
            .ok_or_else(|| {
                let names: Vec<&str> = IoMode::ALL.iter().map(|m| m.name()).collect();
                format!("unknown mode {s:?} (expected {})", names.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_model_round_trips_through_its_name() {
        for m in IoMode::ALL {
            assert_eq!(m.name().parse::<IoMode>(), Ok(m));
            let v = clap::ValueEnum::to_possible_value(&m).expect("listed");
            assert_eq!(v.get_name(), m.name());
        }
        assert_eq!("non-blocking".parse::<IoMode>(), Ok(IoMode::NonBlocking));
        let err = "poll".parse::<IoMode>().unwrap_err();
        assert!(err.contains("blocking, nonblocking, completion"), "{err}");
    }

    #[test]
    fn the_client_help_lists_every_engine_with_a_client() {
        let help = IoMode::clients_help();
        let listed: Vec<&str> = help
            .trim_start_matches("Client I/O model: ")
            .split("; ")
            .filter_map(|each| each.split(" = ").next())
            .collect();
        let clients: Vec<&str> = IoMode::CLIENTS.iter().map(|m| m.name()).collect();
        assert_eq!(listed, clients, "{help}");
    }

    #[test]
    fn every_model_travels_in_json_as_its_name() {
        for m in IoMode::ALL {
            let text = serde_json::to_string(&m).unwrap();
            assert_eq!(text, format!("\"{}\"", m.name()));
            assert_eq!(serde_json::from_str::<IoMode>(&text).unwrap(), m);
        }
        assert!(serde_json::from_str::<IoMode>("\"poll\"").is_err());
    }

    #[test]
    fn clients_are_models_and_servers_here_include_every_client() {
        for m in IoMode::CLIENTS {
            assert!(IoMode::ALL.contains(&m) && m.has_client());
            assert!(IoMode::servers().contains(&m));
        }
        assert_eq!(
            IoMode::servers().contains(&IoMode::Completion),
            cfg!(target_os = "linux")
        );
        assert_eq!(
            IoMode::Completion.has_client(),
            cfg!(target_os = "linux"),
            "where its server runs, so does its client"
        );
    }

    #[test]
    fn the_concurrency_of_work_comes_from_the_model_and_the_pool() {
        let mut config = ServerConfig::new(
            "127.0.0.1:0".parse().unwrap(),
            sockmodes_common::Service::Echo,
        );
        assert_eq!(IoMode::NonBlocking.work_concurrency(&config), None);
        config.work = Some("block:1ms".parse().unwrap());
        let base = IoMode::NonBlocking.memory_bound(&config);
        for m in IoMode::ALL {
            let c = m.work_concurrency(&config).unwrap();
            match (m.io_threads(&config), m.offload_workers(&config)) {
                (None, _) => assert_eq!(c, Concurrency::PerConnection),
                (Some(n), None) => assert_eq!(c, Concurrency::Inline(n as u64)),
                // tokio: a blocking call goes to `spawn_blocking` anyway.
                (Some(_), Some((t, w))) => assert_eq!(c, Concurrency::Pool((t * w) as u64)),
            }
        }
        assert_eq!(
            IoMode::Tokio.work_concurrency(&config),
            Some(Concurrency::Pool(
                sockmodes_tokio::DEFAULT_BLOCKING_THREADS as u64
            ))
        );
        config.offload = 64;
        for m in IoMode::ALL {
            let c = m.work_concurrency(&config).unwrap();
            match m.io_threads(&config) {
                None => assert_eq!(c, Concurrency::PerConnection, "{m}: no pool"),
                Some(n) => assert_eq!(c, Concurrency::Pool(64 * n as u64)),
            }
        }
        let pooled = IoMode::NonBlocking.memory_bound(&config);
        assert_eq!(
            pooled.fixed,
            sockmodes_common::offload::memory_bound(64),
            "the pool is counted"
        );
        assert_eq!(pooled.total(), base.total() + pooled.fixed);
        // A wait holds no thread: one per connection, and no pool.
        config.work = Some("wait:1ms".parse().unwrap());
        for m in IoMode::ALL {
            assert_eq!(
                m.work_concurrency(&config),
                Some(Concurrency::PerConnection)
            );
            assert_eq!(m.offload_memory(&config), 0);
        }
    }

    #[test]
    fn the_completion_bound_counts_its_own_buffers() {
        let config = ServerConfig::new(
            "127.0.0.1:0".parse().unwrap(),
            sockmodes_common::Service::Echo,
        );
        let c = IoMode::Completion.memory_bound(&config);
        let nb = IoMode::NonBlocking.memory_bound(&config);
        assert_eq!(c.buffers, nb.buffers, "the same session");
        assert!(c.overhead as usize > config.output_cap);
        assert_eq!(c.fixed as usize, sockmodes_completion::fixed_memory());
        assert_eq!(nb.fixed, 0);
    }
}
