/*
 * wxa_wxacode.c — arguments, request bodies and answers of the code-image
 * interfaces A, B and C.
 *
 * Every rule WeChat documents is checked here first, so that a call that would
 * fail never spends quota (A + C: 100,000 codes ever; B: 5,000 a minute).
 * Bodies carry every parameter the interface documents, defaults included:
 * being explicit does not depend on WeChat's defaults staying the same.
 */
#include "wxa_wxacode.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wxa_api.h"

#define SCENE_SPECIALS "!#$&'()*+,/:;=?@-._~"
#define COLOR_FORMS "'#rrggbb' or '{\"r\":0,\"g\":0,\"b\":0}'"

const char *
wxa_code_api(WxaCodeInterface interface)
{
	switch (interface)
	{
		case WXA_CODE_A:
			return "wxa/getwxacode";
		case WXA_CODE_B:
			return "wxa/getwxacodeunlimit";
		case WXA_CODE_C:
			return "cgi-bin/wxaapp/createwxaqrcode";
	}
	return "?";
}

static bool
problem_set(WxaArgumentProblem *problem, const char *argument, const char *fmt,...)
__attribute__((format(printf, 3, 4)));

static bool
problem_set(WxaArgumentProblem *problem, const char *argument, const char *fmt,...)
{
	va_list		ap;

	problem->argument = argument;
	va_start(ap, fmt);
	vsnprintf(problem->rule, sizeof(problem->rule), fmt, ap);
	va_end(ap);
	return false;
}

static bool
scene_char_ok(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c != '\0' && strchr(SCENE_SPECIALS, c) != NULL);
}

/* The path of A and C: 1..128 bytes, without the reserved scancode_time. */
static bool
check_path(const char *path, WxaArgumentProblem *problem)
{
	size_t		len = strlen(path);

	if (len == 0)
		return problem_set(problem, "path", "must not be empty");
	if (len > WXA_CODE_MAX_PATH_BYTES)
		return problem_set(problem, "path", "must be at most %d bytes in UTF-8 (it has %zu)",
						   WXA_CODE_MAX_PATH_BYTES, len);
	if (strstr(path, "scancode_time") != NULL)
		return problem_set(problem, "path", "must not contain \"scancode_time\", which WeChat reserves");
	return true;
}

static bool
check_scene(const char *scene, WxaArgumentProblem *problem)
{
	size_t		len = strlen(scene);
	int			position = 0;

	if (len == 0)
		return problem_set(problem, "scene", "must not be empty");
	for (const unsigned char *p = (const unsigned char *) scene; *p; p++)
	{
		/* count characters, not UTF-8 continuation bytes */
		if ((*p & 0xC0) != 0x80)
			position++;
		if (scene_char_ok(*p))
			continue;
		if (*p > ' ' && *p < 0x7F)
			return problem_set(problem, "scene",
							   "may contain only 0-9 A-Z a-z " SCENE_SPECIALS " (character %d, '%c', is not allowed)",
							   position, *p);
		return problem_set(problem, "scene",
						   "may contain only 0-9 A-Z a-z " SCENE_SPECIALS " (character %d is %s)",
						   position, *p == ' ' ? "a space" : *p < 0x80 ? "a control character" : "not ASCII");
	}
	if (len > WXA_CODE_MAX_SCENE_CHARS)
		return problem_set(problem, "scene", "must be at most %d characters (it has %zu)",
						   WXA_CODE_MAX_SCENE_CHARS, len);
	return true;
}

static bool
check_page(const char *page, WxaArgumentProblem *problem)
{
	if (page[0] == '\0')
		return problem_set(problem, "page", "must not be empty (pass NULL for the home page)");
	if (page[0] == '/')
		return problem_set(problem, "page",
						   "must not start with \"/\" (write \"pages/index/index\", not \"/pages/index/index\")");
	if (strchr(page, '?') != NULL)
		return problem_set(problem, "page",
						   "must not contain a query string (\"?\"); pass parameters in scene");
	if (strstr(page, "scancode_time") != NULL)
		return problem_set(problem, "page", "must not contain \"scancode_time\", which WeChat reserves");
	return true;
}

static bool
check_width(int width, WxaArgumentProblem *problem)
{
	if (width < WXA_CODE_MIN_WIDTH || width > WXA_CODE_MAX_WIDTH)
		return problem_set(problem, "width", "must be between %d and %d pixels (it is %d)",
						   WXA_CODE_MIN_WIDTH, WXA_CODE_MAX_WIDTH, width);
	return true;
}

