#!/usr/bin/env bash
# Renders the runner fleet on a base branch and on the working tree, and prints the diff of the
# synthesized manifests: what `kubectl apply` would change, for a reviewer to read.
#
# usage: kubevirt-runners-render-diff BASE_REF    (installed with the package; from the repository
#        root, after npm ci; the project's `npm run synth` must write dist/)
# INSTALL_COMMAND replaces `npm ci` for the base checkout (tests link node_modules instead).
set -euo pipefail

base_ref=${1:?usage: render-diff.sh BASE_REF}
install_command=${INSTALL_COMMAND:-npm ci --no-audit --no-fund}
work=$(mktemp -d)

cleanup() {
  git worktree remove --force "$work/base" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

git worktree add --detach "$work/base" "$base_ref" >/dev/null 2>&1
if ! (cd "$work/base" && bash -c "$install_command" >/dev/null && npm run --silent synth >/dev/null 2>&1); then
  echo "note: $base_ref does not synthesize; showing the whole fleet as new" >&2
  rm -rf "$work/base/dist"
  mkdir -p "$work/base/dist"
fi
npm run --silent synth >/dev/null

mkdir -p "$work/compare"
cp -R "$work/base/dist" "$work/compare/base"
cp -R dist "$work/compare/head"
if (cd "$work/compare" && diff -ruN base head); then
  echo "no change to the rendered manifests"
fi
