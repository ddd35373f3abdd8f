//! The HTTP/1.1 front (spec 5.1, 8): POST routes with binary bodies, a
//! size limit checked before the body is read, timeouts on headers and on
//! whole requests, a per-IP token bucket, and one JSON log line per
//! request with no secret in it (routes, statuses, account names, counts).

use crate::service::{Reply, Vault};
use ebak_vault_proto::msg::MAX_REQUEST_SIZE;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode, header};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Transport limits.
#[derive(Clone, Copy, Debug)]
pub struct HttpConfig {
    /// Bytes a request body may have ([`MAX_REQUEST_SIZE`]).
    pub max_body: usize,
    /// Time to receive a request's headers.
    pub header_timeout: Duration,
    /// Time to receive a whole body and answer.
    pub request_timeout: Duration,
    /// Requests per second per client IP (sustained), 0 for no limit.
    pub ip_rate: u32,
    /// Burst per client IP.
    pub ip_burst: u32,
    /// Connections served at once; more wait in the kernel's backlog.
    pub max_connections: usize,
    /// Write the JSON log lines (stderr).
    pub log: bool,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            max_body: MAX_REQUEST_SIZE,
            header_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(15),
            ip_rate: 20,
            ip_burst: 60,
            max_connections: 1024,
            log: true,
        }
    }
}

/// Unix time in seconds.
#[must_use]
pub fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// A token bucket per IP, in thousandths of a request.
#[derive(Debug, Default)]
struct IpLimiter {
    buckets: Mutex<HashMap<IpAddr, (u64, Instant)>>,
}

impl IpLimiter {
    fn allow(&self, ip: IpAddr, rate: u32, burst: u32) -> bool {
        if rate == 0 {
            return true;
        }
        let now = Instant::now();
        let full = u64::from(burst.max(1)).saturating_mul(1000);
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() > 100_000 {
            // Bound the table: forget buckets that have refilled anyway.
            buckets.retain(|_, (_, last)| now.duration_since(*last) < Duration::from_secs(60));
        }
        let (tokens, last) = buckets.entry(ip).or_insert((full, now));
        let elapsed_ms = u64::try_from(now.duration_since(*last).as_millis()).unwrap_or(u64::MAX);
        *tokens = tokens.saturating_add(elapsed_ms.saturating_mul(u64::from(rate))).min(full);
        *last = now;
        if *tokens < 1000 {
            return false;
        }
        *tokens = tokens.saturating_sub(1000);
        true
    }
}

/// One JSON log line (stderr).
pub fn log(fields: serde_json::Value) {
    eprintln!("{fields}");
}

fn respond(status: u16, binary: bool, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let content_type = if binary { "application/octet-stream" } else { "text/plain; charset=utf-8" };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    response
}

struct Shared {
    vault: Arc<Vault>,
    config: HttpConfig,
    limiter: IpLimiter,
}

async fn answer(shared: Arc<Shared>, peer: SocketAddr, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let path = request.uri().path().to_owned();
    let (status, binary, body, event) = answer_inner(&shared, peer, request).await;
    let mut line = serde_json::json!({
        "ts": unix_now(),
        "ip": peer.ip().to_string(),
        "path": path,
        "status": status,
        "ms": u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX) as f64 / 1000.0,
    });
    if let (Some(event), Some(map)) = (event, line.as_object_mut()) {
        map.insert("outcome".into(), event.outcome.into());
        if let Some(a) = event.account {
            map.insert("account".into(), a.to_hex().into());
        }
        if let Some(u) = event.used {
            map.insert("used".into(), u.into());
        }
        if let Some(d) = event.detail {
            map.insert("detail".into(), d.into());
        }
    }
    if shared.config.log {
        log(line);
    }
    respond(status, binary, body)
}

async fn answer_inner(
    shared: &Shared,
    peer: SocketAddr,
    request: Request<Incoming>,
) -> (u16, bool, Vec<u8>, Option<crate::service::Event>) {
    let text = |status: u16, message: &str| (status, false, format!("{message}\n").into_bytes(), None);
    let config = shared.config;
    if !shared.limiter.allow(peer.ip(), config.ip_rate, config.ip_burst) {
        return text(429, "too many requests from this address; slow down");
    }
    if request.method() != Method::POST {
        return text(405, "only POST");
    }
    // Spec 8: refuse an announced oversized body before reading it.
    let announced =
        request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > u64::try_from(config.max_body).unwrap_or(u64::MAX)) {
        return text(413, &format!("request body over {} bytes", config.max_body));
    }
    let path = request.uri().path().to_owned();
    let limited = Limited::new(request.into_body(), config.max_body);
    let body = match tokio::time::timeout(config.request_timeout, limited.collect()).await {
        Err(_) => return text(408, "request body not received in time"),
        Ok(Err(e)) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => {
            return text(413, &format!("request body over {} bytes", config.max_body));
        }
        Ok(Err(_)) => return text(400, "request body could not be read"),
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    let vault = Arc::clone(&shared.vault);
    let now = unix_now();
    // The store is blocking (SQLite, the PostgreSQL client): its own threads.
    let handled = tokio::task::spawn_blocking(move || vault.handle(&path, &body, now));
    match tokio::time::timeout(config.request_timeout, handled).await {
        Ok(Ok(Reply { status, binary, body, event })) => (status, binary, body, Some(event)),
        // The request goes on in its thread; a guess it counted stays
        // counted (the client may retry, and spends another).
        Err(_) => text(503, "the vault did not answer in time"),
        Ok(Err(_)) => text(500, "internal error"),
    }
}

