/* Anchor-style events: the generated event struct (discriminator first) logged with sol_log_data,
   which the runtime prints as "Program data: <base64>" for anchorpy's EventParser. */

#include "pk_program.h"

/* pk_emit logs `len` bytes of the event at `event` (len is the Borsh length, PK_EVENT_*_LEN), unless
   events are muted for a dry run (PK_HEAP_EMIT_MUTED). */
void
pk_emit( const void *event, u64 len ) {
  if( *PK_HEAP_EMIT_MUTED ) return;
  SolBytes b = { (const u8 *)event, len };
  sol_log_data( &b, 1 );
}

/* pk_clock_slot returns the current slot from the Clock sysvar. */
u64
pk_clock_slot( void ) {
  SolClock clock;
  sol_get_clock_sysvar( &clock );
  return clock.slot;
}
