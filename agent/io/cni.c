#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/io/cni.h"

static bool
add_subnet(json_t *subnet, struct cidr_list *out, char *err, size_t errlen)
{
	const char *s = json_string_value(subnet);
	char why[160];

	if (!s) {
		snprintf(err, errlen, "a \"subnet\" is not a string");
		return false;
	}
	if (strchr(s, ':'))	/* IPv6: podreach routes IPv4 only */
		return true;
	if (strchr(s, ',') || strchr(s, '+') ||
	    !cidr_parse_list(s, ',', out, why, sizeof(why))) {
		snprintf(err, errlen, "subnet %s", strchr(s, ',') || strchr(s, '+') ? s : why);
		return false;
	}
	return true;
}

/* ranges is a list of range sets, each a list of {"subnet": ...}. */
static bool
parse_ipam(json_t *ipam, struct cidr_list *out, char *err, size_t errlen)
{
	json_t *ranges = json_object_get(ipam, "ranges"), *set, *r;
	size_t i, j;

	if (json_is_string(json_object_get(ipam, "subnet")))
		return add_subnet(json_object_get(ipam, "subnet"), out, err, errlen);
	if (!json_is_array(ranges)) {
		snprintf(err, errlen, "host-local IPAM has neither \"ranges\" nor \"subnet\"");
		return false;
	}
	json_array_foreach(ranges, i, set) {
		if (!json_is_array(set)) {
			snprintf(err, errlen, "\"ranges\" entry %zu is not a list", i);
			return false;
		}
		json_array_foreach(set, j, r)
			if (!add_subnet(json_object_get(r, "subnet"), out, err, errlen))
				return false;
	}
	return true;
}

/* jansson quotes the bytes it choked on, and a subnet or a file name is
 * quoted as found: no control byte (a terminal escape) goes on into a log
 * or the report. */
static void
printable(char *s)
{
	for (char *p = s; *p; p++)
		if (iscntrl((unsigned char)*p))
			*p = '?';
}

bool
cni_parse(const char *json, size_t len, struct cidr_list *out, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root, *plugins, *p;
	bool ok = false;
	size_t i;

	out->n = 0;
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(err, errlen, "not JSON: %s at line %d", jerr.text, jerr.line);
		printable(err);
		return false;
	}
	/* A .conflist has "plugins"; a single .conf is itself the plugin. */
	plugins = json_object_get(root, "plugins");
	if (!json_is_array(plugins)) {
		plugins = json_array();
		json_array_append(plugins, root);
	} else
		json_incref(plugins);
	json_array_foreach(plugins, i, p) {
		json_t *ipam = json_object_get(p, "ipam");
		const char *type = json_string_value(json_object_get(ipam, "type"));

		if (type && strcmp(type, "host-local") == 0) {
			ok = parse_ipam(ipam, out, err, errlen);
			goto out;
		}
	}
	snprintf(err, errlen, "no plugin with host-local IPAM");
out:
	if (ok && out->n == 0) {
		snprintf(err, errlen, "host-local IPAM has no IPv4 subnet");
		ok = false;
	}
	if (!ok)	/* a subnet is quoted as the file has it */
		printable(err);
	json_decref(plugins);
	json_decref(root);
	return ok;
}

/* read() until size bytes or the end; -1 with errno. */
static ssize_t
read_all(int fd, char *buf, size_t size)
{
	size_t got = 0;
	ssize_t n;

	while (got < size) {
		n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static bool
is_conf(const char *name)
{
	const char *dot = strrchr(name, '.');

	return name[0] != '.' && dot &&
	       (!strcmp(dot, ".conflist") || !strcmp(dot, ".conf") || !strcmp(dot, ".json"));
}

/*
 * Opened non-blocking and checked before reading: a FIFO named *.conflist
 * would otherwise block open() until a writer comes, a device could be read
 * forever.  Only a regular file of at most CNI_MAX_BYTES is read.
 */
static bool
read_file(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	const char *why = NULL;
	struct stat st;
	ssize_t n = 0;

	*buf = NULL;
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (st.st_size > CNI_MAX_BYTES)
		why = "larger than 1 MiB";
	else if (!(*buf = malloc(CNI_MAX_BYTES + 1)))
		why = "out of memory";
	/* The file may grow between fstat and read: read one byte more. */
	else if ((n = read_all(fd, *buf, CNI_MAX_BYTES + 1)) < 0)
		why = strerror(errno);
	else if (n > CNI_MAX_BYTES)
		why = "larger than 1 MiB";
	if (why) {
		snprintf(err, errlen, "%s: %s", path, why);
		free(*buf);
		*buf = NULL;
	} else {
		*len = (size_t)n;
	}
out:
	if (fd >= 0)
		close(fd);
	return *buf != NULL;
}

bool
cni_read_dir(const char *dir, struct cidr_list *out, char *err, size_t errlen)
{
	struct dirent **names = NULL;
	char path[4352], why[256], *buf = NULL;
	size_t len;
	int n, pick = -1;
	bool ok = false;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		snprintf(err, errlen, "CNI config dir %s: %s", dir, strerror(errno));
		return false;
	}
	for (int i = 0; i < n && pick < 0; i++)
		if (is_conf(names[i]->d_name))
			pick = i;
	if (pick < 0) {
		snprintf(err, errlen, "no CNI config (*.conflist, *.conf) in %s", dir);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, names[pick]->d_name);
	if (!read_file(path, &buf, &len, err, errlen))
		goto out;
	ok = cni_parse(buf, len, out, why, sizeof(why));
	if (!ok)
		snprintf(err, errlen, "%s: %s", path, why);
out:
	if (!ok)	/* a file name is anyone's bytes */
		printable(err);
	free(buf);
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ok;
}
