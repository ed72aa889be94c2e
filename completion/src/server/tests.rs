//! The server with a pool far smaller than its busy connections: every
//! connection still gets every answer, in order.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use sockmodes_common::frame::encode_frame;
use sockmodes_common::Service;
use sockmodes_serving::{RunningServer, ServerConfig};

use super::handle::start_with_pool;

/// Frame `i` of connection `c`: sizes from 0 B to past one pool buffer
/// (16 KiB), so some frames arrive in several receives.
fn frame(c: usize, i: usize) -> Vec<u8> {
    let len = (c * 7919 + i * 104_729) % (40 * 1024);
    (0..len).map(|k| (c + i + k) as u8).collect()
}

#[test]
fn more_busy_connections_than_pool_buffers_each_get_every_answer() {
    const CONNECTIONS: usize = 64;
    const FRAMES: usize = 6;
    let config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), Service::Echo);
    let server = Box::new(start_with_pool(config, Arc::new(|_, _| {}), 4).expect("start"));
    let addr = server.local_addr();
    let mut conns: Vec<TcpStream> = (0..CONNECTIONS)
        .map(|_| {
            let s = TcpStream::connect(addr).expect("connect");
            s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            s
        })
        .collect();
    // Every connection's frames are written before any answer is read, so
    // bytes wait on all 64 at once, for 4 buffers. A thread per connection
    // writes, as a whole batch may not fit in the socket buffers before the
    // server answers.
    let writers: Vec<_> = conns
        .iter()
        .enumerate()
        .map(|(c, s)| {
            let mut s = s.try_clone().unwrap();
            std::thread::spawn(move || {
                let mut out = Vec::new();
                for i in 0..FRAMES {
                    encode_frame(&mut out, &frame(c, i)).unwrap();
                }
                s.write_all(&out).expect("write");
            })
        })
        .collect();
    for (c, s) in conns.iter_mut().enumerate() {
        for i in 0..FRAMES {
            let mut header = [0; 4];
            s.read_exact(&mut header).expect("an answer's header");
            let mut got = vec![0; u32::from_be_bytes(header) as usize];
            s.read_exact(&mut got).expect("an answer's payload");
            assert!(got == frame(c, i), "connection {c}: answer {i} differs");
        }
    }
    for w in writers {
        w.join().unwrap();
    }
    assert!(
        server.counters().pool_waits() > 0,
        "the pool never ran dry: the test did not test the queue"
    );
    assert_eq!(server.shutdown(Duration::from_secs(2)), 0);
}
