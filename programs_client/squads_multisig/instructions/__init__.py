from .vault_transaction_create import (
    vault_transaction_create,
    VaultTransactionCreateArgs,
    VaultTransactionCreateAccounts,
)
from .vault_transaction_execute import (
    vault_transaction_execute,
    VaultTransactionExecuteAccounts,
)
from .proposal_create import proposal_create, ProposalCreateArgs, ProposalCreateAccounts
from .proposal_approve import (
    proposal_approve,
    ProposalApproveArgs,
    ProposalApproveAccounts,
)
from .proposal_reject import proposal_reject, ProposalRejectArgs, ProposalRejectAccounts
from .proposal_cancel import proposal_cancel, ProposalCancelArgs, ProposalCancelAccounts
