//! A real S3-protocol server on loopback for the tests: `s3s-fs` (pinned
//! in `tests/s3-server.sh`), one private instance per test, on a free port,
//! over a temporary directory, with its own random credentials, killed
//! when the test ends.
//!
//! Without `s3s-fs` (found as `$EBAK_S3S_FS`, else on `PATH`, else in
//! `~/.cargo/bin`), a test fails and says how to install it; it is skipped
//! only when `EBAK_SKIP_S3_TESTS=1` says so, and never under `CI=true`.
#![allow(dead_code, reason = "each test binary uses part of the helpers")]

use ebak_store_s3::{Credentials, S3Config, S3Store};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The bucket every server starts with.
pub const BUCKET: &str = "ebak-test";

pub struct Server {
    child: Option<Child>,
    pub root: tempfile::TempDir,
    pub port: u16,
    pub credentials: Credentials,
}

fn binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("EBAK_S3S_FS") {
        return Some(PathBuf::from(p));
    }
    let on_path = std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|d| d.join("s3s-fs")).find(|p| p.is_file()));
    on_path.or_else(|| {
        let home = PathBuf::from(std::env::var_os("HOME")?);
        Some(home.join(".cargo/bin/s3s-fs")).filter(|p| p.is_file())
    })
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

fn getrandom(buf: &mut [u8]) {
    use std::io::Read;
    std::fs::File::open("/dev/urandom").unwrap().read_exact(buf).unwrap();
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Server {
    /// Starts a server, or returns `None` when the tests are to be skipped.
    pub fn start() -> Option<Self> {
        let Some(bin) = binary() else {
            // CI never skips: there the missing server is the failure.
            let ci = std::env::var("CI").as_deref() == Ok("true");
            if std::env::var("EBAK_SKIP_S3_TESTS").as_deref() == Ok("1") && !ci {
                eprintln!("s3s-fs not found: skipped (EBAK_SKIP_S3_TESTS=1)");
                return None;
            }
            panic!(
                "s3s-fs is not installed: run `bash store-s3/tests/s3-server.sh install` \
                 (or set EBAK_SKIP_S3_TESTS=1 to skip the S3 tests locally)"
            );
        };
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join(BUCKET)).unwrap();
        let credentials = Credentials::new(format!("AK{}", random_hex(8)), random_hex(20));
        let mut server = Self { child: None, root, port: 0, credentials };
        server.spawn(&bin);
        Some(server)
    }

    fn spawn(&mut self, bin: &Path) {
        for _ in 0..5 {
            let port = free_port();
            let child = Command::new(bin)
                .args(["--host", "127.0.0.1", "--port", &port.to_string()])
                .args(["--access-key", &self.credentials.access_key_id])
                .args(["--secret-key", self.credentials.secret_access_key.as_str()])
                .arg(self.root.path())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("starting s3s-fs");
            self.child = Some(child);
            self.port = port;
            if self.wait_ready() {
                return;
            }
            self.kill();
        }
        panic!("s3s-fs did not start");
    }

    fn wait_ready(&mut self) -> bool {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if let Some(child) = self.child.as_mut()
                && child.try_wait().unwrap().is_some()
            {
                return false;
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// Kills the server (SIGKILL: no goodbye to the clients).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and data.
    pub fn restart(&mut self) {
        self.kill();
        let bin = binary().unwrap();
        let port = self.port;
        let child = Command::new(bin)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", &self.credentials.access_key_id])
            .args(["--secret-key", self.credentials.secret_access_key.as_str()])
            .arg(self.root.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        assert!(self.wait_ready(), "s3s-fs did not restart on port {port}");
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A config for `bucket` on this server, with small parts (5 MiB).
    pub fn config(&self, bucket: &str) -> S3Config {
        let mut c = S3Config::from_env(bucket);
        c.endpoint = Some(self.endpoint());
        c.region = Some("us-east-1".into());
        c.credentials = Some(self.credentials.clone());
        c.part_size_bytes = ebak_store_s3::MIN_PART_SIZE_BYTES;
        c.max_retries = 2;
        c.retry_timeout = Duration::from_secs(5);
        c
    }

    pub fn store(&self) -> S3Store {
        S3Store::open(self.config(BUCKET)).unwrap()
    }

    /// The environment the CLI reads to reach this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID", self.credentials.access_key_id.clone()),
            ("AWS_SECRET_ACCESS_KEY", self.credentials.secret_access_key.to_string()),
        ]
    }

    /// The files s3s-fs keeps for multipart uploads in progress (their
    /// parts and records): none once every upload completed or aborted.
    pub fn staged_parts(&self) -> Vec<String> {
        std::fs::read_dir(self.root.path())
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.starts_with(".upload_id-") || n.starts_with(".upload-"))
            .collect()
    }

    /// The object files under the bucket's directory.
    pub fn object_files(&self) -> Vec<String> {
        let mut out = Vec::new();
        let base = self.root.path().join(BUCKET);
        let mut stack = vec![base.clone()];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let e = e.unwrap();
                if e.file_type().unwrap().is_dir() {
                    stack.push(e.path());
                } else {
                    out.push(e.path().strip_prefix(&base).unwrap().display().to_string());
                }
            }
        }
        out.sort();
        out
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Starts a server or returns from the test (skipped: see the module docs).
#[macro_export]
macro_rules! server_or_skip {
    () => {
        match common::Server::start() {
            Some(s) => s,
            None => return,
        }
    };
}