/// Serves `vault` on `listener` until `shutdown` resolves; sweeps expired
/// sessions and stale exhausted records every half session timeout.
///
/// # Errors
///
/// The listener failed.
pub async fn serve(
    listener: TcpListener,
    vault: Arc<Vault>,
    config: HttpConfig,
    sweep_every: Duration,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let shared = Arc::new(Shared { vault: Arc::clone(&vault), config, limiter: IpLimiter::default() });
    let connections = Arc::new(Semaphore::new(config.max_connections.max(1)));
    let sweeper = tokio::spawn(async move {
        let mut tick = tokio::time::interval(sweep_every.max(Duration::from_secs(1)));
        loop {
            tick.tick().await;
            let vault = Arc::clone(&vault);
            if let Ok(result) = tokio::task::spawn_blocking(move || vault.sweep(unix_now())).await {
                match result {
                    Ok(0) => {}
                    Ok(n) => log(serde_json::json!({"ts": unix_now(), "event": "sweep", "destroyed": n})),
                    Err(e) => log(serde_json::json!({"ts": unix_now(), "event": "sweep", "error": e.to_string()})),
                }
            }
        }
    });
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = Arc::clone(&connections).acquire_owned() => permit,
        };
        let Ok(permit) = permit else { break };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    log(serde_json::json!({"ts": unix_now(), "event": "accept", "error": e.to_string()}));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let shared = Arc::clone(&shared);
                async move { Ok::<_, Infallible>(answer(shared, peer, request).await) }
            });
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(config.header_timeout)
                .serve_connection(TokioIo::new(stream), service);
            // An idle keep-alive connection is closed after the request
            // timeout, so slow clients cannot hold the connection slots.
            let _ = tokio::time::timeout(config.request_timeout.saturating_mul(4), connection).await;
            drop(permit);
        });
    }
    sweeper.abort();
    Ok(())
}

/// A vault served on a free loopback port by a thread of its own, until it
/// is dropped: what the client's and the tool's tests run against, and a
/// way for another program to run a real vault inside its own tests.
#[derive(Debug)]
pub struct LoopbackServer {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl LoopbackServer {
    /// Serves `vault` on `127.0.0.1`, on a runtime of `worker_threads`
    /// threads (at least one), with the transport limits of `config`.
    ///
    /// # Errors
    ///
    /// The thread, the runtime or the listening socket could not be set up.
    pub fn start(vault: Arc<Vault>, config: HttpConfig, worker_threads: usize) -> std::io::Result<Self> {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready, listening) = std::sync::mpsc::channel::<std::io::Result<SocketAddr>>();
        let thread = std::thread::Builder::new().name("ebak-vault-loopback".into()).spawn(move || {
            let runtime =
                tokio::runtime::Builder::new_multi_thread().worker_threads(worker_threads.max(1)).enable_all().build();
            let runtime = match runtime {
                Ok(r) => r,
                Err(e) => {
                    let _ = ready.send(Err(e));
                    return;
                }
            };
            // The runtime's tasks get clones; this thread keeps its own
            // reference until the runtime is gone, so that the vault is
            // never dropped inside it (a PostgreSQL store's blocking
            // client cannot be dropped in an async context).
            let served = Arc::clone(&vault);
            runtime.block_on(async move {
                let bound = TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await;
                let listener = match bound.and_then(|l| l.local_addr().map(|a| (l, a))) {
                    Ok((listener, addr)) => {
                        let _ = ready.send(Ok(addr));
                        listener
                    }
                    Err(e) => {
                        let _ = ready.send(Err(e));
                        return;
                    }
                };
                let _ = serve(listener, served, config, Duration::from_secs(1), async {
                    let _ = stopped.await;
                })
                .await;
            });
            drop(runtime);
            drop(vault);
        })?;
        match listening.recv() {
            Ok(Ok(addr)) => Ok(Self { addr, stop: Some(stop), thread: Some(thread) }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => {
                let _ = thread.join();
                Err(std::io::Error::other("the vault's thread ended before it listened"))
            }
        }
    }

    /// The address it listens on.
    #[must_use]
    pub const fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its URL, `http://127.0.0.1:PORT`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
