//! The `ebak` command-line tool. See `ebak --help` and `cli/README.md`.

use clap::{Args, Parser, Subcommand};
use ebak_cli::commands::{
    self, BackupArgs, LsArgs, PasswdAction, PasswdArgs, RestoreArgs, RotateArgs, VaultArgs, VerifyArgs,
};
use ebak_cli::error::{CliError, Exit};
use ebak_cli::global::Global;
use ebak_cli::secrets::Sources;
use std::path::PathBuf;
use std::process::ExitCode;

/// End-to-end encrypted backups: only your password or your 64-digit key opens them.
#[derive(Debug, Parser)]
#[command(name = "ebak", version, about, long_about = None, after_help = EXIT_CODES)]
struct Cli {
    /// No progress bars or notes (errors are still printed).
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Threads for encryption and decryption (0: all cores).
    #[arg(long, global = true, default_value_t = 0, value_name = "N")]
    threads: usize,
    /// The S3 endpoint for s3://BUCKET/KEY locations (else AWS_ENDPOINT_URL; AWS itself if neither).
    #[arg(long, global = true, value_name = "URL")]
    s3_endpoint: Option<String>,
    /// The S3 region for s3:// locations (else AWS_REGION; us-east-1 if neither).
    #[arg(long, global = true, value_name = "REGION")]
    s3_region: Option<String>,
    #[command(subcommand)]
    command: Command,
}

const EXIT_CODES: &str = "Exit codes: 0 success; 1 completed with warnings (backup: files skipped or changed while read, each named; \
restore: owners or extended attributes not set); 2 usage (or refused: existing target without --force, bad key text, no secret, \
a PATH not in the backup, the vault's last guess without a terminal or --spend-last-guess); 3 wrong password or key (through a vault: with the guesses left; or its record destroyed or deleted); 4 damaged, tampered with, truncated or not an ebak file, or a hostile archive entry, or a vault answer that does not check; \
5 I/O error (missing file, permission denied, disk full, file-size limit, vault unreachable); 130 interrupted (Ctrl-C, SIGTERM, SIGHUP), the unfinished output removed.\n\
Secrets: EBAK_PASSWORD, EBAK_KEY, EBAK_NEW_PASSWORD (and EBAK_WA_KEY for import-whatsapp), or files (one final line break is removed), or prompts on a terminal.";

#[derive(Debug, Args, Clone, Default)]
struct SecretFlags {
    /// Use a password (prompted on a terminal, twice for a new one, unless EBAK_PASSWORD or --password-file gives it).
    #[arg(long)]
    password: bool,
    /// Read the password from this file (one final line break is removed).
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
    /// Use the 64-digit key (prompted unless EBAK_KEY or --key-file gives it).
    #[arg(long)]
    key: bool,
    /// Read the 64-digit key from this file.
    #[arg(long, value_name = "FILE")]
    key_file: Option<PathBuf>,
}

impl SecretFlags {
    fn sources(&self) -> Sources {
        Sources {
            password: self.password,
            password_file: self.password_file.clone(),
            key: self.key,
            key_file: self.key_file.clone(),
            spend_last_guess: false,
        }
    }
}

/// The secret flags of the commands that open an existing backup (which
/// may open through a vault).
#[derive(Debug, Args, Clone, Default)]
struct UnlockFlags {
    #[command(flatten)]
    secrets: SecretFlags,
    /// When the file opens through a vault with one guess left, spend it without asking (without a terminal, the tool refuses otherwise).
    #[arg(long)]
    spend_last_guess: bool,
}

