/*
 * test_functions.c — unit tests of the PostgreSQL-free parts of the SQL
 * functions: code-image arguments and bodies, code2session requests and
 * answers, what the transport knows about a cut-off answer, decryption of
 * encryptedData and WeRun steps.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wxa_crypto.h"
#include "wxa_http.h"
#include "wxa_session.h"
#include "wxa_werun.h"
#include "wxa_wxacode.h"

#include "unit_check.h"


/*
 * Test vectors, made with
 *   K=00112233445566778899aabbccddeeff IV=0f0e0d0c0b0a09080706050403020100
 *   printf '%s' "$PLAINTEXT" | openssl enc -aes-128-cbc -K $K -iv $IV -base64 -A
 * and the key and IV in base64 with: echo $K | xxd -r -p | base64
 */
#define KEY_B64 "ABEiM0RVZneImaq7zN3u/w=="
#define IV_B64 "Dw4NDAsKCQgHBgUEAwIBAA=="
#define APPID "wx1234567890abcdef"
#define WERUN_PLAIN "{\"stepInfoList\":[{\"timestamp\":1445788800,\"step\":100},{\"timestamp\":1445875200,\"step\":2500}],\"watermark\":{\"timestamp\":1445900000,\"appid\":\"wx1234567890abcdef\"}}"
#define WERUN_B64 "MQmE5tdkRhEsTvN6fk9kp43CM2tgYtekxMZdDMKsU2d8AzIjxxtU9CXeEP8I21fxyk8Y57IeRQK52B7xU5DXDkWOJh9HjYuNTzYI/CfbNedNBDTUD4spjHcC6oa8HllVM72mX+ZlDajDtio7hbu+2bFfeQDCuTpW/PuBLF3bgmk8SbglM09TAyOafzKKLay0Chh2ADDt8Q95ZmJK7Tk+Rw=="
/* plaintext "not json at all" */
#define NOT_JSON_B64 "BhdBaqCe8+OWSc18NHzWCA=="
/* plaintext {"openId":"oABC","watermark":{"appid":"wxfedcba0987654321","timestamp":1}} */
#define OTHER_APP_B64 "preHfKXH/hZ0HPzjaRly0KA5JrVI2gV5mDcGN57vEMddbJWT8L+ZkaPsZIWhQA6Eo4corkO5SahQ9Om7T+ulJ2rEXEJ376sbLncdkW8DGiw="

/* ------------------------------------------------------------ code images */

static WxaCodeRequest
request_a(const char *path)
{
	WxaCodeRequest req = {.interface = WXA_CODE_A, .path = path, .width = 430,
	.env_version = "release"};

	return req;
}

static WxaCodeRequest
request_b(const char *scene, const char *page)
{
	WxaCodeRequest req = {.interface = WXA_CODE_B, .scene = scene, .page = page,
	.check_path = true, .width = 430, .env_version = "release"};

	return req;
}

/* The request fails, on argument, with a rule that contains text. */
static int
rejects(WxaCodeRequest req, const char *argument, const char *text)
{
	WxaArgumentProblem problem;

	if (wxa_code_check(&req, &problem))
		return 0;
	if (strcmp(problem.argument, argument) != 0 || strstr(problem.rule, text) == NULL)
	{
		printf("  got %s: %s\n", problem.argument, problem.rule);
		return 0;
	}
	return 1;
}

static int
accepts(WxaCodeRequest req)
{
	WxaArgumentProblem problem;

	if (wxa_code_check(&req, &problem))
		return 1;
	printf("  rejected %s: %s\n", problem.argument, problem.rule);
	return 0;
}

