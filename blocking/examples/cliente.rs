// The classroom's cliente.py, in Rust with blocking sockets.
//
// Run (after starting a server, e.g. `cargo run -p sockmodes-blocking --example servidor`):
//        cargo run -p sockmodes-blocking --example cliente [HOST:PORT] [MESSAGE]
// Defaults: 127.0.0.1:8080 and "Hola, servidor!".
//
// Start it before the server to see the refusal: one line,
// `ConnectionRefusedError (os error 111): ...`, and exit status 1.

use std::process::ExitCode;

use sockmodes_blocking::{Client, ClientDriver, ClientSettings};
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
    // socket() + setblocking(True) + connect(): waits for the handshake.
    let mut cliente = Client::connect(addr, &ClientSettings::default())?;
    println!("Conectado a {addr}");
    // sendall() + close(): the end of stream marks the end of the message.
    cliente.send_message(mensaje.as_bytes())?;
    println!("Mensaje enviado al servidor: {mensaje}");
    Ok(())
}
