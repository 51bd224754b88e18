from solders.pubkey import Pubkey

PROGRAM_ID = Pubkey.from_string("SW1TCH7qEPTdLsDHRgPuMQjbQxKdH2aBStViMFnt64f")
