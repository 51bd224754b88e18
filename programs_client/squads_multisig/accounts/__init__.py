from .multisig import Multisig, MultisigJSON
from .proposal import Proposal, ProposalJSON
from .vault_transaction import VaultTransaction, VaultTransactionJSON