static bool
check_env_version(const char *env_version, WxaArgumentProblem *problem)
{
	if (strcmp(env_version, "release") != 0 && strcmp(env_version, "trial") != 0 &&
		strcmp(env_version, "develop") != 0)
		return problem_set(problem, "env_version", "must be release, trial or develop");
	return true;
}

bool
wxa_code_check(const WxaCodeRequest *req, WxaArgumentProblem *problem)
{
	int			rgb[3];

	if (req->interface == WXA_CODE_B)
	{
		if (!check_scene(req->scene, problem))
			return false;
		if (req->page && !check_page(req->page, problem))
			return false;
	}
	else if (!check_path(req->path, problem))
		return false;
	if (!check_width(req->width, problem))
		return false;
	if (req->interface == WXA_CODE_C)
		return true;
	if (req->line_color &&
		!wxa_line_color_parse(req->line_color, rgb, problem->rule, sizeof(problem->rule)))
	{
		problem->argument = "line_color";
		return false;
	}
	return check_env_version(req->env_version, problem);
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool
parse_hex_color(const char *text, int rgb[3])
{
	if (strlen(text) != 7)
		return false;
	for (int i = 0; i < 3; i++)
	{
		int			hi = hex_digit(text[1 + 2 * i]);
		int			lo = hex_digit(text[2 + 2 * i]);

		if (hi < 0 || lo < 0)
			return false;
		rgb[i] = hi * 16 + lo;
	}
	return true;
}

/* A component of the object form: an integer, or a string of decimal digits as WeChat's docs write it. */
static bool
component_value(const cJSON *item, int *value)
{
	if (cJSON_IsNumber(item))
	{
		if (item->valuedouble < 0 || item->valuedouble > 255 ||
			item->valuedouble != (double) (int) item->valuedouble)
			return false;
		*value = (int) item->valuedouble;
		return true;
	}
	if (cJSON_IsString(item))
	{
		const char *s = item->valuestring;
		long		v = 0;

		if (s[0] == '\0' || strlen(s) > 3)
			return false;
		for (; *s; s++)
		{
			if (*s < '0' || *s > '9')
				return false;
			v = v * 10 + (*s - '0');
		}
		if (v > 255)
			return false;
		*value = (int) v;
		return true;
	}
	return false;
}

static bool
parse_object_color(const char *text, int rgb[3], char *rule, size_t rule_size)
{
	static const char *const names[3] = {"r", "g", "b"};
	cJSON	   *root = cJSON_ParseWithOpts(text, NULL, true);
	const cJSON *item;
	int			found = 0;
	bool		ok = true;

	if (!cJSON_IsObject(root))
	{
		cJSON_Delete(root);
		snprintf(rule, rule_size, "must be " COLOR_FORMS);
		return false;
	}
	cJSON_ArrayForEach(item, root)
	{
		int			i;

		for (i = 0; i < 3; i++)
			if (strcmp(item->string, names[i]) == 0)
				break;
		if (i == 3)
		{
			snprintf(rule, rule_size, "must have only the keys r, g and b (found \"%.40s\")",
					 item->string);
			ok = false;
			break;
		}
		if (found & (1 << i))
		{
			snprintf(rule, rule_size, "must have the key %s only once", names[i]);
			ok = false;
			break;
		}
		if (!component_value(item, &rgb[i]))
		{
			snprintf(rule, rule_size, "must have an integer from 0 to 255 (or its decimal string) for %s",
					 names[i]);
			ok = false;
			break;
		}
		found |= 1 << i;
	}
	if (ok && found != 7)
	{
		snprintf(rule, rule_size, "must have all three keys r, g and b");
		ok = false;
	}
	cJSON_Delete(root);
	return ok;
}

bool
wxa_line_color_parse(const char *text, int rgb[3], char *rule, size_t rule_size)
{
	const char *p = text;

	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (*p == '{')
		return parse_object_color(text, rgb, rule, rule_size);
	if (text[0] == '#' && parse_hex_color(text, rgb))
		return true;
	snprintf(rule, rule_size, "must be " COLOR_FORMS);
	return false;
}

/* line_color as WeChat's docs show it: an object of decimal strings. */
static bool
add_line_color(cJSON *body, const char *text)
{
	static const char *const names[3] = {"r", "g", "b"};
	int			rgb[3];
	char		rule[256];
	cJSON	   *color;

	if (!wxa_line_color_parse(text, rgb, rule, sizeof(rule)))
		return false;
	color = cJSON_AddObjectToObject(body, "line_color");
	if (color == NULL)
		return false;
	for (int i = 0; i < 3; i++)
	{
		char		decimal[4];

		snprintf(decimal, sizeof(decimal), "%d", rgb[i]);
		if (cJSON_AddStringToObject(color, names[i], decimal) == NULL)
			return false;
	}
	return true;
}

/* The fields A and B share, in the order of their documentation. */
static bool
add_code_style(cJSON *body, const WxaCodeRequest *req)
{
	return cJSON_AddNumberToObject(body, "width", req->width) &&
		cJSON_AddBoolToObject(body, "auto_color", req->auto_color) &&
		(req->line_color == NULL || add_line_color(body, req->line_color)) &&
		cJSON_AddBoolToObject(body, "is_hyaline", req->is_hyaline);
}

char *
wxa_code_body(const WxaCodeRequest *req)
{
	cJSON	   *body = cJSON_CreateObject();
	bool		ok = body != NULL;
	char	   *text = NULL;

	switch (req->interface)
	{
		case WXA_CODE_A:
			ok = ok && cJSON_AddStringToObject(body, "path", req->path) &&
				add_code_style(body, req) &&
				cJSON_AddStringToObject(body, "env_version", req->env_version);
			break;
		case WXA_CODE_B:
			/* no page means the home page: WeChat's default, there is no value for it */
			ok = ok && cJSON_AddStringToObject(body, "scene", req->scene) &&
				(req->page == NULL || cJSON_AddStringToObject(body, "page", req->page)) &&
				cJSON_AddBoolToObject(body, "check_path", req->check_path) &&
				cJSON_AddStringToObject(body, "env_version", req->env_version) &&
				add_code_style(body, req);
			break;
		case WXA_CODE_C:
			ok = ok && cJSON_AddStringToObject(body, "path", req->path) &&
				cJSON_AddNumberToObject(body, "width", req->width);
			break;
	}
	if (ok)
		text = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	return text;
}

/* A PNG ends with its IEND chunk: length 0, type "IEND", CRC AE 42 60 82. */
static bool
png_complete(const unsigned char *b, size_t len)
{
	static const unsigned char iend[12] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82};

	return len >= 8 + sizeof(iend) && memcmp(b + len - sizeof(iend), iend, sizeof(iend)) == 0;
}

