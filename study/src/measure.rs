//! How one point is measured: R windows, each against a fresh server
//! process, servers interleaved; a window's figures from the load engine,
//! the server's `/proc` at both edges, and its own count of system calls;
//! a reading that came late, left out; a window the machine disturbed,
//! measured again. `sweep.rs` says which
//! points the study measures; this file measures them.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sockmodes_loadgen::{self as load, LoadConfig, WindowEdge, WindowHook};
use sockmodes_models::child::{CounterReader, Counters};
use sockmodes_os::process::{monotonic_ns, urgently};
use sockmodes_os::procfs::{self, ProcessSample};

use crate::affinity::Placement;
use crate::driver::Driver;
use crate::launch::Launcher;
use crate::point::{
    disturbed, LateReading, Point, ReadingSource, ServerCost, Step, Window, DISTURBED, LATE_SHARE,
};
use crate::progress::Progress;
use crate::sweep::Plan;
use crate::target::Target;

/// What measures points: the plan, the driver of every window, how each
/// server starts, and where progress is told.
#[derive(Clone, Copy)]
pub struct Measurer<'a> {
    pub plan: &'a Plan,
    pub driver: Driver,
    pub launcher: &'a Launcher,
    pub progress: &'a Progress,
}

impl Measurer<'_> {
    /// Every studied server at `n` connections in `step`, not measured yet.
    pub(crate) fn servers_at(self, step: Step, n: usize) -> Vec<(Point, Option<f64>)> {
        let placement = self.driver.placement;
        let at = |t| (empty(t, step, n, placement), None);
        self.plan.servers.iter().copied().map(at).collect()
    }

    /// Runs `points` R times each, interleaved: every round measures each
    /// point once, in order, each against a fresh server; the progress is
    /// told of every window.
    pub(crate) fn all(self, mut points: Vec<(Point, Option<f64>)>) -> Vec<Point> {
        let (plan, driver, progress) = (self.plan, self.driver, self.progress);
        for round in 0..plan.repeats {
            for (p, rate) in &mut points {
                // "blocking at 1000 connections, 500 msg/s, nonblocking
                // client, split (2 of 5)".
                progress.window(&format!(
                    "{}{} at {} connections{}, {} ({} of {})",
                    p.target.name(),
                    p.setup
                        .map_or(String::new(), |s| format!(" ({})", s.describe())),
                    p.connections,
                    rate.map_or(String::new(), |r| format!(", {r:.0} msg/s")),
                    driver.describe(),
                    round + 1,
                    plan.repeats
                ));
                match self.window(p, *rate) {
                    Ok(w) => p.windows.push(w),
                    Err(e) => progress.note(&format!("study: {} failed: {e}", p.target.name())),
                }
                progress.window_done();
            }
        }
        // Closed-loop windows the machine disturbed are measured once more.
        for (p, rate) in &mut points {
            if rate.is_some() || p.windows.len() != plan.repeats {
                continue;
            }
            let msgs = p.msgs_windows();
            for i in disturbed(&msgs) {
                progress.note(&format!(
                    "study: {} at {} connections, window {} carried {:.0} msg/s, under {:.0}% of the others' median: measured again",
                    p.target.name(),
                    p.connections,
                    i + 1,
                    msgs[i],
                    DISTURBED * 100.0
                ));
                progress.extra_window();
                if let Ok(w) = self.window(p, None) {
                    p.windows[i] = w;
                    p.remeasured += 1;
                }
                progress.window_done();
            }
        }
        points
            .into_iter()
            .map(|(p, _)| p)
            .filter(|p| !p.windows.is_empty())
            .collect()
    }

    /// One window: a fresh server for point `p`, closed loop or at `rate`.
    fn window(self, p: &Point, rate: Option<f64>) -> Result<Window, String> {
        let (plan, driver) = (self.plan, self.driver);
        let window_s = plan.window_s(p.step);
        let server = self
            .launcher
            .start(p.target, p.setup, driver.placement)
            .map_err(|e| e.to_string())?;
        let samples: Arc<Mutex<Vec<Stamped<ProcessSample>>>> = Arc::default();
        let asked: Arc<Mutex<Vec<(WindowEdge, u64, u64)>>> = Arc::default();
        let (pid, into, asks) = (server.pid(), Arc::clone(&samples), Arc::clone(&asked));
        // Only the command's own servers count their system calls.
        let reader = p.target.model().map(|_| server.counter_reader());
        let asker = reader.clone();
        let hook = WindowHook(Arc::new(move |edge: WindowEdge, due_ns: u64| {
            let ((), raised) = urgently(|| {
                // Asked first (a signal), so that its lateness is not the
                // walk's; the line is read after the window, and its `at_ns`
                // says when the server read its counters.
                if let Some(at) = asker.as_ref().and_then(CounterReader::ask) {
                    asks.lock().expect("not poisoned").push((edge, due_ns, at));
                }
                let began_ns = monotonic_ns();
                if let Ok(value) = procfs::sample(pid) {
                    into.lock().expect("not poisoned").push(Stamped {
                        edge,
                        due_ns,
                        began_ns,
                        value,
                    });
                }
            });
            if !raised {
                say_once_not_raised();
            }
        }));
        let config = LoadConfig {
            connections: p.connections,
            duration: Duration::from_secs_f64(window_s),
            warmup: Duration::from_secs_f64(plan.warmup_s),
            warmup_cap: Duration::from_secs_f64(plan.warmup_cap_s),
            rate,
            on_window: Some(hook),
            ..LoadConfig::new(driver.engine, server.addr)
        };
        let run = load::run(&config, Arc::new(AtomicU64::new(0)));
        let mut late = Vec::new();
        let mut counted = Vec::new();
        if let Some(reader) = &reader {
            let asked = asked.lock().expect("not poisoned");
            let at: Vec<u64> = asked.iter().map(|&(_, _, at)| at).collect();
            for (&(edge, due_ns, _), answer) in asked.iter().zip(reader.answers(&at)) {
                match answer {
                    Some(value) => counted.push(Stamped {
                        edge,
                        due_ns,
                        began_ns: value.at_ns,
                        value,
                    }),
                    None => late.push(LateReading::never(ReadingSource::Counters, edge)),
                }
            }
        }
        let _ = server.terminate();
        let load = run.map_err(|e| e.to_string())?.report().clone();
        let samples = samples.lock().expect("not poisoned");
        // `/proc` is Linux's: elsewhere no reading is expected to come.
        if cfg!(target_os = "linux") {
            let edges = [WindowEdge::Start, WindowEdge::End].into_iter();
            let missing = edges.filter(|&edge| !samples.iter().any(|s| s.edge == edge));
            late.extend(missing.map(|edge| LateReading::never(ReadingSource::Proc, edge)));
        }
        let bound_ns = LATE_SHARE * window_s * 1e9;
        let procs = on_time(&samples, ReadingSource::Proc, bound_ns, &mut late);
        let counts = on_time(&counted, ReadingSource::Counters, bound_ns, &mut late);
        let budget_used = counts.and_then(|(a, b)| b.value.budget_used_since(&a.value));
        let counts =
            counts.and_then(|(a, b)| Counted::between(&a.value, &b.value, load.messages_per_s));
        let cost = procs.and_then(|(a, b)| {
            let stretch_s = b.began_ns.checked_sub(a.began_ns).filter(|&ns| ns > 0)? as f64 / 1e9;
            Some(ServerCost {
                syscalls_per_msg: counts.as_ref().map(|c| c.syscalls_per_msg),
                msgs_per_wakeup: counts.as_ref().and_then(|c| c.msgs_per_wakeup),
                events_per_wakeup: counts.as_ref().and_then(|c| c.events_per_wakeup),
                ..cost(&a.value, &b.value, load.messages_per_s, stretch_s)
            })
        });
        Ok(Window {
            load,
            cost,
            budget_used,
            late,
        })
    }
}

