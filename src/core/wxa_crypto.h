/*
 * wxa_crypto.h — decrypting WeChat's encryptedData (wx.getWeRunData,
 * getUserInfo, getPhoneNumber ...): base64, AES-128-CBC with PKCS#7 padding,
 * and the watermark that ties the data to one mini program.
 */
#ifndef WXA_CRYPTO_H
#define WXA_CRYPTO_H

#include <stddef.h>

typedef enum WxaDecryptStatus
{
	WXA_DECRYPT_OK = 0,
	WXA_DECRYPT_BAD_BASE64,		/* *argument is not base64 */
	WXA_DECRYPT_BAD_KEY_SIZE,	/* session_key is not 16 bytes */
	WXA_DECRYPT_BAD_IV_SIZE,	/* iv is not 16 bytes */
	WXA_DECRYPT_BAD_DATA_SIZE,	/* encrypted_data is empty or not whole 16-byte blocks */
	WXA_DECRYPT_BAD_PADDING,	/* almost always a wrong session_key */
	WXA_DECRYPT_NOT_JSON,		/* the plaintext is not a JSON object */
	WXA_DECRYPT_NO_WATERMARK,	/* appid given, but no watermark.appid to check */
	WXA_DECRYPT_WRONG_APPID,	/* watermark.appid is another mini program's */
	WXA_DECRYPT_NO_MEMORY,
	WXA_DECRYPT_CIPHER_FAILED	/* OpenSSL could not run AES-128-CBC */
} WxaDecryptStatus;

#define WXA_AES_BLOCK 16

/*
 * Decrypt encrypted_data with key session_key and iv (all base64). When appid
 * is not NULL, watermark.appid must equal it. On success *plaintext is the
 * JSON object text, malloc'd and NUL-terminated, *len bytes long: release it
 * with wxa_plaintext_free(). On failure *argument names the argument at fault
 * for the base64 and size errors. Nothing secret is ever copied into errors.
 */
WxaDecryptStatus wxa_decrypt_data(const char *encrypted_data, const char *iv,
								  const char *session_key, const char *appid,
								  char **plaintext, size_t *len, const char **argument);

/* Wipe and free a plaintext (or any buffer of len bytes) from wxa_decrypt_data. */
void		wxa_plaintext_free(char *plaintext, size_t len);

/*
 * Base64 (standard alphabet, padded; line breaks allowed) to bytes. Returns
 * malloc'd bytes (+1 spare byte), or NULL when the text is not base64 or
 * memory ran out (*out_of_memory tells which).
 */
unsigned char *wxa_base64_decode(const char *text, size_t *len, int *out_of_memory);

#endif
