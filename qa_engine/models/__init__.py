"""The tables. Importing this package registers every model on Base.metadata."""
from qa_engine.models.attention import AttentionItem, BulkLoad, ProgrammeTally, ProgrammeWord
from qa_engine.models.audit import AuditEntry, AuditHead
from qa_engine.models.decision import (
    Addendum,
    Appeal,
    AppealStatus,
    Condition,
    ConditionEvidence,
    Decision,
    DecisionStatus,
)
from qa_engine.models.programme import Programme
from qa_engine.models.proposal import Attachment, ProgrammeVersion
from qa_engine.models.register_entry import RegisterEntry as RegisterEntry
from qa_engine.models.review import (
    Assignment,
    ConflictDeclaration,
    ConsensusMark,
    OutboxMessage,
    ReminderSent,
    Review,
    ReviewerProfile,
)
from qa_engine.models.stay import StageStay
from qa_engine.models.user import Institution, Invitation, LoginThrottle, User, UserRole, UserSession

__all__ = [
    "AttentionItem",
    "BulkLoad",
    "ProgrammeTally",
    "ProgrammeWord",
    "Addendum",
    "Appeal",
    "AppealStatus",
    "Condition",
    "ConditionEvidence",
    "Decision",
    "DecisionStatus",
    "Assignment",
    "ConflictDeclaration",
    "ConsensusMark",
    "OutboxMessage",
    "ReminderSent",
    "Review",
    "ReviewerProfile",
    "StageStay",
    "Attachment",
    "AuditEntry",
    "AuditHead",
    "Institution",
    "Invitation",
    "LoginThrottle",
    "Programme",
    "ProgrammeVersion",
    "User",
    "UserRole",
    "UserSession",
]
