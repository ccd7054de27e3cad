/*
 * fuzz_engine.c — the request engine's state machine under random
 * submissions, completion orders and outcomes (over the fake transport).
 *
 * Input: a sequence of operations, each one byte (op % 8) and an argument byte:
 *   0  new batch on server arg % 4 (max_concurrency 1 + arg / 4 % 4), 1 + arg / 16 requests
 *   1  poll batch arg % 4 for request arg / 4
 *   2  finish live transfer arg % live with outcome byte: 200 data, 500, network
 *      failure, 40001, 42001 (token rejected), a token answer, garbage, errcode -1
 *   3  free batch arg % 4
 *   4  forget the cached tokens (ALTER SERVER)
 *   5  set the total limit to 1 + arg % 8
 *   6  forget response arg / 4 of batch arg % 4 when finished
 *   7  poll every batch
 * Invariants: the total limit holds, no transfer outlives the batches, no leak (ASan).
 */
#include "fuzz.h"

#include "../test/unit/fake_transport.h"

#define BATCHES 4

static WxaBatch *batches[BATCHES];
static int	max_total = 64;

static void
new_batch(int slot, int arg)
{
	WxaHttpOptions o;
	WxaTokenProvider p;

	if (batches[slot])
		return;
	memset(&o, 0, sizeof(o));
	o.max_retries = 2;
	o.max_concurrency = 1 + arg / 4 % 4;
	o.server_key = (unsigned long long) (arg % 4);
	o.max_body = 4096;
	o.secret = "S";
	memset(&p, 0, sizeof(p));
	p.key = o.server_key;
	p.base_url = "http://w";
	p.appid = "wx";
	p.secret = "S";
	if (arg % 7 == 6)
		p.access_token = "STATIC";
	batches[slot] = wxa_batch_new(&o, &p);
	FUZZ_CHECK(batches[slot] != NULL);
	for (int i = 0; i < 1 + arg / 16; i++)
		FUZZ_CHECK(wxa_batch_add(batches[slot], "http://w/datacube/x", i % 2 ? NULL : "{}", i % 3 != 2,
								 "x") == i);
}

/* Transfers in flight agree with the engine; above the total limit (just lowered) none started. */
static void
check_limits(int before)
{
	int			now = fake.nlive + fake.ndone;

	FUZZ_CHECK(now == wxa_engine_running());
	FUZZ_CHECK(now <= max_total || now <= before);
}

static void
finish(int arg, int outcome)
{
	static const char *bodies[] = {
		"{\"list\":[]}", NULL, NULL, "{\"errcode\":40001,\"errmsg\":\"x\"}",
		"{\"errcode\":42001,\"errmsg\":\"x\"}", "{\"access_token\":\"T\",\"expires_in\":7200}",
		"<html>", "{\"errcode\":-1,\"errmsg\":\"busy\"}"
	};
	static const long statuses[] = {200, 500, 0, 200, 200, 200, 200, 200};

	if (fake.nlive == 0)
		return;
	outcome %= 8;
	fake_finish(fake.live[arg % fake.nlive], statuses[outcome], bodies[outcome]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	WxaError	err;

	fake_reset();
	max_total = 64;
	wxa_engine_set_max_total(max_total);
	for (size_t i = 0; i + 1 < size; i += 2)
	{
		int			op = data[i] % 8;
		int			arg = data[i + 1];
		WxaBatch   *b = batches[arg % BATCHES];
		int			before = fake.nlive + fake.ndone;

		switch (op)
		{
			case 0:
				new_batch(arg % BATCHES, arg);
				break;
			case 1:
				if (b)
					(void) wxa_batch_poll(b, (arg / 4) % wxa_batch_size(b), &err);
				break;
			case 2:
				finish(arg, i + 2 < size ? data[i + 2] : 0);
				i++;
				break;
			case 3:
				wxa_batch_free(b);
				batches[arg % BATCHES] = NULL;
				break;
			case 4:
				wxa_engine_forget_token(0);
				break;
			case 5:
				max_total = 1 + arg % 8;
				wxa_engine_set_max_total(max_total);
				break;
			case 6:
				if (b)
				{
					int			index = (arg / 4) % wxa_batch_size(b);

					if (wxa_batch_state(b, index) == WXA_REQ_DONE)
						wxa_batch_forget(b, index);
				}
				break;
			case 7:
				for (int s = 0; s < BATCHES; s++)
					if (batches[s])
						(void) wxa_batch_poll(batches[s], 0, &err);
				break;
		}
		check_limits(before);
	}
	for (int s = 0; s < BATCHES; s++)
	{
		wxa_batch_free(batches[s]);
		batches[s] = NULL;
	}
	FUZZ_CHECK(fake.nlive == 0 && wxa_engine_running() == 0);
	wxa_engine_shutdown();
	return 0;
}
