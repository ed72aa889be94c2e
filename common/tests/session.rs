//! The three services as a state machine, fed raw bytes the way a driver would.

use sockmodes_common::frame::{encode_frame, Decoder};
use sockmodes_common::{FrameError, ServerSession, Service, SessionError, SinkSummary, SinkTally};

/// Feeds `input` to the session in `chunk`-sized reads, honouring
/// `wants_read`, and drains output as a socket that takes `drain` bytes per write.
fn run(
    session: &mut ServerSession,
    input: &[u8],
    chunk: usize,
    drain: usize,
) -> Result<Vec<u8>, SessionError> {
    let mut sent = Vec::new();
    let mut pos = 0;
    loop {
        if session.wants_read() {
            if pos == input.len() {
                session.received_eof()?;
            } else if session.reads_direct() {
                let room = session.read_space();
                let n = room.len().min(chunk).min(input.len() - pos);
                room[..n].copy_from_slice(&input[pos..pos + n]);
                pos += n;
                session.received(n)?;
            } else {
                // As a driver with a scratch buffer does between frames.
                let n = chunk.min(input.len() - pos);
                session.received_from(&input[pos..pos + n])?;
                pos += n;
            }
        }
        let n = session.output().len().min(drain);
        sent.extend_from_slice(&session.output()[..n]);
        session.wrote(n);
        if session.is_finished() {
            return Ok(sent);
        }
    }
}

fn frames(sizes: &[usize]) -> (Vec<Vec<u8>>, Vec<u8>) {
    let payloads: Vec<Vec<u8>> = sizes
        .iter()
        .map(|&n| (0..n).map(|i| (i * 7 + n) as u8).collect())
        .collect();
    let mut wire = Vec::new();
    for p in &payloads {
        encode_frame(&mut wire, p).unwrap();
    }
    (payloads, wire)
}

#[test]
fn echo_returns_every_frame_in_order_under_any_chunking() {
    let (_, wire) = frames(&[0, 1, 15, 4096, 65536]);
    for (chunk, drain) in [(1, 1), (7, 3), (100_000, 100_000), (4096, 1)] {
        let mut s = ServerSession::new(Service::Echo, 1 << 20, 1 << 20);
        assert_eq!(
            run(&mut s, &wire, chunk, drain).unwrap(),
            wire,
            "chunk {chunk} drain {drain}"
        );
    }
}

#[test]
fn sink_answers_with_the_summary_frame() {
    let (payloads, wire) = frames(&[3, 0, 1000]);
    let mut s = ServerSession::new(Service::Sink, 1 << 20, 1 << 20);
    let reply = run(&mut s, &wire, 5, 5).unwrap();
    let mut dec = Decoder::new(1024);
    dec.push(&reply);
    let summary = SinkSummary::decode(dec.next_frame().unwrap().unwrap()).unwrap();
    let mut tally = SinkTally::new();
    payloads.iter().for_each(|p| tally.add(p));
    assert_eq!(summary, tally.summary());
    assert_eq!((summary.frames, summary.bytes), (3, 1003));
}

#[test]
fn message_is_delivered_once_at_end_of_stream() {
    let mut s = ServerSession::new(Service::Message, 1 << 20, 1 << 20);
    assert_eq!(run(&mut s, b"Hola, servidor!", 4, 1).unwrap(), b"");
    assert_eq!(s.take_message().as_deref(), Some(&b"Hola, servidor!"[..]));
    assert_eq!(s.take_message(), None);
}

