//! The blocking server and client end to end on 127.0.0.1:0.

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use sockmodes_blocking::{start, Client, ClientDriver, ClientSettings};
use sockmodes_common::Service;
use sockmodes_python::PyException;
use sockmodes_serving::{MessageHandler, RunningServer, ServerConfig};

fn config(service: Service) -> ServerConfig {
    ServerConfig::new("127.0.0.1:0".parse().unwrap(), service)
}

/// Messages the server delivered, shared with the test.
type Inbox = Arc<Mutex<Vec<Vec<u8>>>>;

#[track_caller]
fn serve(config: ServerConfig) -> (Box<dyn RunningServer>, Inbox) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&got);
    let handler: MessageHandler = Arc::new(move |_, m| sink.lock().unwrap().push(m));
    (
        Box::new(start(config, handler).expect("server starts")),
        got,
    )
}

#[track_caller]
fn connect(addr: SocketAddr) -> Client {
    Client::connect(addr, &ClientSettings::default()).expect("connects")
}

#[track_caller]
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn message_is_delivered() {
    let (server, got) = serve(config(Service::Message));
    let receipt = connect(server.local_addr())
        .send_message(b"Hola, servidor!")
        .unwrap();
    assert!(receipt.confirmed, "our server closes after the message");
    wait_until("the message", || !got.lock().unwrap().is_empty());
    assert_eq!(got.lock().unwrap()[0], b"Hola, servidor!");
    server.shutdown(Duration::from_secs(1));
}

#[test]
fn echo_sizes_come_back_intact() {
    let mut cfg = config(Service::Echo);
    cfg.max_frame = 2 << 20;
    let (server, _) = serve(cfg);
    let mut client = connect(server.local_addr());
    for size in [0, 1, 15, 64 * 1024, 1 << 20] {
        let payload: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        client
            .echo(&payload)
            .unwrap_or_else(|e| panic!("echo of {size} bytes: {e}"));
    }
    client.shutdown_write().unwrap();
    assert_eq!(
        client.recv_frame().unwrap(),
        None,
        "clean close after end of stream"
    );
    server.shutdown(Duration::from_secs(1));
}

#[test]
fn sink_summary_matches_crc() {
    let (server, _) = serve(config(Service::Sink));
    let frames: Vec<Vec<u8>> = (0..50).map(|i| vec![i as u8; i * 100]).collect();
    let summary = connect(server.local_addr())
        .sink_upload(frames.iter().map(Vec::as_slice))
        .unwrap();
    assert_eq!(summary.frames, 50);
    assert_eq!(summary.bytes, (0..50).map(|i| i as u64 * 100).sum::<u64>());
    assert_eq!(summary.crc32, reference_crc32(&frames));
    server.shutdown(Duration::from_secs(1));
}

