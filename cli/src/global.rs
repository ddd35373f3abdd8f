//! What every command shares: the global options and the words that go
//! with a new 64-digit key.

/// Options every command shares.
#[derive(Debug, Clone, Copy)]
pub struct Global {
    /// `--quiet`: no progress bars, no notes.
    pub quiet: bool,
    /// `--threads`: 0 for all cores.
    pub threads: usize,
}

/// The warning that goes with every new 64-digit key.
pub const KEY_WARNING: &str = "Keep this 64-digit key safe: whoever has it can open your backups, and if you lose it and the password, the backup is lost for good.";
