/*
 * fuzz_decrypt.c — encryptedData decryption, the watermark check, WeRun steps.
 *
 * Byte 0 picks the mode; the rest is:
 *   0  encrypted_data, iv, session_key and appid, separated by NULs (mostly
 *      the base64 and size checks: random bytes rarely decrypt)
 *   1  a plaintext: encrypted here with a fixed key, so that decryption always
 *      succeeds and the fuzzer drives the JSON and watermark checks; an odd
 *      byte 1 asks for the appid check
 *   2  decrypted WeRun JSON for wxa_werun_parse
 */
#include "fuzz.h"

#include <openssl/evp.h>
#include <stdbool.h>

#include <cjson/cJSON.h>

#include "wxa_crypto.h"
#include "wxa_werun.h"

#define APPID "wx1234567890abcdef"

static const unsigned char key[16] = "0123456789abcdef";
static const unsigned char iv[16] = "fedcba9876543210";

static char *
base64(const unsigned char *bytes, size_t n)
{
	char	   *text = malloc(4 * ((n + 2) / 3) + 1);

	FUZZ_CHECK(text != NULL);
	EVP_EncodeBlock((unsigned char *) text, bytes, (int) n);
	return text;
}

static char *
encrypt(const uint8_t *plain, size_t n)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	unsigned char *out = malloc(n + 16);
	int			part = 0,
				last = 0;
	char	   *text;

	FUZZ_CHECK(ctx != NULL && out != NULL);
	FUZZ_CHECK(EVP_EncryptInit_ex(ctx, EVP_aes_128_cbc(), NULL, key, iv) == 1);
	FUZZ_CHECK(EVP_EncryptUpdate(ctx, out, &part, plain, (int) n) == 1);
	FUZZ_CHECK(EVP_EncryptFinal_ex(ctx, out + part, &last) == 1);
	EVP_CIPHER_CTX_free(ctx);
	text = base64(out, (size_t) part + last);
	free(out);
	return text;
}

/* Written independently of wxa_crypto.c: does the plaintext carry this appid? */
static bool
watermark_is(const char *plaintext, const char *appid)
{
	cJSON	   *root = cJSON_Parse(plaintext);
	const cJSON *watermark = cJSON_GetObjectItemCaseSensitive(root, "watermark");
	const cJSON *owner = cJSON_GetObjectItemCaseSensitive(watermark, "appid");
	bool		ok = cJSON_IsObject(root) && cJSON_IsObject(watermark) &&
		cJSON_IsString(owner) && strcmp(owner->valuestring, appid) == 0;

	cJSON_Delete(root);
	return ok;
}

static void
check_werun(const char *plaintext)
{
	WxaStep    *steps = (WxaStep *) 1;
	int			n = -1,
				bad = -1;
	WxaWerunStatus status = wxa_werun_parse(plaintext, &steps, &n, &bad);

	if (status == WXA_WERUN_OK)
	{
		FUZZ_CHECK(n >= 0 && bad == 0);
		FUZZ_CHECK((n == 0) == (steps == NULL));
		for (int i = 0; i < n; i++)
		{
			FUZZ_CHECK(steps[i].timestamp >= 0 && steps[i].timestamp <= 253402300799LL);
			FUZZ_CHECK(steps[i].step >= 0);
		}
	}
	else
	{
		FUZZ_CHECK(steps == NULL && n == 0);
		FUZZ_CHECK((status == WXA_WERUN_BAD_ENTRY) == (bad > 0));
	}
	free(steps);
}

static void
check_decrypt(const char *data, const char *iv_text, const char *key_text, const char *appid,
			  const uint8_t *expected, size_t expected_len)
{
	char	   *plaintext = (char *) 1;
	size_t		len = 1;
	const char *argument = "unset";
	WxaDecryptStatus status = wxa_decrypt_data(data, iv_text, key_text, appid,
											   &plaintext, &len, &argument);

	if (status == WXA_DECRYPT_OK)
	{
		FUZZ_CHECK(plaintext != NULL && plaintext[len] == '\0' && strlen(plaintext) == len);
		FUZZ_CHECK(argument == NULL);
		if (expected)
			FUZZ_CHECK(len == expected_len && memcmp(plaintext, expected, len) == 0);
		if (appid)
			FUZZ_CHECK(watermark_is(plaintext, appid));
		check_werun(plaintext);
	}
	else
	{
		FUZZ_CHECK(plaintext == NULL && len == 0);
		switch (status)
		{
			case WXA_DECRYPT_BAD_BASE64:
			case WXA_DECRYPT_BAD_KEY_SIZE:
			case WXA_DECRYPT_BAD_IV_SIZE:
			case WXA_DECRYPT_BAD_DATA_SIZE:
				FUZZ_CHECK(argument != NULL && (strcmp(argument, "encrypted_data") == 0 ||
												strcmp(argument, "iv") == 0 ||
												strcmp(argument, "session_key") == 0));
				break;
			default:
				break;
		}
		/* what was encrypted with the right key and IV decrypts */
		if (expected)
			FUZZ_CHECK(status == WXA_DECRYPT_NOT_JSON || status == WXA_DECRYPT_NO_WATERMARK ||
					   status == WXA_DECRYPT_WRONG_APPID);
	}
	wxa_plaintext_free(plaintext, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3)
	{
		case 0:
			{
				char	   *parts[4];

				if (fuzz_split(data + 1, size - 1, parts, 4) >= 3)
					check_decrypt(parts[0], parts[1], parts[2], parts[3], NULL, 0);
				for (int i = 0; i < 4; i++)
					free(parts[i]);
			}
			break;
		case 1:
			if (size >= 2)
			{
				char	   *data64 = encrypt(data + 2, size - 2);
				char	   *iv64 = base64(iv, sizeof(iv));
				char	   *key64 = base64(key, sizeof(key));

				check_decrypt(data64, iv64, key64, (data[1] & 1) ? APPID : NULL, data + 2, size - 2);
				free(data64);
				free(iv64);
				free(key64);
			}
			break;
		default:
			{
				char	   *text = fuzz_strndup(data + 1, size - 1);

				check_werun(text);
				free(text);
			}
			break;
	}
	return 0;
}
