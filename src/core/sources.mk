# The PostgreSQL-free core, listed once: included by Makefile, test/unit/Makefile
# and fuzz/Makefile. Names are relative to src/core/.
WXA_CORE_SOURCES = wxa_heap.c wxa_date.c wxa_catalog.c wxa_period.c wxa_error.c wxa_errcode.c \
                   wxa_api.c wxa_response.c wxa_http.c wxa_engine.c wxa_token.c wxa_wxacode.c \
                   wxa_session.c wxa_crypto.c wxa_werun.c wxa_url.c wxa_quota.c
