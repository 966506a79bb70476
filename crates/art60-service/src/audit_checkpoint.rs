//! Signed checkpoints of the audit chain (issue 14 §1).
//!
//! The chain makes editing, deleting or reordering an entry visible, and `audit_head` made a
//! cut tail visible, but someone who can write to the database can also rewrite
//! `audit_head`. A checkpoint is the head (how many entries, the last hash) signed with an
//! ed25519 key kept outside the database (a key file or the environment): without the key
//! nobody can sign a shorter head. `art60 audit verify --public-key` checks the chain against
//! the latest checkpoint, from the database and, when the operator keeps one, from an
//! append-only file outside it (deleting checkpoint rows then shows too).
//!
//! Checkpoints are written periodically by `art60 serve --audit-key-file` and on demand by
//! `art60 audit checkpoint`.

use std::fmt;
use std::io::Write as _;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, SubsecRound, Utc};
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, Set};
use serde::{Deserialize, Serialize};

use crate::db::{Db, audit_checkpoint, audit_head};
use crate::error::{Result, ServiceError};

/// The private key that signs checkpoints. No `Debug` of the secret.
pub struct CheckpointKey(SigningKey);

impl fmt::Debug for CheckpointKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CheckpointKey(public {})", self.public_key())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{what}: not base64 ({0})", what = .1)]
    Base64(base64::DecodeError, &'static str),
    #[error("{0}: an ed25519 key is 32 bytes (base64 of 32 bytes)")]
    Length(&'static str),
    #[error("public key: not a valid ed25519 point")]
    Point,
    #[error("key file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

fn bytes32(text: &str, what: &'static str) -> std::result::Result<[u8; 32], KeyError> {
    let raw = B64
        .decode(text.trim())
        .map_err(|e| KeyError::Base64(e, what))?;
    raw.try_into().map_err(|_| KeyError::Length(what))
}

impl CheckpointKey {
    /// A new random key.
    pub fn generate() -> CheckpointKey {
        let mut seed = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut seed);
        CheckpointKey(SigningKey::from_bytes(&seed))
    }

    /// From its text form: base64 of the 32-byte secret (what [`Self::to_text`] writes).
    pub fn from_text(text: &str) -> std::result::Result<CheckpointKey, KeyError> {
        Ok(CheckpointKey(SigningKey::from_bytes(&bytes32(
            text,
            "audit key",
        )?)))
    }

    pub fn from_file(path: &Path) -> std::result::Result<CheckpointKey, KeyError> {
        let text = std::fs::read_to_string(path).map_err(|source| KeyError::Io {
            path: path.display().to_string(),
            source,
        })?;
        CheckpointKey::from_text(&text)
    }

    pub fn to_text(&self) -> String {
        B64.encode(self.0.to_bytes())
    }

    /// Base64 of the public key: what `audit verify --public-key` takes.
    pub fn public_key(&self) -> String {
        B64.encode(self.0.verifying_key().to_bytes())
    }
}

/// A signed head, as stored and as written to a checkpoint file (one JSON object a line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    pub signed_at: DateTime<Utc>,
    pub public_key: String,
    pub signature: String,
}

/// What is signed: fixed text, so any implementation can check it.
fn message(seq: i64, hash: &str, signed_at: DateTime<Utc>) -> Vec<u8> {
    format!(
        "art60 audit checkpoint\nseq={seq}\nhash={hash}\nsigned_at={}\n",
        signed_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    )
    .into_bytes()
}

impl Checkpoint {
    /// True when `public_key` (base64) signed this checkpoint.
    pub fn signed_by(&self, public_key: &str) -> bool {
        let Ok(pk) = bytes32(public_key, "public key") else {
            return false;
        };
        let Ok(vk) = VerifyingKey::from_bytes(&pk) else {
            return false;
        };
        let Ok(sig) = B64.decode(&self.signature) else {
            return false;
        };
        let Ok(sig) = <[u8; 64]>::try_from(sig.as_slice()) else {
            return false;
        };
        vk.verify(
            &message(self.seq, &self.hash, self.signed_at),
            &Signature::from_bytes(&sig),
        )
        .is_ok()
    }
}

impl From<audit_checkpoint::Model> for Checkpoint {
    fn from(m: audit_checkpoint::Model) -> Self {
        Checkpoint {
            seq: m.seq,
            hash: m.hash,
            signed_at: m.signed_at,
            public_key: m.public_key,
            signature: m.signature,
        }
    }
}

