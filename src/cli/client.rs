//! `sockmodes client`.

use std::fs::File;
use std::io::{BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, Subcommand};
use hdrhistogram::Histogram;
use sockmodes_client::error::confirm_wait;
use sockmodes_common::{Payload, Service, SinkTally, DEFAULT_MAX_FRAME};
use sockmodes_models::{Client, ClientSettings, Model};
use sockmodes_python::show;

use super::bounds::{self, parse_at_least_one, parse_frame_size, parse_retries, InputError};
use super::{out, parse_secs};

#[derive(Debug, Args)]
pub struct ClientArgs {
    #[arg(long = "mode", value_name = "MODE", value_parser = Model::clients_parser(), default_value_t = Model::BLOCKING, help = Model::clients_help())]
    model: Model,
    /// Server address.
    #[arg(long, default_value = "127.0.0.1:8080", value_parser = sockmodes_os::net::resolve)]
    addr: SocketAddr,
    /// Give up on any single wait after this many seconds (TimeoutError). Default: wait as long as it takes.
    #[arg(long, value_parser = parse_secs, value_name = "SECS")]
    timeout: Option<Duration>,
    /// Retry a refused connection this many times, with backoff (100 ms, doubling to 2 s).
    #[arg(long, default_value_t = 0, value_name = "N", value_parser = parse_retries)]
    retry: u32,
    /// Largest frame, in bytes (must match the server's --max-frame to send
    /// larger frames; suffixes K, M, G = 1024^n; at most 4G - 1, the 32-bit length).
    #[arg(long, default_value_t = DEFAULT_MAX_FRAME, value_name = "BYTES", value_parser = parse_frame_size)]
    max_frame: usize,
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Send TEXT to a `message` server (the classroom exchange).
    #[command(allow_negative_numbers = true)]
    Message {
        /// The message.
        text: String,
    },
    /// Send frames to an `echo` server and verify every byte that comes back.
    #[command(allow_negative_numbers = true)]
    Echo {
        /// Payload bytes per frame (at most --max-frame; suffixes K, M, G).
        #[arg(long, default_value_t = 1024, value_name = "BYTES", value_parser = parse_frame_size)]
        size: usize,
        /// Round trips (at least 1).
        #[arg(long, default_value_t = 10, value_name = "N", value_parser = parse_at_least_one::<u64>)]
        count: u64,
    },
    /// Upload frames to a `sink` server and check its summary (frames, bytes, CRC-32).
    #[command(allow_negative_numbers = true)]
    Sink {
        /// Payload bytes per frame (with --file: the chunk size); 1 to
        /// --max-frame, suffixes K, M, G.
        #[arg(long, default_value_t = 65536, value_name = "BYTES", value_parser = parse_frame_size)]
        size: usize,
        /// Frames to send (at least 1; ignored with --file).
        #[arg(long, default_value_t = 16, value_name = "N", value_parser = parse_at_least_one::<u64>)]
        count: u64,
        /// Stream this file in frames of --size bytes.
        #[arg(long, value_name = "PATH")]
        file: Option<PathBuf>,
    },
}

pub fn run(args: ClientArgs) -> anyhow::Result<ExitCode> {
    let model = args.model;
    super::check_model(model, true)?;
    let settings = ClientSettings {
        timeout: args.timeout,
        retries: args.retry,
        max_frame: args.max_frame,
        ..ClientSettings::default()
    };
    check_inputs(&args)?;
    // Opened before connecting: a typo in the path is refused before it
    // costs a connection (and the server a sink that ends empty).
    let upload = match &args.action {
        Action::Sink {
            file: Some(path), ..
        } => Some((path.clone(), open_upload(path)?)),
        _ => None,
    };
    let mut client = Client::connect(model, args.addr, &settings)?;
    // The server as every result line names it.
    let server = format!("{} ({model})", args.addr);
    let text = match args.action {
        Action::Message { text } => {
            let receipt = client.send_message(text.as_bytes())?;
            let sent = format!(
                "sent {} to {server}",
                show::count(receipt.bytes as u64, "byte", "bytes")
            );
            // The close is the only receipt a message has: without it the
            // message may have been dropped (a stopped server that later
            // refuses it), so the run did not succeed.
            if !receipt.confirmed {
                anyhow::bail!(
                    "{sent}, but the server did not close the connection within {} s: it may not have read them",
                    confirm_wait(args.timeout).as_secs_f64()
                );
            }
            format!("{sent}; the server read them and closed the connection")
        }
        Action::Echo { size, count } => echo(client, &server, size, count)?,
        Action::Sink { size, count, .. } => sink(client, &server, size, count, upload)?,
    };
    out::line("the result", &text)?;
    Ok(ExitCode::SUCCESS)
}

