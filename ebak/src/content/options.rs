//! What a tree restore is asked to do ([`ExtractOptions`]), and the
//! metadata it could not put back ([`RestoreWarning`]).

use super::ContentError;
use super::extract::checked_relative;
use std::path::{Path, PathBuf};

/// Which entries a restore writes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    pub(crate) paths: Vec<PathBuf>,
}

impl Selection {
    /// Every entry of the backup.
    #[must_use]
    pub const fn all() -> Self {
        Self { paths: Vec::new() }
    }

    /// Only the entries named by `paths` (as `ebak ls` shows them), and
    /// what is under those that are directories.
    ///
    /// # Errors
    ///
    /// A path is absolute, empty or climbs with `..`
    /// ([`ContentError::BadSelection`]).
    pub fn only<P: AsRef<Path>>(paths: impl IntoIterator<Item = P>) -> Result<Self, ContentError> {
        let paths = paths
            .into_iter()
            .map(|p| {
                checked_relative(p.as_ref())
                    .ok_or_else(|| ContentError::BadSelection { path: p.as_ref().to_path_buf() })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { paths })
    }

    /// Whether every entry is restored.
    #[must_use]
    pub fn is_all(&self) -> bool {
        self.paths.is_empty()
    }

    /// The index of the first selected path `path` is or is under.
    pub(crate) fn find(&self, path: &Path) -> Option<usize> {
        self.paths.iter().position(|s| path.starts_with(s))
    }
}

/// How to restore a tree.
#[derive(Clone, Debug, Default)]
pub struct ExtractOptions {
    /// Which entries.
    pub selection: Selection,
    /// Set owners and groups from the archive (the ids it holds). Only
    /// root can give a file away: leave it off otherwise.
    pub owners: bool,
    /// Which extended attributes to set from the archive.
    pub xattrs: Xattrs,
}

/// Which extended attributes a restore sets (content spec 6.10: those of
/// the `security.` and `trusted.` namespaces only when asked).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Xattrs {
    /// None.
    #[default]
    None,
    /// `user.*` attributes and POSIX ACLs (`system.posix_acl_*`).
    User,
    /// All of them, `security.*` (SELinux labels, file capabilities) and
    /// `trusted.*` included. Setting those takes privileges: a user
    /// other than root gets warnings for them.
    All,
}

impl Xattrs {
    /// Whether the attribute `name` is set.
    #[must_use]
    pub fn includes(self, name: &[u8]) -> bool {
        match self {
            Self::None => false,
            Self::User => name.starts_with(b"user.") || name.starts_with(b"system.posix_acl_"),
            Self::All => true,
        }
    }
}

/// Metadata a restore could not put back; the files are there.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RestoreWarning {
    /// An extended attribute could not be set.
    Xattr {
        /// The entry's name in the archive.
        entry: PathBuf,
        /// The attribute's name.
        name: String,
        /// The system's words.
        reason: String,
    },
    /// The owner or group could not be set.
    Owner {
        /// The entry's name in the archive.
        entry: PathBuf,
        /// The system's words.
        reason: String,
    },
}

impl std::fmt::Display for RestoreWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Xattr { entry, name, reason } => {
                write!(f, "{}: extended attribute {name} not restored ({reason})", entry.display())
            }
            Self::Owner { entry, reason } => write!(f, "{}: owner and group not restored ({reason})", entry.display()),
        }
    }
}
