/*
 * The kernel's side of nft_ruleset_read(): dump requests over a
 * NETLINK_NETFILTER socket (libmnl), every answer handed to the pure
 * parser, nft_ruleset_add_msg() (netlink/nft.c), which needs no kernel.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>

#include "netlink/nft.h"

/* A ruleset that keeps changing is retried this often before -EAGAIN. */
#define NFT_READ_TRIES 8
#define NFT_RECV_SIZE (1 << 16)

/* ---- the kernel dump ------------------------------------------------- */

struct nft_dump {
	struct mnl_socket *nl;
	char *buf;
	uint32_t seq, portid;
	struct nft_ruleset *rs;
	bool intr;		/* NLM_F_DUMP_INTR seen: the dump is inconsistent */
	int err;		/* a parse error, beats errno */
};

static int nft_data_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nft_dump *d = arg;
	int ret;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		d->intr = true;
	if ((ret = nft_ruleset_add_msg(d->rs, nlh, nlh->nlmsg_len))) {
		d->err = ret;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

/* NLMSG_DONE carries the dump's own error code, which libmnl ignores. */
static int nft_done_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nft_dump *d = arg;
	int err = 0;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		d->intr = true;
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int))
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (err < 0) {
		d->err = err;
		return MNL_CB_ERROR;
	}
	return MNL_CB_STOP;
}

/* With a control array libmnl runs none of its defaults for the types the
 * array covers, so the ACK/error is ours to read too. */
static int nft_error_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nft_dump *d = arg;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		d->err = -EBADMSG;
		return MNL_CB_ERROR;
	}
	if (e->error == 0)
		return MNL_CB_STOP;
	d->err = e->error < 0 ? e->error : -e->error;
	return MNL_CB_ERROR;
}

/* Sends the request and reads until its DONE or ACK. */
static int nft_talk(struct nft_dump *d, const struct nlmsghdr *req)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = nft_error_cb, [NLMSG_DONE] = nft_done_cb,
	};
	ssize_t n;
	int ret;

	d->err = 0;
	if (mnl_socket_sendto(d->nl, req, req->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(d->nl, d->buf, NFT_RECV_SIZE);
		if (n < 0)
			return -errno;
		ret = mnl_cb_run2(d->buf, (size_t)n, d->seq, d->portid, nft_data_cb, d,
				  ctl, NLMSG_MIN_TYPE);
	} while (ret > 0);
	if (ret < 0)
		return d->err ? d->err : -errno;
	return 0;
}

/* Every request asks for an ACK: a dump ends with DONE, a get with its
 * reply and then the ACK, and an error arrives as NLMSG_ERROR either way. */
static int nft_request(struct nft_dump *d, uint16_t type, uint32_t family, bool dump,
		       const char *table, const char *set)
{
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	uint16_t flags = NLM_F_ACK | (dump ? NLM_F_DUMP : 0);

	nlh = nftnl_nlmsg_build_hdr(req, type, (uint16_t)family, flags, ++d->seq);
	if (table)
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table);
	if (set)
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set);
	return nft_talk(d, nlh);
}

static int nft_genid(struct nft_dump *d, uint32_t *genid)
{
	struct nft_ruleset scratch = { 0 };
	struct nft_ruleset *keep = d->rs;
	int ret;

	d->rs = &scratch;
	ret = nft_request(d, NFT_MSG_GETGEN, NFPROTO_UNSPEC, false, NULL, NULL);
	d->rs = keep;
	*genid = scratch.genid;
	return ret;
}

static int nft_dump_all(struct nft_dump *d)
{
	static const uint16_t kinds[] = { NFT_MSG_GETTABLE, NFT_MSG_GETCHAIN, NFT_MSG_GETSET };
	int ret;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if ((ret = nft_request(d, kinds[i], NFPROTO_UNSPEC, true, NULL, NULL)))
			return ret;
	/* Elements are dumped one set at a time: the kernel wants the set. */
	for (size_t i = 0; i < d->rs->ntables; i++) {
		const struct nft_table *t = &d->rs->tables[i];

		for (size_t j = 0; j < t->nsets; j++)
			if ((ret = nft_request(d, NFT_MSG_GETSETELEM, t->family, true,
					       t->name, t->sets[j].name)))
				return ret;
	}
	return nft_request(d, NFT_MSG_GETRULE, NFPROTO_UNSPEC, true, NULL, NULL);
}

/* One consistent pass: same generation before and after, no DUMP_INTR. */
static int nft_read_once(struct nft_dump *d, struct nft_ruleset **out)
{
	uint32_t before, after;
	int ret;

	d->intr = false;
	if (!(d->rs = nft_ruleset_new()))
		return -ENOMEM;
	d->rs->pooling = true;
	if ((ret = nft_genid(d, &before)) || (ret = nft_dump_all(d)) ||
	    (ret = nft_genid(d, &after)))
		goto out;
	if (d->intr || before != after) {
		ret = -EAGAIN;
		goto out;
	}
	d->rs->genid = before;
	d->rs->pooling = false;
	*out = d->rs;
	d->rs = NULL;
out:
	nft_ruleset_free(d->rs);
	d->rs = NULL;
	return ret;
}

int nft_ruleset_read(struct nft_ruleset **out)
{
	struct nft_dump d = { 0 };
	int ret = -EAGAIN;

	*out = NULL;
	if (!(d.buf = malloc(NFT_RECV_SIZE)))
		return -ENOMEM;
	d.seq = (uint32_t)time(NULL);
	for (int i = 0; i < NFT_READ_TRIES; i++) {
		/* A socket per try: a try given up mid-dump leaves the rest of
		 * that dump queued, which the next request would read as its
		 * answer (libmnl: EPROTO, a sequence number not its own). */
		if (!(d.nl = mnl_socket_open(NETLINK_NETFILTER)) ||
		    mnl_socket_bind(d.nl, 0, MNL_SOCKET_AUTOPID) < 0) {
			ret = -errno;
			break;
		}
		d.portid = mnl_socket_get_portid(d.nl);
		ret = nft_read_once(&d, out);
		mnl_socket_close(d.nl);
		d.nl = NULL;
		/* A set or chain removed between two dumps shows as ENOENT;
		 * EINTR is how newer kernels refuse an inconsistent dump. */
		if (ret != -EAGAIN && ret != -EINTR && ret != -ENOENT)
			break;
		ret = -EAGAIN;
	}
	if (d.nl)
		mnl_socket_close(d.nl);
	free(d.buf);
	return ret;
}
