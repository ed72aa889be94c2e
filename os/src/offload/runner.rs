//! Where an event loop's or a ring's frames' work runs, and how finished
//! work goes back to its connection: one piece both drivers call, so that
//! they differ only in how they wake (a mio `Waker`, an eventfd) and how
//! they send an answer on its way (drive a connection, post a send).
//!
//! A frame's work starts in [`Runner::start`]: `wait` is parked on a timer
//! ([`Waits`]), `cpu` and `block` go to the pool when there is one (a job
//! its full queue refuses waits in the runner's own list, one per
//! connection at most), and otherwise run inline, at once. What finished
//! meanwhile goes back through [`finish`]: each job to its session, unless
//! its connection closed (a reused key is told apart by the serial number
//! in its [`Tag`]).

use std::collections::VecDeque;
use std::time::Instant;

use sockmodes_common::offload::{Job, Tag, Waits};
use sockmodes_common::session::{ServerSession, SessionError};
use sockmodes_common::work::WorkKind;

use super::Pool;
use crate::work::Perform;

/// The work of one I/O thread: its pool (with `--offload`), its timer's
/// waits, and the jobs the pool's full queue gave back.
#[derive(Debug, Default)]
pub struct Runner {
    pool: Option<Pool>,
    waits: Waits,
    /// Jobs the pool's full queue refused, in order (one per connection at
    /// most: its session waits for that work before it reads more).
    blocked: VecDeque<Job>,
    /// Finished jobs being handed back (kept to reuse its allocation).
    done: Vec<Job>,
}

/// What [`Runner::start`] did with a job.
#[derive(Debug)]
pub enum Started {
    /// Done inline, here and now: hand it back ([`hand_back`]).
    Done(Job),
    /// Parked on the timer (`wait` work): arm it for [`Runner::next_due`].
    Waiting,
    /// On the pool, or waiting for room in its queue.
    Queued,
}

impl Runner {
    /// A runner with `pool` for `cpu` and `block` work (`None`: inline).
    pub fn new(pool: Option<Pool>) -> Runner {
        Runner {
            pool,
            ..Runner::default()
        }
    }

    /// Starts `job` at `now`: on the timer, on the pool, or inline.
    pub fn start(&mut self, job: Job, now: Instant) -> Started {
        match (job.ticket.work.kind, &self.pool) {
            (WorkKind::Wait, _) => {
                self.waits.push(job.ticket.work.due(now), job);
                Started::Waiting
            }
            (_, Some(pool)) => {
                if let Err(job) = pool.try_submit(job) {
                    self.blocked.push_back(job);
                }
                Started::Queued
            }
            (_, None) => {
                job.ticket.work.perform();
                Started::Done(job)
            }
        }
    }

    /// True while something may finish without the thread's own doing
    /// (a pool, or a wait): the driver calls [`finish`] after each turn.
    pub fn has_pending(&self) -> bool {
        self.pool.is_some() || !self.waits.is_empty()
    }

    /// When the earliest wait is due (the timer to arm, the longest sleep).
    pub fn next_due(&self) -> Option<Instant> {
        self.waits.next_due()
    }

    /// The shutdown deadline: work in the pool stops early (its answer is
    /// never sent) and the refused jobs are dropped.
    pub fn cut(&mut self) {
        if let Some(pool) = &self.pool {
            pool.cut();
        }
        self.blocked.clear();
    }

    /// Moves refused jobs into the pool's queue while it has room.
    fn submit_blocked(&mut self) {
        let Some(pool) = &self.pool else {
            return;
        };
        while let Some(job) = self.blocked.pop_front() {
            if let Err(job) = pool.try_submit(job) {
                self.blocked.push_front(job);
                break;
            }
        }
    }
}

/// What an I/O thread lends [`finish`] and [`hand_back`]: its runner, its
/// connections' sessions, and its two ways of going on.
pub trait WorkDriver {
    /// This thread's runner.
    fn runner(&mut self) -> &mut Runner;

    /// The session of `tag`'s connection when it is still that connection
    /// and still answering (not closing); the driver marks it as making
    /// progress (a connection waiting for its work is not idle).
    fn answering(&mut self, tag: Tag) -> Option<&mut ServerSession>;

    /// The session refused a result: end connection `key` (a lingering
    /// close, as for any protocol error).
    fn refused(&mut self, key: usize, error: SessionError);

    /// Connection `key` has an answer to send and may read again.
    fn resume(&mut self, key: usize);
}

/// Hands a finished job back to its session. True when its connection is
/// still there (the caller lets it go on).
pub fn hand_back<D: WorkDriver + ?Sized>(driver: &mut D, job: Job) -> bool {
    let Some(session) = driver.answering(job.tag) else {
        return false; // closed meanwhile; the key may be another's now
    };
    match session.work_done(job.ticket) {
        Ok(_) => true,
        Err(e) => {
            driver.refused(job.tag.key, e);
            false
        }
    }
}

