/*
 * wxa_wxacode.h — the three code-image interfaces: checking their arguments
 * before any quota is spent, building their request bodies, and telling an
 * image answer from anything else.
 */
#ifndef WXA_WXACODE_H
#define WXA_WXACODE_H

#include <stdbool.h>
#include <stddef.h>

#include "wxa_error.h"

typedef enum WxaCodeInterface
{
	WXA_CODE_A,					/* /wxa/getwxacode: path, limited in count */
	WXA_CODE_B,					/* /wxa/getwxacodeunlimit: scene + page */
	WXA_CODE_C					/* /cgi-bin/wxaapp/createwxaqrcode: square QR code */
} WxaCodeInterface;

/* The arguments of one call; fields an interface does not take are ignored. */
typedef struct WxaCodeRequest
{
	WxaCodeInterface interface;
	const char *path;			/* A, C */
	const char *scene;			/* B */
	const char *page;			/* B; NULL: the home page */
	bool		check_path;		/* B */
	int			width;
	bool		auto_color;		/* A, B */
	const char *line_color;		/* A, B; NULL: not sent */
	bool		is_hyaline;		/* A, B */
	const char *env_version;	/* A, B */
} WxaCodeRequest;

#define WXA_CODE_MIN_WIDTH 280
#define WXA_CODE_MAX_WIDTH 1280
#define WXA_CODE_MAX_PATH_BYTES 128
#define WXA_CODE_MAX_SCENE_CHARS 32

/* What is wrong with an argument: its name and the rule it breaks. */
typedef struct WxaArgumentProblem
{
	const char *argument;
	char		rule[256];
} WxaArgumentProblem;

/* The API path after the base URL ("wxa/getwxacode"); also names the request in errors. */
const char *wxa_code_api(WxaCodeInterface interface);

/* Check every argument the interface takes; false with problem filled at the first bad one. */
bool		wxa_code_check(const WxaCodeRequest *req, WxaArgumentProblem *problem);

/*
 * Parse '#rrggbb' or '{"r":0,"g":0,"b":0}' (components as numbers or decimal
 * strings). False with rule filled when it is neither.
 */
bool		wxa_line_color_parse(const char *text, int rgb[3], char *rule, size_t rule_size);

/* The JSON request body of a checked request; malloc'd, NULL when out of memory. */
char	   *wxa_code_body(const WxaCodeRequest *req);

/*
 * A successful answer must be a PNG or JPEG image (errcode answers are already
 * failures in the HTTP engine). Otherwise fill err (WXA_ERR_RESPONSE), return false.
 */
bool		wxa_code_image_check(const char *body, size_t len, WxaError *err);

#endif
