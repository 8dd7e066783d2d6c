/*
 * Options of podreach(8), from flags and PODREACH_* variables (a flag wins),
 * validated strictly before anything touches the kernel.
 */
#ifndef PODREACH_CFG_H
#define PODREACH_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/core/cidr.h"

#define CFG_MAX_REMOTES	 256
#define CFG_MAX_PEERS	 64
#define CFG_MAX_PORTS	 16
#define CFG_MAX_PROBES	 64
#define CFG_NAME_MAX	 254
#define CFG_ERR_MAX	 512
#define CFG_MAX_CLUSTERS 32	/* --remote-kubeconfig entries */

/* Where the Kubernetes API is and how to authenticate: host and port from
 * KUBERNETES_SERVICE_HOST/_PORT, token and ca.crt under sa_dir. */
#define KUBE_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

struct kube_api {
	char host[256];
	char port[8];
	char sa_dir[512];
};

/* Exit statuses of both commands (podreach(8) EXIT STATUS). */
enum { EXIT_OK = 0, EXIT_PROBLEM = 1, EXIT_USAGE = 2, EXIT_RUNTIME = 3 };

enum cfg_mode { CFG_MODE_REPORT, CFG_MODE_ENFORCE };
enum cfg_output { CFG_OUT_TEXT, CFG_OUT_JSON };
enum cfg_discovery { CFG_DISC_PEERS, CFG_DISC_KUBERNETES };

/* --remote-kubeconfig NAME=FILE */
struct cfg_kubeconfig {
	char name[64];
	char path[4096];
};

struct cfg_remote {
	uint32_t node_ip;
	struct cidr_list cidrs;
};

struct cfg_hostport {
	char host[64];		/* a dotted quad (peers) */
	uint16_t port;
};

struct cfg_probe {
	bool http;
	uint32_t ip;
	uint16_t port;
	char url[256];		/* http only, as given */
};

struct cfg {
	char cluster[CFG_NAME_MAX];
	char node_name[CFG_NAME_MAX];
	uint32_t node_ip;		/* 0: from the default route */
	struct cidr_list pod_cidrs;	/* empty: from the CNI config */
	struct cidr_list cluster_cidrs;	/* empty: the pod CIDRs */
	struct prefix4 service_cidr;
	bool has_service_cidr;
	bool route_services;
	char cni_conf_dir[4096];
	struct cfg_hostport peers[CFG_MAX_PEERS];
	size_t npeers;
	struct cfg_remote remotes[CFG_MAX_REMOTES];
	size_t nremotes;
	enum cfg_mode mode;
	struct cfg_hostport listen;
	uint16_t probe_ports[CFG_MAX_PORTS];
	size_t nprobe_ports;
	struct cfg_probe probes[CFG_MAX_PROBES];
	size_t nprobes;
	double interval;
	double timeout;
	struct cidr_list allow_cidrs;
	enum cfg_output output;
	struct kube_api kube;		/* host "" outside Kubernetes */
	enum cfg_discovery discovery;
	char kubeconfig[4096];		/* "" : the service account (kube) */
	struct cfg_kubeconfig remote_kubeconfigs[CFG_MAX_CLUSTERS];
	size_t nremote_kubeconfigs;
	char remote_secrets[64];	/* a namespace; "" when off */
	bool discovery_set, remote_secrets_set;	/* given, not defaulted */
	/* agent only */
	char peer_token_file[4096];	/* "" when none */
	bool cleanup_on_exit;
	double resync;			/* full re-read backstop, seconds */
	bool verbose;
};

/* Fills c from argv (after the command word) and the environment env (a
 * NULL-terminated "K=V" array).  Returns false with a message naming the
 * option and the value in err.  Defaults that need the kernel or files
 * (node IP, pod CIDR) are left unset for resolve_defaults() in agent/io. */
bool cfg_parse(struct cfg *c, int argc, char *const argv[], char *const env[],
	       char err[static CFG_ERR_MAX]);

/* Whether v is a DNS-1123 name (lower-case letters, digits, '-' and '.',
 * starting and ending with a letter or digit) of at most max characters;
 * false for NULL.  Cluster and node names, ours and every peer's. */
bool cfg_valid_name(const char *v, size_t max);

/* Text for --help. */
extern const char cfg_usage[];

#endif
