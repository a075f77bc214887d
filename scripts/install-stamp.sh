# shellcheck shell=bash
# Sourced by setup.sh. The install stamp is a hash of what `npm ci` installs from: the lockfile, the root
# package.json and the package.json of every workspace, named by the root "workspaces" globs (packages/*, plugins/*).
# It must never include node_modules/*/package.json, which the install itself writes: the former glob
# */*/package.json matched them, so `npm test` followed by `npm start` ran `npm ci` twice (issue 12).
fusioninfer_install_stamp() {
  local root="${1:-.}"
  (
    cd "$root" || exit 1
    export LC_ALL=C # glob order
    {
      cat package-lock.json package.json
      for f in packages/*/package.json plugins/*/package.json; do
        [ -f "$f" ] || continue
        printf '%s\n' "$f"
        cat "$f"
      done
    } | sha256sum | cut -d' ' -f1
  )
}
