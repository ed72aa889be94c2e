//! The frame decoder on raw bytes: chunking, limits, and the two ends of stream.

use proptest::prelude::*;
use sockmodes_common::frame::{encode_frame, header, Decoder, FrameError, HEADER_LEN};

fn encode_all(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut wire = Vec::new();
    for f in frames {
        encode_frame(&mut wire, f).unwrap();
    }
    wire
}

/// Feeds `wire` in the given chunks through `read_space`/`filled`, as a driver
/// does, and collects every frame.
fn decode_chunks(wire: &[u8], cuts: &[usize], max: usize) -> Result<Vec<Vec<u8>>, FrameError> {
    let mut dec = Decoder::new(max);
    let mut out = Vec::new();
    let mut pos = 0;
    let mut bounds: Vec<usize> = cuts.iter().copied().filter(|&c| c <= wire.len()).collect();
    bounds.push(wire.len());
    bounds.sort_unstable();
    for end in bounds {
        while pos < end {
            let room = dec.read_space();
            let n = room.len().min(end - pos);
            room[..n].copy_from_slice(&wire[pos..pos + n]);
            dec.filled(n);
            pos += n;
        }
        while let Some(f) = dec.next_frame()? {
            out.push(f.to_vec());
        }
    }
    dec.finish()?;
    Ok(out)
}

#[test]
fn every_single_split_point_gives_the_same_frames() {
    let frames = vec![
        b"Hola, servidor!".to_vec(),
        vec![],
        vec![0xAB; 300],
        b"x".to_vec(),
    ];
    let wire = encode_all(&frames);
    for cut in 0..=wire.len() {
        assert_eq!(
            decode_chunks(&wire, &[cut], 1 << 20).unwrap(),
            frames,
            "cut at {cut}"
        );
    }
}

#[test]
fn one_byte_at_a_time() {
    let frames = vec![vec![1, 2, 3], vec![], vec![9; 70_000]];
    let wire = encode_all(&frames);
    let cuts: Vec<usize> = (0..wire.len()).collect();
    assert_eq!(decode_chunks(&wire, &cuts, 1 << 20).unwrap(), frames);
}

proptest! {
    #[test]
    fn any_chunking_decodes_to_the_same_frames(
        frames in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..2000), 0..12),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..20),
    ) {
        let wire = encode_all(&frames);
        let cuts: Vec<usize> = cuts.iter().map(|i| i.index(wire.len() + 1)).collect();
        prop_assert_eq!(decode_chunks(&wire, &cuts, 1 << 20).unwrap(), frames);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let mut dec = Decoder::new(64);
        dec.push(&bytes);
        while let Ok(Some(f)) = dec.next_frame() {
            prop_assert!(f.len() <= 64);
        }
    }
}

#[test]
fn oversized_header_is_rejected_before_allocating() {
    let mut dec = Decoder::new(1024);
    // Announce 4 GiB - 1 and send only the header.
    dec.push(&u32::MAX.to_be_bytes());
    assert_eq!(
        dec.next_frame(),
        Err(FrameError::TooLarge {
            len: u64::from(u32::MAX),
            max: 1024
        })
    );
    // A driver asking for room to read gets a small chunk, not 4 GiB.
    assert!(dec.read_space().len() < 64 * 1024);
    assert!(dec.capacity() < 64 * 1024, "capacity {}", dec.capacity());
}

#[test]
fn exact_limit_is_accepted_and_one_more_is_not() {
    let mut dec = Decoder::new(10);
    let mut wire = Vec::new();
    encode_frame(&mut wire, &[5; 10]).unwrap();
    dec.push(&wire);
    assert_eq!(dec.next_frame().unwrap(), Some(&[5u8; 10][..]));
    dec.push(&header(11).unwrap());
    assert!(matches!(
        dec.next_frame(),
        Err(FrameError::TooLarge { len: 11, max: 10 })
    ));
}

#[test]
fn clean_end_versus_torn_frame() {
    let mut dec = Decoder::new(100);
    assert_eq!(dec.finish(), Ok(()), "nothing received is a clean end");
    dec.push(&header(5).unwrap());
    dec.push(b"abcde");
    assert_eq!(dec.next_frame().unwrap(), Some(&b"abcde"[..]));
    assert_eq!(dec.finish(), Ok(()), "end between frames is clean");

    dec.push(&header(5).unwrap());
    dec.push(b"ab");
    assert_eq!(
        dec.next_frame(),
        Ok(None),
        "need more bytes is not an error"
    );
    assert_eq!(
        dec.finish(),
        Err(FrameError::Torn {
            buffered: 6,
            expected: 9
        })
    );

    let mut dec = Decoder::new(100);
    dec.push(&[0, 0]);
    assert_eq!(
        dec.finish(),
        Err(FrameError::Torn {
            buffered: 2,
            expected: 0
        })
    );
}

#[test]
fn header_and_payload_are_one_contiguous_buffer() {
    let mut out = Vec::new();
    encode_frame(&mut out, b"Hola").unwrap();
    assert_eq!(out, [0, 0, 0, 4, b'H', b'o', b'l', b'a']);
    assert_eq!(out.len(), HEADER_LEN + 4);
}