static void
test_code_arguments(void)
{
	char		path128[129],
				path129[130],
				scene32[33],
				scene33[34];
	WxaCodeRequest req;

	memset(path128, 'p', 128);
	path128[128] = '\0';
	memset(path129, 'p', 129);
	path129[129] = '\0';
	memset(scene32, 's', 32);
	scene32[32] = '\0';
	memset(scene33, 's', 33);
	scene33[33] = '\0';

	/* path: 1..128 bytes, no scancode_time */
	CHECK(accepts(request_a("pages/index/index?id=1")));
	CHECK(accepts(request_a(path128)));
	CHECK(rejects(request_a(""), "path", "must not be empty"));
	CHECK(rejects(request_a(path129), "path", "at most 128 bytes in UTF-8 (it has 129)"));
	/* bytes, not characters: 43 three-byte characters are 129 bytes */
	{
		char		wide[43 * 3 + 1] = "";
		size_t		used = 0;

		for (int i = 0; i < 43; i++)
			used += snprintf(wide + used, sizeof(wide) - used, "%s", "\xe4\xb8\xad");
		CHECK(rejects(request_a(wide), "path", "at most 128 bytes"));
	}
	CHECK(rejects(request_a("pages/a?scancode_time=1"), "path", "scancode_time"));
	req = request_a("");
	req.interface = WXA_CODE_C;
	CHECK(rejects(req, "path", "must not be empty"));

	/* width 280..1280 on every interface */
	req = request_a("p");
	req.width = 280;
	CHECK(accepts(req));
	req.width = 1280;
	CHECK(accepts(req));
	req.width = 279;
	CHECK(rejects(req, "width", "between 280 and 1280 pixels (it is 279)"));
	req.width = 1281;
	CHECK(rejects(req, "width", "between 280 and 1280"));
	req.interface = WXA_CODE_C;
	CHECK(rejects(req, "width", "between 280 and 1280"));
	req = request_b("x", NULL);
	req.width = -1;
	CHECK(rejects(req, "width", "between 280 and 1280"));

	/* env_version on A and B; C has none */
	req = request_a("p");
	req.env_version = "trial";
	CHECK(accepts(req));
	req.env_version = "develop";
	CHECK(accepts(req));
	req.env_version = "Release";
	CHECK(rejects(req, "env_version", "release, trial or develop"));
	req.env_version = "";
	CHECK(rejects(req, "env_version", "release, trial or develop"));
	req.interface = WXA_CODE_C;
	CHECK(accepts(req));
	req = request_b("x", NULL);
	req.env_version = "beta";
	CHECK(rejects(req, "env_version", "release, trial or develop"));

	/* scene: 1..32 characters of the documented set */
	CHECK(accepts(request_b(scene32, NULL)));
	CHECK(accepts(request_b("09AZaz!#$&'()*+,/:;=?@-._~", NULL)));
	CHECK(rejects(request_b("", NULL), "scene", "must not be empty"));
	CHECK(rejects(request_b(scene33, NULL), "scene", "at most 32 characters (it has 33)"));
	CHECK(rejects(request_b("a b", NULL), "scene", "character 2 is a space"));
	CHECK(rejects(request_b("id=1%20", NULL), "scene", "character 5, '%', is not allowed"));
	CHECK(rejects(request_b("a\"b", NULL), "scene", "'\"'"));
	CHECK(rejects(request_b("\xe4\xb8\xad", NULL), "scene", "character 1 is not ASCII"));
	CHECK(rejects(request_b("ab\xe4\xb8\xad", NULL), "scene", "character 3 is not ASCII"));
	CHECK(rejects(request_b("a\tb", NULL), "scene", "control character"));

	/* page: no leading slash, no query, not empty (NULL is the home page) */
	CHECK(accepts(request_b("x", "pages/index/index")));
	CHECK(rejects(request_b("x", "/pages/index/index"), "page", "must not start with \"/\""));
	CHECK(rejects(request_b("x", "pages/index/index?id=1"), "page", "query string"));
	CHECK(rejects(request_b("x", ""), "page", "must not be empty"));
	CHECK(rejects(request_b("x", "pages/scancode_time"), "page", "scancode_time"));
	/* scene is checked before page */
	CHECK(rejects(request_b("", "/p"), "scene", "empty"));

	/* line_color on A and B */
	req = request_a("p");
	req.line_color = "#00ff7F";
	CHECK(accepts(req));
	req.line_color = "#fff";
	CHECK(rejects(req, "line_color", "'#rrggbb' or"));
	req = request_b("x", NULL);
	req.line_color = "{\"r\":0,\"g\":300,\"b\":0}";
	CHECK(rejects(req, "line_color", "from 0 to 255"));
}

