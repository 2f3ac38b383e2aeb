// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket's server: one thread polls the listening socket, up
 * to API_MAX_CLIENTS connections and a stop eventfd, reads request lines
 * and writes api_handle()'s replies.  See api.h.
 *
 * What it needs once vibevmm is confined (seccomp.c): accept4 with
 * SOCK_NONBLOCK | SOCK_CLOEXEC, getsockopt(SO_PEERCRED), and unlinkat in
 * the socket's directory at exit; read, write, sendto, poll, close are
 * allowed anyway.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "api.h"
#include "log.h"
#include "signals.h"
#include "thread.h"

#define API_BUF		(API_MAX_LINE + 1)	/* a longest line and its newline */
#define API_SEND_MS	1000			/* a client that reads nothing is dropped */

struct api_client {
	int fd;
	char *buf;
	size_t len;
	bool discard;	/* inside a line too long: skip to its newline */
};

struct api_server {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char base[NAME_MAX + 1];
	int dirfd, lfd, stop_efd;
	dev_t dev;
	ino_t ino;
	uid_t uid;
	const struct api_ops *ops;
	void *ctx;
	pthread_t thread;
	bool started;
	struct api_client client[API_MAX_CLIENTS];
	int nr_clients;
};

/*
 * Is someone listening on the socket at @path?  Non-blocking: a listener
 * that does not accept (its backlog full: EAGAIN) is live, not waited for.
 */
static bool socket_live(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	bool live;

	if (fd < 0)
		return true;	/* cannot tell: do not unlink */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	live = !connect(fd, (struct sockaddr *)&sa, sizeof(sa)) || errno != ECONNREFUSED;
	close(fd);
	return live;
}

/* Make room for the socket: nothing there, or a stale socket unlinked. */
static int clear_path(struct api_server *s)
{
	struct stat st;

	if (fstatat(s->dirfd, s->base, &st, AT_SYMLINK_NOFOLLOW)) {
		if (errno == ENOENT)
			return 0;
		log_err("--api-socket %s: %s", s->path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		log_err("--api-socket %s: exists and is not a socket; remove it or choose another path",
			s->path);
		return -1;
	}
	if (socket_live(s->path)) {
		log_err("--api-socket %s: another process serves this socket; stop it or choose another path",
			s->path);
		return -1;
	}
	if (unlinkat(s->dirfd, s->base, 0)) {
		log_err("--api-socket %s: cannot remove the stale socket: %s", s->path,
			strerror(errno));
		return -1;
	}
	log_info("--api-socket %s: removed a stale socket nobody listened on", s->path);
	return 0;
}

static int bind_socket(struct api_server *s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int ret;

	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->lfd < 0) {
		log_err("--api-socket %s: socket: %s", s->path, strerror(errno));
		return -1;
	}
	memcpy(sa.sun_path, s->path, sizeof(s->path));
	/* created 0600: no moment at which another user may connect */
	old = umask(0177);
	ret = bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (ret) {
		log_err("--api-socket %s: %s%s", s->path, strerror(errno),
			errno == EADDRINUSE ? "; something took the path meanwhile, choose another" :
			errno == ENXIO || errno == EOPNOTSUPP ?
			"; this filesystem cannot hold sockets (9p, some FUSE): use a local one such as /tmp or /run" : "");
		return -1;
	}
	if (fstatat(s->dirfd, s->base, &st, AT_SYMLINK_NOFOLLOW) || !S_ISSOCK(st.st_mode)) {
		log_err("--api-socket %s: the socket vanished right after it was created", s->path);
		return -1;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	if (listen(s->lfd, API_MAX_CLIENTS * 2)) {
		log_err("--api-socket %s: listen: %s", s->path, strerror(errno));
		unlinkat(s->dirfd, s->base, 0);
		return -1;
	}
	return 0;
}

struct api_server *api_server_open(const char *path)
{
	struct api_server *s = calloc(1, sizeof(*s));
	char dir[sizeof(s->path)], base[sizeof(s->path)];

	if (!s) {
		log_err("--api-socket %s: out of memory", path);
		return NULL;
	}
	s->dirfd = s->lfd = s->stop_efd = -1;
	s->uid = geteuid();
	if (strlen(path) >= sizeof(s->path)) {
		log_err("--api-socket %s: longer than %zu bytes, the limit of a Unix socket path; choose a shorter one",
			path, sizeof(s->path) - 1);
		goto fail;
	}
	snprintf(s->path, sizeof(s->path), "%s", path);
	snprintf(dir, sizeof(dir), "%s", path);
	snprintf(base, sizeof(base), "%s", path);
	snprintf(s->base, sizeof(s->base), "%s", basename(base));
	if (path[strlen(path) - 1] == '/' || !strcmp(s->base, ".") || !strcmp(s->base, "..")) {
		log_err("--api-socket %s: names a directory; give the path of a socket file", path);
		goto fail;
	}
	s->dirfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		log_err("--api-socket %s: its directory: %s", path, strerror(errno));
		goto fail;
	}
	if (clear_path(s) || bind_socket(s))
		goto fail;
	s->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->stop_efd < 0) {
		log_err("--api-socket %s: eventfd: %s", path, strerror(errno));
		api_server_close(s);
		return NULL;
	}
	log_verbose("control socket at %s", path);
	return s;
fail:
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s);
	return NULL;
}

int api_server_dirfd(const struct api_server *s)
{
	return s ? s->dirfd : -1;
}

