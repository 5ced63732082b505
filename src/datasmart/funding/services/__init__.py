"""Business actions for agreement funding: import, acceptance, allocation runs, scenarios.

A package by responsibility; this ``__init__`` re-exports the public API, so callers keep
writing ``from datasmart.funding import services`` / ``services.preview(...)``:

- :mod:`.common` — constants, :class:`FundingError`, :class:`AgreementNotFound`, the
  agreement lookup, recipients and their population (imports no other service module);
- :mod:`.agreements` — validate, import, save and accept agreements;
- :mod:`.runs` — the inputs snapshot, computing lines, preview, saved runs, reproduction;
- :mod:`.comparisons` — run against run, scenarios;
- :mod:`.explanations` — post keys in plain Swedish, level summaries, line filters;
- :mod:`.followup` — conditions, payouts and reporting surveys;
- :mod:`.reminders` — reminders to recipients late with a survey (imports ``followup``);
- :mod:`.survey_results` — survey answers summed per level and as a table.

The last three are imported by module (``from datasmart.funding.services import
followup``), not re-exported here. The modules may import Django,
:mod:`datasmart.accounts`, :mod:`datasmart.geo` and this app's models, loaders, keys,
engine and rights — never pages, API or CLI. Other domains call funding only through
this package or :mod:`datasmart.funding.rights` (tests/architecture).

Writes are keyword-only functions taking the acting user as ``by=`` (``SYSTEM`` for the CLI
and the loader). They check first that ``by`` administers agreements
(:func:`datasmart.funding.rights.require_administrator`: ``MANAGE_FUNDING`` in a national
organisation; a denial is audited and raises ``PermissionDenied``), then write the
change and its audit event in one ``transaction.atomic`` block. Bad input raises
:class:`FundingError` (a ``ValueError``) or :class:`~datasmart.funding.loaders.AgreementFileError`
with a Swedish message naming the post and field; nothing is saved then.

Reading (``preview``, ``scenario``, ``compare_runs``) checks nothing: pages, API and CLI
check ``VIEW_FUNDING`` before calling. One query path serves them all: every table, CSV,
Excel annex and API page of an allocation is made of :class:`Line` objects from
:func:`preview` (live) or :func:`run_lines` (a saved run).

The allocation itself is computed by :func:`compute_lines` from an *inputs snapshot* only
(posts, keys, recipients, population weights, declined recipients, policy). The snapshot
is stored on every :class:`~datasmart.funding.models.AllocationRun`, so
:func:`reproduce_run` can recompute a decision years later and prove it gives the same
kronor, even after the population tables or the agreement have changed.
"""

from __future__ import annotations

from .agreements import (
    ImportResult,
    import_agreement,
    import_mapping,
    load_agreements,
    save_spec,
    set_acceptance,
    spec_fields,
    validate_spec,
)
from .common import (
    AGREEMENTS_DIR,
    ENGINE,
    GEO_LEVEL,
    SKR_NAME,
    UNALLOCATED_NAME,
    AgreementNotFound,
    FundingError,
    Recipient,
    get_agreement,
    list_agreements,
    population_problem,
    recipients_for,
)
from .comparisons import (
    DIFF_COLUMNS,
    DiffRow,
    Scenario,
    by_recipient,
    compare_lines,
    compare_runs,
    scenario,
)
from .explanations import (
    filter_lines,
    level_summary,
    post_explanations,
)
from .runs import (
    LINE_COLUMNS,
    Allocation,
    Line,
    PostOverride,
    Reproduction,
    build_inputs,
    compute_lines,
    lines_sha256,
    preview,
    reproduce_run,
    run_allocation,
    run_allocation_result,
    run_lines,
)

__all__ = [
    "AGREEMENTS_DIR",
    "DIFF_COLUMNS",
    "ENGINE",
    "GEO_LEVEL",
    "LINE_COLUMNS",
    "SKR_NAME",
    "UNALLOCATED_NAME",
    "AgreementNotFound",
    "Allocation",
    "DiffRow",
    "FundingError",
    "ImportResult",
    "Line",
    "PostOverride",
    "Recipient",
    "Reproduction",
    "Scenario",
    "build_inputs",
    "by_recipient",
    "compare_lines",
    "compare_runs",
    "compute_lines",
    "filter_lines",
    "get_agreement",
    "import_agreement",
    "import_mapping",
    "level_summary",
    "lines_sha256",
    "list_agreements",
    "load_agreements",
    "population_problem",
    "post_explanations",
    "preview",
    "recipients_for",
    "reproduce_run",
    "run_allocation",
    "run_allocation_result",
    "run_lines",
    "save_spec",
    "scenario",
    "set_acceptance",
    "spec_fields",
    "validate_spec",
]
