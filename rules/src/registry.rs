//! The registry: every rule and every driver diagnostic, by stable code.

use crate::rule::{Rule, RuleMeta};
use crate::rules::r#async::blocking_in_async::BlockingInAsync;
use crate::rules::r#async::lock_across_await::LockAcrossAwait;
use crate::rules::errors::error_as_string::ErrorAsString;
use crate::rules::errors::error_variant_erased::ErrorVariantErased;
use crate::rules::errors::wildcard_error_match::WildcardErrorMatch;
use crate::rules::panics::panic_reachable_from_handler::PanicReachableFromHandler;
use crate::rules::panics::unwrap_in_handler::UnwrapInHandler;
use crate::rules::security::hardcoded_secret::HardcodedSecret;
use crate::rules::security::insecure_token_check::InsecureTokenCheck;
use crate::rules::security::tls_verification_disabled::TlsVerificationDisabled;
use crate::rules::security::unvalidated_input::UnvalidatedInput;
use crate::rules::security::weak_password_hash::WeakPasswordHash;
use crate::rules::sql::sql_concatenation::SqlConcatenation;
use crate::rules::r#unsafe::undocumented_unsafe::UndocumentedUnsafe;
use crate::rules::r#unsafe::unsafe_in_business_logic::UnsafeInBusinessLogic;
use crate::rules::{coverage, meta};

/// Rules with syntax hooks, in code order.
static RULES: &[&dyn Rule] = &[
    &UnsafeInBusinessLogic,
    &UndocumentedUnsafe,
    &UnwrapInHandler,
    &PanicReachableFromHandler,
    &ErrorAsString,
    &ErrorVariantErased,
    &WildcardErrorMatch,
    &SqlConcatenation,
    &BlockingInAsync,
    &LockAcrossAwait,
    &HardcodedSecret,
    &WeakPasswordHash,
    &UnvalidatedInput,
    &TlsVerificationDisabled,
    &InsecureTokenCheck,
];

/// Diagnostics produced by the driver (parse errors, suppressions, coverage).
static DRIVER: &[&RuleMeta] = &[
    &meta::ParseError::META,
    &meta::UnusedSuppression::META,
    &meta::InvalidSuppression::META,
    &meta::InternalError::META,
    &meta::WorkspaceError::META,
    &coverage::CoverageBelowThreshold::META,
    &coverage::FileCoverageBelowThreshold::META,
    &coverage::PatchCoverageBelowThreshold::META,
    &coverage::UncoveredChangedLines::META,
];

/// Every rule with syntax hooks.
pub fn rules() -> &'static [&'static dyn Rule] {
    RULES
}

/// `rules` followed by the fact collectors they require, each once.
pub fn with_requirements<'r>(rules: &[&'r dyn Rule]) -> Vec<&'r dyn Rule> {
    let mut out: Vec<&'r dyn Rule> = rules.to_vec();
    for rule in rules {
        for &needed in rule.requires() {
            if !out.iter().any(|r| r.meta().code == needed.meta().code) {
                out.push(needed);
            }
        }
    }
    out
}

/// Every code rustgate can report, sorted by code.
pub fn all() -> Vec<&'static RuleMeta> {
    let mut all: Vec<&'static RuleMeta> = RULES
        .iter()
        .map(|r| r.meta())
        .chain(DRIVER.iter().copied())
        .collect();
    all.sort_by_key(|m| m.code);
    all
}

/// A rule by code (`RG101`) or name (`unsafe-in-business-logic`), case-insensitive.
pub fn find(code_or_name: &str) -> Option<&'static RuleMeta> {
    all().into_iter().find(|m| {
        m.code.eq_ignore_ascii_case(code_or_name) || m.name.eq_ignore_ascii_case(code_or_name)
    })
}

/// Driver diagnostics by code, for the driver's own use.
pub fn driver(code: &str) -> &'static RuleMeta {
    DRIVER
        .iter()
        .copied()
        .find(|m| m.code == code)
        .unwrap_or(&meta::InternalError::META)
}

/// Serialises a `&'static RuleMeta` as its code and finds it again on the way back.
pub mod serde_rule {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    use crate::rule::RuleMeta;

    pub fn serialize<S: Serializer>(rule: &&'static RuleMeta, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(rule.code)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<&'static RuleMeta, D::Error> {
        let code = String::deserialize(d)?;
        super::find(&code).ok_or_else(|| D::Error::custom(format!("unknown rule code `{code}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::panics::panic_reachable_from_handler::PanicReachableFromHandler;
    use crate::rules::panics::unwrap_in_handler::UnwrapInHandler;

    #[test]
    fn required_collectors_are_added_once() {
        let codes = |rules: &[&dyn Rule]| -> Vec<&str> {
            with_requirements(rules)
                .iter()
                .map(|r| r.meta().code)
                .collect()
        };
        assert_eq!(
            codes(&[&UnwrapInHandler, &PanicReachableFromHandler]),
            ["RG201", "RG202", "facts-panic"]
        );
        assert_eq!(
            codes(&[&PanicReachableFromHandler]),
            ["RG202", "facts-panic"]
        );
        assert_eq!(codes(&[&UnsafeInBusinessLogic]), ["RG101"]);
        // Collectors report nothing and are not rules users can select.
        assert!(find("facts-panic").is_none());
    }
}
