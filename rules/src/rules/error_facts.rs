//! Per-file facts for the error-variant rules (RG301 to RG303).

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ErrorFacts {}
