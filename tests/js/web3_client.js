// Ordinary @solana/web3.js v1 calls against the local RPC node; prints one JSON object of results.
//
//   node tests/js/web3_client.js '{"rpcUrl": ..., "wsUrl": ..., "mint": ..., "tokenOwner": ..., "tokenAccount": ...}'
//
// Run by tests/integration/localnet/test_rpc_web3js.py, which checks the results against expectations
// written by hand. Every wait is bounded; the whole run is killed after DEADLINE_MS.
'use strict';

const {
  Connection, Keypair, LAMPORTS_PER_SOL, PublicKey, SystemProgram, Transaction, sendAndConfirmTransaction,
} = require('@solana/web3.js');

const DEADLINE_MS = 60_000;
const TOKEN_PROGRAM = new PublicKey('TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA');

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function confirmed(connection, signature) {
  const { blockhash, lastValidBlockHeight } = await connection.getLatestBlockhash('processed');
  const result = await withTimeout(
    connection.confirmTransaction({ signature, blockhash, lastValidBlockHeight }, 'confirmed'), 15_000, 'confirm');
  return result.value.err;
}

async function main() {
  const input = JSON.parse(process.argv[2]);
  const connection = new Connection(input.rpcUrl, { wsEndpoint: input.wsUrl, commitment: 'confirmed' });
  const out = {};

  out.version = await connection.getVersion();
  out.epochSchedule = await connection.getEpochSchedule();
  const latest = await connection.getLatestBlockhash('processed');
  const blockHeight = await connection.getBlockHeight('processed');
  out.latestBlockhash = { blockhashLength: new PublicKey(latest.blockhash).toBytes().length,
    validForBlocks: latest.lastValidBlockHeight - blockHeight };

  // airdrop, then a SOL transfer sent by sendTransaction and confirmed
  const sender = Keypair.generate();
  const recipient = Keypair.generate().publicKey;
  const airdrop = await connection.requestAirdrop(sender.publicKey, 2 * LAMPORTS_PER_SOL);
  out.airdropErr = await confirmed(connection, airdrop);
  out.senderAfterAirdrop = await connection.getBalance(sender.publicKey);

  const slotEvents = [];
  const slotSub = connection.onSlotChange((info) => slotEvents.push(info));
  const accountEvents = [];
  const accountSub = connection.onAccountChange(recipient, (info, context) => accountEvents.push(
    { lamports: info.lamports, owner: info.owner.toBase58(), slot: context.slot }), 'processed');
  await new Promise((resolve) => setTimeout(resolve, 300)); // let both subscriptions reach the node

  const transfer = new Transaction().add(SystemProgram.transfer(
    { fromPubkey: sender.publicKey, toPubkey: recipient, lamports: LAMPORTS_PER_SOL / 2 }));
  transfer.recentBlockhash = (await connection.getLatestBlockhash('processed')).blockhash;
  transfer.feePayer = sender.publicKey;
  transfer.sign(sender);
  const sent = await connection.sendTransaction(transfer, [sender]);
  out.sendErr = await confirmed(connection, sent);
  out.recipientBalance = await connection.getBalance(recipient);
  out.senderBalance = await connection.getBalance(sender.publicKey);

  // drain the sender to zero lamports: a closed account reads as null
  const drain = new Transaction().add(SystemProgram.transfer(
    { fromPubkey: sender.publicKey, toPubkey: recipient, lamports: out.senderBalance - 5000 }));
  const drained = await withTimeout(sendAndConfirmTransaction(connection, drain, [sender]), 15_000, 'drain');
  out.closedAccount = await connection.getAccountInfo(sender.publicKey);
  out.closedBalance = await connection.getBalance(sender.publicKey);

  for (let i = 0; i < 100 && (accountEvents.length < 2 || slotEvents.length < 3); i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  out.accountEvents = accountEvents;
  out.slotEvents = slotEvents.slice(0, 3);
  await connection.removeSlotChangeListener(slotSub);
  await connection.removeAccountChangeListener(accountSub);

  const signatures = await connection.getSignaturesForAddress(recipient);
  out.signatures = signatures.map((s) => ({ signature: s.signature, err: s.err, memo: s.memo }));
  out.expectedSignatures = [drained, sent];

  const parsed = await connection.getParsedTransaction(sent, { maxSupportedTransactionVersion: 0 });
  out.parsedTransaction = { slot: parsed.slot, fee: parsed.meta.fee, err: parsed.meta.err,
    accountKeys: parsed.transaction.message.accountKeys.map((k) => ({ pubkey: k.pubkey.toBase58(), signer: k.signer,
      writable: k.writable, source: k.source })),
    instructions: parsed.transaction.message.instructions.map((ix) => ({ program: ix.program, parsed: ix.parsed })) };

  const block = await connection.getBlock(parsed.slot, { maxSupportedTransactionVersion: 0 });
  out.block = { parentSlot: block.parentSlot, blockHeight: block.blockHeight,
    hasSent: block.transactions.some((t) => t.transaction.signatures[0] === sent),
    previousBlockhashIsParent: block.previousBlockhash === (await connection.getBlock(parsed.slot - 1,
      { maxSupportedTransactionVersion: 0, transactionDetails: 'none' })).blockhash };
  const accountsBlock = await connection.getBlock(parsed.slot,
    { maxSupportedTransactionVersion: 0, transactionDetails: 'accounts' });
  const entry = accountsBlock.transactions.find((t) => t.transaction.signatures[0] === sent);
  out.accountsBlockEntry = { accountKeys: entry.transaction.accountKeys.map((k) => ({ pubkey: k.pubkey.toBase58(),
    signer: k.signer, writable: k.writable, source: k.source })), fee: entry.meta.fee,
  hasLogs: 'logMessages' in entry.meta };

  const tokenAccounts = await connection.getTokenAccountsByOwner(new PublicKey(input.tokenOwner),
    { mint: new PublicKey(input.mint) });
  out.tokenAccounts = tokenAccounts.value.map((a) => ({ pubkey: a.pubkey.toBase58(), owner: a.account.owner.toBase58(),
    dataLength: a.account.data.length, mint: new PublicKey(a.account.data.subarray(0, 32)).toBase58() }));
  const byProgram = await connection.getParsedTokenAccountsByOwner(new PublicKey(input.tokenOwner),
    { programId: TOKEN_PROGRAM });
  out.parsedTokenAccounts = byProgram.value.map((a) => ({ pubkey: a.pubkey.toBase58(), info: a.account.data.parsed.info }));
  const mint = await connection.getParsedAccountInfo(new PublicKey(input.mint));
  out.mint = { program: mint.value.data.program, type: mint.value.data.parsed.type,
    decimals: mint.value.data.parsed.info.decimals, isInitialized: mint.value.data.parsed.info.isInitialized,
    owner: mint.value.owner.toBase58() };
  return out;
}

const killer = setTimeout(() => { console.error('web3_client.js: deadline reached'); process.exit(2); }, DEADLINE_MS);
main().then((out) => {
  process.stdout.write(`${JSON.stringify(out)}\n`);
  clearTimeout(killer);
  process.exit(0);
}, (err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