/// Signs the current head and stores the checkpoint; also appends it to `file` when given.
/// Returns `None` when the head has not moved since the latest checkpoint.
pub async fn write(
    db: &Db,
    now: DateTime<Utc>,
    key: &CheckpointKey,
    file: Option<&Path>,
) -> Result<Option<Checkpoint>> {
    let head = audit_head::Entity::find_by_id(1)
        .one(&db.reads)
        .await?
        .ok_or(ServiceError::Storage(
            "audit_head row missing: the database was not migrated".into(),
        ))?;
    if let Some(last) = latest(db).await?
        && last.seq == head.seq
        && last.hash == head.hash
        && last.public_key == key.public_key()
    {
        return Ok(None);
    }
    let signed_at = now.trunc_subsecs(6);
    let signature = key.0.sign(&message(head.seq, &head.hash, signed_at));
    let cp = Checkpoint {
        seq: head.seq,
        hash: head.hash,
        signed_at,
        public_key: key.public_key(),
        signature: B64.encode(signature.to_bytes()),
    };
    let tx = db.begin_write().await?;
    audit_checkpoint::ActiveModel {
        seq: Set(cp.seq),
        hash: Set(cp.hash.clone()),
        signed_at: Set(cp.signed_at),
        public_key: Set(cp.public_key.clone()),
        signature: Set(cp.signature.clone()),
        ..Default::default()
    }
    .insert(&tx.txn)
    .await?;
    tx.commit().await?;
    if let Some(path) = file {
        append_to_file(path, &cp)?;
    }
    Ok(Some(cp))
}

fn append_to_file(path: &Path, cp: &Checkpoint) -> Result<()> {
    let io = |e: std::io::Error| {
        ServiceError::Storage(format!("checkpoint file {}: {e}", path.display()))
    };
    let mut line =
        serde_json::to_string(cp).map_err(|e| ServiceError::Storage(format!("checkpoint: {e}")))?;
    line.push('\n');
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io)?;
    f.write_all(line.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)
}

/// The latest checkpoint in the database (the highest `seq`, the latest signature).
pub async fn latest(db: &Db) -> Result<Option<Checkpoint>> {
    Ok(audit_checkpoint::Entity::find()
        .order_by_desc(audit_checkpoint::Column::Seq)
        .order_by_desc(audit_checkpoint::Column::Id)
        .one(&db.reads)
        .await?
        .map(Checkpoint::from))
}

/// The checkpoints of a file written by [`write`] (lines that do not parse are reported).
pub fn read_file(path: &Path) -> Result<Vec<Checkpoint>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ServiceError::Storage(format!("checkpoint file {}: {e}", path.display())))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| {
                ServiceError::Storage(format!(
                    "checkpoint file {} line {}: {e}",
                    path.display(),
                    i + 1
                ))
            })
        })
        .collect()
}

/// What the chain says against the checkpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointCheck {
    /// No checkpoint signed by the expected key.
    NoCheckpoint,
    /// The chain holds the checkpoint's entry with its hash (and may go further).
    Holds(Checkpoint),
    /// A checkpoint signed by another key than the expected one: not trusted.
    ForeignKey(Checkpoint),
    /// The chain has fewer entries than the checkpoint signed: its tail was cut.
    TailCut {
        checkpoint: Checkpoint,
        entries: i64,
    },
    /// The entry at the checkpoint's position has another hash: the chain was rewritten.
    Rewritten(Checkpoint),
}

/// Checks the chain (verified up to position `entries`, `hash_at(seq)` the stored hash at a
/// position) against the latest of `checkpoints` that `public_key` signed.
pub fn check(
    checkpoints: &[Checkpoint],
    public_key: &str,
    entries: i64,
    hash_at_seq: impl Fn(i64) -> Option<String>,
) -> CheckpointCheck {
    let mut signed: Vec<&Checkpoint> = checkpoints
        .iter()
        .filter(|c| c.signed_by(public_key))
        .collect();
    signed.sort_by_key(|c| (c.seq, c.signed_at));
    let Some(last) = signed.last() else {
        return match checkpoints.iter().max_by_key(|c| c.seq) {
            Some(c) if c.public_key != public_key => CheckpointCheck::ForeignKey(c.clone()),
            _ => CheckpointCheck::NoCheckpoint,
        };
    };
    let last = (*last).clone();
    if last.seq > entries {
        return CheckpointCheck::TailCut {
            checkpoint: last,
            entries,
        };
    }
    // Seq 0 is the empty chain: the genesis hash, nothing stored.
    if last.seq > 0 && hash_at_seq(last.seq).as_deref() != Some(last.hash.as_str()) {
        return CheckpointCheck::Rewritten(last);
    }
    CheckpointCheck::Holds(last)
}