impl UnlockFlags {
    fn sources(&self) -> Sources {
        Sources { spend_last_guess: self.spend_last_guess, ..self.secrets.sources() }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print a fresh 64-digit key.
    Keygen,
    /// Back up files and directory trees (or standard input, `-`) into one encrypted file.
    Backup {
        /// Files and directories to back up, or `-` for standard input.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// The backup file to write (`-` for standard output), or s3://BUCKET/KEY.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        #[command(flatten)]
        secrets: SecretFlags,
        /// Make a new 64-digit key for this backup and print it once.
        #[arg(long)]
        new_key: bool,
        /// Application context bound into the payload (must be given again to restore).
        #[arg(long, default_value = "", value_name = "TEXT")]
        context: String,
        /// Do not compress (zstd is used by default).
        #[arg(long)]
        no_compress: bool,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
        /// Leave out what matches PATTERN (repeatable): `*.tmp` matches names at any depth, `photos/cache` a path in the backup (as `ebak ls` shows it); `*`, `?`, `[a-z]`, `**`.
        #[arg(long, value_name = "PATTERN")]
        exclude: Vec<String>,
        /// Leave out what matches the patterns in FILE, one a line (`#` starts a comment line).
        #[arg(long, value_name = "FILE")]
        exclude_file: Vec<PathBuf>,
        /// Register the backup key on this key vault under the password (instead of a password slot): the vault allows 10 wrong guesses, then destroys its copy. The 64-digit key is printed as with --new-key (unless --key gives one).
        #[arg(long, value_name = "URL")]
        vault: Option<String>,
        /// The vault key id to expect (32 hex digits, as `ebak-vault keys` prints it); without it, the key the vault presents is shown and pinned in the backup.
        #[arg(long, value_name = "HEX", requires = "vault")]
        vault_key: Option<String>,
    },
    /// Restore a backup into a directory (-C), all of it or the PATHs named, or as one stream (-o).
    Restore {
        /// The backup file (`-` for standard input), or s3://BUCKET/KEY.
        file: PathBuf,
        /// Restore only these entries (names as `ebak ls` shows them), with what is under them.
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Restore the files into this directory (created if missing; what exists there is replaced only with --force, which merges).
        #[arg(short = 'C', long = "directory", value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Write the content as one stream to this file (`-` for standard output).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Write the decrypted payload as it is, without decoding the ebak content (for backups made by other applications).
        #[arg(long)]
        raw: bool,
        /// Replace an existing target (-o), or restore into existing entries (-C): files and symlinks the backup holds are replaced, the rest kept.
        #[arg(long)]
        force: bool,
        /// Set every extended attribute, security.* and trusted.* included (as root, owners, groups, user.* attributes and ACLs are set without it).
        #[arg(long)]
        xattrs: bool,
        #[command(flatten)]
        secrets: UnlockFlags,
        /// The application context the backup was made with.
        #[arg(long, default_value = "", value_name = "TEXT")]
        context: String,
    },
    /// List the files in a backup (names, sizes, modes, times); write nothing.
    Ls {
        /// The backup file (`-` for standard input), or s3://BUCKET/KEY.
        file: PathBuf,
        #[command(flatten)]
        secrets: UnlockFlags,
        /// The application context the backup was made with.
        #[arg(long, default_value = "", value_name = "TEXT")]
        context: String,
    },
    /// Authenticate a whole backup and decode its content; write nothing.
    Verify {
        /// The backup file (`-` for standard input), or s3://BUCKET/KEY.
        file: PathBuf,
        #[command(flatten)]
        secrets: UnlockFlags,
        /// The application context the backup was made with.
        #[arg(long, default_value = "", value_name = "TEXT")]
        context: String,
    },
    /// Show a backup's format, key slots and sizes (needs no secret).
    Inspect {
        /// The backup file (`-` for standard input), or s3://BUCKET/KEY.
        file: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change, add or remove a password; the payload is not touched.
    Passwd {
        /// The backup file (rewritten in place, atomically), or s3://BUCKET/KEY (uploaded anew: a full copy).
        file: PathBuf,
        /// Add a password instead of changing one.
        #[arg(long, conflicts_with = "remove")]
        add: bool,
        /// Remove a password.
        #[arg(long)]
        remove: bool,
        /// The key slot to change or remove (see `ebak inspect`).
        #[arg(long, value_name = "N")]
        slot: Option<usize>,
        #[command(flatten)]
        secrets: UnlockFlags,
        /// Read the new password from this file (else EBAK_NEW_PASSWORD, else a prompt).
        #[arg(long, value_name = "FILE")]
        new_password_file: Option<PathBuf>,
    },
    /// Re-encrypt under a new backup key: revokes a leaked password or key for this file.
    Rotate {
        /// The backup file (rewritten in place, atomically), or s3://BUCKET/KEY (uploaded anew: a full copy).
        file: PathBuf,
        #[command(flatten)]
        secrets: UnlockFlags,
        /// Read the new password from this file (else EBAK_NEW_PASSWORD, else a prompt).
        #[arg(long, value_name = "FILE")]
        new_password_file: Option<PathBuf>,
        /// No password on the new file (requires --new-key).
        #[arg(long)]
        no_password: bool,
        /// Print the new 64-digit key once.
        #[arg(long)]
        new_key: bool,
        /// The application context the backup was made with.
        #[arg(long, default_value = "", value_name = "TEXT")]
        context: String,
    },
    /// The backup key vault a backup's vault slot names.
    #[command(subcommand)]
    Vault(VaultCommand),
    /// Open a WhatsApp end-to-end encrypted backup (.crypt15) with its 64-digit key or key file: write the database, or re-seal it into an ebak backup.
    ImportWhatsapp(ebak_cli::whatsapp::ImportArgs),
}

#[derive(Debug, Subcommand)]
enum VaultCommand {
    /// What the vault says about the backup's record: state and guesses left (no password needed, no guess spent).
    Status {
        /// The backup file (`-` for standard input), or s3://BUCKET/KEY.
        file: PathBuf,
    },
    /// Turn the vault off for this backup: log in with the password and delete the record; afterwards only the 64-digit key (and any password slot) opens the file, which is left as it is.
    Delete {
        /// The backup file (`-` for standard input), or s3://BUCKET/KEY.
        file: PathBuf,
        #[command(flatten)]
        secrets: UnlockFlags,
    },
}

fn run(cli: Cli) -> Result<(), CliError> {
    let global = Global { quiet: cli.quiet, threads: cli.threads };
    ebak_cli::progress::set_quiet(cli.quiet);
    ebak_cli::remote::set_flags(ebak_cli::remote::S3Flags { endpoint: cli.s3_endpoint, region: cli.s3_region });
    match cli.command {
        Command::Keygen => commands::keygen(),
        Command::Backup {
            paths,
            output,
            secrets,
            new_key,
            context,
            no_compress,
            force,
            exclude,
            exclude_file,
            vault,
            vault_key,
        } => commands::backup(
            &BackupArgs {
                paths,
                output,
                sources: secrets.sources(),
                new_key,
                context,
                no_compress,
                force,
                exclude,
                exclude_files: exclude_file,
                vault,
                vault_key,
            },
            global,
        ),
        Command::Restore { file, paths, dir, output, raw, force, xattrs, secrets, context } => commands::restore(
            &RestoreArgs { file, dir, output, raw, force, sources: secrets.sources(), context, paths, xattrs },
            global,
        ),
        Command::Ls { file, secrets, context } => {
            commands::ls(&LsArgs { file, sources: secrets.sources(), context }, global)
        }
        Command::Verify { file, secrets, context } => {
            commands::verify(&VerifyArgs { file, sources: secrets.sources(), context }, global)
        }
        Command::Inspect { file, json } => commands::inspect(&file, json),
        Command::Passwd { file, add, remove, slot, secrets, new_password_file } => {
            let action = if add {
                PasswdAction::Add
            } else if remove {
                PasswdAction::Remove
            } else {
                PasswdAction::Change
            };
            commands::passwd(&PasswdArgs { file, action, slot, sources: secrets.sources(), new_password_file }, global)
        }
        Command::Rotate { file, secrets, new_password_file, no_password, new_key, context } => commands::rotate(
            &RotateArgs { file, sources: secrets.sources(), new_password_file, no_password, new_key, context },
            global,
        ),
        Command::Vault(VaultCommand::Status { file }) => {
            commands::vault_status(&VaultArgs { file, sources: Sources::default() })
        }
        Command::Vault(VaultCommand::Delete { file, secrets }) => {
            commands::vault_delete(&VaultArgs { file, sources: secrets.sources() }, global)
        }
        Command::ImportWhatsapp(args) => ebak_cli::whatsapp::import(&args, global),
    }
}

fn main() -> ExitCode {
    ebak_cli::interrupt::catch_file_size_limit();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let usage = e.use_stderr();
            let _ = e.print();
            return ExitCode::from(if usage { Exit::Usage as u8 } else { 0 });
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ebak: {}", ebak_cli::error::printable(&e.message));
            ExitCode::from(e.exit as u8)
        }
    }
}