/* A JPEG ends with its EOI marker, FF D9. */
static bool
jpeg_complete(const unsigned char *b, size_t len)
{
	return len >= 4 && b[len - 2] == 0xFF && b[len - 1] == 0xD9;
}

bool
wxa_code_image_check(const char *body, size_t len, WxaError *err)
{
	const unsigned char *b = (const unsigned char *) body;

	/* an answer cut off without a Content-Length looks like success to the transport */
	switch (wxa_body_kind(body, len))
	{
		case WXA_BODY_PNG:
			if (png_complete(b, len))
				return true;
			wxa_error_set(err, WXA_ERR_RESPONSE,
						  "WeChat's PNG image (%zu bytes) ends before its IEND chunk: the answer was cut off", len);
			break;
		case WXA_BODY_JPEG:
			if (jpeg_complete(b, len))
				return true;
			wxa_error_set(err, WXA_ERR_RESPONSE,
						  "WeChat's JPEG image (%zu bytes) ends without its end-of-image marker: the answer was cut off", len);
			break;
		case WXA_BODY_EMPTY:
			wxa_error_set(err, WXA_ERR_RESPONSE, "WeChat answered with an empty body instead of an image");
			break;
		case WXA_BODY_JSON:
			wxa_error_set(err, WXA_ERR_RESPONSE, "WeChat answered with JSON without an errcode instead of an image");
			break;
		case WXA_BODY_HTML:
			wxa_error_set(err, WXA_ERR_RESPONSE, "WeChat answered with an HTML page instead of an image");
			break;
		case WXA_BODY_OTHER:
			wxa_error_set(err, WXA_ERR_RESPONSE,
						  "WeChat answered with %zu bytes that are neither a PNG nor a JPEG image", len);
			break;
	}
	return false;
}
