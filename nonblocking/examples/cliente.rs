// The classroom's cliente.py with NON-blocking sockets (mio).
//
// Run (after starting a server, e.g. `cargo run -p sockmodes-nonblocking --example servidor_no_bloqueante`):
//        cargo run -p sockmodes-nonblocking --example cliente_no_bloqueante [HOST:PORT] [MESSAGE]
//
// Same lines as the Python client, plus how many times each step met
// WouldBlock. Started before the server, connect() itself succeeds (the
// handshake is only "in progress"); the refusal arrives with the next poll
// event and take_error() reports it: ConnectionRefusedError, exit status 1.

use std::process::ExitCode;

use sockmodes_nonblocking::{Client, ClientDriver, ClientSettings};
use sockmodes_os::net;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8080".into());
    let mensaje = args.next().unwrap_or_else(|| "Hola, servidor!".into());
    let Err(e) = run(&addr, &mensaje) else {
        return ExitCode::SUCCESS;
    };
    eprintln!("{e}");
    ExitCode::FAILURE
}

fn run(addr: &str, mensaje: &str) -> anyhow::Result<()> {
    let addr = net::resolve(addr)?;
    let mut cliente = Client::connect_start(addr, &ClientSettings::default())?; // EINPROGRESS
    cliente.wait_connected()?; // poll until writable, then take_error()
    println!("Conectado a {addr}");
    cliente.send_message(mensaje.as_bytes())?;
    println!("Mensaje enviado al servidor: {mensaje}");
    let n = cliente.would_blocks();
    println!(
        "  WouldBlock (BlockingIOError en Python): connect {}, send {}, recv {}",
        n.connect, n.send, n.recv
    );
    Ok(())
}
