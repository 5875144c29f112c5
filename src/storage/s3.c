/* s3.c - the s3 storage backend: not implemented yet. */
#include <errno.h>

#include "storage/storage.h"
#include "storage/url.h"
#include "util/strutil.h"

int storage_s3_new(const char *location, const struct storage_url *u,
                   const struct storage_env *env, const struct storage_creds_source *creds,
                   struct storage **out, char **err)
{
	(void)u;
	(void)env;
	(void)creds;
	*out = NULL;
	if (err)
		*err = xasprintf("storage location '%s': s3 storage is not supported yet", location);
	return -EPROTONOSUPPORT;
}
