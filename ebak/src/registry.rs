//! The content format's two registries (`spec/ebak-content-v1.md`): what
//! a payload holds and how it is compressed. A leaf module, re-exported by
//! [`crate::content`], so that the error types can name a kind too.

/// What the payload holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `0x01`: a tar archive of files and directory trees.
    Tar,
    /// `0x02`: one stream (a backup of standard input).
    Stream,
}

impl Kind {
    /// The kind byte.
    #[must_use]
    pub const fn byte(self) -> u8 {
        match self {
            Self::Tar => 0x01,
            Self::Stream => 0x02,
        }
    }

    /// The kind a byte names, if this version knows it.
    #[must_use]
    pub const fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            0x01 => Some(Self::Tar),
            0x02 => Some(Self::Stream),
            _ => None,
        }
    }
}

/// How the body is compressed (zstd by default).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Compression {
    /// `0x00`: not compressed.
    None,
    #[default]
    /// `0x01`: one zstd frame.
    Zstd,
}

impl Compression {
    /// The compression byte.
    #[must_use]
    pub const fn byte(self) -> u8 {
        match self {
            Self::None => 0x00,
            Self::Zstd => 0x01,
        }
    }

    /// The compression a byte names, if this version knows it.
    #[must_use]
    pub const fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            0x00 => Some(Self::None),
            0x01 => Some(Self::Zstd),
            _ => None,
        }
    }
}
