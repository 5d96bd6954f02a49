//! Per-file facts for the panic rules (RG201, RG202): filled in by those rules.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PanicFacts {}