/// A reading of the server at a window's edge, with when it was due and
/// when it began (CLOCK_MONOTONIC, nanoseconds).
///
/// Why the beginning: `/proc`'s CPU times are read first, and the walk
/// over the threads' files that follows (about 200 ms over 10,000 threads)
/// reads them in the same order at both edges, so each thread's count
/// still spans about a window; a counters line is read at one instant.
#[derive(Clone, Copy)]
struct Stamped<T> {
    edge: WindowEdge,
    due_ns: u64,
    began_ns: u64,
    value: T,
}

/// The start and end readings of one source, where both came and neither
/// came later than `bound_ns` after its edge; the late ones are added to
/// `late` (then `None`: a reading taken after its edge measures a
/// stretch the window did not, down to none at all).
fn on_time<'a, T>(
    readings: &'a [Stamped<T>],
    source: ReadingSource,
    bound_ns: f64,
    late: &mut Vec<LateReading>,
) -> Option<(&'a Stamped<T>, &'a Stamped<T>)> {
    let before = late.len();
    late.extend(readings.iter().filter_map(|r| {
        let late_ns = r.began_ns.saturating_sub(r.due_ns) as f64;
        (late_ns > bound_ns).then_some(LateReading {
            source,
            edge: r.edge,
            late_ms: Some(late_ns / 1e6),
        })
    }));
    let [a, b] = readings else { return None };
    let in_order = (a.edge, b.edge) == (WindowEdge::Start, WindowEdge::End);
    (late.len() == before && in_order).then_some((a, b))
}

