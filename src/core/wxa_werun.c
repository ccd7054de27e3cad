/*
 * wxa_werun.c — stepInfoList out of decrypted WeRun data.
 */
#include "wxa_werun.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdlib.h>

/* Timestamps up to the year 9999: what a date column can hold, and far beyond WeRun's. */
#define MAX_TIMESTAMP 253402300799.0

static bool
integer_member(const cJSON *entry, const char *name, double min, double max, double *value)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(entry, name);

	if (!cJSON_IsNumber(item) || item->valuedouble < min || item->valuedouble > max ||
		item->valuedouble != (double) (int64_t) item->valuedouble)
		return false;
	*value = item->valuedouble;
	return true;
}

WxaWerunStatus
wxa_werun_parse(const char *plaintext, WxaStep **steps, int *nsteps, int *bad_entry)
{
	cJSON	   *root = cJSON_ParseWithOpts(plaintext, NULL, 1);
	const cJSON *list;
	const cJSON *entry;
	WxaWerunStatus status = WXA_WERUN_OK;
	int			n = 0;

	*steps = NULL;
	*nsteps = 0;
	*bad_entry = 0;
	if (!cJSON_IsObject(root))
	{
		cJSON_Delete(root);
		return WXA_WERUN_NOT_JSON;
	}
	list = cJSON_GetObjectItemCaseSensitive(root, "stepInfoList");
	if (!cJSON_IsArray(list))
	{
		cJSON_Delete(root);
		return WXA_WERUN_NO_LIST;
	}
	if (cJSON_GetArraySize(list) > 0)
	{
		*steps = malloc(sizeof(WxaStep) * cJSON_GetArraySize(list));
		if (*steps == NULL)
		{
			cJSON_Delete(root);
			return WXA_WERUN_NO_MEMORY;
		}
	}
	cJSON_ArrayForEach(entry, list)
	{
		double		timestamp,
					step;

		if (!integer_member(entry, "timestamp", 0, MAX_TIMESTAMP, &timestamp) ||
			!integer_member(entry, "step", 0, INT32_MAX, &step))
		{
			*bad_entry = n + 1;
			status = WXA_WERUN_BAD_ENTRY;
			break;
		}
		/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference): allocated for every entry above */
		(*steps)[n].timestamp = (int64_t) timestamp;
		(*steps)[n].step = (int32_t) step;
		n++;
	}
	cJSON_Delete(root);
	if (status != WXA_WERUN_OK)
	{
		free(*steps);
		*steps = NULL;
		return status;
	}
	*nsteps = n;
	return WXA_WERUN_OK;
}
