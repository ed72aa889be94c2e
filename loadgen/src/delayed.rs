//! An echo server with a known delay: the yardstick for the load generator.
//!
//! A benchmarking tool is only as good as its figures, and the one way to
//! check a latency figure is against a server whose latency is known. This
//! server answers every frame exactly `delay` after the frame arrived,
//! however many frames a connection has in flight: a reader thread stamps
//! each frame's arrival, a writer thread sends each answer at its stamp plus
//! the delay. It can also stall once, answering nothing for a while, to show
//! that an open loop counts the queueing a stall causes.
//!
//! Run it by hand with `cargo run --release --example delayed_echo -- 20`,
//! then point `sockmodes load` at it: p50 should read about 20 ms.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use sockmodes_common::frame::{encode_frame, Decoder, DEFAULT_MAX_FRAME, READ_CHUNK};

/// A pause in every answer, once: answers due in `[t, t + length)` wait until
/// `t + length`, where `t` is `after` past the first frame the server saw.
#[derive(Debug, Clone, Copy)]
pub struct Stall {
    /// From the first frame to the start of the stall.
    pub after: Duration,
    /// How long nothing is answered.
    pub length: Duration,
}

/// One connection treated apart from the rest, by the order in which the
/// server accepted it (0-based): the yardsticks for the load generator's
/// ramp, fairness and starvation figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quirk {
    /// Connection k's first answer is held back k x this (then it answers
    /// with the plain delay): the ramp reads about 9 x this for 10
    /// connections.
    StaggerFirst(Duration),
    /// This connection is answered `factor` times the delay: it gets about
    /// 1/factor of the others' answers in a closed loop.
    Slow {
        /// Which connection.
        which: usize,
        /// How many times the delay.
        factor: u32,
    },
    /// This connection is read but never answered: it starves.
    Silent(usize),
}

impl std::str::FromStr for Quirk {
    type Err = String;
    /// `stagger:MS`, `slow:K:FACTOR` or `silent:K`.
    fn from_str(s: &str) -> Result<Quirk, String> {
        let parts: Vec<&str> = s.split(':').collect();
        let bad = || format!("{s:?}: expected stagger:MS, slow:K:FACTOR or silent:K");
        let num = |i: usize| parts.get(i).and_then(|p| p.parse().ok()).ok_or_else(bad);
        match parts[0] {
            "stagger" => Ok(Quirk::StaggerFirst(Duration::from_millis(num(1)?))),
            "slow" => Ok(Quirk::Slow {
                which: num(1)? as usize,
                factor: u32::try_from(num(2)?).map_err(|e| e.to_string())?,
            }),
            "silent" => Ok(Quirk::Silent(num(1)? as usize)),
            _ => Err(bad()),
        }
    }
}

/// A running delayed echo server on 127.0.0.1; stops when dropped.
pub struct DelayedEcho {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

struct Shared {
    delay: Duration,
    stall: Option<Stall>,
    quirk: Option<Quirk>,
    first_frame: OnceLock<Instant>,
}

impl Shared {
    /// When connection `k` answers its `nth` frame (0-based), which arrived
    /// at `arrived`; `None`: never.
    fn answer_on(&self, k: usize, nth: u64, arrived: Instant) -> Option<Instant> {
        let at = self.answer_at(arrived);
        match self.quirk {
            Some(Quirk::StaggerFirst(step)) if nth == 0 => {
                Some(at.max(arrived + step * u32::try_from(k).unwrap_or(u32::MAX)))
            }
            Some(Quirk::Slow { which, factor }) if which == k => {
                Some(at + self.delay * factor.saturating_sub(1))
            }
            Some(Quirk::Silent(which)) if which == k => None,
            _ => Some(at),
        }
    }

    /// When the answer to a frame that arrived at `arrived` goes out.
    fn answer_at(&self, arrived: Instant) -> Instant {
        let due = arrived + self.delay;
        let first = *self.first_frame.get_or_init(|| arrived);
        match self.stall {
            Some(s) if due >= first + s.after && due < first + s.after + s.length => {
                first + s.after + s.length
            }
            _ => due,
        }
    }
}

impl DelayedEcho {
    /// Listens on `addr` (use port 0 for any free one).
    ///
    /// # Errors
    /// The address cannot be bound.
    pub fn start(addr: SocketAddr, delay: Duration, stall: Option<Stall>) -> io::Result<Self> {
        DelayedEcho::with_quirk(addr, delay, stall, None)
    }

