//! The one post loop every network goes through: attempt, wait, "did it land?" before any
//! resend, and the answer sorted into a [`PostError`].
//!
//! Written once because this is where a double post would come from: a request that timed out
//! may have been processed, and sending it again must be preceded by a look at the account
//! unless the network deduplicates the request itself. A network gives its request, its look-up
//! and its reading of an answer ([`Delivery`]); the order of things is decided here only.

use super::call::{gave_up, judge, Answer, Attempt, CallError, RetryPolicy};
use super::{PostError, Receipt};
use std::future::Future;

/// Whether sending a post again can make a second one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resend {
    /// It can (X): after an attempt that may have gone through, the account is looked at
    /// before any resend, and a look that fails stops the loop with "unknown".
    LookFirst,
    /// The request carries a key the server keeps (Bluesky's record key, Mastodon's
    /// `Idempotency-Key`): a resend cannot double-post. `look_first` only saves a call when the
    /// look is cheap; its failure is ignored.
    Keyed {
        /// Look at the account before a resend anyway.
        look_first: bool,
    },
    /// Nothing can tell whether it landed (Telegram: a bot cannot read its channel back): an
    /// attempt that may have gone through ends the loop as "unknown", never resent.
    Never,
}

/// What one network brings to the post loop for one post.
pub(crate) trait Delivery: Sync {
    /// The network's name, for the log and error texts ("X").
    fn network(&self) -> &'static str;
    /// The account posting, for the log.
    fn account(&self) -> &str;
    /// How a resend is made safe.
    fn resend(&self) -> Resend;
    /// Sends the post once.
    fn attempt(&self) -> impl Future<Output = Result<Answer, CallError>> + Send;
    /// Reads a non-2xx answer: `None` is a server failure, worth another attempt.
    fn classify(&self, answer: &Answer) -> Option<PostError>;
    /// Says what a server failure was.
    fn describe(&self, answer: &Answer) -> String;
    /// Whether a failed answer surely changed nothing (the API said so in its own words: a
    /// Bot API `"ok": false`, a Threads container not yet ready), so that it is retried
    /// like a request that never arrived. By default a server failure may have been processed.
    fn not_processed(&self, answer: &Answer) -> bool {
        let _ = answer;
        false
    }
    /// The receipt in an accepted answer; `Err` says why the answer was not understood.
    fn receipt(&self, answer: &Answer) -> Result<Receipt, String>;
    /// Looks at the account for this post: it landed (`Some`), it did not, or nobody knows.
    fn look(&self) -> impl Future<Output = Result<Option<Receipt>, PostError>> + Send;
    /// Reads a refusal in context: `ambiguous` when an earlier attempt may have gone through,
    /// so that a network can tell "already there" from a true refusal. By default a refusal
    /// stands.
    fn refused(
        &self,
        refusal: PostError,
        ambiguous: bool,
    ) -> impl Future<Output = Result<Receipt, PostError>> + Send {
        let _ = ambiguous;
        async { Err(refusal) }
    }
}

/// Posts through `d`, at most `retry.attempts()` times, never resending what may have landed
/// without the look its [`Resend`] asks for.
pub(crate) async fn deliver<D: Delivery>(d: &D, retry: RetryPolicy) -> Result<Receipt, PostError> {
    let mut ambiguous = false;
    let mut last = String::new();
    for attempt in 1..=retry.attempts() {
        if attempt > 1 {
            if ambiguous && d.resend() == Resend::Never {
                break;
            }
            retry.wait(attempt, d.account(), d.network(), &last).await;
            if ambiguous {
                if let Some(r) = look_before_resend(d, &last).await? {
                    return Ok(r);
                }
            }
        }
        let result = d.attempt().await;
        let settled = matches!(&result, Ok(a) if !a.status.is_success() && d.not_processed(a));
        match judge(result, |a| d.classify(a), |a| d.describe(a)) {
            Attempt::Accepted(a) => {
                return d.receipt(&a).map_err(|e| PostError::Unknown {
                    reason: format!(
                        "{} accepted the post but its answer was not understood ({e})",
                        d.network()
                    ),
                })
            }
            Attempt::Refused(e) => return d.refused(e, ambiguous).await,
            Attempt::Blocked(e) => return Err(e),
            Attempt::Failed {
                ambiguous: maybe,
                why,
            } => {
                ambiguous |= maybe && !settled;
                last = why;
            }
        }
    }
    // Whether an attempt landed is settled now, while any deduplication key is still fresh.
    let looked = match (ambiguous, d.resend()) {
        (false, _) => None,
        (true, Resend::Never) => Some(Err(PostError::Unknown {
            reason: format!("{} cannot be asked whether a post landed", d.network()),
        })),
        (true, _) => Some(d.look().await),
    };
    gave_up(d.network(), retry.attempts(), &last, looked)
}

