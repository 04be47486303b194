#!/usr/bin/env bash
# verify-catches-stale.sh proves `make verify` fails when generated files are
# stale: in a scratch worktree of HEAD it adds a field to the API without
# regenerating, and expects `make verify` to fail.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
tmp="$(mktemp -d)"
cleanup() { git -C "$root" worktree remove --force "$tmp" >/dev/null 2>&1 || rm -rf "$tmp"; }
trap cleanup EXIT
git worktree add -q --detach "$tmp" HEAD
cd "$tmp"
python3 - <<'PY'
p = "api/v1alpha1/wssendpoint_types.go"
s = open(p).read()
anchor = '\tSuspend bool `json:"suspend,omitempty"`\n'
assert anchor in s, "anchor field not found"
s = s.replace(anchor, anchor + '\n\t// staleCheck is added without regenerating the CRD.\n\t// +optional\n\tStaleCheck bool `json:"staleCheck,omitempty"`\n')
open(p, "w").write(s)
PY
# Commit the change, so only what `make verify` regenerates can differ.
git -c user.name=verify -c user.email=verify@localhost commit -qam "API change without regenerating"
if make verify LOCALBIN="$root/bin" >verify.log 2>&1; then
	echo "verify-catches-stale: make verify passed although the CRD is stale"
	cat verify.log
	exit 1
fi
grep -q "generated files are stale" verify.log && grep -q "config/crd/bases/wss.operator.dev_wssendpoints.yaml" verify.log || { echo "verify-catches-stale: make verify failed for another reason:"; cat verify.log; exit 1; }
echo "verify-catches-stale: make verify fails on stale generated files, as it must"