    /// As [`start`](Self::start), with one connection treated apart.
    ///
    /// # Errors
    /// The address cannot be bound.
    pub fn with_quirk(
        addr: SocketAddr,
        delay: Duration,
        stall: Option<Stall>,
        quirk: Option<Quirk>,
    ) -> io::Result<Self> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Shared {
            delay,
            stall,
            quirk,
            first_frame: OnceLock::new(),
        });
        let stopping = Arc::clone(&stop);
        let acceptor = thread::Builder::new()
            .name("delayed-accept".into())
            .spawn(move || {
                for (k, stream) in listener.incoming().enumerate() {
                    if stopping.load(Ordering::Relaxed) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        // A connection whose threads cannot start is dropped.
                        let _ = serve(stream, k, Arc::clone(&shared));
                    }
                }
            })?;
        Ok(DelayedEcho {
            addr,
            stop,
            acceptor: Some(acceptor),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for DelayedEcho {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the blocked accept with a connection of our own.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.acceptor.take() {
            let _ = t.join();
        }
    }
}

/// One connection: a reader that stamps frames, a writer that answers them.
fn serve(stream: TcpStream, k: usize, shared: Arc<Shared>) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = stream.try_clone()?;
    let mut writer = stream;
    let (tx, rx) = mpsc::channel::<(Instant, Vec<u8>)>();
    thread::Builder::new()
        .name("delayed-write".into())
        .spawn(move || {
            for (nth, (arrived, frame)) in (0u64..).zip(rx) {
                let Some(at) = shared.answer_on(k, nth, arrived) else {
                    continue;
                };
                thread::sleep(at.saturating_duration_since(Instant::now()));
                if writer.write_all(&frame).is_err() {
                    return;
                }
            }
            let _ = writer.shutdown(Shutdown::Write);
        })?;
    thread::Builder::new()
        .name("delayed-read".into())
        .spawn(move || {
            let mut decoder = Decoder::new(DEFAULT_MAX_FRAME);
            let mut chunk = vec![0u8; READ_CHUNK];
            loop {
                let n = match reader.read(&mut chunk) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                let arrived = Instant::now();
                let fed = decoder.feed(&chunk[..n], |payload| {
                    let mut framed = Vec::with_capacity(payload.len() + 4);
                    encode_frame(&mut framed, payload)?;
                    // The writer is gone only when its peer is: stop reading.
                    let _ = tx.send((arrived, framed));
                    Ok(())
                });
                if fed.is_err() {
                    let _ = reader.shutdown(Shutdown::Both);
                    return;
                }
            }
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_in_a_stall_wait_for_its_end_and_others_keep_their_delay() {
        let shared = Shared {
            delay: Duration::from_millis(10),
            stall: Some(Stall {
                after: Duration::from_millis(100),
                length: Duration::from_millis(300),
            }),
            quirk: None,
            first_frame: OnceLock::new(),
        };
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        assert_eq!(shared.answer_at(t0), t0 + ms(10));
        assert_eq!(shared.answer_at(t0 + ms(95)), t0 + ms(400));
        assert_eq!(shared.answer_at(t0 + ms(380)), t0 + ms(400));
        assert_eq!(shared.answer_at(t0 + ms(395)), t0 + ms(405));
    }
}

#[cfg(test)]
mod quirk_tests {
    use super::*;

    fn shared(quirk: Quirk) -> Shared {
        Shared {
            delay: Duration::from_millis(10),
            stall: None,
            quirk: Some(quirk),
            first_frame: OnceLock::new(),
        }
    }

    #[test]
    fn each_quirk_touches_only_its_connection() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let s = shared(Quirk::StaggerFirst(ms(300)));
        assert_eq!(s.answer_on(3, 0, t0), Some(t0 + ms(900)));
        assert_eq!(s.answer_on(3, 1, t0), Some(t0 + ms(10)), "then at once");
        assert_eq!(s.answer_on(0, 0, t0), Some(t0 + ms(10)));
        let s = shared(Quirk::Slow {
            which: 2,
            factor: 10,
        });
        assert_eq!(s.answer_on(2, 5, t0), Some(t0 + ms(100)));
        assert_eq!(s.answer_on(1, 5, t0), Some(t0 + ms(10)));
        let s = shared(Quirk::Silent(4));
        assert_eq!(s.answer_on(4, 0, t0), None);
        assert_eq!(s.answer_on(5, 0, t0), Some(t0 + ms(10)));
    }

    #[test]
    fn quirks_parse_from_their_names() {
        assert_eq!(
            "stagger:300".parse(),
            Ok(Quirk::StaggerFirst(Duration::from_millis(300)))
        );
        assert_eq!(
            "slow:0:10".parse(),
            Ok(Quirk::Slow {
                which: 0,
                factor: 10
            })
        );
        assert_eq!("silent:3".parse(), Ok(Quirk::Silent(3)));
        assert!("loud:1".parse::<Quirk>().is_err());
        assert!("slow:1".parse::<Quirk>().is_err());
    }
}