static int
color_is(const char *text, int r, int g, int b)
{
	int			rgb[3] = {-1, -1, -1};
	char		rule[256];

	return wxa_line_color_parse(text, rgb, rule, sizeof(rule)) &&
		rgb[0] == r && rgb[1] == g && rgb[2] == b;
}

static int
color_rejected(const char *text, const char *expected)
{
	int			rgb[3];
	char		rule[256] = "";

	if (wxa_line_color_parse(text, rgb, rule, sizeof(rule)))
		return 0;
	if (strstr(rule, expected) == NULL)
	{
		printf("  %s: %s\n", text, rule);
		return 0;
	}
	return 1;
}

static void
test_line_color(void)
{
	CHECK(color_is("#000000", 0, 0, 0));
	CHECK(color_is("#FF00aa", 255, 0, 170));
	CHECK(color_is("{\"r\":0,\"g\":128,\"b\":255}", 0, 128, 255));
	CHECK(color_is("{\"r\":\"12\",\"g\":\"0\",\"b\":\"255\"}", 12, 0, 255));
	CHECK(color_is(" { \"b\": 3, \"g\": 2, \"r\": 1 } ", 1, 2, 3));

	CHECK(color_rejected("", "'#rrggbb' or"));
	CHECK(color_rejected("#12345", "'#rrggbb' or"));
	CHECK(color_rejected("#1234567", "'#rrggbb' or"));
	CHECK(color_rejected("#12345g", "'#rrggbb' or"));
	CHECK(color_rejected("red", "'#rrggbb' or"));
	CHECK(color_rejected("rgb(0,0,0)", "'#rrggbb' or"));
	CHECK(color_rejected("{\"r\":0,\"g\":0}", "all three keys"));
	CHECK(color_rejected("{\"r\":0,\"g\":0,\"b\":0,\"a\":1}", "only the keys r, g and b (found \"a\")"));
	CHECK(color_rejected("{\"r\":0,\"r\":1,\"g\":0,\"b\":0}", "key r only once"));
	CHECK(color_rejected("{\"r\":256,\"g\":0,\"b\":0}", "for r"));
	CHECK(color_rejected("{\"r\":0,\"g\":-1,\"b\":0}", "for g"));
	CHECK(color_rejected("{\"r\":0,\"g\":0,\"b\":1.5}", "for b"));
	CHECK(color_rejected("{\"r\":0,\"g\":0,\"b\":1e9}", "for b"));
	CHECK(color_rejected("{\"r\":\"256\",\"g\":0,\"b\":0}", "for r"));
	CHECK(color_rejected("{\"r\":\"0x1\",\"g\":0,\"b\":0}", "for r"));
	CHECK(color_rejected("{\"r\":\"\",\"g\":0,\"b\":0}", "for r"));
	CHECK(color_rejected("{\"r\":true,\"g\":0,\"b\":0}", "for r"));
	CHECK(color_rejected("{\"r\":0,\"g\":0,\"b\":0} x", "'#rrggbb' or"));
	CHECK(color_rejected("{\"r\":0,", "'#rrggbb' or"));
	CHECK(color_rejected("[0,0,0]", "'#rrggbb' or"));
}

static int
body_is(WxaCodeRequest req, const char *expected)
{
	char	   *body = wxa_code_body(&req);
	int			ok = body != NULL && strcmp(body, expected) == 0;

	if (!ok)
		printf("  body %s\n  want %s\n", body ? body : "(null)", expected);
	free(body);
	return ok;
}

