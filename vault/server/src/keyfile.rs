//! The vault's key file (spec 7.1): every key set the vault has had, the
//! newest last, generated on first start and readable by its owner only.
//!
//! ```json
//! {"format": "ebak-vault-keys/v1", "vault_id": "<32 hex>",
//!  "key_sets": [{"created": <unix seconds>, "secret": "<hex of ServerKeys::to_secret_bytes>"}]}
//! ```
//!
//! A key set's generation is its index in `key_sets`; records name the
//! generation they were registered under. Rotation appends a set; old sets
//! stay until no record uses them (spec 7.2).

use ebak_vault_proto::keys::ServerKeys;
use ebak_vault_proto::{KeyId, VaultId};
use serde_json::{Value, json};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use zeroize::Zeroizing;

const FORMAT: &str = "ebak-vault-keys/v1";

/// The vault's key sets: generation 0 is `first`, generation `g > 0` is
/// `rest[g - 1]` (so there is always one).
#[derive(Debug)]
pub struct KeySets {
    first: ServerKeys,
    rest: Vec<ServerKeys>,
    created: Vec<u64>,
}

/// A key-file failure.
#[derive(Debug)]
pub struct KeyFileError(pub String);

impl std::fmt::Display for KeyFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "key file: {}", self.0)
    }
}

impl std::error::Error for KeyFileError {}

fn bad(what: impl Into<String>) -> KeyFileError {
    KeyFileError(what.into())
}

impl KeySets {
    /// One fresh key set for a new vault.
    ///
    /// # Errors
    ///
    /// The RNG failed.
    pub fn generate(now: u64) -> Result<Self, KeyFileError> {
        let mut id = [0u8; 16];
        getrandom::fill(&mut id).map_err(|e| bad(format!("random vault id: {e}")))?;
        let keys = ServerKeys::generate(&mut getrandom::SysRng, VaultId(id)).map_err(|e| bad(e.to_string()))?;
        Ok(Self { first: keys, rest: Vec::new(), created: vec![now] })
    }

    /// Adds a new current key set (spec 7.2).
    ///
    /// # Errors
    ///
    /// The RNG failed.
    pub fn rotate(&mut self, now: u64) -> Result<(), KeyFileError> {
        let keys = ServerKeys::generate(&mut getrandom::SysRng, self.vault_id()).map_err(|e| bad(e.to_string()))?;
        self.rest.push(keys);
        self.created.push(now);
        Ok(())
    }

    /// The vault's id.
    #[must_use]
    pub fn vault_id(&self) -> VaultId {
        self.current().1.public().vault_id
    }

    /// The newest key set and its generation.
    #[must_use]
    pub fn current(&self) -> (u32, &ServerKeys) {
        (u32::try_from(self.rest.len()).unwrap_or(u32::MAX), self.rest.last().unwrap_or(&self.first))
    }

    /// The key set with this id, and its generation.
    #[must_use]
    pub fn by_id(&self, id: &KeyId) -> Option<(u32, &ServerKeys)> {
        self.all()
            .enumerate()
            .find(|(_, k)| k.public().key_id() == *id)
            .and_then(|(i, k)| u32::try_from(i).ok().map(|g| (g, k)))
    }

    /// The key set of generation `g`.
    #[must_use]
    pub fn generation(&self, g: u32) -> Option<&ServerKeys> {
        match usize::try_from(g).ok()?.checked_sub(1) {
            None => Some(&self.first),
            Some(i) => self.rest.get(i),
        }
    }

    /// Every key set, oldest first.
    pub fn all(&self) -> impl Iterator<Item = &ServerKeys> {
        core::iter::once(&self.first).chain(self.rest.iter())
    }

