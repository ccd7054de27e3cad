/*
 * wxa_http.c — the libcurl transport of the request engine.
 *
 * One curl multi handle for the life of the engine in this process (created
 * on the engine's first use, released with it; a forked child leaves the
 * parent's alone and creates its own), driven by its socket
 * API: curl tells which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when
 * to call it anyway (CURLMOPT_TIMERFUNCTION); the embedding code does the
 * waiting. Idle connections stay open for the next request to any server.
 * On Linux the same sockets and timer are also gathered in one epoll fd, so
 * that a PostgreSQL Append can wait on the engine with one event.
 */
#include "wxa_http.h"
#include "wxa_url.h"

#include <curl/curl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/epoll.h>
#include <sys/timerfd.h>
#define WXA_HAVE_EPOLL 1
#endif

/* idle connections kept: enough for wxa_fdw.max_total_concurrency's largest value */
#define MAX_IDLE_CONNECTIONS 1024L

/* what the transport keeps per transfer */
typedef struct CurlTransfer
{
	WxaTransfer *transfer;
	CURL	   *easy;
	struct curl_slist *headers;
	bool		too_large;
	char		curl_detail[CURL_ERROR_SIZE];	/* curl's own words, for TLS failures */
} CurlTransfer;

typedef struct CurlState
{
	CURLM	   *multi;
	WxaSocket  *sockets;		/* what curl asked to watch */
	int			nsockets;
	int			capsockets;
	double		curl_deadline;	/* monotonic ms; < 0: none */
	double		alarm_deadline; /* the engine's; < 0: none */
	WxaTransfer **done;			/* finished, not yet read by the engine */
	int			ndone;
	int			capdone;
	int			epoll_fd;
	int			timer_fd;
	CURLSH	   *tls_sessions;	/* a new connection resumes a TLS session, no full handshake */
	pid_t		pid;			/* the process that created multi */
} CurlState;

static CurlState curl_state = {.curl_deadline = -1, .alarm_deadline = -1, .epoll_fd = -1, .timer_fd = -1};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* ---------------------------------------------------------------- the one fd */

static void
arm_timer_fd(CurlState *cs)
{
#ifdef WXA_HAVE_EPOLL
	struct itimerspec spec;
	double		deadline = cs->curl_deadline;

	if (cs->timer_fd < 0)
		return;
	if (deadline < 0 || (cs->alarm_deadline >= 0 && cs->alarm_deadline < deadline))
		deadline = cs->alarm_deadline;
	memset(&spec, 0, sizeof(spec));
	if (deadline >= 0)
	{
		double		ms = deadline - now_ms();

		if (ms < 0.001)
			ms = 0.001;			/* zero would disarm */
		spec.it_value.tv_sec = (time_t) (ms / 1000);
		spec.it_value.tv_nsec = (long) ((ms - spec.it_value.tv_sec * 1000.0) * 1e6);
	}
	timerfd_settime(cs->timer_fd, 0, &spec, NULL);
#else
	(void) cs;
#endif
}

static void
watch_in_epoll(CurlState *cs, int fd, int what)
{
#ifdef WXA_HAVE_EPOLL
	struct epoll_event ev;

	if (cs->epoll_fd < 0)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.data.fd = fd;
	ev.events = (what == CURL_POLL_IN || what == CURL_POLL_INOUT ? EPOLLIN : 0) |
		(what == CURL_POLL_OUT || what == CURL_POLL_INOUT ? EPOLLOUT : 0);
	if (what == CURL_POLL_REMOVE)
		epoll_ctl(cs->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
	else if (epoll_ctl(cs->epoll_fd, EPOLL_CTL_MOD, fd, &ev) != 0)
		epoll_ctl(cs->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
#else
	(void) cs;
	(void) fd;
	(void) what;
#endif
}

/* ---------------------------------------------------------------- curl's callbacks: they only record */

static int
on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	CurlState  *cs = userp;
	int			i;

	(void) easy;
	(void) socketp;
	for (i = 0; i < cs->nsockets; i++)
		if (cs->sockets[i].fd == fd)
			break;
	if (what == CURL_POLL_REMOVE)
	{
		if (i < cs->nsockets)
			cs->sockets[i] = cs->sockets[--cs->nsockets];
	}
	else
	{
		if (i == cs->nsockets)
		{
			if (cs->nsockets == cs->capsockets)
			{
				int			cap = cs->capsockets ? cs->capsockets * 2 : 16;
				WxaSocket  *grown = realloc(cs->sockets, sizeof(WxaSocket) * cap);

				if (grown == NULL)
					return -1;	/* curl fails the transfer */
				cs->sockets = grown;
				cs->capsockets = cap;
			}
			cs->nsockets++;
		}
		cs->sockets[i].fd = fd;
		cs->sockets[i].readable = what == CURL_POLL_IN || what == CURL_POLL_INOUT;
		cs->sockets[i].writable = what == CURL_POLL_OUT || what == CURL_POLL_INOUT;
	}
	watch_in_epoll(cs, fd, what);
	return 0;
}

static int
on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	CurlState  *cs = userp;

	(void) multi;
	cs->curl_deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	arm_timer_fd(cs);
	return 0;
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	CurlTransfer *ct = userdata;

	if (!wxa_transfer_append(ct->transfer, data, size * nmemb, &ct->too_large))
		return 0;				/* makes curl fail the transfer */
	return size * nmemb;
}

