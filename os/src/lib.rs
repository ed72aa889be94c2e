//! sockmodes' OS layer: every system call the socket-free crates
//! (`sockmodes-common`, `-python`, `-serving`, `-client`) do not make. The core is sans-io and takes bytes, codes and limits as
//! data; the drivers own the sockets and the waiting; what they ask of the
//! system beyond reading and writing (socket options, limits, the threads
//! and sleeps that run frames' work) is here, once, for all of them.
//!
//! - [`net`]: socket setup through socket2 (a listener with its backlog and
//!   `SO_REUSEADDR`, `TCP_NODELAY`, a port where nothing listens, a reset
//!   on close), name resolution, and what an accept loop does with a failed
//!   `accept`.
//! - [`mode`]: a Python-style [`SocketMode`](sockmodes_python::SocketMode) put on a
//!   socket ([`SetSocketMode`]).
//! - [`handle`]: raw socket handles, and the shutdown that wakes a thread
//!   blocked on one.
//! - [`limits`]: the process's limits on open files (raised) and threads
//!   (read, for the offload pool).
//! - [`work`]: a frame's work done on this thread (a spin, or a sleep in
//!   the kernel), cut at a shutdown's deadline.
//! - [`offload`]: the `--offload` pool's worker threads, and the runner
//!   that puts an event loop's or a ring's work on the pool, on a timer or
//!   inline.
//! - [`running`]: the handle of a server whose threads each serve many
//!   connections ([`Loops`](running::Loops)), and what those threads share
//!   ([`Shared`](running::Shared)): the event loops, the ring.
//! - [`kernel_tcp`]: the machine's TCP memory (Linux): whether the kernel
//!   went under pressure or dropped segments for want of memory during a
//!   load, which stalls connections of any server.
//! - [`process`]: this process's CPU time, the shared monotonic clock, the
//!   cores online, pinning a thread, and the signals between a server and
//!   its parent.
//! - [`cpu_budget`]: this process held to a share of the cores (`server
//!   --cpus`): a cgroup's CFS quota on Linux (v2 `cpu.max` or v1
//!   `cpu.cfs_quota_us`), a hard-capped Job Object on Windows.
//! - [`procfs`]: what a process costs (memory, CPU, context switches,
//!   threads), from Linux's `/proc` or the Windows API.
//!
//! **Why `procfs` is here and not in `study/`**: the demo (step 10, in the
//! `sockmodes` command) and the command's size checks read it as well as
//! the study, and the study depends on the command, so the command cannot
//! depend on the study. It is a reader of the system like the rest of this
//! crate, and the tests that measure memory read it too.
//!
//! The core names the OS's error codes as numbers written by hand
//! (`sockmodes_python::sys::code`); `codes.rs` here checks each against
//! `libc` or `windows-sys` at compile time.
#![deny(missing_docs)]

mod codes;
pub mod cpu_budget;
#[cfg(windows)]
pub mod cpu_budget_windows;
pub mod handle;
pub mod kernel_tcp;
pub mod limits;
pub mod mode;
pub mod net;
pub mod offload;
pub mod process;
pub mod procfs;
pub mod running;
pub mod work;

pub use mode::SetSocketMode;