/// An independent CRC-32 (bitwise, no table) so the test does not trust the
/// code under test.
fn reference_crc32(frames: &[Vec<u8>]) -> u32 {
    let mut crc = !0u32;
    for b in frames.iter().flatten() {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn refused_connect_is_connection_refused_error() {
    let (_reserved, addr) = sockmodes_os::net::unlistened_port().unwrap();
    let err = Client::connect(addr, &ClientSettings::default()).unwrap_err();
    assert_eq!(err.exception(), Some(PyException::ConnectionRefusedError));
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
}

#[test]
fn retries_find_a_server_that_starts_late() {
    let (reserved, addr) = sockmodes_os::net::unlistened_port().unwrap();
    let starter = thread::spawn(move || {
        thread::sleep(Duration::from_millis(300));
        drop(reserved); // the port stays ours until the server takes it
        let mut cfg = config(Service::Message);
        cfg.addr = addr;
        serve(cfg)
    });
    let options = ClientSettings {
        retries: 10,
        ..ClientSettings::default()
    };
    let mut client = Client::connect(addr, &options).expect("a retry succeeds");
    client.send_message(b"late").unwrap();
    let (server, got) = starter.join().unwrap();
    wait_until("the message", || !got.lock().unwrap().is_empty());
    server.shutdown(Duration::from_secs(1));
}

#[test]
fn silent_server_gives_timeout_error_after_about_the_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap(); // accepts (backlog), never answers
    let options = ClientSettings {
        timeout: Some(Duration::from_millis(300)),
        ..ClientSettings::default()
    };
    let mut client = Client::connect(listener.local_addr().unwrap(), &options).unwrap();
    let started = Instant::now();
    let err = client.echo(b"hello?").unwrap_err();
    let waited = started.elapsed();
    assert_eq!(err.exception(), Some(PyException::TimeoutError), "{err}");
    // Not a timing threshold on performance: the call must have waited for
    // the timeout rather than failing at once.
    assert!(
        waited >= Duration::from_millis(250),
        "failed after only {waited:?}"
    );
}

#[test]
fn idle_timeout_frees_the_slot() {
    let mut cfg = config(Service::Echo);
    cfg.idle_timeout = Duration::from_millis(200);
    let (server, _) = serve(cfg);
    let mut silent = TcpStream::connect(server.local_addr()).unwrap();
    wait_until("the connection to count", || server.stats().active == 1);
    wait_until("the idle timeout", || server.stats().active == 0);
    assert_eq!(server.stats().timed_out, 1);
    silent
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    assert_eq!(silent.read(&mut [0; 8]).unwrap(), 0, "the server closed it");
    server.shutdown(Duration::from_secs(1));
}

/// How the client sees the server's over-limit close (SO_LINGER 0, a
/// reset). Under Wine 8 that RST reaches the client only some of the time,
/// and a plain end of stream the rest (the event loop's and the command's
/// over-limit tests hang on it and are ignored there). Real Windows is not tried here, so on Windows either is taken;
/// everywhere else only the reset is.
#[cfg(windows)]
const OVER_LIMIT_ENDINGS: &[Option<PyException>] = &[
    Some(PyException::ConnectionResetError),
    Some(PyException::UnexpectedEof),
];
#[cfg(not(windows))]
const OVER_LIMIT_ENDINGS: &[Option<PyException>] = &[Some(PyException::ConnectionResetError)];

#[test]
fn connections_over_the_limit_are_refused_and_others_unaffected() {
    let mut cfg = config(Service::Echo);
    cfg.max_conns = 2;
    let (server, _) = serve(cfg);
    let mut a = connect(server.local_addr());
    let mut b = connect(server.local_addr());
    a.echo(b"a").unwrap();
    b.echo(b"b").unwrap();
    let mut extra = connect(server.local_addr());
    let err = extra.echo(b"c").unwrap_err();
    assert!(
        OVER_LIMIT_ENDINGS.contains(&err.exception()),
        "{err}: expected one of {OVER_LIMIT_ENDINGS:?}"
    );
    assert_eq!(server.stats().rejected, 1);
    a.echo(b"still served").unwrap();
    b.echo(b"still served").unwrap();
    server.shutdown(Duration::from_secs(1));
}

#[test]
fn shutdown_with_open_connections_finishes_within_its_deadline() {
    let (server, _) = serve(config(Service::Echo));
    let mut idle: Vec<Client> = (0..5).map(|_| connect(server.local_addr())).collect();
    for c in &mut idle {
        c.echo(b"x").unwrap();
    }
    let started = Instant::now();
    let cut = server.shutdown(Duration::from_millis(300));
    assert_eq!(cut, 5, "idle clients are cut at the deadline");
    // Bounded by the deadline plus joining, not by the 30 s idle timeout.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    for c in &mut idle {
        assert!(
            c.recv_frame().unwrap_or(None).is_none(),
            "connection closed"
        );
    }
}

#[test]
fn once_serves_one_connection_then_stops() {
    let mut cfg = config(Service::Message);
    cfg.once = true;
    let (server, got) = serve(cfg);
    let addr = server.local_addr();
    connect(addr).send_message(b"uno").unwrap();
    server.wait();
    assert_eq!(got.lock().unwrap().len(), 1);
    assert!(
        TcpStream::connect(addr).is_err(),
        "listener closed after the one connection"
    );
}