/* ---------------------------------------------------------------- the transport */

static bool
curl_start(void *arg, WxaTransfer *t)
{
	CurlState  *cs = arg;
	const WxaHttpOptions *o = t->options;
	CurlTransfer *ct = calloc(1, sizeof(CurlTransfer));
	CURL	   *easy = curl_easy_init();

	if (ct == NULL || easy == NULL)
	{
		free(ct);
		if (easy)
			curl_easy_cleanup(easy);
		snprintf(t->fail_message, sizeof(t->fail_message), "could not set up an HTTP transfer");
		return false;
	}
	ct->transfer = t;
	ct->easy = easy;
	curl_easy_setopt(easy, CURLOPT_URL, t->url);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, ct);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, ct);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, o->timeout_ms);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file)
	{
		/* these CAs and no others, as libpq's sslrootcert; also for an https:// proxy */
		curl_easy_setopt(easy, CURLOPT_CAINFO, o->ca_file);
		curl_easy_setopt(easy, CURLOPT_CAPATH, NULL);
#if LIBCURL_VERSION_NUM >= 0x073400
		curl_easy_setopt(easy, CURLOPT_PROXY_CAINFO, o->ca_file);
		curl_easy_setopt(easy, CURLOPT_PROXY_CAPATH, NULL);
#endif
	}
	if (cs->tls_sessions != NULL)
		curl_easy_setopt(easy, CURLOPT_SHARE, cs->tls_sessions);
	ct->curl_detail[0] = '\0';
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, ct->curl_detail);
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	/* only the proxy option counts: ignore http_proxy in the server's environment */
	curl_easy_setopt(easy, CURLOPT_PROXY, o->proxy ? o->proxy : "");
	curl_easy_setopt(easy, CURLOPT_USERAGENT, "wxa_fdw/1.0");
	if (t->body)
	{
		ct->headers = curl_slist_append(NULL, "Content-Type: application/json");
		curl_easy_setopt(easy, CURLOPT_HTTPHEADER, ct->headers);
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, t->body);
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, (long) strlen(t->body));
	}
	if (curl_multi_add_handle(cs->multi, easy) != CURLM_OK)
	{
		curl_easy_cleanup(easy);
		curl_slist_free_all(ct->headers);
		free(ct);
		snprintf(t->fail_message, sizeof(t->fail_message), "could not start an HTTP transfer");
		return false;
	}
	t->handle = ct;
	return true;
}

static void
curl_stop(void *arg, WxaTransfer *t)
{
	CurlState  *cs = arg;
	CurlTransfer *ct = t->handle;

	for (int i = 0; i < cs->ndone; i++)
		if (cs->done[i] == t)
		{
			memmove(&cs->done[i], &cs->done[i + 1], sizeof(WxaTransfer *) * (cs->ndone - i - 1));
			cs->ndone--;
			break;
		}
	if (ct == NULL)
		return;
	/* an unfinished transfer's connection is closed by curl: no socket is left behind */
	curl_multi_remove_handle(cs->multi, ct->easy);
	curl_easy_cleanup(ct->easy);
	curl_slist_free_all(ct->headers);
	free(ct);
	t->handle = NULL;
}

