//! What the command accepts: every number a user types is checked here,
//! before anything is allocated, connected or started, and refused in one
//! line with exit status 2 (as clap refuses a typo).
//!
//! Two kinds of limit. Some come from the protocol or the program: a
//! frame's length field is 32 bits, so no payload is over 4 GiB - 1; a run
//! longer than an hour would hold latencies the histograms do not track.
//! Others come from the machine: a size whose buffers would not fit in its
//! physical memory could only end in an aborted allocation, so it is
//! refused before one is tried. The machine's memory is `MemTotal` from
//! `/proc/meminfo` on Linux and `PhysicalTotal` from `GetPerformanceInfo`
//! on Windows; elsewhere it is not known and only the first kind applies.
//!
//! Every byte option takes the same forms, through [`parse_bytes`]: a whole
//! number, or one with K, M or G, which are binary (K = 1024), e.g. `64K`,
//! `100M`, `2G` (`KiB`, `MB` and the like are read the same way).

use std::time::Duration;

use sockmodes_serving::config::human_bytes;

/// A refused input: the command prints it in one line and exits with 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

/// The largest payload a frame can carry: its length field is 32 bits.
pub const MAX_PAYLOAD: u64 = u32::MAX as u64;

/// The longest `--duration`, `--warmup` and `--warmup-cap`.
///
/// Why an hour: the latency histograms track up to an hour (`MAX_LATENCY_US`),
/// and keep one histogram per second of the window; longer runs are
/// several runs, merged with `--hdr-log`.
pub const MAX_RUN: Duration = Duration::from_secs(3600);

/// The longest wait a user can set: `server --idle-timeout`, `client
/// --timeout`.
///
/// Why a day: an idle connection kept longer is one nobody watches, and a
/// client that waits longer has a server that will not answer; past it,
/// a huge number (`1e30`) is a typo, refused in these words.
pub const MAX_WAIT: Duration = Duration::from_secs(86_400);

/// The shortest `--duration`.
///
/// Why 0.1 s: the window's CPU figure comes from the process's CPU time,
/// which Windows counts in 15.6 ms ticks; over a shorter window one tick
/// reads as a large share, and a window of nanoseconds once read as
/// "250000% of 10 threads". A tenth of a second also holds a few hundred
/// round trips even against a slow server.
pub const MIN_DURATION: Duration = Duration::from_millis(100);

/// The highest `--rate`, messages per second.
///
/// Why 100 million: several hundred times what loopback TCP carries here
/// in 64-byte frames (about 150,000 echoes/s per core); past the server's
/// capacity the open loop only measures the backlog, and that is shown at
/// ten times capacity as well as at a thousand.
pub const MAX_RATE: f64 = 1e8;

/// The coarsest `--send-grid`, in µs.
///
/// Why 1 s: the automatic grid is at most 1 ms; a grid of a second already
/// sends a whole second's messages in one burst. A coarser one would put
/// the first send beyond the window (a grid of 99999999999 µs once
/// scheduled it 28 hours away).
pub const MAX_SEND_GRID_US: u64 = 1_000_000;

/// The most event-loop threads (`server --threads`).
///
/// Why 1024: more loops than cores only take turns; each also holds a
/// thread and a few descriptors (poll, waker, listener), so 1024 is far past
/// any machine's cores and well within the open-file limit.
pub const MAX_THREADS: usize = 1024;

/// The most connections `load` opens at once.
///
/// Why 65,535: a connection from this machine to one server address needs
/// a port of its own on this side, and a port number is 16 bits (the
/// kernel's ephemeral range is smaller still: 28,232 ports by default on
/// Linux). More cannot be open at once; asking for 100 million once
/// aborted the blocking engine and kept the non-blocking one connecting
/// for minutes.
pub const MAX_CONNECTIONS: usize = 65_535;

const BYTES_FORMS: &str = "expected a number of bytes such as 4096, 64K, 100M or 2G (K = 1024)";