/// Takes what the pool finished and the waits due by `now`, hands each
/// back and resumes its connection, then refills the pool's queue from
/// the jobs it refused. Returns how many finished.
pub fn finish<D: WorkDriver + ?Sized>(driver: &mut D, now: Instant) -> usize {
    let runner = driver.runner();
    let mut done = std::mem::take(&mut runner.done);
    if let Some(pool) = &runner.pool {
        pool.take_done(&mut done);
    }
    runner.waits.take_due(now, &mut done);
    let finished = done.len();
    for job in done.drain(..) {
        if hand_back(driver, job) {
            driver.resume(job.tag.key);
        }
    }
    let runner = driver.runner();
    runner.done = done;
    if finished > 0 {
        runner.submit_blocked();
    }
    finished
}

#[cfg(test)]
mod tests {
    use super::*;
    use sockmodes_common::config::Service;
    use sockmodes_common::frame::encode_frame;
    use sockmodes_common::work::Work;

    /// A driver of one connection, as a loop sees it.
    struct One {
        runner: Runner,
        session: ServerSession,
        serial: u64,
        resumed: Vec<usize>,
        refused: Vec<usize>,
    }

    impl WorkDriver for One {
        fn runner(&mut self) -> &mut Runner {
            &mut self.runner
        }
        fn answering(&mut self, tag: Tag) -> Option<&mut ServerSession> {
            (tag.key == 0 && tag.serial == self.serial).then_some(&mut self.session)
        }
        fn refused(&mut self, key: usize, _: SessionError) {
            self.refused.push(key);
        }
        fn resume(&mut self, key: usize) {
            self.resumed.push(key);
        }
    }

    fn one(work: &str, pool: Option<Pool>) -> One {
        let mut session = ServerSession::new(Service::Echo, 1024, 1024)
            .with_work(Some(work.parse::<Work>().unwrap()));
        let mut frame = Vec::new();
        encode_frame(&mut frame, b"hola").unwrap();
        session.received_from(&frame).unwrap();
        One {
            runner: Runner::new(pool),
            session,
            serial: 1,
            resumed: Vec::new(),
            refused: Vec::new(),
        }
    }

    fn job(d: &mut One, serial: u64) -> Job {
        let ticket = d.session.next_work().expect("the frame's work");
        Job {
            tag: Tag { key: 0, serial },
            ticket,
        }
    }

    #[test]
    fn inline_work_is_done_at_once_and_its_answer_released() {
        let mut d = one("cpu:1us", None);
        let job = job(&mut d, 1);
        let Started::Done(job) = d.runner.start(job, Instant::now()) else {
            panic!("no pool: inline");
        };
        assert!(d.session.output().is_empty(), "held until its work is done");
        assert!(hand_back(&mut d, job));
        assert_eq!(&d.session.output()[4..], b"hola");
    }

    #[test]
    fn a_wait_comes_back_when_due_and_resumes_its_connection() {
        let mut d = one("wait:1ms", None);
        let now = Instant::now();
        let job = job(&mut d, 1);
        assert!(matches!(d.runner.start(job, now), Started::Waiting));
        assert!(d.runner.has_pending());
        assert_eq!(finish(&mut d, now), 0, "not due yet");
        let due = d.runner.next_due().expect("armed");
        assert_eq!(finish(&mut d, due), 1);
        assert_eq!(d.resumed, vec![0]);
        assert_eq!(&d.session.output()[4..], b"hola");
    }

    #[test]
    fn work_of_a_closed_connection_is_dropped() {
        let mut d = one("wait:1ms", None);
        let now = Instant::now();
        // An earlier connection under the same key submitted it.
        let job = job(&mut d, 0);
        d.runner.start(job, now);
        let due = d.runner.next_due().expect("armed");
        assert_eq!(finish(&mut d, due), 1, "it finished");
        assert!(d.resumed.is_empty() && d.refused.is_empty());
        assert!(d.session.output().is_empty(), "not this connection's");
    }

    #[test]
    fn pooled_work_comes_back_through_finish() {
        let pool = Pool::start(1, &[], std::sync::Arc::new(|| {})).unwrap();
        let mut d = one("block:1ms", Some(pool));
        let job = job(&mut d, 1);
        assert!(matches!(
            d.runner.start(job, Instant::now()),
            Started::Queued
        ));
        while d.resumed.is_empty() {
            finish(&mut d, Instant::now());
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert_eq!(&d.session.output()[4..], b"hola");
    }
}
