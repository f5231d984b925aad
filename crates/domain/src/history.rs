//! Verifiable history: every change to a case is an event whose hash covers the one before it,
//! so that altering, reordering or cutting the history shows on recomputation.

use sha2::{Digest, Sha256};

/// The hash a chain starts from.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One event as it is hashed: exactly the stored values, `data` as its stored JSON text.
#[derive(Debug, Clone, Copy)]
pub struct EventFields<'a> {
    pub case_id: i64,
    pub seq: i64,
    /// Milliseconds since the Unix epoch.
    pub at_ms: i64,
    pub actor: &'a str,
    pub action: &'a str,
    pub data: &'a str,
}

/// SHA-256 over the previous hash and every field, each length-prefixed so that no two
/// different events can run together into the same bytes.
pub fn event_hash(previous: &str, event: EventFields<'_>) -> String {
    let mut hasher = Sha256::new();
    for part in [
        previous,
        &event.case_id.to_string(),
        &event.seq.to_string(),
        &event.at_ms.to_string(),
        event.actor,
        event.action,
        event.data,
    ] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hex(&hasher.finalize())
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What is wrong with one case's history.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("event {expected} is missing (found seq {found})")]
    Gap { expected: i64, found: i64 },
    #[error("event {seq} does not match its hash: it was altered")]
    Altered { seq: i64 },
    #[error("the history ends at event {found} but the case records {expected} events: it was cut")]
    Cut { expected: i64, found: i64 },
    #[error("the last hash differs from the one the case records")]
    HeadMismatch,
}

/// A stored event with its stored hash.
pub struct StoredEvent<'a> {
    pub fields: EventFields<'a>,
    pub hash: &'a str,
}

/// Recomputes a chain in `seq` order and compares it with the head the case row records
/// (`head_seq`, `head_hash`), which catches a cut at the end of the chain too.
pub fn verify_chain<'a>(
    events: impl IntoIterator<Item = StoredEvent<'a>>,
    head_seq: i64,
    head_hash: &str,
) -> Result<(), ChainBreak> {
    let mut previous = GENESIS.to_owned();
    let mut expected_seq = 1;
    for event in events {
        if event.fields.seq != expected_seq {
            return Err(ChainBreak::Gap { expected: expected_seq, found: event.fields.seq });
        }
        let computed = event_hash(&previous, event.fields);
        if computed != event.hash {
            return Err(ChainBreak::Altered { seq: event.fields.seq });
        }
        previous = computed;
        expected_seq += 1;
    }
    let last_seq = expected_seq - 1;
    if last_seq != head_seq {
        return Err(ChainBreak::Cut { expected: head_seq, found: last_seq });
    }
    if previous != head_hash {
        return Err(ChainBreak::HeadMismatch);
    }
    Ok(())
}

/// The head of a chain as of a cut-off: the last event (in `seq` order) written before
/// `cutoff_ms`, as (seq, hash); `None` when the chain starts after it. Events come in `seq`
/// order as (seq, at in milliseconds, hash).
pub fn head_as_of<'a>(events: impl IntoIterator<Item = (i64, i64, &'a str)>, cutoff_ms: i64) -> Option<(i64, &'a str)> {
    events.into_iter().filter(|(_, at, _)| *at < cutoff_ms).last().map(|(seq, _, hash)| (seq, hash))
}

/// The digest of a daily checkpoint: SHA-256 over the previous checkpoint's root and every
/// case's head as of the cut-off ([`head_as_of`]), in case id order. Each head's hash covers its
/// whole chain, so a history cut or rewritten before the cut-off changes it, even when the case
/// row's recorded head was fixed to match. The store keys it into the checkpoint's root (HMAC
/// under a key only the server holds); checkpoints taken before that used it as their root.
pub struct CheckpointRoot {
    hasher: Sha256,
    pub cases: u64,
}

impl CheckpointRoot {
    pub fn new(previous_root: &str) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(previous_root.as_bytes());
        CheckpointRoot { hasher, cases: 0 }
    }

    /// Adds one case's head; cases come in id order.
    pub fn add(&mut self, case_id: i64, seq: i64, hash: &str) {
        self.hasher.update(format!("\n{case_id}:{seq}:{hash}").as_bytes());
        self.cases += 1;
    }

    pub fn finish(self) -> String {
        hex(&self.hasher.finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<(EventFields<'static>, String)> {
        let mut previous = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let fields = EventFields {
                    case_id: 7,
                    seq,
                    at_ms: 1_700_000_000_000 + seq,
                    actor: "intake",
                    action: "note",
                    data: "{}",
                };
                previous = event_hash(&previous, fields);
                (fields, previous.clone())
            })
            .collect()
    }

    fn verify(events: &[(EventFields<'_>, String)], head_seq: i64, head_hash: &str) -> Result<(), ChainBreak> {
        verify_chain(events.iter().map(|(fields, hash)| StoredEvent { fields: *fields, hash }), head_seq, head_hash)
    }

    #[test]
    fn an_intact_chain_verifies() {
        let events = chain(3);
        assert_eq!(verify(&events, 3, &events[2].1), Ok(()));
    }

    #[test]
    fn altering_cutting_or_removing_is_found() {
        let events = chain(3);
        let head = events[2].1.clone();
        let mut altered = events.clone();
        altered[1].0.data = r#"{"x":1}"#;
        assert_eq!(verify(&altered, 3, &head), Err(ChainBreak::Altered { seq: 2 }));
        assert_eq!(verify(&events[..2], 3, &head), Err(ChainBreak::Cut { expected: 3, found: 2 }));
        let gap = [events[0].clone(), events[2].clone()];
        assert_eq!(verify(&gap, 3, &head), Err(ChainBreak::Gap { expected: 2, found: 3 }));
        assert_eq!(verify(&events, 3, GENESIS), Err(ChainBreak::HeadMismatch));
    }

    #[test]
    fn the_head_as_of_a_cut_off_is_the_last_event_before_it() {
        let events = chain(3);
        let rows = || events.iter().map(|(fields, hash)| (fields.seq, fields.at_ms, hash.as_str()));
        assert_eq!(head_as_of(rows(), 1_700_000_000_000), None);
        assert_eq!(head_as_of(rows(), 1_700_000_000_003), Some((2, events[1].1.as_str())));
        assert_eq!(head_as_of(rows(), i64::MAX), Some((3, events[2].1.as_str())));
        let root = |heads: &[(i64, i64, &str)]| {
            let mut root = CheckpointRoot::new(GENESIS);
            heads.iter().for_each(|(case, seq, hash)| root.add(*case, *seq, hash));
            root.finish()
        };
        assert_ne!(root(&[(7, 3, &events[2].1)]), root(&[(7, 2, &events[1].1)]));
    }

    #[test]
    fn fields_cannot_run_together() {
        let a = EventFields { case_id: 1, seq: 1, at_ms: 0, actor: "ab", action: "c", data: "" };
        let b = EventFields { actor: "a", action: "bc", ..a };
        assert_ne!(event_hash(GENESIS, a), event_hash(GENESIS, b));
    }
}