/// [`check`] against the database: its checkpoints (the latest ones) and `more` (from a
/// checkpoint file), for a chain verified up to position `entries` (`Verification::last_seq`).
pub async fn check_stored(
    db: &Db,
    public_key: &str,
    more: Vec<Checkpoint>,
    entries: i64,
) -> Result<CheckpointCheck> {
    use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};
    // The latest signed by this key; a few of the others show a foreign key.
    let mut all: Vec<Checkpoint> = audit_checkpoint::Entity::find()
        .filter(audit_checkpoint::Column::PublicKey.eq(public_key))
        .order_by_desc(audit_checkpoint::Column::Seq)
        .limit(16)
        .all(&db.reads)
        .await?
        .into_iter()
        .chain(
            audit_checkpoint::Entity::find()
                .order_by_desc(audit_checkpoint::Column::Seq)
                .limit(16)
                .all(&db.reads)
                .await?,
        )
        .map(Checkpoint::from)
        .collect();
    all.extend(more);
    // The hash at the one position `check` asks about, read beforehand.
    let wanted: Vec<i64> = all
        .iter()
        .filter(|c| c.signed_by(public_key))
        .map(|c| c.seq)
        .max()
        .into_iter()
        .collect();
    let mut hashes = std::collections::HashMap::new();
    for seq in wanted {
        if let Some(e) = crate::db::audit_entry::Entity::find_by_id(seq)
            .one(&db.reads)
            .await?
        {
            hashes.insert(seq, e.hash);
        }
    }
    Ok(check(&all, public_key, entries, |seq| {
        hashes.get(&seq).cloned()
    }))
}

/// True when a checkpoint signed by `public_key`, in the database or in `more` (a checkpoint
/// file), names exactly the chain's base: the entries before it were removed by retention
/// from a position the key vouched for, not cut by someone rewriting `audit_base`.
pub async fn base_vouched(
    db: &Db,
    public_key: &str,
    more: &[Checkpoint],
    base: &crate::audit::Base,
) -> Result<bool> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let fits = |c: &Checkpoint| c.seq == base.seq && c.hash == base.hash && c.signed_by(public_key);
    if more.iter().any(fits) {
        return Ok(true);
    }
    Ok(audit_checkpoint::Entity::find()
        .filter(audit_checkpoint::Column::Seq.eq(base.seq))
        .filter(audit_checkpoint::Column::PublicKey.eq(public_key))
        .all(&db.reads)
        .await?
        .into_iter()
        .map(Checkpoint::from)
        .any(|c| fits(&c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cp(key: &CheckpointKey, seq: i64, hash: &str) -> Checkpoint {
        let signed_at = DateTime::<Utc>::from_timestamp(1_800_000_000 + seq, 0).unwrap();
        Checkpoint {
            seq,
            hash: hash.into(),
            signed_at,
            public_key: key.public_key(),
            signature: B64.encode(key.0.sign(&message(seq, hash, signed_at)).to_bytes()),
        }
    }

    #[test]
    fn a_key_reads_back_from_its_text_and_signs_what_it_claims() {
        let k = CheckpointKey::generate();
        let again = CheckpointKey::from_text(&k.to_text()).unwrap();
        assert_eq!(again.public_key(), k.public_key());
        let c = cp(&k, 7, "abc");
        assert!(c.signed_by(&k.public_key()));
        let other = CheckpointKey::generate();
        assert!(!c.signed_by(&other.public_key()));
        let forged = Checkpoint {
            seq: 5,
            ..c.clone()
        };
        assert!(!forged.signed_by(&k.public_key()));
        assert!(CheckpointKey::from_text("not base64!").is_err());
        assert!(CheckpointKey::from_text(&B64.encode([1u8; 31])).is_err());
        assert!(!format!("{k:?}").contains(&k.to_text()));
    }

    #[test]
    fn the_chain_is_checked_against_the_latest_trusted_checkpoint() {
        let k = CheckpointKey::generate();
        let pk = k.public_key();
        let hashes = |seq: i64| Some(format!("h{seq}"));
        let cps = vec![cp(&k, 3, "h3"), cp(&k, 10, "h10")];
        assert_eq!(
            check(&cps, &pk, 12, hashes),
            CheckpointCheck::Holds(cps[1].clone())
        );
        assert_eq!(
            check(&cps, &pk, 8, hashes),
            CheckpointCheck::TailCut {
                checkpoint: cps[1].clone(),
                entries: 8
            }
        );
        assert_eq!(
            check(&cps, &pk, 12, |s| Some(format!("x{s}"))),
            CheckpointCheck::Rewritten(cps[1].clone())
        );
        // A checkpoint signed by someone else's key is not trusted.
        let mallory = CheckpointKey::generate();
        let fake = vec![cp(&mallory, 2, "h2")];
        assert_eq!(
            check(&fake, &pk, 2, hashes),
            CheckpointCheck::ForeignKey(fake[0].clone())
        );
        assert_eq!(check(&[], &pk, 2, hashes), CheckpointCheck::NoCheckpoint);
    }
}
