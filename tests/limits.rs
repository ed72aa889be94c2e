//! The limits under hostile clients, against every server of the registry:
//! a client that never reads cannot grow a server's memory, a burst of
//! connects is all served, and a connection over `--max-conns` is a clear
//! refusal (a reset), not a hang. The rest of the guarantees matrix is in
//! `reliability.rs`.

mod util;

use std::time::{Duration, Instant};

use sockmodes_common::Service;
use sockmodes_models::{Client, ClientSettings, Model};
use sockmodes_nonblocking::multi::{Event, ManyClient};
use sockmodes_python::PyException;
use util::{client, server};

#[test]
#[cfg(target_os = "linux")] // reads the server's memory from /proc
fn a_slow_reader_cannot_grow_either_server() {
    use sockmodes_common::frame::encode_frame;
    use sockmodes_models::child::ServerProcess;
    use sockmodes_nonblocking::{Client, ClientSettings, TrySend};
    use sockmodes_os::procfs::resident_bytes;
    use std::thread;
    // The server runs as its own process so that its resident memory is its
    // own, not mixed with the other tests running in this one.
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_sockmodes"));
    for model in sockmodes_models::Model::servers().iter().map(|m| m.name()) {
        let srv = ServerProcess::start(bin, &["--mode", model, "--service", "echo"])
            .expect("server starts");
        let rss = || resident_bytes(Some(srv.pid())).expect("server RSS");
        let mut hog = Client::connect(srv.addr, &ClientSettings::default()).unwrap();
        let mut frame = Vec::new();
        encode_frame(&mut frame, &[9u8; 64 * 1024]).unwrap();
        let before = rss();
        let (mut sent, mut offset, mut stalled) = (0usize, 0usize, None::<Instant>);
        while sent < 256 << 20 {
            match hog.try_send(&frame[offset..]).unwrap() {
                TrySend::Sent(n) => {
                    sent += n;
                    offset = (offset + n) % frame.len();
                    stalled = None;
                }
                TrySend::WouldBlock => {
                    if stalled.get_or_insert_with(Instant::now).elapsed()
                        > Duration::from_millis(500)
                    {
                        break;
                    }
                    thread::sleep(Duration::from_millis(2));
                }
            }
        }
        let grown = rss().saturating_sub(before);
        assert!(
            sent < 256 << 20,
            "{model}: the server kept reading a peer that never reads"
        );
        assert!(
            grown < 64 << 20,
            "{model}: memory grew by {} MiB",
            grown >> 20
        );
        let mut other = client(Model::BLOCKING, srv.addr);
        other
            .echo(b"served meanwhile")
            .expect("another client is served");
        drop(hog);
        srv.terminate().unwrap();
    }
}

/// Connects in one burst: five times std's default backlog of 128 over.
#[cfg(not(windows))]
const BURST: usize = 5000;
/// Windows runs here under Wine 8, which stalls somewhere between 1,500
/// (served in 4 s) and 5,000 simultaneous connects; not investigated further.
#[cfg(windows)]
const BURST: usize = 1500;

#[test]
fn a_burst_of_connects_is_all_served() {
    let _ = sockmodes_os::limits::raise_nofile_limit();
    for model in Model::servers() {
        let (srv, _) = server(model, Service::Echo, |_| {});
        let mut multi = ManyClient::new(1024).unwrap();
        for _ in 0..BURST {
            multi.connect(srv.local_addr()).expect("connect starts");
        }
        let (mut echoed, mut failed) = (0, 0);
        let deadline = Instant::now() + Duration::from_secs(60);
        while echoed + failed < BURST && Instant::now() < deadline {
            multi
                .poll(
                    Some(Duration::from_millis(100)),
                    |_, event, out| match event {
                        Event::Connected => out.send_frame(b"burst").unwrap(),
                        Event::Answered { bytes, .. } => {
                            // The session checked it byte for byte.
                            assert_eq!(bytes, b"burst".len());
                            echoed += 1;
                            out.shutdown_write();
                        }
                        Event::Failed(e) => {
                            eprintln!("{model}: {e}");
                            failed += 1;
                        }
                        Event::Closed | Event::Summary(_) => {}
                    },
                )
                .unwrap();
        }
        assert_eq!(
            (echoed, failed),
            (BURST, 0),
            "{model}: every connection served"
        );
        drop(multi);
        srv.shutdown(Duration::from_secs(2));
    }
}

#[test]
#[cfg_attr(
    windows,
    ignore = "hangs under Wine 8: the over-limit reset never reaches the client; not tried on real Windows"
)]
fn over_the_connection_limit_is_a_clear_refusal() {
    for model in Model::servers() {
        let (srv, _) = server(model, Service::Echo, |c| c.max_conns = 3);
        let mut held: Vec<Client> = (0..3)
            .map(|_| client(Model::BLOCKING, srv.local_addr()))
            .collect();
        for c in &mut held {
            c.echo(b"in").unwrap();
        }
        for client_model in Model::CLIENTS {
            let err = Client::connect(client_model, srv.local_addr(), &ClientSettings::default())
                .and_then(|mut c| c.echo(b"one too many"))
                .unwrap_err();
            assert_eq!(
                err.exception(),
                Some(PyException::ConnectionResetError),
                "{err}"
            );
            assert!(err.to_string().contains("connection limit"), "clear: {err}");
        }
        for c in &mut held {
            c.echo(b"undisturbed").unwrap();
        }
        srv.shutdown(Duration::from_secs(1));
    }
}
