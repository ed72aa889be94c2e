//! `wait` work on an event loop or a ring: frames parked until their due
//! time, earliest first, with no thread of their own.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

use super::Job;

/// Frames waiting on a timer (`wait` work on an event loop or a ring): a
/// min-heap by due time. One entry per connection at most (one frame in
/// work each), so it is bounded by `--max-conns`
/// ([`PER_CONNECTION`] counts it). The loop passes its own time in.
#[derive(Debug, Default)]
pub struct Waits {
    heap: BinaryHeap<Reverse<Waiting>>,
    seq: u64,
}

#[derive(Debug)]
struct Waiting {
    due: Instant,
    seq: u64,
    job: Job,
}

impl PartialEq for Waiting {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.seq) == (other.due, other.seq)
    }
}
impl Eq for Waiting {}
impl PartialOrd for Waiting {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Waiting {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.due, self.seq).cmp(&(other.due, other.seq))
    }
}

impl Waits {
    /// Adds `job`, due at `due`.
    pub fn push(&mut self, due: Instant, job: Job) {
        self.seq += 1;
        self.heap.push(Reverse(Waiting {
            due,
            seq: self.seq,
            job,
        }));
    }

    /// When the earliest one is due (the timer to arm).
    pub fn next_due(&self) -> Option<Instant> {
        self.heap.peek().map(|w| w.0.due)
    }

    /// Moves every job due by `now` into `into`, earliest first.
    pub fn take_due(&mut self, now: Instant, into: &mut Vec<Job>) {
        while self.heap.peek().is_some_and(|w| w.0.due <= now) {
            into.push(self.heap.pop().expect("peeked").0.job);
        }
    }

    /// True when none is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

/// What work costs an event loop or a ring per connection, besides the
/// session: an entry in [`Waits`] or in the list of jobs the full queue
/// gave back (one frame in work per connection, so one or the other).
pub const PER_CONNECTION: usize = std::mem::size_of::<Waiting>() + std::mem::size_of::<Job>();

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offload::Tag;
    use crate::stats::ServerStats;
    use sockmodes_common::frame::encode_frame;
    use sockmodes_common::work::Work;
    use sockmodes_common::{ServerSession, Service};
    use std::time::Duration;

    /// A real ticket (the session hands them out): one frame's `wait:1ms`.
    fn job(key: usize) -> Job {
        let work: Work = "wait:1ms".parse().unwrap();
        let mut session = ServerSession::new(Service::Echo, 1024, 1024).with_work(Some(work));
        let mut frame = Vec::new();
        encode_frame(&mut frame, b"hola").unwrap();
        session.received_from(&frame).unwrap();
        let ticket = session
            .next_work(&ServerStats::default())
            .expect("the frame's work");
        Job {
            tag: Tag { key, serial: 0 },
            ticket,
        }
    }

    #[test]
    fn waits_come_due_earliest_first() {
        let t0 = Instant::now();
        let mut w = Waits::default();
        w.push(t0 + Duration::from_millis(5), job(1));
        w.push(t0 + Duration::from_millis(2), job(2));
        w.push(t0 + Duration::from_millis(2), job(3));
        assert_eq!(w.next_due(), Some(t0 + Duration::from_millis(2)));
        let mut due = Vec::new();
        w.take_due(t0 + Duration::from_millis(3), &mut due);
        let keys: Vec<usize> = due.iter().map(|j| j.tag.key).collect();
        assert_eq!(keys, [2, 3], "due ones only, in order of arrival");
        assert_eq!(w.next_due(), Some(t0 + Duration::from_millis(5)));
        w.take_due(t0 + Duration::from_millis(5), &mut due);
        assert!(w.is_empty() && due.len() == 3);
    }
}
