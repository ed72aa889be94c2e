//! The registry of I/O models: one list, [`MODELS`](crate::list::MODELS),
//! of what each model is, as data; the command, the load generator, the
//! demo, the study and the tests iterate over it and ask.
//!
//! Three ways a program can wait for the network:
//!
//! | model | who waits | who performs the read | here |
//! |---|---|---|---|
//! | blocking | each thread, inside `recv` | the thread | `blocking/` (std, a thread per connection) |
//! | readiness | one thread, in `epoll_wait` ("which sockets could be read?") | the thread, after the event | `nonblocking/` (mio) |
//! | completion | one thread, in `io_uring_enter` ("which reads finished?") | the kernel, before the event | `completion/` (io_uring, Linux) |
//!
//! Adding a model is its crate, its line in the workspace `Cargo.toml`,
//! and one [`ModelInfo`] in `list.rs`. Whoever draws a model keys its
//! looks by the model's name (the study's labels and colours, the demo's
//! texts), and a test there fails when a model of this list has none.

use std::fmt;
use std::str::FromStr;

use clap::builder::TypedValueParser;

use sockmodes_common::ServerSession;
use sockmodes_serving::config::MemoryBound;
use sockmodes_serving::ServerConfig;

use crate::ceiling::Concurrency;
use crate::info::ModelInfo;
use crate::list::MODELS;

/// An I/O model: a handle on its [`ModelInfo`] in the registry's list.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Model(u8);

/// How many models the registry holds.
const COUNT: usize = MODELS.len();

/// How many have a client on this system.
const CLIENT_COUNT: usize = {
    let mut n = 0;
    let mut i = 0;
    while i < COUNT {
        if MODELS[i].connect.is_some() {
            n += 1;
        }
        i += 1;
    }
    n
};

impl Model {
    /// std::net: calls wait; one thread per connection.
    pub const BLOCKING: Model = Model::named("blocking");
    /// mio (readiness): one event loop is told which sockets are ready.
    pub const NON_BLOCKING: Model = Model::named("nonblocking");
    /// io_uring (completion, Linux): the kernel performs the reads.
    pub const COMPLETION: Model = Model::named("completion");
    /// tokio: a task per connection on a multi-thread runtime.
    pub const TOKIO: Model = Model::named("tokio");

    /// Every model, in the list's order (the tables' order).
    pub const ALL: [Model; COUNT] = {
        let mut all = [Model(0); COUNT];
        let mut i = 0;
        while i < COUNT {
            all[i] = Model(i as u8);
            i += 1;
        }
        all
    };

    /// The models with a client and a load engine of their own on this
    /// system (any client talks to any server).
    pub const CLIENTS: [Model; CLIENT_COUNT] = {
        let mut clients = [Model(0); CLIENT_COUNT];
        let (mut i, mut n) = (0, 0);
        while i < COUNT {
            if MODELS[i].connect.is_some() {
                clients[n] = Model(i as u8);
                n += 1;
            }
            i += 1;
        }
        clients
    };

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
    pub const CROSS_CHECK_CLIENTS: [Model; 2] = [Model::BLOCKING, Model::NON_BLOCKING];

    /// The model of this name in the list; a name that is not there fails
    /// to compile where it is a constant.
    const fn named(name: &str) -> Model {
        let mut i = 0;
        while i < COUNT {
            if const_eq(MODELS[i].name, name) {
                return Model(i as u8);
            }
            i += 1;
        }
        panic!("no model of that name in the registry")
    }

