//! A precise wake-up for an event loop.
//!
//! Why: `Poll::poll`'s timeout is rounded up to whole milliseconds by
//! `epoll_wait` (and by Windows' completion ports), so a loop that must act
//! at a given microsecond (an open-loop load generator's send schedule) would
//! act up to 1 ms late, and that lateness would be counted as server latency.
//!
//! - Linux: a `timerfd` in the same `Poll` (`timerfd.rs`): nanosecond
//!   resolution, no extra thread.
//! - Elsewhere: [`SleeperTimer`], a thread that sleeps until the deadline and
//!   wakes the `Poll` through a mio `Waker`. Its precision is the thread's
//!   sleep: about 1 ms or better on macOS and Windows (std sleeps on a
//!   high-resolution waitable timer where Windows has one), plus one
//!   cross-thread wake-up, some tens of microseconds. It is built and tested
//!   on Linux too.

use std::io;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use mio::{Registry, Token, Waker};

/// The timer this platform uses.
#[cfg(target_os = "linux")]
pub type Timer = crate::timerfd::TimerFd;
/// The timer this platform uses.
#[cfg(not(target_os = "linux"))]
pub type Timer = SleeperTimer;

/// How close to the deadline the sleeper stops waiting on its condition
/// variable and sleeps the rest.
///
/// Why 2 ms: a condition variable's timed wait is only as fine as the OS's
/// tick (up to 15.6 ms on Windows by default), while `thread::sleep` uses
/// the finest timer the OS has; 2 ms covers a tick of 1 ms either way and
/// keeps a far deadline from holding the thread in short sleeps.
const FINE_SLEEP: Duration = Duration::from_millis(2);

#[derive(Debug, Default)]
struct State {
    deadline: Option<Instant>,
    stop: bool,
}

/// A one-shot timer that wakes a `Poll` from a thread of its own.
#[derive(Debug)]
pub struct SleeperTimer {
    shared: Arc<(Mutex<State>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl SleeperTimer {
    /// Creates the timer; its expiries arrive as events on `token`.
    ///
    /// # Errors
    /// The waker or the thread could not be created.
    pub fn register(registry: &Registry, token: Token) -> io::Result<SleeperTimer> {
        SleeperTimer::with_waker(Arc::new(Waker::new(registry, token)?))
    }

    /// Creates the timer on a `Waker` the loop already has: its expiries
    /// arrive as that waker's events. Needed where the loop has a waker of
    /// its own, because mio allows one `Waker` per `Poll` (Windows enforces
    /// it).
    ///
    /// # Errors
    /// The thread could not be created.
    pub fn with_waker(waker: Arc<Waker>) -> io::Result<SleeperTimer> {
        let shared: Arc<(Mutex<State>, Condvar)> = Arc::default();
        let state = Arc::clone(&shared);
        let thread = thread::Builder::new()
            .name("timer".into())
            .spawn(move || sleeper(&state, &waker))?;
        Ok(SleeperTimer {
            shared,
            thread: Some(thread),
        })
    }

    /// Arms the timer to fire at `at` (at once if `at` has passed), replacing
    /// any earlier setting.
    ///
    /// # Errors
    /// None; the signature matches the Linux timer's.
    pub fn arm(&self, at: Instant) -> io::Result<()> {
        let (lock, cv) = &*self.shared;
        lock.lock().expect("timer lock").deadline = Some(at);
        cv.notify_one();
        Ok(())
    }

    /// Nothing to consume: a waker's event needs no reading.
    pub fn clear(&self) {}
}

/// The sleeper thread: waits for a deadline, sleeps until it, wakes the poll.
fn sleeper(shared: &(Mutex<State>, Condvar), waker: &Waker) {
    let (lock, cv) = shared;
    let mut state = lock.lock().expect("timer lock");
    loop {
        if state.stop {
            return;
        }
        let Some(at) = state.deadline else {
            state = cv.wait(state).expect("timer lock");
            continue;
        };
        let left = at.saturating_duration_since(Instant::now());
        if left > FINE_SLEEP {
            state = cv
                .wait_timeout(state, left - FINE_SLEEP)
                .expect("timer lock")
                .0;
            continue;
        }
        // The last stretch: sleep without the lock, then fire unless the
        // deadline was moved meanwhile.
        drop(state);
        thread::sleep(at.saturating_duration_since(Instant::now()));
        state = lock.lock().expect("timer lock");
        if state.deadline == Some(at) {
            state.deadline = None;
            // A failed wake means the Poll is gone: the loop is over.
            let _ = waker.wake();
        }
    }
}

impl Drop for SleeperTimer {
    fn drop(&mut self) {
        let (lock, cv) = &*self.shared;
        lock.lock().expect("timer lock").stop = true;
        cv.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mio::{Events, Poll};

    /// Waits on `poll` until the timer's event (or 2 s); returns when.
    fn wait_for(poll: &mut Poll, token: Token) -> Option<Instant> {
        let mut events = Events::with_capacity(4);
        let give_up = Instant::now() + Duration::from_secs(2);
        while Instant::now() < give_up {
            poll.poll(&mut events, Some(Duration::from_millis(100)))
                .unwrap();
            if events.iter().any(|e| e.token() == token) {
                return Some(Instant::now());
            }
        }
        None
    }

    #[test]
    fn the_sleeper_fires_once_at_its_deadline_and_a_new_arm_replaces_the_old() {
        let mut poll = Poll::new().unwrap();
        let token = Token(7);
        let timer = SleeperTimer::register(poll.registry(), token).unwrap();
        let at = Instant::now() + Duration::from_millis(30);
        timer.arm(at).unwrap();
        let fired = wait_for(&mut poll, token).expect("the timer fires");
        assert!(fired >= at, "never before the deadline");
        // Re-armed far away, then brought near: only the near one fires.
        timer.arm(Instant::now() + Duration::from_secs(60)).unwrap();
        let near = Instant::now() + Duration::from_millis(10);
        timer.arm(near).unwrap();
        assert!(wait_for(&mut poll, token).expect("fires") >= near);
        // Nothing more is pending.
        let mut events = Events::with_capacity(4);
        poll.poll(&mut events, Some(Duration::from_millis(50)))
            .unwrap();
        assert!(events.is_empty(), "one arm, one event");
    }

    #[test]
    fn this_platforms_timer_fires_too() {
        let mut poll = Poll::new().unwrap();
        let token = Token(3);
        let timer = Timer::register(poll.registry(), token).unwrap();
        let at = Instant::now() + Duration::from_millis(20);
        timer.arm(at).unwrap();
        assert!(wait_for(&mut poll, token).expect("fires") >= at);
    }
}
