/*
 * slapi_doubles - test doubles of the SLAPI accessors the ppolicy check
 * module uses (see slapi_doubles.h). They are the definitions of the
 * slapi-plugin.h prototypes, so the module's source linked into a test
 * binds to them; a test program linked with -export-dynamic also lends
 * them to the built .so when it dlopens it.
 */
#include <stddef.h>
#include <strings.h>

#include "slapi_doubles.h"

/* Attribute types are matched without regard to case, as slapd does. */
int slapi_entry_attr_find(Slapi_Entry *e, char *type, Slapi_Attr **attr)
{
	if (e == NULL || type == NULL || attr == NULL ||
	    strcasecmp(type, "uid") != 0 || !e->has_uid)
		return -1;
	*attr = &e->uid;
	return 0;
}

/* As in 2.5.13: the return value is the index of the next value to fetch. */
int slapi_attr_next_value(Slapi_Attr *a, int hint, Slapi_Value **v)
{
	if (a == NULL || hint < 0 || hint >= a->n)
		return -1;
	*v = &a->vals[hint];
	return hint + 1;
}

int slapi_attr_first_value(Slapi_Attr *a, Slapi_Value **v)
{
	return slapi_attr_next_value(a, 0, v);
}

const struct berval *slapi_value_get_berval(const Slapi_Value *value)
{
	return value == NULL ? NULL : &value->bv;
}