/// A message of nearly `--max-message` is held once, in a buffer no
/// larger than the stated bound: it grows by doubling, but not past the
/// limit, and reaches the handler moved, not copied.
#[test]
fn a_large_message_stays_within_the_stated_bound() {
    let max = 3 << 20;
    let config = sockmodes_common::session::SessionConfig {
        service: Service::Message,
        max_frame: sockmodes_common::DEFAULT_MAX_FRAME,
        max_message: max,
        output_cap: 1 << 20,
        work: None,
    };
    let bound = ServerSession::memory_bound(config);
    let mut s = ServerSession::for_config(config);
    let message: Vec<u8> = (0..max - 1000).map(|i| i as u8).collect();
    let mut most = 0;
    let mut pos = 0;
    while pos < message.len() {
        if s.reads_direct() {
            let room = s.read_space();
            let n = room.len().min(message.len() - pos);
            room[..n].copy_from_slice(&message[pos..pos + n]);
            s.received(n).unwrap();
            pos += n;
        } else {
            s.received_from(&message[pos..pos + 100]).unwrap();
            pos += 100;
        }
        most = most.max(s.buffered_capacity());
    }
    assert!(most <= bound, "held {most} bytes, bound {bound}");
    s.received_eof().unwrap();
    assert_eq!(s.buffered_capacity(), 0, "handed over, not copied");
    assert_eq!(s.take_message().as_deref(), Some(&message[..]));
}

#[test]
fn oversized_message_is_an_error() {
    let mut s = ServerSession::new(Service::Message, 10, 1 << 20);
    assert_eq!(
        run(&mut s, &[b'a'; 11], 3, 1),
        Err(SessionError::MessageTooLarge { max: 10 })
    );
    let mut s = ServerSession::new(Service::Message, 10, 1 << 20);
    assert!(
        run(&mut s, &[b'a'; 10], 3, 1).is_ok(),
        "exactly the limit is fine"
    );
}

#[test]
fn torn_frame_and_oversized_header_are_errors() {
    let (_, wire) = frames(&[100]);
    let mut s = ServerSession::new(Service::Echo, 1 << 20, 1 << 20);
    assert!(matches!(
        run(&mut s, &wire[..50], 10, 10),
        Err(SessionError::Frame(FrameError::Torn { .. }))
    ));
    let mut s = ServerSession::new(Service::Sink, 50, 1 << 20);
    assert!(matches!(
        run(&mut s, &wire, 10, 10),
        Err(SessionError::Frame(FrameError::TooLarge {
            len: 100,
            max: 50
        }))
    ));
}

#[test]
fn a_peer_that_does_not_read_stops_being_read() {
    let (_, wire) = frames(&[1000; 50]);
    let mut s = ServerSession::new(Service::Echo, 1 << 20, 4096);
    let mut pos = 0;
    while s.wants_read() && pos < wire.len() {
        let room = s.read_space();
        let n = room.len().min(wire.len() - pos).min(512);
        room[..n].copy_from_slice(&wire[pos..pos + n]);
        pos += n;
        s.received(n).unwrap();
    }
    assert!(!s.wants_read(), "output over the cap pauses reading");
    assert!(
        s.output().len() < 4096 + 1100,
        "pending output bounded: {}",
        s.output().len()
    );
    s.wrote(s.output().len());
    assert!(s.wants_read(), "draining resumes reading");
}

#[test]
fn a_connection_between_frames_owns_no_read_buffer() {
    let (_, wire) = frames(&[64, 70_000, 64]);
    let mut s = ServerSession::new(Service::Echo, 1 << 20, 1 << 20);
    let echoed = run_until_input_consumed(&mut s, &wire);
    assert_eq!(echoed, wire);
    assert!(!s.reads_direct());
    // No read buffer between frames; the output keeps at most its 4 KiB
    // for the next small reply.
    assert!(
        s.buffered_capacity() <= 4096,
        "buffers freed between frames: {}",
        s.buffered_capacity()
    );
}

/// Feeds all of `input` without end of stream, draining output, and returns it.
fn run_until_input_consumed(session: &mut ServerSession, input: &[u8]) -> Vec<u8> {
    let mut sent = Vec::new();
    let mut pos = 0;
    while pos < input.len() {
        let n = 4096.min(input.len() - pos);
        if session.reads_direct() {
            let room = session.read_space();
            let n = n.min(room.len());
            room[..n].copy_from_slice(&input[pos..pos + n]);
            session.received(n).unwrap();
            pos += n;
        } else {
            session.received_from(&input[pos..pos + n]).unwrap();
            pos += n;
        }
        sent.extend_from_slice(session.output());
        let len = session.output().len();
        session.wrote(len);
    }
    sent
}
