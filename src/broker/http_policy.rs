//! How every broker REST client behaves on the network, whatever the broker: its timeouts and request budgets,
//! which failures a read may retry (429 and transient ones, after a doubling backoff; writes never, because
//! only the executor can tell whether a lost acknowledgement means the order exists), and how a transport
//! failure is reported without the URL, which can carry an API key.

use std::future::Future;
use std::time::Duration;

use super::{BrokerError, ErrorClass, RateBudget, RateLimit};

/// Tunables of a REST client; `Default` is Upstox's published limits.
#[derive(Debug, Clone)]
pub struct RestSettings {
    pub timeout: Duration,
    pub standard_budget: RateBudget,
    pub order_budget: RateBudget,
    /// Attempts for a read that meets 429 or a transient failure, the first included.
    pub read_attempts: u32,
    pub read_backoff: Duration,
}

impl Default for RestSettings {
    fn default() -> Self {
        RestSettings {
            timeout: Duration::from_secs(10),
            standard_budget: RateBudget::UPSTOX_STANDARD,
            order_budget: RateBudget::UPSTOX_ORDERS,
            read_attempts: 3,
            read_backoff: Duration::from_millis(250),
        }
    }
}

impl RestSettings {
    /// HDFC Sky publishes no limits: requests are paced about 167 ms apart (`RateBudget::HDFCSKY_STANDARD`), as
    /// integrators who met its 429s space theirs, and a 429 is backed off from 500 ms.
    pub fn hdfcsky() -> Self {
        RestSettings {
            timeout: Duration::from_secs(10),
            standard_budget: RateBudget::HDFCSKY_STANDARD,
            order_budget: RateBudget::HDFCSKY_ORDERS,
            read_attempts: 4,
            read_backoff: Duration::from_millis(500),
        }
    }

    /// Budgets for a broker whose clock runs `speed` times faster than the wall clock (the simulator's): the
    /// limiter counts wall-clock time, so the same requests per simulated second need `speed` times the room.
    pub fn for_speed(self, speed: f64) -> Self {
        let scale = |n: u32| (f64::from(n) * speed.max(1.0)).min(f64::from(u32::MAX)) as u32;
        let budget = |b: RateBudget| RateBudget {
            per_second: scale(b.per_second),
            per_minute: scale(b.per_minute),
            per_30_minutes: scale(b.per_30_minutes),
            paced: b.paced,
        };
        RestSettings {
            standard_budget: budget(self.standard_budget),
            order_budget: budget(self.order_budget),
            ..self
        }
    }

    /// One attempt per read: for a feed, which has its own backoff and must not sleep on real time beneath it.
    pub fn single_attempt(self) -> Self {
        RestSettings {
            read_attempts: 1,
            ..self
        }
    }
}

/// Runs `attempt` within `limit`, again after a doubling backoff while it fails with 429 or a transient error
/// and attempts remain.
pub(crate) async fn read_with_retries<T, F, Fut>(
    settings: &RestSettings,
    limit: &RateLimit,
    endpoint: &str,
    mut attempt: F,
) -> Result<T, BrokerError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, BrokerError>>,
{
    let mut number = 1;
    loop {
        limit.acquire().await;
        match attempt().await {
            Err(e) if retryable(&e) && number < settings.read_attempts => {
                let wait = settings.read_backoff * 2u32.pow(number - 1);
                tracing::warn!(endpoint, class = %e.class, attempt = number, ?wait, "retrying a read");
                tokio::time::sleep(wait).await;
                number += 1;
            }
            result => return result,
        }
    }
}

fn retryable(e: &BrokerError) -> bool {
    matches!(e.class, ErrorClass::RateLimited | ErrorClass::Transient)
}

/// The HTTP client of a broker's REST calls: its user agent and `settings`' timeout, TLS by rustls.
pub(crate) fn http_client(
    user_agent: &str,
    settings: &RestSettings,
) -> Result<reqwest::Client, BrokerError> {
    reqwest::Client::builder()
        .user_agent(user_agent)
        .timeout(settings.timeout)
        .build()
        .map_err(|e| BrokerError::new(ErrorClass::Transient, "client setup", e.to_string()))
}