static void
test_code_bodies(void)
{
	WxaCodeRequest req;

	/* every documented parameter, defaults included; line_color only when given */
	CHECK(body_is(request_a("pages/index/index?id=1"),
				  "{\"path\":\"pages/index/index?id=1\",\"width\":430,\"auto_color\":false,"
				  "\"is_hyaline\":false,\"env_version\":\"release\"}"));
	req = request_a("p");
	req.width = 1280;
	req.auto_color = true;
	req.line_color = "#0a10FF";
	req.is_hyaline = true;
	req.env_version = "trial";
	CHECK(body_is(req,
				  "{\"path\":\"p\",\"width\":1280,\"auto_color\":true,"
				  "\"line_color\":{\"r\":\"10\",\"g\":\"16\",\"b\":\"255\"},"
				  "\"is_hyaline\":true,\"env_version\":\"trial\"}"));

	/* B: no page means the home page, so page is left out */
	CHECK(body_is(request_b("id=42", NULL),
				  "{\"scene\":\"id=42\",\"check_path\":true,\"env_version\":\"release\","
				  "\"width\":430,\"auto_color\":false,\"is_hyaline\":false}"));
	req = request_b("a\"b", "pages/coupon/coupon");
	req.check_path = false;
	req.line_color = "{\"r\":1,\"g\":\"2\",\"b\":3}";
	CHECK(body_is(req,
				  "{\"scene\":\"a\\\"b\",\"page\":\"pages/coupon/coupon\",\"check_path\":false,"
				  "\"env_version\":\"release\",\"width\":430,\"auto_color\":false,"
				  "\"line_color\":{\"r\":\"1\",\"g\":\"2\",\"b\":\"3\"},\"is_hyaline\":false}"));

	/* C takes path and width only, whatever else is set */
	req = request_a("pages/index?query=1");
	req.interface = WXA_CODE_C;
	req.line_color = "#ffffff";
	req.is_hyaline = true;
	CHECK(body_is(req, "{\"path\":\"pages/index?query=1\",\"width\":430}"));

	CHECK(strcmp(wxa_code_api(WXA_CODE_A), "wxa/getwxacode") == 0);
	CHECK(strcmp(wxa_code_api(WXA_CODE_B), "wxa/getwxacodeunlimit") == 0);
	CHECK(strcmp(wxa_code_api(WXA_CODE_C), "cgi-bin/wxaapp/createwxaqrcode") == 0);
}

/* The smallest whole images: a PNG signature, IHDR and IEND (no IDAT); a JPEG SOI, APP0 stub, EOI. */
static const char TINY_PNG[] =
	"\x89PNG\r\n\x1a\n"
	"\0\0\0\x0dIHDR\0\0\0\x01\0\0\0\x01\x08\x00\x00\x00\x00\x3a\x7e\x9b\x55"
	"\0\0\0\0IEND\xae\x42\x60\x82";
static const char TINY_JPEG[] = "\xff\xd8\xff\xe0\0\x02\x00\xff\xd9";

static int
image_rejected(const char *body, size_t len, const char *text)
{
	WxaError	err;

	wxa_error_clear(&err);
	if (wxa_code_image_check(body, len, &err))
		return 0;
	return err.kind == WXA_ERR_RESPONSE && strstr(err.message, text) != NULL;
}

static void
test_code_answers(void)
{
	WxaError	err;

	wxa_error_clear(&err);
	CHECK(wxa_code_image_check(TINY_PNG, sizeof(TINY_PNG) - 1, &err));
	CHECK(wxa_code_image_check(TINY_JPEG, sizeof(TINY_JPEG) - 1, &err));
	CHECK(err.kind == WXA_OK);
	/* cut off anywhere: never a success (an answer without Content-Length looks whole) */
	for (size_t n = 1; n < sizeof(TINY_PNG) - 1; n++)
		CHECK(!wxa_code_image_check(TINY_PNG, n, &err));
	for (size_t n = 1; n < sizeof(TINY_JPEG) - 1; n++)
		CHECK(!wxa_code_image_check(TINY_JPEG, n, &err));
	CHECK(image_rejected(TINY_PNG, sizeof(TINY_PNG) - 2, "PNG image (44 bytes) ends before its IEND chunk"));
	CHECK(image_rejected(TINY_JPEG, sizeof(TINY_JPEG) - 2, "JPEG image (8 bytes) ends without its end-of-image marker"));
	CHECK(image_rejected("\x89PNG\r\n\x1a\n", 8, "cut off"));
	CHECK(image_rejected("", 0, "empty body"));
	CHECK(image_rejected("{\"errcode\":0,\"errmsg\":\"ok\"}", 26, "JSON without an errcode"));
	CHECK(image_rejected("<html></html>", 13, "HTML page"));
	CHECK(image_rejected("GIF89a", 6, "6 bytes that are neither a PNG nor a JPEG"));
	CHECK(image_rejected("\x89PN", 3, "neither a PNG nor a JPEG"));
}

