import typing
from . import oracle_submission
from .oracle_submission import OracleSubmission, OracleSubmissionJSON
from . import current_result
from .current_result import CurrentResult, CurrentResultJSON
from . import compact_result
from .compact_result import CompactResult, CompactResultJSON
