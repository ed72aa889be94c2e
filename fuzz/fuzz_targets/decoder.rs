//! Fuzzes common's decoder and server session with arbitrary bytes in
//! arbitrary chunking. Properties: no panic; every frame respects the limit;
//! the frames decoded, re-encoded, are exactly a prefix of the input; and the
//! session of each service never grows its buffers past the limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sockmodes_common::frame::{encode_frame, Decoder};
use sockmodes_common::{ServerSession, Service};

const MAX: usize = 4096;

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, input)) = data.split_first() else { return };
    let chunk = usize::from(chunk).max(1);

    // The decoder alone, fed through read_space/filled.
    let mut dec = Decoder::new(MAX);
    let mut reencoded = Vec::new();
    let mut pos = 0;
    'feed: while pos < input.len() {
        let room = dec.read_space();
        let n = room.len().min(chunk).min(input.len() - pos);
        room[..n].copy_from_slice(&input[pos..pos + n]);
        dec.filled(n);
        pos += n;
        loop {
            match dec.next_frame() {
                Ok(Some(f)) => {
                    assert!(f.len() <= MAX);
                    encode_frame(&mut reencoded, f).unwrap();
                }
                Ok(None) => break,
                Err(_) => break 'feed,
            }
        }
    }
    assert!(input.starts_with(&reencoded), "decoded frames are the input's prefix");

    // Each service, fed the way the drivers feed it (scratch or direct).
    for service in Service::ALL {
        let mut s = ServerSession::new(service, MAX, 8192);
        let mut pos = 0;
        while pos < input.len() && s.wants_read() {
            let n = chunk.min(input.len() - pos);
            let result = if s.reads_direct() {
                let room = s.read_space();
                let n = n.min(room.len());
                room[..n].copy_from_slice(&input[pos..pos + n]);
                pos += n;
                s.received(n)
            } else {
                pos += n;
                s.received_from(&input[pos - n..pos])
            };
            if result.is_err() {
                break;
            }
            assert!(s.buffered_capacity() <= 4 * MAX + 64 * 1024);
            let len = s.output().len();
            s.wrote(len);
        }
        let _ = s.received_eof();
        let _ = s.take_message();
    }
});