/*
 * A server in a child process that answers each of `connections` requests
 * with `answer` as given, then closes the connection. Returns its port.
 */
static int
serve(const char *answer, size_t len, int connections, pid_t *pid)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	socklen_t	addrlen = sizeof(addr);
	int			listener = socket(AF_INET, SOCK_STREAM, 0);

	*pid = -1;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (listener < 0 || bind(listener, (struct sockaddr *) &addr, sizeof(addr)) != 0 ||
		listen(listener, 4) != 0 || getsockname(listener, (struct sockaddr *) &addr, &addrlen) != 0)
		return -1;
	*pid = fork();
	if (*pid == 0)
	{
		for (int i = 0; i < connections; i++)
		{
			int			c = accept(listener, NULL, NULL);
			char		request[4096];
			size_t		got = 0;
			ssize_t		n;

			if (c < 0)
				_exit(1);
			/* a GET: the request ends with its headers */
			while (got < sizeof(request) - 1 &&
				   (n = read(c, request + got, sizeof(request) - 1 - got)) > 0)
			{
				got += (size_t) n;
				request[got] = '\0';
				if (strstr(request, "\r\n\r\n"))
					break;
			}
			if (write(c, answer, len) != (ssize_t) len)
				_exit(1);
			shutdown(c, SHUT_RDWR);
			close(c);
		}
		_exit(0);
	}
	close(listener);
	return ntohs(addr.sin_port);
}

static int
fetch_from(const char *answer, size_t len, int connections, char **body, size_t *body_len,
		   WxaError *err)
{
	WxaHttpOptions options = {.connect_timeout_ms = 2000, .timeout_ms = 5000, .max_retries = 1,
	.max_concurrency = 1, .max_body = 1 << 20, .backoff_base_ms = 1};
	pid_t		pid = -1;
	int			port = serve(answer, len, connections, &pid);
	char		url[64];
	int			rc;

	*body = NULL;
	if (port < 0 || pid < 0)
		return -2;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/wxa/getwxacode", port);
	*body = NULL;
	wxa_error_clear(err);
	rc = wxa_http_fetch(&options, NULL, url, NULL, false, "wxa/getwxacode", body, body_len,
						NULL, err);
	waitpid(pid, NULL, 0);
	return rc;
}

static void
test_cut_off_answers(void)
{
	char		answer[1024];
	int			head;
	char	   *body;
	size_t		len;
	WxaError	err;

	CHECK(wxa_http_init());

	/* a Content-Length of 412, 206 bytes, then the connection drops: an error, retried */
	head = snprintf(answer, sizeof(answer),
					"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 412\r\n\r\n");
	memset(answer + head, 'x', 206);
	CHECK(fetch_from(answer, head + 206, 2, &body, &len, &err) == -1);
	CHECK(err.kind == WXA_ERR_NETWORK && err.attempts == 2);
	CHECK(strstr(err.message, "closed after 206 bytes, before the whole answer arrived") != NULL);
	free(body);

	/* no Content-Length: to the transport the half image is whole; the image check is not fooled */
	head = snprintf(answer, sizeof(answer),
					"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nConnection: close\r\n\r\n");
	memcpy(answer + head, TINY_PNG, 22);
	CHECK(fetch_from(answer, head + 22, 1, &body, &len, &err) == 0);
	CHECK(body != NULL && len == 22 && memcmp(body, TINY_PNG, 22) == 0);
	CHECK(body != NULL && !wxa_code_image_check(body, len, &err));
	CHECK(strstr(err.message, "ends before its IEND chunk") != NULL);
	free(body);

	/* the whole image without Content-Length is fine */
	memcpy(answer + head, TINY_PNG, sizeof(TINY_PNG) - 1);
	CHECK(fetch_from(answer, head + sizeof(TINY_PNG) - 1, 1, &body, &len, &err) == 0);
	wxa_error_clear(&err);
	CHECK(body != NULL && wxa_code_image_check(body, len, &err));
	free(body);
}

