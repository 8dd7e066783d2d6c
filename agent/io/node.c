#include <stdio.h>
#include <string.h>

#include "agent/io/node.h"

static int
read_int(const char *path)
{
	FILE *f = fopen(path, "re");
	int v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static void
read_names(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "re");
	char line[64];
	size_t used = 0;

	out[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && used + 1 < len) {
		line[strcspn(line, "\n")] = '\0';
		if (!line[0])
			continue;
		used += (size_t)snprintf(out + used, len - used, "%s%s", used ? " " : "", line);
		if (used >= len)
			used = len - 1;
	}
	fclose(f);
}

void
node_read(const char *root, const char *dev, struct node_sysctl *out)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/sys/net/ipv4/ip_forward", root);
	out->ip_forward = read_int(path);
	snprintf(path, sizeof(path), "%s/sys/net/ipv4/conf/all/rp_filter", root);
	out->rp_all = read_int(path);
	out->rp_dev = -1;
	if (dev && *dev && !strchr(dev, '/')) {
		snprintf(path, sizeof(path), "%s/sys/net/ipv4/conf/%s/rp_filter", root, dev);
		out->rp_dev = read_int(path);
	}
	snprintf(path, sizeof(path), "%s/net/ip_tables_names", root);
	read_names(path, out->legacy_tables, sizeof(out->legacy_tables));
}
