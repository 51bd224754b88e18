/* Fixed-point math on 64-bit limbs. Upstream BPF has no 128-bit multiply or divide (they would be
   libcalls) and no signed division, so products are built from 32-bit halves, divisions by values
   below 2^32 run digit by digit on the native 64-bit divide, and larger divisors use shift-subtract.
   Every function returns 0 or PK_ERR_MATH_OVERFLOW and never wraps. */

#include "pk_program.h"

/* pk_mul_64 sets hi:lo to the 128-bit product of a and b. */
void
pk_mul_64( u64 a, u64 b, u64 *hi, u64 *lo ) {
  u64 a0 = a & 0xffffffffULL, a1 = a >> 32;
  u64 b0 = b & 0xffffffffULL, b1 = b >> 32;
  u64 p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  u64 mid = ( p00 >> 32 ) + ( p01 & 0xffffffffULL ) + ( p10 & 0xffffffffULL );
  *lo = ( p00 & 0xffffffffULL ) | ( mid << 32 );
  *hi = p11 + ( p01 >> 32 ) + ( p10 >> 32 ) + ( mid >> 32 );
}

/* pk_div_128_small sets hi:lo to floor(hi:lo / d) for 0 < d < 2^32 and returns the remainder: each
   step divides a remainder below d, shifted by 32 bits, so every dividend fits the native divide. */
u64
pk_div_128_small( u64 *hi, u64 *lo, u64 d ) {
  u64 qh = *hi / d;
  u64 r  = *hi - qh * d;
  u64 n1 = ( r << 32 ) | ( *lo >> 32 );
  u64 q1 = n1 / d;
  r = n1 - q1 * d;
  u64 n0 = ( r << 32 ) | ( *lo & 0xffffffffULL );
  u64 q0 = n0 / d;
  *hi = qh;
  *lo = ( q1 << 32 ) | q0;
  return n0 - q0 * d;
}

/* Divides hi:lo by d (d > 0); returns the quotient (which must fit 64 bits) and the remainder. */
static u64
pk_div_128( u64 hi, u64 lo, u64 d, u64 *q, u64 *r ) {
  if( PK_UNLIKELY( hi >= d ) ) return PK_ERR_MATH_OVERFLOW;   /* quotient would not fit in 64 bits */
  if( d <= 0xffffffffULL ) {
    *r = pk_div_128_small( &hi, &lo, d );
    *q = lo;
    return 0;
  }
  u64 rem = hi, quo = 0;
  for( int i = 63; i >= 0; i-- ) {
    u64 carry = rem >> 63;
    rem = ( rem << 1 ) | ( ( lo >> i ) & 1 );
    quo <<= 1;
    if( carry || rem >= d ) { rem -= d; quo |= 1; }
  }
  *q = quo;
  *r = rem;
  return 0;
}

/* pk_mul_div_floor sets *out = floor(a * b / d). Fails on d == 0 or a result above 2^64 - 1. */
u64
pk_mul_div_floor( u64 a, u64 b, u64 d, u64 *out ) {
  if( PK_UNLIKELY( d == 0 ) ) return PK_ERR_MATH_OVERFLOW;
  u64 hi, lo, r;
  pk_mul_64( a, b, &hi, &lo );
  return pk_div_128( hi, lo, d, out, &r );
}

/* pk_mul_div_ceil sets *out = ceil(a * b / d). Fails as pk_mul_div_floor. */
u64
pk_mul_div_ceil( u64 a, u64 b, u64 d, u64 *out ) {
  if( PK_UNLIKELY( d == 0 ) ) return PK_ERR_MATH_OVERFLOW;
  u64 hi, lo, r, q;
  pk_mul_64( a, b, &hi, &lo );
  PK_TRY( pk_div_128( hi, lo, d, &q, &r ) );
  if( r ) {
    if( PK_UNLIKELY( q == PK_U64_MAX ) ) return PK_ERR_MATH_OVERFLOW;
    q++;
  }
  *out = q;
  return 0;
}

/* pk_signed_mul_div_floor sets *out = floor(a * b / d) for signed a and b: rounding toward negative
   infinity, so a debit grows and a credit shrinks. Fails if |result| > 2^63 - 1 or d == 0. */
u64
pk_signed_mul_div_floor( i64 a, i64 b, u64 d, i64 *out ) {
  int neg = ( a < 0 ) != ( b < 0 );
  u64 ma = a < 0 ? (u64)0 - (u64)a : (u64)a;
  u64 mb = b < 0 ? (u64)0 - (u64)b : (u64)b;
  u64 q;
  if( neg ) PK_TRY( pk_mul_div_ceil( ma, mb, d, &q ) );
  else      PK_TRY( pk_mul_div_floor( ma, mb, d, &q ) );
  if( PK_UNLIKELY( q > (u64)PK_I64_MAX ) ) return PK_ERR_MATH_OVERFLOW;
  *out = neg ? -(i64)q : (i64)q;
  return 0;
}

/* pk_add_i64 sets *out = a + b, failing on overflow. */
u64
pk_add_i64( i64 a, i64 b, i64 *out ) {
  return __builtin_add_overflow( a, b, out ) ? PK_ERR_MATH_OVERFLOW : 0;
}

/* pk_sub_i64 sets *out = a - b, failing on overflow. */
u64
pk_sub_i64( i64 a, i64 b, i64 *out ) {
  return __builtin_sub_overflow( a, b, out ) ? PK_ERR_MATH_OVERFLOW : 0;
}