static WxaErrorKind
curl_error_kind(CURLcode code)
{
	switch (code)
	{
		case CURLE_OPERATION_TIMEDOUT:
			return WXA_ERR_TIMEOUT;
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_RESOLVE_PROXY:
		case CURLE_COULDNT_CONNECT:
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_SSL_CERTPROBLEM:
		case CURLE_SSL_CIPHER:
		case CURLE_UNSUPPORTED_PROTOCOL:
			return WXA_ERR_CONNECT;
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CACERT_BADFILE:
			return WXA_ERR_TLS;
		default:
			return WXA_ERR_NETWORK;
	}
}

/*
 * Where a transfer went, for its transport error: host and port of its URL,
 * and of the proxy it went through. Only those: the URL's query holds the
 * access token.
 */
static void
describe_peer(const WxaTransfer *t, char *buf, size_t size)
{
	char		host[100];
	char		proxy[100];

	if (!wxa_url_host_port(t->url, host, sizeof(host)))
		snprintf(host, sizeof(host), "the server of api_base_url");
	if (t->options->proxy && t->options->proxy[0] &&
		wxa_url_host_port(t->options->proxy, proxy, sizeof(proxy)))
		snprintf(buf, size, "%.90s through proxy %.90s", host, proxy);
	else
		snprintf(buf, size, "%s", host);
}

/* Record a finished transfer's outcome for the engine. */
static void
record_outcome(CurlState *cs, CurlTransfer *ct, CURLcode result)
{
	WxaTransfer *t = ct->transfer;
	long		request_bytes = 0;
	curl_off_t	announced_length = -1;

	curl_easy_getinfo(ct->easy, CURLINFO_RESPONSE_CODE, &t->http_status);
	/* bytes of the request sent: tells a stalled answer from a connect that never completed */
	curl_easy_getinfo(ct->easy, CURLINFO_REQUEST_SIZE, &request_bytes);
	/* -1 when the answer announced no length (it ran until the connection closed) */
	if (curl_easy_getinfo(ct->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &announced_length) != CURLE_OK)
		announced_length = -1;
	if (ct->too_large)
	{
		t->failed = true;
		t->fail_permanent = true;
		t->fail_kind = WXA_ERR_TOO_LARGE;
		snprintf(t->fail_message, sizeof(t->fail_message), "the response is larger than %zu bytes",
				 t->options->max_body);
	}
	else if (result != CURLE_OK)
	{
		char		peer[200];

		t->failed = true;
		t->fail_kind = curl_error_kind(result);
		describe_peer(t, peer, sizeof(peer));
		/* stable wording (curl's own buffer varies with timings); no URL, so no token */
		if (result == CURLE_OPERATION_TIMEDOUT && request_bytes > 0)
			snprintf(t->fail_message, sizeof(t->fail_message),
					 "no complete answer from %.110s within timeout_ms (%ld ms)", peer, t->options->timeout_ms);
		else if (result == CURLE_OPERATION_TIMEDOUT)
			snprintf(t->fail_message, sizeof(t->fail_message),
					 "could not connect to %.110s within connect_timeout_ms (%ld ms)", peer,
					 t->options->connect_timeout_ms);
		else if (t->fail_kind == WXA_ERR_TLS)
			/* curl's words name the problem (untrusted issuer, wrong host name); no URL in them */
			snprintf(t->fail_message, sizeof(t->fail_message), "the TLS certificate of %.110s was not accepted: %.100s",
					 peer, ct->curl_detail[0] ? ct->curl_detail : curl_easy_strerror(result));
		else if (result == CURLE_PARTIAL_FILE)
			snprintf(t->fail_message, sizeof(t->fail_message),
					 "the connection to %.110s closed after %zu bytes, before the whole answer arrived",
					 peer, t->response_len);
		else
			snprintf(t->fail_message, sizeof(t->fail_message), "%.120s (%.110s)", curl_easy_strerror(result), peer);
		/* a refused protocol or certificate will not be accepted on retry */
		t->fail_permanent = result == CURLE_UNSUPPORTED_PROTOCOL || t->fail_kind == WXA_ERR_TLS;
	}
	else if (announced_length >= 0 && (size_t) announced_length != t->response_len)
	{
		/* curl reports most cut-off answers itself; no Accept-Encoding is sent, so the lengths compare */
		t->failed = true;
		t->fail_kind = WXA_ERR_NETWORK;
		snprintf(t->fail_message, sizeof(t->fail_message),
				 "the answer has %zu bytes, but its Content-Length announced %ld",
				 t->response_len, (long) announced_length);
	}
	t->done = true;
	if (cs->ndone == cs->capdone)
	{
		int			cap = cs->capdone ? cs->capdone * 2 : 16;
		WxaTransfer **grown = realloc(cs->done, sizeof(WxaTransfer *) * cap);

		if (grown == NULL)
			return;				/* stays unread: its timeout ends the wait for it */
		cs->done = grown;
		cs->capdone = cap;
	}
	cs->done[cs->ndone++] = t;
}

