// The classroom's servidor.py with NON-blocking sockets (mio).
//
// Run:   cargo run -p sockmodes-nonblocking --example servidor_no_bloqueante [HOST:PORT]
// then:  cargo run -p sockmodes-nonblocking --example cliente_no_bloqueante
//        (or the blocking cliente, or python3 cliente.py, or nc).
//
// Same lines as the Python server, plus how many times each call met
// WouldBlock while waiting: each one is a moment where Python, after
// setblocking(False), would have raised BlockingIOError. Between attempts the
// program sleeps in poll (epoll_wait), never in a busy loop.

use std::io::Read;
use std::process::ExitCode;

use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Token};
use sockmodes_os::net;
use sockmodes_python::show::{count, visible};
use sockmodes_python::{interrupted, python_addr, would_block, Op, SocketError, SocketMode};

const LISTENER: Token = Token(0);
const CONN: Token = Token(1);

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
    let addr = net::resolve(addr)?;
    let std_listener =
        net::listen(addr, 1).map_err(SocketError::on(Op::Bind, addr, SocketMode::NonBlocking))?;
    std_listener.set_nonblocking(true)?; // setblocking(False)
    let bound = std_listener.local_addr()?;
    let mut listener = TcpListener::from_std(std_listener);
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(8);
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    println!("Servidor escuchando en {bound}");

    // accept(): with no client yet it fails at once with WouldBlock; we sleep
    // in poll until the listener is readable, then try again.
    let mut accept_would_block = 0;
    let (mut conexion, direccion) = loop {
        match listener.accept() {
            Ok(pair) => break pair,
            Err(e) if would_block(&e) => {
                accept_would_block += 1;
                poll.poll(&mut events, None)?;
            }
            Err(e) if interrupted(&e) => {}
            Err(e) => {
                return Err(SocketError::new(Op::Accept, bound, SocketMode::NonBlocking, e).into())
            }
        }
    };
    println!("Conexión aceptada de {}", python_addr(direccion));
    println!(
        "  accept() dio WouldBlock {} (BlockingIOError en Python)",
        count(accept_would_block, "vez", "veces")
    );

    // recv() until end of stream, same idea.
    poll.registry()
        .register(&mut conexion, CONN, Interest::READABLE)?;
    let (mut mensaje, mut recv_would_block, mut buf) = (Vec::new(), 0, [0u8; 4096]);
    loop {
        match conexion.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => mensaje.extend_from_slice(&buf[..n]),
            Err(e) if would_block(&e) => {
                recv_would_block += 1;
                poll.poll(&mut events, None)?;
            }
            Err(e) if interrupted(&e) => {}
            Err(e) => {
                return Err(
                    SocketError::new(Op::Recv, direccion, SocketMode::NonBlocking, e).into(),
                )
            }
        }
    }
    // Lo que llega de la red se muestra, nunca se obedece: los caracteres de
    // control salen escapados (\x1b, \x07, \x00), como con repr().
    println!("Mensaje recibido: {}", visible(&mensaje));
    println!(
        "  recv() dio WouldBlock {} (BlockingIOError en Python)",
        count(recv_would_block, "vez", "veces")
    );
    Ok(())
}