/* ------------------------------------------------------------ code2session */

static void
test_code2session(void)
{
	WxaSession	s;
	WxaError	err;
	char	   *url;
	const char *with_union = "{\"session_key\":\"c2Vzc2lvbmtleTEyMzQ1Ng==\",\"openid\":\"oABC\",\"unionid\":\"oUNION\"}";
	const char *without = "{\"openid\":\"oABC\",\"session_key\":\"a2V5\"}";

	url = wxa_code2session_url("http://127.0.0.1:9", "wx1", "s3cr+t", "a b&c=d");
	CHECK(url != NULL && strcmp(url, "http://127.0.0.1:9/sns/jscode2session?appid=wx1&secret=s3cr%2Bt"
								"&js_code=a%20b%26c%3Dd&grant_type=authorization_code") == 0);
	free(url);

	wxa_error_clear(&err);
	CHECK(wxa_code2session_parse(with_union, strlen(with_union), &s, &err) == 0);
	CHECK(strcmp(s.openid, "oABC") == 0);
	CHECK(strcmp(s.session_key, "c2Vzc2lvbmtleTEyMzQ1Ng==") == 0);
	CHECK(s.unionid && strcmp(s.unionid, "oUNION") == 0);
	wxa_session_free(&s);
	CHECK(s.openid == NULL && s.session_key == NULL && s.unionid == NULL);

	CHECK(wxa_code2session_parse(without, strlen(without), &s, &err) == 0);
	CHECK(s.unionid == NULL);
	wxa_session_free(&s);
	CHECK(wxa_code2session_parse("{\"openid\":\"o\",\"session_key\":\"k\",\"unionid\":null}", 47, &s, &err) == 0);
	CHECK(s.unionid == NULL);
	wxa_session_free(&s);

	wxa_error_clear(&err);
	CHECK(wxa_code2session_parse("{\"session_key\":\"k\"}", 19, &s, &err) == -1);
	CHECK(err.kind == WXA_ERR_RESPONSE && strstr(err.message, "openid") != NULL);
	CHECK(s.openid == NULL && s.session_key == NULL);
	wxa_error_clear(&err);
	CHECK(wxa_code2session_parse("{\"openid\":\"o\"}", 14, &s, &err) == -1);
	CHECK(strstr(err.message, "session_key") != NULL);
	wxa_error_clear(&err);
	CHECK(wxa_code2session_parse("{\"openid\":\"o\",\"session_key\":\"k\",\"unionid\":7}", 44, &s, &err) == -1);
	CHECK(strstr(err.message, "unionid") != NULL);
	wxa_error_clear(&err);
	CHECK(wxa_code2session_parse("[1]", 3, &s, &err) == -1);
	CHECK(strstr(err.message, "not a JSON object") != NULL);
	/* the key never reaches a message */
	CHECK(strstr(err.message, "k\"") == NULL);
}

/* ------------------------------------------------------------ decryption */

static int
base64_is(const char *text, const char *expected, size_t expected_len)
{
	size_t		len;
	int			oom;
	unsigned char *bytes = wxa_base64_decode(text, &len, &oom);
	int			ok = bytes != NULL && len == expected_len && memcmp(bytes, expected, len) == 0;

	free(bytes);
	return ok;
}

static int
base64_rejected(const char *text)
{
	size_t		len;
	int			oom;
	unsigned char *bytes = wxa_base64_decode(text, &len, &oom);

	free(bytes);
	return bytes == NULL && !oom;
}