    /// What the model is.
    pub fn info(self) -> &'static ModelInfo {
        &MODELS[self.0 as usize]
    }

    /// The server models built for this system (completion is Linux's).
    pub fn servers() -> Vec<Model> {
        Model::ALL.into_iter().filter(|m| m.info().built).collect()
    }

    /// The command-line name.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The name its code goes by in the demo and the guides: the API that
    /// does its I/O.
    pub fn code_label(self) -> &'static str {
        self.info().code_label
    }

    /// The name in running English text ("the non-blocking server").
    pub fn prose(self) -> &'static str {
        self.info().prose
    }

    /// The name in a ratio's column head ("nb/b").
    pub fn short(self) -> &'static str {
        self.info().short
    }

    /// The model in brief: its API and what kind of server it is.
    pub fn in_brief(self) -> &'static str {
        self.info().in_brief
    }

    /// Who does the I/O, as a sentence says it.
    pub fn role(self) -> &'static str {
        self.info().role
    }

    /// True when `--threads N` runs N event loops that share the
    /// connections; the other models take no thread count.
    pub fn has_event_loops(self) -> bool {
        self.info().takes_threads
    }

    /// True for a model the study measures as a reference (tokio).
    pub fn is_reference(self) -> bool {
        self.info().reference
    }

    /// What kind of waiting it teaches, in a few words.
    pub fn kind(self) -> &'static str {
        self.info().kind
    }

    /// `--mode`'s help in `client` and `load`: every model of
    /// [`CLIENTS`](Self::CLIENTS) in brief ("blocking = std, thread per
    /// connection; ..."), so a new engine is listed where it runs.
    pub fn clients_help() -> String {
        let each: Vec<String> = Model::CLIENTS
            .iter()
            .map(|m| format!("{} = {}", m.name(), m.in_brief()))
            .collect();
        format!("Client I/O model: {}.", each.join("; "))
    }

    /// `--mode`'s parser in `client` and `load`: the models of
    /// [`CLIENTS`](Self::CLIENTS) only, so their `--help` and a wrong
    /// value's error list no model they would refuse.
    pub fn clients_parser() -> impl TypedValueParser<Value = Model> {
        let values = Model::CLIENTS
            .iter()
            .filter_map(clap::ValueEnum::to_possible_value);
        clap::builder::PossibleValuesParser::new(values).try_map(|name| name.parse::<Model>())
    }

    /// True when the model has a client and a load engine (see [`CLIENTS`](Self::CLIENTS)).
    pub fn has_client(self) -> bool {
        self.info().connect.is_some()
    }

    /// `Some(system)` when the model exists on one system only.
    pub fn only_on(self) -> Option<&'static str> {
        self.info().only_on
    }

    /// Checks that this system and kernel can run the model's server.
    ///
    /// # Errors
    /// One line: the OS that lacks it, or the kernel's refusal with its
    /// errno, and what to use instead.
    pub fn check_available(self) -> Result<(), String> {
        (self.info().probe)()
    }

    /// The most memory a server of this model with `config` can hold: the
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

    /// The server's fixed pool of receive buffers (0 for most).
    pub fn receive_pool(self) -> u64 {
        (self.info().fixed_memory)()
    }

    /// What `--offload` holds in all: each I/O thread's pool (its workers'
    /// stacks, its queue and done list); 0 when there is none.
    pub fn offload_memory(self, config: &ServerConfig) -> u64 {
        self.offload_workers(config)
            .map_or(0, |(threads, workers)| {
                (self.info().pool_memory)(threads, workers)
            })
    }

    /// `Some((I/O threads, workers each))` when this configuration runs an
    /// offload pool: `--offload` on a model with I/O threads shared by
    /// many connections, and work that holds a thread (cpu, block).
    pub fn offload_workers(self, config: &ServerConfig) -> Option<(usize, usize)> {
        (self.info().work_pool)(config, self.io_threads(config))
    }

    /// The threads that do every connection's I/O: the event loops, the
    /// ring's thread; `None` for a thread per connection.
    pub fn io_threads(self, config: &ServerConfig) -> Option<usize> {
        (self.info().io_threads)(config)
    }

    /// How many messages can be in work at once (see `ceiling.rs`):
    /// one per connection on a thread per connection or for a `wait`
    /// (a timer holds no thread); else the pool's workers, or one per I/O
    /// thread when the work runs inline. `None` without work.
    pub fn work_concurrency(self, config: &ServerConfig) -> Option<Concurrency> {
        let work = config.work?;
        let concurrency = match (self.io_threads(config), self.offload_workers(config)) {
            _ if !work.kind.holds_thread() => Concurrency::PerConnection,
            (None, _) => Concurrency::PerConnection,
            (Some(_), Some((threads, workers))) => Concurrency::Pool((threads * workers) as u64),
            (Some(threads), None) => Concurrency::Inline(threads as u64),
        };
        Some(concurrency)
    }

    fn connection_overhead(self, config: &ServerConfig) -> usize {
        // With work, an event loop or a ring also keeps one entry per
        // connection: a pending wait, or a job the full pool refused.
        let work = match (config.work, self.io_threads(config)) {
            (Some(_), Some(_)) => sockmodes_serving::offload::PER_CONNECTION,
            _ => 0,
        };
        work + (self.info().connection_overhead)(config)
    }

    /// The slots of each offload pool's queue (see [`ModelInfo::pool_queue`]).
    pub fn offload_queue(self, workers: usize) -> Option<usize> {
        (self.info().pool_queue)(workers)
    }

    /// What the per-connection overhead of [`memory_bound`](Self::memory_bound) is.
    pub fn overhead_label(self) -> &'static str {
        self.info().overhead_label
    }
}

/// `str` equality in a `const fn` (std's `==` on `str` is not const).
const fn const_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The classroom's model: what `sockmodes server` runs without `--mode`.
impl Default for Model {
    fn default() -> Self {
        Model::BLOCKING
    }
}

impl fmt::Debug for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `--mode`'s values: every model's name, aliases and help, from the list.
impl clap::ValueEnum for Model {
    fn value_variants<'a>() -> &'a [Self] {
        &Model::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        let info = self.info();
        Some(
            clap::builder::PossibleValue::new(info.name)
                .aliases(info.aliases.iter().copied())
                .help(info.help),
        )
    }
}