/// Parses a byte count: a whole number, optionally with K, M or G (powers
/// of 1024), e.g. `512M`. Zero is a count like any other; each option
/// states its own least value.
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim();
    if t.starts_with('-') {
        return Err("a number of bytes must not be negative".into());
    }
    let (digits, unit) = match t.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => t.split_at(i),
        None => (t, ""),
    };
    let scale: u64 = match unit
        .to_ascii_uppercase()
        .trim_end_matches("IB")
        .trim_end_matches('B')
    {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        _ => return Err(BYTES_FORMS.into()),
    };
    let n: u64 = digits.trim().parse().map_err(|_| BYTES_FORMS.to_string())?;
    n.checked_mul(scale)
        .ok_or_else(|| "more bytes than any machine has".to_string())
}

/// A frame's payload size or limit: at most [`MAX_PAYLOAD`].
pub fn parse_frame_size(s: &str) -> Result<usize, String> {
    let n = parse_bytes(s)?;
    if n > MAX_PAYLOAD {
        return Err(format!(
            "over the protocol's limit: a frame's length field is 32 bits, so a \
             payload is at most {MAX_PAYLOAD} bytes (4 GiB - 1)"
        ));
    }
    usize::try_from(n).map_err(|_| "more bytes than this system can address".to_string())
}

/// A memory limit (`--max-memory`, `--max-message`): at least one byte.
pub fn parse_memory(s: &str) -> Result<u64, String> {
    match parse_bytes(s)? {
        0 => Err("must be at least 1 byte".into()),
        n => Ok(n),
    }
}

/// The largest `--max-message`: 1 EiB (1073741824G).
///
/// Why: no machine has that much memory (64-bit processors address at
/// most 2^57 bytes, 128 PiB), so nothing a server could honour is refused;
/// and a limit far below `usize::MAX` leaves room for the sums of a
/// connection's bound (the message, a read, a thread's stack), which would
/// otherwise overflow.
pub const MAX_MESSAGE_LIMIT: u64 = 1 << 60;

/// `--max-message`: [`parse_memory`], as a size in memory, at most
/// [`MAX_MESSAGE_LIMIT`].
pub fn parse_message_limit(s: &str) -> Result<usize, String> {
    let n = parse_memory(s)?;
    if n > MAX_MESSAGE_LIMIT {
        return Err(format!(
            "more bytes than any machine has (at most {}G, 1 EiB)",
            MAX_MESSAGE_LIMIT >> 30
        ));
    }
    usize::try_from(n).map_err(|_| "more bytes than this system can address".to_string())
}

