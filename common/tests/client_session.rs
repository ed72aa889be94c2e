//! The client session on byte slices, and against the server session
//! through two bounded pipes (what a pair of sockets is): any frame size
//! goes through with a fixed buffer on each side, and every rule a server
//! can break is caught.

use proptest::prelude::*;
use sockmodes_common::client_session::OUTPUT_CHUNK;
use sockmodes_common::frame::{encode_frame, FrameError};
use sockmodes_common::summary::{SinkSummary, SinkTally, SummaryLenError};
use sockmodes_common::{
    ClientEvent, ClientSession, ClientSessionError, Payload, ServerSession, Service,
};

/// One direction of a socket pair: holds at most `cap` bytes.
struct Pipe {
    bytes: std::collections::VecDeque<u8>,
    cap: usize,
}

impl Pipe {
    fn new(cap: usize) -> Pipe {
        Pipe {
            bytes: Default::default(),
            cap,
        }
    }

    /// Takes what fits of `from`, at most `chunk`; returns how much.
    fn push(&mut self, from: &[u8], chunk: usize) -> usize {
        let n = from.len().min(chunk).min(self.cap - self.bytes.len());
        self.bytes.extend(&from[..n]);
        n
    }

    /// Moves at most `chunk` bytes into `to`; returns how many.
    fn pull(&mut self, to: &mut [u8], chunk: usize) -> usize {
        let n = to.len().min(chunk).min(self.bytes.len());
        for (slot, b) in to.iter_mut().zip(self.bytes.drain(..n)) {
            *slot = b;
        }
        n
    }
}

/// Runs `client` against a server session of its service through pipes of
/// `cap` bytes each way, `chunk` bytes per call, until the client is
/// finished. Returns its events and the most buffer memory it held.
fn converse(
    client: &mut ClientSession,
    cap: usize,
    chunk: usize,
) -> Result<(Vec<ClientEvent>, usize), ClientSessionError> {
    let mut server = ServerSession::new(client.service(), u32::MAX as usize, 256 * 1024);
    let (mut up, mut down) = (Pipe::new(cap), Pipe::new(cap));
    let (mut events, mut peak) = (Vec::new(), 0);
    let (mut client_shut, mut server_shut) = (false, false);
    for _ in 0..10_000_000 {
        // The client: writes what the pipe takes, shuts down when told.
        let n = up.push(client.output(), chunk);
        client.wrote(n);
        if client.wants_shutdown() {
            client.shut_down();
            client_shut = true;
        }
        // The server: reads while it may, writes what the pipe takes.
        if server.wants_read() {
            if !up.bytes.is_empty() {
                let n = up.pull(server.read_space(), chunk);
                server.received(n).expect("the server session accepts");
            } else if client_shut {
                server.received_eof().expect("a clean end");
            }
        }
        let n = down.push(server.output(), chunk);
        server.wrote(n);
        if server.is_finished() {
            server_shut = true;
        }
        // The client reads what arrived.
        if !down.bytes.is_empty() {
            let n = down.pull(client.read_space(), chunk);
            client.received(n)?;
        } else if server_shut {
            client.received_eof()?;
        }
        peak = peak.max(client.buffered_capacity());
        while let Some(e) = client.next_event() {
            events.push(e);
        }
        if client.is_finished() {
            return Ok((events, peak));
        }
    }
    panic!("no progress: the conversation deadlocked");
}

#[test]
fn a_16_mib_echo_streams_through_a_fixed_buffer() {
    let mut c = ClientSession::new(Service::Echo, 16 << 20);
    let seq = c.send(&Payload::pattern(16 << 20)).unwrap();
    c.finish_sending();
    // Pipes of 256 KiB: far less than the frame, as a socket pair's buffers.
    let (events, peak) = converse(&mut c, 256 * 1024, 100_000).unwrap();
    assert_eq!(
        events,
        vec![
            ClientEvent::Answered {
                seq,
                bytes: 16 << 20
            },
            ClientEvent::Closed
        ]
    );
    assert!(
        peak <= ClientSession::memory_bound(),
        "held {peak} bytes, bound {}",
        ClientSession::memory_bound()
    );
    assert!(peak < 1 << 20, "held {peak} bytes for a 16 MiB frame");
}

