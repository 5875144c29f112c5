/*
 * home.h - the user's home directory, for default paths (state database,
 * disk cache).
 *
 * Contract: $HOME when set and not empty, else the home of the real user id
 * in the password database (getpwuid_r: never "/root" for someone else), else
 * "/" (no entry: a uid without an account, e.g. in a container), the same
 * fallback as the ~/.databrickscfg lookup. Returns a malloc'ed string; NULL
 * only on ENOMEM.
 */
#ifndef UCFS_HOME_H
#define UCFS_HOME_H

char *home_dir(void);

#endif
