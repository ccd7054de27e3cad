/*
 * wxa_response.h — datacube responses into rows of text cells.
 *
 * The parser knows the four response shapes and produces, for each row, one
 * text value (or NULL) per catalog column. The PostgreSQL side feeds each
 * value to the input function of the column's declared type, which is what
 * lets users declare numeric, text, ... instead of the canonical types.
 */
#ifndef WXA_RESPONSE_H
#define WXA_RESPONSE_H

#include <stddef.h>

#include "wxa_catalog.h"
#include "wxa_error.h"
#include "wxa_period.h"

typedef struct WxaRows
{
	int			ncols;			/* the endpoint's catalog column count */
	int			nrows;
	int			capacity;		/* rows allocated */
	char	  **cells;			/* nrows * ncols, row-major; NULL = SQL NULL; malloc'd */
} WxaRows;

/* Largest JSON nesting the parser accepts (cJSON's own limit is 1000). */
#define WXA_MAX_JSON_DEPTH 64

/*
 * Parse one datacube response for the given period into rows (appended).
 * Returns 0, or -1 with err filled (WXA_ERR_API for an errcode, else
 * WXA_ERR_RESPONSE).
 */
int			wxa_parse_datacube(const WxaEndpoint *ep, const WxaPeriod *period,
							   const char *body, size_t len,
							   WxaRows *rows, WxaError *err);

const char *wxa_rows_cell(const WxaRows *rows, int row, int col);
void		wxa_rows_free(WxaRows *rows);

#endif
