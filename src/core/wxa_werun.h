/*
 * wxa_werun.h — the step counts in decrypted wx.getWeRunData data:
 * {"stepInfoList":[{"timestamp":1445866601,"step":100},...],"watermark":{...}}
 */
#ifndef WXA_WERUN_H
#define WXA_WERUN_H

#include <stdint.h>

typedef struct WxaStep
{
	int64_t		timestamp;		/* seconds since 1970; that day's 00:00 in Beijing */
	int32_t		step;
} WxaStep;

typedef enum WxaWerunStatus
{
	WXA_WERUN_OK = 0,
	WXA_WERUN_NOT_JSON,
	WXA_WERUN_NO_LIST,			/* no stepInfoList array: not WeRun data */
	WXA_WERUN_BAD_ENTRY,		/* an entry without an integer timestamp and step */
	WXA_WERUN_NO_MEMORY
} WxaWerunStatus;

/*
 * Read stepInfoList from the plaintext JSON. On success *steps is malloc'd
 * (NULL when the list is empty) with *nsteps entries; on WXA_WERUN_BAD_ENTRY
 * *bad_entry is its 1-based position.
 */
WxaWerunStatus wxa_werun_parse(const char *plaintext, WxaStep **steps, int *nsteps,
							   int *bad_entry);

#endif
