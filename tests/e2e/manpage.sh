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
# Every severity the agent gives a code (report_add(r, PC_X, SEV_Y, ...) anywhere in agent/) is
# the one podreach(8) gives it: "(warning)", "(error)", or "as an error" for a second one.
pairs=$(cat "$root"/agent/*/*.c | tr '\n\t' '  ' | grep -oE 'report_add\([a-z>-]+, +PC_[A-Z_]+, +SEV_[A-Z]+' |
    sed -E 's/.*(PC_[A-Z_]+), +SEV_([A-Z]+)/\1 \2/' | sort -u)
[[ $(wc -l <<<"$pairs") -ge 10 ]] || fail "too few report_add calls found: $pairs"
while read -r pc sev; do
    code=$(grep -o "\[$pc\] = \"[a-z-]*\"" "$root/agent/core/report.c" | sed 's/.*= "//; s/"$//')
    [[ -n $code ]] || fail "no name for $pc in agent/core/report.c"
    sev=${sev,,}
    entry=$(sed -n "/^\.B ${code//-/\\\\-}\$/,/^\.\(TP\|SH\)/p" "$page" | tr '\n' ' ')
    grep -qE "\($sev\)|an? $sev" <<<"$entry" || fail "podreach(8) does not call $code a $sev, as the agent does"
done <<<"$pairs"
pass_check "every code's severity in podreach(8) is the one the agent reports ($(wc -l <<<"$pairs") pairs)"
# The peer token is proven with an HMAC, never presented (or sent) as a Bearer token.
help=$("$PODREACH" agent --help) || fail "podreach agent --help failed"
assert_not_contains "$help" "Bearer" "podreach agent --help does not say Bearer"
