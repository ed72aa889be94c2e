//! Every service in every pairing the registry has: each client of
//! `Model::CLIENTS` against each server of `Model::servers()` (three by
//! three on Linux, where completion has both; two by two elsewhere). The
//! servers must be interchangeable on the wire, and so must the clients.

mod util;

use std::time::Duration;

use sockmodes_client::ClientError;
use sockmodes_common::Service;
use sockmodes_models::{Client, ClientSettings};
use sockmodes_python::PyException;
use util::{client, pairings, payload, reference_crc32, server, wait_until};

#[test]
fn message_in_all_pairings() {
    for (c, s) in pairings() {
        let (srv, inbox) = server(s, Service::Message, |_| {});
        let receipt = client(c, srv.local_addr())
            .send_message(b"Hola, servidor!")
            .unwrap();
        assert!(receipt.confirmed, "{c} client -> {s} server");
        wait_until("the message", || !inbox.lock().unwrap().is_empty());
        assert_eq!(inbox.lock().unwrap()[0], b"Hola, servidor!", "{c} -> {s}");
        srv.shutdown(Duration::from_secs(1));
    }
}

#[test]
fn echo_in_all_pairings() {
    for (c, s) in pairings() {
        let (srv, _) = server(s, Service::Echo, |cfg| cfg.max_frame = 2 << 20);
        let settings = ClientSettings {
            max_frame: 2 << 20,
            ..ClientSettings::default()
        };
        let mut cl = Client::connect(c, srv.local_addr(), &settings).unwrap();
        for (i, size) in [0, 1, 15, 64 * 1024, 1 << 20].into_iter().enumerate() {
            cl.echo(&payload(size, i as u8))
                .unwrap_or_else(|e| panic!("{c} -> {s}, {size} bytes: {e}"));
        }
        // Pipelined: several frames out before reading any reply.
        let frames: Vec<Vec<u8>> = (0..10).map(|i| payload(100 * i, i as u8)).collect();
        for f in &frames {
            cl.send_frame(f).unwrap();
        }
        for f in &frames {
            assert_eq!(
                cl.recv_frame().unwrap().as_ref(),
                Some(f),
                "{c} -> {s}: in order"
            );
        }
        cl.shutdown_write().unwrap();
        assert_eq!(cl.recv_frame().unwrap(), None, "{c} -> {s}: clean close");
        srv.shutdown(Duration::from_secs(1));
    }
}

#[test]
fn sink_in_all_pairings() {
    for (c, s) in pairings() {
        let (srv, _) = server(s, Service::Sink, |_| {});
        let frames: Vec<Vec<u8>> = (0..40).map(|i| payload(i * 997, i as u8)).collect();
        let summary = client(c, srv.local_addr())
            .sink_upload(frames.iter().map(Vec::as_slice))
            .unwrap_or_else(|e| panic!("{c} -> {s}: {e}"));
        assert_eq!(summary.frames, 40);
        assert_eq!(
            summary.bytes,
            frames.iter().map(|f| f.len() as u64).sum::<u64>()
        );
        assert_eq!(
            summary.crc32,
            reference_crc32(frames.iter().map(Vec::as_slice))
        );
        srv.shutdown(Duration::from_secs(1));
    }
}

#[test]
fn empty_sink_and_empty_message_in_all_pairings() {
    for (c, s) in pairings() {
        let (srv, _) = server(s, Service::Sink, |_| {});
        let summary = client(c, srv.local_addr()).sink_upload([]).unwrap();
        assert_eq!(
            (summary.frames, summary.bytes, summary.crc32),
            (0, 0, 0),
            "{c} -> {s}"
        );
        srv.shutdown(Duration::from_secs(1));

        let (srv, inbox) = server(s, Service::Message, |_| {});
        client(c, srv.local_addr()).send_message(b"").unwrap();
        wait_until("the empty message", || !inbox.lock().unwrap().is_empty());
        assert!(inbox.lock().unwrap()[0].is_empty());
        srv.shutdown(Duration::from_secs(1));
    }
}

#[test]
fn oversized_frame_closes_only_that_connection_in_every_server() {
    for (c, s) in pairings() {
        let (srv, _) = server(s, Service::Echo, |cfg| cfg.max_frame = 1024);
        let mut bad = client(c, srv.local_addr());
        let mut good = client(c, srv.local_addr());
        // The server closes on the header alone, so the close may reach
        // the client while it is still sending the payload, or after.
        let err = bad.send_frame(&[0u8; 2048]).and_then(|()| bad.recv_frame());
        assert!(
            matches!(err, Ok(None) | Err(ClientError::Closed { .. }))
                || err
                    .as_ref()
                    .is_err_and(|e| e.exception() == Some(PyException::ConnectionResetError)),
            "{c} -> {s}: the oversized frame's connection is closed, got {err:?}"
        );
        good.echo(&[1u8; 1024]).unwrap();
        wait_until("the protocol error to be counted", || {
            srv.stats().protocol_errors == 1
        });
        srv.shutdown(Duration::from_secs(1));
    }
}