/// Says once, on the study's progress stream, that the readings run at
/// ordinary priority (no permission for a real-time one): late ones are
/// then likelier, and each is left out and counted in the report.
fn say_once_not_raised() {
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        eprintln!(
            "study: the server's readings at each window's edge run at ordinary priority (a real-time one \
             needs root or CAP_SYS_NICE): under thousands of busy threads a reading may come late, and is \
             then left out and counted in the report"
        );
    });
}

/// What the server counted between its two readings of its counters,
/// per message of that stretch (at the window's rate): the counts are
/// divided by the messages of the stretch between the server's own
/// readings.
struct Counted {
    syscalls_per_msg: f64,
    /// `None` where the server counted no wake-up (a thread per
    /// connection counts none), or a line without the field.
    msgs_per_wakeup: Option<f64>,
    events_per_wakeup: Option<f64>,
}

impl Counted {
    /// `None` for readings out of order, or for under one message between
    /// them.
    fn between(a: &Counters, b: &Counters, messages_per_s: f64) -> Option<Counted> {
        let stretch_s = b.at_ns.checked_sub(a.at_ns).filter(|&ns| ns > 0)? as f64 / 1e9;
        let messages = messages_per_s * stretch_s;
        let delta = |x: Option<u64>, y: Option<u64>| Some(y?.saturating_sub(x?));
        let wakeups = delta(a.wakeups, b.wakeups)
            .filter(|&w| w > 0)
            .map(|w| w as f64);
        let events = delta(a.events, b.events).map(|e| e as f64);
        (messages >= 1.0).then(|| Counted {
            syscalls_per_msg: b.syscalls.saturating_sub(a.syscalls) as f64 / messages,
            msgs_per_wakeup: wakeups.map(|w| messages / w),
            events_per_wakeup: wakeups.zip(events).map(|(w, e)| e / w),
        })
    }
}

/// The server's context switches between two readings, or `None` where
/// some of its threads ended between them: an ended thread's count leaves
/// the sum with it (a thread per connection closing its connections at
/// the window's end), so the difference would read too low, down to zero.
fn switches_between(a: &ProcessSample, b: &ProcessSample) -> Option<u64> {
    (b.threads >= a.threads)
        .then(|| b.switches().checked_sub(a.switches()))
        .flatten()
}

/// The server's costs from its `/proc` at two readings `stretch_s`
/// seconds apart: per message of that stretch (at the window's rate), and
/// its busy share; none of the figures its counters give.
fn cost(a: &ProcessSample, b: &ProcessSample, messages_per_s: f64, stretch_s: f64) -> ServerCost {
    let msgs = (messages_per_s * stretch_s).max(1.0);
    let user = b.user_s - a.user_s;
    let system = b.system_s - a.system_s;
    ServerCost {
        user_us_per_msg: user * 1e6 / msgs,
        system_us_per_msg: system * 1e6 / msgs,
        switches_per_msg: switches_between(a, b).map(|n| n as f64 / msgs),
        rss_mib: b.rss_bytes as f64 / (1024.0 * 1024.0),
        threads: b.threads,
        cores_busy: (user + system) / stretch_s,
        // The server's own counts come from its counters line.
        ..ServerCost::default()
    }
}