/// The look before a resend, as `d`'s [`Resend`] asks: `Some` when the post is there.
async fn look_before_resend<D: Delivery>(d: &D, last: &str) -> Result<Option<Receipt>, PostError> {
    let required = match d.resend() {
        Resend::LookFirst => true,
        Resend::Keyed { look_first: true } => false,
        Resend::Keyed { look_first: false } | Resend::Never => return Ok(None),
    };
    match d.look().await {
        Ok(Some(r)) => {
            tracing::info!(account = %d.account(), post_id = %r.post_id, "the earlier attempt did reach {}: not sending again", d.network());
            Ok(Some(r))
        }
        Ok(None) => Ok(None),
        Err(_) if !required => Ok(None),
        Err(e) => Err(PostError::Unknown {
            reason: format!("{last}; the account's posts could not be checked ({e}), so no retry"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::call::test_answer;
    use std::sync::Mutex;
    use std::time::Duration;

    /// A network whose attempts and looks answer from a script, recording what the loop did.
    struct Scripted {
        resend: Resend,
        attempts: Mutex<Vec<Result<Answer, CallError>>>,
        looks: Mutex<Vec<Result<Option<Receipt>, PostError>>>,
        log: Mutex<Vec<&'static str>>,
    }

    impl Scripted {
        fn new(
            resend: Resend,
            attempts: Vec<Result<Answer, CallError>>,
            looks: Vec<Result<Option<Receipt>, PostError>>,
        ) -> Scripted {
            Scripted {
                resend,
                attempts: Mutex::new(attempts.into_iter().rev().collect()),
                looks: Mutex::new(looks.into_iter().rev().collect()),
                log: Mutex::new(Vec::new()),
            }
        }

        fn log(&self) -> Vec<&'static str> {
            self.log.lock().unwrap().clone()
        }
    }

    impl Delivery for Scripted {
        fn network(&self) -> &'static str {
            "Scripted"
        }
        fn account(&self) -> &str {
            "a"
        }
        fn resend(&self) -> Resend {
            self.resend
        }
        fn attempt(&self) -> impl Future<Output = Result<Answer, CallError>> + Send {
            self.log.lock().unwrap().push("post");
            let next = self
                .attempts
                .lock()
                .unwrap()
                .pop()
                .expect("an attempt too many");
            async { next }
        }
        fn classify(&self, a: &Answer) -> Option<PostError> {
            match a.status.as_u16() {
                403 => Some(PostError::Duplicate {
                    reason: "seen".into(),
                }),
                422 => Some(PostError::SkipArticle {
                    reason: "taken".into(),
                }),
                _ => None,
            }
        }
        fn describe(&self, a: &Answer) -> String {
            format!("HTTP {}", a.status.as_u16())
        }
        fn not_processed(&self, a: &Answer) -> bool {
            a.status.as_u16() == 599
        }
        fn receipt(&self, a: &Answer) -> Result<Receipt, String> {
            let id = std::str::from_utf8(&a.body).map_err(|e| e.to_string())?;
            if id.is_empty() {
                return Err("no id".into());
            }
            Ok(receipt(id))
        }
        fn look(&self) -> impl Future<Output = Result<Option<Receipt>, PostError>> + Send {
            self.log.lock().unwrap().push("look");
            let next = self.looks.lock().unwrap().pop().expect("a look too many");
            async { next }
        }
    }

    fn receipt(id: &str) -> Receipt {
        Receipt {
            post_id: id.into(),
            at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    fn ok(id: &str) -> Result<Answer, CallError> {
        Ok(test_answer(200, &[], id))
    }

    fn timeout() -> Result<Answer, CallError> {
        Err(CallError::Ambiguous("timed out".into()))
    }

    fn refused_connection() -> Result<Answer, CallError> {
        Err(CallError::NotSent("connection refused".into()))
    }

    fn quick(attempts: u32) -> RetryPolicy {
        RetryPolicy {
            attempts,
            base_delay: Duration::ZERO,
        }
    }

    fn run(s: &Scripted, attempts: u32) -> Result<Receipt, PostError> {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(deliver(s, quick(attempts)))
    }

    #[test]
    fn a_timeout_is_looked_for_before_sending_again_and_found_is_not_resent() {
        let s = Scripted::new(
            Resend::LookFirst,
            vec![timeout()],
            vec![Ok(Some(receipt("7")))],
        );
        assert_eq!(run(&s, 3).unwrap().post_id, "7");
        assert_eq!(s.log(), ["post", "look"]);
    }

    #[test]
    fn a_look_that_fails_stops_an_unkeyed_network_as_unknown() {
        let s = Scripted::new(
            Resend::LookFirst,
            vec![timeout()],
            vec![Err(PostError::RetryLater {
                reason: "read 503".into(),
                until: None,
            })],
        );
        assert!(matches!(run(&s, 3), Err(PostError::Unknown { .. })));
        assert_eq!(s.log(), ["post", "look"]);
    }

    #[test]
    fn a_keyed_network_resends_without_looking_and_looks_once_at_the_end() {
        let s = Scripted::new(
            Resend::Keyed { look_first: false },
            vec![timeout(), timeout()],
            vec![Ok(None)],
        );
        assert!(matches!(run(&s, 2), Err(PostError::Unavailable { .. })));
        assert_eq!(s.log(), ["post", "post", "look"]);
    }

    #[test]
    fn a_failed_optional_look_does_not_stop_a_keyed_resend() {
        let s = Scripted::new(
            Resend::Keyed { look_first: true },
            vec![timeout(), ok("9")],
            vec![Err(PostError::Unknown {
                reason: "down".into(),
            })],
        );
        assert_eq!(run(&s, 2).unwrap().post_id, "9");
        assert_eq!(s.log(), ["post", "look", "post"]);
    }

    #[test]
    fn a_request_that_surely_never_arrived_is_resent_without_a_look() {
        let s = Scripted::new(
            Resend::LookFirst,
            vec![refused_connection(), refused_connection(), ok("3")],
            vec![],
        );
        assert_eq!(run(&s, 3).unwrap().post_id, "3");
        assert_eq!(s.log(), ["post", "post", "post"]);
        let s = Scripted::new(Resend::LookFirst, vec![refused_connection()], vec![]);
        assert!(matches!(run(&s, 1), Err(PostError::Unavailable { .. })));
    }

    #[test]
    fn the_last_ambiguous_attempt_is_looked_for_found_or_unknown() {
        let s = Scripted::new(
            Resend::LookFirst,
            vec![timeout()],
            vec![Ok(Some(receipt("5")))],
        );
        assert_eq!(run(&s, 1).unwrap().post_id, "5");
        let s = Scripted::new(
            Resend::LookFirst,
            vec![timeout()],
            vec![Err(PostError::Unknown { reason: "x".into() })],
        );
        assert!(matches!(run(&s, 1), Err(PostError::Unknown { .. })));
    }

    #[test]
    fn refusals_stand_and_an_unreadable_acceptance_is_unknown_never_resent() {
        let s = Scripted::new(
            Resend::LookFirst,
            vec![Ok(test_answer(403, &[], ""))],
            vec![],
        );
        assert!(matches!(run(&s, 3), Err(PostError::Duplicate { .. })));
        assert_eq!(s.log(), ["post"]);
        let s = Scripted::new(Resend::LookFirst, vec![ok("")], vec![]);
        assert!(matches!(run(&s, 3), Err(PostError::Unknown { .. })));
        assert_eq!(s.log(), ["post"]);
    }

    #[test]
    fn a_network_that_cannot_look_never_resends_what_may_have_landed() {
        let s = Scripted::new(Resend::Never, vec![timeout()], vec![]);
        assert!(matches!(run(&s, 3), Err(PostError::Unknown { .. })));
        assert_eq!(s.log(), ["post"]);
        // A connection refused is surely not a post: resent.
        let s = Scripted::new(Resend::Never, vec![refused_connection(), ok("4")], vec![]);
        assert_eq!(run(&s, 3).unwrap().post_id, "4");
    }

    #[test]
    fn an_answer_that_says_nothing_was_done_is_resent_without_a_look() {
        // 599 is what this script's `not_processed` calls "surely not processed".
        let s = Scripted::new(
            Resend::Never,
            vec![Ok(test_answer(599, &[], "")), ok("8")],
            vec![],
        );
        assert_eq!(run(&s, 3).unwrap().post_id, "8");
        assert_eq!(s.log(), ["post", "post"]);
    }

    #[test]
    fn a_server_failure_is_retried_up_to_the_policy() {
        let s = Scripted::new(
            Resend::Keyed { look_first: false },
            vec![Ok(test_answer(500, &[], "")), Ok(test_answer(502, &[], ""))],
            vec![Ok(None)],
        );
        let e = run(&s, 2).unwrap_err();
        assert!(e.to_string().contains("HTTP 502"), "{e}");
        assert_eq!(s.log(), ["post", "post", "look"]);
    }
}
