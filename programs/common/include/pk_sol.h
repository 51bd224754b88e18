#ifndef HEADER_pk_programs_common_include_pk_sol_h
#define HEADER_pk_programs_common_include_pk_sol_h

/* The Solana C ABI for freestanding SBF programs: integer types, the entrypoint input layout,
   the syscalls this project uses, and the structs they take. Nothing here allocates or keeps state:
   SBPF v0 programs have no writable globals. */

typedef unsigned char      u8;
typedef unsigned short     u16;
typedef unsigned int       u32;
typedef unsigned long long u64;
typedef signed char        i8;
typedef short              i16;
typedef int                i32;
typedef long long          i64;
typedef unsigned __int128  u128;   /* add, subtract and compare only: multiply/divide are libcalls on BPF */

#define PK_NULL ((void *)0)
#define PK_U64_MAX  0xffffffffffffffffULL
#define PK_I64_MAX  0x7fffffffffffffffLL
#define PK_I64_MIN  (-PK_I64_MAX - 1LL)

#define PK_LIKELY(c)   __builtin_expect(!!(c), 1)
#define PK_UNLIKELY(c) __builtin_expect(!!(c), 0)
#define PK_STATIC_ASSERT(c, m) _Static_assert(c, m)
#define PK_OFFSETOF(t, f) __builtin_offsetof(t, f)

/* Runtime limits (agave: program-runtime/src/invoke_context.rs, sdk/program/src/entrypoint.rs) */
#define PK_MAX_PERMITTED_DATA_INCREASE 10240UL
#define PK_NON_DUP_MARKER 0xff
#define PK_MAX_ACCOUNTS 32UL      /* accounts this project's instructions ever take, plus headroom */
#define PK_MAX_SEEDS 16
#define PK_MAX_SEED_LEN 32

/* 8-byte aligned: every key this project reads sits at an 8-byte offset (input buffer, account data
   laid out by the IDL, SPL Token mint and owner), and aligned keys copy and compare as four u64s. */
typedef struct { u8 x[32]; } __attribute__(( aligned( 8 ) )) SolPubkey;

/* Account as the entrypoint input presents it, in the layout `sol_invoke_signed_c` expects. */
typedef struct {
  SolPubkey *key;
  u64       *lamports;
  u64        data_len;
  u8        *data;
  SolPubkey *owner;
  u64        rent_epoch;
  u8         is_signer;
  u8         is_writable;
  u8         executable;
} SolAccountInfo;

typedef struct {
  SolAccountInfo ka[PK_MAX_ACCOUNTS];
  u64            ka_num;
  const u8      *data;
  u64            data_len;
  const SolPubkey *program_id;
} SolParameters;

typedef struct { const u8 *addr; u64 len; } SolBytes;
typedef struct { const u8 *addr; u64 len; } SolSignerSeed;
typedef struct { const SolSignerSeed *addr; u64 len; } SolSignerSeeds;

typedef struct {
  SolPubkey *pubkey;
  u8 is_writable;
  u8 is_signer;
} SolAccountMeta;

typedef struct {
  SolPubkey      *program_id;
  SolAccountMeta *accounts;
  u64             account_len;
  u8             *data;
  u64             data_len;
} SolInstruction;

/* Clock sysvar (sdk/program/src/clock.rs) */
typedef struct {
  u64 slot;
  i64 epoch_start_timestamp;
  u64 epoch;
  u64 leader_schedule_epoch;
  i64 unix_timestamp;
} SolClock;

/* Rent sysvar: exemption_threshold is an f64; this project only accepts its bit pattern for 2.0. */
typedef struct {
  u64 lamports_per_byte_year;
  u64 exemption_threshold_bits;
  u8  burn_percent;
} SolRent;
#define PK_RENT_THRESHOLD_2_0_BITS 0x4000000000000000ULL
#define PK_ACCOUNT_STORAGE_OVERHEAD 128UL

/* Syscalls. Names must be in the linker's known list. */
void sol_log_(const char *message, u64 len);
void sol_log_64_(u64 a, u64 b, u64 c, u64 d, u64 e);
void sol_log_compute_units_(void);
void sol_log_pubkey(const SolPubkey *pubkey);
void sol_log_data(const SolBytes *data, u64 count);
u64  sol_create_program_address(const SolSignerSeed *seeds, u64 seeds_len, const SolPubkey *program_id,
                                SolPubkey *address);
