/*
 * fuzz_api.c — what every answer goes through before its own parser: body
 * classification and errcode extraction; redaction of credentials; and the
 * token and code2session answers.
 *
 * Input: body, secret and token separated by NULs. The body (exact size, no
 * NUL) goes to wxa_body_kind, wxa_body_errcode, wxa_token_parse and
 * wxa_code2session_parse; the body as text is redacted with the secret and
 * the token.
 */
#include "fuzz.h"

#include <stdbool.h>

#include "wxa_api.h"
#include "wxa_session.h"
#include "wxa_token.h"

/* Redaction never grows the text and leaves no credential behind. */
static void
check_redact(const char *text, const char *secret, const char *token)
{
	char	   *copy = strdup(text);
	size_t		before = strlen(text);

	FUZZ_CHECK(copy != NULL);
	wxa_redact(copy, secret, token);
	FUZZ_CHECK(strlen(copy) <= before);
	fuzz_check_scrubbed(copy, "access_token=");
	fuzz_check_scrubbed(copy, "secret=");
	/* a credential with a '*' could be re-formed from the stars; real ones have none */
	if (secret && strlen(secret) >= 4 && !strchr(secret, '*') && (!token || !strchr(token, '*')))
		FUZZ_CHECK(strstr(copy, secret) == NULL);
	if (token && strlen(token) >= 4 && !strchr(token, '*') && (!secret || !strchr(secret, '*')))
		FUZZ_CHECK(strstr(copy, token) == NULL);
	free(copy);
}

static void
check_body(const char *body, size_t len)
{
	WxaBodyKind kind = wxa_body_kind(body, len);
	long		errcode = 0;
	char		errmsg[512];
	WxaSession	session;
	WxaError	err;
	char	   *token = (char *) 1;
	long		expires_in = 0;
	size_t		i = 0;

	while (i < len && strchr(" \t\r\n", body[i]) && body[i] != '\0')
		i++;
	if (kind == WXA_BODY_EMPTY)
		FUZZ_CHECK(i == len);
	if (kind == WXA_BODY_JSON)
		FUZZ_CHECK(i < len && body[i] == '{');

	memset(errmsg, 'x', sizeof(errmsg));
	if (wxa_body_errcode(body, len, &errcode, errmsg, sizeof(errmsg), NULL, NULL))
	{
		FUZZ_CHECK(kind == WXA_BODY_JSON);
		FUZZ_CHECK(errcode != 0);
		FUZZ_CHECK(memchr(errmsg, '\0', sizeof(errmsg)) != NULL);
		fuzz_check_scrubbed(errmsg, "access_token=");
		fuzz_check_scrubbed(errmsg, "secret=");
	}

	wxa_error_clear(&err);
	if (wxa_token_parse(body, len, &token, &expires_in, &err) == 0)
	{
		FUZZ_CHECK(token && token[0] != '\0' && strlen(token) < 512);
		FUZZ_CHECK(expires_in >= 0 && expires_in < 1000000000L);
		free(token);
	}
	else
		FUZZ_CHECK(err.kind != WXA_OK && err.message[0] != '\0' && token == NULL);

	wxa_error_clear(&err);
	if (wxa_code2session_parse(body, len, &session, &err) == 0)
	{
		FUZZ_CHECK(session.openid && session.openid[0] != '\0');
		FUZZ_CHECK(session.session_key && session.session_key[0] != '\0');
		FUZZ_CHECK(session.unionid == NULL || session.unionid[0] != '\0');
		wxa_session_free(&session);
	}
	else
	{
		FUZZ_CHECK(err.kind == WXA_ERR_RESPONSE && err.message[0] != '\0');
		FUZZ_CHECK(!session.openid && !session.session_key && !session.unionid);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = size ? memchr(data, '\0', size) : NULL;
	size_t		len = nul ? (size_t) (nul - data) : size;
	char	   *body = malloc(len ? len : 1);
	char	   *parts[3];

	FUZZ_CHECK(body != NULL);
	memcpy(body, data, len);
	check_body(body, len);
	free(body);

	fuzz_split(data, size, parts, 3);
	check_redact(parts[0], parts[1], parts[2]);
	for (int i = 0; i < 3; i++)
		free(parts[i]);
	return 0;
}
