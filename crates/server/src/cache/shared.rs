//! Redis as a second cache level shared by replicas, and the purge channel
//! that carries one replica's purge to all of them.
//!
//! An entry is stored under `starling:entry:{key}` with its body, surrogate
//! keys and the time the source produced it, so every replica computes the
//! same age. Each surrogate key has a set `starling:tag:{tag}` of the entry
//! keys carrying it, so that a purge can find them.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use thiserror::Error;

use super::Entry;

/// Time allowed for one Redis call, connection included. A lookup that
/// takes longer is skipped, so a slow or absent Redis costs each cache miss
/// at most this much before the source is asked.
const REDIS_TIMEOUT: Duration = Duration::from_millis(100);

/// Pub/sub channel that carries purged surrogate keys, one per line.
pub const PURGE_CHANNEL: &str = "starling:purge";

/// A failed Redis call.
#[derive(Debug, Error)]
pub enum SharedError {
    /// Redis returned an error or the connection failed.
    #[error("redis {operation} failed: {source}")]
    Failed {
        operation: &'static str,
        #[source]
        source: redis::RedisError,
    },
    /// Redis did not respond within [`REDIS_TIMEOUT`].
    #[error("redis {operation} timed out after {} ms", REDIS_TIMEOUT.as_millis())]
    TimedOut { operation: &'static str },
}

fn failed(operation: &'static str) -> impl FnOnce(redis::RedisError) -> SharedError {
    move |source| SharedError::Failed { operation, source }
}

/// Runs one Redis call within [`REDIS_TIMEOUT`].
async fn bounded<T>(
    operation: &'static str,
    call: impl Future<Output = Result<T, SharedError>>,
) -> Result<T, SharedError> {
    tokio::time::timeout(REDIS_TIMEOUT, call)
        .await
        .unwrap_or(Err(SharedError::TimedOut { operation }))
}

/// Connection to the shared level.
#[derive(Clone)]
pub struct SharedCache {
    client: redis::Client,
    connection: ConnectionManager,
}

impl std::fmt::Debug for SharedCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedCache").finish_non_exhaustive()
    }
}