/// Refuses, before connecting, a size over --max-frame, an empty sink
/// frame, and buffers beyond the machine's memory.
fn check_inputs(args: &ClientArgs) -> Result<(), InputError> {
    // Copies of one frame held at once: echo holds none (the pattern is
    // computed as it is sent and checked as it returns, a piece at a
    // time); sink holds one, the chunk of --file.
    let (size, copies, action) = match &args.action {
        Action::Message { .. } => return Ok(()),
        Action::Echo { size, .. } => (*size, 0, "echo"),
        Action::Sink { size: 0, .. } => {
            return Err(InputError(
                "sink --size 0: a frame of 0 bytes uploads nothing (with --file, it is \
                 the chunk size); use 1 or more"
                    .into(),
            ))
        }
        Action::Sink { size, .. } => (*size, 1, "sink"),
    };
    if size > args.max_frame {
        return Err(InputError(format!(
            "{action} --size {size} exceeds the frame limit of {} bytes (raise --max-frame \
             on both ends)",
            args.max_frame
        )));
    }
    bounds::fits_in_memory((size as u64).saturating_mul(copies), || {
        format!("{action} --size {size}")
    })
}

fn echo(mut client: Client, server: &str, size: usize, count: u64) -> anyhow::Result<String> {
    // The pattern is computed as it is sent and checked as it comes back:
    // no copy of it is held, whatever --size says.
    let payload = Payload::pattern(size);
    let mut rtts = round_trips();
    for _ in 0..count {
        let t = Instant::now();
        client.echo_payload(&payload)?;
        let ns = u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX);
        rtts.record(ns).context("recording a round trip")?;
    }
    client.shutdown_write()?;
    Ok(format!(
        "echo: {} of {} to {server} came back intact; median round trip {:.1} µs",
        show::count(count, "frame", "frames"),
        show::count(size as u64, "byte", "bytes"),
        median(&rtts) as f64 / 1e3
    ))
}

/// The median round trip, in nanoseconds: the one at index `len / 2` of
/// the round trips sorted (the upper of the two middle ones when there is
/// an even number), as a sorted list gives it, and the middle of its
/// bucket, within 0.05% of it. (`value_at_quantile(0.5)` takes the lower
/// middle one and the top of its bucket: on 10 round trips it can differ
/// by the gap between two of them.)
fn median(rtts: &Histogram<u64>) -> u64 {
    let rank = rtts.len() / 2;
    let mut below = 0;
    for v in rtts.iter_recorded() {
        below += v.count_since_last_iteration();
        if below > rank {
            return rtts.median_equivalent(v.value_iterated_to());
        }
    }
    0
}

/// Significant digits of the round trips' histogram.
///
/// Why 3: 0.1% resolution at every scale, as the load generator's
/// histograms (`loadgen/src/record.rs`). The median is printed to 0.1 µs:
/// from about 2 µs up its last digit may differ by one from the exact
/// round trip's (buckets are 16 ns wide at 16 µs, 64 ns at 65 µs), well
/// inside a round trip's own spread.
const RTT_SIGFIGS: u8 = 3;

/// An empty histogram of round trips in nanoseconds, growing with the
/// longest one.
///
/// A histogram, not a list of every round trip: --count has no useful
/// bound, and a list grew by 16 bytes a frame, gigabytes for a long run;
/// the histogram's memory depends only on the longest round trip (16 KiB
/// at first, under 512 KiB for any duration a u64 of nanoseconds holds).
/// Auto-resizing and `record`, never `saturating_record`, which would clamp
/// a round trip to the histogram's current top instead of growing it.
fn round_trips() -> Histogram<u64> {
    let mut h = Histogram::new_with_bounds(1, 2, RTT_SIGFIGS).expect("1..2 at 3 digits is valid");
    h.auto(true);
    h
}

