/*
 * wxa_crypto.c — encryptedData: base64 with OpenSSL's EVP decoder, AES-128-CBC
 * with EVP (padding checked by EVP_DecryptFinal_ex), then the JSON and its
 * watermark checked with cJSON.
 *
 * Keys and plaintexts are wiped before their memory is freed.
 */
#include "wxa_crypto.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdbool.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

/*
 * EVP's decoder is lenient: it skips spaces (here usually a '+' that URL
 * decoding turned into one) and stops quietly at a '-'. Allow only the
 * standard alphabet and line breaks, with '=' at the end.
 */
static bool
base64_alphabet_only(const char *text)
{
	bool		padding = false;

	for (const char *p = text; *p; p++)
	{
		if (*p == '\r' || *p == '\n')
			continue;
		if (*p == '=')
			padding = true;
		else if (padding ||
				 !((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
				   (*p >= '0' && *p <= '9') || *p == '+' || *p == '/'))
			return false;
	}
	return true;
}

unsigned char *
wxa_base64_decode(const char *text, size_t *len, int *out_of_memory)
{
	size_t		n = strlen(text);
	EVP_ENCODE_CTX *ctx;
	unsigned char *out;
	int			part = 0,
				last = 0;

	*len = 0;
	*out_of_memory = 0;
	if (n > INT_MAX)
		return NULL;
	if (!base64_alphabet_only(text))
		return NULL;
	ctx = EVP_ENCODE_CTX_new();
	/* decoding never yields more than 3 bytes per 4 characters; EVP may work a block ahead */
	out = malloc(n / 4 * 3 + 80);
	if (ctx == NULL || out == NULL)
	{
		EVP_ENCODE_CTX_free(ctx);
		free(out);
		*out_of_memory = 1;
		return NULL;
	}
	EVP_DecodeInit(ctx);
	if (EVP_DecodeUpdate(ctx, out, &part, (const unsigned char *) text, (int) n) < 0 ||
		EVP_DecodeFinal(ctx, out + part, &last) < 0)
	{
		EVP_ENCODE_CTX_free(ctx);
		wxa_plaintext_free((char *) out, n / 4 * 3 + 80);
		return NULL;
	}
	EVP_ENCODE_CTX_free(ctx);
	*len = (size_t) part + (size_t) last;
	return out;
}

void
wxa_plaintext_free(char *plaintext, size_t len)
{
	if (plaintext == NULL)
		return;
	explicit_bzero(plaintext, len);
	free(plaintext);
}

/* Decode one argument; the status says why it failed. */
static WxaDecryptStatus
decode_argument(const char *text, const char *name, unsigned char **bytes, size_t *len,
				const char **argument)
{
	int			out_of_memory;

	*bytes = wxa_base64_decode(text, len, &out_of_memory);
	if (*bytes != NULL)
		return WXA_DECRYPT_OK;
	if (out_of_memory)
		return WXA_DECRYPT_NO_MEMORY;
	*argument = name;
	return WXA_DECRYPT_BAD_BASE64;
}

static WxaDecryptStatus
aes_128_cbc_decrypt(const unsigned char *key, const unsigned char *iv,
					const unsigned char *data, size_t len, char **plaintext, size_t *plain_len)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	unsigned char *out = malloc(len + WXA_AES_BLOCK + 1);
	int			part = 0,
				last = 0;
	WxaDecryptStatus status = WXA_DECRYPT_OK;

	if (ctx == NULL || out == NULL)
		status = WXA_DECRYPT_NO_MEMORY;
	else if (EVP_DecryptInit_ex(ctx, EVP_aes_128_cbc(), NULL, key, iv) != 1 ||
			 EVP_DecryptUpdate(ctx, out, &part, data, (int) len) != 1)
		status = WXA_DECRYPT_CIPHER_FAILED;
	else if (EVP_DecryptFinal_ex(ctx, out + part, &last) != 1)
		status = WXA_DECRYPT_BAD_PADDING;
	EVP_CIPHER_CTX_free(ctx);
	if (status != WXA_DECRYPT_OK)
	{
		if (out)
			wxa_plaintext_free((char *) out, len + WXA_AES_BLOCK + 1);
		return status;
	}
	*plain_len = (size_t) part + (size_t) last;
	out[*plain_len] = '\0';
	*plaintext = (char *) out;
	return WXA_DECRYPT_OK;
}

/* The plaintext must be one JSON object; with appid, its watermark must name that app. */
static WxaDecryptStatus
check_plaintext(const char *plaintext, size_t len, const char *appid)
{
	cJSON	   *root;
	const cJSON *watermark;
	const cJSON *owner;
	WxaDecryptStatus status = WXA_DECRYPT_OK;

	/* an embedded NUL would hide the rest of the text from the parser */
	if (memchr(plaintext, '\0', len) != NULL)
		return WXA_DECRYPT_NOT_JSON;
	root = cJSON_ParseWithOpts(plaintext, NULL, 1);
	if (!cJSON_IsObject(root))
		status = WXA_DECRYPT_NOT_JSON;
	else if (appid != NULL)
	{
		watermark = cJSON_GetObjectItemCaseSensitive(root, "watermark");
		owner = cJSON_GetObjectItemCaseSensitive(watermark, "appid");
		if (!cJSON_IsString(owner))
			status = WXA_DECRYPT_NO_WATERMARK;
		else if (strcmp(owner->valuestring, appid) != 0)
			status = WXA_DECRYPT_WRONG_APPID;
	}
	cJSON_Delete(root);
	return status;
}

WxaDecryptStatus
wxa_decrypt_data(const char *encrypted_data, const char *iv, const char *session_key,
				 const char *appid, char **plaintext, size_t *len, const char **argument)
{
	unsigned char *data = NULL,
			   *iv_bytes = NULL,
			   *key = NULL;
	size_t		data_len = 0,
				iv_len = 0,
				key_len = 0;
	WxaDecryptStatus status;

	*plaintext = NULL;
	*len = 0;
	*argument = NULL;
	status = decode_argument(encrypted_data, "encrypted_data", &data, &data_len, argument);
	if (status == WXA_DECRYPT_OK)
		status = decode_argument(iv, "iv", &iv_bytes, &iv_len, argument);
	if (status == WXA_DECRYPT_OK)
		status = decode_argument(session_key, "session_key", &key, &key_len, argument);
	if (status == WXA_DECRYPT_OK)
	{
		if (key_len != WXA_AES_BLOCK)
			status = WXA_DECRYPT_BAD_KEY_SIZE;
		else if (iv_len != WXA_AES_BLOCK)
			status = WXA_DECRYPT_BAD_IV_SIZE;
		else if (data_len == 0 || data_len % WXA_AES_BLOCK != 0 || data_len > INT_MAX)
			status = WXA_DECRYPT_BAD_DATA_SIZE;
		if (status != WXA_DECRYPT_OK)
			*argument = status == WXA_DECRYPT_BAD_KEY_SIZE ? "session_key" :
				status == WXA_DECRYPT_BAD_IV_SIZE ? "iv" : "encrypted_data";
	}
	if (status == WXA_DECRYPT_OK)
		status = aes_128_cbc_decrypt(key, iv_bytes, data, data_len, plaintext, len);
	if (status == WXA_DECRYPT_OK)
	{
		status = check_plaintext(*plaintext, *len, appid);
		if (status != WXA_DECRYPT_OK)
		{
			wxa_plaintext_free(*plaintext, *len);
			*plaintext = NULL;
			*len = 0;
		}
	}
	wxa_plaintext_free((char *) key, key_len);
	wxa_plaintext_free((char *) iv_bytes, iv_len);
	free(data);
	return status;
}