/// In JSON a model is its command-line name (`"nonblocking"`).
impl serde::Serialize for Model {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Model {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

impl FromStr for Model {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.to_ascii_lowercase();
        Model::ALL
            .into_iter()
            .find(|m| m.name() == s || m.info().aliases.contains(&s.as_str()))
            .ok_or_else(|| {
                let names: Vec<&str> = Model::ALL.iter().map(|m| m.name()).collect();
                format!("unknown model {s:?} (expected {})", names.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_model_round_trips_through_its_name() {
        for m in Model::ALL {
            assert_eq!(m.name().parse::<Model>(), Ok(m));
            let v = clap::ValueEnum::to_possible_value(&m).expect("listed");
            assert_eq!(v.get_name(), m.name());
        }
        assert_eq!("non-blocking".parse::<Model>(), Ok(Model::NON_BLOCKING));
        let err = "poll".parse::<Model>().unwrap_err();
        assert!(err.contains("blocking, nonblocking, completion"), "{err}");
    }

    #[test]
    fn the_client_help_lists_every_engine_with_a_client() {
        let help = Model::clients_help();
        let listed: Vec<&str> = help
            .trim_start_matches("Client I/O model: ")
            .split("; ")
            .filter_map(|each| each.split(" = ").next())
            .collect();
        let clients: Vec<&str> = Model::CLIENTS.iter().map(|m| m.name()).collect();
        assert_eq!(listed, clients, "{help}");
    }

    #[test]
    fn the_client_parser_takes_the_engines_with_a_client_and_no_other() {
        let cmd = clap::Command::new("t").arg(
            clap::Arg::new("mode")
                .long("mode")
                .value_parser(Model::clients_parser()),
        );
        let parse = |v: &str| {
            cmd.clone()
                .try_get_matches_from(["t", "--mode", v])
                .map(|m| *m.get_one::<Model>("mode").expect("parsed"))
        };
        for m in Model::CLIENTS {
            assert_eq!(parse(m.name()).ok(), Some(m));
        }
        assert_eq!(parse("non-blocking").ok(), Some(Model::NON_BLOCKING));
        for m in Model::ALL.into_iter().filter(|m| !m.has_client()) {
            let err = parse(m.name()).expect_err(m.name()).to_string();
            assert!(err.contains("possible values"), "{err}");
            assert!(!err.contains(&format!(" {m}")), "{err}");
        }
    }

    #[test]
    fn every_model_travels_in_json_as_its_name() {
        for m in Model::ALL {
            let text = serde_json::to_string(&m).unwrap();
            assert_eq!(text, format!("\"{}\"", m.name()));
            assert_eq!(serde_json::from_str::<Model>(&text).unwrap(), m);
        }
        assert!(serde_json::from_str::<Model>("\"poll\"").is_err());
    }

    #[test]
    fn clients_are_models_and_servers_here_include_every_client() {
        for m in Model::CLIENTS {
            assert!(Model::ALL.contains(&m) && m.has_client());
            assert!(Model::servers().contains(&m));
        }
        assert_eq!(
            Model::servers().contains(&Model::COMPLETION),
            cfg!(target_os = "linux")
        );
        assert_eq!(
            Model::COMPLETION.has_client(),
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
        assert_eq!(Model::NON_BLOCKING.work_concurrency(&config), None);
        config.work = Some("block:1ms".parse().unwrap());
        let base = Model::NON_BLOCKING.memory_bound(&config);
        for m in Model::ALL {
            let c = m.work_concurrency(&config).unwrap();
            match m.io_threads(&config) {
                // tokio's guide: a blocking call never runs on a worker,
                // but on `spawn_blocking`'s pool, 512 threads by default.
                Some(_) if m == Model::TOKIO => assert_eq!(
                    c,
                    Concurrency::Pool(sockmodes_tokio::DEFAULT_BLOCKING_THREADS as u64)
                ),
                None => assert_eq!(c, Concurrency::PerConnection),
                Some(n) => assert_eq!(c, Concurrency::Inline(n as u64)),
            }
        }
        config.offload = 64;
        for m in Model::ALL {
            let c = m.work_concurrency(&config).unwrap();
            match m.io_threads(&config) {
                None => assert_eq!(c, Concurrency::PerConnection, "{m}: no pool"),
                Some(n) => assert_eq!(c, Concurrency::Pool(64 * n as u64)),
            }
        }
        let pooled = Model::NON_BLOCKING.memory_bound(&config);
        assert_eq!(
            pooled.fixed,
            sockmodes_serving::offload::memory_bound(64),
            "the pool is counted"
        );
        assert_eq!(pooled.total(), base.total() + pooled.fixed);
        // A wait holds no thread: one per connection, and no pool.
        config.work = Some("wait:1ms".parse().unwrap());
        for m in Model::ALL {
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
        let c = Model::COMPLETION.memory_bound(&config);
        let nb = Model::NON_BLOCKING.memory_bound(&config);
        assert_eq!(c.buffers, nb.buffers, "the same session");
        assert!(c.overhead as usize > config.output_cap);
        assert_eq!(c.fixed as usize, sockmodes_completion::fixed_memory());
        assert_eq!(nb.fixed, 0);
    }
}
