#!/usr/bin/env bash
# e2e-timeout: 600
# why_k8s — e2e/why with --discovery kubernetes: two real kube-apiservers (tests/lab/kubeapi.sh,
# fixed loopback ports: run it under the shared lock), no --peers; the node that owns the
# destination and its agent come from the Node objects.
WHY_DISCOVERY=kubernetes
# shellcheck source=tests/e2e/why.sh
source "$(dirname "$0")/why.sh"