static void
test_base64(void)
{
	CHECK(base64_is("", "", 0));
	CHECK(base64_is("YQ==", "a", 1));
	CHECK(base64_is("YWI=", "ab", 2));
	CHECK(base64_is("YWJj", "abc", 3));
	CHECK(base64_is("+/+/", "\xfb\xff\xbf", 3));
	/* line breaks, as encode(..., 'base64') writes them, are fine */
	CHECK(base64_is("YWJj\nYWJj\r\n", "abcabc", 6));
	CHECK(base64_rejected("YQ"));		/* padding missing */
	CHECK(base64_rejected("YQ="));
	CHECK(base64_rejected("Y*==")); /* outside the alphabet */
	CHECK(base64_rejected("-_-_"));		/* the URL-safe alphabet */
	CHECK(base64_rejected("YW Jj"));	/* a '+' that URL decoding made a space */
	CHECK(base64_rejected("YQ==YWJj")); /* data after the padding */
	CHECK(base64_rejected("YWJj-"));	/* EVP alone would stop there quietly */
	CHECK(base64_rejected("YWJj\tYWJj"));
}

static WxaDecryptStatus
decrypt(const char *data, const char *iv, const char *key, const char *appid,
		const char **argument)
{
	char	   *plaintext;
	size_t		len;
	WxaDecryptStatus status = wxa_decrypt_data(data, iv, key, appid, &plaintext, &len, argument);

	if (status != WXA_DECRYPT_OK)
		CHECK(plaintext == NULL && len == 0);
	wxa_plaintext_free(plaintext, len);
	return status;
}

static void
test_decrypt(void)
{
	char	   *plaintext;
	size_t		len;
	const char *argument;

	CHECK(wxa_decrypt_data(WERUN_B64, IV_B64, KEY_B64, NULL, &plaintext, &len, &argument) == WXA_DECRYPT_OK);
	CHECK(len == strlen(WERUN_PLAIN) && memcmp(plaintext, WERUN_PLAIN, len) == 0 && plaintext[len] == '\0');
	wxa_plaintext_free(plaintext, len);

	/* the watermark */
	CHECK(decrypt(WERUN_B64, IV_B64, KEY_B64, APPID, &argument) == WXA_DECRYPT_OK);
	CHECK(decrypt(WERUN_B64, IV_B64, KEY_B64, "wxfedcba0987654321", &argument) == WXA_DECRYPT_WRONG_APPID);
	CHECK(decrypt(OTHER_APP_B64, IV_B64, KEY_B64, APPID, &argument) == WXA_DECRYPT_WRONG_APPID);
	CHECK(decrypt(OTHER_APP_B64, IV_B64, KEY_B64, "wxfedcba0987654321", &argument) == WXA_DECRYPT_OK);
	CHECK(decrypt(OTHER_APP_B64, IV_B64, KEY_B64, NULL, &argument) == WXA_DECRYPT_OK);

	/* a wrong key breaks the padding (this one does: checked with openssl enc -d) */
	CHECK(decrypt(WERUN_B64, IV_B64, "AAAAAAAAAAAAAAAAAAAAAA==", NULL, &argument) == WXA_DECRYPT_BAD_PADDING);
	/* a wrong IV garbles only the first block: the padding is fine, the JSON is not */
	CHECK(decrypt(WERUN_B64, "AAAAAAAAAAAAAAAAAAAAAA==", KEY_B64, NULL, &argument) == WXA_DECRYPT_NOT_JSON);
	CHECK(decrypt(NOT_JSON_B64, IV_B64, KEY_B64, NULL, &argument) == WXA_DECRYPT_NOT_JSON);

	/* sizes */
	CHECK(decrypt(WERUN_B64, IV_B64, "AAAAAAAAAAAAAAAAAAAA", NULL, &argument) == WXA_DECRYPT_BAD_KEY_SIZE);
	CHECK(strcmp(argument, "session_key") == 0);
	CHECK(decrypt(WERUN_B64, "AAAAAAAAAAAAAAAAAAAAAAAA", KEY_B64, NULL, &argument) == WXA_DECRYPT_BAD_IV_SIZE);
	CHECK(strcmp(argument, "iv") == 0);
	CHECK(decrypt("AAAAAAAAAAAAAAAAAAAA", IV_B64, KEY_B64, NULL, &argument) == WXA_DECRYPT_BAD_DATA_SIZE);
	CHECK(strcmp(argument, "encrypted_data") == 0);
	CHECK(decrypt("", IV_B64, KEY_B64, NULL, &argument) == WXA_DECRYPT_BAD_DATA_SIZE);

	/* base64, named per argument */
	CHECK(decrypt("MQmE5tdk!", IV_B64, KEY_B64, NULL, &argument) == WXA_DECRYPT_BAD_BASE64);
	CHECK(strcmp(argument, "encrypted_data") == 0);
	CHECK(decrypt(WERUN_B64, "Dw4NDAsKCQgHBgUEAwIBAA", KEY_B64, NULL, &argument) == WXA_DECRYPT_BAD_BASE64);
	CHECK(strcmp(argument, "iv") == 0);
	CHECK(decrypt(WERUN_B64, IV_B64, "ABEiM0RVZneImaq7zN3u w==", NULL, &argument) == WXA_DECRYPT_BAD_BASE64);
	CHECK(strcmp(argument, "session_key") == 0);
}