/// Seconds (fractions allowed) between `min` and `max`.
fn secs_between(s: &str, min: Duration, max: Duration) -> Result<Duration, String> {
    let secs: f64 = s
        .trim()
        .parse()
        .map_err(|_| "not a number of seconds".to_string())?;
    let (lo, hi) = (min.as_secs_f64(), max.as_secs_f64());
    if !(secs.is_finite() && secs >= lo && secs <= hi) {
        return Err(format!("must be between {lo} and {hi} seconds"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// `load --duration`: [`MIN_DURATION`] to [`MAX_RUN`].
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    secs_between(s, MIN_DURATION, MAX_RUN)
}

/// `load --warmup` and `--warmup-cap`: 0 to [`MAX_RUN`].
pub fn parse_warmup(s: &str) -> Result<Duration, String> {
    secs_between(s, Duration::ZERO, MAX_RUN)
}

/// `load --rate`: above 0, at most [`MAX_RATE`].
pub fn parse_rate(s: &str) -> Result<f64, String> {
    let rate: f64 = s
        .trim()
        .parse()
        .map_err(|_| "not a number of messages per second".to_string())?;
    if !(rate.is_finite() && rate > 0.0 && rate <= MAX_RATE) {
        return Err(format!(
            "must be above 0 and at most {MAX_RATE:.0} messages per second"
        ));
    }
    Ok(rate)
}

/// `load --send-grid`: 0 to [`MAX_SEND_GRID_US`] µs.
pub fn parse_send_grid(s: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(us) if us <= MAX_SEND_GRID_US => Ok(us),
        _ => Err(format!(
            "must be a whole number of µs from 0 to {MAX_SEND_GRID_US} (1 s)"
        )),
    }
}

/// A count of at least 1 (`--max-conns`; `client echo --count`, `sink
/// --count`: a run of no round trip has no time to show).
pub fn parse_at_least_one<T: TryFrom<u64>>(s: &str) -> Result<T, String> {
    match s.trim().parse::<u64>() {
        Ok(n) if n >= 1 => T::try_from(n).map_err(|_| "more than this system can count".into()),
        Err(_) if !is_negative(s) => Err("not a whole number".into()),
        _ => Err("must be at least 1".into()),
    }
}

/// `client --retry`: a whole number, 0 (no retry) or more.
pub fn parse_retries(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u32>() {
        Ok(n) => Ok(n),
        Err(_) if is_negative(s) => Err("must not be negative (0: no retry)".into()),
        Err(_) => Err(format!("not a whole number from 0 to {}", u32::MAX)),
    }
}

/// `-1`, `-0.5`: a number with a minus sign, told apart from nonsense so
/// that the message can say what is wrong with it.
pub fn is_negative(s: &str) -> bool {
    s.trim()
        .strip_prefix('-')
        .is_some_and(|rest| rest.parse::<f64>().is_ok())
}

/// `load --connections`: 1 to [`MAX_CONNECTIONS`].
pub fn parse_connections(s: &str) -> Result<usize, String> {
    one_to(s, MAX_CONNECTIONS, " (a port of this machine for each)")
}

/// `server --threads`: 1 to [`MAX_THREADS`].
pub fn parse_threads(s: &str) -> Result<usize, String> {
    one_to(s, MAX_THREADS, " event loops")
}

/// A whole number from 1 to `max`; the refusal ends with `what`.
fn one_to(s: &str, max: usize, what: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!("must be from 1 to {max}{what}")),
    }
}

/// Where the machine's memory (`sockmodes_os::procfs::physical_memory`)
/// comes from, for messages.
pub const MACHINE_MEMORY_SOURCE: &str = if cfg!(windows) {
    "GetPerformanceInfo"
} else {
    "MemTotal"
};

/// Bytes as a person reads them ([`human_bytes`]), where a figure that
/// saturated reads as what it is.
///
/// The worst cases multiply and add saturating, so `u64::MAX` stands for
/// "at least that much", which `human_bytes` would print as a precise
/// "17179869184 GiB": a number no sum made.
pub fn memory_figure(bytes: u64) -> String {
    if bytes == u64::MAX {
        "16 EiB or more".into()
    } else {
        human_bytes(bytes)
    }
}