u64  sol_try_find_program_address(const SolSignerSeed *seeds, u64 seeds_len, const SolPubkey *program_id,
                                  SolPubkey *address, u8 *bump);
u64  sol_sha256(const SolBytes *bytes, u64 bytes_len, u8 *result);
u64  sol_get_clock_sysvar(void *clock);
u64  sol_get_rent_sysvar(void *rent);
void sol_memcpy_(void *dst, const void *src, u64 n);
void sol_memmove_(void *dst, const void *src, u64 n);
void sol_memset_(void *dst, u8 c, u64 n);
void sol_memcmp_(const void *a, const void *b, u64 n, i32 *result);
u64  sol_invoke_signed_c(const SolInstruction *instruction, const SolAccountInfo *account_infos,
                         u64 account_infos_len, const SolSignerSeeds *signers_seeds, u64 signers_seeds_len);
void sol_set_return_data(const u8 *data, u64 len);
u64  sol_get_return_data(u8 *data, u64 len, SolPubkey *program_id);
void sol_panic_(const char *file, u64 len, u64 line, u64 column);

#define pk_log(lit) sol_log_((lit), sizeof(lit) - 1)

static inline void
pk_memcpy( void *dst, const void *src, u64 n ) {
  sol_memcpy_( dst, src, n );
}

static inline void
pk_memset( void *dst, u8 c, u64 n ) {
  sol_memset_( dst, c, n );
}

static inline int
pk_memeq( const void *a, const void *b, u64 n ) {
  i32 r = 1;
  sol_memcmp_( a, b, n, &r );
  return r == 0;
}

static inline int
pk_pubkey_eq( const SolPubkey *a, const SolPubkey *b ) {
  const u64 *x = (const u64 *)a->x;
  const u64 *y = (const u64 *)b->x;
  return (x[0] == y[0]) & (x[1] == y[1]) & (x[2] == y[2]) & (x[3] == y[3]);
}

static inline int
pk_pubkey_is_zero( const SolPubkey *a ) {
  const u64 *x = (const u64 *)a->x;
  return (x[0] | x[1] | x[2] | x[3]) == 0;
}

/* pk_deserialize parses the aligned-loader entrypoint input into params. Returns 0 on success, nonzero
   when the input holds more than PK_MAX_ACCOUNTS accounts. Duplicate accounts are copied from the
   account they duplicate, so ka[i].key always points at the right key. */
static inline u64
pk_deserialize( const u8 *input, SolParameters *params ) {
  u64 n = *(const u64 *)input;
  input += sizeof(u64);
  if( PK_UNLIKELY( n > PK_MAX_ACCOUNTS ) ) return 1;
  params->ka_num = n;
  for( u64 i = 0; i < n; i++ ) {
    u8 dup = *input;
    input += 1;
    if( dup == PK_NON_DUP_MARKER ) {
      SolAccountInfo *a = &params->ka[i];
      a->is_signer   = *input;            input += 1;
      a->is_writable = *input;            input += 1;
      a->executable  = *input;            input += 1;
      input += 4;                                     /* original data length */
      a->key         = (SolPubkey *)input; input += sizeof(SolPubkey);
      a->owner       = (SolPubkey *)input; input += sizeof(SolPubkey);
      a->lamports    = (u64 *)input;       input += sizeof(u64);
      a->data_len    = *(const u64 *)input; input += sizeof(u64);
      a->data        = (u8 *)input;
      input += a->data_len + PK_MAX_PERMITTED_DATA_INCREASE;
      input = (const u8 *)(((u64)input + 7UL) & ~7UL);
      a->rent_epoch  = *(const u64 *)input; input += sizeof(u64);
    } else {
      input += 7;
      params->ka[i] = params->ka[dup];
    }
  }
  params->data_len = *(const u64 *)input;
  input += sizeof(u64);
  params->data = input;
  input += params->data_len;
  params->program_id = (const SolPubkey *)input;
  return 0;
}

#endif /* HEADER_pk_programs_common_include_pk_sol_h */
