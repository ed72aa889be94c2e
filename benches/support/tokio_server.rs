//! The `tokio` reference: a straightforward tokio server speaking the same
//! frames (echo and sink), with the same socket options (TCP_NODELAY), on a
//! multi-thread runtime with as many workers as our event loops.
//!
//! With work per message (the study's service-work section), it does what
//! tokio's own guide tells a user to do: computing inline on the worker, a
//! blocking call through `spawn_blocking` (tokio's pool, at most 512
//! threads by default), and a wait through `tokio::time::sleep`.

use std::net::SocketAddr;

use sockmodes_common::{Service, SinkTally, Work, WorkKind};
use sockmodes_os::work::Perform;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;

use super::servers::MAX_FRAME;

pub struct TokioServer {
    pub addr: SocketAddr,
    runtime: Option<Runtime>,
}

impl TokioServer {
    pub fn start(service: Service, workers: usize, work: Option<Work>) -> TokioServer {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_io()
            .enable_time()
            .build()
            .expect("tokio runtime");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let addr = listener.local_addr().unwrap();
        runtime.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                tokio::spawn(async move {
                    let _ = match service {
                        Service::Sink => sink(stream, work).await,
                        _ => echo(stream, work).await,
                    };
                });
            }
        });
        TokioServer {
            addr,
            runtime: Some(runtime),
        }
    }
}

/// Reads one frame into `buf`; `Ok(false)` at a clean end of stream.
async fn read_frame(
    reader: &mut BufReader<tokio::net::tcp::ReadHalf<'_>>,
    buf: &mut Vec<u8>,
) -> std::io::Result<bool> {
    let mut head = [0u8; 4];
    match reader.read_exact(&mut head).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(false),
        Err(e) => return Err(e),
    }
    let len = u32::from_be_bytes(head) as usize;
    if len > MAX_FRAME {
        return Err(std::io::ErrorKind::InvalidData.into());
    }
    buf.clear();
    buf.extend_from_slice(&head);
    buf.resize(4 + len, 0);
    reader.read_exact(&mut buf[4..]).await?;
    Ok(true)
}

/// One frame's work, the tokio way.
async fn serve(work: Option<Work>) {
    let Some(work) = work else { return };
    match work.kind {
        WorkKind::Cpu => work.perform(),
        WorkKind::Block => {
            let _ = tokio::task::spawn_blocking(move || work.perform()).await;
        }
        WorkKind::Wait => tokio::time::sleep(work.amount).await,
    }
}

async fn echo(mut stream: TcpStream, work: Option<Work>) -> std::io::Result<()> {
    let (read, mut write) = stream.split();
    let mut reader = BufReader::with_capacity(64 * 1024, read);
    let mut frame = Vec::new();
    while read_frame(&mut reader, &mut frame).await? {
        serve(work).await;
        write.write_all(&frame).await?; // header and payload in one write
    }
    Ok(())
}

async fn sink(mut stream: TcpStream, work: Option<Work>) -> std::io::Result<()> {
    let (read, mut write) = stream.split();
    let mut reader = BufReader::with_capacity(64 * 1024, read);
    let mut frame = Vec::new();
    let mut tally = SinkTally::new();
    while read_frame(&mut reader, &mut frame).await? {
        serve(work).await;
        tally.add(&frame[4..]);
    }
    let mut reply = Vec::with_capacity(24);
    sockmodes_common::frame::encode_frame(&mut reply, &tally.summary().encode())
        .expect("20 bytes fit");
    write.write_all(&reply).await?;
    write.shutdown().await
}

impl Drop for TokioServer {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// The bench binary re-executed as the study's tokio server: prints
/// `listening on ADDR` on stderr (as `sockmodes server` does) and serves
/// until killed. `work` is `--work`'s text (`SERVE_TOKIO_WORK`), if any.
pub fn serve_forever(threads: &str, work: Option<&str>) -> ! {
    let _ = sockmodes_os::limits::raise_nofile_limit();
    let workers = threads.parse().unwrap_or(1);
    let work = work.map(|text| {
        text.parse::<Work>().unwrap_or_else(|e| {
            eprintln!("tokio reference: bad work {text:?}: {e}");
            std::process::exit(2)
        })
    });
    let server = TokioServer::start(Service::Echo, workers, work);
    eprintln!("tokio reference listening on {}", server.addr);
    loop {
        std::thread::park();
    }
}
