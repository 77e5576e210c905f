/*
 * Listening: an address as text into a socket address, libmicrohttpd's log
 * messages into ours, and the separate metrics listener (--metrics-listen:
 * /metrics and /healthz only, no body read).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "http/server_int.h"
#include "util/log.h"
#include "util/metrics.h"

/* libmicrohttpd's messages are printf formats of its own (hence the
 * format attribute in server_int.h). */
void gh_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n')) msg[--n] = '\0';
    gh_log(GH_LOG_WARN, NULL, msg, json_pack("{s:s}", "source", "libmicrohttpd"));
}


bool gh_listen_addr(const char *host, unsigned port, struct sockaddr_storage *ss, bool *v6)
{
    char h[INET6_ADDRSTRLEN + 2];
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        if (n - 2 >= sizeof h) return false;
        memcpy(h, host + 1, n - 2);
        h[n - 2] = '\0';
    } else if (!gh_strlcpy(h, host, sizeof h)) {
        return false;
    }
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)(void *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)(void *)ss;
    if (inet_pton(AF_INET, h, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        *v6 = false;
        return true;
    }
    if (inet_pton(AF_INET6, h, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *v6 = true;
        return true;
    }
    return false;
}

/* ---- the metrics address (--metrics-listen) ---------------------------------- */
static struct MHD_Daemon *metrics_daemon;
static atomic_bool metrics_separate;
static unsigned metrics_bound_port;

bool gh_server_metrics_separate(void) { return atomic_load(&metrics_separate); }
unsigned gh_server_metrics_port(void) { return metrics_bound_port; }

/* GET|HEAD /metrics and /healthz; everything else 404, no body read. */
static enum MHD_Result on_metrics_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                         const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)version;
    (void)upload;
    if (*con_cls == NULL) { *con_cls = c; return MHD_YES; } /* headers only, first call */
    if (*upload_size) { *upload_size = 0; return MHD_YES; } /* discard any body */
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    unsigned status = 404;
    const char *type = "text/plain; charset=utf-8";
    gh_buf b;
    gh_buf_init(&b, 8u << 20);
    if (get && strcmp(url, "/metrics") == 0) {
        gh_metrics_render(&b);
        status = gh_buf_ok(&b) ? 200 : 500;
        type = "text/plain; version=0.0.4; charset=utf-8";
    } else if (get && strcmp(url, "/healthz") == 0) {
        gh_buf_puts(&b, "ok\n");
        status = 200;
    } else {
        gh_buf_puts(&b, "not found: this address serves /metrics and /healthz\n");
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(gh_buf_ok(&b) ? b.len : 0, b.data ? b.data : (void *)"", MHD_RESPMEM_MUST_COPY);
    gh_buf_release(&b);
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", type);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    enum MHD_Result ret = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

bool gh_metrics_listen_start(const gh_server_opts *o)
{
    struct sockaddr_storage addr;
    bool v6 = false;
    if (!gh_listen_addr(o->metrics_host, o->metrics_port, &addr, &v6)) {
        gh_logf(GH_LOG_ERROR, "cannot listen on %s for metrics: not an IPv4 or IPv6 address", o->metrics_host);
        return false;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | (v6 ? MHD_USE_DUAL_STACK : 0);
    metrics_daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_metrics_access, NULL,
                                      MHD_OPTION_EXTERNAL_LOGGER, gh_mhd_log, NULL,
                                      MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                                      MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
                                      MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)0,
                                      MHD_OPTION_END);
    if (!metrics_daemon) {
        gh_logf(GH_LOG_ERROR, "cannot listen on %s:%u for metrics: the address is in use or not available",
                o->metrics_host, o->metrics_port);
        return false;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(metrics_daemon, MHD_DAEMON_INFO_BIND_PORT);
    metrics_bound_port = di ? di->port : o->metrics_port;
    gh_log(GH_LOG_INFO, NULL, "metrics listening",
           json_pack("{s:s, s:i}", "host", o->metrics_host, "port", (int)metrics_bound_port));
    return true;
}

void gh_metrics_listen_stop(void)
{
    if (!metrics_daemon) return;
    MHD_stop_daemon(metrics_daemon);
    metrics_daemon = NULL;
}

void gh_metrics_set_separate(bool separate) { atomic_store(&metrics_separate, separate); }