/// Refuses `needed` bytes when the machine has less memory in all
/// (`what`: which input needs them, and for what).
pub fn fits_in_memory(needed: u64, what: impl FnOnce() -> String) -> Result<(), InputError> {
    match sockmodes_os::procfs::physical_memory() {
        Ok(machine) if needed > machine => Err(InputError(format!(
            "{} needs about {}, more than this machine's {} of memory ({MACHINE_MEMORY_SOURCE})",
            what(),
            memory_figure(needed),
            human_bytes(machine)
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts_take_binary_suffixes_and_refuse_nonsense() {
        assert_eq!(parse_bytes("4096"), Ok(4096));
        assert_eq!(parse_bytes("512M"), Ok(512 << 20));
        assert_eq!(parse_bytes("2g"), Ok(2 << 30));
        assert_eq!(parse_bytes("64KiB"), Ok(64 << 10));
        assert_eq!(parse_bytes("0"), Ok(0));
        assert!(parse_bytes("lots").is_err());
        assert!(parse_bytes("5T").is_err());
        assert!(parse_bytes("-1").is_err());
        assert!(parse_bytes("99999999999G").is_err());
    }

    #[test]
    fn a_saturated_memory_figure_reads_as_one() {
        assert_eq!(memory_figure(u64::MAX), "16 EiB or more");
        assert_eq!(memory_figure(u64::MAX - 1), human_bytes(u64::MAX - 1));
        assert_eq!(memory_figure(192 << 10), "192 KiB");
    }

    #[test]
    fn frame_sizes_stop_at_the_32_bit_length() {
        assert!(parse_frame_size("5G").unwrap_err().contains("32 bits"));
        assert_eq!(parse_frame_size("4294967295"), Ok(u32::MAX as usize));
        assert!(parse_frame_size("4294967296").is_err());
        assert!(parse_frame_size("99999999999").is_err());
        assert_eq!(parse_frame_size("16M"), Ok(16 << 20));
        assert_eq!(parse_frame_size("0"), Ok(0));
        assert!(parse_memory("0").is_err());
        assert_eq!(parse_message_limit("100M"), Ok(100 << 20));
        assert!(parse_message_limit("18446744073709551615").is_err());
        assert!(parse_message_limit("1073741825G").is_err());
        if usize::BITS == 64 {
            assert_eq!(parse_message_limit("1073741824G"), Ok(1 << 60));
        }
    }

    #[test]
    fn times_rates_and_grids_have_bounds() {
        assert!(parse_duration("1e-9").is_err());
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("NaN").is_err());
        assert!(parse_duration("inf").is_err());
        assert!(parse_duration("3601").is_err());
        assert_eq!(parse_duration("0.1"), Ok(Duration::from_millis(100)));
        assert_eq!(parse_duration("3600"), Ok(MAX_RUN));
        assert_eq!(parse_warmup("0"), Ok(Duration::ZERO));
        assert!(parse_warmup("-1").is_err());
        assert!(parse_warmup("1e9").is_err());
        assert!(parse_rate("0").is_err());
        assert!(parse_rate("1e9").is_err());
        assert!(parse_rate("nan").is_err());
        assert_eq!(parse_rate("2e6"), Ok(2e6));
        assert_eq!(parse_send_grid("0"), Ok(0));
        assert_eq!(parse_send_grid("1000000"), Ok(MAX_SEND_GRID_US));
        assert!(parse_send_grid("99999999999").is_err());
        assert!(parse_threads("0").is_err());
        assert!(parse_threads("100000").is_err());
        assert_eq!(parse_threads("4"), Ok(4));
        assert!(parse_at_least_one::<usize>("0").is_err());
        assert_eq!(
            parse_at_least_one::<usize>("-1").unwrap_err(),
            "must be at least 1"
        );
        assert_eq!(
            parse_at_least_one::<u64>("-5").unwrap_err(),
            "must be at least 1"
        );
        assert_eq!(
            parse_at_least_one::<u64>("x").unwrap_err(),
            "not a whole number"
        );
        assert!(parse_retries("-1").unwrap_err().contains("not be negative"));
        assert_eq!(parse_retries("3"), Ok(3));
        assert!(parse_bytes("-1").unwrap_err().contains("negative"));
        assert!(parse_connections("0").is_err());
        assert!(parse_connections("65536").is_err());
        assert_eq!(parse_connections("65535"), Ok(MAX_CONNECTIONS));
        assert_eq!(parse_at_least_one::<usize>("1"), Ok(1));
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn a_size_beyond_the_machine_is_refused_in_its_terms() {
        let machine = sockmodes_os::procfs::physical_memory().expect("MemTotal on Linux");
        assert!(fits_in_memory(machine / 2, || "half".into()).is_ok());
        let e = fits_in_memory(machine + 1, || "--size 4G with 10 connections".into())
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("--size 4G with 10 connections needs about"),
            "{e}"
        );
        assert!(e.contains("(MemTotal)"), "{e}");
    }
}
