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
    fn fields_cannot_run_together() {
        let a = EventFields { case_id: 1, seq: 1, at_ms: 0, actor: "ab", action: "c", data: "" };
        let b = EventFields { actor: "a", action: "bc", ..a };
        assert_ne!(event_hash(GENESIS, a), event_hash(GENESIS, b));
    }
}
