//! Security rules: TLS, secrets, tokens and password hashing. Each starts in
//! preview until measured on real services.

pub mod hardcoded_secret;
pub mod insecure_token_check;
pub mod tls_verification_disabled;
pub mod unvalidated_input;
pub mod weak_password_hash;
