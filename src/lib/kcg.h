/*
 * kcg.h - error codes shared by every kcgidm module and program.
 *
 * Library functions return 0 on success or one of the negative codes below.
 * The programs turn a code into their exit status by negating it, so the
 * numbers are part of the CLI's documented interface: keep them stable.
 */
#ifndef KCG_H
#define KCG_H

#define KCG_OK	      0
#define KCG_EUSAGE    -1 /* bad command line */
#define KCG_EINVAL    -2 /* invalid input: the caller must fix it */
#define KCG_ECONFLICT -3 /* exists already / already has an account */
#define KCG_ENOTFOUND -4 /* no such record */
#define KCG_EPOLICY   -5 /* password rejected by policy */
#define KCG_EDIR      -6 /* directory unavailable */
#define KCG_EMAIL     -7 /* mail failure */
#define KCG_EINTERNAL -8 /* bug, resource exhaustion, unexpected reply */

/* Array length of a true array (never a pointer). */
#define KCG_N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

#endif
