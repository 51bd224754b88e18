from solders.pubkey import Pubkey

PROGRAM_ID = Pubkey.from_string("SBondMDrcV3K4kxZR1HNVT7osZxAHVHgYXL5Ze1oMUv")
