import typing
from . import verification_level
from .verification_level import VerificationLevelKind, VerificationLevelJSON