/* Write @reply and its newline; false if the client is to be dropped. */
static bool send_line(int fd, char *reply)
{
	size_t len, off = 0;
	bool ok = true;

	if (!reply)
		reply = strdup("{\"ok\":false,\"error\":\"out of memory\"}");
	if (!reply)
		return false;
	len = strlen(reply);
	reply[len] = '\n';	/* over the NUL: sent with its length */
	while (ok && off < len + 1) {
		ssize_t n = send(fd, reply + off, len + 1 - off, MSG_NOSIGNAL);
		struct pollfd p = { .fd = fd, .events = POLLOUT };

		if (n > 0)
			off += n;
		else if (n < 0 && errno == EINTR)
			continue;
		else if (n < 0 && errno == EAGAIN)
			ok = poll(&p, 1, API_SEND_MS) > 0;
		else
			ok = false;
	}
	free(reply);
	return ok;
}

static void drop_client(struct api_server *s, int i)
{
	close(s->client[i].fd);
	free(s->client[i].buf);
	s->client[i] = s->client[--s->nr_clients];
}

static void accept_client(struct api_server *s)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct api_client *c;

	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn_rl("control socket: accept: %s", strerror(errno));
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen)) {
		log_warn_rl("control socket: SO_PEERCRED: %s; connection refused", strerror(errno));
		close(fd);
		return;
	}
	if (cred.uid != s->uid && cred.uid != 0) {
		log_warn_rl("control socket: refused pid %d, uid %u (only uid %u or root may use it)",
			    (int)cred.pid, (unsigned int)cred.uid, (unsigned int)s->uid);
		send_line(fd, api_error_reply("permission denied: uid %u does not own this VMM (uid %u)",
					      (unsigned int)cred.uid, (unsigned int)s->uid));
		close(fd);
		return;
	}
	if (s->nr_clients == API_MAX_CLIENTS) {
		send_line(fd, api_error_reply("too many clients (%d connected); close one and retry",
					      API_MAX_CLIENTS));
		close(fd);
		return;
	}
	c = &s->client[s->nr_clients];
	c->buf = malloc(API_BUF);
	if (!c->buf) {
		send_line(fd, api_error_reply("out of memory"));
		close(fd);
		return;
	}
	c->fd = fd;
	c->len = 0;
	c->discard = false;
	s->nr_clients++;
}

/* Read from client @i and answer each complete line; false to drop it. */
static bool serve_client(struct api_server *s, int i)
{
	struct api_client *c = &s->client[i];
	ssize_t n = read(c->fd, c->buf + c->len, API_BUF - c->len);
	char *nl;

	if (n == 0)
		return false;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	c->len += n;
	while ((nl = memchr(c->buf, '\n', c->len))) {
		size_t line = nl - c->buf;

		if (!c->discard &&
		    !send_line(c->fd, api_handle(s->ops, s->ctx, c->buf, line)))
			return false;
		c->discard = false;
		memmove(c->buf, nl + 1, c->len - line - 1);
		c->len -= line + 1;
	}
	if (c->len == API_BUF) {
		/* no newline in a buffer's worth: refuse the line, skip the rest */
		if (!c->discard &&
		    !send_line(c->fd, api_error_reply("request longer than %d bytes; send one JSON object per line",
						      API_MAX_LINE)))
			return false;
		c->discard = true;
		c->len = 0;
	}
	return true;
}

static void *server_thread(void *arg)
{
	struct api_server *s = arg;
	struct pollfd p[2 + API_MAX_CLIENTS];
	sigset_t set;
	int i, n;

	/* inherited from main() already; said again, this thread must not take them */
	signals_stop_set(&set);
	sigaddset(&set, SIGNALS_KICK);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_setname_np(pthread_self(), "vmm-api");
	for (;;) {
		p[0] = (struct pollfd){ .fd = s->stop_efd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = s->lfd, .events = POLLIN };
		for (i = 0; i < s->nr_clients; i++)
			p[2 + i] = (struct pollfd){ .fd = s->client[i].fd, .events = POLLIN };
		n = 2 + s->nr_clients;
		if (poll(p, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_err("control socket: poll: %s; the socket stops answering", strerror(errno));
			return NULL;
		}
		if (p[0].revents)
			return NULL;
		/* from the last: drop_client() moves the last client into i */
		for (i = n - 3; i >= 0; i--)
			if (p[2 + i].revents && !serve_client(s, i))
				drop_client(s, i);
		if (p[1].revents)
			accept_client(s);
	}
}

int api_server_start(struct api_server *s, const struct api_ops *ops, void *ctx)
{
	int err;

	s->ops = ops;
	s->ctx = ctx;
	err = vmm_thread_start(&s->thread, server_thread, s);
	if (err) {
		log_err("--api-socket %s: cannot start its thread: %s", s->path, strerror(err));
		return -1;
	}
	s->started = true;
	return 0;
}

void api_server_close(struct api_server *s)
{
	uint64_t one = 1;
	struct stat st;

	if (!s)
		return;
	if (s->started) {
		if (write(s->stop_efd, &one, sizeof(one)) != sizeof(one)) {
			/* the thread still runs: leave it its state */
			log_warn("control socket: cannot stop its thread: %s", strerror(errno));
			return;
		}
		pthread_join(s->thread, NULL);
	}
	while (s->nr_clients)
		drop_client(s, s->nr_clients - 1);
	close(s->lfd);
	/* only our own socket: the path may have been replaced meanwhile */
	if (!fstatat(s->dirfd, s->base, &st, AT_SYMLINK_NOFOLLOW) &&
	    st.st_dev == s->dev && st.st_ino == s->ino && unlinkat(s->dirfd, s->base, 0))
		log_warn("--api-socket %s: cannot remove it: %s", s->path, strerror(errno));
	close(s->dirfd);
	if (s->stop_efd >= 0)
		close(s->stop_efd);
	free(s);
}