/// Sends `request` and reads its whole answer: the HTTP status and the body, whatever the status.
pub(crate) async fn exchange(
    request: reqwest::RequestBuilder,
    endpoint: &str,
) -> Result<(u16, bytes::Bytes), BrokerError> {
    let response = request
        .send()
        .await
        .map_err(|e| transport_error(&e, endpoint))?;
    let status = response.status().as_u16();
    let body = read_body(response, MAX_BODY_BYTES, endpoint).await?;
    Ok((status, body))
}

/// The largest answer body read from a broker's REST API. A busy day's order book is well under 1 MiB; a larger
/// answer is broken or hostile and is refused before it fills memory.
pub(crate) const MAX_BODY_BYTES: usize = 16 << 20;

/// Reads `response`'s body, refusing one longer than `limit` bytes: `Malformed` for a 2xx (with the status, so an
/// order answer stays an unknown outcome, to be looked up), else classed by its status as any failure is.
pub(crate) async fn read_body(
    mut response: reqwest::Response,
    limit: usize,
    endpoint: &str,
) -> Result<bytes::Bytes, BrokerError> {
    let status = response.status().as_u16();
    let class = if (200..300).contains(&status) {
        ErrorClass::Malformed
    } else {
        ErrorClass::from_status(status)
    };
    let too_large = || BrokerError {
        status: Some(status),
        ..BrokerError::new(
            class,
            endpoint,
            format!("the answer is larger than {limit} bytes; refused unread"),
        )
    };
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| transport_error(&e, endpoint))?
    {
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.into())
}

/// The broker's clock from an answer's `Date` header (whole seconds), for measuring this machine's offset.
pub(crate) fn date_header(response: &reqwest::Response) -> Option<chrono::DateTime<chrono::Utc>> {
    response
        .headers()
        .get(reqwest::header::DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok())
        .map(|d| d.to_utc())
}

/// A failed request as a broker error that keeps only the kind of failure: reqwest's message may repeat the URL.
pub(crate) fn transport_error(e: &reqwest::Error, endpoint: &str) -> BrokerError {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the answer was cut off"
    } else {
        "the request failed"
    };
    BrokerError::new(ErrorClass::Transient, endpoint, kind)
}

/// The start of an error body that is not the broker's usual shape, for the message.
pub(crate) fn body_snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let snippet: String = text.chars().take(120).collect();
    if snippet.trim().is_empty() {
        "no error body".to_string()
    } else {
        format!("unexpected error body: {snippet}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A server answering every request with a 2xx of `length` bytes, announced or chunked.
    async fn answering(length: usize, announced: bool) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut request = [0u8; 1024];
                let _ = socket.read(&mut request).await;
                let head = if announced {
                    format!("HTTP/1.1 200 OK\r\ncontent-length: {length}\r\n\r\n")
                } else {
                    format!("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n{length:x}\r\n")
                };
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(&vec![b'x'; length]).await;
                if !announced {
                    let _ = socket.write_all(b"\r\n0\r\n\r\n").await;
                }
            }
        });
        format!("http://{address}/")
    }

    #[tokio::test]
    async fn an_answer_beyond_the_body_limit_is_refused_whether_announced_or_not() {
        let client = reqwest::Client::new();
        for announced in [true, false] {
            let url = answering(MAX_BODY_BYTES + 1, announced).await;
            let error = exchange(client.get(&url), "/big").await.unwrap_err();
            assert_eq!(error.class, ErrorClass::Malformed, "{error}");
            assert!(
                error.outcome_unknown(),
                "a 2xx too large to read may have acted"
            );
            assert!(error.message.contains("larger than"), "{error}");
        }
        let url = answering(1000, false).await;
        let (status, body) = exchange(client.get(&url), "/small").await.unwrap();
        assert_eq!((status, body.len()), (200, 1000));
    }
}
