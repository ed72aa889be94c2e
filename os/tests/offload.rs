//! The OS layer's running of work: the offload pool's threads, the runner
//! that puts work inline, on a timer or on the pool and hands it back, and
//! work done on a thread (a spin, a sleep).
//!
//! These are integration tests, not unit tests beside the code, because
//! they start and end threads and sleep: in the unit tests' process they
//! would disturb `procfs`'s test, which sums the context switches of the
//! process's live threads (a thread that ends takes its count with it).

mod pool {
    use sockmodes_common::frame::encode_frame;
    use sockmodes_common::{ServerSession, Service, Work, WorkTicket};
    use sockmodes_os::offload::Pool;
    use sockmodes_serving::offload::Tag;
    use sockmodes_serving::offload::{queue_capacity, Job};
    use sockmodes_serving::ServerStats;
    use std::sync::atomic::AtomicUsize;
    use std::sync::atomic::Ordering;
    use std::sync::Arc;
    use std::thread;
    use std::time::Duration;

    /// A real ticket (the core hands them out): one frame's `block:1ms`.
    fn ticket() -> WorkTicket {
        let work: Work = "block:1ms".parse().unwrap();
        let mut session = ServerSession::new(Service::Echo, 1024, 1024).with_work(Some(work));
        let mut frame = Vec::new();
        encode_frame(&mut frame, b"hola").unwrap();
        session.received_from(&frame).unwrap();
        session
            .next_work(&ServerStats::default())
            .expect("the frame's work")
    }

    fn job(key: usize, ticket: WorkTicket) -> Job {
        Job {
            tag: Tag { key, serial: 0 },
            ticket,
        }
    }

    #[test]
    fn every_job_comes_back_and_a_full_queue_gives_the_job_back() {
        let wakes = Arc::new(AtomicUsize::new(0));
        let w = Arc::clone(&wakes);
        let pool = Pool::start(
            1,
            &[],
            Arc::new(move || {
                w.fetch_add(1, Ordering::Relaxed);
            }),
        )
        .unwrap();
        let ticket = ticket();
        let (mut accepted, mut refused) = (Vec::new(), Vec::new());
        // One worker, four slots: more than five at once cannot all fit.
        // (The worker may finish one meanwhile, so the keys accepted need
        // not be the first ones.)
        for key in 0..20 {
            match pool.try_submit(job(key, ticket)) {
                Ok(()) => accepted.push(key),
                Err(j) => refused.push(j.tag.key),
            }
        }
        let queued = accepted.len();
        assert!(!refused.is_empty(), "the queue is bounded");
        assert!(queued <= queue_capacity(1) + 1, "{queued} queued");
        let mut done = Vec::new();
        while done.len() < queued {
            pool.take_done(&mut done);
            thread::sleep(Duration::from_millis(1));
        }
        assert!(wakes.load(Ordering::Relaxed) >= 1);
        let mut keys: Vec<usize> = done.iter().map(|j| j.tag.key).collect();
        keys.sort_unstable();
        assert_eq!(keys, accepted);
    }

    #[test]
    fn too_many_threads_is_a_clear_error() {
        let e = Pool::start(usize::MAX / 2, &[], Arc::new(|| {})).unwrap_err();
        let line = e.to_string();
        assert!(
            line.contains("more threads than this system allows"),
            "{line}"
        );
    }
}

mod runner {
    use sockmodes_common::frame::encode_frame;
    use sockmodes_common::session::{ServerSession, SessionError};
    use sockmodes_common::work::Work;
    use sockmodes_common::Service;
    use sockmodes_os::offload::{finish, hand_back, Pool, Runner, Started, WorkDriver};
    use sockmodes_serving::offload::{Job, Tag};
    use sockmodes_serving::running::Stop;
    use sockmodes_serving::stats::ServerStats;
    use std::time::Instant;

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
        let ticket = d
            .session
            .next_work(&ServerStats::default())
            .expect("the frame's work");
        Job {
            tag: Tag { key: 0, serial },
            ticket,
        }
    }

    #[test]
    fn inline_work_is_done_at_once_and_its_answer_released() {
        let mut d = one("cpu:1us", None);
        let job = job(&mut d, 1);
        let Started::Done(job) = d.runner.start_within(job, Instant::now(), &Stop::default())
        else {
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
        assert!(matches!(
            d.runner.start_within(job, now, &Stop::default()),
            Started::Waiting
        ));
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
        d.runner.start_within(job, now, &Stop::default());
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
            d.runner.start_within(job, Instant::now(), &Stop::default()),
            Started::Queued
        ));
        while d.resumed.is_empty() {
            finish(&mut d, Instant::now());
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert_eq!(&d.session.output()[4..], b"hola");
    }
}

/// What the limit by mappings (`sockmodes_os::limits`) counts is what
/// starting a thread costs: [`MAPPINGS_PER_THREAD`] lines of
/// `/proc/self/maps` at most.
#[cfg(target_os = "linux")]
mod mappings {
    use sockmodes_os::limits::MAPPINGS_PER_THREAD;
    use std::sync::{Arc, Barrier};

    fn count() -> u64 {
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        maps.lines().count() as u64
    }