static void
test_werun(void)
{
	WxaStep    *steps;
	int			n,
				bad;

	CHECK(wxa_werun_parse(WERUN_PLAIN, &steps, &n, &bad) == WXA_WERUN_OK);
	CHECK(n == 2);
	CHECK(steps[0].timestamp == 1445788800 && steps[0].step == 100);
	CHECK(steps[1].timestamp == 1445875200 && steps[1].step == 2500);
	free(steps);

	CHECK(wxa_werun_parse("{\"stepInfoList\":[]}", &steps, &n, &bad) == WXA_WERUN_OK);
	CHECK(n == 0 && steps == NULL);
	CHECK(wxa_werun_parse("{\"openId\":\"o\"}", &steps, &n, &bad) == WXA_WERUN_NO_LIST);
	CHECK(wxa_werun_parse("{\"stepInfoList\":{}}", &steps, &n, &bad) == WXA_WERUN_NO_LIST);
	CHECK(wxa_werun_parse("nope", &steps, &n, &bad) == WXA_WERUN_NOT_JSON);
	CHECK(wxa_werun_parse("{\"stepInfoList\":[{\"timestamp\":1,\"step\":2},{\"timestamp\":1}]}",
						  &steps, &n, &bad) == WXA_WERUN_BAD_ENTRY);
	CHECK(bad == 2 && steps == NULL && n == 0);
	CHECK(wxa_werun_parse("{\"stepInfoList\":[{\"timestamp\":1,\"step\":\"2\"}]}",
						  &steps, &n, &bad) == WXA_WERUN_BAD_ENTRY);
	CHECK(wxa_werun_parse("{\"stepInfoList\":[{\"timestamp\":1.5,\"step\":2}]}",
						  &steps, &n, &bad) == WXA_WERUN_BAD_ENTRY);
	CHECK(wxa_werun_parse("{\"stepInfoList\":[{\"timestamp\":1,\"step\":-2}]}",
						  &steps, &n, &bad) == WXA_WERUN_BAD_ENTRY);
	CHECK(wxa_werun_parse("{\"stepInfoList\":[{\"timestamp\":1,\"step\":2147483648}]}",
						  &steps, &n, &bad) == WXA_WERUN_BAD_ENTRY);
	CHECK(wxa_werun_parse("{\"stepInfoList\":[7]}", &steps, &n, &bad) == WXA_WERUN_BAD_ENTRY);
}

int
main(void)
{
	test_code_arguments();
	test_line_color();
	test_code_bodies();
	test_code_answers();
	test_cut_off_answers();
	test_code2session();
	test_base64();
	test_decrypt();
	test_werun();
	return unit_report();
}
