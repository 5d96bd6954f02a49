//! Coverage-gate diagnostics. The driver produces them from coverage reports
//! (LCOV, Cobertura, llvm-cov JSON) and a diff; they have no syntax hooks.

use crate::declare_rule;

declare_rule! {
    /// ## What it does
    /// Reports total line, function, branch or region coverage below its
    /// minimum (`min-line-coverage`, ...), and the line coverage of a package
    /// (`[coverage.packages]`) or of a path glob (`[coverage.paths]`) below
    /// its own minimum. Figures are computed as the tool that wrote the
    /// report computes them.
    ///
    /// ## Why is this bad?
    /// Untested code is where regressions land unnoticed. A gate on the total
    /// keeps coverage from eroding; a higher bar on business logic
    /// (`"crates/core/src/domain/**" = 95`) puts the effort where bugs cost
    /// the most.
    ///
    /// ## Example
    /// ```toml
    /// [coverage]
    /// reports = ["lcov.info"]
    /// min-line-coverage = 80 # the report says 72.41%
    /// ```
    ///
    /// Use instead: add tests for the least covered files (the coverage table
    /// lists them) until the total reaches the minimum.
    ///
    /// ## Options
    /// `[coverage]`: `min-line-coverage`, `min-function-coverage`,
    /// `min-branch-coverage`, `min-region-coverage`, `[coverage.packages]`,
    /// `[coverage.paths]`.
    pub struct CoverageBelowThreshold {
        code: "RGC01",
        name: "coverage-below-threshold",
        severity: Error,
        summary: "coverage below its minimum",
        tags: ["reliability", "maintainability"],
        precision: "very-high",
    }
}

declare_rule! {
    /// ## What it does
    /// Reports a file whose line coverage is below `min-file-coverage`.
    ///
    /// ## Why is this bad?
    /// A good total can hide a file nobody tests: well-tested files make up
    /// for it on average. A per-file minimum finds the blind spots.
    ///
    /// ## Example
    /// ```toml
    /// [coverage]
    /// min-file-coverage = 60 # src/billing.rs: 12 of 40 lines
    /// ```
    ///
    /// Use instead: test the file's uncovered functions, or move code that
    /// cannot be tested (startup glue) behind a thin, separately gated layer.
    ///
    /// ## Options
    /// `[coverage] min-file-coverage`.
    pub struct FileCoverageBelowThreshold {
        code: "RGC02",
        name: "file-coverage-below-threshold",
        severity: Error,
        summary: "file coverage below its minimum",
        tags: ["reliability", "maintainability"],
        precision: "very-high",
    }
}

declare_rule! {
    /// ## What it does
    /// Reports patch coverage below `min-patch-coverage`: of the lines a
    /// change adds or modifies (against the merge base with `--diff-base REF`,
    /// or in the unified diff `--diff-file PATH`) that the coverage reports
    /// count as executable, too few are covered.
    ///
    /// ## Why is this bad?
    /// New code is the code most likely to be wrong and the cheapest to test
    /// now. Gating the change rather than the total asks each pull request
    /// to test what it adds, whatever the history of the rest.
    ///
    /// ## Example
    /// ```text
    /// rustgate check --coverage lcov.info --diff-base origin/main --min-patch-coverage 90
    /// ```
    ///
    /// Use instead: add tests for the lines reported as uncovered (RGC04).
    ///
    /// ## Options
    /// `[coverage] min-patch-coverage`, `diff-base`, `diff-file`.
    pub struct PatchCoverageBelowThreshold {
        code: "RGC03",
        name: "patch-coverage-below-threshold",
        severity: Error,
        summary: "coverage of the changed lines below its minimum",
        tags: ["reliability"],
        precision: "very-high",
    }
}

declare_rule! {
    /// ## What it does
    /// Reports each range of changed executable lines that no test runs, on
    /// those lines, so a pull request shows exactly which new lines are
    /// untested. A note: the gate is RGC03.
    ///
    /// ## Why is this bad?
    /// An uncovered new line is a line whose behaviour nothing checks; the
    /// reviewer sees it right where it was written.
    ///
    /// ## Example
    /// ```rust
    /// pub fn refund(order: &Order) -> Result<Money, RefundError> {
    ///     if order.shipped {
    ///         return Err(RefundError::Shipped); // changed, never run by a test
    ///     }
    ///     Ok(order.total)
    /// }
    /// ```
    ///
    /// Use instead: add a test that takes the uncovered path.
    ///
    /// ## Options
    /// `[coverage] diff-base`, `diff-file`.
    pub struct UncoveredChangedLines {
        code: "RGC04",
        name: "uncovered-changed-lines",
        severity: Note,
        summary: "changed lines not covered by any test",
        tags: ["reliability"],
        precision: "high",
    }
}
