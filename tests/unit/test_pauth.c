/* Peer authentication: the token proves itself by mac, never travels. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "agent/core/pauth.h"

static const char nonce[] = "00112233445566778899aabbccddeeff";

static void
test_request(void **state)
{
	char hdr[PAUTH_HDR_MAX], got[PAUTH_NONCE_LEN + 1], bad[PAUTH_HDR_MAX];

	pauth_request("s3cret", "/v1/node", nonce, 9750, hdr);
	assert_null(strstr(hdr, "s3cret"));	/* the token never travels */
	assert_true(pauth_check_request("s3cret", "/v1/node", "9750", hdr, got));
	assert_string_equal(got, nonce);
	assert_false(pauth_check_request("other", "/v1/node", "9750", hdr, got));
	assert_false(pauth_check_request("s3cret", "/v1/peers", "9750", hdr, got));	/* path bound */
	assert_false(pauth_check_request("s3cret", "/v1/node", "9751", hdr, got));	/* port bound */
	assert_false(pauth_check_request("s3cret", "/v1/node", "9750", NULL, got));
	assert_false(pauth_check_request("s3cret", "/v1/node", "9750", "Bearer s3cret", got));
	memcpy(bad, hdr, sizeof(bad));
	bad[strlen(bad) - 1] ^= 1;	/* one bit of the mac */
	assert_false(pauth_check_request("s3cret", "/v1/node", "9750", bad, got));
	memcpy(bad, hdr, sizeof(bad));
	strcat(bad, "0");
	assert_false(pauth_check_request("s3cret", "/v1/node", "9750", bad, got));
	/* Known answer: HMAC-SHA256 as openssl computes it, so another implementation can interoperate. */
	assert_string_equal(hdr, "Podreach-HMAC nonce=00112233445566778899aabbccddeeff, mac="
			    "2b52624a7789035861a435faea93d961a349b4680af9e7e793e3313221ed2588");
}

static void
test_answer(void **state)
{
	const char body[] = "{\"cluster\":\"cluster1\"}";
	char mac[PAUTH_MAC_LEN + 1];

	pauth_answer("s3cret", "/v1/node", nonce, body, strlen(body), mac);
	assert_int_equal(strlen(mac), PAUTH_MAC_LEN);
	assert_true(pauth_check_answer("s3cret", "/v1/node", nonce, body, strlen(body), mac));
	assert_false(pauth_check_answer("s3cret", "/v1/node", nonce, body, strlen(body) - 1, mac));
	assert_false(pauth_check_answer("s3cret", "/v1/peers", nonce, body, strlen(body), mac));
	assert_false(pauth_check_answer("s3cret", "/v1/node", "ffffffffffffffffffffffffffffffff",
					body, strlen(body), mac));
	assert_false(pauth_check_answer("other", "/v1/node", nonce, body, strlen(body), mac));
	assert_false(pauth_check_answer("s3cret", "/v1/node", nonce, body, strlen(body), NULL));
	assert_false(pauth_check_answer("s3cret", "/v1/node", nonce, body, strlen(body), "abc"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