impl SharedCache {
    /// Connects to `url`, such as `redis://127.0.0.1:6379/`.
    /// Fails at once when Redis does not accept a connection within a
    /// second.
    pub async fn connect(url: &str) -> Result<SharedCache, SharedError> {
        let client = redis::Client::open(url).map_err(failed("open"))?;
        // Reconnection happens in the background; each call waits for at
        // most REDIS_TIMEOUT, so one quick retry is enough here.
        let config = ConnectionManagerConfig::new()
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500))
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(REDIS_TIMEOUT));
        let connection = ConnectionManager::new_with_config(client.clone(), config)
            .await
            .map_err(failed("connect"))?;
        Ok(SharedCache { client, connection })
    }

    /// Reads an entry; `None` when it is absent or unreadable.
    pub async fn get(&self, key: &str) -> Result<Option<Entry>, SharedError> {
        let mut connection = self.connection.clone();
        let stored: Option<Vec<u8>> = bounded("GET", async {
            connection.get(entry_key(key)).await.map_err(failed("GET"))
        })
        .await?;
        Ok(stored.and_then(|bytes| decode(&bytes)))
    }

    /// Stores an entry for `lifetime` and indexes it under its surrogate
    /// keys.
    pub async fn put(
        &self,
        key: &str,
        entry: &Entry,
        lifetime: Duration,
    ) -> Result<(), SharedError> {
        let mut connection = self.connection.clone();
        let millis = lifetime.as_millis().max(1) as u64;
        let mut pipe = redis::pipe();
        pipe.pset_ex(entry_key(key), encode(entry), millis).ignore();
        for tag in &entry.tags {
            pipe.sadd(tag_key(tag), key).ignore();
            pipe.pexpire(tag_key(tag), millis as i64).ignore();
        }
        bounded("SET", async {
            pipe.query_async::<()>(&mut connection)
                .await
                .map_err(failed("SET"))
        })
        .await
    }

    /// Deletes the entries carrying any of `tags` and tells every replica
    /// to drop them too.
    pub async fn purge(&self, tags: &[String]) -> Result<(), SharedError> {
        let mut connection = self.connection.clone();
        for tag in tags {
            let members: Vec<String> = connection
                .smembers(tag_key(tag))
                .await
                .map_err(failed("SMEMBERS"))?;
            let mut doomed: Vec<String> = members.iter().map(|k| entry_key(k)).collect();
            doomed.push(tag_key(tag));
            let _: () = connection.del(doomed).await.map_err(failed("DEL"))?;
        }
        let _: () = connection
            .publish(PURGE_CHANNEL, tags.join("\n"))
            .await
            .map_err(failed("PUBLISH"))?;
        Ok(())
    }

    /// Listens on the purge channel for as long as the process runs,
    /// calling `on_purge` with the surrogate keys of each message;
    /// reconnects after a second when the connection drops.
    pub fn listen(&self, on_purge: Arc<dyn Fn(Vec<String>) + Send + Sync>) {
        let client = self.client.clone();
        tokio::spawn(async move {
            // Failures repeat every second while Redis is down; the first is
            // logged, then one in sixty.
            let mut failures: u64 = 0;
            loop {
                match client.get_async_pubsub().await {
                    Ok(mut pubsub) => {
                        if let Err(error) = pubsub.subscribe(PURGE_CHANNEL).await {
                            if failures.is_multiple_of(60) {
                                tracing::error!(%error, failures, "redis SUBSCRIBE failed; retrying every second");
                            }
                            failures += 1;
                        } else {
                            failures = 0;
                            tracing::info!(channel = PURGE_CHANNEL, "listening for purges");
                            let mut messages = pubsub.on_message();
                            while let Some(message) = messages.next().await {
                                let payload: String = message.get_payload().unwrap_or_default();
                                let tags = payload
                                    .lines()
                                    .filter(|line| !line.is_empty())
                                    .map(str::to_owned)
                                    .collect();
                                on_purge(tags);
                            }
                            tracing::warn!("redis purge subscription closed; reconnecting in 1 s");
                        }
                    }
                    Err(error) => {
                        if failures.is_multiple_of(60) {
                            tracing::error!(%error, failures, "redis pub/sub connection failed; retrying every second");
                        }
                        failures += 1;
                    }
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
}

fn entry_key(key: &str) -> String {
    format!("starling:entry:{key}")
}

fn tag_key(tag: &str) -> String {
    format!("starling:tag:{tag}")
}

/// Layout: stored_at_ms (8 bytes, little endian), tag count (4), then each
/// tag as length (4) and bytes, then the body.
fn encode(entry: &Entry) -> Vec<u8> {
    let mut out = Vec::with_capacity(entry.body.len() + 64);
    out.extend_from_slice(&entry.stored_at_ms.to_le_bytes());
    out.extend_from_slice(&(entry.tags.len() as u32).to_le_bytes());
    for tag in &entry.tags {
        out.extend_from_slice(&(tag.len() as u32).to_le_bytes());
        out.extend_from_slice(tag.as_bytes());
    }
    out.extend_from_slice(&entry.body);
    out
}

fn decode(bytes: &[u8]) -> Option<Entry> {
    let (stored_at, mut rest) = bytes.split_first_chunk::<8>()?;
    let (count, after) = rest.split_first_chunk::<4>()?;
    rest = after;
    let count = u32::from_le_bytes(*count) as usize;
    let mut tags = Vec::with_capacity(count.min(1024));
    for _ in 0..count {
        let (length, after) = rest.split_first_chunk::<4>()?;
        let length = u32::from_le_bytes(*length) as usize;
        if after.len() < length {
            return None;
        }
        let (tag, after) = after.split_at(length);
        tags.push(String::from_utf8(tag.to_vec()).ok()?);
        rest = after;
    }
    let mut entry = Entry::new(Bytes::copy_from_slice(rest), tags);
    entry.stored_at_ms = u64::from_le_bytes(*stored_at);
    Some(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_layout_round_trips() {
        let mut entry = Entry::new(
            Bytes::from_static(b"{\"badges\":[]}"),
            vec!["shop-a".to_owned(), "product-a-1".to_owned()],
        );
        entry.stored_at_ms = 1_234_567;
        let decoded = decode(&encode(&entry)).expect("decodes");
        assert_eq!(decoded.body, entry.body);
        assert_eq!(decoded.tags, entry.tags);
        assert_eq!(decoded.stored_at_ms, 1_234_567);
        assert_eq!(decoded.etag, entry.etag);
    }

    #[test]
    fn truncated_entry_is_rejected() {
        let entry = Entry::new(Bytes::from_static(b"x"), vec!["shop-a".to_owned()]);
        let bytes = encode(&entry);
        assert!(decode(&bytes[..10]).is_none());
        assert!(decode(&[]).is_none());
    }
}
