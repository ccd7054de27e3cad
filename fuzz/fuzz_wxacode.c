/*
 * fuzz_wxacode.c — the code-image interfaces: argument checks, line_color,
 * request bodies, and telling an image answer from anything else.
 *
 * Input: byte 0 the interface (A, B, C), byte 1 flags (check_path,
 * auto_color, is_hyaline, page given, line_color given), bytes 2..3 the width
 * (180..1380); the rest is path-or-scene, page, line_color and env_version
 * separated by NULs. The rest as a whole is also an answer body.
 */
#include "fuzz.h"

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "wxa_wxacode.h"

#define HEADER 4

static void
check_color(const char *text)
{
	int			rgb[3] = {-1, -1, -1};
	char		rule[256] = "";

	if (wxa_line_color_parse(text, rgb, rule, sizeof(rule)))
	{
		for (int i = 0; i < 3; i++)
			FUZZ_CHECK(rgb[i] >= 0 && rgb[i] <= 255);
	}
	else
		FUZZ_CHECK(rule[0] != '\0');
}

static const char *
string_field(const cJSON *body, const char *name)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(body, name);

	return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* The body of a request that passed the checks says what was asked, and only that. */
static void
check_body(const WxaCodeRequest *req)
{
	char	   *text = wxa_code_body(req);
	cJSON	   *body;
	const cJSON *width;
	const cJSON *color;

	FUZZ_CHECK(text != NULL);
	body = cJSON_Parse(text);
	FUZZ_CHECK(cJSON_IsObject(body));
	width = cJSON_GetObjectItemCaseSensitive(body, "width");
	FUZZ_CHECK(cJSON_IsNumber(width) && width->valuedouble == req->width);
	if (req->interface == WXA_CODE_B)
	{
		FUZZ_CHECK(string_field(body, "scene") && strcmp(string_field(body, "scene"), req->scene) == 0);
		FUZZ_CHECK(req->page ? string_field(body, "page") && strcmp(string_field(body, "page"), req->page) == 0
				   : cJSON_GetObjectItemCaseSensitive(body, "page") == NULL);
	}
	else
		FUZZ_CHECK(string_field(body, "path") && strcmp(string_field(body, "path"), req->path) == 0);
	color = cJSON_GetObjectItemCaseSensitive(body, "line_color");
	if (req->interface == WXA_CODE_C || req->line_color == NULL)
		FUZZ_CHECK(color == NULL);
	else
	{
		static const char *const names[] = {"r", "g", "b"};

		FUZZ_CHECK(cJSON_IsObject(color) && cJSON_GetArraySize(color) == 3);
		for (int i = 0; i < 3; i++)
		{
			const char *v = string_field(color, names[i]);

			FUZZ_CHECK(v != NULL && strlen(v) >= 1 && strlen(v) <= 3 &&
					   strspn(v, "0123456789") == strlen(v) && strtol(v, NULL, 10) <= 255);
		}
	}
	if (req->interface != WXA_CODE_C)
		FUZZ_CHECK(string_field(body, "env_version") &&
				   strcmp(string_field(body, "env_version"), req->env_version) == 0);
	cJSON_Delete(body);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	WxaCodeRequest req;
	WxaArgumentProblem problem;
	WxaError	err;
	char	   *parts[4];
	char	   *answer;

	if (size < HEADER)
		return 0;
	memset(&req, 0, sizeof(req));
	req.interface = (WxaCodeInterface) (data[0] % 3);
	req.check_path = data[1] & 1;
	req.auto_color = data[1] & 2;
	req.is_hyaline = data[1] & 4;
	req.width = 180 + (data[2] << 8 | data[3]) % 1201;
	fuzz_split(data + HEADER, size - HEADER, parts, 4);
	req.path = req.scene = parts[0];
	req.page = (data[1] & 8) ? parts[1] : NULL;
	req.line_color = (data[1] & 16) ? parts[2] : NULL;
	req.env_version = parts[3] ? parts[3] : "release";

	memset(&problem, 0, sizeof(problem));
	if (wxa_code_check(&req, &problem))
	{
		size_t		len = strlen(parts[0]);

		FUZZ_CHECK(req.width >= WXA_CODE_MIN_WIDTH && req.width <= WXA_CODE_MAX_WIDTH);
		if (req.interface == WXA_CODE_B)
			FUZZ_CHECK(len >= 1 && len <= WXA_CODE_MAX_SCENE_CHARS);
		else
			FUZZ_CHECK(len >= 1 && len <= WXA_CODE_MAX_PATH_BYTES);
		check_body(&req);
	}
	else
		FUZZ_CHECK(problem.argument != NULL && problem.rule[0] != '\0');
	if (parts[2])
		check_color(parts[2]);

	/* the same bytes as an answer: an image exactly when the magic says so */
	answer = malloc(size - HEADER + 1);
	FUZZ_CHECK(answer != NULL);
	memcpy(answer, data + HEADER, size - HEADER);
	wxa_error_clear(&err);
	if (wxa_code_image_check(answer, size - HEADER, &err))
		FUZZ_CHECK(size - HEADER >= 3 && (answer[0] == '\x89' || answer[0] == '\xff'));
	else
		FUZZ_CHECK(err.kind == WXA_ERR_RESPONSE && err.message[0] != '\0');
	free(answer);
	for (int i = 0; i < 4; i++)
		free(parts[i]);
	return 0;
}