    fn to_json(&self) -> Zeroizing<String> {
        let sets: Vec<Value> = self
            .all()
            .zip(&self.created)
            .map(|(k, c)| json!({"created": c, "secret": ebak_vault_proto::ids::hex(&k.to_secret_bytes())}))
            .collect();
        let value = json!({"format": FORMAT, "vault_id": self.vault_id().to_hex(), "key_sets": sets});
        Zeroizing::new(format!("{value:#}\n"))
    }

    fn from_json(text: &str) -> Result<Self, KeyFileError> {
        let value: Value = serde_json::from_str(text).map_err(|e| bad(format!("not JSON: {e}")))?;
        if value.get("format").and_then(Value::as_str) != Some(FORMAT) {
            return Err(bad(format!("not an {FORMAT} file")));
        }
        let vault_id = value
            .get("vault_id")
            .and_then(Value::as_str)
            .and_then(VaultId::from_hex)
            .ok_or_else(|| bad("vault_id: 32 hex digits expected"))?;
        let list = value.get("key_sets").and_then(Value::as_array).ok_or_else(|| bad("key_sets: a list expected"))?;
        let mut sets = Vec::new();
        let mut created = Vec::new();
        for (i, entry) in list.iter().enumerate() {
            let hex =
                entry.get("secret").and_then(Value::as_str).ok_or_else(|| bad(format!("key set {i}: no secret")))?;
            let bytes =
                Zeroizing::new(unhex_vec(hex).ok_or_else(|| bad(format!("key set {i}: the secret is not hex")))?);
            let keys = ServerKeys::from_secret_bytes(&bytes).map_err(|e| bad(format!("key set {i}: {e}")))?;
            if keys.public().vault_id != vault_id {
                return Err(bad(format!("key set {i} belongs to another vault")));
            }
            sets.push(keys);
            created.push(entry.get("created").and_then(Value::as_u64).unwrap_or(0));
        }
        let mut sets = sets.into_iter();
        let first = sets.next().ok_or_else(|| bad("no key set"))?;
        Ok(Self { first, rest: sets.collect(), created })
    }

    /// Reads the key file at `path`, refusing one that others can read.
    ///
    /// # Errors
    ///
    /// Unreadable, readable by others, or malformed.
    pub fn load(path: &Path) -> Result<Self, KeyFileError> {
        let meta = fs::metadata(path).map_err(|e| bad(format!("{}: {e}", path.display())))?;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(bad(format!(
                "{} is readable or writable by others (mode {:o}): chmod 600 it",
                path.display(),
                meta.permissions().mode() & 0o777
            )));
        }
        let text = Zeroizing::new(fs::read_to_string(path).map_err(|e| bad(format!("{}: {e}", path.display())))?);
        Self::from_json(&text)
    }

    /// Writes the key file at `path` atomically (a new file, mode 0600,
    /// synced, renamed over the old one).
    ///
    /// # Errors
    ///
    /// The file cannot be written.
    pub fn save(&self, path: &Path) -> Result<(), KeyFileError> {
        let io = |e: std::io::Error| bad(format!("{}: {e}", path.display()));
        let tmp = path.with_extension("tmp");
        let _ = fs::remove_file(&tmp);
        let mut f = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp).map_err(io)?;
        f.write_all(self.to_json().as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
        drop(f);
        fs::rename(&tmp, path).map_err(io)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
        }
        Ok(())
    }

    /// Loads `path`, or generates a vault's first key set there if it does
    /// not exist. Returns whether it was created.
    ///
    /// # Errors
    ///
    /// See [`KeySets::load`] and [`KeySets::save`].
    pub fn load_or_create(path: &Path, now: u64) -> Result<(Self, bool), KeyFileError> {
        if path.exists() {
            return Self::load(path).map(|k| (k, false));
        }
        let keys = Self::generate(now)?;
        keys.save(path)?;
        Ok((keys, true))
    }
}

fn unhex_vec(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.as_bytes()
        .chunks_exact(2)
        .map(|pair| core::str::from_utf8(pair).ok().and_then(|p| u8::from_str_radix(p, 16).ok()))
        .collect()
}
