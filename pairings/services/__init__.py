"""The pairings app's services, by topic:

- runs.py: matching settings, runs of the engine, HR's review of proposals, publishing;
- lifecycle.py: each side's answer, the pair's rhythm and stored risk, ending, conflicts after a directory change;
- agreement.py: the agreement, both sides' goals and the progress recorded on them;
- choice.py: mentee-choice mode (suggestions, requests, answers, expiry).
"""

from .agreement import GoalProgress, agreement_confirm, agreement_save, goal_progress_record, goal_save
from .choice import mentor_request_answer, mentor_request_create, mentor_requests_expire, mentor_suggestions
from .lifecycle import (
    pairing_accept,
    pairing_conflict_keep,
    pairing_conflicts_recheck,
    pairing_create_manual,
    pairing_decline,
    pairing_end,
    pairing_set_rhythm,
    pairings_complete_closed_programs,
    pairings_risk_store,
    participant_side,
)
from .runs import (
    WEIGHT_FIELDS,
    match_run_execute,
    match_run_publish,
    match_run_start,
    matching_preview,
    matching_settings_update,
    proposal_add,
    proposal_forbid,
    proposal_pin,
    proposal_remove,
    proposal_swap,
)

__all__ = [
    "WEIGHT_FIELDS",
    "GoalProgress",
    "agreement_confirm",
    "agreement_save",
    "goal_progress_record",
    "goal_save",
    "match_run_execute",
    "match_run_publish",
    "match_run_start",
    "matching_preview",
    "matching_settings_update",
    "mentor_request_answer",
    "mentor_request_create",
    "mentor_requests_expire",
    "mentor_suggestions",
    "pairing_accept",
    "pairing_conflict_keep",
    "pairing_conflicts_recheck",
    "pairing_create_manual",
    "pairing_decline",
    "pairing_end",
    "pairing_set_rhythm",
    "pairings_complete_closed_programs",
    "pairings_risk_store",
    "participant_side",
    "proposal_add",
    "proposal_forbid",
    "proposal_pin",
    "proposal_remove",
    "proposal_swap",
]
