// The classroom's servidor.py, in Rust with blocking sockets.
//
// Run:   cargo run -p sockmodes-blocking --example servidor [HOST:PORT]
// then, in another terminal:
//        cargo run -p sockmodes-blocking --example cliente
// (or the original `python3 cliente.py`, or `echo -n hola | nc 127.0.0.1 8080`).
//
// Like the Python server it serves ONE connection and exits. The lines it
// prints are the Python ones, in Spanish.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use sockmodes_blocking::connection::{serve_connection, ConnState, End, Watch};
use sockmodes_common::Service;
use sockmodes_os::net;
use sockmodes_python::show::visible;
use sockmodes_python::{python_addr, Op, SocketError, SocketMode};
use sockmodes_serving::ServerConfig;

fn main() -> ExitCode {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let Err(e) = run(&addr) else {
        return ExitCode::SUCCESS;
    };
    eprintln!("{e}");
    ExitCode::FAILURE
}

fn run(addr: &str) -> anyhow::Result<()> {
    let addr: SocketAddr = net::resolve(addr)?;
    // socket() + setblocking(True) + bind() + listen(): std sockets block by default.
    let listener =
        net::listen(addr, 1).map_err(SocketError::on(Op::Bind, addr, SocketMode::Blocking))?;
    let bound = listener.local_addr()?;
    println!("Servidor escuchando en {bound}");

    // accept() waits here until a client connects.
    let (mut conexion, direccion) =
        listener
            .accept()
            .map_err(SocketError::on(Op::Accept, bound, SocketMode::Blocking))?;
    println!("Conexión aceptada de {}", python_addr(direccion));

    // recv() until the client closes: the `message` service of common.
    let config = ServerConfig::new(bound, Service::Message);
    let on_message = Arc::new(|_peer, mensaje: Vec<u8>| {
        // Lo que llega de la red se muestra, nunca se obedece: los caracteres
        // de control salen escapados (\x1b, \x07, \x00), como con repr().
        println!("Mensaje recibido: {}", visible(&mensaje));
    });
    // Nothing stops this one connection short: the flags are never set.
    let nunca = std::sync::atomic::AtomicBool::new(false);
    let estado = ConnState::default();
    let contadores = sockmodes_serving::stats::ServerStats::default();
    let watch = Watch {
        stopping: &nunca,
        cut: &nunca,
        state: &estado,
        stats: &contadores,
    };
    match serve_connection(&mut conexion, direccion, &config, &(on_message as _), watch) {
        End::Finished => Ok(()),
        other => Err(anyhow::anyhow!(
            "la conexión con {direccion} terminó mal: {other}"
        )),
    }
}