/// The `--file` of `client sink`, opened for reading; a path that cannot
/// be opened, or a directory, is an input error (exit 2).
fn open_upload(path: &Path) -> Result<File, InputError> {
    let refuse = |why: String| InputError(format!("sink --file {}: {why}", path.display()));
    // Asked first: a directory opens on Unix (and fails only at the first
    // read), and fails to open on Windows with a bare "access denied".
    if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        return Err(refuse("a directory, not a file".into()));
    }
    File::open(path).map_err(|e| refuse(format!("cannot open it: {e}")))
}

/// Uploads `--count` frames of the pattern, or `upload` (the path and the
/// open file) in frames of `size`, and checks the server's summary.
fn sink(
    mut client: Client,
    server: &str,
    size: usize,
    count: u64,
    upload: Option<(PathBuf, File)>,
) -> anyhow::Result<String> {
    client.set_service(Service::Sink);
    let mut tally = SinkTally::new();
    let started = Instant::now();
    match upload {
        Some((path, f)) => {
            // Buffered, so that a small --size still reads the file in large pieces.
            let mut f = BufReader::new(f);
            let mut chunk = Vec::with_capacity(size);
            loop {
                // As much as a frame takes, short only at the end of the file.
                chunk.clear();
                (&mut f)
                    .take(size as u64)
                    .read_to_end(&mut chunk)
                    .with_context(|| format!("reading {}", path.display()))?;
                if chunk.is_empty() {
                    break;
                }
                client.send_frame(&chunk)?;
                tally.add(&chunk);
            }
        }
        None => {
            let payload = Payload::pattern(size);
            for _ in 0..count {
                // Waits until the socket took it: the rate shown is the wire's.
                client.send(&payload)?;
                client.flush()?;
                count_pattern(&mut tally, &payload);
            }
        }
    }
    let summary = client.finish_sink(&tally)?;
    let secs = started.elapsed().as_secs_f64();
    Ok(format!(
        "sink: {server} counted {}, {}, CRC-32 {:08x}: matches what was sent ({:.1} MB/s)",
        show::count(summary.frames, "frame", "frames"),
        show::count(summary.bytes, "byte", "bytes"),
        summary.crc32,
        summary.bytes as f64 / secs / 1e6
    ))
}

/// Counts one frame of `payload` in `tally`, piece by piece (never whole).
fn count_pattern(tally: &mut SinkTally, payload: &Payload) {
    let mut at = 0;
    while at < payload.len() {
        let piece = payload.piece(at, usize::MAX);
        tally.add_bytes(piece);
        at += piece.len();
    }
    tally.end_frame();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The round trips' memory depends on the longest one, never on how
    /// many there are: a million, then the longest a u64 of nanoseconds
    /// holds, and the counts stay under 512 KiB.
    #[test]
    fn the_round_trips_memory_is_bounded_whatever_the_count() {
        let mut h = round_trips();
        let counts_bytes = |h: &Histogram<u64>| h.distinct_values() * size_of::<u64>();
        for ns in 0..1_000_000u64 {
            h.record(20_000 + ns % 1_000).unwrap();
        }
        let after_a_million = counts_bytes(&h);
        assert!(after_a_million <= 64 << 10, "{after_a_million} bytes");
        h.record(u64::MAX).unwrap();
        assert!(counts_bytes(&h) < 512 << 10, "{} bytes", counts_bytes(&h));
        assert_eq!(h.len(), 1_000_001);
    }

    /// The median a sorted list gives (index `len / 2`), within the
    /// histogram's 0.05%, for an odd and an even number of round trips.
    #[test]
    fn the_median_is_the_sorted_lists() {
        for rtts in [
            &[9_000, 45_123, 45_200, 46_000, 1_000_000][..],
            &[24_200, 21_000, 22_000, 90_000, 19_500, 30_000],
        ] {
            let mut h = round_trips();
            for &ns in rtts {
                h.record(ns).unwrap();
            }
            let mut sorted = rtts.to_vec();
            sorted.sort_unstable();
            let want = sorted[sorted.len() / 2];
            let got = median(&h);
            assert!(got.abs_diff(want) * 2000 <= want, "{got} for {want}");
        }
        assert_eq!(median(&round_trips()), 0);
    }
}
