//! The ground floor: plain words every other module speaks and that import nothing above them.
//!
//! Which networks exist and how each counts a message's length, what makes two links the same
//! article, and how admins write durations. Anything here may be used by any floor; nothing here
//! may use `config`, `feed`, `archive` or anything higher (see ARCHITECTURE.md and the floors
//! test).

mod duration;
mod glob;
mod kind;
pub(crate) mod length;
mod link;
mod tlds;

pub(crate) use duration::HumanDuration;
pub use glob::UrlGlob;
pub use kind::NetworkKind;
pub use length::LengthRule;
pub use link::article_key;
pub(crate) use link::key_of;
pub(crate) use link::same_article;