/// A point not measured yet; its server gets the cores (and the CPU
/// budget) `placement` gives.
pub(crate) fn empty(target: Target, step: Step, connections: usize, placement: Placement) -> Point {
    Point {
        target,
        step,
        connections,
        offered_pct: None,
        offered_per_s: None,
        server_cores: placement.server_cpus().len(),
        budget_cpus: placement.cpu_budget(),
        windows: Vec::new(),
        remeasured: 0,
        setup: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(user_s: f64, system_s: f64, switches: u64) -> ProcessSample {
        ProcessSample {
            user_s,
            system_s,
            voluntary_switches: switches,
            involuntary_switches: 1,
            threads: 3,
            rss_bytes: 8 << 20,
            switches_measured: true,
        }
    }

    #[test]
    fn switches_are_not_measured_when_threads_ended_between_the_readings() {
        let a = sample(1.0, 2.0, 1_000);
        // 400 switches over the window, every thread alive at both edges.
        assert_eq!(switches_between(&a, &sample(1.1, 2.3, 1_400)), Some(400));
        // A thread ended: its count left the sum, so the difference is not
        // the window's (here it would read 100 too few).
        let ended = ProcessSample {
            threads: 2,
            ..sample(1.1, 2.3, 1_300)
        };
        assert_eq!(switches_between(&a, &ended), None);
        // Threads ended and others started: the sum went down.
        assert_eq!(switches_between(&a, &sample(1.1, 2.3, 600)), None);
    }

    #[test]
    fn a_windows_costs_are_per_message_answered_and_busy_per_second() {
        // 0.1 s user and 0.3 s system over 2,000 messages in 2 s.
        let c = cost(&sample(1.0, 2.0, 10), &sample(1.1, 2.3, 410), 1000.0, 2.0);
        assert!((c.user_us_per_msg - 50.0).abs() < 1e-6, "{c:?}");
        assert!((c.system_us_per_msg - 150.0).abs() < 1e-6, "{c:?}");
        assert_eq!(c.switches_per_msg, Some(0.2), "{c:?}");
        assert!((c.cores_busy - 0.2).abs() < 1e-9, "{c:?}");
        assert_eq!((c.rss_mib, c.threads), (8.0, 3));
        // No message answered: divided by one, not by zero.
        let idle = cost(&sample(1.0, 2.0, 10), &sample(1.0, 2.0, 10), 0.0, 2.0);
        assert_eq!(idle.user_us_per_msg, 0.0);
    }

    #[test]
    fn system_calls_are_divided_by_the_messages_between_the_two_readings() {
        let at = |at_ns: u64, syscalls: u64| Counters {
            accepted: 1,
            syscalls,
            at_ns,
            ..Counters::default()
        };
        let per_msg = |c: &[Counters], rate| match c {
            [a, b] => Counted::between(a, b, rate).map(|c| c.syscalls_per_msg),
            _ => None,
        };
        // 3,000 calls over 1.5 s at 1,000 msg/s: 2 per message, whatever
        // the window's own length.
        let two = [at(1_000_000_000, 500), at(2_500_000_000, 3_500)];
        assert_eq!(per_msg(&two, 1000.0), Some(2.0));
        // One reading, readings out of order, or under one message: none.
        assert_eq!(per_msg(&two[..1], 1000.0), None);
        assert_eq!(per_msg(&[two[1], two[0]], 1000.0), None);
        assert_eq!(per_msg(&two, 0.5), None);
        // A line without the wake-up fields: no batching figure.
        let old = Counted::between(&two[0], &two[1], 1000.0).expect("counted");
        assert_eq!((old.msgs_per_wakeup, old.events_per_wakeup), (None, None));
    }

    #[test]
    fn wakeups_are_divided_into_the_same_stretchs_messages_and_events() {
        let at = |at_ns: u64, wakeups: u64, events: u64| Counters {
            accepted: 1,
            at_ns,
            wakeups: Some(wakeups),
            events: Some(events),
            ..Counters::default()
        };
        // 1,500 messages (1.5 s at 1,000 msg/s) in 500 wake-ups that found
        // 2,000 events: 3 messages and 4 events a wake-up.
        let c = [at(1_000_000_000, 100, 1_000), at(2_500_000_000, 600, 3_000)];
        let counted = Counted::between(&c[0], &c[1], 1000.0).expect("counted");
        assert_eq!(counted.msgs_per_wakeup, Some(3.0));
        assert_eq!(counted.events_per_wakeup, Some(4.0));
        // No wake-up counted (a thread per connection, tokio): neither
        // figure.
        let none = [at(1_000_000_000, 0, 0), at(2_500_000_000, 0, 0)];
        let none = Counted::between(&none[0], &none[1], 1000.0).expect("counted");
        assert_eq!((none.msgs_per_wakeup, none.events_per_wakeup), (None, None));
    }

    #[test]
    fn a_reading_later_than_a_tenth_of_the_window_after_its_edge_is_left_out_and_said() {
        let read = |edge, due_ns: u64, began_ns: u64| Stamped {
            edge,
            due_ns,
            began_ns,
            value: (),
        };
        // A 0.6 s window from t = 1 s: late by up to 60 ms is on time.
        let bound = LATE_SHARE * 0.6e9;
        let start = read(WindowEdge::Start, 1_000_000_000, 1_050_000_000);
        let end = read(WindowEdge::End, 1_600_000_000, 1_601_000_000);
        let mut late = Vec::new();
        let both = [start, end];
        let pair = on_time(&both, ReadingSource::Proc, bound, &mut late);
        assert_eq!(
            pair.map(|(a, b)| (a.began_ns, b.began_ns)),
            Some((1_050_000_000, 1_601_000_000))
        );
        assert!(late.is_empty());
        // The start reading came 0.7 s late, after the window had ended:
        // no pair, and the late reading is recorded with its delay.
        let both = [read(WindowEdge::Start, 1_000_000_000, 1_700_000_000), end];
        assert!(on_time(&both, ReadingSource::Counters, bound, &mut late).is_none());
        assert_eq!(
            late,
            [LateReading {
                source: ReadingSource::Counters,
                edge: WindowEdge::Start,
                late_ms: Some(700.0),
            }]
        );
        // One reading only, or the end's first: no pair, nothing late.
        let mut none = Vec::new();
        assert!(on_time(&[end], ReadingSource::Proc, bound, &mut none).is_none());
        assert!(on_time(&[end, end], ReadingSource::Proc, bound, &mut none).is_none());
        assert!(none.is_empty());
    }
}
