#!/usr/bin/env bash
# manpage — podreach(8) renders without warnings, `make install` puts it where man finds it,
# and it documents exactly the options `podreach check --help` lists (with their PODREACH_
# environment twins): no option missing from either.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
root=$(repo_root)
page=$root/docs/podreach.8
command -v groff >/dev/null || fail "groff missing (tests/deps.sh installs groff-base)"

warn=$(groff -man -ww -z "$page" 2>&1) || fail "groff failed: $warn"
assert_eq "" "$warn" "groff -man -ww: no warnings"
if command -v man >/dev/null; then
    warn=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
    assert_eq "" "$warn" "man --warnings: no warnings"
fi

dest=$(mktemp -d)
trap 'rm -rf -- "$dest"' EXIT
make -s -C "$root" install DESTDIR="$dest" PREFIX=/usr >/dev/null || fail "make install failed"
[[ -x $dest/usr/sbin/podreach ]] || fail "make install: no $dest/usr/sbin/podreach"
[[ -f $dest/usr/share/man/man8/podreach.8 ]] || fail "make install: no man8/podreach.8"
out=$(MANWIDTH=80 man -l "$dest/usr/share/man/man8/podreach.8" 2>/dev/null)
assert_contains "$out" "PROBLEM CODES" "the installed page renders"
pass_check "make install puts the binary and podreach.8 in place"

help=$("$PODREACH" check --help) || fail "podreach check --help failed"
in_help=$(grep -o -- '--[a-z][a-z-]*' <<<"$help" | sort -u)
# The man page's options: the tags of the OPTIONS section.
in_page=$(sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$page" | grep -A1 '^\.TP' |
    grep -o '^\.BI\? \\-\\-[a-z\\-]*' | sed 's/^\.BI\? //; s/\\-/-/g' | sort -u)
assert_eq "$in_help" "$in_page" "the same options in --help and podreach(8)"
for o in $in_help; do
    [[ $o == --help ]] && continue
    env=PODREACH_$(tr 'a-z-' 'A-Z_' <<<"${o#--}")
    grep -q "^\.B $env\$" "$page" || fail "podreach(8) does not name $env for $o"
done
pass_check "every option's PODREACH_ twin is in podreach(8)"
# Every problem code the agent can report is documented.
for code in $(grep -o '= "[a-z-]*",' "$root/agent/core/report.c" | tr -d '=",' ); do
    grep -q "^\.B ${code//-/\\\\-}\$" "$page" || fail "podreach(8) lacks problem code $code"
done
pass_check "every problem code in agent/core/report.c is in podreach(8)"
