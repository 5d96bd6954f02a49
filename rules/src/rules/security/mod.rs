//! Security rules: TLS, secrets, tokens and password hashing. Each starts in
//! preview until measured on real services.

pub mod tls_verification_disabled;