    /// Starts `n` threads that wait until released; returns the map's
    /// lines once they all run, and the release.
    fn start(n: usize) -> (u64, impl FnOnce()) {
        let started = Arc::new(Barrier::new(n + 1));
        let release = Arc::new(Barrier::new(n + 1));
        let threads: Vec<_> = (0..n)
            .map(|_| {
                let (started, release) = (Arc::clone(&started), Arc::clone(&release));
                std::thread::Builder::new()
                    .stack_size(64 * 1024)
                    .spawn(move || {
                        started.wait();
                        release.wait();
                    })
                    .unwrap()
            })
            .collect();
        // Each runs its closure only after its stacks are set up.
        started.wait();
        let lines = count();
        (lines, move || {
            release.wait();
            for t in threads {
                t.join().unwrap();
            }
        })
    }

    #[test]
    fn each_thread_costs_the_mappings_counted() {
        // The first threads also make the allocator's arenas (a few per
        // core, kept in MAPPINGS_KEPT): count the threads after them.
        let (_, first) = start(50);
        let before = count();
        const THREADS: u64 = 100;
        let (after, second) = start(THREADS as usize);
        second();
        first();
        let added = after.saturating_sub(before);
        // Room for a thread or two of the tests running beside this one.
        let slack = 4 * MAPPINGS_PER_THREAD;
        assert!(
            (THREADS..=MAPPINGS_PER_THREAD * THREADS + slack).contains(&added),
            "{added} mappings for {THREADS} threads"
        );
    }
}

/// The pool is shared round-robin among connections: clients that
/// pipeline frames cannot keep a newcomer's one request waiting.
mod fairness {
    use sockmodes_common::frame::encode_frame;
    use sockmodes_common::session::{ServerSession, SessionError};
    use sockmodes_common::work::Work;
    use sockmodes_common::Service;
    use sockmodes_os::offload::{finish, Pool, Runner, WorkDriver};
    use sockmodes_serving::offload::{Job, Tag};
    use sockmodes_serving::running::Stop;
    use sockmodes_serving::stats::ServerStats;
    use std::time::Instant;

    /// A loop of many connections that, as the non-blocking server does,
    /// starts a connection's next frame's work as soon as it resumes.
    struct Many {
        runner: Runner,
        sessions: Vec<ServerSession>,
        stats: ServerStats,
        /// Keys in the order their work came back.
        order: Vec<usize>,
    }

    impl Many {
        fn start_next(&mut self, key: usize) {
            if let Some(ticket) = self.sessions[key].next_work(&self.stats) {
                let job = Job {
                    tag: Tag { key, serial: 0 },
                    ticket,
                };
                self.runner
                    .start_within(job, Instant::now(), &Stop::default());
            }
        }
    }

    impl WorkDriver for Many {
        fn runner(&mut self) -> &mut Runner {
            &mut self.runner
        }
        fn answering(&mut self, tag: Tag) -> Option<&mut ServerSession> {
            self.order.push(tag.key);
            self.sessions.get_mut(tag.key)
        }
        fn refused(&mut self, key: usize, e: SessionError) {
            panic!("connection {key} refused: {e}");
        }
        fn resume(&mut self, key: usize) {
            self.start_next(key);
        }
    }

    fn session(frames: usize) -> ServerSession {
        let work: Work = "block:1ms".parse().unwrap();
        let mut s = ServerSession::new(Service::Echo, 1024, 1 << 20).with_work(Some(work));
        let mut wire = Vec::new();
        for _ in 0..frames {
            encode_frame(&mut wire, b"hola").unwrap();
        }
        s.received_from(&wire).unwrap();
        s
    }

    #[test]
    fn a_newcomer_waits_behind_at_most_one_job_of_each_pipelining_connection() {
        const PIPELINERS: usize = 12;
        let pool = Pool::start(1, &[], std::sync::Arc::new(|| {})).unwrap();
        let mut sessions: Vec<ServerSession> = (0..PIPELINERS).map(|_| session(100)).collect();
        sessions.push(session(1));
        let mut d = Many {
            runner: Runner::new(Some(pool)),
            sessions,
            stats: ServerStats::default(),
            order: Vec::new(),
        };
        for key in 0..PIPELINERS {
            d.start_next(key);
        }
        let newcomer = PIPELINERS;
        d.start_next(newcomer);
        while !d.order.contains(&newcomer) {
            finish(&mut d, Instant::now());
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
        let before = &d.order[..d.order.iter().position(|&k| k == newcomer).unwrap()];
        for key in 0..PIPELINERS {
            let jobs = before.iter().filter(|&&k| k == key).count();
            assert!(
                jobs <= 1,
                "connection {key} had {jobs} jobs done before the newcomer's: {:?}",
                &before[..before.len().min(40)]
            );
        }
    }
}

mod work {
    use sockmodes_common::Work;
    use sockmodes_os::work::Perform;
    use std::sync::atomic::AtomicBool;
    use std::time::Instant;

    #[test]
    fn a_block_sleeps_and_a_cut_stops_it_before_it_starts() {
        let block: Work = "block:2ms".parse().unwrap();
        let t0 = Instant::now();
        block.perform();
        assert!(t0.elapsed() >= block.amount, "it slept its amount");
        let cut = AtomicBool::new(true);
        assert!(!block.perform_unless(&cut), "cut: not run to its end");
        let cpu: Work = "cpu:1us".parse().unwrap();
        assert!(cpu.perform_unless(&AtomicBool::new(false)));
    }
}