#[test]
fn output_is_staged_a_chunk_at_a_time_header_first() {
    let mut c = ClientSession::new(Service::Echo, 1 << 20);
    c.send(&Payload::pattern(200_000)).unwrap();
    assert_eq!(&c.output()[..4], &200_000u32.to_be_bytes());
    assert!(c.output().len() <= OUTPUT_CHUNK + 4);
    let mut wire = Vec::new();
    while c.wants_write() {
        let n = c.output().len().min(5000);
        wire.extend_from_slice(&c.output()[..n]);
        c.wrote(n);
    }
    let mut want = Vec::new();
    encode_frame(&mut want, &Payload::pattern(200_000).to_vec()).unwrap();
    assert_eq!(wire, want);
    assert_eq!(c.unsent(), 0);
}

/// The wire of one frame of `payload`.
fn frame(payload: &[u8]) -> Vec<u8> {
    let mut w = Vec::new();
    encode_frame(&mut w, payload).unwrap();
    w
}

#[test]
fn an_echo_with_one_wrong_byte_names_it() {
    let mut c = ClientSession::new(Service::Echo, 1 << 20);
    let p = Payload::pattern(100_000);
    c.send(&p).unwrap();
    let mut answer = frame(&p.to_vec());
    answer[4 + 70_000] ^= 0xff;
    // The bytes before it pass, in any chunking; the wrong one is named.
    assert!(c.received_from(&answer[..50_000]).is_ok());
    let e = c.received_from(&answer[50_000..]).unwrap_err();
    assert_eq!(
        e,
        ClientSessionError::EchoMismatch {
            seq: 0,
            sent_len: 100_000,
            got_len: 100_000,
            first_diff: Some(70_000)
        }
    );
}

#[test]
fn wrong_lengths_unasked_answers_torn_frames_and_early_closes_are_errors() {
    let mut c = ClientSession::new(Service::Echo, 1 << 20);
    c.send(&Payload::bytes(b"abc")).unwrap();
    assert!(matches!(
        c.received_from(&frame(b"ab")),
        Err(ClientSessionError::EchoMismatch { got_len: 2, .. })
    ));

    let mut c = ClientSession::new(Service::Echo, 1 << 20);
    assert_eq!(
        c.received_from(&frame(b"hi")),
        Err(ClientSessionError::Unasked { len: 2 })
    );

    let mut c = ClientSession::new(Service::Echo, 1 << 20);
    c.send(&Payload::bytes(b"abc")).unwrap();
    c.received_from(&frame(b"abc")[..5]).unwrap();
    assert!(matches!(
        c.received_eof(),
        Err(ClientSessionError::Frame(FrameError::Torn { .. }))
    ));

    let mut c = ClientSession::new(Service::Echo, 1 << 20);
    c.send(&Payload::bytes(b"abc")).unwrap();
    assert_eq!(c.received_eof(), Err(ClientSessionError::Closed));

    let mut c = ClientSession::new(Service::Echo, 16);
    c.send(&Payload::bytes(b"abc")).unwrap();
    assert!(matches!(
        c.received_from(&[0, 0, 1, 0]),
        Err(ClientSessionError::Frame(FrameError::TooLarge { .. }))
    ));
}

#[test]
fn answers_pair_with_requests_in_order_and_report_their_sequence() {
    let mut c = ClientSession::new(Service::Echo, 1 << 20);
    let a = c.send(&Payload::bytes(b"one")).unwrap();
    let b = c.send(&Payload::bytes(b"three")).unwrap();
    assert_eq!((a, b, c.in_flight()), (0, 1, 2));
    let mut wire = frame(b"one");
    wire.extend(frame(b"three"));
    for byte in wire.chunks(1) {
        c.received_from(byte).unwrap();
    }
    assert_eq!(
        c.next_event(),
        Some(ClientEvent::Answered { seq: 0, bytes: 3 })
    );
    assert_eq!(
        c.next_event(),
        Some(ClientEvent::Answered { seq: 1, bytes: 5 })
    );
    assert_eq!((c.next_event(), c.in_flight()), (None, 0));
}

