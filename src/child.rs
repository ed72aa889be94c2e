//! A `sockmodes server` run as a child process, for measurements that need
//! the server in its own process (its resident memory is then its own) and
//! for tests of the command itself.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;

/// A running `sockmodes server` child and the address it announced.
pub struct ServerProcess {
    /// The child (stdout is piped and left for the caller).
    pub child: Child,
    /// The address from its "listening on" line.
    pub addr: SocketAddr,
}

impl ServerProcess {
    /// Starts `bin server --addr 127.0.0.1:0 ARGS...` and waits for the line
    /// naming the bound address; stderr is drained afterwards so the child
    /// never blocks on a full pipe.
    ///
    /// # Errors
    /// The child could not start, or exited before listening (its stderr
    /// lines so far are in the message).
    pub fn start(bin: &Path, args: &[&str]) -> std::io::Result<ServerProcess> {
        let mut command = Command::new(bin);
        command.args(["server", "--addr", "127.0.0.1:0"]).args(args);
        ServerProcess::spawn(command)
    }

    /// Starts any server `command` that announces `listening on ADDR` on
    /// stderr, as `sockmodes server` does (the bench's tokio reference does
    /// too), and waits for that line.
    ///
    /// # Errors
    /// As [`start`](Self::start).
    pub fn spawn(mut command: Command) -> std::io::Result<ServerProcess> {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let mut stderr = BufReader::new(child.stderr.take().expect("stderr is piped"));
        let mut seen = String::new();
        let addr = loop {
            let mut line = String::new();
            if stderr.read_line(&mut line)? == 0 {
                let _ = child.wait();
                return Err(std::io::Error::other(format!(
                    "server exited before listening: {seen}"
                )));
            }
            if let Some(addr) = line
                .split("listening on ")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|a| a.parse().ok())
            {
                break addr;
            }
            seen.push_str(&line);
        };
        thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        Ok(ServerProcess { child, addr })
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the server and waits for the exit: on Unix with SIGTERM, a
    /// graceful shutdown (exit status 0); on Windows, which has no SIGTERM
    /// and cannot send Ctrl-C to one child's console alone, by
    /// TerminateProcess (not graceful; a failure status).
    ///
    /// # Errors
    /// Waiting for the child failed.
    pub fn terminate(mut self) -> std::io::Result<ExitStatus> {
        #[cfg(unix)]
        // SAFETY: kill only sends a signal to our own child.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        #[cfg(windows)]
        self.child.kill()?;
        self.child.wait()
    }

    /// True where [`terminate`](Self::terminate) is a graceful shutdown.
    pub const TERMINATE_IS_GRACEFUL: bool = cfg!(unix);
}