static void
read_messages(CurlState *cs)
{
	CURLMsg    *msg;
	int			left;

	while ((msg = curl_multi_info_read(cs->multi, &left)) != NULL)
	{
		CurlTransfer *ct = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &ct);
		if (ct != NULL && !ct->transfer->done)
			record_outcome(cs, ct, msg->data.result);
	}
}

static void
curl_progress(void *arg, const WxaSocket *ready, int nready)
{
	CurlState  *cs = arg;
	int			running;
	bool		looked = false;

#ifdef WXA_HAVE_EPOLL
	if (nready == 0 && cs->nsockets > 0 && cs->epoll_fd >= 0)
	{
		/* the one fd woke the wait: its epoll set knows which sockets are ready */
		int			max = cs->nsockets + 1;
		struct epoll_event *events = malloc(sizeof(struct epoll_event) * max);
		int			n = events ? epoll_wait(cs->epoll_fd, events, max, 0) : -1;

		for (int i = 0; i < n; i++)
		{
			int			mask = ((events[i].events & (EPOLLIN | EPOLLHUP)) ? CURL_CSELECT_IN : 0) |
				((events[i].events & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
				((events[i].events & EPOLLERR) ? CURL_CSELECT_ERR : 0);

			if (events[i].data.fd != cs->timer_fd && mask)
				curl_multi_socket_action(cs->multi, events[i].data.fd, mask, &running);
		}
		free(events);
		looked = n >= 0;
	}
#endif
	if (nready == 0 && cs->nsockets > 0 && !looked)
	{
		/* no report of which sockets are ready (a timeout, no epoll): look */
		int			n = cs->nsockets;
		struct pollfd *fds = malloc(sizeof(struct pollfd) * n);

		for (int i = 0; fds && i < n; i++)
		{
			fds[i].fd = cs->sockets[i].fd;
			fds[i].events = (short) ((cs->sockets[i].readable ? POLLIN : 0) |
									 (cs->sockets[i].writable ? POLLOUT : 0));
			fds[i].revents = 0;
		}
		if (fds && poll(fds, (nfds_t) n, 0) > 0)
		{
			for (int i = 0; i < n; i++)
			{
				int			mask = ((fds[i].revents & (POLLIN | POLLHUP)) ? CURL_CSELECT_IN : 0) |
					((fds[i].revents & POLLOUT) ? CURL_CSELECT_OUT : 0) |
					((fds[i].revents & POLLERR) ? CURL_CSELECT_ERR : 0);

				if (mask)
					curl_multi_socket_action(cs->multi, fds[i].fd, mask, &running);
			}
		}
		free(fds);
	}
	for (int i = 0; i < nready; i++)
	{
		int			mask = (ready[i].readable ? CURL_CSELECT_IN : 0) |
			(ready[i].writable ? CURL_CSELECT_OUT : 0);

		curl_multi_socket_action(cs->multi, ready[i].fd, mask, &running);
	}
#ifdef WXA_HAVE_EPOLL
	if (cs->timer_fd >= 0)
	{
		unsigned long long expirations;

		/* clear the timer's readiness; a read of an unexpired timer fails harmlessly */
		if (read(cs->timer_fd, &expirations, sizeof(expirations)) < 0)
			expirations = 0;
	}
#endif
	if (cs->curl_deadline >= 0 && now_ms() >= cs->curl_deadline)
	{
		cs->curl_deadline = -1;
		curl_multi_socket_action(cs->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
	if (cs->alarm_deadline >= 0 && now_ms() >= cs->alarm_deadline)
		cs->alarm_deadline = -1;
	arm_timer_fd(cs);
	read_messages(cs);
}

static WxaTransfer *
curl_next_done(void *arg)
{
	CurlState  *cs = arg;
	WxaTransfer *t;

	read_messages(cs);
	if (cs->ndone == 0)
		return NULL;
	t = cs->done[0];
	memmove(&cs->done[0], &cs->done[1], sizeof(WxaTransfer *) * (cs->ndone - 1));
	cs->ndone--;
	return t;
}

static int
curl_sockets(void *arg, WxaSocket *out, int max)
{
	CurlState  *cs = arg;
	int			n = cs->nsockets < max ? cs->nsockets : max;

	if (n > 0)					/* no sockets yet: cs->sockets may be NULL */
		memcpy(out, cs->sockets, sizeof(WxaSocket) * n);
	return n;
}

static long
curl_timeout_ms(void *arg)
{
	CurlState  *cs = arg;
	double		ms;

	if (cs->curl_deadline < 0)
		return -1;
	ms = cs->curl_deadline - now_ms();
	return ms <= 0 ? 0 : (long) ms + 1;
}

static int
curl_wait_fd(void *arg)
{
	return ((CurlState *) arg)->epoll_fd;
}

static void
curl_alarm(void *arg, long ms)
{
	CurlState  *cs = arg;

	cs->alarm_deadline = ms < 0 ? -1 : now_ms() + ms;
	arm_timer_fd(cs);
}

/* Release everything: the engine has stopped every transfer first. */
static void
curl_release(void *arg)
{
	CurlState  *cs = arg;

	if (cs->multi == NULL || cs->pid != getpid())
		return;
	/* idle connections close here */
	curl_multi_cleanup(cs->multi);
	if (cs->tls_sessions)
		curl_share_cleanup(cs->tls_sessions);
	if (cs->epoll_fd >= 0)
		close(cs->epoll_fd);
	if (cs->timer_fd >= 0)
		close(cs->timer_fd);
	free(cs->sockets);
	free(cs->done);
	memset(cs, 0, sizeof(*cs));
	cs->curl_deadline = cs->alarm_deadline = -1;
	cs->epoll_fd = cs->timer_fd = -1;
}

bool
wxa_curl_global_init(void)
{
	static bool done = false;

	if (!done)
		done = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
	return done;
}

bool
wxa_curl_has_wait_fd(void)
{
#ifdef WXA_HAVE_EPOLL
	return true;
#else
	return false;
#endif
}

const WxaTransport *
wxa_curl_transport(void)
{
	static WxaTransport transport;
	CurlState  *cs = &curl_state;

	if (cs->multi != NULL && cs->pid == getpid())
		return &transport;
	if (cs->multi != NULL)
	{
		/*
		 * A forked child: the handle, its connections and its epoll set are
		 * the parent's (a cleanup here would close the parent's TLS sessions).
		 * Only this process's copies of the two fds are closed.
		 */
		if (cs->epoll_fd >= 0)
			close(cs->epoll_fd);
		if (cs->timer_fd >= 0)
			close(cs->timer_fd);
		memset(cs, 0, sizeof(*cs));
		cs->curl_deadline = cs->alarm_deadline = -1;
		cs->epoll_fd = cs->timer_fd = -1;
	}
	if (!wxa_curl_global_init())
		return NULL;
	cs->multi = curl_multi_init();
	if (cs->multi == NULL)
		return NULL;
	cs->pid = getpid();
	curl_multi_setopt(cs->multi, CURLMOPT_MAXCONNECTS, MAX_IDLE_CONNECTIONS);
	cs->tls_sessions = curl_share_init();
	if (cs->tls_sessions != NULL)
		curl_share_setopt(cs->tls_sessions, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	curl_multi_setopt(cs->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(cs->multi, CURLMOPT_SOCKETDATA, cs);
	curl_multi_setopt(cs->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(cs->multi, CURLMOPT_TIMERDATA, cs);
#ifdef WXA_HAVE_EPOLL
	cs->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	cs->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (cs->epoll_fd >= 0 && cs->timer_fd >= 0)
	{
		struct epoll_event ev;

		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.fd = cs->timer_fd;
		if (epoll_ctl(cs->epoll_fd, EPOLL_CTL_ADD, cs->timer_fd, &ev) != 0)
		{
			close(cs->epoll_fd);
			cs->epoll_fd = -1;
		}
	}
	else if (cs->epoll_fd >= 0)
	{
		close(cs->epoll_fd);
		cs->epoll_fd = -1;
	}
#endif
	transport.start = curl_start;
	transport.stop = curl_stop;
	transport.progress = curl_progress;
	transport.next_done = curl_next_done;
	transport.sockets = curl_sockets;
	transport.timeout_ms = curl_timeout_ms;
	transport.wait_fd = cs->epoll_fd >= 0 ? curl_wait_fd : NULL;
	transport.alarm = curl_alarm;
	transport.arg = cs;
	transport.release = curl_release;
	return &transport;
}