#[test]
fn a_sink_summary_is_checked_against_what_was_staged() {
    let mut c = ClientSession::new(Service::Sink, 1 << 20);
    let payloads = [Payload::pattern(100_000), Payload::bytes(b"tail")];
    let mut tally = SinkTally::new();
    for p in &payloads {
        c.send(p).unwrap();
        tally.add(&p.to_vec());
    }
    c.finish_sending();
    let (events, _) = converse(&mut c, 64 * 1024, 7000).unwrap();
    assert_eq!(
        events,
        vec![ClientEvent::Summary(tally.summary()), ClientEvent::Closed]
    );

    let mut c = ClientSession::new(Service::Sink, 1 << 20);
    c.send(&Payload::bytes(b"x")).unwrap();
    c.finish_sending();
    let other = SinkSummary::default();
    assert!(matches!(
        c.received_from(&frame(&other.encode())),
        Err(ClientSessionError::SinkMismatch { .. })
    ));
    let mut c = ClientSession::new(Service::Sink, 1 << 20);
    assert_eq!(
        c.received_from(&frame(b"short")),
        Err(ClientSessionError::BadSummary(SummaryLenError(5)))
    );
}

#[test]
fn a_message_is_raw_bytes_confirmed_by_the_close() {
    let mut c = ClientSession::new(Service::Message, 1024);
    c.send(&Payload::bytes(b"Hola, servidor!")).unwrap();
    c.finish_sending();
    assert_eq!(c.output(), b"Hola, servidor!");
    assert!(!c.wants_shutdown());
    c.wrote(15);
    assert!(c.wants_shutdown());
    c.shut_down();
    assert!(c.wants_read());
    c.received_from(b"ignored").unwrap();
    c.received_eof().unwrap();
    assert_eq!(c.next_event(), Some(ClientEvent::Confirmed));
    assert!(c.is_finished());
}

#[test]
fn a_payload_over_32_bits_is_refused_at_send() {
    let mut c = ClientSession::new(Service::Echo, 1 << 20);
    let len = u32::MAX as usize + 1;
    assert_eq!(
        c.send(&Payload::pattern(len)),
        Err(ClientSessionError::TooLarge { len })
    );
    assert!(!c.wants_write());
}

proptest! {
    #[test]
    fn any_echo_sizes_and_chunking_come_back_in_order(
        sizes in prop::collection::vec(0usize..300_000, 1..6),
        cap in 1usize..200_000,
        chunk in 1usize..100_000,
    ) {
        let mut c = ClientSession::new(Service::Echo, 1 << 20);
        for &size in &sizes {
            c.send(&Payload::pattern(size)).unwrap();
        }
        c.finish_sending();
        let (events, peak) = converse(&mut c, cap, chunk).unwrap();
        let mut want: Vec<ClientEvent> = sizes
            .iter()
            .enumerate()
            .map(|(i, &bytes)| ClientEvent::Answered { seq: i as u64, bytes })
            .collect();
        want.push(ClientEvent::Closed);
        prop_assert_eq!(events, want);
        prop_assert!(peak <= ClientSession::memory_bound());
    }

    #[test]
    fn any_sink_upload_is_confirmed(
        frames in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..3000), 0..8),
        chunk in 1usize..5000,
    ) {
        let mut c = ClientSession::new(Service::Sink, 1 << 20);
        let mut tally = SinkTally::new();
        for f in &frames {
            c.send(&Payload::bytes(f)).unwrap();
            tally.add(f);
        }
        c.finish_sending();
        let (events, _) = converse(&mut c, 10_000, chunk).unwrap();
        prop_assert_eq!(
        events,
        vec![ClientEvent::Summary(tally.summary()), ClientEvent::Closed]
    );
    }
}
